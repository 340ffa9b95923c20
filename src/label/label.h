/*
 * label.h -- the confidentiality label: model, validation, combination.
 *
 * A Label names a policy, a classification and category values (each a
 * value of one of the policy's tag sets), plus creation time, optional
 * review time and optional originator.  Labels are always interpreted
 * against a bound Spif (spif.h) which must outlive them.
 *
 * Two codecs read and write labels:
 *   label_xml.c      STANAG 4774 XML (originatorConfidentialityLabel)
 *   label_marking.c  display markings ("NATO SECRET REL TO NATO, SWE")
 * Both produce labels that have passed labelValidate(): a label that does
 * not parse, names an unknown value or breaks a policy rule is refused
 * with a reason naming the offending part -- never guessed, never
 * truncated.
 */
#ifndef PN_LABEL_H
#define PN_LABEL_H

#include <stddef.h>
#include <stdint.h>

#include "../core/buf.h"
#include "../core/err.h"
#include "spif.h"

#define LABEL_MAX_VALUES 512
#define LABEL_MAX_XML (64u * 1024u)

/* One category value: spif->tagsets[tagset].values[value]. */
typedef struct LabelCat {
    uint16_t tagset;
    uint16_t value;
} LabelCat;

typedef struct Label {
    const Spif *policy;
    int cls;        /* index into policy->classes; -1 before parsing */
    LabelCat *cats; /* in the order given; no duplicates */
    size_t ncats;
    size_t capcats;
    int64_t created; /* seconds since epoch; 0 when not stated */
    int64_t review;  /* 0 when none */
    char originator[128];
} Label;

/* Start an empty label under policy.  Pair with labelFree(). */
void labelInit(Label *l, const Spif *policy);
void labelFree(Label *l);

/* Add a category value unless already present.  Returns PN_OK, PN_ELIMIT
 * past LABEL_MAX_VALUES or PN_ENOMEM. */
int labelAddCat(Label *l, int tagset, int value);

/* Non-zero when the label carries that value. */
int labelHasCat(const Label *l, int tagset, int value);

/*
 * Check the label against its policy: a classification is set, the value
 * count is within LABEL_MAX_VALUES, and no value is excluded at the
 * label's classification.  Returns PN_OK or PN_EINVAL with a sentence
 * naming the value and the classification.
 */
int labelValidate(const Label *l, pnError *err);

/*
 * The dominant label of a and b, for a product derived from both: the
 * higher classification; permissive values present in both (a value only
 * one side releases to is dropped, which can only narrow release);
 * restrictive and informative values of either.  The intersection is on
 * values as written, so it is conservative: REL TO EU with REL TO SWE
 * gives no release beyond the alliance, even though SWE is in the EU.
 * out must be initialised; both labels must share a policy.  The result
 * is validated (dominating can raise the classification past an excluded
 * value's limit, which drops that permissive value, never widens).
 */
int labelDominate(const Label *a, const Label *b, Label *out, pnError *err);

/* Label equality as sets (order of values does not matter), times and
 * originator included. */
int labelEqual(const Label *a, const Label *b);

/* STANAG 4774 XML codec (label_xml.c).  Parse refuses documents larger
 * than LABEL_MAX_XML.  Encode appends to out. */
int labelParseXml(Label *l, const char *xml, size_t len, pnError *err);
int labelToXml(const Label *l, pnBuf *out);

/* Display-marking codec (label_marking.c).  Parse accepts lower case,
 * runs of spaces, "RELEASABLE TO" for "REL TO" and '/' between values.
 * Encode appends the canonical marking to out. */
int labelParseMarking(Label *l, const char *text, pnError *err);
int labelToMarking(const Label *l, pnBuf *out);

/* Either form: XML when the first non-blank byte is '<', else marking. */
int labelParse(Label *l, const char *text, size_t len, pnError *err);

#endif
