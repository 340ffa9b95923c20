/*
 * xmlsafe.h -- the one way partnernet parses XML.
 *
 * Labels and policies arrive from other parties.  libxml2 is asked never
 * to touch the network, never to load a DTD and never to substitute
 * entities, and any document carrying a DOCTYPE is refused outright: the
 * formats we read have no use for one, and it is the door to entity
 * expansion attacks.
 */
#ifndef PN_XMLSAFE_H
#define PN_XMLSAFE_H

#include <libxml/tree.h>
#include <stddef.h>

#include "../core/err.h"

/* Parse len bytes of XML.  Returns the document (xmlFreeDoc it) or NULL
 * with PN_EINVAL and libxml2's message (line number included) in err. */
xmlDocPtr xsParse(const char *buf, size_t len, const char *what, pnError *err);

/* Non-zero when node is an element named `name` in namespace ns. */
int xsIsElement(const xmlNode *node, const char *ns, const char *name);

/* Non-zero when node is character data other than white space: text
 * where only elements belong. */
int xsStrayText(const xmlNode *node);

/* Copy an attribute's value into dst (empty when absent); -1 when it does
 * not fit. */
int xsAttr(const xmlNode *node, const char *name, char *dst, size_t cap);

/* Copy the text content of node, trimmed of surrounding white space; -1
 * when it does not fit or node has element children. */
int xsText(const xmlNode *node, char *dst, size_t cap);

#endif
