/*
 * sim/cmd-sweep.c - `poolsim sweep`: every run of a config in N worker
 * processes into one database, or (--plan) one self-contained command per
 * run for engines that spread them over machines (DESIGN.md §9).
 *
 * Workers. Each run is executed in a process of its own, forked from the
 * sweep after the scenario is loaded and every run expanded: a run that
 * crashes or is killed takes only itself down, and the sweep records it as
 * failed with the signal. The child opens its own connection to the database
 * (the parent holds none while children live: an SQLite connection must not
 * cross a fork) and writes its run in one transaction (results/store.h);
 * several children write into one file at once. Fork rather than spawning
 * `poolsim run -r N`: the expansion is done once, the child needs no path to
 * the binary, and it is the same cmd_run_one, so rows are the same as `run`'s
 * and as the plan's (the determinism tests compare all three).
 *
 * Signals. SIGCHLD, SIGINT and SIGTERM are blocked and taken with
 * sigtimedwait, so the loop has no handlers and no races: reap children,
 * start new ones, wait for a signal or the next progress tick. On SIGINT or
 * SIGTERM the sweep stops handing out runs and sends SIGTERM to the running
 * children: a killed run leaves nothing (one transaction per run), every run
 * committed stays. The same command later skips complete runs, so it resumes
 * and ends with exactly the rows of an uninterrupted sweep. Exit status
 * 128 + the signal (130 for Ctrl-C).
 *
 * A keeper process holds the database open for the sweep (see
 * start_keeper), so that workers do not each checkpoint the WAL as they
 * close.
 *
 * Not here: executing one run (cmd-common.c), merging shards (cmd-merge.c).
 */
#include "config.h"

#include "sim/cmd-common.h"
#include "sim/cmd.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* How a worker process ends. */
enum {
  WORKER_COMPLETE = 0,   /* the run is complete in the database */
  WORKER_FAILED = 1,     /* the run failed and is recorded as failed */
  WORKER_DB_ERROR = 3,   /* the database could not be written: nothing recorded */
  WORKER_DUPLICATE = 4,  /* another process completed the run meanwhile */
};

typedef struct {
  SimScenario *sc;
  const char  *config;
  GArray      *runs;        /* guint: the run numbers to execute */
  const char  *db;
  guint        jobs;
  gboolean     progress;    /* a terminal: show the progress line */
  guint        total;       /* runs of the config */
  guint        skipped;     /* already complete at the start */
  guint        next;        /* index in runs of the next run to start */
  guint        running;
  guint        done;        /* complete (by this sweep, or found complete by a worker) */
  guint        failed;      /* failed runs and database errors */
  GHashTable  *workers;     /* pid -> run number + 1 (lookups only) */
  int          keeper_pipe; /* write end of the keeper's pipe, or -1 */
  gint64       t0;
  int          interrupted; /* the signal that stopped the sweep, or 0 */
} Sweep;

/* Shell-quote a word only when it needs it, so that plans stay readable. */
static void
append_word (GString *line, const char *word)
{
  gboolean plain = *word != '\0';
  for (const char *p = word; plain && *p != '\0'; p++)
    plain = g_ascii_isalnum (*p) || strchr ("_./:=,+-@%", *p) != NULL;
  if (line->len > 0)
    g_string_append_c (line, ' ');
  if (plain)
    g_string_append (line, word);
  else
    {
      g_autofree char *q = g_shell_quote (word);
      g_string_append (line, q);
    }
}

/*
 * The absolute path of this poolsim binary, for plans that run anywhere with
 * the same file system layout; "poolsim" (found through PATH) if the kernel
 * does not say.
 */
static char *
self_executable (void)
{
  char *exe = g_file_read_link ("/proc/self/exe", NULL);
  return exe != NULL ? exe : g_strdup ("poolsim");
}

static int
print_plan (SimScenario *sc, const char *config, guint n_runs, const char *shard_dir, char **sets)
{
  if (g_mkdir_with_parents (shard_dir, 0777) != 0)
    {
      g_printerr ("poolsim sweep: creating %s: %s\n", shard_dir, g_strerror (errno));
      return 1;
    }
  g_autofree char *exe = self_executable ();
  g_autoptr (GString) line = g_string_new (NULL);
  for (guint r = 0; r < n_runs; r++)
    {
      g_autofree char *run = g_strdup_printf ("%u", r);
      g_autofree char *name = g_strdup_printf ("shard-%s-%u.db", config, r);
      g_autofree char *shard = g_build_filename (shard_dir, name, NULL);
      g_string_truncate (line, 0);
      const char *words[] = { exe, "run", sim_scenario_path (sc), "-c", config, "-r", run, "--db", shard };
      for (guint w = 0; w < G_N_ELEMENTS (words); w++)
        append_word (line, words[w]);
      for (guint s = 0; sets != NULL && sets[s] != NULL; s++)
        {
          append_word (line, "--set");
          append_word (line, sets[s]);
        }
      printf ("%s\n", line->str);
    }
  if (fflush (stdout) != 0)
    {
      g_printerr ("poolsim sweep: writing the plan: %s\n", g_strerror (errno));
      return 1;
    }
  return 0;
}

static void
format_duration (char *buf, gsize len, double seconds)
{
  guint s = (guint) (seconds + 0.5);
  if (s >= 3600)
    g_snprintf (buf, len, "%u:%02u:%02u", s / 3600, s / 60 % 60, s % 60);
  else
    g_snprintf (buf, len, "%u:%02u", s / 60, s % 60);
}

static void
show_progress (const Sweep *sw)
{
  if (!sw->progress)
    return;
  double elapsed = (double) (g_get_monotonic_time () - sw->t0) / G_USEC_PER_SEC;
  guint finished = sw->done + sw->failed;
  char el[32], eta[32] = "?";
  format_duration (el, sizeof el, elapsed);
  if (finished > 0)
    format_duration (eta, sizeof eta, elapsed / finished * (sw->runs->len - finished));
  fprintf (stderr, "\r\033[Ksweep: %u/%u runs done, %u failed, %u running, %s elapsed, ETA %s",
           sw->skipped + sw->done, sw->total, sw->failed, sw->running, el, eta);
  fflush (stderr);
}

/* The child: run one run into the database and exit with a WORKER_ status. Never returns. */
static void G_GNUC_NORETURN
worker (Sweep *sw, guint run_number, const sigset_t *mask)
{
  sigprocmask (SIG_SETMASK, mask, NULL);
  if (sw->keeper_pipe >= 0)
    close (sw->keeper_pipe);
  g_autoptr (GError) error = NULL;
  const char *clear = sw->progress ? "\r\033[K" : "";
  ResultsStore *store = results_store_open (sw->db, &error);
  if (store == NULL)
    {
      fprintf (stderr, "%spoolsim sweep: %s\n", clear, error->message);
      _exit (WORKER_DB_ERROR);
    }
  CmdRunOptions options = { FALSE, 0, sw->total };
  int status = WORKER_COMPLETE;
  /* checked before the sweep started: expanding it again cannot fail */
  g_autoptr (SimRunSpec) spec = sim_scenario_run (sw->sc, sw->config, run_number, NULL);
  g_assert (spec != NULL);
  if (!cmd_run_one (sw->sc, spec, store, &options, &error))
    {
      if (g_error_matches (error, RESULTS_STORE_ERROR, RESULTS_STORE_ERROR_DUPLICATE))
        status = WORKER_DUPLICATE;
      else
        {
          fprintf (stderr, "%spoolsim sweep: %s\n", clear, error->message);
          status = error->domain == RESULTS_STORE_ERROR ? WORKER_DB_ERROR : WORKER_FAILED;
        }
    }
  results_store_close (store);
  _exit (status);
}

static gboolean
start_worker (Sweep *sw, const sigset_t *mask)
{
  guint run_number = g_array_index (sw->runs, guint, sw->next);
  fflush (stdout);
  fflush (stderr);
  pid_t pid = fork ();
  if (pid < 0)
    {
      fprintf (stderr, "%spoolsim sweep: cannot start a worker: %s\n", sw->progress ? "\r\033[K" : "",
               g_strerror (errno));
      return FALSE;
    }
  if (pid == 0)
    worker (sw, run_number, mask);
  g_hash_table_insert (sw->workers, GINT_TO_POINTER (pid), GUINT_TO_POINTER (run_number + 1));
  sw->next++;
  sw->running++;
  return TRUE;
}

/* A worker died of a signal the sweep did not send: record its run as failed. */
static void
record_crash (Sweep *sw, guint run_number, int signo)
{
  g_autofree char *message = g_strdup_printf ("%s: run %u: the run's process was killed by signal %d (%s)",
                                              sim_scenario_path (sw->sc), run_number, signo,
                                              g_strsignal (signo));
  const char *clear = sw->progress ? "\r\033[K" : "";
  fprintf (stderr, "%spoolsim sweep: %s\n", clear, message);
  g_autoptr (GError) error = NULL;
  g_autoptr (SimRunSpec) spec = sim_scenario_run (sw->sc, sw->config, run_number, NULL);
  g_assert (spec != NULL);
  g_autoptr (ResultsStore) store = results_store_open (sw->db, &error);
  if (store == NULL || !cmd_run_record_failure (sw->sc, spec, store, message, &error))
    fprintf (stderr, "%spoolsim sweep: recording the failure: %s\n", clear, error->message);
}

static void interrupt (Sweep *sw, int signo);

/*
 * Take a pending SIGINT or SIGTERM now. Ctrl-C signals the whole process
 * group at once: a worker may die of it before the sweep has taken its own,
 * and must then count as stopped, not as a crash.
 */
static void
take_stop_signal (Sweep *sw)
{
  sigset_t stop;
  sigemptyset (&stop);
  sigaddset (&stop, SIGINT);
  sigaddset (&stop, SIGTERM);
  const struct timespec now = { 0, 0 };
  int signo = sigtimedwait (&stop, NULL, &now);
  if (signo > 0)
    interrupt (sw, signo);
}

/* Collect the workers that ended, without waiting. */
static void
reap (Sweep *sw)
{
  int status;
  pid_t pid;
  while ((pid = waitpid (-1, &status, WNOHANG)) > 0)
    {
      guint run = GPOINTER_TO_UINT (g_hash_table_lookup (sw->workers, GINT_TO_POINTER (pid)));
      if (run == 0)
        continue; /* not a worker: the keeper */
      g_hash_table_remove (sw->workers, GINT_TO_POINTER (pid));
      sw->running--;
      if (WIFEXITED (status) && (WEXITSTATUS (status) == WORKER_COMPLETE || WEXITSTATUS (status) == WORKER_DUPLICATE))
        {
          sw->done++;
          continue;
        }
      if (WIFSIGNALED (status) && (WTERMSIG (status) == SIGINT || WTERMSIG (status) == SIGTERM))
        take_stop_signal (sw);
      if (WIFSIGNALED (status) && sw->interrupted != 0)
        continue; /* stopped with the sweep: not run, not failed */
      if (WIFSIGNALED (status))
        record_crash (sw, run - 1, WTERMSIG (status));
      sw->failed++;
    }
}

static void
interrupt (Sweep *sw, int signo)
{
  if (sw->interrupted != 0)
    return;
  sw->interrupted = signo;
  GHashTableIter it;
  gpointer pid;
  g_hash_table_iter_init (&it, sw->workers);
  while (g_hash_table_iter_next (&it, &pid, NULL))
    kill (GPOINTER_TO_INT (pid), SIGTERM);
}

/*
 * The keeper: a child that holds a connection to the database while the
 * sweep runs, and closes it when the pipe it reads from closes (the sweep has
 * ended, or died). SQLite checkpoints the WAL into the database file, with an
 * fsync, and deletes it whenever the last connection to a database closes:
 * without the keeper that would be at the end of every worker, which under
 * I/O load made `sweep -j 1` half as fast as `run`. With it, checkpoints
 * happen once per 1000 WAL pages and at the end. It ignores SIGINT and
 * SIGTERM so that its connection outlives the workers that Ctrl-C stops.
 * Returns the pipe's write end, or -1 (no keeper: slower, not wrong).
 */
static int
start_keeper (const char *db, const sigset_t *mask, pid_t *keeper)
{
  int fds[2];
  if (pipe (fds) != 0)
    return -1;
  fflush (stdout);
  fflush (stderr);
  *keeper = fork ();
  if (*keeper < 0)
    {
      close (fds[0]);
      close (fds[1]);
      return -1;
    }
  if (*keeper == 0)
    {
      signal (SIGINT, SIG_IGN);
      signal (SIGTERM, SIG_IGN);
      sigprocmask (SIG_SETMASK, mask, NULL);
      close (fds[1]);
      ResultsStore *store = results_store_open (db, NULL);
      char c;
      while (read (fds[0], &c, 1) < 0 && errno == EINTR)
        ;
      results_store_close (store);
      _exit (0);
    }
  close (fds[0]);
  return fds[1];
}

/* Run every run of sw->runs in at most sw->jobs workers. */
static void
sweep_execute (Sweep *sw)
{
  sigset_t set, old;
  sigemptyset (&set);
  sigaddset (&set, SIGCHLD);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGTERM);
  sigprocmask (SIG_BLOCK, &set, &old);
  pid_t keeper = -1;
  int keeper_pipe = start_keeper (sw->db, &old, &keeper);
  sw->keeper_pipe = keeper_pipe;
  const struct timespec tick = { 0, 500 * 1000 * 1000 };
  while (sw->running > 0 || (sw->next < sw->runs->len && sw->interrupted == 0))
    {
      while (sw->interrupted == 0 && sw->running < sw->jobs && sw->next < sw->runs->len)
        if (!start_worker (sw, &old))
          {
            interrupt (sw, SIGTERM);
            break;
          }
      show_progress (sw);
      int signo = sigtimedwait (&set, NULL, &tick);
      if (signo == SIGINT || signo == SIGTERM)
        interrupt (sw, signo);
      reap (sw);
    }
  if (keeper_pipe >= 0)
    {
      close (keeper_pipe);
      sw->keeper_pipe = -1;
      while (waitpid (keeper, NULL, 0) < 0 && errno == EINTR)
        ;
    }
  sigprocmask (SIG_SETMASK, &old, NULL);
  if (sw->progress)
    fprintf (stderr, "\r\033[K");
}

int
cmd_sweep_main (int argc, char **argv)
{
  g_autofree char *config = NULL;
  g_autofree char *db = NULL;
  g_autofree char *shard_dir = NULL;
  g_auto (GStrv) sets = NULL;
  gboolean plan = FALSE;
  int jobs = -1;
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_STRING, &config, "Config to sweep (default: General)", "NAME" },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "Worker processes (default: the number of processors)", "N" },
    { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Override a scenario key in every config (repeatable)",
      "KEY=VALUE" },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Results database (default: results.db)", "FILE" },
    { "plan", 0, 0, G_OPTION_ARG_NONE, &plan, "Print one `poolsim run` command per run instead of running", NULL },
    { "shard-dir", 0, 0, G_OPTION_ARG_FILENAME, &shard_dir,
      "With --plan: folder of the shard databases, created if missing (default: shards)", "DIR" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("SCENARIO - run a config's runs in parallel");
  g_option_context_set_summary (ctx,
    "Runs every run of one config of a scenario file in N worker processes (one process per run)\n"
    "into one results database. Runs already complete there are skipped, so the same command\n"
    "resumes an interrupted sweep; a run that fails is recorded with its error and the sweep goes\n"
    "on. On a terminal a progress line shows runs done, failures, elapsed time and ETA. Ctrl-C\n"
    "stops: running runs are cancelled (they leave nothing), complete ones stay.\n"
    "\n"
    "--plan prints instead one self-contained command per run, each writing its own shard\n"
    "database, for GNU Parallel, a Slurm job array or any other engine; `poolsim merge OUT.db\n"
    "SHARD.db...` combines the shards (see docs/cluster.md).");
  g_option_context_set_description (ctx,
    "Examples:\n"
    "  poolsim sweep scenarios/examples/mm1.ini -j 4 --db mm1.db\n"
    "  poolsim sweep scenarios/examples/mm1.ini -c Short --plan --shard-dir shards > plan.txt\n"
    "  parallel -j 8 < plan.txt && poolsim merge mm1.db shards/*.db\n"
    "\nExit status: 0 all runs complete, 1 a run failed or the database could not be written,\n"
    "2 a usage or scenario error, 130 interrupted (Ctrl-C; 143 for SIGTERM).\n");
  g_option_context_add_main_entries (ctx, entries, NULL);
  /* GOption reads "-j 4" but not make's "-j4": split it. */
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; i < argc; i++)
    {
      if (i > 0 && g_str_has_prefix (argv[i], "-j") && argv[i][2] != '\0' && g_ascii_isdigit (argv[i][2]))
        {
          g_ptr_array_add (args, g_strdup ("-j"));
          g_ptr_array_add (args, g_strdup (argv[i] + 2));
        }
      else
        g_ptr_array_add (args, g_strdup (argv[i]));
    }
  g_ptr_array_add (args, NULL);
  /* g_option_context_parse_strv frees what it removes: parse a copy. */
  g_auto (GStrv) strv = g_strdupv ((char **) args->pdata);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse_strv (ctx, &strv, &error))
    return cmd_fail (g_steal_pointer (&error), 2);
  argc = (int) g_strv_length (strv);
  argv = strv;
  if (argc != 2)
    {
      fprintf (stderr, "poolsim sweep: give one scenario file (see poolsim sweep --help)\n");
      return 2;
    }
  if (jobs == 0 || jobs < -1)
    {
      fprintf (stderr, "poolsim sweep: -j takes a positive number of workers\n");
      return 2;
    }
  if (plan && db != NULL)
    {
      fprintf (stderr, "poolsim sweep: --plan writes one shard per run (--shard-dir), not --db\n");
      return 2;
    }
  if (!plan && shard_dir != NULL)
    {
      fprintf (stderr, "poolsim sweep: --shard-dir goes with --plan\n");
      return 2;
    }
  const char *cfg = config != NULL ? config : "General";
  g_autoptr (SimParamTable) table = cmd_param_table ();
  g_autoptr (SimScenario) sc = cmd_scenario_load (argv[1], table, sets, &error);
  if (sc == NULL)
    return cmd_fail (g_steal_pointer (&error), 2);
  guint n = 0;
  if (!sim_scenario_count_runs (sc, cfg, &n, &error))
    return cmd_fail (g_steal_pointer (&error), 2);
  /*
   * Expand every run first: a bad value anywhere stops before anything runs.
   * The specs are not kept: each worker expands its own after the fork, so
   * the sweep's memory does not grow with the number of runs, and a fork
   * copies little (copy-on-write faults are what a worker costs).
   */
  for (guint r = 0; r < n; r++)
    {
      SimRunSpec *spec = sim_scenario_run (sc, cfg, r, &error);
      if (spec == NULL)
        return cmd_fail (g_steal_pointer (&error), 2);
      sim_run_spec_free (spec);
    }
  if (plan)
    return print_plan (sc, cfg, n, shard_dir != NULL ? shard_dir : "shards", sets);

  const char *db_path = db != NULL ? db : "results.db";
  g_autoptr (GArray) pending = g_array_new (FALSE, FALSE, sizeof (guint));
  guint skipped = 0;
  {
    /* Closed before the first fork: a connection must not cross it. */
    g_autoptr (ResultsStore) store = results_store_open (db_path, &error);
    if (store == NULL)
      return cmd_fail (g_steal_pointer (&error), 1);
    for (guint r = 0; r < n; r++)
      {
        gboolean complete = FALSE;
        if (!results_store_run_complete (store, sim_scenario_digest (sc), cfg, r, &complete, &error))
          return cmd_fail (g_steal_pointer (&error), 1);
        if (complete)
          skipped++;
        else
          g_array_append_val (pending, r);
      }
  }
  Sweep sw = {
    .sc = sc,
    .config = cfg,
    .runs = pending,
    .db = db_path,
    .jobs = jobs > 0 ? (guint) jobs : MAX (g_get_num_processors (), 1),
    .progress = isatty (STDERR_FILENO),
    .total = n,
    .skipped = skipped,
    .workers = g_hash_table_new (NULL, NULL),
    .t0 = g_get_monotonic_time (),
  };
  sweep_execute (&sw);
  g_hash_table_unref (sw.workers);
  double wall = (double) (g_get_monotonic_time () - sw.t0) / G_USEC_PER_SEC;
  if (sw.interrupted != 0)
    {
      fprintf (stderr, "poolsim sweep: interrupted (%s): %u of %u runs complete, %u failed, %u not run;"
               " run the same command again to resume\n", g_strsignal (sw.interrupted), skipped + sw.done, n,
               sw.failed, n - skipped - sw.done - sw.failed);
      return 128 + sw.interrupted;
    }
  printf ("%s: config %s: %u run%s complete, %u skipped (already complete), %u failed; %s; %.1f s, "
          "%.0f runs/min with %u worker%s\n", sim_scenario_path (sc), cfg, sw.done, sw.done == 1 ? "" : "s", skipped,
          sw.failed, db_path, wall, wall > 0 ? (sw.done + sw.failed) * 60.0 / wall : 0.0, sw.jobs,
          sw.jobs == 1 ? "" : "s");
  return sw.failed > 0 ? 1 : 0;
}
