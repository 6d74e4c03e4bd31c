/*
 * sim/model.c - the model plug-in interface's error domain.
 */
#include "config.h"

#include "sim/model.h"

G_DEFINE_QUARK (sim-model-error-quark, sim_model_error)
