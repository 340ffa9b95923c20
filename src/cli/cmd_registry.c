/*
 * cmd_registry.c -- `partnernet registry ...`: reading the partnership
 * registry from the command line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/date.h"
#include "../core/str.h"
#include "cli.h"

/* Print the spells during which nation was in group, from its timeline
 * (so unions, suspensions and organisations come out right). */
static void printSpells(const Registry *r, int n, int g) {
    const RegTimeline *t = &r->timeline[n];
    int32_t start = PN_DAY_NONE;
    int in = 0, any = 0;
    char a[11], b[11];
    for (size_t i = 0; i <= t->n; i++) {
        int now = i < t->n && GroupSetHas(&t->e[i].groups, (unsigned)g);
        if (now && !in)
            start = t->e[i].from, in = 1;
        else if (!now && in) {
            dateFormat(start, a);
            if (i < t->n) {
                dateFormat(t->e[i].from, b);
                printf("%s%s .. %s", any++ ? ", " : "", a, b);
            } else {
                printf("%smember since %s", any++ ? ", " : "", a);
            }
            in = 0;
        }
    }
}

static void printNotes(const Registry *r, int n, int g) {
    const RegGroup *gr = &r->groups[g];
    for (size_t i = 0; i < gr->nmembers; i++)
        if (gr->members[i].nation == n && gr->members[i].note[0])
            printf("  (%s)", gr->members[i].note);
}

static int registryShow(Cli *cli, const char *code, int64_t at) {
    const Registry *r = &cli->reg;
    int n = registryNation(r, code);
    if (n < 0) {
        if (registryGroup(r, code) >= 0)
            return cliFail("registry",
                           "'%s' is a framework or community; use: partnernet registry members %s",
                           code, code);
        char hint[64];
        return cliFail(
            "registry", "unknown nation or framework '%s'%s", code,
            registryDidYouMean(r, code, SUGGEST_NATIONS | SUGGEST_GROUPS, hint, sizeof(hint)));
    }
    const RegNation *nat = &r->nations[n];
    printf("%s  %s (%s)\n", nat->code, nat->name,
           nat->kind == REG_NATION ? "nation" : "organisation");
    int any = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t g = 0; g < r->ngroups; g++) {
            if (r->groups[g].kind != (pass == 0 ? REG_FRAMEWORK : REG_COMMUNITY)) continue;
            if (!GroupSetHas(&r->timeline[n].ever, (unsigned)g)) continue;
            printf("  %-20s ", r->groups[g].id);
            printSpells(r, n, (int)g);
            printNotes(r, n, (int)g);
            putchar('\n');
            any = 1;
        }
    if (!any) printf("  no framework or community memberships\n");
    char day[11];
    dateFormat(dayOfTime(at), day);
    const RegTimelineEntry *e = registryAt(r, n, dayOfTime(at));
    int member = r->owner >= 0 && GroupSetHas(&e->groups, (unsigned)r->owner);
    printf("security agreement with %s on %s: %s\n",
           r->owner >= 0 ? r->groups[r->owner].id : "policy owner", day,
           member                        ? "yes (member)"
           : (e->flags & REG_F_SECURITY) ? "yes"
                                         : "no");
    return CLI_OK;
}

static int codeCmp(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int registryMembers(Cli *cli, const char *id, int64_t at, int countOnly) {
    const Registry *r = &cli->reg;
    int g = registryGroup(r, id);
    if (g < 0) {
        if (registryNation(r, id) >= 0)
            return cliFail("registry", "'%s' is a nation; use: partnernet registry show %s", id,
                           id);
        char hint[64];
        return cliFail(
            "registry", "unknown nation or framework '%s'%s", id,
            registryDidYouMean(r, id, SUGGEST_NATIONS | SUGGEST_GROUPS, hint, sizeof(hint)));
    }
    NationSet set;
    int count = registryMembersAt(r, g, dayOfTime(at), &set);
    if (countOnly) {
        printf("%d\n", count);
        return CLI_OK;
    }
    const char *codes[PN_MAX_NATIONS];
    int k = 0;
    for (size_t n = 0; n < r->nnations; n++)
        if (NationSetHas(&set, (unsigned)n)) codes[k++] = r->nations[n].code;
    qsort(codes, (size_t)k, sizeof(codes[0]), codeCmp);
    for (int i = 0; i < k; i++)
        puts(codes[i]);
    return CLI_OK;
}

static int registryList(Cli *cli, int kind, int64_t at) {
    const Registry *r = &cli->reg;
    char day[11];
    dateFormat(dayOfTime(at), day);
    printf("%-20s %7s  %s\n", kind == REG_FRAMEWORK ? "FRAMEWORK" : "COMMUNITY", "MEMBERS", "NAME");
    for (size_t g = 0; g < r->ngroups; g++) {
        const RegGroup *gr = &r->groups[g];
        if (gr->kind != kind) continue;
        NationSet set;
        int c = registryMembersAt(r, (int)g, dayOfTime(at), &set);
        printf("%-20s %7d  %s", gr->id, c, gr->name);
        if (kind == REG_COMMUNITY) {
            char a[11], b[11] = "open";
            dateFormat(gr->established, a);
            if (gr->closed != PN_DAY_NEVER) dateFormat(gr->closed, b);
            printf(" [%s .. %s]", a, b);
        }
        putchar('\n');
    }
    printf("(members on %s)\n", day);
    return CLI_OK;
}

int cmdRegistry(Cli *cli, int argc, char **argv) {
    const char *sub = NULL, *arg = NULL, *atText = NULL;
    int countOnly = 0, missing = 0;
    if (argc > 1 && strcmp(argv[1], "agreement") == 0) {
        if (argc < 3 || strcmp(argv[2], "add") != 0)
            return cliFail("registry", "unknown agreement subcommand '%s' (add)",
                           argc < 3 ? "" : argv[2]);
        return registryAgreementAdd(cli, argc - 3, argv + 3);
    }
    for (int i = 1; i < argc; i++) {
        int r;
        if ((r = cliOpt("registry", argc, argv, &i, "--at", &atText)) != 0) {
            if (r < 0) return CLI_USAGE;
        } else if (strcmp(argv[i], "--count") == 0) {
            countOnly = 1;
        } else if (strcmp(argv[i], "--missing") == 0) {
            missing = 1;
        } else if (argv[i][0] == '-') {
            return cliFail("registry", "unknown option '%s'", argv[i]);
        } else if (!sub) {
            sub = argv[i];
        } else if (!arg) {
            arg = argv[i];
        } else {
            return cliFail("registry", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!sub)
        return cliFail("registry", "missing subcommand (show, members, frameworks, communities, "
                                   "nations, agreements, agreement add)");
    int64_t at = timeNow();
    if (atText && cliTime("registry", atText, &at) != 0) return CLI_USAGE;
    int needArg = strcmp(sub, "show") == 0 || strcmp(sub, "members") == 0;
    if (needArg && !arg)
        return cliFail("registry", "%s needs a code, e.g. partnernet registry %s %s", sub, sub,
                       strcmp(sub, "show") == 0 ? "SWE" : "NATO");
    if (!needArg && arg) return cliFail("registry", "unexpected argument '%s'", arg);
    if (missing && strcmp(sub, "agreements") != 0)
        return cliFail("registry", "--missing goes with: partnernet registry agreements --missing");
    if (strcmp(sub, "agreements") == 0) return registryAgreementsList(cli, missing, at);
    if (cliLoad(cli) != CLI_OK) return CLI_USAGE;
    if (strcmp(sub, "show") == 0) return registryShow(cli, arg, at);
    if (strcmp(sub, "members") == 0) return registryMembers(cli, arg, at, countOnly);
    if (strcmp(sub, "frameworks") == 0) return registryList(cli, REG_FRAMEWORK, at);
    if (strcmp(sub, "communities") == 0) return registryList(cli, REG_COMMUNITY, at);
    if (strcmp(sub, "nations") == 0) {
        for (size_t n = 0; n < cli->reg.nnations; n++)
            printf("%-5s %s%s\n", cli->reg.nations[n].code, cli->reg.nations[n].name,
                   cli->reg.nations[n].kind == REG_ORGANISATION ? " (organisation)" : "");
        return CLI_OK;
    }
    return cliFail("registry",
                   "unknown subcommand '%s' (show, members, frameworks, communities, nations, "
                   "agreements, agreement add)",
                   sub);
}
