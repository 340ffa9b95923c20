/*
 * cmd_pubsub.c -- `partnernet pub` and `partnernet sub`: publish to and
 * subscribe at a node over MQTT 5, as any principal would (src/cli/mqttc.c).
 *
 * Where the node is and who logs in come from the options, else from the
 * config file's [client] section (conf.h), else from the node's own
 * listeners in it ([node] mqtt, or mqtts when a CA is given), else
 * 127.0.0.1:1883.  `pub` exits 1 when the node refuses the message, with
 * its reason in words; `sub` prints what the node lets through to the
 * principal, one message a line.
 */
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "../core/date.h"
#include "../core/str.h"
#include "../mqtt/mqtt.h"
#include "cli.h"
#include "mqttc.h"

#define PAYLOAD_MAX (256u << 20)

typedef struct ClientArgs {
    CliClient c; /* options over the config's [client] */
    const char *topic, *qos;
    char password[256];
    char address[300];
} ClientArgs;

/* The connection options both commands take; 1 taken, 0 not ours, -1 error. */
static int clientOption(const char *cmd, ClientArgs *a, int argc, char **argv, int *i) {
    static const char *const names[] = {"--address",     "--user",  "--password-file",
                                        "--cert",        "--key",   "--ca",
                                        "--server-name", "--topic", "--qos"};
    const char **dst[] = {&a->c.address,    &a->c.user,    &a->c.passwordFile,
                          &a->c.certFile,   &a->c.keyFile, &a->c.caFile,
                          &a->c.serverName, &a->topic,     &a->qos};
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        int r = cliOpt(cmd, argc, argv, i, names[k], dst[k]);
        if (r != 0) return r;
    }
    return 0;
}

/* A listener bound to every address is reached on the loopback one. */
static const char *listenerAddress(ClientArgs *a, const char *listen) {
    if (strncmp(listen, "0.0.0.0:", 8) == 0) {
        snprintf(a->address, sizeof(a->address), "127.0.0.1:%s", listen + 8);
        return a->address;
    }
    return listen;
}

/* Options over [client], then the node's listeners, then the default. */
static void clientDefaults(Cli *cli, ClientArgs *a) {
    const CliClient *f = &cli->client;
    const char **mine[] = {&a->c.address, &a->c.user,   &a->c.passwordFile, &a->c.certFile,
                           &a->c.keyFile, &a->c.caFile, &a->c.serverName};
    const char *const conf[] = {f->address, f->user,   f->passwordFile, f->certFile,
                                f->keyFile, f->caFile, f->serverName};
    for (size_t k = 0; k < sizeof(conf) / sizeof(conf[0]); k++)
        if (!*mine[k]) *mine[k] = conf[k];
    if (a->c.address) return;
    const char *listen = a->c.caFile ? f->mqtts : f->mqtt;
    a->c.address = listen && *listen && strcmp(listen, "off") != 0 ? listenerAddress(a, listen)
                                                                   : "127.0.0.1:1883";
}

/* The first line of the password file. */
static int readPasswordFile(const char *cmd, ClientArgs *a) {
    char *text = NULL;
    size_t len = 0;
    if (fileRead(a->c.passwordFile, sizeof(a->password) - 1, &text, &len) != 0)
        return cliFail(cmd, "cannot read the password file '%s'", a->c.passwordFile);
    size_t n = strcspn(text, "\r\n");
    memcpy(a->password, text, n);
    a->password[n] = '\0';
    OPENSSL_cleanse(text, len);
    free(text);
    if (n == 0) return cliFail(cmd, "the password file '%s' is empty", a->c.passwordFile);
    return CLI_OK;
}

static int parseQos(const char *cmd, const char *text, int *qos) {
    if (!text) return CLI_OK;
    if (strlen(text) != 1 || text[0] < '0' || text[0] > '2')
        return cliFail(cmd, "--qos must be 0, 1 or 2, not '%s'", text);
    *qos = text[0] - '0';
    return CLI_OK;
}

/* Connect as the options say; prints why not (exit 2). */
static int clientConnect(Cli *cli, const char *cmd, ClientArgs *a, Mqttc **out) {
    clientDefaults(cli, a);
    if (a->c.passwordFile && readPasswordFile(cmd, a) != CLI_OK) return CLI_USAGE;
    if ((a->c.certFile || a->c.keyFile) && !a->c.caFile)
        return cliFail(cmd, "a client certificate needs --ca (the CA of the node's certificate)");
    char id[64];
    snprintf(id, sizeof(id), "pn-%s-%ld", cmd, (long)getpid());
    MqttcOptions o = {.address = a->c.address,
                      .clientId = id,
                      .user = a->c.user,
                      .password = a->password[0] ? a->password : NULL,
                      .certFile = a->c.certFile,
                      .keyFile = a->c.keyFile,
                      .caFile = a->c.caFile,
                      .serverName = a->c.serverName};
    pnError err = {0};
    signal(SIGPIPE, SIG_IGN); /* a dropped connection is an error value, not a signal */
    int rc = mqttcConnect(out, &o, &err);
    OPENSSL_cleanse(a->password, sizeof(a->password));
    if (rc != PN_OK) return cliFail(cmd, "%s", err.msg);
    return CLI_OK;
}

/* ---- pub ----------------------------------------------------------------- */

typedef struct PubArgs {
    ClientArgs ca;
    const char *label, *message, *file;
    int useStdin, lineMode, retain;
} PubArgs;

static int pubParse(PubArgs *p, int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        int r = clientOption("pub", &p->ca, argc, argv, &i);
        if (r == 0) r = cliOpt("pub", argc, argv, &i, "--label", &p->label);
        if (r == 0) r = cliOpt("pub", argc, argv, &i, "--message", &p->message);
        if (r == 0) r = cliOpt("pub", argc, argv, &i, "--file", &p->file);
        if (r < 0) return CLI_USAGE;
        if (r > 0) continue;
        int *flag = strcmp(argv[i], "--stdin") == 0       ? &p->useStdin
                    : strcmp(argv[i], "--line-mode") == 0 ? &p->lineMode
                    : strcmp(argv[i], "--retain") == 0    ? &p->retain
                                                          : NULL;
        if (!flag)
            return cliFail("pub", "unknown argument '%s' (see partnernet help pub)", argv[i]);
        *flag = 1;
    }
    if (!p->ca.topic) return cliFail("pub", "--topic TOPIC is needed");
    if (!!p->message + !!p->file + p->useStdin != 1)
        return cliFail("pub", "give exactly one of --message TEXT, --file FILE and --stdin");
    if (p->lineMode && !p->useStdin) return cliFail("pub", "--line-mode goes with --stdin");
    return CLI_OK;
}

/* Publish one message; 1 (refused, printed) or 2 (connection) on failure. */
static int pubOne(Mqttc *c, const PubArgs *p, int qos, const void *data, size_t len) {
    pnError err = {0};
    int rc = mqttcPublish(c, p->ca.topic, p->label, data, len, qos, p->retain, &err);
    if (rc == PN_OK) return CLI_OK;
    cliFail("pub", "%s", err.msg);
    return rc == PN_EINVAL ? CLI_NO : CLI_USAGE;
}

/* --stdin --line-mode: one message per line, without its newline. */
static int pubLines(Mqttc *c, const PubArgs *p, int qos, size_t *sent) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = CLI_OK;
    while (rc == CLI_OK && (n = getline(&line, &cap, stdin)) >= 0) {
        if (n > 0 && line[n - 1] == '\n') n--;
        rc = pubOne(c, p, qos, line, (size_t)n);
        if (rc == CLI_OK) ++*sent;
    }
    free(line);
    return rc;
}

int cmdPub(Cli *cli, int argc, char **argv) {
    PubArgs p;
    memset(&p, 0, sizeof(p));
    int qos = 1;
    if (pubParse(&p, argc, argv) != CLI_OK || parseQos("pub", p.ca.qos, &qos) != CLI_OK)
        return CLI_USAGE;
    char *data = NULL;
    size_t len = 0;
    if (p.message) {
        len = strlen(p.message);
    } else if (!p.lineMode) {
        const char *from = p.file ? p.file : "-";
        int fr = fileRead(from, PAYLOAD_MAX, &data, &len);
        if (fr != 0)
            return cliFail("pub", "cannot read %s%s", p.file ? p.file : "standard input",
                           fr == -2 ? ": larger than 256 MiB" : "");
    }
    Mqttc *c = NULL;
    if (clientConnect(cli, "pub", &p.ca, &c) != CLI_OK) {
        free(data);
        return CLI_USAGE;
    }
    size_t sent = 0;
    int rc = p.lineMode ? pubLines(c, &p, qos, &sent)
                        : pubOne(c, &p, qos, p.message ? p.message : data, len);
    if (!p.lineMode && rc == CLI_OK) sent = 1;
    free(data);
    mqttcClose(c);
    if (rc == CLI_OK)
        printf("published %zu message%s on %s\n", sent, sent == 1 ? "" : "s", p.ca.topic);
    return rc;
}

/* ---- sub ----------------------------------------------------------------- */

/* Is the payload shown as text: valid UTF-8 (no NUL)? */
static int isText(const uint8_t *p, size_t n) {
    return mqttUtf8Valid(p, n);
}

/* Text with control characters escaped, so one message is one line and
 * no payload can move the terminal's cursor or colours. */
static void printEscaped(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = p[i];
        if (ch == '\\')
            fputs("\\\\", stdout);
        else if (ch == '\n')
            fputs("\\n", stdout);
        else if (ch == '\t')
            fputs("\\t", stdout);
        else if (ch == '\r')
            fputs("\\r", stdout);
        else if (ch < 0x20 || ch == 0x7f)
            printf("\\x%02x", ch);
        else if (ch == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] < 0xa0) /* C1 */
            printf("\\u%04x", p[++i]);
        else
            putchar(ch);
    }
}

static void printBase64(const uint8_t *p, size_t n) {
    unsigned char out[4 * 3072 / 3 + 1];
    for (size_t off = 0; off < n; off += 3072) {
        size_t part = n - off < 3072 ? n - off : 3072;
        EVP_EncodeBlock(out, p + off, (int)part);
        fputs((const char *)out, stdout);
    }
}

/* The origin of an id "ORIGIN:SEQ" (into buf). */
static const char *originOf(const char *id, char *buf, size_t cap) {
    const char *colon = strrchr(id, ':');
    size_t n = colon ? (size_t)(colon - id) : 0;
    if (n >= cap) n = cap - 1;
    memcpy(buf, id, n);
    buf[n] = '\0';
    return buf;
}

static void printLine(const MqttcMessage *m, const char *when, const char *origin) {
    printf("%s\t%s\t%s\t%s\t%s\t", when, m->label, m->topic, m->id, origin);
    if (isText(m->payload, m->payloadLen)) {
        printEscaped(m->payload, m->payloadLen);
    } else {
        fputs("base64:", stdout);
        printBase64(m->payload, m->payloadLen);
    }
    putchar('\n');
}

static int printJson(const MqttcMessage *m, const char *when, const char *origin) {
    json_t *o =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:b}", "id", m->id, "topic", m->topic, "label",
                  m->label, "time", when, "origin", origin, "qos", m->qos, "retain", m->retain);
    if (!o) return -1;
    int text = isText(m->payload, m->payloadLen), rc = 0;
    if (text) {
        rc = json_object_set_new(o, "payload",
                                 json_stringn((const char *)m->payload, m->payloadLen));
    } else {
        char *b64 = malloc((m->payloadLen + 2) / 3 * 4 + 1);
        if (b64) EVP_EncodeBlock((unsigned char *)b64, m->payload, (int)m->payloadLen);
        rc = b64 ? json_object_set_new(o, "payload_base64", json_string(b64)) : -1;
        free(b64);
    }
    if (rc == 0) rc = json_dumpf(o, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(o);
    putchar('\n');
    return rc;
}

static int printMessage(const MqttcMessage *m, int asJson) {
    char when[21] = "-", origin[128];
    if (m->time) timeFormat(m->time, when);
    originOf(m->id, origin, sizeof(origin));
    if (asJson) {
        if (printJson(m, when, origin) != 0) return cliFail("sub", "out of memory");
    } else {
        printLine(m, when, origin);
    }
    fflush(stdout);
    return CLI_OK;
}

int cmdSub(Cli *cli, int argc, char **argv) {
    ClientArgs a;
    memset(&a, 0, sizeof(a));
    const char *countText = NULL;
    int asJson = 0, qos = 1;
    for (int i = 1; i < argc; i++) {
        int r = clientOption("sub", &a, argc, argv, &i);
        if (r == 0) r = cliOpt("sub", argc, argv, &i, "--count", &countText);
        if (r < 0) return CLI_USAGE;
        if (r > 0) continue;
        if (strcmp(argv[i], "--json") != 0)
            return cliFail("sub", "unknown argument '%s' (see partnernet help sub)", argv[i]);
        asJson = 1;
    }
    if (!a.topic) return cliFail("sub", "--topic FILTER is needed");
    long long count = 0;
    char *end = NULL;
    if (countText) count = strtoll(countText, &end, 10);
    if (countText && (!*countText || *end || count < 1))
        return cliFail("sub", "--count must be a whole number of at least 1, not '%s'", countText);
    if (parseQos("sub", a.qos, &qos) != CLI_OK) return CLI_USAGE;
    Mqttc *c = NULL;
    if (clientConnect(cli, "sub", &a, &c) != CLI_OK) return CLI_USAGE;
    pnError err = {0};
    int rc = mqttcSubscribe(c, a.topic, qos, &err);
    if (rc == PN_OK) {
        fprintf(stderr, "partnernet sub: subscribed to %s at %s\n", a.topic, a.c.address);
        for (long long n = 0; rc == PN_OK && (!count || n < count); n++) {
            MqttcMessage m;
            rc = mqttcReceive(c, &m, &err);
            if (rc == PN_OK && printMessage(&m, asJson) != CLI_OK) rc = PN_ENOMEM;
        }
    }
    mqttcClose(c);
    if (rc == PN_OK) return CLI_OK;
    if (rc != PN_ENOMEM) cliFail("sub", "%s", err.msg);
    return rc == PN_EINVAL ? CLI_NO : CLI_USAGE; /* refused by the node: a "no" */
}
