/*
 * view.c -- decide() applied to activity labels for one viewer (see
 * view.h).
 */
#include "view.h"

#include <stdio.h>
#include <string.h>

void planViewerInit(PlanViewer *v, const Principal *p, const Spif *spif, int64_t at) {
    memset(v, 0, sizeof(*v));
    v->spif = spif;
    v->p = *p;
    v->at = at;
}

int planViewerMay(PlanViewer *v, const char *text, char *why, size_t cap) {
    for (int k = 0; !why && k < v->n; k++)
        if (strcmp(v->label[k], text) == 0) return v->allow[k];
    Label l;
    pnError err = {0};
    labelInit(&l, v->spif);
    int allow = 0;
    if (labelParse(&l, text, strlen(text), &err) != PN_OK) {
        if (why) snprintf(why, cap, "invalid label '%s': %s", text, err.msg);
    } else {
        DecideLabel dl;
        decideLabelCompile(&l, &dl);
        Decision d = decide(&v->p, &dl, v->at);
        allow = d.reason == DECIDE_ALLOW;
        if (!allow && why) decideExplain(&d, &v->p, v->spif, why, cap);
    }
    labelFree(&l);
    if (v->n < PLAN_VIEW_LABELS) {
        snprintf(v->label[v->n], sizeof(v->label[0]), "%s", text);
        v->allow[v->n++] = allow;
    }
    return allow;
}
