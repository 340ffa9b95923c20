/*
 * fuzz_marking.c -- libFuzzer target for the display-marking codec.
 *
 * Markings are typed by people and pasted from documents, so the parser
 * sees anything.  Not crashing is not enough: a marking the parser accepts
 * must come back as the same label through the canonical marking and
 * through STANAG 4774 XML, or a label could change meaning on its way
 * between two nodes.  The check itself is fuzzCheckMarking() in
 * fuzz_checks.h, shared with tests/unit/test_fuzz_regress.c.
 *
 *   make build/fuzz/fuzz_marking
 *   build/fuzz/fuzz_marking -dict=fuzz/marking.dict fuzz/corpus/marking
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
        fprintf(stderr, "fuzz_marking: %s\n", why);
        exit(1);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char why[16384];
    if (fuzzCheckMarking(&env, data, size, why, sizeof(why)) != 0) {
        fprintf(stderr, "fuzz_marking: property broken: %s\n", why);
        abort();
    }
    return 0;
}
