/*
 * sim/cmd-check.c - `poolsim check SCENARIO`: expand and check every run of
 * every config without running anything, so a mistyped scenario fails in a
 * second rather than after a sweep has started.
 */
#include "config.h"

#include "sim/cmd-common.h"
#include "sim/cmd.h"

#include <stdio.h>

int
cmd_check_main (int argc, char **argv)
{
  g_auto (GStrv) sets = NULL;
  const GOptionEntry entries[] = {
    { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Override a scenario key (repeatable)", "KEY=VALUE" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("SCENARIO - check a scenario file");
  g_option_context_set_summary (ctx, "Loads the file and expands every run of every config, checking each "
                                     "key, unit, range,\nsweep and extends chain. Prints the configs and "
                                     "their run counts; exits 2 at the first error\n(FILE:LINE: KEY: what is "
                                     "wrong).");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return cmd_fail (g_steal_pointer (&error), 2);
  if (argc != 2)
    {
      fprintf (stderr, "poolsim check: give one scenario file\n");
      return 2;
    }
  g_autoptr (SimParamTable) table = cmd_param_table ();
  g_autoptr (SimScenario) sc = cmd_scenario_load (argv[1], table, sets, &error);
  if (sc == NULL)
    return cmd_fail (g_steal_pointer (&error), 2);
  GPtrArray *configs = sim_scenario_configs (sc);
  guint total = 0;
  for (guint c = 0; c < configs->len; c++)
    {
      const char *name = configs->pdata[c];
      guint n = 0;
      if (!sim_scenario_count_runs (sc, name, &n, &error))
        return cmd_fail (g_steal_pointer (&error), 2);
      for (guint r = 0; r < n; r++)
        {
          g_autoptr (SimRunSpec) spec = sim_scenario_run (sc, name, r, &error);
          if (spec == NULL)
            return cmd_fail (g_steal_pointer (&error), 2);
        }
      printf ("%s: config %s: %u run%s ok\n", argv[1], name, n, n == 1 ? "" : "s");
      total += n;
    }
  printf ("%s: %u config%s, %u runs, no errors\n", argv[1], configs->len, configs->len == 1 ? "" : "s", total);
  return 0;
}
