/*
 * xmlsafe.c -- hardened libxml2 parsing and small tree helpers.
 */
#include "xmlsafe.h"

#include <libxml/parser.h>
#include <string.h>
#include <strings.h>

#include "../core/str.h"

/* libxml2's last error for ctx as "line N: message", or a fallback. */
static void xmlDescribe(xmlParserCtxtPtr ctx, char *out, size_t cap) {
    xmlErrorPtr e = xmlCtxtGetLastError(ctx);
    if (!e || !e->message) {
        snprintf(out, cap, "empty document");
        return;
    }
    snprintf(out, cap, "line %d: %s", e->line, e->message);
    size_t n = strlen(out);
    while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
        out[--n] = '\0';
}

/* A DOCTYPE anywhere before the root is refused before libxml2 reads its
 * internal subset at all. */
static int hasDoctype(const char *buf, size_t len) {
    for (size_t i = 0; i + 9 <= len; i++)
        if (buf[i] == '<' && buf[i + 1] == '!' && strncasecmp(buf + i + 2, "DOCTYPE", 7) == 0)
            return 1;
    return 0;
}

xmlDocPtr xsParse(const char *buf, size_t len, const char *what, pnError *err) {
    if (len > 0x7fffffff) {
        pnErrorSet(err, PN_ELIMIT, "%s: document too large", what);
        return NULL;
    }
    if (hasDoctype(buf, len)) {
        pnErrorSet(err, PN_EINVAL, "%s: a DOCTYPE is not allowed", what);
        return NULL;
    }
    xmlParserCtxtPtr ctx = xmlNewParserCtxt();
    if (!ctx) {
        pnErrorSet(err, PN_ENOMEM, "out of memory");
        return NULL;
    }
    /* No XML_PARSE_NOENT (it would substitute entities) and no DTDLOAD. */
    int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
    xmlDocPtr doc = xmlCtxtReadMemory(ctx, buf, (int)len, NULL, NULL, opts);
    if (!doc) {
        char msg[256];
        xmlDescribe(ctx, msg, sizeof(msg));
        xmlFreeParserCtxt(ctx);
        pnErrorSet(err, PN_EINVAL, "%s is not well-formed XML (%s)", what, msg);
        return NULL;
    }
    xmlFreeParserCtxt(ctx);
    if (doc->intSubset || doc->extSubset) {
        xmlFreeDoc(doc);
        pnErrorSet(err, PN_EINVAL, "%s: a DOCTYPE is not allowed", what);
        return NULL;
    }
    if (!xmlDocGetRootElement(doc)) {
        xmlFreeDoc(doc);
        pnErrorSet(err, PN_EINVAL, "%s: no root element", what);
        return NULL;
    }
    return doc;
}

int xsStrayText(const xmlNode *node) {
    if (node->type == XML_CDATA_SECTION_NODE) return 1;
    if (node->type != XML_TEXT_NODE || !node->content) return 0;
    for (const xmlChar *p = node->content; *p; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') return 1;
    return 0;
}

int xsIsElement(const xmlNode *node, const char *ns, const char *name) {
    if (!node || node->type != XML_ELEMENT_NODE) return 0;
    if (strcmp((const char *)node->name, name) != 0) return 0;
    if (!ns) return 1;
    return node->ns && node->ns->href && strcmp((const char *)node->ns->href, ns) == 0;
}

int xsAttr(const xmlNode *node, const char *name, char *dst, size_t cap) {
    xmlChar *v = xmlGetNoNsProp((xmlNode *)node, (const xmlChar *)name);
    dst[0] = '\0';
    if (!v) return 0;
    int rc = strCopy(dst, cap, (const char *)v);
    xmlFree(v);
    return rc;
}

int xsText(const xmlNode *node, char *dst, size_t cap) {
    dst[0] = '\0';
    /* Only character data: text glued together from child elements would
     * let a reader see a different value than we do. */
    for (const xmlNode *c = node->children; c; c = c->next)
        if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE &&
            c->type != XML_COMMENT_NODE)
            return -1;
    xmlChar *v = xmlNodeGetContent(node);
    if (!v) return 0;
    const char *s = (const char *)v;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    int rc = 0;
    if (n >= cap) {
        n = cap - 1;
        rc = -1;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
    xmlFree(v);
    return rc;
}
