/*
 * decide.h -- the one access decision.
 *
 *   decide(principal, label, at) -> allow | deny(reason)
 *
 * Every path that hands data out calls this function and nothing else
 * decides access.  It is pure (the answer depends only on its arguments
 * and the immutable registry they point to), deterministic, performs no
 * allocation and no I/O, and is safe to call from any thread.
 *
 * Semantics under the NATO policy (the registry's policy owner):
 *   1. clearance >= classification, else DENY_CLEARANCE;
 *   2. every restrictive value (caveat) is held, else DENY_CAVEAT;
 *   3. a member of the alliance on day `at` may receive; anyone else needs
 *      one permissive value that names its nation, a framework its nation
 *      belongs to on that day, or a community it belongs to (by its
 *      nation's participation or its own assignment) on that day, else
 *      DENY_NOT_YET_MEMBER / DENY_NO_LONGER_MEMBER (a named framework it
 *      joins later / has left) or DENY_NOT_RELEASABLE;
 *   4. above the lowest classification, a non-member needs a security
 *      agreement with the policy owner in force on that day, else
 *      DENY_NO_AGREEMENT.
 *
 * Labels and principals are compiled once (decideLabelCompile,
 * principalCompile) into bit sets, so a decision is a handful of
 * comparisons and AND instructions plus one short binary search.
 */
#ifndef PN_DECIDE_H
#define PN_DECIDE_H

#include <stddef.h>
#include <stdint.h>

#include "../core/bitset.h"
#include "../core/err.h"
#include "../label/label.h"
#include "../registry/registry.h"

typedef enum {
    DECIDE_ALLOW = 0,
    DENY_CLEARANCE = 1,
    DENY_CAVEAT = 2,
    DENY_NOT_RELEASABLE = 3,
    DENY_NOT_YET_MEMBER = 4,
    DENY_NO_LONGER_MEMBER = 5,
    DENY_NO_AGREEMENT = 6,
    DECIDE_NREASONS
} DecideReason;

/* Who receives.  Built by principalCompile(); plain data afterwards. */
typedef struct Principal {
    char name[64];
    const Registry *reg;
    uint16_t nation;   /* registry nation (or organisation) index */
    uint8_t clearance; /* classification index in the policy */
    GroupSet cois;     /* communities assigned to this principal itself */
    uint64_t caveats;  /* restrictive values held (SpifValue.bit) */
    /* Which principal instance this is (principals.json "id"; "" when not
     * from a principals entry): tokens and sessions are bound to it, not
     * to the name.  instanceV0: the entry has its version 0 id, so what
     * was recorded without an id belongs to it.  decide() does not read
     * these. */
    char instance[17];
    uint8_t instanceV0;
} Principal;

/* A label reduced to what decide() reads.  Built by decideLabelCompile(). */
typedef struct DecideLabel {
    uint8_t cls;
    uint8_t lowest;    /* cls == lowest: no security agreement needed */
    uint64_t caveats;  /* restrictive values required */
    NationSet nations; /* permissive values naming nations */
    GroupSet groups;   /* permissive values naming frameworks/communities */
} DecideLabel;

typedef struct Decision {
    DecideReason reason; /* DECIDE_ALLOW or why not */
    uint16_t detail;     /* DENY_CAVEAT: the first missing caveat bit;
                            DENY_NOT_YET/NO_LONGER: the group index */
} Decision;

/* Reduce a validated label to its decision form. */
void decideLabelCompile(const Label *l, DecideLabel *out);

/*
 * Parse a principal description "nation=SWE,clearance=NS[,coi=A+B][,caveat=X+Y][,name=N]"
 * against registry and policy into *p.  Values are case-insensitive;
 * clearance accepts NU NR NC NS CTS or a classification name.  Returns
 * PN_OK or PN_EINVAL with a sentence naming the bad part.
 */
int principalParse(Principal *p, const char *text, const Registry *r, const Spif *s, pnError *err);

/* Build a principal from its parts (names are looked up; same errors). */
int principalCompile(Principal *p, const char *name, const char *nation, const char *clearance,
                     const char *const *cois, size_t ncois, const char *const *caveats,
                     size_t ncaveats, const Registry *r, const Spif *s, pnError *err);

/* The decision for principal p, label l, at instant `at` (seconds). */
Decision decide(const Principal *p, const DecideLabel *l, int64_t at);

/* A fixed sentence for a reason ("clearance too low"). */
const char *decideReasonText(DecideReason r);

/* A short stable code for a reason ("clearance"), for logs and APIs. */
const char *decideReasonCode(DecideReason r);

/* The full explanation with names into buf ("missing caveat ATOMAL"). */
void decideExplain(const Decision *d, const Principal *p, const Spif *s, char *buf, size_t cap);

#endif
