/*
 * test_plan_rules.c -- the planning rules as tables: Vienna Document
 * thresholds at the boundary and one below, the notification deadline,
 * eligibility on the day a nation joins a framework and the day before
 * (shipped registry), fair-share apportionment (sums to the requirement,
 * floor, rounding) and the interoperability index formula.
 */
#include "fixture.h"

#include <math.h>
#include <stdlib.h>

#include "../../src/plan/csbm.h"
#include "../../src/plan/plan.h"

typedef struct CsbmCase {
    const char *what;
    CsbmForces f;
    int notify, observe;
} CsbmCase;

static void testCsbmThresholds(void **state) {
    (void)state;
    static const CsbmCase cases[] = {
        {"troops at 9000", {.troops = 9000}, 1, 0},
        {"troops one below", {.troops = 8999}, 0, 0},
        {"tanks at 250", {.tanks = 250}, 1, 0},
        {"tanks one below", {.tanks = 249}, 0, 0},
        {"ACVs at 500 (both)", {.acv = 500}, 1, 1},
        {"ACVs one below", {.acv = 499}, 0, 0},
        {"artillery at 250 (both)", {.artillery = 250}, 1, 1},
        {"artillery one below", {.artillery = 249}, 0, 0},
        {"observation troops at 13000", {.troops = 13000}, 1, 1},
        {"observation troops one below", {.troops = 12999}, 1, 0},
        {"observation tanks at 300", {.tanks = 300}, 1, 1},
        {"observation tanks one below", {.tanks = 299}, 1, 0},
        {"airborne at 3000", {.troops = 3000, .airborne = 1}, 1, 0},
        {"airborne one below", {.troops = 2999, .airborne = 1}, 0, 0},
        {"amphibious at 3000", {.troops = 3000, .amphibious = 1}, 1, 0},
        {"airborne observation at 3500", {.troops = 3500, .airborne = 1}, 1, 1},
        {"amphibious observation one below", {.troops = 3499, .amphibious = 1}, 1, 0},
        {"3000 troops without the flag", {.troops = 3000}, 0, 0},
        /* 40.2.1 / 47.5 count the troops that land or drop, not the total */
        {"airborne drop of 3000 in 8000",
         {.troops = 8000, .airborne = 1, .landing = 3000, .hasLanding = 1},
         1,
         0},
        {"airborne drop one below",
         {.troops = 8000, .airborne = 1, .landing = 2999, .hasLanding = 1},
         0,
         0},
        {"amphibious landing of 3500 in 8000",
         {.troops = 8000, .amphibious = 1, .landing = 3500, .hasLanding = 1},
         1,
         1},
        {"amphibious landing one below",
         {.troops = 8000, .amphibious = 1, .landing = 3499, .hasLanding = 1},
         1,
         0},
        {"drop of 3000 in 10000: observed only by troops (no)",
         {.troops = 10000, .airborne = 1, .landing = 3000, .hasLanding = 1},
         1,
         0},
        {"landing count without the flag",
         {.troops = 8000, .landing = 8000, .hasLanding = 1},
         0,
         0},
        {"sorties are not a threshold", {.sorties = 100000}, 0, 0},
        {"nothing", {0}, 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CsbmResult r;
        csbmEvaluate(&cases[i].f, PN_DAY_NONE, PN_DAY_NONE, &r);
        if (r.notify != cases[i].notify || r.observe != cases[i].observe)
            fail_msg("%s: notify %d observe %d, want %d %d", cases[i].what, r.notify, r.observe,
                     cases[i].notify, cases[i].observe);
        assert_int_equal(r.notify, r.notifyWhy[0] != '\0');
        assert_int_equal(r.deadline, PN_DAY_NONE);
    }
}

static void testCsbmDeadline(void **state) {
    (void)state;
    CsbmForces f = {.troops = 10000};
    CsbmResult r;
    CsbmForces air = {.troops = 3000, .airborne = 1};
    csbmEvaluate(&air, PN_DAY_NONE, PN_DAY_NONE, &r);
    assert_string_equal(r.notifyWhy, "airborne troops 3000 >= 3000 (para. 40.2.1)");
    CsbmForces drop = {.troops = 8000, .amphibious = 1, .landing = 3500, .hasLanding = 1};
    csbmEvaluate(&drop, PN_DAY_NONE, PN_DAY_NONE, &r);
    assert_string_equal(r.notifyWhy, "amphibious landing 3500 >= 3000 (para. 40.2.1)");
    assert_string_equal(r.observeWhy, "amphibious landing 3500 >= 3500 (para. 47.5)");
    /* 42 days before 2026-05-01 is 2026-03-20 */
    csbmEvaluate(&f, day("2026-05-01"), day("2026-03-20"), &r);
    assert_int_equal(r.deadline, day("2026-03-20"));
    assert_int_equal(r.late, 0);
    csbmEvaluate(&f, day("2026-05-01"), day("2026-03-21"), &r);
    assert_int_equal(r.late, 1);
    assert_int_equal(r.daysLate, 1);
    csbmEvaluate(&f, day("2026-05-01"), day("2025-12-01"), &r);
    assert_int_equal(r.late, 0);
    /* not notifiable: never late, deadline still computed */
    f.troops = 100;
    csbmEvaluate(&f, day("2026-05-01"), day("2026-04-30"), &r);
    assert_int_equal(r.late, 0);
    assert_int_equal(r.deadline, day("2026-03-20"));
}

typedef struct EligCase {
    const char *openTo, *nation, *day;
    int want;
    const char *reasonHas;
} EligCase;

static void testEligibility(void **state) {
    Fixture *fx = *state;
    static const EligCase cases[] = {
        {"NATO", "FIN", "2023-04-04", 1, "may take part"},
        {"NATO", "FIN", "2023-04-03", 0, "FIN joins NATO only on 2023-04-04"},
        {"NATO", "SWE", "2024-03-07", 1, NULL},
        {"NATO", "SWE", "2024-03-06", 0, "SWE joins NATO only on 2024-03-07"},
        {"PFP", "SWE", "2024-03-06", 1, NULL},
        {"PFP", "SWE", "2024-03-07", 0, "open to PFP only"},
        {"NATO,PFP", "SWE", "2024-03-07", 1, NULL},
        {"NATO,PFP", "GEO", "2026-06-01", 1, NULL},
        {"NATO,MD", "GEO", "2026-06-01", 0, "not eligible"},
        {"NATO,MD", "JOR", "2026-06-01", 1, NULL},
        {"GEO", "GEO", "2026-06-01", 1, NULL},
        {"EAPC", "UKR", "2026-06-01", 1, NULL},
        {"NATO", "XYZ", "2026-06-01", 0, "unknown nation"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char reason[256];
        int got = planEligible(&fx->reg, cases[i].openTo, cases[i].nation, day(cases[i].day),
                               reason, sizeof(reason));
        if (got != cases[i].want)
            fail_msg("%s in %s on %s: got %d (%s)", cases[i].nation, cases[i].openTo, cases[i].day,
                     got, reason);
        if (cases[i].reasonHas && !strstr(reason, cases[i].reasonHas))
            fail_msg("%s on %s: reason '%s' lacks '%s'", cases[i].nation, cases[i].day, reason,
                     cases[i].reasonHas);
    }
}

static int64_t sumShares(const PlanShare *s, int n) {
    int64_t t = 0;
    for (int k = 0; k < n; k++)
        t += s[k].share;
    return t;
}

static void testApportionTable(void **state) {
    (void)state;
    /* weights 50/30/20: exact shares */
    PlanShare s[4] = {
        {.nation = "USA", .gdp = 50}, {.nation = "DEU", .gdp = 30}, {.nation = "POL", .gdp = 20}};
    pnError err = {0};
    assert_int_equal(planApportion(s, 3, 100, 0, &err), PN_OK);
    assert_int_equal(s[0].share, 50);
    assert_int_equal(s[1].share, 30);
    assert_int_equal(s[2].share, 20);
    /* 10 over three equal weights: 3.33 each, one left goes to the first (tie) */
    PlanShare e[3] = {
        {.nation = "AAA", .gdp = 1}, {.nation = "BBB", .gdp = 1}, {.nation = "CCC", .gdp = 1}};
    assert_int_equal(planApportion(e, 3, 10, 0, &err), PN_OK);
    assert_int_equal(e[0].share, 4);
    assert_int_equal(e[1].share, 3);
    assert_int_equal(e[2].share, 3);
    /* largest remainder: 7 over 60/25/15 -> 4.2, 1.75, 1.05 -> 4, 2, 1 */
    PlanShare r[3] = {
        {.nation = "AAA", .gdp = 60}, {.nation = "BBB", .gdp = 25}, {.nation = "CCC", .gdp = 15}};
    assert_int_equal(planApportion(r, 3, 7, 0, &err), PN_OK);
    assert_int_equal(r[0].share, 4);
    assert_int_equal(r[1].share, 2);
    assert_int_equal(r[2].share, 1);
    /* floor: 100 over 97/2/1 with floor 5: the two small get 5, the big 90 */
    PlanShare f[3] = {
        {.nation = "BIG", .gdp = 97}, {.nation = "MID", .gdp = 2}, {.nation = "LOW", .gdp = 1}};
    assert_int_equal(planApportion(f, 3, 100, 5, &err), PN_OK);
    assert_int_equal(f[0].share, 90);
    assert_int_equal(f[1].share, 5);
    assert_int_equal(f[2].share, 5);
    /* a floor too high for the requirement is refused */
    assert_int_equal(planApportion(f, 3, 14, 5, &err), PN_EINVAL);
    assert_non_null(strstr(err.msg, "more than the requirement"));
    /* all-zero weights are refused */
    PlanShare z[2] = {{.nation = "AAA", .gdp = 0}, {.nation = "BBB", .gdp = 0}};
    assert_int_equal(planApportion(z, 2, 10, 0, &err), PN_EINVAL);
}

/* The shares plan.h promises, worked out here with exact integer
 * arithmetic on the whole-number weights (not with PlanShare.exact, which
 * planApportion computes): nations whose share of what is left is below
 * the floor get the floor, round after round; the rest get the integer part
 * of left * w / W and the missing units go to the largest remainders (ties:
 * larger weight, then earlier nation). */
static void expectedShares(const int64_t *gdp, int n, int64_t req, int64_t floor, int64_t *out) {
    char active[32];
    int64_t left = req, w = 0;
    for (int k = 0; k < n; k++)
        active[k] = 1, w += gdp[k];
    for (int changed = 1; changed && w > 0;) {
        changed = 0;
        int64_t wNext = w, leftNext = left;
        for (int k = 0; k < n; k++)
            if (active[k] && (__int128)left * gdp[k] < (__int128)floor * w) {
                active[k] = 0, out[k] = floor, leftNext -= floor, wNext -= gdp[k], changed = 1;
            }
        w = wNext, left = leftNext;
    }
    int64_t given = 0;
    __int128 rem[32];
    for (int k = 0; k < n; k++)
        if (active[k]) {
            out[k] = w ? (int64_t)((__int128)left * gdp[k] / w) : 0;
            rem[k] = w ? (__int128)left * gdp[k] % w : 0;
            given += out[k];
        }
    for (; given < left; given++) {
        int best = -1;
        for (int k = 0; k < n; k++)
            if (active[k] &&
                (best < 0 || rem[k] > rem[best] || (rem[k] == rem[best] && gdp[k] > gdp[best])))
                best = k;
        out[best]++;
        active[best] = 0; /* one unit each */
    }
}

/* Random weights, requirements and floors: every share equals the one
 * worked out independently above. */
static void testApportionExact(void **state) {
    (void)state;
    srand(4774);
    for (int round = 0; round < 3000; round++) {
        int n = 1 + rand() % 32;
        PlanShare s[32];
        int64_t gdp[32], want[32];
        memset(s, 0, sizeof(s));
        for (int k = 0; k < n; k++) {
            assert_true(snprintf(s[k].nation, sizeof(s[k].nation), "N%02d", k) <
                        (int)sizeof(s[k].nation));
            /* small weights make ties and equal remainders common */
            gdp[k] = round % 3 ? rand() % 3000000 + (k == 0) : rand() % 4 + 1;
            s[k].gdp = (double)gdp[k];
        }
        int64_t floor = rand() % 4 ? 0 : rand() % 20;
        int64_t req = floor * n + rand() % 5000;
        pnError err = {0};
        if (planApportion(s, n, req, floor, &err) != PN_OK)
            fail_msg("round %d: %s", round, err.msg);
        expectedShares(gdp, n, req, floor, want);
        for (int k = 0; k < n; k++)
            if (s[k].share != want[k])
                fail_msg("round %d (n %d, req %lld, floor %lld): nation %d got %lld, want %lld",
                         round, n, (long long)req, (long long)floor, k, (long long)s[k].share,
                         (long long)want[k]);
    }
}

/* Random weights and requirements: the shares always sum exactly, respect
 * the floor and stay within one unit of the proportional share of the
 * nations above the floor (|share * W - req * w| < W, in integers). */
static void testApportionSums(void **state) {
    (void)state;
    srand(7);
    for (int round = 0; round < 2000; round++) {
        int n = 1 + rand() % 32;
        PlanShare s[32];
        memset(s, 0, sizeof(s));
        for (int k = 0; k < n; k++) {
            assert_true(snprintf(s[k].nation, sizeof(s[k].nation), "N%02d", k) <
                        (int)sizeof(s[k].nation));
            s[k].gdp = (double)(rand() % 3000000) + (k == 0); /* never all zero */
        }
        int64_t total = 0;
        for (int k = 0; k < n; k++)
            total += (int64_t)s[k].gdp;
        int64_t floor = rand() % 4;
        int64_t req = floor * n + rand() % 5000;
        pnError err = {0};
        if (planApportion(s, n, req, floor, &err) != PN_OK)
            fail_msg("round %d: %s", round, err.msg);
        assert_int_equal(sumShares(s, n), req);
        for (int k = 0; k < n; k++)
            assert_true(s[k].share >= floor);
        if (floor == 0)
            for (int k = 0; k < n; k++) {
                __int128 d = (__int128)s[k].share * total - (__int128)req * (int64_t)s[k].gdp;
                assert_true(d < total && -d < total);
            }
    }
}

static void testInteropIndex(void **state) {
    (void)state;
    const char *a1[] = {"comms", "comms", "language"};
    const char *r1[] = {"met", "not_met", "partly"};
    /* comms mean 0.5, language 0.5 -> 50 */
    assert_true(fabs(planInteropIndex(a1, r1, 3) - 50.0) < 1e-9);
    const char *a2[] = {"comms", "comms", "comms", "logistics"};
    const char *r2[] = {"met", "met", "met", "not_met"};
    /* equal area weights: (1 + 0) / 2 = 50, not 75 */
    assert_true(fabs(planInteropIndex(a2, r2, 4) - 50.0) < 1e-9);
    const char *a3[] = {"c2"};
    const char *r3[] = {"met"};
    assert_true(fabs(planInteropIndex(a3, r3, 1) - 100.0) < 1e-9);
    const char *r4[] = {"maybe"};
    assert_true(planInteropIndex(a3, r4, 1) < 0);
    assert_true(planInteropIndex(a3, r3, 0) < 0);
    assert_true(fabs(planInteropScore("partly") - 0.5) < 1e-12);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(testCsbmThresholds), cmocka_unit_test(testCsbmDeadline),
        cmocka_unit_test(testEligibility),    cmocka_unit_test(testApportionTable),
        cmocka_unit_test(testApportionSums),  cmocka_unit_test(testApportionExact),
        cmocka_unit_test(testInteropIndex),
    };
    return cmocka_run_group_tests(tests, fixtureSetup, fixtureTeardown);
}
