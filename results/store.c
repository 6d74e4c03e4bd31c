/*
 * results/store.c - the SQLite results database and the recorder that fills it.
 *
 * Schema (version 1, PRAGMA user_version = 1, PRAGMA application_id =
 * 0x5053494D "PSIM"), after OMNeT++'s result databases:
 *
 *   run         one row per run attempt that ended: identity, description, outcome
 *     id              INTEGER PRIMARY KEY
 *     runid           TEXT UNIQUE      "<config>-<run number>-<first 8 hex digits of the digest>"
 *     scenario        TEXT             scenario file path as given
 *     scenario_digest TEXT             SHA-256 (hex) of the effective scenario text
 *     config          TEXT             config name
 *     run_number      INTEGER          run number within the config
 *     repetition      INTEGER          repetition index
 *     seed            INTEGER          run seed (64-bit, two's complement)
 *     threat          TEXT NULL        threat name
 *     mitigations     TEXT NULL        mitigation names, comma-separated
 *     version         TEXT             poolsim version that wrote the run
 *     status          TEXT             'complete' | 'failed'
 *     error           TEXT NULL        the failure message (failed runs only)
 *     wall_time       REAL NULL        wall-clock seconds the run took (complete runs)
 *     sim_time        REAL NULL        simulated seconds at the end of the run (complete runs)
 *     events          INTEGER NULL     events executed (complete runs)
 *     created         TEXT             UTC time the row was written, ISO 8601 (metadata only)
 *     UNIQUE (scenario_digest, config, run_number)
 *   runattr     (run_id, name, value TEXT)  further attributes, UNIQUE (run_id, name)
 *   runparam    (run_id, name, value TEXT)  sweep (iteration) variables, UNIQUE (run_id, name)
 *   scalar      (run_id, module, name, value, unit)  UNIQUE (run_id, module, name)
 *   statistic   (run_id, module, name, count, mean, stddev, min, max, sum, unit)
 *               UNIQUE (run_id, module, name); stddev is the sample one (n - 1);
 *               mean, stddev, min, max are NULL when count = 0
 *   vector      (id INTEGER PRIMARY KEY, run_id, module, name, unit, count)
 *               UNIQUE (run_id, module, name); count = rows in vectordata
 *   vectordata  (vector_id, time INTEGER, value)  time in simulated nanoseconds
 *               (exact); rows in recording order (rowid)
 *   indexes: run (status, config); vectordata (vector_id); the UNIQUE ones.
 *
 * Result values (scalar.value, statistic's mean .. sum, vectordata.value) are
 * declared without a type: a REAL column stores integral doubles as integers
 * on disk and so turns -0.0 into 0, which would break the bit-for-bit
 * round-trip of determinism tests. They are always written as IEEE doubles
 * (typeof() = 'real') or NULL, which is how SQLite stores NaN. The result
 * tables (runparam, scalar, statistic, vector, vectordata) hold nothing that
 * depends on the wall clock, the machine or the process: the same run gives
 * the same rows. Only run.wall_time and run.created do not.
 *
 * Transactions. A run is written in one BEGIN IMMEDIATE ... COMMIT that also
 * checks whether its identity is taken, so two processes cannot both write it
 * and a kill leaves either the whole run or nothing (WAL with
 * synchronous=NORMAL: a committed transaction survives the death of the
 * process; after a power loss the last commits may be lost, never half of
 * one). The write lock is held only for the inserts of one finished run.
 *
 * Invariants: a run row has status 'complete' or 'failed'; a failed row has
 * an error and no scalar, statistic or vector rows; (scenario_digest, config,
 * run_number) identifies at most one row. The REFERENCES clauses document the
 * relations; they are not enforced by SQLite (foreign_keys stays off: checking
 * every vector point costs a lookup) but by this file, which alone writes.
 *
 * Not here: reading results (report.c), merging shards, plotting.
 */
#include "config.h"

#include "results/store.h"
#include "results/store-private.h"

#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>

G_DEFINE_QUARK (results-store-error-quark, results_store_error)

static const char schema_sql[] =
  "CREATE TABLE run (\n"
  "  id              INTEGER PRIMARY KEY,\n"
  "  runid           TEXT    NOT NULL UNIQUE,\n"
  "  scenario        TEXT    NOT NULL,\n"
  "  scenario_digest TEXT    NOT NULL,\n"
  "  config          TEXT    NOT NULL,\n"
  "  run_number      INTEGER NOT NULL,\n"
  "  repetition      INTEGER NOT NULL,\n"
  "  seed            INTEGER NOT NULL,\n"
  "  threat          TEXT,\n"
  "  mitigations     TEXT,\n"
  "  version         TEXT    NOT NULL,\n"
  "  status          TEXT    NOT NULL CHECK (status IN ('complete', 'failed')),\n"
  "  error           TEXT    CHECK ((status = 'failed') = (error IS NOT NULL)),\n"
  "  wall_time       REAL,\n"
  "  sim_time        REAL,\n"
  "  events          INTEGER,\n"
  "  created         TEXT    NOT NULL,\n"
  "  UNIQUE (scenario_digest, config, run_number)\n"
  ");\n"
  "CREATE INDEX run_status_config ON run (status, config);\n"
  "CREATE TABLE runattr (\n"
  "  run_id INTEGER NOT NULL REFERENCES run (id),\n"
  "  name   TEXT    NOT NULL,\n"
  "  value  TEXT    NOT NULL,\n"
  "  UNIQUE (run_id, name)\n"
  ");\n"
  "CREATE TABLE runparam (\n"
  "  run_id INTEGER NOT NULL REFERENCES run (id),\n"
  "  name   TEXT    NOT NULL,\n"
  "  value  TEXT    NOT NULL,\n"
  "  UNIQUE (run_id, name)\n"
  ");\n"
  "CREATE TABLE scalar (\n"
  "  run_id INTEGER NOT NULL REFERENCES run (id),\n"
  "  module TEXT    NOT NULL,\n"
  "  name   TEXT    NOT NULL,\n"
  "  value,\n"
  "  unit   TEXT,\n"
  "  UNIQUE (run_id, module, name)\n"
  ");\n"
  "CREATE TABLE statistic (\n"
  "  run_id INTEGER NOT NULL REFERENCES run (id),\n"
  "  module TEXT    NOT NULL,\n"
  "  name   TEXT    NOT NULL,\n"
  "  count  INTEGER NOT NULL,\n"
  "  mean,\n"
  "  stddev,\n"
  "  min,\n"
  "  max,\n"
  "  sum,\n"
  "  unit   TEXT,\n"
  "  UNIQUE (run_id, module, name)\n"
  ");\n"
  "CREATE TABLE vector (\n"
  "  id     INTEGER PRIMARY KEY,\n"
  "  run_id INTEGER NOT NULL REFERENCES run (id),\n"
  "  module TEXT    NOT NULL,\n"
  "  name   TEXT    NOT NULL,\n"
  "  unit   TEXT,\n"
  "  count  INTEGER NOT NULL,\n"
  "  UNIQUE (run_id, module, name)\n"
  ");\n"
  "CREATE TABLE vectordata (\n"
  "  vector_id INTEGER NOT NULL REFERENCES vector (id),\n"
  "  time      INTEGER NOT NULL,\n"
  "  value\n"
  ");\n"
  "CREATE INDEX vectordata_vector ON vectordata (vector_id);\n";

/* The statements a store prepares (once, on first use) and reuses. */
typedef enum {
  STMT_BEGIN,
  STMT_COMMIT,
  STMT_ROLLBACK,
  STMT_FIND_RUN,
  STMT_RUN_COMPLETE,
  STMT_DELETE_RUNATTR,
  STMT_DELETE_RUNPARAM,
  STMT_DELETE_RUN,
  STMT_INSERT_RUN,
  STMT_INSERT_RUNATTR,
  STMT_INSERT_RUNPARAM,
  STMT_INSERT_SCALAR,
  STMT_INSERT_STATISTIC,
  STMT_INSERT_VECTOR,
  STMT_INSERT_VECTORDATA,
  N_STMTS
} StoreStmt;

static const char *const stmt_sql[N_STMTS] = {
  [STMT_BEGIN] = "BEGIN IMMEDIATE",
  [STMT_COMMIT] = "COMMIT",
  [STMT_ROLLBACK] = "ROLLBACK",
  [STMT_FIND_RUN] = "SELECT id, status FROM run WHERE scenario_digest = ?1 AND config = ?2 AND run_number = ?3",
  [STMT_RUN_COMPLETE] = "SELECT count(*) FROM run WHERE scenario_digest = ?1 AND config = ?2"
                        " AND run_number = ?3 AND status = 'complete'",
  [STMT_DELETE_RUNATTR] = "DELETE FROM runattr WHERE run_id = ?1",
  [STMT_DELETE_RUNPARAM] = "DELETE FROM runparam WHERE run_id = ?1",
  [STMT_DELETE_RUN] = "DELETE FROM run WHERE id = ?1",
  [STMT_INSERT_RUN] = "INSERT INTO run (runid, scenario, scenario_digest, config, run_number, repetition,"
                      " seed, threat, mitigations, version, status, error, wall_time, sim_time, events,"
                      " created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
  [STMT_INSERT_RUNATTR] = "INSERT INTO runattr (run_id, name, value) VALUES (?1, ?2, ?3)",
  [STMT_INSERT_RUNPARAM] = "INSERT INTO runparam (run_id, name, value) VALUES (?1, ?2, ?3)",
  [STMT_INSERT_SCALAR] = "INSERT INTO scalar (run_id, module, name, value, unit) VALUES (?1, ?2, ?3, ?4, ?5)",
  [STMT_INSERT_STATISTIC] = "INSERT INTO statistic (run_id, module, name, count, mean, stddev, min, max, sum, unit)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
  [STMT_INSERT_VECTOR] = "INSERT INTO vector (run_id, module, name, unit, count) VALUES (?1, ?2, ?3, ?4, ?5)",
  [STMT_INSERT_VECTORDATA] = "INSERT INTO vectordata (vector_id, time, value) VALUES (?1, ?2, ?3)",
};

struct ResultsStore {
  sqlite3      *db;
  char         *path;
  gboolean      read_only;
  sqlite3_stmt *stmts[N_STMTS];   /* prepared on first use; NULL until then */
};

typedef struct {
  const char *module;   /* strings live in the run's string chunk */
  const char *name;
  const char *unit;     /* nullable */
  double      value;
} BufScalar;

typedef struct {
  const char *module;
  const char *name;
  const char *unit;
  SimStat     st;
} BufStatistic;

typedef struct {
  SimTime t;
  double  value;
} BufPoint;

typedef struct {
  const char *module;
  const char *name;
  const char *unit;
  GArray     *points;   /* of BufPoint, in recording order */
} BufVector;

/*
 * A run being recorded: its description and every result, in memory until
 * commit. The recorder is the first member so that the recorder methods can
 * cast back to the run.
 */
struct ResultsRun {
  SimRecorder   recorder;
  ResultsStore *store;       /* borrowed; outlives the run */
  GStringChunk *strings;     /* every string of the run, deduplicated */
  const char   *runid;
  const char   *scenario;
  const char   *digest;
  const char   *config;
  guint         run_number;
  guint         repetition;
  guint64       seed;
  const char   *threat;      /* nullable */
  const char   *mitigations; /* nullable */
  GArray       *itervars;    /* of ResultsPair (chunk strings) */
  GArray       *attrs;       /* of ResultsPair (chunk strings) */
  GArray       *scalars;     /* of BufScalar, in recording order */
  GArray       *statistics;  /* of BufStatistic */
  GArray       *vectors;     /* of BufVector; handle = index + 1 */
  gboolean      written;     /* committed or recorded as failed: no further writes */
};

gboolean
results_store_set_error (ResultsStore *store, GError **error, int rc, const char *what)
{
  int code = rc == SQLITE_CONSTRAINT_UNIQUE ? RESULTS_STORE_ERROR_INVALID : RESULTS_STORE_ERROR_SQLITE;
  g_set_error (error, RESULTS_STORE_ERROR, code, "%s: %s: %s", store->path, what, sqlite3_errmsg (store->db));
  return FALSE;
}

sqlite3 *
results_store_db (ResultsStore *store)
{
  return store->db;
}

const char *
results_store_path (const ResultsStore *store)
{
  return store->path;
}

static sqlite3_stmt *
store_stmt (ResultsStore *store, StoreStmt id, GError **error)
{
  if (store->stmts[id] == NULL)
    {
      int rc = sqlite3_prepare_v3 (store->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                   &store->stmts[id], NULL);
      if (rc != SQLITE_OK)
        {
          results_store_set_error (store, error, rc, "preparing a statement");
          return NULL;
        }
    }
  return store->stmts[id];
}

/*
 * Bind parameters first, first + 1, ... of `st` from the variable arguments,
 * one per character of `types`: 't' const char * (NULL binds NULL), 'i' gint64,
 * 'd' double (NaN binds NULL). Returns the first SQLite error or SQLITE_OK.
 */
static int
bind_params (sqlite3_stmt *st, int first, const char *types, ...)
{
  va_list ap;
  int rc = SQLITE_OK;
  va_start (ap, types);
  for (int i = 0; types[i] != '\0' && rc == SQLITE_OK; i++)
    switch (types[i])
      {
      case 't':
        {
          const char *s = va_arg (ap, const char *);
          rc = s != NULL ? sqlite3_bind_text (st, first + i, s, -1, SQLITE_STATIC)
                         : sqlite3_bind_null (st, first + i);
          break;
        }
      case 'i':
        rc = sqlite3_bind_int64 (st, first + i, va_arg (ap, gint64));
        break;
      case 'd':
        rc = sqlite3_bind_double (st, first + i, va_arg (ap, double));
        break;
      default:
        g_assert_not_reached ();
      }
  va_end (ap);
  return rc;
}

/*
 * Run statement `id`, whose parameters are bound (rc is the result of binding
 * them), to completion. The printf-style rest says what it does, for the
 * error message.
 */
static gboolean store_step (ResultsStore *store, StoreStmt id, int rc, GError **error, const char *what_fmt, ...)
  G_GNUC_PRINTF (5, 6);

static gboolean
store_step (ResultsStore *store, StoreStmt id, int rc, GError **error, const char *what_fmt, ...)
{
  sqlite3_stmt *st = store->stmts[id];
  if (rc == SQLITE_OK)
    rc = sqlite3_step (st);
  if (rc != SQLITE_DONE)
    {
      va_list ap;
      va_start (ap, what_fmt);
      g_autofree char *what = g_strdup_vprintf (what_fmt, ap);
      va_end (ap);
      results_store_set_error (store, error, rc, what);
    }
  sqlite3_reset (st);
  sqlite3_clear_bindings (st);
  return rc == SQLITE_DONE;
}

/* Run a parameterless statement (BEGIN, COMMIT, ROLLBACK). */
static gboolean
store_exec (ResultsStore *store, StoreStmt id, const char *what, GError **error)
{
  if (store_stmt (store, id, error) == NULL)
    return FALSE;
  return store_step (store, id, SQLITE_OK, error, "%s", what);
}

/*
 * Read application_id, user_version and the number of schema objects in one
 * statement, hence from one snapshot: read one by one, another process could
 * create the schema in between and the mix would look like a foreign file.
 */
static gboolean
store_read_identity (ResultsStore *store, gint64 *app_id, gint64 *version, gint64 *objects, GError **error)
{
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2 (store->db, "SELECT (SELECT application_id FROM pragma_application_id),"
                               " (SELECT user_version FROM pragma_user_version),"
                               " (SELECT count(*) FROM sqlite_schema)", -1, &st, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (st);
  if (rc == SQLITE_ROW)
    {
      *app_id = sqlite3_column_int64 (st, 0);
      *version = sqlite3_column_int64 (st, 1);
      *objects = sqlite3_column_int64 (st, 2);
      rc = SQLITE_OK;
    }
  if (rc != SQLITE_OK)
    {
      if (rc == SQLITE_NOTADB)
        g_set_error (error, RESULTS_STORE_ERROR, RESULTS_STORE_ERROR_FOREIGN,
                     "%s: not a poolsim results database (not an SQLite database at all)", store->path);
      else
        results_store_set_error (store, error, rc, "reading the database header");
    }
  sqlite3_finalize (st);
  return rc == SQLITE_OK;
}

typedef enum {
  STORE_EMPTY,   /* a new (or zero-length) database: nothing in it yet */
  STORE_OURS,    /* a poolsim results database of this schema version */
} StoreKind;

/* Check what the file holds; anything but EMPTY or OURS is an error naming both values. */
static gboolean
store_identify (ResultsStore *store, StoreKind *kind, GError **error)
{
  gint64 app_id = 0, version = 0, objects = 0;
  if (!store_read_identity (store, &app_id, &version, &objects, error))
    return FALSE;
  if (app_id == RESULTS_STORE_APPLICATION_ID)
    {
      if (version != RESULTS_STORE_SCHEMA_VERSION)
        {
          g_set_error (error, RESULTS_STORE_ERROR, RESULTS_STORE_ERROR_VERSION,
                       "%s: poolsim results database of schema version %" G_GINT64_FORMAT
                       ", but poolsim %s reads and writes schema version %d",
                       store->path, version, PACKAGE_VERSION, RESULTS_STORE_SCHEMA_VERSION);
          return FALSE;
        }
      *kind = STORE_OURS;
      return TRUE;
    }
  if (app_id == 0 && version == 0 && objects == 0)
    {
      *kind = STORE_EMPTY;
      return TRUE;
    }
  g_set_error (error, RESULTS_STORE_ERROR, RESULTS_STORE_ERROR_FOREIGN,
               "%s: not a poolsim results database (application_id 0x%08x, user_version %" G_GINT64_FORMAT
               ", %" G_GINT64_FORMAT " schema objects; poolsim's application_id is 0x%08x)",
               store->path, (guint32) app_id, version, objects, (guint) RESULTS_STORE_APPLICATION_ID);
  return FALSE;
}

/* Create the schema in an empty database, unless another process did it meanwhile. */
static gboolean
store_create_schema (ResultsStore *store, GError **error)
{
  if (!store_exec (store, STMT_BEGIN, "locking the new database", error))
    return FALSE;
  StoreKind kind;
  g_autoptr (GError) local = NULL;
  if (!store_identify (store, &kind, &local))
    goto fail;
  if (kind == STORE_EMPTY)
    {
      g_autofree char *pragmas = g_strdup_printf ("PRAGMA application_id = %d; PRAGMA user_version = %d;",
                                                  RESULTS_STORE_APPLICATION_ID, RESULTS_STORE_SCHEMA_VERSION);
      int rc = sqlite3_exec (store->db, schema_sql, NULL, NULL, NULL);
      if (rc == SQLITE_OK)
        rc = sqlite3_exec (store->db, pragmas, NULL, NULL, NULL);
      if (rc != SQLITE_OK)
        {
          results_store_set_error (store, &local, rc, "creating the schema");
          goto fail;
        }
    }
  if (store_exec (store, STMT_COMMIT, "committing the schema", &local))
    return TRUE;
fail:
  store_exec (store, STMT_ROLLBACK, "rolling back", NULL);
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

/* Run a journal_mode pragma; on SQLITE_OK, *mode is the journal mode it reports. */
static int
store_journal_mode (ResultsStore *store, const char *sql, char **mode)
{
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2 (store->db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (st);
  if (rc == SQLITE_ROW)
    {
      *mode = g_ascii_strdown ((const char *) sqlite3_column_text (st, 0), -1);
      rc = SQLITE_OK;
    }
  sqlite3_finalize (st);
  return rc;
}

/*
 * Switch to WAL (persistent in the file) and the settings of a writer.
 * Switching needs an exclusive lock, for which SQLite does not wait through
 * the busy handler; when several processes open a new database at once, the
 * losers retry until the busy timeout.
 */
static gboolean
store_setup_writer (ResultsStore *store, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + RESULTS_STORE_BUSY_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
  g_autofree char *mode = NULL;
  int rc = store_journal_mode (store, "PRAGMA journal_mode", &mode);
  while (rc == SQLITE_OK && strcmp (mode, "wal") != 0)
    {
      g_clear_pointer (&mode, g_free);
      rc = store_journal_mode (store, "PRAGMA journal_mode = WAL", &mode);
      if ((rc & 0xff) == SQLITE_BUSY && g_get_monotonic_time () < deadline)
        {
          g_usleep (2 * G_TIME_SPAN_MILLISECOND);
          rc = store_journal_mode (store, "PRAGMA journal_mode", &mode);
          continue;
        }
      if (rc == SQLITE_OK && strcmp (mode, "wal") != 0)
        {
          g_set_error (error, RESULTS_STORE_ERROR, RESULTS_STORE_ERROR_SQLITE,
                       "%s: cannot switch to WAL journal mode (journal mode stays %s)", store->path, mode);
          return FALSE;
        }
    }
  if (rc != SQLITE_OK)
    return results_store_set_error (store, error, rc, "switching to WAL journal mode");
  rc = sqlite3_exec (store->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    return results_store_set_error (store, error, rc, "setting synchronous = NORMAL");
  return TRUE;
}

static ResultsStore *
store_open (const char *path, gboolean read_only, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  if (read_only && !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, RESULTS_STORE_ERROR, RESULTS_STORE_ERROR_NOT_FOUND, "%s: no such file", path);
      return NULL;
    }
  g_autoptr (ResultsStore) store = g_new0 (ResultsStore, 1);
  store->path = g_strdup (path);
  store->read_only = read_only;
  int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2 (path, &store->db, flags, NULL);
  if (rc != SQLITE_OK)
    {
      if (store->db == NULL)
        g_set_error (error, RESULTS_STORE_ERROR, RESULTS_STORE_ERROR_SQLITE, "%s: %s", path, sqlite3_errstr (rc));
      else
        results_store_set_error (store, error, rc, "opening");
      return NULL;
    }
  sqlite3_extended_result_codes (store->db, 1);
  rc = sqlite3_busy_timeout (store->db, RESULTS_STORE_BUSY_TIMEOUT_MS);
  if (rc != SQLITE_OK)
    {
      results_store_set_error (store, error, rc, "setting the busy timeout");
      return NULL;
    }
  StoreKind kind;
  if (!store_identify (store, &kind, error))
    return NULL;
  if (read_only)
    {
      if (kind == STORE_EMPTY)
        {
          g_set_error (error, RESULTS_STORE_ERROR, RESULTS_STORE_ERROR_FOREIGN,
                       "%s: not a poolsim results database (empty)", path);
          return NULL;
        }
      return g_steal_pointer (&store);
    }
  if (!store_setup_writer (store, error))
    return NULL;
  if (kind == STORE_EMPTY && !store_create_schema (store, error))
    return NULL;
  return g_steal_pointer (&store);
}

ResultsStore *
results_store_open (const char *path, GError **error)
{
  return store_open (path, FALSE, error);
}

ResultsStore *
results_store_open_read_only (const char *path, GError **error)
{
  return store_open (path, TRUE, error);
}

void
results_store_close (ResultsStore *store)
{
  if (store == NULL)
    return;
  for (int i = 0; i < N_STMTS; i++)
    sqlite3_finalize (store->stmts[i]);
  /* Cannot fail once every statement is finalized; a failure would leak the handle, not data. */
  sqlite3_close (store->db);
  g_free (store->path);
  g_free (store);
}

gboolean
results_store_run_complete (ResultsStore *store, const char *digest, const char *config, guint run_number,
                            gboolean *complete, GError **error)
{
  g_return_val_if_fail (store != NULL && digest != NULL && config != NULL && complete != NULL, FALSE);
  sqlite3_stmt *st = store_stmt (store, STMT_RUN_COMPLETE, error);
  if (st == NULL)
    return FALSE;
  int rc = bind_params (st, 1, "tti", digest, config, (gint64) run_number);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (st);
  if (rc == SQLITE_ROW)
    {
      *complete = sqlite3_column_int64 (st, 0) > 0;
      rc = SQLITE_OK;
    }
  if (rc != SQLITE_OK)
    results_store_set_error (store, error, rc, "looking up a run");
  sqlite3_reset (st);
  sqlite3_clear_bindings (st);
  return rc == SQLITE_OK;
}

/* The recorder methods: buffer in the run. */

static const char *
run_intern (ResultsRun *run, const char *s)
{
  return s != NULL ? g_string_chunk_insert_const (run->strings, s) : NULL;
}

static void
run_record_scalar (SimRecorder *rec, const char *module, const char *name, double value, const char *unit)
{
  ResultsRun *run = (ResultsRun *) rec;
  g_return_if_fail (module != NULL && name != NULL && !run->written);
  BufScalar s = { run_intern (run, module), run_intern (run, name), run_intern (run, unit), value };
  g_array_append_val (run->scalars, s);
}

static void
run_record_statistic (SimRecorder *rec, const char *module, const char *name, const SimStat *st,
                      const char *unit)
{
  ResultsRun *run = (ResultsRun *) rec;
  g_return_if_fail (module != NULL && name != NULL && st != NULL && !run->written);
  BufStatistic s = { run_intern (run, module), run_intern (run, name), run_intern (run, unit), *st };
  g_array_append_val (run->statistics, s);
}

static guint
run_vector_open (SimRecorder *rec, const char *module, const char *name, const char *unit)
{
  ResultsRun *run = (ResultsRun *) rec;
  g_return_val_if_fail (module != NULL && name != NULL && !run->written, 0);
  BufVector v = { run_intern (run, module), run_intern (run, name), run_intern (run, unit),
                  g_array_new (FALSE, FALSE, sizeof (BufPoint)) };
  g_array_append_val (run->vectors, v);
  return run->vectors->len;
}

static void
run_vector_append (SimRecorder *rec, guint vector, SimTime t, double value)
{
  ResultsRun *run = (ResultsRun *) rec;
  g_return_if_fail (vector >= 1 && vector <= run->vectors->len && !run->written);
  BufPoint p = { t, value };
  g_array_append_val (g_array_index (run->vectors, BufVector, vector - 1).points, p);
}

static const SimRecorderClass run_recorder_class = {
  run_record_scalar, run_record_statistic, run_vector_open, run_vector_append,
};

static void
buf_vector_clear (gpointer data)
{
  BufVector *v = data;
  g_array_unref (v->points);
}

static gboolean
digest_valid (const char *digest)
{
  if (strlen (digest) != 64)
    return FALSE;
  for (const char *p = digest; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

static GArray *
run_copy_pairs (ResultsRun *run, const ResultsPair *pairs, guint n)
{
  GArray *a = g_array_sized_new (FALSE, FALSE, sizeof (ResultsPair), n);
  for (guint i = 0; i < n; i++)
    {
      g_return_val_if_fail (pairs[i].name != NULL && pairs[i].value != NULL, a);
      ResultsPair p = { run_intern (run, pairs[i].name), run_intern (run, pairs[i].value) };
      g_array_append_val (a, p);
    }
  return a;
}

ResultsRun *
results_run_begin (ResultsStore *store, const ResultsRunInfo *info)
{
  g_return_val_if_fail (store != NULL && !store->read_only && info != NULL, NULL);
  g_return_val_if_fail (info->scenario != NULL && info->config != NULL, NULL);
  g_return_val_if_fail (info->scenario_digest != NULL && digest_valid (info->scenario_digest), NULL);
  g_return_val_if_fail (info->n_itervars == 0 || info->itervars != NULL, NULL);
  g_return_val_if_fail (info->n_attrs == 0 || info->attrs != NULL, NULL);

  ResultsRun *run = g_new0 (ResultsRun, 1);
  run->recorder.klass = &run_recorder_class;
  run->store = store;
  run->strings = g_string_chunk_new (4096);
  g_autofree char *runid = g_strdup_printf ("%s-%u-%.8s", info->config, info->run_number, info->scenario_digest);
  run->runid = run_intern (run, runid);
  run->scenario = run_intern (run, info->scenario);
  run->digest = run_intern (run, info->scenario_digest);
  run->config = run_intern (run, info->config);
  run->run_number = info->run_number;
  run->repetition = info->repetition;
  run->seed = info->seed;
  run->threat = run_intern (run, info->threat);
  run->mitigations = run_intern (run, info->mitigations);
  run->itervars = run_copy_pairs (run, info->itervars, info->n_itervars);
  run->attrs = run_copy_pairs (run, info->attrs, info->n_attrs);
  run->scalars = g_array_new (FALSE, FALSE, sizeof (BufScalar));
  run->statistics = g_array_new (FALSE, FALSE, sizeof (BufStatistic));
  run->vectors = g_array_new (FALSE, FALSE, sizeof (BufVector));
  g_array_set_clear_func (run->vectors, buf_vector_clear);
  return run;
}

SimRecorder *
results_run_recorder (ResultsRun *run)
{
  g_return_val_if_fail (run != NULL, NULL);
  return &run->recorder;
}

const char *
results_run_id (const ResultsRun *run)
{
  g_return_val_if_fail (run != NULL, NULL);
  return run->runid;
}

void
results_run_free (ResultsRun *run)
{
  if (run == NULL)
    return;
  g_array_unref (run->itervars);
  g_array_unref (run->attrs);
  g_array_unref (run->scalars);
  g_array_unref (run->statistics);
  g_array_unref (run->vectors);
  g_string_chunk_free (run->strings);
  g_free (run);
}

/* Make room for the run's row: refuse a complete run, remove a failed one. */
static gboolean
run_claim_identity (ResultsRun *run, GError **error)
{
  ResultsStore *store = run->store;
  sqlite3_stmt *st = store_stmt (store, STMT_FIND_RUN, error);
  if (st == NULL)
    return FALSE;
  gint64 old_id = 0;
  gboolean old_complete = FALSE;
  int rc = bind_params (st, 1, "tti", run->digest, run->config, (gint64) run->run_number);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (st);
  if (rc == SQLITE_ROW)
    {
      old_id = sqlite3_column_int64 (st, 0);
      old_complete = g_strcmp0 ((const char *) sqlite3_column_text (st, 1), "complete") == 0;
      rc = sqlite3_step (st);
    }
  if (rc != SQLITE_DONE)
    results_store_set_error (store, error, rc, "looking up the run");
  sqlite3_reset (st);
  sqlite3_clear_bindings (st);
  if (rc != SQLITE_DONE)
    return FALSE;
  if (old_id == 0)
    return TRUE;
  if (old_complete)
    {
      g_set_error (error, RESULTS_STORE_ERROR, RESULTS_STORE_ERROR_DUPLICATE,
                   "%s: run %s (config %s, run %u, scenario %s) is already complete", store->path, run->runid,
                   run->config, run->run_number, run->digest);
      return FALSE;
    }
  static const StoreStmt deletes[] = { STMT_DELETE_RUNATTR, STMT_DELETE_RUNPARAM, STMT_DELETE_RUN };
  for (guint i = 0; i < G_N_ELEMENTS (deletes); i++)
    {
      st = store_stmt (store, deletes[i], error);
      if (st == NULL || !store_step (store, deletes[i], bind_params (st, 1, "i", old_id), error,
                                     "removing the earlier failed attempt of run %s", run->runid))
        return FALSE;
    }
  return TRUE;
}

static gboolean
run_insert_pairs (ResultsRun *run, gint64 run_id, StoreStmt id, GArray *pairs, GError **error)
{
  ResultsStore *store = run->store;
  sqlite3_stmt *st = store_stmt (store, id, error);
  if (st == NULL)
    return FALSE;
  for (guint i = 0; i < pairs->len; i++)
    {
      ResultsPair *p = &g_array_index (pairs, ResultsPair, i);
      if (!store_step (store, id, bind_params (st, 1, "itt", run_id, p->name, p->value), error,
                       "inserting run %s %s", id == STMT_INSERT_RUNATTR ? "attribute" : "variable", p->name))
        return FALSE;
    }
  return TRUE;
}

static gboolean
run_insert_results (ResultsRun *run, gint64 run_id, GError **error)
{
  ResultsStore *store = run->store;
  sqlite3_stmt *st = store_stmt (store, STMT_INSERT_SCALAR, error);
  if (st == NULL)
    return FALSE;
  for (guint i = 0; i < run->scalars->len; i++)
    {
      BufScalar *s = &g_array_index (run->scalars, BufScalar, i);
      int rc = bind_params (st, 1, "ittdt", run_id, s->module, s->name, s->value, s->unit);
      if (!store_step (store, STMT_INSERT_SCALAR, rc, error, "inserting scalar %s %s", s->module, s->name))
        return FALSE;
    }
  st = store_stmt (store, STMT_INSERT_STATISTIC, error);
  if (st == NULL)
    return FALSE;
  for (guint i = 0; i < run->statistics->len; i++)
    {
      BufStatistic *s = &g_array_index (run->statistics, BufStatistic, i);
      /* mean, stddev, min and max stay NULL (unbound) for an empty statistic */
      int rc = bind_params (st, 1, "itti", run_id, s->module, s->name, (gint64) s->st.count);
      if (rc == SQLITE_OK && s->st.count > 0)
        rc = bind_params (st, 5, "dddd", s->st.mean, sim_stat_stddev (&s->st), s->st.min, s->st.max);
      if (rc == SQLITE_OK)
        rc = bind_params (st, 9, "dt", s->st.sum, s->unit);
      if (!store_step (store, STMT_INSERT_STATISTIC, rc, error, "inserting statistic %s %s", s->module, s->name))
        return FALSE;
    }
  sqlite3_stmt *vst = store_stmt (store, STMT_INSERT_VECTOR, error);
  sqlite3_stmt *dst = store_stmt (store, STMT_INSERT_VECTORDATA, error);
  if (vst == NULL || dst == NULL)
    return FALSE;
  for (guint i = 0; i < run->vectors->len; i++)
    {
      BufVector *v = &g_array_index (run->vectors, BufVector, i);
      int rc = bind_params (vst, 1, "ittti", run_id, v->module, v->name, v->unit, (gint64) v->points->len);
      if (!store_step (store, STMT_INSERT_VECTOR, rc, error, "inserting vector %s %s", v->module, v->name))
        return FALSE;
      gint64 vector_id = sqlite3_last_insert_rowid (store->db);
      for (guint j = 0; j < v->points->len; j++)
        {
          BufPoint *p = &g_array_index (v->points, BufPoint, j);
          int rc2 = bind_params (dst, 1, "iid", vector_id, (gint64) p->t, p->value);
          if (!store_step (store, STMT_INSERT_VECTORDATA, rc2, error, "inserting data of vector %s %s",
                           v->module, v->name))
            return FALSE;
        }
    }
  return TRUE;
}

/* The run's rows, inside the transaction. */
static gboolean
run_insert (ResultsRun *run, const char *status, const char *message, SimTime sim_time, guint64 events,
            double wall_seconds, GError **error)
{
  ResultsStore *store = run->store;
  if (!run_claim_identity (run, error))
    return FALSE;
  sqlite3_stmt *st = store_stmt (store, STMT_INSERT_RUN, error);
  if (st == NULL)
    return FALSE;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *created = g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
  gboolean complete = message == NULL;
  int rc = bind_params (st, 1, "ttttiiittttt", run->runid, run->scenario, run->digest, run->config,
                        (gint64) run->run_number, (gint64) run->repetition, (gint64) run->seed, run->threat,
                        run->mitigations, PACKAGE_VERSION, status, message);
  /* wall_time, sim_time and events stay NULL (unbound) for a failed run */
  if (rc == SQLITE_OK && complete)
    rc = bind_params (st, 13, "ddi", wall_seconds, (double) sim_time / (double) SIM_S, (gint64) events);
  if (rc == SQLITE_OK)
    rc = bind_params (st, 16, "t", created);
  if (!store_step (store, STMT_INSERT_RUN, rc, error, "inserting run %s", run->runid))
    return FALSE;
  gint64 run_id = sqlite3_last_insert_rowid (store->db);
  if (!run_insert_pairs (run, run_id, STMT_INSERT_RUNATTR, run->attrs, error)
      || !run_insert_pairs (run, run_id, STMT_INSERT_RUNPARAM, run->itervars, error))
    return FALSE;
  return !complete || run_insert_results (run, run_id, error);
}

/* Write the run in one transaction; on any error roll back and write nothing. */
static gboolean
run_write (ResultsRun *run, const char *message, SimTime sim_time, guint64 events, double wall_seconds,
           GError **error)
{
  ResultsStore *store = run->store;
  if (!store_exec (store, STMT_BEGIN, "starting the run's transaction", error))
    return FALSE;
  g_autoptr (GError) local = NULL;
  if (run_insert (run, message == NULL ? "complete" : "failed", message, sim_time, events, wall_seconds, &local)
      && store_exec (store, STMT_COMMIT, "committing the run", &local))
    {
      run->written = TRUE;
      return TRUE;
    }
  store_exec (store, STMT_ROLLBACK, "rolling back the run", NULL);
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

gboolean
results_run_commit (ResultsRun *run, SimTime sim_time, guint64 events, double wall_seconds, GError **error)
{
  g_return_val_if_fail (run != NULL && !run->written, FALSE);
  return run_write (run, NULL, sim_time, events, wall_seconds, error);
}

gboolean
results_run_fail (ResultsRun *run, const char *message, GError **error)
{
  g_return_val_if_fail (run != NULL && !run->written && message != NULL, FALSE);
  return run_write (run, message, 0, 0, 0.0, error);
}
