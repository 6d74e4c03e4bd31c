/*
 * tests/test-models-codec-tshark.c - the codec's bytes as Wireshark sees
 * them: one message of every ASAP and ENRP type (plus larger resolution and
 * handle table responses with every RFC 5356 policy), encoded by the codec,
 * written with sim/pcap, judged by ../shared/tools/check-pcap (tshark) with
 * exact counts per type and zero malformed frames.
 */
#include "config.h"

#include "models/codec.h"
#include "sim/pcap.h"
#include "tests/codec-vectors.h"

#include <glib/gstdio.h>
#include <string.h>

/* tshark's names (value_string of asap/enrp.message_type). */
static const char *
tshark_name (CodecMsgType t)
{
  switch (t)
    {
    case CODEC_ASAP_REGISTRATION: return "ASAP Registration";
    case CODEC_ASAP_DEREGISTRATION: return "ASAP Deregistration";
    case CODEC_ASAP_REGISTRATION_RESPONSE: return "ASAP Registration Response";
    case CODEC_ASAP_DEREGISTRATION_RESPONSE: return "ASAP Deregistration Response";
    case CODEC_ASAP_HANDLE_RESOLUTION: return "ASAP Handle Resolution";
    case CODEC_ASAP_HANDLE_RESOLUTION_RESPONSE: return "ASAP Handle Resolution Response";
    case CODEC_ASAP_ENDPOINT_KEEP_ALIVE: return "ASAP Endpoint Keep-Alive";
    case CODEC_ASAP_ENDPOINT_KEEP_ALIVE_ACK: return "ASAP Endpoint Keep-Alive Acknowledgement";
    case CODEC_ASAP_ENDPOINT_UNREACHABLE: return "ASAP Endpoint Unreachable";
    case CODEC_ASAP_SERVER_ANNOUNCE: return "ASAP Server Announce";
    case CODEC_ASAP_COOKIE: return "ASAP Cookie";
    case CODEC_ASAP_COOKIE_ECHO: return "ASAP Cookie Echo";
    case CODEC_ASAP_BUSINESS_CARD: return "ASAP Business Card";
    case CODEC_ASAP_ERROR: return "ASAP Error";
    case CODEC_ENRP_PRESENCE: return "ENRP Presence";
    case CODEC_ENRP_HANDLE_TABLE_REQUEST: return "ENRP Handle Table Request";
    case CODEC_ENRP_HANDLE_TABLE_RESPONSE: return "ENRP Handle Table Response";
    case CODEC_ENRP_HANDLE_UPDATE: return "ENRP Handle Update";
    case CODEC_ENRP_LIST_REQUEST: return "ENRP List Request";
    case CODEC_ENRP_LIST_RESPONSE: return "ENRP List Response";
    case CODEC_ENRP_INIT_TAKEOVER: return "ENRP Init Takeover";
    case CODEC_ENRP_INIT_TAKEOVER_ACK: return "ENRP Init Takeover Ack";
    case CODEC_ENRP_TAKEOVER_SERVER: return "ENRP Takeover Server";
    case CODEC_ENRP_ERROR: return "ENRP Error";
    default: g_assert_not_reached ();
    }
}

typedef struct {
  SimPcap    *pcap;
  GHashTable *counts;   /* tshark name -> count */
  SimTime     now;
} Capture;

/* Encode m and write it: SCTP PE/PU <-> PR by protocol, or UDP for announces. */
static void
capture (Capture *c, const CodecMessage *m, gboolean udp)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();
  g_assert_cmpuint (codec_encode (m, b), >, 0);
  g_autoptr (GError) error = NULL;
  gboolean asap = CODEC_MSG_PROTOCOL (m->type) == CODEC_PROTO_ASAP;
  guint16 port = asap ? 3863 : 9901;
  c->now += SIM_MS;
  if (udp)
    g_assert_true (sim_pcap_write_udp (c->pcap, c->now, 0x0a000001, port, asap ? 0xef000032 : 0xef000033, port,
                                       b->data, b->len, &error));
  else
    g_assert_true (sim_pcap_write_sctp (c->pcap, c->now, asap ? 0x0a000101 : 0x0a000002, asap ? 49152 : 9901,
                                        0x0a000001, port, 0, asap ? 11 : 12, b->data, b->len, &error));
  g_assert_no_error (error);
  const char *name = tshark_name (m->type);
  g_hash_table_insert (c->counts, (gpointer) name,
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (c->counts, name)) + 1));
}

/* A resolution response with 9 PEs, one per RFC 5356 policy, TCP/UDP/SCTP user transports. */
static void
capture_policies (Capture *c)
{
  static const CodecAddress a4 = { 4, { 10, 0, 1, 9 } };
  static const CodecAddress a6 = { 6, { 0x20, 0x01, 0x0d, 0xb8, [15] = 9 } };
  static const guint32 types[] = {
    CODEC_POLICY_ROUND_ROBIN, CODEC_POLICY_WEIGHTED_ROUND_ROBIN, CODEC_POLICY_RANDOM,
    CODEC_POLICY_WEIGHTED_RANDOM, CODEC_POLICY_PRIORITY, CODEC_POLICY_LEAST_USED,
    CODEC_POLICY_LEAST_USED_DEGRADATION, CODEC_POLICY_PRIORITY_LEAST_USED,
    CODEC_POLICY_RANDOMIZED_LEAST_USED,
  };
  static const CodecParamType trs[] = { CODEC_PARAM_SCTP_TRANSPORT, CODEC_PARAM_TCP_TRANSPORT, CODEC_PARAM_UDP_TRANSPORT };
  CodecPoolElement pes[G_N_ELEMENTS (types)];
  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    {
      CodecPoolElement *pe = &pes[i];
      memset (pe, 0, sizeof *pe);
      pe->pe_id = 0x1000 + (guint32) i;
      pe->home_server_id = 0x11111111;
      pe->reg_life_ms = 30000;
      pe->user_transport = (CodecTransport) { .type = trs[i % 3], .port = (guint16) (7000 + i), .n_addrs = 1,
                                              .addrs = i % 2 ? &a6 : &a4 };
      pe->policy = (CodecPolicy) { .type = types[i], .weight = (guint32) i, .priority = (guint32) i,
                                   .load = 0x10000000u * (guint32) i, .load_degradation = 0x1000 };
      if (types[i] != CODEC_POLICY_WEIGHTED_ROUND_ROBIN && types[i] != CODEC_POLICY_WEIGHTED_RANDOM)
        pe->policy.weight = 0;
      pe->has_asap_transport = TRUE;
      pe->asap_transport = (CodecTransport) { .type = CODEC_PARAM_SCTP_TRANSPORT, .port = 49152, .n_addrs = 1, .addrs = &a4 };
    }
  CodecMessage m = { .type = CODEC_ASAP_HANDLE_RESOLUTION_RESPONSE };
  m.u.handle_resolution_response.handle = (CodecBytes) { (const guint8 *) "PolicyPool", 10 };
  m.u.handle_resolution_response.has_policy = TRUE;
  m.u.handle_resolution_response.policy.type = CODEC_POLICY_LEAST_USED_DEGRADATION;
  m.u.handle_resolution_response.n_pes = G_N_ELEMENTS (pes);
  m.u.handle_resolution_response.pes = pes;
  capture (c, &m, FALSE);

  /* The same PEs as a handle table of three pools (odd handle lengths: padding). */
  CodecTableEntry e[3] = {
    { { (const guint8 *) "A", 1 }, 3, pes },
    { { (const guint8 *) "Pool-B", 6 }, 3, pes + 3 },
    { { (const guint8 *) "Pool-C7", 7 }, 3, pes + 6 },
  };
  CodecMessage t = { .type = CODEC_ENRP_HANDLE_TABLE_RESPONSE, .flags = CODEC_FLAG_HANDLE_TABLE_RESPONSE_MORE,
                     .sender_id = 0x11111111, .receiver_id = 0x22222222 };
  t.u.handle_table_response = (CodecHandleTableResponse) { 3, e };
  capture (c, &t, FALSE);
}

static void
test_check_pcap (void)
{
  const char *shared = g_getenv ("POOLSIM_SHARED");
  if (shared == NULL)
    {
      g_test_skip ("POOLSIM_SHARED is not set (run through make check)");
      return;
    }
  g_autofree char *tshark = g_find_program_in_path ("tshark");
  if (tshark == NULL)
    {
      g_test_skip ("tshark not found: apt-get install tshark to run the Wireshark cross-check");
      return;
    }
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("poolsim-tshark-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "codec.pcap", NULL);

  Capture c = { 0 };
  c.pcap = sim_pcap_open (path, &error);
  g_assert_no_error (error);
  c.counts = g_hash_table_new (g_str_hash, g_str_equal);
  /* Every golden message, decoded and encoded again by the codec. */
  for (gsize i = 0; i < N_CODEC_VECTORS; i++)
    {
      g_auto (CodecMessage) m = { 0 };
      g_assert_true (codec_decode (codec_vectors[i].proto, codec_vectors[i].bytes, codec_vectors[i].len, &m, NULL));
      capture (&c, &m, strstr (codec_vectors[i].label, "(udp)") != NULL);
    }
  capture_policies (&c);
  g_assert_true (sim_pcap_close (c.pcap, &error));
  g_assert_no_error (error);

  g_autofree char *tool = g_build_filename (shared, "tools", "check-pcap", NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (argv, g_strdup (tool));
  g_autoptr (GList) names = g_list_sort (g_hash_table_get_keys (c.counts), (GCompareFunc) strcmp);
  guint total = 0;
  for (GList *l = names; l != NULL; l = l->next)
    {
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (c.counts, l->data));
      total += n;
      g_ptr_array_add (argv, g_strdup ("--expect"));
      g_ptr_array_add (argv, g_strdup_printf ("%s=%u", (const char *) l->data, n));
    }
  g_assert_cmpuint (g_list_length (names), ==, 24);
  g_assert_cmpuint (total, ==, 30);
  g_ptr_array_add (argv, g_strdup (path));
  g_ptr_array_add (argv, NULL);

  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("check-pcap failed:\n%s\n%s", out, err);
  g_assert_nonnull (strstr (out, "check-pcap: 30 frames, 16 asap, 14 enrp, 0 malformed"));

  g_hash_table_unref (c.counts);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/models/codec/tshark/check-pcap", test_check_pcap);
  return g_test_run ();
}
