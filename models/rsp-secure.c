/*
 * models/rsp-secure.c - the security of a run (see models/rsp-secure.h for
 * the keys, the key management and who is client and server).
 *
 * Contexts: one SecureContext per (host, class, side, role), made on first
 * use or by rsp_security_prepare(), kept in creation order (recording sums
 * them per class). Keys: one SecureKeyTable per accepted role mask, each
 * with a resolver that derives the key of an identity that holds that role
 * (secure.keys) as HMAC-SHA256 (secure.psk-secret, identity), so adversary
 * hosts added after the model need no registration. Certificates: the CA
 * and each host's certificate are generated from the run seed (streams
 * "secure/cert/<name>", sim/rng.h) when secure.cert-dir is empty, valid from
 * simulated time 0 for secure.cert-validity, each host's with its name and
 * primary address in subjectAltName; or loaded from
 * secure.cert-dir/ca.pem, <host>.pem and <host>.key.
 *
 * Costs: secure.cost.* become the CPU operations of models/secure.h
 * (defaults measured as described in models/secure.c).
 */
#include "config.h"

#include "models/rsp-secure.h"

#include "sim/model.h"

#include <string.h>

#define RSP_SECURE_MODES "none,psk,cert"

static const SimParamDecl rsp_security_param_decls[] = {
  { "secure.pe-registrar", SIM_PARAM_ENUM, "none", 0, 0, RSP_SECURE_MODES,
    "TLS between PEs and registrars (ASAP on port 3864): psk = mutual with pre-shared keys (RFC 5355 §2.1-2.6), "
    "cert = mutual with certificates of the scenario CA, none = plain ASAP on 3863." },
  { "secure.pu-registrar", SIM_PARAM_ENUM, "none", 0, 0, RSP_SECURE_MODES,
    "TLS between PUs and registrars (ASAP on port 3864): cert = the PU verifies the registrar's certificate "
    "(RFC 5355 §2.7), psk = mutual, none = plain." },
  { "secure.registrar-registrar", SIM_PARAM_ENUM, "none", 0, 0, RSP_SECURE_MODES,
    "TLS between registrars (ENRP on port 9902): psk = mutual authentication (RFC 5355 §2.5), cert = mutual "
    "with certificates of the scenario CA, none = plain ENRP on 9901." },
  { "secure.pu-pe", SIM_PARAM_ENUM, "none", 0, 0, RSP_SECURE_MODES,
    "TLS between PUs and PEs on the application's port (RFC 5355 §2.9): cert = the PU verifies the PE, "
    "psk = mutual, none = plain." },
  { "secure.pu-pe-hosts", SIM_PARAM_STRING, "*", 0, 0, NULL,
    "With secure.pu-pe on: the PE hosts (globs separated by blanks) that speak TLS on their application port; the "
    "others serve in the clear (a mixed pool, RFC 5355 §2.9)." },
  { "secure.keys", SIM_PARAM_STRING, "registrar*:registrar pe*:pe:* pu*:pu", 0, 0, NULL,
    "Key management: entries HOST-GLOB:ROLE[:POOL,...] (ROLE registrar, pe or pu; a pe entry's pools, * = any) "
    "give the matching hosts a pre-shared key of that role under their host name; others hold none." },
  { "secure.psk-secret", SIM_PARAM_STRING, "poolsim", 0, 0, NULL,
    "The secret every pre-shared key derives from: key(identity) = HMAC-SHA256(secret, identity)." },
  { "secure.cert-dir", SIM_PARAM_STRING, "", 0, 0, NULL,
    "Directory with ca.pem and <host>.pem/<host>.key to load; empty = generate the CA and certificates "
    "deterministically from the run's seed at run start." },
  { "secure.cert-validity", SIM_PARAM_TIME, "87600h", 1, 9.2e18, NULL,
    "Generated certificates are valid from simulated time 0 for this long (then handshakes fail: expired)." },
  { "secure.cost.handshake-psk-client", SIM_PARAM_TIME, "200us", 0, 9.2e18, NULL,
    "CPU time of a PSK handshake (X25519) on the client's host." },
  { "secure.cost.handshake-psk-server", SIM_PARAM_TIME, "200us", 0, 9.2e18, NULL,
    "CPU time of a handshake on the server's host (charged at its first flight; PSK or certificate)." },
  { "secure.cost.handshake-cert-client", SIM_PARAM_TIME, "480us", 0, 9.2e18, NULL,
    "CPU time of a certificate handshake on the client's host (chain of 2, P-256 ECDSA)." },
  { "secure.cost.handshake-cert-server", SIM_PARAM_TIME, "200us", 0, 9.2e18, NULL,
    "CPU time of a certificate handshake on the server's host." },
  { "secure.cost.client-cert-client", SIM_PARAM_TIME, "230us", 0, 9.2e18, NULL,
    "Extra CPU time on a client that presents its certificate (certificate mode, PEs and registrars)." },
  { "secure.cost.client-cert-server", SIM_PARAM_TIME, "450us", 0, 9.2e18, NULL,
    "Extra CPU time on a server that verifies a client's certificate." },
  { "secure.cost.record", SIM_PARAM_TIME, "0.7us", 0, 9.2e18, NULL,
    "CPU time per TLS record protected or unprotected (AES-128-GCM, either side)." },
};

const SimParamDecl *
rsp_security_params (gsize *n)
{
  *n = G_N_ELEMENTS (rsp_security_param_decls);
  return rsp_security_param_decls;
}

typedef struct {
  GPatternSpec *glob;
  char         *glob_text;
  RspRole       role;
  gboolean      any_pool;
  GPtrArray    *pools;      /* char* handles */
} KeyEntry;

typedef struct {
  SecureClass    cls;
  gboolean       server;
  SecureContext *ctx;
} CtxEntry;

typedef struct {
  RspSecurity *sec;
  guint        roles;       /* RspRole mask the table's identities must hold */
} TableResolver;

struct RspSecurity {
  Net            *net;
  guint64         seed;
  SecureMode      modes[SECURE_N_CLASSES];
  GPtrArray      *entries;     /* KeyEntry* */
  char           *secret;
  GPtrArray      *app_hosts;   /* GPatternSpec*: secure.pu-pe-hosts */
  SecureKeyTable *tables[8];   /* by role mask */
  TableResolver   resolvers[8];
  char           *cert_dir;
  SimTime         cert_validity;
  SecureCert     *ca;
  GHashTable     *certs;       /* host name -> SecureCert* (lookups only) */
  GHashTable     *contexts;    /* "host/cls/side/roles" -> CtxEntry* (lookups only) */
  GHashTable     *shared;      /* "cls/side/roles" -> SecureContext* whose OpenSSL setup others share (borrowed) */
  GPtrArray      *ctx_order;   /* CtxEntry*, creation order */
};

static void
key_entry_free (gpointer p)
{
  KeyEntry *e = p;
  g_pattern_spec_free (e->glob);
  g_free (e->glob_text);
  g_ptr_array_unref (e->pools);
  g_free (e);
}

static void
ctx_entry_free (gpointer p)
{
  CtxEntry *e = p;
  secure_context_free (e->ctx);
  g_free (e);
}

static gboolean
role_parse (const char *text, RspRole *role)
{
  static const struct { const char *name; RspRole role; } roles[] = {
    { "registrar", RSP_ROLE_REGISTRAR }, { "pe", RSP_ROLE_PE }, { "pu", RSP_ROLE_PU },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (roles); i++)
    if (strcmp (text, roles[i].name) == 0)
      {
        *role = roles[i].role;
        return TRUE;
      }
  return FALSE;
}

static gboolean
keys_parse (RspSecurity *sec, const char *text, GError **error)
{
  g_auto (GStrv) words = g_strsplit_set (text, " \t;", -1);
  for (guint i = 0; words[i] != NULL; i++)
    {
      if (*words[i] == '\0')
        continue;
      g_auto (GStrv) f = g_strsplit (words[i], ":", 3);
      RspRole role;
      if (f[0] == NULL || *f[0] == '\0' || f[1] == NULL || !role_parse (f[1], &role))
        {
          g_set_error (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID,
                       "secure.keys: entry '%s' is not HOST-GLOB:ROLE[:POOL,...] with ROLE registrar, pe or pu",
                       words[i]);
          return FALSE;
        }
      if (f[2] != NULL && role != RSP_ROLE_PE)
        {
          g_set_error (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID,
                       "secure.keys: entry '%s' lists pools, which only a pe entry may", words[i]);
          return FALSE;
        }
      KeyEntry *e = g_new0 (KeyEntry, 1);
      e->glob = g_pattern_spec_new (f[0]);
      e->glob_text = g_strdup (f[0]);
      e->role = role;
      e->pools = g_ptr_array_new_with_free_func (g_free);
      if (f[2] != NULL)
        {
          g_auto (GStrv) pools = g_strsplit (f[2], ",", -1);
          for (guint k = 0; pools[k] != NULL; k++)
            {
              if (strcmp (pools[k], "*") == 0)
                e->any_pool = TRUE;
              else if (*pools[k] != '\0')
                g_ptr_array_add (e->pools, g_strdup (pools[k]));
            }
        }
      g_ptr_array_add (sec->entries, e);
    }
  return TRUE;
}

gboolean
rsp_security_has_role (const RspSecurity *sec, const char *identity, RspRole role)
{
  if (sec == NULL || identity == NULL)
    return FALSE;
  for (guint i = 0; i < sec->entries->len; i++)
    {
      const KeyEntry *e = sec->entries->pdata[i];
      if ((e->role & role) != 0 && g_pattern_spec_match_string (e->glob, identity))
        return TRUE;
    }
  return FALSE;
}

gboolean
rsp_security_may_serve (const RspSecurity *sec, const char *identity, const guint8 *handle, gsize len)
{
  if (sec == NULL || identity == NULL)
    return FALSE;
  for (guint i = 0; i < sec->entries->len; i++)
    {
      const KeyEntry *e = sec->entries->pdata[i];
      if (e->role != RSP_ROLE_PE || !g_pattern_spec_match_string (e->glob, identity))
        continue;
      if (e->any_pool)
        return TRUE;
      for (guint k = 0; k < e->pools->len; k++)
        {
          const char *pool = e->pools->pdata[k];
          if (strlen (pool) == len && memcmp (pool, handle, len) == 0)
            return TRUE;
        }
    }
  return FALSE;
}

static gboolean
resolve_key (const char *identity, guint8 key[64], gsize *len, gpointer user_data)
{
  const TableResolver *r = user_data;
  if (!rsp_security_has_role (r->sec, identity, r->roles))
    return FALSE;
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) r->sec->secret, strlen (r->sec->secret));
  g_hmac_update (hmac, (const guchar *) identity, -1);
  *len = 32;
  g_hmac_get_digest (hmac, key, len);
  return TRUE;
}

static SecureKeyTable *
table_for (RspSecurity *sec, guint roles)
{
  g_assert (roles > 0 && roles < G_N_ELEMENTS (sec->tables));
  if (sec->tables[roles] == NULL)
    {
      sec->tables[roles] = secure_key_table_new ();
      sec->resolvers[roles] = (TableResolver) { sec, roles };
      secure_key_table_set_resolver (sec->tables[roles], resolve_key, &sec->resolvers[roles]);
    }
  return sec->tables[roles];
}

RspSecurity *
rsp_security_new (Net *net, const SimParams *p, guint64 seed, GError **error)
{
  static const char *const keys[SECURE_N_CLASSES] = {
    "secure.pe-registrar", "secure.pu-registrar", "secure.registrar-registrar", "secure.pu-pe",
  };
  SecureMode modes[SECURE_N_CLASSES];
  gboolean any = FALSE;
  for (guint c = 0; c < SECURE_N_CLASSES; c++)
    {
      gboolean ok = secure_mode_parse (sim_params_string (p, keys[c]), &modes[c]);
      g_assert (ok);  /* the enum's choices are the modes */
      any |= modes[c] != SECURE_MODE_NONE;
    }
  if (!any)
    return NULL;
  g_autoptr (RspSecurity) sec = g_new0 (RspSecurity, 1);
  sec->net = net;
  sec->seed = seed;
  memcpy (sec->modes, modes, sizeof modes);
  sec->entries = g_ptr_array_new_with_free_func (key_entry_free);
  sec->secret = g_strdup (sim_params_string (p, "secure.psk-secret"));
  sec->app_hosts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_pattern_spec_free);
  g_auto (GStrv) globs = g_strsplit_set (sim_params_string (p, "secure.pu-pe-hosts"), " \t;,", -1);
  for (guint i = 0; globs[i] != NULL; i++)
    if (*globs[i] != '\0')
      g_ptr_array_add (sec->app_hosts, g_pattern_spec_new (globs[i]));
  sec->cert_dir = g_strdup (sim_params_string (p, "secure.cert-dir"));
  sec->cert_validity = sim_params_time (p, "secure.cert-validity");
  sec->certs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) secure_cert_free);
  sec->contexts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sec->shared = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sec->ctx_order = g_ptr_array_new_with_free_func (ctx_entry_free);
  if (!keys_parse (sec, sim_params_string (p, "secure.keys"), error))
    return NULL;
  if (*sec->cert_dir != '\0')
    {
      g_autofree char *path = g_build_filename (sec->cert_dir, "ca.pem", NULL);
      g_autoptr (GError) local = NULL;
      sec->ca = secure_cert_load (path, NULL, &local);
      if (sec->ca == NULL)
        {
          g_set_error (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID, "secure.cert-dir: %s", local->message);
          return NULL;
        }
    }
  else
    sec->ca = secure_cert_new_ca ("poolsim scenario CA", seed, 0, sec->cert_validity);
  SecureCosts costs = {
    .handshake_psk_client = sim_params_time (p, "secure.cost.handshake-psk-client"),
    .handshake_psk_server = sim_params_time (p, "secure.cost.handshake-psk-server"),
    .handshake_cert_client = sim_params_time (p, "secure.cost.handshake-cert-client"),
    .handshake_cert_server = sim_params_time (p, "secure.cost.handshake-cert-server"),
    .client_cert_client = sim_params_time (p, "secure.cost.client-cert-client"),
    .client_cert_server = sim_params_time (p, "secure.cost.client-cert-server"),
    .record = sim_params_time (p, "secure.cost.record"),
  };
  secure_define_cpu_ops (net, &costs);
  return g_steal_pointer (&sec);
}

void
rsp_security_free (RspSecurity *sec)
{
  if (sec == NULL)
    return;
  if (sec->ctx_order != NULL)
    g_ptr_array_unref (sec->ctx_order);
  if (sec->contexts != NULL)
    g_hash_table_unref (sec->contexts);
  if (sec->shared != NULL)
    g_hash_table_unref (sec->shared);
  if (sec->certs != NULL)
    g_hash_table_unref (sec->certs);
  for (gsize i = 0; i < G_N_ELEMENTS (sec->tables); i++)
    secure_key_table_free (sec->tables[i]);
  secure_cert_free (sec->ca);
  if (sec->entries != NULL)
    g_ptr_array_unref (sec->entries);
  g_free (sec->secret);
  if (sec->app_hosts != NULL)
    g_ptr_array_unref (sec->app_hosts);
  g_free (sec->cert_dir);
  g_free (sec);
}

SecureMode
rsp_security_mode (const RspSecurity *sec, SecureClass cls)
{
  g_return_val_if_fail (cls < SECURE_N_CLASSES, SECURE_MODE_NONE);
  return sec != NULL ? sec->modes[cls] : SECURE_MODE_NONE;
}

guint16
rsp_security_port (const RspSecurity *sec, SecureClass cls, guint16 plain_port, guint16 tls_port)
{
  return rsp_security_mode (sec, cls) != SECURE_MODE_NONE ? tls_port : plain_port;
}

/* The certificate of host (generated or loaded once). */
static const SecureCert *
cert_for (RspSecurity *sec, NetHost *host, GError **error)
{
  const char *name = net_host_name (host);
  SecureCert *c = g_hash_table_lookup (sec->certs, name);
  if (c != NULL)
    return c;
  if (*sec->cert_dir != '\0')
    {
      g_autofree char *file = g_strdup_printf ("%s.pem", name);
      g_autofree char *kfile = g_strdup_printf ("%s.key", name);
      g_autofree char *path = g_build_filename (sec->cert_dir, file, NULL);
      g_autofree char *kpath = g_build_filename (sec->cert_dir, kfile, NULL);
      g_autoptr (GError) local = NULL;
      c = secure_cert_load (path, kpath, &local);
      if (c == NULL)
        {
          g_set_error (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID, "secure.cert-dir: %s", local->message);
          return NULL;
        }
    }
  else
    {
      char ip[16];
      net_addr_format (net_host_address (host, 0), ip, sizeof ip);
      c = secure_cert_issue_ip (sec->ca, name, ip, sec->seed, 0, sec->cert_validity);
    }
  g_hash_table_insert (sec->certs, g_strdup (name), c);
  return c;
}

/* The roles a server of class accepts when it serves as role. */
static guint
accepted_roles (SecureClass cls, RspRole role)
{
  switch (cls)
    {
    case SECURE_CLASS_PE_REGISTRAR:
    case SECURE_CLASS_PU_REGISTRAR:
      return role == RSP_ROLE_REGISTRAR ? RSP_ROLE_PE | RSP_ROLE_PU : RSP_ROLE_REGISTRAR;
    case SECURE_CLASS_REGISTRAR_REGISTRAR:
      return RSP_ROLE_REGISTRAR;
    case SECURE_CLASS_PU_PE:
    default:
      return RSP_ROLE_PU;
    }
}

static SecureContext *
context_for (RspSecurity *sec, SecureClass cls, gboolean server, RspRole role, NetHost *host, GError **error)
{
  g_autofree char *key = g_strdup_printf ("%s/%d/%d/%d", net_host_name (host), (int) cls, server, (int) role);
  CtxEntry *e = g_hash_table_lookup (sec->contexts, key);
  if (e != NULL)
    return e->ctx;
  SecureConfig cfg = { 0 };
  cfg.server = server;
  g_autofree char *label = g_strdup_printf ("%s-%s", secure_class_name (cls), server ? "server" : "client");
  cfg.label = label;
  cfg.mode = sec->modes[cls];
  if (server && role == RSP_ROLE_REGISTRAR
      && (cls == SECURE_CLASS_PE_REGISTRAR || cls == SECURE_CLASS_PU_REGISTRAR))
    {
      /* The registrar's ASAP port serves both classes. */
      SecureMode pe = sec->modes[SECURE_CLASS_PE_REGISTRAR], pu = sec->modes[SECURE_CLASS_PU_REGISTRAR];
      cfg.mode = pe == SECURE_MODE_PSK || pu == SECURE_MODE_PSK ? SECURE_MODE_PSK : SECURE_MODE_CERT;
      if (pe == SECURE_MODE_CERT || pu == SECURE_MODE_CERT)
        {
          cfg.cert = cert_for (sec, host, error);
          if (cfg.cert == NULL)
            return NULL;
        }
    }
  else if (server && cfg.mode == SECURE_MODE_CERT)
    {
      cfg.cert = cert_for (sec, host, error);
      if (cfg.cert == NULL)
        return NULL;
    }
  if (cfg.mode == SECURE_MODE_PSK)
    {
      if (server)
        cfg.keys = table_for (sec, accepted_roles (cls, role));
      else
        {
          cfg.keys = table_for (sec, role);
          cfg.identity = net_host_name (host);
        }
    }
  else if (!server)
    {
      cfg.trust = sec->ca;
      /* PEs and registrars authenticate with their certificate, if secure.keys gives them the role. */
      if (role != RSP_ROLE_PU && cls != SECURE_CLASS_PU_PE && rsp_security_has_role (sec, net_host_name (host), role))
        {
          cfg.cert = cert_for (sec, host, error);
          if (cfg.cert == NULL)
            return NULL;
        }
    }
  if (server && cls != SECURE_CLASS_PU_PE && sec->modes[cls] == SECURE_MODE_CERT)
    {
      /* Certificate mode authenticates PEs and registrars by client certificate; PUs stay anonymous, so
       * the registrar's ASAP port, which serves both, asks without requiring. */
      cfg.trust = sec->ca;
      cfg.keys = table_for (sec, accepted_roles (cls, role));
      cfg.require_client_cert = !(role == RSP_ROLE_REGISTRAR && cls == SECURE_CLASS_PE_REGISTRAR);
    }
  /* Contexts without a host certificate are alike for every host of a role: they share OpenSSL's setup. */
  g_autofree char *share_key = g_strdup_printf ("%d/%d/%d", (int) cls, server, (int) role);
  if (cfg.cert == NULL)
    cfg.share = g_hash_table_lookup (sec->shared, share_key);
  SecureContext *ctx = secure_context_new (host, sec->seed, &cfg, error);
  if (ctx == NULL)
    return NULL;
  if (cfg.cert == NULL && cfg.share == NULL)
    g_hash_table_insert (sec->shared, g_steal_pointer (&share_key), ctx);
  e = g_new0 (CtxEntry, 1);
  e->cls = cls;
  e->server = server;
  e->ctx = ctx;
  g_hash_table_insert (sec->contexts, g_steal_pointer (&key), e);
  g_ptr_array_add (sec->ctx_order, e);
  return ctx;
}

static SecureContext *
context_or_die (RspSecurity *sec, SecureClass cls, gboolean server, RspRole role, NetHost *host)
{
  g_autoptr (GError) error = NULL;
  SecureContext *ctx = context_for (sec, cls, server, role, host, &error);
  if (ctx == NULL)
    g_error ("secure: %s: %s", net_host_name (host), error->message);  /* prepared hosts cannot get here */
  return ctx;
}

gboolean
rsp_security_prepare (RspSecurity *sec, NetHost *host, RspRole role, GError **error)
{
  if (sec == NULL)
    return TRUE;
  typedef struct { SecureClass cls; gboolean server; RspRole as; } Need;
  Need need[6];
  guint n = 0;
  switch (role)
    {
    case RSP_ROLE_REGISTRAR:
      need[n++] = (Need) { SECURE_CLASS_PE_REGISTRAR, TRUE, RSP_ROLE_REGISTRAR };
      need[n++] = (Need) { SECURE_CLASS_PE_REGISTRAR, FALSE, RSP_ROLE_REGISTRAR };
      need[n++] = (Need) { SECURE_CLASS_REGISTRAR_REGISTRAR, TRUE, RSP_ROLE_REGISTRAR };
      need[n++] = (Need) { SECURE_CLASS_REGISTRAR_REGISTRAR, FALSE, RSP_ROLE_REGISTRAR };
      break;
    case RSP_ROLE_PE:
      need[n++] = (Need) { SECURE_CLASS_PE_REGISTRAR, FALSE, RSP_ROLE_PE };
      need[n++] = (Need) { SECURE_CLASS_PE_REGISTRAR, TRUE, RSP_ROLE_PE };
      need[n++] = (Need) { SECURE_CLASS_PU_PE, TRUE, RSP_ROLE_PE };
      break;
    case RSP_ROLE_PU:
    default:
      need[n++] = (Need) { SECURE_CLASS_PU_REGISTRAR, FALSE, RSP_ROLE_PU };
      need[n++] = (Need) { SECURE_CLASS_PU_PE, FALSE, RSP_ROLE_PU };
      break;
    }
  for (guint i = 0; i < n; i++)
    {
      SecureClass cls = need[i].cls;
      gboolean registrar_asap = role == RSP_ROLE_REGISTRAR && need[i].server && cls == SECURE_CLASS_PE_REGISTRAR;
      if (sec->modes[cls] == SECURE_MODE_NONE
          && !(registrar_asap && sec->modes[SECURE_CLASS_PU_REGISTRAR] != SECURE_MODE_NONE))
        continue;
      if (context_for (sec, cls, need[i].server, need[i].as, host, error) == NULL)
        return FALSE;
    }
  return TRUE;
}

static gboolean
app_host_secure (const RspSecurity *sec, const NetHost *host)
{
  for (guint i = 0; i < sec->app_hosts->len; i++)
    if (g_pattern_spec_match_string (sec->app_hosts->pdata[i], net_host_name (host)))
      return TRUE;
  return FALSE;
}

gboolean
rsp_security_app_secure (const RspSecurity *sec, NetAddr pe_addr)
{
  if (rsp_security_mode (sec, SECURE_CLASS_PU_PE) == SECURE_MODE_NONE)
    return FALSE;
  NetHost *host = net_host_by_address (sec->net, pe_addr);
  return host != NULL && app_host_secure (sec, host);
}

void
rsp_security_client (RspSecurity *sec, SecureClass cls, RspRole role, NetHost *host, NetAssoc *assoc)
{
  if (rsp_security_mode (sec, cls) == SECURE_MODE_NONE || assoc == NULL)
    return;
  if (cls == SECURE_CLASS_PU_PE && !rsp_security_app_secure (sec, net_assoc_peer_addr (assoc)))
    return;
  SecureContext *ctx = context_or_die (sec, cls, FALSE, role, host);
  char peer[16];
  net_addr_format (net_assoc_peer_addr (assoc), peer, sizeof peer);
  secure_attach (ctx, assoc, peer);
}

void
rsp_security_server (RspSecurity *sec, SecureClass cls, RspRole role, NetHost *host, NetAssoc *assoc)
{
  if (sec == NULL)
    return;
  if (cls == SECURE_CLASS_PU_REGISTRAR && role == RSP_ROLE_REGISTRAR)
    cls = SECURE_CLASS_PE_REGISTRAR;  /* one context for the registrar's ASAP port */
  gboolean registrar_asap = role == RSP_ROLE_REGISTRAR && cls == SECURE_CLASS_PE_REGISTRAR;
  if (sec->modes[cls] == SECURE_MODE_NONE
      && !(registrar_asap && sec->modes[SECURE_CLASS_PU_REGISTRAR] != SECURE_MODE_NONE))
    return;
  if (cls == SECURE_CLASS_PU_PE && !app_host_secure (sec, host))
    return;
  secure_attach (context_or_die (sec, cls, TRUE, role, host), assoc, NULL);
}

gboolean
rsp_security_is_secure (const NetAssoc *assoc)
{
  return secure_assoc_channel (assoc) != NULL;
}

const char *
rsp_security_peer_identity (const NetAssoc *assoc)
{
  SecureChannel *ch = secure_assoc_channel (assoc);
  return ch != NULL ? secure_channel_peer_identity (ch) : NULL;
}

void
rsp_security_record (const RspSecurity *sec, SimRecorder *rec)
{
  if (sec == NULL)
    return;
  for (guint c = 0; c < SECURE_N_CLASSES; c++)
    for (guint side = 0; side < 2; side++)
      {
        SecureStats sum = { 0 };
        gboolean seen = FALSE;
        for (guint i = 0; i < sec->ctx_order->len; i++)
          {
            const CtxEntry *e = sec->ctx_order->pdata[i];
            if (e->cls != c || e->server != (side == 1))
              continue;
            const SecureStats *s = secure_context_stats (e->ctx);
            seen = TRUE;
            sum.handshakes += s->handshakes;
            for (guint f = 0; f < SECURE_N_FAILS; f++)
              sum.failures[f] += s->failures[f];
            sum.records_sent += s->records_sent;
            sum.records_received += s->records_received;
            sum.bytes_sent += s->bytes_sent;
          }
        if (!seen && sec->modes[c] == SECURE_MODE_NONE)
          continue;
        char suffix[64], name[128];
        g_snprintf (suffix, sizeof suffix, "%s.%s", secure_class_name (c), side == 1 ? "server" : "client");
        g_snprintf (name, sizeof name, "secure.handshakes.%s", suffix);
        sim_record_scalar (rec, "secure", name, (double) sum.handshakes, "1");
        for (guint f = SECURE_FAIL_NONE + 1; f < SECURE_N_FAILS; f++)
          {
            g_snprintf (name, sizeof name, "secure.failures.%s.%s", suffix, secure_failure_name (f));
            sim_record_scalar (rec, "secure", name, (double) sum.failures[f], "1");
          }
        g_snprintf (name, sizeof name, "secure.records_sent.%s", suffix);
        sim_record_scalar (rec, "secure", name, (double) sum.records_sent, "1");
        g_snprintf (name, sizeof name, "secure.records_received.%s", suffix);
        sim_record_scalar (rec, "secure", name, (double) sum.records_received, "1");
        g_snprintf (name, sizeof name, "secure.tls_bytes_sent.%s", suffix);
        sim_record_scalar (rec, "secure", name, (double) sum.bytes_sent, "B");
      }
}
