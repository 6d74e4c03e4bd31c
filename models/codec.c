/*
 * models/codec.c - ASAP and ENRP messages: the common header (RFC 5354 §4),
 * the body of each of the 24 message types (RFC 5352 §2.2, RFC 5353 §2.2),
 * the decoder's arena and the public entry points.
 *
 * Design. Encoding is one pass into the caller's GByteArray with the lengths
 * patched in afterwards; it is exact, and rolls back if the message outgrows
 * the 16-bit Length. Decoding checks the header, then walks the body in the
 * order of the RFC figure with the chain cursor of codec-params.c. Everything
 * a decoded message points to lives in one arena (a chain of bump-allocated
 * blocks, the first sized from the input, usually the only one), so a
 * 128-entry handle table costs one malloc, and codec_message_clear() one free.
 *
 * Decode failures fill a caller-provided CodecError and allocate nothing that
 * survives the call; hostile bytes are never an assert or a warning.
 *
 * Not here: parameters (codec-params.c); what a state machine does with an
 * unknown message or parameter (the codec reports it with its action bits).
 */
#include "config.h"

#include "models/codec-private.h"

/* ---- Names -------------------------------------------------------------- */

const char *
codec_msg_type_name (CodecMsgType type)
{
  switch (type)
    {
    case CODEC_ASAP_REGISTRATION: return "ASAP_REGISTRATION";
    case CODEC_ASAP_DEREGISTRATION: return "ASAP_DEREGISTRATION";
    case CODEC_ASAP_REGISTRATION_RESPONSE: return "ASAP_REGISTRATION_RESPONSE";
    case CODEC_ASAP_DEREGISTRATION_RESPONSE: return "ASAP_DEREGISTRATION_RESPONSE";
    case CODEC_ASAP_HANDLE_RESOLUTION: return "ASAP_HANDLE_RESOLUTION";
    case CODEC_ASAP_HANDLE_RESOLUTION_RESPONSE: return "ASAP_HANDLE_RESOLUTION_RESPONSE";
    case CODEC_ASAP_ENDPOINT_KEEP_ALIVE: return "ASAP_ENDPOINT_KEEP_ALIVE";
    case CODEC_ASAP_ENDPOINT_KEEP_ALIVE_ACK: return "ASAP_ENDPOINT_KEEP_ALIVE_ACK";
    case CODEC_ASAP_ENDPOINT_UNREACHABLE: return "ASAP_ENDPOINT_UNREACHABLE";
    case CODEC_ASAP_SERVER_ANNOUNCE: return "ASAP_SERVER_ANNOUNCE";
    case CODEC_ASAP_COOKIE: return "ASAP_COOKIE";
    case CODEC_ASAP_COOKIE_ECHO: return "ASAP_COOKIE_ECHO";
    case CODEC_ASAP_BUSINESS_CARD: return "ASAP_BUSINESS_CARD";
    case CODEC_ASAP_ERROR: return "ASAP_ERROR";
    case CODEC_ENRP_PRESENCE: return "ENRP_PRESENCE";
    case CODEC_ENRP_HANDLE_TABLE_REQUEST: return "ENRP_HANDLE_TABLE_REQUEST";
    case CODEC_ENRP_HANDLE_TABLE_RESPONSE: return "ENRP_HANDLE_TABLE_RESPONSE";
    case CODEC_ENRP_HANDLE_UPDATE: return "ENRP_HANDLE_UPDATE";
    case CODEC_ENRP_LIST_REQUEST: return "ENRP_LIST_REQUEST";
    case CODEC_ENRP_LIST_RESPONSE: return "ENRP_LIST_RESPONSE";
    case CODEC_ENRP_INIT_TAKEOVER: return "ENRP_INIT_TAKEOVER";
    case CODEC_ENRP_INIT_TAKEOVER_ACK: return "ENRP_INIT_TAKEOVER_ACK";
    case CODEC_ENRP_TAKEOVER_SERVER: return "ENRP_TAKEOVER_SERVER";
    case CODEC_ENRP_ERROR: return "ENRP_ERROR";
    default: return NULL;
    }
}

const char *
codec_error_code_name (CodecErrorCode code)
{
  switch (code)
    {
    case CODEC_OK: return "ok";
    case CODEC_ERR_TRUNCATED: return "truncated";
    case CODEC_ERR_BAD_LENGTH: return "bad-length";
    case CODEC_ERR_BAD_PADDING: return "bad-padding";
    case CODEC_ERR_UNKNOWN_MESSAGE: return "unknown-message";
    case CODEC_ERR_UNKNOWN_PARAM: return "unknown-param";
    case CODEC_ERR_MISSING_PARAM: return "missing-param";
    case CODEC_ERR_UNEXPECTED_PARAM: return "unexpected-param";
    case CODEC_ERR_INVALID_VALUE: return "invalid-value";
    default: return "?";
    }
}

/*
 * Bytes of fixed fields between the 4-byte header and the parameters; -1 for
 * a type the protocol does not define. RFC 5352 §2.2.7, 2.2.10 (server id);
 * RFC 5353 §2.2 (sender and receiver ids, then the update action or target id).
 */
static int
fixed_size (CodecMsgType type)
{
  switch (type)
    {
    case CODEC_ASAP_REGISTRATION:
    case CODEC_ASAP_DEREGISTRATION:
    case CODEC_ASAP_REGISTRATION_RESPONSE:
    case CODEC_ASAP_DEREGISTRATION_RESPONSE:
    case CODEC_ASAP_HANDLE_RESOLUTION:
    case CODEC_ASAP_HANDLE_RESOLUTION_RESPONSE:
    case CODEC_ASAP_ENDPOINT_KEEP_ALIVE_ACK:
    case CODEC_ASAP_ENDPOINT_UNREACHABLE:
    case CODEC_ASAP_COOKIE:
    case CODEC_ASAP_COOKIE_ECHO:
    case CODEC_ASAP_BUSINESS_CARD:
    case CODEC_ASAP_ERROR:
      return 0;
    case CODEC_ASAP_ENDPOINT_KEEP_ALIVE:
    case CODEC_ASAP_SERVER_ANNOUNCE:
      return 4;
    case CODEC_ENRP_PRESENCE:
    case CODEC_ENRP_HANDLE_TABLE_REQUEST:
    case CODEC_ENRP_HANDLE_TABLE_RESPONSE:
    case CODEC_ENRP_LIST_REQUEST:
    case CODEC_ENRP_LIST_RESPONSE:
    case CODEC_ENRP_ERROR:
      return 8;
    case CODEC_ENRP_HANDLE_UPDATE:
    case CODEC_ENRP_INIT_TAKEOVER:
    case CODEC_ENRP_INIT_TAKEOVER_ACK:
    case CODEC_ENRP_TAKEOVER_SERVER:
      return 12;
    default:
      return -1;
    }
}

/* ---- Encoding ----------------------------------------------------------- */

static gboolean
write_pes (CodecWriter *w, guint n, const CodecPoolElement *pes)
{
  for (guint i = 0; i < n; i++)
    if (!codec_write_pool_element (w, &pes[i]))
      return FALSE;
  return TRUE;
}

static gboolean
write_body (CodecWriter *w, const CodecMessage *m)
{
  switch (m->type)
    {
    case CODEC_ASAP_REGISTRATION:
      return codec_write_handle (w, &m->u.registration.handle)
             && codec_write_pool_element (w, &m->u.registration.pe);

    case CODEC_ASAP_DEREGISTRATION:
    case CODEC_ASAP_ENDPOINT_KEEP_ALIVE_ACK:
    case CODEC_ASAP_ENDPOINT_UNREACHABLE:
      g_return_val_if_fail (m->u.pe_ref.error == NULL, FALSE);
      G_GNUC_FALLTHROUGH;
    case CODEC_ASAP_REGISTRATION_RESPONSE:
    case CODEC_ASAP_DEREGISTRATION_RESPONSE:
      if (!codec_write_handle (w, &m->u.pe_ref.handle))
        return FALSE;
      codec_write_pe_id (w, m->u.pe_ref.pe_id);
      return m->u.pe_ref.error == NULL || codec_write_operation_error (w, m->u.pe_ref.error);

    case CODEC_ASAP_HANDLE_RESOLUTION:
      return codec_write_handle (w, &m->u.handle_resolution.handle);

    case CODEC_ASAP_HANDLE_RESOLUTION_RESPONSE:
      {
        const CodecHandleResolutionResponse *r = &m->u.handle_resolution_response;
        return codec_write_handle (w, &r->handle)
               && (!r->has_policy || codec_write_policy (w, &r->policy))
               && write_pes (w, r->n_pes, r->pes)
               && (r->error == NULL || codec_write_operation_error (w, r->error));
      }

    case CODEC_ASAP_ENDPOINT_KEEP_ALIVE:
      codec_put32 (w, m->u.keep_alive.server_id);
      if (!codec_write_handle (w, &m->u.keep_alive.handle))
        return FALSE;
      if (m->u.keep_alive.has_pe_id)
        codec_write_pe_id (w, m->u.keep_alive.pe_id);
      return TRUE;

    case CODEC_ASAP_SERVER_ANNOUNCE:
      codec_put32 (w, m->u.server_announce.server_id);
      for (guint i = 0; i < m->u.server_announce.n_transports; i++)
        {
          const CodecTransport *tr = &m->u.server_announce.transports[i];
          g_return_val_if_fail (tr->type != CODEC_PARAM_OPAQUE_TRANSPORT, FALSE);
          if (!codec_write_transport (w, tr))
            return FALSE;
        }
      return TRUE;

    case CODEC_ASAP_COOKIE:
    case CODEC_ASAP_COOKIE_ECHO:
      codec_write_cookie (w, &m->u.cookie.cookie);
      return TRUE;

    case CODEC_ASAP_BUSINESS_CARD:
      g_return_val_if_fail (m->u.business_card.n_pes >= 1, FALSE);
      return codec_write_handle (w, &m->u.business_card.handle)
             && write_pes (w, m->u.business_card.n_pes, m->u.business_card.pes);

    case CODEC_ASAP_ERROR:
    case CODEC_ENRP_ERROR:
      return codec_write_operation_error (w, &m->u.error);

    case CODEC_ENRP_PRESENCE:
      if (m->u.presence.has_checksum)
        codec_write_checksum (w, m->u.presence.checksum);
      return !m->u.presence.has_server_info || codec_write_server_info (w, &m->u.presence.server_info);

    case CODEC_ENRP_HANDLE_TABLE_REQUEST:
    case CODEC_ENRP_LIST_REQUEST:
      return TRUE;

    case CODEC_ENRP_HANDLE_TABLE_RESPONSE:
      for (guint i = 0; i < m->u.handle_table_response.n_entries; i++)
        {
          const CodecTableEntry *e = &m->u.handle_table_response.entries[i];
          g_return_val_if_fail (e->n_pes >= 1, FALSE);
          if (!codec_write_handle (w, &e->handle) || !write_pes (w, e->n_pes, e->pes))
            return FALSE;
        }
      return TRUE;

    case CODEC_ENRP_HANDLE_UPDATE:
      codec_put16 (w, m->u.handle_update.action);
      codec_put16 (w, m->u.handle_update.reserved);
      return codec_write_handle (w, &m->u.handle_update.handle)
             && codec_write_pool_element (w, &m->u.handle_update.pe);

    case CODEC_ENRP_LIST_RESPONSE:
      for (guint i = 0; i < m->u.list_response.n_servers; i++)
        if (!codec_write_server_info (w, &m->u.list_response.servers[i]))
          return FALSE;
      return TRUE;

    case CODEC_ENRP_INIT_TAKEOVER:
    case CODEC_ENRP_INIT_TAKEOVER_ACK:
    case CODEC_ENRP_TAKEOVER_SERVER:
      codec_put32 (w, m->u.takeover.target_id);
      return TRUE;

    default:
      g_return_val_if_reached (FALSE);
    }
}

gsize
codec_encode (const CodecMessage *msg, GByteArray *out)
{
  g_return_val_if_fail (msg != NULL && out != NULL, 0);
  g_return_val_if_fail (fixed_size (msg->type) >= 0, 0);

  gsize start = out->len;
  CodecWriter w = { out, start, 0 };
  /* RFC 5354 §4: Type(8) | Flags(8) | Length(16). */
  guint8 *h = codec_put (&w, 4);
  h[0] = CODEC_MSG_WIRE_TYPE (msg->type);
  h[1] = msg->flags;
  if (CODEC_MSG_PROTOCOL (msg->type) == CODEC_PROTO_ENRP)
    {
      /* RFC 5353 §2: every ENRP message names its sender and receiver. */
      codec_put32 (&w, msg->sender_id);
      codec_put32 (&w, msg->receiver_id);
    }
  gboolean ok = write_body (&w, msg);
  gsize len = w.pos - start;
  if (!ok || len > CODEC_MAX_MESSAGE)
    {
      g_byte_array_set_size (out, (guint) start);
      return 0;
    }
  /* The Length counts every parameter with its padding (see codec.h). */
  out->data[start + 2] = (guint8) (len >> 8);
  out->data[start + 3] = (guint8) len;
  g_byte_array_set_size (out, (guint) w.pos);
  return len;
}

/* ---- Decoding ----------------------------------------------------------- */

gpointer
codec_alloc (CodecDecoder *d, gsize size)
{
  size = (size + 7) & ~(gsize) 7;
  CodecArena *a = d->arena;
  if (a == NULL || a->size - a->used < size)
    {
      gsize bsize = MAX (size, d->block_hint);
      a = g_malloc (sizeof (CodecArena) + bsize);
      a->next = d->arena;
      a->size = bsize;
      a->used = 0;
      d->arena = a;
      d->block_hint = 2 * bsize;
    }
  gpointer p = (guint8 *) a->data + a->used;
  a->used += size;
  return p;
}

static void
arena_free (CodecArena *a)
{
  while (a != NULL)
    {
      CodecArena *next = a->next;
      g_free (a);
      a = next;
    }
}

gboolean
codec_fail (CodecDecoder *d, CodecErrorCode code, gsize offset, guint16 type)
{
  d->err->code = code;
  d->err->offset = offset;
  d->err->type = type;
  return FALSE;
}

void
codec_message_clear (CodecMessage *msg)
{
  if (msg == NULL)
    return;
  arena_free (msg->arena);
  memset (msg, 0, sizeof *msg);
}

static gboolean
expect_handle (CodecChain *c, CodecBytes *out)
{
  CodecTlv t;
  return codec_chain_expect (c, CODEC_PARAM_POOL_HANDLE, &t) && codec_read_handle (c->d, &t, out);
}

static gboolean
expect_pe_id (CodecChain *c, guint32 *out)
{
  CodecTlv t;
  return codec_chain_expect (c, CODEC_PARAM_PE_IDENTIFIER, &t) && codec_read_pe_id (c->d, &t, out);
}

static gboolean
expect_pool_element (CodecChain *c, CodecPoolElement *out)
{
  CodecTlv t;
  return codec_chain_expect (c, CODEC_PARAM_POOL_ELEMENT, &t) && codec_read_pool_element (c->d, &t, out);
}

static gboolean
expect_operation_error (CodecChain *c, const CodecOperationError **out)
{
  CodecTlv t;
  return codec_chain_expect (c, CODEC_PARAM_OPERATION_ERROR, &t) && codec_read_operation_error (c->d, &t, out);
}

static gboolean
optional_operation_error (CodecChain *c, const CodecOperationError **out)
{
  CodecTlv t;
  int r = codec_chain_optional (c, CODEC_PARAM_OPERATION_ERROR, &t);
  *out = NULL;
  return r == 0 || (r > 0 && codec_read_operation_error (c->d, &t, out));
}

/*
 * Pool Element parameters, as many as follow (at least `min`), into one array
 * sized by a pre-count of the run of them. Used for resolution responses,
 * business cards and handle table entries (counting only the run keeps a
 * table of n entries O(n), not O(n^2)).
 */
static gboolean
read_pes (CodecChain *c, guint min, guint *n_out, const CodecPoolElement **pes_out)
{
  guint cap = codec_count_run (c->d, c->off, c->end, CODEC_PARAM_POOL_ELEMENT);
  CodecPoolElement *pes = cap > 0 ? codec_alloc (c->d, cap * sizeof (CodecPoolElement)) : NULL;
  guint n = 0;
  for (;;)
    {
      CodecTlv t;
      int r = codec_chain_optional (c, CODEC_PARAM_POOL_ELEMENT, &t);
      if (r < 0)
        return FALSE;
      if (r == 0)
        break;
      if (n == cap)
        return codec_fail (c->d, CODEC_ERR_BAD_LENGTH, t.off, t.type);
      if (!codec_read_pool_element (c->d, &t, &pes[n++]))
        return FALSE;
    }
  if (n < min)
    return codec_fail (c->d, CODEC_ERR_MISSING_PARAM, c->off, CODEC_PARAM_POOL_ELEMENT);
  *n_out = n;
  *pes_out = pes;
  return TRUE;
}

static gboolean
read_handle_table (CodecChain *c, CodecHandleTableResponse *out)
{
  /* RFC 5353 §2.2.3: entries of one Pool Handle followed by >= 1 Pool Elements. */
  guint cap = codec_count_tlvs (c->d, c->off, c->end, CODEC_PARAM_POOL_HANDLE);
  CodecTableEntry *entries = cap > 0 ? codec_alloc (c->d, cap * sizeof (CodecTableEntry)) : NULL;
  guint n = 0;
  for (;;)
    {
      CodecTlv t;
      int r = codec_chain_optional (c, CODEC_PARAM_POOL_HANDLE, &t);
      if (r < 0)
        return FALSE;
      if (r == 0)
        break;
      if (n == cap)
        return codec_fail (c->d, CODEC_ERR_BAD_LENGTH, t.off, t.type);
      CodecTableEntry *e = &entries[n++];
      if (!codec_read_handle (c->d, &t, &e->handle) || !read_pes (c, 1, &e->n_pes, &e->pes))
        return FALSE;
    }
  out->n_entries = n;
  out->entries = entries;
  return TRUE;
}

static gboolean
read_server_announce (CodecChain *c, CodecServerAnnounce *out)
{
  /* RFC 5352 §2.2.10: zero or more transport parameters (not opaque). */
  guint cap = codec_count_tlvs (c->d, c->off, c->end, 0);
  CodecTransport *trs = cap > 0 ? codec_alloc (c->d, cap * sizeof (CodecTransport)) : NULL;
  guint n = 0;
  for (;;)
    {
      CodecTlv t;
      int r = codec_chain_peek (c, &t);
      if (r < 0)
        return FALSE;
      if (r == 0 || !codec_is_transport (t.type) || t.type == CODEC_PARAM_OPAQUE_TRANSPORT)
        break;
      if (n == cap)
        return codec_fail (c->d, CODEC_ERR_BAD_LENGTH, t.off, t.type);
      c->off = t.next;
      if (!codec_read_transport (c->d, &t, &trs[n++]))
        return FALSE;
    }
  out->n_transports = n;
  out->transports = trs;
  return TRUE;
}

static gboolean
read_list (CodecChain *c, CodecListResponse *out)
{
  guint cap = codec_count_tlvs (c->d, c->off, c->end, CODEC_PARAM_SERVER_INFORMATION);
  CodecServerInfo *servers = cap > 0 ? codec_alloc (c->d, cap * sizeof (CodecServerInfo)) : NULL;
  guint n = 0;
  for (;;)
    {
      CodecTlv t;
      int r = codec_chain_optional (c, CODEC_PARAM_SERVER_INFORMATION, &t);
      if (r < 0)
        return FALSE;
      if (r == 0)
        break;
      if (n == cap)
        return codec_fail (c->d, CODEC_ERR_BAD_LENGTH, t.off, t.type);
      if (!codec_read_server_info (c->d, &t, &servers[n++]))
        return FALSE;
    }
  out->n_servers = n;
  out->servers = servers;
  return TRUE;
}

/* The body after the fixed fields, in RFC figure order; then nothing else may follow. */
static gboolean
read_body (CodecChain *c, CodecMessage *m)
{
  const guint8 *fixed = c->d->buf + 4;
  CodecTlv t;
  int r;
  switch (m->type)
    {
    case CODEC_ASAP_REGISTRATION:
      if (!expect_handle (c, &m->u.registration.handle)
          || !expect_pool_element (c, &m->u.registration.pe))
        return FALSE;
      break;

    case CODEC_ASAP_DEREGISTRATION:
    case CODEC_ASAP_ENDPOINT_KEEP_ALIVE_ACK:
    case CODEC_ASAP_ENDPOINT_UNREACHABLE:
      if (!expect_handle (c, &m->u.pe_ref.handle) || !expect_pe_id (c, &m->u.pe_ref.pe_id))
        return FALSE;
      break;

    case CODEC_ASAP_REGISTRATION_RESPONSE:
    case CODEC_ASAP_DEREGISTRATION_RESPONSE:
      if (!expect_handle (c, &m->u.pe_ref.handle) || !expect_pe_id (c, &m->u.pe_ref.pe_id)
          || !optional_operation_error (c, &m->u.pe_ref.error))
        return FALSE;
      break;

    case CODEC_ASAP_HANDLE_RESOLUTION:
      if (!expect_handle (c, &m->u.handle_resolution.handle))
        return FALSE;
      break;

    case CODEC_ASAP_HANDLE_RESOLUTION_RESPONSE:
      {
        /* RFC 5352 §2.2.6: handle, optional overall policy, PEs, optional error. */
        CodecHandleResolutionResponse *hr = &m->u.handle_resolution_response;
        if (!expect_handle (c, &hr->handle))
          return FALSE;
        r = codec_chain_optional (c, CODEC_PARAM_POLICY, &t);
        if (r < 0 || (r > 0 && !codec_read_policy (c->d, &t, &hr->policy)))
          return FALSE;
        hr->has_policy = r > 0;
        if (!read_pes (c, 0, &hr->n_pes, &hr->pes) || !optional_operation_error (c, &hr->error))
          return FALSE;
        break;
      }

    case CODEC_ASAP_ENDPOINT_KEEP_ALIVE:
      m->u.keep_alive.server_id = codec_get32 (fixed);
      if (!expect_handle (c, &m->u.keep_alive.handle))
        return FALSE;
      r = codec_chain_optional (c, CODEC_PARAM_PE_IDENTIFIER, &t);
      if (r < 0 || (r > 0 && !codec_read_pe_id (c->d, &t, &m->u.keep_alive.pe_id)))
        return FALSE;
      m->u.keep_alive.has_pe_id = r > 0;
      break;

    case CODEC_ASAP_SERVER_ANNOUNCE:
      m->u.server_announce.server_id = codec_get32 (fixed);
      if (!read_server_announce (c, &m->u.server_announce))
        return FALSE;
      break;

    case CODEC_ASAP_COOKIE:
    case CODEC_ASAP_COOKIE_ECHO:
      if (!codec_chain_expect (c, CODEC_PARAM_COOKIE, &t) || !codec_read_cookie (c->d, &t, &m->u.cookie.cookie))
        return FALSE;
      break;

    case CODEC_ASAP_BUSINESS_CARD:
      if (!expect_handle (c, &m->u.business_card.handle)
          || !read_pes (c, 1, &m->u.business_card.n_pes, &m->u.business_card.pes))
        return FALSE;
      break;

    case CODEC_ASAP_ERROR:
    case CODEC_ENRP_ERROR:
      {
        const CodecOperationError *oe;
        if (!expect_operation_error (c, &oe))
          return FALSE;
        m->u.error = *oe;
        break;
      }

    case CODEC_ENRP_PRESENCE:
      r = codec_chain_optional (c, CODEC_PARAM_PE_CHECKSUM, &t);
      if (r < 0 || (r > 0 && !codec_read_checksum (c->d, &t, &m->u.presence.checksum)))
        return FALSE;
      m->u.presence.has_checksum = r > 0;
      r = codec_chain_optional (c, CODEC_PARAM_SERVER_INFORMATION, &t);
      if (r < 0 || (r > 0 && !codec_read_server_info (c->d, &t, &m->u.presence.server_info)))
        return FALSE;
      m->u.presence.has_server_info = r > 0;
      break;

    case CODEC_ENRP_HANDLE_TABLE_REQUEST:
    case CODEC_ENRP_LIST_REQUEST:
      break;

    case CODEC_ENRP_HANDLE_TABLE_RESPONSE:
      if (!read_handle_table (c, &m->u.handle_table_response))
        return FALSE;
      break;

    case CODEC_ENRP_HANDLE_UPDATE:
      m->u.handle_update.action = codec_get16 (fixed + 8);
      m->u.handle_update.reserved = codec_get16 (fixed + 10);
      if (!expect_handle (c, &m->u.handle_update.handle)
          || !expect_pool_element (c, &m->u.handle_update.pe))
        return FALSE;
      break;

    case CODEC_ENRP_LIST_RESPONSE:
      if (!read_list (c, &m->u.list_response))
        return FALSE;
      break;

    case CODEC_ENRP_INIT_TAKEOVER:
    case CODEC_ENRP_INIT_TAKEOVER_ACK:
    case CODEC_ENRP_TAKEOVER_SERVER:
      m->u.takeover.target_id = codec_get32 (fixed + 8);
      break;

    default:
      g_assert_not_reached ();
    }
  return codec_chain_finish (c);
}

/* The message type for a wire type of proto, or 0 if unknown. */
static CodecMsgType
lookup_type (CodecProtocol proto, guint8 wire)
{
  CodecMsgType type = (CodecMsgType) CODEC_MSG (proto, wire);
  return fixed_size (type) >= 0 ? type : (CodecMsgType) 0;
}

gboolean
codec_decode (CodecProtocol  proto,
              const guint8  *buf,
              gsize          len,
              CodecMessage  *out,
              CodecError    *err)
{
  g_return_val_if_fail (proto == CODEC_PROTO_ASAP || proto == CODEC_PROTO_ENRP, FALSE);
  g_return_val_if_fail (buf != NULL || len == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  CodecError dummy;
  CodecDecoder d = { 0 };
  d.buf = buf;
  d.len = len;
  d.err = err != NULL ? err : &dummy;
  d.block_hint = 4 * len + 64;
  memset (d.err, 0, sizeof *d.err);
  memset (out, 0, sizeof *out);

  if (len < 4)
    return codec_fail (&d, CODEC_ERR_TRUNCATED, 0, 0);
  gsize mlen = codec_get16 (buf + 2);
  if (mlen > len)
    return codec_fail (&d, CODEC_ERR_TRUNCATED, 0, buf[0]);
  if (mlen < len)
    return codec_fail (&d, CODEC_ERR_BAD_LENGTH, 0, buf[0]);
  CodecMsgType type = lookup_type (proto, buf[0]);
  if (type == 0)
    {
      /* RFC 5354 §4: the top two bits of an unknown type say what to do. */
      codec_fail (&d, CODEC_ERR_UNKNOWN_MESSAGE, 0, buf[0]);
      d.err->action = (CodecAction) (buf[0] >> 6);
      d.err->length = len;
      return FALSE;
    }
  gsize fixed = (gsize) fixed_size (type);
  if (len < 4 + fixed)
    return codec_fail (&d, CODEC_ERR_BAD_LENGTH, 0, buf[0]);

  out->type = type;
  out->flags = buf[1];
  if (proto == CODEC_PROTO_ENRP)
    {
      out->sender_id = codec_get32 (buf + 4);
      out->receiver_id = codec_get32 (buf + 8);
    }
  CodecChain c;
  codec_chain_init (&c, &d, 4 + fixed, len, FALSE);
  if (!read_body (&c, out))
    {
      arena_free (d.arena);
      memset (out, 0, sizeof *out);
      return FALSE;
    }
  out->n_unrecognized = d.n_unrec;
  out->unrecognized = d.unrec;
  out->arena = d.arena;
  return TRUE;
}
