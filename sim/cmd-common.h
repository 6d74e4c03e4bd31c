/*
 * sim/cmd-common.h - what the subcommands share: the parameter table of
 * everything poolsim knows, the model registry, loading a scenario with
 * overrides, and executing one run into a results store.
 */
#pragma once

#include "results/store.h"
#include "sim/model.h"
#include "sim/scenario.h"

G_BEGIN_DECLS

/* Every declared key: the engine's, the `model` key, every model's. (transfer full) */
SimParamTable      *cmd_param_table (void);
/* The registered models, NULL-terminated. */
const SimModelType *const *cmd_models (void);
const SimModelType *cmd_model_lookup (const char *name);

/* Load a scenario and apply "key=value" overrides (NULL-terminated, may be NULL). */
SimScenario *cmd_scenario_load (const char *path, const SimParamTable *table, char **sets, GError **error);

typedef struct {
  gboolean progress;  /* show progress on stderr (a terminal) */
  guint    index;     /* this run's place in the batch, for the progress line (1-based) */
  guint    total;     /* runs in the batch */
  const char *pcap_path; /* nullable: export the run's packets (models with a network) */
  const char *pcap_lan;  /* nullable: only the packets crossing this LAN */
} CmdRunOptions;

/*
 * Execute one run and write it to `store` in one transaction. A model error
 * (bad parameter combination) is recorded as a failed run and returned.
 */
gboolean cmd_run_one (SimScenario *sc, const SimRunSpec *spec, ResultsStore *store,
                      const CmdRunOptions *options, GError **error);

/*
 * Record the run as failed with `message` (e.g. its process died): the run
 * row with variables and attributes, no results (results_run_fail).
 */
gboolean cmd_run_record_failure (SimScenario *sc, const SimRunSpec *spec, ResultsStore *store,
                                 const char *message, GError **error);

/* Exit status for an error: 2 for scenario and usage errors, 1 otherwise. */
int cmd_error_status (const GError *error);

G_END_DECLS
