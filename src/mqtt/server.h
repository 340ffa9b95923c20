/*
 * server.h -- the MQTT front-end of a node: listeners, connections, the
 * MQTT 5 / 3.1.1 protocol state machine, TLS, on one libuv loop.
 *
 * Identity comes from the TLS client certificate (mapped through the
 * principals file by common name; the certificate's country must be the
 * principal's nation) or from username/password checked against the
 * stored hash -- never from anything else the client says.  Every PUBLISH
 * goes to the exchange, which labels, logs and decides; this file only
 * speaks the protocol.  The loop, signals and group commit belong to the
 * node (src/node); this is one front-end attached to it.
 */
#ifndef PN_MQTT_SERVER_H
#define PN_MQTT_SERVER_H

#include <stdint.h>

#include "../core/err.h"
#include "../exchange/exchange.h"
#include "../node/node.h"
#include "mqtt.h"

/* Default MqttServerOptions.sessionExpiry311: 7 days, long enough for a
 * client away over a weekend, short enough that abandoned 3.1.1 sessions
 * (which never say when they end) do not pile up. */
#define MQTT_SESSION_EXPIRY_311 (7u * 24 * 3600)

typedef struct MqttServerOptions {
    const char *mqttAddr;                    /* "127.0.0.1:1883"; NULL or "" = off */
    const char *mqttsAddr;                   /* "127.0.0.1:8883"; NULL or "" = off */
    const char *certFile, *keyFile, *caFile; /* TLS */
    int requireClientCert;                   /* default 1 */
    uint32_t maxPacketSize;                  /* default 1 MiB */
    uint32_t maxOutputBytes;                 /* per connection before backpressure, default 4 MiB */
    uint16_t maxKeepAlive;                   /* seconds; 0 = the client's keep-alive stands */
    int maxQosSet, maxQos;                   /* when maxQosSet: highest QoS accepted (0-2) */
    int noRetain;                            /* 1: retained messages are not available */
    uint32_t connectTimeout;           /* seconds from accept to a completed CONNECT, default 10 */
    uint32_t sessionExpiry311;         /* seconds a 3.1.1 persistent session outlives its connection
                                        * (default 7 days; UINT32_MAX never) */
    uint32_t maxConnectSize;           /* largest CONNECT (input before login), default 64 KiB */
    uint32_t maxLoginChecks;           /* password checks queued or running node-wide, default 64 */
    uint32_t maxLoginChecksPerAddress; /* the same per source address, default 32 */
} MqttServerOptions;

typedef struct MqttServer MqttServer;

/*
 * Start the MQTT front-end on node: listen on the configured addresses and
 * attach to the node (nodeAdd), which then runs it.  opt is copied; its
 * strings must outlive the server.  *out is set even on error and must be
 * freed with mqttServerFree after nodeClose.  Returns PN_OK, or an error
 * (bad address, port in use, unreadable certificate).
 */
int mqttServerStart(MqttServer **out, Node *node, const MqttServerOptions *opt, pnError *err);

/*
 * Every delivery carries user properties the node sets itself: `label`
 * (the canonical marking), `id` ("ORIGIN:SEQ", the message's global id)
 * and `time` (seconds since 1970 when the origin node accepted it).  This
 * says whether a property of a publish is one of those (or a topic alias or
 * subscription id), which are never forwarded from the publisher.
 */
int mqttNodeProperty(uint8_t id, const MqttStr *key);

/* The time left at now of message m with a Message Expiry Interval (counted
 * from its origin time): 1 with *left set, 0 when it has no interval, -1
 * when it has expired (it is then delivered to no one). */
int mqttExpiryLeft(const Message *m, int64_t now, uint32_t *left);

/*
 * Fuzzing only (fuzz/fuzz_session.c): a connection without a socket, so a
 * fuzzer can drive the whole session state machine in memory.  It behaves
 * as an accepted client whose identity is the principal named principal,
 * the way a verified client certificate gives one (the CONNECT's username
 * and password are not checked: no scrypt per input); everything the
 * server sends it is appended to out (caller-owned, valid until
 * mqttServerTestClose).  mqttServerTestInput hands bytes to the same
 * decoding and packet handling as a socket read and returns 0, or -1 once
 * the server has closed the connection (it stays allocated).
 * mqttServerTestClose drops it like a lost socket (will, detach) and frees
 * it.  The node's group commit and the front-ends' turns run with
 * nodeTurn().
 */
typedef struct MqttConn MqttConn;
MqttConn *mqttServerTestOpen(MqttServer *srv, const char *principal, pnBuf *out);
int mqttServerTestInput(MqttConn *c, const void *p, size_t n);
void mqttServerTestClose(MqttConn *c);

/* Free the server after the node has stopped (nodeClose).  NULL is ignored. */
void mqttServerFree(MqttServer *srv);

#endif
