/*
 * attacks/cookie.c - RFC 5355 §2.16, cookie forgery and tampering, by an
 * insider PU: a pool user the registrar serves, with its own host
 * ("adversary<i>" on LAN i mod net.lans) and address.
 *
 * Every attack.interval from attack.start each adversary resolves the pool
 * at registrar i mod registrar.count (one association, HANDLE_RESOLUTION as
 * a PU sends it) and, for the first PE of each answer (the policy's choice),
 * runs one session on the PE's user transport (RFC 5352 §3.8: the cookie
 * echo comes first on the new association, then the request):
 *
 *   forge   ASAP_COOKIE_ECHO with a cookie it made itself - the 24-byte
 *           state layout of models/calcapp.h: a job id of its own (1, 2, ...;
 *           honest PUs number their jobs the same way, so it also claims
 *           their sessions' identifiers), size attack.cookie-job-size,
 *           completed = floor (size x attack.cookie-progress) - then the
 *           CalcAppRequest for that job;
 *   tamper  a genuine session first: the request, then the PE's ASAP_COOKIE
 *           at accept (its progress is 0, which the adversary knows); it
 *           aborts that association as a failing PU would, and on a new one
 *           echoes the cookie with the progress field changed to the same
 *           forged value - XORed into the bytes where the state's "completed"
 *           lies (offset 16 in the plain and signed layouts, 32 in the
 *           encrypted one, where AES-CTR lets a known plaintext be flipped
 *           bit for bit) - then the request again.
 *
 * The PE answers the request with CalcAppAccept, whose "completed" field
 * says from which progress it resumed: > 0 means it accepted the forged
 * state (attack.cookie.accepted, attack.cookie.calculations_skipped: work
 * the PE will not do), 0 that it refused the cookie (attack.cookie.refused;
 * the PE counts calcapp.server.bad_cookies). The adversary then aborts the
 * session: it measures acceptance, it does not load the PE. With
 * calcapp.cookie-auth = hmac or hmac-encrypt neither forged nor tampered
 * cookies verify.
 *
 * Not here: an on-path adversary rewriting honest PUs' echoes (the tamper
 * attack of attacks/onpath.c covers on-path rewriting; a cookie echo is on
 * a CalcApp association, which it leaves alone), cookie replay to another
 * PE for a job in progress, cookie flooding.
 *
 * Invariants: every association of an adversary is in its list until its
 * terminal event; attack_cookie_free aborts the rest. No random draws.
 */
#include "config.h"

#include "attacks/attack-private.h"

#include "models/calcapp.h"
#include "models/rsp.h"
#include "sim/bytes.h"

#include <math.h>
#include <string.h>

typedef enum {
  COOKIE_FORGE,
  COOKIE_TAMPER,
} CookieMode;

typedef struct AttackCookie AttackCookie;
typedef struct CookieAdversary CookieAdversary;

typedef enum {
  SESSION_RESOLVER,   /* the association to the registrar */
  SESSION_GENUINE,    /* tamper: waiting for the PE's cookie */
  SESSION_FORGED,     /* the echo went out: waiting for Accept or Reject */
} SessionState;

typedef struct {
  CookieAdversary *adv;
  NetAssoc        *assoc;
  SessionState     state;
  guint32          job_id;
  NetAddr          pe_addr;
  guint16          pe_port;
} Session;

struct CookieAdversary {
  AttackCookie *c;
  NetHost      *host;
  NetAddr       registrar;
  Session      *resolver;
  GPtrArray    *sessions;     /* Session*, owned */
  guint32       next_job;
  SimEventId    timer;
};

struct AttackCookie {
  Rserpool   *m;
  Net        *net;
  SimKernel  *kernel;
  CookieMode  mode;
  SimTime     interval, start;
  guint64     job_size, forged_progress;
  NetKind     kind_request;
  GPtrArray  *adversaries;
  guint64     messages, bytes, resolutions, answers, genuine, forged, accepted, refused, rejected_full;
  double      skipped;
};

static void
count_sent (AttackCookie *c, gsize bytes)
{
  if (bytes == 0)
    return;
  c->messages++;
  c->bytes += bytes;
}

static Session *
session_add (CookieAdversary *adv, NetAssoc *assoc, SessionState state)
{
  Session *s = g_new0 (Session, 1);
  s->adv = adv;
  s->assoc = assoc;
  s->state = state;
  g_ptr_array_add (adv->sessions, s);
  return s;
}

/* The association is gone (terminal event, or we aborted it). */
static void
session_gone (Session *s)
{
  CookieAdversary *adv = s->adv;
  if (adv->resolver == s)
    adv->resolver = NULL;
  g_ptr_array_remove (adv->sessions, s);   /* frees s */
}

static void
session_abort (Session *s)
{
  NetAssoc *assoc = s->assoc;
  session_gone (s);
  net_assoc_abort (assoc);
}

static void
send_request (Session *s)
{
  AttackCookie *c = s->adv->c;
  CalcAppMsg req = { CALCAPP_REQUEST, s->job_id, c->job_size, 0 };
  guint8 *buf = g_malloc (CALCAPP_MSG_LEN);
  calcapp_msg_encode (&req, buf);
  g_autoptr (GBytes) bytes = g_bytes_new_take (buf, CALCAPP_MSG_LEN);
  if (net_assoc_send (s->assoc, 0, CALCAPP_PPID, c->kind_request, bytes))
    count_sent (c, CALCAPP_MSG_LEN);
}

static void session_event (NetAssoc *assoc, NetAssocEvent ev, gpointer user_data);
static void session_receive (NetAssoc *assoc, const NetMessage *nm, gpointer user_data);
static const NetAssocCallbacks session_callbacks = { session_event, session_receive };

/* RFC 5352 §3.8: a new association to the PE, the cookie echo first, then the request. */
static void
echo_and_request (CookieAdversary *adv, guint32 job_id, NetAddr addr, guint16 port, const guint8 *cookie,
                  gsize len)
{
  AttackCookie *c = adv->c;
  NetAssoc *assoc = net_assoc_connect (adv->host, addr, port, &session_callbacks, NULL);
  Session *s = session_add (adv, assoc, SESSION_FORGED);
  s->job_id = job_id;
  s->pe_addr = addr;
  s->pe_port = port;
  net_assoc_set_callbacks (assoc, &session_callbacks, s);
  CodecMessage echo = { 0 };
  echo.type = CODEC_ASAP_COOKIE_ECHO;
  echo.u.cookie.cookie = (CodecBytes) { cookie, len };
  count_sent (c, rsp_send (c->net, assoc, 0, &echo));
  c->forged++;
  send_request (s);
}

/* XOR the forged progress into the bytes of the cookie's "completed" field (known plaintext 0). */
static void
tamper_progress (AttackCookie *c, guint8 *cookie, gsize len)
{
  gsize at = len == 16 + CALCAPP_COOKIE_LEN + 32 ? 32 : 16;
  if (at + 8 > len)
    return;
  guint8 delta[8];
  sim_put64 (delta, c->forged_progress);
  for (guint i = 0; i < 8; i++)
    cookie[at + i] ^= delta[i];
}

static void
start_session (CookieAdversary *adv, const CodecPoolElement *pe)
{
  AttackCookie *c = adv->c;
  if (pe->user_transport.type != CODEC_PARAM_SCTP_TRANSPORT || pe->user_transport.n_addrs == 0
      || pe->user_transport.addrs[0].family != 4)
    return;
  const guint8 *b = pe->user_transport.addrs[0].bytes;
  NetAddr addr = sim_get32 (b);
  guint16 port = pe->user_transport.port;
  guint32 job_id = adv->next_job++;
  if (c->mode == COOKIE_FORGE)
    {
      CalcAppMsg state = { 0, job_id, c->job_size, c->forged_progress };
      guint8 cookie[CALCAPP_COOKIE_LEN];
      calcapp_cookie_encode (&state, cookie);
      echo_and_request (adv, job_id, addr, port, cookie, sizeof cookie);
      return;
    }
  NetAssoc *assoc = net_assoc_connect (adv->host, addr, port, &session_callbacks, NULL);
  Session *s = session_add (adv, assoc, SESSION_GENUINE);
  s->job_id = job_id;
  s->pe_addr = addr;
  s->pe_port = port;
  net_assoc_set_callbacks (assoc, &session_callbacks, s);
  c->genuine++;
  send_request (s);
}

static void
session_event (NetAssoc *assoc, NetAssocEvent ev, gpointer user_data)
{
  if (ev != NET_ASSOC_UP)
    session_gone (user_data);
}

static void
session_receive (NetAssoc *assoc, const NetMessage *nm, gpointer user_data)
{
  Session *s = user_data;
  CookieAdversary *adv = s->adv;
  AttackCookie *c = adv->c;
  gsize len;
  const guint8 *data = g_bytes_get_data (nm->data, &len);
  if (nm->ppid == CALCAPP_PPID)
    {
      CalcAppMsg msg;
      if (calcapp_msg_decode (data, len, &msg) != CALCAPP_DECODE_OK || msg.job_id != s->job_id
          || s->state != SESSION_FORGED)
        return;
      if (msg.type == CALCAPP_ACCEPT)
        {
          if (msg.completed > 0)
            {
              c->accepted++;
              c->skipped += (double) msg.completed;
            }
          else
            c->refused++;
          session_abort (s);
        }
      else if (msg.type == CALCAPP_REJECT)
        {
          c->rejected_full++;
          session_abort (s);
        }
      return;
    }
  g_auto (CodecMessage) msg = { 0 };
  CodecError err;
  if (!rsp_decode (nm, &msg, &err))
    return;
  if (s->state == SESSION_RESOLVER && msg.type == CODEC_ASAP_HANDLE_RESOLUTION_RESPONSE)
    {
      c->answers++;
      if (msg.u.handle_resolution_response.n_pes > 0)
        start_session (adv, &msg.u.handle_resolution_response.pes[0]);
    }
  else if (s->state == SESSION_GENUINE && msg.type == CODEC_ASAP_COOKIE)
    {
      /* The genuine cookie at accept: fail over with a tampered copy of it. */
      gsize n = MIN (msg.u.cookie.cookie.len, (gsize) 4096);
      g_autofree guint8 *cookie = g_memdup2 (msg.u.cookie.cookie.data, n);
      tamper_progress (c, cookie, n);
      guint32 job_id = s->job_id;
      NetAddr addr = s->pe_addr;
      guint16 port = s->pe_port;
      session_abort (s);
      echo_and_request (adv, job_id, addr, port, cookie, n);
    }
}

static void
cookie_tick (SimKernel *k, gpointer ctx, gpointer data)
{
  CookieAdversary *adv = ctx;
  AttackCookie *c = adv->c;
  adv->timer = sim_kernel_schedule (k, c->interval, cookie_tick, adv, NULL);
  if (adv->resolver == NULL)
    {
      NetAssoc *assoc = net_assoc_connect (adv->host, adv->registrar, RSP_ASAP_PORT, &session_callbacks, NULL);
      adv->resolver = session_add (adv, assoc, SESSION_RESOLVER);
      net_assoc_set_callbacks (assoc, &session_callbacks, adv->resolver);
    }
  CodecMessage msg = { 0 };
  msg.type = CODEC_ASAP_HANDLE_RESOLUTION;
  const char *h = rserpool_pool_handle (c->m);
  msg.u.handle_resolution.handle = (CodecBytes) { (const guint8 *) h, strlen (h) };
  count_sent (c, rsp_send (c->net, adv->resolver->assoc, 0, &msg));
  c->resolutions++;
}

AttackCookie *
attack_cookie_new (Rserpool *m, const SimParams *p, guint64 seed, GError **error)
{
  AttackCookie *c = g_new0 (AttackCookie, 1);
  c->m = m;
  c->net = rserpool_net (m);
  c->kernel = rserpool_kernel (m);
  c->mode = strcmp (sim_params_string (p, "attack.cookie-mode"), "tamper") == 0 ? COOKIE_TAMPER : COOKIE_FORGE;
  c->interval = sim_params_time (p, "attack.interval");
  c->start = sim_params_time (p, "attack.start");
  c->job_size = (guint64) sim_params_double (p, "attack.cookie-job-size");
  c->forged_progress = (guint64) floor ((double) c->job_size * sim_params_double (p, "attack.cookie-progress"));
  c->kind_request = net_kind (c->net, calcapp_msg_type_name (CALCAPP_REQUEST));
  c->adversaries = g_ptr_array_new ();
  guint n = (guint) sim_params_int (p, "attack.count");
  for (guint i = 0; i < n; i++)
    {
      CookieAdversary *adv = g_new0 (CookieAdversary, 1);
      adv->c = c;
      g_autofree char *name = g_strdup_printf ("adversary%u", i);
      adv->host = net_host_new (c->net, name, "adversary", NET_HOST_ADVERSARY);
      net_host_add_address (adv->host, net_lan (c->net, i % net_n_lans (c->net)), 0);
      adv->registrar = net_host_address (registrar_host (rserpool_registrar (m, i % rserpool_n_registrars (m))), 0);
      adv->sessions = g_ptr_array_new_with_free_func (g_free);
      adv->next_job = 1;
      adv->timer = sim_kernel_schedule_at (c->kernel, c->start, cookie_tick, adv, NULL);
      g_ptr_array_add (c->adversaries, adv);
    }
  return c;
}

void
attack_cookie_record (AttackCookie *c, SimRecorder *rec)
{
  const char *mod = "attack";
  SimTime span = sim_kernel_now (c->kernel) - c->start;
  sim_record_scalar (rec, mod, "attack.adversaries", c->adversaries->len, "hosts");
  sim_record_scalar (rec, mod, "attack.messages", (double) c->messages, "messages");
  sim_record_scalar (rec, mod, "attack.bytes", (double) c->bytes, "B");
  sim_record_scalar (rec, mod, "attack.bitrate", span > 0 ? (double) c->bytes * 8.0 / ((double) span / SIM_S) : 0,
                     "bit/s");
  sim_record_scalar (rec, mod, "attack.resolutions", (double) c->resolutions, "messages");
  sim_record_scalar (rec, mod, "attack.resolutions_answered", (double) c->answers, "messages");
  sim_record_scalar (rec, mod, "attack.cookie.genuine_sessions", (double) c->genuine, "sessions");
  sim_record_scalar (rec, mod, "attack.cookie.echoed", (double) c->forged, "messages");
  sim_record_scalar (rec, mod, "attack.cookie.accepted", (double) c->accepted, "sessions");
  sim_record_scalar (rec, mod, "attack.cookie.refused", (double) c->refused, "sessions");
  sim_record_scalar (rec, mod, "attack.cookie.rejected_full", (double) c->rejected_full, "sessions");
  sim_record_scalar (rec, mod, "attack.cookie.calculations_skipped", c->skipped, "calculations");
}

void
attack_cookie_free (AttackCookie *c)
{
  if (c == NULL)
    return;
  for (guint i = 0; i < c->adversaries->len; i++)
    {
      CookieAdversary *adv = c->adversaries->pdata[i];
      sim_kernel_cancel (c->kernel, adv->timer);
      /* Abort from the end: an abort raises no event on this side. */
      while (adv->sessions->len > 0)
        {
          Session *s = adv->sessions->pdata[adv->sessions->len - 1];
          NetAssoc *assoc = s->assoc;
          g_ptr_array_remove_index (adv->sessions, adv->sessions->len - 1);
          net_assoc_abort (assoc);
        }
      g_ptr_array_unref (adv->sessions);
      g_free (adv);
    }
  g_ptr_array_unref (c->adversaries);
  g_free (c);
}
