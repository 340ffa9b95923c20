/*
 * test_topic.c -- topic names and filters: the MQTT 5.0 section 4.7
 * examples, UTF-8 and wildcard validity edge cases, and the subscription
 * index (add/replace/remove, owner removal, pruning, deep topics) checked
 * against brute-force topicMatch() over random filters and names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/exchange/topic.h"

/* ---- helpers ---------------------------------------------------------- */

static int nameOk(const char *s) {
    return topicNameValid(s, strlen(s));
}

static int filterOk(const char *s) {
    return topicFilterValid(s, strlen(s));
}

/* What topicIndexMatch() reported. */
typedef struct Hits {
    size_t n;
    void *owner[64];
    uint32_t data[64];
    const char *filter[64];
} Hits;

static void collect(void *owner, uint32_t data, const char *filter, void *ctx) {
    Hits *h = ctx;
    assert_true(h->n < 64);
    h->owner[h->n] = owner, h->data[h->n] = data, h->filter[h->n] = filter;
    h->n++;
}

static Hits *matchIndex(TopicIndex *ix, const char *name, Hits *h) {
    memset(h, 0, sizeof(*h));
    size_t n = topicIndexMatch(ix, name, collect, h);
    assert_int_equal(n, h->n);
    return h;
}

/* How many hits were for (filter, owner); the data of the last in *data. */
static int hitCount(const Hits *h, const char *filter, void *owner, uint32_t *data) {
    int k = 0;
    for (size_t i = 0; i < h->n; i++) {
        if (h->owner[i] == owner && strcmp(h->filter[i], filter) == 0) {
            k++;
            if (data) *data = h->data[i];
        }
    }
    return k;
}

/* ---- the specification's examples ------------------------------------- */

static void test_spec_multilevel(void **state) {
    (void)state;
    /* 4.7.1.2 */
    const char *f = "sport/tennis/player1/#";
    assert_true(topicMatch(f, "sport/tennis/player1"));
    assert_true(topicMatch(f, "sport/tennis/player1/ranking"));
    assert_true(topicMatch(f, "sport/tennis/player1/score/wimbledon"));
    assert_false(topicMatch(f, "sport/tennis/player2"));
    assert_false(topicMatch(f, "sport/tennis"));
    assert_true(topicMatch("sport/#", "sport"));
    assert_true(topicMatch("#", "sport/tennis"));
    assert_true(filterOk("#"));
    assert_true(filterOk("sport/tennis/#"));
    assert_false(filterOk("sport/tennis#"));
    assert_false(filterOk("sport/tennis/#/ranking"));
}

static void test_spec_singlelevel(void **state) {
    (void)state;
    /* 4.7.1.3 */
    assert_true(topicMatch("sport/tennis/+", "sport/tennis/player1"));
    assert_true(topicMatch("sport/tennis/+", "sport/tennis/player2"));
    assert_false(topicMatch("sport/tennis/+", "sport/tennis/player1/ranking"));
    assert_true(topicMatch("sport/+", "sport/"));
    assert_false(topicMatch("sport/+", "sport"));
    assert_true(filterOk("+"));
    assert_true(filterOk("+/tennis/#"));
    assert_false(filterOk("sport+"));
    assert_true(filterOk("sport/+/player1"));
    assert_true(topicMatch("+/+", "/finance"));
    assert_true(topicMatch("/+", "/finance"));
    assert_false(topicMatch("+", "/finance"));
}

static void test_spec_dollar(void **state) {
    (void)state;
    /* 4.7.2 */
    assert_false(topicMatch("#", "$SYS/broker/uptime"));
    assert_false(topicMatch("#", "$SYS"));
    assert_false(topicMatch("+/monitor/Clients", "$SYS/monitor/Clients"));
    assert_false(topicMatch("+", "$SYS"));
    assert_false(topicMatch("+/#", "$SYS/x"));
    assert_true(topicMatch("$SYS/#", "$SYS/monitor/Clients"));
    assert_true(topicMatch("$SYS/#", "$SYS"));
    assert_true(topicMatch("$SYS/monitor/+", "$SYS/monitor/Clients"));
    /* Only the first level is special. */
    assert_true(topicMatch("a/+", "a/$x"));
    assert_true(topicMatch("a/#", "a/$x/y"));
    assert_true(topicMatch("+/$x", "a/$x"));
}

static void test_match_edges(void **state) {
    (void)state;
    assert_true(topicMatch("#", "/"));
    assert_true(topicMatch("+/+", "/"));
    assert_true(topicMatch("//", "//"));
    assert_true(topicMatch("+/+/+", "//"));
    assert_false(topicMatch("+/+", "//"));
    assert_true(topicMatch("a/#", "a/"));
    assert_true(topicMatch("a/#", "a//b"));
    assert_false(topicMatch("a/b", "a/b/"));
    assert_false(topicMatch("a/b/", "a/b"));
    assert_false(topicMatch("a/b", "a"));
    assert_false(topicMatch("a", "a/b"));
    assert_false(topicMatch("a/+/#", "a"));
    assert_true(topicMatch("a/+/#", "a/b"));
    assert_true(topicMatch("a/+/#", "a/"));
    assert_false(topicMatch("ab", "a"));
    assert_false(topicMatch("a", "ab"));
    assert_true(topicMatch("A/b", "A/b"));
    assert_false(topicMatch("A/b", "a/b")); /* case-sensitive */
    assert_true(topicMatch("\xc3\xbc/+", "\xc3\xbc/x"));
}

static void test_spec_index(void **state) {
    (void)state;
    TopicIndex *ix = topicIndexNew();
    assert_non_null(ix);
    int o1, o2;
    const char *filters[] = {
        "sport/tennis/player1/#", "sport/#",          "sport/+", "+/+", "/+", "+", "#", "$SYS/#",
        "$SYS/monitor/+",         "+/monitor/Clients"};
    for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
        assert_int_equal(topicIndexAdd(ix, filters[i], &o1, (uint32_t)i), 1);
    Hits h;
    matchIndex(ix, "sport/tennis/player1", &h);
    assert_int_equal(h.n, 3); /* player1/#, sport/#, # */
    assert_int_equal(hitCount(&h, "sport/tennis/player1/#", &o1, NULL), 1);
    matchIndex(ix, "sport", &h);
    assert_int_equal(h.n, 3); /* sport/#, +, # */
    assert_int_equal(hitCount(&h, "+", &o1, NULL), 1);
    matchIndex(ix, "sport/", &h);
    assert_int_equal(h.n, 4); /* sport/#, sport/+, +/+, # */
    matchIndex(ix, "/finance", &h);
    assert_int_equal(h.n, 3); /* +/+, /+, # */
    assert_int_equal(hitCount(&h, "+/+", &o1, NULL), 1);
    assert_int_equal(hitCount(&h, "/+", &o1, NULL), 1);
    matchIndex(ix, "$SYS/monitor/Clients", &h);
    assert_int_equal(h.n, 2); /* $SYS/#, $SYS/monitor/+ */
    assert_int_equal(hitCount(&h, "$SYS/#", &o1, NULL), 1);
    assert_int_equal(hitCount(&h, "$SYS/monitor/+", &o1, NULL), 1);
    matchIndex(ix, "$SYS", &h);
    assert_int_equal(h.n, 1);
    matchIndex(ix, "nobody/monitor/Clients", &h);
    assert_int_equal(h.n, 2); /* +/monitor/Clients, # */
    assert_int_equal(topicIndexMatch(ix, "x/y/z/w", NULL, NULL), 1);
    /* A second owner on one filter. */
    assert_int_equal(topicIndexAdd(ix, "sport/+", &o2, 99), 1);
    matchIndex(ix, "sport/x", &h);
    assert_int_equal(hitCount(&h, "sport/+", &o2, NULL), 1);
    assert_int_equal(hitCount(&h, "sport/+", &o1, NULL), 1);
    topicIndexFree(ix);
}

/* ---- validity --------------------------------------------------------- */

static void test_name_valid(void **state) {
    (void)state;
    const char *good[] = {"a",
                          "/",
                          "//",
                          "sport/tennis",
                          "$SYS/x",
                          "a b",
                          "~",
                          "\xc2\xa0",         /* U+00A0, first after the C1 controls */
                          "\xc3\xbc",         /* U+00FC */
                          "\xe6\x97\xa5",     /* U+65E5 */
                          "\xed\x9f\xbf",     /* U+D7FF, last before the surrogates */
                          "\xee\x80\x80",     /* U+E000, first after them */
                          "\xef\xbf\xbf",     /* U+FFFF, a non-character: accepted */
                          "\xf0\x9f\x98\x80", /* U+1F600 */
                          "\xf4\x8f\xbf\xbf", /* U+10FFFF */
                          "\xf0\x90\x80\x80"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (!nameOk(good[i])) fail_msg("refused good name #%zu", i);
        if (!filterOk(good[i])) fail_msg("refused good filter #%zu", i);
    }
    const char *bad[] = {"",
                         "a+b",
                         "+",
                         "a/#",
                         "#",
                         "\x01",
                         "a\x1f",
                         "\t",
                         "\n",
                         "\x7f",                     /* DEL */
                         "\xc2\x80",                 /* U+0080 */
                         "\xc2\x9f",                 /* U+009F */
                         "\x80",                     /* a lone continuation byte */
                         "\xbf",                     /* another */
                         "a\xc3",                    /* truncated */
                         "\xe6\x97",                 /* truncated */
                         "\xf0\x9f\x98",             /* truncated */
                         "\xc3\x41",                 /* continuation missing */
                         "\xe6\x41\xa5",             /* continuation missing */
                         "\xc0\xaf",                 /* overlong '/' */
                         "\xc1\xbf",                 /* overlong U+007F */
                         "\xe0\x80\xaf",             /* overlong '/' */
                         "\xe0\x9f\xbf",             /* overlong U+07FF */
                         "\xf0\x80\x80\xaf",         /* overlong '/' */
                         "\xf0\x8f\xbf\xbf",         /* overlong U+FFFF */
                         "\xc0\x80",                 /* overlong NUL ("modified UTF-8") */
                         "\xed\xa0\x80",             /* U+D800 */
                         "\xed\xbf\xbf",             /* U+DFFF */
                         "\xed\xa0\xbd\xed\xb8\x80", /* a CESU-8 surrogate pair */
                         "\xf4\x90\x80\x80",         /* U+110000 */
                         "\xf5\x80\x80\x80",
                         "\xf8\x88\x80\x80\x80", /* 5-byte form */
                         "\xfe",
                         "\xff"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (nameOk(bad[i])) fail_msg("accepted bad name #%zu", i);
    /* The same bad text is a bad filter (the wildcard cases aside). */
    for (size_t i = 5; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (filterOk(bad[i])) fail_msg("accepted bad filter #%zu", i);
    /* U+0000: an embedded NUL, length given explicitly. */
    assert_false(topicNameValid("a\0b", 3));
    assert_false(topicFilterValid("a\0b", 3));
    /* Length, not NUL, bounds the text. */
    assert_true(topicNameValid("ab+", 2));
    assert_false(topicNameValid("\xc3\xbc", 1));
    assert_false(topicNameValid("a", 0));
}

static void test_length_limit(void **state) {
    (void)state;
    char *s = malloc(TOPIC_MAX_LEN + 2);
    assert_non_null(s);
    memset(s, 'a', TOPIC_MAX_LEN + 1);
    s[TOPIC_MAX_LEN + 1] = '\0';
    assert_true(topicNameValid(s, TOPIC_MAX_LEN));
    assert_false(topicNameValid(s, TOPIC_MAX_LEN + 1));
    assert_true(topicFilterValid(s, TOPIC_MAX_LEN));
    assert_false(topicFilterValid(s, TOPIC_MAX_LEN + 1));
    /* Multi-byte characters count in bytes. */
    for (size_t i = 0; i + 2 <= TOPIC_MAX_LEN + 1; i += 2)
        s[i] = '\xc3', s[i + 1] = '\xbc';
    assert_false(topicNameValid(s, TOPIC_MAX_LEN + 1));
    assert_true(topicNameValid(s, TOPIC_MAX_LEN - 1));
    assert_false(topicNameValid(s, TOPIC_MAX_LEN)); /* ends mid-character */
    free(s);
}

static void test_filter_valid(void **state) {
    (void)state;
    const char *good[] = {"#",       "+",         "+/+",        "/+",         "+/",         "/#",
                          "sport/#", "sport/+/x", "+/tennis/#", "$SYS/#",     "+/+/+/#",    "//#",
                          "a//+//b", "$sharex/a", "$shar/a",    "a/$share/b", "$SHARE/a/b", "$"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!filterOk(good[i])) fail_msg("refused %s", good[i]);
    const char *bad[] = {"",
                         "sport+",
                         "sport/tennis#",
                         "sport/tennis/#/ranking",
                         "#/a",
                         "a/#/",
                         "##",
                         "++",
                         "a/+b",
                         "a/b+",
                         "+a",
                         "a#",
                         "#a",
                         "a/+#",
                         "a/#+",
                         "+/#/+",
                         "$share",
                         "$share/",
                         "$share/g/a",
                         "$share/g/#"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (filterOk(bad[i])) fail_msg("accepted %s", bad[i]);
    assert_true(topicFilterIsShared("$share/g/a", 10));
    assert_true(topicFilterIsShared("$share", 6));
    assert_false(topicFilterIsShared("$sharex/a", 9));
    assert_false(topicFilterIsShared("$shar", 5));
    assert_false(topicFilterIsShared("a/$share/b", 10));
    /* A wildcard as a whole level with a multi-byte neighbour level. */
    assert_true(filterOk("\xc3\xbc/+/\xc3\xbc/#"));
    assert_false(filterOk("\xc3\xbc+"));
}

/* ---- index semantics -------------------------------------------------- */

static void test_index_add_replace_remove(void **state) {
    (void)state;
    TopicIndex *ix = topicIndexNew();
    assert_non_null(ix);
    int o1, o2;
    uint32_t data = 0;
    Hits h;
    assert_int_equal(topicIndexAdd(ix, "a/b", &o1, 1), 1);
    assert_int_equal(topicIndexAdd(ix, "a/b", &o1, 2), 0); /* replaced */
    assert_int_equal(topicIndexCount(ix), 1);
    matchIndex(ix, "a/b", &h);
    assert_int_equal(h.n, 1);
    assert_int_equal(hitCount(&h, "a/b", &o1, &data), 1);
    assert_int_equal(data, 2);
    assert_int_equal(topicIndexAdd(ix, "a/b", &o2, 3), 1); /* another owner */
    assert_int_equal(topicIndexCount(ix), 2);
    assert_int_equal(topicIndexMatch(ix, "a/b", NULL, NULL), 2);
    /* Invalid filters are refused and change nothing. */
    assert_int_equal(topicIndexAdd(ix, "a/#/b", &o1, 0), TOPIC_EINVAL);
    assert_int_equal(topicIndexAdd(ix, "", &o1, 0), TOPIC_EINVAL);
    assert_int_equal(topicIndexAdd(ix, "$share/g/a", &o1, 0), TOPIC_EINVAL);
    assert_int_equal(topicIndexAdd(ix, "a\x01", &o1, 0), TOPIC_EINVAL);
    assert_int_equal(topicIndexCount(ix), 2);
    assert_int_equal(topicIndexNodes(ix), 2);
    /* Removal. */
    assert_int_equal(topicIndexRemove(ix, "a/b", &o1), 1);
    assert_int_equal(topicIndexRemove(ix, "a/b", &o1), 0);
    assert_int_equal(topicIndexRemove(ix, "a", &o2), 0);
    assert_int_equal(topicIndexRemove(ix, "a/b/c", &o2), 0);
    assert_int_equal(topicIndexRemove(ix, "a/#/b", &o2), 0);
    assert_int_equal(topicIndexRemove(ix, "", &o2), 0);
    matchIndex(ix, "a/b", &h);
    assert_int_equal(h.n, 1);
    assert_int_equal(hitCount(&h, "a/b", &o2, &data), 1);
    assert_int_equal(data, 3);
    assert_int_equal(topicIndexRemove(ix, "a/b", &o2), 1);
    assert_int_equal(topicIndexCount(ix), 0);
    assert_int_equal(topicIndexNodes(ix), 0);
    assert_int_equal(topicIndexMatch(ix, "a/b", NULL, NULL), 0);
    topicIndexFree(ix);
    topicIndexFree(NULL);
}

static void test_index_prune(void **state) {
    (void)state;
    TopicIndex *ix = topicIndexNew();
    int o;
    assert_int_equal(topicIndexAdd(ix, "a/b/c/d", &o, 0), 1);
    assert_int_equal(topicIndexAdd(ix, "a/b", &o, 0), 1);
    assert_int_equal(topicIndexAdd(ix, "a/+/#", &o, 0), 1);
    assert_int_equal(topicIndexNodes(ix), 6); /* a b c d + # */
    assert_int_equal(topicIndexRemove(ix, "a/b/c/d", &o), 1);
    assert_int_equal(topicIndexNodes(ix), 4); /* a b + # */
    assert_int_equal(topicIndexRemove(ix, "a/b", &o), 1);
    assert_int_equal(topicIndexNodes(ix), 3); /* a + # */
    assert_int_equal(topicIndexMatch(ix, "a/x/y", NULL, NULL), 1);
    assert_int_equal(topicIndexMatch(ix, "a/x", NULL, NULL), 1);
    assert_int_equal(topicIndexMatch(ix, "a", NULL, NULL), 0);
    assert_int_equal(topicIndexRemove(ix, "a/+/#", &o), 1);
    assert_int_equal(topicIndexNodes(ix), 0);
    /* Intermediate nodes are not subscriptions. */
    assert_int_equal(topicIndexAdd(ix, "x/y", &o, 0), 1);
    assert_int_equal(topicIndexMatch(ix, "x", NULL, NULL), 0);
    topicIndexFree(ix); /* with subscriptions still in it */
}

static void test_index_overlap_and_owner(void **state) {
    (void)state;
    TopicIndex *ix = topicIndexNew();
    int a, b;
    Hits h;
    const char *mine[] = {"s/+", "s/#", "s/x", "#", "+/x"};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(topicIndexAdd(ix, mine[i], &a, (uint32_t)i), 1);
    assert_int_equal(topicIndexAdd(ix, "s/x", &b, 7), 1);
    assert_int_equal(topicIndexAdd(ix, "t/#", &b, 8), 1);
    /* One callback per matching filter, even for the same owner. */
    matchIndex(ix, "s/x", &h);
    assert_int_equal(h.n, 6);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(hitCount(&h, mine[i], &a, NULL), 1);
    assert_int_equal(hitCount(&h, "s/x", &b, NULL), 1);
    assert_int_equal(topicIndexRemoveOwner(ix, &a), 5);
    assert_int_equal(topicIndexRemoveOwner(ix, &a), 0);
    assert_int_equal(topicIndexCount(ix), 2);
    assert_int_equal(topicIndexNodes(ix), 4); /* s x t # */
    matchIndex(ix, "s/x", &h);
    assert_int_equal(h.n, 1);
    assert_int_equal(hitCount(&h, "s/x", &b, NULL), 1);
    assert_int_equal(topicIndexMatch(ix, "t", NULL, NULL), 1);
    assert_int_equal(topicIndexRemoveOwner(ix, &b), 2);
    assert_int_equal(topicIndexNodes(ix), 0);
    /* The owner can come back. */
    assert_int_equal(topicIndexAdd(ix, "s/x", &a, 1), 1);
    assert_int_equal(topicIndexMatch(ix, "s/x", NULL, NULL), 1);
    topicIndexFree(ix);
}

/* Many owners on one filter, many filters for one owner. */
static void test_index_many(void **state) {
    (void)state;
    enum { N = 5000 };
    static char owners[N];
    char filter[32];
    TopicIndex *ix = topicIndexNew();
    for (int i = 0; i < N; i++)
        assert_int_equal(topicIndexAdd(ix, "news/+", &owners[i], (uint32_t)i), 1);
    for (int i = 0; i < N; i++) {
        snprintf(filter, sizeof(filter), "dev/%d/+/%d", i % 97, i);
        assert_int_equal(topicIndexAdd(ix, filter, &owners[0], (uint32_t)i), 1);
    }
    assert_int_equal(topicIndexCount(ix), 2 * N);
    assert_int_equal(topicIndexMatch(ix, "news/today", NULL, NULL), N);
    assert_int_equal(topicIndexMatch(ix, "dev/5/x/4855", NULL, NULL), 1);
    assert_int_equal(topicIndexMatch(ix, "dev/5/x/4856", NULL, NULL), 0);
    for (int i = 1; i < N; i += 2)
        assert_int_equal(topicIndexRemove(ix, "news/+", &owners[i]), 1);
    assert_int_equal(topicIndexMatch(ix, "news/today", NULL, NULL), N / 2);
    assert_int_equal(topicIndexRemoveOwner(ix, &owners[0]), N + 1);
    for (int i = 2; i < N; i += 2)
        assert_int_equal(topicIndexRemoveOwner(ix, &owners[i]), 1);
    assert_int_equal(topicIndexCount(ix), 0);
    assert_int_equal(topicIndexNodes(ix), 0);
    topicIndexFree(ix);
}

/* The deepest filter and name the length limit allows: matching must not
 * recurse once per level. */
static void test_index_deep(void **state) {
    (void)state;
    char *filter = malloc(TOPIC_MAX_LEN + 1), *name = malloc(TOPIC_MAX_LEN + 1);
    assert_non_null(filter);
    assert_non_null(name);
    for (size_t i = 0; i < TOPIC_MAX_LEN; i++)
        filter[i] = i % 2 ? '/' : '+';
    filter[TOPIC_MAX_LEN] = '\0'; /* 32768 levels of '+' */
    memset(name, '/', 32767);
    name[32767] = 'x';
    name[32768] = '\0'; /* 32768 levels, the last "x" */
    assert_true(filterOk(filter));
    assert_true(nameOk(name));
    assert_true(topicMatch(filter, name));
    TopicIndex *ix = topicIndexNew();
    int o;
    assert_int_equal(topicIndexAdd(ix, filter, &o, 0), 1);
    filter[TOPIC_MAX_LEN - 1] = '#';
    assert_int_equal(topicIndexAdd(ix, filter, &o, 1), 1);
    assert_int_equal(topicIndexAdd(ix, "#", &o, 2), 1);
    assert_int_equal(topicIndexMatch(ix, name, NULL, NULL), 3);
    name[32766] = '\0';                                         /* 32767 empty levels */
    assert_int_equal(topicIndexMatch(ix, name, NULL, NULL), 2); /* ".../#" and "#" */
    assert_int_equal(topicIndexRemoveOwner(ix, &o), 3);
    assert_int_equal(topicIndexNodes(ix), 0);
    topicIndexFree(ix);
    free(filter);
    free(name);
}

/* A callback may match again on the same index. */
static void nested(void *owner, uint32_t data, const char *filter, void *ctx) {
    TopicIndex *ix = ctx;
    assert_int_equal(topicIndexMatch(ix, "b/c", NULL, NULL), 2);
}

static void test_index_reentrant(void **state) {
    (void)state;
    TopicIndex *ix = topicIndexNew();
    int o;
    assert_int_equal(topicIndexAdd(ix, "b/+", &o, 0), 1);
    assert_int_equal(topicIndexAdd(ix, "b/#", &o, 0), 1);
    assert_int_equal(topicIndexMatch(ix, "b/x", nested, ix), 2);
    topicIndexFree(ix);
}

/* ---- property: the index agrees with topicMatch ------------------------ */

enum { NFILTERS = 200, NNAMES = 2000, NOWNERS = 4 };

typedef struct Ref {
    char filter[64];
    void *owner;
    int live; /* this is the current (filter, owner) subscription */
} Ref;

typedef struct Check {
    Ref *refs;
    int hits[NFILTERS];
} Check;

static uint64_t rng;

static uint32_t rnd(uint32_t n) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static const char *levels[] = {"", "a", "b", "ab", "sport", "$SYS", "$x", "\xc3\xbc"};
#define NLEVELS (sizeof(levels) / sizeof(levels[0]))

/* A random filter (wildcards allowed) or name. */
static void randomTopic(char *out, size_t cap, int wild) {
    int depth = 1 + (int)rnd(5);
    out[0] = '\0';
    for (int i = 0; i < depth; i++) {
        if (i) strncat(out, "/", cap - strlen(out) - 1);
        const char *lv = levels[rnd(NLEVELS)];
        if (wild && rnd(4) == 0) lv = "+";
        if (wild && i == depth - 1 && rnd(4) == 0) lv = "#";
        strncat(out, lv, cap - strlen(out) - 1);
    }
}

/* The live ref for (filter, owner), or -1. */
static int findLive(const Ref *refs, const char *filter, const void *owner) {
    for (int i = 0; i < NFILTERS; i++)
        if (refs[i].live && refs[i].owner == owner && strcmp(refs[i].filter, filter) == 0) return i;
    return -1;
}

static void checkHit(void *owner, uint32_t data, const char *filter, void *ctx) {
    Check *c = ctx;
    assert_true(data < NFILTERS);
    assert_true(c->refs[data].live);
    assert_ptr_equal(owner, c->refs[data].owner);
    assert_string_equal(filter, c->refs[data].filter);
    c->hits[data]++;
}

/* Every valid random name: the index reports exactly the live
 * subscriptions whose filter topicMatch() says matches. */
static void checkNames(TopicIndex *ix, Ref *refs, uint64_t seed) {
    Check c = {.refs = refs};
    char name[64];
    size_t total = 0;
    rng = seed;
    for (int k = 0; k < NNAMES; k++) {
        randomTopic(name, sizeof(name), 0);
        if (!nameOk(name)) continue; /* the empty name */
        memset(c.hits, 0, sizeof(c.hits));
        size_t n = topicIndexMatch(ix, name, checkHit, &c), want = 0;
        for (int i = 0; i < NFILTERS; i++) {
            int expect = refs[i].live && topicMatch(refs[i].filter, name);
            if (c.hits[i] != expect)
                fail_msg("name \"%s\" filter \"%s\": %d hits, want %d", name, refs[i].filter,
                         c.hits[i], expect);
            want += (size_t)expect;
        }
        assert_int_equal(n, want);
        total += n;
    }
    assert_true(total > 0);
}

static void test_index_property(void **state) {
    (void)state;
    static Ref refs[NFILTERS];
    static char owners[NOWNERS];
    for (uint64_t seed = 1; seed <= 5; seed++) {
        TopicIndex *ix = topicIndexNew();
        memset(refs, 0, sizeof(refs));
        rng = 0x9E3779B97F4A7C15ULL * seed;
        for (int i = 0; i < NFILTERS; i++) {
            Ref *r = &refs[i];
            do
                randomTopic(r->filter, sizeof(r->filter), 1);
            while (!filterOk(r->filter)); /* the empty filter */
            r->owner = &owners[rnd(NOWNERS)];
            int old = findLive(refs, r->filter, r->owner);
            assert_int_equal(topicIndexAdd(ix, r->filter, r->owner, (uint32_t)i), old < 0 ? 1 : 0);
            if (old >= 0) refs[old].live = 0;
            r->live = 1;
        }
        checkNames(ix, refs, seed * 7919);
        /* Remove about half, then one owner entirely. */
        rng = seed * 104729;
        for (int i = 0; i < NFILTERS; i++) {
            if (rnd(2)) continue;
            /* A dead ref may share its pair with a live, later one. */
            int live = findLive(refs, refs[i].filter, refs[i].owner);
            assert_int_equal(topicIndexRemove(ix, refs[i].filter, refs[i].owner), live >= 0);
            if (live >= 0) refs[live].live = 0;
        }
        checkNames(ix, refs, seed * 7919 + 1);
        size_t gone = 0;
        for (int i = 0; i < NFILTERS; i++) {
            if (refs[i].live && refs[i].owner == &owners[0]) refs[i].live = 0, gone++;
        }
        assert_int_equal(topicIndexRemoveOwner(ix, &owners[0]), gone);
        checkNames(ix, refs, seed * 7919 + 2);
        size_t live = 0;
        for (int i = 0; i < NFILTERS; i++)
            live += (size_t)refs[i].live;
        assert_int_equal(topicIndexCount(ix), live);
        for (int o = 1; o < NOWNERS; o++)
            topicIndexRemoveOwner(ix, &owners[o]);
        assert_int_equal(topicIndexCount(ix), 0);
        assert_int_equal(topicIndexNodes(ix), 0);
        topicIndexFree(ix);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_multilevel),
        cmocka_unit_test(test_spec_singlelevel),
        cmocka_unit_test(test_spec_dollar),
        cmocka_unit_test(test_match_edges),
        cmocka_unit_test(test_spec_index),
        cmocka_unit_test(test_name_valid),
        cmocka_unit_test(test_length_limit),
        cmocka_unit_test(test_filter_valid),
        cmocka_unit_test(test_index_add_replace_remove),
        cmocka_unit_test(test_index_prune),
        cmocka_unit_test(test_index_overlap_and_owner),
        cmocka_unit_test(test_index_many),
        cmocka_unit_test(test_index_deep),
        cmocka_unit_test(test_index_reentrant),
        cmocka_unit_test(test_index_property),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
