/*
 * bench/bench-codec.c - encode and decode rates of the wire codec (make
 * bench-codec): a registration, handle resolution responses with 1 and 10
 * PEs, and an ENRP handle table response with 128 entries. Wall-clock time;
 * each case runs for about half a second per direction.
 */
#include "config.h"

#include "models/codec.h"

#include <stdio.h>
#include <string.h>

static const CodecAddress addr = { 4, { 10, 0, 1, 1 } };

static void
make_pe (CodecPoolElement *pe, guint32 id)
{
  memset (pe, 0, sizeof *pe);
  pe->pe_id = id;
  pe->home_server_id = 0x11111111;
  pe->reg_life_ms = 300000;
  pe->user_transport = (CodecTransport) { .type = CODEC_PARAM_SCTP_TRANSPORT, .port = 7, .n_addrs = 1, .addrs = &addr };
  pe->policy = (CodecPolicy) { .type = CODEC_POLICY_LEAST_USED, .load = id };
  pe->has_asap_transport = TRUE;
  pe->asap_transport = (CodecTransport) { .type = CODEC_PARAM_SCTP_TRANSPORT, .port = 49152, .n_addrs = 1, .addrs = &addr };
}

static double
now_s (void)
{
  return (double) g_get_monotonic_time () / 1e6;
}

static void
bench (const char *name, const CodecMessage *m)
{
  g_autoptr (GByteArray) b = g_byte_array_sized_new (65536);
  gsize len = codec_encode (m, b);
  g_assert (len > 0);
  CodecProtocol proto = CODEC_MSG_PROTOCOL (m->type);

  guint64 n = 0;
  double t0 = now_s (), t;
  do
    {
      for (int i = 0; i < 256; i++)
        {
          g_byte_array_set_size (b, 0);
          codec_encode (m, b);
        }
      n += 256;
    }
  while ((t = now_s () - t0) < 0.5);
  double enc = (double) n / t;

  n = 0;
  t0 = now_s ();
  do
    {
      for (int i = 0; i < 256; i++)
        {
          CodecMessage d;
          if (!codec_decode (proto, b->data, b->len, &d, NULL))
            g_error ("%s does not decode", name);
          codec_message_clear (&d);
        }
      n += 256;
    }
  while ((t = now_s () - t0) < 0.5);
  double dec = (double) n / t;

  printf ("%-32s %6" G_GSIZE_FORMAT " B   encode %10.0f msg/s %8.1f MB/s   decode %10.0f msg/s %8.1f MB/s\n",
          name, len, enc, enc * (double) len / 1e6, dec, dec * (double) len / 1e6);
}

int
main (void)
{
  CodecPoolElement pes[128];
  for (guint i = 0; i < 128; i++)
    make_pe (&pes[i], 1000 + i);
  const CodecBytes handle = { (const guint8 *) "EchoPool", 8 };

  CodecMessage reg = { .type = CODEC_ASAP_REGISTRATION };
  reg.u.registration.handle = handle;
  reg.u.registration.pe = pes[0];
  bench ("registration", &reg);

  CodecMessage hr = { .type = CODEC_ASAP_HANDLE_RESOLUTION_RESPONSE };
  hr.u.handle_resolution_response.handle = handle;
  hr.u.handle_resolution_response.has_policy = TRUE;
  hr.u.handle_resolution_response.policy.type = CODEC_POLICY_LEAST_USED;
  hr.u.handle_resolution_response.pes = pes;
  hr.u.handle_resolution_response.n_pes = 1;
  bench ("handle resolution response, 1 PE", &hr);
  hr.u.handle_resolution_response.n_pes = 10;
  bench ("handle resolution response, 10 PEs", &hr);

  CodecTableEntry entries[128];
  for (guint i = 0; i < 128; i++)
    entries[i] = (CodecTableEntry) { handle, 1, &pes[i] };
  CodecMessage ht = { .type = CODEC_ENRP_HANDLE_TABLE_RESPONSE, .sender_id = 1, .receiver_id = 2 };
  ht.u.handle_table_response = (CodecHandleTableResponse) { 128, entries };
  bench ("handle table response, 128 entries", &ht);
  return 0;
}
