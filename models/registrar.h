/*
 * models/registrar.h - the pool registrar (ENRP server): the ASAP server side
 * (RFC 5352 §3.1-3.6) and the ENRP server (RFC 5353 §3), on one host of the
 * virtual network.
 *
 * A registrar listens for ASAP on SCTP port 3863 and for ENRP on 9901, sends
 * ASAP_SERVER_ANNOUNCEs to the ASAP announce group over UDP, and keeps its
 * handlespace (models/handlespace.h). Every message is real bytes: encoded by
 * the codec, carried by the network, decoded by the receiver (models/rsp.h).
 *
 * ASAP side: registration with the handlespace's consistency checks and the
 * address binding (the PE's user addresses must be addresses of the
 * registering association), ownership (the accepting registrar becomes home;
 * the ASAP transport is the association's), deregistration, handle resolution
 * by the pool's policy with a maximum number of PEs, endpoint keep-alives with
 * a timeout, ENDPOINT_UNREACHABLE with the MAX-BAD-PE-REPORT counter and the
 * optional probe, lifetime expiry, server announces.
 *
 * ENRP side: mentor discovery from a static list of peer addresses
 * (LIST_REQUEST / LIST_RESPONSE), handle-table transfer with M-flag paging,
 * HANDLE_UPDATE to every peer on every ownership change, PRESENCE every
 * PEER-HEARTBEAT-CYCLE with the own PE checksum, MAX-TIME-LAST-HEARD probing,
 * MAX-TIME-NO-RESPONSE, takeover arbitration (highest ID wins) with H-flag
 * keep-alives to the taken-over PEs, audit of each peer's checksum with a
 * resynchronisation on mismatch.
 *
 * Reaching a PE: a registrar sends keep-alives to a PE over the association
 * its last registration came through; when it has none (after a takeover, or
 * when that association ended) it opens an ASAP association to the first
 * address and the port of the PE's ASAP transport. A PE must therefore accept
 * ASAP associations on the local port of its registration association (the
 * PE of models/pe.h registers from its ASAP endpoint, port 3863, and listens
 * there).
 *
 * Crash and restart (net_host_set_state_callback): a crashed registrar loses
 * its whole state (handlespace, peers, associations); on restart it starts
 * over with an empty handlespace and mentor discovery, under the same server
 * ID (the scenario names registrars by ID).
 */
#pragma once

#include "models/handlespace.h"
#include "models/rsp-secure.h"
#include "sim/net.h"
#include "sim/param.h"
#include "sim/record.h"

G_BEGIN_DECLS

typedef struct Registrar Registrar;

/* One registrar's protocol parameters; registrar_config_from_params() fills it from registrar_params(). */
typedef struct {
  /* ASAP (RFC 5352 §3, §7) */
  SimTime  keep_alive_interval;   /* between keep-alives to an owned PE; 0 = none (RFC 5352 §3.5: optional) */
  SimTime  keep_alive_timeout;    /* no ACK within this after a keep-alive: the PE is removed */
  double   keep_alive_jitter;     /* the interval varies by +- this fraction (RFC 5352 §3.5: 50 %) */
  guint    max_bad_pe_reports;    /* MAX-BAD-PE-REPORT: reports that remove a PE; 0 = never */
  gboolean unreachable_probe;     /* RFC 5352 §3.5: probe a reported PE with a keep-alive */
  gboolean address_binding;       /* user addresses must be addresses of the registering association */
  guint    max_hr_items;          /* PEs per handle resolution answer; 0 = all that fit */
  guint    max_increment;         /* hs_handlespace_set_max_increment(); 0 = policy default */
  guint    max_pool_elements;     /* handlespace capacity (lack of resources beyond); 0 = unlimited */
  gboolean announce;              /* send ASAP_SERVER_ANNOUNCEs */
  SimTime  announce_cycle;        /* T6-Serverannounce; the period is (N+1) x T6 */
  SimTime  announce_timeout;      /* T7-ENRPoutdate: another registrar's announce counts in N this long */
  /* ENRP (RFC 5353 §3, §4) */
  SimTime  peer_heartbeat_cycle;  /* PEER-HEARTBEAT-CYCLE */
  SimTime  max_time_last_heard;   /* MAX-TIME-LAST-HEARD */
  SimTime  max_time_no_response;  /* MAX-TIME-NO-RESPONSE */
  SimTime  mentor_timeout;        /* wait for a mentor's answer before the next one */
  SimTime  takeover_expiry;       /* an unfinished takeover is abandoned after this */
  guint    handle_table_max_pes;  /* PEs per HANDLE_TABLE_RESPONSE, >= 1 */
  /* Mitigations (RFC 5355 §2.1, §2.13; attacks/attack.h names them) */
  gboolean one_pe_per_credential; /* a credential (TLS-PSK identity, else the peer address) holds one PE identity */
  gboolean pool_authorization;    /* with TLS-PSK: a PE's key must be authorized for the pool (secure.keys) */
  gboolean mixed_database;        /* RFC 5355 §2.15: take plain registrations although the class uses TLS */
  double   max_hr_rate;           /* handle resolutions per s and association; 0 = no limit */
  double   max_eu_rate;           /* ENDPOINT_UNREACHABLEs per s and association; 0 = no limit */
  guint    rate_window;           /* timestamps the rate estimator keeps per association, >= 2 */
  guint    rate_burst;            /* arrivals the estimator passes unjudged, >= 1 (judged from burst + 1) */
  double   max_registration_rate; /* registrations of new PE identities per s and credential; 0 = no limit */
} RegistrarConfig;

/* The scenario keys of the registrar (static table). */
const SimParamDecl *registrar_params (gsize *n);
/* Fill cfg from a run's parameters (params must contain registrar_params()). */
void registrar_config_from_params (const SimParams *params, RegistrarConfig *cfg);
/* Fill cfg with the declared defaults of registrar_params(). */
void registrar_config_init (RegistrarConfig *cfg);
/*
 * Parse the key registrar.peers ("10.0.0.1, 10.0.0.2"; "" = none) into addrs
 * (NetAddr). FALSE with an error naming the bad word.
 */
gboolean registrar_parse_peers (const char *text, GArray *addrs, GError **error);

/*
 * A registrar with ENRP server ID server_id (non-zero) on host (which must be
 * up), drawing from streams "registrar/<host name>/..." of seed. It does
 * nothing until registrar_start(). cfg is copied.
 */
Registrar *registrar_new (Net *net, NetHost *host, guint32 server_id, const RegistrarConfig *cfg, guint64 seed);
/* Close everything and free; the net must still exist. */
void       registrar_free (Registrar *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Registrar, registrar_free)

/* The static peer list for mentor discovery (copied; call before registrar_start). */
void       registrar_set_peers (Registrar *r, const NetAddr *addrs, guint n);
/*
 * TLS (models/rsp-secure.h; before registrar_start): ASAP also on port 3864
 * and ENRP on 9902 for the classes that use TLS, and the policy of RFC 5355
 * §3: when a class requires security, what arrives without it (a
 * registration, deregistration, resolution or unreachable report on plain
 * ASAP; an ENRP message on plain ENRP) is refused with "Rejected due to
 * security considerations" (RFC 5354 cause 0xa) and counted; with psk a
 * registration must come from a PE's key authorized for the pool, and a
 * registered identifier stays bound to the key that registered it.
 */
void       registrar_set_security (Registrar *r, RspSecurity *sec);
/* Open the ports and begin: mentor discovery, or serving at once without peers. */
void       registrar_start (Registrar *r);

guint32    registrar_id (const Registrar *r);
NetHost   *registrar_host (const Registrar *r);
/* The current handlespace, for reading (NULL while the host is down). Replaced at each restart. */
HsHandlespace *registrar_handlespace (const Registrar *r);

typedef enum {
  REGISTRAR_DOWN,        /* host crashed, or not started */
  REGISTRAR_DISCOVERY,   /* asking mentors for the server list */
  REGISTRAR_SYNC,        /* receiving the mentor's handle table */
  REGISTRAR_SERVING,
} RegistrarState;
RegistrarState registrar_state (const Registrar *r);
const char    *registrar_state_name (RegistrarState state);

/* Server IDs of the peers it knows, ascending, into ids (guint32). */
void       registrar_peer_ids (const Registrar *r, GArray *ids);

/*
 * Called for every handle resolution the registrar answers: the pool handle
 * and the identifiers of the PEs in the answer, in order (n = 0 for an
 * unknown pool). The arrays are borrowed for the call.
 */
typedef void (*RegistrarResolutionFn) (Registrar *r, const guint8 *handle, gsize handle_len,
                                       const guint32 *pe_ids, guint n, gpointer user_data);
void       registrar_set_resolution_observer (Registrar *r, RegistrarResolutionFn fn, gpointer user_data);

/* Message counters are per codec message type, indexed by registrar_msg_index(). */
#define REGISTRAR_N_MSG 32
static inline guint
registrar_msg_index (guint type)
{
  return ((type >> 8) - 1) * 16 + (type & 0x0f);
}

/* What the registrar did, cumulative over restarts. */
typedef struct {
  guint64 rx[REGISTRAR_N_MSG];        /* messages received (decoded), by type */
  guint64 tx[REGISTRAR_N_MSG];        /* messages sent, by type */
  guint64 decode_errors[16];          /* messages that failed to decode, by CodecErrorCode */
  guint64 unexpected;                 /* decoded messages of a kind it does not take there, dropped */
  guint64 errors_sent;                /* ASAP_ERROR / ENRP_ERROR answers to bad messages */
  guint64 registrations;              /* accepted (new and re-registrations) */
  guint64 registrations_new;          /* accepted, creating a PE */
  guint64 registrations_rejected;
  guint64 registrations_refused_identity; /* ... of them: a second PE identity of one credential */
  guint64 registrations_refused_rate;     /* ... of them: new identities above registrar.max-registration-rate */
  guint64 registrations_refused_binding;  /* ... of them: another host's addresses or identity (address binding) */
  guint64 registrations_refused_security; /* ... of them: not over TLS, or not a PE's key (RFC 5355 §2.1, §2.2, §2.15) */
  guint64 registrations_refused_pool;     /* ... of them: the PE's key is not authorized for the pool (§2.4) */
  guint64 deregistrations;            /* PEs removed by DEREGISTRATION */
  guint64 deregistrations_refused;    /* DEREGISTRATIONs refused: not from the PE itself (address binding, TLS identity) */
  guint64 deregistrations_refused_security; /* ... not over TLS although secure.pe-registrar requires it */
  guint64 resolutions_refused_security;     /* HANDLE_RESOLUTIONs not over TLS although secure.pu-registrar requires it */
  guint64 unreachable_refused_security;     /* ENDPOINT_UNREACHABLEs not over TLS although required: ignored */
  guint64 enrp_refused_security;            /* ENRP messages not over TLS although secure.registrar-registrar requires it */
  guint64 registrations_insecure;           /* accepted without TLS into a secure registrar (registrar.secure-database = mixed) */
  guint64 resolutions_insecure_pes;         /* PE entries in answers that were registered without TLS (§2.15) */
  guint64 resolutions;                /* handle resolutions answered with PEs */
  guint64 resolutions_unknown;        /* answered with Unknown Pool Handle */
  guint64 resolutions_refused;        /* dropped by the per-association rate limit */
  guint64 keep_alives;                /* ENDPOINT_KEEP_ALIVEs sent (any reason) */
  guint64 keep_alive_timeouts;        /* PEs removed: no ACK in time */
  guint64 send_failures;              /* PEs removed: their association failed */
  guint64 unreachable_reports;        /* ENDPOINT_UNREACHABLEs about a known PE */
  guint64 unreachable_removals;       /* PEs removed by MAX-BAD-PE-REPORT */
  guint64 unreachable_refused;        /* ENDPOINT_UNREACHABLEs dropped by the per-association rate limit */
  guint64 expiries;                   /* PEs whose registration life ran out */
  guint64 announces;                  /* SERVER_ANNOUNCEs sent */
  guint64 updates_applied;            /* HANDLE_UPDATEs applied */
  guint64 updates_refused;            /* HANDLE_UPDATEs the handlespace refused */
  guint64 table_pes_imported;         /* PEs taken from HANDLE_TABLE_RESPONSEs */
  guint64 resyncs;                    /* audit mismatches that started a resynchronisation */
  guint64 resync_purged;              /* PEs deleted by resynchronisations */
  guint64 peers_dead;                 /* peers declared dead (MAX-TIME-NO-RESPONSE) */
  guint64 takeovers;                  /* takeovers this registrar completed */
  guint64 takeovers_aborted;          /* its takeovers abandoned (target alive, outbid, expired) */
  guint64 pes_taken_over;             /* PEs it became home of by takeovers */
  guint64 crashes;
  guint64 restarts;
} RegistrarCounters;

const RegistrarCounters *registrar_counters (const Registrar *r);

/*
 * Record the run's results under module (e.g. "registrar[0]"): every
 * counter as a scalar "registrar.<name>", messages as "registrar.rx.<type>"
 * and "registrar.tx.<type>" (lower-case codec names), decode failures as
 * "registrar.decode_errors.<code>", and the final handlespace size, owned
 * PEs and peers.
 */
void       registrar_record (Registrar *r, SimRecorder *recorder, const char *module);

G_END_DECLS
