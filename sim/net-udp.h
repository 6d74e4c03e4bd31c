/*
 * sim/net-udp.h - UDP datagrams and multicast groups.
 *
 * A socket is bound to a port of a host; it sends datagrams to an address
 * and port, joins multicast groups (224.0.0.0/4) and receives, through its
 * callback, every datagram to its port and to the groups it joined, after the
 * host's CPU has processed it. Datagrams are unreliable: lost on a lossy
 * place, dropped at a full CPU queue, gone if nobody listens.
 *
 * Multicast: a datagram to a group reaches every member socket (same port) on
 * every LAN reachable from the sender, except the sender itself (no
 * loopback); see sim/net.h for how it travels.
 *
 * Forgery: an adversary host (NET_HOST_ADVERSARY) may send with any source
 * address (net_udp_send_from); replies go to the forged address.
 *
 * Not here: fragmentation, ICMP port unreachable, source-specific multicast.
 */
#pragma once

#include "sim/net.h"

G_BEGIN_DECLS

typedef struct NetUdpSocket NetUdpSocket;

/* A received datagram; the receiver borrows it (g_bytes_ref the payload to keep it). */
typedef struct {
  NetAddr  src;
  guint16  sport;
  NetAddr  dst;        /* a host address or a group */
  guint16  dport;
  NetKind  kind;
  GBytes  *payload;
} NetDatagram;

typedef void (*NetUdpRecvFn) (NetUdpSocket *sock, const NetDatagram *dgram, gpointer user_data);

/* Bind port (0: an ephemeral port) on host; NULL if the port is taken. */
NetUdpSocket *net_udp_open (NetHost *host, guint16 port, NetUdpRecvFn fn, gpointer user_data);
void          net_udp_close (NetUdpSocket *sock);
guint16       net_udp_port (const NetUdpSocket *sock);
NetHost      *net_udp_host (const NetUdpSocket *sock);

/* Send payload (a reference is taken) from the host's primary address. */
void          net_udp_send (NetUdpSocket *sock, NetAddr dst, guint16 dport, NetKind kind, GBytes *payload);
/* Same with a forged source address: only for adversary hosts. */
void          net_udp_send_from (NetUdpSocket *sock, NetAddr src, NetAddr dst, guint16 dport,
                                 NetKind kind, GBytes *payload);

void          net_udp_join (NetUdpSocket *sock, NetAddr group);
void          net_udp_leave (NetUdpSocket *sock, NetAddr group);

G_END_DECLS
