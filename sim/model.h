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

/* Errors of create(): the run is recorded as failed with the message. */
#define SIM_MODEL_ERROR (sim_model_error_quark ())
GQuark sim_model_error_quark (void);
typedef enum {
  SIM_MODEL_ERROR_INVALID,      /* parameters that are each valid but do not fit together */
  SIM_MODEL_ERROR_UNSUPPORTED,  /* a request the model cannot honour (e.g. a capture without a network) */
} SimModelError;

typedef struct {
  SimKernel       *kernel;
  const SimParams *params;   /* every declared key of this run */
  guint64          seed;     /* the run's seed: derive every stream from it (sim/rng.h) */
  SimRecorder     *recorder; /* for vectors during the run; scalars go in finish */
  SimTime          warmup;   /* statistics start here */
  SimTime          end;      /* the run ends here (SIM_TIME_MAX: when no events are left) */
  const char      *pcap_path; /* nullable: write the packets of the run here (net_capture_open) */
  const char      *pcap_lan;  /* nullable: only those crossing this LAN */
} SimModelContext;

typedef struct {
  const char         *name;     /* value of the scenario key `model` */
  const char         *summary;  /* one line for `poolsim list models` */
  const SimParamDecl *params;   /* the model's keys */
  gsize               n_params;
  /*
   * Build the model on ctx->kernel; GError for parameter combinations the
   * table cannot check, and for a capture request (pcap_path) a model
   * without a network cannot honour.
   */
  gpointer (*create) (const SimModelContext *ctx, GError **error);
  /* Record the run's scalars and statistics (the kernel has stopped at ctx->end). */
  void     (*finish) (gpointer model, const SimModelContext *ctx);
  void     (*free)   (gpointer model);
} SimModelType;

G_END_DECLS
