/*
 * test_decide.c -- decide() on the real cases, and against a deliberately
 * simple reference implementation on a million random triples.
 */
#include <stdlib.h>

#include "fixture.h"

static Fixture *F;

/* "allow" or the reason code, for principal text, marking and date. */
static const char *verdict(const char *who, const char *marking, const char *when) {
    Principal p;
    Label l;
    pnError err = {0};
    if (principalParse(&p, who, &F->reg, &F->spif, &err) != PN_OK)
        fail_msg("principal: %s", err.msg);
    labelInit(&l, &F->spif);
    if (labelParseMarking(&l, marking, &err) != PN_OK) fail_msg("label: %s", err.msg);
    DecideLabel dl;
    decideLabelCompile(&l, &dl);
    labelFree(&l);
    return decideReasonCode(decide(&p, &dl, at(when)).reason);
}

static void test_alliance_dates(void **state) {
    (void)state;
    assert_string_equal(verdict("nation=SWE,clearance=NS", "NATO SECRET REL TO NATO", "2023-06-01"),
                        "not_yet_member");
    assert_string_equal(verdict("nation=SWE,clearance=NS", "NATO SECRET REL TO NATO", "2024-06-01"),
                        "allow");
    assert_string_equal(
        verdict("nation=SWE,clearance=NS", "NATO SECRET REL TO NATO", "2024-03-06T23:59:59Z"),
        "not_yet_member");
    assert_string_equal(
        verdict("nation=SWE,clearance=NS", "NATO SECRET REL TO NATO", "2024-03-07T00:00:00Z"),
        "allow");
    assert_string_equal(verdict("nation=FIN,clearance=NS", "NATO SECRET", "2023-04-03"),
                        "not_releasable");
    assert_string_equal(verdict("nation=FIN,clearance=NS", "NATO SECRET", "2023-04-04"), "allow");
    /* Without a release category: alliance members only, NU included. */
    assert_string_equal(verdict("nation=UKR,clearance=CTS", "NATO UNCLASSIFIED", "2026-11-23"),
                        "not_releasable");
    assert_string_equal(verdict("nation=USA,clearance=NU", "NATO UNCLASSIFIED", "2026-11-23"),
                        "allow");
    /* Naming NATO changes nothing for allies or others. */
    assert_string_equal(verdict("nation=UKR,clearance=NS", "NATO SECRET REL TO NATO", "2026-11-23"),
                        "not_releasable");
    assert_string_equal(
        verdict("nation=UKR,clearance=NC", "NATO CONFIDENTIAL REL TO NATO, UKR", "2026-11-23"),
        "allow");
    assert_string_equal(
        verdict("nation=UKR,clearance=NC", "NATO CONFIDENTIAL REL TO USA, GBR, UKR", "2026-11-23"),
        "allow");
    /* The alliance as an organisation is always inside it. */
    assert_string_equal(verdict("nation=NATO,clearance=CTS", "COSMIC TOP SECRET", "2026-11-23"),
                        "allow");
}

static void test_clearance_and_caveats(void **state) {
    (void)state;
    assert_string_equal(verdict("nation=USA,clearance=NC", "NATO SECRET", "2026-11-23"),
                        "clearance");
    assert_string_equal(verdict("nation=USA,clearance=NS", "NATO SECRET", "2026-11-23"), "allow");
    assert_string_equal(
        verdict("nation=DEU,clearance=CTS", "COSMIC TOP SECRET ATOMAL", "2026-11-23"), "caveat");
    assert_string_equal(
        verdict("nation=DEU,clearance=CTS,caveat=ATOMAL", "COSMIC TOP SECRET ATOMAL", "2026-11-23"),
        "allow");
    assert_string_equal(verdict("nation=DEU,clearance=CTS,caveat=ATOMAL",
                                "NATO SECRET ATOMAL CRYPTO", "2026-11-23"),
                        "caveat");
    assert_string_equal(verdict("nation=DEU,clearance=CTS,caveat=ATOMAL+CRYPTO",
                                "NATO SECRET ATOMAL CRYPTO", "2026-11-23"),
                        "allow");
    /* Informative markings are not enforced. */
    assert_string_equal(
        verdict("nation=DEU,clearance=NR", "NATO RESTRICTED EXERCISE STAFF", "2026-11-23"),
        "allow");
}

static void test_frameworks_and_agreements(void **state) {
    (void)state;
    assert_string_equal(
        verdict("nation=GEO,clearance=NU", "NATO UNCLASSIFIED REL TO PFP", "2026-11-23"), "allow");
    assert_string_equal(
        verdict("nation=RUS,clearance=NU", "NATO UNCLASSIFIED REL TO PFP", "2026-11-23"),
        "no_longer_member");
    assert_string_equal(
        verdict("nation=RUS,clearance=NU", "NATO UNCLASSIFIED REL TO PFP", "2010-01-01"), "allow");
    assert_string_equal(
        verdict("nation=AFG,clearance=NU", "NATO UNCLASSIFIED REL TO PAG", "2026-11-23"),
        "no_longer_member");
    assert_string_equal(
        verdict("nation=JOR,clearance=NU", "NATO UNCLASSIFIED REL TO MD", "2026-11-23"), "allow");
    assert_string_equal(
        verdict("nation=QAT,clearance=NU", "NATO UNCLASSIFIED REL TO ICI", "2003-01-01"),
        "not_yet_member");
    /* Above NU a non-member needs a security agreement. */
    assert_string_equal(
        verdict("nation=CHN,clearance=CTS", "NATO UNCLASSIFIED REL TO CHN", "2026-11-23"), "allow");
    assert_string_equal(
        verdict("nation=CHN,clearance=CTS", "NATO RESTRICTED REL TO CHN", "2026-11-23"),
        "no_agreement");
    assert_string_equal(verdict("nation=UKR,clearance=NS", "NATO SECRET REL TO UKR", "2026-11-23"),
                        "allow");
    /* The NATO-EU Agreement on the Security of Information (2003-03-14). */
    assert_string_equal(verdict("nation=EU,clearance=NS", "NATO SECRET REL TO EU", "2026-11-23"),
                        "allow");
}

/* Decisions at the dates the registry's sources give. */
static void test_sourced_dates(void **state) {
    (void)state;
    assert_string_equal(
        verdict("nation=COL,clearance=NU", "NATO UNCLASSIFIED REL TO PAG", "2018-05-30"),
        "not_yet_member");
    assert_string_equal(
        verdict("nation=COL,clearance=NU", "NATO UNCLASSIFIED REL TO PAG", "2018-05-31"), "allow");
    assert_string_equal(
        verdict("nation=BLR,clearance=NU", "NATO UNCLASSIFIED REL TO PFP", "2021-11-18"), "allow");
    assert_string_equal(
        verdict("nation=BLR,clearance=NU", "NATO UNCLASSIFIED REL TO PFP", "2021-11-19"),
        "no_longer_member");
    assert_string_equal(verdict("nation=EU,clearance=NS", "NATO SECRET REL TO EU", "2003-03-13"),
                        "no_agreement");
    assert_string_equal(verdict("nation=EU,clearance=NS", "NATO SECRET REL TO EU", "2003-03-14"),
                        "allow");
    assert_string_equal(
        verdict("nation=JPN,clearance=NC", "NATO CONFIDENTIAL REL TO JPN", "2010-06-24"),
        "no_agreement");
    assert_string_equal(
        verdict("nation=JPN,clearance=NC", "NATO CONFIDENTIAL REL TO JPN", "2010-06-25"), "allow");
    /* No public, dated agreement: above NU fails closed (an operator adds
     * the agreements it holds to a site file). */
    assert_string_equal(
        verdict("nation=PAK,clearance=NC", "NATO CONFIDENTIAL REL TO PAK", "2026-11-23"),
        "no_agreement");
    assert_string_equal(
        verdict("nation=GEO,clearance=NC", "NATO CONFIDENTIAL REL TO GEO", "2026-11-23"),
        "no_agreement");
    assert_string_equal(
        verdict("nation=GEO,clearance=NC", "NATO UNCLASSIFIED REL TO GEO", "2026-11-23"), "allow");
    /* The Vienna Document's audience reaches OSCE States outside EAPC. */
    assert_string_equal(
        verdict("nation=MNG,clearance=NU", "NATO UNCLASSIFIED REL TO OSCE", "2026-11-23"), "allow");
    assert_string_equal(
        verdict("nation=AND,clearance=NU", "NATO UNCLASSIFIED REL TO OSCE", "2026-11-23"), "allow");
    assert_string_equal(
        verdict("nation=CHN,clearance=NU", "NATO UNCLASSIFIED REL TO OSCE", "2026-11-23"),
        "not_releasable");
}

static void test_communities(void **state) {
    (void)state;
    const char *lab = "NATO RESTRICTED REL TO SAMPLE-NORTH";
    assert_string_equal(verdict("nation=UKR,clearance=NR", lab, "2026-06-01"), "allow");
    assert_string_equal(verdict("nation=UKR,clearance=NR", lab, "2025-06-01"), "not_yet_member");
    assert_string_equal(verdict("nation=UKR,clearance=NR", lab, "2027-06-01"), "no_longer_member");
    assert_string_equal(verdict("nation=GEO,clearance=NR", lab, "2026-06-01"), "not_releasable");
    /* A principal assigned to the community itself, while it is open (AUS
     * holds a security agreement, so NR can reach it). */
    assert_string_equal(verdict("nation=AUS,clearance=NR,coi=SAMPLE-NORTH", lab, "2026-06-01"),
                        "allow");
    assert_string_equal(verdict("nation=AUS,clearance=NR,coi=SAMPLE-NORTH", lab, "2027-06-01"),
                        "not_releasable");
    /* Holding the community does not replace the agreement above NU. */
    assert_string_equal(verdict("nation=GEO,clearance=NR,coi=SAMPLE-NORTH", lab, "2026-06-01"),
                        "no_agreement");
    assert_string_equal(
        verdict("nation=UKR,clearance=NR", "NATO RESTRICTED REL TO SAMPLE-EAST", "2026-06-01"),
        "not_releasable");
}

static void test_principal_errors(void **state) {
    (void)state;
    Principal p;
    pnError err = {0};
    assert_int_equal(principalParse(&p, "nation=XYZ,clearance=NS", &F->reg, &F->spif, &err),
                     PN_EINVAL);
    assert_string_equal(err.msg, "unknown nation or framework 'XYZ'");
    assert_int_equal(principalParse(&p, "nation=SWE,clearance=ZZ", &F->reg, &F->spif, &err),
                     PN_EINVAL);
    assert_non_null(strstr(err.msg, "unknown clearance 'ZZ'"));
    assert_int_equal(principalParse(&p, "nation=SWE", &F->reg, &F->spif, &err), PN_EINVAL);
    assert_int_equal(
        principalParse(&p, "nation=SWE,clearance=NS,coi=NATO", &F->reg, &F->spif, &err), PN_EINVAL);
    assert_int_equal(
        principalParse(&p, "nation=SWE,clearance=NS,caveat=NOPE", &F->reg, &F->spif, &err),
        PN_EINVAL);
    assert_int_equal(
        principalParse(&p, "nation=SWE,clearance=NS,color=red", &F->reg, &F->spif, &err),
        PN_EINVAL);
    assert_int_equal(principalParse(&p, "SWE", &F->reg, &F->spif, &err), PN_EINVAL);
    /* A repeated identity attribute is refused, not overridden. */
    assert_int_equal(
        principalParse(&p, "nation=SWE,clearance=NU,clearance=CTS", &F->reg, &F->spif, &err),
        PN_EINVAL);
    assert_non_null(strstr(err.msg, "given twice"));
    /* Lists past the limit across repeated keys are refused, not overflowed. */
    char many[1024] = "nation=SWE,clearance=NS,coi=";
    for (int i = 0; i < 60; i++)
        strcat(many, i ? "+A" : "A");
    strcat(many, ",coi=");
    for (int i = 0; i < 30; i++)
        strcat(many, i ? "+B" : "B");
    assert_int_equal(principalParse(&p, many, &F->reg, &F->spif, &err), PN_ELIMIT);
}

/* decideExplain()'s sentence for principal text, marking and date. */
static const char *explanation(const char *who, const char *marking, const char *when) {
    static char buf[256];
    Principal p;
    Label l;
    pnError err = {0};
    assert_int_equal(principalParse(&p, who, &F->reg, &F->spif, &err), PN_OK);
    labelInit(&l, &F->spif);
    assert_int_equal(labelParseMarking(&l, marking, &err), PN_OK);
    DecideLabel dl;
    decideLabelCompile(&l, &dl);
    Decision d = decide(&p, &dl, at(when));
    decideExplain(&d, &p, &F->spif, buf, sizeof(buf));
    labelFree(&l);
    return buf;
}

static void test_explain(void **state) {
    (void)state;
    assert_string_equal(
        explanation("nation=SWE,clearance=NS", "NATO SECRET REL TO NATO", "2023-06-01"),
        "framework membership not yet valid on that date (SWE in NATO from 2024-03-07)");
    /* The refusal names the missing agreement. */
    assert_string_equal(
        explanation("nation=GEO,clearance=NC", "NATO CONFIDENTIAL REL TO GEO", "2026-11-23"),
        "no security agreement (GEO has none with NATO on that date)");
}

/* ---- the property test ------------------------------------------------- */

/* A principal as plain lists, for the reference. */
typedef struct {
    int nation, clearance;
    int cois[4], ncois;
    int caveats[4], ncaveats; /* SpifValue.bit numbers */
} RefPrincipal;

/* The obviously-correct decision: loops over the label's values and the
 * registry's raw membership records, no bit sets, no timelines.  Reasons
 * are compared by class; the three "not releasable" reasons are one class
 * here and their refinement is checked by the table tests. */
enum { R_ALLOW, R_CLEARANCE, R_CAVEAT, R_NOTREL, R_AGREEMENT };

static int refDecide(const Registry *r, const Spif *s, const RefPrincipal *p, const Label *l,
                     int32_t d) {
    if (p->clearance < l->cls) return R_CLEARANCE;
    for (size_t i = 0; i < l->ncats; i++) {
        const SpifTagSet *t = &s->tagsets[l->cats[i].tagset];
        if (t->type != TAG_RESTRICTIVE) continue;
        int held = 0;
        for (int k = 0; k < p->ncaveats; k++)
            held |= p->caveats[k] == t->values[l->cats[i].value].bit;
        if (!held) return R_CAVEAT;
    }
    if (registryIsMemberSlow(r, r->owner, p->nation, d)) return R_ALLOW;
    int releasable = 0;
    for (size_t i = 0; i < l->ncats; i++) {
        const SpifTagSet *t = &s->tagsets[l->cats[i].tagset];
        if (t->type != TAG_PERMISSIVE) continue;
        const SpifValue *v = &t->values[l->cats[i].value];
        if (v->targetKind == TARGET_NATION && v->target == p->nation) releasable = 1;
        if (v->targetKind == TARGET_GROUP) {
            if (registryIsMemberSlow(r, v->target, p->nation, d)) releasable = 1;
            for (int k = 0; k < p->ncois; k++)
                if (p->cois[k] == v->target && registryGroupOpenSlow(r, v->target, d))
                    releasable = 1;
        }
    }
    if (!releasable) return R_NOTREL;
    if (l->cls > 0 && !registryHasSecuritySlow(r, p->nation, d)) return R_AGREEMENT;
    return R_ALLOW;
}

static int reasonClass(DecideReason why) {
    switch (why) {
    case DECIDE_ALLOW:
        return R_ALLOW;
    case DENY_CLEARANCE:
        return R_CLEARANCE;
    case DENY_CAVEAT:
        return R_CAVEAT;
    case DENY_NO_AGREEMENT:
        return R_AGREEMENT;
    default:
        return R_NOTREL;
    }
}

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint64_t rnd(void) {
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ull;
}

#define NLABELS 2000
#define NPRINC 400
#define NTRIPLES 1000000

/* Days worth testing: every change day in the registry, +-1, plus random. */
static int32_t randomDay(void) {
    const Registry *r = &F->reg;
    if (rnd() % 4 == 0) return day("1945-01-01") + (int32_t)(rnd() % (85 * 366));
    const RegTimeline *t = &r->timeline[rnd() % r->nnations];
    int32_t d = t->e[rnd() % t->n].from;
    if (d == PN_DAY_NONE) d = day("1950-01-01");
    return d + (int32_t)(rnd() % 3) - 1;
}

static void test_property_against_reference(void **state) {
    (void)state;
    const Spif *s = &F->spif;
    const Registry *r = &F->reg;
    Label *labels = calloc(NLABELS, sizeof(Label));
    DecideLabel *dls = calloc(NLABELS, sizeof(DecideLabel));
    RefPrincipal *rp = calloc(NPRINC, sizeof(RefPrincipal));
    Principal *pp = calloc(NPRINC, sizeof(Principal));
    assert_true(labels && dls && rp && pp);
    int coiIdx[PN_MAX_GROUPS], ncoi = 0;
    for (size_t g = 0; g < r->ngroups; g++)
        if (r->groups[g].kind == REG_COMMUNITY) coiIdx[ncoi++] = (int)g;
    for (int i = 0; i < NLABELS; i++) {
        Label *l = &labels[i];
        labelInit(l, s);
        l->cls = (int)(rnd() % s->nclasses);
        int nv = (int)(rnd() % 6);
        for (int k = 0; k < nv; k++) {
            int t = (int)(rnd() % s->ntagsets);
            int v = (int)(rnd() % s->tagsets[t].nvalues);
            if (!(s->tagsets[t].values[v].excluded & (1u << l->cls))) labelAddCat(l, t, v);
        }
        assert_int_equal(labelValidate(l, NULL), PN_OK);
        decideLabelCompile(l, &dls[i]);
    }
    for (int i = 0; i < NPRINC; i++) {
        RefPrincipal *p = &rp[i];
        p->nation = (int)(rnd() % r->nnations);
        p->clearance = (int)(rnd() % s->nclasses);
        p->ncois = ncoi ? (int)(rnd() % 3) : 0;
        for (int k = 0; k < p->ncois; k++)
            p->cois[k] = coiIdx[rnd() % (uint64_t)ncoi];
        p->ncaveats = (int)(rnd() % 3);
        for (int k = 0; k < p->ncaveats; k++)
            p->caveats[k] = (int)(rnd() % (uint64_t)s->nrestrictive);
        memset(&pp[i], 0, sizeof(pp[i]));
        pp[i].reg = r;
        pp[i].nation = (uint16_t)p->nation;
        pp[i].clearance = (uint8_t)p->clearance;
        for (int k = 0; k < p->ncois; k++)
            GroupSetAdd(&pp[i].cois, (unsigned)p->cois[k]);
        for (int k = 0; k < p->ncaveats; k++)
            pp[i].caveats |= 1ULL << p->caveats[k];
    }
    long disagreements = 0, allows = 0, counts[5] = {0};
    for (long n = 0; n < NTRIPLES; n++) {
        int li = (int)(rnd() % NLABELS), pi = (int)(rnd() % NPRINC);
        int32_t d = randomDay();
        int64_t t = (int64_t)d * 86400 + (int64_t)(rnd() % 86400);
        int want = refDecide(r, s, &rp[pi], &labels[li], d);
        int got = reasonClass(decide(&pp[pi], &dls[li], t).reason);
        counts[want]++;
        if (want != got && disagreements++ < 5) {
            char ds[11];
            dateFormat(d, ds);
            print_error("disagreement: nation %s label %d day %s: want %d got %d\n",
                        r->nations[rp[pi].nation].code, li, ds, want, got);
        }
        allows += want == R_ALLOW;
    }
    /* The sample must exercise every outcome, or the test proves little. */
    for (int k = 0; k < 5; k++)
        assert_true(counts[k] > 1000);
    assert_int_equal(disagreements, 0);
    for (int i = 0; i < NLABELS; i++)
        labelFree(&labels[i]);
    free(labels);
    free(dls);
    free(rp);
    free(pp);
}

static int setup(void **state) {
    int rc = fixtureSetup(state);
    F = *state;
    return rc;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alliance_dates),
        cmocka_unit_test(test_clearance_and_caveats),
        cmocka_unit_test(test_frameworks_and_agreements),
        cmocka_unit_test(test_sourced_dates),
        cmocka_unit_test(test_communities),
        cmocka_unit_test(test_principal_errors),
        cmocka_unit_test(test_explain),
        cmocka_unit_test(test_property_against_reference),
    };
    return cmocka_run_group_tests(tests, setup, fixtureTeardown);
}
