/*
 * models/netload.h - the virtual network's validation model and traffic
 * generator (see models/netload.c).
 *
 * The constants are what a capture of a netload run shows: messages on the
 * associations carry NETLOAD_PPID, datagrams go to NETLOAD_UDP_PORT (of the
 * peer, or of NETLOAD_GROUP), and every payload starts with a
 * NETLOAD_HEADER_SIZE-byte header (big-endian): the send time in ns (8),
 * a sequence number (8), the association's flow number (4; NETLOAD_NO_FLOW
 * for a datagram) and the sender's host index (4); zeros fill the rest.
 */
#pragma once

#include "sim/model.h"

G_BEGIN_DECLS

/*
 * RFC 4960 §3.3.1: PPID 0 means that the upper layer names no protocol: a
 * dissector leaves such payloads as data (11 and 12, ASAP and ENRP, are for
 * the protocol models).
 */
#define NETLOAD_PPID         0
#define NETLOAD_SCTP_PORT    9000
#define NETLOAD_UDP_PORT     9000
#define NETLOAD_GROUP        0xef000001u  /* 239.0.0.1: every host joins it when datagrams go to the group */
#define NETLOAD_HEADER_SIZE  24
#define NETLOAD_NO_FLOW      G_MAXUINT32

extern const SimModelType netload_model_type;

G_END_DECLS
