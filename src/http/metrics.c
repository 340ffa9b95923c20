/*
 * metrics.c -- GET /metrics: the node's counters in the Prometheus text
 * exposition format (version 0.0.4).
 *
 * Families: HTTP connections and responses, WebSocket feeds, exchange
 * sessions, messages in and out, refusals by reason, the log's size and
 * offsets, the group-commit fsync latency histogram, and per-peer
 * replication lag (no samples until federation links exist).
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

void apiMetrics(HttpConn *c) {
    HttpServer *srv = c->srv;
    ExchangeStats st;
    exchangeStats(srv->x, &st);
    uint64_t feeds = 0;
    for (HttpConn *k = srv->conns; k; k = k->next)
        feeds += k->wsMode != 0;
    pnBuf b;
    bufInit(&b);
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
    family(&b, "partnernet_peer_lag_messages", "gauge",
           "Messages a federation peer has not acknowledged (one sample per peer).");
    if (bufFailed(&b))
        httpError(c, 503, "unavailable", "out of memory");
    else
        httpRespond(c, 200, NULL, "text/plain; version=0.0.4; charset=utf-8", bufStr(&b), b.len);
    bufFree(&b);
}
