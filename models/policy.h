/*
 * models/policy.h - the pool member selection policies of RFC 5356: type
 * codes, names, and the per-policy sort keys and weights that the handlespace
 * (models/handlespace.c) orders its selection indexes by.
 *
 * What a policy means is decided here; how a pool keeps its members in that
 * order (ring, heap, Fenwick tree) is the handlespace's business. The nine
 * standard policies (RFC 5356 §4 non-adaptive, §5 adaptive; RSERPOOL_FACTS §9)
 * are supported. Deliberately left out: private types (X bit set, e.g.
 * rsplib's 0xb0000000 family with distance penalty factors), which the
 * handlespace rejects as invalid values.
 *
 * Key semantics (lowest key is selected first, ties round robin):
 *   PRIO  key = 0xffffffff - priority          (RFC 5356 §4.5: highest priority first)
 *   LU    key = load                           (§5.1)
 *   LUD   key = load + n * load_degradation    (§5.2; n = times selected since the
 *                                               last (re-)registration; 64-bit, no clamp)
 *   PLU   key = load + load_degradation        (§5.3: the load after one more request)
 * Weights for the random policies (probability proportional to weight):
 *   RAND  1, WRAND weight (0 = cannot serve: never chosen), RLU 0xffffffff - load (§5.4).
 * WRR uses a stride (virtual time advanced per selection), see hs_policy_wrr_stride().
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* RFC 5356 policy type codes (§4, §5; RSERPOOL_FACTS §9.1); 32-bit on the wire. */
typedef enum {
  HS_POLICY_RR    = 0x00000001,  /* Round Robin (the default, MUST be supported) */
  HS_POLICY_WRR   = 0x00000002,  /* Weighted Round Robin: weight */
  HS_POLICY_RAND  = 0x00000003,  /* Random */
  HS_POLICY_WRAND = 0x00000004,  /* Weighted Random: weight */
  HS_POLICY_PRIO  = 0x00000005,  /* Priority: priority, larger = preferred */
  HS_POLICY_LU    = 0x40000001,  /* Least Used: load */
  HS_POLICY_LUD   = 0x40000002,  /* Least Used with Degradation: load, load degradation */
  HS_POLICY_PLU   = 0x40000003,  /* Priority Least Used: load, load degradation */
  HS_POLICY_RLU   = 0x40000004,  /* Randomized Least Used: load */
} HsPolicyType;

#define HS_POLICY_FLAG_PRIVATE  0x80000000u  /* X bit: non-standard policy */
#define HS_POLICY_FLAG_ADAPTIVE 0x40000000u  /* A bit: the policy uses load */
#define HS_POLICY_LOAD_MAX      0xffffffffu  /* load 100 % (0 = 0 %) */

/*
 * A PE's policy parameter (RFC 5354 0x8 + RFC 5356 §4): the type and its values.
 * Only the fields the type uses are meaningful; the others are ignored and
 * stored as 0.
 */
typedef struct {
  guint32 type;              /* HsPolicyType code */
  guint32 weight;            /* WRR, WRAND: relative capacity, 0 = cannot serve */
  guint32 priority;          /* PRIO: larger = preferred */
  guint32 load;              /* LU, LUD, PLU, RLU: 0 .. HS_POLICY_LOAD_MAX (0 % .. 100 %) */
  guint32 load_degradation;  /* LUD, PLU: load added per accepted request, same scale */
} HsPolicy;

/* TRUE for the nine RFC 5356 codes. */
gboolean    hs_policy_type_is_known (guint32 type);
/* The abbreviation ("RR", "WRR", "RAND", "WRAND", "PRIO", "LU", "LUD", "PLU", "RLU"), or NULL. */
const char *hs_policy_type_name (guint32 type);
/* The RFC 5356 name ("Round Robin", ...), or NULL. */
const char *hs_policy_type_long_name (guint32 type);
/*
 * Parse a policy name: the abbreviation or the RFC name, case-insensitive,
 * spaces/dashes/underscores ignored ("lud", "Least-Used-with-Degradation").
 * Returns FALSE (and leaves *type alone) for anything else.
 */
gboolean    hs_policy_type_from_name (const char *name, guint32 *type);
/* TRUE if the policy is one of RAND, WRAND, RLU (answers drawn from a SimRng). */
gboolean    hs_policy_type_is_random (guint32 type);
/* Copy of p with the fields the type does not use set to 0. */
HsPolicy    hs_policy_normalize (const HsPolicy *p);

/* Sort key of an ordered policy (PRIO, LU, LUD, PLU); see the top comment. */
static inline guint64
hs_policy_sort_key (const HsPolicy *p, guint32 lud_count)
{
  switch (p->type)
    {
    case HS_POLICY_PRIO:
      return (guint64) (0xffffffffu - p->priority);
    case HS_POLICY_LU:
      return p->load;
    case HS_POLICY_LUD:
      /* load + n * degradation < 2^32 + (2^32-1)^2 < 2^64: never overflows. */
      return (guint64) p->load + (guint64) lud_count * p->load_degradation;
    case HS_POLICY_PLU:
      return (guint64) p->load + p->load_degradation;
    default:
      return 0;
    }
}

/* Selection weight of a random policy (RAND, WRAND, RLU); 0 = never selected. */
static inline guint32
hs_policy_random_weight (const HsPolicy *p)
{
  switch (p->type)
    {
    case HS_POLICY_RAND:
      return 1;
    case HS_POLICY_WRAND:
      return p->weight;
    case HS_POLICY_RLU:
      return HS_POLICY_LOAD_MAX - p->load;
    default:
      return 0;
    }
}

/*
 * WRR stride: the virtual time a PE's next turn moves back by when it is
 * selected, HS_POLICY_WRR_STRIDE_UNIT / weight (weight >= 1). A PE of weight
 * w is then selected w times per virtual-time unit, its turns spread evenly
 * among the others' (stride scheduling). Exact when the weight divides 2^52.
 */
#define HS_POLICY_WRR_STRIDE_UNIT (G_GUINT64_CONSTANT (1) << 52)
static inline guint64
hs_policy_wrr_stride (guint32 weight)
{
  return HS_POLICY_WRR_STRIDE_UNIT / weight;
}

G_END_DECLS
