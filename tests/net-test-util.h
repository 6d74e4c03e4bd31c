/*
 * tests/net-test-util.h - helpers shared by the network's tests: a network
 * on a fresh kernel with chosen LAN parameters, and a UDP sink that logs what
 * it receives.
 */
#pragma once

#include "sim/net-private.h"

#include <string.h>

typedef struct {
  SimKernel *kernel;
  Net       *net;
} TNet;

/* A network of `lans` LANs (star) with constant delay, bandwidth, loss; CPU service 0. */
static inline void
tnet_init (TNet *t, guint64 seed, guint lans, SimTime delay, gint64 bandwidth, double loss)
{
  NetConfig cfg;
  net_config_init (&cfg);
  cfg.lans = lans;
  cfg.lan.delay = (SimDist) { SIM_DIST_CONSTANT, SIM_UNIT_TIME, (double) delay, 0 };
  cfg.lan.bandwidth = bandwidth;
  cfg.lan.loss = loss;
  cfg.wan.delay = (SimDist) { SIM_DIST_CONSTANT, SIM_UNIT_TIME, (double) (10 * SIM_MS), 0 };
  cfg.wan.bandwidth = bandwidth;
  t->kernel = sim_kernel_new ();
  t->net = net_new (t->kernel, seed, &cfg);
  net_config_clear (&cfg);
}

static inline void
tnet_clear (TNet *t)
{
  net_free (t->net);
  sim_kernel_free (t->kernel);
}

static inline NetHost *
tnet_host (TNet *t, const char *name, guint lan)
{
  NetHost *h = net_host_new (t->net, name, "test", 0);
  net_host_add_address (h, net_lan (t->net, lan), 0);
  return h;
}

static inline GBytes *
tbytes (gsize len, guint8 fill)
{
  guint8 *b = g_malloc (len);
  memset (b, fill, len);
  return g_bytes_new_take (b, len);
}

/* What a UDP sink saw: arrival times, first payload bytes, sources. */
typedef struct {
  SimKernel *kernel;
  GArray    *times;    /* SimTime */
  GArray    *firsts;   /* guint8: first payload byte */
  GArray    *srcs;     /* NetAddr */
} TSink;

static inline void
tsink_init (TSink *s, SimKernel *k)
{
  s->kernel = k;
  s->times = g_array_new (FALSE, FALSE, sizeof (SimTime));
  s->firsts = g_array_new (FALSE, FALSE, sizeof (guint8));
  s->srcs = g_array_new (FALSE, FALSE, sizeof (NetAddr));
}

static inline void
tsink_clear (TSink *s)
{
  g_array_unref (s->times);
  g_array_unref (s->firsts);
  g_array_unref (s->srcs);
}

static inline void
tsink_recv (NetUdpSocket *sock, const NetDatagram *d, gpointer user_data)
{
  TSink *s = user_data;
  SimTime now = sim_kernel_now (s->kernel);
  gsize len;
  const guint8 *p = g_bytes_get_data (d->payload, &len);
  guint8 first = len > 0 ? p[0] : 0;
  g_array_append_val (s->times, now);
  g_array_append_val (s->firsts, first);
  g_array_append_val (s->srcs, d->src);
}
