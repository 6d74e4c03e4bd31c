/*
 * models/rsp-secure.h - security of a run of the RSerPool models: which
 * channel classes use TLS in which mode, who holds which pre-shared key and
 * may serve which pool (key management), the scenario CA and the hosts'
 * certificates, the CPU costs, and one TLS context per host and role
 * (RFC 5355 §3; DESIGN.md §5).
 *
 * Scenario keys (module "secure", `poolsim list params`):
 *   secure.pe-registrar, secure.pu-registrar, secure.registrar-registrar,
 *   secure.pu-pe = none | psk | cert      the mode of each channel class;
 *   secure.keys                            key management: who holds a key;
 *   secure.psk-secret                      the secret the keys derive from;
 *   secure.cert-dir, secure.cert-validity  certificates loaded or generated;
 *   secure.cost.*                          CPU costs of handshakes and records.
 *
 * Key management (secure.keys): entries separated by blanks or ';', each
 * HOST-GLOB:ROLE[:POOLS] — the hosts whose names match the glob (GLib
 * GPatternSpec: * and ?) hold a key of ROLE (registrar, pe or pu) under
 * their host name as PSK identity; a pe entry lists the pool handles it may
 * serve (comma-separated; * = any pool). The default
 * "registrar*:registrar pe*:pe:* pu*:pu" gives every honest host its own
 * key; an adversary holds one only if an entry names it (an insider). The
 * key of identity I is HMAC-SHA256 (secure.psk-secret, I): both ends derive
 * it, nothing is stored.
 *
 * Who is client and server, and the ports (IANA asap-tls 3864, enrp-tls 9902):
 *   pe-registrar         PE -> registrar:3864 (the PE registers from its port
 *                        3864, where it also listens), and registrar -> PE:3864
 *                        for the keep-alives of a takeover (RFC 5353 §3.9);
 *   pu-registrar         PU -> registrar:3864;
 *   registrar-registrar  registrar -> registrar:9902;
 *   pu-pe                PU -> PE's CalcApp port.
 * In psk mode both ends authenticate (the server learns the client's
 * identity); in cert mode the client verifies the server's certificate
 * (chain to the scenario CA, the server's address in its subjectAltName, at
 * simulated time), and PEs and registrars authenticate as clients with their
 * own certificate (its CN, the host name, is their identity; they hold one
 * only if secure.keys gives their host the role): a registrar's ENRP port
 * and a PE's ASAP port require it, a registrar's ASAP port asks for it (PUs
 * stay anonymous), and a registration without it is refused. Either way the
 * server accepts only identities whose role it serves. A class in mode none
 * uses the plain ports 3863/9901 without TLS.
 */
#pragma once

#include "models/secure.h"
#include "sim/param.h"
#include "sim/record.h"

G_BEGIN_DECLS

typedef struct RspSecurity RspSecurity;

typedef enum {
  RSP_ROLE_REGISTRAR = 1 << 0,
  RSP_ROLE_PE        = 1 << 1,
  RSP_ROLE_PU        = 1 << 2,
} RspRole;

/* The secure.* keys (static table). */
const SimParamDecl *rsp_security_params (gsize *n);

/*
 * The run's security from its keys; NULL without an error when every class
 * is none. Errors name the key (a malformed secure.keys entry, a certificate
 * file that cannot be loaded).
 */
RspSecurity *rsp_security_new (Net *net, const SimParams *params, guint64 seed, GError **error);
/* Free after every entity (their associations end with their channels) and before the network. */
void         rsp_security_free (RspSecurity *sec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RspSecurity, rsp_security_free)

/* The mode of class (NONE when sec is NULL). */
SecureMode   rsp_security_mode (const RspSecurity *sec, SecureClass cls);
/* The port to use for class: tls_port when the class uses TLS, else plain_port. */
guint16      rsp_security_port (const RspSecurity *sec, SecureClass cls, guint16 plain_port, guint16 tls_port);

/*
 * Create the contexts host needs as an honest entity of role (one of
 * RspRole), so that a certificate that cannot be loaded is an error at run
 * start. Optional: the contexts are otherwise made on first use.
 */
gboolean     rsp_security_prepare (RspSecurity *sec, NetHost *host, RspRole role, GError **error);

/*
 * Client side: put TLS of class into assoc, just opened by host acting as
 * role (no-op when the class is none). The host presents its own PSK
 * identity (its name) with its key of role; without such a key it cannot
 * complete a psk handshake. In cert mode it verifies the certificate of the
 * address it connected to.
 */
void         rsp_security_client (RspSecurity *sec, SecureClass cls, RspRole role, NetHost *host,
                                  NetAssoc *assoc);
/*
 * Server side, in the NetAcceptFn of host's listener on a TLS port: put the
 * TLS of class into assoc; host serves as role. A registrar's ASAP port
 * (SECURE_CLASS_PE_REGISTRAR, RSP_ROLE_REGISTRAR) takes PE and PU keys and
 * serves the PU class on the same port; a PE's ASAP port takes registrar
 * keys, its CalcApp port PU keys, a registrar's ENRP port registrar keys.
 */
void         rsp_security_server (RspSecurity *sec, SecureClass cls, RspRole role, NetHost *host,
                                  NetAssoc *assoc);

/*
 * Whether the PE at addr speaks TLS on its application port: secure.pu-pe is
 * on and its host matches secure.pu-pe-hosts (the others serve in the clear:
 * a pool part way through a roll-out, RFC 5355 §2.9).
 */
gboolean     rsp_security_app_secure (const RspSecurity *sec, NetAddr pe_addr);
/* Whether assoc carries TLS (a completed handshake once it is up). */
gboolean     rsp_security_is_secure (const NetAssoc *assoc);
/* The identity the peer of assoc authenticated with (server side: PSK identity or certificate CN), or NULL. */
const char  *rsp_security_peer_identity (const NetAssoc *assoc);
/* Whether identity holds a key of role. */
gboolean     rsp_security_has_role (const RspSecurity *sec, const char *identity, RspRole role);
/* Whether identity holds a PE key for the pool handle (RFC 5355 §2.4). */
gboolean     rsp_security_may_serve (const RspSecurity *sec, const char *identity, const guint8 *handle,
                                     gsize len);

/*
 * Record module "secure": per class and side (secure.handshakes.<class>.<client|server>,
 * secure.failures.<class>.<side>.<reason>, secure.records_sent.*, secure.records_received.*,
 * secure.tls_bytes_sent.*).
 * The registrar's ASAP server counts under pe-registrar, its PU sessions
 * included.
 */
void         rsp_security_record (const RspSecurity *sec, SimRecorder *rec);

G_END_DECLS
