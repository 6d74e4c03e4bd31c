/*
 * attacks/failover.c - RFC 5355 §2.9, "re-establishing PU-PE security during
 * failover": an on-path adversary pushes sessions off the PEs that protect
 * their application channel with TLS, so that they fail over, perhaps to a
 * PE that speaks in the clear (secure.pu-pe-hosts names the PEs with TLS).
 *
 * The adversary (host adversary0, NET_HOST_ADVERSARY) has a tap on every LAN
 * (sim/net.h net_tap_attach_lan). From attack.start, every attack.interval it
 * picks the next PE with TLS on its application port (round robin in index
 * order) and, for that interval, drops every SCTP packet to or from that
 * PE's application port (pe.user-port): the sessions there miss their
 * keep-alives and the PUs fail over (models/calcapp.c). Nothing else is
 * touched: registrations and the other PEs go on.
 *
 * What the damage is decided by the PUs: with calcapp.failover-security =
 * continue a session begun over TLS goes on with whatever PE the registrar
 * names, in the clear if that PE has no TLS (counted by the oracle as
 * oracle.failovers_downgraded); with reestablish (RFC 5355 §2.9.3: the
 * application learns of the failover and re-establishes TLS) such a PE is
 * not taken.
 *
 * Recorded (module "attack"): attack.adversaries, attack.packets_dropped,
 * attack.pes_cut (windows begun).
 *
 * Not here: cutting sessions by forged ABORTs (an on-path host could, as it
 * sees the verification tags); the drops have the same effect on the PUs.
 */
#include "config.h"

#include "attacks/failover.h"

#include "models/pe.h"
#include "models/rsp-secure.h"

struct AttackFailover {
  Rserpool   *m;
  Net        *net;
  SimKernel  *kernel;
  NetHost    *host;
  GPtrArray  *taps;         /* NetTap * */
  GArray     *targets;      /* NetAddr of the PEs with TLS on the application port, in index order */
  guint16     port;         /* the PEs' application port */
  SimTime     interval;
  guint       next;         /* next target index */
  NetAddr     cut;          /* the PE cut off now; 0 = none */
  SimEventId  timer;
  guint64     dropped, windows;
};

static NetTapVerdict
failover_tap (NetTap *tap, NetPacket *pkt, SimTime *delay, gpointer user_data)
{
  AttackFailover *a = user_data;
  if (a->cut == 0 || pkt->proto != NET_PROTO_SCTP)
    return NET_TAP_PASS;
  if ((pkt->dst == a->cut && pkt->dport == a->port) || (pkt->src == a->cut && pkt->sport == a->port))
    {
      a->dropped++;
      return NET_TAP_DROP;
    }
  return NET_TAP_PASS;
}

static void
failover_window (SimKernel *k, gpointer ctx, gpointer data)
{
  AttackFailover *a = ctx;
  a->cut = g_array_index (a->targets, NetAddr, a->next);
  a->next = (a->next + 1) % a->targets->len;
  a->windows++;
  a->timer = sim_kernel_schedule (k, a->interval, failover_window, a, NULL);
}

AttackFailover *
attack_failover_new (Rserpool *m, const SimParams *p, guint64 seed, GError **error)
{
  guint n = rserpool_n_pes (m);
  if (n == 0)
    {
      g_set_error (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID,
                   "attack.type failover-downgrade needs pe.count >= 1");
      return NULL;
    }
  AttackFailover *a = g_new0 (AttackFailover, 1);
  a->m = m;
  a->net = rserpool_net (m);
  a->kernel = rserpool_kernel (m);
  a->interval = sim_params_time (p, "attack.interval");
  a->port = pe_config (rserpool_pe (m, 0))->user_port;
  a->targets = g_array_new (FALSE, FALSE, sizeof (NetAddr));
  RspSecurity *sec = rserpool_security (m);
  for (guint j = 0; j < n; j++)
    {
      NetAddr addr = net_host_address (pe_host (rserpool_pe (m, j)), 0);
      if (rsp_security_app_secure (sec, addr))
        g_array_append_val (a->targets, addr);
    }
  a->host = net_host_new (a->net, "adversary0", "adversary", NET_HOST_ADVERSARY);
  net_host_add_address (a->host, net_lan (a->net, 0), 0);
  a->taps = g_ptr_array_new ();
  for (guint l = 0; l < net_n_lans (a->net); l++)
    g_ptr_array_add (a->taps, net_tap_attach_lan (net_lan (a->net, l), a->host, failover_tap, a));
  /* Without a PE that has TLS there is no session to push: the adversary only watches. */
  if (a->targets->len > 0)
    a->timer = sim_kernel_schedule (a->kernel, sim_params_time (p, "attack.start"), failover_window, a, NULL);
  return a;
}

void
attack_failover_record (AttackFailover *a, SimRecorder *rec)
{
  sim_record_scalar (rec, "attack", "attack.adversaries", 1, "hosts");
  sim_record_scalar (rec, "attack", "attack.packets_dropped", (double) a->dropped, "1");
  sim_record_scalar (rec, "attack", "attack.pes_cut", (double) a->windows, "1");
}

void
attack_failover_free (AttackFailover *a)
{
  if (a == NULL)
    return;
  sim_kernel_cancel (a->kernel, a->timer);
  for (guint i = 0; i < a->taps->len; i++)
    net_tap_detach (a->taps->pdata[i]);
  g_ptr_array_unref (a->taps);
  g_array_unref (a->targets);
  g_free (a);
}
