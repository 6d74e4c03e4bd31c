/*
 * attacks/onpath.c - the on-path adversaries of RFC 5355: replay (§2.8),
 * tamper (§2.10) and eavesdrop (§2.11). Each adversary i is a host
 * "adversary<i>" with a tap (sim/net.h) on LAN (attack.lan + i) mod
 * net.lans: it sees every packet crossing that LAN in wire format (IPv4 +
 * SCTP with one chunk, or UDP), including the SCTP verification tags, TSNs
 * and SSNs that stop an off-path host (sim/net-assoc.h). The default LAN 0
 * is the first registrar's: every ASAP and ENRP message to or from it
 * crosses the tap. A DATA chunk with PPID 11 (ASAP) or 12 (ENRP) is decoded
 * by the codec; one that does not decode (with TLS: records) is "opaque".
 *
 * eavesdrop (§2.11). A passive observer: it decodes every ASAP and ENRP
 * message (and the UDP server announces) and keeps the DISTINCT facts they
 * expose: PE identifiers and IPv4 user-transport addresses (PE parameters of
 * registrations, resolution answers, handle updates and tables), PE
 * identifiers named by deregistrations, keep-alive acknowledgements and
 * unreachable reports, pool handles, and registrar (ENRP server)
 * identifiers. With TLS every message is opaque and nothing is learned.
 *
 * tamper (§2.10 a-c). From attack.start on, for each decoded message of the kinds
 * attack.tamper-messages selects, with probability
 * attack.tamper-probability (stream "attack/<i>/tamper", one draw per
 * such message, whatever the probability), it rewrites every IPv4 address
 * of the user transports of the PE parameters in place - the message keeps
 * its size, the packet stays valid - to an address nobody holds (the /16 of
 * the adversary's LAN, host part 0xfffe): a HANDLE_RESOLUTION_RESPONSE
 * (registrar -> PU: the PU contacts nobody, times out and reports the PE),
 * a REGISTRATION (PE -> registrar: a registrar with address binding refuses
 * it, one without stores the dead address) or an ENRP HANDLE_UPDATE
 * (registrar -> registrar: the peer stores it). With TLS the tap cannot
 * read the kind, but it sees the direction, the ports and the record
 * header: a TLS application-data record of the same direction (from a
 * registrar's ASAP port for answers, to it for registrations, on the ENRP
 * ports for updates) gets one bit flipped instead, with the same
 * probability: TLS detects it, aborts the association and counts it
 * (models/secure.c). Retransmissions are tampered alike (the tap sees each
 * copy).
 *
 * replay (§2.8: "replay the entire message previously sent by a legitimate
 * entity ... for registration/de-registration"). What the network allows
 * and the RFC describes: the recorder keeps, per association towards a
 * registrar's ASAP port (3863, or 3864 with TLS; the registrars' addresses
 * are known, they are in every PE's static list), the FIRST REGISTRATION and
 * the FIRST DEREGISTRATION its sender sent (its load then; the PE's initial
 * registration reports load 0) and, for messages it cannot decode, the most
 * recent one; every attack.interval from attack.start it injects them again
 * INTO THAT LIVE ASSOCIATION, as its sender: the PE's address, ports and
 * the registrar's verification tag, the next TSN and SSN the registrar
 * expects. A replay on an association of the adversary's own would be the
 * §2.3 spoofing of an insider (and address binding, RFC 5352 §3.1, refuses
 * it); inside the PE's association the registrar cannot tell it from the PE.
 * To keep the association alive afterwards - otherwise the PE's next chunk
 * would carry a TSN the registrar took already and be dropped as a
 * duplicate - the tap keeps the two sequence spaces apart, as a man in the
 * middle must: every later DATA chunk of the sender is shifted by the
 * number of chunks injected before it (TSN and stream-0 SSN), and the
 * cumulative TSN of every SACK and SHUTDOWN of the registrar (and the gap
 * blocks, relative to it) is shifted back. The registrar's answer to a
 * replay reaches the PE, which counts it as unexpected. A PE that crashed
 * leaves the registrar's side of its association up until SCTP gives up:
 * replayed registrations then keep (or put back) the dead PE's entry - a
 * stale entry - and refresh it at the registrar's lifetime check; with
 * replayed deregistrations a live PE is removed until it registers again.
 * (The PEs of model rserpool never deregister - they crash - so the
 * scenario replays registrations.) An association the tap saw aborted or
 * shut down (an ABORT or SHUTDOWN COMPLETE with that association's tag)
 * gets no more replays; one set up again on the same addresses
 * and ports (INIT) starts new sequence spaces, and the old captures are
 * replayed into it (a cross-session replay). With TLS the recorder cannot
 * read which record is which: it replays the latest record of each flow
 * towards the registrar's ASAP port, TLS rejects it (a record out of
 * sequence fails authentication), the association is aborted, and
 * models/secure.c counts it.
 *
 * Replay needs attack.count = 1: two taps on one path would each shift the
 * same chunks.
 *
 * Not here: retransmission of injected chunks (on a lossy place a lost
 * injection leaves the registrar waiting for that TSN; the threat scenarios
 * have no loss), replays towards PEs or PUs, ENRP replays, the CalcApp
 * associations between PUs and PEs (their ASAP cookies included: see
 * attacks/cookie.c), PPIDs other than ASAP's and ENRP's, and an adversary
 * on a WAN link (a tap on a LAN only: attack.lan).
 *
 * Determinism: flows are found by a hash table of their addresses and ports
 * (lookups only) and replayed in the order of their first capture (an
 * array); the one random draw is from the adversary's own stream.
 */
#include "config.h"

#include "attacks/attack-private.h"

#include "models/rsp.h"
#include "models/secure.h"
#include "sim/bytes.h"
#include "sim/rng.h"

#include <string.h>

typedef enum {
  ONPATH_REPLAY,
  ONPATH_TAMPER,
  ONPATH_EAVESDROP,
} OnpathKind;

/* What tamper rewrites (attack.tamper-messages). */
enum {
  TAMPER_RESOLUTIONS   = 1 << 0,
  TAMPER_REGISTRATIONS = 1 << 1,
  TAMPER_UPDATES       = 1 << 2,
};

/* What replay replays (attack.replay-messages). */
enum {
  REPLAY_REGISTRATIONS   = 1 << 0,
  REPLAY_DEREGISTRATIONS = 1 << 1,
};

/* The captures of a flow. */
enum {
  CAPTURE_REGISTRATION,
  CAPTURE_DEREGISTRATION,
  CAPTURE_OPAQUE,
  CAPTURE_N,
};

typedef struct {
  GBytes  *msg;         /* (nullable) the message bytes (an SCTP DATA payload) */
  guint32  ppid;
  NetKind  kind;
} Capture;

/* One association seen towards a registrar's ASAP port: sender A -> registrar B. */
typedef struct {
  NetAddr  a, b;
  guint16  pa, pb;
  gboolean open;        /* no ABORT or SHUTDOWN COMPLETE seen since its setup */
  gboolean seen;        /* max_tsn, max_ssn and vtag are from a DATA chunk of this association */
  guint32  vtag;        /* the tag A's packets carry (B's own), from A's DATA or B's INIT-ACK */
  gboolean vtag_known;
  guint32  a_tag;       /* the tag B's packets carry (A's own), from A's INIT or B's packets */
  gboolean a_tag_known;
  guint32  max_tsn;     /* highest TSN A sent (serial arithmetic, A's numbering) */
  guint16  max_ssn;     /* highest stream-0 SSN A sent */
  GArray  *tsn_after;   /* guint32 per injection: the TSN of A it follows */
  GArray  *ssn_after;   /* guint16 per injection: the SSN of A it follows */
  GArray  *tsn_injected;/* guint32 per injection: the TSN it carried (B's numbering) */
  Capture  cap[CAPTURE_N];
} Flow;

typedef struct AttackOnpath AttackOnpath;

typedef struct {
  AttackOnpath *o;
  guint         index;
  NetHost      *host;
  NetTap       *tap;
  SimRng        rng_tamper;   /* "attack/<i>/tamper" */
  NetAddr       dead_addr;    /* tamper: the address nobody holds */
  SimEventId    timer;        /* replay */
} OnpathAdversary;

struct AttackOnpath {
  Rserpool   *m;
  Net        *net;
  SimKernel  *kernel;
  OnpathKind  kind;
  SimTime     interval, start;
  guint       tamper_what, replay_what;
  double      tamper_p;
  GPtrArray  *adversaries;
  /* replay */
  GHashTable *flows;          /* Flow* -> Flow* (keyed by its addresses and ports) */
  GPtrArray  *flow_order;     /* Flow*, by first capture; owns them */
  GHashTable *registrar_addrs;  /* NetAddr set: the registrars' addresses (public: the PEs' static lists) */
  /* eavesdrop: sets of what was learned */
  GHashTable *pe_ids, *pe_addrs, *registrars, *handles;
  /* counters */
  guint64     decoded, opaque, messages, bytes;
  guint64     tampered[4];    /* resolutions, registrations, updates, opaque */
  guint64     captured, injected;
};

/* ---- flows ----------------------------------------------------------------------- */

static guint
flow_hash (gconstpointer p)
{
  const Flow *f = p;
  return (f->a * 2654435761u) ^ (f->b * 40503u) ^ ((guint) f->pa << 16 | f->pb);
}

static gboolean
flow_equal (gconstpointer x, gconstpointer y)
{
  const Flow *f = x, *g = y;
  return f->a == g->a && f->b == g->b && f->pa == g->pa && f->pb == g->pb;
}

static void
flow_free (gpointer p)
{
  Flow *f = p;
  g_array_unref (f->tsn_after);
  g_array_unref (f->ssn_after);
  g_array_unref (f->tsn_injected);
  for (guint c = 0; c < CAPTURE_N; c++)
    g_clear_pointer (&f->cap[c].msg, g_bytes_unref);
  g_free (f);
}

static Flow *
flow_lookup (AttackOnpath *o, NetAddr a, guint16 pa, NetAddr b, guint16 pb)
{
  Flow key = { .a = a, .b = b, .pa = pa, .pb = pb };
  return g_hash_table_lookup (o->flows, &key);
}

static Flow *
flow_get (AttackOnpath *o, NetAddr a, guint16 pa, NetAddr b, guint16 pb)
{
  Flow *f = flow_lookup (o, a, pa, b, pb);
  if (f != NULL)
    return f;
  f = g_new0 (Flow, 1);
  f->a = a, f->b = b, f->pa = pa, f->pb = pb;
  f->open = TRUE;
  f->tsn_after = g_array_new (FALSE, FALSE, sizeof (guint32));
  f->ssn_after = g_array_new (FALSE, FALSE, sizeof (guint16));
  f->tsn_injected = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_hash_table_add (o->flows, f);
  g_ptr_array_add (o->flow_order, f);
  return f;
}

/* A new association on the flow's addresses and ports: new sequence spaces, captures kept. */
static void
flow_restart (Flow *f)
{
  f->open = TRUE;
  f->seen = FALSE;
  f->vtag_known = FALSE;
  g_array_set_size (f->tsn_after, 0);
  g_array_set_size (f->ssn_after, 0);
  g_array_set_size (f->tsn_injected, 0);
}

/* Injections that precede A's TSN t in B's numbering. */
static guint32
flow_tsn_shift (const Flow *f, guint32 t)
{
  guint32 n = 0;
  for (guint k = 0; k < f->tsn_after->len; k++)
    n += (gint32) (t - g_array_index (f->tsn_after, guint32, k)) > 0;
  return n;
}

static guint16
flow_ssn_shift (const Flow *f, guint16 s)
{
  guint16 n = 0;
  for (guint k = 0; k < f->ssn_after->len; k++)
    n += (gint16) (s - g_array_index (f->ssn_after, guint16, k)) > 0;
  return n;
}

/* B's TSN c back to A's numbering: minus the injections at or below it. */
static guint32
flow_unshift (const Flow *f, guint32 c)
{
  guint32 n = 0;
  for (guint k = 0; k < f->tsn_injected->len; k++)
    n += (gint32) (c - g_array_index (f->tsn_injected, guint32, k)) >= 0;
  return c - n;
}

static void
capture_set (Capture *c, GBytes *msg, guint32 ppid, NetKind kind)
{
  g_clear_pointer (&c->msg, g_bytes_unref);
  c->msg = g_bytes_ref (msg);
  c->ppid = ppid;
  c->kind = kind;
}

/* ---- decoding what crosses --------------------------------------------------------- */

static gboolean
is_registrar_asap_port (guint16 port)
{
  return port == RSP_ASAP_PORT || port == SECURE_ASAP_TLS_PORT;
}

static gboolean
is_rserpool_port (guint16 port)
{
  return is_registrar_asap_port (port) || port == RSP_ENRP_PORT || port == SECURE_ENRP_TLS_PORT;
}

/* Decode the ASAP or ENRP message of a DATA chunk or an ASAP datagram; FALSE if it is none or opaque. */
static gboolean
decode_packet (const NetPacket *pkt, CodecMessage *msg, gboolean *opaque)
{
  *opaque = FALSE;
  if (pkt->payload == NULL)
    return FALSE;
  CodecProtocol proto;
  if (pkt->proto == NET_PROTO_SCTP && pkt->chunk == NET_CHUNK_DATA)
    {
      if (!is_rserpool_port (pkt->sport) && !is_rserpool_port (pkt->dport))
        return FALSE;   /* CalcApp sessions (their ASAP cookies too) are not this module's */
      if (pkt->ppid == RSP_PPID_ASAP)
        proto = CODEC_PROTO_ASAP;
      else if (pkt->ppid == RSP_PPID_ENRP)
        proto = CODEC_PROTO_ENRP;
      else
        {
          *opaque = TRUE;
          return FALSE;
        }
    }
  else if (pkt->proto == NET_PROTO_UDP && pkt->dport == RSP_ASAP_PORT)
    proto = CODEC_PROTO_ASAP;
  else
    return FALSE;
  gsize len;
  const guint8 *b = g_bytes_get_data (pkt->payload, &len);
  if (!codec_decode (proto, b, len, msg, NULL))
    {
      *opaque = pkt->proto == NET_PROTO_SCTP;
      return FALSE;
    }
  return TRUE;
}

/* ---- eavesdrop ------------------------------------------------------------------- */

static void
learn_handle (AttackOnpath *o, CodecBytes h)
{
  if (h.len > 0)
    g_hash_table_add (o->handles, g_bytes_new (h.data, h.len));
}

static void
learn_id (GHashTable *set, guint32 id)
{
  if (id != 0)
    g_hash_table_add (set, GUINT_TO_POINTER (id));
}

static NetAddr
address_v4 (const CodecAddress *a)
{
  return ((NetAddr) a->bytes[0] << 24) | ((NetAddr) a->bytes[1] << 16) | ((NetAddr) a->bytes[2] << 8) | a->bytes[3];
}

static void
learn_pe (AttackOnpath *o, const CodecPoolElement *pe)
{
  learn_id (o->pe_ids, pe->pe_id);
  learn_id (o->registrars, pe->home_server_id);
  for (guint i = 0; i < pe->user_transport.n_addrs; i++)
    if (pe->user_transport.addrs[i].family == 4)
      learn_id (o->pe_addrs, address_v4 (&pe->user_transport.addrs[i]));
}

/* RFC 5355 §2.11: what a message divulges to whoever reads it. */
static void
learn (AttackOnpath *o, const CodecMessage *msg)
{
  if ((msg->type >> 8) == CODEC_PROTO_ENRP)
    learn_id (o->registrars, msg->sender_id);
  switch (msg->type)
    {
    case CODEC_ASAP_REGISTRATION:
      learn_handle (o, msg->u.registration.handle);
      learn_pe (o, &msg->u.registration.pe);
      break;
    case CODEC_ASAP_DEREGISTRATION:
    case CODEC_ASAP_REGISTRATION_RESPONSE:
    case CODEC_ASAP_DEREGISTRATION_RESPONSE:
    case CODEC_ASAP_ENDPOINT_KEEP_ALIVE_ACK:
    case CODEC_ASAP_ENDPOINT_UNREACHABLE:
      learn_handle (o, msg->u.pe_ref.handle);
      learn_id (o->pe_ids, msg->u.pe_ref.pe_id);
      break;
    case CODEC_ASAP_HANDLE_RESOLUTION:
      learn_handle (o, msg->u.handle_resolution.handle);
      break;
    case CODEC_ASAP_HANDLE_RESOLUTION_RESPONSE:
      learn_handle (o, msg->u.handle_resolution_response.handle);
      for (guint i = 0; i < msg->u.handle_resolution_response.n_pes; i++)
        learn_pe (o, &msg->u.handle_resolution_response.pes[i]);
      break;
    case CODEC_ASAP_ENDPOINT_KEEP_ALIVE:
      learn_handle (o, msg->u.keep_alive.handle);
      learn_id (o->registrars, msg->u.keep_alive.server_id);
      break;
    case CODEC_ASAP_SERVER_ANNOUNCE:
      learn_id (o->registrars, msg->u.server_announce.server_id);
      break;
    case CODEC_ASAP_BUSINESS_CARD:
      learn_handle (o, msg->u.business_card.handle);
      for (guint i = 0; i < msg->u.business_card.n_pes; i++)
        learn_pe (o, &msg->u.business_card.pes[i]);
      break;
    case CODEC_ENRP_HANDLE_UPDATE:
      learn_handle (o, msg->u.handle_update.handle);
      learn_pe (o, &msg->u.handle_update.pe);
      break;
    case CODEC_ENRP_HANDLE_TABLE_RESPONSE:
      for (guint e = 0; e < msg->u.handle_table_response.n_entries; e++)
        {
          const CodecTableEntry *te = &msg->u.handle_table_response.entries[e];
          learn_handle (o, te->handle);
          for (guint i = 0; i < te->n_pes; i++)
            learn_pe (o, &te->pes[i]);
        }
      break;
    case CODEC_ENRP_PRESENCE:
      if (msg->u.presence.has_server_info)
        learn_id (o->registrars, msg->u.presence.server_info.server_id);
      break;
    case CODEC_ENRP_LIST_RESPONSE:
      for (guint i = 0; i < msg->u.list_response.n_servers; i++)
        learn_id (o->registrars, msg->u.list_response.servers[i].server_id);
      break;
    default:
      break;
    }
}

/* ---- tamper ---------------------------------------------------------------------- */

/* A copy of pe whose IPv4 user addresses are `to` (the copy's addresses are appended to store). */
static void
redirect_pe (CodecPoolElement *pe, NetAddr to, GPtrArray *store)
{
  guint n = pe->user_transport.n_addrs;
  CodecAddress *addrs = g_new0 (CodecAddress, MAX (n, 1));
  g_ptr_array_add (store, addrs);
  for (guint i = 0; i < n; i++)
    {
      addrs[i] = pe->user_transport.addrs[i];
      if (addrs[i].family == 4)
        sim_put32 (addrs[i].bytes, to);
    }
  pe->user_transport.addrs = addrs;
}

/*
 * RFC 5355 §2.10: rewrite msg's PE addresses to adv->dead_addr and replace
 * the packet's payload; FALSE (packet untouched) if msg is not of a kind to
 * tamper with.
 */
static gboolean
tamper_message (OnpathAdversary *adv, NetPacket *pkt, const CodecMessage *msg)
{
  AttackOnpath *o = adv->o;
  CodecMessage copy = *msg;
  g_autoptr (GPtrArray) store = g_ptr_array_new_with_free_func (g_free);
  guint slot;
  switch (msg->type)
    {
    case CODEC_ASAP_HANDLE_RESOLUTION_RESPONSE:
      {
        if (!(o->tamper_what & TAMPER_RESOLUTIONS) || msg->u.handle_resolution_response.n_pes == 0)
          return FALSE;
        guint n = msg->u.handle_resolution_response.n_pes;
        CodecPoolElement *pes = g_new (CodecPoolElement, n);
        g_ptr_array_add (store, pes);
        for (guint i = 0; i < n; i++)
          {
            pes[i] = msg->u.handle_resolution_response.pes[i];
            redirect_pe (&pes[i], adv->dead_addr, store);
          }
        copy.u.handle_resolution_response.pes = pes;
        slot = 0;
        break;
      }
    case CODEC_ASAP_REGISTRATION:
      if (!(o->tamper_what & TAMPER_REGISTRATIONS))
        return FALSE;
      redirect_pe (&copy.u.registration.pe, adv->dead_addr, store);
      slot = 1;
      break;
    case CODEC_ENRP_HANDLE_UPDATE:
      if (!(o->tamper_what & TAMPER_UPDATES))
        return FALSE;
      redirect_pe (&copy.u.handle_update.pe, adv->dead_addr, store);
      slot = 2;
      break;
    default:
      return FALSE;
    }
  if (!sim_rng_bernoulli (&adv->rng_tamper, o->tamper_p))
    return TRUE;   /* drawn, spared */
  g_autoptr (GByteArray) out = g_byte_array_new ();
  if (codec_encode (&copy, out) == 0)
    return TRUE;
  g_autoptr (GBytes) bytes = g_byte_array_free_to_bytes (g_steal_pointer (&out));
  net_packet_set_payload (pkt, bytes);
  o->tampered[slot]++;
  return TRUE;
}

#define TLS_APPLICATION_DATA 23   /* RFC 8446 §5.1: the content type of a record that carries a message */

/*
 * An opaque message: is it one tamper would have modified in clear? The
 * direction and port say which kind it carries (from a registrar's ASAP
 * port: answers; to it: registrations; ENRP ports: updates) and the TLS
 * record header, which is in clear, whether it carries a message at all.
 */
static gboolean
tamper_opaque_selected (AttackOnpath *o, const NetPacket *pkt, const guint8 *b, gsize len)
{
  if (len == 0 || b[0] != TLS_APPLICATION_DATA)
    return FALSE;
  gboolean from_reg = is_registrar_asap_port (pkt->sport)
                      && g_hash_table_contains (o->registrar_addrs, GUINT_TO_POINTER (pkt->src));
  gboolean to_reg = is_registrar_asap_port (pkt->dport)
                    && g_hash_table_contains (o->registrar_addrs, GUINT_TO_POINTER (pkt->dst));
  gboolean enrp = pkt->sport == RSP_ENRP_PORT || pkt->sport == SECURE_ENRP_TLS_PORT || pkt->dport == RSP_ENRP_PORT
                  || pkt->dport == SECURE_ENRP_TLS_PORT;
  return ((o->tamper_what & TAMPER_RESOLUTIONS) && from_reg) || ((o->tamper_what & TAMPER_REGISTRATIONS) && to_reg)
         || ((o->tamper_what & TAMPER_UPDATES) && enrp);
}

/* An opaque message of the kinds selected: flip one bit of its middle byte. */
static void
tamper_opaque (OnpathAdversary *adv, NetPacket *pkt)
{
  AttackOnpath *o = adv->o;
  gsize len;
  const guint8 *b = g_bytes_get_data (pkt->payload, &len);
  if (!tamper_opaque_selected (o, pkt, b, len) || !sim_rng_bernoulli (&adv->rng_tamper, o->tamper_p))
    return;
  guint8 *copy = g_memdup2 (b, len);
  copy[len / 2] ^= 0x01;
  g_autoptr (GBytes) bytes = g_bytes_new_take (copy, len);
  net_packet_set_payload (pkt, bytes);
  o->tampered[3]++;
}

/* ---- replay ----------------------------------------------------------------------- */

/* Shift B's cumulative TSN (and the gap blocks relative to it) of a SACK or SHUTDOWN back to A's numbering. */
static void
unshift_ack (const Flow *f, NetPacket *pkt)
{
  if (f->tsn_injected->len == 0)
    return;
  guint32 c = pkt->tsn, uc = flow_unshift (f, c);
  pkt->tsn = uc;
  if (pkt->chunk != NET_CHUNK_SACK || pkt->payload == NULL)
    return;
  gsize len;
  const guint8 *b = g_bytes_get_data (pkt->payload, &len);
  guint8 *blocks = g_memdup2 (b, len);
  for (gsize i = 0; i + 4 <= len; i += 4)
    {
      guint32 first = c + sim_get16 (blocks + i), last = c + sim_get16 (blocks + i + 2);
      sim_put16 (blocks + i, (guint16) (flow_unshift (f, first) - uc));
      sim_put16 (blocks + i + 2, (guint16) (flow_unshift (f, last) - uc));
    }
  g_autoptr (GBytes) bytes = g_bytes_new_take (blocks, len);
  net_packet_set_payload (pkt, bytes);
}

/*
 * Does this ABORT or SHUTDOWN COMPLETE end the flow's current association?
 * Its tag must be the receiver's (or, T bit, the sender's own, RFC 4960
 * §8.5.1) in the current association: a late ABORT of the association
 * before a restart does not end the new one; with a tag not learned yet it
 * cannot be told apart and ends nothing.
 */
static gboolean
flow_ends (const Flow *f, const NetPacket *pkt, gboolean from_b)
{
  gboolean reflected = (pkt->flags & NET_CHUNK_FLAG_T) != 0;
  gboolean to_a = from_b != reflected;   /* the tag is A's own */
  if (to_a)
    return f->a_tag_known && pkt->vtag == f->a_tag;
  return f->vtag_known && pkt->vtag == f->vtag;
}

/* A packet of A towards the registrar: capture, and keep the sequence spaces apart. */
static void
replay_forward (AttackOnpath *o, NetPacket *pkt)
{
  if (pkt->chunk == NET_CHUNK_INIT)
    {
      Flow *f = flow_lookup (o, pkt->src, pkt->sport, pkt->dst, pkt->dport);
      if (f != NULL)
        {
          flow_restart (f);
          f->a_tag = pkt->init_tag;
          f->a_tag_known = TRUE;
        }
      return;
    }
  if (pkt->chunk == NET_CHUNK_ABORT || pkt->chunk == NET_CHUNK_SHUTDOWN_COMPLETE)
    {
      Flow *f = flow_lookup (o, pkt->src, pkt->sport, pkt->dst, pkt->dport);
      if (f != NULL && flow_ends (f, pkt, FALSE))
        f->open = FALSE;
      return;
    }
  if (pkt->chunk != NET_CHUNK_DATA || pkt->payload == NULL)
    return;
  g_auto (CodecMessage) msg = { 0 };
  gboolean opaque;
  gboolean ok = decode_packet (pkt, &msg, &opaque);
  guint slot = CAPTURE_N;
  if (ok && msg.type == CODEC_ASAP_REGISTRATION)
    slot = CAPTURE_REGISTRATION;
  else if (ok && msg.type == CODEC_ASAP_DEREGISTRATION)
    slot = CAPTURE_DEREGISTRATION;
  else if (opaque)
    slot = CAPTURE_OPAQUE;
  Flow *f = slot != CAPTURE_N ? flow_get (o, pkt->src, pkt->sport, pkt->dst, pkt->dport)
                              : flow_lookup (o, pkt->src, pkt->sport, pkt->dst, pkt->dport);
  if (f == NULL)
    return;
  /* A's own numbering first (a retransmission is not newer), then B's. */
  if (!f->seen || (gint32) (pkt->tsn - f->max_tsn) > 0)
    f->max_tsn = pkt->tsn;
  if (pkt->stream == 0 && (!f->seen || (gint16) (pkt->ssn - f->max_ssn) > 0))
    f->max_ssn = pkt->ssn;
  f->seen = TRUE;
  f->vtag = pkt->vtag;
  f->vtag_known = TRUE;
  if (slot != CAPTURE_N && (slot == CAPTURE_OPAQUE || f->cap[slot].msg == NULL))
    {
      capture_set (&f->cap[slot], pkt->payload, pkt->ppid, pkt->kind);
      o->captured++;
    }
  pkt->tsn += flow_tsn_shift (f, pkt->tsn);
  if (pkt->stream == 0)
    pkt->ssn += flow_ssn_shift (f, pkt->ssn);
}

/* A packet of the registrar towards A. */
static void
replay_backward (AttackOnpath *o, NetPacket *pkt)
{
  Flow *f = flow_lookup (o, pkt->dst, pkt->dport, pkt->src, pkt->sport);
  if (f == NULL)
    return;
  if (pkt->chunk == NET_CHUNK_ABORT || pkt->chunk == NET_CHUNK_SHUTDOWN_COMPLETE)
    {
      if (flow_ends (f, pkt, TRUE))
        f->open = FALSE;
      return;
    }
  f->a_tag = pkt->vtag;
  f->a_tag_known = TRUE;
  if (pkt->chunk == NET_CHUNK_INIT_ACK)
    {
      f->vtag = pkt->init_tag;
      f->vtag_known = TRUE;
    }
  if (pkt->chunk == NET_CHUNK_SACK || pkt->chunk == NET_CHUNK_SHUTDOWN)
    unshift_ack (f, pkt);
}

/* Inject one captured message into the flow's association as A's next chunk. */
static void
inject (OnpathAdversary *adv, Flow *f, const Capture *c)
{
  AttackOnpath *o = adv->o;
  guint k = f->tsn_after->len;
  NetPacket *pkt = net_packet_new ();
  pkt->src = f->a;
  pkt->dst = f->b;
  pkt->proto = NET_PROTO_SCTP;
  pkt->sport = f->pa;
  pkt->dport = f->pb;
  pkt->vtag = f->vtag;
  pkt->chunk = NET_CHUNK_DATA;
  pkt->flags = NET_CHUNK_FLAG_BE;
  pkt->stream = 0;
  pkt->tsn = f->max_tsn + k + 1;
  pkt->ssn = (guint16) (f->max_ssn + k + 1);
  pkt->ppid = c->ppid;
  pkt->kind = c->kind;
  net_packet_set_payload (pkt, c->msg);
  g_array_append_val (f->tsn_after, f->max_tsn);
  g_array_append_val (f->ssn_after, f->max_ssn);
  g_array_append_val (f->tsn_injected, pkt->tsn);
  o->messages++;
  o->bytes += g_bytes_get_size (c->msg);
  o->injected++;
  net_tap_inject (adv->tap, pkt);
}

static void
replay_tick (SimKernel *k, gpointer ctx, gpointer data)
{
  OnpathAdversary *adv = ctx;
  AttackOnpath *o = adv->o;
  adv->timer = sim_kernel_schedule (k, o->interval, replay_tick, adv, NULL);
  for (guint i = 0; i < o->flow_order->len; i++)
    {
      Flow *f = o->flow_order->pdata[i];
      if (!f->open || !f->seen)
        continue;
      if ((o->replay_what & REPLAY_REGISTRATIONS) && f->cap[CAPTURE_REGISTRATION].msg != NULL)
        inject (adv, f, &f->cap[CAPTURE_REGISTRATION]);
      if ((o->replay_what & REPLAY_DEREGISTRATIONS) && f->cap[CAPTURE_DEREGISTRATION].msg != NULL)
        inject (adv, f, &f->cap[CAPTURE_DEREGISTRATION]);
      if (f->cap[CAPTURE_OPAQUE].msg != NULL)
        inject (adv, f, &f->cap[CAPTURE_OPAQUE]);
    }
}

/* ---- the tap ---------------------------------------------------------------------- */

static NetTapVerdict
onpath_tap (NetTap *tap, NetPacket *pkt, SimTime *delay, gpointer user_data)
{
  OnpathAdversary *adv = user_data;
  AttackOnpath *o = adv->o;
  if (o->kind == ONPATH_REPLAY)
    {
      if (pkt->proto != NET_PROTO_SCTP)
        return NET_TAP_PASS;
      /* PEs bind their ASAP endpoint to port 3863 too: the registrar's address tells the direction. */
      if (is_registrar_asap_port (pkt->dport) && g_hash_table_contains (o->registrar_addrs, GUINT_TO_POINTER (pkt->dst)))
        replay_forward (o, pkt);
      else if (is_registrar_asap_port (pkt->sport)
               && g_hash_table_contains (o->registrar_addrs, GUINT_TO_POINTER (pkt->src)))
        replay_backward (o, pkt);
      return NET_TAP_PASS;
    }
  if (o->kind == ONPATH_TAMPER && sim_kernel_now (o->kernel) < o->start)
    return NET_TAP_PASS;
  g_auto (CodecMessage) msg = { 0 };
  gboolean opaque;
  gboolean ok = decode_packet (pkt, &msg, &opaque);
  o->decoded += ok;
  o->opaque += opaque;
  if (o->kind == ONPATH_EAVESDROP)
    {
      if (ok)
        learn (o, &msg);
      return NET_TAP_PASS;
    }
  if (ok)
    tamper_message (adv, pkt, &msg);
  else if (opaque)
    tamper_opaque (adv, pkt);
  return NET_TAP_PASS;
}

/* ---- life cycle -------------------------------------------------------------------- */

static guint
parse_set (const char *text, const char *const *names, const guint *bits)
{
  guint v = 0;
  for (guint i = 0; names[i] != NULL; i++)
    if (strcmp (text, names[i]) == 0)
      v = bits[i];
  return v;
}

AttackOnpath *
attack_onpath_new (Rserpool *m, const SimParams *p, guint64 seed, const char *type, GError **error)
{
  AttackOnpath *o = g_new0 (AttackOnpath, 1);
  o->m = m;
  o->net = rserpool_net (m);
  o->kernel = rserpool_kernel (m);
  o->kind = strcmp (type, "replay") == 0 ? ONPATH_REPLAY : strcmp (type, "tamper") == 0 ? ONPATH_TAMPER
                                                                                       : ONPATH_EAVESDROP;
  o->interval = sim_params_time (p, "attack.interval");
  o->start = sim_params_time (p, "attack.start");
  o->tamper_p = sim_params_double (p, "attack.tamper-probability");
  static const char *const tamper_names[] = { "all", "resolutions", "registrations", "updates", NULL };
  static const guint tamper_bits[] = { TAMPER_RESOLUTIONS | TAMPER_REGISTRATIONS | TAMPER_UPDATES,
                                       TAMPER_RESOLUTIONS, TAMPER_REGISTRATIONS, TAMPER_UPDATES };
  o->tamper_what = parse_set (sim_params_string (p, "attack.tamper-messages"), tamper_names, tamper_bits);
  static const char *const replay_names[] = { "all", "registrations", "deregistrations", NULL };
  static const guint replay_bits[] = { REPLAY_REGISTRATIONS | REPLAY_DEREGISTRATIONS, REPLAY_REGISTRATIONS,
                                       REPLAY_DEREGISTRATIONS };
  o->replay_what = parse_set (sim_params_string (p, "attack.replay-messages"), replay_names, replay_bits);
  o->registrar_addrs = g_hash_table_new (g_direct_hash, g_direct_equal);
  for (guint r = 0; r < rserpool_n_registrars (m); r++)
    {
      NetHost *h = registrar_host (rserpool_registrar (m, r));
      for (guint k = 0; k < net_host_n_addresses (h); k++)
        g_hash_table_add (o->registrar_addrs, GUINT_TO_POINTER (net_host_address (h, k)));
    }
  o->flows = g_hash_table_new (flow_hash, flow_equal);
  o->flow_order = g_ptr_array_new_with_free_func (flow_free);
  o->pe_ids = g_hash_table_new (g_direct_hash, g_direct_equal);
  o->pe_addrs = g_hash_table_new (g_direct_hash, g_direct_equal);
  o->registrars = g_hash_table_new (g_direct_hash, g_direct_equal);
  o->handles = g_hash_table_new_full (g_bytes_hash, g_bytes_equal, (GDestroyNotify) g_bytes_unref, NULL);
  o->adversaries = g_ptr_array_new_with_free_func (g_free);
  guint n = (guint) sim_params_int (p, "attack.count");
  guint lan0 = (guint) sim_params_int (p, "attack.lan");
  if (o->kind == ONPATH_REPLAY && n != 1)
    {
      /* Two taps on one path would each shift the same chunks: one man in the middle per association. */
      g_set_error (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID, "attack.type = replay needs attack.count = 1");
      attack_onpath_free (o);
      return NULL;
    }
  if (lan0 >= net_n_lans (o->net))
    {
      g_set_error (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID, "attack.lan = %u: the network has %u LANs",
                   lan0, net_n_lans (o->net));
      attack_onpath_free (o);
      return NULL;
    }
  for (guint i = 0; i < n; i++)
    {
      OnpathAdversary *adv = g_new0 (OnpathAdversary, 1);
      adv->o = o;
      adv->index = i;
      g_autofree char *name = g_strdup_printf ("adversary%u", i);
      adv->host = net_host_new (o->net, name, "adversary", NET_HOST_ADVERSARY);
      NetLan *lan = net_lan (o->net, (lan0 + i) % net_n_lans (o->net));
      NetAddr self = net_host_add_address (adv->host, lan, 0);
      adv->dead_addr = (self & 0xffff0000u) | 0xfffe;
      sim_rng_init_fmt (&adv->rng_tamper, seed, "attack/%u/tamper", i);
      adv->tap = net_tap_attach_lan (lan, adv->host, onpath_tap, adv);
      adv->timer = SIM_EVENT_NONE;
      if (o->kind == ONPATH_REPLAY)
        adv->timer = sim_kernel_schedule_at (o->kernel, o->start, replay_tick, adv, NULL);
      g_ptr_array_add (o->adversaries, adv);
    }
  return o;
}

void
attack_onpath_record (AttackOnpath *o, SimRecorder *rec)
{
  const char *mod = "attack";
  SimTime span = sim_kernel_now (o->kernel) - o->start;
  sim_record_scalar (rec, mod, "attack.adversaries", o->adversaries->len, "hosts");
  sim_record_scalar (rec, mod, "attack.messages", (double) o->messages, "messages");
  sim_record_scalar (rec, mod, "attack.bytes", (double) o->bytes, "B");
  sim_record_scalar (rec, mod, "attack.bitrate", span > 0 ? (double) o->bytes * 8.0 / ((double) span / SIM_S) : 0,
                     "bit/s");
  sim_record_scalar (rec, mod, "attack.observed.decoded", (double) o->decoded, "messages");
  sim_record_scalar (rec, mod, "attack.observed.opaque", (double) o->opaque, "messages");
  switch (o->kind)
    {
    case ONPATH_EAVESDROP:
      sim_record_scalar (rec, mod, "attack.learned.pe_ids", g_hash_table_size (o->pe_ids), "facts");
      sim_record_scalar (rec, mod, "attack.learned.pe_addresses", g_hash_table_size (o->pe_addrs), "facts");
      sim_record_scalar (rec, mod, "attack.learned.pool_handles", g_hash_table_size (o->handles), "facts");
      sim_record_scalar (rec, mod, "attack.learned.registrars", g_hash_table_size (o->registrars), "facts");
      break;
    case ONPATH_TAMPER:
      sim_record_scalar (rec, mod, "attack.tampered.resolutions", (double) o->tampered[0], "messages");
      sim_record_scalar (rec, mod, "attack.tampered.registrations", (double) o->tampered[1], "messages");
      sim_record_scalar (rec, mod, "attack.tampered.updates", (double) o->tampered[2], "messages");
      sim_record_scalar (rec, mod, "attack.tampered.opaque", (double) o->tampered[3], "messages");
      break;
    case ONPATH_REPLAY:
      sim_record_scalar (rec, mod, "attack.replay.captured", (double) o->captured, "messages");
      sim_record_scalar (rec, mod, "attack.replay.injected", (double) o->injected, "messages");
      sim_record_scalar (rec, mod, "attack.replay.flows", o->flow_order->len, "associations");
      break;
    }
}

void
attack_onpath_free (AttackOnpath *o)
{
  if (o == NULL)
    return;
  for (guint i = 0; i < o->adversaries->len; i++)
    {
      OnpathAdversary *adv = o->adversaries->pdata[i];
      sim_kernel_cancel (o->kernel, adv->timer);
      net_tap_detach (adv->tap);
    }
  g_ptr_array_unref (o->adversaries);
  g_hash_table_unref (o->registrar_addrs);
  g_hash_table_unref (o->flows);
  g_ptr_array_unref (o->flow_order);
  g_hash_table_unref (o->pe_ids);
  g_hash_table_unref (o->pe_addrs);
  g_hash_table_unref (o->registrars);
  g_hash_table_unref (o->handles);
  g_free (o);
}
