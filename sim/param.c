/*
 * sim/param.c - the parameter table, value parsing and range checks.
 *
 * The table is a hash from key to declaration; "did you mean" uses the
 * Damerau-free Levenshtein distance over all keys (O(keys x len^2), only on
 * an error path). SimParams keeps values in a hash keyed by the declared key.
 */
#include "config.h"

#include "sim/param.h"

#include <math.h>
#include <string.h>

/* The values of a hash table in a new array (GLib 2.74 lacks g_hash_table_get_values_as_ptr_array). */
static GPtrArray *
hash_values (GHashTable *h)
{
  GPtrArray *all = g_ptr_array_sized_new (g_hash_table_size (h));
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, h);
  while (g_hash_table_iter_next (&it, NULL, &v))
    g_ptr_array_add (all, v);
  return all;
}

struct SimParamTable {
  GHashTable *by_key;  /* const char* -> const SimParamDecl* */
};

struct SimParams {
  const SimParamTable *table;
  GHashTable *values;  /* const char* key -> SimParamValue*, owned */
};

SimParamTable *
sim_param_table_new (void)
{
  SimParamTable *t = g_new0 (SimParamTable, 1);
  t->by_key = g_hash_table_new (g_str_hash, g_str_equal);
  return t;
}

void
sim_param_table_free (SimParamTable *t)
{
  if (t == NULL)
    return;
  g_hash_table_unref (t->by_key);
  g_free (t);
}

void
sim_param_table_add (SimParamTable *t, const SimParamDecl *decls, gsize n)
{
  for (gsize i = 0; i < n; i++)
    {
      if (g_hash_table_contains (t->by_key, decls[i].key))
        g_error ("sim_param_table_add: parameter '%s' declared twice", decls[i].key);
      g_hash_table_insert (t->by_key, (gpointer) decls[i].key, (gpointer) &decls[i]);
    }
}

const SimParamDecl *
sim_param_table_lookup (const SimParamTable *t, const char *key)
{
  return g_hash_table_lookup (t->by_key, key);
}

static guint
edit_distance (const char *a, const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  g_autofree guint *row = g_new (guint, lb + 1);
  for (gsize j = 0; j <= lb; j++)
    row[j] = (guint) j;
  for (gsize i = 1; i <= la; i++)
    {
      guint diag = row[0];
      row[0] = (guint) i;
      for (gsize j = 1; j <= lb; j++)
        {
          guint up = row[j];
          guint best = diag + (a[i - 1] == b[j - 1] ? 0 : 1);
          best = MIN (best, up + 1);
          best = MIN (best, row[j - 1] + 1);
          row[j] = best;
          diag = up;
        }
    }
  return row[lb];
}

const char *
sim_param_table_suggest (const SimParamTable *t, const char *key)
{
  g_autoptr (GPtrArray) all = sim_param_table_sorted (t);
  const char *best = NULL;
  guint best_d = G_MAXUINT;
  for (guint i = 0; i < all->len; i++)
    {
      const SimParamDecl *d = all->pdata[i];
      guint dist = edit_distance (key, d->key);
      if (dist < best_d)
        {
          best_d = dist;
          best = d->key;
        }
    }
  /* Close enough: a third of the key's length, at least 2 edits. */
  guint limit = MAX (2, (guint) strlen (key) / 3);
  return best_d <= limit ? best : NULL;
}

static gint
decl_cmp (gconstpointer a, gconstpointer b)
{
  const SimParamDecl *const *da = a, *const *db = b;
  return strcmp ((*da)->key, (*db)->key);
}

GPtrArray *
sim_param_table_sorted (const SimParamTable *t)
{
  GPtrArray *all = hash_values (t->by_key);
  g_ptr_array_sort (all, decl_cmp);
  return all;
}

const char *
sim_param_type_name (SimParamType type)
{
  switch (type)
    {
    case SIM_PARAM_INT: return "int";
    case SIM_PARAM_DOUBLE: return "number";
    case SIM_PARAM_TIME: return "time";
    case SIM_PARAM_SIZE: return "size";
    case SIM_PARAM_RATE: return "rate";
    case SIM_PARAM_BOOL: return "bool";
    case SIM_PARAM_STRING: return "string";
    case SIM_PARAM_ENUM: return "enum";
    case SIM_PARAM_DIST_TIME: return "time distribution";
    case SIM_PARAM_DIST_SIZE: return "size distribution";
    case SIM_PARAM_DIST: return "distribution";
    }
  g_assert_not_reached ();
}

SimUnitKind
sim_param_type_unit (SimParamType type)
{
  switch (type)
    {
    case SIM_PARAM_TIME:
    case SIM_PARAM_DIST_TIME:
      return SIM_UNIT_TIME;
    case SIM_PARAM_SIZE:
    case SIM_PARAM_DIST_SIZE:
      return SIM_UNIT_SIZE;
    case SIM_PARAM_RATE:
      return SIM_UNIT_RATE;
    default:
      return SIM_UNIT_NONE;
    }
}

static gboolean
check_range (const SimParamDecl *decl, double v, const char *what, GError **error)
{
  if (v >= decl->min && v <= decl->max)
    return TRUE;
  SimUnitKind u = sim_param_type_unit (decl->type);
  g_autofree char *vs = sim_units_format (v, u);
  g_autofree char *lo = sim_units_format (decl->min, u);
  g_autofree char *hi = sim_units_format (decl->max, u);
  if (decl->min > -G_MAXDOUBLE && decl->max < G_MAXDOUBLE)
    g_set_error (error, SIM_UNITS_ERROR, SIM_UNITS_ERROR_RANGE, "%s %s is out of range [%s, %s]", what, vs,
                 lo, hi);
  else if (decl->min > -G_MAXDOUBLE)
    g_set_error (error, SIM_UNITS_ERROR, SIM_UNITS_ERROR_RANGE, "%s %s is below the minimum %s", what, vs, lo);
  else
    g_set_error (error, SIM_UNITS_ERROR, SIM_UNITS_ERROR_RANGE, "%s %s is above the maximum %s", what, vs, hi);
  return FALSE;
}

gboolean
sim_param_parse (const SimParamDecl *decl, const char *text, SimParamValue *out, GError **error)
{
  g_autofree char *t = g_strstrip (g_strdup (text));
  SimParamValue v = { decl, NULL, FALSE, { 0 } };
  double d;
  switch (decl->type)
    {
    case SIM_PARAM_INT:
      {
        gint64 i;
        if (!g_ascii_string_to_signed (t, 10, G_MININT64, G_MAXINT64, &i, NULL))
          {
            g_set_error (error, SIM_UNITS_ERROR, SIM_UNITS_ERROR_SYNTAX, "'%s' is not an integer", t);
            return FALSE;
          }
        if (!check_range (decl, (double) i, "the value", error))
          return FALSE;
        v.v.i = i;
        break;
      }
    case SIM_PARAM_DOUBLE:
    case SIM_PARAM_SIZE:
    case SIM_PARAM_RATE:
      if (!sim_units_parse (t, sim_param_type_unit (decl->type), &d, error)
          || !check_range (decl, d, "the value", error))
        return FALSE;
      v.v.d = d;
      break;
    case SIM_PARAM_TIME:
      if (!sim_units_parse_time (t, &v.v.t, error)
          || !check_range (decl, (double) v.v.t, "the value", error))
        return FALSE;
      break;
    case SIM_PARAM_BOOL:
      if (g_ascii_strcasecmp (t, "true") == 0 || g_ascii_strcasecmp (t, "yes") == 0
          || g_ascii_strcasecmp (t, "on") == 0)
        v.v.b = TRUE;
      else if (g_ascii_strcasecmp (t, "false") == 0 || g_ascii_strcasecmp (t, "no") == 0
               || g_ascii_strcasecmp (t, "off") == 0)
        v.v.b = FALSE;
      else
        {
          g_set_error (error, SIM_UNITS_ERROR, SIM_UNITS_ERROR_SYNTAX,
                       "'%s' is not a boolean (true/false, yes/no, on/off)", t);
          return FALSE;
        }
      break;
    case SIM_PARAM_STRING:
      break;
    case SIM_PARAM_ENUM:
      {
        g_auto (GStrv) words = g_strsplit (decl->choices, ",", -1);
        if (!g_strv_contains ((const char *const *) words, t))
          {
            g_set_error (error, SIM_UNITS_ERROR, SIM_UNITS_ERROR_SYNTAX, "'%s' is not one of: %s", t,
                         decl->choices);
            return FALSE;
          }
        break;
      }
    case SIM_PARAM_DIST_TIME:
    case SIM_PARAM_DIST_SIZE:
    case SIM_PARAM_DIST:
      if (!sim_dist_parse (t, sim_param_type_unit (decl->type), &v.v.dist, error)
          || !check_range (decl, sim_dist_mean (&v.v.dist), "the mean", error))
        return FALSE;
      break;
    }
  v.text = g_steal_pointer (&t);
  *out = v;
  return TRUE;
}

void
sim_param_value_clear (SimParamValue *value)
{
  g_clear_pointer (&value->text, g_free);
}

static void
value_free (gpointer p)
{
  SimParamValue *v = p;
  sim_param_value_clear (v);
  g_free (v);
}

SimParams *
sim_params_new (const SimParamTable *table)
{
  SimParams *p = g_new0 (SimParams, 1);
  p->table = table;
  p->values = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, value_free);
  return p;
}

void
sim_params_free (SimParams *p)
{
  if (p == NULL)
    return;
  g_hash_table_unref (p->values);
  g_free (p);
}

void
sim_params_set (SimParams *p, SimParamValue *value)
{
  SimParamValue *v = g_new (SimParamValue, 1);
  *v = *value;
  value->text = NULL;
  g_hash_table_replace (p->values, (gpointer) v->decl->key, v);
}

const SimParamValue *
sim_params_lookup (const SimParams *p, const char *key)
{
  return g_hash_table_lookup (p->values, key);
}

static const SimParamValue *
get_typed (const SimParams *p, const char *key, SimParamType t1, SimParamType t2, SimParamType t3)
{
  const SimParamValue *v = g_hash_table_lookup (p->values, key);
  if (v == NULL)
    g_error ("sim_params: no value for parameter '%s' (is it declared?)", key);
  if (v->decl->type != t1 && v->decl->type != t2 && v->decl->type != t3)
    g_error ("sim_params: parameter '%s' is a %s, read with the wrong getter", key,
             sim_param_type_name (v->decl->type));
  return v;
}

gint64
sim_params_int (const SimParams *p, const char *key)
{
  return get_typed (p, key, SIM_PARAM_INT, SIM_PARAM_INT, SIM_PARAM_INT)->v.i;
}

double
sim_params_double (const SimParams *p, const char *key)
{
  return get_typed (p, key, SIM_PARAM_DOUBLE, SIM_PARAM_SIZE, SIM_PARAM_RATE)->v.d;
}

SimTime
sim_params_time (const SimParams *p, const char *key)
{
  return get_typed (p, key, SIM_PARAM_TIME, SIM_PARAM_TIME, SIM_PARAM_TIME)->v.t;
}

gboolean
sim_params_bool (const SimParams *p, const char *key)
{
  return get_typed (p, key, SIM_PARAM_BOOL, SIM_PARAM_BOOL, SIM_PARAM_BOOL)->v.b;
}

const char *
sim_params_string (const SimParams *p, const char *key)
{
  return get_typed (p, key, SIM_PARAM_STRING, SIM_PARAM_ENUM, SIM_PARAM_ENUM)->text;
}

const SimDist *
sim_params_dist (const SimParams *p, const char *key)
{
  return &get_typed (p, key, SIM_PARAM_DIST_TIME, SIM_PARAM_DIST_SIZE, SIM_PARAM_DIST)->v.dist;
}

static gint
value_cmp (gconstpointer a, gconstpointer b)
{
  const SimParamValue *const *va = a, *const *vb = b;
  return strcmp ((*va)->decl->key, (*vb)->decl->key);
}

GPtrArray *
sim_params_values (const SimParams *p)
{
  GPtrArray *all = hash_values (p->values);
  g_ptr_array_sort (all, value_cmp);
  return all;
}
