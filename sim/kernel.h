/*
 * sim/kernel.h - the discrete-event kernel: simulated clock, event set, entities.
 *
 * Time is SimTime, integer nanoseconds since the start of the run. Events are
 * ordered by (time, insertion sequence): events at equal times run in the order
 * they were scheduled (FIFO), so a run never depends on the event set's
 * internals. Every kernel owns all its state; two kernels in one process are
 * independent.
 *
 * Costs (n = pending events): schedule O(log n), cancel O(log n) with the
 * event really removed (cancelled timers leave nothing behind), pop O(log n).
 * Memory is about 80 bytes per pending event (a 16-byte heap slot and a 64-byte
 * record); records are recycled.
 *
 * Misuse: scheduling before now() is a fatal error (g_error) naming both
 * times; cancelling an id that already ran or was cancelled is harmless and
 * returns FALSE (ids carry a generation, so a stale id never hits a newer event).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Simulated time, in nanoseconds since the start of the run. */
typedef gint64 SimTime;

#define SIM_NS  ((SimTime) 1)
#define SIM_US  ((SimTime) 1000)
#define SIM_MS  ((SimTime) 1000000)
#define SIM_S   ((SimTime) 1000000000)
#define SIM_MIN (60 * SIM_S)
#define SIM_H   (3600 * SIM_S)
#define SIM_TIME_MAX G_MAXINT64

typedef struct SimKernel SimKernel;

/* Identifies a scheduled event; 0 is never a valid id ("no event"). */
typedef guint64 SimEventId;
#define SIM_EVENT_NONE ((SimEventId) 0)

/*
 * An event handler. ctx and data are the pointers given to schedule. When the
 * event was scheduled with a destroy function, the handler owns data (the
 * kernel calls destroy only for events that never run: cancelled, or pending
 * when the kernel is freed).
 */
typedef void (*SimHandler) (SimKernel *kernel, gpointer ctx, gpointer data);

SimKernel *sim_kernel_new (void);
void       sim_kernel_free (SimKernel *kernel);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimKernel, sim_kernel_free)

/* The current simulated time: the time of the event running, or where run() stopped. */
SimTime    sim_kernel_now (const SimKernel *kernel);

/* Schedule fn(kernel, ctx, data) at absolute time `when` (>= now). O(log n). */
SimEventId sim_kernel_schedule_at (SimKernel     *kernel,
                                   SimTime        when,
                                   SimHandler     fn,
                                   gpointer       ctx,
                                   gpointer       data);
/* Same, with a destroy function for data if the event never runs. */
SimEventId sim_kernel_schedule_at_full (SimKernel     *kernel,
                                        SimTime        when,
                                        SimHandler     fn,
                                        gpointer       ctx,
                                        gpointer       data,
                                        GDestroyNotify destroy);
/* Schedule `delay` (>= 0) after now. */
SimEventId sim_kernel_schedule (SimKernel *kernel,
                                SimTime    delay,
                                SimHandler fn,
                                gpointer   ctx,
                                gpointer   data);

/*
 * Remove a pending event. Returns TRUE if it was pending (its data's destroy
 * function, if any, has then been called), FALSE for SIM_EVENT_NONE or an id
 * that already ran or was cancelled. O(log n).
 */
gboolean   sim_kernel_cancel (SimKernel *kernel, SimEventId id);
gboolean   sim_kernel_is_pending (const SimKernel *kernel, SimEventId id);
/* The time a pending event will run at; -1 if it is not pending. */
SimTime    sim_kernel_event_time (const SimKernel *kernel, SimEventId id);

/*
 * Run events in order until the next one is later than `until` (the clock is
 * then set to `until`), until none are left, or until sim_kernel_stop() is
 * called from a handler (the clock stays at that event's time). Returns the
 * number of events executed by this call.
 */
guint64    sim_kernel_run (SimKernel *kernel, SimTime until);
/* Ask run() to return after the current event. */
void       sim_kernel_stop (SimKernel *kernel);

guint64    sim_kernel_events_executed (const SimKernel *kernel);
gsize      sim_kernel_pending (const SimKernel *kernel);

/*
 * Entities, after ROSS's LP types: a type is a table of callbacks, an entity is
 * a state pointer of that type registered with the kernel. init runs for every
 * entity (in the order they were added) at the first run() or at once when
 * the kernel is already running; finish runs from sim_kernel_finish(), in the
 * same order. Messages to an entity are events carrying a kind and a payload.
 */
typedef struct SimEntity SimEntity;
typedef struct {
  const char *name;                                                /* for diagnostics */
  void (*init)    (SimEntity *self, gpointer state);
  void (*handle)  (SimEntity *self, gpointer state, guint kind, gpointer msg);
  void (*finish)  (SimEntity *self, gpointer state);
} SimEntityType;

/* Register an entity; the kernel does not own state. Returns a handle valid until sim_kernel_free. */
SimEntity *sim_kernel_add_entity (SimKernel *kernel, const SimEntityType *type, gpointer state);
SimKernel *sim_entity_kernel (const SimEntity *entity);
gpointer   sim_entity_state (const SimEntity *entity);
guint      sim_entity_index (const SimEntity *entity);
/* Deliver (kind, msg) to entity `to` after `delay`; msg_free frees msg if it is never delivered. */
SimEventId sim_entity_send (SimEntity     *to,
                            SimTime        delay,
                            guint          kind,
                            gpointer       msg,
                            GDestroyNotify msg_free);
/* Call every entity's finish callback once (idempotent). */
void       sim_kernel_finish (SimKernel *kernel);

/* Format a time as seconds with 9 decimals ("12.000000500s") into buf (>= 32 bytes). */
const char *sim_time_format (SimTime t, char *buf, gsize len);

G_END_DECLS
