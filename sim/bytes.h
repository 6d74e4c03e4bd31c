/*
 * sim/bytes.h - network byte order and the Internet checksum, for the engine's
 * packet code (network, pcap writer). Header-only: every function is a few
 * instructions and sits on per-packet paths.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

static inline void
sim_put16 (guint8 *p, guint v)
{
  p[0] = (guint8) (v >> 8);
  p[1] = (guint8) v;
}

static inline void
sim_put32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

static inline void
sim_put64 (guint8 *p, guint64 v)
{
  sim_put32 (p, (guint32) (v >> 32));
  sim_put32 (p + 4, (guint32) v);
}

static inline guint
sim_get16 (const guint8 *p)
{
  return (guint) p[0] << 8 | p[1];
}

static inline guint32
sim_get32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static inline guint64
sim_get64 (const guint8 *p)
{
  return (guint64) sim_get32 (p) << 32 | sim_get32 (p + 4);
}

/* RFC 1071: the one's complement sum of data (16-bit big-endian words), added to sum; not yet folded. */
static inline guint32
sim_inet_sum (guint32 sum, const guint8 *data, gsize len)
{
  for (gsize i = 0; i + 1 < len; i += 2)
    sum += (guint32) (data[i] << 8 | data[i + 1]);
  if (len & 1)
    sum += (guint32) data[len - 1] << 8;
  return sum;
}

/* RFC 1071: fold the carries and complement: the checksum field's value. */
static inline guint16
sim_inet_fold (guint32 sum)
{
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (guint16) ~sum;
}

G_END_DECLS
