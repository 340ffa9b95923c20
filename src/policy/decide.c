/*
 * decide.c -- the access decision and its inputs (see decide.h).
 */
#include "decide.h"

#include <stdio.h>
#include <string.h>

#include "../core/date.h"
#include "../core/str.h"
#include "../registry/suggest.h"

void decideLabelCompile(const Label *l, DecideLabel *out) {
    const Spif *s = l->policy;
    memset(out, 0, sizeof(*out));
    out->cls = (uint8_t)l->cls;
    out->lowest = l->cls == 0;
    for (size_t i = 0; i < l->ncats; i++) {
        const SpifTagSet *t = &s->tagsets[l->cats[i].tagset];
        const SpifValue *v = &t->values[l->cats[i].value];
        if (t->type == TAG_RESTRICTIVE)
            out->caveats |= 1ULL << v->bit;
        else if (t->type == TAG_PERMISSIVE && v->targetKind == TARGET_NATION)
            NationSetAdd(&out->nations, v->target);
        else if (t->type == TAG_PERMISSIVE && v->targetKind == TARGET_GROUP)
            GroupSetAdd(&out->groups, v->target);
    }
}

/* Why a non-member is not reached: a named group it joins later or left.
 * Off the allow path, but still allocation-free and loop-free in the
 * common case (no named group the nation was ever in). */
static Decision whyNotReleasable(const Principal *p, const DecideLabel *l, int32_t day) {
    const RegTimeline *t = &p->reg->timeline[p->nation];
    Decision d = {DENY_NOT_RELEASABLE, 0};
    for (int k = 0; k < PN_MAX_GROUPS / 64; k++) {
        uint64_t w = l->groups.w[k] & t->ever.w[k];
        if (!w) continue;
        unsigned g = (unsigned)(k * 64 + __builtin_ctzll(w));
        d.detail = (uint16_t)g;
        d.reason = registryFirstDay(p->reg, (int)g, p->nation) > day ? DENY_NOT_YET_MEMBER
                                                                     : DENY_NO_LONGER_MEMBER;
        return d;
    }
    return d;
}

Decision decide(const Principal *p, const DecideLabel *l, int64_t at) {
    Decision d = {DECIDE_ALLOW, 0};
    if (p->clearance < l->cls) {
        d.reason = DENY_CLEARANCE;
        return d;
    }
    uint64_t missing = l->caveats & ~p->caveats;
    if (missing) {
        d.reason = DENY_CAVEAT;
        d.detail = (uint16_t)__builtin_ctzll(missing);
        return d;
    }
    const Registry *r = p->reg;
    int32_t day = dayOfTime(at);
    const RegTimelineEntry *e = registryAt(r, p->nation, day);
    if (r->owner >= 0 && GroupSetHas(&e->groups, (unsigned)r->owner)) return d; /* an ally */
    int releasable =
        NationSetHas(&l->nations, p->nation) || GroupSetIntersects(&l->groups, &e->groups);
    if (!releasable && GroupSetIntersects(&l->groups, &p->cois)) {
        /* Communities assigned to the principal count while they are open. */
        const GroupSet *open = registryOpenAt(r, day);
        for (int k = 0; k < PN_MAX_GROUPS / 64; k++)
            releasable |= (l->groups.w[k] & p->cois.w[k] & open->w[k]) != 0;
    }
    if (!releasable) return whyNotReleasable(p, l, day);
    if (!l->lowest && !(e->flags & REG_F_SECURITY)) d.reason = DENY_NO_AGREEMENT;
    return d;
}

static const char *const reasonText[DECIDE_NREASONS] = {
    "allowed",
    "clearance too low",
    "missing caveat",
    "not releasable to nation",
    "framework membership not yet valid on that date",
    "framework membership no longer valid on that date",
    "no security agreement",
};

static const char *const reasonCode[DECIDE_NREASONS] = {
    "allow",          "clearance",        "caveat",       "not_releasable",
    "not_yet_member", "no_longer_member", "no_agreement",
};

const char *decideReasonText(DecideReason r) {
    return (unsigned)r < DECIDE_NREASONS ? reasonText[r] : "unknown reason";
}

const char *decideReasonCode(DecideReason r) {
    return (unsigned)r < DECIDE_NREASONS ? reasonCode[r] : "unknown";
}

static const char *caveatName(const Spif *s, unsigned bit) {
    for (size_t t = 0; t < s->ntagsets; t++) {
        if (s->tagsets[t].type != TAG_RESTRICTIVE) continue;
        for (size_t v = 0; v < s->tagsets[t].nvalues; v++)
            if (s->tagsets[t].values[v].bit == bit) return s->tagsets[t].values[v].name;
    }
    return "?";
}

void decideExplain(const Decision *d, const Principal *p, const Spif *s, char *buf, size_t cap) {
    const Registry *r = p->reg;
    const char *code = r->nations[p->nation].code;
    switch (d->reason) {
    case DENY_CLEARANCE:
        snprintf(buf, cap, "clearance too low (%s holds %s)", p->name[0] ? p->name : code,
                 s->classes[p->clearance].phrase);
        break;
    case DENY_CAVEAT:
        snprintf(buf, cap, "missing caveat %s", caveatName(s, d->detail));
        break;
    case DENY_NOT_RELEASABLE:
        snprintf(buf, cap, "not releasable to nation %s", code);
        break;
    case DENY_NOT_YET_MEMBER:
    case DENY_NO_LONGER_MEMBER: {
        char day[11];
        int32_t first = registryFirstDay(r, d->detail, p->nation);
        dateFormat(first, day);
        if (d->reason == DENY_NOT_YET_MEMBER)
            snprintf(buf, cap, "framework membership not yet valid on that date (%s in %s from %s)",
                     code, r->groups[d->detail].id, day);
        else
            snprintf(buf, cap,
                     "framework membership no longer valid on that date (%s no longer in %s)", code,
                     r->groups[d->detail].id);
        break;
    }
    case DENY_NO_AGREEMENT:
        snprintf(buf, cap, "no security agreement (%s has none with %s on that date)", code,
                 r->owner >= 0 ? r->groups[r->owner].id : "the policy owner");
        break;
    default:
        snprintf(buf, cap, "%s", decideReasonText(d->reason));
    }
}

/* ---- principals -------------------------------------------------------- */

int principalCompile(Principal *p, const char *name, const char *nation, const char *clearance,
                     const char *const *cois, size_t ncois, const char *const *caveats,
                     size_t ncaveats, const Registry *r, const Spif *s, pnError *err) {
    memset(p, 0, sizeof(*p));
    p->reg = r;
    if (name && strCopy(p->name, sizeof(p->name), name) != 0)
        return pnErrorSet(err, PN_EINVAL, "principal name longer than %zu bytes",
                          sizeof(p->name) - 1);
    if (!nation || !nation[0]) return pnErrorSet(err, PN_EINVAL, "principal has no nation");
    int n = registryNation(r, nation);
    char hint[64];
    if (n < 0)
        return pnErrorSet(err, PN_EINVAL, "unknown nation or framework '%s'%s", nation,
                          registryDidYouMean(r, nation, SUGGEST_NATIONS, hint, sizeof(hint)));
    p->nation = (uint16_t)n;
    if (!clearance || !clearance[0])
        return pnErrorSet(err, PN_EINVAL, "principal has no clearance");
    int c = spifClearance(s, clearance);
    if (c < 0)
        return pnErrorSet(err, PN_EINVAL, "unknown clearance '%s' (use NU, NR, NC, NS or CTS)",
                          clearance);
    p->clearance = (uint8_t)c;
    for (size_t i = 0; i < ncois; i++) {
        int g = registryGroup(r, cois[i]);
        if (g < 0 || r->groups[g].kind != REG_COMMUNITY)
            return pnErrorSet(err, PN_EINVAL, "unknown community of interest '%s'", cois[i]);
        GroupSetAdd(&p->cois, (unsigned)g);
    }
    for (size_t i = 0; i < ncaveats; i++) {
        int found = 0;
        for (size_t t = 0; t < s->ntagsets && !found; t++) {
            if (s->tagsets[t].type != TAG_RESTRICTIVE) continue;
            int v = spifValue(&s->tagsets[t], caveats[i]);
            if (v >= 0) p->caveats |= 1ULL << s->tagsets[t].values[v].bit, found = 1;
        }
        if (!found) return pnErrorSet(err, PN_EINVAL, "unknown caveat '%s'", caveats[i]);
    }
    return PN_OK;
}

#define PRINCIPAL_MAX_LIST 64

/* Split "A+B+C" in place into list (room for `room` entries); returns the
 * count or -1 when there are more. */
static int splitList(char *v, const char **list, int room) {
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(v, "+;", &save); tok; tok = strtok_r(NULL, "+;", &save)) {
        if (n >= room) return -1;
        list[n++] = tok;
    }
    return n;
}

int principalParse(Principal *p, const char *text, const Registry *r, const Spif *s, pnError *err) {
    char buf[1024];
    if (strCopy(buf, sizeof(buf), text) != 0)
        return pnErrorSet(err, PN_EINVAL, "principal description too long");
    const char *name = NULL, *nation = NULL, *clearance = NULL;
    const char *cois[PRINCIPAL_MAX_LIST], *caveats[PRINCIPAL_MAX_LIST];
    int ncois = 0, ncaveats = 0;
    char *save = NULL;
    for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        while (*kv == ' ')
            kv++;
        char *eq = strchr(kv, '=');
        if (!eq) return pnErrorSet(err, PN_EINVAL, "principal part '%s' is not key=value", kv);
        *eq = '\0';
        char *v = eq + 1;
        const char **single = strEqualNoCase(kv, "nation")      ? &nation
                              : strEqualNoCase(kv, "clearance") ? &clearance
                              : strEqualNoCase(kv, "name")      ? &name
                                                                : NULL;
        if (single) {
            /* A repeated key is refused: "last one wins" would let an
             * appended part override an identity attribute. */
            if (*single)
                return pnErrorSet(err, PN_EINVAL, "principal attribute '%s' given twice", kv);
            *single = v;
        } else if (strEqualNoCase(kv, "coi") || strEqualNoCase(kv, "cois")) {
            int k = splitList(v, cois + ncois, PRINCIPAL_MAX_LIST - ncois);
            if (k < 0 || ncois + k > PRINCIPAL_MAX_LIST)
                return pnErrorSet(err, PN_ELIMIT, "too many communities");
            ncois += k;
        } else if (strEqualNoCase(kv, "caveat") || strEqualNoCase(kv, "caveats")) {
            int k = splitList(v, caveats + ncaveats, PRINCIPAL_MAX_LIST - ncaveats);
            if (k < 0 || ncaveats + k > PRINCIPAL_MAX_LIST)
                return pnErrorSet(err, PN_ELIMIT, "too many caveats");
            ncaveats += k;
        } else
            return pnErrorSet(
                err, PN_EINVAL,
                "unknown principal attribute '%s' (use nation, clearance, coi, caveat, name)", kv);
    }
    return principalCompile(p, name, nation, clearance, cois, (size_t)ncois, caveats,
                            (size_t)ncaveats, r, s, err);
}
