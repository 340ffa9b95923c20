/*
 * acl.c -- topic access rules (see acl.h for the file format and the
 * meaning).  The rules are a flat list read once (and again at a reload);
 * a check walks it.  ACLs are optional and their lists short, so a walk is
 * cheaper than any index would be to keep right.
 */
#include "acl.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/str.h"
#include "topic.h"

enum { SUBJ_ALL, SUBJ_PRINCIPAL, SUBJ_NATION, SUBJ_PATTERN };

typedef struct AclRule {
    int subject;  /* SUBJ_* */
    char *who;    /* principal name or nation code (SUBJ_PRINCIPAL, SUBJ_NATION) */
    int access;   /* ACL_READ | ACL_WRITE */
    char *filter; /* topic filter; for SUBJ_PATTERN with %u / %n */
} AclRule;

struct Acl {
    AclRule *rules;
    size_t n, cap;
};

void aclFree(Acl *a) {
    if (!a) return;
    for (size_t i = 0; i < a->n; i++) {
        free(a->rules[i].who);
        free(a->rules[i].filter);
    }
    free(a->rules);
    free(a);
}

static int addRule(Acl *a, int subject, const char *who, int access, const char *filter) {
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        AclRule *r = realloc(a->rules, cap * sizeof(*r));
        if (!r) return -1;
        a->rules = r;
        a->cap = cap;
    }
    AclRule *r = &a->rules[a->n];
    r->subject = subject;
    r->access = access;
    r->who = who ? strdup(who) : NULL;
    r->filter = strdup(filter);
    if ((who && !r->who) || !r->filter) {
        free(r->who);
        free(r->filter);
        return -1;
    }
    a->n++;
    return 0;
}

static int parseAccess(const char *w) {
    if (strcmp(w, "read") == 0) return ACL_READ;
    if (strcmp(w, "write") == 0) return ACL_WRITE;
    if (strcmp(w, "readwrite") == 0) return ACL_READ | ACL_WRITE;
    return 0;
}

/* Split line into at most 3 whitespace-separated words; returns the count
 * (4 when there are more). */
static int words(char *line, char *w[3]) {
    int n = 0;
    for (char *p = line;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p) return n;
        if (n == 3) return 4;
        w[n++] = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (*p) *p++ = '\0';
    }
}

/* One line of the file: a subject line changes *subj/who, a rule line adds. */
static int parseLine(Acl *a, char *line, int *subj, char *who, size_t whoCap, const char *path,
                     int lineNo, pnError *err) {
    char *w[3];
    int n = words(line, w);
    if (n == 0 || w[0][0] == '#') return PN_OK;
    if (n == 1 && strcmp(w[0], "all") == 0) {
        *subj = SUBJ_ALL;
        return PN_OK;
    }
    if (n == 2 && (strcmp(w[0], "principal") == 0 || strcmp(w[0], "nation") == 0)) {
        if (strCopy(who, whoCap, w[1]) != 0)
            return pnErrorSet(err, PN_EINVAL, "%s:%d: name too long", path, lineNo);
        *subj = w[0][0] == 'p' ? SUBJ_PRINCIPAL : SUBJ_NATION;
        return PN_OK;
    }
    if (n == 3 && (strcmp(w[0], "topic") == 0 || strcmp(w[0], "pattern") == 0)) {
        int access = parseAccess(w[1]);
        if (!access)
            return pnErrorSet(err, PN_EINVAL, "%s:%d: '%s' is not read, write or readwrite", path,
                              lineNo, w[1]);
        if (!topicFilterValid(w[2], strlen(w[2])))
            return pnErrorSet(err, PN_EINVAL, "%s:%d: '%s' is not a valid topic filter", path,
                              lineNo, w[2]);
        int s = w[0][1] == 'a' ? SUBJ_PATTERN : *subj;
        if (addRule(a, s, s == SUBJ_PRINCIPAL || s == SUBJ_NATION ? who : NULL, access, w[2]))
            return pnErrorSet(err, PN_ENOMEM, "out of memory");
        return PN_OK;
    }
    return pnErrorSet(err, PN_EINVAL,
                      "%s:%d: expected 'topic|pattern read|write|readwrite FILTER', "
                      "'principal NAME', 'nation CODE' or 'all'",
                      path, lineNo);
}

int aclLoad(Acl **out, const char *path, pnError *err) {
    *out = NULL;
    char *text = NULL;
    if (fileRead(path, 1 << 22, &text, NULL) != 0)
        return pnErrorSet(err, PN_EIO, "cannot read the ACL file '%s'", path);
    Acl *a = calloc(1, sizeof(*a));
    if (!a) {
        free(text);
        return pnErrorSet(err, PN_ENOMEM, "out of memory");
    }
    int subj = SUBJ_ALL, lineNo = 0, rc = PN_OK;
    char who[128] = "";
    char *save = NULL;
    /* strtok_r skips empty lines, so count them by hand. */
    for (char *l = text; l && rc == PN_OK; l = save) {
        save = strchr(l, '\n');
        if (save) *save++ = '\0';
        lineNo++;
        rc = parseLine(a, l, &subj, who, sizeof(who), path, lineNo, err);
    }
    free(text);
    if (rc != PN_OK) {
        aclFree(a);
        return rc;
    }
    *out = a;
    return PN_OK;
}

/* Level by level: f1 covers f2 when each topic f2 matches, f1 matches. */
int aclFilterCovers(const char *f1, const char *f2) {
    for (;;) {
        size_t l1 = strcspn(f1, "/"), l2 = strcspn(f2, "/");
        if (l1 == 1 && f1[0] == '#') return 1;
        if (l2 == 1 && f2[0] == '#') return 0; /* only '#' covers '#' */
        if (l2 == 1 && f2[0] == '+') {
            if (!(l1 == 1 && f1[0] == '+')) return 0;
        } else if (!(l1 == 1 && f1[0] == '+') && (l1 != l2 || memcmp(f1, f2, l1) != 0)) {
            return 0;
        }
        f1 += l1;
        f2 += l2;
        if (!*f2) return !*f1 || strcmp(f1, "/#") == 0; /* "a/#" also matches "a" */
        if (!*f1) return 0;
        f1++;
        f2++;
    }
}

/* The rule's filter for who: patterns substituted (into buf, or NULL when
 * the name cannot be used in a topic). */
static const char *ruleFilter(const AclRule *r, const AclWho *who, char *buf, size_t cap) {
    if (r->subject == SUBJ_PRINCIPAL) return strcmp(r->who, who->name) == 0 ? r->filter : NULL;
    if (r->subject == SUBJ_NATION) return strcasecmp(r->who, who->nation) == 0 ? r->filter : NULL;
    if (r->subject == SUBJ_ALL) return r->filter;
    size_t o = 0;
    for (const char *p = r->filter; *p; p++) {
        const char *sub = NULL;
        if (p[0] == '%' && p[1] == 'u') sub = who->name;
        if (p[0] == '%' && p[1] == 'n') sub = who->nation;
        if (sub) {
            if (!*sub || strpbrk(sub, "/+#")) return NULL;
            size_t n = strlen(sub);
            if (o + n >= cap) return NULL;
            memcpy(buf + o, sub, n);
            o += n;
            p++;
        } else {
            if (o + 1 >= cap) return NULL;
            buf[o++] = *p;
        }
    }
    buf[o] = '\0';
    return buf;
}

/* 1 when a rule of who's with access opens what: match(rule filter, what). */
static int allows(const Acl *a, const AclWho *who, int access, const char *what,
                  int (*match)(const char *rule, const char *what)) {
    if (!a) return 1;
    char buf[1024];
    for (size_t i = 0; i < a->n; i++) {
        if (!(a->rules[i].access & access)) continue;
        const char *f = ruleFilter(&a->rules[i], who, buf, sizeof(buf));
        if (f && match(f, what)) return 1;
    }
    return 0;
}

int aclAllowsTopic(const Acl *a, const AclWho *who, int access, const char *topic) {
    return allows(a, who, access, topic, topicMatch);
}

int aclAllowsFilter(const Acl *a, const AclWho *who, const char *filter) {
    return allows(a, who, ACL_READ, filter, aclFilterCovers);
}
