/*
 * link.h -- one federation link: this node pulls from a peer node.
 *
 * A link is an MQTT 5 client on the node's loop.  It logs in at the peer
 * as an ordinary principal of this node's nation (password, or TLS client
 * certificate), with a persistent session, and subscribes to the
 * configured filters at QoS 1.  So the peer's own decide() is the guard:
 * this node receives only what its nation may hold, and the peer keeps
 * everything not yet acknowledged in that session while the link is down.
 *
 * Until origins sign their messages, a peer is not trusted beyond what it
 * may hold itself: a message is stored only if its origin is one this
 * peer may relay (origins =; by default only the peer's own node name,
 * taken to be the [peer NAME]) and decide() allows its label to the
 * peer's principal at this node (peer_principal =; by default the
 * principal named NAME), as for a direct publisher.  A refusal is
 * audited (import_refused) and acknowledged with its reason code, so the
 * peer does not resend it forever and what follows it still flows.
 *
 * Every message received is stored with the id it got where it was first
 * published (exchangeImport): a message this node already holds -- from
 * another link, or sent again after a drop -- is acknowledged and not
 * stored twice, so loops (A->B->C->A) cause neither storms nor duplicates.
 * A PUBACK goes back to the peer only once the message is on disk here,
 * so an outage, a peer restart or kill -9 of either side loses nothing.
 */
#ifndef PN_LINK_H
#define PN_LINK_H

#include <stdint.h>

#include "../core/err.h"
#include "../node/node.h"

#define LINK_MAX_TOPICS 32

typedef struct LinkOptions {
    const char *name;                    /* the peer, as in [peer NAME] */
    const char *address;                 /* HOST:PORT of the peer's MQTT (or MQTTS) listener */
    const char *principal;               /* the name this node logs in as at the peer */
    const char *passwordFile;            /* first line: the password (or NULL) */
    const char *certFile, *keyFile;      /* TLS login with this node's certificate (optional) */
    const char *caFile;                  /* TLS: the CA the peer's certificate must chain to;
                                            NULL (and no cert): plain TCP */
    const char *serverName;              /* TLS: the name the peer's certificate must carry;
                                            NULL: its IP address (subjectAltName IP) */
    const char *topics[LINK_MAX_TOPICS]; /* filters to subscribe to at the peer */
    int ntopics;
    const char *origins[LINK_MAX_TOPICS]; /* nodes whose messages this peer may relay; */
    int norigins;                         /* 0: only the peer itself (name) */
    const char *peerPrincipal;            /* the principal of this node that stands for the peer:
                                             decide() for it guards every import; NULL: name */
} LinkOptions;

typedef struct LinkStatus {
    char name[64];
    char address[128];
    const char *state;     /* "down", "connecting", "subscribing", "up" */
    uint64_t received;     /* PUBLISH packets received */
    uint64_t stored;       /* new messages stored */
    uint64_t duplicates;   /* already held: acknowledged, not stored */
    uint64_t refused;      /* refused by this node (bad label ...): acknowledged with the reason */
    uint64_t connects;     /* successful logins at the peer */
    uint64_t sessionsLost; /* logins after which the peer had no session for us */
    uint64_t failures;     /* attempts that failed or links that went down */
    int64_t lastReceived;  /* time of the last PUBLISH (seconds), 0 never */
    int64_t lastOrigin;    /* origin time of that message */
    char lastError[256];   /* "" when none */
} LinkStatus;

typedef struct Link Link;

/* Check o as linkStart does before it needs a running node: address,
 * principal name, topic filters, a credential named.  PN_OK, or PN_EINVAL
 * with "peer NAME: what" in err.  (`serve --check` uses it too.) */
int linkCheckOptions(const LinkOptions *o, pnError *err);

/*
 * Check the options, read the password file, and attach the link to node
 * (nodeAdd); it connects once the node runs, and reconnects after any
 * failure with a growing delay (0.1 s to 2 s).  opt is copied; its strings
 * must outlive the link.  *out is set even on error; free it with linkFree
 * after nodeClose.  Returns PN_OK or PN_EINVAL/PN_EIO with the reason
 * (PN_EINVAL also when the peer principal is not in the node's principals
 * or does not compile: a link with nothing to guard its imports does not
 * start).
 */
int linkStart(Link **out, Node *node, const LinkOptions *opt, pnError *err);

/* The link's state and counters now. */
void linkStatus(const Link *l, LinkStatus *st);

/* Free a link after its node was closed.  NULL is ignored. */
void linkFree(Link *l);

#endif
