/*
 * tests/test-results-plot.c - plots: the gnuplot script exactly (points are
 * the report's means and 95 % intervals), x axes with units and categories,
 * legends, errors; and through gnuplot, an SVG that is well-formed XML of
 * the requested size with one series per --by value, a PNG of the requested
 * size, and the message when gnuplot is missing.
 */
#include "config.h"

#include "results/plot.h"
#include "results/store.h"
#include "tests/testutil.h"

#include <gio/gio.h>
#include <math.h>
#include <string.h>

#define DIGEST "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

typedef struct {
  char *dir;
  char *db;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = testutil_tmpdir ();
  f->db = g_build_filename (f->dir, "results.db", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  testutil_rmtree (f->dir);
  g_free (f->db);
  g_free (f->dir);
}

/* A run with up to two variables and the scalar "x" [s] (and the statistic "w" with one observation, x). */
typedef struct {
  const char *config;
  const char *var1, *val1;
  const char *var2, *val2;
  double      x;
} PlotRun;

static void
write_runs (const char *db, const PlotRun *runs, guint n)
{
  GError *err = NULL;
  g_autoptr (ResultsStore) store = results_store_open (db, &err);
  g_assert_no_error (err);
  for (guint i = 0; i < n; i++)
    {
      ResultsPair vars[2];
      guint n_vars = 0;
      if (runs[i].var1 != NULL)
        vars[n_vars++] = (ResultsPair) { runs[i].var1, runs[i].val1 };
      if (runs[i].var2 != NULL)
        vars[n_vars++] = (ResultsPair) { runs[i].var2, runs[i].val2 };
      ResultsRunInfo info = {
        .scenario = "s.ini", .scenario_digest = DIGEST, .config = runs[i].config, .run_number = i,
        .seed = i, .itervars = vars, .n_itervars = n_vars,
      };
      g_autoptr (ResultsRun) run = results_run_begin (store, &info);
      SimRecorder *rec = results_run_recorder (run);
      sim_record_scalar (rec, "q", "x", runs[i].x, "s");
      SimStat st;
      sim_stat_init (&st);
      sim_stat_add (&st, runs[i].x);
      sim_record_statistic (rec, "q", "w", &st, "B");
      g_assert_true (results_run_commit (run, SIM_S, 1, 0.0, &err));
      g_assert_no_error (err);
    }
}

static char *
script (Fixture *f, const ResultsPlotOptions *opt, GError **error)
{
  g_autoptr (ResultsStore) store = results_store_open_read_only (f->db, error);
  if (store == NULL)
    return NULL;
  return results_plot_script (store, opt, error);
}

static char *
script_ok (Fixture *f, const ResultsPlotOptions *opt)
{
  GError *err = NULL;
  char *s = script (f, opt, &err);
  g_assert_no_error (err);
  return s;
}

static const PlotRun load_cap[] = {
  { "General", "load", "0.5", "cap", "0", 1 },
  { "General", "load", "0.5", "cap", "0", 3 },
  { "General", "load", "0.5", "cap", "5", 2 },
  { "General", "load", "0.8", "cap", "0", 4 },
  { "General", "load", "0.8", "cap", "0", 6 },
  { "General", "load", "0.8", "cap", "5", 10 },
  { "General", "load", "0.8", "cap", "5", 14 },
};

/*
 * The script, exactly: terminal and size, labels with units, one datablock
 * per --by value holding x, the mean and the Student t half-width of the
 * report (t(0.975, 1) x s / sqrt(2); 0 for a single run), and the legend.
 */
static void
test_script (Fixture *f, gconstpointer data)
{
  write_runs (f->db, load_cap, G_N_ELEMENTS (load_cap));
  ResultsPlotOptions opt = {
    .x = "load", .y = "x", .by = (const char *const[]) { "cap", NULL }, .format = RESULTS_PLOT_SVG,
    .width = 800, .height = 600, .output = "o.svg",
  };
  g_autofree char *s = script_ok (f, &opt);
  g_autofree char *want = g_strdup_printf (
    "# poolsim plot of %s: x over load, one series per cap\n"
    "# error bars: 95 %% confidence intervals of the mean (Student t)\n"
    "set terminal svg size 800,600 noenhanced font \"sans,12\" background rgb \"white\"\n"
    "set output \"o.svg\"\n"
    "set xlabel \"load\"\n"
    "set ylabel \"x [s]\"\n"
    "set key top left Left reverse box\n"
    "set grid\n"
    "set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05\n"
    "$series1 << EOD\n"
    "0.5 2 12.706204736174694\n"
    "0.8 5 12.706204736174694\n"
    "EOD\n"
    "$series2 << EOD\n"
    "0.5 2 0\n"
    "0.8 12 25.41240947234939\n"
    "EOD\n"
    "plot $series1 using 1:2:3 with yerrorlines linewidth 2 pointtype 7 title \"cap=0\", \\\n"
    "     $series2 using 1:2:3 with yerrorlines linewidth 2 pointtype 7 title \"cap=5\"\n", f->db);
  g_assert_cmpstr (s, ==, want);
}

/*
 * Without --by the runs of a load are pooled over cap; a statistic is NAME:mean
 * with its unit; PNG uses pngcairo; the title and output are quoted for gnuplot.
 */
static void
test_pooled_statistic_png (Fixture *f, gconstpointer data)
{
  write_runs (f->db, load_cap, G_N_ELEMENTS (load_cap));
  ResultsPlotOptions opt = {
    .x = "load", .y = "w:mean", .format = RESULTS_PLOT_PNG, .width = 320, .height = 200,
    .output = "a \"b\".png", .title = "M/M/1 \\ test",
  };
  g_autofree char *s = script_ok (f, &opt);
  g_assert_nonnull (strstr (s, "\nset terminal pngcairo size 320,200 noenhanced font \"sans,10\" background rgb "
                               "\"white\"\nset output \"a \\\"b\\\".png\"\nset title \"M/M/1 \\\\ test\"\n"));
  g_assert_nonnull (strstr (s, "\nset ylabel \"w:mean [B]\"\n"));
  /* load 0.5: 1, 3, 2: mean 2, s = 1, ci = t(0.975, 2) / sqrt(3); load 0.8: 4, 6, 10, 14: mean 8.5,
   * s = sqrt(59 / 3), ci = t(0.975, 3) s / 2 = 7.056615717861394 in exact arithmetic (2 ulp away) */
  g_assert_nonnull (strstr (s, "\n$series1 << EOD\n0.5 2 2.4841377117503285\n0.8 8.5 7.0566157178613915\nEOD\n"
                               "plot $series1 using 1:2:3 with yerrorlines linewidth 2 pointtype 7 title "
                               "\"w:mean\"\n"));
}

/* An x variable with time values is numeric in their common unit, else in seconds; 0 fits any unit. */
static void
test_x_units (Fixture *f, gconstpointer data)
{
  const PlotRun runs[] = {
    { "A", "T", "2s", NULL, NULL, 1 },
    { "A", "T", "500ms", NULL, NULL, 2 },
    { "A", "T", "1s", NULL, NULL, 3 },
    { "B", "T", "250ms", NULL, NULL, 4 },
    { "B", "T", "0", NULL, NULL, 5 },
  };
  write_runs (f->db, runs, G_N_ELEMENTS (runs));
  ResultsPlotOptions opt = { .x = "T", .y = "x", .format = RESULTS_PLOT_SVG, .width = 100, .height = 100,
                             .output = "t.svg", .configs = (const char *const[]) { "A", NULL } };
  g_autofree char *a = script_ok (f, &opt);
  g_assert_nonnull (strstr (a, "\nset xlabel \"T [s]\"\n"));
  g_assert_nonnull (strstr (a, "\n$series1 << EOD\n0.5 2 0\n1 3 0\n2 1 0\nEOD\n"));
  opt.configs = (const char *const[]) { "B", NULL };
  g_autofree char *b = script_ok (f, &opt);
  g_assert_nonnull (strstr (b, "\nset xlabel \"T [ms]\"\n"));
  g_assert_nonnull (strstr (b, "\n$series1 << EOD\n0 5 0\n250 4 0\nEOD\n"));
  /* both configs: two series named by config */
  opt.configs = NULL;
  g_autofree char *both = script_ok (f, &opt);
  g_assert_nonnull (strstr (both, "\nset xlabel \"T [s]\"\n"));
  g_assert_nonnull (strstr (both, "title \"config=A\", \\\n"));
  g_assert_nonnull (strstr (both, "title \"config=B\"\n"));
  g_assert_nonnull (strstr (both, "\n$series2 << EOD\n0 5 0\n0.25 4 0\nEOD\n"));
}

/* Values that are not quantities are categories, evenly spaced in the report's order. */
static void
test_x_categories (Fixture *f, gconstpointer data)
{
  const PlotRun runs[] = {
    { "General", "policy", "rr", NULL, NULL, 1 },
    { "General", "policy", "lu", NULL, NULL, 2 },
    { "General", "policy", "wrand", NULL, NULL, 3 },
  };
  write_runs (f->db, runs, G_N_ELEMENTS (runs));
  ResultsPlotOptions opt = { .x = "policy", .y = "x", .format = RESULTS_PLOT_SVG, .width = 100, .height = 100,
                             .output = "p.svg" };
  g_autofree char *s = script_ok (f, &opt);
  g_assert_nonnull (strstr (s, "\nset xtics (\"lu\" 0, \"rr\" 1, \"wrand\" 2)\nset xrange [-0.5:2.5]\n"
                               "set offsets 0, 0, graph 0.05, graph 0.05\n$series1 << EOD\n0 2 0\n1 1 0\n2 3 0\n"
                               "EOD\n"));
}

/* A metric no run has and variables no run has are errors that say which option is wrong. */
static void
test_errors (Fixture *f, gconstpointer data)
{
  write_runs (f->db, load_cap, G_N_ELEMENTS (load_cap));
  ResultsPlotOptions opt = { .x = "load", .y = "nope", .format = RESULTS_PLOT_SVG, .width = 100, .height = 100,
                             .output = "e.svg" };
  GError *err = NULL;
  g_assert_null (script (f, &opt, &err));
  g_assert_error (err, RESULTS_PLOT_ERROR, RESULTS_PLOT_ERROR_NO_DATA);
  g_autofree char *m1 = g_strdup_printf ("%s: no selected complete run has the metric nope (`poolsim report` lists "
                                         "the metrics; a statistic is NAME:mean)", f->db);
  g_assert_cmpstr (err->message, ==, m1);
  g_clear_error (&err);
  opt.y = "w"; /* a statistic is only there as w:mean */
  g_assert_null (script (f, &opt, &err));
  g_assert_error (err, RESULTS_PLOT_ERROR, RESULTS_PLOT_ERROR_NO_DATA);
  g_clear_error (&err);
  opt.y = "x";
  opt.x = "rho";
  g_assert_null (script (f, &opt, &err));
  g_assert_error (err, RESULTS_PLOT_ERROR, RESULTS_PLOT_ERROR_UNKNOWN_VARIABLE);
  g_assert_cmpstr (err->message, ==, "--x rho: no selected run with x has this variable (variables: load, cap)");
  g_clear_error (&err);
  opt.x = "load";
  opt.by = (const char *const[]) { "capacity", NULL };
  g_assert_null (script (f, &opt, &err));
  g_assert_error (err, RESULTS_PLOT_ERROR, RESULTS_PLOT_ERROR_UNKNOWN_VARIABLE);
  g_assert_cmpstr (err->message, ==, "--by capacity: no selected run with x has this variable (variables: load, cap)");
  g_clear_error (&err);
}

/* Through gnuplot. */

static char *
mm1_db (Fixture *f)
{
  g_autofree char *scenario = testutil_srcpath ("scenarios/examples/mm1.ini");
  const char *sets[] = { "mm1.capacity=${cap=0,5}", "repeat=3", NULL };
  GError *err = NULL;
  g_assert_true (testutil_run_in_process (scenario, "Short", sets, f->db, &err));
  g_assert_no_error (err);
  return g_strdup (f->db);
}

static int
run_poolsim (const char *const *args, const char *path_env, char **out, char **err)
{
  g_autoptr (GSubprocessLauncher) l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                                                 | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  if (path_env != NULL)
    g_subprocess_launcher_setenv (l, "PATH", path_env, TRUE);
  GError *error = NULL;
  g_autoptr (GSubprocess) p = g_subprocess_launcher_spawnv (l, args, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (p, NULL, NULL, out, err, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (p));
  return g_subprocess_get_exit_status (p);
}

/* What the SVG check collects while parsing. */
typedef struct {
  char      *width, *height;    /* of the root <svg> */
  int        in_plot;           /* depth inside a <g id="gnuplot_plot_N"> (0: outside) */
  int        depth;
  gboolean   in_text;
  GPtrArray *plots;             /* ids of the gnuplot_plot_N groups */
  GPtrArray *legend;            /* <text> inside those groups */
  GPtrArray *texts;             /* every <text> */
} SvgInfo;

static void
svg_start (GMarkupParseContext *ctx, const char *element, const char **names, const char **values, gpointer data,
           GError **error)
{
  SvgInfo *s = data;
  s->depth++;
  if (strcmp (element, "svg") == 0 && s->depth == 1)
    for (guint i = 0; names[i] != NULL; i++)
      {
        if (strcmp (names[i], "width") == 0)
          s->width = g_strdup (values[i]);
        if (strcmp (names[i], "height") == 0)
          s->height = g_strdup (values[i]);
      }
  if (strcmp (element, "g") == 0 && s->in_plot == 0)
    for (guint i = 0; names[i] != NULL; i++)
      if (strcmp (names[i], "id") == 0 && g_str_has_prefix (values[i], "gnuplot_plot_"))
        {
          g_ptr_array_add (s->plots, g_strdup (values[i]));
          s->in_plot = s->depth;
        }
  s->in_text = strcmp (element, "text") == 0;
}

static void
svg_end (GMarkupParseContext *ctx, const char *element, gpointer data, GError **error)
{
  SvgInfo *s = data;
  if (s->in_plot == s->depth)
    s->in_plot = 0;
  s->depth--;
  s->in_text = FALSE;
}

static void
svg_text (GMarkupParseContext *ctx, const char *text, gsize len, gpointer data, GError **error)
{
  SvgInfo *s = data;
  if (!s->in_text)
    return;
  g_ptr_array_add (s->texts, g_strndup (text, len));
  if (s->in_plot != 0)
    g_ptr_array_add (s->legend, g_strndup (text, len));
}

/*
 * `poolsim plot` of the M/M/1 results (waiting time over rho, one series per
 * capacity) writes an SVG that parses as XML, has the requested size, two
 * series with legend entries cap=0 and cap=5, and labelled axes.
 */
static void
test_svg (Fixture *f, gconstpointer data)
{
  g_autofree char *gnuplot = g_find_program_in_path ("gnuplot");
  if (gnuplot == NULL)
    {
      g_test_skip ("gnuplot is not installed (Debian package gnuplot-nox)");
      return;
    }
  g_autofree char *db = mm1_db (f);
  g_autofree char *exe = testutil_poolsim ();
  g_autofree char *svg = g_build_filename (f->dir, "w.svg", NULL);
  const char *args[] = { exe, "plot", db, "--x", "rho", "--y", "mm1.waiting_time:mean", "--by", "cap", "-o", svg,
                         "--size", "640x480", NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (run_poolsim (args, NULL, &out, &err), ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (svg, &text, NULL, NULL));
  SvgInfo info = { .plots = g_ptr_array_new_with_free_func (g_free),
                   .legend = g_ptr_array_new_with_free_func (g_free),
                   .texts = g_ptr_array_new_with_free_func (g_free) };
  static const GMarkupParser parser = { svg_start, svg_end, svg_text, NULL, NULL };
  g_autoptr (GMarkupParseContext) ctx = g_markup_parse_context_new (&parser, 0, &info, NULL);
  GError *error = NULL;
  g_assert_true (g_markup_parse_context_parse (ctx, text, -1, &error) && g_markup_parse_context_end_parse (ctx, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (info.width, ==, "640");
  g_assert_cmpstr (info.height, ==, "480");
  g_assert_cmpuint (info.plots->len, ==, 2);
  g_assert_cmpstr (info.plots->pdata[0], ==, "gnuplot_plot_1");
  g_assert_cmpstr (info.plots->pdata[1], ==, "gnuplot_plot_2");
  g_assert_cmpuint (info.legend->len, ==, 2);
  g_assert_cmpstr (info.legend->pdata[0], ==, "cap=0");
  g_assert_cmpstr (info.legend->pdata[1], ==, "cap=5");
  g_assert_true (g_ptr_array_find_with_equal_func (info.texts, "rho", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (info.texts, "mm1.waiting_time:mean [s]", g_str_equal, NULL));
  g_free (info.width);
  g_free (info.height);
  g_ptr_array_unref (info.plots);
  g_ptr_array_unref (info.legend);
  g_ptr_array_unref (info.texts);
}

/* A PNG has the PNG signature and, in its IHDR chunk, the requested width and height. */
static void
test_png (Fixture *f, gconstpointer data)
{
  g_autofree char *gnuplot = g_find_program_in_path ("gnuplot");
  if (gnuplot == NULL)
    {
      g_test_skip ("gnuplot is not installed (Debian package gnuplot-nox)");
      return;
    }
  g_autofree char *db = mm1_db (f);
  g_autofree char *exe = testutil_poolsim ();
  g_autofree char *png = g_build_filename (f->dir, "u.png", NULL);
  const char *args[] = { exe, "plot", db, "-x", "rho", "-y", "mm1.utilization", "-b", "cap", "-o", png,
                         "-s", "1000x500", NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (run_poolsim (args, NULL, &out, &err), ==, 0);
  g_autofree guchar *bytes = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (png, (char **) &bytes, &len, NULL));
  g_assert_cmpuint (len, >, 1000);
  static const guchar signature[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R' };
  g_assert_cmpmem (bytes, sizeof signature, signature, sizeof signature);
  guint32 w = (guint32) bytes[16] << 24 | bytes[17] << 16 | bytes[18] << 8 | bytes[19];
  guint32 h = (guint32) bytes[20] << 24 | bytes[21] << 16 | bytes[22] << 8 | bytes[23];
  g_assert_cmpuint (w, ==, 1000);
  g_assert_cmpuint (h, ==, 500);
}

/*
 * Without gnuplot, `poolsim plot` says which package to install (status 1)
 * and still writes --script; a suffix other than .svg or .png is a usage error.
 */
static void
test_cli_no_gnuplot (Fixture *f, gconstpointer data)
{
  write_runs (f->db, load_cap, G_N_ELEMENTS (load_cap));
  g_autofree char *exe = testutil_poolsim ();
  g_autofree char *svg = g_build_filename (f->dir, "n.svg", NULL);
  g_autofree char *gp = g_build_filename (f->dir, "n.gp", NULL);
  const char *args[] = { exe, "plot", f->db, "--x", "load", "--y", "x", "-o", svg, "--script", gp, NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (run_poolsim (args, f->dir, &out, &err), ==, 1);
  g_assert_cmpstr (err, ==, "poolsim plot: gnuplot is not installed (on Debian: apt-get install gnuplot-nox); "
                            "--script FILE writes the script anyway\n");
  g_assert_false (g_file_test (svg, G_FILE_TEST_EXISTS));
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (gp, &text, NULL, NULL));
  g_assert_true (g_str_has_prefix (text, "# poolsim plot of "));
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&out, g_free);
  const char *pdf[] = { exe, "plot", f->db, "--x", "load", "--y", "x", "-o", "x.pdf", NULL };
  g_assert_cmpint (run_poolsim (pdf, NULL, &out, &err), ==, 2);
  g_assert_cmpstr (err, ==, "poolsim plot: -o x.pdf: the file name must end in .svg or .png\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add ("/results/plot/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("script", test_script);
  ADD ("pooled-statistic-png", test_pooled_statistic_png);
  ADD ("x-units", test_x_units);
  ADD ("x-categories", test_x_categories);
  ADD ("errors", test_errors);
  ADD ("gnuplot/svg", test_svg);
  ADD ("gnuplot/png", test_png);
  ADD ("cli-no-gnuplot", test_cli_no_gnuplot);
#undef ADD
  return g_test_run ();
}
