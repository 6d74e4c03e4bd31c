/*
 * sim/cmd-report.c - `poolsim report DB`: results over repetitions with 95 %
 * confidence intervals (the work is done by results/report.c).
 *
 * The database is opened read-only: reporting on a mistyped path fails and
 * never leaves an empty database behind.
 */
#include "config.h"

#include "sim/cmd.h"
#include "results/report.h"
#include "results/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char report_description[] =
  "Groups the complete runs of DB by scenario, config, threat, mitigations and\n"
  "sweep variables (all of them, or those named by --by), and prints one row per\n"
  "group and metric, the metrics being the scalars and the means of the\n"
  "statistics the runs recorded. --config, --threat, --mitigation and --where\n"
  "select runs; a name that no complete run has is an error that lists the names\n"
  "there are.\n"
  "\n"
  "Columns:\n"
  "  scenario     scenario file (in the table only when there are several)\n"
  "  config       config name\n"
  "  threat       threat (attack) of the runs, if any\n"
  "  mitigations  mitigations switched on, comma-separated, if any\n"
  "  VAR ...      one column per grouping variable: its value as in the scenario\n"
  "  module       the recording entity, e.g. registrar[2]\n"
  "  metric       metric name; NAME:mean is the mean of the statistic NAME\n"
  "  unit         unit of mean, stddev, ci95, min and max (\"1\": a ratio)\n"
  "  n            number of runs (repetitions) of the group with a value\n"
  "  mean         mean over those runs [unit]\n"
  "  stddev       sample standard deviation over the runs (n - 1) [unit]\n"
  "  ci95         half-width of the 95 % confidence interval of the mean, from\n"
  "               Student's t with n - 1 degrees of freedom: mean +- ci95 [unit]\n"
  "  min, max     smallest and largest value over the runs [unit]\n"
  "Values that do not exist (stddev and ci95 need n >= 2) print as \"-\" in the\n"
  "table, as empty fields in CSV and as null in JSON. CSV and JSON numbers are\n"
  "exact (they read back as the same doubles); the table rounds to 6 digits.\n"
  "\n"
  "Exit status: 0 success, 1 the database cannot be read, 2 usage error.";

static gboolean
parse_format (const char *name, ResultsReportFormat *format)
{
  static const struct {
    const char         *name;
    ResultsReportFormat format;
  } formats[] = {
    { "table", RESULTS_REPORT_TABLE },
    { "csv", RESULTS_REPORT_CSV },
    { "json", RESULTS_REPORT_JSON },
  };
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    if (strcmp (name, formats[i].name) == 0)
      {
        *format = formats[i].format;
        return TRUE;
      }
  return FALSE;
}

int
cmd_report_main (int argc, char **argv)
{
  g_autofree char *format_name = NULL;
  g_auto (GStrv) by = NULL;
  g_auto (GStrv) configs = NULL;
  g_auto (GStrv) where = NULL;
  g_auto (GStrv) metrics = NULL;
  g_auto (GStrv) threats = NULL;
  g_auto (GStrv) mitigations = NULL;
  const GOptionEntry entries[] = {
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format_name, "Output format: table (default), csv or json", "FORMAT" },
    { "by", 'b', 0, G_OPTION_ARG_STRING_ARRAY, &by,
      "Group by sweep variable VAR (repeatable; default: every variable)", "VAR" },
    { "config", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &configs, "Only runs of config NAME (repeatable)", "NAME" },
    { "threat", 't', 0, G_OPTION_ARG_STRING_ARRAY, &threats,
      "Only runs of threat NAME (repeatable: any of them; 'none': runs without a threat)", "NAME" },
    { "mitigation", 0, 0, G_OPTION_ARG_STRING_ARRAY, &mitigations,
      "Only runs with mitigation NAME switched on (repeatable: all of them; 'none': runs without any)", "NAME" },
    { "where", 'w', 0, G_OPTION_ARG_STRING_ARRAY, &where,
      "Only runs whose variable VAR is exactly VALUE (repeatable: all must hold)", "VAR=VALUE" },
    { "metric", 'm', 0, G_OPTION_ARG_STRING_ARRAY, &metrics,
      "Only metrics whose name matches GLOB (* and ?; repeatable)", "GLOB" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("DB");
  g_option_context_set_summary (context, "Print the results in DB over repetitions, with 95 % confidence intervals.");
  g_option_context_set_description (context, report_description);
  g_option_context_add_main_entries (context, entries, NULL);
  GError *err = NULL;
  if (!g_option_context_parse (context, &argc, &argv, &err))
    return cmd_fail (err, 2);
  if (argc != 2)
    {
      g_printerr ("poolsim: report: expected one database, got %d arguments (see poolsim report --help)\n",
                  argc - 1);
      return 2;
    }
  ResultsReportOptions options = {
    .format = RESULTS_REPORT_TABLE,
    .configs = (const char *const *) configs,
    .threats = (const char *const *) threats,
    .mitigations = (const char *const *) mitigations,
    .where = (const char *const *) where,
    .metrics = (const char *const *) metrics,
    .by = (const char *const *) by,
  };
  if (format_name != NULL && !parse_format (format_name, &options.format))
    {
      g_printerr ("poolsim: report: unknown format '%s' (formats: table, csv, json)\n", format_name);
      return 2;
    }
  g_autoptr (ResultsStore) store = results_store_open_read_only (argv[1], &err);
  if (store == NULL)
    return cmd_fail (err, 1);
  g_autoptr (GString) out = g_string_new (NULL);
  if (!results_report_write (store, &options, out, &err))
    return cmd_fail (err, err->domain == RESULTS_REPORT_ERROR ? 2 : 1);
  if (fwrite (out->str, 1, out->len, stdout) != out->len || fflush (stdout) != 0)
    {
      g_printerr ("poolsim: report: writing the output: %s\n", g_strerror (errno));
      return 1;
    }
  return 0;
}
