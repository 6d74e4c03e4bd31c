/*
 * sim/record.h - the recording interface through which models report results.
 *
 * Like recordScalar in OMNeT++'s kernel, the interface belongs to the engine
 * and models call it; the store behind it (SQLite, in results/) implements the
 * class. Models never see SQL and never depend on results/ (DESIGN.md §1).
 *
 * Names: `module` is the recording entity's path ("mm1.queue", "registrar[2]"),
 * `name` a dotted metric name from the metric catalogue ("mm1.waiting_time").
 * `unit` is a unit string ("s", "B", "1" for dimensionless ratios, "%" ...)
 * or NULL. All strings are copied by the recorder.
 *
 * A recorder may be NULL-class ("discard"), for tests and benchmarks that do
 * not want results: sim_recorder_discard().
 */
#pragma once

#include "sim/kernel.h"
#include "sim/stat.h"

G_BEGIN_DECLS

typedef struct SimRecorder SimRecorder;

typedef struct {
  void  (*scalar)        (SimRecorder *rec, const char *module, const char *name,
                          double value, const char *unit);
  void  (*statistic)     (SimRecorder *rec, const char *module, const char *name,
                          const SimStat *st, const char *unit);
  /* Returns a vector handle > 0 for vector_append. */
  guint (*vector_open)   (SimRecorder *rec, const char *module, const char *name, const char *unit);
  void  (*vector_append) (SimRecorder *rec, guint vector, SimTime t, double value);
} SimRecorderClass;

struct SimRecorder {
  const SimRecorderClass *klass;
};

static inline void
sim_record_scalar (SimRecorder *rec, const char *module, const char *name, double value,
                   const char *unit)
{
  rec->klass->scalar (rec, module, name, value, unit);
}

static inline void
sim_record_statistic (SimRecorder *rec, const char *module, const char *name, const SimStat *st,
                      const char *unit)
{
  rec->klass->statistic (rec, module, name, st, unit);
}

static inline guint
sim_record_vector_open (SimRecorder *rec, const char *module, const char *name, const char *unit)
{
  return rec->klass->vector_open (rec, module, name, unit);
}

static inline void
sim_record_vector_append (SimRecorder *rec, guint vector, SimTime t, double value)
{
  rec->klass->vector_append (rec, vector, t, value);
}

/* A recorder that drops everything (static; never freed). */
SimRecorder *sim_recorder_discard (void);

G_END_DECLS
