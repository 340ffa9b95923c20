/*
 * test_exchange.c -- the exchange alone, with fake front-end hooks: what a
 * subscriber is sent, in what order, and what comes again.  A queue that
 * fills is refilled from the log in order; unacknowledged messages are
 * resent with DUP and their packet ids after a reconnect; a QoS 2 message
 * whose PUBREC came on the old connection gets its PUBREL again; a second
 * connection to a session takes it over; a message decide() refuses is
 * never sent.  A real exchange on a temporary data directory.
 */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/exchange/exchange.h"
#include "../../src/exchange/message.h"

/* ---- a fake connection ----------------------------------------------------- */

#define FAKE_MAX 64

typedef struct FakeConn {
    int refuse;                 /* send answers -1: the connection cannot take more now */
    int n;                      /* PUBLISHes sent */
    char payload[FAKE_MAX][16]; /* what each carried */
    uint16_t packetId[FAKE_MAX];
    uint8_t dup[FAKE_MAX], qos[FAKE_MAX];
    int nreleased;
    uint16_t released[FAKE_MAX];
    int nacks;
    uint8_t ackReason[FAKE_MAX];
} FakeConn;

static int fakeSend(void *conn, Session *s, Outgoing *o) {
    FakeConn *c = conn;
    (void)s;
    if (c->refuse || c->n == FAKE_MAX) return -1;
    snprintf(c->payload[c->n], sizeof(c->payload[0]), "%.*s", (int)o->m->payloadLen,
             (const char *)o->m->payload);
    c->packetId[c->n] = o->packetId;
    c->dup[c->n] = o->dup;
    c->qos[c->n] = o->qos;
    c->n++;
    return 0;
}

static void fakeRelease(void *conn, uint16_t packetId) {
    FakeConn *c = conn;
    if (c->nreleased < FAKE_MAX) c->released[c->nreleased++] = packetId;
}

static void fakeAck(void *conn, uint16_t packetId, uint8_t qos, uint8_t reason, const char *why) {
    FakeConn *c = conn;
    (void)packetId, (void)qos, (void)why;
    if (c->nacks < FAKE_MAX) c->ackReason[c->nacks++] = reason;
}

static void fakeRevoke(void *conn) {
    (void)conn;
}

static const ExchangeHooks fakeHooks = {fakeSend, fakeRelease, fakeAck, fakeRevoke};

/* ---- set-up ------------------------------------------------------------------ */

typedef struct Env {
    Fixture *fx;
    char dir[64];
    Exchange *x;
    Principal usa, swe; /* USA COSMIC TOP SECRET publisher; SWE NATO RESTRICTED reader */
    FakeConn pubConn;
    Session *pub;
} Env;

static Principal principal(Fixture *fx, const char *spec) {
    Principal p;
    pnError err = {0};
    if (principalParse(&p, spec, &fx->reg, &fx->spif, &err) != PN_OK) fail_msg("%s", err.msg);
    return p;
}

static int setUp(void **state, uint32_t maxQueued) {
    static Env env;
    Fixture *fx = *state; /* the group's (fixtureSetup) */
    memset(&env, 0, sizeof(env));
    env.fx = fx;
    snprintf(env.dir, sizeof(env.dir), "/tmp/pn-test-exchange-XXXXXX");
    if (!mkdtemp(env.dir)) return -1;
    ExchangeOptions o = {.node = "hq", .maxQueued = maxQueued};
    pnError err = {0};
    if (exchangeOpen(&env.x, env.dir, &o, &env.fx->reg, &env.fx->spif, NULL, &err) != PN_OK) {
        fprintf(stderr, "exchangeOpen: %s\n", err.msg);
        return -1;
    }
    env.usa = principal(env.fx, "nation=USA,clearance=CTS");
    env.swe = principal(env.fx, "nation=SWE,clearance=NR");
    int present;
    void *taken;
    env.pub = exchangeAttach(env.x, "publisher", "usa", &env.usa, 1, 0, 100, &fakeHooks,
                             &env.pubConn, &present, &taken);
    *state = &env;
    return env.pub ? 0 : -1;
}

static int setUpSmall(void **state) {
    return setUp(state, 4);
}

static int setUpLarge(void **state) {
    return setUp(state, 1000);
}

static int tearDown(void **state) {
    Env *env = *state;
    exchangeClose(env->x);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", env->dir);
    *state = env->fx;
    return system(cmd);
}

/* Publish payload on topic with label at qos, then commit (fsync, fan-out). */
static void publish(Env *env, const char *topic, const char *label, const char *payload,
                    uint8_t qos) {
    static uint16_t id;
    const char *why = NULL;
    int rc = exchangePublish(env->x, env->pub, topic, strlen(topic), label, strlen(label), NULL, 0,
                             (const uint8_t *)payload, (uint32_t)strlen(payload), qos, 0,
                             qos ? ++id : 0, &why);
    if (rc != 0) fail_msg("publish %s refused: 0x%02x %s", payload, rc, why ? why : "");
    pnError err = {0};
    if (exchangeCommit(env->x, &err) != PN_OK) fail_msg("commit: %s", err.msg);
}

static Session *attach(Env *env, const char *id, FakeConn *c, int clean, uint16_t window,
                       int *present, void **taken) {
    void *ignored;
    Session *s = exchangeAttach(env->x, id, "swe", &env->swe, clean, UINT32_MAX, window, &fakeHooks,
                                c, present, taken ? taken : &ignored);
    assert_non_null(s);
    return s;
}

#define NU "NATO UNCLASSIFIED"

/* ---- tests ------------------------------------------------------------------- */

/* Ten QoS 1 messages for an offline subscriber whose queue holds 4: the
 * rest wait in the log, and come in order once the queue drains. */
static void test_overflow_refills_in_order(void **state) {
    Env *env = *state;
    FakeConn c = {0};
    int present;
    Session *s = attach(env, "reader", &c, 1, 100, &present, NULL);
    assert_int_equal(exchangeSubscribe(env->x, s, "t/#", 1, 0), 1);
    exchangeDetach(env->x, s);
    char p[16];
    for (int i = 0; i < 10; i++) {
        snprintf(p, sizeof(p), "m%d", i);
        publish(env, "t/x", NU, p, 1);
    }
    assert_int_equal(env->pubConn.nacks, 10);
    assert_int_equal(s->qlen, 4); /* the queue is full ... */
    assert_true(s->overflow);     /* ... and the rest waits in the log */
    s = attach(env, "reader", &c, 0, 100, &present, NULL);
    assert_int_equal(present, 1);
    exchangeDrain(env->x, s);
    for (int round = 0; round < 10 && c.n < 10; round++) {
        int sent = c.n;
        for (int i = 0; i < sent; i++)
            exchangeAcked(env->x, s, c.packetId[i], 4 /* PUBACK */);
        exchangeDrain(env->x, s);
    }
    assert_int_equal(c.n, 10);
    for (int i = 0; i < 10; i++) {
        snprintf(p, sizeof(p), "m%d", i);
        assert_string_equal(c.payload[i], p);
    }
    assert_int_equal(s->dropped, 0);
    exchangeDetach(env->x, s);
}

/* Sent and not acknowledged: after a reconnect the same messages come again
 * with DUP and the same packet ids (MQTT 5 §4.4), then nothing more. */
static void test_resend_after_reconnect(void **state) {
    Env *env = *state;
    FakeConn c1 = {0}, c2 = {0};
    int present;
    Session *s = attach(env, "resend", &c1, 1, 100, &present, NULL);
    assert_int_equal(exchangeSubscribe(env->x, s, "r/#", 1, 0), 1);
    publish(env, "r/1", NU, "a", 1);
    publish(env, "r/1", NU, "b", 1);
    assert_int_equal(c1.n, 2);
    assert_int_equal(c1.dup[0], 0);
    exchangeAcked(env->x, s, c1.packetId[0], 4);
    exchangeDetach(env->x, s);
    s = attach(env, "resend", &c2, 0, 100, &present, NULL);
    exchangeDrain(env->x, s);
    assert_int_equal(c2.n, 1); /* "a" was acknowledged: not again */
    assert_string_equal(c2.payload[0], "b");
    assert_int_equal(c2.dup[0], 1);
    assert_int_equal(c2.packetId[0], c1.packetId[1]);
    exchangeDetach(env->x, s);
}

/* QoS 2: PUBREC on the first connection, then a reconnect: the PUBLISH is
 * not sent again, its PUBREL is; PUBCOMP finishes it. */
static void test_qos2_release_after_reconnect(void **state) {
    Env *env = *state;
    FakeConn c1 = {0}, c2 = {0};
    int present;
    Session *s = attach(env, "q2", &c1, 1, 100, &present, NULL);
    assert_int_equal(exchangeSubscribe(env->x, s, "q/#", 2, 0), 2);
    publish(env, "q/1", NU, "two", 2);
    assert_int_equal(c1.n, 1);
    assert_int_equal(c1.qos[0], 2);
    exchangeAcked(env->x, s, c1.packetId[0], 5 /* PUBREC */);
    exchangeDetach(env->x, s);
    s = attach(env, "q2", &c2, 0, 100, &present, NULL);
    exchangeDrain(env->x, s);
    assert_int_equal(c2.n, 0);
    assert_int_equal(c2.nreleased, 1);
    assert_int_equal(c2.released[0], c1.packetId[0]);
    exchangeAcked(env->x, s, c1.packetId[0], 7 /* PUBCOMP */);
    assert_int_equal(s->qlen, 0);
    assert_int_equal(s->inflight, 0);
    exchangeDetach(env->x, s);
}

/* A second connection with the same client id takes the session over: the
 * caller is handed the first connection to close, and deliveries go to the
 * second only. */
static void test_takeover(void **state) {
    Env *env = *state;
    FakeConn c1 = {0}, c2 = {0};
    int present;
    void *taken = NULL;
    Session *s = attach(env, "twice", &c1, 1, 100, &present, &taken);
    assert_null(taken);
    assert_int_equal(exchangeSubscribe(env->x, s, "k/#", 1, 0), 1);
    s = attach(env, "twice", &c2, 0, 100, &present, &taken);
    assert_ptr_equal(taken, &c1);
    assert_int_equal(present, 1);
    publish(env, "k/1", NU, "x", 1);
    assert_int_equal(c1.n, 0);
    assert_int_equal(c2.n, 1);
    exchangeDetach(env->x, s);
}

/* The receive window bounds what is in flight; a label SWE may not read is
 * never sent, however the queue moves. */
static void test_window_and_decide(void **state) {
    Env *env = *state;
    FakeConn c = {0};
    int present;
    Session *s = attach(env, "window", &c, 1, 2, &present, NULL);
    assert_int_equal(exchangeSubscribe(env->x, s, "w/#", 1, 0), 1);
    publish(env, "w/1", NU, "1", 1);
    publish(env, "w/1", "NATO SECRET", "secret", 1); /* above SWE's clearance */
    publish(env, "w/1", NU, "2", 1);
    publish(env, "w/1", NU, "3", 1);
    assert_int_equal(c.n, 2); /* window 2 */
    exchangeAcked(env->x, s, c.packetId[0], 4);
    exchangeAcked(env->x, s, c.packetId[1], 4);
    assert_int_equal(c.n, 3);
    for (int i = 0; i < c.n; i++)
        assert_string_not_equal(c.payload[i], "secret");
    assert_string_equal(c.payload[2], "3");
    exchangeDetach(env->x, s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_overflow_refills_in_order, setUpSmall, tearDown),
        cmocka_unit_test_setup_teardown(test_resend_after_reconnect, setUpLarge, tearDown),
        cmocka_unit_test_setup_teardown(test_qos2_release_after_reconnect, setUpLarge, tearDown),
        cmocka_unit_test_setup_teardown(test_takeover, setUpLarge, tearDown),
        cmocka_unit_test_setup_teardown(test_window_and_decide, setUpLarge, tearDown),
    };
    return cmocka_run_group_tests_name("exchange", tests, fixtureSetup, fixtureTeardown);
}
