/*
 * sim/net-private.h - what the network's modules (net.c, net-cpu.c,
 * net-assoc.c, net-udp.c, net-capture.c) share, and what tests look at.
 * Not for the layers above: they use the public headers.
 */
#pragma once

#include "sim/net.h"
#include "sim/net-assoc.h"
#include "sim/net-cpu.h"
#include "sim/net-udp.h"
#include "sim/rng.h"
#include "sim/stat.h"

G_BEGIN_DECLS

typedef enum { NET_PLACE_LAN, NET_PLACE_LINK } NetPlaceKind;

/* A LAN or a link: what packets cross. */
typedef struct {
  Net           *net;
  NetPlaceKind   kind;
  guint          index;     /* in net->places: the index of a host's per-place streams */
  char          *name;
  NetPlaceConfig cfg;
  gboolean       up;
  guint32        epoch;     /* +1 whenever it goes down: packets crossing then are lost */
  GPtrArray     *taps;      /* NetTap*, attach order */
  guint64        crossings;
  guint64        bytes;
} NetPlace;

struct NetLan {
  NetPlace   place;         /* first member */
  guint      lan_index;     /* in net->lans, row/column of the route tables */
  NetAddr    prefix;        /* a /16 */
  guint32    next_host;     /* next free host part for automatic addresses */
  GPtrArray *links;         /* NetLink* with an end here */
  SimTime    gw_tx_free;    /* gateway port onto the LAN: free from this time on */
};

struct NetLink {
  NetPlace place;
  guint    link_index;
  NetLan  *end[2];
  SimTime  tx_free[2];      /* per direction: 0 = end[0] -> end[1] */
};

/* One address of a host. */
typedef struct {
  NetHost *host;
  NetLan  *lan;
  NetAddr  addr;
  SimTime  tx_free;         /* the interface's transmitter */
} NetIface;

/* The streams a host's packets draw from on one place. */
typedef struct {
  SimRng loss;
  SimRng delay;
} NetHopRng;

/* A job of a host CPU: a message to hand up, or work the upper layer asked for. */
typedef struct NetCpuJob NetCpuJob;
struct NetCpuJob {
  NetCpuJob     *next;
  SimTime        enqueued;
  SimTime        service;
  NetKind        kind;
  gboolean       counted;    /* a message (counts for capacity and statistics) */
  NetCpuFn       fn;
  gpointer       data;
  GDestroyNotify destroy;
};

typedef struct {
  NetCpuJob  *head, *tail;   /* waiting jobs, FIFO */
  NetCpuJob  *current;       /* in service (or running inline), NULL when idle */
  SimEventId  done_event;
  guint       waiting;       /* messages in the queue (not current) */
  gboolean    running;       /* inside a job's callback */
  gboolean    serving;       /* a job with positive service is in service (what the watcher is told) */
  NetCpuWatchFn watch;       /* nullable */
  gpointer    watch_data;
  SimRng      rng;           /* "net/host/<name>/cpu": service time samples */
  SimTimeAvg  busy;
  SimTimeAvg  queue_len;
  SimStat     queue_delay;   /* s, messages enqueued after the warm-up */
  guint64     processed;
  guint64     dropped;
} NetCpu;

struct NetHost {
  Net        *net;
  char       *name;
  guint       index;
  guint       role;          /* interned role name */
  NetHostFlags flags;
  gboolean    up;
  GPtrArray  *ifaces;        /* NetIface*, [0] = primary */
  NetHopRng **hop_rng;       /* per place index, created at first use */
  guint       n_hop_rng;
  GHashTable *listeners;     /* port -> NetListener* */
  GHashTable *udp;           /* port -> NetUdpSocket* */
  GHashTable *assocs;        /* guint64 key (net_assoc_key) -> NetAssoc* */
  GHashTable *assoc_names;   /* association stream name -> times used */
  guint16     next_port;     /* next ephemeral port (kept across crashes) */
  SimRng      sctp_rng;      /* "net/host/<name>/sctp": tags, initial TSNs, cookie secret */
  guint8      cookie_key[32];
  NetCpu      cpu;
  NetHostStateFn state_fn;
  gpointer    state_data;
};

struct NetTap {
  Net       *net;
  NetPlace  *place;          /* NULL once detached */
  NetHost   *owner;
  NetTapFn   fn;
  gpointer   user_data;
  SimTime    tx_free;        /* its own transmitter for injections */
};

typedef struct {
  guint64 messages;
  guint64 bytes;
} NetKindStats;

/* CPU cost of one (role, kind). */
typedef struct {
  gboolean set;
  SimDist  service;
  GArray  *ops;              /* guint op indices, extra costs */
} NetCost;

/* A multicast group: its members in join order. */
typedef struct {
  NetAddr    addr;
  GPtrArray *members;        /* NetUdpSocket* */
} NetGroup;

struct Net {
  SimKernel  *kernel;
  guint64     seed;
  NetConfig   cfg;
  GPtrArray  *places;        /* NetPlace*, owned (LANs and links) */
  GPtrArray  *lans;          /* NetLan* */
  GPtrArray  *links;         /* NetLink* */
  GPtrArray  *hosts;         /* NetHost*, owned */
  GPtrArray  *taps;          /* NetTap*, owned (detached ones too: held packets may point at them) */
  GHashTable *names;         /* name -> NetName (hosts, LANs and links share one namespace) */
  GHashTable *by_addr;       /* NetAddr -> NetIface* */
  GHashTable *groups;        /* NetAddr -> NetGroup* */
  /* Routes between LANs, n x n, rebuilt when the topology changes (routes_n != lans->len or dirty). */
  guint       routes_n;
  gboolean    routes_dirty;
  gint       *next_link;     /* [from * n + to]: link index of the first hop; -1 none / same LAN */
  gint       *prev_link;     /* [root * n + x]: link by which x is reached on root's tree; -1 */
  gint64     *dist;          /* [from * n + to]: path weight; G_MAXINT64 = unreachable */
  /* Names interned. */
  GPtrArray  *kind_names;    /* char*, index = NetKind */
  GHashTable *kind_ids;
  GPtrArray  *role_names;
  GHashTable *role_ids;
  GPtrArray  *op_names;
  GArray     *op_costs;      /* SimDist per op */
  GHashTable *op_ids;
  GArray     *costs;         /* NetCost, [role * costs_kinds + kind], grown on demand */
  guint       costs_roles, costs_kinds;
  GArray     *kind_stats;    /* NetKindStats per kind: messages sent */
  guint64     next_packet_id;
  NetStats    stats;
  NetPacketObserver observer;
  gpointer    observer_data;
  NetPlace   *observer_place;
  gpointer    capture;       /* NetCapture (net-capture.c) */
  struct NetFailer *failers; /* failure processes, owned (a list) */
};

/* net.c, for the transports. */
NetIface  *net_host_iface_for (NetHost *host, NetAddr src);
/* Hand pkt (transfer full) from host to the network; sets origin, id, sent. */
void       net_send (NetHost *host, NetPacket *pkt);
NetGroup  *net_group (Net *net, NetAddr group, gboolean create);
void       net_kind_count (Net *net, NetKind kind, gsize bytes);
guint      net_role_intern (Net *net, const char *name);

/*
 * Hash of an association key (lport << 48 | pport << 32 | peer address) for
 * NetHost.assocs: every bit of the key reaches every bit of the hash. (The
 * 32-bit fold of g_int64_hash, paddr ^ (lport << 16 | pport), gives the
 * same value to many peers whose address and port differ in the same low
 * bits, e.g. 100 PUs with sequential addresses and ports at one server:
 * lookups then compared long chains of equal hashes.)
 */
guint      net_assoc_key_hash (gconstpointer key);

/* Delivery to a host's transports (pkt is borrowed). */
void       net_assoc_receive (NetHost *host, NetIface *iface, NetPacket *pkt);
void       net_udp_receive (NetHost *host, NetIface *iface, NetPacket *pkt);
/* Destroy a host's transport state at a crash (no callbacks). */
void       net_assoc_host_crash (NetHost *host);
void       net_udp_host_crash (NetHost *host);
void       net_cpu_host_init (NetHost *host);
void       net_cpu_host_crash (NetHost *host);
void       net_cpu_host_clear (NetHost *host);
void       net_cpu_costs_free (Net *net);

/* net-cpu.c, for the transports. */
/* Can the host accept one more message? (waiting + in service < capacity) */
gboolean   net_cpu_has_room (const NetHost *host);
/* Queue a message job (service from the cost table). check = FALSE: room was reserved. FALSE = dropped. */
gboolean   net_cpu_submit (NetHost *host, NetKind kind, gboolean check, NetCpuFn fn, gpointer data,
                           GDestroyNotify destroy);

/* net-capture.c: close a capture without reporting errors (net_free). */
void       net_capture_free (Net *net);

G_END_DECLS
