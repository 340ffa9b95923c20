/*
 * peers.c -- writes the federation status file (see peers.h).
 */
#include "peers.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/date.h"

struct Peers {
    Node *node;
    Link **links;
    int n;
    json_t *inbound; /* filled while sessions are walked */
    int stopped;
};

static json_t *linkJson(const Link *l) {
    LinkStatus st;
    linkStatus(l, &st);
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "peer",
                     st.name, "address", st.address, "state", st.state, "received",
                     (json_int_t)st.received, "stored", (json_int_t)st.stored, "duplicates",
                     (json_int_t)st.duplicates, "refused", (json_int_t)st.refused, "connects",
                     (json_int_t)st.connects, "failures", (json_int_t)st.failures, "sessions_lost",
                     (json_int_t)st.sessionsLost, "last_received", (json_int_t)st.lastReceived,
                     "lag_seconds",
                     (json_int_t)(st.lastReceived ? st.lastReceived - st.lastOrigin : 0),
                     "last_error", st.lastError);
}

static void inboundSession(Session *s, void *ctx) {
    Peers *p = ctx;
    if (!s->auditAll) return;
    json_array_append_new(p->inbound,
                          json_pack("{s:s, s:s, s:b, s:I, s:I}", "principal", s->principalName,
                                    "client", s->clientId, "connected", s->conn != NULL, "backlog",
                                    (json_int_t)exchangeBacklog(nodeExchange(p->node), s),
                                    "lost_to_retention", (json_int_t)s->lostToRetention));
}

static void writeStatus(Peers *p) {
    json_t *links = json_array();
    for (int i = 0; i < p->n; i++)
        json_array_append_new(links, linkJson(p->links[i]));
    p->inbound = json_array();
    exchangeForEachSession(nodeExchange(p->node), inboundSession, p);
    json_t *doc = json_pack("{s:s, s:I, s:I, s:b, s:o, s:o}", "node", nodeName(p->node), "pid",
                            (json_int_t)getpid(), "updated", (json_int_t)timeNow(), "running",
                            !p->stopped, "links", links, "inbound", p->inbound);
    p->inbound = NULL;
    if (!doc) return;
    char path[4200], tmp[4300];
    snprintf(path, sizeof(path), "%s/%s", nodeDataDir(p->node), PEERS_FILE);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    /* Status only: a failed write is retried in a second, never fatal. */
    if (json_dump_file(doc, tmp, JSON_INDENT(2)) == 0) rename(tmp, path);
    json_decref(doc);
}

static void feTick(void *ctx, int64_t now) {
    (void)now;
    writeStatus(ctx);
}

/* The last word: the node stopped cleanly. */
static void feStop(void *ctx) {
    Peers *p = ctx;
    p->stopped = 1;
    writeStatus(p);
}

int peersStart(Peers **out, Node *node, Link *const *links, int n, pnError *err) {
    *out = NULL;
    Peers *p = calloc(1, sizeof(*p));
    if (!p || (n && !(p->links = malloc((size_t)n * sizeof(*links))))) {
        free(p);
        return pnErrorSet(err, PN_ENOMEM, "out of memory");
    }
    *out = p;
    p->node = node;
    p->n = n;
    if (n) memcpy(p->links, links, (size_t)n * sizeof(*links));
    NodeFrontend fe = {.name = "peers", .ctx = p, .tick = feTick, .stop = feStop};
    int rc = nodeAdd(node, &fe, err);
    if (rc == PN_OK) writeStatus(p);
    return rc;
}

void peersFree(Peers *p) {
    if (!p) return;
    free(p->links);
    free(p);
}
