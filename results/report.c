/*
 * results/report.c - the report over repetitions: grouping, summaries with
 * Student t confidence intervals, and the table, CSV and JSON formats.
 *
 * The report reads the database in four scans (complete runs, their
 * variables, scalars, statistics), filters and groups in memory, then sorts:
 * O(R + S log S) for R runs and S result rows, with S doubles in memory.
 * That is fine up to tens of millions of scalars; beyond, the grouping would
 * move into SQL (GROUP BY over a temporary table of run groups).
 *
 * The t quantile inverts the t distribution's CDF, written with the
 * regularized incomplete beta function (evaluated by its continued fraction,
 * modified Lentz), by bisection on t: about 60 CDF evaluations per quantile,
 * accurate to a few ulp of the CDF. Closed forms exist only for df = 1, 2;
 * approximations such as Hill's lose digits at small df, which is where
 * sweeps with few repetitions live.
 *
 * Not here: plots (results/plot.c uses results_report_foreach), reading vectors.
 */
#include "config.h"

#include "results/report.h"
#include "results/store-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (results-report-error-quark, results_report_error)

/* Continued fraction of the regularized incomplete beta function (valid for x < (a + 1) / (a + b + 2)). */
static double
beta_cf (double a, double b, double x)
{
  const double tiny = 1e-300;
  double c = 1.0;
  double d = 1.0 - (a + b) * x / (a + 1.0);
  d = 1.0 / (fabs (d) < tiny ? tiny : d);
  double h = d;
  for (int m = 1; m <= 100000; m++)
    {
      double aa = m * (b - m) * x / ((a - 1.0 + 2 * m) * (a + 2 * m));
      d = 1.0 + aa * d;
      c = 1.0 + aa / c;
      d = 1.0 / (fabs (d) < tiny ? tiny : d);
      c = fabs (c) < tiny ? tiny : c;
      h *= d * c;
      aa = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 1.0 + 2 * m));
      d = 1.0 + aa * d;
      c = 1.0 + aa / c;
      d = 1.0 / (fabs (d) < tiny ? tiny : d);
      c = fabs (c) < tiny ? tiny : c;
      double del = d * c;
      h *= del;
      if (fabs (del - 1.0) < 1e-16)
        break;
    }
  return h;
}

/* I_x(a, b), with y = 1 - x given separately to keep its precision. */
static double
inc_beta (double a, double b, double x, double y)
{
  if (x <= 0.0)
    return 0.0;
  if (y <= 0.0)
    return 1.0;
  double front = exp (lgamma (a + b) - lgamma (a) - lgamma (b) + a * log (x) + b * log (y));
  if (x < (a + 1.0) / (a + b + 2.0))
    return front * beta_cf (a, b, x) / a;
  return 1.0 - front * beta_cf (b, a, y) / b;
}

/* P(T > t) for t >= 0. */
static double
t_upper_tail (double t, double df)
{
  double t2 = t * t;
  return 0.5 * inc_beta (df / 2.0, 0.5, df / (df + t2), t2 / (df + t2));
}

double
results_report_t_quantile (double p, double df)
{
  g_return_val_if_fail (p > 0.0 && p < 1.0 && df > 0.0, NAN);
  if (p < 0.5)
    return -results_report_t_quantile (1.0 - p, df);
  if (p == 0.5)
    return 0.0;
  double q = 1.0 - p;
  double lo = 0.0, hi = 1.0;
  while (t_upper_tail (hi, df) > q && hi < 1e300)
    {
      lo = hi;
      hi *= 2.0;
    }
  for (int i = 0; i < 2000 && hi - lo > 1e-15 * hi; i++)
    {
      double mid = 0.5 * (lo + hi);
      if (t_upper_tail (mid, df) > q)
        lo = mid;
      else
        hi = mid;
    }
  return 0.5 * (lo + hi);
}

void
results_report_summarize (const double *values, guint n, ResultsReportSummary *summary)
{
  g_return_if_fail (summary != NULL && (n == 0 || values != NULL));
  *summary = (ResultsReportSummary) { n, NAN, NAN, NAN, NAN, NAN };
  if (n == 0)
    return;
  double sum = 0.0, min = values[0], max = values[0];
  for (guint i = 0; i < n; i++)
    {
      sum += values[i];
      min = MIN (min, values[i]);
      max = MAX (max, values[i]);
    }
  summary->mean = sum / n;
  summary->min = min;
  summary->max = max;
  if (n < 2)
    return;
  double ss = 0.0;
  for (guint i = 0; i < n; i++)
    ss += (values[i] - summary->mean) * (values[i] - summary->mean);
  summary->stddev = sqrt (ss / (n - 1));
  summary->ci95 = results_report_t_quantile (0.975, n - 1) * summary->stddev / sqrt (n);
}

/* The report's data, read and grouped. Strings live in `strings`. */

typedef struct {
  gint64      id;
  const char *scenario;
  const char *config;
  const char *threat;        /* nullable */
  const char *mitigations;   /* nullable */
  gint64      run_number;
  GArray     *params;        /* of ResultsPair, in recording order */
  gboolean    selected;      /* passes the config and where filters */
  guint       group;         /* index in Report.groups (selected runs) */
} RepRun;

typedef struct {
  const RepRun *first;       /* a run of the group: scenario, config, threat, mitigations */
  const char  **values;      /* one per grouping variable; NULL where the run lacks it */
} RepGroup;

typedef struct {
  gint64      run_number;
  double      value;
  const char *unit;
} RepValue;

typedef struct {
  guint       group;
  const char *module;
  const char *metric;
  GArray     *values;        /* of RepValue */
} RepCell;

typedef struct {
  ResultsStore *store;
  GStringChunk *strings;
  GPtrArray    *runs;        /* of RepRun *, owned */
  GHashTable   *run_by_id;   /* gint64 * -> RepRun * (lookups only, never iterated) */
  GPtrArray    *vars;        /* grouping variable names, in column order */
  GPtrArray    *all_vars;    /* every variable of the configs selected, in order of first appearance */
  GPtrArray    *groups;      /* of RepGroup *, owned */
  GPtrArray    *cells;       /* of RepCell *, owned */
  GHashTable   *cell_by_key; /* key string -> RepCell * (lookups only) */
} Report;

static void
rep_run_free (gpointer data)
{
  RepRun *r = data;
  g_array_unref (r->params);
  g_free (r);
}

static void
rep_group_free (gpointer data)
{
  RepGroup *g = data;
  g_free (g->values);
  g_free (g);
}

static void
rep_cell_free (gpointer data)
{
  RepCell *c = data;
  g_array_unref (c->values);
  g_free (c);
}

static void
report_clear (Report *rep)
{
  g_clear_pointer (&rep->cell_by_key, g_hash_table_unref);
  g_clear_pointer (&rep->cells, g_ptr_array_unref);
  g_clear_pointer (&rep->groups, g_ptr_array_unref);
  g_clear_pointer (&rep->all_vars, g_ptr_array_unref);
  g_clear_pointer (&rep->vars, g_ptr_array_unref);
  g_clear_pointer (&rep->run_by_id, g_hash_table_unref);
  g_clear_pointer (&rep->runs, g_ptr_array_unref);
  g_clear_pointer (&rep->strings, g_string_chunk_free);
}

static const char *
rep_intern (Report *rep, const unsigned char *s)
{
  return s != NULL ? g_string_chunk_insert_const (rep->strings, (const char *) s) : NULL;
}

/* Prepare one query of the report; the caller finalizes it. */
static sqlite3_stmt *
rep_prepare (Report *rep, const char *sql, GError **error)
{
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2 (results_store_db (rep->store), sql, -1, &st, NULL);
  if (rc != SQLITE_OK)
    {
      results_store_set_error (rep->store, error, rc, "preparing the report's query");
      sqlite3_finalize (st);
      return NULL;
    }
  return st;
}

/* Step a query: TRUE with a row, FALSE at the end (*rc = SQLITE_DONE) or on an error. */
static gboolean
rep_next (sqlite3_stmt *st, int *rc)
{
  *rc = sqlite3_step (st);
  return *rc == SQLITE_ROW;
}

static gboolean
rep_check_done (Report *rep, sqlite3_stmt *st, int rc, const char *what, GError **error)
{
  if (rc != SQLITE_DONE)
    results_store_set_error (rep->store, error, rc, what);
  sqlite3_finalize (st);
  return rc == SQLITE_DONE;
}

static gboolean
strv_has (const char *const *strv, const char *s)
{
  return strv != NULL && g_strv_contains (strv, s);
}

static gboolean
rep_load_runs (Report *rep, GError **error)
{
  sqlite3_stmt *st = rep_prepare (rep, "SELECT id, scenario, config, threat, mitigations, run_number"
                                       " FROM run WHERE status = 'complete'", error);
  if (st == NULL)
    return FALSE;
  int rc;
  while (rep_next (st, &rc))
    {
      /* NOT NULL in the schema; a hand-edited file may still break it: skip, never crash */
      if (sqlite3_column_type (st, 1) == SQLITE_NULL || sqlite3_column_type (st, 2) == SQLITE_NULL)
        continue;
      RepRun *r = g_new0 (RepRun, 1);
      r->id = sqlite3_column_int64 (st, 0);
      r->scenario = rep_intern (rep, sqlite3_column_text (st, 1));
      r->config = rep_intern (rep, sqlite3_column_text (st, 2));
      r->threat = rep_intern (rep, sqlite3_column_text (st, 3));
      r->mitigations = rep_intern (rep, sqlite3_column_text (st, 4));
      r->run_number = sqlite3_column_int64 (st, 5);
      r->params = g_array_new (FALSE, FALSE, sizeof (ResultsPair));
      g_ptr_array_add (rep->runs, r);
      g_hash_table_insert (rep->run_by_id, &r->id, r);
    }
  if (!rep_check_done (rep, st, rc, "reading the runs", error))
    return FALSE;
  st = rep_prepare (rep, "SELECT run_id, name, value FROM runparam ORDER BY run_id, rowid", error);
  if (st == NULL)
    return FALSE;
  while (rep_next (st, &rc))
    {
      gint64 id = sqlite3_column_int64 (st, 0);
      RepRun *r = g_hash_table_lookup (rep->run_by_id, &id);
      if (r == NULL || sqlite3_column_type (st, 1) == SQLITE_NULL || sqlite3_column_type (st, 2) == SQLITE_NULL)
        continue;
      ResultsPair p = { rep_intern (rep, sqlite3_column_text (st, 1)), rep_intern (rep, sqlite3_column_text (st, 2)) };
      g_array_append_val (r->params, p);
    }
  return rep_check_done (rep, st, rc, "reading the run variables", error);
}

static const char *
run_param (const RepRun *r, const char *name)
{
  for (guint i = 0; i < r->params->len; i++)
    {
      const ResultsPair *p = &g_array_index (r->params, ResultsPair, i);
      if (strcmp (p->name, name) == 0)
        return p->value;
    }
  return NULL;
}

static int
run_order (gconstpointer a, gconstpointer b)
{
  const RepRun *x = *(const RepRun *const *) a, *y = *(const RepRun *const *) b;
  int c = strcmp (x->scenario, y->scenario);
  if (c == 0)
    c = strcmp (x->config, y->config);
  if (c == 0)
    c = (x->run_number > y->run_number) - (x->run_number < y->run_number);
  if (c == 0)
    c = (x->id > y->id) - (x->id < y->id);
  return c;
}

static char *
join_names (GPtrArray *names)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < names->len; i++)
    g_string_append_printf (s, "%s%s", i > 0 ? ", " : "", (const char *) g_ptr_array_index (names, i));
  return g_string_free (s, names->len == 0);
}

/* Add name to names unless it is there. */
static void
names_add (GPtrArray *names, const char *name)
{
  if (!g_ptr_array_find_with_equal_func (names, name, g_str_equal, NULL))
    g_ptr_array_add (names, (gpointer) name);
}

static gboolean
names_check (Report *rep, GPtrArray *known, const char *const *wanted, const char *what, GError **error)
{
  for (guint i = 0; wanted != NULL && wanted[i] != NULL; i++)
    if (!g_ptr_array_find_with_equal_func (known, wanted[i], g_str_equal, NULL))
      {
        g_autofree char *names = join_names (known);
        g_set_error (error, RESULTS_REPORT_ERROR, RESULTS_REPORT_ERROR_UNKNOWN_NAME,
                     "%s: no complete run has %s '%s' (%ss: %s)", results_store_path (rep->store), what, wanted[i],
                     what, names != NULL ? names : "-");
        return FALSE;
      }
  return TRUE;
}

/* Keep the runs whose threat is one of `threats` ("none" stands for runs without a threat). */
static gboolean
rep_filter_threats (Report *rep, const char *const *threats, GError **error)
{
  if (threats == NULL)
    return TRUE;
  g_autoptr (GPtrArray) known = g_ptr_array_new ();
  for (guint i = 0; i < rep->runs->len; i++)
    {
      const RepRun *r = g_ptr_array_index (rep->runs, i);
      names_add (known, r->threat != NULL ? r->threat : "none");
    }
  if (!names_check (rep, known, threats, "threat", error))
    return FALSE;
  for (guint i = 0; i < rep->runs->len; i++)
    {
      RepRun *r = g_ptr_array_index (rep->runs, i);
      r->selected = r->selected && strv_has (threats, r->threat != NULL ? r->threat : "none");
    }
  return TRUE;
}

/*
 * Keep the runs that have every mitigation of `mitigations` switched on
 * ("none" stands for runs without any). run.mitigations is a comma-separated
 * list; an empty one is the same as none.
 */
static gboolean
rep_filter_mitigations (Report *rep, const char *const *mitigations, GError **error)
{
  if (mitigations == NULL)
    return TRUE;
  g_autoptr (GPtrArray) known = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) lists = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  for (guint i = 0; i < rep->runs->len; i++)
    {
      const RepRun *r = g_ptr_array_index (rep->runs, i);
      char **list = g_strsplit (r->mitigations != NULL && *r->mitigations != '\0' ? r->mitigations : "none", ",", -1);
      for (guint k = 0; list[k] != NULL; k++)
        if (!g_ptr_array_find_with_equal_func (known, list[k], g_str_equal, NULL))
          g_ptr_array_add (known, g_strdup (list[k]));
      g_ptr_array_add (lists, list);
    }
  if (!names_check (rep, known, mitigations, "mitigation", error))
    return FALSE;
  for (guint i = 0; i < rep->runs->len; i++)
    {
      RepRun *r = g_ptr_array_index (rep->runs, i);
      for (guint k = 0; r->selected && mitigations[k] != NULL; k++)
        r->selected = strv_has ((const char *const *) g_ptr_array_index (lists, i), mitigations[k]);
    }
  return TRUE;
}

/* Apply the config, threat, mitigation and where filters; fix the grouping variables. */
static gboolean
rep_select (Report *rep, const ResultsReportOptions *opt, GError **error)
{
  g_ptr_array_sort (rep->runs, run_order);
  g_autoptr (GPtrArray) configs = g_ptr_array_new ();
  for (guint i = 0; i < rep->runs->len; i++)
    {
      RepRun *r = g_ptr_array_index (rep->runs, i);
      if (!g_ptr_array_find_with_equal_func (configs, r->config, g_str_equal, NULL))
        g_ptr_array_add (configs, (gpointer) r->config);
      r->selected = opt->configs == NULL || strv_has (opt->configs, r->config);
      for (guint j = 0; r->selected && j < r->params->len; j++)
        {
          const char *name = g_array_index (r->params, ResultsPair, j).name;
          if (!g_ptr_array_find_with_equal_func (rep->all_vars, name, g_str_equal, NULL))
            g_ptr_array_add (rep->all_vars, (gpointer) name);
        }
    }
  for (guint i = 0; opt->configs != NULL && opt->configs[i] != NULL; i++)
    if (!g_ptr_array_find_with_equal_func (configs, opt->configs[i], g_str_equal, NULL))
      {
        g_autofree char *known = join_names (configs);
        g_set_error (error, RESULTS_REPORT_ERROR, RESULTS_REPORT_ERROR_UNKNOWN_NAME,
                     "%s: no complete run of config '%s' (configs: %s)", results_store_path (rep->store),
                     opt->configs[i], known != NULL ? known : "none");
        return FALSE;
      }
  if (!rep_filter_threats (rep, opt->threats, error) || !rep_filter_mitigations (rep, opt->mitigations, error))
    return FALSE;
  g_autofree char *known_vars = join_names (rep->all_vars);
  for (guint i = 0; opt->where != NULL && opt->where[i] != NULL; i++)
    {
      const char *eq = strchr (opt->where[i], '=');
      if (eq == NULL || eq == opt->where[i])
        {
          g_set_error (error, RESULTS_REPORT_ERROR, RESULTS_REPORT_ERROR_BAD_FILTER,
                       "--where '%s': expected VARIABLE=VALUE", opt->where[i]);
          return FALSE;
        }
      g_autofree char *name = g_strndup (opt->where[i], eq - opt->where[i]);
      if (!g_ptr_array_find_with_equal_func (rep->all_vars, name, g_str_equal, NULL))
        {
          g_set_error (error, RESULTS_REPORT_ERROR, RESULTS_REPORT_ERROR_UNKNOWN_NAME,
                       "%s: --where: no selected run has a variable '%s' (variables: %s)",
                       results_store_path (rep->store), name, known_vars != NULL ? known_vars : "none");
          return FALSE;
        }
      for (guint j = 0; j < rep->runs->len; j++)
        {
          RepRun *r = g_ptr_array_index (rep->runs, j);
          r->selected = r->selected && g_strcmp0 (run_param (r, name), eq + 1) == 0;
        }
    }
  if (opt->by == NULL)
    {
      for (guint i = 0; i < rep->all_vars->len; i++)
        g_ptr_array_add (rep->vars, g_ptr_array_index (rep->all_vars, i));
      return TRUE;
    }
  for (guint i = 0; opt->by[i] != NULL; i++)
    {
      if (!g_ptr_array_find_with_equal_func (rep->all_vars, opt->by[i], g_str_equal, NULL))
        {
          g_set_error (error, RESULTS_REPORT_ERROR, RESULTS_REPORT_ERROR_UNKNOWN_NAME,
                       "%s: --by: no selected run has a variable '%s' (variables: %s)",
                       results_store_path (rep->store), opt->by[i], known_vars != NULL ? known_vars : "none");
          return FALSE;
        }
      if (!g_ptr_array_find_with_equal_func (rep->vars, opt->by[i], g_str_equal, NULL))
        g_ptr_array_add (rep->vars, (gpointer) g_string_chunk_insert_const (rep->strings, opt->by[i]));
    }
  return TRUE;
}

/* Append s to key, length-prefixed so that no two different tuples give the same key. */
static void
key_add (GString *key, const char *s)
{
  if (s == NULL)
    g_string_append (key, "-;");
  else
    g_string_append_printf (key, "%zu:%s;", strlen (s), s);
}

/* Assign every selected run to its group. */
static void
rep_group_runs (Report *rep)
{
  g_autoptr (GHashTable) group_by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GString) key = g_string_new (NULL);
  for (guint i = 0; i < rep->runs->len; i++)
    {
      RepRun *r = g_ptr_array_index (rep->runs, i);
      if (!r->selected)
        continue;
      g_string_truncate (key, 0);
      key_add (key, r->scenario);
      key_add (key, r->config);
      key_add (key, r->threat);
      key_add (key, r->mitigations);
      for (guint v = 0; v < rep->vars->len; v++)
        key_add (key, run_param (r, g_ptr_array_index (rep->vars, v)));
      gpointer index;
      if (g_hash_table_lookup_extended (group_by_key, key->str, NULL, &index))
        {
          r->group = GPOINTER_TO_UINT (index);
          continue;
        }
      RepGroup *g = g_new0 (RepGroup, 1);
      g->first = r;
      g->values = g_new0 (const char *, rep->vars->len + 1);
      for (guint v = 0; v < rep->vars->len; v++)
        g->values[v] = run_param (r, g_ptr_array_index (rep->vars, v));
      r->group = rep->groups->len;
      g_ptr_array_add (rep->groups, g);
      g_hash_table_insert (group_by_key, g_strdup (key->str), GUINT_TO_POINTER (r->group));
    }
}

static gboolean
metric_selected (const ResultsReportOptions *opt, const char *name)
{
  if (opt->metrics == NULL)
    return TRUE;
  for (guint i = 0; opt->metrics[i] != NULL; i++)
    if (g_pattern_match_simple (opt->metrics[i], name))
      return TRUE;
  return FALSE;
}

static void
rep_add_value (Report *rep, const RepRun *r, const char *module, const char *metric, double value, const char *unit)
{
  g_autoptr (GString) key = g_string_new (NULL);
  g_string_printf (key, "%u;", r->group);
  key_add (key, module);
  key_add (key, metric);
  RepCell *c = g_hash_table_lookup (rep->cell_by_key, key->str);
  if (c == NULL)
    {
      c = g_new0 (RepCell, 1);
      c->group = r->group;
      c->module = module;
      c->metric = metric;
      c->values = g_array_new (FALSE, FALSE, sizeof (RepValue));
      g_ptr_array_add (rep->cells, c);
      g_hash_table_insert (rep->cell_by_key, g_string_free (g_steal_pointer (&key), FALSE), c);
    }
  RepValue v = { r->run_number, value, unit };
  g_array_append_val (c->values, v);
}

/* Read the scalars, or the means of the statistics, of the selected runs into cells. */
static gboolean
rep_load_values (Report *rep, const ResultsReportOptions *opt, gboolean statistics, GError **error)
{
  sqlite3_stmt *st = rep_prepare (rep, statistics ? "SELECT run_id, module, name, mean, unit FROM statistic"
                                                  : "SELECT run_id, module, name, value, unit FROM scalar", error);
  if (st == NULL)
    return FALSE;
  int rc;
  g_autoptr (GString) metric = g_string_new (NULL);
  while (rep_next (st, &rc))
    {
      gint64 id = sqlite3_column_int64 (st, 0);
      const RepRun *r = g_hash_table_lookup (rep->run_by_id, &id);
      const char *name = (const char *) sqlite3_column_text (st, 2);
      if (r == NULL || !r->selected || sqlite3_column_type (st, 3) == SQLITE_NULL || name == NULL
          || sqlite3_column_type (st, 1) == SQLITE_NULL || !metric_selected (opt, name))
        continue;
      g_string_assign (metric, name);
      if (statistics)
        g_string_append (metric, ":mean");
      rep_add_value (rep, r, rep_intern (rep, sqlite3_column_text (st, 1)),
                     g_string_chunk_insert_const (rep->strings, metric->str), sqlite3_column_double (st, 3),
                     rep_intern (rep, sqlite3_column_text (st, 4)));
    }
  return rep_check_done (rep, st, rc, statistics ? "reading the statistics" : "reading the scalars", error);
}

/*
 * Order variable values: values that start with a number come first, by that
 * number, then by the rest; other values by bytes. A missing value comes first.
 */
static int
value_cmp (const char *a, const char *b)
{
  if (a == NULL || b == NULL)
    return (a != NULL) - (b != NULL);
  char *ea, *eb;
  double x = g_ascii_strtod (a, &ea), y = g_ascii_strtod (b, &eb);
  gboolean na = ea != a, nb = eb != b;
  if (na != nb)
    return na ? -1 : 1;
  if (na && x != y && !isnan (x) && !isnan (y))
    return x < y ? -1 : 1;
  return strcmp (a, b);
}

static int
group_cmp (const Report *rep, guint ga, guint gb)
{
  const RepGroup *a = g_ptr_array_index (rep->groups, ga), *b = g_ptr_array_index (rep->groups, gb);
  int c = strcmp (a->first->scenario, b->first->scenario);
  if (c == 0)
    c = strcmp (a->first->config, b->first->config);
  if (c == 0)
    c = g_strcmp0 (a->first->threat, b->first->threat);
  if (c == 0)
    c = g_strcmp0 (a->first->mitigations, b->first->mitigations);
  for (guint v = 0; c == 0 && v < rep->vars->len; v++)
    c = value_cmp (a->values[v], b->values[v]);
  return c;
}

static int
cell_cmp (gconstpointer pa, gconstpointer pb, gpointer user_data)
{
  const RepCell *a = *(const RepCell *const *) pa, *b = *(const RepCell *const *) pb;
  int c = a->group == b->group ? 0 : group_cmp (user_data, a->group, b->group);
  if (c == 0)
    c = strcmp (a->module, b->module);
  if (c == 0)
    c = strcmp (a->metric, b->metric);
  return c;
}

static int
value_order (gconstpointer pa, gconstpointer pb)
{
  const RepValue *a = pa, *b = pb;
  if (a->run_number != b->run_number)
    return a->run_number < b->run_number ? -1 : 1;
  return (a->value > b->value) - (a->value < b->value);
}

/* One output row, formatted per format. */
typedef struct {
  const RepGroup       *group;
  const RepCell        *cell;
  const char           *unit;   /* of the run with the lowest run number */
  ResultsReportSummary  sum;
} RepRow;

/*
 * The shortest decimal that reads back as v (finite), in fixed notation for
 * exponents -4 .. 15 and in exponent notation otherwise: 10 is "10", 0.1 is
 * "0.1", 1/3 is "0.3333333333333333", 1e300 is "1e+300".
 */
void
results_report_append_exact (GString *out, double v)
{
  g_return_if_fail (out != NULL && isfinite (v));
  char buf[G_ASCII_DTOSTR_BUF_SIZE], fmt[16];
  int digits;
  for (digits = 1; digits < 17; digits++)
    {
      g_snprintf (fmt, sizeof fmt, "%%.%de", digits - 1);
      g_ascii_formatd (buf, sizeof buf, fmt, v);
      if (g_ascii_strtod (buf, NULL) == v)
        break;
    }
  g_snprintf (fmt, sizeof fmt, "%%.%de", digits - 1);
  g_ascii_formatd (buf, sizeof buf, fmt, v);
  int exponent = atoi (strchr (buf, 'e') + 1);
  if (exponent >= -4 && exponent < 16)
    {
      g_snprintf (fmt, sizeof fmt, "%%.%df", MAX (digits - 1 - exponent, 0));
      g_ascii_formatd (buf, sizeof buf, fmt, v);
    }
  g_string_append (out, buf);
}

static void
csv_field (GString *out, const char *s, gboolean first)
{
  if (!first)
    g_string_append_c (out, ',');
  if (s == NULL)
    return;
  if (strpbrk (s, ",\"\r\n") == NULL)
    {
      g_string_append (out, s);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = s; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
csv_number (GString *out, double v)
{
  g_string_append_c (out, ',');
  if (isnan (v))
    return;
  if (isinf (v))
    g_string_append (out, v > 0 ? "inf" : "-inf");
  else
    results_report_append_exact (out, v);
}

static void
write_csv (const Report *rep, GArray *rows, GString *out)
{
  csv_field (out, "scenario", TRUE);
  csv_field (out, "config", FALSE);
  csv_field (out, "threat", FALSE);
  csv_field (out, "mitigations", FALSE);
  for (guint v = 0; v < rep->vars->len; v++)
    csv_field (out, g_ptr_array_index (rep->vars, v), FALSE);
  g_string_append (out, ",module,metric,unit,n,mean,stddev,ci95,min,max\n");
  for (guint i = 0; i < rows->len; i++)
    {
      const RepRow *row = &g_array_index (rows, RepRow, i);
      const RepRun *first = row->group->first;
      csv_field (out, first->scenario, TRUE);
      csv_field (out, first->config, FALSE);
      csv_field (out, first->threat, FALSE);
      csv_field (out, first->mitigations, FALSE);
      for (guint v = 0; v < rep->vars->len; v++)
        csv_field (out, row->group->values[v], FALSE);
      csv_field (out, row->cell->module, FALSE);
      csv_field (out, row->cell->metric, FALSE);
      csv_field (out, row->unit, FALSE);
      g_string_append_printf (out, ",%u", row->sum.n);
      csv_number (out, row->sum.mean);
      csv_number (out, row->sum.stddev);
      csv_number (out, row->sum.ci95);
      csv_number (out, row->sum.min);
      csv_number (out, row->sum.max);
      g_string_append_c (out, '\n');
    }
}

static void
json_string (GString *out, const char *s)
{
  if (s == NULL)
    {
      g_string_append (out, "null");
      return;
    }
  g_autofree char *valid = g_utf8_make_valid (s, -1);
  g_string_append_c (out, '"');
  for (const char *p = valid; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;
      if (c == '"' || c == '\\')
        g_string_append_printf (out, "\\%c", c);
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, (char) c);
    }
  g_string_append_c (out, '"');
}

static void
json_member (GString *out, const char *name, const char *value)
{
  g_string_append (out, ", ");
  json_string (out, name);
  g_string_append (out, ": ");
  json_string (out, value);
}

static void
json_number (GString *out, const char *name, double v)
{
  g_string_append_printf (out, ", \"%s\": ", name);
  if (isfinite (v))
    results_report_append_exact (out, v);
  else
    g_string_append (out, "null");
}

static void
write_json (const Report *rep, GArray *rows, GString *out)
{
  g_string_append (out, "{\n  \"variables\": [");
  for (guint v = 0; v < rep->vars->len; v++)
    {
      if (v > 0)
        g_string_append (out, ", ");
      json_string (out, g_ptr_array_index (rep->vars, v));
    }
  g_string_append (out, "],\n  \"rows\": [");
  for (guint i = 0; i < rows->len; i++)
    {
      const RepRow *row = &g_array_index (rows, RepRow, i);
      const RepRun *first = row->group->first;
      g_string_append (out, i > 0 ? ",\n    {" : "\n    {");
      g_string_append (out, "\"scenario\": ");
      json_string (out, first->scenario);
      json_member (out, "config", first->config);
      json_member (out, "threat", first->threat);
      json_member (out, "mitigations", first->mitigations);
      g_string_append (out, ", \"variables\": {");
      for (guint v = 0; v < rep->vars->len; v++)
        {
          if (v > 0)
            g_string_append (out, ", ");
          json_string (out, g_ptr_array_index (rep->vars, v));
          g_string_append (out, ": ");
          json_string (out, row->group->values[v]);
        }
      g_string_append_c (out, '}');
      json_member (out, "module", row->cell->module);
      json_member (out, "metric", row->cell->metric);
      json_member (out, "unit", row->unit);
      g_string_append_printf (out, ", \"n\": %u", row->sum.n);
      json_number (out, "mean", row->sum.mean);
      json_number (out, "stddev", row->sum.stddev);
      json_number (out, "ci95", row->sum.ci95);
      json_number (out, "min", row->sum.min);
      json_number (out, "max", row->sum.max);
      g_string_append_c (out, '}');
    }
  g_string_append (out, rows->len > 0 ? "\n  ]\n}\n" : "]\n}\n");
}

/* A table column: its header, whether numbers (right-aligned), whether shown. */
typedef struct {
  const char *header;
  gboolean    numeric;
  gboolean    shown;
  guint       width;
} TableColumn;

static char *
table_number (double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (isnan (v))
    return g_strdup ("-");
  if (isinf (v))
    return g_strdup (v > 0 ? "inf" : "-inf");
  return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.6g", v));
}

static void
write_table (const Report *rep, GArray *rows, GString *out)
{
  enum { C_SCENARIO, C_CONFIG, C_THREAT, C_MITIGATIONS, C_FIXED };
  static const char *const tail[] = { "module", "metric", "unit", "n", "mean", "stddev", "ci95", "min", "max" };
  guint n_cols = C_FIXED + rep->vars->len + G_N_ELEMENTS (tail);
  guint first_tail = C_FIXED + rep->vars->len;
  g_autofree TableColumn *cols = g_new0 (TableColumn, n_cols);
  cols[C_SCENARIO].header = "scenario";
  cols[C_CONFIG].header = "config";
  cols[C_THREAT].header = "threat";
  cols[C_MITIGATIONS].header = "mitigations";
  for (guint v = 0; v < rep->vars->len; v++)
    cols[C_FIXED + v].header = g_ptr_array_index (rep->vars, v);
  for (guint t = 0; t < G_N_ELEMENTS (tail); t++)
    {
      cols[first_tail + t].header = tail[t];
      cols[first_tail + t].numeric = t >= 3;
    }
  /* cells[row * n_cols + col]; "-" for missing values */
  g_autoptr (GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < rows->len; i++)
    {
      const RepRow *row = &g_array_index (rows, RepRow, i);
      const RepRun *first = row->group->first;
      const char *text[] = { first->scenario, first->config, first->threat, first->mitigations };
      for (guint c = 0; c < C_FIXED; c++)
        g_ptr_array_add (cells, g_strdup (text[c] != NULL ? text[c] : "-"));
      for (guint v = 0; v < rep->vars->len; v++)
        g_ptr_array_add (cells, g_strdup (row->group->values[v] != NULL ? row->group->values[v] : "-"));
      g_ptr_array_add (cells, g_strdup (row->cell->module));
      g_ptr_array_add (cells, g_strdup (row->cell->metric));
      g_ptr_array_add (cells, g_strdup (row->unit != NULL ? row->unit : "-"));
      g_ptr_array_add (cells, g_strdup_printf ("%u", row->sum.n));
      double nums[] = { row->sum.mean, row->sum.stddev, row->sum.ci95, row->sum.min, row->sum.max };
      for (guint k = 0; k < G_N_ELEMENTS (nums); k++)
        g_ptr_array_add (cells, table_number (nums[k]));
    }
  /* Shown: every column, except threat and mitigations when no row has one, and the
   * scenario when all rows come from one scenario. */
  for (guint c = 0; c < n_cols; c++)
    cols[c].shown = TRUE;
  gboolean any_threat = FALSE, any_mitigations = FALSE, several_scenarios = FALSE;
  for (guint i = 0; i < rows->len; i++)
    {
      const RepRun *first = g_array_index (rows, RepRow, i).group->first;
      any_threat |= first->threat != NULL;
      any_mitigations |= first->mitigations != NULL;
      several_scenarios |= strcmp (first->scenario, g_array_index (rows, RepRow, 0).group->first->scenario) != 0;
    }
  cols[C_SCENARIO].shown = several_scenarios;
  cols[C_THREAT].shown = any_threat;
  cols[C_MITIGATIONS].shown = any_mitigations;
  for (guint c = 0; c < n_cols; c++)
    {
      cols[c].width = g_utf8_strlen (cols[c].header, -1);
      for (guint i = 0; i < rows->len; i++)
        cols[c].width = MAX (cols[c].width, (guint) g_utf8_strlen (g_ptr_array_index (cells, i * n_cols + c), -1));
    }
  for (guint i = 0; i <= rows->len; i++)
    {
      gboolean started = FALSE;
      for (guint c = 0; c < n_cols; c++)
        {
          if (!cols[c].shown)
            continue;
          const char *s = i == 0 ? cols[c].header : g_ptr_array_index (cells, (i - 1) * n_cols + c);
          guint pad = cols[c].width - g_utf8_strlen (s, -1);
          if (started)
            g_string_append (out, "  ");
          started = TRUE;
          if (cols[c].numeric)
            g_string_append_printf (out, "%*s%s", (int) pad, "", s);
          else
            g_string_append_printf (out, "%s%*s", s, (int) pad, "");
        }
      g_string_append_c (out, '\n');
    }
}

/*
 * Read, filter and group the complete runs of `store` and summarize every
 * cell into `rows` (of RepRow, in the report's order); `rep` keeps what the
 * rows point to until report_clear.
 */
static gboolean
report_build (Report *rep, ResultsStore *store, const ResultsReportOptions *options, GArray *rows, GError **error)
{
  *rep = (Report) {
    .store = store,
    .strings = g_string_chunk_new (4096),
    .runs = g_ptr_array_new_with_free_func (rep_run_free),
    .run_by_id = g_hash_table_new (g_int64_hash, g_int64_equal),
    .vars = g_ptr_array_new (),
    .all_vars = g_ptr_array_new (),
    .groups = g_ptr_array_new_with_free_func (rep_group_free),
    .cells = g_ptr_array_new_with_free_func (rep_cell_free),
    .cell_by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
  };
  if (!rep_load_runs (rep, error) || !rep_select (rep, options, error))
    return FALSE;
  rep_group_runs (rep);
  if (!rep_load_values (rep, options, FALSE, error) || !rep_load_values (rep, options, TRUE, error))
    return FALSE;
  g_ptr_array_sort_with_data (rep->cells, cell_cmp, rep);
  g_autoptr (GArray) values = g_array_new (FALSE, FALSE, sizeof (double));
  for (guint i = 0; i < rep->cells->len; i++)
    {
      RepCell *c = g_ptr_array_index (rep->cells, i);
      g_array_sort (c->values, value_order);
      g_array_set_size (values, 0);
      for (guint k = 0; k < c->values->len; k++)
        g_array_append_val (values, g_array_index (c->values, RepValue, k).value);
      RepRow row = { g_ptr_array_index (rep->groups, c->group), c, g_array_index (c->values, RepValue, 0).unit };
      results_report_summarize ((const double *) values->data, values->len, &row.sum);
      g_array_append_val (rows, row);
    }
  return TRUE;
}

gboolean
results_report_foreach (ResultsStore *store, const ResultsReportOptions *options, ResultsReportRowFunc func,
                        gpointer user_data, GError **error)
{
  g_return_val_if_fail (store != NULL && options != NULL && func != NULL, FALSE);
  Report rep;
  g_autoptr (GArray) rows = g_array_new (FALSE, FALSE, sizeof (RepRow));
  if (!report_build (&rep, store, options, rows, error))
    {
      report_clear (&rep);
      return FALSE;
    }
  g_ptr_array_add (rep.vars, NULL);
  const char *const *variables = (const char *const *) rep.vars->pdata;
  for (guint i = 0; i < rows->len; i++)
    {
      const RepRow *r = &g_array_index (rows, RepRow, i);
      const RepRun *first = r->group->first;
      ResultsReportRow row = {
        first->scenario, first->config, first->threat, first->mitigations,
        (const char *const *) r->group->values, r->cell->module, r->cell->metric, r->unit, r->sum,
      };
      func (variables, &row, user_data);
    }
  report_clear (&rep);
  return TRUE;
}

gboolean
results_report_write (ResultsStore *store, const ResultsReportOptions *options, GString *out, GError **error)
{
  g_return_val_if_fail (store != NULL && options != NULL && out != NULL, FALSE);
  Report rep;
  g_autoptr (GArray) rows = g_array_new (FALSE, FALSE, sizeof (RepRow));
  if (!report_build (&rep, store, options, rows, error))
    {
      report_clear (&rep);
      return FALSE;
    }
  switch (options->format)
    {
    case RESULTS_REPORT_TABLE:
      write_table (&rep, rows, out);
      break;
    case RESULTS_REPORT_CSV:
      write_csv (&rep, rows, out);
      break;
    case RESULTS_REPORT_JSON:
      write_json (&rep, rows, out);
      break;
    default:
      g_assert_not_reached ();
    }
  report_clear (&rep);
  return TRUE;
}
