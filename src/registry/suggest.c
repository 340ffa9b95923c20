/*
 * suggest.c -- "did you mean": nearest known word by edit distance.
 */
#include "suggest.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

size_t suggestDistance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b), row[SUGGEST_MAX_WORD];
    if (la >= SUGGEST_MAX_WORD || lb >= SUGGEST_MAX_WORD) return SUGGEST_MAX_WORD;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            int same = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]);
            size_t up = row[j], best = diag + !same;
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

size_t suggestTypoLimit(const char *word, size_t minimum) {
    size_t third = strlen(word) / 3;
    return third > minimum ? third : minimum;
}

void suggestInit(Suggest *s, const char *word, size_t limit) {
    s->word = word;
    s->answer = NULL;
    s->dist = (size_t)-1;
    s->limit = limit;
}

void suggestOffer(Suggest *s, const char *candidate, const char *answer) {
    size_t d = suggestDistance(s->word, candidate);
    if (d < s->dist) s->dist = d, s->answer = answer;
}

const char *suggestResult(const Suggest *s) {
    /* A word as long as the limit is "close" to anything of its length. */
    if (!s->answer || s->dist > s->limit || s->dist >= strlen(s->word)) return NULL;
    return s->answer;
}

const char *registrySuggest(const Registry *r, const char *word, int kinds) {
    Suggest s;
    suggestInit(&s, word, suggestTypoLimit(word, 1));
    if (kinds & SUGGEST_NATIONS)
        for (size_t n = 0; n < r->nnations; n++) {
            suggestOffer(&s, r->nations[n].code, r->nations[n].code);
            suggestOffer(&s, r->nations[n].name, r->nations[n].code);
        }
    if (kinds & SUGGEST_GROUPS)
        for (size_t g = 0; g < r->ngroups; g++) {
            suggestOffer(&s, r->groups[g].id, r->groups[g].id);
            suggestOffer(&s, r->groups[g].name, r->groups[g].id);
        }
    return suggestResult(&s);
}

const char *registryDidYouMean(const Registry *r, const char *word, int kinds, char *buf,
                               size_t cap) {
    const char *best = r ? registrySuggest(r, word, kinds) : NULL;
    if (best)
        snprintf(buf, cap, " (did you mean '%s'?)", best);
    else if (cap)
        buf[0] = '\0';
    return buf;
}
