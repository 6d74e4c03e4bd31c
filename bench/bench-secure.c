/*
 * bench/bench-secure.c - what TLS costs: the measurement behind the default
 * CPU costs of models/secure.c, and the speed of secure channels inside the
 * simulator.
 *
 * Part 1 (OpenSSL alone): the TLS configuration of the secure channels
 * (TLS 1.3, TLS_AES_128_GCM_SHA256, X25519, no tickets) between two SSL
 * objects over memory BIOs in one thread; the wall time of each side's
 * OpenSSL calls is summed separately over `n` handshakes (PSK; certificates:
 * a P-256 CA and server certificate, the client verifying chain and name;
 * mutual certificates: the client presenting its own certificate too, the
 * server requiring and verifying it), then over records of 100 bytes
 * (SSL_write on one side, SSL_read on the other). Setup (SSL_new, BIOs) is not counted. Randomness is OpenSSL's own.
 *
 * Part 2 (the simulator): two hosts on one LAN, costs 0 (wall time is what
 * is measured): PSK handshakes of channels opened one after the other, and
 * 100-byte messages over one channel, per wall second.
 *
 * Usage: bench-secure [HANDSHAKES [RECORDS]] (defaults 2000 and 200000).
 */
#include "config.h"

#include "tests/net-test-util.h"
#include "models/secure.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <time.h>

static gint64
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const unsigned char bench_key[16] = "0123456789abcdef";

static unsigned int
bench_psk_client (SSL *ssl, const char *hint, char *identity, unsigned int max_id, unsigned char *psk,
                  unsigned int max_psk)
{
  g_strlcpy (identity, "pe1", max_id);
  memcpy (psk, bench_key, sizeof bench_key);
  return sizeof bench_key;
}

static unsigned int
bench_psk_server (SSL *ssl, const char *identity, unsigned char *psk, unsigned int max_psk)
{
  memcpy (psk, bench_key, sizeof bench_key);
  return sizeof bench_key;
}

static SSL_CTX *
bench_ctx (gboolean server)
{
  SSL_CTX *ctx = SSL_CTX_new (server ? TLS_server_method () : TLS_client_method ());
  SSL_CTX_set_min_proto_version (ctx, TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version (ctx, TLS1_3_VERSION);
  SSL_CTX_set_ciphersuites (ctx, "TLS_AES_128_GCM_SHA256");
  SSL_CTX_set_num_tickets (ctx, 0);
  SSL_CTX_set_session_cache_mode (ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_clear_options (ctx, SSL_OP_ENABLE_MIDDLEBOX_COMPAT);
  return ctx;
}

static void
bench_ext (X509 *x, X509 *issuer, int nid, const char *value)
{
  X509V3_CTX v3;
  X509V3_set_ctx (&v3, issuer, x, NULL, NULL, 0);
  X509_EXTENSION *e = X509V3_EXT_conf_nid (NULL, &v3, nid, value);
  X509_add_ext (x, e, -1);
  X509_EXTENSION_free (e);
}

static X509 *
bench_cert (const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key)
{
  X509 *x = X509_new ();
  X509_set_version (x, X509_VERSION_3);
  ASN1_INTEGER_set (X509_get_serialNumber (x), 1);
  X509_gmtime_adj (X509_getm_notBefore (x), -3600);
  X509_gmtime_adj (X509_getm_notAfter (x), 3600);
  X509_NAME_add_entry_by_txt (X509_get_subject_name (x), "CN", MBSTRING_UTF8, (const unsigned char *) cn, -1, -1, 0);
  X509_set_issuer_name (x, X509_get_subject_name (issuer != NULL ? issuer : x));
  X509_set_pubkey (x, key);
  if (issuer == NULL)
    bench_ext (x, x, NID_basic_constraints, "critical,CA:TRUE");
  else
    {
      g_autofree char *san = g_strdup_printf ("DNS:%s", cn);
      bench_ext (x, issuer, NID_subject_alt_name, san);
      bench_ext (x, issuer, NID_ext_key_usage, "serverAuth,clientAuth");
    }
  X509_sign (x, issuer_key != NULL ? issuer_key : key, EVP_sha256 ());
  return x;
}

/* A certificate context: trusting ca (nullable), presenting cert with key (nullable), verifying as flags. */
static SSL_CTX *
bench_cert_ctx (gboolean server, X509 *ca, X509 *cert, EVP_PKEY *key, int flags)
{
  SSL_CTX *ctx = bench_ctx (server);
  SSL_CTX_set_verify (ctx, flags, NULL);
  if (ca != NULL)
    X509_STORE_add_cert (SSL_CTX_get_cert_store (ctx), ca);
  if (cert != NULL)
    {
      SSL_CTX_use_certificate (ctx, cert);
      SSL_CTX_use_PrivateKey (ctx, key);
    }
  return ctx;
}

/* Move what one side wrote to the other side's read BIO. */
static void
pump (SSL *from, SSL *to)
{
  char buf[32768];
  int n;
  while ((n = BIO_read (SSL_get_wbio (from), buf, sizeof buf)) > 0)
    BIO_write (SSL_get_rbio (to), buf, n);
}

static SSL *
bench_ssl (SSL_CTX *ctx, gboolean server)
{
  SSL *s = SSL_new (ctx);
  SSL_set_bio (s, BIO_new (BIO_s_mem ()), BIO_new (BIO_s_mem ()));
  if (server)
    SSL_set_accept_state (s);
  else
    SSL_set_connect_state (s);
  return s;
}

static void
bench_openssl (const char *what, SSL_CTX *cctx, SSL_CTX *sctx, gboolean cert, int n, int records)
{
  gint64 c_ns = 0, s_ns = 0, w_ns = 0, r_ns = 0;
  for (int i = 0; i < n; i++)
    {
      SSL *c = bench_ssl (cctx, FALSE), *s = bench_ssl (sctx, TRUE);
      if (cert)
        SSL_set1_host (c, "registrar1");
      int rc = 0, rs = 0;
      for (int round = 0; round < 10 && (rc != 1 || rs != 1); round++)
        {
          gint64 t0 = now_ns ();
          if (rc != 1)
            rc = SSL_do_handshake (c);
          gint64 t1 = now_ns ();
          c_ns += t1 - t0;
          pump (c, s);
          t0 = now_ns ();
          if (rs != 1)
            rs = SSL_do_handshake (s);
          t1 = now_ns ();
          s_ns += t1 - t0;
          pump (s, c);
        }
      if (rc != 1 || rs != 1)
        g_error ("bench: %s handshake failed", what);
      if (i == n - 1)
        {
          unsigned char msg[106] = { 0 }, out[200];
          for (int k = 0; k < records; k++)
            {
              gint64 t0 = now_ns ();
              SSL_write (c, msg, sizeof msg);
              gint64 t1 = now_ns ();
              pump (c, s);
              gint64 t2 = now_ns ();
              if (SSL_read (s, out, sizeof out) != sizeof msg)
                g_error ("bench: record lost");
              gint64 t3 = now_ns ();
              w_ns += t1 - t0;
              r_ns += t3 - t2;
            }
        }
      SSL_free (c);
      SSL_free (s);
    }
  printf ("openssl %-6s handshake: client %6.1f us, server %6.1f us  (%.0f handshakes/s)\n", what,
          c_ns / 1e3 / n, s_ns / 1e3 / n, n / ((c_ns + s_ns) / 1e9));
  if (records > 0)
    printf ("openssl record (100 B): protect %.2f us, unprotect %.2f us  (%.0f records/s)\n",
            w_ns / 1e3 / records, r_ns / 1e3 / records, records / ((w_ns + r_ns) / 1e9));
}

/* ---- in the simulator ---------------------------------------------------------- */

typedef struct {
  SecureContext *sctx;
  guint          up;
  guint          received;
} Sim;

static void
sim_event (SecureChannel *ch, NetAssocEvent ev, gpointer user_data)
{
  Sim *s = user_data;
  if (ev == NET_ASSOC_UP)
    s->up++;
}

static void
sim_receive (SecureChannel *ch, const NetMessage *m, gpointer user_data)
{
  ((Sim *) user_data)->received++;
}

static const SecureChannelCallbacks sim_callbacks = { sim_event, sim_receive };

static gboolean
sim_accept (NetListener *l, NetAssoc *a, gpointer user_data)
{
  Sim *s = user_data;
  secure_channel_accept (s->sctx, a, &sim_callbacks, s);
  return TRUE;
}

static void
bench_sim (int n, int records)
{
  TNet t;
  tnet_init (&t, 1, 1, SIM_MS, 1000000000, 0);
  NetHost *cli = tnet_host (&t, "cli", 0), *srv = tnet_host (&t, "srv", 0);
  SecureCosts zero = { 0 };
  secure_define_cpu_ops (t.net, &zero);
  g_autoptr (SecureKeyTable) keys = secure_key_table_new ();
  secure_key_table_add (keys, "pe1", bench_key, sizeof bench_key);
  SecureConfig cc = { .mode = SECURE_MODE_PSK, .label = "asap", .keys = keys, .identity = "pe1" };
  SecureConfig sc = { .mode = SECURE_MODE_PSK, .server = TRUE, .label = "asap", .keys = keys };
  SecureContext *cctx = secure_context_new (cli, 1, &cc, NULL);
  Sim s = { secure_context_new (srv, 1, &sc, NULL), 0, 0 };
  Sim cs = { NULL, 0, 0 };
  net_listen (srv, SECURE_ASAP_TLS_PORT, sim_accept, &s);
  NetAddr dst = net_host_address (srv, 0);
  NetKind kind = net_kind (t.net, "asap.registration");

  gint64 t0 = now_ns ();
  SecureChannel *last = NULL;
  for (int i = 0; i < n; i++)
    {
      last = secure_channel_connect (cctx, dst, SECURE_ASAP_TLS_PORT, NULL, &sim_callbacks, &cs);
      sim_kernel_run (t.kernel, (i + 1) * SIM_S);
      if (i < n - 1)
        secure_channel_abort (last);
    }
  gint64 t1 = now_ns ();
  if (cs.up != (guint) n)
    g_error ("bench: %u of %d channels up", cs.up, n);
  printf ("simulator psk handshakes: %.0f/s (wall, both ends, with SCTP setup)\n", n / ((t1 - t0) / 1e9));

  g_autoptr (GBytes) msg = tbytes (100, 0x11);
  t0 = now_ns ();
  SimTime at = sim_kernel_now (t.kernel);
  for (int k = 0; k < records; k++)
    {
      secure_channel_send (last, 0, 11, kind, msg);
      if (k % 1000 == 999)
        sim_kernel_run (t.kernel, at += SIM_S);
    }
  sim_kernel_run (t.kernel, at + 10 * SIM_S);
  t1 = now_ns ();
  if (s.received != (guint) records)
    g_error ("bench: %u of %d messages", s.received, records);
  printf ("simulator records (100 B): %.0f/s (wall, protect + deliver + unprotect)\n", records / ((t1 - t0) / 1e9));
  secure_context_free (cctx);
  secure_context_free (s.sctx);
  tnet_clear (&t);
}

int
main (int argc, char **argv)
{
  int n = argc > 1 ? atoi (argv[1]) : 2000;
  int records = argc > 2 ? atoi (argv[2]) : 200000;

  SSL_CTX *pc = bench_ctx (FALSE), *ps = bench_ctx (TRUE);
  SSL_CTX_set_psk_client_callback (pc, bench_psk_client);
  SSL_CTX_set_psk_server_callback (ps, bench_psk_server);
  bench_openssl ("psk", pc, ps, FALSE, n, records);

  EVP_PKEY *cak = EVP_EC_gen ("P-256"), *eek = EVP_EC_gen ("P-256");
  X509 *ca = bench_cert ("bench-ca", cak, NULL, NULL);
  X509 *ee = bench_cert ("registrar1", eek, ca, cak);
  SSL_CTX *cc = bench_cert_ctx (FALSE, ca, NULL, NULL, SSL_VERIFY_PEER);
  SSL_CTX *cs = bench_cert_ctx (TRUE, NULL, ee, eek, SSL_VERIFY_NONE);
  bench_openssl ("cert", cc, cs, TRUE, n / 4 > 0 ? n / 4 : 1, 0);

  /* Mutual: the client presents pe1's certificate, the server requires and verifies it. */
  EVP_PKEY *pek = EVP_EC_gen ("P-256");
  X509 *pe = bench_cert ("pe1", pek, ca, cak);
  SSL_CTX *mc = bench_cert_ctx (FALSE, ca, pe, pek, SSL_VERIFY_PEER);
  SSL_CTX *ms = bench_cert_ctx (TRUE, ca, ee, eek, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
  bench_openssl ("mutual", mc, ms, TRUE, n / 4 > 0 ? n / 4 : 1, 0);

  bench_sim (n, records);

  SSL_CTX_free (pc);
  SSL_CTX_free (ps);
  SSL_CTX_free (cc);
  SSL_CTX_free (cs);
  SSL_CTX_free (mc);
  SSL_CTX_free (ms);
  X509_free (pe);
  EVP_PKEY_free (pek);
  X509_free (ca);
  X509_free (ee);
  EVP_PKEY_free (cak);
  EVP_PKEY_free (eek);
  return 0;
}
