/*
 * models/netload.c - traffic over the virtual network: its validation model,
 * as mm1 validates the kernel, and the one traffic generator of the tree
 * (bench/bench-net runs it).
 *
 * N hosts (netload.hosts) on the LANs of the net.* keys (host hI on lan I mod
 * net.lans). Each host keeps one association to a peer it draws from its own
 * stream, and every netload.interval generates a message of netload.size
 * bytes: with probability netload.udp-fraction a datagram (to its peer, or to
 * the group NETLOAD_GROUP that every host joins), else a message on its
 * association. When the association ends (COMMUNICATION LOST, ABORT, a setup
 * that fails, ...), the host draws a new peer and connects again after
 * netload.reconnect; messages generated while no association is established
 * are counted as blocked, not queued, so that "sent" means "handed to an
 * established association" and every sent message goes on the wire at once.
 * Hosts fail and recover as net.fail.* say; a restarted host opens its
 * listener, socket and association again.
 *
 * Every payload carries its send time and a sequence number (header layout
 * in models/netload.h). The receiver, after its CPU served the message
 * (net.cpu.*), measures the latency from send to delivery to this upper layer
 * and checks order per association: a sequence number below the next expected
 * one is a duplicate, one above it is out of order (a gap). On an association
 * both must stay 0; RFC 4960 §6.6 promises ordered delivery within a stream,
 * and all messages use stream 0.
 *
 * The bookkeeping unit is the flow: one association from its sender's side,
 * numbered in order of creation and named in each message's header, so the
 * receiver needs no state of its own per association and the counts add up
 * exactly at the end: sent = delivered + lost (on associations that ended)
 * + unfinished (on associations alive at the end, not yet delivered).
 * Datagrams: "expected" copies are the receivers up at the send time (the
 * peer, or every other host for the group); lost = expected - received,
 * including copies still in flight at the end (netload.drain stops the
 * senders early so that those arrive).
 *
 * What a capture of a run holds (net_capture_open, whole network or one LAN
 * of a one-LAN topology, no LAN or link failures, no taps): one frame per
 * message sent, per retransmission (net.sctp.retransmissions) and per
 * datagram sent, since a message only goes to an established association and
 * a host that sends is up.
 *
 * Streams: "netload/<i>/interval", ".../size", ".../kind" (datagram or
 * association), ".../peer", so that switching datagrams on does not change
 * when messages are generated or how large they are.
 *
 * Counters cover the whole run; latencies count messages sent after the
 * warm-up, throughput the deliveries from the warm-up to the end.
 *
 * Not here: request/response traffic, several associations per host, flows
 * that end gracefully (nothing calls net_assoc_shutdown), congestion control
 * (the network has none).
 */
#include "config.h"

#include "models/netload.h"

#include "sim/net-assoc.h"
#include "sim/net-capture.h"
#include "sim/net-udp.h"
#include "sim/pcap.h"
#include "sim/stat.h"

#include <math.h>

/* Host addresses on a LAN's /16 (sim/net.h): .0.1 to .255.254. */
#define NETLOAD_LAN_HOSTS 65534u
/* Sizes are clamped to what one IPv4 packet (and one capture record) holds. */
#define NETLOAD_MAX_SIZE MIN (SIM_PCAP_MAX_SCTP_PAYLOAD, SIM_PCAP_MAX_UDP_PAYLOAD)

typedef struct Netload Netload;

/* One association its sender opened; lives until the model is freed. */
typedef struct {
  Netload  *m;
  guint32   id;          /* index in Netload.flows, in every message's header */
  guint     sender;      /* host indices */
  guint     receiver;
  NetAssoc *assoc;       /* the sender's end; NULL once it ended */
  gboolean  up;          /* NET_ASSOC_UP seen and not ended: messages may go */
  gboolean  ended;       /* a terminal event or the sender's crash: what is undelivered is lost */
  guint64   sent;        /* messages sent; the next sequence number */
  guint64   expected;    /* the next sequence number the receiver expects */
  guint64   delivered;   /* distinct messages the receiver got */
} NetloadFlow;

typedef struct {
  Netload      *m;
  guint         index;
  NetHost      *host;
  NetUdpSocket *udp;          /* NULL while the host is down */
  NetloadFlow  *flow;         /* the association it sends on; NULL while it waits to reconnect or is down */
  guint         peer;         /* receiver of the flow and of unicast datagrams */
  SimEventId    next_message;
  SimEventId    reconnect;
  guint64       datagram_seq;
  SimRng        interval_rng;
  SimRng        size_rng;
  SimRng        kind_rng;
  SimRng        peer_rng;
} NetloadHost;

struct Netload {
  SimKernel   *kernel;
  Net         *net;
  NetloadHost *hosts;
  guint        n_hosts;
  guint        n_up;          /* hosts up now */
  GPtrArray   *flows;         /* NetloadFlow, by id (owned) */
  SimDist      interval;
  SimDist      size;
  double       udp_fraction;
  gboolean     to_group;      /* datagrams to NETLOAD_GROUP, else to the peer */
  SimTime      reconnect_delay;
  SimTime      warmup;
  SimTime      stop;          /* no message is generated after this (end - netload.drain) */
  NetKind      kind_message;
  NetKind      kind_datagram;
  /* Results. */
  guint64      sent, blocked, delivered, out_of_order, duplicates, malformed;
  guint64      window_delivered, window_bytes;   /* deliveries after the warm-up */
  guint64      dg_sent, dg_expected, dg_received;
  guint64      opened, established, crashed;
  guint64      ended[NET_ASSOC_CLOSED + 1];       /* flows by terminal event */
  SimStat      latency;       /* s, association messages sent after the warm-up */
  SimStat      dg_latency;    /* s, datagrams sent after the warm-up */
};

static void netload_message (SimKernel *k, gpointer ctx, gpointer data);
static void netload_connect (NetloadHost *h);

/* ---- the payload ------------------------------------------------------ */

static void
put32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

static void
put64 (guint8 *p, guint64 v)
{
  put32 (p, (guint32) (v >> 32));
  put32 (p + 4, (guint32) v);
}

static guint32
get32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static guint64
get64 (const guint8 *p)
{
  return (guint64) get32 (p) << 32 | get32 (p + 4);
}

static GBytes *
payload_new (gsize size, SimTime sent, guint64 seq, guint32 flow, guint32 sender)
{
  guint8 *b = g_malloc0 (size);
  put64 (b, (guint64) sent);
  put64 (b + 8, seq);
  put32 (b + 16, flow);
  put32 (b + 20, sender);
  return g_bytes_new_take (b, size);
}

typedef struct {
  SimTime sent;
  guint64 seq;
  guint32 flow;
  guint32 sender;
  gsize   size;
} NetloadHeader;

/* Parse a received payload (bytes from the network: checked, never trusted). */
static gboolean
payload_parse (const Netload *m, GBytes *bytes, NetloadHeader *hd)
{
  gsize len = 0;
  const guint8 *b = bytes != NULL ? g_bytes_get_data (bytes, &len) : NULL;
  if (len < NETLOAD_HEADER_SIZE)
    return FALSE;
  hd->sent = (SimTime) get64 (b);
  hd->seq = get64 (b + 8);
  hd->flow = get32 (b + 16);
  hd->sender = get32 (b + 20);
  hd->size = len;
  return hd->sent >= 0 && hd->sent <= sim_kernel_now (m->kernel) && hd->sender < m->n_hosts;
}

/* ---- associations ----------------------------------------------------- */

static void
flow_end (NetloadFlow *f)
{
  f->assoc = NULL;
  f->up = FALSE;
  f->ended = TRUE;
}

static void
netload_reconnect (SimKernel *k, gpointer ctx, gpointer data)
{
  NetloadHost *h = ctx;
  h->reconnect = SIM_EVENT_NONE;
  netload_connect (h);
}

static void
flow_event (NetAssoc *assoc, NetAssocEvent ev, gpointer user_data)
{
  NetloadFlow *f = user_data;
  Netload *m = f->m;
  if (ev == NET_ASSOC_UP)
    {
      f->up = TRUE;
      m->established++;
      return;
    }
  m->ended[ev]++;
  flow_end (f);
  NetloadHost *h = &m->hosts[f->sender];
  h->flow = NULL;
  h->reconnect = sim_kernel_schedule (m->kernel, m->reconnect_delay, netload_reconnect, h, NULL);
}

static const NetAssocCallbacks flow_callbacks = { flow_event, NULL };

/* A message on an accepted association: checked against the flow its header names. */
static void
netload_receive (NetAssoc *assoc, const NetMessage *msg, gpointer user_data)
{
  NetloadHost *h = user_data;
  Netload *m = h->m;
  NetloadHeader hd;
  if (msg->ppid != NETLOAD_PPID || !payload_parse (m, msg->data, &hd) || hd.flow >= m->flows->len)
    {
      m->malformed++;
      return;
    }
  NetloadFlow *f = m->flows->pdata[hd.flow];
  if (f->receiver != h->index || f->sender != hd.sender || hd.seq >= f->sent)
    {
      m->malformed++;
      return;
    }
  if (hd.seq < f->expected)
    {
      m->duplicates++;
      return;
    }
  if (hd.seq > f->expected)
    m->out_of_order++;
  f->expected = hd.seq + 1;
  f->delivered++;
  m->delivered++;
  SimTime now = sim_kernel_now (m->kernel);
  if (now >= m->warmup)
    {
      m->window_delivered++;
      m->window_bytes += hd.size;
    }
  if (hd.sent >= m->warmup)
    sim_stat_add (&m->latency, (double) (now - hd.sent) / SIM_S);
}

static const NetAssocCallbacks receiver_callbacks = { NULL, netload_receive };

static gboolean
netload_accept (NetListener *listener, NetAssoc *assoc, gpointer user_data)
{
  net_assoc_set_callbacks (assoc, &receiver_callbacks, user_data);
  return TRUE;
}

/* Open a new association to a peer drawn from the host's stream. */
static void
netload_connect (NetloadHost *h)
{
  Netload *m = h->m;
  h->peer = (h->index + 1 + (guint) sim_rng_below (&h->peer_rng, m->n_hosts - 1)) % m->n_hosts;
  NetloadFlow *f = g_new0 (NetloadFlow, 1);
  f->m = m;
  f->id = m->flows->len;
  f->sender = h->index;
  f->receiver = h->peer;
  g_ptr_array_add (m->flows, f);
  h->flow = f;
  m->opened++;
  f->assoc = net_assoc_connect (h->host, net_host_address (m->hosts[h->peer].host, 0), NETLOAD_SCTP_PORT,
                                &flow_callbacks, f);
}

/* ---- datagrams -------------------------------------------------------- */

static void
netload_datagram (NetUdpSocket *sock, const NetDatagram *dgram, gpointer user_data)
{
  NetloadHost *h = user_data;
  Netload *m = h->m;
  NetloadHeader hd;
  if (!payload_parse (m, dgram->payload, &hd) || hd.flow != NETLOAD_NO_FLOW || hd.sender == h->index)
    {
      m->malformed++;
      return;
    }
  m->dg_received++;
  if (hd.sent >= m->warmup)
    sim_stat_add (&m->dg_latency, (double) (sim_kernel_now (m->kernel) - hd.sent) / SIM_S);
}

/* ---- the generator ---------------------------------------------------- */

static void
schedule_next (NetloadHost *h)
{
  Netload *m = h->m;
  SimTime when = sim_kernel_now (m->kernel) + sim_dist_sample_time (&m->interval, &h->interval_rng);
  if (when <= m->stop)
    h->next_message = sim_kernel_schedule_at (m->kernel, when, netload_message, h, NULL);
}

static void
netload_message (SimKernel *k, gpointer ctx, gpointer data)
{
  NetloadHost *h = ctx;
  Netload *m = h->m;
  h->next_message = SIM_EVENT_NONE;
  SimTime now = sim_kernel_now (k);
  gboolean datagram = sim_rng_bernoulli (&h->kind_rng, m->udp_fraction);
  double drawn = round (sim_dist_sample (&m->size, &h->size_rng));
  gsize size = (gsize) CLAMP (drawn, NETLOAD_HEADER_SIZE, NETLOAD_MAX_SIZE);
  if (datagram)
    {
      g_autoptr (GBytes) p = payload_new (size, now, h->datagram_seq++, NETLOAD_NO_FLOW, h->index);
      NetloadHost *peer = &m->hosts[h->peer];
      NetAddr dst = m->to_group ? NETLOAD_GROUP : net_host_address (peer->host, 0);
      m->dg_expected += m->to_group ? m->n_up - 1 : net_host_is_up (peer->host) ? 1 : 0;
      m->dg_sent++;
      net_udp_send (h->udp, dst, NETLOAD_UDP_PORT, m->kind_datagram, p);
    }
  else if (h->flow != NULL && h->flow->up)
    {
      NetloadFlow *f = h->flow;
      g_autoptr (GBytes) p = payload_new (size, now, f->sent, f->id, h->index);
      f->sent++;
      m->sent++;
      net_assoc_send (f->assoc, 0, NETLOAD_PPID, m->kind_message, p);
    }
  else
    m->blocked++;
  schedule_next (h);
}

/* The host is up (at the start or after a restart): listen, open the socket, connect, generate. */
static void
host_start (NetloadHost *h)
{
  Netload *m = h->m;
  m->n_up++;
  net_listen (h->host, NETLOAD_SCTP_PORT, netload_accept, h);
  h->udp = net_udp_open (h->host, NETLOAD_UDP_PORT, netload_datagram, h);
  if (m->to_group)
    net_udp_join (h->udp, NETLOAD_GROUP);
  netload_connect (h);
  schedule_next (h);
}

/* A crash took the host's association, listener and socket (sim/net.h): forget them and stop. */
static void
host_state (NetHost *host, gboolean up, gpointer user_data)
{
  NetloadHost *h = user_data;
  Netload *m = h->m;
  if (up)
    {
      host_start (h);
      return;
    }
  m->n_up--;
  h->udp = NULL;
  if (h->flow != NULL)
    {
      m->crashed++;
      flow_end (h->flow);
      h->flow = NULL;
    }
  sim_kernel_cancel (m->kernel, h->next_message);
  sim_kernel_cancel (m->kernel, h->reconnect);
  h->next_message = h->reconnect = SIM_EVENT_NONE;
}

/* ---- the model -------------------------------------------------------- */

static void netload_free (gpointer model);

static gboolean
capture_open (Netload *m, const SimModelContext *ctx, GError **error)
{
  if (ctx->pcap_lan != NULL && net_lan_lookup (m->net, ctx->pcap_lan) == NULL)
    {
      g_autoptr (GString) names = g_string_new ("");
      for (guint i = 0; i < net_n_lans (m->net); i++)
        g_string_append_printf (names, "%s%s", i > 0 ? ", " : "", net_lan_name (net_lan (m->net, i)));
      g_set_error (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID,
                   "--pcap-lan: no LAN is named '%s' (the LANs: %s)", ctx->pcap_lan, names->str);
      return FALSE;
    }
  g_autoptr (GError) local = NULL;
  if (!net_capture_open (m->net, ctx->pcap_path, ctx->pcap_lan, &local))
    {
      g_set_error (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_UNSUPPORTED, "%s", local->message);
      return FALSE;
    }
  return TRUE;
}

static gpointer
netload_create (const SimModelContext *ctx, GError **error)
{
  const SimParams *p = ctx->params;
  if (ctx->end == SIM_TIME_MAX)
    {
      g_set_error (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID,
                   "model netload generates traffic until sim-time-limit: set one");
      return NULL;
    }
  SimTime drain = sim_params_time (p, "netload.drain");
  if (drain >= ctx->end)
    {
      g_set_error (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID,
                   "netload.drain (%s) leaves no time to send before sim-time-limit (%s)",
                   sim_params_lookup (p, "netload.drain")->text, sim_params_lookup (p, "sim-time-limit")->text);
      return NULL;
    }
  NetConfig cfg;
  net_config_from_params (p, &cfg);
  if (cfg.lans == 0)
    {
      net_config_clear (&cfg);
      g_set_error (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID,
                   "model netload places its hosts on the LANs of net.lans: it must be at least 1");
      return NULL;
    }
  guint n_hosts = (guint) sim_params_int (p, "netload.hosts");
  if (n_hosts > (guint64) cfg.lans * NETLOAD_LAN_HOSTS)
    {
      g_set_error (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID,
                   "netload.hosts (%u) do not fit on net.lans (%u) LANs of %u addresses each", n_hosts, cfg.lans,
                   NETLOAD_LAN_HOSTS);
      net_config_clear (&cfg);
      return NULL;
    }
  Netload *m = g_new0 (Netload, 1);
  m->kernel = ctx->kernel;
  m->net = net_new (ctx->kernel, ctx->seed, &cfg);
  net_config_clear (&cfg);
  m->n_hosts = n_hosts;
  m->hosts = g_new0 (NetloadHost, m->n_hosts);
  m->flows = g_ptr_array_new_with_free_func (g_free);
  m->interval = *sim_params_dist (p, "netload.interval");
  m->size = *sim_params_dist (p, "netload.size");
  m->udp_fraction = sim_params_double (p, "netload.udp-fraction");
  m->to_group = g_str_equal (sim_params_string (p, "netload.udp-destination"), "group");
  m->reconnect_delay = sim_params_time (p, "netload.reconnect");
  m->warmup = ctx->warmup;
  m->stop = ctx->end - drain;
  m->kind_message = net_kind (m->net, "netload.message");
  m->kind_datagram = net_kind (m->net, "netload.datagram");
  sim_stat_init (&m->latency);
  sim_stat_init (&m->dg_latency);
  for (guint i = 0; i < m->n_hosts; i++)
    {
      NetloadHost *h = &m->hosts[i];
      g_autofree char *name = g_strdup_printf ("h%u", i);
      h->m = m;
      h->index = i;
      h->host = net_host_new (m->net, name, "netload", 0);
      net_host_add_address (h->host, net_lan (m->net, i % net_n_lans (m->net)), 0);
      net_host_set_state_callback (h->host, host_state, h);
      sim_rng_init_fmt (&h->interval_rng, ctx->seed, "netload/%u/interval", i);
      sim_rng_init_fmt (&h->size_rng, ctx->seed, "netload/%u/size", i);
      sim_rng_init_fmt (&h->kind_rng, ctx->seed, "netload/%u/kind", i);
      sim_rng_init_fmt (&h->peer_rng, ctx->seed, "netload/%u/peer", i);
    }
  for (guint i = 0; i < m->n_hosts; i++)
    host_start (&m->hosts[i]);
  g_autoptr (GError) local = NULL;
  if (!net_fail_apply_config (m->net, &local))
    {
      g_set_error (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID, "%s", local->message);
      netload_free (m);
      return NULL;
    }
  if (ctx->pcap_path != NULL && !capture_open (m, ctx, error))
    {
      netload_free (m);
      return NULL;
    }
  return m;
}

static void
record_count (SimRecorder *rec, const char *name, guint64 value, const char *unit)
{
  sim_record_scalar (rec, "netload", name, (double) value, unit);
}

static void
netload_finish (gpointer model, const SimModelContext *ctx)
{
  Netload *m = model;
  SimRecorder *rec = ctx->recorder;
  guint64 lost = 0, unfinished = 0;
  for (guint i = 0; i < m->flows->len; i++)
    {
      const NetloadFlow *f = m->flows->pdata[i];
      if (f->ended)
        lost += f->sent - f->delivered;
      else
        unfinished += f->sent - f->delivered;
    }
  record_count (rec, "netload.messages.sent", m->sent, "messages");
  record_count (rec, "netload.messages.blocked", m->blocked, "messages");
  record_count (rec, "netload.messages.delivered", m->delivered, "messages");
  record_count (rec, "netload.messages.lost", lost, "messages");
  record_count (rec, "netload.messages.unfinished", unfinished, "messages");
  record_count (rec, "netload.messages.out_of_order", m->out_of_order, "messages");
  record_count (rec, "netload.messages.duplicates", m->duplicates, "messages");
  record_count (rec, "netload.malformed", m->malformed, "messages");
  if (m->sent > 0)
    sim_record_scalar (rec, "netload", "netload.delivery_ratio", (double) m->delivered / (double) m->sent, "1");
  sim_record_statistic (rec, "netload", "netload.latency", &m->latency, "s");
  SimTime now = sim_kernel_now (m->kernel);
  if (now > m->warmup)
    {
      double secs = (double) (now - m->warmup) / SIM_S;
      sim_record_scalar (rec, "netload", "netload.throughput", (double) m->window_delivered / secs, "messages/s");
      sim_record_scalar (rec, "netload", "netload.goodput", 8.0 * (double) m->window_bytes / secs, "bit/s");
    }
  record_count (rec, "netload.datagrams.sent", m->dg_sent, "datagrams");
  record_count (rec, "netload.datagrams.expected", m->dg_expected, "datagrams");
  record_count (rec, "netload.datagrams.received", m->dg_received, "datagrams");
  /* A host that restarts while a copy is on its way gets one it was not expected to. */
  guint64 dg_lost = m->dg_expected - MIN (m->dg_received, m->dg_expected);
  record_count (rec, "netload.datagrams.lost", dg_lost, "datagrams");
  if (m->dg_expected > 0)
    sim_record_scalar (rec, "netload", "netload.datagrams.loss_ratio", (double) dg_lost / (double) m->dg_expected,
                       "1");
  sim_record_statistic (rec, "netload", "netload.datagrams.latency", &m->dg_latency, "s");
  static const struct { NetAssocEvent ev; const char *name; } ends[] = {
    { NET_ASSOC_COMM_LOST, "netload.assoc.comm_lost" },
    { NET_ASSOC_ABORTED, "netload.assoc.aborted" },
    { NET_ASSOC_REFUSED, "netload.assoc.refused" },
    { NET_ASSOC_CANT_START, "netload.assoc.cant_start" },
    { NET_ASSOC_RESTARTED, "netload.assoc.restarted" },
  };
  guint64 failures = m->crashed;
  for (gsize i = 0; i < G_N_ELEMENTS (ends); i++)
    {
      record_count (rec, ends[i].name, m->ended[ends[i].ev], "associations");
      failures += m->ended[ends[i].ev];
    }
  record_count (rec, "netload.assoc.crashed", m->crashed, "associations");
  record_count (rec, "netload.assoc.failures", failures, "associations");
  record_count (rec, "netload.assoc.opened", m->opened, "associations");
  record_count (rec, "netload.assoc.established", m->established, "associations");
  net_record (m->net, rec);
  g_autoptr (GError) error = NULL;
  if (!net_capture_close (m->net, &error))
    g_warning ("netload: the capture is incomplete: %s", error->message);
}

static void
netload_free (gpointer model)
{
  Netload *m = model;
  net_free (m->net);
  g_ptr_array_unref (m->flows);
  g_free (m->hosts);
  g_free (m);
}

static const SimParamDecl netload_params[] = {
  { "netload.hosts", SIM_PARAM_INT, "20", 2, 1e6, NULL,
    "Hosts h0, h1, ... (host hI on LAN lan<I mod net.lans>); each sends on one association to a peer." },
  { "netload.interval", SIM_PARAM_DIST_TIME, "exponential(100ms)", 1, G_MAXDOUBLE, NULL,
    "Time between two messages (or datagrams) a host generates." },
  { "netload.size", SIM_PARAM_DIST_SIZE, "constant(100B)", 1, NETLOAD_MAX_SIZE, NULL,
    "Size of a message's payload; samples are clamped to [24B, 65484B] (the header; one IPv4 packet)." },
  { "netload.udp-fraction", SIM_PARAM_DOUBLE, "0", 0, 1, NULL,
    "Probability that a generated message is a datagram instead of a message on the association." },
  { "netload.udp-destination", SIM_PARAM_ENUM, "peer", 0, 0, "peer,group",
    "Where datagrams go: the host's association peer, or the multicast group 239.0.0.1 all hosts join." },
  { "netload.reconnect", SIM_PARAM_TIME, "1s", 0, 9.2e18, NULL,
    "Delay before a host whose association ended opens a new one (to a newly drawn peer)." },
  { "netload.drain", SIM_PARAM_TIME, "0s", 0, 9.2e18, NULL,
    "Hosts generate nothing in this last part of the run, so that what was sent can arrive before the end." },
};

const SimModelType netload_model_type = {
  "netload",
  "Traffic on the virtual network: validates associations, datagrams, CPUs, failures and captures",
  netload_params,
  G_N_ELEMENTS (netload_params),
  netload_create,
  netload_finish,
  netload_free,
};
