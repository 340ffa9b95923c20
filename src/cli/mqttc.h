/*
 * mqttc.h -- a small blocking MQTT 5 client for `partnernet pub` and
 * `partnernet sub`: one connection over TCP or TLS (with a client
 * certificate), publish with the node's "label" user property and wait for
 * the node's answer, subscribe and receive messages with the properties
 * the node adds (label, id, time).
 *
 * Every failure comes back as a value with a sentence in err; nothing is
 * printed here.  The codec is src/mqtt/mqtt.h, the TLS set-up the node's
 * own (src/node/tls.h), so the client speaks exactly what the node parses.
 */
#ifndef PN_CLI_MQTTC_H
#define PN_CLI_MQTTC_H

#include <stddef.h>
#include <stdint.h>

#include "../core/err.h"

typedef struct MqttcOptions {
    const char *address;            /* HOST:PORT (IPv4 or [IPv6]) */
    const char *clientId;           /* NULL: the node assigns one */
    const char *user, *password;    /* NULL: none (a certificate login) */
    const char *certFile, *keyFile; /* TLS client certificate, or NULL */
    const char *caFile;             /* non-NULL: TLS, the node's certificate must chain to it */
    const char *serverName;         /* TLS: the name the node's certificate carries; NULL:
                                       the IP address of address */
} MqttcOptions;

/* One message received (mqttcReceive); the strings are NUL-terminated and
 * valid until the next call on the client. */
typedef struct MqttcMessage {
    const char *topic;
    const char *label; /* the node's "label" user property ("" if none) */
    const char *id;    /* "ORIGIN:SEQ" ("" if none) */
    int64_t time;      /* the "time" user property: seconds since 1970, 0 if none */
    const uint8_t *payload;
    size_t payloadLen;
    int qos, retain;
} MqttcMessage;

typedef struct Mqttc Mqttc;

/* Connect and log in (MQTT 5, clean start, no session kept).  Returns
 * PN_OK with *out set, else PN_EIO (cannot reach the node, TLS failure)
 * or PN_EINVAL (the node refused the login: "bad user name or password
 * (0x86)") with the sentence in err and *out NULL. */
int mqttcConnect(Mqttc **out, const MqttcOptions *o, pnError *err);

/* Publish payload on topic with label (NULL: the node's topic default) at
 * qos 0, 1 or 2, and for qos 1 and 2 wait for the node's answer.  Returns
 * PN_OK when the node took it (qos 0: when it was sent), PN_EINVAL when
 * the node refused it (err: the reason in words and the node's reason
 * string), PN_EIO when the connection failed. */
int mqttcPublish(Mqttc *c, const char *topic, const char *label, const void *payload, size_t len,
                 int qos, int retain, pnError *err);

/* Subscribe to filter at qos; PN_OK once the node granted it, PN_EINVAL
 * (refused, with the reason in words) or PN_EIO. */
int mqttcSubscribe(Mqttc *c, const char *filter, int qos, pnError *err);

/* Wait for the next message (acknowledging it as its QoS asks).  Returns
 * PN_OK with *m filled, or PN_EIO when the connection ended or failed
 * (err says why: the node's DISCONNECT reason, or the socket's). */
int mqttcReceive(Mqttc *c, MqttcMessage *m, pnError *err);

/* Send DISCONNECT (normal) and close.  NULL is ignored. */
void mqttcClose(Mqttc *c);

#endif
