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

static int listLog(Cli *cli, const char *dir, const char *filter, int full) {
    char path[4200];
    snprintf(path, sizeof(path), "%s/log", dir);
    LogOptions lo = {.readOnly = 1};
    pnLog *log = NULL;
    pnError err = {0};
    if (logOpen(&log, path, &lo, NULL, &err) != PN_OK)
        return cliFail(CMD, "cannot open the log in %s: %s", dir, err.msg);
    pnBuf scratch, text;
    bufInit(&scratch);
    bufInit(&text);
    for (uint64_t off = logFirst(log); off < logNext(log); off++) {
        LogRecord rec;
        if (logRead(log, off, &rec, &scratch, NULL) != PN_OK) continue; /* hole: reported at open */
        Message *m = messageDecode(rec.data, rec.len, off, &cli->spif, NULL);
        if (!m) {
            printf("%llu\t-\t-\t-\t-\t<record not readable under the current policy>\n",
                   (unsigned long long)off);
            continue;
        }
        if (!filter || topicMatch(filter, m->topic)) {
            char when[21];
            timeFormat(m->time, when);
            printf("%llu\t%s:%llu\t%s\t", (unsigned long long)off, m->origin,
                   (unsigned long long)m->originSeq, when);
            putText(&text, m->topic, strlen(m->topic));
            putchar('\t');
            putText(&text, m->label, strlen(m->label));
            putchar('\t');
            printPayload(&text, m, full);
        }
        messageUnref(m);
    }
    bufFree(&scratch);
    bufFree(&text);
    logClose(log);
    return CLI_OK;
}

int cmdLog(Cli *cli, int argc, char **argv) {
    const char *dir = cli->dataDir, *filter = NULL;
    int full = 0;
    if (argc < 2 || strcmp(argv[1], "list") != 0)
        return cliFail(CMD, "expected 'list' (see partnernet help log)");
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--full") == 0) {
            full = 1;
            continue;
        }
        int r = cliOpt(CMD, argc, argv, &i, "--data", &dir);
        if (r == 0) r = cliOpt(CMD, argc, argv, &i, "--topic", &filter);
        if (r < 0) return CLI_USAGE;
        if (r == 0) return cliFail(CMD, "unknown argument '%s'", argv[i]);
    }
    if (filter && !topicFilterValid(filter, strlen(filter)))
        return cliFail(CMD, "'%s' is not a valid topic filter", filter);
    if (cliNeedData(CMD, dir) != CLI_OK || cliLoad(cli) != CLI_OK) return CLI_USAGE;
    return listLog(cli, dir, filter, full);
}
