/*
 * models/mm1.c - an M/M/1 queue (M/G/1 with another service distribution): the
 * kernel's validation model.
 *
 * Poisson arrivals at rate lambda = rho / E[S] (rho = mm1.load), one server,
 * FIFO queue, service times from mm1.service. Its answers are known (Kleinrock,
 * Queueing Systems I, §3.2): with exponential service of rate mu, the mean wait
 * in the queue is W = rho / (mu - lambda) and the server's utilization is
 * U = rho. The tests compare the recorded statistics with them; this is a check
 * of the kernel, the RNG streams, the scenario path and the recorder end to
 * end, not a stand-in for the protocol models.
 *
 * Streams: "mm1/arrivals" and "mm1/service", so the arrival process does not
 * change when the service distribution does.
 *
 * Customers are counted in the waiting-time statistic when they arrive after
 * the warm-up; utilization and queue length are time averages from the
 * warm-up to the end. The queue is a GQueue of arrival times (16 bytes per
 * waiting customer); a finite mm1.capacity drops arrivals that find it full.
 * A warm-up that lasts until the end of the run is refused (the run fails
 * with that error): it would record empty statistics as if they were results.
 */
#include "config.h"

#include "models/mm1.h"

#include "sim/stat.h"

typedef struct {
  SimKernel *kernel;
  SimRng     arrivals;
  SimRng     service;
  SimDist    service_dist;
  SimDist    interarrival;      /* exponential(E[service] / rho) */
  gint64     capacity;          /* customers in the system at most; 0 = unbounded */
  SimTime    warmup;
  SimTime    sample_interval;   /* queue-length vector sampling; 0 = no vector */
  SimRecorder *recorder;
  guint      vector;
  GQueue     queue;             /* arrival times (SimTime, boxed in pointers) of waiting customers */
  gboolean   busy;
  SimStat    waiting;           /* s, customers arriving after the warm-up */
  SimStat    sojourn;           /* s */
  SimTimeAvg busy_avg;
  SimTimeAvg queue_avg;
  guint64    arrived, served, dropped;
} Mm1;

static void mm1_arrival (SimKernel *k, gpointer ctx, gpointer data);
static void mm1_departure (SimKernel *k, gpointer ctx, gpointer data);

static void
mm1_start_service (Mm1 *m, SimTime arrived_at)
{
  SimTime now = sim_kernel_now (m->kernel);
  SimTime s = sim_dist_sample_time (&m->service_dist, &m->service);
  if (arrived_at >= m->warmup)
    {
      sim_stat_add (&m->waiting, (double) (now - arrived_at) / SIM_S);
      sim_stat_add (&m->sojourn, (double) (now + s - arrived_at) / SIM_S);
    }
  m->busy = TRUE;
  sim_time_avg_set (&m->busy_avg, now, 1.0);
  sim_kernel_schedule (m->kernel, s, mm1_departure, m, NULL);
}

static void
mm1_arrival (SimKernel *k, gpointer ctx, gpointer data)
{
  Mm1 *m = ctx;
  SimTime now = sim_kernel_now (k);
  sim_kernel_schedule (k, sim_dist_sample_time (&m->interarrival, &m->arrivals), mm1_arrival, m, NULL);
  guint in_system = m->queue.length + (m->busy ? 1 : 0);
  if (m->capacity > 0 && in_system >= (guint64) m->capacity)
    {
      m->dropped++;
      return;
    }
  m->arrived++;
  if (!m->busy)
    {
      mm1_start_service (m, now);
      return;
    }
  g_queue_push_tail (&m->queue, GSIZE_TO_POINTER ((gsize) now));
  sim_time_avg_set (&m->queue_avg, now, m->queue.length);
}

static void
mm1_departure (SimKernel *k, gpointer ctx, gpointer data)
{
  Mm1 *m = ctx;
  SimTime now = sim_kernel_now (k);
  m->served++;
  m->busy = FALSE;
  sim_time_avg_set (&m->busy_avg, now, 0.0);
  if (!g_queue_is_empty (&m->queue))
    {
      SimTime arrived_at = (SimTime) GPOINTER_TO_SIZE (g_queue_pop_head (&m->queue));
      sim_time_avg_set (&m->queue_avg, now, m->queue.length);
      mm1_start_service (m, arrived_at);
    }
}

static void
mm1_sample (SimKernel *k, gpointer ctx, gpointer data)
{
  Mm1 *m = ctx;
  sim_record_vector_append (m->recorder, m->vector, sim_kernel_now (k), m->queue.length);
  sim_kernel_schedule (k, m->sample_interval, mm1_sample, m, NULL);
}

static gpointer
mm1_create (const SimModelContext *ctx, GError **error)
{
  const SimParams *p = ctx->params;
  if (ctx->pcap_path != NULL)
    {
      g_set_error (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_UNSUPPORTED,
                   "model mm1 has no network: there are no packets to write to %s", ctx->pcap_path);
      return NULL;
    }
  /* The statistics start at the warm-up: ending there or before would record empty ones as results. */
  if (ctx->end != SIM_TIME_MAX && ctx->warmup >= ctx->end)
    {
      g_set_error (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID,
                   "warmup-period (%.15g s) is not shorter than sim-time-limit (%.15g s): the M/M/1 model would "
                   "measure nothing", (double) ctx->warmup / SIM_S, (double) ctx->end / SIM_S);
      return NULL;
    }
  Mm1 *m = g_new0 (Mm1, 1);
  m->kernel = ctx->kernel;
  m->recorder = ctx->recorder;
  m->warmup = ctx->warmup;
  m->service_dist = *sim_params_dist (p, "mm1.service");
  m->interarrival = (SimDist) { SIM_DIST_EXPONENTIAL, SIM_UNIT_TIME,
                                sim_dist_mean (&m->service_dist) / sim_params_double (p, "mm1.load"), 0 };
  m->capacity = sim_params_int (p, "mm1.capacity");
  m->sample_interval = sim_params_time (p, "mm1.sample-interval");
  sim_rng_init (&m->arrivals, ctx->seed, "mm1/arrivals");
  sim_rng_init (&m->service, ctx->seed, "mm1/service");
  g_queue_init (&m->queue);
  sim_stat_init (&m->waiting);
  sim_stat_init (&m->sojourn);
  sim_time_avg_init (&m->busy_avg, ctx->warmup, 0.0);
  sim_time_avg_init (&m->queue_avg, ctx->warmup, 0.0);
  sim_kernel_schedule (m->kernel, sim_dist_sample_time (&m->interarrival, &m->arrivals), mm1_arrival, m, NULL);
  if (m->sample_interval > 0)
    {
      m->vector = sim_record_vector_open (m->recorder, "mm1", "mm1.queue_length", "customers");
      sim_kernel_schedule_at (m->kernel, ctx->warmup, mm1_sample, m, NULL);
    }
  return m;
}

static void
mm1_finish (gpointer model, const SimModelContext *ctx)
{
  Mm1 *m = model;
  SimRecorder *rec = ctx->recorder;
  SimTime now = sim_kernel_now (m->kernel);
  sim_record_statistic (rec, "mm1", "mm1.waiting_time", &m->waiting, "s");
  sim_record_statistic (rec, "mm1", "mm1.sojourn_time", &m->sojourn, "s");
  sim_record_scalar (rec, "mm1", "mm1.utilization", sim_time_avg_mean (&m->busy_avg, now), "1");
  sim_record_scalar (rec, "mm1", "mm1.queue_length.mean", sim_time_avg_mean (&m->queue_avg, now),
                     "customers");
  sim_record_scalar (rec, "mm1", "mm1.arrived", (double) m->arrived, "customers");
  sim_record_scalar (rec, "mm1", "mm1.served", (double) m->served, "customers");
  sim_record_scalar (rec, "mm1", "mm1.dropped", (double) m->dropped, "customers");
}

static void
mm1_free (gpointer model)
{
  Mm1 *m = model;
  g_queue_clear (&m->queue);
  g_free (m);
}

static const SimParamDecl mm1_params[] = {
  { "mm1.load", SIM_PARAM_DOUBLE, "0.8", 0.001, 0.999, NULL,
    "Offered load rho = lambda x E[service]; arrivals are Poisson with rate rho / E[service]." },
  { "mm1.service", SIM_PARAM_DIST_TIME, "exponential(1s)", 1, G_MAXDOUBLE, NULL,
    "Service time distribution (exponential: M/M/1; anything else: M/G/1)." },
  { "mm1.capacity", SIM_PARAM_INT, "0", 0, 1e9, NULL,
    "Customers in the system at most (queue + server); arrivals beyond are dropped; 0 = unbounded." },
  { "mm1.sample-interval", SIM_PARAM_TIME, "0s", 0, 9.2e18, NULL,
    "Interval of the queue-length vector (mm1.queue_length) after the warm-up; 0s = no vector." },
};

const SimModelType mm1_model_type = {
  "mm1",
  "M/M/1 queue: validates kernel, RNG streams, scenarios and results against queueing theory",
  mm1_params,
  G_N_ELEMENTS (mm1_params),
  mm1_create,
  mm1_finish,
  mm1_free,
};
