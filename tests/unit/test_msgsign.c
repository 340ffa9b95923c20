/*
 * test_msgsign.c -- origin signatures on messages: the log record keeps
 * the token (version 2) and version 1 records of older logs still read;
 * the content type is found among other MQTT 5 properties (and not in
 * malformed ones); a commit's messages are signed 64 to a signature, each
 * verifying on its own, and an altered field or content type does not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/exchange/msgsign.h"
#include "../../src/mqtt/mqtt.h"

static Message *msg(uint64_t seq, const char *topic, const uint8_t *props, uint32_t propsLen) {
    DecideLabel dl;
    memset(&dl, 0, sizeof(dl));
    char payload[32];
    snprintf(payload, sizeof(payload), "payload %llu", (unsigned long long)seq);
    Message *m =
        messageNew("hq", seq, "pub", topic, strlen(topic), "NATO UNCLASSIFIED", &dl, props,
                   propsLen, (const uint8_t *)payload, (uint32_t)strlen(payload), 1, 0, 1764000000);
    assert_non_null(m);
    return m;
}

static void test_record_keeps_token(void **state) {
    (void)state;
    Message *m = msg(7, "a/b", NULL, 0);
    m->sig = strdup("1.0011223344556677.0.1.SIG.");
    pnBuf rec;
    bufInit(&rec);
    messageEncode(m, &rec);
    assert_int_equal((uint8_t)rec.data[0], 2);
    MessageView v;
    assert_int_equal(messageView((const uint8_t *)rec.data, (uint32_t)rec.len, &v), 0);
    assert_int_equal(v.sigLen, strlen(m->sig));
    assert_memory_equal(v.sig, m->sig, v.sigLen);
    /* A version 1 record (before signatures): the same without the token. */
    free(m->sig);
    m->sig = NULL;
    rec.len = 0;
    messageEncode(m, &rec);
    rec.data[0] = 1;
    rec.len -= 4; /* the empty token's length */
    assert_int_equal(messageView((const uint8_t *)rec.data, (uint32_t)rec.len, &v), 0);
    assert_int_equal(v.sigLen, 0);
    assert_int_equal(v.originSeq, 7);
    rec.data[0] = 3;
    assert_int_equal(messageView((const uint8_t *)rec.data, (uint32_t)rec.len, &v), -1);
    bufFree(&rec);
    messageUnref(m);
}

static void test_content_type(void **state) {
    (void)state;
    MqttPropOut p;
    mqttPropInit(&p);
    mqttPropU32(&p, PROP_MESSAGE_EXPIRY, 60);
    mqttPropUser(&p, "k", 1, "v", 1);
    mqttPropVarint(&p, PROP_SUBSCRIPTION_ID, 300);
    mqttPropStr(&p, PROP_CONTENT_TYPE, "text/plain", 10);
    const char *ct;
    size_t n;
    assert_int_equal(msgContentType((const uint8_t *)bufStr(&p.b), (uint32_t)p.b.len, &ct, &n), 1);
    assert_int_equal(n, 10);
    assert_memory_equal(ct, "text/plain", 10);
    /* Cut short inside the content type: none found, nothing read past. */
    assert_int_equal(msgContentType((const uint8_t *)bufStr(&p.b), (uint32_t)p.b.len - 3, &ct, &n),
                     0);
    uint8_t unknown[] = {0x7f, 0, 1};
    assert_int_equal(msgContentType(unknown, sizeof(unknown), &ct, &n), 0);
    assert_int_equal(msgContentType(NULL, 0, &ct, &n), 0);
    mqttPropFree(&p);
}

static void test_sign_all(void **state) {
    (void)state;
    char dir[] = "/tmp/test_msgsign.XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/node.key", dir);
    SignKey *k = NULL;
    assert_int_equal(signKeyLoad(path, 1, &k, NULL, NULL), PN_OK);
    unlink(path);
    rmdir(dir);
    SignTrust t;
    signTrustInit(&t);
    assert_int_equal(signTrustSelf(&t, k, "hq"), PN_OK);
    MqttPropOut p;
    mqttPropInit(&p);
    mqttPropStr(&p, PROP_CONTENT_TYPE, "text/plain", 10);
    enum { N = 130 };
    Message *ms[N];
    for (int i = 0; i < N; i++)
        ms[i] = msg((uint64_t)i, "t", i % 2 ? (const uint8_t *)bufStr(&p.b) : NULL,
                    i % 2 ? (uint32_t)p.b.len : 0);
    assert_int_equal(msgSignAll(k, ms, N, NULL), PN_OK);
    char why[300];
    SignCache c;
    signCacheInit(&c);
    for (int i = 0; i < N; i++) {
        SignFields f;
        msgSignFields(ms[i], &f);
        assert_int_equal(f.contentTypeLen, i % 2 ? 10 : 0);
        if (signVerify(&t, &c, &f, ms[i]->sig, strlen(ms[i]->sig), why, sizeof(why)) != 0)
            fail_msg("message %d: %s", i, why);
        /* 64 + 64 + 2: the size in the token says which batch */
        assert_non_null(strstr(ms[i]->sig, i < 128 ? ".64." : ".2."));
        f.contentTypeLen = i % 2 ? 9 : 0; /* text/plai */
        f.topic = i % 2 ? f.topic : "u";
        assert_int_equal(signVerify(&t, &c, &f, ms[i]->sig, strlen(ms[i]->sig), why, sizeof(why)),
                         -1);
    }
    for (int i = 0; i < N; i++)
        messageUnref(ms[i]);
    mqttPropFree(&p);
    signTrustFree(&t);
    signKeyFree(k);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_keeps_token),
        cmocka_unit_test(test_content_type),
        cmocka_unit_test(test_sign_all),
    };
    return cmocka_run_group_tests_name("msgsign", tests, NULL, NULL);
}
