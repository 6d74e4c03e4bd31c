/*
 * tests/test-models-rserpool.c - model rserpool end to end, with numbers:
 * the published baseline's utilization against its 80 % target and the
 * policies' handling speeds (PAPERS.md §1-2), a registrar takeover with the
 * H-flag keep-alives reaching the PEs at their ASAP transport, handlespace
 * divergence and PE crash detection measured by the oracle, the capture
 * judged by tshark, identical rows from identical runs, and every recorded
 * metric name in the catalogue.
 *
 * Runs: scenarios/examples/baseline.ini (configs Validation and Short) and
 * scenarios/examples/redundancy.ini, in process; the takeover test builds
 * the model on its own kernel and steps it.
 */
#include "config.h"

#include "models/rserpool.h"
#include "results/metrics.h"
#include "results/oracle.h"
#include "results/store.h"
#include "sim/cmd-common.h"
#include "sim/scenario.h"
#include "tests/testutil.h"

#include <sqlite3.h>
#include <string.h>

static char *tmpdir;

static char *
db_path (const char *name)
{
  if (tmpdir == NULL)
    tmpdir = testutil_tmpdir ();
  return g_build_filename (tmpdir, name, NULL);
}

/* Run every run of config of an example into a fresh database name (once per process). */
static char *
run_example (const char *example, const char *config, const char *const *sets, const char *name)
{
  char *db = db_path (name);
  if (g_file_test (db, G_FILE_TEST_EXISTS))
    return db;
  g_autofree char *rel = g_strdup_printf ("scenarios/examples/%s", example);
  g_autofree char *scenario = testutil_srcpath (rel);
  g_autoptr (GError) error = NULL;
  gboolean ok = testutil_run_in_process (scenario, config, sets, db, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  return db;
}

/* One value per run: (policy variable, scalar) of module. */
static double
scalar_of (const char *db, const char *policy, const char *module, const char *name)
{
  sqlite3 *h = NULL;
  g_assert_cmpint (sqlite3_open_v2 (db, &h, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_stmt *st = NULL;
  const char *sql = policy != NULL
    ? "SELECT s.value FROM scalar s JOIN runparam p ON p.run_id = s.run_id "
      "WHERE p.name = 'policy' AND p.value = ?3 AND s.module = ?1 AND s.name = ?2"
    : "SELECT value FROM scalar WHERE module = ?1 AND name = ?2";
  g_assert_cmpint (sqlite3_prepare_v2 (h, sql, -1, &st, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (st, 1, module, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 2, name, -1, SQLITE_STATIC);
  if (policy != NULL)
    sqlite3_bind_text (st, 3, policy, -1, SQLITE_STATIC);
  if (sqlite3_step (st) != SQLITE_ROW)
    g_error ("%s: no scalar %s of %s (policy %s)", db, name, module, policy);
  double v = sqlite3_column_double (st, 0);
  g_assert_cmpint (sqlite3_step (st), ==, SQLITE_DONE);
  sqlite3_finalize (st);
  sqlite3_close (h);
  return v;
}

typedef struct {
  double count, mean, min, max;
} Stat;

static Stat
statistic_of (const char *db, const char *module, const char *name)
{
  sqlite3 *h = NULL;
  g_assert_cmpint (sqlite3_open_v2 (db, &h, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_stmt *st = NULL;
  g_assert_cmpint (sqlite3_prepare_v2 (h, "SELECT count, mean, min, max FROM statistic WHERE module = ?1 AND name = ?2",
                                       -1, &st, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (st, 1, module, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 2, name, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (st), ==, SQLITE_ROW);
  Stat s = { sqlite3_column_double (st, 0), sqlite3_column_double (st, 1), sqlite3_column_double (st, 2),
             sqlite3_column_double (st, 3) };
  sqlite3_finalize (st);
  sqlite3_close (h);
  return s;
}

static const char *const policies[] = { "lu", "lud", "rr", "rand" };

/* ---- the baseline (PAPERS.md §2.1) ------------------------------------------------ */

/*
 * Utilization = used / offered capacity: with nothing lost it is the offered
 * load, 80 % by calcapp.target-load; over 240 measured minutes (about 11 500
 * jobs) its standard deviation is about 1 point, so +-3 points.
 */
static void
test_baseline_utilization (void)
{
  g_autofree char *db = run_example ("baseline.ini", "Validation", NULL, "validation.db");
  for (gsize i = 0; i < G_N_ELEMENTS (policies); i++)
    {
      double u = scalar_of (db, policies[i], "calcapp", "calcapp.utilization");
      g_test_message ("%s: utilization %.4f", policies[i], u);
      g_assert_cmpfloat_with_epsilon (u, 0.80, 0.03);
      /* Every request was accepted: no PE was full, no timeout. */
      g_assert_cmpfloat (scalar_of (db, policies[i], "oracle", "oracle.requests.success_ratio"), ==, 1.0);
    }
}

/* PAPERS.md §2: the load-based policies serve faster than the blind ones. */
static void
test_baseline_handling_speed (void)
{
  g_autofree char *db = run_example ("baseline.ini", "Validation", NULL, "validation.db");
  double s[G_N_ELEMENTS (policies)];
  for (gsize i = 0; i < G_N_ELEMENTS (policies); i++)
    {
      s[i] = scalar_of (db, policies[i], "calcapp", "calcapp.handling_speed");
      g_test_message ("%s: handling speed %.2f %%", policies[i], s[i]);
      g_assert_cmpfloat (s[i], >, 0.0);
      g_assert_cmpfloat (s[i], <=, 100.0);
    }
  g_assert_cmpfloat (MIN (s[0], s[1]), >, MAX (s[2], s[3]));
}

/* calcapp.target-load = 80 %, r = 10, mean size 1e7, C = 1e6: exponential(125 s). */
static void
test_baseline_job_interval (void)
{
  g_autofree char *scenario = testutil_srcpath ("scenarios/examples/baseline.ini");
  g_autoptr (SimParamTable) table = cmd_param_table ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SimScenario) sc = cmd_scenario_load (scenario, table, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (SimRunSpec) spec = sim_scenario_run (sc, "Short", 0, &error);
  g_assert_no_error (error);
  g_autoptr (SimKernel) kernel = sim_kernel_new ();
  SimModelContext ctx = { kernel, spec->params, spec->seed, sim_recorder_discard (), 0, SIM_S, NULL, NULL };
  Rserpool *m = rserpool_model_type.create (&ctx, &error);
  g_assert_no_error (error);
  const CalcAppConfig *cfg = rserpool_calcapp_config (m);
  g_assert_cmpint (cfg->job_interval.kind, ==, SIM_DIST_EXPONENTIAL);
  g_assert_cmpfloat_with_epsilon (sim_dist_mean (&cfg->job_interval), 125.0 * SIM_S, 1e-3);
  g_assert_cmpuint (rserpool_n_registrars (m), ==, 1);
  g_assert_cmpuint (rserpool_n_pes (m), ==, 10);
  g_assert_cmpuint (rserpool_n_pus (m), ==, 100);
  rserpool_model_type.free (m);
}

/* Both keys set the job interval: the run fails and says so. */
static void
test_target_load_conflict (void)
{
  g_autofree char *db = db_path ("conflict.db");
  g_autofree char *scenario = testutil_srcpath ("scenarios/examples/baseline.ini");
  const char *const sets[] = { "calcapp.job-interval=exponential(10s)", NULL };
  g_autoptr (GError) error = NULL;
  g_assert_false (testutil_run_in_process (scenario, "Short", sets, db, &error));
  g_assert_error (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "calcapp.target-load and calcapp.job-interval"));
}

/* Same scenario, same seeds: identical rows, to the bit. */
static void
test_baseline_deterministic (void)
{
  g_autofree char *a = run_example ("baseline.ini", "Short", NULL, "short-a.db");
  g_autofree char *b = run_example ("baseline.ini", "Short", NULL, "short-b.db");
  g_autofree char *da = testutil_dump_results (a);
  g_autofree char *dbb = testutil_dump_results (b);
  g_assert_cmpuint (strlen (da), >, 10000);
  g_assert_cmpstr (da, ==, dbb);
}

/* ---- the metric catalogue ------------------------------------------------------------ */

static guint
check_names (const char *db, const char *table)
{
  sqlite3 *h = NULL;
  g_assert_cmpint (sqlite3_open_v2 (db, &h, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_autofree char *sql = g_strdup_printf ("SELECT DISTINCT name FROM %s ORDER BY name", table);
  sqlite3_stmt *st = NULL;
  g_assert_cmpint (sqlite3_prepare_v2 (h, sql, -1, &st, NULL), ==, SQLITE_OK);
  guint n = 0;
  while (sqlite3_step (st) == SQLITE_ROW)
    {
      const char *name = (const char *) sqlite3_column_text (st, 0);
      if (results_metrics_lookup (name) == NULL)
        g_error ("%s: %s '%s' is not in the metric catalogue (results/metrics.c)", db, table, name);
      n++;
    }
  sqlite3_finalize (st);
  sqlite3_close (h);
  return n;
}

static void
test_metrics_catalogue (void)
{
  g_autofree char *base = run_example ("baseline.ini", "Short", NULL, "short-a.db");
  g_autofree char *red = run_example ("redundancy.ini", "General", NULL, "redundancy.db");
  const char *const mm1_sets[] = { "sim-time-limit=2h", "warmup-period=10min", "repeat=1", NULL };
  g_autofree char *mm1 = run_example ("mm1.ini", "General", mm1_sets, "mm1.db");
  const char *const nl_sets[] = { "sim-time-limit=20s", "netload.udp-fraction=0.5", NULL };
  g_autofree char *nl = run_example ("netload.ini", "General", nl_sets, "netload.db");
  guint n = 0;
  const char *dbs[] = { base, red, mm1, nl };
  for (gsize i = 0; i < G_N_ELEMENTS (dbs); i++)
    n += check_names (dbs[i], "scalar") + check_names (dbs[i], "statistic") + check_names (dbs[i], "vector");
  g_test_message ("%u recorded names checked", n);
  g_assert_cmpuint (n, >, 200);
  /* Families match one level only; unknown names are refused. */
  g_assert_nonnull (results_metrics_lookup ("registrar.rx.asap_registration"));
  g_assert_null (results_metrics_lookup ("registrar.rx"));
  g_assert_null (results_metrics_lookup ("registrar.rx.a.b"));
  g_assert_null (results_metrics_lookup ("no.such.metric"));
}

/* ---- redundancy: takeover, divergence, crash detection, capture ---------------------------- */

typedef struct {
  SimKernel    *kernel;
  SimRunSpec   *spec;
  SimScenario  *sc;
  SimParamTable *table;
  Rserpool     *m;
  ResultsOracle *oracle;
} Stepped;

static void
stepped_open (Stepped *s, const char *const *sets)
{
  g_autofree char *scenario = testutil_srcpath ("scenarios/examples/redundancy.ini");
  g_autoptr (GError) error = NULL;
  s->table = cmd_param_table ();
  s->sc = cmd_scenario_load (scenario, s->table, (char **) sets, &error);
  g_assert_no_error (error);
  s->spec = sim_scenario_run (s->sc, "General", 0, &error);
  g_assert_no_error (error);
  s->kernel = sim_kernel_new ();
  SimModelContext ctx = { s->kernel, s->spec->params, s->spec->seed, sim_recorder_discard (),
                          sim_params_time (s->spec->params, "warmup-period"),
                          sim_params_time (s->spec->params, "sim-time-limit"), NULL, NULL };
  s->m = rserpool_model_type.create (&ctx, &error);
  g_assert_no_error (error);
  s->oracle = results_oracle_new (s->m, s->spec->params);
}

static void
stepped_close (Stepped *s)
{
  results_oracle_free (s->oracle);
  rserpool_model_type.free (s->m);
  sim_kernel_free (s->kernel);
  sim_run_spec_free (s->spec);
  sim_scenario_free (s->sc);
  sim_param_table_free (s->table);
}

/* Home registrar of PE id in registrar i's handlespace (0 = absent). */
static guint32
home_in (Rserpool *m, guint i, guint32 id)
{
  HsHandlespace *hs = registrar_handlespace (rserpool_registrar (m, i));
  const char *h = rserpool_pool_handle (m);
  HsPoolElement *pe = hs_handlespace_find (hs, (const guint8 *) h, strlen (h), id);
  return pe != NULL ? hs_pe_get_home_registrar (pe) : 0;
}

/* Every PE of ids (index j -> id) owned by `survivor` in every serving registrar and adopted by the PE. */
static gboolean
taken_over (Rserpool *m, const GArray *pes, guint32 survivor)
{
  for (guint i = 1; i < rserpool_n_registrars (m); i++)
    for (guint k = 0; k < pes->len; k++)
      {
        guint j = g_array_index (pes, guint, k);
        if (home_in (m, i, pe_id (rserpool_pe (m, j))) != survivor)
          return FALSE;
      }
  for (guint k = 0; k < pes->len; k++)
    if (pe_home_server_id (rserpool_pe (m, g_array_index (pes, guint, k))) != survivor)
      return FALSE;
  return TRUE;
}

/*
 * registrar0 (ID 1) crashes at 10 min. Its peers probe it at most
 * MAX-TIME-LAST-HEARD (5 s) after they last heard it (at most a heartbeat,
 * 2.444 s, before the crash), declare it dead MAX-TIME-NO-RESPONSE (5 s)
 * later and arbitrate; ID 3 wins and sends each of the PEs an H-flag
 * keep-alive at the ASAP transport it recorded (the PE's port 3863). So the
 * takeover ends within [10 - 2.444, 10 + takeover time] s of the crash; the
 * takeover itself (INIT_TAKEOVER, acks, association setup to each PE, the
 * keep-alive) takes a few 1 ms LAN crossings: bound 1 s.
 */
static void
test_redundancy_takeover (void)
{
  Stepped s;
  stepped_open (&s, NULL);
  Rserpool *m = s.m;
  const SimTime crash = 10 * SIM_MIN;
  sim_kernel_run (s.kernel, crash - 1);
  /* The PEs registrar ID 1 owns just before its crash. */
  g_autoptr (GArray) owned = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint j = 0; j < rserpool_n_pes (m); j++)
    if (home_in (m, 0, pe_id (rserpool_pe (m, j))) == 1)
      g_array_append_val (owned, j);
  g_test_message ("registrar ID 1 owns %u PEs at the crash", owned->len);
  g_assert_cmpuint (owned->len, >=, 2);
  SimTime done = -1;
  for (SimTime t = crash; t <= crash + 12 * SIM_S && done < 0; t += 10 * SIM_MS)
    {
      sim_kernel_run (s.kernel, t);
      if (taken_over (m, owned, 3))
        done = t;
    }
  g_assert_cmpint (done, >=, 0);
  double secs = (double) (done - crash) / SIM_S;
  g_test_message ("takeover complete %.2f s after the crash", secs);
  g_assert_cmpfloat (secs, >=, 10.0 - 2.444 - 0.01);
  g_assert_cmpfloat (secs, <=, 5.0 + 5.0 + 1.0);
  const RegistrarCounters *c3 = registrar_counters (rserpool_registrar (m, 2));
  g_assert_cmpuint (c3->takeovers, ==, 1);
  g_assert_cmpuint (c3->pes_taken_over, ==, owned->len);
  g_assert_cmpuint (registrar_counters (rserpool_registrar (m, 1))->takeovers, ==, 0);
  /* The survivors' handlespaces agree on every owner's checksum; nobody owns anything for ID 1. */
  HsHandlespace *h2 = registrar_handlespace (rserpool_registrar (m, 1));
  HsHandlespace *h3 = registrar_handlespace (rserpool_registrar (m, 2));
  for (guint32 owner = 1; owner <= 3; owner++)
    g_assert_cmpuint (hs_handlespace_owner_checksum (h2, owner), ==, hs_handlespace_owner_checksum (h3, owner));
  g_assert_cmpuint (hs_handlespace_owner_count (h2, 1), ==, 0);
  g_assert_cmpuint (hs_handlespace_owner_count (h3, 1), ==, 0);
  g_assert_cmpuint (hs_handlespace_pool_element_count (h2), ==, rserpool_n_pes (m));
  results_oracle_sample (s.oracle);
  const ResultsOracleSample *o = results_oracle_last_sample (s.oracle);
  g_assert_cmpuint (o->serving, ==, 2);
  g_assert_true (o->all_equal);
  g_assert_cmpuint (o->orphans, ==, 0);
  g_assert_cmpuint (o->missing, ==, 0);
  stepped_close (&s);
}

/*
 * Sampled every 2 ms from 9.9 to 21 min (the registrar crash and restart,
 * both PE crashes, the restart of pe3): every episode of unequal
 * handlespaces ends within 10 ms (a HANDLE_UPDATE crosses the 1 ms LAN once;
 * ten crossings is the bound), and none is open at the end. Membership
 * changes three times in the window (two removals, one new identifier); an
 * episode shorter than the 2 ms sampling may fall between two samples, so
 * at least one is seen.
 */
static void
test_redundancy_divergence (void)
{
  const char *const sets[] = { "oracle.interval=2ms", "warmup-period=9.9min", "sim-time-limit=21min", NULL };
  g_autofree char *db = run_example ("redundancy.ini", "General", sets, "divergence.db");
  Stat ep = statistic_of (db, "oracle", "oracle.hs.divergence_episode");
  g_test_message ("%.0f divergence episodes, longest %.3f s", ep.count, ep.max);
  g_assert_cmpfloat (ep.count, >=, 1);
  g_assert_cmpfloat (ep.max, <=, 0.010);
  g_assert_cmpfloat (scalar_of (db, NULL, "oracle", "oracle.hs.diverged_at_end"), ==, 0);
  g_assert_cmpfloat (scalar_of (db, NULL, "oracle", "oracle.hs.bogus"), ==, 0);
  g_assert_cmpfloat (scalar_of (db, NULL, "oracle", "oracle.hs.missing"), ==, 0);
}

/*
 * pe3 (12 min) and pe7 (15 min) crash; their owner notices at the next
 * keep-alive, at most interval x (1 + jitter) = 7.5 s later, and removes them
 * when the ACK has not come within the 5 s timeout: 12.5 s, to the oracle's
 * 100 ms resolution.
 */
static void
test_redundancy_crash_detection (void)
{
  g_autofree char *db = run_example ("redundancy.ini", "General", NULL, "redundancy.db");
  Stat d = statistic_of (db, "oracle", "oracle.detection_time");
  g_test_message ("detection times: %.0f crashes, %.3f .. %.3f s", d.count, d.min, d.max);
  g_assert_cmpfloat (d.count, ==, 2);
  g_assert_cmpfloat (d.min, >=, 5.0);
  g_assert_cmpfloat (d.max, <=, 12.5 + 0.1);
  g_assert_cmpfloat (scalar_of (db, NULL, "oracle", "oracle.pe_crashes.undetected"), ==, 0);
  /* The PUs served by them fail over with their cookies. */
  g_assert_cmpfloat (scalar_of (db, NULL, "oracle", "oracle.failovers"), >=, 1);
  g_assert_cmpfloat (scalar_of (db, NULL, "registrar[2]", "registrar.takeovers"), ==, 1);
}

/*
 * The oracle's classes, on a redundancy run at 6 min (all three registrars
 * serving, 10 PEs each) with the handlespaces edited behind the protocols'
 * back: an entry for an identifier no PE ever had is bogus; a PE whose host
 * crashed is stale where it is still listed; a live registered PE taken out
 * of one handlespace is missing there; and the registrars diverge.
 */
static void
test_oracle_classes (void)
{
  Stepped s;
  stepped_open (&s, NULL);
  Rserpool *m = s.m;
  sim_kernel_run (s.kernel, 6 * SIM_MIN);
  results_oracle_sample (s.oracle);
  const ResultsOracleSample *o = results_oracle_last_sample (s.oracle);
  g_assert_cmpuint (o->serving, ==, 3);
  g_assert_cmpuint (o->entries, ==, 30);
  g_assert_cmpuint (o->bogus + o->stale + o->missing + o->orphans, ==, 0);
  g_assert_true (o->all_equal);

  const char *h = rserpool_pool_handle (m);
  HsHandlespace *hs0 = registrar_handlespace (rserpool_registrar (m, 0));
  HsHandlespace *hs2 = registrar_handlespace (rserpool_registrar (m, 2));
  /* A bogus entry at registrar 0: PE 0's attributes under an identifier no PE drew. */
  HsPoolElement *model = hs_handlespace_find (hs0, (const guint8 *) h, strlen (h), pe_id (rserpool_pe (m, 0)));
  HsRegistration reg = { 0 };
  reg.pe_id = 0x0badf00d;
  reg.home_registrar = 1;
  reg.reg_life_ms = -1;
  hs_pe_get_policy (model, &reg.policy);
  hs_pe_get_user_transport (model, &reg.user);
  hs_pe_get_asap_transport (model, &reg.asap);
  HsPoolElement *fake = NULL;
  gboolean created = FALSE;
  g_assert_cmpint (hs_handlespace_register (hs0, (const guint8 *) h, strlen (h), &reg, HS_REGISTER_NONE, &fake,
                                            &created), ==, HS_OK);
  g_assert_true (created);
  /* PE 1 missing at registrar 2; PE 2's host crashes (listed everywhere: stale x 3). */
  hs_handlespace_remove (hs2, hs_handlespace_find (hs2, (const guint8 *) h, strlen (h), pe_id (rserpool_pe (m, 1))));
  net_host_crash (pe_host (rserpool_pe (m, 2)));
  results_oracle_sample (s.oracle);
  o = results_oracle_last_sample (s.oracle);
  g_assert_cmpuint (o->entries, ==, 30);
  g_assert_cmpuint (o->bogus, ==, 1);
  g_assert_cmpuint (o->missing, ==, 1);
  g_assert_cmpuint (o->stale, ==, 3);
  /* Pairs (0,1): {fake}; (0,2): {fake, PE 1}; (1,2): {PE 1}: mean 4/3. */
  g_assert_false (o->all_equal);
  g_assert_cmpfloat_with_epsilon (o->divergence, 4.0 / 3.0, 1e-12);
  stepped_close (&s);
}

static const char *
tshark_name (const char *kind)
{
  static const char *const names[][2] = {
    { "ASAP_REGISTRATION", "ASAP Registration" },
    { "ASAP_DEREGISTRATION", "ASAP Deregistration" },
    { "ASAP_REGISTRATION_RESPONSE", "ASAP Registration Response" },
    { "ASAP_DEREGISTRATION_RESPONSE", "ASAP Deregistration Response" },
    { "ASAP_HANDLE_RESOLUTION", "ASAP Handle Resolution" },
    { "ASAP_HANDLE_RESOLUTION_RESPONSE", "ASAP Handle Resolution Response" },
    { "ASAP_ENDPOINT_KEEP_ALIVE", "ASAP Endpoint Keep-Alive" },
    { "ASAP_ENDPOINT_KEEP_ALIVE_ACK", "ASAP Endpoint Keep-Alive Acknowledgement" },
    { "ASAP_ENDPOINT_UNREACHABLE", "ASAP Endpoint Unreachable" },
    { "ASAP_SERVER_ANNOUNCE", "ASAP Server Announce" },
    { "ASAP_COOKIE", "ASAP Cookie" },
    { "ASAP_COOKIE_ECHO", "ASAP Cookie Echo" },
    { "ASAP_BUSINESS_CARD", "ASAP Business Card" },
    { "ASAP_ERROR", "ASAP Error" },
    { "ENRP_PRESENCE", "ENRP Presence" },
    { "ENRP_HANDLE_TABLE_REQUEST", "ENRP Handle Table Request" },
    { "ENRP_HANDLE_TABLE_RESPONSE", "ENRP Handle Table Response" },
    { "ENRP_HANDLE_UPDATE", "ENRP Handle Update" },
    { "ENRP_LIST_REQUEST", "ENRP List Request" },
    { "ENRP_LIST_RESPONSE", "ENRP List Response" },
    { "ENRP_INIT_TAKEOVER", "ENRP Init Takeover" },
    { "ENRP_INIT_TAKEOVER_ACK", "ENRP Init Takeover Ack" },
    { "ENRP_TAKEOVER_SERVER", "ENRP Takeover Server" },
    { "ENRP_ERROR", "ENRP Error" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (strcmp (names[i][0], kind) == 0)
      return names[i][1];
  return NULL;
}

/*
 * The capture of a redundancy run: check-pcap (tshark) finds nothing
 * malformed, and lists every ASAP/ENRP type the run sent (net.messages of
 * module net/<TYPE>) with at least as many frames; the surplus, summed over
 * the types, is at most the SCTP retransmissions (to the crashed registrar).
 */
static void
test_redundancy_pcap (void)
{
  const char *shared = g_getenv ("POOLSIM_SHARED");
  g_autofree char *tshark = g_find_program_in_path ("tshark");
  g_autofree char *tool = shared != NULL ? g_build_filename (shared, "tools", "check-pcap", NULL) : NULL;
  if (tool == NULL || !g_file_test (tool, G_FILE_TEST_IS_EXECUTABLE) || tshark == NULL)
    {
      g_test_skip (tool == NULL ? "POOLSIM_SHARED is not set (run through make check): capture not judged"
                   : tshark == NULL ? "tshark not found (apt-get install tshark): capture not judged"
                                    : "POOLSIM_SHARED has no tools/check-pcap: capture not judged");
      return;
    }
  g_autofree char *db = db_path ("pcap.db");
  g_autofree char *pcap = db_path ("redundancy.pcap");
  g_autofree char *scenario = testutil_srcpath ("scenarios/examples/redundancy.ini");
  g_autoptr (GError) error = NULL;
  {
    g_autoptr (SimParamTable) table = cmd_param_table ();
    /* A compressed redundancy run (tshark takes ~1 ms per frame): the same events in 6 minutes, 30 PUs. */
    const char *const sets[] = { "pu.count=30", "calcapp.cookie-interval=10s", "sim-time-limit=6min",
                                 "warmup-period=0s", "net.fail.schedule=registrar0:3min-5min, pe3:90s-, pe7:100s-",
                                 NULL };
    g_autoptr (SimScenario) sc = cmd_scenario_load (scenario, table, (char **) sets, &error);
    g_assert_no_error (error);
    g_autoptr (ResultsStore) store = results_store_open (db, &error);
    g_assert_no_error (error);
    g_autoptr (SimRunSpec) spec = sim_scenario_run (sc, "General", 0, &error);
    g_assert_no_error (error);
    CmdRunOptions options = { FALSE, 1, 1, pcap, NULL };
    g_assert_true (cmd_run_one (sc, spec, store, &options, &error));
    g_assert_no_error (error);
  }
  char *argv[] = { tool, pcap, NULL };
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  g_assert_true (g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("check-pcap failed:\n%s\n%s", out, err);
  g_assert_nonnull (strstr (out, "malformed frames: 0\n"));
  g_assert_nonnull (strstr (out, "verdict: ok\n"));

  sqlite3 *h = NULL;
  g_assert_cmpint (sqlite3_open_v2 (db, &h, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_stmt *st = NULL;
  g_assert_cmpint (sqlite3_prepare_v2 (h, "SELECT substr(module, 5), value FROM scalar WHERE name = 'net.messages' "
                                          "AND (module LIKE 'net/ASAP%' OR module LIKE 'net/ENRP%') ORDER BY module",
                                       -1, &st, NULL), ==, SQLITE_OK);
  guint types = 0;
  guint64 extra = 0;
  while (sqlite3_step (st) == SQLITE_ROW)
    {
      const char *kind = (const char *) sqlite3_column_text (st, 0);
      guint64 n = (guint64) sqlite3_column_double (st, 1);
      const char *name = tshark_name (kind);
      g_assert_nonnull (name);
      /* check-pcap's line "   COUNT  NAME". */
      g_autofree char *needle = g_strdup_printf ("  %s\n", name);
      const char *at = strstr (out, needle);
      if (at == NULL)
        g_error ("check-pcap does not list %s:\n%s", name, out);
      const char *line = at;
      while (line > out && line[-1] != '\n')
        line--;
      guint64 seen = g_ascii_strtoull (line, NULL, 10);
      g_assert_cmpuint (seen, >=, n);
      extra += seen - n;
      types++;
    }
  sqlite3_finalize (st);
  sqlite3_close (h);
  /* tshark counts a retransmitted DATA chunk again: the surplus is at most the retransmissions. */
  double retrans = scalar_of (db, NULL, "net", "net.sctp.retransmissions");
  g_test_message ("capture: %" G_GUINT64_FORMAT " ASAP/ENRP frames beyond the messages sent, %.0f retransmissions",
                  extra, retrans);
  g_assert_cmpfloat ((double) extra, <=, retrans);
  g_test_message ("%u ASAP/ENRP message types in the capture", types);
  /* Registration, resolution, keep-alives, unreachable, cookies; presence, updates, tables, lists, takeover. */
  g_assert_cmpuint (types, >=, 18);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/models/rserpool/baseline/utilization", test_baseline_utilization);
  g_test_add_func ("/models/rserpool/baseline/handling-speed", test_baseline_handling_speed);
  g_test_add_func ("/models/rserpool/baseline/job-interval", test_baseline_job_interval);
  g_test_add_func ("/models/rserpool/baseline/target-load-conflict", test_target_load_conflict);
  g_test_add_func ("/models/rserpool/baseline/deterministic", test_baseline_deterministic);
  g_test_add_func ("/models/rserpool/metrics/catalogue", test_metrics_catalogue);
  g_test_add_func ("/models/rserpool/oracle/classes", test_oracle_classes);
  g_test_add_func ("/models/rserpool/redundancy/takeover", test_redundancy_takeover);
  g_test_add_func ("/models/rserpool/redundancy/divergence", test_redundancy_divergence);
  g_test_add_func ("/models/rserpool/redundancy/crash-detection", test_redundancy_crash_detection);
  g_test_add_func ("/models/rserpool/redundancy/pcap", test_redundancy_pcap);
  int status = g_test_run ();
  if (tmpdir != NULL)
    testutil_rmtree (tmpdir);
  return status;
}
