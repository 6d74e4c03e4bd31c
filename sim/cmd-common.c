/*
 * sim/cmd-common.c - the parameter table, the model registry and one run's
 * execution, shared by the subcommands.
 *
 * A run: expand its spec (done by the caller), build the model on a fresh
 * kernel, run the kernel to sim-time-limit in slices (so a terminal can show
 * progress without the model knowing), let the model record its results, and
 * commit everything in one transaction. Wall-clock time is read only here, for
 * the run table's metadata and the progress line: never by a model.
 */
#include "config.h"

#include "sim/cmd-common.h"

#include "attacks/attack.h"
#include "models/calcapp.h"
#include "models/mm1.h"
#include "models/netload.h"
#include "models/registrar.h"
#include "models/rserpool.h"
#include "models/rsp-secure.h"
#include "results/oracle.h"
#include "sim/net.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const SimModelType *const models[] = {
  &mm1_model_type,
  &netload_model_type,
  &rserpool_model_type,
  NULL,
};

/* The `model` key: its choices are the registered models. */
static const SimParamDecl model_param[] = {
  { "model", SIM_PARAM_ENUM, NULL, 0, 0, "mm1,netload,rserpool",
    "The model to run: mm1 (the M/M/1 validation model), netload (traffic on the virtual network) or "
    "rserpool (registrars, PEs and PUs with the CalcApp workload); `poolsim list models`." },
};

const SimModelType *const *
cmd_models (void)
{
  return models;
}

const SimModelType *
cmd_model_lookup (const char *name)
{
  for (guint i = 0; models[i] != NULL; i++)
    if (strcmp (models[i]->name, name) == 0)
      return models[i];
  return NULL;
}

SimParamTable *
cmd_param_table (void)
{
  SimParamTable *t = sim_param_table_new ();
  gsize n;
  const SimParamDecl *core = sim_scenario_core_params (&n);
  sim_param_table_add (t, core, n);
  sim_param_table_add (t, model_param, G_N_ELEMENTS (model_param));
  const SimParamDecl *net = net_params (&n);
  sim_param_table_add (t, net, n);
  /* The protocol modules' keys (model rserpool assembles them) and the oracle's. */
  const SimParamDecl *(*const tables[]) (gsize *) = {
    registrar_params, pe_params, pu_params, calcapp_params, rsp_security_params, results_oracle_params,
    attack_params,
  };
  for (gsize i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      const SimParamDecl *d = tables[i] (&n);
      sim_param_table_add (t, d, n);
    }
  for (guint i = 0; models[i] != NULL; i++)
    sim_param_table_add (t, models[i]->params, models[i]->n_params);
  return t;
}

SimScenario *
cmd_scenario_load (const char *path, const SimParamTable *table, char **sets, GError **error)
{
  g_autoptr (SimScenario) sc = sim_scenario_load (path, table, error);
  if (sc == NULL)
    return NULL;
  for (guint i = 0; sets != NULL && sets[i] != NULL; i++)
    if (!sim_scenario_add_override (sc, sets[i], error))
      return NULL;
  return g_steal_pointer (&sc);
}

int
cmd_error_status (const GError *error)
{
  return error->domain == SIM_SCENARIO_ERROR || error->domain == G_OPTION_ERROR ? 2 : 1;
}

static void
show_progress (const CmdRunOptions *o, const char *run_id, SimTime now, SimTime end, double wall)
{
  char t[40];
  if (end == SIM_TIME_MAX)
    fprintf (stderr, "\r\033[Krun %u/%u %s: t = %s, %.0f s wall", o->index, o->total, run_id,
             sim_time_format (now, t, sizeof t), wall);
  else
    fprintf (stderr, "\r\033[Krun %u/%u %s: %3.0f %% of %.0f s simulated, %.0f s wall", o->index,
             o->total, run_id, 100.0 * (double) now / (double) end, (double) end / SIM_S, wall);
  fflush (stderr);
}

/* Start buffering the run `spec` of `sc` in `store`: its identity, variables and attributes. */
static ResultsRun *
run_begin (SimScenario *sc, const SimRunSpec *spec, ResultsStore *store)
{
  const SimParams *p = spec->params;
  g_autofree ResultsPair *itervars = g_new0 (ResultsPair, spec->itervars->len + 1);
  for (guint i = 0; i < spec->itervars->len; i++)
    {
      SimIterVar *v = spec->itervars->pdata[i];
      itervars[i] = (ResultsPair) { v->name, v->value };
    }
  g_autoptr (GPtrArray) values = sim_params_values (p);
  g_autofree ResultsPair *attrs = g_new0 (ResultsPair, values->len + 1);
  for (guint i = 0; i < values->len; i++)
    {
      const SimParamValue *v = values->pdata[i];
      attrs[i] = (ResultsPair) { v->decl->key, v->text };
    }
  g_autofree char *mitigations = attack_mitigations_on (p);
  ResultsRunInfo info = {
    .scenario = sim_scenario_path (sc),
    .scenario_digest = sim_scenario_digest (sc),
    .config = spec->config,
    .run_number = spec->run_number,
    .repetition = spec->repetition,
    .seed = spec->seed,
    .threat = strcmp (sim_params_string (p, "attack.type"), "none") != 0 ? sim_params_string (p, "attack.type") : NULL,
    .mitigations = mitigations,
    .itervars = itervars,
    .n_itervars = spec->itervars->len,
    .attrs = attrs,
    .n_attrs = values->len,
  };
  return results_run_begin (store, &info);
}

gboolean
cmd_run_record_failure (SimScenario *sc, const SimRunSpec *spec, ResultsStore *store, const char *message,
                        GError **error)
{
  g_autoptr (ResultsRun) run = run_begin (sc, spec, store);
  return results_run_fail (run, message, error);
}

gboolean
cmd_run_one (SimScenario *sc, const SimRunSpec *spec, ResultsStore *store, const CmdRunOptions *options,
             GError **error)
{
  gint64 wall_start = g_get_monotonic_time ();
  const SimParams *p = spec->params;
  const SimModelType *type = cmd_model_lookup (sim_params_string (p, "model"));
  g_assert (type != NULL); /* the enum's choices are the registry */

  g_autoptr (ResultsRun) run = run_begin (sc, spec, store);
  g_autoptr (SimKernel) kernel = sim_kernel_new ();
  SimTime limit = sim_params_time (p, "sim-time-limit");
  SimModelContext ctx = {
    .kernel = kernel,
    .params = p,
    .seed = spec->seed,
    .recorder = results_run_recorder (run),
    .warmup = sim_params_time (p, "warmup-period"),
    .end = limit > 0 ? limit : SIM_TIME_MAX,
    .pcap_path = options->pcap_path,
    .pcap_lan = options->pcap_lan,
  };
  g_autoptr (GError) local = NULL;
  gpointer model = type->create (&ctx, &local);
  if (model == NULL)
    {
      g_prefix_error (&local, "%s: run %u: ", sim_scenario_path (sc), spec->run_number);
      if (!results_run_fail (run, local->message, error))
        return FALSE;
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  /*
   * The oracle (results/oracle.h) watches a run of model rserpool: the
   * command is the one place that knows both layers, so it attaches the
   * oracle to the model here and has it record before the model does.
   */
  g_autoptr (ResultsOracle) oracle = NULL;
  g_autoptr (Attack) attack = NULL;
  if (type == &rserpool_model_type)
    {
      /* The attack (attacks/attack.h) adds its adversary hosts the same way, before the kernel runs. */
      attack = attack_new (model, p, spec->seed, &local);
      if (local != NULL)
        {
          type->free (model);
          g_prefix_error (&local, "%s: run %u: ", sim_scenario_path (sc), spec->run_number);
          if (!results_run_fail (run, local->message, error))
            return FALSE;
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      oracle = results_oracle_new (model, p);
    }
  else if (strcmp (sim_params_string (p, "attack.type"), "none") != 0)
    {
      g_set_error (&local, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID, "%s: run %u: attack.type needs model rserpool",
                   sim_scenario_path (sc), spec->run_number);
      type->free (model);
      if (!results_run_fail (run, local->message, error))
        return FALSE;
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  /* Slices of at most a tenth of the run, or a simulated hour without a limit. */
  SimTime slice = ctx.end == SIM_TIME_MAX ? SIM_H : MAX (ctx.end / 10, 1);
  gint64 last_report = wall_start;
  while (sim_kernel_pending (kernel) > 0 && sim_kernel_now (kernel) < ctx.end)
    {
      SimTime until = ctx.end - sim_kernel_now (kernel) > slice ? sim_kernel_now (kernel) + slice : ctx.end;
      sim_kernel_run (kernel, until);
      gint64 t = g_get_monotonic_time ();
      if (options->progress && t - last_report > G_USEC_PER_SEC / 2)
        {
          show_progress (options, results_run_id (run), sim_kernel_now (kernel), ctx.end,
                         (double) (t - wall_start) / G_USEC_PER_SEC);
          last_report = t;
        }
    }
  if (ctx.end != SIM_TIME_MAX && sim_kernel_now (kernel) < ctx.end)
    sim_kernel_run (kernel, ctx.end); /* no events left: the clock still reaches the limit */
  if (oracle != NULL)
    results_oracle_record (oracle, ctx.recorder);
  if (attack != NULL)
    attack_record (attack, ctx.recorder);
  type->finish (model, &ctx);
  sim_kernel_finish (kernel);
  g_clear_pointer (&oracle, results_oracle_free);
  g_clear_pointer (&attack, attack_free);
  type->free (model);
  if (options->progress)
    fprintf (stderr, "\r\033[K");
  double wall = (double) (g_get_monotonic_time () - wall_start) / G_USEC_PER_SEC;
  return results_run_commit (run, sim_kernel_now (kernel), sim_kernel_events_executed (kernel), wall, error);
}
