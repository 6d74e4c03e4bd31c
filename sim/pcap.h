/*
 * sim/pcap.h - writes the packets of a run as a classic pcap file that
 * Wireshark/tshark dissect: LINKTYPE_RAW, IPv4, and either SCTP (common
 * header with CRC32c, one DATA chunk per message) or UDP.
 *
 * The writer knows nothing of what it carries: a payload protocol identifier
 * is just a number, addresses are IPv4 addresses in host byte order
 * (0x0a000001 = 10.0.0.1), payloads are bytes. It invents the SCTP framing a
 * capture needs to be read back: each direction (source address and port,
 * destination address and port) of an association gets its own verification
 * tag and its own rising TSN sequence, starting at 1, and per stream its own
 * stream sequence numbers. Timestamps are simulated time, written with
 * nanosecond resolution (magic a1b23c4d), so a capture is a deterministic
 * function of the run.
 *
 * Not here: SCTP control chunks (INIT, SACK, ...), bundling, fragmentation,
 * IPv6. Layout: ../shared/tools/README-pcap.md.
 */
#pragma once

#include <glib.h>

#include "sim/kernel.h"

G_BEGIN_DECLS

typedef struct SimPcap SimPcap;

/* The largest payloads that fit one IPv4 packet. */
#define SIM_PCAP_MAX_SCTP_PAYLOAD (65535 - 20 - 12 - 16 - 3)
#define SIM_PCAP_MAX_UDP_PAYLOAD  (65535 - 20 - 8)

/* Create (truncate) path and write the file header. NULL + error on failure. */
SimPcap *sim_pcap_open (const char *path, GError **error);

/* Flush and close the file, then free pcap. FALSE + error if any write failed. */
gboolean sim_pcap_close (SimPcap *pcap, GError **error);
/* Close without reporting errors (for cleanup paths). */
void     sim_pcap_free (SimPcap *pcap);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimPcap, sim_pcap_free)

/*
 * One SCTP packet src:sport -> dst:dport at time t (>= 0) carrying one DATA
 * chunk (flags B|E, the given stream and PPID) with len payload bytes
 * (<= SIM_PCAP_MAX_SCTP_PAYLOAD). FALSE + error on a write error.
 */
gboolean sim_pcap_write_sctp (SimPcap      *pcap,
                              SimTime       t,
                              guint32       src,
                              guint16       sport,
                              guint32       dst,
                              guint16       dport,
                              guint16       stream,
                              guint32       ppid,
                              const guint8 *payload,
                              gsize         len,
                              GError      **error);

/* One UDP datagram (len <= SIM_PCAP_MAX_UDP_PAYLOAD), with its checksum. */
gboolean sim_pcap_write_udp (SimPcap      *pcap,
                             SimTime       t,
                             guint32       src,
                             guint16       sport,
                             guint32       dst,
                             guint16       dport,
                             const guint8 *payload,
                             gsize         len,
                             GError      **error);

/* Records written so far. */
guint64  sim_pcap_frames (const SimPcap *pcap);

/* CRC32c (Castagnoli, RFC 4960 App. B) of data: crc32c("123456789") = 0xE3069283. */
guint32  sim_pcap_crc32c (const guint8 *data, gsize len);

G_END_DECLS
