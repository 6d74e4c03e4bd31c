/*
 * models/codec-params.c - RFC 5354 parameters: the TLV chain rules, and the
 * reader and writer of every parameter type (0x1-0x10), error cause (0x0-0xa)
 * and RFC 5356 policy.
 *
 * Design. A chain of parameters is walked by a cursor (CodecChain) that reads
 * one TLV header at a time, checks its Length against the container and its
 * padding, and skips unknown types whose top two bits say "skip" (recording
 * them for an "Unrecognized Parameter" report). Readers are recursive descent
 * over the RFC figures, in figure order. Arrays are sized by a header-only
 * pre-count of the container (an upper bound), so a decoded message is a few
 * bump allocations in one arena, never one per address or PE.
 *
 * Invariants. Every TLV starts 4-byte aligned (fixed fields are multiples of
 * 4 and every TLV is padded), so the padding of a container's last nested
 * TLV coincides with the container's own padding and is checked there.
 * Every offset compared is within [0, len) of the buffer before it is read.
 *
 * Not here: message headers and bodies (codec.c).
 */
#include "config.h"

#include "models/codec-private.h"

/* ---- Writing ------------------------------------------------------------ */

void
codec_writer_grow (CodecWriter *w, gsize need)
{
  gsize len = MAX (need, MAX ((gsize) w->ba->len * 2, (gsize) 256));
  g_byte_array_set_size (w->ba, (guint) len);
}

void
codec_tlv_end (CodecWriter *w, gsize start)
{
  /* RFC 5354 §2: the Length leaves out the trailing padding, including the
   * padding of the last nested parameter; those same bytes are then this
   * TLV's own padding. */
  gsize len = w->pos - w->tail_pad - start;
  w->ba->data[start + 2] = (guint8) (len >> 8);
  w->ba->data[start + 3] = (guint8) len;
  gsize pad = codec_pad4 (w->pos) - w->pos;
  if (pad > 0)
    memset (codec_put (w, pad), 0, pad);
  w->tail_pad = w->pos - start - len;
}

gboolean
codec_write_handle (CodecWriter *w, const CodecBytes *handle)
{
  g_return_val_if_fail (handle->len >= 1 && handle->len <= CODEC_MAX_MESSAGE - 4, FALSE);
  gsize start = codec_tlv_begin (w, CODEC_PARAM_POOL_HANDLE);
  codec_put_bytes (w, handle->data, handle->len);
  codec_tlv_end (w, start);
  return TRUE;
}

void
codec_write_pe_id (CodecWriter *w, guint32 pe_id)
{
  gsize start = codec_tlv_begin (w, CODEC_PARAM_PE_IDENTIFIER);
  codec_put32 (w, pe_id);
  codec_tlv_end (w, start);
}

void
codec_write_checksum (CodecWriter *w, guint16 checksum)
{
  /* RFC 5354 §3.15: Length = 6, then 2 bytes of padding. */
  gsize start = codec_tlv_begin (w, CODEC_PARAM_PE_CHECKSUM);
  codec_put16 (w, checksum);
  codec_tlv_end (w, start);
}

void
codec_write_cookie (CodecWriter *w, const CodecBytes *cookie)
{
  gsize start = codec_tlv_begin (w, CODEC_PARAM_COOKIE);
  codec_put_bytes (w, cookie->data, cookie->len);
  codec_tlv_end (w, start);
}

static gboolean
write_address (CodecWriter *w, const CodecAddress *a)
{
  g_return_val_if_fail (a->family == 4 || a->family == 6, FALSE);
  gsize start = codec_tlv_begin (w, a->family == 4 ? CODEC_PARAM_IPV4_ADDRESS : CODEC_PARAM_IPV6_ADDRESS);
  codec_put_bytes (w, a->bytes, a->family == 4 ? 4 : 16);
  codec_tlv_end (w, start);
  return TRUE;
}

gboolean
codec_is_transport (guint16 type)
{
  return (type >= CODEC_PARAM_DCCP_TRANSPORT && type <= CODEC_PARAM_UDP_LITE_TRANSPORT)
         || type == CODEC_PARAM_OPAQUE_TRANSPORT;
}

gboolean
codec_write_transport (CodecWriter *w, const CodecTransport *tr)
{
  g_return_val_if_fail (codec_is_transport (tr->type), FALSE);
  gsize start = codec_tlv_begin (w, tr->type);
  if (tr->type == CODEC_PARAM_OPAQUE_TRANSPORT)
    {
      codec_put_bytes (w, tr->opaque.data, tr->opaque.len);
      codec_tlv_end (w, start);
      return TRUE;
    }
  /* RFC 5354 §3.4: SCTP carries one or more addresses; §3.3, 3.5-3.7: the
   * others exactly one. */
  g_return_val_if_fail (tr->type == CODEC_PARAM_SCTP_TRANSPORT ? tr->n_addrs >= 1 : tr->n_addrs == 1, FALSE);
  codec_put16 (w, tr->port);
  codec_put16 (w, tr->use);
  if (tr->type == CODEC_PARAM_DCCP_TRANSPORT)
    codec_put32 (w, tr->service_code);
  for (guint i = 0; i < tr->n_addrs; i++)
    if (!write_address (w, &tr->addrs[i]))
      return FALSE;
  codec_tlv_end (w, start);
  return TRUE;
}

/* Policy data words after the type (RFC 5356 §3); -1 for a type it does not define. */
static int
policy_words (guint32 type)
{
  switch (type)
    {
    case CODEC_POLICY_ROUND_ROBIN:
    case CODEC_POLICY_RANDOM:
      return 0;
    case CODEC_POLICY_WEIGHTED_ROUND_ROBIN:
    case CODEC_POLICY_WEIGHTED_RANDOM:
    case CODEC_POLICY_PRIORITY:
    case CODEC_POLICY_LEAST_USED:
    case CODEC_POLICY_RANDOMIZED_LEAST_USED:
      return 1;
    case CODEC_POLICY_LEAST_USED_DEGRADATION:
    case CODEC_POLICY_PRIORITY_LEAST_USED:
      return 2;
    default:
      return -1;
    }
}

gboolean
codec_write_policy (CodecWriter *w, const CodecPolicy *pol)
{
  gsize start = codec_tlv_begin (w, CODEC_PARAM_POLICY);
  codec_put32 (w, pol->type);
  switch (pol->type)
    {
    case CODEC_POLICY_WEIGHTED_ROUND_ROBIN:
    case CODEC_POLICY_WEIGHTED_RANDOM:
      codec_put32 (w, pol->weight);
      break;
    case CODEC_POLICY_PRIORITY:
      codec_put32 (w, pol->priority);
      break;
    case CODEC_POLICY_LEAST_USED:
    case CODEC_POLICY_RANDOMIZED_LEAST_USED:
      codec_put32 (w, pol->load);
      break;
    case CODEC_POLICY_LEAST_USED_DEGRADATION:
    case CODEC_POLICY_PRIORITY_LEAST_USED:
      codec_put32 (w, pol->load);
      codec_put32 (w, pol->load_degradation);
      break;
    default:
      /* Unknown (e.g. private) policy: its data verbatim. */
      if (policy_words (pol->type) < 0)
        codec_put_bytes (w, pol->data.data, pol->data.len);
      break;
    }
  codec_tlv_end (w, start);
  return TRUE;
}

gboolean
codec_write_pool_element (CodecWriter *w, const CodecPoolElement *pe)
{
  gsize start = codec_tlv_begin (w, CODEC_PARAM_POOL_ELEMENT);
  codec_put32 (w, pe->pe_id);
  codec_put32 (w, pe->home_server_id);
  codec_put32 (w, (guint32) pe->reg_life_ms);
  if (!codec_write_transport (w, &pe->user_transport) || !codec_write_policy (w, &pe->policy))
    return FALSE;
  if (pe->has_asap_transport)
    {
      /* RFC 5354 §3.10: the ASAP transport is an SCTP transport parameter. */
      g_return_val_if_fail (pe->asap_transport.type == CODEC_PARAM_SCTP_TRANSPORT, FALSE);
      if (!codec_write_transport (w, &pe->asap_transport))
        return FALSE;
    }
  codec_tlv_end (w, start);
  return TRUE;
}

gboolean
codec_write_server_info (CodecWriter *w, const CodecServerInfo *si)
{
  /* RFC 5354 §3.11: the server transport is an SCTP transport parameter. */
  g_return_val_if_fail (si->transport.type == CODEC_PARAM_SCTP_TRANSPORT, FALSE);
  gsize start = codec_tlv_begin (w, CODEC_PARAM_SERVER_INFORMATION);
  codec_put32 (w, si->server_id);
  if (!codec_write_transport (w, &si->transport))
    return FALSE;
  codec_tlv_end (w, start);
  return TRUE;
}

/* Whether a cause carries no information (RFC 5354 §3.12). */
static gboolean
cause_is_empty (guint16 code)
{
  switch (code)
    {
    case CODEC_CAUSE_UNSPECIFIED:
    case CODEC_CAUSE_NON_UNIQUE_PE_IDENTIFIER:
    case CODEC_CAUSE_LACK_OF_RESOURCES:
    case CODEC_CAUSE_INCONSISTENT_DATA_CONTROL:
    case CODEC_CAUSE_UNKNOWN_POOL_HANDLE:
    case CODEC_CAUSE_REJECTED_SECURITY:
      return TRUE;
    default:
      return FALSE;
    }
}

gboolean
codec_write_operation_error (CodecWriter *w, const CodecOperationError *oe)
{
  g_return_val_if_fail (oe->n_causes >= 1, FALSE);
  gsize start = codec_tlv_begin (w, CODEC_PARAM_OPERATION_ERROR);
  for (guint i = 0; i < oe->n_causes; i++)
    {
      const CodecErrorCause *c = &oe->causes[i];
      /* Cause header = TLV header; same Length and padding rules. */
      gsize cstart = codec_tlv_begin (w, c->code);
      if (c->code == CODEC_CAUSE_INCONSISTENT_POLICY)
        {
          if (!codec_write_policy (w, &c->policy))
            return FALSE;
        }
      else if (c->code == CODEC_CAUSE_INCONSISTENT_TRANSPORT)
        {
          if (!codec_write_transport (w, &c->transport))
            return FALSE;
        }
      else if (!cause_is_empty (c->code))
        codec_put_bytes (w, c->info.data, c->info.len);
      codec_tlv_end (w, cstart);
    }
  codec_tlv_end (w, start);
  return TRUE;
}

/* ---- Reading ------------------------------------------------------------ */

/* Read the TLV header at off in a container ending at end, with every length and padding check. */
static gboolean
tlv_read (CodecDecoder *d, gsize off, gsize end, gboolean nested, CodecTlv *t)
{
  if (end - off < 4)
    return codec_fail (d, CODEC_ERR_TRUNCATED, off, 0);
  const guint8 *p = d->buf + off;
  t->type = codec_get16 (p);
  t->len = codec_get16 (p + 2);
  t->off = off;
  if (t->len < 4 || t->len > end - off)
    return codec_fail (d, CODEC_ERR_BAD_LENGTH, off, t->type);
  gsize padded = codec_pad4 (t->len);
  if (padded > end - off)
    {
      /* RFC 5354 §2: only the last parameter of a nested chain may have its
       * padding outside the container, which then checks those bytes as its
       * own padding. */
      if (!nested || off + t->len != end)
        return codec_fail (d, CODEC_ERR_BAD_PADDING, off + t->len, t->type);
      t->next = end;
      return TRUE;
    }
  for (gsize i = t->len; i < padded; i++)
    if (p[i] != 0)
      return codec_fail (d, CODEC_ERR_BAD_PADDING, off + i, t->type);
  /* A container's Length must not include the padding after its last parameter. */
  if (nested && padded != t->len && off + padded == end)
    return codec_fail (d, CODEC_ERR_BAD_LENGTH, off, t->type);
  t->next = off + padded;
  return TRUE;
}

static gboolean
is_known_param (guint16 type)
{
  return type >= CODEC_PARAM_IPV4_ADDRESS && type <= CODEC_PARAM_OPAQUE_TRANSPORT;
}

static void
record_unrecognized (CodecDecoder *d, const CodecTlv *t, CodecAction action)
{
  if (d->n_unrec == d->cap_unrec)
    {
      guint cap = d->cap_unrec ? 2 * d->cap_unrec : 4;
      CodecUnrecognized *a = codec_alloc (d, cap * sizeof (CodecUnrecognized));
      if (d->n_unrec > 0)
        memcpy (a, d->unrec, d->n_unrec * sizeof (CodecUnrecognized));
      d->unrec = a;
      d->cap_unrec = cap;
    }
  CodecUnrecognized *u = &d->unrec[d->n_unrec++];
  u->type = t->type;
  u->action = action;
  u->offset = t->off;
  guint8 *copy = codec_alloc (d, t->len);
  memcpy (copy, d->buf + t->off, t->len);
  u->tlv.data = copy;
  u->tlv.len = t->len;
}

int
codec_chain_peek (CodecChain *c, CodecTlv *t)
{
  while (c->off < c->end)
    {
      if (!tlv_read (c->d, c->off, c->end, c->nested, t))
        return -1;
      if (is_known_param (t->type))
        return 1;
      /* RFC 5354 §2: the top two bits of an unknown type say what to do. */
      CodecAction action = (CodecAction) (t->type >> 14);
      if (action == CODEC_ACTION_DISCARD || action == CODEC_ACTION_DISCARD_REPORT)
        {
          codec_fail (c->d, CODEC_ERR_UNKNOWN_PARAM, t->off, t->type);
          c->d->err->action = action;
          c->d->err->length = t->len;
          return -1;
        }
      record_unrecognized (c->d, t, action);
      c->off = t->next;
    }
  return 0;
}

gboolean
codec_chain_expect (CodecChain *c, guint16 type, CodecTlv *t)
{
  int r = codec_chain_peek (c, t);
  if (r < 0)
    return FALSE;
  if (r == 0)
    return codec_fail (c->d, CODEC_ERR_MISSING_PARAM, c->off, type);
  if (t->type != type)
    return codec_fail (c->d, CODEC_ERR_UNEXPECTED_PARAM, t->off, t->type);
  c->off = t->next;
  return TRUE;
}

int
codec_chain_optional (CodecChain *c, guint16 type, CodecTlv *t)
{
  int r = codec_chain_peek (c, t);
  if (r <= 0)
    return r;
  if (t->type != type)
    return 0;
  c->off = t->next;
  return 1;
}

gboolean
codec_chain_finish (CodecChain *c)
{
  CodecTlv t;
  int r = codec_chain_peek (c, &t);
  if (r < 0)
    return FALSE;
  if (r > 0)
    return codec_fail (c->d, CODEC_ERR_UNEXPECTED_PARAM, t.off, t.type);
  return TRUE;
}

guint
codec_count_tlvs (const CodecDecoder *d, gsize off, gsize end, guint16 type)
{
  guint n = 0;
  while (end - off >= 4)
    {
      gsize len = codec_get16 (d->buf + off + 2);
      if (len < 4)
        break;
      if (type == 0 || codec_get16 (d->buf + off) == type)
        n++;
      if (codec_pad4 (len) >= end - off)
        break;
      off += codec_pad4 (len);
    }
  return n;
}

guint
codec_count_run (const CodecDecoder *d, gsize off, gsize end, guint16 type)
{
  guint n = 0;
  while (end - off >= 4)
    {
      guint16 t = codec_get16 (d->buf + off);
      gsize len = codec_get16 (d->buf + off + 2);
      if (len < 4 || (t != type && is_known_param (t)))
        break;
      n += t == type;
      if (codec_pad4 (len) >= end - off)
        break;
      off += codec_pad4 (len);
    }
  return n;
}

static const guint8 *
copy_bytes (CodecDecoder *d, gsize off, gsize len)
{
  if (len == 0)
    return NULL;
  guint8 *p = codec_alloc (d, len);
  memcpy (p, d->buf + off, len);
  return p;
}

gboolean
codec_read_handle (CodecDecoder *d, const CodecTlv *t, CodecBytes *out)
{
  /* RFC 5354 §3.9: a pool handle is a non-empty byte string. */
  if (t->len == 4)
    return codec_fail (d, CODEC_ERR_INVALID_VALUE, t->off, t->type);
  out->len = t->len - 4;
  out->data = copy_bytes (d, t->off + 4, out->len);
  return TRUE;
}

gboolean
codec_read_pe_id (CodecDecoder *d, const CodecTlv *t, guint32 *out)
{
  if (t->len != 8)
    return codec_fail (d, CODEC_ERR_BAD_LENGTH, t->off, t->type);
  *out = codec_get32 (d->buf + t->off + 4);
  return TRUE;
}

gboolean
codec_read_checksum (CodecDecoder *d, const CodecTlv *t, guint16 *out)
{
  if (t->len != 6)
    return codec_fail (d, CODEC_ERR_BAD_LENGTH, t->off, t->type);
  *out = codec_get16 (d->buf + t->off + 4);
  return TRUE;
}

gboolean
codec_read_cookie (CodecDecoder *d, const CodecTlv *t, CodecBytes *out)
{
  out->len = t->len - 4;
  out->data = copy_bytes (d, t->off + 4, out->len);
  return TRUE;
}

static gboolean
read_address (CodecDecoder *d, const CodecTlv *t, CodecAddress *out)
{
  gsize n = t->type == CODEC_PARAM_IPV4_ADDRESS ? 4 : 16;
  if (t->len != 4 + n)
    return codec_fail (d, CODEC_ERR_BAD_LENGTH, t->off, t->type);
  memset (out, 0, sizeof *out);
  out->family = n == 4 ? 4 : 6;
  memcpy (out->bytes, d->buf + t->off + 4, n);
  return TRUE;
}

gboolean
codec_read_transport (CodecDecoder *d, const CodecTlv *t, CodecTransport *out)
{
  memset (out, 0, sizeof *out);
  out->type = (CodecParamType) t->type;
  if (t->type == CODEC_PARAM_OPAQUE_TRANSPORT)
    {
      out->opaque.len = t->len - 4;
      out->opaque.data = copy_bytes (d, t->off + 4, out->opaque.len);
      return TRUE;
    }
  gsize fixed = t->type == CODEC_PARAM_DCCP_TRANSPORT ? 12 : 8;
  if (t->len < fixed)
    return codec_fail (d, CODEC_ERR_BAD_LENGTH, t->off, t->type);
  const guint8 *p = d->buf + t->off;
  out->port = codec_get16 (p + 4);
  out->use = codec_get16 (p + 6);
  if (t->type == CODEC_PARAM_DCCP_TRANSPORT)
    out->service_code = codec_get32 (p + 8);

  CodecChain c;
  codec_chain_init (&c, d, t->off + fixed, t->off + t->len, TRUE);
  guint cap = codec_count_tlvs (d, c.off, c.end, 0);
  CodecAddress *addrs = cap > 0 ? codec_alloc (d, cap * sizeof (CodecAddress)) : NULL;
  guint n = 0;
  for (;;)
    {
      CodecTlv a;
      int r = codec_chain_peek (&c, &a);
      if (r < 0)
        return FALSE;
      if (r == 0)
        break;
      /* RFC 5354 §3.3-3.7: addresses only; one unless SCTP. */
      if ((a.type != CODEC_PARAM_IPV4_ADDRESS && a.type != CODEC_PARAM_IPV6_ADDRESS)
          || (n == 1 && t->type != CODEC_PARAM_SCTP_TRANSPORT)
          || n == cap)
        return codec_fail (d, CODEC_ERR_UNEXPECTED_PARAM, a.off, a.type);
      if (!read_address (d, &a, &addrs[n++]))
        return FALSE;
      c.off = a.next;
    }
  if (n == 0)
    return codec_fail (d, CODEC_ERR_MISSING_PARAM, c.off, CODEC_PARAM_IPV4_ADDRESS);
  out->n_addrs = n;
  out->addrs = addrs;
  return TRUE;
}

gboolean
codec_read_policy (CodecDecoder *d, const CodecTlv *t, CodecPolicy *out)
{
  memset (out, 0, sizeof *out);
  if (t->len < 8)
    return codec_fail (d, CODEC_ERR_BAD_LENGTH, t->off, t->type);
  const guint8 *p = d->buf + t->off;
  out->type = codec_get32 (p + 4);
  int words = policy_words (out->type);
  if (words < 0)
    {
      /* An unknown policy type is kept as opaque bytes, not rejected. */
      out->data.len = t->len - 8;
      out->data.data = copy_bytes (d, t->off + 8, out->data.len);
      return TRUE;
    }
  /* RFC 5356 §3: each policy has a fixed length. */
  if (t->len != 8 + 4 * (gsize) words)
    return codec_fail (d, CODEC_ERR_BAD_LENGTH, t->off, t->type);
  switch (out->type)
    {
    case CODEC_POLICY_WEIGHTED_ROUND_ROBIN:
    case CODEC_POLICY_WEIGHTED_RANDOM:
      out->weight = codec_get32 (p + 8);
      break;
    case CODEC_POLICY_PRIORITY:
      out->priority = codec_get32 (p + 8);
      break;
    case CODEC_POLICY_LEAST_USED:
    case CODEC_POLICY_RANDOMIZED_LEAST_USED:
      out->load = codec_get32 (p + 8);
      break;
    case CODEC_POLICY_LEAST_USED_DEGRADATION:
    case CODEC_POLICY_PRIORITY_LEAST_USED:
      out->load = codec_get32 (p + 8);
      out->load_degradation = codec_get32 (p + 12);
      break;
    default:
      break;
    }
  return TRUE;
}

/* The next parameter must be a transport parameter (any type). */
static gboolean
expect_transport (CodecChain *c, CodecTransport *out)
{
  CodecTlv t;
  int r = codec_chain_peek (c, &t);
  if (r < 0)
    return FALSE;
  if (r == 0)
    return codec_fail (c->d, CODEC_ERR_MISSING_PARAM, c->off, CODEC_PARAM_SCTP_TRANSPORT);
  if (!codec_is_transport (t.type))
    return codec_fail (c->d, CODEC_ERR_UNEXPECTED_PARAM, t.off, t.type);
  c->off = t.next;
  return codec_read_transport (c->d, &t, out);
}

gboolean
codec_read_pool_element (CodecDecoder *d, const CodecTlv *t, CodecPoolElement *out)
{
  /* RFC 5354 §3.10: PE id, home server id, registration life, then user
   * transport, policy and (filled in by the home PR) the ASAP transport. */
  if (t->len < 16)
    return codec_fail (d, CODEC_ERR_BAD_LENGTH, t->off, t->type);
  const guint8 *p = d->buf + t->off;
  out->pe_id = codec_get32 (p + 4);
  out->home_server_id = codec_get32 (p + 8);
  out->reg_life_ms = (gint32) codec_get32 (p + 12);
  CodecChain c;
  codec_chain_init (&c, d, t->off + 16, t->off + t->len, TRUE);
  CodecTlv s;
  if (!expect_transport (&c, &out->user_transport)
      || !codec_chain_expect (&c, CODEC_PARAM_POLICY, &s)
      || !codec_read_policy (d, &s, &out->policy))
    return FALSE;
  int r = codec_chain_optional (&c, CODEC_PARAM_SCTP_TRANSPORT, &s);
  if (r < 0)
    return FALSE;
  out->has_asap_transport = r > 0;
  if (r > 0 && !codec_read_transport (d, &s, &out->asap_transport))
    return FALSE;
  if (r == 0)
    memset (&out->asap_transport, 0, sizeof out->asap_transport);
  return codec_chain_finish (&c);
}

gboolean
codec_read_server_info (CodecDecoder *d, const CodecTlv *t, CodecServerInfo *out)
{
  if (t->len < 8)
    return codec_fail (d, CODEC_ERR_BAD_LENGTH, t->off, t->type);
  out->server_id = codec_get32 (d->buf + t->off + 4);
  CodecChain c;
  codec_chain_init (&c, d, t->off + 8, t->off + t->len, TRUE);
  CodecTlv s;
  return codec_chain_expect (&c, CODEC_PARAM_SCTP_TRANSPORT, &s)
         && codec_read_transport (d, &s, &out->transport)
         && codec_chain_finish (&c);
}

static gboolean
read_cause (CodecDecoder *d, const CodecTlv *t, CodecErrorCause *out)
{
  memset (out, 0, sizeof *out);
  out->code = t->type;
  CodecChain c;
  codec_chain_init (&c, d, t->off + 4, t->off + t->len, TRUE);
  CodecTlv s;
  if (cause_is_empty (t->type))
    {
      if (t->len != 4)
        return codec_fail (d, CODEC_ERR_BAD_LENGTH, t->off, t->type);
      return TRUE;
    }
  if (t->type == CODEC_CAUSE_INCONSISTENT_POLICY)
    return codec_chain_expect (&c, CODEC_PARAM_POLICY, &s)
           && codec_read_policy (d, &s, &out->policy)
           && codec_chain_finish (&c);
  if (t->type == CODEC_CAUSE_INCONSISTENT_TRANSPORT)
    return expect_transport (&c, &out->transport) && codec_chain_finish (&c);
  /* Unrecognized parameter / message, invalid values, unknown codes: verbatim. */
  out->info.len = t->len - 4;
  out->info.data = copy_bytes (d, t->off + 4, out->info.len);
  return TRUE;
}

gboolean
codec_read_operation_error (CodecDecoder *d, const CodecTlv *t, const CodecOperationError **out)
{
  /* RFC 5354 §3.12: one or more causes, each laid out like a TLV. */
  gsize off = t->off + 4, end = t->off + t->len;
  if (off == end)
    return codec_fail (d, CODEC_ERR_MISSING_PARAM, off, 0);
  guint cap = codec_count_tlvs (d, off, end, 0);
  CodecErrorCause *causes = cap > 0 ? codec_alloc (d, cap * sizeof (CodecErrorCause)) : NULL;
  guint n = 0;
  while (off < end)
    {
      CodecTlv ct;
      if (!tlv_read (d, off, end, TRUE, &ct))
        return FALSE;
      if (n == cap)
        return codec_fail (d, CODEC_ERR_BAD_LENGTH, off, ct.type);
      if (!read_cause (d, &ct, &causes[n++]))
        return FALSE;
      off = ct.next;
    }
  CodecOperationError *oe = codec_alloc (d, sizeof *oe);
  oe->n_causes = n;
  oe->causes = causes;
  *out = oe;
  return TRUE;
}
