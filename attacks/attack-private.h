/*
 * attacks/attack-private.h - what attacks/attack.c shares with the attack
 * modules that live in files of their own (attacks/onpath.c,
 * attacks/cookie.c): each is created, recorded and freed by attack.c's
 * dispatch on attack.type, and records its metrics under module "attack"
 * (names in results/metrics.c).
 */
#pragma once

#include "attacks/attack.h"

G_BEGIN_DECLS

/* Set error (SIM_MODEL_ERROR_INVALID, a formatted message) and return FALSE: an attack the model cannot host. */
gboolean attack_fail (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

/* RFC 5355 §2.8 replay, §2.10 tamper, §2.11 eavesdrop: on-path taps (attacks/onpath.c). */
typedef struct AttackOnpath AttackOnpath;

/* type is "replay", "tamper" or "eavesdrop". */
AttackOnpath *attack_onpath_new (Rserpool *m, const SimParams *params, guint64 seed, const char *type,
                                 GError **error);
void          attack_onpath_record (AttackOnpath *o, SimRecorder *recorder);
void          attack_onpath_free (AttackOnpath *o);

/* RFC 5355 §2.16 cookie forgery and tampering by an insider PU (attacks/cookie.c). */
typedef struct AttackCookie AttackCookie;

AttackCookie *attack_cookie_new (Rserpool *m, const SimParams *params, guint64 seed, GError **error);
void          attack_cookie_record (AttackCookie *c, SimRecorder *recorder);
void          attack_cookie_free (AttackCookie *c);

G_END_DECLS
