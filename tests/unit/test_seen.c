/*
 * test_seen.c -- the SeenSet of message ids: table tests for merging,
 * gaps, duplicates, independent origins and the 0 / UINT64_MAX edges, and
 * a randomized run of 200,000 adds checked against a plain bitmap per
 * origin (fixed seed, so it is deterministic).
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

#include "../../src/exchange/seen.h"

/* ---- helpers ---------------------------------------------------------- */

/* The ranges of origin are sorted, disjoint and not adjacent (adjacent
 * ranges should have been merged). */
static void checkShape(const SeenSet *s, const char *origin) {
    for (size_t i = 0; i < s->n; i++) {
        const SeenOrigin *o = &s->o[i];
        if (strcmp(o->name, origin) != 0) continue;
        assert_int_equal(o->n, seenRanges(s, origin));
        for (size_t k = 0; k < o->n; k++) {
            assert_true(o->r[k].lo <= o->r[k].hi);
            if (k > 0) {
                assert_true(o->r[k - 1].hi < o->r[k].lo);
                assert_true(o->r[k].lo - o->r[k - 1].hi >= 2); /* a gap between */
            }
        }
        return;
    }
    assert_int_equal(seenRanges(s, origin), 0);
}

/* The single range of origin, as [lo, hi]. */
static void assertRange(const SeenSet *s, const char *origin, size_t k, uint64_t lo, uint64_t hi) {
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->o[i].name, origin) != 0) continue;
        assert_true(k < s->o[i].n);
        assert_true(s->o[i].r[k].lo == lo);
        assert_true(s->o[i].r[k].hi == hi);
        return;
    }
    fail_msg("origin %s not found", origin);
}

/* ---- table tests -------------------------------------------------------- */

static void test_empty(void **state) {
    (void)state;
    SeenSet s;
    seenInit(&s);
    assert_int_equal(seenHas(&s, "A", 0), 0);
    assert_int_equal(seenHas(&s, "A", UINT64_MAX), 0);
    assert_int_equal(seenRanges(&s, "A"), 0);
    seenFree(&s);
    seenFree(&s); /* freeing twice is harmless: seenFree re-initializes */
}

static void test_in_order(void **state) {
    (void)state;
    SeenSet s;
    seenInit(&s);
    for (uint64_t q = 1; q <= 1000; q++) {
        assert_int_equal(seenAdd(&s, "HQ", q), 1);
        assert_int_equal(seenRanges(&s, "HQ"), 1);
    }
    assertRange(&s, "HQ", 0, 1, 1000);
    assert_int_equal(seenHas(&s, "HQ", 0), 0);
    assert_int_equal(seenHas(&s, "HQ", 1), 1);
    assert_int_equal(seenHas(&s, "HQ", 500), 1);
    assert_int_equal(seenHas(&s, "HQ", 1000), 1);
    assert_int_equal(seenHas(&s, "HQ", 1001), 0);
    /* Descending order also stays one range. */
    for (uint64_t q = 5000; q > 2000; q--)
        assert_int_equal(seenAdd(&s, "SWE", q), 1);
    assert_int_equal(seenRanges(&s, "SWE"), 1);
    assertRange(&s, "SWE", 0, 2001, 5000);
    seenFree(&s);
}

/* A table of adds: each with the expected return and the range count after. */
typedef struct Step {
    uint64_t seq;
    int added;
    size_t ranges;
} Step;

static void runSteps(const Step *steps, size_t n) {
    SeenSet s;
    seenInit(&s);
    for (size_t i = 0; i < n; i++) {
        int rc = seenAdd(&s, "X", steps[i].seq);
        if (rc != steps[i].added || seenRanges(&s, "X") != steps[i].ranges)
            fail_msg("step %zu (seq %llu): returned %d (want %d), %zu ranges (want %zu)", i,
                     (unsigned long long)steps[i].seq, rc, steps[i].added, seenRanges(&s, "X"),
                     steps[i].ranges);
        assert_int_equal(seenHas(&s, "X", steps[i].seq), 1);
        checkShape(&s, "X");
    }
    seenFree(&s);
}

static void test_out_of_order(void **state) {
    (void)state;
    const Step steps[] = {
        {10, 1, 1}, {5, 1, 2},  {20, 1, 3}, {7, 1, 4},  {6, 1, 3}, /* 5..7 */
        {9, 1, 3},  {8, 1, 2},                                     /* 5..10 20 */
        {4, 1, 2},  {11, 1, 2}, {19, 1, 2}, {12, 1, 2},            /* 4..12 19..20 */
        {1, 1, 3},  {3, 1, 3},  {2, 1, 2},                         /* 1..12 19..20 */
        {15, 1, 3}, {17, 1, 4}, {16, 1, 3}, {18, 1, 2},            /* 1..12 15..20 */
        {13, 1, 2}, {14, 1, 1},                                    /* 1..20 */
        {0, 1, 1},  {21, 1, 1},
    };
    runSteps(steps, sizeof(steps) / sizeof(steps[0]));
}

static void test_gap_fill(void **state) {
    (void)state;
    SeenSet s;
    seenInit(&s);
    for (uint64_t q = 1; q <= 9; q++)
        assert_int_equal(seenAdd(&s, "A", q), 1);
    for (uint64_t q = 11; q <= 20; q++)
        assert_int_equal(seenAdd(&s, "A", q), 1);
    assert_int_equal(seenRanges(&s, "A"), 2);
    assert_int_equal(seenHas(&s, "A", 10), 0);
    assertRange(&s, "A", 0, 1, 9);
    assertRange(&s, "A", 1, 11, 20);
    /* The late message fills the gap: two ranges become one. */
    assert_int_equal(seenAdd(&s, "A", 10), 1);
    assert_int_equal(seenRanges(&s, "A"), 1);
    assertRange(&s, "A", 0, 1, 20);
    /* Gaps in the middle of many ranges merge their neighbours only. */
    for (uint64_t q = 100; q < 200; q += 2)
        assert_int_equal(seenAdd(&s, "B", q), 1);
    assert_int_equal(seenRanges(&s, "B"), 50);
    assert_int_equal(seenAdd(&s, "B", 151), 1);
    assert_int_equal(seenRanges(&s, "B"), 49);
    assertRange(&s, "B", 25, 150, 152);
    assertRange(&s, "B", 24, 148, 148);
    assertRange(&s, "B", 26, 154, 154);
    checkShape(&s, "B");
    seenFree(&s);
}

static void test_duplicates(void **state) {
    (void)state;
    const Step steps[] = {
        {5, 1, 1}, {5, 0, 1}, {6, 1, 1}, {5, 0, 1}, {6, 0, 1},
        {9, 1, 2}, {9, 0, 2}, {7, 1, 2}, {8, 1, 1}, {7, 0, 1},
    };
    runSteps(steps, sizeof(steps) / sizeof(steps[0]));
    /* A duplicate never changes the set. */
    SeenSet s;
    seenInit(&s);
    for (uint64_t q = 0; q < 100; q += 3)
        assert_int_equal(seenAdd(&s, "A", q), 1);
    size_t before = seenRanges(&s, "A");
    for (uint64_t q = 0; q < 100; q += 3)
        assert_int_equal(seenAdd(&s, "A", q), 0);
    assert_int_equal(seenRanges(&s, "A"), before);
    for (uint64_t q = 0; q < 100; q++)
        assert_int_equal(seenHas(&s, "A", q), q % 3 == 0);
    seenFree(&s);
}

static void test_origins_independent(void **state) {
    (void)state;
    SeenSet s;
    seenInit(&s);
    assert_int_equal(seenAdd(&s, "HQ", 1), 1);
    assert_int_equal(seenAdd(&s, "SWE", 1), 1); /* same seq, other origin */
    assert_int_equal(seenAdd(&s, "SWE", 2), 1);
    assert_int_equal(seenAdd(&s, "UKR", 3), 1);
    assert_int_equal(seenHas(&s, "HQ", 1), 1);
    assert_int_equal(seenHas(&s, "HQ", 2), 0);
    assert_int_equal(seenHas(&s, "UKR", 1), 0);
    assert_int_equal(seenHas(&s, "UKR", 3), 1);
    assert_int_equal(seenHas(&s, "NOR", 1), 0);
    /* Names compare exactly: no prefix or case folding. */
    assert_int_equal(seenHas(&s, "H", 1), 0);
    assert_int_equal(seenHas(&s, "HQ2", 1), 0);
    assert_int_equal(seenHas(&s, "hq", 1), 0);
    assert_int_equal(seenAdd(&s, "hq", 1), 1);
    assert_int_equal(seenRanges(&s, "HQ"), 1);
    assert_int_equal(seenRanges(&s, "SWE"), 1);
    assert_int_equal(seenRanges(&s, "hq"), 1);
    assert_int_equal(seenRanges(&s, "NOR"), 0);
    /* Many origins: the origin array grows and keeps each set apart. */
    char name[32];
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof(name), "node-%d", i);
        for (uint64_t q = 0; q <= (uint64_t)i; q += 2)
            assert_int_equal(seenAdd(&s, name, q), 1);
    }
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof(name), "node-%d", i);
        assert_int_equal(seenRanges(&s, name), (size_t)(i / 2 + 1));
        assert_int_equal(seenHas(&s, name, (uint64_t)i), i % 2 == 0);
        assert_int_equal(seenHas(&s, name, (uint64_t)i + 1), 0);
    }
    /* The longest name the exchange lets through (63 bytes). */
    char longName[64];
    memset(longName, 'n', 63);
    longName[63] = '\0';
    assert_int_equal(seenAdd(&s, longName, 7), 1);
    assert_int_equal(seenAdd(&s, longName, 7), 0);
    assert_int_equal(seenHas(&s, longName, 7), 1);
    seenFree(&s);
}

static void test_edges(void **state) {
    (void)state;
    SeenSet s;
    seenInit(&s);
    /* seq 0: no range before it. */
    assert_int_equal(seenAdd(&s, "A", 0), 1);
    assert_int_equal(seenAdd(&s, "A", 0), 0);
    assert_int_equal(seenAdd(&s, "A", 1), 1);
    assert_int_equal(seenRanges(&s, "A"), 1);
    assertRange(&s, "A", 0, 0, 1);
    /* UINT64_MAX: hi + 1 and seq + 1 would wrap to 0 -- it must not be
     * taken as adjacent to the range holding 0. */
    assert_int_equal(seenAdd(&s, "A", UINT64_MAX), 1);
    assert_int_equal(seenRanges(&s, "A"), 2);
    assertRange(&s, "A", 0, 0, 1);
    assertRange(&s, "A", 1, UINT64_MAX, UINT64_MAX);
    assert_int_equal(seenAdd(&s, "A", UINT64_MAX), 0);
    assert_int_equal(seenHas(&s, "A", UINT64_MAX), 1);
    assert_int_equal(seenHas(&s, "A", UINT64_MAX - 1), 0);
    assert_int_equal(seenHas(&s, "A", 2), 0);
    assert_int_equal(seenAdd(&s, "A", UINT64_MAX - 1), 1);
    assert_int_equal(seenRanges(&s, "A"), 2);
    assertRange(&s, "A", 1, UINT64_MAX - 1, UINT64_MAX);
    assert_int_equal(seenAdd(&s, "A", UINT64_MAX - 3), 1);
    assert_int_equal(seenRanges(&s, "A"), 3);
    assert_int_equal(seenAdd(&s, "A", UINT64_MAX - 2), 1); /* fills the gap below the top */
    assert_int_equal(seenRanges(&s, "A"), 2);
    assertRange(&s, "A", 1, UINT64_MAX - 3, UINT64_MAX);
    checkShape(&s, "A");

    /* UINT64_MAX alone, then 0 alone: still two ranges, in order. */
    assert_int_equal(seenAdd(&s, "B", UINT64_MAX), 1);
    assert_int_equal(seenHas(&s, "B", 0), 0);
    assert_int_equal(seenAdd(&s, "B", 0), 1);
    assert_int_equal(seenRanges(&s, "B"), 2);
    assertRange(&s, "B", 0, 0, 0);
    assertRange(&s, "B", 1, UINT64_MAX, UINT64_MAX);

    /* Ascending up to UINT64_MAX ends as one range [MAX-9, MAX]. */
    for (uint64_t q = UINT64_MAX - 9;; q++) {
        assert_int_equal(seenAdd(&s, "C", q), 1);
        assert_int_equal(seenRanges(&s, "C"), 1);
        if (q == UINT64_MAX) break;
    }
    assertRange(&s, "C", 0, UINT64_MAX - 9, UINT64_MAX);
    /* Descending from UINT64_MAX too. */
    for (uint64_t q = UINT64_MAX; q >= UINT64_MAX - 9; q--)
        assert_int_equal(seenAdd(&s, "D", q), 1);
    assert_int_equal(seenRanges(&s, "D"), 1);
    assertRange(&s, "D", 0, UINT64_MAX - 9, UINT64_MAX);
    /* The whole range below: [0, 9] then [MAX-9, MAX], never merged. */
    for (uint64_t q = 0; q < 10; q++)
        assert_int_equal(seenAdd(&s, "D", q), 1);
    assert_int_equal(seenRanges(&s, "D"), 2);
    checkShape(&s, "D");
    seenFree(&s);
}

/* ---- randomized against a bitmap ----------------------------------------- */

#define R_ORIGINS 4
#define R_SPAN 5001 /* seqs base .. base + 5000 */
#define R_OPS 200000
#define R_ROUND 25000 /* the set and bitmaps start over every R_ROUND ops */

static uint64_t rngState;

static uint64_t rng(void) { /* splitmix64 */
    uint64_t z = (rngState += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

typedef struct Ref {
    const char *name;
    uint64_t base; /* seq of bit 0 */
    uint8_t bit[R_SPAN];
    size_t runs;   /* maximal runs of set bits */
    uint32_t next; /* for in-order streaks */
} Ref;

static size_t countRuns(const Ref *r) {
    size_t n = 0;
    for (size_t i = 0; i < R_SPAN; i++)
        if (r->bit[i] && (i == 0 || !r->bit[i - 1])) n++;
    return n;
}

static void fullCheck(const SeenSet *s, const Ref *refs, long op) {
    for (int k = 0; k < R_ORIGINS; k++) {
        const Ref *r = &refs[k];
        for (size_t i = 0; i < R_SPAN; i++)
            if (seenHas(s, r->name, r->base + i) != r->bit[i])
                fail_msg("op %ld: %s seq %llu: seenHas %d, reference %d", op, r->name,
                         (unsigned long long)(r->base + i), seenHas(s, r->name, r->base + i),
                         r->bit[i]);
        /* Just outside the span: never added. */
        if (r->base > 0) assert_int_equal(seenHas(s, r->name, r->base - 1), 0);
        if (r->base + R_SPAN - 1 < UINT64_MAX)
            assert_int_equal(seenHas(s, r->name, r->base + R_SPAN), 0);
        assert_int_equal(countRuns(r), r->runs);
        assert_int_equal(seenRanges(s, r->name), r->runs);
        checkShape(s, r->name);
    }
}

static void test_random_against_bitmap(void **state) {
    (void)state;
    static Ref refs[R_ORIGINS] = {
        {.name = "HQ", .base = 0},
        {.name = "SWE", .base = 1000000},
        {.name = "UKR", .base = (uint64_t)1 << 40},
        {.name = "TOP", .base = UINT64_MAX - (R_SPAN - 1)}, /* ends at UINT64_MAX */
    };
    rngState = 20240601;
    SeenSet s;
    seenInit(&s);
    long added = 0, dups = 0;
    for (long op = 0; op < R_OPS; op++) {
        if (op % R_ROUND == 0) {
            seenFree(&s);
            seenInit(&s);
            for (int k = 0; k < R_ORIGINS; k++) {
                memset(refs[k].bit, 0, sizeof(refs[k].bit));
                refs[k].runs = 0;
                refs[k].next = (uint32_t)(rng() % R_SPAN);
            }
        }
        Ref *r = &refs[rng() % R_ORIGINS];
        /* Mostly in-order streaks (how one origin's messages arrive), some
         * random late or repeated ones, some at the span's two ends. */
        uint32_t i;
        uint64_t pick = rng() % 100;
        if (pick < 60) {
            i = r->next;
            r->next = (r->next + 1) % R_SPAN;
        } else if (pick < 95) {
            i = (uint32_t)(rng() % R_SPAN);
            if (pick < 65) r->next = i;
        } else {
            i = pick % 2 ? 0 : R_SPAN - 1;
        }
        uint64_t seq = r->base + i;
        int want = !r->bit[i];
        int rc = seenAdd(&s, r->name, seq);
        if (rc != want)
            fail_msg("op %ld: seenAdd(%s, %llu) returned %d, reference %d", op, r->name,
                     (unsigned long long)seq, rc, want);
        if (want) {
            int left = i > 0 && r->bit[i - 1];
            int right = i + 1 < R_SPAN && r->bit[i + 1];
            r->bit[i] = 1;
            r->runs = r->runs + 1 - (size_t)left - (size_t)right;
            added++;
        } else {
            dups++;
        }
        assert_int_equal(seenHas(&s, r->name, seq), 1);
        if (i > 0 && seenHas(&s, r->name, seq - 1) != r->bit[i - 1])
            fail_msg("op %ld: %s seq %llu: seenHas disagrees", op, r->name,
                     (unsigned long long)(seq - 1));
        if (i + 1 < R_SPAN && seenHas(&s, r->name, seq + 1) != r->bit[i + 1])
            fail_msg("op %ld: %s seq %llu: seenHas disagrees", op, r->name,
                     (unsigned long long)(seq + 1));
        if (seenRanges(&s, r->name) != r->runs)
            fail_msg("op %ld: %s has %zu ranges, reference %zu runs", op, r->name,
                     seenRanges(&s, r->name), r->runs);
        if (op % 5000 == 4999 || op % R_ROUND == R_ROUND - 1) fullCheck(&s, refs, op);
    }
    /* Both outcomes were exercised, plenty of each. */
    assert_true(added > 50000);
    assert_true(dups > 20000);
    print_message("# %ld added, %ld duplicates\n", added, dups);
    seenFree(&s);
}

/* seenRemove: a commit that failed forgets the imported ids it held. */
static void test_remove(void **state) {
    (void)state;
    SeenSet s;
    seenInit(&s);
    assert_int_equal(seenRemove(&s, "HQ", 1), 0); /* unknown origin */
    for (uint64_t q = 1; q <= 10; q++)
        assert_int_equal(seenAdd(&s, "HQ", q), 1);
    assert_int_equal(seenRanges(&s, "HQ"), 1);
    assert_int_equal(seenRemove(&s, "HQ", 5), 1); /* splits [1,10] */
    assert_int_equal(seenRanges(&s, "HQ"), 2);
    assert_int_equal(seenHas(&s, "HQ", 5), 0);
    assert_int_equal(seenHas(&s, "HQ", 4), 1);
    assert_int_equal(seenHas(&s, "HQ", 6), 1);
    assert_int_equal(seenRemove(&s, "HQ", 5), 0);  /* not there any more */
    assert_int_equal(seenRemove(&s, "HQ", 1), 1);  /* low end */
    assert_int_equal(seenRemove(&s, "HQ", 10), 1); /* high end */
    assert_int_equal(seenHas(&s, "HQ", 1), 0);
    assert_int_equal(seenHas(&s, "HQ", 10), 0);
    assert_int_equal(seenHas(&s, "HQ", 2), 1);
    assert_int_equal(seenHas(&s, "HQ", 9), 1);
    assert_int_equal(seenRemove(&s, "HQ", 4), 1);
    assert_int_equal(seenRemove(&s, "HQ", 3), 1);
    assert_int_equal(seenRemove(&s, "HQ", 2), 1); /* [2,4] gone: one range left */
    assert_int_equal(seenRanges(&s, "HQ"), 1);
    assert_int_equal(seenAdd(&s, "HQ", 5), 1); /* held again: joins [6,9] */
    assert_int_equal(seenRanges(&s, "HQ"), 1);
    assert_int_equal(seenHas(&s, "HQ", 5), 1);
    seenFree(&s);
}

/* seenAddRange against a bitmap: random ranges, some overlapping, some
 * touching, some inside others; then the set saved and loaded again is the
 * same set, a missing file is an empty set and a damaged one an error. */
static void test_ranges_and_save(void **state) {
    (void)state;
    enum { SPAN = 4096 };
    static unsigned char bit[SPAN];
    memset(bit, 0, sizeof(bit));
    rngState = 7;
    SeenSet s;
    seenInit(&s);
    for (int op = 0; op < 3000; op++) {
        uint64_t lo = rng() % SPAN, len = rng() % (op % 10 == 0 ? 200 : 6);
        uint64_t hi = lo + len < SPAN ? lo + len : SPAN - 1;
        assert_int_equal(seenAddRange(&s, "UKR", 100 + lo, 100 + hi), 0);
        for (uint64_t i = lo; i <= hi; i++)
            bit[i] = 1;
        checkShape(&s, "UKR");
        if (op % 100 == 0)
            for (uint64_t i = 0; i < SPAN; i++)
                if (seenHas(&s, "UKR", 100 + i) != bit[i])
                    fail_msg("op %d: seq %llu: seenHas disagrees", op, (unsigned long long)i);
    }
    assert_int_equal(seenAddRange(&s, "TOP", UINT64_MAX - 5, UINT64_MAX), 0);
    assert_int_equal(seenAddRange(&s, "TOP", 0, 3), 0);
    assert_int_equal(seenAddRange(&s, "TOP", 4, UINT64_MAX - 6), 0);
    assertRange(&s, "TOP", 0, 0, UINT64_MAX);
    assert_int_equal(seenRanges(&s, "TOP"), 1);

    char path[64];
    snprintf(path, sizeof(path), "/tmp/pn-test-seen-%d.json", (int)getpid());
    pnError err = {0};
    assert_int_equal(seenSave(&s, path, &err), PN_OK);
    SeenSet t;
    seenInit(&t);
    assert_int_equal(seenLoad(&t, path, &err), PN_OK);
    assert_int_equal(t.n, s.n);
    for (size_t i = 0; i < s.n; i++) {
        assert_int_equal(seenRanges(&t, s.o[i].name), s.o[i].n);
        for (size_t k = 0; k < s.o[i].n; k++)
            assertRange(&t, s.o[i].name, k, s.o[i].r[k].lo, s.o[i].r[k].hi);
    }
    seenFree(&t);
    seenInit(&t);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"version\": 1, \"origins\": {\"UKR\": [\"1-3\", \"5-2\"]}}", f);
    fclose(f);
    assert_int_equal(seenLoad(&t, path, &err), PN_EIO);
    assert_non_null(strstr(err.msg, "range 2 is not \"LO-HI\""));
    unlink(path);
    seenFree(&t);
    seenInit(&t);
    assert_int_equal(seenLoad(&t, path, &err), PN_OK); /* missing: nothing retired yet */
    assert_int_equal(t.n, 0);
    seenFree(&t);
    seenFree(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_out_of_order), cmocka_unit_test(test_gap_fill),
        cmocka_unit_test(test_duplicates),   cmocka_unit_test(test_origins_independent),
        cmocka_unit_test(test_edges),        cmocka_unit_test(test_random_against_bitmap),
        cmocka_unit_test(test_remove),       cmocka_unit_test(test_ranges_and_save),
    };
    return cmocka_run_group_tests_name("seen", tests, NULL, NULL);
}
