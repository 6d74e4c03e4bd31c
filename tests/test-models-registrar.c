/*
 * tests/test-models-registrar.c - the registrar (ENRP server) against
 * scripted pool elements and users built from the codec, and against other
 * real registrars: registration answers and every rejection cause, the
 * address binding, re-registration, deregistration, handle resolution by
 * policy, keep-alive timeout, MAX-BAD-PE-REPORT, lifetime expiry, server
 * announce periods, malformed input; ENRP update propagation, paged
 * handle-table transfer, takeover after a crash, audit and resynchronisation,
 * restart, determinism.
 *
 * Network: one LAN, 1 ms constant delay, 1 Gbit/s, no loss, CPU cost 0.
 * Registrars are 10.0.0.1.., endpoints follow.
 */
#include "config.h"

#include "models/endpoint.h"
#include "models/registrar-private.h"
#include "models/handlespace-private.h"
#include "sim/model.h"

#include <string.h>

#define MS SIM_MS
#define S  SIM_S

typedef struct {
  SimKernel *k;
  Net       *net;
  NetLan    *lan;
  GString   *trace;   /* every packet: time, addresses, kind (determinism) */
  GArray    *htr_flags; /* flags octets of the HANDLE_TABLE_RESPONSEs seen */
  GArray    *htr_pes;   /* PEs in each */
  SimTime    takeover_server_at; /* first TAKEOVER_SERVER sent */
} T;

static void
t_observe (const NetPacket *pkt, SimTime t, gpointer user_data)
{
  T *tt = user_data;
  char a[16], b[16];
  g_string_append_printf (tt->trace, "%" G_GINT64_FORMAT " %s>%s %s\n", t, net_addr_format (pkt->src, a, sizeof a),
                          net_addr_format (pkt->dst, b, sizeof b), net_kind_name (tt->net, pkt->kind));
  if (pkt->proto != NET_PROTO_SCTP || pkt->chunk != NET_CHUNK_DATA || pkt->ppid != RSP_PPID_ENRP)
    return;
  gsize len;
  const guint8 *p = g_bytes_get_data (pkt->payload, &len);
  g_auto (CodecMessage) m = { 0 };
  if (!codec_decode (CODEC_PROTO_ENRP, p, len, &m, NULL))
    return;
  if (m.type == CODEC_ENRP_HANDLE_TABLE_RESPONSE)
    {
      guint8 f = m.flags;
      guint n = 0;
      for (guint i = 0; i < m.u.handle_table_response.n_entries; i++)
        n += m.u.handle_table_response.entries[i].n_pes;
      g_array_append_val (tt->htr_flags, f);
      g_array_append_val (tt->htr_pes, n);
    }
  if (m.type == CODEC_ENRP_TAKEOVER_SERVER && tt->takeover_server_at < 0)
    tt->takeover_server_at = t;
}

static void
t_init (T *t, guint64 seed)
{
  NetConfig cfg;
  net_config_init (&cfg);
  cfg.lans = 1;
  cfg.lan.delay = (SimDist) { SIM_DIST_CONSTANT, SIM_UNIT_TIME, (double) MS, 0 };
  cfg.lan.bandwidth = 1000000000;
  cfg.lan.loss = 0;
  t->k = sim_kernel_new ();
  t->net = net_new (t->k, seed, &cfg);
  net_config_clear (&cfg);
  t->lan = net_lan (t->net, 0);
  t->trace = g_string_new ("");
  t->htr_flags = g_array_new (FALSE, FALSE, 1);
  t->htr_pes = g_array_new (FALSE, FALSE, sizeof (guint));
  t->takeover_server_at = -1;
  net_set_observer (t->net, NULL, t_observe, t);
}

static void
t_clear (T *t)
{
  net_free (t->net);
  sim_kernel_free (t->k);
  g_string_free (t->trace, TRUE);
  g_array_unref (t->htr_flags);
  g_array_unref (t->htr_pes);
}

static void
t_run (T *t, SimTime until)
{
  sim_kernel_run (t->k, until);
}

/* Defaults with exact timings: no keep-alive jitter. */
static RegistrarConfig
t_cfg (void)
{
  RegistrarConfig c;
  registrar_config_init (&c);
  c.keep_alive_jitter = 0;
  return c;
}

static Registrar *
t_registrar (T *t, guint index, guint32 id, const RegistrarConfig *cfg)
{
  g_autofree char *name = g_strdup_printf ("pr%u", index);
  NetHost *h = net_host_new (t->net, name, "registrar", 0);
  net_host_add_address (h, t->lan, net_addr (10, 0, 0, 1 + index));
  return registrar_new (t->net, h, id, cfg, 42);
}

static NetAddr
raddr (guint index)
{
  return net_addr (10, 0, 0, 1 + index);
}

/* ---- scripted endpoints (PE or PU) ----------------------------------------------------- */

typedef struct {
  T           *t;
  NetHost     *host;
  NetAssoc    *assoc;      /* to the registrar */
  NetListener *listener;   /* on the association's local port: registrars reach the PE there */
  NetAssoc    *in;         /* last association a registrar opened to it */
  GArray      *msgs;       /* CodecMessage received */
  GArray      *times;      /* SimTime */
  GPtrArray   *raw;        /* GBytes received */
  gboolean     answer_ka;
  gboolean     abort_on_ka;  /* abort the association a keep-alive came on (right after this event) */
  guint32      pe_id;
} Ep;

static void
ep_abort_later (SimKernel *k, gpointer ctx, gpointer data)
{
  NetAssoc **slot = data;
  if (*slot != NULL)
    net_assoc_abort (*slot);
  *slot = NULL;
}

static void
ep_receive (NetAssoc *a, const NetMessage *nm, gpointer user_data)
{
  Ep *ep = user_data;
  CodecMessage m = { 0 };
  if (!rsp_decode (nm, &m, NULL))
    return;
  SimTime now = sim_kernel_now (ep->t->k);
  g_ptr_array_add (ep->raw, g_bytes_ref (nm->data));
  g_array_append_val (ep->times, now);
  if (m.type == CODEC_ASAP_ENDPOINT_KEEP_ALIVE && ep->answer_ka)
    {
      CodecMessage ack = { 0 };
      ack.type = CODEC_ASAP_ENDPOINT_KEEP_ALIVE_ACK;
      ack.u.pe_ref.handle = m.u.keep_alive.handle;
      ack.u.pe_ref.pe_id = ep->pe_id;
      rsp_send (ep->t->net, a, 0, &ack);
    }
  if (m.type == CODEC_ASAP_ENDPOINT_KEEP_ALIVE && ep->abort_on_ka && a == ep->assoc)
    sim_kernel_schedule (ep->t->k, 0, ep_abort_later, ep, &ep->assoc);
  g_array_append_val (ep->msgs, m);
}

static void
ep_event (NetAssoc *a, NetAssocEvent ev, gpointer user_data)
{
  Ep *ep = user_data;
  if (ev == NET_ASSOC_UP)
    return;
  if (a == ep->assoc)
    ep->assoc = NULL;
  if (a == ep->in)
    ep->in = NULL;
}

static const NetAssocCallbacks ep_callbacks = { ep_event, ep_receive };

static gboolean
ep_accept (NetListener *l, NetAssoc *a, gpointer user_data)
{
  Ep *ep = user_data;
  ep->in = a;
  net_assoc_set_callbacks (a, &ep_callbacks, ep);
  return TRUE;
}

static Ep *
ep_new (T *t, const char *name, guint host_byte, guint32 pe_id)
{
  Ep *ep = g_new0 (Ep, 1);
  ep->t = t;
  ep->host = net_host_new (t->net, name, "pe", 0);
  net_host_add_address (ep->host, t->lan, net_addr (10, 0, 1, host_byte));
  ep->msgs = g_array_new (FALSE, TRUE, sizeof (CodecMessage));
  g_array_set_clear_func (ep->msgs, (GDestroyNotify) codec_message_clear);
  ep->times = g_array_new (FALSE, FALSE, sizeof (SimTime));
  ep->raw = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  ep->answer_ka = TRUE;
  ep->pe_id = pe_id;
  return ep;
}

static void
ep_connect (Ep *ep, NetAddr registrar)
{
  ep->assoc = net_assoc_connect (ep->host, registrar, RSP_ASAP_PORT, &ep_callbacks, ep);
  if (ep->listener != NULL)
    net_listener_close (ep->listener);
  ep->listener = net_listen (ep->host, net_assoc_local_port (ep->assoc), ep_accept, ep);
}

static void
ep_free (Ep *ep)
{
  g_array_unref (ep->msgs);
  g_array_unref (ep->times);
  g_ptr_array_unref (ep->raw);
  g_free (ep);
}

static NetAddr
ep_addr (const Ep *ep)
{
  return net_host_address (ep->host, 0);
}

static const CodecMessage *
ep_last (Ep *ep)
{
  g_assert_cmpuint (ep->msgs->len, >, 0);
  return &g_array_index (ep->msgs, CodecMessage, ep->msgs->len - 1);
}

static guint
ep_count (Ep *ep, CodecMsgType type)
{
  guint n = 0;
  for (guint i = 0; i < ep->msgs->len; i++)
    n += g_array_index (ep->msgs, CodecMessage, i).type == type;
  return n;
}

/* A REGISTRATION of one PE with an SCTP user transport on addr:5000. */
typedef struct {
  CodecMessage m;
  CodecAddress addr;
} RegMsg;

static void
address_set (CodecAddress *a, NetAddr addr)
{
  memset (a, 0, sizeof *a);
  a->family = 4;
  a->bytes[0] = (guint8) (addr >> 24);
  a->bytes[1] = (guint8) (addr >> 16);
  a->bytes[2] = (guint8) (addr >> 8);
  a->bytes[3] = (guint8) addr;
}

static void
reg_msg (RegMsg *rm, const char *handle, guint32 pe_id, NetAddr addr, guint32 policy, guint32 load)
{
  memset (rm, 0, sizeof *rm);
  address_set (&rm->addr, addr);
  rm->m.type = CODEC_ASAP_REGISTRATION;
  rm->m.u.registration.handle = (CodecBytes) { (const guint8 *) handle, strlen (handle) };
  CodecPoolElement *pe = &rm->m.u.registration.pe;
  pe->pe_id = pe_id;
  pe->reg_life_ms = 300000;
  pe->user_transport.type = CODEC_PARAM_SCTP_TRANSPORT;
  pe->user_transport.port = 5000;
  pe->user_transport.use = CODEC_TRANSPORT_USE_DATA_ONLY;
  pe->user_transport.n_addrs = 1;
  pe->user_transport.addrs = &rm->addr;
  pe->policy.type = policy;
  pe->policy.load = load;
}

static void
ep_register (Ep *ep, const char *handle, guint32 policy, guint32 load)
{
  RegMsg rm;
  reg_msg (&rm, handle, ep->pe_id, ep_addr (ep), policy, load);
  rsp_send (ep->t->net, ep->assoc, 0, &rm.m);
}

static void
ep_pe_ref (Ep *ep, CodecMsgType type, const char *handle, guint32 pe_id)
{
  CodecMessage m = { 0 };
  m.type = type;
  m.u.pe_ref.handle = (CodecBytes) { (const guint8 *) handle, strlen (handle) };
  m.u.pe_ref.pe_id = pe_id;
  rsp_send (ep->t->net, ep->assoc, 0, &m);
}

static void
ep_resolve (Ep *ep, const char *handle)
{
  CodecMessage m = { 0 };
  m.type = CODEC_ASAP_HANDLE_RESOLUTION;
  m.u.handle_resolution.handle = (CodecBytes) { (const guint8 *) handle, strlen (handle) };
  rsp_send (ep->t->net, ep->assoc, 0, &m);
}

#define HANDLE(s) ((const guint8 *) (s)), strlen (s)

/* A recorder that keeps scalars by name. */
typedef struct {
  SimRecorder rec;
  GHashTable *values;   /* name -> double */
} RecCapture;

static void
rec_scalar (SimRecorder *rec, const char *module, const char *name, double value, const char *unit)
{
  RecCapture *rc = (RecCapture *) rec;
  g_assert_cmpstr (module, ==, "registrar[0]");
  g_assert_false (g_hash_table_contains (rc->values, name));
  g_hash_table_insert (rc->values, g_strdup (name), g_memdup2 (&value, sizeof value));
}

static const SimRecorderClass rec_capture_class = { rec_scalar, NULL, NULL, NULL };

static double
rec_value (RecCapture *rc, const char *name)
{
  const double *v = g_hash_table_lookup (rc->values, name);
  g_assert_nonnull (v);
  return *v;
}

/* ---- ASAP -------------------------------------------------------------------------------- */

/* An accepted registration: R = 0, exact response bytes, the PE owned with the association's address. */
static void
test_registration_accepted (void)
{
  T t;
  t_init (&t, 1);
  RegistrarConfig cfg = t_cfg ();
  Registrar *r = t_registrar (&t, 0, 0x1001, &cfg);
  registrar_start (r);
  Ep *pe = ep_new (&t, "pe1", 1, 0xabcd);
  ep_connect (pe, raddr (0));
  ep_register (pe, "pool", HS_POLICY_RR, 0);
  t_run (&t, 1 * S);
  g_assert_cmpuint (ep_count (pe, CODEC_ASAP_REGISTRATION_RESPONSE), ==, 1);
  const CodecMessage *resp = ep_last (pe);
  g_assert_cmpuint (resp->type, ==, CODEC_ASAP_REGISTRATION_RESPONSE);
  /* Exact bytes: header 0x03, flags 0, length 20; Pool Handle "pool"; PE Identifier 0xabcd. */
  static const guint8 expect[] = { 0x03, 0x00, 0x00, 0x14, 0x00, 0x09, 0x00, 0x08, 'p', 'o', 'o', 'l',
                                   0x00, 0x0e, 0x00, 0x08, 0x00, 0x00, 0xab, 0xcd };
  GBytes *raw = g_ptr_array_index (pe->raw, pe->raw->len - 1);
  gsize len;
  const guint8 *b = g_bytes_get_data (raw, &len);
  g_assert_cmpmem (b, len, expect, sizeof expect);
  HsPoolElement *hpe = hs_handlespace_find (registrar_handlespace (r), HANDLE ("pool"), 0xabcd);
  g_assert_nonnull (hpe);
  g_assert_cmpuint (hs_pe_get_home_registrar (hpe), ==, 0x1001);
  HsTransport asap;
  hs_pe_get_asap_transport (hpe, &asap);
  g_assert_cmpuint (asap.n_addrs, ==, 1);
  g_assert_cmpuint (asap.port, ==, net_assoc_local_port (pe->assoc));
  g_assert_cmpuint (asap.addrs[0].bytes[2], ==, 1);
  g_assert_cmpuint (asap.addrs[0].bytes[3], ==, 1);
  g_assert_cmpuint (registrar_counters (r)->registrations_new, ==, 1);
  g_assert_cmpuint (hs_handlespace_owner_count (registrar_handlespace (r), 0x1001), ==, 1);
  /* What it records. */
  RecCapture rc = { { &rec_capture_class }, g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free) };
  registrar_record (r, &rc.rec, "registrar[0]");
  g_assert_cmpfloat (rec_value (&rc, "registrar.registrations"), ==, 1);
  g_assert_cmpfloat (rec_value (&rc, "registrar.rx.asap_registration"), ==, 1);
  g_assert_cmpfloat (rec_value (&rc, "registrar.tx.asap_registration_response"), ==, 1);
  g_assert_cmpfloat (rec_value (&rc, "registrar.decode_errors.truncated"), ==, 0);
  g_assert_cmpfloat (rec_value (&rc, "registrar.pool_elements"), ==, 1);
  g_assert_cmpfloat (rec_value (&rc, "registrar.owned"), ==, 1);
  g_hash_table_unref (rc.values);
  registrar_free (r);
  ep_free (pe);
  t_clear (&t);
}

static guint16
reject_cause (Ep *pe)
{
  const CodecMessage *m = ep_last (pe);
  g_assert_cmpuint (m->type, ==, CODEC_ASAP_REGISTRATION_RESPONSE);
  g_assert_cmpuint (m->flags, ==, CODEC_FLAG_REGISTRATION_RESPONSE_REJECT);
  g_assert_nonnull (m->u.pe_ref.error);
  g_assert_cmpuint (m->u.pe_ref.error->n_causes, ==, 1);
  return m->u.pe_ref.error->causes[0].code;
}

/* Each consistency check rejects with its RFC 5354 cause and changes nothing. */
static void
test_registration_rejects (void)
{
  T t;
  t_init (&t, 2);
  RegistrarConfig cfg = t_cfg ();
  cfg.max_pool_elements = 2;
  cfg.keep_alive_interval = 0;
  Registrar *r = t_registrar (&t, 0, 7, &cfg);
  registrar_start (r);
  Ep *pe = ep_new (&t, "pe1", 1, 1);
  ep_connect (pe, raddr (0));
  RegMsg rm;
  /* The first PE sets the pool: RR, SCTP, data only. */
  reg_msg (&rm, "pool", 1, ep_addr (pe), HS_POLICY_RR, 0);
  rsp_send (t.net, pe->assoc, 0, &rm.m);
  t_run (&t, 1 * S);
  g_assert_cmpuint (ep_last (pe)->flags, ==, 0);

  reg_msg (&rm, "pool", 2, ep_addr (pe), HS_POLICY_LU, 0);
  rsp_send (t.net, pe->assoc, 0, &rm.m);
  t_run (&t, 2 * S);
  g_assert_cmpuint (reject_cause (pe), ==, CODEC_CAUSE_INCONSISTENT_POLICY);
  g_assert_cmpuint (ep_last (pe)->u.pe_ref.error->causes[0].policy.type, ==, HS_POLICY_RR);

  reg_msg (&rm, "pool", 2, ep_addr (pe), HS_POLICY_RR, 0);
  rm.m.u.registration.pe.user_transport.type = CODEC_PARAM_TCP_TRANSPORT;
  rsp_send (t.net, pe->assoc, 0, &rm.m);
  t_run (&t, 3 * S);
  g_assert_cmpuint (reject_cause (pe), ==, CODEC_CAUSE_INCONSISTENT_TRANSPORT);
  g_assert_cmpuint (ep_last (pe)->u.pe_ref.error->causes[0].transport.type, ==, CODEC_PARAM_SCTP_TRANSPORT);

  reg_msg (&rm, "pool", 2, ep_addr (pe), HS_POLICY_RR, 0);
  rm.m.u.registration.pe.user_transport.use = CODEC_TRANSPORT_USE_DATA_CONTROL;
  rsp_send (t.net, pe->assoc, 0, &rm.m);
  t_run (&t, 4 * S);
  g_assert_cmpuint (reject_cause (pe), ==, CODEC_CAUSE_INCONSISTENT_DATA_CONTROL);

  reg_msg (&rm, "pool", 2, ep_addr (pe), HS_POLICY_RR, 0);
  rm.m.u.registration.pe.reg_life_ms = 0;
  rsp_send (t.net, pe->assoc, 0, &rm.m);
  t_run (&t, 5 * S);
  g_assert_cmpuint (reject_cause (pe), ==, CODEC_CAUSE_INVALID_VALUES);
  /* The info is the offending Pool Element TLV, as sent: type 0x000a first. */
  const CodecBytes *info = &ep_last (pe)->u.pe_ref.error->causes[0].info;
  g_assert_cmpuint (info->len, >, 16);
  g_assert_cmpuint (info->data[0], ==, 0x00);
  g_assert_cmpuint (info->data[1], ==, 0x0a);

  reg_msg (&rm, "other", 2, ep_addr (pe), HS_POLICY_RR, 0);
  rsp_send (t.net, pe->assoc, 0, &rm.m);
  reg_msg (&rm, "other", 3, ep_addr (pe), HS_POLICY_RR, 0);
  rsp_send (t.net, pe->assoc, 0, &rm.m);
  t_run (&t, 6 * S);
  g_assert_cmpuint (reject_cause (pe), ==, CODEC_CAUSE_LACK_OF_RESOURCES);

  g_assert_cmpuint (hs_handlespace_pool_element_count (registrar_handlespace (r)), ==, 2);
  g_assert_cmpuint (registrar_counters (r)->registrations_rejected, ==, 5);
  g_assert_cmpuint (registrar_counters (r)->tx[registrar_msg_index (CODEC_ENRP_HANDLE_UPDATE)], ==, 0);
  registrar_free (r);
  ep_free (pe);
  t_clear (&t);
}

/* A PE can only advertise itself: another host's address is refused (0xa), unless the check is off. */
static void
test_registration_address_binding (void)
{
  for (int binding = 1; binding >= 0; binding--)
    {
      T t;
      t_init (&t, 3);
      RegistrarConfig cfg = t_cfg ();
      cfg.address_binding = binding;
      Registrar *r = t_registrar (&t, 0, 7, &cfg);
      registrar_start (r);
      Ep *pe = ep_new (&t, "pe1", 1, 1);
      ep_connect (pe, raddr (0));
      RegMsg rm;
      reg_msg (&rm, "pool", 1, net_addr (10, 0, 1, 99), HS_POLICY_RR, 0);
      rsp_send (t.net, pe->assoc, 0, &rm.m);
      /* And a deregistration of a PE registered from elsewhere. */
      Ep *other = ep_new (&t, "pe2", 2, 2);
      ep_connect (other, raddr (0));
      ep_register (other, "pool", HS_POLICY_RR, 0);
      t_run (&t, 1 * S);
      ep_pe_ref (pe, CODEC_ASAP_DEREGISTRATION, "pool", 2);
      t_run (&t, 2 * S);
      HsHandlespace *hs = registrar_handlespace (r);
      if (binding)
        {
          g_assert_cmpuint (g_array_index (pe->msgs, CodecMessage, 0).flags, ==, CODEC_FLAG_REGISTRATION_RESPONSE_REJECT);
          g_assert_cmpuint (g_array_index (pe->msgs, CodecMessage, 0).u.pe_ref.error->causes[0].code, ==,
                            CODEC_CAUSE_REJECTED_SECURITY);
          g_assert_nonnull (ep_last (pe)->u.pe_ref.error);
          g_assert_cmpuint (ep_last (pe)->u.pe_ref.error->causes[0].code, ==, CODEC_CAUSE_REJECTED_SECURITY);
          g_assert_null (hs_handlespace_find (hs, HANDLE ("pool"), 1));
          g_assert_nonnull (hs_handlespace_find (hs, HANDLE ("pool"), 2));
        }
      else
        {
          g_assert_cmpuint (g_array_index (pe->msgs, CodecMessage, 0).flags, ==, 0);
          g_assert_null (ep_last (pe)->u.pe_ref.error);
          g_assert_nonnull (hs_handlespace_find (hs, HANDLE ("pool"), 1));
          g_assert_null (hs_handlespace_find (hs, HANDLE ("pool"), 2));
        }
      registrar_free (r);
      ep_free (pe);
      ep_free (other);
      t_clear (&t);
    }
}

/* A re-registration with the same ID updates the PE (load), keeps one entry. */
static void
test_reregistration (void)
{
  T t;
  t_init (&t, 4);
  RegistrarConfig cfg = t_cfg ();
  Registrar *r = t_registrar (&t, 0, 7, &cfg);
  registrar_start (r);
  Ep *pe = ep_new (&t, "pe1", 1, 5);
  ep_connect (pe, raddr (0));
  ep_register (pe, "pool", HS_POLICY_LU, 100);
  t_run (&t, 1 * S);
  ep_register (pe, "pool", HS_POLICY_LU, 7777);
  t_run (&t, 2 * S);
  HsPoolElement *hpe = hs_handlespace_find (registrar_handlespace (r), HANDLE ("pool"), 5);
  HsPolicy pol;
  hs_pe_get_policy (hpe, &pol);
  g_assert_cmpuint (pol.load, ==, 7777);
  g_assert_cmpuint (hs_handlespace_pool_element_count (registrar_handlespace (r)), ==, 1);
  g_assert_cmpuint (registrar_counters (r)->registrations, ==, 2);
  g_assert_cmpuint (registrar_counters (r)->registrations_new, ==, 1);
  registrar_free (r);
  ep_free (pe);
  t_clear (&t);
}

/* Deregistration removes the PE; an unknown PE is answered all the same. */
static void
test_deregistration (void)
{
  T t;
  t_init (&t, 5);
  RegistrarConfig cfg = t_cfg ();
  Registrar *r = t_registrar (&t, 0, 7, &cfg);
  registrar_start (r);
  Ep *pe = ep_new (&t, "pe1", 1, 5);
  ep_connect (pe, raddr (0));
  ep_register (pe, "pool", HS_POLICY_RR, 0);
  t_run (&t, 1 * S);
  ep_pe_ref (pe, CODEC_ASAP_DEREGISTRATION, "pool", 5);
  ep_pe_ref (pe, CODEC_ASAP_DEREGISTRATION, "pool", 6);
  t_run (&t, 2 * S);
  g_assert_cmpuint (ep_count (pe, CODEC_ASAP_DEREGISTRATION_RESPONSE), ==, 2);
  const CodecMessage *last = ep_last (pe);
  g_assert_cmpuint (last->u.pe_ref.pe_id, ==, 6);
  g_assert_null (last->u.pe_ref.error);
  g_assert_cmpuint (hs_handlespace_pool_count (registrar_handlespace (r)), ==, 0);
  g_assert_cmpuint (registrar_counters (r)->deregistrations, ==, 1);
  registrar_free (r);
  ep_free (pe);
  t_clear (&t);
}

typedef struct {
  GArray *ids;   /* guint32, all answers concatenated */
  GArray *ns;    /* guint per answer */
} Obs;

static void
observe (Registrar *r, const guint8 *handle, gsize len, const guint32 *ids, guint n, gpointer user_data)
{
  Obs *o = user_data;
  g_array_append_vals (o->ids, ids, n);
  g_array_append_val (o->ns, n);
}

/* Round robin: each answer starts one further, max 3 items; the observer sees the same IDs; unknown pool = 0x9. */
static void
test_resolution_round_robin (void)
{
  T t;
  t_init (&t, 6);
  RegistrarConfig cfg = t_cfg ();
  cfg.max_hr_items = 3;
  Registrar *r = t_registrar (&t, 0, 7, &cfg);
  Obs o = { g_array_new (FALSE, FALSE, sizeof (guint32)), g_array_new (FALSE, FALSE, sizeof (guint)) };
  registrar_set_resolution_observer (r, observe, &o);
  registrar_start (r);
  Ep *pes[5];
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("pe%u", i);
      pes[i] = ep_new (&t, name, 10 + i, 100 + i);
      ep_connect (pes[i], raddr (0));
      ep_register (pes[i], "pool", HS_POLICY_RR, 0);
      t_run (&t, (1 + i) * S);  /* joining order = ID order */
    }
  Ep *pu = ep_new (&t, "pu", 50, 0);
  ep_connect (pu, raddr (0));
  for (guint i = 0; i < 4; i++)
    ep_resolve (pu, "pool");
  ep_resolve (pu, "nope");
  t_run (&t, 10 * S);
  static const guint32 expect[4][3] = { { 100, 101, 102 }, { 101, 102, 103 }, { 102, 103, 104 }, { 103, 104, 100 } };
  g_assert_cmpuint (pu->msgs->len, ==, 5);
  for (guint a = 0; a < 4; a++)
    {
      const CodecMessage *m = &g_array_index (pu->msgs, CodecMessage, a);
      g_assert_cmpuint (m->type, ==, CODEC_ASAP_HANDLE_RESOLUTION_RESPONSE);
      g_assert_false (m->u.handle_resolution_response.has_policy);   /* RR: no overall policy */
      g_assert_cmpuint (m->u.handle_resolution_response.n_pes, ==, 3);
      for (guint i = 0; i < 3; i++)
        {
          g_assert_cmpuint (m->u.handle_resolution_response.pes[i].pe_id, ==, expect[a][i]);
          g_assert_cmpuint (g_array_index (o.ids, guint32, a * 3 + i), ==, expect[a][i]);
        }
    }
  const CodecMessage *unknown = &g_array_index (pu->msgs, CodecMessage, 4);
  g_assert_cmpuint (unknown->u.handle_resolution_response.n_pes, ==, 0);
  g_assert_cmpuint (unknown->u.handle_resolution_response.error->causes[0].code, ==, CODEC_CAUSE_UNKNOWN_POOL_HANDLE);
  g_assert_cmpuint (o.ns->len, ==, 5);
  g_assert_cmpuint (g_array_index (o.ns, guint, 4), ==, 0);
  g_assert_cmpuint (registrar_counters (r)->resolutions, ==, 4);
  g_assert_cmpuint (registrar_counters (r)->resolutions_unknown, ==, 1);
  g_array_unref (o.ids);
  g_array_unref (o.ns);
  registrar_free (r);
  for (guint i = 0; i < 5; i++)
    ep_free (pes[i]);
  ep_free (pu);
  t_clear (&t);
}

/* A non-RR pool's answer carries the overall policy; LU answers by load, lowest first. */
static void
test_resolution_least_used (void)
{
  T t;
  t_init (&t, 7);
  RegistrarConfig cfg = t_cfg ();
  cfg.max_hr_items = 2;
  Registrar *r = t_registrar (&t, 0, 7, &cfg);
  registrar_start (r);
  static const guint32 loads[3] = { 500, 100, 300 };
  Ep *pes[3];
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("pe%u", i);
      pes[i] = ep_new (&t, name, 10 + i, 1 + i);
      ep_connect (pes[i], raddr (0));
      ep_register (pes[i], "lu", HS_POLICY_LU, loads[i]);
    }
  Ep *pu = ep_new (&t, "pu", 50, 0);
  t_run (&t, 1 * S);
  ep_connect (pu, raddr (0));
  ep_resolve (pu, "lu");
  t_run (&t, 2 * S);
  const CodecHandleResolutionResponse *hr = &ep_last (pu)->u.handle_resolution_response;
  g_assert_true (hr->has_policy);
  g_assert_cmpuint (hr->policy.type, ==, HS_POLICY_LU);
  g_assert_cmpuint (hr->n_pes, ==, 2);
  g_assert_cmpuint (hr->pes[0].pe_id, ==, 2);
  g_assert_cmpuint (hr->pes[1].pe_id, ==, 3);
  g_assert_cmpuint (hr->pes[0].policy.load, ==, 100);
  g_assert_cmpuint (hr->pes[0].home_server_id, ==, 7);
  g_assert_true (hr->pes[0].has_asap_transport);
  registrar_free (r);
  for (guint i = 0; i < 3; i++)
    ep_free (pes[i]);
  ep_free (pu);
  t_clear (&t);
}

/* A PE that stops answering keep-alives is removed at registration + interval + timeout, to the ns. */
static void
test_keep_alive_timeout (void)
{
  T t;
  t_init (&t, 8);
  RegistrarConfig cfg = t_cfg ();
  cfg.keep_alive_interval = 5 * S;
  cfg.keep_alive_timeout = 2 * S;
  Registrar *r = t_registrar (&t, 0, 7, &cfg);
  registrar_start (r);
  Ep *good = ep_new (&t, "good", 1, 1);
  Ep *silent = ep_new (&t, "silent", 2, 2);
  silent->answer_ka = FALSE;
  Ep *aborter = ep_new (&t, "aborter", 3, 3);
  aborter->answer_ka = FALSE;
  aborter->abort_on_ka = TRUE;
  ep_connect (good, raddr (0));
  ep_connect (silent, raddr (0));
  ep_connect (aborter, raddr (0));
  ep_register (good, "pool", HS_POLICY_RR, 0);
  ep_register (silent, "pool", HS_POLICY_RR, 0);
  ep_register (aborter, "pool", HS_POLICY_RR, 0);
  t_run (&t, 1 * S);
  HsHandlespace *hs = registrar_handlespace (r);
  /* The association of a PE that a keep-alive is waiting on fails: removed at once (send failure). */
  SimTime ka3 = hs_pe_get_last_update (hs_handlespace_find (hs, HANDLE ("pool"), 3)) + 5 * S;
  t_run (&t, ka3 + 10 * MS);
  g_assert_null (hs_handlespace_find (hs, HANDLE ("pool"), 3));
  g_assert_cmpuint (registrar_counters (r)->send_failures, ==, 1);
  SimTime registered = hs_pe_get_last_update (hs_handlespace_find (hs, HANDLE ("pool"), 2));
  SimTime gone = registered + 5 * S + 2 * S;
  t_run (&t, gone - 1);
  g_assert_nonnull (hs_handlespace_find (hs, HANDLE ("pool"), 2));
  g_assert_cmpuint (ep_count (silent, CODEC_ASAP_ENDPOINT_KEEP_ALIVE), ==, 1);
  g_assert_cmpuint (ep_last (silent)->flags, ==, 0);   /* H only for a takeover */
  t_run (&t, gone);
  g_assert_null (hs_handlespace_find (hs, HANDLE ("pool"), 2));
  g_assert_cmpuint (registrar_counters (r)->keep_alive_timeouts, ==, 1);
  /* The answering PE stays, one keep-alive per 5 s. */
  t_run (&t, 60 * S);
  g_assert_nonnull (hs_handlespace_find (hs, HANDLE ("pool"), 1));
  g_assert_cmpuint (ep_count (good, CODEC_ASAP_ENDPOINT_KEEP_ALIVE), ==, 11);
  registrar_free (r);
  ep_free (good);
  ep_free (silent);
  ep_free (aborter);
  t_clear (&t);
}

/* MAX-BAD-PE-REPORT = 3: two reports keep the PE, the third removes it; probing removes a dead PE. */
static void
test_unreachable_reports (void)
{
  T t;
  t_init (&t, 9);
  RegistrarConfig cfg = t_cfg ();
  cfg.keep_alive_interval = 0;
  Registrar *r = t_registrar (&t, 0, 7, &cfg);
  registrar_start (r);
  Ep *pe = ep_new (&t, "pe", 1, 1);
  ep_connect (pe, raddr (0));
  ep_register (pe, "pool", HS_POLICY_RR, 0);
  Ep *pu = ep_new (&t, "pu", 50, 0);
  ep_connect (pu, raddr (0));
  t_run (&t, 1 * S);
  HsHandlespace *hs = registrar_handlespace (r);
  for (guint i = 1; i <= 3; i++)
    {
      ep_pe_ref (pu, CODEC_ASAP_ENDPOINT_UNREACHABLE, "pool", 1);
      t_run (&t, (1 + i) * S);
      if (i < 3)
        g_assert_cmpuint (hs_pe_get_bad_reports (hs_handlespace_find (hs, HANDLE ("pool"), 1)), ==, i);
    }
  g_assert_null (hs_handlespace_find (hs, HANDLE ("pool"), 1));
  g_assert_cmpuint (registrar_counters (r)->unreachable_removals, ==, 1);
  g_assert_cmpuint (ep_count (pe, CODEC_ASAP_ENDPOINT_KEEP_ALIVE), ==, 0);   /* counting only */
  registrar_free (r);
  ep_free (pe);
  ep_free (pu);
  t_clear (&t);

  /* With the probe: a live PE ACKs and stays; a silent one is removed a timeout after the report. */
  t_init (&t, 9);
  cfg.unreachable_probe = TRUE;
  cfg.keep_alive_timeout = 2 * S;
  r = t_registrar (&t, 0, 7, &cfg);
  registrar_start (r);
  Ep *live = ep_new (&t, "live", 1, 1);
  Ep *dead = ep_new (&t, "dead", 2, 2);
  dead->answer_ka = FALSE;
  ep_connect (live, raddr (0));
  ep_connect (dead, raddr (0));
  ep_register (live, "pool", HS_POLICY_RR, 0);
  ep_register (dead, "pool", HS_POLICY_RR, 0);
  pu = ep_new (&t, "pu", 50, 0);
  ep_connect (pu, raddr (0));
  t_run (&t, 1 * S);
  ep_pe_ref (pu, CODEC_ASAP_ENDPOINT_UNREACHABLE, "pool", 1);
  ep_pe_ref (pu, CODEC_ASAP_ENDPOINT_UNREACHABLE, "pool", 2);
  t_run (&t, 5 * S);
  hs = registrar_handlespace (r);
  g_assert_nonnull (hs_handlespace_find (hs, HANDLE ("pool"), 1));
  g_assert_null (hs_handlespace_find (hs, HANDLE ("pool"), 2));
  g_assert_cmpuint (ep_count (live, CODEC_ASAP_ENDPOINT_KEEP_ALIVE), ==, 1);
  g_assert_cmpuint (registrar_counters (r)->keep_alive_timeouts, ==, 1);
  registrar_free (r);
  ep_free (live);
  ep_free (dead);
  ep_free (pu);
  t_clear (&t);
}

/* A registration life of 2 s ends 2 s after the registration, to the ns, with a DEREGISTRATION_RESPONSE. */
static void
test_lifetime_expiry (void)
{
  T t;
  t_init (&t, 10);
  RegistrarConfig cfg = t_cfg ();
  cfg.keep_alive_interval = 0;
  Registrar *r = t_registrar (&t, 0, 7, &cfg);
  registrar_start (r);
  Ep *pe = ep_new (&t, "pe", 1, 1);
  ep_connect (pe, raddr (0));
  RegMsg rm;
  reg_msg (&rm, "pool", 1, ep_addr (pe), HS_POLICY_RR, 0);
  rm.m.u.registration.pe.reg_life_ms = 2000;
  rsp_send (t.net, pe->assoc, 0, &rm.m);
  t_run (&t, 100 * MS);
  HsHandlespace *hs = registrar_handlespace (r);
  SimTime end = hs_pe_get_last_update (hs_handlespace_find (hs, HANDLE ("pool"), 1)) + 2 * S;
  t_run (&t, end - 1);
  g_assert_nonnull (hs_handlespace_find (hs, HANDLE ("pool"), 1));
  t_run (&t, end);
  g_assert_null (hs_handlespace_find (hs, HANDLE ("pool"), 1));
  g_assert_cmpuint (registrar_counters (r)->expiries, ==, 1);
  t_run (&t, end + 1 * S);
  g_assert_cmpuint (ep_count (pe, CODEC_ASAP_DEREGISTRATION_RESPONSE), ==, 1);
  registrar_free (r);
  ep_free (pe);
  t_clear (&t);
}

typedef struct {
  SimKernel *k;
  GArray    *times;   /* SimTime */
  GArray    *ids;     /* guint32 */
} Sink;

static void
sink_recv (NetUdpSocket *s, const NetDatagram *d, gpointer user_data)
{
  Sink *sk = user_data;
  g_auto (CodecMessage) m = { 0 };
  g_assert_true (rsp_decode_datagram (d, CODEC_PROTO_ASAP, &m, NULL));
  g_assert_cmpuint (m.type, ==, CODEC_ASAP_SERVER_ANNOUNCE);
  SimTime now = sim_kernel_now (sk->k);
  g_array_append_val (sk->times, now);
  g_array_append_val (sk->ids, m.u.server_announce.server_id);
}

/* One registrar announces every T6; two hear each other and each announces every 2 x T6. */
static void
test_server_announce (void)
{
  T t;
  t_init (&t, 11);
  RegistrarConfig cfg = t_cfg ();
  Registrar *a = t_registrar (&t, 0, 1, &cfg);
  NetHost *h = net_host_new (t.net, "listener", "pu", 0);
  net_host_add_address (h, t.lan, net_addr (10, 0, 1, 1));
  Sink sk = { t.k, g_array_new (FALSE, FALSE, sizeof (SimTime)), g_array_new (FALSE, FALSE, sizeof (guint32)) };
  NetUdpSocket *s = net_udp_open (h, RSP_ASAP_PORT, sink_recv, &sk);
  NetAddr group;
  g_assert_true (net_addr_parse (RSP_ASAP_ANNOUNCE_GROUP_TEXT, &group));
  net_udp_join (s, group);
  registrar_start (a);
  t_run (&t, 10 * S - 1);
  g_assert_cmpuint (sk.times->len, ==, 10);
  for (guint i = 1; i < sk.times->len; i++)
    g_assert_cmpint (g_array_index (sk.times, SimTime, i) - g_array_index (sk.times, SimTime, i - 1), ==, 1 * S);
  /* A second registrar: each now hears one other, N = 1. */
  Registrar *b = t_registrar (&t, 1, 2, &cfg);
  registrar_start (b);
  t_run (&t, 40 * S);
  /* In the last 20 s each announces every 2 s. */
  guint na = 0, nb = 0;
  SimTime last_a = -1;
  for (guint i = 0; i < sk.times->len; i++)
    {
      SimTime ti = g_array_index (sk.times, SimTime, i);
      if (ti < 20 * S)
        continue;
      if (g_array_index (sk.ids, guint32, i) == 1)
        {
          if (last_a >= 0)
            g_assert_cmpint (ti - last_a, ==, 2 * S);
          last_a = ti;
          na++;
        }
      else
        nb++;
    }
  g_assert_cmpuint (na, ==, 10);
  g_assert_cmpuint (nb, ==, 10);
  net_udp_close (s);
  g_array_unref (sk.times);
  g_array_unref (sk.ids);
  registrar_free (a);
  registrar_free (b);
  t_clear (&t);
}

/* Malformed and unknown messages are counted and answered with an Operation Error; service goes on. */
static void
test_malformed (void)
{
  T t;
  t_init (&t, 12);
  RegistrarConfig cfg = t_cfg ();
  Registrar *r = t_registrar (&t, 0, 7, &cfg);
  registrar_start (r);
  Ep *pe = ep_new (&t, "pe", 1, 1);
  ep_connect (pe, raddr (0));
  /* A registration cut short: length says 8, one 4-byte parameter header that claims 8. */
  static const guint8 truncated[] = { 0x01, 0x00, 0x00, 0x08, 0x00, 0x09, 0x00, 0x08 };
  g_autoptr (GBytes) b1 = g_bytes_new_static (truncated, sizeof truncated);
  net_assoc_send (pe->assoc, 0, RSP_PPID_ASAP, 0, b1);
  /* An unknown message type 0x7f: top bits 01 = discard and report. */
  static const guint8 unknown[] = { 0x7f, 0x00, 0x00, 0x04 };
  g_autoptr (GBytes) b2 = g_bytes_new_static (unknown, sizeof unknown);
  net_assoc_send (pe->assoc, 0, RSP_PPID_ASAP, 0, b2);
  /* Unknown type 0x3f: 00 = discard silently. */
  static const guint8 silent[] = { 0x3f, 0x00, 0x00, 0x04 };
  g_autoptr (GBytes) b3 = g_bytes_new_static (silent, sizeof silent);
  net_assoc_send (pe->assoc, 0, RSP_PPID_ASAP, 0, b3);
  ep_register (pe, "pool", HS_POLICY_RR, 0);
  t_run (&t, 1 * S);
  g_assert_cmpuint (pe->msgs->len, ==, 3);
  const CodecMessage *e1 = &g_array_index (pe->msgs, CodecMessage, 0);
  g_assert_cmpuint (e1->type, ==, CODEC_ASAP_ERROR);
  g_assert_cmpuint (e1->u.error.causes[0].code, ==, CODEC_CAUSE_INVALID_VALUES);
  const CodecMessage *e2 = &g_array_index (pe->msgs, CodecMessage, 1);
  g_assert_cmpuint (e2->type, ==, CODEC_ASAP_ERROR);
  g_assert_cmpuint (e2->u.error.causes[0].code, ==, CODEC_CAUSE_UNRECOGNIZED_MESSAGE);
  g_assert_cmpmem (e2->u.error.causes[0].info.data, e2->u.error.causes[0].info.len, unknown, sizeof unknown);
  g_assert_cmpuint (g_array_index (pe->msgs, CodecMessage, 2).type, ==, CODEC_ASAP_REGISTRATION_RESPONSE);
  const RegistrarCounters *c = registrar_counters (r);
  guint64 failed = 0;
  for (guint i = 0; i < G_N_ELEMENTS (c->decode_errors); i++)
    failed += c->decode_errors[i];
  g_assert_cmpuint (failed, ==, 3);
  g_assert_cmpuint (c->decode_errors[CODEC_ERR_UNKNOWN_MESSAGE], ==, 2);
  g_assert_cmpuint (c->errors_sent, ==, 2);
  g_assert_cmpuint (c->registrations, ==, 1);
  registrar_free (r);
  ep_free (pe);
  t_clear (&t);
}

/* ---- ENRP -------------------------------------------------------------------------------------- */

/* Fast ENRP timers for the multi-registrar tests. */
static RegistrarConfig
enrp_cfg (void)
{
  RegistrarConfig c = t_cfg ();
  c.peer_heartbeat_cycle = 1 * S;
  c.max_time_last_heard = 3 * S;
  c.max_time_no_response = 1 * S;
  c.mentor_timeout = 1 * S;
  c.takeover_expiry = 2 * S;
  c.keep_alive_interval = 5 * S;
  c.keep_alive_timeout = 2 * S;
  c.announce = FALSE;
  return c;
}

static Registrar *
enrp_registrar (T *t, guint index, guint32 id, const RegistrarConfig *cfg, guint n_all)
{
  Registrar *r = t_registrar (t, index, id, cfg);
  NetAddr addrs[8];
  for (guint i = 0; i < n_all; i++)
    addrs[i] = raddr (i);
  registrar_set_peers (r, addrs, n_all);
  return r;
}

static void
dump_pe (HsPoolElement *pe, gpointer user_data)
{
  gsize len;
  const guint8 *h = hs_pool_get_handle (hs_pe_get_pool (pe), &len);
  g_ptr_array_add (user_data, g_strdup_printf ("%.*s/%u@%u ", (int) len, h, hs_pe_get_id (pe),
                                               hs_pe_get_home_registrar (pe)));
}

static gint
str_cmp (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Every PE as "handle/id@owner ", sorted (joining orders differ between registrars). */
static char *
hs_dump (Registrar *r)
{
  g_autoptr (GPtrArray) v = g_ptr_array_new_with_free_func (g_free);
  hs_handlespace_foreach (registrar_handlespace (r), dump_pe, v);
  g_ptr_array_sort (v, str_cmp);
  GString *s = g_string_new ("");
  for (guint i = 0; i < v->len; i++)
    g_string_append (s, g_ptr_array_index (v, i));
  return g_string_free (s, FALSE);
}

/* Registrations at three registrars reach all: equal handlespaces and checksums. */
static void
run_updates (guint64 seed, GString *trace_out)
{
  T t;
  t_init (&t, seed);
  RegistrarConfig cfg = enrp_cfg ();
  Registrar *r[3];
  for (guint i = 0; i < 3; i++)
    r[i] = enrp_registrar (&t, i, 100 * (i + 1), &cfg, 3);
  for (guint i = 0; i < 3; i++)
    registrar_start (r[i]);
  t_run (&t, 5 * S);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpint (registrar_state (r[i]), ==, REGISTRAR_SERVING);
      g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint32));
      registrar_peer_ids (r[i], ids);
      g_assert_cmpuint (ids->len, ==, 2);
    }
  Ep *pes[6];
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *name = g_strdup_printf ("pe%u", i);
      pes[i] = ep_new (&t, name, 10 + i, 1000 + i);
      ep_connect (pes[i], raddr (i % 3));
      ep_register (pes[i], i < 3 ? "a" : "b", HS_POLICY_RR, 0);
    }
  t_run (&t, 10 * S);
  ep_pe_ref (pes[0], CODEC_ASAP_DEREGISTRATION, "a", 1000);
  t_run (&t, 20 * S);
  g_autofree char *d0 = hs_dump (r[0]);
  g_autofree char *d1 = hs_dump (r[1]);
  g_autofree char *d2 = hs_dump (r[2]);
  g_assert_cmpstr (d0, ==, "a/1001@200 a/1002@300 b/1003@100 b/1004@200 b/1005@300 ");
  g_assert_cmpstr (d1, ==, d0);
  g_assert_cmpstr (d2, ==, d0);
  for (guint owner = 100; owner <= 300; owner += 100)
    for (guint i = 1; i < 3; i++)
      g_assert_cmpuint (hs_handlespace_owner_checksum (registrar_handlespace (r[i]), owner), ==,
                        hs_handlespace_owner_checksum (registrar_handlespace (r[0]), owner));
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpuint (registrar_counters (r[i])->resyncs, ==, 0);
      g_assert_true (hs_handlespace_sanity (registrar_handlespace (r[i])));
    }
  if (trace_out != NULL)
    g_string_append (trace_out, t.trace->str);
  for (guint i = 0; i < 3; i++)
    registrar_free (r[i]);
  for (guint i = 0; i < 6; i++)
    ep_free (pes[i]);
  t_clear (&t);
}

static void
test_enrp_updates (void)
{
  run_updates (13, NULL);
}

/* Same seed, same packets at the same times. */
static void
test_enrp_determinism (void)
{
  GString *a = g_string_new (""), *b = g_string_new ("");
  run_updates (14, a);
  run_updates (14, b);
  g_assert_cmpuint (a->len, >, 1000);
  g_assert_cmpstr (a->str, ==, b->str);
  g_string_free (a, TRUE);
  g_string_free (b, TRUE);
}

static void
add_direct (Registrar *r, const char *handle, guint32 id)
{
  HsRegistration reg;
  memset (&reg, 0, sizeof reg);
  reg.pe_id = id;
  reg.home_registrar = registrar_id (r);
  reg.reg_life_ms = -1;
  reg.policy.type = HS_POLICY_RR;
  reg.user.type = HS_TRANSPORT_SCTP;
  reg.user.port = 5000;
  reg.user.n_addrs = 1;
  reg.user.addrs[0].family = HS_AF_IPV4;
  reg.user.addrs[0].bytes[0] = 10;
  reg.user.addrs[0].bytes[1] = 9;
  reg.user.addrs[0].bytes[2] = (guint8) (id >> 8);
  reg.user.addrs[0].bytes[3] = (guint8) id;
  g_assert_cmpint (hs_handlespace_register (registrar_handlespace (r), (const guint8 *) handle, strlen (handle),
                                            &reg, HS_REGISTER_NONE, NULL, NULL), ==, HS_OK);
}

/* A registrar joining late gets 300 PEs from its mentor in 3 pages of 128, 128, 44 with M = 1, 1, 0. */
static void
test_enrp_paging (void)
{
  T t;
  t_init (&t, 15);
  RegistrarConfig cfg = enrp_cfg ();
  Registrar *r1 = enrp_registrar (&t, 0, 1, &cfg, 2);
  registrar_start (r1);
  t_run (&t, 3 * S);
  g_assert_cmpint (registrar_state (r1), ==, REGISTRAR_SERVING);
  for (guint i = 0; i < 300; i++)
    add_direct (r1, i % 2 ? "odd" : "even", 1 + i);
  Registrar *r2 = enrp_registrar (&t, 1, 2, &cfg, 2);
  registrar_start (r2);
  g_assert_cmpint (registrar_state (r2), ==, REGISTRAR_DISCOVERY);
  t_run (&t, 4 * S);
  g_assert_cmpint (registrar_state (r2), ==, REGISTRAR_SERVING);
  g_assert_cmpuint (t.htr_flags->len, ==, 3);
  g_assert_cmpuint (g_array_index (t.htr_flags, guint8, 0), ==, CODEC_FLAG_HANDLE_TABLE_RESPONSE_MORE);
  g_assert_cmpuint (g_array_index (t.htr_flags, guint8, 1), ==, CODEC_FLAG_HANDLE_TABLE_RESPONSE_MORE);
  g_assert_cmpuint (g_array_index (t.htr_flags, guint8, 2), ==, 0);
  g_assert_cmpuint (g_array_index (t.htr_pes, guint, 0), ==, 128);
  g_assert_cmpuint (g_array_index (t.htr_pes, guint, 1), ==, 128);
  g_assert_cmpuint (g_array_index (t.htr_pes, guint, 2), ==, 44);
  g_assert_cmpuint (registrar_counters (r2)->table_pes_imported, ==, 300);
  g_autofree char *d1 = hs_dump (r1);
  g_autofree char *d2 = hs_dump (r2);
  g_assert_cmpstr (d1, ==, d2);
  g_assert_cmpuint (hs_handlespace_owner_checksum (registrar_handlespace (r2), 1), ==,
                    hs_handlespace_owner_checksum (registrar_handlespace (r1), 1));
  /* The audit agrees afterwards: no resynchronisation. */
  t_run (&t, 10 * S);
  g_assert_cmpuint (registrar_counters (r2)->resyncs, ==, 0);
  registrar_free (r1);
  registrar_free (r2);
  t_clear (&t);
}

static guint
count_h_from (Ep *ep, guint32 server)
{
  guint n = 0;
  for (guint i = 0; i < ep->msgs->len; i++)
    {
      const CodecMessage *m = &g_array_index (ep->msgs, CodecMessage, i);
      n += m->type == CODEC_ASAP_ENDPOINT_KEEP_ALIVE && (m->flags & CODEC_FLAG_KEEP_ALIVE_HOME)
           && m->u.keep_alive.server_id == server;
    }
  return n;
}

/*
 * Registrars 10, 20, 30; 20 owns 4 PEs and crashes. Both survivors find it
 * dead; 30, the highest ID, takes over within MAX-TIME-LAST-HEARD +
 * MAX-TIME-NO-RESPONSE + a few message times after the crash, and sends each
 * PE an H-flag keep-alive. 20 restarts empty and gets the table again.
 */
static void
test_enrp_takeover (void)
{
  T t;
  t_init (&t, 16);
  RegistrarConfig cfg = enrp_cfg ();
  Registrar *r[3];
  for (guint i = 0; i < 3; i++)
    r[i] = enrp_registrar (&t, i, 10 * (i + 1), &cfg, 3);
  for (guint i = 0; i < 3; i++)
    registrar_start (r[i]);
  t_run (&t, 3 * S);
  Ep *pes[4];
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("pe%u", i);
      pes[i] = ep_new (&t, name, 10 + i, 1 + i);
      ep_connect (pes[i], raddr (1));
      ep_register (pes[i], "pool", HS_POLICY_RR, 0);
    }
  t_run (&t, 10 * S);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (hs_handlespace_owner_count (registrar_handlespace (r[i]), 20), ==, 4);
  SimTime crash = 10 * S + 500 * MS;
  t_run (&t, crash);
  net_host_crash (registrar_host (r[1]));
  g_assert_cmpint (registrar_state (r[1]), ==, REGISTRAR_DOWN);
  g_assert_null (registrar_handlespace (r[1]));
  t_run (&t, crash + 20 * S);
  /* The bound: last heard <= crash, + MAX-TIME-LAST-HEARD + MAX-TIME-NO-RESPONSE, + INIT_TAKEOVER/ACK round trip. */
  SimTime bound = crash + cfg.max_time_last_heard + cfg.max_time_no_response + 10 * MS;
  g_assert_cmpint (t.takeover_server_at, >, crash + cfg.max_time_last_heard + cfg.max_time_no_response - 1 * S);
  g_assert_cmpint (t.takeover_server_at, <=, bound);
  g_assert_cmpuint (registrar_counters (r[2])->takeovers, ==, 1);
  g_assert_cmpuint (registrar_counters (r[2])->pes_taken_over, ==, 4);
  g_assert_cmpuint (registrar_counters (r[0])->takeovers, ==, 0);
  g_assert_cmpuint (registrar_counters (r[0])->takeovers_aborted, ==, 1);  /* outbid by 30 */
  for (guint i = 0; i < 4; i++)
    g_assert_cmpuint (count_h_from (pes[i], 30), ==, 1);
  g_assert_cmpuint (hs_handlespace_owner_count (registrar_handlespace (r[0]), 30), ==, 4);
  g_assert_cmpuint (hs_handlespace_owner_count (registrar_handlespace (r[2]), 30), ==, 4);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  registrar_peer_ids (r[0], ids);
  g_assert_cmpuint (ids->len, ==, 1);
  g_assert_cmpuint (g_array_index (ids, guint32, 0), ==, 30);
  /* The PEs answer the keep-alives of their new home: they stay. */
  g_assert_cmpuint (hs_handlespace_pool_element_count (registrar_handlespace (r[2])), ==, 4);

  /* Restart: empty, mentor discovery, the whole table again. */
  net_host_restart (registrar_host (r[1]));
  g_assert_cmpint (registrar_state (r[1]), ==, REGISTRAR_DISCOVERY);
  t_run (&t, crash + 30 * S);
  g_assert_cmpint (registrar_state (r[1]), ==, REGISTRAR_SERVING);
  g_autofree char *d0 = hs_dump (r[0]);
  g_autofree char *d1 = hs_dump (r[1]);
  g_autofree char *d2 = hs_dump (r[2]);
  g_assert_cmpstr (d0, ==, "pool/1@30 pool/2@30 pool/3@30 pool/4@30 ");
  g_assert_cmpstr (d1, ==, d0);
  g_assert_cmpstr (d2, ==, d0);
  g_assert_cmpuint (registrar_counters (r[1])->crashes, ==, 1);
  g_assert_cmpuint (registrar_counters (r[1])->restarts, ==, 1);
  for (guint i = 0; i < 3; i++)
    registrar_free (r[i]);
  for (guint i = 0; i < 4; i++)
    ep_free (pes[i]);
  t_clear (&t);
}

/* A corrupted copy (one PE missing, one bogus) is repaired by the audit: mark, W = 1 request, purge. */
static void
test_enrp_audit_resync (void)
{
  T t;
  t_init (&t, 17);
  RegistrarConfig cfg = enrp_cfg ();
  Registrar *r1 = enrp_registrar (&t, 0, 1, &cfg, 2);
  Registrar *r2 = enrp_registrar (&t, 1, 2, &cfg, 2);
  registrar_start (r1);
  registrar_start (r2);
  t_run (&t, 3 * S);
  Ep *pes[3];
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("pe%u", i);
      pes[i] = ep_new (&t, name, 10 + i, 1 + i);
      ep_connect (pes[i], raddr (0));
      ep_register (pes[i], "pool", HS_POLICY_RR, 0);
    }
  t_run (&t, 5 * S);
  g_autofree char *good = hs_dump (r2);
  g_assert_cmpstr (good, ==, "pool/1@1 pool/2@1 pool/3@1 ");
  HsHandlespace *hs2 = registrar_handlespace (r2);
  hs_handlespace_remove (hs2, hs_handlespace_find (hs2, HANDLE ("pool"), 2));
  HsRegistration bogus;
  memset (&bogus, 0, sizeof bogus);
  bogus.pe_id = 77;
  bogus.home_registrar = 1;
  bogus.reg_life_ms = -1;
  bogus.policy.type = HS_POLICY_RR;
  bogus.user.type = HS_TRANSPORT_SCTP;
  bogus.user.n_addrs = 1;
  bogus.user.addrs[0].family = HS_AF_IPV4;
  g_assert_cmpint (hs_handlespace_register (hs2, HANDLE ("pool"), &bogus, HS_REGISTER_NONE, NULL, NULL), ==, HS_OK);
  t_run (&t, 8 * S);
  g_autofree char *repaired = hs_dump (r2);
  g_assert_cmpstr (repaired, ==, "pool/1@1 pool/2@1 pool/3@1 ");
  g_assert_cmpuint (registrar_counters (r2)->resyncs, ==, 1);
  g_assert_cmpuint (registrar_counters (r2)->resync_purged, ==, 1);
  g_assert_cmpuint (hs_handlespace_owner_checksum (hs2, 1), ==,
                    hs_handlespace_owner_checksum (registrar_handlespace (r1), 1));
  g_assert_true (hs_handlespace_sanity (hs2));
  registrar_free (r1);
  registrar_free (r2);
  for (guint i = 0; i < 3; i++)
    ep_free (pes[i]);
  t_clear (&t);
}

/* A garbled ENRP message is answered with an ENRP_ERROR and counted; the registrar keeps serving. */
static void
test_enrp_malformed (void)
{
  T t;
  t_init (&t, 18);
  RegistrarConfig cfg = enrp_cfg ();
  Registrar *r = t_registrar (&t, 0, 5, &cfg);
  registrar_start (r);
  Ep *peer = ep_new (&t, "rogue", 1, 0);
  peer->assoc = net_assoc_connect (peer->host, raddr (0), RSP_ENRP_PORT, &ep_callbacks, peer);
  /* A PRESENCE whose checksum parameter has a bad length. */
  static const guint8 bad[] = { 0x01, 0x00, 0x00, 0x14, 0, 0, 0, 9, 0, 0, 0, 0, 0x00, 0x0f, 0x00, 0x07, 0x12, 0x34, 0, 0 };
  g_autoptr (GBytes) b = g_bytes_new_static (bad, sizeof bad);
  net_assoc_send (peer->assoc, 0, RSP_PPID_ENRP, 0, b);
  t_run (&t, 1 * S);
  g_assert_cmpuint (peer->msgs->len, ==, 1);
  g_assert_cmpuint (ep_last (peer)->type, ==, CODEC_ENRP_ERROR);
  g_assert_cmpuint (ep_last (peer)->sender_id, ==, 5);
  g_assert_cmpuint (registrar_counters (r)->errors_sent, ==, 1);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  registrar_peer_ids (r, ids);
  g_assert_cmpuint (ids->len, ==, 0);
  g_assert_cmpint (registrar_state (r), ==, REGISTRAR_SERVING);
  registrar_free (r);
  ep_free (peer);
  t_clear (&t);
}

/* The key table parses to the RFC defaults. */
static void
test_config_defaults (void)
{
  RegistrarConfig c;
  registrar_config_init (&c);
  g_assert_cmpint (c.peer_heartbeat_cycle, ==, 30 * S);
  g_assert_cmpint (c.max_time_last_heard, ==, 61 * S);
  g_assert_cmpint (c.max_time_no_response, ==, 5 * S);
  g_assert_cmpint (c.announce_cycle, ==, 1 * S);
  g_assert_cmpuint (c.max_bad_pe_reports, ==, 3);
  g_assert_cmpuint (c.handle_table_max_pes, ==, 128);
  g_assert_cmpfloat (c.keep_alive_jitter, ==, 0.5);
  g_autoptr (GArray) a = g_array_new (FALSE, FALSE, sizeof (NetAddr));
  g_assert_true (registrar_parse_peers (" 10.0.0.1,10.0.0.2 ", a, NULL));
  g_assert_cmpuint (a->len, ==, 2);
  g_assert_cmpuint (g_array_index (a, NetAddr, 1), ==, net_addr (10, 0, 0, 2));
  g_autoptr (GError) error = NULL;
  g_assert_false (registrar_parse_peers ("10.0.0.1, pr2", a, &error));
  g_assert_error (error, SIM_MODEL_ERROR, SIM_MODEL_ERROR_INVALID);
}

/* ---- security (models/rsp-secure.h) ------------------------------------------------------------- */

/* The run's security from "key=value" pairs of secure.* and registrar keys (NULL-terminated). */
static RspSecurity *
sec_new (T *t, const char *const *sets)
{
  g_autoptr (SimParamTable) table = sim_param_table_new ();
  gsize n;
  const SimParamDecl *d = rsp_security_params (&n);
  sim_param_table_add (table, d, n);
  g_autoptr (SimParams) p = sim_params_new (table);
  endpoint_params_set_defaults (p, d, n);
  for (guint i = 0; sets[i] != NULL; i++)
    {
      g_auto (GStrv) kv = g_strsplit (sets[i], "=", 2);
      SimParamValue v;
      g_autoptr (GError) error = NULL;
      g_assert_true (sim_param_parse (sim_param_table_lookup (table, kv[0]), kv[1], &v, &error));
      sim_params_set (p, &v);
    }
  g_autoptr (GError) error = NULL;
  RspSecurity *sec = rsp_security_new (t->net, p, 42, &error);
  g_assert_no_error (error);
  g_assert_nonnull (sec);
  return sec;
}

/* An endpoint that speaks ASAP over TLS (port 3864) as role, under its host name. */
static void
ep_connect_secure (Ep *ep, RspSecurity *sec, NetAddr registrar, RspRole role)
{
  SecureClass cls = role == RSP_ROLE_PU ? SECURE_CLASS_PU_REGISTRAR : SECURE_CLASS_PE_REGISTRAR;
  ep->assoc = net_assoc_connect (ep->host, registrar, SECURE_ASAP_TLS_PORT, &ep_callbacks, ep);
  rsp_security_client (sec, cls, role, ep->host, ep->assoc);
}

/* RFC 5355 §3: with secure.pe-registrar = psk a registration over plain ASAP is refused (0xa) and counted. */
static void
test_secure_plain_registration_refused (void)
{
  T t;
  t_init (&t, 40);
  RegistrarConfig cfg = t_cfg ();
  Registrar *r = t_registrar (&t, 0, 7, &cfg);
  static const char *const sets[] = { "secure.pe-registrar=psk", "secure.pu-registrar=cert", NULL };
  RspSecurity *sec = sec_new (&t, sets);
  registrar_set_security (r, sec);
  registrar_start (r);
  Ep *pe = ep_new (&t, "pe1", 1, 1);
  ep_connect (pe, raddr (0));
  ep_register (pe, "pool", HS_POLICY_RR, 0);
  ep_pe_ref (pe, CODEC_ASAP_DEREGISTRATION, "pool", 1);
  ep_resolve (pe, "pool");
  t_run (&t, 1 * S);
  g_assert_cmpuint (pe->msgs->len, ==, 3);
  const CodecMessage *m = &g_array_index (pe->msgs, CodecMessage, 0);
  g_assert_cmpuint (m->flags, ==, CODEC_FLAG_REGISTRATION_RESPONSE_REJECT);
  g_assert_cmpuint (m->u.pe_ref.error->causes[0].code, ==, CODEC_CAUSE_REJECTED_SECURITY);
  m = &g_array_index (pe->msgs, CodecMessage, 1);
  g_assert_cmpuint (m->type, ==, CODEC_ASAP_DEREGISTRATION_RESPONSE);
  m = &g_array_index (pe->msgs, CodecMessage, 2);
  g_assert_cmpuint (m->type, ==, CODEC_ASAP_HANDLE_RESOLUTION_RESPONSE);
  g_assert_cmpuint (m->u.handle_resolution_response.error->causes[0].code, ==, CODEC_CAUSE_REJECTED_SECURITY);
  g_assert_null (hs_handlespace_find_pool (registrar_handlespace (r), HANDLE ("pool")));
  g_assert_cmpuint (registrar_counters (r)->registrations_refused_security, ==, 1);
  g_assert_cmpuint (registrar_counters (r)->resolutions_refused_security, ==, 1);
  registrar_free (r);
  rsp_security_free (sec);
  ep_free (pe);
  t_clear (&t);
}

/*
 * Over TLS-PSK the registrar knows who registered: the PE registers, its
 * identity is bound to the PE identifier, and another key (pe2) can neither
 * take the identifier over nor de-register it, address binding off.
 */
static void
test_secure_psk_identity_binding (void)
{
  T t;
  t_init (&t, 41);
  RegistrarConfig cfg = t_cfg ();
  cfg.address_binding = FALSE;
  Registrar *r = t_registrar (&t, 0, 7, &cfg);
  static const char *const sets[] = { "secure.pe-registrar=psk", NULL };
  RspSecurity *sec = sec_new (&t, sets);
  registrar_set_security (r, sec);
  registrar_start (r);
  Ep *pe = ep_new (&t, "pe1", 1, 0x111);
  Ep *other = ep_new (&t, "pe2", 2, 0x111);
  ep_connect_secure (pe, sec, raddr (0), RSP_ROLE_PE);
  ep_connect_secure (other, sec, raddr (0), RSP_ROLE_PE);
  ep_register (pe, "pool", HS_POLICY_RR, 0);
  t_run (&t, 1 * S);
  g_assert_true (net_assoc_is_up (pe->assoc) && net_assoc_is_up (other->assoc));
  g_assert_cmpuint (ep_last (pe)->flags, ==, 0);
  ep_register (other, "pool", HS_POLICY_RR, 0);
  t_run (&t, 2 * S);
  g_assert_cmpuint (reject_cause (other), ==, CODEC_CAUSE_REJECTED_SECURITY);
  ep_pe_ref (other, CODEC_ASAP_DEREGISTRATION, "pool", 0x111);
  t_run (&t, 3 * S);
  g_assert_cmpuint (ep_last (other)->u.pe_ref.error->causes[0].code, ==, CODEC_CAUSE_REJECTED_SECURITY);
  HsPoolElement *hpe = hs_handlespace_find (registrar_handlespace (r), HANDLE ("pool"), 0x111);
  g_assert_nonnull (hpe);
  HsTransport user;
  hs_pe_get_user_transport (hpe, &user);
  g_assert_cmpuint (user.addrs[0].bytes[3], ==, 1);   /* still pe1's address */
  g_assert_cmpuint (registrar_counters (r)->registrations_refused_binding, ==, 1);
  g_assert_cmpuint (registrar_counters (r)->deregistrations_refused, ==, 1);
  /* The PE itself may de-register. */
  ep_pe_ref (pe, CODEC_ASAP_DEREGISTRATION, "pool", 0x111);
  t_run (&t, 4 * S);
  g_assert_null (hs_handlespace_find (registrar_handlespace (r), HANDLE ("pool"), 0x111));
  registrar_free (r);
  rsp_security_free (sec);
  ep_free (pe);
  ep_free (other);
  t_clear (&t);
}

/* RFC 5355 §2.4: a PE key authorized for another pool is refused (0xa) unless pool authorization is off. */
static void
test_secure_pool_authorization (void)
{
  for (int authz = 1; authz >= 0; authz--)
    {
      T t;
      t_init (&t, 42);
      RegistrarConfig cfg = t_cfg ();
      cfg.pool_authorization = authz;
      Registrar *r = t_registrar (&t, 0, 7, &cfg);
      static const char *const sets[] = { "secure.pe-registrar=psk",
                                          "secure.keys=pr*:registrar pe1:pe:pool pe2:pe:other,spare", NULL };
      RspSecurity *sec = sec_new (&t, sets);
      registrar_set_security (r, sec);
      registrar_start (r);
      Ep *pe1 = ep_new (&t, "pe1", 1, 1);
      Ep *pe2 = ep_new (&t, "pe2", 2, 2);
      ep_connect_secure (pe1, sec, raddr (0), RSP_ROLE_PE);
      ep_connect_secure (pe2, sec, raddr (0), RSP_ROLE_PE);
      ep_register (pe1, "pool", HS_POLICY_RR, 0);
      ep_register (pe2, "pool", HS_POLICY_RR, 0);
      t_run (&t, 1 * S);
      g_assert_cmpuint (ep_last (pe1)->flags, ==, 0);
      HsHandlespace *hs = registrar_handlespace (r);
      g_assert_nonnull (hs_handlespace_find (hs, HANDLE ("pool"), 1));
      if (authz)
        {
          g_assert_cmpuint (reject_cause (pe2), ==, CODEC_CAUSE_REJECTED_SECURITY);
          g_assert_null (hs_handlespace_find (hs, HANDLE ("pool"), 2));
          g_assert_cmpuint (registrar_counters (r)->registrations_refused_pool, ==, 1);
        }
      else
        {
          g_assert_cmpuint (ep_last (pe2)->flags, ==, 0);
          g_assert_nonnull (hs_handlespace_find (hs, HANDLE ("pool"), 2));
          g_assert_cmpuint (registrar_counters (r)->registrations_refused_pool, ==, 0);
        }
      registrar_free (r);
      rsp_security_free (sec);
      ep_free (pe1);
      ep_free (pe2);
      t_clear (&t);
    }
}

/* A host without a key fails the handshake (counted as psk at the registrar) and registers nothing. */
static void
test_secure_no_key (void)
{
  T t;
  t_init (&t, 43);
  RegistrarConfig cfg = t_cfg ();
  Registrar *r = t_registrar (&t, 0, 7, &cfg);
  static const char *const sets[] = { "secure.pe-registrar=psk", NULL };
  RspSecurity *sec = sec_new (&t, sets);
  registrar_set_security (r, sec);
  registrar_start (r);
  Ep *mallory = ep_new (&t, "mallory", 9, 9);
  ep_connect_secure (mallory, sec, raddr (0), RSP_ROLE_PE);
  ep_register (mallory, "pool", HS_POLICY_RR, 0);
  t_run (&t, 5 * S);
  g_assert_null (mallory->assoc);
  g_assert_cmpuint (mallory->msgs->len, ==, 0);
  g_assert_null (hs_handlespace_find_pool (registrar_handlespace (r), HANDLE ("pool")));
  g_assert_cmpuint (registrar_counters (r)->registrations, ==, 0);
  RecCapture rc = { { &rec_capture_class }, g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free) };
  registrar_record (r, &rc.rec, "registrar[0]");
  g_assert_cmpfloat (rec_value (&rc, "registrar.rx.asap_registration"), ==, 0);
  g_hash_table_unref (rc.values);
  registrar_free (r);
  rsp_security_free (sec);
  ep_free (mallory);
  t_clear (&t);
}

/*
 * With secure.pe-registrar = cert, PEs authenticate with their certificate:
 * pe1 (a PE by secure.keys) registers and its certificate's identity is
 * bound to the PE identifier; pe2, also a PE, cannot take that identifier
 * over; mallory holds no PE role, so no certificate: its TLS handshake
 * completes anonymously (PUs are anonymous on this port) and its
 * registration is refused with 0xa.
 */
static void
test_secure_cert_mutual (void)
{
  T t;
  t_init (&t, 44);
  RegistrarConfig cfg = t_cfg ();
  cfg.address_binding = FALSE;
  Registrar *r = t_registrar (&t, 0, 7, &cfg);
  static const char *const sets[] = { "secure.pe-registrar=cert", NULL };
  RspSecurity *sec = sec_new (&t, sets);
  registrar_set_security (r, sec);
  registrar_start (r);
  Ep *pe1 = ep_new (&t, "pe1", 1, 0x111);
  Ep *pe2 = ep_new (&t, "pe2", 2, 0x111);
  Ep *mallory = ep_new (&t, "mallory", 9, 9);
  ep_connect_secure (pe1, sec, raddr (0), RSP_ROLE_PE);
  ep_connect_secure (pe2, sec, raddr (0), RSP_ROLE_PE);
  ep_connect_secure (mallory, sec, raddr (0), RSP_ROLE_PE);
  ep_register (pe1, "pool", HS_POLICY_RR, 0);
  ep_register (mallory, "pool", HS_POLICY_RR, 0);
  t_run (&t, 1 * S);
  g_assert_true (net_assoc_is_up (pe1->assoc) && net_assoc_is_up (pe2->assoc) && net_assoc_is_up (mallory->assoc));
  g_assert_cmpuint (ep_last (pe1)->flags, ==, 0);
  g_assert_cmpuint (reject_cause (mallory), ==, CODEC_CAUSE_REJECTED_SECURITY);
  g_assert_cmpuint (registrar_counters (r)->registrations_refused_security, ==, 1);
  ep_register (pe2, "pool", HS_POLICY_RR, 0);
  t_run (&t, 2 * S);
  g_assert_cmpuint (reject_cause (pe2), ==, CODEC_CAUSE_REJECTED_SECURITY);
  g_assert_cmpuint (registrar_counters (r)->registrations_refused_binding, ==, 1);
  HsHandlespace *hs = registrar_handlespace (r);
  g_assert_nonnull (hs_handlespace_find (hs, HANDLE ("pool"), 0x111));
  g_assert_null (hs_handlespace_find (hs, HANDLE ("pool"), 9));
  g_assert_cmpuint (registrar_counters (r)->registrations, ==, 1);   /* accepted: pe1 only */
  registrar_free (r);
  rsp_security_free (sec);
  ep_free (pe1);
  ep_free (pe2);
  ep_free (mallory);
  t_clear (&t);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/models/registrar/config/defaults", test_config_defaults);
  g_test_add_func ("/models/registrar/registration/accepted", test_registration_accepted);
  g_test_add_func ("/models/registrar/registration/rejects", test_registration_rejects);
  g_test_add_func ("/models/registrar/registration/address-binding", test_registration_address_binding);
  g_test_add_func ("/models/registrar/registration/update", test_reregistration);
  g_test_add_func ("/models/registrar/deregistration", test_deregistration);
  g_test_add_func ("/models/registrar/resolution/round-robin", test_resolution_round_robin);
  g_test_add_func ("/models/registrar/resolution/least-used", test_resolution_least_used);
  g_test_add_func ("/models/registrar/keep-alive/timeout", test_keep_alive_timeout);
  g_test_add_func ("/models/registrar/unreachable/max-bad-pe-report", test_unreachable_reports);
  g_test_add_func ("/models/registrar/expiry", test_lifetime_expiry);
  g_test_add_func ("/models/registrar/announce/period", test_server_announce);
  g_test_add_func ("/models/registrar/malformed/asap", test_malformed);
  g_test_add_func ("/models/registrar/malformed/enrp", test_enrp_malformed);
  g_test_add_func ("/models/registrar/enrp/updates", test_enrp_updates);
  g_test_add_func ("/models/registrar/enrp/paging", test_enrp_paging);
  g_test_add_func ("/models/registrar/enrp/takeover", test_enrp_takeover);
  g_test_add_func ("/models/registrar/enrp/audit-resync", test_enrp_audit_resync);
  g_test_add_func ("/models/registrar/enrp/determinism", test_enrp_determinism);
  g_test_add_func ("/models/registrar/secure/plain-refused", test_secure_plain_registration_refused);
  g_test_add_func ("/models/registrar/secure/psk-identity-binding", test_secure_psk_identity_binding);
  g_test_add_func ("/models/registrar/secure/pool-authorization", test_secure_pool_authorization);
  g_test_add_func ("/models/registrar/secure/no-key", test_secure_no_key);
  g_test_add_func ("/models/registrar/secure/cert-mutual", test_secure_cert_mutual);
  return g_test_run ();
}
