/*
 * test_acl.c -- topic access rules: the file format and its errors, filter
 * coverage (hand-written table), subjects and patterns.
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

#include "../../src/exchange/acl.h"

static char path[64];

static Acl *load(const char *text, pnError *err) {
    strcpy(path, "/tmp/test_acl.XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    Acl *a = NULL;
    memset(err, 0, sizeof(*err));
    aclLoad(&a, path, err);
    unlink(path);
    return a;
}

static void test_covers(void **state) {
    (void)state;
    /* rule, subscription, covered? -- worked out by hand from §4.7 (conservative
     * where exactness would need the $-topic rule: "+/#" is not taken to cover
     * "#"). */
    static const struct {
        const char *rule, *sub;
        int want;
    } cases[] = {
        {"#", "a/b", 1},      {"#", "#", 1},         {"a/#", "a", 1},       {"a/#", "a/#", 1},
        {"a/#", "a/+/c", 1},  {"a/#", "b/#", 0},     {"a/+", "a/b", 1},     {"a/+", "a/+", 1},
        {"a/+", "a/#", 0},    {"a/+", "a/b/c", 0},   {"a/b", "a/+", 0},     {"a/b", "a/b", 1},
        {"a/b", "a", 0},      {"a", "a/b", 0},       {"+/b", "x/b", 1},     {"+/b", "+/b", 1},
        {"+/#", "#", 0},      {"a/+/c", "a/+/c", 1}, {"a/+/c", "a/+/+", 0}, {"a//b", "a//b", 1},
        {"a/+/b", "a//b", 1}, {"a/b/#", "a/b", 1},   {"a/b/#", "a/+", 0},   {"+", "+", 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (aclFilterCovers(cases[i].rule, cases[i].sub) != cases[i].want)
            fail_msg("rule '%s' sub '%s': want %d", cases[i].rule, cases[i].sub, cases[i].want);
    }
}

static void test_rules(void **state) {
    (void)state;
    pnError err;
    Acl *a = load("# site rules\n"
                  "topic read public/#\n"
                  "\n"
                  "nation UKR\n"
                  "topic readwrite ukr/#\n"
                  "principal alice\n"
                  "topic readwrite #\n"
                  "pattern readwrite home/%u/#\n"
                  "pattern read nations/%n/+\n"
                  "all\n"
                  "topic write inbox\n",
                  &err);
    assert_non_null(a);
    AclWho olena = {"olena", "UKR"}, alice = {"alice", "SWE"}, bob = {"bob", "USA"},
           evil = {"a/b", "USA"};
    assert_true(aclAllowsTopic(a, &bob, ACL_READ, "public/x"));
    assert_false(aclAllowsTopic(a, &bob, ACL_WRITE, "public/x"));
    assert_true(aclAllowsTopic(a, &olena, ACL_WRITE, "ukr/x/y"));
    assert_true(aclAllowsTopic(a, &olena, ACL_READ, "ukr"));
    assert_false(aclAllowsTopic(a, &bob, ACL_READ, "ukr/x"));
    assert_true(aclAllowsTopic(a, &alice, ACL_WRITE, "ops/anything"));
    assert_false(aclAllowsTopic(a, &olena, ACL_WRITE, "ops/anything"));
    assert_true(aclAllowsTopic(a, &olena, ACL_WRITE, "home/olena/x"));
    assert_false(aclAllowsTopic(a, &olena, ACL_WRITE, "home/alice/x"));
    assert_true(aclAllowsTopic(a, &bob, ACL_READ, "nations/USA/x"));
    assert_false(aclAllowsTopic(a, &bob, ACL_WRITE, "nations/USA/x"));
    assert_false(aclAllowsTopic(a, &bob, ACL_READ, "nations/UKR/x"));
    assert_true(aclAllowsTopic(a, &bob, ACL_WRITE, "inbox"));
    assert_false(aclAllowsTopic(a, &bob, ACL_READ, "inbox"));
    /* A name with topic characters matches no pattern. */
    assert_false(aclAllowsTopic(a, &evil, ACL_WRITE, "home/a/b/x"));
    /* Subscriptions: a read rule must cover the whole filter. */
    assert_true(aclAllowsFilter(a, &olena, "ukr/+/x"));
    assert_true(aclAllowsFilter(a, &olena, "public/#"));
    assert_false(aclAllowsFilter(a, &olena, "#"));
    assert_false(aclAllowsFilter(a, &bob, "inbox"));
    assert_true(aclAllowsFilter(a, &bob, "nations/USA/+"));
    assert_false(aclAllowsFilter(a, &bob, "nations/+/x"));
    assert_true(aclAllowsFilter(a, &alice, "#"));
    /* No ACL: everything open. */
    assert_true(aclAllowsTopic(NULL, &bob, ACL_WRITE, "x"));
    assert_true(aclAllowsFilter(NULL, &bob, "#"));
    aclFree(a);
}

static void test_errors(void **state) {
    (void)state;
    pnError err;
    assert_null(load("topic read a/#\ntopic reed b\n", &err));
    assert_non_null(strstr(err.msg, ":2: 'reed' is not read, write or readwrite"));
    assert_null(load("topic read a/#/b\n", &err));
    assert_non_null(strstr(err.msg, ":1: 'a/#/b' is not a valid topic filter"));
    assert_null(load("\n\nuser alice\n", &err));
    assert_non_null(strstr(err.msg, ":3: expected"));
    assert_null(load("topic read a b c\n", &err));
    assert_non_null(strstr(err.msg, ":1: expected"));
    Acl *a = NULL;
    assert_int_equal(aclLoad(&a, "/nonexistent/acl", &err), PN_EIO);
    assert_null(a);
    assert_non_null(strstr(err.msg, "cannot read the ACL file"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_covers),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
