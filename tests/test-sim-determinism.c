/*
 * tests/test-sim-determinism.c - same binary, scenario and seed give
 * bit-identical result rows: in one process, in a fresh process, and for a
 * run executed alone or among others.
 */
#include "config.h"

#include "tests/testutil.h"

#include <string.h>

typedef struct {
  char *dir;
  char *scenario;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = testutil_tmpdir ();
  f->scenario = testutil_srcpath ("scenarios/examples/mm1.ini");
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  testutil_rmtree (f->dir);
  g_free (f->dir);
  g_free (f->scenario);
}

static char *
run_to_db (Fixture *f, const char *name, const char *const *sets)
{
  g_autofree char *db = g_build_filename (f->dir, name, NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (testutil_run_in_process (f->scenario, "Short", sets, db, &error));
  g_assert_no_error (error);
  return testutil_dump_results (db);
}

/* Two runs of the same config in one process give identical rows, vectors included. */
static void
test_same_process (Fixture *f, gconstpointer data)
{
  g_autofree char *a = run_to_db (f, "a.db", NULL);
  g_autofree char *b = run_to_db (f, "b.db", NULL);
  g_assert_cmpuint (strlen (a), >, 10000); /* 30 runs with scalars, statistics, vectors */
  g_assert_nonnull (strstr (a, "mm1.queue_length|"));
  g_assert_cmpstr (a, ==, b);
}

/* A fresh `poolsim run` process gives the rows the in-process run gave. */
static void
test_fresh_process (Fixture *f, gconstpointer data)
{
  g_autofree char *in_process = run_to_db (f, "a.db", NULL);
  g_autofree char *db = g_build_filename (f->dir, "fresh.db", NULL);
  g_autofree char *poolsim = testutil_poolsim ();
  const char *argv[] = { poolsim, "run", f->scenario, "-c", "Short", "--db", db, NULL };
  int status = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                               &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_autofree char *fresh = testutil_dump_results (db);
  g_assert_cmpstr (fresh, ==, in_process);
}

/* Run 17 executed alone gives exactly the rows it has among all 30 runs. */
static void
test_run_alone (Fixture *f, gconstpointer data)
{
  g_autofree char *all_db = g_build_filename (f->dir, "all.db", NULL);
  g_autofree char *one_db = g_build_filename (f->dir, "one.db", NULL);
  g_autofree char *poolsim = testutil_poolsim ();
  const char *argv_all[] = { poolsim, "run", f->scenario, "-c", "Short", "--db", all_db, NULL };
  const char *argv_one[] = { poolsim, "run", f->scenario, "-c", "Short", "-r", "17", "--db", one_db, NULL };
  int status = 0;
  g_assert_true (g_spawn_sync (NULL, (char **) argv_all, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                               NULL, &status, NULL));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_true (g_spawn_sync (NULL, (char **) argv_one, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                               NULL, &status, NULL));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_autofree char *all = testutil_dump_results (all_db);
  g_autofree char *one = testutil_dump_results (one_db);
  /* Every line of the single run appears among all runs' lines. */
  g_auto (GStrv) lines = g_strsplit (one, "\n", -1);
  guint checked = 0;
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (*lines[i] == '\0' || strcmp (lines[i], "--") == 0)
        continue;
      g_assert_true (g_str_has_prefix (lines[i], "Short|17|"));
      g_autofree char *needle = g_strconcat ("\n", lines[i], "\n", NULL);
      g_assert_nonnull (strstr (all, needle));
      checked++;
    }
  g_assert_cmpuint (checked, >=, 20); /* run, variable, attributes, scalars, statistics, vector points */
}

/* The check can fail: another seed gives other rows. */
static void
test_other_seed_differs (Fixture *f, gconstpointer data)
{
  const char *sets[] = { "seed-set=12345", NULL };
  g_autofree char *a = run_to_db (f, "a.db", NULL);
  g_autofree char *b = run_to_db (f, "b.db", sets);
  g_assert_cmpstr (a, !=, b);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/sim/determinism/same-process", Fixture, NULL, fixture_setup, test_same_process, fixture_teardown);
  g_test_add ("/sim/determinism/fresh-process", Fixture, NULL, fixture_setup, test_fresh_process,
              fixture_teardown);
  g_test_add ("/sim/determinism/run-alone", Fixture, NULL, fixture_setup, test_run_alone, fixture_teardown);
  g_test_add ("/sim/determinism/other-seed-differs", Fixture, NULL, fixture_setup, test_other_seed_differs,
              fixture_teardown);
  return g_test_run ();
}
