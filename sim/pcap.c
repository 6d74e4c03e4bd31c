/*
 * sim/pcap.c - classic pcap writer for simulated traffic (LINKTYPE_RAW,
 * IPv4 + SCTP DATA or UDP), after ../shared/tools/README-pcap.md.
 *
 * Design. Records are assembled in one reusable buffer and written with one
 * fwrite each through a large stdio buffer. Per-direction SCTP state (tag,
 * next TSN, stream sequence numbers) lives in a hash table that is only ever
 * looked up, never iterated, so its order cannot leak into the output.
 * Verification tags are derived from the direction's 4-tuple (CRC32c, never
 * 0), so the same traffic always gives the same bytes.
 *
 * Checksums: IPv4 header checksum and UDP checksum per RFC 1071 (UDP 0 is sent
 * as 0xffff, RFC 768); SCTP CRC32c over the packet with the checksum field
 * zeroed, stored least-significant byte first as RFC 4960 App. B
 * implementations (and tshark) do.
 *
 * Not here: anything about the payloads (PPIDs are plain numbers).
 */
#include "config.h"

#include "sim/pcap.h"

#include "sim/bytes.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#define PCAP_MAGIC_NSEC 0xa1b23c4du
#define LINKTYPE_RAW    101u
#define SNAPLEN         262144u
#define IPPROTO_SCTP_   132u
#define IPPROTO_UDP_    17u

typedef struct {
  guint32 src, dst;
  guint16 sport, dport;
} DirKey;

typedef struct {
  DirKey   key;
  guint32  vtag;
  guint32  next_tsn;
  GArray  *ssn;   /* guint16 next stream sequence number, indexed by stream id */
} Dir;

struct SimPcap {
  FILE       *f;
  char       *path;
  GHashTable *dirs;    /* DirKey* -> Dir* (key inside the value) */
  GByteArray *rec;     /* record being assembled */
  guint16     ip_id;
  guint64     frames;
  int         write_errno; /* first fwrite failure, 0 = none */
};

static guint32 crc32c_table[256];

static gpointer
crc32c_init (gpointer unused)
{
  for (guint32 i = 0; i < 256; i++)
    {
      guint32 c = i;
      for (int k = 0; k < 8; k++)
        c = (c >> 1) ^ ((c & 1) ? 0x82F63B78u : 0);
      crc32c_table[i] = c;
    }
  return NULL;
}

guint32
sim_pcap_crc32c (const guint8 *data, gsize len)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, crc32c_init, NULL);
  guint32 crc = 0xFFFFFFFFu;
  for (gsize i = 0; i < len; i++)
    crc = crc32c_table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

static void
put32le (guint8 *p, guint32 v)
{
  p[0] = (guint8) v;
  p[1] = (guint8) (v >> 8);
  p[2] = (guint8) (v >> 16);
  p[3] = (guint8) (v >> 24);
}

static guint
dir_hash (gconstpointer k)
{
  const DirKey *d = k;
  guint64 h = ((guint64) d->src << 32 | d->dst) * 0x9E3779B97F4A7C15ull;
  h ^= ((guint64) d->sport << 16 | d->dport) * 0xC2B2AE3D27D4EB4Full;
  return (guint) (h ^ (h >> 32));
}

static gboolean
dir_equal (gconstpointer a, gconstpointer b)
{
  const DirKey *x = a, *y = b;
  return x->src == y->src && x->dst == y->dst && x->sport == y->sport && x->dport == y->dport;
}

static void
dir_free (gpointer p)
{
  Dir *d = p;
  g_array_unref (d->ssn);
  g_free (d);
}

static Dir *
dir_get (SimPcap *pcap, guint32 src, guint16 sport, guint32 dst, guint16 dport)
{
  DirKey key = { src, dst, sport, dport };
  Dir *d = g_hash_table_lookup (pcap->dirs, &key);
  if (d != NULL)
    return d;
  d = g_new0 (Dir, 1);
  d->key = key;
  guint8 tuple[12];
  sim_put32 (tuple, src);
  sim_put16 (tuple + 4, sport);
  sim_put32 (tuple + 6, dst);
  sim_put16 (tuple + 10, dport);
  d->vtag = sim_pcap_crc32c (tuple, sizeof tuple);
  if (d->vtag == 0)
    d->vtag = 1;
  d->next_tsn = 1;
  d->ssn = g_array_new (FALSE, TRUE, sizeof (guint16));
  g_hash_table_insert (pcap->dirs, &d->key, d);
  return d;
}

SimPcap *
sim_pcap_open (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  FILE *f = g_fopen (path, "wb");
  if (f == NULL)
    {
      int e = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
                   "cannot create pcap file %s: %s", path, g_strerror (e));
      return NULL;
    }
  SimPcap *pcap = g_new0 (SimPcap, 1);
  pcap->f = f;
  pcap->path = g_strdup (path);
  pcap->dirs = g_hash_table_new_full (dir_hash, dir_equal, NULL, dir_free);
  pcap->rec = g_byte_array_sized_new (2048);
  setvbuf (f, NULL, _IOFBF, 1 << 16);

  /* Global header, little-endian: magic, version 2.4, thiszone, sigfigs, snaplen, network. */
  guint8 h[24];
  put32le (h, PCAP_MAGIC_NSEC);
  h[4] = 2, h[5] = 0, h[6] = 4, h[7] = 0;
  put32le (h + 8, 0);
  put32le (h + 12, 0);
  put32le (h + 16, SNAPLEN);
  put32le (h + 20, LINKTYPE_RAW);
  if (fwrite (h, sizeof h, 1, f) != 1)
    pcap->write_errno = errno ? errno : EIO;
  return pcap;
}

static void
pcap_release (SimPcap *pcap)
{
  g_hash_table_unref (pcap->dirs);
  g_byte_array_unref (pcap->rec);
  g_free (pcap->path);
  g_free (pcap);
}

gboolean
sim_pcap_close (SimPcap *pcap, GError **error)
{
  g_return_val_if_fail (pcap != NULL, FALSE);
  int e = pcap->write_errno;
  if (fclose (pcap->f) != 0 && e == 0)
    e = errno ? errno : EIO;
  gboolean ok = e == 0;
  if (!ok)
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
                 "cannot write pcap file %s: %s", pcap->path, g_strerror (e));
  pcap_release (pcap);
  return ok;
}

void
sim_pcap_free (SimPcap *pcap)
{
  if (pcap == NULL)
    return;
  fclose (pcap->f);
  pcap_release (pcap);
}

guint64
sim_pcap_frames (const SimPcap *pcap)
{
  return pcap->frames;
}

/* Start a record: 16-byte record header + 20-byte IPv4 header; returns the IPv4 header. */
static guint8 *
record_begin (SimPcap *pcap, gsize ip_len)
{
  g_byte_array_set_size (pcap->rec, (guint) (16 + ip_len));
  memset (pcap->rec->data, 0, 16 + ip_len);
  return pcap->rec->data + 16;
}

static void
ipv4_header (SimPcap *pcap, guint8 *ip, gsize ip_len, guint8 proto, guint32 src, guint32 dst)
{
  ip[0] = 0x45;
  sim_put16 (ip + 2, (guint16) ip_len);
  sim_put16 (ip + 4, ++pcap->ip_id);
  sim_put16 (ip + 6, 0x4000);   /* DF */
  ip[8] = 64;               /* TTL */
  ip[9] = proto;
  sim_put32 (ip + 12, src);
  sim_put32 (ip + 16, dst);
  sim_put16 (ip + 10, sim_inet_fold (sim_inet_sum (0, ip, 20)));
}

static gboolean
record_end (SimPcap *pcap, SimTime t, GError **error)
{
  guint8 *r = pcap->rec->data;
  guint32 len = pcap->rec->len - 16;
  put32le (r, (guint32) (t / SIM_S));
  put32le (r + 4, (guint32) (t % SIM_S));
  put32le (r + 8, len);
  put32le (r + 12, len);
  if (pcap->write_errno == 0 && fwrite (r, pcap->rec->len, 1, pcap->f) != 1)
    pcap->write_errno = errno ? errno : EIO;
  if (pcap->write_errno != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (pcap->write_errno),
                   "cannot write pcap file %s: %s", pcap->path, g_strerror (pcap->write_errno));
      return FALSE;
    }
  pcap->frames++;
  return TRUE;
}

gboolean
sim_pcap_write_sctp (SimPcap      *pcap,
                     SimTime       t,
                     guint32       src,
                     guint16       sport,
                     guint32       dst,
                     guint16       dport,
                     guint16       stream,
                     guint32       ppid,
                     const guint8 *payload,
                     gsize         len,
                     GError      **error)
{
  g_return_val_if_fail (pcap != NULL && t >= 0, FALSE);
  g_return_val_if_fail (len <= SIM_PCAP_MAX_SCTP_PAYLOAD && (payload != NULL || len == 0), FALSE);

  Dir *d = dir_get (pcap, src, sport, dst, dport);
  if (d->ssn->len <= stream)
    g_array_set_size (d->ssn, (guint) stream + 1);
  guint16 *ssn = &g_array_index (d->ssn, guint16, stream);

  gsize chunk_len = 16 + len;
  gsize sctp_len = 12 + ((chunk_len + 3) & ~(gsize) 3);
  gsize ip_len = 20 + sctp_len;
  guint8 *ip = record_begin (pcap, ip_len);
  guint8 *s = ip + 20;
  /* SCTP common header (RFC 4960 §3.1): ports, verification tag, checksum. */
  sim_put16 (s, sport);
  sim_put16 (s + 2, dport);
  sim_put32 (s + 4, d->vtag);
  /* DATA chunk (RFC 4960 §3.3.1): type 0, flags B|E, length without padding. */
  guint8 *c = s + 12;
  c[1] = 0x03;
  sim_put16 (c + 2, (guint16) chunk_len);
  sim_put32 (c + 4, d->next_tsn++);
  sim_put16 (c + 8, stream);
  sim_put16 (c + 10, (*ssn)++);
  sim_put32 (c + 12, ppid);
  if (len > 0)
    memcpy (c + 16, payload, len);
  put32le (s + 8, sim_pcap_crc32c (s, sctp_len));
  ipv4_header (pcap, ip, ip_len, IPPROTO_SCTP_, src, dst);
  return record_end (pcap, t, error);
}

gboolean
sim_pcap_write_udp (SimPcap      *pcap,
                    SimTime       t,
                    guint32       src,
                    guint16       sport,
                    guint32       dst,
                    guint16       dport,
                    const guint8 *payload,
                    gsize         len,
                    GError      **error)
{
  g_return_val_if_fail (pcap != NULL && t >= 0, FALSE);
  g_return_val_if_fail (len <= SIM_PCAP_MAX_UDP_PAYLOAD && (payload != NULL || len == 0), FALSE);

  gsize udp_len = 8 + len;
  gsize ip_len = 20 + udp_len;
  guint8 *ip = record_begin (pcap, ip_len);
  guint8 *u = ip + 20;
  sim_put16 (u, sport);
  sim_put16 (u + 2, dport);
  sim_put16 (u + 4, (guint16) udp_len);
  if (len > 0)
    memcpy (u + 8, payload, len);
  /* RFC 768: checksum over the pseudo header and the datagram. */
  guint8 pseudo[12];
  sim_put32 (pseudo, src);
  sim_put32 (pseudo + 4, dst);
  pseudo[8] = 0;
  pseudo[9] = IPPROTO_UDP_;
  sim_put16 (pseudo + 10, (guint16) udp_len);
  guint16 sum = sim_inet_fold (sim_inet_sum (sim_inet_sum (0, pseudo, sizeof pseudo), u, udp_len));
  sim_put16 (u + 6, sum == 0 ? 0xffff : sum);
  ipv4_header (pcap, ip, ip_len, IPPROTO_UDP_, src, dst);
  return record_end (pcap, t, error);
}
