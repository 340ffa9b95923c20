/*
 * capability.c -- defence planning: capability targets against declared
 * ready holdings (gaps, ranked shortfalls, trend against the previous
 * cycle), fair-share apportionment by GDP with a floor, and defence
 * expenditure against the NATO guidelines (see plan.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/date.h"
#include "../core/str.h"
#include "plan_int.h"

/* ---- gaps -------------------------------------------------------------- */

/* National rows: gap = max(0, target - ready); the previous cycle is the
 * latest earlier one with a target for the same nation and area. */
static const char nationalSql[] =
    "SELECT g.nation, g.area, g.quantity, g.held, g.ready, g.gap, g.pc,"
    " (SELECT max(0, t3.quantity - coalesce(h3.ready, 0)) FROM targets t3"
    "  LEFT JOIN holdings h3 ON h3.cycle = t3.cycle AND h3.nation = t3.nation"
    "  AND h3.area = t3.area"
    "  WHERE t3.nation = g.nation AND t3.area = g.area AND t3.cycle = g.pc)"
    " FROM (SELECT t.nation, t.area, t.quantity, coalesce(h.held, 0) AS held,"
    "  coalesce(h.ready, 0) AS ready, max(0, t.quantity - coalesce(h.ready, 0)) AS gap,"
    "  (SELECT max(t2.cycle) FROM targets t2 WHERE t2.nation = t.nation AND t2.area = t.area"
    "   AND t2.cycle < t.cycle) AS pc"
    "  FROM targets t LEFT JOIN holdings h ON h.cycle = t.cycle AND h.nation = t.nation"
    "  AND h.area = t.area WHERE t.cycle = ?1 AND (?2 IS NULL OR t.nation = ?2)) g"
    " ORDER BY g.gap DESC, g.nation, g.area";

/* Alliance rows: sums over nations; the previous cycle is the latest
 * earlier one with any target in the area, its gap the sum of national
 * gaps then. */
static const char allianceSql[] =
    "SELECT g.area, g.target, g.held, g.ready, g.gap, g.pc,"
    " (SELECT sum(max(0, t3.quantity - coalesce(h3.ready, 0))) FROM targets t3"
    "  LEFT JOIN holdings h3 ON h3.cycle = t3.cycle AND h3.nation = t3.nation"
    "  AND h3.area = t3.area WHERE t3.area = g.area AND t3.cycle = g.pc)"
    " FROM (SELECT t.area, sum(t.quantity) AS target, sum(coalesce(h.held, 0)) AS held,"
    "  sum(coalesce(h.ready, 0)) AS ready,"
    "  sum(max(0, t.quantity - coalesce(h.ready, 0))) AS gap,"
    "  (SELECT max(t2.cycle) FROM targets t2 WHERE t2.area = t.area AND t2.cycle < ?1) AS pc"
    "  FROM targets t LEFT JOIN holdings h ON h.cycle = t.cycle AND h.nation = t.nation"
    "  AND h.area = t.area WHERE t.cycle = ?1 GROUP BY t.area) g"
    " ORDER BY g.gap DESC, g.area";

static int gapRows(Plan *p, const char *sql, int cycle, const char *nationOrNull, int alliance,
                   int (*cb)(const PlanGap *g, void *ctx), void *ctx, pnError *err) {
    sqlite3_stmt *s = planPrepare(p, sql, err);
    if (!s) return PN_EIO;
    sqlite3_bind_int(s, 1, cycle);
    if (!alliance) planBindText(s, 2, nationOrNull, 1);
    int rc, c = alliance ? 0 : 1; /* alliance rows have no nation column */
    PlanGap g;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        memset(&g, 0, sizeof(g));
        g.cycle = cycle;
        if (alliance)
            snprintf(g.nation, sizeof(g.nation), "ALL");
        else
            planColText(s, 0, g.nation, sizeof(g.nation));
        planColText(s, c, g.area, sizeof(g.area));
        g.target = sqlite3_column_int64(s, c + 1);
        g.held = sqlite3_column_int64(s, c + 2);
        g.ready = sqlite3_column_int64(s, c + 3);
        g.gap = sqlite3_column_int64(s, c + 4);
        g.hasPrev = sqlite3_column_type(s, c + 5) != SQLITE_NULL;
        g.prevCycle = sqlite3_column_int(s, c + 5);
        g.prevGap = sqlite3_column_int64(s, c + 6);
        if (cb(&g, ctx) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    int out = rc == SQLITE_DONE ? PN_OK : planDbFail(p, err, "cannot compute gaps");
    sqlite3_finalize(s);
    return out;
}

int planLatestCycle(Plan *p, int *cycle, pnError *err) {
    sqlite3_stmt *s = planPrepare(p, "SELECT max(cycle) FROM targets", err);
    if (!s) return PN_EIO;
    int rc = sqlite3_step(s), out = PN_OK;
    if (rc != SQLITE_ROW)
        out = planDbFail(p, err, "cannot read the cycles");
    else if (sqlite3_column_type(s, 0) == SQLITE_NULL)
        out = pnErrorSet(err, PN_ENOENT, "no capability targets in the store: import some");
    else
        *cycle = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return out;
}

int planGaps(Plan *p, int cycle, const char *nationOrNull, int (*cb)(const PlanGap *g, void *ctx),
             void *ctx, pnError *err) {
    int rc = gapRows(p, nationalSql, cycle, nationOrNull, 0, cb, ctx, err);
    if (rc == PN_OK && !nationOrNull) rc = gapRows(p, allianceSql, cycle, NULL, 1, cb, ctx, err);
    return rc;
}

/* ---- fair shares ------------------------------------------------------- */

/* Weights as whole hundredths, so the apportionment is exact integer
 * arithmetic (products in 128 bits). */
static int64_t weightOf(double gdp) {
    return (int64_t)llround(gdp * 100.0);
}

typedef struct Rank {
    int k;
    __int128 rem; /* remainder of requirement * weight / total */
    int64_t w;
} Rank;

static int byRemainder(const void *a, const void *b) {
    const Rank *x = a, *y = b;
    if (x->rem != y->rem) return x->rem > y->rem ? -1 : 1;
    if (x->w != y->w) return x->w > y->w ? -1 : 1;
    return x->k - y->k;
}

int planApportion(PlanShare *s, int n, int64_t requirement, int64_t floor, pnError *err) {
    if (n <= 0) return pnErrorSet(err, PN_EINVAL, "no nations to apportion over");
    if (requirement < 0 || floor < 0)
        return pnErrorSet(err, PN_EINVAL, "requirement and floor must not be negative");
    if ((__int128)floor * n > requirement)
        return pnErrorSet(err, PN_EINVAL,
                          "a floor of %lld for %d nations needs %lld units, more than the "
                          "requirement of %lld",
                          (long long)floor, n, (long long)(floor * n), (long long)requirement);
    __int128 total = 0;
    for (int k = 0; k < n; k++) {
        if (s[k].gdp < 0 || !isfinite(s[k].gdp))
            return pnErrorSet(err, PN_EINVAL, "%s: GDP must be a positive number", s[k].nation);
        total += weightOf(s[k].gdp);
    }
    if (total == 0) return pnErrorSet(err, PN_EINVAL, "every GDP is zero");
    char *active = malloc((size_t)n);
    Rank *r = malloc(sizeof(Rank) * (size_t)n);
    if (!active || !r) {
        free(active);
        free(r);
        return pnErrorSet(err, PN_ENOMEM, "out of memory");
    }
    memset(active, 1, (size_t)n);
    for (int k = 0; k < n; k++)
        s[k].exact = (double)requirement * (double)weightOf(s[k].gdp) / (double)total;
    /* 1. nations below the floor get the floor and leave the pool */
    int64_t left = requirement;
    __int128 w = total;
    for (int changed = 1; changed && w > 0;) {
        changed = 0;
        __int128 wNext = w;
        int64_t leftNext = left;
        for (int k = 0; k < n; k++) {
            int64_t wk = weightOf(s[k].gdp);
            if (!active[k] || (__int128)left * wk >= (__int128)floor * w) continue;
            active[k] = 0;
            s[k].share = floor;
            leftNext -= floor;
            wNext -= wk;
            changed = 1;
        }
        w = wNext;
        left = leftNext;
    }
    /* 2. whole parts, then the largest remainders */
    int nr = 0;
    int64_t given = 0;
    for (int k = 0; k < n; k++) {
        if (!active[k]) continue;
        int64_t wk = weightOf(s[k].gdp);
        __int128 num = (__int128)left * wk;
        s[k].share = w > 0 ? (int64_t)(num / w) : 0;
        given += s[k].share;
        r[nr++] = (Rank){k, w > 0 ? num % w : 0, wk};
    }
    qsort(r, (size_t)nr, sizeof(Rank), byRemainder);
    for (int j = 0; given < left && j < nr; j++, given++)
        s[r[j].k].share++;
    free(active);
    free(r);
    return PN_OK;
}

static int byShare(const void *a, const void *b) {
    const PlanShare *x = a, *y = b;
    if (x->share != y->share) return x->share > y->share ? -1 : 1;
    if (x->gdp != y->gdp) return x->gdp > y->gdp ? -1 : 1;
    return strcmp(x->nation, y->nation);
}

int planFairShare(Plan *p, int64_t requirement, int64_t floor, int year, const char *groupOrNull,
                  const char *areaOrNull, int cycle, PlanShare **rows, int *n, pnError *err) {
    *rows = NULL;
    *n = 0;
    int group = -1;
    if (groupOrNull) {
        if (!p->reg || (group = registryGroup(p->reg, groupOrNull)) < 0)
            return pnErrorSet(err, PN_EINVAL, "unknown framework '%s'", groupOrNull);
    }
    sqlite3_stmt *s =
        planPrepare(p,
                    "SELECT g.nation, g.gdp_musd, t.quantity FROM gdp g LEFT JOIN targets t"
                    " ON t.nation = g.nation AND t.area = ?2 AND t.cycle = ?3 WHERE g.year = ?1"
                    " ORDER BY g.nation",
                    err);
    if (!s) return PN_EIO;
    sqlite3_bind_int(s, 1, year);
    planBindText(s, 2, areaOrNull, 1);
    sqlite3_bind_int(s, 3, cycle);
    PlanShare *v = NULL;
    int cnt = 0, cap = 0, rc;
    int32_t lastDay = dayFromCivil(year, 12, 31);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        char nation[8];
        planColText(s, 0, nation, sizeof(nation));
        if (group >= 0) {
            int k = registryNation(p->reg, nation);
            if (k < 0 || !GroupSetHas(&registryAt(p->reg, k, lastDay)->groups, (unsigned)group))
                continue;
        }
        if (cnt == cap) {
            cap = cap ? cap * 2 : 64;
            PlanShare *nv = realloc(v, sizeof(*v) * (size_t)cap);
            if (!nv) {
                rc = SQLITE_NOMEM;
                break;
            }
            v = nv;
        }
        PlanShare *x = &v[cnt++];
        memset(x, 0, sizeof(*x));
        snprintf(x->nation, sizeof(x->nation), "%s", nation);
        x->gdp = sqlite3_column_double(s, 1);
        x->hasTarget = sqlite3_column_type(s, 2) != SQLITE_NULL;
        x->target = sqlite3_column_int64(s, 2);
    }
    int out = rc == SQLITE_DONE    ? PN_OK
              : rc == SQLITE_NOMEM ? pnErrorSet(err, PN_ENOMEM, "out of memory")
                                   : planDbFail(p, err, "cannot read GDP figures");
    sqlite3_finalize(s);
    if (out == PN_OK && cnt == 0)
        out = pnErrorSet(err, PN_EINVAL, "no GDP figures for %d%s%s", year,
                         groupOrNull ? " of members of " : "", groupOrNull ? groupOrNull : "");
    if (out == PN_OK) out = planApportion(v, cnt, requirement, floor, err);
    if (out != PN_OK) {
        free(v);
        return out;
    }
    qsort(v, (size_t)cnt, sizeof(*v), byShare);
    *rows = v;
    *n = cnt;
    return PN_OK;
}

/* ---- expenditure ------------------------------------------------------- */

int planExpenditure(Plan *p, int year, const char *nationOrNull,
                    int (*cb)(const PlanSpend *s, void *ctx), void *ctx, pnError *err) {
    sqlite3_stmt *s = planPrepare(p,
                                  "SELECT nation, year, pct_gdp, status, coalesce(source, '')"
                                  " FROM expenditure WHERE (?1 = 0 OR year = ?1)"
                                  " AND (?2 IS NULL OR nation = ?2)"
                                  " ORDER BY year, pct_gdp DESC, nation",
                                  err);
    if (!s) return PN_EIO;
    sqlite3_bind_int(s, 1, year);
    planBindText(s, 2, nationOrNull, 1);
    int rc;
    PlanSpend x;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        memset(&x, 0, sizeof(x));
        planColText(s, 0, x.nation, sizeof(x.nation));
        x.year = sqlite3_column_int(s, 1);
        x.pct = sqlite3_column_double(s, 2);
        planColText(s, 3, x.status, sizeof(x.status));
        planColText(s, 4, x.source, sizeof(x.source));
        if (cb(&x, ctx) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    int out = rc == SQLITE_DONE ? PN_OK : planDbFail(p, err, "cannot read expenditure");
    sqlite3_finalize(s);
    return out;
}
