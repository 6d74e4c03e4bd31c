/*
 * models/endpoint.c - server hunt, registrar lists and decode-error answers
 * shared by the pool element and the pool user (see models/endpoint.h).
 *
 * Candidates live in one small array (static list, then announced addresses
 * in order of first hearing); lookups by address are linear, which is what a
 * handful of registrars per scope calls for (an announce costs one pass over
 * a few entries, no allocation once the address is known).
 */
#include "config.h"

#include "models/endpoint.h"

#include "sim/model.h"

#include <string.h>

typedef struct {
  NetAddr addr;
  guint16 port;
  guint32 server_id;    /* from its announce; 0 = unknown (static) */
  SimTime expires;      /* SIM_TIME_MAX for static entries */
} HuntCandidate;

typedef struct {
  EndpointHunt *hunt;
  NetAssoc     *assoc;  /* NULL = free slot */
  NetAddr       addr;
  guint16       port;
  guint32       server_id;
} HuntAttempt;

struct EndpointHunt {
  Net                *net;
  NetHost            *host;
  SimKernel          *kernel;
  EndpointHuntConfig  cfg;
  EndpointHuntFoundFn found;
  gpointer            user_data;
  NetUdpSocket       *sock;          /* announce listener, NULL without announces */
  GArray             *candidates;    /* HuntCandidate */
  guint               cursor;        /* next candidate index to try (rotates) */
  gboolean            running;
  SimTime             t5;            /* current T5 value */
  SimEventId          t5_timer;
  HuntAttempt         attempts[EHUNT_MAX_PARALLEL];
  guint16             local_port;    /* attempts go from this port; 0 = ephemeral */
  RspSecurity        *sec;           /* TLS of class sec_class for the attempts; NULL = none */
  SecureClass         sec_class;
  RspRole             sec_role;
  EndpointHuntStats   stats;
};

/* ---- configuration -------------------------------------------------------- */

gboolean
endpoint_parse_addresses (const char *text, GArray **out, GError **error)
{
  g_autoptr (GArray) addrs = g_array_new (FALSE, FALSE, sizeof (NetAddr));
  g_auto (GStrv) words = g_strsplit_set (text != NULL ? text : "", ", \t", -1);
  for (guint i = 0; words[i] != NULL; i++)
    {
      if (words[i][0] == '\0')
        continue;
      NetAddr a;
      if (!net_addr_parse (words[i], &a) || a == 0 || net_addr_is_multicast (a))
        {
          g_set_error (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID,
                       "'%s' is not a unicast IPv4 address", words[i]);
          return FALSE;
        }
      g_array_append_val (addrs, a);
    }
  *out = g_steal_pointer (&addrs);
  return TRUE;
}

gboolean
endpoint_hunt_config_from_params (const SimParams *params, const char *prefix, EndpointHuntConfig *cfg,
                                  GError **error)
{
  g_autofree char *k_reg = g_strconcat (prefix, ".registrars", NULL);
  g_autofree char *k_ann = g_strconcat (prefix, ".announces", NULL);
  g_autofree char *k_t5 = g_strconcat (prefix, ".t5-server-hunt", NULL);
  g_autofree char *k_max = g_strconcat (prefix, ".retran-max", NULL);
  g_autofree char *k_t7 = g_strconcat (prefix, ".t7-enrp-outdate", NULL);
  memset (cfg, 0, sizeof *cfg);
  if (!endpoint_parse_addresses (sim_params_string (params, k_reg), &cfg->registrars, error))
    {
      g_prefix_error (error, "%s: ", k_reg);
      return FALSE;
    }
  cfg->announces = sim_params_bool (params, k_ann);
  cfg->t5 = sim_params_time (params, k_t5);
  cfg->retran_max = sim_params_time (params, k_max);
  cfg->t7 = sim_params_time (params, k_t7);
  return TRUE;
}

void
endpoint_hunt_config_copy (EndpointHuntConfig *dst, const EndpointHuntConfig *src)
{
  *dst = *src;
  dst->registrars = g_array_new (FALSE, FALSE, sizeof (NetAddr));
  if (src->registrars != NULL)
    g_array_append_vals (dst->registrars, src->registrars->data, src->registrars->len);
}

void
endpoint_hunt_config_clear (EndpointHuntConfig *cfg)
{
  g_clear_pointer (&cfg->registrars, g_array_unref);
}

void
endpoint_params_set_defaults (SimParams *params, const SimParamDecl *decls, gsize n)
{
  for (gsize i = 0; i < n; i++)
    {
      SimParamValue v;
      g_autoptr (GError) error = NULL;
      if (!sim_param_parse (&decls[i], decls[i].def, &v, &error))
        g_error ("endpoint: default of %s does not parse: %s", decls[i].key, error->message);
      v.is_default = TRUE;
      sim_params_set (params, &v);
    }
}

/* ---- server hunt ------------------------------------------------------------ */

static void hunt_round (EndpointHunt *h);
static void hunt_fill (EndpointHunt *h);

static void
hunt_abort_attempts (EndpointHunt *h)
{
  for (guint i = 0; i < EHUNT_MAX_PARALLEL; i++)
    {
      NetAssoc *a = h->attempts[i].assoc;
      h->attempts[i].assoc = NULL;
      if (a != NULL)
        net_assoc_abort (a);
    }
}

static void
attempt_event (NetAssoc *assoc, NetAssocEvent ev, gpointer user_data)
{
  HuntAttempt *at = user_data;
  EndpointHunt *h = at->hunt;
  if (ev != NET_ASSOC_UP)
    {
      /* SH4: this one failed; another candidate takes its slot. */
      at->assoc = NULL;
      h->stats.attempts_failed++;
      if (h->running)
        hunt_fill (h);
      return;
    }
  /* SH3 + SH6: the first registrar up becomes home; the other attempts end. */
  guint32 server_id = at->server_id;
  at->assoc = NULL;
  endpoint_hunt_stop (h);
  h->stats.found++;
  h->found (h, assoc, server_id, h->user_data);
}

static void
attempt_receive (NetAssoc *assoc, const NetMessage *m, gpointer user_data)
{
  /* A registrar does not speak first; nothing to do before the owner takes over. */
}

static const NetAssocCallbacks attempt_callbacks = { attempt_event, attempt_receive };

/* Drop outdated announced candidates (T7) and keep the cursor on the same entry. */
static void
hunt_expire (EndpointHunt *h)
{
  SimTime now = sim_kernel_now (h->kernel);
  for (guint i = 0; i < h->candidates->len;)
    {
      HuntCandidate *c = &g_array_index (h->candidates, HuntCandidate, i);
      if (c->expires <= now)
        {
          g_array_remove_index (h->candidates, i);
          if (h->cursor > i)
            h->cursor--;
        }
      else
        i++;
    }
  if (h->cursor >= h->candidates->len)
    h->cursor = 0;
}

static gboolean
hunt_attempting (EndpointHunt *h, NetAddr addr, guint16 port)
{
  for (guint i = 0; i < EHUNT_MAX_PARALLEL; i++)
    if (h->attempts[i].assoc != NULL && h->attempts[i].addr == addr && h->attempts[i].port == port)
      return TRUE;
  return FALSE;
}

/* Start attempts in free slots with the next candidates not being tried (SH1, SH4). */
static void
hunt_fill (EndpointHunt *h)
{
  hunt_expire (h);
  guint n = h->candidates->len;
  guint scanned = 0;
  for (guint slot = 0; slot < EHUNT_MAX_PARALLEL && scanned < n; slot++)
    {
      if (h->attempts[slot].assoc != NULL)
        continue;
      while (scanned < n)
        {
          HuntCandidate *c = &g_array_index (h->candidates, HuntCandidate, h->cursor);
          h->cursor = (h->cursor + 1) % n;
          scanned++;
          if (hunt_attempting (h, c->addr, c->port))
            continue;
          HuntAttempt *at = &h->attempts[slot];
          at->hunt = h;
          at->addr = c->addr;
          at->port = c->port;
          at->server_id = c->server_id;
          h->stats.attempts++;
          /* RFC 5352 §3.6 / RFC 5355 §3: a secure class speaks ASAP over TLS on port 3864. */
          guint16 port = c->port == RSP_ASAP_PORT
                         ? rsp_security_port (h->sec, h->sec_class, RSP_ASAP_PORT, SECURE_ASAP_TLS_PORT) : c->port;
          at->assoc = net_assoc_connect_from (h->host, h->local_port, c->addr, port, &attempt_callbacks, at);
          if (at->assoc == NULL)
            {
              /* The bound port has an association to it already (an old home closing): SH4. */
              h->stats.attempts_failed++;
              continue;
            }
          rsp_security_client (h->sec, h->sec_class, h->sec_role, h->host, at->assoc);
          break;
        }
    }
}

static void
hunt_t5_expired (SimKernel *k, gpointer ctx, gpointer data)
{
  EndpointHunt *h = ctx;
  h->t5_timer = SIM_EVENT_NONE;
  h->stats.t5_expiries++;
  /* SH5: abort, double T5 up to RETRAN-MAX, try a different set. */
  hunt_abort_attempts (h);
  h->t5 = MIN (h->t5 * 2, h->cfg.retran_max);
  hunt_round (h);
}

static void
hunt_round (EndpointHunt *h)
{
  h->t5_timer = sim_kernel_schedule (h->kernel, h->t5, hunt_t5_expired, h, NULL);
  hunt_fill (h);
}

void
endpoint_hunt_start (EndpointHunt *h)
{
  if (h->running)
    return;
  h->running = TRUE;
  h->stats.hunts++;
  hunt_round (h);
}

void
endpoint_hunt_stop (EndpointHunt *h)
{
  h->running = FALSE;
  sim_kernel_cancel (h->kernel, h->t5_timer);
  h->t5_timer = SIM_EVENT_NONE;
  h->t5 = h->cfg.t5;
  hunt_abort_attempts (h);
}

gboolean
endpoint_hunt_is_running (const EndpointHunt *h)
{
  return h->running;
}

SimTime
endpoint_hunt_t5 (const EndpointHunt *h)
{
  return h->t5;
}

guint
endpoint_hunt_n_candidates (EndpointHunt *h)
{
  hunt_expire (h);
  return h->candidates->len;
}

const EndpointHuntStats *
endpoint_hunt_stats (const EndpointHunt *h)
{
  return &h->stats;
}

/* Learn (or refresh) an announced address; returns TRUE if it is new. */
static gboolean
hunt_learn (EndpointHunt *h, NetAddr addr, guint16 port, guint32 server_id)
{
  SimTime expires = sim_kernel_now (h->kernel) + h->cfg.t7;
  for (guint i = 0; i < h->candidates->len; i++)
    {
      HuntCandidate *c = &g_array_index (h->candidates, HuntCandidate, i);
      if (c->addr == addr && c->port == port)
        {
          if (c->expires != SIM_TIME_MAX)
            c->expires = expires;
          c->server_id = server_id;
          return FALSE;
        }
    }
  HuntCandidate c = { addr, port, server_id, expires };
  g_array_append_val (h->candidates, c);
  return TRUE;
}

static void
hunt_announce (NetUdpSocket *sock, const NetDatagram *d, gpointer user_data)
{
  EndpointHunt *h = user_data;
  g_auto (CodecMessage) msg = { 0 };
  CodecError err;
  if (!rsp_decode_datagram (d, CODEC_PROTO_ASAP, &msg, &err) || msg.type != CODEC_ASAP_SERVER_ANNOUNCE)
    {
      h->stats.announce_errors++;
      return;
    }
  h->stats.announces++;
  const CodecServerAnnounce *sa = &msg.u.server_announce;
  gboolean fresh = FALSE;
  if (sa->n_transports == 0)
    fresh = hunt_learn (h, d->src, RSP_ASAP_PORT, sa->server_id);  /* RFC 5352 §3.6: SCTP to the source */
  for (guint i = 0; i < sa->n_transports; i++)
    {
      const CodecTransport *t = &sa->transports[i];
      if (t->type != CODEC_PARAM_SCTP_TRANSPORT)
        continue;
      for (guint j = 0; j < t->n_addrs; j++)
        if (t->addrs[j].family == 4)
          {
            const guint8 *b = t->addrs[j].bytes;
            fresh |= hunt_learn (h, net_addr (b[0], b[1], b[2], b[3]), t->port, sa->server_id);
          }
    }
  if (fresh && h->running)
    hunt_fill (h);
}

static void
hunt_open_socket (EndpointHunt *h)
{
  if (!h->cfg.announces)
    return;
  h->sock = net_udp_open (h->host, RSP_ASAP_PORT, hunt_announce, h);
  g_return_if_fail (h->sock != NULL);   /* one ASAP endpoint per host */
  NetAddr group;
  net_addr_parse (RSP_ASAP_ANNOUNCE_GROUP_TEXT, &group);
  net_udp_join (h->sock, group);
}

static void
hunt_reset_candidates (EndpointHunt *h)
{
  g_array_set_size (h->candidates, 0);
  for (guint i = 0; i < h->cfg.registrars->len; i++)
    {
      HuntCandidate c = { g_array_index (h->cfg.registrars, NetAddr, i), RSP_ASAP_PORT, 0, SIM_TIME_MAX };
      g_array_append_val (h->candidates, c);
    }
  h->cursor = 0;
}

EndpointHunt *
endpoint_hunt_new (NetHost *host, const EndpointHuntConfig *cfg, EndpointHuntFoundFn found, gpointer user_data)
{
  g_return_val_if_fail (found != NULL, NULL);
  EndpointHunt *h = g_new0 (EndpointHunt, 1);
  h->net = net_host_net (host);
  h->host = host;
  h->kernel = net_kernel (h->net);
  endpoint_hunt_config_copy (&h->cfg, cfg);
  h->found = found;
  h->user_data = user_data;
  h->t5 = cfg->t5;
  h->candidates = g_array_new (FALSE, FALSE, sizeof (HuntCandidate));
  hunt_reset_candidates (h);
  hunt_open_socket (h);
  return h;
}

void
endpoint_hunt_set_security (EndpointHunt *h, RspSecurity *sec, SecureClass cls, RspRole role)
{
  h->sec = sec;
  h->sec_class = cls;
  h->sec_role = role;
}

void
endpoint_hunt_set_local_port (EndpointHunt *h, guint16 port)
{
  h->local_port = port;
}

void
endpoint_hunt_free (EndpointHunt *h)
{
  if (h == NULL)
    return;
  endpoint_hunt_stop (h);
  if (h->sock != NULL)
    net_udp_close (h->sock);
  g_array_unref (h->candidates);
  endpoint_hunt_config_clear (&h->cfg);
  g_free (h);
}

void
endpoint_hunt_host_state (EndpointHunt *h, gboolean up)
{
  if (!up)
    {
      /* The crash destroyed the socket and the attempts: forget them without touching them. */
      h->sock = NULL;
      for (guint i = 0; i < EHUNT_MAX_PARALLEL; i++)
        h->attempts[i].assoc = NULL;
      endpoint_hunt_stop (h);
      hunt_reset_candidates (h);   /* announced addresses were in memory */
      return;
    }
  hunt_open_socket (h);
}

void
endpoint_hunt_record (const EndpointHunt *h, SimRecorder *rec, const char *module, const char *prefix)
{
  static const struct { const char *name; gsize off; } counters[] = {
    { "hunt.hunts", G_STRUCT_OFFSET (EndpointHuntStats, hunts) },
    { "hunt.attempts", G_STRUCT_OFFSET (EndpointHuntStats, attempts) },
    { "hunt.attempts_failed", G_STRUCT_OFFSET (EndpointHuntStats, attempts_failed) },
    { "hunt.t5_expiries", G_STRUCT_OFFSET (EndpointHuntStats, t5_expiries) },
    { "hunt.found", G_STRUCT_OFFSET (EndpointHuntStats, found) },
    { "hunt.announces", G_STRUCT_OFFSET (EndpointHuntStats, announces) },
    { "hunt.announce_errors", G_STRUCT_OFFSET (EndpointHuntStats, announce_errors) },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (counters); i++)
    {
      g_autofree char *name = g_strconcat (prefix, ".", counters[i].name, NULL);
      guint64 v = G_STRUCT_MEMBER (guint64, &h->stats, counters[i].off);
      sim_record_scalar (rec, module, name, (double) v, "1");
    }
}

/* ---- answers to undecodable messages (RFC 5354) --------------------------- */

static gboolean
send_error_cause (Net *net, NetAssoc *assoc, guint16 code, const guint8 *info, gsize len)
{
  CodecErrorCause cause = { 0 };
  cause.code = code;
  cause.info = (CodecBytes) { len > 0 ? info : NULL, len };
  CodecMessage reply = { 0 };
  reply.type = CODEC_ASAP_ERROR;
  reply.u.error = (CodecOperationError) { 1, &cause };
  return rsp_send (net, assoc, 0, &reply) > 0;
}

gboolean
endpoint_answer_decode_error (Net *net, NetAssoc *assoc, const NetMessage *m, const CodecError *err)
{
  gsize len;
  const guint8 *buf = g_bytes_get_data (m->data, &len);
  if (m->ppid != RSP_PPID_ASAP || err->action != CODEC_ACTION_DISCARD_REPORT)
    return FALSE;
  /* The cause info must fit an ASAP_ERROR: an attacker's 64 KiB message is not echoed back whole. */
  if (err->code == CODEC_ERR_UNKNOWN_MESSAGE && len <= CODEC_MAX_MESSAGE - 16)
    return send_error_cause (net, assoc, CODEC_CAUSE_UNRECOGNIZED_MESSAGE, buf, len);
  if (err->code == CODEC_ERR_UNKNOWN_PARAM && err->offset <= len && err->length <= len - err->offset
      && err->length <= CODEC_MAX_MESSAGE - 16)
    return send_error_cause (net, assoc, CODEC_CAUSE_UNRECOGNIZED_PARAMETER, buf + err->offset, err->length);
  return FALSE;
}

gboolean
endpoint_answer_unrecognized (Net *net, NetAssoc *assoc, const CodecMessage *msg)
{
  guint n = 0;
  for (guint i = 0; i < msg->n_unrecognized; i++)
    if (msg->unrecognized[i].action == CODEC_ACTION_SKIP_REPORT)
      n++;
  if (n == 0)
    return FALSE;
  g_autofree CodecErrorCause *causes = g_new0 (CodecErrorCause, n);
  guint j = 0;
  for (guint i = 0; i < msg->n_unrecognized; i++)
    if (msg->unrecognized[i].action == CODEC_ACTION_SKIP_REPORT)
      {
        causes[j].code = CODEC_CAUSE_UNRECOGNIZED_PARAMETER;
        causes[j].info = msg->unrecognized[i].tlv;
        j++;
      }
  CodecMessage reply = { 0 };
  reply.type = CODEC_ASAP_ERROR;
  reply.u.error = (CodecOperationError) { n, causes };
  return rsp_send (net, assoc, 0, &reply) > 0;
}
