/*
 * peers.h -- the federation status of a running node, for operators.
 *
 * Once a second the node writes DIR/peers.json (atomically: a temporary
 * file renamed over the old one): every outbound link (this node pulling
 * from a peer: state, counters, last error, replication lag) and every
 * inbound one (a principal with the "node" role pulling from this node:
 * connected or not, backlog waiting for it here, messages lost to log
 * retention).  `partnernet peers` reads that file, so asking for the
 * status never touches the running node.
 */
#ifndef PN_PEERS_H
#define PN_PEERS_H

#include "../core/err.h"
#include "../node/node.h"
#include "link.h"

#define PEERS_FILE "peers.json"

typedef struct Peers Peers;

/*
 * Attach the status writer to node for links[0..n) (the array is copied;
 * the links must outlive it).  Writes the file once at once and then
 * every second.  *out is set even on error; free with peersFree after
 * nodeClose.  Returns PN_OK, or an error from nodeAdd.
 */
int peersStart(Peers **out, Node *node, Link *const *links, int n, pnError *err);

/* Free after nodeClose.  NULL is ignored. */
void peersFree(Peers *p);

#endif
