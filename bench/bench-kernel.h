/*
 * bench/bench-kernel.h - the hold and cancel event-set workloads, run on the
 * real event kernel (sim/kernel.h), for `poolsim bench kernel`.
 *
 * The workloads, the random stream and the checksum are those of the shared
 * kernel-bench anchors (tools/kernel-bench/README.md in the shared folder), so
 * that equal (pop, events, seed) give the same end time and checksum here as in
 * the plain C heap and in ns-3: agreement proves the same work was done, and the
 * events/s figures are comparable side by side.
 *
 * hold: P events at times inc; each, when it runs at now, schedules one at
 * now + inc. cancel: P jobs, each with a pending completion and a timeout one
 * second after it; a completion cancels its job's timeout (really removing it),
 * then schedules the next completion and timeout. Every timeout is cancelled
 * before it could fire. One draw per executed event, in execution order.
 */
#pragma once

#include "sim/kernel.h"

G_BEGIN_DECLS

typedef enum {
  BENCH_KERNEL_HOLD,
  BENCH_KERNEL_CANCEL,
} BenchKernelVariant;

typedef struct {
  guint64 executed;       /* events (hold) or completions (cancel) run: E on success */
  SimTime end_ns;         /* simulated time of the last executed event */
  guint64 time_sum;       /* sum of the executed events' times, mod 2^64 */
  guint64 timeouts_fired; /* cancel variant: always 0 when cancel works */
  gsize   pending;        /* events still pending when the run stopped */
  gdouble seconds;        /* wall time of the event loop only (not populating, not freeing) */
} BenchKernelResult;

/*
 * The exponential increment with mean 1 s from one splitmix64 step x
 * (sim_rng_splitmix64), truncated to whole ns:
 * u = ((x >> 11) + 1) * 2^-53, inc = (SimTime) (-log (u) * 1e9).
 */
SimTime bench_kernel_exp_ns (guint64 *state);

/* Run one workload with pop >= 1 pending jobs until `events` (>= 1) have executed. */
void    bench_kernel_run (BenchKernelVariant variant,
                          guint64            pop,
                          guint64            events,
                          guint64            seed,
                          BenchKernelResult *result);

G_END_DECLS
