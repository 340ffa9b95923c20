/*
 * test_plan_store.c -- the planning store end to end in a temporary
 * directory: import errors with file, line and field and nothing kept,
 * JSON/CSV round trip, the activity workflow (eligibility at the instance's
 * dates, capacity and waiting list, who/when recorded, feedback visibility),
 * programme progress, gap arithmetic and trend, the CSBM outbox, and the
 * interoperability trend.
 */
#include "fixture.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../../src/core/str.h"
#include "../../src/plan/plan.h"

static char dir[256];
static int dirSeq;

typedef struct Env {
    Fixture *fx;
    Plan *p;
} Env;

static int setup(void **state) {
    static Env env;
    if (fixtureSetup((void **)&env.fx) != 0) return -1;
    *state = &env;
    return 0;
}

static int teardown(void **state) {
    Env *env = *state;
    return fixtureTeardown((void **)&env->fx);
}

/* A fresh store per test. */
static int open1(void **state) {
    Env *env = *state;
    snprintf(dir, sizeof(dir), "/tmp/pn-test-plan-%d-%d", (int)getpid(), dirSeq++);
    pnError err = {0};
    if (planOpen(&env->p, dir, &env->fx->reg, &err) != PN_OK) {
        fprintf(stderr, "planOpen: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int close1(void **state) {
    Env *env = *state;
    planClose(env->p);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

static void importOk(Plan *p, const char *name, const char *text) {
    pnError err = {0};
    if (planImportText(p, name, text, NULL, &err) != PN_OK)
        fail_msg("import %s: %s", name, err.msg);
}

static void importFails(Plan *p, const char *name, const char *text, const char *want) {
    pnError err = {0};
    int rows = -1;
    if (planImportText(p, name, text, &rows, &err) == PN_OK) fail_msg("import %s succeeded", name);
    if (strcmp(err.msg, want) != 0) fail_msg("error '%s', want '%s'", err.msg, want);
    assert_int_equal(rows, 0);
}

static int64_t count(Plan *p, const char *table) {
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
    sqlite3_stmt *s = NULL;
    int64_t n = -1;
    if (sqlite3_prepare_v2(planDb(p), sql, -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

static const char exercisesCsv[] =
    "# a comment line\n"
    "code,name,start,end,place,host,airborne,amphibious,notified\n"
    "EX-A,Alpha,2026-05-01,2026-05-10,,NOR,false,false,2026-03-20\n"
    "EX-B,\"Bravo, with a comma\",2026-06-01,2026-06-05,\"Place \"\"quoted\"\"\",SWE,no,yes,\n";

static void testImportErrors(void **state) {
    Plan *p = ((Env *)*state)->p;
    importOk(p, "ex.csv", exercisesCsv);
    assert_int_equal(count(p, "exercises"), 2);
    importOk(p, "c.csv",
             "exercise,nation,troops,tanks,acv,artillery,sorties\nEX-A,NOR,100,0,0,0,0\n");
    /* a bad record after good ones: the file's good records are not kept either */
    importFails(p, "data/x.csv",
                "exercise,nation,troops,tanks,acv,artillery,sorties\n"
                "EX-A,SWE,500,0,0,0,0\n"
                "\n"
                "EX-A,FIN,lots,0,0,0,0\n",
                "data/x.csv:4: field 'troops': not a number ('lots')");
    assert_int_equal(count(p, "contributions"), 1);
    assert_int_equal(count(p, "exercises"), 2);
    importFails(p, "y.csv",
                "exercise,nation,troops,tanks,acv,artillery,sorties\nEX-A,XYZ,1,0,0,0,0\n",
                "y.csv:2: field 'nation': unknown nation 'XYZ'");
    importFails(p, "y.csv",
                "exercise,nation,troops,tanks,acv,artillery,sorties\nEX-Z,FIN,1,0,0,0,0\n",
                "y.csv:2: field 'exercise': no exercise 'EX-Z'");
    importFails(p, "z.csv",
                "code,name,start,end,place,host,airborne,amphibious,notified\n"
                "EX-C,Charlie,2026-02-30,2026-03-01,,NOR,0,0,\n",
                "z.csv:2: field 'start': '2026-02-30' is not a date (YYYY-MM-DD)");
    importFails(p, "h.csv", "nation,when\nSWE,2024\n",
                "h.csv:1: header 'nation,when' is not the field list of a kind (e.g. "
                "'nation,year,pct_gdp,status,source')");
    importFails(p, "n.csv", "nation,year,gdp_musd\nSWE,2024\n",
                "n.csv:2: wrong number of fields, expected 3 (nation,year,gdp_musd)");
    importFails(p, "q.csv", "nation,year,gdp_musd\nSWE,2024,\"12\n",
                "q.csv:2: a quoted field is not closed");
    importFails(
        p, "e.json",
        "{\n \"exercises\": [\n  {\"code\": \"EX-J\", \"name\": \"J\", \"start\": \"2026-01-01\",\n"
        "   \"end\": \"2026-01-02\", \"host\": \"NOR\"},\n"
        "  {\"code\": \"EX-K\", \"name\": \"K\", \"start\": \"2026-01-01\",\n"
        "   \"end\": \"2025-12-31\", \"host\": \"NOR\"}\n ]\n}\n",
        "e.json:5: field 'end': 2025-12-31 is before the start 2026-01-01");
    assert_int_equal(count(p, "exercises"), 2);
    importFails(p, "u.json", "{\"exercises\": [{\"code\": \"X\", \"colour\": \"red\"}]}",
                "u.json:1: field 'colour': not a field of exercises "
                "(code,name,start,end,place,host,airborne,amphibious,notified)");
    importFails(p, "bad.json", "{\"exercises\": [", "bad.json:1: ']' expected near end of file");
    importFails(p, "w.txt", "x", "w.txt: not a .json or .csv file");
    /* quoting survived: the name with a comma and the doubled quotes */
    char *csv = planExportCsv(p, "exercises", NULL);
    assert_non_null(csv);
    assert_non_null(strstr(
        csv,
        "EX-B,\"Bravo, with a comma\",2026-06-01,2026-06-05,\"Place \"\"quoted\"\"\",SWE,0,1,\n"));
    free(csv);
}

static const char cooperationJson[] =
    "{\"activities\": ["
    " {\"code\": \"A1\", \"title\": \"Course\", \"kind\": \"course\", \"organiser\": \"DEU\","
    "  \"open_to\": \"NATO\", \"capacity\": 2}],"
    " \"instances\": ["
    " {\"code\": \"A1/1\", \"activity\": \"A1\", \"start\": \"2023-04-03\", \"end\": "
    "\"2023-04-05\","
    "  \"capacity\": 0, \"status\": \"invited\"},"
    " {\"code\": \"A1/2\", \"activity\": \"A1\", \"start\": \"2023-04-04\", \"end\": "
    "\"2023-04-06\","
    "  \"capacity\": 0, \"status\": \"invited\"}]}";

static void testActivityLabel(void **state) {
    (void)state;
    PlanActivity a = {.code = "X", .openTo = "nato, pfp,MD"};
    char label[256];
    planActivityLabel(&a, label, sizeof(label));
    assert_string_equal(label, "NATO UNCLASSIFIED REL TO NATO, PFP, MD");
    snprintf(a.label, sizeof(a.label), "NATO RESTRICTED");
    planActivityLabel(&a, label, sizeof(label));
    assert_string_equal(label, "NATO RESTRICTED");
}

static void testRegistrationRules(void **state) {
    Plan *p = ((Env *)*state)->p;
    importOk(p, "coop.json", cooperationJson);
    int outcome;
    char reason[256];
    pnError err = {0};
    int64_t t = at("2023-03-01T10:00:00Z");
    /* FIN joined NATO on 2023-04-04: not eligible for the instance starting the day before */
    assert_int_equal(
        planRegister(p, "A1/1", "FIN", "fin-1", "clerk", t, &outcome, reason, sizeof(reason), &err),
        PN_OK);
    assert_int_equal(outcome, PLAN_REG_REFUSED);
    assert_non_null(strstr(reason, "FIN joins NATO only on 2023-04-04"));
    /* ... and eligible for the one starting that day */
    assert_int_equal(
        planRegister(p, "A1/2", "FIN", "fin-1", "clerk", t, &outcome, reason, sizeof(reason), &err),
        PN_OK);
    assert_int_equal(outcome, PLAN_REG_REGISTERED);
    assert_int_equal(
        planRegister(p, "A1/2", "NOR", "nor-1", "clerk", t, &outcome, reason, sizeof(reason), &err),
        PN_OK);
    assert_int_equal(outcome, PLAN_REG_REGISTERED);
    /* capacity 2: the third goes to the waiting list */
    assert_int_equal(
        planRegister(p, "A1/2", "DEU", "deu-1", "clerk", t, &outcome, reason, sizeof(reason), &err),
        PN_OK);
    assert_int_equal(outcome, PLAN_REG_WAITLISTED);
    assert_non_null(strstr(reason, "waiting list"));
    /* registering again is refused, and does not move a registered participant */
    assert_int_equal(
        planRegister(p, "A1/2", "NOR", "nor-1", "clerk", t, &outcome, reason, sizeof(reason), &err),
        PN_OK);
    assert_int_equal(outcome, PLAN_REG_REFUSED);
    assert_string_equal(reason, "nor-1 (NOR) is already registered for 'A1/2'");
    assert_int_equal(
        planRegister(p, "A1/9", "DEU", "x", "clerk", t, &outcome, reason, sizeof(reason), &err),
        PN_ENOENT);
    /* importing a registration past capacity is refused with line and field */
    importFails(p, "r.csv", "instance,nation,participant,status\nA1/2,DNK,dnk-1,registered\n",
                "r.csv:2: field 'status': instance 'A1/2' is full");
    importFails(p, "r.csv", "instance,nation,participant,status\nA1/1,FIN,fin-2,registered\n",
                "r.csv:2: field 'nation': FIN is not eligible on 2023-04-03: open to NATO, and FIN "
                "joins NATO only on 2023-04-04");
}

typedef struct Seen {
    char lines[16][96];
    int n, total;
} Seen;

static int seeEvent(const PlanEvent *ev, void *ctx) {
    Seen *s = ctx;
    s->total++;
    char when[21];
    timeFormat(ev->at, when);
    if (s->n < 16)
        assert_true(snprintf(s->lines[s->n++], 96, "%s %s %s %s", ev->step, ev->nation, ev->actor,
                             when) < 96);
    return 0;
}

static int seeFeedback(const char *nation, const char *text, void *ctx) {
    Seen *s = ctx;
    if (s->n < 16) assert_true(snprintf(s->lines[s->n++], 96, "%s: %s", nation, text) < 96);
    return 0;
}

static int seeProgramme(const PlanProgrammeRow *r, void *ctx) {
    Seen *s = ctx;
    if (s->n < 16)
        assert_true(snprintf(s->lines[s->n++], 96, "%s %d%d%d",
                             r->isObjective ? r->text : r->i.code, r->registered, r->attended,
                             r->feedback) < 96);
    return 0;
}

static void testWorkflow(void **state) {
    Plan *p = ((Env *)*state)->p;
    PlanActivity a = {.code = "W1",
                      .title = "Seminar",
                      .kind = "seminar",
                      .organiser = "NOR",
                      .openTo = "NATO,PFP",
                      .capacity = 5};
    PlanInstance i = {.code = "W1/1", .start = "2026-05-04", .end = "2026-05-06", .place = "Oslo"};
    pnError err = {0};
    assert_int_equal(planPropose(p, &a, &i, "ingrid", "NOR", at("2026-01-05T09:00:00Z"), &err),
                     PN_OK);
    assert_int_equal(planPropose(p, &a, &i, "ingrid", "NOR", at("2026-01-05T09:00:00Z"), &err),
                     PN_EINVAL);
    PlanActivity bad = a;
    snprintf(bad.openTo, sizeof(bad.openTo), "NATO,XYZ");
    PlanInstance i2 = {.code = "W1/2", .start = "2026-05-04", .end = "2026-05-06"};
    assert_int_equal(planPropose(p, &bad, &i2, "ingrid", "NOR", 0, &err), PN_EINVAL);
    assert_string_equal(err.msg, "field 'open_to': unknown nation or framework 'XYZ'");
    int outcome, n = 0;
    char reason[256];
    /* registering before invitations is refused */
    assert_int_equal(
        planRegister(p, "W1/1", "GEO", "g", "clerk", 0, &outcome, reason, sizeof(reason), &err),
        PN_OK);
    assert_int_equal(outcome, PLAN_REG_REFUSED);
    assert_non_null(strstr(reason, "not open for registration"));
    assert_int_equal(planAdvance(p, "W1/1", "invite", "hq", 0, &n, &err), PN_EINVAL);
    assert_string_equal(err.msg, "cannot invite 'W1/1': it is proposed, not approved");
    assert_int_equal(
        planAdvance(p, "W1/1", "approve", "hq-chief", at("2026-01-10T12:00:00Z"), &n, &err), PN_OK);
    assert_int_equal(
        planAdvance(p, "W1/1", "invite", "hq-clerk", at("2026-01-11T12:00:00Z"), &n, &err), PN_OK);
    /* invitations go to every nation in NATO or PFP on 2026-05-04 (32 + 16 in the shipped registry)
     */
    NationSet ns;
    Fixture *fx = ((Env *)*state)->fx;
    int expect =
        registryMembersAt(&fx->reg, registryGroup(&fx->reg, "NATO"), day("2026-05-04"), &ns) +
        registryMembersAt(&fx->reg, registryGroup(&fx->reg, "PFP"), day("2026-05-04"), &ns);
    assert_int_equal(n, expect);
    assert_int_equal(planRegister(p, "W1/1", "GEO", "Maj. G", "geo-clerk",
                                  at("2026-02-01T08:00:00Z"), &outcome, reason, sizeof(reason),
                                  &err),
                     PN_OK);
    assert_int_equal(outcome, PLAN_REG_REGISTERED);
    /* feedback before the end, and from a nation without participants, is refused */
    assert_int_equal(
        planFeedback(p, "W1/1", "GEO", "good", "geo", at("2026-05-05T12:00:00Z"), &err), PN_EINVAL);
    assert_int_equal(
        planFeedback(p, "W1/1", "UKR", "good", "ukr", at("2026-05-07T12:00:00Z"), &err), PN_EINVAL);
    assert_string_equal(err.msg, "UKR had no participant on 'W1/1'");
    assert_int_equal(
        planAttend(p, "W1/1", "GEO", "nor-clerk", at("2026-05-06T16:00:00Z"), &n, &err), PN_OK);
    assert_int_equal(n, 1);
    assert_int_equal(
        planFeedback(p, "W1/1", "GEO", "very useful", "geo-poc", at("2026-05-07T12:00:00Z"), &err),
        PN_OK);
    Seen s = {.n = 0};
    assert_int_equal(planFeedbackFor(p, "W1/1", "GEO", seeFeedback, &s, &err), PN_OK);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.lines[0], "GEO: very useful");
    assert_int_equal(planFeedbackFor(p, "W1/1", "UKR", seeFeedback, &s, &err), PN_EINVAL);
    /* every step with who and when */
    s.n = 0;
    assert_int_equal(planEvents(p, "W1/1", seeEvent, &s, &err), PN_OK);
    /* proposed, approved, invited, one per invited nation, registered, attended, feedback */
    assert_int_equal(s.total, 6 + expect);
    assert_string_equal(s.lines[0], "proposed NOR ingrid 2026-01-05T09:00:00Z");
    assert_string_equal(s.lines[1], "approved  hq-chief 2026-01-10T12:00:00Z");
    assert_string_equal(s.lines[2], "invited  hq-clerk 2026-01-11T12:00:00Z");
    assert_string_equal(s.lines[3], "invited ALB hq-clerk 2026-01-11T12:00:00Z");
    /* programme progress */
    importOk(p, "o.csv", "nation,cycle,objective\nGEO,2026,Staff trained\n");
    importOk(p, "g.csv", "nation,cycle,instance\nGEO,2026,W1/1\n");
    s.n = 0;
    assert_int_equal(planProgramme(p, "GEO", 2026, seeProgramme, &s, &err), PN_OK);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.lines[0], "Staff trained 000");
    assert_string_equal(s.lines[1], "W1/1 111");
}

typedef struct Gaps {
    PlanGap g[16];
    int n;
} Gaps;

static int seeGap(const PlanGap *g, void *ctx) {
    Gaps *x = ctx;
    if (x->n < 16) x->g[x->n++] = *g;
    return 0;
}

static void testGaps(void **state) {
    Plan *p = ((Env *)*state)->p;
    importOk(p, "a.csv", "code,name\nAD,Air defence\nENG,Engineers\n");
    importOk(p, "t.csv",
             "cycle,nation,area,quantity\n"
             "2023,POL,AD,10\n2025,POL,AD,12\n2025,POL,ENG,3\n2021,DEU,AD,8\n2025,DEU,AD,8\n");
    importOk(
        p, "h.csv",
        "cycle,nation,area,held,ready\n"
        "2023,POL,AD,9,6\n2025,POL,AD,12,11\n2025,POL,ENG,5,5\n2021,DEU,AD,8,8\n2025,DEU,AD,7,2\n");
    importFails(p, "h2.csv", "cycle,nation,area,held,ready\n2025,POL,AD,3,4\n",
                "h2.csv:2: field 'ready': 4 ready is more than 3 held");
    importFails(p, "t2.csv", "cycle,nation,area,quantity\n2025,POL,XX,3\n",
                "t2.csv:2: field 'area': no capability area 'XX'");
    Gaps x = {.n = 0};
    pnError err = {0};
    assert_int_equal(planGaps(p, 2025, NULL, seeGap, &x, &err), PN_OK);
    assert_int_equal(x.n, 5);
    /* ranked: DEU AD 8-2=6, POL AD 12-11=1, POL ENG surplus 0 */
    assert_string_equal(x.g[0].nation, "DEU");
    assert_int_equal(x.g[0].gap, 6);
    assert_true(x.g[0].hasPrev);
    assert_int_equal(x.g[0].prevCycle, 2021);
    assert_int_equal(x.g[0].prevGap, 0);
    assert_string_equal(x.g[1].nation, "POL");
    assert_int_equal(x.g[1].gap, 1);
    assert_int_equal(x.g[1].prevCycle, 2023);
    assert_int_equal(x.g[1].prevGap, 4);
    assert_string_equal(x.g[2].area, "ENG");
    assert_int_equal(x.g[2].gap, 0);
    assert_false(x.g[2].hasPrev);
    /* alliance rows: sums of national gaps (a surplus does not fill another's target) */
    assert_string_equal(x.g[3].nation, "ALL");
    assert_string_equal(x.g[3].area, "AD");
    assert_int_equal(x.g[3].target, 20);
    assert_int_equal(x.g[3].ready, 13);
    assert_int_equal(x.g[3].gap, 7);
    assert_int_equal(x.g[3].prevCycle, 2023);
    assert_int_equal(x.g[3].prevGap, 4);
    x.n = 0;
    assert_int_equal(planGaps(p, 2025, "POL", seeGap, &x, &err), PN_OK);
    assert_int_equal(x.n, 2);
}

static void testOutbox(void **state) {
    Plan *p = ((Env *)*state)->p;
    PlanNotice n;
    pnError err = {0};
    assert_int_equal(planOutboxNext(p, 0, &n, &err), 0);
    importOk(p, "ex.csv", exercisesCsv);
    importOk(p, "c.csv",
             "exercise,nation,troops,tanks,acv,artillery,sorties\n"
             "EX-A,NOR,6000,0,0,0,0\nEX-A,SWE,4000,0,0,0,0\nEX-B,SWE,100,0,0,0,0\n");
    assert_int_equal(planOutboxNext(p, 0, &n, &err), 1);
    assert_string_equal(n.topic, "csbm/notifications");
    assert_string_equal(n.label, "NATO UNCLASSIFIED REL TO OSCE");
    assert_non_null(strstr(n.payload, "\"exercise\":\"EX-A\""));
    assert_non_null(strstr(n.payload, "\"troops\":10000"));
    assert_non_null(strstr(n.payload, "\"deadline\":\"2026-03-20\""));
    assert_int_equal(planOutboxPending(p), 1);
    /* importing the same figures again queues nothing new */
    importOk(p, "c.csv",
             "exercise,nation,troops,tanks,acv,artillery,sorties\nEX-A,SWE,4000,0,0,0,0\n");
    assert_int_equal(planOutboxPending(p), 1);
    assert_int_equal(planOutboxDone(p, n.id, &err), PN_OK);
    assert_int_equal(planOutboxDone(p, n.id, &err), PN_OK);
    assert_int_equal(planOutboxNext(p, 0, &n, &err), 0);
    assert_int_equal(planOutboxDone(p, 999, &err), PN_ENOENT);
    /* changed figures: a new notice */
    importOk(p, "c.csv",
             "exercise,nation,troops,tanks,acv,artillery,sorties\nEX-A,FIN,500,0,0,0,0\n");
    assert_int_equal(planOutboxPending(p), 1);
    /* amphibious EX-B at 3000 troops becomes notifiable */
    importOk(p, "c.csv",
             "exercise,nation,troops,tanks,acv,artillery,sorties\nEX-B,SWE,3000,0,0,0,0\n");
    assert_int_equal(planOutboxPending(p), 2);
}

typedef struct SeenEx {
    const char *code;
    PlanExercise e;
    CsbmResult r;
} SeenEx;

static int seeExercise(const PlanExercise *e, const CsbmForces *f, const CsbmResult *r, void *ctx) {
    SeenEx *x = ctx;
    (void)f;
    if (strcmp(e->code, x->code) == 0) {
        x->e = *e;
        x->r = *r;
    }
    return 0;
}

/* issue #21: a second contribution without a place keeps the place; the
 * publication of the notice records the day the exercise was notified. */
static void testExerciseMergeAndNotified(void **state) {
    Plan *p = ((Env *)*state)->p;
    pnError err = {0};
    importOk(p, "ex.csv", exercisesCsv);
    PlanExercise e = {.code = "EX-B",
                      .name = "Bravo",
                      .start = "2026-06-01",
                      .end = "2026-06-05",
                      .host = "SWE",
                      .amphibious = 1};
    PlanContribution c = {.nation = "SWE", .troops = 3000};
    CsbmForces f;
    CsbmResult r;
    int queued = 0;
    assert_int_equal(planExerciseRecord(p, &e, &c, &f, &r, &queued, &err), PN_OK);
    assert_true(queued);
    SeenEx x = {.code = "EX-B"};
    assert_int_equal(planExercises(p, PN_DAY_NONE, seeExercise, &x, &err), PN_OK);
    assert_string_equal(x.e.place, "Place \"quoted\"");
    assert_string_equal(x.e.notified, "");
    PlanNotice n;
    assert_int_equal(planOutboxNext(p, 0, &n, &err), 1);
    assert_non_null(strstr(n.payload, "\"place\":\"Place \\\"quoted\\\"\""));
    assert_int_equal(planOutboxDone(p, n.id, &err), PN_OK);
    char today[11];
    dateFormat(dayOfTime(timeNow()), today);
    assert_int_equal(planExercises(p, PN_DAY_NONE, seeExercise, &x, &err), PN_OK);
    assert_string_equal(x.e.notified, today);
    /* a day given by the user is not replaced by the publication */
    x.code = "EX-A";
    assert_int_equal(planExercises(p, PN_DAY_NONE, seeExercise, &x, &err), PN_OK);
    assert_string_equal(x.e.notified, "2026-03-20");
}

/* An airborne drop of 3,000 within a 10,000-troop exercise is evaluated on
 * the 3,000 (two nations, one without a landing count: all its troops
 * count); a header without the landing column still imports; a landing
 * count above the troops is refused by name. */
static void testLanding(void **state) {
    Plan *p = ((Env *)*state)->p;
    pnError err = {0};
    importOk(p, "ex.csv",
             "code,name,start,end,place,host,airborne,amphibious,notified\n"
             "EX-D,Drop,2026-06-01,2026-06-05,,POL,true,false,\n");
    importOk(p, "c.csv",
             "exercise,nation,troops,tanks,acv,artillery,sorties,landing\n"
             "EX-D,POL,7000,0,0,0,0,2000\n");
    importOk(p, "c2.csv",
             "exercise,nation,troops,tanks,acv,artillery,sorties\nEX-D,USA,3000,0,0,0,0\n");
    CsbmForces f;
    CsbmResult r;
    assert_int_equal(planExerciseEvaluate(p, "EX-D", &f, &r, &err), PN_OK);
    assert_int_equal(f.troops, 10000);
    assert_true(f.hasLanding);
    assert_int_equal(f.landing, 5000); /* 2000 + USA's 3000 (no count: all) */
    importOk(p, "c3.csv",
             "exercise,nation,troops,tanks,acv,artillery,sorties,landing\n"
             "EX-D,USA,3000,0,0,0,0,1000\n");
    assert_int_equal(planExerciseEvaluate(p, "EX-D", &f, &r, &err), PN_OK);
    assert_int_equal(f.landing, 3000);
    assert_true(r.notify);   /* troops 10000 >= 9000 */
    assert_false(r.observe); /* 3000 landing < 3500, 10000 troops < 13000 */
    PlanContribution c = {
        .exercise = "EX-D", .nation = "POL", .troops = 10, .landing = 11, .hasLanding = 1};
    assert_int_equal(planContributionPut(p, &c, &err), PN_EINVAL);
    assert_non_null(strstr(err.msg, "'landing'"));
}

/* A store made before the landing column gets it when opened. */
static void testLandingColumnAdded(void **state) {
    Env *env = *state;
    char old[64], db[128];
    snprintf(old, sizeof(old), "/tmp/pn-test-plan-old-%d", (int)getpid());
    snprintf(db, sizeof(db), "%s/plan.db", old);
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf %s && mkdir -p %s", old, old);
    assert_int_equal(system(cmd), 0);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h,
                                  "CREATE TABLE contributions(exercise TEXT, nation TEXT, troops "
                                  "INTEGER, tanks INTEGER, acv INTEGER, artillery INTEGER, sorties "
                                  "INTEGER, PRIMARY KEY(exercise, nation));"
                                  "INSERT INTO contributions VALUES('EX-O','POL',1,0,0,0,0);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    Plan *p;
    pnError err = {0};
    assert_int_equal(planOpen(&p, old, &env->fx->reg, &err), PN_OK);
    char *csv = planExportCsv(p, "contributions", &err);
    assert_non_null(csv);
    assert_string_equal(csv, "exercise,nation,troops,tanks,acv,artillery,sorties,landing\n"
                             "EX-O,POL,1,0,0,0,0,\n");
    free(csv);
    planClose(p);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", old);
    assert_int_equal(system(cmd), 0);
}

static void testRoundTrip(void **state) {
    Plan *p = ((Env *)*state)->p;
    Fixture *fx = ((Env *)*state)->fx;
    const char *files[] = {"data/sample/cooperation.json", "data/sample/exercises.json",
                           "data/sample/capability.json",  "data/sample/expenditure.csv",
                           "data/sample/gdp.csv",          "data/sample/interop.csv"};
    pnError err = {0};
    for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++)
        if (planImportFile(p, files[k], NULL, &err) != PN_OK) fail_msg("%s", err.msg);
    char *a = planExportJson(p, &err);
    assert_non_null(a);
    char other[300];
    snprintf(other, sizeof(other), "%s-copy", dir);
    Plan *q = NULL;
    assert_int_equal(planOpen(&q, other, &fx->reg, &err), PN_OK);
    if (planImportText(q, "export.json", a, NULL, &err) != PN_OK) fail_msg("%s", err.msg);
    char *b = planExportJson(q, &err);
    assert_non_null(b);
    assert_string_equal(a, b);
    char *c1 = planExportCsv(p, "expenditure", &err), *c2 = planExportCsv(q, "expenditure", &err);
    assert_string_equal(c1, c2);
    assert_non_null(strstr(c1, "POL,2025,4.48,estimate,"));
    free(a);
    free(b);
    free(c1);
    free(c2);
    planClose(q);
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", other);
    assert_int_equal(system(cmd), 0);
}

typedef struct Idx {
    PlanInterop e[8];
    int n;
} Idx;

static int seeInterop(const PlanInterop *e, void *ctx) {
    Idx *x = ctx;
    if (x->n < 8) x->e[x->n++] = *e;
    return 0;
}

static void testInteropTrend(void **state) {
    Plan *p = ((Env *)*state)->p;
    importOk(p, "i.csv",
             "unit,nation,date,evaluator,area,item,result,evidence\n"
             "U1,GEO,2024-01-01,E,comms,a,not_met,\nU1,GEO,2024-01-01,E,lang,b,met,\n"
             "U1,GEO,2025-01-01,E,comms,a,partly,\nU1,GEO,2025-01-01,E,lang,b,met,\n"
             "U2,GEO,2025-02-01,E,comms,a,met,\nU3,UKR,2025-03-01,E,comms,a,partly,\n");
    importFails(
        p, "i.csv",
        "unit,nation,date,evaluator,area,item,result,evidence\nU1,GEO,2024-01-01,E,comms,a,good,\n",
        "i.csv:2: field 'result': 'good' is not met, partly or not_met");
    Idx x = {.n = 0};
    pnError err = {0};
    assert_int_equal(planInterop(p, NULL, NULL, seeInterop, &x, &err), PN_OK);
    assert_int_equal(x.n, 3); /* latest per unit */
    assert_string_equal(x.e[0].unit, "U1");
    assert_true(x.e[0].index > 74.99 && x.e[0].index < 75.01); /* (0.5 + 1) / 2 */
    assert_true(x.e[0].hasPrev);
    assert_true(x.e[0].prevIndex > 49.99 && x.e[0].prevIndex < 50.01);
    assert_false(x.e[1].hasPrev);
    x.n = 0;
    assert_int_equal(planInterop(p, NULL, "U1", seeInterop, &x, &err), PN_OK);
    assert_int_equal(x.n, 2); /* every evaluation of one unit */
    PlanNationIndex *rows = NULL;
    int n = 0;
    assert_int_equal(planInteropNations(p, &rows, &n, &err), PN_OK);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].nation, "GEO");
    assert_int_equal(rows[0].units, 2);
    assert_true(rows[0].index > 87.49 && rows[0].index < 87.51); /* (75 + 100) / 2 */
    assert_true(rows[0].hasPrev);
    assert_true(rows[1].index > 49.99 && rows[1].index < 50.01);
    free(rows);
}

/* Mutated copies of the sample files (bytes replaced, inserted, cut):
 * every import either succeeds or fails with "NAME:" and a sentence, never
 * crashes (ASan/UBSan), and a failed one leaves the store as it was. */
static void testImportMutations(void **state) {
    Plan *p = ((Env *)*state)->p;
    static const char *const files[] = {"data/sample/cooperation.json",
                                        "data/sample/exercises.json", "data/sample/expenditure.csv",
                                        "data/sample/interop.csv"};
    static const char noise[] = ",\"\n{}[]:#0123456789-.aZ \\";
    srand(11);
    for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        char *text = NULL;
        size_t len = 0;
        assert_int_equal(fileRead(files[f], 1 << 20, &text, &len), 0);
        char *m = malloc(len + 64);
        assert_non_null(m);
        for (int round = 0; round < 300; round++) {
            memcpy(m, text, len + 1);
            size_t n = len;
            for (int k = 0, edits = 1 + rand() % 4; k < edits && n > 1; k++) {
                size_t at = (size_t)rand() % n;
                int op = rand() % 3;
                if (op == 0) {
                    m[at] = noise[rand() % (sizeof(noise) - 1)];
                } else if (op == 1 && n + 1 < len + 64) {
                    memmove(m + at + 1, m + at, n - at + 1);
                    m[at] = noise[rand() % (sizeof(noise) - 1)];
                    n++;
                } else {
                    n = at; /* truncate */
                    m[n] = '\0';
                }
            }
            int64_t before = count(p, "exercises") + count(p, "expenditure") +
                             count(p, "activities") + count(p, "evaluations");
            pnError err = {0};
            int rc = planImportText(p, files[f], m, NULL, &err);
            int64_t after = count(p, "exercises") + count(p, "expenditure") +
                            count(p, "activities") + count(p, "evaluations");
            if (rc != PN_OK) {
                if (strncmp(err.msg, files[f], strlen(files[f])) != 0)
                    fail_msg("error without the file name: %s", err.msg);
                assert_int_equal(after, before);
            } else {
                assert_true(after >= before);
            }
        }
        free(m);
        free(text);
    }
}

/* What is acknowledged is on disk: the store commits with
 * synchronous=FULL, so a power cut after a 201 loses nothing (in WAL mode
 * NORMAL may lose the last commits). */
static void testDurableCommits(void **state) {
    Plan *p = ((Env *)*state)->p;
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(planDb(p), "PRAGMA synchronous", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(s, 0), 2); /* FULL */
    sqlite3_finalize(s);
}

/* Two writers at the same moment: the first one to check is made to wait
 * for the write lock (a third connection holds it) until the second has
 * finished the same step; the check must then see the second's work. */
typedef struct Race {
    Plan *p;
    sem_t waiting, go;
    int calls;
    int rc;
    pnError err;
    const char *step; /* "invite", or NULL for a propose */
} Race;

static int raceBusy(void *ctx, int n) {
    Race *r = ctx;
    if (r->calls++ == 0) {
        sem_post(&r->waiting);
        sem_wait(&r->go);
    }
    (void)n;
    return 1; /* try again */
}

static const PlanActivity raceActivity = {.code = "R1",
                                          .title = "Race",
                                          .kind = "seminar",
                                          .organiser = "NOR",
                                          .openTo = "NATO",
                                          .capacity = 5};
static const PlanInstance raceInstance = {
    .code = "R1/1", .start = "2026-05-04", .end = "2026-05-06"};

static void *raceRun(void *arg) {
    Race *r = arg;
    int n = 0;
    if (r->step)
        r->rc = planAdvance(r->p, "R1/1", r->step, "first", 0, &n, &r->err);
    else
        r->rc = planPropose(r->p, &raceActivity, &raceInstance, "first", "NOR", 0, &r->err);
    return NULL;
}

/* How many events of R1/1 have this step, and (*dup) how many of them
 * repeat a nation already counted. */
static int countEvents(Plan *p, const char *step, int *dup) {
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(planDb(p),
                                        "SELECT count(*), count(*) - count(DISTINCT nation)"
                                        " FROM events WHERE instance = 'R1/1' AND step = ?",
                                        -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(s, 1, step, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int n = sqlite3_column_int(s, 0);
    *dup = sqlite3_column_int(s, 1);
    sqlite3_finalize(s);
    return n;
}

/* Run one racing step: `first` checks, then waits for the lock while the
 * second handle does the same step to completion. */
static void race(void **state, const char *step) {
    Env *env = *state;
    Race r = {.step = step};
    pnError err = {0};
    assert_int_equal(planOpen(&r.p, dir, &env->fx->reg, &err), PN_OK);
    sem_init(&r.waiting, 0, 0);
    sem_init(&r.go, 0, 0);
    sqlite3_busy_handler(planDb(r.p), raceBusy, &r);
    sqlite3 *lock = NULL;
    char path[300];
    snprintf(path, sizeof(path), "%s/plan.db", dir);
    assert_int_equal(sqlite3_open(path, &lock), SQLITE_OK);
    assert_int_equal(sqlite3_exec(lock, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, raceRun, &r), 0);
    sem_wait(&r.waiting); /* first has read what it needs and waits for the lock */
    assert_int_equal(sqlite3_exec(lock, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    int n = 0;
    if (step)
        assert_int_equal(planAdvance(env->p, "R1/1", step, "second", 0, &n, &err), PN_OK);
    else
        assert_int_equal(
            planPropose(env->p, &raceActivity, &raceInstance, "second", "NOR", 0, &err), PN_OK);
    sem_post(&r.go);
    pthread_join(t, NULL);
    sqlite3_close(lock);
    assert_int_equal(r.rc, PN_EINVAL);
    if (step)
        assert_string_equal(r.err.msg, "cannot invite 'R1/1': it is invited, not approved");
    else
        assert_string_equal(r.err.msg, "instance 'R1/1' already exists (proposed)");
    planClose(r.p);
    sem_destroy(&r.waiting);
    sem_destroy(&r.go);
}

static void testProposeRace(void **state) {
    race(state, NULL);
    int dup = 0;
    assert_int_equal(countEvents(((Env *)*state)->p, "proposed", &dup), 1);
}

static void testAdvanceRace(void **state) {
    Plan *p = ((Env *)*state)->p;
    pnError err = {0};
    int n = 0;
    assert_int_equal(planPropose(p, &raceActivity, &raceInstance, "x", "NOR", 0, &err), PN_OK);
    assert_int_equal(planAdvance(p, "R1/1", "approve", "x", 0, &n, &err), PN_OK);
    race(state, "invite");
    int dup = -1;
    assert_true(countEvents(p, "invited", &dup) > 1); /* the step and one per NATO nation */
    assert_int_equal(dup, 0);
    assert_int_equal(countEvents(p, "approved", &dup), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(testImportErrors, open1, close1),
        cmocka_unit_test(testActivityLabel),
        cmocka_unit_test_setup_teardown(testRegistrationRules, open1, close1),
        cmocka_unit_test_setup_teardown(testWorkflow, open1, close1),
        cmocka_unit_test_setup_teardown(testGaps, open1, close1),
        cmocka_unit_test_setup_teardown(testOutbox, open1, close1),
        cmocka_unit_test_setup_teardown(testExerciseMergeAndNotified, open1, close1),
        cmocka_unit_test_setup_teardown(testLanding, open1, close1),
        cmocka_unit_test(testLandingColumnAdded),
        cmocka_unit_test_setup_teardown(testRoundTrip, open1, close1),
        cmocka_unit_test_setup_teardown(testInteropTrend, open1, close1),
        cmocka_unit_test_setup_teardown(testImportMutations, open1, close1),
        cmocka_unit_test_setup_teardown(testDurableCommits, open1, close1),
        cmocka_unit_test_setup_teardown(testProposeRace, open1, close1),
        cmocka_unit_test_setup_teardown(testAdvanceRace, open1, close1),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
