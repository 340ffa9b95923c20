/*
 * token.h -- bearer tokens for the HTTP API.
 *
 * A token is 32 random bytes written as "pn_" and 43 characters of
 * unpadded base64url.  It is shown once, when created; the node keeps only
 * its SHA-256, in DATA/tokens.json:
 *
 *   {"tokens": [{"id": "3f9a0c1b2d4e", "sha256": "<64 hex digits>",
 *                "principal": "alice", "principal_id": "<16 hex digits>",
 *                "created": "2026-11-23T12:00:00Z",
 *                "revoked": "2026-11-24T08:00:00Z"}]}
 *
 * The id is the first 12 hex digits of the hash: it names a token in
 * listings and in `partnernet token revoke` without revealing it.
 * "principal_id" is the principal instance the token was issued to (see
 * principals.h): a token authenticates only that instance, never a later
 * principal of the same name; a token without it (made before instance
 * ids) belongs to the principal's version 0 instance.
 * "revoked" is absent while the token is valid.  The file is replaced
 * atomically (mode 0600) on every change.
 *
 * A running node calls tokenStoreRefresh() before it authenticates: when
 * the file changed (another mtime, size or inode) it is read again, so a
 * token created or revoked by the CLI counts from the next request on,
 * without a restart.
 *
 * A TokenStore belongs to one thread.
 */
#ifndef PN_HTTP_TOKEN_H
#define PN_HTTP_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "../core/err.h"

#define TOKEN_TEXT_LEN 46 /* "pn_" + 43: the size of a token without its NUL */
#define TOKEN_ID_LEN 12
#define TOKENS_MAX_FILE (16u << 20)

typedef struct TokenEntry {
    char id[TOKEN_ID_LEN + 1];
    uint8_t hash[32]; /* SHA-256 of the token text */
    char principal[64];
    char principalId[17]; /* the principal instance it was issued to ("" before ids) */
    int64_t created;
    int64_t revoked; /* 0 while valid */
} TokenEntry;

typedef struct TokenStore {
    char path[4096];
    TokenEntry *e;
    size_t n, cap;
    /* the file as last read, to notice changes */
    int64_t mtimeNs;
    uint64_t ino, size;
    int seen;
} TokenStore;

/* Start an empty store for the file path (copied).  Returns PN_OK or
 * PN_ELIMIT when path is too long.  Pair with tokenStoreFree(). */
int tokenStoreInit(TokenStore *ts, const char *path, pnError *err);

/* Release the entries. */
void tokenStoreFree(TokenStore *ts);

/* Read the file, replacing the entries.  A file that does not exist is an
 * empty store.  PN_EINVAL for a malformed file ("PATH: what"), PN_EIO,
 * PN_ELIMIT past TOKENS_MAX_FILE, PN_ENOMEM; on error ts is unchanged. */
int tokenStoreLoad(TokenStore *ts, pnError *err);

/* Read the file again if it changed since the last load.  *changed
 * (optional) is set to 1 when it was read.  Errors as tokenStoreLoad; the
 * old entries stay in force then. */
int tokenStoreRefresh(TokenStore *ts, int *changed, pnError *err);

/* Write the entries to the file atomically.  PN_OK, PN_EIO or PN_ENOMEM. */
int tokenStoreSave(TokenStore *ts, pnError *err);

/*
 * Make a new token for principal (not checked here) created at now, and
 * add its entry (not saved: call tokenStoreSave).  The token text goes to
 * text (cap >= TOKEN_TEXT_LEN + 1), *out (optional) points to the entry
 * until ts changes.  PN_EINVAL for a bad principal name, PN_EIO when the
 * random generator fails, PN_ENOMEM.
 */
int tokenCreate(TokenStore *ts, const char *principal, int64_t now, char *text, size_t cap,
                const TokenEntry **out, pnError *err);

/* As tokenCreate, bound to the principal instance principalId (16 hex
 * digits, or "" for none).  PN_EINVAL also for a malformed principalId. */
int tokenCreateFor(TokenStore *ts, const char *principal, const char *principalId, int64_t now,
                   char *text, size_t cap, const TokenEntry **out, pnError *err);

/* Revoke at now every valid token issued to a principal named principal
 * (not saved).  Returns how many were revoked. */
size_t tokenRevokePrincipal(TokenStore *ts, const char *principal, int64_t now);

/* Bind every valid token of principal that has no instance id (made
 * before ids existed) to principalId (not saved): done before the entry
 * changes what its version 0 id would be, so they keep working for it.
 * Returns how many were bound. */
size_t tokenBindPrincipal(TokenStore *ts, const char *principal, const char *principalId);

/* Mark the token given as its text or its id revoked at now (not saved).
 * PN_ENOENT when no token matches; revoking a revoked token is PN_OK and
 * keeps the first time.  *out (optional) points to the entry. */
int tokenRevoke(TokenStore *ts, const char *textOrId, int64_t now, const TokenEntry **out,
                pnError *err);

/* The valid (not revoked) entry whose hash is that of the len bytes of
 * text, or NULL.  Hashes are compared in constant time. */
const TokenEntry *tokenLookup(const TokenStore *ts, const char *text, size_t len);

#endif
