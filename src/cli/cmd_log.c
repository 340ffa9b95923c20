/*
 * cmd_log.c -- `partnernet log list`: what a node's message log holds.
 *
 * Opens the log read-only (LogOptions.readOnly), so it is safe next to a
 * running node: nothing is truncated or created, and a record the node is
 * writing at that moment is simply not listed yet.  One line per message,
 * tab-separated for scripts: offset, id (ORIGIN:SEQ), time, topic, label,
 * payload.  A payload that is valid UTF-8 is shown as text (any script),
 * its first PREVIEW_BYTES unless --full; anything else by its size.  What
 * came from the network never reaches the terminal raw: control
 * characters, backslashes (and tabs, which would shift the columns) are
 * escaped.
 */
#include <stdio.h>
#include <string.h>

#include "../core/date.h"
#include "../exchange/message.h"
#include "../exchange/topic.h"
#include "../mqtt/mqtt.h"
#include "../store/log.h"
#include "cli.h"
#include "conf.h"

#include "../core/str.h"
#include "../http/conn.h"
#include <errno.h>

#define CMD "log"

#define PREVIEW_BYTES 200

/* Put n bytes of network text on stdout, escaped (see the top). */
static void putText(pnBuf *b, const char *s, size_t n) {
    b->len = 0;
    bufEscape(b, s, n, BUF_ESC_TERMINAL);
    fwrite(bufStr(b), 1, b->len, stdout);
}

static void printPayload(pnBuf *b, const Message *m, int full) {
    size_t len = m->payloadLen, n = len;
    if (!mqttUtf8Valid(m->payload, len)) {
        printf("<%zu bytes>\n", len);
        return;
    }
    if (!full && n > PREVIEW_BYTES) {
        n = PREVIEW_BYTES; /* back to the start of a character */
        while (n > 0 && (m->payload[n] & 0xC0) == 0x80)
            n--;
    }
    putText(b, (const char *)m->payload, n);
    if (n < len) printf("... (%zu bytes; --full shows all)", len);
    putchar('\n');
}

/* One line of JSON, as the HTTP history gives the message. */
static void printJson(const Message *m, pnBuf *b) {
    MessageView v;
    messageViewOf(m, &v);
    b->len = 0;
    messageJson(b, &v);
    if (!bufFailed(b)) printf("%s\n", bufStr(b));
}

static int writeAll(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(p, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* OUT/ORIGIN_SEQ.bin (the payload) and its sidecar .bin.binding (the
 * message's binding data object, its signature the origin signature). */
static int exportOne(const Message *m, const char *out, pnBuf *b) {
    char path[4400];
    int n = snprintf(path, sizeof(path), "%s/", out), start = n;
    n += snprintf(path + n, sizeof(path) - (size_t)n, "%s_%llu.bin", m->origin,
                  (unsigned long long)m->originSeq);
    for (char *p = path + start; *p; p++) /* an origin is a node name: keep it one file name */
        if (*p == '/' || *p < 0x20) *p = '_';
    MessageView v;
    messageViewOf(m, &v);
    b->len = 0;
    messageBindingSidecar(b, &v);
    bufPuts(b, "\n");
    if (bufFailed(b) || writeAll(path, m->payload, m->payloadLen) != 0) return -1;
    snprintf(path + n, sizeof(path) - (size_t)n, ".binding");
    return writeAll(path, bufStr(b), b->len);
}

enum { LIST_TEXT, LIST_JSON, LIST_EXPORT };

static int listLog(Cli *cli, const char *dir, const char *filter, int mode, const char *out,
                   int full) {
    char path[4200];
    snprintf(path, sizeof(path), "%s/log", dir);
    LogOptions lo = {.readOnly = 1};
    pnLog *log = NULL;
    pnError err = {0};
    if (logOpen(&log, path, &lo, NULL, &err) != PN_OK)
        return cliFail(CMD, "cannot open the log in %s: %s", dir, err.msg);
    pnBuf scratch, line;
    bufInit(&scratch);
    bufInit(&line);
    uint64_t exported = 0;
    int rc = CLI_OK;
    for (uint64_t off = logFirst(log); off < logNext(log) && rc == CLI_OK; off++) {
        LogRecord rec;
        if (logRead(log, off, &rec, &scratch, NULL) != PN_OK) continue; /* hole: reported at open */
        Message *m = messageDecode(rec.data, rec.len, off, &cli->spif, NULL);
        if (!m) {
            printf("%llu\t-\t-\t-\t-\t<record not readable under the current policy>\n",
                   (unsigned long long)off);
            continue;
        }
        if (filter && !topicMatch(filter, m->topic)) { /* not asked for */
        } else if (mode == LIST_EXPORT) {
            if (exportOne(m, out, &line) != 0)
                rc = cliFail(CMD, "cannot write %s_%llu.bin in %s: %s", m->origin,
                             (unsigned long long)m->originSeq, out, strerror(errno));
            exported++;
        } else if (mode == LIST_JSON) {
            printJson(m, &line);
        } else {
            char when[21];
            timeFormat(m->time, when);
            printf("%llu\t%s:%llu\t%s\t", (unsigned long long)off, m->origin,
                   (unsigned long long)m->originSeq, when);
            putText(&line, m->topic, strlen(m->topic));
            putchar('\t');
            putText(&line, m->label, strlen(m->label));
            putchar('\t');
            printPayload(&line, m, full);
        }
        messageUnref(m);
    }
    bufFree(&scratch);
    bufFree(&line);
    logClose(log);
    if (rc == CLI_OK && mode == LIST_EXPORT)
        printf("exported %llu messages to %s (each FILE.bin with its FILE.bin.binding)\n",
               (unsigned long long)exported, out);
    return rc;
}

int cmdLog(Cli *cli, int argc, char **argv) {
    const char *dir = cli->dataDir, *filter = NULL, *out = NULL;
    int json = 0, full = 0;
    int export = argc >= 2 && strcmp(argv[1], "export") == 0;
    if (argc < 2 || (strcmp(argv[1], "list") != 0 && !export))
        return cliFail(CMD, "expected 'list' or 'export' (see partnernet help log)");
    for (int i = 2; i < argc; i++) {
        if (!export && strcmp(argv[i], "--full") == 0) {
            full = 1;
            continue;
        }
        int r = cliOpt(CMD, argc, argv, &i, "--data", &dir);
        if (r == 0) r = cliOpt(CMD, argc, argv, &i, "--topic", &filter);
        if (r == 0 && export) r = cliOpt(CMD, argc, argv, &i, "--out", &out);
        if (r == 0 && !export && strcmp(argv[i], "--json") == 0) r = json = 1;
        if (r < 0) return CLI_USAGE;
        if (r == 0) return cliFail(CMD, "unknown argument '%s'", argv[i]);
    }
    if (filter && !topicFilterValid(filter, strlen(filter)))
        return cliFail(CMD, "'%s' is not a valid topic filter", filter);
    if (export && !out) return cliFail(CMD, "export needs --out DIR");
    pnError err = {0};
    if (export && dirMake(out, &err) != PN_OK) return cliFail(CMD, "%s", err.msg);
    if (cliNeedData(CMD, dir) != CLI_OK || cliLoad(cli) != CLI_OK) return CLI_USAGE;
    return listLog(cli, dir, filter,
                   export ? LIST_EXPORT
                   : json ? LIST_JSON
                          : LIST_TEXT,
                   out, full);
}
