/*
 * tests/test-models-rsp-secure.c - TLS wired into the RSerPool model
 * (models/rsp-secure.h): the baseline with security on every channel class
 * against the same baseline without, determinism with OpenSSL in the loop,
 * certificates expiring in simulated time, and TLS records in the capture.
 *
 * Runs: scenarios/examples/baseline.ini, configs Short and SecureEverywhere,
 * scaled to 5 PEs and 50 PUs over 5 + 15 simulated minutes, LU, in process.
 */
#include "config.h"

#include "models/secure.h"
#include "results/metrics.h"
#include "tests/testutil.h"

#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

static char *tmpdir;

#define REPS "5"

static const char *const small[] = {
  "pool.policy=lu", "pe.count=5", "pu.count=50", "sim-time-limit=20min", "warmup-period=5min", "repeat=" REPS,
  NULL,
};

static char *
run_baseline (const char *config, const char *const *extra, const char *tag)
{
  if (tmpdir == NULL)
    tmpdir = testutil_tmpdir ();
  g_autofree char *name = g_strdup_printf ("%s-%s.db", config, tag);
  char *db = g_build_filename (tmpdir, name, NULL);
  if (g_file_test (db, G_FILE_TEST_EXISTS))
    return db;
  g_autoptr (GPtrArray) sets = g_ptr_array_new ();
  for (guint i = 0; small[i] != NULL; i++)
    g_ptr_array_add (sets, (gpointer) small[i]);
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (sets, (gpointer) extra[i]);
  g_ptr_array_add (sets, NULL);
  g_autofree char *scenario = testutil_srcpath ("scenarios/examples/baseline.ini");
  g_autoptr (GError) error = NULL;
  gboolean ok = testutil_run_in_process (scenario, config, (const char *const *) sets->pdata, db, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  return db;
}

/* One number from the database: the first column of the first row of sql. */
static double
query (const char *db, const char *sql)
{
  sqlite3 *h = NULL;
  g_assert_cmpint (sqlite3_open_v2 (db, &h, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_stmt *st = NULL;
  g_assert_cmpint (sqlite3_prepare_v2 (h, sql, -1, &st, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (st), ==, SQLITE_ROW);
  double v = sqlite3_column_double (st, 0);
  sqlite3_finalize (st);
  sqlite3_close (h);
  return v;
}

/* A scalar of every complete run, by run number. */
static GArray *
values (const char *db, const char *name)
{
  GArray *v = g_array_new (FALSE, FALSE, sizeof (double));
  sqlite3 *h = NULL;
  g_assert_cmpint (sqlite3_open_v2 (db, &h, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_stmt *st = NULL;
  const char *sql = "SELECT s.value FROM scalar s JOIN run r ON r.id = s.run_id WHERE r.status = 'complete' "
                    "AND s.name = ?1 ORDER BY r.run_number";
  g_assert_cmpint (sqlite3_prepare_v2 (h, sql, -1, &st, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (st, 1, name, -1, SQLITE_STATIC);
  while (sqlite3_step (st) == SQLITE_ROW)
    {
      double x = sqlite3_column_double (st, 0);
      g_array_append_val (v, x);
    }
  sqlite3_finalize (st);
  sqlite3_close (h);
  return v;
}

static void
mean_ci (GArray *v, double *mean, double *half)
{
  g_assert_cmpuint (v->len, ==, 5);
  double s = 0, ss = 0;
  for (guint i = 0; i < v->len; i++)
    s += g_array_index (v, double, i);
  *mean = s / v->len;
  for (guint i = 0; i < v->len; i++)
    ss += pow (g_array_index (v, double, i) - *mean, 2);
  *half = 2.7764451051977987 * sqrt (ss / (v->len - 1)) / sqrt ((double) v->len);   /* t(0.975, 4) */
}

/*
 * Issue point 6: with TLS on every class (PSK PE-registrar, registrar-
 * registrar and PU-PE, certificates PU-registrar), utilization and handling
 * speed lie inside the 95 % confidence intervals of the same runs without
 * TLS, and what TLS costs shows: handshakes per class, bytes on the wire,
 * CPU time at the registrar.
 */
static void
test_baseline (void)
{
  g_autofree char *plain = run_baseline ("Short", NULL, "plain");
  g_autofree char *secure = run_baseline ("SecureEverywhere", NULL, "secure");
  static const char *const metrics[] = { "calcapp.utilization", "calcapp.handling_speed" };
  for (guint m = 0; m < G_N_ELEMENTS (metrics); m++)
    {
      g_autoptr (GArray) a = values (plain, metrics[m]);
      g_autoptr (GArray) b = values (secure, metrics[m]);
      double ma, ha, mb, hb;
      mean_ci (a, &ma, &ha);
      mean_ci (b, &mb, &hb);
      g_test_message ("%s: plain %.4f +- %.4f, secure %.4f +- %.4f", metrics[m], ma, ha, mb, hb);
      g_assert_cmpfloat (fabs (mb - ma), <=, ha);
    }
  /* Handshakes: every PE and PU once with the registrar, every CalcApp job once with its PE. */
  double pe_reg = query (secure, "SELECT SUM(value) FROM scalar WHERE name = "
                                 "'secure.handshakes.pe-registrar.client'");
  double pu_reg = query (secure, "SELECT SUM(value) FROM scalar WHERE name = "
                                 "'secure.handshakes.pu-registrar.client'");
  double pu_pe = query (secure, "SELECT SUM(value) FROM scalar WHERE name = 'secure.handshakes.pu-pe.client'");
  double pu_pe_srv = query (secure, "SELECT SUM(value) FROM scalar WHERE name = 'secure.handshakes.pu-pe.server'");
  double fails = query (secure, "SELECT SUM(value) FROM scalar WHERE name LIKE 'secure.failures.%'");
  g_assert_cmpfloat (pe_reg, ==, 5 * 5);
  g_assert_cmpfloat (pu_reg, ==, 50 * 5);
  g_assert_cmpfloat (pu_pe, ==, pu_pe_srv);
  g_assert_cmpfloat (pu_pe, >, 1000);
  g_assert_cmpfloat (fails, ==, 0);
  /* Bytes on the wire and the registrar's CPU. */
  double bytes_plain = query (plain, "SELECT SUM(value) FROM scalar WHERE name = 'net.bytes'");
  double bytes_secure = query (secure, "SELECT SUM(value) FROM scalar WHERE name = 'net.bytes'");
  double cpu_plain = query (plain, "SELECT SUM(value) FROM scalar WHERE name = 'net.cpu.utilization' "
                                   "AND module = 'net/host/registrar0'");
  double cpu_secure = query (secure, "SELECT SUM(value) FROM scalar WHERE name = 'net.cpu.utilization' "
                                     "AND module = 'net/host/registrar0'");
  g_test_message ("bytes %.0f -> %.0f (x%.3f), registrar CPU %.3g -> %.3g (x%.2f)", bytes_plain, bytes_secure,
                  bytes_secure / bytes_plain, cpu_plain, cpu_secure, cpu_secure / cpu_plain);
  g_assert_cmpfloat (bytes_secure / bytes_plain, >, 1.5);
  g_assert_cmpfloat (bytes_secure / bytes_plain, <, 4.0);
  g_assert_cmpfloat (cpu_secure, >, cpu_plain);
  g_assert_cmpfloat (cpu_secure, >, 0);
  /* Every name the secure runs recorded is in the metric catalogue (`poolsim list metrics`). */
  sqlite3 *h = NULL;
  g_assert_cmpint (sqlite3_open_v2 (secure, &h, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_stmt *st = NULL;
  g_assert_cmpint (sqlite3_prepare_v2 (h, "SELECT DISTINCT name FROM scalar UNION SELECT DISTINCT name FROM statistic",
                                       -1, &st, NULL), ==, SQLITE_OK);
  guint names = 0;
  while (sqlite3_step (st) == SQLITE_ROW)
    {
      const char *name = (const char *) sqlite3_column_text (st, 0);
      if (results_metrics_lookup (name) == NULL)
        g_error ("recorded metric %s is not in results/metrics.c", name);
      names++;
    }
  sqlite3_finalize (st);
  sqlite3_close (h);
  g_assert_cmpuint (names, >, 40);
}

/* Issue point 2: OpenSSL's randomness comes from the run's streams: the same secure run twice gives the same rows. */
static void
test_determinism (void)
{
  static const char *const one[] = { "repeat=1", "sim-time-limit=10min", NULL };
  guint64 fallbacks = secure_rand_fallbacks ();
  g_autofree char *a = run_baseline ("SecureEverywhere", one, "det-a");
  g_autofree char *b = run_baseline ("SecureEverywhere", one, "det-b");
  g_autofree char *da = testutil_dump_results (a);
  g_autofree char *dbb = testutil_dump_results (b);
  g_assert_cmpuint (strlen (da), >, 1000);
  g_assert_cmpstr (da, ==, dbb);
  g_assert_cmpuint (secure_rand_fallbacks (), ==, fallbacks);
  static const char *const other[] = { "repeat=1", "sim-time-limit=10min", "seed-set=99", NULL };
  g_autofree char *c = run_baseline ("SecureEverywhere", other, "det-c");
  g_autofree char *dc = testutil_dump_results (c);
  g_assert_cmpstr (da, !=, dc);
}

/*
 * Issue point 6: certificates expire in simulated time. Valid for 10 min,
 * the PU's certificate handshakes with PEs fail as cert-time from then on:
 * every job after that fails its handshake, none before.
 */
static void
test_cert_expired (void)
{
  static const char *const expiring[] = { "repeat=1", "secure.pu-pe=cert", "secure.cert-validity=10min", NULL };
  g_autofree char *db = run_baseline ("Secure", expiring, "expiring");
  double ok = query (db, "SELECT value FROM scalar WHERE name = 'secure.handshakes.pu-pe.client'");
  double expired = query (db, "SELECT value FROM scalar WHERE name = 'secure.failures.pu-pe.client.cert-time'");
  double other = query (db, "SELECT SUM(value) FROM scalar WHERE name LIKE 'secure.failures.pu-pe.client.%' "
                            "AND name != 'secure.failures.pu-pe.client.cert-time'");
  g_test_message ("pu-pe handshakes %.0f, expired %.0f", ok, expired);
  /* About half the 20 minutes: the jobs of 10 min before and after (about 30 per minute). */
  g_assert_cmpfloat (ok, >, 200);
  g_assert_cmpfloat (expired, >, 200);
  g_assert_cmpfloat (other, ==, 0);
  /* The registrar's certificate expired too, but the PUs' associations with it were made before. */
  g_assert_cmpfloat (query (db, "SELECT value FROM scalar WHERE name = 'secure.handshakes.pu-registrar.client'"), ==,
                     50);
}

/*
 * Issue point 1: certificates loaded from files (secure.cert-dir) instead
 * of generated. A CA of the test's own and registrar0's certificate (its
 * address 10.0.0.1 in subjectAltName) saved as PEM: every PU verifies the
 * registrar against them; without the registrar's key the run stops at its
 * start with an error naming the file.
 */
static void
test_cert_dir (void)
{
  if (tmpdir == NULL)
    tmpdir = testutil_tmpdir ();
  g_autofree char *dir = g_build_filename (tmpdir, "certs", NULL);
  g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
  g_autoptr (SecureCert) ca = secure_cert_new_ca ("test CA", 5, 0, 100 * 3600 * SIM_S);
  g_autoptr (SecureCert) reg = secure_cert_issue_ip (ca, "registrar0", "10.0.0.1", 5, 0, 100 * 3600 * SIM_S);
  g_autofree char *ca_pem = g_build_filename (dir, "ca.pem", NULL);
  g_autofree char *reg_pem = g_build_filename (dir, "registrar0.pem", NULL);
  g_autofree char *reg_key = g_build_filename (dir, "registrar0.key", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (secure_cert_save (ca, ca_pem, NULL, &error));
  g_assert_true (secure_cert_save (reg, reg_pem, reg_key, &error));
  g_assert_no_error (error);
  g_autofree char *set_dir = g_strdup_printf ("secure.cert-dir=%s", dir);
  const char *const loaded[] = { "repeat=1", set_dir, NULL };
  g_autofree char *db = run_baseline ("Secure", loaded, "cert-dir");
  g_assert_cmpfloat (query (db, "SELECT value FROM scalar WHERE name = 'secure.handshakes.pu-registrar.client'"), ==,
                     50);
  g_assert_cmpfloat (query (db, "SELECT SUM(value) FROM scalar WHERE name LIKE 'secure.failures.%'"), ==, 0);

  g_assert_cmpint (g_unlink (reg_key), ==, 0);
  g_autofree char *bad = g_build_filename (tmpdir, "cert-dir-bad.db", NULL);
  g_autofree char *scenario = testutil_srcpath ("scenarios/examples/baseline.ini");
  const char *const sets[] = { "pool.policy=lu", "pe.count=5", "pu.count=50", "repeat=1", set_dir, NULL };
  g_autoptr (GError) run_error = NULL;
  g_assert_false (testutil_run_in_process (scenario, "Secure", sets, bad, &run_error));
  g_assert_nonnull (run_error);
  g_test_message ("%s", run_error->message);
  g_assert_nonnull (strstr (run_error->message, "secure.cert-dir"));
  g_assert_nonnull (strstr (run_error->message, "registrar0.key"));
}

/* Issue point 4: the TLS records are the SCTP payload on port 3864 and the exported capture shows them. */
static void
test_pcap (void)
{
  g_autofree char *tshark = g_find_program_in_path ("tshark");
  if (tshark == NULL)
    {
      g_test_skip ("tshark is not installed (./bootstrap installs it)");
      return;
    }
  if (tmpdir == NULL)
    tmpdir = testutil_tmpdir ();
  g_autofree char *poolsim = testutil_poolsim ();
  g_autofree char *scenario = testutil_srcpath ("scenarios/examples/baseline.ini");
  g_autofree char *db = g_build_filename (tmpdir, "pcap.db", NULL);
  g_autofree char *pcap = g_build_filename (tmpdir, "secure.pcap", NULL);
  g_autofree char *dbarg = g_strdup_printf ("--db=%s", db);
  g_autofree char *pcaparg = g_strdup_printf ("--pcap=%s", pcap);
  const char *argv[] = { poolsim, "run", scenario, "-c", "SecureEverywhere", "-r", "0", "--set", "sim-time-limit=1min",
                         "--set", "pe.count=2", "--set", "pu.count=2", dbarg, pcaparg, NULL };
  gint status;
  g_autoptr (GError) error = NULL;
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  /* ASAP and ENRP are nowhere in the clear (the CalcApp channel carries ASAP cookies: TLS too); TLS
   * application data records are on 3864. */
  const char *plain_argv[] = { tshark, "-r", pcap, "-Y", "asap || enrp", "-T", "fields", "-e", "frame.number",
                               NULL };
  g_autofree char *out = NULL;
  g_spawn_sync (NULL, (char **) plain_argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status,
                &error);
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, "");
  const char *tls_argv[] = { tshark, "-r", pcap, "-d", "sctp.port==3864,tls", "-Y",
                             "tls.record.opaque_type == 23 && sctp.port == 3864", "-T", "fields", "-e",
                             "frame.number", NULL };
  g_autofree char *tls = NULL;
  g_spawn_sync (NULL, (char **) tls_argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &tls, NULL, &status,
                &error);
  g_assert_no_error (error);
  g_auto (GStrv) lines = g_strsplit (g_strstrip (tls), "\n", -1);
  g_test_message ("%u TLS application-data frames on 3864", g_strv_length (lines));
  /* 2 PEs register every 10 s for a minute, 2 PUs resolve per job: dozens of records. */
  g_assert_cmpuint (g_strv_length (lines), >, 20);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/models/rsp-secure/baseline", test_baseline);
  g_test_add_func ("/models/rsp-secure/determinism", test_determinism);
  g_test_add_func ("/models/rsp-secure/cert-expired", test_cert_expired);
  g_test_add_func ("/models/rsp-secure/cert-dir", test_cert_dir);
  g_test_add_func ("/models/rsp-secure/pcap", test_pcap);
  int rc = g_test_run ();
  if (tmpdir != NULL)
    testutil_rmtree (tmpdir);
  return rc;
}
