/*
 * label_marking.c -- display-marking codec ("NATO SECRET REL TO NATO, SWE").
 *
 * Grammar (case-insensitive, any run of blanks between words):
 *
 *   marking   = classification { element }
 *   element   = release | phrase
 *   release   = prefix value { ("," | "/") value }      prefix from the SPIF,
 *                                                       "RELEASABLE TO" = "REL TO"
 *   phrase    = marking phrase of a restrictive or informative value
 *
 * Canonical output: classification phrase, restrictive values, each
 * permissive tag set as "PREFIX v1, v2" in label order, informative values.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/str.h"
#include "label.h"

#define MARK_MAX_LEN 8192
#define MARK_MAX_TOKENS 2048

typedef struct {
    char *tok[MARK_MAX_TOKENS];
    int n;
    char copy[MARK_MAX_LEN + MARK_MAX_TOKENS + 1];
} Tokens;

/* Split text into upper-case words, with ',' and '/' as their own tokens. */
static int tokenize(const char *text, Tokens *t, pnError *err) {
    size_t len = strlen(text), o = 0;
    if (len > MARK_MAX_LEN)
        return pnErrorSet(err, PN_ELIMIT, "marking is %zu characters; the limit is %d", len,
                          MARK_MAX_LEN);
    t->n = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)text[i];
        if (isspace(c)) {
            i++;
            continue;
        }
        if (t->n >= MARK_MAX_TOKENS)
            return pnErrorSet(err, PN_ELIMIT, "marking has too many words");
        t->tok[t->n++] = &t->copy[o];
        if (c == ',' || c == '/') {
            t->copy[o++] = (char)c;
            i++;
        } else {
            while (i < len && !isspace((unsigned char)text[i]) && text[i] != ',' && text[i] != '/')
                t->copy[o++] = (char)toupper((unsigned char)text[i++]);
        }
        t->copy[o++] = '\0';
    }
    return PN_OK;
}

/* How many tokens from t->tok[at] spell phrase (word by word), or 0. */
static int matchPhrase(const Tokens *t, int at, const char *phrase) {
    int k = at;
    const char *p = phrase;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p) break;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        if (k >= t->n || strlen(t->tok[k]) != (size_t)(e - p) ||
            strncasecmp(t->tok[k], p, (size_t)(e - p)) != 0)
            return 0;
        k++;
        p = e;
    }
    return k - at;
}

/* Length of a permissive tag set's prefix at `at`, accepting the long form
 * "RELEASABLE TO" where the SPIF says "REL TO". */
static int matchPrefix(const Tokens *t, int at, const SpifTagSet *ts) {
    if (!ts->prefix[0]) return 0;
    int n = matchPhrase(t, at, ts->prefix);
    if (!n && strcmp(ts->prefix, "REL TO ") == 0) n = matchPhrase(t, at, "RELEASABLE TO");
    return n;
}

static int addOrFail(Label *l, int ts, int v, pnError *err) {
    int rc = labelAddCat(l, ts, v);
    if (rc == PN_ELIMIT)
        return pnErrorSet(err, rc, "label has more than %d category values", LABEL_MAX_VALUES);
    if (rc) return pnErrorSet(err, rc, "out of memory");
    return PN_OK;
}

/* Parse "v1, v2 / v3" after a prefix; *at advances past the list. */
static int parseRelease(Label *l, const Tokens *t, int *at, int ts, pnError *err) {
    const SpifTagSet *set = &l->policy->tagsets[ts];
    for (;;) {
        if (*at >= t->n || t->tok[*at][0] == ',' || t->tok[*at][0] == '/')
            return pnErrorSet(err, PN_EINVAL, "'%s' must be followed by a value", set->prefix);
        const char *w = t->tok[*at];
        int v = spifValue(set, w);
        if (v < 0) return pnErrorSet(err, PN_EINVAL, "unknown nation or framework '%s'", w);
        int rc = addOrFail(l, ts, v, err);
        if (rc) return rc;
        (*at)++;
        if (*at < t->n && (t->tok[*at][0] == ',' || t->tok[*at][0] == '/')) {
            (*at)++;
            continue;
        }
        return PN_OK;
    }
}

static int parseClassification(Label *l, const Tokens *t, int *at, pnError *err) {
    const Spif *s = l->policy;
    int best = 0;
    for (size_t c = 0; c < s->nclasses; c++) {
        int n = matchPhrase(t, 0, s->classes[c].phrase);
        if (!n) n = matchPhrase(t, 0, s->classes[c].name);
        if (n > best) best = n, l->cls = (int)c;
    }
    if (!best) {
        if (t->n == 0) return pnErrorSet(err, PN_EINVAL, "empty marking");
        return pnErrorSet(err, PN_EINVAL, "unknown classification at '%s' (expected e.g. '%s')",
                          t->tok[0], s->classes[s->nclasses > 3 ? 3 : 0].phrase);
    }
    *at = best;
    return PN_OK;
}

/* One element at *at: a permissive prefix with its list, or the longest
 * restrictive/informative phrase. */
static int parseElement(Label *l, const Tokens *t, int *at, pnError *err) {
    const Spif *s = l->policy;
    for (size_t ts = 0; ts < s->ntagsets; ts++) {
        if (s->tagsets[ts].type != TAG_PERMISSIVE) continue;
        int n = matchPrefix(t, *at, &s->tagsets[ts]);
        if (n) {
            *at += n;
            return parseRelease(l, t, at, (int)ts, err);
        }
    }
    int best = 0, bts = -1, bv = -1;
    for (size_t ts = 0; ts < s->ntagsets; ts++) {
        const SpifTagSet *set = &s->tagsets[ts];
        if (set->type == TAG_PERMISSIVE) continue;
        for (size_t v = 0; v < set->nvalues; v++) {
            int n = matchPhrase(t, *at, set->values[v].phrase);
            if (n > best) best = n, bts = (int)ts, bv = (int)v;
        }
    }
    if (!best) return pnErrorSet(err, PN_EINVAL, "unknown marking element '%s'", t->tok[*at]);
    *at += best;
    return addOrFail(l, bts, bv, err);
}

int labelParseMarking(Label *l, const char *text, pnError *err) {
    labelFree(l);
    Tokens *t = malloc(sizeof(*t));
    if (!t) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    int at = 0, rc = tokenize(text, t, err);
    if (rc == PN_OK) rc = parseClassification(l, t, &at, err);
    while (rc == PN_OK && at < t->n)
        rc = parseElement(l, t, &at, err);
    free(t);
    if (rc == PN_OK) rc = labelValidate(l, err);
    if (rc != PN_OK) labelFree(l);
    return rc;
}

static void putValues(const Label *l, pnBuf *out, TagType type) {
    const Spif *s = l->policy;
    for (size_t i = 0; i < l->ncats; i++) {
        const SpifTagSet *set = &s->tagsets[l->cats[i].tagset];
        if (set->type == type) bufPrintf(out, " %s", set->values[l->cats[i].value].phrase);
    }
}

int labelToMarking(const Label *l, pnBuf *out) {
    const Spif *s = l->policy;
    if (l->cls < 0) return PN_EINVAL;
    bufPuts(out, s->classes[l->cls].phrase);
    putValues(l, out, TAG_RESTRICTIVE);
    for (size_t ts = 0; ts < s->ntagsets; ts++) {
        const SpifTagSet *set = &s->tagsets[ts];
        if (set->type != TAG_PERMISSIVE) continue;
        int n = 0;
        for (size_t i = 0; i < l->ncats; i++) {
            if (l->cats[i].tagset != ts) continue;
            if (!n++)
                bufPrintf(out, " %s", set->prefix);
            else
                bufPuts(out, set->separator);
            bufPuts(out, set->values[l->cats[i].value].phrase);
        }
    }
    putValues(l, out, TAG_INFORMATIVE);
    return bufFailed(out) ? PN_ENOMEM : PN_OK;
}
