/*
 * tests/testutil.c - end-to-end test helpers. Tests read result databases
 * with SQL of their own, to check what the product wrote independently of
 * the product's readers.
 */
#include "config.h"

#include "tests/testutil.h"

#include "results/metrics.h"
#include "sim/cmd-common.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

char *
testutil_srcpath (const char *relative)
{
  const char *top = g_getenv ("POOLSIM_SRCDIR");
  g_assert_nonnull (top);
  return g_build_filename (top, relative, NULL);
}

char *
testutil_poolsim (void)
{
  const char *top = g_getenv ("POOLSIM_BUILDDIR");
  g_assert_nonnull (top);
  return g_build_filename (top, "poolsim", NULL);
}

char *
testutil_tmpdir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("poolsim-test-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

void
testutil_rmtree (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  if (d == NULL)
    return;
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        testutil_rmtree (p);
      else
        g_unlink (p);
    }
  g_rmdir (dir);
}

gboolean
testutil_run_in_process (const char *scenario, const char *config, const char *const *sets, const char *db,
                         GError **error)
{
  g_autoptr (SimParamTable) table = cmd_param_table ();
  g_autoptr (SimScenario) sc = cmd_scenario_load (scenario, table, (char **) sets, error);
  if (sc == NULL)
    return FALSE;
  guint n = 0;
  if (!sim_scenario_count_runs (sc, config, &n, error))
    return FALSE;
  g_autoptr (ResultsStore) store = results_store_open (db, error);
  if (store == NULL)
    return FALSE;
  CmdRunOptions options = { FALSE, 0, n, NULL, NULL };
  for (guint r = 0; r < n; r++)
    {
      g_autoptr (SimRunSpec) spec = sim_scenario_run (sc, config, r, error);
      if (spec == NULL || !cmd_run_one (sc, spec, store, &options, error))
        return FALSE;
    }
  return TRUE;
}

static sqlite3 *
open_ro (const char *db)
{
  sqlite3 *h = NULL;
  g_assert_cmpint (sqlite3_open_v2 (db, &h, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  return h;
}

/* Append one column as text; REAL columns as the hex of their bits. */
static void
append_column (GString *out, sqlite3_stmt *st, int c)
{
  switch (sqlite3_column_type (st, c))
    {
    case SQLITE_FLOAT:
      {
        double d = sqlite3_column_double (st, c);
        guint64 bits;
        memcpy (&bits, &d, sizeof bits);
        g_string_append_printf (out, "0x%016" G_GINT64_MODIFIER "x", bits);
        break;
      }
    case SQLITE_NULL:
      g_string_append (out, "NULL");
      break;
    default:
      g_string_append (out, (const char *) sqlite3_column_text (st, c));
    }
}

char *
testutil_dump_results (const char *db)
{
  static const char *const queries[] = {
    "SELECT r.config, r.run_number, r.repetition, r.seed, r.status, r.sim_time, r.events FROM run r "
    "ORDER BY r.config, r.run_number",
    "SELECT r.config, r.run_number, p.name, p.value FROM runparam p JOIN run r ON r.id = p.run_id "
    "ORDER BY r.config, r.run_number, p.name",
    "SELECT r.config, r.run_number, a.name, a.value FROM runattr a JOIN run r ON r.id = a.run_id "
    "ORDER BY r.config, r.run_number, a.name",
    "SELECT r.config, r.run_number, s.module, s.name, s.value, s.unit FROM scalar s JOIN run r ON "
    "r.id = s.run_id ORDER BY r.config, r.run_number, s.module, s.name",
    "SELECT r.config, r.run_number, s.module, s.name, s.count, s.mean, s.stddev, s.min, s.max, s.sum, "
    "s.unit FROM statistic s JOIN run r ON r.id = s.run_id ORDER BY r.config, r.run_number, s.module, s.name",
    "SELECT r.config, r.run_number, v.module, v.name, d.time, d.value FROM vectordata d JOIN vector v ON "
    "v.id = d.vector_id JOIN run r ON r.id = v.run_id ORDER BY r.config, r.run_number, v.module, v.name, d.rowid",
  };
  sqlite3 *h = open_ro (db);
  GString *out = g_string_new ("");
  for (guint q = 0; q < G_N_ELEMENTS (queries); q++)
    {
      sqlite3_stmt *st = NULL;
      g_assert_cmpint (sqlite3_prepare_v2 (h, queries[q], -1, &st, NULL), ==, SQLITE_OK);
      while (sqlite3_step (st) == SQLITE_ROW)
        {
          for (int c = 0; c < sqlite3_column_count (st); c++)
            {
              if (c > 0)
                g_string_append_c (out, '|');
              append_column (out, st, c);
            }
          g_string_append_c (out, '\n');
        }
      sqlite3_finalize (st);
      g_string_append (out, "--\n");
    }
  sqlite3_close (h);
  return g_string_free (out, FALSE);
}

static GArray *
column_values (const char *db, const char *sql, const char *name, const char *var, const char *value)
{
  sqlite3 *h = open_ro (db);
  sqlite3_stmt *st = NULL;
  g_assert_cmpint (sqlite3_prepare_v2 (h, sql, -1, &st, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (st, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 2, var, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 3, value, -1, SQLITE_STATIC);
  GArray *values = g_array_new (FALSE, FALSE, sizeof (double));
  while (sqlite3_step (st) == SQLITE_ROW)
    {
      double d = sqlite3_column_double (st, 0);
      g_array_append_val (values, d);
    }
  sqlite3_finalize (st);
  sqlite3_close (h);
  return values;
}

GArray *
testutil_scalar_values (const char *db, const char *name, const char *var, const char *value)
{
  return column_values (db,
                        "SELECT s.value FROM scalar s JOIN run r ON r.id = s.run_id JOIN runparam p ON "
                        "p.run_id = r.id WHERE r.status = 'complete' AND s.name = ?1 AND p.name = ?2 AND "
                        "p.value = ?3 ORDER BY r.run_number",
                        name, var, value);
}

GArray *
testutil_statistic_means (const char *db, const char *name, const char *var, const char *value)
{
  return column_values (db,
                        "SELECT s.mean FROM statistic s JOIN run r ON r.id = s.run_id JOIN runparam p ON "
                        "p.run_id = r.id WHERE r.status = 'complete' AND s.name = ?1 AND p.name = ?2 AND "
                        "p.value = ?3 ORDER BY r.run_number",
                        name, var, value);
}

char *
testutil_run_threat (char **dir, const char *file, const char *config, const char *tag, const char *const *sets)
{
  if (*dir == NULL)
    *dir = testutil_tmpdir ();
  g_autofree char *name = g_strdup_printf ("%s-%s%s%s.db", file, config, tag != NULL ? "-" : "", tag != NULL ? tag : "");
  char *db = g_build_filename (*dir, name, NULL);
  if (g_file_test (db, G_FILE_TEST_EXISTS))
    return db;
  g_autofree char *rel = g_strdup_printf ("scenarios/threats/%s.ini", file);
  g_autofree char *scenario = testutil_srcpath (rel);
  g_autoptr (GError) error = NULL;
  gboolean ok = testutil_run_in_process (scenario, config, sets, db, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  return db;
}

void
testutil_per_run (const char *db, gboolean stat, const char *module_like, const char *name, double *out, guint n)
{
  sqlite3 *h = NULL;
  g_assert_cmpint (sqlite3_open_v2 (db, &h, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_stmt *st = NULL;
  const char *sql = stat ? "SELECT r.run_number, SUM(s.mean) FROM statistic s JOIN run r ON r.id = s.run_id "
                           "WHERE s.module LIKE ?1 AND s.name = ?2 GROUP BY r.run_number ORDER BY r.run_number"
                         : "SELECT r.run_number, SUM(s.value) FROM scalar s JOIN run r ON r.id = s.run_id "
                           "WHERE s.module LIKE ?1 AND s.name = ?2 GROUP BY r.run_number ORDER BY r.run_number";
  g_assert_cmpint (sqlite3_prepare_v2 (h, sql, -1, &st, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (st, 1, module_like, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 2, name, -1, SQLITE_STATIC);
  for (guint i = 0; i < n; i++)
    {
      if (sqlite3_step (st) != SQLITE_ROW)
        g_error ("%s: no %s %s of %s in run %u", db, stat ? "statistic" : "scalar", name, module_like, i);
      g_assert_cmpint (sqlite3_column_int (st, 0), ==, (int) i);
      out[i] = sqlite3_column_double (st, 1);
    }
  g_assert_cmpint (sqlite3_step (st), ==, SQLITE_DONE);
  sqlite3_finalize (st);
  sqlite3_close (h);
}

void
testutil_check_catalogue (const char *db)
{
  sqlite3 *h = NULL;
  g_assert_cmpint (sqlite3_open_v2 (db, &h, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_stmt *st = NULL;
  g_assert_cmpint (sqlite3_prepare_v2 (h, "SELECT DISTINCT name FROM scalar UNION SELECT DISTINCT name FROM statistic",
                                       -1, &st, NULL), ==, SQLITE_OK);
  while (sqlite3_step (st) == SQLITE_ROW)
    {
      const char *name = (const char *) sqlite3_column_text (st, 0);
      if (results_metrics_lookup (name) == NULL)
        g_error ("%s: '%s' is not in the metric catalogue (results/metrics.c)", db, name);
    }
  sqlite3_finalize (st);
  sqlite3_close (h);
}

const AttackThreat *
testutil_threat (const char *section)
{
  gsize n;
  const AttackThreat *t = attack_threats (&n);
  for (gsize i = 0; i < n; i++)
    if (strcmp (t[i].section, section) == 0)
      return &t[i];
  g_error ("no threat row %s", section);
}
