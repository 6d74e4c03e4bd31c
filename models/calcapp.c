/*
 * models/calcapp.c - the CalcApp workload (see models/calcapp.h).
 *
 * Processor sharing by virtual time: `vt` is the number of calculations each
 * active job has received since the server started (it grows at C/n per
 * second while n > 0). A job accepted at vt0 with r calculations to go ends
 * when vt reaches vt0 + r, so an arrival or departure changes nothing but
 * the slope; the next departure is the job with the smallest target, found
 * by one pass over the active jobs (at most MaxJobs, e.g. 100), once per
 * arrival or departure. Its event time is rounded up to the nanosecond; at
 * the event every job whose target vt has reached is complete.
 *
 * Sessions: the client opens one association per job attempt to the PE's
 * user transport and closes it (gracefully) when the job is done, or aborts
 * it on timeout, reject or failover; the server forgets a job whose
 * association goes away. ASAP control messages (cookie, cookie echo) share
 * the association with PPID 11 (RFC 5352 §3.8); the ASAP layer decodes them.
 */
#include "config.h"

#include "models/calcapp.h"
#include "sim/model.h"

#include <math.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

/* ---- wire format ------------------------------------------------------------- */

static const char *const calcapp_type_names[] = {
  NULL, "calcapp.request", "calcapp.accept", "calcapp.reject", "calcapp.abort",
  "calcapp.complete", "calcapp.keepalive", "calcapp.keepalive_ack",
};

const char *
calcapp_msg_type_name (CalcAppMsgType type)
{
  return (guint) type < G_N_ELEMENTS (calcapp_type_names) ? calcapp_type_names[type] : NULL;
}

const char *
calcapp_decode_error_name (CalcAppDecodeError e)
{
  static const char *const names[] = { "ok", "bad-length", "bad-type", "bad-flags", "bad-value", "bad-auth" };
  return (guint) e < G_N_ELEMENTS (names) ? names[e] : NULL;
}

static void
put32 (guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static void
put64 (guint8 *p, guint64 v)
{
  put32 (p, (guint32) (v >> 32));
  put32 (p + 4, (guint32) v);
}

static guint32
get32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static guint64
get64 (const guint8 *p)
{
  return (guint64) get32 (p) << 32 | get32 (p + 4);
}

void
calcapp_msg_encode (const CalcAppMsg *msg, guint8 out[CALCAPP_MSG_LEN])
{
  out[0] = (guint8) msg->type;
  out[1] = 0;
  out[2] = 0;
  out[3] = CALCAPP_MSG_LEN;
  put32 (out + 4, msg->job_id);
  put64 (out + 8, msg->job_size);
  put64 (out + 16, msg->completed);
}

CalcAppDecodeError
calcapp_msg_decode (const guint8 *buf, gsize len, CalcAppMsg *out)
{
  if (len != CALCAPP_MSG_LEN || buf[2] != 0 || buf[3] != CALCAPP_MSG_LEN)
    return CALCAPP_DECODE_BAD_LENGTH;
  if (buf[0] < CALCAPP_REQUEST || buf[0] > CALCAPP_KEEPALIVE_ACK)
    return CALCAPP_DECODE_BAD_TYPE;
  if (buf[1] != 0)
    return CALCAPP_DECODE_BAD_FLAGS;
  out->type = buf[0];
  out->job_id = get32 (buf + 4);
  out->job_size = get64 (buf + 8);
  out->completed = get64 (buf + 16);
  if (out->completed > out->job_size || (out->type == CALCAPP_REQUEST && out->job_size == 0))
    return CALCAPP_DECODE_BAD_VALUE;
  return CALCAPP_DECODE_OK;
}

static const guint8 calcapp_cookie_magic[4] = { 'C', 'A', 'P', 'C' };

void
calcapp_cookie_encode (const CalcAppMsg *state, guint8 out[CALCAPP_COOKIE_LEN])
{
  memcpy (out, calcapp_cookie_magic, 4);
  put32 (out + 4, state->job_id);
  put64 (out + 8, state->job_size);
  put64 (out + 16, state->completed);
}

CalcAppDecodeError
calcapp_cookie_decode (const guint8 *buf, gsize len, CalcAppMsg *out)
{
  if (len != CALCAPP_COOKIE_LEN)
    return CALCAPP_DECODE_BAD_LENGTH;
  if (memcmp (buf, calcapp_cookie_magic, 4) != 0)
    return CALCAPP_DECODE_BAD_TYPE;
  out->type = 0;
  out->job_id = get32 (buf + 4);
  out->job_size = get64 (buf + 8);
  out->completed = get64 (buf + 16);
  if (out->job_size == 0 || out->completed > out->job_size)
    return CALCAPP_DECODE_BAD_VALUE;
  return CALCAPP_DECODE_OK;
}

/* ---- sealed cookies (RFC 5355 §2.16) ---------------------------------------- */

static void
cookie_hmac (const guint8 key[32], const guint8 *a, gsize alen, const guint8 *b, gsize blen, guint8 out[32])
{
  g_autoptr (GByteArray) in = g_byte_array_sized_new (alen + blen);
  g_byte_array_append (in, a, alen);
  g_byte_array_append (in, b, blen);
  unsigned int len = 32;
  if (HMAC (EVP_sha256 (), key, 32, in->data, in->len, out, &len) == NULL || len != 32)
    g_error ("calcapp: HMAC-SHA256 failed");   /* OpenSSL without SHA-256: the build is broken */
}

/* AES-128-CTR is its own inverse. */
static void
cookie_ctr (const guint8 key[16], const guint8 iv[16], const guint8 *in, gsize len, guint8 *out)
{
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  int n = 0, fin = 0;
  if (ctx == NULL || !EVP_EncryptInit_ex (ctx, EVP_aes_128_ctr (), NULL, key, iv)
      || !EVP_EncryptUpdate (ctx, out, &n, in, (int) len) || !EVP_EncryptFinal_ex (ctx, out + n, &fin)
      || (gsize) (n + fin) != len)
    g_error ("calcapp: AES-128-CTR failed");
  EVP_CIPHER_CTX_free (ctx);
}

void
calcapp_cookie_keys_init (CalcAppCookieKeys *keys, CalcAppCookieAuth auth, const guint8 *key, gsize len)
{
  memset (keys, 0, sizeof *keys);
  keys->auth = auth;
  if (auth == CALCAPP_COOKIE_AUTH_NONE)
    return;
  g_return_if_fail (len >= 1 && len <= 64);
  static const char mac_label[] = "poolsim calcapp cookie mac", enc_label[] = "poolsim calcapp cookie enc";
  unsigned int n = 32;
  guint8 enc[32];
  if (HMAC (EVP_sha256 (), key, (int) len, (const guint8 *) mac_label, strlen (mac_label), keys->mac, &n) == NULL
      || HMAC (EVP_sha256 (), key, (int) len, (const guint8 *) enc_label, strlen (enc_label), enc, &n) == NULL)
    g_error ("calcapp: HMAC-SHA256 failed");
  memcpy (keys->enc, enc, sizeof keys->enc);
}

gsize
calcapp_cookie_seal (const CalcAppCookieKeys *keys, SimRng *iv_rng, const CalcAppMsg *state,
                     guint8 out[CALCAPP_COOKIE_MAX])
{
  guint8 plain[CALCAPP_COOKIE_LEN];
  calcapp_cookie_encode (state, plain);
  switch (keys->auth)
    {
    case CALCAPP_COOKIE_AUTH_NONE:
      memcpy (out, plain, sizeof plain);
      return sizeof plain;
    case CALCAPP_COOKIE_AUTH_HMAC:
      memcpy (out, plain, sizeof plain);
      cookie_hmac (keys->mac, plain, sizeof plain, NULL, 0, out + sizeof plain);
      return sizeof plain + 32;
    case CALCAPP_COOKIE_AUTH_HMAC_ENCRYPT:
      g_return_val_if_fail (iv_rng != NULL, 0);
      put64 (out, sim_rng_next (iv_rng));
      put64 (out + 8, sim_rng_next (iv_rng));
      cookie_ctr (keys->enc, out, plain, sizeof plain, out + 16);
      cookie_hmac (keys->mac, out, 16 + sizeof plain, NULL, 0, out + 16 + sizeof plain);
      return 16 + sizeof plain + 32;
    }
  g_return_val_if_reached (0);
}

CalcAppDecodeError
calcapp_cookie_open (const CalcAppCookieKeys *keys, const guint8 *buf, gsize len, CalcAppMsg *out)
{
  guint8 mac[32], plain[CALCAPP_COOKIE_LEN];
  switch (keys->auth)
    {
    case CALCAPP_COOKIE_AUTH_NONE:
      return calcapp_cookie_decode (buf, len, out);
    case CALCAPP_COOKIE_AUTH_HMAC:
      if (len != CALCAPP_COOKIE_LEN + 32)
        return CALCAPP_DECODE_BAD_LENGTH;
      cookie_hmac (keys->mac, buf, CALCAPP_COOKIE_LEN, NULL, 0, mac);
      if (CRYPTO_memcmp (mac, buf + CALCAPP_COOKIE_LEN, 32) != 0)
        return CALCAPP_DECODE_BAD_AUTH;
      return calcapp_cookie_decode (buf, CALCAPP_COOKIE_LEN, out);
    case CALCAPP_COOKIE_AUTH_HMAC_ENCRYPT:
      if (len != 16 + CALCAPP_COOKIE_LEN + 32)
        return CALCAPP_DECODE_BAD_LENGTH;
      cookie_hmac (keys->mac, buf, 16 + CALCAPP_COOKIE_LEN, NULL, 0, mac);
      if (CRYPTO_memcmp (mac, buf + 16 + CALCAPP_COOKIE_LEN, 32) != 0)
        return CALCAPP_DECODE_BAD_AUTH;
      cookie_ctr (keys->enc, buf, buf + 16, CALCAPP_COOKIE_LEN, plain);
      return calcapp_cookie_decode (plain, sizeof plain, out);
    }
  g_return_val_if_reached (CALCAPP_DECODE_BAD_TYPE);
}

/* Send one CalcApp message on assoc. */
static gboolean
calcapp_send (Net *net, NetAssoc *assoc, const NetKind *kinds, CalcAppMsgType type, guint32 job_id,
              guint64 size, guint64 completed)
{
  CalcAppMsg msg = { type, job_id, size, completed };
  guint8 *buf = g_malloc (CALCAPP_MSG_LEN);
  calcapp_msg_encode (&msg, buf);
  g_autoptr (GBytes) bytes = g_bytes_new_take (buf, CALCAPP_MSG_LEN);
  return net_assoc_send (assoc, 0, CALCAPP_PPID, kinds[type], bytes);
}

static void
calcapp_intern_kinds (Net *net, NetKind kinds[8])
{
  kinds[0] = 0;
  for (guint t = CALCAPP_REQUEST; t <= CALCAPP_KEEPALIVE_ACK; t++)
    kinds[t] = net_kind (net, calcapp_type_names[t]);
}

/* ---- parameters ----------------------------------------------------------------- */

static const SimParamDecl calcapp_param_decls[] = {
  { "calcapp.capacity", SIM_PARAM_DOUBLE, "1e6", 1, 1e15, NULL,
    "Capacity C of a PE's CalcApp server, calculations/s, shared by its active jobs (processor sharing)." },
  { "calcapp.shares-cpu", SIM_PARAM_BOOL, "true", 0, 0, NULL,
    "The CalcApp server runs on its PE host's CPU: while that CPU serves messages or protocol work (TLS, "
    "pe.keepalive-cost, net.cpu.*), the server's jobs make no progress; false = the capacity is the "
    "application's own (rspsim: the host CPU costs nothing)." },
  { "calcapp.min-capacity-per-job", SIM_PARAM_DOUBLE, "10000", 1, 1e15, NULL,
    "MaxJobs = floor(C / this): jobs served at once; more are rejected (papers: 10000 -> 100 jobs, "
    "250000 -> 4 jobs)." },
  { "calcapp.cookie-interval", SIM_PARAM_TIME, "1s", 0, 9.2e18, NULL,
    "A serving PE sends its PU an ASAP_COOKIE with the job's progress this often (and once at accept); "
    "0s = only at accept." },
  { "calcapp.job-size", SIM_PARAM_DIST, "exponential(1e7)", 1, 1e18, NULL,
    "Job size in calculations (rounded, at least 1); the papers: exponential with mean 1e7." },
  { "calcapp.job-interval", SIM_PARAM_DIST_TIME, "exponential(125s)", 1, 9.2e18, NULL,
    "Time between job arrivals at one PU; mean = max(1, r) x size / (rho x C) for PU:PE ratio r and "
    "target utilization rho (125 s: r = 10, rho = 80 %, size 1e7, C = 1e6)." },
  { "calcapp.request-timeout", SIM_PARAM_TIME, "50s", 1, 9.2e18, NULL,
    "A PU waits this long for CalcAppAccept, then reports the PE unreachable and retries "
    "(rspsim default 50 s; the attack papers 10 s)." },
  { "calcapp.keepalive-interval", SIM_PARAM_TIME, "50s", 1, 9.2e18, NULL,
    "A PU sends a CalcAppKeepAlive this often while its job is served (rspsim 50 s; attack papers 10 s)." },
  { "calcapp.keepalive-timeout", SIM_PARAM_TIME, "50s", 1, 9.2e18, NULL,
    "No CalcAppKeepAliveAck this long after a keep-alive: failover with the latest cookie "
    "(rspsim 50 s; attack papers 10 s)." },
  { "calcapp.retry-delay", SIM_PARAM_DIST_TIME, "uniform(0ms,200ms)", 0, 9.2e18, NULL,
    "Delay before a PU retries a rejected job with a new handle resolution (rspsim uniform(0,200ms))." },
  { "calcapp.failover-security", SIM_PARAM_ENUM, "continue", 0, 0, "continue,reestablish",
    "RFC 5355 §2.9 with secure.pu-pe: continue = a session begun over TLS fails over to whatever PE comes, with or "
    "without TLS (the threat); reestablish = the application learns of the failover and goes on only with a PE it "
    "can set up TLS with, resolving again otherwise (the mitigation)." },
  { "calcapp.resolution-retry-delay", SIM_PARAM_TIME, "30s", 0, 9.2e18, NULL,
    "Delay before a PU retries after a handle resolution that failed or found no PE (rspsim 30 s)." },
  { "calcapp.cookie-auth", SIM_PARAM_ENUM, "none", 0, 0, "none,hmac,hmac-encrypt",
    "RFC 5355 §2.16: PEs sign their session cookies (hmac: HMAC-SHA256) or encrypt and sign them (hmac-encrypt: "
    "AES-128-CTR then HMAC-SHA256) under the pool key calcapp.cookie-key; an echoed cookie that does not verify "
    "is a bad cookie and the job starts over. none = plain cookies." },
  { "calcapp.cookie-key", SIM_PARAM_STRING, "", 0, 0, NULL,
    "The pool key the PEs share for calcapp.cookie-auth: 1 to 64 bytes as hex digits (e.g. 32 digits)." },
};

const SimParamDecl *
calcapp_params (gsize *n)
{
  *n = G_N_ELEMENTS (calcapp_param_decls);
  return calcapp_param_decls;
}

void
calcapp_config_from_params (const SimParams *p, CalcAppConfig *cfg)
{
  memset (cfg, 0, sizeof *cfg);
  cfg->capacity = sim_params_double (p, "calcapp.capacity");
  cfg->min_capacity_per_job = sim_params_double (p, "calcapp.min-capacity-per-job");
  cfg->shares_cpu = sim_params_bool (p, "calcapp.shares-cpu");
  cfg->cookie_interval = sim_params_time (p, "calcapp.cookie-interval");
  cfg->job_size = *sim_params_dist (p, "calcapp.job-size");
  cfg->job_interval = *sim_params_dist (p, "calcapp.job-interval");
  cfg->request_timeout = sim_params_time (p, "calcapp.request-timeout");
  cfg->keepalive_interval = sim_params_time (p, "calcapp.keepalive-interval");
  cfg->keepalive_timeout = sim_params_time (p, "calcapp.keepalive-timeout");
  cfg->retry_delay = *sim_params_dist (p, "calcapp.retry-delay");
  cfg->resolution_retry_delay = sim_params_time (p, "calcapp.resolution-retry-delay");
  cfg->failover_reestablish = strcmp (sim_params_string (p, "calcapp.failover-security"), "reestablish") == 0;
  const char *auth = sim_params_string (p, "calcapp.cookie-auth");
  cfg->cookie_auth = strcmp (auth, "hmac") == 0            ? CALCAPP_COOKIE_AUTH_HMAC
                     : strcmp (auth, "hmac-encrypt") == 0 ? CALCAPP_COOKIE_AUTH_HMAC_ENCRYPT
                                                          : CALCAPP_COOKIE_AUTH_NONE;
  const char *hex = sim_params_string (p, "calcapp.cookie-key");
  gsize digits = strlen (hex);
  if (digits % 2 != 0 || digits / 2 > sizeof cfg->cookie_key)
    return;
  for (gsize i = 0; i < digits / 2; i++)
    {
      int hi = g_ascii_xdigit_value (hex[2 * i]), lo = g_ascii_xdigit_value (hex[2 * i + 1]);
      if (hi < 0 || lo < 0)
        return;
      cfg->cookie_key[i] = (guint8) (hi << 4 | lo);
    }
  cfg->cookie_key_len = digits / 2;
}

gboolean
calcapp_config_check (const CalcAppConfig *cfg, GError **error)
{
  if (cfg->cookie_auth != CALCAPP_COOKIE_AUTH_NONE && cfg->cookie_key_len == 0)
    {
      g_set_error_literal (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID,
                           "calcapp.cookie-auth needs calcapp.cookie-key: 1 to 64 bytes as an even number of hex "
                           "digits");
      return FALSE;
    }
  return TRUE;
}

void
calcapp_config_init (CalcAppConfig *cfg)
{
  g_autoptr (SimParamTable) table = sim_param_table_new ();
  sim_param_table_add (table, calcapp_param_decls, G_N_ELEMENTS (calcapp_param_decls));
  g_autoptr (SimParams) params = sim_params_new (table);
  endpoint_params_set_defaults (params, calcapp_param_decls, G_N_ELEMENTS (calcapp_param_decls));
  calcapp_config_from_params (params, cfg);
}

guint
calcapp_max_jobs (const CalcAppConfig *cfg)
{
  double m = floor (cfg->capacity / cfg->min_capacity_per_job);
  return m < 1 ? 1 : m > G_MAXUINT32 ? G_MAXUINT32 : (guint) m;
}

/* ---- server ------------------------------------------------------------------------ */

typedef struct ServerConn ServerConn;

typedef struct {
  ServerConn *conn;
  guint32     job_id;
  guint64     size;
  guint64     resumed;      /* calculations done elsewhere (from an echoed cookie) */
  double      vt_start;     /* server vt at accept */
  double      target;       /* vt at which it is done */
  SimEventId  cookie_timer;
} ServerJob;

struct ServerConn {
  CalcAppServer *server;
  NetAssoc      *assoc;
  GBytes        *echo;      /* cookie echoed on this association, for the next request */
};

struct CalcAppServer {
  PoolElement        *pe;
  Net                *net;
  NetHost            *host;
  SimKernel          *kernel;
  CalcAppConfig       cfg;
  guint               max_jobs;
  NetKind             kinds[8];
  NetListener        *listener;
  GPtrArray          *conns;        /* ServerConn* */
  GPtrArray          *jobs;         /* ServerJob*, active */
  double              vt;           /* calculations per job served so far */
  SimTime             vt_at;        /* time vt refers to */
  SimEventId          departure;
  gboolean            paused;       /* the host's CPU is serving other work (calcapp.shares-cpu) */
  SimTimeAvg          busy;         /* serving jobs: n > 0 and not paused */
  CalcAppCookieKeys   cookie_keys;
  SimRng              cookie_iv;    /* "calcapp/server/<pe index>/cookie-iv" */
  CalcAppServerStats  stats;
};

/* Bring vt up to now; counts the calculations served after the warm-up. */
static void
server_advance (CalcAppServer *s)
{
  SimTime now = sim_kernel_now (s->kernel);
  guint n = s->jobs->len;
  if (n > 0 && now > s->vt_at && !s->paused)
    {
      s->vt += (double) (now - s->vt_at) * s->cfg.capacity / n / SIM_S;
      SimTime from = MAX (s->vt_at, s->cfg.warmup);
      if (now > from)
        s->stats.calculations += (double) (now - from) * s->cfg.capacity / SIM_S;
    }
  s->vt_at = now;
}

static void server_departure (SimKernel *k, gpointer ctx, gpointer data);

/* Busy signal and next departure (none while paused). */
static void
server_schedule (CalcAppServer *s)
{
  SimTime now = sim_kernel_now (s->kernel);
  guint n = s->jobs->len;
  sim_time_avg_set (&s->busy, now, n > 0 && !s->paused ? 1.0 : 0.0);
  sim_kernel_cancel (s->kernel, s->departure);
  s->departure = SIM_EVENT_NONE;
  if (n == 0 || s->paused)
    return;
  double min_target = G_MAXDOUBLE;
  for (guint i = 0; i < n; i++)
    min_target = MIN (min_target, ((ServerJob *) s->jobs->pdata[i])->target);
  double ns = ceil ((min_target - s->vt) * n / s->cfg.capacity * SIM_S);
  s->departure = sim_kernel_schedule (s->kernel, ns > 0 ? (SimTime) ns : 0, server_departure, s, NULL);
}

/* After the set of jobs changed: busy signal, load, next departure. */
static void
server_changed (CalcAppServer *s)
{
  pe_set_load (s->pe, pe_load_from_fraction ((double) s->jobs->len / s->max_jobs));
  server_schedule (s);
}

/* calcapp.shares-cpu: the host's CPU starts or stops serving other work; jobs pause meanwhile. */
static void
server_cpu (NetHost *host, gboolean serving, gpointer data)
{
  CalcAppServer *s = data;
  server_advance (s);
  s->paused = serving;
  server_schedule (s);
}

static void
server_job_free (CalcAppServer *s, ServerJob *job)
{
  sim_kernel_cancel (s->kernel, job->cookie_timer);
  g_free (job);
}

static guint64
server_job_done (const CalcAppServer *s, const ServerJob *job)
{
  double d = s->vt - job->vt_start;
  guint64 done = job->resumed + (d > 0 ? (guint64) d : 0);
  return MIN (done, job->size);
}

static void
server_send_cookie (CalcAppServer *s, ServerJob *job)
{
  CalcAppMsg state = { 0, job->job_id, job->size, server_job_done (s, job) };
  guint8 cookie[CALCAPP_COOKIE_MAX];
  gsize len = calcapp_cookie_seal (&s->cookie_keys, &s->cookie_iv, &state, cookie);
  if (pe_send_cookie (s->pe, job->conn->assoc, cookie, len))
    s->stats.cookies_sent++;
}

static void
server_cookie_due (SimKernel *k, gpointer ctx, gpointer data)
{
  CalcAppServer *s = ctx;
  ServerJob *job = data;
  server_advance (s);
  server_send_cookie (s, job);
  job->cookie_timer = sim_kernel_schedule (k, s->cfg.cookie_interval, server_cookie_due, s, job);
}

static void
server_departure (SimKernel *k, gpointer ctx, gpointer data)
{
  CalcAppServer *s = ctx;
  s->departure = SIM_EVENT_NONE;
  server_advance (s);
  /* Every job whose target vt has reached (the event time was rounded up) is done. */
  for (guint i = 0; i < s->jobs->len;)
    {
      ServerJob *job = s->jobs->pdata[i];
      if (job->target > s->vt + 1e-6)
        {
          i++;
          continue;
        }
      g_ptr_array_remove_index (s->jobs, i);
      s->stats.completed++;
      calcapp_send (s->net, job->conn->assoc, s->kinds, CALCAPP_COMPLETE, job->job_id, job->size, job->size);
      server_job_free (s, job);
    }
  server_changed (s);
}

static ServerJob *
server_find_job (CalcAppServer *s, ServerConn *c, guint32 job_id, guint *index)
{
  for (guint i = 0; i < s->jobs->len; i++)
    {
      ServerJob *job = s->jobs->pdata[i];
      if (job->conn == c && job->job_id == job_id)
        {
          if (index != NULL)
            *index = i;
          return job;
        }
    }
  return NULL;
}

/* Drop the jobs of c (or all jobs if c is NULL): their PU went away. */
static void
server_drop_jobs (CalcAppServer *s, ServerConn *c)
{
  server_advance (s);
  gboolean changed = FALSE;
  for (guint i = 0; i < s->jobs->len;)
    {
      ServerJob *job = s->jobs->pdata[i];
      if (c != NULL && job->conn != c)
        {
          i++;
          continue;
        }
      g_ptr_array_remove_index (s->jobs, i);
      s->stats.aborted++;
      server_job_free (s, job);
      changed = TRUE;
    }
  if (changed)
    server_changed (s);
}

/* The progress an echoed cookie carries for this request, 0 if none fits. */
static guint64
server_resume_from (CalcAppServer *s, ServerConn *c, const CalcAppMsg *req)
{
  if (c->echo == NULL)
    return 0;
  g_autoptr (GBytes) echo = g_steal_pointer (&c->echo);
  gsize len;
  const guint8 *buf = g_bytes_get_data (echo, &len);
  CalcAppMsg state;
  if (calcapp_cookie_open (&s->cookie_keys, buf, len, &state) != CALCAPP_DECODE_OK || state.job_id != req->job_id
      || state.job_size != req->job_size)
    {
      s->stats.bad_cookies++;
      return 0;
    }
  s->stats.resumed++;
  return state.completed;
}

static void
server_request (CalcAppServer *s, ServerConn *c, const CalcAppMsg *req)
{
  s->stats.requests++;
  if (server_find_job (s, c, req->job_id, NULL) != NULL)
    {
      s->stats.unexpected++;
      return;
    }
  guint64 resumed = server_resume_from (s, c, req);
  if (s->jobs->len >= s->max_jobs)
    {
      s->stats.rejected++;   /* PAPERS.md §1: a full PE rejects */
      calcapp_send (s->net, c->assoc, s->kinds, CALCAPP_REJECT, req->job_id, req->job_size, 0);
      return;
    }
  server_advance (s);
  s->stats.accepted++;
  ServerJob *job = g_new0 (ServerJob, 1);
  job->conn = c;
  job->job_id = req->job_id;
  job->size = req->job_size;
  job->resumed = resumed;
  job->vt_start = s->vt;
  job->target = s->vt + (double) (req->job_size - resumed);
  g_ptr_array_add (s->jobs, job);
  calcapp_send (s->net, c->assoc, s->kinds, CALCAPP_ACCEPT, req->job_id, req->job_size, resumed);
  server_send_cookie (s, job);
  if (s->cfg.cookie_interval > 0)
    job->cookie_timer = sim_kernel_schedule (s->kernel, s->cfg.cookie_interval, server_cookie_due, s, job);
  server_changed (s);
}

static void
server_conn_free (ServerConn *c)
{
  g_clear_pointer (&c->echo, g_bytes_unref);
  g_free (c);
}

static void
server_event (NetAssoc *assoc, NetAssocEvent ev, gpointer user_data)
{
  ServerConn *c = user_data;
  CalcAppServer *s = c->server;
  if (ev == NET_ASSOC_UP)
    return;
  server_drop_jobs (s, c);
  g_ptr_array_remove_fast (s->conns, c);   /* frees c */
}

static void
server_receive (NetAssoc *assoc, const NetMessage *m, gpointer user_data)
{
  ServerConn *c = user_data;
  CalcAppServer *s = c->server;
  if (m->ppid == RSP_PPID_ASAP)
    {
      GBytes *echo = pe_control_receive (s->pe, assoc, m);
      if (echo != NULL)
        {
          g_clear_pointer (&c->echo, g_bytes_unref);
          c->echo = echo;
        }
      return;
    }
  gsize len;
  const guint8 *buf = g_bytes_get_data (m->data, &len);
  CalcAppMsg msg;
  CalcAppDecodeError e = m->ppid == CALCAPP_PPID ? calcapp_msg_decode (buf, len, &msg) : CALCAPP_DECODE_BAD_TYPE;
  if (e != CALCAPP_DECODE_OK)
    {
      s->stats.decode_errors[e]++;
      return;
    }
  guint index;
  ServerJob *job;
  switch (msg.type)
    {
    case CALCAPP_REQUEST:
      server_request (s, c, &msg);
      break;
    case CALCAPP_KEEPALIVE:
      if (server_find_job (s, c, msg.job_id, NULL) == NULL)
        {
          s->stats.unexpected++;
          break;
        }
      s->stats.keepalives++;
      calcapp_send (s->net, assoc, s->kinds, CALCAPP_KEEPALIVE_ACK, msg.job_id, 0, 0);
      break;
    case CALCAPP_ABORT:
      job = server_find_job (s, c, msg.job_id, &index);
      if (job == NULL)
        {
          s->stats.unexpected++;
          break;
        }
      server_advance (s);
      g_ptr_array_remove_index (s->jobs, index);
      s->stats.aborted++;
      server_job_free (s, job);
      server_changed (s);
      break;
    default:
      s->stats.unexpected++;   /* a PE's message sent to a PE */
      break;
    }
}

static const NetAssocCallbacks server_callbacks = { server_event, server_receive };

static gboolean
server_accept (NetListener *listener, NetAssoc *assoc, gpointer user_data)
{
  CalcAppServer *s = user_data;
  ServerConn *c = g_new0 (ServerConn, 1);
  c->server = s;
  c->assoc = assoc;
  g_ptr_array_add (s->conns, c);
  net_assoc_set_callbacks (assoc, &server_callbacks, c);
  rsp_security_server (pe_security (s->pe), SECURE_CLASS_PU_PE, RSP_ROLE_PE, s->host, assoc);
  return TRUE;
}

static void
server_listen (CalcAppServer *s)
{
  if (s->listener == NULL && net_host_is_up (s->host))
    s->listener = net_listen (s->host, pe_config (s->pe)->user_port, server_accept, s);
}

static void
server_host_state (PoolElement *pe, gboolean up, gpointer user_data)
{
  CalcAppServer *s = user_data;
  if (!up)
    {
      /* The crash took the listener and the associations: forget them, lose the jobs. */
      s->listener = NULL;
      g_ptr_array_set_size (s->conns, 0);
      server_drop_jobs (s, NULL);
      s->paused = FALSE;   /* the crash emptied the CPU without telling */
      return;
    }
  server_listen (s);
}

CalcAppServer *
calcapp_server_new (PoolElement *pe, const CalcAppConfig *cfg)
{
  CalcAppServer *s = g_new0 (CalcAppServer, 1);
  s->pe = pe;
  s->net = pe_net (pe);
  s->host = pe_host (pe);
  s->kernel = net_kernel (s->net);
  s->cfg = *cfg;
  s->max_jobs = calcapp_max_jobs (cfg);
  calcapp_cookie_keys_init (&s->cookie_keys, cfg->cookie_auth, cfg->cookie_key, cfg->cookie_key_len);
  sim_rng_init_fmt (&s->cookie_iv, cfg->seed, "calcapp/server/%u/cookie-iv", pe_index (pe));
  calcapp_intern_kinds (s->net, s->kinds);
  s->conns = g_ptr_array_new_with_free_func ((GDestroyNotify) server_conn_free);
  s->jobs = g_ptr_array_new ();
  s->vt_at = sim_kernel_now (s->kernel);
  sim_time_avg_init (&s->busy, cfg->warmup, 0.0);
  /* PAPERS.md §1: LUD load degradation defaults to 1/MaxJobs. */
  if (pe_config (pe)->load_degradation < 0)
    pe_set_load_degradation (pe, pe_load_from_fraction (1.0 / s->max_jobs));
  PeAppCallbacks cb = { server_host_state };
  pe_set_app (pe, &cb, s);
  if (cfg->shares_cpu)
    {
      net_host_cpu_watch (s->host, server_cpu, s);
      s->paused = net_host_cpu_serving (s->host);
    }
  return s;
}

void
calcapp_server_start (CalcAppServer *s)
{
  server_listen (s);
}

void
calcapp_server_free (CalcAppServer *s)
{
  if (s == NULL)
    return;
  PeAppCallbacks none = { NULL };
  pe_set_app (s->pe, &none, NULL);
  if (s->cfg.shares_cpu)
    net_host_cpu_watch (s->host, NULL, NULL);
  sim_kernel_cancel (s->kernel, s->departure);
  for (guint i = 0; i < s->jobs->len; i++)
    server_job_free (s, s->jobs->pdata[i]);
  g_ptr_array_unref (s->jobs);
  for (guint i = 0; i < s->conns->len; i++)
    net_assoc_abort (((ServerConn *) s->conns->pdata[i])->assoc);
  g_ptr_array_unref (s->conns);
  if (s->listener != NULL)
    net_listener_close (s->listener);
  g_free (s);
}

PoolElement *
calcapp_server_pe (const CalcAppServer *s)
{
  return s->pe;
}

guint
calcapp_server_active_jobs (const CalcAppServer *s)
{
  return s->jobs->len;
}

guint
calcapp_server_max_jobs (const CalcAppServer *s)
{
  return s->max_jobs;
}

const CalcAppServerStats *
calcapp_server_stats (const CalcAppServer *s)
{
  return &s->stats;
}

double
calcapp_server_utilization (const CalcAppServer *s)
{
  return sim_time_avg_mean (&s->busy, sim_kernel_now (s->kernel));
}

double
calcapp_server_busy_seconds (const CalcAppServer *s)
{
  SimTime now = sim_kernel_now (s->kernel);
  if (now <= s->cfg.warmup)
    return 0;
  return sim_time_avg_mean (&s->busy, now) * (double) (now - s->cfg.warmup) / SIM_S;
}

/* One scalar per counter (guint64 at offset off of stats), then the decode errors that occurred. */
typedef struct {
  const char *name;
  gsize       off;
} CalcAppCounter;

static void
record_counters (SimRecorder *rec, const char *module, const char *side, const CalcAppCounter *counters, gsize n,
                 gconstpointer stats, const guint64 *decode_errors)
{
  for (gsize i = 0; i < n; i++)
    sim_record_scalar (rec, module, counters[i].name, (double) G_STRUCT_MEMBER (guint64, stats, counters[i].off), "1");
  for (guint e = 1; e < CALCAPP_DECODE_N; e++)
    if (decode_errors[e] > 0)
      {
        g_autofree char *name = g_strdup_printf ("calcapp.%s.decode_errors.%s", side, calcapp_decode_error_name (e));
        sim_record_scalar (rec, module, name, (double) decode_errors[e], "1");
      }
}

void
calcapp_server_record (CalcAppServer *s, SimRecorder *rec, const char *module)
{
  server_advance (s);
  const CalcAppServerStats *st = &s->stats;
  sim_record_scalar (rec, module, "calcapp.utilization", calcapp_server_utilization (s), "1");
  sim_record_scalar (rec, module, "calcapp.server.busy_time", calcapp_server_busy_seconds (s), "s");
  sim_record_scalar (rec, module, "calcapp.server.calculations", st->calculations, "calculations");
  static const CalcAppCounter counters[] = {
    { "calcapp.server.requests", G_STRUCT_OFFSET (CalcAppServerStats, requests) },
    { "calcapp.server.accepted", G_STRUCT_OFFSET (CalcAppServerStats, accepted) },
    { "calcapp.server.rejected", G_STRUCT_OFFSET (CalcAppServerStats, rejected) },
    { "calcapp.server.resumed", G_STRUCT_OFFSET (CalcAppServerStats, resumed) },
    { "calcapp.server.completed", G_STRUCT_OFFSET (CalcAppServerStats, completed) },
    { "calcapp.server.aborted", G_STRUCT_OFFSET (CalcAppServerStats, aborted) },
    { "calcapp.server.keepalives", G_STRUCT_OFFSET (CalcAppServerStats, keepalives) },
    { "calcapp.server.cookies_sent", G_STRUCT_OFFSET (CalcAppServerStats, cookies_sent) },
    { "calcapp.server.bad_cookies", G_STRUCT_OFFSET (CalcAppServerStats, bad_cookies) },
    { "calcapp.server.unexpected", G_STRUCT_OFFSET (CalcAppServerStats, unexpected) },
  };
  record_counters (rec, module, "server", counters, G_N_ELEMENTS (counters), st, st->decode_errors);
}

/* ---- client ------------------------------------------------------------------------- */

typedef enum {
  CLIENT_IDLE,        /* no job */
  CLIENT_RESOLVING,   /* waiting for the PU's resolution */
  CLIENT_REQUESTING,  /* request sent, waiting for Accept */
  CLIENT_RUNNING,     /* accepted, keep-alives running */
  CLIENT_WAITING,     /* a retry delay runs */
} ClientState;

typedef struct {
  guint32 id;
  guint64 size;
  SimTime queued_at;
} ClientJob;

struct CalcAppClient {
  PoolUser          *pu;
  Net               *net;
  NetHost           *host;
  SimKernel         *kernel;
  guint32            index;
  CalcAppConfig      cfg;
  NetKind            kinds[8];
  SimRng             interval_rng;   /* "calcapp/client/<index>/interval" */
  SimRng             size_rng;       /* ".../size" */
  SimRng             retry_rng;      /* ".../retry" */
  GQueue             queue;          /* ClientJob*, waiting */
  ClientJob         *job;            /* in progress, or NULL */
  ClientState        state;
  gboolean           failover;       /* the next request follows a cookie echo */
  gboolean           job_secure;     /* the job's session began over TLS */
  gboolean           request_secure; /* the current request goes over TLS */
  NetAssoc          *assoc;          /* to the PE serving (or asked to serve) the job */
  GPtrArray         *closing;        /* NetAssoc*: shut down, not closed yet */
  guint32            pe_id;
  NetAddr            pe_addr;
  guint32            next_job_id;
  SimEventId         arrival, request_timer, ka_timer, ka_timeout, retry_timer;
  gboolean           started;
  CalcAppObserver    observer;
  gpointer           observer_data;
  CalcAppClientStats stats;
};

static void client_resolve (CalcAppClient *c);
static void client_next_job (CalcAppClient *c);

static void
client_observe (CalcAppClient *c, CalcAppEventKind kind)
{
  if (c->observer == NULL)
    return;
  CalcAppEvent ev = { kind, c->job->id, c->pe_id, c->pe_addr, c->failover, c->request_secure,
                      c->failover && c->job_secure && !c->request_secure };
  c->observer (c, &ev, c->observer_data);
}

static void
client_cancel (CalcAppClient *c, SimEventId *id)
{
  sim_kernel_cancel (c->kernel, *id);
  *id = SIM_EVENT_NONE;
}

static void
client_stop_timers (CalcAppClient *c)
{
  client_cancel (c, &c->request_timer);
  client_cancel (c, &c->ka_timer);
  client_cancel (c, &c->ka_timeout);
  client_cancel (c, &c->retry_timer);
}

/* End the association to the current PE: gracefully after a job, abruptly after a failure. */
static void
client_close (CalcAppClient *c, gboolean graceful)
{
  NetAssoc *a = c->assoc;
  c->assoc = NULL;
  if (a == NULL)
    return;
  if (graceful)
    {
      g_ptr_array_add (c->closing, a);
      net_assoc_shutdown (a);
    }
  else
    net_assoc_abort (a);
}

static void
client_report (CalcAppClient *c)
{
  if (pu_report_unreachable (c->pu, c->pe_id))
    c->stats.unreachable_sent++;
}

/* The PE failed before Accept (timeout, association lost): report and retry at once. */
static void
client_request_failed (CalcAppClient *c)
{
  c->stats.timeouts++;
  client_observe (c, CALCAPP_EVENT_TIMEOUT);
  client_stop_timers (c);
  client_report (c);
  client_close (c, FALSE);
  client_resolve (c);
}

/* The PE failed during service (keep-alive loss, association lost): failover with the cookie. */
static void
client_failover (CalcAppClient *c)
{
  c->stats.failovers++;
  client_observe (c, CALCAPP_EVENT_FAILOVER);
  client_stop_timers (c);
  client_report (c);
  client_close (c, FALSE);
  c->failover = TRUE;
  client_resolve (c);
}

static void
client_request_timeout (SimKernel *k, gpointer ctx, gpointer data)
{
  CalcAppClient *c = ctx;
  c->request_timer = SIM_EVENT_NONE;
  client_request_failed (c);
}

static void
client_ka_timeout (SimKernel *k, gpointer ctx, gpointer data)
{
  CalcAppClient *c = ctx;
  c->ka_timeout = SIM_EVENT_NONE;
  client_failover (c);
}

static void
client_ka_due (SimKernel *k, gpointer ctx, gpointer data)
{
  CalcAppClient *c = ctx;
  c->ka_timer = sim_kernel_schedule (k, c->cfg.keepalive_interval, client_ka_due, c, NULL);
  calcapp_send (c->net, c->assoc, c->kinds, CALCAPP_KEEPALIVE, c->job->id, 0, 0);
  c->stats.keepalives++;
  if (c->ka_timeout == SIM_EVENT_NONE)
    {
      /* A keep-alive is an attempt to reach the PE: its loss is a failure event of its own. */
      pu_pe_tried (c->pu, c->pe_id);
      c->ka_timeout = sim_kernel_schedule (k, c->cfg.keepalive_timeout, client_ka_timeout, c, NULL);
    }
}

static void
client_retry_due (SimKernel *k, gpointer ctx, gpointer data)
{
  CalcAppClient *c = ctx;
  c->retry_timer = SIM_EVENT_NONE;
  client_resolve (c);
}

static void
client_wait (CalcAppClient *c, SimTime delay)
{
  c->state = CLIENT_WAITING;
  c->retry_timer = sim_kernel_schedule (c->kernel, delay, client_retry_due, c, NULL);
}

static void
client_complete (CalcAppClient *c)
{
  client_observe (c, CALCAPP_EVENT_COMPLETE);
  client_stop_timers (c);
  client_close (c, TRUE);
  ClientJob *job = g_steal_pointer (&c->job);
  c->stats.completed++;
  if (job->queued_at >= c->cfg.warmup)
    {
      double t = (double) (sim_kernel_now (c->kernel) - job->queued_at) / SIM_S;
      sim_stat_add (&c->stats.handling_time, t);
      sim_stat_add (&c->stats.handling_speed, t > 0 ? (double) job->size / t : 0);
      c->stats.calculations += (double) job->size;
    }
  g_free (job);
  c->state = CLIENT_IDLE;
  client_next_job (c);
}

static void
client_event (NetAssoc *assoc, NetAssocEvent ev, gpointer user_data)
{
  CalcAppClient *c = user_data;
  if (ev == NET_ASSOC_UP)
    return;
  if (assoc != c->assoc)
    {
      g_ptr_array_remove_fast (c->closing, assoc);
      return;
    }
  c->assoc = NULL;   /* gone: client_close must not touch it */
  if (c->state == CLIENT_REQUESTING)
    client_request_failed (c);
  else if (c->state == CLIENT_RUNNING)
    client_failover (c);
}

static void
client_receive (NetAssoc *assoc, const NetMessage *m, gpointer user_data)
{
  CalcAppClient *c = user_data;
  if (assoc != c->assoc)
    return;   /* a late message on a session we left */
  if (m->ppid == RSP_PPID_ASAP)
    {
      pu_control_receive (c->pu, assoc, m);
      return;
    }
  gsize len;
  const guint8 *buf = g_bytes_get_data (m->data, &len);
  CalcAppMsg msg;
  CalcAppDecodeError e = m->ppid == CALCAPP_PPID ? calcapp_msg_decode (buf, len, &msg) : CALCAPP_DECODE_BAD_TYPE;
  if (e != CALCAPP_DECODE_OK)
    {
      c->stats.decode_errors[e]++;
      return;
    }
  if (c->job == NULL || msg.job_id != c->job->id)
    {
      c->stats.unexpected++;
      return;
    }
  switch (msg.type)
    {
    case CALCAPP_ACCEPT:
      if (c->state != CLIENT_REQUESTING)
        {
          c->stats.unexpected++;
          break;
        }
      client_cancel (c, &c->request_timer);
      pu_pe_reached (c->pu, c->pe_id);
      c->state = CLIENT_RUNNING;
      client_observe (c, CALCAPP_EVENT_ACCEPT);
      c->ka_timer = sim_kernel_schedule (c->kernel, c->cfg.keepalive_interval, client_ka_due, c, NULL);
      break;
    case CALCAPP_REJECT:
      if (c->state != CLIENT_REQUESTING)
        {
          c->stats.unexpected++;
          break;
        }
      /* PAPERS.md §1: cache purge, retry after the retry delay. */
      c->stats.rejects++;
      client_observe (c, CALCAPP_EVENT_REJECT);
      client_cancel (c, &c->request_timer);
      pu_pe_reached (c->pu, c->pe_id);
      pu_cache_purge (c->pu);
      client_close (c, FALSE);
      client_wait (c, sim_dist_sample_time (&c->cfg.retry_delay, &c->retry_rng));
      break;
    case CALCAPP_COMPLETE:
      if (c->state != CLIENT_RUNNING)
        {
          c->stats.unexpected++;
          break;
        }
      client_complete (c);
      break;
    case CALCAPP_KEEPALIVE_ACK:
      client_cancel (c, &c->ka_timeout);
      pu_pe_reached (c->pu, c->pe_id);
      break;
    default:
      c->stats.unexpected++;   /* a PU's message sent to a PU */
      break;
    }
}

static const NetAssocCallbacks client_callbacks = { client_event, client_receive };

/* At most one resolution per client is outstanding (client_resolve runs only outside CLIENT_RESOLVING). */
static void
client_resolved (PoolUser *pu, PuResolveResult result, const PuPeInfo *pes, guint n, gpointer user_data)
{
  CalcAppClient *c = user_data;
  g_return_if_fail (c->state == CLIENT_RESOLVING);
  const PuPeInfo *pe = NULL;
  for (guint i = 0; result == PU_RESOLVE_OK && i < n && pe == NULL; i++)
    if (pes[i].transport == CODEC_PARAM_SCTP_TRANSPORT)
      pe = &pes[i];
  if (pe == NULL)
    {
      c->stats.resolution_failures++;
      client_wait (c, c->cfg.resolution_retry_delay);
      return;
    }
  /* RFC 5355 §2.9: does this PE speak TLS on its application port? */
  RspSecurity *sec = pu_security (c->pu);
  gboolean tls = rsp_security_app_secure (sec, pe->addr);
  if (c->failover && c->job_secure && !tls)
    {
      if (c->cfg.failover_reestablish)
        {
          /* The application was told of the failover and needs TLS again: not with this PE. */
          c->stats.failovers_refused_insecure++;
          client_wait (c, sim_dist_sample_time (&c->cfg.retry_delay, &c->retry_rng));
          return;
        }
      c->stats.failovers_insecure++;
    }
  if (!c->failover)
    c->job_secure = tls;
  c->request_secure = tls;
  c->pe_id = pe->pe_id;
  c->pe_addr = pe->addr;
  c->assoc = net_assoc_connect (c->host, pe->addr, pe->port, &client_callbacks, c);
  rsp_security_client (sec, SECURE_CLASS_PU_PE, RSP_ROLE_PU, c->host, c->assoc);
  pu_pe_tried (c->pu, pe->pe_id);
  /* RFC 5352 §3.8: on failover the cookie echo goes first on the new PE's control channel. */
  if (c->failover)
    pu_send_cookie_echo (c->pu, c->assoc);
  calcapp_send (c->net, c->assoc, c->kinds, CALCAPP_REQUEST, c->job->id, c->job->size, 0);
  c->stats.requests++;
  c->state = CLIENT_REQUESTING;
  client_observe (c, CALCAPP_EVENT_REQUEST);
  c->request_timer = sim_kernel_schedule (c->kernel, c->cfg.request_timeout, client_request_timeout, c, NULL);
}

static void
client_resolve (CalcAppClient *c)
{
  c->state = CLIENT_RESOLVING;
  pu_resolve (c->pu, client_resolved, c);
}

static void
client_next_job (CalcAppClient *c)
{
  if (c->job != NULL || g_queue_is_empty (&c->queue))
    return;
  c->job = g_queue_pop_head (&c->queue);
  c->stats.started++;
  c->failover = FALSE;
  pu_session_reset (c->pu);
  client_resolve (c);
}

guint32
calcapp_client_enqueue (CalcAppClient *c, guint64 size)
{
  g_return_val_if_fail (size > 0, 0);
  ClientJob *job = g_new (ClientJob, 1);
  job->id = ++c->next_job_id;
  job->size = size;
  job->queued_at = sim_kernel_now (c->kernel);
  g_queue_push_tail (&c->queue, job);
  c->stats.queued++;
  if (job->queued_at >= c->cfg.warmup)
    c->stats.queued_measured++;
  client_next_job (c);
  return job->id;
}

static void
client_arrival (SimKernel *k, gpointer ctx, gpointer data)
{
  CalcAppClient *c = ctx;
  c->arrival = sim_kernel_schedule (k, sim_dist_sample_time (&c->cfg.job_interval, &c->interval_rng),
                                    client_arrival, c, NULL);
  double size = round (sim_dist_sample (&c->cfg.job_size, &c->size_rng));
  calcapp_client_enqueue (c, size >= 1 ? (guint64) size : 1);
}

static void
client_host_state (PoolUser *pu, gboolean up, gpointer user_data)
{
  CalcAppClient *c = user_data;
  if (up)
    {
      if (c->started && c->arrival == SIM_EVENT_NONE)
        c->arrival = sim_kernel_schedule (c->kernel, sim_dist_sample_time (&c->cfg.job_interval, &c->interval_rng),
                                          client_arrival, c, NULL);
      return;
    }
  /* The crash took the associations and the jobs in memory. */
  c->assoc = NULL;
  g_ptr_array_set_size (c->closing, 0);
  client_stop_timers (c);
  client_cancel (c, &c->arrival);
  guint lost = g_queue_get_length (&c->queue) + (c->job != NULL ? 1 : 0);
  c->stats.failed += lost;
  g_queue_clear_full (&c->queue, g_free);
  g_clear_pointer (&c->job, g_free);
  c->state = CLIENT_IDLE;
}

CalcAppClient *
calcapp_client_new (PoolUser *pu, const CalcAppConfig *cfg, guint32 index, guint64 seed)
{
  CalcAppClient *c = g_new0 (CalcAppClient, 1);
  c->pu = pu;
  c->net = pu_net (pu);
  c->host = pu_host (pu);
  c->kernel = net_kernel (c->net);
  c->index = index;
  c->cfg = *cfg;
  calcapp_intern_kinds (c->net, c->kinds);
  sim_rng_init_fmt (&c->interval_rng, seed, "calcapp/client/%u/interval", index);
  sim_rng_init_fmt (&c->size_rng, seed, "calcapp/client/%u/size", index);
  sim_rng_init_fmt (&c->retry_rng, seed, "calcapp/client/%u/retry", index);
  g_queue_init (&c->queue);
  c->closing = g_ptr_array_new ();
  sim_stat_init (&c->stats.handling_speed);
  sim_stat_init (&c->stats.handling_time);
  PuAppCallbacks cb = { client_host_state };
  pu_set_app (pu, &cb, c);
  return c;
}

void
calcapp_client_start (CalcAppClient *c)
{
  g_return_if_fail (!c->started);
  c->started = TRUE;
  if (net_host_is_up (c->host))
    c->arrival = sim_kernel_schedule (c->kernel, sim_dist_sample_time (&c->cfg.job_interval, &c->interval_rng),
                                      client_arrival, c, NULL);
}

void
calcapp_client_free (CalcAppClient *c)
{
  if (c == NULL)
    return;
  PuAppCallbacks none = { NULL };
  pu_set_app (c->pu, &none, NULL);
  client_stop_timers (c);
  client_cancel (c, &c->arrival);
  client_close (c, FALSE);
  for (guint i = 0; i < c->closing->len; i++)
    net_assoc_abort (c->closing->pdata[i]);
  g_ptr_array_unref (c->closing);
  g_queue_clear_full (&c->queue, g_free);
  g_free (c->job);
  g_free (c);
}

void
calcapp_client_set_observer (CalcAppClient *c, CalcAppObserver fn, gpointer user_data)
{
  c->observer = fn;
  c->observer_data = user_data;
}

PoolUser *
calcapp_client_pu (const CalcAppClient *c)
{
  return c->pu;
}

guint
calcapp_client_queue_length (const CalcAppClient *c)
{
  return c->queue.length;
}

const CalcAppClientStats *
calcapp_client_stats (const CalcAppClient *c)
{
  return &c->stats;
}

void
calcapp_client_record (CalcAppClient *c, SimRecorder *rec, const char *module)
{
  const CalcAppClientStats *st = &c->stats;
  /* PAPERS.md §1: handling speed in % of a PE's capacity. */
  SimStat pct = st->handling_speed;
  double k = 100.0 / c->cfg.capacity;
  pct.mean *= k;
  pct.m2 *= k * k;
  pct.sum *= k;
  pct.min *= k;
  pct.max *= k;
  sim_record_statistic (rec, module, "calcapp.handling_speed", &pct, "%");
  sim_record_statistic (rec, module, "calcapp.client.handling_time", &st->handling_time, "s");
  sim_record_scalar (rec, module, "calcapp.client.calculations", st->calculations, "calculations");
  static const CalcAppCounter counters[] = {
    { "calcapp.client.queued", G_STRUCT_OFFSET (CalcAppClientStats, queued) },
    { "calcapp.client.started", G_STRUCT_OFFSET (CalcAppClientStats, started) },
    { "calcapp.client.completed", G_STRUCT_OFFSET (CalcAppClientStats, completed) },
    { "calcapp.client.failed", G_STRUCT_OFFSET (CalcAppClientStats, failed) },
    { "calcapp.client.requests", G_STRUCT_OFFSET (CalcAppClientStats, requests) },
    { "calcapp.client.failovers", G_STRUCT_OFFSET (CalcAppClientStats, failovers) },
    { "calcapp.client.failovers_insecure", G_STRUCT_OFFSET (CalcAppClientStats, failovers_insecure) },
    { "calcapp.client.failovers_refused_insecure", G_STRUCT_OFFSET (CalcAppClientStats, failovers_refused_insecure) },
    { "calcapp.client.rejects", G_STRUCT_OFFSET (CalcAppClientStats, rejects) },
    { "calcapp.client.timeouts", G_STRUCT_OFFSET (CalcAppClientStats, timeouts) },
    { "calcapp.client.unreachable_sent", G_STRUCT_OFFSET (CalcAppClientStats, unreachable_sent) },
    { "calcapp.client.resolution_failures", G_STRUCT_OFFSET (CalcAppClientStats, resolution_failures) },
    { "calcapp.client.keepalives", G_STRUCT_OFFSET (CalcAppClientStats, keepalives) },
    { "calcapp.client.unexpected", G_STRUCT_OFFSET (CalcAppClientStats, unexpected) },
  };
  record_counters (rec, module, "client", counters, G_N_ELEMENTS (counters), st, st->decode_errors);
}
