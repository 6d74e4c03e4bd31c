/*
 * sim/kernel.c - the event kernel: a 4-ary min-heap of 16-byte slots over a
 * pool of recycled event records.
 *
 * Design. The heap holds only (time, record index) so that four siblings fill
 * exactly one 64-byte cache line: the array is 64-byte aligned and the root
 * sits at physical index 3, so the children of physical node p are the aligned
 * group 4(p-2) .. 4(p-2)+3 and a sift-down step reads one line. Records hold
 * what an event carries (handler, context, payload, destroy function), its
 * full 64-bit insertion sequence and its heap position, in one 64-byte line
 * per record (aligned), so reaching a record costs one cache miss at most.
 * Ties in time are broken by that sequence, read from the records; ties are the
 * rare case in most models, so the comparison branches on them (predicted not
 * taken) and picks among siblings on the times alone without branches.
 *
 * The root is removed bottom-up (Floyd): the hole walks down along the smallest
 * children to a leaf, then the displaced last slot is sifted up from there;
 * being a late event it rarely rises. With the branch-free choice of the
 * smallest child the descent no longer runs ahead speculatively, so it
 * prefetches the lines it may need next itself: the four child groups of the
 * current children, and in a large heap also the sixteen of the level below.
 * Heap and record arrays of 4 MiB and more are asked for transparent huge pages,
 * so a deep descent does not miss the TLB at every level. Cancel removes the
 * slot eagerly through the position kept in its record, so cancelled timers
 * never accumulate. `make bench-kernel` measures all this beside the anchors.
 *
 * Event ids are (generation << 32 | record index); the generation is bumped
 * whenever a record is released, so an id that already ran or was cancelled
 * never matches a reused record. Record 0 is reserved so that no id is 0.
 *
 * Invariants (checked by sim_kernel_sanity() in debug builds of the tests):
 * heap order on (time, seq); recs[h[p].idx].pos == p for every slot; a record
 * is pending iff its pos != 0; free records form one list.
 *
 * Not here: parallel or optimistic execution (one run is single-threaded by
 * design, DESIGN.md §3), and calendar/ladder queues (a heap keeps O(log n)
 * for every workload, including the clustered times of zero-delay LANs).
 */
#include "config.h"

#include "sim/kernel.h"
#include "sim/kernel-private.h"

#include <string.h>
#include <sys/mman.h>

#define HEAP_ROOT 3u

typedef struct {
  SimTime t;
  guint32 idx;    /* record index, >= 1 */
  guint32 unused; /* pads the slot to 16 bytes: four siblings per cache line */
} HeapSlot;

typedef struct {
  SimHandler     fn;
  gpointer       ctx;
  gpointer       data;
  GDestroyNotify destroy;   /* frees data if the event never runs; may be NULL */
  guint64        seq;       /* insertion sequence: the tie-breaker */
  guint32        pos;       /* physical heap index; 0 = not pending */
  guint32        gen;       /* bumped on release; high half of the event id */
  guint32        kind;      /* entity message kind (entity events only) */
  guint32        next_free; /* free-list link while not pending */
} __attribute__ ((aligned (64))) EventRec; /* one cache line each */

struct SimEntity {
  SimKernel           *kernel;
  const SimEntityType *type;
  gpointer             state;
  guint                index;
};

struct SimKernel {
  HeapSlot *heap;       /* 64-byte aligned; slots HEAP_ROOT .. HEAP_ROOT + n - 1 */
  gsize     n;          /* pending events */
  gsize     heap_cap;   /* slots allocated, including the 3 unused ones */
  EventRec *recs;       /* recs[0] is reserved */
  guint32   recs_cap;
  guint32   free_head;  /* 0 = empty free list */
  guint32   recs_used;  /* records ever handed out, excluding recs[0] */
  guint64   next_seq;
  SimTime   now;
  guint64   executed;
  gboolean  stop;
  gboolean  running;
  guint     current_kind; /* kind of the entity event being dispatched */
  GPtrArray *entities;    /* SimEntity*, owned */
  gboolean  entities_initialized;
  gboolean  entities_finished;
};

SimKernel *
sim_kernel_new (void)
{
  SimKernel *k = g_new0 (SimKernel, 1);
  k->heap_cap = 1024;
  k->heap = g_aligned_alloc (k->heap_cap, sizeof (HeapSlot), 64);
  k->recs_cap = 1024;
  k->recs = g_aligned_alloc0 (k->recs_cap, sizeof (EventRec), 64);
  k->entities = g_ptr_array_new_with_free_func (g_free);
  return k;
}

void
sim_kernel_free (SimKernel *k)
{
  if (k == NULL)
    return;
  for (gsize p = HEAP_ROOT; p < HEAP_ROOT + k->n; p++)
    {
      EventRec *r = &k->recs[k->heap[p].idx];
      if (r->destroy != NULL)
        r->destroy (r->data);
    }
  g_aligned_free (k->heap);
  g_aligned_free (k->recs);
  g_ptr_array_unref (k->entities);
  g_free (k);
}

SimTime
sim_kernel_now (const SimKernel *k)
{
  return k->now;
}

guint64
sim_kernel_events_executed (const SimKernel *k)
{
  return k->executed;
}

gsize
sim_kernel_pending (const SimKernel *k)
{
  return k->n;
}

const char *
sim_time_format (SimTime t, char *buf, gsize len)
{
  const char *sign = t < 0 ? "-" : "";
  guint64 a = t < 0 ? (guint64) (-(t + 1)) + 1 : (guint64) t;
  g_snprintf (buf, len, "%s%" G_GUINT64_FORMAT ".%09" G_GUINT64_FORMAT "s", sign,
              a / (guint64) SIM_S, a % (guint64) SIM_S);
  return buf;
}

/* ---- memory ------------------------------------------------------------- */

/*
 * A cache-line aligned array; from 4 MiB on, 2 MiB aligned and marked for
 * transparent huge pages (where the system offers them only on request).
 * Measured at 10^6 pending events: about a tenth more events/s.
 */
static gpointer
array_alloc (gsize n, gsize size)
{
  gsize bytes = n * size;
  if (bytes < (4u << 20))
    return g_aligned_alloc (n, size, 64);
  gpointer p = g_aligned_alloc (n, size, 2u << 20);
#ifdef MADV_HUGEPAGE
  madvise (p, bytes, MADV_HUGEPAGE);
#endif
  return p;
}

/* ---- records ------------------------------------------------------------ */

static G_GNUC_NO_INLINE void
recs_grow (SimKernel *k)
{
  guint32 cap = k->recs_cap;
  g_assert (cap < G_MAXUINT32 / 2);
  EventRec *nr = array_alloc ((gsize) cap * 2, sizeof (EventRec));
  memset (nr + cap, 0, (gsize) cap * sizeof (EventRec));
  memcpy (nr, k->recs, (gsize) cap * sizeof (EventRec));
  g_aligned_free (k->recs);
  k->recs = nr;
  k->recs_cap = cap * 2;
}

static inline guint32
rec_alloc (SimKernel *k)
{
  guint32 idx = k->free_head;
  if (G_LIKELY (idx != 0))
    {
      k->free_head = k->recs[idx].next_free;
      return idx;
    }
  if (G_UNLIKELY (k->recs_used + 1 >= k->recs_cap))
    recs_grow (k);
  return ++k->recs_used;
}

static inline void
rec_release (SimKernel *k, guint32 idx)
{
  EventRec *r = &k->recs[idx];
  r->pos = 0;
  r->gen++;
  r->next_free = k->free_head;
  k->free_head = idx;
}

/* ---- heap --------------------------------------------------------------- */

/* TRUE if a runs before b: (time, seq) order. */
static inline gboolean
slot_before (const EventRec *recs, HeapSlot a, HeapSlot b)
{
  if (G_UNLIKELY (a.t == b.t))
    return recs[a.idx].seq < recs[b.idx].seq;
  return a.t < b.t;
}

static inline void
heap_place (SimKernel *k, gsize p, HeapSlot x)
{
  k->heap[p] = x;
  k->recs[x.idx].pos = (guint32) p;
}

static inline void
sift_up (SimKernel *k, gsize p, HeapSlot x)
{
  HeapSlot *h = k->heap;
  const EventRec *recs = k->recs;
  while (p > HEAP_ROOT)
    {
      gsize parent = p / 4 + 2;
      if (!slot_before (recs, x, h[parent]))
        break;
      heap_place (k, p, h[parent]);
      p = parent;
    }
  heap_place (k, p, x);
}

/*
 * Smallest of the children starting at `first` (aligned group), given the end.
 * A full group is a tournament of three comparisons whose outcomes become index
 * arithmetic, not jumps: they are coin flips that no predictor guesses.
 */
static inline gsize
min_child (const HeapSlot *h, const EventRec *recs, gsize first, gsize end)
{
  gsize best = first;
  if (G_LIKELY (first + 4 <= end))
    {
      gsize b1 = first + (gsize) slot_before (recs, h[first + 1], h[first]);
      gsize b2 = first + 2 + (gsize) slot_before (recs, h[first + 3], h[first + 2]);
      best = slot_before (recs, h[b2], h[b1]) ? b2 : b1;
    }
  else
    {
      for (gsize c = first + 1; c < end; c++)
        if (slot_before (recs, h[c], h[best]))
          best = c;
    }
  return best;
}

static inline void
sift_down (SimKernel *k, gsize p, HeapSlot x, gsize end)
{
  HeapSlot *h = k->heap;
  const EventRec *recs = k->recs;
  for (;;)
    {
      gsize first = 4 * (p - 2);
      if (first >= end)
        break;
      gsize best = min_child (h, recs, first, end);
      if (!slot_before (recs, h[best], x))
        break;
      heap_place (k, p, h[best]);
      p = best;
    }
  heap_place (k, p, x);
}

/*
 * Prefetch for a descent that is at the child group `first`: the four groups
 * below it (one of them is the next step), and once those lie beyond the first
 * 64 KiB (no longer in the nearest caches) also the sixteen groups two levels
 * down, so that a miss has two steps to resolve. Only the root removal uses
 * this: a cancel's sift-down from a random position is short, and measured
 * slower with it. (always_inline: GCC deems a call that only prefetches free of
 * effects and deletes it before inlining.)
 */
static inline __attribute__ ((always_inline)) void
heap_prefetch_below (const HeapSlot *h, gsize first, gsize end)
{
  gsize grand = 4 * (first - 2);
  if (grand >= end)
    return;
  __builtin_prefetch (h + grand);
  __builtin_prefetch (h + grand + 4);
  __builtin_prefetch (h + grand + 8);
  __builtin_prefetch (h + grand + 12);
  gsize great = 4 * (grand - 2);
  if (great >= 4096 && great < end)
    for (gsize g = 0; g < 64; g += 4)
      __builtin_prefetch (h + great + g);
}

/* Remove the root; the heap has n slots left afterwards (n >= 1 before). */
static inline void
heap_remove_root (SimKernel *k)
{
  gsize end = HEAP_ROOT + --k->n;
  if (k->n == 0)
    return;
  HeapSlot *h = k->heap;
  const EventRec *recs = k->recs;
  HeapSlot x = h[end];
  gsize p = HEAP_ROOT;
  for (;;)
    {
      gsize first = 4 * (p - 2);
      if (first >= end)
        break;
      heap_prefetch_below (h, first, end);
      gsize best = min_child (h, recs, first, end);
      heap_place (k, p, h[best]);
      p = best;
    }
  sift_up (k, p, x);
}

static G_GNUC_NO_INLINE void
heap_grow (SimKernel *k)
{
  gsize cap = k->heap_cap * 2;
  HeapSlot *nh = array_alloc (cap, sizeof (HeapSlot));
  memcpy (nh, k->heap, k->heap_cap * sizeof (HeapSlot));
  g_aligned_free (k->heap);
  k->heap = nh;
  k->heap_cap = cap;
}

/* ---- scheduling ------------------------------------------------------------ */

static G_GNUC_NORETURN G_GNUC_NO_INLINE void
schedule_in_past (const SimKernel *k, SimTime when)
{
  char a[40], b[40];
  g_error ("sim_kernel: an event was scheduled into the past, at %s while the clock is at %s "
           "(a negative delay, or a model that computed an absolute time wrongly)",
           sim_time_format (when, a, sizeof a), sim_time_format (k->now, b, sizeof b));
}

static inline SimEventId
schedule_rec (SimKernel *k, SimTime when, SimHandler fn, gpointer ctx, gpointer data,
              GDestroyNotify destroy, guint kind)
{
  if (G_UNLIKELY (when < k->now))
    schedule_in_past (k, when);
  if (G_UNLIKELY (HEAP_ROOT + k->n >= k->heap_cap))
    heap_grow (k);
  guint32 idx = rec_alloc (k);
  EventRec *r = &k->recs[idx];
  r->fn = fn;
  r->ctx = ctx;
  r->data = data;
  r->destroy = destroy;
  r->seq = k->next_seq++;
  r->kind = kind;
  HeapSlot x = { when, idx, 0 };
  sift_up (k, HEAP_ROOT + k->n++, x);
  return ((guint64) r->gen << 32) | idx;
}

SimEventId
sim_kernel_schedule_at (SimKernel *k, SimTime when, SimHandler fn, gpointer ctx, gpointer data)
{
  return schedule_rec (k, when, fn, ctx, data, NULL, 0);
}

SimEventId
sim_kernel_schedule_at_full (SimKernel *k, SimTime when, SimHandler fn, gpointer ctx,
                             gpointer data, GDestroyNotify destroy)
{
  return schedule_rec (k, when, fn, ctx, data, destroy, 0);
}

SimEventId
sim_kernel_schedule (SimKernel *k, SimTime delay, SimHandler fn, gpointer ctx, gpointer data)
{
  if (G_UNLIKELY (delay < 0))
    schedule_in_past (k, k->now + delay);
  return schedule_rec (k, k->now + delay, fn, ctx, data, NULL, 0);
}

/* The record of a pending event, or NULL. */
static inline EventRec *
pending_rec (const SimKernel *k, SimEventId id)
{
  guint32 idx = (guint32) id;
  if (idx == 0 || idx > k->recs_used)
    return NULL;
  EventRec *r = &k->recs[idx];
  if (r->gen != (guint32) (id >> 32) || r->pos == 0)
    return NULL;
  return r;
}

gboolean
sim_kernel_is_pending (const SimKernel *k, SimEventId id)
{
  return pending_rec (k, id) != NULL;
}

SimTime
sim_kernel_event_time (const SimKernel *k, SimEventId id)
{
  EventRec *r = pending_rec (k, id);
  return r != NULL ? k->heap[r->pos].t : -1;
}

gboolean
sim_kernel_cancel (SimKernel *k, SimEventId id)
{
  EventRec *r = pending_rec (k, id);
  if (r == NULL)
    return FALSE;
  gsize p = r->pos;
  GDestroyNotify destroy = r->destroy;
  gpointer data = r->data;
  gsize last = HEAP_ROOT + --k->n;
  if (p != last)
    {
      HeapSlot x = k->heap[last];
      if (p > HEAP_ROOT && slot_before (k->recs, x, k->heap[p / 4 + 2]))
        sift_up (k, p, x);
      else
        sift_down (k, p, x, last);
    }
  rec_release (k, (guint32) id);
  if (destroy != NULL)
    destroy (data);
  return TRUE;
}

/* ---- running ----------------------------------------------------------------- */

static void entities_init (SimKernel *k);

guint64
sim_kernel_run (SimKernel *k, SimTime until)
{
  g_return_val_if_fail (!k->running, 0);
  g_return_val_if_fail (until >= k->now, 0);
  guint64 start = k->executed;
  k->stop = FALSE;
  k->running = TRUE;
  if (!k->entities_initialized)
    entities_init (k);
  while (k->n > 0 && !k->stop)
    {
      HeapSlot top = k->heap[HEAP_ROOT];
      if (top.t > until)
        break;
      heap_remove_root (k);
      EventRec *r = &k->recs[top.idx];
      SimHandler fn = r->fn;
      gpointer ctx = r->ctx, data = r->data;
      k->current_kind = r->kind;
      rec_release (k, top.idx);
      k->now = top.t;
      k->executed++;
      fn (k, ctx, data);
    }
  if (!k->stop && until != SIM_TIME_MAX)
    k->now = until;
  k->running = FALSE;
  return k->executed - start;
}

void
sim_kernel_stop (SimKernel *k)
{
  k->stop = TRUE;
}

/* ---- entities ------------------------------------------------------------------ */

static void
entities_init (SimKernel *k)
{
  k->entities_initialized = TRUE;
  for (guint i = 0; i < k->entities->len; i++)
    {
      SimEntity *e = k->entities->pdata[i];
      if (e->type->init != NULL)
        e->type->init (e, e->state);
    }
}

SimEntity *
sim_kernel_add_entity (SimKernel *k, const SimEntityType *type, gpointer state)
{
  g_return_val_if_fail (type != NULL && type->handle != NULL, NULL);
  SimEntity *e = g_new (SimEntity, 1);
  e->kernel = k;
  e->type = type;
  e->state = state;
  e->index = k->entities->len;
  g_ptr_array_add (k->entities, e);
  if (k->entities_initialized && type->init != NULL)
    type->init (e, state);
  return e;
}

SimKernel *
sim_entity_kernel (const SimEntity *e)
{
  return e->kernel;
}

gpointer
sim_entity_state (const SimEntity *e)
{
  return e->state;
}

guint
sim_entity_index (const SimEntity *e)
{
  return e->index;
}

static void
entity_dispatch (SimKernel *k, gpointer ctx, gpointer msg)
{
  SimEntity *e = ctx;
  e->type->handle (e, e->state, k->current_kind, msg);
}

SimEventId
sim_entity_send (SimEntity *to, SimTime delay, guint kind, gpointer msg, GDestroyNotify msg_free)
{
  SimKernel *k = to->kernel;
  if (G_UNLIKELY (delay < 0))
    schedule_in_past (k, k->now + delay);
  return schedule_rec (k, k->now + delay, entity_dispatch, to, msg, msg_free, kind);
}

void
sim_kernel_finish (SimKernel *k)
{
  if (k->entities_finished)
    return;
  k->entities_finished = TRUE;
  for (guint i = 0; i < k->entities->len; i++)
    {
      SimEntity *e = k->entities->pdata[i];
      if (e->type->finish != NULL)
        e->type->finish (e, e->state);
    }
}

/* ---- debug ------------------------------------------------------------------------ */

gboolean
sim_kernel_sanity (const SimKernel *k)
{
  gsize end = HEAP_ROOT + k->n;
  for (gsize p = HEAP_ROOT; p < end; p++)
    {
      HeapSlot s = k->heap[p];
      if (s.idx == 0 || s.idx > k->recs_used || k->recs[s.idx].pos != p)
        return FALSE;
      if (p > HEAP_ROOT && slot_before (k->recs, s, k->heap[p / 4 + 2]))
        return FALSE;
    }
  gsize free_count = 0;
  for (guint32 i = k->free_head; i != 0; i = k->recs[i].next_free)
    {
      if (k->recs[i].pos != 0 || ++free_count > k->recs_used)
        return FALSE;
    }
  return free_count + k->n == k->recs_used;
}

guint32
sim_kernel_records_in_use (const SimKernel *k)
{
  return k->recs_used;
}
