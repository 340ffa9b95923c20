/*
 * seen.c -- the set of message ids a node holds (see seen.h).
 */
#include "seen.h"

#include <stdlib.h>
#include <string.h>

#include "../core/buf.h"
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

int seenAdd(SeenSet *s, const char *origin, uint64_t seq) {
    SeenOrigin *o = findOrigin(s, origin);
    if (!o) {
        if (arrayGrow((void **)&s->o, &s->cap, s->n + 1, sizeof(*s->o)) != 0) return -1;
        o = &s->o[s->n++];
        memset(o, 0, sizeof(*o));
        strCopy(o->name, sizeof(o->name), origin);
    }
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
