/*
 * suggest.h -- "did you mean": the nearest known word to a mistyped one.
 *
 * Operators type nation names where codes are expected ("Sweden" for SWE)
 * and misspell marking words ("SEKRET").  A Suggest collects candidates
 * (each with the answer to offer, e.g. the name "Georgia" answering "GEO")
 * and keeps the closest by case-insensitive edit distance, so an error can
 * name what was probably meant.  registrySuggest() does this over the
 * registry's codes and names.
 */
#ifndef PN_SUGGEST_H
#define PN_SUGGEST_H

#include <stddef.h>

#include "registry.h"

/* Words longer than this are never compared (no typo of a known word). */
#define SUGGEST_MAX_WORD 96

typedef struct Suggest {
    const char *word;   /* what was typed; not owned */
    const char *answer; /* best answer so far, or NULL; not owned */
    size_t dist;        /* its distance */
    size_t limit;       /* farthest distance still offered */
} Suggest;

/* Case-insensitive Levenshtein distance; SUGGEST_MAX_WORD when either word
 * is SUGGEST_MAX_WORD bytes or longer. */
size_t suggestDistance(const char *a, const char *b);

/* Start collecting for word, offering answers at most limit edits away.
 * suggestTypoLimit(word) is the usual limit: a third of its length, at least
 * minimum. */
void suggestInit(Suggest *s, const char *word, size_t limit);
size_t suggestTypoLimit(const char *word, size_t minimum);

/* Compare candidate with the word; remember answer (the string to offer,
 * often candidate itself) when it is the closest so far.  answer and
 * candidate must outlive s. */
void suggestOffer(Suggest *s, const char *candidate, const char *answer);

/* The answer to offer, or NULL when nothing was close enough. */
const char *suggestResult(const Suggest *s);

/* Registry kinds to search. */
enum { SUGGEST_NATIONS = 1, SUGGEST_GROUPS = 2 };

/*
 * The nation or organisation code (SUGGEST_NATIONS) and/or framework or
 * community id (SUGGEST_GROUPS) nearest to word, compared with both codes
 * and names ("Sweden", "SWEDN" -> "SWE"); NULL when none is close.  The
 * string returned belongs to r.
 */
const char *registrySuggest(const Registry *r, const char *word, int kinds);

/*
 * " (did you mean 'SWE'?)" into buf for an error message, or "" when
 * registrySuggest finds nothing.  Returns buf.
 */
const char *registryDidYouMean(const Registry *r, const char *word, int kinds, char *buf,
                               size_t cap);

#endif
