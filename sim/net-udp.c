/*
 * sim/net-udp.c - UDP sockets and multicast membership (see sim/net-udp.h).
 *
 * A socket is one entry in its host's port table and one entry in the member
 * list of each group it joined (join order: the order of delivery on a LAN).
 * A received datagram is a CPU job holding the socket's port, not the socket:
 * at the end of service the port is looked up again, so a socket closed
 * meanwhile simply misses it.
 */
#include "config.h"

#include "sim/net-private.h"

struct NetUdpSocket {
  NetHost     *host;
  guint16      port;
  NetUdpRecvFn fn;
  gpointer     user_data;
  GArray      *groups;      /* NetAddr joined */
};

static guint16
ephemeral_port (NetHost *h, GHashTable *taken)
{
  for (guint tries = 0; tries < 16384; tries++)
    {
      guint16 p = h->next_port;
      h->next_port = h->next_port == 65535 ? 49152 : h->next_port + 1;
      if (!g_hash_table_contains (taken, GUINT_TO_POINTER (p)))
        return p;
    }
  g_error ("net: host %s has no free ephemeral port", h->name);
}

NetUdpSocket *
net_udp_open (NetHost *h, guint16 port, NetUdpRecvFn fn, gpointer user_data)
{
  g_return_val_if_fail (h->up, NULL);
  if (port == 0)
    port = ephemeral_port (h, h->udp);
  if (g_hash_table_contains (h->udp, GUINT_TO_POINTER (port)))
    return NULL;
  NetUdpSocket *s = g_new0 (NetUdpSocket, 1);
  s->host = h;
  s->port = port;
  s->fn = fn;
  s->user_data = user_data;
  s->groups = g_array_new (FALSE, FALSE, sizeof (NetAddr));
  g_hash_table_insert (h->udp, GUINT_TO_POINTER (port), s);
  return s;
}

static void
group_remove (Net *net, NetAddr group, NetUdpSocket *s)
{
  NetGroup *g = net_group (net, group, FALSE);
  if (g != NULL)
    g_ptr_array_remove (g->members, s);
}

static void
socket_free (NetUdpSocket *s)
{
  for (guint i = 0; i < s->groups->len; i++)
    group_remove (s->host->net, g_array_index (s->groups, NetAddr, i), s);
  g_array_unref (s->groups);
  g_free (s);
}

void
net_udp_close (NetUdpSocket *s)
{
  g_hash_table_remove (s->host->udp, GUINT_TO_POINTER (s->port));
  socket_free (s);
}

guint16
net_udp_port (const NetUdpSocket *s)
{
  return s->port;
}

NetHost *
net_udp_host (const NetUdpSocket *s)
{
  return s->host;
}

void
net_udp_send_from (NetUdpSocket *s, NetAddr src, NetAddr dst, guint16 dport, NetKind kind, GBytes *payload)
{
  NetHost *h = s->host;
  g_return_if_fail (h->up && h->ifaces->len > 0);
  g_return_if_fail ((h->flags & NET_HOST_ADVERSARY) || net_host_iface_for (h, src)->addr == src);
  NetPacket *pkt = net_packet_new ();
  pkt->proto = NET_PROTO_UDP;
  pkt->src = src;
  pkt->dst = dst;
  pkt->sport = s->port;
  pkt->dport = dport;
  pkt->kind = kind;
  net_packet_set_payload (pkt, payload);
  net_kind_count (h->net, kind, payload != NULL ? g_bytes_get_size (payload) : 0);
  net_send (h, pkt);
}

void
net_udp_send (NetUdpSocket *s, NetAddr dst, guint16 dport, NetKind kind, GBytes *payload)
{
  g_return_if_fail (s->host->ifaces->len > 0);
  net_udp_send_from (s, net_host_address (s->host, 0), dst, dport, kind, payload);
}

void
net_udp_join (NetUdpSocket *s, NetAddr group)
{
  g_return_if_fail (net_addr_is_multicast (group));
  for (guint i = 0; i < s->groups->len; i++)
    if (g_array_index (s->groups, NetAddr, i) == group)
      return;
  g_array_append_val (s->groups, group);
  g_ptr_array_add (net_group (s->host->net, group, TRUE)->members, s);
}

void
net_udp_leave (NetUdpSocket *s, NetAddr group)
{
  for (guint i = 0; i < s->groups->len; i++)
    if (g_array_index (s->groups, NetAddr, i) == group)
      {
        g_array_remove_index (s->groups, i);
        group_remove (s->host->net, group, s);
        return;
      }
}

static gboolean
is_member (const NetUdpSocket *s, NetAddr group)
{
  for (guint i = 0; i < s->groups->len; i++)
    if (g_array_index (s->groups, NetAddr, i) == group)
      return TRUE;
  return FALSE;
}

/* A datagram waiting for the CPU. */
typedef struct {
  NetDatagram d;
} UdpJob;

static void
udp_job_free (gpointer p)
{
  UdpJob *j = p;
  if (j->d.payload != NULL)
    g_bytes_unref (j->d.payload);
  g_free (j);
}

static void
udp_job_done (NetHost *h, gpointer data)
{
  UdpJob *j = data;
  NetUdpSocket *s = g_hash_table_lookup (h->udp, GUINT_TO_POINTER (j->d.dport));
  if (s == NULL || (net_addr_is_multicast (j->d.dst) && !is_member (s, j->d.dst)))
    return;
  s->fn (s, &j->d, s->user_data);
}

void
net_udp_receive (NetHost *h, NetIface *iface, NetPacket *pkt)
{
  NetUdpSocket *s = g_hash_table_lookup (h->udp, GUINT_TO_POINTER ((guint) pkt->dport));
  if (s == NULL || (net_addr_is_multicast (pkt->dst) && !is_member (s, pkt->dst)))
    {
      h->net->stats.udp_no_port++;
      return;
    }
  UdpJob *j = g_new0 (UdpJob, 1);
  j->d.src = pkt->src;
  j->d.sport = pkt->sport;
  j->d.dst = pkt->dst;
  j->d.dport = pkt->dport;
  j->d.kind = pkt->kind;
  j->d.payload = pkt->payload != NULL ? g_bytes_ref (pkt->payload) : NULL;
  net_cpu_submit (h, pkt->kind, TRUE, udp_job_done, j, udp_job_free);
}

void
net_udp_host_crash (NetHost *h)
{
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, h->udp);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      g_hash_table_iter_remove (&it);
      socket_free (v);
    }
}
