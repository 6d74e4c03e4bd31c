/*
 * models/rsp.h - what the RSerPool models (registrar, pool element, pool
 * user) share: well-known ports, PPIDs and groups (RFC 5352 §8, RFC 5353 §5),
 * and message I/O — every message is encoded by the codec into real bytes,
 * carried by the virtual network, and decoded by the receiver.
 *
 * Message kinds on the network are the codec's type names ("asap.registration",
 * "enrp.presence"), so that CPU service times (net.cpu.*) and per-kind message
 * and byte counts are per message type.
 */
#pragma once

#include "models/codec.h"
#include "sim/net-assoc.h"
#include "sim/net-udp.h"

G_BEGIN_DECLS

#define RSP_ASAP_PORT       3863  /* RFC 5352 §8: ASAP over SCTP (PE/PU <-> registrar) and UDP (announces) */
#define RSP_ENRP_PORT       9901  /* RFC 5353 §5: ENRP over SCTP */
#define RSP_PPID_ASAP       11
#define RSP_PPID_ENRP       12
/* RFC 5352 §8: the IANA ASAP announce group 224.0.1.185. */
#define RSP_ASAP_ANNOUNCE_GROUP_TEXT "224.0.1.185"

/* The network kind of a message type: net_kind (net, codec_msg_type_name (type)). */
NetKind  rsp_kind (Net *net, CodecMsgType type);

/*
 * Encode `msg` and send it on an association with the PPID of its protocol.
 * Returns the bytes handed to the association (0 if it is not up). A message
 * the codec cannot encode is a programmer error.
 */
gsize    rsp_send (Net *net, NetAssoc *assoc, guint16 stream, const CodecMessage *msg);
/* Encode and send as a UDP datagram (announces). */
gsize    rsp_send_udp (Net *net, NetUdpSocket *sock, NetAddr dst, guint16 dport, const CodecMessage *msg);

/*
 * Decode a received message of the association's protocol (by its PPID). On
 * failure `err` says why (RFC 5354: the receiver answers per the action bits
 * or with an Operation Error); the caller counts it. Returns FALSE also for a
 * PPID that is neither ASAP nor ENRP (err->code = CODEC_ERR_UNKNOWN_MESSAGE).
 */
gboolean rsp_decode (const NetMessage *m, CodecMessage *out, CodecError *err);
gboolean rsp_decode_datagram (const NetDatagram *d, CodecProtocol proto, CodecMessage *out, CodecError *err);

G_END_DECLS
