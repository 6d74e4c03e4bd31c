/*
 * models/handlespace.h - the registrar's database: pools by handle, pool
 * elements (PEs) by identifier, selection by the nine RFC 5356 policies,
 * lifetime expiry, ownership by home registrar with the ENRP ownership
 * checksum, and resumable export for ENRP handle-table transfers.
 *
 * RFC 5352 §3.1-3.5 (registration checks, deregistration, handle resolution),
 * RFC 5353 §3.2 (handle-table transfer), §3.5 (takeover), §3.6 (audit with
 * checksums), RFC 5356 (policies; semantics in models/policy.h).
 *
 * Costs (n = PEs in the pool, g = distinct sort keys among them, c = WRR
 * weight classes; all amortised): lookup by (handle, id) O(log pools) + O(1)
 * (a per-pool open-addressing hash); register and deregister O(1) for RR and
 * RAND, O(log g) for PRIO/LU/LUD/PLU, O(log c) for WRR, O(log n) for WRAND and
 * RLU; a re-registration that keeps the PE's sort key O(1). Selecting k PEs:
 * RR and RAND O(k); PRIO/LU/PLU O(k log k) to collect, O(1) per used PE; LUD
 * O(log g) per used PE; WRR O(log c) per used PE; WRAND/RLU O(k log n). Owner
 * change O(1); checksum O(1) (kept incrementally). No allocation on the hot
 * path except when an index grows or a PE's address data exceeds its inline
 * buffer. About 185 bytes per PE (bench/bench-handlespace measures it).
 *
 * Time and expiry: a handlespace is created with an optional kernel. With a
 * kernel, "now" is the kernel's clock and every PE with a finite registration
 * life has one pending kernel event at its expiry (scheduled when the PE is
 * created, cancelled when it is removed; a re-registration that extends the
 * life only moves the PE's expiry time, and the event, when it fires early,
 * reschedules itself: at most one extra event per registration life, no
 * kernel operation per re-registration). Without a kernel, "now" is always 0
 * and nothing expires: that is for benchmarks and selection tests, which then
 * pay nothing for timers.
 *
 * Pointers: an HsPoolElement * stays valid until that PE is removed; an
 * HsPool * until its last PE is removed (the pool is deleted with it). Both
 * are owned by the handlespace.
 */
#pragma once

#include <glib.h>

#include "models/policy.h"
#include "sim/kernel.h"
#include "sim/rng.h"

G_BEGIN_DECLS

typedef struct HsHandlespace HsHandlespace;
typedef struct HsPool        HsPool;
typedef struct HsPoolElement HsPoolElement;
typedef struct HsCursor      HsCursor;

/*
 * Outcome of a registration. The error values are the RFC 5354 §3.12 cause
 * codes the registrar puts into the Operation Error of a rejecting
 * REGISTRATION_RESPONSE (R=1); HS_OK is not a cause code.
 *
 *   HS_ERR_INVALID_VALUES (0x3): empty pool handle; unknown or private
 *     policy type; registration life 0 or below -1; unknown user transport
 *     type; no address; an address family other than IPv4/IPv6; more than
 *     one address for TCP, UDP, UDP-Lite or DCCP (RFC 5354 §3.3-3.7: exactly
 *     one); Data plus Control use with a transport other than SCTP (the
 *     others are data only).
 *   HS_ERR_NON_UNIQUE_PE_ID (0x4): only with HS_REGISTER_SAME_CREDENTIAL: the
 *     PE identifier is taken in this pool by a PE registered through another
 *     credential.
 *   HS_ERR_INCONSISTENT_POLICY (0x5): the pool exists and its policy type
 *     differs (RFC 5352 §3.1: the first PE sets it; checked for new PEs and
 *     re-registrations alike).
 *   HS_ERR_LACK_OF_RESOURCES (0x6): the handlespace holds its maximum number
 *     of PEs (hs_handlespace_set_max_pool_elements), or a transport has more
 *     than HS_MAX_ADDRESSES addresses.
 *   HS_ERR_INCONSISTENT_TRANSPORT (0x7): the user transport type differs from
 *     the pool's.
 *   HS_ERR_INCONSISTENT_DATA_CONTROL (0x8): the transport use (data only /
 *     data plus control) differs from the pool's.
 * The checks run in that order: values, policy, transport, data/control,
 * credential, resources. A rejected registration changes nothing.
 * HS_ERR_UNKNOWN_POOL_HANDLE (0x9) is what a handle resolution of a missing
 * pool answers; hs_handlespace_select() returns it through its out argument.
 */
typedef enum {
  HS_OK                            = -1,
  HS_ERR_INVALID_VALUES            = 0x3,
  HS_ERR_NON_UNIQUE_PE_ID          = 0x4,
  HS_ERR_INCONSISTENT_POLICY       = 0x5,
  HS_ERR_LACK_OF_RESOURCES         = 0x6,
  HS_ERR_INCONSISTENT_TRANSPORT    = 0x7,
  HS_ERR_INCONSISTENT_DATA_CONTROL = 0x8,
  HS_ERR_UNKNOWN_POOL_HANDLE       = 0x9,
} HsResult;

const char *hs_result_to_string (HsResult result);

/* ---- plain transport types (the handlespace does not depend on the codec) ---- */

typedef enum {
  HS_AF_IPV4 = 4,
  HS_AF_IPV6 = 6,
} HsAddressFamily;

/* An IPv4 or IPv6 address: family and the address bytes in network order. */
typedef struct {
  guint8 family;     /* HsAddressFamily */
  guint8 bytes[16];  /* IPv4 uses the first 4 */
} HsAddress;

/* User transport types: the RFC 5354 parameter type codes. */
typedef enum {
  HS_TRANSPORT_DCCP     = 0x3,
  HS_TRANSPORT_SCTP     = 0x4,
  HS_TRANSPORT_TCP      = 0x5,
  HS_TRANSPORT_UDP      = 0x6,
  HS_TRANSPORT_UDP_LITE = 0x7,
} HsTransportType;

/* Transport use (RFC 5354 §3.4, SCTP only; the other transports are data only). */
typedef enum {
  HS_USE_DATA         = 0x0000,
  HS_USE_DATA_CONTROL = 0x0001,
} HsTransportUse;

/* Most addresses one transport may carry; more is refused as lack of resources. */
#define HS_MAX_ADDRESSES 8

typedef struct {
  guint8    type;                  /* HsTransportType */
  guint8    use;                   /* HsTransportUse */
  guint16   port;
  guint32   dccp_service_code;     /* DCCP only */
  guint     n_addrs;               /* >= 1 (SCTP), exactly 1 (others) */
  HsAddress addrs[HS_MAX_ADDRESSES];
} HsTransport;

/* What a (re-)registration or an ENRP ADD_PE carries about one PE. */
typedef struct {
  guint32     pe_id;           /* RFC 5352: chosen by the PE, unique within its pool */
  guint32     home_registrar;  /* owner: the registrar ID that accepted it (0 = unknown) */
  guint64     credential;      /* opaque: the association/credential it came through */
  gint32      reg_life_ms;     /* registration life in ms, -1 = infinite (RSERPOOL_FACTS §3) */
  HsPolicy    policy;
  HsTransport user;            /* user transport filled in by the PE */
  HsTransport asap;            /* ASAP transport (SCTP) filled in by the home registrar; n_addrs may be 0 */
} HsRegistration;

/* Registration flags. */
typedef enum {
  HS_REGISTER_NONE            = 0,
  /* Refuse (HS_ERR_NON_UNIQUE_PE_ID) to update a PE registered through a
   * different credential: a PE may only re-register itself (RFC 5355 §2.3). */
  HS_REGISTER_SAME_CREDENTIAL = 1 << 0,
} HsRegisterFlags;

/* Called when a PE's registration life runs out, just before the PE is removed. */
typedef void (*HsExpiryFunc) (HsHandlespace *hs, HsPoolElement *pe, gpointer user_data);

/* ---- the handlespace ---- */

/* kernel may be NULL (no clock, no expiry; see the top comment). */
HsHandlespace *hs_handlespace_new (SimKernel *kernel);
void           hs_handlespace_free (HsHandlespace *hs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HsHandlespace, hs_handlespace_free)

/* The callback may read the PE and the handlespace but must not modify it. */
void     hs_handlespace_set_expiry_func (HsHandlespace *hs, HsExpiryFunc func, gpointer user_data);
/*
 * Max increment (after rsplib): how many PEs at the head of an answer of an
 * ordered policy count as "used" by a handle resolution: RR/WRR rotate them
 * behind their peers, PRIO/LU/PLU move them behind equal keys, LUD bumps their
 * degradation counter. 0 (the default) = the policy default, 1 for all of
 * them: RR's head advances by one per resolution (RFC 5356 §4.1). G_MAXUINT =
 * every PE in the answer (the literal reading of RFC 5356 §5.2 for LUD).
 * RAND, WRAND and RLU keep no per-request state and ignore it.
 */
void     hs_handlespace_set_max_increment (HsHandlespace *hs, guint max_increment);
/* Most PEs the handlespace will hold (0 = unlimited, the default). */
void     hs_handlespace_set_max_pool_elements (HsHandlespace *hs, guint max);

/*
 * Register a new PE or update an existing one (RFC 5352 §3.1; also the ENRP
 * ADD_PE and handle-table import paths). On HS_OK, *pe_out (nullable) is the
 * PE and *created (nullable) says whether it was new. A re-registration
 * replaces all attributes, takes the PE to the new owner, resets its LUD
 * degradation counter, clears its audit mark and restarts its life; the
 * bad-report counter is kept (reports are about reachability, which a
 * re-registration through another path does not prove).
 */
HsResult hs_handlespace_register (HsHandlespace        *hs,
                                  const guint8         *handle,
                                  gsize                 handle_len,
                                  const HsRegistration *reg,
                                  HsRegisterFlags       flags,
                                  HsPoolElement       **pe_out,
                                  gboolean             *created);
/* Remove a PE (and its pool if it was the last). FALSE if there was none. */
gboolean hs_handlespace_deregister (HsHandlespace *hs, const guint8 *handle, gsize handle_len, guint32 pe_id);
void     hs_handlespace_remove (HsHandlespace *hs, HsPoolElement *pe);

HsPool        *hs_handlespace_find_pool (HsHandlespace *hs, const guint8 *handle, gsize handle_len);
HsPoolElement *hs_handlespace_find (HsHandlespace *hs, const guint8 *handle, gsize handle_len, guint32 pe_id);

/*
 * Handle resolution: up to max distinct PEs of the pool, by its policy
 * (RSERPOOL_FACTS §9.2), into out. Returns how many; 0 with *result =
 * HS_ERR_UNKNOWN_POOL_HANDLE when the pool does not exist (result nullable).
 * rng is required for RAND, WRAND and RLU and ignored otherwise.
 */
guint    hs_handlespace_select (HsHandlespace  *hs,
                                const guint8   *handle,
                                gsize           handle_len,
                                SimRng         *rng,
                                HsPoolElement **out,
                                guint           max,
                                HsResult       *result);

guint    hs_handlespace_pool_count (const HsHandlespace *hs);
guint    hs_handlespace_pool_element_count (const HsHandlespace *hs);
SimTime  hs_handlespace_now (const HsHandlespace *hs);

/* Calls func for every PE: pools in handle order (bytewise, shorter first on a tie), PEs in joining order. */
typedef void (*HsForeachFunc) (HsPoolElement *pe, gpointer user_data);
void     hs_handlespace_foreach (HsHandlespace *hs, HsForeachFunc func, gpointer user_data);

/* ---- ownership (RFC 5353 §3.5, §3.6) ---- */

/* PEs owned by a registrar. */
guint    hs_handlespace_owner_count (const HsHandlespace *hs, guint32 owner);
/*
 * The ownership checksum of RFC 5353 §3.6: the Internet checksum (RFC 1071,
 * one's complement of the one's complement sum of 16-bit big-endian words)
 * over one block per PE owned by `owner`: the pool handle zero-padded to a
 * multiple of 4 bytes, then the PE identifier (4 bytes, network order).
 * 0xffff when the owner has no PE. O(1): the sum is kept incrementally.
 */
guint16  hs_handlespace_owner_checksum (const HsHandlespace *hs, guint32 owner);
/* Takeover (RFC 5353 §3.5): every PE owned by `from` is now owned by `to`. Returns how many. */
guint    hs_handlespace_take_over (HsHandlespace *hs, guint32 from, guint32 to);
/*
 * Audit resynchronisation (RFC 5353 §3.6): mark every PE owned by `owner`;
 * (re-)registering a PE clears its mark; purge removes the PEs of `owner`
 * still marked (silently: no expiry callback). Both return how many.
 */
guint    hs_handlespace_mark_owner (HsHandlespace *hs, guint32 owner);
guint    hs_handlespace_purge_marked (HsHandlespace *hs, guint32 owner);

/* ---- export in handle-table chunks (RFC 5353 §3.2, M flag) ---- */

/*
 * A cursor over all PEs (pools in handle order, PEs in joining order) or over
 * the PEs of one owner (in the order they came to it). It survives changes of
 * the handlespace between calls: every PE present from the cursor's creation
 * to its end is delivered exactly once; a PE added meanwhile is delivered if
 * it joins behind the cursor; a removed PE is not delivered after its removal.
 * A cursor must be freed before its handlespace (or it only ever reports the end).
 */
HsCursor *hs_cursor_new_all (HsHandlespace *hs);
HsCursor *hs_cursor_new_owner (HsHandlespace *hs, guint32 owner);
/* Up to max next PEs into out; returns how many (0 = the end). */
guint     hs_cursor_next (HsCursor *cursor, HsPoolElement **out, guint max);
/* TRUE when nothing is left: the M flag of the chunk just taken is !done. */
gboolean  hs_cursor_done (const HsCursor *cursor);
void      hs_cursor_free (HsCursor *cursor);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HsCursor, hs_cursor_free)

/* ---- pools ---- */

const guint8 *hs_pool_get_handle (const HsPool *pool, gsize *len);
guint32  hs_pool_get_policy_type (const HsPool *pool);
guint8   hs_pool_get_transport_type (const HsPool *pool);
guint8   hs_pool_get_transport_use (const HsPool *pool);
guint    hs_pool_get_count (const HsPool *pool);
HsPoolElement *hs_pool_find (HsPool *pool, guint32 pe_id);
/* Handle resolution on a pool in hand; see hs_handlespace_select(). */
guint    hs_pool_select (HsPool *pool, SimRng *rng, HsPoolElement **out, guint max);

/* ---- pool elements (read access; change them by re-registering) ---- */

guint32  hs_pe_get_id (const HsPoolElement *pe);
HsPool  *hs_pe_get_pool (const HsPoolElement *pe);
guint32  hs_pe_get_home_registrar (const HsPoolElement *pe);
guint64  hs_pe_get_credential (const HsPoolElement *pe);
gint32   hs_pe_get_registration_life (const HsPoolElement *pe);
/* Absolute expiry time; SIM_TIME_MAX for an infinite life. */
SimTime  hs_pe_get_expiry (const HsPoolElement *pe);
SimTime  hs_pe_get_last_update (const HsPoolElement *pe);
void     hs_pe_get_policy (const HsPoolElement *pe, HsPolicy *policy);
void     hs_pe_get_user_transport (const HsPoolElement *pe, HsTransport *transport);
void     hs_pe_get_asap_transport (const HsPoolElement *pe, HsTransport *transport);
/* LUD: times the PE counted as used since its last (re-)registration. */
guint32  hs_pe_get_degradation_count (const HsPoolElement *pe);
gboolean hs_pe_is_marked (const HsPoolElement *pe);
guint    hs_pe_get_bad_reports (const HsPoolElement *pe);
/* ENDPOINT_UNREACHABLE (RFC 5352 §3.5): count one report; returns the new count. */
guint    hs_pe_report_unreachable (HsPoolElement *pe);

G_END_DECLS
