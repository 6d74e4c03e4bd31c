/*
 * models/rate.c - the arrival-rate estimator (see models/rate.h).
 */
#include "config.h"

#include "models/rate.h"

gboolean
rate_window_exceeded (RateWindow *rate, SimTime now, double max, guint window, guint burst)
{
  if (max <= 0)
    return FALSE;
  g_return_val_if_fail (window >= 2 && burst >= 1, FALSE);
  if (rate->times == NULL)
    rate->times = g_new (SimTime, window);
  if (rate->n < window)
    rate->times[(rate->head + rate->n++) % window] = now;
  else
    {
      rate->times[rate->head] = now;   /* the oldest makes room */
      rate->head = (rate->head + 1) % window;
    }
  if (rate->n <= burst && rate->n < window)
    return FALSE;
  SimTime span = now - rate->times[rate->head];
  return span <= 0 || (double) rate->n / ((double) span / SIM_S) > max;
}

void
rate_window_clear (RateWindow *rate)
{
  g_free (rate->times);
  rate->times = NULL;
  rate->n = rate->head = 0;
}

void
rate_window_free (gpointer rate)
{
  if (rate == NULL)
    return;
  rate_window_clear (rate);
  g_free (rate);
}
