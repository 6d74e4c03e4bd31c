/*
 * results/plot.h - figures from a results database: the mean of one metric
 * over one sweep variable, with 95 % confidence intervals (Student t, from
 * the report's summaries), one series per value of other variables, written
 * as a gnuplot script with the data inline.
 *
 * The x axis is numeric when every value of the x variable is a number, or a
 * quantity of one kind (times, sizes, rates: "500ms", "1s"), converted to one
 * unit (the values' own when they all carry the same one, else s, B or bps)
 * that labels the axis; otherwise the values are categories, evenly spaced in
 * the report's order. The y label is the metric with its unit from the
 * database ("1", a ratio, shows none). Points of one run have no interval and
 * are drawn with a bar of zero height.
 *
 * Series: one per distinct (scenario, config, threat, mitigations, module,
 * values of the `by` variables) among the selected rows; the legend names
 * each by what differs between the series ("cap=0", "config=Short", ...), or
 * by the metric when there is one series. Runs that differ only in variables
 * that are neither x nor `by` are pooled, as in `poolsim report --by`.
 *
 * Not here: running gnuplot (sim/cmd-plot.c), vectors over time.
 */
#pragma once

#include "results/store.h"

#include <glib.h>

G_BEGIN_DECLS

#define RESULTS_PLOT_ERROR (results_plot_error_quark ())
GQuark results_plot_error_quark (void);

typedef enum {
  RESULTS_PLOT_ERROR_UNKNOWN_VARIABLE,  /* --x or --by names a variable no selected run has */
  RESULTS_PLOT_ERROR_NO_DATA,           /* no selected complete run has the metric */
} ResultsPlotError;

typedef enum {
  RESULTS_PLOT_SVG,   /* gnuplot's svg terminal */
  RESULTS_PLOT_PNG,   /* gnuplot's pngcairo terminal */
} ResultsPlotFormat;

typedef struct {
  const char         *x;            /* the sweep variable on the x axis */
  const char         *y;            /* the metric: a scalar name, or NAME:mean for a statistic */
  const char *const  *by;           /* nullable, NULL-terminated: one series per combination of these */
  const char *const  *configs;      /* nullable filters, as in ResultsReportOptions */
  const char *const  *threats;
  const char *const  *mitigations;
  const char *const  *where;
  ResultsPlotFormat   format;
  guint               width;        /* pixels */
  guint               height;
  const char         *output;       /* the file gnuplot is to write */
  const char         *title;        /* nullable */
} ResultsPlotOptions;

/* The gnuplot script that draws the plot into options->output. (transfer full) */
char *results_plot_script (ResultsStore *store, const ResultsPlotOptions *options, GError **error);

G_END_DECLS
