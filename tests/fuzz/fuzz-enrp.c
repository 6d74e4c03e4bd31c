/* tests/fuzz/fuzz-enrp.c - libFuzzer target: codec_decode of ENRP messages (make fuzz). */
#define FUZZ_PROTO CODEC_PROTO_ENRP
#include "tests/fuzz/fuzz-common.h"
