/*
 * cmd_node.c -- `partnernet node init`: the node's signing key.
 *
 * Makes DIR/node.key (Ed25519, mode 0600) when it is not there -- a node
 * also makes it on its first start -- and prints its fingerprint and the
 * line a partner adds to its trust file to accept this node's messages.
 */
#include <stdio.h>
#include <string.h>

#include "../core/file.h"
#include "../core/sign.h"
#include "../core/str.h"
#include "cli.h"

#define CMD "node"

int cmdNode(Cli *cli, int argc, char **argv) {
    (void)cli;
    const char *dir = "var", *name = "node";
    if (argc < 2 || strcmp(argv[1], "init") != 0)
        return cliFail(CMD, "expected 'init' (see partnernet help node)");
    for (int i = 2; i < argc; i++) {
        int r = cliOpt(CMD, argc, argv, &i, "--data", &dir);
        if (r == 0) r = cliOpt(CMD, argc, argv, &i, "--name", &name);
        if (r < 0) return CLI_USAGE;
        if (r == 0) return cliFail(CMD, "unknown argument '%s'", argv[i]);
    }
    pnError err = {0};
    if (dirMake(dir, &err) != PN_OK) return cliFail(CMD, "%s", err.msg);
    char path[4200], pub[SIGN_PUB_B64], fp[65];
    snprintf(path, sizeof(path), "%s/node.key", dir);
    SignKey *k = NULL;
    int created = 0;
    if (signKeyLoad(path, 1, &k, &created, &err) != PN_OK) return cliFail(CMD, "%s", err.msg);
    signKeyPublic(k, pub);
    signKeyFingerprint(k, fp);
    printf("signing key %s (%s)\nkey id %s, fingerprint SHA256:%s\n"
           "a partner trusts this node's messages with this line in its trust file:\n%s %s\n",
           path, created ? "created" : "already there", signKeyId(k), fp, name, pub);
    signKeyFree(k);
    return CLI_OK;
}
