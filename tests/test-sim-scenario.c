/*
 * tests/test-sim-scenario.c - scenario files: configs, extends, sweeps, runs, seeds, errors.
 */
#include "config.h"

#include "sim/scenario.h"

#include <glib/gstdio.h>

static const SimParamDecl test_decls[] = {
  { "pe.count", SIM_PARAM_INT, "10", 1, 1000, NULL, "PEs" },
  { "pe.capacity", SIM_PARAM_DOUBLE, "1000000", 1, G_MAXDOUBLE, NULL, "capacity" },
  { "pu.interval", SIM_PARAM_DIST_TIME, "exponential(125s)", 1, G_MAXDOUBLE, NULL, "request interval" },
  { "attack.interval", SIM_PARAM_TIME, "1s", 1, 9e18, NULL, "attack interval" },
  { "pool.policy", SIM_PARAM_ENUM, "rr", 0, 0, "lu,lud,rr,rand", "policy" },
  { "net.bandwidth", SIM_PARAM_RATE, "100Mbps", 1, G_MAXDOUBLE, NULL, "bandwidth" },
};

typedef struct {
  SimParamTable *table;
  char *dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->table = sim_param_table_new ();
  gsize n;
  const SimParamDecl *core = sim_scenario_core_params (&n);
  sim_param_table_add (f->table, core, n);
  sim_param_table_add (f->table, test_decls, G_N_ELEMENTS (test_decls));
  f->dir = g_dir_make_tmp ("poolsim-scenario-XXXXXX", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  sim_param_table_free (f->table);
  g_autoptr (GDir) d = g_dir_open (f->dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (f->dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
}

/* Write `text` to a file in the fixture's folder and return its path. */
static char *
write_scenario (Fixture *f, const char *text)
{
  char *path = g_build_filename (f->dir, "s.ini", NULL);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

static SimScenario *
load_ok (Fixture *f, const char *text)
{
  g_autofree char *path = write_scenario (f, text);
  g_autoptr (GError) error = NULL;
  SimScenario *sc = sim_scenario_load (path, f->table, &error);
  g_assert_no_error (error);
  return sc;
}

/* Assert that loading or expanding run 0 of `config` fails with exactly "PATH:" + suffix. */
static void
assert_scenario_error (Fixture *f, const char *text, const char *config, gint code, const char *suffix)
{
  g_autofree char *path = write_scenario (f, text);
  g_autoptr (GError) error = NULL;
  g_autoptr (SimScenario) sc = sim_scenario_load (path, f->table, &error);
  if (sc != NULL)
    {
      g_autoptr (SimRunSpec) spec = sim_scenario_run (sc, config, 0, &error);
      g_assert_null (spec);
    }
  g_assert_error (error, SIM_SCENARIO_ERROR, code);
  g_autofree char *expect = g_strconcat (path, suffix, NULL);
  g_assert_cmpstr (error->message, ==, expect);
}

/* Runs are the cartesian product of the sweeps (first slowest) times the repetitions (fastest). */
static void
test_sweep_numbering (Fixture *f, gconstpointer data)
{
  g_autoptr (SimScenario) sc = load_ok (f, "[General]\n"
                                           "pool.policy = ${P=lu,rr}\n"
                                           "pe.count = ${N=1..7 step 3}\n"
                                           "repeat = 2\n");
  guint n = 0;
  g_assert_true (sim_scenario_count_runs (sc, "General", &n, NULL));
  g_assert_cmpuint (n, ==, 12);
  const char *expect[][2] = { { "lu", "1" }, { "lu", "4" }, { "lu", "7" }, { "rr", "1" }, { "rr", "4" }, { "rr", "7" } };
  GHashTable *seeds = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr (GPtrArray) keep = g_ptr_array_new_with_free_func ((GDestroyNotify) sim_run_spec_free);
  for (guint r = 0; r < n; r++)
    {
      SimRunSpec *spec = sim_scenario_run (sc, "General", r, NULL);
      g_ptr_array_add (keep, spec);
      g_assert_cmpuint (spec->repetition, ==, r % 2);
      g_assert_cmpuint (spec->itervars->len, ==, 2);
      SimIterVar *p = spec->itervars->pdata[0], *nv = spec->itervars->pdata[1];
      g_assert_cmpstr (p->name, ==, "P");
      g_assert_cmpstr (p->value, ==, expect[r / 2][0]);
      g_assert_cmpstr (nv->name, ==, "N");
      g_assert_cmpstr (nv->value, ==, expect[r / 2][1]);
      g_assert_cmpstr (sim_params_string (spec->params, "pool.policy"), ==, expect[r / 2][0]);
      g_assert_cmpint (sim_params_int (spec->params, "pe.count"), ==, g_ascii_strtoll (expect[r / 2][1], NULL, 10));
      g_assert_false (g_hash_table_contains (seeds, &spec->seed)); /* seed-set = run number: all differ */
      g_hash_table_add (seeds, &spec->seed);
    }
  g_hash_table_unref (seeds);
  g_autoptr (GError) error = NULL;
  g_assert_null (sim_scenario_run (sc, "General", 12, &error));
  g_assert_error (error, SIM_SCENARIO_ERROR, SIM_SCENARIO_ERROR_RUN);
}

/* seed-set = ${repetition} gives the same seeds for every sweep value (common random numbers). */
static void
test_seed_set_repetition (Fixture *f, gconstpointer data)
{
  g_autoptr (SimScenario) sc = load_ok (f, "[General]\nseed-set = ${repetition}\n"
                                           "attack.interval = ${A=0.5s,1s}\nrepeat = 3\n");
  for (guint r = 0; r < 3; r++)
    {
      g_autoptr (SimRunSpec) a = sim_scenario_run (sc, "General", r, NULL);
      g_autoptr (SimRunSpec) b = sim_scenario_run (sc, "General", r + 3, NULL);
      g_assert_cmpuint (a->seed, ==, b->seed);
      g_assert_cmpint (sim_params_time (a->params, "attack.interval"), ==, SIM_S / 2);
      g_assert_cmpint (sim_params_time (b->params, "attack.interval"), ==, SIM_S);
    }
  g_autoptr (SimRunSpec) r0 = sim_scenario_run (sc, "General", 0, NULL);
  g_autoptr (SimRunSpec) r1 = sim_scenario_run (sc, "General", 1, NULL);
  g_assert_cmpuint (r0->seed, !=, r1->seed);
}

/* A config inherits from what it extends, then from General; the nearest definition wins. */
static void
test_extends_precedence (Fixture *f, gconstpointer data)
{
  g_autoptr (SimScenario) sc = load_ok (f, "[General]\npe.count = 5\npool.policy = lu\nnet.bandwidth = 1Gbps\n"
                                           "[Config Base]\npe.count = 20\npool.policy = lud\n"
                                           "[Config Attack]\nextends = Base\npe.count = 30\n");
  g_autoptr (SimRunSpec) spec = sim_scenario_run (sc, "Attack", 0, NULL);
  g_assert_cmpint (sim_params_int (spec->params, "pe.count"), ==, 30);
  g_assert_cmpstr (sim_params_string (spec->params, "pool.policy"), ==, "lud");
  g_assert_cmpfloat (sim_params_double (spec->params, "net.bandwidth"), ==, 1e9);
  g_assert_cmpfloat (sim_params_double (spec->params, "pe.capacity"), ==, 1e6); /* default */
  g_assert_true (sim_params_lookup (spec->params, "pe.capacity")->is_default);
  g_autoptr (SimRunSpec) base = sim_scenario_run (sc, "Base", 0, NULL);
  g_assert_cmpint (sim_params_int (base->params, "pe.count"), ==, 20);
}

/* $name uses a sweep variable's value inside another key, also inside a distribution. */
static void
test_variable_reference (Fixture *f, gconstpointer data)
{
  g_autoptr (SimScenario) sc = load_ok (f, "[General]\nattack.interval = ${A=2s,4s}\n"
                                           "pu.interval = exponential($A)\n");
  g_autoptr (SimRunSpec) spec = sim_scenario_run (sc, "General", 1, NULL);
  const SimDist *d = sim_params_dist (spec->params, "pu.interval");
  g_assert_true (d->kind == SIM_DIST_EXPONENTIAL);
  g_assert_cmpfloat (d->a, ==, 4e9);
}

/* A range with units expands to values in that unit; an unnamed sweep is named after its key. */
static void
test_unit_range_and_unnamed (Fixture *f, gconstpointer data)
{
  g_autoptr (SimScenario) sc = load_ok (f, "[General]\nattack.interval = ${0.5s..1.5s step 0.5s}\n"
                                           "pu.interval = ${exponential(1s), uniform(1s, 2s)}\n");
  guint n = 0;
  g_assert_true (sim_scenario_count_runs (sc, "General", &n, NULL));
  g_assert_cmpuint (n, ==, 6);
  g_autoptr (SimRunSpec) spec = sim_scenario_run (sc, "General", 5, NULL);
  SimIterVar *v0 = spec->itervars->pdata[0], *v1 = spec->itervars->pdata[1];
  g_assert_cmpstr (v0->name, ==, "attack.interval");
  g_assert_cmpstr (v0->value, ==, "1.5s");
  g_assert_cmpstr (v1->name, ==, "pu.interval");
  g_assert_cmpstr (v1->value, ==, "uniform(1s, 2s)");
  g_assert_cmpint (sim_params_time (spec->params, "attack.interval"), ==, 1500 * SIM_MS);
}

/* --set overrides every config and changes the digest. */
static void
test_override (Fixture *f, gconstpointer data)
{
  g_autoptr (SimScenario) sc = load_ok (f, "[General]\npe.count = 5\n[Config X]\npe.count = 7\n");
  g_autofree char *before = g_strdup (sim_scenario_digest (sc));
  g_assert_true (sim_scenario_add_override (sc, "pe.count=9", NULL));
  g_assert_cmpstr (sim_scenario_digest (sc), !=, before);
  g_autoptr (SimRunSpec) spec = sim_scenario_run (sc, "X", 0, NULL);
  g_assert_cmpint (sim_params_int (spec->params, "pe.count"), ==, 9);
  g_autoptr (GError) error = NULL;
  g_assert_false (sim_scenario_add_override (sc, "pe.cont=3", &error));
  g_assert_cmpstr (error->message, ==, "--set: pe.cont: unknown key (did you mean 'pe.count'?)");
}

/* An unknown key names file, line and key, and suggests the closest one. */
static void
test_error_unknown_key (Fixture *f, gconstpointer data)
{
  assert_scenario_error (f, "[General]\npe.count = 3\n\n[Config A]\npe.capacty = 5\n", "A",
                         SIM_SCENARIO_ERROR_UNKNOWN_KEY, ":5: pe.capacty: unknown key (did you mean 'pe.capacity'?)");
}

/* A bad unit names file, line and key and lists the right units. */
static void
test_error_bad_unit (Fixture *f, gconstpointer data)
{
  assert_scenario_error (f, "[General]\n# a comment\nattack.interval = 10sec\n", "General",
                         SIM_SCENARIO_ERROR_VALUE,
                         ":3: attack.interval: bad unit 'sec' in '10sec'; a time needs one of: ns, us, ms, s, min, h");
}

/* A value out of range, found in one run of a sweep, names the line and the range. */
static void
test_error_out_of_range (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_scenario (f, "[General]\npe.count = ${N=10,2000}\n");
  g_autoptr (SimScenario) sc = sim_scenario_load (path, f->table, NULL);
  g_autoptr (SimRunSpec) ok = sim_scenario_run (sc, "General", 0, NULL);
  g_assert_nonnull (ok);
  g_autoptr (GError) error = NULL;
  g_assert_null (sim_scenario_run (sc, "General", 1, &error));
  g_autofree char *expect = g_strconcat (path, ":2: pe.count: the value 2000 is out of range [1, 1000]", NULL);
  g_assert_cmpstr (error->message, ==, expect);
}

/* Asking for a config the file does not have lists the configs it has. */
static void
test_error_unknown_config (Fixture *f, gconstpointer data)
{
  assert_scenario_error (f, "[General]\npe.count = 3\n[Config A]\n[Config B]\n", "C", SIM_SCENARIO_ERROR_NO_CONFIG,
                         ": no config 'C' (configs: General, A, B)");
}

/* An extends cycle is found and spelled out; extending a missing config is an error at load. */
static void
test_error_extends_cycle (Fixture *f, gconstpointer data)
{
  assert_scenario_error (f, "[General]\n[Config A]\nextends = B\n[Config B]\nextends = C\n[Config C]\nextends = A\n",
                         "A", SIM_SCENARIO_ERROR_EXTENDS, ":7: extends: extends cycle: A -> B -> C -> A");
  assert_scenario_error (f, "[General]\n[Config A]\nextends = Nope\n", "A", SIM_SCENARIO_ERROR_EXTENDS,
                         ":3: extends: no config 'Nope' to extend");
}

/* Malformed sweeps: bad range, unclosed brace, variable defined twice, undefined reference. */
static void
test_error_malformed_sweep (Fixture *f, gconstpointer data)
{
  assert_scenario_error (f, "[General]\npe.count = ${N=1..x}\n", "General", SIM_SCENARIO_ERROR_SWEEP,
                         ":2: pe.count: malformed range '1..x': 'x' is not a number in the unit of '1'");
  assert_scenario_error (f, "[General]\npe.count = ${N=1,2\n", "General", SIM_SCENARIO_ERROR_SWEEP,
                         ":2: pe.count: '${' without a closing '}'");
  assert_scenario_error (f, "[General]\npe.count = ${N=1,2}\npe.capacity = ${N=3,4}\n", "General",
                         SIM_SCENARIO_ERROR_SWEEP, ":3: pe.capacity: sweep variable 'N' is defined twice");
  assert_scenario_error (f, "[General]\npe.count = $M\n", "General", SIM_SCENARIO_ERROR_SWEEP,
                         ":2: pe.count: undefined variable '$M'");
  assert_scenario_error (f, "[General]\npe.count = ${N=1,,2}\n", "General", SIM_SCENARIO_ERROR_SWEEP,
                         ":2: pe.count: malformed sweep '${N=1,,2}': empty value (write ${NAME=a,b,c})");
}

/* Syntax: duplicates, stray lines and unknown sections are reported with their line. */
static void
test_error_syntax (Fixture *f, gconstpointer data)
{
  assert_scenario_error (f, "[General]\npe.count = 3\npe.count = 4\n", "General", SIM_SCENARIO_ERROR_SYNTAX,
                         ":3: pe.count: defined twice in [General] (first at line 2)");
  assert_scenario_error (f, "[General]\npe.count 3\n", "General", SIM_SCENARIO_ERROR_SYNTAX,
                         ":2: 'pe.count 3' is not a key = value pair, a [section] or a # comment");
  assert_scenario_error (f, "[General]\n[Konfig A]\n", "General", SIM_SCENARIO_ERROR_SYNTAX,
                         ":2: unknown section [Konfig A] (write [General] or [Config NAME], NAME of letters, "
                         "digits, '.', '-', '_')");
  assert_scenario_error (f, "pe.count = 3\n", "General", SIM_SCENARIO_ERROR_SYNTAX,
                         ":1: key 'pe.count' before any section (start with [General])");
}

/* A missing file is an I/O error naming it. */
static void
test_error_missing_file (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "none.ini", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_null (sim_scenario_load (path, f->table, &error));
  g_assert_error (error, SIM_SCENARIO_ERROR, SIM_SCENARIO_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "none.ini"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/sim/scenario/sweep-numbering", test_sweep_numbering);
  ADD ("/sim/scenario/seed-set-repetition", test_seed_set_repetition);
  ADD ("/sim/scenario/extends-precedence", test_extends_precedence);
  ADD ("/sim/scenario/variable-reference", test_variable_reference);
  ADD ("/sim/scenario/unit-range-and-unnamed", test_unit_range_and_unnamed);
  ADD ("/sim/scenario/override", test_override);
  ADD ("/sim/scenario/error/unknown-key", test_error_unknown_key);
  ADD ("/sim/scenario/error/bad-unit", test_error_bad_unit);
  ADD ("/sim/scenario/error/out-of-range", test_error_out_of_range);
  ADD ("/sim/scenario/error/unknown-config", test_error_unknown_config);
  ADD ("/sim/scenario/error/extends-cycle", test_error_extends_cycle);
  ADD ("/sim/scenario/error/malformed-sweep", test_error_malformed_sweep);
  ADD ("/sim/scenario/error/syntax", test_error_syntax);
  ADD ("/sim/scenario/error/missing-file", test_error_missing_file);
  return g_test_run ();
}
