/*
 * attacks/rogue.h - private to attacks/: the malicious-registrar attacks of
 * RFC 5355 §2.5-2.7 (attacks/rogue.c) and the discovery attacks of §2.12
 * (attacks/discovery.c), which attacks/attack.c dispatches to by
 * attack.type. The registry rows and the attack.* keys stay in attack.c.
 *
 * Each returns NULL with an error for a model it cannot attack (no
 * registrar; an attack.address that is not free); the caller owns the
 * result and frees it before the model.
 */
#pragma once

#include "models/rserpool.h"
#include "models/rsp.h"
#include "sim/param.h"
#include "sim/record.h"

G_BEGIN_DECLS

typedef struct AttackRogue AttackRogue;

/* attack.type rogue-enrp, rogue-registrar or rogue-resolution. */
AttackRogue *attack_rogue_new (Rserpool *m, const SimParams *params, guint64 seed, GError **error);
void         attack_rogue_record (AttackRogue *a, SimRecorder *recorder);
void         attack_rogue_free (AttackRogue *a);

typedef struct AttackDiscovery AttackDiscovery;

/* attack.type discovery (attack.discovery = suppress or spoof). */
AttackDiscovery *attack_discovery_new (Rserpool *m, const SimParams *params, guint64 seed, GError **error);
void             attack_discovery_record (AttackDiscovery *a, SimRecorder *recorder);
void             attack_discovery_free (AttackDiscovery *a);

/*
 * Shared by both (attacks/rogue.c): send an ASAP_SERVER_ANNOUNCE of server_id
 * to 224.0.1.185 port 3863 from the forged source src (sock's host must be an
 * adversary), naming SCTP transport:3863, or none (transport 0: "SCTP to
 * the source address", RFC 5352 §3.6). Returns the message's bytes.
 */
gsize attack_send_announce (Net *net, NetUdpSocket *sock, NetAddr src, guint32 server_id, NetAddr transport);
/* A receive function for a socket that only sends. */
void  attack_udp_ignore (NetUdpSocket *sock, const NetDatagram *d, gpointer user_data);

/* Shared by both: IPv4 address conversions for codec parameters. */
static inline CodecAddress
attack_codec_address (NetAddr a)
{
  CodecAddress c = { 0 };
  c.family = 4;
  c.bytes[0] = (guint8) (a >> 24);
  c.bytes[1] = (guint8) (a >> 16);
  c.bytes[2] = (guint8) (a >> 8);
  c.bytes[3] = (guint8) a;
  return c;
}

G_END_DECLS
