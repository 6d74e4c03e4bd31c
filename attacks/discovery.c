/*
 * attacks/discovery.c - RFC 5355 §2.12: registrar discovery thwarted or
 * spoofed (attack.type = discovery, attack.discovery = suppress | spoof).
 *
 * suppress (§2.12 a, b). Adversary i ("adversary<i>", role "adversary",
 * LAN i mod net.lans) is on-path: from attack.start its tap on its LAN
 * (sim/net.h net_tap_attach_lan) drops every UDP datagram to the ASAP
 * announce group 224.0.1.185 port 3863 - the registrars' server announces.
 * Multicast crosses each LAN once, so a tap on the sender's LAN silences a
 * registrar for the whole network, one on a receiver's LAN for that LAN.
 * PEs and PUs that discover registrars by announces alone find none.
 *
 * spoof (§2.12 a, c, d). Adversary 0 is off-path with the capability to
 * forge UDP sources: every attack.interval from attack.start it sends, for
 * each of attack.decoys decoy registrars, an ASAP_SERVER_ANNOUNCE without a
 * transport parameter (RFC 5352 §3.6: "SCTP to the source address") from
 * the decoy's address as forged source - an address of the upper half of
 * LAN i mod net.lans where no host is (stream "attack/0/addr"), server
 * identifier from "attack/0/id". The PEs and PUs take the decoys as
 * candidates, in the order first heard: their hunt tries at most three at
 * once (SH1) and waits for T5 when none answers (SH5), so genuine
 * registrars are reached only after the rounds spent on decoys; and the
 * registrars, counting the decoys among the announcing servers, announce
 * less often ((N + 1) x T6), so a genuine address outlives its T7 less often.
 *
 * The damage (PEs and PUs without a genuine home, time to discovery) is the
 * oracle's (results/oracle.h: oracle.homes.*, oracle.discovery_time).
 * Streams: the adversary hosts' own; nothing honest draws differently.
 *
 * Not here: a spoofed announce naming a rogue registrar that then serves
 * (that is attack.type rogue-registrar / rogue-resolution with
 * attack.announce, attacks/rogue.c).
 */
#include "config.h"

#include "attacks/rogue.h"

#include "sim/rng.h"

typedef struct {
  NetAddr addr;
  guint32 server_id;
} Decoy;

struct AttackDiscovery {
  Rserpool     *m;
  Net          *net;
  SimKernel    *kernel;
  gboolean      spoof;
  SimTime       start, interval;
  NetAddr       group;
  GPtrArray    *hosts;     /* NetHost *: adversary<i> */
  GPtrArray    *taps;      /* NetTap *: suppress */
  NetUdpSocket *udp;       /* spoof: adversary0's */
  GArray       *decoys;    /* Decoy */
  SimEventId    timer;
  guint64       dropped, announces, messages, bytes;
};

static NetTapVerdict
suppress_tap (NetTap *tap, NetPacket *pkt, SimTime *delay, gpointer user_data)
{
  AttackDiscovery *a = user_data;
  if (pkt->proto != NET_PROTO_UDP || pkt->dport != RSP_ASAP_PORT || pkt->dst != a->group
      || sim_kernel_now (a->kernel) < a->start)
    return NET_TAP_PASS;
  a->dropped++;
  return NET_TAP_DROP;
}

static void
spoof_tick (SimKernel *k, gpointer ctx, gpointer data)
{
  AttackDiscovery *a = ctx;
  a->timer = sim_kernel_schedule (k, a->interval, spoof_tick, a, NULL);
  for (guint i = 0; i < a->decoys->len; i++)
    {
      const Decoy *d = &g_array_index (a->decoys, Decoy, i);
      a->bytes += attack_send_announce (a->net, a->udp, d->addr, d->server_id, 0);
      a->messages++;
      a->announces++;
    }
}

AttackDiscovery *
attack_discovery_new (Rserpool *m, const SimParams *p, guint64 seed, GError **error)
{
  AttackDiscovery *a = g_new0 (AttackDiscovery, 1);
  a->m = m;
  a->net = rserpool_net (m);
  a->kernel = rserpool_kernel (m);
  a->spoof = g_strcmp0 (sim_params_string (p, "attack.discovery"), "spoof") == 0;
  a->start = sim_params_time (p, "attack.start");
  a->interval = sim_params_time (p, "attack.interval");
  net_addr_parse (RSP_ASAP_ANNOUNCE_GROUP_TEXT, &a->group);
  a->hosts = g_ptr_array_new ();
  a->taps = g_ptr_array_new ();
  a->decoys = g_array_new (FALSE, FALSE, sizeof (Decoy));
  guint n = a->spoof ? 1 : (guint) sim_params_int (p, "attack.count");
  guint lans = net_n_lans (a->net);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("adversary%u", i);
      NetHost *h = net_host_new (a->net, name, "adversary", NET_HOST_ADVERSARY);
      NetLan *lan = net_lan (a->net, i % lans);
      net_host_add_address (h, lan, 0);
      g_ptr_array_add (a->hosts, h);
      if (!a->spoof)
        g_ptr_array_add (a->taps, net_tap_attach_lan (lan, h, suppress_tap, a));
    }
  if (a->spoof)
    {
      SimRng rng_id, rng_addr;
      sim_rng_init_fmt (&rng_id, seed, "attack/%u/id", 0);
      sim_rng_init_fmt (&rng_addr, seed, "attack/%u/addr", 0);
      guint n_decoys = (guint) sim_params_int (p, "attack.decoys");
      for (guint i = 0; i < n_decoys; i++)
        {
          NetAddr prefix = net_host_address (a->hosts->pdata[0], 0) & 0xffff0000u;
          if (lans > 1)
            prefix = (prefix & 0xff000000u) | ((NetAddr) (i % lans) << 16);
          Decoy d;
          d.addr = prefix | (0x8000u + (NetAddr) sim_rng_below (&rng_addr, 0x7ffe));
          do
            d.server_id = (guint32) sim_rng_next (&rng_id);
          while (d.server_id == 0);
          g_array_append_val (a->decoys, d);
        }
      a->udp = net_udp_open (a->hosts->pdata[0], 0, attack_udp_ignore, NULL);
      a->timer = sim_kernel_schedule_at (a->kernel, a->start, spoof_tick, a, NULL);
    }
  return a;
}

void
attack_discovery_record (AttackDiscovery *a, SimRecorder *rec)
{
  const char *mod = "attack";
  SimTime span = sim_kernel_now (a->kernel) - a->start;
  sim_record_scalar (rec, mod, "attack.adversaries", a->hosts->len, "hosts");
  sim_record_scalar (rec, mod, "attack.messages", (double) a->messages, "messages");
  sim_record_scalar (rec, mod, "attack.bytes", (double) a->bytes, "B");
  sim_record_scalar (rec, mod, "attack.bitrate", span > 0 ? (double) a->bytes * 8.0 / ((double) span / SIM_S) : 0,
                     "bit/s");
  sim_record_scalar (rec, mod, "attack.announces", (double) a->announces, "messages");
  sim_record_scalar (rec, mod, "attack.discovery.dropped", (double) a->dropped, "messages");
}

void
attack_discovery_free (AttackDiscovery *a)
{
  if (a == NULL)
    return;
  sim_kernel_cancel (a->kernel, a->timer);
  for (guint i = 0; i < a->taps->len; i++)
    net_tap_detach (a->taps->pdata[i]);
  if (a->udp != NULL && net_host_is_up (net_udp_host (a->udp)))
    net_udp_close (a->udp);
  g_ptr_array_unref (a->taps);
  g_ptr_array_unref (a->hosts);
  g_array_unref (a->decoys);
  g_free (a);
}
