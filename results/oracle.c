/*
 * results/oracle.c - the oracle of model rserpool (see results/oracle.h).
 *
 * Each sample builds, per serving registrar, the sorted array of its
 * entries as 64-bit keys (pool tag << 32 | PE identifier; tag 0 is the
 * run's pool, any other handle gets a non-zero FNV-1a tag), so that
 * membership is a binary search and the symmetric difference of two
 * registrars is one merge. Live PEs are looked up by identifier in a hash
 * table rebuilt at each sample and refreshed on a miss (a PE restarted
 * since); lookups only, never iterated, so its order does not matter.
 *
 * Cost per sample: O(R x N log N) for R registrars and N entries plus
 * O(R^2 x N) for the pairwise divergence; per resolution or job event one
 * hash lookup per PE named.
 */
#include "config.h"

#include "results/oracle.h"

#include "sim/net-assoc.h"
#include "sim/net-cpu.h"

#include <string.h>

typedef struct {
  guint32 pe_id;
  SimTime down;        /* crash time */
} PendingCrash;

typedef struct {
  SimStat entries, bogus, missing, stale, orphans, hijacked;
} RegSums;

struct ResultsOracle {
  Rserpool   *m;
  SimKernel  *kernel;
  SimTime     interval;
  SimTime     warmup;
  SimEventId  timer;
  const guint8 *handle;
  gsize       handle_len;
  GHashTable *live;           /* PE id -> index + 1 of a PE that was up with it at the latest refresh */
  GHashTable *honest;         /* every PE id an honest PE held at a sample (set) */
  GArray    **keys;           /* per registrar: sorted guint64 keys of the latest sample */
  guint       n_reg;
  gboolean   *serving;        /* per registrar: serving at the latest sample */
  RegSums    *reg;            /* per registrar, over the samples where it served */
  SimTime    *pe_down_seen;   /* per PE: the crash time already taken as an event (-1 none) */
  GArray     *pending;        /* PendingCrash not yet gone from every handlespace */
  ResultsOracleSample last;
  /* time averages over samples */
  guint64     samples;
  SimStat     divergence;     /* per sample with >= 2 serving registrars */
  guint64     equal_samples;
  guint64     compared_samples;
  SimTime     diverged_since; /* -1 = not diverged at the latest sample */
  SimStat     episodes;       /* s */
  SimStat     detection;      /* s */
  guint64     crashes;
  /* resolutions and requests after the warm-up */
  guint64     resolutions, resolutions_empty, resolutions_legit;
  guint64     requests, accepts, rejects, timeouts, requests_not_live, failovers, completes;
  guint64     downgraded;   /* failover requests without TLS of sessions begun with it (§2.9) */
  /* homes (RFC 5355 §2.6, §2.7, §2.12): who the PEs and PUs took as their registrar */
  GHashTable *genuine;        /* every address of a registrar host of the model (set) */
  SimStat     pe_genuine, pe_rogue, pu_genuine, pu_rogue;   /* fractions per sample */
  SimEventId  discovery_timer;
  gboolean   *discovered;     /* per PE, then per PU: had a genuine home at a discovery check */
  guint       undiscovered;   /* entries of discovered still FALSE */
  SimStat     discovery;      /* s from the start to the first genuine home */
};

static const SimParamDecl oracle_param_decls[] = {
  { "oracle.interval", SIM_PARAM_TIME, "1s", 1e6, 9.2e18, NULL,
    "The oracle samples every registrar's handlespace this often from the warm-up on (model rserpool); "
    "times it measures between samples (crash detection, divergence) are known to this resolution." },
};

const SimParamDecl *
results_oracle_params (gsize *n)
{
  *n = G_N_ELEMENTS (oracle_param_decls);
  return oracle_param_decls;
}

/* ---- identities ----------------------------------------------------------- */

static void
refresh_live (ResultsOracle *o)
{
  g_hash_table_remove_all (o->live);
  guint n = rserpool_n_pes (o->m);
  for (guint j = 0; j < n; j++)
    {
      PoolElement *pe = rserpool_pe (o->m, j);
      guint32 id = pe_id (pe);
      if (id == 0)
        continue;
      g_hash_table_add (o->honest, GUINT_TO_POINTER (id));
      if (pe_is_alive (pe))
        g_hash_table_insert (o->live, GUINT_TO_POINTER (id), GUINT_TO_POINTER (j + 1));
    }
}

/* Is id the current identifier of a PE that is up? Refreshes once on a miss. */
static gboolean
is_live (ResultsOracle *o, guint32 id)
{
  for (int pass = 0; pass < 2; pass++)
    {
      guint j1 = GPOINTER_TO_UINT (g_hash_table_lookup (o->live, GUINT_TO_POINTER (id)));
      if (j1 != 0)
        {
          PoolElement *pe = rserpool_pe (o->m, j1 - 1);
          if (pe_id (pe) == id && pe_is_alive (pe))
            return TRUE;
        }
      if (pass == 0)
        refresh_live (o);
    }
  return FALSE;
}

/* ---- sampling --------------------------------------------------------------- */

static guint32
pool_tag (const ResultsOracle *o, const guint8 *h, gsize len)
{
  if (len == o->handle_len && memcmp (h, o->handle, len) == 0)
    return 0;
  guint32 x = 2166136261u;
  for (gsize i = 0; i < len; i++)
    x = (x ^ h[i]) * 16777619u;
  return x | 1;
}

typedef struct {
  ResultsOracle *o;
  GArray        *keys;
  guint          orphans;
  guint          hijacked;
} Collect;

static gboolean
registrar_serving_id (const ResultsOracle *o, guint32 id)
{
  if (id == 0 || id > o->n_reg)
    return FALSE;
  return registrar_state (rserpool_registrar (o->m, id - 1)) == REGISTRAR_SERVING;
}

/*
 * A live PE's identifier whose entry's user transport names none of the
 * PE's own addresses: someone else registered it (RFC 5355 §2.3 hijack).
 */
static gboolean
entry_hijacked (const HsPoolElement *entry, const PoolElement *pe)
{
  HsTransport t;
  hs_pe_get_user_transport (entry, &t);
  NetHost *host = pe_host (pe);
  for (guint i = 0; i < t.n_addrs; i++)
    {
      if (t.addrs[i].family != HS_AF_IPV4)
        continue;
      const guint8 *b = t.addrs[i].bytes;
      NetAddr a = ((NetAddr) b[0] << 24) | ((NetAddr) b[1] << 16) | ((NetAddr) b[2] << 8) | b[3];
      for (guint k = 0; k < net_host_n_addresses (host); k++)
        if (net_host_address (host, k) == a)
          return FALSE;
    }
  return TRUE;
}

static void
collect_one (HsPoolElement *pe, gpointer user_data)
{
  Collect *c = user_data;
  gsize len;
  const guint8 *h = hs_pool_get_handle (hs_pe_get_pool (pe), &len);
  guint64 key = (guint64) pool_tag (c->o, h, len) << 32 | hs_pe_get_id (pe);
  g_array_append_val (c->keys, key);
  c->orphans += !registrar_serving_id (c->o, hs_pe_get_home_registrar (pe));
  guint j1 = (key >> 32) == 0 ? GPOINTER_TO_UINT (g_hash_table_lookup (c->o->live, GUINT_TO_POINTER ((guint32) key))) : 0;
  if (j1 != 0)
    c->hijacked += entry_hijacked (pe, rserpool_pe (c->o->m, j1 - 1));
}

static gint
cmp_u64 (gconstpointer a, gconstpointer b)
{
  guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;
  return x < y ? -1 : x > y;
}

static gboolean
has_key (const GArray *keys, guint64 key)
{
  const guint64 *v = (const guint64 *) keys->data;
  guint lo = 0, hi = keys->len;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      if (v[mid] < key)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo < keys->len && v[lo] == key;
}

static guint
sym_diff (const GArray *a, const GArray *b)
{
  const guint64 *x = (const guint64 *) a->data, *y = (const guint64 *) b->data;
  guint i = 0, k = 0, d = 0;
  while (i < a->len && k < b->len)
    {
      if (x[i] == y[k])
        i++, k++;
      else if (x[i] < y[k])
        i++, d++;
      else
        k++, d++;
    }
  return d + (a->len - i) + (b->len - k);
}

/* ---- homes and discovery ------------------------------------------------------- */

typedef enum { HOME_NONE, HOME_GENUINE, HOME_ROGUE } HomeKind;

/* A home association to an address of one of the model's registrars is genuine; any other is a rogue's. */
static HomeKind
home_kind (const ResultsOracle *o, NetAssoc *home)
{
  if (home == NULL)
    return HOME_NONE;
  return g_hash_table_contains (o->genuine, GUINT_TO_POINTER (net_assoc_peer_addr (home))) ? HOME_GENUINE
                                                                                          : HOME_ROGUE;
}

/* Entity e (PEs first, then PUs): its home association, or NULL when its host is down. */
static NetAssoc *
entity_home (const ResultsOracle *o, guint e)
{
  guint n_pes = rserpool_n_pes (o->m);
  if (e < n_pes)
    {
      PoolElement *pe = rserpool_pe (o->m, e);
      return pe_is_alive (pe) ? pe_home_assoc (pe) : NULL;
    }
  PoolUser *pu = rserpool_pu (o->m, e - n_pes);
  return net_host_is_up (pu_host (pu)) ? pu_home_assoc (pu) : NULL;
}

static void
sample_homes (ResultsOracle *o)
{
  guint n_pes = rserpool_n_pes (o->m), n_pus = rserpool_n_pus (o->m);
  guint pe_alive = 0, pe_gen = 0, pe_rog = 0, pu_alive = 0, pu_gen = 0, pu_rog = 0;
  for (guint j = 0; j < n_pes; j++)
    {
      PoolElement *pe = rserpool_pe (o->m, j);
      if (!pe_is_alive (pe))
        continue;
      pe_alive++;
      HomeKind k = home_kind (o, pe_home_assoc (pe));
      pe_gen += k == HOME_GENUINE;
      pe_rog += k == HOME_ROGUE;
    }
  for (guint k = 0; k < n_pus; k++)
    {
      PoolUser *pu = rserpool_pu (o->m, k);
      if (!net_host_is_up (pu_host (pu)))
        continue;
      pu_alive++;
      HomeKind h = home_kind (o, pu_home_assoc (pu));
      pu_gen += h == HOME_GENUINE;
      pu_rog += h == HOME_ROGUE;
    }
  if (pe_alive > 0)
    {
      sim_stat_add (&o->pe_genuine, (double) pe_gen / pe_alive);
      sim_stat_add (&o->pe_rogue, (double) pe_rog / pe_alive);
    }
  if (pu_alive > 0)
    {
      sim_stat_add (&o->pu_genuine, (double) pu_gen / pu_alive);
      sim_stat_add (&o->pu_rogue, (double) pu_rog / pu_alive);
    }
}

/*
 * Every oracle.interval from the start (not the warm-up: discovery happens
 * at the start) until every PE and PU has had a genuine home: the time to
 * discovery of each, to oracle.interval.
 */
static void
discovery_fired (SimKernel *k, gpointer ctx, gpointer data)
{
  ResultsOracle *o = ctx;
  o->discovery_timer = SIM_EVENT_NONE;
  guint n = rserpool_n_pes (o->m) + rserpool_n_pus (o->m);
  SimTime now = sim_kernel_now (k);
  for (guint e = 0; e < n; e++)
    if (!o->discovered[e] && home_kind (o, entity_home (o, e)) == HOME_GENUINE)
      {
        o->discovered[e] = TRUE;
        o->undiscovered--;
        sim_stat_add (&o->discovery, (double) now / SIM_S);
      }
  if (o->undiscovered > 0)
    o->discovery_timer = sim_kernel_schedule (k, o->interval, discovery_fired, o, NULL);
}

void
results_oracle_sample (ResultsOracle *o)
{
  Rserpool *m = o->m;
  SimTime now = sim_kernel_now (o->kernel);
  refresh_live (o);
  ResultsOracleSample *s = &o->last;
  memset (s, 0, sizeof *s);
  s->t = now;
  o->samples++;
  sample_homes (o);

  /* New crashes since the previous sample. */
  guint n_pes = rserpool_n_pes (m);
  for (guint j = 0; j < n_pes; j++)
    {
      PoolElement *pe = rserpool_pe (m, j);
      SimTime down = pe_down_since (pe);
      if (down >= 0 && down != o->pe_down_seen[j] && pe_id (pe) != 0)
        {
          o->pe_down_seen[j] = down;
          PendingCrash pc = { pe_id (pe), down };
          g_array_append_val (o->pending, pc);
          o->crashes++;
        }
    }

  /* Each serving registrar's entries. */
  gboolean *serving = o->serving;
  for (guint i = 0; i < o->n_reg; i++)
    {
      Registrar *r = rserpool_registrar (m, i);
      HsHandlespace *hs = registrar_handlespace (r);
      serving[i] = hs != NULL && registrar_state (r) == REGISTRAR_SERVING;
      if (!serving[i])
        continue;
      s->serving++;
      Collect c = { o, o->keys[i], 0, 0 };
      g_array_set_size (c.keys, 0);
      hs_handlespace_foreach (hs, collect_one, &c);
      g_array_sort (c.keys, cmp_u64);
      guint bogus = 0, stale = 0, legit = 0;
      for (guint e = 0; e < c.keys->len; e++)
        {
          guint64 key = g_array_index (c.keys, guint64, e);
          guint32 id = (guint32) key;
          if ((key >> 32) == 0 && g_hash_table_contains (o->live, GUINT_TO_POINTER (id)))
            legit++;
          else if ((key >> 32) == 0 && g_hash_table_contains (o->honest, GUINT_TO_POINTER (id)))
            stale++;
          else
            bogus++;
        }
      guint missing = 0;
      for (guint j = 0; j < n_pes; j++)
        {
          PoolElement *pe = rserpool_pe (m, j);
          if (pe_is_alive (pe) && pe_is_registered (pe) && !has_key (c.keys, pe_id (pe)))
            missing++;
        }
      RegSums *rs = &o->reg[i];
      sim_stat_add (&rs->entries, c.keys->len);
      sim_stat_add (&rs->bogus, bogus);
      sim_stat_add (&rs->missing, missing);
      sim_stat_add (&rs->stale, stale);
      sim_stat_add (&rs->orphans, c.orphans);
      sim_stat_add (&rs->hijacked, c.hijacked);
      s->entries += c.keys->len;
      s->bogus += bogus;
      s->missing += missing;
      s->stale += stale;
      s->orphans += c.orphans;
      s->hijacked += c.hijacked;
    }

  /* Divergence between the serving registrars. */
  guint pairs = 0;
  guint64 diff = 0;
  for (guint i = 0; i < o->n_reg; i++)
    for (guint k = i + 1; k < o->n_reg; k++)
      if (serving[i] && serving[k])
        {
          pairs++;
          diff += sym_diff (o->keys[i], o->keys[k]);
        }
  s->divergence = pairs > 0 ? (double) diff / pairs : 0.0;
  s->all_equal = diff == 0;
  if (pairs > 0)
    {
      sim_stat_add (&o->divergence, s->divergence);
      o->compared_samples++;
      o->equal_samples += s->all_equal;
    }
  if (!s->all_equal && o->diverged_since < 0)
    o->diverged_since = now;
  else if (s->all_equal && o->diverged_since >= 0)
    {
      sim_stat_add (&o->episodes, (double) (now - o->diverged_since) / SIM_S);
      o->diverged_since = -1;
    }

  /* Crashed PEs that are gone from every serving handlespace. */
  for (guint p = 0; p < o->pending->len;)
    {
      PendingCrash *pc = &g_array_index (o->pending, PendingCrash, p);
      gboolean listed = FALSE;
      for (guint i = 0; i < o->n_reg && !listed; i++)
        listed = serving[i] && has_key (o->keys[i], pc->pe_id);
      if (listed)
        {
          p++;
          continue;
        }
      sim_stat_add (&o->detection, (double) (now - pc->down) / SIM_S);
      g_array_remove_index (o->pending, p);
    }
}

static void
sample_fired (SimKernel *k, gpointer ctx, gpointer data)
{
  ResultsOracle *o = ctx;
  o->timer = sim_kernel_schedule (k, o->interval, sample_fired, o, NULL);
  results_oracle_sample (o);
}

/* ---- events ------------------------------------------------------------------ */

static void
on_resolution (Rserpool *m, guint reg, const guint32 *pe_ids, guint n, gpointer user_data)
{
  ResultsOracle *o = user_data;
  if (sim_kernel_now (o->kernel) < o->warmup)
    return;
  o->resolutions++;
  if (n == 0)
    {
      o->resolutions_empty++;
      return;
    }
  gboolean all = TRUE;
  for (guint i = 0; i < n && all; i++)
    all = is_live (o, pe_ids[i]);
  o->resolutions_legit += all;
}

static void
on_calcapp (Rserpool *m, guint pu, const CalcAppEvent *ev, gpointer user_data)
{
  ResultsOracle *o = user_data;
  if (sim_kernel_now (o->kernel) < o->warmup)
    return;
  switch (ev->kind)
    {
    case CALCAPP_EVENT_REQUEST:
      o->requests++;
      o->requests_not_live += !is_live (o, ev->pe_id);
      o->downgraded += ev->downgraded;
      break;
    case CALCAPP_EVENT_ACCEPT:
      o->accepts++;
      break;
    case CALCAPP_EVENT_REJECT:
      o->rejects++;
      break;
    case CALCAPP_EVENT_TIMEOUT:
      o->timeouts++;
      break;
    case CALCAPP_EVENT_FAILOVER:
      o->failovers++;
      break;
    case CALCAPP_EVENT_COMPLETE:
      o->completes++;
      break;
    }
}

static const RserpoolObserver oracle_observer = { on_resolution, on_calcapp };

/* ---- life cycle --------------------------------------------------------------- */

ResultsOracle *
results_oracle_new (Rserpool *m, const SimParams *params)
{
  ResultsOracle *o = g_new0 (ResultsOracle, 1);
  o->m = m;
  o->kernel = rserpool_kernel (m);
  o->interval = sim_params_time (params, "oracle.interval");
  o->warmup = rserpool_warmup (m);
  const char *h = rserpool_pool_handle (m);
  o->handle = (const guint8 *) h;
  o->handle_len = strlen (h);
  o->live = g_hash_table_new (g_direct_hash, g_direct_equal);
  o->honest = g_hash_table_new (g_direct_hash, g_direct_equal);
  o->n_reg = rserpool_n_registrars (m);
  o->keys = g_new0 (GArray *, MAX (o->n_reg, 1));
  o->reg = g_new0 (RegSums, MAX (o->n_reg, 1));
  o->serving = g_new0 (gboolean, MAX (o->n_reg, 1));
  for (guint i = 0; i < o->n_reg; i++)
    {
      o->keys[i] = g_array_new (FALSE, FALSE, sizeof (guint64));
      RegSums *rs = &o->reg[i];
      sim_stat_init (&rs->entries);
      sim_stat_init (&rs->bogus);
      sim_stat_init (&rs->missing);
      sim_stat_init (&rs->hijacked);
      sim_stat_init (&rs->stale);
      sim_stat_init (&rs->orphans);
    }
  guint n_pes = rserpool_n_pes (m);
  o->pe_down_seen = g_new (SimTime, MAX (n_pes, 1));
  for (guint j = 0; j < n_pes; j++)
    o->pe_down_seen[j] = -1;
  o->pending = g_array_new (FALSE, FALSE, sizeof (PendingCrash));
  o->last.t = -1;
  o->diverged_since = -1;
  sim_stat_init (&o->divergence);
  sim_stat_init (&o->episodes);
  sim_stat_init (&o->detection);
  o->genuine = g_hash_table_new (g_direct_hash, g_direct_equal);
  for (guint i = 0; i < o->n_reg; i++)
    {
      NetHost *host = registrar_host (rserpool_registrar (m, i));
      for (guint a = 0; a < net_host_n_addresses (host); a++)
        g_hash_table_add (o->genuine, GUINT_TO_POINTER (net_host_address (host, a)));
    }
  sim_stat_init (&o->pe_genuine);
  sim_stat_init (&o->pe_rogue);
  sim_stat_init (&o->pu_genuine);
  sim_stat_init (&o->pu_rogue);
  sim_stat_init (&o->discovery);
  o->undiscovered = n_pes + rserpool_n_pus (m);
  o->discovered = g_new0 (gboolean, MAX (o->undiscovered, 1));
  if (o->undiscovered > 0)
    o->discovery_timer = sim_kernel_schedule_at (o->kernel, sim_kernel_now (o->kernel), discovery_fired, o, NULL);
  SimTime first = MAX (o->warmup, sim_kernel_now (o->kernel));
  o->timer = sim_kernel_schedule_at (o->kernel, first, sample_fired, o, NULL);
  rserpool_set_observer (m, &oracle_observer, o);
  return o;
}

void
results_oracle_free (ResultsOracle *o)
{
  if (o == NULL)
    return;
  rserpool_set_observer (o->m, NULL, NULL);
  sim_kernel_cancel (o->kernel, o->timer);
  sim_kernel_cancel (o->kernel, o->discovery_timer);
  g_hash_table_unref (o->genuine);
  g_free (o->discovered);
  for (guint i = 0; i < o->n_reg; i++)
    g_array_unref (o->keys[i]);
  g_free (o->keys);
  g_free (o->reg);
  g_free (o->serving);
  g_free (o->pe_down_seen);
  g_array_unref (o->pending);
  g_hash_table_unref (o->live);
  g_hash_table_unref (o->honest);
  g_free (o);
}

const ResultsOracleSample *
results_oracle_last_sample (const ResultsOracle *o)
{
  return &o->last;
}

const SimStat *
results_oracle_detection_times (const ResultsOracle *o)
{
  return &o->detection;
}

const SimStat *
results_oracle_divergence_episodes (const ResultsOracle *o)
{
  return &o->episodes;
}

/* ---- recording ------------------------------------------------------------------ */

static double
ratio (guint64 num, guint64 den)
{
  return den > 0 ? (double) num / (double) den : 0.0;
}

static void
record_cpu (ResultsOracle *o, SimRecorder *rec)
{
  static const char *const roles[] = { "registrar", "pe", "pu" };
  Net *net = rserpool_net (o->m);
  for (gsize r = 0; r < G_N_ELEMENTS (roles); r++)
    {
      SimStat util;
      sim_stat_init (&util);
      for (guint h = 0; h < net_n_hosts (net); h++)
        {
          NetHost *host = net_host (net, h);
          if (strcmp (net_host_role (host), roles[r]) != 0)
            continue;
          NetCpuStats st;
          net_host_cpu_stats (host, &st);
          sim_stat_add (&util, st.utilization);
        }
      if (util.count == 0)
        continue;
      g_autofree char *module = g_strdup_printf ("role/%s", roles[r]);
      sim_record_scalar (rec, module, "oracle.cpu.utilization", util.mean, "1");
      sim_record_scalar (rec, module, "oracle.cpu.utilization_max", util.max, "1");
    }
}

static void
record_calcapp (ResultsOracle *o, SimRecorder *rec)
{
  Rserpool *m = o->m;
  guint n_pes = rserpool_n_pes (m), n_pus = rserpool_n_pus (m);
  if (n_pes > 0)
    {
      double sum = 0;
      for (guint j = 0; j < n_pes; j++)
        sum += calcapp_server_utilization (rserpool_server (m, j));
      sim_record_scalar (rec, "calcapp", "calcapp.utilization", sum / n_pes, "1");
    }
  double speed_sum = 0;
  guint64 jobs = 0, queued = 0;
  for (guint k = 0; k < n_pus; k++)
    {
      const CalcAppClientStats *st = calcapp_client_stats (rserpool_client (m, k));
      speed_sum += st->handling_speed.sum;
      jobs += st->handling_speed.count;
      queued += st->queued_measured;
    }
  double capacity = rserpool_calcapp_config (m)->capacity;
  if (jobs > 0)
    sim_record_scalar (rec, "calcapp", "calcapp.handling_speed", 100.0 * speed_sum / (double) jobs / capacity, "%");
  /*
   * PAPERS §1 averages completed jobs only: when almost none complete (a
   * collapse) the few that do can show a high speed. The counts beside it
   * let a reader see that.
   */
  sim_record_scalar (rec, "calcapp", "calcapp.jobs", (double) jobs, "1");
  sim_record_scalar (rec, "calcapp", "calcapp.jobs_unfinished", (double) (queued - jobs), "1");
  sim_record_scalar (rec, "calcapp", "calcapp.jobs_completed_ratio", queued > 0 ? (double) jobs / (double) queued : 1,
                     "1");
}

void
results_oracle_record (ResultsOracle *o, SimRecorder *rec)
{
  static const struct { const char *name; gsize off; } hs_names[] = {
    { "oracle.hs.entries", G_STRUCT_OFFSET (RegSums, entries) },
    { "oracle.hs.bogus", G_STRUCT_OFFSET (RegSums, bogus) },
    { "oracle.hs.missing", G_STRUCT_OFFSET (RegSums, missing) },
    { "oracle.hs.stale", G_STRUCT_OFFSET (RegSums, stale) },
    { "oracle.hs.orphans", G_STRUCT_OFFSET (RegSums, orphans) },
    { "oracle.hs.hijacked", G_STRUCT_OFFSET (RegSums, hijacked) },
  };
  sim_record_scalar (rec, "oracle", "oracle.samples", (double) o->samples, "1");
  for (gsize n = 0; n < G_N_ELEMENTS (hs_names); n++)
    {
      double sum = 0;
      guint with = 0;
      for (guint i = 0; i < o->n_reg; i++)
        {
          const SimStat *st = G_STRUCT_MEMBER_P (&o->reg[i], hs_names[n].off);
          if (st->count == 0)
            continue;
          g_autofree char *module = g_strdup_printf ("registrar[%u]", i);
          sim_record_scalar (rec, module, hs_names[n].name, st->mean, "entries");
          sum += st->mean;
          with++;
        }
      if (with > 0)
        sim_record_scalar (rec, "oracle", hs_names[n].name, sum / with, "entries");
    }
  if (o->compared_samples > 0)
    {
      sim_record_scalar (rec, "oracle", "oracle.hs.divergence", o->divergence.mean, "entries");
      sim_record_scalar (rec, "oracle", "oracle.hs.divergence_max", o->divergence.max, "entries");
      sim_record_scalar (rec, "oracle", "oracle.hs.all_equal", ratio (o->equal_samples, o->compared_samples), "1");
      sim_record_statistic (rec, "oracle", "oracle.hs.divergence_episode", &o->episodes, "s");
      sim_record_scalar (rec, "oracle", "oracle.hs.diverged_at_end", o->diverged_since >= 0, "1");
    }
  sim_record_scalar (rec, "oracle", "oracle.resolutions", (double) o->resolutions, "1");
  sim_record_scalar (rec, "oracle", "oracle.resolutions.empty", (double) o->resolutions_empty, "1");
  sim_record_scalar (rec, "oracle", "oracle.resolutions.legit_fraction",
                     ratio (o->resolutions_legit, o->resolutions - o->resolutions_empty), "1");
  sim_record_scalar (rec, "oracle", "oracle.requests", (double) o->requests, "1");
  sim_record_scalar (rec, "oracle", "oracle.requests.success_ratio", ratio (o->accepts, o->requests), "1");
  sim_record_scalar (rec, "oracle", "oracle.requests.rejected", (double) o->rejects, "1");
  sim_record_scalar (rec, "oracle", "oracle.requests.timeouts", (double) o->timeouts, "1");
  sim_record_scalar (rec, "oracle", "oracle.requests.not_live", (double) o->requests_not_live, "1");
  sim_record_scalar (rec, "oracle", "oracle.failovers", (double) o->failovers, "1");
  sim_record_scalar (rec, "oracle", "oracle.failovers_downgraded", (double) o->downgraded, "1");
  sim_record_scalar (rec, "oracle", "oracle.jobs.completed", (double) o->completes, "1");
  sim_record_scalar (rec, "oracle", "oracle.pe_crashes", (double) o->crashes, "1");
  sim_record_scalar (rec, "oracle", "oracle.pe_crashes.undetected", (double) o->pending->len, "1");
  sim_record_statistic (rec, "oracle", "oracle.detection_time", &o->detection, "s");
  if (o->pe_genuine.count > 0)
    {
      sim_record_scalar (rec, "oracle", "oracle.homes.pe_genuine", o->pe_genuine.mean, "1");
      sim_record_scalar (rec, "oracle", "oracle.homes.pe_rogue", o->pe_rogue.mean, "1");
    }
  if (o->pu_genuine.count > 0)
    {
      sim_record_scalar (rec, "oracle", "oracle.homes.pu_genuine", o->pu_genuine.mean, "1");
      sim_record_scalar (rec, "oracle", "oracle.homes.pu_rogue", o->pu_rogue.mean, "1");
    }
  sim_record_statistic (rec, "oracle", "oracle.discovery_time", &o->discovery, "s");
  sim_record_scalar (rec, "oracle", "oracle.discovery.undiscovered", (double) o->undiscovered, "1");
  record_cpu (o, rec);
  record_calcapp (o, rec);
}
