/*
 * tests/test-results-report.c - the report: Student t quantiles, summaries,
 * grouping and filters, exact CSV/JSON/table output, and `poolsim report`.
 */
#include "config.h"

#include "results/report.h"
#include "results/store.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

#define DIGEST "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static void
assert_rel (double got, double want, double tol)
{
  if (!(fabs (got - want) <= tol * fabs (want)))
    g_error ("got %.17g, want %.17g (relative error %.3g > %.3g)", got, want, fabs (got - want) / fabs (want), tol);
}

/*
 * The quantiles of Student's t match the published 10-digit table values and,
 * to 1e-13, values computed with 40-digit arithmetic (mpmath: the root of the
 * regularized incomplete beta).
 */
static void
test_t_quantile_table (void)
{
  static const struct {
    double p, df, table, precise;
  } cases[] = {
    { 0.975, 1, 12.706204736, 12.706204736174693314 },
    { 0.975, 2, 4.302652730, 4.3026527297494617894 },
    { 0.975, 3, 3.182446305, 3.1824463052837084359 },
    { 0.975, 9, 2.262157163, 2.2621571627982049992 },
    { 0.975, 29, 2.045229642, 2.0452296421327038745 },
    { 0.975, 1000, 1.962339081, 1.9623390808264081039 },
    { 0.995, 5, 4.032142984, 4.0321429835552271793 },
    { 0.95, 10, 1.812461123, 1.8124611228116758693 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      double t = results_report_t_quantile (cases[i].p, cases[i].df);
      assert_rel (t, cases[i].table, 1e-9);
      assert_rel (t, cases[i].precise, 1e-13);
      assert_rel (results_report_t_quantile (1.0 - cases[i].p, cases[i].df), -cases[i].precise, 1e-13);
    }
  g_assert_cmpfloat (results_report_t_quantile (0.5, 3), ==, 0.0);
}

/*
 * For df = 1 (Cauchy) and df = 2 the quantile has closed forms, written here
 * with exact arguments (q = 1 - p and p - 0.5 are exact for p >= 0.5); the
 * inversion agrees to 1e-14.
 */
static void
test_t_quantile_closed_forms (void)
{
  const double ps[] = { 0.55, 0.6, 0.9, 0.975, 0.999, 0.999999, 1 - 1e-12 };
  for (guint i = 0; i < G_N_ELEMENTS (ps); i++)
    {
      double p = ps[i], q = 1.0 - p;
      /* tan loses digits near pi/2: take the form whose argument stays below pi/4 */
      double cauchy = q < 0.25 ? 1.0 / tan (G_PI * q) : tan (G_PI * (p - 0.5));
      assert_rel (results_report_t_quantile (p, 1), cauchy, 1e-14);
      assert_rel (results_report_t_quantile (p, 2), (2 * p - 1) / sqrt (2 * p * q), 1e-14);
    }
}

/* 1..10: mean 5.5, sample stddev sqrt(55/6), CI half-width t(0.975, 9) * sd / sqrt(10). */
static void
test_summary_one_to_ten (void)
{
  double v[10];
  for (int i = 0; i < 10; i++)
    v[i] = i + 1;
  ResultsReportSummary s;
  results_report_summarize (v, 10, &s);
  g_assert_cmpuint (s.n, ==, 10);
  g_assert_cmpfloat (s.mean, ==, 5.5);
  assert_rel (s.stddev, 3.0276503540974917, 1e-15);
  assert_rel (s.ci95, 2.1658505896681691102, 1e-14);
  g_assert_cmpfloat (s.min, ==, 1.0);
  g_assert_cmpfloat (s.max, ==, 10.0);
}

/* One value has a mean but no deviation or interval; no values have nothing. */
static void
test_summary_small_n (void)
{
  double v = -2.5;
  ResultsReportSummary s;
  results_report_summarize (&v, 1, &s);
  g_assert_cmpuint (s.n, ==, 1);
  g_assert_cmpfloat (s.mean, ==, -2.5);
  g_assert_true (isnan (s.stddev) && isnan (s.ci95));
  g_assert_cmpfloat (s.min, ==, -2.5);
  g_assert_cmpfloat (s.max, ==, -2.5);
  results_report_summarize (NULL, 0, &s);
  g_assert_cmpuint (s.n, ==, 0);
  g_assert_true (isnan (s.mean) && isnan (s.stddev) && isnan (s.min) && isnan (s.max));
}

/* Building databases. */

typedef struct {
  char *dir;
  char *db;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  GError *err = NULL;
  f->dir = g_dir_make_tmp ("poolsim-report-XXXXXX", &err);
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

/* One run of the small database: identity, variables, one scalar and optionally a statistic. */
typedef struct {
  const char *config;
  guint       run_number;
  const char *var1, *val1;     /* nullable */
  const char *var2, *val2;     /* nullable */
  const char *threat, *mitigations;
  const char *scalar;
  double      value;
  const char *unit;
  int         stat_n;          /* -1: no statistic; else the statistic "w" [B] with these observations */
  double      stat_obs[2];
  gboolean    failed;
  const char *var3, *val3;     /* nullable */
} TestRun;

static void
write_run (ResultsStore *store, const TestRun *t)
{
  ResultsPair vars[3];
  guint n_vars = 0;
  if (t->var1 != NULL)
    vars[n_vars++] = (ResultsPair) { t->var1, t->val1 };
  if (t->var2 != NULL)
    vars[n_vars++] = (ResultsPair) { t->var2, t->val2 };
  if (t->var3 != NULL)
    vars[n_vars++] = (ResultsPair) { t->var3, t->val3 };
  ResultsRunInfo info = {
    .scenario = "s.ini", .scenario_digest = DIGEST, .config = t->config, .run_number = t->run_number,
    .repetition = t->run_number % 3, .seed = t->run_number, .threat = t->threat, .mitigations = t->mitigations,
    .itervars = vars, .n_itervars = n_vars,
  };
  g_autoptr (ResultsRun) run = results_run_begin (store, &info);
  SimRecorder *rec = results_run_recorder (run);
  sim_record_scalar (rec, "q", t->scalar, t->value, t->unit);
  if (t->stat_n >= 0)
    {
      SimStat st;
      sim_stat_init (&st);
      for (int i = 0; i < t->stat_n; i++)
        sim_stat_add (&st, t->stat_obs[i]);
      sim_record_statistic (rec, "q", "w", &st, "B");
    }
  GError *err = NULL;
  if (t->failed)
    g_assert_true (results_run_fail (run, "boom", &err));
  else
    g_assert_true (results_run_commit (run, SIM_S, 1, 0.0, &err));
  g_assert_no_error (err);
}

static const TestRun small_runs[] = {
  { "General", 0, "N", "10", NULL, NULL, NULL, NULL, "x", 3, "s", 2, { 1, 2 } },
  { "General", 1, "N", "10", NULL, NULL, NULL, NULL, "x", 3, "s", 2, { 2, 3 } },
  { "General", 2, "N", "10", NULL, NULL, NULL, NULL, "x", 3, "s", 2, { 3, 4 } },
  { "General", 3, "N", "2", NULL, NULL, NULL, NULL, "x", 1, "s", 1, { 10 } },
  { "General", 4, "N", "2", NULL, NULL, NULL, NULL, "x", 2, "s", 1, { 20 } },
  { "General", 5, "N", "2", NULL, NULL, NULL, NULL, "x", 4, "s", 0, { 0 } },
  { "General", 6, "N", "2", NULL, NULL, NULL, NULL, "x", 1000, "s", -1, { 0 }, TRUE },
  { "Other", 0, "M", "x", NULL, NULL, "reg-flood", "psk,max-bad-pe-report", "y", 7, "1", -1, { 0 } },
};

static void
write_runs (const char *path, const TestRun *runs, guint n, gboolean reverse)
{
  GError *err = NULL;
  g_autoptr (ResultsStore) store = results_store_open (path, &err);
  g_assert_no_error (err);
  for (guint i = 0; i < n; i++)
    write_run (store, &runs[reverse ? n - 1 - i : i]);
}

static char *
report (const char *path, const ResultsReportOptions *opt, GError **error)
{
  g_autoptr (ResultsStore) store = results_store_open_read_only (path, error);
  if (store == NULL)
    return NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  if (!results_report_write (store, opt, out, error))
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
report_ok (const char *path, const ResultsReportOptions *opt)
{
  GError *err = NULL;
  char *out = report (path, opt, &err);
  g_assert_no_error (err);
  return out;
}

static const char small_csv[] =
  "scenario,config,threat,mitigations,N,M,module,metric,unit,n,mean,stddev,ci95,min,max\n"
  "s.ini,General,,,2,,q,w:mean,B,2,15,7.0710678118654755,63.53102368087347,10,20\n"
  "s.ini,General,,,2,,q,x,s,3,2.3333333333333335,1.5275252316519465,3.794583033596757,1,4\n"
  "s.ini,General,,,10,,q,w:mean,B,3,2.5,1,2.4841377117503285,1.5,3.5\n"
  "s.ini,General,,,10,,q,x,s,3,3,0,0,3,3\n"
  "s.ini,Other,reg-flood,\"psk,max-bad-pe-report\",,x,q,y,1,1,7,,,7,7\n";

/*
 * CSV, exactly: groups by config and every variable (numeric order: N=2 before
 * N=10), statistics as NAME:mean, failed runs and empty statistics left out,
 * RFC 4180 quoting, exact numbers, empty fields for what n = 1 cannot give.
 */
static void
test_csv (Fixture *f, gconstpointer data)
{
  write_runs (f->db, small_runs, G_N_ELEMENTS (small_runs), FALSE);
  ResultsReportOptions opt = { .format = RESULTS_REPORT_CSV };
  g_autofree char *out = report_ok (f->db, &opt);
  g_assert_cmpstr (out, ==, small_csv);
}

/* The output does not depend on the order in which the runs were written. */
static void
test_order_independent (Fixture *f, gconstpointer data)
{
  write_runs (f->db, small_runs, G_N_ELEMENTS (small_runs), TRUE);
  ResultsReportOptions opt = { .format = RESULTS_REPORT_CSV };
  g_autofree char *out = report_ok (f->db, &opt);
  g_assert_cmpstr (out, ==, small_csv);
}

/* JSON, exactly: numbers as numbers, missing values and NaN as null. */
static void
test_json (Fixture *f, gconstpointer data)
{
  write_runs (f->db, small_runs, G_N_ELEMENTS (small_runs), FALSE);
  ResultsReportOptions opt = { .format = RESULTS_REPORT_JSON, .by = (const char *const[]) { "N", NULL } };
  g_autofree char *out = report_ok (f->db, &opt);
  g_assert_cmpstr (out, ==,
    "{\n"
    "  \"variables\": [\"N\"],\n"
    "  \"rows\": [\n"
    "    {\"scenario\": \"s.ini\", \"config\": \"General\", \"threat\": null, \"mitigations\": null,"
    " \"variables\": {\"N\": \"2\"}, \"module\": \"q\", \"metric\": \"w:mean\", \"unit\": \"B\", \"n\": 2,"
    " \"mean\": 15, \"stddev\": 7.0710678118654755, \"ci95\": 63.53102368087347, \"min\": 10, \"max\": 20},\n"
    "    {\"scenario\": \"s.ini\", \"config\": \"General\", \"threat\": null, \"mitigations\": null,"
    " \"variables\": {\"N\": \"2\"}, \"module\": \"q\", \"metric\": \"x\", \"unit\": \"s\", \"n\": 3,"
    " \"mean\": 2.3333333333333335, \"stddev\": 1.5275252316519465, \"ci95\": 3.794583033596757, \"min\": 1,"
    " \"max\": 4},\n"
    "    {\"scenario\": \"s.ini\", \"config\": \"General\", \"threat\": null, \"mitigations\": null,"
    " \"variables\": {\"N\": \"10\"}, \"module\": \"q\", \"metric\": \"w:mean\", \"unit\": \"B\", \"n\": 3,"
    " \"mean\": 2.5, \"stddev\": 1, \"ci95\": 2.4841377117503285, \"min\": 1.5, \"max\": 3.5},\n"
    "    {\"scenario\": \"s.ini\", \"config\": \"General\", \"threat\": null, \"mitigations\": null,"
    " \"variables\": {\"N\": \"10\"}, \"module\": \"q\", \"metric\": \"x\", \"unit\": \"s\", \"n\": 3,"
    " \"mean\": 3, \"stddev\": 0, \"ci95\": 0, \"min\": 3, \"max\": 3},\n"
    "    {\"scenario\": \"s.ini\", \"config\": \"Other\", \"threat\": \"reg-flood\","
    " \"mitigations\": \"psk,max-bad-pe-report\", \"variables\": {\"N\": null}, \"module\": \"q\","
    " \"metric\": \"y\", \"unit\": \"1\", \"n\": 1, \"mean\": 7, \"stddev\": null, \"ci95\": null, \"min\": 7,"
    " \"max\": 7}\n"
    "  ]\n"
    "}\n");
}

/* The table: aligned columns, numbers right-aligned with 6 digits, "-" for what is missing. */
static void
test_table (Fixture *f, gconstpointer data)
{
  write_runs (f->db, small_runs, G_N_ELEMENTS (small_runs), FALSE);
  ResultsReportOptions opt = { .format = RESULTS_REPORT_TABLE };
  g_autofree char *out = report_ok (f->db, &opt);
  g_assert_cmpstr (out, ==,
    "config   threat     mitigations            N   M  module  metric  unit  n     mean   stddev     ci95  min  max\n"
    "General  -          -                      2   -  q       w:mean  B     2       15  7.07107   63.531   10   20\n"
    "General  -          -                      2   -  q       x       s     3  2.33333  1.52753  3.79458    1    4\n"
    "General  -          -                      10  -  q       w:mean  B     3      2.5        1  2.48414  1.5  3.5\n"
    "General  -          -                      10  -  q       x       s     3        3        0        0    3    3\n"
    "Other    reg-flood  psk,max-bad-pe-report  -   x  q       y       1     1        7        -        -    7    7\n");
  /* only General: no threat or mitigations column */
  opt.configs = (const char *const[]) { "General", NULL };
  opt.metrics = (const char *const[]) { "x", NULL };
  g_autofree char *general = report_ok (f->db, &opt);
  g_assert_cmpstr (general, ==,
    "config   N   module  metric  unit  n     mean   stddev     ci95  min  max\n"
    "General  2   q       x       s     3  2.33333  1.52753  3.79458    1    4\n"
    "General  10  q       x       s     3        3        0        0    3    3\n");
}

/* --by pools over the variables left out: 2 x 2 design with 2 repetitions. */
static void
test_by (Fixture *f, gconstpointer data)
{
  TestRun runs[8];
  for (guint i = 0; i < 8; i++)
    runs[i] = (TestRun) { "General", i, "A", i & 4 ? "2" : "1", "B", i & 2 ? "y" : "x", NULL, NULL, "x", i, "s", -1,
                          { 0 } };
  write_runs (f->db, runs, 8, FALSE);
  ResultsReportOptions opt = { .format = RESULTS_REPORT_CSV };
  g_autofree char *all = report_ok (f->db, &opt);
  g_assert_cmpstr (all, ==,
    "scenario,config,threat,mitigations,A,B,module,metric,unit,n,mean,stddev,ci95,min,max\n"
    "s.ini,General,,,1,x,q,x,s,2,0.5,0.7071067811865476,6.353102368087347,0,1\n"
    "s.ini,General,,,1,y,q,x,s,2,2.5,0.7071067811865476,6.353102368087347,2,3\n"
    "s.ini,General,,,2,x,q,x,s,2,4.5,0.7071067811865476,6.353102368087347,4,5\n"
    "s.ini,General,,,2,y,q,x,s,2,6.5,0.7071067811865476,6.353102368087347,6,7\n");
  opt.by = (const char *const[]) { "B", NULL };
  g_autofree char *by_b = report_ok (f->db, &opt);
  g_assert_cmpstr (by_b, ==,
    "scenario,config,threat,mitigations,B,module,metric,unit,n,mean,stddev,ci95,min,max\n"
    "s.ini,General,,,x,q,x,s,4,2.5,2.3804761428476167,3.787868752810704,0,5\n"
    "s.ini,General,,,y,q,x,s,4,4.5,2.3804761428476167,3.787868752810704,2,7\n");
}

/* --config, --where and --metric select runs and metrics; several --where must all hold. */
static void
test_filters (Fixture *f, gconstpointer data)
{
  write_runs (f->db, small_runs, G_N_ELEMENTS (small_runs), FALSE);
  ResultsReportOptions opt = { .format = RESULTS_REPORT_CSV };
  opt.configs = (const char *const[]) { "Other", NULL };
  g_autofree char *other = report_ok (f->db, &opt);
  g_assert_cmpstr (other, ==, "scenario,config,threat,mitigations,M,module,metric,unit,n,mean,stddev,ci95,min,max\n"
                              "s.ini,Other,reg-flood,\"psk,max-bad-pe-report\",x,q,y,1,1,7,,,7,7\n");
  opt.configs = NULL;
  opt.by = (const char *const[]) { "N", NULL };
  opt.where = (const char *const[]) { "N=10", NULL };
  opt.metrics = (const char *const[]) { "w", NULL };
  g_autofree char *n10 = report_ok (f->db, &opt);
  g_assert_cmpstr (n10, ==, "scenario,config,threat,mitigations,N,module,metric,unit,n,mean,stddev,ci95,min,max\n"
                            "s.ini,General,,,10,q,w:mean,B,3,2.5,1,2.4841377117503285,1.5,3.5\n");
  opt.where = (const char *const[]) { "N=10", "M=x", NULL };
  opt.metrics = NULL;
  g_autofree char *none = report_ok (f->db, &opt);
  g_assert_cmpstr (none, ==, "scenario,config,threat,mitigations,N,module,metric,unit,n,mean,stddev,ci95,min,max\n");
  opt.where = NULL;
  opt.metrics = (const char *const[]) { "x*", "y", "nothing?", NULL };
  g_autofree char *glob = report_ok (f->db, &opt);
  g_assert_cmpstr (glob, ==, "scenario,config,threat,mitigations,N,module,metric,unit,n,mean,stddev,ci95,min,max\n"
                             "s.ini,General,,,2,q,x,s,3,2.3333333333333335,1.5275252316519465,3.794583033596757,1,4\n"
                             "s.ini,General,,,10,q,x,s,3,3,0,0,3,3\n"
                             "s.ini,Other,reg-flood,\"psk,max-bad-pe-report\",,q,y,1,1,7,,,7,7\n");
}

/* --by takes any subset of the variables in any order: columns in that order, pooled over the others. */
static void
test_by_subset (Fixture *f, gconstpointer data)
{
  TestRun runs[8];
  for (guint i = 0; i < 8; i++)
    runs[i] = (TestRun) { "General", i, "A", i & 4 ? "2" : "1", "B", i & 2 ? "y" : "x", NULL, NULL, "x", i, "s", -1,
                          { 0 }, FALSE, "C", i & 1 ? "q" : "p" };
  write_runs (f->db, runs, 8, FALSE);
  ResultsReportOptions opt = { .format = RESULTS_REPORT_CSV, .by = (const char *const[]) { "C", "A", "C", NULL } };
  g_autofree char *ca = report_ok (f->db, &opt);
  g_assert_cmpstr (ca, ==,
    "scenario,config,threat,mitigations,C,A,module,metric,unit,n,mean,stddev,ci95,min,max\n"
    "s.ini,General,,,p,1,q,x,s,2,1,1.4142135623730951,12.706204736174694,0,2\n"
    "s.ini,General,,,p,2,q,x,s,2,5,1.4142135623730951,12.706204736174694,4,6\n"
    "s.ini,General,,,q,1,q,x,s,2,2,1.4142135623730951,12.706204736174694,1,3\n"
    "s.ini,General,,,q,2,q,x,s,2,6,1.4142135623730951,12.706204736174694,5,7\n");
  opt.by = (const char *const[]) { "B", NULL };
  opt.where = (const char *const[]) { "C=q", NULL };
  g_autofree char *b = report_ok (f->db, &opt);
  g_assert_cmpstr (b, ==,
    "scenario,config,threat,mitigations,B,module,metric,unit,n,mean,stddev,ci95,min,max\n"
    "s.ini,General,,,x,q,x,s,2,3,2.8284271247461903,25.41240947234939,1,5\n"
    "s.ini,General,,,y,q,x,s,2,5,2.8284271247461903,25.41240947234939,3,7\n");
}

/* Runs of a small threat x mitigation design: a baseline, an attack without and with mitigations. */
static const TestRun threat_runs[] = {
  { "Base", 0, NULL, NULL, NULL, NULL, NULL, NULL, "x", 1, "s", -1, { 0 } },
  { "Base", 1, NULL, NULL, NULL, NULL, NULL, NULL, "x", 2, "s", -1, { 0 } },
  { "Flood", 0, NULL, NULL, NULL, NULL, "reg-flood", NULL, "x", 10, "s", -1, { 0 } },
  { "Flood", 1, NULL, NULL, NULL, NULL, "reg-flood", NULL, "x", 20, "s", -1, { 0 } },
  { "Flood", 2, NULL, NULL, NULL, NULL, "reg-flood", "psk,max-bad-pe-report", "x", 5, "s", -1, { 0 } },
  { "Flood", 3, NULL, NULL, NULL, NULL, "reg-flood", "psk,max-bad-pe-report", "x", 7, "s", -1, { 0 } },
  { "Spoof", 0, NULL, NULL, NULL, NULL, "reg-spoof", "psk", "x", 100, "s", -1, { 0 } },
};

#define CSV_HEAD "scenario,config,threat,mitigations,module,metric,unit,n,mean,stddev,ci95,min,max\n"
#define ROW_BASE "s.ini,Base,,,q,x,s,2,1.5,0.7071067811865476,6.353102368087347,1,2\n"
#define ROW_FLOOD "s.ini,Flood,reg-flood,,q,x,s,2,15,7.0710678118654755,63.53102368087347,10,20\n"
#define ROW_FLOOD_M "s.ini,Flood,reg-flood,\"psk,max-bad-pe-report\",q,x,s,2,6,1.4142135623730951,12.706204736174694,5,7\n"
#define ROW_SPOOF "s.ini,Spoof,reg-spoof,psk,q,x,s,1,100,,,100,100\n"

/*
 * --threat keeps runs of any of the threats named ("none": no threat);
 * --mitigation keeps runs with all the mitigations named switched on
 * ("none": runs without any); both combine with each other.
 */
static void
test_threat_mitigation_filters (Fixture *f, gconstpointer data)
{
  write_runs (f->db, threat_runs, G_N_ELEMENTS (threat_runs), FALSE);
  static const struct {
    const char *threats[3];
    const char *mitigations[3];
    const char *csv;
  } cases[] = {
    { { "reg-flood" }, { NULL }, CSV_HEAD ROW_FLOOD ROW_FLOOD_M },
    { { "none" }, { NULL }, CSV_HEAD ROW_BASE },
    { { "reg-spoof", "reg-flood" }, { NULL }, CSV_HEAD ROW_FLOOD ROW_FLOOD_M ROW_SPOOF },
    { { NULL }, { "psk" }, CSV_HEAD ROW_FLOOD_M ROW_SPOOF },
    { { NULL }, { "psk", "max-bad-pe-report" }, CSV_HEAD ROW_FLOOD_M },
    { { NULL }, { "none" }, CSV_HEAD ROW_BASE ROW_FLOOD },
    { { "reg-flood" }, { "none" }, CSV_HEAD ROW_FLOOD },
    { { "reg-spoof" }, { "max-bad-pe-report" }, CSV_HEAD },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      ResultsReportOptions opt = {
        .format = RESULTS_REPORT_CSV,
        .threats = cases[i].threats[0] != NULL ? cases[i].threats : NULL,
        .mitigations = cases[i].mitigations[0] != NULL ? cases[i].mitigations : NULL,
      };
      g_autofree char *out = report_ok (f->db, &opt);
      g_assert_cmpstr (out, ==, cases[i].csv);
    }
}

/* A threat or mitigation that no complete run has is an error listing those there are. */
static void
test_threat_mitigation_unknown (Fixture *f, gconstpointer data)
{
  write_runs (f->db, threat_runs, G_N_ELEMENTS (threat_runs), FALSE);
  ResultsReportOptions opt = { .format = RESULTS_REPORT_CSV, .threats = (const char *const[]) { "replay", NULL } };
  g_autofree char *m1 = g_strdup_printf ("%s: no complete run has threat 'replay' (threats: none, reg-flood, "
                                         "reg-spoof)", f->db);
  GError *err = NULL;
  g_assert_null (report (f->db, &opt, &err));
  g_assert_error (err, RESULTS_REPORT_ERROR, RESULTS_REPORT_ERROR_UNKNOWN_NAME);
  g_assert_cmpstr (err->message, ==, m1);
  g_clear_error (&err);
  opt.threats = NULL;
  opt.mitigations = (const char *const[]) { "psk", "tls", NULL };
  g_autofree char *m2 = g_strdup_printf ("%s: no complete run has mitigation 'tls' (mitigations: none, psk, "
                                         "max-bad-pe-report)", f->db);
  g_assert_null (report (f->db, &opt, &err));
  g_assert_error (err, RESULTS_REPORT_ERROR, RESULTS_REPORT_ERROR_UNKNOWN_NAME);
  g_assert_cmpstr (err->message, ==, m2);
  g_clear_error (&err);
}

static void
collect_row (const char *const *variables, const ResultsReportRow *row, gpointer user_data)
{
  GString *out = user_data;
  for (guint v = 0; variables[v] != NULL; v++)
    g_string_append_printf (out, "%s=%s ", variables[v], row->values[v] != NULL ? row->values[v] : "(none)");
  g_string_append_printf (out, "%s %s %s %s %s [%s] n=%u mean=%.17g ci95=%.17g\n", row->config,
                          row->threat != NULL ? row->threat : "-", row->mitigations != NULL ? row->mitigations : "-",
                          row->module, row->metric, row->unit != NULL ? row->unit : "-", row->summary.n,
                          row->summary.mean, row->summary.ci95);
}

/* results_report_foreach hands out the report's rows, in its order, with the grouping variables. */
static void
test_foreach (Fixture *f, gconstpointer data)
{
  write_runs (f->db, small_runs, G_N_ELEMENTS (small_runs), FALSE);
  GError *err = NULL;
  g_autoptr (ResultsStore) store = results_store_open_read_only (f->db, &err);
  g_assert_no_error (err);
  ResultsReportOptions opt = { .format = RESULTS_REPORT_TABLE, .metrics = (const char *const[]) { "x", "y", NULL } };
  g_autoptr (GString) out = g_string_new (NULL);
  g_assert_true (results_report_foreach (store, &opt, collect_row, out, &err));
  g_assert_no_error (err);
  g_assert_cmpstr (out->str, ==,
    "N=2 M=(none) General - - q x [s] n=3 mean=2.3333333333333335 ci95=3.7945830335967572\n"
    "N=10 M=(none) General - - q x [s] n=3 mean=3 ci95=0\n"
    "N=(none) M=x Other reg-flood psk,max-bad-pe-report q y [1] n=1 mean=7 ci95=nan\n");
}

static void
assert_report_error (const char *path, const ResultsReportOptions *opt, int code, const char *message)
{
  GError *err = NULL;
  g_assert_null (report (path, opt, &err));
  g_assert_error (err, RESULTS_REPORT_ERROR, code);
  g_assert_cmpstr (err->message, ==, message);
  g_clear_error (&err);
}

/* A malformed --where, and a config or variable no run has, are errors that list what exists. */
static void
test_errors (Fixture *f, gconstpointer data)
{
  write_runs (f->db, small_runs, G_N_ELEMENTS (small_runs), FALSE);
  ResultsReportOptions opt = { .format = RESULTS_REPORT_CSV };
  opt.where = (const char *const[]) { "N", NULL };
  assert_report_error (f->db, &opt, RESULTS_REPORT_ERROR_BAD_FILTER, "--where 'N': expected VARIABLE=VALUE");
  opt.where = (const char *const[]) { "=3", NULL };
  assert_report_error (f->db, &opt, RESULTS_REPORT_ERROR_BAD_FILTER, "--where '=3': expected VARIABLE=VALUE");
  opt.where = (const char *const[]) { "Z=1", NULL };
  g_autofree char *m1 = g_strdup_printf ("%s: --where: no selected run has a variable 'Z' (variables: N, M)", f->db);
  assert_report_error (f->db, &opt, RESULTS_REPORT_ERROR_UNKNOWN_NAME, m1);
  opt.where = NULL;
  opt.configs = (const char *const[]) { "General", NULL };
  opt.by = (const char *const[]) { "M", NULL };
  g_autofree char *m2 = g_strdup_printf ("%s: --by: no selected run has a variable 'M' (variables: N)", f->db);
  assert_report_error (f->db, &opt, RESULTS_REPORT_ERROR_UNKNOWN_NAME, m2);
  opt.by = NULL;
  opt.configs = (const char *const[]) { "Nope", NULL };
  g_autofree char *m3 = g_strdup_printf ("%s: no complete run of config 'Nope' (configs: General, Other)", f->db);
  assert_report_error (f->db, &opt, RESULTS_REPORT_ERROR_UNKNOWN_NAME, m3);
}

/*
 * NaN results (stored as NULL) are not values: n counts the others. Rows
 * added by hand are read as far as they make sense: a text value as a number,
 * a run without variables into its group, a scalar of no run not at all.
 */
static void
test_nan_and_hand_edited (Fixture *f, gconstpointer data)
{
  const TestRun runs[] = {
    { "General", 0, NULL, NULL, NULL, NULL, NULL, NULL, "x", 1.0, "s", -1, { 0 } },
    { "General", 1, NULL, NULL, NULL, NULL, NULL, NULL, "x", NAN, "s", -1, { 0 } },
  };
  write_runs (f->db, runs, G_N_ELEMENTS (runs), FALSE);
  sqlite3 *db = NULL;
  g_assert_cmpint (sqlite3_open (f->db, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "INSERT INTO scalar (run_id, module, name, value) VALUES (2, 'q', 'z', '2.5');"
                                     "INSERT INTO run (runid, scenario, scenario_digest, config, run_number, repetition,"
                                     " seed, version, status, created) VALUES ('r', 's.ini', 'd', 'General', 9, 0, 0,"
                                     " '0', 'complete', 'now');"
                                     "INSERT INTO scalar (run_id, module, name, value)"
                                     " VALUES (last_insert_rowid (), 'q', 'x', 3);"
                                     "INSERT INTO scalar (run_id, module, name, value) VALUES (77, 'q', 'x', 100);",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  ResultsReportOptions opt = { .format = RESULTS_REPORT_CSV };
  g_autofree char *out = report_ok (f->db, &opt);
  g_assert_cmpstr (out, ==, "scenario,config,threat,mitigations,module,metric,unit,n,mean,stddev,ci95,min,max\n"
                            "s.ini,General,,,q,x,s,2,2,1.4142135623730951,12.706204736174694,1,3\n"
                            "s.ini,General,,,q,z,,1,2.5,,,2.5,2.5\n");
}

/* Running the built poolsim binary; skipped when the harness does not say where it is. */
static char *
poolsim_binary (void)
{
  const char *builddir = g_getenv ("POOLSIM_BUILDDIR");
  if (builddir == NULL)
    return NULL;
  return g_build_filename (builddir, "poolsim", NULL);
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

/* `poolsim report` on a missing file fails with exit status 1 and a clear message, and creates nothing. */
static void
test_cli_missing_file (Fixture *f, gconstpointer data)
{
  g_autofree char *exe = poolsim_binary ();
  if (exe == NULL)
    {
      g_test_skip ("POOLSIM_BUILDDIR not set");
      return;
    }
  g_autofree char *out = NULL, *err = NULL;
  const char *args[] = { exe, "report", f->db, NULL };
  g_assert_cmpint (run_poolsim (args, &out, &err), ==, 1);
  g_autofree char *expect = g_strdup_printf ("poolsim: %s: no such file\n", f->db);
  g_assert_cmpstr (err, ==, expect);
  g_assert_cmpstr (out, ==, "");
  g_assert_false (g_file_test (f->db, G_FILE_TEST_EXISTS));
  g_autofree char *wal = g_strconcat (f->db, "-wal", NULL);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
}

/* `poolsim report --format csv` prints the library's report; a bad format or argument count is a usage error. */
static void
test_cli_csv_and_usage (Fixture *f, gconstpointer data)
{
  g_autofree char *exe = poolsim_binary ();
  if (exe == NULL)
    {
      g_test_skip ("POOLSIM_BUILDDIR not set");
      return;
    }
  write_runs (f->db, small_runs, G_N_ELEMENTS (small_runs), FALSE);
  g_autofree char *out = NULL, *err = NULL;
  const char *csv[] = { exe, "report", f->db, "--format", "csv", NULL };
  g_assert_cmpint (run_poolsim (csv, &out, &err), ==, 0);
  g_assert_cmpstr (out, ==, small_csv);
  g_assert_cmpstr (err, ==, "");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  const char *filtered[] = { exe, "report", "-f", "csv", "--where", "N=2", "--metric", "x", "--by", "N", f->db, NULL };
  g_assert_cmpint (run_poolsim (filtered, &out, &err), ==, 0);
  g_assert_cmpstr (out, ==, "scenario,config,threat,mitigations,N,module,metric,unit,n,mean,stddev,ci95,min,max\n"
                            "s.ini,General,,,2,q,x,s,3,2.3333333333333335,1.5275252316519465,3.794583033596757,1,4\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  const char *bad_format[] = { exe, "report", f->db, "--format", "xml", NULL };
  g_assert_cmpint (run_poolsim (bad_format, &out, &err), ==, 2);
  g_assert_cmpstr (err, ==, "poolsim: report: unknown format 'xml' (formats: table, csv, json)\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  const char *no_db[] = { exe, "report", NULL };
  g_assert_cmpint (run_poolsim (no_db, &out, &err), ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  const char *unknown_var[] = { exe, "report", f->db, "--by", "Q", NULL };
  g_assert_cmpint (run_poolsim (unknown_var, &out, &err), ==, 2);
  g_autofree char *expect = g_strdup_printf ("poolsim: %s: --by: no selected run has a variable 'Q' (variables: N, M)\n",
                                             f->db);
  g_assert_cmpstr (err, ==, expect);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  const char *help[] = { exe, "report", "--help", NULL };
  g_assert_cmpint (run_poolsim (help, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "ci95         half-width of the 95 % confidence interval"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/results/report/t-quantile/table", test_t_quantile_table);
  g_test_add_func ("/results/report/t-quantile/closed-forms", test_t_quantile_closed_forms);
  g_test_add_func ("/results/report/summary/one-to-ten", test_summary_one_to_ten);
  g_test_add_func ("/results/report/summary/small-n", test_summary_small_n);
#define ADD(path, fn) g_test_add ("/results/report/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("csv", test_csv);
  ADD ("by-subset", test_by_subset);
  ADD ("filter/threat-mitigation", test_threat_mitigation_filters);
  ADD ("filter/threat-mitigation-unknown", test_threat_mitigation_unknown);
  ADD ("foreach", test_foreach);
  ADD ("order-independent", test_order_independent);
  ADD ("json", test_json);
  ADD ("table", test_table);
  ADD ("by", test_by);
  ADD ("filters", test_filters);
  ADD ("errors", test_errors);
  ADD ("nan-and-hand-edited", test_nan_and_hand_edited);
  ADD ("cli/missing-file", test_cli_missing_file);
  ADD ("cli/csv-and-usage", test_cli_csv_and_usage);
#undef ADD
  return g_test_run ();
}
