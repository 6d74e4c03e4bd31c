/*
 * attacks/rogue.c - the malicious registrar of RFC 5355 §2.5, §2.6 and
 * §2.7: one adversary host ("adversary0", role "adversary") that runs a
 * registrar of its own making, speaking real ENRP and ASAP (every message
 * encoded by the codec and carried by the network, like an honest one's).
 *
 * rogue-enrp (RFC 5355 §2.5). The rogue joins the registrar group: it
 * opens an ENRP association (port 9901) to every registrar of the model (the
 * group's static peer list, as an honest registrar is configured) and sends
 * a PRESENCE with reply required and its Server Information, then a
 * HANDLE_TABLE_REQUEST (W = 0) to learn the handlespace; it listens on 9901
 * for the associations the registrars open back (RFC 5353 §3.4.2: a message
 * from an unknown server adds it as a peer). It answers as a registrar
 * would (PRESENCE when a reply is required, an empty LIST_RESPONSE, its own
 * "PEs" to a HANDLE_TABLE_REQUEST, INIT_TAKEOVER_ACK) so that it stays a
 * peer in good standing. Its PRESENCEs carry no PE checksum (RFC 5353
 * §2.2.1: SHOULD), so the audit never asks it to resynchronise. Every
 * attack.interval from attack.start it announces to every registrar
 *   - a PRESENCE (reply not required), keeping it alive (MAX-TIME-LAST-HEARD);
 *   - HANDLE_UPDATE ADD_PE for each of attack.bogus-pes bogus PEs: fresh
 *     identifiers (stream "attack/0/id"), user transport SCTP at a
 *     non-existent address of the upper half of its LAN (stream
 *     "attack/0/addr"), the pool's policy with its most attractive values,
 *     home = the rogue (RFC 5353 §3.3.2: the peers add them);
 *   - with attack.delete-pes, HANDLE_UPDATE DEL_PE for every legitimate PE
 *     it has learned (from the table and from the registrars' own ADD_PE
 *     announcements to it): every registrar removes it, its owner included
 *     (RFC 5353 §3.3.2 does not ask who sent the DEL_PE), until the PE
 *     re-registers (T4).
 *
 * rogue-registrar (§2.6) and rogue-resolution (§2.7). The rogue is an ASAP
 * server on port 3863: it accepts every association, answers every
 * REGISTRATION with an acceptance (R = 0) and keeps nothing but a list of
 * the captured PEs (the PE believes it is registered; no honest registrar
 * knows it), answers DEREGISTRATIONs, ignores ENDPOINT_UNREACHABLEs, and
 * answers every HANDLE_RESOLUTION by attack.answer:
 *   - self: one PE at its own address and pe.user-port, where it accepts the
 *     PUs' associations and swallows every message (a rogue PE of the
 *     attacker's choice, RFC 5355 §2.7.2);
 *   - random: attack.bogus-pes PEs with fresh identifiers at random
 *     non-existent addresses (drawn per answer);
 *   - captured: the PEs registered with it (Unknown Pool Handle if none);
 *   - auto: captured for rogue-registrar, self for rogue-resolution.
 * It is found by PEs and PUs either through forged ASAP_SERVER_ANNOUNCEs
 * (attack.announce, every attack.interval to 224.0.1.185 port 3863, naming
 * its own SCTP transport, the UDP source forged to registrar i's address
 * in turn: RFC 5355 §2.12 c/d) or by misconfiguration: attack.address gives
 * it a fixed address that the scenario puts into pe.registrars /
 * pu.registrars.
 *
 * Streams (DESIGN.md §3): "attack/0/id" (server identifier, bogus and fake PE
 * identifiers), "attack/0/addr" (non-existent addresses). The rogue's
 * packets draw from its own host's network streams, so no honest entity's
 * draws change.
 *
 * Invariants: every association of the rogue is in `conns` until its
 * terminal event; attack_rogue_free aborts the rest. Lists it iterates
 * (registrars, bogus PEs, learned and captured PEs) are arrays in the order
 * of creation or learning: no hash table is iterated.
 *
 * Secure channels (models/rsp-secure.h). Where a class uses TLS the rogue
 * speaks it as a registrar would: it connects to the registrars' ENRP TLS
 * port 9902 and listens on 9902 and on the ASAP TLS port 3864 (where the
 * PEs' and PUs' hunts go for its announced address), and on its fake PE's
 * port. Unless secure.keys gives its host ("adversary0") the key of the
 * role (an insider: then it uses the run's keys and passes, as TLS cannot
 * stop an insider), it holds no credential of the pool: in psk mode it
 * presents registrar0's identity with a key derived from a guessed secret
 * and answers the PEs' identities with such keys, so every binder fails
 * (RFC 5355 §2.5.3, §2.6.3); in cert mode it presents a certificate of its
 * own CA, which no PU trusts (§2.7.3). The failed handshakes are the
 * association's end (NET_ASSOC_CANT_START): the registrar never adds it as
 * a peer, the PE's or PU's hunt goes on to another registrar (SH4).
 *
 * Not here: several rogues; a rogue client that trusts the scenario CA in
 * registrar-registrar cert mode (which authenticates only the accepting
 * registrar: the RFC asks for PSK there).
 */
#include "config.h"

#include "attacks/attack-private.h"
#include "attacks/rogue.h"

#include "models/pe.h"
#include "models/rsp-secure.h"
#include "models/rsp.h"
#include "sim/rng.h"

#include <string.h>

typedef enum {
  ROGUE_ENRP,
  ROGUE_REGISTRAR,
  ROGUE_RESOLUTION,
} RogueKind;

typedef enum {
  ANSWER_SELF,
  ANSWER_RANDOM,
  ANSWER_CAPTURED,
} RogueAnswer;

typedef enum {
  CONN_ASAP,       /* accepted on 3863 from a PE or PU */
  CONN_APP,        /* accepted on pe.user-port from a PU (answer self) */
  CONN_ENRP_IN,    /* accepted on 9901 from a registrar */
  CONN_ENRP_OUT,   /* opened to registrar `reg` */
} RogueConnRole;

typedef struct {
  AttackRogue  *a;
  NetAssoc     *assoc;
  RogueConnRole role;
  guint         reg;    /* CONN_ENRP_OUT: the registrar's index */
} RogueConn;

/* A PE the rogue names: its bogus ones, the fake one at its own address, the captured ones. */
typedef struct {
  guint32 pe_id;
  NetAddr addr;
  guint16 port;
} RoguePe;

typedef struct {
  guint64 messages, bytes;
  guint64 announces;
  guint64 registrations, resolutions, unreachable, ignored_app;
  guint64 updates_add, updates_del;
} RogueCounters;

struct AttackRogue {
  Rserpool     *m;
  Net          *net;
  SimKernel    *kernel;
  RogueKind     kind;
  RogueAnswer   answer;
  SimTime       start, interval, reg_life;
  guint32       policy_type, load_degradation;
  guint16       user_port;
  guint         n_bogus;
  gboolean      delete_pes, announce;
  NetHost      *host;
  NetAddr       addr, lan_prefix;
  guint32       server_id;
  SimRng        rng_id, rng_addr;
  SimEventId    timer;
  NetListener  *asap, *asap_tls, *app, *enrp, *enrp_tls;
  NetUdpSocket *udp;
  guint         announce_next;   /* registrar whose address the next announce forges */
  GPtrArray    *conns;           /* RogueConn * */
  GArray       *reg_addrs;       /* NetAddr of the model's registrars */
  GPtrArray    *reg_out;         /* per registrar: its CONN_ENRP_OUT RogueConn, or NULL */
  GArray       *bogus;           /* RoguePe: rogue-enrp's bogus PEs */
  GArray       *learned;         /* guint32: legitimate PE identifiers learned (rogue-enrp) */
  GArray       *captured;        /* RoguePe: PEs registered with it */
  guint         captured_ever;   /* distinct identifiers that registered */
  RoguePe       self_pe;
  RogueCounters c;
  /* TLS (models/rsp-secure.h) */
  guint64         seed;
  RspSecurity    *sec;              /* the run's, NULL when no class uses TLS */
  SecureKeyTable *guess_keys;       /* outsider: keys from a guessed secret */
  SecureCert     *own_ca, *own_cert;/* outsider: a CA of its own and its certificate */
  SecureContext  *tls[SECURE_N_CLASSES][2];   /* outsider contexts by class and side (1 = server) */
};

/* ---- helpers ------------------------------------------------------------------------ */

static void
count_sent (AttackRogue *a, gsize bytes)
{
  if (bytes == 0)
    return;
  a->c.messages++;
  a->c.bytes += bytes;
}

static CodecBytes
pool_handle (AttackRogue *a)
{
  const char *h = rserpool_pool_handle (a->m);
  return (CodecBytes) { (const guint8 *) h, strlen (h) };
}

static gboolean
handle_is_pool (AttackRogue *a, CodecBytes h)
{
  CodecBytes mine = pool_handle (a);
  return h.len == mine.len && memcmp (h.data, mine.data, h.len) == 0;
}

static guint32
fresh_id (AttackRogue *a)
{
  guint32 id;
  do
    id = (guint32) sim_rng_next (&a->rng_id);
  while (id == 0);
  return id;
}

/* A non-existent address: the upper half of the rogue's LAN /16 (hosts are numbered from the bottom). */
static NetAddr
nowhere (AttackRogue *a)
{
  return a->lan_prefix | (0x8000u + (NetAddr) sim_rng_below (&a->rng_addr, 0x7ffe));
}

static NetAddr
codec_addr (const CodecTransport *t)
{
  for (guint i = 0; i < t->n_addrs; i++)
    if (t->addrs[i].family == 4)
      {
        const guint8 *b = t->addrs[i].bytes;
        return net_addr (b[0], b[1], b[2], b[3]);
      }
  return 0;
}

/*
 * The PE parameter of pe (addrs: room for 2): user transport SCTP at its
 * address and port, the pool's policy with the most attractive values
 * (PAPERS §2.2), its ASAP transport at the same address, home = the rogue.
 */
static void
pe_param (AttackRogue *a, const RoguePe *pe, CodecAddress *addrs, CodecPoolElement *out)
{
  memset (out, 0, sizeof *out);
  addrs[0] = attack_codec_address (pe->addr);
  addrs[1] = addrs[0];
  out->pe_id = pe->pe_id;
  out->home_server_id = a->server_id;
  out->reg_life_ms = (gint32) (a->reg_life / SIM_MS);
  out->user_transport.type = CODEC_PARAM_SCTP_TRANSPORT;
  out->user_transport.port = pe->port;
  out->user_transport.use = CODEC_TRANSPORT_USE_DATA_CONTROL;
  out->user_transport.n_addrs = 1;
  out->user_transport.addrs = &addrs[0];
  out->policy.type = a->policy_type;
  out->policy.weight = G_MAXUINT32;
  out->policy.priority = G_MAXUINT32;
  out->policy.load = 0;
  out->policy.load_degradation = a->load_degradation;
  out->has_asap_transport = TRUE;
  out->asap_transport.type = CODEC_PARAM_SCTP_TRANSPORT;
  out->asap_transport.port = RSP_ASAP_PORT;
  out->asap_transport.use = CODEC_TRANSPORT_USE_DATA_ONLY;
  out->asap_transport.n_addrs = 1;
  out->asap_transport.addrs = &addrs[1];
}

/* ---- TLS (the mitigations' handshakes) --------------------------------------------------------- */

/* Not knowing secure.psk-secret, the rogue derives every key from a guess. */
static gboolean
guess_key (const char *identity, guint8 key[64], gsize *len, gpointer user_data)
{
  static const char guess[] = "rogue-guess";
  g_autoptr (GHmac) h = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) guess, sizeof guess - 1);
  g_hmac_update (h, (const guchar *) identity, (gssize) strlen (identity));
  gsize n = 32;
  g_hmac_get_digest (h, key, &n);
  *len = n;
  return TRUE;
}

/* The mode of a server of class on the rogue: its ASAP TLS port serves the PE and PU classes, as a registrar's. */
static SecureMode
server_mode (AttackRogue *a, SecureClass cls)
{
  if (cls != SECURE_CLASS_PE_REGISTRAR)
    return rsp_security_mode (a->sec, cls);
  SecureMode pe = rsp_security_mode (a->sec, SECURE_CLASS_PE_REGISTRAR);
  SecureMode pu = rsp_security_mode (a->sec, SECURE_CLASS_PU_REGISTRAR);
  if (pe == SECURE_MODE_NONE && pu == SECURE_MODE_NONE)
    return SECURE_MODE_NONE;
  return pe == SECURE_MODE_PSK || pu == SECURE_MODE_PSK ? SECURE_MODE_PSK : SECURE_MODE_CERT;
}

/* Whether secure.keys gives the rogue's host the key it would need for class. */
static gboolean
insider (AttackRogue *a, SecureClass cls)
{
  RspRole role = cls == SECURE_CLASS_PU_PE ? RSP_ROLE_PE : RSP_ROLE_REGISTRAR;
  return rsp_security_has_role (a->sec, net_host_name (a->host), role);
}

static SecureContext *
outsider_context (AttackRogue *a, SecureClass cls, gboolean server)
{
  SecureContext **slot = &a->tls[cls][server ? 1 : 0];
  if (*slot != NULL)
    return *slot;
  SecureConfig cfg = { 0 };
  cfg.server = server;
  cfg.mode = server ? server_mode (a, cls) : rsp_security_mode (a->sec, cls);
  g_autofree char *label = g_strdup_printf ("rogue-%s-%s", secure_class_name (cls), server ? "server" : "client");
  cfg.label = label;
  gboolean cert = cfg.mode == SECURE_MODE_CERT
                  || (cls == SECURE_CLASS_PE_REGISTRAR
                      && (rsp_security_mode (a->sec, SECURE_CLASS_PE_REGISTRAR) == SECURE_MODE_CERT
                          || rsp_security_mode (a->sec, SECURE_CLASS_PU_REGISTRAR) == SECURE_MODE_CERT));
  if (cert && a->own_ca == NULL)
    {
      const SimTime validity = (SimTime) 87600 * 3600 * SIM_S;
      char ip[16];
      net_addr_format (a->addr, ip, sizeof ip);
      a->own_ca = secure_cert_new_ca ("rogue-ca", a->seed, 0, validity);
      a->own_cert = secure_cert_issue_ip (a->own_ca, net_host_name (a->host), ip, a->seed, 0, validity);
    }
  if (server && cert)
    cfg.cert = a->own_cert;
  if (cfg.mode == SECURE_MODE_PSK)
    {
      cfg.keys = a->guess_keys;
      if (!server)   /* it claims to be registrar0 */
        cfg.identity = net_host_name (registrar_host (rserpool_registrar (a->m, 0)));
    }
  else if (!server)
    cfg.trust = a->own_ca;
  g_autoptr (GError) error = NULL;
  *slot = secure_context_new (a->host, a->seed, &cfg, &error);
  if (*slot == NULL)
    g_error ("attack rogue: TLS context %s: %s", label, error->message);   /* its own configuration */
  return *slot;
}

/* Put the TLS of class into assoc (client: just opened; server: just accepted), as the mitigations require. */
static void
rogue_tls (AttackRogue *a, SecureClass cls, gboolean server, NetAssoc *assoc)
{
  if ((server ? server_mode (a, cls) : rsp_security_mode (a->sec, cls)) == SECURE_MODE_NONE)
    return;
  if (insider (a, cls))
    {
      RspRole role = cls == SECURE_CLASS_PU_PE ? RSP_ROLE_PE : RSP_ROLE_REGISTRAR;
      if (server)
        rsp_security_server (a->sec, cls, role, a->host, assoc);
      else
        rsp_security_client (a->sec, cls, role, a->host, assoc);
      return;
    }
  char peer[16];
  if (!server)
    net_addr_format (net_assoc_peer_addr (assoc), peer, sizeof peer);
  secure_attach (outsider_context (a, cls, server), assoc, server ? NULL : peer);
}

/* ---- associations ------------------------------------------------------------------------ */

static void conn_receive (NetAssoc *assoc, const NetMessage *nm, gpointer user_data);

static void
conn_event (NetAssoc *assoc, NetAssocEvent ev, gpointer user_data)
{
  RogueConn *rc = user_data;
  if (ev == NET_ASSOC_UP)
    return;
  AttackRogue *a = rc->a;
  if (rc->role == CONN_ENRP_OUT && a->reg_out->pdata[rc->reg] == rc)
    a->reg_out->pdata[rc->reg] = NULL;   /* reopened at the next round */
  g_ptr_array_remove (a->conns, rc);     /* frees rc */
}

static const NetAssocCallbacks conn_callbacks = { conn_event, conn_receive };

static RogueConn *
conn_add (AttackRogue *a, NetAssoc *assoc, RogueConnRole role)
{
  RogueConn *rc = g_new0 (RogueConn, 1);
  rc->a = a;
  rc->assoc = assoc;
  rc->role = role;
  g_ptr_array_add (a->conns, rc);
  net_assoc_set_callbacks (assoc, &conn_callbacks, rc);
  return rc;
}

static gboolean
accept_asap (NetListener *l, NetAssoc *assoc, gpointer user_data)
{
  AttackRogue *a = user_data;
  conn_add (a, assoc, CONN_ASAP);
  if (l == a->asap_tls)
    rogue_tls (a, SECURE_CLASS_PE_REGISTRAR, TRUE, assoc);
  return TRUE;
}

static gboolean
accept_app (NetListener *l, NetAssoc *assoc, gpointer user_data)
{
  AttackRogue *a = user_data;
  conn_add (a, assoc, CONN_APP);
  rogue_tls (a, SECURE_CLASS_PU_PE, TRUE, assoc);
  return TRUE;
}

static gboolean
accept_enrp (NetListener *l, NetAssoc *assoc, gpointer user_data)
{
  AttackRogue *a = user_data;
  conn_add (a, assoc, CONN_ENRP_IN);
  if (l == a->enrp_tls)
    rogue_tls (a, SECURE_CLASS_REGISTRAR_REGISTRAR, TRUE, assoc);
  return TRUE;
}

/* ---- ENRP: the rogue in the registrar group (§2.5) ------------------------------------------- */

static void
enrp_send (AttackRogue *a, NetAssoc *assoc, CodecMessage *m)
{
  m->sender_id = a->server_id;
  m->receiver_id = 0;   /* RFC 5353 §2.2: 0 is allowed point to point */
  count_sent (a, rsp_send (a->net, assoc, 0, m));
}

static void
send_presence (AttackRogue *a, NetAssoc *assoc, gboolean reply_required)
{
  CodecAddress addr = attack_codec_address (a->addr);
  CodecMessage m = { 0 };
  m.type = CODEC_ENRP_PRESENCE;
  m.flags = reply_required ? CODEC_FLAG_PRESENCE_REPLY_REQUIRED : 0;
  m.u.presence.has_server_info = TRUE;
  m.u.presence.server_info.server_id = a->server_id;
  m.u.presence.server_info.transport.type = CODEC_PARAM_SCTP_TRANSPORT;
  m.u.presence.server_info.transport.port = RSP_ENRP_PORT;
  m.u.presence.server_info.transport.n_addrs = 1;
  m.u.presence.server_info.transport.addrs = &addr;
  enrp_send (a, assoc, &m);
}

static void
send_update (AttackRogue *a, NetAssoc *assoc, guint16 action, const RoguePe *pe)
{
  CodecAddress addrs[2];
  CodecMessage m = { 0 };
  m.type = CODEC_ENRP_HANDLE_UPDATE;
  m.u.handle_update.action = action;
  m.u.handle_update.handle = pool_handle (a);
  pe_param (a, pe, addrs, &m.u.handle_update.pe);
  enrp_send (a, assoc, &m);
  if (action == CODEC_UPDATE_ADD_PE)
    a->c.updates_add++;
  else
    a->c.updates_del++;
}

static void
send_table_request (AttackRogue *a, NetAssoc *assoc)
{
  CodecMessage m = { 0 };
  m.type = CODEC_ENRP_HANDLE_TABLE_REQUEST;
  enrp_send (a, assoc, &m);
}

static gboolean
is_bogus (AttackRogue *a, guint32 id)
{
  for (guint i = 0; i < a->bogus->len; i++)
    if (g_array_index (a->bogus, RoguePe, i).pe_id == id)
      return TRUE;
  return FALSE;
}

static void
learn (AttackRogue *a, const CodecBytes *handle, guint32 id)
{
  if (!handle_is_pool (a, *handle) || is_bogus (a, id))
    return;
  for (guint i = 0; i < a->learned->len; i++)
    if (g_array_index (a->learned, guint32, i) == id)
      return;
  g_array_append_val (a->learned, id);
}

static void
forget (AttackRogue *a, guint32 id)
{
  for (guint i = 0; i < a->learned->len; i++)
    if (g_array_index (a->learned, guint32, i) == id)
      {
        g_array_remove_index (a->learned, i);
        return;
      }
}

/* Its "own" PEs, the bogus ones, in one response (RFC 5353 §2.2.3), whatever W says. */
static void
answer_table_request (AttackRogue *a, NetAssoc *assoc)
{
  guint n = a->bogus->len;
  g_autofree CodecPoolElement *pes = g_new0 (CodecPoolElement, MAX (n, 1));
  g_autofree CodecAddress *addrs = g_new0 (CodecAddress, 2 * MAX (n, 1));
  for (guint i = 0; i < n; i++)
    pe_param (a, &g_array_index (a->bogus, RoguePe, i), &addrs[2 * i], &pes[i]);
  CodecTableEntry e = { pool_handle (a), n, pes };
  CodecMessage m = { 0 };
  m.type = CODEC_ENRP_HANDLE_TABLE_RESPONSE;
  m.u.handle_table_response.n_entries = n > 0 ? 1 : 0;
  m.u.handle_table_response.entries = &e;
  enrp_send (a, assoc, &m);
}

static void
enrp_receive (AttackRogue *a, NetAssoc *assoc, const CodecMessage *msg)
{
  CodecMessage m = { 0 };
  switch (msg->type)
    {
    case CODEC_ENRP_PRESENCE:
      if (msg->flags & CODEC_FLAG_PRESENCE_REPLY_REQUIRED)
        send_presence (a, assoc, FALSE);
      break;
    case CODEC_ENRP_HANDLE_UPDATE:
      if (msg->u.handle_update.action == CODEC_UPDATE_ADD_PE)
        learn (a, &msg->u.handle_update.handle, msg->u.handle_update.pe.pe_id);
      else if (msg->u.handle_update.action == CODEC_UPDATE_DEL_PE)
        forget (a, msg->u.handle_update.pe.pe_id);
      break;
    case CODEC_ENRP_HANDLE_TABLE_RESPONSE:
      for (guint i = 0; i < msg->u.handle_table_response.n_entries; i++)
        {
          const CodecTableEntry *e = &msg->u.handle_table_response.entries[i];
          for (guint k = 0; k < e->n_pes; k++)
            learn (a, &e->handle, e->pes[k].pe_id);
        }
      if (msg->flags & CODEC_FLAG_HANDLE_TABLE_RESPONSE_MORE)
        send_table_request (a, assoc);
      break;
    case CODEC_ENRP_HANDLE_TABLE_REQUEST:
      answer_table_request (a, assoc);
      break;
    case CODEC_ENRP_LIST_REQUEST:
      m.type = CODEC_ENRP_LIST_RESPONSE;   /* knows no one */
      enrp_send (a, assoc, &m);
      break;
    case CODEC_ENRP_INIT_TAKEOVER:
      if (msg->u.takeover.target_id == a->server_id)
        send_presence (a, assoc, FALSE);   /* RFC 5353 §3.5.1: alive */
      else
        {
          m.type = CODEC_ENRP_INIT_TAKEOVER_ACK;
          m.u.takeover.target_id = msg->u.takeover.target_id;
          enrp_send (a, assoc, &m);
        }
      break;
    default:
      break;
    }
}

/* One round of rogue-enrp: join (again) where needed, stay alive, the false updates. */
static void
enrp_round (AttackRogue *a)
{
  for (guint i = 0; i < a->reg_addrs->len; i++)
    {
      RogueConn *rc = a->reg_out->pdata[i];
      if (rc == NULL)
        {
          guint16 port = rsp_security_port (a->sec, SECURE_CLASS_REGISTRAR_REGISTRAR, RSP_ENRP_PORT,
                                            SECURE_ENRP_TLS_PORT);
          NetAssoc *assoc = net_assoc_connect (a->host, g_array_index (a->reg_addrs, NetAddr, i), port,
                                               &conn_callbacks, NULL);
          rogue_tls (a, SECURE_CLASS_REGISTRAR_REGISTRAR, FALSE, assoc);
          rc = conn_add (a, assoc, CONN_ENRP_OUT);
          rc->reg = i;
          a->reg_out->pdata[i] = rc;
          /* RFC 5353 §3.4.2: the registrar adds the unknown server and answers. */
          send_presence (a, assoc, TRUE);
          send_table_request (a, assoc);
        }
      else
        send_presence (a, rc->assoc, FALSE);
      for (guint k = 0; k < a->bogus->len; k++)
        send_update (a, rc->assoc, CODEC_UPDATE_ADD_PE, &g_array_index (a->bogus, RoguePe, k));
      if (!a->delete_pes)
        continue;
      for (guint k = 0; k < a->learned->len; k++)
        {
          RoguePe pe = { g_array_index (a->learned, guint32, k), a->addr, a->user_port };
          send_update (a, rc->assoc, CODEC_UPDATE_DEL_PE, &pe);
        }
    }
}

/* ---- ASAP: the rogue server of PEs and PUs (§2.6, §2.7) ----------------------------------------- */

static void
capture (AttackRogue *a, const CodecRegistration *r)
{
  RoguePe pe = { r->pe.pe_id, codec_addr (&r->pe.user_transport), r->pe.user_transport.port };
  for (guint i = 0; i < a->captured->len; i++)
    if (g_array_index (a->captured, RoguePe, i).pe_id == pe.pe_id)
      {
        g_array_index (a->captured, RoguePe, i) = pe;   /* a re-registration */
        return;
      }
  g_array_append_val (a->captured, pe);
  a->captured_ever++;
}

static void
release (AttackRogue *a, guint32 id)
{
  for (guint i = 0; i < a->captured->len; i++)
    if (g_array_index (a->captured, RoguePe, i).pe_id == id)
      {
        g_array_remove_index (a->captured, i);
        return;
      }
}

/* RFC 5355 §2.7: the answer the attacker chooses. */
static void
answer_resolution (AttackRogue *a, NetAssoc *assoc, const CodecMessage *msg)
{
  g_autoptr (GArray) pes = g_array_new (FALSE, FALSE, sizeof (RoguePe));
  if (a->answer == ANSWER_SELF)
    g_array_append_val (pes, a->self_pe);
  else if (a->answer == ANSWER_RANDOM)
    for (guint i = 0; i < a->n_bogus; i++)
      {
        RoguePe pe = { fresh_id (a), nowhere (a), a->user_port };
        g_array_append_val (pes, pe);
      }
  else
    g_array_append_vals (pes, a->captured->data, a->captured->len);
  guint n = pes->len;
  g_autofree CodecPoolElement *params = g_new0 (CodecPoolElement, MAX (n, 1));
  g_autofree CodecAddress *addrs = g_new0 (CodecAddress, 2 * MAX (n, 1));
  for (guint i = 0; i < n; i++)
    pe_param (a, &g_array_index (pes, RoguePe, i), &addrs[2 * i], &params[i]);
  CodecErrorCause cause = { 0 };
  cause.code = CODEC_CAUSE_UNKNOWN_POOL_HANDLE;
  CodecOperationError error = { 1, &cause };
  CodecMessage m = { 0 };
  m.type = CODEC_ASAP_HANDLE_RESOLUTION_RESPONSE;
  CodecHandleResolutionResponse *hr = &m.u.handle_resolution_response;
  hr->handle = msg->u.handle_resolution.handle;
  hr->has_policy = n > 0;
  hr->policy.type = a->policy_type;
  hr->n_pes = n;
  hr->pes = params;
  hr->error = n > 0 ? NULL : &error;
  count_sent (a, rsp_send (a->net, assoc, 0, &m));
  a->c.resolutions++;
}

static void
asap_receive (AttackRogue *a, NetAssoc *assoc, const CodecMessage *msg)
{
  CodecMessage m = { 0 };
  switch (msg->type)
    {
    case CODEC_ASAP_REGISTRATION:
      /* RFC 5355 §2.6.2: "might not be properly processed or ignored" - but the PE is told it is in. */
      capture (a, &msg->u.registration);
      a->c.registrations++;
      m.type = CODEC_ASAP_REGISTRATION_RESPONSE;
      m.u.pe_ref.handle = msg->u.registration.handle;
      m.u.pe_ref.pe_id = msg->u.registration.pe.pe_id;
      count_sent (a, rsp_send (a->net, assoc, 0, &m));
      break;
    case CODEC_ASAP_DEREGISTRATION:
      release (a, msg->u.pe_ref.pe_id);
      m.type = CODEC_ASAP_DEREGISTRATION_RESPONSE;
      m.u.pe_ref.handle = msg->u.pe_ref.handle;
      m.u.pe_ref.pe_id = msg->u.pe_ref.pe_id;
      count_sent (a, rsp_send (a->net, assoc, 0, &m));
      break;
    case CODEC_ASAP_HANDLE_RESOLUTION:
      answer_resolution (a, assoc, msg);
      break;
    case CODEC_ASAP_ENDPOINT_UNREACHABLE:
      a->c.unreachable++;   /* ignored: its answers stay as they are */
      break;
    default:
      break;
    }
}

gsize
attack_send_announce (Net *net, NetUdpSocket *sock, NetAddr src, guint32 server_id, NetAddr transport)
{
  CodecAddress addr = attack_codec_address (transport);
  CodecTransport t = { 0 };
  t.type = CODEC_PARAM_SCTP_TRANSPORT;
  t.port = RSP_ASAP_PORT;
  t.use = CODEC_TRANSPORT_USE_DATA_ONLY;
  t.n_addrs = 1;
  t.addrs = &addr;
  CodecMessage m = { 0 };
  m.type = CODEC_ASAP_SERVER_ANNOUNCE;
  m.u.server_announce.server_id = server_id;
  m.u.server_announce.n_transports = transport != 0 ? 1 : 0;
  m.u.server_announce.transports = &t;
  g_autoptr (GByteArray) buf = g_byte_array_new ();
  gsize len = codec_encode (&m, buf);
  g_assert (len > 0);
  g_autoptr (GBytes) payload = g_byte_array_free_to_bytes (g_steal_pointer (&buf));
  NetAddr group;
  net_addr_parse (RSP_ASAP_ANNOUNCE_GROUP_TEXT, &group);
  net_udp_send_from (sock, src, group, RSP_ASAP_PORT, rsp_kind (net, m.type), payload);
  return len;
}

void
attack_udp_ignore (NetUdpSocket *sock, const NetDatagram *d, gpointer user_data)
{
}

/* RFC 5355 §2.12 c/d: an announce naming the rogue, its UDP source forged to a registrar's address. */
static void
send_announce (AttackRogue *a)
{
  NetAddr src = g_array_index (a->reg_addrs, NetAddr, a->announce_next++ % a->reg_addrs->len);
  count_sent (a, attack_send_announce (a->net, a->udp, src, a->server_id, a->addr));
  a->c.announces++;
}

/* ---- dispatch ------------------------------------------------------------------------------------- */

static void
conn_receive (NetAssoc *assoc, const NetMessage *nm, gpointer user_data)
{
  RogueConn *rc = user_data;
  AttackRogue *a = rc->a;
  if (rc->role == CONN_APP)
    {
      a->c.ignored_app++;   /* a PU's request to the rogue PE: swallowed */
      return;
    }
  g_auto (CodecMessage) msg = { 0 };
  CodecError err;
  if (!rsp_decode (nm, &msg, &err))
    return;
  if (CODEC_MSG_PROTOCOL (msg.type) == CODEC_PROTO_ENRP)
    {
      if (rc->role != CONN_ASAP)
        enrp_receive (a, assoc, &msg);
    }
  else if (rc->role == CONN_ASAP)
    asap_receive (a, assoc, &msg);
}

static void
rogue_tick (SimKernel *k, gpointer ctx, gpointer data)
{
  AttackRogue *a = ctx;
  a->timer = sim_kernel_schedule (k, a->interval, rogue_tick, a, NULL);
  if (a->kind == ROGUE_ENRP)
    enrp_round (a);
  else if (a->announce)
    send_announce (a);
}

/* ---- life cycle ------------------------------------------------------------------------------------ */

static void
conn_free (gpointer p)
{
  g_free (p);
}

AttackRogue *
attack_rogue_new (Rserpool *m, const SimParams *p, guint64 seed, GError **error)
{
  const char *type = sim_params_string (p, "attack.type");
  guint n_reg = rserpool_n_registrars (m);
  if (n_reg == 0)
    return attack_fail (error, "attack.type = %s needs registrar.count >= 1", type), NULL;
  Net *net = rserpool_net (m);
  NetAddr want = 0;
  const char *text = sim_params_string (p, "attack.address");
  if (text[0] != '\0')
    {
      if (!net_addr_parse (text, &want) || want == 0 || net_addr_is_multicast (want))
        return attack_fail (error, "attack.address: '%s' is not a unicast IPv4 address", text), NULL;
      if (net_host_by_address (net, want) != NULL)
        return attack_fail (error, "attack.address: %s belongs to host %s", text,
                     net_host_name (net_host_by_address (net, want))), NULL;
    }
  AttackRogue *a = g_new0 (AttackRogue, 1);
  a->m = m;
  a->net = net;
  a->kernel = rserpool_kernel (m);
  a->kind = strcmp (type, "rogue-enrp") == 0        ? ROGUE_ENRP
            : strcmp (type, "rogue-registrar") == 0 ? ROGUE_REGISTRAR
                                                    : ROGUE_RESOLUTION;
  const char *answer = sim_params_string (p, "attack.answer");
  if (strcmp (answer, "self") == 0)
    a->answer = ANSWER_SELF;
  else if (strcmp (answer, "random") == 0)
    a->answer = ANSWER_RANDOM;
  else if (strcmp (answer, "captured") == 0)
    a->answer = ANSWER_CAPTURED;
  else
    a->answer = a->kind == ROGUE_REGISTRAR ? ANSWER_CAPTURED : ANSWER_SELF;   /* auto */
  a->start = sim_params_time (p, "attack.start");
  a->interval = sim_params_time (p, "attack.interval");
  a->reg_life = sim_params_time (p, "attack.registration-life");
  a->load_degradation = (guint32) (sim_params_double (p, "attack.load-degradation") * G_MAXUINT32);
  if (!pe_policy_from_name (sim_params_string (p, "pool.policy"), &a->policy_type))
    g_assert_not_reached ();   /* the key is an enum of these names */
  a->user_port = (guint16) sim_params_int (p, "pe.user-port");
  a->n_bogus = (guint) sim_params_int (p, "attack.bogus-pes");
  a->delete_pes = sim_params_bool (p, "attack.delete-pes");
  a->announce = sim_params_bool (p, "attack.announce");
  a->conns = g_ptr_array_new_with_free_func (conn_free);
  a->reg_addrs = g_array_new (FALSE, FALSE, sizeof (NetAddr));
  a->reg_out = g_ptr_array_new ();
  a->bogus = g_array_new (FALSE, FALSE, sizeof (RoguePe));
  a->learned = g_array_new (FALSE, FALSE, sizeof (guint32));
  a->captured = g_array_new (FALSE, FALSE, sizeof (RoguePe));
  a->seed = seed;
  a->sec = rserpool_security (m);
  a->guess_keys = secure_key_table_new ();
  secure_key_table_set_resolver (a->guess_keys, guess_key, NULL);
  for (guint i = 0; i < n_reg; i++)
    {
      NetAddr r = net_host_address (registrar_host (rserpool_registrar (m, i)), 0);
      g_array_append_val (a->reg_addrs, r);
      g_ptr_array_add (a->reg_out, NULL);
    }

  a->host = net_host_new (net, "adversary0", "adversary", NET_HOST_ADVERSARY);
  a->addr = net_host_add_address (a->host, net_lan (net, 0), want);
  a->lan_prefix = a->addr & 0xffff0000u;
  sim_rng_init_fmt (&a->rng_id, seed, "attack/%u/id", 0);
  sim_rng_init_fmt (&a->rng_addr, seed, "attack/%u/addr", 0);
  a->server_id = fresh_id (a);
  a->self_pe = (RoguePe) { fresh_id (a), a->addr, a->user_port };
  if (a->kind == ROGUE_ENRP)
    {
      for (guint i = 0; i < a->n_bogus; i++)
        {
          RoguePe pe = { fresh_id (a), nowhere (a), a->user_port };
          g_array_append_val (a->bogus, pe);
        }
      a->enrp = net_listen (a->host, RSP_ENRP_PORT, accept_enrp, a);
      if (rsp_security_mode (a->sec, SECURE_CLASS_REGISTRAR_REGISTRAR) != SECURE_MODE_NONE)
        a->enrp_tls = net_listen (a->host, SECURE_ENRP_TLS_PORT, accept_enrp, a);
    }
  else
    {
      a->asap = net_listen (a->host, RSP_ASAP_PORT, accept_asap, a);
      if (server_mode (a, SECURE_CLASS_PE_REGISTRAR) != SECURE_MODE_NONE)
        a->asap_tls = net_listen (a->host, SECURE_ASAP_TLS_PORT, accept_asap, a);
      if (a->answer == ANSWER_SELF)
        a->app = net_listen (a->host, a->user_port, accept_app, a);
      a->udp = net_udp_open (a->host, 0, attack_udp_ignore, NULL);
    }
  a->timer = sim_kernel_schedule_at (a->kernel, a->start, rogue_tick, a, NULL);
  return a;
}

void
attack_rogue_record (AttackRogue *a, SimRecorder *rec)
{
  const char *mod = "attack";
  SimTime span = sim_kernel_now (a->kernel) - a->start;
  sim_record_scalar (rec, mod, "attack.adversaries", 1, "hosts");
  sim_record_scalar (rec, mod, "attack.messages", (double) a->c.messages, "messages");
  sim_record_scalar (rec, mod, "attack.bytes", (double) a->c.bytes, "B");
  sim_record_scalar (rec, mod, "attack.bitrate", span > 0 ? (double) a->c.bytes * 8.0 / ((double) span / SIM_S) : 0,
                     "bit/s");
  /* Registrars that hold the rogue as a peer at the end (RFC 5355 §2.5: it joined). */
  guint peers = 0;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (guint i = 0; i < rserpool_n_registrars (a->m); i++)
    {
      g_array_set_size (ids, 0);
      registrar_peer_ids (rserpool_registrar (a->m, i), ids);
      for (guint k = 0; k < ids->len; k++)
        peers += g_array_index (ids, guint32, k) == a->server_id;
    }
  /* Its own TLS contexts (outsider): handshakes completed and failed. */
  SecureStats tls = { 0 };
  guint64 tls_failures = 0;
  for (guint cls = 0; cls < SECURE_N_CLASSES; cls++)
    for (guint side = 0; side < 2; side++)
      if (a->tls[cls][side] != NULL)
        {
          const SecureStats *st = secure_context_stats (a->tls[cls][side]);
          tls.handshakes += st->handshakes;
          for (guint f = 0; f < SECURE_N_FAILS; f++)
            tls_failures += st->failures[f];
        }
  const struct {
    const char *name;
    double      v;
  } c[] = {
    { "attack.announces", (double) a->c.announces },
    { "attack.rogue.peers", peers },
    { "attack.rogue.updates_add", (double) a->c.updates_add },
    { "attack.rogue.updates_del", (double) a->c.updates_del },
    { "attack.rogue.registrations", (double) a->c.registrations },
    { "attack.rogue.pes_captured", a->captured_ever },
    { "attack.rogue.resolutions", (double) a->c.resolutions },
    { "attack.rogue.unreachable_reports", (double) a->c.unreachable },
    { "attack.ignored_app_messages", (double) a->c.ignored_app },
    { "attack.rogue.tls_handshakes", (double) tls.handshakes },
    { "attack.rogue.tls_failures", (double) tls_failures },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (c); i++)
    sim_record_scalar (rec, mod, c[i].name, c[i].v, "1");
}

void
attack_rogue_free (AttackRogue *a)
{
  if (a == NULL)
    return;
  sim_kernel_cancel (a->kernel, a->timer);
  if (net_host_is_up (a->host))
    {
      if (a->asap != NULL)
        net_listener_close (a->asap);
      if (a->asap_tls != NULL)
        net_listener_close (a->asap_tls);
      if (a->enrp_tls != NULL)
        net_listener_close (a->enrp_tls);
      if (a->app != NULL)
        net_listener_close (a->app);
      if (a->enrp != NULL)
        net_listener_close (a->enrp);
      if (a->udp != NULL)
        net_udp_close (a->udp);
    }
  /* Abort from the end: an abort raises no event on this side, so nothing else removes entries. */
  while (a->conns->len > 0)
    {
      RogueConn *rc = a->conns->pdata[a->conns->len - 1];
      NetAssoc *assoc = rc->assoc;
      g_ptr_array_remove_index (a->conns, a->conns->len - 1);
      net_assoc_abort (assoc);
    }
  g_ptr_array_unref (a->conns);
  g_ptr_array_unref (a->reg_out);
  g_array_unref (a->reg_addrs);
  g_array_unref (a->bogus);
  g_array_unref (a->learned);
  g_array_unref (a->captured);
  /* The contexts after their channels (which belong to the aborted associations). */
  for (guint cls = 0; cls < SECURE_N_CLASSES; cls++)
    for (guint side = 0; side < 2; side++)
      g_clear_pointer (&a->tls[cls][side], secure_context_free);
  g_clear_pointer (&a->own_cert, secure_cert_free);
  g_clear_pointer (&a->own_ca, secure_cert_free);
  secure_key_table_free (a->guess_keys);
  g_free (a);
}
