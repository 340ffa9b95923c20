/*
 * routes.c -- request dispatch and the JSON endpoints that read the
 * registry and policy: health, registry, decide, label conversion, audit
 * queries and static files.  Publishing and history are in messages.c,
 * the live feed in ws.c, metrics in metrics.c, planning in planapi.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/date.h"
#include "../core/str.h"
#include "../exchange/principals.h"
#include "../exchange/auditview.h"
#include "../store/audit.h"
#include "conn.h"

#define AUDIT_LIMIT_DEFAULT 1000
#define AUDIT_LIMIT_MAX 10000
#define STATIC_MAX_FILE (16u << 20)

json_t *httpBodyObject(HttpConn *c) {
    json_error_t je;
    json_t *doc = json_loadb(bufStr(&c->req.body), c->req.body.len, JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        httpError(c, 400, "bad_json", "request body is not JSON: %s (at byte %d)", je.text,
                  je.position);
        return NULL;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        httpError(c, 400, "bad_json", "request body must be a JSON object");
        return NULL;
    }
    return doc;
}

/* The "at" query parameter as an instant (default now), or -1 after a 400. */
static int queryAt(HttpConn *c, int64_t *at) {
    char text[40];
    int q = queryGet(c->req.query, "at", text, sizeof(text));
    *at = timeNow();
    if (q == 0) return 0;
    if (q < 0 || timeParse(text, at) != 0) {
        httpError(c, 400, "bad_date", "'at' must be a date (YYYY-MM-DD) or time (ISO 8601)");
        return -1;
    }
    return 0;
}

int httpRequireOperator(HttpConn *c) {
    if (c->roles & PRINCIPAL_ROLE_OPERATOR) return 1;
    httpError(c, 403, "forbidden", "principal '%s' is not an operator", c->principal);
    return 0;
}

/* ---- registry ------------------------------------------------------------- */

static void nations(HttpConn *c) {
    const Registry *r = nodeRegistry(c->srv->node);
    json_t *arr = json_array();
    for (size_t i = 0; i < r->nnations; i++)
        json_array_append_new(
            arr,
            json_pack("{s:s, s:s, s:s}", "code", r->nations[i].code, "name", r->nations[i].name,
                      "kind", r->nations[i].kind == REG_NATION ? "nation" : "organisation"));
    httpJson(c, 200, json_pack("{s:o}", "nations", arr));
}

static json_t *dayJson(int32_t day) {
    if (day == PN_DAY_NEVER || day == PN_DAY_NONE) return json_null();
    char d[11];
    dateFormat(day, d);
    return json_string(d);
}

/* The spells of nation n in group g, from its timeline. */
static json_t *spells(const Registry *r, int n, int g) {
    const RegTimeline *t = &r->timeline[n];
    json_t *arr = json_array();
    int in = 0;
    int32_t start = 0;
    for (size_t i = 0; i <= t->n; i++) {
        int now = i < t->n && GroupSetHas(&t->e[i].groups, (unsigned)g);
        if (now && !in) start = t->e[i].from, in = 1;
        if (!now && in) {
            json_array_append_new(arr, json_pack("{s:o, s:o}", "from", dayJson(start), "to",
                                                 dayJson(i < t->n ? t->e[i].from : PN_DAY_NEVER)));
            in = 0;
        }
    }
    return arr;
}

static void nation(HttpConn *c, const char *code) {
    const Registry *r = nodeRegistry(c->srv->node);
    int64_t at;
    if (queryAt(c, &at) != 0) return;
    int n = registryNation(r, code);
    if (n < 0) return httpError(c, 404, "unknown_nation", "unknown nation '%s'", code);
    int32_t day = dayOfTime(at);
    const RegTimelineEntry *e = registryAt(r, n, day);
    json_t *groups = json_array();
    for (size_t g = 0; g < r->ngroups; g++) {
        if (!GroupSetHas(&r->timeline[n].ever, (unsigned)g)) continue;
        json_array_append_new(
            groups,
            json_pack("{s:s, s:s, s:b, s:o}", "id", r->groups[g].id, "kind",
                      r->groups[g].kind == REG_FRAMEWORK ? "framework" : "community", "member",
                      GroupSetHas(&e->groups, (unsigned)g), "spells", spells(r, n, (int)g)));
    }
    const RegNation *nat = &r->nations[n];
    httpJson(c, 200,
             json_pack("{s:s, s:s, s:s, s:o, s:b, s:o}", "code", nat->code, "name", nat->name,
                       "kind", nat->kind == REG_NATION ? "nation" : "organisation", "at",
                       dayJson(day), "security_agreement", (e->flags & REG_F_SECURITY) != 0,
                       "groups", groups));
}

static void frameworks(HttpConn *c) {
    const Registry *r = nodeRegistry(c->srv->node);
    int64_t at;
    if (queryAt(c, &at) != 0) return;
    int32_t day = dayOfTime(at);
    json_t *arr = json_array();
    for (size_t g = 0; g < r->ngroups; g++) {
        NationSet members;
        int count = registryMembersAt(r, (int)g, day, &members);
        json_array_append_new(
            arr,
            json_pack("{s:s, s:s, s:s, s:i, s:b}", "id", r->groups[g].id, "name", r->groups[g].name,
                      "kind", r->groups[g].kind == REG_FRAMEWORK ? "framework" : "community",
                      "members", count, "open", registryGroupOpenSlow(r, (int)g, day)));
    }
    httpJson(c, 200, json_pack("{s:o, s:o}", "at", dayJson(day), "frameworks", arr));
}

static int codeCmp(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void members(HttpConn *c, const char *id) {
    const Registry *r = nodeRegistry(c->srv->node);
    int64_t at;
    if (queryAt(c, &at) != 0) return;
    int g = registryGroup(r, id);
    if (g < 0) return httpError(c, 404, "unknown_framework", "unknown framework '%s'", id);
    int32_t day = dayOfTime(at);
    NationSet set;
    registryMembersAt(r, g, day, &set);
    const char *codes[PN_MAX_NATIONS];
    size_t k = 0;
    for (size_t n = 0; n < r->nnations; n++)
        if (NationSetHas(&set, (unsigned)n)) codes[k++] = r->nations[n].code;
    qsort(codes, k, sizeof(codes[0]), codeCmp);
    json_t *arr = json_array();
    for (size_t i = 0; i < k; i++)
        json_array_append_new(arr, json_string(codes[i]));
    httpJson(c, 200,
             json_pack("{s:s, s:o, s:i, s:o}", "id", r->groups[g].id, "at", dayJson(day), "count",
                       (int)json_array_size(arr), "members", arr));
}

/* ---- policy ------------------------------------------------------------------ */

/* "principal": "nation=SWE,clearance=NS,..." or {"nation", "clearance",
 * "cois": [...], "caveats": [...]}.  Returns 0, or -1 with err set. */
static int principalFromJson(json_t *v, Principal *p, const Registry *r, const Spif *s,
                             pnError *err) {
    if (json_is_string(v)) return principalParse(p, json_string_value(v), r, s, err);
    if (!json_is_object(v))
        return pnErrorSet(err, PN_EINVAL, "'principal' must be a string or an object");
    const char *nation = json_string_value(json_object_get(v, "nation"));
    const char *clearance = json_string_value(json_object_get(v, "clearance"));
    const char *name = json_string_value(json_object_get(v, "name"));
    if (!nation || !clearance)
        return pnErrorSet(err, PN_EINVAL, "'principal' needs 'nation' and 'clearance'");
    const char *lists[2][PRINCIPAL_MAX_CAVEATS];
    size_t counts[2] = {0, 0};
    const char *keys[2] = {"cois", "caveats"};
    for (int k = 0; k < 2; k++) {
        json_t *a = json_object_get(v, keys[k]), *item;
        size_t i;
        if (a && (!json_is_array(a) || json_array_size(a) > PRINCIPAL_MAX_CAVEATS))
            return pnErrorSet(err, PN_EINVAL, "'%s' must be an array of at most %d names", keys[k],
                              PRINCIPAL_MAX_CAVEATS);
        json_array_foreach(a, i, item) {
            if (!json_is_string(item))
                return pnErrorSet(err, PN_EINVAL, "'%s' must hold strings", keys[k]);
            lists[k][counts[k]++] = json_string_value(item);
        }
    }
    return principalCompile(p, name ? name : "", nation, clearance, lists[0], counts[0], lists[1],
                            counts[1], r, s, err);
}

/* The "label" member of doc parsed into l (initialised), or -1 after a 400. */
static int bodyLabel(HttpConn *c, json_t *doc, Label *l) {
    json_t *v = json_object_get(doc, "label");
    pnError err = {0};
    if (!json_is_string(v)) {
        httpError(c, 400, "bad_request",
                  "'label' (a display marking or STANAG 4774 XML) is required");
        return -1;
    }
    if (labelParse(l, json_string_value(v), json_string_length(v), &err) != PN_OK) {
        httpError(c, 400, "invalid_label", "invalid label: %s", err.msg);
        return -1;
    }
    return 0;
}

static void decideFor(HttpConn *c) {
    if (!httpRequireOperator(c)) return;
    json_t *doc = httpBodyObject(c);
    if (!doc) return;
    const Registry *r = nodeRegistry(c->srv->node);
    const Spif *s = nodeSpif(c->srv->node);
    Principal p;
    Label l;
    labelInit(&l, s);
    pnError err = {0};
    int64_t at = timeNow();
    json_t *atv = json_object_get(doc, "at");
    if (atv && (!json_is_string(atv) || timeParse(json_string_value(atv), &at) != 0)) {
        httpError(c, 400, "bad_date", "'at' must be a date (YYYY-MM-DD) or time (ISO 8601)");
    } else if (principalFromJson(json_object_get(doc, "principal"), &p, r, s, &err) != PN_OK) {
        httpError(c, 400, "invalid_principal", "invalid principal: %s", err.msg);
    } else if (bodyLabel(c, doc, &l) == 0) {
        DecideLabel dl;
        decideLabelCompile(&l, &dl);
        Decision d = decide(&p, &dl, at);
        char why[512] = "", when[21];
        pnBuf mk;
        bufInit(&mk);
        labelToMarking(&l, &mk);
        timeFormat(at, when);
        if (d.reason != DECIDE_ALLOW) decideExplain(&d, &p, s, why, sizeof(why));
        json_t *out =
            json_pack("{s:s, s:s, s:s}", "decision", d.reason == DECIDE_ALLOW ? "allow" : "deny",
                      "label", bufStr(&mk), "at", when);
        if (d.reason != DECIDE_ALLOW) {
            json_object_set_new(out, "reason", json_string(decideReasonCode(d.reason)));
            json_object_set_new(out, "explanation", json_string(why));
        }
        bufFree(&mk);
        httpJson(c, 200, out);
    }
    labelFree(&l);
    json_decref(doc);
}

static void labelConvert(HttpConn *c) {
    json_t *doc = httpBodyObject(c);
    if (!doc) return;
    Label l;
    labelInit(&l, nodeSpif(c->srv->node));
    if (bodyLabel(c, doc, &l) == 0) {
        if (!l.created) l.created = timeNow();
        pnBuf mk, xml;
        bufInit(&mk);
        bufInit(&xml);
        labelToMarking(&l, &mk);
        labelToXml(&l, &xml);
        httpJson(c, 200, json_pack("{s:s, s:s}", "marking", bufStr(&mk), "xml", bufStr(&xml)));
        bufFree(&mk);
        bufFree(&xml);
    }
    labelFree(&l);
    json_decref(doc);
}

/* ---- audit ------------------------------------------------------------------- */

typedef struct AuditOut {
    json_t *events;
    long limit;
    int byReason;   /* a reason filter was given */
    AuditViewer *v; /* the caller: decide() per record's label */
} AuditOut;

/* A record whose label decide() refuses the caller shows kind and time
 * only.  Under a reason filter it is left out: matching it on a field it
 * does not show would disclose that field. */
static int auditRow(const AuditEvent *ev, void *ctx) {
    AuditOut *o = ctx;
    char when[21];
    timeFormat(ev->time, when);
    if (!auditViewerMay(o->v, ev)) {
        if (o->byReason) return 0;
        json_array_append_new(
            o->events, json_pack("{s:s, s:s, s:b}", "time", when, "kind", ev->kind, "withheld", 1));
        return (long)json_array_size(o->events) >= o->limit;
    }
    json_array_append_new(o->events,
                          json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "time",
                                    when, "kind", ev->kind, "principal", ev->principal, "nation",
                                    ev->nation, "topic", ev->topic, "label", ev->label, "reason",
                                    ev->reason, "detail", ev->detail, "peer", ev->peer, "count",
                                    (json_int_t)(ev->count > 0 ? ev->count : 1)));
    return (long)json_array_size(o->events) >= o->limit;
}

static void audit(HttpConn *c) {
    if (!httpRequireOperator(c)) return;
    char since[40] = "1h", reason[64], kind[24], limit[16];
    int64_t from;
    int hasReason = queryGet(c->req.query, "reason", reason, sizeof(reason));
    int hasKind = queryGet(c->req.query, "kind", kind, sizeof(kind));
    int hasLimit = queryGet(c->req.query, "limit", limit, sizeof(limit));
    char *end = NULL;
    long n = hasLimit > 0 ? strtol(limit, &end, 10) : AUDIT_LIMIT_DEFAULT;
    char given[40];
    int hasSince = queryGet(c->req.query, "since", given, sizeof(given));
    if (hasSince > 0) memcpy(since, given, sizeof(since));
    if (hasSince < 0 || auditParseSince(since, timeNow(), &from) != 0)
        return httpError(c, 400, "bad_since",
                         "'since' must be a duration (45s, 30m, 1h, 2d) or a date or time");
    if (hasReason < 0 || hasKind < 0 || hasLimit < 0 || (end && *end) || n < 1 ||
        n > AUDIT_LIMIT_MAX)
        return httpError(c, 400, "bad_request", "bad 'reason', 'kind' or 'limit' (limit: 1 to %d)",
                         AUDIT_LIMIT_MAX);
    AuditViewer *v = malloc(sizeof(*v));
    if (!v) return httpError(c, 503, "unavailable", "out of memory");
    auditViewerInit(v, &c->p, nodeSpif(c->srv->node), timeNow());
    AuditOut o = {json_array(), n, hasReason > 0, v};
    pnError err = {0};
    pnAudit *a = exchangeAuditStore(c->srv->x);
    int rc = a ? auditQuery(a, from, hasReason > 0 ? reason : NULL, hasKind > 0 ? kind : NULL,
                            auditRow, &o, &err)
               : PN_EIO;
    free(v);
    if (rc != PN_OK) {
        json_decref(o.events);
        return httpFailInternal(c, 503, "audit_unavailable", "the audit store cannot be read",
                                err.msg);
    }
    httpJson(c, 200, json_pack("{s:o}", "events", o.events));
}

/* ---- health and static files ---------------------------------------------------- */

/* 503 while the log cannot store (disk full...): a load balancer or an
 * operator sees that publishes are being refused. */
static void healthz(HttpConn *c) {
    const char *failed = exchangeStoreError(c->srv->x);
    if (failed)
        return httpJson(c, 503,
                        json_pack("{s:s, s:s, s:s+}", "status", "failed", "node",
                                  nodeName(c->srv->node), "store", "failed: ", failed));
    char body[160];
    int n =
        snprintf(body, sizeof(body), "{\"status\": \"ok\", \"node\": \"%s\", \"store\": \"ok\"}\n",
                 nodeName(c->srv->node));
    httpRespond(c, 200, NULL, "application/json", body, (size_t)n);
}

static const char *contentType(const char *path) {
    static const char *const types[][2] = {{".html", "text/html; charset=utf-8"},
                                           {".js", "text/javascript; charset=utf-8"},
                                           {".css", "text/css; charset=utf-8"},
                                           {".json", "application/json"},
                                           {".svg", "image/svg+xml"},
                                           {".png", "image/png"},
                                           {".ico", "image/x-icon"},
                                           {".txt", "text/plain; charset=utf-8"}};
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i][0]) == 0) return types[i][1];
    return "application/octet-stream";
}

static void serveStatic(HttpConn *c) {
    const char *dir = c->srv->opt.webDir;
    char rel[1024], path[4200];
    if (!dir || !dir[0] || urlDecode(c->req.path, strlen(c->req.path), 0, rel, sizeof(rel)) < 0 ||
        strstr(rel, "..") || strstr(rel, "//"))
        return httpError(c, 404, "not_found", "no such path: %s", c->req.path);
    snprintf(path, sizeof(path), "%s%s%s", dir, rel,
             rel[strlen(rel) - 1] == '/' ? "index.html" : "");
    char *text = NULL;
    size_t len = 0;
    if (fileRead(path, STATIC_MAX_FILE, &text, &len) != 0)
        return httpError(c, 404, "not_found", "no such path: %s", c->req.path);
    httpRespond(c, 200, NULL, contentType(path), text, len);
    free(text);
}

/* ---- dispatch ------------------------------------------------------------------- */

void httpDispatch(HttpConn *c) {
    RouteMatch m;
    routeMatch(c->req.method, c->req.path, &m);
    if (m.id == ROUTE_NONE && m.allow) {
        char allow[64];
        snprintf(allow, sizeof(allow), "Allow: %s\r\n", m.allow);
        pnBuf b;
        bufInit(&b);
        bufPrintf(&b,
                  "{\"error\": {\"code\": \"method_not_allowed\", \"message\": \"%s is "
                  "not allowed on this path (allowed: %s)\"}}\n",
                  c->req.method, m.allow);
        httpRespond(c, 405, allow, "application/json", bufStr(&b), b.len);
        bufFree(&b);
        return;
    }
    if (m.id == ROUTE_NONE) return httpError(c, 404, "not_found", "no such path: %s", c->req.path);
    if (m.id == ROUTE_HEALTHZ) return healthz(c);
    if (m.id == ROUTE_STATIC) return serveStatic(c);
    if (!httpAuth(c)) return;
    switch (m.id) {
    case ROUTE_METRICS: /* node-wide counts are traffic analysis: operators only */
        return httpRequireOperator(c) ? apiMetrics(c) : (void)0;
    case ROUTE_MESSAGES_POST:
        return apiPublish(c);
    case ROUTE_MESSAGES_GET:
        return apiHistory(c);
    case ROUTE_STREAM:
        return wsOpen(c);
    case ROUTE_NATIONS:
        return nations(c);
    case ROUTE_NATION:
        return nation(c, m.param);
    case ROUTE_FRAMEWORKS:
        return frameworks(c);
    case ROUTE_MEMBERS:
        return members(c, m.param);
    case ROUTE_DECIDE:
        return decideFor(c);
    case ROUTE_LABEL_CONVERT:
        return labelConvert(c);
    case ROUTE_AUDIT:
        return audit(c);
    case ROUTE_PLAN_ACTIVITIES:
    case ROUTE_PLAN_PROGRAMME:
    case ROUTE_PLAN_EXERCISES_GET:
    case ROUTE_PLAN_EXERCISES_POST:
    case ROUTE_PLAN_CSBM:
    case ROUTE_PLAN_GAPS:
    case ROUTE_PLAN_EXPENDITURE:
    case ROUTE_PLAN_INTEROP:
        return apiPlan(c, m.id, m.param);
    default:
        return httpError(c, 404, "not_found", "no such path: %s", c->req.path);
    }
}
