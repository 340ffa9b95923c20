/*
 * cmd_principal.c -- `partnernet principal`: add (or update), list and
 * remove the principals who may connect, in the principals file (see
 * src/exchange/principals.h).
 *
 * `add` checks the nation, clearance, communities and caveats against the
 * registry and policy before anything is written.  Updating an existing
 * principal replaces its nation, clearance, communities and caveats with
 * the ones given; its password and certificate CN are kept unless
 * --password-stdin or --cert-cn gives new ones.  Password hashes are never
 * printed.
 *
 * An added principal gets a new instance id; an update keeps it.
 * `remove` also revokes the principal's bearer tokens in DATA/tokens.json
 * (--data DATA; default: the principals file's directory), so a later
 * principal of the same name inherits nothing -- the node refuses them
 * anyway, by instance id.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>

#include "../core/stamp.h"
#include "../core/str.h"
#include "../exchange/principals.h"
#include "cli.h"
#include "conf.h"

#define CMD "principal"

typedef struct Args {
    const char *sub;
    const char *name;
    const char *file;
    const char *data;     /* remove: where tokens.json is */
    const char *confData; /* the config's data directory (NULL: none) */
    const char *nation, *clearance, *certCn, *certSha256;
    int passwordStdin;
    int noCredential;    /* --no-credential: deliberately no way to log in */
    const char *addOnly; /* the first option only `add` takes, or NULL */
    PrincipalEntry e;    /* communities and caveats as given */
} Args;

/* Append the comma-separated items of text to rows (room rows of width
 * bytes, *n used), upper-cased.  Prints and returns CLI_USAGE on error. */
static int splitList(const char *what, const char *text, char *rows, size_t width, int room,
                     int *n) {
    char buf[2048];
    if (strCopy(buf, sizeof(buf), text) != 0) return cliFail(CMD, "%s list is too long", what);
    char *save = NULL;
    int before = *n;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        size_t len = strlen(tok);
        while (len > 0 && tok[len - 1] == ' ')
            tok[--len] = '\0';
        if (!tok[0]) return cliFail(CMD, "empty %s name in '%s'", what, text);
        if (*n >= room) return cliFail(CMD, "more than %d %s values", room, what);
        if (strCopy(rows + (size_t)*n * width, width, tok) != 0)
            return cliFail(CMD, "%s name '%s' is too long", what, tok);
        strUpper(rows + (size_t)*n * width);
        (*n)++;
    }
    if (*n == before) return cliFail(CMD, "empty %s list", what);
    return CLI_OK;
}

/* --role node,operator */
static int parseRoles(const char *text, unsigned *roles) {
    char buf[128];
    if (strCopy(buf, sizeof(buf), text) != 0) return cliFail(CMD, "role list is too long");
    char *save = NULL;
    for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        unsigned r = principalRoleParse(tok);
        if (!r) return cliFail(CMD, "unknown role '%s' (use node or operator)", tok);
        *roles |= r;
    }
    if (!*roles) return cliFail(CMD, "empty role list");
    return CLI_OK;
}

/* One option at argv[*i]; 1 taken, 0 not an option of ours, -1 error. */
static int parseOption(Args *a, int argc, char **argv, int *i) {
    const char *v;
    int r;
    if ((r = cliOpt(CMD, argc, argv, i, "--principals", &a->file)) != 0) return r;
    if ((r = cliOpt(CMD, argc, argv, i, "--data", &a->data)) != 0) return r;
    if (strcmp(argv[*i], "--password-stdin") == 0) {
        a->passwordStdin = 1;
        if (!a->addOnly) a->addOnly = "--password-stdin";
        return 1;
    }
    if (strcmp(argv[*i], "--no-credential") == 0) {
        a->noCredential = 1;
        if (!a->addOnly) a->addOnly = "--no-credential";
        return 1;
    }
    static const char *const opts[] = {"--nation", "--clearance", "--cert-cn",    "--coi",
                                       "--caveat", "--role",      "--cert-sha256"};
    for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
        if ((r = cliOpt(CMD, argc, argv, i, opts[k], &v)) == 0) continue;
        if (r < 0) return -1;
        if (!a->addOnly) a->addOnly = opts[k];
        if (k == 0) a->nation = v;
        if (k == 1) a->clearance = v;
        if (k == 2) a->certCn = v;
        if (k == 3 && splitList("community", v, &a->e.cois[0][0], sizeof(a->e.cois[0]),
                                PRINCIPAL_MAX_COIS, &a->e.ncois) != CLI_OK)
            return -1;
        if (k == 4 && splitList("caveat", v, &a->e.caveats[0][0], sizeof(a->e.caveats[0]),
                                PRINCIPAL_MAX_CAVEATS, &a->e.ncaveats) != CLI_OK)
            return -1;
        if (k == 5 && parseRoles(v, &a->e.roles) != CLI_OK) return -1;
        if (k == 6) a->certSha256 = v;
        return 1;
    }
    return 0;
}

static int parseArgs(Cli *cli, Args *a, int argc, char **argv) {
    memset(a, 0, sizeof(*a));
    for (int i = 1; i < argc; i++) {
        int r = parseOption(a, argc, argv, &i);
        if (r < 0) return CLI_USAGE;
        if (r > 0) continue;
        if (argv[i][0] == '-' && argv[i][1])
            return cliFail(CMD, "unknown option '%s' (see partnernet help principal)", argv[i]);
        if (!a->sub)
            a->sub = argv[i];
        else if (!a->name)
            a->name = argv[i];
        else
            return cliFail(CMD, "unexpected argument '%s'", argv[i]);
    }
    if (!a->sub) return cliFail(CMD, "missing subcommand: add, list or remove");
    a->file = cliPrincipalsFile(cli, a->file, a->data ? a->data : cli->dataDir);
    a->confData = cli->confData;
    return CLI_OK;
}

/* Read one line of stdin into buf (cap > PRINCIPAL_PASSWORD_MAX + 1)
 * without its newline.  What MQTT CONNECT would refuse is refused here,
 * so an accepted password can log in: more than PRINCIPAL_PASSWORD_MAX
 * bytes, or a NUL byte (which would cut it short).  Prints and returns
 * CLI_USAGE on error. */
static int readPassword(char *buf, size_t cap) {
    size_t n = 0;
    int ch = EOF, nul = 0;
    while ((ch = getchar()) != EOF && ch != '\n') {
        if (ch == '\0') nul = 1;
        if (n < cap - 1) buf[n] = (char)ch;
        n++;
    }
    if (n == 0 && ch == EOF) return cliFail(CMD, "no password on standard input");
    if (n < cap) buf[n] = '\0';
    if (n > 0 && n < cap && buf[n - 1] == '\r') buf[--n] = '\0';
    if (n > PRINCIPAL_PASSWORD_MAX)
        return cliFail(CMD, "password longer than %d bytes (the longest MQTT CONNECT accepts)",
                       PRINCIPAL_PASSWORD_MAX);
    if (nul) return cliFail(CMD, "password holds a NUL byte");
    if (n == 0) return cliFail(CMD, "empty password refused");
    return CLI_OK;
}

static int loadFile(const char *path, Principals *ps) {
    pnError err = {0};
    principalsInit(ps);
    if (principalsLoad(ps, path, &err) != PN_OK) return cliFail(CMD, "%s", err.msg);
    return CLI_OK;
}

static int saveFile(const char *path, const Principals *ps) {
    pnError err = {0};
    char dir[4096];
    strCopy(dir, sizeof(dir), path);
    if (dirMake(dirname(dir), &err) != PN_OK) return cliFail(CMD, "cannot create %s", err.msg);
    if (principalsSave(ps, path, &err) != PN_OK) return cliFail(CMD, "%s", err.msg);
    return CLI_OK;
}

/* Fill a->e from the arguments and check it against registry and policy. */
static int buildEntry(Cli *cli, Args *a) {
    PrincipalEntry *e = &a->e;
    if (!a->name) return cliFail(CMD, "add needs a NAME");
    if (!principalNameValid(a->name))
        return cliFail(CMD, "invalid name '%s' (use 1 to 63 letters, digits, '.', '_' or '-')",
                       a->name);
    if (!a->nation) return cliFail(CMD, "missing --nation (e.g. --nation SWE)");
    if (!a->clearance) return cliFail(CMD, "missing --clearance (NU, NR, NC, NS or CTS)");
    strCopy(e->name, sizeof(e->name), a->name);
    if (strCopy(e->nation, sizeof(e->nation), a->nation) != 0)
        return cliFail(CMD, "unknown nation or framework '%s'", a->nation);
    if (strCopy(e->clearance, sizeof(e->clearance), a->clearance) != 0)
        return cliFail(CMD, "unknown clearance '%s' (use NU, NR, NC, NS or CTS)", a->clearance);
    if (a->certCn && strCopy(e->certCn, sizeof(e->certCn), a->certCn) != 0)
        return cliFail(CMD, "certificate CN longer than %zu bytes", sizeof(e->certCn) - 1);
    if (a->certSha256 && principalFingerprintParse(a->certSha256, e->certSha256) != 0)
        return cliFail(CMD,
                       "--cert-sha256 '%s' is not a SHA-256 fingerprint (64 hex digits, "
                       "as openssl x509 -noout -fingerprint -sha256 prints them)",
                       a->certSha256);
    strUpper(e->nation);
    strUpper(e->clearance);
    if (cliLoad(cli) != CLI_OK) return CLI_USAGE;
    Principal p;
    pnError err = {0};
    if (principalEntryCompile(e, &p, &cli->reg, &cli->spif, &err) != PN_OK)
        return cliFail(CMD, "%s", err.msg);
    return CLI_OK;
}

/* Hash the password from stdin into e, or keep the old credentials. */
static int setCredentials(Args *a, const PrincipalEntry *old) {
    PrincipalEntry *e = &a->e;
    /* A new CN without a new pin drops the pin (it named another
     * certificate); neither given: both kept. */
    if (old && !a->certCn) memcpy(e->certCn, old->certCn, sizeof(e->certCn));
    if (old && !a->certCn && !a->certSha256)
        memcpy(e->certSha256, old->certSha256, sizeof(e->certSha256));
    if (!a->passwordStdin) {
        if (old) memcpy(e->passwordHash, old->passwordHash, sizeof(e->passwordHash));
        return CLI_OK;
    }
    char password[PRINCIPAL_PASSWORD_MAX + 2];
    int rc = readPassword(password, sizeof(password));
    pnError err = {0};
    if (rc == CLI_OK &&
        passwordHash(password, e->passwordHash, sizeof(e->passwordHash), &err) != PN_OK)
        rc = cliFail(CMD, "%s", err.msg);
    OPENSSL_cleanse(password, sizeof(password));
    return rc;
}

/* The directory of the token file: --data, else the config's, else the
 * principals file's. */
static void tokenDir(const Args *a, char *dir, size_t cap) {
    char file[4096];
    strCopy(file, sizeof(file), a->file);
    strCopy(dir, cap, a->data ? a->data : a->confData ? a->confData : dirname(file));
}

/* An update of a version 0 principal (one from before instance ids) that
 * changes its password or CN would change its version 0 id: first bind its
 * tokens that carry no id to the id it keeps, so they go on working. */
static int keepLegacyTokens(const Args *a, const PrincipalEntry *old) {
    PrincipalEntry next = a->e;
    if (!old || !principalInstanceIs(old, "")) return CLI_OK;
    memcpy(next.id, old->id, sizeof(next.id));
    if (principalInstanceIs(&next, "")) return CLI_OK; /* same version 0 id */
    char dir[4096];
    size_t n = 0;
    tokenDir(a, dir, sizeof(dir));
    return cliTokensUpdatePrincipal(dir, old->name, old->id, &n);
}

/* A principal with neither password nor certificate can never log in over
 * MQTT: refuse that unless asked for (a node principal that only stands
 * for a peer, or one that uses bearer tokens alone). */
static int checkCredential(const Args *a) {
    const PrincipalEntry *e = &a->e;
    if (a->noCredential || e->passwordHash[0] || e->certCn[0] || e->certSha256[0]) return CLI_OK;
    return cliFail(CMD,
                   "%s could never log in: give --password-stdin or --cert-cn, or "
                   "--no-credential if that is what you mean",
                   e->name);
}

/* The node running on the data directory, from DATA/principals.loaded:
 * its pid (0: none running) and the stamp of the file it loaded last. */
static long runningNode(const char *dir, FileStamp *loaded) {
    char path[4200];
    long pid = 0;
    long long mtime = 0;
    unsigned long long ino = 0, size = 0;
    int exists = 0;
    snprintf(path, sizeof(path), "%s/principals.loaded", dir);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int n = fscanf(f, "%ld %d %lld %llu %llu", &pid, &exists, &mtime, &ino, &size);
    fclose(f);
    if (n != 5 || pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH)) return 0;
    *loaded = (FileStamp){exists, mtime, ino, size};
    return pid;
}

/* Say whether the node running on the data directory (if any) loaded the
 * file as just written: it looks once a second, so wait up to 5 s. */
static void reportNode(const Args *a) {
    char dir[4096];
    tokenDir(a, dir, sizeof(dir));
    FileStamp want = fileStamp(a->file), got;
    long pid = runningNode(dir, &got);
    if (!pid) return; /* no node there: nothing to say */
    for (int i = 0; i < 50 && !fileStampSame(&want, &got); i++) {
        struct timespec ts = {0, 100 * 1000000};
        nanosleep(&ts, NULL);
        if (!runningNode(dir, &got)) break;
    }
    if (fileStampSame(&want, &got))
        printf("the running node (pid %ld) loaded the change\n", pid);
    else
        printf("the running node (pid %ld) did not load the change within 5 s: see its log\n", pid);
}

static int addPrincipal(Cli *cli, Args *a) {
    if (buildEntry(cli, a) != CLI_OK) return CLI_USAGE;
    Principals ps;
    if (loadFile(a->file, &ps) != CLI_OK) return CLI_USAGE;
    const PrincipalEntry *old = principalsFind(&ps, a->e.name);
    int created = 0, rc = setCredentials(a, old);
    pnError err = {0};
    if (rc == CLI_OK) rc = checkCredential(a);
    if (rc == CLI_OK) rc = keepLegacyTokens(a, old);
    if (rc == CLI_OK && principalsUpsert(&ps, &a->e, &created, &err) != PN_OK)
        rc = cliFail(CMD, "%s", err.msg);
    if (rc == CLI_OK) rc = saveFile(a->file, &ps);
    if (rc == CLI_OK) printf("%s principal %s\n", created ? "added" : "updated", a->e.name);
    principalsFree(&ps);
    if (rc == CLI_OK) reportNode(a);
    return rc;
}

static void printList(const char *key, const char *rows, size_t width, int n) {
    printf(" %s=", key);
    if (n == 0) fputc('-', stdout);
    for (int i = 0; i < n; i++)
        printf("%s%s", i ? "," : "", rows + (size_t)i * width);
}

static int listPrincipals(const Args *a) {
    Principals ps;
    if (a->name) return cliFail(CMD, "unexpected argument '%s'", a->name);
    if (loadFile(a->file, &ps) != CLI_OK) return CLI_USAGE;
    for (size_t i = 0; i < ps.n; i++) {
        const PrincipalEntry *e = &ps.e[i];
        printf("%s %s %s", e->name, e->nation, e->clearance);
        printList("cois", &e->cois[0][0], sizeof(e->cois[0]), e->ncois);
        printList("caveats", &e->caveats[0][0], sizeof(e->caveats[0]), e->ncaveats);
        const char *auth = e->passwordHash[0] ? (e->certCn[0] ? "password,cert" : "password")
                                              : (e->certCn[0] ? "cert" : "none");
        printf(" auth=%s", auth);
        if (e->roles & PRINCIPAL_ROLE_NODE) printf(" role=node");
        if (e->roles & PRINCIPAL_ROLE_OPERATOR) printf(" role=operator");
        putchar('\n');
    }
    principalsFree(&ps);
    return CLI_OK;
}

static int removePrincipal(const Args *a) {
    if (!a->name) return cliFail(CMD, "remove needs a NAME");
    Principals ps;
    if (loadFile(a->file, &ps) != CLI_OK) return CLI_USAGE;
    pnError err = {0};
    int rc = CLI_OK;
    if (principalsRemove(&ps, a->name, &err) != PN_OK) rc = cliFail(CMD, "%s", err.msg);
    if (rc == CLI_OK) rc = saveFile(a->file, &ps);
    principalsFree(&ps);
    if (rc != CLI_OK) return rc;
    printf("removed principal %s\n", a->name);
    /* Its tokens go with it (after the entry: a token never outlives its
     * principal, even if this step fails). */
    char dir[4096];
    size_t revoked = 0;
    tokenDir(a, dir, sizeof(dir));
    rc = cliTokensUpdatePrincipal(dir, a->name, NULL, &revoked);
    if (rc == CLI_OK && revoked)
        printf("revoked %zu token%s of %s in %s/tokens.json\n", revoked, revoked == 1 ? "" : "s",
               a->name, dir);
    if (rc == CLI_OK) reportNode(a);
    return rc;
}

int cmdPrincipal(Cli *cli, int argc, char **argv) {
    Args a;
    if (parseArgs(cli, &a, argc, argv) != CLI_OK) return CLI_USAGE;
    if (strcmp(a.sub, "add") == 0) return addPrincipal(cli, &a);
    if (strcmp(a.sub, "list") != 0 && strcmp(a.sub, "remove") != 0)
        return cliFail(CMD, "unknown subcommand '%s' (add, list or remove)", a.sub);
    if (a.addOnly) return cliFail(CMD, "option %s applies only to 'add'", a.addOnly);
    if (a.data && strcmp(a.sub, "list") == 0)
        return cliFail(CMD, "option --data applies only to 'add' and 'remove'");
    return strcmp(a.sub, "list") == 0 ? listPrincipals(&a) : removePrincipal(&a);
}
