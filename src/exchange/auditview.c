/*
 * auditview.c -- decide() applied to audit records for one reader (see
 * auditview.h).  A listing holds few distinct labels, so the answers are
 * remembered per label text (a small ring) instead of parsing each row.
 */
#include "auditview.h"

#include <string.h>

#include "../label/label.h"

void auditViewerInit(AuditViewer *v, const Principal *p, const Spif *spif, int64_t at) {
    memset(v, 0, sizeof(*v));
    v->spif = spif;
    v->p = *p;
    v->at = at;
}

/* decide() for the label text (fail closed when it does not parse). */
static int mayLabel(AuditViewer *v, const char *text) {
    Label l;
    pnError err = {0};
    labelInit(&l, v->spif);
    int allow = 0;
    if (labelParse(&l, text, strlen(text), &err) == PN_OK) {
        DecideLabel dl;
        decideLabelCompile(&l, &dl);
        allow = decide(&v->p, &dl, v->at).reason == DECIDE_ALLOW;
    }
    labelFree(&l);
    return allow;
}

int auditViewerMay(AuditViewer *v, const AuditEvent *ev) {
    size_t cap = sizeof(ev->label);
    if (!ev->label[0]) return !ev->topic[0];               /* a topic without a label: withheld */
    if (strnlen(ev->label, cap) == cap) return 0;          /* cut when stored: not the label */
    if (strcmp(ev->label, AUDIT_AGG_LABEL) == 0) return 0; /* several labels: not one to decide */
    for (int k = 0; k < v->n; k++)
        if (strcmp(v->label[k], ev->label) == 0) return v->allow[k];
    int allow = mayLabel(v, ev->label);
    int k = v->n < AUDIT_VIEW_LABELS ? v->n++ : v->next;
    v->next = (k + 1) % AUDIT_VIEW_LABELS;
    memcpy(v->label[k], ev->label, cap);
    v->allow[k] = allow;
    return allow;
}
