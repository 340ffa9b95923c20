/*
 * notify.c -- drains the planning outbox into the exchange (see notify.h).
 */
#include "notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "plan.h"

#define NOTIFY_BATCH 64 /* notices published per second at most */

struct PlanNotifier {
    Node *node;
    Plan *plan;
    int64_t sent[NOTIFY_BATCH]; /* published last second: mark done now */
    int nsent;
    char lastError[256];
};

/* Log a problem once (not every second while it lasts). */
static void report(PlanNotifier *pn, const pnError *err) {
    if (strcmp(pn->lastError, err->msg) == 0) return;
    snprintf(pn->lastError, sizeof(pn->lastError), "%s", err->msg);
    fprintf(stderr, "partnernet: plan outbox: %s\n", err->msg);
}

/* What was published on the previous tick is durable by now: the node
 * commits at the end of every loop turn. */
static void markDone(PlanNotifier *pn) {
    pnError err = {0};
    int kept = 0;
    /* One that cannot be marked now (the CLI holds the write lock) stays in
     * sent[] and is tried again next second: publishing resumes after it,
     * so it is not published twice. */
    for (int i = 0; i < pn->nsent; i++)
        if (planOutboxDone(pn->plan, pn->sent[i], &err) != PN_OK) {
            report(pn, &err);
            pn->sent[kept++] = pn->sent[i];
        }
    pn->nsent = kept;
}

static void publishPending(PlanNotifier *pn) {
    Exchange *x = nodeExchange(pn->node);
    pnError err = {0};
    PlanNotice n;
    int64_t after = pn->nsent ? pn->sent[pn->nsent - 1] : 0;
    while (pn->nsent < NOTIFY_BATCH) {
        int rc = planOutboxNext(pn->plan, after, &n, &err);
        if (rc < 0) return report(pn, &err);
        if (rc == 0) return;
        after = n.id;
        const char *why = NULL;
        int r =
            exchangePublish(x, NULL, n.topic, strlen(n.topic), n.label, strlen(n.label), NULL, 0,
                            (const uint8_t *)n.payload, (uint32_t)strlen(n.payload), 1, 0, 0, &why);
        if (r != 0) { /* stays pending: tried again next second, reported once */
            pnError e = {0};
            pnErrorSet(&e, PN_EINVAL, "notice %lld not published: %s", (long long)n.id, why);
            return report(pn, &e);
        }
        pn->sent[pn->nsent++] = n.id;
    }
}

static void feTick(void *ctx, int64_t now) {
    PlanNotifier *pn = ctx;
    (void)now;
    if (!pn->plan) {
        pnError err = {0};
        if (planOpen(&pn->plan, nodeDataDir(pn->node), NULL, &err) != PN_OK)
            return report(pn, &err);
        /* On the event loop: never wait for a `partnernet plan` writer --
         * busy now means try again next second. */
        sqlite3_busy_timeout(planDb(pn->plan), 0);
    }
    markDone(pn);
    publishPending(pn);
    if (pn->nsent) pn->lastError[0] = '\0';
}

int planNotifierStart(PlanNotifier **out, Node *node, pnError *err) {
    *out = calloc(1, sizeof(**out));
    if (!*out) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    (*out)->node = node;
    NodeFrontend fe = {.name = "plan", .ctx = *out, .tick = feTick};
    return nodeAdd(node, &fe, err);
}

void planNotifierFree(PlanNotifier *pn) {
    if (!pn) return;
    planClose(pn->plan);
    free(pn);
}
