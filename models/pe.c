/*
 * models/pe.c - the ASAP pool element (see models/pe.h).
 *
 * Timers: T2 (registration outstanding), T3 (deregistration outstanding), T4
 * (next re-registration); each is one SimEventId, cancelled on every state
 * change that makes it moot. The home association is the one the server hunt
 * handed over or the one a registrar's H-flag keep-alive arrived on; other
 * registrar associations (accepted on port 3863, or an old home being shut
 * down) are kept in `peers` so that pe_free() can abort them.
 *
 * The PE's ASAP endpoint is port 3863 of its host, like an SCTP one-to-many
 * socket bound there: the server hunt opens its associations from that port
 * and the listener accepts registrars' associations on it. A registrar
 * records the source of the registering association as the PE's ASAP
 * transport (RFC 5352 §3.1 rule 4), so after a takeover the new home's
 * H-flag keep-alive (RFC 5353 §3.5) reaches the PE where it listens.
 *
 * Decisions and their sources:
 *   - RFC 5352 §3.1: T2 expiry retransmits the REGISTRATION on the home
 *     until MAX-REG-ATTEMPT attempts went unanswered; then the failure is
 *     reported (registration_failures) and a server hunt finds another home,
 *     where registration starts over. The RFC's "report and stop" would end
 *     the PE's life in a run; rsplib and rspsim keep trying, as here.
 *   - A rejection is not retried blindly (RFC 5352 §3.1): Non-unique PE
 *     identifier is fixed by drawing a new identifier, any other cause leaves
 *     the PE in REJECTED.
 *   - T4 = min (10 min, life - 20 s), at least 1 s (RFC 5352 §7; rspsim clamps
 *     to [1 s, 600 s]); it starts when the registration response arrives.
 *   - Adaptive policies re-register at once when the load changes (rspsim's
 *     selectionReregisterImmediatelyOnUpdate, key pe.reregister-on-update).
 *   - RFC 5352 §3.7: a keep-alive for another pool handle is dropped; any
 *     other is answered on its association, whatever H (unless
 *     pe_may_answer_keep_alive(), the RFC 5355 §2.14 rate limit, refuses it); H with a server id
 *     other than the home's makes the sender the new home (§8.6).
 */
#include "config.h"

#include "models/pe.h"
#include "models/rate.h"

#include "sim/model.h"
#include "sim/net-cpu.h"

#include <string.h>

struct PoolElement {
  Net            *net;
  NetHost        *host;
  SimKernel      *kernel;
  guint32         index;
  PeConfig        cfg;
  SimRng          id_rng;          /* "pe/<index>/id" */
  guint32         pe_id;
  PeState         state;
  guint32         load;
  guint32         load_degradation;
  NetAssoc       *home;
  guint32         home_server_id;
  EndpointHunt   *hunt;
  NetListener    *listener;        /* ASAP port: registrars' point-to-point associations */
  RspSecurity    *sec;             /* TLS (secure.pe-registrar); NULL = none */
  guint16         asap_port;       /* 3863, or 3864 with TLS */
  GPtrArray      *peers;           /* NetAssoc*: other registrar associations we own */
  GHashTable     *ka_rates;        /* NetAssoc* -> RateWindow*: keep-alive arrivals (lookup only, never iterated) */
  SimEventId      t2, t3, t4;
  guint           reg_attempts;    /* REGISTRATIONs sent for the outstanding registration */
  guint           reg_outstanding; /* REGISTRATIONs on the home not answered yet */
  SimTime         accepted_until;  /* latest accepted registration + life; 0 = none */
  SimTime         down_since;      /* when the host crashed; -1 while it is up */
  gboolean        started;
  PeAppCallbacks  app;
  gpointer        app_data;
  PeStats         stats;
};


/* ---- parameters ------------------------------------------------------------ */

static const struct { const char *name; guint32 type; } pe_policies[] = {
  { "rr", CODEC_POLICY_ROUND_ROBIN },
  { "wrr", CODEC_POLICY_WEIGHTED_ROUND_ROBIN },
  { "rand", CODEC_POLICY_RANDOM },
  { "wrand", CODEC_POLICY_WEIGHTED_RANDOM },
  { "prio", CODEC_POLICY_PRIORITY },
  { "lu", CODEC_POLICY_LEAST_USED },
  { "lud", CODEC_POLICY_LEAST_USED_DEGRADATION },
  { "plu", CODEC_POLICY_PRIORITY_LEAST_USED },
  { "rlu", CODEC_POLICY_RANDOMIZED_LEAST_USED },
};

static const SimParamDecl pe_param_decls[] = {
  { "pool.handle", SIM_PARAM_STRING, "CalcAppPool", 0, 0, NULL,
    "Pool handle (bytes of the text) the PEs register under and the PUs resolve." },
  { "pool.policy", SIM_PARAM_ENUM, "rr", 0, 0, "rr,wrr,rand,wrand,prio,lu,lud,plu,rlu",
    "Pool member selection policy of the PEs (RFC 5356); the papers use rr, rand, lu, lud." },
  { "pe.policy.weight", SIM_PARAM_INT, "1", 0, 4294967295.0, NULL,
    "Weight of WRR/WRAND (RFC 5356 §4.2, §4.4): relative capacity, 0 = cannot serve." },
  { "pe.policy.priority", SIM_PARAM_INT, "0", 0, 4294967295.0, NULL,
    "Priority of PRIO (RFC 5356 §4.5): larger is preferred." },
  { "pe.policy.load-degradation", SIM_PARAM_DOUBLE, "-1", -1, 1, NULL,
    "Load degradation of LUD/PLU as a fraction of 100 %; -1 = the application's (CalcApp: 1/MaxJobs)." },
  { "pe.registration-life", SIM_PARAM_TIME, "300s", 1e9, 2147483647e6, NULL,
    "Registration life the PE asks for (ms on the wire); T4 = min(10min, life - 20s) >= 1s. "
    "rspsim default 300 s; the attack papers use 30 s." },
  { "pe.t2-registration", SIM_PARAM_TIME, "30s", 1, 9.2e18, NULL,
    "T2-registration: wait for a REGISTRATION_RESPONSE (RFC 5352 §7)." },
  { "pe.t3-deregistration", SIM_PARAM_TIME, "30s", 1, 9.2e18, NULL,
    "T3-deregistration: wait for a DEREGISTRATION_RESPONSE (RFC 5352 §7)." },
  { "pe.max-reg-attempt", SIM_PARAM_INT, "2", 1, 1000, NULL,
    "MAX-REG-ATTEMPT: unanswered REGISTRATIONs before the PE reports failure and hunts for "
    "another registrar (RFC 5352 §7)." },
  { "pe.reregister-on-update", SIM_PARAM_BOOL, "true", 0, 0, NULL,
    "With an adaptive policy (LU, LUD, PLU, RLU), re-register at once when the load changes "
    "(rspsim selectionReregisterImmediatelyOnUpdate)." },
  { "pe.keepalive-cost", SIM_PARAM_TIME, "0s", 0, 1e13, NULL,
    "CPU time the PE spends answering one ENDPOINT_KEEP_ALIVE (queued at its host's CPU after the message's own "
    "receive cost); 0s = free." },
  { "pe.max-keepalive-rate", SIM_PARAM_DOUBLE, "0", 0, 1e9, NULL,
    "Keep-alives per second the PE answers on one association at most (RFC 5355 §2.14 mitigation), rate = entries / "
    "(newest - oldest) over pe.keepalive-rate-window arrivals; more are dropped and counted; 0 = no limit." },
  { "pe.keepalive-rate-window", SIM_PARAM_INT, "16", 2, 65536, NULL,
    "Arrival times the keep-alive rate limit keeps per association." },
  { "pe.keepalive-rate-burst", SIM_PARAM_INT, "2", 1, 65535, NULL,
    "Keep-alives per association the rate limit passes unjudged; every later one is judged over the arrival "
    "times held (as registrar.rate-burst)." },
  { "pe.user-port", SIM_PARAM_INT, "7700", 1, 65535, NULL,
    "SCTP port of the PE's user transport, where its application (CalcApp) listens." },
  ENDPOINT_HUNT_PARAM_DECLS ("pe", "PE"),
};

const SimParamDecl *
pe_params (gsize *n)
{
  *n = G_N_ELEMENTS (pe_param_decls);
  return pe_param_decls;
}

gboolean
pe_policy_from_name (const char *name, guint32 *type)
{
  for (gsize i = 0; i < G_N_ELEMENTS (pe_policies); i++)
    if (g_ascii_strcasecmp (name, pe_policies[i].name) == 0)
      {
        *type = pe_policies[i].type;
        return TRUE;
      }
  return FALSE;
}

const char *
pe_policy_name (guint32 type)
{
  for (gsize i = 0; i < G_N_ELEMENTS (pe_policies); i++)
    if (pe_policies[i].type == type)
      return pe_policies[i].name;
  return NULL;
}

guint32
pe_load_from_fraction (double f)
{
  if (!(f > 0))
    return 0;
  if (f >= 1)
    return G_MAXUINT32;
  return (guint32) (f * 4294967295.0 + 0.5);
}

gboolean
pe_config_from_params (const SimParams *p, PeConfig *cfg, GError **error)
{
  memset (cfg, 0, sizeof *cfg);
  if (!endpoint_hunt_config_from_params (p, "pe", &cfg->hunt, error))
    return FALSE;
  cfg->pool_handle = g_strdup (sim_params_string (p, "pool.handle"));
  if (!pe_policy_from_name (sim_params_string (p, "pool.policy"), &cfg->policy_type))
    g_assert_not_reached ();  /* the enum's choices are the table's names */
  cfg->weight = (guint32) sim_params_int (p, "pe.policy.weight");
  cfg->priority = (guint32) sim_params_int (p, "pe.policy.priority");
  cfg->load_degradation = sim_params_double (p, "pe.policy.load-degradation");
  cfg->reg_life = sim_params_time (p, "pe.registration-life");
  cfg->t2 = sim_params_time (p, "pe.t2-registration");
  cfg->t3 = sim_params_time (p, "pe.t3-deregistration");
  cfg->max_reg_attempt = (guint) sim_params_int (p, "pe.max-reg-attempt");
  cfg->reregister_on_update = sim_params_bool (p, "pe.reregister-on-update");
  cfg->user_port = (guint16) sim_params_int (p, "pe.user-port");
  cfg->keepalive_cost = sim_params_time (p, "pe.keepalive-cost");
  cfg->max_keepalive_rate = sim_params_double (p, "pe.max-keepalive-rate");
  cfg->keepalive_rate_window = (guint) sim_params_int (p, "pe.keepalive-rate-window");
  cfg->keepalive_rate_burst = (guint) sim_params_int (p, "pe.keepalive-rate-burst");
  if (cfg->pool_handle[0] == '\0')
    {
      g_set_error (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID, "pool.handle: a pool handle is 1 byte or more");
      pe_config_clear (cfg);
      return FALSE;
    }
  return TRUE;
}

void
pe_config_init (PeConfig *cfg)
{
  g_autoptr (SimParamTable) table = sim_param_table_new ();
  sim_param_table_add (table, pe_param_decls, G_N_ELEMENTS (pe_param_decls));
  g_autoptr (SimParams) params = sim_params_new (table);
  endpoint_params_set_defaults (params, pe_param_decls, G_N_ELEMENTS (pe_param_decls));
  if (!pe_config_from_params (params, cfg, NULL))
    g_assert_not_reached ();
}

void
pe_config_copy (PeConfig *dst, const PeConfig *src)
{
  *dst = *src;
  dst->pool_handle = g_strdup (src->pool_handle);
  endpoint_hunt_config_copy (&dst->hunt, &src->hunt);
}

void
pe_config_clear (PeConfig *cfg)
{
  g_clear_pointer (&cfg->pool_handle, g_free);
  endpoint_hunt_config_clear (&cfg->hunt);
}

const char *
pe_state_name (PeState s)
{
  static const char *const names[] = {
    "hunting", "registering", "registered", "deregistering", "deregistered", "rejected", "down",
  };
  g_return_val_if_fail ((guint) s < G_N_ELEMENTS (names), NULL);
  return names[s];
}

/* ---- messages ----------------------------------------------------------------- */

static CodecBytes
pe_handle (const PoolElement *pe)
{
  return (CodecBytes) { (const guint8 *) pe->cfg.pool_handle, strlen (pe->cfg.pool_handle) };
}

static gboolean
pe_handle_matches (const PoolElement *pe, CodecBytes h)
{
  CodecBytes mine = pe_handle (pe);
  return h.len == mine.len && memcmp (h.data, mine.data, h.len) == 0;
}

static gboolean
policy_is_adaptive (guint32 type)
{
  return (type & 0xc0000000u) == 0x40000000u;   /* RFC 5356 §3: A bit, X bit clear */
}

static void pe_send_registration (PoolElement *pe);
static void pe_send_deregistration (PoolElement *pe);
static void pe_start_hunt (PoolElement *pe);

static void
pe_t2_expired (SimKernel *k, gpointer ctx, gpointer data)
{
  PoolElement *pe = ctx;
  pe->t2 = SIM_EVENT_NONE;
  pe->stats.t2_expiries++;
  if (pe->reg_attempts < pe->cfg.max_reg_attempt)
    {
      pe_send_registration (pe);   /* RFC 5352 §3.1: try again, counting attempts */
      return;
    }
  /* MAX-REG-ATTEMPT: report the failure and find another home (see the top comment). */
  pe->stats.registration_failures++;
  pe_start_hunt (pe);
}

static void
pe_t4_expired (SimKernel *k, gpointer ctx, gpointer data)
{
  PoolElement *pe = ctx;
  pe->t4 = SIM_EVENT_NONE;
  pe->stats.reregistrations_t4++;
  pe->reg_attempts = 0;
  pe_send_registration (pe);
}

static void
pe_t3_expired (SimKernel *k, gpointer ctx, gpointer data)
{
  PoolElement *pe = ctx;
  pe->t3 = SIM_EVENT_NONE;
  pe->stats.t3_expiries++;
  pe_start_hunt (pe);   /* RFC 5352 §3.2: T3 expiry -> server hunt, then deregister again */
}

static void
pe_send_registration (PoolElement *pe)
{
  g_return_if_fail (pe->home != NULL);
  CodecAddress addrs[8];
  guint n = MIN (net_host_n_addresses (pe->host), G_N_ELEMENTS (addrs));
  for (guint i = 0; i < n; i++)
    {
      NetAddr a = net_host_address (pe->host, i);
      memset (&addrs[i], 0, sizeof addrs[i]);
      addrs[i].family = 4;
      addrs[i].bytes[0] = a >> 24;
      addrs[i].bytes[1] = a >> 16;
      addrs[i].bytes[2] = a >> 8;
      addrs[i].bytes[3] = a;
    }
  CodecMessage msg = { 0 };
  msg.type = CODEC_ASAP_REGISTRATION;
  CodecRegistration *r = &msg.u.registration;
  r->handle = pe_handle (pe);
  r->pe.pe_id = pe->pe_id;
  r->pe.home_server_id = pe->home_server_id;
  r->pe.reg_life_ms = (gint32) (pe->cfg.reg_life / SIM_MS);
  /* The user transport: the application's SCTP port on every address, data and control (RFC 5352 §3.8). */
  r->pe.user_transport.type = CODEC_PARAM_SCTP_TRANSPORT;
  r->pe.user_transport.port = pe->cfg.user_port;
  r->pe.user_transport.use = CODEC_TRANSPORT_USE_DATA_CONTROL;
  r->pe.user_transport.n_addrs = n;
  r->pe.user_transport.addrs = addrs;
  r->pe.policy.type = pe->cfg.policy_type;
  r->pe.policy.weight = pe->cfg.weight;
  r->pe.policy.priority = pe->cfg.priority;
  r->pe.policy.load = pe->load;
  r->pe.policy.load_degradation = pe->load_degradation;
  rsp_send (pe->net, pe->home, 0, &msg);
  pe->stats.registrations_sent++;
  pe->reg_attempts++;
  pe->reg_outstanding++;
  sim_kernel_cancel (pe->kernel, pe->t2);
  pe->t2 = sim_kernel_schedule (pe->kernel, pe->cfg.t2, pe_t2_expired, pe, NULL);
}

static void
pe_send_deregistration (PoolElement *pe)
{
  g_return_if_fail (pe->home != NULL);
  CodecMessage msg = { 0 };
  msg.type = CODEC_ASAP_DEREGISTRATION;
  msg.u.pe_ref.handle = pe_handle (pe);
  msg.u.pe_ref.pe_id = pe->pe_id;
  rsp_send (pe->net, pe->home, 0, &msg);
  pe->stats.deregistrations_sent++;
  sim_kernel_cancel (pe->kernel, pe->t3);
  pe->t3 = sim_kernel_schedule (pe->kernel, pe->cfg.t3, pe_t3_expired, pe, NULL);
}

/* ---- registrar associations ------------------------------------------------- */

static void pe_assoc_event (NetAssoc *assoc, NetAssocEvent ev, gpointer user_data);
static void pe_assoc_receive (NetAssoc *assoc, const NetMessage *m, gpointer user_data);
static const NetAssocCallbacks pe_assoc_callbacks = { pe_assoc_event, pe_assoc_receive };

static void
pe_stop_timers (PoolElement *pe)
{
  sim_kernel_cancel (pe->kernel, pe->t2);
  sim_kernel_cancel (pe->kernel, pe->t3);
  sim_kernel_cancel (pe->kernel, pe->t4);
  pe->t2 = pe->t3 = pe->t4 = SIM_EVENT_NONE;
}

/* Leave the current home (if any) and hunt; what was outstanding is redone on the next home. */
static void
pe_start_hunt (PoolElement *pe)
{
  /* T4 too: the next home gets a registration at once (pe_home_found), and T4 must not fire without a home. */
  sim_kernel_cancel (pe->kernel, pe->t2);
  sim_kernel_cancel (pe->kernel, pe->t3);
  sim_kernel_cancel (pe->kernel, pe->t4);
  pe->t2 = pe->t3 = pe->t4 = SIM_EVENT_NONE;
  if (pe->home != NULL)
    {
      NetAssoc *old = pe->home;
      pe->home = NULL;
      net_assoc_abort (old);
    }
  pe->home_server_id = 0;
  if (pe->state != PE_STATE_DEREGISTERING)
    pe->state = PE_STATE_HUNTING;
  endpoint_hunt_start (pe->hunt);
}

/* A new home: resume what the state asks for. */
static void
pe_home_found (PoolElement *pe, NetAssoc *assoc, guint32 server_id)
{
  pe->home = assoc;
  pe->home_server_id = server_id;
  pe->reg_attempts = 0;
  pe->reg_outstanding = 0;
  if (pe->state == PE_STATE_DEREGISTERING)
    {
      pe_send_deregistration (pe);
      return;
    }
  /* RFC 5352 §3.6: a PE that lost its home registers with the new one (which takes ownership). */
  sim_kernel_cancel (pe->kernel, pe->t4);
  pe->t4 = SIM_EVENT_NONE;
  pe->state = pe->accepted_until > sim_kernel_now (pe->kernel) ? PE_STATE_REGISTERED : PE_STATE_REGISTERING;
  pe_send_registration (pe);
}

static void
pe_hunt_found (EndpointHunt *hunt, NetAssoc *assoc, guint32 server_id, gpointer user_data)
{
  PoolElement *pe = user_data;
  net_assoc_set_callbacks (assoc, &pe_assoc_callbacks, pe);
  pe_home_found (pe, assoc, server_id);
}

static void
pe_assoc_event (NetAssoc *assoc, NetAssocEvent ev, gpointer user_data)
{
  PoolElement *pe = user_data;
  if (ev == NET_ASSOC_UP)
    return;
  g_hash_table_remove (pe->ka_rates, assoc);
  if (assoc != pe->home)
    {
      g_ptr_array_remove_fast (pe->peers, assoc);
      return;
    }
  /* The home association failed (RFC 5352 §3.1, §3.2: send failure -> server hunt, then redo). */
  pe->home = NULL;
  pe->stats.home_lost++;
  if (pe->state == PE_STATE_REGISTERING || pe->state == PE_STATE_REGISTERED
      || pe->state == PE_STATE_DEREGISTERING)
    pe_start_hunt (pe);
}

static void
pe_registration_response (PoolElement *pe, const CodecMessage *msg)
{
  const CodecPeRef *r = &msg->u.pe_ref;
  if (!pe_handle_matches (pe, r->handle) || r->pe_id != pe->pe_id
      || (pe->state != PE_STATE_REGISTERING && pe->state != PE_STATE_REGISTERED)
      || pe->reg_outstanding == 0)
    {
      pe->stats.unexpected++;   /* not ours, or nothing was asked */
      return;
    }
  /* Every answer counts (a retransmitted or load-driven REGISTRATION gets its own); the latest sets T4. */
  pe->reg_outstanding--;
  sim_kernel_cancel (pe->kernel, pe->t2);
  pe->t2 = SIM_EVENT_NONE;
  pe->reg_attempts = 0;
  SimTime now = sim_kernel_now (pe->kernel);
  if (msg->flags & CODEC_FLAG_REGISTRATION_RESPONSE_REJECT)
    {
      pe->stats.registrations_rejected++;
      pe->accepted_until = 0;
      sim_kernel_cancel (pe->kernel, pe->t4);
      pe->t4 = SIM_EVENT_NONE;
      if (r->error != NULL && r->error->n_causes > 0
          && r->error->causes[0].code == CODEC_CAUSE_NON_UNIQUE_PE_IDENTIFIER)
        {
          /* RFC 5352 §3.1: fix the error - another identifier - and register again. */
          pe->pe_id = (guint32) sim_rng_below (&pe->id_rng, G_MAXUINT32) + 1;
          pe->stats.id_changes++;
          pe->state = PE_STATE_REGISTERING;
          pe_send_registration (pe);
          return;
        }
      pe->state = PE_STATE_REJECTED;
      return;
    }
  pe->stats.registrations_accepted++;
  pe->state = PE_STATE_REGISTERED;
  pe->accepted_until = now + pe->cfg.reg_life;
  /* RFC 5352 §7: T4 = min (10 min, life - 20 s); rspsim clamps to >= 1 s. */
  SimTime t4 = CLAMP (pe->cfg.reg_life - 20 * SIM_S, SIM_S, 10 * SIM_MIN);
  sim_kernel_cancel (pe->kernel, pe->t4);
  pe->t4 = sim_kernel_schedule (pe->kernel, t4, pe_t4_expired, pe, NULL);
}

static void
pe_deregistration_response (PoolElement *pe, const CodecMessage *msg)
{
  const CodecPeRef *r = &msg->u.pe_ref;
  if (!pe_handle_matches (pe, r->handle) || r->pe_id != pe->pe_id)
    {
      pe->stats.unexpected++;
      return;
    }
  pe->accepted_until = 0;
  if (pe->state == PE_STATE_DEREGISTERING)
    {
      sim_kernel_cancel (pe->kernel, pe->t3);
      pe->t3 = SIM_EVENT_NONE;
      pe->state = PE_STATE_DEREGISTERED;
      pe->stats.deregistrations_done++;
      return;
    }
  if (pe->state == PE_STATE_REGISTERED && pe->reg_outstanding == 0)
    {
      /* The registrar dropped the PE (life ran out, RSERPOOL_FACTS §8.1): register again at once. */
      pe->stats.unexpected++;
      pe->reg_attempts = 0;
      pe_send_registration (pe);
      return;
    }
  pe->stats.unexpected++;
}

static void
pe_adopt_home (PoolElement *pe, NetAssoc *assoc, guint32 server_id)
{
  pe->stats.home_changes++;
  if (assoc == pe->home)
    {
      pe->home_server_id = server_id;
      return;
    }
  g_ptr_array_remove_fast (pe->peers, assoc);
  if (endpoint_hunt_is_running (pe->hunt))
    {
      endpoint_hunt_stop (pe->hunt);
      pe_home_found (pe, assoc, server_id);
      return;
    }
  if (pe->home != NULL)
    {
      /* The old home goes gracefully; it stays ours until it is closed. */
      g_ptr_array_add (pe->peers, pe->home);
      net_assoc_shutdown (pe->home);
    }
  pe->home = assoc;
  pe->home_server_id = server_id;
  pe->reg_outstanding = 0;
  /* An outstanding (de)registration is redone on the new home. */
  if (pe->state == PE_STATE_DEREGISTERING)
    pe_send_deregistration (pe);
  else if (pe->t2 != SIM_EVENT_NONE)
    {
      pe->reg_attempts = 0;
      pe_send_registration (pe);
    }
}

/*
 * May the PE answer another keep-alive on this association? RFC 5355
 * §2.14.3: a flood of keep-alives from a (malicious) registrar must not
 * overwhelm the PE. With pe.max-keepalive-rate each association's arrivals
 * go through the rate estimator of models/rate.h (refused ones too, so a
 * flooder's rate stays high), as the registrar's limits do: the first
 * pe.keepalive-rate-burst pass, every later one is judged; an honest
 * registrar's one keep-alive per keep-alive interval never exceeds it.
 */
static gboolean
pe_may_answer_keep_alive (PoolElement *pe, NetAssoc *assoc)
{
  double max = pe->cfg.max_keepalive_rate;
  if (max <= 0)
    return TRUE;
  RateWindow *rate = g_hash_table_lookup (pe->ka_rates, assoc);
  if (rate == NULL)
    {
      rate = g_new0 (RateWindow, 1);
      g_hash_table_insert (pe->ka_rates, assoc, rate);
    }
  return !rate_window_exceeded (rate, sim_kernel_now (pe->kernel), max, pe->cfg.keepalive_rate_window,
                                pe->cfg.keepalive_rate_burst);
}

static void
pe_cpu_done (NetHost *host, gpointer data)
{
}

static void
pe_keep_alive (PoolElement *pe, NetAssoc *assoc, const CodecMessage *msg)
{
  const CodecKeepAlive *ka = &msg->u.keep_alive;
  if (!pe_handle_matches (pe, ka->handle))
    {
      pe->stats.keepalives_ignored++;   /* RFC 5352 §3.7: silently dropped */
      return;
    }
  if (!pe_may_answer_keep_alive (pe, assoc))
    {
      pe->stats.keepalives_refused++;   /* dropped before any work: the sender sees no ACK */
      return;
    }
  /*
   * The cost of answering occupies the host's CPU FIFO (what queues behind
   * it waits); the ACK itself leaves at once (sending costs are not
   * modelled: sim/net-cpu.h).
   */
  if (pe->cfg.keepalive_cost > 0)
    net_host_cpu_exec (pe->host, pe->cfg.keepalive_cost, rsp_kind (pe->net, CODEC_ASAP_ENDPOINT_KEEP_ALIVE_ACK),
                       pe_cpu_done, NULL, NULL);
  CodecMessage ack = { 0 };
  ack.type = CODEC_ASAP_ENDPOINT_KEEP_ALIVE_ACK;
  ack.u.pe_ref.handle = pe_handle (pe);
  ack.u.pe_ref.pe_id = pe->pe_id;
  rsp_send (pe->net, assoc, 0, &ack);
  pe->stats.keepalives++;
  /* RFC 5352 §3.7, §8.6: H set by a server that is not the home -> it becomes the home. */
  if ((msg->flags & CODEC_FLAG_KEEP_ALIVE_HOME) && (ka->server_id != pe->home_server_id || pe->home != assoc))
    pe_adopt_home (pe, assoc, ka->server_id);
}

static void
pe_decode_failed (PoolElement *pe, NetAssoc *assoc, const NetMessage *m, const CodecError *err)
{
  pe->stats.decode_errors[MIN ((guint) err->code, G_N_ELEMENTS (pe->stats.decode_errors) - 1)]++;
  if (endpoint_answer_decode_error (pe->net, assoc, m, err))
    pe->stats.errors_sent++;
}

static void
pe_assoc_receive (NetAssoc *assoc, const NetMessage *m, gpointer user_data)
{
  PoolElement *pe = user_data;
  g_auto (CodecMessage) msg = { 0 };
  CodecError err;
  if (!rsp_decode (m, &msg, &err))
    {
      pe_decode_failed (pe, assoc, m, &err);
      return;
    }
  if (endpoint_answer_unrecognized (pe->net, assoc, &msg))
    pe->stats.errors_sent++;
  switch (msg.type)
    {
    case CODEC_ASAP_REGISTRATION_RESPONSE:
      if (assoc == pe->home)
        pe_registration_response (pe, &msg);
      else
        pe->stats.unexpected++;
      break;
    case CODEC_ASAP_DEREGISTRATION_RESPONSE:
      if (assoc == pe->home)
        pe_deregistration_response (pe, &msg);
      else
        pe->stats.unexpected++;
      break;
    case CODEC_ASAP_ENDPOINT_KEEP_ALIVE:
      pe_keep_alive (pe, assoc, &msg);
      break;
    default:
      pe->stats.unexpected++;
      break;
    }
}

static gboolean
pe_accept (NetListener *listener, NetAssoc *assoc, gpointer user_data)
{
  PoolElement *pe = user_data;
  net_assoc_set_callbacks (assoc, &pe_assoc_callbacks, pe);
  /* RFC 5355 §2.14.3 with TLS: only a registrar holding a key gets past the handshake. */
  rsp_security_server (pe->sec, SECURE_CLASS_PE_REGISTRAR, RSP_ROLE_PE, pe->host, assoc);
  g_ptr_array_add (pe->peers, assoc);
  return TRUE;
}

/* ---- life cycle ------------------------------------------------------------- */

static void
pe_host_state (NetHost *host, gboolean up, gpointer user_data)
{
  PoolElement *pe = user_data;
  if (!up)
    {
      /* Everything on the host is gone: forget it without touching it. */
      pe->home = NULL;
      pe->listener = NULL;
      g_ptr_array_set_size (pe->peers, 0);
      g_hash_table_remove_all (pe->ka_rates);
      pe_stop_timers (pe);
      endpoint_hunt_host_state (pe->hunt, FALSE);
      pe->state = PE_STATE_DOWN;
      pe->down_since = sim_kernel_now (pe->kernel);
      pe->accepted_until = 0;
      pe->home_server_id = 0;
      if (pe->app.host_state != NULL)
        pe->app.host_state (pe, FALSE, pe->app_data);
      return;
    }
  endpoint_hunt_host_state (pe->hunt, TRUE);
  pe->down_since = -1;
  if (pe->app.host_state != NULL)
    pe->app.host_state (pe, TRUE, pe->app_data);
  pe->state = PE_STATE_DEREGISTERED;
  if (pe->started)
    {
      pe->started = FALSE;
      pe_start (pe);   /* a reboot: a new identifier (RFC 5352 §2.2: chosen at startup) */
    }
}

PoolElement *
pe_new (Net *net, NetHost *host, guint32 index, const PeConfig *cfg, guint64 seed)
{
  g_return_val_if_fail (net_host_net (host) == net, NULL);
  g_return_val_if_fail (cfg->pool_handle != NULL && cfg->pool_handle[0] != '\0', NULL);
  PoolElement *pe = g_new0 (PoolElement, 1);
  pe->net = net;
  pe->host = host;
  pe->kernel = net_kernel (net);
  pe->index = index;
  pe_config_copy (&pe->cfg, cfg);
  sim_rng_init_fmt (&pe->id_rng, seed, "pe/%u/id", index);
  pe->state = PE_STATE_HUNTING;
  pe->down_since = net_host_is_up (host) ? -1 : 0;
  pe->load_degradation = pe_load_from_fraction (cfg->load_degradation);
  pe->peers = g_ptr_array_new ();
  pe->ka_rates = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, rate_window_free);
  pe->hunt = endpoint_hunt_new (host, &cfg->hunt, pe_hunt_found, pe);
  /* One ASAP endpoint: registrations go from the port where registrars reach the PE (RFC 5352 §3.1 rule 4). */
  pe->asap_port = RSP_ASAP_PORT;
  endpoint_hunt_set_local_port (pe->hunt, pe->asap_port);
  net_host_set_state_callback (host, pe_host_state, pe);
  return pe;
}

void
pe_free (PoolElement *pe)
{
  if (pe == NULL)
    return;
  pe_stop_timers (pe);
  endpoint_hunt_free (pe->hunt);
  if (pe->home != NULL)
    net_assoc_abort (pe->home);
  while (pe->peers->len > 0)
    {
      NetAssoc *a = g_ptr_array_steal_index_fast (pe->peers, pe->peers->len - 1);
      net_assoc_abort (a);
    }
  g_ptr_array_unref (pe->peers);
  g_hash_table_unref (pe->ka_rates);
  if (pe->listener != NULL)
    net_listener_close (pe->listener);
  net_host_set_state_callback (pe->host, NULL, NULL);
  pe_config_clear (&pe->cfg);
  g_free (pe);
}

void
pe_set_security (PoolElement *pe, RspSecurity *sec)
{
  g_return_if_fail (!pe->started && pe->listener == NULL);
  pe->sec = sec;
  pe->asap_port = rsp_security_port (sec, SECURE_CLASS_PE_REGISTRAR, RSP_ASAP_PORT, SECURE_ASAP_TLS_PORT);
  endpoint_hunt_set_local_port (pe->hunt, pe->asap_port);
  endpoint_hunt_set_security (pe->hunt, sec, SECURE_CLASS_PE_REGISTRAR, RSP_ROLE_PE);
}

RspSecurity *
pe_security (const PoolElement *pe)
{
  return pe->sec;
}

void
pe_set_app (PoolElement *pe, const PeAppCallbacks *callbacks, gpointer user_data)
{
  pe->app = *callbacks;
  pe->app_data = user_data;
}

void
pe_start (PoolElement *pe)
{
  g_return_if_fail (!pe->started);
  if (!net_host_is_up (pe->host))
    return;
  pe->started = TRUE;
  if (pe->pe_id != 0)
    pe->stats.id_changes++;
  pe->pe_id = (guint32) sim_rng_below (&pe->id_rng, G_MAXUINT32) + 1;   /* non-zero, RFC 5352 §2.2 */
  if (pe->listener == NULL)
    pe->listener = net_listen (pe->host, pe->asap_port, pe_accept, pe);
  pe->state = PE_STATE_HUNTING;
  if (pe->home != NULL)
    pe_home_found (pe, pe->home, pe->home_server_id);
  else
    endpoint_hunt_start (pe->hunt);
}

void
pe_deregister (PoolElement *pe)
{
  if (!pe->started || pe->state == PE_STATE_DOWN)
    return;
  pe->started = FALSE;
  sim_kernel_cancel (pe->kernel, pe->t2);
  sim_kernel_cancel (pe->kernel, pe->t4);
  pe->t2 = pe->t4 = SIM_EVENT_NONE;
  pe->state = PE_STATE_DEREGISTERING;
  if (pe->home != NULL)
    pe_send_deregistration (pe);
  /* else the running hunt's home gets the deregistration (pe_home_found) */
}

void
pe_set_load (PoolElement *pe, guint32 load)
{
  if (load == pe->load)
    return;
  pe->load = load;
  if (!policy_is_adaptive (pe->cfg.policy_type) || !pe->cfg.reregister_on_update || pe->home == NULL
      || (pe->state != PE_STATE_REGISTERED && pe->state != PE_STATE_REGISTERING))
    return;
  pe->stats.reregistrations_load++;
  pe->reg_attempts = 0;
  pe_send_registration (pe);
}

void
pe_set_load_degradation (PoolElement *pe, guint32 load_degradation)
{
  pe->load_degradation = load_degradation;
}

gboolean
pe_send_cookie (PoolElement *pe, NetAssoc *assoc, const guint8 *cookie, gsize len)
{
  CodecMessage msg = { 0 };
  msg.type = CODEC_ASAP_COOKIE;
  msg.u.cookie.cookie = (CodecBytes) { len > 0 ? cookie : NULL, len };
  if (rsp_send (pe->net, assoc, 0, &msg) == 0)
    return FALSE;
  pe->stats.cookies_sent++;
  return TRUE;
}

GBytes *
pe_control_receive (PoolElement *pe, NetAssoc *assoc, const NetMessage *m)
{
  g_auto (CodecMessage) msg = { 0 };
  CodecError err;
  if (!rsp_decode (m, &msg, &err))
    {
      pe_decode_failed (pe, assoc, m, &err);
      return NULL;
    }
  if (msg.type != CODEC_ASAP_COOKIE_ECHO)
    {
      pe->stats.unexpected++;
      return NULL;
    }
  pe->stats.cookie_echoes++;
  return g_bytes_new (msg.u.cookie.cookie.data, msg.u.cookie.cookie.len);
}

/* ---- accessors ------------------------------------------------------------------ */

Net *
pe_net (const PoolElement *pe)
{
  return pe->net;
}

NetHost *
pe_host (const PoolElement *pe)
{
  return pe->host;
}

guint32
pe_index (const PoolElement *pe)
{
  return pe->index;
}

const PeConfig *
pe_config (const PoolElement *pe)
{
  return &pe->cfg;
}

PeState
pe_state (const PoolElement *pe)
{
  return pe->state;
}

guint32
pe_id (const PoolElement *pe)
{
  return pe->pe_id;
}

const char *
pe_pool_handle (const PoolElement *pe)
{
  return pe->cfg.pool_handle;
}

gboolean
pe_is_alive (const PoolElement *pe)
{
  return net_host_is_up (pe->host);
}

SimTime
pe_down_since (const PoolElement *pe)
{
  return pe->down_since;
}

guint32
pe_home_server_id (const PoolElement *pe)
{
  return pe->home_server_id;
}

NetAssoc *
pe_home_assoc (const PoolElement *pe)
{
  return pe->home;
}

guint32
pe_load (const PoolElement *pe)
{
  return pe->load;
}

const EndpointHunt *
pe_hunt (const PoolElement *pe)
{
  return pe->hunt;
}

const PeStats *
pe_stats (const PoolElement *pe)
{
  return &pe->stats;
}

gboolean
pe_is_registered (const PoolElement *pe)
{
  return pe_is_alive (pe) && pe->state != PE_STATE_DEREGISTERED && pe->state != PE_STATE_REJECTED
         && pe->accepted_until > sim_kernel_now (pe->kernel);
}

SimTime
pe_t4_due (const PoolElement *pe)
{
  return sim_kernel_event_time (pe->kernel, pe->t4);
}

void
pe_record (PoolElement *pe, SimRecorder *rec, const char *module)
{
  const PeStats *s = &pe->stats;
  static const struct { const char *name; gsize off; } counters[] = {
    { "pe.registrations_sent", G_STRUCT_OFFSET (PeStats, registrations_sent) },
    { "pe.reregistrations_t4", G_STRUCT_OFFSET (PeStats, reregistrations_t4) },
    { "pe.reregistrations_load", G_STRUCT_OFFSET (PeStats, reregistrations_load) },
    { "pe.registrations_accepted", G_STRUCT_OFFSET (PeStats, registrations_accepted) },
    { "pe.registrations_rejected", G_STRUCT_OFFSET (PeStats, registrations_rejected) },
    { "pe.registration_failures", G_STRUCT_OFFSET (PeStats, registration_failures) },
    { "pe.t2_expiries", G_STRUCT_OFFSET (PeStats, t2_expiries) },
    { "pe.deregistrations_sent", G_STRUCT_OFFSET (PeStats, deregistrations_sent) },
    { "pe.deregistrations_done", G_STRUCT_OFFSET (PeStats, deregistrations_done) },
    { "pe.t3_expiries", G_STRUCT_OFFSET (PeStats, t3_expiries) },
    { "pe.keepalives", G_STRUCT_OFFSET (PeStats, keepalives) },
    { "pe.keepalives_ignored", G_STRUCT_OFFSET (PeStats, keepalives_ignored) },
    { "pe.keepalives_refused", G_STRUCT_OFFSET (PeStats, keepalives_refused) },
    { "pe.home_changes", G_STRUCT_OFFSET (PeStats, home_changes) },
    { "pe.home_lost", G_STRUCT_OFFSET (PeStats, home_lost) },
    { "pe.id_changes", G_STRUCT_OFFSET (PeStats, id_changes) },
    { "pe.cookies_sent", G_STRUCT_OFFSET (PeStats, cookies_sent) },
    { "pe.cookie_echoes", G_STRUCT_OFFSET (PeStats, cookie_echoes) },
    { "pe.errors_sent", G_STRUCT_OFFSET (PeStats, errors_sent) },
    { "pe.unexpected", G_STRUCT_OFFSET (PeStats, unexpected) },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (counters); i++)
    sim_record_scalar (rec, module, counters[i].name,
                       (double) G_STRUCT_MEMBER (guint64, s, counters[i].off), "1");
  for (guint c = 1; c < G_N_ELEMENTS (s->decode_errors); c++)
    if (s->decode_errors[c] > 0)
      {
        g_autofree char *name = g_strdup_printf ("pe.decode_errors.%s", codec_error_code_name (c));
        sim_record_scalar (rec, module, name, (double) s->decode_errors[c], "1");
      }
  sim_record_scalar (rec, module, "pe.registered", pe_is_registered (pe) ? 1 : 0, "1");
  endpoint_hunt_record (pe->hunt, rec, module, "pe");
}
