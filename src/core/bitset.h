/*
 * bitset.h -- fixed-size bit sets for nations (256) and groups (128).
 *
 * Releasability checks are set intersections; with fixed-width words they
 * compile to a few AND/OR instructions and need no allocation.
 */
#ifndef PN_BITSET_H
#define PN_BITSET_H

#include <stdint.h>

#define PN_MAX_NATIONS 256 /* nations and organisations */
#define PN_MAX_GROUPS 128  /* frameworks and communities of interest */

typedef struct NationSet {
    uint64_t w[PN_MAX_NATIONS / 64];
} NationSet;

typedef struct GroupSet {
    uint64_t w[PN_MAX_GROUPS / 64];
} GroupSet;

#define PN_SET_OPS(T, N)                                                                           \
    static inline void T##Add(T *s, unsigned i) {                                                  \
        s->w[i >> 6] |= 1ULL << (i & 63);                                                          \
    }                                                                                              \
    static inline int T##Has(const T *s, unsigned i) {                                             \
        return (s->w[i >> 6] >> (i & 63)) & 1;                                                     \
    }                                                                                              \
    static inline int T##Intersects(const T *a, const T *b) {                                      \
        uint64_t x = 0;                                                                            \
        for (int k = 0; k < N / 64; k++)                                                           \
            x |= a->w[k] & b->w[k];                                                                \
        return x != 0;                                                                             \
    }                                                                                              \
    static inline int T##Count(const T *s) {                                                       \
        int c = 0;                                                                                 \
        for (int k = 0; k < N / 64; k++)                                                           \
            c += __builtin_popcountll(s->w[k]);                                                    \
        return c;                                                                                  \
    }

PN_SET_OPS(NationSet, PN_MAX_NATIONS)
PN_SET_OPS(GroupSet, PN_MAX_GROUPS)

#endif
