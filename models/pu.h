/*
 * models/pu.h - the pool user: the ASAP PU side (RFC 5352 §3.3, §3.5-3.8,
 * RSERPOOL_FACTS §8.2) on one host of the virtual network.
 *
 * A PU resolves its pool handle at its home registrar (found by server hunt,
 * models/endpoint.h): ASAP_HANDLE_RESOLUTION, T1; T1 expiry retransmits the
 * request on the same home up to MAX-REQUEST-RETRANSMIT times; when T1
 * expires after the last retransmission the request fails (Error.Report to
 * the waiting callers) and a server hunt finds another home for the next
 * request. One resolution is in flight at a time; callers that ask meanwhile
 * wait for its answer.
 *
 * Cache (RFC 5352 §3.3): the PEs of the latest answer, valid for the stale
 * time (pu.stale-cache-value; 0 = no cache: every request asks the
 * registrar, as in the papers). A fresh entry answers without a request; a
 * stale one is a miss (blocking refresh). The PU picks from a cached list by
 * the pool's policy (RSERPOOL_FACTS §9.2): round robin for RR/WRR, a random
 * entry for RAND/WRAND/RLU ("pu/<index>/select"), the first for the rest.
 *
 * ENDPOINT_UNREACHABLE (RFC 5352 §3.5): only for a PE the user actually
 * tried (pu_pe_tried) and at most once per failure event, i.e. per attempt:
 * a report marks the attempt reported, a new pu_pe_tried starts a new one,
 * pu_pe_reached ends it. A reported PE is purged from the cache.
 *
 * Report limit (RFC 5355 §2.13.3: "The number of endpoint unreachable
 * messages sent to the ENRP server from the PU SHOULD be limited"; mitigation
 * pu-report-limit): with pu.max-eu-rate = N > 0 the PU sends at most N
 * reports in any interval of pu.eu-rate-window (a sliding window over the
 * send times of its last N reports). A report above it is not sent and is
 * counted (unreachable_limited); the PU still ends the failure event and
 * purges the PE from its cache. It bounds what an honest PU's ASAP stack
 * sends, e.g. when the PU cannot reach many PEs at once (a partition on its
 * side, a flood of fake PEs): the "unintentional" flood of §2.13.1. A
 * malicious PU does not run it; the registrar's per-PU limits answer that.
 *
 * Cookies (RFC 5352 §3.8): the PU keeps the latest ASAP_COOKIE of its
 * session (pu_control_receive) and sends it back as ASAP_COOKIE_ECHO on
 * failover (pu_send_cookie_echo), on the application's association (PPID 11).
 *
 * Not here: subscriptions (S flag), business cards, TCP to registrars.
 */
#pragma once

#include "models/endpoint.h"

G_BEGIN_DECLS

typedef struct PoolUser PoolUser;

typedef struct {
  char              *pool_handle;        /* pool.handle (owned) */
  SimTime            t1;                 /* T1-ENRPrequest */
  guint              max_request_retransmit; /* MAX-REQUEST-RETRANSMIT */
  SimTime            stale_cache;        /* stale_cache_value; 0 = no cache */
  EndpointHuntConfig hunt;               /* pu.registrars, pu.announces, T5, RETRAN-MAX, T7 */
  guint              max_eu_reports;     /* pu.max-eu-rate: reports per eu_window at most; 0 = no limit */
  SimTime            eu_window;          /* pu.eu-rate-window */
} PuConfig;

/* The keys pu.* (static table; pool.handle is in pe_params()). */
const SimParamDecl *pu_params (gsize *n);
gboolean pu_config_from_params (const SimParams *params, PuConfig *cfg, GError **error);
/* The declared defaults, pool handle "CalcAppPool". */
void     pu_config_init (PuConfig *cfg);
void     pu_config_copy (PuConfig *dst, const PuConfig *src);
void     pu_config_clear (PuConfig *cfg);

/* One PE of an answer, as the user needs it to reach the PE. */
typedef struct {
  guint32 pe_id;
  guint32 policy_type;
  NetAddr addr;            /* first IPv4 address of its user transport */
  guint16 port;            /* its user transport port */
  guint16 transport;       /* CodecParamType of the user transport */
} PuPeInfo;

typedef enum {
  PU_RESOLVE_OK,           /* pes holds >= 1 PE, in the order to try */
  PU_RESOLVE_EMPTY,        /* the registrar answered with an error (unknown pool) or no PE */
  PU_RESOLVE_FAILED,       /* no answer after MAX-REQUEST-RETRANSMIT retransmissions (Error.Report) */
} PuResolveResult;

/* The answer to pu_resolve: pes[0 .. n) borrowed for the call. */
typedef void (*PuResolveFn) (PoolUser *pu, PuResolveResult result, const PuPeInfo *pes, guint n,
                             gpointer user_data);

/* What the application on the PU's host learns from the ASAP layer. */
typedef struct {
  /* The host crashed (up = FALSE: forget every association; pending resolutions are dropped) or restarted. */
  void (*host_state) (PoolUser *pu, gboolean up, gpointer user_data);
} PuAppCallbacks;

/* A PU of index on host (one PU per host; it owns the host's state callback); cfg is copied. */
PoolUser *pu_new (Net *net, NetHost *host, guint32 index, const PuConfig *cfg, guint64 seed);
void      pu_free (PoolUser *pu);
void      pu_set_app (PoolUser *pu, const PuAppCallbacks *callbacks, gpointer user_data);
/*
 * TLS for the PU (models/rsp-secure.h): resolutions over TLS to registrars'
 * port 3864 (secure.pu-registrar; a registrar whose certificate does not
 * verify is a failed attempt and the hunt tries the next one, RFC 5355
 * §2.7); the application reads pu_security for secure.pu-pe. sec (borrowed)
 * NULL = none.
 */
void      pu_set_security (PoolUser *pu, RspSecurity *sec);
RspSecurity *pu_security (const PoolUser *pu);
/* Begin: hunt for a home registrar now (otherwise at the first resolution). */
void      pu_start (PoolUser *pu);
/*
 * Resolve the pool handle: from the cache if fresh, else by
 * HANDLE_RESOLUTION. fn runs later (never from inside this call).
 */
void      pu_resolve (PoolUser *pu, PuResolveFn fn, gpointer user_data);
/* Forget the cache (CalcApp: after a reject). */
void      pu_cache_purge (PoolUser *pu);

/* The user begins an attempt to reach pe_id (a new failure event may follow). */
void      pu_pe_tried (PoolUser *pu, guint32 pe_id);
/* The PE answered: the attempt's failure event, if any, is over. */
void      pu_pe_reached (PoolUser *pu, guint32 pe_id);
/*
 * Report pe_id unreachable: sends ENDPOINT_UNREACHABLE to the home registrar
 * if the PE was tried and this attempt was not reported yet. Returns TRUE if
 * a report was sent.
 */
gboolean  pu_report_unreachable (PoolUser *pu, guint32 pe_id);

/* An ASAP message (PPID 11) on the application's association to a PE: keeps an ASAP_COOKIE. */
void      pu_control_receive (PoolUser *pu, NetAssoc *assoc, const NetMessage *m);
/* The latest cookie of the session (NULL if none); borrowed. */
GBytes   *pu_cookie (const PoolUser *pu);
/* Start a new session: forget the cookie. */
void      pu_session_reset (PoolUser *pu);
/* Failover: send ASAP_COOKIE_ECHO with the latest cookie on assoc. FALSE if there is none. */
gboolean  pu_send_cookie_echo (PoolUser *pu, NetAssoc *assoc);


Net      *pu_net (const PoolUser *pu);
NetHost  *pu_host (const PoolUser *pu);
guint32   pu_index (const PoolUser *pu);
NetAssoc *pu_home_assoc (const PoolUser *pu);
const EndpointHunt *pu_hunt (const PoolUser *pu);

typedef struct {
  guint64 resolutions;            /* pu_resolve calls */
  guint64 cache_hits;             /* answered from a fresh cache entry */
  guint64 requests_sent;          /* HANDLE_RESOLUTION messages incl. retransmissions */
  guint64 retransmissions;        /* T1 expiries followed by a retransmission */
  guint64 request_failures;       /* Error.Report after MAX-REQUEST-RETRANSMIT */
  guint64 responses;              /* answers that resolved a request */
  guint64 responses_empty;        /* answers without PEs / with an error */
  guint64 responses_late;         /* answers to a retransmitted request already answered */
  guint64 unreachable_sent;       /* ENDPOINT_UNREACHABLE reports */
  guint64 unreachable_suppressed; /* second report in one failure event, or for a PE not tried */
  guint64 unreachable_unsent;     /* no home registrar at the time */
  guint64 unreachable_limited;    /* not sent: above pu.max-eu-rate in pu.eu-rate-window */
  guint64 cookies;                /* ASAP_COOKIEs received */
  guint64 cookie_echoes;          /* ASAP_COOKIE_ECHOs sent */
  guint64 home_lost;
  guint64 decode_errors[16];      /* by CodecErrorCode */
  guint64 errors_sent;
  guint64 unexpected;
} PuStats;
const PuStats *pu_stats (const PoolUser *pu);
void      pu_record (PoolUser *pu, SimRecorder *rec, const char *module);

G_END_DECLS
