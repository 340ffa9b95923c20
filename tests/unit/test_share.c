/*
 * test_share.c -- shared subscription groups (src/exchange/share.c): which
 * "$share/..." filters are valid (§4.8.2), joining and leaving (a group
 * ends with its last member), which groups a topic matches, and the
 * choice of a member: best rank first, least recently given among equals,
 * never below the minimum, the best rank reported when none is chosen;
 * and a long run whose spread over equal members is checked exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/exchange/share.h"

static int parse(const char *f, ShareName *sn) {
    return shareParse(f, strlen(f), sn);
}

static void test_parse(void **state) {
    (void)state;
    ShareName sn;
    assert_int_equal(parse("$share/g/a/b", &sn), 1);
    assert_int_equal(sn.nameOff, 7);
    assert_int_equal(sn.nameLen, 1);
    assert_string_equal("$share/g/a/b" + sn.innerOff, "a/b");
    assert_int_equal(parse("$share/grp/#", &sn), 1);
    assert_string_equal("$share/grp/#" + sn.innerOff, "#");
    assert_int_equal(parse("$share/g/+/x", &sn), 1);
    assert_int_equal(parse("$share/g//", &sn), 1); /* FILTER "/" is a valid filter */
    /* not shares: ordinary filters, checked elsewhere */
    const char *plain[] = {"a/b", "$sharex/g/a", "$shar/g/a", "a/$share/g/b", "$SHARE/g/a", "#"};
    for (size_t i = 0; i < sizeof(plain) / sizeof(*plain); i++)
        assert_int_equal(parse(plain[i], &sn), 0);
    /* shares that are not valid: 0x8F */
    const char *bad[] = {"$share",         "$share/",     "$share/g",   "$share/g/",
                         "$share//a",      "$share/g+/a", "$share/+/a", "$share/#/a",
                         "$share/g/a/#/b", "$share/g/a+", "$share/g#/a"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        if (parse(bad[i], &sn) != -1) fail_msg("'%s' accepted", bad[i]);
    }
    /* an embedded NUL in FILTER */
    assert_int_equal(shareParse("$share/g/a\0b", 12, &sn), -1);
}

static void countGroup(ShareGroup *g, void *ctx) {
    (void)g;
    (*(int *)ctx)++;
}

static int matches(ShareSet *ss, const char *topic) {
    int n = 0;
    shareMatch(ss, topic, countGroup, &n);
    return n;
}

static void test_join_leave(void **state) {
    (void)state;
    int s1, s2;
    ShareSet *ss = shareSetNew();
    assert_non_null(ss);
    ShareGroup *g = shareJoin(ss, "$share/g/a/+", &s1);
    assert_non_null(g);
    assert_ptr_equal(shareJoin(ss, "$share/g/a/+", &s1), g); /* again: no second member */
    assert_int_equal(g->nmembers, 1);
    assert_ptr_equal(shareJoin(ss, "$share/g/a/+", &s2), g);
    assert_int_equal(g->nmembers, 2);
    assert_string_equal(g->inner, "a/+");
    ShareGroup *h = shareJoin(ss, "$share/h/a/+", &s1); /* same filter, other name */
    assert_ptr_not_equal(h, g);
    assert_true(h->id != g->id);
    assert_ptr_equal(shareById(ss, g->id), g);
    assert_ptr_equal(shareFind(ss, "$share/h/a/+"), h);
    assert_int_equal(matches(ss, "a/x"), 2);
    assert_int_equal(matches(ss, "a/x/y"), 0);
    assert_int_equal(matches(ss, "b/x"), 0);
    assert_null(shareJoin(ss, "$share/g/", &s1)); /* not a valid share */
    uint32_t gid = g->id;
    assert_int_equal(shareLeave(ss, g, &s1), 0);
    assert_int_equal(g->nmembers, 1);
    assert_int_equal(shareLeave(ss, g, &s2), 1); /* the last member: the group ends */
    assert_null(shareById(ss, gid));
    assert_int_equal(matches(ss, "a/x"), 1);
    /* a group made again gets a new id: queued messages of the old one
     * never name it */
    ShareGroup *g2 = shareJoin(ss, "$share/g/a/+", &s2);
    assert_true(g2->id > h->id);
    shareSetFree(ss);
}

/* Ranks from a table indexed by member (the session pointers point into it). */
static int rankOf(void *session, void *ctx) {
    (void)ctx;
    return *(int *)session;
}

static void test_choose(void **state) {
    (void)state;
    int r[3] = {SHARE_READY, SHARE_READY, SHARE_READY};
    ShareSet *ss = shareSetNew();
    ShareGroup *g = shareJoin(ss, "$share/g/t", &r[0]);
    shareJoin(ss, "$share/g/t", &r[1]);
    shareJoin(ss, "$share/g/t", &r[2]);
    int best;
    /* equal ranks: in turn, in joining order first */
    assert_ptr_equal(shareChoose(g, rankOf, NULL, SHARE_OFFLINE, &best), &r[0]);
    assert_ptr_equal(shareChoose(g, rankOf, NULL, SHARE_OFFLINE, &best), &r[1]);
    assert_ptr_equal(shareChoose(g, rankOf, NULL, SHARE_OFFLINE, &best), &r[2]);
    assert_ptr_equal(shareChoose(g, rankOf, NULL, SHARE_OFFLINE, &best), &r[0]);
    /* a better rank wins over turn: 2 is ready, the others busy */
    r[0] = r[1] = SHARE_BUSY;
    assert_ptr_equal(shareChoose(g, rankOf, NULL, SHARE_OFFLINE, &best), &r[2]);
    assert_ptr_equal(shareChoose(g, rankOf, NULL, SHARE_OFFLINE, &best), &r[2]);
    /* then, all busy: the one given least recently (1, then 0) */
    r[2] = SHARE_BUSY;
    assert_ptr_equal(shareChoose(g, rankOf, NULL, SHARE_OFFLINE, &best), &r[1]);
    assert_ptr_equal(shareChoose(g, rankOf, NULL, SHARE_OFFLINE, &best), &r[0]);
    /* a refused member is never chosen, whatever its turn */
    r[0] = r[1] = r[2] = SHARE_OFFLINE;
    r[2] = SHARE_REFUSED;
    for (int i = 0; i < 4; i++)
        assert_ptr_not_equal(shareChoose(g, rankOf, NULL, SHARE_OFFLINE, &best), &r[2]);
    /* none at or above min: NULL, and the best rank seen */
    r[0] = r[1] = SHARE_FULL;
    assert_null(shareChoose(g, rankOf, NULL, SHARE_OFFLINE, &best));
    assert_int_equal(best, SHARE_FULL);
    assert_non_null(shareChoose(g, rankOf, NULL, SHARE_FULL, &best)); /* a hand-off takes it */
    r[0] = r[1] = SHARE_REFUSED;
    assert_null(shareChoose(g, rankOf, NULL, SHARE_FULL, &best));
    assert_int_equal(best, SHARE_REFUSED);
    r[1] = SHARE_CANNOT;
    assert_null(shareChoose(g, rankOf, NULL, SHARE_FULL, &best));
    assert_int_equal(best, SHARE_CANNOT);
    shareSetFree(ss);
}

/* 3,000 choices over five members: for the first 1,500 all are ready and
 * after every choice no member has been given more than one message more
 * than any other; for the rest their ranks change at random, and every
 * choice is of the best rank present (none when that is below the
 * minimum), which is also the one reported. */
static void test_spread(void **state) {
    (void)state;
    int r[5];
    long given[5] = {0};
    ShareSet *ss = shareSetNew();
    ShareGroup *g = NULL;
    for (int i = 0; i < 5; i++)
        g = shareJoin(ss, "$share/s/t/#", &r[i]);
    srand(7);
    for (int n = 0; n < 3000; n++) {
        int top = SHARE_REFUSED;
        for (int i = 0; i < 5; i++) {
            r[i] = n < 1500 ? SHARE_READY : SHARE_CANNOT + rand() % 5;
            if (r[i] > top) top = r[i];
        }
        int best;
        int *pick = shareChoose(g, rankOf, NULL, SHARE_OFFLINE, &best);
        assert_int_equal(best, top);
        if (top < SHARE_OFFLINE) {
            assert_null(pick);
            continue;
        }
        assert_non_null(pick);
        assert_int_equal(*pick, top);
        given[pick - r]++;
        if (n < 1500) {
            long lo = given[0], hi = given[0];
            for (int i = 1; i < 5; i++) {
                if (given[i] < lo) lo = given[i];
                if (given[i] > hi) hi = given[i];
            }
            assert_true(hi - lo <= 1);
        }
    }
    shareSetFree(ss);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_join_leave),
        cmocka_unit_test(test_choose),
        cmocka_unit_test(test_spread),
    };
    return cmocka_run_group_tests_name("share", tests, NULL, NULL);
}
