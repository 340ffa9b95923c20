/*
 * fuzz_spif.c -- libFuzzer target for the XML-SPIF policy reader.
 *
 * A policy file is trusted more than a label, but it is still XML from
 * outside, and spifLoadMemory() leaves partial data behind on error for
 * the caller to free: exactly the kind of path that leaks or double-frees.
 * Every input is loaded and freed; ASan's leak check turns a leak into a
 * crash.  A policy that loads must also keep the promises spif.h makes
 * (fuzzSpifInvariants() in fuzz_checks.h), since the label codecs and
 * decide() index arrays with its numbers.
 *
 *   make build/fuzz/fuzz_spif
 *   build/fuzz/fuzz_spif -dict=fuzz/spif.dict fuzz/corpus/spif
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_checks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char why[4096];
    if (fuzzCheckSpif(data, size, why, sizeof(why)) != 0) {
        fprintf(stderr, "fuzz_spif: property broken: %s\n", why);
        abort();
    }
    return 0;
}
