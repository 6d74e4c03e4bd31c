/*
 * tests/test-sim-matrix.c - `poolsim matrix` through the built binary over
 * a folder with two of the source tree's threat scenarios (§2.14 and §2.3,
 * to check the section order), on a tiny length: one row per threat and
 * headline metric in section order, the expected columns, every cell filled
 * with n = 2 repetitions; a rerun runs nothing (the sweep's resume) and
 * prints the same table; usage errors; and the shipped folder covers every
 * threat of RFC 5355 §2 with a reference and a mitigation.
 */
#include "config.h"

#include "tests/testutil.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

/* Run `poolsim ARGS...`; returns its exit status, stdout and stderr. */
static int
poolsim (const char *const *args, char **out, char **err)
{
  g_autofree char *exe = testutil_poolsim ();
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, exe);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  GError *error = NULL;
  g_autoptr (GSubprocess) p = g_subprocess_newv ((const char *const *) argv->pdata,
                                                 G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                                 &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (p, NULL, NULL, out, err, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (p));
  return g_subprocess_get_exit_status (p);
}

static guint
count (const char *haystack, const char *needle)
{
  guint n = 0;
  for (const char *p = strstr (haystack, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

/* Copy scenarios/threats/NAME into dir. */
static void
copy_threat (const char *dir, const char *name)
{
  g_autofree char *rel = g_strdup_printf ("scenarios/threats/%s", name);
  g_autofree char *src = testutil_srcpath (rel);
  g_autofree char *text = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (src, &text, &len, NULL));
  g_autofree char *dst = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (dst, text, (gssize) len, NULL));
}

/* Two threat scenarios in section order, with their configs (6 sweeps of 2 runs). */
static void
test_quick_table_and_resume (void)
{
  g_autofree char *dir = testutil_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "matrix.db", NULL);
  g_autofree char *threats = g_build_filename (dir, "threats", NULL);
  g_assert_cmpint (g_mkdir (threats, 0755), ==, 0);
  copy_threat (threats, "2.14-keepalive-flood.ini");
  copy_threat (threats, "2.3-spoofing.ini");
  /* 5 min of warm-up, 1 measured: the shape of the table, not its numbers */
  const char *args[] = { "matrix", "--quick", "-j", "2", "--db", db, "--scenarios", threats,
                         "--set", "sim-time-limit=6min", NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (poolsim (args, &out, &err), ==, 0);
  g_assert_cmpuint (count (err, "config "), ==, 6);
  g_assert_cmpuint (count (err, ": 2 runs complete, 0 skipped (already complete), 0 failed;"), ==, 6);

  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + 4 + 1);  /* header, 2 per threat, "" after the last \n */
  g_assert_cmpstr (lines[5], ==, "");
  g_assert_true (g_str_has_prefix (lines[0], "threat"));
  const char *header[] = { "metric", "no attack", "attack", "mitigation 1" };
  const char *at = lines[0];
  for (guint i = 0; i < G_N_ELEMENTS (header); i++)
    {
      const char *next = strstr (at, header[i]);
      g_assert_nonnull (next);
      at = next + strlen (header[i]);
    }
  g_assert_cmpstr (at, ==, "");
  static const struct {
    const char *threat;  /* NULL: the threat's second row */
    const char *metric;
    const char *mitigation;
  } rows[] = {
    { "§2.3 ", "calcapp.handling_speed", "address-binding: " },
    { NULL, "oracle.hs.hijacked", "address-binding: " },
    { "§2.14 ", "calcapp.handling_speed", "keep-alive-rate-limit: " },
    { NULL, "oracle.cpu.utilization", "keep-alive-rate-limit: " },
  };
  for (guint r = 0; r < G_N_ELEMENTS (rows); r++)
    {
      const char *line = lines[1 + r];
      if (rows[r].threat != NULL)
        g_assert_true (g_str_has_prefix (line, rows[r].threat));
      else
        g_assert_true (g_str_has_prefix (line, " "));
      g_assert_nonnull (strstr (line, rows[r].metric));
      g_assert_nonnull (strstr (line, rows[r].mitigation));
      /* every config's cell: two repetitions, a confidence interval */
      g_assert_cmpuint (count (line, " (n=2)"), ==, 3);
      g_assert_cmpuint (count (line, " ± "), ==, 3);
    }

  /* The same command again: every run is skipped, the table is the same. */
  g_autofree char *out2 = NULL, *err2 = NULL;
  g_assert_cmpint (poolsim (args, &out2, &err2), ==, 0);
  g_assert_cmpuint (count (err2, ": 0 runs complete, 2 skipped (already complete), 0 failed;"), ==, 6);
  g_assert_cmpstr (out2, ==, out);
  testutil_rmtree (dir);
}

/*
 * The shipped folder (what `poolsim matrix` reads by default) has, for every
 * section 2.1-2.16 of RFC 5355, a scenario named after it with a config
 * none, the attack (General) and at least one mitigation; and `poolsim list
 * threats` names an attack for all sixteen.
 */
static void
test_shipped_threats (void)
{
  g_autofree char *dir = testutil_srcpath ("scenarios/threats");
  for (guint sec = 1; sec <= 16; sec++)
    {
      g_autofree char *prefix = g_strdup_printf ("2.%u-", sec);
      g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
      g_assert_nonnull (d);
      guint files = 0;
      const char *name;
      while ((name = g_dir_read_name (d)) != NULL)
        {
          if (!g_str_has_prefix (name, prefix) || !g_str_has_suffix (name, ".ini"))
            continue;
          files++;
          g_autofree char *file = g_build_filename (dir, name, NULL);
          g_autofree char *text = NULL;
          g_assert_true (g_file_get_contents (file, &text, NULL, NULL));
          g_assert_nonnull (strstr (text, "\n[General]\n"));
          g_assert_nonnull (strstr (text, "\n[Config none]\n"));
          if (count (text, "\n[Config ") < 2)
            g_error ("%s: no mitigation config beside none", name);
        }
      if (files == 0)
        g_error ("scenarios/threats has no scenario for RFC 5355 §2.%u", sec);
    }
  const char *args[] = { "list", "threats", NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (poolsim (args, &out, &err), ==, 0);
  /* One heading per threat, each followed by the attack that models it. */
  g_assert_cmpuint (count (out, "\n§2.") + g_str_has_prefix (out, "§2."), ==, 16);
  g_assert_cmpuint (count (out, "    attack.type: "), ==, 16);
  g_assert_cmpuint (count (out, "    attack.type: -"), ==, 0);
}

static void
test_usage_errors (void)
{
  const char *both[] = { "matrix", "--quick", "--paper", NULL };
  const char *jobs[] = { "matrix", "-j", "0", NULL };
  const char *extra[] = { "matrix", "x.ini", NULL };
  const char *nodir[] = { "matrix", "--scenarios", "/nonexistent/threats", NULL };
  const char *const *cases[] = { both, jobs, extra, nodir };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = NULL, *err = NULL;
      g_assert_cmpint (poolsim (cases[i], &out, &err), ==, 2);
      g_assert_cmpstr (out, ==, "");
      g_assert_cmpstr (err, !=, "");
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/matrix/quick-table-and-resume", test_quick_table_and_resume);
  g_test_add_func ("/sim/matrix/usage-errors", test_usage_errors);
  g_test_add_func ("/sim/matrix/shipped-threats", test_shipped_threats);
  return g_test_run ();
}
