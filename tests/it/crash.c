/*
 * crash.c -- the crash test's clients (driven by crash.sh).
 *
 *   crash subscribe HOST PORT USER PASSWORD CLIENTID
 *       MQTT 5 persistent session (clean start, session expiry 3600 s),
 *       subscribe 'crash/#' at QoS 1, disconnect normally: the session now
 *       queues for its subscriber while it is away.
 *   crash publish HOST PORT USER PASSWORD ACKLOG [SECONDS]
 *       publish QoS 1 messages "crash SEQ" with the label NATO UNCLASSIFIED,
 *       at most 100 unacknowledged, as fast as PUBACKs come back; every
 *       sequence number acknowledged with success is appended to ACKLOG (one
 *       a line, flushed at once).  Runs until the connection drops (the node
 *       is killed) or SECONDS (default 60) pass.
 *   crash collect HOST PORT USER PASSWORD CLIENTID ACKLOG IDLE_MS [FIRST_MS]
 *       reconnect to the session (clean start 0), receive until nothing has
 *       come for IDLE_MS (after a first message, or FIRST_MS -- default
 *       30,000 -- without one), then
 *       compare with ACKLOG.  Prints one line of "key value" pairs; exits 0
 *       when every acknowledged sequence number was received.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/mqclient.h"

#define WINDOW 100

static int connected, connectRc = -1, sessionPresent, subscribed, lost;
static uint64_t published, acked, refused, received, unexpected;
static uint64_t *midSeq; /* packet id -> sequence number (publisher) */
static FILE *ackLog;
static uint8_t *seen; /* per sequence number: deliveries (collector) */
static uint64_t seenCap, maxSeq;
static double lastMessage;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void onConnect(struct mosquitto *m, void *obj, int rc, int flags, const mosquitto_property *props) {
    (void)m, (void)obj, (void)props;
    connectRc = rc;
    connected = rc == 0;
    sessionPresent = flags & 1;
}

static void onDisconnect(struct mosquitto *m, void *obj, int rc, const mosquitto_property *props) {
    (void)m, (void)obj, (void)rc, (void)props;
    lost = 1;
    connected = 0;
}

static void onSubscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted,
                        const mosquitto_property *props) {
    (void)m, (void)obj, (void)mid, (void)props;
    subscribed = n == 1 && granted[0] == 1 ? 1 : -1;
}

static void onPublish(struct mosquitto *m, void *obj, int mid, int reason, const mosquitto_property *props) {
    (void)m, (void)obj, (void)props;
    if (reason >= 0x80) {
        refused++;
        return;
    }
    acked++;
    fprintf(ackLog, "%llu\n", (unsigned long long)midSeq[mid & 0xffff]);
    fflush(ackLog);
}

static void onMessage(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
                      const mosquitto_property *props) {
    (void)m, (void)obj, (void)props;
    char text[64];
    unsigned long long seq;
    int n = msg->payloadlen < (int)sizeof(text) - 1 ? msg->payloadlen : (int)sizeof(text) - 1;
    memcpy(text, msg->payload, (size_t)n);
    text[n] = '\0';
    lastMessage = now();
    if (sscanf(text, "crash %llu", &seq) != 1) {
        unexpected++;
        return;
    }
    received++;
    if (seq >= seenCap) {
        uint64_t cap = seenCap ? seenCap : 65536;
        while (cap <= seq) cap *= 2;
        seen = realloc(seen, cap);
        memset(seen + seenCap, 0, cap - seenCap);
        seenCap = cap;
    }
    if (seen[seq] < 255) seen[seq]++;
    if (seq > maxSeq) maxSeq = seq;
}

static struct mosquitto *client(const char *id, int clean, const char *user, const char *password) {
    static const MqCallbacks cb = {.onConnect = onConnect, .onDisconnect = onDisconnect,
                                   .onSubscribe = onSubscribe, .onPublish = onPublish,
                                   .onMessage = onMessage};
    struct mosquitto *m = mqClientNew(id, clean, NULL, WINDOW, user, password, &cb);
    if (!m) {
        fprintf(stderr, "crash: mosquitto_new failed\n");
        exit(2);
    }
    return m;
}

static int connectTo(struct mosquitto *m, const char *host, int port, int expiry) {
    mosquitto_property *props = NULL;
    if (expiry) mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL, (uint32_t)expiry);
    int rc = mosquitto_connect_bind_v5(m, host, port, 60, NULL, props);
    mosquitto_property_free_all(&props);
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "crash: connect: %s\n", mosquitto_strerror(rc));
        return -1;
    }
    double end = now() + 30;
    while (connectRc < 0 && !lost && now() < end)
        if (mosquitto_loop(m, 10, 1) != MOSQ_ERR_SUCCESS) break;
    if (!connected) {
        fprintf(stderr, "crash: not connected (%s)\n", connectRc > 0 ? mosquitto_reason_string(connectRc) : "no CONNACK");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: crash subscribe|publish|collect HOST PORT USER PASSWORD ...\n");
        return 2;
    }
    const char *mode = argv[1], *host = argv[2], *user = argv[4], *password = argv[5];
    int port = atoi(argv[3]);
    mosquitto_lib_init();

    if (strcmp(mode, "subscribe") == 0 && argc == 7) {
        struct mosquitto *m = client(argv[6], 1, user, password);
        if (connectTo(m, host, port, 3600) != 0) return 1;
        mosquitto_subscribe_v5(m, NULL, "crash/#", 1, 0, NULL);
        double end = now() + 30;
        while (!subscribed && !lost && now() < end) mosquitto_loop(m, 10, 1);
        if (subscribed != 1) {
            fprintf(stderr, "crash: subscription not granted at QoS 1\n");
            return 1;
        }
        mosquitto_disconnect(m);
        for (int i = 0; i < 10 && !lost; i++) mosquitto_loop(m, 10, 1);
        mosquitto_destroy(m);
        printf("subscribed\n");
        return 0;
    }

    if (strcmp(mode, "publish") == 0 && (argc == 7 || argc == 8)) {
        double seconds = argc == 8 ? atof(argv[7]) : 60;
        ackLog = fopen(argv[6], "w");
        if (!ackLog) return 2;
        midSeq = calloc(65536, sizeof(*midSeq));
        struct mosquitto *m = client(NULL, 1, user, password);
        if (connectTo(m, host, port, 0) != 0) return 1;
        mosquitto_property *props = NULL;
        mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "label", "NATO UNCLASSIFIED");
        double end = now() + seconds;
        while (!lost && now() < end) {
            while (published - acked - refused < WINDOW) {
                char payload[64], topic[32];
                int n = snprintf(payload, sizeof(payload), "crash %llu", (unsigned long long)published);
                snprintf(topic, sizeof(topic), "crash/%u", (unsigned)(published % 4));
                int mid;
                if (mosquitto_publish_v5(m, &mid, topic, n, payload, 1, false, props) != MOSQ_ERR_SUCCESS) {
                    lost = 1;
                    break;
                }
                midSeq[mid & 0xffff] = published++;
            }
            if (mosquitto_loop(m, 100, 1) != MOSQ_ERR_SUCCESS) break;
        }
        mosquitto_property_free_all(&props);
        fclose(ackLog);
        printf("published %llu acked %llu refused %llu lost %d\n", (unsigned long long)published,
               (unsigned long long)acked, (unsigned long long)refused, lost);
        mosquitto_destroy(m);
        return 0;
    }

    if (strcmp(mode, "collect") == 0 && (argc == 9 || argc == 10)) {
        double idle = atof(argv[8]) / 1000, first = argc == 10 ? atof(argv[9]) / 1000 : 30;
        struct mosquitto *m = client(argv[6], 0, user, password);
        if (connectTo(m, host, port, 3600) != 0) return 1;
        double start = now();
        while (!lost) {
            double t = now();
            if (lastMessage ? t - lastMessage > idle : t - start > first) break;
            if (mosquitto_loop(m, 50, 1) != MOSQ_ERR_SUCCESS) break;
        }
        mosquitto_disconnect(m);
        mosquitto_destroy(m);
        FILE *f = fopen(argv[7], "r");
        if (!f) return 2;
        uint64_t nacked = 0, missing = 0, firstMissing = UINT64_MAX;
        unsigned long long seq;
        uint8_t *ackedSet = NULL;
        uint64_t ackedCap = 0;
        while (fscanf(f, "%llu", &seq) == 1) {
            nacked++;
            if (seq >= ackedCap) {
                uint64_t cap = ackedCap ? ackedCap : 65536;
                while (cap <= seq) cap *= 2;
                ackedSet = realloc(ackedSet, cap);
                memset(ackedSet + ackedCap, 0, cap - ackedCap);
                ackedCap = cap;
            }
            ackedSet[seq] = 1;
            if (seq >= seenCap || !seen[seq]) {
                missing++;
                if (seq < firstMissing) firstMissing = seq;
            }
        }
        fclose(f);
        uint64_t distinct = 0, dups = 0, unacked = 0;
        for (uint64_t i = 0; i < seenCap; i++) {
            if (!seen[i]) continue;
            distinct++;
            dups += seen[i] - 1u;
            if (i >= ackedCap || !ackedSet[i]) unacked++;
        }
        printf("session_present %d acked %llu received %llu distinct %llu missing %llu dups %llu "
               "received_unacked %llu unexpected %llu max_seq %llu first_missing %lld\n",
               sessionPresent, (unsigned long long)nacked, (unsigned long long)received,
               (unsigned long long)distinct, (unsigned long long)missing, (unsigned long long)dups,
               (unsigned long long)unacked, (unsigned long long)unexpected, (unsigned long long)maxSeq,
               firstMissing == UINT64_MAX ? -1LL : (long long)firstMissing);
        free(ackedSet);
        free(seen);
        return missing == 0 ? 0 : 1;
    }
    fprintf(stderr, "crash: bad arguments\n");
    return 2;
}
