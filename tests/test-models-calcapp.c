/*
 * tests/test-models-calcapp.c - the CalcApp workload on real PEs and PUs
 * with a scripted registrar (tests/endpoint-test-util.h): the wire format
 * and its strict decoder, processor sharing, reject when full, the handling
 * speed of one job, request timeout, reject retry, failover with the cookie
 * to another PE, and a long run whose utilization matches the offered load.
 *
 * Times: one crossing takes X = 1 ms + 1 ns.
 */
#include "config.h"

#include "tests/endpoint-test-util.h"

#include "sim/net-capture.h"

#include <glib/gstdio.h>
#include <math.h>

#define SEED 99

/* ---- wire format ---- */

/* Encoding gives the 24 documented bytes; decoding gives the message back. */
static void
test_wire_round_trip (void)
{
  CalcAppMsg m = { CALCAPP_ACCEPT, 0x01020304, 10000000, 4000000 }, back;
  guint8 b[CALCAPP_MSG_LEN];
  calcapp_msg_encode (&m, b);
  static const guint8 expect[24] = { 2, 0, 0, 24, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0x98, 0x96, 0x80,
                                     0, 0, 0, 0, 0, 0x3d, 0x09, 0x00 };
  g_assert_cmpmem (b, sizeof b, expect, sizeof expect);
  g_assert_cmpint (calcapp_msg_decode (b, sizeof b, &back), ==, CALCAPP_DECODE_OK);
  g_assert_cmpint (back.type, ==, CALCAPP_ACCEPT);
  g_assert_cmpuint (back.job_id, ==, 0x01020304);
  g_assert_cmpuint (back.job_size, ==, 10000000);
  g_assert_cmpuint (back.completed, ==, 4000000);
  guint8 c[CALCAPP_COOKIE_LEN];
  calcapp_cookie_encode (&m, c);
  g_assert_cmpmem (c, 4, "CAPC", 4);
  g_assert_cmpint (calcapp_cookie_decode (c, sizeof c, &back), ==, CALCAPP_DECODE_OK);
  g_assert_cmpuint (back.completed, ==, 4000000);
}

/* Every deviation from the layout is refused with its reason, whatever the bytes. */
static void
test_wire_strict (void)
{
  CalcAppMsg m = { CALCAPP_REQUEST, 1, 100, 0 }, out;
  guint8 b[CALCAPP_MSG_LEN + 1];
  calcapp_msg_encode (&m, b);
  g_assert_cmpint (calcapp_msg_decode (b, 23, &out), ==, CALCAPP_DECODE_BAD_LENGTH);
  g_assert_cmpint (calcapp_msg_decode (b, 25, &out), ==, CALCAPP_DECODE_BAD_LENGTH);
  g_assert_cmpint (calcapp_msg_decode (b, 0, &out), ==, CALCAPP_DECODE_BAD_LENGTH);
  b[3] = 28;
  g_assert_cmpint (calcapp_msg_decode (b, 24, &out), ==, CALCAPP_DECODE_BAD_LENGTH);
  b[3] = 24;
  b[0] = 0;
  g_assert_cmpint (calcapp_msg_decode (b, 24, &out), ==, CALCAPP_DECODE_BAD_TYPE);
  b[0] = 8;
  g_assert_cmpint (calcapp_msg_decode (b, 24, &out), ==, CALCAPP_DECODE_BAD_TYPE);
  b[0] = CALCAPP_REQUEST;
  b[1] = 0x80;
  g_assert_cmpint (calcapp_msg_decode (b, 24, &out), ==, CALCAPP_DECODE_BAD_FLAGS);
  b[1] = 0;
  b[23] = 101;   /* completed 101 > size 100 */
  g_assert_cmpint (calcapp_msg_decode (b, 24, &out), ==, CALCAPP_DECODE_BAD_VALUE);
  m.job_size = 0;
  calcapp_msg_encode (&m, b);
  g_assert_cmpint (calcapp_msg_decode (b, 24, &out), ==, CALCAPP_DECODE_BAD_VALUE);
  guint8 c[CALCAPP_COOKIE_LEN];
  m.job_size = 100;
  calcapp_cookie_encode (&m, c);
  c[0] = 'X';
  g_assert_cmpint (calcapp_cookie_decode (c, sizeof c, &out), ==, CALCAPP_DECODE_BAD_TYPE);
  g_assert_cmpint (calcapp_cookie_decode (c, 23, &out), ==, CALCAPP_DECODE_BAD_LENGTH);
  /* Random bytes of any length never crash the decoders. */
  SimRng rng;
  sim_rng_init (&rng, 1, "fuzz");
  for (guint i = 0; i < 20000; i++)
    {
      guint8 buf[32];
      gsize len = sim_rng_below (&rng, sizeof buf + 1);
      for (gsize j = 0; j < len; j++)
        buf[j] = (guint8) sim_rng_next (&rng);
      if (len == 24 && sim_rng_bernoulli (&rng, 0.5))
        buf[3] = 24, buf[2] = 0, buf[1] = 0;
      calcapp_msg_decode (buf, len, &out);
      calcapp_cookie_decode (buf, len, &out);
    }
}

/* ---- a small system: scripted registrar, PEs with servers, PUs with clients ---- */

typedef struct {
  TepRegistrar    r;
  CalcAppConfig   cfg;
  GPtrArray      *pes;       /* PoolElement* */
  GPtrArray      *servers;   /* CalcAppServer* */
  GPtrArray      *pus;       /* PoolUser* */
  GPtrArray      *clients;   /* CalcAppClient* */
  GString        *events;    /* observer log */
} Sys;

static void
sys_init (Sys *s)
{
  tep_init (&s->r, SEED);
  calcapp_config_init (&s->cfg);
  s->pes = g_ptr_array_new ();
  s->servers = g_ptr_array_new ();
  s->pus = g_ptr_array_new ();
  s->clients = g_ptr_array_new ();
  s->events = g_string_new ("");
}

static void
sys_clear (Sys *s)
{
  for (guint i = 0; i < s->clients->len; i++)
    calcapp_client_free (s->clients->pdata[i]);
  for (guint i = 0; i < s->pus->len; i++)
    pu_free (s->pus->pdata[i]);
  for (guint i = 0; i < s->servers->len; i++)
    calcapp_server_free (s->servers->pdata[i]);
  for (guint i = 0; i < s->pes->len; i++)
    pe_free (s->pes->pdata[i]);
  g_ptr_array_unref (s->clients);
  g_ptr_array_unref (s->pus);
  g_ptr_array_unref (s->servers);
  g_ptr_array_unref (s->pes);
  g_string_free (s->events, TRUE);
  tep_clear (&s->r);
}

static CalcAppServer *
sys_add_pe (Sys *s, guint32 policy)
{
  guint i = s->pes->len;
  g_autofree char *name = g_strdup_printf ("pe%u", i);
  PeConfig cfg;
  tep_pe_config (&s->r, &cfg);
  cfg.policy_type = policy;
  PoolElement *pe = pe_new (s->r.tn.net, tep_host (&s->r, name), i, &cfg, SEED);
  pe_config_clear (&cfg);
  CalcAppServer *server = calcapp_server_new (pe, &s->cfg);
  calcapp_server_start (server);
  pe_start (pe);
  g_ptr_array_add (s->pes, pe);
  g_ptr_array_add (s->servers, server);
  return server;
}

static void
observe (CalcAppClient *c, const CalcAppEvent *ev, gpointer user_data)
{
  Sys *s = user_data;
  static const char *const names[] = { "request", "accept", "reject", "timeout", "failover", "complete" };
  g_string_append_printf (s->events, "%s:%u:%08x%s ", names[ev->kind], ev->job_id, ev->pe_id,
                          ev->failover ? "+echo" : "");
}

static CalcAppClient *
sys_add_pu (Sys *s)
{
  guint i = s->pus->len;
  g_autofree char *name = g_strdup_printf ("pu%u", i);
  PuConfig cfg;
  tep_pu_config (&s->r, &cfg);
  PoolUser *pu = pu_new (s->r.tn.net, tep_host (&s->r, name), i, &cfg, SEED);
  pu_config_clear (&cfg);
  pu_start (pu);
  CalcAppClient *c = calcapp_client_new (pu, &s->cfg, i, SEED);
  calcapp_client_set_observer (c, observe, s);
  g_ptr_array_add (s->pus, pu);
  g_ptr_array_add (s->clients, c);
  return c;
}

/* A raw client: an association to a PE's CalcApp port that logs what comes back. */
typedef struct {
  Sys      *s;
  NetAssoc *assoc;
  GArray   *types;   /* CalcAppMsgType received */
  GArray   *times;
} Raw;

static void
raw_event (NetAssoc *a, NetAssocEvent ev, gpointer user_data)
{
  Raw *raw = user_data;
  if (ev != NET_ASSOC_UP)
    raw->assoc = NULL;
}

static void
raw_receive (NetAssoc *a, const NetMessage *m, gpointer user_data)
{
  Raw *raw = user_data;
  if (m->ppid != CALCAPP_PPID)
    return;
  gsize len;
  const guint8 *b = g_bytes_get_data (m->data, &len);
  CalcAppMsg msg;
  g_assert_cmpint (calcapp_msg_decode (b, len, &msg), ==, CALCAPP_DECODE_OK);
  SimTime now = sim_kernel_now (raw->s->r.tn.kernel);
  g_array_append_val (raw->types, msg.type);
  g_array_append_val (raw->times, now);
}

static const NetAssocCallbacks raw_callbacks = { raw_event, raw_receive };

static void
raw_open (Raw *raw, Sys *s, const char *host, PoolElement *pe)
{
  raw->s = s;
  raw->types = g_array_new (FALSE, FALSE, sizeof (CalcAppMsgType));
  raw->times = g_array_new (FALSE, FALSE, sizeof (SimTime));
  raw->assoc = net_assoc_connect (tep_host (&s->r, host), net_host_address (pe_host (pe), 0),
                                  pe_config (pe)->user_port, &raw_callbacks, raw);
}

static void
raw_send (Raw *raw, CalcAppMsgType type, guint32 job, guint64 size)
{
  CalcAppMsg m = { type, job, size, 0 };
  guint8 *b = g_malloc (CALCAPP_MSG_LEN);
  calcapp_msg_encode (&m, b);
  g_autoptr (GBytes) bytes = g_bytes_new_take (b, CALCAPP_MSG_LEN);
  net_assoc_send (raw->assoc, 0, CALCAPP_PPID, 0, bytes);
}

static void
raw_clear (Raw *raw)
{
  if (raw->assoc != NULL)
    net_assoc_abort (raw->assoc);
  g_array_unref (raw->types);
  g_array_unref (raw->times);
}

/* Two jobs of 1e6 and 3e6 calculations arriving together at C = 1e6: done at +2 s and +4 s. */
static void
test_processor_sharing (void)
{
  Sys s;
  sys_init (&s);
  s.cfg.cookie_interval = 0;
  CalcAppServer *server = sys_add_pe (&s, CODEC_POLICY_ROUND_ROBIN);
  Raw a, b;
  raw_open (&a, &s, "ca", s.pes->pdata[0]);
  raw_open (&b, &s, "cb", s.pes->pdata[0]);
  tep_run_until (&s.r, 1 * SIM_S);
  raw_send (&a, CALCAPP_REQUEST, 1, 1000000);
  raw_send (&b, CALCAPP_REQUEST, 2, 3000000);
  SimTime arrive = 1 * SIM_S + TEP_X;   /* both, over two associations from two hosts */
  tep_run_until (&s.r, arrive);
  g_assert_cmpuint (calcapp_server_active_jobs (server), ==, 2);
  tep_run_until (&s.r, arrive + 2 * SIM_S - 1);
  g_assert_cmpuint (calcapp_server_stats (server)->completed, ==, 0);
  tep_run_until (&s.r, arrive + 2 * SIM_S);
  g_assert_cmpuint (calcapp_server_stats (server)->completed, ==, 1);
  tep_run_until (&s.r, arrive + 4 * SIM_S - 1);
  g_assert_cmpuint (calcapp_server_stats (server)->completed, ==, 1);
  tep_run_until (&s.r, arrive + 4 * SIM_S);
  g_assert_cmpuint (calcapp_server_stats (server)->completed, ==, 2);
  tep_run_until (&s.r, 10 * SIM_S);
  /* Accept then Complete on each; the Completes arrive one crossing after the departures. */
  g_assert_cmpuint (a.types->len, ==, 2);
  g_assert_cmpint (g_array_index (a.types, CalcAppMsgType, 1), ==, CALCAPP_COMPLETE);
  g_assert_cmpint (g_array_index (a.times, SimTime, 1), ==, arrive + 2 * SIM_S + TEP_X);
  g_assert_cmpint (g_array_index (b.times, SimTime, 1), ==, arrive + 4 * SIM_S + TEP_X);
  /* Busy 4 s of 10 s; 4e6 calculations served. */
  g_assert_cmpfloat_with_epsilon (calcapp_server_busy_seconds (server), 4.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (calcapp_server_stats (server)->calculations, 4e6, 1e-3);
  g_assert_cmpuint (pe_load (s.pes->pdata[0]), ==, 0);
  raw_clear (&a);
  raw_clear (&b);
  sys_clear (&s);
}

static void
cpu_nop (NetHost *host, gpointer data)
{
}

/*
 * calcapp.shares-cpu: a job of 1 s whose PE host's CPU is taken for 2 s
 * (other work queued at 0.5 s) completes 2 s later, with 1 s of service;
 * with the capacity apart from the CPU it completes after 1 s.
 */
static void
test_shares_cpu (void)
{
  for (int shares = 1; shares >= 0; shares--)
    {
      Sys s;
      sys_init (&s);
      s.cfg.cookie_interval = 0;
      s.cfg.shares_cpu = shares;
      CalcAppServer *server = sys_add_pe (&s, CODEC_POLICY_ROUND_ROBIN);
      Raw a;
      raw_open (&a, &s, "ca", s.pes->pdata[0]);
      tep_run_until (&s.r, 1 * SIM_S);
      raw_send (&a, CALCAPP_REQUEST, 1, 1000000);
      SimTime arrive = 1 * SIM_S + TEP_X;
      tep_run_until (&s.r, arrive + SIM_S / 2);
      NetHost *host = pe_host (s.pes->pdata[0]);
      net_host_cpu_exec (host, 2 * SIM_S, net_kind (s.r.tn.net, "test.work"), cpu_nop, NULL, NULL);
      g_assert_true (net_host_cpu_serving (host));
      tep_run_until (&s.r, 10 * SIM_S);
      g_assert_false (net_host_cpu_serving (host));
      g_assert_cmpuint (a.types->len, ==, 2);
      g_assert_cmpint (g_array_index (a.types, CalcAppMsgType, 1), ==, CALCAPP_COMPLETE);
      SimTime done = arrive + (shares ? 3 : 1) * SIM_S;
      g_assert_cmpint (g_array_index (a.times, SimTime, 1), ==, done + TEP_X);
      g_assert_cmpfloat_with_epsilon (calcapp_server_busy_seconds (server), 1.0, 1e-9);
      g_assert_cmpfloat_with_epsilon (calcapp_server_stats (server)->calculations, 1e6, 1e-3);
      raw_clear (&a);
      sys_clear (&s);
    }
}

/* MaxJobs = C / min capacity per job = 2: the third request is rejected; load 100 %. */
static void
test_reject_when_full (void)
{
  Sys s;
  sys_init (&s);
  s.cfg.min_capacity_per_job = 500000;
  CalcAppServer *server = sys_add_pe (&s, CODEC_POLICY_LEAST_USED_DEGRADATION);
  g_assert_cmpuint (calcapp_server_max_jobs (server), ==, 2);
  Raw a;
  raw_open (&a, &s, "ca", s.pes->pdata[0]);
  tep_run_until (&s.r, 1 * SIM_S);
  raw_send (&a, CALCAPP_REQUEST, 1, 10000000);
  raw_send (&a, CALCAPP_REQUEST, 2, 10000000);
  raw_send (&a, CALCAPP_REQUEST, 3, 10000000);
  tep_run_until (&s.r, 2 * SIM_S);
  g_assert_cmpuint (calcapp_server_stats (server)->accepted, ==, 2);
  g_assert_cmpuint (calcapp_server_stats (server)->rejected, ==, 1);
  g_assert_cmpint (g_array_index (a.types, CalcAppMsgType, 2), ==, CALCAPP_REJECT);
  g_assert_cmpuint (pe_load (s.pes->pdata[0]), ==, 0xffffffffu);
  /* LUD: the load degradation is 1/MaxJobs; each load change re-registered (0 -> 50 % -> 100 %). */
  g_auto (CodecMessage) msg = { 0 };
  tep_decode (tep_nth (&s.r, CODEC_ASAP_REGISTRATION, 2), &msg);
  g_assert_cmpuint (msg.u.registration.pe.policy.load, ==, 0xffffffffu);
  g_assert_cmpuint (msg.u.registration.pe.policy.load_degradation, ==, 0x80000000u);
  g_assert_cmpuint (tep_count (&s.r, CODEC_ASAP_REGISTRATION), ==, 3);
  raw_clear (&a);
  sys_clear (&s);
}

/* One job on an idle PE: handling time = size / C + startup (resolution 2 X, handshake 4 X, request X, complete X). */
static void
test_single_job_speed (void)
{
  Sys s;
  sys_init (&s);
  s.cfg.cookie_interval = 0;
  sys_add_pe (&s, CODEC_POLICY_ROUND_ROBIN);
  CalcAppClient *c = sys_add_pu (&s);
  tep_run_until (&s.r, 1 * SIM_S);
  calcapp_client_enqueue (c, 5000000);
  tep_run_until (&s.r, 10 * SIM_S);
  const CalcAppClientStats *st = calcapp_client_stats (c);
  g_assert_cmpuint (st->completed, ==, 1);
  double expect_t = 5.0 + 8.0 * TEP_X / SIM_S;
  g_assert_cmpfloat_with_epsilon (st->handling_time.mean, expect_t, 2e-9);
  /* 100 % minus the startup: 5 s / 5.008000008 s = 99.840255... % */
  double pct = 100.0 * st->handling_speed.mean / s.cfg.capacity;
  g_assert_cmpfloat_with_epsilon (pct, 100.0 * 5.0 / expect_t, 1e-6);
  guint32 id = pe_id (s.pes->pdata[0]);
  g_autofree char *expect = g_strdup_printf ("request:1:%08x accept:1:%08x complete:1:%08x ", id, id, id);
  g_assert_cmpstr (s.events->str, ==, expect);
  sys_clear (&s);
}

/* The PE dies during service: keep-alive loss, one unreachable report, failover with the cookie to the other PE. */
static void
test_failover_with_cookie (void)
{
  Sys s;
  sys_init (&s);
  s.cfg.keepalive_interval = 1 * SIM_S;
  s.cfg.keepalive_timeout = 1 * SIM_S;
  CalcAppServer *s0 = sys_add_pe (&s, CODEC_POLICY_ROUND_ROBIN);
  CalcAppServer *s1 = sys_add_pe (&s, CODEC_POLICY_ROUND_ROBIN);
  CalcAppClient *c = sys_add_pu (&s);
  tep_run_until (&s.r, 1 * SIM_S);
  calcapp_client_enqueue (c, 10000000);
  /* The double answers the first registered PE first: pe0; the job is accepted at 1 s + 8 X - X. */
  SimTime accepted = 1 * SIM_S + 7 * TEP_X;
  tep_run_until (&s.r, accepted);
  g_assert_cmpuint (calcapp_server_active_jobs (s0), ==, 1);
  /* Cookies at accept, +1 s, ..., +4 s; crash at +4.5 s: the last cookie says 4e6 done. */
  tep_run_until (&s.r, accepted + 4500 * SIM_MS);
  guint32 dead = pe_id (s.pes->pdata[0]);
  net_host_crash (pe_host (s.pes->pdata[0]));
  tep_run_until (&s.r, 30 * SIM_S);
  const CalcAppClientStats *st = calcapp_client_stats (c);
  g_assert_cmpuint (st->completed, ==, 1);
  g_assert_cmpuint (st->failovers, ==, 1);
  g_assert_cmpuint (st->unreachable_sent, ==, 1);
  g_assert_cmpuint (tep_count (&s.r, CODEC_ASAP_ENDPOINT_UNREACHABLE), ==, 1);
  g_auto (CodecMessage) eu = { 0 };
  tep_decode (tep_nth (&s.r, CODEC_ASAP_ENDPOINT_UNREACHABLE, 0), &eu);
  g_assert_cmpuint (eu.u.pe_ref.pe_id, ==, dead);
  g_assert_cmpuint (pe_stats (s.pes->pdata[1])->cookie_echoes, ==, 1);
  g_assert_cmpuint (calcapp_server_stats (s1)->resumed, ==, 1);
  /* pe1 served the remaining 6e6 calculations alone: busy 6 s. */
  g_assert_cmpfloat_with_epsilon (calcapp_server_busy_seconds (s1), 6.0, 1e-6);
  g_autofree char *expect = g_strdup_printf ("request:1:%08x accept:1:%08x failover:1:%08x "
                                             "request:1:%08x+echo accept:1:%08x+echo complete:1:%08x+echo ",
                                             dead, dead, dead, pe_id (s.pes->pdata[1]), pe_id (s.pes->pdata[1]),
                                             pe_id (s.pes->pdata[1]));
  g_assert_cmpstr (s.events->str, ==, expect);
  sys_clear (&s);
}

/* A PE whose host is down: the request times out, one report, an immediate new resolution. */
static void
test_request_timeout (void)
{
  Sys s;
  sys_init (&s);
  s.cfg.request_timeout = 10 * SIM_S;
  sys_add_pe (&s, CODEC_POLICY_ROUND_ROBIN);
  CalcAppClient *c = sys_add_pu (&s);
  tep_run_until (&s.r, 1 * SIM_S);
  net_host_crash (pe_host (s.pes->pdata[0]));
  calcapp_client_enqueue (c, 1000000);
  /* Request sent at 1 s + 2 X (after the resolution); timeout 10 s later; the report and the new HR follow. */
  tep_run_until (&s.r, 1 * SIM_S + 2 * TEP_X + 10 * SIM_S + TEP_X + 1);
  g_assert_cmpuint (calcapp_client_stats (c)->timeouts, ==, 1);
  g_assert_cmpuint (tep_count (&s.r, CODEC_ASAP_ENDPOINT_UNREACHABLE), ==, 1);
  g_assert_cmpint (tep_nth (&s.r, CODEC_ASAP_ENDPOINT_UNREACHABLE, 0)->t, ==, 1 * SIM_S + 2 * TEP_X + 10 * SIM_S + TEP_X);
  g_assert_cmpuint (tep_count (&s.r, CODEC_ASAP_HANDLE_RESOLUTION), ==, 2);
  g_assert_cmpint (tep_nth (&s.r, CODEC_ASAP_HANDLE_RESOLUTION, 1)->t, ==, 1 * SIM_S + 2 * TEP_X + 10 * SIM_S + TEP_X + 1);
  sys_clear (&s);
}

/* A reject: the retry follows after the delay drawn from the client's own stream. */
static void
test_reject_retry (void)
{
  Sys s;
  sys_init (&s);
  s.cfg.min_capacity_per_job = 1e6;   /* MaxJobs 1 */
  s.cfg.cookie_interval = 0;
  sys_add_pe (&s, CODEC_POLICY_ROUND_ROBIN);
  CalcAppClient *c = sys_add_pu (&s);
  Raw a;
  raw_open (&a, &s, "ca", s.pes->pdata[0]);
  tep_run_until (&s.r, 1 * SIM_S);
  raw_send (&a, CALCAPP_REQUEST, 1, 5000000);   /* occupies the PE for 5 s */
  tep_run_until (&s.r, 2 * SIM_S);
  calcapp_client_enqueue (c, 1000);
  SimRng rng;
  sim_rng_init (&rng, SEED, "calcapp/client/0/retry");
  SimTime delay = sim_dist_sample_time (&s.cfg.retry_delay, &rng);
  g_assert_cmpint (delay, <, 200 * SIM_MS);
  /* HR 2 X, handshake 4 X, request X, reject X: the retry's HR arrives delay + X later. */
  SimTime retry = 2 * SIM_S + 8 * TEP_X + delay + TEP_X;
  tep_run_until (&s.r, retry);
  g_assert_cmpuint (calcapp_client_stats (c)->rejects, ==, 1);
  g_assert_cmpuint (tep_count (&s.r, CODEC_ASAP_HANDLE_RESOLUTION), ==, 2);
  g_assert_cmpint (tep_nth (&s.r, CODEC_ASAP_HANDLE_RESOLUTION, 1)->t, ==, retry);
  /* It keeps retrying until the PE is free (at 1 s + X + 5 s), then completes. */
  tep_run_until (&s.r, 8 * SIM_S);
  g_assert_cmpuint (calcapp_client_stats (c)->completed, ==, 1);
  raw_clear (&a);
  sys_clear (&s);
}

/* 1 PE, 4 PUs at offered load 60 %: utilization = offered load (M/G/1-PS is work-conserving). */
static void
test_utilization_matches_load (void)
{
  Sys s;
  sys_init (&s);
  const double rho = 0.6, size = 1e6;
  const guint n_pu = 4;
  s.cfg.job_size = (SimDist) { SIM_DIST_EXPONENTIAL, SIM_UNIT_NONE, size, 0 };
  s.cfg.job_interval = (SimDist) { SIM_DIST_EXPONENTIAL, SIM_UNIT_TIME, n_pu * size / (rho * 1e6) * SIM_S, 0 };
  s.cfg.warmup = 100 * SIM_S;
  s.cfg.cookie_interval = 5 * SIM_S;
  CalcAppServer *server = sys_add_pe (&s, CODEC_POLICY_ROUND_ROBIN);
  for (guint i = 0; i < n_pu; i++)
    calcapp_client_start (sys_add_pu (&s));
  const SimTime end = 100 * SIM_S + 20000 * SIM_S;
  tep_run_until (&s.r, end);
  double u = calcapp_server_utilization (server);
  double offered = 0, completed = 0;
  guint64 rejects = 0, timeouts = 0;
  for (guint i = 0; i < n_pu; i++)
    {
      const CalcAppClientStats *st = calcapp_client_stats (s.clients->pdata[i]);
      offered += st->calculations;
      completed += st->completed;
      rejects += st->rejects;
      timeouts += st->timeouts;
    }
  g_test_message ("utilization %.4f, offered %.4f, jobs %.0f", u, offered / (1e6 * 20000), completed);
  g_assert_cmpuint (rejects, ==, 0);
  g_assert_cmpuint (timeouts, ==, 0);
  g_assert_cmpfloat (completed, >, 10000);
  /* Served work equals the work of the jobs (up to the few in progress at the ends) ... */
  g_assert_cmpfloat (fabs (u - offered / (1e6 * 20000)), <, 0.005);
  /* ... and the offered load within its statistical error of about 1 %. */
  g_assert_cmpfloat (fabs (u - rho), <, 0.03);
  sys_clear (&s);
}

/* A failover run written as pcap: tshark dissects ASAP (cookies, echo) and CalcApp with nothing malformed. */
static void
test_pcap_tshark (void)
{
  const char *shared = g_getenv ("POOLSIM_SHARED");
  g_autofree char *tshark = g_find_program_in_path ("tshark");
  if (shared == NULL || tshark == NULL)
    {
      g_test_skip ("needs POOLSIM_SHARED (make check) and tshark");
      return;
    }
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("poolsim-calcapp-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "calcapp.pcap", NULL);
  Sys s;
  sys_init (&s);
  g_assert_true (net_capture_open (s.r.tn.net, path, NULL, &error));
  s.cfg.keepalive_interval = 1 * SIM_S;
  s.cfg.keepalive_timeout = 1 * SIM_S;
  sys_add_pe (&s, CODEC_POLICY_LEAST_USED_DEGRADATION);
  sys_add_pe (&s, CODEC_POLICY_LEAST_USED_DEGRADATION);
  CalcAppClient *c = sys_add_pu (&s);
  tep_run_until (&s.r, 1 * SIM_S);
  calcapp_client_enqueue (c, 10000000);
  tep_run_until (&s.r, 5 * SIM_S);
  net_host_crash (pe_host (s.pes->pdata[0]));
  tep_run_until (&s.r, 30 * SIM_S);
  g_assert_cmpuint (calcapp_client_stats (c)->completed, ==, 1);
  g_assert_true (net_capture_close (s.r.tn.net, &error));
  sys_clear (&s);

  g_autofree char *tool = g_build_filename (shared, "tools", "check-pcap", NULL);
  const char *argv[] = { tool, "--expect", "ASAP Cookie Echo=1", "--expect", "ASAP Endpoint Unreachable=1",
                         path, NULL };
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("check-pcap failed:\n%s\n%s", out, err);
  g_assert_nonnull (strstr (out, " 0 malformed"));
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/models/calcapp/wire/round-trip", test_wire_round_trip);
  g_test_add_func ("/models/calcapp/wire/strict", test_wire_strict);
  g_test_add_func ("/models/calcapp/server/processor-sharing", test_processor_sharing);
  g_test_add_func ("/models/calcapp/server/reject-when-full", test_reject_when_full);
  g_test_add_func ("/models/calcapp/server/shares-cpu", test_shares_cpu);
  g_test_add_func ("/models/calcapp/client/single-job-speed", test_single_job_speed);
  g_test_add_func ("/models/calcapp/client/failover-with-cookie", test_failover_with_cookie);
  g_test_add_func ("/models/calcapp/client/request-timeout", test_request_timeout);
  g_test_add_func ("/models/calcapp/client/reject-retry", test_reject_retry);
  g_test_add_func ("/models/calcapp/utilization-matches-load", test_utilization_matches_load);
  g_test_add_func ("/models/calcapp/pcap/tshark-clean", test_pcap_tshark);
  return g_test_run ();
}
