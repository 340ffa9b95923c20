/*
 * test_retained.c -- the retained-message store: one message per topic
 * found by hash, usage per principal and for the node, and the caps
 * (issue 10, item 16): the (N+1)th topic of one principal is refused, a
 * replacement of one of its topics and a deletion are accepted, other
 * principals are unaffected, pending publishes count, and 60,000 topics
 * are stored, replaced and deleted with exact accounting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/exchange/retained.h"

#define LABEL "NATO UNCLASSIFIED"

/* A retained message of who on topic with payload (refs = 1). */
static Message *msg(const char *who, const char *topic, const char *payload) {
    DecideLabel dl;
    memset(&dl, 0, sizeof(dl));
    Message *m = messageNew("n", 0, who, topic, strlen(topic), LABEL, &dl, NULL, 0,
                            (const uint8_t *)payload, (uint32_t)strlen(payload), 1, 1, 0);
    assert_non_null(m);
    return m;
}

/* Check, then store when the check passed; returns the check's answer. */
static int put(RetainedStore *r, const RetainedLimits *lim, const char *who, const char *topic,
               const char *payload, const char **why) {
    Message *m = msg(who, topic, payload);
    *why = NULL;
    int rc = retainedCheck(r, lim, m, NULL, why);
    if (rc == 0) assert_int_equal(retainedPut(r, m), 0);
    messageUnref(m);
    return rc;
}

static uint64_t countOf(const RetainedStore *r, const char *who) {
    uint64_t c, b;
    retainedUsage(r, who, &c, &b);
    return c;
}

static void test_cap_per_principal(void **state) {
    (void)state;
    RetainedStore *r = retainedNew();
    assert_non_null(r);
    RetainedLimits lim = {0, 0, 3, 0};
    const char *why;
    assert_int_equal(put(r, &lim, "alice", "t/1", "a", &why), 0);
    assert_int_equal(put(r, &lim, "alice", "t/2", "b", &why), 0);
    assert_int_equal(put(r, &lim, "alice", "t/3", "c", &why), 0);
    /* The fourth topic of alice passes her cap. */
    assert_int_equal(put(r, &lim, "alice", "t/4", "d", &why), -1);
    assert_string_equal(why, "the publisher holds its maximum number of retained messages");
    assert_null(retainedGet(r, "t/4"));
    /* Replacing one of her topics (larger) is accepted and replaces it. */
    assert_int_equal(put(r, &lim, "alice", "t/2", "bigger payload", &why), 0);
    Message *got = retainedGet(r, "t/2");
    assert_non_null(got);
    assert_memory_equal(got->payload, "bigger payload", 14);
    assert_int_equal(countOf(r, "alice"), 3);
    assert_int_equal(retainedCount(r), 3);
    /* Another principal has its own account. */
    assert_int_equal(put(r, &lim, "bob", "t/4", "d", &why), 0);
    assert_int_equal(countOf(r, "bob"), 1);
    /* A deletion is always accepted and frees a slot. */
    assert_int_equal(put(r, &lim, "alice", "t/1", "", &why), 0);
    assert_null(retainedGet(r, "t/1"));
    assert_int_equal(countOf(r, "alice"), 2);
    assert_int_equal(put(r, &lim, "alice", "t/5", "e", &why), 0);
    /* bob's t/4 taken over by alice: it moves to her account, which is full. */
    assert_int_equal(put(r, &lim, "alice", "t/4", "x", &why), -1);
    lim.maxCountPerPrincipal = 4;
    assert_int_equal(put(r, &lim, "alice", "t/4", "x", &why), 0);
    assert_int_equal(countOf(r, "bob"), 0);
    assert_int_equal(countOf(r, "alice"), 4);
    /* Caps lowered below what is held: replacing still works, adding not. */
    lim.maxCountPerPrincipal = 1;
    assert_int_equal(put(r, &lim, "alice", "t/3", "c2", &why), 0);
    assert_int_equal(put(r, &lim, "alice", "t/9", "z", &why), -1);
    retainedFree(r);
}

static void test_bytes_and_node_caps(void **state) {
    (void)state;
    RetainedStore *r = retainedNew();
    const char *why;
    Message *probe = msg("alice", "b/1", "0123456789");
    uint64_t one = retainedMessageBytes(probe);
    messageUnref(probe);
    assert_int_equal(one, strlen("b/1") + 10 + strlen(LABEL));
    RetainedLimits lim = {0, 0, 0, 2 * one};
    assert_int_equal(put(r, &lim, "alice", "b/1", "0123456789", &why), 0);
    assert_int_equal(put(r, &lim, "alice", "b/2", "0123456789", &why), 0);
    assert_int_equal(put(r, &lim, "alice", "b/3", "0", &why), -1);
    assert_string_equal(why, "the publisher holds its maximum bytes of retained messages");
    assert_int_equal(put(r, &lim, "alice", "b/2", "01234", &why), 0); /* smaller: fits */
    assert_int_equal(retainedBytes(r), 2 * one - 5);
    /* The node's caps count every principal. */
    RetainedLimits node = {3, 0, 0, 0};
    assert_int_equal(put(r, &node, "bob", "b/3", "x", &why), 0);
    assert_int_equal(put(r, &node, "carol", "b/4", "x", &why), -1);
    assert_string_equal(why, "the node holds its maximum number of retained messages");
    assert_int_equal(put(r, &node, "carol", "b/3", "y", &why), 0); /* replacement */
    RetainedLimits nodeBytes = {0, retainedBytes(r), 0, 0};
    assert_int_equal(put(r, &nodeBytes, "dave", "b/5", "x", &why), -1);
    assert_string_equal(why, "the node holds its maximum bytes of retained messages");
    retainedFree(r);
}

/* Publishes accepted but not stored yet count against the caps. */
static void test_pending(void **state) {
    (void)state;
    RetainedStore *r = retainedNew();
    const char *why;
    RetainedLimits lim = {0, 0, 3, 0};
    assert_int_equal(put(r, &lim, "alice", "p/1", "a", &why), 0);
    Message *m = msg("alice", "p/2", "b");
    RetainedPending pend = {2, 2, 2, 2};
    assert_int_equal(retainedCheck(r, &lim, m, &pend, &why), -1);
    pend.count = 1;
    assert_int_equal(retainedCheck(r, &lim, m, &pend, &why), 0);
    RetainedLimits node = {3, 0, 0, 0};
    pend.nodeCount = 2;
    assert_int_equal(retainedCheck(r, &node, m, &pend, &why), -1);
    messageUnref(m);
    retainedFree(r);
}

/* 60,000 topics: every one found, replaced, deleted; accounting exact. */
static void test_many(void **state) {
    (void)state;
    RetainedStore *r = retainedNew();
    RetainedLimits none = {0, 0, 0, 0};
    const char *why;
    char topic[32];
    enum { N = 60000 };
    for (int i = 0; i < N; i++) {
        snprintf(topic, sizeof(topic), "many/%d", i);
        assert_int_equal(put(r, &none, i % 2 ? "odd" : "even", topic, "v1", &why), 0);
    }
    assert_int_equal(retainedCount(r), N);
    assert_int_equal(countOf(r, "odd"), N / 2);
    for (int i = 0; i < N; i += 3) {
        snprintf(topic, sizeof(topic), "many/%d", i);
        assert_int_equal(put(r, &none, "odd", topic, "v2", &why), 0);
    }
    assert_int_equal(retainedCount(r), N);
    for (int i = 0; i < N; i++) {
        snprintf(topic, sizeof(topic), "many/%d", i);
        Message *m = retainedGet(r, topic);
        assert_non_null(m);
        assert_memory_equal(m->payload, i % 3 ? "v1" : "v2", 2);
        assert_string_equal(m->publisher, i % 3 == 0 || i % 2 ? "odd" : "even");
    }
    for (int i = 0; i < N; i++) {
        snprintf(topic, sizeof(topic), "many/%d", i);
        assert_int_equal(put(r, &none, "anyone", topic, "", &why), 0);
    }
    assert_int_equal(retainedCount(r), 0);
    assert_int_equal(retainedBytes(r), 0);
    assert_int_equal(countOf(r, "odd"), 0);
    assert_int_equal(countOf(r, "even"), 0);
    retainedFree(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap_per_principal),
        cmocka_unit_test(test_bytes_and_node_caps),
        cmocka_unit_test(test_pending),
        cmocka_unit_test(test_many),
    };
    return cmocka_run_group_tests_name("retained", tests, NULL, NULL);
}
