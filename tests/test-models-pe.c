/*
 * tests/test-models-pe.c - the ASAP pool element against a scripted
 * registrar (tests/endpoint-test-util.h): registration bytes and fields, T2
 * and MAX-REG-ATTEMPT, T4, load-driven re-registration, keep-alive answers,
 * the H-flag home change, deregistration and T3, server hunt by announce and
 * T5 doubling, the answer to an undecodable message.
 *
 * Times: one crossing of the LAN takes X = 1 ms + 1 ns. The PE starts at 0;
 * its association to the registrar is up after the four-way handshake
 * (4 X), so its first REGISTRATION arrives at 5 X.
 */
#include "config.h"

#include "tests/endpoint-test-util.h"

#define SEED 42

typedef struct {
  TepRegistrar r;
  NetHost     *host;
  PoolElement *pe;
  PeConfig     cfg;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  tep_init (&f->r, SEED);
  f->host = tep_host (&f->r, "pe0");
  tep_pe_config (&f->r, &f->cfg);
  f->cfg.reg_life = 30 * SIM_S;
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  pe_free (f->pe);
  pe_config_clear (&f->cfg);
  tep_clear (&f->r);
}

static void
start_pe (Fixture *f)
{
  f->pe = pe_new (f->r.tn.net, f->host, 0, &f->cfg, SEED);
  pe_start (f->pe);
}

/* The identifier the PE must draw: the first draw of its own stream "pe/0/id". */
static guint32
expected_pe_id (void)
{
  SimRng rng;
  sim_rng_init (&rng, SEED, "pe/0/id");
  return (guint32) sim_rng_below (&rng, G_MAXUINT32) + 1;
}

/* The first REGISTRATION carries the pool handle and a PE parameter with the PE's own values. */
static void
test_registration_fields (Fixture *f, gconstpointer data)
{
  f->cfg.policy_type = CODEC_POLICY_LEAST_USED_DEGRADATION;
  f->cfg.load_degradation = 0.25;
  start_pe (f);
  tep_run_until (&f->r, 1 * SIM_S);
  g_assert_cmpuint (tep_count (&f->r, CODEC_ASAP_REGISTRATION), ==, 1);
  const TepLogEntry *e = tep_nth (&f->r, CODEC_ASAP_REGISTRATION, 0);
  g_assert_cmpint (e->t, ==, 5 * TEP_X);
  gsize len;
  const guint8 *b = g_bytes_get_data (e->bytes, &len);
  /* Header: type 0x01, flags 0, length = the whole message (RFC 5354 §4). */
  g_assert_cmpuint (b[0], ==, 0x01);
  g_assert_cmpuint (b[1], ==, 0x00);
  g_assert_cmpuint ((guint) b[2] << 8 | b[3], ==, len);
  /* Pool handle parameter 0x0009 "CalcAppPool" first (RFC 5352 §2.2.1). */
  g_assert_cmpuint ((guint) b[4] << 8 | b[5], ==, 0x0009);
  g_assert_cmpuint ((guint) b[6] << 8 | b[7], ==, 4 + 11);
  g_assert_cmpmem (b + 8, 11, "CalcAppPool", 11);

  g_auto (CodecMessage) msg = { 0 };
  tep_decode (e, &msg);
  const CodecPoolElement *p = &msg.u.registration.pe;
  g_assert_cmpuint (p->pe_id, ==, expected_pe_id ());
  g_assert_cmpuint (p->pe_id, ==, pe_id (f->pe));
  g_assert_cmpuint (p->home_server_id, ==, 0);
  g_assert_cmpint (p->reg_life_ms, ==, 30000);
  g_assert_cmpuint (p->user_transport.type, ==, CODEC_PARAM_SCTP_TRANSPORT);
  g_assert_cmpuint (p->user_transport.port, ==, 7700);
  g_assert_cmpuint (p->user_transport.use, ==, CODEC_TRANSPORT_USE_DATA_CONTROL);
  g_assert_cmpuint (p->user_transport.n_addrs, ==, 1);
  g_assert_cmpuint (tep_addr_of (&p->user_transport.addrs[0]), ==, net_host_address (f->host, 0));
  g_assert_cmpuint (p->policy.type, ==, CODEC_POLICY_LEAST_USED_DEGRADATION);
  g_assert_cmpuint (p->policy.load, ==, 0);
  g_assert_cmpuint (p->policy.load_degradation, ==, 1073741824);   /* 0.25 x 0xffffffff, rounded */
  g_assert_false (p->has_asap_transport);   /* the registrar fills it in */
  /* Exactly the codec's bytes: re-encoding the decoded message gives them back. */
  g_autoptr (GByteArray) again = g_byte_array_new ();
  codec_encode (&msg, again);
  g_assert_cmpmem (again->data, again->len, b, len);
  g_assert_cmpint (pe_state (f->pe), ==, PE_STATE_REGISTERED);
  g_assert_true (pe_is_registered (f->pe));
}

/* T2 retransmits once (MAX-REG-ATTEMPT 2), then the failure leads to a new server hunt. */
static void
test_registration_t2 (Fixture *f, gconstpointer data)
{
  f->r.silent = TRUE;
  start_pe (f);
  tep_run_until (&f->r, 59 * SIM_S);
  g_assert_cmpuint (tep_count (&f->r, CODEC_ASAP_REGISTRATION), ==, 2);
  g_assert_cmpint (tep_nth (&f->r, CODEC_ASAP_REGISTRATION, 0)->t, ==, 5 * TEP_X);
  g_assert_cmpint (tep_nth (&f->r, CODEC_ASAP_REGISTRATION, 1)->t, ==, 5 * TEP_X + 30 * SIM_S);
  g_assert_cmpuint (f->r.accepted, ==, 1);
  g_assert_false (pe_is_registered (f->pe));
  tep_run_until (&f->r, 61 * SIM_S);
  /* At 4 X + 60 s the PE gives up on this home, aborts it and hunts: a new association, a new first try. */
  const PeStats *st = pe_stats (f->pe);
  g_assert_cmpuint (st->t2_expiries, ==, 2);
  g_assert_cmpuint (st->registration_failures, ==, 1);
  g_assert_cmpuint (endpoint_hunt_stats (pe_hunt (f->pe))->hunts, ==, 2);
  g_assert_cmpuint (f->r.accepted, ==, 2);
  g_assert_cmpuint (tep_count (&f->r, CODEC_ASAP_REGISTRATION), ==, 3);
  const TepLogEntry *third = tep_nth (&f->r, CODEC_ASAP_REGISTRATION, 2);
  /* The ABORT of the old association leaves the PE's interface 1 ns before the new INIT. */
  g_assert_cmpint (third->t, ==, 4 * TEP_X + 60 * SIM_S + 1 + 5 * TEP_X);
}

/* T4 = life - 20 s after the response: life 30 s re-registers 10 s after the accept arrived. */
static void
test_reregistration_t4 (Fixture *f, gconstpointer data)
{
  start_pe (f);
  tep_run_until (&f->r, 1 * SIM_S);
  /* The registrar answers at once: the response arrives at 6 X. */
  SimTime answered = 6 * TEP_X;
  g_assert_cmpint (pe_t4_due (f->pe), ==, answered + 10 * SIM_S);
  tep_run_until (&f->r, 25 * SIM_S);
  g_assert_cmpuint (tep_count (&f->r, CODEC_ASAP_REGISTRATION), ==, 3);
  SimTime second = answered + 10 * SIM_S + TEP_X;
  g_assert_cmpint (tep_nth (&f->r, CODEC_ASAP_REGISTRATION, 1)->t, ==, second);
  /* Its answer arrives at second + X; T4 later the third goes out. */
  g_assert_cmpint (tep_nth (&f->r, CODEC_ASAP_REGISTRATION, 2)->t, ==, second + TEP_X + 10 * SIM_S + TEP_X);
  g_assert_cmpuint (pe_stats (f->pe)->reregistrations_t4, ==, 2);
  g_assert_cmpuint (pe_stats (f->pe)->registrations_accepted, ==, 3);
}

/* A life of 15 s would give T4 = -5 s: clamped to 1 s (rspsim). */
static void
test_reregistration_t4_clamped (Fixture *f, gconstpointer data)
{
  f->cfg.reg_life = 15 * SIM_S;
  start_pe (f);
  tep_run_until (&f->r, 100 * SIM_MS);
  g_assert_cmpint (pe_t4_due (f->pe), ==, 6 * TEP_X + SIM_S);
}

/* An adaptive policy re-registers at once on a load change, carrying the new load; RR does not. */
static void
test_reregistration_load (Fixture *f, gconstpointer data)
{
  f->cfg.policy_type = CODEC_POLICY_LEAST_USED;
  start_pe (f);
  tep_run_until (&f->r, 1 * SIM_S);
  pe_set_load (f->pe, 0x80000000u);
  tep_run_until (&f->r, 2 * SIM_S);
  g_assert_cmpuint (tep_count (&f->r, CODEC_ASAP_REGISTRATION), ==, 2);
  const TepLogEntry *e = tep_nth (&f->r, CODEC_ASAP_REGISTRATION, 1);
  g_assert_cmpint (e->t, ==, 1 * SIM_S + TEP_X);
  g_auto (CodecMessage) msg = { 0 };
  tep_decode (e, &msg);
  g_assert_cmpuint (msg.u.registration.pe.policy.load, ==, 0x80000000u);
  g_assert_cmpuint (msg.u.registration.pe.pe_id, ==, pe_id (f->pe));
  g_assert_cmpuint (pe_stats (f->pe)->reregistrations_load, ==, 1);
  /* T4 restarts from the latest accept. */
  g_assert_cmpint (pe_t4_due (f->pe), ==, 1 * SIM_S + 2 * TEP_X + 10 * SIM_S);
}

static void
test_reregistration_load_rr (Fixture *f, gconstpointer data)
{
  start_pe (f);
  tep_run_until (&f->r, 1 * SIM_S);
  pe_set_load (f->pe, 0x80000000u);
  tep_run_until (&f->r, 2 * SIM_S);
  g_assert_cmpuint (tep_count (&f->r, CODEC_ASAP_REGISTRATION), ==, 1);
}

/* A keep-alive is answered on its association with the pool handle and the PE id; another pool's is dropped. */
static void
test_keepalive_ack (Fixture *f, gconstpointer data)
{
  start_pe (f);
  tep_run_until (&f->r, 1 * SIM_S);
  NetAssoc *home = f->r.assocs->pdata[0];
  tep_send_keep_alive (&f->r, home, 7, "CalcAppPool", FALSE);
  tep_send_keep_alive (&f->r, home, 7, "OtherPool", FALSE);
  tep_run_until (&f->r, 2 * SIM_S);
  g_assert_cmpuint (tep_count (&f->r, CODEC_ASAP_ENDPOINT_KEEP_ALIVE_ACK), ==, 1);
  const TepLogEntry *e = tep_nth (&f->r, CODEC_ASAP_ENDPOINT_KEEP_ALIVE_ACK, 0);
  g_assert_true (e->assoc == home);
  g_assert_cmpint (e->t, ==, 1 * SIM_S + 2 * TEP_X);
  g_auto (CodecMessage) msg = { 0 };
  tep_decode (e, &msg);
  g_assert_cmpmem (msg.u.pe_ref.handle.data, msg.u.pe_ref.handle.len, "CalcAppPool", 11);
  g_assert_cmpuint (msg.u.pe_ref.pe_id, ==, pe_id (f->pe));
  g_assert_cmpuint (pe_stats (f->pe)->keepalives, ==, 1);
  g_assert_cmpuint (pe_stats (f->pe)->keepalives_ignored, ==, 1);
  g_assert_cmpuint (pe_home_server_id (f->pe), ==, 0);   /* H = 0: no home change */
  g_assert_cmpuint (pe_stats (f->pe)->home_changes, ==, 0);
}

/* H = 1 from another registrar (its own association to the PE's ASAP port): the PE adopts it as home. */
static void
test_keepalive_home_change (Fixture *f, gconstpointer data)
{
  start_pe (f);
  tep_run_until (&f->r, 1 * SIM_S);
  NetAssoc *old_home = pe_home_assoc (f->pe);
  /* The second registrar is the double too, opening an association from its host to the PE. */
  NetAssoc *takeover = net_assoc_connect (f->r.host, net_host_address (f->host, 0), RSP_ASAP_PORT,
                                          &tep_callbacks, &f->r);
  g_ptr_array_add (f->r.assocs, takeover);
  tep_send_keep_alive (&f->r, takeover, 99, "CalcAppPool", TRUE);
  tep_run_until (&f->r, 2 * SIM_S);
  const TepLogEntry *ack = tep_nth (&f->r, CODEC_ASAP_ENDPOINT_KEEP_ALIVE_ACK, 0);
  g_assert_true (ack->assoc == takeover);
  g_assert_cmpuint (pe_home_server_id (f->pe), ==, 99);
  g_assert_true (pe_home_assoc (f->pe) != old_home);
  g_assert_cmpuint (pe_stats (f->pe)->home_changes, ==, 1);
  /* The next re-registration (T4) goes to the new home. */
  tep_run_until (&f->r, 12 * SIM_S);
  g_assert_cmpuint (tep_count (&f->r, CODEC_ASAP_REGISTRATION), ==, 2);
  const TepLogEntry *rereg = tep_nth (&f->r, CODEC_ASAP_REGISTRATION, 1);
  g_assert_true (rereg->assoc == takeover);
  g_auto (CodecMessage) msg = { 0 };
  tep_decode (rereg, &msg);
  g_assert_cmpuint (msg.u.registration.pe.home_server_id, ==, 99);
  g_assert_true (pe_is_registered (f->pe));
}

/* Deregistration: DEREGISTRATION with handle and id; the response ends the membership. */
static void
test_deregistration (Fixture *f, gconstpointer data)
{
  start_pe (f);
  tep_run_until (&f->r, 1 * SIM_S);
  pe_deregister (f->pe);
  g_assert_cmpint (pe_state (f->pe), ==, PE_STATE_DEREGISTERING);
  tep_run_until (&f->r, 2 * SIM_S);
  const TepLogEntry *e = tep_nth (&f->r, CODEC_ASAP_DEREGISTRATION, 0);
  g_assert_cmpint (e->t, ==, 1 * SIM_S + TEP_X);
  g_auto (CodecMessage) msg = { 0 };
  tep_decode (e, &msg);
  g_assert_cmpuint (msg.u.pe_ref.pe_id, ==, pe_id (f->pe));
  g_assert_cmpint (pe_state (f->pe), ==, PE_STATE_DEREGISTERED);
  g_assert_false (pe_is_registered (f->pe));
  g_assert_cmpint (pe_t4_due (f->pe), ==, -1);
  /* No more re-registrations. */
  tep_run_until (&f->r, 60 * SIM_S);
  g_assert_cmpuint (tep_count (&f->r, CODEC_ASAP_REGISTRATION), ==, 1);
}

/* T3 expiry: server hunt, then the deregistration again on the new association. */
static void
test_deregistration_t3 (Fixture *f, gconstpointer data)
{
  f->r.answer_dereg = FALSE;
  start_pe (f);
  tep_run_until (&f->r, 1 * SIM_S);
  pe_deregister (f->pe);
  tep_run_until (&f->r, 40 * SIM_S);
  g_assert_cmpuint (pe_stats (f->pe)->t3_expiries, ==, 1);
  g_assert_cmpuint (tep_count (&f->r, CODEC_ASAP_DEREGISTRATION), ==, 2);
  const TepLogEntry *second = tep_nth (&f->r, CODEC_ASAP_DEREGISTRATION, 1);
  /* The hunt opened a second association (comparing the pointers would compare a freed one). */
  g_assert_cmpuint (f->r.accepted, ==, 2);
  g_assert_cmpint (second->t, ==, 1 * SIM_S + 30 * SIM_S + 1 + 5 * TEP_X);
  g_assert_cmpint (pe_state (f->pe), ==, PE_STATE_DEREGISTERING);
}

/* Without a static list the PE waits for an announce, then registers with the announced registrar. */
static void
test_hunt_announce (Fixture *f, gconstpointer data)
{
  g_array_set_size (f->cfg.hunt.registrars, 0);
  f->cfg.hunt.announces = TRUE;
  start_pe (f);
  tep_run_until (&f->r, 500 * SIM_MS);
  g_assert_cmpuint (f->r.accepted, ==, 0);
  tep_announce (&f->r, 1234);
  tep_run_until (&f->r, 1 * SIM_S);
  g_assert_cmpuint (endpoint_hunt_stats (pe_hunt (f->pe))->announces, ==, 1);
  /* The datagram (X), the handshake (4 X), the REGISTRATION (X). */
  g_assert_cmpint (tep_nth (&f->r, CODEC_ASAP_REGISTRATION, 0)->t, ==, 500 * SIM_MS + 6 * TEP_X);
  g_assert_cmpuint (pe_home_server_id (f->pe), ==, 1234);
  /* T7 = 5 s: without further announces the address is forgotten. */
  g_assert_cmpuint (endpoint_hunt_n_candidates ((EndpointHunt *) pe_hunt (f->pe)), ==, 1);
  tep_run_until (&f->r, 5500 * SIM_MS + TEP_X);
  g_assert_cmpuint (endpoint_hunt_n_candidates ((EndpointHunt *) pe_hunt (f->pe)), ==, 0);
}

/* A registrar that never answers the handshake: T5 10, 20, 40, 60, 60 s between rounds. */
static void
test_hunt_t5_doubling (Fixture *f, gconstpointer data)
{
  g_array_index (f->cfg.hunt.registrars, NetAddr, 0) = net_addr (10, 0, 0, 200);   /* nobody */
  start_pe (f);
  const SimTime rounds[] = { 0, 10, 30, 70, 130, 190 };
  for (guint i = 0; i < G_N_ELEMENTS (rounds); i++)
    {
      tep_run_until (&f->r, rounds[i] * SIM_S);
      g_assert_cmpuint (endpoint_hunt_stats (pe_hunt (f->pe))->attempts, ==, i + 1);
      tep_run_until (&f->r, rounds[i] * SIM_S + SIM_S);
      g_assert_cmpuint (endpoint_hunt_stats (pe_hunt (f->pe))->attempts, ==, i + 1);
    }
  g_assert_cmpint (endpoint_hunt_t5 (pe_hunt (f->pe)), ==, 60 * SIM_S);
  g_assert_cmpint (pe_state (f->pe), ==, PE_STATE_HUNTING);
}

/* An unknown message type with action 01 is answered with ASAP_ERROR "Unrecognized Message". */
static void
test_decode_error_answer (Fixture *f, gconstpointer data)
{
  start_pe (f);
  tep_run_until (&f->r, 1 * SIM_S);
  static const guint8 bogus[8] = { 0x4f, 0, 0, 8, 1, 2, 3, 4 };
  g_autoptr (GBytes) bytes = g_bytes_new_static (bogus, sizeof bogus);
  net_assoc_send (f->r.assocs->pdata[0], 0, RSP_PPID_ASAP, 0, bytes);
  tep_run_until (&f->r, 2 * SIM_S);
  g_assert_cmpuint (pe_stats (f->pe)->decode_errors[CODEC_ERR_UNKNOWN_MESSAGE], ==, 1);
  g_assert_cmpuint (pe_stats (f->pe)->errors_sent, ==, 1);
  g_auto (CodecMessage) msg = { 0 };
  tep_decode (tep_nth (&f->r, CODEC_ASAP_ERROR, 0), &msg);
  g_assert_cmpuint (msg.u.error.n_causes, ==, 1);
  g_assert_cmpuint (msg.u.error.causes[0].code, ==, CODEC_CAUSE_UNRECOGNIZED_MESSAGE);
  g_assert_cmpmem (msg.u.error.causes[0].info.data, msg.u.error.causes[0].info.len, bogus, sizeof bogus);
}

/* A host crash and restart: the PE comes back with a new identifier and registers again. */
static void
test_restart_new_id (Fixture *f, gconstpointer data)
{
  start_pe (f);
  tep_run_until (&f->r, 1 * SIM_S);
  guint32 first = pe_id (f->pe);
  net_host_crash (f->host);
  g_assert_cmpint (pe_state (f->pe), ==, PE_STATE_DOWN);
  g_assert_false (pe_is_registered (f->pe));
  tep_run_until (&f->r, 2 * SIM_S);
  net_host_restart (f->host);
  tep_run_until (&f->r, 3 * SIM_S);
  g_assert_cmpuint (pe_id (f->pe), !=, first);
  g_assert_true (pe_is_registered (f->pe));
  g_assert_cmpuint (tep_count (&f->r, CODEC_ASAP_REGISTRATION), ==, 2);
  g_auto (CodecMessage) msg = { 0 };
  tep_decode (tep_nth (&f->r, CODEC_ASAP_REGISTRATION, 1), &msg);
  g_assert_cmpuint (msg.u.registration.pe.pe_id, ==, pe_id (f->pe));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add ("/models/pe/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("registration/fields", test_registration_fields);
  ADD ("registration/t2-then-hunt", test_registration_t2);
  ADD ("reregistration/t4", test_reregistration_t4);
  ADD ("reregistration/t4-clamped", test_reregistration_t4_clamped);
  ADD ("reregistration/load-adaptive", test_reregistration_load);
  ADD ("reregistration/load-rr", test_reregistration_load_rr);
  ADD ("keepalive/ack", test_keepalive_ack);
  ADD ("keepalive/home-change", test_keepalive_home_change);
  ADD ("deregistration/response", test_deregistration);
  ADD ("deregistration/t3", test_deregistration_t3);
  ADD ("hunt/announce", test_hunt_announce);
  ADD ("hunt/t5-doubling", test_hunt_t5_doubling);
  ADD ("decode-error/answer", test_decode_error_answer);
  ADD ("restart/new-id", test_restart_new_id);
  return g_test_run ();
}
