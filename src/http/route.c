/*
 * route.c -- the routing table of the HTTP API and query-string decoding
 * (see route.h).
 */
#include "route.h"

#include <string.h>

typedef struct Route {
    const char *method;
    const char *pattern; /* "{}" matches one non-empty path segment */
    RouteId id;
} Route;

static const Route routes[] = {
    {"GET", "/healthz", ROUTE_HEALTHZ},
    {"GET", "/metrics", ROUTE_METRICS},
    {"POST", "/v1/messages", ROUTE_MESSAGES_POST},
    {"GET", "/v1/messages", ROUTE_MESSAGES_GET},
    {"GET", "/v1/stream", ROUTE_STREAM},
    {"GET", "/mqtt", ROUTE_MQTT},
    {"GET", "/v1/registry/nations", ROUTE_NATIONS},
    {"GET", "/v1/registry/nations/{}", ROUTE_NATION},
    {"GET", "/v1/registry/frameworks", ROUTE_FRAMEWORKS},
    {"GET", "/v1/registry/frameworks/{}/members", ROUTE_MEMBERS},
    {"POST", "/v1/decide", ROUTE_DECIDE},
    {"POST", "/v1/labels/convert", ROUTE_LABEL_CONVERT},
    {"GET", "/v1/audit", ROUTE_AUDIT},
    {"GET", "/v1/plan/activities", ROUTE_PLAN_ACTIVITIES},
    {"GET", "/v1/plan/programme/{}", ROUTE_PLAN_PROGRAMME},
    {"GET", "/v1/plan/exercises", ROUTE_PLAN_EXERCISES_GET},
    {"POST", "/v1/plan/exercises", ROUTE_PLAN_EXERCISES_POST},
    {"POST", "/v1/plan/csbm", ROUTE_PLAN_CSBM},
    {"GET", "/v1/plan/gaps", ROUTE_PLAN_GAPS},
    {"GET", "/v1/plan/expenditure", ROUTE_PLAN_EXPENDITURE},
    {"GET", "/v1/plan/interop", ROUTE_PLAN_INTEROP},
};

int urlDecode(const char *s, size_t n, int plus, char *out, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            int v = 0;
            for (int k = 1; k <= 2; k++) {
                int h = i + k < n ? (unsigned char)s[i + k] : -1;
                int d = h >= '0' && h <= '9'   ? h - '0'
                        : h >= 'a' && h <= 'f' ? h - 'a' + 10
                        : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                               : -1;
                if (d < 0) return -1;
                v = v * 16 + d;
            }
            c = v;
            i += 2;
        } else if (c == '+' && plus) {
            c = ' ';
        }
        if (c == 0 || o + 1 >= cap) return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return (int)o;
}

/* Match path against pattern; the one "{}" segment goes to param. */
static int matchPattern(const char *pattern, const char *path, char *param, size_t cap) {
    const char *brace = strstr(pattern, "{}");
    if (!brace) return strcmp(pattern, path) == 0;
    size_t pre = (size_t)(brace - pattern);
    if (strncmp(pattern, path, pre) != 0) return 0;
    const char *seg = path + pre, *end = strchr(seg, '/');
    size_t segLen = end ? (size_t)(end - seg) : strlen(seg);
    if (segLen == 0 || strcmp(brace + 2, seg + segLen) != 0) return 0;
    return urlDecode(seg, segLen, 0, param, cap) > 0;
}

RouteId routeMatch(const char *method, const char *path, RouteMatch *m) {
    memset(m, 0, sizeof(*m));
    char param[ROUTE_PARAM_MAX];
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (!matchPattern(routes[i].pattern, path, param, sizeof(param))) continue;
        if (strcmp(routes[i].method, method) != 0) {
            /* Paths with two methods (/v1/messages, /v1/plan/exercises) list both. */
            m->allow = m->allow ? "GET, POST" : routes[i].method;
            continue;
        }
        m->id = routes[i].id;
        m->allow = NULL;
        memcpy(m->param, param, sizeof(param));
        return m->id;
    }
    if (!m->allow && strcmp(method, "GET") == 0 && strncmp(path, "/v1/", 4) != 0 &&
        strcmp(path, "/v1") != 0)
        return m->id = ROUTE_STATIC;
    return ROUTE_NONE;
}

int queryGet(const char *q, const char *key, char *out, size_t cap) {
    size_t klen = strlen(key);
    if (cap) out[0] = '\0';
    while (q && *q) {
        const char *amp = strchr(q, '&'), *end = amp ? amp : q + strlen(q);
        const char *eq = memchr(q, '=', (size_t)(end - q));
        const char *kend = eq ? eq : end;
        if ((size_t)(kend - q) == klen && memcmp(q, key, klen) == 0) {
            const char *v = eq ? eq + 1 : end;
            if (urlDecode(v, (size_t)(end - v), 1, out, cap) < 0) {
                if (cap) out[0] = '\0';
                return -1;
            }
            return 1;
        }
        q = amp ? amp + 1 : end;
    }
    return 0;
}
