/*
 * sim/model.h - how a simulation model plugs into the engine.
 *
 * A model type names itself (the value of the scenario key `model`), declares
 * its scenario keys, builds its entities on a kernel from one run's parameters,
 * and records its results at the end. The command runs the kernel in between;
 * the model never sees the command, the scenario file or the results store.
 */
#pragma once

#include "sim/param.h"
#include "sim/record.h"

G_BEGIN_DECLS

typedef struct {
  SimKernel       *kernel;
  const SimParams *params;   /* every declared key of this run */
  guint64          seed;     /* the run's seed: derive every stream from it (sim/rng.h) */
  SimRecorder     *recorder; /* for vectors during the run; scalars go in finish */
  SimTime          warmup;   /* statistics start here */
  SimTime          end;      /* the run ends here (SIM_TIME_MAX: when no events are left) */
} SimModelContext;

typedef struct {
  const char         *name;     /* value of the scenario key `model` */
  const char         *summary;  /* one line for `poolsim list models` */
  const SimParamDecl *params;   /* the model's keys */
  gsize               n_params;
  /* Build the model on ctx->kernel; GError for parameter combinations the table cannot check. */
  gpointer (*create) (const SimModelContext *ctx, GError **error);
  /* Record the run's scalars and statistics (the kernel has stopped at ctx->end). */
  void     (*finish) (gpointer model, const SimModelContext *ctx);
  void     (*free)   (gpointer model);
} SimModelType;

G_END_DECLS
