/*
 * cmd_audit.c -- `partnernet audit`: read the node's audit trail.
 *
 * Prints the events in DIR/audit.db (default var/) since a moment, oldest
 * first, as a table or as JSON lines.
 *
 * Who reads: the command is run by a local administrator with access to
 * the data directory, who can read audit.db directly; so by default it
 * shows every record in full.  `--as NAME` shows what the principal NAME
 * (from --principals, default DIR/principals.json) would see through
 * GET /v1/audit: a record whose label decide() refuses NAME shows kind and
 * time only, marked withheld (src/exchange/auditview.h).  Stored strings come from the
 * network (topics, client names), so the table replaces control characters
 * before they reach a terminal; JSON output escapes them.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/date.h"
#include "../exchange/auditview.h"
#include "../exchange/principals.h"
#include "../store/audit.h"
#include "cli.h"
#include "conf.h"

typedef struct AuditPrint {
    int json;
    int failed;     /* out of memory while encoding JSON */
    int byReason;   /* a reason filter was given */
    AuditViewer *v; /* --as: the reader, NULL for the administrator */
} AuditPrint;

#define ROW_FORMAT "%-20s  %-16s  %-16s  %-6s  %-24s  %-16s  %s\n"

/* Copy s into out with control characters (and DEL) replaced by '?';
 * "-" for an empty string so table columns never collapse. */
static const char *cleanField(const char *s, char *out, size_t cap) {
    if (!s[0]) return "-";
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    out[i] = '\0';
    return out;
}

/* An aggregated row (count > 1) ends with " (xCOUNT)". */
static void printRow(const AuditEvent *ev) {
    char when[21], f[6][512], label[600];
    timeFormat(ev->time, when);
    const char *l = cleanField(ev->label, f[5], sizeof(f[5]));
    if (ev->count > 1) {
        snprintf(label, sizeof(label), "%s (x%lld)", l, (long long)ev->count);
        l = label;
    }
    printf(ROW_FORMAT, when, cleanField(ev->kind, f[0], sizeof(f[0])),
           cleanField(ev->principal, f[1], sizeof(f[1])),
           cleanField(ev->nation, f[2], sizeof(f[2])), cleanField(ev->topic, f[3], sizeof(f[3])),
           cleanField(ev->reason, f[4], sizeof(f[4])), l);
}

/* A JSON string for s; bytes that are not valid UTF-8 become '?'. */
static json_t *jsonText(const char *s) {
    json_t *j = json_string(s);
    if (j) return j;
    char ascii[512];
    size_t i = 0;
    for (; s[i] && i + 1 < sizeof(ascii); i++)
        ascii[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
    ascii[i] = '\0';
    return json_string(ascii);
}

static int printJson(const AuditEvent *ev) {
    char when[21];
    timeFormat(ev->time, when);
    json_t *o = json_object();
    if (!o) return -1;
    json_object_set_new(o, "time", json_string(when));
    json_object_set_new(o, "kind", jsonText(ev->kind));
    json_object_set_new(o, "principal", jsonText(ev->principal));
    json_object_set_new(o, "nation", jsonText(ev->nation));
    json_object_set_new(o, "topic", jsonText(ev->topic));
    json_object_set_new(o, "reason", jsonText(ev->reason));
    json_object_set_new(o, "label", jsonText(ev->label));
    json_object_set_new(o, "detail", jsonText(ev->detail));
    json_object_set_new(o, "peer", jsonText(ev->peer));
    json_object_set_new(o, "count", json_integer(ev->count > 0 ? ev->count : 1));
    char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!line) return -1;
    puts(line);
    free(line);
    return 0;
}

/* A withheld record: kind and time only. */
static int printWithheld(const AuditEvent *ev, int json) {
    char when[21];
    timeFormat(ev->time, when);
    if (!json) {
        char k[sizeof(ev->kind)];
        printf(ROW_FORMAT, when, cleanField(ev->kind, k, sizeof(k)), "-", "-", "(withheld)", "-",
               "-");
        return 0;
    }
    json_t *o =
        json_pack("{s:s, s:o, s:b}", "time", when, "kind", jsonText(ev->kind), "withheld", 1);
    char *line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!line) return -1;
    puts(line);
    free(line);
    return 0;
}

static int onEvent(const AuditEvent *ev, void *ctx) {
    AuditPrint *p = ctx;
    if (p->v && !auditViewerMay(p->v, ev)) {
        /* under --reason it is left out: matching a field not shown discloses it */
        if (!p->byReason && printWithheld(ev, p->json) != 0) p->failed = 1;
        return p->failed;
    }
    if (!p->json) {
        printRow(ev);
        return 0;
    }
    if (printJson(ev) != 0) p->failed = 1;
    return p->failed;
}

/* The viewer for --as NAME, read from the principals file; NULL after an
 * error (printed). */
static AuditViewer *viewerFor(Cli *cli, const char *name, const char *pfile, const char *dir) {
    pfile = cliPrincipalsFile(cli, pfile, dir);
    Principals ps;
    pnError err = {0};
    principalsInit(&ps);
    AuditViewer *v = NULL;
    Principal p;
    const PrincipalEntry *e = NULL;
    if (principalsLoad(&ps, pfile, &err) != PN_OK)
        cliFail("audit", "%s", err.msg);
    else if (!(e = principalsFind(&ps, name)))
        cliFail("audit", "no principal named '%s' in %s", name, pfile);
    else if (cliLoad(cli) != CLI_OK)
        ;
    else if (principalEntryCompile(e, &p, &cli->reg, &cli->spif, &err) != PN_OK)
        cliFail("audit", "%s", err.msg);
    else if (!(v = malloc(sizeof(*v))))
        cliFail("audit", "out of memory");
    else
        auditViewerInit(v, &p, &cli->spif, timeNow());
    principalsFree(&ps);
    return v;
}

int cmdAudit(Cli *cli, int argc, char **argv) {
    const char *sinceText = "24h", *reason = NULL, *kind = NULL, *dir = cli->dataDir;
    const char *as = NULL, *pfile = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        int r = 0;
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if ((r = cliOpt("audit", argc, argv, &i, "--since", &sinceText)) ||
                   (r = cliOpt("audit", argc, argv, &i, "--reason", &reason)) ||
                   (r = cliOpt("audit", argc, argv, &i, "--kind", &kind)) ||
                   (r = cliOpt("audit", argc, argv, &i, "--data", &dir)) ||
                   (r = cliOpt("audit", argc, argv, &i, "--as", &as)) ||
                   (r = cliOpt("audit", argc, argv, &i, "--principals", &pfile))) {
            if (r < 0) return CLI_USAGE;
        } else {
            return cliFail("audit", "unexpected argument '%s'", argv[i]);
        }
    }
    char names[1024];
    if (kind && !auditNameKnown(auditKinds, kind))
        return cliFail("audit", "unknown kind '%s' (one of: %s)", kind,
                       auditNameList(auditKinds, names, sizeof(names)));
    if (reason && !auditNameKnown(auditReasons, reason))
        return cliFail("audit", "unknown reason '%s' (one of: %s)", reason,
                       auditNameList(auditReasons, names, sizeof(names)));
    int64_t since;
    if (auditParseSince(sinceText, timeNow(), &since) != 0)
        return cliFail("audit",
                       "'%s' is not a duration (45s, 30m, 1h, 2d) or a date (YYYY-MM-DD) "
                       "or time (YYYY-MM-DDTHH:MM:SSZ)",
                       sinceText);
    if (cliNeedData("audit", dir) != CLI_OK) return CLI_USAGE;
    char path[4200];
    struct stat st;
    snprintf(path, sizeof(path), "%s/audit.db", dir);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return cliFail("audit", "no audit store in %s", dir);
    AuditViewer *v = as ? viewerFor(cli, as, pfile, dir) : NULL;
    if (as && !v) return CLI_USAGE;
    pnAudit *a = NULL;
    pnError err = {0};
    if (auditOpen(&a, dir, &err) != PN_OK) {
        free(v);
        return cliFail("audit", "cannot open the audit store: %s", err.msg);
    }
    AuditPrint p = {.json = json, .failed = 0, .byReason = reason != NULL, .v = v};
    if (!json)
        printf(ROW_FORMAT, "TIME", "KIND", "PRINCIPAL", "NATION", "TOPIC", "REASON", "LABEL");
    int rc = auditQuery(a, since, reason, kind, onEvent, &p, &err);
    auditClose(a);
    free(v);
    if (rc != PN_OK) return cliFail("audit", "cannot read the audit store: %s", err.msg);
    if (p.failed) return cliFail("audit", "out of memory while writing JSON");
    if (fflush(stdout) != 0) return cliFail("audit", "cannot write the output");
    return CLI_OK;
}
