/*
 * results/report.h - summaries of a results database over repetitions: for
 * each group of complete runs and each metric, n, mean, sample standard
 * deviation, the half-width of the 95 % confidence interval of the mean
 * (Student t), min and max; as an aligned table, CSV or JSON.
 *
 * A group is (scenario, config, threat, mitigations, the values of the
 * grouping variables); the grouping variables are the sweep variables
 * (runparam) named by `by` (any subset, in the order given), or all of them. Runs of a group differ only in
 * what is not grouped on: their repetition, and the variables left out.
 * Metrics are scalars (by module and name) and the means of statistics (as
 * "NAME:mean").
 *
 * Determinism: rows come sorted by scenario, config, threat, mitigations,
 * variable values (numerically when both values start with a number, so
 * "0.5s" < "5s" < "10s"), module, metric; the values of a cell are summed in
 * run-number order, so the output does not depend on the order in which
 * runs were written (-j N).
 */
#pragma once

#include "results/store.h"

#include <glib.h>

G_BEGIN_DECLS

#define RESULTS_REPORT_ERROR (results_report_error_quark ())
GQuark results_report_error_quark (void);

typedef enum {
  RESULTS_REPORT_ERROR_BAD_FILTER,    /* a --where that is not VAR=VALUE */
  RESULTS_REPORT_ERROR_UNKNOWN_NAME,  /* a config, threat, mitigation or variable that no complete run has */
} ResultsReportError;

typedef enum {
  RESULTS_REPORT_TABLE,   /* aligned columns for people; numbers with 6 significant digits */
  RESULTS_REPORT_CSV,     /* RFC 4180 quoting, LF line ends, header row; numbers round-trip exactly */
  RESULTS_REPORT_JSON,    /* {"variables": [...], "rows": [{...}, ...]}; NaN and infinities as null */
} ResultsReportFormat;

typedef struct {
  ResultsReportFormat format;
  const char *const  *configs;  /* nullable, NULL-terminated: only runs of these configs */
  const char *const  *threats;  /* nullable, NULL-terminated: only runs of these threats ("none": no threat) */
  const char *const  *mitigations; /* nullable, NULL-terminated: only runs with all of these mitigations
                                      switched on ("none": runs without any) */
  const char *const  *where;    /* nullable, NULL-terminated "VAR=VALUE": only runs with all of these */
  const char *const  *metrics;  /* nullable, NULL-terminated globs on the metric name: any of these */
  const char *const  *by;       /* nullable, NULL-terminated: group by these variables; NULL = all */
} ResultsReportOptions;

typedef struct {
  guint  n;        /* number of values */
  double mean;     /* NaN when n = 0 */
  double stddev;   /* sample standard deviation (n - 1); NaN when n < 2 */
  double ci95;     /* half-width of the 95 % confidence interval of the mean; NaN when n < 2 */
  double min;      /* NaN when n = 0 */
  double max;      /* NaN when n = 0 */
} ResultsReportSummary;

/* Summarize n values (two-pass mean and deviation, in the given order). */
void     results_report_summarize (const double *values, guint n, ResultsReportSummary *summary);

/*
 * The p-quantile of Student's t distribution with df > 0 degrees of freedom,
 * 0 < p < 1: the inverse of its CDF, through the regularized incomplete beta
 * function. The CDF is computed to a few ulp, so the quantile has a relative
 * error below 1e-13 for |t| >= 0.1 (near the median, an absolute one of ~1e-16).
 */
double   results_report_t_quantile (double p, double df);

/*
 * Append the shortest decimal that reads back as the finite v, in fixed
 * notation for exponents -4 .. 15 and in exponent notation otherwise:
 * 10 is "10", 0.1 is "0.1", 1/3 is "0.3333333333333333", 1e300 is "1e+300".
 */
void     results_report_append_exact (GString *out, double v);

/* One row of the report: a group and a metric, summarized. Everything is borrowed for the callback. */
typedef struct {
  const char          *scenario;
  const char          *config;
  const char          *threat;       /* nullable */
  const char          *mitigations;  /* nullable */
  const char *const   *values;       /* one per grouping variable (results_report_foreach's `variables`);
                                        NULL where the group's runs lack it */
  const char          *module;
  const char          *metric;       /* scalar name, or NAME:mean for a statistic */
  const char          *unit;         /* nullable: of the run with the lowest run number */
  ResultsReportSummary summary;
} ResultsReportRow;

typedef void (*ResultsReportRowFunc) (const char *const *variables, const ResultsReportRow *row, gpointer user_data);

/*
 * Call `func` for every row of the report, in the report's order, with the
 * grouping variables' names (NULL-terminated). options->format is ignored.
 * For programs that use the numbers (results/plot.c) rather than print them.
 */
gboolean results_report_foreach (ResultsStore               *store,
                                  const ResultsReportOptions *options,
                                  ResultsReportRowFunc        func,
                                  gpointer                    user_data,
                                  GError                    **error);

/* Append the report of the complete runs of `store` to `out`. */
gboolean results_report_write (ResultsStore               *store,
                               const ResultsReportOptions *options,
                               GString                    *out,
                               GError                    **error);

G_END_DECLS
