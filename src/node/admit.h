/*
 * admit.h -- which connections the node takes: caps on connections, on
 * unauthenticated ones (node-wide and per source address), and a reserve
 * of file descriptors.
 *
 * Every front-end's accepted socket is counted here until it closes.  A
 * connection that has not yet authenticated is "unauthenticated" and sits
 * on a list, oldest first.  When a new connection would pass the
 * unauthenticated caps (or the total cap while unauthenticated ones exist),
 * the oldest unauthenticated connection -- of the same address for the
 * per-address cap -- is closed to make room: a client holding idle sockets
 * can only push out its own (or other idle) sockets, never a logged-in
 * client, and a real client arriving later still gets in.  When the total
 * cap is reached and nothing unauthenticated is left to close, the new
 * connection is refused.
 *
 * The total cap is also bounded by the file limit: RLIMIT_NOFILE minus the
 * descriptors open when the node started minus a reserve, so the node can
 * still open its log segments, plan.db, audit and write its log.
 *
 * Single-threaded: every call from the loop's thread.
 */
#ifndef PN_NODE_ADMIT_H
#define PN_NODE_ADMIT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct NodeConn NodeConn;

/* A front-end's hook on a counted connection: close it now (the close must
 * end in admitRelease). */
typedef void (*AdmitEvictFn)(NodeConn *nc);

/* Embedded in each front-end connection; zeroed before admitAccept. */
struct NodeConn {
    NodeConn *prev, *next; /* on the unauthenticated list while !authed */
    AdmitEvictFn evict;
    char addr[48]; /* source address, no port */
    int counted, authed;
};

typedef struct AdmitLimits {
    uint32_t maxConnections;      /* default 10,000 */
    uint32_t maxUnauthenticated;  /* default 1,000 */
    uint32_t maxUnauthPerAddress; /* default 256 (a burst of logins from one NAT) */
    uint32_t fdReserve;           /* default 64 (at most half the file limit) */
    uint32_t maxPerPrincipal;     /* logged-in MQTT connections of one principal,
                                   * default a quarter of the total cap */
} AdmitLimits;

typedef struct Admit {
    AdmitLimits lim;
    uint32_t cap;          /* effective total cap: maxConnections and the file limit */
    uint32_t perPrincipal; /* effective per-principal cap (at least 1) */
    uint64_t fdMax;        /* RLIMIT_NOFILE, 0 when unknown */
    uint32_t total, unauth;
    NodeConn *head, *tail;                              /* unauthenticated, oldest first */
    uint64_t refused, evicted, acceptErrors, loginBusy; /* counters since start */
    uint64_t refusedSeen, evictedSeen, acceptErrorsSeen, loginBusySeen; /* at the last report */
} Admit;

/* Defaults for zero fields; the total cap from lim and the file limit,
 * counting the descriptors open now (call once the listeners are open). */
void admitInit(Admit *a, const AdmitLimits *lim);

/*
 * Admit a connection just accepted from source address addr (see
 * admitPeerAddr; "" when unknown), for connection nc (evict closes it).
 * Returns 1 when it is counted (until admitRelease), or 0 when it is
 * refused (the caller closes it at once, without counting).  May first
 * close other unauthenticated connections through their evict.
 */
int admitAccept(Admit *a, NodeConn *nc, const char *addr, AdmitEvictFn evict);

/* The peer address of client (no port) into out; "" when unknown. */
void admitPeerAddr(uv_tcp_t *client, char *out, size_t cap);

/* nc has authenticated: it leaves the unauthenticated list and caps. */
void admitAuthenticated(Admit *a, NodeConn *nc);

/* nc is closing (idempotent; does nothing for an uncounted one). */
void admitRelease(Admit *a, NodeConn *nc);

/* A login was refused at once because too many password checks were in
 * flight (node-wide or from its address): counted. */
void admitLoginBusy(Admit *a);

/* A listener's accept failed with status (e.g. UV_EMFILE): counted. */
void admitAcceptFailed(Admit *a, int status);

/*
 * Write into out one line about what was refused or closed since the last
 * call ("connections: N refused, M unauthenticated connections closed to
 * make room (...)").  Returns 1 when there was something to say, else 0
 * and out is empty.
 */
int admitReport(Admit *a, char *out, size_t cap);

#endif
