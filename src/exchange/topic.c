/*
 * topic.c -- topic validation, matching and the subscription index (see
 * topic.h).
 *
 * The index is a trie whose nodes are filter levels.  Instead of a child
 * table per node, every node lives in one hash table keyed by (parent,
 * kind, level text); the '+' and '#' children are also reachable through
 * direct pointers.  Subscriptions live in a second table keyed by (node,
 * owner), so adding or removing one is constant time however many owners
 * share a filter, and each owner keeps a list of its subscriptions, found
 * through a third table, so a session's teardown touches only its own.
 *
 * Level text comes from clients, so the node table hashes it with SipHash
 * under a random key: nobody can aim many filters at one bucket.
 *
 * Matching walks the trie depth first using parent pointers rather than a
 * stack or recursion, so it needs no memory and no stack depth whatever the
 * number of levels (a 65535-byte name can have 32768).
 */
#include "topic.h"

#include "../core/utf8.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>
#include <time.h>

/* ---- text rules ------------------------------------------------------ */

/* U+0000 (forbidden by MQTT) and the C0 and C1 controls (our policy). */
static int isControl(uint32_t cp) {
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

/* The rules topic names and filters share (topic.h). */
static int topicTextValid(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    if (len == 0 || len > TOPIC_MAX_LEN) return 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = utf8Decode(p + i, len - i, &cp);
        if (n == 0 || isControl(cp)) return 0;
        i += n;
    }
    return 1;
}

int topicNameValid(const char *name, size_t len) {
    if (!topicTextValid(name, len)) return 0;
    /* '+', '#' and '/' are ASCII, so they never occur inside a multi-byte
     * character and a byte search is exact. */
    return memchr(name, '+', len) == NULL && memchr(name, '#', len) == NULL;
}

int topicFilterIsShared(const char *filter, size_t len) {
    return len >= 6 && memcmp(filter, "$share", 6) == 0 && (len == 6 || filter[6] == '/');
}

int topicFilterValid(const char *filter, size_t len) {
    if (!topicTextValid(filter, len) || topicFilterIsShared(filter, len)) return 0;
    for (size_t i = 0; i < len; i++) {
        if (filter[i] != '+' && filter[i] != '#') continue;
        int alone = (i == 0 || filter[i - 1] == '/') && (i + 1 == len || filter[i + 1] == '/');
        if (!alone || (filter[i] == '#' && i + 1 != len)) return 0;
    }
    return 1;
}

/* ---- matching one filter --------------------------------------------- */

/* Length of the level starting at p. */
static size_t levelLen(const char *p) {
    return strcspn(p, "/");
}

int topicMatch(const char *filter, const char *name) {
    if (name[0] == '$' && (filter[0] == '+' || filter[0] == '#')) return 0;
    for (;;) {
        size_t fl = levelLen(filter), nl = levelLen(name);
        if (fl == 1 && filter[0] == '#') return 1;
        int plus = fl == 1 && filter[0] == '+';
        if (!plus && (fl != nl || memcmp(filter, name, fl) != 0)) return 0;
        filter += fl, name += nl;
        if (*filter == '\0') return *name == '\0';
        /* The name ended first: only a final "/#" still matches (the
         * parent level). */
        if (*name == '\0') return strcmp(filter, "/#") == 0;
        filter++, name++;
    }
}

/* ---- hashing ---------------------------------------------------------- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void sipRound(uint64_t v[4]) {
    v[0] += v[1], v[1] = ROTL(v[1], 13), v[1] ^= v[0], v[0] = ROTL(v[0], 32);
    v[2] += v[3], v[3] = ROTL(v[3], 16), v[3] ^= v[2];
    v[0] += v[3], v[3] = ROTL(v[3], 21), v[3] ^= v[0];
    v[2] += v[1], v[1] = ROTL(v[1], 17), v[1] ^= v[2], v[2] = ROTL(v[2], 32);
}

/* SipHash-1-3 of n bytes under key k. */
static uint64_t sipHash(const uint64_t k[2], const void *data, size_t n) {
    const unsigned char *p = data;
    uint64_t v[4] = {k[0] ^ 0x736f6d6570736575ULL, k[1] ^ 0x646f72616e646f6dULL,
                     k[0] ^ 0x6c7967656e657261ULL, k[1] ^ 0x7465646279746573ULL};
    size_t whole = n - n % 8;
    for (size_t i = 0; i < whole; i += 8) {
        uint64_t m = 0;
        for (int j = 7; j >= 0; j--)
            m = m << 8 | p[i + (size_t)j];
        v[3] ^= m, sipRound(v), v[0] ^= m;
    }
    uint64_t last = (uint64_t)n << 56;
    for (size_t i = 0; i < n % 8; i++)
        last |= (uint64_t)p[whole + i] << (8 * i);
    v[3] ^= last, sipRound(v), v[0] ^= last;
    v[2] ^= 0xff;
    sipRound(v), sipRound(v), sipRound(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* Scramble a pointer-sized key (the splitmix64 finalizer). */
static uint64_t mix(uint64_t x) {
    x ^= x >> 30, x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27, x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* ---- intrusive chained hash table -------------------------------------- */

/* The first member of every hashed struct. */
typedef struct Link {
    struct Link *next;
    uint64_t hash;
} Link;

typedef struct Table {
    Link **slot; /* NULL until the first insert */
    size_t mask; /* slots - 1 */
    size_t count;
} Table;

/* Make sure one more link can be inserted.  Returns 0, or -1 when out of
 * memory and the table has no slots yet (a full table that cannot grow
 * still works, only with longer chains). */
static int tableReserve(Table *t) {
    if (t->slot && t->count <= t->mask) return 0;
    size_t n = t->slot ? (t->mask + 1) * 2 : 16;
    Link **slot = calloc(n, sizeof(*slot));
    if (!slot) return t->slot ? 0 : -1;
    for (size_t i = 0; t->slot && i <= t->mask; i++) {
        for (Link *l = t->slot[i], *next; l; l = next) {
            next = l->next;
            l->next = slot[l->hash & (n - 1)];
            slot[l->hash & (n - 1)] = l;
        }
    }
    free(t->slot);
    t->slot = slot, t->mask = n - 1;
    return 0;
}

/* Insert l under hash; tableReserve() must have succeeded first. */
static void tableInsert(Table *t, Link *l, uint64_t hash) {
    Link **head = &t->slot[hash & t->mask];
    l->hash = hash, l->next = *head, *head = l;
    t->count++;
}

/* Remove l, which is in t. */
static void tableRemove(Table *t, Link *l) {
    Link **p = &t->slot[l->hash & t->mask];
    while (*p != l)
        p = &(*p)->next;
    *p = l->next;
    t->count--;
}

/* The chain that holds every link with this hash. */
static Link *tableChain(const Table *t, uint64_t hash) {
    return t->slot ? t->slot[hash & t->mask] : NULL;
}

/* ---- the index's structures -------------------------------------------- */

enum { KIND_LITERAL, KIND_PLUS, KIND_HASH };

typedef struct Node Node;
typedef struct Entry Entry;
typedef struct Owner Owner;

struct Node {
    Link link; /* in ix->nodes, keyed by (parent, kind, level) */
    Node *parent;
    Node *plus, *hash; /* the '+' and '#' children */
    size_t children;   /* of all kinds */
    Entry *subs;       /* subscriptions whose filter ends here */
    char *filter;      /* the whole filter, while subs != NULL */
    size_t len;        /* of level */
    int kind;
    char level[]; /* NUL-terminated */
};

struct Entry {
    Link link; /* in ix->entries, keyed by (node, owner) */
    Node *node;
    void *owner;
    Owner *rec;
    uint32_t data;
    Entry *prev, *next;   /* the node's subscriptions */
    Entry *oprev, *onext; /* the owner's subscriptions */
};

struct Owner {
    Link link; /* in ix->owners, keyed by owner */
    void *owner;
    Entry *entries;
};

struct TopicIndex {
    Node *root; /* the level before the first; never freed before the index */
    Table nodes, entries, owners;
    uint64_t key[2]; /* SipHash key */
};

/* ---- nodes -------------------------------------------------------------- */

static int levelKind(const char *level, size_t len) {
    if (len == 1 && level[0] == '+') return KIND_PLUS;
    if (len == 1 && level[0] == '#') return KIND_HASH;
    return KIND_LITERAL;
}

static uint64_t nodeHash(const TopicIndex *ix, const Node *parent, int kind, const char *level,
                         size_t len) {
    return sipHash(ix->key, level, len) ^ mix((uint64_t)(uintptr_t)parent + (uint64_t)kind);
}

/* The child of parent for the len bytes of level, or NULL. */
static Node *nodeChild(const TopicIndex *ix, const Node *parent, const char *level, size_t len) {
    int kind = levelKind(level, len);
    if (kind == KIND_PLUS) return parent->plus;
    if (kind == KIND_HASH) return parent->hash;
    uint64_t h = nodeHash(ix, parent, kind, level, len);
    for (Link *l = tableChain(&ix->nodes, h); l; l = l->next) {
        Node *n = (Node *)l;
        if (l->hash == h && n->parent == parent && n->kind == kind && n->len == len &&
            memcmp(n->level, level, len) == 0)
            return n;
    }
    return NULL;
}

/* The literal child of parent for the name level at lv, or NULL. */
static Node *nodeLiteral(const TopicIndex *ix, const Node *parent, const char *lv) {
    size_t len = levelLen(lv);
    return levelKind(lv, len) == KIND_LITERAL ? nodeChild(ix, parent, lv, len) : NULL;
}

/* Add a child to parent, or return NULL when out of memory. */
static Node *nodeNew(TopicIndex *ix, Node *parent, const char *level, size_t len) {
    if (tableReserve(&ix->nodes) != 0) return NULL;
    Node *n = calloc(1, sizeof(*n) + len + 1);
    if (!n) return NULL;
    memcpy(n->level, level, len);
    n->len = len, n->kind = levelKind(level, len), n->parent = parent;
    tableInsert(&ix->nodes, &n->link, nodeHash(ix, parent, n->kind, level, len));
    /* At most one '+' and one '#' child: nodeChild finds them there. */
    assert(n->kind != KIND_PLUS || !parent->plus);
    assert(n->kind != KIND_HASH || !parent->hash);
    if (n->kind == KIND_PLUS) parent->plus = n;
    if (n->kind == KIND_HASH) parent->hash = n;
    parent->children++;
    return n;
}

/* Free n and its empty ancestors, stopping at the root or at the first
 * node that still has children or subscriptions. */
static void nodePrune(TopicIndex *ix, Node *n) {
    while (n != ix->root && n->children == 0 && n->subs == NULL) {
        Node *parent = n->parent;
        assert(parent->children > 0 && n->filter == NULL);
        tableRemove(&ix->nodes, &n->link);
        if (parent->plus == n) parent->plus = NULL;
        if (parent->hash == n) parent->hash = NULL;
        parent->children--;
        free(n->filter);
        free(n);
        n = parent;
    }
}

/* The node where filter ends, or NULL.  With create, missing nodes are
 * added, and NULL means out of memory (the trie is then as before). */
static Node *nodeWalk(TopicIndex *ix, const char *filter, int create) {
    Node *n = ix->root;
    for (const char *p = filter;; p++) {
        size_t len = levelLen(p);
        Node *c = nodeChild(ix, n, p, len);
        if (!c && create) c = nodeNew(ix, n, p, len);
        if (!c) {
            if (create) nodePrune(ix, n);
            return NULL;
        }
        n = c, p += len;
        if (*p == '\0') return n;
    }
}

/* ---- subscriptions and owners ------------------------------------------ */

static uint64_t entryHash(const TopicIndex *ix, const Node *n, const void *owner) {
    return mix((uint64_t)(uintptr_t)n ^ mix((uint64_t)(uintptr_t)owner ^ ix->key[0]));
}

static uint64_t ownerHash(const TopicIndex *ix, const void *owner) {
    return mix((uint64_t)(uintptr_t)owner ^ ix->key[1]);
}

static Entry *entryFind(const TopicIndex *ix, const Node *n, const void *owner) {
    uint64_t h = entryHash(ix, n, owner);
    for (Link *l = tableChain(&ix->entries, h); l; l = l->next) {
        Entry *e = (Entry *)l;
        if (e->node == n && e->owner == owner) return e;
    }
    return NULL;
}

static Owner *ownerFind(const TopicIndex *ix, const void *owner) {
    uint64_t h = ownerHash(ix, owner);
    for (Link *l = tableChain(&ix->owners, h); l; l = l->next)
        if (((Owner *)l)->owner == owner) return (Owner *)l;
    return NULL;
}

/* owner's record, created when absent; NULL when out of memory. */
static Owner *ownerGet(TopicIndex *ix, void *owner) {
    Owner *o = ownerFind(ix, owner);
    if (o) return o;
    if (tableReserve(&ix->owners) != 0 || !(o = calloc(1, sizeof(*o)))) return NULL;
    o->owner = owner;
    tableInsert(&ix->owners, &o->link, ownerHash(ix, owner));
    return o;
}

/* Drop o when it has no subscriptions left. */
static void ownerRelease(TopicIndex *ix, Owner *o) {
    if (o->entries) return;
    tableRemove(&ix->owners, &o->link);
    free(o);
}

/* Subscribe owner at n, whose filter text is filter.  Returns 0, or -1
 * when out of memory (nothing changed; the caller prunes n). */
static int entryNew(TopicIndex *ix, Node *n, const char *filter, void *owner, uint32_t data) {
    Owner *o = ownerGet(ix, owner);
    if (!o) return -1;
    Entry *e = NULL;
    if (!n->filter) n->filter = strdup(filter);
    if (!n->filter || tableReserve(&ix->entries) != 0 || !(e = calloc(1, sizeof(*e)))) {
        if (!n->subs) free(n->filter), n->filter = NULL;
        ownerRelease(ix, o);
        return -1;
    }
    assert(!entryFind(ix, n, owner)); /* one subscription per (node, owner) */
    e->node = n, e->owner = owner, e->rec = o, e->data = data;
    tableInsert(&ix->entries, &e->link, entryHash(ix, n, owner));
    e->next = n->subs;
    if (n->subs) n->subs->prev = e;
    n->subs = e;
    e->onext = o->entries;
    if (o->entries) o->entries->oprev = e;
    o->entries = e;
    return 0;
}

/* Remove e, then its owner record and its nodes if they are left empty. */
static void entryDelete(TopicIndex *ix, Entry *e) {
    Node *n = e->node;
    Owner *o = e->rec;
    tableRemove(&ix->entries, &e->link);
    if (e->prev)
        e->prev->next = e->next;
    else
        n->subs = e->next;
    if (e->next) e->next->prev = e->prev;
    if (e->oprev)
        e->oprev->onext = e->onext;
    else
        o->entries = e->onext;
    if (e->onext) e->onext->oprev = e->oprev;
    free(e);
    ownerRelease(ix, o);
    if (!n->subs) {
        free(n->filter), n->filter = NULL;
        nodePrune(ix, n);
    } else {
        assert(n->filter); /* a node with subscriptions keeps its filter */
    }
}

/* ---- public index API --------------------------------------------------- */

/* A random SipHash key; a weaker one from the clock and an address when
 * the kernel cannot give one. */
static void seedKey(uint64_t key[2], const void *salt) {
    if (getrandom(key, 2 * sizeof(key[0]), GRND_NONBLOCK) == (ssize_t)(2 * sizeof(key[0]))) return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    key[0] = mix((uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)salt);
    key[1] = mix(key[0] ^ (uint64_t)ts.tv_sec);
}

uint64_t topicHash(const uint64_t k[2], const void *data, size_t n) {
    return sipHash(k, data, n);
}

void topicHashSeed(uint64_t k[2]) {
    seedKey(k, k);
}

TopicIndex *topicIndexNew(void) {
    TopicIndex *ix = calloc(1, sizeof(*ix));
    if (!ix) return NULL;
    ix->root = calloc(1, sizeof(Node) + 1);
    if (!ix->root) {
        free(ix);
        return NULL;
    }
    seedKey(ix->key, ix);
    return ix;
}

/* Free every link in t with free_, and the table itself. */
static void tableFreeAll(Table *t, void (*free_)(Link *)) {
    for (size_t i = 0; t->slot && i <= t->mask; i++) {
        for (Link *l = t->slot[i], *next; l; l = next) {
            next = l->next;
            free_(l);
        }
    }
    free(t->slot);
}

static void freeLink(Link *l) {
    free(l);
}

static void freeNode(Link *l) {
    free(((Node *)l)->filter);
    free(l);
}

void topicIndexFree(TopicIndex *ix) {
    if (!ix) return;
    tableFreeAll(&ix->entries, freeLink);
    tableFreeAll(&ix->owners, freeLink);
    tableFreeAll(&ix->nodes, freeNode);
    free(ix->root);
    free(ix);
}

int topicIndexAdd(TopicIndex *ix, const char *filter, void *owner, uint32_t data) {
    if (!topicFilterValid(filter, strlen(filter))) return TOPIC_EINVAL;
    Node *n = nodeWalk(ix, filter, 1);
    if (!n) return -1;
    Entry *e = entryFind(ix, n, owner);
    if (e) {
        e->data = data;
        return 0;
    }
    if (entryNew(ix, n, filter, owner, data) != 0) {
        nodePrune(ix, n);
        return -1;
    }
    return 1;
}

int topicIndexRemove(TopicIndex *ix, const char *filter, void *owner) {
    Node *n = nodeWalk(ix, filter, 0);
    Entry *e = n ? entryFind(ix, n, owner) : NULL;
    if (!e) return 0;
    entryDelete(ix, e);
    return 1;
}

size_t topicIndexRemoveOwner(TopicIndex *ix, void *owner) {
    size_t removed = 0;
    for (Owner *o; (o = ownerFind(ix, owner)) != NULL; removed++)
        entryDelete(ix, o->entries);
    return removed;
}

size_t topicIndexCount(const TopicIndex *ix) {
    return ix->entries.count;
}

size_t topicIndexNodes(const TopicIndex *ix) {
    return ix->nodes.count;
}

/* ---- matching against the index ----------------------------------------- */

typedef struct Emit {
    TopicMatchFn *cb;
    void *ctx;
    size_t count;
} Emit;

/* Report every subscription that ends at n. */
static void emitNode(Emit *out, const Node *n) {
    for (const Entry *e = n->subs; e; e = e->next) {
        if (out->cb) out->cb(e->owner, e->data, n->filter, out->ctx);
        out->count++;
    }
}

/* Start on the children of parent for the name level at lv: report
 * parent's '#' child, which matches this level and everything below, and
 * return the first child to descend into.  Wildcards are skipped at the
 * root when the name starts with '$' [MQTT-4.7.2-1]. */
static Node *firstChild(const TopicIndex *ix, const Node *parent, const char *name, const char *lv,
                        Emit *out) {
    if (parent == ix->root && name[0] == '$') return nodeLiteral(ix, parent, lv);
    if (parent->hash) emitNode(out, parent->hash);
    return parent->plus ? parent->plus : nodeLiteral(ix, parent, lv);
}

/* The child of parent to visit after c ('+' comes before the literal). */
static Node *nextChild(const TopicIndex *ix, const Node *parent, const Node *c, const char *lv) {
    return c == parent->plus ? nodeLiteral(ix, parent, lv) : NULL;
}

/* The start of the level before the one at lv (which is not the first). */
static const char *levelPrev(const char *name, const char *lv) {
    const char *p = lv - 1; /* the '/' that ends the previous level */
    while (p > name && p[-1] != '/')
        p--;
    return p;
}

size_t topicIndexMatch(TopicIndex *ix, const char *name, TopicMatchFn *cb, void *ctx) {
    Emit out = {cb, ctx, 0};
    /* Invariant: parent is at depth k, lv is the start of level k of the
     * name, and c is the child of parent being visited (NULL when parent's
     * matching children are exhausted). */
    Node *parent = ix->root;
    const char *lv = name;
    Node *c = firstChild(ix, parent, name, lv, &out);
    for (;;) {
        if (c) {
            size_t len = levelLen(lv);
            if (lv[len] != '\0') {
                parent = c, lv += len + 1;
                c = firstChild(ix, parent, name, lv, &out);
                continue;
            }
            /* The name's last level: c matches, and so does "c/#". */
            emitNode(&out, c);
            if (c->hash) emitNode(&out, c->hash);
            c = nextChild(ix, parent, c, lv);
            continue;
        }
        if (parent == ix->root) return out.count;
        c = parent, parent = parent->parent, lv = levelPrev(name, lv);
        c = nextChild(ix, parent, c, lv);
    }
}
