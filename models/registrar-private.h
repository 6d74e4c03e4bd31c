/*
 * models/registrar-private.h - the registrar's state, shared by
 * registrar.c (life cycle, configuration, conversions, recording),
 * registrar-asap.c (RFC 5352 server side) and registrar-enrp.c (RFC 5353).
 *
 * States of the objects below:
 *   RegAsapConn  one ASAP association (accepted from a PE/PU, or opened to a
 *                PE's ASAP transport); lives until its terminal event, or
 *                until the registrar crashes or is freed.
 *   RegPe        what the registrar keeps beside the handlespace about a PE
 *                it owns (keep-alive cycle) or is probing: its association
 *                and one timer. Keyed by the HsPoolElement pointer, which is
 *                valid until the PE is removed; every removal path drops the
 *                RegPe first (or in the expiry callback).
 *   RegPeer      a known ENRP server, by server ID, with the association this
 *                registrar sends to it on (opened by this side: so messages
 *                from one server to another keep their order), liveness,
 *                takeover state and handle-table sessions.
 */
#pragma once

#include "models/rate.h"
#include "models/registrar.h"
#include "models/rsp.h"
#include "sim/net-assoc.h"
#include "sim/net-udp.h"
#include "sim/rng.h"

G_BEGIN_DECLS

/* Longest pool handle the registrar accepts: keeps every answer inside one message. */
#define REGISTRAR_MAX_HANDLE 4096
/*
 * Bytes of the largest Pool Element parameter it emits: header and fixed
 * fields 16, user transport (DCCP) 12 + 8 IPv6 addresses, ASAP transport
 * 8 + 8 IPv6 addresses, policy 16.
 */
#define REGISTRAR_PE_PARAM_MAX (16 + (12 + HS_MAX_ADDRESSES * 20) + (8 + HS_MAX_ADDRESSES * 20) + 16)

typedef struct RegAsapConn RegAsapConn;

typedef struct RegPe RegPe;
typedef struct RegPeer RegPeer;

struct RegAsapConn {
  Registrar   *r;
  NetAssoc    *assoc;        /* NULL once ended */
  guint64      id;           /* the credential of PEs registered through it; unique per registrar */
  gboolean     outgoing;     /* opened by the registrar to a PE's ASAP transport */
  guint64      key;          /* outgoing: addr << 16 | port */
  RegPe       *pes;          /* PEs whose keep-alives go through it (list through RegPe.next) */
  RegAsapConn *prev, *next;  /* all connections, in creation order */
  RateWindow   hr_rate;      /* handle resolutions received (registrar.max-hr-rate) */
  RateWindow   eu_rate;      /* ENDPOINT_UNREACHABLEs received (registrar.max-eu-rate) */
};

struct RegPe {
  HsPoolElement *pe;
  RegAsapConn   *conn;       /* nullable */
  RegPe         *prev, *next;/* in conn->pes */
  SimEventId     timer;      /* next keep-alive (owned, idle) or ACK timeout (waiting) */
  gboolean       owned;      /* in the keep-alive cycle */
  gboolean       waiting;    /* a keep-alive is out; the timer is its timeout */
  gboolean       probe;      /* ... sent as the probe of an ENDPOINT_UNREACHABLE (RFC 5352 §3.5) */
  const char    *identity;   /* the TLS-PSK identity that registered it (interned), or NULL */
  gboolean       insecure;   /* registered without TLS into a secure registrar (mixed database, §2.15) */
};

typedef enum {
  PEER_ACTIVE,       /* heard within MAX-TIME-LAST-HEARD */
  PEER_PROBING,      /* sent PRESENCE with reply required; waiting MAX-TIME-NO-RESPONSE */
  PEER_TAKEOVER,     /* dead; this registrar runs INIT_TAKEOVER for it */
  PEER_INACTIVE,     /* dead; another registrar takes it over (acknowledged) */
} RegPeerState;

struct RegPeer {
  Registrar   *r;
  guint32      id;
  NetAddr      addr;         /* its ENRP address */
  NetAssoc    *out;          /* association this side opened; NULL = connect on the next send */
  RegPeerState state;
  SimTime      last_heard;
  SimEventId   timer;        /* ACTIVE: last-heard check; PROBING: no-response; TAKEOVER/INACTIVE: expiry */
  GArray      *acks_pending; /* TAKEOVER: server IDs still to acknowledge (guint32) */
  /* requester side of a handle table transfer from this peer */
  gboolean     htr_active;
  gboolean     htr_own_only; /* W=1: audit resynchronisation */
  SimEventId   htr_timer;
  /* responder side: a transfer to this peer */
  HsCursor    *export;
  gboolean     export_own_only;
  SimEventId   export_timer;
};

struct Registrar {
  Net            *net;
  SimKernel      *kernel;
  NetHost        *host;
  guint32         id;
  RegistrarConfig cfg;
  char           *name;           /* host name, for streams and records */
  SimRng          rng_select;     /* "registrar/<host>/select": RAND/WRAND/RLU answers */
  SimRng          rng_keep_alive; /* "registrar/<host>/keep-alive": jitter */
  GArray         *static_peers;   /* NetAddr, mentor candidates */
  RegistrarState  state;
  gboolean        started;        /* registrar_start() was called: restarts begin again */
  HsHandlespace  *hs;
  NetListener    *asap_listener;
  NetListener    *enrp_listener;
  NetUdpSocket   *udp;
  NetAddr         announce_group;
  /* ASAP */
  RegAsapConn    *conns, *conns_tail;
  GHashTable     *out_conns;      /* addr << 16 | port -> RegAsapConn (outgoing only; lookups only) */
  GHashTable     *pes;            /* HsPoolElement * -> RegPe (lookups; iterated only to free) */
  GHashTable     *credential_pe;  /* credential text -> PE id it registered last (lookups only) */
  GHashTable     *credential_rate;/* credential text -> RateWindow * of its new identities (lookups only) */
  RspSecurity    *sec;            /* TLS (models/rsp-secure.h); NULL = none */
  NetListener    *asap_tls_listener;  /* port 3864 when a PE or PU class uses TLS */
  NetListener    *enrp_tls_listener;  /* port 9902 when registrar-registrar uses TLS */
  guint64         next_conn_id;
  SimEventId      announce_timer;
  GHashTable     *announcers;     /* server ID -> SimTime last heard announcing (counted only) */
  /* ENRP */
  GPtrArray      *peers;          /* RegPeer *, ascending by ID */
  GPtrArray      *enrp_in;        /* NetAssoc * of accepted ENRP associations */
  GPtrArray      *enrp_out;       /* NetAssoc * of ENRP associations it opened, until their end */
  GPtrArray      *intros;         /* ... of them, carrying one PRESENCE to a listed server: closed once up */
  guint           mentor_next;    /* next index into static_peers to try */
  NetAssoc       *mentor;         /* association to the mentor being asked */
  guint32         mentor_id;
  SimEventId      mentor_timer;
  SimEventId      heartbeat_timer;
  /* scratch for building answers (no allocation per message once grown) */
  GArray         *scratch_pes;    /* CodecPoolElement */
  GArray         *scratch_addrs;  /* CodecAddress */
  GArray         *scratch_ids;    /* guint32 */
  GPtrArray      *scratch_sel;    /* HsPoolElement * */
  RegistrarResolutionFn observer;
  gpointer        observer_data;
  RegistrarCounters c;
};

/* registrar.c: message I/O with counting */
gsize    registrar_send (Registrar *r, NetAssoc *assoc, const CodecMessage *msg);
void     registrar_count_rx (Registrar *r, const CodecMessage *msg);
/* Send an ASAP_ERROR / ENRP_ERROR with one cause (no info). */
void     registrar_send_error (Registrar *r, NetAssoc *assoc, CodecProtocol proto, guint16 cause);
/*
 * Decode a received message; on failure count it and, where RFC 5354 says
 * so, answer with an ASAP_ERROR / ENRP_ERROR on the association. Also
 * answers skipped parameters whose action asks for a report.
 */
gboolean registrar_receive (Registrar *r, NetAssoc *assoc, const NetMessage *m, CodecMessage *out);

/* registrar.c: conversions between the codec and the handlespace */
HsResult registrar_transport_from_codec (const CodecTransport *ct, HsTransport *out);
/*
 * Scratch PE parameters for answers: registrar_scratch_pes() makes room for
 * n (with their addresses) and returns the array; registrar_pe_to_codec()
 * fills slot i from a PE. Valid until the next registrar_scratch_pes().
 */
CodecPoolElement *registrar_scratch_pes (Registrar *r, guint n);
void     registrar_pe_to_codec (Registrar *r, HsPoolElement *pe, guint slot);
/* Bytes of the Pool Element parameter registrar_pe_to_codec() makes of pe. */
gsize    registrar_pe_param_size (HsPoolElement *pe);
HsResult registrar_registration_from_codec (const CodecPoolElement *cpe, HsRegistration *reg);

/* registrar-asap.c */
void     registrar_asap_open (Registrar *r);
void     registrar_asap_close (Registrar *r, gboolean host_down);
void     registrar_asap_start_serving (Registrar *r);
void     registrar_asap_expired (HsHandlespace *hs, HsPoolElement *pe, gpointer user_data);
/* Keep the RegPe of pe in line with its owner: adopt (H-flag keep-alive) or drop. */
void     registrar_pe_sync_ownership (Registrar *r, HsPoolElement *pe, gboolean home_flag);
void     registrar_pe_forget (Registrar *r, HsPoolElement *pe);

/* registrar-enrp.c */
void     registrar_enrp_open (Registrar *r);
void     registrar_enrp_close (Registrar *r, gboolean host_down);
/* Announce ADD_PE / DEL_PE of an owned PE to every peer (RFC 5353 §3.3.1). */
void     registrar_enrp_update (Registrar *r, HsPoolElement *pe, guint16 action);

G_END_DECLS
