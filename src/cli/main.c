/*
 * main.c -- the `partnernet` command: global options, dispatch, help.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libgen.h>

#include "../core/date.h"
#include "../core/str.h"
#include "cli.h"
#include "conf.h"
#include "man.h"

static const CliCommand commands[] = {
    {"registry", cmdRegistry, "the partnership registry: nations, frameworks, communities",
     "usage: partnernet registry show CODE [--at DATE]\n"
     "       partnernet registry members ID [--at DATE] [--count]\n"
     "       partnernet registry frameworks [--at DATE]\n"
     "       partnernet registry communities [--at DATE]\n"
     "       partnernet registry nations\n"
     "       partnernet registry agreements [--missing] [--at DATE]\n"
     "       partnernet registry agreement add CODE --from DATE [--to DATE] --source TEXT\n"
     "\n"
     "  show         a nation's memberships with their dates (and security agreement)\n"
     "  members      the members of a framework or community on a date, one code per line\n"
     "  frameworks   every framework with its member count on a date (default today)\n"
     "  communities  communities of interest with their dates and member counts\n"
     "  nations      every nation and organisation the registry knows\n"
     "  agreements   every security agreement with its dates and source; with --missing,\n"
     "               the partners without one on DATE (releases above NATO UNCLASSIFIED\n"
     "               to them are refused)\n"
     "  agreement add  record a security agreement this site holds with CODE, and the\n"
     "               source it rests on, in site-agreements.json of the (first) registry\n"
     "               directory; a running node takes it on SIGHUP\n"
     "\n"
     "--registry (or $PARTNERNET_REGISTRY) may name several directories, A:B, loaded\n"
     "in that order: the shipped registry has no sample data, and\n"
     "data/registry:data/sample/registry adds the sample exercise communities.\n"
     "Codes and ids are case-insensitive.  An unknown one exits 2.\n"},
    {"label", cmdLabel, "convert, validate and explain confidentiality labels",
     "usage: partnernet label convert --to xml|marking [--label TEXT]\n"
     "       partnernet label validate [--label TEXT]\n"
     "       partnernet label explain [--label TEXT] [--at DATE]\n"
     "       partnernet label bind FILE [--label TEXT] [--data DIR] [--name NAME]\n"
     "       partnernet label verify-binding FILE[.binding] [--trust FILE | --data DIR]\n"
     "\n"
     "TEXT is a display marking (\"NATO SECRET REL TO NATO, SWE\") or STANAG 4774 XML;\n"
     "without --label the label is read from standard input.\n"
     "  convert   print the label in the other syntax (canonical form)\n"
     "  validate  exit 0 when the label is valid, 2 with the reason when not\n"
     "  explain   the nations the label is releasable to on DATE (default today), and why\n"
     "  bind      bind the label to FILE: writes FILE.binding, a binding data object\n"
     "            (ADatP-4778, application/vnd.nato.bindingdataobject+json) signed with the\n"
     "            node key DIR/node.key (default var/) for originator NAME (default node)\n"
     "  verify-binding  check FILE against FILE.binding with the trusted keys (--trust FILE,\n"
     "            default DIR/trust.keys): exit 0 and the label, or 2 with the reason\n"},
    {"decide", cmdDecide, "the access decision for one principal and label",
     "usage: partnernet decide --principal nation=SWE,clearance=NS[,coi=A+B][,caveat=X+Y]\n"
     "                         --label TEXT [--at DATE|TIME]\n"
     "       partnernet decide --batch\n"
     "\n"
     "Prints 'allow' (exit 0) or 'deny: REASON' (exit 1).  Clearance: NU, NR, NC, NS, CTS.\n"
     "--at defaults to now; a date means midnight UTC at its start.\n"
     "--batch reads lines 'PRINCIPAL<TAB>LABEL<TAB>DATE|TIME' on standard input and prints\n"
     "one line each: 'allow', 'deny CODE: REASON' or 'error: WHAT' (exit 2 if any error).\n"},
    {"demo", cmdDemo, "a guided tour: registry summary, labels and decisions",
     "usage: partnernet demo\n\nPrints the registry summary, converts a few labels and shows\n"
     "decisions with their reasons.\n"},
    {"serve", cmdServe,
     "run a node: label-enforcing MQTT 5 / 3.1.1 and HTTP server, durable log, federation",
     "usage: partnernet serve [--check] [--config FILE] [--data DIR] [--mqtt HOST:PORT|off]\n"
     "                        [--mqtts HOST:PORT|off] [--principals FILE] [--node NAME]\n"
     "                        [--cert PEM --key PEM [--ca PEM]]\n"
     "                        [--http HOST:PORT|off] [--https HOST:PORT|off]\n"
     "                        [--log-level error|warning|info|debug]\n"
     "\n"
     "--check validates the configuration (listeners, certificates, peers, principals,\n"
     "registry, policy, data directory) and prints the effective settings without starting\n"
     "the node: exit 0, or 2 with the problem.  'off' or empty turns any listener off.\n"
     "A principals file given by name must exist; an unknown config key is an error.\n"
     "Flags override the config file (see partnernet.conf.example); defaults: data ./var,\n"
     "MQTT on 127.0.0.1:1883, MQTT over TLS on 127.0.0.1:8883 when a certificate is given\n"
     "(client certificates required unless require_client_cert = no), principals in\n"
     "DATA/principals.json, the HTTP API on 127.0.0.1:8080 (HTTPS on 127.0.0.1:8443 when a\n"
     "certificate is given; bearer tokens from 'partnernet token create').  Prints one line\n"
     "on stdout when ready; diagnostics go to stderr as 'TIME LEVEL partnernet: MSG' lines,\n"
     "those below --log-level (log_level, default info) dropped, a repeating one logged\n"
     "once and then counted.  SIGTERM/SIGINT shut down cleanly; SIGHUP reloads the principals,\n"
     "registry and policy; a changed principals file is reloaded within a second anyway\n"
     "(a vanished one leaves the principals in force).  $PARTNERNET_CONFIG stands for\n"
     "--config.  [peer NAME] sections in the config file pull from other nodes\n"
     "(federation: see 'partnernet help peers' and the README); the node also publishes\n"
     "the planning outbox's CSBM notifications (DATA/plan.db) once a second.\n"},
    {"principal", cmdPrincipal, "who may connect: principals with nation, clearance, communities",
     "usage: partnernet principal add NAME --nation CODE --clearance NU|NR|NC|NS|CTS\n"
     "                 [--coi A,B] [--caveat X,Y] [--password-stdin] [--cert-cn CN]\n"
     "                 [--role node,operator] [--cert-sha256 FINGERPRINT] [--no-credential]\n"
     "                 [--principals FILE]\n"
     "       partnernet principal list [--principals FILE]\n"
     "       partnernet principal remove NAME [--principals FILE] [--data DIR]\n"
     "       (each also [--config FILE]: FILE and DIR from the node's config)\n"
     "\n"
     "Creates or updates an entry in the principals file (default DATA/principals.json,\n"
     "DATA from --config or var/; the config's principals = when set).  When a node runs\n"
     "on DATA, add and remove wait (5 s at most) until it loaded the change and say so.\n"
     "A password (1 to 255 bytes, no NUL) is read from standard input and stored only\n"
     "as a salted scrypt hash.  Each added principal gets a new instance id: tokens and\n"
     "sessions of a removed principal never pass to a new one of the same name.  remove\n"
     "also revokes the principal's tokens in DIR/tokens.json (default: the config's data\n"
     "directory, else the principals file's).  Client ids link-* are reserved for\n"
     "principals with the node role.\n"
     "The MQTT username is the principal's NAME; a TLS client certificate maps to the\n"
     "principal whose --cert-cn matches its common name (its country must be the nation);\n"
     "--cert-sha256 pins the one certificate accepted for it (its SHA-256 fingerprint).\n"
     "--role operator lets the principal read the audit trail and ask decide() about\n"
     "others over HTTP; it does not widen what the principal may receive.\n"
     "A principal with neither password nor certificate is refused unless --no-credential\n"
     "is given (one that only stands for a federation peer, or uses bearer tokens alone).\n"},
    {"audit", cmdAudit, "the audit trail: refusals, releases and node events",
     "usage: partnernet audit [--since 1h|30m|2d|DATE] [--reason CODE] [--kind KIND] [--data DIR] "
     "[--config FILE] "
     "[--json] [--as NAME [--principals FILE]]\n"
     "\n"
     "Prints audit events recorded by the node in DIR/audit.db (default var/), oldest first.\n"
     "All of every record is shown: the command is for the local administrator, who can\n"
     "read the file anyway.  --as NAME shows what principal NAME (from FILE, default\n"
     "DIR/principals.json) would see through GET /v1/audit: a record whose label decide()\n"
     "refuses NAME shows only its kind and time, marked withheld.\n"
     "\n"
     "Kinds (--kind):\n"
     "  publish_refused      a publish refused (label, topic rule, quota, format)\n"
     "  delivery_refused     a message withheld from a reader: retained, queued for an\n"
     "                       offline session, read over HTTP, or anything for a peer node;\n"
     "                       live deliveries refused to other subscribers are filtered by\n"
     "                       design and counted in /metrics only\n"
     "  released             a message released over HTTP or to a peer node\n"
     "  login_refused        a failed MQTT or HTTP login\n"
     "  subscribe_refused    a subscription refused (quota)\n"
     "  import_refused       a message from a peer node refused (reason signature: its\n"
     "                       origin signature did not verify)\n"
     "  share_refused        a message no member of a shared subscription may receive\n"
     "  will_dropped         a will message not published\n"
     "  session_discarded    a session ended by a newer instance or a reserved client id\n"
     "  session_expired      a session expired\n"
     "  session_lost         a peer link lost its session\n"
     "  session_save_failed  a session could not be saved\n"
     "  retention            messages a session had not read were dropped by log retention\n"
     "  retention_loss       a resuming session missed messages dropped by retention\n"
     "  log_damaged          damage found in the message log at start\n"
     "  audit_dropped        audit rows deleted by retention or the size bound\n"
     "Reasons (--reason): decide()'s clearance, caveat, not_releasable, not_yet_member,\n"
     "  no_longer_member, no_agreement; and no_label, invalid_label, other, no_principal,\n"
     "  acl, retained_quota, ambiguous_label, payload_format, login, quota, import,\n"
     "  session_lost, principal, reserved, storage, retention, instance, log_damaged,\n"
     "  expiry, size, signature, no_member.  Refusals past a burst a minute are counted in one row (xCOUNT).\n"},
    {"token", cmdToken, "bearer tokens for the HTTP API: create, revoke, list",
     "usage: partnernet token create --principal NAME [--data DIR] [--principals FILE]\n"
     "       partnernet token revoke TOKEN|ID [--data DIR]\n"
     "       partnernet token list [--data DIR]\n"
     "       (each also [--config FILE]: DIR and FILE from the node's config)\n"
     "\n"
     "create prints a new token for the principal once (it is stored only as its SHA-256\n"
     "in DATA/tokens.json, default var/); clients send it as 'Authorization: Bearer TOKEN'.\n"
     "revoke takes the token or the 12-digit ID that list shows.  A running node honours\n"
     "new and revoked tokens from the next request on.\n"},
    {"log", cmdLog, "list the messages a node's log holds (safe while it runs)",
     "usage: partnernet log list [--data DIR] [--topic FILTER] [--json] [--full] [--config FILE]\n"
     "       partnernet log export --out DIR [--data DIR] [--topic FILTER]\n"
     "\n"
     "One line per message in DIR/log (default var/), tab-separated: offset, id\n"
     "(ORIGIN:SEQ), time, topic, label, payload: a payload in UTF-8 as text (its first 200\n"
     "bytes unless --full; control characters, tabs and backslashes escaped), any other\n"
     "as <N bytes>.  --json: one JSON\n"
     "object a line, as the HTTP history gives it (with the origin signature 'sig', for\n"
     "partnernet verify).  export writes each message's payload to OUT/ORIGIN_SEQ.bin and its\n"
     "binding data object (label, SHA-256, origin signature) to OUT/ORIGIN_SEQ.bin.binding;\n"
     "partnernet label verify-binding checks such a pair.  The log is opened read-only, so\n"
     "a running node is not disturbed.\n"},
    {"node", cmdNode, "the node's signing key: create it, print the line partners trust",
     "usage: partnernet node init [--data DIR] [--name NAME]\n"
     "\n"
     "Makes the node's Ed25519 signing key DIR/node.key (default var/, mode 0600) unless\n"
     "it is there (a node also makes it on its first start), and prints its key id, its\n"
     "fingerprint and, last, the line a partner adds to its trust file (DATA/trust.keys or\n"
     "[trust] keys = FILE) to accept messages this node NAME originates:\n"
     "  NAME PUBLIC-KEY\n"
     "A trust file line is ORIGIN[,ORIGIN...] PUBLIC-KEY [from=DATE] [until=DATE] [revoked]:\n"
     "the key may sign for those origins, for messages whose origin time is in the dates\n"
     "(key rotation); a revoked key verifies nothing.  See docs/signatures.md.\n"},
    {"verify", cmdVerify, "check the origin signature of a saved message",
     "usage: partnernet verify FILE [--trust FILE | --data DIR]\n"
     "\n"
     "FILE holds a message as JSON: an element of the HTTP history (GET /v1/messages) or\n"
     "lines of `partnernet log list --json` (each line is checked).  Its origin signature\n"
     "('sig') is checked against the trusted keys (--trust FILE, default DIR/trust.keys,\n"
     "DIR default var/): the key must be trusted, not revoked, allowed for the message's\n"
     "origin and valid at its origin time, and the id, time, topic, label, payload and\n"
     "content type must be what the origin signed.  A JSON payload is checked as the\n"
     "bytes in the file: save messages without re-formatting them.  Exit 0 when every\n"
     "message verifies, 2 with the reason for the first that does not.\n"},
    {"peers", cmdPeers, "federation links: state, counters, backlog, lag, last error",
     "usage: partnernet peers [--data DIR] [--json] [--config FILE]\n"
     "\n"
     "Shows the federation status of the node running on DIR (default var/), which it\n"
     "rewrites every second in DIR/peers.json: each outbound link ([peer NAME] in the\n"
     "config: this node pulls from NAME) with its state, messages received, stored,\n"
     "already held (duplicates) and refused, replication lag of the last message and\n"
     "last error; and each inbound one (a principal with the node role pulling from\n"
     "this node) with its backlog here and messages lost to log retention.\n"},
    {"plan", cmdPlan, "cooperation and defence planning: activities, exercises, gaps",
     "usage: partnernet plan SUBCOMMAND [--data DIR] ...   (store: DIR/plan.db, default var/)\n"
     "       (--config FILE or $PARTNERNET_CONFIG: DIR from the node's config)\n"
     "\n"
     "  import FILE...                      JSON or CSV (kind from the header; other files\n"
     "                                      are skipped with a note); errors as\n"
     "                                      FILE:LINE: field 'NAME': what, nothing of the file "
     "kept\n"
     "  export [--format json|csv --kind K] everything as JSON, or one kind as CSV\n"
     "  activities [--open-to NATION [--clearance NU]] [--from DATE] [--kind K] [--limit N]\n"
     "  activity propose --code C --title T --kind course|exercise|seminar|visit|capacity\n"
     "           --organiser NATION --open-to NATO,PFP,... --capacity N [--instance I]\n"
     "           --start DATE --end DATE [--place P] [--label L] --by NAME --nation NATION\n"
     "  activity approve|invite INSTANCE --by NAME\n"
     "  activity register INSTANCE --nation N --participant NAME --by NAME   (exit 1 refused)\n"
     "  activity attend INSTANCE --nation N --by NAME         (from the first day on)\n"
     "  activity feedback INSTANCE --nation N --text TEXT --by NAME   (after the last day)\n"
     "  activity ... [--at DATE|TIME]       when the step happened (default now)\n"
     "  activity show INSTANCE [--nation N [--clearance C]]  details if releasable to N,\n"
     "                                      workflow, feedback visible to N\n"
     "  programme NATION --cycle YEAR [--clearance NU] [--objective TEXT] [--add INSTANCE]\n"
     "                                      objectives, chosen activities, progress\n"
     "  csbm --troops N [--tanks N] [--acv N] [--artillery N] [--airborne|--amphibious]\n"
     "       [--start DATE] [--notified DATE]   Vienna Document 2011 thresholds\n"
     "  exercise add --code C --name N --start DATE --end DATE --host NATION [--nation N]\n"
     "       --troops N [--tanks N] [--acv N] [--artillery N] [--sorties N]\n"
     "       [--airborne] [--amphibious] [--notified DATE] [--place P]\n"
     "  exercises [--from DATE]             with the day notified (given, or published)\n"
     "  outbox                              the next pending notice and the count\n"
     "  gaps [--cycle YEAR] [--nation N] [--format table|csv|json]   (default: latest cycle)\n"
     "  fairshare --requirement N --year YEAR [--floor N] [--framework NATO] [--area A --cycle Y]\n"
     "  expenditure [--year YEAR] [--nation N]\n"
     "  interop [--nation N | --unit U | --nations]\n"
     "  interop record --unit U --nation N --date D --evaluator E --area A --item I\n"
     "       --result met|partly|not_met [--evidence TEXT]\n"
     "  generate [--activities 1400] [--instances 10000] [--participants 45000]\n"
     "  bench                                time every listing and report\n"
     "\n"
     "partnernet plan SUBCOMMAND --help prints the usage of one subcommand.\n"},
    {"pub", cmdPub, "publish a labelled message to a node over MQTT 5",
     "usage: partnernet pub --topic TOPIC [--label MARKING] (--message TEXT | --file FILE |\n"
     "                      --stdin [--line-mode]) [--qos 0|1|2] [--retain] [CONNECTION]\n"
     "\n"
     "Publishes as an ordinary client: the node decides as for any publisher.  --label is\n"
     "the message's label (a display marking such as \"NATO SECRET REL TO NATO, SWE\" or\n"
     "STANAG 4774 XML); without it the node applies its [topic] default.  --line-mode\n"
     "sends each line of standard input as a message of its own.  QoS 1 (the default) and\n"
     "2 wait for the node's answer: exit 0 when it took every message, 1 when it refused\n"
     "one (the reason in words on stderr), 2 for usage errors or when it cannot be reached\n"
     "or refuses the login.\n"
     "\n"
     "CONNECTION (pub and sub): [--address HOST:PORT] [--user NAME --password-file FILE]\n"
     "  [--ca PEM [--cert PEM --key PEM] [--server-name NAME]] [--config FILE]\n"
     "Each defaults to the config file's [client] section (address, user, password_file,\n"
     "ca, cert, key, server_name; --config or $PARTNERNET_CONFIG); the address then to the\n"
     "node's own listener in it (mqtts with a CA, else mqtt), else 127.0.0.1:1883.  A CA\n"
     "means TLS: the node's certificate must chain to it and name --server-name (default:\n"
     "the IP address connected to).  The password is the first line of FILE.\n"},
    {"sub", cmdSub, "print the messages a node lets through to a principal (MQTT 5)",
     "usage: partnernet sub --topic FILTER [--count N] [--json] [--qos 0|1|2] [CONNECTION]\n"
     "\n"
     "Subscribes (no session kept) and prints each message the node releases to the\n"
     "principal logged in, one per line, tab-separated: time (ISO 8601, when it was first\n"
     "published), label (marking), topic, id (ORIGIN:SEQ), origin, payload.  A payload that\n"
     "is valid UTF-8 is shown as text with control characters escaped (\\n, \\t, \\xNN);\n"
     "any other as 'base64:' and its base64.  --json prints one object a line with id,\n"
     "topic, label, time, origin, qos, retain and payload (text) or payload_base64.\n"
     "--count N exits after N messages; otherwise it runs until interrupted.  A line\n"
     "'subscribed to FILTER' on stderr says when the node granted the subscription.\n"
     "Exit 1 when the node refuses the subscription, 2 for usage or connection errors.\n"
     "CONNECTION: as for pub (see partnernet help pub).\n"},
    {"bench", cmdBench, "micro-benchmarks (decide, sign)",
     "usage: partnernet bench decide|sign [--seconds N]\n\n"
     "decide: decisions per second on one core with precompiled labels, and the latency\n"
     "distribution of single decisions (timer overhead included).\n"
     "sign: origin signatures per second on one core: Ed25519 signatures, messages signed\n"
     "in batches of 64, messages verified one by one and in batches (docs/signatures.md).\n"},
};

static const CliCommand *findCommand(const char *name) {
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

/* The admin commands: their paths (and pub/sub's node) come from --config
 * FILE or $PARTNERNET_CONFIG; serve reads the whole file itself. */
static int takesConfig(const char *name) {
    static const char *const names[] = {"principal", "token", "audit", "log", "peers",
                                        "plan",      "pub",   "sub",   NULL};
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], name) == 0) return 1;
    return 0;
}

static void usage(FILE *f) {
    fprintf(f, "usage: partnernet [--registry DIR] [--policy FILE] COMMAND [ARGS]\n"
               "       partnernet help COMMAND | --help | --version | --man\n\n"
               "Commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\nThe registry directory and security policy default to $PARTNERNET_REGISTRY and\n"
            "$PARTNERNET_POLICY, then data/ beside the program, ../share/partnernet beside it\n"
            "(an installed tree), data/ in the current directory, then %s.\n"
            "principal, token, audit, log, peers, plan, pub and sub take --config FILE (or\n"
            "$PARTNERNET_CONFIG), the node's config file: its data directory and principals\n"
            "file are their defaults (--data and --principals override).  Read-only commands\n"
            "on a missing data directory exit 2 ('no node data in DIR') and create nothing.\n",
            PN_DATADIR);
}

/* --man: the manual page, from the same texts as --help and help COMMAND. */
static int manPage(void) {
    char *overview = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&overview, &len);
    if (!f) return cliFail(NULL, "out of memory");
    usage(f);
    fclose(f);
    int rc = manPageWrite(stdout, overview, commands, sizeof(commands) / sizeof(commands[0]));
    free(overview);
    if (rc != 0 || fflush(stdout) != 0) return cliFail(NULL, "cannot write the manual page");
    return CLI_OK;
}

int cliFail(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "partnernet%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CLI_USAGE;
}

int cliOpt(const char *cmd, int argc, char **argv, int *i, const char *name, const char **value) {
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0) return 0;
    if (a[n] == '=') {
        *value = a + n + 1;
        return 1;
    }
    if (a[n] != '\0') return 0;
    if (*i + 1 >= argc) {
        cliFail(cmd, "option %s needs a value", name);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

int cliTime(const char *cmd, const char *text, int64_t *at) {
    if (strcmp(text, "now") == 0 || strcmp(text, "today") == 0) {
        *at = timeNow();
        return 0;
    }
    if (timeParse(text, at) != 0) {
        cliFail(cmd, "'%s' is not a date (YYYY-MM-DD) or time (YYYY-MM-DDTHH:MM:SSZ)", text);
        return -1;
    }
    return 0;
}

int cliReadLabel(Cli *cli, const char *cmd, const char *text, Label *out) {
    char *buf = NULL;
    size_t len;
    if (!text) {
        int fr = fileRead("-", LABEL_MAX_XML, &buf, &len);
        if (fr == -2)
            return cliFail(cmd, "label on standard input is larger than %u bytes", LABEL_MAX_XML);
        if (fr != 0) return cliFail(cmd, "cannot read the label from standard input");
        text = buf;
    } else {
        len = strlen(text);
    }
    pnError err = {0};
    labelInit(out, &cli->spif);
    int rc = labelParse(out, text, len, &err);
    free(buf);
    if (rc != PN_OK) return cliFail(cmd, "invalid label: %s", err.msg);
    return CLI_OK;
}

/* Pick the first existing path among the candidates. */
static const char *findData(Cli *cli, int slot, const char *env, const char *rel) {
    const char *e = getenv(env);
    if (e && e[0]) return e;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *p = cli->pathBuf[slot];
        size_t cap = sizeof(cli->pathBuf[slot]);
        /* A candidate too long for the buffer is passed over, never cut. */
        if (strFormatFit(p, cap, "%s/data/%s", dirname(exe), rel) == 0 && access(p, R_OK) == 0)
            return p;
        /* build/san/partnernet and friends live two levels down */
        if (strFormatFit(p, cap, "%s/../../data/%s", exe, rel) == 0 && access(p, R_OK) == 0)
            return p;
        /* An installed tree (PREFIX/bin beside PREFIX/share/partnernet)
         * works wherever it was unpacked, e.g. a package in a staging root. */
        if (strFormatFit(p, cap, "%s/../share/partnernet/%s", exe, rel) == 0 &&
            access(p, R_OK) == 0)
            return p;
    }
    snprintf(cli->pathBuf[slot], sizeof(cli->pathBuf[slot]), "data/%s", rel);
    if (access(cli->pathBuf[slot], R_OK) == 0) return cli->pathBuf[slot];
    snprintf(cli->pathBuf[slot], sizeof(cli->pathBuf[slot]), "%s/%s", PN_DATADIR, rel);
    return cli->pathBuf[slot];
}

int cliLoad(Cli *cli) {
    if (cli->loaded) return CLI_OK;
    if (!cli->registryDir) cli->registryDir = findData(cli, 0, "PARTNERNET_REGISTRY", "registry");
    if (!cli->policyFile)
        cli->policyFile = findData(cli, 1, "PARTNERNET_POLICY", "policy/nato-spif.xml");
    pnError err = {0};
    if (registryLoadDir(&cli->reg, cli->registryDir, &err) != PN_OK)
        return cliFail(NULL, "cannot load the registry: %s", err.msg);
    if (spifLoadFile(&cli->spif, cli->policyFile, &err) != PN_OK ||
        spifBindRegistry(&cli->spif, &cli->reg, &err) != PN_OK)
        return cliFail(NULL, "cannot load the security policy: %s", err.msg);
    cli->loaded = 1;
    return CLI_OK;
}

void cliFree(Cli *cli) {
    free(cli->confText);
    cli->confText = NULL;
    registryFree(&cli->reg);
    spifFree(&cli->spif);
    cli->loaded = 0;
}

int main(int argc, char **argv) {
    Cli cli;
    memset(&cli, 0, sizeof(cli));
    registryInit(&cli.reg);
    spifInit(&cli.spif);
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *v;
        int r;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return CLI_OK;
        }
        if (strcmp(argv[i], "--man") == 0) return manPage();
        if (strcmp(argv[i], "--version") == 0) {
            printf("partnernet %s\n", PN_VERSION);
            return CLI_OK;
        }
        if ((r = cliOpt(NULL, argc, argv, &i, "--registry", &v)) != 0) {
            if (r < 0) return CLI_USAGE;
            cli.registryDir = v;
        } else if ((r = cliOpt(NULL, argc, argv, &i, "--policy", &v)) != 0) {
            if (r < 0) return CLI_USAGE;
            cli.policyFile = v;
        } else {
            return cliFail(NULL, "unknown option '%s' (see partnernet --help)", argv[i]);
        }
    }
    if (i >= argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[i], "help") == 0) {
        if (i + 1 >= argc) {
            usage(stdout);
            return CLI_OK;
        }
        const CliCommand *c = findCommand(argv[i + 1]);
        if (!c) return cliFail("help", "unknown command '%s'", argv[i + 1]);
        const char *sub = c->run == cmdPlan && i + 2 < argc ? planUsage(argv[i + 2]) : NULL;
        fputs(sub ? sub : c->usage, stdout);
        return CLI_OK;
    }
    const CliCommand *c = findCommand(argv[i]);
    if (!c) return cliFail(NULL, "unknown command '%s' (see partnernet --help)", argv[i]);
    for (int k = i + 1; k < argc; k++)
        if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
            /* `plan SUB --help`: that subcommand's usage, not all of plan's. */
            const char *sub = c->run == cmdPlan && k > i + 1 ? planUsage(argv[i + 1]) : NULL;
            fputs(sub ? sub : c->usage, stdout);
            return CLI_OK;
        }
    int rc = CLI_OK, n = argc - i;
    if (takesConfig(c->name)) rc = cliConfigure(&cli, c->name, &n, argv + i);
    if (rc == CLI_OK) rc = c->run(&cli, n, argv + i);
    cliFree(&cli);
    return rc;
}
