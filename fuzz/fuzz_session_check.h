/*
 * fuzz_session_check.h -- the property of fuzz/fuzz_session.c: the MQTT
 * server's whole session state machine, driven by sequences of packets on
 * two connections of a real node (exchange, log, sessions, audit) in a
 * temporary directory, without sockets (mqttServerTestOpen, see
 * src/mqtt/server.h).  Shared with tests/unit/test_fuzz_regress.c.
 *
 * Input: a list of operations, each one byte op then its data:
 *   op % 8 == 0, 1   feed the next N bytes (N = the following byte) to
 *                    connection A (op 0) or B (op 1): CONNECT, PUBLISH,
 *                    PUBREL, SUBSCRIBE, ... or garbage, as a client sends;
 *   op % 8 == 2, 5   one loop turn: group commit, then drain and flush
 *                    (nodeTurn) -- acknowledgements and deliveries go out;
 *   op % 8 == 3      drop A and open it again (principal alice, or the
 *                    node-role principal peer when op & 8);
 *   op % 8 == 4      drop B and open it again (principal bob);
 *   op % 8 == 6, 7   feed the rest of the input to A or B.
 * A is alice (USA, COSMIC TOP SECRET, ATOMAL) or peer; B is always bob
 * (SWE, NATO UNCLASSIFIED).  Connection A's packets can publish anything
 * alice may; B subscribes to what it likes.
 *
 * Properties: what the server sends on each connection is a sequence of
 * well-framed server-to-client packets (valid type, fixed-header flags,
 * remaining length), and every PUBLISH bob receives over MQTT 5 carries a
 * label that decide() releases to bob (nothing reaches someone it should
 * not).  Crashes, leaks and undefined behaviour are the sanitizers'.
 */
#ifndef PN_FUZZ_SESSION_CHECK_H
#define PN_FUZZ_SESSION_CHECK_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/core/date.h"
#include "../src/mqtt/server.h"
#include "../src/node/node.h"
#include "../src/policy/decide.h"
#include "fuzz_checks.h"

static const char fuzzSessionPrincipals[] =
    "{\"principals\": ["
    "{\"name\": \"alice\", \"nation\": \"USA\", \"clearance\": \"CTS\", \"cois\": [], "
    "\"caveats\": [\"ATOMAL\"]},"
    "{\"name\": \"bob\", \"nation\": \"SWE\", \"clearance\": \"NU\", \"cois\": [], "
    "\"caveats\": []},"
    "{\"name\": \"peer\", \"nation\": \"SWE\", \"clearance\": \"NS\", \"cois\": [], "
    "\"caveats\": [], \"roles\": [\"node\"]}]}";

/* The node's signing key, fixed: a fresh one each input would cost a key
 * generation and print a line on stderr every time. */
static const char fuzzSessionKey[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIAuN4iUX8ihlmBk4C476hCbOvP+9p5a+bTeaT56PN9Is\n"
    "-----END PRIVATE KEY-----\n";

/* What one connection has sent so far and how much of it was checked. */
typedef struct FuzzStream {
    pnBuf out;
    size_t checked;
    int v5; /* 1 once its CONNACK showed MQTT 5 (it has properties) */
    MqttConn *c;
} FuzzStream;

/* What a run did (fuzzCheckSessionCounted): a seed that logs nobody in
 * tests nothing. */
typedef struct FuzzSessionCounts {
    int loggedIn;     /* CONNACKs with reason 0 */
    int bobPublishes; /* PUBLISHes bob received */
} FuzzSessionCounts;

typedef struct FuzzSession {
    FuzzEnv *env;
    FuzzSessionCounts counts;
    Node *node;
    MqttServer *srv;
    Principal bob;
    FuzzStream a, b;
    char *why;
    size_t cap;
} FuzzSession;

static int fuzzRmOne(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* A PUBLISH bob got over MQTT 5: its label must be one decide() allows him. */
static int fuzzBobMayRead(FuzzSession *fs, const uint8_t *p, size_t n) {
    MqttPacket pkt;
    uint8_t reason;
    if (mqttDecodeClient(p, n, UINT32_MAX, &pkt, &reason) != 1 || pkt.type != MQTT_PUBLISH)
        return fuzzFail(fs->why, fs->cap, "bob got a PUBLISH the client decoder refuses");
    MqttStr lab;
    if (!mqttUserProp(&pkt.u.publish.props, "label", &lab))
        return fuzzFail(fs->why, fs->cap, "bob got a PUBLISH without a label property");
    Label l;
    pnError err = {0};
    labelInit(&l, &fs->env->spif);
    int rc = labelParse(&l, (const char *)lab.p, lab.len, &err);
    DecideLabel dl;
    if (rc == PN_OK) decideLabelCompile(&l, &dl);
    labelFree(&l);
    if (rc != PN_OK)
        return fuzzFail(fs->why, fs->cap, "bob got a label the policy cannot read: %.*s",
                        (int)lab.len, lab.p);
    Decision d = decide(&fs->bob, &dl, timeNow());
    if (d.reason != DECIDE_ALLOW)
        return fuzzFail(fs->why, fs->cap, "bob (SWE, NU) got a message labelled %.*s (%s)",
                        (int)lab.len, lab.p, decideReasonText(d.reason));
    return 0;
}

/* Check the complete packets s has sent since the last call. */
static int fuzzCheckStream(FuzzSession *fs, FuzzStream *s, int isBob) {
    const uint8_t *d = (const uint8_t *)s->out.data;
    while (s->checked < s->out.len) {
        const uint8_t *p = d + s->checked;
        size_t left = s->out.len - s->checked;
        uint32_t len = 0, mul = 1;
        size_t i = 1;
        for (;; i++) {
            if (i >= left) return 0; /* the rest comes with the next flush */
            if (i > 4) return fuzzFail(fs->why, fs->cap, "remaining length over 4 bytes");
            len += (uint32_t)(p[i] & 0x7f) * mul;
            mul *= 128;
            if (!(p[i] & 0x80)) break;
        }
        size_t total = i + 1 + len;
        if (total > left) return 0;
        uint8_t type = p[0] >> 4, flags = p[0] & 15;
        int ok = type == MQTT_PUBLISH ? (flags & 6) != 6
                 : type == MQTT_PUBREL
                     ? flags == 2
                     : flags == 0 &&
                           (type == MQTT_CONNACK || type == MQTT_PUBACK || type == MQTT_PUBREC ||
                            type == MQTT_PUBCOMP || type == MQTT_SUBACK || type == MQTT_UNSUBACK ||
                            type == MQTT_PINGRESP || type == MQTT_DISCONNECT);
        if (!ok) return fuzzFail(fs->why, fs->cap, "server sent a bad fixed header 0x%02x", p[0]);
        if (getenv("PN_FUZZ_TRACE")) /* debugging a seed: what each connection got */
            fprintf(stderr, "%s <- type %u, %zu bytes\n", isBob ? "B" : "A", type, total);
        if (type == MQTT_CONNACK) s->v5 = len > 2;
        if (type == MQTT_CONNACK && len >= 2 && p[i + 2] == 0) fs->counts.loggedIn++;
        if (type == MQTT_PUBLISH && isBob) fs->counts.bobPublishes++;
        if (type == MQTT_PUBLISH && isBob && s->v5 && fuzzBobMayRead(fs, p, total) != 0) return -1;
        s->checked += total;
    }
    return 0;
}

static int fuzzSessionOpen(FuzzSession *fs, FuzzStream *s, const char *principal) {
    if (s->c) mqttServerTestClose(s->c);
    bufFree(&s->out);
    s->checked = 0;
    s->v5 = 0;
    s->c = mqttServerTestOpen(fs->srv, principal, &s->out);
    return s->c ? 0 : fuzzFail(fs->why, fs->cap, "out of memory");
}

static int fuzzSessionRun(FuzzSession *fs, const uint8_t *data, size_t size) {
    size_t i = 0;
    while (i < size) {
        uint8_t op = data[i++];
        size_t n = 0;
        switch (op & 7) {
        case 0:
        case 1:
        case 6:
        case 7:
            n = (op & 7) >= 6 ? size - i : i < size ? data[i++] : 0;
            if (n > size - i) n = size - i;
            mqttServerTestInput((op & 1) ? fs->b.c : fs->a.c, data + i, n);
            i += n;
            break;
        case 2:
        case 5:
            nodeTurn(fs->node);
            break;
        case 3:
            if (fuzzSessionOpen(fs, &fs->a, op & 8 ? "peer" : "alice") != 0) return -1;
            break;
        case 4:
            if (fuzzSessionOpen(fs, &fs->b, "bob") != 0) return -1;
            break;
        }
        if (fuzzCheckStream(fs, &fs->a, 0) != 0 || fuzzCheckStream(fs, &fs->b, 1) != 0) return -1;
    }
    nodeTurn(fs->node);
    if (fuzzCheckStream(fs, &fs->a, 0) != 0 || fuzzCheckStream(fs, &fs->b, 1) != 0) return -1;
    return 0;
}

/* A node in a fresh temporary directory (in /dev/shm when there is one:
 * the log's fsyncs cost nothing there), two connections, the input, then
 * everything closed and removed. */
static inline int fuzzCheckSessionCounted(FuzzEnv *env, const uint8_t *data, size_t size, char *why,
                                          size_t cap, FuzzSessionCounts *counts) {
    char dir[256], path[300];
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof(dir), "%s/pn-fuzz-session-XXXXXX", base);
    if (!mkdtemp(dir)) return fuzzFail(why, cap, "cannot make a temporary directory");
    snprintf(path, sizeof(path), "%s/node.key", dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(fuzzSessionKey, f);
        fclose(f);
    }
    snprintf(path, sizeof(path), "%s/principals.json", dir);
    f = fopen(path, "w");
    if (f) {
        fputs(fuzzSessionPrincipals, f);
        fclose(f);
    }
    NodeOptions o = {.name = "fz", .dataDir = dir, .principalsFile = path, .maxQueued = 8};
    o.topicFilter[0] = "legacy/#";
    o.topicLabel[0] = "NATO UNCLASSIFIED";
    o.ntopics = 1;
    MqttServerOptions mo = {.maxPacketSize = 4096, .maxOutputBytes = 8192};
    FuzzSession fs = {.env = env, .why = why, .cap = cap};
    pnError err = {0};
    int rc = nodeOpen(&fs.node, &o, env->reg, &env->spif, &err);
    if (rc == PN_OK) rc = mqttServerStart(&fs.srv, fs.node, &mo, &err);
    const PrincipalEntry *e = rc == PN_OK ? principalsFind(nodePrincipals(fs.node), "bob") : NULL;
    if (rc == PN_OK && (!e || principalEntryCompile(e, &fs.bob, env->reg, &env->spif, &err)))
        rc = PN_EINVAL;
    if (rc != PN_OK) {
        rc = fuzzFail(why, cap, "cannot start a node: %s", err.msg);
    } else {
        rc = fuzzSessionOpen(&fs, &fs.a, "alice");
        if (rc == 0) rc = fuzzSessionOpen(&fs, &fs.b, "bob");
        if (rc == 0) rc = fuzzSessionRun(&fs, data, size);
    }
    mqttServerTestClose(fs.a.c);
    mqttServerTestClose(fs.b.c);
    bufFree(&fs.a.out);
    bufFree(&fs.b.out);
    nodeClose(fs.node);
    mqttServerFree(fs.srv);
    nftw(dir, fuzzRmOne, 16, FTW_DEPTH | FTW_PHYS);
    if (counts) *counts = fs.counts;
    return rc;
}

static inline int fuzzCheckSession(FuzzEnv *env, const uint8_t *data, size_t size, char *why,
                                   size_t cap) {
    return fuzzCheckSessionCounted(env, data, size, why, cap, NULL);
}

#endif
