/*
 * results/store.h - the results database: one SQLite file per sweep (or shard),
 * schema after OMNeT++'s (run, runattr, runparam, scalar, statistic, vector,
 * vectordata); the schema itself is documented at the top of results/store.c.
 *
 * A run's results are buffered in memory by its recorder (sim/record.h) and
 * written at its end in ONE short write transaction, so that
 *  - a run killed at any point leaves no row at all (atomic commit), and
 *  - several worker processes (-j N) can write into one database: each holds
 *    the write lock only while copying one finished run (WAL mode, so readers
 *    never block; a busy writer waits up to RESULTS_STORE_BUSY_TIMEOUT_MS).
 *
 * A run is identified by (scenario digest, config, run number). At most one
 * row exists per identity: a complete run is final (writing it again, complete
 * or failed, is refused with RESULTS_STORE_ERROR_DUPLICATE: a deterministic
 * re-run gives the same rows anyway, and replacing results silently would hide
 * a mix-up); a failed run is replaced by the next attempt, failed or complete.
 * A sweep resumes by skipping identities for which results_store_run_complete()
 * says TRUE.
 *
 * Doubles round-trip bit for bit (they are bound as IEEE doubles, never
 * printed), with one exception that SQLite imposes: NaN is stored as NULL and
 * reads back as NaN.
 *
 * Not here: reading results back (results/report.c), merging shards (later:
 * the run table keeps the scenario digest and the poolsim version so a merge
 * can refuse mismatches).
 */
#pragma once

#include "sim/kernel.h"
#include "sim/record.h"

#include <glib.h>

G_BEGIN_DECLS

/* PRAGMA application_id of a poolsim results database ("PSIM"). */
#define RESULTS_STORE_APPLICATION_ID 0x5053494D
/* PRAGMA user_version: the schema version this build reads and writes. */
#define RESULTS_STORE_SCHEMA_VERSION 1
/* How long a writer waits for another process's write transaction. */
#define RESULTS_STORE_BUSY_TIMEOUT_MS 60000

#define RESULTS_STORE_ERROR (results_store_error_quark ())
GQuark results_store_error_quark (void);

typedef enum {
  RESULTS_STORE_ERROR_SQLITE,     /* SQLite failed: I/O, full disk, locked past the timeout ... */
  RESULTS_STORE_ERROR_NOT_FOUND,  /* read-only open of a file that does not exist */
  RESULTS_STORE_ERROR_FOREIGN,    /* not a poolsim results database (another program's, or not SQLite) */
  RESULTS_STORE_ERROR_VERSION,    /* a poolsim database of another schema version */
  RESULTS_STORE_ERROR_DUPLICATE,  /* the run is already complete in this database */
  RESULTS_STORE_ERROR_INVALID,    /* the run's results break the schema (e.g. a scalar recorded twice) */
} ResultsStoreError;

typedef struct ResultsStore ResultsStore;
typedef struct ResultsRun ResultsRun;

/* A (name, value) pair: an iteration variable or a run attribute. */
typedef struct {
  const char *name;
  const char *value;
} ResultsPair;

/*
 * What identifies and describes a run. All pointers are borrowed: begin()
 * copies what it needs, so the caller may build this on the stack.
 */
typedef struct {
  const char        *scenario;         /* scenario file path as given on the command line */
  const char        *scenario_digest;  /* SHA-256 of the effective scenario text, 64 lowercase hex digits */
  const char        *config;           /* config name, e.g. "General" */
  guint              run_number;       /* run number within the config (selects the seed) */
  guint              repetition;       /* repetition index, 0 .. repeat-1 */
  guint64            seed;             /* the run seed (stored as INTEGER two's complement) */
  const char        *threat;           /* nullable: threat name, e.g. "reg-flood" */
  const char        *mitigations;      /* nullable: mitigation names, comma-separated */
  const ResultsPair *itervars;         /* sweep variables in declaration order; not the repetition */
  guint              n_itervars;
  const ResultsPair *attrs;            /* further run attributes, in order */
  guint              n_attrs;
} ResultsRunInfo;

/*
 * Create (schema, WAL mode, application_id, user_version) or open the database
 * at `path` for writing. Errors name the file: FOREIGN for a non-empty
 * database of another program or a file that is not SQLite, VERSION for a
 * poolsim database of another schema version (with both values). Safe to
 * call from several processes at once on a new file.
 */
ResultsStore *results_store_open (const char *path, GError **error);
/* Open an existing database read-only (reports): never creates or changes the file. */
ResultsStore *results_store_open_read_only (const char *path, GError **error);
void          results_store_close (ResultsStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ResultsStore, results_store_close)

const char   *results_store_path (const ResultsStore *store);

/* Whether the run (digest, config, run_number) is complete (resume). */
gboolean      results_store_run_complete (ResultsStore *store,
                                          const char   *digest,
                                          const char   *config,
                                          guint         run_number,
                                          gboolean     *complete,
                                          GError      **error);

/*
 * Start buffering a run. Nothing touches the database until commit or fail.
 * The store must outlive the run (transfer full: free with results_run_free).
 */
ResultsRun   *results_run_begin (ResultsStore *store, const ResultsRunInfo *info);
/* The recorder the models of this run record into (owned by the run). */
SimRecorder  *results_run_recorder (ResultsRun *run);
/* The human-readable run id "<config>-<run number>-<first 8 hex digits of the digest>". */
const char   *results_run_id (const ResultsRun *run);
/*
 * Write the run and all its results in one transaction (BEGIN IMMEDIATE ...
 * COMMIT) with status 'complete'. On error nothing is written. A run is
 * committed or failed at most once.
 */
gboolean      results_run_commit (ResultsRun *run,
                                  SimTime     sim_time,
                                  guint64     events,
                                  double      wall_seconds,
                                  GError    **error);
/* Record the run as failed with `message`: the run row with its attributes and variables, no results. */
gboolean      results_run_fail (ResultsRun *run, const char *message, GError **error);
/* Free the run; a run neither committed nor failed leaves no trace. */
void          results_run_free (ResultsRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ResultsRun, results_run_free)

G_END_DECLS
