/*
 * test_registry.c -- the partnership registry: shipped facts, dated
 * membership, loader errors, and the compiled timeline against the slow
 * reference answers.
 */
#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <strings.h>

#include "../../src/registry/suggest.h"
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int members(const Registry *r, const char *id, const char *date) {
    NationSet s;
    int g = registryGroup(r, id);
    assert_true(g >= 0);
    return registryMembersAt(r, g, day(date), &s);
}

static int isMember(const Registry *r, const char *id, const char *nation, const char *date) {
    int g = registryGroup(r, id), n = registryNation(r, nation);
    assert_true(g >= 0);
    assert_true(n >= 0);
    int fast = GroupSetHas(&registryAt(r, n, day(date))->groups, (unsigned)g);
    assert_int_equal(fast, registryIsMemberSlow(r, g, n, day(date)));
    return fast;
}

static void test_nato_counts(void **state) {
    Fixture *f = *state;
    /* The founders are dated by the Treaty's entry into force, as every
     * later ally is by its accession (signature was 1949-04-04). */
    assert_int_equal(members(&f->reg, "NATO", "1949-08-23"), 0);
    assert_int_equal(members(&f->reg, "NATO", "1949-08-24"), 12);
    assert_int_equal(members(&f->reg, "NATO", "2022-06-01"), 30);
    assert_int_equal(members(&f->reg, "NATO", "2023-04-04"), 31);
    assert_int_equal(members(&f->reg, "NATO", "2024-04-01"), 32);
    assert_int_equal(members(&f->reg, "nato", "2026-11-23"), 32); /* case-insensitive */
}

static void test_accession_boundaries(void **state) {
    Fixture *f = *state;
    assert_false(isMember(&f->reg, "NATO", "FIN", "2023-04-03"));
    assert_true(isMember(&f->reg, "NATO", "FIN", "2023-04-04"));
    assert_false(isMember(&f->reg, "NATO", "SWE", "2024-03-06"));
    assert_true(isMember(&f->reg, "NATO", "SWE", "2024-03-07"));
    /* SWE left PfP the day it joined the alliance: both facts recorded. */
    assert_true(isMember(&f->reg, "PFP", "SWE", "2024-03-06"));
    assert_false(isMember(&f->reg, "PFP", "SWE", "2024-03-07"));
    /* EAPC is allies plus partners, so SWE stays in it throughout. */
    assert_true(isMember(&f->reg, "EAPC", "SWE", "2024-03-06"));
    assert_true(isMember(&f->reg, "EAPC", "SWE", "2024-03-07"));
}

static void test_frameworks_shipped(void **state) {
    Fixture *f = *state;
    const char *today = "2026-11-23";
    assert_int_equal(members(&f->reg, "MD", today), 7);
    assert_int_equal(members(&f->reg, "ICI", today), 4);
    assert_int_equal(members(&f->reg, "EU", today), 27);
    assert_int_equal(members(&f->reg, "PFP", today),
                     16); /* 18 participants, RUS and BLR suspended */
    assert_int_equal(members(&f->reg, "PAG", today), 8); /* AFG suspended */
    assert_int_equal(members(&f->reg, "EAPC", today), 48);
    assert_false(isMember(&f->reg, "PAG", "AFG", today));
    assert_true(isMember(&f->reg, "PAG", "AFG", "2015-01-01"));
    assert_false(isMember(&f->reg, "EU", "GBR", today));
    assert_true(isMember(&f->reg, "EU", "GBR", "2019-01-01"));
    assert_true(isMember(&f->reg, "SAMPLE-NORTH", "UKR", "2026-06-01"));
    assert_false(isMember(&f->reg, "SAMPLE-NORTH", "UKR", "2027-06-01")); /* community closed */
    /* Every group's JSON said where its facts come from. */
    for (size_t g = 0; g < f->reg.ngroups; g++)
        if (f->reg.groups[g].kind == REG_FRAMEWORK)
            assert_true(f->reg.groups[g].sources[0] != '\0');
}

/* The corrected dates, each the day before and the day itself. */
static void test_sourced_boundaries(void **state) {
    Fixture *f = *state;
    assert_false(isMember(&f->reg, "PAG", "COL", "2018-05-30"));
    assert_true(isMember(&f->reg, "PAG", "COL", "2018-05-31"));
    assert_true(isMember(&f->reg, "PFP", "BLR", "2021-11-18"));
    assert_false(isMember(&f->reg, "PFP", "BLR", "2021-11-19"));
    assert_false(isMember(&f->reg, "EOP", "UKR", "2020-06-11"));
    assert_true(isMember(&f->reg, "EOP", "UKR", "2020-06-12"));
    assert_true(isMember(&f->reg, "EOP", "SWE", "2024-03-06"));
    assert_false(isMember(&f->reg, "EOP", "SWE", "2024-03-07"));
    assert_int_equal(members(&f->reg, "EOP", "2026-11-23"), 4); /* AUS GEO JOR UKR */
    assert_false(isMember(&f->reg, "NUC", "UKR", "2023-07-11"));
    assert_true(isMember(&f->reg, "NUC", "UKR", "2023-07-12"));
    assert_true(isMember(&f->reg, "NUC", "USA", "2023-07-12"));
    assert_false(isMember(&f->reg, "NUC", "GEO", "2023-07-12"));
    assert_false(isMember(&f->reg, "NGC", "GEO", "2008-09-14"));
    assert_true(isMember(&f->reg, "NGC", "GEO", "2008-09-15"));
    /* The Vienna Document's audience: 57 States, Russia, Belarus, Mongolia
     * and the five in no NATO framework included. */
    assert_int_equal(members(&f->reg, "OSCE", "2026-11-23"), 57);
    assert_true(isMember(&f->reg, "OSCE", "RUS", "2026-11-23"));
    assert_true(isMember(&f->reg, "OSCE", "MNG", "2026-11-23"));
    assert_true(isMember(&f->reg, "OSCE", "AND", "2026-11-23"));
    assert_false(isMember(&f->reg, "EAPC", "MNG", "2026-11-23"));
    /* Defence Capacity Building and the aspirants, where dated. */
    assert_false(isMember(&f->reg, "DCB", "GEO", "2014-09-04"));
    assert_true(isMember(&f->reg, "DCB", "GEO", "2014-09-05"));
    assert_false(isMember(&f->reg, "DCB", "TUN", "2018-07-11"));
    assert_true(isMember(&f->reg, "DCB", "TUN", "2018-07-12"));
    assert_false(isMember(&f->reg, "DCB", "IRQ", "2026-11-23")); /* not dated: absent */
    assert_false(isMember(&f->reg, "ASPIRANTS", "UKR", "2008-04-02"));
    assert_true(isMember(&f->reg, "ASPIRANTS", "UKR", "2008-04-03"));
    assert_int_equal(members(&f->reg, "ASPIRANTS", "2026-11-23"), 2);
}

/* Does any string in v contain "illustrative" (any case)?  Names the
 * offending text in *what. */
static int saysIllustrative(json_t *v, const char **what) {
    size_t i;
    const char *k;
    json_t *x;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        for (const char *p = s; *p; p++)
            if (strncasecmp(p, "illustrative", 12) == 0) return *what = s, 1;
        return 0;
    }
    if (json_is_array(v)) json_array_foreach(v, i, x) if (saysIllustrative(x, what)) return 1;
    if (json_is_object(v)) json_object_foreach(v, k, x) if (saysIllustrative(x, what)) return 1;
    return 0;
}

/* Checks one shipped registry file: sources named, nothing illustrative,
 * every agreement with a source of its own.  Returns the problems found. */
static int checkShippedFile(const char *path) {
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    int bad = 0;
    const char *what = NULL;
    if (!doc) return print_error("%s: %s\n", path, je.text), 1;
    json_t *src = json_object_get(doc, "sources"), *a;
    if (!json_is_array(src) || json_array_size(src) == 0)
        print_error("%s: no \"sources\"\n", path), bad++;
    if (saysIllustrative(doc, &what)) print_error("%s: illustrative: %s\n", path, what), bad++;
    size_t i;
    json_array_foreach(json_object_get(doc, "agreements"), i, a) {
        json_t *s = json_object_get(a, "source");
        if (!json_is_string(s) || strlen(json_string_value(s)) < 10)
            print_error("%s: agreement %zu has no \"source\"\n", path, i), bad++;
    }
    json_decref(doc);
    return bad;
}

/* The shipped registry decides releases: every file names its sources,
 * every agreement its own, and nothing in it is illustrative (sample data
 * lives in data/sample/registry and is loaded only when asked for). */
static void test_shipped_registry_sourced(void **state) {
    (void)state;
    DIR *d = opendir("data/registry");
    assert_non_null(d);
    struct dirent *de;
    int files = 0, bad = 0;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0) continue;
        char path[512];
        snprintf(path, sizeof(path), "data/registry/%s", de->d_name);
        bad += checkShippedFile(path);
        files++;
    }
    closedir(d);
    assert_true(files >= 10);
    assert_int_equal(bad, 0);
}

/* A registry path of several directories; the shipped one alone has no
 * sample community. */
static void test_registry_path(void **state) {
    (void)state;
    Registry r;
    pnError err = {0};
    registryInit(&r);
    assert_int_equal(registryLoadDir(&r, "data/registry", &err), PN_OK);
    assert_int_equal(registryGroup(&r, "SAMPLE-NORTH"), -1);
    for (size_t g = 0; g < r.ngroups; g++)
        assert_true(strncmp(r.groups[g].id, "SAMPLE", 6) != 0);
    registryFree(&r);
    assert_int_equal(registryLoadDir(&r, "data/registry:data/sample/registry", &err), PN_OK);
    assert_true(registryGroup(&r, "SAMPLE-NORTH") >= 0);
    registryFree(&r);
    assert_int_equal(registryLoadDir(&r, "data/registry:", &err), PN_EINVAL);
    assert_non_null(strstr(err.msg, "empty"));
    registryFree(&r);
    assert_int_equal(registryLoadDir(&r, "data/registry:/nonexistent", &err), PN_ENOENT);
    assert_non_null(strstr(err.msg, "/nonexistent"));
    registryFree(&r);
    /* The sample registry names nations the shipped one defines, so alone
     * it is refused. */
    assert_int_not_equal(registryLoadDir(&r, "data/sample/registry", &err), PN_OK);
    registryFree(&r);
}

static void test_organisations_and_agreements(void **state) {
    Fixture *f = *state;
    int nato = registryNation(&f->reg, "NATO"), ukr = registryNation(&f->reg, "UKR");
    int chn = registryNation(&f->reg, "CHN");
    assert_true(nato >= 0 && ukr >= 0 && chn >= 0);
    assert_int_equal(f->reg.nations[nato].kind, REG_ORGANISATION);
    assert_true(
        GroupSetHas(&registryAt(&f->reg, nato, day("2026-01-01"))->groups, (unsigned)f->reg.owner));
    assert_true(registryAt(&f->reg, ukr, day("2026-01-01"))->flags & REG_F_SECURITY);
    assert_false(registryAt(&f->reg, chn, day("2026-01-01"))->flags & REG_F_SECURITY);
    assert_int_equal(registryNation(&f->reg, "XYZ"), -1);
}

/* The compiled timeline must agree with the slow loops everywhere that
 * matters: on every change day, the day before it, and a spread of others. */
static void test_timeline_matches_reference(void **state) {
    Fixture *f = *state;
    const Registry *r = &f->reg;
    long checked = 0;
    for (size_t n = 0; n < r->nnations; n++) {
        const RegTimeline *t = &r->timeline[n];
        for (size_t i = 0; i < t->n; i++)
            for (int delta = -1; delta <= 1; delta++) {
                int32_t d = t->e[i].from == PN_DAY_NONE ? day("1900-01-01") : t->e[i].from + delta;
                const RegTimelineEntry *e = registryAt(r, (int)n, d);
                for (size_t g = 0; g < r->ngroups; g++, checked++)
                    assert_int_equal(GroupSetHas(&e->groups, (unsigned)g),
                                     registryIsMemberSlow(r, (int)g, (int)n, d));
                assert_int_equal(!!(e->flags & REG_F_SECURITY),
                                 registryHasSecuritySlow(r, (int)n, d));
            }
        for (int32_t d = day("1945-01-01"); d < day("2030-01-01"); d += 97) {
            const RegTimelineEntry *e = registryAt(r, (int)n, d);
            for (size_t g = 0; g < r->ngroups; g++, checked++)
                assert_int_equal(GroupSetHas(&e->groups, (unsigned)g),
                                 registryIsMemberSlow(r, (int)g, (int)n, d));
        }
    }
    assert_true(checked > 100000);
}

/* ---- loader errors ------------------------------------------------------ */

static const char *nationsDoc =
    "{\"nations\":[{\"code\":\"AAA\",\"name\":\"A\"},{\"code\":\"BBB\",\"name\":\"B\"},"
    "{\"code\":\"NATO\",\"name\":\"N\",\"kind\":\"organisation\"}]}";

static int loadBad(const char *doc, pnError *err) {
    Registry r;
    registryInit(&r);
    int rc = registryLoadJson(&r, "n.json", nationsDoc, err);
    assert_int_equal(rc, PN_OK);
    rc = registryLoadJson(&r, "bad.json", doc, err);
    if (rc == PN_OK) rc = registryCompile(&r, err);
    registryFree(&r);
    return rc;
}

static void test_loader_errors(void **state) {
    (void)state;
    pnError err = {0};
    assert_int_equal(loadBad("{\"id\":\"X\",\"name\":\"x\",\"members\":[{\"code\":\"ZZZ\",\"from\":"
                             "\"2000-01-01\"}]}",
                             &err),
                     PN_EINVAL);
    assert_non_null(strstr(err.msg, "unknown nation 'ZZZ'"));
    assert_non_null(strstr(err.msg, "bad.json"));
    assert_int_equal(loadBad("{\"id\":\"X\",\"name\":\"x\",\"members\":[{\"code\":\"AAA\",\"from\":"
                             "\"2023-02-29\"}]}",
                             &err),
                     PN_EINVAL);
    assert_non_null(strstr(err.msg, "\"from\" is not a YYYY-MM-DD date"));
    assert_int_equal(
        loadBad(
            "{\"id\":\"X\",\"name\":\"x\",\"members\":[{\"code\":\"AAA\",\"from\":\"2000-01-01\","
            "\"to\":\"1999-01-01\"}]}",
            &err),
        PN_EINVAL);
    assert_int_equal(loadBad("{\"id\":\"X\", \"members\": [", &err), PN_EINVAL);
    assert_non_null(strstr(err.msg, "bad.json:1"));
    assert_int_equal(loadBad("{\"what\":1}", &err), PN_EINVAL);
    assert_non_null(strstr(err.msg, "not a registry file"));
    assert_int_equal(loadBad("{\"agreements\":[{\"id\":\"A\",\"parties\":[\"AAA\",\"QQQ\"],"
                             "\"from\":\"2000-01-01\"}]}",
                             &err),
                     PN_EINVAL);
    assert_non_null(strstr(err.msg, "unknown party 'QQQ'"));
    assert_int_equal(loadBad("{\"id\":\"X\",\"name\":\"x\",\"members\":[],\"id\":\"Y\"}", &err),
                     PN_EINVAL);
    assert_int_equal(loadBad("{\"id\":\"BAD ID\",\"name\":\"x\",\"members\":[]}", &err), PN_EINVAL);
    /* A group may not take a nation's code: REL TO AAA would be ambiguous. */
    assert_int_equal(loadBad("{\"id\":\"AAA\",\"name\":\"x\",\"members\":[]}", &err), PN_EINVAL);
    assert_non_null(strstr(err.msg, "nation code"));
    assert_int_equal(
        loadBad(
            "{\"id\":\"X\",\"name\":\"x\",\"established\":\"2000-01-01\",\"closed\":\"2000-01-01\","
            "\"members\":[]}",
            &err),
        PN_EINVAL);
    assert_int_equal(
        loadBad(
            "{\"agreements\":[{\"id\":\"A\",\"parties\":[\"AAA\",\"BBB\"],\"from\":\"2000-01-01\","
            "\"to\":\"1999-01-01\"}]}",
            &err),
        PN_EINVAL);
    assert_int_equal(
        loadBad(
            "{\"agreements\":[{\"id\":\"A\",\"parties\":[\"AAA\",\"BBB\"],\"from\":\"2000-01-01\"},"
            "{\"id\":\"A\",\"parties\":[\"AAA\",\"BBB\"],\"from\":\"2001-01-01\"}]}",
            &err),
        PN_EINVAL);
    assert_non_null(strstr(err.msg, "duplicate agreement id"));
}

static void test_small_registry(void **state) {
    (void)state;
    Registry r;
    pnError err = {0};
    registryInit(&r);
    assert_int_equal(registryLoadJson(&r, "n.json", nationsDoc, &err), PN_OK);
    assert_int_equal(
        registryLoadJson(
            &r, "nato.json",
            "{\"id\":\"NATO\",\"name\":\"n\",\"established\":\"2000-01-01\",\"members\":["
            "{\"code\":\"AAA\",\"from\":\"2000-01-01\"}]}",
            &err),
        PN_OK);
    assert_int_equal(
        registryLoadJson(
            &r, "p.json",
            "{\"id\":\"P\",\"name\":\"p\",\"members\":[{\"code\":\"BBB\",\"from\":\"2001-01-01\","
            "\"suspended\":\"2005-01-01\"}]}",
            &err),
        PN_OK);
    assert_int_equal(registryLoadJson(&r, "u.json",
                                      "{\"id\":\"U\",\"name\":\"u\",\"union_of\":[\"NATO\",\"P\"]}",
                                      &err),
                     PN_OK);
    assert_int_equal(registryCompile(&r, &err), PN_OK);
    int u = registryGroup(&r, "U"), b = registryNation(&r, "BBB");
    assert_true(registryIsMemberSlow(&r, u, b, day("2004-12-31")));
    assert_false(registryIsMemberSlow(&r, u, b, day("2005-01-01")));
    assert_int_equal(registryFirstDay(&r, u, b), day("2001-01-01"));
    NationSet s;
    assert_int_equal(registryMembersAt(&r, u, day("2002-01-01"), &s), 2);
    registryFree(&r);
}

static void test_missing_dir(void **state) {
    (void)state;
    Registry r;
    pnError err = {0};
    registryInit(&r);
    assert_int_equal(registryLoadDir(&r, "/nonexistent/registry", &err), PN_ENOENT);
    assert_non_null(strstr(err.msg, "/nonexistent/registry"));
    registryFree(&r);
}

/* "Did you mean": names and near codes answer with the code; nothing far. */
static void test_suggest(void **state) {
    Fixture *f = *state;
    assert_int_equal(suggestDistance("SEKRET", "secret"), 1);
    assert_int_equal(suggestDistance("", "abc"), 3);
    assert_string_equal(registrySuggest(&f->reg, "Sweden", SUGGEST_NATIONS), "SWE");
    assert_string_equal(registrySuggest(&f->reg, "SWEDEN", SUGGEST_NATIONS), "SWE");
    assert_string_equal(registrySuggest(&f->reg, "Georgia", SUGGEST_NATIONS), "GEO");
    assert_string_equal(registrySuggest(&f->reg, "SWEE", SUGGEST_NATIONS), "SWE");
    assert_null(registrySuggest(&f->reg, "QQQQQQQQ", SUGGEST_NATIONS | SUGGEST_GROUPS));
    assert_null(registrySuggest(&f->reg, "Q", SUGGEST_NATIONS)); /* one letter is near all */
    assert_string_equal(registrySuggest(&f->reg, "PFPP", SUGGEST_GROUPS), "PFP");
    char hint[64];
    assert_string_equal(registryDidYouMean(&f->reg, "Sweden", SUGGEST_NATIONS, hint, sizeof(hint)),
                        " (did you mean 'SWE'?)");
    assert_string_equal(registryDidYouMean(NULL, "Sweden", SUGGEST_NATIONS, hint, sizeof(hint)),
                        "");
    char longWord[200];
    memset(longWord, 'A', sizeof(longWord) - 1);
    longWord[sizeof(longWord) - 1] = '\0';
    assert_null(registrySuggest(&f->reg, longWord, SUGGEST_NATIONS));
}

/* Write n registry files into a new directory: the nations, then files
 * holding nothing. */
static void emptyFiles(char *dir, int n) {
    assert_non_null(mkdtemp(dir));
    for (int i = 0; i < n; i++) {
        char path[300];
        snprintf(path, sizeof(path), "%s/%04d.json", dir, i);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(i == 0 ? nationsDoc : "{\"agreements\": []}\n", f);
        fclose(f);
    }
}

static void removeFiles(const char *dir, int n) {
    for (int i = 0; i < n; i++) {
        char path[300];
        snprintf(path, sizeof(path), "%s/%04d.json", dir, i);
        unlink(path);
    }
    rmdir(dir);
}

/* More files than the loader takes is an error, not a silent cut. */
static void test_too_many_files(void **state) {
    (void)state;
    char full[] = "/tmp/pn_reg_XXXXXX", over[] = "/tmp/pn_reg_XXXXXX";
    Registry r;
    pnError err = {0};
    emptyFiles(full, REG_MAX_FILES);
    registryInit(&r);
    assert_int_equal(registryLoadDir(&r, full, &err), PN_OK);
    registryFree(&r);
    emptyFiles(over, REG_MAX_FILES + 1);
    registryInit(&r);
    assert_int_equal(registryLoadDir(&r, over, &err), PN_ELIMIT);
    assert_non_null(strstr(err.msg, "more than 512 registry files"));
    assert_non_null(strstr(err.msg, over));
    registryFree(&r);
    removeFiles(full, REG_MAX_FILES);
    removeFiles(over, REG_MAX_FILES + 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nato_counts),
        cmocka_unit_test(test_accession_boundaries),
        cmocka_unit_test(test_frameworks_shipped),
        cmocka_unit_test(test_sourced_boundaries),
        cmocka_unit_test(test_shipped_registry_sourced),
        cmocka_unit_test(test_registry_path),
        cmocka_unit_test(test_organisations_and_agreements),
        cmocka_unit_test(test_timeline_matches_reference),
        cmocka_unit_test(test_loader_errors),
        cmocka_unit_test(test_small_registry),
        cmocka_unit_test(test_missing_dir),
        cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_too_many_files),
    };
    return cmocka_run_group_tests(tests, fixtureSetup, fixtureTeardown);
}
