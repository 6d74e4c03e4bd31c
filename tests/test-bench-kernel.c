/*
 * tests/test-bench-kernel.c - the kernel benchmark's workloads do exactly the
 * anchors' work: same stream, same end time and checksum (values printed by the
 * shared tools/kernel-bench programs with --check for the same P, E, seed).
 */
#include "config.h"

#include "bench/bench-kernel.h"
#include "sim/rng.h"

/* The project's splitmix64, which the benchmark draws from, gives the reference sequence from state 0. */
static void
test_splitmix64 (void)
{
  guint64 s = 0;
  g_assert_cmphex (sim_rng_splitmix64 (&s), ==, G_GUINT64_CONSTANT (0xe220a8397b1dcdaf));
  g_assert_cmphex (sim_rng_splitmix64 (&s), ==, G_GUINT64_CONSTANT (0x6e789e6aa1b965f4));
  g_assert_cmphex (sim_rng_splitmix64 (&s), ==, G_GUINT64_CONSTANT (0x06c45d188009454f));
}

/* The first increments from seed 1, truncated to whole ns. */
static void
test_exp_ns (void)
{
  guint64 s = 1;
  g_assert_cmpint (bench_kernel_exp_ns (&s), ==, 568169510);
  g_assert_cmpint (bench_kernel_exp_ns (&s), ==, 293322272);
  g_assert_cmpint (bench_kernel_exp_ns (&s), ==, 29425974);
}

/* hold, P = 1000, E = 2e5, seed 1: the checksum of check.sh's run; P - 1 left pending. */
static void
test_hold_checksum (void)
{
  BenchKernelResult r;
  bench_kernel_run (BENCH_KERNEL_HOLD, 1000, 200000, 1, &r);
  g_assert_cmpuint (r.executed, ==, 200000);
  g_assert_cmpint (r.end_ns, ==, G_GINT64_CONSTANT (198963055931));
  g_assert_cmpuint (r.time_sum, ==, G_GUINT64_CONSTANT (19944018059098843));
  g_assert_cmpuint (r.timeouts_fired, ==, 0);
  g_assert_cmpuint (r.pending, ==, 999);
  g_assert_cmpfloat (r.seconds, >=, 0);
}

/*
 * cancel, same P, E, seed: the same checksum as hold (timeouts never fire), and
 * cancelled timeouts really left: P - 1 completions and P - 1 timeouts pending.
 */
static void
test_cancel_checksum (void)
{
  BenchKernelResult r;
  bench_kernel_run (BENCH_KERNEL_CANCEL, 1000, 200000, 1, &r);
  g_assert_cmpuint (r.executed, ==, 200000);
  g_assert_cmpint (r.end_ns, ==, G_GINT64_CONSTANT (198963055931));
  g_assert_cmpuint (r.time_sum, ==, G_GUINT64_CONSTANT (19944018059098843));
  g_assert_cmpuint (r.timeouts_fired, ==, 0);
  g_assert_cmpuint (r.pending, ==, 1998);
}

/* The seed reaches the stream: P = 100, E = 1e4, seed 7 as printed by the anchors. */
static void
test_seed (void)
{
  BenchKernelResult r;
  bench_kernel_run (BENCH_KERNEL_HOLD, 100, 10000, 7, &r);
  g_assert_cmpint (r.end_ns, ==, G_GINT64_CONSTANT (99630762433));
  g_assert_cmpuint (r.time_sum, ==, G_GUINT64_CONSTANT (500420804286037));
}

/* A tiny cancel run (P = 3, E = 5), where the 5th completion stops the run. */
static void
test_cancel_tiny (void)
{
  BenchKernelResult r;
  bench_kernel_run (BENCH_KERNEL_CANCEL, 3, 5, 1, &r);
  g_assert_cmpuint (r.executed, ==, 5);
  g_assert_cmpint (r.end_ns, ==, 840547970);
  g_assert_cmpuint (r.time_sum, ==, 2570270904);
  g_assert_cmpuint (r.pending, ==, 4);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bench/kernel/splitmix64", test_splitmix64);
  g_test_add_func ("/bench/kernel/exp-ns", test_exp_ns);
  g_test_add_func ("/bench/kernel/hold-checksum", test_hold_checksum);
  g_test_add_func ("/bench/kernel/cancel-checksum", test_cancel_checksum);
  g_test_add_func ("/bench/kernel/seed", test_seed);
  g_test_add_func ("/bench/kernel/cancel-tiny", test_cancel_tiny);
  return g_test_run ();
}
