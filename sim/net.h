/*
 * sim/net.h - the virtual network: topology, hosts, packets, taps, failures.
 *
 * A Net lives on one SimKernel and owns every LAN, WAN link, host and packet
 * in flight. Hosts have one or more IPv4 addresses, each on a LAN; LANs are
 * joined by WAN links; packets follow the shortest path (by mean link delay)
 * between the sender's LAN and the destination's LAN. Transports live in their
 * own modules and use this one: SCTP-like associations (sim/net-assoc.h),
 * UDP and multicast (sim/net-udp.h); every message a host receives is
 * processed by its CPU (sim/net-cpu.h) before the upper layer sees it.
 *
 * The network knows nothing of the protocols above it: a message is an opaque
 * GBytes with a PPID (associations) and a kind (NetKind, a label the upper
 * layer interns by name: it selects the CPU service time at the receiver and
 * keys the per-kind statistics; it is metadata, not on the wire).
 *
 * Packets and places. A LAN or a link is a "place". Crossing a place costs
 * the transmitter's serialization (wire size x 8 / bandwidth, rounded up to
 * whole ns, FIFO behind the transmitter's earlier packets) plus one delay
 * sample of the place, and the packet is lost with the place's loss
 * probability. Transmitters: a host's interface on its LAN, the LAN's gateway
 * port (packets entering the LAN from a link), each direction of a link, each
 * tap (injections). A LAN is a switch: contention is at the transmitter only.
 * Packets transit a LAN's gateway between two links without crossing the LAN.
 *
 * Taps are the only way adversaries reach packets of others: a tap on a place
 * is called for every packet crossing that place, before it is transmitted
 * there, and may pass, drop, delay (hold) it, modify its fields or payload,
 * keep copies and inject packets later (replay) or new ones (inject).
 *
 * Randomness (DESIGN.md §3): the fate of a packet on a place is drawn from
 * streams of the host that sent it, "net/host/<host>/<place>/loss" and
 * ".../delay"; a tap's injections draw from its owner's streams. Adding an
 * attacker host therefore never changes an honest host's draws.
 *
 * Routing re-converges at once when a LAN or link goes down or up; a packet
 * on a place that goes down while it crosses is lost. Multicast is flooded on
 * the shortest-path tree from the sender's LAN (dense mode): every reachable
 * LAN carries one copy; members get it on their first interface.
 *
 * Not here: IPv6, fragmentation (a message is one packet of any size up to
 * 64 KiB), ICMP, TTLs, per-interface access delays, queueing at receivers.
 */
#pragma once

#include "sim/kernel.h"
#include "sim/param.h"
#include "sim/record.h"

G_BEGIN_DECLS

typedef struct Net       Net;
typedef struct NetHost   NetHost;
typedef struct NetLan    NetLan;
typedef struct NetLink   NetLink;
typedef struct NetTap    NetTap;
typedef struct NetPacket NetPacket;

/* An IPv4 address in host byte order: 0x0a000001 is 10.0.0.1. */
typedef guint32 NetAddr;
/* A message kind, from net_kind(); 0 is the unnamed kind "-". */
typedef guint16 NetKind;

#define NET_ERROR (net_error_quark ())
GQuark net_error_quark (void);
typedef enum {
  NET_ERROR_NAME,     /* unknown or duplicate host/LAN/link name */
  NET_ERROR_SYNTAX,   /* a scenario text (failure schedule) does not parse */
  NET_ERROR_PCAP,     /* capture file cannot be written */
} NetError;

/* What one place (LAN or WAN link) does to a packet crossing it. */
typedef struct {
  SimDist delay;      /* one-way delay of one crossing, drawn per packet (access delay on a LAN) */
  gint64  bandwidth;  /* bit/s, >= 1; serialization = ceil (bytes x 8 x 1e9 / bandwidth) ns */
  double  loss;       /* probability that a crossing packet is lost, in [0, 1] */
} NetPlaceConfig;

typedef enum {
  NET_WAN_STAR,       /* lan0 is the hub: links lan0-lanI */
  NET_WAN_LINE,       /* lanI-lanI+1 */
  NET_WAN_RING,       /* line plus lanN-1-lan0 */
  NET_WAN_FULL,       /* a link between every pair */
} NetWanTopology;

/* SCTP protocol parameters (RFC 4960 §15 defaults as scenario keys). */
typedef struct {
  SimTime rto_initial;      /* RTO.Initial, 3 s */
  SimTime rto_min;          /* RTO.Min, 1 s */
  SimTime rto_max;          /* RTO.Max, 60 s */
  guint   max_retrans;      /* Association.Max.Retrans, 10 */
  guint   max_init_retrans; /* Max.Init.Retransmits, 8 */
  SimTime hb_interval;      /* HB.interval, 30 s; 0 = no heartbeats */
  SimTime cookie_life;      /* Valid.Cookie.Life, 60 s */
  guint   streams;          /* outbound streams requested = inbound streams allowed, 1..65535 */
} NetSctpConfig;

/* One run's network configuration; net_config_from_params() fills it from the keys of net_params(). */
typedef struct {
  guint          lans;            /* LANs created by net_new (lan0, lan1, ...); 0 = build by hand */
  NetPlaceConfig lan;
  NetWanTopology wan_topology;
  NetPlaceConfig wan;
  NetSctpConfig  sctp;
  gint64         cpu_capacity;    /* messages a host holds unprocessed at most; 0 = unbounded */
  SimDist        cpu_service;     /* service time of a message no net_cpu_set_service() covers */
  SimTime        warmup;          /* statistics start here */
  char          *fail_schedule;   /* "NAME:DOWN-UP, ..." (owned) */
  char          *fail_random;     /* glob patterns of names with a random up/down process (owned) */
  SimDist        fail_uptime;
  SimDist        fail_downtime;
} NetConfig;

/* The scenario keys of the network (static table). */
const SimParamDecl *net_params (gsize *n);
/* Fill cfg from a run's parameters (params must contain net_params()). Free with net_config_clear. */
void net_config_from_params (const SimParams *params, NetConfig *cfg);
/* Fill cfg with the declared defaults of net_params(). */
void net_config_init (NetConfig *cfg);
void net_config_clear (NetConfig *cfg);

/* A network on kernel with the run's seed. Copies cfg; creates cfg->lans LANs and their links. */
Net       *net_new (SimKernel *kernel, guint64 seed, const NetConfig *cfg);
/* Free the net before its kernel, and do not run the kernel after: pending events point into the net. */
void       net_free (Net *net);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Net, net_free)
SimKernel *net_kernel (const Net *net);
const NetConfig *net_config (const Net *net);

/* Intern a message kind or a role by name (stable small integers, in order of first use). */
NetKind     net_kind (Net *net, const char *name);
const char *net_kind_name (const Net *net, NetKind kind);

/* Addresses. */
NetAddr net_addr (guint a, guint b, guint c, guint d);
/* Parse dotted quad; FALSE if text is not one. */
gboolean net_addr_parse (const char *text, NetAddr *addr);
/* "10.0.0.1" into buf (>= 16 bytes). */
const char *net_addr_format (NetAddr addr, char *buf, gsize len);
static inline gboolean
net_addr_is_multicast (NetAddr a)
{
  return (a >> 28) == 0xe;
}

/* Topology. Names share one namespace with hosts. The new LAN gets prefix/16 (0 = 10.<index>.0.0). */
NetLan  *net_lan_add (Net *net, const char *name, const NetPlaceConfig *cfg, NetAddr prefix);
NetLink *net_link_add (Net *net, const char *name, NetLan *a, NetLan *b, const NetPlaceConfig *cfg);
guint    net_n_lans (const Net *net);
NetLan  *net_lan (const Net *net, guint index);
NetLan  *net_lan_lookup (const Net *net, const char *name);
NetLink *net_link_lookup (const Net *net, const char *name);
const char *net_lan_name (const NetLan *lan);
const char *net_link_name (const NetLink *link);

/* Hosts. role names the host's CPU cost profile (net_cpu_set_service). */
typedef enum {
  NET_HOST_ADVERSARY = 1 << 0,  /* may forge UDP source addresses and send raw packets */
} NetHostFlags;

NetHost    *net_host_new (Net *net, const char *name, const char *role, NetHostFlags flags);
/* Give host an address on lan; addr 0 = the LAN's next free address. Returns the address. */
NetAddr     net_host_add_address (NetHost *host, NetLan *lan, NetAddr addr);
guint       net_host_n_addresses (const NetHost *host);
NetAddr     net_host_address (const NetHost *host, guint i);  /* i = 0: the primary address */
const char *net_host_name (const NetHost *host);
const char *net_host_role (const NetHost *host);
gboolean    net_host_is_up (const NetHost *host);
Net        *net_host_net (const NetHost *host);
NetHost    *net_host_lookup (const Net *net, const char *name);
NetHost    *net_host_by_address (const Net *net, NetAddr addr);
guint       net_n_hosts (const Net *net);
NetHost    *net_host (const Net *net, guint index);

/*
 * Called after host crashed (up = FALSE) or restarted (TRUE). A crash destroys
 * every association, listener and UDP socket of the host and its CPU queue
 * without further callbacks: in this callback the upper layer forgets its
 * pointers to them. After a restart it opens what it needs again.
 */
typedef void (*NetHostStateFn) (NetHost *host, gboolean up, gpointer user_data);
void net_host_set_state_callback (NetHost *host, NetHostStateFn fn, gpointer user_data);

/* Packets (RFC 4960 §3 for the SCTP fields). */
typedef enum {
  NET_PROTO_UDP  = 17,
  NET_PROTO_SCTP = 132,
} NetProto;

typedef enum {
  NET_CHUNK_DATA              = 0,
  NET_CHUNK_INIT              = 1,
  NET_CHUNK_INIT_ACK          = 2,
  NET_CHUNK_SACK              = 3,
  NET_CHUNK_HEARTBEAT         = 4,
  NET_CHUNK_HEARTBEAT_ACK     = 5,
  NET_CHUNK_ABORT             = 6,
  NET_CHUNK_SHUTDOWN          = 7,
  NET_CHUNK_SHUTDOWN_ACK      = 8,
  NET_CHUNK_COOKIE_ECHO       = 10,
  NET_CHUNK_COOKIE_ACK        = 11,
  NET_CHUNK_SHUTDOWN_COMPLETE = 14,
} NetChunkType;

#define NET_CHUNK_FLAG_T  0x01  /* ABORT, SHUTDOWN COMPLETE: the verification tag is reflected */
#define NET_CHUNK_FLAG_BE 0x03  /* DATA: first and last fragment (always: no fragmentation) */

/*
 * One packet: IPv4 + SCTP with one chunk, or IPv4 + UDP. The wire fields are
 * what net_packet_render() encodes; taps may change any of them. Every
 * variable-length part (message, parameters, cookie, gap blocks, heartbeat
 * info) is in payload, in wire format; GBytes are immutable, so a tap that
 * modifies a payload replaces it (net_packet_set_payload).
 */
struct NetPacket {
  /* IPv4 and transport header. */
  NetAddr  src;
  NetAddr  dst;
  NetProto proto;
  guint16  sport;
  guint16  dport;
  /* SCTP: verification tag and the chunk. */
  guint32  vtag;
  guint8   chunk;      /* NetChunkType */
  guint8   flags;
  guint16  stream;     /* DATA: stream identifier */
  guint16  ssn;        /* DATA: stream sequence number */
  guint32  tsn;        /* DATA: TSN; SACK, SHUTDOWN: cumulative TSN ack; INIT, INIT-ACK: initial TSN */
  guint32  ppid;       /* DATA: payload protocol identifier */
  guint32  init_tag;   /* INIT, INIT-ACK: initiate tag */
  guint16  n_out;      /* INIT, INIT-ACK: outbound streams */
  guint16  n_in;       /* INIT, INIT-ACK: maximum inbound streams */
  GBytes  *payload;    /* (nullable) see above; owned by the packet */
  /* Metadata, not on the wire. */
  NetKind  kind;       /* the sender's label of the message (DATA, UDP) */
  guint64  id;         /* unique in the net, in order of creation */
  SimTime  sent;       /* when its sender (or injecting tap) handed it to the network */
  /* Private to the network: where the packet is. */
  NetHost  *origin;    /* whose streams draw its fate */
  gpointer  place;     /* the NetPlace it crosses */
  gpointer  rx;        /* NetIface at the end of a LAN crossing; NULL = the gateway */
  SimTime  *tx_free;   /* transmitter of the current crossing */
  NetTap   *skip_tap;  /* a tap that injected it: not shown its own packet */
  NetLan   *mc_root;   /* multicast: LAN whose shortest-path tree it follows */
  guint32   epoch;     /* the place's epoch when the crossing began */
  guint16   tap_next;  /* first tap of the place still to see it */
  guint8    link_dir;  /* on a link: 0 = end a to end b */
  guint8    hops;      /* crossings begun */
};

NetPacket *net_packet_new (void);
/* A copy with its own identity (payload shared, it is immutable). */
NetPacket *net_packet_copy (const NetPacket *pkt);
void       net_packet_free (NetPacket *pkt);
/* Replace the payload (takes a reference to payload, which may be NULL). */
void       net_packet_set_payload (NetPacket *pkt, GBytes *payload);
/* Bytes on the wire: IPv4 header + SCTP common header + chunk (padded), or + UDP header. */
gsize      net_packet_wire_size (const NetPacket *pkt);
/* The packet as it is on the wire, with IPv4 header checksum and SCTP CRC32c / UDP checksum. */
GBytes    *net_packet_render (const NetPacket *pkt);

/*
 * An adversary host puts a packet of its own making on the network, as if its
 * interface sent it (any source address). Transfer full.
 */
void net_host_send_raw (NetHost *host, NetPacket *pkt);

/* Taps (DESIGN.md §4). */
typedef enum {
  NET_TAP_PASS,   /* the packet goes on (possibly modified) */
  NET_TAP_DROP,   /* the packet is gone */
  NET_TAP_DELAY,  /* hold it for *delay, then it goes on from here */
} NetTapVerdict;

/* pkt is the network's: modify it in place, copy it to keep it; do not free it. */
typedef NetTapVerdict (*NetTapFn) (NetTap *tap, NetPacket *pkt, SimTime *delay, gpointer user_data);

/* Attach a tap owned by host (an adversary); taps of a place see packets in attach order. */
NetTap *net_tap_attach_lan (NetLan *lan, NetHost *owner, NetTapFn fn, gpointer user_data);
NetTap *net_tap_attach_link (NetLink *link, NetHost *owner, NetTapFn fn, gpointer user_data);
/* The tap sees nothing more (packets it holds still go on). */
void    net_tap_detach (NetTap *tap);
/*
 * Put pkt (transfer full) onto the tap's place now, heading for pkt->dst:
 * replay a copy kept earlier, or a packet made from scratch. Taps of the place
 * other than this one see it; its fate draws from the owner's streams.
 */
void    net_tap_inject (NetTap *tap, NetPacket *pkt);
Net    *net_tap_net (const NetTap *tap);

/*
 * A passive observer of every packet as it begins to cross a place (after the
 * taps let it), for captures: lan NULL = each packet once, at its first
 * crossing. One observer per net; fn NULL removes it.
 */
typedef void (*NetPacketObserver) (const NetPacket *pkt, SimTime t, gpointer user_data);
void net_set_observer (Net *net, NetLan *lan, NetPacketObserver fn, gpointer user_data);

/* Failures: a crashed host loses all transport state (see NetHostStateFn). */
void     net_host_crash (NetHost *host);
void     net_host_restart (NetHost *host);
void     net_lan_set_up (NetLan *lan, gboolean up);
void     net_link_set_up (NetLink *link, gboolean up);
gboolean net_lan_is_up (const NetLan *lan);
gboolean net_link_is_up (const NetLink *link);
/* Take the host, LAN or link `name` down at down_at and up at up_at (SIM_TIME_MAX: never). */
gboolean net_fail_schedule (Net *net, const char *name, SimTime down_at, SimTime up_at, GError **error);
/* An alternating up/down process (starting up) from stream "net/fail/<name>". */
gboolean net_fail_random (Net *net, const char *name, const SimDist *uptime, const SimDist *downtime,
                          GError **error);
/* Apply net.fail.schedule and net.fail.random; call after the upper layer created its hosts. */
gboolean net_fail_apply_config (Net *net, GError **error);

/* Counters of the whole network (since the start, not the warm-up). */
typedef struct {
  guint64 packets;          /* packets handed to the network (incl. injected, retransmitted, control) */
  guint64 crossings;        /* place crossings begun */
  guint64 delivered;        /* packets that reached a host */
  guint64 lost_random;      /* lost to a place's loss probability */
  guint64 lost_down;        /* lost on a place that was or went down */
  guint64 lost_host_down;   /* reached a host that is down */
  guint64 lost_no_route;    /* destination unknown or unreachable */
  guint64 tap_dropped;      /* dropped by taps */
  guint64 tap_injected;     /* injected by taps */
  guint64 sctp_bad_vtag;    /* SCTP packets discarded for their verification tag or cookie */
  guint64 sctp_ootb;        /* out-of-the-blue SCTP packets (no association) */
  guint64 udp_no_port;      /* datagrams to a port nobody listens on */
  guint64 retransmissions;  /* DATA chunks sent again */
} NetStats;
const NetStats *net_stats (const Net *net);

/*
 * Record the run's results at the end: per kind "net.messages"/"net.bytes"
 * (module "net/<kind>"), the NetStats counters (module "net"), and per host
 * its CPU's "net.cpu.utilization", "net.cpu.queue_delay" (statistic, s),
 * "net.cpu.processed", "net.cpu.dropped" (module "net/host/<name>").
 */
void net_record (Net *net, SimRecorder *recorder);

G_END_DECLS
