/*
 * sim/kernel-private.h - kernel internals that tests need to see.
 */
#pragma once

#include "sim/kernel.h"

G_BEGIN_DECLS

/* TRUE if heap order, record positions and the free list are consistent. O(n). */
gboolean sim_kernel_sanity (const SimKernel *kernel);
/* Event records handed out so far (pending + free): bounded by the peak of pending events. */
guint32  sim_kernel_records_in_use (const SimKernel *kernel);

G_END_DECLS
