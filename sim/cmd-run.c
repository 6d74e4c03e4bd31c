/*
 * sim/cmd-run.c - `poolsim run`: run one config's runs (all, or those chosen
 * with -r) one after the other into a results database, or list them (-q).
 *
 * Runs already complete in the database are skipped, so an interrupted
 * command picks up where it stopped. Exit status: 0 when every run is
 * complete, 1 when a run failed or the database could not be written,
 * 2 for usage and scenario errors (before anything ran).
 */
#include "config.h"

#include "sim/cmd-common.h"
#include "sim/cmd.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Parse "3", "0..5", "1,4,7..9" into a sorted list of run numbers below n. */
static GArray *
parse_run_list (const char *text, guint n, GError **error)
{
  g_autoptr (GArray) runs = g_array_new (FALSE, FALSE, sizeof (guint));
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *part = g_strstrip (parts[i]);
      char *dots = strstr (part, "..");
      guint64 lo, hi;
      gboolean ok;
      if (dots != NULL)
        {
          *dots = '\0';
          ok = g_ascii_string_to_unsigned (part, 10, 0, G_MAXUINT, &lo, NULL)
               && g_ascii_string_to_unsigned (dots + 2, 10, 0, G_MAXUINT, &hi, NULL) && lo <= hi;
        }
      else
        {
          ok = g_ascii_string_to_unsigned (part, 10, 0, G_MAXUINT, &lo, NULL);
          hi = lo;
        }
      if (!ok)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "-r %s: write run numbers like 3, 0..9 or 1,4,7", text);
          return NULL;
        }
      if (hi >= n)
        {
          g_set_error (error, SIM_SCENARIO_ERROR, SIM_SCENARIO_ERROR_RUN,
                       "-r %s: the config has %u run%s (0..%u)", text, n, n == 1 ? "" : "s", n - 1);
          return NULL;
        }
      for (guint64 r = lo; r <= hi; r++)
        {
          guint v = (guint) r;
          g_array_append_val (runs, v);
        }
    }
  return g_steal_pointer (&runs);
}

static int
query (SimScenario *sc, const char *what, const char *config, GArray *runs)
{
  g_autoptr (GError) error = NULL;
  if (strcmp (what, "configs") == 0)
    {
      GPtrArray *names = sim_scenario_configs (sc);
      for (guint i = 0; i < names->len; i++)
        {
          guint n = 0;
          if (!sim_scenario_count_runs (sc, names->pdata[i], &n, &error))
            return cmd_fail (g_steal_pointer (&error), 2);
          const char *desc = sim_scenario_description (sc, names->pdata[i]);
          printf ("%-20s %6u run%s  %s\n", (char *) names->pdata[i], n, n == 1 ? " " : "s",
                  desc != NULL ? desc : "");
        }
      return 0;
    }
  if (strcmp (what, "numruns") == 0)
    {
      printf ("%u\n", runs->len);
      return 0;
    }
  for (guint i = 0; i < runs->len; i++)
    {
      guint r = g_array_index (runs, guint, i);
      g_autoptr (SimRunSpec) spec = sim_scenario_run (sc, config, r, &error);
      if (spec == NULL)
        return cmd_fail (g_steal_pointer (&error), 2);
      g_autoptr (GString) line = g_string_new ("");
      g_string_append_printf (line, "Run %u: ", r);
      for (guint v = 0; v < spec->itervars->len; v++)
        {
          SimIterVar *iv = spec->itervars->pdata[v];
          g_string_append_printf (line, "$%s=%s, ", iv->name, iv->value);
        }
      g_string_append_printf (line, "$repetition=%u, seed=%" G_GUINT64_FORMAT, spec->repetition, spec->seed);
      printf ("%s\n", line->str);
    }
  return 0;
}

int
cmd_run_main (int argc, char **argv)
{
  g_autofree char *config = NULL;
  g_autofree char *run_text = NULL;
  g_autofree char *db = NULL;
  g_autofree char *q = NULL;
  g_autofree char *pcap = NULL;
  g_autofree char *pcap_lan = NULL;
  g_auto (GStrv) sets = NULL;
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_STRING, &config, "Config to run (default: General)", "NAME" },
    { "run", 'r', 0, G_OPTION_ARG_STRING, &run_text, "Runs to execute: 3, 0..9 or 1,4,7 (default: all)", "RUNS" },
    { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Override a scenario key in every config (repeatable)",
      "KEY=VALUE" },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Results database (default: results.db)", "FILE" },
    { "pcap", 0, 0, G_OPTION_ARG_FILENAME, &pcap, "Write the packets of the run as a pcap file (one run only; "
      "models with a network)", "FILE" },
    { "pcap-lan", 0, 0, G_OPTION_ARG_STRING, &pcap_lan, "With --pcap: only the packets crossing this LAN", "NAME" },
    { "query", 'q', 0, G_OPTION_ARG_STRING, &q, "Print instead of running: runs (each run's variables and "
      "seed), numruns, configs", "WHAT" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("SCENARIO - run a scenario's runs");
  g_option_context_set_summary (ctx,
    "Runs every run of one config of a scenario file (or those chosen with -r), one after the\n"
    "other, and writes each into the results database in one transaction. Runs already complete\n"
    "there are skipped, so the same command resumes an interrupted batch. Progress is shown on a\n"
    "terminal. `poolsim report DB` prints the results.");
  g_option_context_set_description (ctx,
    "Examples:\n"
    "  poolsim run scenarios/examples/mm1.ini -q runs\n"
    "  poolsim run scenarios/examples/mm1.ini -c Short -r 0..2 --db short.db\n"
    "  poolsim run scenarios/examples/mm1.ini --set mm1.load=0.7 --set repeat=3\n"
    "\nExit status: 0 all runs complete, 1 a run failed or the database could not be written,\n"
    "2 a usage or scenario error.\n");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return cmd_fail (g_steal_pointer (&error), 2);
  if (argc != 2)
    {
      fprintf (stderr, "poolsim run: give one scenario file (see poolsim run --help)\n");
      return 2;
    }
  if (q != NULL && strcmp (q, "runs") != 0 && strcmp (q, "numruns") != 0 && strcmp (q, "configs") != 0)
    {
      fprintf (stderr, "poolsim run: -q takes runs, numruns or configs, not '%s'\n", q);
      return 2;
    }
  if (pcap_lan != NULL && pcap == NULL)
    {
      fprintf (stderr, "poolsim run: --pcap-lan goes with --pcap\n");
      return 2;
    }
  const char *cfg = config != NULL ? config : "General";
  g_autoptr (SimParamTable) table = cmd_param_table ();
  g_autoptr (SimScenario) sc = cmd_scenario_load (argv[1], table, sets, &error);
  if (sc == NULL)
    return cmd_fail (g_steal_pointer (&error), 2);
  if (q != NULL && strcmp (q, "configs") == 0)
    return query (sc, q, cfg, NULL);
  guint n = 0;
  if (!sim_scenario_count_runs (sc, cfg, &n, &error))
    return cmd_fail (g_steal_pointer (&error), 2);
  g_autoptr (GArray) runs = NULL;
  if (run_text != NULL)
    runs = parse_run_list (run_text, n, &error);
  else
    {
      runs = g_array_sized_new (FALSE, FALSE, sizeof (guint), n);
      for (guint r = 0; r < n; r++)
        g_array_append_val (runs, r);
    }
  if (runs == NULL)
    return cmd_fail (g_steal_pointer (&error), cmd_error_status (error));
  if (q != NULL)
    return query (sc, q, cfg, runs);

  /* Expand every run first: a bad value anywhere stops before anything runs. */
  g_autoptr (GPtrArray) specs = g_ptr_array_new_with_free_func ((GDestroyNotify) sim_run_spec_free);
  for (guint i = 0; i < runs->len; i++)
    {
      SimRunSpec *spec = sim_scenario_run (sc, cfg, g_array_index (runs, guint, i), &error);
      if (spec == NULL)
        return cmd_fail (g_steal_pointer (&error), 2);
      g_ptr_array_add (specs, spec);
    }
  if (pcap != NULL && specs->len != 1)
    {
      fprintf (stderr, "poolsim run: --pcap writes one run's packets; choose one run with -r (the config has %u)\n",
               specs->len);
      return 2;
    }
  const char *db_path = db != NULL ? db : "results.db";
  g_autoptr (ResultsStore) store = results_store_open (db_path, &error);
  if (store == NULL)
    return cmd_fail (g_steal_pointer (&error), 1);
  CmdRunOptions options = { isatty (STDERR_FILENO), 0, specs->len, pcap, pcap_lan };
  guint done = 0, skipped = 0, failed = 0;
  gint64 t0 = g_get_monotonic_time ();
  for (guint i = 0; i < specs->len; i++)
    {
      SimRunSpec *spec = specs->pdata[i];
      gboolean complete = FALSE;
      if (!results_store_run_complete (store, sim_scenario_digest (sc), cfg, spec->run_number, &complete,
                                       &error))
        return cmd_fail (g_steal_pointer (&error), 1);
      if (complete)
        {
          skipped++;
          continue;
        }
      options.index = i + 1;
      if (!cmd_run_one (sc, spec, store, &options, &error))
        {
          fprintf (stderr, "poolsim run: %s\n", error->message);
          g_clear_error (&error);
          failed++;
          continue;
        }
      done++;
    }
  double wall = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
  printf ("%s: config %s: %u run%s complete, %u skipped (already complete), %u failed; %s; %.1f s\n",
          sim_scenario_path (sc), cfg, done, done == 1 ? "" : "s", skipped, failed, db_path, wall);
  return failed > 0 ? 1 : 0;
}
