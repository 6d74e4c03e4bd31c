/*
 * tests/test-models-codec-vectors.c - the golden vectors: each message of
 * ../shared/vectors/rserpool-vectors.pcap decodes to the expected field
 * values and re-encodes to the identical bytes (one test per message type),
 * and the pinned bytes are exactly those of the shared capture.
 */
#include "config.h"

#include "models/codec.h"
#include "tests/codec-vectors.h"

#include <string.h>

#define PR1_ID 0x11111111u
#define PR2_ID 0x22222222u
#define PE_ID  0x0000abcdu

/* Decode vector `label` (the n-th with that label, from 1), check it re-encodes exactly. */
static void
decode_vector (const char *label, int nth, CodecMessage *msg)
{
  for (gsize i = 0; i < N_CODEC_VECTORS; i++)
    {
      const CodecVector *v = &codec_vectors[i];
      if (strcmp (v->label, label) != 0 || --nth > 0)
        continue;
      CodecError err;
      gboolean ok = codec_decode (v->proto, v->bytes, v->len, msg, &err);
      if (!ok)
        g_error ("%s: %s at offset %" G_GSIZE_FORMAT, label, codec_error_code_name (err.code), err.offset);
      g_assert_cmpuint (msg->n_unrecognized, ==, 0);
      g_autoptr (GByteArray) out = g_byte_array_new ();
      g_assert_cmpuint (codec_encode (msg, out), ==, v->len);
      g_assert_cmpmem (out->data, out->len, v->bytes, v->len);
      return;
    }
  g_error ("no vector %s", label);
}

static void
assert_handle (const CodecBytes *h)
{
  g_assert_cmpmem (h->data, h->len, "EchoPool", 8);
}

static void
assert_ipv4 (const CodecAddress *a, guint8 b0, guint8 b1, guint8 b2, guint8 b3)
{
  const guint8 expect[16] = { b0, b1, b2, b3 };
  g_assert_cmpuint (a->family, ==, 4);
  g_assert_cmpmem (a->bytes, 16, expect, 16);
}

static void
assert_sctp (const CodecTransport *t, guint16 port, guint8 last_octet, guint8 third_octet)
{
  g_assert_cmpint (t->type, ==, CODEC_PARAM_SCTP_TRANSPORT);
  g_assert_cmpuint (t->port, ==, port);
  g_assert_cmpuint (t->use, ==, CODEC_TRANSPORT_USE_DATA_ONLY);
  g_assert_cmpuint (t->n_addrs, ==, 1);
  assert_ipv4 (&t->addrs[0], 10, 0, third_octet, last_octet);
}

/* The PE of the vectors: id 0xabcd, SCTP echo port 7 and ASAP port 49152 at 10.0.1.1, RR, 300 s. */
static void
assert_pe (const CodecPoolElement *pe, guint32 home)
{
  g_assert_cmpuint (pe->pe_id, ==, PE_ID);
  g_assert_cmpuint (pe->home_server_id, ==, home);
  g_assert_cmpint (pe->reg_life_ms, ==, 300000);
  assert_sctp (&pe->user_transport, 7, 1, 1);
  g_assert_cmpuint (pe->policy.type, ==, CODEC_POLICY_ROUND_ROBIN);
  g_assert_cmpuint (pe->policy.data.len, ==, 0);
  g_assert_true (pe->has_asap_transport);
  assert_sctp (&pe->asap_transport, 49152, 1, 1);
}

static void
assert_server_info (const CodecServerInfo *si, guint32 id, guint8 last_octet)
{
  g_assert_cmpuint (si->server_id, ==, id);
  assert_sctp (&si->transport, 9901, last_octet, 0);
}

static void
assert_pe_ref (const char *label, int nth, CodecMsgType type)
{
  g_auto (CodecMessage) m = { 0 };
  decode_vector (label, nth, &m);
  g_assert_cmpint (m.type, ==, type);
  g_assert_cmpuint (m.flags, ==, 0);
  assert_handle (&m.u.pe_ref.handle);
  g_assert_cmpuint (m.u.pe_ref.pe_id, ==, PE_ID);
  g_assert_null (m.u.pe_ref.error);
}

/* REGISTRATION: pool handle + PE with home 0 and the ASAP transport filled in. */
static void
test_registration (void)
{
  g_auto (CodecMessage) m = { 0 };
  decode_vector ("asap.registration", 1, &m);
  g_assert_cmpint (m.type, ==, CODEC_ASAP_REGISTRATION);
  g_assert_cmpuint (m.flags, ==, 0);
  assert_handle (&m.u.registration.handle);
  assert_pe (&m.u.registration.pe, 0);
}

static void
test_deregistration (void)
{
  assert_pe_ref ("asap.deregistration", 1, CODEC_ASAP_DEREGISTRATION);
}

/* Accepted registration response, then a rejected one (R) with Inconsistent Pooling Policy (LU, load 0). */
static void
test_registration_response (void)
{
  assert_pe_ref ("asap.registration_response", 1, CODEC_ASAP_REGISTRATION_RESPONSE);

  g_auto (CodecMessage) m = { 0 };
  decode_vector ("asap.registration_response", 2, &m);
  g_assert_cmpint (m.type, ==, CODEC_ASAP_REGISTRATION_RESPONSE);
  g_assert_cmpuint (m.flags, ==, CODEC_FLAG_REGISTRATION_RESPONSE_REJECT);
  assert_handle (&m.u.pe_ref.handle);
  g_assert_cmpuint (m.u.pe_ref.pe_id, ==, PE_ID);
  g_assert_nonnull (m.u.pe_ref.error);
  g_assert_cmpuint (m.u.pe_ref.error->n_causes, ==, 1);
  const CodecErrorCause *c = &m.u.pe_ref.error->causes[0];
  g_assert_cmpuint (c->code, ==, CODEC_CAUSE_INCONSISTENT_POLICY);
  g_assert_cmpuint (c->policy.type, ==, CODEC_POLICY_LEAST_USED);
  g_assert_cmpuint (c->policy.load, ==, 0);
  g_assert_cmpuint (c->info.len, ==, 0);
}

static void
test_deregistration_response (void)
{
  assert_pe_ref ("asap.deregistration_response", 1, CODEC_ASAP_DEREGISTRATION_RESPONSE);
}

static void
test_handle_resolution (void)
{
  g_auto (CodecMessage) m = { 0 };
  decode_vector ("asap.handle_resolution", 1, &m);
  g_assert_cmpint (m.type, ==, CODEC_ASAP_HANDLE_RESOLUTION);
  g_assert_cmpuint (m.flags, ==, 0);
  assert_handle (&m.u.handle_resolution.handle);
}

/* Response: handle, overall policy RR, one PE owned by PR1, no error. */
static void
test_handle_resolution_response (void)
{
  g_auto (CodecMessage) m = { 0 };
  decode_vector ("asap.handle_resolution_response", 1, &m);
  const CodecHandleResolutionResponse *r = &m.u.handle_resolution_response;
  g_assert_cmpint (m.type, ==, CODEC_ASAP_HANDLE_RESOLUTION_RESPONSE);
  g_assert_cmpuint (m.flags, ==, 0);
  assert_handle (&r->handle);
  g_assert_true (r->has_policy);
  g_assert_cmpuint (r->policy.type, ==, CODEC_POLICY_ROUND_ROBIN);
  g_assert_cmpuint (r->n_pes, ==, 1);
  assert_pe (&r->pes[0], PR1_ID);
  g_assert_null (r->error);
}

/* Keep-alive: server id PR1, handle, and the PE identifier extension. */
static void
test_endpoint_keep_alive (void)
{
  g_auto (CodecMessage) m = { 0 };
  decode_vector ("asap.endpoint_keep_alive", 1, &m);
  g_assert_cmpint (m.type, ==, CODEC_ASAP_ENDPOINT_KEEP_ALIVE);
  g_assert_cmpuint (m.flags & CODEC_FLAG_KEEP_ALIVE_HOME, ==, 0);
  g_assert_cmpuint (m.u.keep_alive.server_id, ==, PR1_ID);
  assert_handle (&m.u.keep_alive.handle);
  g_assert_true (m.u.keep_alive.has_pe_id);
  g_assert_cmpuint (m.u.keep_alive.pe_id, ==, PE_ID);
}

static void
test_endpoint_keep_alive_ack (void)
{
  assert_pe_ref ("asap.endpoint_keep_alive_ack", 1, CODEC_ASAP_ENDPOINT_KEEP_ALIVE_ACK);
}

static void
test_endpoint_unreachable (void)
{
  assert_pe_ref ("asap.endpoint_unreachable", 1, CODEC_ASAP_ENDPOINT_UNREACHABLE);
}

/* Server announce over UDP: server id PR1 and its SCTP transport 10.0.0.1:3863. */
static void
test_server_announce (void)
{
  g_auto (CodecMessage) m = { 0 };
  decode_vector ("asap.server_announce(udp)", 1, &m);
  g_assert_cmpint (m.type, ==, CODEC_ASAP_SERVER_ANNOUNCE);
  g_assert_cmpuint (m.u.server_announce.server_id, ==, PR1_ID);
  g_assert_cmpuint (m.u.server_announce.n_transports, ==, 1);
  assert_sctp (&m.u.server_announce.transports[0], 3863, 1, 0);
}

/* Cookie (i = 0) and cookie echo (i = 1) carry "state-0001" (10 bytes: Length 14, 2 padding bytes). */
static void
test_cookie (gconstpointer data)
{
  const char *labels[] = { "asap.cookie", "asap.cookie_echo" };
  const CodecMsgType types[] = { CODEC_ASAP_COOKIE, CODEC_ASAP_COOKIE_ECHO };
  int i = GPOINTER_TO_INT (data);
  g_auto (CodecMessage) m = { 0 };
  decode_vector (labels[i], 1, &m);
  g_assert_cmpint (m.type, ==, types[i]);
  g_assert_cmpmem (m.u.cookie.cookie.data, m.u.cookie.cookie.len, "state-0001", 10);
}

static void
test_business_card (void)
{
  g_auto (CodecMessage) m = { 0 };
  decode_vector ("asap.business_card", 1, &m);
  g_assert_cmpint (m.type, ==, CODEC_ASAP_BUSINESS_CARD);
  assert_handle (&m.u.business_card.handle);
  g_assert_cmpuint (m.u.business_card.n_pes, ==, 1);
  assert_pe (&m.u.business_card.pes[0], PR1_ID);
}

/* ASAP error: Unrecognized Message with the offending 4-byte message 7f 00 00 04. */
static void
test_asap_error (void)
{
  g_auto (CodecMessage) m = { 0 };
  decode_vector ("asap.error", 1, &m);
  g_assert_cmpint (m.type, ==, CODEC_ASAP_ERROR);
  g_assert_cmpuint (m.u.error.n_causes, ==, 1);
  g_assert_cmpuint (m.u.error.causes[0].code, ==, CODEC_CAUSE_UNRECOGNIZED_MESSAGE);
  g_assert_cmpmem (m.u.error.causes[0].info.data, m.u.error.causes[0].info.len, "\x7f\x00\x00\x04", 4);
}

/* Presence: group-cast over UDP, reply-required PR1->PR2, and PR2's answer. */
static void
test_presence (void)
{
  struct { const char *label; int nth; guint8 flags; guint32 from, to; guint16 csum; guint8 octet; } cases[] = {
    { "enrp.presence(udp)", 1, 0, PR1_ID, 0, 0xe683, 1 },
    { "enrp.presence", 1, CODEC_FLAG_PRESENCE_REPLY_REQUIRED, PR1_ID, PR2_ID, 0xe683, 1 },
    { "enrp.presence", 2, 0, PR2_ID, PR1_ID, 0xffff, 2 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto (CodecMessage) m = { 0 };
      decode_vector (cases[i].label, cases[i].nth, &m);
      g_assert_cmpint (m.type, ==, CODEC_ENRP_PRESENCE);
      g_assert_cmpuint (m.flags, ==, cases[i].flags);
      g_assert_cmpuint (m.sender_id, ==, cases[i].from);
      g_assert_cmpuint (m.receiver_id, ==, cases[i].to);
      g_assert_true (m.u.presence.has_checksum);
      g_assert_cmpuint (m.u.presence.checksum, ==, cases[i].csum);
      g_assert_true (m.u.presence.has_server_info);
      assert_server_info (&m.u.presence.server_info, cases[i].from, cases[i].octet);
    }
}

/* Handle table request with W (own children only), PR2 -> PR1. */
static void
test_handle_table_request (void)
{
  g_auto (CodecMessage) m = { 0 };
  decode_vector ("enrp.handle_table_request", 1, &m);
  g_assert_cmpint (m.type, ==, CODEC_ENRP_HANDLE_TABLE_REQUEST);
  g_assert_cmpuint (m.flags, ==, CODEC_FLAG_HANDLE_TABLE_REQUEST_OWN_CHILDREN_ONLY);
  g_assert_cmpuint (m.sender_id, ==, PR2_ID);
  g_assert_cmpuint (m.receiver_id, ==, PR1_ID);
}

static void
test_handle_table_response (void)
{
  g_auto (CodecMessage) m = { 0 };
  decode_vector ("enrp.handle_table_response", 1, &m);
  g_assert_cmpint (m.type, ==, CODEC_ENRP_HANDLE_TABLE_RESPONSE);
  g_assert_cmpuint (m.flags, ==, 0);
  g_assert_cmpuint (m.sender_id, ==, PR1_ID);
  g_assert_cmpuint (m.receiver_id, ==, PR2_ID);
  g_assert_cmpuint (m.u.handle_table_response.n_entries, ==, 1);
  const CodecTableEntry *e = &m.u.handle_table_response.entries[0];
  assert_handle (&e->handle);
  g_assert_cmpuint (e->n_pes, ==, 1);
  assert_pe (&e->pes[0], PR1_ID);
}

/* Handle updates: ADD_PE after the registration, DEL_PE after the deregistration. */
static void
test_handle_update (void)
{
  for (int nth = 1; nth <= 2; nth++)
    {
      g_auto (CodecMessage) m = { 0 };
      decode_vector ("enrp.handle_update", nth, &m);
      g_assert_cmpint (m.type, ==, CODEC_ENRP_HANDLE_UPDATE);
      g_assert_cmpuint (m.sender_id, ==, PR1_ID);
      g_assert_cmpuint (m.receiver_id, ==, PR2_ID);
      g_assert_cmpuint (m.u.handle_update.action, ==, nth == 1 ? CODEC_UPDATE_ADD_PE : CODEC_UPDATE_DEL_PE);
      g_assert_cmpuint (m.u.handle_update.reserved, ==, 0);
      assert_handle (&m.u.handle_update.handle);
      assert_pe (&m.u.handle_update.pe, PR1_ID);
    }
}

static void
test_list_request (void)
{
  g_auto (CodecMessage) m = { 0 };
  decode_vector ("enrp.list_request", 1, &m);
  g_assert_cmpint (m.type, ==, CODEC_ENRP_LIST_REQUEST);
  g_assert_cmpuint (m.sender_id, ==, PR2_ID);
  g_assert_cmpuint (m.receiver_id, ==, PR1_ID);
}

static void
test_list_response (void)
{
  g_auto (CodecMessage) m = { 0 };
  decode_vector ("enrp.list_response", 1, &m);
  g_assert_cmpint (m.type, ==, CODEC_ENRP_LIST_RESPONSE);
  g_assert_cmpuint (m.flags, ==, 0);
  g_assert_cmpuint (m.u.list_response.n_servers, ==, 2);
  assert_server_info (&m.u.list_response.servers[0], PR1_ID, 1);
  assert_server_info (&m.u.list_response.servers[1], PR2_ID, 2);
}

/* The takeover messages (i = 0 init, 1 ack, 2 server) name target 0x33333333. */
static void
test_takeover (gconstpointer data)
{
  struct { const char *label; CodecMsgType type; guint32 from, to; } cases[] = {
    { "enrp.init_takeover", CODEC_ENRP_INIT_TAKEOVER, PR2_ID, PR1_ID },
    { "enrp.init_takeover_ack", CODEC_ENRP_INIT_TAKEOVER_ACK, PR1_ID, PR2_ID },
    { "enrp.takeover_server", CODEC_ENRP_TAKEOVER_SERVER, PR2_ID, PR1_ID },
  };
  int i = GPOINTER_TO_INT (data);
  g_auto (CodecMessage) m = { 0 };
  decode_vector (cases[i].label, 1, &m);
  g_assert_cmpint (m.type, ==, cases[i].type);
  g_assert_cmpuint (m.sender_id, ==, cases[i].from);
  g_assert_cmpuint (m.receiver_id, ==, cases[i].to);
  g_assert_cmpuint (m.u.takeover.target_id, ==, 0x33333333u);
}

/* ENRP error: Unknown Pool Handle, a cause without info. */
static void
test_enrp_error (void)
{
  g_auto (CodecMessage) m = { 0 };
  decode_vector ("enrp.error", 1, &m);
  g_assert_cmpint (m.type, ==, CODEC_ENRP_ERROR);
  g_assert_cmpuint (m.u.error.n_causes, ==, 1);
  g_assert_cmpuint (m.u.error.causes[0].code, ==, CODEC_CAUSE_UNKNOWN_POOL_HANDLE);
  g_assert_cmpuint (m.u.error.causes[0].info.len, ==, 0);
}

static guint32
le32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

/* The pinned vectors are exactly the payloads of the shared capture, in order (26 frames, 28 messages). */
static void
test_pinned_match_capture (void)
{
  const char *shared = g_getenv ("POOLSIM_SHARED");
  if (shared == NULL)
    {
      g_test_skip ("POOLSIM_SHARED is not set (run through make check)");
      return;
    }
  g_autofree char *path = g_build_filename (shared, "vectors", "rserpool-vectors.pcap", NULL);
  g_autofree guint8 *file = NULL;
  gsize flen = 0;
  g_autoptr (GError) error = NULL;
  g_file_get_contents (path, (char **) &file, &flen, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (flen, >=, 24);
  g_assert_cmphex (le32 (file), ==, 0xa1b2c3d4u);
  g_assert_cmpuint (le32 (file + 20), ==, 101);

  gsize off = 24, next_vec = 0, frames = 0;
  while (off < flen)
    {
      g_assert_cmpuint (flen - off, >=, 16);
      gsize incl = le32 (file + off + 8);
      const guint8 *ip = file + off + 16;
      g_assert_cmpuint (flen - off - 16, >=, incl);
      gsize ihl = (ip[0] & 0x0f) * 4;
      const guint8 *l4 = ip + ihl, *end = ip + incl;
      if (ip[9] == 17)
        {
          g_assert_cmpuint (next_vec, <, N_CODEC_VECTORS);
          const CodecVector *v = &codec_vectors[next_vec++];
          g_assert_cmpmem (l4 + 8, end - (l4 + 8), v->bytes, v->len);
        }
      else
        {
          g_assert_cmpuint (ip[9], ==, 132);
          const guint8 *c = l4 + 12;
          while (c < end)
            {
              gsize clen = (gsize) (c[2] << 8 | c[3]);
              guint32 ppid = (guint32) c[12] << 24 | (guint32) c[13] << 16 | (guint32) c[14] << 8 | c[15];
              g_assert_cmpuint (next_vec, <, N_CODEC_VECTORS);
              const CodecVector *v = &codec_vectors[next_vec++];
              g_assert_cmpuint (ppid, ==, v->proto == CODEC_PROTO_ASAP ? 11 : 12);
              g_assert_cmpmem (c + 16, clen - 16, v->bytes, v->len);
              c += (clen + 3) & ~(gsize) 3;
            }
        }
      off += 16 + incl;
      frames++;
    }
  g_assert_cmpuint (frames, ==, 26);
  g_assert_cmpuint (next_vec, ==, N_CODEC_VECTORS);
  g_assert_cmpuint (N_CODEC_VECTORS, ==, 28);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/models/codec/vectors/match-capture", test_pinned_match_capture);
  g_test_add_func ("/models/codec/vectors/asap/registration", test_registration);
  g_test_add_func ("/models/codec/vectors/asap/deregistration", test_deregistration);
  g_test_add_func ("/models/codec/vectors/asap/registration-response", test_registration_response);
  g_test_add_func ("/models/codec/vectors/asap/deregistration-response", test_deregistration_response);
  g_test_add_func ("/models/codec/vectors/asap/handle-resolution", test_handle_resolution);
  g_test_add_func ("/models/codec/vectors/asap/handle-resolution-response", test_handle_resolution_response);
  g_test_add_func ("/models/codec/vectors/asap/endpoint-keep-alive", test_endpoint_keep_alive);
  g_test_add_func ("/models/codec/vectors/asap/endpoint-keep-alive-ack", test_endpoint_keep_alive_ack);
  g_test_add_func ("/models/codec/vectors/asap/endpoint-unreachable", test_endpoint_unreachable);
  g_test_add_func ("/models/codec/vectors/asap/server-announce", test_server_announce);
  g_test_add_data_func ("/models/codec/vectors/asap/cookie", GINT_TO_POINTER (0), test_cookie);
  g_test_add_data_func ("/models/codec/vectors/asap/cookie-echo", GINT_TO_POINTER (1), test_cookie);
  g_test_add_func ("/models/codec/vectors/asap/business-card", test_business_card);
  g_test_add_func ("/models/codec/vectors/asap/error", test_asap_error);
  g_test_add_func ("/models/codec/vectors/enrp/presence", test_presence);
  g_test_add_func ("/models/codec/vectors/enrp/handle-table-request", test_handle_table_request);
  g_test_add_func ("/models/codec/vectors/enrp/handle-table-response", test_handle_table_response);
  g_test_add_func ("/models/codec/vectors/enrp/handle-update", test_handle_update);
  g_test_add_func ("/models/codec/vectors/enrp/list-request", test_list_request);
  g_test_add_func ("/models/codec/vectors/enrp/list-response", test_list_response);
  g_test_add_data_func ("/models/codec/vectors/enrp/init-takeover", GINT_TO_POINTER (0), test_takeover);
  g_test_add_data_func ("/models/codec/vectors/enrp/init-takeover-ack", GINT_TO_POINTER (1), test_takeover);
  g_test_add_data_func ("/models/codec/vectors/enrp/takeover-server", GINT_TO_POINTER (2), test_takeover);
  g_test_add_func ("/models/codec/vectors/enrp/error", test_enrp_error);
  return g_test_run ();
}
