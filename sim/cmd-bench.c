/*
 * sim/cmd-bench.c - `poolsim bench WHAT`: benchmark programs inside poolsim, each
 * speaking the command-line and output conventions of the anchor it is run
 * beside (DESIGN.md §10), so a driver can run both and compare their own lines.
 *
 *   poolsim bench kernel [--pop=P] [--events=E] [--variant=hold|cancel]
 *                        [--cancel=eager] [--seed=S] [--check]
 *
 * `kernel` is the hold / cancel event-set benchmark of the shared kernel-bench
 * folder: one stdout line "events=E pop=P variant=V seconds=S events_per_s=R",
 * and with --check one stderr line with the end time and checksum that every
 * anchor prints for the same (P, E, seed). `make bench-kernel` drives it.
 *
 * Not here: the side-by-side driver and the ratios (bench/bench-kernel.sh).
 */
#include "config.h"

#include "sim/cmd.h"
#include "bench/bench-kernel.h"

#include <stdio.h>
#include <string.h>

/* A count like the anchors take it: "100000" or "1e5", at least 1. */
static gboolean
cmd_bench_parse_count (const char *name, const char *text, guint64 *out, GError **error)
{
  char *end = NULL;
  gdouble d = g_ascii_strtod (text, &end);
  if (*text == '\0' || *end != '\0' || !(d >= 1 && d <= 1.8e19))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--%s=%s: expected a count >= 1, e.g. 100000 or 1e5", name, text);
      return FALSE;
    }
  *out = (guint64) d;
  return TRUE;
}

static int
cmd_bench_kernel (int argc, char **argv)
{
  g_autofree char *pop_text = NULL, *events_text = NULL, *variant = NULL, *cancel = NULL;
  g_autofree char *seed_text = NULL;
  gboolean check = FALSE;
  const GOptionEntry entries[] = {
    { "pop", 0, 0, G_OPTION_ARG_STRING, &pop_text, "Pending population P (default 1000)", "P" },
    { "events", 0, 0, G_OPTION_ARG_STRING, &events_text,
      "Events (completions) to execute, E (default 1e7)", "E" },
    { "variant", 0, 0, G_OPTION_ARG_STRING, &variant, "hold (default) or cancel", "V" },
    { "cancel", 0, 0, G_OPTION_ARG_STRING, &cancel,
      "eager (the only mode: cancelled events are removed at once)", "MODE" },
    { "seed", 0, 0, G_OPTION_ARG_STRING, &seed_text, "splitmix64 seed (default 1)", "S" },
    { "check", 0, 0, G_OPTION_ARG_NONE, &check,
      "Print the end time and checksum on stderr", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- the hold / cancel event-set benchmark");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx,
    "Runs the workload of the shared tools/kernel-bench anchors on poolsim's event kernel.\n"
    "Prints one line: events=E pop=P variant=V seconds=S events_per_s=R (event loop only).\n");
  GError *err = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    return cmd_fail (err, 2);
  if (argc > 1)
    return cmd_fail (g_error_new (G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                                  "unexpected argument '%s'", argv[1]), 2);

  guint64 pop = 1000, events = 10000000, seed = 1;
  if ((pop_text != NULL && !cmd_bench_parse_count ("pop", pop_text, &pop, &err))
      || (events_text != NULL && !cmd_bench_parse_count ("events", events_text, &events, &err)))
    return cmd_fail (err, 2);
  if (pop > G_MAXUINT32 / 4)
    return cmd_fail (g_error_new (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                  "--pop=%s: at most %u", pop_text, G_MAXUINT32 / 4), 2);
  if (seed_text != NULL)
    {
      char *end = NULL;
      seed = g_ascii_strtoull (seed_text, &end, 0);
      if (*seed_text == '\0' || *end != '\0')
        return cmd_fail (g_error_new (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                      "--seed=%s: expected an integer", seed_text), 2);
    }
  BenchKernelVariant v;
  if (variant == NULL || strcmp (variant, "hold") == 0)
    v = BENCH_KERNEL_HOLD;
  else if (strcmp (variant, "cancel") == 0)
    v = BENCH_KERNEL_CANCEL;
  else
    return cmd_fail (g_error_new (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                  "--variant=%s: expected hold or cancel", variant), 2);
  if (cancel != NULL && strcmp (cancel, "eager") != 0)
    return cmd_fail (g_error_new (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                  "--cancel=%s: poolsim's kernel always removes a cancelled event "
                                  "at once; only --cancel=eager exists", cancel), 2);

  BenchKernelResult r;
  bench_kernel_run (v, pop, events, seed, &r);
  printf ("events=%" G_GUINT64_FORMAT " pop=%" G_GUINT64_FORMAT " variant=%s seconds=%.3f "
          "events_per_s=%.0f\n", r.executed, pop, v == BENCH_KERNEL_HOLD ? "hold" : "cancel",
          r.seconds, (gdouble) r.executed / r.seconds);
  fflush (stdout);
  if (check)
    fprintf (stderr, "check impl=poolsim end_ns=%" G_GINT64_FORMAT " time_sum=%" G_GUINT64_FORMAT
             " timeouts_fired=%" G_GUINT64_FORMAT "\n", r.end_ns, r.time_sum, r.timeouts_fired);
  return r.executed == events ? 0 : 1;
}

static const CmdEntry cmd_bench_targets[] = {
  { "kernel", "the hold / cancel event-set benchmark (tools/kernel-bench)", cmd_bench_kernel },
  { NULL, NULL, NULL },
};

int
cmd_bench_main (int argc, char **argv)
{
  const char *what = argc >= 2 ? argv[1] : NULL;
  for (const CmdEntry *c = cmd_bench_targets; what != NULL && c->name != NULL; c++)
    if (strcmp (what, c->name) == 0)
      {
        g_autofree char *prg = g_strdup_printf ("poolsim bench %s", c->name);
        g_set_prgname (prg);
        argv[1] = prg;
        return c->main (argc - 1, argv + 1);
      }
  FILE *out = what != NULL && (strcmp (what, "--help") == 0 || strcmp (what, "-h") == 0)
    ? stdout : stderr;
  if (what != NULL && out == stderr)
    fprintf (stderr, "poolsim bench: unknown benchmark '%s'\n\n", what);
  fprintf (out, "Usage: poolsim bench WHAT [OPTION...]\n\nBenchmarks:\n");
  for (const CmdEntry *c = cmd_bench_targets; c->name != NULL; c++)
    fprintf (out, "  %-8s %s\n", c->name, c->summary);
  fprintf (out, "\nRun 'poolsim bench WHAT --help' for its options.\n");
  return out == stdout ? 0 : 2;
}
