/*
 * fuzz_xml.c -- libFuzzer target for the STANAG 4774 label XML codec.
 *
 * Label XML arrives from other nations' systems, so it is the most exposed
 * input partnernet has.  Beyond not crashing, a document the parser
 * accepts must survive our own XML and the display marking unchanged
 * (times and originator, which a marking cannot carry, are compared on the
 * XML trip only).  The check is fuzzCheckXml() in fuzz_checks.h, shared
 * with tests/unit/test_fuzz_regress.c.
 *
 *   make build/fuzz/fuzz_xml
 *   build/fuzz/fuzz_xml -dict=fuzz/xml.dict fuzz/corpus/xml
 *
 * Run from the repository root (or set PARTNERNET_ROOT): the shipped
 * registry and policy are loaded once, at start-up.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_checks.h"

static FuzzEnv env;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    char why[1024];
    if (fuzzEnvLoad(&env, why, sizeof(why)) != 0) {
        fprintf(stderr, "fuzz_xml: %s\n", why);
        exit(1);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char why[16384];
    if (fuzzCheckXml(&env, data, size, why, sizeof(why)) != 0) {
        fprintf(stderr, "fuzz_xml: property broken: %s\n", why);
        abort();
    }
    return 0;
}
