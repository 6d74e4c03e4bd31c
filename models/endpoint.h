/*
 * models/endpoint.h - what the two ASAP endpoints, pool element (models/pe.h)
 * and pool user (models/pu.h), share: the server hunt of RFC 5352 §3.6 with
 * its registrar list (static and from ASAP_SERVER_ANNOUNCE), the answer to
 * undecodable ASAP messages (RFC 5354 §2, §4), and the scenario-key plumbing.
 *
 * Server hunt (RSERPOOL_FACTS §8.3). Candidate registrars are the static list
 * (never outdated) followed by the announced addresses in the order they were
 * first heard; an announced address is valid for T7 after its latest
 * announce. SH1: associations to at most EHUNT_MAX_PARALLEL (3) candidates at
 * once; SH2: T5 starts; SH3: the first association to come up ends the hunt
 * (the others are aborted, T5 is stopped and reset to its initial value) and
 * is handed to the owner, which takes it over (net_assoc_set_callbacks);
 * SH4: a failed attempt is replaced by the next candidate; SH5: T5 expiry
 * aborts the attempts, doubles T5 (up to RETRAN-MAX) and starts a round with
 * the next candidates (a rotating cursor: a different set when there are more
 * than three); an announce heard during a hunt with a free slot is tried at
 * once. A hunt without any candidate waits for T5 or an announce.
 *
 * T7 is evaluated when candidates are chosen (an address whose validity ran
 * out is skipped and forgotten) instead of one timer per address: the same
 * behaviour without a cancel and a schedule per heard announce.
 *
 * Not here: TCP to registrars (PE-PR ASAP is SCTP only, RFC 5352 §2.1; PUs use
 * SCTP as well), announces with several transports beyond their SCTP ones.
 */
#pragma once

#include "models/rsp-secure.h"
#include "models/rsp.h"
#include "sim/param.h"
#include "sim/record.h"

G_BEGIN_DECLS

/* RFC 5352 §3.6 SH1: never more than three parallel attempts. */
#define EHUNT_MAX_PARALLEL 3

/* Scenario values of a server hunt (keys PREFIX.registrars etc., ENDPOINT_HUNT_PARAM_DECLS). */
typedef struct {
  GArray  *registrars;   /* NetAddr of the static registrar list (owned; may be empty) */
  gboolean announces;    /* listen to ASAP_SERVER_ANNOUNCE on 224.0.1.185:3863 */
  SimTime  t5;           /* T5-Serverhunt, initial value */
  SimTime  retran_max;   /* RETRAN-MAX: ceiling of the doubled T5 */
  SimTime  t7;           /* T7-ENRPoutdate: validity of an announced address */
} EndpointHuntConfig;

/*
 * The five hunt keys of an endpoint kind, for its static SimParamDecl table
 * (prefix "pe" or "pu"); defaults from RFC 5352 §7.
 */
#define ENDPOINT_HUNT_PARAM_DECLS(prefix, who)                                                        \
  { prefix ".registrars", SIM_PARAM_STRING, "", 0, 0, NULL,                                            \
    "Static registrar list of the " who ": IPv4 addresses separated by commas or spaces (port 3863); " \
    "empty = only registrars heard in server announces." },                                           \
  { prefix ".announces", SIM_PARAM_BOOL, "true", 0, 0, NULL,                                           \
    "The " who " listens to ASAP_SERVER_ANNOUNCE on 224.0.1.185 port 3863 (RFC 5352 §3.6)." },        \
  { prefix ".t5-server-hunt", SIM_PARAM_TIME, "10s", 1, 9.2e18, NULL,                                 \
    "T5-Serverhunt, initial value; doubled at each expiry up to " prefix ".retran-max (RFC 5352 §7)." }, \
  { prefix ".retran-max", SIM_PARAM_TIME, "60s", 1, 9.2e18, NULL,                                     \
    "RETRAN-MAX: ceiling of the doubled T5 (RFC 5352 §7)." },                                         \
  { prefix ".t7-enrp-outdate", SIM_PARAM_TIME, "5s", 1, 9.2e18, NULL,                                 \
    "T7-ENRPoutdate: an announced registrar address is forgotten this long after its latest announce " \
    "(RFC 5352 §7; rsplib 5 s)." }

/* Read the hunt keys PREFIX.* into cfg (free with endpoint_hunt_config_clear); FALSE on a bad address. */
gboolean endpoint_hunt_config_from_params (const SimParams *params, const char *prefix,
                                           EndpointHuntConfig *cfg, GError **error);
void     endpoint_hunt_config_copy (EndpointHuntConfig *dst, const EndpointHuntConfig *src);
void     endpoint_hunt_config_clear (EndpointHuntConfig *cfg);
/* Parse "10.0.0.1, 10.0.0.2" into an array of NetAddr; FALSE + error naming the bad word. */
gboolean endpoint_parse_addresses (const char *text, GArray **out, GError **error);

/* Fill params with the parsed defaults of decls (a default that does not parse is a programmer error). */
void     endpoint_params_set_defaults (SimParams *params, const SimParamDecl *decls, gsize n);

typedef struct EndpointHunt EndpointHunt;

/*
 * The hunt found a registrar: assoc is up; the owner must take it over with
 * net_assoc_set_callbacks before returning. server_id is the identifier from
 * its announce, 0 if it came from the static list.
 */
typedef void (*EndpointHuntFoundFn) (EndpointHunt *hunt, NetAssoc *assoc, guint32 server_id,
                                     gpointer user_data);

typedef struct {
  guint64 hunts;              /* hunts started */
  guint64 attempts;           /* associations tried */
  guint64 attempts_failed;    /* attempts that ended without coming up (SH4) */
  guint64 t5_expiries;        /* SH5 */
  guint64 found;              /* hunts ended by a registrar (SH6) */
  guint64 announces;          /* ASAP_SERVER_ANNOUNCEs accepted */
  guint64 announce_errors;    /* datagrams on the announce port that did not decode as an announce */
} EndpointHuntStats;

/* A hunt for host (which must be up); cfg is copied. Opens the announce socket if cfg->announces. */
EndpointHunt *endpoint_hunt_new (NetHost *host, const EndpointHuntConfig *cfg, EndpointHuntFoundFn found,
                                 gpointer user_data);
/* Abort attempts, close the socket. */
void          endpoint_hunt_free (EndpointHunt *hunt);
/*
 * Open the attempts from this local port (0, the default: an ephemeral one).
 * A PE gives its ASAP endpoint's port, where it also accepts registrars'
 * associations: the registrar records the association's source as the PE's
 * ASAP transport (RFC 5352 §3.1 rule 4) and reaches the PE there.
 */
void          endpoint_hunt_set_local_port (EndpointHunt *hunt, guint16 port);
/*
 * Attempts use TLS of class cls as role (models/rsp-secure.h): registrars'
 * ASAP port 3863 becomes 3864 and a registrar whose handshake fails is an
 * attempt that failed (SH4), so the hunt goes on to the next one. sec NULL =
 * plain ASAP (the default).
 */
void          endpoint_hunt_set_security (EndpointHunt *hunt, RspSecurity *sec, SecureClass cls, RspRole role);
/* Begin a hunt (SH1); nothing if one runs already. */
void          endpoint_hunt_start (EndpointHunt *hunt);
/* Stop a running hunt: abort its attempts, stop T5 (reset to its initial value). */
void          endpoint_hunt_stop (EndpointHunt *hunt);
gboolean      endpoint_hunt_is_running (const EndpointHunt *hunt);
/* The current T5 value (what the next round will wait). */
SimTime       endpoint_hunt_t5 (const EndpointHunt *hunt);
/* The host crashed (forget the socket and attempts, no callbacks) or restarted (reopen the socket). */
void          endpoint_hunt_host_state (EndpointHunt *hunt, gboolean up);
/* Candidates valid now (static + announced, not outdated). */
guint         endpoint_hunt_n_candidates (EndpointHunt *hunt);
const EndpointHuntStats *endpoint_hunt_stats (const EndpointHunt *hunt);
/* Record the counters as "<prefix>.hunt.*" scalars of module. */
void          endpoint_hunt_record (const EndpointHunt *hunt, SimRecorder *rec, const char *module,
                                    const char *prefix);

/*
 * After a failed decode of an ASAP message received on assoc: answer with
 * ASAP_ERROR where RFC 5354 asks for a report (unknown message or parameter
 * whose action bits say "report": cause Unrecognized Message / Unrecognized
 * Parameter with the offending bytes). Returns TRUE if an error was sent.
 */
gboolean endpoint_answer_decode_error (Net *net, NetAssoc *assoc, const NetMessage *m, const CodecError *err);
/* After a successful decode: report skipped parameters of action 11 (RFC 5354 §2). TRUE if sent. */
gboolean endpoint_answer_unrecognized (Net *net, NetAssoc *assoc, const CodecMessage *msg);

G_END_DECLS
