/*
 * sim/scenario.h - scenario files: OMNeT++-like .ini with configs, extends,
 * sweeps and repetitions, expanded into numbered runs.
 *
 *   [General]                      keys every config inherits
 *   sim-time-limit = 135min
 *   [Config Load]
 *   extends = Base                 inherit Base, then General (a comma list is allowed)
 *   mm1.rho = ${rho=0.5,0.8,0.9}   a sweep variable; `$rho` elsewhere uses its value
 *   mm1.count = ${N=1..10 step 3}  a numeric range (units allowed: ${T=1s..5s step 1s})
 *   repeat = 10                    repetitions of every combination
 *   seed-set = ${repetition}       default ${runnumber}; ${repetition} pairs runs across configs
 *
 * Runs of a config are numbered 0 .. runs-1: the cartesian product of the sweep
 * variables (the first variable in the file varies slowest) times the
 * repetitions (fastest). Each run's seed is splitmix64(seed-set).
 *
 * Errors are GErrors in SIM_SCENARIO_ERROR whose message starts with
 * "FILE:LINE: KEY: " (or "--set: KEY: " for command-line overrides); the
 * command prints them and exits with status 2.
 */
#pragma once

#include "sim/param.h"

G_BEGIN_DECLS

#define SIM_SCENARIO_ERROR (sim_scenario_error_quark ())
GQuark sim_scenario_error_quark (void);
typedef enum {
  SIM_SCENARIO_ERROR_IO,
  SIM_SCENARIO_ERROR_SYNTAX,
  SIM_SCENARIO_ERROR_UNKNOWN_KEY,
  SIM_SCENARIO_ERROR_VALUE,
  SIM_SCENARIO_ERROR_NO_CONFIG,
  SIM_SCENARIO_ERROR_EXTENDS,
  SIM_SCENARIO_ERROR_SWEEP,
  SIM_SCENARIO_ERROR_RUN,
} SimScenarioError;

/* The engine's own keys (repeat, seed-set, sim-time-limit, ...), for the command's table. */
const SimParamDecl *sim_scenario_core_params (gsize *n);

typedef struct SimScenario SimScenario;

/* Load and check a file: syntax, sections, extends targets, every key declared in `table`. */
SimScenario *sim_scenario_load (const char *path, const SimParamTable *table, GError **error);
void         sim_scenario_free (SimScenario *sc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimScenario, sim_scenario_free)

/* Add a command-line override "key=value" (applies to every config, above the file). */
gboolean     sim_scenario_add_override (SimScenario *sc, const char *assignment, GError **error);

const char  *sim_scenario_path (const SimScenario *sc);
/* SHA-256 (hex) of the file text and the overrides: identifies what the runs ran. */
const char  *sim_scenario_digest (const SimScenario *sc);
/* Config names in file order; "General" first. (transfer none) */
GPtrArray   *sim_scenario_configs (const SimScenario *sc);
/* The config's description key, or NULL. */
const char  *sim_scenario_description (const SimScenario *sc, const char *config);

typedef struct {
  char *name;
  char *value;
} SimIterVar;

typedef struct {
  char      *config;
  guint      run_number;
  guint      repetition;
  guint64    seed;
  GPtrArray *itervars;  /* SimIterVar*, in variable order */
  SimParams *params;    /* every declared key, parsed and range-checked */
} SimRunSpec;

void      sim_run_spec_free (SimRunSpec *spec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimRunSpec, sim_run_spec_free)

/* Number of runs of a config (checks the sweeps, not the values). */
gboolean   sim_scenario_count_runs (SimScenario *sc, const char *config, guint *n_runs, GError **error);
/* Expand one run, every value parsed and checked. */
SimRunSpec *sim_scenario_run (SimScenario *sc, const char *config, guint run_number, GError **error);

G_END_DECLS
