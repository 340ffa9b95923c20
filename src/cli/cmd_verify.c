/*
 * cmd_verify.c -- `partnernet verify FILE`: check the origin signature of
 * saved messages against trusted keys.
 *
 * FILE holds one message as JSON (an element of the HTTP history, or a
 * line of `partnernet log list --json`), or several, one a line.  The
 * fields the signature covers (docs/signatures.md) are read from it: id
 * (ORIGIN:SEQ), time, topic, label, the payload and its content type.  A
 * JSON payload ("payload") is hashed as the bytes of its value in the
 * file, exactly as the node wrote them, so the message must be saved
 * without re-formatting it.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/date.h"
#include "../core/sign.h"
#include "../core/str.h"
#include "cli.h"

#define CMD "verify"
#define VERIFY_MAX_FILE (64u << 20)

/* ---- the raw text of one member of a JSON object ---- */

static const char *skipWs(const char *p, const char *e) {
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Past the string starting at p ('"'); NULL when it does not end. */
static const char *skipString(const char *p, const char *e) {
    for (p++; p < e; p++) {
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return NULL;
}

/* Past the value at p (valid JSON: jansson parsed it); NULL at the end. */
static const char *skipValue(const char *p, const char *e) {
    if (p >= e) return NULL;
    if (*p == '"') return skipString(p, e);
    if (*p != '{' && *p != '[') { /* number, true, false, null */
        while (p < e && *p && !strchr(",}] \t\r\n", *p))
            p++;
        return p;
    }
    int depth = 0;
    while (p && p < e) {
        if (*p == '"') {
            p = skipString(p, e);
            continue;
        }
        if (*p == '{' || *p == '[')
            depth++;
        else if ((*p == '}' || *p == ']') && --depth == 0)
            return p + 1;
        p++;
    }
    return NULL;
}

/* The raw text of member key of the object in [p, e): 0 with *v, *n. */
static int rawMember(const char *p, const char *e, const char *key, const char **v, size_t *n) {
    p = skipWs(p, e);
    if (p >= e || *p++ != '{') return -1;
    size_t klen = strlen(key);
    while (p && (p = skipWs(p, e)) < e && *p == '"') {
        const char *k = p + 1, *ke = skipString(p, e);
        if (!ke) return -1;
        p = skipWs(ke, e);
        if (p >= e || *p++ != ':') return -1;
        const char *vs = skipWs(p, e);
        p = skipValue(vs, e);
        if (!p) return -1;
        if ((size_t)(ke - 1 - k) == klen && memcmp(k, key, klen) == 0) {
            *v = vs, *n = (size_t)(p - vs);
            return 0;
        }
        p = skipWs(p, e);
        if (p < e && *p == ',') p++;
    }
    return -1;
}

/* ---- one message ---- */

typedef struct Saved {
    SignFields f;
    char origin[64];
    uint8_t *bytes; /* decoded payload_base64 */
    const char *sig;
    size_t sigLen;
} Saved;

static const char *str(json_t *o, const char *k, size_t *n) {
    json_t *v = json_object_get(o, k);
    if (!json_is_string(v)) return NULL;
    if (n) *n = json_string_length(v);
    return json_string_value(v);
}

/* The bound label of a binding data object (messageBindingJson). */
static json_t *boundMarking(json_t *doc) {
    json_t *mb = json_array_get(
        json_object_get(json_object_get(doc, "metadataBindingContainer"), "metadataBinding"), 0);
    return json_object_get(json_array_get(json_object_get(mb, "metadata"), 0), "displayMarking");
}

/* The data reference of a binding data object names the payload. */
static int boundDigestMatches(json_t *doc, const uint8_t *p, size_t n) {
    json_t *mb = json_array_get(
        json_object_get(json_object_get(doc, "metadataBindingContainer"), "metadataBinding"), 0);
    const char *dv = json_string_value(
        json_object_get(json_array_get(json_object_get(mb, "dataReference"), 0), "digestValue"));
    uint8_t want[32], got[32];
    size_t len;
    if (!dv || signB64decode(dv, strlen(dv), want, sizeof(want), &len) != 0 || len != 32) return 0;
    EVP_Digest(p, n, got, NULL, EVP_sha256(), NULL);
    return memcmp(want, got, 32) == 0;
}

/* Read the covered fields of doc (its text in [t, e)); NULL or the reason.
 * doc is a message as the history gives it, or as a binding data object
 * (Accept: application/vnd.nato.bindingdataobject+json). */
static const char *savedRead(Saved *s, json_t *doc, const char *t, const char *e,
                             const uint8_t *data, size_t dataLen) {
    int bound = json_object_get(doc, "metadataBindingContainer") != NULL;
    size_t n;
    const char *id = str(doc, "id", &n), *when = str(doc, "time", NULL), *colon;
    if (!id || !(colon = strrchr(id, ':')) || colon == id || (size_t)(colon - id) >= 64)
        return "no 'id' of the form ORIGIN:SEQ";
    memcpy(s->origin, id, (size_t)(colon - id));
    s->origin[colon - id] = '\0';
    char *end;
    s->f.origin = s->origin, s->f.originLen = strlen(s->origin);
    s->f.seq = strtoull(colon + 1, &end, 10);
    if (!colon[1] || *end) return "no 'id' of the form ORIGIN:SEQ";
    if (!when || timeParse(when, &s->f.time) != 0) return "no 'time' (ISO 8601)";
    if (!(s->f.topic = str(doc, "topic", &s->f.topicLen))) return "no 'topic'";
    json_t *lab = bound ? boundMarking(doc) : json_object_get(doc, "label");
    if (!json_is_string(lab)) return "no 'label'";
    s->f.label = json_string_value(lab), s->f.labelLen = json_string_length(lab);
    const char *b64 = str(doc, "payload_base64", &n);
    if (data && bound) { /* a sidecar: the payload is the file beside it */
        s->f.payload = data, s->f.payloadLen = dataLen;
        s->f.contentType = str(doc, "contentType", &s->f.contentTypeLen);
        if (!boundDigestMatches(doc, data, dataLen))
            return "the data does not match the binding (SHA-256 differs)";
    } else if (b64) {
        if (!(s->bytes = malloc(n / 4 * 3 + 3))) return "out of memory";
        int len = EVP_DecodeBlock(s->bytes, (const unsigned char *)b64, (int)n);
        if (len < 0 || n % 4) return "'payload_base64' is not base64";
        while (n && b64[n - 1] == '=')
            n--, len--;
        s->f.payload = s->bytes, s->f.payloadLen = (size_t)len;
        s->f.contentType = str(doc, bound ? "contentType" : "content_type", &s->f.contentTypeLen);
        if (bound && !boundDigestMatches(doc, s->bytes, (size_t)len))
            return "the binding's data reference does not match the payload (SHA-256)";
    } else if (bound) {
        return "no 'payload_base64'";
    } else {
        const char *raw;
        if (rawMember(t, e, "payload", &raw, &n) != 0) return "no 'payload' or 'payload_base64'";
        s->f.payload = (const uint8_t *)raw, s->f.payloadLen = n;
        s->f.contentType = "application/json", s->f.contentTypeLen = 16;
    }
    if (!(s->sig = str(doc, bound ? "originSignature" : "sig", &s->sigLen)))
        return "no signature ('sig')";
    return NULL;
}

int cliVerifySaved(const SignTrust *trust, const char *file, const char *t, const char *e,
                   const uint8_t *data, size_t dataLen) {
    json_error_t je;
    json_t *doc = json_loadb(t, (size_t)(e - t), JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return cliFail(CMD, "%s: not a JSON message: %s", file, je.text);
    }
    Saved s;
    memset(&s, 0, sizeof(s));
    char why[300];
    const char *bad = savedRead(&s, doc, t, e, data, dataLen);
    int rc = CLI_OK;
    if (bad) {
        rc = cliFail(CMD, "%s: %s", file, bad);
    } else if (signVerify(trust, NULL, &s.f, s.sig, s.sigLen, why, sizeof(why)) != 0) {
        rc = cliFail(CMD, "%s: id %s:%llu: %s", file, s.origin, (unsigned long long)s.f.seq, why);
    } else {
        printf("%s: id %s:%llu: signature verified (key %.16s)\n", file, s.origin,
               (unsigned long long)s.f.seq, s.sig + 2);
    }
    free(s.bytes);
    json_decref(doc);
    return rc;
}

int cliLoadTrust(const char *cmd, const char *dir, const char *file, SignTrust *t) {
    char path[4200];
    if (!file) snprintf(path, sizeof(path), "%s/trust.keys", dir), file = path;
    signTrustInit(t);
    pnError err = {0};
    if (signTrustLoad(t, file, &err) == PN_OK) return CLI_OK;
    signTrustFree(t);
    return cliFail(cmd, "trusted keys: %s", err.msg);
}

int cmdVerify(Cli *cli, int argc, char **argv) {
    (void)cli;
    const char *dir = "var", *trustFile = NULL, *file = NULL;
    for (int i = 1; i < argc; i++) {
        int r = cliOpt(CMD, argc, argv, &i, "--data", &dir);
        if (r == 0) r = cliOpt(CMD, argc, argv, &i, "--trust", &trustFile);
        if (r < 0) return CLI_USAGE;
        if (r == 0 && argv[i][0] == '-') return cliFail(CMD, "unknown option '%s'", argv[i]);
        if (r == 0 && file) return cliFail(CMD, "one FILE only");
        if (r == 0) file = argv[i];
    }
    if (!file) return cliFail(CMD, "expected a FILE holding a saved message");
    SignTrust trust;
    if (cliLoadTrust(CMD, dir, trustFile, &trust) != CLI_OK) return CLI_USAGE;
    char *text;
    size_t len;
    int r = fileRead(file, VERIFY_MAX_FILE, &text, &len), rc = CLI_OK;
    if (r != 0) {
        signTrustFree(&trust);
        return cliFail(CMD, "%s: %s", file, r == -2 ? "larger than 64 MiB" : "cannot read it");
    }
    json_t *whole = json_loadb(text, len, 0, NULL);
    if (json_is_object(whole)) { /* one message, perhaps over several lines */
        rc = cliVerifySaved(&trust, file, text, text + len, NULL, 0);
    } else { /* one message a line */
        int any = 0;
        for (char *l = text, *nl; l < text + len && rc == CLI_OK; l = nl + 1) {
            nl = memchr(l, '\n', (size_t)(text + len - l));
            if (!nl) nl = text + len;
            if (skipWs(l, nl) == nl) continue;
            any = 1;
            rc = cliVerifySaved(&trust, file, l, nl, NULL, 0);
        }
        if (!any) rc = cliFail(CMD, "%s: no message in it", file);
    }
    json_decref(whole);
    free(text);
    signTrustFree(&trust);
    return rc;
}
