/*
 * models/rserpool.c - the RSerPool model: assembles registrars, pool
 * elements with CalcApp servers and pool users with CalcApp clients on the
 * virtual network from one run's keys (see models/rserpool.h).
 *
 * Rules, in the order the run is built:
 *   1. The network of the net.* keys (net.lans >= 1 LANs lan0, lan1, ...).
 *   2. Registrar i (0 <= i < registrar.count) on host "registrar<i>", role
 *      "registrar", LAN i mod net.lans, ENRP server ID i + 1 (so the last one
 *      wins a contested takeover, RFC 5353 §3.5). Its peers: registrar.peers
 *      when given, else every other registrar's address in index order.
 *   3. PE j on host "pe<j>" (role "pe"), LAN j mod net.lans, with a CalcApp
 *      server; PU k on host "pu<k>" (role "pu"), LAN k mod net.lans, with a
 *      CalcApp client (index k).
 *   4. Registrar lists: pe.registrars / pu.registrars when given; else all
 *      registrars, entity j's list rotated to start at registrar
 *      j mod registrar.count, unless rserpool.static-registrars is false
 *      (then no static list: discovery by server announces alone, RFC 5352
 *      §3.6). With announces on (pe.announces, pu.announces) the announced
 *      registrars come in addition.
 *   5. CalcApp job interval (PAPERS.md §1, rspsim's rspsim5AutoParameters):
 *      calcapp.target-load rho > 0 replaces calcapp.job-interval by
 *      exponential(max(1, r) x s / (rho x C)) with r = pu.count / pe.count,
 *      s = the mean of calcapp.job-size and C = calcapp.capacity; setting
 *      both keys is an error.
 *   6. Start at time 0 in index order: registrars, then PEs (server first,
 *      then the ASAP side), then PUs; the network's failure schedule last.
 *
 * Recording (finish): net_record (messages and bytes per kind, CPUs), and
 * unless rserpool.record-entities is false, every entity's own scalars
 * under "registrar[i]", "pe[j]", "pu[k]". The system-level metrics are the
 * oracle's (results/oracle.h).
 *
 * Streams: the entities' own ("registrar/<host>/...", "pe/<j>/...",
 * "pu/<k>/...", "calcapp/client/<k>/..."); the model draws nothing itself.
 *
 * Not here: attacks (they add their own hosts), more than one pool.
 */
#include "config.h"

#include "models/rserpool.h"

#include "sim/net-capture.h"

#include <math.h>
#include <string.h>

/* Host addresses on a LAN's /16 (sim/net.h). */
#define RSERPOOL_LAN_HOSTS 65534u

struct Rserpool {
  SimKernel      *kernel;
  Net            *net;
  SimTime         warmup;
  gboolean        record_entities;
  CalcAppConfig   calcapp;
  GPtrArray      *registrars;   /* Registrar* */
  GPtrArray      *pes;          /* PoolElement* */
  GPtrArray      *servers;      /* CalcAppServer* */
  GPtrArray      *pus;          /* PoolUser* */
  GPtrArray      *clients;      /* CalcAppClient* */
  char           *pool_handle;
  RspSecurity    *sec;           /* NULL when no class uses TLS */
  RserpoolObserver observer;
  gpointer        observer_data;
};

static const SimParamDecl rserpool_param_decls[] = {
  { "registrar.count", SIM_PARAM_INT, "1", 0, 10000, NULL,
    "Registrars of model rserpool: hosts registrar0.. on LAN i mod net.lans, ENRP server IDs 1..n." },
  { "pe.count", SIM_PARAM_INT, "10", 0, 1e6, NULL,
    "Pool elements of model rserpool, each with a CalcApp server: hosts pe0.. on LAN j mod net.lans." },
  { "pu.count", SIM_PARAM_INT, "100", 0, 1e7, NULL,
    "Pool users of model rserpool, each with a CalcApp client: hosts pu0.. on LAN k mod net.lans." },
  { "calcapp.target-load", SIM_PARAM_DOUBLE, "0", 0, 100, NULL,
    "Target utilization rho (e.g. 80%): sets calcapp.job-interval to exponential(max(1,r) x mean job size / "
    "(rho x C)), r = pu.count/pe.count (PAPERS §1); 0 = use calcapp.job-interval." },
  { "rserpool.static-registrars", SIM_PARAM_BOOL, "true", 0, 0, NULL,
    "PEs and PUs whose pe.registrars / pu.registrars is empty get every registrar as their static list "
    "(rotated); false = no static list: they find registrars through server announces only (RFC 5352 §3.6)." },
  { "rserpool.record-entities", SIM_PARAM_BOOL, "true", 0, 0, NULL,
    "Record every registrar's, PE's and PU's own scalars (registrar[i], pe[j], pu[k]); false keeps only "
    "the network's and the oracle's (large runs)." },
};

/* ---- accessors -------------------------------------------------------------- */

SimKernel *
rserpool_kernel (const Rserpool *m)
{
  return m->kernel;
}

Net *
rserpool_net (const Rserpool *m)
{
  return m->net;
}

SimTime
rserpool_warmup (const Rserpool *m)
{
  return m->warmup;
}

const char *
rserpool_pool_handle (const Rserpool *m)
{
  return m->pool_handle;
}

guint
rserpool_n_registrars (const Rserpool *m)
{
  return m->registrars->len;
}

Registrar *
rserpool_registrar (const Rserpool *m, guint i)
{
  g_return_val_if_fail (i < m->registrars->len, NULL);
  return m->registrars->pdata[i];
}

guint
rserpool_n_pes (const Rserpool *m)
{
  return m->pes->len;
}

PoolElement *
rserpool_pe (const Rserpool *m, guint j)
{
  g_return_val_if_fail (j < m->pes->len, NULL);
  return m->pes->pdata[j];
}

CalcAppServer *
rserpool_server (const Rserpool *m, guint j)
{
  g_return_val_if_fail (j < m->servers->len, NULL);
  return m->servers->pdata[j];
}

guint
rserpool_n_pus (const Rserpool *m)
{
  return m->pus->len;
}

PoolUser *
rserpool_pu (const Rserpool *m, guint k)
{
  g_return_val_if_fail (k < m->pus->len, NULL);
  return m->pus->pdata[k];
}

CalcAppClient *
rserpool_client (const Rserpool *m, guint k)
{
  g_return_val_if_fail (k < m->clients->len, NULL);
  return m->clients->pdata[k];
}

RspSecurity *
rserpool_security (const Rserpool *m)
{
  return m->sec;
}

const CalcAppConfig *
rserpool_calcapp_config (const Rserpool *m)
{
  return &m->calcapp;
}

void
rserpool_set_observer (Rserpool *m, const RserpoolObserver *observer, gpointer user_data)
{
  if (observer != NULL)
    m->observer = *observer;
  else
    memset (&m->observer, 0, sizeof m->observer);
  m->observer_data = user_data;
}

/* ---- forwarding to the observer ------------------------------------------------ */

static void
on_resolution (Registrar *r, const guint8 *handle, gsize handle_len, const guint32 *pe_ids, guint n,
               gpointer user_data)
{
  Rserpool *m = user_data;
  if (m->observer.resolution != NULL)
    m->observer.resolution (m, registrar_id (r) - 1, pe_ids, n, m->observer_data);
}

static void
on_calcapp_event (CalcAppClient *c, const CalcAppEvent *ev, gpointer user_data)
{
  Rserpool *m = user_data;
  if (m->observer.calcapp_event != NULL)
    m->observer.calcapp_event (m, pu_index (calcapp_client_pu (c)), ev, m->observer_data);
}

/* ---- assembly ---------------------------------------------------------------------- */

static gboolean
invalid (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error_literal (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID, msg);
  return FALSE;
}

/* The registrar list of entity j: all registrars rotated to start at j mod n. */
static void
rotated_list (const GArray *addrs, guint j, GArray *out)
{
  g_array_set_size (out, 0);
  for (guint i = 0; i < addrs->len; i++)
    g_array_append_val (out, g_array_index (addrs, NetAddr, (j + i) % addrs->len));
}

static gboolean
job_interval_from_target (const SimParams *p, CalcAppConfig *cfg, guint n_pes, guint n_pus, GError **error)
{
  double rho = sim_params_double (p, "calcapp.target-load");
  if (rho <= 0)
    return TRUE;
  if (!sim_params_lookup (p, "calcapp.job-interval")->is_default)
    return invalid (error, "calcapp.target-load and calcapp.job-interval both set the job interval: set one");
  if (n_pes == 0)
    return invalid (error, "calcapp.target-load needs pe.count >= 1 (the load is per PE)");
  double r = (double) n_pus / (double) n_pes;
  double mean_s = MAX (1.0, r) * sim_dist_mean (&cfg->job_size) / (rho * cfg->capacity);
  g_autofree char *text = g_strdup_printf ("exponential(%.17gs)", mean_s);
  g_autoptr (GError) local = NULL;
  if (!sim_dist_parse (text, SIM_UNIT_TIME, &cfg->job_interval, &local))
    return invalid (error, "calcapp.target-load gives a job interval %s that is not valid: %s", text,
                    local->message);
  return TRUE;
}

static gboolean
capture_open (Rserpool *m, const SimModelContext *ctx, GError **error)
{
  if (ctx->pcap_lan != NULL && net_lan_lookup (m->net, ctx->pcap_lan) == NULL)
    return invalid (error, "--pcap-lan: no LAN is named '%s'", ctx->pcap_lan);
  g_autoptr (GError) local = NULL;
  if (!net_capture_open (m->net, ctx->pcap_path, ctx->pcap_lan, &local))
    {
      g_set_error (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_UNSUPPORTED, "%s", local->message);
      return FALSE;
    }
  return TRUE;
}

static void rserpool_free (gpointer model);

static NetHost *
new_host (Rserpool *m, const char *prefix, guint i, const char *role)
{
  g_autofree char *name = g_strdup_printf ("%s%u", prefix, i);
  NetHost *h = net_host_new (m->net, name, role, 0);
  net_host_add_address (h, net_lan (m->net, i % net_n_lans (m->net)), 0);
  return h;
}

static gpointer
rserpool_create (const SimModelContext *ctx, GError **error)
{
  const SimParams *p = ctx->params;
  guint n_reg = (guint) sim_params_int (p, "registrar.count");
  guint n_pes = (guint) sim_params_int (p, "pe.count");
  guint n_pus = (guint) sim_params_int (p, "pu.count");

  NetConfig ncfg;
  net_config_from_params (p, &ncfg);
  guint lans = ncfg.lans;
  if (lans == 0)
    {
      net_config_clear (&ncfg);
      return invalid (error, "model rserpool places its hosts on the LANs of net.lans: it must be at least 1"),
             NULL;
    }
  guint64 hosts_per_lan = ((guint64) n_reg + lans - 1) / lans + ((guint64) n_pes + lans - 1) / lans
                          + ((guint64) n_pus + lans - 1) / lans;
  if (hosts_per_lan > RSERPOOL_LAN_HOSTS)
    {
      net_config_clear (&ncfg);
      return invalid (error, "registrar.count, pe.count and pu.count need %" G_GUINT64_FORMAT
                      " addresses per LAN; a LAN has %u", hosts_per_lan, RSERPOOL_LAN_HOSTS), NULL;
    }

  CalcAppConfig ccfg;
  calcapp_config_from_params (p, &ccfg);
  ccfg.warmup = ctx->warmup;
  ccfg.seed = ctx->seed;
  if (!calcapp_config_check (&ccfg, error) || !job_interval_from_target (p, &ccfg, n_pes, n_pus, error))
    {
      net_config_clear (&ncfg);
      return NULL;
    }
  PeConfig pecfg;
  PuConfig pucfg;
  if (!pe_config_from_params (p, &pecfg, error))
    {
      net_config_clear (&ncfg);
      return NULL;
    }
  if (!pu_config_from_params (p, &pucfg, error))
    {
      net_config_clear (&ncfg);
      pe_config_clear (&pecfg);
      return NULL;
    }
  RegistrarConfig rcfg;
  registrar_config_from_params (p, &rcfg);
  g_autoptr (GArray) static_peers = g_array_new (FALSE, FALSE, sizeof (NetAddr));
  if (!registrar_parse_peers (sim_params_string (p, "registrar.peers"), static_peers, error))
    {
      net_config_clear (&ncfg);
      pe_config_clear (&pecfg);
      pu_config_clear (&pucfg);
      return NULL;
    }

  Rserpool *m = g_new0 (Rserpool, 1);
  m->kernel = ctx->kernel;
  m->net = net_new (ctx->kernel, ctx->seed, &ncfg);
  net_config_clear (&ncfg);
  m->warmup = ctx->warmup;
  m->record_entities = sim_params_bool (p, "rserpool.record-entities");
  m->calcapp = ccfg;
  m->pool_handle = g_strdup (pecfg.pool_handle);
  m->registrars = g_ptr_array_new ();
  m->pes = g_ptr_array_new ();
  m->servers = g_ptr_array_new ();
  m->pus = g_ptr_array_new ();
  m->clients = g_ptr_array_new ();
  g_autoptr (GError) sec_error = NULL;
  m->sec = rsp_security_new (m->net, p, ctx->seed, &sec_error);
  if (sec_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&sec_error));
      pe_config_clear (&pecfg);
      pu_config_clear (&pucfg);
      rserpool_free (m);
      return NULL;
    }

  /* 2. Registrars. */
  g_autoptr (GArray) reg_addrs = g_array_new (FALSE, FALSE, sizeof (NetAddr));
  for (guint i = 0; i < n_reg; i++)
    {
      NetHost *h = new_host (m, "registrar", i, "registrar");
      NetAddr a = net_host_address (h, 0);
      g_array_append_val (reg_addrs, a);
      Registrar *r = registrar_new (m->net, h, i + 1, &rcfg, ctx->seed);
      registrar_set_resolution_observer (r, on_resolution, m);
      registrar_set_security (r, m->sec);
      g_ptr_array_add (m->registrars, r);
    }
  g_autoptr (GArray) peers = g_array_new (FALSE, FALSE, sizeof (NetAddr));
  for (guint i = 0; i < n_reg; i++)
    {
      g_array_set_size (peers, 0);
      if (static_peers->len > 0)
        g_array_append_vals (peers, static_peers->data, static_peers->len);
      else
        for (guint k = 0; k < n_reg; k++)
          if (k != i)
            g_array_append_val (peers, g_array_index (reg_addrs, NetAddr, k));
      registrar_set_peers (m->registrars->pdata[i], (const NetAddr *) peers->data, peers->len);
    }

  /* 3, 4. PEs and PUs. */
  gboolean static_lists = sim_params_bool (p, "rserpool.static-registrars");
  gboolean pe_lists = pecfg.hunt.registrars->len == 0 && n_reg > 0 && static_lists;
  gboolean pu_lists = pucfg.hunt.registrars->len == 0 && n_reg > 0 && static_lists;
  for (guint j = 0; j < n_pes; j++)
    {
      NetHost *h = new_host (m, "pe", j, "pe");
      if (pe_lists)
        rotated_list (reg_addrs, j, pecfg.hunt.registrars);
      PoolElement *pe = pe_new (m->net, h, j, &pecfg, ctx->seed);
      pe_set_security (pe, m->sec);
      g_ptr_array_add (m->pes, pe);
      g_ptr_array_add (m->servers, calcapp_server_new (pe, &m->calcapp));
    }
  for (guint k = 0; k < n_pus; k++)
    {
      NetHost *h = new_host (m, "pu", k, "pu");
      if (pu_lists)
        rotated_list (reg_addrs, k, pucfg.hunt.registrars);
      PoolUser *pu = pu_new (m->net, h, k, &pucfg, ctx->seed);
      pu_set_security (pu, m->sec);
      g_ptr_array_add (m->pus, pu);
      CalcAppClient *c = calcapp_client_new (pu, &m->calcapp, k, ctx->seed);
      g_ptr_array_add (m->clients, c);
    }
  pe_config_clear (&pecfg);
  pu_config_clear (&pucfg);
  for (guint k = 0; k < n_pus; k++)
    calcapp_client_set_observer (m->clients->pdata[k], on_calcapp_event, m);

  /* Every honest host's TLS contexts now, so that a certificate that cannot be loaded stops the run here. */
  for (guint i = 0; i < n_reg; i++)
    if (!rsp_security_prepare (m->sec, registrar_host (m->registrars->pdata[i]), RSP_ROLE_REGISTRAR, error))
      {
        rserpool_free (m);
        return NULL;
      }
  for (guint j = 0; j < n_pes; j++)
    if (!rsp_security_prepare (m->sec, pe_host (m->pes->pdata[j]), RSP_ROLE_PE, error))
      {
        rserpool_free (m);
        return NULL;
      }
  for (guint k = 0; k < n_pus; k++)
    if (!rsp_security_prepare (m->sec, pu_host (m->pus->pdata[k]), RSP_ROLE_PU, error))
      {
        rserpool_free (m);
        return NULL;
      }

  /* 6. Start. */
  for (guint i = 0; i < n_reg; i++)
    registrar_start (m->registrars->pdata[i]);
  for (guint j = 0; j < n_pes; j++)
    {
      calcapp_server_start (m->servers->pdata[j]);
      pe_start (m->pes->pdata[j]);
    }
  for (guint k = 0; k < n_pus; k++)
    {
      pu_start (m->pus->pdata[k]);
      calcapp_client_start (m->clients->pdata[k]);
    }
  g_autoptr (GError) local = NULL;
  if (!net_fail_apply_config (m->net, &local))
    {
      g_set_error (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID, "%s", local->message);
      rserpool_free (m);
      return NULL;
    }
  if (ctx->pcap_path != NULL && !capture_open (m, ctx, error))
    {
      rserpool_free (m);
      return NULL;
    }
  return m;
}

static void
rserpool_finish (gpointer model, const SimModelContext *ctx)
{
  Rserpool *m = model;
  SimRecorder *rec = ctx->recorder;
  net_record (m->net, rec);
  rsp_security_record (m->sec, rec);
  if (m->record_entities)
    {
      for (guint i = 0; i < m->registrars->len; i++)
        {
          g_autofree char *module = g_strdup_printf ("registrar[%u]", i);
          registrar_record (m->registrars->pdata[i], rec, module);
        }
      for (guint j = 0; j < m->pes->len; j++)
        {
          g_autofree char *module = g_strdup_printf ("pe[%u]", j);
          pe_record (m->pes->pdata[j], rec, module);
          calcapp_server_record (m->servers->pdata[j], rec, module);
        }
      for (guint k = 0; k < m->pus->len; k++)
        {
          g_autofree char *module = g_strdup_printf ("pu[%u]", k);
          pu_record (m->pus->pdata[k], rec, module);
          calcapp_client_record (m->clients->pdata[k], rec, module);
        }
    }
  g_autoptr (GError) error = NULL;
  if (!net_capture_close (m->net, &error))
    g_warning ("rserpool: the capture is incomplete: %s", error->message);
}

static void
rserpool_free (gpointer model)
{
  Rserpool *m = model;
  if (m == NULL)
    return;
  for (guint k = 0; k < m->clients->len; k++)
    calcapp_client_free (m->clients->pdata[k]);
  for (guint k = 0; k < m->pus->len; k++)
    pu_free (m->pus->pdata[k]);
  for (guint j = 0; j < m->servers->len; j++)
    calcapp_server_free (m->servers->pdata[j]);
  for (guint j = 0; j < m->pes->len; j++)
    pe_free (m->pes->pdata[j]);
  for (guint i = 0; i < m->registrars->len; i++)
    registrar_free (m->registrars->pdata[i]);
  rsp_security_free (m->sec);  /* after the entities (their channels end with them), before the network */
  net_free (m->net);
  g_ptr_array_unref (m->clients);
  g_ptr_array_unref (m->pus);
  g_ptr_array_unref (m->servers);
  g_ptr_array_unref (m->pes);
  g_ptr_array_unref (m->registrars);
  g_free (m->pool_handle);
  g_free (m);
}

const SimModelType rserpool_model_type = {
  "rserpool",
  "RSerPool pool network: registrars, PEs with CalcApp servers, PUs with CalcApp clients (PAPERS.md §1)",
  rserpool_param_decls,
  G_N_ELEMENTS (rserpool_param_decls),
  rserpool_create,
  rserpool_finish,
  rserpool_free,
};
