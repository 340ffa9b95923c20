/*
 * conf.c -- the configuration file reader shared by `serve` and the admin
 * commands (see conf.h), so there is one parser and one notion of where a
 * node's data lives.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/str.h"
#include "conf.h"

char *confTrim(char *s) {
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

int confRead(const char *cmd, const char *path, char **text, ConfLineFn fn, void *ctx) {
    *text = NULL;
    if (fileRead(path, 1 << 20, text, NULL) != 0)
        return cliFail(cmd, "cannot read config file '%s'", path);
    char *section = "node";
    int line = 0;
    /* Lines are counted one by one: strtok_r would skip empty ones. */
    for (char *l = *text, *next; l; l = next) {
        next = strchr(l, '\n');
        if (next) *next++ = '\0';
        line++;
        char *semi = strchr(l, ';'), *hash = strchr(l, '#');
        if (semi) *semi = '\0';
        if (hash && (hash == l || isspace((unsigned char)hash[-1])) && !strchr(l, '['))
            *hash = '\0';
        l = confTrim(l);
        if (!*l) continue;
        if (*l == '[') {
            char *e = strrchr(l, ']');
            if (!e) return cliFail(cmd, "%s:%d: section header without ']'", path, line);
            *e = '\0';
            section = confTrim(l + 1);
            continue;
        }
        char *eq = strchr(l, '=');
        if (!eq) return cliFail(cmd, "%s:%d: expected key = value", path, line);
        *eq = '\0';
        if (fn(ctx, section, confTrim(l), confTrim(eq + 1), line, path) != CLI_OK) return CLI_USAGE;
    }
    return CLI_OK;
}

const char *const confClientKeys[] = {"address", "user", "password_file", "cert",
                                      "key",     "ca",   "server_name",   NULL};

/* The settings an admin command takes; serve checks all the others. */
static int adminKey(void *ctx, const char *section, const char *key, char *val, int line,
                    const char *path) {
    Cli *cli = ctx;
    CliClient *c = &cli->client;
    (void)line, (void)path;
    static const char *const nodeKeys[] = {"data", "principals", "mqtt", "mqtts", NULL};
    const char **nodeDst[] = {&cli->confData, &cli->confPrincipals, &c->mqtt, &c->mqtts};
    const char **clientDst[] = {&c->address, &c->user,   &c->passwordFile, &c->certFile,
                                &c->keyFile, &c->caFile, &c->serverName};
    int isNode = strcmp(section, "node") == 0, isClient = strcmp(section, "client") == 0;
    const char *const *keys = isNode ? nodeKeys : isClient ? confClientKeys : NULL;
    for (int i = 0; keys && keys[i]; i++)
        if (strcmp(key, keys[i]) == 0) *(isNode ? nodeDst : clientDst)[i] = val;
    return CLI_OK;
}

/* Take --config FILE out of argv: the commands' own parsers never see it. */
static int takeConfig(const char *cmd, int *argc, char **argv, const char **file) {
    for (int i = 1; i < *argc; i++) {
        const char *v = NULL;
        int r = cliOpt(cmd, *argc, argv, &i, "--config", &v);
        if (r < 0) return CLI_USAGE;
        if (r == 0) continue;
        int from = strncmp(argv[i], "--config=", 9) == 0 ? i : i - 1;
        memmove(&argv[from], &argv[i + 1], (size_t)(*argc - i - 1) * sizeof(char *));
        *argc -= i + 1 - from;
        argv[*argc] = NULL;
        *file = v;
        i = from - 1;
    }
    return CLI_OK;
}

int cliConfigure(Cli *cli, const char *cmd, int *argc, char **argv) {
    const char *file = NULL;
    if (takeConfig(cmd, argc, argv, &file) != CLI_OK) return CLI_USAGE;
    if (!file) file = getenv("PARTNERNET_CONFIG");
    if (file && !*file) file = NULL;
    if (file && confRead(cmd, file, &cli->confText, adminKey, cli) != CLI_OK) return CLI_USAGE;
    if (cli->confData && !cli->confData[0])
        return cliFail(cmd, "%s: the data directory is empty (data =)", file);
    cli->dataDir = cli->confData ? cli->confData : "var";
    if (cli->confPrincipals && !cli->confPrincipals[0]) cli->confPrincipals = NULL;
    return CLI_OK;
}

const char *cliPrincipalsFile(Cli *cli, const char *flag, const char *dir) {
    if (flag) return flag;
    if (cli->confPrincipals) return cli->confPrincipals;
    snprintf(cli->principalsBuf, sizeof(cli->principalsBuf), "%s/principals.json", dir);
    return cli->principalsBuf;
}

int cliNeedData(const char *cmd, const char *dir) {
    struct stat st;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) return CLI_OK;
    return cliFail(cmd,
                   "no node data in %s (name the node's data directory with --data DIR or "
                   "--config FILE)",
                   dir);
}
