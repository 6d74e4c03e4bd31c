/*
 * sim/net-cpu.h - the CPU of each host: a FIFO queue of messages and work.
 *
 * Every message a host receives (a datagram, or an association's message once
 * it is in order) is queued at the host's CPU and handed to the upper layer
 * when its service ends; a flood therefore costs real processing and delays
 * honest traffic (DESIGN.md §4). The service time of a message is drawn from
 * the distribution set for (the host's role, the message's kind), else the
 * scenario's net.cpu.service, plus the named extra operations added for that
 * (role, kind) (e.g. "crypto.verify"). Draws come from "net/host/<name>/cpu".
 *
 * Capacity (net.cpu.queue-capacity): a host holds at most that many messages
 * unprocessed (queued, in service, or held by an association for reordering).
 * A datagram that finds it full is dropped; an association's DATA chunk is
 * discarded before acknowledgement, so the sender retransmits it (as a
 * receiver with a full buffer makes it do): associations stay reliable.
 *
 * The upper layer may also queue its own work (net_host_cpu_exec: a TLS
 * handshake, a signature) in the same FIFO; such work is never dropped.
 *
 * Recorded per host: utilization (time average of busy), queue length, the
 * queueing delay of messages (from arrival to start of service), processed
 * and dropped messages.
 *
 * A watcher (one per host) is told when the CPU starts serving work that
 * takes time and when it has none left: an application that runs on the
 * host (models/calcapp.c) makes progress only while the CPU is free, so
 * message processing preempts it.
 *
 * Not here: multiple cores, preemption among jobs, costs of sending.
 */
#pragma once

#include "sim/net.h"

G_BEGIN_DECLS

/* Called when a job's service ends; data is destroyed after it returns. */
typedef void (*NetCpuFn) (NetHost *host, gpointer data);

/* Messages of kind at hosts of role (NULL: every role) take service (a copy is kept). */
void     net_cpu_set_service (Net *net, const char *role, NetKind kind, const SimDist *service);
/* A named extra operation and its cost. */
void     net_cpu_define_op (Net *net, const char *op, const SimDist *cost);
/* Messages of kind at hosts of role (NULL: every role) also cost op (defined before). */
void     net_cpu_add_op (Net *net, const char *role, NetKind kind, const char *op);

/* Queue work of `service` (>= 0) at host's CPU; fn(host, data) runs when it is done. */
void     net_host_cpu_exec (NetHost *host, SimTime service, NetKind kind, NetCpuFn fn, gpointer data,
                            GDestroyNotify destroy);
/* Same with the cost of the named operation drawn from its distribution. */
void     net_host_cpu_exec_op (NetHost *host, const char *op, NetKind kind, NetCpuFn fn, gpointer data,
                               GDestroyNotify destroy);

/*
 * Told, at simulated time now, that host's CPU begins (serving TRUE) or ends
 * (FALSE) a stretch of serving jobs that take time. It must not queue work at
 * host's CPU. A crash ends a stretch without telling.
 */
typedef void (*NetCpuWatchFn) (NetHost *host, gboolean serving, gpointer data);
/* Set (fn NULL: remove) host's watcher. */
void     net_host_cpu_watch (NetHost *host, NetCpuWatchFn fn, gpointer data);
/* Whether host's CPU is serving a job that takes time now. */
gboolean net_host_cpu_serving (const NetHost *host);

typedef struct {
  double  utilization;     /* busy time / time since the warm-up */
  double  queue_len;       /* time-average of waiting messages */
  SimStat queue_delay;     /* s */
  guint64 processed;       /* messages processed */
  guint64 dropped;         /* messages dropped (full) */
  guint   occupancy;       /* messages waiting or in service now */
} NetCpuStats;
void     net_host_cpu_stats (const NetHost *host, NetCpuStats *st);

G_END_DECLS
