/*
 * seen.c -- the set of message ids a node holds (see seen.h).
 */
#include "seen.h"

#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/buf.h"
#include "persist.h"
#include "../core/str.h"

void seenInit(SeenSet *s) {
    memset(s, 0, sizeof(*s));
}

void seenFree(SeenSet *s) {
    for (size_t i = 0; i < s->n; i++)
        free(s->o[i].r);
    free(s->o);
    seenInit(s);
}

static SeenOrigin *findOrigin(const SeenSet *s, const char *origin) {
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->o[i].name, origin) == 0) return &s->o[i];
    return NULL;
}

/* Index of the first range with hi >= seq (o->n when none). */
static size_t lowerBound(const SeenOrigin *o, uint64_t seq) {
    size_t lo = 0, hi = o->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->r[mid].hi < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int seenHas(const SeenSet *s, const char *origin, uint64_t seq) {
    const SeenOrigin *o = findOrigin(s, origin);
    if (!o) return 0;
    size_t i = lowerBound(o, seq);
    return i < o->n && o->r[i].lo <= seq;
}

size_t seenRanges(const SeenSet *s, const char *origin) {
    const SeenOrigin *o = findOrigin(s, origin);
    return o ? o->n : 0;
}

/* The entry of origin, added when new; NULL when out of memory. */
static SeenOrigin *originFor(SeenSet *s, const char *origin) {
    SeenOrigin *o = findOrigin(s, origin);
    if (o) return o;
    if (arrayGrow((void **)&s->o, &s->cap, s->n + 1, sizeof(*s->o)) != 0) return NULL;
    o = &s->o[s->n++];
    memset(o, 0, sizeof(*o));
    strCopy(o->name, sizeof(o->name), origin);
    return o;
}

int seenAdd(SeenSet *s, const char *origin, uint64_t seq) {
    SeenOrigin *o = originFor(s, origin);
    if (!o) return -1;
    size_t i = lowerBound(o, seq);
    if (i < o->n && o->r[i].lo <= seq) return 0;
    /* seq lies before range i (if any) and after range i-1 (if any). */
    int joinPrev = i > 0 && o->r[i - 1].hi + 1 == seq;
    int joinNext = i < o->n && seq + 1 == o->r[i].lo;
    if (joinPrev && joinNext) {
        o->r[i - 1].hi = o->r[i].hi;
        memmove(&o->r[i], &o->r[i + 1], (o->n - i - 1) * sizeof(SeenRange));
        o->n--;
    } else if (joinPrev) {
        o->r[i - 1].hi = seq;
    } else if (joinNext) {
        o->r[i].lo = seq;
    } else {
        if (arrayGrow((void **)&o->r, &o->cap, o->n + 1, sizeof(SeenRange)) != 0) return -1;
        memmove(&o->r[i + 1], &o->r[i], (o->n - i) * sizeof(SeenRange));
        o->r[i] = (SeenRange){seq, seq};
        o->n++;
    }
    return 1;
}

int seenAddRange(SeenSet *s, const char *origin, uint64_t lo, uint64_t hi) {
    assert(lo <= hi);
    SeenOrigin *o = originFor(s, origin);
    if (!o) return -1;
    /* Ranges i..j-1 overlap [lo, hi] or touch it: they become one. */
    size_t i = lowerBound(o, lo ? lo - 1 : 0), j = i;
    while (j < o->n && (hi == UINT64_MAX || o->r[j].lo <= hi + 1))
        j++;
    if (i == j) {
        if (arrayGrow((void **)&o->r, &o->cap, o->n + 1, sizeof(SeenRange)) != 0) return -1;
        memmove(&o->r[i + 1], &o->r[i], (o->n - i) * sizeof(SeenRange));
        o->r[i] = (SeenRange){lo, hi};
        o->n++;
        return 0;
    }
    SeenRange merged = {o->r[i].lo < lo ? o->r[i].lo : lo,
                        o->r[j - 1].hi > hi ? o->r[j - 1].hi : hi};
    o->r[i] = merged;
    memmove(&o->r[i + 1], &o->r[j], (o->n - j) * sizeof(SeenRange));
    o->n -= j - i - 1;
    return 0;
}

int seenRemove(SeenSet *s, const char *origin, uint64_t seq) {
    SeenOrigin *o = findOrigin(s, origin);
    if (!o) return 0;
    size_t i = lowerBound(o, seq);
    if (i == o->n || o->r[i].lo > seq) return 0;
    SeenRange *r = &o->r[i];
    if (r->lo == seq && r->hi == seq) {
        memmove(r, r + 1, (o->n - i - 1) * sizeof(SeenRange));
        o->n--;
    } else if (r->lo == seq) {
        r->lo++;
    } else if (r->hi == seq) {
        r->hi--;
    } else { /* split [lo, hi] into [lo, seq-1] and [seq+1, hi] */
        if (arrayGrow((void **)&o->r, &o->cap, o->n + 1, sizeof(SeenRange)) != 0) return -1;
        r = &o->r[i];
        memmove(r + 2, r + 1, (o->n - i - 1) * sizeof(SeenRange));
        r[1] = (SeenRange){seq + 1, r->hi};
        r->hi = seq - 1;
        o->n++;
    }
    return 1;
}

/* ---- saved across retention ---------------------------------------------- */

/* Ids are unsigned 64-bit, beyond JSON's signed integers: each range is
 * the string "LO-HI" in decimal. */
static json_t *originJson(const SeenOrigin *o) {
    json_t *a = json_array();
    for (size_t i = 0; a && i < o->n; i++) {
        char t[48];
        snprintf(t, sizeof(t), "%llu-%llu", (unsigned long long)o->r[i].lo,
                 (unsigned long long)o->r[i].hi);
        if (json_array_append_new(a, json_string(t)) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* "LO-HI" as two numbers, lo <= hi; 0 when it is, -1 when not. */
static int rangeParse(const char *t, uint64_t *lo, uint64_t *hi) {
    char *end;
    if (!t || *t < '0' || *t > '9') return -1;
    errno = 0;
    unsigned long long a = strtoull(t, &end, 10);
    if (errno || *end != '-' || end[1] < '0' || end[1] > '9') return -1;
    unsigned long long b = strtoull(end + 1, &end, 10);
    if (errno || *end || b < a) return -1;
    *lo = a;
    *hi = b;
    return 0;
}

int seenSave(const SeenSet *s, const char *path, pnError *err) {
    json_t *origins = json_object();
    json_t *doc = origins ? json_pack("{s:i, s:o}", "version", 1, "origins", origins) : NULL;
    int ok = doc != NULL;
    for (size_t i = 0; ok && i < s->n; i++) {
        json_t *a = originJson(&s->o[i]);
        ok = a && json_object_set_new(origins, s->o[i].name, a) == 0;
    }
    if (!ok) json_decref(doc), doc = NULL;
    return persistWriteJson(path, doc, err);
}

/* Add the ranges of one origin; PN_EIO when they are not [[lo, hi], ...]. */
static int loadOrigin(SeenSet *s, const char *name, json_t *ranges, const char *path,
                      pnError *err) {
    size_t i;
    json_t *r;
    if (!json_is_array(ranges))
        return pnErrorSet(err, PN_EIO, "%s: origin '%s': not a list of ranges", path, name);
    json_array_foreach(ranges, i, r) {
        uint64_t lo, hi;
        if (rangeParse(json_string_value(r), &lo, &hi) != 0)
            return pnErrorSet(err, PN_EIO, "%s: origin '%s': range %zu is not \"LO-HI\"", path,
                              name, i + 1);
        if (seenAddRange(s, name, lo, hi) < 0) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    }
    return PN_OK;
}

int seenLoad(SeenSet *s, const char *path, pnError *err) {
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc) {
        if (access(path, F_OK) != 0 && errno == ENOENT) return PN_OK;
        return pnErrorSet(err, PN_EIO, "%s: line %d: %s", path, je.line, je.text);
    }
    json_t *origins = json_object_get(doc, "origins");
    int rc = json_is_object(origins) ? PN_OK
                                     : pnErrorSet(err, PN_EIO, "%s: no \"origins\" object", path);
    const char *name;
    json_t *ranges;
    json_object_foreach(origins, name, ranges) {
        if (rc == PN_OK) rc = loadOrigin(s, name, ranges, path, err);
    }
    json_decref(doc);
    return rc;
}
