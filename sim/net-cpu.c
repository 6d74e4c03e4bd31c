/*
 * sim/net-cpu.c - host CPUs: a FIFO of jobs served one at a time.
 *
 * A job costs one kernel event (its completion) when its service time is
 * positive; with zero service and an idle CPU it runs at once, inline, so a
 * network without CPU costs pays nothing for them. Nested submissions from a
 * job's callback queue behind it (FIFO holds).
 *
 * Service times: the cost table is a dense [role x kind] array of NetCost,
 * grown when a role or kind appears; a cell without its own service time
 * falls back to the role-independent cell (role "*", index kept in
 * any_role) and then to net.cpu.service. O(1) per message.
 */
#include "config.h"

#include "sim/net-private.h"

#include <string.h>

/* Row of "every role" in the cost table: one past the last real role at lookup time. */
#define ANY_ROLE "*"

static NetCost *
cost_cell (Net *net, guint role, NetKind kind, gboolean create)
{
  if (role >= net->costs_roles || kind >= net->costs_kinds)
    {
      if (!create)
        return NULL;
      guint nr = MAX (net->costs_roles, role + 1), nk = MAX (net->costs_kinds, (guint) kind + 1);
      GArray *grown = g_array_new (FALSE, TRUE, sizeof (NetCost));
      g_array_set_size (grown, (gsize) nr * nk);
      for (guint r = 0; r < net->costs_roles; r++)
        for (guint k = 0; k < net->costs_kinds; k++)
          g_array_index (grown, NetCost, (gsize) r * nk + k)
            = g_array_index (net->costs, NetCost, (gsize) r * net->costs_kinds + k);
      g_array_unref (net->costs);
      net->costs = grown;
      net->costs_roles = nr;
      net->costs_kinds = nk;
    }
  return &g_array_index (net->costs, NetCost, (gsize) role * net->costs_kinds + kind);
}

void
net_cpu_costs_free (Net *net)
{
  for (guint i = 0; i < net->costs->len; i++)
    {
      NetCost *c = &g_array_index (net->costs, NetCost, i);
      if (c->ops != NULL)
        g_array_unref (c->ops);
    }
  g_array_unref (net->costs);
}

void
net_cpu_set_service (Net *net, const char *role, NetKind kind, const SimDist *service)
{
  NetCost *c = cost_cell (net, net_role_intern (net, role != NULL ? role : ANY_ROLE), kind, TRUE);
  c->set = TRUE;
  c->service = *service;
}

void
net_cpu_define_op (Net *net, const char *op, const SimDist *cost)
{
  gpointer v;
  if (g_hash_table_lookup_extended (net->op_ids, op, NULL, &v))
    {
      g_array_index (net->op_costs, SimDist, GPOINTER_TO_UINT (v)) = *cost;
      return;
    }
  char *name = g_strdup (op);
  g_hash_table_insert (net->op_ids, name, GUINT_TO_POINTER (net->op_names->len));
  g_ptr_array_add (net->op_names, name);
  g_array_append_val (net->op_costs, *cost);
}

static guint
op_index (Net *net, const char *op)
{
  gpointer v;
  if (!g_hash_table_lookup_extended (net->op_ids, op, NULL, &v))
    g_error ("net: CPU operation '%s' used before net_cpu_define_op", op);
  return GPOINTER_TO_UINT (v);
}

void
net_cpu_add_op (Net *net, const char *role, NetKind kind, const char *op)
{
  guint idx = op_index (net, op);
  NetCost *c = cost_cell (net, net_role_intern (net, role != NULL ? role : ANY_ROLE), kind, TRUE);
  if (c->ops == NULL)
    c->ops = g_array_new (FALSE, FALSE, sizeof (guint));
  g_array_append_val (c->ops, idx);
}

static SimTime
ops_cost (Net *net, const NetCost *c, SimRng *rng)
{
  SimTime t = 0;
  if (c != NULL && c->ops != NULL)
    for (guint i = 0; i < c->ops->len; i++)
      t += sim_dist_sample_time (&g_array_index (net->op_costs, SimDist, g_array_index (c->ops, guint, i)), rng);
  return t;
}

/* Service time of a message of kind at host: base (role, kind) / ("*", kind) / default, plus ops of both. */
static SimTime
message_service (NetHost *h, NetKind kind)
{
  Net *net = h->net;
  gpointer any;
  NetCost *own = cost_cell (net, h->role, kind, FALSE);
  NetCost *all = g_hash_table_lookup_extended (net->role_ids, ANY_ROLE, NULL, &any)
                   ? cost_cell (net, GPOINTER_TO_UINT (any), kind, FALSE) : NULL;
  const SimDist *base = own != NULL && own->set ? &own->service
                        : all != NULL && all->set ? &all->service : &net->cfg.cpu_service;
  SimTime t = sim_dist_sample_time (base, &h->cpu.rng);
  return t + ops_cost (net, own, &h->cpu.rng) + (all != own ? ops_cost (net, all, &h->cpu.rng) : 0);
}

void
net_cpu_host_init (NetHost *h)
{
  NetCpu *cpu = &h->cpu;
  memset (cpu, 0, sizeof *cpu);
  sim_rng_init_fmt (&cpu->rng, h->net->seed, "net/host/%s/cpu", h->name);
  SimTime start = MAX (h->net->cfg.warmup, sim_kernel_now (h->net->kernel));
  sim_time_avg_init (&cpu->busy, start, 0.0);
  sim_time_avg_init (&cpu->queue_len, start, 0.0);
  sim_stat_init (&cpu->queue_delay);
}

static guint
occupancy (const NetCpu *cpu)
{
  return cpu->waiting + (cpu->current != NULL && cpu->current->counted ? 1 : 0);
}

gboolean
net_cpu_has_room (const NetHost *h)
{
  gint64 cap = h->net->cfg.cpu_capacity;
  return cap == 0 || occupancy (&h->cpu) < (guint64) cap;
}

static void job_done (SimKernel *k, gpointer ctx, gpointer data);

static void
job_free (NetCpuJob *job)
{
  if (job->destroy != NULL)
    job->destroy (job->data);
  g_free (job);
}

/* Run the current job's callback, then free it (a crash inside may have detached it already). */
static void
run_current (NetHost *h)
{
  NetCpu *cpu = &h->cpu;
  NetCpuJob *job = cpu->current;
  cpu->running = TRUE;
  if (job->counted)
    cpu->processed++;
  job->fn (h, job->data);
  cpu->running = FALSE;
  if (cpu->current == job)
    cpu->current = NULL;
  job_free (job);
}

/* Tell the watcher when serving changes. */
static void
set_serving (NetHost *h, gboolean serving)
{
  NetCpu *cpu = &h->cpu;
  if (cpu->serving == serving)
    return;
  cpu->serving = serving;
  if (cpu->watch != NULL)
    cpu->watch (h, serving, cpu->watch_data);
}

/* Serve waiting jobs: zero-cost ones at once, until one takes time or none is left. */
static void
start_next (NetHost *h)
{
  NetCpu *cpu = &h->cpu;
  SimTime now = sim_kernel_now (h->net->kernel);
  while (cpu->current == NULL && cpu->head != NULL)
    {
      NetCpuJob *job = cpu->head;
      cpu->head = job->next;
      if (cpu->head == NULL)
        cpu->tail = NULL;
      if (job->counted)
        {
          cpu->waiting--;
          sim_time_avg_set (&cpu->queue_len, now, cpu->waiting);
          if (job->enqueued >= h->net->cfg.warmup)
            sim_stat_add (&cpu->queue_delay, (double) (now - job->enqueued) / SIM_S);
        }
      cpu->current = job;
      if (job->service > 0)
        {
          sim_time_avg_set (&cpu->busy, now, 1.0);
          cpu->done_event = sim_kernel_schedule (h->net->kernel, job->service, job_done, h, NULL);
          set_serving (h, TRUE);
          return;
        }
      run_current (h);
    }
  sim_time_avg_set (&cpu->busy, now, 0.0);
  set_serving (h, FALSE);
}

static void
job_done (SimKernel *k, gpointer ctx, gpointer data)
{
  NetHost *h = ctx;
  h->cpu.done_event = SIM_EVENT_NONE;
  run_current (h);
  start_next (h);
}

static void
enqueue (NetHost *h, NetCpuJob *job)
{
  NetCpu *cpu = &h->cpu;
  job->enqueued = sim_kernel_now (h->net->kernel);
  if (cpu->tail != NULL)
    cpu->tail->next = job;
  else
    cpu->head = job;
  cpu->tail = job;
  if (job->counted)
    {
      cpu->waiting++;
      sim_time_avg_set (&cpu->queue_len, job->enqueued, cpu->waiting);
    }
  if (cpu->current == NULL && !cpu->running)
    start_next (h);
}

gboolean
net_cpu_submit (NetHost *h, NetKind kind, gboolean check, NetCpuFn fn, gpointer data, GDestroyNotify destroy)
{
  if (check && !net_cpu_has_room (h))
    {
      h->cpu.dropped++;
      if (destroy != NULL)
        destroy (data);
      return FALSE;
    }
  NetCpuJob *job = g_new0 (NetCpuJob, 1);
  job->service = message_service (h, kind);
  job->kind = kind;
  job->counted = TRUE;
  job->fn = fn;
  job->data = data;
  job->destroy = destroy;
  enqueue (h, job);
  return TRUE;
}

void
net_host_cpu_exec (NetHost *h, SimTime service, NetKind kind, NetCpuFn fn, gpointer data, GDestroyNotify destroy)
{
  g_return_if_fail (h->up && service >= 0 && fn != NULL);
  NetCpuJob *job = g_new0 (NetCpuJob, 1);
  job->service = service;
  job->kind = kind;
  job->fn = fn;
  job->data = data;
  job->destroy = destroy;
  enqueue (h, job);
}

void
net_host_cpu_exec_op (NetHost *h, const char *op, NetKind kind, NetCpuFn fn, gpointer data,
                      GDestroyNotify destroy)
{
  Net *net = h->net;
  const SimDist *d = &g_array_index (net->op_costs, SimDist, op_index (net, op));
  net_host_cpu_exec (h, sim_dist_sample_time (d, &h->cpu.rng), kind, fn, data, destroy);
}

/* Drop every job without running it (crash, teardown). */
void
net_cpu_host_clear (NetHost *h)
{
  NetCpu *cpu = &h->cpu;
  sim_kernel_cancel (h->net->kernel, cpu->done_event);
  cpu->done_event = SIM_EVENT_NONE;
  NetCpuJob *job = cpu->head;
  cpu->head = cpu->tail = NULL;
  while (job != NULL)
    {
      NetCpuJob *next = job->next;
      job_free (job);
      job = next;
    }
  if (cpu->current != NULL)
    {
      NetCpuJob *cur = cpu->current;
      cpu->current = NULL;
      /* A job whose callback is running is freed by run_current when it returns. */
      if (!cpu->running)
        job_free (cur);
    }
  cpu->waiting = 0;
  cpu->serving = FALSE;
}

void
net_host_cpu_watch (NetHost *h, NetCpuWatchFn fn, gpointer data)
{
  g_return_if_fail (fn == NULL || h->cpu.watch == NULL);
  h->cpu.watch = fn;
  h->cpu.watch_data = data;
}

gboolean
net_host_cpu_serving (const NetHost *h)
{
  return h->cpu.serving;
}

void
net_cpu_host_crash (NetHost *h)
{
  SimTime now = sim_kernel_now (h->net->kernel);
  net_cpu_host_clear (h);
  sim_time_avg_set (&h->cpu.busy, now, 0.0);
  sim_time_avg_set (&h->cpu.queue_len, now, 0.0);
}

void
net_host_cpu_stats (const NetHost *h, NetCpuStats *st)
{
  SimTime now = sim_kernel_now (h->net->kernel);
  const NetCpu *cpu = &h->cpu;
  st->utilization = sim_time_avg_mean (&cpu->busy, now);
  st->queue_len = sim_time_avg_mean (&cpu->queue_len, now);
  st->queue_delay = cpu->queue_delay;
  st->processed = cpu->processed;
  st->dropped = cpu->dropped;
  st->occupancy = occupancy (cpu);
}
