/*
 * models/registrar.c - the registrar's life cycle, scenario keys, message
 * I/O with counters, conversions between the codec's and the handlespace's
 * types, crash and restart, recording. The protocols are in
 * registrar-asap.c (RFC 5352 §3) and registrar-enrp.c (RFC 5353 §3).
 *
 * Design: the handlespace is the database; the registrar adds only what the
 * protocols need beside it (per-PE keep-alive state for the PEs it owns or
 * probes, peers, sessions). Every timer is a kernel event whose id is kept and
 * cancelled when the state it belongs to ends; a crash ends all of them. Hot
 * paths (registration, handle resolution, keep-alive ACK) cost one decode,
 * one handlespace operation, one hash lookup and one encode; answers are
 * built in scratch arrays that grow once.
 *
 * Streams: "registrar/<host>/select" (RAND, WRAND, RLU answers) and
 * "registrar/<host>/keep-alive" (jitter), so another entity never changes
 * what a registrar draws.
 *
 * Not here: TLS (the secure channel), dynamic handle-resolution updates (the
 * S flag is answered with A = 0), ENRP over UDP/multicast (RFC 5353 uses
 * SCTP associations; announcements are one copy per peer), attacks and
 * mitigations (their hooks are the small named decision functions in the
 * protocol files).
 */
#include "config.h"

#include "models/registrar-private.h"

#include "sim/model.h"

#include <string.h>

/* ---- scenario keys ---------------------------------------------------- */

static const SimParamDecl registrar_param_decls[] = {
  { "registrar.keep-alive-interval", SIM_PARAM_TIME, "5s", 0, 1e13, NULL,
    "Time between ENDPOINT_KEEP_ALIVEs to each owned PE (RFC 5352 §3.5, optional; rsplib 5 s, the papers' rspsim runs 50 s); 0s = none." },
  { "registrar.keep-alive-timeout", SIM_PARAM_TIME, "5s", 1e6, 1e13, NULL,
    "A PE that does not ACK a keep-alive within this is removed (rsplib 5 s, the papers' rspsim runs 50 s)." },
  { "registrar.keep-alive-jitter", SIM_PARAM_DOUBLE, "50%", 0, 0.99, NULL,
    "Each keep-alive interval varies uniformly by +- this fraction (RFC 5352 §3.5: 50 %; rsplib 0)." },
  { "registrar.max-bad-pe-reports", SIM_PARAM_INT, "3", 0, 1e9, NULL,
    "MAX-BAD-PE-REPORT: the PE is removed when this many ENDPOINT_UNREACHABLEs counted for it (rsplib, rspsim 3; the papers' default runs 1e9); 0 = never." },
  { "registrar.unreachable-probe", SIM_PARAM_BOOL, "false", 0, 0, NULL,
    "RFC 5352 §3.5: answer each ENDPOINT_UNREACHABLE with a keep-alive probe; no ACK within the keep-alive timeout removes the PE (rsplib and rspsim only count)." },
  { "registrar.address-binding", SIM_PARAM_BOOL, "true", 0, 0, NULL,
    "A PE's user transport addresses must be addresses of its registering association (RFC 5352 §3.1 R1; a PE can only advertise itself)." },
  { "registrar.max-hr-items", SIM_PARAM_INT, "0", 0, 1e6, NULL,
    "Most PEs in a handle resolution answer; 0 = all that fit in one message (RFC 5352 §3.3; rsplib 3, rspsim 5, the papers 1)." },
  { "registrar.max-increment", SIM_PARAM_INT, "0", 0, 1e9, NULL,
    "PEs at the head of an answer that count as used by the policy (rsplib MaxIncrement); 0 = the policy default (1)." },
  { "registrar.max-pool-elements", SIM_PARAM_INT, "0", 0, 1e9, NULL,
    "Most PEs the handlespace holds; more registrations are refused with Lack of Resources; 0 = unlimited." },
  { "registrar.announce", SIM_PARAM_BOOL, "true", 0, 0, NULL,
    "Send ASAP_SERVER_ANNOUNCEs to the ASAP announce group 224.0.1.185:3863 (RFC 5352 §3.6)." },
  { "registrar.announce-cycle", SIM_PARAM_TIME, "1s", 1e6, 1e13, NULL,
    "T6-Serverannounce: a registrar announces every (N+1) x T6, N = other registrars it hears announcing (RFC 5352 §3.6, §7)." },
  { "registrar.announce-timeout", SIM_PARAM_TIME, "5s", 1e6, 1e13, NULL,
    "T7-ENRPoutdate: another registrar's announce counts in N for this long (RFC 5352 §7)." },
  { "registrar.peer-heartbeat-cycle", SIM_PARAM_TIME, "30s", 1e6, 1e13, NULL,
    "PEER-HEARTBEAT-CYCLE: period of ENRP_PRESENCE to every peer (RFC 5353 §4; rsplib 2.444 s, rspsim 5 s)." },
  { "registrar.max-time-last-heard", SIM_PARAM_TIME, "61s", 1e6, 1e13, NULL,
    "MAX-TIME-LAST-HEARD: a peer silent this long is probed with a PRESENCE that requires a reply (RFC 5353 §4; rsplib 5 s)." },
  { "registrar.max-time-no-response", SIM_PARAM_TIME, "5s", 1e6, 1e13, NULL,
    "MAX-TIME-NO-RESPONSE: a probed peer silent this long is dead and taken over; also the wait per handle-table response (RFC 5353 §4)." },
  { "registrar.mentor-timeout", SIM_PARAM_TIME, "5s", 1e6, 1e13, NULL,
    "Wait for a mentor's LIST_RESPONSE or HANDLE_TABLE_RESPONSE before trying the next (RFC 5353 §3.2: MAX-TIME-NO-RESPONSE; rsplib 5 s, rspsim 30 s)." },
  { "registrar.takeover-expiry", SIM_PARAM_TIME, "5s", 1e6, 1e13, NULL,
    "A takeover not acknowledged by every peer within this is abandoned and retried after a new probe (rsplib 5 s, rspsim 30 s)." },
  { "registrar.handle-table-max-pes", SIM_PARAM_INT, "128", 1, 65535, NULL,
    "Most PEs per ENRP_HANDLE_TABLE_RESPONSE; more follow with the M flag (rsplib 128)." },
  { "registrar.one-pe-per-credential", SIM_PARAM_BOOL, "false", 0, 0, NULL,
    "Mitigation one-pe-per-credential (RFC 5355 §2.1, §2.3): a credential holds one PE identity at a time; a registration "
    "of another identity while its PE is registered is refused. The credential is the PE's TLS-PSK identity "
    "(secure.pe-registrar = psk), else the association's peer address." },
  { "registrar.secure-database", SIM_PARAM_ENUM, "all-or-nothing", 0, 0, "all-or-nothing,mixed",
    "RFC 5355 §2.15: with secure.pe-registrar on, all-or-nothing (the mitigation) refuses every registration that "
    "does not come over TLS; mixed also takes them, so insecure entries sit in a registrar that claims security." },
  { "registrar.pool-authorization", SIM_PARAM_BOOL, "true", 0, 0, NULL,
    "Mitigation pool-authorization (RFC 5355 §2.4): with secure.pe-registrar = psk, a registration is refused unless "
    "the PE's key is authorized for the pool (the pools of its secure.keys entry)." },
  { "registrar.max-hr-rate", SIM_PARAM_DOUBLE, "0", 0, 1e9, NULL,
    "Mitigation registrar-rate-limits (RFC 5355 §2.13, PAPERS §2.3): handle resolutions per second a PU association "
    "may send; above it they are dropped (and counted). 0 = no limit; the papers use 1 and 100." },
  { "registrar.max-eu-rate", SIM_PARAM_DOUBLE, "0", 0, 1e9, NULL,
    "Mitigation registrar-rate-limits: ENDPOINT_UNREACHABLEs per second a PU association may send; above it they are "
    "dropped (and counted). 0 = no limit; the papers use 1." },
  { "registrar.rate-window", SIM_PARAM_INT, "16", 2, 65536, NULL,
    "Arrival times the rate limits keep per association (refused arrivals included): rate = entries / (newest - "
    "oldest) over them (rsplib keeps the newest 16)." },
  { "registrar.rate-burst", SIM_PARAM_INT, "2", 1, 65535, NULL,
    "Arrivals of an association the rate limits pass before judging: from the (burst + 1)-th on (or a full window) "
    "an arrival is refused when entries / (newest - oldest) exceeds the limit. Below MAX-BAD-PE-REPORT, a PU flooding "
    "faster than registrar.max-eu-rate has fewer reports counted than it takes to remove a PE." },
  { "registrar.max-registration-rate", SIM_PARAM_DOUBLE, "0", 0, 1e9, NULL,
    "Mitigation registration-rate-limit (RFC 5355 §2.1 registration/deregistration flooding): registrations of a new "
    "PE identity per second a credential (as for registrar.one-pe-per-credential) may make, judged as the per-PU limits "
    "(registrar.rate-window, registrar.rate-burst); above it they are rejected (and counted). Re-registrations of a "
    "registered identity and deregistrations are never limited. 0 = no limit." },
  { "registrar.peers", SIM_PARAM_STRING, "", 0, 0, NULL,
    "Static ENRP peer list for mentor discovery, comma-separated IPv4 addresses; empty = the model gives every other registrar." },
};

const SimParamDecl *
registrar_params (gsize *n)
{
  *n = G_N_ELEMENTS (registrar_param_decls);
  return registrar_param_decls;
}

void
registrar_config_from_params (const SimParams *p, RegistrarConfig *cfg)
{
  memset (cfg, 0, sizeof *cfg);
  cfg->keep_alive_interval = sim_params_time (p, "registrar.keep-alive-interval");
  cfg->keep_alive_timeout = sim_params_time (p, "registrar.keep-alive-timeout");
  cfg->keep_alive_jitter = sim_params_double (p, "registrar.keep-alive-jitter");
  cfg->max_bad_pe_reports = (guint) sim_params_int (p, "registrar.max-bad-pe-reports");
  cfg->unreachable_probe = sim_params_bool (p, "registrar.unreachable-probe");
  cfg->address_binding = sim_params_bool (p, "registrar.address-binding");
  cfg->max_hr_items = (guint) sim_params_int (p, "registrar.max-hr-items");
  cfg->max_increment = (guint) sim_params_int (p, "registrar.max-increment");
  cfg->max_pool_elements = (guint) sim_params_int (p, "registrar.max-pool-elements");
  cfg->announce = sim_params_bool (p, "registrar.announce");
  cfg->announce_cycle = sim_params_time (p, "registrar.announce-cycle");
  cfg->announce_timeout = sim_params_time (p, "registrar.announce-timeout");
  cfg->peer_heartbeat_cycle = sim_params_time (p, "registrar.peer-heartbeat-cycle");
  cfg->max_time_last_heard = sim_params_time (p, "registrar.max-time-last-heard");
  cfg->max_time_no_response = sim_params_time (p, "registrar.max-time-no-response");
  cfg->mentor_timeout = sim_params_time (p, "registrar.mentor-timeout");
  cfg->takeover_expiry = sim_params_time (p, "registrar.takeover-expiry");
  cfg->handle_table_max_pes = (guint) sim_params_int (p, "registrar.handle-table-max-pes");
  cfg->one_pe_per_credential = sim_params_bool (p, "registrar.one-pe-per-credential");
  cfg->pool_authorization = sim_params_bool (p, "registrar.pool-authorization");
  cfg->mixed_database = strcmp (sim_params_string (p, "registrar.secure-database"), "mixed") == 0;
  cfg->max_hr_rate = sim_params_double (p, "registrar.max-hr-rate");
  cfg->max_eu_rate = sim_params_double (p, "registrar.max-eu-rate");
  cfg->rate_window = (guint) sim_params_int (p, "registrar.rate-window");
  cfg->rate_burst = (guint) sim_params_int (p, "registrar.rate-burst");
  cfg->max_registration_rate = sim_params_double (p, "registrar.max-registration-rate");
}

void
registrar_config_init (RegistrarConfig *cfg)
{
  g_autoptr (SimParamTable) table = sim_param_table_new ();
  sim_param_table_add (table, registrar_param_decls, G_N_ELEMENTS (registrar_param_decls));
  g_autoptr (SimParams) params = sim_params_new (table);
  for (gsize i = 0; i < G_N_ELEMENTS (registrar_param_decls); i++)
    {
      SimParamValue v;
      g_autoptr (GError) error = NULL;
      if (!sim_param_parse (&registrar_param_decls[i], registrar_param_decls[i].def, &v, &error))
        g_error ("registrar: default of %s does not parse: %s", registrar_param_decls[i].key, error->message);
      v.is_default = TRUE;
      sim_params_set (params, &v);
    }
  registrar_config_from_params (params, cfg);
}

gboolean
registrar_parse_peers (const char *text, GArray *addrs, GError **error)
{
  g_auto (GStrv) words = g_strsplit (text, ",", -1);
  for (guint i = 0; words[i] != NULL; i++)
    {
      const char *w = g_strstrip (words[i]);
      if (*w == '\0')
        continue;
      NetAddr a;
      if (!net_addr_parse (w, &a))
        {
          g_set_error (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID,
                       "registrar.peers: '%s' is not an IPv4 address", w);
          return FALSE;
        }
      g_array_append_val (addrs, a);
    }
  return TRUE;
}

/* ---- conversions -------------------------------------------------------- */

HsResult
registrar_transport_from_codec (const CodecTransport *ct, HsTransport *out)
{
  memset (out, 0, sizeof *out);
  switch (ct->type)
    {
    case CODEC_PARAM_DCCP_TRANSPORT:
    case CODEC_PARAM_SCTP_TRANSPORT:
    case CODEC_PARAM_TCP_TRANSPORT:
    case CODEC_PARAM_UDP_TRANSPORT:
    case CODEC_PARAM_UDP_LITE_TRANSPORT:
      break;
    default:
      /* Opaque transports name no address a PU could use: RFC 5352 §3.1 rule 5, invalid values. */
      return HS_ERR_INVALID_VALUES;
    }
  if (ct->n_addrs > HS_MAX_ADDRESSES)
    return HS_ERR_LACK_OF_RESOURCES;
  out->type = (guint8) ct->type;
  out->use = (guint8) ct->use;
  out->port = ct->port;
  out->dccp_service_code = ct->service_code;
  out->n_addrs = ct->n_addrs;
  for (guint i = 0; i < ct->n_addrs; i++)
    {
      out->addrs[i].family = ct->addrs[i].family;
      memcpy (out->addrs[i].bytes, ct->addrs[i].bytes, 16);
    }
  return HS_OK;
}

HsResult
registrar_registration_from_codec (const CodecPoolElement *cpe, HsRegistration *reg)
{
  memset (reg, 0, sizeof *reg);
  reg->pe_id = cpe->pe_id;
  reg->home_registrar = cpe->home_server_id;
  reg->reg_life_ms = cpe->reg_life_ms;
  reg->policy.type = cpe->policy.type;
  reg->policy.weight = cpe->policy.weight;
  reg->policy.priority = cpe->policy.priority;
  reg->policy.load = cpe->policy.load;
  reg->policy.load_degradation = cpe->policy.load_degradation;
  HsResult res = registrar_transport_from_codec (&cpe->user_transport, &reg->user);
  if (res != HS_OK)
    return res;
  if (cpe->has_asap_transport)
    {
      res = registrar_transport_from_codec (&cpe->asap_transport, &reg->asap);
      if (res != HS_OK)
        return res;
    }
  return HS_OK;
}

#define SCRATCH_ADDRS_PER_PE (2 * HS_MAX_ADDRESSES)

CodecPoolElement *
registrar_scratch_pes (Registrar *r, guint n)
{
  g_array_set_size (r->scratch_pes, n);
  g_array_set_size (r->scratch_addrs, (gsize) n * SCRATCH_ADDRS_PER_PE);
  return (CodecPoolElement *) (gpointer) r->scratch_pes->data;
}

static void
transport_to_codec (const HsTransport *t, CodecAddress *addrs, CodecTransport *out)
{
  memset (out, 0, sizeof *out);
  out->type = (CodecParamType) t->type;
  out->port = t->port;
  out->use = t->use;
  out->service_code = t->dccp_service_code;
  out->n_addrs = t->n_addrs;
  out->addrs = addrs;
  for (guint i = 0; i < t->n_addrs; i++)
    {
      addrs[i].family = t->addrs[i].family;
      memcpy (addrs[i].bytes, t->addrs[i].bytes, 16);
    }
}

void
registrar_pe_to_codec (Registrar *r, HsPoolElement *pe, guint slot)
{
  CodecPoolElement *out = &g_array_index (r->scratch_pes, CodecPoolElement, slot);
  CodecAddress *addrs = &g_array_index (r->scratch_addrs, CodecAddress, (gsize) slot * SCRATCH_ADDRS_PER_PE);
  memset (out, 0, sizeof *out);
  out->pe_id = hs_pe_get_id (pe);
  out->home_server_id = hs_pe_get_home_registrar (pe);
  out->reg_life_ms = hs_pe_get_registration_life (pe);
  HsPolicy pol;
  hs_pe_get_policy (pe, &pol);
  out->policy.type = pol.type;
  out->policy.weight = pol.weight;
  out->policy.priority = pol.priority;
  out->policy.load = pol.load;
  out->policy.load_degradation = pol.load_degradation;
  HsTransport t;
  hs_pe_get_user_transport (pe, &t);
  transport_to_codec (&t, addrs, &out->user_transport);
  hs_pe_get_asap_transport (pe, &t);
  if (t.n_addrs > 0)
    {
      out->has_asap_transport = TRUE;
      transport_to_codec (&t, addrs + HS_MAX_ADDRESSES, &out->asap_transport);
    }
}

static gsize
transport_param_size (const HsTransport *t)
{
  gsize n = 8 + (t->type == HS_TRANSPORT_DCCP ? 4 : 0);
  for (guint i = 0; i < t->n_addrs; i++)
    n += t->addrs[i].family == HS_AF_IPV6 ? 20 : 8;
  return n;
}

gsize
registrar_pe_param_size (HsPoolElement *pe)
{
  HsTransport t;
  hs_pe_get_user_transport (pe, &t);
  gsize n = 16 + transport_param_size (&t);
  hs_pe_get_asap_transport (pe, &t);
  if (t.n_addrs > 0)
    n += transport_param_size (&t);
  return n + 16; /* the longest RFC 5356 policy parameter (LUD, PLU) */
}

/* ---- message I/O ------------------------------------------------------------ */

gsize
registrar_send (Registrar *r, NetAssoc *assoc, const CodecMessage *msg)
{
  gsize n = rsp_send (r->net, assoc, 0, msg);
  if (n > 0)
    r->c.tx[registrar_msg_index (msg->type)]++;
  return n;
}

void
registrar_count_rx (Registrar *r, const CodecMessage *msg)
{
  r->c.rx[registrar_msg_index (msg->type)]++;
}

/* Answer a bad or partly unknown message with one Operation Error (RFC 5354 §3.12). */
static void
send_error (Registrar *r, NetAssoc *assoc, CodecProtocol proto, const CodecErrorCause *causes, guint n);

void
registrar_send_error (Registrar *r, NetAssoc *assoc, CodecProtocol proto, guint16 cause)
{
  CodecErrorCause c = { .code = cause };
  send_error (r, assoc, proto, &c, 1);
}

static void
send_error (Registrar *r, NetAssoc *assoc, CodecProtocol proto, const CodecErrorCause *causes, guint n)
{
  CodecMessage e = { 0 };
  e.type = proto == CODEC_PROTO_ASAP ? CODEC_ASAP_ERROR : CODEC_ENRP_ERROR;
  e.sender_id = r->id;
  e.u.error.n_causes = n;
  e.u.error.causes = causes;
  if (registrar_send (r, assoc, &e) > 0)
    r->c.errors_sent++;
}

/* Causes with info are capped so that the error message always fits. */
#define ERROR_INFO_MAX 1024

gboolean
registrar_receive (Registrar *r, NetAssoc *assoc, const NetMessage *m, CodecMessage *out)
{
  CodecError err;
  if (rsp_decode (m, out, &err))
    {
      registrar_count_rx (r, out);
      /* RFC 5354 §2: skipped parameters whose type says "report" (action 11). */
      CodecErrorCause causes[8];
      guint n = 0;
      for (guint i = 0; i < out->n_unrecognized && n < G_N_ELEMENTS (causes); i++)
        if (out->unrecognized[i].action == CODEC_ACTION_SKIP_REPORT)
          {
            causes[n] = (CodecErrorCause) { .code = CODEC_CAUSE_UNRECOGNIZED_PARAMETER };
            causes[n].info = out->unrecognized[i].tlv;
            causes[n].info.len = MIN (causes[n].info.len, ERROR_INFO_MAX);
            n++;
          }
      if (n > 0)
        send_error (r, assoc, CODEC_MSG_PROTOCOL (out->type), causes, n);
      return TRUE;
    }
  r->c.decode_errors[MIN (err.code, G_N_ELEMENTS (r->c.decode_errors) - 1)]++;
  if (m->ppid != RSP_PPID_ASAP && m->ppid != RSP_PPID_ENRP)
    return FALSE;
  CodecProtocol proto = m->ppid == RSP_PPID_ASAP ? CODEC_PROTO_ASAP : CODEC_PROTO_ENRP;
  gsize len;
  const guint8 *buf = g_bytes_get_data (m->data, &len);
  CodecErrorCause cause = { .code = CODEC_CAUSE_INVALID_VALUES };
  switch (err.code)
    {
    case CODEC_ERR_UNKNOWN_MESSAGE:
      /* RFC 5354 §4: 00 discard silently, 01 discard and report. */
      if (err.action != CODEC_ACTION_DISCARD_REPORT)
        return FALSE;
      cause.code = CODEC_CAUSE_UNRECOGNIZED_MESSAGE;
      cause.info = (CodecBytes) { len > 0 ? buf : NULL, MIN (len, ERROR_INFO_MAX) };
      break;
    case CODEC_ERR_UNKNOWN_PARAM:
      /* RFC 5354 §2: 00 discard silently, 01 discard and report the parameter. */
      if (err.action != CODEC_ACTION_DISCARD_REPORT)
        return FALSE;
      cause.code = CODEC_CAUSE_UNRECOGNIZED_PARAMETER;
      if (err.offset < len)
        {
          gsize tlv = MIN (MIN (err.length, len - err.offset), ERROR_INFO_MAX);
          cause.info = (CodecBytes) { tlv > 0 ? buf + err.offset : NULL, tlv };
        }
      break;
    default:
      /* Malformed: say the values were invalid, without echoing bytes that do not parse. */
      break;
    }
  send_error (r, assoc, proto, &cause, 1);
  return FALSE;
}

/* ---- life cycle ------------------------------------------------------------- */

static void
begin (Registrar *r)
{
  r->hs = hs_handlespace_new (r->kernel);
  hs_handlespace_set_expiry_func (r->hs, registrar_asap_expired, r);
  hs_handlespace_set_max_increment (r->hs, r->cfg.max_increment);
  hs_handlespace_set_max_pool_elements (r->hs, r->cfg.max_pool_elements);
  registrar_asap_open (r);
  registrar_enrp_open (r);
}

static void
end (Registrar *r, gboolean host_down)
{
  registrar_enrp_close (r, host_down);
  registrar_asap_close (r, host_down);
  g_clear_pointer (&r->hs, hs_handlespace_free);
  r->state = REGISTRAR_DOWN;
}

static void
host_state_changed (NetHost *host, gboolean up, gpointer user_data)
{
  Registrar *r = user_data;
  if (!up)
    {
      if (r->state == REGISTRAR_DOWN)
        return;
      r->c.crashes++;
      end (r, TRUE);
    }
  else if (r->started && r->state == REGISTRAR_DOWN)
    {
      r->c.restarts++;
      begin (r);
    }
}

Registrar *
registrar_new (Net *net, NetHost *host, guint32 server_id, const RegistrarConfig *cfg, guint64 seed)
{
  g_return_val_if_fail (net != NULL && host != NULL && server_id != 0 && cfg != NULL, NULL);
  g_return_val_if_fail (cfg->handle_table_max_pes >= 1, NULL);
  Registrar *r = g_new0 (Registrar, 1);
  r->net = net;
  r->kernel = net_kernel (net);
  r->host = host;
  r->id = server_id;
  r->cfg = *cfg;
  r->name = g_strdup (net_host_name (host));
  sim_rng_init_fmt (&r->rng_select, seed, "registrar/%s/select", r->name);
  sim_rng_init_fmt (&r->rng_keep_alive, seed, "registrar/%s/keep-alive", r->name);
  r->static_peers = g_array_new (FALSE, FALSE, sizeof (NetAddr));
  r->state = REGISTRAR_DOWN;
  gboolean ok = net_addr_parse (RSP_ASAP_ANNOUNCE_GROUP_TEXT, &r->announce_group);
  g_assert (ok);
  r->out_conns = g_hash_table_new (g_int64_hash, g_int64_equal);
  r->pes = g_hash_table_new (g_direct_hash, g_direct_equal);
  r->credential_pe = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  r->credential_rate = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, rate_window_free);
  r->announcers = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  r->peers = g_ptr_array_new ();
  r->enrp_in = g_ptr_array_new ();
  r->enrp_out = g_ptr_array_new ();
  r->intros = g_ptr_array_new ();
  r->scratch_pes = g_array_new (FALSE, TRUE, sizeof (CodecPoolElement));
  r->scratch_addrs = g_array_new (FALSE, TRUE, sizeof (CodecAddress));
  r->scratch_ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  r->scratch_sel = g_ptr_array_new ();
  net_host_set_state_callback (host, host_state_changed, r);
  return r;
}

void
registrar_free (Registrar *r)
{
  if (r == NULL)
    return;
  if (r->state != REGISTRAR_DOWN)
    end (r, !net_host_is_up (r->host));
  net_host_set_state_callback (r->host, NULL, NULL);
  g_array_unref (r->static_peers);
  g_hash_table_unref (r->out_conns);
  g_hash_table_unref (r->pes);
  g_hash_table_unref (r->credential_pe);
  g_hash_table_unref (r->credential_rate);
  g_hash_table_unref (r->announcers);
  g_ptr_array_unref (r->peers);
  g_ptr_array_unref (r->enrp_in);
  g_ptr_array_unref (r->enrp_out);
  g_ptr_array_unref (r->intros);
  g_array_unref (r->scratch_pes);
  g_array_unref (r->scratch_addrs);
  g_array_unref (r->scratch_ids);
  g_ptr_array_unref (r->scratch_sel);
  g_free (r->name);
  g_free (r);
}

void
registrar_set_security (Registrar *r, RspSecurity *sec)
{
  g_return_if_fail (r != NULL && !r->started);
  r->sec = sec;
}

void
registrar_set_peers (Registrar *r, const NetAddr *addrs, guint n)
{
  g_return_if_fail (r != NULL && (addrs != NULL || n == 0));
  g_array_set_size (r->static_peers, 0);
  for (guint i = 0; i < n; i++)
    {
      gboolean own = FALSE;
      for (guint k = 0; k < net_host_n_addresses (r->host); k++)
        own |= net_host_address (r->host, k) == addrs[i];
      if (!own)
        g_array_append_val (r->static_peers, addrs[i]);
    }
}

void
registrar_start (Registrar *r)
{
  g_return_if_fail (r != NULL && !r->started);
  r->started = TRUE;
  if (net_host_is_up (r->host))
    begin (r);
}

guint32
registrar_id (const Registrar *r)
{
  return r->id;
}

NetHost *
registrar_host (const Registrar *r)
{
  return r->host;
}

HsHandlespace *
registrar_handlespace (const Registrar *r)
{
  return r->hs;
}

RegistrarState
registrar_state (const Registrar *r)
{
  return r->state;
}

const char *
registrar_state_name (RegistrarState state)
{
  static const char *const names[] = { "down", "discovery", "sync", "serving" };
  return state <= REGISTRAR_SERVING ? names[state] : "?";
}

void
registrar_peer_ids (const Registrar *r, GArray *ids)
{
  for (guint i = 0; i < r->peers->len; i++)
    {
      const RegPeer *p = g_ptr_array_index (r->peers, i);
      g_array_append_val (ids, p->id);
    }
}

void
registrar_set_resolution_observer (Registrar *r, RegistrarResolutionFn fn, gpointer user_data)
{
  r->observer = fn;
  r->observer_data = user_data;
}

const RegistrarCounters *
registrar_counters (const Registrar *r)
{
  return &r->c;
}

/* ---- recording ---------------------------------------------------------------- */

void
registrar_record (Registrar *r, SimRecorder *rec, const char *module)
{
  static const struct {
    const char *name;
    gsize       offset;
  } counters[] = {
#define C(field) { #field, G_STRUCT_OFFSET (RegistrarCounters, field) }
    C (unexpected), C (errors_sent), C (registrations), C (registrations_new),
    C (registrations_rejected), C (registrations_refused_identity), C (registrations_refused_binding),
    C (registrations_refused_security), C (registrations_refused_pool), C (registrations_refused_rate),
    C (deregistrations), C (deregistrations_refused), C (deregistrations_refused_security),
    C (resolutions_refused_security), C (unreachable_refused_security), C (enrp_refused_security),
    C (registrations_insecure), C (resolutions_insecure_pes), C (resolutions),
    C (resolutions_unknown), C (resolutions_refused), C (unreachable_refused),
    C (keep_alives), C (keep_alive_timeouts), C (send_failures), C (unreachable_reports),
    C (unreachable_removals), C (expiries), C (announces), C (updates_applied), C (updates_refused),
    C (table_pes_imported), C (resyncs), C (resync_purged), C (peers_dead), C (takeovers),
    C (takeovers_aborted), C (pes_taken_over), C (crashes), C (restarts),
#undef C
  };
  for (guint i = 0; i < G_N_ELEMENTS (counters); i++)
    {
      g_autofree char *name = g_strconcat ("registrar.", counters[i].name, NULL);
      guint64 v = G_STRUCT_MEMBER (guint64, &r->c, counters[i].offset);
      sim_record_scalar (rec, module, name, (double) v, "1");
    }
  for (guint proto = CODEC_PROTO_ASAP; proto <= CODEC_PROTO_ENRP; proto++)
    for (guint wire = 1; wire < 16; wire++)
      {
        guint type = CODEC_MSG (proto, wire);
        const char *tn = codec_msg_type_name ((CodecMsgType) type);
        if (tn == NULL)
          continue;
        g_autofree char *lower = g_ascii_strdown (tn, -1);
        g_autofree char *rx = g_strconcat ("registrar.rx.", lower, NULL);
        g_autofree char *tx = g_strconcat ("registrar.tx.", lower, NULL);
        sim_record_scalar (rec, module, rx, (double) r->c.rx[registrar_msg_index (type)], "1");
        sim_record_scalar (rec, module, tx, (double) r->c.tx[registrar_msg_index (type)], "1");
      }
  for (guint code = CODEC_ERR_TRUNCATED; code <= CODEC_ERR_INVALID_VALUE; code++)
    {
      g_autofree char *name = g_strconcat ("registrar.decode_errors.", codec_error_code_name (code), NULL);
      sim_record_scalar (rec, module, name, (double) r->c.decode_errors[code], "1");
    }
  sim_record_scalar (rec, module, "registrar.pool_elements",
                     r->hs != NULL ? hs_handlespace_pool_element_count (r->hs) : 0, "1");
  sim_record_scalar (rec, module, "registrar.owned",
                     r->hs != NULL ? hs_handlespace_owner_count (r->hs, r->id) : 0, "1");
  sim_record_scalar (rec, module, "registrar.peers", r->peers->len, "1");
}
