/*
 * tests/fuzz/fuzz-common.h - the body of every codec fuzz target: decode the
 * input as FUZZ_PROTO; if it decodes, encoding it again must give exactly the
 * input (unless unknown parameters were skipped, which shortens it). Any
 * crash, sanitizer report or abort is a finding.
 */
#include "config.h"

#include "models/codec.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  CodecMessage m;
  CodecError err;
  if (!codec_decode (FUZZ_PROTO, data, size, &m, &err))
    {
      if (err.code == CODEC_OK || m.arena != NULL || err.offset > size)
        abort ();
      return 0;
    }
  GByteArray *b = g_byte_array_new ();
  gsize n = codec_encode (&m, b);
  if (m.n_unrecognized == 0 ? (n != size || memcmp (b->data, data, size) != 0) : n >= size)
    abort ();
  g_byte_array_unref (b);
  codec_message_clear (&m);
  return 0;
}
