/*
 * sim/cmd-list.c - `poolsim list WHAT`: the catalogues users look things up in.
 *
 * params: every scenario key with its type, default, range and help, from
 * the one table the scenario loader checks against, so the list and the
 * checks cannot disagree. models: the values of the `model` key. metrics:
 * the metric catalogue (results/metrics.c) the recorders are held to.
 */
#include "config.h"

#include "attacks/attack.h"
#include "results/metrics.h"
#include "sim/cmd-common.h"
#include "sim/cmd.h"

#include <stdio.h>
#include <string.h>

static char *
range_text (const SimParamDecl *d)
{
  if (d->type == SIM_PARAM_ENUM)
    return g_strdup_printf ("one of: %s", d->choices);
  if (d->type == SIM_PARAM_STRING || d->type == SIM_PARAM_BOOL)
    return g_strdup ("");
  SimUnitKind u = sim_param_type_unit (d->type);
  const char *of = d->type >= SIM_PARAM_DIST_TIME ? "mean " : "";
  /* Times up to the largest SimTime are unbounded in practice. */
  gboolean lo = d->min > -G_MAXDOUBLE, hi = d->max < (u == SIM_UNIT_TIME ? 9e18 : G_MAXDOUBLE);
  g_autofree char *min = sim_units_format (d->min, u);
  g_autofree char *max = sim_units_format (d->max, u);
  if (lo && hi)
    return g_strdup_printf ("%s[%s, %s]", of, min, max);
  if (lo)
    return g_strdup_printf ("%s>= %s", of, min);
  if (hi)
    return g_strdup_printf ("%s<= %s", of, max);
  return g_strdup ("");
}

static void
list_params (void)
{
  g_autoptr (SimParamTable) table = cmd_param_table ();
  g_autoptr (GPtrArray) decls = sim_param_table_sorted (table);
  for (guint i = 0; i < decls->len; i++)
    {
      const SimParamDecl *d = decls->pdata[i];
      g_autofree char *range = range_text (d);
      printf ("%s  (%s; default: %s%s%s)\n    %s\n", d->key, sim_param_type_name (d->type),
              d->def != NULL ? (*d->def != '\0' ? d->def : "empty") : "required",
              *range != '\0' ? "; " : "", range, d->help);
    }
}

static void
list_models (void)
{
  for (const SimModelType *const *m = cmd_models (); *m != NULL; m++)
    printf ("%-10s %s\n", (*m)->name, (*m)->summary);
}

static void
list_metrics (void)
{
  gsize n;
  const ResultsMetric *m = results_metrics (&n);
  for (gsize i = 0; i < n; i++)
    printf ("%s  (%s; %s)\n    %s\n", m[i].name, m[i].kind, m[i].unit, m[i].meaning);
}

static void
list_threats (void)
{
  gsize n;
  const AttackThreat *t = attack_threats (&n);
  for (gsize i = 0; i < n; i++)
    {
      printf ("§%-5s %s\n    attack.type: %s; adversary: %s\n", t[i].section, t[i].title,
              t[i].attack != NULL ? t[i].attack : "- (not modelled yet)", t[i].adversary);
      if (*t[i].summary != '\0')
        printf ("    %s\n", t[i].summary);
      if (*t[i].params != '\0')
        printf ("    parameters: %s\n", t[i].params);
    }
}

static void
list_mitigations (void)
{
  gsize n;
  const AttackMitigation *mt = attack_mitigations (&n);
  for (gsize i = 0; i < n; i++)
    printf ("%s  (RFC 5355 §%s; %s)\n    %s\n    switch: %s\n", mt[i].name, mt[i].sections, mt[i].where,
            mt[i].summary, mt[i].keys != NULL ? mt[i].keys : "- (not available yet)");
}

int
cmd_list_main (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("WHAT - list what poolsim knows");
  g_option_context_set_summary (ctx, "WHAT is one of:\n"
                                     "  params   every scenario key: type, default, range (base units: ns, B, bps), help\n"
                                     "  models   the values of the scenario key `model`\n"
                                     "  metrics  every metric name recorded: kind, unit, meaning\n"
                                     "  threats  the threats of RFC 5355 §2 and the attack.type that models each\n"
                                     "  mitigations  the named mitigations and the keys that switch them");
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return cmd_fail (g_steal_pointer (&error), 2);
  if (argc != 2)
    {
      fprintf (stderr, "poolsim list: say what to list: params, models, metrics, threats or mitigations\n");
      return 2;
    }
  if (strcmp (argv[1], "params") == 0)
    list_params ();
  else if (strcmp (argv[1], "models") == 0)
    list_models ();
  else if (strcmp (argv[1], "metrics") == 0)
    list_metrics ();
  else if (strcmp (argv[1], "threats") == 0)
    list_threats ();
  else if (strcmp (argv[1], "mitigations") == 0)
    list_mitigations ();
  else
    {
      fprintf (stderr, "poolsim list: cannot list '%s' (params, models, metrics, threats, mitigations)\n", argv[1]);
      return 2;
    }
  return 0;
}
