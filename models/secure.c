/*
 * models/secure.c - secure channels: TLS 1.3 through OpenSSL over memory
 * BIOs, carried on the simulated associations (DESIGN.md §5; RFC 5355 §3
 * requires TLS for ASAP and ENRP, §2.1–2.6 mutual authentication with PSK,
 * §2.7 the PU authenticating its registrar with certificates).
 *
 * Framing. Every SCTP message of a secure association carries whole TLS
 * records and nothing else, on stream 0 with the context's outer PPID (TLS
 * needs one ordered byte stream; SCTP orders per stream only): a handshake
 * flight, an alert, or the record(s) of exactly one upper-layer message. The
 * protected plaintext of a message is a 6-byte header (PPID 4 bytes, stream 2
 * bytes, network order) followed by the message, so a message of n <= 16378
 * bytes is one record of 5 (header) + 6 + n + 1 (inner content type) + 16
 * (AES-128-GCM tag) bytes: 28 bytes of overhead. The message's kind travels
 * as the SCTP message's kind, metadata of the simulator like every kind, so
 * the receiving CPU charges its per-kind service time as without TLS.
 * Handshake flights have the kind "secure.handshake", alerts "secure.alert".
 * A receiver that is left with part of a record after an SCTP message (a
 * tap truncated it) fails with SECURE_FAIL_PROTOCOL.
 *
 * TLS configuration: TLS 1.3 only, TLS_AES_128_GCM_SHA256, no session
 * tickets (SSL_CTX_set_num_tickets 0), no middlebox-compatibility records.
 * PSK: the client presents its identity through the PSK client callback and
 * the server looks the identity up in its key table (psk_dhe_ke: (EC)DHE on
 * top of the PSK, so the keys are fresh per association); an unknown
 * identity or a different key fails the handshake. CERT: the server presents
 * a certificate of the scenario CA; the client verifies chain and name
 * (SSL_set1_host) at the simulated time (X509_VERIFY_PARAM_set_time with
 * SECURE_TIME_EPOCH + now), so certificates expire in simulated time. A
 * server with a trusted CA (SecureConfig.trust) also asks the client for a
 * certificate (mutual authentication; required or optional): it verifies
 * the chain at simulated time and accepts the client's identity, the CN,
 * only if its key table holds it (the same table that authorizes PSK
 * identities); an unknown identity fails as SECURE_FAIL_CERT. A client
 * answers with its certificate (SecureConfig.cert) or, without one, none.
 * In TLS 1.3 the client completes its handshake before the server has
 * checked its certificate, so a client the server refuses sees NET_ASSOC_UP
 * and then the server's alert (NET_ASSOC_COMM_LOST, SECURE_FAIL_ALERT).
 *
 * Randomness (DESIGN.md §3). OpenSSL draws randomness for the hello randoms,
 * the (EC)DHE key shares, ECDSA nonces and the blinding of scalar
 * multiplications. In OpenSSL 3.0, RAND_bytes_ex / RAND_priv_bytes_ex (which
 * the TLS code and the default provider's key generation and signatures
 * call, with or without a library context) first ask RAND_get_rand_method()
 * and, when a method other than the built-in one is installed, use its
 * bytes() function; so a RAND_METHOD installed once per process
 * (RAND_set_rand_method, deprecated in 3.0 but present; this file alone
 * suppresses the deprecation) sees every draw. Checked on this machine
 * (Debian OpenSSL 3.0): the test /models/secure/determinism runs the same
 * PSK scenario twice and compares every SCTP payload byte for byte, and
 * /models/secure/cert/deterministic compares the DER of two CAs.
 * The method draws from the stream that is *current*: a thread-local pointer
 * set around every OpenSSL call that may draw (SSL_CTX_new, SSL_do_handshake,
 * SSL_read, SSL_write, key generation and signing) and restored after it.
 * Each channel has its own stream "secure/<host>/<label>/<peer>/<k>" (k: the
 * channels the context opened with that peer address before), each context
 * "secure/<host>/<label>/ctx", each certificate "secure/cert/<name>". This is
 * safe because a run is single-threaded and never yields inside an OpenSSL
 * call: the pointer names exactly the stream of the entity whose OpenSSL
 * call is on the stack. Several runs in one process (tests) are fine too:
 * the pointer is set per call, not per run, and a run's streams belong to
 * its channels; runs on different threads each have their own pointer. A
 * draw while no stream is current (only code outside the simulation) falls
 * back to OpenSSL's own DRBG and is counted (secure_rand_fallbacks).
 *
 * Costs (DESIGN.md §4, §5). A channel charges its host's CPU with named
 * operations (net_host_cpu_exec_op), never with measured wall time: the
 * client one SECURE_OP_HANDSHAKE_*_CLIENT before it writes its ClientHello,
 * the server one SECURE_OP_HANDSHAKE_*_SERVER when the first flight arrives
 * (covering every later flight of the handshake), and after the handshake
 * one SECURE_OP_RECORD per application record it protects (before sending)
 * or unprotects (after the association delivered the message and the CPU
 * served it). The defaults were measured once on the development machine
 * (2 cores, Debian OpenSSL 3.0.x, shared with other jobs, load ~3) with
 * `make bench-secure` (bench/bench-secure.c: the same TLS configuration
 * between two SSL objects over memory BIOs, the wall time of each side's
 * OpenSSL calls summed separately over 2 000 PSK and 500 certificate
 * handshakes and 200 000 records of 100 bytes, OpenSSL's own DRBG). Taken:
 * the minimum of 4 runs, as contention only adds time:
 *   PSK handshake (X25519):  client 197 us, server 198 us -> 200 us each;
 *   CERT handshake (X25519, P-256 ECDSA, chain of 2): client 480 us
 *   (two signature verifications), server 200 us -> 480 and 200 us;
 *   record (AES-128-GCM, 100 B): protect 0.70 us, unprotect 0.57 us -> 0.7 us.
 * Client certificates, measured later the same way on a quiet machine (load
 * 0.3, minimum of 4 runs of 500): the one-sided certificate handshake took
 * client 396 us, server 163 us there, the mutual one (the client signs its
 * CertificateVerify, the server verifies the client's chain) 629 and 609 us;
 * the differences are the extra operations SECURE_OP_CLIENT_CERT_*: client
 * 230 us (charged with its handshake when it holds a certificate), server
 * 450 us (charged when a client certificate has been checked; it occupies
 * the server's CPU but does not delay that handshake's own completion).
 * A record's cost does not grow with its size here (records of RSerPool
 * messages are small); the medians of the 4 runs were 10-20 % higher.
 *
 * Failures. A handshake that fails sends TLS's alert, aborts the association
 * and gives the upper layer NET_ASSOC_CANT_START; a record that fails
 * authentication after the handshake (a flipped byte, a replayed record: the
 * AEAD nonce is the record sequence number, so a copy re-sent later never
 * decrypts) sends bad_record_mac, aborts, and the upper layer gets
 * NET_ASSOC_COMM_LOST; the peer that receives an alert does the same with
 * SECURE_FAIL_ALERT. TLS cannot recover from a bad record, and neither does
 * this channel: that is the real behaviour. Every reason is counted.
 *
 * Not here: renegotiation and key update, session resumption, revocation,
 * graceful TLS close_notify (the association's shutdown ends the channel),
 * the scenario keys (the wiring step parses them into SecureKeyTable,
 * SecureCert and SecureCosts).
 */
#include "config.h"

/* RAND_set_rand_method and RAND_METHOD are deprecated in 3.0 and the only
 * hook that sees the TLS randoms without a custom provider: see above. */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "models/secure.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <string.h>

G_DEFINE_QUARK (secure-error-quark, secure_error)

#define SECURE_HEADER     6        /* PPID + stream inside the protected plaintext */
#define SECURE_MAX_RECORD 16384    /* TLS plaintext per record (RFC 8446 §5.1) */
#define SECURE_MAX_TIME   G_GINT64_CONSTANT (253402300799)  /* 9999-12-31T23:59:59Z */

/* ---- randomness ---------------------------------------------------------- */

static _Thread_local SimRng *secure_rand_current;
static gint secure_rand_fallback_count;

static int
secure_rand_bytes (unsigned char *buf, int num)
{
  SimRng *rng = secure_rand_current;
  if (rng == NULL)
    {
      g_atomic_int_inc (&secure_rand_fallback_count);
      return RAND_OpenSSL ()->bytes (buf, num);
    }
  for (int i = 0; i < num; i += 8)
    {
      guint64 v = sim_rng_next (rng);
      int n = MIN (8, num - i);
      for (int j = 0; j < n; j++)
        buf[i + j] = (unsigned char) (v >> (8 * j));
    }
  return 1;
}

static int
secure_rand_status (void)
{
  return 1;
}

static const RAND_METHOD secure_rand_method = {
  NULL, secure_rand_bytes, NULL, NULL, secure_rand_bytes, secure_rand_status,
};

static void
secure_rand_install (void)
{
  static gsize once = 0;
  if (g_once_init_enter (&once))
    {
      if (RAND_set_rand_method (&secure_rand_method) != 1)
        g_error ("secure: RAND_set_rand_method failed");
      g_once_init_leave (&once, 1);
    }
}

/* Make rng the current stream; returns the previous one for secure_rand_leave. */
static SimRng *
secure_rand_enter (SimRng *rng)
{
  SimRng *prev = secure_rand_current;
  secure_rand_current = rng;
  return prev;
}

static void
secure_rand_leave (SimRng *prev)
{
  secure_rand_current = prev;
}

guint64
secure_rand_fallbacks (void)
{
  return (guint64) (guint) g_atomic_int_get (&secure_rand_fallback_count);
}

/* ---- names --------------------------------------------------------------- */

static const char *const mode_names[] = { "none", "psk", "cert" };
static const char *const class_names[] = { "pe-registrar", "pu-registrar", "registrar-registrar", "pu-pe" };
static const char *const failure_names[] = { "none", "psk", "cert", "cert-time", "alert", "record", "protocol" };
G_STATIC_ASSERT (G_N_ELEMENTS (class_names) == SECURE_N_CLASSES);
G_STATIC_ASSERT (G_N_ELEMENTS (failure_names) == SECURE_N_FAILS);

const char *
secure_mode_name (SecureMode mode)
{
  g_return_val_if_fail (mode <= SECURE_MODE_CERT, "?");
  return mode_names[mode];
}

gboolean
secure_mode_parse (const char *text, SecureMode *mode)
{
  for (guint i = 0; i < G_N_ELEMENTS (mode_names); i++)
    if (g_strcmp0 (text, mode_names[i]) == 0)
      {
        *mode = (SecureMode) i;
        return TRUE;
      }
  return FALSE;
}

const char *
secure_class_name (SecureClass cls)
{
  g_return_val_if_fail (cls < SECURE_N_CLASSES, "?");
  return class_names[cls];
}

const char *
secure_failure_name (SecureFailure f)
{
  g_return_val_if_fail (f < SECURE_N_FAILS, "?");
  return failure_names[f];
}

/* ---- keys ---------------------------------------------------------------- */

typedef struct {
  GBytes    *key;
  GPtrArray *pools;   /* GBytes* handles */
} SecureKey;

struct SecureKeyTable {
  GHashTable        *keys;      /* identity -> SecureKey* (lookups only, never iterated) */
  SecureKeyResolver  resolver;  /* asked on a miss; its answers are cached in keys */
  gpointer           resolver_data;
};

static void
secure_key_free (SecureKey *k)
{
  g_bytes_unref (k->key);
  g_ptr_array_unref (k->pools);
  g_free (k);
}

SecureKeyTable *
secure_key_table_new (void)
{
  SecureKeyTable *t = g_new0 (SecureKeyTable, 1);
  t->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) secure_key_free);
  return t;
}

void
secure_key_table_free (SecureKeyTable *table)
{
  if (table == NULL)
    return;
  g_hash_table_unref (table->keys);
  g_free (table);
}

void
secure_key_table_add (SecureKeyTable *table, const char *identity, const guint8 *key, gsize len)
{
  g_return_if_fail (identity != NULL && *identity != '\0' && strlen (identity) <= 128);
  g_return_if_fail (len >= 1 && len <= 64);
  SecureKey *k = g_new0 (SecureKey, 1);
  k->key = g_bytes_new (key, len);
  k->pools = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_hash_table_replace (table->keys, g_strdup (identity), k);
}

void
secure_key_table_set_resolver (SecureKeyTable *table, SecureKeyResolver resolver, gpointer user_data)
{
  table->resolver = resolver;
  table->resolver_data = user_data;
}

GBytes *
secure_key_table_lookup (const SecureKeyTable *table, const char *identity)
{
  SecureKey *k = g_hash_table_lookup (table->keys, identity);
  if (k == NULL && table->resolver != NULL && *identity != '\0' && strlen (identity) <= 128)
    {
      guint8 key[64];
      gsize len = 0;
      if (!table->resolver (identity, key, &len, table->resolver_data) || len < 1 || len > sizeof key)
        return NULL;
      /* The cache is not part of the table's observable state: the resolver's answer is fixed. */
      secure_key_table_add ((SecureKeyTable *) table, identity, key, len);
      k = g_hash_table_lookup (table->keys, identity);
    }
  return k != NULL ? k->key : NULL;
}

void
secure_key_table_allow_pool (SecureKeyTable *table, const char *identity, const guint8 *handle, gsize len)
{
  SecureKey *k = g_hash_table_lookup (table->keys, identity);
  g_return_if_fail (k != NULL);
  g_ptr_array_add (k->pools, g_bytes_new (handle, len));
}

gboolean
secure_key_table_may_serve (const SecureKeyTable *table, const char *identity, const guint8 *handle, gsize len)
{
  SecureKey *k = identity != NULL ? g_hash_table_lookup (table->keys, identity) : NULL;
  if (k == NULL)
    return FALSE;
  g_autoptr (GBytes) h = g_bytes_new_static (handle, len);
  for (guint i = 0; i < k->pools->len; i++)
    if (g_bytes_equal (g_ptr_array_index (k->pools, i), h))
      return TRUE;
  return FALSE;
}

/* ---- certificates ---------------------------------------------------------- */

struct SecureCert {
  X509     *x509;
  EVP_PKEY *key;   /* nullable (a loaded CA certificate without key) */
};

void
secure_cert_free (SecureCert *cert)
{
  if (cert == NULL)
    return;
  X509_free (cert->x509);
  EVP_PKEY_free (cert->key);
  g_free (cert);
}

static void
asn1_time_set_sim (ASN1_TIME *t, SimTime st)
{
  gint64 secs = st / SIM_S >= SECURE_MAX_TIME - SECURE_TIME_EPOCH ? SECURE_MAX_TIME : SECURE_TIME_EPOCH + st / SIM_S;
  if (ASN1_TIME_set (t, (time_t) secs) == NULL)
    g_error ("secure: ASN1_TIME_set failed");
}

static void
add_ext (X509 *x, X509 *issuer, int nid, const char *value)
{
  X509V3_CTX v3;
  X509V3_set_ctx (&v3, issuer, x, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid (NULL, &v3, nid, value);
  if (ext == NULL || X509_add_ext (x, ext, -1) != 1)
    g_error ("secure: cannot add certificate extension %s=%s", OBJ_nid2sn (nid), value);
  X509_EXTENSION_free (ext);
}

/* Programmer-visible failures only: with valid arguments OpenSSL does not refuse these steps. */
static SecureCert *
make_cert (const SecureCert *ca, const char *name, const char *ip, guint64 seed, SimTime not_before,
           SimTime not_after)
{
  g_return_val_if_fail (name != NULL && *name != '\0', NULL);
  g_return_val_if_fail (ca == NULL || ca->key != NULL, NULL);
  secure_rand_install ();
  SimRng rng;
  sim_rng_init_fmt (&rng, seed, "secure/cert/%s", name);
  SimRng *prev = secure_rand_enter (&rng);

  SecureCert *c = g_new0 (SecureCert, 1);
  c->key = EVP_EC_gen ("P-256");
  c->x509 = X509_new ();
  if (c->key == NULL || c->x509 == NULL)
    g_error ("secure: cannot create a P-256 key or certificate");
  X509 *x = c->x509;
  X509 *issuer = ca != NULL ? ca->x509 : x;
  X509_set_version (x, X509_VERSION_3);
  ASN1_INTEGER_set_uint64 (X509_get_serialNumber (x), sim_rng_next (&rng) >> 1);
  asn1_time_set_sim (X509_getm_notBefore (x), not_before);
  asn1_time_set_sim (X509_getm_notAfter (x), not_after);
  X509_NAME *subject = X509_get_subject_name (x);
  X509_NAME_add_entry_by_txt (subject, "CN", MBSTRING_UTF8, (const unsigned char *) name, -1, -1, 0);
  X509_set_issuer_name (x, X509_get_subject_name (issuer));
  X509_set_pubkey (x, c->key);
  add_ext (x, issuer, NID_subject_key_identifier, "hash");
  if (ca == NULL)
    {
      add_ext (x, issuer, NID_basic_constraints, "critical,CA:TRUE");
      add_ext (x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
    }
  else
    {
      g_autofree char *san = ip != NULL ? g_strdup_printf ("DNS:%s,IP:%s", name, ip)
                                        : g_strdup_printf ("DNS:%s", name);
      add_ext (x, issuer, NID_authority_key_identifier, "keyid:always");
      add_ext (x, issuer, NID_basic_constraints, "critical,CA:FALSE");
      add_ext (x, issuer, NID_key_usage, "critical,digitalSignature");
      add_ext (x, issuer, NID_ext_key_usage, "serverAuth,clientAuth");
      add_ext (x, issuer, NID_subject_alt_name, san);
    }
  if (X509_sign (x, ca != NULL ? ca->key : c->key, EVP_sha256 ()) <= 0)
    g_error ("secure: X509_sign failed");
  secure_rand_leave (prev);
  return c;
}

SecureCert *
secure_cert_new_ca (const char *name, guint64 seed, SimTime not_before, SimTime not_after)
{
  return make_cert (NULL, name, NULL, seed, not_before, not_after);
}

SecureCert *
secure_cert_issue (const SecureCert *ca, const char *name, guint64 seed, SimTime not_before, SimTime not_after)
{
  g_return_val_if_fail (ca != NULL, NULL);
  return make_cert (ca, name, NULL, seed, not_before, not_after);
}

SecureCert *
secure_cert_issue_ip (const SecureCert *ca, const char *name, const char *ip, guint64 seed, SimTime not_before,
                      SimTime not_after)
{
  g_return_val_if_fail (ca != NULL && ip != NULL, NULL);
  return make_cert (ca, name, ip, seed, not_before, not_after);
}

static void
set_openssl_error (GError **error, gint code, const char *what)
{
  unsigned long e = ERR_get_error ();
  char buf[256];
  ERR_error_string_n (e, buf, sizeof buf);
  ERR_clear_error ();
  g_set_error (error, SECURE_ERROR, code, "%s: %s", what, e != 0 ? buf : "no object");
}

SecureCert *
secure_cert_load (const char *cert_path, const char *key_path, GError **error)
{
  secure_rand_install ();
  g_autoptr (SecureCert) c = g_new0 (SecureCert, 1);
  BIO *b = BIO_new_file (cert_path, "r");
  if (b == NULL)
    {
      set_openssl_error (error, SECURE_ERROR_FILE, cert_path);
      return NULL;
    }
  c->x509 = PEM_read_bio_X509 (b, NULL, NULL, NULL);
  BIO_free (b);
  if (c->x509 == NULL)
    {
      set_openssl_error (error, SECURE_ERROR_FILE, cert_path);
      return NULL;
    }
  if (key_path != NULL)
    {
      b = BIO_new_file (key_path, "r");
      if (b != NULL)
        {
          c->key = PEM_read_bio_PrivateKey (b, NULL, NULL, NULL);
          BIO_free (b);
        }
      if (c->key == NULL)
        {
          set_openssl_error (error, SECURE_ERROR_FILE, key_path);
          return NULL;
        }
      if (X509_check_private_key (c->x509, c->key) != 1)
        {
          set_openssl_error (error, SECURE_ERROR_OPENSSL, key_path);
          return NULL;
        }
    }
  return g_steal_pointer (&c);
}

gboolean
secure_cert_save (const SecureCert *cert, const char *cert_path, const char *key_path, GError **error)
{
  g_return_val_if_fail (cert != NULL && cert_path != NULL, FALSE);
  g_return_val_if_fail (key_path == NULL || cert->key != NULL, FALSE);
  BIO *b = BIO_new_file (cert_path, "w");
  gboolean ok = b != NULL && PEM_write_bio_X509 (b, cert->x509) == 1;
  BIO_free (b);
  if (!ok)
    {
      set_openssl_error (error, SECURE_ERROR_FILE, cert_path);
      return FALSE;
    }
  if (key_path == NULL)
    return TRUE;
  b = BIO_new_file (key_path, "w");
  ok = b != NULL && PEM_write_bio_PrivateKey (b, cert->key, NULL, NULL, 0, NULL, NULL) == 1;
  BIO_free (b);
  if (!ok)
    set_openssl_error (error, SECURE_ERROR_FILE, key_path);
  return ok;
}

GBytes *
secure_cert_der (const SecureCert *cert)
{
  unsigned char *der = NULL;
  int n = i2d_X509 (cert->x509, &der);
  g_assert (n > 0);
  GBytes *b = g_bytes_new (der, (gsize) n);
  OPENSSL_free (der);
  return b;
}

/* ---- costs ----------------------------------------------------------------- */

void
secure_costs_init_defaults (SecureCosts *costs)
{
  /* Measured once by bench/bench-secure.c, see the top comment. */
  costs->handshake_psk_client = 200 * SIM_US;
  costs->handshake_psk_server = 200 * SIM_US;
  costs->handshake_cert_client = 480 * SIM_US;
  costs->handshake_cert_server = 200 * SIM_US;
  costs->client_cert_client = 230 * SIM_US;
  costs->client_cert_server = 450 * SIM_US;
  costs->record = 700 * SIM_NS;
}

static void
define_const_op (Net *net, const char *op, SimTime t)
{
  SimDist d = { SIM_DIST_CONSTANT, SIM_UNIT_TIME, (double) t, 0 };
  net_cpu_define_op (net, op, &d);
}

void
secure_define_cpu_ops (Net *net, const SecureCosts *costs)
{
  define_const_op (net, SECURE_OP_HANDSHAKE_PSK_CLIENT, costs->handshake_psk_client);
  define_const_op (net, SECURE_OP_HANDSHAKE_PSK_SERVER, costs->handshake_psk_server);
  define_const_op (net, SECURE_OP_HANDSHAKE_CERT_CLIENT, costs->handshake_cert_client);
  define_const_op (net, SECURE_OP_HANDSHAKE_CERT_SERVER, costs->handshake_cert_server);
  define_const_op (net, SECURE_OP_CLIENT_CERT_CLIENT, costs->client_cert_client);
  define_const_op (net, SECURE_OP_CLIENT_CERT_SERVER, costs->client_cert_server);
  define_const_op (net, SECURE_OP_RECORD, costs->record);
}

/* ---- contexts ---------------------------------------------------------------- */

struct SecureContext {
  NetHost     *host;
  Net         *net;
  guint64      seed;
  SecureConfig cfg;
  char        *label;
  char        *identity;
  SSL_CTX     *ssl_ctx;
  SimRng       rng;          /* "secure/<host>/<label>/ctx" */
  GHashTable  *peer_counts;  /* NetAddr -> channels opened with it (lookups only) */
  GQueue       channels;     /* live SecureChannel (via their link) */
  NetKind      kind_handshake;
  NetKind      kind_alert;
  SecureStats  stats;
};

typedef struct {
  guint16  stream;
  guint32  ppid;
  NetKind  kind;
  GBytes  *data;
} SecurePending;

struct SecureChannel {
  SecureContext *ctx;          /* NULL once dead */
  NetAssoc      *assoc;        /* the association it is the layer of; NULL once gone */
  SSL           *ssl;          /* NULL once dead */
  SimRng         rng;
  SecureChannelCallbacks cb;   /* the channel API's upper layer (adapter), or none */
  gpointer       user_data;
  gboolean       adapter;      /* opened through secure_channel_connect/accept: holds a reference */
  GQueue         pending;      /* SecurePending* waiting for the handshake */
  GQueue         input;        /* SecureInput* received, waiting for their turn */
  gboolean       input_busy;   /* one input is being charged or processed */
  guint          sending;      /* messages being protected (CPU jobs) */
  gboolean       shutdown;     /* the upper layer asked for a graceful shutdown */
  char          *peer_identity;
  GList          link;         /* in ctx->channels */
  guint          refs;         /* 1 while alive, + 1 for the adapter, + 1 per CPU job and per running function */
  gboolean       dead;
  gboolean       up;           /* handshake complete */
  gboolean       hs_charged;   /* server: the handshake's CPU cost is paid */
  gboolean       psk_unknown;  /* server: the client's identity was not in the table */
  gboolean       client_cert;  /* server: a client certificate was checked (its cost is due) */
  gboolean       client_cert_charged;
  gboolean       cert_unknown; /* server: the client's certificate verified, its CN is not in the table */
  SecureFailure  failure;
};

static void
pending_free (SecurePending *p)
{
  g_bytes_unref (p->data);
  g_free (p);
}

static SecureChannel *
channel_ref (SecureChannel *ch)
{
  ch->refs++;
  return ch;
}

static void
channel_unref (SecureChannel *ch)
{
  g_assert (ch->refs > 0);
  if (--ch->refs > 0)
    return;
  g_assert (ch->dead);
  g_free (ch->peer_identity);
  g_free (ch);
}

static void
channel_unref_cb (gpointer data)
{
  channel_unref (data);
}

/* A received SCTP message waiting to be charged and fed to TLS. */
typedef struct {
  SecureChannel *ch;       /* a reference while charged; NULL while queued */
  GBytes        *data;
  NetKind        kind;
  guint          records;  /* application records it was charged for */
} SecureInput;

static void
input_free (gpointer data)
{
  SecureInput *in = data;
  if (in->ch != NULL)
    channel_unref (in->ch);
  g_bytes_unref (in->data);
  g_free (in);
}

static void     layer_up (NetAssoc *assoc, gpointer data);
static gboolean layer_send (NetAssoc *assoc, guint16 stream, guint32 ppid, NetKind kind, GBytes *msg,
                            gpointer data);
static void     layer_receive (NetAssoc *assoc, const NetMessage *msg, gpointer data);
static void     layer_shutdown (NetAssoc *assoc, gpointer data);
static void     layer_gone (NetAssoc *assoc, gboolean told, gpointer data);
static const NetAssocLayer secure_layer = { layer_up, layer_send, layer_receive, layer_shutdown, layer_gone };

/* The channel ends: no more callbacks; abort_assoc aborts a still-open association. */
static void
channel_kill (SecureChannel *ch, gboolean abort_assoc)
{
  if (ch->dead)
    return;
  ch->dead = TRUE;
  if (ch->assoc != NULL && abort_assoc)
    net_assoc_abort (ch->assoc);
  ch->assoc = NULL;
  g_queue_unlink (&ch->ctx->channels, &ch->link);
  SSL_free (ch->ssl);
  ch->ssl = NULL;
  g_queue_clear_full (&ch->pending, (GDestroyNotify) pending_free);
  g_queue_clear_full (&ch->input, input_free);
  ch->ctx = NULL;
  channel_unref (ch);
}

static unsigned int
psk_client_cb (SSL *ssl, const char *hint, char *identity, unsigned int max_identity_len, unsigned char *psk,
               unsigned int max_psk_len)
{
  SecureChannel *ch = SSL_get_app_data (ssl);
  SecureContext *ctx = ch->ctx;
  GBytes *key = ctx->cfg.keys != NULL && ctx->identity != NULL
                ? secure_key_table_lookup (ctx->cfg.keys, ctx->identity) : NULL;
  if (key == NULL || strlen (ctx->identity) + 1 > max_identity_len || g_bytes_get_size (key) > max_psk_len)
    return 0;
  strcpy (identity, ctx->identity);
  memcpy (psk, g_bytes_get_data (key, NULL), g_bytes_get_size (key));
  return (unsigned int) g_bytes_get_size (key);
}

static unsigned int
psk_server_cb (SSL *ssl, const char *identity, unsigned char *psk, unsigned int max_psk_len)
{
  SecureChannel *ch = SSL_get_app_data (ssl);
  GBytes *key = identity != NULL ? secure_key_table_lookup (ch->ctx->cfg.keys, identity) : NULL;
  if (key == NULL || g_bytes_get_size (key) > max_psk_len)
    {
      ch->psk_unknown = TRUE;
      return 0;
    }
  g_free (ch->peer_identity);
  ch->peer_identity = g_strdup (identity);
  memcpy (psk, g_bytes_get_data (key, NULL), g_bytes_get_size (key));
  return (unsigned int) g_bytes_get_size (key);
}

/*
 * Server: the client's certificate. At depth 0 (the client's own, after its
 * chain verified at the simulated time) its CN becomes the peer identity if
 * the key table holds it.
 */
static int
client_verify_cb (int ok, X509_STORE_CTX *store)
{
  SSL *ssl = X509_STORE_CTX_get_ex_data (store, SSL_get_ex_data_X509_STORE_CTX_idx ());
  SecureChannel *ch = SSL_get_app_data (ssl);
  if (!ch->ctx->cfg.server)
    return ok;
  ch->client_cert = TRUE;   /* a certificate is being checked, whatever the outcome: its cost is due */
  if (!ok || X509_STORE_CTX_get_error_depth (store) != 0)
    return ok;
  X509_NAME *subject = X509_get_subject_name (X509_STORE_CTX_get_current_cert (store));
  int i = X509_NAME_get_index_by_NID (subject, NID_commonName, -1);
  unsigned char *cn = NULL;
  int n = i >= 0 ? ASN1_STRING_to_UTF8 (&cn, X509_NAME_ENTRY_get_data (X509_NAME_get_entry (subject, i))) : -1;
  gboolean known = n > 0 && n <= 128 && memchr (cn, '\0', (size_t) n) == NULL && ch->ctx->cfg.keys != NULL
                   && secure_key_table_lookup (ch->ctx->cfg.keys, (const char *) cn) != NULL;
  if (known)
    {
      g_free (ch->peer_identity);
      ch->peer_identity = g_strdup ((const char *) cn);
    }
  OPENSSL_free (cn);
  if (!known)
    {
      ch->cert_unknown = TRUE;
      X509_STORE_CTX_set_error (store, X509_V_ERR_APPLICATION_VERIFICATION);
      return 0;
    }
  return 1;
}

SecureContext *
secure_context_new (NetHost *host, guint64 seed, const SecureConfig *cfg, GError **error)
{
  g_return_val_if_fail (host != NULL && cfg != NULL && cfg->label != NULL, NULL);
  g_return_val_if_fail (cfg->mode == SECURE_MODE_PSK || cfg->mode == SECURE_MODE_CERT, NULL);
  if (cfg->mode == SECURE_MODE_PSK && (cfg->keys == NULL || (!cfg->server && cfg->identity == NULL)))
    {
      g_set_error (error, SECURE_ERROR, SECURE_ERROR_CONFIG, "%s: PSK mode needs a key table%s",
                   net_host_name (host), cfg->server ? "" : " and an identity");
      return NULL;
    }
  if ((cfg->mode == SECURE_MODE_CERT && (cfg->server ? cfg->cert == NULL || cfg->cert->key == NULL
                                                     : cfg->trust == NULL))
      || (cfg->server && cfg->trust != NULL && cfg->keys == NULL)
      || (!cfg->server && cfg->mode == SECURE_MODE_CERT && cfg->cert != NULL && cfg->cert->key == NULL))
    {
      g_set_error (error, SECURE_ERROR, SECURE_ERROR_CONFIG, "%s: certificate mode needs %s",
                   net_host_name (host),
                   cfg->server ? (cfg->cert == NULL || cfg->cert->key == NULL
                                    ? "a certificate with its key" : "a key table to check client certificates")
                               : (cfg->trust == NULL ? "a trusted CA" : "the key of the client certificate"));
      return NULL;
    }
  secure_rand_install ();
  g_autoptr (SecureContext) ctx = g_new0 (SecureContext, 1);
  ctx->host = host;
  ctx->net = net_host_net (host);
  ctx->seed = seed;
  ctx->cfg = *cfg;
  ctx->label = g_strdup (cfg->label);
  ctx->identity = g_strdup (cfg->identity);
  ctx->cfg.label = ctx->label;
  ctx->cfg.identity = ctx->identity;
  ctx->peer_counts = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_queue_init (&ctx->channels);
  ctx->kind_handshake = net_kind (ctx->net, "secure.handshake");
  ctx->kind_alert = net_kind (ctx->net, "secure.alert");
  sim_rng_init_fmt (&ctx->rng, seed, "secure/%s/%s/ctx", net_host_name (host), cfg->label);

  ctx->cfg.share = NULL;
  if (cfg->share != NULL)
    {
      const SecureConfig *o = &cfg->share->cfg;
      g_return_val_if_fail (o->mode == cfg->mode && o->server == cfg->server && o->keys == cfg->keys
                            && o->cert == cfg->cert && o->trust == cfg->trust && o->ppid == cfg->ppid
                            && o->require_client_cert == cfg->require_client_cert, NULL);
      SSL_CTX_up_ref (cfg->share->ssl_ctx);
      ctx->ssl_ctx = cfg->share->ssl_ctx;
      return g_steal_pointer (&ctx);
    }
  SimRng *prev = secure_rand_enter (&ctx->rng);
  ctx->ssl_ctx = SSL_CTX_new (cfg->server ? TLS_server_method () : TLS_client_method ());
  gboolean ok = ctx->ssl_ctx != NULL
                && SSL_CTX_set_min_proto_version (ctx->ssl_ctx, TLS1_3_VERSION) == 1
                && SSL_CTX_set_max_proto_version (ctx->ssl_ctx, TLS1_3_VERSION) == 1
                && SSL_CTX_set_ciphersuites (ctx->ssl_ctx, "TLS_AES_128_GCM_SHA256") == 1
                && SSL_CTX_set_num_tickets (ctx->ssl_ctx, 0) == 1;
  if (ok)
    {
      SSL_CTX_set_session_cache_mode (ctx->ssl_ctx, SSL_SESS_CACHE_OFF);
      SSL_CTX_clear_options (ctx->ssl_ctx, SSL_OP_ENABLE_MIDDLEBOX_COMPAT);
      if (cfg->server)
        {
          /* A server takes both kinds of client when it has both a key table and a certificate. */
          if (cfg->keys != NULL)
            SSL_CTX_set_psk_server_callback (ctx->ssl_ctx, psk_server_cb);
          if (cfg->cert != NULL)
            ok = SSL_CTX_use_certificate (ctx->ssl_ctx, cfg->cert->x509) == 1
                 && SSL_CTX_use_PrivateKey (ctx->ssl_ctx, cfg->cert->key) == 1
                 && SSL_CTX_check_private_key (ctx->ssl_ctx) == 1;
          if (ok && cfg->trust != NULL)
            {
              /* Ask for a client certificate (TLS 1.3 sends no CertificateRequest in a PSK handshake). */
              SSL_CTX_set_verify (ctx->ssl_ctx,
                                  SSL_VERIFY_PEER | (cfg->require_client_cert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                                  client_verify_cb);
              ok = X509_STORE_add_cert (SSL_CTX_get_cert_store (ctx->ssl_ctx), cfg->trust->x509) == 1;
            }
        }
      else if (cfg->mode == SECURE_MODE_PSK)
        {
          /* A PSK client trusts no certificate: a server that does not take its key cannot
           * complete the handshake with a certificate instead. */
          SSL_CTX_set_psk_client_callback (ctx->ssl_ctx, psk_client_cb);
          SSL_CTX_set_verify (ctx->ssl_ctx, SSL_VERIFY_PEER, NULL);
        }
      else
        {
          SSL_CTX_set_verify (ctx->ssl_ctx, SSL_VERIFY_PEER, NULL);
          ok = X509_STORE_add_cert (SSL_CTX_get_cert_store (ctx->ssl_ctx), cfg->trust->x509) == 1;
          if (ok && cfg->cert != NULL)
            ok = SSL_CTX_use_certificate (ctx->ssl_ctx, cfg->cert->x509) == 1
                 && SSL_CTX_use_PrivateKey (ctx->ssl_ctx, cfg->cert->key) == 1
                 && SSL_CTX_check_private_key (ctx->ssl_ctx) == 1;
        }
    }
  secure_rand_leave (prev);
  if (!ok)
    {
      set_openssl_error (error, SECURE_ERROR_OPENSSL, net_host_name (host));
      return NULL;
    }
  return g_steal_pointer (&ctx);
}

void
secure_context_free (SecureContext *ctx)
{
  if (ctx == NULL)
    return;
  while (ctx->channels.head != NULL)
    channel_kill (ctx->channels.head->data, TRUE);
  SSL_CTX_free (ctx->ssl_ctx);
  if (ctx->peer_counts != NULL)
    g_hash_table_unref (ctx->peer_counts);
  g_free (ctx->label);
  g_free (ctx->identity);
  g_free (ctx);
}

const SecureStats *
secure_context_stats (const SecureContext *ctx)
{
  return &ctx->stats;
}

/* ---- channels: plumbing ------------------------------------------------------ */

static SecureChannel *
channel_new (SecureContext *ctx, NetAddr peer)
{
  SecureChannel *ch = g_new0 (SecureChannel, 1);
  ch->ctx = ctx;
  ch->refs = 1;
  g_queue_init (&ch->pending);
  ch->link.data = ch;
  g_queue_push_tail_link (&ctx->channels, &ch->link);
  guint k = GPOINTER_TO_UINT (g_hash_table_lookup (ctx->peer_counts, GUINT_TO_POINTER (peer)));
  g_hash_table_insert (ctx->peer_counts, GUINT_TO_POINTER (peer), GUINT_TO_POINTER (k + 1));
  char addr[16];
  sim_rng_init_fmt (&ch->rng, ctx->seed, "secure/%s/%s/%s/%u", net_host_name (ctx->host), ctx->label,
                    net_addr_format (peer, addr, sizeof addr), k);
  SimRng *prev = secure_rand_enter (&ch->rng);
  ch->ssl = SSL_new (ctx->ssl_ctx);
  if (ch->ssl == NULL)
    g_error ("secure: SSL_new failed");
  SSL_set_app_data (ch->ssl, ch);
  SSL_set_bio (ch->ssl, BIO_new (BIO_s_mem ()), BIO_new (BIO_s_mem ()));
  if (ctx->cfg.server)
    SSL_set_accept_state (ch->ssl);
  else
    SSL_set_connect_state (ch->ssl);
  secure_rand_leave (prev);
  return ch;
}

/* Send what TLS wrote as one SCTP message of kind. */
static void
channel_flush (SecureChannel *ch, NetKind kind)
{
  BIO *wbio = SSL_get_wbio (ch->ssl);
  size_t n = BIO_ctrl_pending (wbio);
  if (n == 0)
    return;
  guint8 *buf = g_malloc (n);
  int got = BIO_read (wbio, buf, (int) n);
  g_assert (got == (int) n);
  g_autoptr (GBytes) bytes = g_bytes_new_take (buf, n);
  if (ch->assoc != NULL && net_assoc_layer_send (ch->assoc, 0, ch->ctx->cfg.ppid, kind, bytes))
    ch->ctx->stats.bytes_sent += n;
}

static SecureFailure
classify (SecureChannel *ch)
{
  SecureContext *ctx = ch->ctx;
  if (!ch->up && (ctx->cfg.server ? ch->client_cert : ctx->cfg.mode == SECURE_MODE_CERT))
    {
      long v = SSL_get_verify_result (ch->ssl);
      if (v == X509_V_ERR_CERT_HAS_EXPIRED || v == X509_V_ERR_CERT_NOT_YET_VALID)
        return SECURE_FAIL_CERT_TIME;
      if (v != X509_V_OK || ch->cert_unknown)
        return SECURE_FAIL_CERT;
    }
  if (ch->psk_unknown)
    return SECURE_FAIL_PSK;
  /* A PSK-only server whose client offered no key at all: unauthenticated, as an unknown identity is. */
  if (ctx->cfg.server && ctx->cfg.mode == SECURE_MODE_PSK && ctx->cfg.cert == NULL && !ch->up
      && ch->peer_identity == NULL)
    return SECURE_FAIL_PSK;
  int reason = ERR_GET_REASON (ERR_peek_error ());
  if (reason == SSL_R_BINDER_DOES_NOT_VERIFY)
    return SECURE_FAIL_PSK;
  if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
    return SECURE_FAIL_CERT;   /* a server that requires a client certificate got none */
  if (reason == SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC)
    return SECURE_FAIL_RECORD;
  if (reason >= SSL_AD_REASON_OFFSET)
    return SECURE_FAIL_ALERT;
  return SECURE_FAIL_PROTOCOL;
}

/* TLS failed: send its alert, abort the association; the upper layer gets CANT_START or COMM_LOST. */
static void
channel_fail (SecureChannel *ch, SecureFailure why)
{
  ERR_clear_error ();
  ch->failure = why;
  ch->ctx->stats.failures[why]++;
  channel_flush (ch, ch->ctx->kind_alert);
  if (ch->assoc != NULL)
    net_assoc_layer_fail (ch->assoc, ch->up ? NET_ASSOC_COMM_LOST : NET_ASSOC_CANT_START);  /* -> layer_gone */
  else
    channel_kill (ch, FALSE);
}

/* The upper layer asked for a shutdown and every message it sent is on the wire: shut the wire down. */
static void
channel_shutdown_if_idle (SecureChannel *ch)
{
  if (!ch->dead && ch->shutdown && ch->up && ch->sending == 0 && g_queue_is_empty (&ch->pending)
      && ch->assoc != NULL)
    net_assoc_layer_shutdown (ch->assoc);
}

static void
cpu_nop (NetHost *host, gpointer data)
{
}

/* Charge n x op, then run fn (ch) — unless the channel died meanwhile. */
static void
channel_charge (SecureChannel *ch, const char *op, guint n, NetKind kind, NetCpuFn fn, gpointer data,
                GDestroyNotify destroy)
{
  NetHost *host = ch->ctx->host;
  for (guint i = 1; i < n; i++)
    net_host_cpu_exec_op (host, op, kind, cpu_nop, NULL, NULL);
  if (op != NULL && n > 0)
    net_host_cpu_exec_op (host, op, kind, fn, data, destroy);
  else
    net_host_cpu_exec (host, 0, kind, fn, data, destroy);
}

static const char *
handshake_op (const SecureContext *ctx)
{
  if (ctx->cfg.mode == SECURE_MODE_PSK)
    return ctx->cfg.server ? SECURE_OP_HANDSHAKE_PSK_SERVER : SECURE_OP_HANDSHAKE_PSK_CLIENT;
  return ctx->cfg.server ? SECURE_OP_HANDSHAKE_CERT_SERVER : SECURE_OP_HANDSHAKE_CERT_CLIENT;
}

/* ---- channels: sending ---------------------------------------------------------- */

typedef struct {
  SecureChannel *ch;
  SecurePending *msg;
  gboolean       ran;
} SecureJob;

static void
job_free (gpointer data)
{
  SecureJob *job = data;
  if (!job->ran)
    job->ch->sending--;
  channel_unref (job->ch);
  pending_free (job->msg);
  g_free (job);
}

static guint
records_for (gsize plain_len)
{
  return (guint) ((plain_len + SECURE_HEADER + SECURE_MAX_RECORD - 1) / SECURE_MAX_RECORD);
}

static void
send_job (NetHost *host, gpointer data)
{
  SecureJob *job = data;
  SecureChannel *ch = job->ch;
  job->ran = TRUE;
  ch->sending--;
  if (ch->dead || ch->assoc == NULL)
    return;
  gsize len;
  const guint8 *p = g_bytes_get_data (job->msg->data, &len);
  guint8 *plain = g_malloc (len + SECURE_HEADER);
  plain[0] = (guint8) (job->msg->ppid >> 24);
  plain[1] = (guint8) (job->msg->ppid >> 16);
  plain[2] = (guint8) (job->msg->ppid >> 8);
  plain[3] = (guint8) job->msg->ppid;
  plain[4] = (guint8) (job->msg->stream >> 8);
  plain[5] = (guint8) job->msg->stream;
  if (len > 0)
    memcpy (plain + SECURE_HEADER, p, len);
  SimRng *prev = secure_rand_enter (&ch->rng);
  int r = SSL_write (ch->ssl, plain, (int) (len + SECURE_HEADER));
  secure_rand_leave (prev);
  g_free (plain);
  if (r <= 0)
    {
      channel_fail (ch, classify (ch));
      return;
    }
  ch->ctx->stats.records_sent += records_for (len);
  channel_flush (ch, job->msg->kind);
  channel_shutdown_if_idle (ch);
}

/* Protect msg after the CPU cost of its records (takes msg). */
static void
channel_send_now (SecureChannel *ch, SecurePending *msg)
{
  SecureJob *job = g_new0 (SecureJob, 1);
  job->ch = channel_ref (ch);
  job->msg = msg;
  ch->sending++;
  channel_charge (ch, SECURE_OP_RECORD, records_for (g_bytes_get_size (msg->data)), msg->kind, send_job, job,
                  job_free);
}

static gboolean
channel_send (SecureChannel *ch, guint16 stream, guint32 ppid, NetKind kind, GBytes *plain)
{
  g_return_val_if_fail (g_bytes_get_size (plain) <= G_MAXINT - SECURE_HEADER, FALSE);
  if (ch->dead || ch->assoc == NULL || ch->shutdown)
    return FALSE;
  SecurePending *msg = g_new0 (SecurePending, 1);
  msg->stream = stream;
  msg->ppid = ppid;
  msg->kind = kind;
  msg->data = g_bytes_ref (plain);
  if (!ch->up)
    g_queue_push_tail (&ch->pending, msg);
  else
    channel_send_now (ch, msg);
  return TRUE;
}

/* ---- channels: handshake and receiving --------------------------------------------- */

/* One handshake step; TRUE if the channel is still alive afterwards. */
static gboolean
channel_handshake (SecureChannel *ch)
{
  SecureContext *ctx = ch->ctx;
  if (ctx->cfg.server ? ctx->cfg.trust != NULL : ctx->cfg.mode == SECURE_MODE_CERT)
    X509_VERIFY_PARAM_set_time (SSL_get0_param (ch->ssl),
                                (time_t) (SECURE_TIME_EPOCH + sim_kernel_now (net_kernel (ctx->net)) / SIM_S));
  ERR_clear_error ();
  SimRng *prev = secure_rand_enter (&ch->rng);
  int r = SSL_do_handshake (ch->ssl);
  secure_rand_leave (prev);
  if (ch->client_cert && !ch->client_cert_charged)
    {
      /* The server checked a client certificate: its CPU pays for it (after this step, see the top). */
      ch->client_cert_charged = TRUE;
      net_host_cpu_exec_op (ctx->host, SECURE_OP_CLIENT_CERT_SERVER, ctx->kind_handshake, cpu_nop, NULL, NULL);
    }
  if (r != 1)
    {
      if (SSL_get_error (ch->ssl, r) == SSL_ERROR_WANT_READ)
        {
          channel_flush (ch, ctx->kind_handshake);
          return TRUE;
        }
      channel_fail (ch, classify (ch));
      return FALSE;
    }
  channel_flush (ch, ctx->kind_handshake);
  ch->up = TRUE;
  ctx->stats.handshakes++;
  SecurePending *msg;
  while ((msg = g_queue_pop_head (&ch->pending)) != NULL)
    channel_send_now (ch, msg);
  channel_ref (ch);
  net_assoc_layer_ready (ch->assoc);
  gboolean alive = !ch->dead;
  channel_unref (ch);
  return alive;
}

static void
start_job (NetHost *host, gpointer data)
{
  SecureChannel *ch = data;
  if (!ch->dead && ch->assoc != NULL)
    channel_handshake (ch);
}

/* Deliver one message's plaintext (already read) to the upper layer. */
static void
channel_deliver (SecureChannel *ch, GByteArray *plain, NetKind kind)
{
  if (plain->len < SECURE_HEADER)
    {
      channel_fail (ch, SECURE_FAIL_PROTOCOL);
      return;
    }
  const guint8 *p = plain->data;
  NetMessage m = {
    .ppid = ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3],
    .stream = (guint16) ((p[4] << 8) | p[5]),
    .kind = kind,
  };
  m.data = g_bytes_new (p + SECURE_HEADER, plain->len - SECURE_HEADER);
  channel_ref (ch);
  net_assoc_layer_deliver (ch->assoc, &m);
  channel_unref (ch);
  g_bytes_unref (m.data);
}

/* An SCTP message whose CPU cost is paid: feed TLS, then read its plaintext. */
static void input_next (SecureChannel *ch);

static void
input_job (NetHost *host, gpointer data)
{
  SecureInput *in = data;
  SecureChannel *ch = in->ch;
  if (ch->dead)
    return;
  gsize len;
  const guint8 *p = g_bytes_get_data (in->data, &len);
  if (len > 0)
    BIO_write (SSL_get_rbio (ch->ssl), p, (int) len);
  if (!ch->up && !channel_handshake (ch))
    return;
  if (!ch->up)
    {
      ch->input_busy = FALSE;
      input_next (ch);
      return;
    }
  g_autoptr (GByteArray) plain = g_byte_array_new ();
  guint8 buf[SECURE_MAX_RECORD];
  for (;;)
    {
      ERR_clear_error ();
      SimRng *prev = secure_rand_enter (&ch->rng);
      int r = SSL_read (ch->ssl, buf, sizeof buf);
      secure_rand_leave (prev);
      if (r > 0)
        {
          g_byte_array_append (plain, buf, (guint) r);
          continue;
        }
      int e = SSL_get_error (ch->ssl, r);
      if (e == SSL_ERROR_WANT_READ)
        break;
      channel_fail (ch, e == SSL_ERROR_ZERO_RETURN ? SECURE_FAIL_ALERT : classify (ch));
      return;
    }
  if (SSL_has_pending (ch->ssl))
    {
      channel_fail (ch, SECURE_FAIL_PROTOCOL);
      return;
    }
  if (plain->len > 0)
    {
      ch->ctx->stats.records_received += in->records;
      channel_deliver (ch, plain, in->kind);
      if (ch->dead)
        return;
    }
  ch->input_busy = FALSE;
  input_next (ch);
}

/* TLS application-data records (content type 23) in a message, by their plaintext headers. */
static guint
count_records (const guint8 *p, gsize len)
{
  guint n = 0;
  gsize off = 0;
  while (off + 5 <= len)
    {
      if (p[off] == 23)
        n++;
      off += 5 + (((gsize) p[off + 3] << 8) | p[off + 4]);
    }
  return n;
}

/*
 * Charge the next received message at the state the channel has after the
 * previous one (a record after the handshake costs SECURE_OP_RECORD, the
 * server's first flight its handshake), one at a time, in arrival order.
 */
static void
input_next (SecureChannel *ch)
{
  if (ch->dead || ch->input_busy || g_queue_is_empty (&ch->input))
    return;
  SecureInput *in = g_queue_pop_head (&ch->input);
  in->ch = channel_ref (ch);
  ch->input_busy = TRUE;
  const char *op = NULL;
  guint n = 0;
  if (ch->up)
    {
      gsize len;
      const guint8 *p = g_bytes_get_data (in->data, &len);
      in->records = n = count_records (p, len);
      op = SECURE_OP_RECORD;
    }
  else if (ch->ctx->cfg.server && !ch->hs_charged)
    {
      ch->hs_charged = TRUE;
      op = handshake_op (ch->ctx);
      n = 1;
    }
  channel_charge (ch, op, n, in->kind, input_job, in, input_free);
}

/* ---- the layer ------------------------------------------------------------------ */

static void
layer_receive (NetAssoc *assoc, const NetMessage *msg, gpointer data)
{
  SecureChannel *ch = data;
  if (ch->dead)
    return;
  SecureInput *in = g_new0 (SecureInput, 1);
  in->data = g_bytes_ref (msg->data);
  in->kind = msg->kind;
  g_queue_push_tail (&ch->input, in);
  input_next (ch);
}

static void
layer_up (NetAssoc *assoc, gpointer data)
{
  SecureChannel *ch = data;
  if (ch->dead || ch->ctx->cfg.server)
    return;
  if (ch->ctx->cfg.mode == SECURE_MODE_CERT && ch->ctx->cfg.cert != NULL)
    net_host_cpu_exec_op (ch->ctx->host, SECURE_OP_CLIENT_CERT_CLIENT, ch->ctx->kind_handshake, cpu_nop, NULL,
                          NULL);
  channel_charge (ch, handshake_op (ch->ctx), 1, ch->ctx->kind_handshake, start_job, channel_ref (ch),
                  channel_unref_cb);
}

static gboolean
layer_send (NetAssoc *assoc, guint16 stream, guint32 ppid, NetKind kind, GBytes *msg, gpointer data)
{
  return channel_send (data, stream, ppid, kind, msg);
}

static void
layer_shutdown (NetAssoc *assoc, gpointer data)
{
  SecureChannel *ch = data;
  if (ch->dead)
    return;
  if (!ch->up)
    {
      /* The upper layer is not up yet: end as an association does before it is established. */
      net_assoc_abort (assoc);
      return;
    }
  ch->shutdown = TRUE;
  channel_shutdown_if_idle (ch);
}

static void
layer_gone (NetAssoc *assoc, gboolean told, gpointer data)
{
  SecureChannel *ch = data;
  ch->assoc = NULL;
  ch->refs++;
  channel_kill (ch, FALSE);
  if (ch->adapter && !told)
    {
      /* No terminal event will reach the adapter: drop its reference here. */
      ch->adapter = FALSE;
      ch->refs--;
    }
  channel_unref (ch);
}

SecureChannel *
secure_attach (SecureContext *ctx, NetAssoc *assoc, const char *peer_name)
{
  g_return_val_if_fail (ctx != NULL && assoc != NULL, NULL);
  g_return_val_if_fail (ctx->cfg.server || ctx->cfg.mode != SECURE_MODE_CERT || peer_name != NULL, NULL);
  SecureChannel *ch = channel_new (ctx, net_assoc_peer_addr (assoc));
  if (!ctx->cfg.server && peer_name != NULL)
    {
      NetAddr ip;
      if (net_addr_parse (peer_name, &ip))
        {
          if (ctx->cfg.mode == SECURE_MODE_CERT)
            X509_VERIFY_PARAM_set1_ip_asc (SSL_get0_param (ch->ssl), peer_name);
        }
      else
        {
          SSL_set_tlsext_host_name (ch->ssl, peer_name);
          if (ctx->cfg.mode == SECURE_MODE_CERT)
            SSL_set1_host (ch->ssl, peer_name);
        }
    }
  ch->assoc = assoc;
  net_assoc_set_layer (assoc, &secure_layer, ch);
  return ch;
}

SecureChannel *
secure_assoc_channel (const NetAssoc *assoc)
{
  return net_assoc_layer_data (assoc, &secure_layer);
}

/* ---- the channel API (an upper layer that speaks SecureChannel) ---------------------- */

static void
adapter_event (NetAssoc *assoc, NetAssocEvent ev, gpointer user_data)
{
  SecureChannel *ch = user_data;
  if (ch->cb.event != NULL)
    ch->cb.event (ch, ev, ch->user_data);
  if (ev != NET_ASSOC_UP && ch->adapter)
    {
      ch->adapter = FALSE;
      channel_unref (ch);
    }
}

static void
adapter_receive (NetAssoc *assoc, const NetMessage *msg, gpointer user_data)
{
  SecureChannel *ch = user_data;
  if (ch->cb.receive != NULL)
    ch->cb.receive (ch, msg, ch->user_data);
}

static const NetAssocCallbacks adapter_callbacks = { adapter_event, adapter_receive };

static SecureChannel *
adapter_wrap (SecureChannel *ch, const SecureChannelCallbacks *callbacks, gpointer user_data)
{
  ch->cb = *callbacks;
  ch->user_data = user_data;
  ch->adapter = TRUE;
  return channel_ref (ch);
}

SecureChannel *
secure_channel_connect (SecureContext *ctx, NetAddr dst, guint16 port, const char *peer_name,
                        const SecureChannelCallbacks *callbacks, gpointer user_data)
{
  g_return_val_if_fail (ctx != NULL && !ctx->cfg.server && callbacks != NULL, NULL);
  g_return_val_if_fail (ctx->cfg.mode != SECURE_MODE_CERT || peer_name != NULL, NULL);
  NetAssoc *assoc = net_assoc_connect (ctx->host, dst, port, &adapter_callbacks, NULL);
  SecureChannel *ch = secure_attach (ctx, assoc, peer_name);
  net_assoc_set_callbacks (assoc, &adapter_callbacks, ch);
  return adapter_wrap (ch, callbacks, user_data);
}

SecureChannel *
secure_channel_accept (SecureContext *ctx, NetAssoc *assoc, const SecureChannelCallbacks *callbacks,
                       gpointer user_data)
{
  g_return_val_if_fail (ctx != NULL && ctx->cfg.server && assoc != NULL && callbacks != NULL, NULL);
  SecureChannel *ch = secure_attach (ctx, assoc, NULL);
  net_assoc_set_callbacks (assoc, &adapter_callbacks, ch);
  return adapter_wrap (ch, callbacks, user_data);
}

gboolean
secure_channel_send (SecureChannel *ch, guint16 stream, guint32 ppid, NetKind kind, GBytes *plain)
{
  g_return_val_if_fail (ch != NULL && plain != NULL, FALSE);
  if (ch->dead || ch->assoc == NULL)
    return FALSE;
  return net_assoc_send (ch->assoc, stream, ppid, kind, plain);
}

void
secure_channel_abort (SecureChannel *ch)
{
  g_return_if_fail (ch != NULL);
  if (ch->assoc != NULL)
    net_assoc_abort (ch->assoc);  /* -> layer_gone, which drops the adapter's reference */
}

gboolean
secure_channel_is_up (const SecureChannel *ch)
{
  return !ch->dead && ch->up;
}

NetAssoc *
secure_channel_assoc (const SecureChannel *ch)
{
  return ch->assoc;
}

SecureFailure
secure_channel_failure (const SecureChannel *ch)
{
  return ch->failure;
}

const char *
secure_channel_peer_identity (const SecureChannel *ch)
{
  return ch->peer_identity;
}
