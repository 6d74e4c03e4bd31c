/*
 * sim/units.c - parsing quantities with units into base units.
 *
 * The number is parsed with g_ascii_strtod (locale-independent), so "1e-3s"
 * and "0.5 s" work; then the rest must be exactly one unit symbol of the
 * expected kind. Units are case-sensitive where SI needs it (ms vs Ms would
 * differ; only the ones listed exist).
 */
#include "config.h"

#include "sim/units.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK (sim-units-error-quark, sim_units_error)

typedef struct {
  const char *symbol;
  double factor;  /* base units per unit */
} UnitDef;

static const UnitDef time_units[] = {
  { "ns", 1.0 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "min", 60e9 }, { "h", 3600e9 },
  { NULL, 0 },
};
static const UnitDef size_units[] = {
  { "B", 1.0 }, { "kB", 1e3 }, { "KiB", 1024.0 }, { "MB", 1e6 }, { "MiB", 1048576.0 },
  { "GB", 1e9 }, { "GiB", 1073741824.0 }, { NULL, 0 },
};
static const UnitDef rate_units[] = {
  { "bps", 1.0 }, { "kbps", 1e3 }, { "Mbps", 1e6 }, { "Gbps", 1e9 }, { NULL, 0 },
};
static const UnitDef none_units[] = {
  { "%", 0.01 }, { NULL, 0 },
};

static const UnitDef *
units_of (SimUnitKind kind)
{
  switch (kind)
    {
    case SIM_UNIT_TIME: return time_units;
    case SIM_UNIT_SIZE: return size_units;
    case SIM_UNIT_RATE: return rate_units;
    case SIM_UNIT_NONE: return none_units;
    }
  g_assert_not_reached ();
}

const char *
sim_units_names (SimUnitKind kind)
{
  switch (kind)
    {
    case SIM_UNIT_TIME: return "ns, us, ms, s, min, h";
    case SIM_UNIT_SIZE: return "B, kB, KiB, MB, MiB, GB, GiB";
    case SIM_UNIT_RATE: return "bps, kbps, Mbps, Gbps";
    case SIM_UNIT_NONE: return "none, or %";
    }
  g_assert_not_reached ();
}

const char *
sim_units_base_symbol (SimUnitKind kind)
{
  switch (kind)
    {
    case SIM_UNIT_TIME: return "ns";
    case SIM_UNIT_SIZE: return "B";
    case SIM_UNIT_RATE: return "bps";
    case SIM_UNIT_NONE: return "";
    }
  g_assert_not_reached ();
}

static const char *
kind_name (SimUnitKind kind)
{
  switch (kind)
    {
    case SIM_UNIT_TIME: return "a time";
    case SIM_UNIT_SIZE: return "a size";
    case SIM_UNIT_RATE: return "a rate";
    case SIM_UNIT_NONE: return "a number";
    }
  g_assert_not_reached ();
}

gboolean
sim_units_parse (const char *text, SimUnitKind kind, double *value, GError **error)
{
  g_autofree char *t = g_strstrip (g_strdup (text));
  char *end = NULL;
  if (*t == '\0')
    {
      g_set_error (error, SIM_UNITS_ERROR, SIM_UNITS_ERROR_SYNTAX, "empty value where %s is expected",
                   kind_name (kind));
      return FALSE;
    }
  double x = g_ascii_strtod (t, &end);
  if (end == t || strncmp (t, "nan", 3) == 0 || strncmp (t, "inf", 3) == 0
      || strncmp (t, "-inf", 4) == 0)
    {
      g_set_error (error, SIM_UNITS_ERROR, SIM_UNITS_ERROR_SYNTAX, "'%s' is not %s", t, kind_name (kind));
      return FALSE;
    }
  if (!isfinite (x))
    {
      g_set_error (error, SIM_UNITS_ERROR, SIM_UNITS_ERROR_RANGE, "'%s' is out of range", t);
      return FALSE;
    }
  while (*end == ' ' || *end == '\t')
    end++;
  if (*end == '\0')
    {
      if (kind == SIM_UNIT_NONE || x == 0.0)
        {
          *value = x;
          return TRUE;
        }
      g_set_error (error, SIM_UNITS_ERROR, SIM_UNITS_ERROR_UNIT,
                   "'%s' has no unit; %s needs one of: %s", t, kind_name (kind), sim_units_names (kind));
      return FALSE;
    }
  for (const UnitDef *u = units_of (kind); u->symbol != NULL; u++)
    if (strcmp (end, u->symbol) == 0)
      {
        *value = x * u->factor;
        return TRUE;
      }
  if (kind == SIM_UNIT_NONE)
    g_set_error (error, SIM_UNITS_ERROR, SIM_UNITS_ERROR_UNIT,
                 "'%s': a plain number is expected here (or a percentage), not the unit '%s'", t, end);
  else
    g_set_error (error, SIM_UNITS_ERROR, SIM_UNITS_ERROR_UNIT,
                 "bad unit '%s' in '%s'; %s needs one of: %s", end, t, kind_name (kind),
                 sim_units_names (kind));
  return FALSE;
}

gboolean
sim_units_parse_time (const char *text, SimTime *value, GError **error)
{
  double ns;
  if (!sim_units_parse (text, SIM_UNIT_TIME, &ns, error))
    return FALSE;
  if (fabs (ns) > 9.2e18)
    {
      g_set_error (error, SIM_UNITS_ERROR, SIM_UNITS_ERROR_RANGE,
                   "'%s' is out of range (at most about 292 years)", text);
      return FALSE;
    }
  *value = (SimTime) llround (ns);
  return TRUE;
}

/* Format a base-unit value with the largest unit that keeps it readable. */
char *
sim_units_format (double v, SimUnitKind unit)
{
  static const struct { SimUnitKind u; const char *sym; double f; } steps[] = {
    { SIM_UNIT_TIME, "h", 3600e9 }, { SIM_UNIT_TIME, "min", 60e9 }, { SIM_UNIT_TIME, "s", 1e9 },
    { SIM_UNIT_TIME, "ms", 1e6 }, { SIM_UNIT_TIME, "us", 1e3 }, { SIM_UNIT_TIME, "ns", 1 },
    { SIM_UNIT_SIZE, "MiB", 1048576.0 }, { SIM_UNIT_SIZE, "KiB", 1024.0 }, { SIM_UNIT_SIZE, "B", 1 },
    { SIM_UNIT_RATE, "Gbps", 1e9 }, { SIM_UNIT_RATE, "Mbps", 1e6 }, { SIM_UNIT_RATE, "kbps", 1e3 },
    { SIM_UNIT_RATE, "bps", 1 },
  };
  char num[G_ASCII_DTOSTR_BUF_SIZE];
  if (unit == SIM_UNIT_NONE || v == 0)
    return g_strdup (g_ascii_formatd (num, sizeof num, "%.15g", v));
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    if (steps[i].u == unit && (fabs (v) >= steps[i].f || steps[i].f == 1))
      {
        double x = v / steps[i].f;
        /* Prefer an exact integer in a smaller unit to a rounded fraction in a larger one. */
        if (x != floor (x) && i + 1 < G_N_ELEMENTS (steps) && steps[i + 1].u == unit
            && v / steps[i + 1].f == floor (v / steps[i + 1].f))
          continue;
        g_ascii_formatd (num, sizeof num, "%.15g", x);
        return g_strconcat (num, steps[i].sym, NULL);
      }
  g_assert_not_reached ();
}
