/*
 * tests/test-sim-net-pcap.c - a run's packets exported as pcap: the codec's
 * golden ASAP and ENRP messages carried by associations (PPID 11 and 12) and
 * datagrams (ports 3863 and 9901) across two LANs, written by the network's
 * capture hook and judged by ../shared/tools/check-pcap (tshark).
 */
#include "config.h"

#include "codec-vectors.h"
#include "net-test-util.h"
#include "sim/net-capture.h"

#include <glib/gstdio.h>

typedef struct {
  guint asap, enrp, udp;
  guint n_asap_assoc;   /* ASAP messages on the association pe -> reg (these cross lan0) */
} Counts;

static gboolean
accept_all (NetListener *l, NetAssoc *a, gpointer user_data)
{
  return TRUE;
}

/* pe on lan0, reg and reg2 on lan1; every golden vector sent once; capture to path (lan NULL = all). */
static guint64
run_capture (const char *path, const char *lan, Counts *n)
{
  TNet t;
  tnet_init (&t, 1, 2, SIM_MS, 100000000, 0);
  NetHost *pe = tnet_host (&t, "pe", 0), *reg = tnet_host (&t, "reg", 1), *reg2 = tnet_host (&t, "reg2", 1);
  g_autoptr (GError) error = NULL;
  g_assert_true (net_capture_open (t.net, path, lan, &error));
  g_assert_no_error (error);
  net_listen (reg, 3863, accept_all, NULL);
  net_listen (reg, 9901, accept_all, NULL);
  NetAssoc *asap = net_assoc_connect (pe, net_host_address (reg, 0), 3863, NULL, NULL);
  NetAssoc *enrp = net_assoc_connect (reg2, net_host_address (reg, 0), 9901, NULL, NULL);
  NetUdpSocket *u = net_udp_open (pe, 0, NULL, NULL);
  memset (n, 0, sizeof *n);
  for (gsize i = 0; i < N_CODEC_VECTORS; i++)
    {
      const CodecVector *v = &codec_vectors[i];
      g_autoptr (GBytes) msg = g_bytes_new_static (v->bytes, v->len);
      gboolean is_asap = v->proto == CODEC_PROTO_ASAP;
      if (strstr (v->label, "(udp)") != NULL)
        {
          net_udp_send (u, net_host_address (reg, 0), is_asap ? 3863 : 9901, 0, msg);
          n->udp++;
        }
      else if (is_asap)
        {
          net_assoc_send (asap, 0, 11, 0, msg);
          n->n_asap_assoc++;
        }
      else
        net_assoc_send (enrp, 0, 12, 0, msg);
      if (is_asap)
        n->asap++;
      else
        n->enrp++;
    }
  sim_kernel_run (t.kernel, 10 * SIM_S);
  guint64 frames = net_capture_frames (t.net);
  g_assert_true (net_capture_close (t.net, &error));
  g_assert_no_error (error);
  tnet_clear (&t);
  return frames;
}

/* The whole network's capture: one frame per message, tshark finds every one and nothing malformed. */
static void
test_check_pcap (void)
{
  g_autofree char *dir = g_dir_make_tmp ("poolsim-net-pcap-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "net.pcap", NULL);
  Counts n;
  guint64 frames = run_capture (path, NULL, &n);
  g_assert_cmpuint (frames, ==, N_CODEC_VECTORS);
  g_assert_cmpuint (n.udp, >, 0);
  const char *shared = g_getenv ("POOLSIM_SHARED");
  g_autofree char *tshark = g_find_program_in_path ("tshark");
  if (shared == NULL || tshark == NULL)
    {
      g_unlink (path);
      g_rmdir (dir);
      g_test_skip (shared == NULL ? "POOLSIM_SHARED is not set (run through make check)"
                                  : "tshark not found: apt-get install tshark to check the capture");
      return;
    }
  g_autofree char *tool = g_build_filename (shared, "tools", "check-pcap", NULL);
  char *argv[] = { tool, path, NULL };
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  g_autoptr (GError) error = NULL;
  g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("check-pcap failed:\n%s\n%s", out, err);
  g_autofree char *expect = g_strdup_printf ("check-pcap: %u frames, %u asap, %u enrp, 0 malformed",
                                             (guint) N_CODEC_VECTORS, n.asap, n.enrp);
  g_assert_nonnull (strstr (out, expect));
  g_unlink (path);
  g_rmdir (dir);
}

/* A capture of one LAN holds exactly the packets crossing it: pe's ASAP and datagrams cross lan0, ENRP does not. */
static void
test_capture_one_lan (void)
{
  g_autofree char *dir = g_dir_make_tmp ("poolsim-net-pcap-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "lan0.pcap", NULL);
  Counts n;
  g_assert_cmpuint (run_capture (path, "lan0", &n), ==, n.n_asap_assoc + n.udp);
  g_assert_cmpuint (run_capture (path, "lan1", &n), ==, N_CODEC_VECTORS);
  g_unlink (path);
  g_rmdir (dir);
}

/* An unknown LAN name is an error that names it. */
static void
test_capture_bad_lan (void)
{
  TNet t;
  tnet_init (&t, 1, 1, SIM_MS, 100000000, 0);
  g_autoptr (GError) error = NULL;
  g_assert_false (net_capture_open (t.net, "/nonexistent/x.pcap", "lan7", &error));
  g_assert_error (error, NET_ERROR, NET_ERROR_NAME);
  g_assert_cmpstr (error->message, ==, "--pcap-lan: no LAN is named 'lan7'");
  g_clear_error (&error);
  g_assert_false (net_capture_open (t.net, "/nonexistent/x.pcap", NULL, &error));
  g_assert_error (error, NET_ERROR, NET_ERROR_PCAP);
  tnet_clear (&t);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/net/pcap/check-pcap", test_check_pcap);
  g_test_add_func ("/sim/net/pcap/one-lan", test_capture_one_lan);
  g_test_add_func ("/sim/net/pcap/bad-lan", test_capture_bad_lan);
  return g_test_run ();
}
