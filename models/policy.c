/*
 * models/policy.c - RFC 5356 policy names and parameter normalisation.
 *
 * The sort keys and weights are inline in policy.h because the handlespace
 * evaluates them on every selection; this file holds the tables.
 */
#include "config.h"

#include "models/policy.h"

#include <string.h>

typedef struct {
  guint32     type;
  const char *abbrev;
  const char *name;
} PolicyName;

static const PolicyName policy_names[] = {
  { HS_POLICY_RR,    "RR",    "Round Robin" },
  { HS_POLICY_WRR,   "WRR",   "Weighted Round Robin" },
  { HS_POLICY_RAND,  "RAND",  "Random" },
  { HS_POLICY_WRAND, "WRAND", "Weighted Random" },
  { HS_POLICY_PRIO,  "PRIO",  "Priority" },
  { HS_POLICY_LU,    "LU",    "Least Used" },
  { HS_POLICY_LUD,   "LUD",   "Least Used with Degradation" },
  { HS_POLICY_PLU,   "PLU",   "Priority Least Used" },
  { HS_POLICY_RLU,   "RLU",   "Randomized Least Used" },
};

static const PolicyName *
policy_lookup (guint32 type)
{
  for (gsize i = 0; i < G_N_ELEMENTS (policy_names); i++)
    if (policy_names[i].type == type)
      return &policy_names[i];
  return NULL;
}

gboolean
hs_policy_type_is_known (guint32 type)
{
  return policy_lookup (type) != NULL;
}

const char *
hs_policy_type_name (guint32 type)
{
  const PolicyName *p = policy_lookup (type);
  return p != NULL ? p->abbrev : NULL;
}

const char *
hs_policy_type_long_name (guint32 type)
{
  const PolicyName *p = policy_lookup (type);
  return p != NULL ? p->name : NULL;
}

/* Lower-case copy of s without spaces, dashes and underscores, into buf. */
static gboolean
squash_name (const char *s, char *buf, gsize len)
{
  gsize n = 0;
  for (; *s != '\0'; s++)
    {
      if (*s == ' ' || *s == '-' || *s == '_')
        continue;
      if (n + 1 >= len)
        return FALSE;
      buf[n++] = g_ascii_tolower (*s);
    }
  buf[n] = '\0';
  return TRUE;
}

gboolean
hs_policy_type_from_name (const char *name, guint32 *type)
{
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (type != NULL, FALSE);
  char want[64], have[64];
  if (!squash_name (name, want, sizeof want) || want[0] == '\0')
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (policy_names); i++)
    {
      if (g_ascii_strcasecmp (want, policy_names[i].abbrev) == 0)
        {
          *type = policy_names[i].type;
          return TRUE;
        }
      squash_name (policy_names[i].name, have, sizeof have);
      if (strcmp (want, have) == 0)
        {
          *type = policy_names[i].type;
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
hs_policy_type_is_random (guint32 type)
{
  return type == HS_POLICY_RAND || type == HS_POLICY_WRAND || type == HS_POLICY_RLU;
}

HsPolicy
hs_policy_normalize (const HsPolicy *p)
{
  HsPolicy n = { .type = p->type };
  switch (p->type)
    {
    case HS_POLICY_WRR:
    case HS_POLICY_WRAND:
      n.weight = p->weight;
      break;
    case HS_POLICY_PRIO:
      n.priority = p->priority;
      break;
    case HS_POLICY_LU:
    case HS_POLICY_RLU:
      n.load = p->load;
      break;
    case HS_POLICY_LUD:
    case HS_POLICY_PLU:
      n.load = p->load;
      n.load_degradation = p->load_degradation;
      break;
    default:
      break;
    }
  return n;
}
