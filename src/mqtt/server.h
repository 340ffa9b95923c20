/*
 * server.h -- the MQTT front-end of a node: listeners, connections, the
 * MQTT 5 / 3.1.1 protocol state machine, TLS, on one libuv loop.
 *
 * Identity comes from the TLS client certificate (mapped through the
 * principals file by common name; the certificate's country must be the
 * principal's nation) or from username/password checked against the
 * stored hash -- never from anything else the client says.  Every PUBLISH
 * goes to the exchange, which labels, logs and decides; this file only
 * speaks the protocol.
 */
#ifndef PN_MQTT_SERVER_H
#define PN_MQTT_SERVER_H

#include <stdint.h>

#include "../core/err.h"
#include "../exchange/exchange.h"

#define SERVER_MAX_TOPIC_LABELS 64

typedef struct ServerOptions {
    const char *node;      /* node name */
    const char *dataDir;   /* log, sessions, audit */
    const char *mqttAddr;  /* "127.0.0.1:1883"; NULL or "" = off */
    const char *mqttsAddr; /* "127.0.0.1:8883"; NULL or "" = off */
    const char *principalsFile;
    const char *certFile, *keyFile, *caFile; /* TLS */
    int requireClientCert;                   /* default 1 */
    uint32_t maxPacketSize;                  /* default 1 MiB */
    uint32_t maxQueued;                      /* per session, default 10,000 */
    uint32_t maxOutputBytes;                 /* per connection before backpressure, default 4 MiB */
    LogOptions log;
    const char *topicFilter[SERVER_MAX_TOPIC_LABELS]; /* [topic FILTER] label = ... */
    const char *topicLabel[SERVER_MAX_TOPIC_LABELS];
    int ntopics;
    /* SIGHUP: load the registry and policy again.  On success *reg and
     * *spif point to the new ones and the old ones must stay valid until
     * the next call (the server rebinds everything before returning). */
    int (*reload)(void *ctx, const Registry **reg, const Spif **spif, pnError *err);
    void *reloadCtx;
} ServerOptions;

/*
 * Run a node until SIGTERM or SIGINT (clean shutdown: flush, fsync,
 * close).  SIGHUP reloads the principals file and, through opt->reload,
 * the registry and policy.  Prints one line to stdout
 * when ready.  Returns PN_OK after a clean shutdown, or an error (bad
 * address, unreadable certificate, unusable data directory ...).
 */
int serverRun(const ServerOptions *opt, const Registry *reg, const Spif *spif, pnError *err);

#endif
