/*
 * fuzz_checks.h -- the properties the fuzz targets check, one function per
 * target, shared with the regression test (tests/unit/test_fuzz_regress.c).
 *
 * The fuzz targets and the test must check exactly the same thing: an input
 * libFuzzer saved as a crash has to fail the test until the bug is fixed,
 * and pass it afterwards.  The Makefile builds every fuzz/fuzz_*.c as its
 * own target and links a unit test with the library objects only, so the
 * shared code lives here as static functions rather than in a .c file.
 *
 * Each check takes one input and returns 0 when every property holds, or
 * -1 with a sentence in why.  Only a broken property is a failure: input the
 * library refuses with an error is fine, that is what it is for.  Crashes,
 * leaks and undefined behaviour are the sanitizers' business.
 */
#ifndef PN_FUZZ_CHECKS_H
#define PN_FUZZ_CHECKS_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/buf.h"
#include "../src/core/err.h"
#include "../src/label/label.h"
#include "../src/label/spif.h"
#include "../src/registry/registry.h"

/* The shipped registry and policy, loaded once per process. */
typedef struct FuzzEnv {
    Registry *reg; /* large: on the heap */
    Spif spif;
} FuzzEnv;

static inline int fuzzFail(char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline int fuzzFail(char *why, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return -1;
}

/* The repository root: $PARTNERNET_ROOT, else $PN_ROOT (set by
 * tests/run.sh), else the current directory. */
static inline const char *fuzzRoot(void) {
    const char *r = getenv("PARTNERNET_ROOT");
    if (!r || !r[0]) r = getenv("PN_ROOT");
    return r && r[0] ? r : ".";
}

static inline void fuzzEnvFree(FuzzEnv *e) {
    if (e->reg) registryFree(e->reg);
    free(e->reg);
    e->reg = NULL;
    spifFree(&e->spif);
}

/* Load data/registry and data/policy/nato-spif.xml and bind them, exactly
 * as the CLI does, so fuzzed labels mean what they mean in production. */
static inline int fuzzEnvLoad(FuzzEnv *e, char *why, size_t cap) {
    char path[4096];
    pnError err = {0};
    memset(e, 0, sizeof(*e));
    spifInit(&e->spif);
    e->reg = malloc(sizeof(*e->reg));
    if (!e->reg) return fuzzFail(why, cap, "out of memory");
    registryInit(e->reg);
    snprintf(path, sizeof(path), "%s/data/registry", fuzzRoot());
    int rc = registryLoadDir(e->reg, path, &err);
    if (rc == PN_OK) {
        snprintf(path, sizeof(path), "%s/data/policy/nato-spif.xml", fuzzRoot());
        rc = spifLoadFile(&e->spif, path, &err);
    }
    if (rc == PN_OK) rc = spifBindRegistry(&e->spif, e->reg, &err);
    if (rc == PN_OK) return 0;
    fuzzEnvFree(e);
    return fuzzFail(why, cap, "%s (run from the repository root or set PARTNERNET_ROOT)", err.msg);
}

/* ---- label round trips --------------------------------------------------- */

/* The marking of l, freshly allocated (free() it), or NULL. */
static inline char *fuzzMarking(const Label *l) {
    pnBuf b;
    bufInit(&b);
    if (labelToMarking(l, &b) != PN_OK) {
        bufFree(&b);
        return NULL;
    }
    return bufDetach(&b);
}

static inline char *fuzzXml(const Label *l) {
    pnBuf b;
    bufInit(&b);
    if (labelToXml(l, &b) != PN_OK) {
        bufFree(&b);
        return NULL;
    }
    return bufDetach(&b);
}

/* The first field in which two labels differ, for the failure message. */
static inline const char *fuzzDiff(const Label *a, const Label *b) {
    if (a->cls != b->cls) return "classification";
    if (a->ncats != b->ncats) return "number of category values";
    if (a->created != b->created) return "CreationDateTime";
    if (a->review != b->review) return "ReviewDateTime";
    if (strcmp(a->originator, b->originator) != 0) return "OriginatorID";
    return labelEqual(a, b) ? "nothing" : "category values";
}

/* Encode l as a marking, parse that and require the same label back, then
 * encode the copy and require the same text: the canonical marking is a
 * fixed point.  The marking carries no times or originator, so those are
 * taken from l before comparing. */
static inline int fuzzMarkingRoundTrip(const Label *l, char *why, size_t cap) {
    pnError err = {0};
    Label back;
    labelInit(&back, l->policy);
    char *m1 = fuzzMarking(l), *m2 = NULL;
    int rc = -1;
    if (!m1) {
        rc = fuzzFail(why, cap, "labelToMarking failed on a valid label");
    } else if (labelParseMarking(&back, m1, &err) != PN_OK) {
        rc = fuzzFail(why, cap, "own marking '%s' does not parse: %s", m1, err.msg);
    } else {
        back.created = l->created;
        back.review = l->review;
        memcpy(back.originator, l->originator, sizeof(back.originator));
        m2 = fuzzMarking(&back);
        if (!labelEqual(l, &back))
            rc = fuzzFail(why, cap, "marking '%s' parses to a different label (%s differs)", m1,
                          fuzzDiff(l, &back));
        else if (!m2 || strcmp(m1, m2) != 0)
            rc = fuzzFail(why, cap, "marking '%s' re-encodes as '%s'", m1, m2 ? m2 : "?");
        else
            rc = 0;
    }
    free(m1);
    free(m2);
    labelFree(&back);
    return rc;
}

/* The same for STANAG 4774 XML, which carries every field of the label. */
static inline int fuzzXmlRoundTrip(const Label *l, char *why, size_t cap) {
    pnError err = {0};
    Label back;
    labelInit(&back, l->policy);
    char *x1 = fuzzXml(l), *x2 = NULL;
    int rc = -1;
    if (!x1) {
        rc = fuzzFail(why, cap, "labelToXml failed on a valid label");
    } else if (labelParseXml(&back, x1, strlen(x1), &err) != PN_OK) {
        rc = fuzzFail(why, cap, "own XML does not parse: %s\n%s", err.msg, x1);
    } else {
        x2 = fuzzXml(&back);
        if (!labelEqual(l, &back))
            rc = fuzzFail(why, cap, "own XML parses to a different label (%s differs):\n%s",
                          fuzzDiff(l, &back), x1);
        else if (!x2 || strcmp(x1, x2) != 0)
            rc = fuzzFail(why, cap, "XML not canonical:\n%s\nthen\n%s", x1, x2 ? x2 : "(null)");
        else
            rc = 0;
    }
    free(x1);
    free(x2);
    labelFree(&back);
    return rc;
}

/* fuzz_marking: a marking that parses survives both codecs unchanged.  The
 * input is copied so the parser sees a C string, as the CLI gives it. */
static inline int fuzzCheckMarking(const FuzzEnv *e, const uint8_t *data, size_t size, char *why,
                                   size_t cap) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    pnError err = {0};
    Label l;
    labelInit(&l, &e->spif);
    int rc = 0;
    if (labelParseMarking(&l, text, &err) == PN_OK) {
        rc = fuzzMarkingRoundTrip(&l, why, cap);
        if (rc == 0) rc = fuzzXmlRoundTrip(&l, why, cap);
    }
    labelFree(&l);
    free(text);
    return rc;
}

/* fuzz_xml: a label document that parses survives both codecs unchanged. */
static inline int fuzzCheckXml(const FuzzEnv *e, const uint8_t *data, size_t size, char *why,
                               size_t cap) {
    pnError err = {0};
    Label l;
    labelInit(&l, &e->spif);
    int rc = 0;
    if (labelParseXml(&l, (const char *)data, size, &err) == PN_OK) {
        rc = fuzzXmlRoundTrip(&l, why, cap);
        if (rc == 0) rc = fuzzMarkingRoundTrip(&l, why, cap);
    }
    labelFree(&l);
    return rc;
}

/* ---- policies ------------------------------------------------------------ */

/* What spif.h promises of a policy that loaded: classifications sorted by
 * strictly rising hierarchy, every name found again by its own lookup,
 * exclusions only of classifications that exist, caveat bits in range.
 * The decision code indexes arrays with these, so a broken one is a bug. */
static inline int fuzzSpifInvariants(const Spif *s, char *why, size_t cap) {
    if (s->nclasses == 0 || s->nclasses > SPIF_MAX_CLASSES)
        return fuzzFail(why, cap, "loaded with %zu classifications", s->nclasses);
    for (size_t c = 0; c < s->nclasses; c++) {
        if (c && s->classes[c - 1].hierarchy >= s->classes[c].hierarchy)
            return fuzzFail(why, cap, "classifications not in rising hierarchy at %zu", c);
        if (spifClass(s, s->classes[c].name) != (int)c)
            return fuzzFail(why, cap, "classification '%s' not found by name", s->classes[c].name);
    }
    uint32_t allClasses = s->nclasses >= 32 ? ~0u : (1u << s->nclasses) - 1;
    if (s->releaseTagSet >= (int)s->ntagsets)
        return fuzzFail(why, cap, "releaseTagSet %d out of range", s->releaseTagSet);
    for (size_t t = 0; t < s->ntagsets; t++) {
        const SpifTagSet *ts = &s->tagsets[t];
        if (spifTagSet(s, ts->name) != (int)t)
            return fuzzFail(why, cap, "tag set '%s' not found by name", ts->name);
        for (size_t v = 0; v < ts->nvalues; v++) {
            const SpifValue *sv = &ts->values[v];
            if (spifValue(ts, sv->name) != (int)v)
                return fuzzFail(why, cap, "value '%s' not found by name", sv->name);
            if (sv->excluded & ~allClasses)
                return fuzzFail(why, cap, "value '%s' excludes a missing classification", sv->name);
            if (ts->type == TAG_RESTRICTIVE && sv->bit >= s->nrestrictive)
                return fuzzFail(why, cap, "caveat bit %u of '%s' out of range", sv->bit, sv->name);
        }
    }
    return 0;
}

/* fuzz_spif: any document loads or is refused, without leaking either way
 * (ASan's leak check catches what spifFree() misses). */
static inline int fuzzCheckSpif(const uint8_t *data, size_t size, char *why, size_t cap) {
    pnError err = {0};
    Spif s;
    spifInit(&s);
    int rc = 0;
    if (spifLoadMemory(&s, (const char *)data, size, &err) == PN_OK)
        rc = fuzzSpifInvariants(&s, why, cap);
    spifFree(&s);
    return rc;
}

#endif
