/*
 * tests/test-sim-cli.c - the poolsim command as users meet it: exit statuses,
 * error messages with file:line:key, run listing, resume, catalogues.
 */
#include "config.h"

#include "tests/testutil.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct {
  int status;   /* exit status */
  char *out;
  char *err;
} Result;

static void
result_clear (Result *r)
{
  g_free (r->out);
  g_free (r->err);
}

/* Run poolsim with the given arguments (NULL-terminated). */
static Result
poolsim (const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (argv, testutil_poolsim ());
  va_list ap;
  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, g_strdup (a));
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  Result r = { 0 };
  int wait = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &r.out, &r.err,
                               &wait, &error));
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (wait));
  r.status = WEXITSTATUS (wait);
  return r;
}

static char *
write_file (const char *dir, const char *name, const char *text)
{
  char *path = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

/* A mistyped key: exit 2, message "poolsim: FILE:LINE: KEY: unknown key (did you mean ...)". */
static void
test_unknown_key_exit_2 (void)
{
  g_autofree char *dir = testutil_tmpdir ();
  g_autofree char *ini = write_file (dir, "bad.ini", "[General]\nmodel = mm1\n\nmm1.lod = 0.5\n");
  g_autofree char *db = g_build_filename (dir, "r.db", NULL);
  Result r = poolsim ("run", ini, "--db", db, NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_autofree char *expect = g_strdup_printf ("poolsim: %s:4: mm1.lod: unknown key (did you mean 'mm1.load'?)\n", ini);
  g_assert_cmpstr (r.err, ==, expect);
  g_assert_false (g_file_test (db, G_FILE_TEST_EXISTS));
  result_clear (&r);
  testutil_rmtree (dir);
}

/* A bad unit in --set: exit 2 before anything runs, and no database is created. */
static void
test_bad_unit_in_set_exit_2 (void)
{
  g_autofree char *dir = testutil_tmpdir ();
  g_autofree char *ini = testutil_srcpath ("scenarios/examples/mm1.ini");
  g_autofree char *db = g_build_filename (dir, "r.db", NULL);
  Result r = poolsim ("run", ini, "--set", "sim-time-limit=10", "--db", db, NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_cmpstr (r.err, ==,
                   "poolsim: --set: sim-time-limit: '10' has no unit; a time needs one of: ns, us, ms, s, min, h\n");
  g_assert_false (g_file_test (db, G_FILE_TEST_EXISTS));
  result_clear (&r);
  testutil_rmtree (dir);
}

/* An unknown config: exit 2 with the list of configs. */
static void
test_unknown_config_exit_2 (void)
{
  g_autofree char *ini = testutil_srcpath ("scenarios/examples/mm1.ini");
  Result r = poolsim ("run", ini, "-c", "Long", "-q", "runs", NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_autofree char *expect = g_strdup_printf ("poolsim: %s: no config 'Long' (configs: General, Short)\n", ini);
  g_assert_cmpstr (r.err, ==, expect);
  result_clear (&r);
}

/* -q runs lists every run with its variables and seed; -q numruns counts them. */
static void
test_query_runs (void)
{
  g_autofree char *ini = testutil_srcpath ("scenarios/examples/mm1.ini");
  Result r = poolsim ("run", ini, "-q", "runs", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_auto (GStrv) lines = g_strsplit (r.out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 31); /* 30 runs, then "" after the last newline */
  /* Seeds are splitmix64 (run number), checked against an independent implementation. */
  g_assert_cmpstr (lines[0], ==, "Run 0: $rho=0.5, $repetition=0, seed=16294208416658607535");
  g_assert_cmpstr (lines[29], ==, "Run 29: $rho=0.9, $repetition=9, seed=13509472508297990000");
  result_clear (&r);
  Result n = poolsim ("run", ini, "-c", "Short", "-r", "3..7", "-q", "numruns", NULL);
  g_assert_cmpstr (n.out, ==, "5\n");
  result_clear (&n);
}

/* Running the same run twice: the second time it is skipped as complete. */
static void
test_rerun_skips_complete (void)
{
  g_autofree char *dir = testutil_tmpdir ();
  g_autofree char *ini = testutil_srcpath ("scenarios/examples/mm1.ini");
  g_autofree char *db = g_build_filename (dir, "r.db", NULL);
  Result a = poolsim ("run", ini, "-c", "Short", "-r", "0,1", "--db", db, NULL);
  g_assert_cmpint (a.status, ==, 0);
  g_assert_nonnull (strstr (a.out, "config Short: 2 runs complete, 0 skipped (already complete), 0 failed"));
  Result b = poolsim ("run", ini, "-c", "Short", "-r", "0..2", "--db", db, NULL);
  g_assert_cmpint (b.status, ==, 0);
  g_assert_nonnull (strstr (b.out, "config Short: 1 run complete, 2 skipped (already complete), 0 failed"));
  result_clear (&a);
  result_clear (&b);
  testutil_rmtree (dir);
}

/* check expands every run of every config. */
static void
test_check (void)
{
  g_autofree char *ini = testutil_srcpath ("scenarios/examples/mm1.ini");
  Result r = poolsim ("check", ini, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_autofree char *expect = g_strdup_printf ("%s: config General: 30 runs ok\n%s: config Short: 30 runs ok\n"
                                             "%s: 2 configs, 60 runs, no errors\n", ini, ini, ini);
  g_assert_cmpstr (r.out, ==, expect);
  result_clear (&r);
}

/* check accepts every scenarios/papers/ *.ini, each with at least one run. */
static void
test_check_papers (void)
{
  g_autofree char *dir = testutil_srcpath ("scenarios/papers");
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  int files = 0;
  for (const char *name = g_dir_read_name (d); name != NULL; name = g_dir_read_name (d))
    {
      if (!g_str_has_suffix (name, ".ini"))
        continue;
      g_autofree char *ini = g_build_filename (dir, name, NULL);
      Result r = poolsim ("check", ini, NULL);
      g_assert_cmpint (r.status, ==, 0);
      g_assert_cmpstr (r.err, ==, "");
      g_assert_nonnull (strstr (r.out, " runs, no errors\n"));
      result_clear (&r);
      files++;
    }
  g_assert_cmpint (files, ==, 8);
}

/* list params documents every key with type, default, range and help. */
static void
test_list_params (void)
{
  Result r = poolsim ("list", "params", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "mm1.load  (number; default: 0.8; [0.001, 0.999])\n    Offered load"));
  g_assert_nonnull (strstr (r.out, "sim-time-limit  (time; default: 0s; >= 0)\n"));
  g_assert_nonnull (strstr (r.out, "model  (enum; default: required; one of: mm1,netload,rserpool)\n"));
  result_clear (&r);
  Result bad = poolsim ("list", "nothing", NULL);
  g_assert_cmpint (bad.status, ==, 2);
  result_clear (&bad);
}

/* list metrics prints the catalogue: name, kind, unit, meaning. */
static void
test_list_metrics (void)
{
  Result r = poolsim ("list", "metrics", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "mm1.utilization  (scalar; 1)\n    Time average of the busy server"));
  g_assert_nonnull (strstr (r.out, "calcapp.utilization  (scalar; 1)\n    PAPERS §1 provider's view"));
  g_assert_nonnull (strstr (r.out, "oracle.detection_time  (statistic; s)\n"));
  g_assert_nonnull (strstr (r.out, "registrar.rx.*  (scalar; 1)\n"));
  result_clear (&r);
}

/* An unknown command: exit 2 and the list of commands. */
static void
test_unknown_command (void)
{
  Result r = poolsim ("frobnicate", NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_true (g_str_has_prefix (r.err, "poolsim: unknown command 'frobnicate'\n"));
  g_assert_nonnull (strstr (r.err, "  run "));
  result_clear (&r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/cli/unknown-key-exit-2", test_unknown_key_exit_2);
  g_test_add_func ("/sim/cli/bad-unit-in-set-exit-2", test_bad_unit_in_set_exit_2);
  g_test_add_func ("/sim/cli/unknown-config-exit-2", test_unknown_config_exit_2);
  g_test_add_func ("/sim/cli/query-runs", test_query_runs);
  g_test_add_func ("/sim/cli/rerun-skips-complete", test_rerun_skips_complete);
  g_test_add_func ("/sim/cli/check", test_check);
  g_test_add_func ("/sim/cli/check-papers", test_check_papers);
  g_test_add_func ("/sim/cli/list-params", test_list_params);
  g_test_add_func ("/sim/cli/list-metrics", test_list_metrics);
  g_test_add_func ("/sim/cli/unknown-command", test_unknown_command);
  return g_test_run ();
}
