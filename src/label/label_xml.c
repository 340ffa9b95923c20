/*
 * label_xml.c -- STANAG 4774 confidentiality label XML codec.
 *
 * Element structure read and written (namespace
 * urn:nato:stanag:4774:confidentialitymetadatalabel:1:0, attributes
 * unqualified):
 *
 *   originatorConfidentialityLabel [@ReviewDateTime]   (or legacy ConfidentialityLabel)
 *     ConfidentialityInformation
 *       PolicyIdentifier @URI                          text: policy name
 *       Classification                                 text: SECRET
 *       Category @TagName @Type [@URI]                 PERMISSIVE|RESTRICTIVE|INFORMATIVE
 *         GenericValue                                 one per value
 *     OriginatorID                                     optional
 *     CreationDateTime                                 xs:dateTime
 */
#include <libxml/tree.h>
#include <string.h>

#include "../core/date.h"
#include "../core/str.h"
#include "label.h"
#include "xmlsafe.h"

#define S4774_NS "urn:nato:stanag:4774:confidentialitymetadatalabel:1:0"

static const char *typeName(TagType t) {
    return t == TAG_PERMISSIVE    ? "PERMISSIVE"
           : t == TAG_RESTRICTIVE ? "RESTRICTIVE"
                                  : "INFORMATIVE";
}

/* The policy identifier matches by name or by URI (urn:oid:<id>). */
static int policyMatches(const Spif *s, const char *uri, const char *text) {
    char oid[96];
    snprintf(oid, sizeof(oid), "urn:oid:%s", s->policyId);
    if (uri[0] && (strcmp(uri, oid) == 0 || strcmp(uri, s->policyId) == 0)) return 1;
    return !uri[0] && strEqualNoCase(text, s->policyName);
}

static int parseCategory(Label *l, xmlNode *cat, pnError *err) {
    const Spif *s = l->policy;
    char tagName[64], type[32], uri[192];
    if (xsAttr(cat, "TagName", tagName, sizeof(tagName)) ||
        xsAttr(cat, "Type", type, sizeof(type)) || xsAttr(cat, "URI", uri, sizeof(uri)))
        return pnErrorSet(err, PN_EINVAL, "Category attribute too long");
    int ts = spifTagSet(s, tagName);
    if (ts < 0) return pnErrorSet(err, PN_EINVAL, "unknown category tag set '%s'", tagName);
    const SpifTagSet *t = &s->tagsets[ts];
    if (uri[0] && t->id[0] && strcmp(uri, t->id) != 0)
        return pnErrorSet(err, PN_EINVAL, "category '%s' has URI '%s'; the policy says %s", tagName,
                          uri, t->id);
    if (!strEqualNoCase(type, typeName(t->type)))
        return pnErrorSet(err, PN_EINVAL, "category '%s' has Type '%s'; the policy says %s",
                          tagName, type, typeName(t->type));
    int n = 0;
    for (xmlNode *v = cat->children; v; v = v->next) {
        if (v->type != XML_ELEMENT_NODE) {
            if (xsStrayText(v))
                return pnErrorSet(err, PN_EINVAL, "unexpected text in category '%s'", tagName);
            continue;
        }
        if (!xsIsElement(v, S4774_NS, "GenericValue"))
            return pnErrorSet(err, PN_EINVAL, "unexpected element '%s' in category '%s'",
                              (const char *)v->name, tagName);
        char val[64];
        if (xsText(v, val, sizeof(val)) != 0)
            return pnErrorSet(err, PN_EINVAL,
                              "value in category '%s' must be plain text of at most 63 bytes",
                              tagName);
        int k = spifValue(t, val);
        if (k < 0)
            return pnErrorSet(err, PN_EINVAL, "unknown value '%s' in category '%s'", val, tagName);
        int rc = labelAddCat(l, ts, k);
        if (rc == PN_ELIMIT)
            return pnErrorSet(err, rc, "label has more than %d category values", LABEL_MAX_VALUES);
        if (rc) return pnErrorSet(err, rc, "out of memory");
        n++;
    }
    if (n == 0) return pnErrorSet(err, PN_EINVAL, "category '%s' has no GenericValue", tagName);
    return PN_OK;
}

static int parseInfo(Label *l, xmlNode *info, pnError *err) {
    const Spif *s = l->policy;
    int sawPolicy = 0;
    for (xmlNode *c = info->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) {
            if (xsStrayText(c))
                return pnErrorSet(err, PN_EINVAL, "unexpected text in ConfidentialityInformation");
            continue;
        }
        char text[128], uri[128];
        if (xsIsElement(c, S4774_NS, "PolicyIdentifier")) {
            if (xsAttr(c, "URI", uri, sizeof(uri)) || xsText(c, text, sizeof(text)))
                return pnErrorSet(err, PN_EINVAL, "PolicyIdentifier too long");
            if (!policyMatches(s, uri, text))
                return pnErrorSet(err, PN_EINVAL,
                                  "unknown policy '%s' (this node enforces %s, urn:oid:%s)",
                                  uri[0] ? uri : text, s->policyName, s->policyId);
            if (sawPolicy++) return pnErrorSet(err, PN_EINVAL, "more than one PolicyIdentifier");
        } else if (xsIsElement(c, S4774_NS, "Classification")) {
            if (xsText(c, text, sizeof(text)) != 0)
                return pnErrorSet(err, PN_EINVAL, "Classification too long");
            if (l->cls >= 0) return pnErrorSet(err, PN_EINVAL, "more than one Classification");
            l->cls = spifClass(s, text);
            if (l->cls < 0) l->cls = spifClassPhrase(s, text);
            if (l->cls < 0) return pnErrorSet(err, PN_EINVAL, "unknown classification '%s'", text);
        } else if (xsIsElement(c, S4774_NS, "Category")) {
            int rc = parseCategory(l, c, err);
            if (rc) return rc;
        } else {
            return pnErrorSet(err, PN_EINVAL,
                              "unexpected element '%s' in ConfidentialityInformation",
                              (const char *)c->name);
        }
    }
    if (!sawPolicy) return pnErrorSet(err, PN_EINVAL, "missing PolicyIdentifier");
    if (l->cls < 0) return pnErrorSet(err, PN_EINVAL, "missing Classification");
    return PN_OK;
}

static int parseRoot(Label *l, xmlNode *root, pnError *err) {
    if (!xsIsElement(root, S4774_NS, "originatorConfidentialityLabel") &&
        !xsIsElement(root, S4774_NS, "ConfidentialityLabel"))
        return pnErrorSet(err, PN_EINVAL,
                          "root element must be originatorConfidentialityLabel in namespace %s",
                          S4774_NS);
    char text[160];
    if (xsAttr(root, "ReviewDateTime", text, sizeof(text)))
        return pnErrorSet(err, PN_EINVAL, "ReviewDateTime too long");
    if (text[0] && timeParse(text, &l->review) != 0)
        return pnErrorSet(err, PN_EINVAL, "ReviewDateTime '%s' is not an xs:dateTime", text);
    int sawInfo = 0, sawCreated = 0, sawOriginator = 0;
    for (xmlNode *c = root->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) {
            if (xsStrayText(c)) return pnErrorSet(err, PN_EINVAL, "unexpected text in the label");
            continue;
        }
        if (xsIsElement(c, S4774_NS, "ConfidentialityInformation")) {
            if (sawInfo++)
                return pnErrorSet(err, PN_EINVAL, "more than one ConfidentialityInformation");
            int rc = parseInfo(l, c, err);
            if (rc) return rc;
        } else if (xsIsElement(c, S4774_NS, "CreationDateTime")) {
            if (sawCreated++) return pnErrorSet(err, PN_EINVAL, "more than one CreationDateTime");
            if (xsText(c, text, sizeof(text)) || timeParse(text, &l->created) != 0)
                return pnErrorSet(err, PN_EINVAL, "CreationDateTime '%s' is not an xs:dateTime",
                                  text);
        } else if (xsIsElement(c, S4774_NS, "OriginatorID")) {
            if (sawOriginator++) return pnErrorSet(err, PN_EINVAL, "more than one OriginatorID");
            if (xsText(c, l->originator, sizeof(l->originator)) != 0)
                return pnErrorSet(err, PN_EINVAL, "OriginatorID longer than %zu bytes",
                                  sizeof(l->originator) - 1);
        } else {
            return pnErrorSet(err, PN_EINVAL, "unexpected element '%s' in the label",
                              (const char *)c->name);
        }
    }
    if (!sawInfo) return pnErrorSet(err, PN_EINVAL, "missing ConfidentialityInformation");
    return PN_OK;
}

int labelParseXml(Label *l, const char *xml, size_t len, pnError *err) {
    labelFree(l);
    if (len > LABEL_MAX_XML)
        return pnErrorSet(err, PN_ELIMIT, "label XML is %zu bytes; the limit is %u", len,
                          LABEL_MAX_XML);
    xmlDocPtr doc = xsParse(xml, len, "label", err);
    if (!doc) return err ? err->code : PN_EINVAL;
    int rc = parseRoot(l, xmlDocGetRootElement(doc), err);
    xmlFreeDoc(doc);
    if (rc == PN_OK) rc = labelValidate(l, err);
    if (rc != PN_OK) labelFree(l);
    return rc;
}

int labelToXml(const Label *l, pnBuf *out) {
    const Spif *s = l->policy;
    if (l->cls < 0) return PN_EINVAL;
    char t[21];
    bufPuts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<slab:originatorConfidentialityLabel "
                 "xmlns:slab=\"" S4774_NS "\"");
    if (l->review) {
        timeFormat(l->review, t);
        bufPrintf(out, " ReviewDateTime=\"%s\"", t);
    }
    bufPuts(out,
            ">\n  <slab:ConfidentialityInformation>\n    <slab:PolicyIdentifier URI=\"urn:oid:");
    bufXmlEscape(out, s->policyId);
    bufPuts(out, "\">");
    bufXmlEscape(out, s->policyName);
    bufPuts(out, "</slab:PolicyIdentifier>\n    <slab:Classification>");
    bufXmlEscape(out, s->classes[l->cls].name);
    bufPuts(out, "</slab:Classification>\n");
    /* One Category per tag set, values in label order. */
    for (size_t ts = 0; ts < s->ntagsets; ts++) {
        int open = 0;
        for (size_t i = 0; i < l->ncats; i++) {
            if (l->cats[i].tagset != ts) continue;
            if (!open++) {
                bufPuts(out, "    <slab:Category TagName=\"");
                bufXmlEscape(out, s->tagsets[ts].name);
                bufPrintf(out, "\" Type=\"%s\"", typeName(s->tagsets[ts].type));
                if (s->tagsets[ts].id[0]) {
                    bufPuts(out, " URI=\"");
                    bufXmlEscape(out, s->tagsets[ts].id);
                    bufPuts(out, "\"");
                }
                bufPuts(out, ">\n");
            }
            bufPuts(out, "      <slab:GenericValue>");
            bufXmlEscape(out, s->tagsets[ts].values[l->cats[i].value].name);
            bufPuts(out, "</slab:GenericValue>\n");
        }
        if (open) bufPuts(out, "    </slab:Category>\n");
    }
    bufPuts(out, "  </slab:ConfidentialityInformation>\n");
    if (l->originator[0]) {
        bufPuts(out, "  <slab:OriginatorID IDType=\"uniformResourceIdentifier\">");
        bufXmlEscape(out, l->originator);
        bufPuts(out, "</slab:OriginatorID>\n");
    }
    timeFormat(l->created, t);
    bufPrintf(out, "  <slab:CreationDateTime>%s</slab:CreationDateTime>\n", t);
    bufPuts(out, "</slab:originatorConfidentialityLabel>\n");
    return bufFailed(out) ? PN_ENOMEM : PN_OK;
}
