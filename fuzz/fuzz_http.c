/*
 * fuzz_http.c -- libFuzzer target for what the HTTP API does with client
 * bytes before any decision: routing, query strings and the JSON payload
 * check (fuzz_http_check.h, shared with tests/unit/test_fuzz_regress.c).
 *
 *   make build/fuzz/fuzz_http
 *   build/fuzz/fuzz_http fuzz/corpus/http
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_http_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char why[1024];
    if (fuzzCheckHttp(data, size, why, sizeof(why)) != 0) {
        fprintf(stderr, "fuzz_http: property broken: %s\n", why);
        abort();
    }
    return 0;
}
