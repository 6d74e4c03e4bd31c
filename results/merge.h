/*
 * results/merge.h - merging shard databases into one results database
 * (DESIGN.md §9): `poolsim sweep --plan` runs each run into its own shard,
 * anywhere; `poolsim merge OUT.db SHARD.db...` brings them together.
 *
 * A shard is any poolsim results database of this schema version. Merging
 * copies, in one transaction per shard:
 *  - every complete run whose identity (scenario digest, config, run number)
 *    OUT has no complete row for (a failed row of OUT is replaced), and
 *  - every failed run whose identity OUT has no row for at all,
 * with all its attributes, variables and results, rows in their order. A
 * complete run already in OUT is left alone, so merging is idempotent:
 * merging a shard twice, or shards that overlap, adds nothing the second time.
 *
 * A shard is refused, and nothing of it copied, when one of its runs and a
 * run of OUT share the scenario path and config but not the scenario digest
 * (another scenario text or other --set overrides: their rows would be
 * pooled by reports as if they were repetitions) or not the poolsim version
 * (other code). Files of other programs or schema versions are refused when
 * opened (results/store.h). Checks are against OUT as it is when the shard's
 * turn comes, so the first shard merged into an empty OUT sets the rules.
 *
 * Not here: checking that two copies of a complete run hold the same results
 * (determinism makes them equal; the tests check that).
 */
#pragma once

#include "results/store.h"

#include <glib.h>

G_BEGIN_DECLS

#define RESULTS_MERGE_ERROR (results_merge_error_quark ())
GQuark results_merge_error_quark (void);

typedef enum {
  RESULTS_MERGE_ERROR_DIGEST,     /* the shard ran another scenario text (or overrides) than OUT's runs */
  RESULTS_MERGE_ERROR_VERSION,    /* the shard was written by another poolsim version than OUT's runs */
  RESULTS_MERGE_ERROR_SAME_FILE,  /* the shard is OUT itself */
} ResultsMergeError;

/* What merging shards did, summed over the shards. */
typedef struct {
  guint shards;          /* shards merged */
  guint added;           /* complete runs copied (identities new to OUT) */
  guint replaced;        /* complete runs copied over a failed row of OUT */
  guint present;         /* complete runs OUT already had */
  guint failed_added;    /* failed runs copied (identities new to OUT) */
  guint failed_skipped;  /* failed runs not copied: OUT has a row for them */
} ResultsMergeStats;

/*
 * Merge the shard at `shard_path` into `out` (opened for writing) in one
 * transaction, adding to *stats. On error nothing of the shard is copied;
 * the error names the shard and, for a mismatch, both values.
 */
gboolean results_merge_shard (ResultsStore      *out,
                              const char        *shard_path,
                              ResultsMergeStats *stats,
                              GError           **error);

G_END_DECLS
