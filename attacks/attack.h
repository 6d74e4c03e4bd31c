/*
 * attacks/attack.h - the attacks of RFC 5355 §2 on a run of model rserpool,
 * and the registries `poolsim list threats` and `poolsim list mitigations`
 * print.
 *
 * An attack is one or more adversary hosts ("adversary0", ...; role
 * "adversary", NET_HOST_ADVERSARY) that the command (sim/cmd-common.c) adds
 * to the model's network after the model is built, when attack.type is not
 * "none" - as it attaches the oracle: the model knows nothing of attacks
 * (DESIGN.md §1). Adversaries speak real ASAP: every message is encoded by
 * the codec and carried by the network, like an honest entity's.
 *
 * Capabilities. Each threat names what its adversary holds: "insider PE"
 * (credentials of a pool element: the registrar accepts its registrations),
 * "insider PU" (a pool user the registrar serves), "malicious registrar" (a
 * host the PEs accept registrar associations from). There are no secure
 * channels yet, so today every association is accepted and the capability is
 * documentation; with TLS-PSK it decides whether the adversary gets past the
 * handshake (RFC 5355 §2.2).
 *
 * Streams (DESIGN.md §3): "attack/<i>/id" (fresh PE identifiers; the
 * keepalive-flood's fake server identifier),
 * "attack/<i>/report" (whether to report a PE unreachable). An adversary host
 * draws its packets' fate from its own network streams (sim/net.h), so
 * switching an attack on changes no honest entity's own draws; what changes
 * is what the honest entities see (answers, removals, load).
 *
 * Traffic accounting: every message an adversary sends is counted with its
 * bytes (ASAP message bytes; SCTP/IP headers are not in them) and recorded
 * under module "attack" with the attack's own counters.
 *
 * Modelled: registration-flood (§2.1), spoofing (§2.3), unreachable-flood
 * (§2.13), keepalive-flood (§2.14) (see attack.c); replay (§2.8), tamper
 * (§2.10), eavesdrop (§2.11) (on-path taps, attacks/onpath.c);
 * cookie-forgery (§2.16, attacks/cookie.c); the malicious registrar
 * (rogue-enrp §2.5, rogue-registrar §2.6, rogue-resolution §2.7) and
 * discovery (§2.12) attacks: attacks/rogue.c, attacks/discovery.c;
 * failover-downgrade (§2.9): attacks/failover.c.
 *
 * Not here yet: the other threats of the registry (their rows say "-"), the
 * TLS-PSK mitigation (secure channels are another part), a deregistration
 * flood.
 */
#pragma once

#include "models/rserpool.h"
#include "sim/param.h"
#include "sim/record.h"

G_BEGIN_DECLS

/* One row of `poolsim list threats`: an RFC 5355 §2 threat and how poolsim models it. */
typedef struct {
  const char *section;     /* "2.1" */
  const char *title;       /* the RFC's heading */
  const char *attack;      /* the attack.type value that models it; NULL = not modelled yet */
  const char *adversary;   /* capability: "insider PE", "insider PU", ... */
  const char *summary;     /* what the adversary does */
  const char *params;      /* the attack.* keys it reads */
} AttackThreat;

/* One row of `poolsim list mitigations`. */
typedef struct {
  const char *name;        /* "one-pe-per-credential" */
  const char *sections;    /* the threats it answers: "2.1, 2.3" */
  const char *where;       /* the model that implements it */
  const char *summary;
  const char *keys;        /* the scenario keys that switch and parameterise it; NULL = not available yet */
} AttackMitigation;

const AttackThreat     *attack_threats (gsize *n);
const AttackMitigation *attack_mitigations (gsize *n);

/*
 * The names of the mitigations switched on by a run's parameters, comma-
 * separated in registry order (run.mitigations); NULL when none is or the
 * model is not rserpool. The protocol's own defenses count: address-binding
 * and max-bad-pe-report are on unless a scenario turns them off.
 */
char *attack_mitigations_on (const SimParams *params);

/* The attack.* scenario keys (static table). */
const SimParamDecl *attack_params (gsize *n);

typedef struct Attack Attack;

/*
 * Attach the attack of attack.type to a freshly created model (before the
 * kernel runs): its adversary hosts, associations and timers. NULL without
 * an error when attack.type is none; NULL with an error for an attack the
 * model cannot host (no registrar, no LAN address left).
 */
Attack *attack_new (Rserpool *m, const SimParams *params, guint64 seed, GError **error);
/* Record module "attack" (metric names in results/metrics.c). */
void    attack_record (Attack *a, SimRecorder *recorder);
/* Close every association and timer; the model (and its network) must still exist. */
void    attack_free (Attack *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Attack, attack_free)

G_END_DECLS
