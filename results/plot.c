/*
 * results/plot.c - the data and gnuplot script of a figure: one metric over
 * one sweep variable, per series, with 95 % confidence intervals.
 *
 * The numbers come from the report (results_report_foreach) grouped by the x
 * variable and the series variables, so a point is exactly the mean and ci95
 * that `poolsim report --by X --by BY...` prints for that group. Two passes
 * over the database: the first, ungrouped, checks that the metric and the
 * variables exist (so that errors speak of --x and --by, not of the report's
 * options); the second groups. The data go inline into the script as
 * datablocks, so the script is one self-contained file that can be kept and
 * edited. Numbers are written as the shortest decimals that read back as the
 * doubles the report computed.
 */
#include "config.h"

#include "results/plot.h"
#include "results/report.h"
#include "sim/units.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK (results-plot-error-quark, results_plot_error)

typedef struct {
  const char *x;      /* the x value as in the database (chunk string) */
  double      mean;
  double      ci95;   /* NaN with one run */
  double      pos;    /* position on the x axis, set once the axis is known */
} PlotPoint;

/* Series components: the group's identity besides x, in label order. */
enum { C_SCENARIO, C_CONFIG, C_THREAT, C_MITIGATIONS, C_MODULE, C_BY };

typedef struct {
  GPtrArray *parts;   /* char *: "config=Short", "cap=0", ...; one per component */
  GArray    *points;  /* of PlotPoint */
} PlotSeries;

typedef struct {
  const ResultsPlotOptions *opt;
  GStringChunk *strings;
  GPtrArray    *series;      /* of PlotSeries *, in order of first appearance */
  GHashTable   *by_key;      /* key -> PlotSeries * (lookups only) */
  GPtrArray    *xs;          /* distinct x values (chunk strings), in order of first appearance */
  const char   *unit;        /* of the metric (first row); nullable */
  char        **variables;   /* first pass: every variable of the selected runs */
  guint         rows;        /* rows of the metric seen */
} Plot;

static void
plot_series_free (gpointer data)
{
  PlotSeries *s = data;
  g_ptr_array_unref (s->parts);
  g_array_unref (s->points);
  g_free (s);
}

/* The first pass: does the metric exist, which variables are there. */
static void
check_row (const char *const *variables, const ResultsReportRow *row, gpointer user_data)
{
  Plot *p = user_data;
  if (strcmp (row->metric, p->opt->y) != 0)
    return;
  p->rows++;
  if (p->variables == NULL)
    p->variables = g_strdupv ((char **) variables);
}

static void
collect_row (const char *const *variables, const ResultsReportRow *row, gpointer user_data)
{
  Plot *p = user_data;
  /* a point needs an x and a finite mean (a metric that is infinite in a run has none) */
  if (strcmp (row->metric, p->opt->y) != 0 || row->values[0] == NULL || !isfinite (row->summary.mean))
    return;
  if (p->rows++ == 0 && row->unit != NULL)
    p->unit = g_string_chunk_insert_const (p->strings, row->unit);
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (parts, g_strdup_printf ("scenario=%s", row->scenario));
  g_ptr_array_add (parts, g_strdup_printf ("config=%s", row->config));
  g_ptr_array_add (parts, g_strdup_printf ("threat=%s", row->threat != NULL ? row->threat : "none"));
  g_ptr_array_add (parts, g_strdup_printf ("mitigations=%s", row->mitigations != NULL ? row->mitigations : "none"));
  g_ptr_array_add (parts, g_strdup_printf ("module=%s", row->module));
  for (guint v = 1; variables[v] != NULL; v++)
    g_ptr_array_add (parts, g_strdup_printf ("%s=%s", variables[v], row->values[v] != NULL ? row->values[v] : "-"));
  g_autoptr (GString) key = g_string_new (NULL);
  for (guint i = 0; i < parts->len; i++)
    g_string_append_printf (key, "%zu:%s;", strlen (parts->pdata[i]), (char *) parts->pdata[i]);
  PlotSeries *s = g_hash_table_lookup (p->by_key, key->str);
  if (s == NULL)
    {
      s = g_new0 (PlotSeries, 1);
      s->parts = g_steal_pointer (&parts);
      s->points = g_array_new (FALSE, FALSE, sizeof (PlotPoint));
      g_ptr_array_add (p->series, s);
      g_hash_table_insert (p->by_key, g_string_free (g_steal_pointer (&key), FALSE), s);
    }
  const char *x = g_string_chunk_insert_const (p->strings, row->values[0]);
  if (!g_ptr_array_find (p->xs, x, NULL))
    g_ptr_array_add (p->xs, (gpointer) x);
  PlotPoint pt = { x, row->summary.mean, row->summary.ci95, 0.0 };
  g_array_append_val (s->points, pt);
}

/* What follows the number in a value: "ms" of "500ms", "" of "0.5". */
static const char *
value_suffix (const char *v, char *buf, gsize len)
{
  char *end = NULL;
  g_ascii_strtod (v, &end);
  g_strlcpy (buf, end != NULL ? end : v, len);
  return g_strstrip (buf);
}

/*
 * Fix the x axis: numbers (in *unit, NULL for plain numbers) when every x
 * value parses as a quantity of one kind; else categories (returns FALSE).
 * Positions are stored in the points.
 */
static gboolean
plot_x_axis (Plot *p, const char **unit)
{
  static const SimUnitKind kinds[] = { SIM_UNIT_NONE, SIM_UNIT_TIME, SIM_UNIT_SIZE, SIM_UNIT_RATE };
  static const struct {
    const char *symbol;
    double      factor;
  } base[] = { { NULL, 1 }, { "s", 1e9 }, { "B", 1 }, { "bps", 1 } };
  *unit = NULL;
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      gboolean all = TRUE;
      for (guint i = 0; all && i < p->xs->len; i++)
        {
          double v;
          all = sim_units_parse (p->xs->pdata[i], kinds[k], &v, NULL);
        }
      if (!all)
        continue;
      /* The values' own unit when they share one (a bare 0 fits any), else the base's. */
      const char *common = NULL;
      char buf[32];
      gboolean shared = TRUE;
      for (guint i = 0; shared && i < p->xs->len; i++)
        {
          const char *suffix = value_suffix (p->xs->pdata[i], buf, sizeof buf);
          if (*suffix == '\0' && kinds[k] != SIM_UNIT_NONE)
            continue;
          if (common == NULL)
            common = g_string_chunk_insert_const (p->strings, suffix);
          shared = strcmp (common, suffix) == 0;
        }
      double factor = base[k].factor;
      *unit = base[k].symbol;
      g_autofree char *one = common != NULL ? g_strconcat ("1", common, NULL) : NULL;
      if (kinds[k] != SIM_UNIT_NONE && shared && common != NULL && sim_units_parse (one, kinds[k], &factor, NULL))
        *unit = common;
      for (guint s = 0; s < p->series->len; s++)
        {
          PlotSeries *ser = p->series->pdata[s];
          for (guint i = 0; i < ser->points->len; i++)
            {
              PlotPoint *pt = &g_array_index (ser->points, PlotPoint, i);
              double v = 0;
              sim_units_parse (pt->x, kinds[k], &v, NULL);
              pt->pos = v / factor;
            }
        }
      return TRUE;
    }
  for (guint s = 0; s < p->series->len; s++)
    {
      PlotSeries *ser = p->series->pdata[s];
      for (guint i = 0; i < ser->points->len; i++)
        {
          PlotPoint *pt = &g_array_index (ser->points, PlotPoint, i);
          guint index = 0;
          g_ptr_array_find (p->xs, pt->x, &index);
          pt->pos = index;
        }
    }
  return FALSE;
}

static int
point_order (gconstpointer a, gconstpointer b)
{
  const PlotPoint *x = a, *y = b;
  return (x->pos > y->pos) - (x->pos < y->pos);
}

/* A gnuplot double-quoted string. */
static void
gp_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (const char *c = s; *c != '\0'; c++)
    {
      if (*c == '"' || *c == '\\')
        g_string_append_c (out, '\\');
      if (*c == '\n')
        g_string_append (out, "\\n");
      else
        g_string_append_c (out, *c);
    }
  g_string_append_c (out, '"');
}

/* "name [unit]", or the name alone without a unit or for ratios ("1"). */
static char *
axis_label (const char *name, const char *unit)
{
  if (unit == NULL || *unit == '\0' || strcmp (unit, "1") == 0)
    return g_strdup (name);
  return g_strdup_printf ("%s [%s]", name, unit);
}

/* The legend entry of a series: its components that differ from another series'. */
static char *
series_label (const Plot *p, const PlotSeries *s)
{
  g_autoptr (GString) label = g_string_new (NULL);
  for (guint c = 0; c < s->parts->len; c++)
    {
      gboolean varies = FALSE;
      for (guint o = 0; !varies && o < p->series->len; o++)
        varies = strcmp (((PlotSeries *) p->series->pdata[o])->parts->pdata[c], s->parts->pdata[c]) != 0;
      if (varies)
        g_string_append_printf (label, "%s%s", label->len > 0 ? ", " : "", (char *) s->parts->pdata[c]);
    }
  if (label->len == 0)
    g_string_assign (label, p->opt->y);
  return g_string_free (g_steal_pointer (&label), FALSE);
}

static void
plot_write_script (Plot *p, ResultsStore *store, GString *out)
{
  const ResultsPlotOptions *opt = p->opt;
  const char *x_unit = NULL;
  gboolean numeric = plot_x_axis (p, &x_unit);
  g_string_append (out, "# poolsim plot of ");
  g_string_append (out, results_store_path (store));
  g_string_append_printf (out, ": %s over %s", opt->y, opt->x);
  for (guint i = 0; opt->by != NULL && opt->by[i] != NULL; i++)
    g_string_append_printf (out, "%s%s", i == 0 ? ", one series per " : " x ", opt->by[i]);
  g_string_append (out, "\n# error bars: 95 % confidence intervals of the mean (Student t)\n");
  g_string_append_printf (out, "set terminal %s size %u,%u noenhanced font \"sans,%d\" background rgb \"white\"\n",
                          opt->format == RESULTS_PLOT_SVG ? "svg" : "pngcairo", opt->width, opt->height,
                          opt->format == RESULTS_PLOT_SVG ? 12 : 10);
  g_string_append (out, "set output ");
  gp_string (out, opt->output);
  g_string_append_c (out, '\n');
  if (opt->title != NULL)
    {
      g_string_append (out, "set title ");
      gp_string (out, opt->title);
      g_string_append_c (out, '\n');
    }
  g_autofree char *xlabel = axis_label (opt->x, x_unit);
  g_autofree char *ylabel = axis_label (opt->y, p->unit);
  g_string_append (out, "set xlabel ");
  gp_string (out, xlabel);
  g_string_append (out, "\nset ylabel ");
  gp_string (out, ylabel);
  g_string_append (out, "\nset key top left Left reverse box\nset grid\n");
  if (numeric)
    g_string_append (out, "set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05\n");
  else
    {
      g_string_append (out, "set xtics (");
      for (guint i = 0; i < p->xs->len; i++)
        {
          if (i > 0)
            g_string_append (out, ", ");
          gp_string (out, p->xs->pdata[i]);
          g_string_append_printf (out, " %u", i);
        }
      g_string_append_printf (out, ")\nset xrange [-0.5:%g]\nset offsets 0, 0, graph 0.05, graph 0.05\n",
                              p->xs->len - 0.5);
    }
  for (guint s = 0; s < p->series->len; s++)
    {
      PlotSeries *ser = p->series->pdata[s];
      g_array_sort (ser->points, point_order);
      g_string_append_printf (out, "$series%u << EOD\n", s + 1);
      for (guint i = 0; i < ser->points->len; i++)
        {
          const PlotPoint *pt = &g_array_index (ser->points, PlotPoint, i);
          results_report_append_exact (out, pt->pos);
          g_string_append_c (out, ' ');
          results_report_append_exact (out, pt->mean);
          g_string_append_c (out, ' ');
          results_report_append_exact (out, isfinite (pt->ci95) ? pt->ci95 : 0.0);
          g_string_append_c (out, '\n');
        }
      g_string_append (out, "EOD\n");
    }
  g_string_append (out, "plot ");
  for (guint s = 0; s < p->series->len; s++)
    {
      g_autofree char *label = series_label (p, p->series->pdata[s]);
      g_string_append_printf (out, "%s$series%u using 1:2:3 with yerrorlines linewidth 2 pointtype 7 title ",
                              s > 0 ? ", \\\n     " : "", s + 1);
      gp_string (out, label);
    }
  g_string_append_c (out, '\n');
}

static void
plot_clear (Plot *p)
{
  g_clear_pointer (&p->variables, g_strfreev);
  g_clear_pointer (&p->by_key, g_hash_table_unref);
  g_clear_pointer (&p->series, g_ptr_array_unref);
  g_clear_pointer (&p->xs, g_ptr_array_unref);
  g_clear_pointer (&p->strings, g_string_chunk_free);
}

static gboolean
plot_check_variable (Plot *p, const char *option, const char *name, GError **error)
{
  if (g_strv_contains ((const char *const *) p->variables, name))
    return TRUE;
  g_autofree char *known = g_strjoinv (", ", p->variables);
  g_set_error (error, RESULTS_PLOT_ERROR, RESULTS_PLOT_ERROR_UNKNOWN_VARIABLE,
               "%s %s: no selected run with %s has this variable (variables: %s)", option, name, p->opt->y,
               *known != '\0' ? known : "none");
  return FALSE;
}

char *
results_plot_script (ResultsStore *store, const ResultsPlotOptions *opt, GError **error)
{
  g_return_val_if_fail (store != NULL && opt != NULL && opt->x != NULL && opt->y != NULL && opt->output != NULL, NULL);
  g_return_val_if_fail (opt->width > 0 && opt->height > 0, NULL);
  /* The report filters statistics by their name, without ":mean". */
  g_autofree char *name = g_str_has_suffix (opt->y, ":mean") ? g_strndup (opt->y, strlen (opt->y) - 5)
                                                              : g_strdup (opt->y);
  const char *metrics[] = { name, NULL };
  ResultsReportOptions ropt = {
    .format = RESULTS_REPORT_CSV,
    .configs = opt->configs,
    .threats = opt->threats,
    .mitigations = opt->mitigations,
    .where = opt->where,
    .metrics = metrics,
  };
  Plot p = {
    .opt = opt,
    .strings = g_string_chunk_new (1024),
    .series = g_ptr_array_new_with_free_func (plot_series_free),
    .by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
    .xs = g_ptr_array_new (),
  };
  gboolean ok = results_report_foreach (store, &ropt, check_row, &p, error);
  if (ok && p.rows == 0)
    {
      g_set_error (error, RESULTS_PLOT_ERROR, RESULTS_PLOT_ERROR_NO_DATA,
                   "%s: no selected complete run has the metric %s (`poolsim report` lists the metrics; a "
                   "statistic is NAME:mean)", results_store_path (store), opt->y);
      ok = FALSE;
    }
  ok = ok && plot_check_variable (&p, "--x", opt->x, error);
  for (guint i = 0; ok && opt->by != NULL && opt->by[i] != NULL; i++)
    ok = plot_check_variable (&p, "--by", opt->by[i], error);
  if (!ok)
    {
      plot_clear (&p);
      return NULL;
    }
  g_autoptr (GPtrArray) group = g_ptr_array_new ();
  g_ptr_array_add (group, (gpointer) opt->x);
  for (guint i = 0; opt->by != NULL && opt->by[i] != NULL; i++)
    g_ptr_array_add (group, (gpointer) opt->by[i]);
  g_ptr_array_add (group, NULL);
  ropt.by = (const char *const *) group->pdata;
  p.rows = 0;
  if (!results_report_foreach (store, &ropt, collect_row, &p, error))
    {
      plot_clear (&p);
      return NULL;
    }
  g_autoptr (GString) out = g_string_new (NULL);
  plot_write_script (&p, store, out);
  plot_clear (&p);
  return g_string_free (g_steal_pointer (&out), FALSE);
}
