/*
 * test_audit.c -- the audit store: record, batch and flush, query with
 * filters, reopen, --since parsing, strings that look like SQL; refusals
 * past a principal's burst aggregated with exact counts; retention and
 * the size bound dropping the oldest rows with a record of the drop.
 *
 * With PN_AUDIT_FIXTURE_DIR set, the program instead writes a small store
 * into that directory and exits: tests/cli/audit.sh uses it to exercise
 * `partnernet audit` on real rows without a running node.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/core/date.h"
#include "../../src/exchange/exchange.h"
#include "../../src/policy/decide.h"
#include "../../src/store/audit.h"

static char dir[256];

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/pn-test-audit-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

static pnAudit *openAudit(const char *where) {
    pnAudit *a = NULL;
    pnError err = {0};
    if (auditOpen(&a, where, &err) != PN_OK) fail_msg("auditOpen: %s", err.msg);
    return a;
}

static AuditEvent event(int64_t time, const char *kind, const char *principal, const char *reason) {
    AuditEvent ev;
    memset(&ev, 0, sizeof(ev));
    ev.time = time;
    snprintf(ev.kind, sizeof(ev.kind), "%s", kind);
    snprintf(ev.principal, sizeof(ev.principal), "%s", principal);
    snprintf(ev.nation, sizeof(ev.nation), "SWE");
    snprintf(ev.topic, sizeof(ev.topic), "tracks/air/%s", principal);
    snprintf(ev.label, sizeof(ev.label), "NATO SECRET REL TO NATO, SWE");
    snprintf(ev.reason, sizeof(ev.reason), "%s", reason);
    snprintf(ev.detail, sizeof(ev.detail), "detail for %s", principal);
    snprintf(ev.peer, sizeof(ev.peer), "192.0.2.7:50123");
    ev.count = 1;
    return ev;
}

static void record(pnAudit *a, AuditEvent ev) {
    pnError err = {0};
    if (auditRecord(a, &ev, &err) != PN_OK) fail_msg("auditRecord: %s", err.msg);
}

static void flush(pnAudit *a) {
    pnError err = {0};
    if (auditFlush(a, &err) != PN_OK) fail_msg("auditFlush: %s", err.msg);
}

/* Query results collected for checking. */
typedef struct Got {
    AuditEvent ev[16];
    int n;
    int stopAfter; /* 0: never stop */
} Got;

static int collect(const AuditEvent *ev, void *ctx) {
    Got *g = ctx;
    if (g->n < 16) g->ev[g->n] = *ev;
    g->n++;
    return g->stopAfter && g->n >= g->stopAfter;
}

static Got query(pnAudit *a, int64_t since, const char *reason, const char *kind) {
    Got g;
    memset(&g, 0, sizeof(g));
    pnError err = {0};
    if (auditQuery(a, since, reason, kind, collect, &g, &err) != PN_OK)
        fail_msg("auditQuery: %s", err.msg);
    return g;
}

static void test_round_trip(void **state) {
    (void)state;
    pnAudit *a = openAudit(dir);
    assert_int_equal(auditCount(a), 0);
    record(a, event(1000, "delivery_refused", "alice", "clearance"));
    record(a, event(1001, "release", "bob", "allow"));
    assert_int_equal(auditCount(a), 2); /* this handle sees its own batch */
    flush(a);
    flush(a); /* nothing pending: a no-op */
    Got g = query(a, INT64_MIN, NULL, NULL);
    assert_int_equal(g.n, 2);
    AuditEvent want = event(1000, "delivery_refused", "alice", "clearance");
    assert_memory_equal(&g.ev[0], &want, sizeof(want));
    assert_string_equal(g.ev[1].principal, "bob");
    assert_string_equal(g.ev[1].topic, "tracks/air/bob");
    assert_string_equal(g.ev[1].peer, "192.0.2.7:50123");
    auditClose(a);

    char path[300];
    struct stat st;
    snprintf(path, sizeof(path), "%s/audit.db", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0007, 0); /* not world-readable */
}

static void test_batch_visibility(void **state) {
    (void)state;
    pnAudit *w = openAudit(dir), *r = openAudit(dir);
    record(w, event(1, "release", "a", "allow"));
    record(w, event(2, "release", "b", "allow"));
    assert_int_equal(auditCount(r), 0); /* not committed yet */
    flush(w);
    assert_int_equal(auditCount(r), 2);
    /* A full batch commits by itself. */
    for (int i = 0; i < AUDIT_BATCH_MAX; i++)
        record(w, event(10 + i, "release", "c", "allow"));
    assert_int_equal(auditCount(r), 2 + AUDIT_BATCH_MAX);
    record(w, event(5000, "release", "d", "allow"));
    assert_int_equal(auditCount(r), 2 + AUDIT_BATCH_MAX);
    auditClose(w); /* commits the last row */
    assert_int_equal(auditCount(r), 3 + AUDIT_BATCH_MAX);
    auditClose(r);
}

static void test_since(void **state) {
    (void)state;
    pnAudit *a = openAudit(dir);
    /* Recorded out of order: queries still answer oldest first. */
    record(a, event(300, "release", "c", "allow"));
    record(a, event(100, "release", "a", "allow"));
    record(a, event(200, "release", "b", "allow"));
    record(a, event(200, "release", "b2", "allow"));
    flush(a);
    Got g = query(a, 200, NULL, NULL);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.ev[0].principal, "b");
    assert_string_equal(g.ev[1].principal, "b2"); /* ties in recording order */
    assert_string_equal(g.ev[2].principal, "c");
    assert_int_equal(query(a, 301, NULL, NULL).n, 0);
    assert_int_equal(query(a, INT64_MIN, NULL, NULL).n, 4);
    /* The callback can stop early. */
    Got s;
    memset(&s, 0, sizeof(s));
    s.stopAfter = 2;
    assert_int_equal(auditQuery(a, 0, NULL, NULL, collect, &s, NULL), PN_OK);
    assert_int_equal(s.n, 2);
    auditClose(a);
}

static void test_filters(void **state) {
    (void)state;
    pnAudit *a = openAudit(dir);
    record(a, event(1, "delivery_refused", "a", "clearance"));
    record(a, event(2, "delivery_refused", "b", "caveat"));
    record(a, event(3, "publish_refused", "c", "clearance"));
    record(a, event(4, "login_refused", "d", "bad_password"));
    flush(a);
    Got g = query(a, 0, "clearance", NULL);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.ev[0].principal, "a");
    assert_string_equal(g.ev[1].principal, "c");
    g = query(a, 0, "CLEARANCE", "publish_refused");
    assert_int_equal(g.n, 1);
    assert_string_equal(g.ev[0].principal, "c");
    g = query(a, 0, NULL, "delivery_refused");
    assert_int_equal(g.n, 2);
    assert_int_equal(query(a, 0, "no_such_reason", NULL).n, 0);
    assert_int_equal(query(a, 3, "clearance", NULL).n, 1);
    auditClose(a);
}

static void test_reopen(void **state) {
    (void)state;
    char sub[300];
    snprintf(sub, sizeof(sub), "%s/var/node1", dir); /* parents are created */
    pnAudit *a = openAudit(sub);
    record(a, event(10, "release", "a", "allow"));
    record(a, event(20, "release_refused", "b", "not_releasable"));
    auditClose(a); /* flushes */
    a = openAudit(sub);
    assert_int_equal(auditCount(a), 2);
    Got g = query(a, 0, "not_releasable", NULL);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.ev[0].kind, "release_refused");
    record(a, event(30, "release", "c", "allow"));
    auditClose(a);
    a = openAudit(sub);
    assert_int_equal(auditCount(a), 3);
    auditClose(a);
}

static void test_sql_strings_verbatim(void **state) {
    (void)state;
    const char *nasty[] = {
        "x'); DROP TABLE audit; --",
        "' OR '1'='1",
        "\"; DELETE FROM audit WHERE 1; --",
        "%s%n\\x00 ?1 :name @p $v",
    };
    pnAudit *a = openAudit(dir);
    record(a, event(1, "release", "plain", "allow"));
    for (int i = 0; i < 4; i++) {
        AuditEvent ev = event(2 + i, "publish_refused", nasty[i], nasty[i]);
        snprintf(ev.topic, sizeof(ev.topic), "%s", nasty[i]);
        snprintf(ev.label, sizeof(ev.label), "%s", nasty[i]);
        record(a, ev);
    }
    flush(a);
    assert_int_equal(auditCount(a), 5);
    for (int i = 0; i < 4; i++) {
        Got g = query(a, 0, nasty[i], NULL); /* the filter is bound too */
        assert_int_equal(g.n, 1);
        assert_string_equal(g.ev[0].principal, nasty[i]);
        assert_string_equal(g.ev[0].topic, nasty[i]);
        assert_string_equal(g.ev[0].label, nasty[i]);
        assert_string_equal(g.ev[0].reason, nasty[i]);
    }
    assert_int_equal(query(a, 0, NULL, "' OR '1'='1").n, 0);
    auditClose(a);
    a = openAudit(dir);
    assert_int_equal(auditCount(a), 5);
    auditClose(a);
}

static void test_full_fields(void **state) {
    (void)state;
    /* Arrays filled to the brim without a terminator are cut, not overread. */
    AuditEvent ev = event(7, "release", "p", "allow");
    memset(ev.kind, 'k', sizeof(ev.kind));
    memset(ev.nation, 'N', sizeof(ev.nation));
    memset(ev.peer, 'p', sizeof(ev.peer));
    pnAudit *a = openAudit(dir);
    record(a, ev);
    Got g = query(a, 0, NULL, NULL);
    assert_int_equal(g.n, 1);
    assert_int_equal(strlen(g.ev[0].kind), sizeof(ev.kind) - 1);
    assert_int_equal(strlen(g.ev[0].nation), sizeof(ev.nation) - 1);
    assert_int_equal(strlen(g.ev[0].peer), sizeof(ev.peer) - 1);
    /* A long UTF-8 value is cut at a character boundary ("é" is 2 bytes). */
    ev = event(8, "release", "p", "allow");
    for (size_t i = 0; i < sizeof(ev.nation); i += 2)
        memcpy(ev.nation + i, "\xc3\xa9", 2);
    record(a, ev); /* 8 bytes stored; 7 would split the fourth "é" */
    g = query(a, 8, NULL, NULL);
    assert_string_equal(g.ev[0].nation, "\xc3\xa9\xc3\xa9\xc3\xa9");
    auditClose(a);
}

static void test_open_errors(void **state) {
    (void)state;
    char path[300];
    pnAudit *a = NULL;
    pnError err = {0};
    /* The directory is a regular file. */
    snprintf(path, sizeof(path), "%s/file", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("not a directory\n", f);
    fclose(f);
    assert_int_equal(auditOpen(&a, path, &err), PN_EIO);
    assert_null(a);
    /* audit.db is not a database. */
    snprintf(path, sizeof(path), "%s/bad", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/bad/audit.db", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 200; i++)
        fputs("this is not an SQLite database at all ", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/bad", dir);
    memset(&err, 0, sizeof(err));
    assert_int_equal(auditOpen(&a, path, &err), PN_EIO);
    assert_null(a);
    assert_non_null(strstr(err.msg, "audit.db"));
    assert_int_equal(auditOpen(&a, "", &err), PN_EINVAL);
    auditClose(NULL);
}

static void test_parse_since(void **state) {
    (void)state;
    const int64_t now = 1767225600; /* 2026-01-01T00:00:00Z */
    int64_t s = 0;
    assert_int_equal(auditParseSince("1h", now, &s), 0);
    assert_int_equal(s, now - 3600);
    assert_int_equal(auditParseSince("30m", now, &s), 0);
    assert_int_equal(s, now - 1800);
    assert_int_equal(auditParseSince("45s", now, &s), 0);
    assert_int_equal(s, now - 45);
    assert_int_equal(auditParseSince("2d", now, &s), 0);
    assert_int_equal(s, now - 2 * 86400);
    assert_int_equal(auditParseSince("0s", now, &s), 0);
    assert_int_equal(s, now);
    assert_int_equal(auditParseSince("24h", now, &s), 0);
    assert_int_equal(s, now - 86400);
    assert_int_equal(auditParseSince("2025-12-31", now, &s), 0);
    assert_int_equal(s, now - 86400);
    assert_int_equal(auditParseSince("2025-12-31T12:00:00Z", now, &s), 0);
    assert_int_equal(s, now - 43200);
    const char *bad[] = {"",
                         "h",
                         "1",
                         "1x",
                         "-1h",
                         "+1h",
                         "1.5h",
                         " 1h",
                         "1h ",
                         "1H",
                         "1hh",
                         "h1",
                         "1 h",
                         "2023-02-30",
                         "yesterday",
                         "99999999999999999999d",
                         "9223372036854775807d"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        s = 42;
        if (auditParseSince(bad[i], now, &s) != -1) fail_msg("accepted '%s'", bad[i]);
        assert_int_equal(s, 42); /* untouched */
    }
    assert_int_equal(auditParseSince(NULL, now, &s), -1);
}

/* ---- fixture for tests/cli/audit.sh ------------------------------------ */

static int writeFixture(const char *where) {
    pnAudit *a = NULL;
    pnError err = {0};
    if (auditOpen(&a, where, &err) != PN_OK) {
        fprintf(stderr, "test_audit: %s\n", err.msg);
        return 1;
    }
    int64_t now = timeNow(), old;
    timeParse("2020-01-01T00:00:00Z", &old);
    AuditEvent ev[] = {
        event(old, "release_refused", "dave", "not_yet_member"),
        event(now - 3 * 86400, "released", "carol", ""),
        event(now - 3600, "delivery_refused", "alice", "clearance"),
        event(now - 600, "publish_refused", "bob", "invalid_label"),
        event(now - 120, "login_refused", "evil\x1b[31mred", "bad_password"),
    };
    snprintf(ev[3].label, sizeof(ev[3].label), "NATO SECRET REL TO XYZ");
    ev[4].nation[0] = ev[4].topic[0] = ev[4].label[0] = '\0';
    int rc = PN_OK;
    for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]) && rc == PN_OK; i++)
        rc = auditRecord(a, &ev[i], &err);
    if (rc == PN_OK) rc = auditFlush(a, &err);
    auditClose(a);
    if (rc != PN_OK) fprintf(stderr, "test_audit: %s\n", err.msg);
    return rc == PN_OK ? 0 : 1;
}

/* ---- aggregation, retention, size ---------------------------------------- */

/* Rows and the sum of their counts, per (kind, principal), plus totals. */
typedef struct Sums {
    int64_t rows, total;
    int64_t maxCount;
    const char *kind, *principal, *topic; /* NULL: any */
    int64_t matchRows, matchTotal;
    AuditEvent last; /* the last row matching */
} Sums;

static int sum(const AuditEvent *ev, void *ctx) {
    Sums *s = ctx;
    s->rows++;
    s->total += ev->count;
    if (ev->count > s->maxCount) s->maxCount = ev->count;
    if ((!s->kind || strcmp(ev->kind, s->kind) == 0) &&
        (!s->principal || strcmp(ev->principal, s->principal) == 0) &&
        (!s->topic || strcmp(ev->topic, s->topic) == 0)) {
        s->matchRows++;
        s->matchTotal += ev->count;
        s->last = *ev;
    }
    return 0;
}

static Sums sums(pnAudit *a, const char *kind, const char *principal, const char *topic) {
    Sums s;
    memset(&s, 0, sizeof(s));
    s.kind = kind, s.principal = principal, s.topic = topic;
    pnError err = {0};
    if (auditQuery(a, INT64_MIN, NULL, NULL, sum, &s, &err) != PN_OK)
        fail_msg("auditQuery: %s", err.msg);
    return s;
}

static void refuse(pnAudit *a, int n, int64_t time, const char *kind, const char *who,
                   const char *topic) {
    AuditEvent ev = event(time, kind, who, "clearance");
    snprintf(ev.topic, sizeof(ev.topic), "%s", topic);
    for (int i = 0; i < n; i++)
        record(a, ev);
}

static void test_aggregate(void **state) {
    (void)state;
    pnAudit *a = openAudit(dir);
    AuditLimits lim = {.burst = 10};
    auditSetLimits(a, &lim);
    const int64_t t = 60 * 1000000 + 5; /* 5 s into a minute */
    refuse(a, 1000, t, "publish_refused", "mallory", "t/a");
    refuse(a, 500, t + 1, "publish_refused", "mallory", "t/b");
    refuse(a, 300, t + 2, "delivery_refused", "bob", "t/a");
    refuse(a, 50, t + 3, "released", "carol", "t/a"); /* not a refusal: every one kept */
    flush(a);
    refuse(a, 200, t + 60, "publish_refused", "mallory", "t/a"); /* the next minute */
    flush(a);
    /* mallory, minute 1: 10 one by one (t/a), then t/a x990 and t/b x500 */
    Sums s = sums(a, "publish_refused", "mallory", "t/b");
    assert_int_equal(s.matchRows, 1);
    assert_int_equal(s.matchTotal, 500);
    assert_int_equal(s.last.count, 500);
    assert_string_equal(s.last.label, "NATO SECRET REL TO NATO, SWE");
    assert_string_equal(s.last.reason, "clearance");
    assert_string_equal(s.last.detail, "aggregated: detail for mallory");
    s = sums(a, "publish_refused", "mallory", "t/a");
    assert_int_equal(s.matchRows, 10 + 1 + 10 + 1);
    assert_int_equal(s.matchTotal, 1200);
    assert_int_equal(s.last.count, 190);
    assert_int_equal(s.last.time, t + 60);
    s = sums(a, "delivery_refused", "bob", NULL);
    assert_int_equal(s.matchRows, 11);
    assert_int_equal(s.matchTotal, 300);
    s = sums(a, "released", NULL, NULL);
    assert_int_equal(s.matchRows, 50);
    assert_int_equal(s.maxCount, 990);
    assert_int_equal(s.rows, 22 + 1 + 11 + 50);
    assert_int_equal(s.total, 2050);
    /* More after a flush goes on counting in the same row. */
    refuse(a, 7, t + 61, "publish_refused", "mallory", "t/a");
    flush(a);
    s = sums(a, "publish_refused", "mallory", "t/a");
    assert_int_equal(s.last.count, 197);
    auditClose(a);
    /* Counts are stored: a reader sees them after a reopen. */
    a = openAudit(dir);
    s = sums(a, NULL, NULL, NULL);
    assert_int_equal(s.total, 2057);
    auditClose(a);
}

/* A principal varying the topic of each refusal cannot make rows without
 * bound: past AUDIT_AGG_KEYS keys a minute its refusals share one row per
 * kind and reason, with no topic or label. */
static void test_aggregate_many_keys(void **state) {
    (void)state;
    pnAudit *a = openAudit(dir);
    AuditLimits lim = {.burst = 10};
    auditSetLimits(a, &lim);
    char topic[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(topic, sizeof(topic), "t/%d", i);
        refuse(a, 1, 120, "publish_refused", "mallory", topic);
        snprintf(topic, sizeof(topic), "u%d", i); /* and 20,000 claimed names */
        refuse(a, 1, 120, "login_refused", topic, "");
    }
    flush(a);
    Sums s = sums(a, "publish_refused", NULL, NULL);
    assert_int_equal(s.matchTotal, 20000);
    assert_true(s.matchRows <= 10 + AUDIT_AGG_KEYS + 1);
    s = sums(a, "login_refused", NULL, NULL);
    assert_int_equal(s.matchTotal, 20000);
    s = sums(a, NULL, NULL, NULL);
    assert_true(s.rows <= 2 * (AUDIT_PRINCIPALS * 10 + AUDIT_AGG_KEYS + 8));
    assert_int_equal(s.total, 40000);
    s = sums(a, "publish_refused", "mallory", "(not kept)");
    assert_int_equal(s.matchRows, 1); /* the overflow row: no topic, the one label they share */
    assert_string_equal(s.last.label, "NATO SECRET REL TO NATO, SWE");
    assert_string_equal(s.last.detail, "aggregated: topics not kept");
    auditClose(a);
}

/* Fail closed past AUDIT_AGG_KEYS: an overflow row keeps a label only
 * while every refusal it stands for had that label, so that the view
 * releases it only to readers who may see all of them; a second label
 * turns it into a marker no reader is shown.  Refusals with a topic but
 * no label leave the topic marker with an empty label (withheld); login
 * refusals (neither) stay shown. */
static void test_aggregate_overflow_labels(void **state) {
    (void)state;
    pnAudit *a = openAudit(dir);
    AuditLimits lim = {.burst = 1};
    auditSetLimits(a, &lim);
    char topic[32];
    const int64_t t = 600;
    for (int i = 0; i < AUDIT_AGG_KEYS + 1; i++) { /* fill the keyed rows */
        snprintf(topic, sizeof(topic), "t/%d", i);
        refuse(a, 1, t, "publish_refused", "mallory", topic);
    }
    AuditEvent ev = event(t, "publish_refused", "eve", "clearance");
    snprintf(ev.label, sizeof(ev.label), "COSMIC TOP SECRET ATOMAL");
    for (int i = 0; i < 4; i++) { /* 1 one by one, 3 in the overflow row */
        snprintf(ev.topic, sizeof(ev.topic), "ops/%d", i);
        record(a, ev);
    }
    AuditEvent noLabel = event(t, "publish_refused", "nolab", "no_label");
    noLabel.label[0] = '\0';
    for (int i = 0; i < 3; i++)
        record(a, noLabel);
    AuditEvent login = event(t, "login_refused", "u1", "login");
    login.topic[0] = login.label[0] = '\0';
    for (int i = 0; i < 3; i++)
        record(a, login);
    flush(a);
    Sums s = sums(a, "publish_refused", "eve", "(not kept)");
    assert_int_equal(s.matchRows, 1);
    assert_int_equal(s.matchTotal, 3);
    assert_string_equal(s.last.label, "COSMIC TOP SECRET ATOMAL");
    s = sums(a, "publish_refused", "nolab", "(not kept)");
    assert_int_equal(s.matchRows, 1);
    assert_int_equal(s.matchTotal, 2);
    assert_string_equal(s.last.label, "");
    s = sums(a, "login_refused", "u1", "");
    assert_int_equal(s.matchTotal, 3);
    assert_string_equal(s.last.label, "");
    /* A second label: the row no longer names one. */
    snprintf(ev.label, sizeof(ev.label), "NATO UNCLASSIFIED");
    record(a, ev);
    flush(a);
    s = sums(a, "publish_refused", "eve", "(not kept)");
    assert_int_equal(s.matchRows, 1);
    assert_int_equal(s.matchTotal, 4);
    assert_string_equal(s.last.label, "(several labels, not kept)");
    assert_string_equal(s.last.detail, "aggregated: topics and labels not kept");
    /* and a topic on a row that had none */
    record(a, login);
    AuditEvent both = login;
    snprintf(both.topic, sizeof(both.topic), "x");
    record(a, both);
    flush(a);
    s = sums(a, "login_refused", "u1", "(not kept)"); /* all but the first, one by one */
    assert_int_equal(s.matchTotal, 4);
    assert_string_equal(s.last.label, "");
    auditClose(a);
}

/* A drop (retention or size) that deletes this minute's aggregated row
 * must not swallow the refusals counted after it: they get a new row. */
static void test_aggregate_after_drop(void **state) {
    (void)state;
    pnAudit *a = openAudit(dir);
    AuditLimits lim = {.burst = 1, .retentionSecs = 50};
    auditSetLimits(a, &lim);
    const int64_t t = 60 * 1000 + 5;
    refuse(a, 3, t, "publish_refused", "mallory", "t/a"); /* 1 row, then 1 row of 2 */
    pnError err = {0};
    assert_int_equal(auditMaintain(a, t + 100, &err), PN_OK); /* deletes both */
    Sums s = sums(a, "publish_refused", NULL, NULL);
    assert_int_equal(s.matchRows, 0);
    s = sums(a, "audit_dropped", NULL, NULL);
    assert_int_equal(s.matchTotal, 2);
    refuse(a, 2, t + 1, "publish_refused", "mallory", "t/a");
    flush(a);
    s = sums(a, "publish_refused", NULL, NULL);
    assert_int_equal(s.matchRows, 1);
    assert_int_equal(s.matchTotal, 2);
    assert_string_equal(s.last.topic, "t/a");
    refuse(a, 3, t + 2, "publish_refused", "mallory", "t/a"); /* the new row goes on counting */
    flush(a);
    s = sums(a, "publish_refused", NULL, NULL);
    assert_int_equal(s.matchRows, 1);
    assert_int_equal(s.matchTotal, 5);
    /* the same after a size drop */
    lim.retentionSecs = 0;
    lim.maxBytes = 1;
    auditSetLimits(a, &lim);
    assert_int_equal(auditMaintain(a, t + 3, &err), PN_OK);
    refuse(a, 4, t + 3, "publish_refused", "mallory", "t/a");
    flush(a);
    s = sums(a, "publish_refused", NULL, NULL);
    assert_int_equal(s.matchTotal, 4);
    auditClose(a);
}

static void test_retention(void **state) {
    (void)state;
    pnAudit *a = openAudit(dir);
    const int64_t now = 2000000000, day = 86400;
    AuditLimits lim = {.retentionSecs = 30 * day};
    auditSetLimits(a, &lim);
    for (int i = 0; i < 5; i++)
        record(a, event(now - 40 * day + i, "release", "old", "allow"));
    for (int i = 0; i < 3; i++)
        record(a, event(now - day + i, "release", "new", "allow"));
    pnError err = {0};
    assert_int_equal(auditMaintain(a, now, &err), PN_OK);
    Sums s = sums(a, NULL, "old", NULL);
    assert_int_equal(s.matchRows, 0);
    s = sums(a, NULL, "new", NULL);
    assert_int_equal(s.matchRows, 3);
    s = sums(a, "audit_dropped", NULL, NULL);
    assert_int_equal(s.matchRows, 1);
    assert_int_equal(s.last.count, 5);
    assert_string_equal(s.last.reason, "retention");
    assert_int_equal(s.last.time, now);
    assert_non_null(strstr(s.last.detail, "5 events"));
    assert_int_equal(auditMaintain(a, now + 1, &err), PN_OK); /* nothing more to drop */
    s = sums(a, NULL, NULL, NULL);
    assert_int_equal(s.rows, 4);
    auditClose(a);
}

static void test_size_limit(void **state) {
    (void)state;
    pnAudit *a = openAudit(dir);
    AuditLimits lim = {.maxBytes = 256 << 10};
    auditSetLimits(a, &lim);
    for (int i = 0; i < 20000; i++)
        record(a, event(1000 + i, "release", "p", "allow"));
    flush(a);
    assert_true(auditUsedBytes(a) > lim.maxBytes);
    pnError err = {0};
    assert_int_equal(auditMaintain(a, 50000, &err), PN_OK);
    assert_true(auditUsedBytes(a) <= lim.maxBytes);
    Sums s = sums(a, "audit_dropped", NULL, NULL);
    assert_int_equal(s.matchRows, 1);
    assert_string_equal(s.last.reason, "size");
    Sums kept = sums(a, "release", NULL, NULL);
    assert_int_equal(kept.matchRows + s.last.count, 20000);
    assert_true(kept.matchRows > 0);
    assert_int_equal(kept.last.time, 1000 + 19999); /* the newest are kept */
    auditClose(a);
}

/* The reasons a filter accepts include every code decide() and the publish
 * path can record, so a valid filter is never refused as unknown. */
static void test_names(void **state) {
    (void)state;
    for (int r = 1; r < DECIDE_NREASONS; r++)
        assert_true(auditNameKnown(auditReasons, decideReasonCode((DecideReason)r)));
    for (int r = 0; r < XP_NREASONS; r++)
        assert_true(auditNameKnown(auditReasons, exchangePublishReasonCode(r)));
    assert_true(auditNameKnown(auditKinds, "DELIVERY_REFUSED"));
    assert_false(auditNameKnown(auditKinds, "bogus"));
    char buf[16];
    assert_string_equal(auditNameList(auditKinds, buf, sizeof(buf)), "publish_refused");
    char all[1024];
    assert_non_null(strstr(auditNameList(auditReasons, all, sizeof(all)), ", expiry, size"));
}

int main(void) {
    const char *fixture = getenv("PN_AUDIT_FIXTURE_DIR");
    if (fixture && fixture[0]) return writeFixture(fixture);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_visibility, setup, teardown),
        cmocka_unit_test_setup_teardown(test_since, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sql_strings_verbatim, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
        cmocka_unit_test(test_parse_since),
        cmocka_unit_test(test_names),
        cmocka_unit_test_setup_teardown(test_aggregate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aggregate_many_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aggregate_overflow_labels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aggregate_after_drop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
        cmocka_unit_test_setup_teardown(test_size_limit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
