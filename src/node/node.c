/*
 * node.c -- the running node (see node.h): loop, signals, group commit,
 * reloads, and the front-ends attached to them.
 *
 * Order within one loop turn (a uv_check handle, after I/O callbacks):
 * exchangeCommit() makes every publish accepted in this turn durable with
 * one fsync and fans it out; then each front-end's turn() drains queues
 * and writes its output.  So deliveries of a burst leave in one write per
 * connection, and nothing leaves before it is on disk.
 */
#include "node.h"

#include "../core/diag.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/buf.h"
#include "../core/date.h"
#include "../core/stamp.h"
#include "../core/str.h"
#include "stream.h"
#include "tls.h"

struct Node {
    uv_loop_t *loop;
    uv_check_t commit;
    uv_timer_t tick;
    uv_signal_t sigterm, sigint, sighup;
    int handlesOn;
    FileStamp principalsStamp; /* the principals file as last loaded (or found missing) */
    const NodeOptions *opt;
    const Registry *reg;
    const Spif *spif;
    Principals principals;
    Acl *acl; /* topic rules in force (NULL: none); reloaded with the principals */
    Exchange *x;
    SignKey *key;     /* DIR/node.key: signs this node's messages */
    SignTrust trust;  /* keys imports are verified against */
    uint64_t records; /* in the log at start-up */
    NodeFrontend fe[NODE_MAX_FRONTENDS];
    int nfe;
    StreamProtocol protocols[NODE_MAX_PROTOCOLS]; /* carried by other front-ends (stream.h) */
    int nprotocols;
    int stopping;
    int stopSignal; /* SIGTERM or SIGINT that stopped the node, or 0 */
    Admit admit;
    uint64_t budgetCheckedAt; /* uv_now of the last buffer budget check */
    uint64_t shedConns;       /* connections closed over the budget, not yet reported */
    size_t shedShare, shedTotal;
    uint64_t budget;   /* opt->maxBufferBytes or its default */
    uint64_t buffered; /* at the last check, plus what front-ends reported since */
};

uv_loop_t *nodeLoop(Node *n) {
    return n->loop;
}
Exchange *nodeExchange(Node *n) {
    return n->x;
}
const char *nodeName(const Node *n) {
    return n->opt->name;
}
const char *nodeDataDir(const Node *n) {
    return n->opt->dataDir;
}
Principals *nodePrincipals(Node *n) {
    return &n->principals;
}
const Registry *nodeRegistry(const Node *n) {
    return n->reg;
}
const Spif *nodeSpif(const Node *n) {
    return n->spif;
}
int nodeStopping(const Node *n) {
    return n->stopping;
}
Admit *nodeAdmit(Node *n) {
    return &n->admit;
}
size_t nodeBufferRoom(const Node *n) {
    return n->buffered < n->budget ? (size_t)(n->budget - n->buffered) : 0;
}
void nodeBufferUse(Node *n, size_t bytes) {
    n->buffered += bytes;
}

static void recompileSession(Session *s, void *ctx);

/* The keys the node trusts into t: the trust file (opt->trustFile, else
 * DIR/trust.keys when it exists) and, once there are any, its own key for
 * its own name. */
static int loadTrust(Node *n, SignTrust *t, pnError *err) {
    char path[4200];
    const char *file = n->opt->trustFile;
    if (!file) {
        snprintf(path, sizeof(path), "%s/trust.keys", n->opt->dataDir);
        file = path;
    }
    int rc = signTrustLoad(t, file, err);
    if (rc == PN_ENOENT && !n->opt->trustFile) rc = PN_OK; /* the default file is optional */
    if (rc == PN_OK && t->nkeys) rc = signTrustSelf(t, n->key, n->opt->name);
    return rc == PN_ENOMEM ? pnErrorSet(err, rc, "out of memory") : rc;
}

/* The node's signing key (made on first start) and the keys it trusts. */
static int loadSigning(Node *n, pnError *err) {
    char path[4200];
    snprintf(path, sizeof(path), "%s/node.key", n->opt->dataDir);
    int created = 0;
    int rc = signKeyLoad(path, 1, &n->key, &created, err);
    if (rc != PN_OK) return rc;
    if (created) {
        char fp[65];
        signKeyFingerprint(n->key, fp);
        diagLog(DIAG_INFO, "created the node's signing key %s (fingerprint %s)", path, fp);
    }
    rc = loadTrust(n, &n->trust, err);
    if (rc == PN_OK) exchangeSetSigning(n->x, n->opt->unsignedOwn ? NULL : n->key, &n->trust);
    return rc;
}

/* SIGHUP: a key revoked or added takes effect for the next import. */
static void reloadTrust(Node *n) {
    SignTrust fresh;
    pnError err = {0};
    signTrustInit(&fresh);
    if (loadTrust(n, &fresh, &err) != PN_OK) {
        signTrustFree(&fresh);
        diagLog(DIAG_ERROR, "trusted keys not reloaded: %s", err.msg);
        return;
    }
    signTrustFree(&n->trust);
    n->trust = fresh;
    exchangeSetSigning(n->x, n->opt->unsignedOwn ? NULL : n->key, &n->trust);
    diagLog(DIAG_INFO, "trusted keys reloaded (%d)", n->trust.nkeys);
}

int nodeTrustedKeys(const Node *n) {
    return n->trust.nkeys;
}

int nodeOpen(Node **out, const NodeOptions *opt, const Registry *reg, const Spif *spif,
             pnError *err) {
    *out = NULL;
    Node *n = calloc(1, sizeof(*n));
    if (!n) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    n->loop = uv_default_loop();
    n->opt = opt;
    n->reg = reg;
    n->spif = spif;
    n->budget = opt->maxBufferBytes ? opt->maxBufferBytes : (uint64_t)256 << 20;
    /* Here, not in nodeRun: a node driven without its loop (fuzz_session's
     * socketless connections) takes logins too, and a zero per-principal
     * cap would refuse them all. */
    admitInit(&n->admit, &opt->limits);
    principalsInit(&n->principals);
    signTrustInit(&n->trust);
    ExchangeOptions xo = {.node = opt->name,
                          .maxQueued = opt->maxQueued,
                          .maxSubscriptions = opt->maxSubscriptions,
                          .maxSessionsPerPrincipal = opt->maxSessionsPerPrincipal,
                          .retained = opt->retained,
                          .log = opt->log,
                          .audit = opt->audit};
    LogRecovery rep;
    memset(&rep, 0, sizeof(rep));
    n->principalsStamp = fileStamp(opt->principalsFile);
    int rc = principalsLoad(&n->principals, opt->principalsFile, err);
    if (rc == PN_OK && opt->aclFile) rc = aclLoad(&n->acl, opt->aclFile, err);
    if (rc == PN_OK) rc = exchangeOpen(&n->x, opt->dataDir, &xo, reg, spif, &rep, err);
    if (rc == PN_OK) exchangeSetAcl(n->x, n->acl);
    if (rc == PN_OK) rc = loadSigning(n, err);
    for (int i = 0; rc == PN_OK && i < opt->ntopics; i++)
        rc = exchangeTopicLabel(n->x, opt->topicFilter[i], opt->topicLabel[i], err);
    if (rc != PN_OK) {
        nodeClose(n);
        return rc;
    }
    /* Restored sessions have no compiled principal yet: their saved wills
     * are published with one. */
    exchangeForEachSession(n->x, recompileSession, n);
    /* Every damaged place, not only the first. */
    for (int i = 0; i < rep.nproblems; i++)
        diagLog(DIAG_WARNING, "log recovery: %s", rep.problem[i]);
    if (rep.unlisted)
        diagLog(DIAG_WARNING, "log recovery: ... and %llu more damaged places",
                (unsigned long long)rep.unlisted);
    n->records = rep.records;
    *out = n;
    return PN_OK;
}

int nodeAdd(Node *n, const NodeFrontend *fe, pnError *err) {
    if (n->nfe >= NODE_MAX_FRONTENDS)
        return pnErrorSet(err, PN_ELIMIT, "more than %d front-ends", NODE_MAX_FRONTENDS);
    n->fe[n->nfe++] = *fe;
    return PN_OK;
}

int nodeProtocolAdd(Node *n, const StreamProtocol *p, pnError *err) {
    if (n->nprotocols >= NODE_MAX_PROTOCOLS)
        return pnErrorSet(err, PN_ELIMIT, "more than %d stream protocols", NODE_MAX_PROTOCOLS);
    n->protocols[n->nprotocols++] = *p;
    return PN_OK;
}

const StreamProtocol *nodeProtocolFind(Node *n, const char *name) {
    for (int i = 0; i < n->nprotocols; i++)
        if (strcmp(n->protocols[i].name, name) == 0) return &n->protocols[i];
    return NULL;
}

/* The log failing to store (disk full...) and its end are said once each,
 * loudly: refusals are counted in /metrics, not logged one by one. */
static void reportStore(Node *n) {
    char msg[700];
    while (exchangeStoreNews(n->x, msg, sizeof(msg)))
        diagLog(DIAG_ERROR, "store: %s", msg);
}
/* Close connections over a share of the budget (see NodeFrontend.shed). */
static void shedOver(Node *n, size_t share, int unauthOnly) {
    for (int i = 0; i < n->nfe; i++)
        if (n->fe[i].shed) n->shedConns += (uint64_t)n->fe[i].shed(n->fe[i].ctx, share, unauthOnly);
    n->shedShare = share;
}

/* The memory budget for connection buffers, checked every 100 ms.  Past
 * it, unauthenticated connections holding input go first: they are the
 * cheap attack (no credentials needed) and a real client just logs in
 * again.  Authenticated connections holding more than an equal share of
 * the budget among authenticated ones are closed only when authenticated
 * use alone is over it -- never the node. */
static void checkBudget(Node *n) {
    uint64_t ms = uv_now(n->loop);
    if (ms - n->budgetCheckedAt < 100) return;
    n->budgetCheckedAt = ms;
    size_t total = 0, unauth = 0;
    for (int i = 0; i < n->nfe; i++) {
        size_t u = 0;
        if (n->fe[i].buffered) total += n->fe[i].buffered(n->fe[i].ctx, &u);
        unauth += u;
    }
    n->buffered = total;
    if (total <= n->budget) return;
    n->shedTotal = total;
    if (unauth) shedOver(n, 0, 1);
    if (total - unauth <= n->budget) return;
    uint32_t authed = n->admit.total - n->admit.unauth;
    shedOver(n, n->budget / (authed ? authed : 1), 0);
}

void nodeTurn(Node *n) {
    exchangeCommit(n->x, NULL);
    reportStore(n);
    for (int i = 0; i < n->nfe; i++)
        if (n->fe[i].turn) n->fe[i].turn(n->fe[i].ctx);
    checkBudget(n);
}

static void onCheck(uv_check_t *h) {
    nodeTurn(h->data);
}

/* Once a second at most, one line each about connections refused and
 * connections closed over the buffer budget. */
static void reportLimits(Node *n) {
    char line[512];
    if (admitReport(&n->admit, line, sizeof(line))) diagLog(DIAG_WARNING, "%s", line);
    if (n->shedConns)
        diagLog(DIAG_WARNING,
                "connection buffers held %zu bytes, over the budget of %llu: closed "
                "%llu connections holding more than their share of %zu bytes",
                n->shedTotal, (unsigned long long)n->budget, (unsigned long long)n->shedConns,
                n->shedShare);
    n->shedConns = 0;
}

static void watchPrincipals(Node *n);

static void onTick(uv_timer_t *t) {
    Node *n = t->data;
    int64_t now = timeNow();
    for (int i = 0; i < n->nfe; i++)
        if (n->fe[i].tick) n->fe[i].tick(n->fe[i].ctx, now);
    exchangeExpire(n->x, now);
    watchPrincipals(n);
    reportStore(n);
    reportLimits(n);
}

void nodeStop(Node *n) {
    if (n->stopping) return;
    n->stopping = 1;
    for (int i = 0; i < n->nfe; i++)
        if (n->fe[i].stop) n->fe[i].stop(n->fe[i].ctx);
    if (!n->handlesOn) return;
    uv_close((uv_handle_t *)&n->tick, NULL);
    uv_close((uv_handle_t *)&n->sigterm, NULL);
    uv_close((uv_handle_t *)&n->sigint, NULL);
    uv_close((uv_handle_t *)&n->sighup, NULL);
    /* The commit handle goes last, after the front-ends' final output was
     * queued: closing handles still runs one more loop iteration. */
    uv_close((uv_handle_t *)&n->commit, NULL);
}

/* Sessions hold compiled principals: compile them again against the
 * reloaded data.  A connected one whose principal is gone -- also when the
 * name now belongs to another instance (removed and added again): that
 * connection logged in as someone who no longer exists -- or no longer
 * compiles is closed by its front-end; an offline one keeps its queue for
 * the principal's return, but its pending delayed will, which would be
 * published with rights nobody holds any more, is dropped (audited).  Also
 * run at start, for the sessions (and wills) restored from disk. */
static void recompileSession(Session *s, void *ctx) {
    Node *n = ctx;
    PrincipalEntry *e = principalsFind(&n->principals, s->principalName);
    pnError err = {0};
    Principal p;
    int gone = !e || (s->principalId[0] && !principalInstanceIs(e, s->principalId));
    if (!gone && principalEntryCompile(e, &p, n->reg, n->spif, &err) == PN_OK) {
        s->principal = p;
        return;
    }
    if (s->conn) {
        if (s->hooks->revoke) s->hooks->revoke(s->conn);
        return;
    }
    char why[300];
    strFormat(why, sizeof(why), "delayed will of session %s not published: %s", s->clientId,
              gone ? "its principal was removed or replaced" : err.msg);
    exchangeDropWill(n->x, s, why);
    /* The old rights (and the registry they point into, freed at the next
     * reload) must not outlive the drop; a resume compiles them anew. */
    memset(&s->principal, 0, sizeof(s->principal));
}

static void reloadRegistry(Node *n) {
    pnError err = {0};
    const Registry *reg = n->reg;
    const Spif *spif = n->spif;
    if (!n->opt->reload) return;
    if (n->opt->reload(n->opt->reloadCtx, &reg, &spif, &err) != PN_OK) {
        diagLog(DIAG_ERROR, "registry not reloaded: %s", err.msg);
        return;
    }
    n->reg = reg;
    n->spif = spif;
    exchangeRebind(n->x, reg, spif);
    diagLog(DIAG_INFO, "registry and policy reloaded (%zu nations, %zu groups)", reg->nnations,
            reg->ngroups);
}

/* DATA/principals.loaded: which state of the principals file this node
 * (pid) runs with, for `principal add/remove` to say when it took a
 * change.  Written whole under another name, then renamed. */
static void writeLoaded(Node *n) {
    char path[4200], tmp[4300];
    snprintf(path, sizeof(path), "%s/principals.loaded", n->opt->dataDir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return;
    const FileStamp *s = &n->principalsStamp;
    fprintf(f, "%ld %d %lld %llu %llu\n", (long)getpid(), s->exists, (long long)s->mtimeNs,
            (unsigned long long)s->ino, (unsigned long long)s->size);
    if (fclose(f) != 0 || rename(tmp, path) != 0) unlink(tmp);
}

static void reloadPrincipals(Node *n) {
    Principals fresh;
    pnError err = {0};
    principalsInit(&fresh);
    n->principalsStamp = fileStamp(n->opt->principalsFile);
    if (principalsLoad(&fresh, n->opt->principalsFile, &err) == PN_OK) {
        principalsFree(&n->principals);
        n->principals = fresh;
        diagLog(DIAG_INFO, "principals reloaded (%zu)", fresh.n);
        writeLoaded(n);
    } else {
        principalsFree(&fresh);
        diagLog(DIAG_ERROR, "principals not reloaded: %s", err.msg);
    }
    if (!n->opt->aclFile) return;
    Acl *acl;
    if (aclLoad(&acl, n->opt->aclFile, &err) != PN_OK) {
        diagLog(DIAG_ERROR, "topic rules (ACL) not reloaded: %s", err.msg);
        return;
    }
    exchangeSetAcl(n->x, acl);
    aclFree(n->acl);
    n->acl = acl;
    diagLog(DIAG_INFO, "topic rules (ACL) reloaded");
}

/* After new principals (or registry): sessions and front-ends follow. */
static void principalsChanged(Node *n) {
    exchangeForEachSession(n->x, recompileSession, n);
    for (int i = 0; i < n->nfe; i++)
        if (n->fe[i].reloaded) n->fe[i].reloaded(n->fe[i].ctx);
}

static void onSignal(uv_signal_t *h, int sig) {
    Node *n = h->data;
    if (sig != SIGHUP) {
        if (!n->stopping) n->stopSignal = sig;
        nodeStop(n);
        return;
    }
    reloadRegistry(n);
    reloadPrincipals(n);
    reloadTrust(n);
    principalsChanged(n);
}

/* Once a second: a changed principals file is loaded as SIGHUP would; a
 * vanished one leaves the principals in force (said once), since an
 * editor or a half-done copy must not lock everybody out. */
static void watchPrincipals(Node *n) {
    FileStamp now = fileStamp(n->opt->principalsFile);
    if (fileStampSame(&now, &n->principalsStamp)) return;
    if (!now.exists) {
        diagLog(DIAG_WARNING,
                "principals file %s vanished: the %zu principals loaded stay in "
                "force",
                n->opt->principalsFile, n->principals.n);
        n->principalsStamp = now;
        return;
    }
    reloadPrincipals(n);
    principalsChanged(n);
}

static void startHandles(Node *n) {
    uv_check_init(n->loop, &n->commit);
    n->commit.data = n;
    uv_check_start(&n->commit, onCheck);
    uv_timer_init(n->loop, &n->tick);
    n->tick.data = n;
    uv_timer_start(&n->tick, onTick, 1000, 1000);
    uv_signal_t *sigs[3] = {&n->sigterm, &n->sigint, &n->sighup};
    int nums[3] = {SIGTERM, SIGINT, SIGHUP};
    for (int i = 0; i < 3; i++) {
        uv_signal_init(n->loop, sigs[i]);
        sigs[i]->data = n;
        uv_signal_start(sigs[i], onSignal, nums[i]);
    }
    n->handlesOn = 1;
}

/* After the loop: write everything down and say so in one line, so an
 * operator (or systemd's journal) sees the stop was clean and what it kept. */
static int reportStop(Node *n, pnError *err) {
    ExchangeFlushed f;
    int rc = exchangeFlushAll(n->x, &f, err);
    const char *how = n->stopSignal == SIGTERM  ? " on SIGTERM"
                      : n->stopSignal == SIGINT ? " on SIGINT"
                                                : "";
    if (rc != PN_OK)
        return pnErrorPrefix(err, "node %s stopped%s, but not cleanly: ", n->opt->name, how);
    printf("partnernet: node %s stopped cleanly%s: log %llu messages synced, %zu sessions "
           "saved, audit %lld rows committed\n",
           n->opt->name, how, (unsigned long long)f.messages, f.sessions, (long long)f.auditRows);
    fflush(stdout);
    return PN_OK;
}

/* The ready line: every front-end's description, whole (a growing buffer,
 * so a node with many peers is not cut short). */
static void sayReady(Node *n) {
    pnBuf line;
    char part[256];
    bufInit(&line);
    bufPrintf(&line, "node %s ready: ", n->opt->name);
    for (int i = 0; i < n->nfe; i++) {
        if (!n->fe[i].describe) continue;
        part[0] = '\0';
        n->fe[i].describe(n->fe[i].ctx, part, sizeof(part));
        if (part[0]) bufPrintf(&line, "%s, ", part);
    }
    /* No principals is legal (a file deliberately left empty) but never
     * what an operator wants by accident: say so where they look. */
    bufPrintf(&line, "data %s, log %llu messages%s", n->opt->dataDir,
              (unsigned long long)n->records,
              n->principals.n ? "" : "; WARNING: no principals, nobody can log in");
    const char *text =
        bufFailed(&line) ? "node ready (out of memory for the details)" : bufStr(&line);
    if (n->opt->ready)
        n->opt->ready(n->opt->readyCtx, text);
    else
        diagLog(DIAG_INFO, "%s", text);
    bufFree(&line);
}

int nodeRun(Node *n, pnError *err) {
    signal(SIGPIPE, SIG_IGN);
    if (n->admit.cap < n->admit.lim.maxConnections)
        diagLog(DIAG_WARNING,
                "file limit %llu: at most %u connections (%u descriptors kept in reserve)",
                (unsigned long long)n->admit.fdMax, n->admit.cap, n->admit.lim.fdReserve);
    startHandles(n);
    writeLoaded(n);
    sayReady(n);
    uv_run(n->loop, UV_RUN_DEFAULT);
    return reportStop(n, err);
}

void nodeClose(Node *n) {
    if (!n) return;
    if (!n->stopping) nodeStop(n);
    uv_run(n->loop, UV_RUN_NOWAIT);
    exchangeClose(n->x);
    signKeyFree(n->key);
    signTrustFree(&n->trust);
    aclFree(n->acl);
    principalsFree(&n->principals);
    uv_loop_close(n->loop);
    free(n);
}

int nodeParseAddr(const char *addr, struct sockaddr_storage *sa, pnError *err) {
    char host[256];
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof(host))
        return pnErrorSet(err, PN_EINVAL, "address '%s' is not HOST:PORT", addr);
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535)
        return pnErrorSet(err, PN_EINVAL, "address '%s' has no valid port", addr);
    memset(sa, 0, sizeof(*sa));
    if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)sa) != 0 &&
        uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)sa) != 0)
        return pnErrorSet(err, PN_EINVAL, "address '%s' is not an IP address and port", addr);
    return PN_OK;
}

int nodeListen(Node *n, uv_tcp_t *t, const char *addr, uv_connection_cb cb, void *data,
               pnError *err) {
    struct sockaddr_storage sa;
    int rc = nodeParseAddr(addr, &sa, err);
    if (rc != PN_OK) return rc;
    uv_tcp_init(n->loop, t);
    t->data = data;
    int r = uv_tcp_bind(t, (const struct sockaddr *)&sa, 0);
    if (r == 0) r = uv_listen((uv_stream_t *)t, 512, cb);
    if (r != 0) {
        uv_close((uv_handle_t *)t, NULL);
        return pnErrorSet(err, PN_EIO, "cannot listen on %s: %s", addr, uv_strerror(r));
    }
    return PN_OK;
}

int nodeListenersStart(Node *n, NodeListeners *l, const char *plainAddr, const char *tlsAddr,
                       const char *certFile, const char *keyFile, const char *caFile,
                       int requireClientCert, uv_connection_cb cb, void *data, pnError *err) {
    int rc = PN_OK;
    if (plainAddr && plainAddr[0]) {
        rc = nodeListen(n, &l->plain, plainAddr, cb, data, err);
        l->plainOn = rc == PN_OK;
    }
    if (rc == PN_OK && tlsAddr && tlsAddr[0]) {
        rc = tlsServerContext(&l->ctx, certFile, keyFile, caFile, requireClientCert, err);
        if (rc == PN_OK) rc = nodeListen(n, &l->tls, tlsAddr, cb, data, err);
        l->tlsOn = rc == PN_OK;
    }
    if (rc != PN_OK) nodeListenersClose(l);
    return rc;
}

int nodeListenerTls(const NodeListeners *l, const uv_stream_t *listener) {
    return listener == (const uv_stream_t *)&l->tls;
}

void nodeListenersClose(NodeListeners *l) {
    if (l->plainOn) uv_close((uv_handle_t *)&l->plain, NULL);
    if (l->tlsOn) uv_close((uv_handle_t *)&l->tls, NULL);
    l->plainOn = l->tlsOn = 0;
}

void nodeListenersFree(NodeListeners *l) {
    if (l->ctx) SSL_CTX_free(l->ctx);
    l->ctx = NULL;
}
