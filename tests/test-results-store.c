/*
 * tests/test-results-store.c - the results database: schema and identity checks,
 * bit-exact round-trips, failed and duplicate runs, concurrent writers, and
 * atomicity under SIGKILL.
 *
 * The tests read the database back with their own SQLite connection, as a user
 * querying results would: the schema is the contract being tested. The
 * concurrency and kill tests run this same binary as a writer process
 * (`test-results-store --writer DB FIRST COUNT POINTS`).
 */
#include "config.h"

#include "results/store.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static char *self_exe;   /* this test binary, for the writer processes */

#define DIGEST "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define OTHER_DIGEST "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"

typedef struct {
  char *dir;
  char *db;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  GError *err = NULL;
  f->dir = g_dir_make_tmp ("poolsim-results-XXXXXX", &err);
  g_assert_no_error (err);
  f->db = g_build_filename (f->dir, "results.db", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autoptr (GDir) d = g_dir_open (f->dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (f->dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (f->dir);
  g_free (f->db);
  g_free (f->dir);
}

/* Direct SQL on the file, as a user would query it. */

static sqlite3 *
sql_open (const char *path)
{
  sqlite3 *db = NULL;
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), ==, SQLITE_OK);
  return db;
}

static sqlite3_stmt *
sql_row (sqlite3 *db, const char *sql)
{
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2 (db, sql, -1, &st, NULL);
  if (rc != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  g_assert_cmpint (sqlite3_step (st), ==, SQLITE_ROW);
  return st;
}

static gint64
sql_int (sqlite3 *db, const char *sql)
{
  sqlite3_stmt *st = sql_row (db, sql);
  gint64 v = sqlite3_column_int64 (st, 0);
  sqlite3_finalize (st);
  return v;
}

static char *
sql_text (sqlite3 *db, const char *sql)
{
  sqlite3_stmt *st = sql_row (db, sql);
  char *v = g_strdup ((const char *) sqlite3_column_text (st, 0));
  sqlite3_finalize (st);
  return v;
}

static void
sql_exec (sqlite3 *db, const char *sql)
{
  char *msg = NULL;
  if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK)
    g_error ("%s: %s", sql, msg);
}

static gint64
file_int (const char *path, const char *sql)
{
  sqlite3 *db = sql_open (path);
  gint64 v = sql_int (db, sql);
  sqlite3_close (db);
  return v;
}

static ResultsRunInfo
run_info (const char *config, guint run_number)
{
  static const ResultsPair vars[] = { { "N", "10" }, { "interval", "0.5s" } };
  static const ResultsPair attrs[] = { { "network", "lan" } };
  return (ResultsRunInfo) {
    .scenario = "scenarios/examples/mm1.ini",
    .scenario_digest = DIGEST,
    .config = config,
    .run_number = run_number,
    .repetition = run_number % 3,
    .seed = 1000 + run_number,
    .itervars = vars,
    .n_itervars = G_N_ELEMENTS (vars),
    .attrs = attrs,
    .n_attrs = G_N_ELEMENTS (attrs),
  };
}

static ResultsStore *
open_ok (const char *path)
{
  GError *err = NULL;
  ResultsStore *store = results_store_open (path, &err);
  g_assert_no_error (err);
  g_assert_nonnull (store);
  return store;
}

/* A new database gets poolsim's application_id, the schema version, WAL mode and the seven tables. */
static void
test_create (Fixture *f, gconstpointer data)
{
  results_store_close (open_ok (f->db));
  sqlite3 *db = sql_open (f->db);
  g_assert_cmpint (sql_int (db, "PRAGMA application_id"), ==, 0x5053494D);
  g_assert_cmpint (sql_int (db, "PRAGMA user_version"), ==, RESULTS_STORE_SCHEMA_VERSION);
  g_autofree char *mode = sql_text (db, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");
  g_autofree char *tables = sql_text (db, "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema"
                                          " WHERE type = 'table' ORDER BY name)");
  g_assert_cmpstr (tables, ==, "run runattr runparam scalar statistic vector vectordata");
  sqlite3_close (db);
  /* opening again is fine and changes nothing */
  results_store_close (open_ok (f->db));
  g_assert_cmpint (file_int (f->db, "SELECT count(*) FROM sqlite_schema"), ==, 16);
}

/* A poolsim database of another schema version is refused, naming the file and both versions. */
static void
test_version_mismatch (Fixture *f, gconstpointer data)
{
  results_store_close (open_ok (f->db));
  sqlite3 *db = sql_open (f->db);
  sql_exec (db, "PRAGMA user_version = 7");
  sqlite3_close (db);
  GError *err = NULL;
  g_assert_null (results_store_open (f->db, &err));
  g_assert_error (err, RESULTS_STORE_ERROR, RESULTS_STORE_ERROR_VERSION);
  g_autofree char *expect = g_strdup_printf ("%s: poolsim results database of schema version 7, but poolsim "
                                             PACKAGE_VERSION " reads and writes schema version 1", f->db);
  g_assert_cmpstr (err->message, ==, expect);
  g_clear_error (&err);
  g_assert_null (results_store_open_read_only (f->db, &err));
  g_assert_error (err, RESULTS_STORE_ERROR, RESULTS_STORE_ERROR_VERSION);
  g_clear_error (&err);
}

/* Another program's database (its application_id, or none but tables) is refused and left untouched. */
static void
test_foreign (Fixture *f, gconstpointer data)
{
  sqlite3 *db = sql_open (f->db);
  sql_exec (db, "PRAGMA application_id = 305419896; CREATE TABLE t (x)");
  sqlite3_close (db);
  GError *err = NULL;
  g_assert_null (results_store_open (f->db, &err));
  g_assert_error (err, RESULTS_STORE_ERROR, RESULTS_STORE_ERROR_FOREIGN);
  g_autofree char *expect = g_strdup_printf ("%s: not a poolsim results database (application_id 0x12345678, "
                                             "user_version 0, 1 schema objects; poolsim's application_id is "
                                             "0x5053494d)", f->db);
  g_assert_cmpstr (err->message, ==, expect);
  g_clear_error (&err);

  db = sql_open (f->db);
  sql_exec (db, "PRAGMA application_id = 0");
  sqlite3_close (db);
  g_assert_null (results_store_open (f->db, &err));
  g_assert_error (err, RESULTS_STORE_ERROR, RESULTS_STORE_ERROR_FOREIGN);
  g_assert_nonnull (strstr (err->message, "application_id 0x00000000"));
  g_clear_error (&err);
  g_assert_cmpint (file_int (f->db, "SELECT count(*) FROM sqlite_schema"), ==, 1);
  g_assert_cmpint (file_int (f->db, "PRAGMA user_version"), ==, 0);
}

/* A file that is not SQLite at all is refused with a clear message. */
static void
test_not_sqlite (Fixture *f, gconstpointer data)
{
  const char text[] = "[General]\nnetwork = lan\n this is an ini file, long enough to have a header ........"
                      "...............................................................................\n";
  g_assert_true (g_file_set_contents (f->db, text, -1, NULL));
  GError *err = NULL;
  g_assert_null (results_store_open (f->db, &err));
  g_assert_error (err, RESULTS_STORE_ERROR, RESULTS_STORE_ERROR_FOREIGN);
  g_autofree char *expect = g_strdup_printf ("%s: not a poolsim results database (not an SQLite database at all)",
                                             f->db);
  g_assert_cmpstr (err->message, ==, expect);
  g_clear_error (&err);
  g_autofree char *after = NULL;
  g_assert_true (g_file_get_contents (f->db, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, text);
}

/* Read-only opening never creates a file, and refuses an empty one. */
static void
test_read_only_missing_and_empty (Fixture *f, gconstpointer data)
{
  GError *err = NULL;
  g_assert_null (results_store_open_read_only (f->db, &err));
  g_assert_error (err, RESULTS_STORE_ERROR, RESULTS_STORE_ERROR_NOT_FOUND);
  g_autofree char *expect = g_strdup_printf ("%s: no such file", f->db);
  g_assert_cmpstr (err->message, ==, expect);
  g_clear_error (&err);
  g_assert_false (g_file_test (f->db, G_FILE_TEST_EXISTS));

  g_assert_true (g_file_set_contents (f->db, "", 0, NULL));
  g_assert_null (results_store_open_read_only (f->db, &err));
  g_assert_error (err, RESULTS_STORE_ERROR, RESULTS_STORE_ERROR_FOREIGN);
  g_clear_error (&err);
  GStatBuf sb;
  g_assert_cmpint (g_stat (f->db, &sb), ==, 0);
  g_assert_cmpint (sb.st_size, ==, 0);
}

/* Read-only opening of a database with committed runs sees them. */
static void
test_read_only_sees_runs (Fixture *f, gconstpointer data)
{
  g_autoptr (ResultsStore) store = open_ok (f->db);
  ResultsRunInfo info = run_info ("General", 4);
  g_autoptr (ResultsRun) run = results_run_begin (store, &info);
  GError *err = NULL;
  g_assert_true (results_run_commit (run, SIM_S, 1, 0.5, &err));
  g_assert_no_error (err);
  g_autoptr (ResultsStore) ro = results_store_open_read_only (f->db, &err);
  g_assert_no_error (err);
  gboolean complete = FALSE;
  g_assert_true (results_store_run_complete (ro, DIGEST, "General", 4, &complete, &err));
  g_assert_true (complete);
}

static gboolean
same_bits (double a, double b)
{
  return memcmp (&a, &b, sizeof a) == 0;
}

/* Every result value, including -0.0, subnormals and 1/3, reads back with the same bits; NaN as NULL. */
static void
test_round_trip (Fixture *f, gconstpointer data)
{
  const double values[] = { 1.0 / 3.0, -0.0, 0.0, 4.9406564584124654e-324, 2.2250738585072009e-308,
                            -2.2250738585072014e-308, 1.7976931348623157e308, 0.1, -1e-300, 3.0,
                            9007199254740993.0, INFINITY, -INFINITY };
  const guint n_values = G_N_ELEMENTS (values);
  g_autoptr (ResultsStore) store = open_ok (f->db);
  ResultsRunInfo info = run_info ("General", 7);
  info.seed = G_MAXUINT64;
  info.threat = "reg-flood";
  info.mitigations = "psk,max-bad-pe-report";
  g_autoptr (ResultsRun) run = results_run_begin (store, &info);
  g_assert_cmpstr (results_run_id (run), ==, "General-7-9f86d081");
  SimRecorder *rec = results_run_recorder (run);
  for (guint i = 0; i < n_values; i++)
    {
      g_autofree char *name = g_strdup_printf ("v%02u", i);
      sim_record_scalar (rec, "mod[1]", name, values[i], i % 2 ? "s" : NULL);
    }
  sim_record_scalar (rec, "mod[1]", "nan", NAN, "1");
  SimStat st, empty;
  sim_stat_init (&st);
  sim_stat_init (&empty);
  for (guint i = 0; i < 10; i++)
    sim_stat_add (&st, values[i]);
  sim_record_statistic (rec, "mod[1]", "stat", &st, "B");
  sim_record_statistic (rec, "mod[1]", "empty", &empty, NULL);
  guint vec = sim_record_vector_open (rec, "mod[2]", "series", "s");
  g_assert_cmpuint (vec, >, 0);
  guint vec2 = sim_record_vector_open (rec, "mod[2]", "none", NULL);
  for (guint i = 0; i < n_values; i++)
    sim_record_vector_append (rec, vec, i == n_values - 1 ? SIM_TIME_MAX : (SimTime) i * 1000000007, values[i]);
  GError *err = NULL;
  g_assert_true (results_run_commit (run, 90 * SIM_S + 1, 123456789, 0.25, &err));
  g_assert_no_error (err);
  (void) vec2;

  sqlite3 *db = sql_open (f->db);
  sqlite3_stmt *q = NULL;
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT name, value, typeof(value), unit FROM scalar ORDER BY name",
                                       -1, &q, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (q), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (q, 0), ==, "nan");
  g_assert_cmpint (sqlite3_column_type (q, 1), ==, SQLITE_NULL);
  for (guint i = 0; i < n_values; i++)
    {
      g_assert_cmpint (sqlite3_step (q), ==, SQLITE_ROW);
      g_assert_cmpstr ((const char *) sqlite3_column_text (q, 2), ==, "real");
      double got = sqlite3_column_double (q, 1);
      if (!same_bits (got, values[i]))
        g_error ("scalar %u: wrote %a, read %a", i, values[i], got);
      g_assert_cmpstr ((const char *) sqlite3_column_text (q, 3), ==, i % 2 ? "s" : NULL);
    }
  g_assert_cmpint (sqlite3_step (q), ==, SQLITE_DONE);
  sqlite3_finalize (q);

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count, mean, stddev, min, max, sum, unit FROM statistic"
                                           " WHERE name = 'stat'", -1, &q, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (q), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int64 (q, 0), ==, 10);
  g_assert_true (same_bits (sqlite3_column_double (q, 1), st.mean));
  g_assert_true (same_bits (sqlite3_column_double (q, 2), sim_stat_stddev (&st)));
  g_assert_true (same_bits (sqlite3_column_double (q, 3), st.min));
  g_assert_true (same_bits (sqlite3_column_double (q, 4), st.max));
  g_assert_true (same_bits (sqlite3_column_double (q, 5), st.sum));
  g_assert_cmpstr ((const char *) sqlite3_column_text (q, 6), ==, "B");
  sqlite3_finalize (q);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM statistic WHERE name = 'empty' AND count = 0 AND mean IS NULL"
                                " AND stddev IS NULL AND min IS NULL AND max IS NULL AND sum = 0 AND unit IS NULL"),
                   ==, 1);

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT d.time, d.value FROM vectordata d JOIN vector v"
                                           " ON v.id = d.vector_id WHERE v.name = 'series' ORDER BY d.rowid",
                                       -1, &q, NULL), ==, SQLITE_OK);
  for (guint i = 0; i < n_values; i++)
    {
      g_assert_cmpint (sqlite3_step (q), ==, SQLITE_ROW);
      g_assert_cmpint (sqlite3_column_int64 (q, 0), ==, i == n_values - 1 ? SIM_TIME_MAX : (SimTime) i * 1000000007);
      g_assert_true (same_bits (sqlite3_column_double (q, 1), values[i]));
    }
  g_assert_cmpint (sqlite3_step (q), ==, SQLITE_DONE);
  sqlite3_finalize (q);
  g_assert_cmpint (sql_int (db, "SELECT count FROM vector WHERE name = 'series' AND module = 'mod[2]'"
                                " AND unit = 's'"), ==, n_values);
  g_assert_cmpint (sql_int (db, "SELECT count FROM vector WHERE name = 'none' AND unit IS NULL"), ==, 0);

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT runid, scenario, scenario_digest, config, run_number, repetition,"
                                           " seed, threat, mitigations, version, status, error, wall_time, sim_time,"
                                           " events, length(created) FROM run", -1, &q, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (q), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (q, 0), ==, "General-7-9f86d081");
  g_assert_cmpstr ((const char *) sqlite3_column_text (q, 1), ==, "scenarios/examples/mm1.ini");
  g_assert_cmpstr ((const char *) sqlite3_column_text (q, 2), ==, DIGEST);
  g_assert_cmpstr ((const char *) sqlite3_column_text (q, 3), ==, "General");
  g_assert_cmpint (sqlite3_column_int64 (q, 4), ==, 7);
  g_assert_cmpint (sqlite3_column_int64 (q, 5), ==, 1);
  g_assert_cmpuint ((guint64) sqlite3_column_int64 (q, 6), ==, G_MAXUINT64);
  g_assert_cmpstr ((const char *) sqlite3_column_text (q, 7), ==, "reg-flood");
  g_assert_cmpstr ((const char *) sqlite3_column_text (q, 8), ==, "psk,max-bad-pe-report");
  g_assert_cmpstr ((const char *) sqlite3_column_text (q, 9), ==, PACKAGE_VERSION);
  g_assert_cmpstr ((const char *) sqlite3_column_text (q, 10), ==, "complete");
  g_assert_cmpint (sqlite3_column_type (q, 11), ==, SQLITE_NULL);
  g_assert_cmpfloat (sqlite3_column_double (q, 12), ==, 0.25);
  g_assert_cmpfloat (sqlite3_column_double (q, 13), ==, 90.000000001);
  g_assert_cmpint (sqlite3_column_int64 (q, 14), ==, 123456789);
  g_assert_cmpint (sqlite3_column_int64 (q, 15), ==, strlen ("2024-01-01T00:00:00Z"));
  sqlite3_finalize (q);
  g_autofree char *params = sql_text (db, "SELECT group_concat(name || '=' || value, ' ') FROM"
                                          " (SELECT * FROM runparam ORDER BY rowid)");
  g_assert_cmpstr (params, ==, "N=10 interval=0.5s");
  g_autofree char *attrs = sql_text (db, "SELECT group_concat(name || '=' || value, ' ') FROM runattr");
  g_assert_cmpstr (attrs, ==, "network=lan");
  g_autofree char *check = sql_text (db, "PRAGMA integrity_check");
  g_assert_cmpstr (check, ==, "ok");
  sqlite3_close (db);
}

/* A failed run is recorded with its message, its variables, and no results. */
static void
test_failed_run (Fixture *f, gconstpointer data)
{
  g_autoptr (ResultsStore) store = open_ok (f->db);
  ResultsRunInfo info = run_info ("General", 3);
  g_autoptr (ResultsRun) run = results_run_begin (store, &info);
  SimRecorder *rec = results_run_recorder (run);
  sim_record_scalar (rec, "m", "x", 1.0, NULL);
  SimStat st;
  sim_stat_init (&st);
  sim_stat_add (&st, 2.0);
  sim_record_statistic (rec, "m", "y", &st, NULL);
  sim_record_vector_append (rec, sim_record_vector_open (rec, "m", "z", NULL), 5, 1.0);
  GError *err = NULL;
  g_assert_true (results_run_fail (run, "registrar[0]: handlespace audit failed", &err));
  g_assert_no_error (err);
  gboolean complete = TRUE;
  g_assert_true (results_store_run_complete (store, DIGEST, "General", 3, &complete, &err));
  g_assert_false (complete);

  sqlite3 *db = sql_open (f->db);
  g_autofree char *row = sql_text (db, "SELECT status || '|' || error || '|' || quote(wall_time) || '|' ||"
                                       " quote(sim_time) || '|' || quote(events) FROM run");
  g_assert_cmpstr (row, ==, "failed|registrar[0]: handlespace audit failed|NULL|NULL|NULL");
  g_assert_cmpint (sql_int (db, "SELECT (SELECT count(*) FROM scalar) + (SELECT count(*) FROM statistic)"
                                " + (SELECT count(*) FROM vector) + (SELECT count(*) FROM vectordata)"), ==, 0);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM runparam"), ==, 2);
  sqlite3_close (db);
}

/* A failed run is replaced by the next attempt of the same run, which completes. */
static void
test_failed_then_complete (Fixture *f, gconstpointer data)
{
  g_autoptr (ResultsStore) store = open_ok (f->db);
  ResultsRunInfo info = run_info ("General", 3);
  GError *err = NULL;
  for (int attempt = 0; attempt < 2; attempt++)
    {
      g_autoptr (ResultsRun) failed = results_run_begin (store, &info);
      g_assert_true (results_run_fail (failed, "out of memory", &err));
      g_assert_no_error (err);
    }
  g_autoptr (ResultsRun) run = results_run_begin (store, &info);
  sim_record_scalar (results_run_recorder (run), "m", "x", 42.0, "s");
  g_assert_true (results_run_commit (run, SIM_S, 10, 0.1, &err));
  g_assert_no_error (err);
  gboolean complete = FALSE;
  g_assert_true (results_store_run_complete (store, DIGEST, "General", 3, &complete, &err));
  g_assert_true (complete);

  sqlite3 *db = sql_open (f->db);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM run"), ==, 1);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM run WHERE status = 'complete' AND error IS NULL"), ==, 1);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM runparam"), ==, 2);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM runattr"), ==, 1);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM runparam WHERE run_id = (SELECT id FROM run)"), ==, 2);
  g_assert_cmpint (sql_int (db, "SELECT value FROM scalar"), ==, 42);
  sqlite3_close (db);
}

/*
 * A complete run is final: committing the same (digest, config, run number)
 * again, or recording it as failed, is refused and leaves the first rows.
 */
static void
test_duplicate_refused (Fixture *f, gconstpointer data)
{
  g_autoptr (ResultsStore) store = open_ok (f->db);
  ResultsRunInfo info = run_info ("General", 5);
  GError *err = NULL;
  g_autoptr (ResultsRun) first = results_run_begin (store, &info);
  sim_record_scalar (results_run_recorder (first), "m", "x", 1.0, NULL);
  g_assert_true (results_run_commit (first, SIM_S, 1, 0.1, &err));
  g_assert_no_error (err);

  g_autoptr (ResultsRun) again = results_run_begin (store, &info);
  sim_record_scalar (results_run_recorder (again), "m", "x", 2.0, NULL);
  g_assert_false (results_run_commit (again, SIM_S, 1, 0.1, &err));
  g_assert_error (err, RESULTS_STORE_ERROR, RESULTS_STORE_ERROR_DUPLICATE);
  g_autofree char *expect = g_strdup_printf ("%s: run General-5-9f86d081 (config General, run 5, scenario "
                                             DIGEST ") is already complete", f->db);
  g_assert_cmpstr (err->message, ==, expect);
  g_clear_error (&err);
  g_assert_false (results_run_fail (again, "crashed", &err));
  g_assert_error (err, RESULTS_STORE_ERROR, RESULTS_STORE_ERROR_DUPLICATE);
  g_clear_error (&err);

  /* the same run number in another config, or of another scenario, is another run */
  ResultsRunInfo other = run_info ("Flood", 5);
  g_autoptr (ResultsRun) third = results_run_begin (store, &other);
  g_assert_true (results_run_commit (third, SIM_S, 1, 0.1, &err));
  g_assert_no_error (err);

  sqlite3 *db = sql_open (f->db);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM run"), ==, 2);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM scalar"), ==, 1);
  g_assert_cmpint (sql_int (db, "SELECT value FROM scalar"), ==, 1);
  sqlite3_close (db);
}

/* The resume query: complete only for the exact (digest, config, run number) committed. */
static void
test_run_complete_query (Fixture *f, gconstpointer data)
{
  g_autoptr (ResultsStore) store = open_ok (f->db);
  GError *err = NULL;
  gboolean complete = TRUE;
  g_assert_true (results_store_run_complete (store, DIGEST, "General", 0, &complete, &err));
  g_assert_false (complete);
  ResultsRunInfo info = run_info ("General", 0);
  g_autoptr (ResultsRun) run = results_run_begin (store, &info);
  g_assert_true (results_run_commit (run, 0, 0, 0.0, &err));
  g_assert_true (results_store_run_complete (store, DIGEST, "General", 0, &complete, &err));
  g_assert_true (complete);
  g_assert_true (results_store_run_complete (store, DIGEST, "General", 1, &complete, &err));
  g_assert_false (complete);
  g_assert_true (results_store_run_complete (store, DIGEST, "Other", 0, &complete, &err));
  g_assert_false (complete);
  g_assert_true (results_store_run_complete (store, OTHER_DIGEST, "General", 0, &complete, &err));
  g_assert_false (complete);
  g_assert_no_error (err);
}

/* A run that breaks the schema (a scalar recorded twice) fails as a whole, naming the scalar; nothing is written. */
static void
test_invalid_rolls_back (Fixture *f, gconstpointer data)
{
  g_autoptr (ResultsStore) store = open_ok (f->db);
  ResultsRunInfo info = run_info ("General", 1);
  g_autoptr (ResultsRun) run = results_run_begin (store, &info);
  SimRecorder *rec = results_run_recorder (run);
  sim_record_scalar (rec, "pe[3]", "requests", 1.0, NULL);
  sim_record_scalar (rec, "pe[3]", "requests", 2.0, NULL);
  GError *err = NULL;
  g_assert_false (results_run_commit (run, SIM_S, 1, 0.1, &err));
  g_assert_error (err, RESULTS_STORE_ERROR, RESULTS_STORE_ERROR_INVALID);
  g_autofree char *expect = g_strdup_printf ("%s: inserting scalar pe[3] requests: UNIQUE constraint failed:"
                                             " scalar.run_id, scalar.module, scalar.name", f->db);
  g_assert_cmpstr (err->message, ==, expect);
  g_clear_error (&err);
  g_assert_cmpint (file_int (f->db, "SELECT count(*) FROM run"), ==, 0);
  g_assert_cmpint (file_int (f->db, "SELECT count(*) FROM runparam"), ==, 0);
  /* the caller may then record the failure */
  g_assert_true (results_run_fail (run, "duplicate scalar", &err));
  g_assert_no_error (err);
  g_assert_cmpint (file_int (f->db, "SELECT count(*) FROM run WHERE status = 'failed'"), ==, 1);
}

/*
 * The writer process: commits runs FIRST .. FIRST+COUNT-1, each with 3
 * scalars, 1 statistic and a vector of POINTS points, announcing "begin R"
 * and "done R" on stdout; then, with --hold, waits for the end of stdin (so
 * that it is still alive when it is killed).
 */

#define WRITER_SCALARS 3

static int
writer_main (const char *path, guint first, guint count, guint points, gboolean hold)
{
  GError *err = NULL;
  g_autoptr (ResultsStore) store = results_store_open (path, &err);
  if (store == NULL)
    {
      fprintf (stderr, "writer: %s\n", err->message);
      return 1;
    }
  guint committed = 0, duplicates = 0;
  for (guint r = first; r < first + count; r++)
    {
      ResultsRunInfo info = run_info ("General", r);
      g_autoptr (ResultsRun) run = results_run_begin (store, &info);
      SimRecorder *rec = results_run_recorder (run);
      for (guint s = 0; s < WRITER_SCALARS; s++)
        {
          char name[16];
          g_snprintf (name, sizeof name, "s%u", s);
          sim_record_scalar (rec, "w", name, r + s / 7.0, NULL);
        }
      SimStat st;
      sim_stat_init (&st);
      guint vec = sim_record_vector_open (rec, "w", "series", "s");
      for (guint i = 0; i < points; i++)
        {
          sim_record_vector_append (rec, vec, (SimTime) i * SIM_MS, i / 3.0);
          sim_stat_add (&st, i / 3.0);
        }
      sim_record_statistic (rec, "w", "stat", &st, "s");
      printf ("begin %u\n", r);
      fflush (stdout);
      if (results_run_commit (run, points * SIM_MS, points, 0.0, &err))
        committed++;
      else if (g_error_matches (err, RESULTS_STORE_ERROR, RESULTS_STORE_ERROR_DUPLICATE))
        {
          duplicates++;
          g_clear_error (&err);
        }
      else
        {
          fprintf (stderr, "writer: %s\n", err->message);
          return 1;
        }
      printf ("done %u\n", r);
      fflush (stdout);
    }
  printf ("result %u %u\n", committed, duplicates);
  fflush (stdout);
  while (hold && getchar () != EOF)
    ;
  return 0;
}

static GSubprocess *
spawn_writer (const char *db, guint first, guint count, guint points, gboolean hold)
{
  g_autofree char *a = g_strdup_printf ("%u", first);
  g_autofree char *b = g_strdup_printf ("%u", count);
  g_autofree char *c = g_strdup_printf ("%u", points);
  GError *err = NULL;
  GSubprocess *p = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDIN_PIPE, &err, self_exe,
                                     hold ? "--writer-hold" : "--writer", db, a, b, c, NULL);
  g_assert_no_error (err);
  return p;
}

/* Every run in the file has all its rows: 3 scalars, 1 statistic, 1 vector of `points` points. */
static void
assert_runs_whole (sqlite3 *db, guint points)
{
  g_autofree char *sql = g_strdup_printf (
    "SELECT count(*) FROM run r WHERE status <> 'complete'"
    " OR (SELECT count(*) FROM scalar WHERE run_id = r.id) <> %d"
    " OR (SELECT count(*) FROM statistic WHERE run_id = r.id AND count = %u) <> 1"
    " OR (SELECT count(*) FROM vector WHERE run_id = r.id AND count = %u) <> 1"
    " OR (SELECT count(*) FROM vectordata d JOIN vector v ON v.id = d.vector_id WHERE v.run_id = r.id) <> %u",
    WRITER_SCALARS, points, points, points);
  g_assert_cmpint (sql_int (db, sql), ==, 0);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM vectordata WHERE vector_id NOT IN (SELECT id FROM vector)"), ==, 0);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM scalar WHERE run_id NOT IN (SELECT id FROM run)"), ==, 0);
  g_autofree char *check = sql_text (db, "PRAGMA integrity_check");
  g_assert_cmpstr (check, ==, "ok");
}

/*
 * Two processes writing into one new database at the same time, with
 * overlapping run numbers (0..29 and 10..39): every run is written exactly
 * once, the overlap is refused as duplicates, and nothing is lost.
 */
static void
test_concurrent_writers (Fixture *f, gconstpointer data)
{
  const guint points = 2000;
  g_autoptr (GSubprocess) a = spawn_writer (f->db, 0, 30, points, FALSE);
  g_autoptr (GSubprocess) b = spawn_writer (f->db, 10, 30, points, FALSE);
  guint committed = 0, duplicates = 0;
  GSubprocess *procs[] = { a, b };
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *out = NULL;
      GError *err = NULL;
      g_assert_true (g_subprocess_communicate_utf8 (procs[i], NULL, NULL, &out, NULL, &err));
      g_assert_no_error (err);
      g_assert_true (g_subprocess_get_if_exited (procs[i]));
      g_assert_cmpint (g_subprocess_get_exit_status (procs[i]), ==, 0);
      const char *last = g_strrstr (out, "result ");
      g_assert_nonnull (last);
      guint c, d;
      g_assert_cmpint (sscanf (last, "result %u %u", &c, &d), ==, 2);
      committed += c;
      duplicates += d;
    }
  g_assert_cmpuint (committed, ==, 40);
  g_assert_cmpuint (duplicates, ==, 20);
  sqlite3 *db = sql_open (f->db);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM run"), ==, 40);
  g_assert_cmpint (sql_int (db, "SELECT count(DISTINCT run_number) FROM run WHERE run_number BETWEEN 0 AND 39"), ==, 40);
  assert_runs_whole (db, points);
  sqlite3_close (db);
}

/*
 * SIGKILL in the middle of a commit leaves only whole runs and a sound file.
 * Each round starts a writer of 4 big runs (10^5 vector points each), waits
 * until it announces the commit of a random run (the 2nd to 4th), sleeps a
 * random fraction of the previous commit's duration and kills it. The file then
 * holds every run announced done, and at most the one being committed besides
 * (killed after its COMMIT, before its announcement), each with all its rows;
 * the next round writes into the file after the crash.
 */
static void
test_kill_during_commit (Fixture *f, gconstpointer data)
{
  const guint points = 100000, rounds = 4, per_round = 4;
  gint64 before = 0;
  for (guint round = 0; round < rounds; round++)
    {
      guint first = round * 10;
      g_autoptr (GSubprocess) p = spawn_writer (f->db, first, per_round, points, TRUE);
      g_autoptr (GDataInputStream) in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (p));
      guint target = first + g_test_rand_int_range (1, per_round);
      double fraction = g_test_rand_double ();
      gint64 begin_at = 0, last_commit_us = 0;
      guint done = 0;
      gboolean killed = FALSE;
      char *line;
      while ((line = g_data_input_stream_read_line (in, NULL, NULL, NULL)) != NULL)
        {
          guint r = G_MAXUINT;
          gboolean begins = sscanf (line, "begin %u", &r) == 1;
          if (begins)
            begin_at = g_get_monotonic_time ();
          else if (sscanf (line, "done %u", &r) == 1)
            {
              last_commit_us = g_get_monotonic_time () - begin_at;
              done++;
            }
          g_free (line);
          if (!killed && begins && r == target)
            {
              g_usleep ((gulong) (fraction * last_commit_us));
              g_subprocess_force_exit (p);
              killed = TRUE;
            }
        }
      g_assert_true (killed);
      g_assert_true (g_subprocess_wait (p, NULL, NULL));
      g_assert_true (g_subprocess_get_if_signaled (p));
      g_assert_cmpint (g_subprocess_get_term_sig (p), ==, SIGKILL);

      gint64 runs = file_int (f->db, "SELECT count(*) FROM run") - before;
      g_test_message ("round %u: killed %.0f%% into a %.0f ms commit of run %u: %" G_GINT64_FORMAT
                      " runs in the file, %u announced done", round, fraction * 100, last_commit_us / 1000.0,
                      target, runs, done);
      g_assert_cmpint (runs, >=, done);
      g_assert_cmpint (runs, <=, done + 1);
      before += runs;
      sqlite3 *db = sql_open (f->db);
      assert_runs_whole (db, points);
      sqlite3_close (db);
    }
  /* and the store opens and writes after the last crash */
  g_autoptr (ResultsStore) store = open_ok (f->db);
  ResultsRunInfo info = run_info ("General", 999);
  g_autoptr (ResultsRun) run = results_run_begin (store, &info);
  GError *err = NULL;
  g_assert_true (results_run_commit (run, 0, 0, 0.0, &err));
  g_assert_no_error (err);
}

int
main (int argc, char **argv)
{
  if (argc == 6 && g_str_has_prefix (argv[1], "--writer"))
    return writer_main (argv[2], (guint) g_ascii_strtoull (argv[3], NULL, 10),
                        (guint) g_ascii_strtoull (argv[4], NULL, 10), (guint) g_ascii_strtoull (argv[5], NULL, 10),
                        strcmp (argv[1], "--writer-hold") == 0);
  self_exe = g_canonicalize_filename (argv[0], NULL);
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add ("/results/store/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("create", test_create);
  ADD ("version-mismatch", test_version_mismatch);
  ADD ("foreign", test_foreign);
  ADD ("not-sqlite", test_not_sqlite);
  ADD ("read-only/missing-and-empty", test_read_only_missing_and_empty);
  ADD ("read-only/sees-runs", test_read_only_sees_runs);
  ADD ("round-trip", test_round_trip);
  ADD ("failed-run", test_failed_run);
  ADD ("failed-then-complete", test_failed_then_complete);
  ADD ("duplicate-refused", test_duplicate_refused);
  ADD ("run-complete-query", test_run_complete_query);
  ADD ("invalid-rolls-back", test_invalid_rolls_back);
  ADD ("concurrent-writers", test_concurrent_writers);
  ADD ("kill-during-commit", test_kill_during_commit);
#undef ADD
  int rc = g_test_run ();
  g_free (self_exe);
  return rc;
}
