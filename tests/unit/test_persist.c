/*
 * test_persist.c -- persistent sessions on disk (src/exchange/persist.c):
 * one file per session round-trips every field (principal instance id,
 * unacknowledged retained offsets "stored" and incoming QoS 2 ids "qos2"
 * included), removal, the old sessions.json read as file number 0 (with
 * those fields, and without them as older nodes wrote it), names other than NUMBER.json (the
 * temporary files of an interrupted write) ignored, a damaged file
 * reported by name, the offsets file NUMBER.resume taking the place of the
 * session file's offsets only when written after it (higher seq), and a
 * session's pending delayed will.
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

#include "../../src/exchange/persist.h"

#define MAXLOADED 8

typedef struct Loaded {
    int n;
    uint64_t fileNo[MAXLOADED];
    char client[MAXLOADED][64], principal[MAXLOADED][64], filters[MAXLOADED][256];
    uint32_t expiry[MAXLOADED];
    int64_t disconnected[MAXLOADED];
    uint64_t resume[MAXLOADED], lost[MAXLOADED];
    int node[MAXLOADED];
    size_t nsubs[MAXLOADED];
    uint8_t options[MAXLOADED];
    uint32_t subId[MAXLOADED];
    char principalId[MAXLOADED][32];
    size_t nstored[MAXLOADED], nqos2[MAXLOADED];
    uint64_t stored[MAXLOADED][4];
    uint16_t qos2[MAXLOADED][4];
} Loaded;

static void collect(void *ctx, const PersistSession *s) {
    Loaded *l = ctx;
    if (l->n >= MAXLOADED) return;
    int i = l->n++;
    l->fileNo[i] = s->fileNo;
    snprintf(l->client[i], sizeof(l->client[i]), "%s", s->clientId);
    snprintf(l->principal[i], sizeof(l->principal[i]), "%s", s->principal);
    l->expiry[i] = s->expiry;
    l->disconnected[i] = s->disconnectedAt;
    l->resume[i] = s->resumeFrom;
    l->lost[i] = s->lost;
    l->node[i] = s->node;
    l->nsubs[i] = s->nsubs;
    l->filters[i][0] = '\0';
    for (size_t k = 0; k < s->nsubs; k++) {
        strcat(l->filters[i], s->subs[k].filter);
        strcat(l->filters[i], ";");
    }
    l->options[i] = s->nsubs ? s->subs[s->nsubs - 1].options : 0;
    l->subId[i] = s->nsubs ? s->subs[s->nsubs - 1].subId : 0;
    assert_non_null(s->principalId);
    snprintf(l->principalId[i], sizeof(l->principalId[i]), "%s", s->principalId);
    l->nstored[i] = s->nstored;
    for (size_t k = 0; k < s->nstored && k < 4; k++)
        l->stored[i][k] = s->stored[k];
    l->nqos2[i] = s->nqos2;
    for (size_t k = 0; k < s->nqos2 && k < 4; k++)
        l->qos2[i][k] = s->qos2[k];
}

static int find(const Loaded *l, const char *client) {
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->client[i], client) == 0) return i;
    return -1;
}

static char dir[64];

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/pn-persist-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd);
}

static void writeText(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_round_trip(void **state) {
    (void)state;
    PersistSub subs[2] = {{"a/+/c", 0x01, 0}, {"x/#", 0x2e, 42}}; /* QoS 2, NL, RAP, RH 2 */
    uint64_t stored[3] = {17, 5, 123456789013ull};
    uint16_t qos2[2] = {1, 65535};
    PersistSession s = {.fileNo = 7,
                        .clientId = "c-7",
                        .principal = "alice",
                        .principalId = "0123456789abcdef",
                        .stored = stored,
                        .nstored = 3,
                        .qos2 = qos2,
                        .nqos2 = 2,
                        .expiry = UINT32_MAX,
                        .disconnectedAt = 1700000000,
                        .resumeFrom = 123456789012ull,
                        .node = 1,
                        .lost = 5,
                        .subs = subs,
                        .nsubs = 2};
    pnError err = {0};
    assert_int_equal(persistWrite(dir, &s, &err), PN_OK);
    PersistSession t = {.fileNo = 3, .clientId = "c-3", .principal = "bob", .expiry = 60};
    assert_int_equal(persistWrite(dir, &t, &err), PN_OK);
    Loaded l = {0};
    uint64_t maxNo = 0;
    assert_int_equal(persistLoad(dir, collect, &l, &maxNo, &err), PN_OK);
    assert_int_equal(l.n, 2);
    assert_int_equal(maxNo, 7);
    int i = find(&l, "c-7");
    assert_true(i >= 0);
    assert_int_equal(l.fileNo[i], 7);
    assert_string_equal(l.principal[i], "alice");
    assert_int_equal(l.expiry[i], UINT32_MAX);
    assert_int_equal(l.disconnected[i], 1700000000);
    assert_int_equal(l.resume[i], 123456789012ull);
    assert_int_equal(l.lost[i], 5);
    assert_int_equal(l.node[i], 1);
    assert_int_equal(l.nsubs[i], 2);
    assert_string_equal(l.filters[i], "a/+/c;x/#;");
    assert_int_equal(l.options[i], 0x2e);
    assert_int_equal(l.subId[i], 42);
    assert_string_equal(l.principalId[i], "0123456789abcdef");
    assert_int_equal(l.nstored[i], 3);
    assert_int_equal(l.stored[i][0], 17);
    assert_int_equal(l.stored[i][1], 5);
    assert_int_equal(l.stored[i][2], 123456789013ull);
    assert_int_equal(l.nqos2[i], 2);
    assert_int_equal(l.qos2[i][0], 1);
    assert_int_equal(l.qos2[i][1], 65535);
    int j = find(&l, "c-3");
    assert_true(j >= 0);
    assert_int_equal(l.nsubs[j], 0);
    assert_string_equal(l.principalId[j], ""); /* none given: written as "" */
    assert_int_equal(l.nstored[j], 0);
    assert_int_equal(l.nqos2[j], 0);
    /* Removing one leaves the other; removing twice is not an error. */
    assert_int_equal(persistRemove(dir, 3, &err), PN_OK);
    assert_int_equal(persistRemove(dir, 3, &err), PN_OK);
    memset(&l, 0, sizeof(l));
    assert_int_equal(persistLoad(dir, collect, &l, &maxNo, &err), PN_OK);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.client[0], "c-7");
}

static void test_legacy_and_leftovers(void **state) {
    (void)state;
    char path[256];
    snprintf(path, sizeof(path), "%s/sessions.json", dir);
    writeText(path, "[{\"client\":\"old\",\"principal\":\"alice\",\"expiry\":4294967295,"
                    "\"disconnected\":1,\"resume\":9,\"node\":false,\"lost\":0,"
                    "\"subs\":[{\"filter\":\"legacy/#\",\"qos\":1,\"nl\":false,\"rap\":true,"
                    "\"rh\":1,\"id\":0}]},{\"principal\":\"no client id\"},"
                    /* as main wrote it: instance id, stored offsets, QoS 2 ids (0 and
                     * 65536 are no packet ids) */
                    "{\"client\":\"main\",\"principal\":\"carol\",\"principal_id\":"
                    "\"fedcba9876543210\",\"expiry\":60,\"disconnected\":2,\"resume\":30,"
                    "\"node\":false,\"lost\":0,\"subs\":[],\"stored\":[21,8],"
                    "\"qos2\":[7,0,65536,9]}]");
    assert_true(persistHasLegacy(dir));
    PersistSession s = {.fileNo = 12, .clientId = "new", .principal = "bob", .expiry = 10};
    pnError err = {0};
    assert_int_equal(persistWrite(dir, &s, &err), PN_OK);
    /* An interrupted write leaves NUMBER.json.XXXXXX: not a session. */
    snprintf(path, sizeof(path), "%s/sessions/13.json.AbC123", dir);
    writeText(path, "{\"client\":\"half");
    snprintf(path, sizeof(path), "%s/sessions/notes.txt", dir);
    writeText(path, "x");
    Loaded l = {0};
    uint64_t maxNo = 0;
    assert_int_equal(persistLoad(dir, collect, &l, &maxNo, &err), PN_OK);
    assert_int_equal(l.n, 3);
    assert_int_equal(maxNo, 12);
    int i = find(&l, "old");
    assert_true(i >= 0);
    assert_int_equal(l.fileNo[i], 0); /* from sessions.json: not in a file yet */
    assert_int_equal(l.resume[i], 9);
    assert_int_equal(l.options[i], 0x01 | 0x08 | 0x10);
    assert_string_equal(l.principalId[i], ""); /* before instance ids */
    assert_int_equal(l.nstored[i], 0);
    assert_int_equal(l.nqos2[i], 0);
    int m = find(&l, "main");
    assert_true(m >= 0);
    assert_int_equal(l.fileNo[m], 0);
    assert_string_equal(l.principalId[m], "fedcba9876543210");
    assert_int_equal(l.nstored[m], 2);
    assert_int_equal(l.stored[m][0], 21);
    assert_int_equal(l.stored[m][1], 8);
    assert_int_equal(l.nqos2[m], 2);
    assert_int_equal(l.qos2[m][0], 7);
    assert_int_equal(l.qos2[m][1], 9);
    assert_int_equal(persistRemoveLegacy(dir, &err), PN_OK);
    assert_false(persistHasLegacy(dir));
}

static void test_damaged_file_named(void **state) {
    (void)state;
    PersistSession s = {.fileNo = 4, .clientId = "ok", .principal = "bob", .expiry = 10};
    pnError err = {0};
    assert_int_equal(persistWrite(dir, &s, &err), PN_OK);
    char path[256];
    snprintf(path, sizeof(path), "%s/sessions/5.json", dir);
    writeText(path, "{\"client\": ");
    Loaded l = {0};
    uint64_t maxNo = 0;
    assert_int_not_equal(persistLoad(dir, collect, &l, &maxNo, &err), PN_OK);
    assert_non_null(strstr(err.msg, "5.json"));
}

/* The pending delayed will round-trips byte for byte (binary props and
 * payload, NULL label); a session without one, or with a damaged one,
 * loads with none. */
typedef struct LoadedWill {
    int n, has[2];
    char topic[64], label[8];
    uint8_t props[8], payload[8];
    uint32_t propsLen, payloadLen;
    uint8_t qos, retain;
    int64_t dueMs;
} LoadedWill;

static void collectWill(void *ctx, const PersistSession *s) {
    LoadedWill *l = ctx;
    int i = strcmp(s->clientId, "w") == 0 ? 0 : 1;
    l->n++;
    l->has[i] = s->will != NULL;
    if (i || !s->will) return;
    const PersistWill *w = s->will;
    snprintf(l->topic, sizeof(l->topic), "%s", w->topic);
    snprintf(l->label, sizeof(l->label), "%s", w->label ? w->label : "(null)");
    assert_true(w->propsLen <= sizeof(l->props) && w->payloadLen <= sizeof(l->payload));
    memcpy(l->props, w->props, w->propsLen);
    memcpy(l->payload, w->payload, w->payloadLen);
    l->propsLen = w->propsLen, l->payloadLen = w->payloadLen;
    l->qos = w->qos, l->retain = w->retain, l->dueMs = w->dueMs;
}

static void test_will_round_trip(void **state) {
    (void)state;
    const uint8_t props[3] = {0x01, 0x00, 0xff}, payload[4] = {0, 0xfe, 'a', 0x80};
    PersistWill w = {"t/will", NULL, props, payload, 3, 4, 2, 1, 1700000000123ll};
    PersistSession s = {
        .fileNo = 1, .clientId = "w", .principal = "erin", .expiry = 300, .will = &w};
    PersistSession t = {.fileNo = 2, .clientId = "nowill", .principal = "erin", .expiry = 300};
    pnError err = {0};
    assert_int_equal(persistWrite(dir, &s, &err), PN_OK);
    assert_int_equal(persistWrite(dir, &t, &err), PN_OK);
    LoadedWill l = {0};
    uint64_t maxNo;
    assert_int_equal(persistLoad(dir, collectWill, &l, &maxNo, &err), PN_OK);
    assert_int_equal(l.n, 2);
    assert_true(l.has[0]);
    assert_false(l.has[1]);
    assert_string_equal(l.topic, "t/will");
    assert_string_equal(l.label, "(null)");
    assert_int_equal(l.propsLen, 3);
    assert_memory_equal(l.props, props, 3);
    assert_int_equal(l.payloadLen, 4);
    assert_memory_equal(l.payload, payload, 4);
    assert_int_equal(l.qos, 2);
    assert_int_equal(l.retain, 1);
    assert_int_equal(l.dueMs, 1700000000123ll);
    char path[128];
    snprintf(path, sizeof(path), "%s/sessions/1.json", dir);
    writeText(path, "{\"client\":\"w\",\"principal\":\"erin\",\"will\":{\"topic\":\"t\","
                    "\"props\":\"zz\",\"payload\":\"\",\"qos\":1}}");
    memset(&l, 0, sizeof(l));
    assert_int_equal(persistLoad(dir, collectWill, &l, &maxNo, &err), PN_OK);
    assert_false(l.has[0]);
}

static void test_resume_file(void **state) {
    (void)state;
    PersistSub subs[1] = {{"a/#", 0x01, 0}};
    uint64_t st1[1] = {3}, st2[2] = {40, 41};
    PersistSession s = {.fileNo = 9,
                        .seq = 1,
                        .clientId = "c-9",
                        .principal = "alice",
                        .expiry = 60,
                        .resumeFrom = 10,
                        .stored = st1,
                        .nstored = 1,
                        .subs = subs,
                        .nsubs = 1};
    pnError err = {0};
    assert_int_equal(persistWrite(dir, &s, &err), PN_OK);
    /* Offsets written after the session file: they are the ones read. */
    PersistSession r = {.fileNo = 9, .seq = 2, .resumeFrom = 20, .stored = st2, .nstored = 2};
    assert_int_equal(persistWriteResume(dir, &r, &err), PN_OK);
    Loaded l = {0};
    uint64_t maxNo = 0;
    assert_int_equal(persistLoad(dir, collect, &l, &maxNo, &err), PN_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.resume[0], 20);
    assert_int_equal(l.nstored[0], 2);
    assert_int_equal(l.stored[0][1], 41);
    assert_string_equal(l.filters[0], "a/#;");
    /* The session file written again since: the older offsets file loses. */
    s.seq = 3, s.resumeFrom = 15;
    assert_int_equal(persistWrite(dir, &s, &err), PN_OK);
    memset(&l, 0, sizeof(l));
    assert_int_equal(persistLoad(dir, collect, &l, &maxNo, &err), PN_OK);
    assert_int_equal(l.resume[0], 15);
    assert_int_equal(l.nstored[0], 1);
    /* A damaged offsets file costs nothing but its offsets. */
    char path[256];
    snprintf(path, sizeof(path), "%s/sessions/9.resume", dir);
    writeText(path, "{\"seq\": 99, ");
    memset(&l, 0, sizeof(l));
    assert_int_equal(persistLoad(dir, collect, &l, &maxNo, &err), PN_OK);
    assert_int_equal(l.resume[0], 15);
    /* An offsets file's number is never given again, even alone. */
    snprintf(path, sizeof(path), "%s/sessions/12.resume", dir);
    writeText(path, "{}");
    assert_int_equal(persistLoad(dir, collect, &l, &maxNo, &err), PN_OK);
    assert_int_equal(maxNo, 12);
    /* Removal takes both files. */
    assert_int_equal(persistRemove(dir, 9, &err), PN_OK);
    snprintf(path, sizeof(path), "%s/sessions/9.resume", dir);
    assert_int_not_equal(access(path, F_OK), 0);
    memset(&l, 0, sizeof(l));
    assert_int_equal(persistLoad(dir, collect, &l, &maxNo, &err), PN_OK);
    assert_int_equal(l.n, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_legacy_and_leftovers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_file_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_will_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_file, setup, teardown),
    };
    return cmocka_run_group_tests_name("persist", tests, NULL, NULL);
}
