/*
 * fixture.h -- shared set-up for the unit tests: the shipped registry with
 * the illustrative sample registry (communities SAMPLE-NORTH, SAMPLE-EAST)
 * and the policy, loaded once per test program (tests run from the repo
 * root).  FIXTURE_REGISTRY is the path; checks about the shipped registry
 * alone load "data/registry" themselves.
 */
#ifndef PN_TEST_FIXTURE_H
#define PN_TEST_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/core/date.h"
#include "../../src/label/label.h"
#include "../../src/label/spif.h"
#include "../../src/policy/decide.h"
#include "../../src/registry/registry.h"

#define FIXTURE_REGISTRY "data/registry:data/sample/registry"

typedef struct Fixture {
    Registry reg;
    Spif spif;
} Fixture;

static Fixture *fixtureLoad(void) {
    static Fixture f; /* test-program state, freed by fixtureFree */
    pnError err = {0};
    registryInit(&f.reg);
    spifInit(&f.spif);
    if (registryLoadDir(&f.reg, FIXTURE_REGISTRY, &err) != PN_OK ||
        spifLoadFile(&f.spif, "data/policy/nato-spif.xml", &err) != PN_OK ||
        spifBindRegistry(&f.spif, &f.reg, &err) != PN_OK) {
        fprintf(stderr, "fixture: %s\n", err.msg);
        return NULL;
    }
    return &f;
}

static int fixtureSetup(void **state) {
    *state = fixtureLoad();
    return *state ? 0 : -1;
}

static int fixtureTeardown(void **state) {
    Fixture *f = *state;
    registryFree(&f->reg);
    spifFree(&f->spif);
    return 0;
}

static inline int32_t day(const char *s) {
    int32_t d = 0;
    assert_int_equal(dateParse(s, &d), 0);
    return d;
}

static inline int64_t at(const char *s) {
    int64_t t = 0;
    assert_int_equal(timeParse(s, &t), 0);
    return t;
}

#endif
