/*
 * acl.h -- topic access rules: which principals may publish to and
 * subscribe to which topics.
 *
 * Labels decide what a principal may receive; an ACL only narrows that
 * further, by topic, the way operators of mosquitto are used to.  Without
 * an ACL file every topic is open (labels still decide); with one, a topic
 * is closed unless a rule opens it.
 *
 * File format (`acl_file = PATH` in the node's configuration), one rule a
 * line, '#' starts a comment line:
 *
 *   topic read|write|readwrite FILTER     rule for the current subject
 *   pattern read|write|readwrite FILTER   rule for every principal, with %u
 *                                         (principal name) and %n (nation,
 *                                         alpha-3) substituted
 *   principal NAME                        following topic rules: that principal
 *   nation CODE                           following topic rules: that nation's
 *                                         principals
 *   all                                   following topic rules: everyone
 *
 * `topic` lines before any subject line apply to everyone.  read covers
 * subscriptions and deliveries, write covers publishes.  A subscription is
 * allowed when one read rule covers the whole filter (every topic the filter
 * matches matches the rule: `ops/#` covers `ops/+/air`, `ops/+` does not
 * cover `ops/#`), so a subscriber never receives a topic it may not read.
 * A name used in a pattern that holds '/', '+' or '#' matches nothing.
 */
#ifndef PN_ACL_H
#define PN_ACL_H

#include "../core/err.h"

enum { ACL_READ = 1, ACL_WRITE = 2 };

typedef struct Acl Acl;

/* Who asks: the principal's name and nation code (e.g. "SWE"). */
typedef struct AclWho {
    const char *name;
    const char *nation;
} AclWho;

/* Read the rules in path.  Returns PN_OK with *out (free with aclFree), or
 * PN_EINVAL/PN_EIO with "PATH:LINE: what" in err and *out NULL. */
int aclLoad(Acl **out, const char *path, pnError *err);

/* Free the rules; NULL is ignored. */
void aclFree(Acl *a);

/* 1 when who may access (ACL_READ or ACL_WRITE) the topic name, else 0.
 * a NULL: 1 (no ACL). */
int aclAllowsTopic(const Acl *a, const AclWho *who, int access, const char *topic);

/* 1 when a read rule covers every topic the subscription filter matches,
 * else 0.  a NULL: 1. */
int aclAllowsFilter(const Acl *a, const AclWho *who, const char *filter);

/* 1 when every topic filter f2 matches is matched by filter f1 (pure; for
 * tests and aclAllowsFilter). */
int aclFilterCovers(const char *f1, const char *f2);

#endif
