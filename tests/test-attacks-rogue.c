/*
 * tests/test-attacks-rogue.c - the malicious-registrar attacks of RFC 5355
 * §2.5, §2.6, §2.7 and the discovery attacks of §2.12 with numbers: each
 * attacked run is paired with the no-attack run of the same seed (config
 * none of the same scenario), and each mitigation with both.
 *
 * Runs: scenarios/threats/2.5-rogue-enrp.ini, 2.6-rogue-registrar.ini,
 * 2.7-rogue-resolution.ini and 2.12-discovery.ini (3 registrars, 10 PEs,
 * 100 PUs, runs 0 and 1: two seeds) shortened to 5 + 10 simulated minutes
 * (the matrix's --quick length), in process, with every entity's scalars
 * recorded; variants of an attack by --set-style overrides.
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

/*
 * Every run of config of a threat scenario, 15 simulated minutes, with the
 * overrides of extra (NULL-terminated, may be NULL), into its own database
 * named by tag (once per process).
 */
static char *
run_threat (const char *file, const char *config, const char *tag, const char *const *extra)
{
  g_autoptr (GPtrArray) sets = g_ptr_array_new ();
  g_ptr_array_add (sets, (gpointer) "rserpool.record-entities=true");
  g_ptr_array_add (sets, (gpointer) "sim-time-limit=15min");
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (sets, (gpointer) extra[i]);
  g_ptr_array_add (sets, NULL);
  return testutil_run_threat (&tmpdir, file, config, tag, (const char *const *) sets->pdata);
}

/* Per run (runs 0 and 1) the sum over the modules matching module_like of a scalar, or of a statistic's mean. */
static void
query (const char *db, gboolean stat, const char *module_like, const char *name, double out[2])
{
  testutil_per_run (db, stat, module_like, name, out, 2);
}

static void
scalars (const char *db, const char *module_like, const char *name, double out[2])
{
  query (db, FALSE, module_like, name, out);
}

static void
check_catalogue (const char *db)
{
  testutil_check_catalogue (db);
}

/* ---- registry ----------------------------------------------------------------------------- */

/* The four rows name their attack.type; their parameters and the mitigation's keys exist. */
static void
test_registry (void)
{
  g_autoptr (SimParamTable) table = cmd_param_table ();
  const char *rows[][2] = {
    { "2.5", "rogue-enrp" }, { "2.6", "rogue-registrar" }, { "2.7", "rogue-resolution" }, { "2.12", "discovery" },
  };
  for (gsize r = 0; r < G_N_ELEMENTS (rows); r++)
    {
      const AttackThreat *t = testutil_threat (rows[r][0]);
      g_assert_cmpstr (t->attack, ==, rows[r][1]);
      g_assert_cmpuint (strlen (t->summary), >, 0);
      g_auto (GStrv) keys = g_strsplit (t->params, ", ", -1);
      g_assert_cmpuint (g_strv_length (keys), >=, 3);
      for (guint k = 0; keys[k] != NULL; k++)
        if (sim_param_table_lookup (table, keys[k]) == NULL)
          g_error ("threat %s names an unknown key %s", rows[r][0], keys[k]);
    }
  gsize n;
  const AttackMitigation *m = attack_mitigations (&n);
  guint found = 0;
  for (gsize i = 0; i < n; i++)
    {
      if (strcmp (m[i].name, "trusted-static-registrars") != 0)
        continue;
      found++;
      const char *keys[] = { "rserpool.static-registrars", "pe.announces", "pu.announces" };
      for (gsize k = 0; k < G_N_ELEMENTS (keys); k++)
        {
          g_assert_nonnull (strstr (m[i].keys, keys[k]));
          g_assert_nonnull (sim_param_table_lookup (table, keys[k]));
        }
    }
  g_assert_cmpuint (found, ==, 1);
}

/* ---- common random numbers and determinism ---------------------------------------------------- */

/* Switching each attack on changes no honest entity's own draws: the PUs enqueue the same jobs. */
static void
test_honest_draws_unchanged (void)
{
  const char *files[] = { "2.5-rogue-enrp", "2.6-rogue-registrar", "2.7-rogue-resolution", "2.12-discovery" };
  for (gsize f = 0; f < G_N_ELEMENTS (files); f++)
    {
      g_autofree char *none = run_threat (files[f], "none", NULL, NULL);
      g_autofree char *att = run_threat (files[f], "General", NULL, NULL);
      double q0[2], q1[2];
      scalars (none, "pu[%", "calcapp.client.queued", q0);
      scalars (att, "pu[%", "calcapp.client.queued", q1);
      for (guint i = 0; i < 2; i++)
        {
          g_test_message ("%s run %u: %.0f jobs queued (no attack: %.0f)", files[f], i, q1[i], q0[i]);
          g_assert_cmpfloat (q1[i], ==, q0[i]);
          g_assert_cmpfloat (q0[i], >, 500);
        }
    }
}

/* The same seed twice gives the same rows, rogue and all (DESIGN.md §3). */
static void
test_deterministic (void)
{
  const char *files[] = { "2.5-rogue-enrp", "2.12-discovery" };
  const char *const spoof[] = { "attack.discovery=spoof", NULL };
  for (gsize f = 0; f < G_N_ELEMENTS (files); f++)
    {
      const char *const *extra = f == 1 ? spoof : NULL;
      g_autofree char *a = run_threat (files[f], "General", f == 1 ? "spoof" : NULL, extra);
      g_autofree char *b = run_threat (files[f], "General", "again", extra);
      g_autofree char *da = testutil_dump_results (a);
      g_autofree char *db = testutil_dump_results (b);
      g_assert_cmpstr (da, ==, db);
    }
}

/* ---- §2.5 rogue ENRP server ------------------------------------------------------------------- */

/*
 * From 1 min, every second, 10 bogus ADD_PEs and a DEL_PE of every learned
 * PE to each of the 3 registrars. Measured (runs 0, 1; 15 min): every
 * registrar holds the rogue as a peer at the end (3); 25 230 ADD_PEs
 * (10 x 3 x 841 rounds) and 25 200 DEL_PEs; 8.91 and 8.92 bogus and 9.00
 * missing entries per registrar on average against 0 and 0 without the
 * attack; every one of the 5 881 and 5 861 requests of the measured phase
 * goes to a PE that does not exist (LU picks the bogus PEs at load 0) and
 * no job completes (497 and 504 without the attack; handling speed 85.51 /
 * 87.77 % without, none measurable with). Deletions alone (attack.bogus-pes
 * = 0): 8.76 and 8.68 of 10 PEs missing at every registrar on average, 283
 * and 367 jobs complete at a handling speed of 9.90 / 13.20 %: the PUs find
 * the pool empty most of the time and wait calcapp.resolution-retry-delay
 * (30 s). Registrar mutual authentication (secure.registrar-registrar =
 * psk): every one of the rogue's 2 520 handshakes (3 registrars x 840
 * rounds, the last in flight) fails on the registrars' side as "psk", it is
 * nobody's peer, no bogus or missing entry, handling speed 85.51 / 87.77 %:
 * the no-attack runs' to the last digit. An insider (secure.keys gives
 * adversary0 a registrar key) passes TLS: 3 peers and 8.91 / 8.92 bogus
 * entries again. Asserted: these, with margins for the time averages.
 */
static void
test_rogue_enrp (void)
{
  g_autofree char *none = run_threat ("2.5-rogue-enrp", "none", NULL, NULL);
  g_autofree char *att = run_threat ("2.5-rogue-enrp", "General", NULL, NULL);
  const char *const del_only[] = { "attack.bogus-pes=0", NULL };
  g_autofree char *del = run_threat ("2.5-rogue-enrp", "General", "del-only", del_only);
  g_autofree char *mit = run_threat ("2.5-rogue-enrp", "registrar-mutual-auth", NULL, NULL);
  const char *const insider[] = { "secure.keys=registrar*:registrar pe*:pe:* pu*:pu adversary0:registrar", NULL };
  g_autofree char *ins = run_threat ("2.5-rogue-enrp", "registrar-mutual-auth", "insider", insider);
  double bm[2], mm[2], pm[2], fm[2], hm[2], sm[2], refused[2], bi[2], pi[2], hi[2];
  scalars (mit, "oracle", "oracle.hs.bogus", bm);
  scalars (mit, "oracle", "oracle.hs.missing", mm);
  scalars (mit, "attack", "attack.rogue.peers", pm);
  scalars (mit, "attack", "attack.rogue.tls_failures", fm);
  scalars (mit, "attack", "attack.rogue.tls_handshakes", hm);
  scalars (mit, "calcapp", "calcapp.handling_speed", sm);
  scalars (mit, "secure", "secure.failures.registrar-registrar.server.psk", refused);
  scalars (ins, "oracle", "oracle.hs.bogus", bi);
  scalars (ins, "attack", "attack.rogue.peers", pi);
  scalars (ins, "secure", "secure.handshakes.registrar-registrar.server", hi);
  double b0[2], b1[2], m0[2], m1[2], md[2], bd[2], j0[2], j1[2], jd[2], req[2], nl[2], peers[2], add[2], dl[2];
  double s0[2], sd[2];
  scalars (none, "oracle", "oracle.hs.bogus", b0);
  scalars (att, "oracle", "oracle.hs.bogus", b1);
  scalars (del, "oracle", "oracle.hs.bogus", bd);
  scalars (none, "oracle", "oracle.hs.missing", m0);
  scalars (att, "oracle", "oracle.hs.missing", m1);
  scalars (del, "oracle", "oracle.hs.missing", md);
  scalars (none, "oracle", "oracle.jobs.completed", j0);
  scalars (att, "oracle", "oracle.jobs.completed", j1);
  scalars (del, "oracle", "oracle.jobs.completed", jd);
  scalars (att, "oracle", "oracle.requests", req);
  scalars (att, "oracle", "oracle.requests.not_live", nl);
  scalars (att, "attack", "attack.rogue.peers", peers);
  scalars (att, "attack", "attack.rogue.updates_add", add);
  scalars (att, "attack", "attack.rogue.updates_del", dl);
  scalars (none, "calcapp", "calcapp.handling_speed", s0);
  scalars (del, "calcapp", "calcapp.handling_speed", sd);
  for (guint i = 0; i < 2; i++)
    g_test_message ("run %u: bogus %.2f / %.2f / %.2f, missing %.2f / %.2f / %.2f (none / attack / deletions only); "
                    "jobs %.0f / %.0f / %.0f; speed %.2f / - / %.2f %%; requests %.0f, not live %.0f; peers %.0f; "
                    "ADD %.0f DEL %.0f",
                    i, b0[i], b1[i], bd[i], m0[i], m1[i], md[i], j0[i], j1[i], jd[i], s0[i], sd[i], req[i], nl[i],
                    peers[i], add[i], dl[i]);
  for (guint i = 0; i < 2; i++)
    g_test_message ("run %u: mutual auth: bogus %.2f, missing %.2f, peers %.0f, rogue handshakes %.0f failed %.0f "
                    "(registrars' psk failures %.0f), speed %.2f %%; insider: bogus %.2f, peers %.0f, handshakes %.0f",
                    i, bm[i], mm[i], pm[i], hm[i], fm[i], refused[i], sm[i], bi[i], pi[i], hi[i]);
  check_catalogue (att);
  check_catalogue (mit);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpfloat (b0[i], ==, 0.0);
      g_assert_cmpfloat (m0[i], ==, 0.0);
      g_assert_cmpfloat (peers[i], ==, 3.0);
      /* Mutual authentication: nothing of the rogue is taken; the run is the no-attack run's. */
      g_assert_cmpfloat (pm[i], ==, 0.0);
      g_assert_cmpfloat (bm[i], ==, 0.0);
      g_assert_cmpfloat (mm[i], ==, 0.0);
      g_assert_cmpfloat (hm[i], ==, 0.0);
      g_assert_cmpfloat (fm[i], >=, 3.0 * 840);   /* one attempt per registrar and round, the last in flight */
      g_assert_cmpfloat (refused[i], ==, fm[i]);
      g_assert_cmpfloat (fabs (sm[i] - s0[i]), <, 0.01 * s0[i]);
      /* An insider with a registrar key passes TLS: the damage is back. */
      g_assert_cmpfloat (pi[i], ==, 3.0);
      g_assert_cmpfloat (bi[i], >, 8.5);
      g_assert_cmpfloat (hi[i], >=, 3.0);
      g_assert_cmpfloat (add[i], ==, 10.0 * 3 * 841);   /* rounds at 60, 61, ..., 900 s */
      g_assert_cmpfloat (dl[i], >, 3.0 * 841);
      /* The bogus PEs are everywhere from 1 min on: 10 x (30 - 1 + ...) / 30 of the measured time and more. */
      g_assert_cmpfloat (b1[i], >, 8.5);
      g_assert_cmpfloat (b1[i], <=, 10.0);
      g_assert_cmpfloat (m1[i], >, 8.5);
      g_assert_cmpfloat (j0[i], >, 400);
      g_assert_cmpfloat (j1[i], <=, 1.0);   /* a job accepted before 1 min may still complete */
      g_assert_cmpfloat (req[i], >, 4000);
      g_assert_cmpfloat (nl[i], >=, req[i] - 1);
      /* Deletions alone: no bogus entry, the PEs mostly missing, service degraded. */
      g_assert_cmpfloat (bd[i], ==, 0.0);
      g_assert_cmpfloat (md[i], >, 8.5);
      g_assert_cmpfloat (jd[i], <, j0[i]);
      g_assert_cmpfloat (sd[i], <, 0.2 * s0[i]);
    }
}

/* ---- §2.6 PEs register with a rogue registrar ----------------------------------------------------- */

/*
 * Forged announces from t = 0, PEs discovering by announces alone. Measured
 * (runs 0, 1; 15 min): all 10 PEs register with the rogue (900
 * REGISTRATIONs accepted: the first and the re-registrations at T4 = 10 s),
 * none is ever in an honest handlespace: 10.0 missing entries, 0 entries,
 * no job completes. With the trusted static list: no PE captured, 0
 * missing, handling speed 85.38 / 87.89 % against 85.72 / 87.89 % without
 * the attack (the static lists spread the PEs differently). The same damage
 * by misconfiguration (the rogue first in pe.registrars, no announce): 10
 * PEs captured, 10.0 missing. The PE authenticating its registrar
 * (secure.pe-registrar = psk): the rogue's handshakes fail (30 on its
 * side, 20 fatal alerts on the PEs'), each PE's hunt goes on to a genuine
 * registrar: nothing captured, nothing missing, handling speed 85.72 /
 * 87.89 %, the no-attack runs'; the same with the misconfigured list.
 */
static void
test_rogue_registrar (void)
{
  g_autofree char *none = run_threat ("2.6-rogue-registrar", "none", NULL, NULL);
  g_autofree char *att = run_threat ("2.6-rogue-registrar", "General", NULL, NULL);
  g_autofree char *mit = run_threat ("2.6-rogue-registrar", "trusted-static-registrars", NULL, NULL);
  const char *const misconf[] = { "attack.announce=false", "attack.address=10.0.0.200",
                                  "pe.registrars=10.0.0.200, 10.0.0.1, 10.0.0.2, 10.0.0.3", "pe.announces=false",
                                  NULL };
  g_autofree char *mis = run_threat ("2.6-rogue-registrar", "General", "misconfigured", misconf);
  g_autofree char *tls = run_threat ("2.6-rogue-registrar", "pe-authenticates-registrar", NULL, NULL);
  const char *const tls_misconf[] = { "attack.announce=false", "attack.address=10.0.0.200",
                                      "pe.registrars=10.0.0.200, 10.0.0.1, 10.0.0.2, 10.0.0.3", "pe.announces=false",
                                      "secure.pe-registrar=psk", NULL };
  g_autofree char *tlsm = run_threat ("2.6-rogue-registrar", "General", "misconfigured-psk", tls_misconf);
  double mt[2], ct[2], gt[2], ft[2], st[2], mtm[2], ctm[2], pf[2];
  scalars (tls, "oracle", "oracle.hs.missing", mt);
  scalars (tls, "attack", "attack.rogue.pes_captured", ct);
  scalars (tls, "oracle", "oracle.homes.pe_genuine", gt);
  scalars (tls, "attack", "attack.rogue.tls_failures", ft);
  scalars (tls, "calcapp", "calcapp.handling_speed", st);
  scalars (tls, "secure", "secure.failures.pe-registrar.client.alert", pf);
  scalars (tlsm, "oracle", "oracle.hs.missing", mtm);
  scalars (tlsm, "attack", "attack.rogue.pes_captured", ctm);
  double m0[2], m1[2], m2[2], mm[2], c1[2], c2[2], cm[2], r1[2], g1[2], g2[2], e1[2], j1[2], s0[2], s2[2];
  scalars (none, "oracle", "oracle.hs.missing", m0);
  scalars (att, "oracle", "oracle.hs.missing", m1);
  scalars (mit, "oracle", "oracle.hs.missing", m2);
  scalars (mis, "oracle", "oracle.hs.missing", mm);
  scalars (att, "attack", "attack.rogue.pes_captured", c1);
  scalars (mit, "attack", "attack.rogue.pes_captured", c2);
  scalars (mis, "attack", "attack.rogue.pes_captured", cm);
  scalars (att, "attack", "attack.rogue.registrations", r1);
  scalars (att, "oracle", "oracle.homes.pe_rogue", g1);
  scalars (mit, "oracle", "oracle.homes.pe_genuine", g2);
  scalars (att, "oracle", "oracle.hs.entries", e1);
  scalars (att, "oracle", "oracle.jobs.completed", j1);
  scalars (none, "calcapp", "calcapp.handling_speed", s0);
  scalars (mit, "calcapp", "calcapp.handling_speed", s2);
  for (guint i = 0; i < 2; i++)
    g_test_message ("run %u: missing %.2f / %.2f / %.2f (none / attack / trusted static list), %.2f misconfigured; "
                    "captured %.0f / %.0f / %.0f; registrations %.0f; PE homes rogue %.3f, genuine with the list %.3f; "
                    "speed %.2f / %.2f %%",
                    i, m0[i], m1[i], m2[i], mm[i], c1[i], c2[i], cm[i], r1[i], g1[i], g2[i], s0[i], s2[i]);
  for (guint i = 0; i < 2; i++)
    g_test_message ("run %u: PE authenticates registrar (psk): missing %.2f, captured %.0f, homes genuine %.3f, "
                    "rogue handshakes failed %.0f (PEs' alerts %.0f), speed %.2f %%; misconfigured with psk: "
                    "missing %.2f, captured %.0f",
                    i, mt[i], ct[i], gt[i], ft[i], pf[i], st[i], mtm[i], ctm[i]);
  check_catalogue (att);
  check_catalogue (mit);
  check_catalogue (tls);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpfloat (m0[i], ==, 0.0);
      g_assert_cmpfloat (ct[i], ==, 0.0);
      g_assert_cmpfloat (mt[i], ==, 0.0);
      g_assert_cmpfloat (gt[i], ==, 1.0);
      g_assert_cmpfloat (ft[i], >=, 10.0);   /* every PE tried the rogue at least once */
      g_assert_cmpfloat (fabs (st[i] - s0[i]), <, 0.01 * s0[i]);
      g_assert_cmpfloat (ctm[i], ==, 0.0);
      g_assert_cmpfloat (mtm[i], ==, 0.0);
      g_assert_cmpfloat (c1[i], ==, 10.0);
      g_assert_cmpfloat (r1[i], ==, 900.0);   /* 10 PEs, one registration every 10 s for 15 min */
      g_assert_cmpfloat (m1[i], ==, 10.0);
      g_assert_cmpfloat (e1[i], ==, 0.0);
      g_assert_cmpfloat (g1[i], ==, 1.0);
      g_assert_cmpfloat (j1[i], ==, 0.0);
      g_assert_cmpfloat (cm[i], ==, 10.0);
      g_assert_cmpfloat (mm[i], ==, 10.0);
      g_assert_cmpfloat (c2[i], ==, 0.0);
      g_assert_cmpfloat (m2[i], ==, 0.0);
      g_assert_cmpfloat (g2[i], ==, 1.0);
      g_assert_cmpfloat (fabs (s2[i] - s0[i]), <, 0.05 * s0[i]);
    }
}

/* ---- §2.7 malicious handle resolution -------------------------------------------------------------- */

/*
 * Forged announces from t = 0, PUs discovering by announces alone; the
 * rogue answers with a PE at its own address. Measured (runs 0, 1; 15 min):
 * every PU takes the rogue as its home; 7 706 and 7 747 answers, each
 * followed by a CalcAppRequest the rogue swallows (7 706 and 7 746: the last
 * in flight at the end); the 5 894 and 5 897 requests of the measured phase
 * all go to a PE that does not exist, no job completes (499 and 501 without
 * the attack). With attack.answer = random the requests (5 894 and 5 896)
 * go to non-existent addresses instead (nothing reaches the rogue). With the
 * trusted static list no PU asks the rogue: 0 requests to non-live PEs,
 * handling speed 85.51 / 87.80 % against 85.72 / 87.89 %. The PU
 * authenticating its registrar by certificate (secure.pu-registrar =
 * cert): each of the 100 PUs fails once on the rogue's certificate (of
 * another CA) and its hunt goes on to a genuine registrar: 0 requests to
 * non-live PEs, handling speed 85.72 / 87.89 %, the no-attack runs'. By
 * misconfiguration (pu.registrars names only the rogue, no announce) the
 * damage is the same: every request to a non-live PE. (With the rogue first
 * among three genuine registrars the PUs' parallel hunts, started at t = 0
 * before the attack adds its host, reach it one LAN crossing later (5 ms)
 * than a registrar (4 ms) and take the registrar: no PU ends at the rogue;
 * the PEs of 2.6, hunting while the registrars are busy with the PUs', take
 * the rogue.)
 */
static void
test_rogue_resolution (void)
{
  g_autofree char *none = run_threat ("2.7-rogue-resolution", "none", NULL, NULL);
  g_autofree char *att = run_threat ("2.7-rogue-resolution", "General", NULL, NULL);
  g_autofree char *mit = run_threat ("2.7-rogue-resolution", "trusted-static-registrars", NULL, NULL);
  const char *const random[] = { "attack.answer=random", NULL };
  g_autofree char *rnd = run_threat ("2.7-rogue-resolution", "General", "random", random);
  g_autofree char *tls = run_threat ("2.7-rogue-resolution", "pu-authenticates-registrar", NULL, NULL);
  const char *const misconf[] = { "attack.announce=false", "attack.address=10.0.0.200",
                                  "pu.registrars=10.0.0.200", "pu.announces=false",
                                  NULL };
  g_autofree char *mis = run_threat ("2.7-rogue-resolution", "General", "misconfigured", misconf);
  double nlm[2], reqm[2], rogm[2];
  scalars (mis, "oracle", "oracle.requests.not_live", nlm);
  scalars (mis, "oracle", "oracle.requests", reqm);
  scalars (mis, "oracle", "oracle.homes.pu_rogue", rogm);
  double nlt[2], rest[2], gent[2], certf[2], st[2];
  scalars (tls, "oracle", "oracle.requests.not_live", nlt);
  scalars (tls, "attack", "attack.rogue.resolutions", rest);
  scalars (tls, "oracle", "oracle.homes.pu_genuine", gent);
  scalars (tls, "secure", "secure.failures.pu-registrar.client.cert", certf);
  scalars (tls, "calcapp", "calcapp.handling_speed", st);
  double req[2], nl[2], res[2], app[2], rog[2], j0[2], j1[2], reqr[2], nlr[2], appr[2], jr[2];
  double nl2[2], res2[2], gen2[2], s0[2], s2[2];
  scalars (att, "oracle", "oracle.requests", req);
  scalars (att, "oracle", "oracle.requests.not_live", nl);
  scalars (att, "attack", "attack.rogue.resolutions", res);
  scalars (att, "attack", "attack.ignored_app_messages", app);
  scalars (att, "oracle", "oracle.homes.pu_rogue", rog);
  scalars (none, "oracle", "oracle.jobs.completed", j0);
  scalars (att, "oracle", "oracle.jobs.completed", j1);
  scalars (rnd, "oracle", "oracle.requests", reqr);
  scalars (rnd, "oracle", "oracle.requests.not_live", nlr);
  scalars (rnd, "attack", "attack.ignored_app_messages", appr);
  scalars (rnd, "oracle", "oracle.jobs.completed", jr);
  scalars (mit, "oracle", "oracle.requests.not_live", nl2);
  scalars (mit, "attack", "attack.rogue.resolutions", res2);
  scalars (mit, "oracle", "oracle.homes.pu_genuine", gen2);
  scalars (none, "calcapp", "calcapp.handling_speed", s0);
  scalars (mit, "calcapp", "calcapp.handling_speed", s2);
  for (guint i = 0; i < 2; i++)
    g_test_message ("run %u: requests %.0f, to non-live PEs %.0f; rogue answers %.0f, requests swallowed %.0f; "
                    "PU homes rogue %.3f; jobs %.0f / %.0f; random: %.0f of %.0f not live, %.0f swallowed, %.0f jobs; "
                    "trusted list: %.0f not live, %.0f rogue answers, homes genuine %.3f, speed %.2f / %.2f %%",
                    i, req[i], nl[i], res[i], app[i], rog[i], j0[i], j1[i], nlr[i], reqr[i], appr[i], jr[i], nl2[i],
                    res2[i], gen2[i], s0[i], s2[i]);
  for (guint i = 0; i < 2; i++)
    g_test_message ("run %u: PU authenticates registrar (cert): %.0f not live, %.0f rogue answers, homes genuine %.3f, "
                    "certificate failures %.0f, speed %.2f %%; misconfigured list: %.0f of %.0f not live, homes rogue %.3f",
                    i, nlt[i], rest[i], gent[i], certf[i], st[i], nlm[i], reqm[i], rogm[i]);
  check_catalogue (att);
  check_catalogue (mit);
  check_catalogue (tls);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpfloat (reqm[i], >, 4000);
      g_assert_cmpfloat (nlm[i], ==, reqm[i]);
      g_assert_cmpfloat (rogm[i], ==, 1.0);
      g_assert_cmpfloat (nlt[i], ==, 0.0);
      g_assert_cmpfloat (rest[i], ==, 0.0);
      g_assert_cmpfloat (gent[i], ==, 1.0);
      g_assert_cmpfloat (certf[i], >=, 100.0);   /* every PU met the rogue's certificate at least once */
      g_assert_cmpfloat (fabs (st[i] - s0[i]), <, 0.01 * s0[i]);
      g_assert_cmpfloat (req[i], >, 4000);
      g_assert_cmpfloat (nl[i], ==, req[i]);
      /* Every answer sends one request to the rogue PE (the last may be in flight at the end). */
      g_assert_cmpfloat (app[i], <=, res[i]);
      g_assert_cmpfloat (app[i], >=, res[i] - 1);
      g_assert_cmpfloat (res[i], >, req[i]);    /* ... the warm-up's too */
      g_assert_cmpfloat (rog[i], ==, 1.0);
      g_assert_cmpfloat (j0[i], >, 400);
      g_assert_cmpfloat (j1[i], ==, 0.0);
      g_assert_cmpfloat (reqr[i], >, 4000);
      g_assert_cmpfloat (nlr[i], ==, reqr[i]);
      g_assert_cmpfloat (appr[i], ==, 0.0);
      g_assert_cmpfloat (jr[i], ==, 0.0);
      g_assert_cmpfloat (nl2[i], ==, 0.0);
      g_assert_cmpfloat (res2[i], ==, 0.0);
      g_assert_cmpfloat (gen2[i], ==, 1.0);
      g_assert_cmpfloat (fabs (s2[i] - s0[i]), <, 0.05 * s0[i]);
    }
}

/* ---- §2.12 discovery ---------------------------------------------------------------------------------- */

/*
 * Announces only (PEs and PUs), oracle.interval 100 ms. Measured (runs 0,
 * 1; 15 min): without the attack every PE and PU has a genuine home at the
 * first check after the start (0.1 s). Suppressed: the tap drops all 2 700
 * announces (3 registrars x 1/s x 900 s; each hears no other, N = 0), no PE
 * or PU ever finds a registrar (110 undiscovered), the handlespaces stay
 * empty, no job completes. Spoofed with 10 decoys: 9 010 forged announces;
 * every PE and PU reaches a genuine registrar only at 130.1 s (T5 rounds of
 * 10 + 20 + 40 + 60 s on decoys), and the backlog of those minutes cuts the
 * handling speed of the measured phase to 69.64 / 66.18 % from 85.30 /
 * 87.47 %. With the trusted static list, suppressed or forged announces
 * change nothing: discovery at 0.1 s, handling speed 85.51 / 87.77 %.
 */
static void
test_discovery (void)
{
  g_autofree char *none = run_threat ("2.12-discovery", "none", NULL, NULL);
  g_autofree char *att = run_threat ("2.12-discovery", "General", NULL, NULL);
  g_autofree char *mit = run_threat ("2.12-discovery", "trusted-static-registrars", NULL, NULL);
  const char *const spoof[] = { "attack.discovery=spoof", NULL };
  g_autofree char *spf = run_threat ("2.12-discovery", "General", "spoof", spoof);
  g_autofree char *spm = run_threat ("2.12-discovery", "trusted-static-registrars", "spoof", spoof);
  double u0[2], u1[2], u2[2], us[2], t0[2], t2[2], ts[2], tsm[2], drop[2], ann[2], e1[2], j1[2];
  double h1[2], s0[2], s2[2], ss[2], ssm[2];
  scalars (none, "oracle", "oracle.discovery.undiscovered", u0);
  scalars (att, "oracle", "oracle.discovery.undiscovered", u1);
  scalars (mit, "oracle", "oracle.discovery.undiscovered", u2);
  scalars (spf, "oracle", "oracle.discovery.undiscovered", us);
  query (none, TRUE, "oracle", "oracle.discovery_time", t0);
  query (mit, TRUE, "oracle", "oracle.discovery_time", t2);
  query (spf, TRUE, "oracle", "oracle.discovery_time", ts);
  query (spm, TRUE, "oracle", "oracle.discovery_time", tsm);
  scalars (att, "attack", "attack.discovery.dropped", drop);
  scalars (spf, "attack", "attack.announces", ann);
  scalars (att, "oracle", "oracle.hs.entries", e1);
  scalars (att, "oracle", "oracle.jobs.completed", j1);
  scalars (att, "oracle", "oracle.homes.pe_genuine", h1);
  scalars (none, "calcapp", "calcapp.handling_speed", s0);
  scalars (mit, "calcapp", "calcapp.handling_speed", s2);
  scalars (spf, "calcapp", "calcapp.handling_speed", ss);
  scalars (spm, "calcapp", "calcapp.handling_speed", ssm);
  for (guint i = 0; i < 2; i++)
    g_test_message ("run %u: undiscovered %.0f / %.0f / %.0f (none / suppress / trusted list), %.0f spoofed; "
                    "discovery %.1f / %.1f s, spoofed %.1f s (%.1f s with the list); dropped %.0f, forged %.0f; "
                    "speed %.2f / %.2f %%, spoofed %.2f %% (%.2f %% with the list)",
                    i, u0[i], u1[i], u2[i], us[i], t0[i], t2[i], ts[i], tsm[i], drop[i], ann[i], s0[i], s2[i], ss[i],
                    ssm[i]);
  check_catalogue (att);
  check_catalogue (spf);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpfloat (u0[i], ==, 0.0);
      g_assert_cmpfloat (t0[i], ==, 0.1);
      /* suppress */
      g_assert_cmpfloat (drop[i], ==, 3 * 900.0);
      g_assert_cmpfloat (u1[i], ==, 110.0);
      g_assert_cmpfloat (h1[i], ==, 0.0);
      g_assert_cmpfloat (e1[i], ==, 0.0);
      g_assert_cmpfloat (j1[i], ==, 0.0);
      g_assert_cmpfloat (u2[i], ==, 0.0);
      g_assert_cmpfloat (t2[i], ==, 0.1);
      g_assert_cmpfloat (fabs (s2[i] - s0[i]), <, 0.05 * s0[i]);
      /* spoof */
      g_assert_cmpfloat (ann[i], ==, 10.0 * 901);
      g_assert_cmpfloat (us[i], ==, 0.0);
      g_assert_cmpfloat_with_epsilon (ts[i], 130.1, 1e-9);
      g_assert_cmpfloat (ss[i], <, s0[i]);
      g_assert_cmpfloat (tsm[i], ==, 0.1);
      g_assert_cmpfloat (fabs (ssm[i] - s0[i]), <, 0.05 * s0[i]);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/attacks/rogue/registry", test_registry);
  g_test_add_func ("/attacks/rogue/honest-draws-unchanged", test_honest_draws_unchanged);
  g_test_add_func ("/attacks/rogue/deterministic", test_deterministic);
  g_test_add_func ("/attacks/2.5/rogue-enrp", test_rogue_enrp);
  g_test_add_func ("/attacks/2.6/rogue-registrar", test_rogue_registrar);
  g_test_add_func ("/attacks/2.7/rogue-resolution", test_rogue_resolution);
  g_test_add_func ("/attacks/2.12/discovery", test_discovery);
  int rc = g_test_run ();
  if (tmpdir != NULL)
    testutil_rmtree (tmpdir);
  return rc;
}
