/*
 * principals.c -- the principals store: loading and atomically saving the
 * principals file, scrypt password hashes, and compiling an entry into the
 * Principal that decide() reads (see principals.h).
 */
#include "principals.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "../core/file.h"
#include "../core/str.h"

/* Parameters of new hashes. */
#define SCRYPT_N 16384
#define SCRYPT_R 8
#define SCRYPT_P 1
#define SCRYPT_SALT 16
#define SCRYPT_KEY 32

/* Limits on stored hashes, so a crafted file cannot make a login cost
 * gigabytes or minutes. */
#define SCRYPT_MAX_N (1u << 20)
#define SCRYPT_MAX_R 32
#define SCRYPT_MAX_P 16
#define SCRYPT_MAX_MEM (256u << 20)
#define SCRYPT_MAX_BYTES 64 /* salt and key */

#define SCRYPT_PREFIX "$scrypt$"

/* ---- the set ----------------------------------------------------------- */

void principalsInit(Principals *ps) {
    memset(ps, 0, sizeof(*ps));
}

void principalsFree(Principals *ps) {
    free(ps->e);
    principalsInit(ps);
}

static long findIndex(const Principals *ps, const char *name) {
    for (size_t i = 0; i < ps->n; i++)
        if (strcmp(ps->e[i].name, name) == 0) return (long)i;
    return -1;
}

PrincipalEntry *principalsFind(Principals *ps, const char *name) {
    long i = findIndex(ps, name);
    return i < 0 ? NULL : &ps->e[i];
}

const PrincipalEntry *principalsFindCert(const Principals *ps, const char *cn) {
    if (!cn || !cn[0]) return NULL;
    for (size_t i = 0; i < ps->n; i++)
        if (strcmp(ps->e[i].certCn, cn) == 0) return &ps->e[i];
    return NULL;
}

static int grow(Principals *ps) {
    if (ps->n < ps->cap) return 0;
    size_t cap = ps->cap ? ps->cap * 2 : 8;
    PrincipalEntry *e = realloc(ps->e, cap * sizeof(*e));
    if (!e) return -1;
    ps->e = e;
    ps->cap = cap;
    return 0;
}

/* Another entry than skip with certificate CN cn, or -1. */
static long certOwner(const Principals *ps, const char *cn, long skip) {
    if (!cn[0]) return -1;
    for (size_t i = 0; i < ps->n; i++)
        if ((long)i != skip && strcmp(ps->e[i].certCn, cn) == 0) return (long)i;
    return -1;
}

/* Another entry than skip with instance id id, or -1. */
static long idOwner(const Principals *ps, const char *id, long skip) {
    for (size_t i = 0; i < ps->n; i++)
        if ((long)i != skip && strcmp(ps->e[i].id, id) == 0) return (long)i;
    return -1;
}

static void hexOf(const unsigned char *p, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++)
        out[2 * i] = digits[p[i] >> 4], out[2 * i + 1] = digits[p[i] & 15];
    out[2 * n] = '\0';
}

/* A random instance id no entry of ps has.  Random rather than counted:
 * a counter would start again from a restored or hand-made file, and 64
 * random bits do not come back. */
static int newId(const Principals *ps, char out[PRINCIPAL_ID_LEN + 1], pnError *err) {
    unsigned char raw[PRINCIPAL_ID_LEN / 2];
    do {
        if (RAND_bytes(raw, sizeof(raw)) != 1)
            return pnErrorSet(err, PN_EIO, "the random number generator failed");
        hexOf(raw, sizeof(raw), out);
    } while (idOwner(ps, out, -1) >= 0);
    return PN_OK;
}

void principalLegacyId(const PrincipalEntry *e, char out[PRINCIPAL_ID_LEN + 1]) {
    unsigned char md[32];
    unsigned n = sizeof(md);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, "partnernet principal v0", 24) == 1 &&
             EVP_DigestUpdate(ctx, e->name, strlen(e->name) + 1) == 1 &&
             EVP_DigestUpdate(ctx, e->passwordHash, strlen(e->passwordHash) + 1) == 1 &&
             EVP_DigestUpdate(ctx, e->certCn, strlen(e->certCn) + 1) == 1 &&
             EVP_DigestFinal_ex(ctx, md, &n) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) memset(md, 0xff, sizeof(md)); /* matches no real id: nothing carries over */
    hexOf(md, PRINCIPAL_ID_LEN / 2, out);
}

int principalInstanceIs(const PrincipalEntry *e, const char *bound) {
    if (bound && bound[0]) return strcmp(e->id, bound) == 0;
    char v0[PRINCIPAL_ID_LEN + 1];
    principalLegacyId(e, v0);
    return strcmp(e->id, v0) == 0;
}

int principalsUpsert(Principals *ps, const PrincipalEntry *e, int *created, pnError *err) {
    int rc = principalEntryValidate(e, err);
    if (rc != PN_OK) return rc;
    long i = findIndex(ps, e->name);
    long other = certOwner(ps, e->certCn, i);
    if (other >= 0)
        return pnErrorSet(err, PN_EINVAL, "certificate CN '%s' already belongs to principal '%s'",
                          e->certCn, ps->e[other].name);
    if (e->id[0] && (other = idOwner(ps, e->id, i)) >= 0)
        return pnErrorSet(err, PN_EINVAL, "instance id '%s' already belongs to principal '%s'",
                          e->id, ps->e[other].name);
    char id[PRINCIPAL_ID_LEN + 1];
    strCopy(id, sizeof(id), e->id);
    if (!id[0] && i >= 0) strCopy(id, sizeof(id), ps->e[i].id); /* an update: the same instance */
    if (!id[0] && (rc = newId(ps, id, err)) != PN_OK) return rc;
    if (created) *created = i < 0;
    if (i < 0) {
        if (grow(ps) != 0) return pnErrorSet(err, PN_ENOMEM, "out of memory");
        i = (long)ps->n++;
    }
    ps->e[i] = *e;
    memcpy(ps->e[i].id, id, sizeof(id));
    return PN_OK;
}

int principalsRemove(Principals *ps, const char *name, pnError *err) {
    long i = findIndex(ps, name);
    if (i < 0) return pnErrorSet(err, PN_ENOENT, "no principal named '%s'", name);
    memmove(&ps->e[i], &ps->e[i + 1], (ps->n - (size_t)i - 1) * sizeof(ps->e[0]));
    ps->n--;
    return PN_OK;
}

/* ---- validation -------------------------------------------------------- */

int principalNameValid(const char *name) {
    size_t n = 0;
    for (; name[n]; n++) {
        char c = name[n];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
        if (!ok || n >= 63) return 0;
    }
    return n > 0;
}

/* 0 when the field is NUL-terminated within cap and has no control
 * characters; -1 otherwise. */
static int fieldOk(const char *s, size_t cap) {
    const char *end = memchr(s, '\0', cap);
    if (!end) return -1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return -1;
    return 0;
}

static int parseStored(const char *stored, uint64_t *N, uint64_t *r, uint64_t *p,
                       unsigned char *salt, size_t *saltLen, unsigned char *key, size_t *keyLen);

int principalFingerprintParse(const char *text, char out[65]) {
    size_t n = 0;
    for (const char *p = text; *p; p++) {
        char c = *p;
        if (c == ':' && n % 2 == 0 && n > 0 && p[1]) continue;
        if (c >= 'A' && c <= 'F') c = (char)(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) || n >= 64) return -1;
        out[n++] = c;
    }
    out[n] = '\0';
    return n == 64 ? 0 : -1;
}

/* 1 when id is PRINCIPAL_ID_LEN lower-case hex digits within cap. */
static int idValid(const char *id, size_t cap) {
    if (!memchr(id, '\0', cap) || strlen(id) != PRINCIPAL_ID_LEN) return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return 0;
    return 1;
}

int principalEntryValidate(const PrincipalEntry *e, pnError *err) {
    if (fieldOk(e->name, sizeof(e->name)) != 0 || !principalNameValid(e->name))
        return pnErrorSet(err, PN_EINVAL,
                          "invalid principal name (use 1 to 63 letters, digits, '.', '_' or '-')");
    if (fieldOk(e->nation, sizeof(e->nation)) != 0 || !e->nation[0])
        return pnErrorSet(err, PN_EINVAL, "missing or invalid nation");
    if (fieldOk(e->clearance, sizeof(e->clearance)) != 0 || !e->clearance[0])
        return pnErrorSet(err, PN_EINVAL, "missing or invalid clearance");
    if (e->ncois < 0 || e->ncois > PRINCIPAL_MAX_COIS)
        return pnErrorSet(err, PN_EINVAL, "more than %d communities", PRINCIPAL_MAX_COIS);
    if (e->ncaveats < 0 || e->ncaveats > PRINCIPAL_MAX_CAVEATS)
        return pnErrorSet(err, PN_EINVAL, "more than %d caveats", PRINCIPAL_MAX_CAVEATS);
    for (int i = 0; i < e->ncois; i++)
        if (fieldOk(e->cois[i], sizeof(e->cois[i])) != 0 || !e->cois[i][0])
            return pnErrorSet(err, PN_EINVAL, "invalid community %d", i + 1);
    for (int i = 0; i < e->ncaveats; i++)
        if (fieldOk(e->caveats[i], sizeof(e->caveats[i])) != 0 || !e->caveats[i][0])
            return pnErrorSet(err, PN_EINVAL, "invalid caveat %d", i + 1);
    if (fieldOk(e->certCn, sizeof(e->certCn)) != 0)
        return pnErrorSet(err, PN_EINVAL, "invalid certificate CN");
    char fp[65];
    if (e->certSha256[0] &&
        (!memchr(e->certSha256, '\0', sizeof(e->certSha256)) ||
         principalFingerprintParse(e->certSha256, fp) != 0 || strcmp(fp, e->certSha256) != 0))
        return pnErrorSet(err, PN_EINVAL, "\"cert_sha256\" must be 64 lower-case hex digits");
    if (e->certSha256[0] && !e->certCn[0])
        return pnErrorSet(err, PN_EINVAL, "a pinned certificate (cert_sha256) needs a cert_cn");
    if (e->id[0] && !idValid(e->id, sizeof(e->id)))
        return pnErrorSet(err, PN_EINVAL, "\"id\" must be %d lower-case hex digits",
                          PRINCIPAL_ID_LEN);
    if (fieldOk(e->passwordHash, sizeof(e->passwordHash)) != 0)
        return pnErrorSet(err, PN_EINVAL, "invalid password hash");
    if (e->passwordHash[0]) {
        uint64_t N, r, p;
        unsigned char salt[SCRYPT_MAX_BYTES], key[SCRYPT_MAX_BYTES];
        size_t sl, kl;
        if (parseStored(e->passwordHash, &N, &r, &p, salt, &sl, key, &kl) != 0)
            return pnErrorSet(err, PN_EINVAL,
                              "password is not a valid $scrypt$ hash (set it with "
                              "partnernet principal add --password-stdin)");
    }
    return PN_OK;
}

int principalEntryCompile(const PrincipalEntry *e, Principal *out, const Registry *r, const Spif *s,
                          pnError *err) {
    const char *cois[PRINCIPAL_MAX_COIS], *caveats[PRINCIPAL_MAX_CAVEATS];
    int rc = principalEntryValidate(e, err);
    if (rc != PN_OK) return rc;
    for (int i = 0; i < e->ncois; i++)
        cois[i] = e->cois[i];
    for (int i = 0; i < e->ncaveats; i++)
        caveats[i] = e->caveats[i];
    rc = principalCompile(out, e->name, e->nation, e->clearance, cois, (size_t)e->ncois, caveats,
                          (size_t)e->ncaveats, r, s, err);
    if (rc == PN_OK) {
        memcpy(out->instance, e->id, sizeof(out->instance));
        out->instanceV0 = (uint8_t)principalInstanceIs(e, "");
    }
    return rc;
}

/* ---- loading ----------------------------------------------------------- */

/* Copy the string member key of o into dst.  Absent: "" (an error when
 * required).  Returns PN_OK or PN_EINVAL. */
static int getString(json_t *o, const char *key, char *dst, size_t cap, int required,
                     pnError *err) {
    json_t *v = json_object_get(o, key);
    dst[0] = '\0';
    if (!v) return required ? pnErrorSet(err, PN_EINVAL, "missing \"%s\"", key) : PN_OK;
    if (!json_is_string(v)) return pnErrorSet(err, PN_EINVAL, "\"%s\" must be a string", key);
    if (json_string_length(v) != strlen(json_string_value(v)) ||
        strCopy(dst, cap, json_string_value(v)) != 0)
        return pnErrorSet(err, PN_EINVAL, "\"%s\" is longer than %zu bytes or holds NUL", key,
                          cap - 1);
    return PN_OK;
}

/* Read the string array key of o into list (room rows of width bytes). */
static int getList(json_t *o, const char *key, char *list, size_t width, int room, int *n,
                   pnError *err) {
    json_t *a = json_object_get(o, key), *v;
    size_t i;
    *n = 0;
    if (!a) return PN_OK;
    if (!json_is_array(a)) return pnErrorSet(err, PN_EINVAL, "\"%s\" must be an array", key);
    if (json_array_size(a) > (size_t)room)
        return pnErrorSet(err, PN_EINVAL, "\"%s\" has more than %d entries", key, room);
    json_array_foreach(a, i, v) {
        char *dst = list + i * width;
        if (!json_is_string(v) || json_string_length(v) != strlen(json_string_value(v)) ||
            strCopy(dst, width, json_string_value(v)) != 0 || !dst[0])
            return pnErrorSet(err, PN_EINVAL,
                              "\"%s\" entries must be non-empty strings of at most %zu bytes", key,
                              width - 1);
        (*n)++;
    }
    return PN_OK;
}

static const char *const roleNames[] = {"node", "operator"};

unsigned principalRoleParse(const char *name) {
    for (unsigned i = 0; i < sizeof(roleNames) / sizeof(roleNames[0]); i++)
        if (strcmp(name, roleNames[i]) == 0) return 1u << i;
    return 0;
}

static int getRoles(json_t *o, unsigned *roles, pnError *err) {
    char names[8][16];
    int n;
    int rc = getList(o, "roles", &names[0][0], sizeof(names[0]), 8, &n, err);
    for (int i = 0; rc == PN_OK && i < n; i++) {
        unsigned r = principalRoleParse(names[i]);
        if (!r)
            return pnErrorSet(err, PN_EINVAL, "unknown role \"%s\" (use node or operator)",
                              names[i]);
        *roles |= r;
    }
    return rc;
}

static json_t *rolesJson(unsigned roles) {
    json_t *a = json_array();
    for (unsigned i = 0; a && i < sizeof(roleNames) / sizeof(roleNames[0]); i++)
        if (roles & (1u << i)) json_array_append_new(a, json_string(roleNames[i]));
    return a;
}

static int loadEntry(json_t *o, PrincipalEntry *e, pnError *err) {
    static const char *const keys[] = {"name",  "id",         "nation",   "clearance",
                                       "cois",  "caveats",    "password", "cert_cn",
                                       "roles", "cert_sha256"};
    const char *k;
    json_t *v;
    memset(e, 0, sizeof(*e));
    if (!json_is_object(o)) return pnErrorSet(err, PN_EINVAL, "must be an object");
    json_object_foreach(o, k, v) {
        size_t i = 0;
        while (i < sizeof(keys) / sizeof(keys[0]) && strcmp(keys[i], k) != 0)
            i++;
        if (i == sizeof(keys) / sizeof(keys[0]))
            return pnErrorSet(err, PN_EINVAL, "unknown key \"%s\"", k);
    }
    int rc;
    if ((rc = getString(o, "name", e->name, sizeof(e->name), 1, err)) ||
        (rc = getString(o, "id", e->id, sizeof(e->id), 0, err)) ||
        (rc = getString(o, "nation", e->nation, sizeof(e->nation), 1, err)) ||
        (rc = getString(o, "clearance", e->clearance, sizeof(e->clearance), 1, err)) ||
        (rc = getString(o, "password", e->passwordHash, sizeof(e->passwordHash), 0, err)) ||
        (rc = getString(o, "cert_cn", e->certCn, sizeof(e->certCn), 0, err)) ||
        (rc = getString(o, "cert_sha256", e->certSha256, sizeof(e->certSha256), 0, err)) ||
        (rc = getList(o, "cois", &e->cois[0][0], sizeof(e->cois[0]), PRINCIPAL_MAX_COIS, &e->ncois,
                      err)) ||
        (rc = getList(o, "caveats", &e->caveats[0][0], sizeof(e->caveats[0]), PRINCIPAL_MAX_CAVEATS,
                      &e->ncaveats, err)) ||
        (rc = getRoles(o, &e->roles, err)))
        return rc;
    if (!e->id[0]) principalLegacyId(e, e->id); /* written before ids: version 0 */
    return principalEntryValidate(e, err);
}

static int loadDoc(Principals *ps, json_t *doc, const char *path, pnError *err) {
    json_t *arr = json_is_object(doc) ? json_object_get(doc, "principals") : NULL, *o;
    size_t i;
    if (!json_is_array(arr))
        return pnErrorSet(err, PN_EINVAL, "%s: expected {\"principals\": [...]}", path);
    if (json_object_size(doc) != 1)
        return pnErrorSet(err, PN_EINVAL, "%s: unknown top-level key besides \"principals\"", path);
    json_array_foreach(arr, i, o) {
        PrincipalEntry e;
        int rc = loadEntry(o, &e, err);
        if (rc == PN_OK && findIndex(ps, e.name) >= 0)
            rc = pnErrorSet(err, PN_EINVAL, "duplicate principal name");
        if (rc == PN_OK) rc = principalsUpsert(ps, &e, NULL, err);
        if (rc != PN_OK)
            return pnErrorPrefix(err, "%s: principal %zu%s%s%s: ", path, i + 1,
                                 e.name[0] ? " ('" : "", e.name, e.name[0] ? "')" : "");
    }
    return PN_OK;
}

int principalsLoad(Principals *ps, const char *path, pnError *err) {
    char *text = NULL;
    size_t len = 0;
    int fr = fileRead(path, PRINCIPALS_MAX_FILE, &text, &len);
    if (fr == -2)
        return pnErrorSet(err, PN_ELIMIT, "%s: larger than %u bytes", path, PRINCIPALS_MAX_FILE);
    if (fr != 0) {
        if (errno == ENOENT) {
            principalsFree(ps);
            return PN_OK;
        }
        return pnErrorSet(err, errno == ENOMEM ? PN_ENOMEM : PN_EIO, "%s: %s", path,
                          strerror(errno));
    }
    json_error_t je;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    free(text);
    if (!doc) return pnErrorSet(err, PN_EINVAL, "%s:%d: %s", path, je.line, je.text);
    Principals fresh;
    principalsInit(&fresh);
    int rc = loadDoc(&fresh, doc, path, err);
    json_decref(doc);
    if (rc != PN_OK) {
        principalsFree(&fresh);
        return rc;
    }
    principalsFree(ps);
    *ps = fresh;
    return PN_OK;
}

/* ---- saving ------------------------------------------------------------ */

static json_t *entryJson(const PrincipalEntry *e) {
    json_t *o = json_object(), *cois = json_array(), *caveats = json_array();
    int bad = !o || !cois || !caveats;
    for (int i = 0; !bad && i < e->ncois; i++)
        bad = json_array_append_new(cois, json_string(e->cois[i])) != 0;
    for (int i = 0; !bad && i < e->ncaveats; i++)
        bad = json_array_append_new(caveats, json_string(e->caveats[i])) != 0;
    if (!bad)
        bad = json_object_set_new(o, "name", json_string(e->name)) ||
              (e->id[0] && json_object_set_new(o, "id", json_string(e->id))) ||
              json_object_set_new(o, "nation", json_string(e->nation)) ||
              json_object_set_new(o, "clearance", json_string(e->clearance)) ||
              json_object_set(o, "cois", cois) || json_object_set(o, "caveats", caveats) ||
              (e->passwordHash[0] &&
               json_object_set_new(o, "password", json_string(e->passwordHash))) ||
              (e->certCn[0] && json_object_set_new(o, "cert_cn", json_string(e->certCn))) ||
              (e->certSha256[0] &&
               json_object_set_new(o, "cert_sha256", json_string(e->certSha256))) ||
              (e->roles && json_object_set_new(o, "roles", rolesJson(e->roles)));
    json_decref(cois);
    json_decref(caveats);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The whole file as text (free() it), or NULL when out of memory. */
static char *encode(const Principals *ps) {
    json_t *arr = json_array(), *doc = json_object();
    char *text = NULL;
    int bad = !arr || !doc;
    for (size_t i = 0; !bad && i < ps->n; i++)
        bad = json_array_append_new(arr, entryJson(&ps->e[i])) != 0;
    if (!bad && json_object_set(doc, "principals", arr) == 0)
        text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(arr);
    json_decref(doc);
    return text;
}

int principalsSave(const Principals *ps, const char *path, pnError *err) {
    char *text = encode(ps);
    if (!text) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    size_t n = strlen(text);
    text[n] = '\n'; /* the terminator becomes the final newline */
    int rc = fileWriteAtomic(path, text, n + 1, 0600, err);
    free(text);
    return rc;
}

/* ---- passwords --------------------------------------------------------- */

/* Decode n characters of padded base64 into out (room cap).  Returns the
 * byte count or -1. */
static int b64Decode(const char *s, size_t n, unsigned char *out, size_t cap) {
    unsigned char buf[(SCRYPT_MAX_BYTES + 2) / 3 * 3];
    if (n == 0 || n % 4 != 0 || n / 4 * 3 > sizeof(buf)) return -1;
    size_t pad = (s[n - 1] == '=') + (s[n - 2] == '=');
    for (size_t i = 0; i < n - pad; i++)
        if (s[i] == '=') return -1;
    int got = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)n);
    if (got < 0 || (size_t)got != n / 4 * 3 || (size_t)got - pad > cap) return -1;
    memcpy(out, buf, (size_t)got - pad);
    OPENSSL_cleanse(buf, sizeof(buf));
    return (int)((size_t)got - pad);
}

/* Read "KEY=<digits>" at *s (KEY including any leading ','), advancing *s. */
static int parseParam(const char **s, const char *key, uint64_t max, uint64_t *v) {
    size_t k = strlen(key);
    const char *p = *s;
    if (strncmp(p, key, k) != 0) return -1;
    p += k;
    if (*p < '0' || *p > '9') return -1;
    for (*v = 0; *p >= '0' && *p <= '9'; p++) {
        *v = *v * 10 + (uint64_t)(*p - '0');
        if (*v > max) return -1;
    }
    *s = p;
    return 0;
}

static int parseStored(const char *stored, uint64_t *N, uint64_t *r, uint64_t *p,
                       unsigned char *salt, size_t *saltLen, unsigned char *key, size_t *keyLen) {
    const char *s = stored;
    if (!s || strncmp(s, SCRYPT_PREFIX, strlen(SCRYPT_PREFIX)) != 0) return -1;
    s += strlen(SCRYPT_PREFIX);
    if (parseParam(&s, "N=", SCRYPT_MAX_N, N) || parseParam(&s, ",r=", SCRYPT_MAX_R, r) ||
        parseParam(&s, ",p=", SCRYPT_MAX_P, p) || *s++ != '$')
        return -1;
    if (*N < 2 || (*N & (*N - 1)) || *r < 1 || *p < 1 || 128 * *r * *N > SCRYPT_MAX_MEM) return -1;
    const char *dollar = strchr(s, '$');
    if (!dollar) return -1;
    int sl = b64Decode(s, (size_t)(dollar - s), salt, SCRYPT_MAX_BYTES);
    int kl = b64Decode(dollar + 1, strlen(dollar + 1), key, SCRYPT_MAX_BYTES);
    if (sl < 8 || kl < 16) return -1;
    *saltLen = (size_t)sl;
    *keyLen = (size_t)kl;
    return 0;
}

static int scrypt(const char *password, size_t len, const unsigned char *salt, size_t saltLen,
                  uint64_t N, uint64_t r, uint64_t p, unsigned char *key, size_t keyLen) {
    uint64_t mem = 128 * r * (N + p + 2) + (1u << 16);
    return EVP_PBE_scrypt(password, len, salt, saltLen, N, r, p, mem, key, keyLen) == 1 ? 0 : -1;
}

int passwordHash(const char *password, char *out, size_t cap, pnError *err) {
    unsigned char salt[SCRYPT_SALT], key[SCRYPT_KEY];
    char salt64[4 * ((SCRYPT_SALT + 2) / 3) + 1], key64[4 * ((SCRYPT_KEY + 2) / 3) + 1];
    if (!password || !password[0]) return pnErrorSet(err, PN_EINVAL, "empty password");
    if (strlen(password) > PRINCIPAL_PASSWORD_MAX)
        return pnErrorSet(err, PN_ELIMIT,
                          "password longer than %d bytes (the longest MQTT CONNECT accepts)",
                          PRINCIPAL_PASSWORD_MAX);
    if (RAND_bytes(salt, sizeof(salt)) != 1)
        return pnErrorSet(err, PN_EIO, "the random number generator failed");
    if (scrypt(password, strlen(password), salt, sizeof(salt), SCRYPT_N, SCRYPT_R, SCRYPT_P, key,
               sizeof(key)) != 0)
        return pnErrorSet(err, PN_EIO, "scrypt failed");
    EVP_EncodeBlock((unsigned char *)salt64, salt, sizeof(salt));
    EVP_EncodeBlock((unsigned char *)key64, key, sizeof(key));
    OPENSSL_cleanse(key, sizeof(key));
    int n = snprintf(out, cap, SCRYPT_PREFIX "N=%d,r=%d,p=%d$%s$%s", SCRYPT_N, SCRYPT_R, SCRYPT_P,
                     salt64, key64);
    OPENSSL_cleanse(key64, sizeof(key64));
    if (n < 0 || (size_t)n >= cap) {
        if (cap) out[0] = '\0';
        return pnErrorSet(err, PN_ELIMIT, "password hash needs %d bytes", n + 1);
    }
    return PN_OK;
}

int passwordVerify(const char *password, const char *stored) {
    return password ? passwordVerifyLen(password, strlen(password), stored) : 0;
}

int passwordVerifyLen(const void *password, size_t len, const char *stored) {
    uint64_t N, r, p;
    unsigned char salt[SCRYPT_MAX_BYTES], want[SCRYPT_MAX_BYTES], got[SCRYPT_MAX_BYTES];
    size_t sl, kl;
    if (!password || parseStored(stored, &N, &r, &p, salt, &sl, want, &kl) != 0) return 0;
    /* Every byte counts: the key is derived from all len bytes, and a NUL
     * (which no stored password holds) is refused after the same work. */
    int ok = scrypt(password, len, salt, sl, N, r, p, got, kl) == 0 &&
             CRYPTO_memcmp(got, want, kl) == 0 && !memchr(password, '\0', len);
    OPENSSL_cleanse(got, sizeof(got));
    OPENSSL_cleanse(want, sizeof(want));
    return ok;
}

const PrincipalEntry *principalsCheckPassword(const Principals *ps, const char *name,
                                              const char *password) {
    /* A random salt and key with the parameters of new hashes: no password
     * is known to match, and an unknown name (or one without a password)
     * costs the same scrypt work as a real check. */
    static const char dummy[] = SCRYPT_PREFIX "N=16384,r=8,p=1$6zUUQF8fJpXLm7KgrJcdHw==$"
                                              "lDxyZXQjcmjd0PIbEDPkN0G8iJ6PnoCRXYF4KCXhETc=";
    long i = name ? findIndex(ps, name) : -1;
    const char *stored = i >= 0 && ps->e[i].passwordHash[0] ? ps->e[i].passwordHash : dummy;
    int ok = passwordVerify(password, stored);
    return ok && stored != dummy ? &ps->e[i] : NULL;
}
