/*
 * tests/test-models-rate.c - the arrival-rate estimator of models/rate.h:
 * the burst passes unjudged, later arrivals are judged over the entries
 * held, refused arrivals keep a flooder's rate high, and the window slides.
 */
#include "config.h"

#include "models/rate.h"

#define S SIM_S

/* Burst 2: the first two arrivals pass even at one instant; the third is judged (3 in 20 ms = 150/s > 1/s). */
static void
test_burst_then_judged (void)
{
  RateWindow r = { 0 };
  g_assert_false (rate_window_exceeded (&r, 0, 1.0, 16, 2));
  g_assert_false (rate_window_exceeded (&r, 10 * SIM_MS, 1.0, 16, 2));
  g_assert_true (rate_window_exceeded (&r, 20 * SIM_MS, 1.0, 16, 2));
  g_assert_cmpuint (r.n, ==, 3);
  rate_window_clear (&r);
  g_assert_null (r.times);
}

/* One arrival every 2 s against a limit of 1/s is never refused, however long it goes on (the window slides). */
static void
test_slow_never_exceeds (void)
{
  RateWindow r = { 0 };
  for (int i = 0; i < 100; i++)
    g_assert_false (rate_window_exceeded (&r, (SimTime) i * 2 * S, 1.0, 4, 2));
  g_assert_cmpuint (r.n, ==, 4);
  rate_window_clear (&r);
}

/*
 * Refused arrivals count: a flooder at 10/s stays refused, and only after a
 * pause long enough for the held entries to drop below the limit (window 4:
 * 4 entries over more than 4 s) is it answered again.
 */
static void
test_refused_count_and_recovery (void)
{
  RateWindow r = { 0 };
  guint refused = 0;
  for (int i = 0; i < 50; i++)
    refused += rate_window_exceeded (&r, (SimTime) i * SIM_S / 10, 1.0, 4, 2);
  g_assert_cmpuint (refused, ==, 48);
  SimTime last = 49 * SIM_S / 10;
  /* 1 s later: entries at last-0.2, last-0.1, last, now -> 4 in 1.2 s: still refused. */
  g_assert_true (rate_window_exceeded (&r, last + S, 1.0, 4, 2));
  /* 5 s after that: entries at last-0.1, last, last+1, now -> 4 in 6.1 s = 0.66/s: answered. */
  g_assert_false (rate_window_exceeded (&r, last + 6 * S, 1.0, 4, 2));
  rate_window_clear (&r);
}

/* max <= 0 is no limit: nothing is recorded. */
static void
test_off (void)
{
  RateWindow r = { 0 };
  for (int i = 0; i < 10; i++)
    g_assert_false (rate_window_exceeded (&r, 0, 0, 4, 2));
  g_assert_null (r.times);
  g_assert_cmpuint (r.n, ==, 0);
}

/* A burst as large as the window: judged only once the window is full. */
static void
test_burst_of_window (void)
{
  RateWindow *r = g_new0 (RateWindow, 1);
  for (int i = 0; i < 3; i++)
    g_assert_false (rate_window_exceeded (r, 0, 1.0, 4, 4));
  g_assert_true (rate_window_exceeded (r, 0, 1.0, 4, 4));
  rate_window_free (r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/models/rate/burst-then-judged", test_burst_then_judged);
  g_test_add_func ("/models/rate/slow-never-exceeds", test_slow_never_exceeds);
  g_test_add_func ("/models/rate/refused-count-and-recovery", test_refused_count_and_recovery);
  g_test_add_func ("/models/rate/off", test_off);
  g_test_add_func ("/models/rate/burst-of-window", test_burst_of_window);
  return g_test_run ();
}
