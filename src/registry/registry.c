/*
 * registry.c -- loading the partnership registry from JSON and compiling
 * per-nation timelines (see registry.h for the model).
 */
#include "registry.h"

#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../core/date.h"
#include "../core/str.h"

#define REG_MAX_FILE (4u << 20) /* a registry file larger than this is a mistake */

/* Unresolved "union_of" names, kept until registryCompile(). */
typedef struct {
    char names[4][40];
} UnionNames;

void registryInit(Registry *r) {
    memset(r, 0, sizeof(*r));
    r->owner = -1;
}

static void timelineFree(RegTimeline *t) {
    free(t->e);
    memset(t, 0, sizeof(*t));
}

void registryFree(Registry *r) {
    for (size_t i = 0; i < r->ngroups; i++)
        free(r->groups[i].members);
    for (size_t i = 0; i < PN_MAX_NATIONS; i++)
        timelineFree(&r->timeline[i]);
    timelineFree(&r->open);
    free(r->agreements);
    registryInit(r);
}

int registryNation(const Registry *r, const char *code) {
    for (size_t i = 0; i < r->nnations; i++)
        if (strEqualNoCase(r->nations[i].code, code)) return (int)i;
    return -1;
}

int registryGroup(const Registry *r, const char *id) {
    for (size_t i = 0; i < r->ngroups; i++)
        if (strEqualNoCase(r->groups[i].id, id)) return (int)i;
    return -1;
}

/* ---- JSON helpers ------------------------------------------------------ */

/* Copy obj[key] (a string) into dst; required fields must be present. */
static int jsonField(json_t *obj, const char *key, char *dst, size_t cap, int required,
                     const char *where, pnError *err) {
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (!required) return PN_OK;
        return pnErrorSet(err, PN_EINVAL, "%s: missing \"%s\"", where, key);
    }
    if (!json_is_string(v))
        return pnErrorSet(err, PN_EINVAL, "%s: \"%s\" must be a string", where, key);
    if (strCopy(dst, cap, json_string_value(v)) != 0)
        return pnErrorSet(err, PN_ELIMIT, "%s: \"%s\" is longer than %zu bytes", where, key,
                          cap - 1);
    return PN_OK;
}

/* Parse obj[key] as a date; absent optional dates become dflt. */
static int jsonDate(json_t *obj, const char *key, int32_t dflt, int required, int32_t *out,
                    const char *where, pnError *err) {
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required) return pnErrorSet(err, PN_EINVAL, "%s: missing date \"%s\"", where, key);
        *out = dflt;
        return PN_OK;
    }
    if (!json_is_string(v) || dateParse(json_string_value(v), out) != 0)
        return pnErrorSet(err, PN_EINVAL, "%s: \"%s\" is not a YYYY-MM-DD date", where, key);
    return PN_OK;
}

/* Join a "sources" array into one line for display. */
static void jsonSources(json_t *doc, char *dst, size_t cap) {
    json_t *s = json_object_get(doc, "sources"), *v;
    size_t i, len = 0;
    dst[0] = '\0';
    json_array_foreach(s, i, v) {
        if (!json_is_string(v)) continue;
        int n = snprintf(dst + len, cap - len, "%s%s", i ? "; " : "", json_string_value(v));
        if (n < 0 || (size_t)n >= cap - len) break;
        len += (size_t)n;
    }
}

/* ---- documents --------------------------------------------------------- */

static int loadNations(Registry *r, json_t *arr, const char *file, pnError *err) {
    size_t i;
    json_t *n;
    if (!json_is_array(arr))
        return pnErrorSet(err, PN_EINVAL, "%s: \"nations\" must be an array", file);
    json_array_foreach(arr, i, n) {
        char where[160];
        snprintf(where, sizeof(where), "%s: nations[%zu]", file, i);
        if (r->nnations >= PN_MAX_NATIONS)
            return pnErrorSet(err, PN_ELIMIT, "%s: more than %d nations", file, PN_MAX_NATIONS);
        RegNation *nat = &r->nations[r->nnations];
        char kind[24] = "nation";
        int rc;
        if ((rc = jsonField(n, "code", nat->code, sizeof(nat->code), 1, where, err)) ||
            (rc = jsonField(n, "name", nat->name, sizeof(nat->name), 1, where, err)) ||
            (rc = jsonField(n, "kind", kind, sizeof(kind), 0, where, err)))
            return rc;
        strUpper(nat->code);
        if (registryNation(r, nat->code) >= 0)
            return pnErrorSet(err, PN_EINVAL, "%s: duplicate nation '%s'", where, nat->code);
        if (strcmp(kind, "nation") == 0)
            nat->kind = REG_NATION;
        else if (strcmp(kind, "organisation") == 0)
            nat->kind = REG_ORGANISATION;
        else
            return pnErrorSet(err, PN_EINVAL, "%s: kind must be nation or organisation", where);
        r->nnations++;
    }
    return PN_OK;
}

static int loadMembers(Registry *r, RegGroup *g, json_t *arr, const char *file, pnError *err) {
    size_t i;
    json_t *m;
    if (!json_is_array(arr))
        return pnErrorSet(err, PN_EINVAL, "%s: \"members\" must be an array", file);
    g->members = calloc(json_array_size(arr) + 1, sizeof(RegMembership));
    if (!g->members) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    json_array_foreach(arr, i, m) {
        char where[200], code[16];
        snprintf(where, sizeof(where), "%s: %s members[%zu]", file, g->id, i);
        RegMembership *ms = &g->members[g->nmembers];
        int rc;
        if ((rc = jsonField(m, "code", code, sizeof(code), 1, where, err)) ||
            (rc = jsonDate(m, "from", 0, 1, &ms->from, where, err)) ||
            (rc = jsonDate(m, "to", PN_DAY_NEVER, 0, &ms->to, where, err)) ||
            (rc = jsonDate(m, "suspended", PN_DAY_NEVER, 0, &ms->suspended, where, err)) ||
            (rc = jsonField(m, "note", ms->note, sizeof(ms->note), 0, where, err)))
            return rc;
        int n = registryNation(r, code);
        if (n < 0) return pnErrorSet(err, PN_EINVAL, "%s: unknown nation '%s'", where, code);
        if (ms->to <= ms->from)
            return pnErrorSet(err, PN_EINVAL, "%s: \"to\" must be after \"from\"", where);
        ms->nation = (uint16_t)n;
        g->nmembers++;
    }
    return PN_OK;
}

/* A framework document, or one community inside a communities document. */
static int loadGroup(Registry *r, json_t *doc, int kind, const char *file, UnionNames *un,
                     pnError *err) {
    if (r->ngroups >= PN_MAX_GROUPS)
        return pnErrorSet(err, PN_ELIMIT, "%s: more than %d frameworks and communities", file,
                          PN_MAX_GROUPS);
    RegGroup *g = &r->groups[r->ngroups];
    memset(g, 0, sizeof(*g));
    g->kind = kind;
    int rc;
    if ((rc = jsonField(doc, "id", g->id, sizeof(g->id), 1, file, err))) return rc;
    strUpper(g->id);
    char where[200];
    snprintf(where, sizeof(where), "%s: %s", file, g->id);
    for (const char *p = g->id; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return pnErrorSet(err, PN_EINVAL, "%s: id may hold only letters, digits, '-' and '_'",
                              where);
    if (registryGroup(r, g->id) >= 0)
        return pnErrorSet(err, PN_EINVAL, "%s: duplicate framework or community id", where);
    int same = registryNation(r, g->id);
    if (same >= 0 && r->nations[same].kind != REG_ORGANISATION)
        return pnErrorSet(err, PN_EINVAL,
                          "%s: id is a nation code; a label naming it would be ambiguous", where);
    if ((rc = jsonField(doc, "name", g->name, sizeof(g->name), 1, where, err)) ||
        (rc = jsonDate(doc, "established", PN_DAY_NONE, 0, &g->established, where, err)))
        return rc;
    if (g->established == PN_DAY_NONE &&
        (rc = jsonDate(doc, "from", PN_DAY_NONE, 0, &g->established, where, err)))
        return rc;
    if ((rc = jsonDate(doc, "closed", PN_DAY_NEVER, 0, &g->closed, where, err))) return rc;
    if (g->closed == PN_DAY_NEVER &&
        (rc = jsonDate(doc, "to", PN_DAY_NEVER, 0, &g->closed, where, err)))
        return rc;
    if (g->closed <= g->established)
        return pnErrorSet(err, PN_EINVAL, "%s: closing date must be after the establishment date",
                          where);
    jsonSources(doc, g->sources, sizeof(g->sources));
    json_t *u = json_object_get(doc, "union_of"), *v;
    size_t i;
    json_array_foreach(u, i, v) {
        if (i >= 4 || !json_is_string(v) || strCopy(un->names[i], 40, json_string_value(v)))
            return pnErrorSet(err, PN_EINVAL, "%s: \"union_of\" takes up to 4 group ids", where);
        g->nunion = (int)i + 1;
    }
    json_t *members = json_object_get(doc, "members");
    if (!members && !g->nunion) return pnErrorSet(err, PN_EINVAL, "%s: missing \"members\"", where);
    r->ngroups++; /* counted before members so registryFree() releases them */
    if (members && (rc = loadMembers(r, g, members, file, err))) return rc;
    return PN_OK;
}

static int loadAgreements(Registry *r, json_t *arr, const char *file, pnError *err) {
    size_t i;
    json_t *a;
    if (!json_is_array(arr))
        return pnErrorSet(err, PN_EINVAL, "%s: \"agreements\" must be an array", file);
    RegAgreement *na =
        realloc(r->agreements, (r->nagreements + json_array_size(arr) + 1) * sizeof(*na));
    if (!na) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    r->agreements = na;
    json_array_foreach(arr, i, a) {
        char where[160], type[24] = "security";
        snprintf(where, sizeof(where), "%s: agreements[%zu]", file, i);
        RegAgreement *ag = &r->agreements[r->nagreements];
        memset(ag, 0, sizeof(*ag));
        int rc;
        if ((rc = jsonField(a, "id", ag->id, sizeof(ag->id), 1, where, err)) ||
            (rc = jsonField(a, "type", type, sizeof(type), 0, where, err)) ||
            (rc = jsonDate(a, "from", 0, 1, &ag->from, where, err)) ||
            (rc = jsonDate(a, "to", PN_DAY_NEVER, 0, &ag->to, where, err)) ||
            (rc = jsonField(a, "note", ag->note, sizeof(ag->note), 0, where, err)) ||
            (rc = jsonField(a, "source", ag->source, sizeof(ag->source), 0, where, err)))
            return rc;
        if (ag->to <= ag->from)
            return pnErrorSet(err, PN_EINVAL, "%s: \"to\" must be after \"from\"", where);
        for (size_t k = 0; k < r->nagreements; k++)
            if (strcmp(r->agreements[k].id, ag->id) == 0)
                return pnErrorSet(err, PN_EINVAL, "%s: duplicate agreement id '%s'", where, ag->id);
        if (strcmp(type, "security") == 0)
            ag->type = REG_AGREEMENT_SECURITY;
        else if (strcmp(type, "sharing") == 0)
            ag->type = REG_AGREEMENT_SHARING;
        else
            return pnErrorSet(err, PN_EINVAL, "%s: type must be security or sharing", where);
        json_t *parties = json_object_get(a, "parties"), *p;
        size_t k;
        if (!json_is_array(parties) || json_array_size(parties) < 2 ||
            json_array_size(parties) > 32)
            return pnErrorSet(err, PN_EINVAL, "%s: \"parties\" must list 2 to 32 codes", where);
        json_array_foreach(parties, k, p) {
            int n = json_is_string(p) ? registryNation(r, json_string_value(p)) : -1;
            if (n < 0)
                return pnErrorSet(err, PN_EINVAL, "%s: unknown party '%s'", where,
                                  json_is_string(p) ? json_string_value(p) : "?");
            ag->parties[ag->nparties++] = (uint16_t)n;
        }
        r->nagreements++;
    }
    return PN_OK;
}

/* Which pass a document belongs to: nations before the groups that name
 * them, groups before agreements.  -1 when unrecognised. */
static int docPass(json_t *doc) {
    if (json_object_get(doc, "nations")) return 0;
    if (json_object_get(doc, "members") || json_object_get(doc, "union_of")) return 1;
    if (json_object_get(doc, "communities")) return 2;
    if (json_object_get(doc, "agreements")) return 3;
    return -1;
}

/* Pending union_of names, per group index, until compile. */
typedef struct {
    UnionNames u[PN_MAX_GROUPS];
} Pending;

static int loadDoc(Registry *r, json_t *doc, const char *name, Pending *pend, pnError *err) {
    switch (docPass(doc)) {
    case 0:
        return loadNations(r, json_object_get(doc, "nations"), name, err);
    case 1:
        return loadGroup(r, doc, REG_FRAMEWORK, name, &pend->u[r->ngroups], err);
    case 2: {
        size_t i;
        json_t *c, *arr = json_object_get(doc, "communities");
        if (!json_is_array(arr))
            return pnErrorSet(err, PN_EINVAL, "%s: \"communities\" must be an array", name);
        json_array_foreach(arr, i, c) {
            int rc = loadGroup(r, c, REG_COMMUNITY, name, &pend->u[r->ngroups], err);
            if (rc) return rc;
        }
        return PN_OK;
    }
    case 3:
        return loadAgreements(r, json_object_get(doc, "agreements"), name, err);
    default:
        return pnErrorSet(err, PN_EINVAL,
                          "%s: not a registry file (expected \"nations\", \"members\", "
                          "\"union_of\", \"communities\" or \"agreements\")",
                          name);
    }
}

static json_t *parseDoc(const char *name, const char *text, pnError *err) {
    json_error_t je;
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        pnErrorSet(err, PN_EINVAL, "%s:%d: %s", name, je.line, je.text);
        return NULL;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        pnErrorSet(err, PN_EINVAL, "%s: top level must be an object", name);
        return NULL;
    }
    return doc;
}

/* Resolve union_of names of groups first.. into indexes. */
static int resolveUnions(Registry *r, size_t first, const Pending *pend, pnError *err) {
    for (size_t g = first; g < r->ngroups; g++) {
        for (int k = 0; k < r->groups[g].nunion; k++) {
            int u = registryGroup(r, pend->u[g].names[k]);
            if (u < 0 || r->groups[u].nunion)
                return pnErrorSet(err, PN_EINVAL, "%s: union_of names unknown or nested group '%s'",
                                  r->groups[g].id, pend->u[g].names[k]);
            r->groups[g].unionOf[k] = u;
        }
    }
    return PN_OK;
}

int registryLoadJson(Registry *r, const char *name, const char *text, pnError *err) {
    Pending *pend = calloc(1, sizeof(*pend));
    if (!pend) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    size_t first = r->ngroups;
    json_t *doc = parseDoc(name, text, err);
    int rc = doc ? loadDoc(r, doc, name, pend, err) : PN_EINVAL;
    if (rc == PN_OK) rc = resolveUnions(r, first, pend, err);
    json_decref(doc);
    free(pend);
    return rc;
}

static int nameCmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Load every *.json file of one directory into r, in name order and in
 * passes (nations, frameworks, communities, agreements), without compiling. */
static int loadOneDir(Registry *r, const char *dir, Pending *pend, pnError *err) {
    DIR *d = opendir(dir);
    if (!d) return pnErrorSet(err, PN_ENOENT, "cannot open registry directory '%s'", dir);
    char *names[REG_MAX_FILES];
    size_t nn = 0;
    struct dirent *de;
    int rc = PN_OK;
    while (rc == PN_OK && (de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l <= 5 || strcmp(de->d_name + l - 5, ".json") != 0 || de->d_name[0] == '.') continue;
        /* Loading some of the files would be a registry nobody wrote. */
        if (nn == REG_MAX_FILES)
            rc = pnErrorSet(err, PN_ELIMIT, "%s: more than %d registry files (*.json)", dir,
                            REG_MAX_FILES);
        else if (!(names[nn++] = strdup(de->d_name)))
            rc = pnErrorSet(err, PN_ENOMEM, "out of memory");
    }
    closedir(d);
    if (rc == PN_OK) qsort(names, nn, sizeof(char *), nameCmp);
    json_t *docs[REG_MAX_FILES] = {0};
    for (size_t i = 0; i < nn && rc == PN_OK; i++) {
        char path[4096], *text = NULL;
        if (strFormatFit(path, sizeof(path), "%s/%s", dir, names[i]) != 0) {
            rc = pnErrorSet(err, PN_ELIMIT, "%s: a registry file's path is too long", dir);
            break;
        }
        int fr = fileRead(path, REG_MAX_FILE, &text, NULL);
        if (fr != 0)
            rc = pnErrorSet(err, fr == -2 ? PN_ELIMIT : PN_EIO, "%s: cannot read%s", path,
                            fr == -2 ? " (larger than 4 MiB)" : "");
        else if (!(docs[i] = parseDoc(path, text, err)))
            rc = PN_EINVAL;
        free(text);
    }
    for (int pass = 0; pass <= 3 && rc == PN_OK; pass++)
        for (size_t i = 0; i < nn && rc == PN_OK; i++) {
            char path[4096];
            if (strFormatFit(path, sizeof(path), "%s/%s", dir, names[i]) != 0) continue;
            if (docPass(docs[i]) == pass || (pass == 0 && docPass(docs[i]) < 0))
                rc = loadDoc(r, docs[i], path, pend, err);
        }
    for (size_t i = 0; i < nn; i++) {
        json_decref(docs[i]);
        free(names[i]);
    }
    return rc;
}

int registryLoadDir(Registry *r, const char *dirs, pnError *err) {
    Pending *pend = calloc(1, sizeof(*pend));
    if (!pend) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    int rc = PN_OK;
    const char *p = dirs;
    while (rc == PN_OK) {
        size_t len = strcspn(p, ":");
        char dir[4096];
        if (len == 0 || len >= sizeof(dir))
            rc = pnErrorSet(err, PN_EINVAL, "registry path '%s': empty or overlong directory name",
                            dirs);
        else {
            memcpy(dir, p, len), dir[len] = '\0';
            rc = loadOneDir(r, dir, pend, err);
        }
        if (p[len] != ':') break;
        p += len + 1;
    }
    if (rc == PN_OK) rc = resolveUnions(r, 0, pend, err);
    free(pend);
    if (rc == PN_OK && r->nnations == 0)
        rc = pnErrorSet(err, PN_EINVAL, "%s: no nations file found", dirs);
    if (rc == PN_OK) rc = registryCompile(r, err);
    return rc;
}

/* ---- reference (slow) answers ------------------------------------------ */

int registryGroupOpenSlow(const Registry *r, int group, int32_t day) {
    const RegGroup *g = &r->groups[group];
    return day >= g->established && day < g->closed;
}

int registryIsMemberSlow(const Registry *r, int group, int nation, int32_t day) {
    const RegGroup *g = &r->groups[group];
    if (!registryGroupOpenSlow(r, group, day)) return 0;
    /* An organisation is a member of the framework it is. */
    if (r->nations[nation].kind == REG_ORGANISATION && strcmp(r->nations[nation].code, g->id) == 0)
        return 1;
    for (size_t i = 0; i < g->nmembers; i++) {
        const RegMembership *m = &g->members[i];
        if (m->nation == nation && day >= m->from && day < m->to && day < m->suspended) return 1;
    }
    for (int k = 0; k < g->nunion; k++)
        if (registryIsMemberSlow(r, g->unionOf[k], nation, day)) return 1;
    return 0;
}

int registryHasSecuritySlow(const Registry *r, int nation, int32_t day) {
    if (r->owner < 0) return 0;
    if (registryIsMemberSlow(r, r->owner, nation, day)) return 1;
    int ownerNation = registryNation(r, r->groups[r->owner].id);
    for (size_t i = 0; i < r->nagreements; i++) {
        const RegAgreement *a = &r->agreements[i];
        if (a->type != REG_AGREEMENT_SECURITY || day < a->from || day >= a->to) continue;
        int hasOwner = 0, hasNation = 0;
        for (int k = 0; k < a->nparties; k++) {
            hasOwner |= a->parties[k] == ownerNation;
            hasNation |= a->parties[k] == nation;
        }
        if (hasOwner && hasNation) return 1;
    }
    return 0;
}

/* ---- compiled timelines ------------------------------------------------ */

static int dayCmp(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Sorted unique change days plus PN_DAY_NONE first; caller frees. */
static int32_t *changeDays(const Registry *r, int nation, size_t *n) {
    size_t cap = 8 + 2 * r->ngroups + 2 * r->nagreements;
    for (size_t g = 0; g < r->ngroups; g++)
        cap += 3 * r->groups[g].nmembers;
    int32_t *d = malloc(cap * sizeof(*d));
    if (!d) return NULL;
    size_t k = 0;
    d[k++] = PN_DAY_NONE;
    for (size_t g = 0; g < r->ngroups; g++) {
        const RegGroup *gr = &r->groups[g];
        d[k++] = gr->established;
        d[k++] = gr->closed;
        for (size_t i = 0; i < gr->nmembers; i++) {
            if (nation >= 0 && gr->members[i].nation != nation) continue;
            d[k++] = gr->members[i].from;
            d[k++] = gr->members[i].to;
            d[k++] = gr->members[i].suspended;
        }
    }
    for (size_t i = 0; nation >= 0 && i < r->nagreements; i++) {
        d[k++] = r->agreements[i].from;
        d[k++] = r->agreements[i].to;
    }
    qsort(d, k, sizeof(*d), dayCmp);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (d[i] != PN_DAY_NEVER && (u == 0 || d[i] != d[u - 1])) d[u++] = d[i];
    *n = u;
    return d;
}

/* Build t for nation (or, with nation -1, the "groups open" timeline). */
static int buildTimeline(const Registry *r, int nation, RegTimeline *t) {
    size_t n;
    int32_t *days = changeDays(r, nation, &n);
    if (!days) return PN_ENOMEM;
    t->e = calloc(n, sizeof(*t->e));
    if (!t->e) {
        free(days);
        return PN_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        RegTimelineEntry e = {.from = days[i]};
        for (size_t g = 0; g < r->ngroups; g++) {
            int in = nation < 0 ? registryGroupOpenSlow(r, (int)g, days[i])
                                : registryIsMemberSlow(r, (int)g, nation, days[i]);
            if (in) GroupSetAdd(&e.groups, (unsigned)g), GroupSetAdd(&t->ever, (unsigned)g);
        }
        if (nation >= 0 && registryHasSecuritySlow(r, nation, days[i])) e.flags |= REG_F_SECURITY;
        /* Merge days on which nothing changes, keeping timelines short. */
        if (t->n && t->e[t->n - 1].flags == e.flags &&
            memcmp(&t->e[t->n - 1].groups, &e.groups, sizeof(e.groups)) == 0)
            continue;
        t->e[t->n++] = e;
    }
    free(days);
    return PN_OK;
}

int registryCompile(Registry *r, pnError *err) {
    r->owner = registryGroup(r, "NATO");
    for (size_t i = 0; i < PN_MAX_NATIONS; i++)
        timelineFree(&r->timeline[i]);
    timelineFree(&r->open);
    for (size_t i = 0; i < r->nnations; i++)
        if (buildTimeline(r, (int)i, &r->timeline[i]) != PN_OK)
            return pnErrorSet(err, PN_ENOMEM, "out of memory");
    if (buildTimeline(r, -1, &r->open) != PN_OK) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    return PN_OK;
}

static const RegTimelineEntry *timelineAt(const RegTimeline *t, int32_t day) {
    /* e[0].from is PN_DAY_NONE, so the answer always exists. */
    size_t lo = 0, hi = t->n;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (t->e[mid].from <= day)
            lo = mid;
        else
            hi = mid;
    }
    return &t->e[lo];
}

const GroupSet *registryOpenAt(const Registry *r, int32_t day) {
    return &timelineAt(&r->open, day)->groups;
}

int registryMembersAt(const Registry *r, int group, int32_t day, NationSet *out) {
    memset(out, 0, sizeof(*out));
    for (size_t n = 0; n < r->nnations; n++)
        if (r->nations[n].kind == REG_NATION &&
            GroupSetHas(&registryAt(r, (int)n, day)->groups, (unsigned)group))
            NationSetAdd(out, (unsigned)n);
    return NationSetCount(out);
}

int32_t registryFirstDay(const Registry *r, int group, int nation) {
    const RegTimeline *t = &r->timeline[nation];
    for (size_t i = 0; i < t->n; i++)
        if (GroupSetHas(&t->e[i].groups, (unsigned)group)) return t->e[i].from;
    return PN_DAY_NEVER;
}
