/*
 * cmd_decide.c -- `partnernet decide`: one access decision, with reason.
 */
#include <stdio.h>

#include "../core/date.h"
#include "cli.h"

int cmdDecide(Cli *cli, int argc, char **argv) {
    const char *who = NULL, *text = NULL, *atText = NULL;
    for (int i = 1; i < argc; i++) {
        int r = 0;
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
