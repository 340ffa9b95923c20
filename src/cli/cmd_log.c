/*
 * cmd_log.c -- `partnernet log list`: what a node's message log holds.
 *
 * Opens the log read-only (LogOptions.readOnly), so it is safe next to a
 * running node: nothing is truncated or created, and a record the node is
 * writing at that moment is simply not listed yet.  One line per message,
 * tab-separated for scripts: offset, id (ORIGIN:SEQ), time, topic, label,
 * payload (as text when it is printable, else its size).
 */
#include <stdio.h>
#include <string.h>

#include "../core/date.h"
#include "../exchange/message.h"
#include "../exchange/topic.h"
#include "../http/conn.h"
#include "../store/log.h"
#include "cli.h"

#define CMD "log"

static void printPayload(const Message *m) {
    int text = m->payloadLen <= 200;
    for (uint32_t i = 0; text && i < m->payloadLen; i++)
        text = m->payload[i] >= 0x20 && m->payload[i] < 0x7f;
    if (text)
        printf("%.*s\n", (int)m->payloadLen, (const char *)m->payload);
    else
        printf("<%u bytes>\n", m->payloadLen);
}

/* One line of JSON, as the HTTP history gives the message. */
static void printJson(const Message *m, pnBuf *b) {
    MessageView v;
    messageViewOf(m, &v);
    b->len = 0;
    messageJson(b, &v);
    if (!bufFailed(b)) printf("%s\n", bufStr(b));
}

static int listLog(Cli *cli, const char *dir, const char *filter, int json) {
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
    for (uint64_t off = logFirst(log); off < logNext(log); off++) {
        LogRecord rec;
        if (logRead(log, off, &rec, &scratch, NULL) != PN_OK) continue; /* hole: reported at open */
        Message *m = messageDecode(rec.data, rec.len, off, &cli->spif, NULL);
        if (!m) {
            printf("%llu\t-\t-\t-\t-\t<record not readable under the current policy>\n",
                   (unsigned long long)off);
            continue;
        }
        if (json && (!filter || topicMatch(filter, m->topic))) {
            printJson(m, &line);
        } else if (!filter || topicMatch(filter, m->topic)) {
            char when[21];
            timeFormat(m->time, when);
            printf("%llu\t%s:%llu\t%s\t%s\t%s\t", (unsigned long long)off, m->origin,
                   (unsigned long long)m->originSeq, when, m->topic, m->label);
            printPayload(m);
        }
        messageUnref(m);
    }
    bufFree(&scratch);
    bufFree(&line);
    logClose(log);
    return CLI_OK;
}

int cmdLog(Cli *cli, int argc, char **argv) {
    const char *dir = "var", *filter = NULL;
    int json = 0;
    if (argc < 2 || strcmp(argv[1], "list") != 0)
        return cliFail(CMD, "expected 'list' (see partnernet help log)");
    for (int i = 2; i < argc; i++) {
        int r = cliOpt(CMD, argc, argv, &i, "--data", &dir);
        if (r == 0) r = cliOpt(CMD, argc, argv, &i, "--topic", &filter);
        if (r == 0 && strcmp(argv[i], "--json") == 0) r = json = 1;
        if (r < 0) return CLI_USAGE;
        if (r == 0) return cliFail(CMD, "unknown argument '%s'", argv[i]);
    }
    if (filter && !topicFilterValid(filter, strlen(filter)))
        return cliFail(CMD, "'%s' is not a valid topic filter", filter);
    if (cliLoad(cli) != CLI_OK) return CLI_USAGE;
    return listLog(cli, dir, filter, json);
}
