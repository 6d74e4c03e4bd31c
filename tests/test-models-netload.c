/*
 * tests/test-models-netload.c - the network's validation model end to end:
 * exact latencies on a deterministic LAN, reliable ordered delivery under
 * loss, datagram loss against the configured probability, host failures
 * accounted for, the capture written by `poolsim run --pcap` judged by
 * ../shared/tools/check-pcap, and identical rows from identical runs.
 *
 * Every run is scenarios/examples/netload.ini (config General, run 0) with
 * --set overrides, in process or through the built binary.
 */
#include "config.h"

#include "tests/testutil.h"

#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

static char *tmpdir;

/* Run the example's General config with overrides into a fresh database named `name`. (transfer full) */
static char *
run_example (const char *name, const char *const *sets)
{
  if (tmpdir == NULL)
    tmpdir = testutil_tmpdir ();
  char *db = g_build_filename (tmpdir, name, NULL);
  g_autofree char *scenario = testutil_srcpath ("scenarios/examples/netload.ini");
  g_autoptr (GError) error = NULL;
  g_assert_true (testutil_run_in_process (scenario, "General", sets, db, &error));
  g_assert_no_error (error);
  return db;
}

/* The value of one scalar of the only run in db. */
static double
scalar (const char *db, const char *module, const char *name)
{
  sqlite3 *h = NULL;
  g_assert_cmpint (sqlite3_open_v2 (db, &h, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_stmt *st = NULL;
  g_assert_cmpint (sqlite3_prepare_v2 (h, "SELECT value FROM scalar WHERE module = ?1 AND name = ?2", -1, &st, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_text (st, 1, module, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 2, name, -1, SQLITE_STATIC);
  if (sqlite3_step (st) != SQLITE_ROW)
    g_error ("%s: no scalar %s of module %s", db, name, module);
  double v = sqlite3_column_double (st, 0);
  g_assert_cmpint (sqlite3_step (st), ==, SQLITE_DONE);
  sqlite3_finalize (st);
  sqlite3_close (h);
  return v;
}

static double
netload (const char *db, const char *name)
{
  return scalar (db, "netload", name);
}

typedef struct {
  double count, mean, min, max;
} Stat;

static Stat
statistic (const char *db, const char *name)
{
  sqlite3 *h = NULL;
  g_assert_cmpint (sqlite3_open_v2 (db, &h, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_stmt *st = NULL;
  g_assert_cmpint (sqlite3_prepare_v2 (h, "SELECT count, mean, min, max FROM statistic WHERE module = 'netload' "
                                          "AND name = ?1", -1, &st, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (st, 1, name, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (st), ==, SQLITE_ROW);
  Stat s = { sqlite3_column_double (st, 0), sqlite3_column_double (st, 1), sqlite3_column_double (st, 2),
             sqlite3_column_double (st, 3) };
  sqlite3_finalize (st);
  sqlite3_close (h);
  return s;
}

/*
 * Two hosts on a 1 Mbit/s LAN with a constant 1 ms delay, no loss, a 2 ms CPU
 * service, one 100-byte payload per host every second (the first at 1 s, the
 * last at 9 s: the run ends at 10 s and the last 0.5 s generate nothing).
 * All on associations; the first entry is for the datagram variant to replace.
 */
static const char *const tiny_sets[] = {
  "netload.udp-fraction=0", "netload.hosts=2", "netload.interval=constant(1s)", "netload.size=constant(100B)",
  "net.lan.loss=0", "net.lan.delay=constant(1ms)", "net.lan.bandwidth=1Mbps",
  "net.cpu.service=constant(2ms)", "net.sctp.hb-interval=0s", "sim-time-limit=10s", "netload.drain=500ms",
  NULL,
};

/* Latency of a message on an association = serialization of 20 + 12 + 16 + 100 bytes + delay + CPU, exactly. */
static void
test_exact_latency (void)
{
  g_autofree char *db = run_example ("tiny.db", tiny_sets);
  g_assert_cmpfloat (netload (db, "netload.messages.sent"), ==, 18);
  g_assert_cmpfloat (netload (db, "netload.messages.delivered"), ==, 18);
  g_assert_cmpfloat (netload (db, "netload.messages.blocked"), ==, 0);
  g_assert_cmpfloat (netload (db, "netload.delivery_ratio"), ==, 1);
  g_assert_cmpfloat (netload (db, "netload.datagrams.sent"), ==, 0);
  /* 148 B x 8 / 1 Mbit/s = 1.184 ms on the wire, 1 ms on the LAN, 2 ms at the receiver's CPU. */
  double expect = (double) (1184000 + 1000000 + 2000000) / 1e9;
  Stat s = statistic (db, "netload.latency");
  g_assert_cmpfloat (s.count, ==, 18);
  g_assert_cmpfloat (s.min, ==, expect);
  g_assert_cmpfloat (s.max, ==, expect);
  g_assert_cmpfloat (s.mean, ==, expect);
  g_assert_cmpfloat (netload (db, "netload.throughput"), ==, 1.8);
  g_assert_cmpfloat (netload (db, "netload.goodput"), ==, 18 * 100 * 8 / 10.0);
  g_assert_cmpfloat (scalar (db, "net", "net.sctp.retransmissions"), ==, 0);
}

/* The same with every message a datagram to the peer: 20 + 8 + 100 bytes on the wire. */
static void
test_exact_datagram_latency (void)
{
  const char *sets[G_N_ELEMENTS (tiny_sets)];
  memcpy (sets, tiny_sets, sizeof sets);
  sets[0] = "netload.udp-fraction=1";
  g_autofree char *db = run_example ("tiny-udp.db", sets);
  g_assert_cmpfloat (netload (db, "netload.messages.sent"), ==, 0);
  g_assert_cmpfloat (netload (db, "netload.datagrams.sent"), ==, 18);
  g_assert_cmpfloat (netload (db, "netload.datagrams.expected"), ==, 18);
  g_assert_cmpfloat (netload (db, "netload.datagrams.received"), ==, 18);
  g_assert_cmpfloat (netload (db, "netload.datagrams.lost"), ==, 0);
  double expect = (double) (1024000 + 1000000 + 2000000) / 1e9;
  Stat s = statistic (db, "netload.datagrams.latency");
  g_assert_cmpfloat (s.count, ==, 18);
  g_assert_cmpfloat (s.min, ==, expect);
  g_assert_cmpfloat (s.max, ==, expect);
}

/*
 * 20 % loss: associations deliver every message once and in order (fast RTOs
 * and a long drain let the last ones through), datagram copies are lost at
 * 20 % within four standard deviations.
 */
static void
test_lossy (void)
{
  static const char *const sets[] = {
    "netload.hosts=10", "netload.interval=exponential(50ms)", "netload.udp-fraction=0.3",
    "netload.udp-destination=group", "net.lan.loss=0.2", "net.sctp.rto-initial=300ms",
    "net.sctp.rto-min=100ms", "net.sctp.rto-max=1s", "net.sctp.max-retrans=40", "sim-time-limit=60s",
    "netload.drain=20s", NULL,
  };
  g_autofree char *db = run_example ("lossy.db", sets);
  double sent = netload (db, "netload.messages.sent");
  g_test_message ("sent %.0f, retransmissions %.0f", sent, scalar (db, "net", "net.sctp.retransmissions"));
  g_assert_cmpfloat (sent, >, 4000);
  g_assert_cmpfloat (netload (db, "netload.messages.delivered"), ==, sent);
  g_assert_cmpfloat (netload (db, "netload.messages.lost"), ==, 0);
  g_assert_cmpfloat (netload (db, "netload.messages.unfinished"), ==, 0);
  g_assert_cmpfloat (netload (db, "netload.messages.out_of_order"), ==, 0);
  g_assert_cmpfloat (netload (db, "netload.messages.duplicates"), ==, 0);
  g_assert_cmpfloat (netload (db, "netload.malformed"), ==, 0);
  g_assert_cmpfloat (netload (db, "netload.assoc.failures"), ==, 0);
  /*
   * A DATA packet is lost with p = 0.2 and sent again (1/0.8 - 1 = 0.25 per
   * message), plus what a timeout resends of chunks whose SACK was lost.
   */
  double retrans = scalar (db, "net", "net.sctp.retransmissions");
  g_assert_cmpfloat (retrans, >, 0.25 * sent);
  g_assert_cmpfloat (retrans, <, 0.5 * sent);
  double expected = netload (db, "netload.datagrams.expected");
  double ratio = netload (db, "netload.datagrams.loss_ratio");
  double sd = sqrt (0.2 * 0.8 / expected);
  g_test_message ("datagram copies %.0f, loss ratio %.5f (sd %.5f)", expected, ratio, sd);
  g_assert_cmpfloat (expected, ==, 9 * netload (db, "netload.datagrams.sent"));
  g_assert_cmpfloat (fabs (ratio - 0.2), <=, 4 * sd);
}

/*
 * h1 of two hosts is down from 10 s to 20 s: its association is counted as
 * crashed, h0's ends with an ABORT when h1 is back; both open a new one, the
 * messages of the aborted one are lost, and sent = delivered + lost + unfinished.
 */
static void
test_host_failure (void)
{
  static const char *const sets[] = {
    "netload.hosts=2", "netload.interval=constant(100ms)", "netload.udp-fraction=0",
    "net.fail.schedule=h1:10s-20s", "sim-time-limit=60s", NULL,
  };
  g_autofree char *db = run_example ("failure.db", sets);
  double sent = netload (db, "netload.messages.sent");
  double delivered = netload (db, "netload.messages.delivered");
  double lost = netload (db, "netload.messages.lost");
  g_test_message ("sent %.0f delivered %.0f lost %.0f blocked %.0f", sent, delivered, lost,
                  netload (db, "netload.messages.blocked"));
  g_assert_cmpfloat (netload (db, "netload.assoc.crashed"), ==, 1);
  g_assert_cmpfloat (netload (db, "netload.assoc.aborted"), ==, 1);
  g_assert_cmpfloat (netload (db, "netload.assoc.failures"), ==, 2);
  g_assert_cmpfloat (netload (db, "netload.assoc.opened"), ==, 4);
  g_assert_cmpfloat (netload (db, "netload.assoc.established"), ==, 4);
  g_assert_cmpfloat (lost, >, 0);
  g_assert_cmpfloat (netload (db, "netload.messages.blocked"), >, 0);
  g_assert_cmpfloat (sent, ==, delivered + lost + netload (db, "netload.messages.unfinished"));
  g_assert_cmpfloat (netload (db, "netload.messages.out_of_order"), ==, 0);
  g_assert_cmpfloat (netload (db, "netload.messages.duplicates"), ==, 0);
  g_assert_cmpfloat (scalar (db, "net", "net.lost.host_down"), >, 0);
}

/* Keys that are each valid but do not fit together: the run fails with a message saying why. */
static void
test_invalid_combinations (void)
{
  static const struct { const char *set; const char *message; } cases[] = {
    { "netload.drain=60s", "run 0: netload.drain (60s) leaves no time to send before sim-time-limit (60s)" },
    { "netload.hosts=65535", "run 0: netload.hosts (65535) do not fit on net.lans (1) LANs of 65534 addresses each" },
    { "net.lans=0", "run 0: model netload places its hosts on the LANs of net.lans: it must be at least 1" },
    { "sim-time-limit=0s", "run 0: model netload generates traffic until sim-time-limit: set one" },
  };
  if (tmpdir == NULL)
    tmpdir = testutil_tmpdir ();
  g_autofree char *scenario = testutil_srcpath ("scenarios/examples/netload.ini");
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("invalid-%" G_GSIZE_FORMAT ".db", i);
      g_autofree char *db = g_build_filename (tmpdir, name, NULL);
      const char *sets[] = { cases[i].set, NULL };
      g_autoptr (GError) error = NULL;
      g_assert_false (testutil_run_in_process (scenario, "General", sets, db, &error));
      g_assert_nonnull (error);
      g_assert_true (g_str_has_suffix (error->message, cases[i].message));
    }
}

typedef struct {
  int   status;
  char *err;
} Spawned;

/* Run the built poolsim on the example's run 0 with extra arguments (NULL-terminated). */
static Spawned
poolsim_run (const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (argv, testutil_poolsim ());
  g_ptr_array_add (argv, g_strdup ("run"));
  g_ptr_array_add (argv, testutil_srcpath ("scenarios/examples/netload.ini"));
  g_ptr_array_add (argv, g_strdup ("-r"));
  g_ptr_array_add (argv, g_strdup ("0"));
  va_list ap;
  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, g_strdup (a));
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  Spawned r = { 0, NULL };
  int wait = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                               &r.err, &wait, &error));
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (wait));
  r.status = WEXITSTATUS (wait);
  return r;
}

/* Records in a classic pcap file, read independently of the writer: 24-byte header, 16-byte record headers. */
static guint64
pcap_records (const guint8 *b, gsize len)
{
  g_assert_cmpuint (len, >=, 24);
  guint64 n = 0;
  for (gsize off = 24; off < len; n++)
    {
      g_assert_cmpuint (len - off, >=, 16);
      guint32 incl = (guint32) b[off + 8] | (guint32) b[off + 9] << 8 | (guint32) b[off + 10] << 16
                     | (guint32) b[off + 11] << 24;
      off += 16 + (gsize) incl;
      g_assert_cmpuint (off, <=, len);
    }
  return n;
}

/*
 * `poolsim run --pcap`: one frame per message sent, per retransmission and per
 * datagram sent; capturing lan0, the only LAN, writes the same bytes; tshark
 * finds nothing malformed and no ASAP or ENRP (PPID 0, port 9000).
 */
static void
test_pcap_cli (void)
{
  if (tmpdir == NULL)
    tmpdir = testutil_tmpdir ();
  g_autofree char *db = g_build_filename (tmpdir, "pcap.db", NULL);
  g_autofree char *db_lan = g_build_filename (tmpdir, "pcap-lan.db", NULL);
  g_autofree char *all = g_build_filename (tmpdir, "all.pcap", NULL);
  g_autofree char *lan0 = g_build_filename (tmpdir, "lan0.pcap", NULL);
  Spawned r = poolsim_run ("--db", db, "--pcap", all, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_free (r.err);
  r = poolsim_run ("--db", db_lan, "--pcap", lan0, "--pcap-lan", "lan0", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_free (r.err);

  double retrans = scalar (db, "net", "net.sctp.retransmissions");
  g_assert_cmpfloat (retrans, >, 0);
  guint64 frames = (guint64) (netload (db, "netload.messages.sent") + netload (db, "netload.datagrams.sent") + retrans);
  g_autofree char *bytes = NULL, *bytes_lan = NULL;
  gsize len = 0, len_lan = 0;
  g_assert_true (g_file_get_contents (all, &bytes, &len, NULL));
  g_assert_true (g_file_get_contents (lan0, &bytes_lan, &len_lan, NULL));
  g_assert_cmpuint (pcap_records ((const guint8 *) bytes, len), ==, frames);
  g_assert_cmpmem (bytes, len, bytes_lan, len_lan);

  const char *shared = g_getenv ("POOLSIM_SHARED");
  g_autofree char *tshark = g_find_program_in_path ("tshark");
  g_autofree char *tool = shared != NULL ? g_build_filename (shared, "tools", "check-pcap", NULL) : NULL;
  if (tool == NULL || !g_file_test (tool, G_FILE_TEST_IS_EXECUTABLE) || tshark == NULL)
    {
      g_test_skip (tool == NULL ? "POOLSIM_SHARED is not set (run through make check): capture not judged by tshark"
                   : tshark == NULL ? "tshark not found (apt-get install tshark): capture not judged"
                                    : "POOLSIM_SHARED has no tools/check-pcap: capture not judged by tshark");
      return;
    }
  char *argv[] = { tool, all, NULL };
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("check-pcap failed:\n%s\n%s", out, err);
  g_autofree char *expect = g_strdup_printf ("check-pcap: %" G_GUINT64_FORMAT " frames, 0 asap, 0 enrp, 0 malformed\n",
                                             frames);
  g_assert_true (g_str_has_suffix (out, expect));
}

/* --pcap-lan with a LAN that does not exist: the run fails, naming it and the LANs there are. */
static void
test_pcap_bad_lan (void)
{
  if (tmpdir == NULL)
    tmpdir = testutil_tmpdir ();
  g_autofree char *db = g_build_filename (tmpdir, "bad-lan.db", NULL);
  g_autofree char *path = g_build_filename (tmpdir, "bad-lan.pcap", NULL);
  Spawned r = poolsim_run ("--db", db, "--pcap", path, "--pcap-lan", "nosuch", NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_true (g_str_has_suffix (r.err, ": run 0: --pcap-lan: no LAN is named 'nosuch' (the LANs: lan0)\n"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_free (r.err);
}

/* The same scenario and seed twice: identical result rows, doubles bit for bit. */
static void
test_deterministic (void)
{
  g_autofree char *a = run_example ("det-a.db", NULL);
  g_autofree char *b = run_example ("det-b.db", NULL);
  g_autofree char *da = testutil_dump_results (a);
  g_autofree char *dbb = testutil_dump_results (b);
  g_assert_nonnull (strstr (da, "|netload|netload.latency|"));
  g_assert_nonnull (strstr (da, "|net/host/h23|net.cpu.utilization|"));
  g_assert_cmpstr (da, ==, dbb);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/models/netload/exact-latency", test_exact_latency);
  g_test_add_func ("/models/netload/exact-datagram-latency", test_exact_datagram_latency);
  g_test_add_func ("/models/netload/lossy", test_lossy);
  g_test_add_func ("/models/netload/host-failure", test_host_failure);
  g_test_add_func ("/models/netload/invalid-combinations", test_invalid_combinations);
  g_test_add_func ("/models/netload/pcap-cli", test_pcap_cli);
  g_test_add_func ("/models/netload/pcap-bad-lan", test_pcap_bad_lan);
  g_test_add_func ("/models/netload/deterministic", test_deterministic);
  int status = g_test_run ();
  if (tmpdir != NULL)
    testutil_rmtree (tmpdir);
  g_free (tmpdir);
  return status;
}
