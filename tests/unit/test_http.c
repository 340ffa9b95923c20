/*
 * test_http.c -- the HTTP API's pure parts: the routing table (404 vs 405,
 * path parameters), query-string decoding, and the bearer token store
 * (creation, hashed storage, lookup, revocation, reload when the file
 * changes, malformed files refused).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "../../src/core/str.h"
#include "../../src/core/jsoncheck.h"
#include "../../src/http/route.h"
#include "../../src/http/token.h"

/* ---- routing ------------------------------------------------------------ */

static void test_routes(void **state) {
    (void)state;
    RouteMatch m;
    assert_int_equal(routeMatch("GET", "/healthz", &m), ROUTE_HEALTHZ);
    assert_int_equal(routeMatch("POST", "/v1/messages", &m), ROUTE_MESSAGES_POST);
    assert_int_equal(routeMatch("GET", "/v1/messages", &m), ROUTE_MESSAGES_GET);
    assert_int_equal(routeMatch("GET", "/v1/stream", &m), ROUTE_STREAM);
    assert_int_equal(routeMatch("GET", "/v1/registry/nations/SWE", &m), ROUTE_NATION);
    assert_string_equal(m.param, "SWE");
    assert_int_equal(routeMatch("GET", "/v1/registry/frameworks/SAMPLE-NORTH/members", &m),
                     ROUTE_MEMBERS);
    assert_string_equal(m.param, "SAMPLE-NORTH");
    assert_int_equal(routeMatch("GET", "/v1/registry/frameworks/N%41TO/members", &m),
                     ROUTE_MEMBERS);
    assert_string_equal(m.param, "NATO");
    assert_int_equal(routeMatch("POST", "/v1/decide", &m), ROUTE_DECIDE);
    assert_int_equal(routeMatch("POST", "/v1/labels/convert", &m), ROUTE_LABEL_CONVERT);
    assert_int_equal(routeMatch("GET", "/v1/audit", &m), ROUTE_AUDIT);
    assert_int_equal(routeMatch("GET", "/metrics", &m), ROUTE_METRICS);
    assert_int_equal(routeMatch("GET", "/v1/plan/activities", &m), ROUTE_PLAN_ACTIVITIES);
    assert_int_equal(routeMatch("GET", "/v1/plan/programme/GEO", &m), ROUTE_PLAN_PROGRAMME);
    assert_string_equal(m.param, "GEO");
    assert_int_equal(routeMatch("GET", "/v1/plan/exercises", &m), ROUTE_PLAN_EXERCISES_GET);
    assert_int_equal(routeMatch("POST", "/v1/plan/exercises", &m), ROUTE_PLAN_EXERCISES_POST);
    assert_int_equal(routeMatch("POST", "/v1/plan/csbm", &m), ROUTE_PLAN_CSBM);
    assert_int_equal(routeMatch("GET", "/v1/plan/gaps", &m), ROUTE_PLAN_GAPS);
    assert_int_equal(routeMatch("GET", "/v1/plan/expenditure", &m), ROUTE_PLAN_EXPENDITURE);
    assert_int_equal(routeMatch("GET", "/v1/plan/interop", &m), ROUTE_PLAN_INTEROP);
}

static void test_route_errors(void **state) {
    (void)state;
    RouteMatch m;
    /* a known path, another method: 405 with the allowed ones */
    assert_int_equal(routeMatch("DELETE", "/v1/messages", &m), ROUTE_NONE);
    assert_string_equal(m.allow, "GET, POST");
    assert_int_equal(routeMatch("GET", "/v1/decide", &m), ROUTE_NONE);
    assert_string_equal(m.allow, "POST");
    assert_int_equal(routeMatch("POST", "/healthz", &m), ROUTE_NONE);
    assert_string_equal(m.allow, "GET");
    assert_int_equal(routeMatch("PUT", "/v1/plan/exercises", &m), ROUTE_NONE);
    assert_string_equal(m.allow, "GET, POST");
    assert_int_equal(routeMatch("GET", "/v1/plan/csbm", &m), ROUTE_NONE);
    assert_string_equal(m.allow, "POST");
    assert_int_equal(routeMatch("GET", "/v1/plan/programme/", &m), ROUTE_NONE);
    /* unknown paths under /v1: 404 */
    assert_int_equal(routeMatch("GET", "/v1/nope", &m), ROUTE_NONE);
    assert_null(m.allow);
    assert_int_equal(routeMatch("GET", "/v1/registry/nations/", &m), ROUTE_NONE);
    assert_int_equal(routeMatch("GET", "/v1/registry/nations/SWE/extra", &m), ROUTE_NONE);
    assert_int_equal(routeMatch("GET", "/v1/registry/frameworks//members", &m), ROUTE_NONE);
    assert_int_equal(routeMatch("GET", "/v1/registry/nations/%00", &m), ROUTE_NONE);
    /* anything else is a static file for GET only */
    assert_int_equal(routeMatch("GET", "/index.html", &m), ROUTE_STATIC);
    assert_int_equal(routeMatch("GET", "/", &m), ROUTE_STATIC);
    assert_int_equal(routeMatch("POST", "/index.html", &m), ROUTE_NONE);
    assert_null(m.allow);
}

static void test_query(void **state) {
    (void)state;
    char v[16];
    const char *q = "topic=intel%2F%23&since=node:5&limit=10&flag&x=a+b";
    assert_int_equal(queryGet(q, "topic", v, sizeof(v)), 1);
    assert_string_equal(v, "intel/#");
    assert_int_equal(queryGet(q, "since", v, sizeof(v)), 1);
    assert_string_equal(v, "node:5");
    assert_int_equal(queryGet(q, "flag", v, sizeof(v)), 1);
    assert_string_equal(v, "");
    assert_int_equal(queryGet(q, "x", v, sizeof(v)), 1);
    assert_string_equal(v, "a b");
    assert_int_equal(queryGet(q, "lim", v, sizeof(v)), 0);
    assert_int_equal(queryGet("", "a", v, sizeof(v)), 0);
    assert_int_equal(queryGet(NULL, "a", v, sizeof(v)), 0);
    assert_int_equal(queryGet("a=%zz", "a", v, sizeof(v)), -1);
    assert_int_equal(queryGet("a=%4", "a", v, sizeof(v)), -1);
    assert_int_equal(queryGet("a=%00", "a", v, sizeof(v)), -1);
    assert_int_equal(queryGet("a=0123456789abcdef", "a", v, sizeof(v)), -1); /* too long */
    assert_string_equal(v, "");
}

static void test_json_check(void **state) {
    (void)state;
    static const char *const good[] = {
        "1",
        "-0.5e+10",
        "\"a\\u00e9\\n\"",
        "true",
        " null ",
        "[]",
        "{}",
        "[1, [2, {\"a\": []}]]",
        "{\"k\": \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\", \"n\": -12.5}",
        "\"\\/\""};
    static const char *const bad[] = {"",
                                      " ",
                                      "01",
                                      "1.",
                                      "-",
                                      "1e",
                                      "tru",
                                      "nul",
                                      "[1,]",
                                      "{\"a\"}",
                                      "{\"a\": 1,}",
                                      "{1: 2}",
                                      "[1] [2]",
                                      "\"abc",
                                      "\"\\x\"",
                                      "\"\\u12\"",
                                      "\"\x01\"",
                                      "\"\xc3\"",
                                      "\"\xed\xa0\x80\"",
                                      "\"\xc0\xaf\"",
                                      "\"\xf4\x90\x80\x80\"",
                                      "\"\xfe\xa3\xb4\"", /* found by fuzz_http */
                                      "\"\xf5\x80\x80\x80\"",
                                      "{\"a\" 1}",
                                      "[",
                                      "]"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(jsonCheck(good[i], strlen(good[i])));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(jsonCheck(bad[i], strlen(bad[i])));
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    assert_false(jsonCheck(deep, 200)); /* deeper than JSONCHECK_MAX_DEPTH */
    assert_true(jsonCheck(deep + 40, 120));
    assert_false(jsonCheck("1\0", 2)); /* a NUL after the value */
}

/* ---- tokens ------------------------------------------------------------- */

static char dir[64], path[128];

static int tmpSetup(void **state) {
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/pn-test-tokens-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    snprintf(path, sizeof(path), "%s/tokens.json", dir);
    return 0;
}

static int tmpTeardown(void **state) {
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

static void test_token_create_lookup(void **state) {
    (void)state;
    TokenStore ts;
    pnError err = {0};
    char a[TOKEN_TEXT_LEN + 1], b[TOKEN_TEXT_LEN + 1];
    const TokenEntry *e;
    assert_int_equal(tokenStoreInit(&ts, path, &err), PN_OK);
    assert_int_equal(tokenStoreLoad(&ts, &err), PN_OK); /* no file: empty */
    assert_int_equal(ts.n, 0);
    assert_int_equal(tokenCreate(&ts, "alice", 1000, a, sizeof(a), &e, &err), PN_OK);
    assert_int_equal(strlen(a), TOKEN_TEXT_LEN);
    assert_memory_equal(a, "pn_", 3);
    assert_int_equal(strlen(e->id), TOKEN_ID_LEN);
    assert_int_equal(tokenCreate(&ts, "bob", 1001, b, sizeof(b), NULL, &err), PN_OK);
    assert_string_not_equal(a, b);
    e = tokenLookup(&ts, a, strlen(a));
    assert_non_null(e);
    assert_string_equal(e->principal, "alice");
    assert_string_equal(tokenLookup(&ts, b, strlen(b))->principal, "bob");
    assert_null(tokenLookup(&ts, a, strlen(a) - 1));
    assert_null(tokenLookup(&ts, "", 0));
    assert_int_equal(tokenCreate(&ts, "bad name", 1, a, sizeof(a), NULL, &err), PN_EINVAL);
    assert_int_equal(tokenCreate(&ts, "alice", 1, a, 10, NULL, &err), PN_ELIMIT);
    tokenStoreFree(&ts);
}

static void test_token_store_file(void **state) {
    (void)state;
    TokenStore ts, other;
    pnError err = {0};
    char a[TOKEN_TEXT_LEN + 1], b[TOKEN_TEXT_LEN + 1];
    const TokenEntry *e;
    tokenStoreInit(&ts, path, &err);
    tokenCreate(&ts, "alice", 1000, a, sizeof(a), NULL, &err);
    assert_int_equal(tokenStoreSave(&ts, &err), PN_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* the file holds the hash, never the token */
    char *text = NULL;
    size_t len;
    assert_int_equal(fileRead(path, 1 << 20, &text, &len), 0);
    assert_null(strstr(text, a + 3));
    assert_non_null(strstr(text, "\"sha256\""));
    free(text);
    /* another process (the CLI) revokes it and adds one: seen on refresh */
    tokenStoreInit(&other, path, &err);
    assert_int_equal(tokenStoreLoad(&other, &err), PN_OK);
    assert_non_null(tokenLookup(&other, a, strlen(a)));
    int changed = -1;
    assert_int_equal(tokenStoreRefresh(&ts, &changed, &err), PN_OK);
    assert_int_equal(changed, 0);
    assert_int_equal(tokenRevoke(&other, a, 2000, &e, &err), PN_OK);
    assert_int_equal(e->revoked, 2000);
    assert_int_equal(tokenRevoke(&other, e->id, 3000, &e, &err), PN_OK);
    assert_int_equal(e->revoked, 2000); /* the first time stays */
    assert_int_equal(tokenRevoke(&other, "nope", 3000, NULL, &err), PN_ENOENT);
    tokenCreate(&other, "bob", 1001, b, sizeof(b), NULL, &err);
    assert_int_equal(tokenStoreSave(&other, &err), PN_OK);
    assert_int_equal(tokenStoreRefresh(&ts, &changed, &err), PN_OK);
    assert_int_equal(changed, 1);
    assert_null(tokenLookup(&ts, a, strlen(a)));
    assert_string_equal(tokenLookup(&ts, b, strlen(b))->principal, "bob");
    assert_int_equal(ts.n, 2);
    assert_int_equal(ts.e[0].created, 1000);
    tokenStoreFree(&other);
    /* a malformed file is refused and the tokens in force stay */
    FILE *f = fopen(path, "w");
    fputs("{\"tokens\": [{\"id\": \"x\"}]}", f);
    fclose(f);
    assert_int_equal(tokenStoreRefresh(&ts, &changed, &err), PN_EINVAL);
    assert_non_null(strstr(err.msg, "token 1 is malformed"));
    assert_non_null(tokenLookup(&ts, b, strlen(b)));
    f = fopen(path, "w");
    fputs("{\"tokens\": ", f);
    fclose(f);
    assert_int_equal(tokenStoreLoad(&ts, &err), PN_EINVAL);
    /* the file removed: no tokens */
    remove(path);
    assert_int_equal(tokenStoreRefresh(&ts, &changed, &err), PN_OK);
    assert_int_equal(changed, 1);
    assert_null(tokenLookup(&ts, b, strlen(b)));
    tokenStoreFree(&ts);
}

/* A token is bound to the principal instance it was issued to, and
 * removing the principal revokes its tokens (issue 10, item 1). */
static void test_token_principal_binding(void **state) {
    (void)state;
    TokenStore ts, back;
    pnError err = {0};
    char a[TOKEN_TEXT_LEN + 1], b[TOKEN_TEXT_LEN + 1], c[TOKEN_TEXT_LEN + 1];
    const TokenEntry *e;
    tokenStoreInit(&ts, path, &err);
    assert_int_equal(
        tokenCreateFor(&ts, "bohdan", "0123456789abcdef", 1000, a, sizeof(a), &e, &err), PN_OK);
    assert_string_equal(e->principalId, "0123456789abcdef");
    assert_int_equal(tokenCreateFor(&ts, "bohdan", "", 1001, b, sizeof(b), NULL, &err), PN_OK);
    assert_int_equal(
        tokenCreateFor(&ts, "other", "fedcba9876543210", 1002, c, sizeof(c), NULL, &err), PN_OK);
    assert_int_equal(tokenCreateFor(&ts, "x", "NOT-HEX", 1, a, sizeof(a), NULL, &err), PN_EINVAL);
    assert_int_equal(tokenStoreSave(&ts, &err), PN_OK);
    tokenStoreInit(&back, path, &err);
    assert_int_equal(tokenStoreLoad(&back, &err), PN_OK);
    assert_string_equal(tokenLookup(&back, a, strlen(a))->principalId, "0123456789abcdef");
    assert_string_equal(tokenLookup(&back, b, strlen(b))->principalId, "");
    /* binding gives the id-less token an instance, and leaves bound ones */
    assert_int_equal(tokenBindPrincipal(&back, "bohdan", "00000000000000aa"), 1);
    assert_string_equal(tokenLookup(&back, b, strlen(b))->principalId, "00000000000000aa");
    assert_string_equal(tokenLookup(&back, a, strlen(a))->principalId, "0123456789abcdef");
    assert_int_equal(tokenBindPrincipal(&back, "bohdan", "bad"), 0);
    /* removing bohdan revokes both of its tokens, not the other's */
    assert_int_equal(tokenRevokePrincipal(&back, "bohdan", 2000), 2);
    assert_int_equal(tokenRevokePrincipal(&back, "bohdan", 3000), 0);
    assert_null(tokenLookup(&back, a, strlen(a)));
    assert_null(tokenLookup(&back, b, strlen(b)));
    assert_non_null(tokenLookup(&back, c, strlen(c)));
    tokenStoreFree(&back);
    tokenStoreFree(&ts);
    /* a malformed principal_id makes the file malformed */
    static const char *const pids[] = {"\"0123456789abcdef\"", "7", "\"0123\"",
                                       "\"ABCDEF0123456789\""};
    for (int k = 0; k < 4; k++) {
        FILE *f = fopen(path, "w");
        fprintf(f,
                "{\"tokens\": [{\"id\": \"000000000000\", \"sha256\": \"%064d\", \"principal\": "
                "\"a\", \"created\": \"2026-01-01T00:00:00Z\", \"principal_id\": %s}]}",
                0, pids[k]);
        fclose(f);
        tokenStoreInit(&back, path, &err);
        assert_int_equal(tokenStoreLoad(&back, &err), k == 0 ? PN_OK : PN_EINVAL);
        tokenStoreFree(&back);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_route_errors),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_json_check),
        cmocka_unit_test_setup_teardown(test_token_create_lookup, tmpSetup, tmpTeardown),
        cmocka_unit_test_setup_teardown(test_token_store_file, tmpSetup, tmpTeardown),
        cmocka_unit_test_setup_teardown(test_token_principal_binding, tmpSetup, tmpTeardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
