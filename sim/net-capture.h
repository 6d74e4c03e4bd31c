/*
 * sim/net-capture.h - write the packets of a run as a pcap file
 * (../shared/tools/README-pcap.md): what `poolsim run --pcap FILE
 * [--pcap-lan NAME]` connects to.
 *
 * Every message-carrying packet is written with the sim/pcap writer when it
 * begins to cross the chosen LAN (or, for the whole network, once, when it
 * begins its first crossing, including packets taps inject): an SCTP DATA
 * chunk as IPv4 + SCTP common header (CRC32c) + one DATA chunk with its
 * stream and PPID, a datagram as IPv4 + UDP. Timestamps are simulated time.
 * The writer gives each direction of an association its own verification tag
 * and rising TSNs, so retransmissions appear as new TSNs.
 *
 * Not written: SCTP control chunks (INIT, SACK, HEARTBEAT, ...), which the
 * writer cannot frame and which carry no upper-layer message.
 */
#pragma once

#include "sim/net.h"

G_BEGIN_DECLS

/* Start writing path (truncated). lan NULL = the whole network. FALSE + error: bad LAN name, file error. */
gboolean net_capture_open (Net *net, const char *path, const char *lan, GError **error);
/* Finish the file; FALSE + error if any write failed (also reported for the first failed write). */
gboolean net_capture_close (Net *net, GError **error);
/* Records written so far (0 without a capture). */
guint64  net_capture_frames (const Net *net);

G_END_DECLS
