/*
 * tests/test-models-mm1.c - the M/M/1 validation: the kernel, RNG streams,
 * scenario sweeps and results store, end to end, against queueing theory.
 *
 * scenarios/examples/mm1.ini sweeps rho over {0.5, 0.8, 0.9} with 10
 * repetitions and exponential service of mean 1 s (mu = 1/s); the test runs it
 * 10 times longer than the file (1400 simulated hours per run, about 4.5
 * million customers per run at rho = 0.9) so that the 2 % bound is a real
 * check, not luck.
 */
#include "config.h"

#include "results/report.h"
#include "tests/testutil.h"

#include <math.h>

typedef struct {
  char *dir;
  char *db;
} Fixture;

static Fixture shared;

static void
run_once (void)
{
  if (shared.db != NULL)
    return;
  shared.dir = testutil_tmpdir ();
  shared.db = g_build_filename (shared.dir, "mm1.db", NULL);
  g_autofree char *scenario = testutil_srcpath ("scenarios/examples/mm1.ini");
  const char *sets[] = { "sim-time-limit=1400h", NULL };
  g_autoptr (GError) error = NULL;
  g_assert_true (testutil_run_in_process (scenario, "General", sets, shared.db, &error));
  g_assert_no_error (error);
}

/* Assert that the mean over repetitions is within its 95 % CI of `theory` and within `rel` of it. */
static void
assert_matches (GArray *values, double theory, double rel, const char *what)
{
  ResultsReportSummary s;
  g_assert_cmpuint (values->len, ==, 10);
  results_report_summarize ((const double *) values->data, values->len, &s);
  g_test_message ("%s: mean %.6f +- %.6f (95 %% CI), theory %.6f, error %.3f %%", what, s.mean, s.ci95,
                  theory, 100 * (s.mean - theory) / theory);
  g_assert_cmpfloat (fabs (s.mean - theory), <=, s.ci95);
  g_assert_cmpfloat (fabs (s.mean - theory) / theory, <=, rel);
}

/* Mean waiting time in the queue equals W = rho / (mu - lambda) for each load. */
static void
test_waiting_time (gconstpointer data)
{
  const char *rho_text = data;
  run_once ();
  double rho = g_ascii_strtod (rho_text, NULL), mu = 1.0, lambda = rho * mu;
  g_autoptr (GArray) w = testutil_statistic_means (shared.db, "mm1.waiting_time", "rho", rho_text);
  g_autofree char *what = g_strdup_printf ("W at rho = %s", rho_text);
  assert_matches (w, rho / (mu - lambda), 0.02, what);
}

/* The server's time-averaged utilization equals rho for each load. */
static void
test_utilization (gconstpointer data)
{
  const char *rho_text = data;
  run_once ();
  double rho = g_ascii_strtod (rho_text, NULL);
  g_autoptr (GArray) u = testutil_scalar_values (shared.db, "mm1.utilization", "rho", rho_text);
  g_autofree char *what = g_strdup_printf ("U at rho = %s", rho_text);
  assert_matches (u, rho, 0.02, what);
}

/* The time-averaged queue length equals Lq = rho^2 / (1 - rho) (Little's law applied to W). */
static void
test_queue_length (gconstpointer data)
{
  const char *rho_text = data;
  run_once ();
  double rho = g_ascii_strtod (rho_text, NULL);
  g_autoptr (GArray) lq = testutil_scalar_values (shared.db, "mm1.queue_length.mean", "rho", rho_text);
  g_autofree char *what = g_strdup_printf ("Lq at rho = %s", rho_text);
  assert_matches (lq, rho * rho / (1 - rho), 0.03, what);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  static const char *const rhos[] = { "0.5", "0.8", "0.9" };
  for (guint i = 0; i < G_N_ELEMENTS (rhos); i++)
    {
      g_autofree char *w = g_strdup_printf ("/models/mm1/waiting-time/rho-%s", rhos[i]);
      g_autofree char *u = g_strdup_printf ("/models/mm1/utilization/rho-%s", rhos[i]);
      g_autofree char *l = g_strdup_printf ("/models/mm1/queue-length/rho-%s", rhos[i]);
      g_test_add_data_func (w, rhos[i], test_waiting_time);
      g_test_add_data_func (u, rhos[i], test_utilization);
      g_test_add_data_func (l, rhos[i], test_queue_length);
    }
  int rc = g_test_run ();
  if (shared.dir != NULL)
    testutil_rmtree (shared.dir);
  g_free (shared.dir);
  g_free (shared.db);
  return rc;
}
