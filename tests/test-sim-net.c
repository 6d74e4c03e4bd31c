/*
 * tests/test-sim-net.c - the virtual network's core: scenario keys, delay and
 * serialization arithmetic, paths, loss, UDP and multicast, host CPUs, taps,
 * failures, packet bytes, stream independence.
 */
#include "config.h"

#include "net-test-util.h"
#include "sim/pcap.h"
#include "sim/scenario.h"

#include <glib/gstdio.h>
#include <math.h>

/* ---- keys ------------------------------------------------------------- */

/* The declared defaults are RFC 4960's protocol parameters. */
static void
test_params_defaults (void)
{
  NetConfig cfg;
  net_config_init (&cfg);
  g_assert_cmpuint (cfg.lans, ==, 1);
  g_assert_cmpint (cfg.sctp.rto_initial, ==, 3 * SIM_S);
  g_assert_cmpint (cfg.sctp.rto_min, ==, 1 * SIM_S);
  g_assert_cmpint (cfg.sctp.rto_max, ==, 60 * SIM_S);
  g_assert_cmpuint (cfg.sctp.max_retrans, ==, 10);
  g_assert_cmpuint (cfg.sctp.max_init_retrans, ==, 8);
  g_assert_cmpint (cfg.sctp.hb_interval, ==, 30 * SIM_S);
  g_assert_cmpint (cfg.lan.bandwidth, ==, 100000000);
  g_assert_cmpint (cfg.cpu_capacity, ==, 1000);
  g_assert_cmpstr (cfg.fail_schedule, ==, "");
  net_config_clear (&cfg);
}

/* An impossible value in a scenario is an error naming file, line and key. */
static void
test_params_scenario_error (void)
{
  g_autoptr (SimParamTable) table = sim_param_table_new ();
  gsize n;
  const SimParamDecl *core = sim_scenario_core_params (&n);
  sim_param_table_add (table, core, n);
  const SimParamDecl *decls = net_params (&n);
  sim_param_table_add (table, decls, n);
  g_autofree char *dir = g_dir_make_tmp ("poolsim-net-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "s.ini", NULL);
  g_assert_true (g_file_set_contents (path, "[General]\nnet.lan.delay = 2ms\nnet.lan.loss = 1.5\n", -1, NULL));
  g_autoptr (GError) error = NULL;
  g_autoptr (SimScenario) sc = sim_scenario_load (path, table, &error);
  g_autoptr (SimRunSpec) spec = NULL;
  if (sc != NULL)
    spec = sim_scenario_run (sc, "General", 0, &error);
  g_assert_null (spec);
  g_assert_nonnull (error);
  g_autofree char *expect = g_strconcat (path, ":3: net.lan.loss:", NULL);
  g_assert_true (g_str_has_prefix (error->message, expect));
  g_unlink (path);
  g_rmdir (dir);
}

/* ---- timing ----------------------------------------------------------- */

/* 1000 bytes over 10 Mbps with 1 ms access delay: (1000 + 28) x 8 / 10^7 s + 1 ms, FIFO behind. */
static void
test_lan_serialization_exact (void)
{
  TNet t;
  tnet_init (&t, 1, 1, SIM_MS, 10000000, 0);
  NetHost *a = tnet_host (&t, "a", 0), *b = tnet_host (&t, "b", 0);
  TSink sink;
  tsink_init (&sink, t.kernel);
  NetUdpSocket *rx = net_udp_open (b, 5000, tsink_recv, &sink);
  NetUdpSocket *tx = net_udp_open (a, 0, tsink_recv, NULL);
  g_autoptr (GBytes) msg = tbytes (1000, 1);
  net_udp_send (tx, net_host_address (b, 0), 5000, 0, msg);
  net_udp_send (tx, net_host_address (b, 0), 5000, 0, msg);
  sim_kernel_run (t.kernel, SIM_TIME_MAX);
  g_assert_cmpuint (sink.times->len, ==, 2);
  g_assert_cmpint (g_array_index (sink.times, SimTime, 0), ==, 822400 + 1000000);
  g_assert_cmpint (g_array_index (sink.times, SimTime, 1), ==, 2 * 822400 + 1000000);
  g_assert_cmpuint (net_udp_port (rx), ==, 5000);
  tsink_clear (&sink);
  tnet_clear (&t);
}

typedef struct {
  guint count;
} TapCount;

static NetTapVerdict
tap_count (NetTap *tap, NetPacket *pkt, SimTime *delay, gpointer user_data)
{
  ((TapCount *) user_data)->count++;
  return NET_TAP_PASS;
}

/* lan1 -> lan2 over the star's hub: four crossings, exact time; the hub LAN is not crossed. */
static void
test_wan_path (void)
{
  TNet t;
  tnet_init (&t, 1, 3, SIM_MS, 10000000, 0);
  NetHost *a = tnet_host (&t, "a", 1), *c = tnet_host (&t, "c", 2);
  NetHost *spy = net_host_new (t.net, "spy", "adversary", NET_HOST_ADVERSARY);
  TapCount seen[5] = { { 0 } };
  net_tap_attach_lan (net_lan (t.net, 0), spy, tap_count, &seen[0]);
  net_tap_attach_lan (net_lan (t.net, 1), spy, tap_count, &seen[1]);
  net_tap_attach_lan (net_lan (t.net, 2), spy, tap_count, &seen[2]);
  net_tap_attach_link (net_link_lookup (t.net, "wan0-1"), spy, tap_count, &seen[3]);
  net_tap_attach_link (net_link_lookup (t.net, "wan0-2"), spy, tap_count, &seen[4]);
  TSink sink;
  tsink_init (&sink, t.kernel);
  net_udp_open (c, 5000, tsink_recv, &sink);
  NetUdpSocket *tx = net_udp_open (a, 0, tsink_recv, NULL);
  g_autoptr (GBytes) msg = tbytes (1000, 1);
  net_udp_send (tx, net_host_address (c, 0), 5000, 0, msg);
  sim_kernel_run (t.kernel, SIM_TIME_MAX);
  g_assert_cmpuint (sink.times->len, ==, 1);
  g_assert_cmpint (g_array_index (sink.times, SimTime, 0), ==, 4 * 822400 + 2 * SIM_MS + 2 * 10 * SIM_MS);
  guint expect[5] = { 0, 1, 1, 1, 1 };
  for (int i = 0; i < 5; i++)
    g_assert_cmpuint (seen[i].count, ==, expect[i]);
  g_assert_cmpuint (net_stats (t.net)->crossings, ==, 4);
  tsink_clear (&sink);
  tnet_clear (&t);
}

/* 10^5 datagrams over a LAN with 10 % loss: 90000 +- 4 sigma arrive. */
static void
test_lan_loss_rate (void)
{
  TNet t;
  tnet_init (&t, 7, 1, SIM_MS, 1000000000, 0.1);
  NetHost *a = tnet_host (&t, "a", 0), *b = tnet_host (&t, "b", 0);
  TSink sink;
  tsink_init (&sink, t.kernel);
  net_udp_open (b, 5000, tsink_recv, &sink);
  NetUdpSocket *tx = net_udp_open (a, 0, tsink_recv, NULL);
  g_autoptr (GBytes) msg = tbytes (20, 1);
  t.net->cfg.cpu_capacity = 0;
  for (int i = 0; i < 100000; i++)
    net_udp_send (tx, net_host_address (b, 0), 5000, 0, msg);
  sim_kernel_run (t.kernel, SIM_TIME_MAX);
  double sigma = sqrt (100000 * 0.1 * 0.9);
  g_assert_cmpfloat (fabs ((double) sink.times->len - 90000), <, 4 * sigma);
  g_assert_cmpuint (net_stats (t.net)->lost_random + sink.times->len, ==, 100000);
  tsink_clear (&sink);
  tnet_clear (&t);
}

/* ---- UDP and multicast ------------------------------------------------ */

/* Only an adversary host may forge a source address; the receiver sees the forged one. */
static void
test_udp_forge (void)
{
  TNet t;
  tnet_init (&t, 1, 1, SIM_MS, 100000000, 0);
  NetHost *b = tnet_host (&t, "b", 0), *honest = tnet_host (&t, "honest", 0);
  NetHost *evil = net_host_new (t.net, "evil", "adversary", NET_HOST_ADVERSARY);
  net_host_add_address (evil, net_lan (t.net, 0), 0);
  TSink sink;
  tsink_init (&sink, t.kernel);
  net_udp_open (b, 5000, tsink_recv, &sink);
  NetUdpSocket *es = net_udp_open (evil, 0, tsink_recv, NULL);
  NetUdpSocket *hs = net_udp_open (honest, 0, tsink_recv, NULL);
  g_autoptr (GBytes) msg = tbytes (10, 7);
  NetAddr victim = net_addr (10, 0, 9, 9);
  net_udp_send_from (es, victim, net_host_address (b, 0), 5000, 0, msg);
  g_test_expect_message (NULL, G_LOG_LEVEL_CRITICAL, "*assertion*");
  net_udp_send_from (hs, victim, net_host_address (b, 0), 5000, 0, msg);
  g_test_assert_expected_messages ();
  sim_kernel_run (t.kernel, SIM_TIME_MAX);
  g_assert_cmpuint (sink.srcs->len, ==, 1);
  g_assert_cmpuint (g_array_index (sink.srcs, NetAddr, 0), ==, victim);
  tsink_clear (&sink);
  tnet_clear (&t);
}

/* Members on every reachable LAN get one copy, non-members and the sender none; leave and link loss count. */
static void
test_multicast_membership (void)
{
  TNet t;
  tnet_init (&t, 1, 3, SIM_MS, 100000000, 0);
  NetAddr group = net_addr (239, 1, 1, 1);
  const char *names[] = { "m0", "m1", "m1b", "m2", "n1", "s" };
  guint lans[] = { 0, 1, 1, 2, 1, 1 };
  TSink sinks[6];
  NetUdpSocket *socks[6];
  for (int i = 0; i < 6; i++)
    {
      tsink_init (&sinks[i], t.kernel);
      socks[i] = net_udp_open (tnet_host (&t, names[i], lans[i]), 7000, tsink_recv, &sinks[i]);
      if (i != 4)
        net_udp_join (socks[i], group);
    }
  g_autoptr (GBytes) msg = tbytes (50, 1);
  net_udp_send (socks[5], group, 7000, 0, msg);
  sim_kernel_run (t.kernel, SIM_TIME_MAX);
  guint expect1[] = { 1, 1, 1, 1, 0, 0 };
  for (int i = 0; i < 6; i++)
    g_assert_cmpuint (sinks[i].times->len, ==, expect1[i]);
  /* Same LAN, one transmission, constant delay: the same arrival time. */
  g_assert_cmpint (g_array_index (sinks[1].times, SimTime, 0), ==, g_array_index (sinks[2].times, SimTime, 0));
  net_udp_leave (socks[3], group);
  net_udp_send (socks[5], group, 7000, 0, msg);
  sim_kernel_run (t.kernel, SIM_TIME_MAX);
  guint expect2[] = { 2, 2, 2, 1, 0, 0 };
  for (int i = 0; i < 6; i++)
    g_assert_cmpuint (sinks[i].times->len, ==, expect2[i]);
  net_udp_join (socks[3], group);
  net_link_set_up (net_link_lookup (t.net, "wan0-2"), FALSE);
  net_udp_send (socks[5], group, 7000, 0, msg);
  sim_kernel_run (t.kernel, SIM_TIME_MAX);
  guint expect3[] = { 3, 3, 3, 1, 0, 0 };
  for (int i = 0; i < 6; i++)
    {
      g_assert_cmpuint (sinks[i].times->len, ==, expect3[i]);
      tsink_clear (&sinks[i]);
    }
  tnet_clear (&t);
}

/* ---- CPU -------------------------------------------------------------- */

typedef struct {
  NetUdpSocket *tx;
  NetAddr       dst;
  SimRng        rng;
  double        mean;    /* ns */
  SimTime       until;
  NetKind       kind;
  GBytes       *msg;
} Poisson;

static void
poisson_arrival (SimKernel *k, gpointer ctx, gpointer data)
{
  Poisson *p = ctx;
  net_udp_send (p->tx, p->dst, 5000, p->kind, p->msg);
  SimTime next = sim_kernel_now (k) + (SimTime) llround (sim_rng_exponential (&p->rng, p->mean));
  if (next < p->until)
    sim_kernel_schedule_at (k, next, poisson_arrival, p, NULL);
}

static void
ignore_recv (NetUdpSocket *sock, const NetDatagram *d, gpointer user_data)
{
  (*(guint *) user_data)++;
}

/* Poisson datagrams at rho = 0.5 to a CPU with 1 ms constant service: M/D/1 wait rho / (2 mu (1 - rho)). */
static void
test_cpu_md1 (void)
{
  TNet t;
  tnet_init (&t, 3, 1, 100 * SIM_US, 10000000000, 0);
  NetHost *a = tnet_host (&t, "a", 0);
  NetHost *srv = net_host_new (t.net, "srv", "server", 0);
  net_host_add_address (srv, net_lan (t.net, 0), 0);
  NetKind job = net_kind (t.net, "job");
  SimDist d = { SIM_DIST_CONSTANT, SIM_UNIT_TIME, (double) SIM_MS, 0 };
  net_cpu_set_service (t.net, "server", job, &d);
  guint got = 0;
  net_udp_open (srv, 5000, ignore_recv, &got);
  Poisson p = { net_udp_open (a, 0, ignore_recv, NULL), net_host_address (srv, 0), { { 0 } }, 2e6,
                400 * SIM_S, job, tbytes (100, 1) };
  sim_rng_init (&p.rng, 3, "test/poisson");
  sim_kernel_schedule (t.kernel, 0, poisson_arrival, &p, NULL);
  sim_kernel_run (t.kernel, 400 * SIM_S);
  NetCpuStats st;
  net_host_cpu_stats (srv, &st);
  double mu = 1000, rho = 0.5, w = rho / (2 * mu * (1 - rho));
  g_test_message ("M/D/1: mean wait %.6f ms (theory %.6f ms), utilization %.5f, %" G_GUINT64_FORMAT " messages",
                  st.queue_delay.mean * 1e3, w * 1e3, st.utilization, st.queue_delay.count);
  g_assert_cmpuint (st.queue_delay.count, >, 195000);
  g_assert_cmpfloat (fabs (st.queue_delay.mean - w) / w, <, 0.03);
  g_assert_cmpfloat (fabs (st.utilization - rho), <, 0.01);
  g_assert_cmpuint (st.dropped, ==, 0);
  g_assert_cmpuint (got, ==, st.processed);
  g_bytes_unref (p.msg);
  tnet_clear (&t);
}

/* A full CPU queue drops: capacity 5 with 1 ms service and a burst of 20 keeps 5. */
static void
test_cpu_capacity (void)
{
  TNet t;
  tnet_init (&t, 1, 1, 100 * SIM_US, 1000000000, 0);
  t.net->cfg.cpu_capacity = 5;
  t.net->cfg.cpu_service = (SimDist) { SIM_DIST_CONSTANT, SIM_UNIT_TIME, (double) SIM_MS, 0 };
  NetHost *a = tnet_host (&t, "a", 0), *b = tnet_host (&t, "b", 0);
  guint got = 0;
  net_udp_open (b, 5000, ignore_recv, &got);
  NetUdpSocket *tx = net_udp_open (a, 0, ignore_recv, NULL);
  g_autoptr (GBytes) msg = tbytes (100, 1);
  for (int i = 0; i < 20; i++)
    net_udp_send (tx, net_host_address (b, 0), 5000, 0, msg);
  sim_kernel_run (t.kernel, SIM_TIME_MAX);
  NetCpuStats st;
  net_host_cpu_stats (b, &st);
  g_assert_cmpuint (got, ==, 5);
  g_assert_cmpuint (st.processed, ==, 5);
  g_assert_cmpuint (st.dropped, ==, 15);
  tnet_clear (&t);
}

static void
note_time (NetUdpSocket *sock, const NetDatagram *d, gpointer user_data)
{
  GArray *times = user_data;
  SimTime now = sim_kernel_now (net_kernel (net_host_net (net_udp_host (sock))));
  g_array_append_val (times, now);
}

static void
exec_done (NetHost *h, gpointer data)
{
  *(SimTime *) data = sim_kernel_now (net_kernel (net_host_net (h)));
}

/* Service = (role, kind) base + named ops; "every role" cells; upper-layer work queues FIFO behind. */
static void
test_cpu_role_kind_ops (void)
{
  TNet t;
  tnet_init (&t, 1, 1, SIM_MS, 8000000, 0);
  Net *net = t.net;
  NetKind reg = net_kind (net, "reg"), other = net_kind (net, "other");
  SimDist two = { SIM_DIST_CONSTANT, SIM_UNIT_TIME, 2e6, 0 }, three = { SIM_DIST_CONSTANT, SIM_UNIT_TIME, 3e6, 0 };
  SimDist one = { SIM_DIST_CONSTANT, SIM_UNIT_TIME, 1e6, 0 };
  net_cpu_set_service (net, "registrar", reg, &two);
  net_cpu_define_op (net, "crypto", &three);
  net_cpu_add_op (net, "registrar", reg, "crypto");
  net_cpu_set_service (net, NULL, other, &one);
  g_assert_cmpstr (net_kind_name (net, reg), ==, "reg");
  NetHost *a = tnet_host (&t, "a", 0);
  NetHost *r = net_host_new (net, "r", "registrar", 0);
  net_host_add_address (r, net_lan (net, 0), 0);
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (SimTime));
  net_udp_open (r, 5000, note_time, times);
  NetUdpSocket *tx = net_udp_open (a, 0, note_time, NULL);
  g_autoptr (GBytes) msg = tbytes (72, 1);   /* 100 bytes on the wire: 100 us at 8 Mbps */
  net_udp_send (tx, net_host_address (r, 0), 5000, reg, msg);
  sim_kernel_run (t.kernel, 10 * SIM_MS);
  net_udp_send (tx, net_host_address (r, 0), 5000, other, msg);
  SimTime exec_at = -1;
  net_host_cpu_exec_op (r, "crypto", 0, exec_done, &exec_at, NULL);
  sim_kernel_run (t.kernel, SIM_TIME_MAX);
  g_assert_cmpuint (times->len, ==, 2);
  g_assert_cmpint (g_array_index (times, SimTime, 0), ==, 100 * SIM_US + SIM_MS + 5 * SIM_MS);
  /* The exec job (queued at 10 ms) runs first, 3 ms; the datagram arrives at 11.1 ms, waits to 13 ms. */
  g_assert_cmpint (exec_at, ==, 13 * SIM_MS);
  g_assert_cmpint (g_array_index (times, SimTime, 1), ==, 14 * SIM_MS);
  tnet_clear (&t);
}

/* ---- taps ------------------------------------------------------------- */

typedef struct {
  NetTap    *tap;
  int        mode;     /* 0 drop 0xDD, 1 delay 5 ms, 2 modify, 3 replay after 1 s */
  NetPacket *kept;
} TapCtl;

static void
replay_later (SimKernel *k, gpointer ctx, gpointer data)
{
  TapCtl *c = ctx;
  net_tap_inject (c->tap, g_steal_pointer (&c->kept));
}

static NetTapVerdict
tap_udp (NetTap *tap, NetPacket *pkt, SimTime *delay, gpointer user_data)
{
  TapCtl *c = user_data;
  const guint8 *p = g_bytes_get_data (pkt->payload, NULL);
  switch (c->mode)
    {
    case 0:
      return p[0] == 0xDD ? NET_TAP_DROP : NET_TAP_PASS;
    case 1:
      *delay = 5 * SIM_MS;
      return NET_TAP_DELAY;
    case 2:
      {
        g_autoptr (GBytes) evil = tbytes (g_bytes_get_size (pkt->payload), 0xEE);
        net_packet_set_payload (pkt, evil);
        return NET_TAP_PASS;
      }
    case 3:
      if (c->kept == NULL)
        {
          c->kept = net_packet_copy (pkt);
          sim_kernel_schedule (net_kernel (net_tap_net (tap)), SIM_S, replay_later, c, NULL);
        }
      return NET_TAP_PASS;
    }
  g_assert_not_reached ();
}

/* One datagram 0xAA (and one 0xDD) through a LAN tap in `mode`; returns the sink. */
static void
run_udp_tap (int mode, TSink *sink, TNet *t)
{
  tnet_init (t, 1, 1, SIM_MS, 8000000, 0);
  NetHost *a = tnet_host (t, "a", 0), *b = tnet_host (t, "b", 0);
  NetHost *evil = net_host_new (t->net, "evil", "adversary", NET_HOST_ADVERSARY);
  static TapCtl ctl;
  ctl = (TapCtl) { NULL, mode, NULL };
  ctl.tap = net_tap_attach_lan (net_lan (t->net, 0), evil, tap_udp, &ctl);
  tsink_init (sink, t->kernel);
  net_udp_open (b, 5000, tsink_recv, sink);
  NetUdpSocket *tx = net_udp_open (a, 0, tsink_recv, NULL);
  g_autoptr (GBytes) m1 = tbytes (72, 0xAA);
  net_udp_send (tx, net_host_address (b, 0), 5000, 0, m1);
  if (mode == 0)
    {
      g_autoptr (GBytes) m2 = tbytes (72, 0xDD);
      net_udp_send (tx, net_host_address (b, 0), 5000, 0, m2);
    }
  sim_kernel_run (t->kernel, SIM_TIME_MAX);
}

/* Drop: the receiver never sees the dropped datagram, the other arrives on time. */
static void
test_tap_udp_drop (void)
{
  TNet t;
  TSink s;
  run_udp_tap (0, &s, &t);
  g_assert_cmpuint (s.times->len, ==, 1);
  g_assert_cmpuint (g_array_index (s.firsts, guint8, 0), ==, 0xAA);
  g_assert_cmpint (g_array_index (s.times, SimTime, 0), ==, 100 * SIM_US + SIM_MS);
  g_assert_cmpuint (net_stats (t.net)->tap_dropped, ==, 1);
  tsink_clear (&s);
  tnet_clear (&t);
}

/* Delay: arrives exactly 5 ms late. */
static void
test_tap_udp_delay (void)
{
  TNet t;
  TSink s;
  run_udp_tap (1, &s, &t);
  g_assert_cmpuint (s.times->len, ==, 1);
  g_assert_cmpint (g_array_index (s.times, SimTime, 0), ==, 5 * SIM_MS + 100 * SIM_US + SIM_MS);
  tsink_clear (&s);
  tnet_clear (&t);
}

/* Modify: the receiver gets the tap's bytes. */
static void
test_tap_udp_modify (void)
{
  TNet t;
  TSink s;
  run_udp_tap (2, &s, &t);
  g_assert_cmpuint (s.times->len, ==, 1);
  g_assert_cmpuint (g_array_index (s.firsts, guint8, 0), ==, 0xEE);
  tsink_clear (&s);
  tnet_clear (&t);
}

/* Replay: a datagram is accepted twice, the copy 1 s later (it crosses the LAN again from the tap). */
static void
test_tap_udp_replay (void)
{
  TNet t;
  TSink s;
  run_udp_tap (3, &s, &t);
  g_assert_cmpuint (s.times->len, ==, 2);
  g_assert_cmpuint (g_array_index (s.firsts, guint8, 1), ==, 0xAA);
  g_assert_cmpint (g_array_index (s.times, SimTime, 1), ==, SIM_S + 100 * SIM_US + SIM_MS);
  g_assert_cmpuint (net_stats (t.net)->tap_injected, ==, 1);
  tsink_clear (&s);
  tnet_clear (&t);
}

static NetTapVerdict
tap_pass (NetTap *tap, NetPacket *pkt, SimTime *delay, gpointer user_data)
{
  return NET_TAP_PASS;
}

/* Inject: a datagram made by the tap, with a forged source, reaches the receiver. */
static void
test_tap_udp_inject (void)
{
  TNet t;
  tnet_init (&t, 1, 1, SIM_MS, 8000000, 0);
  NetHost *b = tnet_host (&t, "b", 0);
  NetHost *evil = net_host_new (t.net, "evil", "adversary", NET_HOST_ADVERSARY);
  NetTap *tap = net_tap_attach_lan (net_lan (t.net, 0), evil, tap_pass, NULL);
  TSink s;
  tsink_init (&s, t.kernel);
  net_udp_open (b, 5000, tsink_recv, &s);
  NetPacket *pkt = net_packet_new ();
  pkt->proto = NET_PROTO_UDP;
  pkt->src = net_addr (10, 0, 0, 200);
  pkt->dst = net_host_address (b, 0);
  pkt->sport = 3863;
  pkt->dport = 5000;
  g_autoptr (GBytes) m = tbytes (72, 0x42);
  net_packet_set_payload (pkt, m);
  net_tap_inject (tap, pkt);
  sim_kernel_run (t.kernel, SIM_TIME_MAX);
  g_assert_cmpuint (s.times->len, ==, 1);
  g_assert_cmpuint (g_array_index (s.firsts, guint8, 0), ==, 0x42);
  g_assert_cmpuint (g_array_index (s.srcs, NetAddr, 0), ==, net_addr (10, 0, 0, 200));
  g_assert_cmpint (g_array_index (s.times, SimTime, 0), ==, 100 * SIM_US + SIM_MS);
  tsink_clear (&s);
  tnet_clear (&t);
}

/* ---- failures --------------------------------------------------------- */

typedef struct {
  NetUdpSocket *tx;
  NetAddr       dst;
  int           left;
  GBytes       *msg;
} Ticker;

static void
tick (SimKernel *k, gpointer ctx, gpointer data)
{
  Ticker *t = ctx;
  net_udp_send (t->tx, t->dst, 5000, 0, t->msg);
  if (--t->left > 0)
    sim_kernel_schedule (k, SIM_MS, tick, t, NULL);
}

/* LAN down from 10 ms to 20 ms (by schedule text): datagrams whose crossing meets the outage are lost. */
static void
test_fail_lan_schedule (void)
{
  TNet t;
  tnet_init (&t, 1, 1, SIM_MS, 1000000000, 0);
  NetHost *a = tnet_host (&t, "a", 0), *b = tnet_host (&t, "b", 0);
  guint got = 0;
  net_udp_open (b, 5000, ignore_recv, &got);
  g_free (t.net->cfg.fail_schedule);
  t.net->cfg.fail_schedule = g_strdup ("lan0:10ms-20ms");
  g_autoptr (GError) error = NULL;
  g_assert_true (net_fail_apply_config (t.net, &error));
  Ticker tk = { net_udp_open (a, 0, ignore_recv, NULL), net_host_address (b, 0), 31, tbytes (72, 1) };
  sim_kernel_schedule (t.kernel, 0, tick, &tk, NULL);
  sim_kernel_run (t.kernel, SIM_TIME_MAX);
  /* Sent at 0..8 ms and 20..30 ms arrive; 9 ms is in flight at 10 ms; 10..19 ms meet a down LAN. */
  g_assert_cmpuint (got, ==, 20);
  g_assert_cmpuint (net_stats (t.net)->lost_down, ==, 11);
  g_bytes_unref (tk.msg);
  tnet_clear (&t);
}

/* Bad failure schedules are errors that say what is wrong. */
static void
test_fail_schedule_errors (void)
{
  TNet t;
  tnet_init (&t, 1, 1, SIM_MS, 1000000000, 0);
  g_autoptr (GError) e1 = NULL, e2 = NULL, e3 = NULL;
  g_free (t.net->cfg.fail_schedule);
  t.net->cfg.fail_schedule = g_strdup ("nosuch:1s-2s");
  g_assert_false (net_fail_apply_config (t.net, &e1));
  g_assert_error (e1, NET_ERROR, NET_ERROR_NAME);
  g_assert_cmpstr (e1->message, ==, "net.fail.schedule: no host, LAN or link is named 'nosuch'");
  g_free (t.net->cfg.fail_schedule);
  t.net->cfg.fail_schedule = g_strdup ("lan0 10ms");
  g_assert_false (net_fail_apply_config (t.net, &e2));
  g_assert_error (e2, NET_ERROR, NET_ERROR_SYNTAX);
  g_free (t.net->cfg.fail_schedule);
  t.net->cfg.fail_schedule = g_strdup ("");
  g_free (t.net->cfg.fail_random);
  t.net->cfg.fail_random = g_strdup ("pe*");
  g_assert_false (net_fail_apply_config (t.net, &e3));
  g_assert_cmpstr (e3->message, ==, "net.fail.random: 'pe*' matches no host, LAN or link");
  tnet_clear (&t);
}

typedef struct {
  Net     *net;
  NetLink *link;
  guint64  samples, down;
} DownProbe;

static void
probe (SimKernel *k, gpointer ctx, gpointer data)
{
  DownProbe *p = ctx;
  p->samples++;
  p->down += !net_link_is_up (p->link);
  sim_kernel_schedule (k, 10 * SIM_MS, probe, p, NULL);
}

/* A random up/down process (up exponential(10s), down exponential(1s)) is down about 1/11 of the time. */
static void
test_fail_random_process (void)
{
  TNet t;
  tnet_init (&t, 5, 2, SIM_MS, 1000000000, 0);
  SimDist up = { SIM_DIST_EXPONENTIAL, SIM_UNIT_TIME, 10e9, 0 }, down = { SIM_DIST_EXPONENTIAL, SIM_UNIT_TIME, 1e9, 0 };
  g_autoptr (GError) error = NULL;
  g_assert_true (net_fail_random (t.net, "wan0-1", &up, &down, &error));
  DownProbe p = { t.net, net_link_lookup (t.net, "wan0-1"), 0, 0 };
  sim_kernel_schedule (t.kernel, 0, probe, &p, NULL);
  sim_kernel_run (t.kernel, 2000 * SIM_S);
  double frac = (double) p.down / (double) p.samples;
  g_assert_cmpfloat (frac, >, 0.06);
  g_assert_cmpfloat (frac, <, 0.125);
  tnet_clear (&t);
}

typedef struct {
  GString *log;
} StateLog;

static void
state_cb (NetHost *h, gboolean up, gpointer user_data)
{
  g_string_append_printf (((StateLog *) user_data)->log, "%s:%s ", net_host_name (h), up ? "up" : "down");
}

/* A crashed host loses its sockets, drops what arrives, and tells its upper layer. */
static void
test_fail_host_crash (void)
{
  TNet t;
  tnet_init (&t, 1, 1, SIM_MS, 1000000000, 0);
  NetHost *a = tnet_host (&t, "a", 0), *b = tnet_host (&t, "b", 0);
  StateLog sl = { g_string_new ("") };
  net_host_set_state_callback (b, state_cb, &sl);
  guint got = 0;
  net_udp_open (b, 5000, ignore_recv, &got);
  NetUdpSocket *tx = net_udp_open (a, 0, ignore_recv, NULL);
  g_autoptr (GBytes) msg = tbytes (72, 1);
  net_udp_send (tx, net_host_address (b, 0), 5000, 0, msg);
  sim_kernel_run (t.kernel, 500 * SIM_US);
  net_host_crash (b);
  sim_kernel_run (t.kernel, SIM_TIME_MAX);
  g_assert_cmpuint (net_stats (t.net)->lost_host_down, ==, 1);
  net_host_restart (b);
  net_udp_send (tx, net_host_address (b, 0), 5000, 0, msg);
  sim_kernel_run (t.kernel, SIM_TIME_MAX);
  g_assert_cmpuint (got, ==, 0);
  g_assert_cmpuint (net_stats (t.net)->udp_no_port, ==, 1);
  g_assert_cmpstr (sl.log->str, ==, "b:down b:up ");
  g_string_free (sl.log, TRUE);
  tnet_clear (&t);
}

/* ---- bytes and streams ------------------------------------------------ */

/* Rendered packets have the wire size, a valid IPv4 checksum, SCTP CRC32c and UDP checksum. */
static void
test_packet_render (void)
{
  guint8 chunks[] = { NET_CHUNK_DATA, NET_CHUNK_INIT, NET_CHUNK_INIT_ACK, NET_CHUNK_SACK, NET_CHUNK_HEARTBEAT,
                      NET_CHUNK_ABORT, NET_CHUNK_SHUTDOWN, NET_CHUNK_COOKIE_ECHO, NET_CHUNK_SHUTDOWN_COMPLETE };
  for (guint i = 0; i <= G_N_ELEMENTS (chunks); i++)
    {
      NetPacket *p = net_packet_new ();
      p->proto = i < G_N_ELEMENTS (chunks) ? NET_PROTO_SCTP : NET_PROTO_UDP;
      p->chunk = i < G_N_ELEMENTS (chunks) ? chunks[i] : 0;
      p->src = net_addr (10, 0, 0, 1);
      p->dst = net_addr (10, 0, 0, 2);
      p->sport = 1234;
      p->dport = 3863;
      p->vtag = 0xdeadbeef;
      p->ppid = 11;
      g_autoptr (GBytes) pl = tbytes (13, (guint8) i);
      net_packet_set_payload (p, pl);
      g_autoptr (GBytes) b = net_packet_render (p);
      gsize len;
      const guint8 *d = g_bytes_get_data (b, &len);
      g_assert_cmpuint (len, ==, net_packet_wire_size (p));
      /* IPv4 header sums to 0xffff. */
      guint32 sum = 0;
      for (int k = 0; k < 20; k += 2)
        sum += (guint32) (d[k] << 8 | d[k + 1]);
      while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
      g_assert_cmphex (sum, ==, 0xffff);
      g_assert_cmpuint (d[9], ==, p->proto);
      if (p->proto == NET_PROTO_SCTP)
        {
          g_autofree guint8 *copy = g_memdup2 (d + 20, len - 20);
          guint32 stored = copy[8] | copy[9] << 8 | copy[10] << 16 | (guint32) copy[11] << 24;
          memset (copy + 8, 0, 4);
          g_assert_cmphex (sim_pcap_crc32c (copy, len - 20), ==, stored);
          g_assert_cmpuint (d[32], ==, p->chunk);
        }
      else
        g_assert_cmpuint (len, ==, 20 + 8 + 13);
      net_packet_free (p);
    }
}

/* Arrival times of honest a -> b datagrams over a LAN with random delay, with or without a busy attacker. */
static GArray *
honest_times (gboolean attacker)
{
  TNet t;
  tnet_init (&t, 11, 1, SIM_MS, 1000000000, 0.05);
  net_lan (t.net, 0)->place.cfg.delay = (SimDist) { SIM_DIST_UNIFORM, SIM_UNIT_TIME, 1e5, 5e6 };
  NetHost *evil = NULL;
  if (attacker)
    {
      evil = net_host_new (t.net, "evil", "adversary", NET_HOST_ADVERSARY);
      net_host_add_address (evil, net_lan (t.net, 0), 0);
    }
  NetHost *a = tnet_host (&t, "a", 0), *b = tnet_host (&t, "b", 0), *c = tnet_host (&t, "c", 0);
  GArray *times = g_array_new (FALSE, FALSE, sizeof (SimTime));
  net_udp_open (b, 5000, note_time, times);
  guint junk = 0;
  net_udp_open (c, 5000, ignore_recv, &junk);
  Ticker tk = { net_udp_open (a, 0, ignore_recv, NULL), net_host_address (b, 0), 1000, tbytes (72, 1) };
  sim_kernel_schedule (t.kernel, 0, tick, &tk, NULL);
  Ticker ev = { evil != NULL ? net_udp_open (evil, 0, ignore_recv, NULL) : NULL, net_host_address (c, 0), 3000,
                tk.msg };
  if (evil != NULL)
    sim_kernel_schedule (t.kernel, 0, tick, &ev, NULL);
  sim_kernel_run (t.kernel, SIM_TIME_MAX);
  g_bytes_unref (tk.msg);
  tnet_clear (&t);
  return times;
}

/* Common random numbers: an attacker's traffic does not change an honest pair's draws. */
static void
test_streams_independent (void)
{
  g_autoptr (GArray) without = honest_times (FALSE);
  g_autoptr (GArray) with = honest_times (TRUE);
  g_assert_cmpuint (without->len, >, 900);
  g_assert_cmpuint (without->len, <, 1000);
  g_assert_cmpmem (without->data, without->len * sizeof (SimTime), with->data, with->len * sizeof (SimTime));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/net/params/defaults", test_params_defaults);
  g_test_add_func ("/sim/net/params/scenario-error", test_params_scenario_error);
  g_test_add_func ("/sim/net/lan/serialization-exact", test_lan_serialization_exact);
  g_test_add_func ("/sim/net/wan/path", test_wan_path);
  g_test_add_func ("/sim/net/lan/loss-rate", test_lan_loss_rate);
  g_test_add_func ("/sim/net/udp/forge", test_udp_forge);
  g_test_add_func ("/sim/net/multicast/membership", test_multicast_membership);
  g_test_add_func ("/sim/net/cpu/md1", test_cpu_md1);
  g_test_add_func ("/sim/net/cpu/capacity", test_cpu_capacity);
  g_test_add_func ("/sim/net/cpu/role-kind-ops", test_cpu_role_kind_ops);
  g_test_add_func ("/sim/net/tap/udp-drop", test_tap_udp_drop);
  g_test_add_func ("/sim/net/tap/udp-delay", test_tap_udp_delay);
  g_test_add_func ("/sim/net/tap/udp-modify", test_tap_udp_modify);
  g_test_add_func ("/sim/net/tap/udp-replay", test_tap_udp_replay);
  g_test_add_func ("/sim/net/tap/udp-inject", test_tap_udp_inject);
  g_test_add_func ("/sim/net/fail/lan-schedule", test_fail_lan_schedule);
  g_test_add_func ("/sim/net/fail/schedule-errors", test_fail_schedule_errors);
  g_test_add_func ("/sim/net/fail/random-process", test_fail_random_process);
  g_test_add_func ("/sim/net/fail/host-crash", test_fail_host_crash);
  g_test_add_func ("/sim/net/packet/render", test_packet_render);
  g_test_add_func ("/sim/net/streams/attacker-independent", test_streams_independent);
  return g_test_run ();
}
