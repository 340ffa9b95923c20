/*
 * cmd_token.c -- `partnernet token create|revoke|list`: bearer tokens for
 * the HTTP API, kept hashed in DATA/tokens.json (see src/http/token.h).
 */
#include <errno.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/date.h"
#include "../exchange/principals.h"
#include "../http/token.h"
#include "cli.h"
#include "conf.h"
#include "../core/str.h"

#define CMD "token"

typedef struct TokenArgs {
    const char *sub, *arg, *principal, *data, *principals;
} TokenArgs;

static int parse(Cli *cli, TokenArgs *a, int argc, char **argv) {
    memset(a, 0, sizeof(*a));
    for (int i = 1; i < argc; i++) {
        int r = 0;
        if ((r = cliOpt(CMD, argc, argv, &i, "--principal", &a->principal)) ||
            (r = cliOpt(CMD, argc, argv, &i, "--data", &a->data)) ||
            (r = cliOpt(CMD, argc, argv, &i, "--principals", &a->principals))) {
            if (r < 0) return CLI_USAGE;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1]) return cliFail(CMD, "unknown option '%s'", argv[i]);
        if (!a->sub)
            a->sub = argv[i];
        else if (!a->arg)
            a->arg = argv[i];
        else
            return cliFail(CMD, "unexpected argument '%s'", argv[i]);
    }
    if (!a->sub) return cliFail(CMD, "missing subcommand: create, revoke or list");
    if (!a->data) a->data = cli->dataDir;
    return CLI_OK;
}

static int openStore(const TokenArgs *a, TokenStore *ts) {
    char path[4200];
    pnError err = {0};
    snprintf(path, sizeof(path), "%s/tokens.json", a->data);
    if (tokenStoreInit(ts, path, &err) != PN_OK || tokenStoreLoad(ts, &err) != PN_OK) {
        tokenStoreFree(ts);
        return cliFail(CMD, "%s", err.msg);
    }
    return CLI_OK;
}

static int save(TokenStore *ts, const char *dir) {
    pnError err = {0};
    if (tokenStoreSave(ts, &err) != PN_OK) return cliFail(CMD, "%s", err.msg);
    return CLI_OK;
}

static int create(Cli *cli, const TokenArgs *a, TokenStore *ts) {
    if (!a->principal) return cliFail(CMD, "create needs --principal NAME");
    if (a->arg) return cliFail(CMD, "unexpected argument '%s'", a->arg);
    const char *pfile = cliPrincipalsFile(cli, a->principals, a->data);
    Principals ps;
    pnError err = {0};
    principalsInit(&ps);
    int rc = principalsLoad(&ps, pfile, &err) == PN_OK ? CLI_OK : cliFail(CMD, "%s", err.msg);
    const PrincipalEntry *who = rc == CLI_OK ? principalsFind(&ps, a->principal) : NULL;
    if (rc == CLI_OK && !who)
        rc = cliFail(CMD, "no principal named '%s' in %s", a->principal, pfile);
    /* Bound to this instance of the principal: a later principal of the
     * same name cannot use it. */
    char instance[PRINCIPAL_ID_LEN + 1] = "";
    if (who) memcpy(instance, who->id, sizeof(instance));
    principalsFree(&ps);
    char text[TOKEN_TEXT_LEN + 1];
    const TokenEntry *e = NULL;
    if (rc == CLI_OK &&
        tokenCreateFor(ts, a->principal, instance, timeNow(), text, sizeof(text), &e, &err))
        rc = cliFail(CMD, "%s", err.msg);
    char id[TOKEN_ID_LEN + 1] = "";
    if (rc == CLI_OK) memcpy(id, e->id, sizeof(id)); /* saving reloads the entries */
    if (rc == CLI_OK) rc = save(ts, a->data);
    if (rc != CLI_OK) return rc;
    printf("%s\n", text);
    fprintf(stderr, "partnernet token: token %s for %s; it is shown only this once\n", id,
            a->principal);
    return CLI_OK;
}

static int revokeToken(const TokenArgs *a, TokenStore *ts) {
    if (!a->arg) return cliFail(CMD, "revoke needs a TOKEN or its ID");
    const TokenEntry *e = NULL;
    pnError err = {0};
    if (tokenRevoke(ts, a->arg, timeNow(), &e, &err) != PN_OK) return cliFail(CMD, "%s", err.msg);
    char id[TOKEN_ID_LEN + 1], who[64];
    memcpy(id, e->id, sizeof(id));
    memcpy(who, e->principal, sizeof(who));
    int rc = save(ts, a->data);
    if (rc == CLI_OK) printf("revoked token %s of %s\n", id, who);
    return rc;
}

static int list(const TokenArgs *a, const TokenStore *ts) {
    if (a->arg) return cliFail(CMD, "unexpected argument '%s'", a->arg);
    for (size_t i = 0; i < ts->n; i++) {
        const TokenEntry *e = &ts->e[i];
        char created[21], revoked[21] = "-";
        timeFormat(e->created, created);
        if (e->revoked) timeFormat(e->revoked, revoked);
        printf("%s %s created=%s revoked=%s\n", e->id, e->principal, created, revoked);
    }
    return CLI_OK;
}

/* Take the lock on DIR/tokens.json (created with DIR when missing): the
 * descriptor to close() to release it, or -1 after printing why. */
static int lockTokens(const char *dir) {
    char path[4300];
    snprintf(path, sizeof(path), "%s/tokens.json.lock", dir);
    pnError err = {0};
    if (dirMake(dir, &err) != PN_OK) {
        cliFail(CMD, "cannot create %s/: %s", dir, err.msg);
        return -1;
    }
    int lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock < 0 || flock(lock, LOCK_EX) != 0) {
        if (lock >= 0) close(lock);
        cliFail(CMD, "cannot lock %s: %s", path, strerror(errno));
        return -1;
    }
    return lock;
}

int cliTokensUpdatePrincipal(const char *dir, const char *name, const char *bindId, size_t *count) {
    char path[4200];
    struct stat st;
    *count = 0;
    snprintf(path, sizeof(path), "%s/tokens.json", dir);
    if (stat(path, &st) != 0) return CLI_OK; /* no tokens at all */
    int lock = lockTokens(dir);
    if (lock < 0) return CLI_USAGE;
    TokenArgs a = {.data = dir};
    TokenStore ts;
    int rc = openStore(&a, &ts);
    if (rc == CLI_OK) {
        *count = bindId ? tokenBindPrincipal(&ts, name, bindId)
                        : tokenRevokePrincipal(&ts, name, timeNow());
        if (*count) rc = save(&ts, dir);
        tokenStoreFree(&ts);
    }
    close(lock);
    return rc;
}

int cmdToken(Cli *cli, int argc, char **argv) {
    TokenArgs a;
    TokenStore ts;
    if (parse(cli, &a, argc, argv) != CLI_OK) return CLI_USAGE;
    int isCreate = strcmp(a.sub, "create") == 0, isRevoke = strcmp(a.sub, "revoke") == 0;
    if (!isCreate && !isRevoke && strcmp(a.sub, "list") != 0)
        return cliFail(CMD, "unknown subcommand '%s' (create, revoke or list)", a.sub);
    if (!isCreate && (a.principal || a.principals))
        return cliFail(CMD, "--principal and --principals apply only to 'create'");
    /* Read, change, write under one lock: a revoke and a create at the same
     * time must not undo each other. */
    int lock = -1;
    if (!isCreate && cliNeedData(CMD, a.data) != CLI_OK) return CLI_USAGE;
    if ((isCreate || isRevoke) && (lock = lockTokens(a.data)) < 0) return CLI_USAGE;
    int rc = openStore(&a, &ts); /* frees ts itself when it fails */
    if (rc == CLI_OK) {
        rc = isCreate ? create(cli, &a, &ts) : isRevoke ? revokeToken(&a, &ts) : list(&a, &ts);
        tokenStoreFree(&ts);
    }
    if (lock >= 0) close(lock); /* releases the lock */
    return rc;
}
