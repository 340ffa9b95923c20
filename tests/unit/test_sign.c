/*
 * test_sign.c -- origin signatures: key file round trip and mode, batches
 * of every size 1..64 verifying message by message, every covered field
 * altered, a path moved to another index, unknown, revoked, out-of-date
 * and wrong-origin keys, trust-file errors, and the cache.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/core/sign.h"

static char dir[] = "/tmp/test_sign.XXXXXX";

static void pathIn(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/%s", dir, name);
}

static SignKey *newKey(const char *name) {
    char p[128];
    pathIn(p, sizeof(p), name);
    unlink(p);
    SignKey *k = NULL;
    int created = 0;
    assert_int_equal(signKeyLoad(p, 1, &k, &created, NULL), PN_OK);
    assert_int_equal(created, 1);
    return k;
}

static void writeFile(const char *name, const char *text) {
    char p[128];
    pathIn(p, sizeof(p), name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int loadTrust(SignTrust *t, const char *text, pnError *err) {
    writeFile("trust.keys", text);
    char p[128];
    pathIn(p, sizeof(p), "trust.keys");
    signTrustInit(t);
    return signTrustLoad(t, p, err);
}

/* A trust file line for k. */
static void trustLine(char *out, size_t cap, const SignKey *k, const char *origins,
                      const char *opts) {
    char pub[SIGN_PUB_B64];
    signKeyPublic(k, pub);
    snprintf(out, cap, "%s %s %s\n", origins, pub, opts);
}

typedef struct Msg {
    char origin[16], topic[32], label[64], payload[32], ct[24];
    SignFields f;
} Msg;

static void msgInit(Msg *m, int i) {
    snprintf(m->origin, sizeof(m->origin), "HQ");
    snprintf(m->topic, sizeof(m->topic), "ops/t%d", i);
    snprintf(m->label, sizeof(m->label), "NATO UNCLASSIFIED");
    snprintf(m->payload, sizeof(m->payload), "payload %d", i);
    snprintf(m->ct, sizeof(m->ct), "text/plain");
    m->f = (SignFields){m->origin,
                        strlen(m->origin),
                        (uint64_t)i + 1,
                        1764000000 + i,
                        m->topic,
                        strlen(m->topic),
                        m->label,
                        strlen(m->label),
                        (const uint8_t *)m->payload,
                        strlen(m->payload),
                        m->ct,
                        strlen(m->ct)};
}

static void signMsgs(const SignKey *k, Msg *m, size_t n, char **tok) {
    uint8_t leaves[SIGN_BATCH_MAX][32];
    for (size_t i = 0; i < n; i++)
        signLeaf(&m[i].f, leaves[i]);
    assert_int_equal(signBatch(k, (const uint8_t(*)[32])leaves, n, tok, NULL), PN_OK);
}

static int verify(const SignTrust *t, const SignFields *f, const char *tok, char *why) {
    return signVerify(t, NULL, f, tok, strlen(tok), why, 200);
}

static void test_key_file(void **state) {
    (void)state;
    SignKey *k = newKey("node.key");
    char p[128], pub1[SIGN_PUB_B64], pub2[SIGN_PUB_B64], fp[65];
    pathIn(p, sizeof(p), "node.key");
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    signKeyPublic(k, pub1);
    signKeyFingerprint(k, fp);
    assert_int_equal(strlen(fp), 64);
    assert_int_equal(strncmp(fp, signKeyId(k), 16), 0);
    SignKey *again = NULL;
    int created = 1;
    assert_int_equal(signKeyLoad(p, 1, &again, &created, NULL), PN_OK);
    assert_int_equal(created, 0);
    signKeyPublic(again, pub2);
    assert_string_equal(pub1, pub2);
    signKeyFree(again);
    signKeyFree(k);
    SignKey *none = NULL;
    pathIn(p, sizeof(p), "absent.key");
    assert_int_equal(signKeyLoad(p, 0, &none, NULL, NULL), PN_ENOENT);
    writeFile("bad.key", "not a key\n");
    pathIn(p, sizeof(p), "bad.key");
    pnError err = {0};
    assert_int_equal(signKeyLoad(p, 1, &none, NULL, &err), PN_EINVAL);
    assert_non_null(strstr(err.msg, "Ed25519"));
}

/* Every batch size: every message verifies alone, and only with its own
 * token (a token moved to a neighbour fails). */
static void test_batches(void **state) {
    (void)state;
    SignKey *k = newKey("hq.key");
    SignTrust t;
    char line[200], why[200];
    trustLine(line, sizeof(line), k, "HQ", "");
    assert_int_equal(loadTrust(&t, line, NULL), PN_OK);
    Msg m[SIGN_BATCH_MAX];
    char *tok[SIGN_BATCH_MAX];
    for (size_t n = 1; n <= SIGN_BATCH_MAX; n++) {
        for (size_t i = 0; i < n; i++)
            msgInit(&m[i], (int)i);
        signMsgs(k, m, n, tok);
        for (size_t i = 0; i < n; i++) {
            assert_true(strlen(tok[i]) < SIGN_TOKEN_MAX);
            if (verify(&t, &m[i].f, tok[i], why) != 0) fail_msg("n=%zu i=%zu: %s", n, i, why);
            if (n > 1) assert_int_equal(verify(&t, &m[i].f, tok[(i + 1) % n], why), -1);
        }
        for (size_t i = 0; i < n; i++)
            free(tok[i]);
    }
    signTrustFree(&t);
    signKeyFree(k);
}

/* Each covered field changed by one byte is refused. */
static void test_tampering(void **state) {
    (void)state;
    SignKey *k = newKey("hq.key");
    SignTrust t;
    char line[200], why[200];
    trustLine(line, sizeof(line), k, "HQ,SWE", "");
    assert_int_equal(loadTrust(&t, line, NULL), PN_OK);
    Msg m[5];
    char *tok[5];
    for (int i = 0; i < 5; i++)
        msgInit(&m[i], i);
    signMsgs(k, m, 5, tok);
    assert_int_equal(verify(&t, &m[2].f, tok[2], why), 0);
    for (int field = 0; field < 7; field++) {
        Msg x = m[2];
        x.f.origin = x.origin, x.f.topic = x.topic, x.f.label = x.label;
        x.f.payload = (const uint8_t *)x.payload, x.f.contentType = x.ct;
        switch (field) {
        case 0: /* another origin the key may sign for */
            snprintf(x.origin, sizeof(x.origin), "SWE");
            x.f.originLen = 3;
            break;
        case 1:
            x.f.seq++;
            break;
        case 2:
            x.f.time++;
            break;
        case 3:
            x.topic[0] ^= 1;
            break;
        case 4:
            x.label[5] = 'S';
            break;
        case 5:
            x.payload[0] ^= 1;
            break;
        case 6:
            x.f.contentTypeLen = 0;
            break;
        }
        assert_int_equal(verify(&t, &x.f, tok[2], why), -1);
        if (field == 0) assert_non_null(strstr(why, "does not match"));
    }
    /* The token itself altered: signature byte, index, path. */
    char bad[SIGN_TOKEN_MAX];
    snprintf(bad, sizeof(bad), "%s", tok[2]);
    char *sig = strchr(strchr(strchr(strchr(bad, '.') + 1, '.') + 1, '.') + 1, '.') + 1;
    sig[3] = sig[3] == 'A' ? 'B' : 'A';
    assert_int_equal(verify(&t, &m[2].f, bad, why), -1);
    assert_int_equal(verify(&t, &m[2].f, "1.abc", why), -1);
    assert_non_null(strstr(why, "malformed"));
    assert_int_equal(signVerify(&t, NULL, &m[2].f, NULL, 0, why, sizeof(why)), -1);
    assert_string_equal(why, "no signature");
    for (int i = 0; i < 5; i++)
        free(tok[i]);
    signTrustFree(&t);
    signKeyFree(k);
}

/* Unknown key, wrong origin, validity dates and revocation. */
static void test_trust_rules(void **state) {
    (void)state;
    SignKey *old = newKey("old.key"), *cur = newKey("new.key");
    Msg m;
    msgInit(&m, 0);
    m.f.time = 1767225600; /* 2026-01-01 00:00:00 */
    char *tOld, *tCur, why[200], a[200], b[200], text[420];
    signMsgs(old, &m, 1, &tOld);
    signMsgs(cur, &m, 1, &tCur);
    SignTrust t;
    trustLine(a, sizeof(a), cur, "HQ", "from=2026-01-01");
    assert_int_equal(loadTrust(&t, a, NULL), PN_OK);
    assert_int_equal(verify(&t, &m.f, tOld, why), -1);
    assert_non_null(strstr(why, "unknown key"));
    assert_int_equal(verify(&t, &m.f, tCur, why), 0);
    signTrustFree(&t);
    /* Rotation: the old key until 2025-12-31 covers nothing from 2026 on. */
    trustLine(a, sizeof(a), old, "HQ", "until=2025-12-31");
    trustLine(b, sizeof(b), cur, "HQ", "from=2026-01-01");
    assert_true(snprintf(text, sizeof(text), "# rotation\n%s%s", a, b) < (int)sizeof(text));
    assert_int_equal(loadTrust(&t, text, NULL), PN_OK);
    assert_int_equal(verify(&t, &m.f, tOld, why), -1);
    assert_non_null(strstr(why, "not valid at"));
    m.f.time -= 1; /* 2025-12-31 23:59:59: signed before its end */
    free(tOld);
    signMsgs(old, &m, 1, &tOld);
    assert_int_equal(verify(&t, &m.f, tOld, why), 0);
    signTrustFree(&t);
    trustLine(a, sizeof(a), old, "HQ", "until=2025-12-31 revoked");
    assert_int_equal(loadTrust(&t, a, NULL), PN_OK);
    assert_int_equal(verify(&t, &m.f, tOld, why), -1);
    assert_non_null(strstr(why, "revoked"));
    signTrustFree(&t);
    trustLine(a, sizeof(a), old, "SWE", "");
    assert_int_equal(loadTrust(&t, a, NULL), PN_OK);
    assert_int_equal(verify(&t, &m.f, tOld, why), -1);
    assert_non_null(strstr(why, "may not sign for origin HQ"));
    signTrustFree(&t);
    /* A node trusts its own key for its own name. */
    signTrustInit(&t);
    assert_int_equal(signTrustSelf(&t, old, "HQ"), PN_OK);
    assert_int_equal(verify(&t, &m.f, tOld, why), 0);
    signTrustFree(&t);
    free(tOld), free(tCur);
    signKeyFree(old), signKeyFree(cur);
}

static void test_trust_file_errors(void **state) {
    (void)state;
    SignTrust t;
    pnError err = {0};
    assert_int_equal(loadTrust(&t, "HQ\n", &err), PN_EINVAL);
    assert_non_null(strstr(err.msg, "trust.keys:1:"));
    signTrustFree(&t);
    assert_int_equal(loadTrust(&t, "# c\n\nHQ notbase64!\n", &err), PN_EINVAL);
    assert_non_null(strstr(err.msg, "trust.keys:3: the key is not base64"));
    signTrustFree(&t);
    SignKey *k = newKey("k.key");
    char line[200];
    trustLine(line, sizeof(line), k, "HQ", "from=2026-13-01");
    assert_int_equal(loadTrust(&t, line, &err), PN_EINVAL);
    assert_non_null(strstr(err.msg, "from= needs a date"));
    signTrustFree(&t);
    trustLine(line, sizeof(line), k, "HQ", "from=2026-02-01 until=2026-01-01");
    assert_int_equal(loadTrust(&t, line, &err), PN_EINVAL);
    signTrustFree(&t);
    trustLine(line, sizeof(line), k, "HQ", "forever");
    assert_int_equal(loadTrust(&t, line, &err), PN_EINVAL);
    assert_non_null(strstr(err.msg, "unknown word"));
    signTrustFree(&t);
    signKeyFree(k);
}

/* The cache answers for a root verified before, never for another
 * signature over the same root. */
static void test_cache(void **state) {
    (void)state;
    SignKey *k = newKey("hq.key");
    SignTrust t;
    char line[200], why[200];
    trustLine(line, sizeof(line), k, "HQ", "");
    assert_int_equal(loadTrust(&t, line, NULL), PN_OK);
    Msg m[3];
    char *tok[3];
    for (int i = 0; i < 3; i++)
        msgInit(&m[i], i);
    signMsgs(k, m, 3, tok);
    SignCache c;
    signCacheInit(&c);
    for (int i = 0; i < 3; i++)
        assert_int_equal(signVerify(&t, &c, &m[i].f, tok[i], strlen(tok[i]), why, 200), 0);
    char bad[SIGN_TOKEN_MAX];
    snprintf(bad, sizeof(bad), "%s", tok[1]);
    char *sig = strchr(strchr(strchr(strchr(bad, '.') + 1, '.') + 1, '.') + 1, '.') + 1;
    sig[10] = sig[10] == 'A' ? 'B' : 'A';
    assert_int_equal(signVerify(&t, &c, &m[1].f, bad, strlen(bad), why, 200), -1);
    for (int i = 0; i < 3; i++)
        free(tok[i]);
    signTrustFree(&t);
    signKeyFree(k);
}

static int setup(void **state) {
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_file),          cmocka_unit_test(test_batches),
        cmocka_unit_test(test_tampering),         cmocka_unit_test(test_trust_rules),
        cmocka_unit_test(test_trust_file_errors), cmocka_unit_test(test_cache),
    };
    return cmocka_run_group_tests_name("sign", tests, setup, teardown);
}
