/*
 * spif.c -- reading an XML-SPIF 2.1 security policy (see spif.h).
 *
 * Only the parts partnernet enforces are read: policy id, classifications,
 * category tag sets with their tags' type, values, exclusions and marking
 * phrases.  Anything else in the file is ignored, so a full SPIF from a
 * policy authority loads too.
 */
#include "spif.h"

#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#include "../core/str.h"
#include "xmlsafe.h"

#define SPIF_NS "http://www.xmlspif.org/spif"

void spifInit(Spif *s) {
    memset(s, 0, sizeof(*s));
    s->releaseTagSet = -1;
}

void spifFree(Spif *s) {
    for (size_t i = 0; i < s->ntagsets; i++)
        free(s->tagsets[i].values);
    spifInit(s);
}

int spifClass(const Spif *s, const char *name) {
    for (size_t i = 0; i < s->nclasses; i++)
        if (strEqualNoCase(s->classes[i].name, name)) return (int)i;
    return -1;
}

int spifClassPhrase(const Spif *s, const char *phrase) {
    for (size_t i = 0; i < s->nclasses; i++)
        if (strEqualNoCase(s->classes[i].phrase, phrase)) return (int)i;
    return -1;
}

int spifTagSet(const Spif *s, const char *name) {
    for (size_t i = 0; i < s->ntagsets; i++)
        if (strEqualNoCase(s->tagsets[i].name, name)) return (int)i;
    return -1;
}

int spifValue(const SpifTagSet *t, const char *name) {
    for (size_t i = 0; i < t->nvalues; i++)
        if (strEqualNoCase(t->values[i].name, name)) return (int)i;
    return -1;
}

int spifClearance(const Spif *s, const char *text) {
    static const struct {
        const char *abbr, *name;
    } abbr[] = {{"NU", "UNCLASSIFIED"},
                {"NR", "RESTRICTED"},
                {"NC", "CONFIDENTIAL"},
                {"NS", "SECRET"},
                {"CTS", "TOP SECRET"}};
    for (size_t i = 0; i < sizeof(abbr) / sizeof(abbr[0]); i++)
        if (strEqualNoCase(text, abbr[i].abbr)) return spifClass(s, abbr[i].name);
    int c = spifClass(s, text);
    return c >= 0 ? c : spifClassPhrase(s, text);
}

/* ---- parsing ----------------------------------------------------------- */

static unsigned long attrNum(const xmlNode *n, const char *name, int *ok) {
    char buf[32], *end;
    if (xsAttr(n, name, buf, sizeof(buf)) != 0 || !buf[0]) {
        *ok = 0;
        return 0;
    }
    unsigned long v = strtoul(buf, &end, 10);
    if (*end) *ok = 0;
    return v;
}

/* The first markingData/@phrase under n, or the fallback. */
static int markingPhrase(const xmlNode *n, char *dst, size_t cap, const char *fallback) {
    for (xmlNode *c = n->children; c; c = c->next)
        if (xsIsElement(c, SPIF_NS, "markingData")) {
            if (xsAttr(c, "phrase", dst, cap) != 0) return -1;
            if (dst[0]) return 0;
        }
    return strCopy(dst, cap, fallback);
}

static int classCmp(const void *a, const void *b) {
    const SpifClass *x = a, *y = b;
    return (x->hierarchy > y->hierarchy) - (x->hierarchy < y->hierarchy);
}

static int parseClasses(Spif *s, xmlNode *list, pnError *err) {
    for (xmlNode *c = list->children; c; c = c->next) {
        if (!xsIsElement(c, SPIF_NS, "securityClassification")) continue;
        if (s->nclasses >= SPIF_MAX_CLASSES)
            return pnErrorSet(err, PN_ELIMIT, "SPIF: more than %d classifications",
                              SPIF_MAX_CLASSES);
        SpifClass *k = &s->classes[s->nclasses];
        int ok = 1;
        if (xsAttr(c, "name", k->name, sizeof(k->name)) != 0 || !k->name[0])
            return pnErrorSet(err, PN_EINVAL,
                              "SPIF: securityClassification without a usable @name");
        k->lacv = (uint32_t)attrNum(c, "lacv", &ok);
        k->hierarchy = (uint32_t)attrNum(c, "hierarchy", &ok);
        if (!ok)
            return pnErrorSet(
                err, PN_EINVAL,
                "SPIF: securityClassification '%s' needs numeric @lacv and @hierarchy", k->name);
        if (markingPhrase(c, k->phrase, sizeof(k->phrase), k->name) != 0)
            return pnErrorSet(err, PN_ELIMIT, "SPIF: marking phrase of '%s' too long", k->name);
        for (size_t i = 0; i < s->nclasses; i++)
            if (strEqualNoCase(s->classes[i].name, k->name) ||
                s->classes[i].hierarchy == k->hierarchy)
                return pnErrorSet(err, PN_EINVAL,
                                  "SPIF: classification '%s' repeats a name or hierarchy", k->name);
        s->nclasses++;
    }
    if (s->nclasses == 0) return pnErrorSet(err, PN_EINVAL, "SPIF: no securityClassification");
    qsort(s->classes, s->nclasses, sizeof(SpifClass), classCmp);
    return PN_OK;
}

static int addValue(SpifTagSet *t, const SpifValue *v) {
    if (t->nvalues == t->capvalues) {
        size_t cap = t->capvalues ? t->capvalues * 2 : 32;
        SpifValue *p = realloc(t->values, cap * sizeof(*p));
        if (!p) return PN_ENOMEM;
        t->values = p;
        t->capvalues = cap;
    }
    t->values[t->nvalues++] = *v;
    return PN_OK;
}

static int parseQualifier(SpifTagSet *t, xmlNode *mq) {
    for (xmlNode *q = mq->children; q; q = q->next) {
        if (!xsIsElement(q, SPIF_NS, "qualifier")) continue;
        char code[32];
        xsAttr(q, "qualifierCode", code, sizeof(code));
        /* Marking text is significant to the space: read it raw. */
        xmlChar *txt = xmlNodeGetContent(q);
        int rc = 0;
        if (strcmp(code, "prefix") == 0)
            rc = strCopy(t->prefix, sizeof(t->prefix), (char *)txt);
        else if (strcmp(code, "separator") == 0)
            rc = strCopy(t->separator, sizeof(t->separator), (char *)txt);
        xmlFree(txt);
        if (rc) return -1;
    }
    return 0;
}

static int parseTagCategory(Spif *s, SpifTagSet *t, xmlNode *tc, pnError *err) {
    SpifValue v;
    memset(&v, 0, sizeof(v));
    int ok = 1;
    if (xsAttr(tc, "name", v.name, sizeof(v.name)) != 0 || !v.name[0])
        return pnErrorSet(err, PN_EINVAL, "SPIF: tagCategory in '%s' without a usable @name",
                          t->name);
    v.lacv = (uint32_t)attrNum(tc, "lacv", &ok);
    if (!ok)
        return pnErrorSet(err, PN_EINVAL, "SPIF: tagCategory '%s' needs a numeric @lacv", v.name);
    if (spifValue(t, v.name) >= 0)
        return pnErrorSet(err, PN_EINVAL, "SPIF: value '%s' repeated in '%s'", v.name, t->name);
    if (markingPhrase(tc, v.phrase, sizeof(v.phrase), v.name) != 0)
        return pnErrorSet(err, PN_ELIMIT, "SPIF: marking phrase of '%s' too long", v.name);
    for (xmlNode *e = tc->children; e; e = e->next) {
        if (!xsIsElement(e, SPIF_NS, "excludedClass")) continue;
        char cls[32];
        int k = xsText(e, cls, sizeof(cls)) == 0 ? spifClass(s, cls) : -1;
        if (k < 0)
            return pnErrorSet(err, PN_EINVAL, "SPIF: '%s' excludes unknown classification '%s'",
                              v.name, cls);
        v.excluded |= 1u << k;
    }
    if (t->type == TAG_RESTRICTIVE) {
        if (s->nrestrictive >= SPIF_MAX_RESTRICTIVE)
            return pnErrorSet(err, PN_ELIMIT, "SPIF: more than %d restrictive values",
                              SPIF_MAX_RESTRICTIVE);
        v.bit = (uint8_t)s->nrestrictive++;
    }
    if (addValue(t, &v) != PN_OK) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    return PN_OK;
}

static int parseTagSet(Spif *s, xmlNode *ts, pnError *err) {
    if (s->ntagsets >= SPIF_MAX_TAGSETS)
        return pnErrorSet(err, PN_ELIMIT, "SPIF: more than %d tag sets", SPIF_MAX_TAGSETS);
    SpifTagSet *t = &s->tagsets[s->ntagsets];
    memset(t, 0, sizeof(*t));
    s->ntagsets++; /* counted now so spifFree() releases values on error */
    if (xsAttr(ts, "name", t->name, sizeof(t->name)) != 0 || !t->name[0])
        return pnErrorSet(err, PN_EINVAL, "SPIF: securityCategoryTagSet without a usable @name");
    if (xsAttr(ts, "id", t->id, sizeof(t->id)) != 0)
        return pnErrorSet(err, PN_ELIMIT, "SPIF: id of tag set '%s' too long", t->name);
    for (size_t i = 0; i + 1 < s->ntagsets; i++)
        if (strEqualNoCase(s->tagsets[i].name, t->name))
            return pnErrorSet(err, PN_EINVAL, "SPIF: tag set '%s' defined twice", t->name);
    strcpy(t->separator, ", ");
    int seenTag = 0;
    for (xmlNode *tag = ts->children; tag; tag = tag->next) {
        if (!xsIsElement(tag, SPIF_NS, "securityCategoryTag")) continue;
        if (seenTag++)
            return pnErrorSet(err, PN_EINVAL,
                              "SPIF: tag set '%s' has more than one securityCategoryTag", t->name);
        char type[32];
        xsAttr(tag, "tagType", type, sizeof(type));
        if (strEqualNoCase(type, "permissive"))
            t->type = TAG_PERMISSIVE;
        else if (strEqualNoCase(type, "restrictive"))
            t->type = TAG_RESTRICTIVE;
        else if (strEqualNoCase(type, "informative") || strEqualNoCase(type, "enumerated"))
            t->type = TAG_INFORMATIVE;
        else
            return pnErrorSet(err, PN_EINVAL, "SPIF: tag set '%s' has unknown tagType '%s'",
                              t->name, type);
        for (xmlNode *c = tag->children; c; c = c->next) {
            if (xsIsElement(c, SPIF_NS, "markingQualifier")) {
                if (parseQualifier(t, c) != 0)
                    return pnErrorSet(err, PN_ELIMIT, "SPIF: marking qualifier of '%s' too long",
                                      t->name);
            } else if (xsIsElement(c, SPIF_NS, "tagCategory")) {
                int rc = parseTagCategory(s, t, c, err);
                if (rc) return rc;
            }
        }
    }
    if (!seenTag)
        return pnErrorSet(err, PN_EINVAL, "SPIF: tag set '%s' has no securityCategoryTag", t->name);
    return PN_OK;
}

int spifLoadMemory(Spif *s, const char *xml, size_t len, pnError *err) {
    if (len > SPIF_MAX_FILE)
        return pnErrorSet(err, PN_ELIMIT, "SPIF larger than %u bytes", SPIF_MAX_FILE);
    xmlDocPtr doc = xsParse(xml, len, "SPIF", err);
    if (!doc) return err ? err->code : PN_EINVAL;
    xmlNode *root = xmlDocGetRootElement(doc);
    int rc = PN_OK, sawClasses = 0;
    if (!xsIsElement(root, SPIF_NS, "SPIF"))
        rc = pnErrorSet(err, PN_EINVAL, "SPIF: root element must be SPIF in namespace %s", SPIF_NS);
    for (xmlNode *c = root->children; c && rc == PN_OK; c = c->next) {
        if (xsIsElement(c, SPIF_NS, "securityPolicyId")) {
            if (xsAttr(c, "name", s->policyName, sizeof(s->policyName)) ||
                xsAttr(c, "id", s->policyId, sizeof(s->policyId)))
                rc = pnErrorSet(err, PN_ELIMIT, "SPIF: securityPolicyId too long");
        } else if (xsIsElement(c, SPIF_NS, "securityClassifications")) {
            /* Values record exclusions as class indexes: a second list
             * would re-sort the classes under them. */
            if (sawClasses)
                rc = pnErrorSet(err, PN_EINVAL, "SPIF: more than one securityClassifications");
            else
                rc = parseClasses(s, c, err);
            sawClasses = 1;
        } else if (xsIsElement(c, SPIF_NS, "securityCategoryTagSets")) {
            if (!sawClasses)
                rc =
                    pnErrorSet(err, PN_EINVAL,
                               "SPIF: securityCategoryTagSets must follow securityClassifications");
            for (xmlNode *t = c->children; t && rc == PN_OK; t = t->next)
                if (xsIsElement(t, SPIF_NS, "securityCategoryTagSet")) rc = parseTagSet(s, t, err);
        }
    }
    if (rc == PN_OK && !s->policyName[0])
        rc = pnErrorSet(err, PN_EINVAL, "SPIF: missing securityPolicyId");
    if (rc == PN_OK && !sawClasses)
        rc = pnErrorSet(err, PN_EINVAL, "SPIF: missing securityClassifications");
    for (size_t i = 0; rc == PN_OK && i < s->ntagsets; i++)
        if (s->tagsets[i].type == TAG_PERMISSIVE &&
            (s->releaseTagSet < 0 || strcmp(s->tagsets[i].prefix, "REL TO ") == 0))
            s->releaseTagSet = (int)i;
    xmlFreeDoc(doc);
    return rc;
}

int spifLoadFile(Spif *s, const char *path, pnError *err) {
    char *text;
    size_t len;
    int fr = fileRead(path, SPIF_MAX_FILE, &text, &len);
    if (fr == -2)
        return pnErrorSet(err, PN_ELIMIT, "%s: larger than %u bytes", path, SPIF_MAX_FILE);
    if (fr != 0) return pnErrorSet(err, PN_EIO, "%s: cannot read the security policy", path);
    int rc = spifLoadMemory(s, text, len, err);
    free(text);
    if (rc != PN_OK) pnErrorPrefix(err, "%s: ", path);
    return rc;
}

int spifBindRegistry(Spif *s, const Registry *r, pnError *err) {
    s->reg = r;
    for (size_t i = 0; i < s->ntagsets; i++) {
        SpifTagSet *t = &s->tagsets[i];
        if (t->type != TAG_PERMISSIVE) continue;
        for (size_t k = 0; k < t->nvalues; k++) {
            SpifValue *v = &t->values[k];
            int g = registryGroup(r, v->name), n = registryNation(r, v->name);
            if (g >= 0)
                v->targetKind = TARGET_GROUP, v->target = (uint16_t)g;
            else if (n >= 0)
                v->targetKind = TARGET_NATION, v->target = (uint16_t)n;
            else
                return pnErrorSet(
                    err, PN_EINVAL,
                    "policy value '%s' of '%s' names no nation or framework in the registry",
                    v->name, t->name);
        }
    }
    if (s->releaseTagSet < 0) return PN_OK;
    SpifTagSet *rel = &s->tagsets[s->releaseTagSet];
    for (size_t g = 0; g < r->ngroups; g++) {
        if (r->groups[g].kind != REG_COMMUNITY || spifValue(rel, r->groups[g].id) >= 0) continue;
        SpifValue v;
        memset(&v, 0, sizeof(v));
        strCopy(v.name, sizeof(v.name), r->groups[g].id);
        strCopy(v.phrase, sizeof(v.phrase), r->groups[g].id);
        v.targetKind = TARGET_GROUP;
        v.target = (uint16_t)g;
        if (addValue(rel, &v) != PN_OK) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    }
    return PN_OK;
}
