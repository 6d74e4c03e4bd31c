/*
 * results/metrics.h - the metric catalogue: every metric name poolsim
 * records, with its kind, unit and a one-line meaning, in one table
 * (results/metrics.c) that `poolsim list metrics` prints and the tests hold
 * the recorders to (every recorded name must be in it).
 *
 * A name is either exact ("calcapp.utilization") or a family with one
 * trailing "*" ("registrar.rx.*": one metric per message type, one more
 * component) or "**" ("secure.failures.**": any names below, dots included). Names are
 * dotted and stable (DESIGN.md §7); the module a value is recorded under
 * (registrar[i], pe[j], net/<kind>, oracle, ...) is not part of the name.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *name;     /* exact, or a family ending in ".*" */
  const char *kind;     /* "scalar", "statistic", "vector" (or "statistic,scalar") */
  const char *unit;     /* as recorded ("1" = dimensionless) */
  const char *meaning;  /* one line */
} ResultsMetric;

/* The whole catalogue, in its order (model by model). */
const ResultsMetric *results_metrics (gsize *n);
/* The entry a recorded name belongs to (exact first, then families), or NULL. */
const ResultsMetric *results_metrics_lookup (const char *name);

G_END_DECLS
