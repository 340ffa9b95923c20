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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/str.h"
#include "../registry/suggest.h"
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

/* How many leading words of phrase the tokens from t->tok[at] spell;
 * *whole says whether that is all of them. */
static int wordsMatched(const Tokens *t, int at, const char *phrase, int *whole) {
    int k = at;
    const char *p = phrase;
    *whole = 0;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p) break;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        if (k >= t->n || strlen(t->tok[k]) != (size_t)(e - p) ||
            strncasecmp(t->tok[k], p, (size_t)(e - p)) != 0)
            return k - at;
        k++;
        p = e;
    }
    *whole = 1;
    return k - at;
}

/* How many tokens from t->tok[at] spell phrase (word by word), or 0. */
static int matchPhrase(const Tokens *t, int at, const char *phrase) {
    int whole, n = wordsMatched(t, at, phrase, &whole);
    return whole ? n : 0;
}

/* Number of words in a phrase. */
static int phraseWords(const char *phrase) {
    int n = 0;
    for (const char *p = phrase; *p;) {
        while (*p == ' ')
            p++;
        if (!*p) break;
        n++;
        while (*p && *p != ' ')
            p++;
    }
    return n;
}

/* Tokens at..at+n-1 (stopping before ',' or '/') joined by blanks into buf. */
static void joinWords(const Tokens *t, int at, int n, char *buf, size_t cap) {
    size_t o = 0;
    buf[0] = '\0';
    for (int k = at; k < t->n && k < at + n && t->tok[k][0] != ',' && t->tok[k][0] != '/'; k++) {
        int w = snprintf(buf + o, cap - o, "%s%s", o ? " " : "", t->tok[k]);
        if (w < 0 || (size_t)w >= cap - o) break;
        o += (size_t)w;
    }
}

/* Length of phrase without its trailing blanks ("REL TO " -> 6). */
static int trimmedLen(const char *phrase) {
    size_t n = strlen(phrase);
    while (n && phrase[n - 1] == ' ')
        n--;
    return (int)n;
}

/* Offer each phrase (as many words from `at` as it has) to sg. */
static void offerPhrase(Suggest *sg, const Tokens *t, int at, const char *phrase, char *buf,
                        size_t cap) {
    char want[128];
    snprintf(want, sizeof(want), "%.*s", trimmedLen(phrase), phrase);
    joinWords(t, at, phraseWords(phrase), buf, cap);
    size_t d = suggestDistance(buf, want);
    if (d < sg->dist && d <= suggestTypoLimit(phrase, 1)) sg->dist = d, sg->answer = phrase;
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

/* A release value the policy does not know: suggest the registry code
 * whose code or name is nearest, reading a multi-word name ("UNITED
 * KINGDOM") up to the next separator. */
static int unknownRelease(const Spif *s, const Tokens *t, int at, pnError *err) {
    char words[SUGGEST_MAX_WORD], hint[SUGGEST_MAX_WORD + 32];
    joinWords(t, at, t->n, words, sizeof(words));
    registryDidYouMean(s->reg, words, SUGGEST_NATIONS | SUGGEST_GROUPS, hint, sizeof(hint));
    if (!hint[0] && strcmp(words, t->tok[at]) != 0)
        registryDidYouMean(s->reg, t->tok[at], SUGGEST_NATIONS | SUGGEST_GROUPS, hint,
                           sizeof(hint));
    return pnErrorSet(err, PN_EINVAL, "unknown nation or framework '%s'%s", words, hint);
}

/* Parse "v1, v2 / v3" after a prefix; *at advances past the list. */
static int parseRelease(Label *l, const Tokens *t, int *at, int ts, pnError *err) {
    const SpifTagSet *set = &l->policy->tagsets[ts];
    for (;;) {
        if (*at >= t->n || t->tok[*at][0] == ',' || t->tok[*at][0] == '/')
            return pnErrorSet(err, PN_EINVAL, "'%s' must be followed by a value", set->prefix);
        const char *w = t->tok[*at];
        int v = spifValue(set, w);
        if (v < 0) return unknownRelease(l->policy, t, *at, err);
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

/* No classification at the start: point at the first word that is not part
 * of one ("SEKRET" in "NATO SEKRET"), with the nearest phrase or name. */
static int unknownClassification(const Spif *s, const Tokens *t, pnError *err) {
    int at = 0;
    for (size_t c = 0; c < s->nclasses; c++) {
        int whole, k = wordsMatched(t, 0, s->classes[c].phrase, &whole);
        if (k > at && k < t->n) at = k;
    }
    Suggest sg;
    suggestInit(&sg, "", 0);
    char buf[128];
    for (size_t c = 0; c < s->nclasses; c++) {
        offerPhrase(&sg, t, 0, s->classes[c].phrase, buf, sizeof(buf));
        offerPhrase(&sg, t, 0, s->classes[c].name, buf, sizeof(buf));
    }
    if (sg.answer)
        return pnErrorSet(err, PN_EINVAL, "unknown classification at '%s' (did you mean '%s'?)",
                          t->tok[at], sg.answer);
    return pnErrorSet(err, PN_EINVAL, "unknown classification at '%s' (expected e.g. '%s')",
                      t->tok[at], s->classes[s->nclasses > 3 ? 3 : 0].phrase);
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
        return unknownClassification(s, t, err);
    }
    *at = best;
    return PN_OK;
}

/* A word that starts no element: name the nearest restrictive or
 * informative phrase or permissive prefix, if one is close. */
static int unknownElement(const Spif *s, const Tokens *t, int at, pnError *err) {
    Suggest sg;
    suggestInit(&sg, "", 0);
    char buf[128];
    for (size_t ts = 0; ts < s->ntagsets; ts++) {
        const SpifTagSet *set = &s->tagsets[ts];
        if (set->type == TAG_PERMISSIVE) {
            if (set->prefix[0]) offerPhrase(&sg, t, at, set->prefix, buf, sizeof(buf));
            continue;
        }
        for (size_t v = 0; v < set->nvalues; v++)
            offerPhrase(&sg, t, at, set->values[v].phrase, buf, sizeof(buf));
    }
    if (sg.answer)
        return pnErrorSet(err, PN_EINVAL, "unknown marking element '%s' (did you mean '%.*s'?)",
                          t->tok[at], trimmedLen(sg.answer), sg.answer);
    return pnErrorSet(err, PN_EINVAL, "unknown marking element '%s'", t->tok[at]);
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
    if (!best) return unknownElement(s, t, *at, err);
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
