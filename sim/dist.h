/*
 * sim/dist.h - random distributions written in scenario text.
 *
 * One syntax for every random quantity (DESIGN.md §3), parameters with units:
 *   constant(10s)          always 10 s; a bare "10s" means the same
 *   uniform(0ms, 200ms)    uniform on [a, b)
 *   exponential(125s)      exponential with that mean
 *   normal(1s, 100ms)      normal(mean, stddev); for times and sizes, samples
 *                          below 0 are drawn again (a truncated normal)
 *   pareto(2.5, 1s)        pareto(shape, scale): scale is the minimum value
 * Samples come from a SimRng stream the caller owns and are in base units
 * (ns, B, bit/s, or plain numbers).
 */
#pragma once

#include "sim/rng.h"
#include "sim/units.h"

G_BEGIN_DECLS

typedef enum {
  SIM_DIST_CONSTANT,
  SIM_DIST_UNIFORM,
  SIM_DIST_EXPONENTIAL,
  SIM_DIST_NORMAL,
  SIM_DIST_PARETO,
} SimDistKind;

typedef struct {
  SimDistKind kind;
  SimUnitKind unit;  /* of the samples */
  double a;          /* constant value; uniform low; mean (exponential, normal); pareto shape */
  double b;          /* uniform high; normal stddev; pareto scale; else 0 */
} SimDist;

/* Parse scenario text. Errors (SIM_UNITS_ERROR) describe the text; the caller adds file:line:key. */
gboolean sim_dist_parse (const char *text, SimUnitKind unit, SimDist *dist, GError **error);
double   sim_dist_sample (const SimDist *dist, SimRng *rng);
/* A time sample rounded to whole nanoseconds (never negative). */
SimTime  sim_dist_sample_time (const SimDist *dist, SimRng *rng);
/* The distribution's mean (infinite for pareto with shape <= 1). */
double   sim_dist_mean (const SimDist *dist);
/* Canonical text, e.g. "exponential(125s)"; for reports and run attributes. Free with g_free. */
char    *sim_dist_to_string (const SimDist *dist);

G_END_DECLS
