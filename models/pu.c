/*
 * models/pu.c - the ASAP pool user (see models/pu.h).
 *
 * Costs: a resolution is one encode and one decode; the answer is copied
 * into a small array of PuPeInfo that doubles as the cache. The failure-event
 * table is a hash keyed by PE identifier (no iteration, so its order never
 * matters), one entry per PE tried and not reached since.
 */
#include "config.h"

#include "models/pu.h"

#include "sim/model.h"

#include <string.h>

typedef struct {
  PuResolveFn fn;
  gpointer    data;
} PuWaiter;

/* A resolution answered from the cache, delivered from its own event. */
typedef struct {
  PoolUser   *pu;
  PuWaiter    waiter;
  guint       epoch;      /* the PU's epoch when scheduled: a crash in between cancels it */
  guint       n;
  PuPeInfo    pes[];
} PuDelivery;

enum { PU_ATTEMPT_TRIED = 1, PU_ATTEMPT_REPORTED = 2 };

struct PoolUser {
  Net            *net;
  NetHost        *host;
  SimKernel      *kernel;
  guint32         index;
  PuConfig        cfg;
  SimRng          select_rng;      /* "pu/<index>/select" */
  NetAssoc       *home;
  RspSecurity    *sec;             /* TLS (secure.pu-registrar, secure.pu-pe); NULL = none */
  EndpointHunt   *hunt;
  gboolean        request_out;     /* a resolution is outstanding (sent, or waiting for a home) */
  guint           retransmits;
  SimEventId      t1;
  GArray         *waiters;         /* PuWaiter */
  GArray         *cache;           /* PuPeInfo, the latest answer */
  SimTime         cache_until;
  guint           rr_next;         /* round-robin position in the cache */
  GHashTable     *attempts;        /* pe id -> PU_ATTEMPT_* */
  SimTime        *eu_sent;         /* ring of the send times of the last cfg.max_eu_reports reports */
  guint           eu_n, eu_head;   /* entries held; index of the oldest */
  GBytes         *cookie;
  guint           epoch;           /* incremented by a host crash */
  PuAppCallbacks  app;
  gpointer        app_data;
  PuStats         stats;
};

/* ---- parameters ------------------------------------------------------------ */

static const SimParamDecl pu_param_decls[] = {
  { "pu.t1-enrp-request", SIM_PARAM_TIME, "15s", 1, 9.2e18, NULL,
    "T1-ENRPrequest: wait for a HANDLE_RESOLUTION_RESPONSE (RFC 5352 §7; rspsim's papers 5 s)." },
  { "pu.max-request-retransmit", SIM_PARAM_INT, "2", 0, 1000, NULL,
    "MAX-REQUEST-RETRANSMIT: retransmissions of a handle resolution before the request fails and the "
    "PU hunts for another registrar (RFC 5352 §7; rspsim's papers 3)." },
  { "pu.stale-cache-value", SIM_PARAM_TIME, "0s", 0, 9.2e18, NULL,
    "Lifetime of the PU's cache of a resolution answer (RFC 5352 §3.3 stale_cache_value); "
    "0s = no cache, one resolution per request (the papers)." },
  { "pu.max-eu-rate", SIM_PARAM_INT, "0", 0, 1000000, NULL,
    "Mitigation pu-report-limit (RFC 5355 §2.13.3): ENDPOINT_UNREACHABLE reports a PU sends at most in any "
    "pu.eu-rate-window; reports above it are not sent (counted as pu.unreachable_limited). 0 = no limit." },
  { "pu.eu-rate-window", SIM_PARAM_TIME, "10s", 1, 9.2e18, NULL,
    "The sliding window of pu.max-eu-rate." },
  ENDPOINT_HUNT_PARAM_DECLS ("pu", "PU"),
};

const SimParamDecl *
pu_params (gsize *n)
{
  *n = G_N_ELEMENTS (pu_param_decls);
  return pu_param_decls;
}

gboolean
pu_config_from_params (const SimParams *p, PuConfig *cfg, GError **error)
{
  memset (cfg, 0, sizeof *cfg);
  if (!endpoint_hunt_config_from_params (p, "pu", &cfg->hunt, error))
    return FALSE;
  cfg->pool_handle = g_strdup (sim_params_string (p, "pool.handle"));
  cfg->t1 = sim_params_time (p, "pu.t1-enrp-request");
  cfg->max_request_retransmit = (guint) sim_params_int (p, "pu.max-request-retransmit");
  cfg->stale_cache = sim_params_time (p, "pu.stale-cache-value");
  cfg->max_eu_reports = (guint) sim_params_int (p, "pu.max-eu-rate");
  cfg->eu_window = sim_params_time (p, "pu.eu-rate-window");
  if (cfg->pool_handle[0] == '\0')
    {
      g_set_error (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID, "pool.handle: a pool handle is 1 byte or more");
      pu_config_clear (cfg);
      return FALSE;
    }
  return TRUE;
}

void
pu_config_init (PuConfig *cfg)
{
  static const SimParamDecl handle_decl[] = {
    { "pool.handle", SIM_PARAM_STRING, "CalcAppPool", 0, 0, NULL, "" },
  };
  g_autoptr (SimParamTable) table = sim_param_table_new ();
  sim_param_table_add (table, pu_param_decls, G_N_ELEMENTS (pu_param_decls));
  sim_param_table_add (table, handle_decl, 1);
  g_autoptr (SimParams) params = sim_params_new (table);
  endpoint_params_set_defaults (params, pu_param_decls, G_N_ELEMENTS (pu_param_decls));
  endpoint_params_set_defaults (params, handle_decl, 1);
  if (!pu_config_from_params (params, cfg, NULL))
    g_assert_not_reached ();
}

void
pu_config_copy (PuConfig *dst, const PuConfig *src)
{
  *dst = *src;
  dst->pool_handle = g_strdup (src->pool_handle);
  endpoint_hunt_config_copy (&dst->hunt, &src->hunt);
}

void
pu_config_clear (PuConfig *cfg)
{
  g_clear_pointer (&cfg->pool_handle, g_free);
  endpoint_hunt_config_clear (&cfg->hunt);
}

/* ---- handle resolution ------------------------------------------------------- */

static CodecBytes
pu_handle (const PoolUser *pu)
{
  return (CodecBytes) { (const guint8 *) pu->cfg.pool_handle, strlen (pu->cfg.pool_handle) };
}

static void pu_send_request (PoolUser *pu);

/* Answer every waiter (callbacks may ask again: they queue behind a fresh list). */
static void
pu_answer (PoolUser *pu, PuResolveResult result, const PuPeInfo *pes, guint n)
{
  g_autoptr (GArray) waiters = pu->waiters;
  pu->waiters = g_array_new (FALSE, FALSE, sizeof (PuWaiter));
  for (guint i = 0; i < waiters->len; i++)
    {
      PuWaiter *w = &g_array_index (waiters, PuWaiter, i);
      w->fn (pu, result, pes, n, w->data);
    }
}

static void
pu_drop_home (PoolUser *pu)
{
  if (pu->home != NULL)
    {
      NetAssoc *old = pu->home;
      pu->home = NULL;
      net_assoc_abort (old);
    }
}

static void
pu_t1_expired (SimKernel *k, gpointer ctx, gpointer data)
{
  PoolUser *pu = ctx;
  pu->t1 = SIM_EVENT_NONE;
  if (pu->retransmits < pu->cfg.max_request_retransmit)
    {
      pu->retransmits++;
      pu->stats.retransmissions++;
      pu_send_request (pu);
      return;
    }
  /* RFC 5352 §3.3: out of retransmissions -> Error.Report; another home for the next request (§3.6). */
  pu->stats.request_failures++;
  pu->request_out = FALSE;
  pu->retransmits = 0;
  pu_drop_home (pu);
  endpoint_hunt_start (pu->hunt);
  pu_answer (pu, PU_RESOLVE_FAILED, NULL, 0);
}

static void
pu_send_request (PoolUser *pu)
{
  pu->request_out = TRUE;
  if (pu->home == NULL)
    {
      endpoint_hunt_start (pu->hunt);   /* sent when the hunt finds a home */
      return;
    }
  CodecMessage msg = { 0 };
  msg.type = CODEC_ASAP_HANDLE_RESOLUTION;
  msg.u.handle_resolution.handle = pu_handle (pu);
  rsp_send (pu->net, pu->home, 0, &msg);
  pu->stats.requests_sent++;
  sim_kernel_cancel (pu->kernel, pu->t1);
  pu->t1 = sim_kernel_schedule (pu->kernel, pu->cfg.t1, pu_t1_expired, pu, NULL);
}

static void
pu_deliver (SimKernel *k, gpointer ctx, gpointer data)
{
  PuDelivery *d = data;
  if (d->epoch == d->pu->epoch)
    d->waiter.fn (d->pu, PU_RESOLVE_OK, d->pes, d->n, d->waiter.data);
  g_free (d);
}

static gboolean
policy_is_random (guint32 type)
{
  return type == CODEC_POLICY_RANDOM || type == CODEC_POLICY_WEIGHTED_RANDOM
         || type == CODEC_POLICY_RANDOMIZED_LEAST_USED;
}

static gboolean
policy_is_round_robin (guint32 type)
{
  return type == CODEC_POLICY_ROUND_ROBIN || type == CODEC_POLICY_WEIGHTED_ROUND_ROBIN;
}

/* A cache hit: the cached PEs in the order the pool's policy says to use them (RSERPOOL_FACTS §9.2). */
static void
pu_resolve_from_cache (PoolUser *pu, PuResolveFn fn, gpointer user_data)
{
  guint n = pu->cache->len;
  PuDelivery *d = g_malloc (sizeof (PuDelivery) + n * sizeof (PuPeInfo));
  d->pu = pu;
  d->waiter = (PuWaiter) { fn, user_data };
  d->epoch = pu->epoch;
  d->n = n;
  const PuPeInfo *c = (const PuPeInfo *) pu->cache->data;
  guint32 policy = c[0].policy_type;
  guint first = 0;
  if (policy_is_round_robin (policy))
    first = pu->rr_next++ % n;
  else if (policy_is_random (policy))
    first = (guint) sim_rng_below (&pu->select_rng, n);
  for (guint i = 0; i < n; i++)
    d->pes[i] = c[(first + i) % n];
  sim_kernel_schedule_at_full (pu->kernel, sim_kernel_now (pu->kernel), pu_deliver, pu, d, g_free);
}

void
pu_resolve (PoolUser *pu, PuResolveFn fn, gpointer user_data)
{
  g_return_if_fail (fn != NULL);
  pu->stats.resolutions++;
  if (pu->cache->len > 0 && sim_kernel_now (pu->kernel) < pu->cache_until)
    {
      pu->stats.cache_hits++;
      pu_resolve_from_cache (pu, fn, user_data);
      return;
    }
  PuWaiter w = { fn, user_data };
  g_array_append_val (pu->waiters, w);
  if (!pu->request_out)
    {
      pu->retransmits = 0;
      pu_send_request (pu);
    }
}

void
pu_cache_purge (PoolUser *pu)
{
  g_array_set_size (pu->cache, 0);
  pu->cache_until = 0;
}

static void
pu_cache_remove (PoolUser *pu, guint32 pe_id)
{
  for (guint i = 0; i < pu->cache->len; i++)
    if (g_array_index (pu->cache, PuPeInfo, i).pe_id == pe_id)
      {
        g_array_remove_index (pu->cache, i);
        return;
      }
}

static void
pu_resolution_response (PoolUser *pu, const CodecMessage *msg)
{
  const CodecHandleResolutionResponse *r = &msg->u.handle_resolution_response;
  CodecBytes mine = pu_handle (pu);
  if (r->handle.len != mine.len || memcmp (r->handle.data, mine.data, mine.len) != 0)
    {
      pu->stats.unexpected++;
      return;
    }
  if (!pu->request_out || pu->t1 == SIM_EVENT_NONE)
    {
      pu->stats.responses_late++;
      return;
    }
  sim_kernel_cancel (pu->kernel, pu->t1);
  pu->t1 = SIM_EVENT_NONE;
  pu->request_out = FALSE;
  pu->retransmits = 0;
  pu->stats.responses++;
  /* RFC 5352 §2.2.6: no overall policy parameter = round robin. */
  guint32 policy = r->has_policy ? r->policy.type : CODEC_POLICY_ROUND_ROBIN;
  g_array_set_size (pu->cache, 0);
  for (guint i = 0; r->error == NULL && i < r->n_pes; i++)
    {
      const CodecTransport *t = &r->pes[i].user_transport;
      PuPeInfo info = { r->pes[i].pe_id, policy, 0, t->port, t->type };
      for (guint j = 0; j < t->n_addrs && info.addr == 0; j++)
        if (t->addrs[j].family == 4)
          {
            const guint8 *b = t->addrs[j].bytes;
            info.addr = net_addr (b[0], b[1], b[2], b[3]);
          }
      if (info.addr != 0)
        g_array_append_val (pu->cache, info);
    }
  if (pu->cache->len == 0)
    {
      pu->stats.responses_empty++;
      pu->cache_until = 0;
      pu_answer (pu, PU_RESOLVE_EMPTY, NULL, 0);
      return;
    }
  pu->rr_next = 1;   /* the answer itself is the first use (RSERPOOL_FACTS §9.2) */
  pu->cache_until = sim_kernel_now (pu->kernel) + pu->cfg.stale_cache;
  g_autoptr (GArray) answer = g_array_copy (pu->cache);
  if (pu->cfg.stale_cache == 0)
    pu_cache_purge (pu);
  pu_answer (pu, PU_RESOLVE_OK, (const PuPeInfo *) answer->data, answer->len);
}

/* ---- the home registrar ------------------------------------------------------- */

static void
pu_decode_failed (PoolUser *pu, NetAssoc *assoc, const NetMessage *m, const CodecError *err)
{
  pu->stats.decode_errors[MIN ((guint) err->code, G_N_ELEMENTS (pu->stats.decode_errors) - 1)]++;
  if (endpoint_answer_decode_error (pu->net, assoc, m, err))
    pu->stats.errors_sent++;
}

static void
pu_home_event (NetAssoc *assoc, NetAssocEvent ev, gpointer user_data)
{
  PoolUser *pu = user_data;
  if (ev == NET_ASSOC_UP || assoc != pu->home)
    return;
  /* RFC 5352 §3.3: a send failure -> server hunt, then the request again. */
  pu->home = NULL;
  pu->stats.home_lost++;
  if (pu->request_out)
    {
      sim_kernel_cancel (pu->kernel, pu->t1);
      pu->t1 = SIM_EVENT_NONE;
      endpoint_hunt_start (pu->hunt);
    }
}

static void
pu_home_receive (NetAssoc *assoc, const NetMessage *m, gpointer user_data)
{
  PoolUser *pu = user_data;
  g_auto (CodecMessage) msg = { 0 };
  CodecError err;
  if (!rsp_decode (m, &msg, &err))
    {
      pu_decode_failed (pu, assoc, m, &err);
      return;
    }
  if (endpoint_answer_unrecognized (pu->net, assoc, &msg))
    pu->stats.errors_sent++;
  if (msg.type == CODEC_ASAP_HANDLE_RESOLUTION_RESPONSE)
    pu_resolution_response (pu, &msg);
  else
    pu->stats.unexpected++;
}

static const NetAssocCallbacks pu_home_callbacks = { pu_home_event, pu_home_receive };

static void
pu_hunt_found (EndpointHunt *hunt, NetAssoc *assoc, guint32 server_id, gpointer user_data)
{
  PoolUser *pu = user_data;
  net_assoc_set_callbacks (assoc, &pu_home_callbacks, pu);
  pu->home = assoc;
  if (pu->request_out)
    pu_send_request (pu);
}

/* ---- unreachable reports ------------------------------------------------------ */

void
pu_pe_tried (PoolUser *pu, guint32 pe_id)
{
  g_hash_table_insert (pu->attempts, GUINT_TO_POINTER (pe_id), GUINT_TO_POINTER (PU_ATTEMPT_TRIED));
}

void
pu_pe_reached (PoolUser *pu, guint32 pe_id)
{
  g_hash_table_remove (pu->attempts, GUINT_TO_POINTER (pe_id));
}

/*
 * RFC 5355 §2.13.3, pu-report-limit: may the PU send a report now? At most
 * cfg.max_eu_reports in any cfg.eu_window: the oldest of the last N sends
 * must be a full window ago. A report allowed is entered as sent.
 */
static gboolean
pu_may_report (PoolUser *pu)
{
  guint n = pu->cfg.max_eu_reports;
  if (n == 0)
    return TRUE;
  SimTime now = sim_kernel_now (pu->kernel);
  if (pu->eu_sent == NULL)
    pu->eu_sent = g_new (SimTime, n);
  if (pu->eu_n < n)
    {
      pu->eu_sent[(pu->eu_head + pu->eu_n++) % n] = now;
      return TRUE;
    }
  if (now - pu->eu_sent[pu->eu_head] < pu->cfg.eu_window)
    return FALSE;
  pu->eu_sent[pu->eu_head] = now;   /* the oldest leaves the window */
  pu->eu_head = (pu->eu_head + 1) % n;
  return TRUE;
}

gboolean
pu_report_unreachable (PoolUser *pu, guint32 pe_id)
{
  /* RFC 5352 §3.5: only PEs actually tried, at most once per failure event. */
  guint state = GPOINTER_TO_UINT (g_hash_table_lookup (pu->attempts, GUINT_TO_POINTER (pe_id)));
  if (state != PU_ATTEMPT_TRIED)
    {
      pu->stats.unreachable_suppressed++;
      return FALSE;
    }
  g_hash_table_insert (pu->attempts, GUINT_TO_POINTER (pe_id), GUINT_TO_POINTER (PU_ATTEMPT_REPORTED));
  pu_cache_remove (pu, pe_id);
  if (pu->home == NULL)
    {
      pu->stats.unreachable_unsent++;
      endpoint_hunt_start (pu->hunt);
      return FALSE;
    }
  if (!pu_may_report (pu))
    {
      pu->stats.unreachable_limited++;
      return FALSE;
    }
  CodecMessage msg = { 0 };
  msg.type = CODEC_ASAP_ENDPOINT_UNREACHABLE;
  msg.u.pe_ref.handle = pu_handle (pu);
  msg.u.pe_ref.pe_id = pe_id;
  rsp_send (pu->net, pu->home, 0, &msg);
  pu->stats.unreachable_sent++;
  return TRUE;
}

/* ---- cookies ------------------------------------------------------------------ */

void
pu_control_receive (PoolUser *pu, NetAssoc *assoc, const NetMessage *m)
{
  g_auto (CodecMessage) msg = { 0 };
  CodecError err;
  if (!rsp_decode (m, &msg, &err))
    {
      pu_decode_failed (pu, assoc, m, &err);
      return;
    }
  if (msg.type != CODEC_ASAP_COOKIE)
    {
      pu->stats.unexpected++;
      return;
    }
  pu->stats.cookies++;
  g_clear_pointer (&pu->cookie, g_bytes_unref);
  pu->cookie = g_bytes_new (msg.u.cookie.cookie.data, msg.u.cookie.cookie.len);
}

GBytes *
pu_cookie (const PoolUser *pu)
{
  return pu->cookie;
}

void
pu_session_reset (PoolUser *pu)
{
  g_clear_pointer (&pu->cookie, g_bytes_unref);
}

gboolean
pu_send_cookie_echo (PoolUser *pu, NetAssoc *assoc)
{
  if (pu->cookie == NULL)
    return FALSE;
  gsize len;
  const guint8 *data = g_bytes_get_data (pu->cookie, &len);
  CodecMessage msg = { 0 };
  msg.type = CODEC_ASAP_COOKIE_ECHO;
  msg.u.cookie.cookie = (CodecBytes) { len > 0 ? data : NULL, len };
  if (rsp_send (pu->net, assoc, 0, &msg) == 0)
    return FALSE;
  pu->stats.cookie_echoes++;
  return TRUE;
}

/* ---- life cycle ---------------------------------------------------------------- */

static void
pu_host_state (NetHost *host, gboolean up, gpointer user_data)
{
  PoolUser *pu = user_data;
  if (!up)
    {
      pu->epoch++;
      pu->home = NULL;
      sim_kernel_cancel (pu->kernel, pu->t1);
      pu->t1 = SIM_EVENT_NONE;
      pu->request_out = FALSE;
      g_array_set_size (pu->waiters, 0);
      pu_cache_purge (pu);
      g_hash_table_remove_all (pu->attempts);
      pu->eu_n = pu->eu_head = 0;   /* the restarted stack keeps no report history */
      pu_session_reset (pu);
      endpoint_hunt_host_state (pu->hunt, FALSE);
    }
  else
    endpoint_hunt_host_state (pu->hunt, TRUE);
  if (pu->app.host_state != NULL)
    pu->app.host_state (pu, up, pu->app_data);
}

void
pu_set_security (PoolUser *pu, RspSecurity *sec)
{
  pu->sec = sec;
  endpoint_hunt_set_security (pu->hunt, sec, SECURE_CLASS_PU_REGISTRAR, RSP_ROLE_PU);
}

RspSecurity *
pu_security (const PoolUser *pu)
{
  return pu->sec;
}

PoolUser *
pu_new (Net *net, NetHost *host, guint32 index, const PuConfig *cfg, guint64 seed)
{
  g_return_val_if_fail (net_host_net (host) == net, NULL);
  g_return_val_if_fail (cfg->pool_handle != NULL && cfg->pool_handle[0] != '\0', NULL);
  PoolUser *pu = g_new0 (PoolUser, 1);
  pu->net = net;
  pu->host = host;
  pu->kernel = net_kernel (net);
  pu->index = index;
  pu_config_copy (&pu->cfg, cfg);
  sim_rng_init_fmt (&pu->select_rng, seed, "pu/%u/select", index);
  pu->waiters = g_array_new (FALSE, FALSE, sizeof (PuWaiter));
  pu->cache = g_array_new (FALSE, FALSE, sizeof (PuPeInfo));
  pu->attempts = g_hash_table_new (g_direct_hash, g_direct_equal);
  pu->hunt = endpoint_hunt_new (host, &cfg->hunt, pu_hunt_found, pu);
  net_host_set_state_callback (host, pu_host_state, pu);
  return pu;
}

void
pu_free (PoolUser *pu)
{
  if (pu == NULL)
    return;
  sim_kernel_cancel (pu->kernel, pu->t1);
  endpoint_hunt_free (pu->hunt);
  pu_drop_home (pu);
  net_host_set_state_callback (pu->host, NULL, NULL);
  g_array_unref (pu->waiters);
  g_array_unref (pu->cache);
  g_hash_table_unref (pu->attempts);
  g_free (pu->eu_sent);
  g_clear_pointer (&pu->cookie, g_bytes_unref);
  pu_config_clear (&pu->cfg);
  g_free (pu);
}

void
pu_set_app (PoolUser *pu, const PuAppCallbacks *callbacks, gpointer user_data)
{
  pu->app = *callbacks;
  pu->app_data = user_data;
}

void
pu_start (PoolUser *pu)
{
  if (pu->home == NULL && net_host_is_up (pu->host))
    endpoint_hunt_start (pu->hunt);
}

Net *
pu_net (const PoolUser *pu)
{
  return pu->net;
}

NetHost *
pu_host (const PoolUser *pu)
{
  return pu->host;
}

guint32
pu_index (const PoolUser *pu)
{
  return pu->index;
}

NetAssoc *
pu_home_assoc (const PoolUser *pu)
{
  return pu->home;
}

const EndpointHunt *
pu_hunt (const PoolUser *pu)
{
  return pu->hunt;
}

const PuStats *
pu_stats (const PoolUser *pu)
{
  return &pu->stats;
}

void
pu_record (PoolUser *pu, SimRecorder *rec, const char *module)
{
  const PuStats *s = &pu->stats;
  static const struct { const char *name; gsize off; } counters[] = {
    { "pu.resolutions", G_STRUCT_OFFSET (PuStats, resolutions) },
    { "pu.cache_hits", G_STRUCT_OFFSET (PuStats, cache_hits) },
    { "pu.requests_sent", G_STRUCT_OFFSET (PuStats, requests_sent) },
    { "pu.retransmissions", G_STRUCT_OFFSET (PuStats, retransmissions) },
    { "pu.request_failures", G_STRUCT_OFFSET (PuStats, request_failures) },
    { "pu.responses", G_STRUCT_OFFSET (PuStats, responses) },
    { "pu.responses_empty", G_STRUCT_OFFSET (PuStats, responses_empty) },
    { "pu.responses_late", G_STRUCT_OFFSET (PuStats, responses_late) },
    { "pu.unreachable_sent", G_STRUCT_OFFSET (PuStats, unreachable_sent) },
    { "pu.unreachable_suppressed", G_STRUCT_OFFSET (PuStats, unreachable_suppressed) },
    { "pu.unreachable_unsent", G_STRUCT_OFFSET (PuStats, unreachable_unsent) },
    { "pu.unreachable_limited", G_STRUCT_OFFSET (PuStats, unreachable_limited) },
    { "pu.cookies", G_STRUCT_OFFSET (PuStats, cookies) },
    { "pu.cookie_echoes", G_STRUCT_OFFSET (PuStats, cookie_echoes) },
    { "pu.home_lost", G_STRUCT_OFFSET (PuStats, home_lost) },
    { "pu.errors_sent", G_STRUCT_OFFSET (PuStats, errors_sent) },
    { "pu.unexpected", G_STRUCT_OFFSET (PuStats, unexpected) },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (counters); i++)
    sim_record_scalar (rec, module, counters[i].name,
                       (double) G_STRUCT_MEMBER (guint64, s, counters[i].off), "1");
  for (guint c = 1; c < G_N_ELEMENTS (s->decode_errors); c++)
    if (s->decode_errors[c] > 0)
      {
        g_autofree char *name = g_strdup_printf ("pu.decode_errors.%s", codec_error_code_name (c));
        sim_record_scalar (rec, module, name, (double) s->decode_errors[c], "1");
      }
  endpoint_hunt_record (pu->hunt, rec, module, "pu");
}
