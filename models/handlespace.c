/*
 * models/handlespace.c - pools, pool elements, the selection indexes of the
 * RFC 5356 policies, owners with incremental checksums, expiry, cursors.
 *
 * Design. PEs live in a slab of 1024-PE chunks (stable addresses, 32-bit
 * indexes, a free list), so every link between them is a 4-byte index and
 * nothing is allocated per registration unless a PE's addresses exceed its
 * 24-byte inline buffer. Each PE sits in
 *   - its pool's hash table (open addressing, linear probing, backward-shift
 *     deletion, keyed by PE identifier) and member list (joining order);
 *   - its owner's list (the PEs one registrar is home of), whose owner record
 *     keeps the count and the exact integer sum of the PEs' checksum words, so
 *     the RFC 5353 §3.6 checksum is a fold of that sum;
 *   - one selection structure chosen by the pool's policy:
 *       RR    a ring with a head that advances per resolution: O(1);
 *       PRIO LU LUD PLU WRR
 *             groups of PEs with equal sort key (WRR: equal weight), each a
 *             ring in (key, seq) order, found by key through a small hash and
 *             ordered by their fronts in a cache-aligned 4-ary heap (the
 *             layout of sim/kernel.c). "Ties round robin" is then literal:
 *             using a group's front advances the group's head, O(1) with no
 *             heap work for PRIO/LU/PLU; LUD moves the PE to the group of its
 *             degraded key; WRR (stride scheduling, policy.h) re-sorts only
 *             its weight class among the classes. The heap holds groups, not
 *             PEs, so it is as small as the number of distinct keys, and a
 *             resolution touches a handful of cache lines even at 10^6 PEs.
 *             Worst case (all keys distinct) it is a heap of single PEs;
 *       RAND  a dense array: O(1) draws;
 *       WRAND RLU
 *             the dense array plus a Fenwick tree of the weights: O(log n)
 *             draws with exact integer weights.
 *     A PE's position in these structures is kept in an array beside the
 *     slab, so moving others around does not touch PEs.
 * Pools are in a GTree ordered by handle (bytewise, then length): lookups are
 * O(log pools) and iteration is in a defined order.
 *
 * Sequence numbers are 32-bit; when they would wrap, the pool's members are
 * renumbered in order (O(n log n) once per 4 G uses). WRR virtual times are
 * rebased to 0 when they pass 2^62.
 *
 * Invariants: see hs_handlespace_sanity(), which checks all of them against a
 * recomputation. Not here: the protocol decisions around the database (who
 * may register what, MAX-BAD-PE-REPORT, announcing updates): the registrar.
 */
#include "config.h"

#include "models/handlespace.h"
#include "models/handlespace-private.h"

#include <string.h>

#define NONE G_MAXUINT32

#define ADDR_INLINE 24   /* inline address bytes per PE: e.g. one IPv4 user + one IPv4 ASAP address */
#define ADDR_MAX    (2 * HS_MAX_ADDRESSES * 17)

enum {
  PE_MARKED     = 1 << 0,
  PE_HEAP_ADDRS = 1 << 1,
};

typedef enum {
  SEL_RING,
  SEL_HEAP,
  SEL_DENSE,
  SEL_FENWICK,
} SelKind;

struct HsPoolElement {
  HsPool    *pool;
  guint64    credential;
  SimTime    expiry;            /* SIM_TIME_MAX: infinite life */
  SimTime    last_update;
  SimEventId timer;             /* pending expiry event, SIM_EVENT_NONE without */
  guint32    id;
  guint32    owner;             /* home registrar ID */
  guint32    self;              /* slab index; while free: next free index */
  guint32    value;             /* weight (WRR, WRAND) | priority (PRIO) | load (LU, LUD, PLU, RLU) */
  guint32    degradation;       /* load degradation (LUD, PLU) */
  guint32    lud_count;         /* LUD: times used since (re-)registration, saturating */
  guint32    bad_reports;
  gint32     reg_life_ms;
  guint32    ring_prev, ring_next; /* RR ring, or the PE's group (NONE-terminated) */
  guint32    seq;               /* grouped policies: when it joined its group's tail */
  guint64    pass;              /* WRR: virtual time of its next turn */
  guint32    pool_prev, pool_next;
  guint32    owner_prev, owner_next;
  guint32    dccp_service_code;
  guint16    user_port, asap_port;
  guint8     user_type, user_use, asap_use, flags;
  guint8     n_user, n_asap;    /* addresses, user transport first */
  guint16    addr_len;          /* bytes of packed addresses: (family, 4|16 bytes)* */
  union {
    guint8  inline_bytes[ADDR_INLINE];
    guint8 *heap;
  } addrs;
};

/*
 * A heap slot orders a group by its front PE: (key, seq). Groups of the
 * other grouped policies have distinct keys, so their slots carry seq 0 and
 * rotating such a group touches neither the heap nor its new front.
 */
typedef struct {
  guint64 key;    /* WRR: the front's pass; otherwise the group's sort key */
  guint32 seq;    /* WRR: the front's sequence number; otherwise 0 */
  guint32 grp;    /* group index */
} HeapSlot;

/*
 * A group: the PEs of a grouped-policy pool that share a sort key (PRIO, LU,
 * LUD, PLU) or a weight (WRR), in (key, seq) order from the head around the
 * ring: a PE joins at the tail with a new, highest sequence number. Using the
 * front moves it to the tail by advancing the head: no links change. For WRR
 * the order holds because all members advance by the same stride and join at
 * vtime + stride (or behind the tail).
 */
typedef struct {
  guint64 key;        /* sort key, or WRR weight */
  guint32 head;       /* front; members form a ring through ring_prev/ring_next, the tail is head's prev */
  guint32 count;      /* 0: free, and head is then the next free group */
  guint32 pos;        /* heap position, NONE while not in the heap */
  guint32 unused;
} Group;

typedef struct {
  guint64 key;
  guint32 grp;        /* NONE = empty */
  guint32 unused;
} GroupEnt;

#define HEAP_ROOT 3u

typedef struct {
  guint32 id;
  guint32 pe;     /* NONE = empty */
} HashEnt;

typedef struct {
  const guint8 *data;
  gsize         len;
} HandleKey;

struct HsPool {
  HandleKey      key;           /* first member: the GTree key; data owned */
  HsHandlespace *hs;
  guint64        handle_sum;    /* sum of the 16-bit words of the padded handle */
  guint32        policy_type;
  guint8         kind;          /* SelKind */
  guint8         transport_type, transport_use;
  guint32        count;
  guint32        head, tail;    /* member list */
  HashEnt       *tab;
  guint32        tab_mask;
  /* RR */
  guint32        ring_head;
  /* grouped policies (PRIO, LU, LUD, PLU, WRR) */
  HeapSlot      *heap;          /* of groups; 64-byte aligned, slots HEAP_ROOT .. HEAP_ROOT + heap_n - 1 */
  guint32        heap_n, heap_cap;
  Group         *groups;
  guint32        groups_used, groups_cap, groups_free;
  GroupEnt      *gtab;          /* group key -> group, open addressing */
  guint32        gtab_mask;
  guint32        members;       /* PEs in groups */
  guint32        next_seq;
  guint64        vtime;         /* WRR: virtual time of the last selection */
  /* random policies */
  guint32       *dense;         /* slot -> PE */
  guint32       *wt;            /* slot -> weight (Fenwick only) */
  guint64       *fen;           /* Fenwick tree, 1-based, dense_cap + 1 entries */
  guint32        dense_n, dense_cap;
  guint64        total;         /* Fenwick: sum of weights */
};

typedef struct {
  guint32 id;
  guint32 head, tail;
  guint32 count;
  guint64 sum;                  /* exact sum of the checksum words of the owned PEs */
} Owner;

#define SLAB_SHIFT 10           /* PEs per chunk: 1024 (152 KiB) */
#define SLAB_MASK ((1u << SLAB_SHIFT) - 1)

typedef struct {
  HsPoolElement **chunks;
  guint32        chunks_cap;
  guint32        sel_cap;
  guint32       *sel;           /* per PE: heap position or dense slot, NONE if not selectable;
                                 * apart from the PEs so that heap moves touch 4 bytes, not a PE */
  guint32        n_chunks;
  guint32        used;          /* indexes ever handed out */
  guint32        free_head;
  guint32        live;
} Slab;

struct HsCursor {
  HsHandlespace *hs;            /* NULL once the handlespace is gone */
  HsCursor      *prev_c, *next_c;
  gboolean       by_owner;
  guint32        owner;
  HsPool        *pool;          /* all: current pool, NULL = done */
  guint32        next;          /* next PE to deliver; NONE = done (owner cursors) */
};

struct HsHandlespace {
  SimKernel   *kernel;
  GTree       *pools;           /* HandleKey* -> HsPool* */
  Slab         slab;
  GHashTable  *owners;          /* owner id -> Owner* */
  HsExpiryFunc expiry_func;
  gpointer     expiry_data;
  guint        max_increment;
  guint        max_pes;
  HsCursor    *cursors;
};

/* ---- slab ----------------------------------------------------------------- */

static inline HsPoolElement *
slab_get (const Slab *s, guint32 idx)
{
  return &s->chunks[idx >> SLAB_SHIFT][idx & SLAB_MASK];
}

static guint32
slab_alloc (Slab *s)
{
  guint32 idx;
  if (s->free_head != NONE)
    {
      idx = s->free_head;
      s->free_head = slab_get (s, idx)->self;
    }
  else
    {
      idx = s->used;
      if ((idx & SLAB_MASK) == 0)
        {
          /* Fixed-size chunks: at most one chunk of slack, and PEs never move. */
          g_assert (idx < G_MAXUINT32 - SLAB_MASK);
          if (s->n_chunks == s->chunks_cap)
            {
              s->chunks_cap = s->chunks_cap == 0 ? 4 : s->chunks_cap * 2;
              s->chunks = g_renew (HsPoolElement *, s->chunks, s->chunks_cap);
            }
          s->chunks[s->n_chunks++] = g_new (HsPoolElement, 1u << SLAB_SHIFT);
        }
      if (idx == s->sel_cap)
        {
          s->sel_cap = s->sel_cap == 0 ? 64 : s->sel_cap * 2;
          s->sel = g_renew (guint32, s->sel, s->sel_cap);
        }
      s->used++;
    }
  s->live++;
  HsPoolElement *pe = slab_get (s, idx);
  memset (pe, 0, sizeof *pe);
  pe->self = idx;
  return idx;
}

static void
slab_release (Slab *s, guint32 idx)
{
  HsPoolElement *pe = slab_get (s, idx);
  pe->pool = NULL;
  pe->self = s->free_head;
  s->free_head = idx;
  s->live--;
}

static inline HsPoolElement *
pe_at (const HsHandlespace *hs, guint32 idx)
{
  return slab_get (&hs->slab, idx);
}

/* The selection position of a PE (by slab index). */
#define SEL(hs, idx) ((hs)->slab.sel[idx])

/* ---- checksum ------------------------------------------------------------- */

static guint64
handle_word_sum (const guint8 *h, gsize len)
{
  guint64 sum = 0;
  for (gsize i = 0; i < len; i += 2)
    sum += ((guint) h[i] << 8) | (i + 1 < len ? h[i + 1] : 0);
  return sum;
}

static inline guint64
pe_checksum_words (const HsPoolElement *pe)
{
  return pe->pool->handle_sum + (pe->id >> 16) + (pe->id & 0xffff);
}

/* RFC 1071: ~(one's complement sum). Folding a positive sum gives 1..0xffff, congruent mod 0xffff. */
static guint16
checksum_finish (guint64 sum)
{
  guint64 ones = sum == 0 ? 0 : (sum - 1) % 0xffff + 1;
  return (guint16) ~ones;
}

guint16
hs_internet_checksum (const guint8 *data, gsize len)
{
  guint32 sum = 0;
  for (gsize i = 0; i < len; i += 2)
    {
      sum += ((guint32) data[i] << 8) | (i + 1 < len ? data[i + 1] : 0);
      sum = (sum & 0xffff) + (sum >> 16);
    }
  return (guint16) ~sum;
}

/* ---- owners --------------------------------------------------------------- */

static Owner *
owner_lookup (const HsHandlespace *hs, guint32 id)
{
  return g_hash_table_lookup (hs->owners, GUINT_TO_POINTER (id));
}

static void cursors_pe_leaves_owner (HsHandlespace *hs, HsPoolElement *pe);

static void
owner_link (HsHandlespace *hs, HsPoolElement *pe)
{
  Owner *o = owner_lookup (hs, pe->owner);
  if (o == NULL)
    {
      o = g_new0 (Owner, 1);
      o->id = pe->owner;
      o->head = o->tail = NONE;
      g_hash_table_insert (hs->owners, GUINT_TO_POINTER (pe->owner), o);
    }
  pe->owner_prev = o->tail;
  pe->owner_next = NONE;
  if (o->tail != NONE)
    pe_at (hs, o->tail)->owner_next = pe->self;
  else
    o->head = pe->self;
  o->tail = pe->self;
  o->count++;
  o->sum += pe_checksum_words (pe);
}

static void
owner_unlink (HsHandlespace *hs, HsPoolElement *pe)
{
  Owner *o = owner_lookup (hs, pe->owner);
  g_assert (o != NULL);
  cursors_pe_leaves_owner (hs, pe);
  if (pe->owner_prev != NONE)
    pe_at (hs, pe->owner_prev)->owner_next = pe->owner_next;
  else
    o->head = pe->owner_next;
  if (pe->owner_next != NONE)
    pe_at (hs, pe->owner_next)->owner_prev = pe->owner_prev;
  else
    o->tail = pe->owner_prev;
  o->count--;
  o->sum -= pe_checksum_words (pe);
  if (o->count == 0)
    g_hash_table_remove (hs->owners, GUINT_TO_POINTER (o->id));
}

/* ---- per-pool hash of PE identifiers ------------------------------------------ */

static inline guint32
id_hash (guint32 id)
{
  /* murmur3's finaliser: sequential and crafted identifiers spread alike. */
  id ^= id >> 16;
  id *= 0x85ebca6bu;
  id ^= id >> 13;
  id *= 0xc2b2ae35u;
  id ^= id >> 16;
  return id;
}

static guint32
tab_find (const HsPool *pool, guint32 id)
{
  guint32 m = pool->tab_mask;
  for (guint32 h = id_hash (id) & m;; h = (h + 1) & m)
    {
      const HashEnt *e = &pool->tab[h];
      if (e->pe == NONE || e->id == id)
        return e->pe;
    }
}

static void tab_insert (HsPool *pool, guint32 id, guint32 pe);

static G_GNUC_NO_INLINE void
tab_grow (HsPool *pool)
{
  HashEnt *old = pool->tab;
  guint32 old_cap = pool->tab_mask + 1;
  guint32 cap = old_cap * 2;
  pool->tab = g_new (HashEnt, cap);
  memset (pool->tab, 0xff, cap * sizeof (HashEnt));
  pool->tab_mask = cap - 1;
  for (guint32 i = 0; i < old_cap; i++)
    if (old[i].pe != NONE)
      tab_insert (pool, old[i].id, old[i].pe);
  g_free (old);
}

/* Insert an id known to be absent; the caller keeps the load factor below 3/4. */
static void
tab_insert (HsPool *pool, guint32 id, guint32 pe)
{
  guint32 m = pool->tab_mask;
  guint32 h = id_hash (id) & m;
  while (pool->tab[h].pe != NONE)
    h = (h + 1) & m;
  pool->tab[h].id = id;
  pool->tab[h].pe = pe;
}

/* Remove by backward shift: no tombstones, probe lengths stay short. */
static void
tab_remove (HsPool *pool, guint32 id)
{
  guint32 m = pool->tab_mask;
  guint32 h = id_hash (id) & m;
  while (pool->tab[h].id != id || pool->tab[h].pe == NONE)
    {
      g_assert (pool->tab[h].pe != NONE);
      h = (h + 1) & m;
    }
  guint32 hole = h;
  for (guint32 j = (hole + 1) & m; pool->tab[j].pe != NONE; j = (j + 1) & m)
    {
      guint32 home = id_hash (pool->tab[j].id) & m;
      /* Move j into the hole unless its home lies cyclically in (hole, j]. */
      gboolean stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (!stays)
        {
          pool->tab[hole] = pool->tab[j];
          hole = j;
        }
    }
  pool->tab[hole].pe = NONE;
}

/* ---- grouped policies (PRIO, LU, LUD, PLU, WRR): a heap of groups --------------- */

static inline gboolean
slot_less (HeapSlot a, HeapSlot b)
{
  return a.key < b.key || (a.key == b.key && a.seq < b.seq);
}

static inline void
heap_place (HsPool *pool, guint32 p, HeapSlot x)
{
  pool->heap[p] = x;
  pool->groups[x.grp].pos = p;
}

static void
heap_sift_up (HsPool *pool, guint32 p, HeapSlot x)
{
  HeapSlot *h = pool->heap;
  while (p > HEAP_ROOT)
    {
      guint32 parent = p / 4 + 2;
      if (!slot_less (x, h[parent]))
        break;
      heap_place (pool, p, h[parent]);
      p = parent;
    }
  heap_place (pool, p, x);
}

/* The smallest child of the aligned group starting at first (< end). */
static inline guint32
heap_min_child (const HeapSlot *h, guint32 first, guint32 end)
{
  if (G_LIKELY (first + 4 <= end))
    {
      guint32 b1 = slot_less (h[first + 1], h[first]) ? first + 1 : first;
      guint32 b2 = slot_less (h[first + 3], h[first + 2]) ? first + 3 : first + 2;
      return slot_less (h[b2], h[b1]) ? b2 : b1;
    }
  guint32 best = first;
  for (guint32 c = first + 1; c < end; c++)
    if (slot_less (h[c], h[best]))
      best = c;
  return best;
}

static void
heap_sift_down (HsPool *pool, guint32 p, HeapSlot x)
{
  HeapSlot *h = pool->heap;
  guint32 end = HEAP_ROOT + pool->heap_n;
  for (;;)
    {
      guint32 first = 4 * (p - 2);
      if (first >= end)
        break;
      guint32 best = heap_min_child (h, first, end);
      if (!slot_less (h[best], x))
        break;
      heap_place (pool, p, h[best]);
      p = best;
    }
  heap_place (pool, p, x);
}

/* Put x at p (p occupied or the new last slot) where it belongs. */
static void
heap_fix (HsPool *pool, guint32 p, HeapSlot x)
{
  if (p > HEAP_ROOT && slot_less (x, pool->heap[p / 4 + 2]))
    heap_sift_up (pool, p, x);
  else
    heap_sift_down (pool, p, x);
}

static void
heap_push (HsPool *pool, HeapSlot x)
{
  if (G_UNLIKELY (HEAP_ROOT + pool->heap_n >= pool->heap_cap))
    {
      guint32 cap = pool->heap_cap == 0 ? 16 : pool->heap_cap * 2;
      HeapSlot *nh = g_aligned_alloc (cap, sizeof (HeapSlot), 64);
      if (pool->heap != NULL)
        memcpy (nh, pool->heap, (gsize) pool->heap_cap * sizeof (HeapSlot));
      g_aligned_free (pool->heap);
      pool->heap = nh;
      pool->heap_cap = cap;
    }
  heap_sift_up (pool, HEAP_ROOT + pool->heap_n++, x);
}

static void
heap_delete (HsPool *pool, guint32 p)
{
  guint32 last = HEAP_ROOT + --pool->heap_n;
  if (p != last)
    heap_fix (pool, p, pool->heap[last]);
}

/* Order key of a member: its pass for WRR, its group's key otherwise. */
static inline guint64
member_key (const HsPool *pool, const HsPoolElement *pe, guint32 g)
{
  return pool->policy_type == HS_POLICY_WRR ? pe->pass : pool->groups[g].key;
}

static inline guint32
gtab_hash (guint64 key)
{
  key ^= key >> 33;
  key *= G_GUINT64_CONSTANT (0xff51afd7ed558ccd);
  key ^= key >> 33;
  return (guint32) key;
}

static guint32
group_find (const HsPool *pool, guint64 key)
{
  guint32 m = pool->gtab_mask;
  for (guint32 h = gtab_hash (key) & m;; h = (h + 1) & m)
    {
      const GroupEnt *e = &pool->gtab[h];
      if (e->grp == NONE || e->key == key)
        return e->grp;
    }
}

static void
gtab_put (GroupEnt *tab, guint32 mask, guint64 key, guint32 grp)
{
  guint32 h = gtab_hash (key) & mask;
  while (tab[h].grp != NONE)
    h = (h + 1) & mask;
  tab[h].key = key;
  tab[h].grp = grp;
}

static void
gtab_remove (HsPool *pool, guint64 key)
{
  guint32 m = pool->gtab_mask;
  guint32 h = gtab_hash (key) & m;
  while (pool->gtab[h].grp == NONE || pool->gtab[h].key != key)
    {
      g_assert (pool->gtab[h].grp != NONE);
      h = (h + 1) & m;
    }
  guint32 hole = h;
  for (guint32 j = (hole + 1) & m; pool->gtab[j].grp != NONE; j = (j + 1) & m)
    {
      guint32 home = gtab_hash (pool->gtab[j].key) & m;
      gboolean stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (!stays)
        {
          pool->gtab[hole] = pool->gtab[j];
          hole = j;
        }
    }
  pool->gtab[hole].grp = NONE;
}

/* The group for key, created (empty, not in the heap) if there is none. */
static guint32
group_get (HsPool *pool, guint64 key)
{
  if (pool->gtab == NULL)
    {
      pool->gtab = g_new (GroupEnt, 8);
      memset (pool->gtab, 0xff, 8 * sizeof (GroupEnt));
      pool->gtab_mask = 7;
    }
  guint32 g = group_find (pool, key);
  if (g != NONE)
    return g;
  guint32 live = pool->heap_n + 1;
  if (live * 4 > (pool->gtab_mask + 1) * 3)
    {
      guint32 old_cap = pool->gtab_mask + 1, cap = old_cap * 2;
      GroupEnt *nt = g_new (GroupEnt, cap);
      memset (nt, 0xff, cap * sizeof (GroupEnt));
      for (guint32 i = 0; i < old_cap; i++)
        if (pool->gtab[i].grp != NONE)
          gtab_put (nt, cap - 1, pool->gtab[i].key, pool->gtab[i].grp);
      g_free (pool->gtab);
      pool->gtab = nt;
      pool->gtab_mask = cap - 1;
    }
  if (pool->groups_free != NONE)
    {
      g = pool->groups_free;
      pool->groups_free = pool->groups[g].head;
    }
  else
    {
      if (pool->groups_used == pool->groups_cap)
        {
          pool->groups_cap = pool->groups_cap == 0 ? 8 : pool->groups_cap * 2;
          pool->groups = g_renew (Group, pool->groups, pool->groups_cap);
        }
      g = pool->groups_used++;
    }
  Group *gr = &pool->groups[g];
  gr->key = key;
  gr->head = NONE;
  gr->count = 0;
  gr->pos = NONE;
  gtab_put (pool->gtab, pool->gtab_mask, key, g);
  return g;
}

/* After a group's membership changed: drop it if empty, else (re)place it by its front. */
static void
group_settle (HsPool *pool, guint32 g)
{
  Group *gr = &pool->groups[g];
  if (gr->count == 0)
    {
      if (gr->pos != NONE)
        heap_delete (pool, gr->pos);
      gtab_remove (pool, gr->key);
      gr->head = pool->groups_free;
      pool->groups_free = g;
      return;
    }
  HeapSlot x = { gr->key, 0, g };
  if (pool->policy_type == HS_POLICY_WRR)
    {
      const HsPoolElement *front = pe_at (pool->hs, gr->head);
      x.key = front->pass;
      x.seq = front->seq;
    }
  if (gr->pos == NONE)
    heap_push (pool, x);
  else
    heap_fix (pool, gr->pos, x);
}

static int
cmp_seq_pe (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const HsHandlespace *hs = user_data;
  guint32 sa = pe_at (hs, *(const guint32 *) a)->seq, sb = pe_at (hs, *(const guint32 *) b)->seq;
  return sa < sb ? -1 : sa > sb;
}

/* Renumber sequence numbers 0 .. n-1 in their current order: every comparison keeps its outcome. */
static G_GNUC_NO_INLINE void
seq_renumber (HsPool *pool)
{
  guint32 *idx = g_new (guint32, pool->members + 1);
  guint32 n = 0;
  for (guint32 i = pool->head; i != NONE; i = pe_at (pool->hs, i)->pool_next)
    if (SEL (pool->hs, i) != NONE)
      idx[n++] = i;
  g_qsort_with_data (idx, (gint) n, sizeof (guint32), cmp_seq_pe, pool->hs);
  for (guint32 i = 0; i < n; i++)
    pe_at (pool->hs, idx[i])->seq = i;
  for (guint32 p = HEAP_ROOT; p < HEAP_ROOT + pool->heap_n; p++)
    if (pool->policy_type == HS_POLICY_WRR)
      pool->heap[p].seq = pe_at (pool->hs, pool->groups[pool->heap[p].grp].head)->seq;
  pool->next_seq = n;
  g_free (idx);
}

static inline guint32
next_seq (HsPool *pool)
{
  if (G_UNLIKELY (pool->next_seq == G_MAXUINT32))
    seq_renumber (pool);
  return pool->next_seq++;
}

/* Append pe at the tail of group g with a new sequence number (the caller settles g). */
static void
group_append (HsPool *pool, guint32 g, HsPoolElement *pe)
{
  Group *gr = &pool->groups[g];
  pe->seq = next_seq (pool);
  if (gr->head == NONE)
    {
      pe->ring_prev = pe->ring_next = pe->self;
      gr->head = pe->self;
    }
  else
    {
      HsPoolElement *head = pe_at (pool->hs, gr->head);
      pe->ring_prev = head->ring_prev;
      pe->ring_next = head->self;
      pe_at (pool->hs, head->ring_prev)->ring_next = pe->self;
      head->ring_prev = pe->self;
    }
  gr->count++;
  pool->members++;
  SEL (pool->hs, pe->self) = g;
}

static void
group_unlink (HsPool *pool, guint32 g, HsPoolElement *pe)
{
  Group *gr = &pool->groups[g];
  if (gr->count == 1)
    gr->head = NONE;
  else
    {
      pe_at (pool->hs, pe->ring_prev)->ring_next = pe->ring_next;
      pe_at (pool->hs, pe->ring_next)->ring_prev = pe->ring_prev;
      if (gr->head == pe->self)
        gr->head = pe->ring_next;
    }
  pe->ring_prev = pe->ring_next = NONE;
  gr->count--;
  pool->members--;
  SEL (pool->hs, pe->self) = NONE;
}

/*
 * The front of group g was used: it becomes the tail with a new sequence
 * number (for WRR the caller settles g). The new front is prefetched: the
 * next resolution will most likely return it.
 */
static void
group_rotate (HsPool *pool, guint32 g, HsPoolElement *front)
{
  Group *gr = &pool->groups[g];
  g_assert (gr->head == front->self);
  front->seq = next_seq (pool);
  gr->head = front->ring_next;
  __builtin_prefetch (pe_at (pool->hs, gr->head));
}

/* Key of the group a PE belongs in: WRR weight, or the policy's sort key. */
static inline guint64 pe_group_key (const HsPoolElement *pe);

static void
grouped_insert (HsPool *pool, HsPoolElement *pe)
{
  if (pool->policy_type == HS_POLICY_WRR)
    {
      if (pe->value == 0)
        {
          SEL (pool->hs, pe->self) = NONE;  /* weight 0: cannot serve (RFC 5356 §3.2) */
          return;
        }
    }
  guint32 g = group_get (pool, pe_group_key (pe));
  gboolean was_empty = pool->groups[g].count == 0;
  if (pool->policy_type == HS_POLICY_WRR)
    {
      /* A new turn starts one stride after the current virtual time; with a
       * max increment above 1 the tail of the class may already be later,
       * and the newcomer then waits behind it (so members stay in pass order). */
      pe->pass = pool->vtime + hs_policy_wrr_stride (pe->value);
      if (!was_empty)
        pe->pass = MAX (pe->pass, pe_at (pool->hs, pe_at (pool->hs, pool->groups[g].head)->ring_prev)->pass);
    }
  group_append (pool, g, pe);
  if (was_empty)
    group_settle (pool, g);  /* else the front did not change */
}

static void
grouped_remove (HsPool *pool, HsPoolElement *pe)
{
  guint32 g = SEL (pool->hs, pe->self);
  if (g == NONE)
    return;
  gboolean was_front = pool->groups[g].head == pe->self;
  group_unlink (pool, g, pe);
  if (was_front || pool->groups[g].count == 0)
    group_settle (pool, g);
}

/* WRR: rebase virtual times when they grow large (every pass is >= vtime). */
static void
wrr_rebase (HsPool *pool)
{
  guint64 base = pool->vtime;
  for (guint32 i = pool->head; i != NONE; i = pe_at (pool->hs, i)->pool_next)
    pe_at (pool->hs, i)->pass -= base;
  for (guint32 p = HEAP_ROOT; p < HEAP_ROOT + pool->heap_n; p++)
    pool->heap[p].key -= base;
  pool->vtime = 0;
}

/* ---- dense array and Fenwick tree (RAND, WRAND, RLU) ------------------------------- */

static inline void
fen_add (HsPool *pool, guint32 slot, guint64 delta)
{
  guint64 *fen = pool->fen;
  guint32 cap = pool->dense_cap;
  for (guint32 i = slot + 1; i <= cap; i += i & (0u - i))
    fen[i] += delta;
}

/* The slot whose weight interval holds r, 0 <= r < total. */
static inline guint32
fen_find (const HsPool *pool, guint64 r)
{
  const guint64 *fen = pool->fen;
  guint32 pos = 0;
  for (guint32 step = pool->dense_cap >> 1; step != 0; step >>= 1)
    if (fen[pos + step] <= r)
      {
        pos += step;
        r -= fen[pos];
      }
  return pos;
}

static void
fen_rebuild (HsPool *pool)
{
  guint32 cap = pool->dense_cap;
  guint64 *fen = pool->fen;
  fen[0] = 0;
  for (guint32 i = 1; i <= cap; i++)
    fen[i] = i <= pool->dense_n ? pool->wt[i - 1] : 0;
  for (guint32 i = 1; i <= cap; i++)
    {
      guint32 j = i + (i & (0u - i));
      if (j <= cap)
        fen[j] += fen[i];
    }
}

static void
dense_insert (HsPool *pool, HsPoolElement *pe, guint32 weight)
{
  if (G_UNLIKELY (pool->dense_n == pool->dense_cap))
    {
      guint32 cap = pool->dense_cap == 0 ? 16 : pool->dense_cap * 2;
      pool->dense = g_renew (guint32, pool->dense, cap);
      pool->dense_cap = cap;
      if (pool->kind == SEL_FENWICK)
        {
          pool->wt = g_renew (guint32, pool->wt, cap);
          pool->fen = g_renew (guint64, pool->fen, (gsize) cap + 1);
          fen_rebuild (pool);
        }
    }
  guint32 s = pool->dense_n++;
  pool->dense[s] = pe->self;
  SEL (pool->hs, pe->self) = s;
  if (pool->kind == SEL_FENWICK)
    {
      pool->wt[s] = weight;
      fen_add (pool, s, weight);
      pool->total += weight;
    }
}

static void
dense_remove (HsPool *pool, HsPoolElement *pe)
{
  guint32 s = SEL (pool->hs, pe->self);
  guint32 last = --pool->dense_n;
  SEL (pool->hs, pe->self) = NONE;
  if (pool->kind == SEL_FENWICK)
    {
      guint64 ws = pool->wt[s], wl = pool->wt[last];
      pool->total -= ws;
      if (s != last)
        fen_add (pool, s, wl - ws);
      fen_add (pool, last, (guint64) 0 - wl);
      pool->wt[s] = (guint32) wl;
    }
  if (s != last)
    {
      pool->dense[s] = pool->dense[last];
      SEL (pool->hs, pool->dense[s]) = s;
    }
}

/* ---- selection structure, per policy ------------------------------------------------ */

static SelKind
policy_kind (guint32 type)
{
  switch (type)
    {
    case HS_POLICY_RR:
      return SEL_RING;
    case HS_POLICY_RAND:
      return SEL_DENSE;
    case HS_POLICY_WRAND:
    case HS_POLICY_RLU:
      return SEL_FENWICK;
    default:
      return SEL_HEAP;
    }
}

static inline HsPolicy
pe_policy (const HsPoolElement *pe)
{
  HsPolicy p = { .type = pe->pool->policy_type };
  switch (p.type)
    {
    case HS_POLICY_WRR:
    case HS_POLICY_WRAND:
      p.weight = pe->value;
      break;
    case HS_POLICY_PRIO:
      p.priority = pe->value;
      break;
    default:
      p.load = pe->value;
      p.load_degradation = pe->degradation;
      break;
    }
  return p;
}

/* Sort key of a PE of a PRIO/LU/LUD/PLU pool. */
static inline guint64
pe_sort_key (const HsPoolElement *pe)
{
  HsPolicy p = pe_policy (pe);
  return hs_policy_sort_key (&p, pe->lud_count);
}

static inline guint64
pe_group_key (const HsPoolElement *pe)
{
  return pe->pool->policy_type == HS_POLICY_WRR ? pe->value : pe_sort_key (pe);
}

static void
sel_insert (HsPool *pool, HsPoolElement *pe)
{
  switch ((SelKind) pool->kind)
    {
    case SEL_RING:
      if (pool->ring_head == NONE)
        {
          pe->ring_prev = pe->ring_next = pe->self;
          pool->ring_head = pe->self;
        }
      else
        {
          /* Join at the end of the current round: just before the head. */
          HsPoolElement *head = pe_at (pool->hs, pool->ring_head);
          pe->ring_prev = head->ring_prev;
          pe->ring_next = head->self;
          pe_at (pool->hs, head->ring_prev)->ring_next = pe->self;
          head->ring_prev = pe->self;
        }
      break;
    case SEL_HEAP:
      grouped_insert (pool, pe);
      break;
    case SEL_DENSE:
      dense_insert (pool, pe, 1);
      break;
    case SEL_FENWICK:
      {
        HsPolicy p = pe_policy (pe);
        dense_insert (pool, pe, hs_policy_random_weight (&p));
      }
      break;
    }
}

static void
sel_remove (HsPool *pool, HsPoolElement *pe)
{
  switch ((SelKind) pool->kind)
    {
    case SEL_RING:
      if (pe->ring_next == pe->self)
        pool->ring_head = NONE;
      else
        {
          pe_at (pool->hs, pe->ring_prev)->ring_next = pe->ring_next;
          pe_at (pool->hs, pe->ring_next)->ring_prev = pe->ring_prev;
          if (pool->ring_head == pe->self)
            pool->ring_head = pe->ring_next;
        }
      pe->ring_prev = pe->ring_next = NONE;
      break;
    case SEL_HEAP:
      grouped_remove (pool, pe);
      break;
    case SEL_DENSE:
    case SEL_FENWICK:
      dense_remove (pool, pe);
      break;
    }
}

/*
 * A re-registration replaced the PE's policy values (the weight, priority or
 * load was old_value) and reset its LUD counter. Move it in its selection
 * structure only if its order changed; then it goes behind its new equal-key
 * peers.
 */
static void
sel_update (HsPool *pool, HsPoolElement *pe, guint32 old_value)
{
  switch ((SelKind) pool->kind)
    {
    case SEL_RING:
    case SEL_DENSE:
      break;
    case SEL_HEAP:
      {
        /* WRR: a new weight starts a new turn, from now. Others: a new key joins its group's tail. */
        guint32 g = SEL (pool->hs, pe->self);
        gboolean same = pool->policy_type == HS_POLICY_WRR ? pe->value == old_value
                                                           : g != NONE && pool->groups[g].key == pe_sort_key (pe);
        if (same)
          break;
        grouped_remove (pool, pe);
        grouped_insert (pool, pe);
      }
      break;
    case SEL_FENWICK:
      {
        HsPolicy p = pe_policy (pe);
        guint32 w = hs_policy_random_weight (&p);
        guint32 s = SEL (pool->hs, pe->self);
        guint32 old = pool->wt[s];
        if (w != old)
          {
            fen_add (pool, s, (guint64) w - old);
            pool->total += (guint64) w - old;
            pool->wt[s] = w;
          }
      }
      break;
    }
}

/* ---- cursors ------------------------------------------------------------------------ */

static HsPool *
pool_successor (HsHandlespace *hs, HsPool *pool)
{
  GTreeNode *node = g_tree_lookup_node (hs->pools, &pool->key);
  g_assert (node != NULL);
  node = g_tree_node_next (node);
  return node != NULL ? g_tree_node_value (node) : NULL;
}

/* An all-cursor that reached the end of its pool's list moves on to the next pool. */
static void
cursor_settle (HsCursor *c)
{
  while (c->pool != NULL && c->next == NONE)
    {
      c->pool = pool_successor (c->hs, c->pool);
      c->next = c->pool != NULL ? c->pool->head : NONE;
    }
}

static void
cursors_pe_leaves_pool (HsHandlespace *hs, HsPoolElement *pe)
{
  for (HsCursor *c = hs->cursors; c != NULL; c = c->next_c)
    if (!c->by_owner && c->next == pe->self)
      {
        c->next = pe->pool_next;
        cursor_settle (c);
      }
}

static void
cursors_pe_leaves_owner (HsHandlespace *hs, HsPoolElement *pe)
{
  for (HsCursor *c = hs->cursors; c != NULL; c = c->next_c)
    if (c->by_owner && c->next == pe->self)
      c->next = pe->owner_next;
}

static void
cursor_attach (HsHandlespace *hs, HsCursor *c)
{
  c->hs = hs;
  c->prev_c = NULL;
  c->next_c = hs->cursors;
  if (hs->cursors != NULL)
    hs->cursors->prev_c = c;
  hs->cursors = c;
}

HsCursor *
hs_cursor_new_all (HsHandlespace *hs)
{
  g_return_val_if_fail (hs != NULL, NULL);
  HsCursor *c = g_new0 (HsCursor, 1);
  cursor_attach (hs, c);
  GTreeNode *first = g_tree_node_first (hs->pools);
  c->pool = first != NULL ? g_tree_node_value (first) : NULL;
  c->next = c->pool != NULL ? c->pool->head : NONE;
  return c;
}

HsCursor *
hs_cursor_new_owner (HsHandlespace *hs, guint32 owner)
{
  g_return_val_if_fail (hs != NULL, NULL);
  HsCursor *c = g_new0 (HsCursor, 1);
  cursor_attach (hs, c);
  c->by_owner = TRUE;
  c->owner = owner;
  Owner *o = owner_lookup (hs, owner);
  c->next = o != NULL ? o->head : NONE;
  return c;
}

guint
hs_cursor_next (HsCursor *c, HsPoolElement **out, guint max)
{
  g_return_val_if_fail (c != NULL, 0);
  g_return_val_if_fail (out != NULL || max == 0, 0);
  guint n = 0;
  if (c->hs == NULL)
    return 0;
  while (n < max && c->next != NONE)
    {
      HsPoolElement *pe = pe_at (c->hs, c->next);
      out[n++] = pe;
      if (c->by_owner)
        c->next = pe->owner_next;
      else
        {
          c->next = pe->pool_next;
          cursor_settle (c);
        }
    }
  return n;
}

gboolean
hs_cursor_done (const HsCursor *c)
{
  g_return_val_if_fail (c != NULL, TRUE);
  return c->hs == NULL || c->next == NONE;
}

void
hs_cursor_free (HsCursor *c)
{
  if (c == NULL)
    return;
  if (c->hs != NULL)
    {
      if (c->prev_c != NULL)
        c->prev_c->next_c = c->next_c;
      else
        c->hs->cursors = c->next_c;
      if (c->next_c != NULL)
        c->next_c->prev_c = c->prev_c;
    }
  g_free (c);
}

/* ---- pools ---------------------------------------------------------------------------- */

static int
handle_cmp (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const HandleKey *x = a, *y = b;
  gsize n = MIN (x->len, y->len);
  int c = n > 0 ? memcmp (x->data, y->data, n) : 0;
  if (c != 0)
    return c;
  return x->len < y->len ? -1 : x->len > y->len;
}

static HsPool *
pool_new (HsHandlespace *hs, const guint8 *handle, gsize len, const HsRegistration *reg)
{
  HsPool *pool = g_new0 (HsPool, 1);
  pool->key.data = g_memdup2 (handle, len);
  pool->key.len = len;
  pool->hs = hs;
  pool->handle_sum = handle_word_sum (handle, len);
  pool->policy_type = reg->policy.type;
  pool->kind = policy_kind (reg->policy.type);
  pool->transport_type = reg->user.type;
  pool->transport_use = reg->user.use;
  pool->head = pool->tail = NONE;
  pool->ring_head = NONE;
  pool->groups_free = NONE;
  pool->tab = g_new (HashEnt, 8);
  memset (pool->tab, 0xff, 8 * sizeof (HashEnt));
  pool->tab_mask = 7;
  g_tree_insert (hs->pools, &pool->key, pool);
  return pool;
}

static void
pool_free (HsPool *pool)
{
  g_free ((gpointer) pool->key.data);
  g_free (pool->tab);
  g_aligned_free (pool->heap);
  g_free (pool->groups);
  g_free (pool->gtab);
  g_free (pool->dense);
  g_free (pool->wt);
  g_free (pool->fen);
  g_free (pool);
}

static void
pool_delete (HsHandlespace *hs, HsPool *pool)
{
  g_assert (pool->count == 0);
  g_tree_remove (hs->pools, &pool->key);
  pool_free (pool);
}

const guint8 *
hs_pool_get_handle (const HsPool *pool, gsize *len)
{
  g_return_val_if_fail (pool != NULL, NULL);
  if (len != NULL)
    *len = pool->key.len;
  return pool->key.data;
}

guint32
hs_pool_get_policy_type (const HsPool *pool)
{
  return pool->policy_type;
}

guint8
hs_pool_get_transport_type (const HsPool *pool)
{
  return pool->transport_type;
}

guint8
hs_pool_get_transport_use (const HsPool *pool)
{
  return pool->transport_use;
}

guint
hs_pool_get_count (const HsPool *pool)
{
  return pool->count;
}

HsPoolElement *
hs_pool_find (HsPool *pool, guint32 pe_id)
{
  g_return_val_if_fail (pool != NULL, NULL);
  guint32 idx = tab_find (pool, pe_id);
  return idx != NONE ? pe_at (pool->hs, idx) : NULL;
}

/* ---- addresses ------------------------------------------------------------------------- */

static inline const guint8 *
pe_addr_bytes (const HsPoolElement *pe)
{
  return (pe->flags & PE_HEAP_ADDRS) ? pe->addrs.heap : pe->addrs.inline_bytes;
}

static gsize
pack_addresses (const HsTransport *t, guint8 *buf)
{
  gsize n = 0;
  for (guint i = 0; i < t->n_addrs; i++)
    {
      gsize alen = t->addrs[i].family == HS_AF_IPV4 ? 4 : 16;
      buf[n++] = t->addrs[i].family;
      memcpy (buf + n, t->addrs[i].bytes, alen);
      n += alen;
    }
  return n;
}

static void
pe_set_addresses (HsPoolElement *pe, const HsRegistration *reg)
{
  guint8 buf[ADDR_MAX];
  gsize len = pack_addresses (&reg->user, buf);
  len += pack_addresses (&reg->asap, buf + len);
  if (len == pe->addr_len && pe->n_user == reg->user.n_addrs &&
      memcmp (pe_addr_bytes (pe), buf, len) == 0)
    return;  /* unchanged: the usual re-registration */
  if (pe->flags & PE_HEAP_ADDRS)
    g_free (pe->addrs.heap);
  pe->flags &= ~PE_HEAP_ADDRS;
  if (len > ADDR_INLINE)
    {
      pe->addrs.heap = g_memdup2 (buf, len);
      pe->flags |= PE_HEAP_ADDRS;
    }
  else
    memcpy (pe->addrs.inline_bytes, buf, len);
  pe->addr_len = (guint16) len;
  pe->n_user = (guint8) reg->user.n_addrs;
  pe->n_asap = (guint8) reg->asap.n_addrs;
}

static void
unpack_addresses (const guint8 *bytes, guint n, HsTransport *t)
{
  gsize off = 0;
  t->n_addrs = n;
  for (guint i = 0; i < n; i++)
    {
      HsAddress *a = &t->addrs[i];
      memset (a, 0, sizeof *a);
      a->family = bytes[off++];
      gsize alen = a->family == HS_AF_IPV4 ? 4 : 16;
      memcpy (a->bytes, bytes + off, alen);
      off += alen;
    }
}

static gsize
packed_length (const guint8 *bytes, guint n)
{
  gsize off = 0;
  for (guint i = 0; i < n; i++)
    off += 1 + (bytes[off] == HS_AF_IPV4 ? 4 : 16);
  return off;
}

/* ---- pool elements ------------------------------------------------------------------------- */

guint32
hs_pe_get_id (const HsPoolElement *pe)
{
  return pe->id;
}

HsPool *
hs_pe_get_pool (const HsPoolElement *pe)
{
  return pe->pool;
}

guint32
hs_pe_get_home_registrar (const HsPoolElement *pe)
{
  return pe->owner;
}

guint64
hs_pe_get_credential (const HsPoolElement *pe)
{
  return pe->credential;
}

gint32
hs_pe_get_registration_life (const HsPoolElement *pe)
{
  return pe->reg_life_ms;
}

SimTime
hs_pe_get_expiry (const HsPoolElement *pe)
{
  return pe->expiry;
}

SimTime
hs_pe_get_last_update (const HsPoolElement *pe)
{
  return pe->last_update;
}

void
hs_pe_get_policy (const HsPoolElement *pe, HsPolicy *policy)
{
  *policy = pe_policy (pe);
  *policy = hs_policy_normalize (policy);
}

void
hs_pe_get_user_transport (const HsPoolElement *pe, HsTransport *t)
{
  memset (t, 0, sizeof *t);
  t->type = pe->user_type;
  t->use = pe->user_use;
  t->port = pe->user_port;
  t->dccp_service_code = pe->dccp_service_code;
  unpack_addresses (pe_addr_bytes (pe), pe->n_user, t);
}

void
hs_pe_get_asap_transport (const HsPoolElement *pe, HsTransport *t)
{
  memset (t, 0, sizeof *t);
  t->type = HS_TRANSPORT_SCTP;
  t->use = pe->asap_use;
  t->port = pe->asap_port;
  const guint8 *b = pe_addr_bytes (pe);
  unpack_addresses (b + packed_length (b, pe->n_user), pe->n_asap, t);
}

guint32
hs_pe_get_degradation_count (const HsPoolElement *pe)
{
  return pe->lud_count;
}

gboolean
hs_pe_is_marked (const HsPoolElement *pe)
{
  return (pe->flags & PE_MARKED) != 0;
}

guint
hs_pe_get_bad_reports (const HsPoolElement *pe)
{
  return pe->bad_reports;
}

guint
hs_pe_report_unreachable (HsPoolElement *pe)
{
  g_return_val_if_fail (pe != NULL, 0);
  if (pe->bad_reports < G_MAXUINT32)
    pe->bad_reports++;
  return pe->bad_reports;
}

/* ---- timers ------------------------------------------------------------------------------- */

static void pe_remove (HsHandlespace *hs, HsPoolElement *pe);

static void
expiry_fired (SimKernel *kernel, gpointer ctx, gpointer data)
{
  HsHandlespace *hs = ctx;
  HsPoolElement *pe = pe_at (hs, GPOINTER_TO_UINT (data));
  SimTime now = sim_kernel_now (kernel);
  pe->timer = SIM_EVENT_NONE;
  if (pe->expiry == SIM_TIME_MAX)
    return;
  if (pe->expiry > now)
    {
      /* Re-registered since: the timer was left in place (lazy); follow the new expiry. */
      pe->timer = sim_kernel_schedule_at (kernel, pe->expiry, expiry_fired, hs, GUINT_TO_POINTER (pe->self));
      return;
    }
  if (hs->expiry_func != NULL)
    hs->expiry_func (hs, pe, hs->expiry_data);
  pe_remove (hs, pe);
}

static void
pe_arm_timer (HsHandlespace *hs, HsPoolElement *pe)
{
  if (hs->kernel == NULL || pe->expiry == SIM_TIME_MAX)
    return;  /* an infinite life lets a pending timer lapse harmlessly */
  if (pe->timer != SIM_EVENT_NONE)
    {
      if (sim_kernel_event_time (hs->kernel, pe->timer) <= pe->expiry)
        return;
      sim_kernel_cancel (hs->kernel, pe->timer);
    }
  pe->timer = sim_kernel_schedule_at (hs->kernel, pe->expiry, expiry_fired, hs, GUINT_TO_POINTER (pe->self));
}

/* ---- registration --------------------------------------------------------------------------- */

static HsResult
validate_transport (const HsTransport *t, gboolean user)
{
  if (t->n_addrs > HS_MAX_ADDRESSES)
    return HS_ERR_LACK_OF_RESOURCES;
  for (guint i = 0; i < t->n_addrs; i++)
    if (t->addrs[i].family != HS_AF_IPV4 && t->addrs[i].family != HS_AF_IPV6)
      return HS_ERR_INVALID_VALUES;
  if (!user)
    return t->use <= HS_USE_DATA_CONTROL ? HS_OK : HS_ERR_INVALID_VALUES;
  switch (t->type)
    {
    case HS_TRANSPORT_SCTP:
      /* RFC 5354 §3.4: one or more addresses, data only or data plus control. */
      if (t->n_addrs < 1 || t->use > HS_USE_DATA_CONTROL)
        return HS_ERR_INVALID_VALUES;
      return HS_OK;
    case HS_TRANSPORT_DCCP:
    case HS_TRANSPORT_TCP:
    case HS_TRANSPORT_UDP:
    case HS_TRANSPORT_UDP_LITE:
      /* RFC 5354 §3.3, §3.5-3.7: exactly one address, data only. */
      if (t->n_addrs != 1 || t->use != HS_USE_DATA)
        return HS_ERR_INVALID_VALUES;
      return HS_OK;
    default:
      return HS_ERR_INVALID_VALUES;
    }
}

static HsResult
validate_registration (const guint8 *handle, gsize handle_len, const HsRegistration *reg)
{
  if (handle_len == 0 || handle_len > 0xffff - 4)
    return HS_ERR_INVALID_VALUES;
  if (!hs_policy_type_is_known (reg->policy.type))
    return HS_ERR_INVALID_VALUES;
  if (reg->reg_life_ms == 0 || reg->reg_life_ms < -1)
    return HS_ERR_INVALID_VALUES;
  HsResult r = validate_transport (&reg->user, TRUE);
  if (r != HS_OK)
    return r;
  return validate_transport (&reg->asap, FALSE);
}

/* Set the attributes a (re-)registration carries. */
static void
pe_assign (HsHandlespace *hs, HsPoolElement *pe, const HsRegistration *reg)
{
  HsPolicy p = hs_policy_normalize (&reg->policy);
  SimTime now = hs_handlespace_now (hs);
  pe->credential = reg->credential;
  pe->reg_life_ms = reg->reg_life_ms;
  pe->expiry = reg->reg_life_ms < 0 ? SIM_TIME_MAX : now + (SimTime) reg->reg_life_ms * SIM_MS;
  pe->last_update = now;
  pe->value = p.weight | p.priority | p.load;  /* at most one of them is non-zero after normalize */
  pe->degradation = p.load_degradation;
  pe->lud_count = 0;                           /* RFC 5356 §5.2: reset on (re-)registration */
  pe->flags &= ~PE_MARKED;
  pe->user_type = reg->user.type;
  pe->user_use = reg->user.use;
  pe->user_port = reg->user.port;
  pe->dccp_service_code = reg->user.type == HS_TRANSPORT_DCCP ? reg->user.dccp_service_code : 0;
  pe->asap_port = reg->asap.port;
  pe->asap_use = reg->asap.use;
  pe_set_addresses (pe, reg);
}

HsResult
hs_handlespace_register (HsHandlespace *hs, const guint8 *handle, gsize handle_len,
                         const HsRegistration *reg, HsRegisterFlags flags,
                         HsPoolElement **pe_out, gboolean *created)
{
  g_return_val_if_fail (hs != NULL, HS_ERR_INVALID_VALUES);
  g_return_val_if_fail (reg != NULL, HS_ERR_INVALID_VALUES);
  g_return_val_if_fail (handle != NULL || handle_len == 0, HS_ERR_INVALID_VALUES);

  HsResult r = validate_registration (handle, handle_len, reg);
  if (r != HS_OK)
    return r;

  HsPool *pool = hs_handlespace_find_pool (hs, handle, handle_len);
  HsPoolElement *pe = NULL;
  if (pool != NULL)
    {
      /* RFC 5352 §3.1: the pool's policy, transport type and data/control use
       * were set by its first PE; every (re-)registration must match them. */
      if (reg->policy.type != pool->policy_type)
        return HS_ERR_INCONSISTENT_POLICY;
      if (reg->user.type != pool->transport_type)
        return HS_ERR_INCONSISTENT_TRANSPORT;
      if (reg->user.use != pool->transport_use)
        return HS_ERR_INCONSISTENT_DATA_CONTROL;
      guint32 idx = tab_find (pool, reg->pe_id);
      if (idx != NONE)
        pe = pe_at (hs, idx);
    }

  if (pe != NULL)
    {
      if ((flags & HS_REGISTER_SAME_CREDENTIAL) && pe->credential != reg->credential)
        return HS_ERR_NON_UNIQUE_PE_ID;
      guint32 old_value = pe->value;
      if (pe->owner != reg->home_registrar)
        {
          /* RFC 5352 §3.1 rule 4: the accepting registrar becomes the owner. */
          owner_unlink (hs, pe);
          pe->owner = reg->home_registrar;
          owner_link (hs, pe);
        }
      pe_assign (hs, pe, reg);
      sel_update (pool, pe, old_value);
      pe_arm_timer (hs, pe);
      if (pe_out != NULL)
        *pe_out = pe;
      if (created != NULL)
        *created = FALSE;
      return HS_OK;
    }

  if (hs->max_pes != 0 && hs->slab.live >= hs->max_pes)
    return HS_ERR_LACK_OF_RESOURCES;
  if (pool == NULL)
    pool = pool_new (hs, handle, handle_len, reg);

  pe = pe_at (hs, slab_alloc (&hs->slab));
  pe->pool = pool;
  pe->id = reg->pe_id;
  pe->owner = reg->home_registrar;
  pe->timer = SIM_EVENT_NONE;
  pe_assign (hs, pe, reg);

  if ((pool->count + 1) * 4 > (pool->tab_mask + 1) * 3)
    tab_grow (pool);
  tab_insert (pool, pe->id, pe->self);
  pe->pool_prev = pool->tail;
  pe->pool_next = NONE;
  if (pool->tail != NONE)
    pe_at (hs, pool->tail)->pool_next = pe->self;
  else
    pool->head = pe->self;
  pool->tail = pe->self;
  pool->count++;
  owner_link (hs, pe);
  sel_insert (pool, pe);
  pe_arm_timer (hs, pe);

  if (pe_out != NULL)
    *pe_out = pe;
  if (created != NULL)
    *created = TRUE;
  return HS_OK;
}

static void
pe_remove (HsHandlespace *hs, HsPoolElement *pe)
{
  HsPool *pool = pe->pool;
  if (pe->timer != SIM_EVENT_NONE)
    sim_kernel_cancel (hs->kernel, pe->timer);
  sel_remove (pool, pe);
  tab_remove (pool, pe->id);
  cursors_pe_leaves_pool (hs, pe);
  if (pe->pool_prev != NONE)
    pe_at (hs, pe->pool_prev)->pool_next = pe->pool_next;
  else
    pool->head = pe->pool_next;
  if (pe->pool_next != NONE)
    pe_at (hs, pe->pool_next)->pool_prev = pe->pool_prev;
  else
    pool->tail = pe->pool_prev;
  owner_unlink (hs, pe);
  if (pe->flags & PE_HEAP_ADDRS)
    g_free (pe->addrs.heap);
  slab_release (&hs->slab, pe->self);
  if (--pool->count == 0)
    pool_delete (hs, pool);
}

void
hs_handlespace_remove (HsHandlespace *hs, HsPoolElement *pe)
{
  g_return_if_fail (hs != NULL);
  g_return_if_fail (pe != NULL && pe->pool != NULL && pe->pool->hs == hs);
  pe_remove (hs, pe);
}

gboolean
hs_handlespace_deregister (HsHandlespace *hs, const guint8 *handle, gsize handle_len, guint32 pe_id)
{
  HsPoolElement *pe = hs_handlespace_find (hs, handle, handle_len, pe_id);
  if (pe == NULL)
    return FALSE;
  pe_remove (hs, pe);
  return TRUE;
}

HsPool *
hs_handlespace_find_pool (HsHandlespace *hs, const guint8 *handle, gsize handle_len)
{
  g_return_val_if_fail (hs != NULL, NULL);
  HandleKey k = { handle, handle_len };
  return g_tree_lookup (hs->pools, &k);
}

HsPoolElement *
hs_handlespace_find (HsHandlespace *hs, const guint8 *handle, gsize handle_len, guint32 pe_id)
{
  HsPool *pool = hs_handlespace_find_pool (hs, handle, handle_len);
  return pool != NULL ? hs_pool_find (pool, pe_id) : NULL;
}

/* ---- selection -------------------------------------------------------------------------------- */

static guint
select_ring (HsPool *pool, HsPoolElement **out, guint max, guint inc)
{
  guint n = 0;
  guint32 idx = pool->ring_head;
  while (n < max && n < pool->count)
    {
      HsPoolElement *pe = pe_at (pool->hs, idx);
      out[n++] = pe;
      idx = pe->ring_next;
    }
  /* RSERPOOL_FACTS §9.2: the head advances by one per resolution (max increment 1). */
  for (guint i = 0; i < MIN (n, inc); i++)
    pool->ring_head = pe_at (pool->hs, pool->ring_head)->ring_next;
  return n;
}

/*
 * Taking the k smallest PEs in (key, seq) order: a merge over the groups'
 * member lists guided by the group heap. A candidate is a PE; popping a
 * group's front also offers the fronts of the groups below it in the heap.
 */
typedef struct {
  guint64 key;
  guint32 seq;
  guint32 pe;
  gboolean front;
} Cand;

static inline gboolean
cand_less (const Cand *a, const Cand *b)
{
  return a->key < b->key || (a->key == b->key && a->seq < b->seq);
}

static inline void
cand_push (Cand *cand, guint *nc, Cand x)
{
  guint i = (*nc)++;
  while (i > 0)
    {
      guint parent = (i - 1) / 2;
      if (!cand_less (&x, &cand[parent]))
        break;
      cand[i] = cand[parent];
      i = parent;
    }
  cand[i] = x;
}

static inline Cand
cand_pop (Cand *cand, guint *nc)
{
  Cand top = cand[0];
  Cand x = cand[--(*nc)];
  guint n = *nc, i = 0;
  for (;;)
    {
      guint c = 2 * i + 1;
      if (c >= n)
        break;
      if (c + 1 < n && cand_less (&cand[c + 1], &cand[c]))
        c++;
      if (!cand_less (&cand[c], &x))
        break;
      cand[i] = cand[c];
      i = c;
    }
  if (n > 0)
    cand[i] = x;
  return top;
}

static inline Cand
cand_of (const HsPool *pool, guint32 idx, gboolean front)
{
  const HsPoolElement *pe = pe_at (pool->hs, idx);
  Cand c = { member_key (pool, pe, SEL (pool->hs, idx)), pe->seq, idx, front };
  return c;
}

static guint
select_grouped (HsPool *pool, HsPoolElement **out, guint max, guint inc)
{
  HsHandlespace *hs = pool->hs;
  guint k = MIN (max, pool->members);
  if (k == 0)
    return 0;
  if (k == 1)
    out[0] = pe_at (hs, pool->groups[pool->heap[HEAP_ROOT].grp].head);
  else
    {
      Cand stack_cand[64];
      gsize need = 2 + 5 * (gsize) k;  /* each pop adds at most a successor and four fronts */
      Cand *cand = need <= G_N_ELEMENTS (stack_cand) ? stack_cand : g_new (Cand, need);
      guint nc = 0;
      guint32 end = HEAP_ROOT + pool->heap_n;
      cand_push (cand, &nc, cand_of (pool, pool->groups[pool->heap[HEAP_ROOT].grp].head, TRUE));
      for (guint i = 0; i < k; i++)
        {
          Cand c = cand_pop (cand, &nc);
          HsPoolElement *pe = pe_at (hs, c.pe);
          out[i] = pe;
          if (pe->ring_next != pool->groups[SEL (hs, c.pe)].head)
            cand_push (cand, &nc, cand_of (pool, pe->ring_next, FALSE));
          if (c.front)
            {
              guint32 first = 4 * (pool->groups[SEL (hs, c.pe)].pos - 2);
              for (guint32 q = first; q < first + 4 && q < end; q++)
                cand_push (cand, &nc, cand_of (pool, pool->groups[pool->heap[q].grp].head, TRUE));
            }
        }
      if (cand != stack_cand)
        g_free (cand);
    }

  /* The first min(k, max increment) PEs were used: they go behind their peers. */
  guint m = MIN (k, inc);
  for (guint i = 0; i < m; i++)
    {
      HsPoolElement *pe = out[i];
      /* The first PE is the root group's front; saves a lookup (a cache miss in large pools). */
      guint32 g = i == 0 ? pool->heap[HEAP_ROOT].grp : SEL (hs, pe->self);
      switch (pool->policy_type)
        {
        case HS_POLICY_WRR:
          if (i == 0)
            pool->vtime = pe->pass;
          pe->pass += hs_policy_wrr_stride (pe->value);
          group_rotate (pool, g, pe);
          group_settle (pool, g);
          break;
        case HS_POLICY_LUD:
          /* RFC 5356 §5.2: one more use degrades the PE by its load degradation. */
          grouped_remove (pool, pe);
          if (pe->lud_count < G_MAXUINT32)
            pe->lud_count++;
          grouped_insert (pool, pe);
          break;
        default:
          /* Same key: round robin among equals; the group keeps its place. */
          group_rotate (pool, g, pe);
          break;
        }
    }
  if (pool->policy_type == HS_POLICY_WRR && G_UNLIKELY (pool->vtime >= (G_GUINT64_CONSTANT (1) << 62)))
    wrr_rebase (pool);
  return k;
}

static guint
select_dense (HsPool *pool, SimRng *rng, HsPoolElement **out, guint max)
{
  guint32 n = pool->dense_n;
  guint k = MIN (max, n);
  if (k == 1)
    {
      out[0] = pe_at (pool->hs, pool->dense[sim_rng_below (rng, n)]);
      return 1;
    }
  /* Partial Fisher-Yates: k distinct slots, uniformly. */
  for (guint i = 0; i < k; i++)
    {
      guint32 j = i + (guint32) sim_rng_below (rng, n - i);
      guint32 a = pool->dense[i], b = pool->dense[j];
      pool->dense[i] = b;
      pool->dense[j] = a;
      SEL (pool->hs, a) = j;
      SEL (pool->hs, b) = i;
      out[i] = pe_at (pool->hs, b);
    }
  return k;
}

static guint
select_fenwick (HsPool *pool, SimRng *rng, HsPoolElement **out, guint max)
{
  guint k = 0;
  guint64 total = pool->total;
  /* Draw without replacement: take each drawn PE's weight out until the answer is complete. */
  while (k < max && total > 0)
    {
      guint32 s = fen_find (pool, sim_rng_below (rng, total));
      out[k++] = pe_at (pool->hs, pool->dense[s]);
      if (k == max)
        break;
      guint64 w = pool->wt[s];
      fen_add (pool, s, (guint64) 0 - w);
      total -= w;
    }
  /* Restore the weights taken out (all but the last drawn PE's). */
  guint taken = k == max ? k - 1 : k;
  for (guint i = 0; i < taken; i++)
    {
      guint32 s = SEL (pool->hs, out[i]->self);
      fen_add (pool, s, pool->wt[s]);
    }
  return k;
}

guint
hs_pool_select (HsPool *pool, SimRng *rng, HsPoolElement **out, guint max)
{
  g_return_val_if_fail (pool != NULL, 0);
  g_return_val_if_fail (out != NULL || max == 0, 0);
  if (max == 0)
    return 0;
  guint inc = pool->hs->max_increment != 0 ? pool->hs->max_increment : 1;
  switch ((SelKind) pool->kind)
    {
    case SEL_RING:
      return select_ring (pool, out, max, inc);
    case SEL_HEAP:
      return select_grouped (pool, out, max, inc);
    case SEL_DENSE:
      g_return_val_if_fail (rng != NULL, 0);
      return select_dense (pool, rng, out, max);
    case SEL_FENWICK:
      g_return_val_if_fail (rng != NULL, 0);
      return select_fenwick (pool, rng, out, max);
    }
  g_assert_not_reached ();
}

guint
hs_handlespace_select (HsHandlespace *hs, const guint8 *handle, gsize handle_len, SimRng *rng,
                       HsPoolElement **out, guint max, HsResult *result)
{
  HsPool *pool = hs_handlespace_find_pool (hs, handle, handle_len);
  if (result != NULL)
    *result = pool != NULL ? HS_OK : HS_ERR_UNKNOWN_POOL_HANDLE;
  return pool != NULL ? hs_pool_select (pool, rng, out, max) : 0;
}

/* ---- ownership ------------------------------------------------------------------------------------ */

guint
hs_handlespace_owner_count (const HsHandlespace *hs, guint32 owner)
{
  const Owner *o = owner_lookup (hs, owner);
  return o != NULL ? o->count : 0;
}

guint16
hs_handlespace_owner_checksum (const HsHandlespace *hs, guint32 owner)
{
  const Owner *o = owner_lookup (hs, owner);
  return checksum_finish (o != NULL ? o->sum : 0);
}

guint
hs_handlespace_take_over (HsHandlespace *hs, guint32 from, guint32 to)
{
  g_return_val_if_fail (hs != NULL, 0);
  if (from == to)
    return 0;
  guint n = 0;
  Owner *o;
  while ((o = owner_lookup (hs, from)) != NULL)
    {
      HsPoolElement *pe = pe_at (hs, o->head);
      owner_unlink (hs, pe);
      pe->owner = to;
      owner_link (hs, pe);
      n++;
    }
  return n;
}

guint
hs_handlespace_mark_owner (HsHandlespace *hs, guint32 owner)
{
  g_return_val_if_fail (hs != NULL, 0);
  Owner *o = owner_lookup (hs, owner);
  guint n = 0;
  for (guint32 i = o != NULL ? o->head : NONE; i != NONE; i = pe_at (hs, i)->owner_next)
    {
      pe_at (hs, i)->flags |= PE_MARKED;
      n++;
    }
  return n;
}

guint
hs_handlespace_purge_marked (HsHandlespace *hs, guint32 owner)
{
  g_return_val_if_fail (hs != NULL, 0);
  guint n = 0;
  Owner *o = owner_lookup (hs, owner);
  guint32 i = o != NULL ? o->head : NONE;
  while (i != NONE)
    {
      HsPoolElement *pe = pe_at (hs, i);
      i = pe->owner_next;
      if (pe->flags & PE_MARKED)
        {
          pe_remove (hs, pe);  /* may free the owner record: i is already read */
          n++;
        }
    }
  return n;
}

/* ---- the handlespace --------------------------------------------------------------------------------- */

HsHandlespace *
hs_handlespace_new (SimKernel *kernel)
{
  HsHandlespace *hs = g_new0 (HsHandlespace, 1);
  hs->kernel = kernel;
  hs->pools = g_tree_new_full (handle_cmp, NULL, NULL, NULL);
  hs->slab.free_head = NONE;
  hs->owners = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  return hs;
}

static gboolean
free_pool_cb (gpointer key, gpointer value, gpointer data)
{
  HsHandlespace *hs = data;
  HsPool *pool = value;
  for (guint32 i = pool->head; i != NONE; i = pe_at (hs, i)->pool_next)
    {
      HsPoolElement *pe = pe_at (hs, i);
      if (pe->timer != SIM_EVENT_NONE)
        sim_kernel_cancel (hs->kernel, pe->timer);
      if (pe->flags & PE_HEAP_ADDRS)
        g_free (pe->addrs.heap);
    }
  pool_free (pool);
  return FALSE;
}

void
hs_handlespace_free (HsHandlespace *hs)
{
  if (hs == NULL)
    return;
  for (HsCursor *c = hs->cursors; c != NULL; c = c->next_c)
    c->hs = NULL;
  g_tree_foreach (hs->pools, free_pool_cb, hs);
  g_tree_unref (hs->pools);
  g_hash_table_unref (hs->owners);
  for (guint32 k = 0; k < hs->slab.n_chunks; k++)
    g_free (hs->slab.chunks[k]);
  g_free (hs->slab.chunks);
  g_free (hs->slab.sel);
  g_free (hs);
}

void
hs_handlespace_set_expiry_func (HsHandlespace *hs, HsExpiryFunc func, gpointer user_data)
{
  g_return_if_fail (hs != NULL);
  hs->expiry_func = func;
  hs->expiry_data = user_data;
}

void
hs_handlespace_set_max_increment (HsHandlespace *hs, guint max_increment)
{
  g_return_if_fail (hs != NULL);
  hs->max_increment = max_increment;
}

void
hs_handlespace_set_max_pool_elements (HsHandlespace *hs, guint max)
{
  g_return_if_fail (hs != NULL);
  hs->max_pes = max;
}

guint
hs_handlespace_pool_count (const HsHandlespace *hs)
{
  return (guint) g_tree_nnodes (hs->pools);
}

guint
hs_handlespace_pool_element_count (const HsHandlespace *hs)
{
  return hs->slab.live;
}

SimTime
hs_handlespace_now (const HsHandlespace *hs)
{
  return hs->kernel != NULL ? sim_kernel_now (hs->kernel) : 0;
}

typedef struct {
  HsHandlespace *hs;
  HsForeachFunc  func;
  gpointer       data;
} ForeachCtx;

static gboolean
foreach_pool_cb (gpointer key, gpointer value, gpointer data)
{
  ForeachCtx *ctx = data;
  HsPool *pool = value;
  for (guint32 i = pool->head; i != NONE; i = pe_at (ctx->hs, i)->pool_next)
    ctx->func (pe_at (ctx->hs, i), ctx->data);
  return FALSE;
}

void
hs_handlespace_foreach (HsHandlespace *hs, HsForeachFunc func, gpointer user_data)
{
  g_return_if_fail (hs != NULL && func != NULL);
  ForeachCtx ctx = { hs, func, user_data };
  g_tree_foreach (hs->pools, foreach_pool_cb, &ctx);
}

const char *
hs_result_to_string (HsResult result)
{
  switch (result)
    {
    case HS_OK:
      return "ok";
    case HS_ERR_INVALID_VALUES:
      return "invalid values";
    case HS_ERR_NON_UNIQUE_PE_ID:
      return "non-unique PE identifier";
    case HS_ERR_INCONSISTENT_POLICY:
      return "inconsistent pooling policy";
    case HS_ERR_LACK_OF_RESOURCES:
      return "lack of resources";
    case HS_ERR_INCONSISTENT_TRANSPORT:
      return "inconsistent transport type";
    case HS_ERR_INCONSISTENT_DATA_CONTROL:
      return "inconsistent data/control configuration";
    case HS_ERR_UNKNOWN_POOL_HANDLE:
      return "unknown pool handle";
    }
  return "unknown result";
}

/* ---- accounting and invariants ------------------------------------------------------------------------ */

static gboolean
mem_pool_cb (gpointer key, gpointer value, gpointer data)
{
  gsize *bytes = data;
  const HsPool *pool = value;
  *bytes += sizeof (HsPool) + pool->key.len + (gsize) (pool->tab_mask + 1) * sizeof (HashEnt)
            + (gsize) pool->heap_cap * sizeof (HeapSlot) + (gsize) pool->dense_cap * sizeof (guint32)
            + (gsize) pool->groups_cap * sizeof (Group)
            + (pool->gtab != NULL ? (gsize) (pool->gtab_mask + 1) * sizeof (GroupEnt) : 0);
  if (pool->kind == SEL_FENWICK)
    *bytes += (gsize) pool->dense_cap * sizeof (guint32) + ((gsize) pool->dense_cap + 1) * sizeof (guint64);
  return FALSE;
}

gsize
hs_handlespace_memory_usage (const HsHandlespace *hs)
{
  gsize bytes = sizeof (HsHandlespace);
  bytes += (gsize) hs->slab.n_chunks * (1u << SLAB_SHIFT) * sizeof (HsPoolElement)
           + (gsize) hs->slab.chunks_cap * sizeof (gpointer) + (gsize) hs->slab.sel_cap * sizeof (guint32);
  g_tree_foreach (hs->pools, mem_pool_cb, &bytes);
  bytes += g_hash_table_size (hs->owners) * (sizeof (Owner) + 3 * sizeof (gpointer));
  return bytes;
}

#define CHECK(cond, ...)                                  \
  G_STMT_START {                                          \
    if (G_UNLIKELY (!(cond)))                             \
      {                                                   \
        g_autofree char *what_ = g_strdup_printf (__VA_ARGS__); \
        g_message ("hs_handlespace_sanity: %s (%s)", what_, #cond); \
        return FALSE;                                     \
      }                                                   \
  } G_STMT_END

typedef struct {
  HsHandlespace *hs;
  gboolean       ok;
  guint          total;
} SanityCtx;

static gboolean
sanity_selection (HsHandlespace *hs, HsPool *pool)
{
  guint selectable = 0;
  for (guint32 i = pool->head; i != NONE; i = pe_at (hs, i)->pool_next)
    {
      HsPoolElement *pe = pe_at (hs, i);
      switch ((SelKind) pool->kind)
        {
        case SEL_RING:
          CHECK (pe_at (hs, pe->ring_next)->ring_prev == pe->self, "ring links of PE %u", pe->id);
          selectable++;
          break;
        case SEL_HEAP:
          if (pool->policy_type == HS_POLICY_WRR && pe->value == 0)
            {
              CHECK (SEL (hs, i) == NONE, "weight-0 PE %u in a WRR group", pe->id);
              break;
            }
          CHECK (SEL (hs, i) < pool->groups_used && pool->groups[SEL (hs, i)].count > 0, "group of PE %u", pe->id);
          CHECK (pool->groups[SEL (hs, i)].key == pe_group_key (pe), "group key of PE %u", pe->id);
          CHECK (pe->seq < pool->next_seq, "sequence number of PE %u", pe->id);
          if (pool->policy_type == HS_POLICY_WRR)
            CHECK (pe->pass >= pool->vtime, "WRR virtual time of PE %u", pe->id);
          selectable++;
          break;
        case SEL_DENSE:
        case SEL_FENWICK:
          CHECK (SEL (hs, i) < pool->dense_n && pool->dense[SEL (hs, i)] == pe->self, "dense slot of PE %u", pe->id);
          if (pool->kind == SEL_FENWICK)
            {
              HsPolicy p = pe_policy (pe);
              CHECK (pool->wt[SEL (hs, i)] == hs_policy_random_weight (&p), "weight of PE %u", pe->id);
            }
          selectable++;
          break;
        }
    }
  switch ((SelKind) pool->kind)
    {
    case SEL_RING:
      {
        guint n = 0;
        guint32 i = pool->ring_head;
        CHECK (i != NONE, "ring without a head");
        do
          {
            CHECK (n <= pool->count, "ring longer than the pool");
            CHECK (pe_at (hs, i)->pool == pool, "ring member of another pool");
            i = pe_at (hs, i)->ring_next;
            n++;
          }
        while (i != pool->ring_head);
        CHECK (n == pool->count, "ring length %u != %u", n, pool->count);
      }
      break;
    case SEL_HEAP:
      {
        CHECK (pool->members == selectable, "groups hold %u, pool %u selectable", pool->members, selectable);
        guint members = 0, live = 0;
        for (guint32 g = 0; g < pool->groups_used; g++)
          {
            const Group *gr = &pool->groups[g];
            if (gr->count == 0)
              continue;
            live++;
            CHECK (group_find (pool, gr->key) == g, "group %u not found by its key", g);
            CHECK (gr->pos >= HEAP_ROOT && gr->pos < HEAP_ROOT + pool->heap_n && pool->heap[gr->pos].grp == g,
                   "heap position of group %u", g);
            guint n = 0;
            guint32 prev = NONE, i = gr->head;
            do
              {
                const HsPoolElement *pe = pe_at (hs, i);
                CHECK (SEL (hs, i) == g && pe->pool == pool, "member %u of group %u", pe->id, g);
                CHECK (pe_at (hs, pe->ring_next)->ring_prev == i, "group %u ring links", g);
                if (prev != NONE)
                  {
                    const HsPoolElement *pp = pe_at (hs, prev);
                    CHECK (pp->seq < pe->seq, "group %u out of sequence order", g);
                    CHECK (member_key (pool, pp, g) <= member_key (pool, pe, g), "group %u out of key order", g);
                  }
                prev = i;
                i = pe->ring_next;
                CHECK (++n <= gr->count, "group %u longer than counted", g);
              }
            while (i != gr->head);
            CHECK (n == gr->count, "group %u count", g);
            const HsPoolElement *front = pe_at (hs, gr->head);
            gboolean wrr = pool->policy_type == HS_POLICY_WRR;
            CHECK (pool->heap[gr->pos].key == member_key (pool, front, g)
                   && pool->heap[gr->pos].seq == (wrr ? front->seq : 0), "heap slot of group %u", g);
            members += n;
          }
        CHECK (members == pool->members, "group members %u != %u", members, pool->members);
        CHECK (live == pool->heap_n, "%u live groups, %u in the heap", live, pool->heap_n);
        for (guint32 p = HEAP_ROOT + 1; p < HEAP_ROOT + pool->heap_n; p++)
          CHECK (!slot_less (pool->heap[p], pool->heap[p / 4 + 2]), "heap order at %u", p);
      }
      break;
    case SEL_DENSE:
    case SEL_FENWICK:
      CHECK (pool->dense_n == selectable, "dense array holds %u of %u", pool->dense_n, selectable);
      if (pool->kind == SEL_FENWICK)
        {
          guint64 total = 0;
          for (guint32 s = 0; s < pool->dense_cap; s++)
            {
              guint64 w = s < pool->dense_n ? pool->wt[s] : 0;
              total += w;
              /* fen[i] = sum of weights of slots (i - lowbit(i), i]. */
              guint32 i = s + 1;
              guint64 want = 0;
              for (guint32 j = i - (i & (0u - i)); j < i; j++)
                want += j < pool->dense_n ? pool->wt[j] : 0;
              CHECK (pool->fen[i] == want, "Fenwick node %u", i);
            }
          CHECK (total == pool->total, "Fenwick total");
        }
      break;
    }
  return TRUE;
}

static gboolean
sanity_pool (HsHandlespace *hs, HsPool *pool)
{
  CHECK (pool->count > 0, "empty pool kept");
  CHECK (pool->handle_sum == handle_word_sum (pool->key.data, pool->key.len), "handle sum");
  guint n = 0;
  guint32 prev = NONE;
  for (guint32 i = pool->head; i != NONE; i = pe_at (hs, i)->pool_next)
    {
      HsPoolElement *pe = pe_at (hs, i);
      CHECK (pe->self == i, "slab index of PE %u", pe->id);
      CHECK (pe->pool == pool, "PE %u in the wrong pool's list", pe->id);
      CHECK (pe->pool_prev == prev, "member list back link of PE %u", pe->id);
      CHECK (tab_find (pool, pe->id) == i, "hash lookup of PE %u", pe->id);
      CHECK (owner_lookup (hs, pe->owner) != NULL, "owner record of PE %u", pe->id);
      if (hs->kernel != NULL && pe->expiry != SIM_TIME_MAX)
        {
          SimTime t = sim_kernel_event_time (hs->kernel, pe->timer);
          CHECK (t >= 0 && t <= pe->expiry, "expiry timer of PE %u", pe->id);
        }
      prev = i;
      n++;
    }
  CHECK (pool->tail == prev, "member list tail");
  CHECK (n == pool->count, "member list length %u != %u", n, pool->count);
  guint used = 0;
  for (guint32 h = 0; h <= pool->tab_mask; h++)
    if (pool->tab[h].pe != NONE)
      {
        CHECK (pe_at (hs, pool->tab[h].pe)->pool == pool && pe_at (hs, pool->tab[h].pe)->id == pool->tab[h].id,
               "hash entry %u", h);
        used++;
      }
  CHECK (used == pool->count, "hash holds %u of %u", used, pool->count);
  CHECK (used * 4 <= (pool->tab_mask + 1) * 3, "hash load factor");
  return sanity_selection (hs, pool);
}

static gboolean
sanity_pool_cb (gpointer key, gpointer value, gpointer data)
{
  SanityCtx *ctx = data;
  HsPool *pool = value;
  if (!sanity_pool (ctx->hs, pool))
    {
      ctx->ok = FALSE;
      return TRUE;
    }
  ctx->total += pool->count;
  return FALSE;
}

/* Checksum of an owner the plain way: RFC 1071 over the concatenated byte blocks. */
static guint16
owner_checksum_full (HsHandlespace *hs, const Owner *o)
{
  GByteArray *blocks = g_byte_array_new ();
  for (guint32 i = o->head; i != NONE; i = pe_at (hs, i)->owner_next)
    {
      const HsPoolElement *pe = pe_at (hs, i);
      static const guint8 zeros[3] = { 0, 0, 0 };
      g_byte_array_append (blocks, pe->pool->key.data, (guint) pe->pool->key.len);
      g_byte_array_append (blocks, zeros, (guint) ((4 - pe->pool->key.len % 4) % 4));
      guint8 id[4] = { pe->id >> 24, pe->id >> 16, pe->id >> 8, pe->id };
      g_byte_array_append (blocks, id, 4);
    }
  guint16 c = hs_internet_checksum (blocks->data, blocks->len);
  g_byte_array_unref (blocks);
  return c;
}

static gboolean
sanity_owner (HsHandlespace *hs, const Owner *o)
{
  guint n = 0;
  guint32 prev = NONE;
  CHECK (o->count > 0, "empty owner record %u kept", o->id);
  for (guint32 i = o->head; i != NONE; i = pe_at (hs, i)->owner_next)
    {
      const HsPoolElement *pe = pe_at (hs, i);
      CHECK (pe->owner == o->id, "PE %u in owner %u's list", pe->id, o->id);
      CHECK (pe->pool != NULL, "free PE in owner %u's list", o->id);
      CHECK (pe->owner_prev == prev, "owner list back link");
      prev = i;
      n++;
    }
  CHECK (o->tail == prev, "owner %u list tail", o->id);
  CHECK (n == o->count, "owner %u holds %u, counted %u", o->id, n, o->count);
  CHECK (checksum_finish (o->sum) == owner_checksum_full (hs, o), "owner %u checksum", o->id);
  return TRUE;
}

gboolean
hs_handlespace_sanity (HsHandlespace *hs)
{
  SanityCtx ctx = { hs, TRUE, 0 };
  g_tree_foreach (hs->pools, sanity_pool_cb, &ctx);
  if (!ctx.ok)
    return FALSE;
  CHECK (ctx.total == hs->slab.live, "pools hold %u PEs, slab %u", ctx.total, hs->slab.live);

  guint owned = 0;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, hs->owners);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      if (!sanity_owner (hs, value))
        return FALSE;
      owned += ((Owner *) value)->count;
    }
  CHECK (owned == hs->slab.live, "owners hold %u of %u PEs", owned, hs->slab.live);

  guint free_n = 0;
  for (guint32 i = hs->slab.free_head; i != NONE; i = pe_at (hs, i)->self)
    {
      CHECK (pe_at (hs, i)->pool == NULL, "live PE on the free list");
      CHECK (++free_n <= hs->slab.used, "free list cycle");
    }
  CHECK (free_n + hs->slab.live == hs->slab.used, "slab accounting");

  for (HsCursor *c = hs->cursors; c != NULL; c = c->next_c)
    {
      CHECK (c->hs == hs, "cursor of another handlespace");
      if (c->next == NONE)
        continue;
      const HsPoolElement *pe = pe_at (hs, c->next);
      CHECK (pe->pool != NULL, "cursor on a removed PE");
      if (c->by_owner)
        CHECK (pe->owner == c->owner, "owner cursor on another owner's PE");
      else
        CHECK (pe->pool == c->pool, "cursor on a PE of another pool");
    }
  return TRUE;
}
