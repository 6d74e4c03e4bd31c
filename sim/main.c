/*
 * sim/main.c - the poolsim command: dispatches to one subcommand per file.
 *
 * This is the only place that knows every layer (DESIGN.md §1): the
 * subcommands assemble runs from scenarios, models, attacks and results.
 */
#include "config.h"

#include "sim/cmd.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

static const CmdEntry commands[] = {
  { "run", "run a scenario's runs into a results database", cmd_run_main },
  { "sweep", "run a config's runs in N worker processes, or print a plan of commands", cmd_sweep_main },
  { "matrix", "every threat × every mitigation state: the table of headline metrics", cmd_matrix_main },
  { "merge", "merge shard databases into one", cmd_merge_main },
  { "report", "print results with 95 % confidence intervals", cmd_report_main },
  { "plot", "plot a metric over a sweep variable through gnuplot", cmd_plot_main },
  { "check", "check a scenario file without running it", cmd_check_main },
  { "list", "list scenario keys (params) or models", cmd_list_main },
  { "bench", "benchmarks run beside their anchors (e.g. bench kernel)", cmd_bench_main },
  { NULL, NULL, NULL },
};

int
cmd_fail (GError *err, int status)
{
  g_printerr ("poolsim: %s\n", err->message);
  g_error_free (err);
  return status;
}

static void
usage (FILE *out)
{
  fprintf (out, "Usage: poolsim COMMAND [OPTION...]\n\n"
                "poolsim simulates RSerPool pool networks (registrars, pool elements, pool users)\n"
                "under the attacks of RFC 5355 and records handlespace correctness and\n"
                "availability metrics into SQLite.\n\nCommands:\n");
  for (const CmdEntry *c = commands; c->name != NULL; c++)
    fprintf (out, "  %-8s %s\n", c->name, c->summary);
  fprintf (out, "\nRun 'poolsim COMMAND --help' for a command's options.\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "C");
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? 2 : 0;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("poolsim %s\n", PACKAGE_VERSION);
      return 0;
    }
  for (const CmdEntry *c = commands; c->name != NULL; c++)
    if (strcmp (argv[1], c->name) == 0)
      {
        g_autofree char *prg = g_strdup_printf ("poolsim %s", c->name);
        g_set_prgname (prg);
        argv[1] = prg;
        return c->main (argc - 1, argv + 1);
      }
  fprintf (stderr, "poolsim: unknown command '%s'\n\n", argv[1]);
  usage (stderr);
  return 2;
}
