/*
 * fuzz_http_check.h -- the properties the HTTP API's input handling must
 * keep, shared by fuzz/fuzz_http.c and the regression replay in
 * tests/unit.
 *
 * The input is taken three ways: as a request target ("METHOD PATH?QUERY",
 * the method chosen by the first byte) for routeMatch() and queryGet(),
 * and whole as a payload for jsonCheck().  Routing must give a route or a
 * clean 404/405 with a short, NUL-free parameter; a query value must fit
 * its buffer and be empty when refused; and jsonCheck() must agree with
 * jansson (which the node uses to parse request bodies) on every input
 * outside the corners where the two differ on purpose: \u escapes
 * (jansson refuses lone surrogates and \u0000 by default), numbers jansson
 * cannot hold (exponents, long digit runs), NUL bytes (jansson may end the
 * input there; jsonCheck refuses them) and nesting past
 * JSONCHECK_MAX_DEPTH.
 */
#ifndef PN_FUZZ_HTTP_CHECK_H
#define PN_FUZZ_HTTP_CHECK_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/jsoncheck.h"
#include "../src/http/route.h"

static inline int fuzzHttpComparable(const uint8_t *d, size_t n) {
    int run = 0, depth = 0, maxDepth = 0;
    if (memchr(d, 0, n)) return 0; /* jansson may stop reading at a NUL */
    for (size_t i = 0; i < n; i++) {
        uint8_t c = d[i];
        if (c == '\\' && i + 1 < n && d[i + 1] == 'u') return 0;
        if ((c == 'e' || c == 'E') && i > 0 &&
            ((d[i - 1] >= '0' && d[i - 1] <= '9') || d[i - 1] == '.'))
            return 0;
        run = c >= '0' && c <= '9' ? run + 1 : 0;
        if (run >= 15) return 0;
        if (c == '[' || c == '{') maxDepth = ++depth > maxDepth ? depth : maxDepth;
        if (c == ']' || c == '}') depth--;
    }
    return maxDepth < JSONCHECK_MAX_DEPTH; /* brackets in strings only make this stricter */
}

static inline int fuzzCheckHttp(const uint8_t *data, size_t size, char *why, size_t cap) {
    static const char *const methods[] = {"GET", "POST", "DELETE", "PUT"};
    char target[4096];
    size_t n = size < sizeof(target) - 1 ? size : sizeof(target) - 1;
    const char *method = methods[size ? data[0] % 4 : 0];
    memcpy(target, size ? data + 1 : data, n ? n - (size > 0) : 0);
    target[n ? n - (size > 0) : 0] = '\0';
    char *q = strchr(target, '?');
    if (q) *q++ = '\0';
    RouteMatch m;
    RouteId id = routeMatch(method, target, &m);
    if (id != m.id || (id == ROUTE_NONE) != (m.id == ROUTE_NONE)) {
        snprintf(why, cap, "routeMatch returned %d but set %d", id, m.id);
        return -1;
    }
    if ((id == ROUTE_NATION || id == ROUTE_MEMBERS) &&
        (!m.param[0] || strlen(m.param) >= ROUTE_PARAM_MAX)) {
        snprintf(why, cap, "route %d with an empty or long parameter", id);
        return -1;
    }
    if (id != ROUTE_NONE && m.allow) {
        snprintf(why, cap, "route %d found but Allow set", id);
        return -1;
    }
    static const char *const keys[] = {"topic", "since", "limit", "at", ""};
    for (size_t k = 0; q && k < sizeof(keys) / sizeof(keys[0]); k++) {
        char v[64];
        memset(v, 'x', sizeof(v));
        int r = queryGet(q, keys[k], v, sizeof(v));
        if (memchr(v, '\0', sizeof(v)) == NULL || (r != 1 && v[0])) {
            snprintf(why, cap, "queryGet('%s') = %d left '%.20s'", keys[k], r, v);
            return -1;
        }
    }
    int mine = jsonCheck((const char *)data, size);
    if (fuzzHttpComparable(data, size)) {
        json_error_t je;
        json_t *doc = json_loadb((const char *)data, size, JSON_DECODE_ANY, &je);
        int theirs = doc != NULL;
        json_decref(doc);
        if (mine != theirs) {
            snprintf(why, cap, "jsonCheck says %d, jansson says %d (%s) for %zu bytes", mine,
                     theirs, theirs ? "ok" : je.text, size);
            return -1;
        }
    }
    return 0;
}

#endif
