/*
 * attacks/failover.h - private to attacks/: the attack of RFC 5355 §2.9
 * (attacks/failover.c), which attacks/attack.c dispatches to by attack.type
 * failover-downgrade. The registry rows and the attack.* keys stay in
 * attack.c.
 */
#pragma once

#include "models/rserpool.h"
#include "sim/param.h"
#include "sim/record.h"

G_BEGIN_DECLS

typedef struct AttackFailover AttackFailover;

/* NULL with an error for a model without PEs. The caller frees it before the model. */
AttackFailover *attack_failover_new (Rserpool *m, const SimParams *params, guint64 seed, GError **error);
void            attack_failover_record (AttackFailover *a, SimRecorder *recorder);
void            attack_failover_free (AttackFailover *a);

G_END_DECLS
