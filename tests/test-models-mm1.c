/*
 * tests/test-models-mm1.c - the M/M/1 validation: the kernel, RNG streams,
 * scenario sweeps and results store, end to end, against queueing theory.
 *
 * scenarios/examples/mm1.ini sweeps rho over {0.5, 0.8, 0.9} with 10
 * repetitions and exponential service of mean 1 s (mu = 1/s). The test runs
 * it twice: as the file says (140 simulated hours per run), where theory must
 * lie within the 95 % confidence interval of the mean over the repetitions,
 * and 10 times longer (1400 h, about 4.5 million customers per run at
 * rho = 0.9), where the mean must be within 2 % of theory. (Asserting the
 * 95 % interval for many metrics at once would fail by design now and then:
 * each check alone is wrong 5 % of the time.)
 */
#include "config.h"

#include "results/report.h"
#include "tests/testutil.h"

#include <math.h>

static char *tmpdir;
static char *db_as_shipped;  /* the scenario as the file says: 140 h per run */
static char *db_long;        /* 1400 h per run */

static const char *
run_once (char **db, const char *name, const char *const *sets)
{
  if (*db != NULL)
    return *db;
  if (tmpdir == NULL)
    tmpdir = testutil_tmpdir ();
  *db = g_build_filename (tmpdir, name, NULL);
  g_autofree char *scenario = testutil_srcpath ("scenarios/examples/mm1.ini");
  g_autoptr (GError) error = NULL;
  g_assert_true (testutil_run_in_process (scenario, "General", sets, *db, &error));
  g_assert_no_error (error);
  return *db;
}

static const char *
as_shipped (void)
{
  return run_once (&db_as_shipped, "mm1.db", NULL);
}

static const char *
long_runs (void)
{
  static const char *const sets[] = { "sim-time-limit=1400h", NULL };
  return run_once (&db_long, "mm1-long.db", sets);
}

/* Mean over the 10 repetitions and its 95 % CI; theory must lie within `ci` x the half-width, and within `rel`. */
static void
assert_matches (GArray *values, double theory, double ci, double rel, const char *what)
{
  ResultsReportSummary s;
  g_assert_cmpuint (values->len, ==, 10);
  results_report_summarize ((const double *) values->data, values->len, &s);
  g_test_message ("%s: mean %.6f +- %.6f (95 %% CI), theory %.6f, error %.3f %%", what, s.mean, s.ci95,
                  theory, 100 * (s.mean - theory) / theory);
  g_assert_cmpfloat (fabs (s.mean - theory), <=, ci * s.ci95);
  g_assert_cmpfloat (fabs (s.mean - theory) / theory, <=, rel);
}

static double
theory_w (double rho)
{
  double mu = 1.0, lambda = rho * mu;
  return rho / (mu - lambda);
}

/* As shipped: W = rho / (mu - lambda) lies within the 95 % CI of the mean waiting time (and within 5 %). */
static void
test_waiting_time_ci (gconstpointer data)
{
  g_autoptr (GArray) w = testutil_statistic_means (as_shipped (), "mm1.waiting_time", "rho", data);
  assert_matches (w, theory_w (g_ascii_strtod (data, NULL)), 1.0, 0.05, "W (140 h)");
}

/* As shipped: U = rho lies within the 95 % CI of the mean utilization. */
static void
test_utilization_ci (gconstpointer data)
{
  g_autoptr (GArray) u = testutil_scalar_values (as_shipped (), "mm1.utilization", "rho", data);
  assert_matches (u, g_ascii_strtod (data, NULL), 1.0, 0.01, "U (140 h)");
}

/* Long runs: the mean waiting time is within 2 % of W. */
static void
test_waiting_time_long (gconstpointer data)
{
  g_autoptr (GArray) w = testutil_statistic_means (long_runs (), "mm1.waiting_time", "rho", data);
  assert_matches (w, theory_w (g_ascii_strtod (data, NULL)), G_MAXDOUBLE, 0.02, "W (1400 h)");
}

/* Long runs: the utilization is within 2 % of rho. */
static void
test_utilization_long (gconstpointer data)
{
  g_autoptr (GArray) u = testutil_scalar_values (long_runs (), "mm1.utilization", "rho", data);
  assert_matches (u, g_ascii_strtod (data, NULL), G_MAXDOUBLE, 0.02, "U (1400 h)");
}

/* Long runs: the time-averaged queue length is within 2 % of Lq = rho^2 / (1 - rho) (Little's law on W). */
static void
test_queue_length_long (gconstpointer data)
{
  double rho = g_ascii_strtod (data, NULL);
  g_autoptr (GArray) lq = testutil_scalar_values (long_runs (), "mm1.queue_length.mean", "rho", data);
  assert_matches (lq, rho * rho / (1 - rho), G_MAXDOUBLE, 0.02, "Lq (1400 h)");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  static const char *const rhos[] = { "0.5", "0.8", "0.9" };
  for (guint i = 0; i < G_N_ELEMENTS (rhos); i++)
    {
      static const struct { const char *path; GTestDataFunc fn; } tests[] = {
        { "waiting-time-in-ci", test_waiting_time_ci },
        { "utilization-in-ci", test_utilization_ci },
        { "waiting-time-long-2pc", test_waiting_time_long },
        { "utilization-long-2pc", test_utilization_long },
        { "queue-length-long-2pc", test_queue_length_long },
      };
      for (guint t = 0; t < G_N_ELEMENTS (tests); t++)
        {
          g_autofree char *path = g_strdup_printf ("/models/mm1/%s/rho-%s", tests[t].path, rhos[i]);
          g_test_add_data_func (path, rhos[i], tests[t].fn);
        }
    }
  int rc = g_test_run ();
  if (tmpdir != NULL)
    testutil_rmtree (tmpdir);
  g_free (tmpdir);
  g_free (db_as_shipped);
  g_free (db_long);
  return rc;
}
