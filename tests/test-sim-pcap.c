/*
 * tests/test-sim-pcap.c - the pcap writer: exact file and record layout,
 * valid IPv4/UDP checksums and SCTP CRC32c, per-direction tags and TSNs.
 */
#include "config.h"

#include "sim/pcap.h"

#include <glib/gstdio.h>
#include <string.h>

static guint32
le32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static guint32
be32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static guint16
be16 (const guint8 *p)
{
  return (guint16) (p[0] << 8 | p[1]);
}

/* RFC 1071: the sum over data including its checksum folds to 0xffff. */
static guint16
fold (const guint8 *pseudo, gsize plen, const guint8 *data, gsize len)
{
  guint32 s = 0;
  for (gsize i = 0; i + 1 < plen; i += 2)
    s += be16 (pseudo + i);
  for (gsize i = 0; i + 1 < len; i += 2)
    s += be16 (data + i);
  if (len & 1)
    s += (guint32) data[len - 1] << 8;
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return (guint16) s;
}

/* The CRC32c check value of RFC 3720 / README-pcap. */
static void
test_crc32c (void)
{
  g_assert_cmphex (sim_pcap_crc32c ((const guint8 *) "123456789", 9), ==, 0xE3069283u);
  g_assert_cmphex (sim_pcap_crc32c (NULL, 0), ==, 0);
}

typedef struct {
  char *dir;
  char *path;
} Tmp;

static void
tmp_setup (Tmp *t, gconstpointer unused)
{
  g_autoptr (GError) error = NULL;
  t->dir = g_dir_make_tmp ("poolsim-pcap-XXXXXX", &error);
  g_assert_no_error (error);
  t->path = g_build_filename (t->dir, "t.pcap", NULL);
}

static void
tmp_teardown (Tmp *t, gconstpointer unused)
{
  g_unlink (t->path);
  g_rmdir (t->dir);
  g_free (t->path);
  g_free (t->dir);
}

/* Three SCTP packets (two A->B, one B->A) and one UDP datagram, checked byte by byte. */
static void
test_layout (Tmp *t, gconstpointer unused)
{
  g_autoptr (GError) error = NULL;
  SimPcap *p = sim_pcap_open (t->path, &error);
  g_assert_no_error (error);
  const guint32 A = 0x0a000001, B = 0x0a000002;
  const guint8 msg[] = { 1, 2, 3, 4, 5, 6 };
  g_assert_true (sim_pcap_write_sctp (p, 1 * SIM_S + 5, A, 1000, B, 3863, 0, 11, msg, 6, &error));
  g_assert_true (sim_pcap_write_sctp (p, 2 * SIM_S, A, 1000, B, 3863, 0, 11, msg, 4, &error));
  g_assert_true (sim_pcap_write_sctp (p, 3 * SIM_S, B, 3863, A, 1000, 2, 12, msg, 6, &error));
  g_assert_true (sim_pcap_write_udp (p, 4 * SIM_S + 999999999, A, 9901, 0xef000033, 9901, msg, 5, &error));
  g_assert_cmpuint (sim_pcap_frames (p), ==, 4);
  g_assert_true (sim_pcap_close (p, &error));
  g_assert_no_error (error);

  g_autofree guint8 *f = NULL;
  gsize len = 0;
  g_file_get_contents (t->path, (char **) &f, &len, &error);
  g_assert_no_error (error);
  const gsize sctp1 = 16 + 20 + 12 + 16 + 8, sctp2 = 16 + 20 + 12 + 16 + 4, udp = 16 + 20 + 8 + 5;
  g_assert_cmpuint (len, ==, 24 + sctp1 + sctp2 + sctp1 + udp);
  static const guint8 header[24] = { 0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                     0x00, 0x00, 0x04, 0x00, 101, 0, 0, 0 };
  g_assert_cmpmem (f, 24, header, 24);

  guint32 tags[3], tsns[3];
  const guint8 *r = f + 24;
  for (int i = 0; i < 3; i++)
    {
      guint32 incl = le32 (r + 8);
      g_assert_cmpuint (incl, ==, le32 (r + 12));
      g_assert_cmpuint (le32 (r), ==, (guint32) i + 1);
      g_assert_cmpuint (le32 (r + 4), ==, i == 0 ? 5 : 0);
      const guint8 *ip = r + 16;
      g_assert_cmphex (ip[0], ==, 0x45);
      g_assert_cmpuint (be16 (ip + 2), ==, incl);
      g_assert_cmpuint (be16 (ip + 4), ==, (guint) i + 1);
      g_assert_cmphex (be16 (ip + 6), ==, 0x4000);
      g_assert_cmpuint (ip[9], ==, 132);
      g_assert_cmphex (fold (NULL, 0, ip, 20), ==, 0xffff);
      const guint8 *s = ip + 20;
      gsize slen = incl - 20;
      guint8 copy[64];
      memcpy (copy, s, slen);
      memset (copy + 8, 0, 4);
      g_assert_cmphex (le32 (s + 8), ==, sim_pcap_crc32c (copy, slen));
      tags[i] = be32 (s + 4);
      const guint8 *c = s + 12;
      g_assert_cmpuint (c[0], ==, 0);
      g_assert_cmpuint (c[1], ==, 3);
      g_assert_cmpuint (be16 (c + 2), ==, i == 1 ? 20 : 22);
      tsns[i] = be32 (c + 4);
      g_assert_cmpuint (be16 (c + 8), ==, i == 2 ? 2 : 0);
      g_assert_cmpuint (be16 (c + 10), ==, i == 1 ? 1 : 0);
      g_assert_cmpuint (be32 (c + 12), ==, i == 2 ? 12 : 11);
      g_assert_cmpmem (c + 16, i == 1 ? 4 : 6, msg, i == 1 ? 4 : 6);
      if (i != 1)
        g_assert_cmpmem (c + 22, 2, "\0\0", 2);
      r += 16 + incl;
    }
  /* Each direction has its own tag and its own TSNs, rising from 1. */
  g_assert_cmphex (tags[0], ==, tags[1]);
  g_assert_cmphex (tags[0], !=, tags[2]);
  g_assert_cmpuint (tsns[0], ==, 1);
  g_assert_cmpuint (tsns[1], ==, 2);
  g_assert_cmpuint (tsns[2], ==, 1);

  /* The UDP datagram: nanosecond timestamp, checksum over the pseudo header. */
  g_assert_cmpuint (le32 (r), ==, 4);
  g_assert_cmpuint (le32 (r + 4), ==, 999999999);
  const guint8 *ip = r + 16;
  g_assert_cmpuint (ip[9], ==, 17);
  g_assert_cmphex (fold (NULL, 0, ip, 20), ==, 0xffff);
  const guint8 *u = ip + 20;
  g_assert_cmpuint (be16 (u), ==, 9901);
  g_assert_cmpuint (be16 (u + 2), ==, 9901);
  g_assert_cmpuint (be16 (u + 4), ==, 13);
  guint8 pseudo[12] = { 10, 0, 0, 1, 0xef, 0, 0, 0x33, 0, 17, 0, 13 };
  g_assert_cmphex (fold (pseudo, 12, u, 13), ==, 0xffff);
  g_assert_cmpmem (u + 8, 5, msg, 5);
}

/* The same packets give the same file, byte for byte. */
static void
test_deterministic (Tmp *t, gconstpointer unused)
{
  g_autofree guint8 *first = NULL;
  gsize first_len = 0;
  for (int run = 0; run < 2; run++)
    {
      g_autoptr (GError) error = NULL;
      SimPcap *p = sim_pcap_open (t->path, &error);
      g_assert_no_error (error);
      for (guint i = 0; i < 50; i++)
        g_assert_true (sim_pcap_write_sctp (p, i * SIM_MS, 0x0a000000 + i % 3, 5000, 0x0a000009, 9901, 0, 12,
                                            (const guint8 *) "abcdefgh", i % 8, &error));
      g_assert_true (sim_pcap_close (p, &error));
      g_autofree guint8 *f = NULL;
      gsize len = 0;
      g_file_get_contents (t->path, (char **) &f, &len, &error);
      g_assert_no_error (error);
      if (run == 0)
        {
          first = g_steal_pointer (&f);
          first_len = len;
        }
      else
        g_assert_cmpmem (f, len, first, first_len);
    }
}

/* A file that cannot be created is a GError naming it. */
static void
test_open_error (void)
{
  g_autoptr (GError) error = NULL;
  SimPcap *p = sim_pcap_open ("/nonexistent-dir/x.pcap", &error);
  g_assert_null (p);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_nonnull (strstr (error->message, "/nonexistent-dir/x.pcap"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/pcap/crc32c", test_crc32c);
  g_test_add ("/sim/pcap/layout", Tmp, NULL, tmp_setup, test_layout, tmp_teardown);
  g_test_add ("/sim/pcap/deterministic", Tmp, NULL, tmp_setup, test_deterministic, tmp_teardown);
  g_test_add_func ("/sim/pcap/open-error", test_open_error);
  return g_test_run ();
}
