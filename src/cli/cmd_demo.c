/*
 * cmd_demo.c -- `partnernet demo`: a short tour of what the node knows and
 * decides, built from the shipped registry and policy.
 */
#include <stdio.h>
#include <string.h>

#include "../core/date.h"
#include "cli.h"

typedef struct {
    const char *principal, *label, *at;
} DemoCase;

static const DemoCase cases[] = {
    {"nation=SWE,clearance=NS", "NATO SECRET REL TO NATO", "2023-06-01"},
    {"nation=SWE,clearance=NS", "NATO SECRET REL TO NATO", "2024-06-01"},
    {"nation=FIN,clearance=NS", "NATO SECRET REL TO NATO", "2022-06-01"},
    {"nation=UKR,clearance=NC", "NATO CONFIDENTIAL REL TO USA, GBR, UKR", "2026-11-23"},
    {"nation=UKR,clearance=NS", "NATO SECRET REL TO NATO", "2026-11-23"},
    {"nation=GEO,clearance=NU", "NATO UNCLASSIFIED REL TO PFP", "2026-11-23"},
    {"nation=RUS,clearance=NU", "NATO UNCLASSIFIED REL TO PFP", "2026-11-23"},
    {"nation=USA,clearance=NC", "NATO SECRET", "2026-11-23"},
    {"nation=DEU,clearance=CTS", "COSMIC TOP SECRET ATOMAL", "2026-11-23"},
    {"nation=UKR,clearance=NR", "NATO RESTRICTED REL TO NUC", "2023-07-12"},
    {"nation=GEO,clearance=NC", "NATO CONFIDENTIAL REL TO GEO", "2026-11-23"},
    {"nation=AFG,clearance=NU", "NATO UNCLASSIFIED REL TO PAG", "2026-11-23"},
};

/* The clearance abbreviations the decisions use, spelled out from the
 * policy's own classification phrases. */
static void demoLegend(Cli *cli) {
    static const char *abbr[] = {"NU", "NR", "NC", "NS", "CTS"};
    printf("  Clearances (who holds what):\n");
    for (size_t i = 0; i < sizeof(abbr) / sizeof(abbr[0]); i++) {
        int c = spifClearance(&cli->spif, abbr[i]);
        if (c >= 0) printf("    %-4s %s\n", abbr[i], cli->spif.classes[c].phrase);
    }
}

/* "nation=SWE,clearance=NS" as a reader says it: "SWE, cleared NS". */
static void demoWho(const char *spec, char *out, size_t size) {
    char nation[8] = "", clearance[8] = "";
    sscanf(spec, "nation=%7[^,],clearance=%7s", nation, clearance);
    snprintf(out, size, "%s, cleared %s", nation, clearance);
}

static void demoDecisions(Cli *cli) {
    printf("\n== Who may read what, and when: one person, one marking, one date ==\n");
    demoLegend(cli);
    printf("\n  %-17s %-42s %-10s  %s\n", "READER", "MARKING", "ON", "ANSWER");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const DemoCase *c = &cases[i];
        Principal p;
        Label l;
        pnError err = {0};
        int64_t at;
        labelInit(&l, &cli->spif);
        if (principalParse(&p, c->principal, &cli->reg, &cli->spif, &err) != PN_OK ||
            labelParseMarking(&l, c->label, &err) != PN_OK || timeParse(c->at, &at) != 0) {
            printf("  (skipped: %s)\n", err.msg);
            continue;
        }
        DecideLabel dl;
        decideLabelCompile(&l, &dl);
        Decision d = decide(&p, &dl, at);
        char why[256] = "may read it";
        if (d.reason != DECIDE_ALLOW) {
            char tmp[240];
            decideExplain(&d, &p, &cli->spif, tmp, sizeof(tmp));
            snprintf(why, sizeof(why), "may not: %s", tmp);
        }
        char who[32];
        demoWho(c->principal, who, sizeof(who));
        printf("  %-17s %-42s %-10s  %s\n", who, c->label, c->at, why);
        labelFree(&l);
    }
}

static void demoLabels(Cli *cli) {
    static const char *inputs[] = {"nato secret releasable to swe/fin",
                                   "NATO CONFIDENTIAL REL TO USA, GBR, UKR",
                                   "NATO SECRET REL TO PFP", "NATO SECRET REL TO XYZ"};
    printf("\n== Markings: as someone typed them, and as the node records them ==\n");
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        Label l;
        pnError err = {0};
        labelInit(&l, &cli->spif);
        if (labelParseMarking(&l, inputs[i], &err) != PN_OK) {
            printf("  %-40s -> refused: %s\n", inputs[i], err.msg);
            continue;
        }
        pnBuf b;
        bufInit(&b);
        labelToMarking(&l, &b);
        printf("  %-40s -> %s\n", inputs[i], bufStr(&b));
        bufFree(&b);
        labelFree(&l);
    }
}

int cmdDemo(Cli *cli, int argc, char **argv) {
    if (argc > 1) return cliFail("demo", "unexpected argument '%s'", argv[1]);
    if (cliLoad(cli) != CLI_OK) return CLI_USAGE;
    const Registry *r = &cli->reg;
    int64_t now = timeNow();
    char today[11];
    dateFormat(dayOfTime(now), today);
    printf(
        "partnernet %s -- registry: %zu nations and organisations, %zu frameworks and communities, "
        "%zu agreements\n",
        PN_VERSION, r->nnations, r->ngroups, r->nagreements);
    printf("policy: %s (urn:oid:%s), %zu classifications\n", cli->spif.policyName,
           cli->spif.policyId, cli->spif.nclasses);
    printf("\n== Frameworks on %s ==\n", today);
    for (size_t g = 0; g < r->ngroups; g++) {
        NationSet s;
        int c = registryMembersAt(r, (int)g, dayOfTime(now), &s);
        printf("  %-20s %3d  %s%s\n", r->groups[g].id, c, r->groups[g].name,
               r->groups[g].kind == REG_COMMUNITY ? " (community)" : "");
    }
    int nato = registryGroup(r, "NATO");
    if (nato >= 0) {
        NationSet s;
        int32_t d1, d2;
        dateParse("2022-06-01", &d1);
        dateParse("2024-04-01", &d2);
        printf("  NATO had %d members on 2022-06-01 and %d on 2024-04-01.\n",
               registryMembersAt(r, nato, d1, &s), registryMembersAt(r, nato, d2, &s));
    }
    demoLabels(cli);
    demoDecisions(cli);
    printf("\nTry: ./partnernet label explain --label 'NATO CONFIDENTIAL REL TO NATO, UKR'\n");
    return CLI_OK;
}
