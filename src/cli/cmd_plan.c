/*
 * cmd_plan.c -- `partnernet plan`: cooperation and defence planning on the
 * store DIR/plan.db (default var/).  This file holds the dispatch and the
 * option helpers, import and export, the activity menu and its workflow,
 * individual programmes, the generator and the timing of every listing;
 * the reports live in cmd_plan_report.c.
 *
 * Exit statuses: 0 done; 1 a refusal (registration refused: not eligible,
 * not open); 2 usage or input errors, with one sentence on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../core/date.h"
#include "../core/str.h"
#include "../plan/view.h"
#include "conf.h"
#include "plan_cli.h"

/* ---- helpers ----------------------------------------------------------- */

int planParse(PlanArgs *a, int argc, char **argv, int first, const PlanOpt *opts,
              const char **dir) {
    a->npos = 0;
    for (int i = first; i < argc; i++) {
        int r = 0;
        if (argv[i][0] != '-' || argv[i][1] == '\0') {
            if (a->npos == PLAN_MAX_POS) return cliFail(a->cmd, "too many arguments");
            a->pos[a->npos++] = argv[i];
            continue;
        }
        if ((r = cliOpt(a->cmd, argc, argv, &i, "--data", dir)) != 0) {
            if (r < 0) return CLI_USAGE;
            continue;
        }
        const PlanOpt *o = opts;
        for (; o && o->name; o++) {
            if (!o->val && strcmp(argv[i], o->name) == 0) {
                *o->flag = 1;
                break;
            }
            if (o->val && (r = cliOpt(a->cmd, argc, argv, &i, o->name, o->val)) != 0) {
                if (r < 0) return CLI_USAGE;
                break;
            }
        }
        if (!o || !o->name) return cliFail(a->cmd, "unknown option '%s'", argv[i]);
    }
    return CLI_OK;
}

int planOpenCli(Cli *cli, const char *cmd, const char *dir, int create, Plan **out) {
    char path[4200];
    struct stat st;
    snprintf(path, sizeof(path), "%s/plan.db", dir);
    if (!create && cliNeedData(cmd, dir) != CLI_OK) return CLI_USAGE;
    if (!create && stat(path, &st) != 0)
        return cliFail(cmd, "no planning data in %s (start with 'partnernet plan import')", dir);
    if (cliLoad(cli) != CLI_OK) return CLI_USAGE;
    pnError err = {0};
    if (planOpen(out, dir, &cli->reg, &err) != PN_OK)
        return cliFail(cmd, "cannot open the planning store: %s", err.msg);
    return CLI_OK;
}

int planCount(const char *cmd, const char *opt, const char *text, int64_t *out) {
    if (!text) return CLI_OK;
    char *end;
    long long v = strtoll(text, &end, 10);
    if (!text[0] || *end || v < 0 || text[0] == '-' || text[0] == '+')
        return cliFail(cmd, "option %s: '%s' is not a whole number >= 0", opt, text);
    *out = v;
    return CLI_OK;
}

int planDay(const char *cmd, const char *opt, const char *text, int32_t *out) {
    if (!text) return CLI_OK;
    if (strcmp(text, "today") == 0) {
        *out = dayOfTime(timeNow());
        return CLI_OK;
    }
    if (dateParse(text, out) != 0)
        return cliFail(cmd, "option %s: '%s' is not a date (YYYY-MM-DD)", opt, text);
    return CLI_OK;
}

/* ---- import and export ------------------------------------------------- */

static int cmdImport(Cli *cli, int argc, char **argv) {
    PlanArgs a = {"plan import", {0}, 0};
    const char *dir = cli->dataDir;
    if (planParse(&a, argc, argv, 2, NULL, &dir) != CLI_OK) return CLI_USAGE;
    if (a.npos == 0) return cliFail(a.cmd, "name at least one FILE (.json or .csv)");
    int importable = 0;
    for (int k = 0; k < a.npos; k++)
        importable += planImportable(a.pos[k]);
    if (!importable) return cliFail(a.cmd, "no .json or .csv FILE named (nothing to import)");
    Plan *p;
    if (planOpenCli(cli, a.cmd, dir, 1, &p) != CLI_OK) return CLI_USAGE;
    int rc = CLI_OK;
    for (int k = 0; k < a.npos && rc == CLI_OK; k++) {
        pnError err = {0};
        int rows = 0;
        /* A shell glob (data/sample/...) also names the README: say so, go on. */
        if (!planImportable(a.pos[k])) {
            printf("skipped %s: not a .json or .csv file\n", a.pos[k]);
            continue;
        }
        if (planImportFile(p, a.pos[k], &rows, &err) != PN_OK)
            rc = cliFail(a.cmd, "%s", err.msg);
        else
            printf("imported %d record%s from %s\n", rows, rows == 1 ? "" : "s", a.pos[k]);
    }
    int64_t pending = planOutboxPending(p);
    if (rc == CLI_OK && pending > 0)
        printf("%lld CSBM notification%s waiting in the outbox for %s\n", (long long)pending,
               pending == 1 ? "" : "s", PLAN_CSBM_TOPIC);
    planClose(p);
    return rc;
}

static int cmdExport(Cli *cli, int argc, char **argv) {
    PlanArgs a = {"plan export", {0}, 0};
    const char *dir = cli->dataDir, *format = "json", *kind = NULL;
    const PlanOpt opts[] = {{"--format", &format, NULL}, {"--kind", &kind, NULL}, {NULL}};
    if (planParse(&a, argc, argv, 2, opts, &dir) != CLI_OK) return CLI_USAGE;
    if (a.npos) return cliFail(a.cmd, "unexpected argument '%s'", a.pos[0]);
    int csv = strcmp(format, "csv") == 0;
    if (!csv && strcmp(format, "json") != 0)
        return cliFail(a.cmd, "--format is json or csv, not '%s'", format);
    if (csv && !kind) return cliFail(a.cmd, "--format csv needs --kind KIND (one file per kind)");
    if (kind && !planKindHeader(kind)) return cliFail(a.cmd, "unknown kind '%s'", kind);
    Plan *p;
    if (planOpenCli(cli, a.cmd, dir, 0, &p) != CLI_OK) return CLI_USAGE;
    pnError err = {0};
    char *text = csv ? planExportCsv(p, kind, &err) : planExportJson(p, &err);
    planClose(p);
    if (!text) return cliFail(a.cmd, "%s", err.msg);
    fputs(text, stdout);
    if (!csv) fputc('\n', stdout);
    free(text);
    return CLI_OK;
}

/* ---- activities -------------------------------------------------------- */

/* Set up a viewer (src/plan/view.h) of nation with clearance (NU ...);
 * prints on error. */
static int viewerInit(PlanViewer *v, Cli *cli, const char *cmd, const char *nation,
                      const char *clearance) {
    char text[96];
    pnError err = {0};
    Principal p;
    snprintf(text, sizeof(text), "nation=%s,clearance=%s", nation, clearance);
    if (principalParse(&p, text, &cli->reg, &cli->spif, &err) != PN_OK)
        return cliFail(cmd, "%s", err.msg);
    planViewerInit(v, &p, &cli->spif, timeNow());
    return CLI_OK;
}

typedef struct ListCtx {
    int64_t limit, shown, hidden;
    PlanViewer *viewer; /* NULL: no --open-to, show everything */
} ListCtx;

#define ACT_ROW "%-10s  %-10s  %-24s  %-9s  %-9s  %-9s  %-20s  %s\n"

static int printListing(const PlanListing *l, void *ctx) {
    ListCtx *c = ctx;
    if (c->limit && c->shown >= c->limit) return 1;
    char label[256];
    planActivityLabel(&l->a, label, sizeof(label));
    if (c->viewer && !planViewerMay(c->viewer, label, NULL, 0)) {
        c->hidden++;
        return 0;
    }
    char places[24];
    snprintf(places, sizeof(places), "%d/%d", l->registered, l->i.capacity);
    printf(ACT_ROW, l->i.start, l->i.end, l->i.code, l->a.kind, l->i.status, places, l->a.openTo,
           l->a.title);
    c->shown++;
    return 0;
}

static int cmdActivities(Cli *cli, int argc, char **argv) {
    PlanArgs a = {"plan activities", {0}, 0};
    const char *dir = cli->dataDir, *openTo = NULL, *from = NULL, *kind = NULL, *limit = NULL;
    const char *clearance = "NU";
    const PlanOpt opts[] = {{"--open-to", &openTo, NULL}, {"--clearance", &clearance, NULL},
                            {"--from", &from, NULL},      {"--kind", &kind, NULL},
                            {"--limit", &limit, NULL},    {NULL}};
    if (planParse(&a, argc, argv, 2, opts, &dir) != CLI_OK) return CLI_USAGE;
    if (a.npos) return cliFail(a.cmd, "unexpected argument '%s'", a.pos[0]);
    int32_t day = PN_DAY_NONE;
    ListCtx c = {0, 0, 0, NULL};
    if (planDay(a.cmd, "--from", from, &day) || planCount(a.cmd, "--limit", limit, &c.limit))
        return CLI_USAGE;
    Plan *p;
    if (planOpenCli(cli, a.cmd, dir, 0, &p) != CLI_OK) return CLI_USAGE;
    char nation[8] = "";
    if (openTo) {
        int n = registryNation(&cli->reg, openTo);
        if (n < 0 || cli->reg.nations[n].kind != REG_NATION) {
            planClose(p);
            char hint[64];
            return cliFail(
                a.cmd, "unknown nation '%s'%s", openTo,
                registryDidYouMean(&cli->reg, openTo, SUGGEST_NATIONS, hint, sizeof(hint)));
        }
        snprintf(nation, sizeof(nation), "%s", cli->reg.nations[n].code);
    }
    PlanViewer *viewer = NULL;
    if (openTo) {
        viewer = malloc(sizeof(*viewer));
        if (!viewer || viewerInit(viewer, cli, a.cmd, nation, clearance) != CLI_OK) {
            free(viewer);
            planClose(p);
            return viewer ? CLI_USAGE : cliFail(a.cmd, "out of memory");
        }
        c.viewer = viewer;
    }
    printf(ACT_ROW, "START", "END", "INSTANCE", "KIND", "STATUS", "PLACES", "OPEN TO", "TITLE");
    pnError err = {0};
    int rc = planActivities(p, day, openTo ? nation : NULL, kind, printListing, &c, &err);
    planClose(p);
    free(viewer);
    if (rc != PN_OK) return cliFail(a.cmd, "%s", err.msg);
    printf("(%lld instance%s%s%s", (long long)c.shown, c.shown == 1 ? "" : "s",
           openTo ? " open to " : "", openTo ? nation : "");
    if (c.hidden)
        printf("; %lld more whose details are not releasable to %s", (long long)c.hidden, nation);
    printf(")\n");
    return CLI_OK;
}

/* ctx: the viewing nation (NULL: everything).  A nation sees the steps
 * about itself and those about no nation, not other nations' invitations,
 * registrations (participants' names) or feedback. */
static int printEvent(const PlanEvent *ev, void *ctx) {
    const char *viewer = ctx;
    if (viewer && ev->nation[0] && strcmp(ev->nation, viewer) != 0) return 0;
    char when[21];
    timeFormat(ev->at, when);
    printf("  %s  %-10s  %-4s  %-20s  %s\n", when, ev->step, ev->nation[0] ? ev->nation : "-",
           ev->actor[0] ? ev->actor : "-", ev->detail);
    return 0;
}

static int printFeedback(const char *nation, const char *text, void *ctx) {
    printf("  %s: %s\n", nation, text);
    return 0;
}

/* `plan activity show INSTANCE [--nation X [--clearance C]]`: the details
 * (only when releasable to X), the workflow, and the feedback X may read. */
static int activityShow(Cli *cli, Plan *p, const PlanArgs *a, const char *nation,
                        const char *clearance) {
    pnError err = {0};
    PlanListing l;
    char label[256], why[256] = "";
    if (planInstanceGet(p, a->pos[1], &l, &err) != PN_OK) return cliFail(a->cmd, "%s", err.msg);
    planActivityLabel(&l.a, label, sizeof(label));
    if (nation) {
        PlanViewer *v = malloc(sizeof(*v));
        if (!v) return cliFail(a->cmd, "out of memory");
        int rc = viewerInit(v, cli, a->cmd, nation, clearance);
        int may = rc == CLI_OK && planViewerMay(v, label, why, sizeof(why));
        free(v);
        if (rc != CLI_OK) return rc;
        if (!may) {
            printf("refused: the details of %s are not releasable to %s (%s)\n", a->pos[1], nation,
                   why);
            return CLI_NO;
        }
    }
    printf("%s: %s (%s)\n  %s .. %s, %s; organiser %s; open to %s\n  %s, %d of %d places taken, "
           "%d waiting; label: %s\n",
           l.i.code, l.a.title, l.a.kind, l.i.start, l.i.end, l.i.place[0] ? l.i.place : "-",
           l.a.organiser, l.a.openTo, l.i.status, l.registered, l.i.capacity, l.waitlisted, label);
    printf("workflow:\n");
    if (planEvents(p, a->pos[1], printEvent, (void *)nation, &err) != PN_OK)
        return cliFail(a->cmd, "%s", err.msg);
    if (!nation) return CLI_OK;
    printf("feedback visible to %s:\n", nation);
    if (planFeedbackFor(p, a->pos[1], nation, printFeedback, NULL, &err) != PN_OK)
        printf("  (none: %s)\n", err.msg);
    return CLI_OK;
}

typedef struct ActArgs {
    const char *code, *title, *kind, *organiser, *openTo, *capacity, *instance, *start, *end;
    const char *place, *by, *nation, *participant, *text, *at, *label, *clearance;
} ActArgs;

static int activityPropose(Cli *cli, Plan *p, const PlanArgs *a, const ActArgs *x, int64_t at) {
    const char *need[] = {x->code,     x->title, x->kind, x->organiser, x->openTo,
                          x->capacity, x->start, x->end,  x->by,        x->nation};
    const char *names[] = {"--code",     "--title", "--kind", "--organiser", "--open-to",
                           "--capacity", "--start", "--end",  "--by",        "--nation"};
    for (int k = 0; k < 10; k++)
        if (!need[k]) return cliFail(a->cmd, "propose needs %s", names[k]);
    PlanActivity act;
    PlanInstance in;
    memset(&act, 0, sizeof(act));
    memset(&in, 0, sizeof(in));
    int64_t cap = 0;
    if (planCount(a->cmd, "--capacity", x->capacity, &cap) != CLI_OK) return CLI_USAGE;
    if (strCopy(act.code, sizeof(act.code), x->code) ||
        strCopy(act.title, sizeof(act.title), x->title) ||
        strCopy(act.kind, sizeof(act.kind), x->kind) ||
        strCopy(act.organiser, sizeof(act.organiser), x->organiser) ||
        strCopy(act.openTo, sizeof(act.openTo), x->openTo) ||
        strCopy(in.start, sizeof(in.start), x->start) || strCopy(in.end, sizeof(in.end), x->end) ||
        strCopy(in.place, sizeof(in.place), x->place ? x->place : "") ||
        strCopy(in.code, sizeof(in.code), x->instance ? x->instance : x->code))
        return cliFail(a->cmd, "a value is too long");
    strUpper(act.organiser);
    act.capacity = cap > 100000 ? 100000 : (int)cap;
    if (x->label) {
        Label l;
        if (cliReadLabel(cli, a->cmd, x->label, &l) != CLI_OK) return CLI_USAGE;
        labelFree(&l);
        if (strCopy(act.label, sizeof(act.label), x->label) != 0)
            return cliFail(a->cmd, "the label is too long");
    }
    pnError err = {0};
    char nation[8];
    snprintf(nation, sizeof(nation), "%s", x->nation);
    strUpper(nation);
    if (planPropose(p, &act, &in, x->by, nation, at, &err) != PN_OK)
        return cliFail(a->cmd, "%s", err.msg);
    printf("proposed %s (%s, %s .. %s) by %s (%s)\n", in.code, act.title, in.start, in.end, x->by,
           nation);
    return CLI_OK;
}

static int cmdActivity(Cli *cli, int argc, char **argv) {
    PlanArgs a = {"plan activity", {0}, 0};
    const char *dir = cli->dataDir;
    ActArgs x = {0};
    const PlanOpt opts[] = {{"--code", &x.code, NULL},
                            {"--title", &x.title, NULL},
                            {"--kind", &x.kind, NULL},
                            {"--organiser", &x.organiser, NULL},
                            {"--open-to", &x.openTo, NULL},
                            {"--capacity", &x.capacity, NULL},
                            {"--instance", &x.instance, NULL},
                            {"--start", &x.start, NULL},
                            {"--end", &x.end, NULL},
                            {"--place", &x.place, NULL},
                            {"--by", &x.by, NULL},
                            {"--nation", &x.nation, NULL},
                            {"--participant", &x.participant, NULL},
                            {"--text", &x.text, NULL},
                            {"--at", &x.at, NULL},
                            {"--label", &x.label, NULL},
                            {"--clearance", &x.clearance, NULL},
                            {NULL}};
    if (planParse(&a, argc, argv, 2, opts, &dir) != CLI_OK) return CLI_USAGE;
    const char *step = a.npos ? a.pos[0] : "";
    static const char *const steps[] = {"propose", "approve",  "invite", "register",
                                        "attend",  "feedback", "show"};
    int known = 0;
    for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++)
        known |= strcmp(step, steps[k]) == 0;
    if (!known)
        return cliFail(a.cmd, "say propose, approve, invite, register, attend, feedback or show");
    int64_t at = timeNow();
    if (x.at && cliTime(a.cmd, x.at, &at) != 0) return CLI_USAGE;
    if (strcmp(step, "propose") != 0 && a.npos != 2)
        return cliFail(a.cmd, "%s needs the INSTANCE", step);
    if (strcmp(step, "propose") != 0 && strcmp(step, "show") != 0 && !x.by)
        return cliFail(a.cmd, "%s needs --by NAME (who does it is recorded)", step);
    int needNation =
        !strcmp(step, "register") || !strcmp(step, "attend") || !strcmp(step, "feedback");
    if (needNation && !x.nation) return cliFail(a.cmd, "%s needs --nation CODE", step);
    Plan *p;
    if (planOpenCli(cli, a.cmd, dir, strcmp(step, "propose") == 0, &p) != CLI_OK) return CLI_USAGE;
    char nation[8] = "";
    if (x.nation) {
        if (strCopy(nation, sizeof(nation), x.nation) != 0 ||
            registryNation(&cli->reg, x.nation) < 0) {
            planClose(p);
            return cliFail(a.cmd, "unknown nation '%s'", x.nation);
        }
        strUpper(nation);
    }
    pnError err = {0};
    int rc = CLI_OK, n = 0;
    if (strcmp(step, "propose") == 0) {
        rc = activityPropose(cli, p, &a, &x, at);
    } else if (strcmp(step, "show") == 0) {
        rc = activityShow(cli, p, &a, x.nation ? nation : NULL, x.clearance ? x.clearance : "NU");
    } else if (strcmp(step, "approve") == 0 || strcmp(step, "invite") == 0) {
        if (planAdvance(p, a.pos[1], step, x.by, at, &n, &err) != PN_OK)
            rc = cliFail(a.cmd, "%s", err.msg);
        else if (step[0] == 'a')
            printf("approved %s by %s\n", a.pos[1], x.by);
        else
            printf("invited %d eligible nation%s to %s\n", n, n == 1 ? "" : "s", a.pos[1]);
    } else if (strcmp(step, "register") == 0) {
        if (!x.participant) {
            rc = cliFail(a.cmd, "register needs --participant NAME");
        } else {
            int outcome;
            char reason[320];
            if (planRegister(p, a.pos[1], nation, x.participant, x.by, at, &outcome, reason,
                             sizeof(reason), &err) != PN_OK)
                rc = cliFail(a.cmd, "%s", err.msg);
            else if (outcome == PLAN_REG_REFUSED) {
                printf("refused: %s\n", reason);
                rc = CLI_NO;
            } else {
                printf("%s: %s\n", outcome == PLAN_REG_REGISTERED ? "registered" : "waitlisted",
                       reason);
            }
        }
    } else if (strcmp(step, "attend") == 0) {
        if (planAttend(p, a.pos[1], nation, x.by, at, &n, &err) != PN_OK)
            rc = cliFail(a.cmd, "%s", err.msg);
        else
            printf("%d participant%s of %s attended %s\n", n, n == 1 ? "" : "s", nation, a.pos[1]);
    } else { /* feedback */
        if (!x.text)
            rc = cliFail(a.cmd, "feedback needs --text TEXT");
        else if (planFeedback(p, a.pos[1], nation, x.text, x.by, at, &err) != PN_OK)
            rc = cliFail(a.cmd, "%s", err.msg);
        else
            printf("feedback of %s on %s recorded\n", nation, a.pos[1]);
    }
    planClose(p);
    return rc;
}

/* ---- programmes -------------------------------------------------------- */

typedef struct ProgCtx {
    int objectives, activities, registered, attended, feedback;
    PlanViewer *viewer; /* the partner: an activity's title only where it may see it */
} ProgCtx;

static int printProgramme(const PlanProgrammeRow *r, void *ctx) {
    ProgCtx *c = ctx;
    if (r->isObjective) {
        if (!c->objectives++) printf("objectives:\n");
        printf("  - %s\n", r->text);
        return 0;
    }
    if (!c->activities++)
        printf("activities:\n  %-10s  %-24s  %-10s  %-10s  %-8s  %s\n", "START", "INSTANCE",
               "REGISTERED", "ATTENDED", "FEEDBACK", "TITLE");
    c->registered += r->registered;
    c->attended += r->attended;
    c->feedback += r->feedback;
    printf("  %-10s  %-24s  %-10s  %-10s  %-8s  %s\n", r->i.start, r->i.code,
           r->registered ? "yes" : "no", r->attended ? "yes" : "no", r->feedback ? "yes" : "no",
           planViewerMay(c->viewer, r->label, NULL, 0) ? r->title : "(details withheld)");
    return 0;
}

static int cmdProgramme(Cli *cli, int argc, char **argv) {
    PlanArgs a = {"plan programme", {0}, 0};
    const char *dir = cli->dataDir, *cycle = NULL, *objective = NULL, *add = NULL,
               *clearance = "NU";
    const PlanOpt opts[] = {{"--cycle", &cycle, NULL},
                            {"--clearance", &clearance, NULL},
                            {"--objective", &objective, NULL},
                            {"--add", &add, NULL},
                            {NULL}};
    if (planParse(&a, argc, argv, 2, opts, &dir) != CLI_OK) return CLI_USAGE;
    if (a.npos != 1) return cliFail(a.cmd, "name one partner NATION");
    int64_t cy = 0;
    if (!cycle) return cliFail(a.cmd, "--cycle YEAR is needed");
    if (planCount(a.cmd, "--cycle", cycle, &cy) != CLI_OK) return CLI_USAGE;
    Plan *p;
    if (planOpenCli(cli, a.cmd, dir, objective != NULL, &p) != CLI_OK) return CLI_USAGE;
    int n = registryNation(&cli->reg, a.pos[0]);
    if (n < 0) {
        planClose(p);
        return cliFail(a.cmd, "unknown nation '%s'", a.pos[0]);
    }
    const char *code = cli->reg.nations[n].code;
    if (objective || add) {
        pnError e = {0};
        int rc = objective ? planObjectiveAdd(p, code, (int)cy, objective, &e) : PN_OK;
        if (rc == PN_OK && add) rc = planProgrammeAdd(p, code, (int)cy, add, &e);
        planClose(p);
        if (rc != PN_OK) return cliFail(a.cmd, "%s", e.msg);
        if (objective) printf("objective added to %s's %lld programme\n", code, (long long)cy);
        if (add) printf("%s added to %s's %lld programme\n", add, code, (long long)cy);
        return CLI_OK;
    }
    printf("individually tailored partnership programme (ITPP): %s (%s), cycle %lld\n", code,
           cli->reg.nations[n].name, (long long)cy);
    ProgCtx c = {0};
    c.viewer = malloc(sizeof(*c.viewer));
    if (!c.viewer || viewerInit(c.viewer, cli, a.cmd, code, clearance) != CLI_OK) {
        free(c.viewer);
        planClose(p);
        return CLI_USAGE;
    }
    pnError err = {0};
    int rc = planProgramme(p, code, (int)cy, printProgramme, &c, &err);
    free(c.viewer);
    planClose(p);
    if (rc != PN_OK) return cliFail(a.cmd, "%s", err.msg);
    if (!c.objectives && !c.activities) printf("(no programme recorded)\n");
    if (c.activities)
        printf("progress: %d of %d activities registered, %d attended, %d with feedback\n",
               c.registered, c.activities, c.attended, c.feedback);
    return CLI_OK;
}

/* ---- generator and timings --------------------------------------------- */

static double msSince(const struct timespec *t0) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static int cmdGenerate(Cli *cli, int argc, char **argv) {
    PlanArgs a = {"plan generate", {0}, 0};
    const char *dir = cli->dataDir, *act = "1400", *inst = "10000", *part = "45000";
    const PlanOpt opts[] = {{"--activities", &act, NULL},
                            {"--instances", &inst, NULL},
                            {"--participants", &part, NULL},
                            {NULL}};
    if (planParse(&a, argc, argv, 2, opts, &dir) != CLI_OK) return CLI_USAGE;
    int64_t na = 0, ni = 0, np = 0;
    if (planCount(a.cmd, "--activities", act, &na) || planCount(a.cmd, "--instances", inst, &ni) ||
        planCount(a.cmd, "--participants", part, &np))
        return CLI_USAGE;
    if (na > 1000000 || ni > 10000000 || np > 10000000)
        return cliFail(a.cmd, "at most 1,000,000 activities and 10,000,000 instances or "
                              "participants");
    Plan *p;
    if (planOpenCli(cli, a.cmd, dir, 1, &p) != CLI_OK) return CLI_USAGE;
    pnError err = {0};
    int made = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = planGenerate(p, (int)na, (int)ni, (int)np, &made, &err);
    planClose(p);
    if (rc != PN_OK) return cliFail(a.cmd, "%s", err.msg);
    printf(
        "generated %lld activities, %lld instances, %d registrations (illustrative) in %.0f ms\n",
        (long long)na, (long long)ni, made, msSince(&t0));
    return CLI_OK;
}

static int countRow(const void *row, void *ctx) {
    (void)row;
    (*(int64_t *)ctx)++;
    return 0;
}
static int countListing(const PlanListing *l, void *ctx) {
    return countRow(l, ctx);
}
static int countProgramme(const PlanProgrammeRow *r, void *ctx) {
    return countRow(r, ctx);
}
static int countGap(const PlanGap *g, void *ctx) {
    return countRow(g, ctx);
}
static int countSpend(const PlanSpend *s, void *ctx) {
    return countRow(s, ctx);
}
static int countInterop(const PlanInterop *e, void *ctx) {
    return countRow(e, ctx);
}
static int countExercise(const PlanExercise *e, const CsbmForces *f, const CsbmResult *r,
                         void *ctx) {
    return countRow(e, ctx);
}

/* Run one report and print its time (best of 3; the first run warms the
 * page cache like any later command would find it). */
static int timeOne(Plan *p, int which, const char *name, int32_t from, int *failed) {
    double best = 1e18;
    int64_t rows = 0;
    for (int run = 0; run < 3; run++) {
        pnError err = {0};
        int rc = PN_OK;
        rows = 0;
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        switch (which) {
        case 0:
            rc = planActivities(p, from, NULL, NULL, countListing, &rows, &err);
            break;
        case 1:
            rc = planActivities(p, from, "GEO", NULL, countListing, &rows, &err);
            break;
        case 2:
            rc = planActivities(p, from, "SWE", "course", countListing, &rows, &err);
            break;
        case 3:
            rc = planProgramme(p, "GEO", 2026, countProgramme, &rows, &err);
            break;
        case 4:
            rc = planExercises(p, PN_DAY_NONE, countExercise, &rows, &err);
            break;
        case 5:
            rc = planGaps(p, 2025, NULL, countGap, &rows, &err);
            break;
        case 6:
            rc = planExpenditure(p, 0, NULL, countSpend, &rows, &err);
            break;
        case 7:
            rc = planInterop(p, NULL, NULL, countInterop, &rows, &err);
            break;
        case 8: {
            PlanShare *s = NULL;
            int n = 0;
            rc = planFairShare(p, 1000, 1, 2024, "NATO", NULL, 0, &s, &n, &err);
            rows = n;
            free(s);
            break;
        }
        case 9: {
            char *t = planExportCsv(p, "registrations", &err);
            rc = t ? PN_OK : PN_EIO;
            for (const char *c = t; c && *c; c++)
                rows += *c == '\n';
            free(t);
            break;
        }
        }
        double ms = msSince(&t0);
        if (rc != PN_OK && which != 8) {
            printf("%-44s failed: %s\n", name, err.msg);
            *failed = 1;
            return 0;
        }
        if (ms < best) best = ms;
    }
    printf("%-44s %8.2f ms  %7lld rows%s\n", name, best, (long long)rows,
           best < 100.0 ? "" : "  (over the 100 ms goal)");
    return 0;
}

static int cmdBenchPlan(Cli *cli, int argc, char **argv) {
    PlanArgs a = {"plan bench", {0}, 0};
    const char *dir = cli->dataDir;
    if (planParse(&a, argc, argv, 2, NULL, &dir) != CLI_OK) return CLI_USAGE;
    Plan *p;
    if (planOpenCli(cli, a.cmd, dir, 0, &p) != CLI_OK) return CLI_USAGE;
    static const char *const names[] = {
        "activities --from 2026-01-01 (all)",
        "activities --open-to GEO --from 2026-01-01",
        "activities --open-to SWE --kind course",
        "programme GEO --cycle 2026",
        "exercises (with CSBM evaluation)",
        "gaps --cycle 2025 (ranked, trend, alliance)",
        "expenditure (every year)",
        "interop (latest per unit, trend)",
        "fairshare --requirement 1000 --year 2024",
        "export --format csv --kind registrations",
    };
    int32_t from = dayFromCivil(2026, 1, 1);
    int failed = 0;
    for (int k = 0; k < 10; k++)
        timeOne(p, k, names[k], from, &failed);
    planClose(p);
    return failed ? CLI_USAGE : CLI_OK;
}

/* ---- help -------------------------------------------------------------- */

/* One subcommand's usage (`partnernet plan SUB --help`); `help plan` has
 * them all in one summary. */
typedef struct PlanHelp {
    const char *name, *usage;
} PlanHelp;

static const PlanHelp helps[] = {
    {"import", "usage: partnernet plan import FILE... [--data DIR]\n\n"
               "Imports JSON (.json) or CSV (.csv, the header names the kind) files, each\n"
               "in one transaction: the first bad record stops it with FILE:LINE: field\n"
               "'NAME': what (exit 2) and nothing of that file is kept.  Other files (a\n"
               "README named by a glob) are skipped with a note; naming none to import\n"
               "is an error.\n"},
    {"export", "usage: partnernet plan export [--format json|csv --kind KIND] [--data DIR]\n\n"
               "Everything as one JSON object (re-importable), or one kind as CSV.\n"},
    {"activities",
     "usage: partnernet plan activities [--open-to NATION [--clearance NU]] [--from DATE]\n"
     "       [--kind K] [--limit N] [--data DIR]\n\n"
     "The activity instances, with the details only where releasable to NATION.\n"},
    {"activity",
     "usage: partnernet plan activity STEP ... [--at DATE|TIME] [--data DIR]\n\n"
     "  propose --code C --title T --kind course|exercise|seminar|visit|capacity\n"
     "          --organiser NATION --open-to NATO,PFP,... --capacity N [--instance I]\n"
     "          --start DATE --end DATE [--place P] [--label L] --by NAME --nation NATION\n"
     "  approve|invite INSTANCE --by NAME\n"
     "  register INSTANCE --nation N --participant NAME --by NAME   (exit 1 refused)\n"
     "  attend INSTANCE --nation N --by NAME         (from the first day on)\n"
     "  feedback INSTANCE --nation N --text TEXT --by NAME   (after the last day)\n"
     "  show INSTANCE [--nation N [--clearance C]]   details if releasable to N,\n"
     "                                               workflow, feedback visible to N\n\n"
     "--at is when the step happened (default now; a date is midnight UTC); it is\n"
     "recorded with --by in the workflow.\n"},
    {"programme", "usage: partnernet plan programme NATION --cycle YEAR [--clearance NU]\n"
                  "       [--objective TEXT] [--add INSTANCE] [--data DIR]\n\n"
                  "A partner's Individually Tailored Partnership Programme (ITPP) for a cycle:\n"
                  "objectives, chosen activities, progress.\n"},
    {"csbm", "usage: partnernet plan csbm --troops N [--tanks N] [--acv N] [--artillery N]\n"
             "       [--airborne|--amphibious [--landing N]] [--start DATE [--notified DATE]]\n\n"
             "Evaluates figures against the Vienna Document 2011 thresholds.  --landing is\n"
             "how many of the troops land or drop: paras. 40.2.1 and 47.5 count those, not\n"
             "the total (without it, all troops count).\n"},
    {"exercise",
     "usage: partnernet plan exercise add --code C --name N --start DATE --end DATE\n"
     "       --host NATION [--nation N] --troops N [--tanks N] [--acv N] [--artillery N]\n"
     "       [--sorties N] [--airborne] [--amphibious] [--landing N] [--notified DATE]\n"
     "       [--place P] [--data DIR]\n\n"
     "Records the exercise and nation N's contribution (default the host's).  Adding\n"
     "to an exercise again merges: --place and --notified not given keep the values\n"
     "recorded, --airborne/--amphibious once given stay.  --landing is how many of N's\n"
     "troops land or drop (a contribution without it lands all its troops).  A\n"
     "notification required by the summed figures is queued for csbm/notifications.\n"},
    {"exercises", "usage: partnernet plan exercises [--from DATE] [--data DIR]\n\n"
                  "Exercises with summed figures, the Vienna Document evaluation and the\n"
                  "day notified (given with --notified, or the day a node published the\n"
                  "notification) with on time or late.\n"},
    {"outbox", "usage: partnernet plan outbox [--data DIR]\n\n"
               "The next notice waiting to be published and the number pending.\n"},
    {"gaps", "usage: partnernet plan gaps [--cycle YEAR] [--nation N]\n"
             "       [--format table|csv|json] [--data DIR]\n\n"
             "Capability gaps (target - ready holdings) ranked, with the trend since the\n"
             "previous cycle and the alliance totals.  Without --cycle: the latest cycle\n"
             "the store has targets for.\n"},
    {"fairshare", "usage: partnernet plan fairshare --requirement N --year YEAR [--floor N]\n"
                  "       [--framework NATO] [--area A --cycle Y] [--data DIR]\n\n"
                  "Apportions N whole units over the nations in proportion to GDP.\n"},
    {"expenditure", "usage: partnernet plan expenditure [--year YEAR] [--nation N] [--data DIR]\n\n"
                    "Defence expenditure against the 2% guideline and the 3.5% target.\n"},
    {"interop", "usage: partnernet plan interop [--nation N | --unit U | --nations] [--data DIR]\n"
                "       partnernet plan interop record --unit U --nation N --date D --evaluator E\n"
                "       --area A --item I --result met|partly|not_met [--evidence TEXT]\n\n"
                "Interoperability evaluations: latest per unit with the trend, or per nation.\n"},
    {"generate", "usage: partnernet plan generate [--activities 1400] [--instances 10000]\n"
                 "       [--participants 45000] [--data DIR]\n\n"
                 "Fills the store with generated, illustrative data.\n"},
    {"bench", "usage: partnernet plan bench [--data DIR]\n\n"
              "Times every listing and report.\n"},
};

const char *planUsage(const char *sub) {
    for (size_t k = 0; sub && k < sizeof(helps) / sizeof(helps[0]); k++)
        if (strcmp(sub, helps[k].name) == 0) return helps[k].usage;
    return NULL;
}

/* ---- dispatch ---------------------------------------------------------- */

typedef struct PlanSub {
    const char *name;
    int (*run)(Cli *cli, int argc, char **argv);
} PlanSub;

static const PlanSub subs[] = {
    {"import", cmdImport},
    {"export", cmdExport},
    {"activities", cmdActivities},
    {"activity", cmdActivity},
    {"programme", cmdProgramme},
    {"exercise", planCmdExercise},
    {"exercises", planCmdExercises},
    {"csbm", planCmdCsbm},
    {"gaps", planCmdGaps},
    {"fairshare", planCmdFairshare},
    {"expenditure", planCmdExpenditure},
    {"interop", planCmdInterop},
    {"outbox", planCmdOutbox},
    {"generate", cmdGenerate},
    {"bench", cmdBenchPlan},
};

int cmdPlan(Cli *cli, int argc, char **argv) {
    if (argc < 2) return cliFail(PLAN_CMD, "missing subcommand (see partnernet help plan)");
    for (size_t k = 0; k < sizeof(subs) / sizeof(subs[0]); k++)
        if (strcmp(argv[1], subs[k].name) == 0) return subs[k].run(cli, argc, argv);
    return cliFail(PLAN_CMD, "unknown subcommand '%s' (see partnernet help plan)", argv[1]);
}
