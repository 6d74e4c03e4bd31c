/*
 * sim/cmd-matrix.c - `poolsim matrix`: every threat scenario × every config
 * (no attack, the attack, each mitigation) into one database, then the table
 * threat × mitigation state of the headline metrics, mean ± 95 % CI over the
 * repetitions (DESIGN.md §6, §8).
 *
 * The scenarios are the *.ini files of one folder (scenarios/threats), in
 * name order after their RFC 5355 section ("2.3" before "2.13"). Configs by
 * convention (the files of scenarios/threats): `none` is the paired reference
 * without the attack, `General` the attack without mitigation, every other
 * config one mitigation.
 *
 * Execution is `poolsim sweep`'s: cmd_sweep_main is called once per scenario
 * and config, in this process, with the same database. So runs are the
 * sweep's (worker processes, one transaction per run) and a matrix resumes as
 * a sweep does: the same command skips every run already complete. The
 * sweep's progress and summary lines go to stderr (stdout is the table).
 *
 * The table's numbers come from results_report_foreach (Student t CIs over
 * the repetitions, grouped by scenario and config, no sweep variables): the
 * threat's name and section from the attack registry (attacks/attack.h) by
 * the attack.type the General runs recorded.
 *
 * Not here: running (cmd-sweep.c), the statistics (results/report.c).
 */
#include "config.h"

#include "attacks/attack.h"
#include "results/report.h"
#include "results/store.h"
#include "sim/cmd-common.h"
#include "sim/cmd.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/*
 * Each threat's second headline metric (DESIGN.md §6 "headline effect"),
 * beside calcapp.handling_speed which every threat has, by RFC 5355 section
 * (the leading number of the scenario's file name), or by the file's name
 * (without .ini) where one section has two files.
 */
static const struct {
  const char *section;  /* "2.13", or a file name "2.1-deregistration-flood" */
  const char *module;
  const char *metric;
} matrix_headlines[] = {
  { "2.1-deregistration-flood", "role/registrar", "oracle.cpu.utilization" }, /* churn: registrar work */
  { "2.1", "oracle", "oracle.hs.bogus" },                   /* bogus entries */
  { "2.2", "oracle", "oracle.hs.bogus" },
  { "2.3", "oracle", "oracle.hs.hijacked" },                /* hijacked entries */
  { "2.4", "oracle", "oracle.hs.bogus" },                   /* entries of the unauthorized PE */
  { "2.5", "oracle", "oracle.hs.bogus" },                   /* false ADD_PE at honest registrars */
  { "2.6", "oracle", "oracle.hs.missing" },                 /* PEs captured by the rogue */
  { "2.7", "oracle", "oracle.requests.not_live" },          /* requests sent to rogue or non-existent PEs */
  { "2.8", "oracle", "oracle.hs.stale" },                   /* crashed PEs kept or resurrected */
  { "2.9", "oracle", "oracle.failovers_downgraded" },       /* sessions that continued without TLS */
  { "2.10", "oracle", "oracle.requests.success_ratio" },    /* requests to rewritten addresses fail */
  { "2.11", "attack", "attack.learned.pe_addresses" },      /* topology learned (no attack: no observer) */
  { "2.12", "oracle", "oracle.discovery.undiscovered" },    /* PEs and PUs without a genuine home */
  { "2.13", "oracle", "oracle.hs.missing" },                /* legitimate PEs removed */
  { "2.14", "role/pe", "oracle.cpu.utilization" },          /* PE capacity lost */
  { "2.15", "oracle", "oracle.hs.bogus" },                  /* insecure (fake) entries served */
  { "2.16", "attack", "attack.cookie.accepted" },           /* forged state accepted */
};

/* The RFC 5355 section a threat scenario's file is named after ("2.13-x.ini" -> "2.13"), or NULL. */
static char *
matrix_section (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  gsize n = strspn (base, "0123456789.");
  while (n > 0 && base[n - 1] == '.')
    n--;
  return n > 0 ? g_strndup (base, n) : NULL;
}

/* Short runs for --quick: the scenarios' warm-up plus 10 minutes measured, two repetitions. */
static const char *const matrix_quick_sets[] = { "repeat=2", "sim-time-limit=15min", NULL };

typedef struct {
  char      *path;
  GPtrArray *configs;   /* char*: none, General, then the mitigations in file order */
  char      *threat;    /* attack.type of the General runs, from the database; NULL until known */
} MatrixScenario;

static void
matrix_scenario_free (gpointer p)
{
  MatrixScenario *s = p;
  g_free (s->path);
  g_ptr_array_unref (s->configs);
  g_free (s->threat);
  g_free (s);
}

/* Compare "2.3-x.ini" and "2.13-y.ini" by section number, then by name. */
static gint
compare_threat_files (gconstpointer a, gconstpointer b)
{
  const char *x = *(const char *const *) a, *y = *(const char *const *) b;
  const char *px = x, *py = y;
  while (g_ascii_isdigit (*px) && g_ascii_isdigit (*py))
    {
      char *ex, *ey;
      guint64 nx = g_ascii_strtoull (px, &ex, 10), ny = g_ascii_strtoull (py, &ey, 10);
      if (nx != ny)
        return nx < ny ? -1 : 1;
      px = ex;
      py = ey;
      if (*px != '.' || *py != '.')
        break;
      px++;
      py++;
    }
  return strcmp (x, y);
}

/*
 * The default folder of threat scenarios: the installed one
 * ($(pkgdatadir)/scenarios/threats) for the installed binary, the source
 * tree's otherwise (a build tree's poolsim).
 */
static char *
default_scenarios_dir (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *installed = g_build_filename (POOLSIM_BINDIR, "poolsim", NULL);
  if (exe != NULL && strcmp (exe, installed) == 0)
    return g_build_filename (POOLSIM_PKGDATADIR, "scenarios", "threats", NULL);
  return g_build_filename (POOLSIM_ABS_SRCDIR, "scenarios", "threats", NULL);
}

/* Load every *.ini of dir (sorted) and list its configs; stops at the first bad file. */
static GPtrArray *
load_scenarios (const char *dir, char **sets, GError **error)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, error);
  if (d == NULL)
    return NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".ini"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_threat_files);
  if (names->len == 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: no threat scenarios (*.ini)", dir);
      return NULL;
    }
  g_autoptr (SimParamTable) table = cmd_param_table ();
  g_autoptr (GPtrArray) scenarios = g_ptr_array_new_with_free_func (matrix_scenario_free);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, g_ptr_array_index (names, i), NULL);
      g_autoptr (SimScenario) sc = cmd_scenario_load (path, table, sets, error);
      if (sc == NULL)
        return NULL;
      GPtrArray *all = sim_scenario_configs (sc);
      gboolean has_none = FALSE;
      for (guint c = 0; c < all->len; c++)
        has_none |= strcmp (g_ptr_array_index (all, c), "none") == 0;
      if (!has_none)
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                       "%s: a threat scenario needs a config `none` (the runs without the attack)", path);
          return NULL;
        }
      MatrixScenario *s = g_new0 (MatrixScenario, 1);
      s->path = g_steal_pointer (&path);
      s->configs = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (s->configs, g_strdup ("none"));
      g_ptr_array_add (s->configs, g_strdup ("General"));
      for (guint c = 0; c < all->len; c++)
        {
          const char *cfg = g_ptr_array_index (all, c);
          if (strcmp (cfg, "none") != 0 && strcmp (cfg, "General") != 0)
            g_ptr_array_add (s->configs, g_strdup (cfg));
        }
      g_ptr_array_add (scenarios, s);
    }
  return g_steal_pointer (&scenarios);
}

/* One sweep, its output lines on stderr. Returns the sweep's exit status. */
static int
run_sweep (const char *path, const char *config, int jobs, const char *db, char **sets)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (argv, g_strdup ("poolsim sweep"));
  g_ptr_array_add (argv, g_strdup (path));
  g_ptr_array_add (argv, g_strdup ("-c"));
  g_ptr_array_add (argv, g_strdup (config));
  g_ptr_array_add (argv, g_strdup ("--db"));
  g_ptr_array_add (argv, g_strdup (db));
  if (jobs > 0)
    {
      g_ptr_array_add (argv, g_strdup ("-j"));
      g_ptr_array_add (argv, g_strdup_printf ("%d", jobs));
    }
  for (guint i = 0; sets != NULL && sets[i] != NULL; i++)
    {
      g_ptr_array_add (argv, g_strdup ("--set"));
      g_ptr_array_add (argv, g_strdup (sets[i]));
    }
  g_ptr_array_add (argv, NULL);
  /* cmd_sweep_main's option parser takes what it consumes from argv: give it a copy */
  g_autofree char **copy = g_memdup2 (argv->pdata, argv->len * sizeof (char *));
  fflush (stdout);
  int saved = dup (STDOUT_FILENO);
  if (saved >= 0)
    dup2 (STDERR_FILENO, STDOUT_FILENO);
  int status = cmd_sweep_main ((int) argv->len - 1, copy);
  fflush (stdout);
  if (saved >= 0)
    {
      dup2 (saved, STDOUT_FILENO);
      close (saved);
    }
  return status;
}

typedef struct {
  GHashTable *cells;      /* "path\nconfig\nmodule\nmetric" -> ResultsReportSummary* */
  GHashTable *threats;    /* path -> attack.type (borrowed from the row: copied) */
} MatrixData;

static void
collect_row (const char *const *variables, const ResultsReportRow *row, gpointer user_data)
{
  MatrixData *data = user_data;
  char *key = g_strjoin ("\n", row->scenario, row->config, row->module, row->metric, NULL);
  g_hash_table_replace (data->cells, key, g_memdup2 (&row->summary, sizeof row->summary));
  if (row->threat != NULL && strcmp (row->config, "General") == 0)
    g_hash_table_replace (data->threats, g_strdup (row->scenario), g_strdup (row->threat));
}

static void
format_cell (GString *out, const ResultsReportSummary *s)
{
  if (s == NULL || s->n == 0)
    {
      g_string_append (out, "-");
      return;
    }
  g_string_append_printf (out, "%.4g", s->mean);
  if (!isnan (s->ci95))
    g_string_append_printf (out, " ± %.2g", s->ci95);
  g_string_append_printf (out, " (n=%u)", s->n);
}

/* Width in characters (the table has "§" and "±"). */
static guint
utf8_width (const char *s)
{
  return (guint) g_utf8_strlen (s, -1);
}

static void
print_table (GPtrArray *scenarios, MatrixData *data, GString *out)
{
  gsize n_threats;
  const AttackThreat *threats = attack_threats (&n_threats);
  guint max_configs = 0;
  for (guint i = 0; i < scenarios->len; i++)
    max_configs = MAX (max_configs, ((MatrixScenario *) g_ptr_array_index (scenarios, i))->configs->len);
  guint n_cols = 2 + max_configs;
  g_autoptr (GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (cells, g_strdup ("threat"));
  g_ptr_array_add (cells, g_strdup ("metric"));
  g_ptr_array_add (cells, g_strdup ("no attack"));
  g_ptr_array_add (cells, g_strdup ("attack"));
  for (guint c = 2; c < max_configs; c++)
    g_ptr_array_add (cells, g_strdup_printf ("mitigation %u", c - 1));
  for (guint i = 0; i < scenarios->len; i++)
    {
      MatrixScenario *s = g_ptr_array_index (scenarios, i);
      const char *attack = g_hash_table_lookup (data->threats, s->path);
      g_autofree char *section = matrix_section (s->path);
      g_autofree char *title = NULL;
      /* The section of the file name names the threat; else the first threat the attack models. */
      for (gsize t = 0; section != NULL && t < n_threats && title == NULL; t++)
        if (strcmp (threats[t].section, section) == 0)
          title = g_strdup_printf ("§%s %s", threats[t].section, threats[t].title);
      for (gsize t = 0; attack != NULL && t < n_threats && title == NULL; t++)
        if (threats[t].attack != NULL && strcmp (threats[t].attack, attack) == 0)
          title = g_strdup_printf ("§%s %s", threats[t].section, threats[t].title);
      if (title == NULL)
        title = g_path_get_basename (s->path);
      else
        {
          /* Two files of one section (2.1 has the flood and the churn): name the file too. */
          guint same = 0;
          for (guint k = 0; section != NULL && k < scenarios->len; k++)
            {
              g_autofree char *other = matrix_section (((MatrixScenario *) g_ptr_array_index (scenarios, k))->path);
              same += other != NULL && strcmp (other, section) == 0;
            }
          if (same > 1)
            {
              g_autofree char *base = g_path_get_basename (s->path);
              char *dot = g_str_has_suffix (base, ".ini") ? base + strlen (base) - 4 : NULL;
              if (dot != NULL)
                *dot = '\0';
              const char *name = strchr (base, '-') != NULL ? strchr (base, '-') + 1 : base;
              char *longer = g_strdup_printf ("%s [%s]", title, name);
              g_free (title);
              title = longer;
            }
        }
      const char *metrics[2][2] = { { "calcapp", "calcapp.handling_speed" }, { NULL, NULL } };
      g_autofree char *stem = g_path_get_basename (s->path);
      if (g_str_has_suffix (stem, ".ini"))
        stem[strlen (stem) - 4] = '\0';
      for (gsize h = 0; h < G_N_ELEMENTS (matrix_headlines) && metrics[1][0] == NULL; h++)
        if (strcmp (matrix_headlines[h].section, stem) == 0
            || (section != NULL && strcmp (matrix_headlines[h].section, section) == 0))
          {
            metrics[1][0] = matrix_headlines[h].module;
            metrics[1][1] = matrix_headlines[h].metric;
          }
      for (guint m = 0; m < 2 && metrics[m][0] != NULL; m++)
        {
          g_ptr_array_add (cells, g_strdup (m == 0 ? title : ""));
          g_ptr_array_add (cells, g_strdup (metrics[m][1]));
          for (guint c = 0; c < max_configs; c++)
            {
              g_autoptr (GString) cell = g_string_new (NULL);
              if (c < s->configs->len)
                {
                  const char *cfg = g_ptr_array_index (s->configs, c);
                  g_autofree char *key = g_strjoin ("\n", s->path, cfg, metrics[m][0], metrics[m][1], NULL);
                  if (c >= 2)
                    g_string_append_printf (cell, "%s: ", cfg);
                  format_cell (cell, g_hash_table_lookup (data->cells, key));
                }
              g_ptr_array_add (cells, g_string_free (g_steal_pointer (&cell), FALSE));
            }
        }
    }
  g_autofree guint *width = g_new0 (guint, n_cols);
  for (guint i = 0; i < cells->len; i++)
    width[i % n_cols] = MAX (width[i % n_cols], utf8_width (g_ptr_array_index (cells, i)));
  for (guint i = 0; i < cells->len; i++)
    {
      const char *cell = g_ptr_array_index (cells, i);
      guint col = i % n_cols;
      g_string_append (out, cell);
      if (col + 1 < n_cols)
        for (guint pad = utf8_width (cell); pad < width[col] + 2; pad++)
          g_string_append_c (out, ' ');
      else
        {
          while (out->len > 0 && out->str[out->len - 1] == ' ')
            g_string_truncate (out, out->len - 1);
          g_string_append_c (out, '\n');
        }
    }
}

int
cmd_matrix_main (int argc, char **argv)
{
  gboolean quick = FALSE, paper = FALSE;
  int jobs = -1;
  g_autofree char *db = NULL;
  g_autofree char *dir = NULL;
  g_auto (GStrv) user_sets = NULL;
  const GOptionEntry entries[] = {
    { "quick", 0, 0, G_OPTION_ARG_NONE, &quick, "Two repetitions of 15 simulated minutes (the default)", NULL },
    { "paper", 0, 0, G_OPTION_ARG_NONE, &paper, "The scenarios as written (their length and repetitions)", NULL },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "Worker processes (default: the number of processors)", "N" },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db,
      "Results database (default: matrix-quick.db with --quick, matrix.db with --paper)", "FILE" },
    { "scenarios", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Folder of the threat scenarios (*.ini)", "DIR" },
    { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &user_sets,
      "Override a scenario key in every run, after --quick's (repeatable)", "KEY=VALUE" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- every threat × every mitigation state: the table");
  g_option_context_set_summary (ctx,
    "Runs every threat scenario of a folder (default: scenarios/threats) in every config - `none`\n"
    "(no attack), `General` (the attack, no mitigation) and each mitigation - through `poolsim\n"
    "sweep` into one database, then prints one row per threat and headline metric: the handling\n"
    "speed (calcapp.handling_speed, %) and the threat's own effect, as mean ± 95 % confidence\n"
    "half-width (Student t) over the repetitions, with n. The same command resumes: runs already\n"
    "complete in the database are skipped. Progress goes to stderr, the table to stdout.");
  g_option_context_set_description (ctx,
    "Threat scenarios: --scenarios DIR, else $(pkgdatadir)/scenarios/threats for an installed\n"
    "poolsim, the source tree's scenarios/threats for one in a build tree.\n"
    "--quick (default) adds --set repeat=2 --set sim-time-limit=15min (warm-up 5 min as written);\n"
    "--paper runs the scenarios as written. Keep one database per mode: runs of different\n"
    "overrides are different runs, but the table would pool them.\n"
    "\nExamples:\n"
    "  poolsim matrix --quick -j 2\n"
    "  poolsim matrix --paper -j 8 --db matrix.db\n"
    "\nExit status: 0 all runs complete, 1 a run failed or the database could not be written,\n"
    "2 a usage or scenario error, 130 interrupted (Ctrl-C; run the same command to resume).\n");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return cmd_fail (g_steal_pointer (&error), 2);
  if (argc != 1)
    {
      fprintf (stderr, "poolsim matrix: takes no arguments (see poolsim matrix --help)\n");
      return 2;
    }
  if (quick && paper)
    {
      fprintf (stderr, "poolsim matrix: --quick or --paper, not both\n");
      return 2;
    }
  if (jobs == 0 || jobs < -1)
    {
      fprintf (stderr, "poolsim matrix: -j takes a positive number of workers\n");
      return 2;
    }
  quick = !paper;
  g_autoptr (GStrvBuilder) sb = g_strv_builder_new ();
  if (quick)
    g_strv_builder_addv (sb, (const char **) matrix_quick_sets);
  if (user_sets != NULL)
    g_strv_builder_addv (sb, (const char **) user_sets);
  g_auto (GStrv) sets = g_strv_builder_end (sb);
  if (dir == NULL)
    dir = default_scenarios_dir ();
  const char *db_path = db != NULL ? db : quick ? "matrix-quick.db" : "matrix.db";

  g_autoptr (GPtrArray) scenarios = load_scenarios (dir, sets, &error);
  if (scenarios == NULL)
    return cmd_fail (g_steal_pointer (&error), 2);
  gint64 t0 = g_get_monotonic_time ();
  int worst = 0;
  for (guint i = 0; i < scenarios->len; i++)
    {
      MatrixScenario *s = g_ptr_array_index (scenarios, i);
      for (guint c = 0; c < s->configs->len; c++)
        {
          int status = run_sweep (s->path, g_ptr_array_index (s->configs, c), jobs, db_path, sets);
          if (status >= 128)
            {
              fprintf (stderr, "poolsim matrix: interrupted; run the same command again to resume\n");
              return status;
            }
          if (status == 2)
            return 2;
          worst = MAX (worst, status);
        }
    }
  double wall = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;

  g_autoptr (ResultsStore) store = results_store_open_read_only (db_path, &error);
  if (store == NULL)
    return cmd_fail (g_steal_pointer (&error), 1);
  g_autoptr (GPtrArray) metric_names = g_ptr_array_new ();
  g_ptr_array_add (metric_names, (gpointer) "calcapp.handling_speed");
  for (gsize h = 0; h < G_N_ELEMENTS (matrix_headlines); h++)
    if (!g_ptr_array_find_with_equal_func (metric_names, matrix_headlines[h].metric, g_str_equal, NULL))
      g_ptr_array_add (metric_names, (gpointer) matrix_headlines[h].metric);
  g_ptr_array_add (metric_names, NULL);
  const char *const no_variables[] = { NULL };
  ResultsReportOptions options = { .metrics = (const char *const *) metric_names->pdata, .by = no_variables };
  MatrixData data = {
    .cells = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free),
    .threats = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free),
  };
  gboolean ok = results_report_foreach (store, &options, collect_row, &data, &error);
  g_autoptr (GString) out = g_string_new (NULL);
  if (ok)
    print_table (scenarios, &data, out);
  g_hash_table_unref (data.cells);
  g_hash_table_unref (data.threats);
  if (!ok)
    return cmd_fail (g_steal_pointer (&error), 1);
  if (fwrite (out->str, 1, out->len, stdout) != out->len || fflush (stdout) != 0)
    {
      g_printerr ("poolsim matrix: writing the table: %s\n", g_strerror (errno));
      return 1;
    }
  fprintf (stderr, "poolsim matrix: %u threat scenarios, %s; %s; %.1f s\n", scenarios->len,
           quick ? "--quick" : "--paper", db_path, wall);
  return worst;
}
