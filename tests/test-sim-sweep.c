/*
 * tests/test-sim-sweep.c - `poolsim sweep` through the built binary: the same
 * rows with -j 1, -j 2, in-process `run`, and a plan run by GNU Parallel and
 * merged; resuming after Ctrl-C and after SIGKILL of the whole sweep gives
 * the rows of an uninterrupted sweep; a failing run and a crashing worker are
 * recorded as failed without stopping the sweep; the plan's exact text.
 */
#include "config.h"

#include "tests/testutil.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
  char *dir;
  char *scenario;
  char *poolsim;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = testutil_tmpdir ();
  f->scenario = testutil_srcpath ("scenarios/examples/mm1.ini");
  f->poolsim = testutil_poolsim ();
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  testutil_rmtree (f->dir);
  g_free (f->dir);
  g_free (f->scenario);
  g_free (f->poolsim);
}

static char *
path (Fixture *f, const char *name)
{
  return g_build_filename (f->dir, name, NULL);
}

static void
child_setup_pgid (gpointer data)
{
  setpgid (0, 0); /* a process group of its own, as a shell job has */
}

/* Start `poolsim ARGS...` in its own process group in the test's folder; stdout and stderr to files there. */
static GSubprocess *
spawn (Fixture *f, const char *const *args)
{
  g_autoptr (GSubprocessLauncher) l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *out = path (f, "stdout.txt");
  g_autofree char *err = path (f, "stderr.txt");
  g_subprocess_launcher_set_cwd (l, f->dir);
  /* the launcher opens these without truncating them */
  g_unlink (out);
  g_unlink (err);
  g_subprocess_launcher_set_stdout_file_path (l, out);
  g_subprocess_launcher_set_stderr_file_path (l, err);
  g_subprocess_launcher_set_child_setup (l, child_setup_pgid, NULL, NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, f->poolsim);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  GError *error = NULL;
  GSubprocess *p = g_subprocess_launcher_spawnv (l, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  return p;
}

static char *
slurp (Fixture *f, const char *name)
{
  g_autofree char *p = path (f, name);
  char *text = NULL;
  g_assert_true (g_file_get_contents (p, &text, NULL, NULL));
  return text;
}

/* Run `poolsim ARGS...` to the end; returns its exit status; *out and *err (nullable) get its output. */
static int
poolsim (Fixture *f, const char *const *args, char **out, char **err)
{
  g_autoptr (GSubprocess) p = spawn (f, args);
  GError *error = NULL;
  g_assert_true (g_subprocess_wait (p, NULL, &error));
  g_assert_no_error (error);
  if (out != NULL)
    *out = slurp (f, "stdout.txt");
  if (err != NULL)
    *err = slurp (f, "stderr.txt");
  g_assert_true (g_subprocess_get_if_exited (p));
  return g_subprocess_get_exit_status (p);
}

/* Sweep config `config` into `db` with `jobs` workers and return the result rows. */
static char *
sweep (Fixture *f, const char *config, const char *jobs, const char *db, const char *const *sets)
{
  g_autofree char *db_path = path (f, db);
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  const char *base[] = { "sweep", f->scenario, "-c", config, jobs, "--db", db_path };
  for (guint i = 0; i < G_N_ELEMENTS (base); i++)
    g_ptr_array_add (args, (gpointer) base[i]);
  for (guint i = 0; sets != NULL && sets[i] != NULL; i++)
    {
      g_ptr_array_add (args, "--set");
      g_ptr_array_add (args, (gpointer) sets[i]);
    }
  g_ptr_array_add (args, NULL);
  g_autofree char *out = NULL, *err = NULL;
  int status = poolsim (f, (const char *const *) args->pdata, &out, &err);
  if (status != 0)
    g_error ("poolsim sweep exited with %d: %s", status, err);
  g_assert_cmpstr (err, ==, ""); /* not a terminal: no progress */
  return testutil_dump_results (db_path);
}

/* -j 1, -j 2 and an in-process `run` of the same config give identical rows. */
static void
test_jobs_identical (Fixture *f, gconstpointer data)
{
  g_autofree char *j1 = sweep (f, "Short", "-j1", "j1.db", NULL);
  g_autofree char *j2 = sweep (f, "Short", "-j2", "j2.db", NULL);
  g_autofree char *db = path (f, "run.db");
  GError *error = NULL;
  g_assert_true (testutil_run_in_process (f->scenario, "Short", NULL, db, &error));
  g_assert_no_error (error);
  g_autofree char *in_process = testutil_dump_results (db);
  g_assert_cmpuint (strlen (j1), >, 10000);
  g_assert_nonnull (strstr (j1, "Short|29|"));
  g_assert_cmpstr (j1, ==, in_process);
  g_assert_cmpstr (j2, ==, in_process);
}

static guint
count_lines (const char *text)
{
  guint n = 0;
  for (const char *p = text; *p != '\0'; p++)
    n += *p == '\n';
  return n;
}

/*
 * The plan has one `poolsim run` per run; GNU Parallel runs it on localhost
 * (-j 2) into 30 shards; merging them gives the rows of `sweep -j 2`.
 */
static void
test_plan_parallel_merge (Fixture *f, gconstpointer data)
{
  g_autofree char *parallel = g_find_program_in_path ("parallel");
  if (parallel == NULL)
    {
      g_test_skip ("GNU Parallel is not installed (Debian package parallel)");
      return;
    }
  g_autofree char *shards = path (f, "shards");
  const char *plan_args[] = { "sweep", f->scenario, "-c", "Short", "--plan", "--shard-dir", shards, NULL };
  g_autofree char *plan = NULL;
  g_assert_cmpint (poolsim (f, plan_args, &plan, NULL), ==, 0);
  g_assert_cmpuint (count_lines (plan), ==, 30);
  g_autofree char *plan_file = path (f, "plan.txt");
  g_assert_true (g_file_set_contents (plan_file, plan, -1, NULL));

  g_autoptr (GSubprocessLauncher) l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_cwd (l, f->dir);
  g_subprocess_launcher_set_stdin_file_path (l, plan_file);
  GError *error = NULL;
  g_autoptr (GSubprocess) p = g_subprocess_launcher_spawn (l, &error, parallel, "--will-cite", "--halt", "now,fail=1",
                                                           "-j", "2", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (p, NULL, &error));
  g_assert_no_error (error);

  g_autoptr (GPtrArray) merge = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (merge, g_strdup ("merge"));
  g_ptr_array_add (merge, path (f, "merged.db"));
  for (guint r = 0; r < 30; r++)
    g_ptr_array_add (merge, g_strdup_printf ("%s/shard-Short-%u.db", shards, r));
  g_ptr_array_add (merge, NULL);
  g_autofree char *out = NULL;
  g_assert_cmpint (poolsim (f, (const char *const *) merge->pdata, &out, NULL), ==, 0);
  g_assert_true (g_str_has_suffix (out, ": 30 shards merged: 30 complete runs added, 0 replacing failed runs, "
                                        "0 already there; 0 failed runs added, 0 not (a row exists)\n"));
  g_autofree char *merged_db = path (f, "merged.db");
  g_autofree char *merged = testutil_dump_results (merged_db);
  g_autofree char *j2 = sweep (f, "Short", "-j2", "j2.db", NULL);
  g_assert_cmpstr (merged, ==, j2);
}

/* The plan's lines, exactly: the binary's absolute path, words quoted only where the shell needs it. */
static void
test_plan_text (Fixture *f, gconstpointer data)
{
  const char *args[] = { "sweep", f->scenario, "-c", "Short", "--plan", "--shard-dir", "out dir",
                         "--set", "mm1.service=exponential(2s)", "--set", "repeat=1", NULL };
  g_autofree char *plan = NULL;
  g_assert_cmpint (poolsim (f, args, &plan, NULL), ==, 0);
  g_autofree char *exe = realpath (f->poolsim, NULL);
  g_autoptr (GString) want = g_string_new (NULL);
  for (guint r = 0; r < 3; r++)
    g_string_append_printf (want, "%s run %s -c Short -r %u --db 'out dir/shard-Short-%u.db'"
                            " --set 'mm1.service=exponential(2s)' --set repeat=1\n", exe, f->scenario, r, r);
  g_assert_cmpstr (plan, ==, want->str);
  g_autofree char *dir = path (f, "out dir");
  g_assert_true (g_file_test (dir, G_FILE_TEST_IS_DIR));
}

static int
sql_int (const char *db, const char *query)
{
  sqlite3 *h = NULL;
  g_assert_cmpint (sqlite3_open_v2 (db, &h, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (h, 10000);
  sqlite3_stmt *st = NULL;
  int n = -1;
  if (sqlite3_prepare_v2 (h, query, -1, &st, NULL) == SQLITE_OK && sqlite3_step (st) == SQLITE_ROW)
    n = sqlite3_column_int (st, 0);
  sqlite3_finalize (st);
  sqlite3_close (h);
  return n;
}

/* Wait until the database has at least `n` complete runs (the schema may not exist yet). */
static void
wait_complete (const char *db, int n, GSubprocess *p)
{
  for (int i = 0; i < 3000; i++)
    {
      if (g_file_test (db, G_FILE_TEST_EXISTS)
          && sql_int (db, "SELECT count(*) FROM run WHERE status = 'complete'") >= n)
        return;
      if (g_subprocess_get_identifier (p) == NULL)
        g_error ("the sweep ended before %d runs were complete", n);
      g_usleep (5000);
    }
  g_error ("%s: no %d complete runs after 15 s", db, n);
}

/* The resume tests' sweeps: the General config at its full length (30 runs of about 50 ms: long enough that a
 * loaded machine cannot finish the sweep between the third complete run and the signal). */
#define RESUME_LIMIT "sim-time-limit=140h"

/* The rows of the uninterrupted sweep, computed once for the resume tests. */
static const char *
uninterrupted (Fixture *f)
{
  static char *rows;
  const char *sets[] = { RESUME_LIMIT, NULL };
  if (rows == NULL)
    rows = sweep (f, "General", "-j2", "whole.db", sets);
  return rows;
}

/*
 * Interrupt a sweep of the General config (30 short runs, -j 2)
 * after a few runs, with `sig` to its whole process group (Ctrl-C) or to
 * the sweep alone; then run the same command again. Returns the resumed
 * database's rows; *first_err is the interrupted sweep's stderr.
 */
static char *
interrupt_and_resume (Fixture *f, int sig, gboolean group, int *status, char **first_err, char **second_out)
{
  g_autofree char *db = path (f, "resume.db");
  const char *args[] = { "sweep", f->scenario, "-j", "2", "--db", db, "--set", RESUME_LIMIT, NULL };
  g_autoptr (GSubprocess) p = spawn (f, args);
  wait_complete (db, 3, p);
  const char *id = g_subprocess_get_identifier (p);
  g_assert_nonnull (id); /* still running */
  pid_t pid = atoi (id);
  g_assert_cmpint (kill (group ? -pid : pid, sig), ==, 0);
  GError *error = NULL;
  g_assert_true (g_subprocess_wait (p, NULL, &error));
  g_assert_no_error (error);
  *status = g_subprocess_get_status (p);
  *first_err = slurp (f, "stderr.txt");
  int complete = sql_int (db, "SELECT count(*) FROM run WHERE status = 'complete'");
  g_assert_cmpint (complete, >=, 3);
  g_assert_cmpint (complete, <, 30); /* stopped mid-way */
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM run WHERE status <> 'complete'"), ==, 0);
  g_assert_cmpint (poolsim (f, args, second_out, NULL), ==, 0);
  g_autofree char *skipped = g_strdup_printf ("config General: %d runs complete, %d skipped (already complete), "
                                              "0 failed", 30 - complete, complete);
  if (strstr (*second_out, skipped) == NULL)
    g_error ("resumed sweep: expected \"%s\" in its output:\n%s\nthe interrupted one said:\n%s", skipped,
             *second_out, *first_err);
  return testutil_dump_results (db);
}

/*
 * Ctrl-C (SIGINT to the process group) stops the sweep with status 130 and a
 * message; the cancelled runs leave nothing, and the same command resumes to
 * exactly the rows of an uninterrupted sweep.
 */
static void
test_resume_after_sigint (Fixture *f, gconstpointer data)
{
  int status;
  g_autofree char *err = NULL, *out = NULL;
  g_autofree char *resumed = interrupt_and_resume (f, SIGINT, TRUE, &status, &err, &out);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 130);
  g_assert_true (g_str_has_prefix (err, "poolsim sweep: interrupted (Interrupt): "));
  g_assert_true (g_str_has_suffix (err, " not run; run the same command again to resume\n"));
  g_assert_null (strstr (err, "killed by signal"));
  g_assert_cmpstr (resumed, ==, uninterrupted (f));
}

/* SIGKILL of the sweep and all its workers loses only the runs in progress; a rerun completes the rows. */
static void
test_resume_after_sigkill (Fixture *f, gconstpointer data)
{
  int status;
  g_autofree char *err = NULL, *out = NULL;
  g_autofree char *resumed = interrupt_and_resume (f, SIGKILL, TRUE, &status, &err, &out);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGKILL);
  g_assert_cmpstr (resumed, ==, uninterrupted (f));
}

/* SIGTERM to the sweep alone stops its workers too (status 143); the rerun completes the rows. */
static void
test_resume_after_sigterm (Fixture *f, gconstpointer data)
{
  int status;
  g_autofree char *err = NULL, *out = NULL;
  g_autofree char *resumed = interrupt_and_resume (f, SIGTERM, FALSE, &status, &err, &out);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 143);
  g_assert_true (g_str_has_prefix (err, "poolsim sweep: interrupted (Terminated): "));
  g_assert_cmpstr (resumed, ==, uninterrupted (f));
}

/*
 * Runs the model refuses (a warm-up as long as the run) are recorded as
 * failed with their error; the others complete; the exit status is 1. A
 * rerun skips the complete runs and tries the failed ones again.
 */
static void
test_failing_runs (Fixture *f, gconstpointer data)
{
  g_autofree char *db = path (f, "fail.db");
  const char *args[] = { "sweep", f->scenario, "-c", "Short", "-j", "2", "--db", db,
                         "--set", "warmup-period=${w=10min,8h}", "--set", "repeat=2", NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (poolsim (f, args, &out, &err), ==, 1);
  g_assert_nonnull (strstr (out, "config Short: 6 runs complete, 0 skipped (already complete), 6 failed"));
  g_autofree char *message = g_strdup_printf ("%s: run 2: warmup-period (28800 s) is not shorter than "
                                              "sim-time-limit (25200 s): the M/M/1 model would measure nothing",
                                              f->scenario);
  g_autofree char *line = g_strdup_printf ("poolsim sweep: %s\n", message);
  g_assert_nonnull (strstr (err, line));
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM run WHERE status = 'complete'"), ==, 6);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM run WHERE status = 'failed' AND run_number % 4 >= 2"
                                " AND error LIKE '%the M/M/1 model would measure nothing'"), ==, 6);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM scalar JOIN run ON run.id = scalar.run_id"
                                " WHERE run.status = 'failed'"), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (poolsim (f, args, &out, NULL), ==, 1);
  g_assert_nonnull (strstr (out, "config Short: 0 runs complete, 6 skipped (already complete), 6 failed"));
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM run"), ==, 12);
}

/*
 * The pid of the sweep's worker, from /proc, or NULL while there is none: the
 * sweep's children are its keeper (the first) and, with -j 1, one worker.
 */
static char *
worker_of (GSubprocess *p)
{
  const char *pid = g_subprocess_get_identifier (p);
  if (pid == NULL)
    return NULL;
  g_autofree char *file = g_strdup_printf ("/proc/%s/task/%s/children", pid, pid);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (file, &text, NULL, NULL))
    return NULL;
  g_auto (GStrv) pids = g_strsplit (g_strstrip (text), " ", -1);
  return g_strv_length (pids) == 2 ? g_strdup (pids[1]) : NULL;
}

/*
 * A worker that dies (SIGKILL to it alone) takes only its run: the sweep
 * records that run as failed with the signal and completes the others.
 */
static void
test_worker_crash (Fixture *f, gconstpointer data)
{
  g_autofree char *probe = g_strdup_printf ("/proc/%d/task/%d/children", getpid (), getpid ());
  if (!g_file_test (probe, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("/proc does not list child processes");
      return;
    }
  g_autofree char *db = path (f, "crash.db");
  /* 3 runs of about 0.25 s each, one worker: the first is the one killed */
  const char *args[] = { "sweep", f->scenario, "-j", "1", "--db", db, "--set", "repeat=1",
                         "--set", "sim-time-limit=700h", NULL };
  g_autoptr (GSubprocess) p = spawn (f, args);
  g_autofree char *worker = NULL;
  for (int i = 0; i < 2000 && worker == NULL; i++)
    {
      worker = worker_of (p);
      g_usleep (1000);
    }
  g_assert_nonnull (worker);
  g_assert_cmpint (kill (atoi (worker), SIGKILL), ==, 0);
  GError *error = NULL;
  g_assert_true (g_subprocess_wait (p, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 1);
  g_autofree char *out = slurp (f, "stdout.txt");
  g_assert_nonnull (strstr (out, "config General: 2 runs complete, 0 skipped (already complete), 1 failed"));
  g_autofree char *err = slurp (f, "stderr.txt");
  g_autofree char *want = g_strdup_printf ("poolsim sweep: %s: run 0: the run's process was killed by signal 9 "
                                           "(Killed)\n", f->scenario);
  g_assert_cmpstr (err, ==, want);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM run WHERE run_number = 0 AND status = 'failed'"
                                " AND error LIKE '%killed by signal 9 (Killed)'"), ==, 1);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM run WHERE status = 'complete'"), ==, 2);
}

/* Bad option combinations are usage errors (status 2) that say what is wrong. */
static void
test_usage (Fixture *f, gconstpointer data)
{
  static const struct {
    const char *args[8];
    const char *err;
  } cases[] = {
    { { "sweep", "SC", "-j", "0" }, "poolsim sweep: -j takes a positive number of workers\n" },
    { { "sweep", "SC", "--plan", "--db", "x.db" }, "poolsim sweep: --plan writes one shard per run (--shard-dir), "
                                                   "not --db\n" },
    { { "sweep", "SC", "--shard-dir", "d" }, "poolsim sweep: --shard-dir goes with --plan\n" },
    { { "sweep" }, "poolsim sweep: give one scenario file (see poolsim sweep --help)\n" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *args[8] = { NULL };
      for (guint a = 0; cases[i].args[a] != NULL; a++)
        args[a] = strcmp (cases[i].args[a], "SC") == 0 ? f->scenario : cases[i].args[a];
      g_autofree char *err = NULL;
      g_assert_cmpint (poolsim (f, args, NULL, &err), ==, 2);
      g_assert_cmpstr (err, ==, cases[i].err);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add ("/sim/sweep/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("jobs-identical", test_jobs_identical);
  ADD ("plan/parallel-merge", test_plan_parallel_merge);
  ADD ("plan/text", test_plan_text);
  ADD ("resume/sigint", test_resume_after_sigint);
  ADD ("resume/sigkill", test_resume_after_sigkill);
  ADD ("resume/sigterm", test_resume_after_sigterm);
  ADD ("failing-runs", test_failing_runs);
  ADD ("worker-crash", test_worker_crash);
  ADD ("usage", test_usage);
#undef ADD
  return g_test_run ();
}
