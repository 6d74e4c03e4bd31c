/*
 * sim/stat.c - sample statistics (Welford) and time-weighted averages.
 */
#include "config.h"

#include "sim/stat.h"

#include <math.h>

void
sim_stat_init (SimStat *st)
{
  *st = (SimStat) { 0, 0.0, 0.0, INFINITY, -INFINITY, 0.0 };
}

void
sim_stat_add (SimStat *st, double x)
{
  st->count++;
  double d = x - st->mean;
  st->mean += d / (double) st->count;
  st->m2 += d * (x - st->mean);
  st->sum += x;
  if (x < st->min)
    st->min = x;
  if (x > st->max)
    st->max = x;
}

double
sim_stat_stddev (const SimStat *st)
{
  if (st->count < 2)
    return 0.0;
  return sqrt (st->m2 / (double) (st->count - 1));
}

void
sim_time_avg_init (SimTimeAvg *avg, SimTime start, double value)
{
  *avg = (SimTimeAvg) { start, start, value, 0.0 };
}

void
sim_time_avg_set (SimTimeAvg *avg, SimTime now, double value)
{
  g_return_if_fail (now >= avg->last_t || now < avg->start);
  if (now > avg->start)
    {
      SimTime from = avg->last_t > avg->start ? avg->last_t : avg->start;
      avg->integral += avg->value * (double) (now - from);
      avg->last_t = now;
    }
  avg->value = value;
}

double
sim_time_avg_mean (const SimTimeAvg *avg, SimTime now)
{
  if (now <= avg->start)
    return avg->value;
  SimTime from = avg->last_t > avg->start ? avg->last_t : avg->start;
  double integral = avg->integral + avg->value * (double) (now - from);
  return integral / (double) (now - avg->start);
}
