/*
 * models/rate.h - the arrival-rate estimator of the per-association and
 * per-credential limits (registrar.max-hr-rate, max-eu-rate,
 * max-registration-rate; pe.max-keepalive-rate): RFC 5355 §2.13 and §2.14
 * ask that floods be limited, PAPERS.md §2.3 describes rsplib's estimator.
 *
 * It keeps the newest `window` arrival times, refused arrivals included (a
 * flooder's measured rate stays high, so it stays locked out); rate =
 * entries / (newest - oldest). The first `burst` arrivals pass unjudged (a
 * retry shortly after a request is no flood); from the next one on each
 * arrival is judged over the entries held, not only once the window is
 * full: judging full windows only would let a flooder's first window - 1
 * messages through.
 */
#pragma once

#include "sim/kernel.h"

G_BEGIN_DECLS

typedef struct {
  SimTime *times;   /* ring of `window` entries; NULL until the first arrival */
  guint    n, head; /* entries held; index of the oldest */
} RateWindow;

/*
 * One arrival at now: record it, then TRUE if it exceeds max per second
 * (max <= 0: never, and nothing is recorded). window >= 2 and burst >= 1
 * must stay the same for one RateWindow.
 */
gboolean rate_window_exceeded (RateWindow *rate, SimTime now, double max, guint window, guint burst);
/* Free what the window holds (it can be used again). */
void     rate_window_clear (RateWindow *rate);
/* Free a RateWindow allocated with g_new0 (for hash table values). */
void     rate_window_free (gpointer rate);

G_END_DECLS
