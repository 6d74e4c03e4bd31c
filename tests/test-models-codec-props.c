/*
 * tests/test-models-codec-props.c - properties of the codec over many inputs:
 * seeded random valid messages of every type round-trip exactly; every
 * truncation of a golden message is an error; every single-bit flip of a
 * golden (or random) message is an error or a different valid message that
 * re-encodes to exactly the flipped bytes. Inputs are copied into exactly
 * sized heap blocks, so the sanitizer build catches any out-of-bounds read.
 */
#include "config.h"

#include "models/codec.h"
#include "sim/rng.h"
#include "tests/codec-vectors.h"

#include <string.h>

#define ROUND_TRIP_CASES 100000

/* Memory for one random message: freed together. */
typedef struct {
  SimRng     rng;
  GPtrArray *blocks;
} Gen;

static gpointer
gen_alloc (Gen *g, gsize n)
{
  gpointer p = g_malloc0 (MAX (n, 1));
  g_ptr_array_add (g->blocks, p);
  return p;
}

static guint32
r32 (Gen *g)
{
  return (guint32) sim_rng_next (&g->rng);
}

static guint
below (Gen *g, guint n)
{
  return (guint) sim_rng_below (&g->rng, n);
}

static CodecBytes
gen_bytes (Gen *g, gsize min, gsize max)
{
  CodecBytes b = { NULL, min + below (g, (guint) (max - min + 1)) };
  if (b.len > 0)
    {
      guint8 *p = gen_alloc (g, b.len);
      for (gsize i = 0; i < b.len; i++)
        p[i] = (guint8) r32 (g);
      b.data = p;
    }
  return b;
}

static void
gen_address (Gen *g, CodecAddress *a)
{
  memset (a, 0, sizeof *a);
  a->family = below (g, 2) ? 4 : 6;
  for (int i = 0; i < (a->family == 4 ? 4 : 16); i++)
    a->bytes[i] = (guint8) r32 (g);
}

static void
gen_transport (Gen *g, CodecTransport *t, gboolean sctp_only, gboolean allow_opaque)
{
  static const CodecParamType types[] = {
    CODEC_PARAM_SCTP_TRANSPORT, CODEC_PARAM_DCCP_TRANSPORT, CODEC_PARAM_TCP_TRANSPORT,
    CODEC_PARAM_UDP_TRANSPORT, CODEC_PARAM_UDP_LITE_TRANSPORT, CODEC_PARAM_OPAQUE_TRANSPORT,
  };
  memset (t, 0, sizeof *t);
  t->type = sctp_only ? CODEC_PARAM_SCTP_TRANSPORT : types[below (g, allow_opaque ? 6 : 5)];
  if (t->type == CODEC_PARAM_OPAQUE_TRANSPORT)
    {
      t->opaque = gen_bytes (g, 0, 13);
      return;
    }
  t->port = (guint16) r32 (g);
  t->use = t->type == CODEC_PARAM_SCTP_TRANSPORT ? (guint16) below (g, 2) : 0;
  t->service_code = t->type == CODEC_PARAM_DCCP_TRANSPORT ? r32 (g) : 0;
  t->n_addrs = t->type == CODEC_PARAM_SCTP_TRANSPORT ? 1 + below (g, 3) : 1;
  CodecAddress *a = gen_alloc (g, t->n_addrs * sizeof *a);
  for (guint i = 0; i < t->n_addrs; i++)
    gen_address (g, &a[i]);
  t->addrs = a;
}

static void
gen_policy (Gen *g, CodecPolicy *p)
{
  static const guint32 known[] = {
    CODEC_POLICY_ROUND_ROBIN, CODEC_POLICY_WEIGHTED_ROUND_ROBIN, CODEC_POLICY_RANDOM,
    CODEC_POLICY_WEIGHTED_RANDOM, CODEC_POLICY_PRIORITY, CODEC_POLICY_LEAST_USED,
    CODEC_POLICY_LEAST_USED_DEGRADATION, CODEC_POLICY_PRIORITY_LEAST_USED,
    CODEC_POLICY_RANDOMIZED_LEAST_USED,
  };
  memset (p, 0, sizeof *p);
  guint k = below (g, G_N_ELEMENTS (known) + 1);
  if (k == G_N_ELEMENTS (known))
    {
      /* A private policy (X bit set): opaque data of any length. */
      p->type = 0x80000000u | r32 (g);
      p->data = gen_bytes (g, 0, 11);
      return;
    }
  p->type = known[k];
  switch (p->type)
    {
    case CODEC_POLICY_WEIGHTED_ROUND_ROBIN:
    case CODEC_POLICY_WEIGHTED_RANDOM:
      p->weight = r32 (g);
      break;
    case CODEC_POLICY_PRIORITY:
      p->priority = r32 (g);
      break;
    case CODEC_POLICY_LEAST_USED:
    case CODEC_POLICY_RANDOMIZED_LEAST_USED:
      p->load = r32 (g);
      break;
    case CODEC_POLICY_LEAST_USED_DEGRADATION:
    case CODEC_POLICY_PRIORITY_LEAST_USED:
      p->load = r32 (g);
      p->load_degradation = r32 (g);
      break;
    default:
      break;
    }
}

static void
gen_pe (Gen *g, CodecPoolElement *pe)
{
  memset (pe, 0, sizeof *pe);
  pe->pe_id = r32 (g);
  pe->home_server_id = below (g, 3) ? r32 (g) : 0;
  pe->reg_life_ms = below (g, 4) ? (gint32) r32 (g) : -1;
  gen_transport (g, &pe->user_transport, FALSE, TRUE);
  gen_policy (g, &pe->policy);
  pe->has_asap_transport = below (g, 2);
  if (pe->has_asap_transport)
    gen_transport (g, &pe->asap_transport, TRUE, FALSE);
}

static const CodecPoolElement *
gen_pes (Gen *g, guint n)
{
  CodecPoolElement *pes = gen_alloc (g, n * sizeof *pes);
  for (guint i = 0; i < n; i++)
    gen_pe (g, &pes[i]);
  return pes;
}

static void
gen_server_info (Gen *g, CodecServerInfo *si)
{
  si->server_id = r32 (g);
  gen_transport (g, &si->transport, TRUE, FALSE);
}

static void
gen_operation_error (Gen *g, CodecOperationError *oe)
{
  oe->n_causes = 1 + below (g, 3);
  CodecErrorCause *c = gen_alloc (g, oe->n_causes * sizeof *c);
  for (guint i = 0; i < oe->n_causes; i++)
    {
      guint k = below (g, 12);
      c[i].code = k < 11 ? (guint16) k : (guint16) (0x0b + below (g, 0xfff0));
      if (c[i].code == CODEC_CAUSE_INCONSISTENT_POLICY)
        gen_policy (g, &c[i].policy);
      else if (c[i].code == CODEC_CAUSE_INCONSISTENT_TRANSPORT)
        gen_transport (g, &c[i].transport, FALSE, TRUE);
      else if (c[i].code == CODEC_CAUSE_UNRECOGNIZED_PARAMETER || c[i].code == CODEC_CAUSE_UNRECOGNIZED_MESSAGE
               || c[i].code == CODEC_CAUSE_INVALID_VALUES || c[i].code > CODEC_CAUSE_REJECTED_SECURITY)
        c[i].info = gen_bytes (g, 0, 15);
    }
  oe->causes = c;
}

static const CodecOperationError *
gen_optional_error (Gen *g)
{
  if (below (g, 3) != 0)
    return NULL;
  CodecOperationError *oe = gen_alloc (g, sizeof *oe);
  gen_operation_error (g, oe);
  return oe;
}

static const CodecMsgType all_types[] = {
  CODEC_ASAP_REGISTRATION, CODEC_ASAP_DEREGISTRATION, CODEC_ASAP_REGISTRATION_RESPONSE,
  CODEC_ASAP_DEREGISTRATION_RESPONSE, CODEC_ASAP_HANDLE_RESOLUTION, CODEC_ASAP_HANDLE_RESOLUTION_RESPONSE,
  CODEC_ASAP_ENDPOINT_KEEP_ALIVE, CODEC_ASAP_ENDPOINT_KEEP_ALIVE_ACK, CODEC_ASAP_ENDPOINT_UNREACHABLE,
  CODEC_ASAP_SERVER_ANNOUNCE, CODEC_ASAP_COOKIE, CODEC_ASAP_COOKIE_ECHO, CODEC_ASAP_BUSINESS_CARD,
  CODEC_ASAP_ERROR, CODEC_ENRP_PRESENCE, CODEC_ENRP_HANDLE_TABLE_REQUEST, CODEC_ENRP_HANDLE_TABLE_RESPONSE,
  CODEC_ENRP_HANDLE_UPDATE, CODEC_ENRP_LIST_REQUEST, CODEC_ENRP_LIST_RESPONSE, CODEC_ENRP_INIT_TAKEOVER,
  CODEC_ENRP_INIT_TAKEOVER_ACK, CODEC_ENRP_TAKEOVER_SERVER, CODEC_ENRP_ERROR,
};

/* A random valid message of `type`, its memory in g. */
static void
gen_message (Gen *g, CodecMsgType type, CodecMessage *m)
{
  memset (m, 0, sizeof *m);
  m->type = type;
  m->flags = (guint8) r32 (g);
  if (CODEC_MSG_PROTOCOL (type) == CODEC_PROTO_ENRP)
    {
      m->sender_id = r32 (g);
      m->receiver_id = below (g, 2) ? r32 (g) : 0;
    }
  switch (type)
    {
    case CODEC_ASAP_REGISTRATION:
      m->u.registration.handle = gen_bytes (g, 1, 40);
      gen_pe (g, &m->u.registration.pe);
      break;
    case CODEC_ASAP_DEREGISTRATION:
    case CODEC_ASAP_ENDPOINT_KEEP_ALIVE_ACK:
    case CODEC_ASAP_ENDPOINT_UNREACHABLE:
    case CODEC_ASAP_REGISTRATION_RESPONSE:
    case CODEC_ASAP_DEREGISTRATION_RESPONSE:
      m->u.pe_ref.handle = gen_bytes (g, 1, 40);
      m->u.pe_ref.pe_id = r32 (g);
      if (type == CODEC_ASAP_REGISTRATION_RESPONSE || type == CODEC_ASAP_DEREGISTRATION_RESPONSE)
        m->u.pe_ref.error = gen_optional_error (g);
      break;
    case CODEC_ASAP_HANDLE_RESOLUTION:
      m->u.handle_resolution.handle = gen_bytes (g, 1, 40);
      break;
    case CODEC_ASAP_HANDLE_RESOLUTION_RESPONSE:
      {
        CodecHandleResolutionResponse *r = &m->u.handle_resolution_response;
        r->handle = gen_bytes (g, 1, 40);
        r->has_policy = below (g, 2);
        if (r->has_policy)
          gen_policy (g, &r->policy);
        r->n_pes = below (g, 6);
        r->pes = gen_pes (g, r->n_pes);
        r->error = gen_optional_error (g);
        break;
      }
    case CODEC_ASAP_ENDPOINT_KEEP_ALIVE:
      m->u.keep_alive.server_id = r32 (g);
      m->u.keep_alive.handle = gen_bytes (g, 1, 40);
      m->u.keep_alive.has_pe_id = below (g, 2);
      m->u.keep_alive.pe_id = m->u.keep_alive.has_pe_id ? r32 (g) : 0;
      break;
    case CODEC_ASAP_SERVER_ANNOUNCE:
      {
        m->u.server_announce.server_id = r32 (g);
        m->u.server_announce.n_transports = below (g, 4);
        CodecTransport *t = gen_alloc (g, m->u.server_announce.n_transports * sizeof *t);
        for (guint i = 0; i < m->u.server_announce.n_transports; i++)
          gen_transport (g, &t[i], FALSE, FALSE);
        m->u.server_announce.transports = t;
        break;
      }
    case CODEC_ASAP_COOKIE:
    case CODEC_ASAP_COOKIE_ECHO:
      m->u.cookie.cookie = gen_bytes (g, 0, 60);
      break;
    case CODEC_ASAP_BUSINESS_CARD:
      m->u.business_card.handle = gen_bytes (g, 1, 40);
      m->u.business_card.n_pes = 1 + below (g, 4);
      m->u.business_card.pes = gen_pes (g, m->u.business_card.n_pes);
      break;
    case CODEC_ASAP_ERROR:
    case CODEC_ENRP_ERROR:
      gen_operation_error (g, &m->u.error);
      break;
    case CODEC_ENRP_PRESENCE:
      m->u.presence.has_checksum = below (g, 2);
      m->u.presence.checksum = m->u.presence.has_checksum ? (guint16) r32 (g) : 0;
      m->u.presence.has_server_info = below (g, 2);
      if (m->u.presence.has_server_info)
        gen_server_info (g, &m->u.presence.server_info);
      break;
    case CODEC_ENRP_HANDLE_TABLE_REQUEST:
    case CODEC_ENRP_LIST_REQUEST:
      break;
    case CODEC_ENRP_HANDLE_TABLE_RESPONSE:
      {
        guint n = below (g, 5);
        CodecTableEntry *e = gen_alloc (g, n * sizeof *e);
        for (guint i = 0; i < n; i++)
          {
            e[i].handle = gen_bytes (g, 1, 40);
            e[i].n_pes = 1 + below (g, 3);
            e[i].pes = gen_pes (g, e[i].n_pes);
          }
        m->u.handle_table_response.n_entries = n;
        m->u.handle_table_response.entries = e;
        break;
      }
    case CODEC_ENRP_HANDLE_UPDATE:
      m->u.handle_update.action = (guint16) below (g, 2);
      m->u.handle_update.handle = gen_bytes (g, 1, 40);
      gen_pe (g, &m->u.handle_update.pe);
      break;
    case CODEC_ENRP_LIST_RESPONSE:
      {
        guint n = below (g, 5);
        CodecServerInfo *s = gen_alloc (g, n * sizeof *s);
        for (guint i = 0; i < n; i++)
          gen_server_info (g, &s[i]);
        m->u.list_response.n_servers = n;
        m->u.list_response.servers = s;
        break;
      }
    case CODEC_ENRP_INIT_TAKEOVER:
    case CODEC_ENRP_INIT_TAKEOVER_ACK:
    case CODEC_ENRP_TAKEOVER_SERVER:
      m->u.takeover.target_id = r32 (g);
      break;
    default:
      g_assert_not_reached ();
    }
}

/*
 * Decode a private, exactly sized copy of bytes. If it decodes and no unknown
 * parameter was skipped, it must re-encode to exactly those bytes. Returns
 * whether it decoded.
 */
static gboolean
decode_reencodes_exactly (CodecProtocol proto, const guint8 *bytes, gsize len, CodecError *err)
{
  g_autofree guint8 *copy = g_memdup2 (bytes, len);
  g_auto (CodecMessage) m = { 0 };
  if (!codec_decode (proto, copy, len, &m, err))
    {
      g_assert_cmpint (err->code, !=, CODEC_OK);
      g_assert_null (m.arena);
      return FALSE;
    }
  g_autoptr (GByteArray) out = g_byte_array_new ();
  gsize n = codec_encode (&m, out);
  if (m.n_unrecognized == 0)
    g_assert_cmpmem (out->data, n, bytes, len);
  else
    g_assert_cmpuint (n, <, len);
  return TRUE;
}

/* 10^5 seeded random valid messages, every type: encode, decode, re-encode give identical bytes. */
static void
test_random_round_trip (void)
{
  Gen g;
  sim_rng_init (&g.rng, 20240501, "test/codec/round-trip");
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  guint per_type[G_N_ELEMENTS (all_types)] = { 0 };
  for (guint i = 0; i < ROUND_TRIP_CASES; i++)
    {
      g.blocks = g_ptr_array_new_with_free_func (g_free);
      guint k = below (&g, G_N_ELEMENTS (all_types));
      CodecMessage m;
      gen_message (&g, all_types[k], &m);
      g_byte_array_set_size (bytes, 0);
      gsize n = codec_encode (&m, bytes);
      g_assert_cmpuint (n, ==, bytes->len);
      g_assert_cmpuint (n % 4, ==, 0);
      CodecError err;
      g_auto (CodecMessage) d = { 0 };
      if (!codec_decode (CODEC_MSG_PROTOCOL (m.type), bytes->data, bytes->len, &d, &err))
        g_error ("case %u (%s): %s at %" G_GSIZE_FORMAT, i, codec_msg_type_name (m.type),
                 codec_error_code_name (err.code), err.offset);
      g_assert_cmpint (d.type, ==, m.type);
      g_assert_cmpuint (d.flags, ==, m.flags);
      g_assert_cmpuint (d.n_unrecognized, ==, 0);
      g_ptr_array_unref (g.blocks);
      g_autoptr (GByteArray) again = g_byte_array_new ();
      g_assert_cmpuint (codec_encode (&d, again), ==, n);
      g_assert_cmpmem (again->data, again->len, bytes->data, bytes->len);
      per_type[k]++;
    }
  for (gsize k = 0; k < G_N_ELEMENTS (all_types); k++)
    g_assert_cmpuint (per_type[k], >, ROUND_TRIP_CASES / G_N_ELEMENTS (all_types) / 2);
}

/* Every proper prefix of every golden message is reported as truncated. */
static void
test_truncation (void)
{
  guint cases = 0;
  for (gsize v = 0; v < N_CODEC_VECTORS; v++)
    for (gsize k = 0; k < codec_vectors[v].len; k++)
      {
        CodecError err;
        g_assert_false (decode_reencodes_exactly (codec_vectors[v].proto, codec_vectors[v].bytes, k, &err));
        g_assert_cmpint (err.code, ==, CODEC_ERR_TRUNCATED);
        g_assert_cmpuint (err.offset, ==, 0);
        cases++;
      }
  g_assert_cmpuint (cases, ==, 1044);
}

/* Flip every bit of bytes: each result is an error or decodes and re-encodes to itself. */
static void
flip_every_bit (CodecProtocol proto, const guint8 *bytes, gsize len, guint *n_ok, guint *n_err)
{
  g_autofree guint8 *f = g_memdup2 (bytes, len);
  for (gsize bit = 0; bit < len * 8; bit++)
    {
      f[bit / 8] ^= (guint8) (1u << (bit % 8));
      CodecError err;
      if (decode_reencodes_exactly (proto, f, len, &err))
        (*n_ok)++;
      else
        (*n_err)++;
      f[bit / 8] ^= (guint8) (1u << (bit % 8));
    }
}

/* Single-bit flips of the golden messages: exact totals of decodable and rejected variants. */
static void
test_bit_flips_golden (void)
{
  guint ok = 0, bad = 0;
  for (gsize v = 0; v < N_CODEC_VECTORS; v++)
    flip_every_bit (codec_vectors[v].proto, codec_vectors[v].bytes, codec_vectors[v].len, &ok, &bad);
  /* Value bits (ids, ports, addresses, handle bytes, flags) decode; structure bits do not. */
  g_assert_cmpuint (ok, ==, 4888);
  g_assert_cmpuint (bad, ==, 3464);
  g_assert_cmpuint (ok + bad, ==, 8 * 1044);
}

/* Single-bit flips of larger random messages of every type. */
static void
test_bit_flips_random (void)
{
  Gen g;
  sim_rng_init (&g.rng, 7, "test/codec/flips");
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  guint ok = 0, bad = 0;
  for (gsize k = 0; k < G_N_ELEMENTS (all_types); k++)
    {
      g.blocks = g_ptr_array_new_with_free_func (g_free);
      CodecMessage m;
      gen_message (&g, all_types[k], &m);
      g_byte_array_set_size (bytes, 0);
      g_assert_cmpuint (codec_encode (&m, bytes), >, 0);
      flip_every_bit (CODEC_MSG_PROTOCOL (m.type), bytes->data, bytes->len, &ok, &bad);
      g_ptr_array_unref (g.blocks);
    }
  g_assert_cmpuint (ok, >, 0);
  g_assert_cmpuint (bad, >, 0);
}

/*
 * Every committed fuzz corpus input (tests/fuzz/corpus/<target>/: the golden
 * vectors and what fuzzing added) is an error or re-encodes exactly: the
 * regression suite for inputs the fuzzers found interesting.
 */
static void
test_fuzz_corpus (void)
{
  const char *targets[] = { "fuzz-asap", "fuzz-enrp" };
  const CodecProtocol protos[] = { CODEC_PROTO_ASAP, CODEC_PROTO_ENRP };
  guint files = 0, decoded = 0;
  for (int i = 0; i < 2; i++)
    {
      g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "fuzz", "corpus", targets[i], NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (GDir) d = g_dir_open (dir, 0, &error);
      g_assert_no_error (error);
      const char *name;
      while ((name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *path = g_build_filename (dir, name, NULL);
          g_autofree char *data = NULL;
          gsize len = 0;
          g_file_get_contents (path, &data, &len, &error);
          g_assert_no_error (error);
          CodecError err;
          decoded += decode_reencodes_exactly (protos[i], (const guint8 *) data, len, &err);
          files++;
        }
    }
  /* At least the 28 golden vectors, which all decode. */
  g_assert_cmpuint (files, >=, 28);
  g_assert_cmpuint (decoded, >=, 28);
  g_test_message ("fuzz corpus: %u files, %u decode", files, decoded);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/models/codec/props/random-round-trip", test_random_round_trip);
  g_test_add_func ("/models/codec/props/truncation", test_truncation);
  g_test_add_func ("/models/codec/props/bit-flips-golden", test_bit_flips_golden);
  g_test_add_func ("/models/codec/props/bit-flips-random", test_bit_flips_random);
  g_test_add_func ("/models/codec/props/fuzz-corpus", test_fuzz_corpus);
  return g_test_run ();
}
