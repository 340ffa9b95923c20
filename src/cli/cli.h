/*
 * cli.h -- what the subcommands of the `partnernet` command share.
 *
 * Exit statuses, everywhere: 0 success, 1 a "no" answer to a yes/no
 * question (a deny), 2 a usage or input error, reported as one sentence
 * on stderr.  Only this layer prints or chooses an exit status.
 */
#ifndef PN_CLI_H
#define PN_CLI_H

#include <stdint.h>

#include "../core/sign.h"
#include "../label/label.h"
#include "../label/spif.h"
#include "../policy/decide.h"
#include "../registry/registry.h"
#include "../registry/suggest.h"

enum { CLI_OK = 0, CLI_NO = 1, CLI_USAGE = 2 };

/* How `pub` and `sub` reach the node: the config's [client] section and
 * the node's own listeners ([node] mqtt, mqtts); options override. */
typedef struct CliClient {
    const char *address;            /* HOST:PORT; NULL: mqtts with a ca, else mqtt */
    const char *mqtt, *mqtts;       /* the node's listeners */
    const char *user;               /* MQTT user name (the principal) */
    const char *passwordFile;       /* first line: the password */
    const char *certFile, *keyFile; /* TLS client certificate */
    const char *caFile;             /* TLS: the CA the node's certificate chains to */
    const char *serverName;         /* TLS: the name the node's certificate carries */
} CliClient;

typedef struct Cli {
    const char *registryDir; /* --registry or $PARTNERNET_REGISTRY or found */
    const char *policyFile;  /* --policy or $PARTNERNET_POLICY or found */
    Registry reg;
    Spif spif;
    int loaded;
    char pathBuf[2][4096];
    /* From --config / $PARTNERNET_CONFIG (conf.h), for the admin commands. */
    char *confText;             /* the file's text, which the settings point into */
    const char *confData;       /* [node] data, NULL when not set */
    const char *confPrincipals; /* [node] principals, NULL when not set */
    const char *dataDir;        /* confData or "var": the default of --data */
    CliClient client;
    char principalsBuf[4200];
} Cli;

typedef struct CliCommand {
    const char *name;
    int (*run)(Cli *cli, int argc, char **argv); /* argv[0] is the command name */
    const char *summary;
    const char *usage; /* full help text */
} CliCommand;

/* Load registry and policy (once).  On failure prints the reason and
 * returns CLI_USAGE; returns CLI_OK otherwise. */
int cliLoad(Cli *cli);
void cliFree(Cli *cli);

/* Print "partnernet CMD: <message>" and a pointer to the help; returns
 * CLI_USAGE. */
int cliFail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Option scanning: if argv[*i] is --name (with the value in the next
 * argument or after '='), store the value and return 1; 0 when argv[*i] is
 * another option; -1 (after printing) when the value is missing. */
int cliOpt(const char *cmd, int argc, char **argv, int *i, const char *name, const char **value);

/* Parse a date or instant option value; "today" and "now" are accepted.
 * Returns 0 or prints and returns -1. */
int cliTime(const char *cmd, const char *text, int64_t *at);

/* Read the label text from --label or, when NULL, all of stdin, and parse
 * it.  Prints and returns CLI_USAGE on error. */
int cliReadLabel(Cli *cli, const char *cmd, const char *text, Label *out);

/* The subcommands. */
int cmdRegistry(Cli *cli, int argc, char **argv);

/* `registry agreements`: every security agreement with its dates and
 * source, or with missing the partners (in some framework or community,
 * not allies) that hold none on at's day.  Loads the registry; CLI_OK or
 * CLI_USAGE after printing why. */
int registryAgreementsList(Cli *cli, int missing, int64_t at);

/* `registry agreement add CODE --from DATE [--to DATE] --source TEXT`
 * (argv holds what follows "add"): appends a security agreement between
 * the policy owner and CODE to site-agreements.json in the first registry
 * directory, creating it; refuses (CLI_USAGE, file unchanged) a missing
 * source, a bad date, an unknown nation, an id already recorded, or a
 * site file that is not an agreements file. */
int registryAgreementAdd(Cli *cli, int argc, char **argv);
int cmdLabel(Cli *cli, int argc, char **argv);
/* `label bind` and `label verify-binding` (cmd_binding.c); argv[1] names which. */
int cmdLabelBinding(Cli *cli, int argc, char **argv);
int cmdDecide(Cli *cli, int argc, char **argv);
int cmdDemo(Cli *cli, int argc, char **argv);
int cmdBench(Cli *cli, int argc, char **argv);
/* `bench sign` (cmd_bench_sign.c): signing and verifying rates. */
int benchSign(Cli *cli, double seconds);
int cmdPrincipal(Cli *cli, int argc, char **argv);
int cmdAudit(Cli *cli, int argc, char **argv);
int cmdPeers(Cli *cli, int argc, char **argv);
int cmdLog(Cli *cli, int argc, char **argv);
int cmdNode(Cli *cli, int argc, char **argv);
int cmdVerify(Cli *cli, int argc, char **argv);

/* Load the trusted keys into t (signTrustFree it): file, or DIR/trust.keys
 * when file is NULL.  CLI_OK, or CLI_USAGE after printing why (for cmd). */
int cliLoadTrust(const char *cmd, const char *dir, const char *file, SignTrust *t);

/* Verify the origin signature of the saved message in [t, e) (JSON as
 * the history gives it, or a binding data object); data (not NULL: a
 * sidecar's file) is the payload.  Prints the result; CLI_OK or CLI_USAGE. */
int cliVerifySaved(const SignTrust *trust, const char *file, const char *t, const char *e,
                   const uint8_t *data, size_t dataLen);
int cmdServe(Cli *cli, int argc, char **argv);
int cmdPlan(Cli *cli, int argc, char **argv);
int cmdPub(Cli *cli, int argc, char **argv);
int cmdSub(Cli *cli, int argc, char **argv);

/* The usage of `plan SUB` (for `plan SUB --help`), or NULL when sub is not
 * a plan subcommand. */
const char *planUsage(const char *sub);
int cmdToken(Cli *cli, int argc, char **argv);

/* Revoke every valid token of the principal named name in DIR/tokens.json
 * -- or, with bindId, bind those without an instance id to bindId (see
 * tokenBindPrincipal) -- under the token file's lock; no file: nothing to
 * do.  *count: how many changed.  CLI_OK, or CLI_USAGE after printing why. */
int cliTokensUpdatePrincipal(const char *dir, const char *name, const char *bindId, size_t *count);

#endif
