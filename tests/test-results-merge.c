/*
 * tests/test-results-merge.c - merging shard databases: what is copied
 * (exactly, bit for bit), idempotence, failed runs, and the shards refused
 * (another scenario digest, another poolsim version, another program's file,
 * another schema, OUT itself), also through `poolsim merge`.
 */
#include "config.h"

#include "results/merge.h"
#include "results/store.h"
#include "tests/testutil.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

#define DIGEST_A "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define DIGEST_B "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"

typedef struct {
  char *dir;
  char *out;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = testutil_tmpdir ();
  f->out = g_build_filename (f->dir, "out.db", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  testutil_rmtree (f->dir);
  g_free (f->out);
  g_free (f->dir);
}

/*
 * Write one run of scenario "s.ini" config "General" into the database at
 * path: a variable, a scalar (with -0.0 and NaN cases), a statistic and a
 * vector whose values derive from the run number, or a failure.
 */
static void
write_run (const char *path, const char *digest, guint run_number, const char *failure)
{
  GError *err = NULL;
  g_autoptr (ResultsStore) store = results_store_open (path, &err);
  g_assert_no_error (err);
  g_autofree char *n = g_strdup_printf ("%u", run_number % 2);
  ResultsPair vars[] = { { "N", n } };
  ResultsPair attrs[] = { { "model", "mm1" } };
  ResultsRunInfo info = {
    .scenario = "s.ini", .scenario_digest = digest, .config = "General", .run_number = run_number,
    .repetition = run_number / 2, .seed = 1000 + run_number, .itervars = vars, .n_itervars = 1,
    .attrs = attrs, .n_attrs = 1,
  };
  g_autoptr (ResultsRun) run = results_run_begin (store, &info);
  SimRecorder *rec = results_run_recorder (run);
  sim_record_scalar (rec, "q", "x", run_number == 0 ? -0.0 : 1.0 / (run_number + 2), "s");
  sim_record_scalar (rec, "q", "nan", NAN, NULL);
  SimStat st;
  sim_stat_init (&st);
  sim_stat_add (&st, run_number);
  sim_stat_add (&st, 0.1);
  sim_record_statistic (rec, "q", "w", &st, "B");
  guint v = sim_record_vector_open (rec, "q", "v", "1");
  for (guint i = 0; i < 5; i++)
    sim_record_vector_append (rec, v, i * SIM_S, run_number + i / 3.0);
  if (failure != NULL)
    g_assert_true (results_run_fail (run, failure, &err));
  else
    g_assert_true (results_run_commit (run, 5 * SIM_S, 42, 0.5, &err));
  g_assert_no_error (err);
}

static char *
shard (Fixture *f, const char *name)
{
  return g_build_filename (f->dir, name, NULL);
}

static gboolean
merge (Fixture *f, const char *shard_path, ResultsMergeStats *stats, GError **error)
{
  g_autoptr (ResultsStore) out = results_store_open (f->out, error);
  if (out == NULL)
    return FALSE;
  return results_merge_shard (out, shard_path, stats, error);
}

static void
assert_stats (const ResultsMergeStats *s, guint shards, guint added, guint replaced, guint present,
              guint failed_added, guint failed_skipped)
{
  g_assert_cmpuint (s->shards, ==, shards);
  g_assert_cmpuint (s->added, ==, added);
  g_assert_cmpuint (s->replaced, ==, replaced);
  g_assert_cmpuint (s->present, ==, present);
  g_assert_cmpuint (s->failed_added, ==, failed_added);
  g_assert_cmpuint (s->failed_skipped, ==, failed_skipped);
}

/*
 * Shards of runs 0..3 merged give exactly the rows of the four runs written
 * into one database (doubles bit for bit, -0.0 and NaN included, vector
 * points in order); merging them again adds nothing and changes nothing.
 */
static void
test_identical_and_idempotent (Fixture *f, gconstpointer data)
{
  g_autofree char *direct = shard (f, "direct.db");
  g_autoptr (GPtrArray) shards = g_ptr_array_new_with_free_func (g_free);
  for (guint r = 0; r < 4; r++)
    {
      write_run (direct, DIGEST_A, r, NULL);
      g_autofree char *name = g_strdup_printf ("shard-%u.db", r);
      char *path = shard (f, name);
      write_run (path, DIGEST_A, r, NULL);
      g_ptr_array_add (shards, path);
    }
  ResultsMergeStats stats = { 0 };
  GError *err = NULL;
  /* in reverse order: ids in OUT differ from the direct database's, rows must not */
  for (guint i = shards->len; i-- > 0;)
    g_assert_true (merge (f, shards->pdata[i], &stats, &err));
  g_assert_no_error (err);
  assert_stats (&stats, 4, 4, 0, 0, 0, 0);
  g_autofree char *want = testutil_dump_results (direct);
  g_autofree char *got = testutil_dump_results (f->out);
  g_assert_cmpstr (got, ==, want);
  g_assert_nonnull (strstr (got, "General|0|q|x|0x8000000000000000|s\n")); /* -0.0 survived */
  g_assert_nonnull (strstr (got, "General|1|q|nan|NULL|NULL\n"));

  ResultsMergeStats again = { 0 };
  for (guint i = 0; i < shards->len; i++)
    g_assert_true (merge (f, shards->pdata[i], &again, &err));
  g_assert_no_error (err);
  assert_stats (&again, 4, 0, 0, 4, 0, 0);
  g_autofree char *after = testutil_dump_results (f->out);
  g_assert_cmpstr (after, ==, want);
}

/*
 * A complete run replaces a failed row of OUT; a failed run is copied only
 * where OUT has no row for it, and never over a complete or failed one.
 */
static void
test_failed_runs (Fixture *f, gconstpointer data)
{
  write_run (f->out, DIGEST_A, 0, "crashed");
  write_run (f->out, DIGEST_A, 1, NULL);
  write_run (f->out, DIGEST_A, 2, "first failure");
  g_autofree char *s = shard (f, "s.db");
  write_run (s, DIGEST_A, 0, NULL);                  /* replaces the failed run 0 */
  write_run (s, DIGEST_A, 1, "late failure");        /* OUT has it complete */
  write_run (s, DIGEST_A, 2, "second failure");      /* OUT has it failed */
  write_run (s, DIGEST_A, 3, "never ran elsewhere"); /* new */
  ResultsMergeStats stats = { 0 };
  GError *err = NULL;
  g_assert_true (merge (f, s, &stats, &err));
  g_assert_no_error (err);
  assert_stats (&stats, 1, 0, 1, 0, 1, 2);
  sqlite3 *db = NULL;
  g_assert_cmpint (sqlite3_open_v2 (f->out, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_stmt *st = NULL;
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT run_number, status, coalesce (error, '-'),"
                                           " (SELECT count(*) FROM scalar WHERE run_id = run.id),"
                                           " (SELECT count(*) FROM runparam WHERE run_id = run.id)"
                                           " FROM run ORDER BY run_number", -1, &st, NULL), ==, SQLITE_OK);
  g_autoptr (GString) rows = g_string_new (NULL);
  while (sqlite3_step (st) == SQLITE_ROW)
    g_string_append_printf (rows, "%d %s %s %d %d\n", sqlite3_column_int (st, 0), sqlite3_column_text (st, 1),
                            sqlite3_column_text (st, 2), sqlite3_column_int (st, 3), sqlite3_column_int (st, 4));
  sqlite3_finalize (st);
  /* no orphans of the replaced failed row */
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT (SELECT count(*) FROM runparam), (SELECT count(*) FROM runattr)",
                                       -1, &st, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (st), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (st, 0), ==, 4);
  g_assert_cmpint (sqlite3_column_int (st, 1), ==, 4);
  sqlite3_finalize (st);
  sqlite3_close (db);
  g_assert_cmpstr (rows->str, ==,
                   "0 complete - 2 1\n"
                   "1 complete - 2 1\n"
                   "2 failed first failure 0 1\n"
                   "3 failed never ran elsewhere 0 1\n");
}

static void
sql (const char *path, const char *statements)
{
  sqlite3 *db = NULL;
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  char *msg = NULL;
  if (sqlite3_exec (db, statements, NULL, NULL, &msg) != SQLITE_OK)
    g_error ("%s: %s", statements, msg);
  sqlite3_close (db);
}

/* Everything in OUT, to check that a refused shard changed nothing. */
static char *
out_state (Fixture *f)
{
  return testutil_dump_results (f->out);
}

/* A shard that ran another scenario text (digest) than OUT's runs of the same scenario and config is refused. */
static void
test_refuse_digest (Fixture *f, gconstpointer data)
{
  write_run (f->out, DIGEST_A, 0, NULL);
  g_autofree char *s = shard (f, "other.db");
  write_run (s, DIGEST_B, 1, NULL);
  g_autofree char *before = out_state (f);
  ResultsMergeStats stats = { 0 };
  GError *err = NULL;
  g_assert_false (merge (f, s, &stats, &err));
  g_assert_error (err, RESULTS_MERGE_ERROR, RESULTS_MERGE_ERROR_DIGEST);
  g_autofree char *want = g_strdup_printf ("%s: refused: its runs of s.ini config General have scenario digest "
                                           DIGEST_B ", but those in %s have " DIGEST_A
                                           " (another scenario text or other --set overrides)", s, f->out);
  g_assert_cmpstr (err->message, ==, want);
  g_clear_error (&err);
  assert_stats (&stats, 0, 0, 0, 0, 0, 0);
  g_autofree char *after = out_state (f);
  g_assert_cmpstr (after, ==, before);
  /* the same runs under another config are no mismatch */
  sql (s, "UPDATE run SET config = 'Other', runid = 'Other-1'");
  g_assert_true (merge (f, s, &stats, &err));
  g_assert_no_error (err);
  assert_stats (&stats, 1, 1, 0, 0, 0, 0);
}

/* A shard written by another poolsim version is refused, naming both versions. */
static void
test_refuse_version (Fixture *f, gconstpointer data)
{
  write_run (f->out, DIGEST_A, 0, NULL);
  g_autofree char *s = shard (f, "old.db");
  write_run (s, DIGEST_A, 1, NULL);
  sql (s, "UPDATE run SET version = '0.0.1'");
  g_autofree char *before = out_state (f);
  ResultsMergeStats stats = { 0 };
  GError *err = NULL;
  g_assert_false (merge (f, s, &stats, &err));
  g_assert_error (err, RESULTS_MERGE_ERROR, RESULTS_MERGE_ERROR_VERSION);
  g_autofree char *want = g_strdup_printf ("%s: refused: its runs of s.ini config General were written by poolsim "
                                           "0.0.1, but those in %s by poolsim %s (merge only runs of one poolsim "
                                           "version)", s, f->out, PACKAGE_VERSION);
  g_assert_cmpstr (err->message, ==, want);
  g_clear_error (&err);
  g_autofree char *after = out_state (f);
  g_assert_cmpstr (after, ==, before);
}

/* Files that are not poolsim results databases of this schema, and OUT itself, are refused. */
static void
test_refuse_files (Fixture *f, gconstpointer data)
{
  write_run (f->out, DIGEST_A, 0, NULL);
  ResultsMergeStats stats = { 0 };
  GError *err = NULL;

  g_autofree char *foreign = shard (f, "foreign.db");
  sql (foreign, "CREATE TABLE run (id INTEGER)");
  g_assert_false (merge (f, foreign, &stats, &err));
  g_assert_error (err, RESULTS_STORE_ERROR, RESULTS_STORE_ERROR_FOREIGN);
  g_clear_error (&err);

  g_autofree char *old = shard (f, "old-schema.db");
  write_run (old, DIGEST_A, 1, NULL);
  sql (old, "PRAGMA user_version = 0");
  g_assert_false (merge (f, old, &stats, &err));
  g_assert_error (err, RESULTS_STORE_ERROR, RESULTS_STORE_ERROR_VERSION);
  g_clear_error (&err);

  g_autofree char *missing = shard (f, "missing.db");
  g_assert_false (merge (f, missing, &stats, &err));
  g_assert_error (err, RESULTS_STORE_ERROR, RESULTS_STORE_ERROR_NOT_FOUND);
  g_clear_error (&err);
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));

  g_autofree char *self = g_build_filename (f->dir, ".", "out.db", NULL);
  g_assert_false (merge (f, self, &stats, &err));
  g_assert_error (err, RESULTS_MERGE_ERROR, RESULTS_MERGE_ERROR_SAME_FILE);
  g_clear_error (&err);
  assert_stats (&stats, 0, 0, 0, 0, 0, 0);
}

static int
run_poolsim (const char *const *args, char **out, char **err)
{
  GError *error = NULL;
  g_autoptr (GSubprocess) p = g_subprocess_newv (args, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                                 &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (p, NULL, NULL, out, err, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (p));
  return g_subprocess_get_exit_status (p);
}

/*
 * `poolsim merge` merges in order, prints what it did, and stops at the first
 * shard it refuses with status 1 and the shard's error; a usage error is 2.
 */
static void
test_cli (Fixture *f, gconstpointer data)
{
  g_autofree char *exe = testutil_poolsim ();
  g_autofree char *a = shard (f, "a.db");
  g_autofree char *b = shard (f, "b.db");
  g_autofree char *bad = shard (f, "bad.db");
  write_run (a, DIGEST_A, 0, NULL);
  write_run (b, DIGEST_A, 1, NULL);
  write_run (b, DIGEST_A, 2, "boom");
  write_run (bad, DIGEST_B, 3, NULL);
  g_autofree char *out = NULL, *err = NULL;
  const char *ok[] = { exe, "merge", f->out, a, b, a, NULL };
  g_assert_cmpint (run_poolsim (ok, &out, &err), ==, 0);
  g_autofree char *want = g_strdup_printf ("%s: 3 shards merged: 2 complete runs added, 0 replacing failed runs, "
                                           "1 already there; 1 failed run added, 0 not (a row exists)\n", f->out);
  g_assert_cmpstr (out, ==, want);
  g_assert_cmpstr (err, ==, "");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  const char *refused[] = { exe, "merge", f->out, bad, a, NULL };
  g_assert_cmpint (run_poolsim (refused, &out, &err), ==, 1);
  g_autofree char *want_out = g_strdup_printf ("%s: 0 shards merged: 0 complete runs added, 0 replacing failed runs, "
                                               "0 already there; 0 failed runs added, 0 not (a row exists)\n", f->out);
  g_assert_cmpstr (out, ==, want_out);
  g_autofree char *want_err = g_strdup_printf ("poolsim: %s: refused: its runs of s.ini config General have scenario "
                                               "digest " DIGEST_B ", but those in %s have " DIGEST_A " (another "
                                               "scenario text or other --set overrides)\n", bad, f->out);
  g_assert_cmpstr (err, ==, want_err);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  const char *usage[] = { exe, "merge", f->out, NULL };
  g_assert_cmpint (run_poolsim (usage, &out, &err), ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add ("/results/merge/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("identical-and-idempotent", test_identical_and_idempotent);
  ADD ("failed-runs", test_failed_runs);
  ADD ("refuse/digest", test_refuse_digest);
  ADD ("refuse/version", test_refuse_version);
  ADD ("refuse/files", test_refuse_files);
  ADD ("cli", test_cli);
#undef ADD
  return g_test_run ();
}
