/*
 * principals.h -- the principals store: who may connect, and as whom.
 *
 * A principal is a user, a client certificate or a peer node with a
 * nationality, a clearance, communities of interest and caveats.  The node
 * keeps them in one JSON file (by default var/principals.json):
 *
 *   {"principals": [
 *     {"name": "alice", "nation": "SWE", "clearance": "NS",
 *      "cois": ["SAMPLE-NORTH"], "caveats": ["ATOMAL"],
 *      "password": "$scrypt$N=16384,r=8,p=1$<salt b64>$<key b64>",
 *      "cert_cn": "alice.swe"}]}
 *
 * "password" and "cert_cn" are optional; "cois" and "caveats" default to
 * empty.  A password is only ever stored as a salted scrypt hash.  The
 * MQTT username is the principal's name; a TLS client certificate maps to
 * the principal whose cert_cn equals its common name.
 *
 * "cert_sha256" (optional, beside "cert_cn") pins the one certificate
 * accepted for the CN: its SHA-256 fingerprint.  A CN names whoever holds
 * the entry now, so without a pin a certificate issued to a removed
 * principal still works for a new one with the same CN (revoke it at the
 * CA, or pin); with a pin, only that certificate does.
 *
 * "id" names the principal instance: 16 hex digits, random, given when
 * the principal is added and kept when it is updated.  Removing a
 * principal and adding one of the same name makes another instance, and
 * what was bound to the old one -- bearer tokens, persistent sessions --
 * does not carry over: a name is not an identity.  An entry written
 * before ids existed has none in the file; it gets the "version 0" id
 * derived from its name, password hash and certificate CN
 * (principalLegacyId), so the same file always gives the same ids, and
 * the first save writes it.  Tokens and sessions recorded without an
 * instance id belong to that version 0 instance only.
 *
 * Loading checks the file's shape (names, lengths, duplicates, hash
 * syntax) but not the registry: whether the nation, clearance, COIs and
 * caveats exist is answered by principalEntryCompile(), against the
 * registry and policy the node runs with.
 *
 * A Principals set is plain data owned by one thread; it may be read by
 * any number of threads while nobody changes it.
 */
#ifndef PN_PRINCIPALS_H
#define PN_PRINCIPALS_H

#include <stddef.h>

#include "../core/err.h"
#include "../label/spif.h"
#include "../policy/decide.h"
#include "../registry/registry.h"

#define PRINCIPAL_MAX_COIS 16
#define PRINCIPAL_MAX_CAVEATS 16
/* Roles: "node" -- a peer node's federation link (every release to it and
 * every refusal is audited); "operator" -- may query the audit trail. */
#define PRINCIPAL_ROLE_NODE 1u
#define PRINCIPAL_ROLE_OPERATOR 2u
#define PRINCIPALS_MAX_FILE (16u << 20) /* a principals file larger than this is a mistake */
#define PRINCIPAL_ID_LEN 16             /* hex digits of an instance id */
/* The longest password, in bytes: the same at `principal add` and at MQTT
 * CONNECT, so a password that is accepted can also log in. */
#define PRINCIPAL_PASSWORD_MAX 255

/* Parse a role name ("node", "operator"); 0 when unknown. */
unsigned principalRoleParse(const char *name);

/* One principal as stored.  Every string is NUL-terminated; "" = absent. */
typedef struct PrincipalEntry {
    char name[64];                 /* [A-Za-z0-9._-]{1,63}; the MQTT username */
    char id[PRINCIPAL_ID_LEN + 1]; /* instance id ("id" in the file), never reused */
    char nation[8];
    char clearance[8]; /* NU NR NC NS CTS */
    char cois[PRINCIPAL_MAX_COIS][40];
    int ncois;
    char caveats[PRINCIPAL_MAX_CAVEATS][48];
    int ncaveats;
    char passwordHash[256]; /* "$scrypt$..." or "" (no password login) */
    char certCn[128];       /* client certificate common name or "" */
    char certSha256[65];    /* "" or the pinned certificate's SHA-256 (64 hex digits) */
    unsigned roles;         /* PRINCIPAL_ROLE_* bits ("roles" in the file) */
} PrincipalEntry;

typedef struct Principals {
    PrincipalEntry *e; /* n entries, in file order */
    size_t n, cap;
} Principals;

/* Make ps empty.  No allocation happens until the first entry. */
void principalsInit(Principals *ps);

/* Release the entries; ps is empty again and may be reused. */
void principalsFree(Principals *ps);

/*
 * Read the principals file at path into ps (initialised), replacing what
 * ps held.  A file that does not exist is an empty set (PN_OK).  Errors:
 * PN_EINVAL for bad JSON ("file:line: message") or a bad entry ("file:
 * principal N ('name'): what") -- an unknown key, a name outside
 * [A-Za-z0-9._-]{1,63}, a duplicate name or certificate CN, a value too
 * long, a password that is not a "$scrypt$" hash; PN_ELIMIT past
 * PRINCIPALS_MAX_FILE; PN_EIO when the file cannot be read; PN_ENOMEM.
 * On error ps is unchanged.
 */
int principalsLoad(Principals *ps, const char *path, pnError *err);

/*
 * Write ps to path atomically and durably: a temporary file beside it
 * (mode 0600) is written and fsynced, renamed over path, and the directory
 * is fsynced.  The directory must exist.  Afterwards path holds either the
 * old or the new content, never a mixture.  Returns PN_OK, PN_EIO (with
 * the system's reason) or PN_ENOMEM; the temporary file is removed on
 * error.
 */
int principalsSave(const Principals *ps, const char *path, pnError *err);

/* The entry named name (exact, case-sensitive), or NULL.  The pointer is
 * valid until ps next changes. */
PrincipalEntry *principalsFind(Principals *ps, const char *name);

/* The entry whose certCn equals cn (exact), or NULL; "" never matches. */
const PrincipalEntry *principalsFindCert(const Principals *ps, const char *cn);

/*
 * Add e, or replace the entry of the same name (keeping its position).
 * e is copied.  A replaced entry keeps its instance id when e has none; a
 * new entry without one gets a fresh random id.  *created (optional) is
 * set to 1 when e was added, 0 when it replaced an entry.  PN_EINVAL when
 * principalEntryValidate() refuses e, another entry already has e's
 * certificate CN or e's id; PN_EIO when the random generator fails;
 * PN_ENOMEM.
 */
int principalsUpsert(Principals *ps, const PrincipalEntry *e, int *created, pnError *err);

/* Remove the entry named name, keeping the order of the others.  PN_OK,
 * or PN_ENOENT ("no principal named 'x'"). */
int principalsRemove(Principals *ps, const char *name, pnError *err);

/* The version 0 instance id of e (for entries saved without an "id"):
 * the first 8 bytes of SHA-256 over its name, password hash and
 * certificate CN, in hex, into out. */
void principalLegacyId(const PrincipalEntry *e, char out[PRINCIPAL_ID_LEN + 1]);

/* 1 when a token or session bound to instance id bound (NULL or "": it
 * was recorded before instance ids existed) belongs to e's instance: the
 * ids are equal, or bound is empty and e still is its version 0
 * instance.  0 otherwise. */
int principalInstanceIs(const PrincipalEntry *e, const char *bound);

/* Normalise a SHA-256 fingerprint -- 64 hex digits, in either case,
 * optionally in pairs separated by ':' (as `openssl x509 -fingerprint`
 * prints it) -- into out as 64 lower-case hex digits.  0, or -1 when text
 * is not one. */
int principalFingerprintParse(const char *text, char out[65]);

/* 1 when name matches [A-Za-z0-9._-]{1,63}, else 0. */
int principalNameValid(const char *name);

/*
 * Check e's shape as principalsLoad() does: valid name, nation and
 * clearance present, counts in range, every string terminated and free of
 * control characters, password empty or a well-formed "$scrypt$" hash.
 * Returns PN_OK or PN_EINVAL with a sentence.
 */
int principalEntryValidate(const PrincipalEntry *e, pnError *err);

/*
 * Compile e into the Principal that decide() reads, looking its nation,
 * clearance, COIs and caveats up in r and s (see principalCompile).
 * Returns PN_OK or PN_EINVAL ("unknown nation or framework 'XYZ'", ...).
 */
int principalEntryCompile(const PrincipalEntry *e, Principal *out, const Registry *r, const Spif *s,
                          pnError *err);

/*
 * Hash password with scrypt (N=16384, r=8, p=1, a 16-byte random salt, a
 * 32-byte key) into out as "$scrypt$N=16384,r=8,p=1$<salt>$<key>" (base64).
 * About 100 bytes; cap 256 is always enough.  PN_EINVAL for an empty
 * password, PN_ELIMIT for one longer than PRINCIPAL_PASSWORD_MAX bytes
 * (it could never log in) or when out is too small, PN_EIO when the random
 * generator or scrypt fails.  Takes tens of milliseconds and 16 MiB.
 */
int passwordHash(const char *password, char *out, size_t cap, pnError *err);

/*
 * 1 when password matches the stored hash, 0 otherwise -- also when stored
 * is NULL, empty, malformed or asks for parameters beyond N=2^20, r=32,
 * p=16 or 256 MiB.  The keys are compared in constant time.
 */
int passwordVerify(const char *password, const char *stored);

/* As passwordVerify for the len bytes at password, every one of them:
 * a password with a NUL byte never matches (none can be stored), so
 * "abc\0zzz" is not "abc". */
int passwordVerifyLen(const void *password, size_t len, const char *stored);

/*
 * Password login: the entry named name when it has a password and password
 * matches it, else NULL.  An unknown name costs the same scrypt work as a
 * known one, so timing does not tell which names exist.
 */
const PrincipalEntry *principalsCheckPassword(const Principals *ps, const char *name,
                                              const char *password);

#endif
