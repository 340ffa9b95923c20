/*
 * retained.c -- retained messages by topic, with usage per principal
 * (see retained.h).
 *
 * Two chained hash tables under one SipHash key: topics -> Entry (grown
 * to keep one entry per bucket on average), principals -> Usage (a fixed
 * number of buckets: there are few principals, and a Usage goes away with
 * its last message).
 */
#include "retained.h"

#include <stdlib.h>
#include <string.h>

#include "topic.h"

#define USAGE_BUCKETS 256

typedef struct Usage {
    struct Usage *next;
    uint64_t h;
    uint64_t count, bytes;
    char name[]; /* the publishing principal */
} Usage;

typedef struct Entry {
    struct Entry *next;
    uint64_t h;
    Message *m;
    Usage *u;
    uint64_t bytes;
} Entry;

struct RetainedStore {
    uint64_t key[2];
    Entry **b;
    size_t nb, n;
    uint64_t bytes;
    Usage *ub[USAGE_BUCKETS];
};

static uint64_t hashStr(const RetainedStore *r, const char *s) {
    return topicHash(r->key, s, strlen(s));
}

/* What one held message counts against the caps. */
static uint64_t messageBytes(const Message *m) {
    return strlen(m->topic) + m->payloadLen + m->propsLen + strlen(m->label);
}

RetainedStore *retainedNew(void) {
    RetainedStore *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    r->nb = 64;
    r->b = calloc(r->nb, sizeof(*r->b));
    if (!r->b) {
        free(r);
        return NULL;
    }
    topicHashSeed(r->key);
    return r;
}

void retainedFree(RetainedStore *r) {
    if (!r) return;
    for (size_t i = 0; i < r->nb; i++)
        for (Entry *e = r->b[i], *next; e; e = next) {
            next = e->next;
            messageUnref(e->m);
            free(e);
        }
    for (int i = 0; i < USAGE_BUCKETS; i++)
        for (Usage *u = r->ub[i], *next; u; u = next) {
            next = u->next;
            free(u);
        }
    free(r->b);
    free(r);
}

/* The entry for topic (hash h), and the link that points to it. */
static Entry **findLink(const RetainedStore *r, const char *topic, uint64_t h) {
    Entry **pp = &r->b[h % r->nb];
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->h == h && strcmp((*pp)->m->topic, topic) == 0) return pp;
    return NULL;
}

Message *retainedGet(const RetainedStore *r, const char *topic) {
    Entry **pp = findLink(r, topic, hashStr(r, topic));
    return pp ? (*pp)->m : NULL;
}

static Usage *usageFind(const RetainedStore *r, const char *name, uint64_t h) {
    for (Usage *u = r->ub[h % USAGE_BUCKETS]; u; u = u->next)
        if (u->h == h && strcmp(u->name, name) == 0) return u;
    return NULL;
}

static Usage *usageGet(RetainedStore *r, const char *name) {
    uint64_t h = hashStr(r, name);
    Usage *u = usageFind(r, name, h);
    if (u) return u;
    size_t len = strlen(name);
    u = calloc(1, sizeof(*u) + len + 1);
    if (!u) return NULL;
    memcpy(u->name, name, len + 1);
    u->h = h;
    u->next = r->ub[h % USAGE_BUCKETS];
    r->ub[h % USAGE_BUCKETS] = u;
    return u;
}

/* A principal without messages has no Usage. */
static void usageForgetIfEmpty(RetainedStore *r, Usage *u) {
    if (u->count) return;
    for (Usage **pp = &r->ub[u->h % USAGE_BUCKETS]; *pp; pp = &(*pp)->next)
        if (*pp == u) {
            *pp = u->next;
            break;
        }
    free(u);
}

/* Take a message of bytes off u's account (and the node's). */
static void usageSub(RetainedStore *r, Usage *u, uint64_t bytes) {
    u->count--;
    u->bytes -= bytes;
    r->bytes -= bytes;
    usageForgetIfEmpty(r, u);
}

uint64_t retainedMessageBytes(const Message *m) {
    return messageBytes(m);
}

int retainedCheck(const RetainedStore *r, const RetainedLimits *lim, const Message *m,
                  const RetainedPending *pend, const char **why) {
    static const RetainedPending none;
    if (!pend) pend = &none;
    if (!m->payloadLen) return 0; /* deleting frees */
    Entry **pp = findLink(r, m->topic, hashStr(r, m->topic));
    const Entry *old = pp ? *pp : NULL;
    uint64_t add = messageBytes(m), oldBytes = old ? old->bytes : 0;
    /* Only what grows is checked: replacing a topic never needs a new slot,
     * even after the caps were lowered below what is held. */
    if (!old && lim->maxCount && r->n + pend->nodeCount + 1 > lim->maxCount) {
        *why = "the node holds its maximum number of retained messages";
        return -1;
    }
    if (add > oldBytes && lim->maxBytes &&
        r->bytes + pend->nodeBytes - oldBytes + add > lim->maxBytes) {
        *why = "the node holds its maximum bytes of retained messages";
        return -1;
    }
    const char *who = m->publisher;
    const Usage *u = usageFind(r, who, hashStr(r, who));
    int mine = old && old->u == u;
    uint64_t count = (u ? u->count : 0) + pend->count, bytes = (u ? u->bytes : 0) + pend->bytes;
    if (!mine && lim->maxCountPerPrincipal && count + 1 > lim->maxCountPerPrincipal) {
        *why = "the publisher holds its maximum number of retained messages";
        return -1;
    }
    uint64_t was = mine ? oldBytes : 0;
    if (add > was && lim->maxBytesPerPrincipal && bytes - was + add > lim->maxBytesPerPrincipal) {
        *why = "the publisher holds its maximum bytes of retained messages";
        return -1;
    }
    return 0;
}

/* Double the buckets (a failure keeps the old ones: only slower). */
static void grow(RetainedStore *r) {
    size_t nb = r->nb * 2;
    Entry **b = calloc(nb, sizeof(*b));
    if (!b) return;
    for (size_t i = 0; i < r->nb; i++)
        for (Entry *e = r->b[i], *next; e; e = next) {
            next = e->next;
            e->next = b[e->h % nb];
            b[e->h % nb] = e;
        }
    free(r->b);
    r->b = b;
    r->nb = nb;
}

int retainedPut(RetainedStore *r, Message *m) {
    uint64_t h = hashStr(r, m->topic);
    Entry **pp = findLink(r, m->topic, h);
    if (!m->payloadLen) {
        if (!pp) return 0; /* deleting nothing */
        Entry *e = *pp;
        *pp = e->next;
        usageSub(r, e->u, e->bytes);
        messageUnref(e->m);
        free(e);
        r->n--;
        return 0;
    }
    Usage *u = usageGet(r, m->publisher);
    if (!u) return -1;
    Entry *e = pp ? *pp : calloc(1, sizeof(*e));
    if (!e) {
        usageForgetIfEmpty(r, u);
        return -1;
    }
    messageRef(m);
    Message *oldM = pp ? e->m : NULL;
    Usage *oldU = pp ? e->u : NULL;
    uint64_t oldBytes = pp ? e->bytes : 0;
    if (!pp) {
        e->h = h;
        e->next = r->b[h % r->nb];
        r->b[h % r->nb] = e;
        r->n++;
    }
    /* The new message is counted before the old one is taken off, so a
     * principal replacing its own last message keeps its Usage. */
    e->m = m;
    e->u = u;
    e->bytes = messageBytes(m);
    u->count++;
    u->bytes += e->bytes;
    r->bytes += e->bytes;
    if (oldM) {
        usageSub(r, oldU, oldBytes);
        messageUnref(oldM);
    }
    if (r->n > r->nb) grow(r);
    return 0;
}

size_t retainedCount(const RetainedStore *r) {
    return r->n;
}

uint64_t retainedBytes(const RetainedStore *r) {
    return r->bytes;
}

void retainedUsage(const RetainedStore *r, const char *principal, uint64_t *count,
                   uint64_t *bytes) {
    const Usage *u = usageFind(r, principal, hashStr(r, principal));
    *count = u ? u->count : 0;
    *bytes = u ? u->bytes : 0;
}

void retainedForEach(const RetainedStore *r, void (*fn)(Message *m, void *ctx), void *ctx) {
    for (size_t i = 0; i < r->nb; i++)
        for (Entry *e = r->b[i]; e; e = e->next)
            fn(e->m, ctx);
}
