/*
 * bench/bench-net.c - messages delivered per wall second through the
 * network layer: a LAN of 1,000 hosts with 1 % loss, each host keeping an
 * association to a random other host and sending a 100-byte message on it
 * every 10 ms (Poisson), plus a datagram every 100 ms; CPU costs zero. Prints
 * messages delivered per wall second and the kernel's events per wall second
 * of the same run (every packet crossing, timer and CPU completion is an
 * event).
 *
 *   bench-net [HOSTS] [SIM_SECONDS] [LOSS]
 */
#include "config.h"

#include "sim/net-assoc.h"
#include "sim/net-udp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
  NetHost      *host;
  NetAssoc     *assoc;
  NetUdpSocket *udp;
  SimRng        rng;
  NetAddr       peer;
} BHost;

typedef struct {
  SimKernel *kernel;
  Net       *net;
  BHost     *hosts;
  guint      n;
  GBytes    *msg;
  guint64    delivered;
} Bench;

static Bench bench;

static void
b_event (NetAssoc *a, NetAssocEvent ev, gpointer user_data)
{
  if (ev != NET_ASSOC_UP)
    ((BHost *) user_data)->assoc = NULL;
}

static void
b_receive (NetAssoc *a, const NetMessage *m, gpointer user_data)
{
  bench.delivered++;
}

static const NetAssocCallbacks b_callbacks = { b_event, b_receive };
static const NetAssocCallbacks srv_callbacks = { NULL, b_receive };

static gboolean
b_accept (NetListener *l, NetAssoc *a, gpointer user_data)
{
  net_assoc_set_callbacks (a, &srv_callbacks, NULL);
  return TRUE;
}

static void
b_udp (NetUdpSocket *s, const NetDatagram *d, gpointer user_data)
{
  bench.delivered++;
}

static void
b_send (SimKernel *k, gpointer ctx, gpointer data)
{
  BHost *h = ctx;
  if (h->assoc != NULL)
    net_assoc_send (h->assoc, 0, 11, 0, bench.msg);
  if (sim_rng_below (&h->rng, 10) == 0)
    net_udp_send (h->udp, h->peer, 5000, 0, bench.msg);
  sim_kernel_schedule (k, (SimTime) llround (sim_rng_exponential (&h->rng, 10e6)), b_send, h, NULL);
}

int main (int argc, char **argv);

int
main (int argc, char **argv)
{
  guint n = argc > 1 ? (guint) atoi (argv[1]) : 1000;
  double secs = argc > 2 ? atof (argv[2]) : 20;
  double loss = argc > 3 ? atof (argv[3]) : 0.01;
  NetConfig cfg;
  net_config_init (&cfg);
  cfg.lan.loss = loss;
  cfg.lan.delay = (SimDist) { SIM_DIST_UNIFORM, SIM_UNIT_TIME, 50e3, 150e3 };
  bench.kernel = sim_kernel_new ();
  bench.net = net_new (bench.kernel, 1, &cfg);
  net_config_clear (&cfg);
  bench.n = n;
  bench.hosts = g_new0 (BHost, n);
  bench.msg = g_bytes_new_take (g_malloc0 (100), 100);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("h%u", i);
      BHost *h = &bench.hosts[i];
      h->host = net_host_new (bench.net, name, "host", 0);
      net_host_add_address (h->host, net_lan (bench.net, 0), 0);
      net_listen (h->host, 9000, b_accept, NULL);
      h->udp = net_udp_open (h->host, 5000, b_udp, NULL);
      sim_rng_init_fmt (&h->rng, 1, "bench/%u", i);
    }
  for (guint i = 0; i < n; i++)
    {
      BHost *h = &bench.hosts[i];
      guint j = (i + 1 + (guint) sim_rng_below (&h->rng, n - 1)) % n;
      h->peer = net_host_address (bench.hosts[j].host, 0);
      h->assoc = net_assoc_connect (h->host, h->peer, 9000, &b_callbacks, h);
      sim_kernel_schedule (bench.kernel, (SimTime) sim_rng_below (&h->rng, 10 * SIM_MS), b_send, h, NULL);
    }
  gint64 t0 = g_get_monotonic_time ();
  sim_kernel_run (bench.kernel, (SimTime) (secs * SIM_S));
  double wall = (double) (g_get_monotonic_time () - t0) / 1e6;
  guint64 events = sim_kernel_events_executed (bench.kernel);
  const NetStats *st = net_stats (bench.net);
  printf ("hosts=%u loss=%g sim_s=%g delivered=%" G_GUINT64_FORMAT " packets=%" G_GUINT64_FORMAT
          " retransmissions=%" G_GUINT64_FORMAT " events=%" G_GUINT64_FORMAT " wall_s=%.3f"
          " delivered_per_s=%.0f events_per_s=%.0f\n",
          n, loss, secs, bench.delivered, st->packets, st->retransmissions, events, wall,
          (double) bench.delivered / wall, (double) events / wall);
  net_free (bench.net);
  sim_kernel_free (bench.kernel);
  g_bytes_unref (bench.msg);
  g_free (bench.hosts);
  return 0;
}
