/*
 * tests/test-models-policy.c - the nine RFC 5356 policies as the handlespace
 * applies them: exact selection sequences of the deterministic policies,
 * chi-square tests of the random ones.
 */
#include "config.h"

#include "models/handlespace.h"
#include "models/handlespace-private.h"
#include "models/policy.h"

#include <string.h>

#define POOL ((const guint8 *) "pool")
#define POOL_LEN 4

static HsRegistration
reg_for (guint32 id, guint32 type)
{
  HsRegistration r;
  memset (&r, 0, sizeof r);
  r.pe_id = id;
  r.home_registrar = 7;
  r.reg_life_ms = -1;
  r.policy.type = type;
  r.user.type = HS_TRANSPORT_SCTP;
  r.user.use = HS_USE_DATA;
  r.user.port = 5000;
  r.user.n_addrs = 1;
  r.user.addrs[0].family = HS_AF_IPV4;
  r.user.addrs[0].bytes[0] = 10;
  r.user.addrs[0].bytes[3] = (guint8) id;
  return r;
}

static void
add_pe (HsHandlespace *hs, guint32 id, const HsPolicy *p)
{
  HsRegistration r = reg_for (id, p->type);
  r.policy = *p;
  g_assert_cmpint (hs_handlespace_register (hs, POOL, POOL_LEN, &r, 0, NULL, NULL), ==, HS_OK);
}

/* Selects `n` PEs `times` times and returns the identifiers as a string "1 2 3 | 2 3 4 | ...". */
static char *
select_ids (HsHandlespace *hs, SimRng *rng, guint n, guint times)
{
  GString *s = g_string_new (NULL);
  HsPoolElement *out[16];
  for (guint t = 0; t < times; t++)
    {
      guint k = hs_handlespace_select (hs, POOL, POOL_LEN, rng, out, n, NULL);
      if (t > 0)
        g_string_append (s, n > 1 ? " | " : " ");
      for (guint i = 0; i < k; i++)
        g_string_append_printf (s, i > 0 ? " %u" : "%u", hs_pe_get_id (out[i]));
      g_assert_true (hs_handlespace_sanity (hs));
    }
  return g_string_free (s, FALSE);
}

/* Names: abbreviations and RFC names parse, case- and separator-insensitively; junk does not. */
static void
test_names (void)
{
  guint32 t = 0;
  g_assert_true (hs_policy_type_from_name ("lud", &t));
  g_assert_cmphex (t, ==, HS_POLICY_LUD);
  g_assert_true (hs_policy_type_from_name ("Least-Used-with-Degradation", &t));
  g_assert_cmphex (t, ==, HS_POLICY_LUD);
  g_assert_true (hs_policy_type_from_name ("Weighted Round Robin", &t));
  g_assert_cmphex (t, ==, HS_POLICY_WRR);
  g_assert_true (hs_policy_type_from_name ("RLU", &t));
  g_assert_cmphex (t, ==, HS_POLICY_RLU);
  t = 99;
  g_assert_false (hs_policy_type_from_name ("PLUD", &t));
  g_assert_false (hs_policy_type_from_name ("", &t));
  g_assert_cmpuint (t, ==, 99);
  g_assert_cmpstr (hs_policy_type_name (HS_POLICY_PRIO), ==, "PRIO");
  g_assert_cmpstr (hs_policy_type_long_name (HS_POLICY_PLU), ==, "Priority Least Used");
  g_assert_null (hs_policy_type_name (0xb0001003));
  g_assert_false (hs_policy_type_is_known (0x40000000));
  g_assert_true (hs_policy_type_is_random (HS_POLICY_WRAND));
  g_assert_false (hs_policy_type_is_random (HS_POLICY_LU));
}

/* RR: the head advances by one per resolution; a new PE joins at the end of the round. */
static void
test_rr_sequence (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  HsPolicy p = { .type = HS_POLICY_RR };
  for (guint32 id = 1; id <= 4; id++)
    add_pe (hs, id, &p);
  g_autofree char *one = select_ids (hs, NULL, 1, 6);
  g_assert_cmpstr (one, ==, "1 2 3 4 1 2");
  g_autofree char *three = select_ids (hs, NULL, 3, 3);
  g_assert_cmpstr (three, ==, "3 4 1 | 4 1 2 | 1 2 3");
  /* Head is now 2; PE 5 joins just before it, i.e. after 1. */
  add_pe (hs, 5, &p);
  g_autofree char *after = select_ids (hs, NULL, 1, 6);
  g_assert_cmpstr (after, ==, "2 3 4 1 5 2");
  /* Removing the head hands the turn to its successor. */
  g_assert_true (hs_handlespace_deregister (hs, POOL, POOL_LEN, 3));
  g_autofree char *removed = select_ids (hs, NULL, 1, 4);
  g_assert_cmpstr (removed, ==, "4 1 5 2");
}

/* RR with max increment >= N: every PE of an answer goes to the back, so answers do not overlap. */
static void
test_rr_max_increment (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  hs_handlespace_set_max_increment (hs, G_MAXUINT);
  HsPolicy p = { .type = HS_POLICY_RR };
  for (guint32 id = 1; id <= 5; id++)
    add_pe (hs, id, &p);
  g_autofree char *s = select_ids (hs, NULL, 3, 3);
  g_assert_cmpstr (s, ==, "1 2 3 | 4 5 1 | 2 3 4");
}

/* WRR (stride scheduling): weights 2:1:1 give A twice per round, spread; weight 0 is never chosen. */
static void
test_wrr_sequence (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  HsPolicy a = { .type = HS_POLICY_WRR, .weight = 2 };
  HsPolicy b = { .type = HS_POLICY_WRR, .weight = 1 };
  HsPolicy z = { .type = HS_POLICY_WRR, .weight = 0 };
  add_pe (hs, 1, &a);
  add_pe (hs, 2, &b);
  add_pe (hs, 3, &b);
  add_pe (hs, 4, &z);
  /* Virtual times (unit 2^51): A 1, B 2, C 2 at start; ties by sequence. */
  g_autofree char *s = select_ids (hs, NULL, 1, 12);
  g_assert_cmpstr (s, ==, "1 2 3 1 1 2 3 1 1 2 3 1");
  g_autofree char *all = select_ids (hs, NULL, 4, 1);
  g_assert_cmpstr (all, ==, "1 2 3");
}

/* WRR with unequal weights: over a full period each PE is chosen exactly weight times. */
static void
test_wrr_proportions (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  guint32 weights[] = { 8, 4, 2, 1, 1 };
  for (guint32 i = 0; i < G_N_ELEMENTS (weights); i++)
    {
      HsPolicy p = { .type = HS_POLICY_WRR, .weight = weights[i] };
      add_pe (hs, i + 1, &p);
    }
  guint counts[6] = { 0 };
  HsPoolElement *out[1];
  for (guint t = 0; t < 16 * 100; t++)
    {
      g_assert_cmpuint (hs_handlespace_select (hs, POOL, POOL_LEN, NULL, out, 1, NULL), ==, 1);
      counts[hs_pe_get_id (out[0])]++;
    }
  for (guint32 i = 0; i < G_N_ELEMENTS (weights); i++)
    g_assert_cmpuint (counts[i + 1], ==, weights[i] * 100);
}

/* PRIO: highest priority first; equal priorities take turns. */
static void
test_prio_sequence (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  guint32 prio[] = { 5, 9, 9, 1 };
  for (guint32 i = 0; i < 4; i++)
    {
      HsPolicy p = { .type = HS_POLICY_PRIO, .priority = prio[i] };
      add_pe (hs, i + 1, &p);
    }
  g_autofree char *one = select_ids (hs, NULL, 1, 4);
  g_assert_cmpstr (one, ==, "2 3 2 3");
  g_autofree char *all = select_ids (hs, NULL, 4, 2);
  g_assert_cmpstr (all, ==, "2 3 1 4 | 3 2 1 4");
}

/* LU: lowest load first, ties round robin; a re-registration with a new load re-sorts. */
static void
test_lu_sequence (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  guint32 load[] = { 30, 10, 10, 20 };
  for (guint32 i = 0; i < 4; i++)
    {
      HsPolicy p = { .type = HS_POLICY_LU, .load = load[i] };
      add_pe (hs, i + 1, &p);
    }
  g_autofree char *one = select_ids (hs, NULL, 1, 4);
  g_assert_cmpstr (one, ==, "2 3 2 3");
  g_autofree char *three = select_ids (hs, NULL, 3, 2);
  g_assert_cmpstr (three, ==, "2 3 4 | 3 2 4");
  HsPolicy p = { .type = HS_POLICY_LU, .load = 5 };
  add_pe (hs, 1, &p);
  g_autofree char *after = select_ids (hs, NULL, 2, 2);
  g_assert_cmpstr (after, ==, "1 2 | 1 2");
}

/* A re-registration that moves a PE into a group of equal keys puts it at the back of that group. */
static void
test_lu_reregistration_joins_at_back (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  HsPolicy high = { .type = HS_POLICY_LU, .load = 20 };
  HsPolicy low = { .type = HS_POLICY_LU, .load = 10 };
  add_pe (hs, 3, &high);  /* oldest registration */
  add_pe (hs, 1, &low);
  add_pe (hs, 2, &low);
  add_pe (hs, 3, &low);   /* now ties with 1 and 2, but joined that group last */
  g_autofree char *all = select_ids (hs, NULL, 3, 1);
  g_assert_cmpstr (all, ==, "1 2 3");
  /* A re-registration that keeps the load keeps the PE's place. */
  add_pe (hs, 1, &low);
  g_autofree char *again = select_ids (hs, NULL, 3, 1);
  g_assert_cmpstr (again, ==, "2 3 1");
}

/* LUD: key = load + n * degradation; n counts uses and is reset by re-registration. */
static void
test_lud_sequence (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  HsPolicy a = { .type = HS_POLICY_LUD, .load = 10, .load_degradation = 10 };
  HsPolicy b = { .type = HS_POLICY_LUD, .load = 20, .load_degradation = 5 };
  add_pe (hs, 1, &a);
  add_pe (hs, 2, &b);
  /* Keys: A 10,20,30,40,50; B 20,25,30,35,40,45; equal keys go to the one used longer ago. */
  g_autofree char *s = select_ids (hs, NULL, 1, 10);
  g_assert_cmpstr (s, ==, "1 2 1 2 1 2 2 1 2 2");
  HsPoolElement *pa = hs_handlespace_find (hs, POOL, POOL_LEN, 1);
  g_assert_cmpuint (hs_pe_get_degradation_count (pa), ==, 4);
  /* Re-registration resets A's counter: A is least used again. */
  add_pe (hs, 1, &a);
  g_assert_cmpuint (hs_pe_get_degradation_count (pa), ==, 0);
  g_autofree char *after = select_ids (hs, NULL, 1, 2);
  g_assert_cmpstr (after, ==, "1 1");
}

/* LUD with max increment >= N: every PE in an answer is degraded (the literal RFC 5356 §5.2 reading). */
static void
test_lud_max_increment (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  hs_handlespace_set_max_increment (hs, G_MAXUINT);
  for (guint32 id = 1; id <= 3; id++)
    {
      HsPolicy p = { .type = HS_POLICY_LUD, .load = id * 10, .load_degradation = 15 };
      add_pe (hs, id, &p);
    }
  g_autofree char *s = select_ids (hs, NULL, 2, 3);
  /* Keys 10,20,30 -> 1,2 used: 25,35,30 -> 1,3 used: 40,35,45 -> 2,1. */
  g_assert_cmpstr (s, ==, "1 2 | 1 3 | 2 1");
  g_assert_cmpuint (hs_pe_get_degradation_count (hs_handlespace_find (hs, POOL, POOL_LEN, 1)), ==, 3);
  g_assert_cmpuint (hs_pe_get_degradation_count (hs_handlespace_find (hs, POOL, POOL_LEN, 3)), ==, 1);
}

/* PLU: key = load + load degradation, static; ties round robin. */
static void
test_plu_sequence (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  HsPolicy p1 = { .type = HS_POLICY_PLU, .load = 10, .load_degradation = 30 };
  HsPolicy p2 = { .type = HS_POLICY_PLU, .load = 20, .load_degradation = 10 };
  HsPolicy p3 = { .type = HS_POLICY_PLU, .load = 35, .load_degradation = 0 };
  HsPolicy p4 = { .type = HS_POLICY_PLU, .load = 25, .load_degradation = 5 };
  add_pe (hs, 1, &p1);
  add_pe (hs, 2, &p2);
  add_pe (hs, 3, &p3);
  add_pe (hs, 4, &p4);
  g_autofree char *all = select_ids (hs, NULL, 4, 1);
  g_assert_cmpstr (all, ==, "2 4 3 1");
  g_autofree char *one = select_ids (hs, NULL, 1, 4);
  g_assert_cmpstr (one, ==, "4 2 4 2");
}

/* Pearson's chi-square of observed counts against expected ones. */
static double
chi_square (const guint *observed, const double *expected, guint n)
{
  double chi = 0;
  for (guint i = 0; i < n; i++)
    {
      double d = observed[i] - expected[i];
      chi += d * d / expected[i];
    }
  return chi;
}

/*
 * Upper 0.1 % points of chi-square: with a fixed seed a correct sampler
 * passes; a biased one (e.g. off by 2 % on one PE) fails.
 */
static const double chi_999[] = { 0, 10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32, 26.12, 27.88 };

#define DRAWS 100000

/* RAND: 10^5 single draws over 10 PEs are uniform; answers of 3 are distinct and uniform in inclusion. */
static void
test_rand_distribution (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  HsPolicy p = { .type = HS_POLICY_RAND };
  for (guint32 id = 0; id < 10; id++)
    add_pe (hs, id, &p);
  SimRng rng;
  sim_rng_init (&rng, 42, "test/rand");
  guint counts[10] = { 0 };
  double expected[10];
  HsPoolElement *out[3];
  for (guint t = 0; t < DRAWS; t++)
    {
      g_assert_cmpuint (hs_handlespace_select (hs, POOL, POOL_LEN, &rng, out, 1, NULL), ==, 1);
      counts[hs_pe_get_id (out[0])]++;
    }
  for (guint i = 0; i < 10; i++)
    expected[i] = DRAWS / 10.0;
  g_assert_cmpfloat (chi_square (counts, expected, 10), <, chi_999[9]);

  memset (counts, 0, sizeof counts);
  for (guint t = 0; t < DRAWS; t++)
    {
      g_assert_cmpuint (hs_handlespace_select (hs, POOL, POOL_LEN, &rng, out, 3, NULL), ==, 3);
      g_assert_true (out[0] != out[1] && out[1] != out[2] && out[0] != out[2]);
      for (guint i = 0; i < 3; i++)
        counts[hs_pe_get_id (out[i])]++;
    }
  for (guint i = 0; i < 10; i++)
    expected[i] = 3.0 * DRAWS / 10.0;
  g_assert_cmpfloat (chi_square (counts, expected, 10), <, chi_999[9]);
  g_assert_true (hs_handlespace_sanity (hs));
}

/* WRAND: P(PE) = weight / sum; weight 0 is never chosen; answers are distinct. */
static void
test_wrand_distribution (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  for (guint32 id = 0; id <= 10; id++)
    {
      HsPolicy p = { .type = HS_POLICY_WRAND, .weight = id };  /* PE 0 has weight 0 */
      add_pe (hs, id, &p);
    }
  SimRng rng;
  sim_rng_init (&rng, 42, "test/wrand");
  guint counts[11] = { 0 };
  double expected[10];
  HsPoolElement *out[11];
  for (guint t = 0; t < DRAWS; t++)
    {
      g_assert_cmpuint (hs_handlespace_select (hs, POOL, POOL_LEN, &rng, out, 1, NULL), ==, 1);
      counts[hs_pe_get_id (out[0])]++;
    }
  g_assert_cmpuint (counts[0], ==, 0);
  for (guint i = 0; i < 10; i++)
    expected[i] = DRAWS * (i + 1) / 55.0;
  g_assert_cmpfloat (chi_square (counts + 1, expected, 10), <, chi_999[9]);
  /* Asking for all: the ten serving PEs, each once, never PE 0. */
  guint k = hs_handlespace_select (hs, POOL, POOL_LEN, &rng, out, 11, NULL);
  g_assert_cmpuint (k, ==, 10);
  guint seen = 0;
  for (guint i = 0; i < k; i++)
    seen |= 1u << hs_pe_get_id (out[i]);
  g_assert_cmphex (seen, ==, 0x7fe);
  g_assert_true (hs_handlespace_sanity (hs));
}

/* RLU: P(PE) proportional to (max - load); a fully loaded PE is never chosen. */
static void
test_rlu_distribution (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  guint32 load[] = { 0, HS_POLICY_LOAD_MAX / 4, HS_POLICY_LOAD_MAX / 2, HS_POLICY_LOAD_MAX / 4 * 3,
                     HS_POLICY_LOAD_MAX };
  for (guint32 i = 0; i < 5; i++)
    {
      HsPolicy p = { .type = HS_POLICY_RLU, .load = load[i] };
      add_pe (hs, i, &p);
    }
  SimRng rng;
  sim_rng_init (&rng, 42, "test/rlu");
  guint counts[5] = { 0 };
  double expected[4], wsum = 0;
  HsPoolElement *out[2];
  for (guint i = 0; i < 4; i++)
    wsum += (double) (HS_POLICY_LOAD_MAX - load[i]);
  for (guint i = 0; i < 4; i++)
    expected[i] = DRAWS * (double) (HS_POLICY_LOAD_MAX - load[i]) / wsum;
  for (guint t = 0; t < DRAWS; t++)
    {
      g_assert_cmpuint (hs_handlespace_select (hs, POOL, POOL_LEN, &rng, out, 2, NULL), ==, 2);
      g_assert_true (out[0] != out[1]);
      counts[hs_pe_get_id (out[0])]++;
    }
  g_assert_cmpuint (counts[4], ==, 0);
  g_assert_cmpfloat (chi_square (counts, expected, 4), <, chi_999[3]);
  g_assert_true (hs_handlespace_sanity (hs));
}

/* The same stream seed gives the same random answers: runs are reproducible. */
static void
test_random_deterministic (void)
{
  char *seq[2];
  for (int run = 0; run < 2; run++)
    {
      g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
      for (guint32 id = 1; id <= 20; id++)
        {
          HsPolicy p = { .type = HS_POLICY_WRAND, .weight = id };
          add_pe (hs, id, &p);
        }
      SimRng rng;
      sim_rng_init (&rng, 7, "registrar/1/selection");
      seq[run] = select_ids (hs, &rng, 3, 50);
    }
  g_assert_cmpstr (seq[0], ==, seq[1]);
  g_free (seq[0]);
  g_free (seq[1]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/models/policy/names", test_names);
  g_test_add_func ("/models/policy/rr/sequence", test_rr_sequence);
  g_test_add_func ("/models/policy/rr/max-increment", test_rr_max_increment);
  g_test_add_func ("/models/policy/wrr/sequence", test_wrr_sequence);
  g_test_add_func ("/models/policy/wrr/proportions", test_wrr_proportions);
  g_test_add_func ("/models/policy/prio/sequence", test_prio_sequence);
  g_test_add_func ("/models/policy/lu/sequence", test_lu_sequence);
  g_test_add_func ("/models/policy/lu/reregistration-joins-at-back", test_lu_reregistration_joins_at_back);
  g_test_add_func ("/models/policy/lud/sequence", test_lud_sequence);
  g_test_add_func ("/models/policy/lud/max-increment", test_lud_max_increment);
  g_test_add_func ("/models/policy/plu/sequence", test_plu_sequence);
  g_test_add_func ("/models/policy/rand/chi-square", test_rand_distribution);
  g_test_add_func ("/models/policy/wrand/chi-square", test_wrand_distribution);
  g_test_add_func ("/models/policy/rlu/chi-square", test_rlu_distribution);
  g_test_add_func ("/models/policy/random/deterministic", test_random_deterministic);
  return g_test_run ();
}
