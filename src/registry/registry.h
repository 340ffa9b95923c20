/*
 * registry.h -- the partnership registry: nations, frameworks, communities
 * of interest and agreements, with dated membership.
 *
 * Everything here is asked "as of a day": NATO on 2022-06-01 had 30 members
 * and on 2024-04-01 had 32.  The registry is loaded from JSON data files
 * (data/registry/) into a Registry, then compiled into one small timeline
 * per nation: the days on which anything about that nation changes, each
 * with the set of groups it belonged to from that day on.  The decision
 * path reads only the timeline; the slow, obviously-correct functions
 * (registryIsMemberSlow and friends) are kept for tests and for
 * explanations.
 *
 * A Registry is immutable after registryLoadDir() returns, so any number of
 * threads may read it.
 */
#ifndef PN_REGISTRY_H
#define PN_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "../core/bitset.h"
#include "../core/err.h"

/* registryLoadDir reads at most this many *.json files (more is an error). */
#define REG_MAX_FILES 512

enum { REG_NATION = 0, REG_ORGANISATION = 1 };
enum { REG_FRAMEWORK = 0, REG_COMMUNITY = 1 };
enum { REG_AGREEMENT_SECURITY = 0, REG_AGREEMENT_SHARING = 1 };

/* Timeline flag: the nation may receive classified information under the
 * registry's policy owner (it is a member, or holds a security agreement). */
#define REG_F_SECURITY 1u

typedef struct RegNation {
    char code[8]; /* ISO 3166-1 alpha-3, or an organisation such as NATO */
    char name[80];
    int kind; /* REG_NATION or REG_ORGANISATION */
} RegNation;

/* One spell of membership: member on days from <= d < min(to, suspended). */
typedef struct RegMembership {
    uint16_t nation;
    int32_t from;
    int32_t to;        /* exclusive end; PN_DAY_NEVER when open */
    int32_t suspended; /* first day of suspension; PN_DAY_NEVER when none */
    char note[320];
} RegMembership;

typedef struct RegGroup {
    char id[40]; /* NATO, PFP, SAMPLE-NORTH ... (upper case) */
    char name[96];
    int kind; /* REG_FRAMEWORK or REG_COMMUNITY */
    int32_t established;
    int32_t closed; /* exclusive; PN_DAY_NEVER when open */
    RegMembership *members;
    size_t nmembers;
    int unionOf[4]; /* groups whose members are members of this one */
    int nunion;
    char sources[512];
} RegGroup;

typedef struct RegAgreement {
    char id[48];
    int type;
    uint16_t parties[32];
    int nparties;
    int32_t from, to;
    char note[320];
    char source[320]; /* where the agreement and its date come from */
} RegAgreement;

typedef struct RegTimelineEntry {
    int32_t from;    /* first day this entry holds */
    uint32_t flags;  /* REG_F_* */
    GroupSet groups; /* groups the nation belongs to from `from` on */
} RegTimelineEntry;

typedef struct RegTimeline {
    RegTimelineEntry *e; /* sorted by from; e[0].from is PN_DAY_NONE */
    size_t n;
    GroupSet ever; /* every group the nation was ever in */
} RegTimeline;

typedef struct Registry {
    RegNation nations[PN_MAX_NATIONS];
    size_t nnations;
    RegGroup groups[PN_MAX_GROUPS];
    size_t ngroups;
    RegAgreement *agreements;
    size_t nagreements;
    int owner; /* group index of the policy owner (NATO) or -1 */
    RegTimeline timeline[PN_MAX_NATIONS];
    RegTimeline open; /* groups that exist (established..closed) per day */
} Registry;

/* Zero r.  Always pair with registryFree(). */
void registryInit(Registry *r);

/* Release everything r owns; r may be initialised again. */
void registryFree(Registry *r);

/*
 * Load every *.json file in dirs (in name order) into r and compile the
 * timelines.  dirs is one directory or several separated by ':' (such as
 * "data/registry:data/sample/registry"); they are loaded in that order,
 * each completely, so a later one may name what an earlier one defines but
 * not the reverse.  A file is recognised by its top-level keys: "nations",
 * "members" or "union_of" (a framework), "communities", "agreements".
 * Each may hold a "sources" field.  Any error -- unreadable file, bad JSON,
 * bad date, unknown nation code, duplicate id, more than PN_MAX_NATIONS
 * nations, an empty directory name in dirs -- returns
 * PN_EINVAL/PN_EIO/PN_ELIMIT/PN_ENOENT with "file: what" in err, and r must
 * then be freed.  The policy owner is the group "NATO".
 */
int registryLoadDir(Registry *r, const char *dirs, pnError *err);

/* Load one JSON document (text) as if it were a file named `name`.  Call
 * registryCompile() after the last one.  Same errors as registryLoadDir. */
int registryLoadJson(Registry *r, const char *name, const char *text, pnError *err);

/* Build the per-nation timelines.  Returns PN_OK or PN_ENOMEM. */
int registryCompile(Registry *r, pnError *err);

/* Index of a nation/organisation code (case-insensitive) or -1. */
int registryNation(const Registry *r, const char *code);

/* Index of a framework or community id (case-insensitive) or -1. */
int registryGroup(const Registry *r, const char *id);

/* Reference answers, by looping over the loaded data (no timeline). */
int registryIsMemberSlow(const Registry *r, int group, int nation, int32_t day);
int registryHasSecuritySlow(const Registry *r, int nation, int32_t day);
int registryGroupOpenSlow(const Registry *r, int group, int32_t day);

/* The timeline entry in force for nation on day (never NULL after
 * registryCompile).  O(log n) in the nation's number of changes; inline
 * because it is on the path of every decision, and most decisions are
 * about today, which the first comparison answers. */
static inline const RegTimelineEntry *registryAt(const Registry *r, int nation, int32_t day) {
    const RegTimeline *t = &r->timeline[nation];
    size_t lo = 0, hi = t->n; /* e[0].from is PN_DAY_NONE: an answer exists */
    if (day >= t->e[hi - 1].from) return &t->e[hi - 1];
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (t->e[mid].from <= day)
            lo = mid;
        else
            hi = mid;
    }
    return &t->e[lo];
}

/* Groups that exist (are established and not closed) on day. */
const GroupSet *registryOpenAt(const Registry *r, int32_t day);

/* Member nations of group on day, into out; returns the count.  Organisations
 * (which are members of the framework they are) are not counted. */
int registryMembersAt(const Registry *r, int group, int32_t day, NationSet *out);

/* First day nation was a member of group, or PN_DAY_NEVER when never. */
int32_t registryFirstDay(const Registry *r, int group, int nation);

#endif
