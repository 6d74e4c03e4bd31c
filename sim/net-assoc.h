/*
 * sim/net-assoc.h - SCTP-like associations (RFC 4960) between hosts.
 *
 * What is modelled, because RSerPool depends on it:
 * - setup by the four-way handshake INIT / INIT-ACK / COOKIE-ECHO /
 *   COOKIE-ACK (§5.1): data flows after two round trips; the responder stays
 *   stateless until a valid COOKIE-ECHO (the cookie carries an HMAC-SHA256
 *   under a per-host secret and a lifetime, §5.1.3); INIT and COOKIE-ECHO are
 *   retransmitted on T1 with backoff up to Max.Init.Retransmits (§5.1.6);
 *   refusal (no listener, or the accept callback says no) is an ABORT;
 * - reliable, ordered, message-oriented delivery per stream with a PPID per
 *   message: TSNs, SACK with gap blocks for every DATA packet, T3-rtx with
 *   RTO from RFC 4960 §6.3.1 (SRTT/RTTVAR, Karn's rule, RTO.Min/Max) and
 *   exponential backoff (§6.3.3), fast retransmit after three miss
 *   indications (§7.2.4); duplicates are acknowledged and not delivered;
 * - failure detection (§8): an error counter counts T3-rtx expiries and
 *   unanswered heartbeats (sent on idle associations every HB.interval + RTO
 *   with ±50 % jitter, §8.3), reset by any acknowledgement; above
 *   Association.Max.Retrans the association reports NET_ASSOC_COMM_LOST;
 * - verification tags (§8.5): every packet must carry the receiver's tag;
 *   ABORT and SHUTDOWN COMPLETE may carry the reflected tag (T bit);
 *   out-of-the-blue packets are answered with ABORT (§8.4), so a restarted
 *   peer aborts the old association. An off-path host, which does not see the
 *   tags, cannot inject into an association; an on-path tap can;
 * - graceful shutdown (§9.2, SHUTDOWN / SHUTDOWN-ACK / SHUTDOWN COMPLETE after
 *   outstanding data is acknowledged) and abort (§9.1).
 *
 * Deliberately not here: congestion control and flow control (no cwnd, no
 * receiver window: a sender transmits at once, its interface's bandwidth is
 * the only limit), delayed SACK, bundling, fragmentation, unordered
 * delivery, ECN, PR-SCTP. Multi-homing: both ends learn all of the peer's
 * addresses (INIT address parameters) and accept packets from any of them,
 * but only the primary path (first addresses) carries traffic: no path
 * failover, no per-path heartbeats or error counters (Path.Max.Retrans).
 * Control chunks (SACK, HEARTBEAT, ...) are handled by the host's "kernel"
 * without CPU cost; the CPU sees the messages.
 *
 * Lifetime: an association is owned by the network. After a terminal event
 * (COMM_LOST, ABORTED, REFUSED, CANT_START, RESTARTED, CLOSED) returns, and
 * when net_assoc_abort() returns, it is gone: do not use the pointer again.
 */
#pragma once

#include "sim/net.h"

G_BEGIN_DECLS

typedef struct NetAssoc NetAssoc;
typedef struct NetListener NetListener;

typedef enum {
  NET_ASSOC_UP,          /* established (COMMUNICATION UP) */
  NET_ASSOC_COMM_LOST,   /* retransmissions exceeded Association.Max.Retrans (terminal) */
  NET_ASSOC_ABORTED,     /* the peer aborted (terminal) */
  NET_ASSOC_REFUSED,     /* the setup was answered by ABORT (terminal) */
  NET_ASSOC_CANT_START,  /* INIT or COOKIE-ECHO unanswered Max.Init.Retransmits times (terminal) */
  NET_ASSOC_RESTARTED,   /* the peer restarted and set up a new association (terminal) */
  NET_ASSOC_CLOSED,      /* graceful shutdown complete (terminal) */
} NetAssocEvent;

const char *net_assoc_event_name (NetAssocEvent ev);

/* A message as received; borrowed by the callback (g_bytes_ref to keep). */
typedef struct {
  GBytes  *data;
  guint32  ppid;
  guint16  stream;
  NetKind  kind;
} NetMessage;

typedef struct {
  void (*event)   (NetAssoc *assoc, NetAssocEvent ev, gpointer user_data);
  void (*receive) (NetAssoc *assoc, const NetMessage *msg, gpointer user_data);
} NetAssocCallbacks;

/*
 * Accept a new association on a listener (at the valid COOKIE-ECHO). Set its
 * callbacks (net_assoc_set_callbacks) and return TRUE, or FALSE to refuse
 * (the peer gets NET_ASSOC_REFUSED). An accepted one then gets NET_ASSOC_UP.
 */
typedef gboolean (*NetAcceptFn) (NetListener *listener, NetAssoc *assoc, gpointer user_data);

/* Listen on port of host; NULL if the port has a listener already. */
NetListener *net_listen (NetHost *host, guint16 port, NetAcceptFn accept, gpointer user_data);
void         net_listener_close (NetListener *listener);

/*
 * Open an association from host (primary address, an ephemeral port) to
 * dst:port. callbacks is copied. Messages sent before NET_ASSOC_UP wait.
 * NULL when no ephemeral port (49152-65535) is free for dst:port: the host
 * holds 16,384 associations to it already.
 */
NetAssoc *net_assoc_connect (NetHost *host, NetAddr dst, guint16 port, const NetAssocCallbacks *callbacks,
                             gpointer user_data);
/*
 * The same from local_port (0 = an ephemeral port): an endpoint bound to a
 * port that also listens there, like an SCTP one-to-many socket, so that the
 * peer learns the transport address where it can reach this endpoint. NULL if
 * this host already has an association from local_port to dst:port.
 */
NetAssoc *net_assoc_connect_from (NetHost *host, guint16 local_port, NetAddr dst, guint16 port,
                                  const NetAssocCallbacks *callbacks, gpointer user_data);
void      net_assoc_set_callbacks (NetAssoc *assoc, const NetAssocCallbacks *callbacks, gpointer user_data);

/*
 * Send msg (a reference is taken) on stream (< the streams of the
 * association) with ppid; kind labels it. FALSE if the association no longer
 * takes messages (shutting down).
 */
gboolean  net_assoc_send (NetAssoc *assoc, guint16 stream, guint32 ppid, NetKind kind, GBytes *msg);
/* Graceful shutdown: outstanding messages are delivered first; NET_ASSOC_CLOSED at the end. */
void      net_assoc_shutdown (NetAssoc *assoc);
/* ABORT now; the association is gone when this returns (no event for this side). */
void      net_assoc_abort (NetAssoc *assoc);

/*
 * A layer inside an association, between the wire and the upper layer: a
 * transformation of every message, such as TLS (models/secure.c). With a
 * layer set, the upper layer's net_assoc_send() and net_assoc_shutdown() go
 * to the layer, the messages the wire delivers go to the layer, and the upper
 * layer sees NET_ASSOC_UP (and net_assoc_is_up() turns TRUE) only when the
 * layer says it is ready. The layer speaks to the wire and to the upper layer
 * with the net_assoc_layer_* functions. The upper layer keeps its NetAssoc *
 * and its callbacks, and needs to know nothing of the layer.
 */
typedef struct {
  /* The wire is established (the layer may now send, e.g. a handshake). */
  void     (*up)       (NetAssoc *assoc, gpointer layer_data);
  /* The upper layer sends a message (take a reference to keep it); FALSE refuses it. */
  gboolean (*send)     (NetAssoc *assoc, guint16 stream, guint32 ppid, NetKind kind, GBytes *msg,
                        gpointer layer_data);
  /* The wire delivered a message (after the host CPU served it; borrowed). */
  void     (*receive)  (NetAssoc *assoc, const NetMessage *msg, gpointer layer_data);
  /* The upper layer asked for a graceful shutdown: call net_assoc_layer_shutdown() when ready. */
  void     (*shutdown) (NetAssoc *assoc, gpointer layer_data);
  /* The association is gone, for any reason; no further calls. told: the upper layer gets a terminal
   * event right after this returns (FALSE after net_assoc_abort, a refused accept or a host crash). */
  void     (*gone)     (NetAssoc *assoc, gboolean told, gpointer layer_data);
} NetAssocLayer;

/* Put a layer into an association that is not established yet (after connect, or in the NetAcceptFn). */
void      net_assoc_set_layer (NetAssoc *assoc, const NetAssocLayer *layer, gpointer layer_data);
/* The layer data if assoc has this layer, else NULL. */
gpointer  net_assoc_layer_data (const NetAssoc *assoc, const NetAssocLayer *layer);
/* Layer -> wire: send as net_assoc_send() does without a layer. */
gboolean  net_assoc_layer_send (NetAssoc *assoc, guint16 stream, guint32 ppid, NetKind kind, GBytes *msg);
/* Layer -> upper layer: ready (NET_ASSOC_UP), a message, or a graceful shutdown of the wire. */
void      net_assoc_layer_ready (NetAssoc *assoc);
void      net_assoc_layer_deliver (NetAssoc *assoc, const NetMessage *msg);
void      net_assoc_layer_shutdown (NetAssoc *assoc);
/* The layer failed: ABORT the association; the upper layer gets the terminal event ev. */
void      net_assoc_layer_fail (NetAssoc *assoc, NetAssocEvent ev);

NetHost  *net_assoc_host (const NetAssoc *assoc);
NetAddr   net_assoc_peer_addr (const NetAssoc *assoc);      /* primary */
guint16   net_assoc_peer_port (const NetAssoc *assoc);
guint16   net_assoc_local_port (const NetAssoc *assoc);
/* All addresses the peer announced (primary first). */
const GArray *net_assoc_peer_addrs (const NetAssoc *assoc);
gboolean  net_assoc_is_up (const NetAssoc *assoc);
guint16   net_assoc_streams (const NetAssoc *assoc);
SimTime   net_assoc_rto (const NetAssoc *assoc);
/* Messages sent but not yet acknowledged, plus those waiting for setup. */
guint     net_assoc_outstanding (const NetAssoc *assoc);

G_END_DECLS
