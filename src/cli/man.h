/*
 * man.h -- partnernet(1), written from the same help texts that `--help`
 * and `help COMMAND` print, so the manual page cannot drift from them.
 */
#ifndef PN_CLI_MAN_H
#define PN_CLI_MAN_H

#include <stddef.h>
#include <stdio.h>

#include "cli.h"

/* Write the manual page (roff, man macros) to out.  overview is the text
 * of `partnernet --help`; cmds[0..n) are the commands with their usage
 * texts.  Every help line appears in the page as one line of its own
 * (no-fill blocks).  Returns 0, or -1 when writing to out failed. */
int manPageWrite(FILE *out, const char *overview, const CliCommand *cmds, size_t n);

#endif
