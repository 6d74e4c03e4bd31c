/*
 * tests/test-models-secure.c - secure channels: PSK and certificate
 * handshakes over the simulated associations, message framing and its exact
 * byte overhead, determinism of every TLS byte, failures (PSK mismatch,
 * unknown identity, another CA, an expired certificate, a wrong name, a
 * flipped byte, a replayed record), client certificates (mutual
 * authentication and its failures) and the CPU costs charged.
 *
 * One LAN with 1 ms constant delay at 8 Mbps, CPU service 0: a client host
 * "cli" and a server host "srv" listening on the ASAP-TLS port; an adversary
 * "evil" with a tap on the LAN where a test needs one. Costs are 0 unless a
 * test sets them.
 */
#include "config.h"

#include "net-test-util.h"
#include "models/secure.h"

#include <math.h>

#define APP_PPID 11
#define PORT     SECURE_ASAP_TLS_PORT

static const guint8 key_a[16] = "0123456789abcdef";
static const guint8 key_b[16] = "0123456789abcdeX";

/* One channel end's application: a log of events and the messages it got. */
typedef struct {
  SecureChannel *ch;
  GString       *log;       /* "up comm-lost ..." */
  GPtrArray     *msgs;      /* NetMessage* copies */
  SecureFailure  failure;   /* at the terminal event */
  char          *identity;  /* the peer's PSK identity at UP (server) */
} App;

static void
msg_free (gpointer p)
{
  NetMessage *m = p;
  g_bytes_unref (m->data);
  g_free (m);
}

static void
app_event (SecureChannel *ch, NetAssocEvent ev, gpointer user_data)
{
  App *app = user_data;
  g_string_append_printf (app->log, "%s ", net_assoc_event_name (ev));
  if (ev == NET_ASSOC_UP)
    {
      app->identity = g_strdup (secure_channel_peer_identity (ch));
      return;
    }
  app->failure = secure_channel_failure (ch);
  app->ch = NULL;
}

static void
app_receive (SecureChannel *ch, const NetMessage *m, gpointer user_data)
{
  App *app = user_data;
  NetMessage *c = g_new (NetMessage, 1);
  *c = *m;
  c->data = g_bytes_ref (m->data);
  g_ptr_array_add (app->msgs, c);
}

static const SecureChannelCallbacks app_callbacks = { app_event, app_receive };

/* The whole test world. */
typedef struct {
  TNet            t;
  NetHost        *cli, *srv, *evil;
  SecureKeyTable *cli_keys, *srv_keys;
  SecureCert     *ca, *other_ca, *srv_cert, *cli_cert;
  SecureContext  *cctx, *sctx;
  App             capp, sapp;
  NetKind         kind_app;
  guint64         seed;
  GPtrArray      *wire;    /* GBytes*: payload of every SCTP DATA packet, in order */
} World;

static gboolean
world_accept (NetListener *l, NetAssoc *a, gpointer user_data)
{
  World *w = user_data;
  w->sapp.ch = secure_channel_accept (w->sctx, a, &app_callbacks, &w->sapp);
  return TRUE;
}

static void
world_observe (const NetPacket *pkt, SimTime t, gpointer user_data)
{
  World *w = user_data;
  if (pkt->proto == NET_PROTO_SCTP && pkt->chunk == NET_CHUNK_DATA)
    g_ptr_array_add (w->wire, g_bytes_ref (pkt->payload));
}

static void
world_init (World *w, guint64 seed)
{
  memset (w, 0, sizeof *w);
  w->seed = seed;
  tnet_init (&w->t, seed, 1, SIM_MS, 8000000, 0);
  w->cli = tnet_host (&w->t, "cli", 0);
  w->srv = tnet_host (&w->t, "srv", 0);
  w->evil = net_host_new (w->t.net, "evil", "adversary", NET_HOST_ADVERSARY);
  w->kind_app = net_kind (w->t.net, "asap.registration");
  SecureCosts zero = { 0 };
  secure_define_cpu_ops (w->t.net, &zero);
  w->capp.log = g_string_new ("");
  w->sapp.log = g_string_new ("");
  w->capp.msgs = g_ptr_array_new_with_free_func (msg_free);
  w->sapp.msgs = g_ptr_array_new_with_free_func (msg_free);
  w->wire = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  net_set_observer (w->t.net, NULL, world_observe, w);
  net_listen (w->srv, PORT, world_accept, w);
}

/* PSK contexts: the client "pe1" holds client_key, the server's table server_key (NULL: no entry). */
static void
world_psk (World *w, const guint8 *client_key, const guint8 *server_key)
{
  w->cli_keys = secure_key_table_new ();
  w->srv_keys = secure_key_table_new ();
  secure_key_table_add (w->cli_keys, "pe1", client_key, 16);
  if (server_key != NULL)
    secure_key_table_add (w->srv_keys, "pe1", server_key, 16);
  SecureConfig c = { .mode = SECURE_MODE_PSK, .label = "asap", .keys = w->cli_keys, .identity = "pe1" };
  SecureConfig s = { .mode = SECURE_MODE_PSK, .server = TRUE, .label = "asap", .keys = w->srv_keys };
  g_autoptr (GError) error = NULL;
  w->cctx = secure_context_new (w->cli, w->seed, &c, &error);
  g_assert_no_error (error);
  w->sctx = secure_context_new (w->srv, w->seed, &s, &error);
  g_assert_no_error (error);
}

/* Certificate contexts: the server's certificate for name from issuer (NULL: the CA) valid [0, until]. */
static void
world_cert (World *w, gboolean other_ca, const char *name, SimTime until)
{
  w->ca = secure_cert_new_ca ("poolsim-ca", 42, 0, SIM_H);
  w->other_ca = secure_cert_new_ca ("other-ca", 42, 0, SIM_H);
  w->srv_cert = secure_cert_issue (other_ca ? w->other_ca : w->ca, name, 42, 0, until);
  SecureConfig c = { .mode = SECURE_MODE_CERT, .label = "asap", .trust = w->ca };
  SecureConfig s = { .mode = SECURE_MODE_CERT, .server = TRUE, .label = "asap", .cert = w->srv_cert };
  g_autoptr (GError) error = NULL;
  w->cctx = secure_context_new (w->cli, 42, &c, &error);
  g_assert_no_error (error);
  w->sctx = secure_context_new (w->srv, 42, &s, &error);
  g_assert_no_error (error);
}

/*
 * Mutual certificates: the server ("registrar1" of the CA) trusts the CA and
 * accepts the identity "pe1" of its key table; the client presents a
 * certificate for cn (NULL: none) from the CA or another one, valid [0, until].
 */
static void
world_mutual (World *w, const char *cn, gboolean other_ca, SimTime until, gboolean require)
{
  w->ca = secure_cert_new_ca ("poolsim-ca", 42, 0, SIM_H);
  w->other_ca = secure_cert_new_ca ("other-ca", 42, 0, SIM_H);
  w->srv_cert = secure_cert_issue (w->ca, "registrar1", 42, 0, SIM_H);
  if (cn != NULL)
    w->cli_cert = secure_cert_issue (other_ca ? w->other_ca : w->ca, cn, 42, 0, until);
  w->srv_keys = secure_key_table_new ();
  secure_key_table_add (w->srv_keys, "pe1", key_a, 16);
  SecureConfig c = { .mode = SECURE_MODE_CERT, .label = "asap", .trust = w->ca, .cert = w->cli_cert };
  SecureConfig s = { .mode = SECURE_MODE_CERT, .server = TRUE, .label = "asap", .cert = w->srv_cert,
                     .trust = w->ca, .keys = w->srv_keys, .require_client_cert = require };
  g_autoptr (GError) error = NULL;
  w->cctx = secure_context_new (w->cli, 42, &c, &error);
  g_assert_no_error (error);
  w->sctx = secure_context_new (w->srv, 42, &s, &error);
  g_assert_no_error (error);
}

static void
world_connect (World *w)
{
  w->capp.ch = secure_channel_connect (w->cctx, net_host_address (w->srv, 0), PORT, "registrar1", &app_callbacks,
                                       &w->capp);
}

static void
world_clear (World *w)
{
  secure_context_free (w->cctx);
  secure_context_free (w->sctx);
  tnet_clear (&w->t);
  secure_key_table_free (w->cli_keys);
  secure_key_table_free (w->srv_keys);
  secure_cert_free (w->ca);
  secure_cert_free (w->other_ca);
  secure_cert_free (w->srv_cert);
  secure_cert_free (w->cli_cert);
  for (App *a = &w->capp; a <= &w->sapp; a++)
    {
      g_string_free (a->log, TRUE);
      g_ptr_array_unref (a->msgs);
      g_free (a->identity);
    }
  g_ptr_array_unref (w->wire);
}

static void
run_until (World *w, SimTime t)
{
  sim_kernel_run (w->t.kernel, t);
}

static void
send_fill (SecureChannel *ch, guint16 stream, guint32 ppid, NetKind kind, gsize len, guint8 fill)
{
  g_autoptr (GBytes) b = len > 0 ? tbytes (len, fill) : g_bytes_new (NULL, 0);
  g_assert_true (secure_channel_send (ch, stream, ppid, kind, b));
}

static const NetMessage *
msg_at (App *app, guint i)
{
  return app->msgs->pdata[i];
}

/* ---- PSK -------------------------------------------------------------------- */

/* Messages queued before the handshake and sent after it arrive with their PPID, stream, kind and bytes. */
static void
test_psk_messages (void)
{
  World w;
  world_init (&w, 1);
  world_psk (&w, key_a, key_a);
  world_connect (&w);
  send_fill (w.capp.ch, 3, APP_PPID, w.kind_app, 100, 0x11);
  send_fill (w.capp.ch, 0, 12, 0, 0, 0);
  run_until (&w, SIM_S);
  g_assert_cmpstr (w.capp.log->str, ==, "up ");
  g_assert_cmpstr (w.sapp.log->str, ==, "up ");
  g_assert_cmpstr (w.sapp.identity, ==, "pe1");
  g_assert_cmpuint (w.sapp.msgs->len, ==, 2);
  g_assert_cmpuint (msg_at (&w.sapp, 0)->ppid, ==, APP_PPID);
  g_assert_cmpuint (msg_at (&w.sapp, 0)->stream, ==, 3);
  g_assert_cmpuint (msg_at (&w.sapp, 0)->kind, ==, w.kind_app);
  g_autoptr (GBytes) expect = tbytes (100, 0x11);
  g_assert_true (g_bytes_equal (msg_at (&w.sapp, 0)->data, expect));
  g_assert_cmpuint (msg_at (&w.sapp, 1)->ppid, ==, 12);
  g_assert_cmpuint (g_bytes_get_size (msg_at (&w.sapp, 1)->data), ==, 0);
  /* And back. */
  send_fill (w.sapp.ch, 1, 12, w.kind_app, 3000, 0x22);
  run_until (&w, 2 * SIM_S);
  g_assert_cmpuint (w.capp.msgs->len, ==, 1);
  g_assert_cmpuint (msg_at (&w.capp, 0)->ppid, ==, 12);
  g_assert_cmpuint (msg_at (&w.capp, 0)->stream, ==, 1);
  g_assert_cmpuint (g_bytes_get_size (msg_at (&w.capp, 0)->data), ==, 3000);
  const SecureStats *cs = secure_context_stats (w.cctx), *ss = secure_context_stats (w.sctx);
  g_assert_cmpuint (cs->handshakes, ==, 1);
  g_assert_cmpuint (ss->handshakes, ==, 1);
  g_assert_cmpuint (cs->records_sent, ==, 2);
  g_assert_cmpuint (ss->records_received, ==, 2);
  g_assert_cmpuint (ss->records_sent, ==, 1);
  g_assert_cmpuint (cs->records_received, ==, 1);
  for (int f = 0; f < SECURE_N_FAILS; f++)
    g_assert_cmpuint (cs->failures[f] + ss->failures[f], ==, 0);
  g_assert_true (secure_channel_is_up (w.capp.ch));
  world_clear (&w);
}

/* A message of n bytes is one record of n + 28 bytes: header 5, PPID+stream 6, content type 1, tag 16. */
static void
test_psk_overhead (void)
{
  World w;
  world_init (&w, 1);
  world_psk (&w, key_a, key_a);
  world_connect (&w);
  run_until (&w, SIM_S);
  guint before = w.wire->len;
  gsize sizes[] = { 0, 1, 100, 1000, 16378 };
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    send_fill (w.capp.ch, 0, APP_PPID, w.kind_app, sizes[i], 0x33);
  run_until (&w, 2 * SIM_S);
  g_assert_cmpuint (w.wire->len, ==, before + G_N_ELEMENTS (sizes));
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      gsize len;
      const guint8 *p = g_bytes_get_data (w.wire->pdata[before + i], &len);
      g_assert_cmpuint (len, ==, sizes[i] + 28);
      g_assert_cmpuint (p[0], ==, 23);                         /* application_data */
      g_assert_cmpuint (p[1] << 8 | p[2], ==, 0x0303);         /* legacy_record_version */
      g_assert_cmpuint (p[3] << 8 | p[4], ==, sizes[i] + 23);  /* length */
    }
  /* 16379 bytes need two records: 28 + 22 bytes of overhead. */
  send_fill (w.capp.ch, 0, APP_PPID, w.kind_app, 16379, 0x44);
  run_until (&w, 3 * SIM_S);
  g_assert_cmpuint (g_bytes_get_size (w.wire->pdata[w.wire->len - 1]), ==, 16379 + 50);
  g_assert_cmpuint (secure_context_stats (w.sctx)->records_received, ==, 7);
  g_assert_cmpuint (w.sapp.msgs->len, ==, 6);
  g_assert_cmpuint (g_bytes_get_size (msg_at (&w.sapp, 5)->data), ==, 16379);
  world_clear (&w);
}

/* Run a PSK exchange and return every SCTP payload. */
static GPtrArray *
psk_wire (guint64 seed)
{
  World w;
  world_init (&w, seed);
  world_psk (&w, key_a, key_a);
  world_connect (&w);
  send_fill (w.capp.ch, 0, APP_PPID, w.kind_app, 100, 0x11);
  run_until (&w, SIM_S);
  send_fill (w.sapp.ch, 0, APP_PPID, w.kind_app, 50, 0x22);
  run_until (&w, 2 * SIM_S);
  g_assert_cmpuint (w.capp.msgs->len, ==, 1);
  GPtrArray *wire = g_ptr_array_ref (w.wire);
  world_clear (&w);
  return wire;
}

static gboolean
wires_equal (GPtrArray *a, GPtrArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    if (!g_bytes_equal (a->pdata[i], b->pdata[i]))
      return FALSE;
  return TRUE;
}

/* The same seed gives byte-identical TLS records (handshake and data); another seed does not. */
static void
test_determinism (void)
{
  guint64 fallbacks = secure_rand_fallbacks ();
  g_autoptr (GPtrArray) a = psk_wire (7);
  g_autoptr (GPtrArray) b = psk_wire (7);
  g_autoptr (GPtrArray) c = psk_wire (8);
  /* ClientHello, ServerHello flight, client Finished, two data records. */
  g_assert_cmpuint (a->len, ==, 5);
  g_assert_true (wires_equal (a, b));
  g_assert_cmpuint (c->len, ==, a->len);
  for (guint i = 0; i < a->len; i++)
    g_assert_false (g_bytes_equal (a->pdata[i], c->pdata[i]));
  g_assert_cmpuint (secure_rand_fallbacks (), ==, fallbacks);
}

/* The server holds another key for the identity: the binder fails, both ends abort before UP. */
static void
test_psk_mismatch (void)
{
  World w;
  world_init (&w, 1);
  world_psk (&w, key_a, key_b);
  world_connect (&w);
  send_fill (w.capp.ch, 0, APP_PPID, w.kind_app, 100, 0x11);
  run_until (&w, 10 * SIM_S);
  g_assert_cmpstr (w.sapp.log->str, ==, "cant-start ");
  g_assert_cmpint (w.sapp.failure, ==, SECURE_FAIL_PSK);
  g_assert_cmpstr (w.capp.log->str, ==, "cant-start ");
  g_assert_cmpint (w.capp.failure, ==, SECURE_FAIL_ALERT);
  g_assert_cmpuint (secure_context_stats (w.sctx)->failures[SECURE_FAIL_PSK], ==, 1);
  g_assert_cmpuint (secure_context_stats (w.cctx)->failures[SECURE_FAIL_ALERT], ==, 1);
  g_assert_cmpuint (secure_context_stats (w.sctx)->handshakes, ==, 0);
  g_assert_cmpuint (w.sapp.msgs->len, ==, 0);
  world_clear (&w);
}

/* The server does not know the identity at all: counted as a PSK failure too. */
static void
test_psk_unknown_identity (void)
{
  World w;
  world_init (&w, 1);
  world_psk (&w, key_a, NULL);
  world_connect (&w);
  run_until (&w, 10 * SIM_S);
  g_assert_cmpstr (w.sapp.log->str, ==, "cant-start ");
  g_assert_cmpint (w.sapp.failure, ==, SECURE_FAIL_PSK);
  g_assert_cmpstr (w.capp.log->str, ==, "cant-start ");
  world_clear (&w);
}

/* ---- certificates --------------------------------------------------------------- */

/* A server certificate of the trusted CA for the expected name: UP, messages flow. */
static void
test_cert_good (void)
{
  World w;
  world_init (&w, 1);
  world_cert (&w, FALSE, "registrar1", SIM_H);
  world_connect (&w);
  send_fill (w.capp.ch, 0, APP_PPID, w.kind_app, 100, 0x11);
  run_until (&w, SIM_S);
  g_assert_cmpstr (w.capp.log->str, ==, "up ");
  g_assert_cmpstr (w.sapp.log->str, ==, "up ");
  g_assert_cmpuint (w.sapp.msgs->len, ==, 1);
  g_assert_cmpuint (secure_context_stats (w.cctx)->handshakes, ==, 1);
  world_clear (&w);
}

static void
run_cert_failure (gboolean other_ca, const char *name, SimTime until, SimTime connect_at, SecureFailure expect)
{
  World w;
  world_init (&w, 1);
  world_cert (&w, other_ca, name, until);
  run_until (&w, connect_at);
  world_connect (&w);
  run_until (&w, connect_at + 10 * SIM_S);
  g_assert_cmpstr (w.capp.log->str, ==, "cant-start ");
  g_assert_cmpint (w.capp.failure, ==, expect);
  g_assert_cmpuint (secure_context_stats (w.cctx)->failures[expect], ==, 1);
  g_assert_cmpstr (w.sapp.log->str, ==, "cant-start ");
  g_assert_cmpint (w.sapp.failure, ==, SECURE_FAIL_ALERT);
  world_clear (&w);
}

/* A certificate from another CA fails verification. */
static void
test_cert_other_ca (void)
{
  run_cert_failure (TRUE, "registrar1", SIM_H, 0, SECURE_FAIL_CERT);
}

/* A certificate valid for 10 s fails at simulated time 20 s (and passes at 0 s: test_cert_good). */
static void
test_cert_expired (void)
{
  run_cert_failure (FALSE, "registrar1", 10 * SIM_S, 20 * SIM_S, SECURE_FAIL_CERT_TIME);
}

/* A certificate of the right CA for another name fails. */
static void
test_cert_wrong_name (void)
{
  run_cert_failure (FALSE, "registrar2", SIM_H, 0, SECURE_FAIL_CERT);
}

/* Certificates from the same seed are identical DER; from another seed they differ. */
static void
test_cert_deterministic (void)
{
  g_autoptr (SecureCert) a = secure_cert_new_ca ("poolsim-ca", 1, 0, SIM_H);
  g_autoptr (SecureCert) b = secure_cert_new_ca ("poolsim-ca", 1, 0, SIM_H);
  g_autoptr (SecureCert) c = secure_cert_new_ca ("poolsim-ca", 2, 0, SIM_H);
  g_autoptr (GBytes) da = secure_cert_der (a);
  g_autoptr (GBytes) db = secure_cert_der (b);
  g_autoptr (GBytes) dc = secure_cert_der (c);
  g_assert_true (g_bytes_equal (da, db));
  g_assert_false (g_bytes_equal (da, dc));
  g_autoptr (SecureCert) ea = secure_cert_issue (a, "registrar1", 1, 0, SIM_H);
  g_autoptr (SecureCert) eb = secure_cert_issue (b, "registrar1", 1, 0, SIM_H);
  g_autoptr (GBytes) dea = secure_cert_der (ea);
  g_autoptr (GBytes) deb = secure_cert_der (eb);
  g_assert_true (g_bytes_equal (dea, deb));
}

/* ---- client certificates ------------------------------------------------------------- */

/* The client's certificate of the CA for an identity the server accepts: both up, the server knows "pe1". */
static void
test_mutual_good (void)
{
  World w;
  world_init (&w, 1);
  world_mutual (&w, "pe1", FALSE, SIM_H, TRUE);
  world_connect (&w);
  send_fill (w.capp.ch, 0, APP_PPID, w.kind_app, 100, 0x11);
  run_until (&w, SIM_S);
  g_assert_cmpstr (w.capp.log->str, ==, "up ");
  g_assert_cmpstr (w.sapp.log->str, ==, "up ");
  g_assert_cmpstr (w.sapp.identity, ==, "pe1");
  g_assert_null (w.capp.identity);
  g_assert_cmpuint (w.sapp.msgs->len, ==, 1);
  world_clear (&w);
}

/* A server that asks without requiring takes an anonymous client: up, no identity. */
static void
test_mutual_optional (void)
{
  World w;
  world_init (&w, 1);
  world_mutual (&w, NULL, FALSE, SIM_H, FALSE);
  world_connect (&w);
  send_fill (w.capp.ch, 0, APP_PPID, w.kind_app, 100, 0x11);
  run_until (&w, SIM_S);
  g_assert_cmpstr (w.sapp.log->str, ==, "up ");
  g_assert_null (w.sapp.identity);
  g_assert_cmpuint (w.sapp.msgs->len, ==, 1);
  world_clear (&w);
}

/*
 * The server refuses the client's certificate (or its absence) with reason
 * expect. TLS 1.3: the client has finished its handshake when the server
 * checks, so it sees UP, then the alert; nothing it sent is delivered.
 */
static void
run_mutual_failure (const char *cn, gboolean other_ca, SimTime until, SimTime connect_at, SecureFailure expect)
{
  World w;
  world_init (&w, 1);
  world_mutual (&w, cn, other_ca, until, TRUE);
  run_until (&w, connect_at);
  world_connect (&w);
  send_fill (w.capp.ch, 0, APP_PPID, w.kind_app, 100, 0x11);
  run_until (&w, connect_at + 10 * SIM_S);
  g_assert_cmpstr (w.sapp.log->str, ==, "cant-start ");
  g_assert_cmpint (w.sapp.failure, ==, expect);
  g_assert_cmpuint (secure_context_stats (w.sctx)->failures[expect], ==, 1);
  g_assert_cmpuint (secure_context_stats (w.sctx)->handshakes, ==, 0);
  g_assert_cmpstr (w.capp.log->str, ==, "up comm-lost ");
  g_assert_cmpint (w.capp.failure, ==, SECURE_FAIL_ALERT);
  g_assert_cmpuint (w.sapp.msgs->len, ==, 0);
  world_clear (&w);
}

/* A required client certificate that is missing fails as cert. */
static void
test_mutual_missing (void)
{
  run_mutual_failure (NULL, FALSE, SIM_H, 0, SECURE_FAIL_CERT);
}

/* A client certificate from another CA fails as cert. */
static void
test_mutual_other_ca (void)
{
  run_mutual_failure ("pe1", TRUE, SIM_H, 0, SECURE_FAIL_CERT);
}

/* A valid client certificate whose identity is not in the server's table fails as cert. */
static void
test_mutual_unknown_identity (void)
{
  run_mutual_failure ("pe9", FALSE, SIM_H, 0, SECURE_FAIL_CERT);
}

/* A client certificate valid for 10 s fails at simulated time 20 s as cert-time. */
static void
test_mutual_expired (void)
{
  run_mutual_failure ("pe1", FALSE, 10 * SIM_S, 20 * SIM_S, SECURE_FAIL_CERT_TIME);
}

/* ---- taps -------------------------------------------------------------------------- */

typedef struct {
  World     *w;
  NetTap    *tap;
  gboolean   replay;   /* FALSE: flip a byte of the first data record; TRUE: replay it */
  NetPacket *kept;
} Tap;

static void
tap_replay (SimKernel *k, gpointer ctx, gpointer data)
{
  Tap *t = ctx;
  net_tap_inject (t->tap, g_steal_pointer (&t->kept));
}

static NetTapVerdict
tap_fn (NetTap *tap, NetPacket *pkt, SimTime *delay, gpointer user_data)
{
  Tap *t = user_data;
  if (pkt->proto != NET_PROTO_SCTP || pkt->chunk != NET_CHUNK_DATA || pkt->dport != PORT
      || pkt->kind != t->w->kind_app || t->kept != NULL)
    return NET_TAP_PASS;
  if (t->replay)
    {
      /* An on-path tap knows the TSN and SSN: the copy is the next SCTP message, so TLS sees it. */
      t->kept = net_packet_copy (pkt);
      t->kept->tsn++;
      t->kept->ssn++;
      sim_kernel_schedule (t->w->t.kernel, 100 * SIM_MS, tap_replay, t, NULL);
      return NET_TAP_PASS;
    }
  gsize len;
  const guint8 *p = g_bytes_get_data (pkt->payload, &len);
  guint8 *copy = g_memdup2 (p, len);
  copy[20] ^= 0x01;
  g_autoptr (GBytes) evil = g_bytes_new_take (copy, len);
  net_packet_set_payload (pkt, evil);
  t->kept = net_packet_new ();  /* flip one record only */
  return NET_TAP_PASS;
}

static void
run_tap (gboolean replay)
{
  World w;
  world_init (&w, 1);
  world_psk (&w, key_a, key_a);
  Tap t = { &w, NULL, replay, NULL };
  t.tap = net_tap_attach_lan (net_lan (w.t.net, 0), w.evil, tap_fn, &t);
  world_connect (&w);
  send_fill (w.capp.ch, 0, APP_PPID, w.kind_app, 100, 0x11);
  run_until (&w, 10 * SIM_S);
  g_assert_cmpstr (w.sapp.log->str, ==, "up comm-lost ");
  g_assert_cmpint (w.sapp.failure, ==, SECURE_FAIL_RECORD);
  g_assert_cmpuint (secure_context_stats (w.sctx)->failures[SECURE_FAIL_RECORD], ==, 1);
  /* The original got through before the replay; the flipped one never. */
  g_assert_cmpuint (w.sapp.msgs->len, ==, replay ? 1 : 0);
  /* The client got the bad_record_mac alert before the ABORT behind it. */
  g_assert_cmpstr (w.capp.log->str, ==, "up comm-lost ");
  g_assert_cmpint (w.capp.failure, ==, SECURE_FAIL_ALERT);
  g_assert_cmpuint (secure_context_stats (w.cctx)->failures[SECURE_FAIL_ALERT], ==, 1);
  g_assert_null (w.capp.ch);
  net_packet_free (t.kept);
  world_clear (&w);
}

/* A flipped byte in a record fails AEAD authentication: alert, abort, COMMUNICATION_LOST, counted. */
static void
test_tamper (void)
{
  run_tap (FALSE);
}

/* A replayed record is rejected (its sequence number is behind): abort, counted. */
static void
test_replay (void)
{
  run_tap (TRUE);
}

/* ---- costs ----------------------------------------------------------------------------- */

static double
busy_ns (NetHost *h, SimTime now)
{
  NetCpuStats st;
  net_host_cpu_stats (h, &st);
  return st.utilization * (double) now;
}

/* CPU busy time = one handshake operation per side + one record operation per record each way. */
static void
test_costs (void)
{
  World w;
  world_init (&w, 1);
  SecureCosts costs = {
    .handshake_psk_client = 1000 * SIM_US, .handshake_psk_server = 700 * SIM_US, .record = 10 * SIM_US,
  };
  secure_define_cpu_ops (w.t.net, &costs);
  world_psk (&w, key_a, key_a);
  world_connect (&w);
  for (int i = 0; i < 3; i++)
    send_fill (w.capp.ch, 0, APP_PPID, w.kind_app, 100, 0x11);
  run_until (&w, SIM_S);
  send_fill (w.sapp.ch, 0, APP_PPID, w.kind_app, 100, 0x22);
  send_fill (w.sapp.ch, 0, APP_PPID, w.kind_app, 20000, 0x22);  /* two records */
  run_until (&w, 10 * SIM_S);
  g_assert_cmpuint (w.sapp.msgs->len, ==, 3);
  g_assert_cmpuint (w.capp.msgs->len, ==, 2);
  /* Client: handshake + 3 sent + 3 received; server: handshake + 3 received + 3 sent. */
  g_assert_cmpfloat (fabs (busy_ns (w.cli, 10 * SIM_S) - (1000 + 6 * 10) * 1e3), <, 1.0);
  g_assert_cmpfloat (fabs (busy_ns (w.srv, 10 * SIM_S) - (700 + 6 * 10) * 1e3), <, 1.0);
  world_clear (&w);
}

/* With client certificates each side pays its certificate handshake plus the client-certificate extra. */
static void
test_costs_client_cert (void)
{
  World w;
  world_init (&w, 1);
  SecureCosts costs = {
    .handshake_cert_client = 400 * SIM_US, .handshake_cert_server = 150 * SIM_US,
    .client_cert_client = 30 * SIM_US, .client_cert_server = 70 * SIM_US,
  };
  secure_define_cpu_ops (w.t.net, &costs);
  world_mutual (&w, "pe1", FALSE, SIM_H, TRUE);
  world_connect (&w);
  run_until (&w, SIM_S);
  g_assert_cmpstr (w.sapp.log->str, ==, "up ");
  g_assert_cmpfloat (fabs (busy_ns (w.cli, SIM_S) - 430e3), <, 1.0);
  g_assert_cmpfloat (fabs (busy_ns (w.srv, SIM_S) - 220e3), <, 1.0);
  world_clear (&w);
}

/* The default costs are the measured ones of secure.c. */
static void
test_costs_defaults (void)
{
  SecureCosts c;
  secure_costs_init_defaults (&c);
  g_assert_cmpint (c.handshake_psk_client, ==, 200 * SIM_US);
  g_assert_cmpint (c.handshake_psk_server, ==, 200 * SIM_US);
  g_assert_cmpint (c.handshake_cert_client, ==, 480 * SIM_US);
  g_assert_cmpint (c.handshake_cert_server, ==, 200 * SIM_US);
  g_assert_cmpint (c.client_cert_client, ==, 230 * SIM_US);
  g_assert_cmpint (c.client_cert_server, ==, 450 * SIM_US);
  g_assert_cmpint (c.record, ==, 700);
}

/* ---- keys and lifetime ----------------------------------------------------------------- */

/* Identities are authorized per pool handle. */
static void
test_key_table_pools (void)
{
  g_autoptr (SecureKeyTable) t = secure_key_table_new ();
  secure_key_table_add (t, "pe1", key_a, 16);
  secure_key_table_allow_pool (t, "pe1", (const guint8 *) "pool-a", 6);
  g_assert_true (secure_key_table_may_serve (t, "pe1", (const guint8 *) "pool-a", 6));
  g_assert_false (secure_key_table_may_serve (t, "pe1", (const guint8 *) "pool-b", 6));
  g_assert_false (secure_key_table_may_serve (t, "pe2", (const guint8 *) "pool-a", 6));
  g_assert_false (secure_key_table_may_serve (t, NULL, (const guint8 *) "pool-a", 6));
  g_assert_cmpuint (g_bytes_get_size (secure_key_table_lookup (t, "pe1")), ==, 16);
  g_assert_null (secure_key_table_lookup (t, "pe2"));
}

/* A crashed host's channels end with its associations, without events; the peer sees the association die. */
static void
test_host_crash (void)
{
  World w;
  world_init (&w, 1);
  world_psk (&w, key_a, key_a);
  world_connect (&w);
  run_until (&w, SIM_S);
  net_host_crash (w.srv);
  send_fill (w.capp.ch, 0, APP_PPID, w.kind_app, 100, 0x11);
  run_until (&w, 1000 * SIM_S);
  g_assert_cmpstr (w.sapp.log->str, ==, "up ");
  g_assert_cmpstr (w.capp.log->str, ==, "up comm-lost ");
  g_assert_cmpint (w.capp.failure, ==, SECURE_FAIL_NONE);
  world_clear (&w);
}

/* The upper layer aborts its channel: the peer gets ABORTED, no event here. */
static void
test_abort (void)
{
  World w;
  world_init (&w, 1);
  world_psk (&w, key_a, key_a);
  world_connect (&w);
  run_until (&w, SIM_S);
  secure_channel_abort (w.capp.ch);
  run_until (&w, 2 * SIM_S);
  g_assert_cmpstr (w.capp.log->str, ==, "up ");
  g_assert_cmpstr (w.sapp.log->str, ==, "up aborted ");
  world_clear (&w);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/models/secure/psk/messages", test_psk_messages);
  g_test_add_func ("/models/secure/psk/overhead", test_psk_overhead);
  g_test_add_func ("/models/secure/psk/mismatch", test_psk_mismatch);
  g_test_add_func ("/models/secure/psk/unknown-identity", test_psk_unknown_identity);
  g_test_add_func ("/models/secure/determinism", test_determinism);
  g_test_add_func ("/models/secure/cert/good", test_cert_good);
  g_test_add_func ("/models/secure/cert/other-ca", test_cert_other_ca);
  g_test_add_func ("/models/secure/cert/expired", test_cert_expired);
  g_test_add_func ("/models/secure/cert/wrong-name", test_cert_wrong_name);
  g_test_add_func ("/models/secure/cert/deterministic", test_cert_deterministic);
  g_test_add_func ("/models/secure/cert/mutual/good", test_mutual_good);
  g_test_add_func ("/models/secure/cert/mutual/optional", test_mutual_optional);
  g_test_add_func ("/models/secure/cert/mutual/missing", test_mutual_missing);
  g_test_add_func ("/models/secure/cert/mutual/other-ca", test_mutual_other_ca);
  g_test_add_func ("/models/secure/cert/mutual/unknown-identity", test_mutual_unknown_identity);
  g_test_add_func ("/models/secure/cert/mutual/expired", test_mutual_expired);
  g_test_add_func ("/models/secure/tamper", test_tamper);
  g_test_add_func ("/models/secure/replay", test_replay);
  g_test_add_func ("/models/secure/costs/charged", test_costs);
  g_test_add_func ("/models/secure/costs/client-cert", test_costs_client_cert);
  g_test_add_func ("/models/secure/costs/defaults", test_costs_defaults);
  g_test_add_func ("/models/secure/keys/pools", test_key_table_pools);
  g_test_add_func ("/models/secure/host-crash", test_host_crash);
  g_test_add_func ("/models/secure/abort", test_abort);
  return g_test_run ();
}
