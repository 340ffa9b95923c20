/*
 * fuzz_planio.c -- libFuzzer target for the planning store's CSV and JSON
 * readers (src/plan/io.c): files from outside, read by `plan import`.
 * The property (all or nothing, errors that name the file, no transaction
 * left open) is in fuzz_planio_check.h, shared with the replay in make
 * check.
 *
 * Run from the repository root (or set PARTNERNET_ROOT): the shipped
 * registry is loaded once, at start-up.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_planio_check.h"

static FuzzEnv env;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    char why[1024];
    if (fuzzEnvLoad(&env, why, sizeof(why)) != 0) {
        fprintf(stderr, "fuzz_planio: %s\n", why);
        exit(1);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char why[1024];
    if (fuzzCheckPlanio(&env, data, size, why, sizeof(why)) != 0) {
        fprintf(stderr, "fuzz_planio: property broken: %s\n", why);
        abort();
    }
    return 0;
}
