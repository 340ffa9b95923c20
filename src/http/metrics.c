/*
 * metrics.c -- GET /metrics: the node's counters in the Prometheus text
 * exposition format (version 0.0.4).
 *
 * Families: HTTP connections and responses, WebSocket feeds, MQTT over
 * WebSocket connections, exchange
 * sessions, messages in and out, refusals by reason, the log's size and
 * offsets, the group-commit fsync latency histogram, and per peer node the
 * backlog waiting for it here and the replication lag of what it sent.
 */
#include <stdio.h>

#include "conn.h"

static void family(pnBuf *b, const char *name, const char *type, const char *help) {
    bufPrintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metric(pnBuf *b, const char *name, const char *type, const char *help, uint64_t v) {
    family(b, name, type, help);
    bufPrintf(b, "%s %llu\n", name, (unsigned long long)v);
}

typedef struct PeerOut {
    pnBuf *b;
    Exchange *x;
} PeerOut;

/* A label value: names here are plain, but never let one break the format. */
static void labelValue(pnBuf *b, const char *v) {
    for (; *v; v++)
        if (*v != '"' && *v != '\\' && *v != '\n') bufAppend(b, v, 1);
}

static void peerBacklog(Session *s, void *ctx) {
    PeerOut *o = ctx;
    if (!s->auditAll) return; /* the sessions of principals with the node role */
    bufPuts(o->b, "partnernet_peer_backlog_messages{peer=\"");
    labelValue(o->b, s->principalName);
    bufPrintf(o->b, "\"} %llu\n", (unsigned long long)exchangeBacklog(o->x, s));
}

/* The links' lag from DIR/peers.json, which the node rewrites every second
 * (src/federation/peers.c); no file, no samples. */
static void linkLag(pnBuf *b, const char *dir) {
    char path[4200];
    snprintf(path, sizeof(path), "%s/peers.json", dir);
    json_t *doc = json_load_file(path, 0, NULL), *l;
    size_t i;
    json_array_foreach(json_object_get(doc, "links"), i, l) {
        const char *peer = json_string_value(json_object_get(l, "peer"));
        json_t *lag = json_object_get(l, "lag_seconds");
        if (!peer || !json_is_integer(lag)) continue;
        bufPuts(b, "partnernet_peer_lag_seconds{peer=\"");
        labelValue(b, peer);
        bufPrintf(b, "\"} %lld\n", (long long)json_integer_value(lag));
    }
    json_decref(doc);
}

void apiMetrics(HttpConn *c) {
    HttpServer *srv = c->srv;
    ExchangeStats st;
    exchangeStats(srv->x, &st);
    uint64_t feeds = 0, mqttWs = 0;
    for (HttpConn *k = srv->conns; k; k = k->next) {
        feeds += k->wsMode && !k->proto;
        mqttWs += k->proto != NULL;
    }
    pnBuf b;
    bufInit(&b);
    metric(&b, "partnernet_store_failed", "gauge",
           "1 while the log cannot store (disk full, I/O error) and publishes are refused.",
           (uint64_t)st.storeFailed);
    metric(&b, "partnernet_store_refused_total", "counter",
           "Publishes refused because the log could not store them.", st.storeRefused);
    metric(&b, "partnernet_http_connections", "gauge", "Open HTTP connections.", srv->nconns);
    metric(&b, "partnernet_http_connections_accepted_total", "counter",
           "HTTP connections accepted.", srv->st.accepted);
    metric(&b, "partnernet_http_requests_total", "counter", "HTTP requests read.",
           srv->st.requests);
    family(&b, "partnernet_http_responses_total", "counter", "HTTP responses by status code.");
    for (int s = 100; s < HTTP_STATUS_MAX; s++)
        if (srv->st.status[s])
            bufPrintf(&b, "partnernet_http_responses_total{code=\"%d\"} %llu\n", s,
                      (unsigned long long)srv->st.status[s]);
    metric(&b, "partnernet_http_auth_failures_total", "counter",
           "HTTP requests refused for missing or bad credentials.", srv->st.authFailed);
    metric(&b, "partnernet_websocket_feeds", "gauge", "Open WebSocket feeds.", feeds);
    metric(&b, "partnernet_mqtt_websocket_connections", "gauge",
           "Open MQTT over WebSocket connections (GET /mqtt).", mqttWs);
    metric(&b, "partnernet_websocket_slow_closed_total", "counter",
           "WebSocket feeds closed (1008) because the client did not keep up.",
           srv->st.wsClosedSlow);
    metric(&b, "partnernet_sessions", "gauge", "Exchange sessions (MQTT, HTTP, WebSocket).",
           st.sessions);
    metric(&b, "partnernet_messages_in_total", "counter", "Messages accepted and logged.",
           st.published);
    metric(&b, "partnernet_messages_out_total", "counter", "Deliveries handed to connections.",
           st.delivered);
    metric(&b, "partnernet_messages_dropped_total", "counter",
           "Deliveries dropped (QoS 0 to slow readers, too large for the client).", st.dropped);
    metric(&b, "partnernet_retained_messages", "gauge", "Retained messages held.", st.retained);
    metric(&b, "partnernet_shared_groups", "gauge",
           "Shared subscription groups ($share/NAME/FILTER).", st.shareGroups);
    metric(
        &b, "partnernet_shared_refused_total", "counter",
        "Messages no member of a shared subscription group might receive (audited share_refused).",
        st.shareRefused);
    metric(&b, "partnernet_shared_handed_off_total", "counter",
           "Shared messages moved from one member to another (session ended, disconnected, "
           "unsubscribed, no longer allowed).",
           st.shareHandedOff);
    family(&b, "partnernet_publish_refusals_total", "counter", "Publishes refused, by reason.");
    for (int r = 0; r < XP_NREASONS; r++)
        bufPrintf(&b, "partnernet_publish_refusals_total{reason=\"%s\"} %llu\n",
                  exchangePublishReasonCode(r), (unsigned long long)st.refusedPublishBy[r]);
    family(&b, "partnernet_delivery_refusals_total", "counter",
           "Deliveries decide() refused, by reason.");
    for (int r = 1; r < DECIDE_NREASONS; r++)
        bufPrintf(&b, "partnernet_delivery_refusals_total{reason=\"%s\"} %llu\n",
                  decideReasonCode((DecideReason)r), (unsigned long long)st.refusedDeliveryBy[r]);
    metric(&b, "partnernet_log_bytes", "gauge", "Size of the message log's segments.", st.logBytes);
    metric(&b, "partnernet_log_first_offset", "gauge", "Oldest log offset held.", st.logFirst);
    metric(&b, "partnernet_log_next_offset", "gauge", "Offset the next message gets.", st.logNext);
    family(&b, "partnernet_fsync_seconds", "histogram", "Group-commit fsync latency.");
    uint64_t cum = 0;
    for (int i = 0; i < XSTAT_FSYNC_BUCKETS; i++) {
        cum += st.fsyncBucket[i];
        bufPrintf(&b, "partnernet_fsync_seconds_bucket{le=\"%g\"} %llu\n",
                  exchangeFsyncBound(i) / 1e6, (unsigned long long)cum);
    }
    bufPrintf(&b, "partnernet_fsync_seconds_bucket{le=\"+Inf\"} %llu\n",
              (unsigned long long)st.fsyncs);
    bufPrintf(&b, "partnernet_fsync_seconds_sum %.6f\npartnernet_fsync_seconds_count %llu\n",
              st.fsyncMicros / 1e6, (unsigned long long)st.fsyncs);
    PeerOut po = {&b, srv->x};
    family(&b, "partnernet_peer_backlog_messages", "gauge",
           "Messages waiting here for a peer node that pulls from this node (inbound links).");
    exchangeForEachSession(srv->x, peerBacklog, &po);
    family(&b, "partnernet_peer_lag_seconds", "gauge",
           "Replication lag of the last message received from each peer (outbound links).");
    linkLag(&b, nodeDataDir(srv->node));
    if (bufFailed(&b))
        httpError(c, 503, "unavailable", "out of memory");
    else
        httpRespond(c, 200, NULL, "text/plain; version=0.0.4; charset=utf-8", bufStr(&b), b.len);
    bufFree(&b);
}
