/*
 * tests/endpoint-test-util.h - a scripted registrar for the PE, PU and
 * CalcApp tests, built from the codec: it listens on the ASAP port, logs
 * every message it receives (time, type, bytes), answers registrations
 * (accept, reject with a cause, or silence), deregistrations and handle
 * resolutions (the PEs registered with it, round robin, one per answer;
 * a PE reported unreachable is dropped), and sends keep-alives and server
 * announces on request. It is a test double, not a registrar: no ENRP, no
 * checks, no timers.
 *
 * The network: one LAN with a constant one-way delay TEP_DELAY and a bandwidth
 * so high that every packet serializes in exactly 1 ns, so one crossing takes
 * TEP_X = TEP_DELAY + 1 ns.
 */
#pragma once

#include "models/calcapp.h"
#include "tests/net-test-util.h"

#define TEP_DELAY (1 * SIM_MS)
#define TEP_X     (TEP_DELAY + 1)

typedef struct {
  SimTime      t;
  CodecMsgType type;
  GBytes      *bytes;
  NetAssoc    *assoc;   /* may be gone by the time a test looks */
} TepLogEntry;

typedef struct {
  guint32 pe_id;
  guint16 port;
  NetAddr addr;
  guint32 policy;
} TepPe;

typedef struct {
  TNet          tn;
  NetHost      *host;
  NetListener  *listener;
  NetUdpSocket *sock;
  GArray       *log;          /* TepLogEntry */
  GPtrArray    *assocs;       /* NetAssoc* accepted and not gone */
  guint         accepted;     /* associations accepted so far */
  gboolean      silent;       /* answer nothing */
  guint16       reject_cause; /* 0 = accept registrations */
  gboolean      answer_dereg;
  GArray       *pes;          /* TepPe registered, in order of first registration */
  guint         rr;
} TepRegistrar;

static inline const TepLogEntry *
tep_log (TepRegistrar *r, guint i)
{
  g_assert_cmpuint (i, <, r->log->len);
  return &g_array_index (r->log, TepLogEntry, i);
}

/* Count log entries of a type. */
static inline guint
tep_count (TepRegistrar *r, CodecMsgType type)
{
  guint n = 0;
  for (guint i = 0; i < r->log->len; i++)
    n += g_array_index (r->log, TepLogEntry, i).type == type;
  return n;
}

/* The k-th (0-based) logged message of a type. */
static inline const TepLogEntry *
tep_nth (TepRegistrar *r, CodecMsgType type, guint k)
{
  for (guint i = 0; i < r->log->len; i++)
    {
      const TepLogEntry *e = &g_array_index (r->log, TepLogEntry, i);
      if (e->type == type && k-- == 0)
        return e;
    }
  g_assert_not_reached ();
  return NULL;
}

/* Decode a logged message (clear the result with codec_message_clear). */
static inline void
tep_decode (const TepLogEntry *e, CodecMessage *msg)
{
  gsize len;
  const guint8 *buf = g_bytes_get_data (e->bytes, &len);
  g_assert_true (codec_decode (CODEC_PROTO_ASAP, buf, len, msg, NULL));
}

static inline NetAddr
tep_addr_of (const CodecAddress *a)
{
  return net_addr (a->bytes[0], a->bytes[1], a->bytes[2], a->bytes[3]);
}

static inline void
tep_send_pe_ref (TepRegistrar *r, NetAssoc *assoc, CodecMsgType type, guint8 flags, CodecBytes handle,
                 guint32 pe_id, guint16 cause)
{
  CodecErrorCause c = { 0 };
  c.code = cause;
  CodecOperationError err = { 1, &c };
  CodecMessage msg = { 0 };
  msg.type = type;
  msg.flags = flags;
  msg.u.pe_ref.handle = handle;
  msg.u.pe_ref.pe_id = pe_id;
  msg.u.pe_ref.error = flags ? &err : NULL;
  rsp_send (r->tn.net, assoc, 0, &msg);
}

static inline void
tep_remove_pe (TepRegistrar *r, guint32 pe_id)
{
  for (guint i = 0; i < r->pes->len; i++)
    if (g_array_index (r->pes, TepPe, i).pe_id == pe_id)
      {
        g_array_remove_index (r->pes, i);
        return;
      }
}

static inline void
tep_answer_resolution (TepRegistrar *r, NetAssoc *assoc, CodecBytes handle)
{
  CodecMessage msg = { 0 };
  msg.type = CODEC_ASAP_HANDLE_RESOLUTION_RESPONSE;
  msg.u.handle_resolution_response.handle = handle;
  CodecAddress addr = { 0 };
  CodecPoolElement pe = { 0 };
  CodecErrorCause cause = { 0 };
  CodecOperationError err = { 1, &cause };
  if (r->pes->len == 0)
    {
      cause.code = CODEC_CAUSE_UNKNOWN_POOL_HANDLE;
      msg.u.handle_resolution_response.error = &err;
    }
  else
    {
      const TepPe *p = &g_array_index (r->pes, TepPe, r->rr++ % r->pes->len);
      addr.family = 4;
      addr.bytes[0] = p->addr >> 24;
      addr.bytes[1] = p->addr >> 16;
      addr.bytes[2] = p->addr >> 8;
      addr.bytes[3] = p->addr;
      pe.pe_id = p->pe_id;
      pe.reg_life_ms = 30000;
      pe.user_transport = (CodecTransport) { CODEC_PARAM_SCTP_TRANSPORT, p->port, CODEC_TRANSPORT_USE_DATA_CONTROL,
                                             0, 1, &addr, { NULL, 0 } };
      pe.policy.type = p->policy;
      msg.u.handle_resolution_response.n_pes = 1;
      msg.u.handle_resolution_response.pes = &pe;
      msg.u.handle_resolution_response.has_policy = p->policy != CODEC_POLICY_ROUND_ROBIN;
      msg.u.handle_resolution_response.policy.type = p->policy;
    }
  rsp_send (r->tn.net, assoc, 0, &msg);
}

static inline void
tep_receive (NetAssoc *assoc, const NetMessage *m, gpointer user_data)
{
  TepRegistrar *r = user_data;
  g_auto (CodecMessage) msg = { 0 };
  CodecError err;
  TepLogEntry e = { sim_kernel_now (r->tn.kernel), 0, g_bytes_ref (m->data), assoc };
  gboolean ok = rsp_decode (m, &msg, &err);
  e.type = ok ? msg.type : 0;
  g_array_append_val (r->log, e);
  if (!ok || r->silent)
    return;
  switch (msg.type)
    {
    case CODEC_ASAP_REGISTRATION:
      {
        const CodecRegistration *reg = &msg.u.registration;
        if (r->reject_cause == 0)
          {
            gboolean known = FALSE;
            for (guint i = 0; i < r->pes->len; i++)
              known |= g_array_index (r->pes, TepPe, i).pe_id == reg->pe.pe_id;
            if (!known)
              {
                TepPe p = { reg->pe.pe_id, reg->pe.user_transport.port,
                            tep_addr_of (&reg->pe.user_transport.addrs[0]), reg->pe.policy.type };
                g_array_append_val (r->pes, p);
              }
          }
        tep_send_pe_ref (r, assoc, CODEC_ASAP_REGISTRATION_RESPONSE, r->reject_cause ? 1 : 0, reg->handle,
                         reg->pe.pe_id, r->reject_cause);
        break;
      }
    case CODEC_ASAP_DEREGISTRATION:
      tep_remove_pe (r, msg.u.pe_ref.pe_id);
      if (r->answer_dereg)
        tep_send_pe_ref (r, assoc, CODEC_ASAP_DEREGISTRATION_RESPONSE, 0, msg.u.pe_ref.handle, msg.u.pe_ref.pe_id, 0);
      break;
    case CODEC_ASAP_ENDPOINT_UNREACHABLE:
      tep_remove_pe (r, msg.u.pe_ref.pe_id);
      break;
    case CODEC_ASAP_HANDLE_RESOLUTION:
      tep_answer_resolution (r, assoc, msg.u.handle_resolution.handle);
      break;
    default:
      break;
    }
}

static inline void
tep_event (NetAssoc *assoc, NetAssocEvent ev, gpointer user_data)
{
  TepRegistrar *r = user_data;
  if (ev != NET_ASSOC_UP)
    g_ptr_array_remove (r->assocs, assoc);
}

static const NetAssocCallbacks tep_callbacks = { tep_event, tep_receive };

static inline gboolean
tep_accept (NetListener *l, NetAssoc *assoc, gpointer user_data)
{
  TepRegistrar *r = user_data;
  net_assoc_set_callbacks (assoc, &tep_callbacks, r);
  g_ptr_array_add (r->assocs, assoc);
  r->accepted++;
  return TRUE;
}

/* A net of one LAN and a registrar double on host "pr" (10.0.0.1). */
static inline void
tep_init (TepRegistrar *r, guint64 seed)
{
  memset (r, 0, sizeof *r);
  tnet_init (&r->tn, seed, 1, TEP_DELAY, 1000000000000000, 0);
  r->host = tnet_host (&r->tn, "pr", 0);
  r->listener = net_listen (r->host, RSP_ASAP_PORT, tep_accept, r);
  r->log = g_array_new (FALSE, FALSE, sizeof (TepLogEntry));
  r->assocs = g_ptr_array_new ();
  r->pes = g_array_new (FALSE, FALSE, sizeof (TepPe));
  r->answer_dereg = TRUE;
}

static inline void
tep_clear (TepRegistrar *r)
{
  for (guint i = 0; i < r->log->len; i++)
    g_bytes_unref (g_array_index (r->log, TepLogEntry, i).bytes);
  g_array_unref (r->log);
  g_ptr_array_unref (r->assocs);
  g_array_unref (r->pes);
  tnet_clear (&r->tn);
}

static inline void
tep_run_until (TepRegistrar *r, SimTime t)
{
  sim_kernel_run (r->tn.kernel, t);
}

static inline SimTime
tep_now (TepRegistrar *r)
{
  return sim_kernel_now (r->tn.kernel);
}

/* Send ENDPOINT_KEEP_ALIVE on assoc. */
static inline void
tep_send_keep_alive (TepRegistrar *r, NetAssoc *assoc, guint32 server_id, const char *handle, gboolean home)
{
  CodecMessage msg = { 0 };
  msg.type = CODEC_ASAP_ENDPOINT_KEEP_ALIVE;
  msg.flags = home ? CODEC_FLAG_KEEP_ALIVE_HOME : 0;
  msg.u.keep_alive.server_id = server_id;
  msg.u.keep_alive.handle = (CodecBytes) { (const guint8 *) handle, strlen (handle) };
  rsp_send (r->tn.net, assoc, 0, &msg);
}

/* Send ASAP_SERVER_ANNOUNCE (no transports: SCTP to the source address) to the announce group. */
static inline void
tep_announce (TepRegistrar *r, guint32 server_id)
{
  if (r->sock == NULL)
    r->sock = net_udp_open (r->host, 0, NULL, NULL);
  NetAddr group;
  net_addr_parse (RSP_ASAP_ANNOUNCE_GROUP_TEXT, &group);
  CodecMessage msg = { 0 };
  msg.type = CODEC_ASAP_SERVER_ANNOUNCE;
  msg.u.server_announce.server_id = server_id;
  rsp_send_udp (r->tn.net, r->sock, group, RSP_ASAP_PORT, &msg);
}

/* A host on the LAN. */
static inline NetHost *
tep_host (TepRegistrar *r, const char *name)
{
  return tnet_host (&r->tn, name, 0);
}

/* A PE config: static registrar list = pr, no announces. */
static inline void
tep_pe_config (TepRegistrar *r, PeConfig *cfg)
{
  pe_config_init (cfg);
  cfg->hunt.announces = FALSE;
  NetAddr a = net_host_address (r->host, 0);
  g_array_append_val (cfg->hunt.registrars, a);
}

static inline void
tep_pu_config (TepRegistrar *r, PuConfig *cfg)
{
  pu_config_init (cfg);
  cfg->hunt.announces = FALSE;
  NetAddr a = net_host_address (r->host, 0);
  g_array_append_val (cfg->hunt.registrars, a);
}
