/*
 * tests/test-sim-net-assoc.c - SCTP-like associations: handshake costs,
 * refusal, reliability and order under loss, RTO schedules and failure
 * detection, heartbeats, shutdown and abort, verification tags against
 * off-path injection, taps on associations, CPU backpressure, link failure,
 * determinism.
 *
 * Unless said otherwise: one LAN with 1 ms constant delay at 8 Mbps, so a
 * packet of N wire bytes takes N us to serialize. Wire sizes: INIT 60,
 * INIT-ACK 140 (cookie of 76 bytes), COOKIE-ECHO 112, COOKIE-ACK 36, ABORT 36,
 * DATA with 100 bytes of message 148.
 */
#include "config.h"

#include "net-test-util.h"

#define LAN_MS 1000000
#define DATA100 148000   /* ns */

/* One association end's application: a log of events and messages. */
typedef struct {
  SimKernel *kernel;
  NetAssoc  *assoc;
  GString   *log;        /* "up@t comm-lost@t ..." */
  GArray    *msg_times;  /* SimTime */
  GPtrArray *msgs;       /* GBytes*, received */
  SimTime    event_at[8];
  gboolean   refuse;
} App;

static void
app_init (App *app, SimKernel *k)
{
  memset (app, 0, sizeof *app);
  app->kernel = k;
  app->log = g_string_new ("");
  app->msg_times = g_array_new (FALSE, FALSE, sizeof (SimTime));
  app->msgs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (int i = 0; i < 8; i++)
    app->event_at[i] = -1;
}

static void
app_clear (App *app)
{
  g_string_free (app->log, TRUE);
  g_array_unref (app->msg_times);
  g_ptr_array_unref (app->msgs);
}

static void
app_event (NetAssoc *a, NetAssocEvent ev, gpointer user_data)
{
  App *app = user_data;
  app->event_at[ev] = sim_kernel_now (app->kernel);
  g_string_append_printf (app->log, "%s ", net_assoc_event_name (ev));
  if (ev != NET_ASSOC_UP)
    app->assoc = NULL;
}

static void
app_receive (NetAssoc *a, const NetMessage *m, gpointer user_data)
{
  App *app = user_data;
  SimTime now = sim_kernel_now (app->kernel);
  g_array_append_val (app->msg_times, now);
  g_ptr_array_add (app->msgs, g_bytes_ref (m->data));
}

static const NetAssocCallbacks app_callbacks = { app_event, app_receive };

static gboolean
app_accept (NetListener *l, NetAssoc *a, gpointer user_data)
{
  App *app = user_data;
  if (app->refuse)
    return FALSE;
  app->assoc = a;
  net_assoc_set_callbacks (a, &app_callbacks, app);
  return TRUE;
}

/* A client host, a server host listening on 9000, and their apps. */
typedef struct {
  TNet     t;
  NetHost *cli, *srv;
  App      capp, sapp;
} Pair;

static void
pair_init (Pair *p, guint64 seed, SimTime delay, gint64 bw, double loss)
{
  tnet_init (&p->t, seed, 1, delay, bw, loss);
  p->cli = tnet_host (&p->t, "cli", 0);
  p->srv = tnet_host (&p->t, "srv", 0);
  app_init (&p->capp, p->t.kernel);
  app_init (&p->sapp, p->t.kernel);
  net_listen (p->srv, 9000, app_accept, &p->sapp);
}

static void
pair_connect (Pair *p)
{
  p->capp.assoc = net_assoc_connect (p->cli, net_host_address (p->srv, 0), 9000, &app_callbacks, &p->capp);
}

static void
pair_clear (Pair *p)
{
  tnet_clear (&p->t);
  app_clear (&p->capp);
  app_clear (&p->sapp);
}

static void
run_until (Pair *p, SimTime t)
{
  sim_kernel_run (p->t.kernel, t);
}

/* ---- setup ------------------------------------------------------------ */

/* Four-way handshake: the server is up after 1.5 RTT, the client after 2 RTT, data 0.5 RTT later. */
static void
test_handshake_two_rtts (void)
{
  Pair p;
  pair_init (&p, 1, SIM_MS, 8000000, 0);
  pair_connect (&p);
  g_autoptr (GBytes) msg = tbytes (100, 0x11);
  g_assert_true (net_assoc_send (p.capp.assoc, 0, 11, 0, msg));
  g_assert_cmpuint (net_assoc_outstanding (p.capp.assoc), ==, 1);
  run_until (&p, SIM_S);
  g_assert_cmpint (p.sapp.event_at[NET_ASSOC_UP], ==, 3 * LAN_MS + (60 + 140 + 112) * SIM_US);
  g_assert_cmpint (p.capp.event_at[NET_ASSOC_UP], ==, 4 * LAN_MS + (60 + 140 + 112 + 36) * SIM_US);
  g_assert_cmpuint (p.sapp.msg_times->len, ==, 1);
  g_assert_cmpint (g_array_index (p.sapp.msg_times, SimTime, 0), ==, 5 * LAN_MS + 348 * SIM_US + DATA100);
  g_assert_true (net_assoc_is_up (p.capp.assoc));
  g_assert_cmpuint (net_assoc_outstanding (p.capp.assoc), ==, 0);
  /* Both ends know the peer's address; the server's view of the client port is the client's port. */
  g_assert_cmpuint (g_array_index (net_assoc_peer_addrs (p.capp.assoc), NetAddr, 0), ==,
                    net_host_address (p.srv, 0));
  g_assert_cmpuint (net_assoc_peer_port (p.sapp.assoc), ==, net_assoc_local_port (p.capp.assoc));
  pair_clear (&p);
}

/* INIT to a port without listener: ABORT, REFUSED after one round trip. */
static void
test_refused_no_listener (void)
{
  Pair p;
  pair_init (&p, 1, SIM_MS, 8000000, 0);
  p.capp.assoc = net_assoc_connect (p.cli, net_host_address (p.srv, 0), 9999, &app_callbacks, &p.capp);
  run_until (&p, SIM_TIME_MAX);
  g_assert_cmpstr (p.capp.log->str, ==, "refused ");
  g_assert_cmpint (p.capp.event_at[NET_ASSOC_REFUSED], ==, 2 * LAN_MS + (60 + 36) * SIM_US);
  pair_clear (&p);
}

/* The listener refuses at the COOKIE-ECHO: ABORT, REFUSED after two round trips. */
static void
test_refused_by_accept (void)
{
  Pair p;
  pair_init (&p, 1, SIM_MS, 8000000, 0);
  p.sapp.refuse = TRUE;
  pair_connect (&p);
  run_until (&p, SIM_TIME_MAX);
  g_assert_cmpstr (p.capp.log->str, ==, "refused ");
  g_assert_cmpstr (p.sapp.log->str, ==, "");
  g_assert_cmpint (p.capp.event_at[NET_ASSOC_REFUSED], ==, 4 * LAN_MS + (60 + 140 + 112 + 36) * SIM_US);
  pair_clear (&p);
}

/* INIT to a dead host: T1 3 s doubling to 60 s, 8 retransmissions, then CANT_START at 333 s. */
static void
test_cant_start (void)
{
  Pair p;
  pair_init (&p, 1, SIM_MS, 8000000, 0);
  net_host_crash (p.srv);
  pair_connect (&p);
  run_until (&p, SIM_TIME_MAX);
  g_assert_cmpstr (p.capp.log->str, ==, "cant-start ");
  g_assert_cmpint (p.capp.event_at[NET_ASSOC_CANT_START], ==, (3 + 6 + 12 + 24 + 48 + 60 + 60 + 60 + 60) * SIM_S);
  pair_clear (&p);
}

/* ---- reliability ------------------------------------------------------ */

typedef struct {
  Pair   *p;
  guint32 next;
  guint32 total;
} Pacer;

static void
pace (SimKernel *k, gpointer ctx, gpointer data)
{
  Pacer *pc = ctx;
  guint8 b[100] = { 0 };
  b[0] = (guint8) (pc->next >> 24);
  b[1] = (guint8) (pc->next >> 16);
  b[2] = (guint8) (pc->next >> 8);
  b[3] = (guint8) pc->next;
  g_autoptr (GBytes) msg = g_bytes_new (b, sizeof b);
  g_assert_true (net_assoc_send (pc->p->capp.assoc, (guint16) (pc->next % 2), 11, 0, msg));
  if (++pc->next < pc->total)
    sim_kernel_schedule (k, SIM_MS, pace, pc, NULL);
}

static guint32
msg_index (GBytes *b)
{
  const guint8 *d = g_bytes_get_data (b, NULL);
  return (guint32) d[0] << 24 | (guint32) d[1] << 16 | (guint32) d[2] << 8 | d[3];
}

/* Under 20 % loss each way, 10^4 messages on two streams all arrive, once, in order per stream. */
static void
test_ordered_under_loss (void)
{
  Pair p;
  pair_init (&p, 42, SIM_MS, 100000000, 0.2);
  pair_connect (&p);
  Pacer pc = { &p, 0, 10000 };
  sim_kernel_schedule (p.t.kernel, 0, pace, &pc, NULL);
  run_until (&p, 600 * SIM_S);
  g_assert_cmpstr (p.capp.log->str, ==, "up ");
  g_assert_cmpuint (p.sapp.msgs->len, ==, 10000);
  guint32 last[2] = { 0, 1 };
  gboolean first[2] = { TRUE, TRUE };
  for (guint i = 0; i < p.sapp.msgs->len; i++)
    {
      guint32 idx = msg_index (p.sapp.msgs->pdata[i]);
      guint s = idx % 2;
      if (!first[s])
        g_assert_cmpuint (idx, ==, last[s] + 2);
      else
        g_assert_cmpuint (idx, ==, s);
      first[s] = FALSE;
      last[s] = idx;
    }
  g_assert_cmpuint (last[0], ==, 9998);
  g_assert_cmpuint (last[1], ==, 9999);
  g_assert_cmpuint (net_stats (p.t.net)->retransmissions, >, 2000);
  g_assert_cmpuint (net_assoc_outstanding (p.capp.assoc), ==, 0);
  pair_clear (&p);
}

/* Establish, exchange one message (RTO becomes RTO.Min), let `at` pass. */
static void
pair_established (Pair *p, SimTime at)
{
  pair_connect (p);
  g_autoptr (GBytes) msg = tbytes (100, 1);
  net_assoc_send (p->capp.assoc, 0, 11, 0, msg);
  run_until (p, at);
  g_assert_cmpuint (p->sapp.msgs->len, ==, 1);
  g_assert_cmpint (net_assoc_rto (p->capp.assoc), ==, SIM_S);
}

/* Data to a crashed peer: COMM_LOST after 11 T3 expiries, 1+2+4+...+32+60x5 = 363 s after the send. */
static void
test_comm_lost_rto_schedule (void)
{
  Pair p;
  pair_init (&p, 1, SIM_MS, 8000000, 0);
  pair_established (&p, 10 * SIM_S);
  net_host_crash (p.srv);
  g_autoptr (GBytes) msg = tbytes (100, 2);
  net_assoc_send (p.capp.assoc, 0, 11, 0, msg);
  run_until (&p, SIM_TIME_MAX);
  g_assert_cmpstr (p.capp.log->str, ==, "up comm-lost ");
  g_assert_cmpint (p.capp.event_at[NET_ASSOC_COMM_LOST], ==, 10 * SIM_S + 363 * SIM_S);
  g_assert_cmpuint (net_stats (p.t.net)->retransmissions, ==, 10);
  pair_clear (&p);
}

/* An idle association notices a dead peer by heartbeats: 12 beats apart of HB.interval + RTO (jittered, backed off). */
static void
test_heartbeat_detects_dead_peer (void)
{
  Pair p;
  pair_init (&p, 1, SIM_MS, 8000000, 0);
  pair_connect (&p);
  run_until (&p, 10 * SIM_S);
  net_host_crash (p.srv);
  run_until (&p, SIM_TIME_MAX);
  g_assert_cmpstr (p.capp.log->str, ==, "up comm-lost ");
  /* First beat after the crash in [31.5 s, 34.6 s]; then 11 intervals 30 s + [RTO/2, 3 RTO/2], RTO 3 s doubling to 60 s. */
  SimTime at = p.capp.event_at[NET_ASSOC_COMM_LOST];
  g_assert_cmpint (at, >=, 31500 * SIM_MS + 330 * SIM_S + 453 * SIM_S / 2);
  g_assert_cmpint (at, <=, 34600 * SIM_MS + 330 * SIM_S + 453 * SIM_S * 3 / 2);
  pair_clear (&p);
}

/* A peer that restarted answers old-association DATA with ABORT (T bit): ABORTED after one round trip. */
static void
test_peer_restart_aborts (void)
{
  Pair p;
  pair_init (&p, 1, SIM_MS, 8000000, 0);
  pair_established (&p, 10 * SIM_S);
  net_host_crash (p.srv);
  net_host_restart (p.srv);
  run_until (&p, 12 * SIM_S);
  g_autoptr (GBytes) msg = tbytes (100, 2);
  net_assoc_send (p.capp.assoc, 0, 11, 0, msg);
  run_until (&p, SIM_TIME_MAX);
  g_assert_cmpstr (p.capp.log->str, ==, "up aborted ");
  g_assert_cmpint (p.capp.event_at[NET_ASSOC_ABORTED], ==, 12 * SIM_S + 2 * LAN_MS + DATA100 + 36 * SIM_US);
  pair_clear (&p);
}

/* Graceful shutdown: what was sent is delivered first, then both ends are CLOSED. */
static void
test_shutdown (void)
{
  Pair p;
  pair_init (&p, 1, SIM_MS, 8000000, 0);
  pair_connect (&p);
  run_until (&p, SIM_S);
  for (int i = 0; i < 3; i++)
    {
      g_autoptr (GBytes) msg = tbytes (100, (guint8) i);
      net_assoc_send (p.capp.assoc, 0, 11, 0, msg);
    }
  net_assoc_shutdown (p.capp.assoc);
  g_autoptr (GBytes) late = tbytes (100, 9);
  g_assert_false (net_assoc_send (p.capp.assoc, 0, 11, 0, late));
  run_until (&p, SIM_TIME_MAX);
  g_assert_cmpuint (p.sapp.msgs->len, ==, 3);
  g_assert_cmpstr (p.capp.log->str, ==, "up closed ");
  g_assert_cmpstr (p.sapp.log->str, ==, "up closed ");
  g_assert_cmpuint (g_hash_table_size (p.cli->assocs), ==, 0);
  g_assert_cmpuint (g_hash_table_size (p.srv->assocs), ==, 0);
  pair_clear (&p);
}

/* Abort: gone at once here, ABORTED there after one way. */
static void
test_abort (void)
{
  Pair p;
  pair_init (&p, 1, SIM_MS, 8000000, 0);
  pair_connect (&p);
  run_until (&p, SIM_S);
  net_assoc_abort (p.capp.assoc);
  p.capp.assoc = NULL;
  run_until (&p, SIM_TIME_MAX);
  g_assert_cmpstr (p.capp.log->str, ==, "up ");
  g_assert_cmpstr (p.sapp.log->str, ==, "up aborted ");
  g_assert_cmpint (p.sapp.event_at[NET_ASSOC_ABORTED], ==, SIM_S + LAN_MS + 36 * SIM_US);
  pair_clear (&p);
}

/* ---- adversaries ------------------------------------------------------ */

/* An off-path host guessing the tag cannot inject DATA nor ABORT into an association. */
static void
test_off_path_cannot_inject (void)
{
  Pair p;
  pair_init (&p, 1, SIM_MS, 8000000, 0);
  NetHost *evil = net_host_new (p.t.net, "evil", "adversary", NET_HOST_ADVERSARY);
  net_host_add_address (evil, net_lan (p.t.net, 0), 0);
  pair_established (&p, SIM_S);
  SimRng guess;
  sim_rng_init (&guess, 99, "test/guess");
  for (int i = 0; i < 100; i++)
    {
      NetPacket *pkt = net_packet_new ();
      pkt->proto = NET_PROTO_SCTP;
      pkt->src = net_host_address (p.cli, 0);
      pkt->dst = net_host_address (p.srv, 0);
      pkt->sport = net_assoc_local_port (p.capp.assoc);
      pkt->dport = 9000;
      pkt->vtag = (guint32) sim_rng_next (&guess);
      pkt->chunk = i % 2 ? NET_CHUNK_DATA : NET_CHUNK_ABORT;
      pkt->flags = i % 2 ? NET_CHUNK_FLAG_BE : 0;
      pkt->tsn = (guint32) sim_rng_next (&guess);
      g_autoptr (GBytes) m = tbytes (100, 0x66);
      net_packet_set_payload (pkt, m);
      net_host_send_raw (evil, pkt);
    }
  run_until (&p, 2 * SIM_S);
  g_assert_cmpuint (net_stats (p.t.net)->sctp_bad_vtag, ==, 100);
  g_assert_cmpuint (p.sapp.msgs->len, ==, 1);
  g_assert_cmpstr (p.sapp.log->str, ==, "up ");
  g_assert_true (net_assoc_is_up (p.capp.assoc));
  pair_clear (&p);
}

/* An on-path tap on associations, in one of several modes. */
typedef struct {
  NetTap    *tap;
  int        mode;    /* 0 drop first DATA, 1 delay DATA 500 ms, 2 modify, 3 replay, 4 inject after first */
  guint      seen;
  NetPacket *kept;
} ATap;

static void
atap_replay (SimKernel *k, gpointer ctx, gpointer data)
{
  ATap *t = ctx;
  net_tap_inject (t->tap, g_steal_pointer (&t->kept));
}

static NetTapVerdict
atap_fn (NetTap *tap, NetPacket *pkt, SimTime *delay, gpointer user_data)
{
  ATap *t = user_data;
  if (pkt->proto != NET_PROTO_SCTP || pkt->chunk != NET_CHUNK_DATA || pkt->dport != 9000)
    return NET_TAP_PASS;
  t->seen++;
  switch (t->mode)
    {
    case 0:
      return t->seen == 1 ? NET_TAP_DROP : NET_TAP_PASS;
    case 1:
      *delay = 500 * SIM_MS;
      return NET_TAP_DELAY;
    case 2:
      {
        g_autoptr (GBytes) evil = tbytes (100, 0xEE);
        net_packet_set_payload (pkt, evil);
        return NET_TAP_PASS;
      }
    case 3:
      if (t->seen == 1)
        {
          t->kept = net_packet_copy (pkt);
          sim_kernel_schedule (net_kernel (net_tap_net (tap)), SIM_S, atap_replay, t, NULL);
        }
      return NET_TAP_PASS;
    case 4:
      if (t->seen == 1)
        {
          /* Learned on the path: tag, TSN, SSN. Forge the next message. */
          NetPacket *f = net_packet_copy (pkt);
          f->tsn++;
          f->ssn++;
          g_autoptr (GBytes) evil = tbytes (100, 0x66);
          net_packet_set_payload (f, evil);
          net_tap_inject (tap, f);
        }
      return NET_TAP_PASS;
    }
  g_assert_not_reached ();
}

static void
run_assoc_tap (Pair *p, ATap *t, int mode, int messages)
{
  pair_init (p, 1, SIM_MS, 8000000, 0);
  NetHost *evil = net_host_new (p->t.net, "evil", "adversary", NET_HOST_ADVERSARY);
  *t = (ATap) { NULL, mode, 0, NULL };
  t->tap = net_tap_attach_lan (net_lan (p->t.net, 0), evil, atap_fn, t);
  pair_connect (p);
  for (int i = 0; i < messages; i++)
    {
      g_autoptr (GBytes) msg = tbytes (100, (guint8) (0x11 * (i + 1)));
      net_assoc_send (p->capp.assoc, 0, 11, 0, msg);
      run_until (p, (i + 1) * 2 * SIM_S);
    }
  run_until (p, 20 * SIM_S);
}

static guint8
first_byte (GPtrArray *msgs, guint i)
{
  return ((const guint8 *) g_bytes_get_data (msgs->pdata[i], NULL))[0];
}

/* Drop: SCTP recovers by T3-rtx, RTO.Initial (3 s) after the send. */
static void
test_tap_assoc_drop (void)
{
  Pair p;
  ATap t;
  run_assoc_tap (&p, &t, 0, 1);
  g_assert_cmpuint (p.sapp.msgs->len, ==, 1);
  g_assert_cmpint (g_array_index (p.sapp.msg_times, SimTime, 0), ==,
                   4 * LAN_MS + 348 * SIM_US + 3 * SIM_S + LAN_MS + DATA100);
  pair_clear (&p);
}

/* Delay: the message arrives exactly 500 ms late. */
static void
test_tap_assoc_delay (void)
{
  Pair p;
  ATap t;
  run_assoc_tap (&p, &t, 1, 1);
  g_assert_cmpuint (p.sapp.msgs->len, ==, 1);
  g_assert_cmpint (g_array_index (p.sapp.msg_times, SimTime, 0), ==, 5 * LAN_MS + 348 * SIM_US + DATA100 + 500 * SIM_MS);
  pair_clear (&p);
}

/* Modify: SCTP has no integrity; the receiver gets the tap's bytes. */
static void
test_tap_assoc_modify (void)
{
  Pair p;
  ATap t;
  run_assoc_tap (&p, &t, 2, 1);
  g_assert_cmpuint (p.sapp.msgs->len, ==, 1);
  g_assert_cmpuint (first_byte (p.sapp.msgs, 0), ==, 0xEE);
  pair_clear (&p);
}

/* Replay inside an association: a duplicate TSN, acknowledged and not delivered again. */
static void
test_tap_assoc_replay (void)
{
  Pair p;
  ATap t;
  run_assoc_tap (&p, &t, 3, 1);
  g_assert_cmpuint (net_stats (p.t.net)->tap_injected, ==, 1);
  g_assert_cmpuint (p.sapp.msgs->len, ==, 1);
  g_assert_cmpuint (first_byte (p.sapp.msgs, 0), ==, 0x11);
  pair_clear (&p);
}

/* Inject on path: a forged next message is delivered; the sender's real one becomes a duplicate. */
static void
test_tap_assoc_inject (void)
{
  Pair p;
  ATap t;
  run_assoc_tap (&p, &t, 4, 2);
  g_assert_cmpuint (p.sapp.msgs->len, ==, 2);
  g_assert_cmpuint (first_byte (p.sapp.msgs, 0), ==, 0x11);
  g_assert_cmpuint (first_byte (p.sapp.msgs, 1), ==, 0x66);
  g_assert_cmpuint (net_assoc_outstanding (p.capp.assoc), ==, 0);
  pair_clear (&p);
}

/* A full receiver CPU discards DATA unacknowledged: retransmissions deliver everything, in order. */
static void
test_cpu_full_retransmits (void)
{
  Pair p;
  pair_init (&p, 1, SIM_MS, 8000000, 0);
  p.t.net->cfg.cpu_capacity = 1;
  p.t.net->cfg.cpu_service = (SimDist) { SIM_DIST_CONSTANT, SIM_UNIT_TIME, 100e6, 0 };
  pair_connect (&p);
  run_until (&p, SIM_S / 2);
  for (int i = 0; i < 3; i++)
    {
      g_autoptr (GBytes) msg = tbytes (100, (guint8) i);
      net_assoc_send (p.capp.assoc, 0, 11, 0, msg);
    }
  run_until (&p, 30 * SIM_S);
  g_assert_cmpuint (p.sapp.msgs->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (first_byte (p.sapp.msgs, i), ==, i);
  NetCpuStats st;
  net_host_cpu_stats (p.srv, &st);
  g_assert_cmpuint (st.dropped, ==, 3);
  pair_clear (&p);
}

/* A WAN link down for 10 s: the message sent meanwhile arrives with the first retransmission after it is back. */
static void
test_link_failure_recovers (void)
{
  Pair p;
  tnet_init (&p.t, 1, 2, SIM_MS, 8000000, 0);
  p.cli = tnet_host (&p.t, "cli", 0);
  p.srv = tnet_host (&p.t, "srv", 1);
  app_init (&p.capp, p.t.kernel);
  app_init (&p.sapp, p.t.kernel);
  net_listen (p.srv, 9000, app_accept, &p.sapp);
  pair_established (&p, SIM_S);
  g_autoptr (GError) error = NULL;
  g_assert_true (net_fail_schedule (p.t.net, "wan0-1", SIM_S, 11 * SIM_S, &error));
  run_until (&p, 2 * SIM_S);
  g_autoptr (GBytes) msg = tbytes (100, 2);
  net_assoc_send (p.capp.assoc, 0, 11, 0, msg);
  run_until (&p, 30 * SIM_S);
  g_assert_cmpuint (p.sapp.msgs->len, ==, 2);
  /* T3 at 3, 5, 9 s lose; the one at 17 s crosses lan0, wan0-1, lan1. */
  g_assert_cmpint (g_array_index (p.sapp.msg_times, SimTime, 1), ==,
                   17 * SIM_S + 3 * DATA100 + 2 * LAN_MS + 10 * LAN_MS);
  g_assert_cmpstr (p.capp.log->str, ==, "up ");
  pair_clear (&p);
}

/* ---- determinism ------------------------------------------------------ */

static void
trace_recv (NetAssoc *a, const NetMessage *m, gpointer user_data)
{
  GString *s = user_data;
  g_string_append_printf (s, "%" G_GINT64_FORMAT ":%s:%u ", sim_kernel_now (net_kernel (net_host_net (net_assoc_host (a)))),
                          net_host_name (net_assoc_host (a)), ((const guint8 *) g_bytes_get_data (m->data, NULL))[0]);
}

static void
trace_event (NetAssoc *a, NetAssocEvent ev, gpointer user_data)
{
  GString *s = user_data;
  g_string_append_printf (s, "%" G_GINT64_FORMAT ":%s ", sim_kernel_now (net_kernel (net_host_net (net_assoc_host (a)))),
                          net_assoc_event_name (ev));
}

static const NetAssocCallbacks trace_callbacks = { trace_event, trace_recv };

static gboolean
trace_accept (NetListener *l, NetAssoc *a, gpointer user_data)
{
  net_assoc_set_callbacks (a, &trace_callbacks, user_data);
  return TRUE;
}

static void
trace_udp (NetUdpSocket *sock, const NetDatagram *d, gpointer user_data)
{
  GString *s = user_data;
  g_string_append_printf (s, "%" G_GINT64_FORMAT ":udp:%u ", sim_kernel_now (net_kernel (net_host_net (net_udp_host (sock)))),
                          ((const guint8 *) g_bytes_get_data (d->payload, NULL))[0]);
}

typedef struct {
  NetAssoc     *a[2];
  NetUdpSocket *u;
  NetAddr       srv;
  int           n;
} TraceLoad;

static void
trace_tick (SimKernel *k, gpointer ctx, gpointer data)
{
  TraceLoad *l = ctx;
  g_autoptr (GBytes) msg = tbytes (200, (guint8) l->n);
  net_assoc_send (l->a[l->n % 2], 0, 12, 0, msg);
  net_udp_send (l->u, l->srv, 5000, 0, msg);
  if (++l->n < 2000)
    sim_kernel_schedule (k, 3 * SIM_MS, trace_tick, l, NULL);
}

/* A lossy run with random delays, CPU costs, two associations and datagrams, as one trace string. */
static char *
lossy_trace (guint64 seed)
{
  TNet t;
  tnet_init (&t, seed, 1, SIM_MS, 10000000, 0.1);
  net_lan (t.net, 0)->place.cfg.delay = (SimDist) { SIM_DIST_UNIFORM, SIM_UNIT_TIME, 2e5, 4e6 };
  t.net->cfg.cpu_service = (SimDist) { SIM_DIST_EXPONENTIAL, SIM_UNIT_TIME, 1e6, 0 };
  NetHost *a = tnet_host (&t, "a", 0), *b = tnet_host (&t, "b", 0), *srv = tnet_host (&t, "srv", 0);
  GString *s = g_string_new ("");
  net_listen (srv, 9000, trace_accept, s);
  net_udp_open (srv, 5000, trace_udp, s);
  TraceLoad l = { { net_assoc_connect (a, net_host_address (srv, 0), 9000, &trace_callbacks, s),
                    net_assoc_connect (b, net_host_address (srv, 0), 9000, &trace_callbacks, s) },
                  net_udp_open (a, 0, trace_udp, s), net_host_address (srv, 0), 0 };
  sim_kernel_schedule (t.kernel, 0, trace_tick, &l, NULL);
  sim_kernel_run (t.kernel, 60 * SIM_S);
  g_string_append_printf (s, "events=%" G_GUINT64_FORMAT, sim_kernel_events_executed (t.kernel));
  tnet_clear (&t);
  return g_string_free (s, FALSE);
}

/* The same seed gives the same trace, bit for bit; another seed another one. */
static void
test_determinism (void)
{
  g_autofree char *one = lossy_trace (5), *two = lossy_trace (5), *other = lossy_trace (6);
  g_assert_cmpuint (strlen (one), >, 20000);
  g_assert_cmpstr (one, ==, two);
  g_assert_cmpstr (one, !=, other);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/net/assoc/handshake-two-rtts", test_handshake_two_rtts);
  g_test_add_func ("/sim/net/assoc/refused-no-listener", test_refused_no_listener);
  g_test_add_func ("/sim/net/assoc/refused-by-accept", test_refused_by_accept);
  g_test_add_func ("/sim/net/assoc/cant-start", test_cant_start);
  g_test_add_func ("/sim/net/assoc/ordered-under-loss", test_ordered_under_loss);
  g_test_add_func ("/sim/net/assoc/comm-lost-rto-schedule", test_comm_lost_rto_schedule);
  g_test_add_func ("/sim/net/assoc/heartbeat-detects-dead-peer", test_heartbeat_detects_dead_peer);
  g_test_add_func ("/sim/net/assoc/peer-restart-aborts", test_peer_restart_aborts);
  g_test_add_func ("/sim/net/assoc/shutdown", test_shutdown);
  g_test_add_func ("/sim/net/assoc/abort", test_abort);
  g_test_add_func ("/sim/net/assoc/off-path-cannot-inject", test_off_path_cannot_inject);
  g_test_add_func ("/sim/net/tap/assoc-drop", test_tap_assoc_drop);
  g_test_add_func ("/sim/net/tap/assoc-delay", test_tap_assoc_delay);
  g_test_add_func ("/sim/net/tap/assoc-modify", test_tap_assoc_modify);
  g_test_add_func ("/sim/net/tap/assoc-replay", test_tap_assoc_replay);
  g_test_add_func ("/sim/net/tap/assoc-inject", test_tap_assoc_inject);
  g_test_add_func ("/sim/net/assoc/cpu-full-retransmits", test_cpu_full_retransmits);
  g_test_add_func ("/sim/net/assoc/link-failure-recovers", test_link_failure_recovers);
  g_test_add_func ("/sim/net/determinism/lossy-twice", test_determinism);
  return g_test_run ();
}
