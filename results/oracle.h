/*
 * results/oracle.h - what the simulation knows to be true, held against what
 * the registrars believe and what the users get (DESIGN.md §7).
 *
 * The oracle watches one run of model rserpool (models/rserpool.h). It
 * knows which PEs exist, which are alive (their host is up) and which
 * believe they are registered, and it reads every registrar's handlespace
 * every oracle.interval from the warm-up on. It also sees each handle
 * resolution a registrar answers and each step of each CalcApp job, through
 * the model's observer interface (rserpool_set_observer).
 *
 * Layering (DESIGN.md §1): the oracle reads model state through the
 * models' public read-only accessors (results -> models); no model includes
 * a results/ header. The command (sim/cmd-common.c), which knows every
 * layer, attaches it to a run of model rserpool after create and has it
 * record before the model's finish.
 *
 * Classification of a handlespace entry (pool handle, PE identifier) at a
 * sample: legitimate if the handle is the run's pool and the identifier is
 * the current one of a PE whose host is up; stale if the identifier is or
 * was an honest PE's (seen at a sample) that is now down or has since drawn
 * a new identifier (restart); bogus otherwise (no such PE ever: what an
 * attacker registers). Missing: a PE that is up and believes it is
 * registered but is absent from that registrar's handlespace. Hijacked: a
 * legitimate entry whose user transport names none of its PE's addresses
 * (another host registered the identifier, RFC 5355 §2.3). Only
 * registrars in state SERVING are sampled (a registrar down or still
 * synchronising has no handlespace to answer from).
 *
 * Resolution: every measure that comes from samples is exact at the sample
 * times; a time between samples (a crash detection, a divergence episode)
 * is known to oracle.interval. An identifier a PE held only between two
 * samples counts as bogus.
 *
 * Recorded metrics (names in results/metrics.c; module "oracle" unless
 * noted): time averages over the samples of entries, bogus, missing, stale
 * orphaned and hijacked entries per registrar (module "registrar[i]") and averaged
 * over registrars; divergence between the registrars; the fraction of
 * samples with all handlespaces equal and the durations of divergence
 * episodes; the fraction of resolutions answered only with live legitimate
 * PEs; CalcApp requests, their success ratio, requests sent to PEs that were
 * not alive, failovers; the detection time of each PE crash (crash to
 * removal from every serving registrar's handlespace); CPU utilization per
 * host role (module "role/<role>"); and the CalcApp system metrics of
 * PAPERS.md §1 (module "calcapp"): calcapp.utilization, the mean over PEs
 * of used / offered capacity, and calcapp.handling_speed, the mean request
 * handling speed of the jobs enqueued after the warm-up in % of the PE
 * capacity.
 *
 * Homes (RFC 5355 §2.6, §2.7, §2.12): at each sample, the fractions of live
 * PEs and PUs whose home association goes to an address of one of the
 * model's registrars (genuine) or to any other host (a rogue registrar);
 * and from t = 0, every oracle.interval until each has had one, the time of
 * each PE's and PU's first genuine home (time to discovery), and how many
 * never had one.
 *
 * Not here: attack-specific measures (rogue selections, replays accepted,
 * exposed facts) - they come with the attacks.
 */
#pragma once

#include "models/rserpool.h"

G_BEGIN_DECLS

typedef struct ResultsOracle ResultsOracle;

/* The key oracle.interval (static table). */
const SimParamDecl *results_oracle_params (gsize *n);

/* Watch model m (becomes its observer): samples from the warm-up on, every oracle.interval of params. */
ResultsOracle *results_oracle_new (Rserpool *m, const SimParams *params);
/* Stop watching (the model must still exist). */
void           results_oracle_free (ResultsOracle *o);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ResultsOracle, results_oracle_free)

/* Record the run's measures (call at the end of the run, before the model's finish). */
void           results_oracle_record (ResultsOracle *o, SimRecorder *rec);

/* What the latest sample found, for tests. */
typedef struct {
  SimTime t;            /* sample time; -1 before the first sample */
  guint   serving;      /* registrars sampled */
  guint   entries;      /* summed over them */
  guint   bogus;
  guint   missing;
  guint   stale;
  guint   orphans;      /* entries whose home registrar is not serving */
  guint   hijacked;     /* legitimate identifiers whose entry names none of the PE's addresses */
  double  divergence;   /* mean symmetric difference over pairs of serving registrars */
  gboolean all_equal;
} ResultsOracleSample;
const ResultsOracleSample *results_oracle_last_sample (const ResultsOracle *o);
/* Take a sample now (also what the periodic timer does). */
void           results_oracle_sample (ResultsOracle *o);

/* Detection times of PE crashes so far, s (count = crashes detected). */
const SimStat *results_oracle_detection_times (const ResultsOracle *o);
/* Durations of divergence episodes that ended, s. */
const SimStat *results_oracle_divergence_episodes (const ResultsOracle *o);

G_END_DECLS
