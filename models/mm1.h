/*
 * models/mm1.h - the M/M/1 validation model (see models/mm1.c).
 */
#pragma once

#include "sim/model.h"

G_BEGIN_DECLS

extern const SimModelType mm1_model_type;

G_END_DECLS
