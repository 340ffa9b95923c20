/*
 * route.h -- the HTTP API's routing table and query strings, as pure
 * functions (no connection, no node), so they are tested on their own.
 */
#ifndef PN_HTTP_ROUTE_H
#define PN_HTTP_ROUTE_H

#include <stddef.h>

typedef enum {
    ROUTE_NONE = 0,
    ROUTE_HEALTHZ,
    ROUTE_METRICS,
    ROUTE_MESSAGES_POST,
    ROUTE_MESSAGES_GET,
    ROUTE_STREAM,
    ROUTE_MQTT, /* MQTT over WebSocket */
    ROUTE_NATIONS,
    ROUTE_NATION,
    ROUTE_FRAMEWORKS,
    ROUTE_MEMBERS,
    ROUTE_DECIDE,
    ROUTE_LABEL_CONVERT,
    ROUTE_AUDIT,
    ROUTE_PLAN_ACTIVITIES,
    ROUTE_PLAN_PROGRAMME,
    ROUTE_PLAN_EXERCISES_GET,
    ROUTE_PLAN_EXERCISES_POST,
    ROUTE_PLAN_CSBM,
    ROUTE_PLAN_GAPS,
    ROUTE_PLAN_EXPENDITURE,
    ROUTE_PLAN_INTEROP,
    ROUTE_STATIC, /* GET anything else outside /v1/: the web directory */
} RouteId;

#define ROUTE_PARAM_MAX 64

typedef struct RouteMatch {
    RouteId id;
    char param[ROUTE_PARAM_MAX]; /* {code} or {id}, percent-decoded; "" when none */
    const char *allow;           /* when the path exists but not for this method: "GET" ... */
} RouteMatch;

/*
 * Match method ("GET", "POST" ...) and path (without the query) against
 * the API.  Returns the route id (m->id, m->param set); ROUTE_NONE with
 * m->allow set when the path exists for other methods (405); ROUTE_NONE
 * with m->allow NULL when no such path (404).  HEAD is not served.
 */
RouteId routeMatch(const char *method, const char *path, RouteMatch *m);

/*
 * The value of key in the query string q ("a=1&b=x%20y"; NULL or "" is
 * empty), percent- and '+'-decoded into out (cap bytes).  Returns 1 when
 * present, 0 when absent, -1 when malformed or longer than cap - 1 (out
 * is then "").
 */
int queryGet(const char *q, const char *key, char *out, size_t cap);

/* Percent-decode n bytes of s into out (cap bytes, NUL-terminated); '+'
 * becomes a space when plus.  Returns the length or -1 (bad escape, a
 * decoded NUL, or too long). */
int urlDecode(const char *s, size_t n, int plus, char *out, size_t cap);

#endif
