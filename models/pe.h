/*
 * models/pe.h - the pool element: the ASAP PE side (RFC 5352 §3.1-3.7,
 * RSERPOOL_FACTS §8.1, §8.3, §8.6) on one host of the virtual network.
 *
 * A PE finds a home registrar by server hunt (models/endpoint.h), registers
 * (pool handle; its PE parameter with the PE identifier drawn from its own
 * stream "pe/<index>/id", registration life, the user transport of its
 * application, the pool's policy with its values), re-registers at T4 and
 * whenever its load changes under an adaptive policy, answers endpoint
 * keep-alives (adopting a new home on the H flag), deregisters on request,
 * and sends cookies to its PUs on the PU-PE control channel (ASAP, PPID 11,
 * on the application's association). The application on the PE (the CalcApp
 * server, models/calcapp.h) owns the user transport and reports its load
 * with pe_set_load().
 *
 * States (PeState):
 *   HUNTING       no home registrar; a server hunt runs
 *   REGISTERING   a home; the first REGISTRATION is outstanding (T2)
 *   REGISTERED    accepted; T4 runs (a re-registration may be outstanding, T2)
 *   DEREGISTERING DEREGISTRATION outstanding (T3)
 *   DEREGISTERED  the registrar confirmed; the PE keeps serving (RFC 5352 §3.2)
 *   REJECTED      the registrar refused with a cause the PE cannot fix
 *   DOWN          the host is down (crash); a restart draws a new PE identifier
 *
 * Not here: business cards, subscriptions, TLS (the secure channel comes
 * later), more than one pool per PE, the PE as a PU.
 */
#pragma once

#include "models/endpoint.h"

G_BEGIN_DECLS

typedef struct PoolElement PoolElement;

typedef enum {
  PE_STATE_HUNTING,
  PE_STATE_REGISTERING,
  PE_STATE_REGISTERED,
  PE_STATE_DEREGISTERING,
  PE_STATE_DEREGISTERED,
  PE_STATE_REJECTED,
  PE_STATE_DOWN,
} PeState;

const char *pe_state_name (PeState state);

/* A PE's configuration; pe_config_from_params() fills it from the keys of pe_params(). */
typedef struct {
  char              *pool_handle;           /* pool.handle (owned) */
  guint32            policy_type;           /* pool.policy: an RFC 5356 type code */
  guint32            weight;                /* WRR, WRAND */
  guint32            priority;              /* PRIO */
  double             load_degradation;      /* LUD, PLU: fraction of 100 %; < 0 = set by the application */
  SimTime            reg_life;              /* registration life (ms on the wire) */
  SimTime            t2;                    /* T2-registration */
  SimTime            t3;                    /* T3-deregistration */
  guint              max_reg_attempt;       /* MAX-REG-ATTEMPT */
  gboolean           reregister_on_update;  /* adaptive policies: re-register at each load change */
  guint16            user_port;             /* pe.user-port: the application's SCTP user transport */
  SimTime            keepalive_cost;        /* pe.keepalive-cost: CPU time per answered keep-alive */
  double             max_keepalive_rate;    /* pe.max-keepalive-rate: per association, per s; 0 = no limit */
  guint              keepalive_rate_window; /* pe.keepalive-rate-window */
  guint              keepalive_rate_burst;  /* pe.keepalive-rate-burst */
  EndpointHuntConfig hunt;                  /* pe.registrars, pe.announces, T5, RETRAN-MAX, T7 */
} PeConfig;

/* The keys pool.handle, pool.policy and pe.* (static table). */
const SimParamDecl *pe_params (gsize *n);
/* Fill cfg from a run's parameters; FALSE on a bad registrar list. Free with pe_config_clear. */
gboolean pe_config_from_params (const SimParams *params, PeConfig *cfg, GError **error);
/* The declared defaults of pe_params(). */
void     pe_config_init (PeConfig *cfg);
void     pe_config_copy (PeConfig *dst, const PeConfig *src);
void     pe_config_clear (PeConfig *cfg);
/* Policy names of pool.policy ("rr", "lud", ...) to RFC 5356 codes; FALSE if unknown. */
gboolean pe_policy_from_name (const char *name, guint32 *type);
const char *pe_policy_name (guint32 type);
/* Fraction of 100 % (0..1) to the 32-bit load scale of RFC 5356 (0xffffffff = 100 %). */
guint32  pe_load_from_fraction (double fraction);

/* What the application on the PE learns from the ASAP layer. */
typedef struct {
  /* The host crashed (up = FALSE: forget every association) or restarted (reopen the user transport). */
  void (*host_state) (PoolElement *pe, gboolean up, gpointer user_data);
} PeAppCallbacks;

/* A PE of index on host (one PE per host); cfg is copied. Nothing happens before pe_start. */
PoolElement *pe_new (Net *net, NetHost *host, guint32 index, const PeConfig *cfg, guint64 seed);
void         pe_free (PoolElement *pe);
void         pe_set_app (PoolElement *pe, const PeAppCallbacks *callbacks, gpointer user_data);
/*
 * TLS for the PE's ASAP endpoint (secure.pe-registrar, models/rsp-secure.h):
 * it registers over TLS from port 3864 and accepts registrars' associations
 * there, with TLS. Before pe_start; sec (borrowed) NULL = plain ASAP.
 */
void         pe_set_security (PoolElement *pe, RspSecurity *sec);
RspSecurity *pe_security (const PoolElement *pe);
/* Draw the PE identifier, open the ASAP listener, hunt for a home and register. */
void         pe_start (PoolElement *pe);
/* Deregister (T3); the PE then stays out of the pool until pe_start. */
void         pe_deregister (PoolElement *pe);

/* The application's load, 0 .. 0xffffffff (RFC 5356); adaptive policies re-register on a change. */
void         pe_set_load (PoolElement *pe, guint32 load);
/* LUD/PLU load degradation, same scale; used from the next registration on. */
void         pe_set_load_degradation (PoolElement *pe, guint32 load_degradation);

/* RFC 5352 §3.8: send an ASAP_COOKIE with these bytes on the application's association to a PU. */
gboolean     pe_send_cookie (PoolElement *pe, NetAssoc *assoc, const guint8 *cookie, gsize len);
/*
 * An ASAP message (PPID 11) arrived on the application's association from a
 * PU. Returns the cookie of an ASAP_COOKIE_ECHO (transfer full), or NULL for
 * anything else (counted; undecodable ones answered per RFC 5354).
 */
GBytes      *pe_control_receive (PoolElement *pe, NetAssoc *assoc, const NetMessage *m);

/* What the oracle and the application read. */
Net         *pe_net (const PoolElement *pe);
NetHost     *pe_host (const PoolElement *pe);
guint32      pe_index (const PoolElement *pe);
const PeConfig *pe_config (const PoolElement *pe);
PeState      pe_state (const PoolElement *pe);
guint32      pe_id (const PoolElement *pe);
const char  *pe_pool_handle (const PoolElement *pe);
/* The host is up. */
gboolean     pe_is_alive (const PoolElement *pe);
/* When the host went down (its latest crash); -1 while it is up. */
SimTime      pe_down_since (const PoolElement *pe);
/* The PE's belief: its latest registration was accepted, its life has not run out, no deregistration since. */
gboolean     pe_is_registered (const PoolElement *pe);
/* The home registrar's server id (0 = unknown, e.g. found through the static list). */
guint32      pe_home_server_id (const PoolElement *pe);
/* The association to the home registrar (NULL while hunting). */
NetAssoc    *pe_home_assoc (const PoolElement *pe);
guint32      pe_load (const PoolElement *pe);
/* When the pending T4 fires (-1 if none), for tests. */
SimTime      pe_t4_due (const PoolElement *pe);
const EndpointHunt *pe_hunt (const PoolElement *pe);

typedef struct {
  guint64 registrations_sent;      /* REGISTRATION messages (first, retransmitted, re-registrations) */
  guint64 reregistrations_t4;      /* sent because T4 expired */
  guint64 reregistrations_load;    /* sent because the load changed (adaptive policy) */
  guint64 registrations_accepted;
  guint64 registrations_rejected;
  guint64 registration_failures;   /* MAX-REG-ATTEMPT exhausted -> error reported, server hunt */
  guint64 t2_expiries;
  guint64 deregistrations_sent;
  guint64 deregistrations_done;
  guint64 t3_expiries;
  guint64 keepalives;              /* ENDPOINT_KEEP_ALIVE answered */
  guint64 keepalives_ignored;      /* for another pool handle (silently dropped, RFC 5352 §3.7) */
  guint64 keepalives_refused;      /* over pe.max-keepalive-rate (dropped, RFC 5355 §2.14) */
  guint64 home_changes;            /* adopted a new home on the H flag */
  guint64 home_lost;               /* the home association failed */
  guint64 id_changes;              /* new PE identifier (non-unique, restart) */
  guint64 cookies_sent;
  guint64 cookie_echoes;
  guint64 decode_errors[16];       /* by CodecErrorCode */
  guint64 errors_sent;             /* ASAP_ERROR answers (RFC 5354) */
  guint64 unexpected;              /* decoded but wrong type, handle or identifier for the state */
} PeStats;
const PeStats *pe_stats (const PoolElement *pe);

/* Record counters and state as scalars of module (names "pe.*"). */
void         pe_record (PoolElement *pe, SimRecorder *rec, const char *module);

G_END_DECLS
