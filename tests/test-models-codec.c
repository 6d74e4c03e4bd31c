/*
 * tests/test-models-codec.c - the codec's rules one by one: RFC 5354 lengths
 * and padding, unknown types by their action bits, the nine RFC 5356 policies
 * and unknown ones, every transport type, precise decode errors, encoder
 * limits.
 */
#include "config.h"

#include "models/codec.h"
#include "tests/codec-vectors.h"

#include <string.h>

/* Bytes from a hex string (spaces ignored). */
static GByteArray *
hex (const char *s)
{
  GByteArray *b = g_byte_array_new ();
  while (*s)
    {
      if (*s == ' ')
        {
          s++;
          continue;
        }
      guint8 v = (guint8) (g_ascii_xdigit_value (s[0]) << 4 | g_ascii_xdigit_value (s[1]));
      g_byte_array_append (b, &v, 1);
      s += 2;
    }
  return b;
}

static GByteArray *
encode (const CodecMessage *m)
{
  GByteArray *b = g_byte_array_new ();
  g_assert_cmpuint (codec_encode (m, b), ==, b->len);
  return b;
}

static void
assert_encodes_to (const CodecMessage *m, const char *expect_hex)
{
  g_autoptr (GByteArray) got = encode (m);
  g_autoptr (GByteArray) want = hex (expect_hex);
  g_assert_cmpmem (got->data, got->len, want->data, want->len);
}

/* Decode hex, expecting failure with code at offset; returns the error. */
static CodecError
decode_fails (CodecProtocol proto, const char *h, CodecErrorCode code, gsize offset)
{
  g_autoptr (GByteArray) b = hex (h);
  g_auto (CodecMessage) m = { 0 };
  CodecError err;
  g_assert_false (codec_decode (proto, b->data, b->len, &m, &err));
  g_assert_cmpstr (codec_error_code_name (err.code), ==, codec_error_code_name (code));
  g_assert_cmpuint (err.offset, ==, offset);
  g_assert_null (m.arena);
  return err;
}

static void
decode_ok (CodecProtocol proto, const char *h, CodecMessage *m)
{
  g_autoptr (GByteArray) b = hex (h);
  CodecError err;
  if (!codec_decode (proto, b->data, b->len, m, &err))
    g_error ("%s at %" G_GSIZE_FORMAT, codec_error_code_name (err.code), err.offset);
}

static const CodecAddress pe_addr = { 4, { 10, 0, 1, 1 } };

static CodecPoolElement
vector_pe (guint32 home)
{
  CodecPoolElement pe = { 0 };
  pe.pe_id = 0xabcd;
  pe.home_server_id = home;
  pe.reg_life_ms = 300000;
  pe.user_transport = (CodecTransport) { .type = CODEC_PARAM_SCTP_TRANSPORT, .port = 7, .n_addrs = 1, .addrs = &pe_addr };
  pe.policy.type = CODEC_POLICY_ROUND_ROBIN;
  pe.has_asap_transport = TRUE;
  pe.asap_transport = (CodecTransport) { .type = CODEC_PARAM_SCTP_TRANSPORT, .port = 49152, .n_addrs = 1, .addrs = &pe_addr };
  return pe;
}

/* A registration built field by field encodes to the golden vector's bytes. */
static void
test_registration_build (void)
{
  CodecMessage m = { .type = CODEC_ASAP_REGISTRATION };
  m.u.registration.handle = (CodecBytes) { (const guint8 *) "EchoPool", 8 };
  m.u.registration.pe = vector_pe (0);
  g_autoptr (GByteArray) b = encode (&m);
  g_assert_cmpmem (b->data, b->len, vec_asap_registration, sizeof vec_asap_registration);
}

/* Registration life -1 (infinite) is ff ff ff ff on the wire and decodes back to -1. */
static void
test_registration_life_infinite (void)
{
  CodecMessage m = { .type = CODEC_ASAP_REGISTRATION };
  m.u.registration.handle = (CodecBytes) { (const guint8 *) "P", 1 };
  m.u.registration.pe = vector_pe (0);
  m.u.registration.pe.reg_life_ms = -1;
  g_autoptr (GByteArray) b = encode (&m);
  g_assert_cmpmem (b->data + 24, 4, "\xff\xff\xff\xff", 4);
  g_auto (CodecMessage) d = { 0 };
  g_assert_true (codec_decode (CODEC_PROTO_ASAP, b->data, b->len, &d, NULL));
  g_assert_cmpint (d.u.registration.pe.reg_life_ms, ==, -1);
}

/* A 3-byte handle: Length 7, one zero padding byte, message Length 12. */
static void
test_padding_odd_handle (void)
{
  CodecMessage m = { .type = CODEC_ASAP_HANDLE_RESOLUTION, .flags = CODEC_FLAG_HANDLE_RESOLUTION_SUBSCRIBE };
  m.u.handle_resolution.handle = (CodecBytes) { (const guint8 *) "abc", 3 };
  assert_encodes_to (&m, "05 01 000c 0009 0007 616263 00");
}

/*
 * Nested lengths: an Operation Error whose cause holds a 5-byte TLV. The cause
 * Length is 9, the Operation Error Length 13 (its last cause's padding left
 * out), the message Length 20 (every parameter padded).
 */
static void
test_padding_nested_last_excluded (void)
{
  static const guint8 tlv[] = { 0xc0, 0x01, 0x00, 0x05, 0x7a };
  CodecErrorCause c = { .code = CODEC_CAUSE_UNRECOGNIZED_PARAMETER, .info = { tlv, sizeof tlv } };
  CodecMessage m = { .type = CODEC_ASAP_ERROR };
  m.u.error = (CodecOperationError) { 1, &c };
  assert_encodes_to (&m, "0e 00 0014 000c 000d 0001 0009 c0010005 7a 000000");

  g_auto (CodecMessage) d = { 0 };
  decode_ok (CODEC_PROTO_ASAP, "0e 00 0014 000c 000d 0001 0009 c0010005 7a 000000", &d);
  g_assert_cmpmem (d.u.error.causes[0].info.data, d.u.error.causes[0].info.len, tlv, sizeof tlv);
}

/* The same message with the Operation Error Length counting the padding (16) is rejected. */
static void
test_decode_container_includes_last_padding (void)
{
  decode_fails (CODEC_PROTO_ASAP, "0e 00 0014 000c 0010 0001 0009 c0010005 7a 000000", CODEC_ERR_BAD_LENGTH, 8);
}

/* PE checksum: Length 6 and 2 padding bytes; a presence with only that is 20 bytes. */
static void
test_padding_checksum (void)
{
  CodecMessage m = { .type = CODEC_ENRP_PRESENCE, .sender_id = 1, .receiver_id = 2 };
  m.u.presence.has_checksum = TRUE;
  m.u.presence.checksum = 0xabcd;
  assert_encodes_to (&m, "01 00 0014 00000001 00000002 000f 0006 abcd 0000");
}

/* Non-zero padding is reported at the offset of the first bad byte. */
static void
test_decode_nonzero_padding (void)
{
  decode_fails (CODEC_PROTO_ASAP, "05 00 000c 0009 0007 616263 01", CODEC_ERR_BAD_PADDING, 11);
}

/* A last parameter without its padding inside the message Length is rejected. */
static void
test_decode_missing_padding (void)
{
  decode_fails (CODEC_PROTO_ASAP, "05 00 000b 0009 0007 616263", CODEC_ERR_BAD_PADDING, 11);
}

/* Message Length larger than the bytes: truncated; smaller: bad length; below the fixed part: bad length. */
static void
test_decode_message_length (void)
{
  decode_fails (CODEC_PROTO_ASAP, "05 00 0010 0009 0007 616263 00", CODEC_ERR_TRUNCATED, 0);
  decode_fails (CODEC_PROTO_ASAP, "05 00 0008 0009 0007 616263 00", CODEC_ERR_BAD_LENGTH, 0);
  decode_fails (CODEC_PROTO_ENRP, "07 00 000c 00000001 00000002", CODEC_ERR_BAD_LENGTH, 0);
  decode_fails (CODEC_PROTO_ASAP, "05 00", CODEC_ERR_TRUNCATED, 0);
}

/* A parameter Length running past the message, or below 4, is a bad length at that parameter. */
static void
test_decode_param_length (void)
{
  decode_fails (CODEC_PROTO_ASAP, "05 00 000c 0009 0009 616263 00", CODEC_ERR_BAD_LENGTH, 4);
  decode_fails (CODEC_PROTO_ASAP, "05 00 000c 0009 0003 616263 00", CODEC_ERR_BAD_LENGTH, 4);
  /* A PE identifier must have Length 8. */
  decode_fails (CODEC_PROTO_ASAP, "09 00 0014 0009 0005 61 000000 000e 0006 abcd 0000", CODEC_ERR_BAD_LENGTH, 12);
}

/* Unknown parameter types follow their top two bits (RFC 5354 §2). */
static void
test_unknown_param_actions (void)
{
  /* 00: stop and discard; 01: stop, discard and report, with the TLV's place and length. */
  CodecError e = decode_fails (CODEC_PROTO_ASAP, "05 00 0014 0009 0005 61 000000 0011 0006 beef 0000",
                               CODEC_ERR_UNKNOWN_PARAM, 12);
  g_assert_cmpint (e.action, ==, CODEC_ACTION_DISCARD);
  g_assert_cmphex (e.type, ==, 0x0011);
  g_assert_cmpuint (e.length, ==, 6);
  e = decode_fails (CODEC_PROTO_ASAP, "05 00 0014 0009 0005 61 000000 4011 0006 beef 0000",
                    CODEC_ERR_UNKNOWN_PARAM, 12);
  g_assert_cmpint (e.action, ==, CODEC_ACTION_DISCARD_REPORT);

  /* 10 and 11: skipped, kept for the report, the rest decodes. */
  const char *skip[] = { "05 00 0014 0009 0005 61 000000 8011 0006 beef 0000",
                         "05 00 0014 0009 0005 61 000000 c011 0006 beef 0000" };
  for (int i = 0; i < 2; i++)
    {
      g_auto (CodecMessage) m = { 0 };
      decode_ok (CODEC_PROTO_ASAP, skip[i], &m);
      g_assert_cmpmem (m.u.handle_resolution.handle.data, m.u.handle_resolution.handle.len, "a", 1);
      g_assert_cmpuint (m.n_unrecognized, ==, 1);
      g_assert_cmpint (m.unrecognized[0].action, ==, i == 0 ? CODEC_ACTION_SKIP : CODEC_ACTION_SKIP_REPORT);
      g_assert_cmpuint (m.unrecognized[0].offset, ==, 12);
      g_assert_cmphex (m.unrecognized[0].type, ==, i == 0 ? 0x8011 : 0xc011);
      g_assert_cmpmem (m.unrecognized[0].tlv.data, m.unrecognized[0].tlv.len, i == 0 ? "\x80\x11\x00\x06\xbe\xef" : "\xc0\x11\x00\x06\xbe\xef", 6);
    }
}

/* A skippable unknown parameter nested inside a transport is skipped and recorded too. */
static void
test_unknown_param_nested (void)
{
  g_auto (CodecMessage) m = { 0 };
  /* Server announce with an SCTP transport holding an unknown 0x8020 and one address. */
  decode_ok (CODEC_PROTO_ASAP, "0a 00 001c 00000005 0004 0014 0ed7 0000 8020 0004 0001 0008 0a000001", &m);
  g_assert_cmpuint (m.u.server_announce.n_transports, ==, 1);
  g_assert_cmpuint (m.u.server_announce.transports[0].n_addrs, ==, 1);
  g_assert_cmpuint (m.n_unrecognized, ==, 1);
  g_assert_cmpuint (m.unrecognized[0].offset, ==, 16);
}

/* Unknown message types: error with the action bits of the 8-bit type (RFC 5354 §4). */
static void
test_unknown_message_actions (void)
{
  struct { CodecProtocol p; const char *h; guint8 type; CodecAction action; } cases[] = {
    { CODEC_PROTO_ASAP, "0f 00 0004", 0x0f, CODEC_ACTION_DISCARD },
    { CODEC_PROTO_ASAP, "4f 00 0004", 0x4f, CODEC_ACTION_DISCARD_REPORT },
    { CODEC_PROTO_ASAP, "8f 00 0004", 0x8f, CODEC_ACTION_SKIP },
    { CODEC_PROTO_ASAP, "ff 00 0004", 0xff, CODEC_ACTION_SKIP_REPORT },
    { CODEC_PROTO_ASAP, "00 00 0004", 0x00, CODEC_ACTION_DISCARD },
    { CODEC_PROTO_ENRP, "0b 00 0004", 0x0b, CODEC_ACTION_DISCARD },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      CodecError e = decode_fails (cases[i].p, cases[i].h, CODEC_ERR_UNKNOWN_MESSAGE, 0);
      g_assert_cmphex (e.type, ==, cases[i].type);
      g_assert_cmpint (e.action, ==, cases[i].action);
      g_assert_cmpuint (e.length, ==, 4);
    }
}

/* Each RFC 5356 policy has its exact parameter length and fields, and round-trips. */
static void
test_policy_all_nine (void)
{
  struct { guint32 type; gsize len; CodecPolicy p; } cases[] = {
    { CODEC_POLICY_ROUND_ROBIN, 8, { .type = CODEC_POLICY_ROUND_ROBIN } },
    { CODEC_POLICY_WEIGHTED_ROUND_ROBIN, 12, { .type = CODEC_POLICY_WEIGHTED_ROUND_ROBIN, .weight = 7 } },
    { CODEC_POLICY_RANDOM, 8, { .type = CODEC_POLICY_RANDOM } },
    { CODEC_POLICY_WEIGHTED_RANDOM, 12, { .type = CODEC_POLICY_WEIGHTED_RANDOM, .weight = 0xfffffffe } },
    { CODEC_POLICY_PRIORITY, 12, { .type = CODEC_POLICY_PRIORITY, .priority = 3 } },
    { CODEC_POLICY_LEAST_USED, 12, { .type = CODEC_POLICY_LEAST_USED, .load = 0x80000000 } },
    { CODEC_POLICY_LEAST_USED_DEGRADATION, 16, { .type = CODEC_POLICY_LEAST_USED_DEGRADATION, .load = 5, .load_degradation = 6 } },
    { CODEC_POLICY_PRIORITY_LEAST_USED, 16, { .type = CODEC_POLICY_PRIORITY_LEAST_USED, .load = 9, .load_degradation = 10 } },
    { CODEC_POLICY_RANDOMIZED_LEAST_USED, 12, { .type = CODEC_POLICY_RANDOMIZED_LEAST_USED, .load = 0xffffffff } },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      CodecMessage m = { .type = CODEC_ASAP_HANDLE_RESOLUTION_RESPONSE };
      m.u.handle_resolution_response.handle = (CodecBytes) { (const guint8 *) "abcd", 4 };
      m.u.handle_resolution_response.has_policy = TRUE;
      m.u.handle_resolution_response.policy = cases[i].p;
      g_autoptr (GByteArray) b = encode (&m);
      g_assert_cmpuint (b->len, ==, 4 + 8 + cases[i].len);
      g_assert_cmpuint (b->data[12 + 2] << 8 | b->data[12 + 3], ==, cases[i].len);
      g_auto (CodecMessage) d = { 0 };
      g_assert_true (codec_decode (CODEC_PROTO_ASAP, b->data, b->len, &d, NULL));
      const CodecPolicy *p = &d.u.handle_resolution_response.policy;
      g_assert_true (d.u.handle_resolution_response.has_policy);
      g_assert_cmphex (p->type, ==, cases[i].type);
      g_assert_cmpuint (p->weight, ==, cases[i].p.weight);
      g_assert_cmpuint (p->priority, ==, cases[i].p.priority);
      g_assert_cmpuint (p->load, ==, cases[i].p.load);
      g_assert_cmpuint (p->load_degradation, ==, cases[i].p.load_degradation);
      g_assert_cmpuint (p->data.len, ==, 0);
    }
}

/* An unknown policy type keeps its data as opaque bytes (any length) instead of being rejected. */
static void
test_policy_unknown_opaque (void)
{
  const char *h = "06 00 001c 0009 0005 61 000000 0008 000e b0001003 0102030405 06 0000";
  g_auto (CodecMessage) m = { 0 };
  decode_ok (CODEC_PROTO_ASAP, h, &m);
  const CodecPolicy *p = &m.u.handle_resolution_response.policy;
  g_assert_cmphex (p->type, ==, 0xb0001003);
  g_assert_cmpmem (p->data.data, p->data.len, "\x01\x02\x03\x04\x05\x06", 6);
  assert_encodes_to (&m, h);
}

/* A known policy with the wrong length (LU with 8 bytes) is a bad length. */
static void
test_policy_bad_length (void)
{
  decode_fails (CODEC_PROTO_ASAP, "06 00 0014 0009 0005 61 000000 0008 0008 40000001", CODEC_ERR_BAD_LENGTH, 12);
}

/* DCCP (with service code), TCP, UDP, UDP-Lite, opaque user transports and IPv6 addresses round-trip. */
static void
test_transport_all_types (void)
{
  static const CodecAddress v6 = { 6, { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
  CodecTransport trs[] = {
    { .type = CODEC_PARAM_DCCP_TRANSPORT, .port = 5001, .service_code = 0x12345678, .n_addrs = 1, .addrs = &v6 },
    { .type = CODEC_PARAM_TCP_TRANSPORT, .port = 80, .n_addrs = 1, .addrs = &pe_addr },
    { .type = CODEC_PARAM_UDP_TRANSPORT, .port = 53, .n_addrs = 1, .addrs = &v6 },
    { .type = CODEC_PARAM_UDP_LITE_TRANSPORT, .port = 9, .n_addrs = 1, .addrs = &pe_addr },
    { .type = CODEC_PARAM_OPAQUE_TRANSPORT, .opaque = { (const guint8 *) "tcp://x", 7 } },
  };
  const gsize lens[] = { 12 + 20, 8 + 8, 8 + 20, 8 + 8, 4 + 7 };
  for (gsize i = 0; i < G_N_ELEMENTS (trs); i++)
    {
      CodecMessage m = { .type = CODEC_ASAP_BUSINESS_CARD };
      CodecPoolElement pe = vector_pe (1);
      pe.user_transport = trs[i];
      m.u.business_card.handle = (CodecBytes) { (const guint8 *) "h", 1 };
      m.u.business_card.n_pes = 1;
      m.u.business_card.pes = &pe;
      g_autoptr (GByteArray) b = encode (&m);
      /* PE param at 12; user transport at 12 + 16. */
      g_assert_cmpuint (b->data[28] << 8 | b->data[29], ==, trs[i].type);
      g_assert_cmpuint (b->data[30] << 8 | b->data[31], ==, lens[i]);
      g_auto (CodecMessage) d = { 0 };
      g_assert_true (codec_decode (CODEC_PROTO_ASAP, b->data, b->len, &d, NULL));
      const CodecTransport *t = &d.u.business_card.pes[0].user_transport;
      g_assert_cmpint (t->type, ==, trs[i].type);
      g_assert_cmpuint (t->port, ==, trs[i].port);
      g_assert_cmphex (t->service_code, ==, trs[i].service_code);
      g_assert_cmpuint (t->n_addrs, ==, trs[i].n_addrs);
      if (t->n_addrs == 1)
        g_assert_cmpmem (&t->addrs[0], sizeof (CodecAddress), trs[i].addrs, sizeof (CodecAddress));
      g_assert_cmpmem (t->opaque.data, t->opaque.len, trs[i].opaque.data, trs[i].opaque.len);
      g_autoptr (GByteArray) again = encode (&d);
      g_assert_cmpmem (again->data, again->len, b->data, b->len);
    }
}

/* A TCP transport with two addresses, or with a pool handle inside, is an unexpected parameter. */
static void
test_transport_nesting (void)
{
  decode_fails (CODEC_PROTO_ASAP, "0a 00 0020 00000005 0005 0018 0050 0000 0001 0008 0a000001 0001 0008 0a000002",
                CODEC_ERR_UNEXPECTED_PARAM, 24);
  decode_fails (CODEC_PROTO_ASAP, "0a 00 0018 00000005 0005 000d 0050 0000 0009 0005 61 000000",
                CODEC_ERR_UNEXPECTED_PARAM, 16);
  /* An SCTP transport without any address. */
  decode_fails (CODEC_PROTO_ASAP, "0a 00 0010 00000005 0004 0008 0050 0000", CODEC_ERR_MISSING_PARAM, 16);
}

/* Parameters out of the RFC order, missing, empty handle, info where a cause has none. */
static void
test_decode_structure_errors (void)
{
  /* Deregistration with the PE identifier before the handle. */
  decode_fails (CODEC_PROTO_ASAP, "02 00 0014 000e 0008 0000abcd 0009 0005 61 000000", CODEC_ERR_UNEXPECTED_PARAM, 4);
  /* Registration without its Pool Element. */
  decode_fails (CODEC_PROTO_ASAP, "01 00 000c 0009 0005 61 000000", CODEC_ERR_MISSING_PARAM, 12);
  /* Empty pool handle. */
  decode_fails (CODEC_PROTO_ASAP, "05 00 0008 0009 0004", CODEC_ERR_INVALID_VALUE, 4);
  /* Unknown Pool Handle cause carrying 4 bytes of info. */
  decode_fails (CODEC_PROTO_ENRP, "0a 00 0018 00000001 00000002 000c 000c 0009 0008 00000000",
                CODEC_ERR_BAD_LENGTH, 16);
  /* An Operation Error without any cause. */
  decode_fails (CODEC_PROTO_ASAP, "0e 00 0008 000c 0004", CODEC_ERR_MISSING_PARAM, 8);
  /* A handle table request carrying a parameter. */
  decode_fails (CODEC_PROTO_ENRP, "02 00 0014 00000001 00000002 000e 0008 00000001", CODEC_ERR_UNEXPECTED_PARAM, 12);
  /* A handle resolution response with its error before the PEs. */
  decode_fails (CODEC_PROTO_ASAP, "06 00 004c 0009 0005 61 000000 000c 0008 0009 0004 "
                "000a00380000abcd11111111000493e00004001000070000000100080a000101"
                "000800080000000100040010c0000000000100080a000101",
                CODEC_ERR_UNEXPECTED_PARAM, 20);
}

/* codec_encode appends after what the array holds; a message over 65535 bytes appends nothing and returns 0. */
static void
test_encode_append_and_limit (void)
{
  g_autoptr (GByteArray) b = hex ("deadbeef");
  CodecMessage m = { .type = CODEC_ENRP_LIST_REQUEST, .sender_id = 1, .receiver_id = 2 };
  g_assert_cmpuint (codec_encode (&m, b), ==, 12);
  g_autoptr (GByteArray) want = hex ("deadbeef 05 00 000c 00000001 00000002");
  g_assert_cmpmem (b->data, b->len, want->data, want->len);

  /* 1200 entries of 68 bytes (handle 12, PE 56): 81 612 bytes. */
  CodecPoolElement pe = vector_pe (1);
  CodecTableEntry *e = g_new (CodecTableEntry, 1200);
  for (int i = 0; i < 1200; i++)
    e[i] = (CodecTableEntry) { { (const guint8 *) "EchoPool", 8 }, 1, &pe };
  CodecMessage big = { .type = CODEC_ENRP_HANDLE_TABLE_RESPONSE };
  big.u.handle_table_response = (CodecHandleTableResponse) { 1200, e };
  g_assert_cmpuint (codec_encode (&big, b), ==, 0);
  g_assert_cmpmem (b->data, b->len, want->data, want->len);
  /* 900 entries fit: 12 + 900 * 68 = 61 212 bytes. */
  big.u.handle_table_response.n_entries = 900;
  g_assert_cmpuint (codec_encode (&big, b), ==, 12 + 900 * 68);
  g_auto (CodecMessage) d = { 0 };
  g_assert_true (codec_decode (CODEC_PROTO_ENRP, b->data + 16, b->len - 16, &d, NULL));
  g_assert_cmpuint (d.u.handle_table_response.n_entries, ==, 900);
  g_assert_cmpuint (d.u.handle_table_response.entries[899].pes[0].pe_id, ==, 0xabcd);
  g_free (e);
}

/* Ten PEs in a resolution response come back in order with their own addresses. */
static void
test_handle_resolution_response_many (void)
{
  CodecAddress addrs[10][2];
  CodecPoolElement pes[10];
  for (int i = 0; i < 10; i++)
    {
      pes[i] = vector_pe (9);
      pes[i].pe_id = 100 + i;
      addrs[i][0] = (CodecAddress) { 4, { 10, 1, 0, (guint8) i } };
      addrs[i][1] = (CodecAddress) { 4, { 10, 2, 0, (guint8) i } };
      pes[i].user_transport.addrs = addrs[i];
      pes[i].user_transport.n_addrs = 2;
    }
  CodecMessage m = { .type = CODEC_ASAP_HANDLE_RESOLUTION_RESPONSE, .flags = CODEC_FLAG_HANDLE_RESOLUTION_ACCEPTED };
  m.u.handle_resolution_response.handle = (CodecBytes) { (const guint8 *) "EchoPool", 8 };
  m.u.handle_resolution_response.n_pes = 10;
  m.u.handle_resolution_response.pes = pes;
  g_autoptr (GByteArray) b = encode (&m);
  g_assert_cmpuint (b->len, ==, 16 + 10 * 64);
  g_auto (CodecMessage) d = { 0 };
  g_assert_true (codec_decode (CODEC_PROTO_ASAP, b->data, b->len, &d, NULL));
  g_assert_cmpuint (d.flags, ==, CODEC_FLAG_HANDLE_RESOLUTION_ACCEPTED);
  g_assert_false (d.u.handle_resolution_response.has_policy);
  g_assert_cmpuint (d.u.handle_resolution_response.n_pes, ==, 10);
  for (int i = 0; i < 10; i++)
    {
      const CodecPoolElement *pe = &d.u.handle_resolution_response.pes[i];
      g_assert_cmpuint (pe->pe_id, ==, 100 + i);
      g_assert_cmpuint (pe->user_transport.n_addrs, ==, 2);
      g_assert_cmpuint (pe->user_transport.addrs[1].bytes[1], ==, 2);
      g_assert_cmpuint (pe->user_transport.addrs[1].bytes[3], ==, i);
    }
  /* The decoded message does not depend on the input buffer. */
  memset (b->data, 0, b->len);
  g_assert_cmpuint (d.u.handle_resolution_response.pes[9].user_transport.addrs[0].bytes[0], ==, 10);
}

/* Names for logs and statistics. */
static void
test_names (void)
{
  g_assert_cmpstr (codec_msg_type_name (CODEC_ENRP_TAKEOVER_SERVER), ==, "ENRP_TAKEOVER_SERVER");
  g_assert_cmpstr (codec_msg_type_name (CODEC_ASAP_REGISTRATION), ==, "ASAP_REGISTRATION");
  g_assert_null (codec_msg_type_name ((CodecMsgType) 0x10f));
  g_assert_cmpstr (codec_error_code_name (CODEC_ERR_BAD_PADDING), ==, "bad-padding");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/models/codec/registration/build-golden", test_registration_build);
  g_test_add_func ("/models/codec/registration/life-infinite", test_registration_life_infinite);
  g_test_add_func ("/models/codec/padding/odd-handle", test_padding_odd_handle);
  g_test_add_func ("/models/codec/padding/nested-last-excluded", test_padding_nested_last_excluded);
  g_test_add_func ("/models/codec/padding/checksum", test_padding_checksum);
  g_test_add_func ("/models/codec/decode/container-includes-last-padding", test_decode_container_includes_last_padding);
  g_test_add_func ("/models/codec/decode/nonzero-padding", test_decode_nonzero_padding);
  g_test_add_func ("/models/codec/decode/missing-padding", test_decode_missing_padding);
  g_test_add_func ("/models/codec/decode/message-length", test_decode_message_length);
  g_test_add_func ("/models/codec/decode/param-length", test_decode_param_length);
  g_test_add_func ("/models/codec/decode/structure-errors", test_decode_structure_errors);
  g_test_add_func ("/models/codec/unknown/param-actions", test_unknown_param_actions);
  g_test_add_func ("/models/codec/unknown/param-nested", test_unknown_param_nested);
  g_test_add_func ("/models/codec/unknown/message-actions", test_unknown_message_actions);
  g_test_add_func ("/models/codec/policy/all-nine", test_policy_all_nine);
  g_test_add_func ("/models/codec/policy/unknown-opaque", test_policy_unknown_opaque);
  g_test_add_func ("/models/codec/policy/bad-length", test_policy_bad_length);
  g_test_add_func ("/models/codec/transport/all-types", test_transport_all_types);
  g_test_add_func ("/models/codec/transport/nesting", test_transport_nesting);
  g_test_add_func ("/models/codec/encode/append-and-limit", test_encode_append_and_limit);
  g_test_add_func ("/models/codec/handle-resolution-response/many", test_handle_resolution_response_many);
  g_test_add_func ("/models/codec/names", test_names);
  return g_test_run ();
}
