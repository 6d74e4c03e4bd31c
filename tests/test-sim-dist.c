/*
 * tests/test-sim-dist.c - units, distributions and parameter values as scenarios write them.
 */
#include "config.h"

#include "sim/dist.h"
#include "sim/param.h"

#include <math.h>

/* Times convert to exact integer nanoseconds in every unit. */
static void
test_time_units (void)
{
  struct { const char *text; SimTime ns; } cases[] = {
    { "10s", 10 * SIM_S }, { "0.1s", 100 * SIM_MS }, { "250ms", 250 * SIM_MS }, { "3us", 3000 },
    { "7ns", 7 }, { "2min", 120 * SIM_S }, { "1.5h", 5400 * SIM_S }, { " 12.5 ms ", 12500 * SIM_US },
    { "1e-3s", SIM_MS }, { "0", 0 }, { "135min", 8100 * SIM_S },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      SimTime t = -1;
      g_autoptr (GError) error = NULL;
      g_assert_true (sim_units_parse_time (cases[i].text, &t, &error));
      g_assert_no_error (error);
      g_assert_cmpint (t, ==, cases[i].ns);
    }
}

/* Sizes and rates convert to bytes and bit/s; a percentage is a fraction. */
static void
test_other_units (void)
{
  double v;
  g_assert_true (sim_units_parse ("2KiB", SIM_UNIT_SIZE, &v, NULL));
  g_assert_cmpfloat (v, ==, 2048.0);
  g_assert_true (sim_units_parse ("1.5MiB", SIM_UNIT_SIZE, &v, NULL));
  g_assert_cmpfloat (v, ==, 1572864.0);
  g_assert_true (sim_units_parse ("100Mbps", SIM_UNIT_RATE, &v, NULL));
  g_assert_cmpfloat (v, ==, 1e8);
  g_assert_true (sim_units_parse ("80%", SIM_UNIT_NONE, &v, NULL));
  g_assert_cmpfloat (v, ==, 0.8);
  g_assert_true (sim_units_parse ("0.25", SIM_UNIT_NONE, &v, NULL));
  g_assert_cmpfloat (v, ==, 0.25);
}

/* A missing or foreign unit is an error that names the accepted units. */
static void
test_bad_units (void)
{
  double v;
  g_autoptr (GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;
  g_assert_false (sim_units_parse ("10", SIM_UNIT_TIME, &v, &e1));
  g_assert_error (e1, SIM_UNITS_ERROR, SIM_UNITS_ERROR_UNIT);
  g_assert_cmpstr (e1->message, ==, "'10' has no unit; a time needs one of: ns, us, ms, s, min, h");
  g_assert_false (sim_units_parse ("10sec", SIM_UNIT_TIME, &v, &e2));
  g_assert_cmpstr (e2->message, ==, "bad unit 'sec' in '10sec'; a time needs one of: ns, us, ms, s, min, h");
  g_assert_false (sim_units_parse ("10KB", SIM_UNIT_SIZE, &v, &e3));
  g_assert_error (e3, SIM_UNITS_ERROR, SIM_UNITS_ERROR_UNIT);
  g_assert_false (sim_units_parse ("ten", SIM_UNIT_NONE, &v, &e4));
  g_assert_error (e4, SIM_UNITS_ERROR, SIM_UNITS_ERROR_SYNTAX);
}

/* Every distribution form parses to its parameters in base units. */
static void
test_dist_parse (void)
{
  SimDist d;
  g_assert_true (sim_dist_parse ("constant(10s)", SIM_UNIT_TIME, &d, NULL));
  g_assert_true (d.kind == SIM_DIST_CONSTANT && d.a == 10e9);
  g_assert_true (sim_dist_parse ("10s", SIM_UNIT_TIME, &d, NULL));
  g_assert_true (d.kind == SIM_DIST_CONSTANT && d.a == 10e9);
  g_assert_true (sim_dist_parse ("uniform(0ms, 200ms)", SIM_UNIT_TIME, &d, NULL));
  g_assert_true (d.kind == SIM_DIST_UNIFORM && d.a == 0 && d.b == 200e6);
  g_assert_true (sim_dist_parse ("exponential(125s)", SIM_UNIT_TIME, &d, NULL));
  g_assert_true (d.kind == SIM_DIST_EXPONENTIAL && d.a == 125e9);
  g_assert_true (sim_dist_parse ("normal(1KiB,100B)", SIM_UNIT_SIZE, &d, NULL));
  g_assert_true (d.kind == SIM_DIST_NORMAL && d.a == 1024 && d.b == 100);
  g_assert_true (sim_dist_parse ("pareto(2.5, 1s)", SIM_UNIT_TIME, &d, NULL));
  g_assert_true (d.kind == SIM_DIST_PARETO && d.a == 2.5 && d.b == 1e9);
  g_assert_cmpfloat (sim_dist_mean (&d), ==, 2.5 * 1e9 / 1.5);
  g_autofree char *s = sim_dist_to_string (&d);
  g_assert_cmpstr (s, ==, "pareto(2.5, 1s)");
}

/* Malformed distribution text gives a message that says what to write. */
static void
test_dist_parse_errors (void)
{
  struct { const char *text; const char *message; } cases[] = {
    { "exponental(1s)", "unknown distribution 'exponental' in 'exponental(1s)' (known: constant, uniform, "
                        "exponential, normal, pareto)" },
    { "uniform(1s)", "'uniform(1s)': uniform takes 2 arguments (write uniform(LOW, HIGH))" },
    { "uniform(2s,1s)", "'uniform(2s,1s)': the upper bound is below the lower bound" },
    { "exponential(1s", "'exponential(1s': missing ')' (write exponential(MEAN))" },
    { "exponential(0s)", "'exponential(0s)': the mean must be positive" },
    { "exponential(5)", "'5' has no unit; a time needs one of: ns, us, ms, s, min, h" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      SimDist d;
      g_autoptr (GError) error = NULL;
      g_assert_false (sim_dist_parse (cases[i].text, SIM_UNIT_TIME, &d, &error));
      g_assert_cmpstr (error->message, ==, cases[i].message);
    }
}

/* Samples match each distribution's mean; times are whole non-negative nanoseconds. */
static void
test_dist_sample_means (void)
{
  const char *texts[] = { "uniform(0ms,200ms)", "exponential(125ms)", "normal(10ms,2ms)", "pareto(3,1ms)" };
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      SimDist d;
      SimRng rng;
      g_assert_true (sim_dist_parse (texts[i], SIM_UNIT_TIME, &d, NULL));
      sim_rng_init (&rng, 3, texts[i]);
      double sum = 0;
      for (int n = 0; n < 200000; n++)
        {
          SimTime t = sim_dist_sample_time (&d, &rng);
          g_assert_cmpint (t, >=, 0);
          sum += (double) t;
        }
      g_assert_cmpfloat_with_epsilon (sum / 200000 / sim_dist_mean (&d), 1.0, 0.01);
    }
}

static const SimParamDecl decls[] = {
  { "a.count", SIM_PARAM_INT, "3", 1, 10, NULL, "a count" },
  { "a.delay", SIM_PARAM_TIME, "1ms", 0, 1e9, NULL, "a delay" },
  { "a.kind", SIM_PARAM_ENUM, "lu", 0, 0, "lu,lud,rr", "a policy" },
  { "a.service", SIM_PARAM_DIST_TIME, "exponential(1s)", 1, G_MAXDOUBLE, NULL, "a service time" },
  { "a.load", SIM_PARAM_DOUBLE, "0.5", 0, 1, NULL, "a load" },
};

/* Values out of the declared range are refused with the range in base units. */
static void
test_param_range (void)
{
  SimParamValue v;
  g_autoptr (GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;
  g_assert_true (sim_param_parse (&decls[0], "10", &v, NULL));
  g_assert_cmpint (v.v.i, ==, 10);
  sim_param_value_clear (&v);
  g_assert_false (sim_param_parse (&decls[0], "11", &v, &e1));
  g_assert_cmpstr (e1->message, ==, "the value 11 is out of range [1, 10]");
  g_assert_false (sim_param_parse (&decls[1], "2s", &v, &e2));
  g_assert_cmpstr (e2->message, ==, "the value 2s is out of range [0, 1s]");
  g_assert_false (sim_param_parse (&decls[2], "random", &v, &e3));
  g_assert_cmpstr (e3->message, ==, "'random' is not one of: lu,lud,rr");
  g_assert_false (sim_param_parse (&decls[4], "120%", &v, &e4));
  g_assert_cmpstr (e4->message, ==, "the value 1.2 is out of range [0, 1]");
  g_assert_true (sim_param_parse (&decls[4], "80%", &v, NULL));
  g_assert_cmpfloat (v.v.d, ==, 0.8);
  sim_param_value_clear (&v);
}

/* A mistyped key gets the closest declared key as a suggestion; a far one gets none. */
static void
test_param_suggest (void)
{
  g_autoptr (SimParamTable) t = sim_param_table_new ();
  sim_param_table_add (t, decls, G_N_ELEMENTS (decls));
  g_assert_cmpstr (sim_param_table_suggest (t, "a.cuont"), ==, "a.count");
  g_assert_cmpstr (sim_param_table_suggest (t, "a.servce"), ==, "a.service");
  g_assert_null (sim_param_table_suggest (t, "totally.different"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/units/time", test_time_units);
  g_test_add_func ("/sim/units/size-rate-percent", test_other_units);
  g_test_add_func ("/sim/units/bad-units", test_bad_units);
  g_test_add_func ("/sim/dist/parse", test_dist_parse);
  g_test_add_func ("/sim/dist/parse-errors", test_dist_parse_errors);
  g_test_add_func ("/sim/dist/sample-means", test_dist_sample_means);
  g_test_add_func ("/sim/param/range", test_param_range);
  g_test_add_func ("/sim/param/suggest", test_param_suggest);
  return g_test_run ();
}
