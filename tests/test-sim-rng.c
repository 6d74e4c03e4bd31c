/*
 * tests/test-sim-rng.c - named random streams: known answers, independence, moments.
 */
#include "config.h"

#include "sim/rng.h"

#include <math.h>

/* splitmix64 from state 1234567 gives the published reference outputs. */
static void
test_splitmix_known_answer (void)
{
  guint64 st = 1234567;
  g_assert_cmpuint (sim_rng_splitmix64 (&st), ==, G_GUINT64_CONSTANT (6457827717110365317));
  g_assert_cmpuint (sim_rng_splitmix64 (&st), ==, G_GUINT64_CONSTANT (3203168211198807973));
  g_assert_cmpuint (sim_rng_splitmix64 (&st), ==, G_GUINT64_CONSTANT (9817491932198370423));
}

/* xoshiro256** from the state {1,2,3,4} gives the reference sequence of its authors' code. */
static void
test_xoshiro_known_answer (void)
{
  SimRng r = { { 1, 2, 3, 4 } };
  g_assert_cmpuint (sim_rng_next (&r), ==, G_GUINT64_CONSTANT (11520));
  g_assert_cmpuint (sim_rng_next (&r), ==, G_GUINT64_CONSTANT (0));
  g_assert_cmpuint (sim_rng_next (&r), ==, G_GUINT64_CONSTANT (1509978240));
  g_assert_cmpuint (sim_rng_next (&r), ==, G_GUINT64_CONSTANT (1215971899390074240));
}

/* A named stream for a fixed seed always yields the same values (pinned: a change here breaks reproducibility). */
static void
test_stream_known_answer (void)
{
  SimRng r;
  sim_rng_init (&r, 1, "pu/17/interarrival");
  guint64 first = sim_rng_next (&r);
  SimRng again;
  sim_rng_init_fmt (&again, 1, "pu/%d/interarrival", 17);
  g_assert_cmpuint (sim_rng_next (&again), ==, first);
  g_assert_true (first == G_GUINT64_CONSTANT (13707650453781518616));
}

/* Drawing from one stream never changes another stream's values. */
static void
test_streams_independent (void)
{
  SimRng a, b, b_alone;
  sim_rng_init (&a, 7, "attack/flood");
  sim_rng_init (&b, 7, "pe/3/service");
  sim_rng_init (&b_alone, 7, "pe/3/service");
  for (int i = 0; i < 1000; i++)
    {
      for (int j = 0; j < i % 5; j++)
        sim_rng_next (&a);
      g_assert_cmpuint (sim_rng_next (&b), ==, sim_rng_next (&b_alone));
    }
  SimRng c, d;
  sim_rng_init (&c, 7, "pe/3/service");
  sim_rng_init (&d, 8, "pe/3/service");
  g_assert_cmpuint (sim_rng_next (&c), !=, sim_rng_next (&d));
}

/* Uniform, exponential, normal and pareto samples have the right mean and variance. */
static void
test_moments (void)
{
  SimRng r;
  sim_rng_init (&r, 99, "test/moments");
  const int n = 1000000;
  double su = 0, su2 = 0, se = 0, se2 = 0, sn = 0, sn2 = 0, sp = 0;
  for (int i = 0; i < n; i++)
    {
      double u = sim_rng_uniform (&r), e = sim_rng_exponential (&r, 2.0);
      double x = sim_rng_normal (&r, 5.0, 3.0), p = sim_rng_pareto (&r, 3.0, 2.0);
      g_assert_true (u >= 0.0 && u < 1.0);
      g_assert_true (e >= 0.0 && p >= 2.0);
      su += u; su2 += u * u; se += e; se2 += e * e; sn += x; sn2 += x * x; sp += p;
    }
  double mu = su / n, me = se / n, mn = sn / n;
  /* Tolerances are about 5 standard errors of each estimate. */
  g_assert_cmpfloat_with_epsilon (mu, 0.5, 0.0015);
  g_assert_cmpfloat_with_epsilon (su2 / n - mu * mu, 1.0 / 12, 0.0005);
  g_assert_cmpfloat_with_epsilon (me, 2.0, 0.01);
  g_assert_cmpfloat_with_epsilon (se2 / n - me * me, 4.0, 0.06);
  g_assert_cmpfloat_with_epsilon (mn, 5.0, 0.015);
  g_assert_cmpfloat_with_epsilon (sn2 / n - mn * mn, 9.0, 0.07);
  g_assert_cmpfloat_with_epsilon (sp / n, 3.0, 0.02); /* alpha xm / (alpha - 1) */
}

/* below(n) is uniform over [0, n): chi-square over 10 cells of 10^6 draws. */
static void
test_below_uniform (void)
{
  SimRng r;
  sim_rng_init (&r, 5, "test/below");
  guint counts[10] = { 0 };
  for (int i = 0; i < 1000000; i++)
    {
      guint64 v = sim_rng_below (&r, 10);
      g_assert_cmpuint (v, <, 10);
      counts[v]++;
    }
  double chi2 = 0;
  for (int c = 0; c < 10; c++)
    chi2 += (counts[c] - 1e5) * (counts[c] - 1e5) / 1e5;
  g_assert_cmpfloat (chi2, <, 27.88); /* 99.9 % quantile for 9 degrees of freedom */
  g_assert_cmpuint (sim_rng_below (&r, 1), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/rng/splitmix-known-answer", test_splitmix_known_answer);
  g_test_add_func ("/sim/rng/xoshiro-known-answer", test_xoshiro_known_answer);
  g_test_add_func ("/sim/rng/stream-known-answer", test_stream_known_answer);
  g_test_add_func ("/sim/rng/streams-independent", test_streams_independent);
  g_test_add_func ("/sim/rng/moments", test_moments);
  g_test_add_func ("/sim/rng/below-uniform", test_below_uniform);
  return g_test_run ();
}
