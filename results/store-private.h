/*
 * results/store-private.h - what the other results/ modules (report, and later
 * merge and plot) need of an open store: its SQLite handle and error helper.
 * Only results/ includes this file; SQL lives nowhere else (DESIGN.md §1).
 */
#pragma once

#include "results/store.h"

#include <sqlite3.h>

G_BEGIN_DECLS

sqlite3 *results_store_db (ResultsStore *store);
/*
 * Set *error (RESULTS_STORE_ERROR_SQLITE, or _INVALID for a violated UNIQUE
 * constraint) to "PATH: WHAT: SQLite's message", for the failure `rc` of the
 * last call on the store's handle. Returns FALSE, for `return store_fail (...)`.
 */
gboolean results_store_set_error (ResultsStore *store, GError **error, int rc, const char *what);

G_END_DECLS
