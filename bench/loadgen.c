/*
 * loadgen.c -- MQTT load generator for `make bench` (method: docs/benchmarks.md).
 *
 * One publisher and N subscribers in one process and one thread, driven by
 * poll() over the libmosquitto sockets, MQTT 5, TCP_NODELAY on every client.
 * The publish time (CLOCK_MONOTONIC, ns) and a sequence number travel in the
 * payload, so delivered rate, loss and latency are measured end to end.
 *
 * Flow window: the publisher stays at most WINDOW messages ahead of the
 * slowest subscriber (by the highest sequence number it has received) and,
 * at QoS 1, has at most WINDOW publishes unacknowledged.  Without --rate it
 * publishes as fast as the window allows (throughput); with --rate R it
 * offers R messages/s on a fixed schedule (latency).
 *
 *   loadgen --port P [--host H] [--user U --password PW] [--label TEXT]
 *           [--subs N] [--qos 0|1] [--messages M] [--size BYTES] [--rate R]
 *           [--window W] [--topic T]
 *           [--sub-port P2 [--sub-user U2 --sub-password PW2]] [--retain-topics N]
 *
 * --sub-port puts the subscribers on another node (federation: published
 * at one node, measured where a link delivered it). *
 * --label adds the MQTT 5 user property label=TEXT to every publish.
 * --retain-topics N publishes retained messages, message i on topic T/(i % N),
 * and subscribes to T/# without the retained messages held (retain
 * handling 2): with N distinct topics held, the rate is that of retained
 * publishes (bench/retained.sh).
 * Prints one line of key=value pairs:
 *   msgs subs qos size elapsed_s rate (messages/s: every subscriber's
 *   deliveries / subs / elapsed) drate (deliveries/s, all subscribers)
 *   deliveries lost loss_pct dups p50_us p99_us max_us late (sends more
 *   than 1 ms behind schedule) refused (PUBACK reason >= 0x80)
 * elapsed runs from the first publish to the last delivery (and, at QoS 1,
 * the last PUBACK).  Exit 0 when the run completed, 1 on a connection error
 * or when deliveries stopped before all arrived (loss is still printed).
 */
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "../tests/it/lib/mqclient.h"

#define MAXSUBS 64

typedef struct Sub {
    struct mosquitto *m;
    int connected, subscribed;
    uint64_t received, dups;
    int64_t lastSeq; /* highest sequence number received, -1 none */
} Sub;

static Sub subs[MAXSUBS];
static int nsubs = 1, qos = 0, window = 1000, size = 512;
static uint64_t nmsg = 100000;
static double rate = 0;
static const char *host = "127.0.0.1", *user = NULL, *password = NULL, *label = NULL,
                  *topic = "bench/t";
static int port = 0;
static uint64_t retainTopics = 0; /* --retain-topics: retained publishes over N topics */
static int subPort = 0; /* subscribers on another node (federation lag); 0: same as port */
static const char *subUser = NULL, *subPassword = NULL;

static struct mosquitto *pub;
static int pubConnected, failed;
static char pubTag; /* libmosquitto hands the client itself when obj is NULL */
static uint64_t published, acked, refused;
static uint32_t *lat; /* latency samples, ns (saturating) */
static uint64_t nlat, caplat;
static int64_t lastDelivery;

static int64_t nowNs(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void onConnect(struct mosquitto *m, void *obj, int rc, int flags,
                      const mosquitto_property *props) {
    (void)m, (void)flags;
    if (rc != 0) {
        fprintf(stderr, "loadgen: connect refused: %s\n", mosquitto_reason_string(rc));
        failed = 1;
        return;
    }
    if (obj == &pubTag) {
        pubConnected = 1;
        uint16_t rm = 0; /* the broker's receive maximum bounds the publisher's QoS 1 window */
        if (mosquitto_property_read_int16(props, MQTT_PROP_RECEIVE_MAXIMUM, &rm, false) &&
            rm < window)
            fprintf(stderr,
                    "loadgen: note: the broker's receive maximum %u is below the window %d\n", rm,
                    window);
    } else {
        ((Sub *)obj)->connected = 1;
    }
}

static void onSubscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted,
                        const mosquitto_property *props) {
    (void)m, (void)mid, (void)props;
    if (n != 1 || granted[0] != qos) {
        fprintf(stderr, "loadgen: subscription granted QoS %d, asked %d\n", n ? granted[0] : -1,
                qos);
        failed = 1;
    }
    ((Sub *)obj)->subscribed = 1;
}

static void onMessage(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
                      const mosquitto_property *props) {
    (void)m, (void)props;
    Sub *s = obj;
    int64_t t = nowNs();
    if (msg->payloadlen < 16) return;
    uint64_t seq;
    int64_t sent;
    memcpy(&seq, msg->payload, 8);
    memcpy(&sent, (const char *)msg->payload + 8, 8);
    if ((int64_t)seq <= s->lastSeq) {
        s->dups++;
        return;
    }
    s->lastSeq = (int64_t)seq;
    s->received++;
    lastDelivery = t;
    if (nlat < caplat) {
        int64_t d = t - sent;
        lat[nlat++] = d < 0 ? 0 : d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
    }
}

static void onPublish(struct mosquitto *m, void *obj, int mid, int reason,
                      const mosquitto_property *props) {
    (void)m, (void)obj, (void)mid, (void)props;
    acked++;
    if (reason >= 0x80) {
        if (!refused) fprintf(stderr, "loadgen: publish refused, reason 0x%02x\n", reason);
        refused++;
    }
}

static struct mosquitto *client(const char *id, void *obj, int toPort, const char *u,
                                const char *pw) {
    static const MqCallbacks cb = {.onConnect = onConnect, .onSubscribe = onSubscribe,
                                   .onMessage = onMessage, .onPublish = onPublish};
    struct mosquitto *m = mqClientNew(id, 1, obj, window, u, pw, &cb);
    if (!m) {
        fprintf(stderr, "loadgen: mosquitto_new failed\n");
        exit(2);
    }
    if (mosquitto_connect(m, host, toPort, 60) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "loadgen: cannot connect to %s:%d\n", host, toPort);
        exit(1);
    }
    return m;
}

/* One poll over every client (waiting at most timeoutNs); read whatever is
 * there, write what is waiting. */
static void pump(int64_t timeoutNs) {
    struct mosquitto *ms[MAXSUBS + 1];
    for (int i = 0; i < nsubs; i++)
        ms[i] = subs[i].m;
    ms[nsubs] = pub;
    int rc = mqPump(ms, nsubs + 1, timeoutNs);
    if (rc != MOSQ_ERR_SUCCESS && !failed) {
        fprintf(stderr, "loadgen: connection lost: %s\n", mosquitto_strerror(rc));
        failed = 1;
    }
}

static int64_t slowest(void) {
    int64_t s = INT64_MAX;
    for (int i = 0; i < nsubs; i++)
        if (subs[i].lastSeq < s) s = subs[i].lastSeq;
    return s;
}

static int windowOpen(void) {
    if (qos && published - acked >= (uint64_t)window) return 0;
    return (int64_t)published - slowest() <= window;
}

static int done(void) {
    if (qos && acked < published) return 0;
    for (int i = 0; i < nsubs; i++)
        if (subs[i].lastSeq < (int64_t)nmsg - 1) return 0;
    return 1;
}

static int cmpU32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void waitUntil(int (*cond)(void), const char *what) {
    int64_t end = nowNs() + 30000000000LL;
    while (!cond() && !failed) {
        if (nowNs() > end) {
            fprintf(stderr, "loadgen: timed out waiting for %s\n", what);
            exit(1);
        }
        pump(10000000);
    }
    if (failed) exit(1);
}
static int allSubscribed(void) {
    for (int i = 0; i < nsubs; i++)
        if (!subs[i].subscribed) return 0;
    return 1;
}
static int allConnected(void) {
    for (int i = 0; i < nsubs; i++)
        if (!subs[i].connected) return 0;
    return pubConnected;
}

int main(int argc, char **argv) {
    static struct option opts[] = {{"host", 1, 0, 'h'},
                                   {"port", 1, 0, 'p'},
                                   {"user", 1, 0, 'u'},
                                   {"password", 1, 0, 'P'},
                                   {"label", 1, 0, 'l'},
                                   {"subs", 1, 0, 'n'},
                                   {"qos", 1, 0, 'q'},
                                   {"messages", 1, 0, 'm'},
                                   {"size", 1, 0, 's'},
                                   {"rate", 1, 0, 'r'},
                                   {"window", 1, 0, 'w'},
                                   {"topic", 1, 0, 't'},
                                   {"sub-port", 1, 0, 'S'},
                                   {"sub-user", 1, 0, 'U'},
                                   {"sub-password", 1, 0, 'W'},
                                   {"retain-topics", 1, 0, 'R'},
                                   {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            host = optarg;
            break;
        case 'p':
            port = atoi(optarg);
            break;
        case 'u':
            user = optarg;
            break;
        case 'P':
            password = optarg;
            break;
        case 'l':
            label = optarg;
            break;
        case 'n':
            nsubs = atoi(optarg);
            break;
        case 'q':
            qos = atoi(optarg);
            break;
        case 'm':
            nmsg = strtoull(optarg, NULL, 10);
            break;
        case 's':
            size = atoi(optarg);
            break;
        case 'r':
            rate = atof(optarg);
            break;
        case 'w':
            window = atoi(optarg);
            break;
        case 't':
            topic = optarg;
            break;
        case 'S':
            subPort = atoi(optarg);
            break;
        case 'R':
            retainTopics = strtoull(optarg, NULL, 10);
            break;
        case 'U':
            subUser = optarg;
            break;
        case 'W':
            subPassword = optarg;
            break;
        default:
            fprintf(stderr, "usage: see bench/loadgen.c\n");
            return 2;
        }
    }
    if (!port || nsubs < 1 || nsubs > MAXSUBS || qos < 0 || qos > 1 || size < 16 || !nmsg ||
        window < 1) {
        fprintf(stderr, "loadgen: bad arguments (see bench/loadgen.c)\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    prctl(PR_SET_TIMERSLACK, 1UL); /* wake up on schedule at a fixed rate */
    caplat = nmsg * (uint64_t)nsubs;
    lat = malloc(caplat * sizeof(*lat));
    char *payload = malloc((size_t)size);
    memset(payload, 'x', (size_t)size);
    mosquitto_property *props = NULL;
    if (label) mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "label", label);

    mosquitto_lib_init();
    char id[64];
    for (int i = 0; i < nsubs; i++) {
        snprintf(id, sizeof(id), "lg-%d-sub-%d", (int)getpid(), i);
        subs[i].lastSeq = -1;
        subs[i].m = subPort ? client(id, &subs[i], subPort, subUser ? subUser : user,
                                     subUser ? subPassword : password)
                            : client(id, &subs[i], port, user, password);
    }
    snprintf(id, sizeof(id), "lg-%d-pub", (int)getpid());
    pub = client(id, &pubTag, port, user, password);
    waitUntil(allConnected, "CONNACKs");
    char filter[256], pubTopic[300];
    snprintf(filter, sizeof(filter), retainTopics ? "%s/#" : "%s", topic);
    for (int i = 0; i < nsubs; i++)
        mosquitto_subscribe_v5(subs[i].m, NULL, filter, qos,
                               retainTopics ? MQTT_SUB_OPT_SEND_RETAIN_NEVER : 0, NULL);
    waitUntil(allSubscribed, "SUBACKs");

    int64_t t0 = nowNs(), lastProgress = t0, interval = rate > 0 ? (int64_t)(1e9 / rate) : 0;
    uint64_t late = 0, seenProgress = 0;
    while (!done() && !failed) {
        int64_t t = nowNs();
        if (published < nmsg) {
            int sent = 0;
            while (published < nmsg && sent < 64 && windowOpen()) {
                int64_t due = t0 + (int64_t)published * interval;
                if (interval) {
                    t = nowNs();
                    if (t < due) break;
                    if (t - due > 1000000) late++;
                }
                int64_t stamp = nowNs();
                memcpy(payload, &published, 8);
                memcpy(payload + 8, &stamp, 8);
                const char *to = topic;
                if (retainTopics) {
                    snprintf(pubTopic, sizeof(pubTopic), "%s/%llu", topic,
                             (unsigned long long)(published % retainTopics));
                    to = pubTopic;
                }
                int rc = mosquitto_publish_v5(pub, NULL, to, size, payload, qos, retainTopics > 0,
                                              props);
                if (rc != MOSQ_ERR_SUCCESS) {
                    fprintf(stderr, "loadgen: publish: %s\n", mosquitto_strerror(rc));
                    failed = 1;
                    break;
                }
                published++;
                sent++;
            }
        }
        int64_t wait = 2000000; /* 2 ms when only waiting for deliveries or the window */
        if (interval && published < nmsg && windowOpen())
            wait = t0 + (int64_t)published * interval - nowNs();
        else if (!interval && published < nmsg && windowOpen())
            wait = 0;
        pump(wait);
        uint64_t progress = acked + published;
        for (int i = 0; i < nsubs; i++)
            progress += subs[i].received;
        t = nowNs();
        if (progress != seenProgress) seenProgress = progress, lastProgress = t;
        if (t - lastProgress > 3000000000LL) break; /* nothing for 3 s: what is missing is lost */
    }
    int64_t tEnd = lastDelivery > t0 ? lastDelivery : nowNs();
    double elapsed = (double)(tEnd - t0) / 1e9;
    uint64_t deliveries = 0, dups = 0;
    for (int i = 0; i < nsubs; i++)
        deliveries += subs[i].received, dups += subs[i].dups;
    uint64_t expected = nmsg * (uint64_t)nsubs, lost = expected - deliveries;
    qsort(lat, nlat, sizeof(*lat), cmpU32);
    double p50 = nlat ? lat[nlat / 2] / 1e3 : 0,
           p99 = nlat ? lat[(uint64_t)((double)nlat * 0.99)] / 1e3 : 0,
           mx = nlat ? lat[nlat - 1] / 1e3 : 0;
    printf("msgs=%llu subs=%d qos=%d size=%d elapsed_s=%.3f rate=%.0f drate=%.0f deliveries=%llu "
           "lost=%llu "
           "loss_pct=%.3f dups=%llu p50_us=%.1f p99_us=%.1f max_us=%.1f late=%llu refused=%llu\n",
           (unsigned long long)nmsg, nsubs, qos, size, elapsed,
           (double)deliveries / nsubs / elapsed, (double)deliveries / elapsed,
           (unsigned long long)deliveries, (unsigned long long)lost,
           100.0 * (double)lost / (double)expected, (unsigned long long)dups, p50, p99, mx,
           (unsigned long long)late, (unsigned long long)refused);
    for (int i = 0; i < nsubs; i++) {
        mosquitto_disconnect(subs[i].m);
        mosquitto_destroy(subs[i].m);
    }
    mosquitto_disconnect(pub);
    mosquitto_destroy(pub);
    mosquitto_property_free_all(&props);
    mosquitto_lib_cleanup();
    free(payload);
    free(lat);
    return failed || lost || refused ? 1 : 0;
}
