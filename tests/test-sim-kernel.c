/*
 * tests/test-sim-kernel.c - the event kernel: ordering, cancel, stop, entities, scale.
 */
#include "config.h"

#include "sim/kernel.h"
#include "sim/kernel-private.h"
#include "sim/rng.h"

/* Appends GPOINTER_TO_INT(data) to the GArray in ctx. */
static void
log_handler (SimKernel *k, gpointer ctx, gpointer data)
{
  GArray *log = ctx;
  int v = GPOINTER_TO_INT (data);
  g_array_append_val (log, v);
}

/* Events at equal times run in the order they were scheduled. */
static void
test_equal_time_fifo (void)
{
  g_autoptr (SimKernel) k = sim_kernel_new ();
  g_autoptr (GArray) log = g_array_new (FALSE, FALSE, sizeof (int));
  for (int i = 0; i < 1000; i++)
    sim_kernel_schedule_at (k, 5 * SIM_S, log_handler, log, GINT_TO_POINTER (i));
  sim_kernel_schedule_at (k, 1 * SIM_S, log_handler, log, GINT_TO_POINTER (-1));
  g_assert_true (sim_kernel_sanity (k));
  g_assert_cmpuint (sim_kernel_run (k, SIM_TIME_MAX), ==, 1001);
  g_assert_cmpuint (log->len, ==, 1001);
  g_assert_cmpint (g_array_index (log, int, 0), ==, -1);
  for (int i = 0; i < 1000; i++)
    g_assert_cmpint (g_array_index (log, int, i + 1), ==, i);
  g_assert_cmpint (sim_kernel_now (k), ==, 5 * SIM_S);
}

/* FIFO among equal times holds also for events scheduled from handlers, interleaved with cancels. */
static void
reschedule_same_time (SimKernel *k, gpointer ctx, gpointer data)
{
  GArray *log = ctx;
  int v = GPOINTER_TO_INT (data);
  g_array_append_val (log, v);
  if (v < 100)
    {
      sim_kernel_schedule (k, 0, reschedule_same_time, log, GINT_TO_POINTER (v + 100));
      SimEventId dead = sim_kernel_schedule (k, 0, log_handler, log, GINT_TO_POINTER (-7));
      g_assert_true (sim_kernel_cancel (k, dead));
    }
}

static void
test_equal_time_fifo_from_handlers (void)
{
  g_autoptr (SimKernel) k = sim_kernel_new ();
  g_autoptr (GArray) log = g_array_new (FALSE, FALSE, sizeof (int));
  for (int i = 0; i < 3; i++)
    sim_kernel_schedule_at (k, SIM_MS, reschedule_same_time, log, GINT_TO_POINTER (i));
  sim_kernel_run (k, SIM_TIME_MAX);
  int expect[] = { 0, 1, 2, 100, 101, 102 };
  g_assert_cmpmem (log->data, log->len * sizeof (int), expect, sizeof expect);
}

/* A cancelled event never runs, its payload is destroyed, and cancel says it was pending. */
static void
count_destroy (gpointer data)
{
  (*(int *) data)++;
}

static void
test_cancel_before_fire (void)
{
  g_autoptr (SimKernel) k = sim_kernel_new ();
  g_autoptr (GArray) log = g_array_new (FALSE, FALSE, sizeof (int));
  int destroyed = 0;
  SimEventId a = sim_kernel_schedule_at (k, 10, log_handler, log, GINT_TO_POINTER (1));
  SimEventId b = sim_kernel_schedule_at_full (k, 20, (SimHandler) log_handler, log, &destroyed, count_destroy);
  sim_kernel_schedule_at (k, 30, log_handler, log, GINT_TO_POINTER (3));
  g_assert_true (sim_kernel_is_pending (k, b));
  g_assert_cmpint (sim_kernel_event_time (k, b), ==, 20);
  g_assert_true (sim_kernel_cancel (k, b));
  g_assert_cmpint (destroyed, ==, 1);
  g_assert_false (sim_kernel_is_pending (k, b));
  g_assert_false (sim_kernel_cancel (k, b));
  g_assert_cmpint (destroyed, ==, 1);
  g_assert_cmpuint (sim_kernel_pending (k), ==, 2);
  g_assert_true (sim_kernel_sanity (k));
  sim_kernel_run (k, SIM_TIME_MAX);
  g_assert_cmpuint (log->len, ==, 2);
  g_assert_cmpint (g_array_index (log, int, 0), ==, 1);
  g_assert_cmpint (g_array_index (log, int, 1), ==, 3);
  g_assert_false (sim_kernel_cancel (k, a));
}

/* Cancelling an event that already ran is harmless, even after its record was reused. */
static void
test_cancel_after_fire (void)
{
  g_autoptr (SimKernel) k = sim_kernel_new ();
  g_autoptr (GArray) log = g_array_new (FALSE, FALSE, sizeof (int));
  SimEventId a = sim_kernel_schedule_at (k, 10, log_handler, log, GINT_TO_POINTER (1));
  sim_kernel_run (k, 15);
  g_assert_cmpint (sim_kernel_now (k), ==, 15);
  /* The next event reuses a's record; a's id must not reach it. */
  SimEventId b = sim_kernel_schedule_at (k, 20, log_handler, log, GINT_TO_POINTER (2));
  g_assert_cmpuint ((guint32) a, ==, (guint32) b);
  g_assert_false (sim_kernel_cancel (k, a));
  g_assert_true (sim_kernel_is_pending (k, b));
  g_assert_false (sim_kernel_cancel (k, SIM_EVENT_NONE));
  sim_kernel_run (k, SIM_TIME_MAX);
  g_assert_cmpuint (log->len, ==, 2);
}

/* Cancelled timers do not accumulate: a million schedule+cancel pairs use a bounded set of records. */
static void
test_cancel_no_garbage (void)
{
  g_autoptr (SimKernel) k = sim_kernel_new ();
  SimEventId ids[8] = { 0 };
  for (int i = 0; i < 1000000; i++)
    {
      sim_kernel_cancel (k, ids[i % 8]);
      ids[i % 8] = sim_kernel_schedule_at (k, 1000 + i, log_handler, NULL, NULL);
    }
  g_assert_cmpuint (sim_kernel_pending (k), ==, 8);
  g_assert_cmpuint (sim_kernel_records_in_use (k), <=, 9);
  g_assert_true (sim_kernel_sanity (k));
}

/* Handlers that count and stop after a limit. */
typedef struct {
  int count;
  int stop_at;
} StopCtx;

static void
stop_handler (SimKernel *k, gpointer ctx, gpointer data)
{
  StopCtx *c = ctx;
  if (++c->count == c->stop_at)
    sim_kernel_stop (k);
  sim_kernel_schedule (k, SIM_S, stop_handler, c, NULL);
}

/* stop() returns after the current event with the clock at its time; run() resumes. */
static void
test_stop (void)
{
  g_autoptr (SimKernel) k = sim_kernel_new ();
  StopCtx c = { 0, 5 };
  sim_kernel_schedule_at (k, SIM_S, stop_handler, &c, NULL);
  g_assert_cmpuint (sim_kernel_run (k, SIM_TIME_MAX), ==, 5);
  g_assert_cmpint (sim_kernel_now (k), ==, 5 * SIM_S);
  g_assert_cmpuint (sim_kernel_pending (k), ==, 1);
  c.stop_at = 8;
  g_assert_cmpuint (sim_kernel_run (k, SIM_TIME_MAX), ==, 3);
  g_assert_cmpint (sim_kernel_now (k), ==, 8 * SIM_S);
}

/* run(until) executes events at exactly `until`, none after, and leaves the clock there. */
static void
test_run_until (void)
{
  g_autoptr (SimKernel) k = sim_kernel_new ();
  StopCtx c = { 0, -1 };
  sim_kernel_schedule_at (k, SIM_S, stop_handler, &c, NULL);
  g_assert_cmpuint (sim_kernel_run (k, 10 * SIM_S), ==, 10);
  g_assert_cmpint (sim_kernel_now (k), ==, 10 * SIM_S);
  g_assert_cmpuint (sim_kernel_run (k, 10 * SIM_S + 999999999), ==, 0);
  g_assert_cmpint (sim_kernel_now (k), ==, 10 * SIM_S + 999999999);
  g_assert_cmpuint (sim_kernel_events_executed (k), ==, 10);
}

/* Two kernels in one process, run in alternation, do not see each other's events. */
static void
test_two_kernels_interleaved (void)
{
  g_autoptr (SimKernel) a = sim_kernel_new ();
  g_autoptr (SimKernel) b = sim_kernel_new ();
  StopCtx ca = { 0, -1 }, cb = { 0, -1 };
  sim_kernel_schedule_at (a, SIM_S, stop_handler, &ca, NULL);
  sim_kernel_schedule_at (b, 2 * SIM_S, stop_handler, &cb, NULL);
  for (int step = 1; step <= 10; step++)
    {
      sim_kernel_run (a, step * 10 * SIM_S);
      sim_kernel_run (b, step * 5 * SIM_S);
    }
  g_assert_cmpint (ca.count, ==, 100);
  g_assert_cmpint (cb.count, ==, 49);
  g_assert_cmpint (sim_kernel_now (a), ==, 100 * SIM_S);
  g_assert_cmpint (sim_kernel_now (b), ==, 50 * SIM_S);
}

/* Checks that events arrive in nondecreasing time, FIFO among ties. */
typedef struct {
  SimTime last_t;
  int last_i;
  guint64 n;
} OrderCtx;

static void
order_handler (SimKernel *k, gpointer ctx, gpointer data)
{
  OrderCtx *o = ctx;
  int i = GPOINTER_TO_INT (data);
  SimTime t = sim_kernel_now (k);
  g_assert_cmpint (t, >=, o->last_t);
  if (t == o->last_t)
    g_assert_cmpint (i, >, o->last_i);
  o->last_t = t;
  o->last_i = i;
  o->n++;
}

/* 10^6 pending events (with many ties), a fifth cancelled, all others run in (time, insertion) order. */
static void
test_million_pending (void)
{
  g_autoptr (SimKernel) k = sim_kernel_new ();
  SimRng rng;
  sim_rng_init (&rng, 42, "test/million");
  OrderCtx o = { -1, -1, 0 };
  g_autofree SimEventId *ids = g_new (SimEventId, 1000000);
  for (int i = 0; i < 1000000; i++)
    ids[i] = sim_kernel_schedule_at (k, (SimTime) sim_rng_below (&rng, 200000), order_handler, &o,
                                     GINT_TO_POINTER (i));
  g_assert_cmpuint (sim_kernel_pending (k), ==, 1000000);
  for (int i = 0; i < 1000000; i += 5)
    g_assert_true (sim_kernel_cancel (k, ids[i]));
  g_assert_cmpuint (sim_kernel_pending (k), ==, 800000);
  g_assert_true (sim_kernel_sanity (k));
  g_assert_cmpuint (sim_kernel_run (k, SIM_TIME_MAX), ==, 800000);
  g_assert_cmpuint (o.n, ==, 800000);
  g_assert_cmpuint (sim_kernel_pending (k), ==, 0);
}

/*
 * Random schedules (many ties), cancels of pending and of stale ids, and runs to
 * random horizons, against a plain list model ordered by (time, insertion):
 * the kernel runs exactly the model's events in the model's order.
 */
typedef struct {
  SimTime    t;
  int        tag;
  SimEventId id;
} ModelEv;

static void
test_random_against_model (void)
{
  g_autoptr (SimKernel) k = sim_kernel_new ();
  g_autoptr (GArray) log = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr (GArray) model = g_array_new (FALSE, FALSE, sizeof (ModelEv)); /* insertion order */
  g_autoptr (GArray) expect = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr (GArray) stale = g_array_new (FALSE, FALSE, sizeof (SimEventId));
  SimRng rng;
  sim_rng_init (&rng, 7, "test/random-against-model");
  int next_tag = 0;
  for (int step = 0; step < 60000; step++)
    {
      guint64 op = sim_rng_below (&rng, 10);
      if (op < 5)
        {
          /* Half near now (ties), half far (a deeper heap). */
          SimTime delay = (SimTime) sim_rng_below (&rng, sim_rng_below (&rng, 2) ? 8 : 5000);
          ModelEv e = { sim_kernel_now (k) + delay, next_tag++, 0 };
          e.id = sim_kernel_schedule_at (k, e.t, log_handler, log, GINT_TO_POINTER (e.tag));
          g_array_append_val (model, e);
        }
      else if (op < 7 && model->len > 0)
        {
          guint i = (guint) sim_rng_below (&rng, model->len);
          SimEventId id = g_array_index (model, ModelEv, i).id;
          g_assert_cmpint (sim_kernel_event_time (k, id), ==, g_array_index (model, ModelEv, i).t);
          g_assert_true (sim_kernel_cancel (k, id));
          g_array_remove_index (model, i);
          g_array_append_val (stale, id);
        }
      else if (op < 8 && stale->len > 0)
        {
          SimEventId id = g_array_index (stale, SimEventId, sim_rng_below (&rng, stale->len));
          g_assert_false (sim_kernel_is_pending (k, id));
          g_assert_false (sim_kernel_cancel (k, id));
        }
      else
        {
          SimTime until = sim_kernel_now (k) + (SimTime) sim_rng_below (&rng, 12);
          /* The model: repeatedly take the earliest, first-inserted event due by `until`. */
          g_array_set_size (expect, 0);
          for (;;)
            {
              gint best = -1;
              for (guint i = 0; i < model->len; i++)
                if (g_array_index (model, ModelEv, i).t <= until
                    && (best < 0 || g_array_index (model, ModelEv, i).t
                                      < g_array_index (model, ModelEv, best).t))
                  best = (gint) i;
              if (best < 0)
                break;
              g_array_append_val (expect, g_array_index (model, ModelEv, best).tag);
              g_array_append_val (stale, g_array_index (model, ModelEv, best).id);
              g_array_remove_index (model, (guint) best);
            }
          g_array_set_size (log, 0);
          g_assert_cmpuint (sim_kernel_run (k, until), ==, expect->len);
          g_assert_cmpmem (log->data, log->len * sizeof (int), expect->data, expect->len * sizeof (int));
          g_assert_cmpint (sim_kernel_now (k), ==, until);
        }
      g_assert_cmpuint (sim_kernel_pending (k), ==, model->len);
      if (step % 1000 == 0)
        g_assert_true (sim_kernel_sanity (k));
    }
  g_assert_cmpint (next_tag, >, 20000);
  g_assert_cmpuint (model->len, >, 100);
  g_assert_true (sim_kernel_sanity (k));
}

/* Scheduling into the past is fatal with a message naming both times. */
static void
past_handler (SimKernel *k, gpointer ctx, gpointer data)
{
  sim_kernel_schedule_at (k, sim_kernel_now (k) - 1, log_handler, NULL, NULL);
}

static void
test_schedule_into_past_fatal (void)
{
  if (g_test_subprocess ())
    {
      SimKernel *k = sim_kernel_new ();
      sim_kernel_schedule_at (k, 2 * SIM_S, past_handler, NULL, NULL);
      sim_kernel_run (k, SIM_TIME_MAX);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*scheduled into the past, at 1.999999999s while the clock is at 2.000000000s*");
}

/* Entities: init in order of addition at the first run, messages with kind, finish once. */
typedef struct {
  GString *trace;
  SimEntity *peer;
  int id;
} PingState;

static void
ping_init (SimEntity *self, gpointer state)
{
  PingState *s = state;
  g_string_append_printf (s->trace, "init%d ", s->id);
  if (s->id == 0)
    sim_entity_send (s->peer, SIM_MS, 7, GINT_TO_POINTER (3), NULL);
}

static void
ping_handle (SimEntity *self, gpointer state, guint kind, gpointer msg)
{
  PingState *s = state;
  int left = GPOINTER_TO_INT (msg);
  g_string_append_printf (s->trace, "%d:k%u:%d@%" G_GINT64_FORMAT " ", s->id, kind, left,
                          sim_kernel_now (sim_entity_kernel (self)) / SIM_MS);
  if (left > 0)
    sim_entity_send (s->peer, SIM_MS, kind + 1, GINT_TO_POINTER (left - 1), NULL);
}

static void
ping_finish (SimEntity *self, gpointer state)
{
  PingState *s = state;
  g_string_append_printf (s->trace, "fin%d ", s->id);
}

static const SimEntityType ping_type = { "ping", ping_init, ping_handle, ping_finish };

static void
test_entities (void)
{
  g_autoptr (SimKernel) k = sim_kernel_new ();
  g_autoptr (GString) trace = g_string_new ("");
  PingState a = { trace, NULL, 0 }, b = { trace, NULL, 1 };
  SimEntity *ea = sim_kernel_add_entity (k, &ping_type, &a);
  SimEntity *eb = sim_kernel_add_entity (k, &ping_type, &b);
  a.peer = eb;
  b.peer = ea;
  g_assert_cmpuint (sim_entity_index (eb), ==, 1);
  sim_kernel_run (k, SIM_TIME_MAX);
  sim_kernel_finish (k);
  sim_kernel_finish (k);
  g_assert_cmpstr (trace->str, ==,
                   "init0 init1 1:k7:3@1 0:k8:2@2 1:k9:1@3 0:k10:0@4 fin0 fin1 ");
}

/* Payloads of events still pending when the kernel is freed are destroyed. */
static void
test_free_destroys_pending (void)
{
  int destroyed = 0;
  SimKernel *k = sim_kernel_new ();
  for (int i = 0; i < 10; i++)
    sim_kernel_schedule_at_full (k, i, (SimHandler) log_handler, NULL, &destroyed, count_destroy);
  sim_kernel_free (k);
  g_assert_cmpint (destroyed, ==, 10);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/kernel/equal-time-fifo", test_equal_time_fifo);
  g_test_add_func ("/sim/kernel/equal-time-fifo-from-handlers", test_equal_time_fifo_from_handlers);
  g_test_add_func ("/sim/kernel/cancel-before-fire", test_cancel_before_fire);
  g_test_add_func ("/sim/kernel/cancel-after-fire", test_cancel_after_fire);
  g_test_add_func ("/sim/kernel/cancel-no-garbage", test_cancel_no_garbage);
  g_test_add_func ("/sim/kernel/stop", test_stop);
  g_test_add_func ("/sim/kernel/run-until", test_run_until);
  g_test_add_func ("/sim/kernel/two-kernels-interleaved", test_two_kernels_interleaved);
  g_test_add_func ("/sim/kernel/million-pending", test_million_pending);
  g_test_add_func ("/sim/kernel/random-against-model", test_random_against_model);
  g_test_add_func ("/sim/kernel/schedule-into-past-fatal", test_schedule_into_past_fatal);
  g_test_add_func ("/sim/kernel/entities", test_entities);
  g_test_add_func ("/sim/kernel/free-destroys-pending", test_free_destroys_pending);
  return g_test_run ();
}
