/*
 * label.c -- label model, validation and dominance (see label.h).
 */
#include "label.h"

#include <stdlib.h>
#include <string.h>

void labelInit(Label *l, const Spif *policy) {
    memset(l, 0, sizeof(*l));
    l->policy = policy;
    l->cls = -1;
}

void labelFree(Label *l) {
    free(l->cats);
    labelInit(l, l->policy);
}

int labelHasCat(const Label *l, int tagset, int value) {
    for (size_t i = 0; i < l->ncats; i++)
        if (l->cats[i].tagset == tagset && l->cats[i].value == value) return 1;
    return 0;
}

int labelAddCat(Label *l, int tagset, int value) {
    if (labelHasCat(l, tagset, value)) return PN_OK;
    if (l->ncats >= LABEL_MAX_VALUES) return PN_ELIMIT;
    if (l->ncats == l->capcats) {
        size_t cap = l->capcats ? l->capcats * 2 : 8;
        LabelCat *p = realloc(l->cats, cap * sizeof(*p));
        if (!p) return PN_ENOMEM;
        l->cats = p;
        l->capcats = cap;
    }
    l->cats[l->ncats].tagset = (uint16_t)tagset;
    l->cats[l->ncats].value = (uint16_t)value;
    l->ncats++;
    return PN_OK;
}

int labelValidate(const Label *l, pnError *err) {
    const Spif *s = l->policy;
    if (l->cls < 0 || (size_t)l->cls >= s->nclasses)
        return pnErrorSet(err, PN_EINVAL, "label has no classification");
    if (l->ncats > LABEL_MAX_VALUES)
        return pnErrorSet(err, PN_ELIMIT, "label has more than %d category values",
                          LABEL_MAX_VALUES);
    for (size_t i = 0; i < l->ncats; i++) {
        const SpifTagSet *t = &s->tagsets[l->cats[i].tagset];
        const SpifValue *v = &t->values[l->cats[i].value];
        if (v->excluded & (1u << l->cls))
            return pnErrorSet(err, PN_EINVAL, "value '%s' of category '%s' is not allowed at %s",
                              v->name, t->name, s->classes[l->cls].phrase);
    }
    return PN_OK;
}

int labelDominate(const Label *a, const Label *b, Label *out, pnError *err) {
    if (a->policy != b->policy)
        return pnErrorSet(err, PN_EINVAL, "labels are under different policies");
    labelFree(out);
    out->policy = a->policy;
    out->cls = a->cls > b->cls ? a->cls : b->cls;
    out->created = a->created > b->created ? a->created : b->created;
    const Label *src[2] = {a, b};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < src[k]->ncats; i++) {
            LabelCat c = src[k]->cats[i];
            const SpifTagSet *t = &a->policy->tagsets[c.tagset];
            if (t->type == TAG_PERMISSIVE) {
                if (!labelHasCat(src[1 - k], c.tagset, c.value)) continue;
                if (t->values[c.value].excluded & (1u << out->cls)) continue;
            }
            int rc = labelAddCat(out, c.tagset, c.value);
            if (rc != PN_OK)
                return pnErrorSet(err, rc,
                                  rc == PN_ELIMIT ? "dominant label would exceed %d values"
                                                  : "out of memory (%d)",
                                  LABEL_MAX_VALUES);
        }
    return labelValidate(out, err);
}

int labelEqual(const Label *a, const Label *b) {
    if (a->policy != b->policy || a->cls != b->cls || a->ncats != b->ncats) return 0;
    if (a->created != b->created || a->review != b->review) return 0;
    if (strcmp(a->originator, b->originator) != 0) return 0;
    for (size_t i = 0; i < a->ncats; i++)
        if (!labelHasCat(b, a->cats[i].tagset, a->cats[i].value)) return 0;
    return 1;
}

int labelParse(Label *l, const char *text, size_t len, pnError *err) {
    /* A NUL would end the marking early and silently drop what follows
     * (a caveat, say): refuse it rather than parse a shorter label. */
    if (memchr(text, '\0', len)) {
        labelFree(l);
        return pnErrorSet(err, PN_EINVAL, "label contains a NUL byte");
    }
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
        i++;
    if (i < len && text[i] == '<') return labelParseXml(l, text, len, err);
    char *copy = malloc(len + 1); /* the marking codec reads a C string */
    if (!copy) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    memcpy(copy, text, len);
    copy[len] = '\0';
    int rc = labelParseMarking(l, copy, err);
    free(copy);
    return rc;
}
