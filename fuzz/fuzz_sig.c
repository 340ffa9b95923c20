/*
 * fuzz_sig.c -- libFuzzer target for origin signature tokens and label
 * binding data objects: what a relay or a file controls reaches
 * signVerify and bindingVerify.  The property is in fuzz_sig_check.h,
 * shared with the replay in make check.
 *
 *   make build/fuzz/fuzz_sig
 *   build/fuzz/fuzz_sig fuzz/corpus/sig
 *
 * Run from the repository root (or set PARTNERNET_ROOT): the shipped
 * registry and policy are loaded once, at start-up.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_sig_check.h"

static FuzzEnv env;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    char why[1024];
    if (fuzzEnvLoad(&env, why, sizeof(why)) != 0) {
        fprintf(stderr, "fuzz_sig: %s\n", why);
        exit(1);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char why[512];
    if (fuzzCheckSig(&env, data, size, why, sizeof(why)) != 0) {
        fprintf(stderr, "fuzz_sig: %s\n", why);
        abort();
    }
    return 0;
}
