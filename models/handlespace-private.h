/*
 * models/handlespace-private.h - handlespace internals for tests and the benchmark.
 */
#pragma once

#include "models/handlespace.h"

G_BEGIN_DECLS

/*
 * TRUE if every index agrees with every other and with a full recomputation:
 * pool member lists, per-pool hash tables, selection structures (ring, heap
 * order and positions, dense slots, Fenwick prefix sums and totals, sort keys
 * recomputed from the PEs' policy values), owner lists and counts, ownership
 * checksums recomputed from scratch (RFC 1071 over the byte blocks), pending
 * expiry timers, and cursor positions. O(total PEs); logs what failed.
 */
gboolean hs_handlespace_sanity (HsHandlespace *hs);

/* Bytes held by the handlespace's own structures (capacities, not just the used parts). */
gsize    hs_handlespace_memory_usage (const HsHandlespace *hs);

/*
 * The RFC 1071 Internet checksum of a byte string, computed the plain way
 * (the reference the incremental ownership checksum is tested against).
 */
guint16  hs_internet_checksum (const guint8 *data, gsize len);

G_END_DECLS
