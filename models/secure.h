/*
 * models/secure.h - secure channels: real TLS 1.3 (OpenSSL) carried on the
 * simulated SCTP-like associations, with pre-shared keys or certificates from
 * a scenario CA, deterministic, with CPU costs (DESIGN.md §5, RFC 5355 §2.1–2.7,
 * §3: "RSerPool ... security mechanisms ... TLS").
 *
 * A SecureChannel is a layer inside one NetAssoc (sim/net-assoc.h,
 * NetAssocLayer): secure_attach() puts TLS into an association just opened or
 * accepted, and the upper layer goes on using the NetAssoc as it would
 * without TLS — net_assoc_send() takes plaintext, the callbacks receive
 * plaintext with the ORIGINAL PPID, stream and kind, NET_ASSOC_UP comes once
 * the handshake is complete, a TLS failure is a terminal event. Every SCTP
 * message of a secure association carries TLS records only (see the top
 * comment of secure.c for the framing, the costs, the randomness and the
 * failures). secure_assoc_channel() finds the channel of an association, for
 * the peer's authenticated identity.
 *
 * secure_channel_connect/accept are the same for an upper layer that prefers
 * SecureChannel * in its callbacks (SecureChannelCallbacks).
 *
 * Lifetime: the channel lives as long as its association (a host crash, an
 * abort or a terminal event ends both). A context frees its remaining
 * channels when it is freed, aborting their associations: free contexts
 * before the network.
 */
#pragma once

#include "sim/net-assoc.h"
#include "sim/net-cpu.h"

G_BEGIN_DECLS

typedef struct SecureKeyTable SecureKeyTable;
typedef struct SecureCert     SecureCert;
typedef struct SecureContext  SecureContext;
typedef struct SecureChannel  SecureChannel;

#define SECURE_ERROR (secure_error_quark ())
GQuark secure_error_quark (void);
typedef enum {
  SECURE_ERROR_OPENSSL,  /* OpenSSL refused a key, certificate or context setting */
  SECURE_ERROR_FILE,     /* a PEM file cannot be read or holds no usable object */
  SECURE_ERROR_CONFIG,   /* the configuration is incomplete for the mode */
} SecureError;

/* Secure ports (IANA: asap-tls 3864/sctp, enrp-tls 9902/sctp). */
#define SECURE_ASAP_TLS_PORT 3864
#define SECURE_ENRP_TLS_PORT 9902

/* Simulated time 0 is this instant (2025-01-01T00:00:00Z) for certificate validity. */
#define SECURE_TIME_EPOCH G_GINT64_CONSTANT (1735689600)

typedef enum {
  SECURE_MODE_NONE,
  SECURE_MODE_PSK,   /* TLS 1.3 with an external PSK and (EC)DHE, mutual (RFC 5355 §2.1–2.6) */
  SECURE_MODE_CERT,  /* TLS 1.3, server certificate from the scenario CA (RFC 5355 §2.7) */
} SecureMode;

const char *secure_mode_name (SecureMode mode);
gboolean    secure_mode_parse (const char *text, SecureMode *mode);

/* The channel classes of the issue; the scenario chooses a mode per class. */
typedef enum {
  SECURE_CLASS_PE_REGISTRAR,
  SECURE_CLASS_PU_REGISTRAR,
  SECURE_CLASS_REGISTRAR_REGISTRAR,
  SECURE_CLASS_PU_PE,
  SECURE_N_CLASSES
} SecureClass;

const char *secure_class_name (SecureClass cls);   /* "pe-registrar", ... */

/* Why a channel failed (each counted per context). */
typedef enum {
  SECURE_FAIL_NONE,
  SECURE_FAIL_PSK,          /* unknown PSK identity, or the key differs (binder does not verify) */
  SECURE_FAIL_CERT,         /* the peer's chain or name does not verify (e.g. another CA) */
  SECURE_FAIL_CERT_TIME,    /* a certificate is expired or not yet valid at the simulated time */
  SECURE_FAIL_ALERT,        /* the peer sent a fatal alert */
  SECURE_FAIL_RECORD,       /* a record failed authentication: tampered, replayed or reordered */
  SECURE_FAIL_PROTOCOL,     /* anything else the TLS stack rejected (garbage, unexpected message) */
  SECURE_N_FAILS
} SecureFailure;

const char *secure_failure_name (SecureFailure f);  /* "psk", "cert", ... */

/* ---- keys ---------------------------------------------------------------- */

/*
 * PSK identities with their keys, and which pools each identity may serve
 * (RFC 5355 §2.1: a registrar accepts registrations only from authorized PEs).
 */
SecureKeyTable *secure_key_table_new (void);
void            secure_key_table_free (SecureKeyTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SecureKeyTable, secure_key_table_free)
/* Add or replace identity's key (1..64 bytes; identity 1..128 bytes of text). */
void     secure_key_table_add (SecureKeyTable *table, const char *identity, const guint8 *key, gsize len);
/*
 * A resolver gives the key of an identity the table does not hold yet (TRUE,
 * key[0 .. *len), 1 <= *len <= 64), or FALSE for an identity without a key;
 * its answers are cached. Keys of a scenario's many hosts come from one.
 */
typedef gboolean (*SecureKeyResolver) (const char *identity, guint8 key[64], gsize *len, gpointer user_data);
void     secure_key_table_set_resolver (SecureKeyTable *table, SecureKeyResolver resolver, gpointer user_data);
/* The key of identity (borrowed), or NULL. */
GBytes  *secure_key_table_lookup (const SecureKeyTable *table, const char *identity);
/* Authorize identity (added before) for the pool with this handle. */
void     secure_key_table_allow_pool (SecureKeyTable *table, const char *identity, const guint8 *handle,
                                      gsize len);
gboolean secure_key_table_may_serve (const SecureKeyTable *table, const char *identity, const guint8 *handle,
                                     gsize len);

/* ---- certificates ---------------------------------------------------------- */

/*
 * A certificate with its private key (EC P-256). secure_cert_new_ca makes a
 * self-signed CA; secure_cert_issue an end-entity certificate for `name`
 * (CN and DNS subjectAltName, extended key usage serverAuth and clientAuth)
 * signed by ca. Validity is in simulated time.
 * Keys, serial numbers and ECDSA nonces come from the stream
 * "secure/cert/<name>" of seed: the same seed gives the same DER bytes.
 */
SecureCert *secure_cert_new_ca (const char *name, guint64 seed, SimTime not_before, SimTime not_after);
SecureCert *secure_cert_issue (const SecureCert *ca, const char *name, guint64 seed, SimTime not_before,
                               SimTime not_after);
/* The same with an IP address (text) in subjectAltName: a client that connects to that address verifies it. */
SecureCert *secure_cert_issue_ip (const SecureCert *ca, const char *name, const char *ip, guint64 seed,
                                  SimTime not_before, SimTime not_after);
/* Write a certificate and (key_path not NULL) its private key, unencrypted, as PEM files. */
gboolean    secure_cert_save (const SecureCert *cert, const char *cert_path, const char *key_path, GError **error);
/* Load a certificate and (nullable) its key from PEM files. */
SecureCert *secure_cert_load (const char *cert_path, const char *key_path, GError **error);
void        secure_cert_free (SecureCert *cert);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SecureCert, secure_cert_free)
/* The DER encoding of the certificate (transfer full). */
GBytes     *secure_cert_der (const SecureCert *cert);

/* ---- costs ----------------------------------------------------------------- */

/*
 * CPU operations a channel charges to its host (net_host_cpu_exec_op). Define
 * them once per run with secure_define_cpu_ops (scenario constants, or the
 * defaults measured as described in secure.c).
 */
#define SECURE_OP_HANDSHAKE_PSK_CLIENT  "secure.handshake.psk.client"
#define SECURE_OP_HANDSHAKE_PSK_SERVER  "secure.handshake.psk.server"
#define SECURE_OP_HANDSHAKE_CERT_CLIENT "secure.handshake.cert.client"
#define SECURE_OP_HANDSHAKE_CERT_SERVER "secure.handshake.cert.server"
/* On top, when the client presents a certificate: the client signs, the server verifies it. */
#define SECURE_OP_CLIENT_CERT_CLIENT    "secure.handshake.client-cert.client"
#define SECURE_OP_CLIENT_CERT_SERVER    "secure.handshake.client-cert.server"
#define SECURE_OP_RECORD                "secure.record"

typedef struct {
  SimTime handshake_psk_client;
  SimTime handshake_psk_server;
  SimTime handshake_cert_client;
  SimTime handshake_cert_server;
  SimTime client_cert_client;     /* extra: the client presents its certificate (CertificateVerify) */
  SimTime client_cert_server;     /* extra: the server verifies the client's certificate */
  SimTime record;                 /* per TLS record protected or unprotected (either side) */
} SecureCosts;

void secure_costs_init_defaults (SecureCosts *costs);
void secure_define_cpu_ops (Net *net, const SecureCosts *costs);

/* ---- contexts and channels ------------------------------------------------- */

/* One host's TLS configuration for one role (the tables and certificates must outlive the context). */
typedef struct {
  SecureMode            mode;        /* PSK or CERT */
  gboolean              server;      /* TLS server (the accepting side) */
  const char           *label;       /* names the context in stream names ("asap", "enrp") */
  const SecureKeyTable *keys;        /* PSK: client: holds its own; server: the identities it accepts, by PSK
                                      * and (with trust) by client certificate */
  const char           *identity;    /* PSK client: the identity it presents */
  const SecureCert     *cert;        /* server: its certificate and key (CERT; optional with PSK: then both);
                                      * CERT client (optional): the certificate it presents when asked */
  const SecureCert     *trust;       /* CERT client: the CA it trusts; server (optional): asks clients for a
                                      * certificate of this CA, whose CN must be in keys */
  gboolean              require_client_cert;  /* server with trust: a client without one fails */
  guint32               ppid;        /* outer PPID of the TLS records (0: none) */
  /* Optional: a context of another host with the same mode, side, keys, certificate and trust whose
   * OpenSSL configuration this one shares (creating one costs about 0.2 ms; hosts of a role are alike). */
  const SecureContext  *share;
} SecureConfig;

typedef struct {
  guint64 handshakes;                /* completed */
  guint64 failures[SECURE_N_FAILS];  /* channels failed, by reason */
  guint64 records_sent;              /* application data records */
  guint64 records_received;
  guint64 bytes_sent;                /* TLS bytes handed to associations (all records) */
} SecureStats;

/* A context for host; seed names the randomness streams of the run. */
SecureContext *secure_context_new (NetHost *host, guint64 seed, const SecureConfig *cfg, GError **error);
void           secure_context_free (SecureContext *ctx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SecureContext, secure_context_free)
const SecureStats *secure_context_stats (const SecureContext *ctx);

/*
 * Put TLS into assoc (client: just after net_assoc_connect, before it is
 * established; server: in the NetAcceptFn). peer_name: what the client
 * verifies (CERT): a host name (DNS subjectAltName, also sent as SNI) or an
 * IPv4 address in text (IP subjectAltName); NULL on the server. The channel
 * belongs to the association.
 */
SecureChannel *secure_attach (SecureContext *ctx, NetAssoc *assoc, const char *peer_name);
/* The TLS channel of assoc, or NULL for an association without TLS. */
SecureChannel *secure_assoc_channel (const NetAssoc *assoc);

typedef struct {
  /* NET_ASSOC_UP once the TLS handshake is complete; a failed handshake is
   * NET_ASSOC_CANT_START, a failure after it NET_ASSOC_COMM_LOST (see
   * secure_channel_failure); the association's terminal events pass through. */
  void (*event)   (SecureChannel *ch, NetAssocEvent ev, gpointer user_data);
  /* A plaintext message with the sender's stream, PPID and kind (borrowed). */
  void (*receive) (SecureChannel *ch, const NetMessage *msg, gpointer user_data);
} SecureChannelCallbacks;

/* Open a channel (client side): connect to dst:port; the handshake starts at NET_ASSOC_UP. */
SecureChannel *secure_channel_connect (SecureContext *ctx, NetAddr dst, guint16 port,
                                       const char *peer_name, const SecureChannelCallbacks *callbacks,
                                       gpointer user_data);
/* Wrap an association just accepted on a listener (server side); call in the NetAcceptFn. */
SecureChannel *secure_channel_accept (SecureContext *ctx, NetAssoc *assoc, const SecureChannelCallbacks *callbacks,
                                      gpointer user_data);
/*
 * Send a plaintext message (a reference is taken): queued until the
 * handshake completes, then protected as TLS record(s) after the record's
 * CPU cost. FALSE if the channel no longer takes messages.
 */
gboolean       secure_channel_send (SecureChannel *ch, guint16 stream, guint32 ppid, NetKind kind, GBytes *plain);
/* Abort the association now; the channel is gone when this returns (no event). */
void           secure_channel_abort (SecureChannel *ch);
gboolean       secure_channel_is_up (const SecureChannel *ch);
NetAssoc      *secure_channel_assoc (const SecureChannel *ch);
/* Why the channel failed (SECURE_FAIL_NONE if it did not): read it in the terminal event callback. */
SecureFailure  secure_channel_failure (const SecureChannel *ch);
/*
 * The identity the client authenticated with (server side): its PSK
 * identity, or the CN of its verified certificate; NULL for an anonymous
 * client (certificate mode without a client certificate) and on the client.
 */
const char    *secure_channel_peer_identity (const SecureChannel *ch);

/*
 * Randomness that OpenSSL drew while no channel or certificate stream was
 * current (process-wide count; a simulation run must leave it unchanged).
 */
guint64 secure_rand_fallbacks (void);

G_END_DECLS
