/*
 * plan.h -- cooperation and defence planning: the partnership menu and its
 * workflow, individual partnership programmes, exercises with Vienna
 * Document notifications, capability targets and gaps, fair shares,
 * defence expenditure and interoperability evaluations.
 *
 * Everything lives in one SQLite database, DIR/plan.db (WAL journal,
 * synchronous=FULL: a commit is on disk when the call returns, so what the
 * CLI or a 201 acknowledged survives a power cut), in the node's data
 * directory.  Every check-then-write step runs inside one BEGIN IMMEDIATE
 * transaction, so two writers at the same moment cannot both pass a check.  Dates are stored as
 * text "YYYY-MM-DD" (so they sort and compare as dates), instants of
 * workflow steps as seconds since the epoch.  Every record has a natural
 * key (an activity code, a nation and cycle, ...), so importing the same
 * data twice replaces rather than duplicates.
 *
 * The workflow rules (eligibility against the registry at the activity's
 * dates, capacity and waiting list, Vienna Document thresholds) are applied
 * by the functions that record things, by import as well as by the CLI.
 * Functions that need the registry use the one given to planOpen(); the
 * registry must outlive the Plan.
 *
 * A Plan is used from one thread.  Several processes may open the same
 * database (the node drains the outbox while `partnernet plan` writes).
 *
 * Errors: PN_EINVAL (bad input, with a sentence naming the field),
 * PN_ENOENT (no such activity, exercise ...), PN_EIO (SQLite), PN_ENOMEM.
 */
#ifndef PN_PLAN_H
#define PN_PLAN_H

#include <stdint.h>

#include "../core/err.h"
#include "../registry/registry.h"
#include "csbm.h"

typedef struct Plan Plan;

/* Topic and label of the Vienna Document notifications put in the outbox.
 * Under the NATO policy a label without a releasability category is for
 * alliance members only (NATO UNCLASSIFIED included), so the notifications
 * carry REL TO EAPC: every ally and Partnership for Peace nation on the day
 * of delivery -- the partners of the OSCE area the Vienna Document is for. */
#define PLAN_CSBM_TOPIC "csbm/notifications"
#define PLAN_CSBM_LABEL "NATO UNCLASSIFIED REL TO EAPC"

/* ---- store ----------------------------------------------------------- */

/*
 * Open DIR/plan.db, creating DIR (mode 0750), the file (0640) and the schema
 * when absent.  reg (may be NULL for commands that do not check nations or
 * eligibility) is borrowed.  Returns PN_OK with *out set, to be released with
 * planClose(); otherwise PN_EINVAL, PN_ENOMEM or PN_EIO and *out untouched.
 */
int planOpen(Plan **out, const char *dir, const Registry *reg, pnError *err);

/* Close (rolling back an open transaction).  NULL is ignored. */
void planClose(Plan *p);

/* Transactions around several calls: planBegin takes the write lock
 * (BEGIN IMMEDIATE); planEnd commits when ok is non-zero and rolls back
 * otherwise.  Return PN_OK or PN_EIO. */
int planBegin(Plan *p, pnError *err);
int planEnd(Plan *p, int ok, pnError *err);

/* The underlying SQLite handle, for the generator and the tests. */
struct sqlite3 *planDb(Plan *p);

/* ---- import and export (io.c) ---------------------------------------- */

/*
 * Import one file: JSON (a name ending ".json") with arrays named after the kinds
 * (activities, instances, registrations, feedback, objectives, programme,
 * exercises, contributions, areas, targets, holdings, gdp, expenditure,
 * evaluations; "sources" and "note" are allowed and ignored), or CSV (".csv")
 * with a header row that is exactly the field list of one kind; any other
 * name is PN_EINVAL.  The whole file
 * is one transaction: on the first bad record nothing of the file is kept,
 * and err says "PATH:LINE: field 'NAME': what" (the line of the CSV row,
 * or of the JSON object).  *rows (may be NULL) gets the number of records.
 * Exercises whose figures require notification get an outbox entry.
 */
int planImportFile(Plan *p, const char *path, int *rows, pnError *err);

/* Whether path names a file import takes (it ends in .json or .csv, any
 * case): a glob such as `plan import DIR/...` skips the others (a README). */
int planImportable(const char *path);

/* Import text as if it were the file `name` (used by tests). */
int planImportText(Plan *p, const char *name, const char *text, int *rows, pnError *err);

/* Write every kind as one JSON document (kinds in the order above).  The
 * returned string is the caller's to free(); NULL with err set on failure. */
char *planExportJson(Plan *p, pnError *err);

/* Write one kind as CSV with its header row; NULL with err set on failure
 * (PN_EINVAL for an unknown kind).  The caller frees the string. */
char *planExportCsv(Plan *p, const char *kind, pnError *err);

/* The field list of a kind ("code,title,...") or NULL when unknown. */
const char *planKindHeader(const char *kind);

/* ---- activities (activity.c) ----------------------------------------- */

/* A menu activity and one of its instances (an occurrence with dates). */
typedef struct PlanActivity {
    char code[32]; /* menu code, e.g. "PFP-CRS-0042" */
    char title[160];
    char kind[16];     /* course, exercise, seminar, visit, capacity */
    char organiser[8]; /* nation code */
    char openTo[256];  /* frameworks and/or nations, comma separated: "NATO,PFP,MD" */
    int capacity;      /* default places per instance */
    char label[256];   /* who may see its details; "" means planActivityLabel's default */
} PlanActivity;

typedef struct PlanInstance {
    char code[40]; /* e.g. "PFP-CRS-0042/2026-1" */
    char activity[32];
    char start[11], end[11];
    char place[80];
    int capacity;    /* places; 0 means the activity's */
    char status[16]; /* proposed, approved, invited, closed */
} PlanInstance;

/* One step of the workflow as recorded. */
typedef struct PlanEvent {
    char instance[40];
    char step[16];  /* proposed, approved, invited, registered, waitlisted, attended, feedback */
    char nation[8]; /* the nation concerned (invited, registering, reporting) or "" */
    char actor[64]; /* who did it */
    int64_t at;     /* when */
    char detail[160];
} PlanEvent;

/*
 * Record a proposal: the menu activity a (created or updated) and its
 * instance i, with status "proposed", by `by` of nation `nation` at `at`.
 * Checks the kind, the organiser and every code of openTo against the
 * registry, the dates (start <= end) and the capacity.  PN_EINVAL with the
 * reason, or PN_OK.
 */
int planPropose(Plan *p, const PlanActivity *a, const PlanInstance *i, const char *by,
                const char *nation, int64_t at, pnError *err);

/*
 * Advance an instance: "approve" (proposed -> approved) or "invite"
 * (approved -> invited; records one "invited" event per nation eligible at
 * the instance's dates and returns their number in *count).  A step out of
 * order is PN_EINVAL with the current status; an unknown instance PN_ENOENT.
 */
int planAdvance(Plan *p, const char *instance, const char *step, const char *by, int64_t at,
                int *count, pnError *err);

/* Outcome of a registration. */
enum { PLAN_REG_REGISTERED = 0, PLAN_REG_WAITLISTED = 1, PLAN_REG_REFUSED = 2 };

/*
 * Register participant of nation on instance.  Refused (PN_OK, *outcome
 * PLAN_REG_REFUSED, reason set) when the instance is not open for
 * registration (not "invited"), the participant is already registered or
 * waitlisted there, or the nation is not eligible on the instance's first
 * day (see planEligible).  Otherwise registered while places remain, else
 * waitlisted.  The check and the write are one transaction, so concurrent
 * registrations cannot overfill an instance.  reason (cap bytes) says why.
 */
int planRegister(Plan *p, const char *instance, const char *nation, const char *participant,
                 const char *by, int64_t at, int *outcome, char *reason, size_t cap, pnError *err);

/* Mark every registered participant of nation on instance as attended;
 * *count gets their number. */
int planAttend(Plan *p, const char *instance, const char *nation, const char *by, int64_t at,
               int *count, pnError *err);

/*
 * Record nation's feedback report on instance.  Refused (PN_EINVAL) when
 * the nation had no registered or attending participant, or before the
 * instance's last day (day of `at`).
 */
int planFeedback(Plan *p, const char *instance, const char *nation, const char *text,
                 const char *by, int64_t at, pnError *err);

/*
 * Whether nation may take part in an activity open to openTo on day: it is
 * named in openTo, or a member on that day of a framework or community
 * named there.  Returns 1 or 0; reason (may be NULL) gets the explanation,
 * naming the day a nation joins a group later ("FIN joins NATO on
 * 2023-04-04").  Unknown codes are not eligible.
 */
int planEligible(const Registry *reg, const char *openTo, const char *nation, int32_t day,
                 char *reason, size_t cap);

/*
 * The confidentiality label (display marking) of an activity's details:
 * a->label when set, else "NATO UNCLASSIFIED REL TO " followed by the codes
 * of openTo, so the details reach exactly the nations that may take part.
 * The label is not checked here (the planning store does not hold the
 * policy); view.h parses it and asks decide() for a viewer, refusing (fail
 * closed) a label that does not parse.
 */
void planActivityLabel(const PlanActivity *a, char *out, size_t cap);

/* Row of planActivities(). */
typedef struct PlanListing {
    PlanInstance i;
    PlanActivity a;
    int registered, waitlisted;
} PlanListing;

/*
 * Instances starting on or after from (a day), optionally only those
 * nationOrNull is eligible for on their first day, and of kindOrNull,
 * ordered by start then code.  cb returns non-zero to stop.  PN_OK/PN_EIO.
 */
int planActivities(Plan *p, int32_t from, const char *nationOrNull, const char *kindOrNull,
                   int (*cb)(const PlanListing *row, void *ctx), void *ctx, pnError *err);

/* One instance with its activity and counts into *out; PN_ENOENT when
 * there is no such instance. */
int planInstanceGet(Plan *p, const char *instance, PlanListing *out, pnError *err);

/* The recorded steps of an instance, oldest first. */
int planEvents(Plan *p, const char *instance, int (*cb)(const PlanEvent *ev, void *ctx), void *ctx,
               pnError *err);

/* Feedback texts of an instance readable by nation: every report when the
 * nation took part (registered or attended), none otherwise (PN_EINVAL with
 * the reason). */
int planFeedbackFor(Plan *p, const char *instance, const char *nation,
                    int (*cb)(const char *nation, const char *text, void *ctx), void *ctx,
                    pnError *err);

/* One line of an individual partnership programme. */
typedef struct PlanProgrammeRow {
    int isObjective; /* 1: objective text; 0: a chosen instance */
    char text[256];  /* the objective */
    PlanInstance i;  /* the chosen instance */
    char title[160];
    char label[256];                    /* who may see the activity's details (planActivityLabel) */
    int registered, attended, feedback; /* the nation's progress on it */
} PlanProgrammeRow;

/* Add an objective to nation's programme for cycle (kept once). */
int planObjectiveAdd(Plan *p, const char *nation, int cycle, const char *objective, pnError *err);

/* Choose instance for nation's programme for cycle.  PN_EINVAL "field
 * 'instance': ..." for an unknown instance, and "field 'nation': ..." when
 * the nation is not eligible for it on its first day. */
int planProgrammeAdd(Plan *p, const char *nation, int cycle, const char *instance, pnError *err);

/* The programme of nation for cycle: objectives first, then the chosen
 * instances by start.  PN_OK/PN_EIO. */
int planProgramme(Plan *p, const char *nation, int cycle,
                  int (*cb)(const PlanProgrammeRow *row, void *ctx), void *ctx, pnError *err);

/* ---- exercises (exercise.c) ------------------------------------------ */

typedef struct PlanExercise {
    char code[32];
    char name[96];
    char start[11], end[11];
    char place[80];
    char host[8];
    int airborne, amphibious;
    char notified[11]; /* day notification was given, or "" */
} PlanExercise;

typedef struct PlanContribution {
    char exercise[32];
    char nation[8];
    int64_t troops, tanks, acv, artillery, sorties;
} PlanContribution;

/* Create or update an exercise (no contributions).  PN_EINVAL on bad
 * fields. */
int planExercisePut(Plan *p, const PlanExercise *e, pnError *err);

/* Create or replace one nation's contribution; the exercise must exist. */
int planContributionPut(Plan *p, const PlanContribution *c, pnError *err);

/*
 * Evaluate exercise code against the Vienna Document thresholds with the
 * sum of its contributions; *f and *r get the figures and the result.
 * PN_ENOENT when there is no such exercise.
 */
int planExerciseEvaluate(Plan *p, const char *code, CsbmForces *f, CsbmResult *r, pnError *err);

/*
 * When exercise code requires prior notification, put a notification in
 * the outbox unless one with the same figures is already there.  *queued
 * (may be NULL) is 1 when one was added.  Called by import and by
 * `plan exercise add`.
 */
int planExerciseNotify(Plan *p, const char *code, int *queued, pnError *err);

/*
 * Record exercise e with one contribution c (c->exercise is set to e's
 * code), queue its notification when one is required (planExerciseNotify)
 * and evaluate it (planExerciseEvaluate), all in one transaction: on any
 * error nothing is kept.  *f, *r get the evaluation, *queued (may be NULL)
 * is 1 when a notification was queued.  Used by `plan exercise add` and
 * POST /v1/plan/exercises.
 */
int planExerciseRecord(Plan *p, const PlanExercise *e, PlanContribution *c, CsbmForces *f,
                       CsbmResult *r, int *queued, pnError *err);

/* Exercises starting on or after from, by start. */
int planExercises(Plan *p, int32_t from,
                  int (*cb)(const PlanExercise *e, const CsbmForces *f, const CsbmResult *r,
                            void *ctx),
                  void *ctx, pnError *err);

/* ---- the outbox ------------------------------------------------------ *
 *
 * Notifications wait in the outbox table of plan.db until the node has
 * published them; the CLI that records an exercise is another process.
 * The running node drains it once a second (src/plan/notify.c): it
 * publishes the pending notices after the last one it sent, and marks them
 * done on the next turn, once the group commit has made them durable.
 */

typedef struct PlanNotice {
    int64_t id;
    char topic[64];     /* PLAN_CSBM_TOPIC */
    char label[64];     /* PLAN_CSBM_LABEL */
    char payload[2048]; /* JSON: the exercise, its figures and the result */
    int64_t created;
} PlanNotice;

/*
 * The oldest notice not yet marked done whose id is greater than after (0:
 * from the start).  Returns 1 with *out filled, 0 when there is none, or a
 * negative PN_E* code.  Does not change anything:
 * a notice stays pending until planOutboxDone(), so a node that dies
 * between publishing and marking publishes it again (at least once).
 */
int planOutboxNext(Plan *p, int64_t after, PlanNotice *out, pnError *err);

/* Mark notice id as published, and record the day as the day its exercise
 * was notified when none is recorded yet (`plan exercises` then shows it).
 * PN_OK (also when it already was), PN_ENOENT for an unknown id, PN_EIO. */
int planOutboxDone(Plan *p, int64_t id, pnError *err);

/* Number of notices not yet done, or -1 on error. */
int64_t planOutboxPending(Plan *p);

/* ---- capability planning (capability.c) ------------------------------ */

/* One gap: a nation's (or, with nation "ALL", the alliance's) target in a
 * capability area for a cycle against its ready holdings. */
typedef struct PlanGap {
    char nation[8];
    char area[32];
    int cycle;
    int64_t target, held, ready;
    int64_t gap; /* max(0, target - ready); for ALL the sum of national gaps */
    int hasPrev; /* a previous cycle with a target exists */
    int prevCycle;
    int64_t prevGap;
} PlanGap;

/*
 * Gaps for cycle, one per nation and area with a target (only nationOrNull
 * when given), ranked by gap (largest first), then nation and area; then
 * (unless nationOrNull is given) one "ALL" row per area, ranked the same
 * way.  The trend compares with the latest earlier cycle holding a target
 * for the same nation and area.  PN_OK/PN_EIO.
 */
int planGaps(Plan *p, int cycle, const char *nationOrNull, int (*cb)(const PlanGap *g, void *ctx),
             void *ctx, pnError *err);

/* The latest cycle with targets in *cycle (`plan gaps` without --cycle).
 * PN_ENOENT when the store holds no targets, PN_EIO. */
int planLatestCycle(Plan *p, int *cycle, pnError *err);

/* One nation's fair share. */
typedef struct PlanShare {
    char nation[8];
    double gdp;    /* the weight used (GDP, million USD) */
    double exact;  /* requirement * weight share before the floor and rounding */
    int64_t share; /* the apportioned whole units */
    int hasTarget;
    int64_t target; /* its target in the area and cycle, when asked */
} PlanShare;

/*
 * Apportion requirement whole units over the n nations in proportion to
 * gdp[] with every nation getting at least floor units:
 *   1. nations whose proportional share of what is left falls below floor
 *      get floor and leave the pool; repeat until none does;
 *   2. the others get the integer part of their proportional share of the
 *      rest, and the units still missing go one each to the largest
 *      fractional parts (largest-remainder method; ties to the larger GDP,
 *      then to the earlier nation in the array).
 * The shares always sum exactly to requirement.  PN_EINVAL when n is 0,
 * a weight is negative or all are zero, or n * floor > requirement.
 * s[k].nation and s[k].gdp must be set by the caller; exact and share are
 * written.
 */
int planApportion(PlanShare *s, int n, int64_t requirement, int64_t floor, pnError *err);

/*
 * Fair shares of requirement by the GDP of year (the gdp kind) of the
 * nations that have a GDP figure that year, members of groupOrNull on the
 * last day of that year when given.  With areaOrNull and cycle, each row
 * also carries the nation's target.  Rows by share, then GDP, descending.  *rows is
 * malloc'd (caller frees); *n its length.
 */
int planFairShare(Plan *p, int64_t requirement, int64_t floor, int year, const char *groupOrNull,
                  const char *areaOrNull, int cycle, PlanShare **rows, int *n, pnError *err);

/* Defence expenditure of a nation in a year. */
typedef struct PlanSpend {
    char nation[8];
    int year;
    double pct;      /* share of GDP, NATO definition */
    char status[16]; /* actual, estimate, illustrative */
    char source[200];
} PlanSpend;

/* The NATO guidelines the expenditure report compares with. */
#define PLAN_WALES_PCT 2.0      /* Wales Summit Declaration 2014, para. 14 */
#define PLAN_HAGUE_CORE_PCT 3.5 /* The Hague Summit Declaration 2025: core defence by 2035 */
#define PLAN_HAGUE_REL_PCT 1.5  /* ... plus defence- and security-related spending */

/* Expenditure rows of year (0: every year), of nationOrNull, ordered by
 * year then share descending. */
int planExpenditure(Plan *p, int year, const char *nationOrNull,
                    int (*cb)(const PlanSpend *s, void *ctx), void *ctx, pnError *err);

/* ---- interoperability (interop.c) ------------------------------------ */

/* Result of one checklist item: met 1, partly 1/2, not met 0. */
double planInteropScore(const char *result);

/* One evaluation of a unit and its index. */
typedef struct PlanInterop {
    char unit[64];
    char nation[8];
    char date[11];
    char evaluator[64];
    int items, met, partly, notMet;
    double index; /* 0..100, see planInteropIndex */
    int hasPrev;
    double prevIndex; /* the unit's previous evaluation */
} PlanInterop;

/*
 * Index of one evaluation: for each checklist area present, the mean item
 * score (met 1, partly 0.5, not met 0); the index is 100 times the mean of
 * the area means, so every area weighs the same however many items it has.
 * areas[k] names the area of item k, results[k] its result.  Returns -1
 * when n is 0 or a result is not met/partly/not_met.
 */
double planInteropIndex(const char *const *areas, const char *const *results, int n);

/* Record one checklist item of the evaluation of unit on date (created on
 * first use).  result: met, partly, not_met. */
int planInteropRecord(Plan *p, const char *unit, const char *nation, const char *date,
                      const char *evaluator, const char *area, const char *item, const char *result,
                      const char *evidence, pnError *err);

/*
 * Every unit's latest evaluation (of nationOrNull, or of unitOrNull with all
 * its evaluations oldest first), with the previous one's index for the
 * trend.  PN_OK/PN_EIO.
 */
int planInterop(Plan *p, const char *nationOrNull, const char *unitOrNull,
                int (*cb)(const PlanInterop *e, void *ctx), void *ctx, pnError *err);

/* Per-nation index: the mean of its units' latest indices, with the
 * number of units; *n rows malloc'd into *rows (caller frees), by nation. */
typedef struct PlanNationIndex {
    char nation[8];
    int units;
    double index;
    int hasPrev;
    double prevIndex; /* the same mean over the units' previous evaluations (units with one) */
} PlanNationIndex;
int planInteropNations(Plan *p, PlanNationIndex **rows, int *n, pnError *err);

/* ---- scale (generate.c) ---------------------------------------------- */

/*
 * Fill the store with generated (illustrative) data: activities menu
 * entries, instances spread over 2026-2027, and up to participants
 * registrations by eligible nations; then, at a fixed size, 40 capability
 * areas with targets and holdings of every nation for 2021, 2023 and 2025,
 * 400 units with three evaluations of 20 items each, 300 exercises with
 * contributions, and the 2026 programmes of 14 partners (the instances they
 * registered for).  One transaction, a fixed seed so runs are repeatable.
 * *made gets the registrations made.
 */
int planGenerate(Plan *p, int activities, int instances, int participants, int *made, pnError *err);

#endif
