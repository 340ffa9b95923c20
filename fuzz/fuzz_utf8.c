/*
 * fuzz_utf8.c -- libFuzzer target for the one UTF-8 validator.
 *
 * Topic names, MQTT strings and JSON payloads are checked by
 * src/core/utf8.c; the property (agreement with the Unicode Standard's
 * table of well-formed sequences, for the validator and for each of its
 * users) is in fuzz_utf8_check.h, shared with the replay in make check.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_utf8_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char why[256];
    if (fuzzCheckUtf8(data, size, why, sizeof(why)) != 0) {
        fprintf(stderr, "fuzz_utf8: %s\n", why);
        abort();
    }
    return 0;
}
