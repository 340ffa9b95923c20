/*
 * notify.h -- the node publishes what the planning store queued.
 *
 * `partnernet plan exercise add` (or an import) records a notifiable
 * exercise and queues its Vienna Document notification in the outbox of
 * DIR/plan.db; it does not talk to the node.  The running node drains that
 * outbox once a second: each notice becomes a labelled message on the
 * exchange (so it reaches partners through decide(), and over federation
 * links), and is marked done only on the next turn, after the group commit
 * has made it durable.  A node killed in between publishes it again: at
 * least once, never lost.
 */
#ifndef PN_PLAN_NOTIFY_H
#define PN_PLAN_NOTIFY_H

#include "../core/err.h"
#include "../node/node.h"

typedef struct PlanNotifier PlanNotifier;

/*
 * Attach the outbox drain to node (DIR/plan.db in the node's data
 * directory, opened on first use; a missing or locked database is tried
 * again a second later).  *out is set even on error; free with
 * planNotifierFree after nodeClose.  Returns PN_OK or an error of nodeAdd.
 */
int planNotifierStart(PlanNotifier **out, Node *node, pnError *err);

/* Free after nodeClose.  NULL is ignored. */
void planNotifierFree(PlanNotifier *pn);

#endif
