/*
 * sim/rng.c - named random streams: xoshiro256** seeded through splitmix64.
 *
 * The stream key mixes the run seed with a 64-bit FNV-1a hash of the name and
 * runs it through splitmix64 twice, so that related seeds (1, 2, 3 ...) and
 * related names ("pu/1", "pu/2") give unrelated states. A state of all zeros
 * (the generator's one fixed point) cannot come out of four splitmix64 outputs
 * in practice; it is checked anyway.
 */
#include "config.h"

#include "sim/rng.h"

#include <math.h>

guint64
sim_rng_splitmix64 (guint64 *state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static guint64
fnv1a64 (const char *s)
{
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);
  for (; *s != '\0'; s++)
    {
      h ^= (guchar) *s;
      h *= G_GUINT64_CONSTANT (0x100000001b3);
    }
  return h;
}

void
sim_rng_init (SimRng *rng, guint64 seed, const char *name)
{
  guint64 st = seed;
  guint64 key = sim_rng_splitmix64 (&st) ^ fnv1a64 (name);
  st = key;
  for (int i = 0; i < 4; i++)
    rng->s[i] = sim_rng_splitmix64 (&st);
  if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0)
    rng->s[0] = 1;
}

void
sim_rng_init_fmt (SimRng *rng, guint64 seed, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *name = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  sim_rng_init (rng, seed, name);
}

guint64
sim_rng_below (SimRng *rng, guint64 n)
{
  g_return_val_if_fail (n > 0, 0);
  guint64 x = sim_rng_next (rng);
  unsigned __int128 m = (unsigned __int128) x * n;
  guint64 l = (guint64) m;
  if (l < n)
    {
      guint64 t = -n % n;
      while (l < t)
        {
          x = sim_rng_next (rng);
          m = (unsigned __int128) x * n;
          l = (guint64) m;
        }
    }
  return (guint64) (m >> 64);
}

gboolean
sim_rng_bernoulli (SimRng *rng, double p)
{
  return sim_rng_uniform (rng) < p;
}

double
sim_rng_exponential (SimRng *rng, double mean)
{
  return -log (sim_rng_uniform_pos (rng)) * mean;
}

double
sim_rng_normal (SimRng *rng, double mean, double stddev)
{
  double u, v, s;
  do
    {
      u = 2.0 * sim_rng_uniform (rng) - 1.0;
      v = 2.0 * sim_rng_uniform (rng) - 1.0;
      s = u * u + v * v;
    }
  while (s >= 1.0 || s == 0.0);
  return mean + stddev * u * sqrt (-2.0 * log (s) / s);
}

double
sim_rng_pareto (SimRng *rng, double alpha, double xm)
{
  return xm / pow (sim_rng_uniform_pos (rng), 1.0 / alpha);
}
