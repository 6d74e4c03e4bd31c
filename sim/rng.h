/*
 * sim/rng.h - named random number streams.
 *
 * Every random draw in poolsim comes from a named stream, derived from
 * (run seed, stream name), e.g. "pu/17/interarrival". Streams are independent
 * of each other and of the order in which they are created, so switching an
 * attack on (which creates and draws from its own streams) never changes the
 * numbers an honest entity draws: common random numbers across threat x
 * mitigation comparisons.
 *
 * Generator: xoshiro256** (Blackman & Vigna 2018), 256 bits of state, period
 * 2^256 - 1, passes BigCrush. Its state is filled by splitmix64 from a 64-bit
 * stream key = mix(run seed, FNV-1a-64(name)). Deterministic on every platform:
 * integer arithmetic only, except the distributions, which use libm's log, exp,
 * sqrt and cos (bit-identical for the same binary and libm).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint64 s[4];
} SimRng;

/* splitmix64: one step of the seeding generator (also handy for deriving seeds). */
guint64 sim_rng_splitmix64 (guint64 *state);

/* Initialise a stream for (seed, name). */
void    sim_rng_init (SimRng *rng, guint64 seed, const char *name);
/* Same, with the name built printf-style ("pu/%u/interarrival"). */
void    sim_rng_init_fmt (SimRng *rng, guint64 seed, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

/* Next 64 random bits. */
static inline guint64
sim_rng_next (SimRng *rng)
{
  guint64 *s = rng->s;
  guint64 x = s[1] * 5;
  guint64 result = ((x << 7) | (x >> 57)) * 9;
  guint64 t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = (s[3] << 45) | (s[3] >> 19);
  return result;
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double
sim_rng_uniform (SimRng *rng)
{
  return (double) (sim_rng_next (rng) >> 11) * 0x1.0p-53;
}

/* Uniform double in (0, 1]: safe for log(). */
static inline double
sim_rng_uniform_pos (SimRng *rng)
{
  return (double) ((sim_rng_next (rng) >> 11) + 1) * 0x1.0p-53;
}

/* Unbiased integer in [0, n), n >= 1 (Lemire's multiply-and-reject). */
guint64 sim_rng_below (SimRng *rng, guint64 n);
/* TRUE with probability p. */
gboolean sim_rng_bernoulli (SimRng *rng, double p);
/* Exponential with the given mean (> 0). */
double  sim_rng_exponential (SimRng *rng, double mean);
/* Normal(mean, stddev) by the Marsaglia polar method (no cached second value: stateless). */
double  sim_rng_normal (SimRng *rng, double mean, double stddev);
/* Pareto with shape alpha > 0 and scale (minimum) xm > 0. */
double  sim_rng_pareto (SimRng *rng, double alpha, double xm);

G_END_DECLS
