/*
 * sim/scenario.c - loading scenario files and expanding configs into runs.
 *
 * GKeyFile parses the file (groups, keys, escapes). GKeyFile does not report
 * line numbers and keeps the last of duplicate keys silently, so a line scan
 * runs first: it records where each (section, key) is defined, and rejects
 * duplicates and lines that are neither a group, a key = value pair nor a
 * comment, with their line numbers. Both parsers agree on the format because
 * the scan accepts only the subset GKeyFile accepts.
 *
 * Expansion of a config: the section chain is the config, then what it extends
 * (depth first, in the order listed), then [General]; the first definition of
 * a key in the chain wins, and --set overrides win over all. Sweep variables
 * are collected from the winning values in file order; a run's values are the
 * winning texts with every ${...} and $name substituted, then parsed by the
 * declaration of their key.
 *
 * Not here: includes, per-module wildcards (**.x) and constraints between
 * variables; none is needed yet.
 */
#include "config.h"

#include "sim/scenario.h"

#include <string.h>

G_DEFINE_QUARK (sim-scenario-error-quark, sim_scenario_error)

static const SimParamDecl core_params[] = {
  { "description", SIM_PARAM_STRING, "", 0, 0, NULL,
    "One line saying what the config is for; shown by `poolsim run -q configs`." },
  { "extends", SIM_PARAM_STRING, "", 0, 0, NULL,
    "Config(s) this config inherits keys from, comma-separated; [General] is always inherited last." },
  { "repeat", SIM_PARAM_INT, "1", 1, 1000000, NULL,
    "Repetitions of every combination of sweep values, each with its own seed." },
  { "seed-set", SIM_PARAM_STRING, "${runnumber}", 0, 0, NULL,
    "Integer from which the run's seed is derived; ${runnumber} (default) or ${repetition} (same seeds "
    "across configs and sweep values: common random numbers)." },
  { "sim-time-limit", SIM_PARAM_TIME, "0s", 0, 9.2e18, NULL,
    "Simulated time at which the run ends; 0s = when no events are left." },
  { "warmup-period", SIM_PARAM_TIME, "0s", 0, 9.2e18, NULL,
    "Simulated time before which statistics are not collected (transient phase)." },
};

const SimParamDecl *
sim_scenario_core_params (gsize *n)
{
  *n = G_N_ELEMENTS (core_params);
  return core_params;
}

/* One key = value as the line scan saw it. */
typedef struct {
  char *section;  /* "General" or the config name */
  char *key;
  char *value;    /* from GKeyFile (unescaped) */
  guint line;     /* 1-based; 0 for --set */
} Entry;

typedef struct {
  char       *name;       /* "General" or the config name */
  guint       line;
  GPtrArray  *entries;    /* Entry*, file order (not owned: in sc->entries) */
} Section;

struct SimScenario {
  char                *path;
  char                *text;
  char                *digest;
  const SimParamTable *table;
  GPtrArray           *sections;   /* Section*, file order */
  GPtrArray           *entries;    /* Entry*, owned, file order */
  GPtrArray           *overrides;  /* Entry*, owned, command-line order */
  GPtrArray           *config_names;
};

/* ---- errors ---------------------------------------------------------------- */

static gboolean G_GNUC_PRINTF (5, 6)
fail_at (GError **error, SimScenarioError code, const SimScenario *sc, const Entry *e, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  if (e == NULL)
    g_set_error (error, SIM_SCENARIO_ERROR, code, "%s: %s", sc->path, msg);
  else if (e->line == 0)
    g_set_error (error, SIM_SCENARIO_ERROR, code, "--set: %s: %s", e->key, msg);
  else
    g_set_error (error, SIM_SCENARIO_ERROR, code, "%s:%u: %s: %s", sc->path, e->line, e->key, msg);
  return FALSE;
}

static gboolean G_GNUC_PRINTF (5, 6)
fail_line (GError **error, SimScenarioError code, const SimScenario *sc, guint line, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, SIM_SCENARIO_ERROR, code, "%s:%u: %s", sc->path, line, msg);
  return FALSE;
}

/* ---- loading ----------------------------------------------------------------- */

static void
entry_free (gpointer p)
{
  Entry *e = p;
  g_free (e->section);
  g_free (e->key);
  g_free (e->value);
  g_free (e);
}

static void
section_free (gpointer p)
{
  Section *s = p;
  g_free (s->name);
  g_ptr_array_unref (s->entries);
  g_free (s);
}

void
sim_scenario_free (SimScenario *sc)
{
  if (sc == NULL)
    return;
  g_free (sc->path);
  g_free (sc->text);
  g_free (sc->digest);
  g_ptr_array_unref (sc->sections);
  g_ptr_array_unref (sc->entries);
  g_ptr_array_unref (sc->overrides);
  g_ptr_array_unref (sc->config_names);
  g_free (sc);
}

static Section *
find_section (const SimScenario *sc, const char *name)
{
  for (guint i = 0; i < sc->sections->len; i++)
    {
      Section *s = sc->sections->pdata[i];
      if (strcmp (s->name, name) == 0)
        return s;
    }
  return NULL;
}

static Entry *
find_entry (const Section *s, const char *key)
{
  for (guint i = 0; i < s->entries->len; i++)
    {
      Entry *e = s->entries->pdata[i];
      if (strcmp (e->key, key) == 0)
        return e;
    }
  return NULL;
}

/* A key GKeyFile accepts and poolsim uses: letters, digits, '.', '-', '_'. */
static gboolean
key_valid (const char *k)
{
  if (*k == '\0')
    return FALSE;
  for (; *k != '\0'; k++)
    if (!g_ascii_isalnum (*k) && *k != '.' && *k != '-' && *k != '_')
      return FALSE;
  return TRUE;
}

static void
update_digest (SimScenario *sc)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, (const guchar *) sc->text, -1);
  for (guint i = 0; i < sc->overrides->len; i++)
    {
      Entry *e = sc->overrides->pdata[i];
      g_autofree char *line = g_strdup_printf ("\n--set %s=%s", e->key, e->value);
      g_checksum_update (sum, (const guchar *) line, -1);
    }
  g_free (sc->digest);
  sc->digest = g_strdup (g_checksum_get_string (sum));
}

static gboolean
check_key_declared (const SimScenario *sc, const Entry *e, GError **error)
{
  if (sim_param_table_lookup (sc->table, e->key) != NULL)
    return TRUE;
  const char *suggestion = sim_param_table_suggest (sc->table, e->key);
  if (suggestion != NULL)
    return fail_at (error, SIM_SCENARIO_ERROR_UNKNOWN_KEY, sc, e,
                    "unknown key (did you mean '%s'?)", suggestion);
  return fail_at (error, SIM_SCENARIO_ERROR_UNKNOWN_KEY, sc, e,
                  "unknown key (`poolsim list params` lists every key)");
}

/* The line scan: sections and the line of every key. */
static gboolean
scan_lines (SimScenario *sc, GError **error)
{
  g_auto (GStrv) lines = g_strsplit (sc->text, "\n", -1);
  Section *cur = NULL;
  for (guint n = 0; lines[n] != NULL; n++)
    {
      guint lineno = n + 1;
      g_autofree char *l = g_strstrip (g_strdup (lines[n]));
      if (*l == '\0' || *l == '#')
        continue;
      if (*l == '[')
        {
          gsize len = strlen (l);
          if (l[len - 1] != ']')
            return fail_line (error, SIM_SCENARIO_ERROR_SYNTAX, sc, lineno, "section header without ']'");
          g_autofree char *name = g_strstrip (g_strndup (l + 1, len - 2));
          const char *config;
          if (strcmp (name, "General") == 0)
            config = "General";
          else if (g_str_has_prefix (name, "Config ") && key_valid (g_strstrip (name + 7)))
            config = name + 7;
          else
            return fail_line (error, SIM_SCENARIO_ERROR_SYNTAX, sc, lineno,
                              "unknown section [%s] (write [General] or [Config NAME], NAME of letters, "
                              "digits, '.', '-', '_')", name);
          if (find_section (sc, config) != NULL)
            return fail_line (error, SIM_SCENARIO_ERROR_SYNTAX, sc, lineno, "section [%s] appears twice",
                              name);
          cur = g_new0 (Section, 1);
          cur->name = g_strdup (config);
          cur->line = lineno;
          cur->entries = g_ptr_array_new ();
          g_ptr_array_add (sc->sections, cur);
          continue;
        }
      const char *eq = strchr (l, '=');
      if (eq == NULL)
        return fail_line (error, SIM_SCENARIO_ERROR_SYNTAX, sc, lineno,
                          "'%s' is not a key = value pair, a [section] or a # comment", l);
      g_autofree char *key = g_strstrip (g_strndup (l, (gsize) (eq - l)));
      if (!key_valid (key))
        return fail_line (error, SIM_SCENARIO_ERROR_SYNTAX, sc, lineno,
                          "bad key '%s' (letters, digits, '.', '-', '_')", key);
      if (cur == NULL)
        return fail_line (error, SIM_SCENARIO_ERROR_SYNTAX, sc, lineno,
                          "key '%s' before any section (start with [General])", key);
      Entry *dup = find_entry (cur, key);
      if (dup != NULL)
        return fail_line (error, SIM_SCENARIO_ERROR_SYNTAX, sc, lineno, "%s: defined twice in [%s%s] "
                          "(first at line %u)", key, strcmp (cur->name, "General") == 0 ? "" : "Config ",
                          cur->name, dup->line);
      Entry *e = g_new0 (Entry, 1);
      e->section = g_strdup (cur->name);
      e->key = g_steal_pointer (&key);
      e->line = lineno;
      g_ptr_array_add (sc->entries, e);
      g_ptr_array_add (cur->entries, e);
    }
  return TRUE;
}

static const char *
group_name (const Section *s, char **tmp)
{
  if (strcmp (s->name, "General") == 0)
    return "General";
  *tmp = g_strconcat ("Config ", s->name, NULL);
  return *tmp;
}

SimScenario *
sim_scenario_load (const char *path, const SimParamTable *table, GError **error)
{
  g_autoptr (SimScenario) sc = g_new0 (SimScenario, 1);
  sc->path = g_strdup (path);
  sc->table = table;
  sc->sections = g_ptr_array_new_with_free_func (section_free);
  sc->entries = g_ptr_array_new_with_free_func (entry_free);
  sc->overrides = g_ptr_array_new_with_free_func (entry_free);
  sc->config_names = g_ptr_array_new ();
  g_autoptr (GError) local = NULL;
  if (!g_file_get_contents (path, &sc->text, NULL, &local))
    {
      g_set_error (error, SIM_SCENARIO_ERROR, SIM_SCENARIO_ERROR_IO, "%s", local->message);
      return NULL;
    }
  if (!g_utf8_validate (sc->text, -1, NULL))
    {
      fail_at (error, SIM_SCENARIO_ERROR_SYNTAX, sc, NULL, "not UTF-8 text");
      return NULL;
    }
  if (!scan_lines (sc, error))
    return NULL;
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  if (!g_key_file_load_from_data (kf, sc->text, (gsize) -1, G_KEY_FILE_NONE, &local))
    {
      fail_at (error, SIM_SCENARIO_ERROR_SYNTAX, sc, NULL, "%s", local->message);
      return NULL;
    }
  for (guint i = 0; i < sc->sections->len; i++)
    {
      Section *s = sc->sections->pdata[i];
      g_autofree char *tmp = NULL;
      const char *group = group_name (s, &tmp);
      g_ptr_array_add (sc->config_names, s->name);
      for (guint j = 0; j < s->entries->len; j++)
        {
          Entry *e = s->entries->pdata[j];
          e->value = g_key_file_get_value (kf, group, e->key, &local);
          if (e->value == NULL)
            {
              fail_at (error, SIM_SCENARIO_ERROR_SYNTAX, sc, e, "%s", local->message);
              return NULL;
            }
          if (!check_key_declared (sc, e, error))
            return NULL;
          if (strcmp (e->key, "extends") == 0 && strcmp (s->name, "General") == 0)
            {
              fail_at (error, SIM_SCENARIO_ERROR_EXTENDS, sc, e, "[General] cannot extend a config");
              return NULL;
            }
        }
    }
  /* Every extends target must exist; cycles are found when a chain is built. */
  for (guint i = 0; i < sc->entries->len; i++)
    {
      Entry *e = sc->entries->pdata[i];
      if (strcmp (e->key, "extends") != 0)
        continue;
      g_auto (GStrv) targets = g_strsplit (e->value, ",", -1);
      for (guint t = 0; targets[t] != NULL; t++)
        {
          char *name = g_strstrip (targets[t]);
          if (*name == '\0' || strcmp (name, "General") == 0 || find_section (sc, name) == NULL)
            {
              fail_at (error, SIM_SCENARIO_ERROR_EXTENDS, sc, e, "no config '%s' to extend", name);
              return NULL;
            }
        }
    }
  update_digest (sc);
  return g_steal_pointer (&sc);
}

gboolean
sim_scenario_add_override (SimScenario *sc, const char *assignment, GError **error)
{
  const char *eq = strchr (assignment, '=');
  g_autofree char *key = g_strstrip (g_strndup (assignment, eq ? (gsize) (eq - assignment) : strlen (assignment)));
  Entry probe = { NULL, key, NULL, 0 };
  if (eq == NULL)
    return fail_at (error, SIM_SCENARIO_ERROR_SYNTAX, sc, &probe, "write --set KEY=VALUE");
  if (!check_key_declared (sc, &probe, error))
    return FALSE;
  if (strcmp (key, "extends") == 0)
    return fail_at (error, SIM_SCENARIO_ERROR_EXTENDS, sc, &probe, "extends cannot be overridden");
  for (guint i = 0; i < sc->overrides->len; i++)
    {
      Entry *o = sc->overrides->pdata[i];
      if (strcmp (o->key, key) == 0)
        g_ptr_array_remove_index (sc->overrides, i--);
    }
  Entry *e = g_new0 (Entry, 1);
  e->section = g_strdup ("--set");
  e->key = g_steal_pointer (&key);
  e->value = g_strstrip (g_strdup (eq + 1));
  g_ptr_array_add (sc->overrides, e);
  update_digest (sc);
  return TRUE;
}

const char *
sim_scenario_path (const SimScenario *sc)
{
  return sc->path;
}

const char *
sim_scenario_digest (const SimScenario *sc)
{
  return sc->digest;
}

GPtrArray *
sim_scenario_configs (const SimScenario *sc)
{
  return sc->config_names;
}

const char *
sim_scenario_description (const SimScenario *sc, const char *config)
{
  Section *s = find_section (sc, config);
  Entry *e = s != NULL ? find_entry (s, "description") : NULL;
  return e != NULL ? e->value : NULL;
}

/* ---- the chain of a config ------------------------------------------------------ */

static gboolean
chain_add (const SimScenario *sc, Section *s, GPtrArray *chain, GPtrArray *visiting, GError **error)
{
  Entry *ext = find_entry (s, "extends");
  if (g_ptr_array_find (visiting, s, NULL))
    {
      /* Report it at the extends line that closes the cycle. */
      Entry *closing = find_entry (visiting->pdata[visiting->len - 1], "extends");
      g_autoptr (GString) cycle = g_string_new ("");
      guint from = 0;
      g_ptr_array_find (visiting, s, &from);
      for (guint i = from; i < visiting->len; i++)
        g_string_append_printf (cycle, "%s -> ", ((Section *) visiting->pdata[i])->name);
      g_string_append (cycle, s->name);
      return fail_at (error, SIM_SCENARIO_ERROR_EXTENDS, sc, closing, "extends cycle: %s", cycle->str);
    }
  if (g_ptr_array_find (chain, s, NULL))
    return TRUE; /* reached twice through different extends: keep the first place */
  g_ptr_array_add (chain, s);
  if (ext == NULL)
    return TRUE;
  g_ptr_array_add (visiting, s);
  g_auto (GStrv) targets = g_strsplit (ext->value, ",", -1);
  for (guint t = 0; targets[t] != NULL; t++)
    {
      Section *parent = find_section (sc, g_strstrip (targets[t]));
      if (!chain_add (sc, parent, chain, visiting, error))
        return FALSE;
    }
  g_ptr_array_remove_index (visiting, visiting->len - 1);
  return TRUE;
}

static gint
entry_line_cmp (gconstpointer a, gconstpointer b)
{
  const Entry *ea = *(const Entry *const *) a, *eb = *(const Entry *const *) b;
  return (ea->line > eb->line) - (ea->line < eb->line);
}

/* The winning entries of a config, in file order, then the overrides. (transfer container) */
static GPtrArray *
effective_entries (const SimScenario *sc, const char *config, GError **error)
{
  Section *top = find_section (sc, config);
  if (top == NULL)
    {
      g_autoptr (GString) names = g_string_new ("");
      for (guint i = 0; i < sc->config_names->len; i++)
        g_string_append_printf (names, "%s%s", i ? ", " : "", (char *) sc->config_names->pdata[i]);
      fail_at (error, SIM_SCENARIO_ERROR_NO_CONFIG, sc, NULL, "no config '%s' (configs: %s)", config,
               sc->config_names->len ? names->str : "none");
      return NULL;
    }
  g_autoptr (GPtrArray) chain = g_ptr_array_new ();
  g_autoptr (GPtrArray) visiting = g_ptr_array_new ();
  if (!chain_add (sc, top, chain, visiting, error))
    return NULL;
  Section *general = find_section (sc, "General");
  if (general != NULL && !g_ptr_array_find (chain, general, NULL))
    g_ptr_array_add (chain, general);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *out = g_ptr_array_new ();
  for (guint i = 0; i < sc->overrides->len; i++)
    g_hash_table_add (seen, ((Entry *) sc->overrides->pdata[i])->key);
  for (guint c = 0; c < chain->len; c++)
    {
      Section *s = chain->pdata[c];
      for (guint j = 0; j < s->entries->len; j++)
        {
          Entry *e = s->entries->pdata[j];
          if (strcmp (e->key, "extends") == 0 || strcmp (e->key, "description") == 0
              || g_hash_table_contains (seen, e->key))
            continue;
          g_hash_table_add (seen, e->key);
          g_ptr_array_add (out, e);
        }
    }
  g_ptr_array_sort (out, entry_line_cmp);
  for (guint i = 0; i < sc->overrides->len; i++)
    g_ptr_array_add (out, sc->overrides->pdata[i]);
  return out;
}

/* ---- sweeps ------------------------------------------------------------------------ */

typedef struct {
  char      *name;
  GPtrArray *values;  /* char*, owned */
  const Entry *entry; /* where it is defined */
} SweepVar;

static void
sweep_var_free (gpointer p)
{
  SweepVar *v = p;
  g_free (v->name);
  g_ptr_array_unref (v->values);
  g_free (v);
}

static gboolean
ident_char (char c)
{
  return g_ascii_isalnum (c) || c == '_';
}

/* Split at top-level commas (not inside parentheses). */
static GPtrArray *
split_top_level (const char *s)
{
  GPtrArray *parts = g_ptr_array_new_with_free_func (g_free);
  int depth = 0;
  const char *start = s;
  for (const char *p = s;; p++)
    {
      if (*p == '(')
        depth++;
      else if (*p == ')')
        depth--;
      if (*p == '\0' || (*p == ',' && depth == 0))
        {
          g_ptr_array_add (parts, g_strstrip (g_strndup (start, (gsize) (p - start))));
          if (*p == '\0')
            break;
          start = p + 1;
        }
    }
  return parts;
}

/* "lo..hi [step s]" with an optional common unit suffix. */
static gboolean
expand_range (const SimScenario *sc, const Entry *e, const char *body, GPtrArray *values, GError **error)
{
  const char *dots = strstr (body, "..");
  g_autofree char *lo_s = g_strstrip (g_strndup (body, (gsize) (dots - body)));
  g_autofree char *rest = g_strdup (dots + 2);
  char *step_kw = strstr (rest, "step");
  g_autofree char *step_s = g_strdup (step_kw != NULL ? g_strstrip (step_kw + 4) : "1");
  if (step_kw != NULL)
    *step_kw = '\0';
  g_autofree char *hi_s = g_strdup (g_strstrip (rest));
  char *end;
  double lo = g_ascii_strtod (lo_s, &end);
  g_autofree char *unit = g_strdup (end);
  if (end == lo_s)
    return fail_at (error, SIM_SCENARIO_ERROR_SWEEP, sc, e, "malformed range '%s': '%s' is not a number "
                    "(write ${NAME=LOW..HIGH step STEP})", body, lo_s);
  double hi = g_ascii_strtod (hi_s, &end);
  if (end == hi_s || strcmp (end, unit) != 0)
    return fail_at (error, SIM_SCENARIO_ERROR_SWEEP, sc, e, "malformed range '%s': '%s' is not a number in "
                    "the unit of '%s'", body, hi_s, lo_s);
  double step = g_ascii_strtod (step_s, &end);
  if (end == step_s || (strcmp (end, unit) != 0 && *end != '\0'))
    return fail_at (error, SIM_SCENARIO_ERROR_SWEEP, sc, e, "malformed range '%s': bad step '%s'", body, step_s);
  if (!(step > 0) || hi < lo)
    return fail_at (error, SIM_SCENARIO_ERROR_SWEEP, sc, e,
                    "malformed range '%s': needs LOW <= HIGH and a positive step", body);
  double count = (hi - lo) / step;
  if (count > 1e6)
    return fail_at (error, SIM_SCENARIO_ERROR_SWEEP, sc, e, "range '%s' has more than a million values", body);
  guint n = (guint) (count + 1e-9) + 1;
  for (guint i = 0; i < n; i++)
    {
      char num[G_ASCII_DTOSTR_BUF_SIZE];
      g_ascii_formatd (num, sizeof num, "%.12g", lo + step * i);
      g_ptr_array_add (values, g_strconcat (num, unit, NULL));
    }
  return TRUE;
}

static gboolean
var_defined (GPtrArray *vars, const char *name)
{
  for (guint i = 0; i < vars->len; i++)
    if (strcmp (((SweepVar *) vars->pdata[i])->name, name) == 0)
      return TRUE;
  return FALSE;
}

/*
 * Find the sweep definitions ${name=...} and ${...} in an entry's value.
 * References ($name, ${name}) are left for substitution.
 */
static gboolean
collect_vars (const SimScenario *sc, const Entry *e, GPtrArray *vars, GError **error)
{
  for (const char *p = e->value; (p = strstr (p, "${")) != NULL;)
    {
      const char *close = strchr (p, '}');
      if (close == NULL)
        return fail_at (error, SIM_SCENARIO_ERROR_SWEEP, sc, e, "'${' without a closing '}'");
      g_autofree char *inner = g_strstrip (g_strndup (p + 2, (gsize) (close - p - 2)));
      p = close + 1;
      const char *eq = strchr (inner, '=');
      const char *q = inner;
      while (ident_char (*q))
        q++;
      if (eq == NULL && *q == '\0')
        continue; /* ${name}: a reference */
      g_autofree char *name = NULL;
      const char *body = inner;
      if (eq != NULL && eq == q && q != inner)
        {
          name = g_strndup (inner, (gsize) (q - inner));
          body = eq + 1;
        }
      else
        name = g_strdup (e->key); /* an unnamed sweep is named after its key */
      if (var_defined (vars, name) || strcmp (name, "runnumber") == 0 || strcmp (name, "repetition") == 0)
        return fail_at (error, SIM_SCENARIO_ERROR_SWEEP, sc, e, "sweep variable '%s' is defined twice", name);
      if (strcmp (e->key, "repeat") == 0)
        return fail_at (error, SIM_SCENARIO_ERROR_SWEEP, sc, e, "repeat cannot be swept");
      SweepVar *v = g_new0 (SweepVar, 1);
      v->name = g_steal_pointer (&name);
      v->values = g_ptr_array_new_with_free_func (g_free);
      v->entry = e;
      g_ptr_array_add (vars, v);
      if (strstr (body, "..") != NULL)
        {
          if (!expand_range (sc, e, body, v->values, error))
            return FALSE;
        }
      else
        {
          g_autoptr (GPtrArray) parts = split_top_level (body);
          for (guint i = 0; i < parts->len; i++)
            {
              if (*(char *) parts->pdata[i] == '\0')
                return fail_at (error, SIM_SCENARIO_ERROR_SWEEP, sc, e,
                                "malformed sweep '${%s}': empty value (write ${NAME=a,b,c})", inner);
              g_ptr_array_add (v->values, g_strdup (parts->pdata[i]));
            }
        }
    }
  return TRUE;
}

typedef struct {
  GPtrArray *entries;   /* Entry*, winning, in order */
  GPtrArray *vars;      /* SweepVar*, owned */
  guint      repeat;
  guint      n_runs;
} Plan;

static void
plan_clear (Plan *plan)
{
  g_clear_pointer (&plan->entries, g_ptr_array_unref);
  g_clear_pointer (&plan->vars, g_ptr_array_unref);
}

static gboolean
plan_build (SimScenario *sc, const char *config, Plan *plan, GError **error)
{
  plan->entries = effective_entries (sc, config, error);
  if (plan->entries == NULL)
    return FALSE;
  plan->vars = g_ptr_array_new_with_free_func (sweep_var_free);
  plan->repeat = 1;
  guint64 combos = 1;
  for (guint i = 0; i < plan->entries->len; i++)
    {
      Entry *e = plan->entries->pdata[i];
      if (!collect_vars (sc, e, plan->vars, error))
        return FALSE;
      if (strcmp (e->key, "repeat") == 0)
        {
          SimParamValue v;
          g_autoptr (GError) local = NULL;
          if (!sim_param_parse (sim_param_table_lookup (sc->table, "repeat"), e->value, &v, &local))
            return fail_at (error, SIM_SCENARIO_ERROR_VALUE, sc, e, "%s", local->message);
          plan->repeat = (guint) v.v.i;
          sim_param_value_clear (&v);
        }
    }
  for (guint i = 0; i < plan->vars->len; i++)
    combos *= ((SweepVar *) plan->vars->pdata[i])->values->len;
  if (combos * plan->repeat > G_MAXINT32)
    return fail_at (error, SIM_SCENARIO_ERROR_SWEEP, sc, NULL, "config '%s' has too many runs (%" G_GUINT64_FORMAT ")",
                    config, combos * plan->repeat);
  plan->n_runs = (guint) (combos * plan->repeat);
  return TRUE;
}

gboolean
sim_scenario_count_runs (SimScenario *sc, const char *config, guint *n_runs, GError **error)
{
  Plan plan = { 0 };
  gboolean ok = plan_build (sc, config, &plan, error);
  if (ok)
    *n_runs = plan.n_runs;
  plan_clear (&plan);
  return ok;
}

/* Replace sweep definitions and references in `value` by the run's values. */
static char *
substitute (const SimScenario *sc, const Entry *e, GPtrArray *vars, guint *choice,
            guint run_number, guint repetition, GError **error)
{
  g_autoptr (GString) out = g_string_new ("");
  for (const char *p = e->value; *p != '\0';)
    {
      if (*p != '$')
        {
          g_string_append_c (out, *p++);
          continue;
        }
      g_autofree char *name = NULL;
      if (p[1] == '{')
        {
          const char *close = strchr (p, '}');
          g_autofree char *inner = g_strstrip (g_strndup (p + 2, (gsize) (close - p - 2)));
          const char *q = inner;
          while (ident_char (*q))
            q++;
          if (*q == '\0')
            name = g_strdup (inner);
          else
            name = (*q == '=' && q != inner) ? g_strndup (inner, (gsize) (q - inner)) : g_strdup (e->key);
          p = close + 1;
        }
      else
        {
          const char *q = p + 1;
          while (ident_char (*q))
            q++;
          if (q == p + 1)
            {
              fail_at (error, SIM_SCENARIO_ERROR_SWEEP, sc, e, "a '$' not followed by a variable name");
              return NULL;
            }
          name = g_strndup (p + 1, (gsize) (q - p - 1));
          p = q;
        }
      if (strcmp (name, "runnumber") == 0)
        g_string_append_printf (out, "%u", run_number);
      else if (strcmp (name, "repetition") == 0)
        g_string_append_printf (out, "%u", repetition);
      else
        {
          guint i;
          for (i = 0; i < vars->len; i++)
            if (strcmp (((SweepVar *) vars->pdata[i])->name, name) == 0)
              break;
          if (i == vars->len)
            {
              fail_at (error, SIM_SCENARIO_ERROR_SWEEP, sc, e, "undefined variable '$%s'", name);
              return NULL;
            }
          SweepVar *v = vars->pdata[i];
          g_string_append (out, v->values->pdata[choice[i]]);
        }
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* The run's seed from its seed-set integer: one splitmix64 step, so nearby seed-sets give unrelated seeds. */
static gboolean
parse_seed_set (const char *text, guint64 *seed)
{
  guint64 seed_set;
  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, &seed_set, NULL))
    return FALSE;
  *seed = sim_rng_splitmix64 (&seed_set);
  return TRUE;
}

void
sim_run_spec_free (SimRunSpec *spec)
{
  if (spec == NULL)
    return;
  g_free (spec->config);
  g_ptr_array_unref (spec->itervars);
  sim_params_free (spec->params);
  g_free (spec);
}

static void
itervar_free (gpointer p)
{
  SimIterVar *v = p;
  g_free (v->name);
  g_free (v->value);
  g_free (v);
}

SimRunSpec *
sim_scenario_run (SimScenario *sc, const char *config, guint run_number, GError **error)
{
  Plan plan = { 0 };
  if (!plan_build (sc, config, &plan, error))
    {
      plan_clear (&plan);
      return NULL;
    }
  if (run_number >= plan.n_runs)
    {
      g_set_error (error, SIM_SCENARIO_ERROR, SIM_SCENARIO_ERROR_RUN,
                   "%s: config '%s' has %u run%s (0..%u); there is no run %u", sc->path, config,
                   plan.n_runs, plan.n_runs == 1 ? "" : "s", plan.n_runs - 1, run_number);
      plan_clear (&plan);
      return NULL;
    }
  g_autoptr (SimRunSpec) spec = g_new0 (SimRunSpec, 1);
  spec->config = g_strdup (config);
  spec->run_number = run_number;
  spec->repetition = run_number % plan.repeat;
  spec->itervars = g_ptr_array_new_with_free_func (itervar_free);
  spec->params = sim_params_new (sc->table);
  g_autofree guint *choice = g_new0 (guint, plan.vars->len + 1);
  guint rest = run_number / plan.repeat;
  for (guint i = plan.vars->len; i-- > 0;)
    {
      SweepVar *v = plan.vars->pdata[i];
      choice[i] = rest % v->values->len;
      rest /= v->values->len;
    }
  for (guint i = 0; i < plan.vars->len; i++)
    {
      SweepVar *v = plan.vars->pdata[i];
      SimIterVar *iv = g_new (SimIterVar, 1);
      iv->name = g_strdup (v->name);
      iv->value = g_strdup (v->values->pdata[choice[i]]);
      g_ptr_array_add (spec->itervars, iv);
    }
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < plan.entries->len; i++)
    {
      Entry *e = plan.entries->pdata[i];
      g_autofree char *text = substitute (sc, e, plan.vars, choice, run_number, spec->repetition, error);
      if (text == NULL)
        {
          ok = FALSE;
          break;
        }
      SimParamValue v;
      g_autoptr (GError) local = NULL;
      if (!sim_param_parse (sim_param_table_lookup (sc->table, e->key), text, &v, &local))
        ok = fail_at (error, SIM_SCENARIO_ERROR_VALUE, sc, e, "%s", local->message);
      else if (strcmp (e->key, "seed-set") == 0 && !parse_seed_set (v.text, &spec->seed))
        {
          ok = fail_at (error, SIM_SCENARIO_ERROR_VALUE, sc, e,
                        "'%s' is not a non-negative integer (write an integer, ${runnumber} or ${repetition})",
                        v.text);
          sim_param_value_clear (&v);
        }
      else
        sim_params_set (spec->params, &v);
    }
  if (ok && sim_params_lookup (spec->params, "seed-set") == NULL)
    {
      /* The default seed-set is ${runnumber}. */
      SimParamValue v = { sim_param_table_lookup (sc->table, "seed-set"),
                          g_strdup_printf ("%u", run_number), TRUE, { 0 } };
      parse_seed_set (v.text, &spec->seed);
      sim_params_set (spec->params, &v);
    }
  plan_clear (&plan);
  if (!ok)
    return NULL;
  /* Defaults for every key the scenario does not set. */
  g_autoptr (GPtrArray) decls = sim_param_table_sorted (sc->table);
  for (guint i = 0; i < decls->len; i++)
    {
      const SimParamDecl *d = decls->pdata[i];
      if (sim_params_lookup (spec->params, d->key) != NULL)
        continue;
      if (d->def == NULL)
        {
          g_set_error (error, SIM_SCENARIO_ERROR, SIM_SCENARIO_ERROR_VALUE,
                       "%s: %s: required key missing in config '%s'", sc->path, d->key, config);
          return NULL;
        }
      SimParamValue v;
      g_autoptr (GError) local = NULL;
      if (!sim_param_parse (d, d->def, &v, &local))
        g_error ("default of parameter '%s' does not parse: %s", d->key, local->message);
      v.is_default = TRUE;
      sim_params_set (spec->params, &v);
    }
  return g_steal_pointer (&spec);
}
