/*
 * cmd_agreements.c -- `partnernet registry agreements` and `registry
 * agreement add`: the security agreements a node decides with, and how an
 * operator records the ones it holds.
 *
 * The shipped registry lists only agreements whose date a public source
 * gives; a partner without one is refused anything above NATO UNCLASSIFIED.
 * An operator who holds an agreement the public record does not show adds
 * it to site-agreements.json in the (first) registry directory, with the
 * source it rests on; a running node takes it on its next SIGHUP.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/date.h"
#include "../core/file.h"
#include "../core/str.h"
#include "cli.h"

#define SITE_FILE "site-agreements.json"

/* ---- listing ------------------------------------------------------------ */

static void printAgreement(const Registry *r, const RegAgreement *a) {
    char parties[128] = "", from[11], to[11] = "open";
    size_t len = 0;
    for (int k = 0; k < a->nparties && len < sizeof(parties); k++)
        len += (size_t)snprintf(parties + len, sizeof(parties) - len, "%s%s", k ? ", " : "",
                                r->nations[a->parties[k]].code);
    dateFormat(a->from, from);
    if (a->to != PN_DAY_NEVER) dateFormat(a->to, to);
    printf("%-28s %-12s %s .. %-10s  %s\n", a->id, parties, from, to,
           a->source[0] ? a->source : "(no source)");
}

/* The groups nation is in on day, apart from the policy owner, as
 * "A, B, C" in id order; returns how many. */
static int partnerGroups(const Registry *r, int n, int32_t day, char *out, size_t cap) {
    const char *ids[PN_MAX_GROUPS];
    int k = 0;
    const RegTimelineEntry *e = registryAt(r, n, day);
    for (size_t g = 0; g < r->ngroups; g++)
        if ((int)g != r->owner && GroupSetHas(&e->groups, (unsigned)g)) ids[k++] = r->groups[g].id;
    for (int i = 1; i < k; i++) /* few ids: insertion sort */
        for (int j = i; j > 0 && strcmp(ids[j - 1], ids[j]) > 0; j--) {
            const char *t = ids[j];
            ids[j] = ids[j - 1], ids[j - 1] = t;
        }
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < k && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? ", " : "", ids[i]);
    return k;
}

/* Partners (nations in some framework or community besides the policy
 * owner) that are not members of it and hold no security agreement on
 * day: those a release above NU fails closed for. */
static void printMissing(const Registry *r, int32_t day) {
    for (size_t n = 0; n < r->nnations; n++) {
        const RegTimelineEntry *e = registryAt(r, (int)n, day);
        char groups[1024];
        if (r->nations[n].kind != REG_NATION || (e->flags & REG_F_SECURITY)) continue;
        if (r->owner >= 0 && GroupSetHas(&e->groups, (unsigned)r->owner)) continue;
        if (partnerGroups(r, (int)n, day, groups, sizeof(groups)) == 0) continue;
        printf("%-5s %-32s %s\n", r->nations[n].code, r->nations[n].name, groups);
    }
}

int registryAgreementsList(Cli *cli, int missing, int64_t at) {
    if (cliLoad(cli) != CLI_OK) return CLI_USAGE;
    const Registry *r = &cli->reg;
    if (missing) {
        printMissing(r, dayOfTime(at));
        return CLI_OK;
    }
    for (size_t i = 0; i < r->nagreements; i++)
        if (r->agreements[i].type == REG_AGREEMENT_SECURITY) printAgreement(r, &r->agreements[i]);
    return CLI_OK;
}

/* ---- adding ------------------------------------------------------------- */

typedef struct {
    const char *code, *from, *to, *source;
    int32_t fromDay, toDay;
} AgreementArgs;

static int parseAddArgs(int argc, char **argv, AgreementArgs *a) {
    const char *cmd = "registry agreement add";
    memset(a, 0, sizeof(*a));
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = cliOpt(cmd, argc, argv, &i, "--from", &a->from)) != 0 ||
            (r = cliOpt(cmd, argc, argv, &i, "--to", &a->to)) != 0 ||
            (r = cliOpt(cmd, argc, argv, &i, "--source", &a->source)) != 0) {
            if (r < 0) return CLI_USAGE;
        } else if (argv[i][0] == '-') {
            return cliFail(cmd, "unknown option '%s'", argv[i]);
        } else if (!a->code) {
            a->code = argv[i];
        } else {
            return cliFail(cmd, "unexpected argument '%s'", argv[i]);
        }
    }
    if (!a->code) return cliFail(cmd, "needs a nation code, e.g. registry agreement add GEO ...");
    if (!a->from) return cliFail(cmd, "--from is required: the day the agreement took effect");
    if (!a->source || strspn(a->source, " \t") == strlen(a->source))
        return cliFail(cmd, "--source is required: where the agreement and its date come from");
    if (dateParse(a->from, &a->fromDay) != 0)
        return cliFail(cmd, "'%s' is not a YYYY-MM-DD date", a->from);
    a->toDay = PN_DAY_NEVER;
    if (a->to && dateParse(a->to, &a->toDay) != 0)
        return cliFail(cmd, "'%s' is not a YYYY-MM-DD date", a->to);
    if (a->toDay <= a->fromDay) return cliFail(cmd, "--to must be after --from");
    return CLI_OK;
}

/* The site file's document: the existing one, or a new empty one.  NULL
 * (after printing) when the file exists but is not an agreements file. */
static json_t *loadSiteDoc(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0)
        return json_pack("{s:[s],s:[]}", "sources",
                         "agreements recorded by this site's operator with `partnernet registry "
                         "agreement add`; each names its own source",
                         "agreements");
    json_error_t je;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!doc || !json_is_array(json_object_get(doc, "agreements"))) {
        cliFail("registry agreement add", "%s is not an agreements file (%s); not overwritten",
                path, doc ? "no \"agreements\" array" : je.text);
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* The first directory of the registry path, where the site file lives. */
static void firstDir(const char *dirs, char *out, size_t cap) {
    size_t len = strcspn(dirs, ":");
    if (len >= cap) len = cap - 1;
    memcpy(out, dirs, len);
    out[len] = '\0';
}

static int writeSiteDoc(const char *path, json_t *doc) {
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text) return cliFail("registry agreement add", "out of memory");
    size_t n = strlen(text);
    text[n] = '\n'; /* the terminator becomes the final newline */
    pnError err = {0};
    int rc = fileWriteAtomic(path, text, n + 1, 0644, &err);
    free(text);
    if (rc != PN_OK) return cliFail("registry agreement add", "%s", err.msg);
    return CLI_OK;
}

int registryAgreementAdd(Cli *cli, int argc, char **argv) {
    const char *cmd = "registry agreement add";
    AgreementArgs a;
    if (parseAddArgs(argc, argv, &a) != CLI_OK) return CLI_USAGE;
    if (cliLoad(cli) != CLI_OK) return CLI_USAGE;
    const Registry *r = &cli->reg;
    if (r->owner < 0) return cliFail(cmd, "the registry has no policy owner (NATO)");
    const char *owner = r->groups[r->owner].id;
    int n = registryNation(r, a.code);
    if (n < 0 && registryGroup(r, a.code) >= 0)
        return cliFail(cmd, "'%s' is a framework or community; an agreement is with a nation",
                       a.code);
    if (n < 0) return cliFail(cmd, "unknown nation '%s'", a.code);
    const char *code = r->nations[n].code;
    if (strcmp(code, owner) == 0) return cliFail(cmd, "%s is the policy owner", code);
    char id[48];
    snprintf(id, sizeof(id), "SITE-%s-%s-%s", owner, code, a.from);
    for (size_t i = 0; i < r->nagreements; i++)
        if (strcmp(r->agreements[i].id, id) == 0) return cliFail(cmd, "%s is already recorded", id);
    char dir[4096], path[4200];
    firstDir(cli->registryDir, dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/%s", dir, SITE_FILE);
    json_t *doc = loadSiteDoc(path);
    if (!doc) return CLI_USAGE;
    char today[11];
    dateFormat(dayOfTime(timeNow()), today);
    json_t *ag = json_pack("{s:s,s:s,s:[s,s],s:s}", "id", id, "type", "security", "parties", owner,
                           code, "from", a.from);
    if (ag && a.to) json_object_set_new(ag, "to", json_string(a.to));
    if (ag) json_object_set_new(ag, "note", json_sprintf("recorded by the operator on %s", today));
    if (ag) json_object_set_new(ag, "source", json_string(a.source));
    int rc = ag ? json_array_append_new(json_object_get(doc, "agreements"), ag) : -1;
    rc = rc == 0 ? writeSiteDoc(path, doc) : cliFail(cmd, "out of memory");
    json_decref(doc);
    if (rc != CLI_OK) return rc;
    printf("added security agreement %s (%s, %s from %s%s%s) to %s\n", id, owner, code, a.from,
           a.to ? " to " : "", a.to ? a.to : "", path);
    return CLI_OK;
}
