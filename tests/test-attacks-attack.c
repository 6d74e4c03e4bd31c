/*
 * tests/test-attacks-attack.c - the attack framework and the attacks of
 * RFC 5355 §2.1, §2.3, §2.13 and §2.14 with numbers: each attacked run is paired with the
 * no-attack run of the same seed (config none of the same scenario), and
 * each mitigation with both.
 *
 * Runs: scenarios/threats/2.1-registration-flood.ini, 2.3-spoofing.ini,
 * 2.13-unreachable-flood.ini and 2.14-keepalive-flood.ini, 5 + 30 simulated minutes, runs 0 and 1 (two
 * seeds), in process, with every entity's scalars recorded.
 */
#include "config.h"

#include "attacks/attack.h"
#include "results/metrics.h"
#include "sim/cmd-common.h"
#include "tests/testutil.h"

#include <sqlite3.h>
#include <math.h>
#include <string.h>

static char *tmpdir;

static const char *const sets[] = { "rserpool.record-entities=true", NULL };

/* Every run of config of a threat scenario into its own database (once per process). */
static char *
run_threat (const char *file, const char *config)
{
  return testutil_run_threat (&tmpdir, file, config, NULL, sets);
}

/* The sum over the runs' modules matching module_like of a scalar, per run (runs 0 and 1). */
static void
scalars (const char *db, const char *module_like, const char *name, double out[2])
{
  testutil_per_run (db, FALSE, module_like, name, out, 2);
}

/* Every name recorded in db is in the metric catalogue. */
static void
check_catalogue (const char *db)
{
  testutil_check_catalogue (db);
}

/* ---- registries ------------------------------------------------------------------------ */

/* Every §2 threat has a row; each attack.type value but none models at least one of them. */
static void
test_registry_threats (void)
{
  gsize n;
  const AttackThreat *t = attack_threats (&n);
  g_assert_cmpuint (n, ==, 16);
  gsize np;
  const SimParamDecl *d = attack_params (&np);
  g_assert_cmpstr (d[0].key, ==, "attack.type");
  g_auto (GStrv) choices = g_strsplit (d[0].choices, ",", -1);
  g_assert_cmpstr (choices[0], ==, "none");
  for (guint c = 1; choices[c] != NULL; c++)
    {
      guint found = 0;
      for (gsize i = 0; i < n; i++)
        found += t[i].attack != NULL && strcmp (t[i].attack, choices[c]) == 0;
      g_assert_cmpuint (found, >=, 1);
    }
  g_assert_cmpstr (t[0].section, ==, "2.1");
  g_assert_cmpstr (t[0].attack, ==, "registration-flood");
  g_assert_cmpstr (t[2].section, ==, "2.3");
  g_assert_cmpstr (t[2].attack, ==, "spoofing");
  g_assert_cmpstr (t[12].section, ==, "2.13");
  g_assert_cmpstr (t[12].attack, ==, "unreachable-flood");
  g_assert_cmpstr (t[13].section, ==, "2.14");
  g_assert_cmpstr (t[13].attack, ==, "keepalive-flood");
}

/* Every mitigation is available and names keys that exist in poolsim's table. */
static void
test_registry_mitigations (void)
{
  g_autoptr (SimParamTable) table = cmd_param_table ();
  gsize n;
  const AttackMitigation *m = attack_mitigations (&n);
  guint available = 0;
  for (gsize i = 0; i < n; i++)
    {
      if (m[i].keys == NULL)
        continue;
      available++;
      g_auto (GStrv) words = g_strsplit_set (m[i].keys, " ,()", -1);
      guint keys = 0;
      for (guint w = 0; words[w] != NULL; w++)
        if (g_str_has_prefix (words[w], "registrar.") || g_str_has_prefix (words[w], "pe.")
            || g_str_has_prefix (words[w], "pu.") || g_str_has_prefix (words[w], "secure.")
            || g_str_has_prefix (words[w], "calcapp.") || g_str_has_prefix (words[w], "rserpool."))
          {
            if (sim_param_table_lookup (table, words[w]) == NULL)
              g_error ("mitigation %s names an unknown key %s", m[i].name, words[w]);
            keys++;
          }
      g_assert_cmpuint (keys, >=, 1);
    }
  g_assert_cmpuint (available, ==, n);   /* every mitigation is switchable */
}

/* ---- common random numbers -------------------------------------------------------------- */

/*
 * Switching the attack on changes no honest entity's own draws: the PUs
 * enqueue exactly the same jobs (count and total size: interarrival and
 * size streams) with and without each attack.
 */
static void
test_honest_draws_unchanged (void)
{
  const char *files[] = { "2.1-registration-flood", "2.3-spoofing", "2.13-unreachable-flood", "2.14-keepalive-flood" };
  g_autofree char *none = run_threat (files[0], "none");
  double q0[2], c0[2];
  scalars (none, "pu[%", "calcapp.client.queued", q0);
  scalars (none, "calcapp", "calcapp.jobs", c0);
  for (gsize f = 0; f < G_N_ELEMENTS (files); f++)
    {
      g_autofree char *att = run_threat (files[f], "General");
      double q[2];
      scalars (att, "pu[%", "calcapp.client.queued", q);
      for (guint i = 0; i < 2; i++)
        {
          g_test_message ("%s run %u: %.0f jobs queued (no attack: %.0f)", files[f], i, q[i], q0[i]);
          g_assert_cmpfloat (q[i], ==, q0[i]);
        }
    }
}

/* The same seed twice gives the same rows, attack and all (DESIGN.md §3). */
static void
test_deterministic (void)
{
  g_autofree char *a = run_threat ("2.1-registration-flood", "General");
  g_autofree char *scenario = testutil_srcpath ("scenarios/threats/2.1-registration-flood.ini");
  g_autofree char *b = g_build_filename (tmpdir, "again.db", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (testutil_run_in_process (scenario, "General", sets, b, &error));
  g_assert_no_error (error);
  g_autofree char *da = testutil_dump_results (a);
  g_autofree char *db = testutil_dump_results (b);
  g_assert_cmpstr (da, ==, db);
}

/* ---- §2.1 registration flood --------------------------------------------------------------- */

/*
 * PAPERS §2.2 E1/E2, A = 1 s, LU, MAX-BAD-PE-REPORT 3. Measured (runs 0, 1;
 * handling speed no attack / attack / one-pe-per-credential):
 * 81.24 / 14.99 / 65.76 % and 72.10 / 13.95 / 55.45 %; bogus entries 18.8
 * and 19.2 on average with the attack, 0.93 with the mitigation; the
 * attack costs about 525 bit/s of ASAP bytes. The attack drives handling
 * speed far below half (18 %, 19 % of the paired no-attack value). The
 * mitigation keeps 81 % and 77 %, not the 80 % expected from the papers in
 * both: the one fake PE each credential may hold reports load 0, so LU
 * gives it every request until three PUs have timed out (10 s) and reported
 * it; the adversary's next registration (1 s later) is then accepted, so a
 * fake PE is in the handlespace 93 % of the time and most jobs meet one 10 s
 * timeout. Asserted: attack < 1/2, mitigation >= 3/4 of the paired value.
 */
static void
test_registration_flood (void)
{
  g_autofree char *none = run_threat ("2.1-registration-flood", "none");
  g_autofree char *att = run_threat ("2.1-registration-flood", "General");
  g_autofree char *mit = run_threat ("2.1-registration-flood", "one-pe-per-credential");
  double s0[2], s1[2], s2[2], bogus1[2], bogus2[2], rate[2], refused[2];
  scalars (none, "calcapp", "calcapp.handling_speed", s0);
  scalars (att, "calcapp", "calcapp.handling_speed", s1);
  scalars (mit, "calcapp", "calcapp.handling_speed", s2);
  scalars (att, "oracle", "oracle.hs.bogus", bogus1);
  scalars (mit, "oracle", "oracle.hs.bogus", bogus2);
  scalars (att, "attack", "attack.bitrate", rate);
  scalars (mit, "registrar[%", "registrar.registrations_refused_identity", refused);
  for (guint i = 0; i < 2; i++)
    g_test_message ("run %u: handling speed %.2f %% (no attack) %.2f %% (attack) %.2f %% (one-pe-per-credential); "
                    "bogus %.2f / %.2f; attack %.0f bit/s; refused %.0f",
                    i, s0[i], s1[i], s2[i], bogus1[i], bogus2[i], rate[i], refused[i]);
  check_catalogue (att);
  check_catalogue (mit);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpfloat (s1[i], <, 0.5 * s0[i]);
      g_assert_cmpfloat (s2[i], >=, 0.75 * s0[i]);
      g_assert_cmpfloat (bogus1[i], >, 10.0);
      g_assert_cmpfloat (bogus2[i], <=, 1.0);   /* one credential, one fake PE at most */
      g_assert_cmpfloat (refused[i], >, 1000.0);
      g_assert_cmpfloat (rate[i], >, 400.0);
      g_assert_cmpfloat (rate[i], <, 700.0);
    }
}

/* ---- §2.3 registration/deregistration spoofing ----------------------------------------------- */

/*
 * A = 1 s, LU, max-hr-items 1, from t = 1 min. Measured (runs 0, 1;
 * handling speed no attack / attack without address binding / address
 * binding): 81.24 / 21.91 / 80.70 % and 72.10 / 21.56 / 71.50 %. Without
 * the binding the adversary deregisters and hijacks 526 and 537 PEs (every
 * one accepted; the other answers name its own hijacked entry, load 0);
 * the oracle finds 1.38 and 1.41 hijacked and 1.60 and 1.58 missing
 * entries on average. With the binding each of its 2 040 spoofed
 * deregistrations and 2 040 hijacking registrations (one per second over
 * 34 min) is refused and counted, no entry is hijacked or missing.
 * Asserted: attack < 1/2, address binding >= 95 % of the paired value;
 * refusals = the adversary's sends.
 */
static void
test_spoofing (void)
{
  g_autofree char *none = run_threat ("2.3-spoofing", "none");
  g_autofree char *att = run_threat ("2.3-spoofing", "General");
  g_autofree char *mit = run_threat ("2.3-spoofing", "address-binding");
  double s0[2], s1[2], s2[2], hij1[2], hij2[2], mis1[2], mis2[2], dereg1[2], acc1[2];
  double dereg2[2], reg2[2], dref[2], rref[2];
  scalars (none, "calcapp", "calcapp.handling_speed", s0);
  scalars (att, "calcapp", "calcapp.handling_speed", s1);
  scalars (mit, "calcapp", "calcapp.handling_speed", s2);
  scalars (att, "oracle", "oracle.hs.hijacked", hij1);
  scalars (mit, "oracle", "oracle.hs.hijacked", hij2);
  scalars (att, "oracle", "oracle.hs.missing", mis1);
  scalars (mit, "oracle", "oracle.hs.missing", mis2);
  scalars (att, "attack", "attack.deregistrations", dereg1);
  scalars (att, "attack", "attack.deregistrations_accepted", acc1);
  scalars (mit, "attack", "attack.deregistrations", dereg2);
  scalars (mit, "attack", "attack.registrations", reg2);
  scalars (mit, "registrar[%", "registrar.deregistrations_refused", dref);
  scalars (mit, "registrar[%", "registrar.registrations_refused_binding", rref);
  for (guint i = 0; i < 2; i++)
    g_test_message ("run %u: handling speed %.2f %% (no attack) %.2f %% (attack) %.2f %% (address binding); "
                    "hijacked %.2f / %.2f, missing %.2f / %.2f; spoofed %.0f (accepted %.0f); refused %.0f + %.0f",
                    i, s0[i], s1[i], s2[i], hij1[i], hij2[i], mis1[i], mis2[i], dereg1[i], acc1[i], dref[i], rref[i]);
  check_catalogue (att);
  check_catalogue (mit);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpfloat (s1[i], <, 0.5 * s0[i]);
      g_assert_cmpfloat (s2[i], >=, 0.95 * s0[i]);
      g_assert_cmpfloat (hij1[i], >, 1.0);
      g_assert_cmpfloat (mis1[i], >, 1.0);
      g_assert_cmpfloat (dereg1[i], >, 500.0);
      g_assert_cmpfloat (acc1[i], ==, dereg1[i]);
      g_assert_cmpfloat (hij2[i], ==, 0.0);
      g_assert_cmpfloat (mis2[i], ==, 0.0);
      /* One resolution a second from 1 min to 35 min, each answered with one PE to spoof. */
      g_assert_cmpfloat (dereg2[i], ==, 2040.0);
      g_assert_cmpfloat (dref[i], ==, dereg2[i]);
      g_assert_cmpfloat (rref[i], ==, reg2[i]);
    }
}

/* ---- §2.13 unreachable flood ----------------------------------------------------------------- */

/*
 * PAPERS §2.2 E4/E5, A = 0.1 s, p = 1, LU, from t = 1 min. Measured
 * (runs 0, 1; handling speed no attack / attack / rate limits 1/s):
 * 81.24 / 8.61 / 81.24 % and 72.10 / 9.30 / 72.10 %; the attack has 2 728
 * and 2 751 PEs removed by MAX-BAD-PE-REPORT. With the limits the estimator
 * passes an association's first registrar.rate-burst = 2 arrivals and
 * judges every later one over the entries it holds: the adversary's third
 * resolution (3 in 0.2 s) and all after it are refused (its measured rate
 * stays at 10/s), so it reports the PEs of 2 answers, 2 reports < MAX-BAD-
 * PE-REPORT: no legitimate PE is removed (0 / 0; judging full windows only,
 * as before, let 15 answers through and removed 5 and 3 PEs at the
 * attack's start). 20 398 resolutions are refused in each run, all the
 * adversary's: no honest PU retransmits a resolution more than without the
 * attack, no report is refused. Asserted: attack < 1/2, limits >= 90 % of
 * the paired value, no removal, honest PUs never refused.
 */
static void
test_unreachable_flood (void)
{
  g_autofree char *none = run_threat ("2.13-unreachable-flood", "none");
  g_autofree char *att = run_threat ("2.13-unreachable-flood", "General");
  g_autofree char *mit = run_threat ("2.13-unreachable-flood", "registrar-rate-limits");
  double s0[2], s1[2], s2[2], rem1[2], rem2[2], hr_ref[2], eu_ref[2], sent[2], answered[2];
  scalars (mit, "attack", "attack.resolutions", sent);
  scalars (mit, "attack", "attack.resolutions_answered", answered);
  scalars (none, "calcapp", "calcapp.handling_speed", s0);
  scalars (att, "calcapp", "calcapp.handling_speed", s1);
  scalars (mit, "calcapp", "calcapp.handling_speed", s2);
  scalars (att, "registrar[%", "registrar.unreachable_removals", rem1);
  scalars (mit, "registrar[%", "registrar.unreachable_removals", rem2);
  scalars (mit, "registrar[%", "registrar.resolutions_refused", hr_ref);
  scalars (mit, "registrar[%", "registrar.unreachable_refused", eu_ref);
  double retx0[2], retx2[2], eu_sent[2];
  scalars (none, "pu[%", "pu.retransmissions", retx0);
  scalars (mit, "pu[%", "pu.retransmissions", retx2);
  scalars (mit, "attack", "attack.unreachable_reports", eu_sent);
  for (guint i = 0; i < 2; i++)
    g_test_message ("run %u: handling speed %.2f %% (no attack) %.2f %% (attack) %.2f %% (rate limits); "
                    "removals %.0f / %.0f; refused HR %.0f EU %.0f",
                    i, s0[i], s1[i], s2[i], rem1[i], rem2[i], hr_ref[i], eu_ref[i]);
  check_catalogue (att);
  check_catalogue (mit);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpfloat (s1[i], <, 0.5 * s0[i]);
      g_assert_cmpfloat (s2[i], >=, 0.9 * s0[i]);
      g_assert_cmpfloat (rem1[i], >, 1000.0);
      g_assert_cmpfloat (rem2[i], ==, 0);
      g_assert_cmpfloat (hr_ref[i], >, 20000.0);
      /*
       * The first 2 resolutions (the burst) are answered, the third (3 in
       * 0.2 s) and every later one refused, but for the one sent at the very
       * end and still in flight; so are the adversary's 2 reports.
       */
      g_assert_cmpfloat (answered[i], ==, 2);
      g_assert_cmpfloat (eu_sent[i], ==, 2);
      g_assert_cmpfloat (eu_ref[i], ==, 0);
      g_assert_cmpfloat (sent[i] - answered[i] - hr_ref[i], ==, 1);
      /* Honest PUs are never refused: a refused resolution would be retransmitted after T1. */
      g_assert_cmpfloat (retx2[i], ==, retx0[i]);
    }
}

/* ---- §2.14 keep-alive flood ------------------------------------------------------------------- */

/*
 * One malicious registrar, a keep-alive to each of the 10 PEs every 10 ms
 * from t = 1 min, each answer costing the PE 5 ms of CPU. Measured (runs 0,
 * 1): every one of the 204 000 keep-alives per PE is answered and the PEs'
 * CPU utilization over the run is 48.57 % (1 020 s busy of 2 100 s)
 * against 0 without the attack (no honest keep-alive is sent: the PEs
 * re-register every 10 s, before the registrar's 50 s keep-alive interval).
 * Handling speed 81.24 / 3.29 / 81.24 % and 72.10 / 3.41 / 72.10 % (no
 * attack / attack / rate limit 1/s): the CalcApp server runs on the PE's CPU
 * (calcapp.shares-cpu), so the answers take half of its capacity from the
 * jobs; at 80 % offered load the PEs fall behind and jobs wait (RFC 5355
 * §2.14.2: the PE cannot service its clients). With the limit each PE
 * answers the first 2 keep-alives of the association (pe.keepalive-rate-burst;
 * every later one is judged, 150/s at the third) and refuses the other
 * 203 998, PE CPU utilization 5e-6.
 * Asserted: exact counts, utilization = answers x cost / run length, speed
 * under attack below 10 % of the paired value, with the limit within 0.1 %.
 */
static void
test_keepalive_flood (void)
{
  g_autofree char *none = run_threat ("2.14-keepalive-flood", "none");
  g_autofree char *att = run_threat ("2.14-keepalive-flood", "General");
  g_autofree char *mit = run_threat ("2.14-keepalive-flood", "keep-alive-rate-limit");
  double s0[2], s1[2], s2[2], u0[2], u1[2], u2[2], sent[2], ans1[2], ans2[2], ref2[2], acks2[2];
  scalars (none, "calcapp", "calcapp.handling_speed", s0);
  scalars (att, "calcapp", "calcapp.handling_speed", s1);
  scalars (mit, "calcapp", "calcapp.handling_speed", s2);
  scalars (none, "role/pe", "oracle.cpu.utilization", u0);
  scalars (att, "role/pe", "oracle.cpu.utilization", u1);
  scalars (mit, "role/pe", "oracle.cpu.utilization", u2);
  scalars (att, "attack", "attack.keep_alives", sent);
  scalars (att, "pe[%", "pe.keepalives", ans1);
  scalars (mit, "pe[%", "pe.keepalives", ans2);
  scalars (mit, "pe[%", "pe.keepalives_refused", ref2);
  scalars (mit, "attack", "attack.keep_alive_acks_received", acks2);
  for (guint i = 0; i < 2; i++)
    g_test_message ("run %u: handling speed %.2f %% (no attack) %.2f %% (attack) %.2f %% (rate limit); "
                    "PE CPU %.4f / %.4f / %.6f; keep-alives sent %.0f, answered %.0f / %.0f, refused %.0f",
                    i, s0[i], s1[i], s2[i], u0[i], u1[i], u2[i], sent[i], ans1[i], ans2[i], ref2[i]);
  check_catalogue (att);
  check_catalogue (mit);
  for (guint i = 0; i < 2; i++)
    {
      /* 10 PEs x 100/s x 2 040 s, the last tick's 10 still in flight at the end. */
      g_assert_cmpfloat (sent[i], ==, 2040010.0);
      g_assert_cmpfloat (ans1[i], ==, 2040000.0);
      g_assert_cmpfloat (u0[i], ==, 0.0);
      g_assert_cmpfloat_with_epsilon (u1[i], ans1[i] / 10 * 0.005 / 2100, 1e-9);
      g_assert_cmpfloat (u1[i], >, 0.45);
      g_assert_cmpfloat (ans2[i], ==, 10 * 2);
      g_assert_cmpfloat (ref2[i], ==, ans1[i] - ans2[i]);
      g_assert_cmpfloat (acks2[i], ==, ans2[i]);
      g_assert_cmpfloat (u2[i], <, 1e-4);
      g_assert_cmpfloat (s1[i], <, 0.1 * s0[i]);
      g_assert_cmpfloat (fabs (s2[i] - s0[i]), <, 0.001 * s0[i]);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/attacks/registry/threats", test_registry_threats);
  g_test_add_func ("/attacks/registry/mitigations", test_registry_mitigations);
  g_test_add_func ("/attacks/streams/honest-draws-unchanged", test_honest_draws_unchanged);
  g_test_add_func ("/attacks/2.1/registration-flood", test_registration_flood);
  g_test_add_func ("/attacks/2.1/deterministic", test_deterministic);
  g_test_add_func ("/attacks/2.3/spoofing", test_spoofing);
  g_test_add_func ("/attacks/2.13/unreachable-flood", test_unreachable_flood);
  g_test_add_func ("/attacks/2.14/keepalive-flood", test_keepalive_flood);
  int rc = g_test_run ();
  if (tmpdir != NULL)
    testutil_rmtree (tmpdir);
  return rc;
}
