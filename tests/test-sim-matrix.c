/*
 * tests/test-sim-matrix.c - `poolsim matrix` through the built binary over
 * the source tree's threat scenarios, on a tiny length: one row per threat
 * and headline metric in section order, the expected columns, every cell
 * filled with n = 2 repetitions; a rerun runs nothing (the sweep's resume)
 * and prints the same table; usage errors.
 */
#include "config.h"

#include "tests/testutil.h"

#include <gio/gio.h>
#include <string.h>

/* Run `poolsim ARGS...`; returns its exit status, stdout and stderr. */
static int
poolsim (const char *const *args, char **out, char **err)
{
  g_autofree char *exe = testutil_poolsim ();
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, exe);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  GError *error = NULL;
  g_autoptr (GSubprocess) p = g_subprocess_newv ((const char *const *) argv->pdata,
                                                 G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                                 &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (p, NULL, NULL, out, err, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (p));
  return g_subprocess_get_exit_status (p);
}

static guint
count (const char *haystack, const char *needle)
{
  guint n = 0;
  for (const char *p = strstr (haystack, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

/* The threat scenarios in section order, with their configs (21 sweeps of 2 runs). */
static void
test_quick_table_and_resume (void)
{
  g_autofree char *dir = testutil_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "matrix.db", NULL);
  g_autofree char *threats = testutil_srcpath ("scenarios/threats");
  /* 5 min of warm-up, 1 measured: the shape of the table, not its numbers */
  const char *args[] = { "matrix", "--quick", "-j", "2", "--db", db, "--scenarios", threats,
                         "--set", "sim-time-limit=6min", NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (poolsim (args, &out, &err), ==, 0);
  g_assert_cmpuint (count (err, "config "), ==, 21);
  g_assert_cmpuint (count (err, ": 2 runs complete, 0 skipped (already complete), 0 failed;"), ==, 21);

  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + 10 + 1);  /* header, 2 per scenario, "" after the last \n */
  g_assert_cmpstr (lines[11], ==, "");
  g_assert_true (g_str_has_prefix (lines[0], "threat"));
  const char *header[] = { "metric", "no attack", "attack", "mitigation 1", "mitigation 2", "mitigation 3",
                           "mitigation 4" };
  const char *at = lines[0];
  for (guint i = 0; i < G_N_ELEMENTS (header); i++)
    {
      const char *next = strstr (at, header[i]);
      g_assert_nonnull (next);
      at = next + strlen (header[i]);
    }
  g_assert_cmpstr (at, ==, "");
  static const struct {
    const char *threat;  /* NULL: the threat's second row */
    const char *metric;
    const char *mitigations[4];
  } rows[] = {
    /* 2.1-deregistration-flood.ini (the churn), then 2.1-registration-flood.ini */
    { "§2.1 ", "calcapp.handling_speed", { "one-pe-per-credential: ", "registration-rate-limit: ", NULL, NULL } },
    { NULL, "oracle.hs.bogus", { "one-pe-per-credential: ", "registration-rate-limit: ", NULL, NULL } },
    { "§2.1 ", "calcapp.handling_speed",
      { "one-pe-per-credential: ", "max-bad-pe-report-1: ", "registration-rate-limit: ", "pu-report-limit: " } },
    { NULL, "oracle.hs.bogus",
      { "one-pe-per-credential: ", "max-bad-pe-report-1: ", "registration-rate-limit: ", "pu-report-limit: " } },
    { "§2.3 ", "calcapp.handling_speed", { "address-binding: ", NULL, NULL, NULL } },
    { NULL, "oracle.hs.hijacked", { "address-binding: ", NULL, NULL, NULL } },
    { "§2.13 ", "calcapp.handling_speed",
      { "registrar-rate-limits: ", "probe-before-remove: ", "pu-report-limit: ", NULL } },
    { NULL, "oracle.hs.missing", { "registrar-rate-limits: ", "probe-before-remove: ", "pu-report-limit: ", NULL } },
    { "§2.14 ", "calcapp.handling_speed", { "keep-alive-rate-limit: ", NULL, NULL, NULL } },
    { NULL, "oracle.cpu.utilization", { "keep-alive-rate-limit: ", NULL, NULL, NULL } },
  };
  for (guint r = 0; r < G_N_ELEMENTS (rows); r++)
    {
      const char *line = lines[1 + r];
      if (rows[r].threat != NULL)
        g_assert_true (g_str_has_prefix (line, rows[r].threat));
      else
        g_assert_true (g_str_has_prefix (line, " "));
      g_assert_nonnull (strstr (line, rows[r].metric));
      guint configs = 2;
      for (guint m = 0; m < 4; m++)
        if (rows[r].mitigations[m] != NULL)
          {
            g_assert_nonnull (strstr (line, rows[r].mitigations[m]));
            configs++;
          }
      /* every config's cell: two repetitions, a confidence interval */
      g_assert_cmpuint (count (line, " (n=2)"), ==, configs);
      g_assert_cmpuint (count (line, " ± "), ==, configs);
    }

  /* The same command again: every run is skipped, the table is the same. */
  g_autofree char *out2 = NULL, *err2 = NULL;
  g_assert_cmpint (poolsim (args, &out2, &err2), ==, 0);
  g_assert_cmpuint (count (err2, ": 0 runs complete, 2 skipped (already complete), 0 failed;"), ==, 21);
  g_assert_cmpstr (out2, ==, out);
  testutil_rmtree (dir);
}

static void
test_usage_errors (void)
{
  const char *both[] = { "matrix", "--quick", "--paper", NULL };
  const char *jobs[] = { "matrix", "-j", "0", NULL };
  const char *extra[] = { "matrix", "x.ini", NULL };
  const char *nodir[] = { "matrix", "--scenarios", "/nonexistent/threats", NULL };
  const char *const *cases[] = { both, jobs, extra, nodir };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = NULL, *err = NULL;
      g_assert_cmpint (poolsim (cases[i], &out, &err), ==, 2);
      g_assert_cmpstr (out, ==, "");
      g_assert_cmpstr (err, !=, "");
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/matrix/quick-table-and-resume", test_quick_table_and_resume);
  g_test_add_func ("/sim/matrix/usage-errors", test_usage_errors);
  return g_test_run ();
}
