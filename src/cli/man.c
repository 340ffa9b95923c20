/*
 * man.c -- partnernet(1) from the help texts (`partnernet --man`).
 *
 * The page is the overview, then each command's summary and full usage
 * text, then the exit statuses and files.  Help texts are plain text laid
 * out for a terminal, so they go into no-fill blocks as they are, escaped
 * for roff: a backslash would start an escape, and a line starting with
 * '.' or '\'' would be taken for a request.
 */
#include <string.h>

#include "man.h"

/* One line of help text as roff text. */
static void manLine(FILE *out, const char *s, size_t len) {
    if (len > 0 && (s[0] == '.' || s[0] == '\'')) fputs("\\&", out);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\\')
            fputs("\\e", out);
        else if (s[i] == '-')
            fputs("\\-", out); /* an ASCII hyphen-minus, as typed */
        else
            fputc(s[i], out);
    }
    fputc('\n', out);
}

/* A help text in a no-fill block, each line kept as it is. */
static void manBlock(FILE *out, const char *text) {
    fputs(".nf\n", out);
    while (*text) {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) : strlen(text);
        if (len == 0)
            fputs(".sp\n", out);
        else
            manLine(out, text, len);
        text += len + (nl ? 1 : 0);
    }
    fputs(".fi\n", out);
}

int manPageWrite(FILE *out, const char *overview, const CliCommand *cmds, size_t n) {
    fprintf(out, ".TH PARTNERNET 1 \"\" \"partnernet %s\" \"User Commands\"\n", PN_VERSION);
    fputs(".SH NAME\npartnernet \\- labelled-information exchange node "
          "(MQTT 5, HTTP, federation, planning registry)\n",
          out);
    fputs(".SH SYNOPSIS\n", out);
    manBlock(out, overview);
    fputs(".SH COMMANDS\n", out);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, ".SS %s\n", cmds[i].name);
        manLine(out, cmds[i].summary, strlen(cmds[i].summary));
        fputs(".PP\n", out);
        manBlock(out, cmds[i].usage);
    }
    fputs(".SH EXIT STATUS\n"
          ".TP\n0\nsuccess (an \"allow\", a valid label, a listing)\n"
          ".TP\n1\na \"no\" answer: a deny, a refused registration or publish\n"
          ".TP\n2\na usage or input error, reported as one sentence on standard error\n",
          out);
    fputs(".SH FILES\n", out);
    fprintf(out, ".TP\n%s/registry, %s/policy\nthe partnership registry and the security policy\n",
            PN_DATADIR, PN_DATADIR);
    fputs(".TP\nvar/\nthe default data directory (log, sessions, audit, tokens, principals)\n",
          out);
    fputs(".SH SEE ALSO\nmosquitto_pub(1), mosquitto_sub(1)\n", out);
    return ferror(out) ? -1 : 0;
}
