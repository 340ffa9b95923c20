/*
 * cmd_decide.c -- `partnernet decide`: one access decision, with reason;
 * `decide --batch`: many, one per input line, for tests that compare
 * decide() with an independent reference (tests/it/decide_ref.sh) without
 * starting the program once per case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/date.h"
#include "cli.h"

/* One batch line "PRINCIPAL\tLABEL\tAT" (modified in place): prints its
 * answer; returns 0, or -1 after printing "error: ..." for a bad line. */
static int batchLine(Cli *cli, char *line) {
    char *label = strchr(line, '\t');
    char *atText = label ? strchr(label + 1, '\t') : NULL;
    if (!atText) return printf("error: expected PRINCIPAL<TAB>LABEL<TAB>DATE\n"), -1;
    *label++ = '\0';
    *atText++ = '\0';
    int64_t at;
    if (timeParse(atText, &at) != 0) return printf("error: bad date '%s'\n", atText), -1;
    Principal p;
    pnError err = {0};
    if (principalParse(&p, line, &cli->reg, &cli->spif, &err) != PN_OK)
        return printf("error: invalid principal: %s\n", err.msg), -1;
    Label l;
    labelInit(&l, &cli->spif);
    if (labelParse(&l, label, strlen(label), &err) != PN_OK)
        return printf("error: invalid label: %s\n", err.msg), -1;
    DecideLabel dl;
    decideLabelCompile(&l, &dl);
    labelFree(&l);
    Decision d = decide(&p, &dl, at);
    if (d.reason == DECIDE_ALLOW) return puts("allow"), 0;
    char why[256];
    decideExplain(&d, &p, &cli->spif, why, sizeof(why));
    printf("deny %s: %s\n", decideReasonCode(d.reason), why);
    return 0;
}

static int batch(Cli *cli) {
    if (cliLoad(cli) != CLI_OK) return CLI_USAGE;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int bad = 0;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        if (line[n - 1] == '\n') line[--n] = '\0';
        if (batchLine(cli, line) != 0) bad = 1;
    }
    free(line);
    return bad ? CLI_USAGE : CLI_OK;
}

int cmdDecide(Cli *cli, int argc, char **argv) {
    const char *who = NULL, *text = NULL, *atText = NULL;
    for (int i = 1; i < argc; i++) {
        int r = 0;
        if (argc == 2 && strcmp(argv[i], "--batch") == 0) return batch(cli);
        if ((r = cliOpt("decide", argc, argv, &i, "--principal", &who)) ||
            (r = cliOpt("decide", argc, argv, &i, "--label", &text)) ||
            (r = cliOpt("decide", argc, argv, &i, "--at", &atText))) {
            if (r < 0) return CLI_USAGE;
        } else {
            return cliFail("decide", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!who) return cliFail("decide", "missing --principal (e.g. nation=SWE,clearance=NS)");
    int64_t at = timeNow();
    if (atText && cliTime("decide", atText, &at) != 0) return CLI_USAGE;
    if (cliLoad(cli) != CLI_OK) return CLI_USAGE;
    Principal p;
    pnError err = {0};
    if (principalParse(&p, who, &cli->reg, &cli->spif, &err) != PN_OK)
        return cliFail("decide", "invalid principal: %s", err.msg);
    Label l;
    if (cliReadLabel(cli, "decide", text, &l) != CLI_OK) return CLI_USAGE;
    DecideLabel dl;
    decideLabelCompile(&l, &dl);
    labelFree(&l);
    Decision d = decide(&p, &dl, at);
    if (d.reason == DECIDE_ALLOW) {
        puts("allow");
        return CLI_OK;
    }
    char why[256];
    decideExplain(&d, &p, &cli->spif, why, sizeof(why));
    printf("deny: %s\n", why);
    return CLI_NO;
}
