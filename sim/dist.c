/*
 * sim/dist.c - parsing and sampling the scenario distributions.
 */
#include "config.h"

#include "sim/dist.h"

#include <math.h>
#include <string.h>

typedef struct {
  const char *name;
  SimDistKind kind;
  guint n_args;
  const char *usage;
} DistDef;

static const DistDef dist_defs[] = {
  { "constant", SIM_DIST_CONSTANT, 1, "constant(VALUE)" },
  { "uniform", SIM_DIST_UNIFORM, 2, "uniform(LOW, HIGH)" },
  { "exponential", SIM_DIST_EXPONENTIAL, 1, "exponential(MEAN)" },
  { "normal", SIM_DIST_NORMAL, 2, "normal(MEAN, STDDEV)" },
  { "pareto", SIM_DIST_PARETO, 2, "pareto(SHAPE, SCALE)" },
};

static const DistDef *
dist_def_of (SimDistKind kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (dist_defs); i++)
    if (dist_defs[i].kind == kind)
      return &dist_defs[i];
  g_assert_not_reached ();
}

static gboolean
dist_invalid (GError **error, const char *text, const char *why)
{
  g_set_error (error, SIM_UNITS_ERROR, SIM_UNITS_ERROR_RANGE, "'%s': %s", text, why);
  return FALSE;
}

gboolean
sim_dist_parse (const char *text, SimUnitKind unit, SimDist *dist, GError **error)
{
  g_autofree char *t = g_strstrip (g_strdup (text));
  const char *open = strchr (t, '(');
  if (open == NULL)
    {
      /* A bare quantity is a constant. */
      *dist = (SimDist) { SIM_DIST_CONSTANT, unit, 0, 0 };
      return sim_units_parse (t, unit, &dist->a, error);
    }
  g_autofree char *name = g_strstrip (g_strndup (t, (gsize) (open - t)));
  const DistDef *def = NULL;
  for (guint i = 0; i < G_N_ELEMENTS (dist_defs); i++)
    if (strcmp (name, dist_defs[i].name) == 0)
      def = &dist_defs[i];
  if (def == NULL)
    {
      g_set_error (error, SIM_UNITS_ERROR, SIM_UNITS_ERROR_SYNTAX,
                   "unknown distribution '%s' in '%s' (known: constant, uniform, exponential, normal, pareto)",
                   name, t);
      return FALSE;
    }
  gsize len = strlen (t);
  if (t[len - 1] != ')')
    {
      g_set_error (error, SIM_UNITS_ERROR, SIM_UNITS_ERROR_SYNTAX, "'%s': missing ')' (write %s)", t,
                   def->usage);
      return FALSE;
    }
  g_autofree char *inner = g_strndup (open + 1, len - (gsize) (open - t) - 2);
  g_auto (GStrv) args = g_strsplit (inner, ",", -1);
  if (g_strv_length (args) != def->n_args)
    {
      g_set_error (error, SIM_UNITS_ERROR, SIM_UNITS_ERROR_SYNTAX,
                   "'%s': %s takes %u argument%s (write %s)", t, def->name, def->n_args,
                   def->n_args == 1 ? "" : "s", def->usage);
      return FALSE;
    }
  *dist = (SimDist) { def->kind, unit, 0, 0 };
  /* The pareto shape is dimensionless; every other argument has the samples' unit. */
  SimUnitKind first_unit = def->kind == SIM_DIST_PARETO ? SIM_UNIT_NONE : unit;
  if (!sim_units_parse (args[0], first_unit, &dist->a, error))
    return FALSE;
  if (def->n_args == 2 && !sim_units_parse (args[1], unit, &dist->b, error))
    return FALSE;
  switch (def->kind)
    {
    case SIM_DIST_UNIFORM:
      if (dist->b < dist->a)
        return dist_invalid (error, t, "the upper bound is below the lower bound");
      break;
    case SIM_DIST_EXPONENTIAL:
      if (dist->a <= 0)
        return dist_invalid (error, t, "the mean must be positive");
      break;
    case SIM_DIST_NORMAL:
      if (dist->b < 0)
        return dist_invalid (error, t, "the standard deviation must not be negative");
      if (unit != SIM_UNIT_NONE && dist->a + 4 * dist->b < 0)
        return dist_invalid (error, t, "almost all samples would be negative");
      break;
    case SIM_DIST_PARETO:
      if (dist->a <= 0 || dist->b <= 0)
        return dist_invalid (error, t, "shape and scale must be positive");
      break;
    case SIM_DIST_CONSTANT:
      break;
    }
  return TRUE;
}

double
sim_dist_sample (const SimDist *d, SimRng *rng)
{
  switch (d->kind)
    {
    case SIM_DIST_CONSTANT:
      return d->a;
    case SIM_DIST_UNIFORM:
      return d->a + (d->b - d->a) * sim_rng_uniform (rng);
    case SIM_DIST_EXPONENTIAL:
      return sim_rng_exponential (rng, d->a);
    case SIM_DIST_NORMAL:
      {
        double x;
        do
          x = sim_rng_normal (rng, d->a, d->b);
        while (x < 0 && d->unit != SIM_UNIT_NONE);
        return x;
      }
    case SIM_DIST_PARETO:
      return sim_rng_pareto (rng, d->a, d->b);
    }
  g_assert_not_reached ();
}

SimTime
sim_dist_sample_time (const SimDist *d, SimRng *rng)
{
  double x = sim_dist_sample (d, rng);
  if (x >= 9.2e18)
    return SIM_TIME_MAX;
  return x <= 0 ? 0 : (SimTime) llround (x);
}

double
sim_dist_mean (const SimDist *d)
{
  switch (d->kind)
    {
    case SIM_DIST_CONSTANT:
    case SIM_DIST_EXPONENTIAL:
    case SIM_DIST_NORMAL:
      return d->a;
    case SIM_DIST_UNIFORM:
      return (d->a + d->b) / 2;
    case SIM_DIST_PARETO:
      return d->a <= 1 ? INFINITY : d->a * d->b / (d->a - 1);
    }
  g_assert_not_reached ();
}

char *
sim_dist_to_string (const SimDist *d)
{
  const DistDef *def = dist_def_of (d->kind);
  g_autofree char *a = d->kind == SIM_DIST_PARETO ? sim_units_format (d->a, SIM_UNIT_NONE)
                                                  : sim_units_format (d->a, d->unit);
  if (def->n_args == 1)
    return g_strdup_printf ("%s(%s)", def->name, a);
  g_autofree char *b = sim_units_format (d->b, d->unit);
  return g_strdup_printf ("%s(%s, %s)", def->name, a, b);
}
