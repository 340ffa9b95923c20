/*
 * cmd_peers.c -- `partnernet peers`: the federation links of a node.
 *
 * Reads DIR/peers.json, which the running node rewrites every second
 * (src/federation/peers.h), so asking never disturbs the node.  A file
 * older than a few seconds means the node is not running: the status is
 * shown with that warning.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "../core/date.h"
#include "../federation/peers.h"
#include "cli.h"
#include "conf.h"

#define CMD "peers"
#define STALE_SECONDS 5

static const char *str(json_t *o, const char *k) {
    const char *s = json_string_value(json_object_get(o, k));
    return s && *s ? s : "-";
}

static long long num(json_t *o, const char *k) {
    return (long long)json_integer_value(json_object_get(o, k));
}

static void printLinks(json_t *links) {
    size_t i;
    json_t *l;
    printf("OUTBOUND (this node pulls from)\n");
    printf("%-12s %-22s %-12s %10s %10s %8s %8s %6s  %s\n", "PEER", "ADDRESS", "STATE", "RECEIVED",
           "STORED", "DUPS", "REFUSED", "LAG_S", "LAST ERROR");
    if (!json_array_size(links)) printf("(none)\n");
    json_array_foreach(links, i, l) {
        printf("%-12s %-22s %-12s %10lld %10lld %8lld %8lld %6lld  %s\n", str(l, "peer"),
               str(l, "address"), str(l, "state"), num(l, "received"), num(l, "stored"),
               num(l, "duplicates"), num(l, "refused"), num(l, "lag_seconds"),
               str(l, "last_error"));
    }
}

static void printInbound(json_t *in) {
    size_t i;
    json_t *s;
    printf("INBOUND (peer nodes pulling from this node)\n");
    printf("%-20s %-24s %-10s %10s %10s\n", "PRINCIPAL", "CLIENT", "CONNECTED", "BACKLOG", "LOST");
    if (!json_array_size(in)) printf("(none)\n");
    json_array_foreach(in, i, s) {
        printf("%-20s %-24s %-10s %10lld %10lld\n", str(s, "principal"), str(s, "client"),
               json_is_true(json_object_get(s, "connected")) ? "yes" : "no", num(s, "backlog"),
               num(s, "lost_to_retention"));
    }
}

int cmdPeers(Cli *cli, int argc, char **argv) {
    const char *dir = cli->dataDir;
    int asJson = 0;
    for (int i = 1; i < argc; i++) {
        int r = cliOpt(CMD, argc, argv, &i, "--data", &dir);
        if (r < 0) return CLI_USAGE;
        if (r > 0) continue;
        if (strcmp(argv[i], "--json") == 0)
            asJson = 1;
        else
            return cliFail(CMD, "unknown argument '%s' (see partnernet help peers)", argv[i]);
    }
    if (cliNeedData(CMD, dir) != CLI_OK) return CLI_USAGE;
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, PEERS_FILE);
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc)
        return cliFail(CMD, "no status in %s: is a node running with --data %s? (%s)", path, dir,
                       je.text);
    if (asJson) {
        json_dumpf(doc, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(doc);
        return CLI_OK;
    }
    long long updated = num(doc, "updated");
    char when[32];
    timeFormat(updated, when);
    printf("node %s (pid %lld), status at %s", str(doc, "node"), num(doc, "pid"), when);
    if (!json_is_true(json_object_get(doc, "running")))
        printf(" -- the node was stopped");
    else if (timeNow() - updated > STALE_SECONDS)
        printf(" -- STALE: the node seems not to be running (killed?)");
    printf("\n\n");
    printLinks(json_object_get(doc, "links"));
    printf("\n");
    printInbound(json_object_get(doc, "inbound"));
    json_decref(doc);
    return CLI_OK;
}
