/*
 * spif.h -- the security policy as data: an XML-SPIF 2.1 reader.
 *
 * A Spif holds what the label codecs and the decision need to know about
 * one security policy: its classifications in order, its category tag sets
 * (permissive, restrictive, informative) with their values, which values
 * are excluded at which classifications, and the phrases used in display
 * markings.  Nothing about the NATO policy is written in C: it all comes
 * from data/policy/nato-spif.xml.
 *
 * After loading, spifBindRegistry() ties every permissive value to the
 * nation or group it names in the registry and adds the registry's
 * communities of interest as permissive values, so that a label can be
 * released to an exercise community the operator defined.
 *
 * A Spif is immutable after binding; any number of threads may read it.
 */
#ifndef PN_SPIF_H
#define PN_SPIF_H

#include <stddef.h>
#include <stdint.h>

#include "../core/err.h"
#include "../registry/registry.h"

#define SPIF_MAX_CLASSES 16
#define SPIF_MAX_TAGSETS 16
#define SPIF_MAX_RESTRICTIVE 64 /* restrictive values fit one 64-bit mask */
#define SPIF_MAX_FILE (1u << 20)

typedef enum { TAG_PERMISSIVE = 0, TAG_RESTRICTIVE = 1, TAG_INFORMATIVE = 2 } TagType;

/* What a permissive value releases to. */
enum { TARGET_NONE = 0, TARGET_NATION = 1, TARGET_GROUP = 2 };

typedef struct SpifClass {
    char name[32];   /* as in STANAG 4774 XML: SECRET */
    char phrase[48]; /* as in markings: NATO SECRET */
    uint32_t lacv;
    uint32_t hierarchy;
} SpifClass;

typedef struct SpifValue {
    char name[48];   /* GenericValue text: SWE, ATOMAL */
    char phrase[64]; /* marking phrase */
    uint32_t lacv;
    uint32_t excluded; /* bit c set: not allowed at classification index c */
    uint8_t bit;       /* restrictive values: bit in the caveat mask */
    uint8_t targetKind;
    uint16_t target; /* nation or group index */
} SpifValue;

typedef struct SpifTagSet {
    char name[48]; /* Category @TagName: "Releasable To" */
    char id[160];
    TagType type;
    char prefix[32];   /* marking qualifier prefix: "REL TO " */
    char separator[8]; /* between values: ", " */
    SpifValue *values;
    size_t nvalues;
    size_t capvalues;
} SpifTagSet;

typedef struct Spif {
    char policyName[32];                 /* NATO */
    char policyId[64];                   /* 1.3.26.1.3.1 */
    SpifClass classes[SPIF_MAX_CLASSES]; /* sorted by hierarchy, lowest first */
    size_t nclasses;
    SpifTagSet tagsets[SPIF_MAX_TAGSETS];
    size_t ntagsets;
    int nrestrictive;    /* restrictive values numbered 0..nrestrictive-1 */
    int releaseTagSet;   /* the permissive set communities are added to, or -1 */
    const Registry *reg; /* set by spifBindRegistry, for suggestions; not owned */
} Spif;

/* Zero s.  Always pair with spifFree(). */
void spifInit(Spif *s);
void spifFree(Spif *s);

/*
 * Parse an XML-SPIF document.  libxml2 runs with network access, DTD
 * loading and entity substitution off; a document with a DOCTYPE is
 * refused.  Errors (PN_EINVAL, PN_ELIMIT, PN_EIO, PN_ENOMEM) name the
 * offending element.  On error s holds partial data: free it.
 */
int spifLoadMemory(Spif *s, const char *xml, size_t len, pnError *err);
int spifLoadFile(Spif *s, const char *path, pnError *err);

/*
 * Resolve each permissive value to the registry nation or group of the same
 * code, and add every registry community as a value of the permissive tag
 * set whose prefix is "REL TO " (or the first permissive set).  A
 * permissive value that names nothing in the registry is an error: policy
 * and registry disagree, and guessing would be worse.  s keeps a pointer to
 * r (for "did you mean" in marking errors): r must outlive s.
 */
int spifBindRegistry(Spif *s, const Registry *r, pnError *err);

/* Lookups (case-insensitive); each returns an index or -1. */
int spifClass(const Spif *s, const char *name);         /* by name: SECRET */
int spifClassPhrase(const Spif *s, const char *phrase); /* by phrase: NATO SECRET */
int spifTagSet(const Spif *s, const char *name);
int spifValue(const SpifTagSet *t, const char *name);

/* Clearance abbreviations NU NR NC NS CTS, or a classification name or
 * phrase; returns the classification index or -1. */
int spifClearance(const Spif *s, const char *text);

#endif
