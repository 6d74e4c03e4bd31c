/*
 * sim/param.h - declared scenario parameters and their parsed values.
 *
 * Every scenario key poolsim understands is declared once, in a table, with
 * its type, default, range and help text (SimParamDecl). The tables of the
 * engine, the models and the attacks are gathered into one SimParamTable by the
 * command; `poolsim list params` prints it, and the scenario loader refuses any
 * key it does not contain ("did you mean ...?").
 *
 * SimParams holds one run's values: every declared key, from the scenario or
 * its default, parsed and range-checked. Models read them with typed getters;
 * asking for an undeclared key or with the wrong type is a programmer error.
 */
#pragma once

#include "sim/dist.h"

G_BEGIN_DECLS

typedef enum {
  SIM_PARAM_INT,       /* integer, dimensionless */
  SIM_PARAM_DOUBLE,    /* real, dimensionless; "80%" allowed */
  SIM_PARAM_TIME,      /* a time with unit -> SimTime ns */
  SIM_PARAM_SIZE,      /* a size with unit -> bytes */
  SIM_PARAM_RATE,      /* a rate with unit -> bit/s */
  SIM_PARAM_BOOL,      /* true/false, yes/no, on/off */
  SIM_PARAM_STRING,    /* free text */
  SIM_PARAM_ENUM,      /* one word of `choices` */
  SIM_PARAM_DIST_TIME, /* a distribution of times */
  SIM_PARAM_DIST_SIZE, /* a distribution of sizes */
  SIM_PARAM_DIST,      /* a distribution of plain numbers */
} SimParamType;

typedef struct {
  const char  *key;      /* dotted name, e.g. "mm1.service" */
  SimParamType type;
  const char  *def;      /* default, in scenario syntax; NULL = the key is required */
  double       min;      /* inclusive bounds in base units; for distributions, on the mean */
  double       max;      /* (use -G_MAXDOUBLE / G_MAXDOUBLE for unbounded) */
  const char  *choices;  /* SIM_PARAM_ENUM: comma-separated words */
  const char  *help;     /* one sentence; says the unit's meaning where it matters */
} SimParamDecl;

#define SIM_PARAM_UNBOUNDED -G_MAXDOUBLE, G_MAXDOUBLE

typedef struct SimParamTable SimParamTable;

SimParamTable      *sim_param_table_new (void);
void                sim_param_table_free (SimParamTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimParamTable, sim_param_table_free)
/* Add declarations (static storage; not copied). A key declared twice is a programmer error. */
void                sim_param_table_add (SimParamTable *table, const SimParamDecl *decls, gsize n);
const SimParamDecl *sim_param_table_lookup (const SimParamTable *table, const char *key);
/* The closest declared key to a mistyped one, or NULL if none is close. */
const char         *sim_param_table_suggest (const SimParamTable *table, const char *key);
/* All declarations sorted by key. (transfer container) */
GPtrArray          *sim_param_table_sorted (const SimParamTable *table);
const char         *sim_param_type_name (SimParamType type);
/* The unit kind of a type's values (and of a distribution's samples). */
SimUnitKind         sim_param_type_unit (SimParamType type);

/* A parsed value. */
typedef struct {
  const SimParamDecl *decl;
  char   *text;        /* as written (after sweep substitution), or the default */
  gboolean is_default;
  union {
    gint64   i;
    double   d;        /* DOUBLE, SIZE, RATE (base units) */
    SimTime  t;
    gboolean b;
    SimDist  dist;
  } v;
} SimParamValue;

/* Parse `text` as decl's type and check its range. Errors (SIM_UNITS_ERROR) describe the value only. */
gboolean sim_param_parse (const SimParamDecl *decl, const char *text, SimParamValue *out, GError **error);
void     sim_param_value_clear (SimParamValue *value);

typedef struct SimParams SimParams;
SimParams *sim_params_new (const SimParamTable *table);
void       sim_params_free (SimParams *params);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimParams, sim_params_free)
/* Take ownership of a parsed value (replacing an earlier one for the same key). */
void       sim_params_set (SimParams *params, SimParamValue *value);
const SimParamValue *sim_params_lookup (const SimParams *params, const char *key);

gint64        sim_params_int (const SimParams *params, const char *key);
double        sim_params_double (const SimParams *params, const char *key);  /* DOUBLE, SIZE, RATE */
SimTime       sim_params_time (const SimParams *params, const char *key);
gboolean      sim_params_bool (const SimParams *params, const char *key);
const char   *sim_params_string (const SimParams *params, const char *key); /* STRING, ENUM */
const SimDist *sim_params_dist (const SimParams *params, const char *key);
/* Every value in key order, as (key, text) pairs for run attributes. (transfer container) */
GPtrArray    *sim_params_values (const SimParams *params);

G_END_DECLS
