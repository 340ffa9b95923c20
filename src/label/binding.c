/*
 * binding.c -- a label bound to data, signed with JWS (see binding.h).
 */
#include "binding.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/buf.h"
#include "../core/date.h"

#define STATEMENT_FLAGS (JSON_COMPACT | JSON_SORT_KEYS)

static void b64std(const uint8_t *in, size_t n, char *out) {
    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

/* The signed members: metadataBindingContainer, originator, time. */
static json_t *statement(const char *originator, int64_t time, const char *name,
                         const uint8_t digest[32], const char *xml, const char *marking) {
    char when[21], dv[48];
    timeFormat(time, when);
    b64std(digest, 32, dv);
    return json_pack("{s:{s:[{s:[{s:s,s:s}],s:[{s:s,s:s,s:s}]}]},s:s,s:s}",
                     "metadataBindingContainer", "metadataBinding", "metadata",
                     "originatorConfidentialityLabel", xml, "displayMarking", marking,
                     "dataReference", "uri", name, "digestMethod", "SHA-256", "digestValue", dv,
                     "originator", originator, "time", when);
}

/* base64url of n bytes, malloc'd. */
static char *b64u(const void *p, size_t n) {
    char *s = malloc(n / 3 * 4 + 5);
    if (s) signB64url(p, n, s);
    return s;
}

int bindingMake(const SignKey *k, const char *originator, int64_t time, const char *name,
                const uint8_t *data, size_t len, const Label *lab, char **out, pnError *err) {
    *out = NULL;
    uint8_t digest[32], sig[64];
    EVP_Digest(data, len, digest, NULL, EVP_sha256(), NULL);
    pnBuf xml, marking;
    bufInit(&xml), bufInit(&marking);
    labelToXml(lab, &xml);
    labelToMarking(lab, &marking);
    json_t *st = bufFailed(&xml) || bufFailed(&marking)
                     ? NULL
                     : statement(originator, time, name, digest, bufStr(&xml), bufStr(&marking));
    bufFree(&xml), bufFree(&marking);
    char hdr[160];
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"cty\":\"%s\"}", signKeyId(k),
             BINDING_MEDIA_TYPE);
    char *payload = st ? json_dumps(st, STATEMENT_FLAGS) : NULL;
    char *h64 = b64u(hdr, strlen(hdr)), *p64 = payload ? b64u(payload, strlen(payload)) : NULL;
    pnBuf jws;
    bufInit(&jws);
    int rc = st && h64 && p64 ? PN_OK : PN_ENOMEM;
    if (rc == PN_OK) {
        bufPuts(&jws, h64), bufPuts(&jws, "."), bufPuts(&jws, p64);
        if (bufFailed(&jws) || signRaw(k, bufStr(&jws), jws.len, sig) != PN_OK) rc = PN_EIO;
    }
    char s64[90];
    signB64url(sig, 64, s64);
    bufPuts(&jws, "."), bufPuts(&jws, s64);
    if (rc == PN_OK && (bufFailed(&jws) || json_object_set_new(st, "bindingSignature",
                                                               json_string(bufStr(&jws))) != 0))
        rc = PN_ENOMEM;
    if (rc == PN_OK && !(*out = json_dumps(st, JSON_INDENT(2) | JSON_PRESERVE_ORDER)))
        rc = PN_ENOMEM;
    bufFree(&jws);
    free(h64), free(p64), free(payload);
    json_decref(st);
    return rc == PN_OK ? rc : pnErrorSet(err, rc, "cannot make the binding data object");
}

/* Decode base64url text of a JWS part, NUL-terminated, malloc'd. */
static char *part(const char *s, size_t n, size_t *len) {
    char *out = malloc(n * 3 / 4 + 2);
    if (!out || signB64decode(s, n, (uint8_t *)out, n * 3 / 4 + 1, len) != 0) {
        free(out);
        return NULL;
    }
    out[*len] = '\0';
    return out;
}

/* The JWS: header kid, the signed statement, the signature.  NULL or why. */
static const char *jwsRead(const char *jws, char kid[17], json_t **stmt, const char **signedEnd,
                           uint8_t sig[64]) {
    const char *d1 = strchr(jws, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d2 || strchr(d2 + 1, '.')) return "bindingSignature is not a JWS compact serialization";
    size_t n;
    char *hdr = part(jws, (size_t)(d1 - jws), &n);
    json_t *h = hdr ? json_loads(hdr, 0, NULL) : NULL;
    free(hdr);
    const char *alg = json_string_value(json_object_get(h, "alg")),
               *k = json_string_value(json_object_get(h, "kid"));
    int ok = alg && strcmp(alg, "EdDSA") == 0 && k && strlen(k) == 16;
    if (ok) memcpy(kid, k, 17);
    json_decref(h);
    if (!ok) return "the JWS header is not EdDSA with a key id";
    char *payload = part(d1 + 1, (size_t)(d2 - d1 - 1), &n);
    *stmt = payload ? json_loads(payload, 0, NULL) : NULL;
    free(payload);
    if (!json_is_object(*stmt)) return "the JWS payload is not the binding statement";
    if (signB64decode(d2 + 1, strlen(d2 + 1), sig, 64, &n) != 0 || n != 64)
        return "the JWS signature is not 64 bytes of base64url";
    *signedEnd = d2;
    return NULL;
}

/* The signed statement against the data and the policy.  NULL or why. */
static const char *statementCheck(json_t *st, const Spif *policy, const uint8_t *data, size_t len,
                                  char *marking, pnError *err) {
    json_t *mb = json_array_get(
        json_object_get(json_object_get(st, "metadataBindingContainer"), "metadataBinding"), 0);
    json_t *md = json_array_get(json_object_get(mb, "metadata"), 0),
           *ref = json_array_get(json_object_get(mb, "dataReference"), 0);
    const char *xml = json_string_value(json_object_get(md, "originatorConfidentialityLabel")),
               *dv = json_string_value(json_object_get(ref, "digestValue")),
               *dm = json_string_value(json_object_get(ref, "digestMethod"));
    if (!xml || !dv || !dm || strcmp(dm, "SHA-256") != 0)
        return "no label or no SHA-256 data reference in the binding";
    uint8_t want[32], got[32];
    size_t n;
    if (signB64decode(dv, strlen(dv), want, sizeof(want), &n) != 0 || n != 32)
        return "the data reference's digest is not 32 bytes of base64";
    EVP_Digest(data, len, got, NULL, EVP_sha256(), NULL);
    if (memcmp(want, got, 32) != 0) return "the data does not match the binding (SHA-256 differs)";
    Label lab;
    labelInit(&lab, policy);
    int rc = labelParseXml(&lab, xml, strlen(xml), err);
    pnBuf m;
    bufInit(&m);
    if (rc == PN_OK) labelToMarking(&lab, &m);
    if (rc == PN_OK && marking) snprintf(marking, 512, "%s", bufStr(&m));
    const char *dm2 = json_string_value(json_object_get(md, "displayMarking"));
    int same = rc == PN_OK && dm2 && strcmp(dm2, bufStr(&m)) == 0;
    bufFree(&m);
    labelFree(&lab);
    if (rc != PN_OK) return "the bound label is not valid under the policy";
    return same ? NULL : "the display marking is not the bound label's";
}

int bindingVerify(const SignTrust *t, const Spif *policy, const char *text, size_t textLen,
                  const uint8_t *data, size_t len, char *marking, char *why, size_t cap) {
    json_t *doc = json_loadb(text, textLen, JSON_REJECT_DUPLICATES, NULL), *st = NULL;
    const char *jws = json_string_value(json_object_get(doc, "bindingSignature")), *end = NULL;
    char kid[17];
    uint8_t sig[64];
    const char *bad = !json_is_object(doc) ? "not a binding data object (JSON)"
                      : !jws               ? "no bindingSignature"
                                           : jwsRead(jws, kid, &st, &end, sig);
    int64_t when = 0;
    const char *orig = st ? json_string_value(json_object_get(st, "originator")) : NULL,
               *tm = st ? json_string_value(json_object_get(st, "time")) : NULL;
    if (!bad && (!orig || !tm || timeParse(tm, &when) != 0))
        bad = "the signed statement has no originator or time";
    if (!bad && signVerifyRaw(t, kid, orig, when, jws, (size_t)(end - jws), sig, why, cap) != 0) {
        json_decref(st), json_decref(doc);
        return -1;
    }
    /* What a reader sees must be what was signed. */
    if (!bad) {
        json_t *outer = json_deep_copy(doc);
        json_object_del(outer, "bindingSignature");
        if (!json_equal(outer, st)) bad = "the binding's members differ from what was signed";
        json_decref(outer);
    }
    pnError err = {0};
    if (!bad) bad = statementCheck(st, policy, data, len, marking, &err);
    if (bad) snprintf(why, cap, "%s%s%s", bad, err.msg[0] ? ": " : "", err.msg);
    json_decref(st), json_decref(doc);
    return bad ? -1 : 0;
}
