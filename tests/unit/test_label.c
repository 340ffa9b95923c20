/*
 * test_label.c -- the label model, its two codecs, validation against the
 * policy, and dominance.
 */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>

#include "fixture.h"

static Fixture *F;

/* Parse a marking; returns the canonical marking (static buffer) or NULL
 * with the error message in lastErr. */
static char lastErr[512];
static const char *canon(const char *in) {
    static char out[1024];
    Label l;
    pnError err = {0};
    labelInit(&l, &F->spif);
    if (labelParseMarking(&l, in, &err) != PN_OK) {
        snprintf(lastErr, sizeof(lastErr), "%s", err.msg);
        return NULL;
    }
    pnBuf b;
    bufInit(&b);
    assert_int_equal(labelToMarking(&l, &b), PN_OK);
    snprintf(out, sizeof(out), "%s", bufStr(&b));
    bufFree(&b);
    labelFree(&l);
    return out;
}

static void test_marking_canonical(void **state) {
    (void)state;
    assert_string_equal(canon("NATO SECRET REL TO NATO, SWE"), "NATO SECRET REL TO NATO, SWE");
    assert_string_equal(canon("NATO CONFIDENTIAL REL TO USA, GBR, UKR"),
                        "NATO CONFIDENTIAL REL TO USA, GBR, UKR");
    assert_string_equal(canon("NATO UNCLASSIFIED"), "NATO UNCLASSIFIED");
    assert_string_equal(canon("COSMIC TOP SECRET"), "COSMIC TOP SECRET");
    assert_string_equal(canon("NATO SECRET RELEASABLE TO SWE/FIN"), "NATO SECRET REL TO SWE, FIN");
    assert_string_equal(canon("  nato   secret   rel to   nato ,swe  "),
                        "NATO SECRET REL TO NATO, SWE");
    assert_string_equal(canon("nato secret rel to swe, swe"),
                        "NATO SECRET REL TO SWE"); /* duplicates collapse */
    assert_string_equal(canon("NATO SECRET ATOMAL REL TO NATO EXERCISE"),
                        "NATO SECRET ATOMAL REL TO NATO EXERCISE");
    assert_string_equal(canon("NATO SECRET EXERCISE REL TO NATO ATOMAL"),
                        "NATO SECRET ATOMAL REL TO NATO EXERCISE");
    assert_string_equal(canon("NATO UNCLASSIFIED REL TO PFP, MD"),
                        "NATO UNCLASSIFIED REL TO PFP, MD");
    assert_string_equal(canon("NATO RESTRICTED REL TO SAMPLE-NORTH"),
                        "NATO RESTRICTED REL TO SAMPLE-NORTH");
}

static void test_marking_errors(void **state) {
    (void)state;
    assert_null(canon("NATO SECRET REL TO XYZ"));
    assert_string_equal(lastErr, "unknown nation or framework 'XYZ'");
    assert_null(canon("NATO SUPER SECRET"));
    assert_non_null(strstr(lastErr, "unknown classification"));
    assert_null(canon(""));
    assert_string_equal(lastErr, "empty marking");
    assert_null(canon("NATO SECRET REL TO"));
    assert_non_null(strstr(lastErr, "must be followed by a value"));
    assert_null(canon("NATO SECRET REL TO SWE,"));
    assert_null(canon("NATO SECRET FOO"));
    assert_string_equal(lastErr, "unknown marking element 'FOO'");
    /* partner-group values are valid only at NATO UNCLASSIFIED */
    assert_null(canon("NATO SECRET REL TO PFP"));
    assert_string_equal(lastErr,
                        "value 'PFP' of category 'Releasable To' is not allowed at NATO SECRET");
    assert_null(canon("NATO RESTRICTED REL TO ICI"));
    assert_null(canon("NATO UNCLASSIFIED ATOMAL")); /* ATOMAL is excluded at NU */
    assert_non_null(strstr(lastErr, "'ATOMAL'"));
}

/* A policy with 600 release values, so the 512-value limit can be hit. */
static void bigPolicy(Spif *s) {
    pnBuf x;
    bufInit(&x);
    bufPuts(
        &x,
        "<SPIF xmlns=\"http://www.xmlspif.org/spif\"><securityPolicyId name=\"P\" id=\"1.2\"/>"
        "<securityClassifications><securityClassification name=\"A\" lacv=\"1\" hierarchy=\"1\"/>"
        "</securityClassifications><securityCategoryTagSets><securityCategoryTagSet name=\"R\">"
        "<securityCategoryTag tagType=\"permissive\"><markingQualifier><qualifier "
        "qualifierCode=\"prefix\">"
        "REL TO </qualifier></markingQualifier>");
    for (int i = 0; i < 600; i++)
        bufPrintf(&x, "<tagCategory name=\"V%d\" lacv=\"%d\"/>", i, i + 1);
    bufPuts(&x, "</securityCategoryTag></securityCategoryTagSet></securityCategoryTagSets></SPIF>");
    pnError err = {0};
    spifInit(s);
    assert_int_equal(spifLoadMemory(s, bufStr(&x), x.len, &err), PN_OK);
    bufFree(&x);
}

static void test_value_limit(void **state) {
    (void)state;
    Spif s;
    bigPolicy(&s);
    pnBuf m;
    bufInit(&m);
    bufPuts(&m, "A REL TO V0");
    for (int i = 1; i < 512; i++)
        bufPrintf(&m, ", V%d", i);
    Label l;
    pnError err = {0};
    labelInit(&l, &s);
    assert_int_equal(labelParseMarking(&l, bufStr(&m), &err), PN_OK); /* exactly 512: fine */
    assert_int_equal(l.ncats, 512);
    bufPuts(&m, ", V512");
    assert_int_equal(labelParseMarking(&l, bufStr(&m), &err), PN_ELIMIT); /* 513: refused whole */
    assert_non_null(strstr(err.msg, "more than 512"));
    assert_int_equal(l.ncats, 0);
    /* The same through XML. */
    pnBuf x;
    bufInit(&x);
    bufPuts(&x,
            "<originatorConfidentialityLabel "
            "xmlns=\"urn:nato:stanag:4774:confidentialitymetadatalabel:1:0\">"
            "<ConfidentialityInformation><PolicyIdentifier URI=\"urn:oid:1.2\">P</PolicyIdentifier>"
            "<Classification>A</Classification><Category TagName=\"R\" Type=\"PERMISSIVE\">");
    for (int i = 0; i < 513; i++)
        bufPrintf(&x, "<GenericValue>V%d</GenericValue>", i);
    bufPuts(&x, "</Category></ConfidentialityInformation></originatorConfidentialityLabel>");
    assert_int_equal(labelParseXml(&l, bufStr(&x), x.len, &err), PN_ELIMIT);
    assert_non_null(strstr(err.msg, "more than 512"));
    bufFree(&x);
    bufFree(&m);
    labelFree(&l);
    spifFree(&s);
    /* An over-long marking is refused with the limit named. */
    char *big = malloc(20000);
    assert_non_null(big);
    strcpy(big, "NATO SECRET REL TO ");
    for (int i = 0; i < 2000; i++)
        strcat(big, "SWE, ");
    strcat(big, "SWE");
    assert_null(canon(big));
    assert_non_null(strstr(lastErr, "limit"));
    free(big);
}

static void parseXmlOk(const char *xml, Label *l) {
    pnError err = {0};
    labelInit(l, &F->spif);
    int rc = labelParseXml(l, xml, strlen(xml), &err);
    if (rc != PN_OK) fail_msg("XML refused: %s", err.msg);
}

static void test_xml_round_trip(void **state) {
    (void)state;
    const char *markings[] = {"NATO SECRET REL TO NATO, SWE",
                              "NATO CONFIDENTIAL REL TO USA, GBR, UKR", "NATO UNCLASSIFIED",
                              "COSMIC TOP SECRET ATOMAL CRYPTO MEDICAL",
                              "NATO UNCLASSIFIED REL TO PFP, SAMPLE-EAST STAFF"};
    for (size_t i = 0; i < sizeof(markings) / sizeof(markings[0]); i++) {
        Label a, b;
        pnError err = {0};
        labelInit(&a, &F->spif);
        assert_int_equal(labelParseMarking(&a, markings[i], &err), PN_OK);
        a.created = at("2026-11-23T10:11:12Z");
        a.review = i % 2 ? at("2036-01-01") : 0;
        snprintf(a.originator, sizeof(a.originator), "%s", i % 2 ? "urn:partnernet:node:hq" : "");
        pnBuf x;
        bufInit(&x);
        assert_int_equal(labelToXml(&a, &x), PN_OK);
        parseXmlOk(bufStr(&x), &b);
        assert_true(labelEqual(&a, &b));
        /* XML -> marking gives back the canonical marking. */
        pnBuf m;
        bufInit(&m);
        labelToMarking(&b, &m);
        assert_string_equal(bufStr(&m), markings[i]);
        bufFree(&m);
        bufFree(&x);
        labelFree(&a);
        labelFree(&b);
    }
}

/* The XML we write has the element structure of STANAG 4774: every element
 * in the label namespace, attributes unqualified. */
static void test_xml_structure(void **state) {
    (void)state;
    Label a;
    pnError err = {0};
    labelInit(&a, &F->spif);
    assert_int_equal(labelParseMarking(&a, "NATO SECRET ATOMAL REL TO NATO, SWE", &err), PN_OK);
    a.created = at("2026-11-23T00:00:00Z");
    a.review = at("2030-01-01T00:00:00Z");
    pnBuf x;
    bufInit(&x);
    labelToXml(&a, &x);
    xmlDocPtr doc = xmlReadMemory(bufStr(&x), (int)x.len, NULL, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xmlNode *root = xmlDocGetRootElement(doc);
    const char *ns = "urn:nato:stanag:4774:confidentialitymetadatalabel:1:0";
    assert_string_equal((const char *)root->name, "originatorConfidentialityLabel");
    assert_string_equal((const char *)root->ns->href, ns);
    assert_non_null(xmlHasNsProp(root, (const xmlChar *)"ReviewDateTime", NULL));
    int elements = 0, cats = 0, values = 0;
    const char *order[8];
    int nord = 0;
    for (xmlNode *c = root->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        order[nord++] = (const char *)c->name;
    }
    assert_int_equal(nord, 2);
    assert_string_equal(order[0], "ConfidentialityInformation");
    assert_string_equal(order[1], "CreationDateTime");
    xmlNode *info = xmlFirstElementChild(root);
    for (xmlNode *c = info->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        elements++;
        assert_string_equal((const char *)c->ns->href, ns);
        if (strcmp((const char *)c->name, "Category") == 0) {
            cats++;
            for (xmlAttr *p = c->properties; p; p = p->next)
                assert_null(p->ns); /* unqualified */
            for (xmlNode *v = c->children; v; v = v->next)
                if (v->type == XML_ELEMENT_NODE) {
                    assert_string_equal((const char *)v->name, "GenericValue");
                    assert_string_equal((const char *)v->ns->href, ns);
                    values++;
                }
        }
    }
    assert_int_equal(elements, 4); /* PolicyIdentifier, Classification, 2 Categories */
    assert_int_equal(cats, 2);
    assert_int_equal(values, 3);
    xmlFreeDoc(doc);
    bufFree(&x);
    labelFree(&a);
}

static const char *legacyXml =
    "<?xml version=\"1.0\"?>\n"
    "<ConfidentialityLabel xmlns=\"urn:nato:stanag:4774:confidentialitymetadatalabel:1:0\">"
    "<ConfidentialityInformation><PolicyIdentifier "
    "URI=\"urn:oid:1.3.26.1.3.1\">NATO</PolicyIdentifier>"
    "<Classification>CONFIDENTIAL</Classification>"
    "<Category TagName=\"Releasable To\" "
    "Type=\"PERMISSIVE\"><GenericValue>UKR</GenericValue></Category>"
    "</ConfidentialityInformation><CreationDateTime>2026-01-02T03:04:05Z</CreationDateTime>"
    "</ConfidentialityLabel>";

static void test_xml_legacy_root(void **state) {
    (void)state;
    Label l;
    parseXmlOk(legacyXml, &l);
    pnBuf m;
    bufInit(&m);
    labelToMarking(&l, &m);
    assert_string_equal(bufStr(&m), "NATO CONFIDENTIAL REL TO UKR");
    assert_int_equal(l.created, at("2026-01-02T03:04:05Z"));
    bufFree(&m);
    labelFree(&l);
}

static int xmlRefused(const char *xml, const char *want) {
    Label l;
    pnError err = {0};
    labelInit(&l, &F->spif);
    int rc = labelParseXml(&l, xml, strlen(xml), &err);
    labelFree(&l);
    if (rc == PN_OK) return 0;
    if (!strstr(err.msg, want)) fail_msg("error '%s' does not mention '%s'", err.msg, want);
    return 1;
}

/* Replace the first occurrence of from in legacyXml by to. */
static char *variant(const char *from, const char *to) {
    static char buf[4096];
    const char *p = strstr(legacyXml, from);
    assert_non_null(p);
    snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - legacyXml), legacyXml, to, p + strlen(from));
    return buf;
}

static void test_xml_errors(void **state) {
    (void)state;
    assert_true(xmlRefused("<not xml", "not well-formed"));
    assert_true(
        xmlRefused("<a xmlns=\"urn:x\"/>", "root element must be originatorConfidentialityLabel"));
    assert_true(xmlRefused(variant("CONFIDENTIAL<", "SUPER<"), "unknown classification 'SUPER'"));
    assert_true(
        xmlRefused(variant(">UKR<", ">XYZ<"), "unknown value 'XYZ' in category 'Releasable To'"));
    assert_true(
        xmlRefused(variant("Releasable To", "Eyes Only"), "unknown category tag set 'Eyes Only'"));
    assert_true(xmlRefused(variant("PERMISSIVE", "RESTRICTIVE"), "the policy says PERMISSIVE"));
    assert_true(xmlRefused(variant("urn:oid:1.3.26.1.3.1", "urn:oid:9.9.9"), "unknown policy"));
    assert_true(xmlRefused(variant(">UKR<", ">PFP<"), "not allowed at NATO CONFIDENTIAL"));
    assert_true(xmlRefused(variant("2026-01-02T03:04:05Z", "yesterday"), "CreationDateTime"));
    assert_true(xmlRefused(variant("<Classification>CONFIDENTIAL</Classification>", ""),
                           "missing Classification"));
    /* Structure is strict: what a guard reads is what decide() gets. */
    assert_true(xmlRefused(variant(">UKR<", ">U<x>K</x>R<"), "plain text"));
    assert_true(
        xmlRefused(variant("<Classification>", "stray<Classification>"), "unexpected text"));
    assert_true(
        xmlRefused(variant("<Classification>", "<PolicyIdentifier URI=\"urn:oid:1.3.26.1.3.1\">NATO"
                                               "</PolicyIdentifier><Classification>"),
                   "more than one PolicyIdentifier"));
    assert_true(
        xmlRefused(variant("</ConfidentialityLabel>", "<CreationDateTime>2026-01-01T00:00:00Z"
                                                      "</CreationDateTime></ConfidentialityLabel>"),
                   "more than one CreationDateTime"));
    assert_true(xmlRefused(variant("Type=\"PERMISSIVE\"", "Type=\"PERMISSIVE\" URI=\"urn:other\""),
                           "has URI"));
    /* Entities and DTDs are refused before anything is expanded. */
    assert_true(xmlRefused(
        "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]>"
        "<l>&b;</l>",
        "DOCTYPE is not allowed"));
    assert_true(xmlRefused("<!DOCTYPE l SYSTEM \"http://127.0.0.1:1/x.dtd\"><l/>",
                           "DOCTYPE is not allowed"));
    /* Over 64 KiB: refused with the limit, not truncated. */
    size_t n = LABEL_MAX_XML + 100;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, ' ', n);
    memcpy(big, legacyXml, strlen(legacyXml));
    big[n] = '\0';
    Label l;
    pnError err = {0};
    labelInit(&l, &F->spif);
    assert_int_equal(labelParseXml(&l, big, n, &err), PN_ELIMIT);
    assert_non_null(strstr(err.msg, "65536"));
    free(big);
}

static void test_parse_either_form(void **state) {
    (void)state;
    Label l;
    pnError err = {0};
    labelInit(&l, &F->spif);
    /* A NUL must not cut a caveat off the end. */
    assert_int_equal(labelParse(&l, "NATO SECRET\0 ATOMAL", 19, &err), PN_EINVAL);
    assert_string_equal(err.msg, "label contains a NUL byte");
    assert_int_equal(labelParse(&l, legacyXml, strlen(legacyXml), &err), PN_OK);
    assert_int_equal(l.cls, spifClass(&F->spif, "CONFIDENTIAL"));
    const char *m = "NATO SECRET";
    assert_int_equal(labelParse(&l, m, strlen(m), &err), PN_OK);
    assert_int_equal(l.cls, spifClass(&F->spif, "SECRET"));
    labelFree(&l);
}

static const char *dominate(const char *a, const char *b) {
    static char out[512];
    Label la, lb, lo;
    pnError err = {0};
    labelInit(&la, &F->spif);
    labelInit(&lb, &F->spif);
    labelInit(&lo, &F->spif);
    assert_int_equal(labelParseMarking(&la, a, &err), PN_OK);
    assert_int_equal(labelParseMarking(&lb, b, &err), PN_OK);
    assert_int_equal(labelDominate(&la, &lb, &lo, &err), PN_OK);
    pnBuf m;
    bufInit(&m);
    labelToMarking(&lo, &m);
    snprintf(out, sizeof(out), "%s", bufStr(&m));
    bufFree(&m);
    labelFree(&la);
    labelFree(&lb);
    labelFree(&lo);
    return out;
}

static void test_dominate(void **state) {
    (void)state;
    assert_string_equal(
        dominate("NATO SECRET REL TO NATO, SWE", "NATO CONFIDENTIAL REL TO NATO, SWE, FIN"),
        "NATO SECRET REL TO NATO, SWE");
    assert_string_equal(
        dominate("NATO CONFIDENTIAL REL TO UKR ATOMAL", "NATO SECRET CRYPTO REL TO UKR, GEO"),
        "NATO SECRET ATOMAL CRYPTO REL TO UKR");
    /* No common release value: alliance only. */
    assert_string_equal(dominate("NATO CONFIDENTIAL REL TO SWE", "NATO CONFIDENTIAL REL TO FIN"),
                        "NATO CONFIDENTIAL");
    assert_string_equal(dominate("NATO UNCLASSIFIED", "NATO UNCLASSIFIED REL TO PFP"),
                        "NATO UNCLASSIFIED");
    /* Partner groups (valid only at NU) fall away as the classification rises. */
    assert_string_equal(dominate("NATO UNCLASSIFIED REL TO PFP, UKR", "NATO SECRET REL TO UKR"),
                        "NATO SECRET REL TO UKR");
    /* Symmetric. */
    assert_string_equal(
        dominate("NATO CONFIDENTIAL REL TO NATO, SWE, FIN", "NATO SECRET REL TO NATO, SWE"),
        "NATO SECRET REL TO NATO, SWE");
    /* Informative markings are kept from either side. */
    assert_string_equal(dominate("NATO RESTRICTED STAFF", "NATO RESTRICTED EXERCISE"),
                        "NATO RESTRICTED STAFF EXERCISE");
}

static void test_clearance_names(void **state) {
    (void)state;
    assert_int_equal(spifClearance(&F->spif, "NU"), 0);
    assert_int_equal(spifClearance(&F->spif, "nr"), 1);
    assert_int_equal(spifClearance(&F->spif, "NC"), 2);
    assert_int_equal(spifClearance(&F->spif, "NS"), 3);
    assert_int_equal(spifClearance(&F->spif, "CTS"), 4);
    assert_int_equal(spifClearance(&F->spif, "COSMIC TOP SECRET"), 4);
    assert_int_equal(spifClearance(&F->spif, "SECRET"), 3);
    assert_int_equal(spifClearance(&F->spif, "XX"), -1);
}

/* The policy covers every nation and framework the registry knows. */
static void test_policy_covers_registry(void **state) {
    (void)state;
    const SpifTagSet *rel = &F->spif.tagsets[F->spif.releaseTagSet];
    for (size_t n = 0; n < F->reg.nnations; n++)
        if (F->reg.nations[n].kind == REG_NATION)
            assert_true(spifValue(rel, F->reg.nations[n].code) >= 0);
    for (size_t g = 0; g < F->reg.ngroups; g++)
        assert_true(spifValue(rel, F->reg.groups[g].id) >= 0);
    assert_string_equal(F->spif.policyName, "NATO");
    assert_string_equal(F->spif.policyId, "1.3.26.1.3.1");
    assert_int_equal(F->spif.nclasses, 5);
    assert_string_equal(F->spif.classes[4].phrase, "COSMIC TOP SECRET");
}

static void test_spif_errors(void **state) {
    (void)state;
    struct {
        const char *xml, *want;
    } cases[] = {
        {"<SPIF/>", "root element must be SPIF"},
        {"<SPIF xmlns=\"http://www.xmlspif.org/spif\"><securityPolicyId name=\"P\" "
         "id=\"1\"/></SPIF>",
         "missing securityClassifications"},
        {"<SPIF xmlns=\"http://www.xmlspif.org/spif\"><securityPolicyId name=\"P\" id=\"1\"/>"
         "<securityClassifications><securityClassification name=\"A\" lacv=\"x\" hierarchy=\"1\"/>"
         "</securityClassifications></SPIF>",
         "numeric"},
        {"<SPIF xmlns=\"http://www.xmlspif.org/spif\"><securityPolicyId name=\"P\" id=\"1\"/>"
         "<securityClassifications><securityClassification name=\"A\" lacv=\"1\" hierarchy=\"1\"/>"
         "</securityClassifications><securityCategoryTagSets><securityCategoryTagSet name=\"T\">"
         "<securityCategoryTag tagType=\"permissive\"><tagCategory name=\"V\" lacv=\"1\">"
         "<excludedClass>NOPE</excludedClass></tagCategory></securityCategoryTag></"
         "securityCategoryTagSet>"
         "</securityCategoryTagSets></SPIF>",
         "unknown classification 'NOPE'"},
        {"<!DOCTYPE SPIF [<!ENTITY x \"y\">]><SPIF/>", "DOCTYPE"},
        {"<SPIF xmlns=\"http://www.xmlspif.org/spif\"><securityPolicyId name=\"P\" id=\"1\"/>"
         "<securityClassifications><securityClassification name=\"A\" lacv=\"1\" hierarchy=\"1\"/>"
         "</securityClassifications><securityClassifications><securityClassification name=\"B\" "
         "lacv=\"2\" "
         "hierarchy=\"2\"/></securityClassifications></SPIF>",
         "more than one securityClassifications"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        Spif s;
        pnError err = {0};
        spifInit(&s);
        assert_int_not_equal(spifLoadMemory(&s, cases[i].xml, strlen(cases[i].xml), &err), PN_OK);
        if (!strstr(err.msg, cases[i].want))
            fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].want);
        spifFree(&s);
    }
}

static int setup(void **state) {
    int rc = fixtureSetup(state);
    F = *state;
    return rc;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marking_canonical),
        cmocka_unit_test(test_marking_errors),
        cmocka_unit_test(test_value_limit),
        cmocka_unit_test(test_xml_round_trip),
        cmocka_unit_test(test_xml_structure),
        cmocka_unit_test(test_xml_legacy_root),
        cmocka_unit_test(test_xml_errors),
        cmocka_unit_test(test_parse_either_form),
        cmocka_unit_test(test_dominate),
        cmocka_unit_test(test_clearance_names),
        cmocka_unit_test(test_policy_covers_registry),
        cmocka_unit_test(test_spif_errors),
    };
    return cmocka_run_group_tests(tests, setup, fixtureTeardown);
}
