/*
 * fuzz_session.c -- libFuzzer target for the MQTT server's whole session
 * state machine: sequences of packets (CONNECT, PUBLISH QoS 0/1/2, PUBREL,
 * SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT, garbage) on two connections
 * of a real node, with group commits and reconnects between them.  The
 * input format and the properties are in fuzz_session_check.h, shared
 * with tests/unit/test_fuzz_regress.c.
 *
 *   make build/fuzz/fuzz_session
 *   build/fuzz/fuzz_session fuzz/corpus/session
 *
 * Run from the repository root (or set PARTNERNET_ROOT): the shipped
 * registry and policy are loaded once, at start-up.  Each input gets a
 * fresh node in a temporary directory (under /dev/shm when it exists).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_session_check.h"

static FuzzEnv env;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    char why[1024];
    (void)argc, (void)argv;
    if (fuzzEnvLoad(&env, why, sizeof(why)) != 0) {
        fprintf(stderr, "fuzz_session: %s\n", why);
        exit(1);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char why[16384];
    if (fuzzCheckSession(&env, data, size, why, sizeof(why)) != 0) {
        fprintf(stderr, "fuzz_session: property broken: %s\n", why);
        abort();
    }
    return 0;
}
