/*
 * models/codec-private.h - internals shared by codec.c (messages, arena) and
 * codec-params.c (RFC 5354 parameters): the byte writer, the decoder context
 * and the parameter chain cursor. Not for use outside models/codec*.c.
 */
#pragma once

#include "models/codec.h"

#include <string.h>

G_BEGIN_DECLS

static inline gsize
codec_pad4 (gsize n)
{
  return (n + 3) & ~(gsize) 3;
}

static inline guint16
codec_get16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static inline guint32
codec_get32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

/* ---- Encoding ----------------------------------------------------------- */

/*
 * Appends to ba from `pos` on; ba->len runs ahead of pos (grown geometrically)
 * and is trimmed to pos at the end. tail_pad = zero bytes at the end of what is
 * written so far that belong to the padding of the last TLV: a container's
 * Length leaves them out (RFC 5354 §2).
 */
typedef struct {
  GByteArray *ba;
  gsize       pos;
  gsize       tail_pad;
} CodecWriter;

void codec_writer_grow (CodecWriter *w, gsize need);

static inline guint8 *
codec_put (CodecWriter *w, gsize n)
{
  if (G_UNLIKELY (w->pos + n > w->ba->len))
    codec_writer_grow (w, w->pos + n);
  guint8 *p = w->ba->data + w->pos;
  w->pos += n;
  w->tail_pad = 0;
  return p;
}

static inline void
codec_put16 (CodecWriter *w, guint16 v)
{
  guint8 *p = codec_put (w, 2);
  p[0] = (guint8) (v >> 8);
  p[1] = (guint8) v;
}

static inline void
codec_put32 (CodecWriter *w, guint32 v)
{
  guint8 *p = codec_put (w, 4);
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

static inline void
codec_put_bytes (CodecWriter *w, const guint8 *data, gsize len)
{
  if (len > 0)
    memcpy (codec_put (w, len), data, len);
}

/* Start a TLV (parameter or error cause): returns its offset, for codec_tlv_end. */
static inline gsize
codec_tlv_begin (CodecWriter *w, guint16 type)
{
  gsize start = w->pos;
  codec_put32 (w, (guint32) type << 16);
  return start;
}

/* Fill in the Length (without the trailing padding of the last nested TLV), then pad. */
void codec_tlv_end (CodecWriter *w, gsize start);

/* Parameter writers (codec-params.c). FALSE = the struct breaks a rule (programmer error, reported). */
gboolean codec_write_handle (CodecWriter *w, const CodecBytes *handle);
void     codec_write_pe_id (CodecWriter *w, guint32 pe_id);
void     codec_write_checksum (CodecWriter *w, guint16 checksum);
void     codec_write_cookie (CodecWriter *w, const CodecBytes *cookie);
gboolean codec_write_transport (CodecWriter *w, const CodecTransport *tr);
gboolean codec_write_policy (CodecWriter *w, const CodecPolicy *pol);
gboolean codec_write_pool_element (CodecWriter *w, const CodecPoolElement *pe);
gboolean codec_write_server_info (CodecWriter *w, const CodecServerInfo *si);
gboolean codec_write_operation_error (CodecWriter *w, const CodecOperationError *oe);

/* ---- Decoding ----------------------------------------------------------- */

/* A bump allocator: a chain of blocks, never moved, freed together. */
struct CodecArena {
  CodecArena *next;
  gsize       size;   /* usable bytes in data */
  gsize       used;
  guint64     data[]; /* 8-byte aligned */
};

typedef struct {
  const guint8 *buf;
  gsize         len;
  CodecArena   *arena;       /* newest block first */
  gsize         block_hint;  /* size of the next block */
  CodecError   *err;         /* never NULL */
  CodecUnrecognized *unrec;  /* in the arena, grows by doubling */
  guint         n_unrec;
  guint         cap_unrec;
} CodecDecoder;

gpointer codec_alloc (CodecDecoder *d, gsize size);
gboolean codec_fail (CodecDecoder *d, CodecErrorCode code, gsize offset, guint16 type);

/* One TLV as read: [off, off + len) plus padding up to next. */
typedef struct {
  guint16 type;
  gsize   off;
  gsize   len;    /* Length field: header + value, no padding */
  gsize   next;   /* offset after the padding (or the container end) */
} CodecTlv;

/*
 * A cursor over a chain of parameters in [off, end). nested = the chain is the
 * value of a containing parameter (its last padding lies outside end);
 * otherwise it is a message body (every parameter padded inside end).
 */
typedef struct {
  CodecDecoder *d;
  gsize         off;
  gsize         end;
  gboolean      nested;
} CodecChain;

static inline void
codec_chain_init (CodecChain *c, CodecDecoder *d, gsize off, gsize end, gboolean nested)
{
  c->d = d;
  c->off = off;
  c->end = end;
  c->nested = nested;
}

/* Peek the next known parameter, skipping unknown ones whose action allows it. 1 / 0 = end / -1 = error. */
int      codec_chain_peek (CodecChain *c, CodecTlv *t);
/* The next parameter must be of `type`. */
gboolean codec_chain_expect (CodecChain *c, guint16 type, CodecTlv *t);
/* If the next parameter is of `type`, take it: 1; else 0; -1 = error. */
int      codec_chain_optional (CodecChain *c, guint16 type, CodecTlv *t);
/* Nothing but skippable unknown parameters may remain. */
gboolean codec_chain_finish (CodecChain *c);
/* Upper bound on the number of TLVs of `type` (any type if 0) in [off, end): headers only. */
guint    codec_count_tlvs (const CodecDecoder *d, gsize off, gsize end, guint16 type);
/* Same, for the run of `type` TLVs (and unknown ones) at off, up to the first other known type. */
guint    codec_count_run (const CodecDecoder *d, gsize off, gsize end, guint16 type);

/* Parameter readers (codec-params.c): t is a TLV of the right type. */
gboolean codec_read_handle (CodecDecoder *d, const CodecTlv *t, CodecBytes *out);
gboolean codec_read_pe_id (CodecDecoder *d, const CodecTlv *t, guint32 *out);
gboolean codec_read_checksum (CodecDecoder *d, const CodecTlv *t, guint16 *out);
gboolean codec_read_cookie (CodecDecoder *d, const CodecTlv *t, CodecBytes *out);
gboolean codec_is_transport (guint16 type);
gboolean codec_read_transport (CodecDecoder *d, const CodecTlv *t, CodecTransport *out);
gboolean codec_read_policy (CodecDecoder *d, const CodecTlv *t, CodecPolicy *out);
gboolean codec_read_pool_element (CodecDecoder *d, const CodecTlv *t, CodecPoolElement *out);
gboolean codec_read_server_info (CodecDecoder *d, const CodecTlv *t, CodecServerInfo *out);
gboolean codec_read_operation_error (CodecDecoder *d, const CodecTlv *t, const CodecOperationError **out);

G_END_DECLS
