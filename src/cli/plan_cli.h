/*
 * plan_cli.h -- what the two halves of `partnernet plan` share
 * (cmd_plan.c: store, import/export, activities, programmes, generator,
 * bench; cmd_plan_report.c: exercises and CSBM, gaps, fair shares,
 * expenditure, interoperability).
 */
#ifndef PN_PLAN_CLI_H
#define PN_PLAN_CLI_H

#include <stdint.h>

#include "../plan/plan.h"
#include "cli.h"

#define PLAN_CMD "plan"
#define PLAN_MAX_POS 16

/* One option of a subcommand: --name with a value, or a flag when val is
 * NULL. */
typedef struct PlanOpt {
    const char *name;
    const char **val;
    int *flag;
} PlanOpt;

/* A parsed subcommand line. */
typedef struct PlanArgs {
    const char *cmd; /* "plan import" ... for messages */
    const char *pos[PLAN_MAX_POS];
    int npos;
} PlanArgs;

/*
 * Parse argv[first..] against opts (terminated by a {NULL} entry; --data is
 * always accepted into *dir), collecting positional arguments.  Prints and
 * returns CLI_USAGE for an unknown option, a missing value or too many
 * positional arguments; CLI_OK otherwise.
 */
int planParse(PlanArgs *a, int argc, char **argv, int first, const PlanOpt *opts, const char **dir);

/* Load the registry and open DIR/plan.db.  A command that only reads (or
 * changes what must already be there) passes create 0: a missing DIR or
 * plan.db is then an error and nothing is created; create 1 makes both.
 * Prints and returns CLI_USAGE on failure. */
int planOpenCli(Cli *cli, const char *cmd, const char *dir, int create, Plan **out);

/* Parse a whole number >= 0 (NULL text leaves *out); prints on error. */
int planCount(const char *cmd, const char *opt, const char *text, int64_t *out);

/* Parse a YYYY-MM-DD day (NULL leaves *out); prints on error. */
int planDay(const char *cmd, const char *opt, const char *text, int32_t *out);

/* The report subcommands (cmd_plan_report.c). */
int planCmdCsbm(Cli *cli, int argc, char **argv);
int planCmdExercise(Cli *cli, int argc, char **argv);
int planCmdExercises(Cli *cli, int argc, char **argv);
int planCmdGaps(Cli *cli, int argc, char **argv);
int planCmdFairshare(Cli *cli, int argc, char **argv);
int planCmdExpenditure(Cli *cli, int argc, char **argv);
int planCmdInterop(Cli *cli, int argc, char **argv);
int planCmdOutbox(Cli *cli, int argc, char **argv);

#endif
