/*
 * sim/cmd-merge.c - `poolsim merge OUT.db SHARD.db...`: combine shard
 * databases (from `poolsim sweep --plan`) into one (results/merge.c does the
 * work and the checks).
 *
 * Shards are merged in the order given, each in one transaction. The first
 * shard refused stops the command: the shards before it are merged, the
 * others are not touched; since merging is idempotent, the same command
 * can be repeated once the cause is removed.
 */
#include "config.h"

#include "sim/cmd.h"
#include "results/merge.h"
#include "results/store.h"

#include <errno.h>
#include <stdio.h>

static void
print_summary (const char *out, const ResultsMergeStats *st)
{
  printf ("%s: %u shard%s merged: %u complete run%s added, %u replacing failed runs, %u already there;"
          " %u failed run%s added, %u not (a row exists)\n",
          out, st->shards, st->shards == 1 ? "" : "s", st->added, st->added == 1 ? "" : "s", st->replaced,
          st->present, st->failed_added, st->failed_added == 1 ? "" : "s", st->failed_skipped);
}

int
cmd_merge_main (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("OUT.db SHARD.db... - merge shard databases");
  g_option_context_set_summary (ctx,
    "Copies the runs of each shard database into OUT.db (created if missing), one transaction per\n"
    "shard: complete runs that OUT does not have complete (a failed run of OUT is replaced), and\n"
    "failed runs where OUT has no row for that run. Merging is idempotent: merging a shard again\n"
    "adds nothing. A shard is refused when its runs of a scenario and config have another scenario\n"
    "digest (scenario text or --set overrides) or poolsim version than OUT's runs of them, or when\n"
    "it is not a poolsim results database of this schema version.");
  g_option_context_set_description (ctx,
    "Example:\n"
    "  poolsim sweep scenarios/examples/mm1.ini --plan --shard-dir shards | parallel -j 8\n"
    "  poolsim merge mm1.db shards/*.db\n"
    "\nExit status: 0 every shard merged, 1 a shard refused or a database error (the shards before\n"
    "it are merged), 2 a usage error.\n");
  GError *error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return cmd_fail (error, 2);
  if (argc < 3)
    {
      fprintf (stderr, "poolsim merge: give the output database and at least one shard (see poolsim merge --help)\n");
      return 2;
    }
  g_autoptr (ResultsStore) out = results_store_open (argv[1], &error);
  if (out == NULL)
    return cmd_fail (error, 1);
  ResultsMergeStats stats = { 0 };
  for (int i = 2; i < argc; i++)
    if (!results_merge_shard (out, argv[i], &stats, &error))
      {
        print_summary (argv[1], &stats);
        fflush (stdout);
        return cmd_fail (error, 1);
      }
  print_summary (argv[1], &stats);
  if (fflush (stdout) != 0)
    {
      g_printerr ("poolsim merge: writing the summary: %s\n", g_strerror (errno));
      return 1;
    }
  return 0;
}
