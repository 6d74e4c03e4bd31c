/*
 * attacks/attack.c - the threat and mitigation registries and the
 * adversaries of attacks/attack.h.
 *
 * registration-flood (RFC 5355 §2.1, PAPERS.md §2.2 item 1). Every
 * attack.interval from attack.start each adversary registers a fake PE with
 * a fresh identifier (stream "attack/<i>/id") into the run's pool: user
 * transport SCTP at its own address and pe.user-port, the pool's policy with
 * its most attractive values (load 0, load degradation attack.load-
 * degradation, weight and priority 0xffffffff), registration life
 * attack.registration-life. Each registration goes over an association of
 * its own, so that the registrar's keep-alives for that PE come over it and
 * the adversary answers them with the right identifier (the registrar's
 * keep-alive names no PE: RFC 5352 §2.2.7). It accepts the associations PUs
 * open to its fake PEs and swallows every message on them ("ignored
 * application messages"): the PUs wait for their request timeout, report
 * the PE unreachable, and the registrar drops it after MAX-BAD-PE-REPORT.
 * A registration the registrar rejects (one-pe-per-credential, address
 * binding, TLS) leaves nothing to keep alive: its association carries the
 * adversary's next registration (one such spare at a time; the others are
 * shut down).
 *
 * With attack.deregister (RFC 5355 §2.1 "registrations/deregistrations ...
 * at a very rapid rate"), the churn mode: as soon as a fake PE's
 * registration is accepted the adversary deregisters it on the same
 * association, and once that is answered (or the registration rejected)
 * shuts the association down. No fake PE stays: the cost is the registrar's
 * work (messages, handlespace insertions and removals, the ENRP updates to
 * its peers), which RFC 5355 §2.1.2 calls disabling "the RSerPool
 * discovery and database function".
 *
 * spoofing (RFC 5355 §2.3). Every attack.interval each adversary, an
 * insider PE with its own host and address, sends a HANDLE_RESOLUTION for
 * the pool on its one resolution association; for each PE of the answer not
 * already at its own address it sends a DEREGISTRATION with the pool handle
 * and the PE's identifier on that association, then registers the same
 * identifier at its own address with the most attractive policy values, as
 * registration-flood registers a fake PE (association of its own, keep-
 * alives answered, PUs' requests swallowed): the legitimate PE's entry is
 * hijacked until the PE re-registers or the PUs' reports remove it.
 *
 * keepalive-flood (RFC 5355 §2.14). Each adversary is a malicious
 * registrar (a fake server identifier from "attack/<i>/id"): it opens an
 * association to the ASAP endpoint of every PE (port 3863, where PEs accept
 * registrars) and every attack.interval sends each PE an
 * ENDPOINT_KEEP_ALIVE for the pool; the PE answers each one, at the CPU
 * cost pe.keepalive-cost, time its CalcApp server loses (calcapp.shares-cpu:
 * the application runs on the same CPU). H is clear by default (a pure
 * flood); with attack.home-flag the first keep-alive also makes the
 * adversary the PE's home (RFC 5352 §3.7), which is the §2.6 threat as well.
 *
 * unreachable-flood (RFC 5355 §2.13, PAPERS.md §2.2 item 2). Every
 * attack.interval each adversary, a PU on one association to its registrar,
 * sends a HANDLE_RESOLUTION for the pool; for each PE of each answer it sends
 * an ENDPOINT_UNREACHABLE with probability attack.report-probability (stream
 * "attack/<i>/report", one draw per PE).
 *
 * Adversary i is host "adversary<i>" on LAN i mod net.lans and talks to
 * registrar i mod registrar.count (the papers' attacker picks one of its
 * list; with one registrar the same).
 *
 * Invariants: every association an adversary holds is in one of its lists
 * until its terminal event; attack_free aborts the rest. Nothing here draws
 * from an honest entity's stream.
 */
#include "config.h"

#include "attacks/attack-private.h"
#include "attacks/failover.h"
#include "attacks/rogue.h"

#include "models/calcapp.h"
#include "models/pe.h"
#include "models/rsp.h"
#include "sim/rng.h"

#include <string.h>

/* ---- registries ------------------------------------------------------------------ */

static const AttackThreat threats[] = {
  { "2.1", "PE registration/deregistration flooding - non-existent PE", "registration-flood", "insider PE",
    "registers fake PEs with fresh identifiers and the most attractive policy values, answers their keep-alives, "
    "swallows the PUs' requests (PAPERS §2.2)",
    "attack.count, attack.interval, attack.start, attack.registration-life, attack.load-degradation, "
    "attack.deregister (churn: each fake PE deregistered as soon as it is registered)" },
  { "2.2", "PE registration/deregistration flooding - unauthorized PE", "registration-flood",
    "host without credentials",
    "the registration flood of 2.1 from a host that holds no PE key (secure.keys does not name it): with "
    "secure.pe-registrar = psk it fails at the handshake",
    "attack.count, attack.interval, attack.start, attack.registration-life, attack.load-degradation" },
  { "2.3", "PE registration/deregistration spoofing", "spoofing", "insider PE",
    "resolves the pool, deregisters each PE of the answer by handle and identifier and re-registers the identifier "
    "at its own address with the most attractive policy values (hijack), swallows the PUs' requests",
    "attack.count, attack.interval, attack.start, attack.registration-life, attack.load-degradation" },
  { "2.4", "PE registration/deregistration unauthorized", "registration-flood", "insider PE of another pool",
    "an adversary with a genuine PE key for another pool (secure.keys) floods this pool with fake PEs over TLS-PSK",
    "attack.count, attack.interval, attack.start, attack.registration-life, attack.load-degradation" },
  { "2.5", "Malicious ENRP server joins the group of legitimate ENRP servers", "rogue-enrp", "malicious registrar",
    "joins the registrar group over ENRP (presence, handle table) and every interval announces HANDLE_UPDATE ADD_PE "
    "for bogus PEs at non-existent addresses and DEL_PE for every legitimate PE it learned (attacks/rogue.c)",
    "attack.start, attack.interval, attack.bogus-pes, attack.delete-pes, attack.registration-life" },
  { "2.6", "Registration/deregistration with malicious ENRP server", "rogue-registrar", "malicious registrar",
    "an ASAP server that accepts every registration and keeps it to itself, found through forged server announces "
    "or a static list naming it (misconfiguration); the captured PEs are missing from the honest handlespace",
    "attack.start, attack.interval, attack.announce, attack.address, attack.answer" },
  { "2.7", "Malicious ENRP handlespace resolution", "rogue-resolution", "malicious registrar",
    "an ASAP server that answers the PUs' handle resolutions with a PE at its own address (requests swallowed) or "
    "random non-existent addresses, found through forged server announces or misconfiguration",
    "attack.start, attack.interval, attack.announce, attack.address, attack.answer, attack.bogus-pes" },
  { "2.8", "Malicious node performs a replay attack", "replay", "on-path tap",
    "records the first REGISTRATION and DEREGISTRATION of each association towards a registrar (or, unreadable, its "
    "latest message) and every interval injects them into that live association as the next DATA chunk (the PE's "
    "address, ports and verification tag, the TSN and SSN the registrar expects), shifting the later TSNs and "
    "acknowledgements so the association survives: stale state, crashed PEs kept or resurrected",
    "attack.count (1), attack.interval, attack.start, attack.lan, attack.replay-messages" },
  { "2.9", "Re-establishing PU-PE security during failover", "failover-downgrade", "on-path tap",
    "every interval cuts the application traffic of the next PE with TLS (secure.pu-pe-hosts) for the interval, so "
    "its sessions fail over, perhaps to a PE without TLS (attacks/failover.c)",
    "attack.start, attack.interval" },
  { "2.10", "Integrity", "tamper", "on-path tap",
    "rewrites the IPv4 user addresses of the PE parameters in handle resolution answers, registrations and ENRP "
    "handle updates crossing its LAN to an address nobody holds (opaque records: flips a bit)",
    "attack.count, attack.start, attack.lan, attack.tamper-messages, attack.tamper-probability" },
  { "2.11", "Data confidentiality", "eavesdrop", "on-path tap",
    "decodes every ASAP and ENRP message crossing its LAN and counts the distinct PE identifiers, PE addresses, pool "
    "handles and registrar identifiers it learns",
    "attack.count, attack.lan" },
  { "2.12", "ENRP server discovery", "discovery", "on-path tap (suppress) or off-path host forging UDP (spoof)",
    "suppress: taps drop the registrars' server announces; spoof: forged announces of decoy registrars at "
    "non-existent addresses fill the PEs' and PUs' server hunts (attacks/discovery.c)",
    "attack.discovery, attack.count, attack.start, attack.interval, attack.decoys" },
  { "2.13", "Flood of endpoint unreachable messages from the PU to the ENRP server", "unreachable-flood",
    "insider PU",
    "floods handle resolutions and reports every returned PE unreachable with probability p (PAPERS §2.2)",
    "attack.count, attack.interval, attack.start, attack.report-probability" },
  { "2.14", "Flood of endpoint keep alive messages from the ENRP server to a PE", "keepalive-flood",
    "malicious registrar",
    "opens an ASAP association to every PE's ASAP endpoint (port 3863) and sends each an ENDPOINT_KEEP_ALIVE every "
    "interval; the PE answers each (pe.keepalive-cost of CPU); H = 0 by default, H = 1 also takes the PE's home",
    "attack.count, attack.interval, attack.start, attack.home-flag" },
  { "2.15", "Security of the ENRP database", "registration-flood", "PE without security (attack.plain)",
    "fake PEs registered over plain ASAP into a registrar whose PEs use TLS: with registrar.secure-database = mixed "
    "they are served to PUs beside the secure ones",
    "attack.plain, attack.count, attack.interval, attack.start, attack.registration-life" },
  { "2.16", "Cookie flooding / forgery", "cookie-forgery", "insider PU",
    "resolves the pool and echoes a forged cookie (or, tamper, its genuine cookie with the progress changed) to the "
    "chosen PE before its request: a job resumed at attack.cookie-progress without the work",
    "attack.count, attack.interval, attack.start, attack.cookie-mode, attack.cookie-progress, "
    "attack.cookie-job-size" },
};

static const AttackMitigation mitigations[] = {
  { "tls-psk", "2.1, 2.2, 2.3, 2.4, 2.14", "models/rsp-secure, models/registrar",
    "TLS with pre-shared keys between PEs and registrars: a host without a PE key fails the handshake, nothing "
    "arrives in the clear, a registered PE stays bound to its key (RFC 5355 §3)",
    "secure.pe-registrar = psk (secure.keys says who holds keys)" },
  { "one-pe-per-credential", "2.1, 2.3", "models/registrar",
    "a credential (the TLS-PSK identity, else the association's peer address) holds one PE identity at a time",
    "registrar.one-pe-per-credential = true" },
  { "address-binding", "2.3", "models/registrar",
    "a PE's user addresses must be addresses of its registering association, a registered identity is updated only "
    "from its own addresses (no hijack); deregistration only by the PE itself (RFC 5352 §3.1 R1, §2.2.2)",
    "registrar.address-binding = true (the default)" },
  { "max-bad-pe-report", "2.1, 2.13", "models/registrar",
    "MAX-BAD-PE-REPORT: a PE reported unreachable this many times is removed (RFC 5352 §3.5); the lever that purges "
    "fake PEs and, against 2.13, the one the flood abuses",
    "registrar.max-bad-pe-reports = N (0 = never remove)" },
  { "probe-before-remove", "2.13", "models/registrar",
    "RFC 5352 §3.5: probe a reported PE with a keep-alive and remove it only without an answer",
    "registrar.unreachable-probe = true (with registrar.max-bad-pe-reports = 0: reports alone remove nothing)" },
  { "registrar-rate-limits", "2.13", "models/registrar",
    "per-association limits on handle resolutions and unreachable reports, rate = entries / (newest - oldest) over a "
    "window of arrival times; refused requests are dropped and counted (PAPERS §2.3)",
    "registrar.max-hr-rate, registrar.max-eu-rate (per s, 0 = off), registrar.rate-window, registrar.rate-burst" },
  { "pu-report-limit", "2.13", "models/pu",
    "RFC 5355 §2.13.3: an honest PU's ASAP stack sends at most N ENDPOINT_UNREACHABLE reports in any window; the "
    "others are not sent and are counted. It bounds the unintentional flood (a PU that cannot reach many PEs, e.g. "
    "fake ones, or a faulty stack); a malicious PU does not run it (against that: registrar-rate-limits). The reports "
    "it holds back are also the ones MAX-BAD-PE-REPORT needs to purge fake PEs (§2.1)",
    "pu.max-eu-rate (reports per window, 0 = off), pu.eu-rate-window" },
  { "registration-rate-limit", "2.1", "models/registrar",
    "registrations of new PE identities per credential are judged by the per-PU rate estimator and rejected above "
    "the limit; refreshes and deregistrations are never limited. Bounds the registration/deregistration churn that "
    "one-pe-per-credential does not (each fake PE is deregistered before the next)",
    "registrar.max-registration-rate (per s and credential, 0 = off), registrar.rate-window, registrar.rate-burst" },
  { "keep-alive-rate-limit", "2.14", "models/pe",
    "a PE answers keep-alives at a bounded rate per association, rate = entries / (newest - oldest) over a window of "
    "arrival times, the first few unjudged; refused keep-alives are dropped before any work and counted (RFC 5355 "
    "§2.14.3)",
    "pe.max-keepalive-rate (per s, 0 = off), pe.keepalive-rate-window, pe.keepalive-rate-burst" },
  { "pool-authorization", "2.4", "models/registrar",
    "with TLS-PSK, a PE key registers only into the pools its secure.keys entry lists",
    "registrar.pool-authorization = true (the default) with secure.pe-registrar = psk" },
  { "secure-database", "2.15", "models/registrar",
    "all-or-nothing: a registrar whose PEs use TLS refuses every registration without it (cause 0xa), so no insecure "
    "entry is served (RFC 5355 §2.15)",
    "registrar.secure-database = all-or-nothing (the default) with secure.pe-registrar = psk or cert" },
  { "failover-reestablish", "2.9", "models/calcapp",
    "the application learns of a failover and goes on only with a PE it can set up TLS with (RFC 5355 §2.9.3)",
    "calcapp.failover-security = reestablish (with secure.pu-pe)" },
  { "registrar-mutual-auth", "2.5", "models/rsp-secure, models/registrar",
    "TLS-PSK between registrars (RFC 5355 §2.5.3): a server without a registrar key fails the handshake and never "
    "becomes a peer; plain ENRP is refused (cause 0xa)",
    "secure.registrar-registrar = psk" },
  { "pe-authenticates-registrar", "2.6, 2.12", "models/rsp-secure, models/endpoint",
    "the PE authenticates its registrar by TLS (PSK or certificate, RFC 5355 §2.6.3); a failed handshake is a failed "
    "hunt attempt (SH4) and the PE tries another registrar",
    "secure.pe-registrar = psk (or cert)" },
  { "pu-authenticates-registrar", "2.7, 2.12", "models/rsp-secure, models/endpoint",
    "the PU authenticates its registrar by a certificate of the scenario CA (RFC 5355 §2.7.3) and looks for another "
    "one when that fails (SH4)",
    "secure.pu-registrar = cert" },
  { "trusted-static-registrars", "2.6, 2.7, 2.12", "models/rserpool, models/endpoint",
    "PEs and PUs ignore server announces and use only their configured (trusted) registrar list: forged or "
    "suppressed announces change nothing (not a defence against a misconfigured list)",
    "rserpool.static-registrars = true, pe.announces = false, pu.announces = false" },
  { "tls-replay-protection", "2.8", "models/secure, models/rsp-secure",
    "TLS between PEs and registrars: a replayed record fails authentication (record sequence numbers), the "
    "association is aborted and the failure counted (secure.failures.pe-registrar.server.record)",
    "secure.pe-registrar = psk" },
  { "tls-integrity", "2.10", "models/secure, models/rsp-secure",
    "TLS on PE-registrar, PU-registrar and registrar-registrar associations: a modified record fails "
    "authentication, the association is aborted and the failure counted (secure.failures.*.record)",
    "secure.pe-registrar = psk, secure.pu-registrar = psk, secure.registrar-registrar = psk" },
  { "tls-confidentiality", "2.11", "models/secure, models/rsp-secure",
    "TLS on the ASAP and ENRP associations: an on-path observer sees records only",
    "secure.pe-registrar = psk, secure.pu-registrar = psk, secure.registrar-registrar = psk" },
  { "signed-cookies", "2.16", "models/calcapp",
    "PEs sign (HMAC-SHA256) or encrypt and sign (AES-128-CTR, then HMAC-SHA256) their cookies under a pool key they "
    "share; an echoed cookie that does not verify is counted and the job starts from 0 (RFC 5355 §2.16)",
    "calcapp.cookie-auth = hmac | hmac-encrypt, calcapp.cookie-key = HEX" },
};

const AttackThreat *
attack_threats (gsize *n)
{
  *n = G_N_ELEMENTS (threats);
  return threats;
}

const AttackMitigation *
attack_mitigations (gsize *n)
{
  *n = G_N_ELEMENTS (mitigations);
  return mitigations;
}

static const SimParamDecl attack_param_decls[] = {
  { "attack.type", SIM_PARAM_ENUM, "none", 0, 0,
    "none,registration-flood,spoofing,unreachable-flood,keepalive-flood,failover-downgrade,rogue-enrp,"
    "rogue-registrar,rogue-resolution,discovery,replay,tamper,eavesdrop,cookie-forgery",
    "The attack of the run (`poolsim list threats`): none, registration-flood (RFC 5355 §2.1, §2.2, §2.4, §2.15), "
    "spoofing (§2.3), unreachable-flood (§2.13), keepalive-flood (§2.14), failover-downgrade (§2.9), rogue-enrp "
    "(§2.5), rogue-registrar (§2.6), rogue-resolution (§2.7), discovery (§2.12), replay (§2.8), tamper (§2.10), "
    "eavesdrop (§2.11) or cookie-forgery (§2.16); model rserpool only." },
  { "attack.count", SIM_PARAM_INT, "1", 1, 1000, NULL,
    "Adversary hosts adversary0.. (on LAN i mod net.lans, each attacking registrar i mod registrar.count)." },
  { "attack.interval", SIM_PARAM_TIME, "1s", 1e3, 1e13, NULL,
    "Time between two attack messages of one adversary (deterministic, as the papers' attacker: PAPERS §2.2)." },
  { "attack.start", SIM_PARAM_TIME, "0s", 0, 1e15, NULL,
    "When the adversaries begin (their first message)." },
  { "attack.registration-life", SIM_PARAM_TIME, "1000000s", 1e6, 2147483647e6, NULL,
    "registration-flood, spoofing: registration life of the fake or hijacked PEs (the papers' attacker: 1e9 ms)." },
  { "attack.load-degradation", SIM_PARAM_DOUBLE, "0", 0, 1, NULL,
    "registration-flood, spoofing: load degradation the fake or hijacked PEs claim (LUD, PLU), as a fraction (the "
    "papers: 0 or 25 %)." },
  { "attack.report-probability", SIM_PARAM_DOUBLE, "1", 0, 1, NULL,
    "unreachable-flood: probability p of reporting each PE of an answer unreachable (0 = a pure resolution flood)." },
  { "attack.deregister", SIM_PARAM_BOOL, "false", 0, 0, NULL,
    "registration-flood: deregister each fake PE as soon as its registration is accepted and then shut its "
    "association down (RFC 5355 §2.1 registration/deregistration flooding: handlespace churn, no fake PE stays)." },
  { "attack.home-flag", SIM_PARAM_BOOL, "false", 0, 0, NULL,
    "keepalive-flood: set H in the keep-alives (RFC 5352 §2.2.7): the PE also takes the adversary as its home "
    "registrar (RFC 5352 §3.7); false = a pure flood." },
  { "attack.plain", SIM_PARAM_BOOL, "false", 0, 0, NULL,
    "The adversaries speak plain ASAP on port 3863 even where the channel class uses TLS (an insecure PE, RFC 5355 "
    "§2.15); false = TLS where the class uses it (they get past a PSK handshake only with a key: secure.keys)." },
  { "attack.bogus-pes", SIM_PARAM_INT, "10", 0, 10000, NULL,
    "rogue-enrp: bogus PEs (fresh identifiers, non-existent addresses) announced with ADD_PE every interval; "
    "rogue-resolution with attack.answer = random: PEs per answer." },
  { "attack.delete-pes", SIM_PARAM_BOOL, "true", 0, 0, NULL,
    "rogue-enrp: also announce DEL_PE every interval for every legitimate PE the rogue learned." },
  { "attack.announce", SIM_PARAM_BOOL, "true", 0, 0, NULL,
    "rogue-registrar, rogue-resolution: send forged ASAP_SERVER_ANNOUNCEs naming the rogue every interval (UDP "
    "source forged to a registrar's address); false = found only through a static list naming attack.address." },
  { "attack.address", SIM_PARAM_STRING, "", 0, 0, NULL,
    "rogue-*: the rogue registrar's IPv4 address on lan0 (for pe.registrars / pu.registrars: misconfiguration); "
    "empty = the LAN's next free address." },
  { "attack.answer", SIM_PARAM_ENUM, "auto", 0, 0, "auto,self,random,captured",
    "rogue-registrar, rogue-resolution: the rogue's handle-resolution answers: self (a PE at its own address that "
    "swallows requests), random (attack.bogus-pes non-existent PEs), captured (the PEs registered with it); "
    "auto = captured for rogue-registrar, self for rogue-resolution." },
  { "attack.discovery", SIM_PARAM_ENUM, "suppress", 0, 0, "suppress,spoof",
    "discovery: suppress (each adversary's tap on its LAN drops the server announces) or spoof (forged announces of "
    "attack.decoys non-existent registrars)." },
  { "attack.decoys", SIM_PARAM_INT, "10", 1, 10000, NULL,
    "discovery = spoof: decoy registrars announced every interval." },
  { "attack.lan", SIM_PARAM_INT, "0", 0, 65535, NULL,
    "replay, tamper, eavesdrop: adversary i taps LAN (attack.lan + i) mod net.lans (LAN 0 holds registrar0)." },
  { "attack.replay-messages", SIM_PARAM_ENUM, "all", 0, 0, "all,registrations,deregistrations",
    "replay: which captured messages are replayed (messages it cannot decode, e.g. TLS records, always are)." },
  { "attack.tamper-messages", SIM_PARAM_ENUM, "all", 0, 0, "all,resolutions,registrations,updates",
    "tamper: which messages get their PE addresses rewritten: handle resolution answers, registrations, ENRP handle "
    "updates, or all three." },
  { "attack.tamper-probability", SIM_PARAM_DOUBLE, "1", 0, 1, NULL,
    "tamper: probability of modifying each message of those kinds (stream attack/<i>/tamper)." },
  { "attack.cookie-mode", SIM_PARAM_ENUM, "forge", 0, 0, "forge,tamper",
    "cookie-forgery: forge = echo a cookie made from scratch; tamper = echo the PE's own cookie with the progress "
    "field changed." },
  { "attack.cookie-progress", SIM_PARAM_DOUBLE, "0.99", 0, 1, NULL,
    "cookie-forgery: the progress the forged cookie claims, as a fraction of the job size." },
  { "attack.cookie-job-size", SIM_PARAM_DOUBLE, "1e7", 1, 1e15, NULL,
    "cookie-forgery: the size (calculations) of the adversary's jobs." },
};

/*
 * What switches each available mitigation on: every condition of a row
 * holds (a condition: key's value is one of `on`, comma-separated enum
 * names; with on NULL a boolean that is true or a number above 0; with on
 * "!" a boolean that is false). A mitigation with several rows is on when
 * any row holds.
 */
typedef struct {
  const char *key, *on;
} AttackSwitchCond;

static const struct {
  const char      *name;
  AttackSwitchCond cond[3];
} mitigation_switches[] = {
  { "tls-psk", { { "secure.pe-registrar", "psk" } } },
  { "one-pe-per-credential", { { "registrar.one-pe-per-credential", NULL } } },
  { "address-binding", { { "registrar.address-binding", NULL } } },
  { "max-bad-pe-report", { { "registrar.max-bad-pe-reports", NULL } } },
  { "probe-before-remove", { { "registrar.unreachable-probe", NULL } } },
  { "registrar-rate-limits", { { "registrar.max-hr-rate", NULL } } },
  { "registrar-rate-limits", { { "registrar.max-eu-rate", NULL } } },
  { "pu-report-limit", { { "pu.max-eu-rate", NULL } } },
  { "registration-rate-limit", { { "registrar.max-registration-rate", NULL } } },
  { "keep-alive-rate-limit", { { "pe.max-keepalive-rate", NULL } } },
  { "pool-authorization", { { "registrar.pool-authorization", NULL }, { "secure.pe-registrar", "psk" } } },
  { "secure-database", { { "registrar.secure-database", "all-or-nothing" }, { "secure.pe-registrar", "psk,cert" } } },
  { "failover-reestablish", { { "calcapp.failover-security", "reestablish" } } },
  { "registrar-mutual-auth", { { "secure.registrar-registrar", "psk,cert" } } },
  { "pe-authenticates-registrar", { { "secure.pe-registrar", "psk,cert" } } },
  { "pu-authenticates-registrar", { { "secure.pu-registrar", "cert" } } },
  { "trusted-static-registrars",
    { { "rserpool.static-registrars", NULL }, { "pe.announces", "!" }, { "pu.announces", "!" } } },
  { "tls-replay-protection", { { "secure.pe-registrar", "psk,cert" } } },
  { "tls-integrity", { { "secure.pe-registrar", "psk,cert" } } },
  { "tls-integrity", { { "secure.pu-registrar", "psk,cert" } } },
  { "tls-integrity", { { "secure.registrar-registrar", "psk,cert" } } },
  { "tls-confidentiality", { { "secure.pe-registrar", "psk,cert" } } },
  { "tls-confidentiality", { { "secure.pu-registrar", "psk,cert" } } },
  { "tls-confidentiality", { { "secure.registrar-registrar", "psk,cert" } } },
  { "signed-cookies", { { "calcapp.cookie-auth", "hmac,hmac-encrypt" } } },
};

static gboolean
switch_on (const SimParams *p, const AttackSwitchCond *c)
{
  if (c->key == NULL)
    return TRUE;
  const SimParamValue *v = sim_params_lookup (p, c->key);
  if (v == NULL)
    return FALSE;
  if (c->on != NULL && strcmp (c->on, "!") == 0)
    return v->decl->type == SIM_PARAM_BOOL && !v->v.b;
  if (c->on != NULL)
    {
      g_auto (GStrv) names = g_strsplit (c->on, ",", -1);
      return g_strv_contains ((const char *const *) names, v->text);
    }
  switch (v->decl->type)
    {
    case SIM_PARAM_BOOL:
      return v->v.b;
    case SIM_PARAM_INT:
      return v->v.i > 0;
    case SIM_PARAM_DOUBLE:
      return v->v.d > 0;
    default:
      g_return_val_if_reached (FALSE);
    }
}

char *
attack_mitigations_on (const SimParams *p)
{
  const SimParamValue *model = sim_params_lookup (p, "model");
  if (model == NULL || strcmp (model->text, "rserpool") != 0)
    return NULL;
  g_autoptr (GString) s = g_string_new (NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (mitigations); i++)
    for (gsize j = 0; j < G_N_ELEMENTS (mitigation_switches); j++)
      if (strcmp (mitigation_switches[j].name, mitigations[i].name) == 0
          && switch_on (p, &mitigation_switches[j].cond[0]) && switch_on (p, &mitigation_switches[j].cond[1])
          && switch_on (p, &mitigation_switches[j].cond[2]))
        {
          g_string_append_printf (s, "%s%s", s->len > 0 ? "," : "", mitigations[i].name);
          break;
        }
  return s->len > 0 ? g_string_free (g_steal_pointer (&s), FALSE) : NULL;
}

const SimParamDecl *
attack_params (gsize *n)
{
  *n = G_N_ELEMENTS (attack_param_decls);
  return attack_param_decls;
}

/* ---- state ----------------------------------------------------------------------- */

typedef enum {
  ATTACK_REGISTRATION_FLOOD,
  ATTACK_UNREACHABLE_FLOOD,
  ATTACK_SPOOFING,
  ATTACK_KEEPALIVE_FLOOD,
} AttackKind;

typedef struct {
  guint64 messages, bytes;
  guint64 registrations, registrations_accepted, registrations_rejected, keep_alive_acks, ignored_app;
  guint64 resolutions, resolutions_answered, unreachable_reports;
  guint64 deregistrations, deregistrations_accepted, deregistrations_rejected;
  guint64 keep_alives, keep_alive_acks_received;
  guint64 connect_failures;   /* associations not opened: every ephemeral port in use */
} AttackCounters;

typedef struct Adversary Adversary;

/* One association of an adversary, with the fake PE registered through it (0 = none). */
typedef struct {
  Adversary *adv;
  NetAssoc  *assoc;
  guint32    pe_id;
  guint      target;    /* keepalive-flood: 1 + the PE's index (its slot in targets) */
} AdvAssoc;

struct Adversary {
  Attack     *a;
  guint       index;
  NetHost    *host;
  NetAddr     registrar;
  SimRng      rng_id;       /* "attack/<i>/id" */
  SimRng      rng_report;   /* "attack/<i>/report" */
  SimEventId  timer;
  NetListener *app;         /* registration-flood: the fake PEs' user transport */
  GPtrArray  *assocs;       /* AdvAssoc *: to the registrar, and accepted application ones */
  AdvAssoc   *pu;           /* unreachable-flood, spoofing: the PU association (in assocs) */
  AdvAssoc   *spare;        /* registration-flood, spoofing: one whose registration was rejected (in assocs) */
  AdvAssoc  **targets;      /* keepalive-flood: per PE, its association (in assocs) or NULL */
  guint32     server_id;    /* keepalive-flood: the registrar identity it claims */
};

/*
 * The attacks that live in files of their own (attacks/attack-private.h,
 * failover.h, rogue.h): created, recorded and freed through this table; an
 * Attack of one of them uses nothing but module and impl.
 */
typedef struct {
  const char *types;   /* the attack.type values it models, comma-separated */
  gpointer  (*create)  (Rserpool *m, const SimParams *p, guint64 seed, const char *type, GError **error);
  void      (*record)  (gpointer impl, SimRecorder *rec);
  void      (*destroy) (gpointer impl);
} AttackModule;

#define ATTACK_MODULE_ADAPTERS(name, Type)                                                                        \
  static gpointer name##_create (Rserpool *m, const SimParams *p, guint64 seed, const char *type, GError **error)  \
  {                                                                                                               \
    return attack_##name##_new (m, p, seed, error);                                                               \
  }                                                                                                               \
  static void name##_record (gpointer impl, SimRecorder *rec)                                                     \
  {                                                                                                               \
    attack_##name##_record ((Type *) impl, rec);                                                                  \
  }                                                                                                               \
  static void name##_destroy (gpointer impl)                                                                      \
  {                                                                                                               \
    attack_##name##_free ((Type *) impl);                                                                         \
  }

ATTACK_MODULE_ADAPTERS (failover, AttackFailover)
ATTACK_MODULE_ADAPTERS (rogue, AttackRogue)
ATTACK_MODULE_ADAPTERS (discovery, AttackDiscovery)
ATTACK_MODULE_ADAPTERS (cookie, AttackCookie)

static gpointer
onpath_create (Rserpool *m, const SimParams *p, guint64 seed, const char *type, GError **error)
{
  return attack_onpath_new (m, p, seed, type, error);
}

static void
onpath_record (gpointer impl, SimRecorder *rec)
{
  attack_onpath_record (impl, rec);
}

static void
onpath_destroy (gpointer impl)
{
  attack_onpath_free (impl);
}

static const AttackModule attack_modules[] = {
  { "failover-downgrade", failover_create, failover_record, failover_destroy },                  /* §2.9 */
  { "rogue-enrp,rogue-registrar,rogue-resolution", rogue_create, rogue_record, rogue_destroy },   /* §2.5-2.7 */
  { "discovery", discovery_create, discovery_record, discovery_destroy },                          /* §2.12 */
  { "replay,tamper,eavesdrop", onpath_create, onpath_record, onpath_destroy },                     /* §2.8, 2.10, 2.11 */
  { "cookie-forgery", cookie_create, cookie_record, cookie_destroy },                              /* §2.16 */
};

static const AttackModule *
attack_module_for (const char *type)
{
  for (gsize i = 0; i < G_N_ELEMENTS (attack_modules); i++)
    {
      g_auto (GStrv) types = g_strsplit (attack_modules[i].types, ",", -1);
      if (g_strv_contains ((const char *const *) types, type))
        return &attack_modules[i];
    }
  return NULL;
}

struct Attack {
  const AttackModule *module;  /* an attack of its own file: only impl below is used */
  gpointer      impl;
  Rserpool     *m;
  Net          *net;
  SimKernel    *kernel;
  AttackKind    kind;
  SimTime       interval, start, reg_life;
  guint32       load_degradation;
  double        report_p;
  gboolean      home_flag;
  gboolean      plain;       /* attack.plain: no TLS, plain ports */
  gboolean      deregister;   /* registration-flood churn mode (attack.deregister) */
  guint32       policy_type;
  guint16       user_port;
  GPtrArray    *adversaries;
  AttackCounters c;
};

static void
count_sent (Attack *a, gsize bytes)
{
  if (bytes == 0)
    return;
  a->c.messages++;
  a->c.bytes += bytes;
}

static CodecBytes
pool_handle (Attack *a)
{
  const char *h = rserpool_pool_handle (a->m);
  return (CodecBytes) { (const guint8 *) h, strlen (h) };
}

static AdvAssoc *
adv_assoc_add (Adversary *adv, NetAssoc *assoc)
{
  AdvAssoc *aa = g_new0 (AdvAssoc, 1);
  aa->adv = adv;
  aa->assoc = assoc;
  g_ptr_array_add (adv->assocs, aa);
  return aa;
}

/* A terminal event: the association is gone. */
static void
adv_assoc_gone (AdvAssoc *aa)
{
  Adversary *adv = aa->adv;
  if (adv->pu == aa)
    adv->pu = NULL;
  if (adv->spare == aa)
    adv->spare = NULL;
  if (aa->target != 0)
    adv->targets[aa->target - 1] = NULL;
  g_ptr_array_remove (adv->assocs, aa);   /* frees aa */
}

/* ---- ASAP towards the registrar ---------------------------------------------------- */

static void spoof (Adversary *adv, const CodecPoolElement *pe);

/* Any adversary association (to a registrar, a PE, or accepted for a fake PE) that ends is forgotten. */
static void
adv_event (NetAssoc *assoc, NetAssocEvent ev, gpointer user_data)
{
  if (ev != NET_ASSOC_UP)
    adv_assoc_gone (user_data);
}

static void
reg_receive (NetAssoc *assoc, const NetMessage *nm, gpointer user_data)
{
  AdvAssoc *aa = user_data;
  Adversary *adv = aa->adv;
  Attack *a = adv->a;
  g_auto (CodecMessage) msg = { 0 };
  CodecError err;
  if (!rsp_decode (nm, &msg, &err))
    return;
  switch (msg.type)
    {
    case CODEC_ASAP_REGISTRATION_RESPONSE:
      if (msg.flags & CODEC_FLAG_REGISTRATION_RESPONSE_REJECT)
        {
          a->c.registrations_rejected++;
          if (aa->pe_id == 0)
            break;
          /*
           * Nothing was registered through it, so no keep-alive will come: it
           * carries the next registration (as the papers' attacker sends all
           * over one association), or, if there is a spare already or in the
           * churn mode, it goes.
           */
          aa->pe_id = 0;
          if (adv->spare == NULL && !a->deregister)
            adv->spare = aa;
          else
            net_assoc_shutdown (assoc);
          break;
        }
      a->c.registrations_accepted++;
      if (a->deregister && aa->pe_id != 0)
        {
          /* RFC 5355 §2.1: the churn mode takes the fake PE away again at once. */
          CodecMessage dereg = { 0 };
          dereg.type = CODEC_ASAP_DEREGISTRATION;
          dereg.u.pe_ref.handle = pool_handle (a);
          dereg.u.pe_ref.pe_id = aa->pe_id;
          count_sent (a, rsp_send (a->net, assoc, 0, &dereg));
          a->c.deregistrations++;
        }
      break;
    case CODEC_ASAP_ENDPOINT_KEEP_ALIVE:
      if (aa->pe_id != 0)
        {
          /* PAPERS §2.2: the attacker answers keep-alives, so the registrar keeps its fake PE. */
          CodecMessage ack = { 0 };
          ack.type = CODEC_ASAP_ENDPOINT_KEEP_ALIVE_ACK;
          ack.u.pe_ref.handle = msg.u.keep_alive.handle;
          ack.u.pe_ref.pe_id = aa->pe_id;
          count_sent (a, rsp_send (a->net, assoc, 0, &ack));
          a->c.keep_alive_acks++;
        }
      break;
    case CODEC_ASAP_ENDPOINT_KEEP_ALIVE_ACK:
      a->c.keep_alive_acks_received++;
      break;
    case CODEC_ASAP_DEREGISTRATION_RESPONSE:
      if (msg.u.pe_ref.error != NULL)
        a->c.deregistrations_rejected++;
      else
        a->c.deregistrations_accepted++;
      if (a->deregister && aa->pe_id != 0)
        net_assoc_shutdown (assoc);
      break;
    case CODEC_ASAP_HANDLE_RESOLUTION_RESPONSE:
      {
        const CodecHandleResolutionResponse *hr = &msg.u.handle_resolution_response;
        a->c.resolutions_answered++;
        if (a->kind == ATTACK_SPOOFING)
          {
            for (guint i = 0; i < hr->n_pes; i++)
              spoof (adv, &hr->pes[i]);
            break;
          }
        for (guint i = 0; i < hr->n_pes; i++)
          {
            /* One draw per PE, whatever p: the draws do not depend on the probability. */
            if (!sim_rng_bernoulli (&adv->rng_report, a->report_p))
              continue;
            CodecMessage eu = { 0 };
            eu.type = CODEC_ASAP_ENDPOINT_UNREACHABLE;
            eu.u.pe_ref.handle = hr->handle;
            eu.u.pe_ref.pe_id = hr->pes[i].pe_id;
            count_sent (a, rsp_send (a->net, assoc, 0, &eu));
            a->c.unreachable_reports++;
          }
        break;
      }
    default:
      break;   /* anything else: ignored */
    }
}

static const NetAssocCallbacks reg_callbacks = { adv_event, reg_receive };

/* ---- the fake PEs' user transport: accept and swallow --------------------------------- */

static void
app_receive (NetAssoc *assoc, const NetMessage *nm, gpointer user_data)
{
  AdvAssoc *aa = user_data;
  aa->adv->a->c.ignored_app++;
}

static const NetAssocCallbacks app_callbacks = { adv_event, app_receive };

static gboolean
app_accept (NetListener *l, NetAssoc *assoc, gpointer user_data)
{
  Adversary *adv = user_data;
  net_assoc_set_callbacks (assoc, &app_callbacks, adv_assoc_add (adv, assoc));
  return TRUE;
}

/* ---- the attack steps ------------------------------------------------------------------ */

/* Register PE identity id at the adversary's own address over a new association of its own. */
/*
 * An association to dst's ASAP endpoint as role, over TLS (port 3864) when
 * the class uses it (models/rsp-secure.h): the adversary gets past the
 * handshake only with a key of that role (secure.keys naming it: an insider);
 * messages sent meanwhile wait for the handshake and die with it.
 */
static NetAssoc *
adv_connect (Adversary *adv, NetAddr dst, SecureClass cls, RspRole role)
{
  RspSecurity *sec = adv->a->plain ? NULL : rserpool_security (adv->a->m);
  guint16 port = rsp_security_port (sec, cls, RSP_ASAP_PORT, SECURE_ASAP_TLS_PORT);
  NetAssoc *assoc = net_assoc_connect (adv->host, dst, port, &reg_callbacks, NULL);
  rsp_security_client (sec, cls, role, adv->host, assoc);
  return assoc;
}

static void
register_as (Adversary *adv, guint32 id)
{
  Attack *a = adv->a;
  NetAddr self = net_host_address (adv->host, 0);
  CodecAddress addr = { 0 };
  addr.family = 4;
  addr.bytes[0] = self >> 24;
  addr.bytes[1] = self >> 16;
  addr.bytes[2] = self >> 8;
  addr.bytes[3] = self;
  CodecMessage msg = { 0 };
  msg.type = CODEC_ASAP_REGISTRATION;
  CodecRegistration *r = &msg.u.registration;
  r->handle = pool_handle (a);
  r->pe.pe_id = id;
  r->pe.reg_life_ms = (gint32) (a->reg_life / SIM_MS);
  r->pe.user_transport.type = CODEC_PARAM_SCTP_TRANSPORT;
  r->pe.user_transport.port = a->user_port;
  r->pe.user_transport.use = CODEC_TRANSPORT_USE_DATA_CONTROL;
  r->pe.user_transport.n_addrs = 1;
  r->pe.user_transport.addrs = &addr;
  /* The most attractive values of the pool's policy (PAPERS §2.2). */
  r->pe.policy.type = a->policy_type;
  r->pe.policy.weight = G_MAXUINT32;
  r->pe.policy.priority = G_MAXUINT32;
  r->pe.policy.load = 0;
  r->pe.policy.load_degradation = a->load_degradation;
  AdvAssoc *aa = g_steal_pointer (&adv->spare);
  if (aa == NULL)
    {
      NetAssoc *assoc = adv_connect (adv, adv->registrar, SECURE_CLASS_PE_REGISTRAR, RSP_ROLE_PE);
      if (assoc == NULL)
        {
          a->c.connect_failures++;   /* 16,384 fake PEs hold every port: the flood is at its ceiling */
          return;
        }
      aa = adv_assoc_add (adv, assoc);
      net_assoc_set_callbacks (assoc, &reg_callbacks, aa);
    }
  NetAssoc *assoc = aa->assoc;
  aa->pe_id = id;
  count_sent (a, rsp_send (a->net, assoc, 0, &msg));
  a->c.registrations++;
}

static void
register_fake (Adversary *adv)
{
  guint32 id;
  do
    id = (guint32) sim_rng_next (&adv->rng_id);
  while (id == 0);
  register_as (adv, id);
}

/* Does this PE parameter name the adversary's own address (one of its hijacks)? */
static gboolean
names_self (Adversary *adv, const CodecPoolElement *pe)
{
  NetAddr self = net_host_address (adv->host, 0);
  for (guint i = 0; i < pe->user_transport.n_addrs; i++)
    {
      const guint8 *b = pe->user_transport.addrs[i].bytes;
      if (pe->user_transport.addrs[i].family == 4
          && (((NetAddr) b[0] << 24) | ((NetAddr) b[1] << 16) | ((NetAddr) b[2] << 8) | b[3]) == self)
        return TRUE;
    }
  return FALSE;
}

/*
 * RFC 5355 §2.3: deregister a legitimate PE by its handle and identifier
 * (over the adversary's resolution association: not the PE's), then
 * register the identifier at the adversary's own address.
 */
static void
spoof (Adversary *adv, const CodecPoolElement *pe)
{
  Attack *a = adv->a;
  if (names_self (adv, pe))
    return;   /* already ours */
  CodecMessage msg = { 0 };
  msg.type = CODEC_ASAP_DEREGISTRATION;
  msg.u.pe_ref.handle = pool_handle (a);
  msg.u.pe_ref.pe_id = pe->pe_id;
  count_sent (a, rsp_send (a->net, adv->pu->assoc, 0, &msg));
  a->c.deregistrations++;
  register_as (adv, pe->pe_id);
}

static void
resolve (Adversary *adv)
{
  Attack *a = adv->a;
  if (adv->pu == NULL)
    {
      NetAssoc *assoc = adv_connect (adv, adv->registrar, SECURE_CLASS_PU_REGISTRAR, RSP_ROLE_PU);
      if (assoc == NULL)
        {
          a->c.connect_failures++;
          return;
        }
      adv->pu = adv_assoc_add (adv, assoc);
      net_assoc_set_callbacks (assoc, &reg_callbacks, adv->pu);
    }
  CodecMessage msg = { 0 };
  msg.type = CODEC_ASAP_HANDLE_RESOLUTION;
  msg.u.handle_resolution.handle = pool_handle (a);
  count_sent (a, rsp_send (a->net, adv->pu->assoc, 0, &msg));
  a->c.resolutions++;
}

/*
 * RFC 5355 §2.14: one ENDPOINT_KEEP_ALIVE to every PE, each on the
 * adversary's association to the PE's ASAP endpoint (opened at the first
 * tick, again after a failure), as a registrar sends it (RFC 5352 §2.2.7).
 */
static void
flood_keep_alives (Adversary *adv)
{
  Attack *a = adv->a;
  guint n = rserpool_n_pes (a->m);
  for (guint j = 0; j < n; j++)
    {
      if (adv->targets[j] == NULL)
        {
          NetAddr pe_addr = net_host_address (pe_host (rserpool_pe (a->m, j)), 0);
          NetAssoc *assoc = adv_connect (adv, pe_addr, SECURE_CLASS_PE_REGISTRAR, RSP_ROLE_REGISTRAR);
          if (assoc == NULL)
            {
              a->c.connect_failures++;
              continue;
            }
          AdvAssoc *aa = adv_assoc_add (adv, assoc);
          aa->target = j + 1;
          adv->targets[j] = aa;
          net_assoc_set_callbacks (assoc, &reg_callbacks, aa);
        }
      CodecMessage msg = { 0 };
      msg.type = CODEC_ASAP_ENDPOINT_KEEP_ALIVE;
      msg.flags = a->home_flag ? CODEC_FLAG_KEEP_ALIVE_HOME : 0;
      msg.u.keep_alive.server_id = adv->server_id;
      msg.u.keep_alive.handle = pool_handle (a);
      count_sent (a, rsp_send (a->net, adv->targets[j]->assoc, 0, &msg));
      a->c.keep_alives++;
    }
}

static void
adversary_tick (SimKernel *k, gpointer ctx, gpointer data)
{
  Adversary *adv = ctx;
  Attack *a = adv->a;
  adv->timer = sim_kernel_schedule (k, a->interval, adversary_tick, adv, NULL);
  if (a->kind == ATTACK_REGISTRATION_FLOOD)
    register_fake (adv);
  else if (a->kind == ATTACK_KEEPALIVE_FLOOD)
    flood_keep_alives (adv);
  else
    resolve (adv);   /* unreachable-flood and spoofing act on the answer */
}

/* ---- life cycle --------------------------------------------------------------------------- */

static void
adv_assoc_free (gpointer p)
{
  g_free (p);
}

gboolean
attack_fail (GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error_literal (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID, msg);
  return FALSE;
}

Attack *
attack_new (Rserpool *m, const SimParams *p, guint64 seed, GError **error)
{
  const char *type = sim_params_string (p, "attack.type");
  if (strcmp (type, "none") == 0)
    return NULL;
  const AttackModule *module = attack_module_for (type);
  if (module != NULL)
    {
      gpointer impl = module->create (m, p, seed, type, error);
      if (impl == NULL)
        return NULL;
      Attack *a = g_new0 (Attack, 1);
      a->module = module;
      a->impl = impl;
      return a;
    }
  if (rserpool_n_registrars (m) == 0)
    return attack_fail (error, "attack.type = %s needs registrar.count >= 1", type), NULL;
  Attack *a = g_new0 (Attack, 1);
  a->m = m;
  a->net = rserpool_net (m);
  a->kernel = rserpool_kernel (m);
  if (strcmp (type, "registration-flood") == 0)
    a->kind = ATTACK_REGISTRATION_FLOOD;
  else if (strcmp (type, "spoofing") == 0)
    a->kind = ATTACK_SPOOFING;
  else if (strcmp (type, "keepalive-flood") == 0)
    a->kind = ATTACK_KEEPALIVE_FLOOD;
  else
    a->kind = ATTACK_UNREACHABLE_FLOOD;
  a->interval = sim_params_time (p, "attack.interval");
  a->start = sim_params_time (p, "attack.start");
  a->reg_life = sim_params_time (p, "attack.registration-life");
  a->load_degradation = (guint32) (sim_params_double (p, "attack.load-degradation") * G_MAXUINT32);
  a->report_p = sim_params_double (p, "attack.report-probability");
  a->home_flag = sim_params_bool (p, "attack.home-flag");
  a->plain = sim_params_bool (p, "attack.plain");
  a->deregister = a->kind == ATTACK_REGISTRATION_FLOOD && sim_params_bool (p, "attack.deregister");
  if (!pe_policy_from_name (sim_params_string (p, "pool.policy"), &a->policy_type))
    g_assert_not_reached ();   /* the key is an enum of these names */
  a->user_port = (guint16) sim_params_int (p, "pe.user-port");
  a->adversaries = g_ptr_array_new ();
  guint n = (guint) sim_params_int (p, "attack.count");
  Net *net = a->net;
  for (guint i = 0; i < n; i++)
    {
      Adversary *adv = g_new0 (Adversary, 1);
      adv->a = a;
      adv->index = i;
      g_autofree char *name = g_strdup_printf ("adversary%u", i);
      adv->host = net_host_new (net, name, "adversary", NET_HOST_ADVERSARY);
      net_host_add_address (adv->host, net_lan (net, i % net_n_lans (net)), 0);
      Registrar *r = rserpool_registrar (m, i % rserpool_n_registrars (m));
      adv->registrar = net_host_address (registrar_host (r), 0);
      sim_rng_init_fmt (&adv->rng_id, seed, "attack/%u/id", i);
      sim_rng_init_fmt (&adv->rng_report, seed, "attack/%u/report", i);
      adv->assocs = g_ptr_array_new_with_free_func (adv_assoc_free);
      if (a->kind == ATTACK_KEEPALIVE_FLOOD)
        {
          adv->targets = g_new0 (AdvAssoc *, MAX (rserpool_n_pes (m), 1));
          do
            adv->server_id = (guint32) sim_rng_next (&adv->rng_id);
          while (adv->server_id == 0);
        }
      if (a->kind == ATTACK_REGISTRATION_FLOOD || a->kind == ATTACK_SPOOFING)
        adv->app = net_listen (adv->host, a->user_port, app_accept, adv);
      adv->timer = sim_kernel_schedule_at (a->kernel, a->start, adversary_tick, adv, NULL);
      g_ptr_array_add (a->adversaries, adv);
    }
  return a;
}

void
attack_record (Attack *a, SimRecorder *rec)
{
  if (a->module != NULL)
    {
      a->module->record (a->impl, rec);
      return;
    }
  const char *mod = "attack";
  SimTime span = sim_kernel_now (a->kernel) - a->start;
  sim_record_scalar (rec, mod, "attack.adversaries", a->adversaries->len, "hosts");
  sim_record_scalar (rec, mod, "attack.messages", (double) a->c.messages, "messages");
  sim_record_scalar (rec, mod, "attack.bytes", (double) a->c.bytes, "B");
  sim_record_scalar (rec, mod, "attack.bitrate", span > 0 ? (double) a->c.bytes * 8.0 / ((double) span / SIM_S) : 0,
                     "bit/s");
  const struct {
    const char *name;
    guint64     v;
  } c[] = {
    { "attack.registrations", a->c.registrations },
    { "attack.registrations_accepted", a->c.registrations_accepted },
    { "attack.registrations_rejected", a->c.registrations_rejected },
    { "attack.keep_alive_acks", a->c.keep_alive_acks },
    { "attack.ignored_app_messages", a->c.ignored_app },
    { "attack.resolutions", a->c.resolutions },
    { "attack.resolutions_answered", a->c.resolutions_answered },
    { "attack.unreachable_reports", a->c.unreachable_reports },
    { "attack.deregistrations", a->c.deregistrations },
    { "attack.deregistrations_accepted", a->c.deregistrations_accepted },
    { "attack.deregistrations_rejected", a->c.deregistrations_rejected },
    { "attack.keep_alives", a->c.keep_alives },
    { "attack.keep_alive_acks_received", a->c.keep_alive_acks_received },
    { "attack.connect_failures", a->c.connect_failures },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (c); i++)
    sim_record_scalar (rec, mod, c[i].name, (double) c[i].v, "messages");
}

void
attack_free (Attack *a)
{
  if (a == NULL)
    return;
  if (a->module != NULL)
    {
      a->module->destroy (a->impl);
      g_free (a);
      return;
    }
  for (guint i = 0; i < a->adversaries->len; i++)
    {
      Adversary *adv = a->adversaries->pdata[i];
      sim_kernel_cancel (a->kernel, adv->timer);
      if (adv->app != NULL && net_host_is_up (adv->host))
        net_listener_close (adv->app);
      /* Abort from the end: an abort raises no event on this side, so nothing else removes entries. */
      while (adv->assocs->len > 0)
        {
          AdvAssoc *aa = adv->assocs->pdata[adv->assocs->len - 1];
          NetAssoc *assoc = aa->assoc;
          g_ptr_array_remove_index (adv->assocs, adv->assocs->len - 1);
          net_assoc_abort (assoc);
        }
      g_ptr_array_unref (adv->assocs);
      g_free (adv->targets);
      g_free (adv);
    }
  g_ptr_array_unref (a->adversaries);
  g_free (a);
}
