/*
 * sim/record.c - the discarding recorder (the real one is results/store.c).
 */
#include "config.h"

#include "sim/record.h"

static void
discard_scalar (SimRecorder *rec, const char *module, const char *name, double value, const char *unit)
{
}

static void
discard_statistic (SimRecorder *rec, const char *module, const char *name, const SimStat *st,
                   const char *unit)
{
}

static guint
discard_vector_open (SimRecorder *rec, const char *module, const char *name, const char *unit)
{
  return 1;
}

static void
discard_vector_append (SimRecorder *rec, guint vector, SimTime t, double value)
{
}

static const SimRecorderClass discard_class = {
  discard_scalar, discard_statistic, discard_vector_open, discard_vector_append,
};

static SimRecorder discard_recorder = { &discard_class };

SimRecorder *
sim_recorder_discard (void)
{
  return &discard_recorder;
}
