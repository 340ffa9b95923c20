/*
 * share.c -- shared subscription groups and the choice of a member (see
 * share.h).
 *
 * Groups are few (one per share name and filter), so they sit in a list;
 * the topic index over their filters keeps the per-message cost that of a
 * trie walk, as for ordinary subscriptions.
 */
#include "share.h"

#include <stdlib.h>
#include <string.h>

#include "topic.h"

struct ShareSet {
    ShareGroup *groups;
    uint32_t nextId;
    TopicIndex *index; /* FILTER -> group */
};

int shareParse(const char *filter, size_t len, ShareName *out) {
    if (!topicFilterIsShared(filter, len)) return 0;
    if (len < 8 || filter[6] != '/') return -1; /* "$share" or "$share/" */
    const char *name = filter + 7;
    const char *slash = memchr(name, '/', len - 7);
    if (!slash || slash == name) return -1; /* no NAME, or no FILTER after it */
    size_t nameLen = (size_t)(slash - name);
    /* §4.8.2: NAME must not hold '/', '+' or '#' */
    if (memchr(name, '+', nameLen) || memchr(name, '#', nameLen)) return -1;
    size_t innerOff = (size_t)(slash + 1 - filter);
    if (innerOff >= len || !topicFilterValid(filter + innerOff, len - innerOff)) return -1;
    out->nameOff = 7;
    out->nameLen = nameLen;
    out->innerOff = innerOff;
    return 1;
}

ShareSet *shareSetNew(void) {
    ShareSet *ss = calloc(1, sizeof(*ss));
    if (ss && !(ss->index = topicIndexNew())) {
        free(ss);
        return NULL;
    }
    return ss;
}

static void groupFree(ShareGroup *g) {
    free(g->members);
    free(g->share);
    free(g);
}

void shareSetFree(ShareSet *ss) {
    if (!ss) return;
    while (ss->groups) {
        ShareGroup *g = ss->groups;
        ss->groups = g->next;
        groupFree(g);
    }
    topicIndexFree(ss->index);
    free(ss);
}

ShareGroup *shareFind(const ShareSet *ss, const char *share) {
    for (ShareGroup *g = ss->groups; g; g = g->next)
        if (strcmp(g->share, share) == 0) return g;
    return NULL;
}

ShareGroup *shareById(const ShareSet *ss, uint32_t id) {
    for (ShareGroup *g = ss->groups; g; g = g->next)
        if (g->id == id) return g;
    return NULL;
}

ShareGroup *shareFirst(const ShareSet *ss) {
    return ss->groups;
}

/* A new group for share (valid), in the list and the index. */
static ShareGroup *groupNew(ShareSet *ss, const char *share) {
    ShareName sn;
    if (shareParse(share, strlen(share), &sn) != 1) return NULL;
    ShareGroup *g = calloc(1, sizeof(*g));
    if (!g || !(g->share = strdup(share))) {
        free(g);
        return NULL;
    }
    g->inner = g->share + sn.innerOff;
    if (topicIndexAdd(ss->index, g->inner, g, 0) < 0) {
        groupFree(g);
        return NULL;
    }
    g->id = ++ss->nextId;
    g->next = ss->groups;
    ss->groups = g;
    return g;
}

ShareGroup *shareJoin(ShareSet *ss, const char *share, void *session) {
    ShareGroup *g = shareFind(ss, share);
    int created = !g;
    if (!g && !(g = groupNew(ss, share))) return NULL;
    for (size_t i = 0; i < g->nmembers; i++)
        if (g->members[i].session == session) return g;
    if (g->nmembers == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 4;
        ShareMember *n = realloc(g->members, cap * sizeof(*n));
        if (!n) {
            if (created) shareLeave(ss, g, NULL);
            return NULL;
        }
        g->members = n;
        g->cap = cap;
    }
    /* A newcomer counts as given long ago: it is served first. */
    g->members[g->nmembers++] = (ShareMember){session, 0};
    return g;
}

int shareLeave(ShareSet *ss, ShareGroup *g, void *session) {
    for (size_t i = 0; i < g->nmembers; i++)
        if (g->members[i].session == session) {
            /* keep the order: ties go to the earlier member */
            memmove(&g->members[i], &g->members[i + 1],
                    (g->nmembers - i - 1) * sizeof(ShareMember));
            g->nmembers--;
            break;
        }
    if (g->nmembers) return 0;
    topicIndexRemove(ss->index, g->inner, g);
    for (ShareGroup **pp = &ss->groups; *pp; pp = &(*pp)->next)
        if (*pp == g) {
            *pp = g->next;
            break;
        }
    groupFree(g);
    return 1;
}

typedef struct MatchCtx {
    void (*fn)(ShareGroup *g, void *ctx);
    void *ctx;
} MatchCtx;

static void onGroup(void *owner, uint32_t data, const char *filter, void *ctx) {
    (void)data, (void)filter;
    MatchCtx *mc = ctx;
    mc->fn(owner, mc->ctx);
}

void shareMatch(ShareSet *ss, const char *topic, void (*fn)(ShareGroup *g, void *ctx), void *ctx) {
    MatchCtx mc = {fn, ctx};
    topicIndexMatch(ss->index, topic, onGroup, &mc);
}

void *shareChoose(ShareGroup *g, ShareRankFn *rank, void *ctx, int min, int *best) {
    ShareMember *pick = NULL;
    int pickRank = SHARE_REFUSED;
    *best = SHARE_REFUSED;
    for (size_t i = 0; i < g->nmembers; i++) {
        ShareMember *mb = &g->members[i];
        int r = rank(mb->session, ctx);
        if (r > *best) *best = r;
        if (r < min) continue;
        if (!pick || r > pickRank || (r == pickRank && mb->lastGiven < pick->lastGiven))
            pick = mb, pickRank = r;
    }
    if (!pick) return NULL;
    pick->lastGiven = ++g->given;
    return pick->session;
}
