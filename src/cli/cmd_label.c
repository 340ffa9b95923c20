/*
 * cmd_label.c -- `partnernet label convert|validate|explain`.
 */
#include <stdio.h>
#include <string.h>

#include "../core/date.h"
#include "cli.h"

/* Why nation n may receive l on day (called only when decide allowed). */
static const char *releaseReason(const Registry *r, const DecideLabel *dl, int n, int32_t day,
                                 char *buf, size_t cap) {
    const RegTimelineEntry *e = registryAt(r, n, day);
    if (r->owner >= 0 && GroupSetHas(&e->groups, (unsigned)r->owner)) return "alliance member";
    if (NationSetHas(&dl->nations, (unsigned)n)) return "named";
    for (size_t g = 0; g < r->ngroups; g++)
        if (GroupSetHas(&dl->groups, (unsigned)g) && GroupSetHas(&e->groups, (unsigned)g)) {
            snprintf(buf, cap, "%s %s",
                     r->groups[g].kind == REG_COMMUNITY ? "in community" : "member of",
                     r->groups[g].id);
            return buf;
        }
    return "released";
}

static int labelExplain(Cli *cli, const Label *l, int64_t at) {
    const Registry *r = &cli->reg;
    const Spif *s = &cli->spif;
    DecideLabel dl;
    decideLabelCompile(l, &dl);
    pnBuf m;
    bufInit(&m);
    labelToMarking(l, &m);
    char day[11];
    int32_t d = dayOfTime(at);
    dateFormat(d, day);
    printf("label: %s\n", bufStr(&m));
    bufFree(&m);
    printf("needs: clearance %s or higher", s->classes[l->cls].phrase);
    int nc = 0;
    for (size_t i = 0; i < l->ncats; i++) {
        const SpifTagSet *t = &s->tagsets[l->cats[i].tagset];
        if (t->type == TAG_RESTRICTIVE)
            printf("%s%s", nc++ ? ", " : "; caveats ", t->values[l->cats[i].value].name);
    }
    printf("%s\n", l->cls > 0 ? "; a security agreement with the alliance for non-members" : "");
    /* Ask decide() itself, for a principal of each nation holding the top
     * clearance and every caveat: explain can never disagree with it. */
    Principal p;
    memset(&p, 0, sizeof(p));
    p.reg = r;
    p.clearance = (uint8_t)(s->nclasses - 1);
    p.caveats = ~0ULL;
    int allowed = 0;
    for (size_t n = 0; n < r->nnations; n++) {
        p.nation = (uint16_t)n;
        if (decide(&p, &dl, at).reason == DECIDE_ALLOW) allowed++;
    }
    printf("releasable on %s to %d nations and organisations:\n", day, allowed);
    for (size_t n = 0; n < r->nnations; n++) {
        p.nation = (uint16_t)n;
        Decision dec = decide(&p, &dl, at);
        char why[128];
        if (dec.reason == DECIDE_ALLOW)
            printf("  %-5s %-40s %s\n", r->nations[n].code, r->nations[n].name,
                   releaseReason(r, &dl, (int)n, d, why, sizeof(why)));
    }
    /* Nations named or reached through a group that are still refused. */
    int header = 0;
    for (size_t n = 0; n < r->nnations; n++) {
        p.nation = (uint16_t)n;
        Decision dec = decide(&p, &dl, at);
        if (dec.reason == DECIDE_ALLOW) continue;
        int relevant = NationSetHas(&dl.nations, (unsigned)n) ||
                       GroupSetIntersects(&dl.groups, &r->timeline[n].ever);
        if (!relevant) continue;
        if (!header++) printf("named or in a named group, but refused:\n");
        char why[256];
        decideExplain(&dec, &p, s, why, sizeof(why));
        printf("  %-5s %-40s %s\n", r->nations[n].code, r->nations[n].name, why);
    }
    return CLI_OK;
}

int cmdLabel(Cli *cli, int argc, char **argv) {
    const char *sub = NULL, *text = NULL, *to = NULL, *atText = NULL;
    if (argc > 1 && (strcmp(argv[1], "bind") == 0 || strcmp(argv[1], "verify-binding") == 0))
        return cmdLabelBinding(cli, argc, argv);
    for (int i = 1; i < argc; i++) {
        int r = 0;
        if ((r = cliOpt("label", argc, argv, &i, "--label", &text)) ||
            (r = cliOpt("label", argc, argv, &i, "--to", &to)) ||
            (r = cliOpt("label", argc, argv, &i, "--at", &atText))) {
            if (r < 0) return CLI_USAGE;
        } else if (argv[i][0] == '-') {
            return cliFail("label", "unknown option '%s'", argv[i]);
        } else if (!sub) {
            sub = argv[i];
        } else {
            return cliFail("label",
                           "unexpected argument '%s' (quote the label and pass it with --label)",
                           argv[i]);
        }
    }
    if (!sub) return cliFail("label", "missing subcommand (convert, validate, explain)");
    int isConvert = strcmp(sub, "convert") == 0;
    if (!isConvert && strcmp(sub, "validate") != 0 && strcmp(sub, "explain") != 0)
        return cliFail("label",
                       "unknown subcommand '%s' (convert, validate, explain, bind, verify-binding)",
                       sub);
    if (isConvert && (!to || (strcmp(to, "xml") != 0 && strcmp(to, "marking") != 0)))
        return cliFail("label", "convert needs --to xml or --to marking");
    int64_t at = timeNow();
    if (atText && cliTime("label", atText, &at) != 0) return CLI_USAGE;
    if (cliLoad(cli) != CLI_OK) return CLI_USAGE;
    Label l;
    if (cliReadLabel(cli, "label", text, &l) != CLI_OK) return CLI_USAGE;
    int rc = CLI_OK;
    if (isConvert) {
        if (!l.created) l.created = timeNow();
        pnBuf out;
        bufInit(&out);
        if (strcmp(to, "xml") == 0)
            labelToXml(&l, &out);
        else
            labelToMarking(&l, &out), bufPuts(&out, "\n");
        fputs(bufStr(&out), stdout);
        bufFree(&out);
    } else if (strcmp(sub, "validate") == 0) {
        pnBuf out;
        bufInit(&out);
        labelToMarking(&l, &out);
        printf("valid: %s\n", bufStr(&out));
        bufFree(&out);
    } else {
        rc = labelExplain(cli, &l, at);
    }
    labelFree(&l);
    return rc;
}
