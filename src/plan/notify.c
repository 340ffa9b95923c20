/*
 * notify.c -- drains the planning outbox into the exchange (see notify.h).
 */
#include "notify.h"

#include "../core/diag.h"
#include "../core/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "plan.h"

#define NOTIFY_BATCH 64 /* notices published per second at most */

/* A notice handed to the exchange: its commit says whether it was stored. */
enum { SENT_WAITING, SENT_STORED, SENT_FAILED };

typedef struct Sent {
    int64_t id;
    int state; /* SENT_* */
} Sent;

struct PlanNotifier {
    Node *node;
    Plan *plan;
    Sent sent[NOTIFY_BATCH]; /* published, in id order: marked done once stored */
    int nsent;
    DiagRepeat errors; /* the same problem every second is logged once, then counted */
};

/* Log a problem once (not every second while it lasts), then its count. */
static void report(PlanNotifier *pn, const pnError *err) {
    char line[600];
    strFormat(line, sizeof(line), "plan outbox: %s", err->msg);
    diagRepeat(&pn->errors, DIAG_ERROR, uv_now(nodeLoop(pn->node)), line);
}

/* The exchange's commit says whether notice id was stored (exchangePublishOwn). */
static void onCommitted(void *ctx, int64_t id, int stored) {
    PlanNotifier *pn = ctx;
    for (int i = 0; i < pn->nsent; i++)
        if (pn->sent[i].id == id) pn->sent[i].state = stored ? SENT_STORED : SENT_FAILED;
}

/* Mark done what a commit stored -- only that: a notice whose commit failed
 * (disk full) is forgotten here and published again, since it is still
 * pending in the outbox. */
static void markDone(PlanNotifier *pn) {
    pnError err = {0};
    int kept = 0, failed = 0;
    /* One that cannot be marked now (the CLI holds the write lock) stays in
     * sent[] and is tried again next second: publishing resumes after it,
     * so it is not published twice. */
    for (int i = 0; i < pn->nsent; i++) {
        Sent *s = &pn->sent[i];
        if (s->state == SENT_FAILED) {
            failed++;
            continue;
        }
        if (s->state == SENT_STORED && planOutboxDone(pn->plan, s->id, &err) == PN_OK) continue;
        if (s->state == SENT_STORED) report(pn, &err);
        pn->sent[kept++] = *s;
    }
    pn->nsent = kept;
    if (failed) {
        pnError e = {0};
        pnErrorSet(&e, PN_EIO, "%d notice(s) not stored (the log could not write); kept pending",
                   failed);
        report(pn, &e);
    }
}

static void publishPending(PlanNotifier *pn) {
    Exchange *x = nodeExchange(pn->node);
    pnError err = {0};
    PlanNotice n;
    /* After the newest still in hand: those are stored or waiting (one
     * commit stores a tick's notices, or fails them, together). */
    int64_t after = pn->nsent ? pn->sent[pn->nsent - 1].id : 0;
    while (pn->nsent < NOTIFY_BATCH) {
        int rc = planOutboxNext(pn->plan, after, &n, &err);
        if (rc < 0) return report(pn, &err);
        if (rc == 0) return;
        after = n.id;
        const char *why = NULL;
        int r = exchangePublishOwn(x, n.topic, n.label, (const uint8_t *)n.payload,
                                   (uint32_t)strlen(n.payload), onCommitted, pn, n.id, &why);
        if (r != 0) { /* stays pending: tried again next second, reported once */
            pnError e = {0};
            pnErrorSet(&e, PN_EINVAL, "notice %lld not published: %s", (long long)n.id, why);
            report(pn, &e);
            /* A store that cannot take messages now takes none; a notice
             * refused for itself must not hold back the ones after it. */
            if (r == XR_SERVER_BUSY) return;
            continue;
        }
        pn->sent[pn->nsent++] = (Sent){n.id, SENT_WAITING};
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
    if (pn->nsent) diagRepeatEnd(&pn->errors);
}

int planNotifierStart(PlanNotifier **out, Node *node, pnError *err) {
    *out = calloc(1, sizeof(**out));
    if (!*out) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    (*out)->node = node;
    diagRepeatInit(&(*out)->errors);
    NodeFrontend fe = {.name = "plan", .ctx = *out, .tick = feTick};
    return nodeAdd(node, &fe, err);
}

void planNotifierFree(PlanNotifier *pn) {
    if (!pn) return;
    planClose(pn->plan);
    free(pn);
}
