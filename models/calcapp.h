/*
 * models/calcapp.h - the CalcApp workload of the published RSerPool
 * experiments (reference/PAPERS.md §1): a CalcApp server on each PE, a
 * CalcApp client on each PU, their wire protocol and their metrics.
 *
 * Server (on a PoolElement). Capacity C calculations/s shared by processor
 * sharing among its n active jobs (each gets C/n) while the PE host's CPU is
 * free: with calcapp.shares-cpu (the default) the server runs on that CPU,
 * so whenever it serves messages or protocol work that cost time (TLS,
 * pe.keepalive-cost, net.cpu.*) the jobs make no progress (RFC 5355 §2.14:
 * a PE busy with a flood cannot serve its clients). At most MaxJobs =
 * floor (C / min capacity per job) jobs, a request beyond is rejected. The
 * load reported to the PE (and so to the registrar) is n / MaxJobs on the
 * RFC 5356 scale; the LUD/PLU load degradation defaults to 1/MaxJobs. During
 * service the server sends ASAP_COOKIEs with the job's state (job id, size,
 * calculations done) every calcapp.cookie-interval; a request that follows an
 * ASAP_COOKIE_ECHO of the same job resumes from the cookie's progress.
 *
 * Client (on a PoolUser). Jobs arrive with intervals from calcapp.job-interval
 * and sizes from calcapp.job-size, queue at the PU and are served one at a
 * time. Per job: handle resolution, association to the PE's user transport,
 * CalcAppRequest; no Accept within the request timeout (or the association
 * fails) -> ENDPOINT_UNREACHABLE and an immediate retry with a new
 * resolution; Reject -> cache purge, retry after calcapp.retry-delay; during
 * service a CalcAppKeepAlive every keep-alive interval, no KeepAliveAck within
 * the keep-alive timeout -> ENDPOINT_UNREACHABLE and failover: a new
 * resolution, ASAP_COOKIE_ECHO with the latest cookie, then the request.
 *
 * Wire format (PPID 34, IANA "CalcApp Protocol"; what tshark's calcappprotocol
 * dissector reads), exactly 24 bytes, big endian:
 *    0  type (8): 1 Request, 2 Accept, 3 Reject, 4 Abort, 5 Complete,
 *                 6 KeepAlive, 7 KeepAliveAck
 *    1  flags (8): 0
 *    2  length (16): 24
 *    4  job id (32)
 *    8  job size (64): calculations
 *   16  completed (64): calculations done (Accept: resumed from a cookie;
 *                       Complete: = size; others 0)
 * Cookie (the bytes of the ASAP Cookie parameter, opaque to the PU): the
 * state is 24 bytes: "CAPC" (4), job id (32), job size (64), completed (64).
 * calcapp.cookie-auth decides what goes on the wire (RFC 5355 §2.16: "the PE
 * could choose to sign and/or encrypt the cookie. In this case, it must
 * share keys ... with other PEs": the pool key calcapp.cookie-key):
 *   none          the 24 bytes of state;
 *   hmac          state (24) + HMAC-SHA256 (32) over it: 56 bytes;
 *   hmac-encrypt  IV (16) + AES-128-CTR of the state (24) + HMAC-SHA256 (32)
 *                 over IV and ciphertext (encrypt-then-MAC): 72 bytes; the
 *                 IV comes from the server's stream
 *                 "calcapp/server/<pe index>/cookie-iv".
 * The MAC key and the encryption key are HMAC-SHA256 (pool key, "poolsim
 * calcapp cookie mac" / "... enc") (the latter cut to 16 bytes). A server
 * opens an echoed cookie with the same keys; one whose length, MAC or
 * content does not fit is a bad cookie (counted) and the job starts from 0.
 * Decoders accept exactly these layouts (length, type range, zero flags,
 * completed <= size) and report anything else as a CalcAppDecodeError.
 *
 * Metrics (PAPERS.md §1): per server, utilization = used capacity / capacity
 * over time since the warm-up (with processor sharing the whole capacity is
 * used whenever a job is active and the CPU is not taken by other work, so it
 * is the time average of "n > 0 and not paused"); per
 * client, request handling speed of each job = size / handling time, where
 * handling time runs from the job's enqueueing at the PU to the arrival of
 * its Complete (queueing, resolutions, startup, failovers included), counted
 * for jobs enqueued after the warm-up; in % of C as the papers plot it.
 *
 * Not here: sessions with several jobs, a PU that is also a PE. (TLS on the
 * application's channel is models/rsp-secure.h's secure.pu-pe.)
 */
#pragma once

#include "models/pe.h"
#include "models/pu.h"

G_BEGIN_DECLS

#define CALCAPP_PPID        34   /* IANA SCTP PPID "CalcApp Protocol" */
#define CALCAPP_MSG_LEN     24
#define CALCAPP_COOKIE_LEN  24   /* the cookie's state */
#define CALCAPP_COOKIE_MAX  72   /* the longest sealed cookie (hmac-encrypt) */

typedef enum {
  CALCAPP_REQUEST       = 1,
  CALCAPP_ACCEPT        = 2,
  CALCAPP_REJECT        = 3,
  CALCAPP_ABORT         = 4,
  CALCAPP_COMPLETE      = 5,
  CALCAPP_KEEPALIVE     = 6,
  CALCAPP_KEEPALIVE_ACK = 7,
} CalcAppMsgType;

typedef struct {
  CalcAppMsgType type;
  guint32        job_id;
  guint64        job_size;    /* calculations */
  guint64        completed;   /* calculations */
} CalcAppMsg;

typedef enum {
  CALCAPP_DECODE_OK = 0,
  CALCAPP_DECODE_BAD_LENGTH,   /* buffer or length field is not 24 */
  CALCAPP_DECODE_BAD_TYPE,     /* type outside 1..7 (cookie: bad magic) */
  CALCAPP_DECODE_BAD_FLAGS,    /* non-zero flags */
  CALCAPP_DECODE_BAD_VALUE,    /* completed > size, or a request of size 0 */
  CALCAPP_DECODE_BAD_AUTH,     /* a sealed cookie whose MAC does not verify (forged or tampered) */
  CALCAPP_DECODE_N,
} CalcAppDecodeError;

const char        *calcapp_msg_type_name (CalcAppMsgType type);
const char        *calcapp_decode_error_name (CalcAppDecodeError e);
/* Write msg's 24 bytes into out. */
void               calcapp_msg_encode (const CalcAppMsg *msg, guint8 out[CALCAPP_MSG_LEN]);
CalcAppDecodeError calcapp_msg_decode (const guint8 *buf, gsize len, CalcAppMsg *out);
/* The cookie: job id, size and progress; type is unused (0). */
void               calcapp_cookie_encode (const CalcAppMsg *state, guint8 out[CALCAPP_COOKIE_LEN]);
CalcAppDecodeError calcapp_cookie_decode (const guint8 *buf, gsize len, CalcAppMsg *out);

/* RFC 5355 §2.16 mitigation: how cookies are protected (calcapp.cookie-auth). */
typedef enum {
  CALCAPP_COOKIE_AUTH_NONE,
  CALCAPP_COOKIE_AUTH_HMAC,          /* signed */
  CALCAPP_COOKIE_AUTH_HMAC_ENCRYPT,  /* encrypted and signed */
} CalcAppCookieAuth;

/* The keys derived from a pool key. */
typedef struct {
  CalcAppCookieAuth auth;
  guint8            mac[32];
  guint8            enc[16];
} CalcAppCookieKeys;

/* Derive the keys of auth from the pool key (1..64 bytes; ignored for none). */
void  calcapp_cookie_keys_init (CalcAppCookieKeys *keys, CalcAppCookieAuth auth, const guint8 *key, gsize len);
/*
 * Seal state as keys->auth says into out; returns the length (24, 56 or 72).
 * iv_rng (hmac-encrypt only, else unused and may be NULL) gives the IV.
 */
gsize calcapp_cookie_seal (const CalcAppCookieKeys *keys, SimRng *iv_rng, const CalcAppMsg *state,
                           guint8 out[CALCAPP_COOKIE_MAX]);
/* Verify and open a sealed cookie; CALCAPP_DECODE_BAD_AUTH if its MAC does not verify. */
CalcAppDecodeError calcapp_cookie_open (const CalcAppCookieKeys *keys, const guint8 *buf, gsize len,
                                        CalcAppMsg *out);

typedef struct {
  double  capacity;                /* C, calculations/s */
  double  min_capacity_per_job;    /* MaxJobs = floor (C / this) */
  gboolean shares_cpu;             /* jobs pause while the host's CPU serves other work */
  SimTime cookie_interval;         /* cookies during service; 0 = only at accept */
  SimDist job_size;                /* calculations */
  SimDist job_interval;            /* time between job arrivals at one PU */
  SimTime request_timeout;
  SimTime keepalive_interval;
  SimTime keepalive_timeout;
  SimDist retry_delay;             /* after a Reject */
  SimTime resolution_retry_delay;  /* after a failed or empty handle resolution */
  gboolean failover_reestablish;   /* RFC 5355 §2.9: a session begun over TLS fails over only with TLS */
  SimTime warmup;                  /* statistics start here (the run's warm-up; not a key) */
  CalcAppCookieAuth cookie_auth;   /* calcapp.cookie-auth */
  guint8  cookie_key[64];          /* calcapp.cookie-key, the pool key shared by the PEs */
  gsize   cookie_key_len;          /* 0: none given, or not 1..64 bytes of hex */
  guint64 seed;                    /* the run's seed, for the servers' IV streams (not a key) */
} CalcAppConfig;

/* The keys calcapp.* (static table). */
const SimParamDecl *calcapp_params (gsize *n);
void     calcapp_config_from_params (const SimParams *params, CalcAppConfig *cfg);
void     calcapp_config_init (CalcAppConfig *cfg);
/* FALSE with an error if calcapp.cookie-auth needs a key that calcapp.cookie-key does not give. */
gboolean calcapp_config_check (const CalcAppConfig *cfg, GError **error);
/* MaxJobs for a configuration (>= 1). */
guint    calcapp_max_jobs (const CalcAppConfig *cfg);

/* ---- server ---- */

typedef struct CalcAppServer CalcAppServer;

/* The server of pe: listens on pe's user port from calcapp_server_start on. cfg is copied. */
CalcAppServer *calcapp_server_new (PoolElement *pe, const CalcAppConfig *cfg);
/* Listen and report load 0 (call before or after pe_start). */
void           calcapp_server_start (CalcAppServer *server);
void           calcapp_server_free (CalcAppServer *server);
PoolElement   *calcapp_server_pe (const CalcAppServer *server);
guint          calcapp_server_active_jobs (const CalcAppServer *server);
guint          calcapp_server_max_jobs (const CalcAppServer *server);

typedef struct {
  guint64 requests;            /* CalcAppRequests received */
  guint64 accepted;
  guint64 rejected;            /* full: MaxJobs active */
  guint64 resumed;             /* accepted with progress from an echoed cookie */
  guint64 completed;
  guint64 aborted;             /* jobs dropped: Abort, association lost, crash */
  guint64 keepalives;          /* answered */
  guint64 cookies_sent;
  guint64 bad_cookies;         /* echoed cookies that did not decode or did not match the request */
  guint64 decode_errors[CALCAPP_DECODE_N];
  guint64 unexpected;          /* well-formed but not fitting (unknown job, duplicate id, wrong direction) */
  double  calculations;        /* calculations served since the warm-up */
} CalcAppServerStats;
const CalcAppServerStats *calcapp_server_stats (const CalcAppServer *server);
/* Utilization since the warm-up at now (0..1). */
double         calcapp_server_utilization (const CalcAppServer *server);
/* Integral of the busy indicator since the warm-up, in s (utilization x elapsed time). */
double         calcapp_server_busy_seconds (const CalcAppServer *server);
/* Scalars "calcapp.utilization", "calcapp.server.*" of module. */
void           calcapp_server_record (CalcAppServer *server, SimRecorder *rec, const char *module);

/* ---- client ---- */

typedef struct CalcAppClient CalcAppClient;

/* What the oracle sees of a request: one event per step of a job. */
typedef enum {
  CALCAPP_EVENT_REQUEST,    /* a CalcAppRequest went to pe_id at addr (failover: after a cookie echo) */
  CALCAPP_EVENT_ACCEPT,
  CALCAPP_EVENT_REJECT,
  CALCAPP_EVENT_TIMEOUT,    /* no Accept in time, or the association failed before it */
  CALCAPP_EVENT_FAILOVER,   /* keep-alive loss (or association loss) during service */
  CALCAPP_EVENT_COMPLETE,
} CalcAppEventKind;

typedef struct {
  CalcAppEventKind kind;
  guint32          job_id;
  guint32          pe_id;
  NetAddr          addr;     /* the PE's user transport address */
  gboolean         failover; /* the request carried a cookie echo */
  gboolean         secure;   /* the request goes over TLS (secure.pu-pe) */
  gboolean         downgraded; /* a failover request without TLS of a session begun with it (RFC 5355 §2.9) */
} CalcAppEvent;

typedef void (*CalcAppObserver) (CalcAppClient *client, const CalcAppEvent *ev, gpointer user_data);

/* The client of pu, with streams "calcapp/client/<index>/{interval,size,retry}". cfg is copied. */
CalcAppClient *calcapp_client_new (PoolUser *pu, const CalcAppConfig *cfg, guint32 index, guint64 seed);
/* Begin generating jobs (the first arrives one interval later). */
void           calcapp_client_start (CalcAppClient *client);
void           calcapp_client_free (CalcAppClient *client);
void           calcapp_client_set_observer (CalcAppClient *client, CalcAppObserver fn, gpointer user_data);
/* Enqueue a job of size calculations now (tests; the generator uses the same path). */
guint32        calcapp_client_enqueue (CalcAppClient *client, guint64 size);
PoolUser      *calcapp_client_pu (const CalcAppClient *client);
/* Jobs waiting behind the one in progress. */
guint          calcapp_client_queue_length (const CalcAppClient *client);

typedef struct {
  guint64 queued;              /* jobs enqueued */
  guint64 queued_measured;     /* ... after the warm-up: the jobs calcapp.handling_speed judges once completed */
  guint64 started;             /* jobs taken from the queue */
  guint64 completed;
  guint64 failed;              /* dropped by a host crash */
  guint64 requests;            /* CalcAppRequests sent */
  guint64 failovers;
  guint64 rejects;
  guint64 timeouts;            /* request timeouts and associations lost before Accept */
  guint64 unreachable_sent;    /* ENDPOINT_UNREACHABLE reports the PU sent for this client */
  guint64 resolution_failures; /* empty or failed handle resolutions */
  guint64 failovers_insecure;  /* failovers of a session begun over TLS that went on without it (§2.9) */
  guint64 failovers_refused_insecure; /* ... PEs without TLS not taken for such a failover (reestablish) */
  guint64 keepalives;          /* CalcAppKeepAlives sent */
  guint64 decode_errors[CALCAPP_DECODE_N];
  guint64 unexpected;
  SimStat handling_speed;      /* per job enqueued after the warm-up: size / handling time, calculations/s */
  SimStat handling_time;       /* same jobs: handling time, s */
  double  calculations;        /* sum of their sizes */
} CalcAppClientStats;
const CalcAppClientStats *calcapp_client_stats (const CalcAppClient *client);
/* Scalars and statistics "calcapp.handling_speed" (%, of calcapp.capacity), "calcapp.client.*". */
void           calcapp_client_record (CalcAppClient *client, SimRecorder *rec, const char *module);

G_END_DECLS
