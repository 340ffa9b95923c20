/*
 * test_fuzz_regress.c -- replay the fuzz corpora and saved crashes.
 *
 * Every file in fuzz/corpus/<target>/ (hand-written seeds) and in
 * fuzz/regress/<target>/ (inputs libFuzzer found crashing, leaking or
 * breaking a property) goes through the same check as the fuzz target,
 * from fuzz/fuzz_checks.h, under ASan and UBSan.  So a bug the fuzzer once
 * found stays found on every `make check`, without clang or libFuzzer.
 *
 * Run from the repository root (tests/run.sh does), or set
 * PARTNERNET_ROOT.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../fuzz/fuzz_http_check.h"
#include "../../fuzz/fuzz_mqtt_check.h"
#include "../../fuzz/fuzz_planio_check.h"
#include "../../fuzz/fuzz_session_check.h"
#include "../../fuzz/fuzz_sig_check.h"
#include "../../fuzz/fuzz_utf8_check.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../fuzz/fuzz_checks.h"
#include "../../src/core/str.h"

/* Larger than any input the fuzz targets are run with (-max_len). */
#define REPLAY_MAX_INPUT (1u << 20)

static FuzzEnv env;

typedef int (*CheckFn)(const uint8_t *data, size_t size, char *why, size_t cap);

static int checkMarking(const uint8_t *d, size_t n, char *why, size_t cap) {
    return fuzzCheckMarking(&env, d, n, why, cap);
}

static int checkXml(const uint8_t *d, size_t n, char *why, size_t cap) {
    return fuzzCheckXml(&env, d, n, why, cap);
}

static int checkSpif(const uint8_t *d, size_t n, char *why, size_t cap) {
    return fuzzCheckSpif(d, n, why, cap);
}

static int checkSession(const uint8_t *d, size_t n, char *why, size_t cap) {
    return fuzzCheckSession(&env, d, n, why, cap);
}

static int checkSig(const uint8_t *d, size_t n, char *why, size_t cap) {
    return fuzzCheckSig(&env, d, n, why, cap);
}

/* Skip dot files (.gitkeep, editor droppings): libFuzzer never writes them. */
static int isInput(const struct dirent *e) {
    return e->d_name[0] != '.';
}

/* Check one input; on failure say which and why, and return -1.  Failures
 * are counted rather than fail_msg()'d at once, so every broken input is
 * listed and nothing is leaked by the longjmp. */
static int replayFile(const char *path, CheckFn check) {
    static char why[16384];
    char *data;
    size_t len;
    int rc = fileRead(path, REPLAY_MAX_INPUT, &data, &len);
    if (rc != 0) {
        print_error("%s: cannot read (%s)\n", path, rc == -2 ? "too large" : "I/O error");
        return -1;
    }
    rc = check((const uint8_t *)data, len, why, sizeof(why));
    if (rc != 0) print_error("%s: %s\n", path, why);
    free(data);
    return rc;
}

/* Replay every regular file in dir, counting inputs and failures.  A
 * missing directory replays nothing (fuzz/regress/X/ appears only once
 * the fuzzer has found something). */
static void replayDir(const char *dir, CheckFn check, int *count, int *failed) {
    struct dirent **names;
    int n = scandir(dir, &names, isInput, alphasort);
    *count = *failed = 0;
    if (n < 0) return;
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            (*count)++;
            if (replayFile(path, check) != 0) (*failed)++;
        }
        free(names[i]);
    }
    free(names);
}

/* The seeds must be there (an empty corpus would make the test vacuous);
 * saved inputs may not be. */
static void replayTarget(const char *target, CheckFn check) {
    char seedDir[4096], savedDir[4096];
    int seeds, seedFails, saved, savedFails;
    snprintf(seedDir, sizeof(seedDir), "%s/fuzz/corpus/%s", fuzzRoot(), target);
    snprintf(savedDir, sizeof(savedDir), "%s/fuzz/regress/%s", fuzzRoot(), target);
    replayDir(seedDir, check, &seeds, &seedFails);
    replayDir(savedDir, check, &saved, &savedFails);
    print_message("# %s: %d seeds, %d saved inputs replayed\n", target, seeds, saved);
    if (seeds <= 0) fail_msg("%s: no seed inputs", seedDir);
    if (seedFails + savedFails)
        fail_msg("%s: %d of %d inputs break a property", target, seedFails + savedFails,
                 seeds + saved);
}

static void test_marking(void **state) {
    replayTarget("marking", checkMarking);
}
static void test_xml(void **state) {
    replayTarget("xml", checkXml);
}
static void test_spif(void **state) {
    replayTarget("spif", checkSpif);
}
static void test_mqtt(void **state) {
    replayTarget("mqtt", fuzzCheckMqtt);
}
static void test_http(void **state) {
    replayTarget("http", fuzzCheckHttp);
}
static void test_session(void **state) {
    replayTarget("session", checkSession);
}
static int checkPlanio(const uint8_t *d, size_t n, char *why, size_t cap) {
    return fuzzCheckPlanio(&env, d, n, why, cap);
}
static void test_planio(void **state) {
    replayTarget("planio", checkPlanio);
}
static void test_utf8(void **state) {
    replayTarget("utf8", fuzzCheckUtf8);
}

/* The session seeds do what they were written for: alice and bob log in
 * and bob receives messages (a node that refused every login would pass
 * the properties while testing nothing). */
static void test_session_seeds_run(void **state) {
    const char *seeds[] = {"v5_fanout", "shared"};
    for (size_t k = 0; k < sizeof(seeds) / sizeof(*seeds); k++) {
        char path[4200], why[16384];
        snprintf(path, sizeof(path), "%s/fuzz/corpus/session/%s", fuzzRoot(), seeds[k]);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        static uint8_t data[1 << 16];
        size_t n = fread(data, 1, sizeof(data), f);
        fclose(f);
        FuzzSessionCounts counts = {0};
        if (fuzzCheckSessionCounted(&env, data, n, why, sizeof(why), &counts) != 0)
            fail_msg("%s: %s", seeds[k], why);
        if (counts.loggedIn < 2 || counts.bobPublishes < 1)
            fail_msg("%s: %d logins accepted, %d messages to bob", seeds[k], counts.loggedIn,
                     counts.bobPublishes);
    }
}

static void test_sig(void **state) {
    replayTarget("sig", checkSig);
}

static int setupEnv(void **state) {
    char why[1024];
    if (fuzzEnvLoad(&env, why, sizeof(why)) != 0) {
        print_error("cannot load the shipped registry and policy: %s\n", why);
        return -1;
    }
    return 0;
}

static int teardownEnv(void **state) {
    fuzzEnvFree(&env);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marking),
        cmocka_unit_test(test_xml),
        cmocka_unit_test(test_spif),
        cmocka_unit_test(test_mqtt),
        cmocka_unit_test(test_http),
        cmocka_unit_test(test_session),
        cmocka_unit_test(test_session_seeds_run),
        cmocka_unit_test(test_sig),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_planio),
    };
    return cmocka_run_group_tests_name("fuzz_regress", tests, setupEnv, teardownEnv);
}
