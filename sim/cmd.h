/*
 * sim/cmd.h - the poolsim subcommands. Each lives in sim/cmd-NAME.c, takes the
 * arguments after its name (argv[0] is "poolsim NAME") and returns the exit
 * status: 0 success, 1 a failed run or environment error, 2 a usage or
 * scenario error (DESIGN.md §8).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *name;
  const char *summary;                 /* one line for `poolsim --help` */
  int (*main) (int argc, char **argv);
} CmdEntry;

/* The subcommands, one per sim/cmd-NAME.c, registered in main.c's commands[]. */
int cmd_run_main (int argc, char **argv);
int cmd_report_main (int argc, char **argv);
int cmd_check_main (int argc, char **argv);
int cmd_list_main (int argc, char **argv);
int cmd_sweep_main (int argc, char **argv);
int cmd_matrix_main (int argc, char **argv);
int cmd_merge_main (int argc, char **argv);
int cmd_plot_main (int argc, char **argv);
int cmd_bench_main (int argc, char **argv);

/* Print err's message prefixed by "poolsim: " to stderr and return `status`. */
int cmd_fail (GError *err, int status);

G_END_DECLS
