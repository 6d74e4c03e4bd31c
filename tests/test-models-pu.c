/*
 * tests/test-models-pu.c - the ASAP pool user against a scripted registrar
 * (tests/endpoint-test-util.h): handle resolution, T1 retransmissions at
 * exact times, the server hunt after MAX-REQUEST-RETRANSMIT, the cache and
 * its stale timer, ENDPOINT_UNREACHABLE once per failure event and the
 * pool-user-side report limit, cookies.
 *
 * Times: one crossing takes X = 1 ms + 1 ns; pu_start at 0 brings the home
 * association up at 4 X.
 */
#include "config.h"

#include "tests/endpoint-test-util.h"

#define SEED 7

typedef struct {
  TepRegistrar r;
  NetHost     *host;
  PoolUser    *pu;
  PuConfig     cfg;
  /* What resolutions delivered. */
  GArray      *results;   /* PuResolveResult */
  GArray      *times;     /* SimTime */
  GArray      *firsts;    /* guint32: pe id of the first PE, 0 if none */
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  tep_init (&f->r, SEED);
  f->host = tep_host (&f->r, "pu0");
  tep_pu_config (&f->r, &f->cfg);
  f->results = g_array_new (FALSE, FALSE, sizeof (PuResolveResult));
  f->times = g_array_new (FALSE, FALSE, sizeof (SimTime));
  f->firsts = g_array_new (FALSE, FALSE, sizeof (guint32));
  /* Two PEs known to the double (no real PEs needed for resolutions). */
  TepPe a = { 0x11111111, 7700, net_addr (10, 0, 0, 50), CODEC_POLICY_ROUND_ROBIN };
  TepPe b = { 0x22222222, 7701, net_addr (10, 0, 0, 51), CODEC_POLICY_ROUND_ROBIN };
  g_array_append_val (f->r.pes, a);
  g_array_append_val (f->r.pes, b);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  pu_free (f->pu);
  pu_config_clear (&f->cfg);
  g_array_unref (f->results);
  g_array_unref (f->times);
  g_array_unref (f->firsts);
  tep_clear (&f->r);
}

static void
start_pu (Fixture *f)
{
  f->pu = pu_new (f->r.tn.net, f->host, 0, &f->cfg, SEED);
  pu_start (f->pu);
}

static void
resolved (PoolUser *pu, PuResolveResult result, const PuPeInfo *pes, guint n, gpointer user_data)
{
  Fixture *f = user_data;
  SimTime now = sim_kernel_now (f->r.tn.kernel);
  guint32 first = n > 0 ? pes[0].pe_id : 0;
  g_array_append_val (f->results, result);
  g_array_append_val (f->times, now);
  g_array_append_val (f->firsts, first);
}

static void
resolve_at (Fixture *f, SimTime t)
{
  tep_run_until (&f->r, t);
  pu_resolve (f->pu, resolved, f);
}

/* A resolution asks the registrar once and delivers its PE with address and port. */
static void
test_resolution_answer (Fixture *f, gconstpointer data)
{
  start_pu (f);
  resolve_at (f, 1 * SIM_S);
  tep_run_until (&f->r, 2 * SIM_S);
  g_assert_cmpuint (tep_count (&f->r, CODEC_ASAP_HANDLE_RESOLUTION), ==, 1);
  const TepLogEntry *e = tep_nth (&f->r, CODEC_ASAP_HANDLE_RESOLUTION, 0);
  g_assert_cmpint (e->t, ==, 1 * SIM_S + TEP_X);
  g_auto (CodecMessage) msg = { 0 };
  tep_decode (e, &msg);
  g_assert_cmpmem (msg.u.handle_resolution.handle.data, msg.u.handle_resolution.handle.len, "CalcAppPool", 11);
  g_assert_cmpuint (msg.flags, ==, 0);   /* no subscription */
  g_assert_cmpuint (f->results->len, ==, 1);
  g_assert_cmpint (g_array_index (f->results, PuResolveResult, 0), ==, PU_RESOLVE_OK);
  g_assert_cmpint (g_array_index (f->times, SimTime, 0), ==, 1 * SIM_S + 2 * TEP_X);
  g_assert_cmpuint (g_array_index (f->firsts, guint32, 0), ==, 0x11111111);
}

/* No answer: retransmissions at T1 and 2 T1, Error.Report at 3 T1, then a new home for the next request. */
static void
test_resolution_t1 (Fixture *f, gconstpointer data)
{
  f->r.silent = TRUE;
  start_pu (f);
  resolve_at (f, 1 * SIM_S);
  tep_run_until (&f->r, 1 * SIM_S + 45 * SIM_S - 1);
  g_assert_cmpuint (tep_count (&f->r, CODEC_ASAP_HANDLE_RESOLUTION), ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (tep_nth (&f->r, CODEC_ASAP_HANDLE_RESOLUTION, i)->t, ==, 1 * SIM_S + i * 15 * SIM_S + TEP_X);
  g_assert_cmpuint (f->results->len, ==, 0);
  tep_run_until (&f->r, 1 * SIM_S + 45 * SIM_S);
  g_assert_cmpuint (f->results->len, ==, 1);
  g_assert_cmpint (g_array_index (f->results, PuResolveResult, 0), ==, PU_RESOLVE_FAILED);
  g_assert_cmpuint (pu_stats (f->pu)->retransmissions, ==, 2);
  g_assert_cmpuint (pu_stats (f->pu)->request_failures, ==, 1);
  /* The hunt after the failure: a second association to a registrar (here the same one). */
  g_assert_cmpuint (endpoint_hunt_stats (pu_hunt (f->pu))->hunts, ==, 2);
  f->r.silent = FALSE;
  resolve_at (f, 50 * SIM_S);
  tep_run_until (&f->r, 51 * SIM_S);
  g_assert_cmpuint (f->r.accepted, ==, 2);
  g_assert_cmpuint (tep_count (&f->r, CODEC_ASAP_HANDLE_RESOLUTION), ==, 4);
  g_assert_cmpint (g_array_index (f->results, PuResolveResult, 1), ==, PU_RESOLVE_OK);
}

/* A fresh cache answers without a request (round robin over the cached list); a stale one asks again. */
static void
test_cache_stale (Fixture *f, gconstpointer data)
{
  f->cfg.stale_cache = 5 * SIM_S;
  f->r.rr = 0;
  start_pu (f);
  resolve_at (f, 1 * SIM_S);
  tep_run_until (&f->r, 1 * SIM_S + 2 * TEP_X);   /* answer in: cache valid until 1 s + 2 X + 5 s */
  resolve_at (f, 2 * SIM_S);
  resolve_at (f, 3 * SIM_S);
  tep_run_until (&f->r, 6 * SIM_S + 2 * TEP_X - 1);
  g_assert_cmpuint (tep_count (&f->r, CODEC_ASAP_HANDLE_RESOLUTION), ==, 1);
  g_assert_cmpuint (pu_stats (f->pu)->cache_hits, ==, 2);
  /* The double answers one PE per resolution, so the cache holds one PE. */
  g_assert_cmpuint (g_array_index (f->firsts, guint32, 1), ==, 0x11111111);
  g_assert_cmpint (g_array_index (f->times, SimTime, 1), ==, 2 * SIM_S);   /* delivered at once, not inline */
  resolve_at (f, 6 * SIM_S + 2 * TEP_X);
  tep_run_until (&f->r, 7 * SIM_S);
  g_assert_cmpuint (tep_count (&f->r, CODEC_ASAP_HANDLE_RESOLUTION), ==, 2);
  g_assert_cmpuint (g_array_index (f->firsts, guint32, 3), ==, 0x22222222);
}

/* Stale cache value 0 (the papers): every resolution is a request. */
static void
test_cache_none (Fixture *f, gconstpointer data)
{
  start_pu (f);
  resolve_at (f, 1 * SIM_S);
  resolve_at (f, 2 * SIM_S);
  tep_run_until (&f->r, 3 * SIM_S);
  g_assert_cmpuint (tep_count (&f->r, CODEC_ASAP_HANDLE_RESOLUTION), ==, 2);
  g_assert_cmpuint (pu_stats (f->pu)->cache_hits, ==, 0);
  g_assert_cmpuint (g_array_index (f->firsts, guint32, 0), ==, 0x11111111);
  g_assert_cmpuint (g_array_index (f->firsts, guint32, 1), ==, 0x22222222);
}

/* An empty pool: the registrar's error answer gives PU_RESOLVE_EMPTY. */
static void
test_resolution_empty (Fixture *f, gconstpointer data)
{
  g_array_set_size (f->r.pes, 0);
  start_pu (f);
  resolve_at (f, 1 * SIM_S);
  tep_run_until (&f->r, 2 * SIM_S);
  g_assert_cmpint (g_array_index (f->results, PuResolveResult, 0), ==, PU_RESOLVE_EMPTY);
  g_assert_cmpuint (pu_stats (f->pu)->responses_empty, ==, 1);
}

/* ENDPOINT_UNREACHABLE: only for a tried PE, once per failure event (attempt). */
static void
test_unreachable_once (Fixture *f, gconstpointer data)
{
  start_pu (f);
  tep_run_until (&f->r, 1 * SIM_S);
  g_assert_false (pu_report_unreachable (f->pu, 0x11111111));   /* never tried */
  pu_pe_tried (f->pu, 0x11111111);
  g_assert_true (pu_report_unreachable (f->pu, 0x11111111));
  g_assert_false (pu_report_unreachable (f->pu, 0x11111111));   /* same failure event */
  pu_pe_tried (f->pu, 0x22222222);
  pu_pe_reached (f->pu, 0x22222222);
  g_assert_false (pu_report_unreachable (f->pu, 0x22222222));   /* it answered */
  tep_run_until (&f->r, 2 * SIM_S);
  pu_pe_tried (f->pu, 0x11111111);                               /* a new attempt, a new event */
  g_assert_true (pu_report_unreachable (f->pu, 0x11111111));
  tep_run_until (&f->r, 3 * SIM_S);
  g_assert_cmpuint (tep_count (&f->r, CODEC_ASAP_ENDPOINT_UNREACHABLE), ==, 2);
  const TepLogEntry *e = tep_nth (&f->r, CODEC_ASAP_ENDPOINT_UNREACHABLE, 0);
  g_assert_cmpint (e->t, ==, 1 * SIM_S + TEP_X);
  g_auto (CodecMessage) msg = { 0 };
  tep_decode (e, &msg);
  g_assert_cmpuint (msg.u.pe_ref.pe_id, ==, 0x11111111);
  g_assert_cmpmem (msg.u.pe_ref.handle.data, msg.u.pe_ref.handle.len, "CalcAppPool", 11);
  g_assert_cmpuint (pu_stats (f->pu)->unreachable_sent, ==, 2);
  g_assert_cmpuint (pu_stats (f->pu)->unreachable_suppressed, ==, 3);
}

/* A reported PE leaves the cache. */
static void
test_unreachable_purges_cache (Fixture *f, gconstpointer data)
{
  f->cfg.stale_cache = 60 * SIM_S;
  start_pu (f);
  resolve_at (f, 1 * SIM_S);
  tep_run_until (&f->r, 2 * SIM_S);
  pu_pe_tried (f->pu, 0x11111111);
  pu_report_unreachable (f->pu, 0x11111111);
  resolve_at (f, 3 * SIM_S);
  tep_run_until (&f->r, 4 * SIM_S);
  g_assert_cmpuint (tep_count (&f->r, CODEC_ASAP_HANDLE_RESOLUTION), ==, 2);
  g_assert_cmpuint (pu_stats (f->pu)->cache_hits, ==, 0);
  g_assert_cmpuint (g_array_index (f->firsts, guint32, 1), ==, 0x22222222);
}

/*
 * pu-report-limit (RFC 5355 §2.13.3): at most 2 reports in any 10 s. Six
 * failure events at 1, 2, 3, 11, 11.5 and 12 s: the third is held back
 * (two sent within 10 s before it), the fourth goes (the oldest, at 1 s,
 * is 10 s old), the fifth is held back, the sixth goes (2 s + 10 s).
 */
static void
test_unreachable_limit (Fixture *f, gconstpointer data)
{
  f->cfg.max_eu_reports = 2;
  f->cfg.eu_window = 10 * SIM_S;
  start_pu (f);
  const SimTime at[] = { 1 * SIM_S, 2 * SIM_S, 3 * SIM_S, 11 * SIM_S, 11 * SIM_S + SIM_S / 2, 12 * SIM_S };
  const gboolean sent[] = { TRUE, TRUE, FALSE, TRUE, FALSE, TRUE };
  for (guint i = 0; i < G_N_ELEMENTS (at); i++)
    {
      tep_run_until (&f->r, at[i]);
      guint32 id = i % 2 == 0 ? 0x11111111 : 0x22222222;
      pu_pe_tried (f->pu, id);
      g_assert_cmpint (pu_report_unreachable (f->pu, id), ==, sent[i]);
      g_assert_false (pu_report_unreachable (f->pu, id));   /* still one report per failure event */
    }
  tep_run_until (&f->r, 13 * SIM_S);
  g_assert_cmpuint (tep_count (&f->r, CODEC_ASAP_ENDPOINT_UNREACHABLE), ==, 4);
  g_assert_cmpint (tep_nth (&f->r, CODEC_ASAP_ENDPOINT_UNREACHABLE, 2)->t, ==, 11 * SIM_S + TEP_X);
  g_assert_cmpint (tep_nth (&f->r, CODEC_ASAP_ENDPOINT_UNREACHABLE, 3)->t, ==, 12 * SIM_S + TEP_X);
  g_assert_cmpuint (pu_stats (f->pu)->unreachable_sent, ==, 4);
  g_assert_cmpuint (pu_stats (f->pu)->unreachable_limited, ==, 2);
  g_assert_cmpuint (pu_stats (f->pu)->unreachable_suppressed, ==, 6);
}

/* Without a limit (the default) the same six events send six reports. */
static void
test_unreachable_no_limit (Fixture *f, gconstpointer data)
{
  g_assert_cmpuint (f->cfg.max_eu_reports, ==, 0);
  start_pu (f);
  for (guint i = 0; i < 6; i++)
    {
      tep_run_until (&f->r, (SimTime) (i + 1) * SIM_S);
      pu_pe_tried (f->pu, 0x11111111);
      g_assert_true (pu_report_unreachable (f->pu, 0x11111111));
    }
  tep_run_until (&f->r, 8 * SIM_S);
  g_assert_cmpuint (tep_count (&f->r, CODEC_ASAP_ENDPOINT_UNREACHABLE), ==, 6);
  g_assert_cmpuint (pu_stats (f->pu)->unreachable_limited, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add ("/models/pu/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("resolution/answer", test_resolution_answer);
  ADD ("resolution/t1-retransmit-then-hunt", test_resolution_t1);
  ADD ("resolution/empty", test_resolution_empty);
  ADD ("cache/hit-then-stale", test_cache_stale);
  ADD ("cache/none", test_cache_none);
  ADD ("unreachable/once-per-failure", test_unreachable_once);
  ADD ("unreachable/purges-cache", test_unreachable_purges_cache);
  ADD ("unreachable/report-limit", test_unreachable_limit);
  ADD ("unreachable/no-limit-by-default", test_unreachable_no_limit);
  return g_test_run ();
}
