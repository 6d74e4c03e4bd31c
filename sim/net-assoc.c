/*
 * sim/net-assoc.c - SCTP-like associations (see sim/net-assoc.h for what is
 * modelled and what is not).
 *
 * State: one NetAssoc per association end, in its host's table keyed by
 * (local port, peer primary address, peer port). TSNs and SSNs are kept
 * relative to the initial TSN ("rel", 0, 1, 2, ...), so comparisons are plain
 * integer ones; the wire carries initial TSN + rel (mod 2^32). The sender
 * keeps its unacknowledged chunks in a GQueue in TSN order; the receiver
 * keeps the next expected rel (cum) and a sorted array of the rels received
 * above it, which is what SACK gap blocks report. Per inbound stream, the
 * next expected SSN and a hash of messages held for order.
 *
 * Costs: sending a message is O(1) plus the network's events; a SACK is
 * O(outstanding chunks) (gap processing walks the queue once); a DATA chunk
 * received out of order is O(received above cum) for the sorted insert.
 * Both are small unless a path loses a lot while a sender keeps a large
 * window in flight, which real SCTP's congestion control would prevent.
 *
 * Lifetime: the host's table holds one reference, each CPU job carrying a
 * message another, and callbacks run with one more; terminate() frees the
 * protocol state at once and the struct at the last unref, so a callback may
 * abort its own association safely.
 */
#include "config.h"

#include "sim/bytes.h"
#include "sim/net-private.h"

#include <string.h>

typedef enum {
  ST_COOKIE_WAIT,
  ST_COOKIE_ECHOED,
  ST_ESTABLISHED,
  ST_SHUTDOWN_PENDING,
  ST_SHUTDOWN_SENT,
  ST_SHUTDOWN_RECEIVED,
  ST_SHUTDOWN_ACK_SENT,
  ST_CLOSED,
} AssocState;

/* A message sent and not yet acknowledged (or waiting for the setup). */
typedef struct {
  guint32  rel;
  guint16  stream;
  guint16  ssn;
  guint32  ppid;
  NetKind  kind;
  GBytes  *msg;
  guint8   tx;          /* transmissions so far */
  guint8   miss;        /* miss indications (§7.2.4) */
  gboolean gap_acked;
  gboolean fast_done;   /* fast-retransmitted already */
} OutChunk;

typedef struct {
  guint16     next_ssn;
  GHashTable *held;     /* ssn -> NetMessage*, lazily created */
} InStream;

struct NetListener {
  NetHost    *host;
  guint16     port;
  NetAcceptFn accept;
  gpointer    user_data;
};

struct NetAssoc {
  NetHost   *host;
  guint      refs;
  AssocState state;
  gboolean   dead;            /* terminated: no protocol state left */
  gint64     key;             /* in host->assocs */
  guint16    lport, pport;
  NetAddr    laddr, paddr;
  GArray    *peer_addrs;      /* NetAddr, primary first */
  guint32    my_vtag, peer_vtag;
  guint32    my_itsn, peer_itsn;
  guint16    n_out, n_in;     /* streams we send on / the peer sends on */
  /* Sending. */
  guint32    next_rel;
  GQueue     out;             /* OutChunk*, sent, by rel */
  GQueue     wait;            /* OutChunk*, not sent yet (setup) */
  guint16   *out_ssn;
  /* Receiving. */
  guint32    cum;             /* every rel < cum received */
  GArray    *above;           /* guint32 rels > cum received, sorted */
  InStream  *in;
  /* Timers and RTO (§6.3). */
  SimTime    rto, srtt, rttvar;
  gboolean   rtt_valid;
  gboolean   timing;
  guint32    timed_rel;
  SimTime    timed_at;
  guint      errors;          /* association error counter (§8.1) */
  guint      init_tries;
  SimEventId t1, t2, t3, hb;
  gboolean   hb_unanswered;
  GBytes    *cookie;          /* initiator: the cookie to echo */
  SimRng     rng;             /* "net/host/<h>/assoc/<peer>:<port>/<lport>#n": tags, TSN, jitter */
  NetAssocCallbacks cb;
  gpointer   user_data;
  /* An optional layer between the wire and the upper layer (net-assoc.h). */
  const NetAssocLayer *layer;
  gpointer   layer_data;
  gboolean   layer_ready;
  gboolean   terminating;     /* destroy() from terminate(): the upper layer is told next */
};

#define COOKIE_FIXED 40
#define COOKIE_MAC   32
#define MAX_GAP_BLOCKS 363    /* what fits a 1500-byte packet */
#define PARAM_HB_INFO 1
#define PARAM_IPV4    5
#define PARAM_COOKIE  7

const char *
net_assoc_event_name (NetAssocEvent ev)
{
  switch (ev)
    {
    case NET_ASSOC_UP: return "up";
    case NET_ASSOC_COMM_LOST: return "comm-lost";
    case NET_ASSOC_ABORTED: return "aborted";
    case NET_ASSOC_REFUSED: return "refused";
    case NET_ASSOC_CANT_START: return "cant-start";
    case NET_ASSOC_RESTARTED: return "restarted";
    case NET_ASSOC_CLOSED: return "closed";
    }
  return "?";
}

static inline gint64
assoc_key (guint16 lport, NetAddr paddr, guint16 pport)
{
  return (gint64) (((guint64) lport << 48) | ((guint64) pport << 32) | paddr);
}

guint
net_assoc_key_hash (gconstpointer key)
{
  /* The 64-bit finalizer of MurmurHash3 (fmix64), folded to 32 bits. */
  guint64 x = *(const guint64 *) key;
  x ^= x >> 33;
  x *= G_GUINT64_CONSTANT (0xff51afd7ed558ccd);
  x ^= x >> 33;
  x *= G_GUINT64_CONSTANT (0xc4ceb9fe1a85ec53);
  x ^= x >> 33;
  return (guint) x;
}

static inline const NetSctpConfig *
sctp_cfg (const NetAssoc *a)
{
  return &a->host->net->cfg.sctp;
}

static inline SimKernel *
kern (const NetAssoc *a)
{
  return a->host->net->kernel;
}

static guint32
nonzero32 (SimRng *rng)
{
  guint32 v;
  do
    v = (guint32) (sim_rng_next (rng) >> 32);
  while (v == 0);
  return v;
}

/* ---- bytes ------------------------------------------------------------ */

/* Append a parameter (type, value) padded to 4 bytes. */
static void
param_append (GByteArray *b, guint type, const guint8 *value, gsize len)
{
  guint8 hdr[4];
  sim_put16 (hdr, type);
  sim_put16 (hdr + 2, (guint) (4 + len));
  g_byte_array_append (b, hdr, 4);
  if (len > 0)
    g_byte_array_append (b, value, (guint) len);
  static const guint8 zero[3] = { 0 };
  if (len % 4)
    g_byte_array_append (b, zero, (guint) (4 - len % 4));
}

static void
addr_params (GByteArray *b, const NetHost *h)
{
  for (guint i = 0; i < h->ifaces->len; i++)
    {
      guint8 v[4];
      sim_put32 (v, ((NetIface *) h->ifaces->pdata[i])->addr);
      param_append (b, PARAM_IPV4, v, 4);
    }
}

/*
 * Walk the parameters of payload (hostile bytes: bounds-checked): collect IPv4
 * addresses into addrs (if not NULL) and return the cookie's bytes (or NULL).
 * FALSE if the parameters are malformed.
 */
static gboolean
params_parse (GBytes *payload, GArray *addrs, GBytes **cookie)
{
  gsize len = 0;
  const guint8 *p = payload != NULL ? g_bytes_get_data (payload, &len) : NULL;
  gsize off = 0;
  if (cookie != NULL)
    *cookie = NULL;
  while (off + 4 <= len)
    {
      guint type = sim_get16 (p + off), plen = sim_get16 (p + off + 2);
      if (plen < 4 || off + plen > len)
        {
          if (cookie != NULL)
            g_clear_pointer (cookie, g_bytes_unref);
          return FALSE;
        }
      if (type == PARAM_IPV4 && plen == 8 && addrs != NULL)
        {
          NetAddr a = sim_get32 (p + off + 4);
          g_array_append_val (addrs, a);
        }
      else if (type == PARAM_COOKIE && cookie != NULL && *cookie == NULL)
        *cookie = g_bytes_new_from_bytes (payload, off + 4, plen - 4);
      off += (plen + 3u) & ~3u;
    }
  return TRUE;
}

/* Put primary first in addrs, once (§5.1.2: the source address belongs to the peer too). */
static void
addrs_primary_first (GArray *addrs, NetAddr primary)
{
  for (guint i = addrs->len; i-- > 0;)
    if (g_array_index (addrs, NetAddr, i) == primary)
      g_array_remove_index (addrs, i);
  g_array_prepend_val (addrs, primary);
}

/* ---- packets out ------------------------------------------------------ */

static NetPacket *
packet (guint8 chunk, NetAddr src, guint16 sport, NetAddr dst, guint16 dport, guint32 vtag)
{
  NetPacket *pkt = net_packet_new ();
  pkt->proto = NET_PROTO_SCTP;
  pkt->chunk = chunk;
  pkt->src = src;
  pkt->sport = sport;
  pkt->dst = dst;
  pkt->dport = dport;
  pkt->vtag = vtag;
  return pkt;
}

/* A packet of association a to its peer, with the peer's tag. */
static NetPacket *
assoc_packet (NetAssoc *a, guint8 chunk)
{
  return packet (chunk, a->laddr, a->lport, a->paddr, a->pport, a->peer_vtag);
}

/* Answer pkt (received by host) with a chunk carrying vtag (and the T bit if reflected). */
static void
reply (NetHost *h, const NetPacket *pkt, guint8 chunk, guint32 vtag, guint8 flags)
{
  NetPacket *r = packet (chunk, pkt->dst, pkt->dport, pkt->src, pkt->sport, vtag);
  r->flags = flags;
  net_send (h, r);
}

static void
send_data (NetAssoc *a, OutChunk *c)
{
  NetPacket *pkt = assoc_packet (a, NET_CHUNK_DATA);
  pkt->flags = NET_CHUNK_FLAG_BE;
  pkt->tsn = a->my_itsn + c->rel;
  pkt->stream = c->stream;
  pkt->ssn = c->ssn;
  pkt->ppid = c->ppid;
  pkt->kind = c->kind;
  net_packet_set_payload (pkt, c->msg);
  if (c->tx > 0)
    a->host->net->stats.retransmissions++;
  if (c->tx < G_MAXUINT8)
    c->tx++;
  net_send (a->host, pkt);
}

static void
send_sack (NetAssoc *a)
{
  NetPacket *pkt = assoc_packet (a, NET_CHUNK_SACK);
  pkt->tsn = a->peer_itsn + a->cum - 1;
  if (a->above->len > 0)
    {
      GByteArray *b = g_byte_array_new ();
      guint n = 0;
      for (guint i = 0; i < a->above->len && n < MAX_GAP_BLOCKS; n++)
        {
          guint32 first = g_array_index (a->above, guint32, i), last = first;
          while (i + 1 < a->above->len && g_array_index (a->above, guint32, i + 1) == last + 1)
            last = g_array_index (a->above, guint32, ++i);
          i++;
          guint8 blk[4];
          sim_put16 (blk, first - a->cum + 1);
          sim_put16 (blk + 2, last - a->cum + 1);
          g_byte_array_append (b, blk, 4);
        }
      pkt->payload = g_byte_array_free_to_bytes (b);
    }
  net_send (a->host, pkt);
}

static void
send_init (NetAssoc *a)
{
  NetPacket *pkt = packet (NET_CHUNK_INIT, a->laddr, a->lport, a->paddr, a->pport, 0);
  pkt->init_tag = a->my_vtag;
  pkt->tsn = a->my_itsn;
  pkt->n_out = a->n_out;
  pkt->n_in = a->n_in;
  GByteArray *b = g_byte_array_new ();
  addr_params (b, a->host);
  pkt->payload = g_byte_array_free_to_bytes (b);
  net_send (a->host, pkt);
}

static void
send_cookie_echo (NetAssoc *a)
{
  NetPacket *pkt = assoc_packet (a, NET_CHUNK_COOKIE_ECHO);
  net_packet_set_payload (pkt, a->cookie);
  net_send (a->host, pkt);
}

static void
send_heartbeat (NetAssoc *a)
{
  NetPacket *pkt = assoc_packet (a, NET_CHUNK_HEARTBEAT);
  guint8 v[8];
  sim_put64 (v, (guint64) sim_kernel_now (kern (a)));
  GByteArray *b = g_byte_array_new ();
  param_append (b, PARAM_HB_INFO, v, 8);
  pkt->payload = g_byte_array_free_to_bytes (b);
  net_send (a->host, pkt);
}

static void
send_shutdown (NetAssoc *a)
{
  NetPacket *pkt = assoc_packet (a, NET_CHUNK_SHUTDOWN);
  pkt->tsn = a->peer_itsn + a->cum - 1;
  net_send (a->host, pkt);
}

/* ---- lifetime --------------------------------------------------------- */

static void
out_chunk_free (gpointer p)
{
  OutChunk *c = p;
  g_bytes_unref (c->msg);
  g_free (c);
}

static void
message_free (gpointer p)
{
  NetMessage *m = p;
  g_bytes_unref (m->data);
  g_free (m);
}

static NetAssoc *
assoc_ref (NetAssoc *a)
{
  a->refs++;
  return a;
}

static void
assoc_unref (NetAssoc *a)
{
  if (--a->refs > 0)
    return;
  g_assert (a->dead);
  g_free (a);
}

static void
cancel_timers (NetAssoc *a)
{
  SimKernel *k = kern (a);
  sim_kernel_cancel (k, a->t1);
  sim_kernel_cancel (k, a->t2);
  sim_kernel_cancel (k, a->t3);
  sim_kernel_cancel (k, a->hb);
  a->t1 = a->t2 = a->t3 = a->hb = SIM_EVENT_NONE;
}

/* Free the protocol state and leave the host's table; the struct lives while referenced. */
static void
destroy (NetAssoc *a)
{
  if (a->dead)
    return;
  a->dead = TRUE;
  a->state = ST_CLOSED;
  cancel_timers (a);
  g_hash_table_remove (a->host->assocs, &a->key);
  g_queue_clear_full (&a->out, out_chunk_free);
  g_queue_clear_full (&a->wait, out_chunk_free);
  for (guint s = 0; a->in != NULL && s < a->n_in; s++)
    if (a->in[s].held != NULL)
      g_hash_table_unref (a->in[s].held);
  g_clear_pointer (&a->in, g_free);
  g_clear_pointer (&a->out_ssn, g_free);
  g_clear_pointer (&a->above, g_array_unref);
  g_clear_pointer (&a->peer_addrs, g_array_unref);
  g_clear_pointer (&a->cookie, g_bytes_unref);
  if (a->layer != NULL)
    {
      const NetAssocLayer *layer = a->layer;
      a->layer = NULL;
      if (layer->gone != NULL)
        layer->gone (a, a->terminating && a->cb.event != NULL, a->layer_data);
      a->layer_data = NULL;
    }
  assoc_unref (a);
}

/* Tell the upper layer (the association stays valid during the callback). */
static void
notify (NetAssoc *a, NetAssocEvent ev)
{
  if (a->cb.event == NULL)
    return;
  assoc_ref (a);
  a->cb.event (a, ev, a->user_data);
  assoc_unref (a);
}

/* A terminal event: destroy, then tell (the callback sees a dead association). */
static void
terminate (NetAssoc *a, NetAssocEvent ev)
{
  if (a->dead)
    return;
  assoc_ref (a);
  a->terminating = TRUE;
  destroy (a);
  if (a->cb.event != NULL)
    a->cb.event (a, ev, a->user_data);
  assoc_unref (a);
}

/* A new association end on host with its stream for the peer (paddr, pport). */
static NetAssoc *
assoc_new (NetHost *h, NetAddr laddr, guint16 lport, NetAddr paddr, guint16 pport)
{
  NetAssoc *a = g_new0 (NetAssoc, 1);
  a->host = h;
  a->refs = 1;
  a->laddr = laddr;
  a->lport = lport;
  a->paddr = paddr;
  a->pport = pport;
  a->key = assoc_key (lport, paddr, pport);
  a->peer_addrs = g_array_new (FALSE, FALSE, sizeof (NetAddr));
  a->above = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_queue_init (&a->out);
  g_queue_init (&a->wait);
  a->rto = h->net->cfg.sctp.rto_initial;
  char pa[16];
  g_autofree char *name = g_strdup_printf ("net/host/%s/assoc/%s:%u/%u", h->name,
                                           net_addr_format (paddr, pa, sizeof pa), pport, lport);
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (h->assoc_names, name));
  g_hash_table_replace (h->assoc_names, g_strdup (name), GUINT_TO_POINTER (n + 1));
  sim_rng_init_fmt (&a->rng, h->net->seed, "%s#%u", name, n);
  g_hash_table_insert (h->assocs, &a->key, a);
  return a;
}

static void
streams_init (NetAssoc *a, guint16 n_out, guint16 n_in)
{
  a->n_out = MAX (n_out, 1);
  a->n_in = MAX (n_in, 1);
  a->out_ssn = g_new0 (guint16, a->n_out);
  a->in = g_new0 (InStream, a->n_in);
}

/* ---- RTO (§6.3.1) ----------------------------------------------------- */

static void
rtt_measured (NetAssoc *a, SimTime r)
{
  const NetSctpConfig *c = sctp_cfg (a);
  if (!a->rtt_valid)
    {
      a->srtt = r;                         /* C1 */
      a->rttvar = r / 2;
      a->rtt_valid = TRUE;
    }
  else
    {
      SimTime diff = a->srtt > r ? a->srtt - r : r - a->srtt;
      a->rttvar = (3 * a->rttvar + diff) / 4;   /* C2: beta = 1/4 */
      a->srtt = (7 * a->srtt + r) / 8;          /* alpha = 1/8 */
    }
  if (a->rttvar == 0)
    a->rttvar = 1;                         /* C3: clock granularity 1 ns */
  a->rto = CLAMP (a->srtt + 4 * a->rttvar, c->rto_min, c->rto_max);   /* C6, C7 */
}

static void
rto_backoff (NetAssoc *a)
{
  a->rto = MIN (2 * a->rto, sctp_cfg (a)->rto_max);   /* §6.3.3 E2 */
}

/* ---- timers ----------------------------------------------------------- */

static void t3_expired (SimKernel *k, gpointer ctx, gpointer data);
static void hb_fire (SimKernel *k, gpointer ctx, gpointer data);

static void
t3_restart (NetAssoc *a)
{
  sim_kernel_cancel (kern (a), a->t3);
  a->t3 = sim_kernel_schedule (kern (a), a->rto, t3_expired, a, NULL);
}

static void
hb_schedule (NetAssoc *a)
{
  SimTime hb = sctp_cfg (a)->hb_interval;
  sim_kernel_cancel (kern (a), a->hb);
  a->hb = SIM_EVENT_NONE;
  if (hb <= 0)
    return;
  /* §8.3: HB.interval + RTO with jitter of ±50 % of the RTO. */
  SimTime jitter = a->rto / 2 + (SimTime) sim_rng_below (&a->rng, (guint64) a->rto + 1);
  a->hb = sim_kernel_schedule (kern (a), hb + jitter, hb_fire, a, NULL);
}

/* One more error (§8.1); TRUE if the association just failed. */
static gboolean
count_error (NetAssoc *a)
{
  if (++a->errors > sctp_cfg (a)->max_retrans)
    {
      terminate (a, NET_ASSOC_COMM_LOST);
      return TRUE;
    }
  return FALSE;
}

static void
t3_expired (SimKernel *k, gpointer ctx, gpointer data)
{
  NetAssoc *a = ctx;
  a->t3 = SIM_EVENT_NONE;
  if (count_error (a))
    return;
  rto_backoff (a);
  a->timing = FALSE;                       /* Karn: no sample from retransmitted chunks */
  for (GList *l = a->out.head; l != NULL; l = l->next)
    {
      OutChunk *c = l->data;
      if (c->gap_acked)
        continue;
      c->miss = 0;
      c->fast_done = FALSE;
      send_data (a, c);
    }
  t3_restart (a);
}

static void
hb_fire (SimKernel *k, gpointer ctx, gpointer data)
{
  NetAssoc *a = ctx;
  a->hb = SIM_EVENT_NONE;
  if (a->out.length == 0)
    {
      if (a->hb_unanswered)
        {
          if (count_error (a))
            return;
          rto_backoff (a);
        }
      send_heartbeat (a);
      a->hb_unanswered = TRUE;
    }
  hb_schedule (a);
}

static void
t1_expired (SimKernel *k, gpointer ctx, gpointer data)
{
  NetAssoc *a = ctx;
  a->t1 = SIM_EVENT_NONE;
  if (++a->init_tries > sctp_cfg (a)->max_init_retrans)
    {
      terminate (a, NET_ASSOC_CANT_START);
      return;
    }
  rto_backoff (a);
  if (a->state == ST_COOKIE_WAIT)
    send_init (a);
  else
    send_cookie_echo (a);
  a->t1 = sim_kernel_schedule (k, a->rto, t1_expired, a, NULL);
}

static void
t2_expired (SimKernel *k, gpointer ctx, gpointer data)
{
  NetAssoc *a = ctx;
  a->t2 = SIM_EVENT_NONE;
  if (count_error (a))
    return;
  rto_backoff (a);
  if (a->state == ST_SHUTDOWN_SENT)
    send_shutdown (a);
  else
    net_send (a->host, assoc_packet (a, NET_CHUNK_SHUTDOWN_ACK));
  a->t2 = sim_kernel_schedule (k, a->rto, t2_expired, a, NULL);
}

/* §9.2: once nothing is outstanding, SHUTDOWN (or SHUTDOWN-ACK) goes out. */
static void
shutdown_progress (NetAssoc *a)
{
  if (a->out.length > 0 || a->wait.length > 0)
    return;
  if (a->state == ST_SHUTDOWN_PENDING)
    {
      a->state = ST_SHUTDOWN_SENT;
      send_shutdown (a);
    }
  else if (a->state == ST_SHUTDOWN_RECEIVED)
    {
      a->state = ST_SHUTDOWN_ACK_SENT;
      net_send (a->host, assoc_packet (a, NET_CHUNK_SHUTDOWN_ACK));
    }
  else
    return;
  sim_kernel_cancel (kern (a), a->t3);
  sim_kernel_cancel (kern (a), a->hb);
  sim_kernel_cancel (kern (a), a->t2);
  a->t3 = a->hb = SIM_EVENT_NONE;
  a->t2 = sim_kernel_schedule (kern (a), a->rto, t2_expired, a, NULL);
}

/* ---- sending ---------------------------------------------------------- */

static void
transmit_new (NetAssoc *a, OutChunk *c)
{
  g_queue_push_tail (&a->out, c);
  if (!a->timing)
    {
      a->timing = TRUE;
      a->timed_rel = c->rel;
      a->timed_at = sim_kernel_now (kern (a));
    }
  send_data (a, c);
  if (a->t3 == SIM_EVENT_NONE)                 /* §6.3.2 R1 */
    t3_restart (a);
}

static gboolean wire_send (NetAssoc *a, guint16 stream, guint32 ppid, NetKind kind, GBytes *msg);

gboolean
net_assoc_send (NetAssoc *a, guint16 stream, guint32 ppid, NetKind kind, GBytes *msg)
{
  g_return_val_if_fail (!a->dead && msg != NULL, FALSE);
  if (a->layer != NULL)
    return a->layer->send (a, stream, ppid, kind, msg, a->layer_data);
  return wire_send (a, stream, ppid, kind, msg);
}

static gboolean
wire_send (NetAssoc *a, guint16 stream, guint32 ppid, NetKind kind, GBytes *msg)
{
  if (a->state != ST_COOKIE_WAIT && a->state != ST_COOKIE_ECHOED && a->state != ST_ESTABLISHED)
    return FALSE;
  guint16 n_out = a->state == ST_ESTABLISHED ? a->n_out : (guint16) sctp_cfg (a)->streams;
  g_return_val_if_fail (stream < n_out, FALSE);
  OutChunk *c = g_new0 (OutChunk, 1);
  c->stream = stream;
  c->ppid = ppid;
  c->kind = kind;
  c->msg = g_bytes_ref (msg);
  net_kind_count (a->host->net, kind, g_bytes_get_size (msg));
  if (a->state != ST_ESTABLISHED)
    {
      g_queue_push_tail (&a->wait, c);
      return TRUE;
    }
  c->rel = a->next_rel++;
  c->ssn = a->out_ssn[stream]++;
  transmit_new (a, c);
  return TRUE;
}

static void
established (NetAssoc *a)
{
  a->state = ST_ESTABLISHED;
  OutChunk *c;
  while ((c = g_queue_pop_head (&a->wait)) != NULL)
    {
      if (c->stream >= a->n_out)
        {
          /* The peer offered fewer streams than we asked for: the message cannot go. */
          out_chunk_free (c);
          continue;
        }
      c->rel = a->next_rel++;
      c->ssn = a->out_ssn[c->stream]++;
      transmit_new (a, c);
    }
  hb_schedule (a);
  if (a->layer != NULL)
    {
      assoc_ref (a);
      a->layer->up (a, a->layer_data);
      assoc_unref (a);
    }
  else
    notify (a, NET_ASSOC_UP);
}

/* ---- the cookie (§5.1.3) ---------------------------------------------- */

static void
cookie_mac (const NetHost *h, const guint8 *data, gsize len, guint8 *mac)
{
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, h->cookie_key, sizeof h->cookie_key);
  g_hmac_update (hmac, data, (gssize) len);
  gsize n = COOKIE_MAC;
  g_hmac_get_digest (hmac, mac, &n);
}

typedef struct {
  guint32 my_tag, peer_tag, my_itsn, peer_itsn;
  guint16 n_out, n_in, lport, pport;
  NetAddr paddr;
  SimTime created;
  GArray *addrs;
} Cookie;

static GBytes *
cookie_make (const NetHost *h, const Cookie *c)
{
  gsize len = COOKIE_FIXED + 4 * c->addrs->len;
  guint8 *b = g_malloc0 (len + COOKIE_MAC);
  sim_put32 (b, c->my_tag);
  sim_put32 (b + 4, c->peer_tag);
  sim_put32 (b + 8, c->my_itsn);
  sim_put32 (b + 12, c->peer_itsn);
  sim_put16 (b + 16, c->n_out);
  sim_put16 (b + 18, c->n_in);
  sim_put16 (b + 20, c->lport);
  sim_put16 (b + 22, c->pport);
  sim_put32 (b + 24, c->paddr);
  sim_put64 (b + 28, (guint64) c->created);
  sim_put16 (b + 36, c->addrs->len);
  for (guint i = 0; i < c->addrs->len; i++)
    sim_put32 (b + COOKIE_FIXED + 4 * i, g_array_index (c->addrs, NetAddr, i));
  cookie_mac (h, b, len, b + len);
  return g_bytes_new_take (b, len + COOKIE_MAC);
}

typedef enum { COOKIE_OK, COOKIE_BAD, COOKIE_STALE } CookieCheck;

/* Parse and authenticate a cookie (hostile bytes). On COOKIE_OK, c->addrs is a new array. */
static CookieCheck
cookie_check (const NetHost *h, GBytes *bytes, SimTime now, Cookie *c)
{
  gsize len = 0;
  const guint8 *b = bytes != NULL ? g_bytes_get_data (bytes, &len) : NULL;
  if (len < COOKIE_FIXED + COOKIE_MAC)
    return COOKIE_BAD;
  guint n = sim_get16 (b + 36);
  if (len != COOKIE_FIXED + 4 * (gsize) n + COOKIE_MAC)
    return COOKIE_BAD;
  guint8 mac[COOKIE_MAC];
  cookie_mac (h, b, len - COOKIE_MAC, mac);
  guint diff = 0;
  for (guint i = 0; i < COOKIE_MAC; i++)
    diff |= mac[i] ^ b[len - COOKIE_MAC + i];
  if (diff != 0)
    return COOKIE_BAD;
  c->my_tag = sim_get32 (b);
  c->peer_tag = sim_get32 (b + 4);
  c->my_itsn = sim_get32 (b + 8);
  c->peer_itsn = sim_get32 (b + 12);
  c->n_out = (guint16) sim_get16 (b + 16);
  c->n_in = (guint16) sim_get16 (b + 18);
  c->lport = (guint16) sim_get16 (b + 20);
  c->pport = (guint16) sim_get16 (b + 22);
  c->paddr = sim_get32 (b + 24);
  c->created = (SimTime) sim_get64 (b + 28);
  if (now - c->created > h->net->cfg.sctp.cookie_life)
    return COOKIE_STALE;
  c->addrs = g_array_sized_new (FALSE, FALSE, sizeof (NetAddr), n);
  for (guint i = 0; i < n; i++)
    {
      NetAddr a = sim_get32 (b + COOKIE_FIXED + 4 * i);
      g_array_append_val (c->addrs, a);
    }
  return COOKIE_OK;
}

/* ---- listeners and setup ---------------------------------------------- */

NetListener *
net_listen (NetHost *h, guint16 port, NetAcceptFn accept, gpointer user_data)
{
  g_return_val_if_fail (h->up && port != 0 && accept != NULL, NULL);
  if (g_hash_table_contains (h->listeners, GUINT_TO_POINTER (port)))
    return NULL;
  NetListener *l = g_new0 (NetListener, 1);
  l->host = h;
  l->port = port;
  l->accept = accept;
  l->user_data = user_data;
  g_hash_table_insert (h->listeners, GUINT_TO_POINTER (port), l);
  return l;
}

void
net_listener_close (NetListener *l)
{
  g_hash_table_remove (l->host->listeners, GUINT_TO_POINTER (l->port));
  g_free (l);
}

NetAssoc *
net_assoc_connect (NetHost *h, NetAddr dst, guint16 port, const NetAssocCallbacks *callbacks, gpointer user_data)
{
  return net_assoc_connect_from (h, 0, dst, port, callbacks, user_data);
}

NetAssoc *
net_assoc_connect_from (NetHost *h, guint16 local_port, NetAddr dst, guint16 port,
                        const NetAssocCallbacks *callbacks, gpointer user_data)
{
  g_return_val_if_fail (h->up && h->ifaces->len > 0 && port != 0, NULL);
  guint16 lport = local_port;
  if (lport != 0)
    {
      /* A bound endpoint: one association per peer transport address (RFC 4960 §1.3). */
      gint64 key = assoc_key (lport, dst, port);
      if (g_hash_table_contains (h->assocs, &key))
        return NULL;
    }
  else
    for (guint tries = 0;; tries++)
      {
        if (tries == 16384)
          return NULL;   /* every ephemeral port has an association to dst:port already */
        lport = h->next_port;
        h->next_port = h->next_port == 65535 ? 49152 : h->next_port + 1;
        gint64 key = assoc_key (lport, dst, port);
        if (!g_hash_table_contains (h->listeners, GUINT_TO_POINTER (lport))
            && !g_hash_table_contains (h->assocs, &key))
          break;
      }
  NetAssoc *a = assoc_new (h, net_host_address (h, 0), lport, dst, port);
  if (callbacks != NULL)
    a->cb = *callbacks;
  a->user_data = user_data;
  a->state = ST_COOKIE_WAIT;
  a->my_vtag = nonzero32 (&a->rng);
  a->my_itsn = (guint32) (sim_rng_next (&a->rng) >> 32);
  a->n_out = a->n_in = (guint16) sctp_cfg (a)->streams;
  send_init (a);
  a->t1 = sim_kernel_schedule (kern (a), a->rto, t1_expired, a, NULL);
  return a;
}

void
net_assoc_set_callbacks (NetAssoc *a, const NetAssocCallbacks *callbacks, gpointer user_data)
{
  a->cb = *callbacks;
  a->user_data = user_data;
}

/* §5.1 B: answer an INIT with an INIT-ACK carrying a cookie; stay stateless. */
static void
handle_init (NetHost *h, const NetPacket *pkt)
{
  if (pkt->vtag != 0 || pkt->init_tag == 0)
    {
      h->net->stats.sctp_bad_vtag++;
      return;
    }
  if (!g_hash_table_contains (h->listeners, GUINT_TO_POINTER ((guint) pkt->dport)))
    {
      /* §8.4 rule 3: ABORT with the INIT's initiate tag, T bit clear. */
      reply (h, pkt, NET_CHUNK_ABORT, pkt->init_tag, 0);
      return;
    }
  guint streams = h->net->cfg.sctp.streams;
  Cookie c = { 0 };
  c.my_tag = nonzero32 (&h->sctp_rng);
  c.peer_tag = pkt->init_tag;
  c.my_itsn = (guint32) (sim_rng_next (&h->sctp_rng) >> 32);
  c.peer_itsn = pkt->tsn;
  c.n_out = (guint16) MIN (streams, pkt->n_in);
  c.n_in = (guint16) MIN (streams, pkt->n_out);
  c.lport = pkt->dport;
  c.pport = pkt->sport;
  c.paddr = pkt->src;
  c.created = sim_kernel_now (h->net->kernel);
  c.addrs = g_array_new (FALSE, FALSE, sizeof (NetAddr));
  if (!params_parse (pkt->payload, c.addrs, NULL) || c.addrs->len > 64)
    {
      g_array_unref (c.addrs);
      h->net->stats.sctp_bad_vtag++;
      return;
    }
  addrs_primary_first (c.addrs, pkt->src);
  g_autoptr (GBytes) cookie = cookie_make (h, &c);
  g_array_unref (c.addrs);
  NetPacket *r = packet (NET_CHUNK_INIT_ACK, pkt->dst, pkt->dport, pkt->src, pkt->sport, pkt->init_tag);
  r->init_tag = c.my_tag;
  r->tsn = c.my_itsn;
  r->n_out = c.n_out;
  r->n_in = c.n_in;
  GByteArray *b = g_byte_array_new ();
  gsize clen;
  const guint8 *cb = g_bytes_get_data (cookie, &clen);
  param_append (b, PARAM_COOKIE, cb, clen);
  addr_params (b, h);
  r->payload = g_byte_array_free_to_bytes (b);
  net_send (h, r);
}

static void
handle_init_ack (NetAssoc *a, const NetPacket *pkt)
{
  if (a->state != ST_COOKIE_WAIT || pkt->init_tag == 0)
    return;
  GBytes *cookie = NULL;
  g_autoptr (GArray) addrs = g_array_new (FALSE, FALSE, sizeof (NetAddr));
  if (!params_parse (pkt->payload, addrs, &cookie) || cookie == NULL)
    {
      g_clear_pointer (&cookie, g_bytes_unref);
      a->host->net->stats.sctp_bad_vtag++;
      return;
    }
  addrs_primary_first (addrs, a->paddr);
  a->cookie = cookie;
  a->peer_vtag = pkt->init_tag;
  a->peer_itsn = pkt->tsn;
  g_array_append_vals (a->peer_addrs, addrs->data, addrs->len);
  g_free (a->out_ssn);
  streams_init (a, (guint16) MIN (a->n_out, pkt->n_in), (guint16) MIN (a->n_in, pkt->n_out));
  a->state = ST_COOKIE_ECHOED;
  sim_kernel_cancel (kern (a), a->t1);
  a->init_tries = 0;
  send_cookie_echo (a);
  a->t1 = sim_kernel_schedule (kern (a), a->rto, t1_expired, a, NULL);
}

/* §5.1 D: a valid COOKIE-ECHO with no association creates one, if the listener accepts. */
static void
handle_cookie_echo (NetHost *h, NetAssoc *old, const NetPacket *pkt)
{
  Cookie c;
  SimTime now = sim_kernel_now (h->net->kernel);
  CookieCheck chk = cookie_check (h, pkt->payload, now, &c);
  if (chk != COOKIE_OK || pkt->vtag != c.my_tag || c.lport != pkt->dport || c.pport != pkt->sport
      || c.paddr != pkt->src)
    {
      h->net->stats.sctp_bad_vtag++;
      return;
    }
  g_autoptr (GArray) addrs = c.addrs;
  if (old != NULL)
    {
      if (old->my_vtag == c.my_tag && old->peer_vtag == c.peer_tag)
        {
          /* §5.2.4 D: the COOKIE-ACK was lost; say it again. */
          net_send (h, assoc_packet (old, NET_CHUNK_COOKIE_ACK));
          return;
        }
      /* §5.2.4 A: the peer restarted. */
      terminate (old, NET_ASSOC_RESTARTED);
    }
  NetListener *l = g_hash_table_lookup (h->listeners, GUINT_TO_POINTER ((guint) pkt->dport));
  if (l == NULL)
    {
      reply (h, pkt, NET_CHUNK_ABORT, c.peer_tag, 0);
      return;
    }
  NetAssoc *a = assoc_new (h, pkt->dst, pkt->dport, pkt->src, pkt->sport);
  a->my_vtag = c.my_tag;
  a->peer_vtag = c.peer_tag;
  a->my_itsn = c.my_itsn;
  a->peer_itsn = c.peer_itsn;
  g_array_append_vals (a->peer_addrs, addrs->data, addrs->len);
  streams_init (a, c.n_out, c.n_in);
  a->state = ST_COOKIE_ECHOED;            /* until accepted: messages sent meanwhile wait */
  assoc_ref (a);
  if (!l->accept (l, a, l->user_data))
    {
      /* Refused: ABORT with the peer's tag. */
      net_send (h, assoc_packet (a, NET_CHUNK_ABORT));
      a->cb.event = NULL;
      destroy (a);
      assoc_unref (a);
      return;
    }
  if (!a->dead)
    {
      net_send (h, assoc_packet (a, NET_CHUNK_COOKIE_ACK));
      established (a);
    }
  assoc_unref (a);
}

/* ---- receiving -------------------------------------------------------- */

typedef struct {
  NetAssoc  *assoc;
  NetMessage msg;
} DeliverJob;

static void
deliver_job_free (gpointer p)
{
  DeliverJob *j = p;
  g_bytes_unref (j->msg.data);
  assoc_unref (j->assoc);
  g_free (j);
}

static void
deliver_done (NetHost *h, gpointer data)
{
  DeliverJob *j = data;
  NetAssoc *a = j->assoc;
  if (a->dead)
    return;
  assoc_ref (a);
  if (a->layer != NULL)
    a->layer->receive (a, &j->msg, a->layer_data);
  else if (a->cb.receive != NULL)
    a->cb.receive (a, &j->msg, a->user_data);
  assoc_unref (a);
}

/* Hand a message in order to the CPU (room was checked when its chunk arrived; held ones may exceed it). */
static void
deliver (NetAssoc *a, NetMessage *m)
{
  DeliverJob *j = g_new (DeliverJob, 1);
  j->assoc = assoc_ref (a);
  j->msg = *m;
  g_free (m);
  net_cpu_submit (a->host, j->msg.kind, FALSE, deliver_done, j, deliver_job_free);
}

/* Binary search of rel in the sorted above: TRUE if present; *pos = where it is or would go. */
static gboolean
above_find (const GArray *above, guint32 rel, guint *pos)
{
  guint lo = 0, hi = above->len;
  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;
      guint32 v = g_array_index (above, guint32, mid);
      if (v == rel)
        {
          *pos = mid;
          return TRUE;
        }
      if (v < rel)
        lo = mid + 1;
      else
        hi = mid;
    }
  *pos = lo;
  return FALSE;
}

static void
handle_data (NetAssoc *a, const NetPacket *pkt)
{
  NetHost *h = a->host;
  if (a->state == ST_COOKIE_WAIT || a->state == ST_COOKIE_ECHOED)
    return;
  guint32 off = (pkt->tsn - a->peer_itsn) - a->cum;   /* 0 = the next expected TSN */
  if ((gint32) off < 0)
    {
      send_sack (a);                        /* a duplicate: acknowledge again (§6.2) */
      return;
    }
  if (off >= 65535 || pkt->stream >= a->n_in || pkt->payload == NULL)
    return;                                 /* outside what a SACK can report, or an invalid stream */
  guint32 rel = a->cum + off;
  guint pos = 0;
  if (off > 0 && above_find (a->above, rel, &pos))
    {
      send_sack (a);
      return;
    }
  if (!net_cpu_has_room (h))
    {
      h->cpu.dropped++;                     /* not acknowledged: the sender will retransmit */
      return;
    }
  if (off == 0)
    {
      a->cum++;
      while (a->above->len > 0 && g_array_index (a->above, guint32, 0) == a->cum)
        {
          g_array_remove_index (a->above, 0);
          a->cum++;
        }
    }
  else
    g_array_insert_val (a->above, pos, rel);
  InStream *s = &a->in[pkt->stream];
  NetMessage *m = g_new (NetMessage, 1);
  m->data = g_bytes_ref (pkt->payload);
  m->ppid = pkt->ppid;
  m->stream = pkt->stream;
  m->kind = pkt->kind;
  gint16 ahead = (gint16) (pkt->ssn - s->next_ssn);
  if (ahead < 0 || (ahead > 0 && s->held != NULL && g_hash_table_contains (s->held, GUINT_TO_POINTER ((guint) pkt->ssn))))
    message_free (m);                       /* an SSN already seen: hostile or confused */
  else if (ahead > 0)
    {
      if (s->held == NULL)
        s->held = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, message_free);
      g_hash_table_insert (s->held, GUINT_TO_POINTER ((guint) pkt->ssn), m);
    }
  else
    {
      /* s lives in a->in, which a callback run inline by deliver() may free: check a->dead first. */
      s->next_ssn++;
      deliver (a, m);
      NetMessage *next;
      while (!a->dead && s->held != NULL
             && (next = g_hash_table_lookup (s->held, GUINT_TO_POINTER ((guint) s->next_ssn))) != NULL)
        {
          g_hash_table_steal (s->held, GUINT_TO_POINTER ((guint) s->next_ssn));
          s->next_ssn++;
          deliver (a, next);
        }
    }
  if (!a->dead)
    send_sack (a);
}

/* Chunks with rel < ack are acknowledged (cumulative); returns TRUE if the earliest was among them. */
static gboolean
cum_ack (NetAssoc *a, guint32 ack)
{
  gboolean advanced = FALSE;
  SimTime now = sim_kernel_now (kern (a));
  OutChunk *c;
  while ((c = g_queue_peek_head (&a->out)) != NULL && c->rel < ack)
    {
      g_queue_pop_head (&a->out);
      if (a->timing && c->rel == a->timed_rel)
        {
          a->timing = FALSE;
          if (c->tx == 1)                   /* Karn's rule (§6.3.1 C5) */
            rtt_measured (a, now - a->timed_at);
        }
      out_chunk_free (c);
      advanced = TRUE;
    }
  if (advanced)
    {
      a->errors = 0;                        /* §8.3: an acknowledgement clears the counter */
      a->hb_unanswered = FALSE;
    }
  return advanced;
}

static void
after_ack (NetAssoc *a, gboolean advanced)
{
  if (a->out.length == 0)
    {
      sim_kernel_cancel (kern (a), a->t3);  /* §6.3.2 R2 */
      a->t3 = SIM_EVENT_NONE;
      a->timing = FALSE;
    }
  else if (advanced)
    t3_restart (a);                         /* R3 */
  shutdown_progress (a);
}

static void
handle_sack (NetAssoc *a, const NetPacket *pkt)
{
  if (a->state == ST_COOKIE_WAIT || a->state == ST_COOKIE_ECHOED)
    return;
  guint32 ack = pkt->tsn - a->my_itsn + 1;  /* chunks with rel < ack are acknowledged */
  if (ack > a->next_rel)
    return;                                 /* acknowledges what was never sent: ignore */
  gboolean advanced = cum_ack (a, ack);
  gsize len = 0;
  const guint8 *b = pkt->payload != NULL ? g_bytes_get_data (pkt->payload, &len) : NULL;
  /* Gap blocks are sorted (§3.3.4), as is the queue: one walk over both. Hostile blocks only mark less. */
  guint32 highest = 0;
  gboolean any_gap = FALSE;
  GList *l = a->out.head;
  for (gsize i = 0; i + 4 <= len && l != NULL; i += 4)
    {
      guint start = sim_get16 (b + i), end = sim_get16 (b + i + 2);
      if (start == 0 || end < start)
        continue;
      guint32 first = ack - 1 + start, last = ack - 1 + end;
      for (; l != NULL && ((OutChunk *) l->data)->rel <= last; l = l->next)
        if (((OutChunk *) l->data)->rel >= first)
          ((OutChunk *) l->data)->gap_acked = TRUE;
      if (!any_gap || last > highest)
        highest = last;
      any_gap = TRUE;
    }
  if (any_gap)
    for (GList *m = a->out.head; m != NULL; m = m->next)
      {
        OutChunk *c = m->data;
        if (c->rel >= highest)
          break;
        if (c->gap_acked || c->fast_done)
          continue;
        if (++c->miss >= 3)                 /* §7.2.4 fast retransmit */
          {
            c->fast_done = TRUE;
            a->timing = a->timing && a->timed_rel != c->rel;
            send_data (a, c);
          }
      }
  after_ack (a, advanced);
}

static void
handle_heartbeat_ack (NetAssoc *a, const NetPacket *pkt)
{
  gsize len = 0;
  const guint8 *b = pkt->payload != NULL ? g_bytes_get_data (pkt->payload, &len) : NULL;
  if (len < 12 || sim_get16 (b) != PARAM_HB_INFO || sim_get16 (b + 2) != 12)
    return;
  SimTime sent = (SimTime) sim_get64 (b + 4), now = sim_kernel_now (kern (a));
  if (sent < 0 || sent > now)
    return;
  rtt_measured (a, now - sent);
  a->errors = 0;
  a->hb_unanswered = FALSE;
}

/* §8.4: a packet for no association. */
static void
out_of_the_blue (NetHost *h, const NetPacket *pkt)
{
  h->net->stats.sctp_ootb++;
  switch (pkt->chunk)
    {
    case NET_CHUNK_INIT:
      handle_init (h, pkt);
      break;
    case NET_CHUNK_COOKIE_ECHO:
      handle_cookie_echo (h, NULL, pkt);
      break;
    case NET_CHUNK_ABORT:
    case NET_CHUNK_SHUTDOWN_COMPLETE:
    case NET_CHUNK_COOKIE_ACK:
      break;                                              /* rules 2, 6 */
    case NET_CHUNK_SHUTDOWN_ACK:
      reply (h, pkt, NET_CHUNK_SHUTDOWN_COMPLETE, pkt->vtag, NET_CHUNK_FLAG_T);   /* rule 5 */
      break;
    default:
      reply (h, pkt, NET_CHUNK_ABORT, pkt->vtag, NET_CHUNK_FLAG_T);               /* rule 8 */
      break;
    }
}

void
net_assoc_receive (NetHost *h, NetIface *iface, NetPacket *pkt)
{
  gint64 key = assoc_key (pkt->dport, pkt->src, pkt->sport);
  NetAssoc *a = g_hash_table_lookup (h->assocs, &key);
  if (a == NULL)
    {
      out_of_the_blue (h, pkt);
      return;
    }
  /* §8.5.1: which tag each chunk must carry. */
  gboolean ok;
  switch (pkt->chunk)
    {
    case NET_CHUNK_INIT:
      handle_init (h, pkt);                  /* §5.2.2: answered statelessly; a restart shows at the cookie */
      return;
    case NET_CHUNK_COOKIE_ECHO:
      handle_cookie_echo (h, a, pkt);
      return;
    case NET_CHUNK_ABORT:
    case NET_CHUNK_SHUTDOWN_COMPLETE:
      ok = (pkt->flags & NET_CHUNK_FLAG_T) ? pkt->vtag == a->peer_vtag && a->peer_vtag != 0
                                           : pkt->vtag == a->my_vtag;
      break;
    default:
      ok = pkt->vtag == a->my_vtag;
      break;
    }
  if (!ok)
    {
      h->net->stats.sctp_bad_vtag++;
      return;
    }
  assoc_ref (a);
  switch (pkt->chunk)
    {
    case NET_CHUNK_DATA:
      handle_data (a, pkt);
      break;
    case NET_CHUNK_SACK:
      handle_sack (a, pkt);
      break;
    case NET_CHUNK_INIT_ACK:
      handle_init_ack (a, pkt);
      break;
    case NET_CHUNK_COOKIE_ACK:
      if (a->state == ST_COOKIE_ECHOED)
        {
          sim_kernel_cancel (kern (a), a->t1);
          a->t1 = SIM_EVENT_NONE;
          g_clear_pointer (&a->cookie, g_bytes_unref);
          established (a);
        }
      break;
    case NET_CHUNK_HEARTBEAT:
      if (a->state != ST_COOKIE_WAIT)
        {
          NetPacket *r = assoc_packet (a, NET_CHUNK_HEARTBEAT_ACK);
          net_packet_set_payload (r, pkt->payload);
          net_send (h, r);
        }
      break;
    case NET_CHUNK_HEARTBEAT_ACK:
      handle_heartbeat_ack (a, pkt);
      break;
    case NET_CHUNK_ABORT:
      terminate (a, a->state == ST_COOKIE_WAIT || a->state == ST_COOKIE_ECHOED ? NET_ASSOC_REFUSED
                                                                              : NET_ASSOC_ABORTED);
      break;
    case NET_CHUNK_SHUTDOWN:
      if (a->state == ST_ESTABLISHED || a->state == ST_SHUTDOWN_PENDING || a->state == ST_SHUTDOWN_SENT)
        {
          guint32 ack = pkt->tsn - a->my_itsn + 1;
          gboolean adv = ack <= a->next_rel && cum_ack (a, ack);
          a->state = ST_SHUTDOWN_RECEIVED;
          after_ack (a, adv);
        }
      break;
    case NET_CHUNK_SHUTDOWN_ACK:
      if (a->state == ST_SHUTDOWN_SENT || a->state == ST_SHUTDOWN_ACK_SENT)
        {
          net_send (h, assoc_packet (a, NET_CHUNK_SHUTDOWN_COMPLETE));
          terminate (a, NET_ASSOC_CLOSED);
        }
      break;
    case NET_CHUNK_SHUTDOWN_COMPLETE:
      if (a->state == ST_SHUTDOWN_ACK_SENT)
        terminate (a, NET_ASSOC_CLOSED);
      break;
    default:
      break;
    }
  assoc_unref (a);
}

/* ---- closing ---------------------------------------------------------- */

void
net_assoc_shutdown (NetAssoc *a)
{
  g_return_if_fail (!a->dead);
  if (a->state == ST_COOKIE_WAIT || a->state == ST_COOKIE_ECHOED)
    {
      net_assoc_abort (a);
      return;
    }
  if (a->state != ST_ESTABLISHED)
    return;
  if (a->layer != NULL)
    {
      a->layer->shutdown (a, a->layer_data);
      return;
    }
  a->state = ST_SHUTDOWN_PENDING;
  shutdown_progress (a);
}

void
net_assoc_abort (NetAssoc *a)
{
  g_return_if_fail (!a->dead);
  if (a->state != ST_COOKIE_WAIT)
    net_send (a->host, assoc_packet (a, NET_CHUNK_ABORT));
  a->cb.event = NULL;
  destroy (a);
}

void
net_assoc_host_crash (NetHost *h)
{
  GHashTableIter it;
  gpointer v;
  g_autoptr (GPtrArray) all = g_ptr_array_new ();
  g_hash_table_iter_init (&it, h->assocs);
  while (g_hash_table_iter_next (&it, NULL, &v))
    g_ptr_array_add (all, v);
  for (guint i = 0; i < all->len; i++)
    destroy (all->pdata[i]);
  g_hash_table_iter_init (&it, h->listeners);
  while (g_hash_table_iter_next (&it, NULL, &v))
    g_free (v);
  g_hash_table_remove_all (h->listeners);
}

/* ---- layers ------------------------------------------------------------ */

void
net_assoc_set_layer (NetAssoc *a, const NetAssocLayer *layer, gpointer layer_data)
{
  g_return_if_fail (!a->dead && a->layer == NULL && layer != NULL);
  g_return_if_fail (a->state == ST_COOKIE_WAIT || a->state == ST_COOKIE_ECHOED);
  g_return_if_fail (layer->up != NULL && layer->send != NULL && layer->receive != NULL && layer->shutdown != NULL);
  a->layer = layer;
  a->layer_data = layer_data;
}

gpointer
net_assoc_layer_data (const NetAssoc *a, const NetAssocLayer *layer)
{
  return a->layer == layer ? a->layer_data : NULL;
}

gboolean
net_assoc_layer_send (NetAssoc *a, guint16 stream, guint32 ppid, NetKind kind, GBytes *msg)
{
  g_return_val_if_fail (!a->dead && msg != NULL, FALSE);
  return wire_send (a, stream, ppid, kind, msg);
}

void
net_assoc_layer_ready (NetAssoc *a)
{
  g_return_if_fail (!a->dead && a->state == ST_ESTABLISHED && !a->layer_ready);
  a->layer_ready = TRUE;
  notify (a, NET_ASSOC_UP);
}

void
net_assoc_layer_deliver (NetAssoc *a, const NetMessage *msg)
{
  g_return_if_fail (!a->dead);
  if (a->cb.receive == NULL)
    return;
  assoc_ref (a);
  a->cb.receive (a, msg, a->user_data);
  assoc_unref (a);
}

void
net_assoc_layer_shutdown (NetAssoc *a)
{
  g_return_if_fail (!a->dead);
  if (a->state != ST_ESTABLISHED)
    return;
  a->state = ST_SHUTDOWN_PENDING;
  shutdown_progress (a);
}

void
net_assoc_layer_fail (NetAssoc *a, NetAssocEvent ev)
{
  g_return_if_fail (!a->dead && ev != NET_ASSOC_UP);
  if (a->state != ST_COOKIE_WAIT)
    net_send (a->host, assoc_packet (a, NET_CHUNK_ABORT));
  terminate (a, ev);
}

/* ---- accessors -------------------------------------------------------- */

NetHost *
net_assoc_host (const NetAssoc *a)
{
  return a->host;
}

NetAddr
net_assoc_peer_addr (const NetAssoc *a)
{
  return a->paddr;
}

guint16
net_assoc_peer_port (const NetAssoc *a)
{
  return a->pport;
}

guint16
net_assoc_local_port (const NetAssoc *a)
{
  return a->lport;
}

const GArray *
net_assoc_peer_addrs (const NetAssoc *a)
{
  return a->peer_addrs;
}

gboolean
net_assoc_is_up (const NetAssoc *a)
{
  return !a->dead && a->state == ST_ESTABLISHED && (a->layer == NULL || a->layer_ready);
}

guint16
net_assoc_streams (const NetAssoc *a)
{
  return a->n_out;
}

SimTime
net_assoc_rto (const NetAssoc *a)
{
  return a->rto;
}

guint
net_assoc_outstanding (const NetAssoc *a)
{
  return a->dead ? 0 : a->out.length + a->wait.length;
}
