/*
 * results/merge.c - copying the runs of shard databases into one database.
 *
 * The shard is ATTACHed to OUT's connection and copied with INSERT ...
 * SELECT, so results never pass through C: values keep their SQLite storage
 * class (doubles stay REAL, bit for bit; NaN stays NULL) and rows keep their
 * order (ORDER BY rowid; vector points are read back in rowid order). Run and
 * vector ids are OUT's own: every child row is re-keyed to the new id.
 *
 * One BEGIN IMMEDIATE ... COMMIT per shard: the mismatch check and the copy
 * see the same OUT, and a merge killed half-way leaves OUT as it was before
 * that shard (merging again then finishes the job). Cost: O(rows of the
 * shard) inserts plus, per shard run, one indexed lookup of its identity in
 * OUT; the mismatch check scans OUT's run table once per shard.
 *
 * Not here: the store's schema and its single-run writes (store.c).
 */
#include "config.h"

#include "results/merge.h"
#include "results/store-private.h"

#include <glib/gstdio.h>
#include <string.h>

G_DEFINE_QUARK (results-merge-error-quark, results_merge_error)

typedef enum {
  M_MISMATCH,
  M_SHARD_RUNS,
  M_FIND,
  M_DELETE_RUNATTR,
  M_DELETE_RUNPARAM,
  M_DELETE_RUN,
  M_COPY_RUN,
  M_COPY_RUNATTR,
  M_COPY_RUNPARAM,
  M_COPY_SCALAR,
  M_COPY_STATISTIC,
  M_SHARD_VECTORS,
  M_COPY_VECTOR,
  M_COPY_VECTORDATA,
  N_MERGE_STMTS
} MergeStmt;

static const char *const merge_sql[N_MERGE_STMTS] = {
  /* Version first: other code is the more fundamental mismatch. */
  [M_MISMATCH] = "SELECT s.scenario, s.config, s.scenario_digest, m.scenario_digest, s.version, m.version"
                 " FROM shard.run s JOIN main.run m ON m.scenario = s.scenario AND m.config = s.config"
                 " WHERE s.scenario_digest <> m.scenario_digest OR s.version <> m.version"
                 " ORDER BY s.version = m.version, s.id, m.id LIMIT 1",
  [M_SHARD_RUNS] = "SELECT id, scenario_digest, config, run_number, status = 'complete' FROM shard.run ORDER BY id",
  [M_FIND] = "SELECT id, status = 'complete' FROM main.run"
             " WHERE scenario_digest = ?1 AND config = ?2 AND run_number = ?3",
  [M_DELETE_RUNATTR] = "DELETE FROM main.runattr WHERE run_id = ?1",
  [M_DELETE_RUNPARAM] = "DELETE FROM main.runparam WHERE run_id = ?1",
  [M_DELETE_RUN] = "DELETE FROM main.run WHERE id = ?1",
  [M_COPY_RUN] = "INSERT INTO main.run (runid, scenario, scenario_digest, config, run_number, repetition, seed,"
                 " threat, mitigations, version, status, error, wall_time, sim_time, events, created)"
                 " SELECT runid, scenario, scenario_digest, config, run_number, repetition, seed, threat,"
                 " mitigations, version, status, error, wall_time, sim_time, events, created"
                 " FROM shard.run WHERE id = ?1",
  [M_COPY_RUNATTR] = "INSERT INTO main.runattr (run_id, name, value)"
                     " SELECT ?2, name, value FROM shard.runattr WHERE run_id = ?1 ORDER BY rowid",
  [M_COPY_RUNPARAM] = "INSERT INTO main.runparam (run_id, name, value)"
                      " SELECT ?2, name, value FROM shard.runparam WHERE run_id = ?1 ORDER BY rowid",
  [M_COPY_SCALAR] = "INSERT INTO main.scalar (run_id, module, name, value, unit)"
                    " SELECT ?2, module, name, value, unit FROM shard.scalar WHERE run_id = ?1 ORDER BY rowid",
  [M_COPY_STATISTIC] = "INSERT INTO main.statistic (run_id, module, name, count, mean, stddev, min, max, sum, unit)"
                       " SELECT ?2, module, name, count, mean, stddev, min, max, sum, unit FROM shard.statistic"
                       " WHERE run_id = ?1 ORDER BY rowid",
  [M_SHARD_VECTORS] = "SELECT id FROM shard.vector WHERE run_id = ?1 ORDER BY id",
  [M_COPY_VECTOR] = "INSERT INTO main.vector (run_id, module, name, unit, count)"
                    " SELECT ?2, module, name, unit, count FROM shard.vector WHERE id = ?1",
  [M_COPY_VECTORDATA] = "INSERT INTO main.vectordata (vector_id, time, value)"
                        " SELECT ?2, time, value FROM shard.vectordata WHERE vector_id = ?1 ORDER BY rowid",
};

typedef struct {
  ResultsStore *out;
  sqlite3      *db;
  const char   *shard;
  sqlite3_stmt *st[N_MERGE_STMTS];
} Merge;

static gboolean
merge_sql_error (Merge *m, int rc, const char *what, GError **error)
{
  g_autofree char *w = g_strdup_printf ("merging %s: %s", m->shard, what);
  return results_store_set_error (m->out, error, rc, w);
}

/* Run a statement without rows with up to two integer parameters (0 binds nothing). */
static gboolean
merge_exec (Merge *m, MergeStmt id, gint64 p1, gint64 p2, const char *what, GError **error)
{
  sqlite3_stmt *st = m->st[id];
  int rc = SQLITE_OK;
  if (sqlite3_bind_parameter_count (st) >= 1)
    rc = sqlite3_bind_int64 (st, 1, p1);
  if (rc == SQLITE_OK && sqlite3_bind_parameter_count (st) >= 2)
    rc = sqlite3_bind_int64 (st, 2, p2);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (st);
  sqlite3_reset (st);
  if (rc != SQLITE_DONE)
    return merge_sql_error (m, rc, what, error);
  return TRUE;
}

static gboolean
merge_plain (Merge *m, const char *sql, const char *what, GError **error)
{
  int rc = sqlite3_exec (m->db, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    return merge_sql_error (m, rc, what, error);
  return TRUE;
}

/* Refuse the shard if one of its runs disagrees with OUT's runs of the same scenario and config. */
static gboolean
merge_check (Merge *m, GError **error)
{
  sqlite3_stmt *st = m->st[M_MISMATCH];
  int rc = sqlite3_step (st);
  if (rc == SQLITE_DONE)
    {
      sqlite3_reset (st);
      return TRUE;
    }
  if (rc != SQLITE_ROW)
    {
      sqlite3_reset (st);
      return merge_sql_error (m, rc, "comparing with the runs there", error);
    }
  const char *scenario = (const char *) sqlite3_column_text (st, 0);
  const char *config = (const char *) sqlite3_column_text (st, 1);
  const char *digest = (const char *) sqlite3_column_text (st, 2);
  const char *out_digest = (const char *) sqlite3_column_text (st, 3);
  const char *version = (const char *) sqlite3_column_text (st, 4);
  const char *out_version = (const char *) sqlite3_column_text (st, 5);
  if (g_strcmp0 (version, out_version) != 0)
    g_set_error (error, RESULTS_MERGE_ERROR, RESULTS_MERGE_ERROR_VERSION,
                 "%s: refused: its runs of %s config %s were written by poolsim %s, but those in %s by poolsim %s"
                 " (merge only runs of one poolsim version)",
                 m->shard, scenario, config, version, results_store_path (m->out), out_version);
  else
    g_set_error (error, RESULTS_MERGE_ERROR, RESULTS_MERGE_ERROR_DIGEST,
                 "%s: refused: its runs of %s config %s have scenario digest %s, but those in %s have %s"
                 " (another scenario text or other --set overrides)",
                 m->shard, scenario, config, digest, results_store_path (m->out), out_digest);
  sqlite3_reset (st);
  return FALSE;
}

/* Copy shard run `id` with everything that belongs to it. */
static gboolean
merge_copy_run (Merge *m, gint64 id, GError **error)
{
  if (!merge_exec (m, M_COPY_RUN, id, 0, "copying a run", error))
    return FALSE;
  gint64 new_id = sqlite3_last_insert_rowid (m->db);
  static const struct {
    MergeStmt   stmt;
    const char *what;
  } children[] = {
    { M_COPY_RUNATTR, "copying run attributes" },
    { M_COPY_RUNPARAM, "copying run variables" },
    { M_COPY_SCALAR, "copying scalars" },
    { M_COPY_STATISTIC, "copying statistics" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (children); i++)
    if (!merge_exec (m, children[i].stmt, id, new_id, children[i].what, error))
      return FALSE;
  sqlite3_stmt *vectors = m->st[M_SHARD_VECTORS];
  int rc = sqlite3_bind_int64 (vectors, 1, id);
  while (rc == SQLITE_OK && (rc = sqlite3_step (vectors)) == SQLITE_ROW)
    {
      gint64 vector = sqlite3_column_int64 (vectors, 0);
      if (!merge_exec (m, M_COPY_VECTOR, vector, new_id, "copying a vector", error)
          || !merge_exec (m, M_COPY_VECTORDATA, vector, sqlite3_last_insert_rowid (m->db), "copying vector data",
                          error))
        {
          sqlite3_reset (vectors);
          return FALSE;
        }
      rc = SQLITE_OK;
    }
  sqlite3_reset (vectors);
  if (rc != SQLITE_DONE)
    return merge_sql_error (m, rc, "reading the shard's vectors", error);
  return TRUE;
}

/* Look up the identity of the shard run at the cursor of M_SHARD_RUNS in OUT: *out_id 0 if absent. */
static gboolean
merge_find (Merge *m, gint64 *out_id, gboolean *out_complete, GError **error)
{
  sqlite3_stmt *runs = m->st[M_SHARD_RUNS], *find = m->st[M_FIND];
  *out_id = 0;
  *out_complete = FALSE;
  int rc = sqlite3_bind_value (find, 1, sqlite3_column_value (runs, 1));
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_value (find, 2, sqlite3_column_value (runs, 2));
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_value (find, 3, sqlite3_column_value (runs, 3));
  if (rc == SQLITE_OK && (rc = sqlite3_step (find)) == SQLITE_ROW)
    {
      *out_id = sqlite3_column_int64 (find, 0);
      *out_complete = sqlite3_column_int (find, 1) != 0;
      rc = SQLITE_DONE;
    }
  sqlite3_reset (find);
  if (rc != SQLITE_DONE)
    return merge_sql_error (m, rc, "looking up a run", error);
  return TRUE;
}

/* The shard's runs, inside the transaction. */
static gboolean
merge_runs (Merge *m, ResultsMergeStats *stats, GError **error)
{
  if (!merge_check (m, error))
    return FALSE;
  sqlite3_stmt *runs = m->st[M_SHARD_RUNS];
  int rc;
  gboolean ok = TRUE;
  while (ok && (rc = sqlite3_step (runs)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (runs, 0);
      gboolean complete = sqlite3_column_int (runs, 4) != 0;
      gint64 out_id;
      gboolean out_complete;
      ok = merge_find (m, &out_id, &out_complete, error);
      if (!ok)
        break;
      if (complete && out_complete)
        stats->present++;
      else if (!complete && out_id != 0)
        stats->failed_skipped++;
      else
        {
          /* a complete run replaces a failed one; a failed run is copied only where OUT has nothing */
          if (out_id != 0)
            ok = merge_exec (m, M_DELETE_RUNATTR, out_id, 0, "removing a failed run", error)
                 && merge_exec (m, M_DELETE_RUNPARAM, out_id, 0, "removing a failed run", error)
                 && merge_exec (m, M_DELETE_RUN, out_id, 0, "removing a failed run", error);
          ok = ok && merge_copy_run (m, id, error);
          if (ok && !complete)
            stats->failed_added++;
          else if (ok && out_id != 0)
            stats->replaced++;
          else if (ok)
            stats->added++;
        }
    }
  sqlite3_reset (runs);
  if (ok && rc != SQLITE_DONE)
    return merge_sql_error (m, rc, "reading the shard's runs", error);
  return ok;
}

/* Whether two paths name the same file (both exist). */
static gboolean
same_file (const char *a, const char *b)
{
  GStatBuf sa, sb;
  return g_stat (a, &sa) == 0 && g_stat (b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

gboolean
results_merge_shard (ResultsStore *out, const char *shard_path, ResultsMergeStats *stats, GError **error)
{
  g_return_val_if_fail (out != NULL && shard_path != NULL && stats != NULL, FALSE);
  if (same_file (results_store_path (out), shard_path))
    {
      g_set_error (error, RESULTS_MERGE_ERROR, RESULTS_MERGE_ERROR_SAME_FILE,
                   "%s: refused: this is the output database %s itself", shard_path, results_store_path (out));
      return FALSE;
    }
  /* Refuses missing files, other programs' files and other schema versions. */
  g_autoptr (ResultsStore) check = results_store_open_read_only (shard_path, error);
  if (check == NULL)
    return FALSE;
  g_clear_pointer (&check, results_store_close);

  Merge m = { .out = out, .db = results_store_db (out), .shard = shard_path };
  sqlite3_stmt *attach = NULL;
  int rc = sqlite3_prepare_v2 (m.db, "ATTACH ?1 AS shard", -1, &attach, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_text (attach, 1, shard_path, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (attach);
  sqlite3_finalize (attach);
  if (rc != SQLITE_DONE)
    return merge_sql_error (&m, rc, "attaching", error);

  gboolean ok = TRUE;
  for (int i = 0; ok && i < N_MERGE_STMTS; i++)
    {
      rc = sqlite3_prepare_v2 (m.db, merge_sql[i], -1, &m.st[i], NULL);
      if (rc != SQLITE_OK)
        ok = merge_sql_error (&m, rc, "preparing a statement", error);
    }
  ResultsMergeStats delta = { 0 };
  if (ok && merge_plain (&m, "BEGIN IMMEDIATE", "starting the transaction", error))
    {
      ok = merge_runs (&m, &delta, error) && merge_plain (&m, "COMMIT", "committing", error);
      if (!ok)
        sqlite3_exec (m.db, "ROLLBACK", NULL, NULL, NULL);
    }
  else
    ok = FALSE;
  for (int i = 0; i < N_MERGE_STMTS; i++)
    sqlite3_finalize (m.st[i]);
  /* Cannot fail once the statements on the shard are finalized and the transaction is over. */
  sqlite3_exec (m.db, "DETACH shard", NULL, NULL, NULL);
  if (!ok)
    return FALSE;
  stats->shards++;
  stats->added += delta.added;
  stats->replaced += delta.replaced;
  stats->present += delta.present;
  stats->failed_added += delta.failed_added;
  stats->failed_skipped += delta.failed_skipped;
  return TRUE;
}
