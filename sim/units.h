/*
 * sim/units.h - quantities with units, as scenarios write them.
 *
 * Every quantity in a scenario carries its unit (DESIGN.md §3): times in
 * ns us ms s min h, sizes in B kB KiB MB MiB GB GiB, rates in bps kbps Mbps
 * Gbps. Dimensionless numbers are plain, or a percentage ("80%" = 0.8). Values
 * are converted to base units: nanoseconds, bytes, bits per second. A missing
 * unit is an error except for the number 0, which means the same in any unit.
 *
 * Errors are GErrors in SIM_UNITS_ERROR that describe the text; the caller
 * adds file, line and key.
 */
#pragma once

#include "sim/kernel.h"

G_BEGIN_DECLS

typedef enum {
  SIM_UNIT_NONE,   /* dimensionless; "%" allowed */
  SIM_UNIT_TIME,   /* base: ns */
  SIM_UNIT_SIZE,   /* base: B */
  SIM_UNIT_RATE,   /* base: bit/s */
} SimUnitKind;

#define SIM_UNITS_ERROR (sim_units_error_quark ())
GQuark sim_units_error_quark (void);
typedef enum {
  SIM_UNITS_ERROR_SYNTAX,   /* not a number */
  SIM_UNITS_ERROR_UNIT,     /* missing or wrong unit */
  SIM_UNITS_ERROR_RANGE,    /* does not fit */
} SimUnitsError;

/* Parse "12.5ms" etc. into base units of `kind`. Leading/trailing blanks are ignored. */
gboolean sim_units_parse (const char *text, SimUnitKind kind, double *value, GError **error);
/* Parse a time into integer nanoseconds (rounded to the nearest ns). */
gboolean sim_units_parse_time (const char *text, SimTime *value, GError **error);
/* The unit names accepted for a kind, for messages ("ns, us, ms, s, min, h"). */
const char *sim_units_names (SimUnitKind kind);
/* Format a base-unit value in the largest unit that keeps it exact or readable ("1500ms", "2KiB"). (transfer full) */
char *sim_units_format (double value, SimUnitKind kind);
/* The base unit's symbol for reports: "ns", "B", "bps", "" (none). */
const char *sim_units_base_symbol (SimUnitKind kind);

G_END_DECLS
