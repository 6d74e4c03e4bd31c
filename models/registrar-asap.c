/*
 * models/registrar-asap.c - the registrar's ASAP server side (RFC 5352 §3):
 * registration, deregistration, handle resolution, endpoint keep-alives,
 * unreachable reports, lifetime expiry, server announces.
 *
 * Associations: every ASAP association (accepted on port 3863, or 3864 with
 * TLS, or opened to a PE's ASAP transport) is a RegAsapConn. A PE's keep-alives go over the
 * association its last registration came through; a PE without one is
 * reached by opening (or sharing) an association to its ASAP transport. An
 * opened association that no PE uses any more is shut down.
 *
 * Keep-alives: one timer per PE the registrar owns, alternately "send the
 * next keep-alive" (interval +- jitter, RFC 5352 §3.5) and "the ACK is late"
 * (timeout: remove the PE). A (re-)registration restarts the cycle. A send
 * never fails synchronously on the simulated network: a failed association
 * (COMM_LOST, REFUSED, ...) removes the PEs waiting for an ACK on it, the
 * timeout removes the rest.
 *
 * Decision hooks (where RFC 5355 mitigations plug in):
 * registrar_may_register() (address binding of the addresses and of an
 * existing identity, identity_bound(); one PE identity per credential,
 * §2.1/§2.3), registrar_may_deregister() (by the PE itself only, §2.3),
 * registrar_unreachable_removes()
 * (MAX-BAD-PE-REPORT), registrar_may_resolve() and
 * registrar_may_take_unreachable() (per-association rate limits, §2.13).
 */
#include "config.h"

#include "models/registrar-private.h"

#include <string.h>

/* A cause code, or REG_OK. The handlespace's results are cause codes already. */
typedef guint RegCause;
#define REG_OK G_MAXUINT

static void conn_free (RegAsapConn *conn);

/* ---- associations ------------------------------------------------------------ */

static void asap_event (NetAssoc *assoc, NetAssocEvent ev, gpointer user_data);
static void asap_receive (NetAssoc *assoc, const NetMessage *m, gpointer user_data);
static const NetAssocCallbacks asap_callbacks = { asap_event, asap_receive };

static RegAsapConn *
conn_new (Registrar *r, NetAssoc *assoc, gboolean outgoing, guint64 key)
{
  RegAsapConn *conn = g_new0 (RegAsapConn, 1);
  conn->r = r;
  conn->assoc = assoc;
  conn->id = ++r->next_conn_id;
  conn->outgoing = outgoing;
  conn->key = key;
  conn->prev = r->conns_tail;
  if (r->conns_tail != NULL)
    r->conns_tail->next = conn;
  else
    r->conns = conn;
  r->conns_tail = conn;
  if (outgoing)
    g_hash_table_insert (r->out_conns, &conn->key, conn);
  return conn;
}

/* An opened association takes no new PEs once it is shutting down: forget its key. */
static void
conn_unpublish (RegAsapConn *conn)
{
  if (conn->outgoing && conn->key != 0)
    {
      g_hash_table_remove (conn->r->out_conns, &conn->key);
      conn->key = 0;
    }
}

static void
conn_free (RegAsapConn *conn)
{
  Registrar *r = conn->r;
  conn_unpublish (conn);
  for (RegPe *rp = conn->pes; rp != NULL; rp = rp->next)
    rp->conn = NULL;
  if (conn->prev != NULL)
    conn->prev->next = conn->next;
  else
    r->conns = conn->next;
  if (conn->next != NULL)
    conn->next->prev = conn->prev;
  else
    r->conns_tail = conn->prev;
  rate_window_clear (&conn->hr_rate);
  rate_window_clear (&conn->eu_rate);
  g_free (conn);
}

static void
pe_link (RegPe *rp, RegAsapConn *conn)
{
  if (rp->conn == conn)
    return;
  if (rp->conn != NULL)
    {
      RegAsapConn *old = rp->conn;
      if (rp->prev != NULL)
        rp->prev->next = rp->next;
      else
        old->pes = rp->next;
      if (rp->next != NULL)
        rp->next->prev = rp->prev;
      if (old->pes == NULL && old->outgoing && old->assoc != NULL)
        {
          /* Nobody is reached through it any more: close it (at once if it is still being set up). */
          conn_unpublish (old);
          if (net_assoc_is_up (old->assoc))
            net_assoc_shutdown (old->assoc);
          else
            {
              net_assoc_abort (old->assoc);
              conn_free (old);
            }
        }
    }
  rp->conn = conn;
  rp->prev = NULL;
  rp->next = NULL;
  if (conn != NULL)
    {
      rp->next = conn->pes;
      if (conn->pes != NULL)
        conn->pes->prev = rp;
      conn->pes = rp;
    }
}

static NetAddr
addr_from_hs (const HsAddress *a)
{
  return ((NetAddr) a->bytes[0] << 24) | ((NetAddr) a->bytes[1] << 16) | ((NetAddr) a->bytes[2] << 8) | a->bytes[3];
}

static void
addr_to_hs (NetAddr a, HsAddress *out)
{
  memset (out, 0, sizeof *out);
  out->family = HS_AF_IPV4;
  out->bytes[0] = (guint8) (a >> 24);
  out->bytes[1] = (guint8) (a >> 16);
  out->bytes[2] = (guint8) (a >> 8);
  out->bytes[3] = (guint8) a;
}

/* The association to reach a PE that has none: shared per ASAP transport address. */
static RegAsapConn *
conn_to_pe (Registrar *r, HsPoolElement *pe)
{
  HsTransport t;
  hs_pe_get_asap_transport (pe, &t);
  guint i = 0;
  while (i < t.n_addrs && t.addrs[i].family != HS_AF_IPV4)
    i++;
  if (i == t.n_addrs || t.port == 0)
    return NULL;
  NetAddr addr = addr_from_hs (&t.addrs[i]);
  guint64 key = ((guint64) addr << 16) | t.port;
  RegAsapConn *conn = g_hash_table_lookup (r->out_conns, &key);
  if (conn != NULL)
    return conn;
  conn = conn_new (r, NULL, TRUE, key);
  conn->assoc = net_assoc_connect (r->host, addr, t.port, &asap_callbacks, conn);
  if (t.port == SECURE_ASAP_TLS_PORT)
    rsp_security_client (r->sec, SECURE_CLASS_PE_REGISTRAR, RSP_ROLE_REGISTRAR, r->host, conn->assoc);
  return conn;
}

/* ---- per-PE state and keep-alives -------------------------------------------------- */

static void ka_fired (SimKernel *k, gpointer ctx, gpointer data);

static RegPe *
pe_state (Registrar *r, HsPoolElement *pe)
{
  RegPe *rp = g_hash_table_lookup (r->pes, pe);
  if (rp == NULL)
    {
      rp = g_new0 (RegPe, 1);
      rp->pe = pe;
      g_hash_table_insert (r->pes, pe, rp);
    }
  return rp;
}

static void
pe_state_free (Registrar *r, RegPe *rp)
{
  sim_kernel_cancel (r->kernel, rp->timer);
  pe_link (rp, NULL);
  g_free (rp);
}

void
registrar_pe_forget (Registrar *r, HsPoolElement *pe)
{
  RegPe *rp = g_hash_table_lookup (r->pes, pe);
  if (rp == NULL)
    return;
  g_hash_table_remove (r->pes, pe);
  pe_state_free (r, rp);
}

/* Schedule the next keep-alive: interval x (1 +- jitter), RFC 5352 §3.5. */
static void
ka_schedule_next (Registrar *r, RegPe *rp)
{
  sim_kernel_cancel (r->kernel, rp->timer);
  rp->timer = SIM_EVENT_NONE;
  rp->waiting = FALSE;
  rp->probe = FALSE;
  if (r->cfg.keep_alive_interval <= 0)
    return;
  SimTime d = r->cfg.keep_alive_interval;
  if (r->cfg.keep_alive_jitter > 0)
    {
      double u = sim_rng_uniform (&r->rng_keep_alive);
      d = (SimTime) ((double) d * (1.0 + r->cfg.keep_alive_jitter * (2.0 * u - 1.0)));
    }
  rp->timer = sim_kernel_schedule (r->kernel, MAX (d, 1), ka_fired, r, rp);
}

/* Send an ENDPOINT_KEEP_ALIVE (RFC 5352 §2.2.7) and wait for the ACK. */
static void
ka_send (Registrar *r, RegPe *rp, gboolean home, gboolean probe)
{
  if (rp->conn == NULL || rp->conn->assoc == NULL)
    pe_link (rp, conn_to_pe (r, rp->pe));
  gsize handle_len;
  const guint8 *handle = hs_pool_get_handle (hs_pe_get_pool (rp->pe), &handle_len);
  CodecMessage m = { 0 };
  m.type = CODEC_ASAP_ENDPOINT_KEEP_ALIVE;
  m.flags = home ? CODEC_FLAG_KEEP_ALIVE_HOME : 0;
  m.u.keep_alive.server_id = r->id;
  m.u.keep_alive.handle = (CodecBytes) { handle, handle_len };
  if (rp->conn != NULL && rp->conn->assoc != NULL)
    registrar_send (r, rp->conn->assoc, &m);
  r->c.keep_alives++;
  sim_kernel_cancel (r->kernel, rp->timer);
  rp->waiting = TRUE;
  rp->probe = probe;
  rp->timer = sim_kernel_schedule (r->kernel, r->cfg.keep_alive_timeout, ka_fired, r, rp);
}

/*
 * Remove a PE this registrar decided is gone; announce DEL_PE when it owned
 * it (RFC 5353 §3.3.1: the home announces) or when the PE itself asked.
 */
static void
remove_pe (Registrar *r, HsPoolElement *pe, gboolean announce)
{
  registrar_pe_forget (r, pe);
  if (announce)
    registrar_enrp_update (r, pe, CODEC_UPDATE_DEL_PE);
  hs_handlespace_remove (r->hs, pe);
}

static void
ka_fired (SimKernel *k, gpointer ctx, gpointer data)
{
  Registrar *r = ctx;
  RegPe *rp = data;
  rp->timer = SIM_EVENT_NONE;
  if (!rp->waiting)
    {
      ka_send (r, rp, FALSE, FALSE);
      return;
    }
  /* No ACK in time: RFC 5352 §3.5 (rsplib's keep-alive timeout). */
  r->c.keep_alive_timeouts++;
  remove_pe (r, rp->pe, hs_pe_get_home_registrar (rp->pe) == r->id);
}

void
registrar_pe_sync_ownership (Registrar *r, HsPoolElement *pe, gboolean home_flag)
{
  RegPe *rp = g_hash_table_lookup (r->pes, pe);
  if (hs_pe_get_home_registrar (pe) == r->id)
    {
      rp = pe_state (r, pe);
      if (!rp->owned)
        {
          /* Newly ours without a registration (takeover, import): ask it to adopt us (RFC 5353 §3.5). */
          rp->owned = TRUE;
          ka_send (r, rp, home_flag, FALSE);
        }
      return;
    }
  if (rp == NULL)
    return;
  rp->owned = FALSE;
  if (!rp->probe)
    registrar_pe_forget (r, pe);
}

/* ---- decisions (hooks for RFC 5355 mitigations) ---------------------------------------- */

static gboolean
addrs_bound (const HsTransport *t, NetAssoc *assoc)
{
  const GArray *peer = net_assoc_peer_addrs (assoc);
  for (guint i = 0; i < t->n_addrs; i++)
    {
      if (t->addrs[i].family != HS_AF_IPV4)
        return FALSE;
      NetAddr a = addr_from_hs (&t->addrs[i]);
      gboolean found = FALSE;
      for (guint k = 0; k < peer->len && !found; k++)
        found = g_array_index (peer, NetAddr, k) == a;
      if (!found)
        return FALSE;
    }
  return TRUE;
}

/* The TLS identity of conn's peer (PSK identity or certificate CN), or NULL. */
static const char *
conn_identity (const RegAsapConn *conn)
{
  return conn->assoc != NULL ? rsp_security_peer_identity (conn->assoc) : NULL;
}

/*
 * RFC 5355 §2.3.3 with TLS: a PE registered by a TLS identity (a PSK or a
 * certificate) is that identity's; only the same may update or de-register
 * it (a PE registered without one binds nothing here).
 */
static gboolean
key_bound (Registrar *r, const RegAsapConn *conn, HsPoolElement *pe)
{
  const RegPe *rp = g_hash_table_lookup (r->pes, pe);
  if (rp == NULL || rp->identity == NULL)
    return TRUE;
  const char *id = conn_identity (conn);
  return id != NULL && strcmp (id, rp->identity) == 0;
}

/*
 * The credential of one-pe-per-credential: the TLS identity, else the
 * association's peer address (text, so both live in one table).
 */
static char *
conn_credential (const RegAsapConn *conn)
{
  const char *id = conn_identity (conn);
  if (id != NULL)
    return g_strconcat ("tls:", id, NULL);
  char addr[16];
  net_addr_format (net_assoc_peer_addr (conn->assoc), addr, sizeof addr);
  return g_strconcat ("addr:", addr, NULL);
}

/*
 * RFC 5355 §3 (and §2.15: the database is all secure or nothing): with
 * secure.pe-registrar on, a registration must come over TLS from a PE's
 * identity (§2.1, §2.2: its key, or with cert its certificate), authorized
 * for the pool (§2.4, when registrar.pool-authorization).
 */
static RegCause
registrar_may_register_securely (Registrar *r, RegAsapConn *conn, const guint8 *handle, gsize handle_len)
{
  SecureMode mode = rsp_security_mode (r->sec, SECURE_CLASS_PE_REGISTRAR);
  if (mode == SECURE_MODE_NONE)
    return REG_OK;
  if (!rsp_security_is_secure (conn->assoc))
    {
      if (r->cfg.mixed_database)
        return REG_OK;   /* §2.15: the mixed database takes it (marked insecure) */
      r->c.registrations_refused_security++;
      return CODEC_CAUSE_REJECTED_SECURITY;
    }
  const char *id = conn_identity (conn);
  if (!rsp_security_has_role (r->sec, id, RSP_ROLE_PE))
    {
      r->c.registrations_refused_security++;
      return CODEC_CAUSE_REJECTED_SECURITY;
    }
  if (r->cfg.pool_authorization && !rsp_security_may_serve (r->sec, id, handle, handle_len))
    {
      r->c.registrations_refused_pool++;
      return CODEC_CAUSE_REJECTED_SECURITY;
    }
  return REG_OK;
}

/*
 * May this association speak for the PE identity (handle, pe_id)? RFC 5355
 * §2.3.3: "A PE can register only for itself"; RFC 5352 §2.2.2: no
 * de-registration by proxy. An identity not in the handlespace is free; a
 * registered one belongs to the host of its user transport addresses (RFC
 * 5352 §3.1 R1 bound them to that PE's association), so an update or a
 * de-registration must come from an association bound to them: another
 * host re-registering the identity with its own addresses hijacks it.
 */
static gboolean
identity_bound (Registrar *r, RegAsapConn *conn, const guint8 *handle, gsize handle_len, guint32 pe_id)
{
  HsPoolElement *pe = hs_handlespace_find (r->hs, handle, handle_len, pe_id);
  if (pe == NULL)
    return TRUE;
  if (!key_bound (r, conn, pe))
    return FALSE;
  HsTransport t;
  hs_pe_get_user_transport (pe, &t);
  return addrs_bound (&t, conn->assoc);
}

static gboolean rate_exceeded (Registrar *r, RateWindow *rate, double max);

/*
 * May this association register this PE? RFC 5352 §3.1 R1: a PE's SCTP
 * endpoint is bound to every address the PE serves on, so its user transport
 * addresses are a subset of the association's; anything else advertises a
 * third party, refused under rule 5 ("authentication failure") with
 * "Rejected due to security considerations".
 */

static RegCause
registrar_may_register (Registrar *r, RegAsapConn *conn, const guint8 *handle, gsize handle_len,
                        const HsRegistration *reg)
{
  RegCause sec = registrar_may_register_securely (r, conn, handle, handle_len);
  if (sec != REG_OK)
    return sec;
  HsPoolElement *held = hs_handlespace_find (r->hs, handle, handle_len, reg->pe_id);
  if (held != NULL && !key_bound (r, conn, held))
    {
      r->c.registrations_refused_binding++;
      return CODEC_CAUSE_REJECTED_SECURITY;
    }
  if (r->cfg.address_binding && !addrs_bound (&reg->user, conn->assoc))
    {
      r->c.registrations_refused_binding++;
      return CODEC_CAUSE_REJECTED_SECURITY;
    }
  if (r->cfg.address_binding && !identity_bound (r, conn, handle, handle_len, reg->pe_id))
    {
      r->c.registrations_refused_binding++;
      return CODEC_CAUSE_REJECTED_SECURITY;
    }
  /*
   * RFC 5355 §2.1, §2.3: a PE registers only itself. With
   * one-pe-per-credential, the credential (the TLS-PSK identity, else the
   * association's peer address: conn_credential) may hold one PE identity:
   * another identity is refused while the first is registered.
   */
  if (r->cfg.one_pe_per_credential)
    {
      g_autofree char *key = conn_credential (conn);
      gpointer other;
      if (g_hash_table_lookup_extended (r->credential_pe, key, NULL, &other)
          && GPOINTER_TO_UINT (other) != reg->pe_id
          && hs_handlespace_find (r->hs, handle, handle_len, GPOINTER_TO_UINT (other)) != NULL)
        {
          r->c.registrations_refused_identity++;
          return CODEC_CAUSE_REJECTED_SECURITY;
        }
    }
  /*
   * RFC 5355 §2.1: a stream of registrations and deregistrations of
   * non-existent PEs creates state at a very rapid rate; one identity at a
   * time does not bound it (each fake PE is deregistered before the next).
   * With registration-rate-limit, registrations that would create a PE
   * identity are judged per credential by the per-PU rate estimator;
   * refreshes of a registered identity (every re-registration, every load
   * change) are never judged.
   */
  if (r->cfg.max_registration_rate > 0 && hs_handlespace_find (r->hs, handle, handle_len, reg->pe_id) == NULL)
    {
      g_autofree char *key = conn_credential (conn);
      RateWindow *rate = g_hash_table_lookup (r->credential_rate, key);
      if (rate == NULL)
        {
          rate = g_new0 (RateWindow, 1);
          g_hash_table_insert (r->credential_rate, g_strdup (key), rate);
        }
      if (rate_exceeded (r, rate, r->cfg.max_registration_rate))
        {
          r->c.registrations_refused_rate++;
          return CODEC_CAUSE_REJECTED_SECURITY;
        }
    }
  return REG_OK;
}

/* Remember which identity a credential registered (one-pe-per-credential). */
static void
credential_note (Registrar *r, RegAsapConn *conn, guint32 pe_id)
{
  if (r->cfg.one_pe_per_credential)
    g_hash_table_insert (r->credential_pe, conn_credential (conn), GUINT_TO_POINTER (pe_id));
}

/* One arrival at the registrar's rate estimator (models/rate.h). */
static gboolean
rate_exceeded (Registrar *r, RateWindow *rate, double max)
{
  return rate_window_exceeded (rate, sim_kernel_now (r->kernel), max, r->cfg.rate_window, r->cfg.rate_burst);
}

/* RFC 5355 §2.13, PAPERS §2.3: may this association have another handle resolution answered? */
static gboolean
registrar_may_resolve (Registrar *r, RegAsapConn *conn)
{
  return !rate_exceeded (r, &conn->hr_rate, r->cfg.max_hr_rate);
}

/* RFC 5355 §2.13: may this association's ENDPOINT_UNREACHABLE count against a PE? */
static gboolean
registrar_may_take_unreachable (Registrar *r, RegAsapConn *conn)
{
  return !rate_exceeded (r, &conn->eu_rate, r->cfg.max_eu_rate);
}

/* RFC 5352 §2.2.2: de-registration is not allowed by proxy; a PE may only de-register itself. */
static RegCause
registrar_may_deregister (Registrar *r, RegAsapConn *conn, HsPoolElement *pe)
{
  if (rsp_security_mode (r->sec, SECURE_CLASS_PE_REGISTRAR) != SECURE_MODE_NONE
      && !rsp_security_is_secure (conn->assoc) && !r->cfg.mixed_database)
    {
      r->c.deregistrations_refused_security++;
      return CODEC_CAUSE_REJECTED_SECURITY;
    }
  if (!key_bound (r, conn, pe))
    {
      r->c.deregistrations_refused++;
      return CODEC_CAUSE_REJECTED_SECURITY;
    }
  if (!r->cfg.address_binding)
    return REG_OK;
  HsTransport t;
  hs_pe_get_user_transport (pe, &t);
  if (addrs_bound (&t, conn->assoc))
    return REG_OK;
  r->c.deregistrations_refused++;
  return CODEC_CAUSE_REJECTED_SECURITY;
}

/*
 * Does this report remove the PE? RFC 5352 §3.5 counts reports against
 * MAX-BAD-PE-REPORT ("exceeds"); poolsim removes when the count reaches it,
 * as rsplib and rspsim do (so the RFC's threshold N is N + 1 here).
 */
static gboolean
registrar_unreachable_removes (Registrar *r, HsPoolElement *pe, guint count)
{
  return r->cfg.max_bad_pe_reports > 0 && count >= r->cfg.max_bad_pe_reports;
}

/* ---- registration (RFC 5352 §3.1) --------------------------------------------------------- */

/* The PE parameter of a registration as the Invalid Values cause wants it: the TLV as received. */
static GBytes *
pe_param_tlv (const CodecRegistration *reg)
{
  CodecMessage m = { 0 };
  m.type = CODEC_ASAP_REGISTRATION;
  m.u.registration = *reg;
  g_autoptr (GByteArray) b = g_byte_array_new ();
  if (codec_encode (&m, b) == 0)
    return NULL;
  gsize off = 4 + 4 + ((reg->handle.len + 3) & ~(gsize) 3);
  if (b->len < off + 4)
    return NULL;
  gsize tlv = ((gsize) b->data[off + 2] << 8) | b->data[off + 3];
  return g_bytes_new (b->data + off, MIN (tlv, b->len - off));
}

static void
send_registration_reject (Registrar *r, RegAsapConn *conn, const CodecRegistration *reg, RegCause cause)
{
  CodecErrorCause c = { .code = (guint16) cause };
  CodecOperationError oe = { 1, &c };
  CodecAddress addr;
  g_autoptr (GBytes) tlv = NULL;
  HsPool *pool = hs_handlespace_find_pool (r->hs, reg->handle.data, reg->handle.len);
  if (cause == CODEC_CAUSE_INCONSISTENT_POLICY && pool != NULL)
    c.policy.type = hs_pool_get_policy_type (pool);   /* the pool's overall policy (RFC 5354 §3.12) */
  else if (cause == CODEC_CAUSE_INCONSISTENT_TRANSPORT && pool != NULL)
    {
      /* A transport parameter of the pool's type and use (RFC 5354 §3.12), with the PE's address. */
      c.transport = reg->pe.user_transport;
      c.transport.type = (CodecParamType) hs_pool_get_transport_type (pool);
      c.transport.use = hs_pool_get_transport_use (pool);
      c.transport.n_addrs = 1;
      addr = reg->pe.user_transport.addrs[0];
      c.transport.addrs = &addr;
      c.transport.opaque = (CodecBytes) { NULL, 0 };
    }
  else if (cause == CODEC_CAUSE_INCONSISTENT_POLICY || cause == CODEC_CAUSE_INCONSISTENT_TRANSPORT)
    c.code = CODEC_CAUSE_UNSPECIFIED;
  else if (cause == CODEC_CAUSE_INVALID_VALUES && (tlv = pe_param_tlv (reg)) != NULL)
    {
      gsize n;
      c.info.data = g_bytes_get_data (tlv, &n);
      c.info.len = n;
    }
  CodecMessage m = { 0 };
  m.type = CODEC_ASAP_REGISTRATION_RESPONSE;
  m.flags = CODEC_FLAG_REGISTRATION_RESPONSE_REJECT;
  m.u.pe_ref.handle = reg->handle;
  m.u.pe_ref.pe_id = reg->pe.pe_id;
  m.u.pe_ref.error = &oe;
  r->c.registrations_rejected++;
  registrar_send (r, conn->assoc, &m);
}

static void
handle_registration (Registrar *r, RegAsapConn *conn, const CodecMessage *msg)
{
  const CodecRegistration *reg = &msg->u.registration;
  HsRegistration hreg;
  RegCause cause;
  if (reg->handle.len > REGISTRAR_MAX_HANDLE)
    cause = CODEC_CAUSE_LACK_OF_RESOURCES;   /* rule 5: an implementation limit */
  else
    {
      HsResult res = registrar_registration_from_codec (&reg->pe, &hreg);
      cause = res == HS_OK ? REG_OK : (RegCause) res;
    }
  if (cause == REG_OK)
    cause = registrar_may_register (r, conn, reg->handle.data, reg->handle.len, &hreg);
  HsPoolElement *pe = NULL;
  gboolean created = FALSE;
  if (cause == REG_OK)
    {
      /* Rule 4: this registrar owns it; the ASAP transport is the association's. */
      hreg.home_registrar = r->id;
      hreg.credential = conn->id;
      memset (&hreg.asap, 0, sizeof hreg.asap);
      hreg.asap.type = HS_TRANSPORT_SCTP;
      hreg.asap.use = HS_USE_DATA;
      hreg.asap.port = net_assoc_peer_port (conn->assoc);
      const GArray *peer = net_assoc_peer_addrs (conn->assoc);
      hreg.asap.n_addrs = MIN (peer->len, HS_MAX_ADDRESSES);
      for (guint i = 0; i < hreg.asap.n_addrs; i++)
        addr_to_hs (g_array_index (peer, NetAddr, i), &hreg.asap.addrs[i]);
      HsResult res = hs_handlespace_register (r->hs, reg->handle.data, reg->handle.len, &hreg,
                                              HS_REGISTER_NONE, &pe, &created);
      cause = res == HS_OK ? REG_OK : (RegCause) res;
    }
  if (cause != REG_OK)
    {
      send_registration_reject (r, conn, reg, cause);
      return;
    }
  r->c.registrations++;
  r->c.registrations_new += created;
  credential_note (r, conn, reg->pe.pe_id);
  RegPe *rp = pe_state (r, pe);
  const char *identity = conn_identity (conn);
  rp->identity = identity != NULL ? g_intern_string (identity) : NULL;
  rp->insecure = rsp_security_mode (r->sec, SECURE_CLASS_PE_REGISTRAR) != SECURE_MODE_NONE
                 && !rsp_security_is_secure (conn->assoc);
  r->c.registrations_insecure += rp->insecure;
  rp->owned = TRUE;
  pe_link (rp, conn);
  ka_schedule_next (r, rp);
  CodecMessage m = { 0 };
  m.type = CODEC_ASAP_REGISTRATION_RESPONSE;
  m.u.pe_ref.handle = reg->handle;
  m.u.pe_ref.pe_id = reg->pe.pe_id;
  registrar_send (r, conn->assoc, &m);
  /* RFC 5352 §3.1: a granted registration is announced to the peers. */
  registrar_enrp_update (r, pe, CODEC_UPDATE_ADD_PE);
}

/* ---- deregistration (RFC 5352 §3.2) ---------------------------------------------------------- */

static void
handle_deregistration (Registrar *r, RegAsapConn *conn, const CodecMessage *msg)
{
  const CodecPeRef *ref = &msg->u.pe_ref;
  CodecMessage m = { 0 };
  m.type = CODEC_ASAP_DEREGISTRATION_RESPONSE;
  m.u.pe_ref.handle = ref->handle;
  m.u.pe_ref.pe_id = ref->pe_id;
  CodecErrorCause c = { 0 };
  CodecOperationError oe = { 1, &c };
  HsPoolElement *pe = hs_handlespace_find (r->hs, ref->handle.data, ref->handle.len, ref->pe_id);
  if (pe != NULL)
    {
      RegCause cause = registrar_may_deregister (r, conn, pe);
      if (cause == REG_OK)
        {
          r->c.deregistrations++;
          remove_pe (r, pe, TRUE);
        }
      else
        {
          c.code = (guint16) cause;
          m.u.pe_ref.error = &oe;
        }
    }
  /* An unknown PE counts as de-registered: answer all the same. */
  registrar_send (r, conn->assoc, &m);
}

/* ---- handle resolution (RFC 5352 §3.3) ---------------------------------------------------------- */

/* Most PE parameters that fit in one answer for a handle of this length. */
static guint
hr_capacity (gsize handle_len)
{
  gsize fixed = 4 + 4 + ((handle_len + 3) & ~(gsize) 3) + 20;
  return (guint) ((CODEC_MAX_MESSAGE - fixed) / REGISTRAR_PE_PARAM_MAX);
}

static void
handle_resolution (Registrar *r, RegAsapConn *conn, const CodecMessage *msg)
{
  const CodecBytes *h = &msg->u.handle_resolution.handle;
  if (rsp_security_mode (r->sec, SECURE_CLASS_PU_REGISTRAR) != SECURE_MODE_NONE
      && !rsp_security_is_secure (conn->assoc))
    {
      /* RFC 5355 §2.7, §3: resolutions only over TLS. */
      CodecMessage m = { 0 };
      m.type = CODEC_ASAP_HANDLE_RESOLUTION_RESPONSE;
      m.u.handle_resolution_response.handle = *h;
      CodecErrorCause c = { .code = CODEC_CAUSE_REJECTED_SECURITY };
      CodecOperationError oe = { 1, &c };
      m.u.handle_resolution_response.error = &oe;
      r->c.resolutions_refused_security++;
      registrar_send (r, conn->assoc, &m);
      return;
    }
  if (!registrar_may_resolve (r, conn))
    {
      r->c.resolutions_refused++;   /* dropped: the PU's request timer handles it */
      return;
    }
  CodecMessage m = { 0 };
  m.type = CODEC_ASAP_HANDLE_RESOLUTION_RESPONSE;
  m.u.handle_resolution_response.handle = *h;
  HsPool *pool = h->len <= REGISTRAR_MAX_HANDLE ? hs_handlespace_find_pool (r->hs, h->data, h->len) : NULL;
  if (pool == NULL)
    {
      CodecErrorCause c = { .code = CODEC_CAUSE_UNKNOWN_POOL_HANDLE };
      CodecOperationError oe = { 1, &c };
      m.u.handle_resolution_response.error = &oe;
      r->c.resolutions_unknown++;
      registrar_send (r, conn->assoc, &m);
      if (r->observer != NULL)
        r->observer (r, h->data, h->len, NULL, 0, r->observer_data);
      return;
    }
  guint max = hr_capacity (h->len);
  if (r->cfg.max_hr_items > 0)
    max = MIN (max, r->cfg.max_hr_items);
  g_ptr_array_set_size (r->scratch_sel, max);
  HsPoolElement **sel = (HsPoolElement **) r->scratch_sel->pdata;
  guint n = hs_pool_select (pool, &r->rng_select, sel, max);
  CodecPoolElement *pes = registrar_scratch_pes (r, n);
  g_array_set_size (r->scratch_ids, n);
  for (guint i = 0; i < n; i++)
    {
      registrar_pe_to_codec (r, sel[i], i);
      g_array_index (r->scratch_ids, guint32, i) = hs_pe_get_id (sel[i]);
      const RegPe *rp = g_hash_table_lookup (r->pes, sel[i]);
      r->c.resolutions_insecure_pes += rp != NULL && rp->insecure;
    }
  CodecHandleResolutionResponse *hr = &m.u.handle_resolution_response;
  hr->n_pes = n;
  hr->pes = pes;
  /* RFC 5352 §3.3: the overall policy MUST be present unless it is Round Robin. */
  guint32 policy = hs_pool_get_policy_type (pool);
  if (policy != HS_POLICY_RR)
    {
      hr->has_policy = TRUE;
      hr->policy.type = policy;
    }
  r->c.resolutions++;
  registrar_send (r, conn->assoc, &m);
  if (r->observer != NULL)
    r->observer (r, h->data, h->len, (const guint32 *) (gpointer) r->scratch_ids->data, n, r->observer_data);
}

/* ---- keep-alive ACK, unreachable reports (RFC 5352 §3.4, §3.5) ------------------------------------- */

static void
handle_keep_alive_ack (Registrar *r, const CodecMessage *msg)
{
  const CodecPeRef *ref = &msg->u.pe_ref;
  HsPoolElement *pe = hs_handlespace_find (r->hs, ref->handle.data, ref->handle.len, ref->pe_id);
  RegPe *rp = pe != NULL ? g_hash_table_lookup (r->pes, pe) : NULL;
  if (rp == NULL || !rp->waiting)
    return;
  if (rp->owned)
    ka_schedule_next (r, rp);
  else
    registrar_pe_forget (r, pe);
}

static void
handle_unreachable (Registrar *r, RegAsapConn *conn, const CodecMessage *msg)
{
  const CodecPeRef *ref = &msg->u.pe_ref;
  if (rsp_security_mode (r->sec, SECURE_CLASS_PU_REGISTRAR) != SECURE_MODE_NONE
      && !rsp_security_is_secure (conn->assoc))
    {
      r->c.unreachable_refused_security++;   /* RFC 5355 §3: reports only over TLS */
      return;
    }
  if (!registrar_may_take_unreachable (r, conn))
    {
      r->c.unreachable_refused++;
      return;
    }
  HsPoolElement *pe = hs_handlespace_find (r->hs, ref->handle.data, ref->handle.len, ref->pe_id);
  if (pe == NULL)
    return;
  r->c.unreachable_reports++;
  guint count = hs_pe_report_unreachable (pe);
  if (registrar_unreachable_removes (r, pe, count))
    {
      r->c.unreachable_removals++;
      remove_pe (r, pe, hs_pe_get_home_registrar (pe) == r->id);
      return;
    }
  if (!r->cfg.unreachable_probe)
    return;
  /* RFC 5352 §3.5: probe at once with a point-to-point keep-alive (H = 0). */
  RegPe *rp = pe_state (r, pe);
  if (!rp->waiting)
    ka_send (r, rp, FALSE, TRUE);
}

/* ---- message dispatch ----------------------------------------------------------------------------- */

static void
asap_receive (NetAssoc *assoc, const NetMessage *nm, gpointer user_data)
{
  RegAsapConn *conn = user_data;
  Registrar *r = conn->r;
  g_auto (CodecMessage) msg = { 0 };
  if (!registrar_receive (r, assoc, nm, &msg))
    return;
  switch (msg.type)
    {
    case CODEC_ASAP_REGISTRATION:
      handle_registration (r, conn, &msg);
      break;
    case CODEC_ASAP_DEREGISTRATION:
      handle_deregistration (r, conn, &msg);
      break;
    case CODEC_ASAP_HANDLE_RESOLUTION:
      handle_resolution (r, conn, &msg);
      break;
    case CODEC_ASAP_ENDPOINT_KEEP_ALIVE_ACK:
      handle_keep_alive_ack (r, &msg);
      break;
    case CODEC_ASAP_ENDPOINT_UNREACHABLE:
      handle_unreachable (r, conn, &msg);
      break;
    case CODEC_ASAP_ERROR:
      break;   /* counted; nothing a registrar must do */
    default:
      r->c.unexpected++;
      break;
    }
}

static void
asap_event (NetAssoc *assoc, NetAssocEvent ev, gpointer user_data)
{
  RegAsapConn *conn = user_data;
  Registrar *r = conn->r;
  if (ev == NET_ASSOC_UP)
    return;
  /* Terminal: PEs waiting for an ACK through it could not be reached (RFC 5352 §3.5 send failure). */
  conn->assoc = NULL;
  GPtrArray *failed = g_ptr_array_new ();
  for (RegPe *rp = conn->pes; rp != NULL; rp = rp->next)
    if (rp->waiting)
      g_ptr_array_add (failed, rp->pe);
  conn_free (conn);
  for (guint i = 0; i < failed->len; i++)
    {
      HsPoolElement *pe = g_ptr_array_index (failed, i);
      r->c.send_failures++;
      remove_pe (r, pe, hs_pe_get_home_registrar (pe) == r->id);
    }
  g_ptr_array_unref (failed);
}

static gboolean
asap_accept (NetListener *l, NetAssoc *assoc, gpointer user_data)
{
  Registrar *r = user_data;
  RegAsapConn *conn = conn_new (r, assoc, FALSE, 0);
  net_assoc_set_callbacks (assoc, &asap_callbacks, conn);
  if (l == r->asap_tls_listener)
    rsp_security_server (r->sec, SECURE_CLASS_PE_REGISTRAR, RSP_ROLE_REGISTRAR, r->host, assoc);
  return TRUE;
}

/* ---- lifetime expiry ------------------------------------------------------------------------------- */

void
registrar_asap_expired (HsHandlespace *hs, HsPoolElement *pe, gpointer user_data)
{
  Registrar *r = user_data;
  r->c.expiries++;
  if (hs_pe_get_home_registrar (pe) == r->id)
    {
      /* RFC 5352 §2.2.4: the home tells the PE its registration life ran out; §3.3.1 of RFC 5353: peers. */
      RegPe *rp = g_hash_table_lookup (r->pes, pe);
      if (rp != NULL && rp->conn != NULL && rp->conn->assoc != NULL)
        {
          gsize len;
          const guint8 *handle = hs_pool_get_handle (hs_pe_get_pool (pe), &len);
          CodecMessage m = { 0 };
          m.type = CODEC_ASAP_DEREGISTRATION_RESPONSE;
          m.u.pe_ref.handle = (CodecBytes) { handle, len };
          m.u.pe_ref.pe_id = hs_pe_get_id (pe);
          registrar_send (r, rp->conn->assoc, &m);
        }
      registrar_enrp_update (r, pe, CODEC_UPDATE_DEL_PE);
    }
  registrar_pe_forget (r, pe);
}

/* ---- server announces (RFC 5352 §3.6) ------------------------------------------------------------------- */

static gboolean
announcer_outdated (gpointer key, gpointer value, gpointer user_data)
{
  const Registrar *r = user_data;
  return *(const SimTime *) value + r->cfg.announce_timeout <= sim_kernel_now (r->kernel);
}

static void
announce_fired (SimKernel *k, gpointer ctx, gpointer data)
{
  Registrar *r = ctx;
  CodecAddress addrs[HS_MAX_ADDRESSES];
  guint n = MIN (net_host_n_addresses (r->host), HS_MAX_ADDRESSES);
  for (guint i = 0; i < n; i++)
    {
      HsAddress a;
      addr_to_hs (net_host_address (r->host, i), &a);
      addrs[i].family = 4;
      memcpy (addrs[i].bytes, a.bytes, 16);
    }
  CodecTransport t = { 0 };
  t.type = CODEC_PARAM_SCTP_TRANSPORT;
  t.port = RSP_ASAP_PORT;
  t.use = CODEC_TRANSPORT_USE_DATA_ONLY;
  t.n_addrs = n;
  t.addrs = addrs;
  CodecMessage m = { 0 };
  m.type = CODEC_ASAP_SERVER_ANNOUNCE;
  m.u.server_announce.server_id = r->id;
  m.u.server_announce.n_transports = 1;
  m.u.server_announce.transports = &t;
  rsp_send_udp (r->net, r->udp, r->announce_group, RSP_ASAP_PORT, &m);
  r->c.tx[registrar_msg_index (m.type)]++;
  r->c.announces++;
  /* Every (N + 1) x T6, N = other registrars heard announcing within T7. */
  g_hash_table_foreach_remove (r->announcers, announcer_outdated, r);
  guint others = g_hash_table_size (r->announcers);
  r->announce_timer = sim_kernel_schedule (k, (SimTime) (others + 1) * r->cfg.announce_cycle, announce_fired, r, NULL);
}

static void
udp_receive (NetUdpSocket *sock, const NetDatagram *d, gpointer user_data)
{
  Registrar *r = user_data;
  g_auto (CodecMessage) msg = { 0 };
  CodecError err;
  if (!rsp_decode_datagram (d, CODEC_PROTO_ASAP, &msg, &err))
    {
      r->c.decode_errors[MIN (err.code, G_N_ELEMENTS (r->c.decode_errors) - 1)]++;
      return;
    }
  registrar_count_rx (r, &msg);
  if (msg.type != CODEC_ASAP_SERVER_ANNOUNCE)
    {
      r->c.unexpected++;
      return;
    }
  if (msg.u.server_announce.server_id == r->id)
    return;
  SimTime *t = g_new (SimTime, 1);
  *t = sim_kernel_now (r->kernel);
  g_hash_table_replace (r->announcers, GUINT_TO_POINTER (msg.u.server_announce.server_id), t);
}

void
registrar_asap_start_serving (Registrar *r)
{
  if (r->cfg.announce && r->announce_timer == SIM_EVENT_NONE)
    r->announce_timer = sim_kernel_schedule (r->kernel, 0, announce_fired, r, NULL);
}

/* ---- open and close ------------------------------------------------------------------------------------ */

void
registrar_asap_open (Registrar *r)
{
  r->asap_listener = net_listen (r->host, RSP_ASAP_PORT, asap_accept, r);
  g_assert (r->asap_listener != NULL);
  if (rsp_security_mode (r->sec, SECURE_CLASS_PE_REGISTRAR) != SECURE_MODE_NONE
      || rsp_security_mode (r->sec, SECURE_CLASS_PU_REGISTRAR) != SECURE_MODE_NONE)
    {
      r->asap_tls_listener = net_listen (r->host, SECURE_ASAP_TLS_PORT, asap_accept, r);
      g_assert (r->asap_tls_listener != NULL);
    }
  r->udp = net_udp_open (r->host, RSP_ASAP_PORT, udp_receive, r);
  g_assert (r->udp != NULL);
  net_udp_join (r->udp, r->announce_group);
}

void
registrar_asap_close (Registrar *r, gboolean host_down)
{
  sim_kernel_cancel (r->kernel, r->announce_timer);
  r->announce_timer = SIM_EVENT_NONE;
  g_hash_table_remove_all (r->announcers);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, r->pes);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      RegPe *rp = value;
      sim_kernel_cancel (r->kernel, rp->timer);
      g_free (rp);
    }
  g_hash_table_remove_all (r->pes);
  g_hash_table_remove_all (r->credential_pe);
  g_hash_table_remove_all (r->credential_rate);
  g_hash_table_remove_all (r->out_conns);
  while (r->conns != NULL)
    {
      RegAsapConn *conn = r->conns;
      conn->pes = NULL;   /* their RegPe are gone */
      conn->key = 0;
      if (!host_down && conn->assoc != NULL)
        net_assoc_abort (conn->assoc);
      conn_free (conn);
    }
  if (!host_down)
    {
      net_listener_close (r->asap_listener);
      if (r->asap_tls_listener != NULL)
        net_listener_close (r->asap_tls_listener);
      net_udp_close (r->udp);
    }
  r->asap_listener = NULL;
  r->asap_tls_listener = NULL;
  r->udp = NULL;
}
