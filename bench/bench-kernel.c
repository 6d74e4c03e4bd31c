/*
 * bench/bench-kernel.c - the hold and cancel workloads of the shared
 * kernel-bench anchors, on poolsim's event kernel through its public API.
 *
 * Everything the anchors fix is mirrored exactly: one splitmix64 stream (the
 * project's sim_rng_splitmix64, the same generator) drawn
 * in event-execution order, the increment conversion, E counting executed
 * events (completions in the cancel variant), the stop right after the E-th
 * event (whose handler schedules nothing), and the checksum (end time, sum of
 * executed times mod 2^64). The kernel cancels eagerly (the timeout leaves the
 * event set at once), which is the anchors' `--cancel=eager` mode.
 *
 * The handlers use only sim/kernel.h and the kernel is the library's own
 * object code, built with the project's flags: this measures what models get.
 */
#include "config.h"

#include "bench/bench-kernel.h"
#include "sim/rng.h"

#include <math.h>

/* One time unit (the mean increment) and the cancel variant's timeout slack. */
#define BENCH_KERNEL_MEAN_NS    1e9
#define BENCH_KERNEL_TIMEOUT_NS SIM_S

typedef struct {
  guint64     rng;            /* splitmix64 state */
  guint64     target;         /* E */
  guint64     count;          /* events (completions) executed so far */
  guint64     time_sum;       /* sum of executed times, mod 2^64 */
  guint64     timeouts_fired;
  SimEventId *timeouts;       /* cancel variant: each job's pending timeout */
} BenchKernel;

SimTime
bench_kernel_exp_ns (guint64 *state)
{
  /* u in (0, 1] with 53 random bits, so -log (u) is finite and >= 0. */
  gdouble u = (gdouble) ((sim_rng_splitmix64 (state) >> 11) + 1) * 0x1.0p-53;
  return (SimTime) (-log (u) * BENCH_KERNEL_MEAN_NS);
}

/* Counts an executed event; TRUE (and the kernel asked to stop) when it was the E-th. */
static inline gboolean
bench_kernel_count (BenchKernel *b, SimKernel *k, SimTime now)
{
  b->time_sum += (guint64) now;
  if (++b->count < b->target)
    return FALSE;
  sim_kernel_stop (k);
  return TRUE;
}

static void
bench_kernel_on_hold (SimKernel *k, gpointer ctx, gpointer data)
{
  BenchKernel *b = ctx;
  SimTime now = sim_kernel_now (k);
  if (bench_kernel_count (b, k, now))
    return;
  sim_kernel_schedule_at (k, now + bench_kernel_exp_ns (&b->rng), bench_kernel_on_hold, b, NULL);
}

static void
bench_kernel_on_timeout (SimKernel *k, gpointer ctx, gpointer data)
{
  BenchKernel *b = ctx;
  b->timeouts_fired++; /* never happens: every timeout is cancelled first */
}

static void bench_kernel_on_complete (SimKernel *k, gpointer ctx, gpointer data);

/* Arms job j: its completion at `done`, its timeout one unit later. */
static inline void
bench_kernel_arm (BenchKernel *b, SimKernel *k, gsize j, SimTime done)
{
  sim_kernel_schedule_at (k, done, bench_kernel_on_complete, b, GSIZE_TO_POINTER (j));
  b->timeouts[j] = sim_kernel_schedule_at (k, done + BENCH_KERNEL_TIMEOUT_NS,
                                           bench_kernel_on_timeout, b, GSIZE_TO_POINTER (j));
}

/* A job's completion: cancel (remove) its timeout, count, arm the next round. */
static void
bench_kernel_on_complete (SimKernel *k, gpointer ctx, gpointer data)
{
  BenchKernel *b = ctx;
  gsize j = GPOINTER_TO_SIZE (data);
  SimTime now = sim_kernel_now (k);
  sim_kernel_cancel (k, b->timeouts[j]);
  if (bench_kernel_count (b, k, now))
    return;
  bench_kernel_arm (b, k, j, now + bench_kernel_exp_ns (&b->rng));
}

void
bench_kernel_run (BenchKernelVariant variant, guint64 pop, guint64 events, guint64 seed,
                  BenchKernelResult *result)
{
  g_return_if_fail (pop >= 1 && events >= 1 && result != NULL);
  g_autoptr (SimKernel) k = sim_kernel_new ();
  BenchKernel b = { .rng = seed, .target = events };
  if (variant == BENCH_KERNEL_CANCEL)
    {
      b.timeouts = g_new (SimEventId, pop);
      for (gsize j = 0; j < pop; j++)
        bench_kernel_arm (&b, k, j, bench_kernel_exp_ns (&b.rng));
    }
  else
    {
      for (guint64 j = 0; j < pop; j++)
        sim_kernel_schedule_at (k, bench_kernel_exp_ns (&b.rng), bench_kernel_on_hold, &b, NULL);
    }

  gint64 t0 = g_get_monotonic_time ();
  sim_kernel_run (k, SIM_TIME_MAX);
  gint64 t1 = g_get_monotonic_time ();

  result->executed = b.count;
  result->end_ns = sim_kernel_now (k);
  result->time_sum = b.time_sum;
  result->timeouts_fired = b.timeouts_fired;
  result->pending = sim_kernel_pending (k);
  result->seconds = (gdouble) (t1 - t0) * 1e-6;
  g_free (b.timeouts);
}
