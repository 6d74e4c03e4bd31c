/*
 * sim/cmd-plot.c - `poolsim plot DB --x VAR --y METRIC [--by VAR]... -o
 * FILE.svg|.png`: a figure through gnuplot (results/plot.c writes the script,
 * this file runs gnuplot on it).
 *
 * gnuplot reads the script on its standard input; its messages are passed
 * on when it fails. The output format follows the file's suffix.
 */
#include "config.h"

#include "sim/cmd.h"
#include "results/plot.h"
#include "results/report.h"
#include "results/store.h"

#include <errno.h>
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

static gboolean
parse_size (const char *text, guint *width, guint *height)
{
  g_auto (GStrv) wh = g_strsplit (text, "x", -1);
  guint64 w, h;
  if (g_strv_length (wh) != 2 || !g_ascii_string_to_unsigned (wh[0], 10, 16, 20000, &w, NULL)
      || !g_ascii_string_to_unsigned (wh[1], 10, 16, 20000, &h, NULL))
    return FALSE;
  *width = (guint) w;
  *height = (guint) h;
  return TRUE;
}

/* Run gnuplot on the script. */
static int
run_gnuplot (const char *script)
{
  g_autofree char *gnuplot = g_find_program_in_path ("gnuplot");
  if (gnuplot == NULL)
    {
      g_printerr ("poolsim plot: gnuplot is not installed (on Debian: apt-get install gnuplot-nox); "
                  "--script FILE writes the script anyway\n");
      return 1;
    }
  g_autoptr (GError) error = NULL;
  const char *argv[] = { gnuplot, NULL };
  g_autoptr (GSubprocess) p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                                   | G_SUBPROCESS_FLAGS_STDERR_MERGE, &error);
  g_autofree char *messages = NULL;
  if (p == NULL || !g_subprocess_communicate_utf8 (p, script, NULL, &messages, NULL, &error))
    {
      g_printerr ("poolsim plot: running %s: %s\n", gnuplot, error->message);
      return 1;
    }
  if (!g_subprocess_get_successful (p))
    {
      g_printerr ("poolsim plot: gnuplot failed:\n%s", messages != NULL ? messages : "");
      return 1;
    }
  return 0;
}

int
cmd_plot_main (int argc, char **argv)
{
  g_autofree char *x = NULL;
  g_autofree char *y = NULL;
  g_autofree char *output = NULL;
  g_autofree char *size = NULL;
  g_autofree char *title = NULL;
  g_autofree char *script_path = NULL;
  g_auto (GStrv) by = NULL;
  g_auto (GStrv) configs = NULL;
  g_auto (GStrv) threats = NULL;
  g_auto (GStrv) mitigations = NULL;
  g_auto (GStrv) where = NULL;
  const GOptionEntry entries[] = {
    { "x", 'x', 0, G_OPTION_ARG_STRING, &x, "Sweep variable on the x axis", "VAR" },
    { "y", 'y', 0, G_OPTION_ARG_STRING, &y, "Metric on the y axis (a scalar, or NAME:mean of a statistic)",
      "METRIC" },
    { "by", 'b', 0, G_OPTION_ARG_STRING_ARRAY, &by, "One series per value of VAR (repeatable)", "VAR" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "The figure: FILE.svg or FILE.png", "FILE" },
    { "size", 's', 0, G_OPTION_ARG_STRING, &size, "Width x height in pixels (default: 800x600)", "WxH" },
    { "title", 0, 0, G_OPTION_ARG_STRING, &title, "Title above the plot", "TEXT" },
    { "script", 0, 0, G_OPTION_ARG_FILENAME, &script_path, "Also write the gnuplot script (data inline) to FILE",
      "FILE" },
    { "config", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &configs, "Only runs of config NAME (repeatable)", "NAME" },
    { "threat", 't', 0, G_OPTION_ARG_STRING_ARRAY, &threats, "Only runs of threat NAME (repeatable; 'none')",
      "NAME" },
    { "mitigation", 0, 0, G_OPTION_ARG_STRING_ARRAY, &mitigations,
      "Only runs with mitigation NAME on (repeatable: all; 'none')", "NAME" },
    { "where", 'w', 0, G_OPTION_ARG_STRING_ARRAY, &where, "Only runs whose variable VAR is VALUE (repeatable)",
      "VAR=VALUE" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("DB - plot a metric over a sweep variable");
  g_option_context_set_summary (ctx,
    "Plots the mean of METRIC over the complete runs of DB against the sweep variable VAR, with\n"
    "error bars for the 95 % confidence interval of the mean (Student t, as `poolsim report`),\n"
    "one series per value of the --by variables, axis labels with units and a legend, through\n"
    "gnuplot (Debian package gnuplot-nox). Runs that differ in other variables are pooled.");
  g_option_context_set_description (ctx,
    "Example:\n"
    "  poolsim plot mm1.db --x rho --y mm1.waiting_time:mean -o waiting.svg\n"
    "\nExit status: 0 success, 1 the database cannot be read or gnuplot failed or is missing,\n"
    "2 a usage error (or a metric or variable the database does not have).\n");
  g_option_context_add_main_entries (ctx, entries, NULL);
  GError *error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return cmd_fail (error, 2);
  if (argc != 2 || x == NULL || y == NULL || output == NULL)
    {
      g_printerr ("poolsim plot: give one database, --x, --y and -o (see poolsim plot --help)\n");
      return 2;
    }
  ResultsPlotOptions options = {
    .x = x,
    .y = y,
    .by = (const char *const *) by,
    .configs = (const char *const *) configs,
    .threats = (const char *const *) threats,
    .mitigations = (const char *const *) mitigations,
    .where = (const char *const *) where,
    .width = 800,
    .height = 600,
    .output = output,
    .title = title,
  };
  if (g_str_has_suffix (output, ".svg"))
    options.format = RESULTS_PLOT_SVG;
  else if (g_str_has_suffix (output, ".png"))
    options.format = RESULTS_PLOT_PNG;
  else
    {
      g_printerr ("poolsim plot: -o %s: the file name must end in .svg or .png\n", output);
      return 2;
    }
  if (size != NULL && !parse_size (size, &options.width, &options.height))
    {
      g_printerr ("poolsim plot: --size %s: expected WIDTHxHEIGHT in pixels, 16 to 20000 each (e.g. 800x600)\n",
                  size);
      return 2;
    }
  g_autoptr (ResultsStore) store = results_store_open_read_only (argv[1], &error);
  if (store == NULL)
    return cmd_fail (error, 1);
  g_autofree char *script = results_plot_script (store, &options, &error);
  if (script == NULL)
    return cmd_fail (error, error->domain == RESULTS_PLOT_ERROR || error->domain == RESULTS_REPORT_ERROR ? 2 : 1);
  if (script_path != NULL && !g_file_set_contents (script_path, script, -1, &error))
    return cmd_fail (error, 1);
  return run_gnuplot (script);
}
