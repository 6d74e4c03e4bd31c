/*
 * sim/stat.h - accumulators for simulation output: sample statistics and
 * time-weighted averages.
 *
 * SimStat keeps count, mean, variance (Welford's update: numerically stable,
 * one pass), min, max and sum of a series of observations. SimTimeAvg integrates
 * a piecewise-constant signal over simulated time (queue length, busy flag,
 * number of bogus entries) and reports its time average over an interval, with
 * an optional warm-up: what happens before `start` is not counted.
 *
 * Both are plain structs on the caller's side; nothing here allocates.
 */
#pragma once

#include "sim/kernel.h"

G_BEGIN_DECLS

typedef struct {
  guint64 count;
  double  mean;
  double  m2;    /* sum of squared deviations from the mean */
  double  min;   /* +inf while count == 0 */
  double  max;   /* -inf while count == 0 */
  double  sum;
} SimStat;

void   sim_stat_init (SimStat *st);
void   sim_stat_add (SimStat *st, double x);
/* Sample standard deviation (n - 1 in the denominator); 0 when count < 2. */
double sim_stat_stddev (const SimStat *st);

typedef struct {
  SimTime start;      /* integration starts here (end of warm-up) */
  SimTime last_t;     /* time of the last change */
  double  value;      /* current value of the signal */
  double  integral;   /* integral of the signal over [start, last_t], value x ns */
} SimTimeAvg;

/* Signal with initial value `value`, integrated from `start` on. */
void   sim_time_avg_init (SimTimeAvg *avg, SimTime start, double value);
/* The signal takes `value` from time `now` on (now must not go backwards). */
void   sim_time_avg_set (SimTimeAvg *avg, SimTime now, double value);
/* Time average over [start, now]; the current value if no time has passed since start. */
double sim_time_avg_mean (const SimTimeAvg *avg, SimTime now);

G_END_DECLS
