/*
 * conf.h -- the one reader of partnernet's configuration file (INI: [node],
 * [topic FILTER], [peer NAME], [client] sections of "key = value" lines;
 * see partnernet.conf.example).
 *
 * `serve` hands every line to its own setter; the admin commands
 * (principal, token, audit, log, peers, plan, pub, sub) take only the
 * paths and the client settings from it (cliConfigure), so one file
 * names a node's paths for every command.
 */
#ifndef PN_CLI_CONF_H
#define PN_CLI_CONF_H

#include "cli.h"

/* Called once per "key = value" line: section is "node" before the first
 * header; key and val are trimmed and NUL-terminated inside the file's
 * text (val may be modified).  Return CLI_OK to go on, anything else
 * (after printing why) to stop. */
typedef int (*ConfLineFn)(void *ctx, const char *section, const char *key, char *val, int line,
                          const char *path);

/* Read the file at path and call fn for each setting, in order.  *text
 * receives the file's text, which the keys and values point into: the
 * caller frees it (also on failure).  Comments start with ';' or with '#'
 * at the start of a line or after a space.  Returns CLI_OK, or CLI_USAGE
 * after printing "partnernet CMD: ..." (unreadable file, a header
 * without ']', a line that is not key = value) or when fn stopped. */
int confRead(const char *cmd, const char *path, char **text, ConfLineFn fn, void *ctx);

/* The keys of [client], in CliClient's order: address, user,
 * password_file, cert, key, ca, server_name (NULL-terminated). */
extern const char *const confClientKeys[];

/* Strip leading and trailing white space in place; returns the start. */
char *confTrim(char *s);

/*
 * For the admin commands: remove "--config FILE" (or --config=FILE) from
 * argv[1..*argc), or else take $PARTNERNET_CONFIG, and read the file's
 * [node] data and principals and its [client] settings into cli (the
 * node's own MQTT listeners give pub and sub their default address).
 * Without a file, cli->dataDir is "var".  Returns CLI_OK, or CLI_USAGE
 * after printing why.  cliFree releases what it read.
 */
int cliConfigure(Cli *cli, const char *cmd, int *argc, char **argv);

/* The principals file: --principals when given (flag not NULL), else the
 * config's principals, else DIR/principals.json.  The result lives in cli
 * (or is flag) until the next call. */
const char *cliPrincipalsFile(Cli *cli, const char *flag, const char *dir);

/* A read-only command needs the node's data directory: CLI_OK when dir is
 * a directory, else CLI_USAGE after "partnernet CMD: no node data in DIR". */
int cliNeedData(const char *cmd, const char *dir);

#endif
