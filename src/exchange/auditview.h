/*
 * auditview.h -- what of an audit record a reader may see.
 *
 * Topics, labels, refused label texts, message ids and the sentences built
 * from them are metadata with the releasability of the message they come
 * from.  A record's details are shown to a reader only when decide()
 * allows the record's label to that reader, now; otherwise only its kind
 * and time are shown, with a withheld marker.  Roles (operator) never widen
 * this: the audit endpoint asks for the operator role and then this rule.
 *
 * A record with neither topic nor label (a refused login, a retention
 * loss, a dropped-detail record) carries nothing derived from a message
 * and is shown.  A record with a topic but no label, or a label that does
 * not parse under the policy (e.g. the text of a refused invalid label),
 * is withheld from everyone (fail closed).  So is an aggregated overflow
 * row that stands for refusals of several labels (AUDIT_AGG_LABEL, see
 * audit.h); one whose refusals all had one label carries that label and is
 * decided on it.
 *
 * Used by GET /v1/audit and `partnernet audit --as NAME`, so the rule is
 * written once.  An AuditViewer is about 17 KiB: allocate it.
 */
#ifndef PN_AUDITVIEW_H
#define PN_AUDITVIEW_H

#include <stdint.h>

#include "../label/spif.h"
#include "../policy/decide.h"
#include "../store/audit.h"

#define AUDIT_VIEW_LABELS 32

typedef struct AuditViewer {
    const Spif *spif; /* borrowed */
    Principal p;      /* copied */
    int64_t at;
    int n, next; /* remembered answers, and the slot the next one replaces */
    char label[AUDIT_VIEW_LABELS][sizeof(((AuditEvent *)0)->label)];
    int allow[AUDIT_VIEW_LABELS];
} AuditViewer;

/* Set up a viewer: principal p (copied) under policy spif (borrowed),
 * deciding at instant at. */
void auditViewerInit(AuditViewer *v, const Principal *p, const Spif *spif, int64_t at);

/* 1 when the viewer may see ev's details, 0 when they are withheld. */
int auditViewerMay(AuditViewer *v, const AuditEvent *ev);

#endif
