/*
 * mqclient.h -- the libmosquitto client set-up the C test clients and the
 * benchmark load generator share (tests/it/leak.c, tests/it/crash.c,
 * bench/loadgen.c).
 *
 * Every client is an MQTT 5 client with TCP_NODELAY and a receive maximum
 * (the flow window the program keeps), optional credentials, and the v5
 * callbacks it names.  mqPump drives many clients from one thread with one
 * poll, so hundreds of subscribers cost no threads.  Header-only: each
 * program is one file linked only with libmosquitto, not with partnernet.
 */
#ifndef PN_IT_MQCLIENT_H
#define PN_IT_MQCLIENT_H

#include <errno.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>

/* The v5 callbacks a client wants (NULL: not set). */
typedef struct MqCallbacks {
    void (*onConnect)(struct mosquitto *, void *, int, int, const mosquitto_property *);
    void (*onDisconnect)(struct mosquitto *, void *, int, const mosquitto_property *);
    void (*onSubscribe)(struct mosquitto *, void *, int, int, const int *,
                        const mosquitto_property *);
    void (*onPublish)(struct mosquitto *, void *, int, int, const mosquitto_property *);
    void (*onMessage)(struct mosquitto *, void *, const struct mosquitto_message *,
                      const mosquitto_property *);
} MqCallbacks;

/* A new MQTT 5 client (not connected yet): client id id, clean start when
 * clean, obj handed to the callbacks, at most window unacknowledged QoS > 0
 * messages towards it, user and password when user is not NULL.  Returns
 * NULL when libmosquitto cannot make one (out of memory). */
static inline struct mosquitto *mqClientNew(const char *id, int clean, void *obj, int window,
                                            const char *user, const char *password,
                                            const MqCallbacks *cb) {
    struct mosquitto *m = mosquitto_new(id, clean, obj);
    if (!m) return NULL;
    mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_int_option(m, MOSQ_OPT_RECEIVE_MAXIMUM, window);
    if (user) mosquitto_username_pw_set(m, user, password);
    if (cb->onConnect) mosquitto_connect_v5_callback_set(m, cb->onConnect);
    if (cb->onDisconnect) mosquitto_disconnect_v5_callback_set(m, cb->onDisconnect);
    if (cb->onSubscribe) mosquitto_subscribe_v5_callback_set(m, cb->onSubscribe);
    if (cb->onPublish) mosquitto_publish_v5_callback_set(m, cb->onPublish);
    if (cb->onMessage) mosquitto_message_v5_callback_set(m, cb->onMessage);
    return m;
}

#define MQ_PUMP_MAX 1024 /* clients one mqPump call drives */

/* One poll over the n clients in ms (NULL or unconnected ones are passed
 * over), waiting at most timeoutNs: read everything that is there, write
 * what waits.  Returns MOSQ_ERR_SUCCESS, or the first error a connection
 * failed with (the caller says so and stops). */
static inline int mqPump(struct mosquitto *const *ms, int n, int64_t timeoutNs) {
    struct pollfd pf[MQ_PUMP_MAX];
    struct mosquitto *live[MQ_PUMP_MAX];
    int k = 0, first = MOSQ_ERR_SUCCESS;
    for (int i = 0; i < n && k < MQ_PUMP_MAX; i++) {
        if (!ms[i] || mosquitto_socket(ms[i]) < 0) continue;
        live[k] = ms[i];
        pf[k].fd = mosquitto_socket(ms[i]);
        pf[k].events = POLLIN | (mosquitto_want_write(ms[i]) ? POLLOUT : 0);
        pf[k].revents = 0;
        k++;
    }
    if (timeoutNs < 0) timeoutNs = 0;
    struct timespec ts = {timeoutNs / 1000000000, timeoutNs % 1000000000};
    if (ppoll(pf, (nfds_t)k, &ts, NULL) < 0) return MOSQ_ERR_SUCCESS; /* a signal: try again */
    for (int i = 0; i < k; i++) {
        int rc = MOSQ_ERR_SUCCESS;
        if (pf[i].revents & (POLLIN | POLLHUP | POLLERR)) {
            /* Drain the socket: a loaded subscriber has many packets waiting. */
            for (int r = 0; r < 4096 && rc == MOSQ_ERR_SUCCESS; r++) {
                errno = 0;
                rc = mosquitto_loop_read(live[i], 1);
                if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            }
        }
        if (rc == MOSQ_ERR_SUCCESS && mosquitto_want_write(live[i]))
            rc = mosquitto_loop_write(live[i], 1);
        if (rc != MOSQ_ERR_SUCCESS && first == MOSQ_ERR_SUCCESS) first = rc;
    }
    return first;
}

#endif
