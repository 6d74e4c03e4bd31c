/* tests/fuzz/fuzz-asap.c - libFuzzer target: codec_decode of ASAP messages (make fuzz). */
#define FUZZ_PROTO CODEC_PROTO_ASAP
#include "tests/fuzz/fuzz-common.h"
