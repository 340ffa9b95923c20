/*
 * persist.c -- persistent sessions, one file per session (see persist.h).
 *
 * Why one file per session rather than one file for all: with 180 sessions
 * of 256 subscriptions the single file was 46 MB, rewritten and fsynced on
 * every subscription change and every second.  A per-session file bounds
 * the bytes written per change by one session's size (max_subscriptions
 * filters), keeps the atomic-replace guarantee of fileWriteAtomic() without
 * a journal to replay or compact, and lets an unchanged session cost
 * nothing.
 */
#include "persist.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/file.h"

static void sessionsDir(const char *dir, char *out, size_t cap) {
    snprintf(out, cap, "%s/sessions", dir);
}

static int syncDir(const char *path) {
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return -1;
    int rc = fsync(dfd);
    close(dfd);
    return rc;
}

static json_t *hexString(const uint8_t *p, size_t n) {
    static const char digits[] = "0123456789abcdef";
    char *t = malloc(2 * n + 1);
    if (!t) return NULL;
    for (size_t i = 0; i < n; i++)
        t[2 * i] = digits[p[i] >> 4], t[2 * i + 1] = digits[p[i] & 15];
    t[2 * n] = '\0';
    json_t *js = json_stringn(t, 2 * n);
    free(t);
    return js;
}

static int hexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* A hex string back to bytes (malloc'd, at least one byte); NULL when it
 * is not hex or out of memory. */
static uint8_t *hexBytes(const json_t *js, uint32_t *len) {
    const char *t = json_string_value(js);
    size_t n = json_string_length(js);
    if (!t || n % 2 || n / 2 > UINT32_MAX) return NULL;
    uint8_t *b = malloc(n / 2 + 1);
    for (size_t i = 0; b && i < n / 2; i++) {
        int hi = hexDigit(t[2 * i]), lo = hexDigit(t[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(b);
            return NULL;
        }
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = (uint32_t)(n / 2);
    return b;
}

int persistWriteJson(const char *path, json_t *js, pnError *err) {
    char *text = js ? json_dumps(js, JSON_COMPACT) : NULL;
    json_decref(js);
    if (!text) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    int rc = fileWriteAtomic(path, text, strlen(text), 0640, err);
    free(text);
    return rc;
}

static json_t *encodeWill(const PersistWill *w) {
    if (!w) return json_null();
    return json_pack("{s:s,s:s?,s:o,s:o,s:i,s:b,s:I}", "topic", w->topic, "label", w->label,
                     "props", hexString(w->props, w->propsLen), "payload",
                     hexString(w->payload, w->payloadLen), "qos", w->qos, "retain", w->retain,
                     "due_ms", (json_int_t)w->dueMs);
}

static json_t *encode(const PersistSession *s) {
    json_t *subs = json_array();
    for (size_t i = 0; subs && i < s->nsubs; i++) {
        const PersistSub *b = &s->subs[i];
        json_array_append_new(subs, json_pack("{s:s,s:i,s:b,s:b,s:i,s:I}", "filter", b->filter,
                                              "qos", b->options & 3, "nl", b->options >> 2 & 1,
                                              "rap", b->options >> 3 & 1, "rh", b->options >> 4 & 3,
                                              "id", (json_int_t)b->subId));
    }
    json_t *stored = json_array();
    for (size_t i = 0; stored && i < s->nstored; i++)
        json_array_append_new(stored, json_integer((json_int_t)s->stored[i]));
    json_t *qos2 = json_array();
    for (size_t i = 0; qos2 && i < s->nqos2; i++)
        json_array_append_new(qos2, json_integer(s->qos2[i]));
    return json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:b,s:I,s:o,s:o,s:o,s:o}", "client", s->clientId,
                     "principal", s->principal, "principal_id",
                     s->principalId ? s->principalId : "", "expiry", (json_int_t)s->expiry,
                     "disconnected", (json_int_t)s->disconnectedAt, "seq", (json_int_t)s->seq,
                     "resume", (json_int_t)s->resumeFrom, "node", s->node, "lost",
                     (json_int_t)s->lost, "stored", stored, "qos2", qos2, "subs", subs, "will",
                     encodeWill(s->will));
}

int persistWrite(const char *dir, const PersistSession *s, pnError *err) {
    char sdir[PATH_MAX], path[PATH_MAX + 32];
    sessionsDir(dir, sdir, sizeof(sdir));
    if (mkdir(sdir, 0750) != 0 && errno != EEXIST)
        return pnErrorSet(err, PN_EIO, "%s: %s", sdir, strerror(errno));
    snprintf(path, sizeof(path), "%s/%llu.json", sdir, (unsigned long long)s->fileNo);
    json_t *js = encode(s);
    return persistWriteJson(path, js, err);
}

/* The offsets alone: a few dozen bytes however many filters the session
 * has, so a resume offset that moves every second costs that, not the
 * whole session. */
int persistWriteResume(const char *dir, const PersistSession *s, pnError *err) {
    char sdir[PATH_MAX], path[PATH_MAX + 32];
    sessionsDir(dir, sdir, sizeof(sdir));
    snprintf(path, sizeof(path), "%s/%llu.resume", sdir, (unsigned long long)s->fileNo);
    json_t *stored = json_array();
    for (size_t i = 0; stored && i < s->nstored; i++)
        json_array_append_new(stored, json_integer((json_int_t)s->stored[i]));
    json_t *js = json_pack("{s:I,s:I,s:o}", "seq", (json_int_t)s->seq, "resume",
                           (json_int_t)s->resumeFrom, "stored", stored);
    return persistWriteJson(path, js, err);
}

int persistRemove(const char *dir, uint64_t fileNo, pnError *err) {
    char sdir[PATH_MAX], path[PATH_MAX + 32];
    sessionsDir(dir, sdir, sizeof(sdir));
    /* The offsets file first: one without its session file would be
     * orphaned. */
    snprintf(path, sizeof(path), "%s/%llu.resume", sdir, (unsigned long long)fileNo);
    if (unlink(path) != 0 && errno != ENOENT)
        return pnErrorSet(err, PN_EIO, "%s: cannot remove: %s", path, strerror(errno));
    snprintf(path, sizeof(path), "%s/%llu.json", sdir, (unsigned long long)fileNo);
    if (unlink(path) != 0 && errno != ENOENT)
        return pnErrorSet(err, PN_EIO, "%s: cannot remove: %s", path, strerror(errno));
    if (syncDir(sdir) != 0 && errno != ENOENT)
        return pnErrorSet(err, PN_EIO, "%s: cannot fsync: %s", sdir, strerror(errno));
    return PN_OK;
}

/* The stored will of js (absent or null: none; damaged: none, as a file
 * of a node before wills were kept).  *props and *payload are malloc'd
 * for the caller to free. */
static const PersistWill *decodeWill(json_t *js, PersistWill *w, uint8_t **props,
                                     uint8_t **payload) {
    json_t *jw = json_object_get(js, "will");
    *props = *payload = NULL;
    if (!json_is_object(jw)) return NULL;
    memset(w, 0, sizeof(*w));
    w->topic = json_string_value(json_object_get(jw, "topic"));
    w->label = json_string_value(json_object_get(jw, "label"));
    *props = hexBytes(json_object_get(jw, "props"), &w->propsLen);
    *payload = hexBytes(json_object_get(jw, "payload"), &w->payloadLen);
    json_int_t qos = json_integer_value(json_object_get(jw, "qos"));
    if (!w->topic || !*props || !*payload || qos < 0 || qos > 2) {
        free(*props), free(*payload);
        *props = *payload = NULL;
        return NULL;
    }
    w->props = *props;
    w->payload = *payload;
    w->qos = (uint8_t)qos;
    w->retain = json_is_true(json_object_get(jw, "retain"));
    w->dueMs = json_integer_value(json_object_get(jw, "due_ms"));
    return w;
}

/* Decode one stored session object and hand it to fn. */
static int decodeOne(json_t *js, uint64_t fileNo, void (*fn)(void *, const PersistSession *),
                     void *ctx) {
    PersistSession s;
    memset(&s, 0, sizeof(s));
    s.fileNo = fileNo;
    s.clientId = json_string_value(json_object_get(js, "client"));
    s.principal = json_string_value(json_object_get(js, "principal"));
    if (!s.clientId || !s.principal) return PN_OK;
    s.expiry = (uint32_t)json_integer_value(json_object_get(js, "expiry"));
    s.disconnectedAt = json_integer_value(json_object_get(js, "disconnected"));
    s.resumeFrom = (uint64_t)json_integer_value(json_object_get(js, "resume"));
    s.seq = (uint64_t)json_integer_value(json_object_get(js, "seq"));
    s.node = json_is_true(json_object_get(js, "node"));
    s.lost = (uint64_t)json_integer_value(json_object_get(js, "lost"));
    /* Saved without an instance id (before principal instances): "". */
    const char *pid = json_string_value(json_object_get(js, "principal_id"));
    s.principalId = pid ? pid : "";
    /* Absent in files of nodes before these were kept: none. */
    json_t *jstored = json_object_get(js, "stored"), *jqos2 = json_object_get(js, "qos2");
    size_t nst = json_array_size(jstored), nq2 = json_array_size(jqos2);
    uint64_t *stored = nst ? calloc(nst, sizeof(*stored)) : NULL;
    uint16_t *qos2 = nq2 ? calloc(nq2, sizeof(*qos2)) : NULL;
    json_t *subs = json_object_get(js, "subs");
    size_t n = json_is_array(subs) ? json_array_size(subs) : 0;
    PersistSub *b = n ? calloc(n, sizeof(*b)) : NULL;
    if ((n && !b) || (nst && !stored) || (nq2 && !qos2)) {
        free(b), free(stored), free(qos2);
        return PN_ENOMEM;
    }
    for (size_t k = 0; k < nst; k++) {
        json_t *v = json_array_get(jstored, k);
        if (json_is_integer(v) && json_integer_value(v) >= 0)
            stored[s.nstored++] = (uint64_t)json_integer_value(v);
    }
    for (size_t k = 0; k < nq2; k++) {
        json_int_t id = json_integer_value(json_array_get(jqos2, k));
        if (id > 0 && id <= UINT16_MAX) qos2[s.nqos2++] = (uint16_t)id;
    }
    s.stored = stored;
    s.qos2 = qos2;
    size_t k;
    json_t *jb;
    json_array_foreach(subs, k, jb) {
        const char *f = json_string_value(json_object_get(jb, "filter"));
        if (!f) continue;
        PersistSub *p = &b[s.nsubs++];
        p->filter = f;
        p->options = (uint8_t)((json_integer_value(json_object_get(jb, "qos")) & 3) |
                               json_is_true(json_object_get(jb, "nl")) << 2 |
                               json_is_true(json_object_get(jb, "rap")) << 3 |
                               (json_integer_value(json_object_get(jb, "rh")) & 3) << 4);
        p->subId = (uint32_t)json_integer_value(json_object_get(jb, "id"));
    }
    s.subs = b;
    PersistWill will;
    uint8_t *wprops, *wpayload;
    s.will = decodeWill(js, &will, &wprops, &wpayload);
    fn(ctx, &s);
    free(b);
    free(stored);
    free(qos2);
    free(wprops);
    free(wpayload);
    return PN_OK;
}

static int loadLegacy(const char *dir, void (*fn)(void *, const PersistSession *), void *ctx,
                      pnError *err) {
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/sessions.json", dir);
    if (access(path, F_OK) != 0) return PN_OK;
    json_error_t je;
    json_t *arr = json_load_file(path, 0, &je);
    if (!json_is_array(arr)) {
        json_decref(arr);
        return pnErrorSet(err, PN_EINVAL, "%s:%d: %s", path, je.line, je.text);
    }
    int rc = PN_OK;
    size_t i;
    json_t *js;
    json_array_foreach(arr, i, js) {
        if (rc == PN_OK) rc = decodeOne(js, 0, fn, ctx);
    }
    json_decref(arr);
    return rc == PN_OK ? PN_OK : pnErrorSet(err, rc, "out of memory");
}

/* NUMBER followed by ext -> NUMBER; 0 for any other name. */
static uint64_t fileNumber(const char *name, const char *ext) {
    uint64_t n = 0;
    const char *p = name;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (n > (UINT64_MAX - 9) / 10) return 0;
        n = n * 10 + (uint64_t)(*p - '0');
    }
    return p > name && strcmp(p, ext) == 0 ? n : 0;
}

/* The session file js of number no, with its offsets file (when that was
 * written after it: a higher seq) taking the place of its resume offset
 * and unacknowledged retained offsets.  An unreadable offsets file is
 * ignored: the session file's offset is lower, which costs a longer
 * rescan, never a loss. */
static void overlayResume(const char *sdir, uint64_t no, json_t *js) {
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/%llu.resume", sdir, (unsigned long long)no);
    json_t *r = json_load_file(path, 0, NULL);
    json_t *seq = json_object_get(r, "seq"), *resume = json_object_get(r, "resume");
    json_t *stored = json_object_get(r, "stored");
    if (json_is_integer(seq) && json_is_integer(resume) && json_is_array(stored) &&
        json_integer_value(seq) > json_integer_value(json_object_get(js, "seq"))) {
        json_object_set(js, "seq", seq);
        json_object_set(js, "resume", resume);
        json_object_set(js, "stored", stored);
    }
    json_decref(r);
}

int persistLoad(const char *dir, void (*fn)(void *ctx, const PersistSession *s), void *ctx,
                uint64_t *maxFileNo, pnError *err) {
    *maxFileNo = 0;
    int rc = loadLegacy(dir, fn, ctx, err);
    if (rc != PN_OK) return rc;
    char sdir[PATH_MAX];
    sessionsDir(dir, sdir, sizeof(sdir));
    DIR *d = opendir(sdir);
    if (!d) {
        if (errno == ENOENT) return PN_OK;
        return pnErrorSet(err, PN_EIO, "%s: %s", sdir, strerror(errno));
    }
    struct dirent *e;
    while (rc == PN_OK && (e = readdir(d)) != NULL) {
        uint64_t no = fileNumber(e->d_name, ".json");
        if (!no) {
            /* never reuse the number of an offsets file either */
            no = fileNumber(e->d_name, ".resume");
            if (no > *maxFileNo) *maxFileNo = no;
            continue;
        }
        char path[PATH_MAX + 300];
        snprintf(path, sizeof(path), "%s/%s", sdir, e->d_name);
        json_error_t je;
        json_t *js = json_load_file(path, 0, &je);
        if (!json_is_object(js))
            rc = pnErrorSet(err, PN_EINVAL, "%s:%d: %s", path, je.line,
                            js ? "not a session object" : je.text);
        else if (overlayResume(sdir, no, js), decodeOne(js, no, fn, ctx) != PN_OK)
            rc = pnErrorSet(err, PN_ENOMEM, "out of memory");
        json_decref(js);
        if (no > *maxFileNo) *maxFileNo = no;
    }
    closedir(d);
    return rc;
}

int persistHasLegacy(const char *dir) {
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/sessions.json", dir);
    return access(path, F_OK) == 0;
}

int persistRemoveLegacy(const char *dir, pnError *err) {
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/sessions.json", dir);
    if (unlink(path) != 0 && errno != ENOENT)
        return pnErrorSet(err, PN_EIO, "%s: cannot remove: %s", path, strerror(errno));
    if (syncDir(dir) != 0)
        return pnErrorSet(err, PN_EIO, "%s: cannot fsync: %s", dir, strerror(errno));
    return PN_OK;
}

int persistSharesWrite(const char *dir, const PersistShare *g, size_t n, pnError *err) {
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/shares.json", dir);
    json_t *groups = json_array();
    for (size_t i = 0; groups && i < n; i++) {
        json_t *given = json_array();
        for (size_t k = 0; given && k < g[i].ngiven; k++)
            json_array_append_new(given, json_pack("[I,s]", (json_int_t)g[i].given[k].offset,
                                                   g[i].given[k].clientId));
        json_array_append_new(groups, json_pack("{s:s,s:I,s:o}", "share", g[i].share, "resume",
                                                (json_int_t)g[i].resumeFrom, "given", given));
    }
    json_t *js = json_pack("{s:o}", "groups", groups);
    return persistWriteJson(path, js, err);
}

/* One stored group to fn; entries that are not [offset, client] skipped. */
static int decodeShare(json_t *jg, void (*fn)(void *, const PersistShare *), void *ctx) {
    PersistShare g = {json_string_value(json_object_get(jg, "share")),
                      (uint64_t)json_integer_value(json_object_get(jg, "resume")), NULL, 0};
    if (!g.share) return PN_OK;
    json_t *jgiven = json_object_get(jg, "given");
    size_t n = json_array_size(jgiven);
    PersistGiven *given = n ? calloc(n, sizeof(*given)) : NULL;
    if (n && !given) return PN_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        json_t *e = json_array_get(jgiven, k);
        json_t *off = json_array_get(e, 0);
        const char *client = json_string_value(json_array_get(e, 1));
        if (json_is_integer(off) && json_integer_value(off) >= 0 && client)
            given[g.ngiven++] = (PersistGiven){(uint64_t)json_integer_value(off), client};
    }
    g.given = given;
    fn(ctx, &g);
    free(given);
    return PN_OK;
}

int persistSharesLoad(const char *dir, void (*fn)(void *ctx, const PersistShare *g), void *ctx,
                      pnError *err) {
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/shares.json", dir);
    if (access(path, F_OK) != 0) return PN_OK;
    json_error_t je;
    json_t *js = json_load_file(path, 0, &je);
    json_t *groups = json_object_get(js, "groups");
    if (!json_is_array(groups)) {
        json_decref(js);
        return pnErrorSet(err, PN_EINVAL, "%s:%d: %s", path, je.line,
                          js ? "not a shared subscriptions object" : je.text);
    }
    int rc = PN_OK;
    size_t i;
    json_t *jg;
    json_array_foreach(groups, i, jg) {
        if (rc == PN_OK) rc = decodeShare(jg, fn, ctx);
    }
    json_decref(js);
    return rc == PN_OK ? PN_OK : pnErrorSet(err, rc, "out of memory");
}
