/*
 * test_diag.c -- the diagnostics sink: levels filter lines, an over-long
 * line is cut visibly, and a repeating line is logged once and then summed
 * up (every 5 minutes, when it changes, when it ends), on a fake clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/core/diag.h"

/* What the sink received, one line after the other. */
typedef struct Got {
    char lines[16][1100];
    DiagLevel levels[16];
    int n;
} Got;

static void record(void *ctx, DiagLevel level, const char *msg) {
    Got *g = ctx;
    assert_true(g->n < 16);
    snprintf(g->lines[g->n], sizeof(g->lines[0]), "%s", msg);
    g->levels[g->n++] = level;
}

static void test_levels(void **state) {
    static Got g;
    memset(&g, 0, sizeof(g));
    diagSetSink(record, &g, DIAG_WARNING);
    diagLog(DIAG_ERROR, "disk %s", "full");
    diagLog(DIAG_WARNING, "slow");
    diagLog(DIAG_INFO, "reloaded");
    diagLog(DIAG_DEBUG, "detail");
    assert_int_equal(g.n, 2);
    assert_string_equal(g.lines[0], "disk full");
    assert_int_equal(g.levels[0], DIAG_ERROR);
    assert_string_equal(g.lines[1], "slow");
    diagSetSink(NULL, NULL, DIAG_DEBUG);
    diagLog(DIAG_ERROR, "nobody hears this"); /* no sink: dropped, no crash */
    DiagLevel l;
    assert_int_equal(diagLevelParse("debug", &l), 0);
    assert_int_equal(l, DIAG_DEBUG);
    assert_int_equal(diagLevelParse("warn", &l), -1);
    assert_string_equal(diagLevelName(DIAG_WARNING), "warning");
}

static void test_long_line_cut_visibly(void **state) {
    static Got g;
    static char big[3000];
    memset(&g, 0, sizeof(g));
    memset(big, 'x', sizeof(big) - 1);
    diagSetSink(record, &g, DIAG_INFO);
    diagLog(DIAG_INFO, "%s", big);
    assert_int_equal(g.n, 1);
    assert_int_equal(strlen(g.lines[0]), 1023);
    assert_string_equal(g.lines[0] + 1020, "...");
}

static void test_repeat(void **state) {
    static Got g;
    DiagRepeat r;
    memset(&g, 0, sizeof(g));
    diagSetSink(record, &g, DIAG_INFO);
    diagRepeatInit(&r);
    uint64_t t = 1000;
    diagRepeat(&r, DIAG_WARNING, t, "peer hq: refused");
    for (int i = 0; i < 10; i++)
        diagRepeat(&r, DIAG_WARNING, t += 2000, "peer hq: refused");
    assert_int_equal(g.n, 1); /* once, not every 2 s */
    assert_string_equal(g.lines[0], "peer hq: refused");
    /* Five minutes after it was logged, the count so far. */
    t = 1000 + DIAG_REPEAT_WINDOW_MS;
    diagRepeat(&r, DIAG_WARNING, t, "peer hq: refused");
    assert_int_equal(g.n, 2);
    assert_string_equal(g.lines[1], "peer hq: refused (repeated 11 times in 5 min)");
    assert_int_equal(g.levels[1], DIAG_WARNING);
    /* A different line sums up the old one first. */
    diagRepeat(&r, DIAG_WARNING, t + 2000, "peer hq: refused");
    diagRepeat(&r, DIAG_WARNING, t + 4000, "peer hq: connection refused");
    assert_int_equal(g.n, 4);
    assert_string_equal(g.lines[2], "peer hq: refused (repeated 1 time)");
    assert_string_equal(g.lines[3], "peer hq: connection refused");
    /* It ends: summed up, and the next occurrence is news again. */
    diagRepeat(&r, DIAG_WARNING, t + 6000, "peer hq: connection refused");
    diagRepeatEnd(&r);
    assert_int_equal(g.n, 5);
    assert_string_equal(g.lines[4], "peer hq: connection refused (repeated 1 time)");
    diagRepeatEnd(&r); /* nothing suppressed: nothing said */
    assert_int_equal(g.n, 5);
    diagRepeat(&r, DIAG_WARNING, t + 8000, "peer hq: connection refused");
    assert_int_equal(g.n, 6);
    diagSetSink(NULL, NULL, DIAG_INFO);
}

/* Lines longer than what a DiagRepeat remembers are still recognised. */
static void test_repeat_long(void **state) {
    static Got g;
    static char big[900];
    DiagRepeat r;
    memset(&g, 0, sizeof(g));
    memset(big, 'y', sizeof(big) - 1);
    diagSetSink(record, &g, DIAG_INFO);
    diagRepeatInit(&r);
    for (int i = 0; i < 5; i++)
        diagRepeat(&r, DIAG_ERROR, 10 + (uint64_t)i, big);
    assert_int_equal(g.n, 1);
    assert_int_equal(strlen(g.lines[0]), sizeof(big) - 1); /* logged whole */
    diagSetSink(NULL, NULL, DIAG_INFO);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_long_line_cut_visibly),
        cmocka_unit_test(test_repeat),
        cmocka_unit_test(test_repeat_long),
    };
    return cmocka_run_group_tests_name("diag", tests, NULL, NULL);
}
