/*
 * tests/testutil.h - helpers shared by the end-to-end tests: run a scenario
 * in-process or through the built poolsim binary, and dump result rows.
 */
#pragma once

#include <glib.h>

#include "attacks/attack.h"

G_BEGIN_DECLS

/* Path of a file in the source tree (POOLSIM_SRCDIR). (transfer full) */
char    *testutil_srcpath (const char *relative);
/* Path of the built poolsim binary (POOLSIM_BUILDDIR). (transfer full) */
char    *testutil_poolsim (void);
/* A fresh temporary folder; removed with everything in it by testutil_rmtree. (transfer full) */
char    *testutil_tmpdir (void);
void     testutil_rmtree (const char *dir);

/* Run every run of `config` of a scenario in this process into `db`, with optional overrides. */
gboolean testutil_run_in_process (const char *scenario, const char *config, const char *const *sets,
                                  const char *db, GError **error);

/*
 * Every row of the result tables that must be identical between two runs of
 * the same scenario and seed (runparam, scalar, statistic, vectordata, and the
 * run's identity columns), one line per row, doubles as their 64-bit patterns.
 */
char    *testutil_dump_results (const char *db);

/* The values of one scalar in complete runs, ordered by run number, for runs whose variable var = value. */
GArray  *testutil_scalar_values (const char *db, const char *name, const char *var, const char *value);
/* Same for the mean of a statistic. */
GArray  *testutil_statistic_means (const char *db, const char *name, const char *var, const char *value);

/*
 * Every run of `config` of scenarios/threats/FILE.ini with the overrides
 * `sets` (NULL-terminated, may be NULL), in process, into
 * *dir/FILE-CONFIG[-TAG].db (*dir: a temporary folder made on first use). A
 * database that exists already is reused: each run happens once per
 * process. (transfer full: the database path)
 */
char    *testutil_run_threat (char **dir, const char *file, const char *config, const char *tag,
                              const char *const *sets);
/*
 * Per run number 0 .. n - 1, the sum over the modules LIKE module_like of
 * scalar `name` (stat FALSE) or of the mean of statistic `name` (stat TRUE).
 * A run without it, or a run beyond n, fails the test.
 */
void     testutil_per_run (const char *db, gboolean stat, const char *module_like, const char *name, double *out,
                           guint n);
/* Every metric name recorded in db is in the catalogue (results/metrics.c), or the test fails naming it. */
void     testutil_check_catalogue (const char *db);
/* The threat registry's row of RFC 5355 section ("2.8"), or the test fails. */
const AttackThreat *testutil_threat (const char *section);

G_END_DECLS
