/*
 * tests/test-attacks-onpath.c - the on-path attacks of RFC 5355 §2.8
 * (replay), §2.10 (tamper), §2.11 (eavesdrop) and the cookie attack of
 * §2.16 with its mitigation (signed and encrypted CalcApp cookies), with
 * numbers: each attacked run is paired with the no-attack run of the same
 * seed (config none of the same scenario), each mitigation with both.
 *
 * Runs: scenarios/threats/2.8-replay.ini, 2.10-integrity.ini,
 * 2.11-eavesdropping.ini, 2.16-cookies.ini, 5 + 30 simulated minutes, runs
 * 0 and 1 (two seeds), in process, with every entity's scalars recorded.
 * The mitigation of §2.8-2.11 is TLS (models/rsp-secure.h: configs
 * tls-replay-protection, tls-integrity, tls-confidentiality).
 */
#include "config.h"

#include "attacks/attack.h"
#include "models/calcapp.h"
#include "results/metrics.h"
#include "sim/cmd-common.h"
#include "sim/rng.h"
#include "tests/testutil.h"

#include <sqlite3.h>
#include <string.h>

static char *tmpdir;

/* Run config of a threat scenario with extra overrides into its own database (once per process and name). */
static char *
run_named (const char *file, const char *config, const char *name, const char *const *extra)
{
  g_autoptr (GPtrArray) sets = g_ptr_array_new ();
  g_ptr_array_add (sets, (gpointer) "rserpool.record-entities=true");
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (sets, (gpointer) extra[i]);
  g_ptr_array_add (sets, NULL);
  return testutil_run_threat (&tmpdir, file, config, name, (const char *const *) sets->pdata);
}

static char *
run_threat (const char *file, const char *config)
{
  return run_named (file, config, "plain", NULL);
}

/* The sum over the run's modules matching module_like of a scalar, per run (runs 0 and 1). */
static void
scalars (const char *db, const char *module_like, const char *name, double out[2])
{
  testutil_per_run (db, FALSE, module_like, name, out, 2);
}

static void
check_catalogue (const char *db)
{
  testutil_check_catalogue (db);
}

/* ---- registries ------------------------------------------------------------------------ */

/* §2.8, §2.10, §2.11 are on-path attacks, §2.16 an insider PU's; each names the attack.* keys it reads. */
static void
test_registry (void)
{
  const char *const rows[][3] = {
    { "2.8", "replay", "on-path tap" },
    { "2.10", "tamper", "on-path tap" },
    { "2.11", "eavesdrop", "on-path tap" },
    { "2.16", "cookie-forgery", "insider PU" },
  };
  g_autoptr (SimParamTable) table = cmd_param_table ();
  for (gsize r = 0; r < G_N_ELEMENTS (rows); r++)
    {
      const AttackThreat *t = testutil_threat (rows[r][0]);
      g_assert_cmpstr (t->attack, ==, rows[r][1]);
      g_assert_cmpstr (t->adversary, ==, rows[r][2]);
      g_auto (GStrv) keys = g_strsplit_set (t->params, " ,()", -1);
      guint n = 0;
      for (guint k = 0; keys[k] != NULL; k++)
        if (g_str_has_prefix (keys[k], "attack."))
          {
            g_assert_nonnull (sim_param_table_lookup (table, keys[k]));
            n++;
          }
      g_assert_cmpuint (n, >=, 2);
    }
  gsize n;
  const AttackMitigation *m = attack_mitigations (&n);
  guint found = 0;
  for (gsize i = 0; i < n; i++)
    if (strcmp (m[i].name, "signed-cookies") == 0)
      {
        found++;
        g_assert_cmpstr (m[i].sections, ==, "2.16");
        g_assert_nonnull (sim_param_table_lookup (table, "calcapp.cookie-auth"));
        g_assert_nonnull (sim_param_table_lookup (table, "calcapp.cookie-key"));
      }
  g_assert_cmpuint (found, ==, 1);
}

/* ---- common random numbers ------------------------------------------------------------- */

/*
 * Switching each attack on changes no honest entity's own draws: the PUs
 * enqueue exactly the same jobs with and without it.
 */
static void
test_honest_draws_unchanged (void)
{
  const char *files[] = { "2.8-replay", "2.10-integrity", "2.11-eavesdropping", "2.16-cookies" };
  for (gsize f = 0; f < G_N_ELEMENTS (files); f++)
    {
      g_autofree char *none = run_threat (files[f], "none");
      g_autofree char *att = run_threat (files[f], "General");
      double q0[2], q[2];
      scalars (none, "pu[%", "calcapp.client.queued", q0);
      scalars (att, "pu[%", "calcapp.client.queued", q);
      for (guint i = 0; i < 2; i++)
        g_assert_cmpfloat (q[i], ==, q0[i]);
      check_catalogue (none);
      check_catalogue (att);
    }
}

/* The same seed twice gives the same rows, tap and all (DESIGN.md §3). */
static void
test_deterministic (void)
{
  g_autofree char *a = run_threat ("2.8-replay", "General");
  g_autofree char *b = run_named ("2.8-replay", "General", "again", NULL);
  g_autofree char *da = testutil_dump_results (a);
  g_autofree char *db = testutil_dump_results (b);
  g_assert_cmpstr (da, ==, db);
}

/* ---- §2.11 eavesdropping ---------------------------------------------------------------- */

/*
 * The observer on the one LAN learns every PE identifier (10), every PE
 * address (10), the pool handle and both registrars' identifiers; it is
 * passive: the handling speed is bit for bit the paired no-attack value
 * (81.24 % and 72.10 %).
 */
static void
test_eavesdrop_learns (void)
{
  g_autofree char *none = run_threat ("2.11-eavesdropping", "none");
  g_autofree char *att = run_threat ("2.11-eavesdropping", "General");
  const struct {
    const char *name;
    double      v;
  } facts[] = {
    { "attack.learned.pe_ids", 10 },
    { "attack.learned.pe_addresses", 10 },
    { "attack.learned.pool_handles", 1 },
    { "attack.learned.registrars", 2 },
  };
  for (gsize f = 0; f < G_N_ELEMENTS (facts); f++)
    {
      double v[2];
      scalars (att, "attack", facts[f].name, v);
      for (guint i = 0; i < 2; i++)
        g_assert_cmpfloat (v[i], ==, facts[f].v);
    }
  double decoded[2], opaque[2], s0[2], s1[2];
  scalars (att, "attack", "attack.observed.decoded", decoded);
  scalars (att, "attack", "attack.observed.opaque", opaque);
  scalars (none, "calcapp", "calcapp.handling_speed", s0);
  scalars (att, "calcapp", "calcapp.handling_speed", s1);
  for (guint i = 0; i < 2; i++)
    {
      g_test_message ("run %u: %.0f messages decoded; handling speed %.2f %% (no attack %.2f %%)", i, decoded[i],
                      s1[i], s0[i]);
      g_assert_cmpfloat (decoded[i], >, 15000);
      g_assert_cmpfloat (opaque[i], ==, 0);
      g_assert_cmpfloat (s1[i], ==, s0[i]);
    }
}

/*
 * With TLS-PSK on the ASAP and ENRP associations the observer decodes
 * nothing (about 17 000 records seen per run) and learns nothing.
 */
static void
test_eavesdrop_tls (void)
{
  g_autofree char *mit = run_threat ("2.11-eavesdropping", "tls-confidentiality");
  const char *names[] = { "attack.learned.pe_ids", "attack.learned.pe_addresses", "attack.learned.pool_handles",
                          "attack.learned.registrars", "attack.observed.decoded" };
  for (gsize n = 0; n < G_N_ELEMENTS (names); n++)
    {
      double v[2];
      scalars (mit, "attack", names[n], v);
      for (guint i = 0; i < 2; i++)
        g_assert_cmpfloat (v[i], ==, 0);
    }
  double opaque[2];
  scalars (mit, "attack", "attack.observed.opaque", opaque);
  for (guint i = 0; i < 2; i++)
    g_assert_cmpfloat (opaque[i], >, 15000);
  check_catalogue (mit);
}

/* ---- §2.10 integrity --------------------------------------------------------------------- */

/*
 * 30 % of the resolution answers rewritten to a dead address: the paired
 * runs measured (none / attack) request success ratio 1.000 / 0.699 and
 * 1.000 / 0.709, handling speed 81.24 / 63.29 % and 72.10 / 58.72 %, about
 * 0.32 honest PEs missing on average (removed after the PUs' reports:
 * MAX-BAD-PE-REPORT 3), 730 and 701 answers tampered; the packets to the
 * dead address are lost for want of a route.
 */
static void
test_tamper_resolutions (void)
{
  g_autofree char *none = run_threat ("2.10-integrity", "none");
  g_autofree char *att = run_threat ("2.10-integrity", "General");
  double ok0[2], ok1[2], s0[2], s1[2], miss0[2], miss1[2], tampered[2], noroute0[2], noroute1[2];
  scalars (none, "oracle", "oracle.requests.success_ratio", ok0);
  scalars (att, "oracle", "oracle.requests.success_ratio", ok1);
  scalars (none, "calcapp", "calcapp.handling_speed", s0);
  scalars (att, "calcapp", "calcapp.handling_speed", s1);
  scalars (none, "oracle", "oracle.hs.missing", miss0);
  scalars (att, "oracle", "oracle.hs.missing", miss1);
  scalars (att, "attack", "attack.tampered.resolutions", tampered);
  scalars (none, "net", "net.lost.no_route", noroute0);
  scalars (att, "net", "net.lost.no_route", noroute1);
  for (guint i = 0; i < 2; i++)
    {
      g_test_message ("run %u: success %.3f -> %.3f, speed %.2f -> %.2f %%, missing %.3f -> %.3f, %.0f tampered", i,
                      ok0[i], ok1[i], s0[i], s1[i], miss0[i], miss1[i], tampered[i]);
      g_assert_cmpfloat (ok0[i], ==, 1.0);
      g_assert_cmpfloat (ok1[i], >, 0.6);
      g_assert_cmpfloat (ok1[i], <, 0.8);
      g_assert_cmpfloat (s1[i], <, s0[i] - 10);
      g_assert_cmpfloat (miss0[i], ==, 0);
      g_assert_cmpfloat (miss1[i], >, 0.2);
      g_assert_cmpfloat (tampered[i], >, 600);
      g_assert_cmpfloat (tampered[i], <, 800);
      g_assert_cmpfloat (noroute0[i], ==, 0);
      g_assert_cmpfloat (noroute1[i], >, tampered[i]);
    }
}

/*
 * §2.10 c: registrations rewritten. With address binding (the default) the
 * registrar refuses each one (the address is not the association's) and the
 * PE, refused for good, leaves the pool: with every registration after 1 min
 * tampered all 10 PEs are refused (10 tampered, 10 refusals) and no job
 * completes after the warm-up. Without address binding the registrar stores
 * the dead address: with 30 % tampered, 3.9 of 10 entries on average name
 * none of their PE's addresses (oracle.hs.hijacked; 0 without the attack)
 * and the success ratio falls from 1.000 to 0.145 and 0.137.
 */
static void
test_tamper_registrations (void)
{
  const char *const all[] = { "attack.tamper-messages=registrations", "attack.tamper-probability=1", NULL };
  g_autofree char *bound = run_named ("2.10-integrity", "General", "registrations", all);
  const char *const some[] = { "attack.tamper-messages=registrations", "attack.tamper-probability=0.3",
                               "registrar.address-binding=false", NULL };
  g_autofree char *unbound = run_named ("2.10-integrity", "General", "registrations-unbound", some);
  const char *const unbound_none_sets[] = { "registrar.address-binding=false", NULL };
  g_autofree char *unbound_none = run_named ("2.10-integrity", "none", "unbound", unbound_none_sets);
  double tampered[2], refused[2], rejected[2], jobs[2], hij0[2], hij1[2], ok0[2], ok1[2];
  scalars (bound, "attack", "attack.tampered.registrations", tampered);
  scalars (bound, "registrar[%", "registrar.registrations_refused_binding", refused);
  scalars (bound, "pe[%", "pe.registrations_rejected", rejected);
  scalars (bound, "oracle", "oracle.jobs.completed", jobs);
  scalars (unbound_none, "oracle", "oracle.hs.hijacked", hij0);
  scalars (unbound, "oracle", "oracle.hs.hijacked", hij1);
  scalars (unbound_none, "oracle", "oracle.requests.success_ratio", ok0);
  scalars (unbound, "oracle", "oracle.requests.success_ratio", ok1);
  for (guint i = 0; i < 2; i++)
    {
      g_test_message ("run %u: bound: %.0f refused; unbound: hijacked %.2f -> %.2f, success %.3f -> %.3f", i,
                      refused[i], hij0[i], hij1[i], ok0[i], ok1[i]);
      g_assert_cmpfloat (tampered[i], ==, 10);
      g_assert_cmpfloat (refused[i], ==, 10);
      g_assert_cmpfloat (rejected[i], ==, 10);
      g_assert_cmpfloat (jobs[i], ==, 0);
      g_assert_cmpfloat (hij0[i], ==, 0);
      g_assert_cmpfloat (hij1[i], >, 3);
      g_assert_cmpfloat (hij1[i], <, 5);
      g_assert_cmpfloat (ok0[i], ==, 1.0);
      g_assert_cmpfloat (ok1[i], <, 0.2);
    }
}

/*
 * §2.10 b: ENRP handle updates rewritten (two registrars): each registrar
 * holds its peer's PEs (about half of the 10) with the dead address, 4.67
 * hijacked entries per registrar on average in both runs.
 */
static void
test_tamper_updates (void)
{
  const char *const sets[] = { "attack.tamper-messages=updates", "attack.tamper-probability=1", NULL };
  g_autofree char *att = run_named ("2.10-integrity", "General", "updates", sets);
  double updates[2], hij[2], resolutions[2];
  scalars (att, "attack", "attack.tampered.updates", updates);
  scalars (att, "oracle", "oracle.hs.hijacked", hij);
  scalars (att, "attack", "attack.tampered.resolutions", resolutions);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpfloat (updates[i], >, 4000);
      g_assert_cmpfloat (resolutions[i], ==, 0);
      g_assert_cmpfloat (hij[i], >, 4.4);
      g_assert_cmpfloat (hij[i], <, 5.0);
    }
}

/*
 * With TLS the modifier flips a bit of 30 % of the application-data records
 * from the registrars' ASAP port (1042 and 1049 in 10 measured minutes):
 * every one fails authentication at its receiver (PE or PU:
 * secure.failures.*.client.record add up to exactly that), and no corrupt
 * answer is believed: success ratio 1.000, nothing sent to the dead
 * address, no PE missing, handling speed within 2 points of the paired
 * no-attack run (85.52 vs 85.81 %, 88.51 vs 88.33 %).
 */
static void
test_tamper_tls (void)
{
  /* 10 measured minutes: each flipped record costs a TLS handshake, which is the expensive part of the test. */
  const char *const sets[] = { "sim-time-limit=15min", NULL };
  g_autofree char *none = run_named ("2.10-integrity", "none", "15min", sets);
  g_autofree char *mit = run_named ("2.10-integrity", "tls-integrity", "15min", sets);
  double flipped[2], pe_fail[2], pu_fail[2], clear[2], ok[2], noroute[2], miss[2], s0[2], s1[2];
  scalars (mit, "attack", "attack.tampered.opaque", flipped);
  scalars (mit, "secure", "secure.failures.pe-registrar.client.record", pe_fail);
  scalars (mit, "secure", "secure.failures.pu-registrar.client.record", pu_fail);
  scalars (mit, "attack", "attack.tampered.resolutions", clear);
  scalars (mit, "oracle", "oracle.requests.success_ratio", ok);
  scalars (mit, "net", "net.lost.no_route", noroute);
  scalars (mit, "oracle", "oracle.hs.missing", miss);
  scalars (none, "calcapp", "calcapp.handling_speed", s0);
  scalars (mit, "calcapp", "calcapp.handling_speed", s1);
  check_catalogue (mit);
  for (guint i = 0; i < 2; i++)
    {
      g_test_message ("run %u: %.0f records flipped, %.0f + %.0f rejected; speed %.2f %% (no attack %.2f %%)", i,
                      flipped[i], pe_fail[i], pu_fail[i], s1[i], s0[i]);
      g_assert_cmpfloat (flipped[i], >, 800);
      g_assert_cmpfloat (pe_fail[i] + pu_fail[i], ==, flipped[i]);
      g_assert_cmpfloat (clear[i], ==, 0);
      g_assert_cmpfloat (ok[i], ==, 1.0);
      g_assert_cmpfloat (noroute[i], ==, 0);
      g_assert_cmpfloat (miss[i], ==, 0);
      g_assert_cmpfloat_with_epsilon (s1[i], s0[i], 2.0);
    }
}

/* ---- §2.8 replay ------------------------------------------------------------------------ */

/*
 * Each PE's first registration replayed into its association every 10 s:
 * crashed PEs (pe3 at 10 min, pe7 at 20 min for good) stay in the
 * handlespace while the registrar's side of their associations lives.
 * Measured (none / attack): stale entries 0.038 / 0.978 and 0.039 / 0.981
 * on average, requests to dead PEs 3 / 311 and 5 / 289, success ratio
 * 0.998 / 0.895 and 0.997 / 0.903, 1883 replays per run. The tap keeps the sequence spaces
 * apart: no PE loses its home association (0 in both), every honest
 * registration is accepted, and each replay's answer reaches the PE as
 * unexpected.
 */
static void
test_replay_stale (void)
{
  g_autofree char *none = run_threat ("2.8-replay", "none");
  g_autofree char *att = run_threat ("2.8-replay", "General");
  double st0[2], st1[2], nl0[2], nl1[2], ok0[2], ok1[2], lost0[2], lost1[2], sent[2], acc[2], unexp[2], inj[2],
      flows[2];
  scalars (none, "oracle", "oracle.hs.stale", st0);
  scalars (att, "oracle", "oracle.hs.stale", st1);
  scalars (none, "oracle", "oracle.requests.not_live", nl0);
  scalars (att, "oracle", "oracle.requests.not_live", nl1);
  scalars (none, "oracle", "oracle.requests.success_ratio", ok0);
  scalars (att, "oracle", "oracle.requests.success_ratio", ok1);
  scalars (none, "pe[%", "pe.home_lost", lost0);
  scalars (att, "pe[%", "pe.home_lost", lost1);
  scalars (att, "pe[%", "pe.registrations_sent", sent);
  scalars (att, "pe[%", "pe.registrations_accepted", acc);
  scalars (att, "pe[%", "pe.unexpected", unexp);
  scalars (att, "attack", "attack.replay.injected", inj);
  scalars (att, "attack", "attack.replay.flows", flows);
  for (guint i = 0; i < 2; i++)
    {
      g_test_message ("run %u: stale %.3f -> %.3f, to dead PEs %.0f -> %.0f, success %.3f -> %.3f, %.0f injected", i,
                      st0[i], st1[i], nl0[i], nl1[i], ok0[i], ok1[i], inj[i]);
      g_assert_cmpfloat (st0[i], <, 0.05);
      g_assert_cmpfloat (st1[i], >, 0.9);
      g_assert_cmpfloat (nl0[i], <=, 5);
      g_assert_cmpfloat (nl1[i], >, 250);
      g_assert_cmpfloat (ok0[i], >, 0.99);
      g_assert_cmpfloat (ok1[i], <, 0.95);
      g_assert_cmpfloat (lost0[i], ==, 0);
      g_assert_cmpfloat (lost1[i], ==, 0);
      g_assert_cmpfloat (acc[i], ==, sent[i]);
      g_assert_cmpfloat (flows[i], >=, 10);
      g_assert_cmpfloat (inj[i], >, 1500);
      /* Every replay into a live PE's association is answered to that PE; dead PEs get none. */
      g_assert_cmpfloat (unexp[i], >, inj[i] * 0.8);
      g_assert_cmpfloat (unexp[i], <=, inj[i]);
    }
}

/*
 * With TLS between PEs and registrars the recorder replays records (1798
 * per run): the registrar rejects each one (1790 record failures: the rest
 * hit associations already gone) and aborts the association, the PE sets
 * up a new one (1787 home associations lost, each PE registration still
 * accepted). No damage: stale entries 0.038 and 0.039 as without the
 * attack, requests to dead PEs 0 and 0 (3 and 5 without attack), success
 * ratio 1.0 (0.998). The numbers are not the paired ones exactly because
 * the TLS costs on the PEs' CPUs shift their CalcApp timing
 * (calcapp.shares-cpu). TLS stops the replay, not the resets an on-path
 * adversary can cause.
 */
static void
test_replay_tls (void)
{
  g_autofree char *none = run_threat ("2.8-replay", "none");
  g_autofree char *mit = run_threat ("2.8-replay", "tls-replay-protection");
  double inj[2], rec[2], st0[2], st1[2], nl0[2], nl1[2], ok0[2], ok1[2], sent[2], acc[2], lost[2];
  scalars (mit, "attack", "attack.replay.injected", inj);
  scalars (mit, "secure", "secure.failures.pe-registrar.server.record", rec);
  scalars (none, "oracle", "oracle.hs.stale", st0);
  scalars (mit, "oracle", "oracle.hs.stale", st1);
  scalars (none, "oracle", "oracle.requests.not_live", nl0);
  scalars (mit, "oracle", "oracle.requests.not_live", nl1);
  scalars (none, "oracle", "oracle.requests.success_ratio", ok0);
  scalars (mit, "oracle", "oracle.requests.success_ratio", ok1);
  scalars (mit, "pe[%", "pe.registrations_sent", sent);
  scalars (mit, "pe[%", "pe.registrations_accepted", acc);
  scalars (mit, "pe[%", "pe.home_lost", lost);
  check_catalogue (mit);
  for (guint i = 0; i < 2; i++)
    {
      g_test_message ("run %u: %.0f replayed, %.0f rejected, %.0f resets; stale %.3f (no attack %.3f), requests to "
                      "dead PEs %.0f (%.0f), success %.5f (%.5f)", i, inj[i], rec[i], lost[i], st1[i], st0[i], nl1[i],
                      nl0[i], ok1[i], ok0[i]);
      g_assert_cmpfloat (inj[i], >, 1500);
      g_assert_cmpfloat (rec[i], <=, inj[i]);
      g_assert_cmpfloat (rec[i], >=, inj[i] - 10);
      g_assert_cmpfloat (lost[i], >, 0.9 * inj[i]);
      g_assert_cmpfloat_with_epsilon (st1[i], st0[i], 0.005);
      /* No damage: at most the requests to dead PEs of the run without attack (the attack without TLS: > 250). */
      g_assert_cmpfloat (nl1[i], <=, nl0[i]);
      g_assert_cmpfloat (ok1[i], >=, ok0[i]);
      g_assert_cmpfloat (acc[i], ==, sent[i]);
    }
}

/* ---- §2.16 cookies ------------------------------------------------------------------------ */

static const guint8 test_key[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

/* Each mode seals to its documented length and opens to the same state. */
static void
test_cookie_round_trip (void)
{
  const CalcAppCookieAuth modes[] = { CALCAPP_COOKIE_AUTH_NONE, CALCAPP_COOKIE_AUTH_HMAC,
                                      CALCAPP_COOKIE_AUTH_HMAC_ENCRYPT };
  const gsize lens[] = { 24, 56, 72 };
  SimRng rng;
  sim_rng_init_fmt (&rng, 1, "test/cookie-iv");
  for (gsize m = 0; m < G_N_ELEMENTS (modes); m++)
    {
      CalcAppCookieKeys keys;
      calcapp_cookie_keys_init (&keys, modes[m], test_key, sizeof test_key);
      CalcAppMsg state = { 0, 77, 10000000, 1234567 }, out = { 0 };
      guint8 buf[CALCAPP_COOKIE_MAX];
      gsize len = calcapp_cookie_seal (&keys, &rng, &state, buf);
      g_assert_cmpuint (len, ==, lens[m]);
      g_assert_cmpint (calcapp_cookie_open (&keys, buf, len, &out), ==, CALCAPP_DECODE_OK);
      g_assert_cmpuint (out.job_id, ==, 77);
      g_assert_cmpuint (out.job_size, ==, 10000000);
      g_assert_cmpuint (out.completed, ==, 1234567);
    }
}

/* Any changed bit of a signed or encrypted cookie, or another key, fails its MAC; a plain one opens changed. */
static void
test_cookie_tamper_detected (void)
{
  SimRng rng;
  sim_rng_init_fmt (&rng, 1, "test/cookie-iv");
  CalcAppMsg state = { 0, 5, 1000, 0 }, out;
  guint8 buf[CALCAPP_COOKIE_MAX];
  CalcAppCookieKeys plain;
  calcapp_cookie_keys_init (&plain, CALCAPP_COOKIE_AUTH_NONE, NULL, 0);
  gsize len = calcapp_cookie_seal (&plain, NULL, &state, buf);
  buf[23] ^= 0x10;   /* completed 0 -> 16 */
  g_assert_cmpint (calcapp_cookie_open (&plain, buf, len, &out), ==, CALCAPP_DECODE_OK);
  g_assert_cmpuint (out.completed, ==, 16);
  const CalcAppCookieAuth modes[] = { CALCAPP_COOKIE_AUTH_HMAC, CALCAPP_COOKIE_AUTH_HMAC_ENCRYPT };
  guint8 other_key[16];
  memcpy (other_key, test_key, sizeof other_key);
  other_key[15] ^= 1;
  for (gsize m = 0; m < G_N_ELEMENTS (modes); m++)
    {
      CalcAppCookieKeys keys, other;
      calcapp_cookie_keys_init (&keys, modes[m], test_key, sizeof test_key);
      calcapp_cookie_keys_init (&other, modes[m], other_key, sizeof other_key);
      len = calcapp_cookie_seal (&keys, &rng, &state, buf);
      g_assert_cmpint (calcapp_cookie_open (&other, buf, len, &out), ==, CALCAPP_DECODE_BAD_AUTH);
      for (gsize i = 0; i < len; i++)
        for (guint bit = 0; bit < 8; bit++)
          {
            buf[i] ^= (guint8) (1u << bit);
            g_assert_cmpint (calcapp_cookie_open (&keys, buf, len, &out), ==, CALCAPP_DECODE_BAD_AUTH);
            buf[i] ^= (guint8) (1u << bit);
          }
      g_assert_cmpint (calcapp_cookie_open (&keys, buf, len - 1, &out), ==, CALCAPP_DECODE_BAD_LENGTH);
      g_assert_cmpint (calcapp_cookie_open (&keys, buf, len, &out), ==, CALCAPP_DECODE_OK);
    }
}

static gboolean
contains (const guint8 *hay, gsize len, const void *needle, gsize n)
{
  for (gsize i = 0; i + n <= len; i++)
    if (memcmp (hay + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

/* An encrypted cookie shows neither the magic nor the state; its IV comes from the stream (same seed, same bytes). */
static void
test_cookie_encrypted (void)
{
  CalcAppCookieKeys keys;
  calcapp_cookie_keys_init (&keys, CALCAPP_COOKIE_AUTH_HMAC_ENCRYPT, test_key, sizeof test_key);
  CalcAppMsg state = { 0, 0x01020304, 0x1111111111, 0x0fedcba9 };
  guint8 plain[CALCAPP_COOKIE_LEN], a[CALCAPP_COOKIE_MAX], b[CALCAPP_COOKIE_MAX], c[CALCAPP_COOKIE_MAX];
  calcapp_cookie_encode (&state, plain);
  SimRng r1, r2;
  sim_rng_init_fmt (&r1, 9, "calcapp/server/0/cookie-iv");
  sim_rng_init_fmt (&r2, 9, "calcapp/server/0/cookie-iv");
  gsize la = calcapp_cookie_seal (&keys, &r1, &state, a);
  gsize lc = calcapp_cookie_seal (&keys, &r1, &state, c);
  gsize lb = calcapp_cookie_seal (&keys, &r2, &state, b);
  g_assert_cmpuint (la, ==, 72);
  g_assert_cmpmem (a, la, b, lb);
  g_assert_cmpint (memcmp (a, c, lc), !=, 0);       /* a fresh IV: another ciphertext */
  g_assert_false (contains (a, la, "CAPC", 4));
  g_assert_false (contains (a, la, plain + 4, 4));   /* the job id */
  g_assert_cmpint (memcmp (a + 16, plain, CALCAPP_COOKIE_LEN), !=, 0);
}

/* calcapp.cookie-auth without a usable key is an error naming the key. */
static void
test_cookie_key_required (void)
{
  g_autofree char *scenario = testutil_srcpath ("scenarios/threats/2.16-cookies.ini");
  if (tmpdir == NULL)
    tmpdir = testutil_tmpdir ();
  g_autofree char *db = g_build_filename (tmpdir, "badkey.db", NULL);
  const char *const bad[][2] = {
    { "calcapp.cookie-key=", NULL }, { "calcapp.cookie-key=0g", NULL }, { "calcapp.cookie-key=012", NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      gboolean ok = testutil_run_in_process (scenario, "signed-cookies", bad[i], db, &error);
      if (ok)
        g_error ("%s was accepted", bad[i][0]);
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, "calcapp.cookie-key"));
    }
}

/*
 * Forged cookies (one every 2 s, claiming 99 % of 1e7 calculations done):
 * without protection the PEs accept 1020 and 1019 of 1020 echoes (the last
 * one's answer comes after the end), i.e. 1.01e10 calculations never done;
 * signed or encrypted, none (every echo answered is a bad cookie at the PE). Honest
 * failovers resume all the same: the PEs resume exactly the honest
 * failovers of the attacked run (4 and 3), and none of the runs has a bad
 * honest cookie.
 */
static void
test_cookie_forgery (void)
{
  g_autofree char *att = run_threat ("2.16-cookies", "General");
  double echoed[2], accepted[2], skipped[2], resumed[2], bad[2];
  scalars (att, "attack", "attack.cookie.echoed", echoed);
  scalars (att, "attack", "attack.cookie.accepted", accepted);
  scalars (att, "attack", "attack.cookie.calculations_skipped", skipped);
  scalars (att, "pe[%", "calcapp.server.resumed", resumed);
  scalars (att, "pe[%", "calcapp.server.bad_cookies", bad);
  for (guint i = 0; i < 2; i++)
    {
      g_test_message ("run %u: %.0f of %.0f forged cookies accepted", i, accepted[i], echoed[i]);
      g_assert_cmpfloat (echoed[i], ==, 1020);
      g_assert_cmpfloat (accepted[i], >=, 1019);
      g_assert_cmpfloat (skipped[i], ==, accepted[i] * 9900000);
      g_assert_cmpfloat (bad[i], ==, 0);
      g_assert_cmpfloat (resumed[i] - accepted[i], >=, 3);
    }
  const char *mitigations[] = { "signed-cookies", "encrypted-cookies" };
  for (gsize m = 0; m < G_N_ELEMENTS (mitigations); m++)
    {
      g_autofree char *mit = run_threat ("2.16-cookies", mitigations[m]);
      double e[2], acc[2], ref[2], res[2], b[2];
      scalars (mit, "attack", "attack.cookie.echoed", e);
      scalars (mit, "attack", "attack.cookie.accepted", acc);
      scalars (mit, "attack", "attack.cookie.refused", ref);
      scalars (mit, "pe[%", "calcapp.server.resumed", res);
      scalars (mit, "pe[%", "calcapp.server.bad_cookies", b);
      check_catalogue (mit);
      for (guint i = 0; i < 2; i++)
        {
          g_assert_cmpfloat (acc[i], ==, 0);
          g_assert_cmpfloat (ref[i], ==, accepted[i]);
          g_assert_cmpfloat (b[i], ==, ref[i]);   /* the last echo of run 1 is still in flight at the end */
          g_assert_cmpfloat (b[i], >=, e[i] - 1);
          g_assert_cmpfloat (res[i], ==, resumed[i] - accepted[i]);
        }
    }
}

/*
 * The adversary's own genuine cookie with the progress field changed
 * (in the encrypted layout by flipping the AES-CTR ciphertext): accepted
 * without protection (all but the last, which the run's end cuts off),
 * refused by both mitigations (every answered echo a bad cookie).
 */
static void
test_cookie_tamper (void)
{
  const char *const sets[] = { "attack.cookie-mode=tamper", NULL };
  const char *configs[] = { "General", "signed-cookies", "encrypted-cookies" };
  for (gsize c = 0; c < G_N_ELEMENTS (configs); c++)
    {
      g_autofree char *db = run_named ("2.16-cookies", configs[c], "tamper", sets);
      double genuine[2], echoed[2], accepted[2], bad[2];
      scalars (db, "attack", "attack.cookie.genuine_sessions", genuine);
      scalars (db, "attack", "attack.cookie.echoed", echoed);
      scalars (db, "attack", "attack.cookie.accepted", accepted);
      scalars (db, "pe[%", "calcapp.server.bad_cookies", bad);
      for (guint i = 0; i < 2; i++)
        {
          g_test_message ("%s run %u: %.0f genuine sessions, %.0f tampered echoes, %.0f accepted, %.0f bad cookies",
                          configs[c], i, genuine[i], echoed[i], accepted[i], bad[i]);
          g_assert_cmpfloat (genuine[i], ==, 1020);
          g_assert_cmpfloat (echoed[i], >=, 1019);   /* the last genuine session may end with the run */
          g_assert_cmpfloat (echoed[i], <=, genuine[i]);
          if (c == 0)
            {
              g_assert_cmpfloat (accepted[i], >=, 1019);
              g_assert_cmpfloat (bad[i], ==, 0);
            }
          else
            {
              g_assert_cmpfloat (accepted[i], ==, 0);
              g_assert_cmpfloat (bad[i], >=, echoed[i] - 1);
              g_assert_cmpfloat (bad[i], <=, echoed[i]);
            }
        }
    }
}

/*
 * Without the attack, signed and encrypted cookies change nothing for the
 * honest PUs: the same failovers resume (3 and 3 in the paired runs), no
 * bad cookie, and the same handling speed within 0.01 points (a 56- or
 * 72-byte cookie takes a few ns more on the LAN than a 24-byte one).
 */
static void
test_cookie_honest_failover (void)
{
  g_autofree char *none = run_threat ("2.16-cookies", "none");
  double res0[2], s0[2];
  scalars (none, "pe[%", "calcapp.server.resumed", res0);
  scalars (none, "calcapp", "calcapp.handling_speed", s0);
  const char *const sets[] = { "attack.type=none", NULL };
  const char *configs[] = { "signed-cookies", "encrypted-cookies" };
  for (gsize c = 0; c < G_N_ELEMENTS (configs); c++)
    {
      g_autofree char *db = run_named ("2.16-cookies", configs[c], "honest", sets);
      double res[2], bad[2], s[2];
      scalars (db, "pe[%", "calcapp.server.resumed", res);
      scalars (db, "pe[%", "calcapp.server.bad_cookies", bad);
      scalars (db, "calcapp", "calcapp.handling_speed", s);
      for (guint i = 0; i < 2; i++)
        {
          g_assert_cmpfloat (res0[i], ==, 3);
          g_assert_cmpfloat (res[i], ==, res0[i]);
          g_assert_cmpfloat (bad[i], ==, 0);
          g_assert_cmpfloat_with_epsilon (s[i], s0[i], 0.01);
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/attacks/onpath/registry", test_registry);
  g_test_add_func ("/attacks/onpath/honest-draws-unchanged", test_honest_draws_unchanged);
  g_test_add_func ("/attacks/onpath/deterministic", test_deterministic);
  g_test_add_func ("/attacks/onpath/eavesdrop/learns", test_eavesdrop_learns);
  g_test_add_func ("/attacks/onpath/eavesdrop/tls", test_eavesdrop_tls);
  g_test_add_func ("/attacks/onpath/tamper/resolutions", test_tamper_resolutions);
  g_test_add_func ("/attacks/onpath/tamper/registrations", test_tamper_registrations);
  g_test_add_func ("/attacks/onpath/tamper/updates", test_tamper_updates);
  g_test_add_func ("/attacks/onpath/tamper/tls", test_tamper_tls);
  g_test_add_func ("/attacks/onpath/replay/stale", test_replay_stale);
  g_test_add_func ("/attacks/onpath/replay/tls", test_replay_tls);
  g_test_add_func ("/attacks/cookie/seal/round-trip", test_cookie_round_trip);
  g_test_add_func ("/attacks/cookie/seal/tamper-detected", test_cookie_tamper_detected);
  g_test_add_func ("/attacks/cookie/seal/encrypted", test_cookie_encrypted);
  g_test_add_func ("/attacks/cookie/key-required", test_cookie_key_required);
  g_test_add_func ("/attacks/cookie/forgery", test_cookie_forgery);
  g_test_add_func ("/attacks/cookie/tamper", test_cookie_tamper);
  g_test_add_func ("/attacks/cookie/honest-failover", test_cookie_honest_failover);
  int rc = g_test_run ();
  if (tmpdir != NULL)
    testutil_rmtree (tmpdir);
  return rc;
}
