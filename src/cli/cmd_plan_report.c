/*
 * cmd_plan_report.c -- the reporting half of `partnernet plan`: exercises
 * and their Vienna Document evaluation (`csbm`, `exercise add`,
 * `exercises`, `outbox`), capability gaps, fair shares, defence expenditure
 * and interoperability (see cmd_plan.c for the rest).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/date.h"
#include "../core/str.h"
#include "../plan/plan_json.h"
#include "plan_cli.h"

/* ---- CSBM -------------------------------------------------------------- */

/* The lines `plan csbm` and `plan exercise add` print for one evaluation. */
static void printCsbm(const CsbmResult *r, int32_t start, int32_t notified) {
    printf("notification: %s\n", r->notify ? "required" : "not required");
    printf("observation: %s\n", r->observe ? "required" : "not required");
    if (r->notify) printf("notification because: %s\n", r->notifyWhy);
    if (r->observe) printf("observation because: %s\n", r->observeWhy);
    if (start == PN_DAY_NONE || !r->notify) return;
    char d[11], n[11];
    dateFormat(r->deadline, d);
    printf("deadline: %s (%d days before the start)\n", d, CSBM_NOTIFY_DAYS);
    if (notified == PN_DAY_NONE) return;
    dateFormat(notified, n);
    if (r->late)
        printf("notified %s: late (%d day%s after the deadline)\n", n, r->daysLate,
               r->daysLate == 1 ? "" : "s");
    else
        printf("notified %s: on time\n", n);
}

typedef struct ForceArgs {
    const char *troops, *tanks, *acv, *artillery, *sorties, *landing, *start, *notified;
    int airborne, amphibious;
} ForceArgs;

/* Parse the figures of a ForceArgs into f (and the days); prints on error. */
static int parseForces(const char *cmd, const ForceArgs *x, CsbmForces *f, int32_t *start,
                       int32_t *notified) {
    memset(f, 0, sizeof(*f));
    if (planCount(cmd, "--troops", x->troops, &f->troops) ||
        planCount(cmd, "--tanks", x->tanks, &f->tanks) ||
        planCount(cmd, "--acv", x->acv, &f->acv) ||
        planCount(cmd, "--artillery", x->artillery, &f->artillery) ||
        planCount(cmd, "--sorties", x->sorties, &f->sorties) ||
        planCount(cmd, "--landing", x->landing, &f->landing) ||
        planDay(cmd, "--start", x->start, start) ||
        planDay(cmd, "--notified", x->notified, notified))
        return CLI_USAGE;
    f->airborne = x->airborne;
    f->amphibious = x->amphibious;
    f->hasLanding = x->landing != NULL;
    if (f->hasLanding && f->landing > f->troops)
        return cliFail(cmd, "--landing %lld is more than --troops %lld", (long long)f->landing,
                       (long long)f->troops);
    return CLI_OK;
}

#define FORCE_OPTS(x)                                                                              \
    {"--troops", &(x).troops, NULL}, {"--tanks", &(x).tanks, NULL}, {"--acv", &(x).acv, NULL},     \
        {"--artillery", &(x).artillery, NULL}, {"--sorties", &(x).sorties, NULL},                  \
        {"--landing", &(x).landing, NULL}, {"--start", &(x).start, NULL},                          \
        {"--notified", &(x).notified, NULL}, {"--airborne", NULL, &(x).airborne}, {                \
        "--amphibious", NULL, &(x).amphibious                                                      \
    }

int planCmdCsbm(Cli *cli, int argc, char **argv) {
    PlanArgs a = {"plan csbm", {0}, 0};
    const char *dir = cli->dataDir;
    ForceArgs x = {0};
    const PlanOpt opts[] = {FORCE_OPTS(x), {NULL}};
    if (planParse(&a, argc, argv, 2, opts, &dir) != CLI_OK) return CLI_USAGE;
    if (a.npos) return cliFail(a.cmd, "unexpected argument '%s'", a.pos[0]);
    if (!x.troops) return cliFail(a.cmd, "--troops N is needed");
    if (x.notified && !x.start) return cliFail(a.cmd, "--notified needs --start");
    CsbmForces f;
    int32_t start = PN_DAY_NONE, notified = PN_DAY_NONE;
    if (parseForces(a.cmd, &x, &f, &start, &notified) != CLI_OK) return CLI_USAGE;
    CsbmResult r;
    csbmEvaluate(&f, start, notified, &r);
    printCsbm(&r, start, notified);
    return CLI_OK;
}

int planCmdExercise(Cli *cli, int argc, char **argv) {
    PlanArgs a = {"plan exercise", {0}, 0};
    const char *dir = cli->dataDir, *code = NULL, *name = NULL, *end = NULL, *place = NULL;
    const char *host = NULL, *nation = NULL;
    ForceArgs x = {0};
    const PlanOpt opts[] = {FORCE_OPTS(x),
                            {"--code", &code, NULL},
                            {"--name", &name, NULL},
                            {"--end", &end, NULL},
                            {"--place", &place, NULL},
                            {"--host", &host, NULL},
                            {"--nation", &nation, NULL},
                            {NULL}};
    if (planParse(&a, argc, argv, 2, opts, &dir) != CLI_OK) return CLI_USAGE;
    if (a.npos != 1 || strcmp(a.pos[0], "add") != 0)
        return cliFail(a.cmd, "say 'plan exercise add --code C --name N --start D --end D "
                              "--host NATION --troops N ...'");
    const char *need[] = {code, name, x.start, end, host, x.troops};
    const char *names[] = {"--code", "--name", "--start", "--end", "--host", "--troops"};
    for (int k = 0; k < 6; k++)
        if (!need[k]) return cliFail(a.cmd, "exercise add needs %s", names[k]);
    CsbmForces f;
    int32_t start = PN_DAY_NONE, notified = PN_DAY_NONE, last = PN_DAY_NONE;
    if (parseForces(a.cmd, &x, &f, &start, &notified) != CLI_OK ||
        planDay(a.cmd, "--end", end, &last) != CLI_OK)
        return CLI_USAGE;
    PlanExercise e;
    PlanContribution c;
    memset(&e, 0, sizeof(e));
    memset(&c, 0, sizeof(c));
    if (strCopy(e.code, sizeof(e.code), code) || strCopy(e.name, sizeof(e.name), name) ||
        strCopy(e.start, sizeof(e.start), x.start) || strCopy(e.end, sizeof(e.end), end) ||
        strCopy(e.place, sizeof(e.place), place ? place : "") ||
        strCopy(e.host, sizeof(e.host), host) ||
        strCopy(c.nation, sizeof(c.nation), nation ? nation : host) ||
        strCopy(e.notified, sizeof(e.notified), x.notified ? x.notified : ""))
        return cliFail(a.cmd, "a value is too long");
    strUpper(e.host);
    strUpper(c.nation);
    e.airborne = x.airborne;
    e.amphibious = x.amphibious;
    c.troops = f.troops;
    c.tanks = f.tanks;
    c.acv = f.acv;
    c.artillery = f.artillery;
    c.sorties = f.sorties;
    c.landing = f.landing;
    c.hasLanding = f.hasLanding;
    Plan *p;
    if (planOpenCli(cli, a.cmd, dir, 1, &p) != CLI_OK) return CLI_USAGE;
    pnError err = {0};
    int queued = 0;
    CsbmResult r;
    int rc = planExerciseRecord(p, &e, &c, &f, &r, &queued, &err);
    planClose(p);
    if (rc != PN_OK) return cliFail(a.cmd, "%s", err.msg);
    printf("recorded %s: %s, %s .. %s, %s contributes %lld troops (total %lld)\n", e.code, e.name,
           e.start, e.end, c.nation, (long long)c.troops, (long long)f.troops);
    printCsbm(&r, start, notified);
    if (queued) printf("notification queued for %s (%s)\n", PLAN_CSBM_TOPIC, PLAN_CSBM_LABEL);
    return CLI_OK;
}

#define EX_ROW "%-10s  %-10s  %-22s  %-5s  %7s  %5s  %5s  %5s  %-12s  %-12s  %-10s  %s\n"

static int printExercise(const PlanExercise *e, const CsbmForces *f, const CsbmResult *r,
                         void *ctx) {
    char t[4][24], deadline[11] = "-";
    snprintf(t[0], sizeof(t[0]), "%lld", (long long)f->troops);
    snprintf(t[1], sizeof(t[1]), "%lld", (long long)f->tanks);
    snprintf(t[2], sizeof(t[2]), "%lld", (long long)f->acv);
    snprintf(t[3], sizeof(t[3]), "%lld", (long long)f->artillery);
    if (r->notify) dateFormat(r->deadline, deadline);
    /* The day notified (given, or when the node published the notice). */
    char status[40];
    if (!r->notify)
        snprintf(status, sizeof(status), "-");
    else if (!e->notified[0])
        snprintf(status, sizeof(status), "not notified");
    else
        snprintf(status, sizeof(status), "%s %s", e->notified, r->late ? "late" : "on time");
    printf(EX_ROW, e->start, e->end, e->code, e->host, t[0], t[1], t[2], t[3],
           r->notify ? "required" : "not required", r->observe ? "required" : "not required",
           deadline, status);
    (*(int *)ctx)++;
    return 0;
}

int planCmdExercises(Cli *cli, int argc, char **argv) {
    PlanArgs a = {"plan exercises", {0}, 0};
    const char *dir = cli->dataDir, *from = NULL;
    const PlanOpt opts[] = {{"--from", &from, NULL}, {NULL}};
    if (planParse(&a, argc, argv, 2, opts, &dir) != CLI_OK) return CLI_USAGE;
    if (a.npos) return cliFail(a.cmd, "unexpected argument '%s'", a.pos[0]);
    int32_t day = PN_DAY_NONE;
    if (planDay(a.cmd, "--from", from, &day) != CLI_OK) return CLI_USAGE;
    Plan *p;
    if (planOpenCli(cli, a.cmd, dir, 0, &p) != CLI_OK) return CLI_USAGE;
    printf(EX_ROW, "START", "END", "EXERCISE", "HOST", "TROOPS", "TANKS", "ACV", "ARTY",
           "NOTIFICATION", "OBSERVATION", "DEADLINE", "NOTIFIED");
    int n = 0;
    pnError err = {0};
    int rc = planExercises(p, day, printExercise, &n, &err);
    planClose(p);
    if (rc != PN_OK) return cliFail(a.cmd, "%s", err.msg);
    printf("(%d exercise%s; thresholds: Vienna Document 2011, paras. 38, 40, 47)\n", n,
           n == 1 ? "" : "s");
    return CLI_OK;
}

int planCmdOutbox(Cli *cli, int argc, char **argv) {
    PlanArgs a = {"plan outbox", {0}, 0};
    const char *dir = cli->dataDir;
    if (planParse(&a, argc, argv, 2, NULL, &dir) != CLI_OK) return CLI_USAGE;
    if (a.npos) return cliFail(a.cmd, "unexpected argument '%s'", a.pos[0]);
    Plan *p;
    if (planOpenCli(cli, a.cmd, dir, 0, &p) != CLI_OK) return CLI_USAGE;
    PlanNotice n;
    pnError err = {0};
    int rc = planOutboxNext(p, 0, &n, &err);
    if (rc == 1) printf("next: #%lld %s [%s] %s\n", (long long)n.id, n.topic, n.label, n.payload);
    printf("%lld pending\n", (long long)planOutboxPending(p));
    planClose(p);
    if (rc < 0) return cliFail(a.cmd, "%s", err.msg);
    return CLI_OK;
}

/* ---- gaps -------------------------------------------------------------- */

typedef struct GapCtx {
    int format; /* 0 table, 1 csv, 2 json */
    json_t *arr;
    int rows;
    int allianceRows; /* ALL rows seen: the table shows them apart, unranked */
} GapCtx;

static void trendText(const PlanGap *g, char *out, size_t cap) {
    if (!g->hasPrev) {
        snprintf(out, cap, "new");
        return;
    }
    int64_t d = g->gap - g->prevGap;
    snprintf(out, cap, "%s%lld vs %d (%s)", d > 0 ? "+" : "", (long long)d, g->prevCycle,
             d > 0   ? "worse"
             : d < 0 ? "better"
                     : "same");
}

static int printGap(const PlanGap *g, void *ctx) {
    GapCtx *c = ctx;
    char trend[64];
    trendText(g, trend, sizeof(trend));
    c->rows++;
    if (c->format == 0 && strcmp(g->nation, "ALL") == 0) {
        /* Alliance totals are sums, not contenders in the national ranking. */
        if (c->allianceRows++ == 0)
            printf("\nalliance totals (all nations' targets and holdings; gap = sum of national "
                   "gaps)\n%-27s  %8s  %8s  %8s  %8s  %s\n",
                   "AREA", "TARGET", "HELD", "READY", "GAP", "TREND");
        printf("%-27s  %8lld  %8lld  %8lld  %8lld  %s\n", g->area, (long long)g->target,
               (long long)g->held, (long long)g->ready, (long long)g->gap, trend);
    } else if (c->format == 0) {
        printf("%4d  %-5s  %-20s  %8lld  %8lld  %8lld  %8lld  %s\n", c->rows, g->nation, g->area,
               (long long)g->target, (long long)g->held, (long long)g->ready, (long long)g->gap,
               trend);
    } else if (c->format == 1) {
        printf("%d,%s,%s,%d,%lld,%lld,%lld,%lld,", c->rows, g->nation, g->area, g->cycle,
               (long long)g->target, (long long)g->held, (long long)g->ready, (long long)g->gap);
        if (g->hasPrev)
            printf("%d,%lld\n", g->prevCycle, (long long)g->prevGap);
        else
            printf(",\n");
    } else {
        json_t *o = planGapJson(g, c->rows);
        if (!o || json_array_append_new(c->arr, o) != 0) return 1;
    }
    return 0;
}

int planCmdGaps(Cli *cli, int argc, char **argv) {
    PlanArgs a = {"plan gaps", {0}, 0};
    const char *dir = cli->dataDir, *cycle = NULL, *nation = NULL, *format = "table";
    const PlanOpt opts[] = {{"--cycle", &cycle, NULL},
                            {"--nation", &nation, NULL},
                            {"--format", &format, NULL},
                            {NULL}};
    if (planParse(&a, argc, argv, 2, opts, &dir) != CLI_OK) return CLI_USAGE;
    if (a.npos) return cliFail(a.cmd, "unexpected argument '%s'", a.pos[0]);
    int64_t cy = 0;
    if (planCount(a.cmd, "--cycle", cycle, &cy) != CLI_OK) return CLI_USAGE;
    GapCtx c = {0, NULL, 0, 0};
    if (strcmp(format, "csv") == 0)
        c.format = 1;
    else if (strcmp(format, "json") == 0)
        c.format = 2;
    else if (strcmp(format, "table") != 0)
        return cliFail(a.cmd, "--format is table, csv or json, not '%s'", format);
    Plan *p;
    if (planOpenCli(cli, a.cmd, dir, 0, &p) != CLI_OK) return CLI_USAGE;
    if (!cycle) { /* the latest cycle the store has targets for */
        pnError e = {0};
        int latest = 0;
        if (planLatestCycle(p, &latest, &e) != PN_OK) {
            planClose(p);
            return cliFail(a.cmd, "%s (or give --cycle YEAR)", e.msg);
        }
        cy = latest;
    }
    char code[8] = "";
    if (nation) {
        int n = registryNation(&cli->reg, nation);
        if (n < 0) {
            planClose(p);
            return cliFail(a.cmd, "unknown nation '%s'", nation);
        }
        snprintf(code, sizeof(code), "%s", cli->reg.nations[n].code);
    }
    if (c.format == 0)
        printf("%4s  %-5s  %-20s  %8s  %8s  %8s  %8s  %s\n", "RANK", "NATION", "AREA", "TARGET",
               "HELD", "READY", "GAP", "TREND");
    if (c.format == 1)
        printf("rank,nation,area,cycle,target,held,ready,gap,previous_cycle,previous_gap\n");
    if (c.format == 2) c.arr = json_array();
    pnError err = {0};
    int rc = planGaps(p, (int)cy, nation ? code : NULL, printGap, &c, &err);
    planClose(p);
    if (rc != PN_OK) {
        json_decref(c.arr);
        return cliFail(a.cmd, "%s", err.msg);
    }
    if (c.format == 2) {
        char *text = json_dumps(c.arr, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        json_decref(c.arr);
        if (!text) return cliFail(a.cmd, "out of memory");
        puts(text);
        free(text);
    }
    if (c.format == 0 && c.rows == 0) printf("(no targets for cycle %lld)\n", (long long)cy);
    return CLI_OK;
}

/* ---- fair shares and expenditure --------------------------------------- */

int planCmdFairshare(Cli *cli, int argc, char **argv) {
    PlanArgs a = {"plan fairshare", {0}, 0};
    const char *dir = cli->dataDir, *req = NULL, *floorText = "0", *year = NULL, *group = NULL;
    const char *area = NULL, *cycle = NULL;
    const PlanOpt opts[] = {{"--requirement", &req, NULL},
                            {"--floor", &floorText, NULL},
                            {"--year", &year, NULL},
                            {"--framework", &group, NULL},
                            {"--area", &area, NULL},
                            {"--cycle", &cycle, NULL},
                            {NULL}};
    if (planParse(&a, argc, argv, 2, opts, &dir) != CLI_OK) return CLI_USAGE;
    if (a.npos) return cliFail(a.cmd, "unexpected argument '%s'", a.pos[0]);
    if (!req || !year) return cliFail(a.cmd, "--requirement N and --year YEAR are needed");
    if ((area != NULL) != (cycle != NULL)) return cliFail(a.cmd, "--area and --cycle go together");
    int64_t r = 0, fl = 0, y = 0, cy = 0;
    if (planCount(a.cmd, "--requirement", req, &r) || planCount(a.cmd, "--floor", floorText, &fl) ||
        planCount(a.cmd, "--year", year, &y) || planCount(a.cmd, "--cycle", cycle, &cy))
        return CLI_USAGE;
    Plan *p;
    if (planOpenCli(cli, a.cmd, dir, 0, &p) != CLI_OK) return CLI_USAGE;
    PlanShare *s = NULL;
    int n = 0;
    pnError err = {0};
    int rc = planFairShare(p, r, fl, (int)y, group, area, (int)cy, &s, &n, &err);
    planClose(p);
    if (rc != PN_OK) return cliFail(a.cmd, "%s", err.msg);
    double total = 0;
    for (int k = 0; k < n; k++)
        total += s[k].gdp;
    printf("%-6s  %14s  %7s  %10s  %7s%s\n", "NATION", "GDP (M USD)", "SHARE", "EXACT", "FAIR",
           area ? "   TARGET  TARGET-FAIR" : "");
    int64_t sum = 0;
    for (int k = 0; k < n; k++) {
        sum += s[k].share;
        printf("%-6s  %14.0f  %6.2f%%  %10.2f  %7lld", s[k].nation, s[k].gdp,
               100.0 * s[k].gdp / total, s[k].exact, (long long)s[k].share);
        if (area && s[k].hasTarget)
            printf("  %7lld  %+11lld", (long long)s[k].target,
                   (long long)(s[k].target - s[k].share));
        else if (area)
            printf("  %7s  %11s", "-", "-");
        putchar('\n');
    }
    printf("total %lld of %lld over %d nations (GDP %lld, floor %lld, largest remainder)\n",
           (long long)sum, (long long)r, n, (long long)y, (long long)fl);
    free(s);
    return CLI_OK;
}

static int printSpend(const PlanSpend *s, void *ctx) {
    char core[32];
    double d = s->pct - PLAN_HAGUE_CORE_PCT;
    snprintf(core, sizeof(core), "%+.2f", d);
    printf("%-6s  %4d  %6.2f%%  %-9s  %-7s  %s\n", s->nation, s->year, s->pct,
           s->pct >= PLAN_WALES_PCT ? "met" : "below", core, s->status);
    (*(int *)ctx)++;
    return 0;
}

int planCmdExpenditure(Cli *cli, int argc, char **argv) {
    PlanArgs a = {"plan expenditure", {0}, 0};
    const char *dir = cli->dataDir, *year = NULL, *nation = NULL;
    const PlanOpt opts[] = {{"--year", &year, NULL}, {"--nation", &nation, NULL}, {NULL}};
    if (planParse(&a, argc, argv, 2, opts, &dir) != CLI_OK) return CLI_USAGE;
    if (a.npos) return cliFail(a.cmd, "unexpected argument '%s'", a.pos[0]);
    int64_t y = 0;
    if (planCount(a.cmd, "--year", year, &y) != CLI_OK) return CLI_USAGE;
    Plan *p;
    if (planOpenCli(cli, a.cmd, dir, 0, &p) != CLI_OK) return CLI_USAGE;
    char code[8] = "";
    if (nation) {
        int k = registryNation(&cli->reg, nation);
        if (k < 0) {
            planClose(p);
            return cliFail(a.cmd, "unknown nation '%s'", nation);
        }
        snprintf(code, sizeof(code), "%s", cli->reg.nations[k].code);
    }
    printf("%-6s  %4s  %7s  %-9s  %-7s  %s\n", "NATION", "YEAR", "% GDP", "2% (2014)", "vs 3.5%",
           "STATUS");
    int n = 0;
    pnError err = {0};
    int rc = planExpenditure(p, (int)y, nation ? code : NULL, printSpend, &n, &err);
    planClose(p);
    if (rc != PN_OK) return cliFail(a.cmd, "%s", err.msg);
    printf("(%d row%s; guidelines: 2%% of GDP, Wales 2014; by 2035 at least 3.5%% core defence "
           "and up to 1.5%% related, The Hague 2025 -- the related spending is not in these "
           "figures)\n",
           n, n == 1 ? "" : "s");
    return CLI_OK;
}

/* ---- interoperability -------------------------------------------------- */

static int printInterop(const PlanInterop *e, void *ctx) {
    char trend[48] = "first";
    if (e->hasPrev) snprintf(trend, sizeof(trend), "%+.1f", e->index - e->prevIndex);
    printf("%-24s  %-6s  %-10s  %5d  %4d  %6d  %7d  %6.1f  %-8s  %s\n", e->unit, e->nation, e->date,
           e->items, e->met, e->partly, e->notMet, e->index, trend, e->evaluator);
    (*(int *)ctx)++;
    return 0;
}

static int interopRecord(Cli *cli, const PlanArgs *a, const char *dir, const char *const *v) {
    const char *names[] = {"--unit", "--nation", "--date",  "--evaluator",
                           "--area", "--item",   "--result"};
    for (int k = 0; k < 7; k++)
        if (!v[k]) return cliFail(a->cmd, "record needs %s", names[k]);
    Plan *p;
    if (planOpenCli(cli, a->cmd, dir, 1, &p) != CLI_OK) return CLI_USAGE;
    char nation[8];
    snprintf(nation, sizeof(nation), "%s", v[1]);
    strUpper(nation);
    pnError err = {0};
    int rc = planInteropRecord(p, v[0], nation, v[2], v[3], v[4], v[5], v[6], v[7], &err);
    planClose(p);
    if (rc != PN_OK) return cliFail(a->cmd, "%s", err.msg);
    printf("recorded %s %s %s/%s: %s\n", v[0], v[2], v[4], v[5], v[6]);
    return CLI_OK;
}

int planCmdInterop(Cli *cli, int argc, char **argv) {
    PlanArgs a = {"plan interop", {0}, 0};
    const char *dir = cli->dataDir, *v[8] = {0};
    int nations = 0;
    const PlanOpt opts[] = {{"--unit", &v[0], NULL},       {"--nation", &v[1], NULL},
                            {"--date", &v[2], NULL},       {"--evaluator", &v[3], NULL},
                            {"--area", &v[4], NULL},       {"--item", &v[5], NULL},
                            {"--result", &v[6], NULL},     {"--evidence", &v[7], NULL},
                            {"--nations", NULL, &nations}, {NULL}};
    if (planParse(&a, argc, argv, 2, opts, &dir) != CLI_OK) return CLI_USAGE;
    if (a.npos == 1 && strcmp(a.pos[0], "record") == 0) return interopRecord(cli, &a, dir, v);
    if (a.npos) return cliFail(a.cmd, "unexpected argument '%s' (record, or options)", a.pos[0]);
    Plan *p;
    if (planOpenCli(cli, a.cmd, dir, 0, &p) != CLI_OK) return CLI_USAGE;
    pnError err = {0};
    int rc = PN_OK, n = 0;
    if (nations) {
        PlanNationIndex *rows = NULL;
        rc = planInteropNations(p, &rows, &n, &err);
        if (rc == PN_OK) printf("%-6s  %5s  %6s  %s\n", "NATION", "UNITS", "INDEX", "TREND");
        for (int k = 0; rc == PN_OK && k < n; k++) {
            char trend[32] = "first";
            if (rows[k].hasPrev)
                snprintf(trend, sizeof(trend), "%+.1f", rows[k].index - rows[k].prevIndex);
            printf("%-6s  %5d  %6.1f  %s\n", rows[k].nation, rows[k].units, rows[k].index, trend);
        }
        free(rows);
    } else {
        char code[8] = "";
        if (v[1]) {
            snprintf(code, sizeof(code), "%s", v[1]);
            strUpper(code);
        }
        printf("%-24s  %-6s  %-10s  %5s  %4s  %6s  %7s  %6s  %-8s  %s\n", "UNIT", "NATION", "DATE",
               "ITEMS", "MET", "PARTLY", "NOT MET", "INDEX", "TREND", "EVALUATOR");
        rc = planInterop(p, v[1] ? code : NULL, v[0], printInterop, &n, &err);
    }
    planClose(p);
    if (rc != PN_OK) return cliFail(a.cmd, "%s", err.msg);
    printf("(index = 100 x mean over checklist areas of the area's mean item score; met 1, "
           "partly 0.5, not met 0)\n");
    return CLI_OK;
}
