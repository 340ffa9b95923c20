/*
 * test_auditview.c -- what of an audit record a reader may see
 * (src/exchange/auditview.h): decide() on the record's label for the
 * reader; records without topic and label shown; a topic without a label,
 * an unparsable label or one cut when stored withheld; the remembered
 * answers stay right past the size of the memory.
 */
#include <stdlib.h>

#include "../../src/exchange/auditview.h"
#include "fixture.h"

static AuditEvent ev(const char *topic, const char *label) {
    AuditEvent e;
    memset(&e, 0, sizeof(e));
    snprintf(e.kind, sizeof(e.kind), "delivery_refused");
    snprintf(e.topic, sizeof(e.topic), "%s", topic);
    snprintf(e.label, sizeof(e.label), "%s", label);
    return e;
}

static AuditViewer *viewer(Fixture *f, const char *spec) {
    Principal p;
    pnError err = {0};
    if (principalParse(&p, spec, &f->reg, &f->spif, &err) != PN_OK) fail_msg("%s", err.msg);
    AuditViewer *v = malloc(sizeof(*v));
    auditViewerInit(v, &p, &f->spif, at("2026-12-01T00:00:00Z"));
    return v;
}

static void test_rule(void **state) {
    Fixture *f = *state;
    AuditViewer *jpn = viewer(f, "nation=JPN,clearance=NU");
    AuditViewer *usa = viewer(f, "nation=USA,clearance=CTS,caveat=ATOMAL");
    AuditEvent top = ev("ops/strike/plan-ALPHA", "COSMIC TOP SECRET ATOMAL");
    AuditEvent rel = ev("hist/v1", "NATO UNCLASSIFIED REL TO JPN");
    AuditEvent login = ev("", "");
    AuditEvent noLabel = ev("ops/strike/plan-ALPHA", "");
    AuditEvent bad = ev("ops/x", "NATO SECRET REL TO XYZ");
    for (int round = 0; round < 2; round++) { /* the second from memory */
        assert_int_equal(auditViewerMay(jpn, &top), 0);
        assert_int_equal(auditViewerMay(usa, &top), 1);
        assert_int_equal(auditViewerMay(jpn, &rel), 1);
        assert_int_equal(auditViewerMay(jpn, &login), 1);
        assert_int_equal(auditViewerMay(usa, &login), 1);
        assert_int_equal(auditViewerMay(usa, &noLabel), 0);
        assert_int_equal(auditViewerMay(usa, &bad), 0);
    }
    /* audit.c's aggregated overflow rows: several labels, or topics
     * without a label -- withheld from every reader */
    AuditEvent mixed = ev("(not kept)", "(several labels, not kept)");
    AuditEvent mixedNoTopic = ev("", "(several labels, not kept)");
    AuditEvent topicsNoLabel = ev("(not kept)", "");
    assert_int_equal(auditViewerMay(usa, &mixed), 0);
    assert_int_equal(auditViewerMay(usa, &mixedNoTopic), 0);
    assert_int_equal(auditViewerMay(usa, &topicsNoLabel), 0);
    AuditEvent cut = ev("t", "");
    memset(cut.label, 'A', sizeof(cut.label)); /* no terminator: not a label */
    assert_int_equal(auditViewerMay(usa, &cut), 0);
    free(jpn);
    free(usa);
}

static void test_memory_wraps(void **state) {
    Fixture *f = *state;
    AuditViewer *jpn = viewer(f, "nation=JPN,clearance=NU");
    char label[96];
    /* More distinct labels than are remembered, twice over: releasable to
     * JPN or not by classification, each naming one more nation. */
    int n = 0;
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < f->reg.nnations && i < 3 * AUDIT_VIEW_LABELS; i++) {
            const char *code = f->reg.nations[i].code;
            if (strcmp(code, "JPN") == 0 || strcmp(code, "NATO") == 0 || strcmp(code, "EU") == 0)
                continue;
            snprintf(label, sizeof(label), "NATO %s REL TO JPN, %s",
                     i % 2 ? "SECRET" : "UNCLASSIFIED", code);
            AuditEvent e = ev("t", label);
            pnError err = {0};
            Label l;
            labelInit(&l, &f->spif);
            int valid = labelParse(&l, label, strlen(label), &err) == PN_OK;
            labelFree(&l);
            assert_int_equal(auditViewerMay(jpn, &e), valid && i % 2 == 0);
            n += valid;
        }
    assert_true(n > 2 * AUDIT_VIEW_LABELS);
    free(jpn);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule),
        cmocka_unit_test(test_memory_wraps),
    };
    return cmocka_run_group_tests(tests, fixtureSetup, fixtureTeardown);
}
