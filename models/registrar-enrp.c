/*
 * models/registrar-enrp.c - the registrar's ENRP server side (RFC 5353 §3):
 * mentor discovery, list and handle-table exchange with M-flag paging,
 * handle updates, presence and liveness, takeover arbitration, audit and
 * resynchronisation.
 *
 * Associations: a registrar sends to a peer only over the association it
 * opened to that peer's ENRP port, so the messages from one server to another
 * arrive in the order they were sent (a PRESENCE's checksum then always
 * covers the HANDLE_UPDATEs sent before it). It receives on the associations
 * its peers opened (and, harmlessly, on its own).
 *
 * Peers are kept in an array sorted by server ID: announcements and takeover
 * bookkeeping visit them in that order, independent of arrival orders. The
 * last-heard timer is lazy: it is armed at last_heard + MAX-TIME-LAST-HEARD
 * and, when a message arrived meanwhile, re-armed from the newer time instead
 * of being moved per message.
 *
 * Handle-table paging (RFC 5353 §3.2.2): the responder keeps one cursor per
 * requesting peer (models/handlespace.h: a cursor survives changes between
 * requests); a request while the cursor of the same kind is unfinished
 * continues it, otherwise a new transfer starts. A response holds at most
 * registrar.handle-table-max-pes PEs and always fits one message (pool
 * handles are at most REGISTRAR_MAX_HANDLE bytes).
 *
 * Decision hook: registrar_may_apply_update() (RFC 5355 §2.5: a rogue
 * server's updates).
 */
#include "config.h"

#include "models/registrar-private.h"

#include <string.h>

static void enrp_out_event (NetAssoc *assoc, NetAssocEvent ev, gpointer user_data);
static void enrp_in_event (NetAssoc *assoc, NetAssocEvent ev, gpointer user_data);
static void enrp_receive (NetAssoc *assoc, const NetMessage *m, gpointer user_data);
static const NetAssocCallbacks enrp_out_callbacks = { enrp_out_event, enrp_receive };
static const NetAssocCallbacks enrp_in_callbacks = { enrp_in_event, enrp_receive };

static void start_serving (Registrar *r);
static void try_next_mentor (Registrar *r);
static void peer_dead (Registrar *r, RegPeer *p);
static void takeover_finish (Registrar *r, RegPeer *t);

/* ---- peers ---------------------------------------------------------------------- */

static guint
peer_index (const Registrar *r, guint32 id, gboolean *found)
{
  guint lo = 0, hi = r->peers->len;
  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;
      const RegPeer *p = g_ptr_array_index (r->peers, mid);
      if (p->id < id)
        lo = mid + 1;
      else
        hi = mid;
    }
  *found = lo < r->peers->len && ((const RegPeer *) g_ptr_array_index (r->peers, lo))->id == id;
  return lo;
}

static RegPeer *
peer_find (const Registrar *r, guint32 id)
{
  gboolean found;
  guint i = peer_index (r, id, &found);
  return found ? g_ptr_array_index (r->peers, i) : NULL;
}

static NetAssoc *
enrp_connect (Registrar *r, NetAddr addr)
{
  guint16 port = rsp_security_port (r->sec, SECURE_CLASS_REGISTRAR_REGISTRAR, RSP_ENRP_PORT, SECURE_ENRP_TLS_PORT);
  NetAssoc *a = net_assoc_connect (r->host, addr, port, &enrp_out_callbacks, r);
  rsp_security_client (r->sec, SECURE_CLASS_REGISTRAR_REGISTRAR, RSP_ROLE_REGISTRAR, r->host, a);
  g_ptr_array_add (r->enrp_out, a);
  return a;
}

/* Send m to p; receiver ID 0 for announcements (RFC 5353 §2.2: group-cast). */
static void
peer_send (Registrar *r, RegPeer *p, CodecMessage *m, gboolean announcement)
{
  m->sender_id = r->id;
  m->receiver_id = announcement ? 0 : p->id;
  if (p->out == NULL)
    p->out = enrp_connect (r, p->addr);
  registrar_send (r, p->out, m);
}

/* RFC 5353 §1.1: an announcement is one copy per peer over the associations. */
static void
announce (Registrar *r, CodecMessage *m)
{
  for (guint i = 0; i < r->peers->len; i++)
    peer_send (r, g_ptr_array_index (r->peers, i), m, TRUE);
}

static void last_heard_fired (SimKernel *k, gpointer ctx, gpointer data);

static void
peer_arm_last_heard (Registrar *r, RegPeer *p)
{
  sim_kernel_cancel (r->kernel, p->timer);
  p->timer = sim_kernel_schedule_at (r->kernel, p->last_heard + r->cfg.max_time_last_heard, last_heard_fired, r, p);
}

static RegPeer *
peer_add (Registrar *r, guint32 id, NetAddr addr)
{
  gboolean found;
  guint i = peer_index (r, id, &found);
  g_assert (!found);
  RegPeer *p = g_new0 (RegPeer, 1);
  p->r = r;
  p->id = id;
  p->addr = addr;
  p->state = PEER_ACTIVE;
  p->last_heard = sim_kernel_now (r->kernel);
  if (r->mentor != NULL && net_assoc_peer_addr (r->mentor) == addr)
    {
      /* The association opened to ask this server for the list: it is now the one to it. */
      p->out = r->mentor;
      r->mentor = NULL;
    }
  g_ptr_array_insert (r->peers, (gint) i, p);
  peer_arm_last_heard (r, p);
  return p;
}

static void
peer_free (Registrar *r, RegPeer *p, gboolean host_down)
{
  sim_kernel_cancel (r->kernel, p->timer);
  sim_kernel_cancel (r->kernel, p->htr_timer);
  sim_kernel_cancel (r->kernel, p->export_timer);
  g_clear_pointer (&p->export, hs_cursor_free);
  g_clear_pointer (&p->acks_pending, g_array_unref);
  if (p->out != NULL)
    {
      g_ptr_array_remove (r->enrp_out, p->out);
      if (!host_down)
        net_assoc_abort (p->out);
    }
  g_free (p);
}

/* Drop a peer; takeovers waiting for its acknowledgement go on without it. */
static void
peer_remove (Registrar *r, RegPeer *p)
{
  guint32 id = p->id;
  g_ptr_array_remove (r->peers, p);
  peer_free (r, p, FALSE);
  g_autoptr (GArray) complete = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (guint i = 0; i < r->peers->len; i++)
    {
      RegPeer *t = g_ptr_array_index (r->peers, i);
      if (t->state != PEER_TAKEOVER)
        continue;
      for (guint k = 0; k < t->acks_pending->len; k++)
        if (g_array_index (t->acks_pending, guint32, k) == id)
          {
            g_array_remove_index (t->acks_pending, k);
            if (t->acks_pending->len == 0)
              g_array_append_val (complete, t->id);
            break;
          }
    }
  /* By ID: finishing one takeover removes peers and may finish others first. */
  for (guint i = 0; i < complete->len; i++)
    {
      RegPeer *t = peer_find (r, g_array_index (complete, guint32, i));
      if (t != NULL && t->state == PEER_TAKEOVER)
        takeover_finish (r, t);
    }
}

/* ---- messages ------------------------------------------------------------------------ */

static CodecServerInfo
own_server_info (Registrar *r, CodecAddress *addrs)
{
  guint n = MIN (net_host_n_addresses (r->host), HS_MAX_ADDRESSES);
  for (guint i = 0; i < n; i++)
    {
      NetAddr a = net_host_address (r->host, i);
      memset (&addrs[i], 0, sizeof addrs[i]);
      addrs[i].family = 4;
      addrs[i].bytes[0] = (guint8) (a >> 24);
      addrs[i].bytes[1] = (guint8) (a >> 16);
      addrs[i].bytes[2] = (guint8) (a >> 8);
      addrs[i].bytes[3] = (guint8) a;
    }
  CodecServerInfo si = { 0 };
  si.server_id = r->id;
  si.transport.type = CODEC_PARAM_SCTP_TRANSPORT;
  si.transport.port = RSP_ENRP_PORT;
  si.transport.n_addrs = n;
  si.transport.addrs = addrs;
  return si;
}

/* ENRP_PRESENCE with the own PE checksum (RFC 5353 §2.2.1, §3.6); p NULL = announce. */
static void
send_presence (Registrar *r, RegPeer *p, gboolean reply_required)
{
  CodecAddress addrs[HS_MAX_ADDRESSES];
  CodecMessage m = { 0 };
  m.type = CODEC_ENRP_PRESENCE;
  m.flags = reply_required ? CODEC_FLAG_PRESENCE_REPLY_REQUIRED : 0;
  m.u.presence.has_checksum = TRUE;
  m.u.presence.checksum = hs_handlespace_owner_checksum (r->hs, r->id);
  m.u.presence.has_server_info = TRUE;
  m.u.presence.server_info = own_server_info (r, addrs);
  if (p != NULL)
    peer_send (r, p, &m, FALSE);
  else
    announce (r, &m);
}

static void
send_takeover (Registrar *r, RegPeer *p, CodecMsgType type, guint32 target)
{
  CodecMessage m = { 0 };
  m.type = type;
  m.u.takeover.target_id = target;
  if (p != NULL)
    peer_send (r, p, &m, FALSE);
  else
    announce (r, &m);
}

void
registrar_enrp_update (Registrar *r, HsPoolElement *pe, guint16 action)
{
  if (r->peers->len == 0)
    return;
  CodecMessage m = { 0 };
  m.type = CODEC_ENRP_HANDLE_UPDATE;
  m.u.handle_update.action = action;
  gsize len;
  const guint8 *handle = hs_pool_get_handle (hs_pe_get_pool (pe), &len);
  m.u.handle_update.handle = (CodecBytes) { handle, len };
  registrar_scratch_pes (r, 1);
  registrar_pe_to_codec (r, pe, 0);
  m.u.handle_update.pe = g_array_index (r->scratch_pes, CodecPoolElement, 0);
  announce (r, &m);
}

/* ---- liveness and takeover (RFC 5353 §3.4, §3.5) ------------------------------------------ */

static void
no_response_fired (SimKernel *k, gpointer ctx, gpointer data)
{
  RegPeer *p = data;
  p->timer = SIM_EVENT_NONE;
  peer_dead (ctx, p);
}

/* RFC 5353 §3.4.3: ask a silent peer for a PRESENCE; MAX-TIME-NO-RESPONSE to answer. */
static void
peer_probe (Registrar *r, RegPeer *p)
{
  p->state = PEER_PROBING;
  sim_kernel_cancel (r->kernel, p->timer);
  p->timer = sim_kernel_schedule (r->kernel, r->cfg.max_time_no_response, no_response_fired, r, p);
  send_presence (r, p, TRUE);
}

static void
last_heard_fired (SimKernel *k, gpointer ctx, gpointer data)
{
  Registrar *r = ctx;
  RegPeer *p = data;
  p->timer = SIM_EVENT_NONE;
  if (p->last_heard + r->cfg.max_time_last_heard > sim_kernel_now (k))
    {
      peer_arm_last_heard (r, p);
      return;
    }
  peer_probe (r, p);
}

static void
takeover_expired (SimKernel *k, gpointer ctx, gpointer data)
{
  Registrar *r = ctx;
  RegPeer *t = data;
  t->timer = SIM_EVENT_NONE;
  if (t->state == PEER_TAKEOVER)
    r->c.takeovers_aborted++;
  g_clear_pointer (&t->acks_pending, g_array_unref);
  /* Abandoned (rsplib's takeover expiry); probe again, which leads to a new attempt if it stays silent. */
  peer_probe (r, t);
}

/* RFC 5353 §3.5.1: announce INIT_TAKEOVER and wait for every other peer's acknowledgement. */
static void
takeover_start (Registrar *r, RegPeer *t)
{
  t->state = PEER_TAKEOVER;
  g_clear_pointer (&t->acks_pending, g_array_unref);
  t->acks_pending = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (guint i = 0; i < r->peers->len; i++)
    {
      RegPeer *p = g_ptr_array_index (r->peers, i);
      if (p != t && (p->state == PEER_ACTIVE || p->state == PEER_PROBING))
        g_array_append_val (t->acks_pending, p->id);
    }
  sim_kernel_cancel (r->kernel, t->timer);
  t->timer = sim_kernel_schedule (r->kernel, r->cfg.takeover_expiry, takeover_expired, r, t);
  send_takeover (r, NULL, CODEC_ENRP_INIT_TAKEOVER, t->id);
  if (t->acks_pending->len == 0)
    takeover_finish (r, t);
}

/*
 * RFC 5353 §3.5.2: the winner announces TAKEOVER_SERVER, becomes home of the
 * target's PEs and sends each an ENDPOINT_KEEP_ALIVE with H = 1.
 */
static void
takeover_finish (Registrar *r, RegPeer *t)
{
  guint32 target = t->id;
  send_takeover (r, NULL, CODEC_ENRP_TAKEOVER_SERVER, target);
  peer_remove (r, t);
  guint n = hs_handlespace_take_over (r->hs, target, r->id);
  r->c.takeovers++;
  r->c.pes_taken_over += n;
  g_autoptr (HsCursor) c = hs_cursor_new_owner (r->hs, r->id);
  HsPoolElement *batch[64];
  guint k;
  while ((k = hs_cursor_next (c, batch, G_N_ELEMENTS (batch))) > 0)
    for (guint i = 0; i < k; i++)
      registrar_pe_sync_ownership (r, batch[i], TRUE);
}

/* MAX-TIME-NO-RESPONSE passed (or the association failed): the peer is dead. */
static void
peer_dead (Registrar *r, RegPeer *p)
{
  r->c.peers_dead++;
  if (r->state == REGISTRAR_SERVING && hs_handlespace_owner_count (r->hs, p->id) > 0)
    takeover_start (r, p);
  else
    peer_remove (r, p);
}

/* Any message from p: it is alive (RFC 5353 §3.4.2: peer_last_heard). */
static void
peer_heard (Registrar *r, RegPeer *p)
{
  p->last_heard = sim_kernel_now (r->kernel);
  if (p->state == PEER_ACTIVE)
    return;
  /* A probe answered, or the target of a takeover speaks: false alarm (RFC 5353 §3.5.1). */
  if (p->state == PEER_TAKEOVER)
    r->c.takeovers_aborted++;
  p->state = PEER_ACTIVE;
  g_clear_pointer (&p->acks_pending, g_array_unref);
  peer_arm_last_heard (r, p);
}

static void
handle_init_takeover (Registrar *r, RegPeer *from, guint32 target)
{
  if (target == r->id)
    {
      /* RFC 5353 §3.5.1: the target itself answers by announcing its presence. */
      send_presence (r, NULL, FALSE);
      return;
    }
  RegPeer *t = peer_find (r, target);
  if (t != NULL && t->state == PEER_TAKEOVER)
    {
      /* Two initiators: the higher server ID wins; the lower withdraws and acknowledges. */
      if (r->id > from->id)
        return;
      r->c.takeovers_aborted++;
      g_clear_pointer (&t->acks_pending, g_array_unref);
    }
  if (t != NULL)
    {
      t->state = PEER_INACTIVE;
      sim_kernel_cancel (r->kernel, t->timer);
      t->timer = sim_kernel_schedule (r->kernel, r->cfg.takeover_expiry, takeover_expired, r, t);
    }
  send_takeover (r, from, CODEC_ENRP_INIT_TAKEOVER_ACK, target);
}

static void
handle_init_takeover_ack (Registrar *r, RegPeer *from, guint32 target)
{
  RegPeer *t = peer_find (r, target);
  if (t == NULL || t->state != PEER_TAKEOVER)
    return;
  for (guint k = 0; k < t->acks_pending->len; k++)
    if (g_array_index (t->acks_pending, guint32, k) == from->id)
      {
        g_array_remove_index (t->acks_pending, k);
        break;
      }
  if (t->acks_pending->len == 0)
    takeover_finish (r, t);
}

static void
handle_takeover_server (Registrar *r, RegPeer *from, guint32 target)
{
  if (target == r->id)
    return;   /* someone thought this registrar dead; its PEs will tell by re-registering */
  RegPeer *t = peer_find (r, target);
  if (t != NULL)
    peer_remove (r, t);
  /* RFC 5353 §3.5.2: the target's PEs now belong to the initiator. */
  hs_handlespace_take_over (r->hs, target, from->id);
}

/* ---- handle tables (RFC 5353 §3.2.2, §3.6) --------------------------------------------------- */

static void htr_timeout (SimKernel *k, gpointer ctx, gpointer data);

/* Ask p for (part of) its handle table; own_only = W flag. */
static void
htr_send (Registrar *r, RegPeer *p, gboolean own_only)
{
  p->htr_active = TRUE;
  p->htr_own_only = own_only;
  CodecMessage m = { 0 };
  m.type = CODEC_ENRP_HANDLE_TABLE_REQUEST;
  m.flags = own_only ? CODEC_FLAG_HANDLE_TABLE_REQUEST_OWN_CHILDREN_ONLY : 0;
  peer_send (r, p, &m, FALSE);
  sim_kernel_cancel (r->kernel, p->htr_timer);
  SimTime wait = r->state == REGISTRAR_SYNC ? r->cfg.mentor_timeout : r->cfg.max_time_no_response;
  p->htr_timer = sim_kernel_schedule (r->kernel, wait, htr_timeout, r, p);
}

static void
htr_end (Registrar *r, RegPeer *p)
{
  p->htr_active = FALSE;
  sim_kernel_cancel (r->kernel, p->htr_timer);
  p->htr_timer = SIM_EVENT_NONE;
}

static void
htr_timeout (SimKernel *k, gpointer ctx, gpointer data)
{
  Registrar *r = ctx;
  RegPeer *p = data;
  p->htr_timer = SIM_EVENT_NONE;
  p->htr_active = FALSE;
  if (r->state == REGISTRAR_SYNC && p->id == r->mentor_id)
    try_next_mentor (r);
}

/* RFC 5355 §2.5 hook: may this peer's update change this PE? (Yes, as RFC 5353 §3.3.2 says.) */
static gboolean
registrar_may_apply_update (Registrar *r, RegPeer *from, guint16 action)
{
  return TRUE;
}

/* Add or overwrite a PE a peer announced or sent (RFC 5353 §3.3.2, §3.2.2 import). */
static gboolean
import_pe (Registrar *r, RegPeer *from, const CodecBytes *handle, const CodecPoolElement *cpe)
{
  HsRegistration reg;
  if (handle->len > REGISTRAR_MAX_HANDLE || registrar_registration_from_codec (cpe, &reg) != HS_OK)
    return FALSE;
  if (reg.home_registrar == 0)
    reg.home_registrar = from->id;
  HsPoolElement *pe;
  if (hs_handlespace_register (r->hs, handle->data, handle->len, &reg, HS_REGISTER_NONE, &pe, NULL) != HS_OK)
    return FALSE;
  registrar_pe_sync_ownership (r, pe, TRUE);
  return TRUE;
}

static void
handle_table_response (Registrar *r, RegPeer *p, const CodecMessage *msg)
{
  if (!p->htr_active)
    {
      r->c.unexpected++;
      return;
    }
  gboolean sync = r->state == REGISTRAR_SYNC && p->id == r->mentor_id;
  if (msg->flags & CODEC_FLAG_HANDLE_TABLE_RESPONSE_REJECT)
    {
      htr_end (r, p);
      if (sync)
        try_next_mentor (r);
      return;
    }
  const CodecHandleTableResponse *ht = &msg->u.handle_table_response;
  for (guint i = 0; i < ht->n_entries; i++)
    for (guint k = 0; k < ht->entries[i].n_pes; k++)
      {
        if (import_pe (r, p, &ht->entries[i].handle, &ht->entries[i].pes[k]))
          r->c.table_pes_imported++;
        else
          r->c.updates_refused++;
      }
  if (msg->flags & CODEC_FLAG_HANDLE_TABLE_RESPONSE_MORE)
    {
      htr_send (r, p, p->htr_own_only);
      return;
    }
  gboolean own_only = p->htr_own_only;
  htr_end (r, p);
  if (own_only)
    {
      /* RFC 5353 §3.6: entries of the peer that it did not send again are gone. */
      g_autoptr (HsCursor) c = hs_cursor_new_owner (r->hs, p->id);
      HsPoolElement *batch[64];
      guint k;
      while ((k = hs_cursor_next (c, batch, G_N_ELEMENTS (batch))) > 0)
        for (guint i = 0; i < k; i++)
          if (hs_pe_is_marked (batch[i]))
            registrar_pe_forget (r, batch[i]);
      r->c.resync_purged += hs_handlespace_purge_marked (r->hs, p->id);
    }
  if (sync)
    start_serving (r);
}

static void
export_timeout (SimKernel *k, gpointer ctx, gpointer data)
{
  RegPeer *p = data;
  p->export_timer = SIM_EVENT_NONE;
  g_clear_pointer (&p->export, hs_cursor_free);
}

static void
handle_table_request (Registrar *r, RegPeer *p, const CodecMessage *msg)
{
  CodecMessage m = { 0 };
  m.type = CODEC_ENRP_HANDLE_TABLE_RESPONSE;
  if (r->state != REGISTRAR_SERVING)
    {
      /* RFC 5353 §3.2.2: still initialising, ask someone else. */
      m.flags = CODEC_FLAG_HANDLE_TABLE_RESPONSE_REJECT;
      peer_send (r, p, &m, FALSE);
      return;
    }
  gboolean own_only = (msg->flags & CODEC_FLAG_HANDLE_TABLE_REQUEST_OWN_CHILDREN_ONLY) != 0;
  if (p->export == NULL || p->export_own_only != own_only || hs_cursor_done (p->export))
    {
      g_clear_pointer (&p->export, hs_cursor_free);
      p->export = own_only ? hs_cursor_new_owner (r->hs, r->id) : hs_cursor_new_all (r->hs);
      p->export_own_only = own_only;
    }
  guint max = r->cfg.handle_table_max_pes;
  CodecPoolElement *pes = registrar_scratch_pes (r, max);
  g_autoptr (GArray) entries = g_array_new (FALSE, TRUE, sizeof (CodecTableEntry));
  /* Room for one more entry of the longest handle and the largest PE keeps it inside one message. */
  const gsize reserve = 4 + REGISTRAR_MAX_HANDLE + REGISTRAR_PE_PARAM_MAX;
  gsize left = CODEC_MAX_MESSAGE - 12;
  HsPool *last = NULL;
  guint n = 0;
  HsPoolElement *pe;
  while (n < max && left >= reserve && hs_cursor_next (p->export, &pe, 1) == 1)
    {
      registrar_pe_to_codec (r, pe, n);
      HsPool *pool = hs_pe_get_pool (pe);
      if (pool != last)
        {
          CodecTableEntry e = { 0 };
          gsize len;
          e.handle.data = hs_pool_get_handle (pool, &len);
          e.handle.len = len;
          e.pes = &pes[n];
          g_array_append_val (entries, e);
          left -= 4 + ((len + 3) & ~(gsize) 3);
          last = pool;
        }
      g_array_index (entries, CodecTableEntry, entries->len - 1).n_pes++;
      left -= registrar_pe_param_size (pe);
      n++;
    }
  m.u.handle_table_response.n_entries = entries->len;
  m.u.handle_table_response.entries = (const CodecTableEntry *) (gpointer) entries->data;
  sim_kernel_cancel (r->kernel, p->export_timer);
  p->export_timer = SIM_EVENT_NONE;
  if (!hs_cursor_done (p->export))
    {
      m.flags = CODEC_FLAG_HANDLE_TABLE_RESPONSE_MORE;
      p->export_timer = sim_kernel_schedule (r->kernel, r->cfg.mentor_timeout, export_timeout, r, p);
    }
  else
    g_clear_pointer (&p->export, hs_cursor_free);
  peer_send (r, p, &m, FALSE);
}

static void
handle_update (Registrar *r, RegPeer *p, const CodecMessage *msg)
{
  const CodecHandleUpdate *u = &msg->u.handle_update;
  if (!registrar_may_apply_update (r, p, u->action))
    {
      r->c.updates_refused++;
      return;
    }
  if (u->action == CODEC_UPDATE_ADD_PE)
    {
      if (import_pe (r, p, &u->handle, &u->pe))
        r->c.updates_applied++;
      else
        r->c.updates_refused++;
      return;
    }
  if (u->action != CODEC_UPDATE_DEL_PE)
    {
      r->c.updates_refused++;
      return;
    }
  /* RFC 5353 §3.3.2: remove it; an unknown PE is ignored. */
  HsPoolElement *pe = hs_handlespace_find (r->hs, u->handle.data, u->handle.len, u->pe.pe_id);
  if (pe == NULL)
    return;
  registrar_pe_forget (r, pe);
  hs_handlespace_remove (r->hs, pe);
  r->c.updates_applied++;
}

/* ---- server list and mentor discovery (RFC 5353 §3.2.1) ------------------------------------------ */

static void
handle_list_request (Registrar *r, RegPeer *p)
{
  CodecMessage m = { 0 };
  m.type = CODEC_ENRP_LIST_RESPONSE;
  if (r->state != REGISTRAR_SERVING)
    {
      m.flags = CODEC_FLAG_LIST_RESPONSE_REJECT;
      peer_send (r, p, &m, FALSE);
      return;
    }
  guint n = r->peers->len;
  g_autofree CodecServerInfo *servers = g_new0 (CodecServerInfo, MAX (n, 1));
  g_autofree CodecAddress *addrs = g_new0 (CodecAddress, MAX (n, 1));
  guint k = 0;
  for (guint i = 0; i < n; i++)
    {
      RegPeer *q = g_ptr_array_index (r->peers, i);
      if (q == p || q->state != PEER_ACTIVE)
        continue;
      addrs[k].family = 4;
      addrs[k].bytes[0] = (guint8) (q->addr >> 24);
      addrs[k].bytes[1] = (guint8) (q->addr >> 16);
      addrs[k].bytes[2] = (guint8) (q->addr >> 8);
      addrs[k].bytes[3] = (guint8) q->addr;
      servers[k].server_id = q->id;
      servers[k].transport.type = CODEC_PARAM_SCTP_TRANSPORT;
      servers[k].transport.port = RSP_ENRP_PORT;
      servers[k].transport.n_addrs = 1;
      servers[k].transport.addrs = &addrs[k];
      k++;
    }
  m.u.list_response.n_servers = k;
  m.u.list_response.servers = servers;
  peer_send (r, p, &m, FALSE);
}

static void
handle_list_response (Registrar *r, RegPeer *p, const CodecMessage *msg)
{
  if (r->state != REGISTRAR_DISCOVERY)
    {
      r->c.unexpected++;
      return;
    }
  if (msg->flags & CODEC_FLAG_LIST_RESPONSE_REJECT)
    {
      /* The mentor is initialising itself: switch to the next one. */
      try_next_mentor (r);
      return;
    }
  const CodecListResponse *lr = &msg->u.list_response;
  for (guint i = 0; i < lr->n_servers; i++)
    {
      const CodecServerInfo *si = &lr->servers[i];
      if (si->server_id == 0 || si->server_id == r->id || peer_find (r, si->server_id) != NULL
          || si->transport.n_addrs == 0 || si->transport.addrs[0].family != 4)
        continue;
      const guint8 *b = si->transport.addrs[0].bytes;
      NetAddr a = ((NetAddr) b[0] << 24) | ((NetAddr) b[1] << 16) | ((NetAddr) b[2] << 8) | b[3];
      send_presence (r, peer_add (r, si->server_id, a), TRUE);
    }
  /* Now the whole handle table from the mentor (W = 0). */
  r->state = REGISTRAR_SYNC;
  r->mentor_id = p->id;
  sim_kernel_cancel (r->kernel, r->mentor_timer);
  r->mentor_timer = SIM_EVENT_NONE;
  htr_send (r, p, FALSE);
}

static void
mentor_timeout (SimKernel *k, gpointer ctx, gpointer data)
{
  Registrar *r = ctx;
  r->mentor_timer = SIM_EVENT_NONE;
  try_next_mentor (r);
}

/* Close an association this side opened: gracefully once up (its CLOSED event forgets it), else at once. */
static void
enrp_out_close (Registrar *r, NetAssoc *a)
{
  if (net_assoc_is_up (a))
    net_assoc_shutdown (a);
  else
    {
      g_ptr_array_remove (r->enrp_out, a);
      g_ptr_array_remove (r->intros, a);
      net_assoc_abort (a);
    }
}

static void
drop_mentor_assoc (Registrar *r)
{
  if (r->mentor == NULL)
    return;
  enrp_out_close (r, r->mentor);
  r->mentor = NULL;
}

static void
try_next_mentor (Registrar *r)
{
  sim_kernel_cancel (r->kernel, r->mentor_timer);
  r->mentor_timer = SIM_EVENT_NONE;
  drop_mentor_assoc (r);
  RegPeer *old = r->mentor_id != 0 ? peer_find (r, r->mentor_id) : NULL;
  if (old != NULL)
    htr_end (r, old);
  r->mentor_id = 0;
  if (r->mentor_next >= r->static_peers->len)
    {
      /* RFC 5353 §3.2.1: no mentor answers: serve alone. */
      start_serving (r);
      return;
    }
  NetAddr addr = g_array_index (r->static_peers, NetAddr, r->mentor_next++);
  r->state = REGISTRAR_DISCOVERY;
  RegPeer *known = NULL;
  for (guint i = 0; i < r->peers->len && known == NULL; i++)
    if (((RegPeer *) g_ptr_array_index (r->peers, i))->addr == addr)
      known = g_ptr_array_index (r->peers, i);
  CodecMessage m = { 0 };
  m.type = CODEC_ENRP_LIST_REQUEST;
  if (known != NULL)
    peer_send (r, known, &m, FALSE);
  else
    {
      r->mentor = enrp_connect (r, addr);
      m.sender_id = r->id;
      registrar_send (r, r->mentor, &m);
    }
  r->mentor_timer = sim_kernel_schedule (r->kernel, r->cfg.mentor_timeout, mentor_timeout, r, NULL);
}

static void
heartbeat_fired (SimKernel *k, gpointer ctx, gpointer data)
{
  Registrar *r = ctx;
  /* RFC 5353 §3.4.1: PRESENCE every PEER-HEARTBEAT-CYCLE, reply not required. */
  send_presence (r, NULL, FALSE);
  r->heartbeat_timer = sim_kernel_schedule (k, r->cfg.peer_heartbeat_cycle, heartbeat_fired, r, NULL);
}

static void
start_serving (Registrar *r)
{
  sim_kernel_cancel (r->kernel, r->mentor_timer);
  r->mentor_timer = SIM_EVENT_NONE;
  drop_mentor_assoc (r);
  r->state = REGISTRAR_SERVING;
  /* Introduce this server to the listed servers it does not know yet; they add it and answer. */
  for (guint i = 0; i < r->static_peers->len; i++)
    {
      NetAddr addr = g_array_index (r->static_peers, NetAddr, i);
      gboolean known = FALSE;
      for (guint k = 0; k < r->peers->len && !known; k++)
        known = ((RegPeer *) g_ptr_array_index (r->peers, k))->addr == addr;
      if (known)
        continue;
      CodecAddress addrs[HS_MAX_ADDRESSES];
      CodecMessage m = { 0 };
      m.type = CODEC_ENRP_PRESENCE;
      m.flags = CODEC_FLAG_PRESENCE_REPLY_REQUIRED;
      m.sender_id = r->id;
      /* No checksum: the introduction may arrive late (the server may not be up yet), and a
       * stale checksum would start a needless audit; the heartbeats carry it. */
      m.u.presence.has_server_info = TRUE;
      m.u.presence.server_info = own_server_info (r, addrs);
      NetAssoc *a = enrp_connect (r, addr);
      registrar_send (r, a, &m);
      g_ptr_array_add (r->intros, a);
    }
  r->heartbeat_timer = sim_kernel_schedule (r->kernel, 0, heartbeat_fired, r, NULL);
  registrar_asap_start_serving (r);
}

/* ---- dispatch ------------------------------------------------------------------------------------ */

static void
handle_presence (Registrar *r, RegPeer *p, const CodecMessage *msg)
{
  if (msg->flags & CODEC_FLAG_PRESENCE_REPLY_REQUIRED)
    send_presence (r, p, FALSE);
  const CodecPresence *pr = &msg->u.presence;
  if (r->state != REGISTRAR_SERVING || !pr->has_checksum || p->htr_active || p->state != PEER_ACTIVE)
    return;
  /* RFC 5353 §3.6: audit; a mismatch means our copy of its PEs is wrong: resynchronise. */
  if (pr->checksum == hs_handlespace_owner_checksum (r->hs, p->id))
    return;
  r->c.resyncs++;
  hs_handlespace_mark_owner (r->hs, p->id);
  htr_send (r, p, TRUE);
}

static void
enrp_receive (NetAssoc *assoc, const NetMessage *nm, gpointer user_data)
{
  Registrar *r = user_data;
  g_auto (CodecMessage) msg = { 0 };
  if (!registrar_receive (r, assoc, nm, &msg))
    return;
  if (rsp_security_mode (r->sec, SECURE_CLASS_REGISTRAR_REGISTRAR) != SECURE_MODE_NONE
      && !rsp_security_is_secure (assoc))
    {
      /* RFC 5355 §2.5, §3: peers only over TLS; nothing of this one is taken. */
      r->c.enrp_refused_security++;
      if (msg.type != CODEC_ENRP_ERROR)
        registrar_send_error (r, assoc, CODEC_PROTO_ENRP, CODEC_CAUSE_REJECTED_SECURITY);
      return;
    }
  if (CODEC_MSG_PROTOCOL (msg.type) != CODEC_PROTO_ENRP || msg.sender_id == 0 || msg.sender_id == r->id
      || (msg.receiver_id != 0 && msg.receiver_id != r->id))
    {
      r->c.unexpected++;
      return;
    }
  RegPeer *p = peer_find (r, msg.sender_id);
  if (p == NULL)
    {
      /* RFC 5353 §3.4.2: a message from an unknown server adds it; ask for its PRESENCE. */
      p = peer_add (r, msg.sender_id, net_assoc_peer_addr (assoc));
      if (msg.type != CODEC_ENRP_PRESENCE || !(msg.flags & CODEC_FLAG_PRESENCE_REPLY_REQUIRED))
        send_presence (r, p, TRUE);
    }
  else
    peer_heard (r, p);
  switch (msg.type)
    {
    case CODEC_ENRP_PRESENCE:
      handle_presence (r, p, &msg);
      break;
    case CODEC_ENRP_HANDLE_TABLE_REQUEST:
      handle_table_request (r, p, &msg);
      break;
    case CODEC_ENRP_HANDLE_TABLE_RESPONSE:
      handle_table_response (r, p, &msg);
      break;
    case CODEC_ENRP_HANDLE_UPDATE:
      handle_update (r, p, &msg);
      break;
    case CODEC_ENRP_LIST_REQUEST:
      handle_list_request (r, p);
      break;
    case CODEC_ENRP_LIST_RESPONSE:
      handle_list_response (r, p, &msg);
      break;
    case CODEC_ENRP_INIT_TAKEOVER:
      handle_init_takeover (r, p, msg.u.takeover.target_id);
      break;
    case CODEC_ENRP_INIT_TAKEOVER_ACK:
      handle_init_takeover_ack (r, p, msg.u.takeover.target_id);
      break;
    case CODEC_ENRP_TAKEOVER_SERVER:
      handle_takeover_server (r, p, msg.u.takeover.target_id);
      break;
    default:
      break;   /* ENRP_ERROR: counted */
    }
}

static void
enrp_out_event (NetAssoc *assoc, NetAssocEvent ev, gpointer user_data)
{
  Registrar *r = user_data;
  if (ev == NET_ASSOC_UP)
    {
      /* An introduction: its PRESENCE goes out now; then close. */
      if (g_ptr_array_remove (r->intros, assoc))
        net_assoc_shutdown (assoc);
      return;
    }
  g_ptr_array_remove (r->enrp_out, assoc);
  g_ptr_array_remove (r->intros, assoc);
  if (assoc == r->mentor)
    {
      r->mentor = NULL;
      if (r->state == REGISTRAR_DISCOVERY)
        try_next_mentor (r);
      return;
    }
  for (guint i = 0; i < r->peers->len; i++)
    {
      RegPeer *p = g_ptr_array_index (r->peers, i);
      if (p->out != assoc)
        continue;
      p->out = NULL;
      /* RFC 5353 §3.4.3: a failed send to a probed peer counts as no response. */
      if (p->state == PEER_PROBING)
        {
          sim_kernel_cancel (r->kernel, p->timer);
          p->timer = SIM_EVENT_NONE;
          peer_dead (r, p);
        }
      return;
    }
}

static void
enrp_in_event (NetAssoc *assoc, NetAssocEvent ev, gpointer user_data)
{
  Registrar *r = user_data;
  if (ev != NET_ASSOC_UP)
    g_ptr_array_remove (r->enrp_in, assoc);
}

static gboolean
enrp_accept (NetListener *l, NetAssoc *assoc, gpointer user_data)
{
  Registrar *r = user_data;
  g_ptr_array_add (r->enrp_in, assoc);
  net_assoc_set_callbacks (assoc, &enrp_in_callbacks, r);
  if (l == r->enrp_tls_listener)
    rsp_security_server (r->sec, SECURE_CLASS_REGISTRAR_REGISTRAR, RSP_ROLE_REGISTRAR, r->host, assoc);
  return TRUE;
}

/* ---- open and close ---------------------------------------------------------------------------------- */

void
registrar_enrp_open (Registrar *r)
{
  r->enrp_listener = net_listen (r->host, RSP_ENRP_PORT, enrp_accept, r);
  g_assert (r->enrp_listener != NULL);
  if (rsp_security_mode (r->sec, SECURE_CLASS_REGISTRAR_REGISTRAR) != SECURE_MODE_NONE)
    {
      r->enrp_tls_listener = net_listen (r->host, SECURE_ENRP_TLS_PORT, enrp_accept, r);
      g_assert (r->enrp_tls_listener != NULL);
    }
  r->mentor_next = 0;
  r->mentor_id = 0;
  r->state = REGISTRAR_DISCOVERY;
  try_next_mentor (r);
}

void
registrar_enrp_close (Registrar *r, gboolean host_down)
{
  sim_kernel_cancel (r->kernel, r->mentor_timer);
  sim_kernel_cancel (r->kernel, r->heartbeat_timer);
  r->mentor_timer = r->heartbeat_timer = SIM_EVENT_NONE;
  r->mentor = NULL;
  for (guint i = 0; i < r->peers->len; i++)
    peer_free (r, g_ptr_array_index (r->peers, i), host_down);
  g_ptr_array_set_size (r->peers, 0);
  /* What is left: accepted associations, the mentor's, introductions being shut down. */
  if (!host_down)
    {
      for (guint i = 0; i < r->enrp_out->len; i++)
        net_assoc_abort (g_ptr_array_index (r->enrp_out, i));
      for (guint i = 0; i < r->enrp_in->len; i++)
        net_assoc_abort (g_ptr_array_index (r->enrp_in, i));
      net_listener_close (r->enrp_listener);
      if (r->enrp_tls_listener != NULL)
        net_listener_close (r->enrp_tls_listener);
    }
  g_ptr_array_set_size (r->enrp_out, 0);
  g_ptr_array_set_size (r->enrp_in, 0);
  g_ptr_array_set_size (r->intros, 0);
  r->enrp_listener = NULL;
  r->enrp_tls_listener = NULL;
}
