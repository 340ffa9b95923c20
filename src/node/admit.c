/*
 * admit.c -- connection caps and the descriptor reserve (see admit.h).
 */
#include "admit.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

/* Descriptors open now (/proc/self/fd, less the one reading it); 16 when
 * that cannot be read. */
static uint64_t openFds(void) {
    DIR *d = opendir("/proc/self/fd");
    if (!d) return 16;
    uint64_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n ? n - 1 : 0;
}

/* One principal may hold a quarter of the connections by default, so a
 * single client (or stolen credential) cannot lock every other one out. */
static void setPerPrincipal(Admit *a) {
    uint32_t def = a->cap / 4 ? a->cap / 4 : 1;
    a->perPrincipal = a->lim.maxPerPrincipal ? a->lim.maxPerPrincipal : def;
}

void admitInit(Admit *a, const AdmitLimits *lim) {
    memset(a, 0, sizeof(*a));
    a->lim = *lim;
    if (!a->lim.maxConnections) a->lim.maxConnections = 10000;
    if (!a->lim.maxUnauthenticated) a->lim.maxUnauthenticated = 1000;
    if (!a->lim.maxUnauthPerAddress) a->lim.maxUnauthPerAddress = 256;
    if (!a->lim.fdReserve) a->lim.fdReserve = 64;
    a->cap = a->lim.maxConnections;
    setPerPrincipal(a);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return;
    a->fdMax = rl.rlim_cur;
    uint64_t reserve = a->lim.fdReserve < a->fdMax / 2 ? a->lim.fdReserve : a->fdMax / 2;
    uint64_t used = openFds() + reserve;
    uint64_t avail = a->fdMax > used ? a->fdMax - used : 1;
    if (avail < a->cap) a->cap = (uint32_t)avail;
    setPerPrincipal(a);
    a->lim.fdReserve = (uint32_t)reserve;
}

static void unlink1(Admit *a, NodeConn *nc) {
    if (nc->prev)
        nc->prev->next = nc->next;
    else
        a->head = nc->next;
    if (nc->next)
        nc->next->prev = nc->prev;
    else
        a->tail = nc->prev;
    nc->prev = nc->next = NULL;
    a->unauth--;
}

/* Close the unauthenticated connection victim to make room. */
static void evict(Admit *a, NodeConn *victim) {
    a->evicted++;
    victim->evict(victim);                        /* ends in admitRelease, which unlinks it */
    if (victim->counted) admitRelease(a, victim); /* a front-end that did not */
}

/* The oldest unauthenticated connection from addr, and how many there are. */
static NodeConn *oldestFrom(Admit *a, const char *addr, uint32_t *count) {
    NodeConn *first = NULL;
    *count = 0;
    for (NodeConn *c = a->head; c; c = c->next)
        if (strcmp(c->addr, addr) == 0) {
            if (!first) first = c;
            ++*count;
        }
    return first;
}

void admitPeerAddr(uv_tcp_t *client, char *out, size_t cap) {
    struct sockaddr_storage sa;
    int len = sizeof(sa);
    out[0] = '\0';
    if (uv_tcp_getpeername(client, (struct sockaddr *)&sa, &len) != 0) return;
    if (sa.ss_family == AF_INET6)
        uv_ip6_name((struct sockaddr_in6 *)&sa, out, cap);
    else
        uv_ip4_name((struct sockaddr_in *)&sa, out, cap);
}

int admitAccept(Admit *a, NodeConn *nc, const char *addr, AdmitEvictFn evictFn) {
    memset(nc, 0, sizeof(*nc));
    nc->evict = evictFn;
    snprintf(nc->addr, sizeof(nc->addr), "%s", addr);
    uint32_t same;
    NodeConn *old = oldestFrom(a, nc->addr, &same);
    if (old && same >= a->lim.maxUnauthPerAddress) evict(a, old);
    if (a->head && a->unauth >= a->lim.maxUnauthenticated) evict(a, a->head);
    if (a->head && a->total >= a->cap) evict(a, a->head);
    if (a->total >= a->cap) {
        a->refused++;
        return 0;
    }
    a->total++;
    a->unauth++;
    nc->counted = 1;
    nc->prev = a->tail;
    if (a->tail)
        a->tail->next = nc;
    else
        a->head = nc;
    a->tail = nc;
    return 1;
}

void admitAuthenticated(Admit *a, NodeConn *nc) {
    if (!nc->counted || nc->authed) return;
    unlink1(a, nc);
    nc->authed = 1;
}

void admitRelease(Admit *a, NodeConn *nc) {
    if (!nc->counted) return;
    if (!nc->authed) unlink1(a, nc);
    nc->counted = 0;
    a->total--;
}

void admitLoginBusy(Admit *a) {
    a->loginBusy++;
}

void admitAcceptFailed(Admit *a, int status) {
    (void)status;
    a->acceptErrors++;
}

int admitReport(Admit *a, char *out, size_t cap) {
    out[0] = '\0';
    uint64_t r = a->refused - a->refusedSeen, e = a->evicted - a->evictedSeen,
             f = a->acceptErrors - a->acceptErrorsSeen, b = a->loginBusy - a->loginBusySeen;
    if (!r && !e && !f && !b) return 0;
    a->loginBusySeen = a->loginBusy;
    a->refusedSeen = a->refused;
    a->evictedSeen = a->evicted;
    a->acceptErrorsSeen = a->acceptErrors;
    snprintf(out, cap,
             "connections: %llu refused, %llu unauthenticated connections closed to make room, "
             "%llu accepts failed, %llu logins refused while password checks were busy "
             "(connections %u of %u, unauthenticated %u of %u, at most %u per address)",
             (unsigned long long)(r + f), (unsigned long long)e, (unsigned long long)f,
             (unsigned long long)b, a->total, a->cap, a->unauth, a->lim.maxUnauthenticated,
             a->lim.maxUnauthPerAddress);
    return 1;
}
