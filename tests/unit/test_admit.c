/*
 * test_admit.c -- the node's connection caps (src/node/admit.c): the
 * oldest unauthenticated connection of an address makes room for a new
 * one past the per-address cap, the oldest of all past the node-wide cap,
 * the total cap refuses once only authenticated connections are left, and
 * releases keep the counts right.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/node/admit.h"

#define NCONN 16

static Admit adm;
static NodeConn conns[NCONN];
static int evicted[NCONN]; /* order of eviction, 1-based; 0 = not evicted */
static int nevicted;

/* What a front-end does: close, which releases. */
static void onEvict(NodeConn *nc) {
    evicted[nc - conns] = ++nevicted;
    admitRelease(&adm, nc);
}

static void setUp(uint32_t total, uint32_t unauth, uint32_t perAddr) {
    AdmitLimits lim = {.maxConnections = total,
                       .maxUnauthenticated = unauth,
                       .maxUnauthPerAddress = perAddr,
                       .fdReserve = 1};
    admitInit(&adm, &lim);
    adm.cap = total; /* the test is about the caps, not this process's file limit */
    memset(conns, 0, sizeof(conns));
    memset(evicted, 0, sizeof(evicted));
    nevicted = 0;
}

static void test_per_address(void **state) {
    (void)state;
    setUp(100, 100, 2);
    assert_int_equal(admitAccept(&adm, &conns[0], "10.0.0.1", onEvict), 1);
    assert_int_equal(admitAccept(&adm, &conns[1], "10.0.0.2", onEvict), 1);
    assert_int_equal(admitAccept(&adm, &conns[2], "10.0.0.1", onEvict), 1);
    /* a third from 10.0.0.1: its oldest (0) goes, not 10.0.0.2's */
    assert_int_equal(admitAccept(&adm, &conns[3], "10.0.0.1", onEvict), 1);
    assert_int_equal(evicted[0], 1);
    assert_int_equal(evicted[1], 0);
    assert_int_equal(adm.unauth, 3);
    assert_int_equal(adm.total, 3);
    /* an authenticated connection no longer counts against its address */
    admitAuthenticated(&adm, &conns[2]);
    assert_int_equal(admitAccept(&adm, &conns[4], "10.0.0.1", onEvict), 1);
    assert_int_equal(nevicted, 1);
    assert_int_equal(adm.unauth, 3);
    assert_int_equal(adm.total, 4);
}

static void test_node_wide(void **state) {
    (void)state;
    setUp(100, 3, 64);
    for (int i = 0; i < 3; i++) {
        char addr[16];
        assert_true(snprintf(addr, sizeof(addr), "10.0.0.%d", i) < (int)sizeof(addr));
        assert_int_equal(admitAccept(&adm, &conns[i], addr, onEvict), 1);
    }
    assert_int_equal(admitAccept(&adm, &conns[3], "10.9.9.9", onEvict), 1);
    assert_int_equal(evicted[0], 1); /* the oldest of all */
    assert_int_equal(adm.unauth, 3);
    char line[512];
    assert_int_equal(admitReport(&adm, line, sizeof(line)), 1);
    assert_non_null(strstr(line, "0 refused, 1 unauthenticated connections closed"));
    assert_int_equal(admitReport(&adm, line, sizeof(line)), 0); /* said once */
}

static void test_total_cap(void **state) {
    (void)state;
    setUp(3, 100, 64);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(admitAccept(&adm, &conns[i], "10.0.0.1", onEvict), 1);
        if (i) admitAuthenticated(&adm, &conns[i]);
    }
    /* full: the one unauthenticated connection makes room */
    assert_int_equal(admitAccept(&adm, &conns[3], "10.0.0.2", onEvict), 1);
    assert_int_equal(evicted[0], 1);
    admitAuthenticated(&adm, &conns[3]);
    /* full of authenticated ones: refused, nobody closed */
    assert_int_equal(admitAccept(&adm, &conns[4], "10.0.0.2", onEvict), 0);
    assert_int_equal(nevicted, 1);
    assert_int_equal(adm.total, 3);
    char line[512];
    assert_int_equal(admitReport(&adm, line, sizeof(line)), 1);
    assert_non_null(strstr(line, "1 refused"));
    /* a release frees a place; releasing twice changes nothing */
    admitRelease(&adm, &conns[1]);
    admitRelease(&adm, &conns[1]);
    assert_int_equal(adm.total, 2);
    assert_int_equal(admitAccept(&adm, &conns[5], "10.0.0.2", onEvict), 1);
    assert_int_equal(adm.total, 3);
}

/* The per-principal cap: a quarter of the connection cap unless set, at
 * least 1; logins refused while password checks were busy are reported. */
static void test_per_principal_and_busy(void **state) {
    (void)state;
    AdmitLimits lim = {.maxConnections = 12, .fdReserve = 1};
    admitInit(&adm, &lim);
    if (adm.cap == 12) assert_int_equal(adm.perPrincipal, 3);
    lim.maxConnections = 2;
    admitInit(&adm, &lim);
    assert_int_equal(adm.perPrincipal, 1);
    lim.maxPerPrincipal = 7;
    admitInit(&adm, &lim);
    assert_int_equal(adm.perPrincipal, 7);
    char line[512];
    assert_int_equal(admitReport(&adm, line, sizeof(line)), 0);
    admitLoginBusy(&adm);
    admitLoginBusy(&adm);
    assert_int_equal(admitReport(&adm, line, sizeof(line)), 1);
    assert_non_null(strstr(line, "2 logins refused while password checks were busy"));
    assert_int_equal(admitReport(&adm, line, sizeof(line)), 0); /* said once */
}

static void test_file_limit(void **state) {
    (void)state;
    AdmitLimits lim = {.maxConnections = 1000000};
    admitInit(&adm, &lim);
    /* the cap leaves the reserve and what is open now below the limit */
    if (adm.fdMax) assert_true((uint64_t)adm.cap + adm.lim.fdReserve < adm.fdMax);
    assert_true(adm.cap >= 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_per_address),
        cmocka_unit_test(test_node_wide),
        cmocka_unit_test(test_total_cap),
        cmocka_unit_test(test_file_limit),
        cmocka_unit_test(test_per_principal_and_busy),
    };
    return cmocka_run_group_tests_name("admit", tests, NULL, NULL);
}
