/*
 * cursor.h -- opaque history cursors: a log offset sealed so that the
 * caller can neither read it nor make one up.
 *
 * GET /v1/messages hands out as "next" the id of the last message it
 * returned when that id is this node's (its sequence is the log offset,
 * and the caller saw the message).  Otherwise -- the last message returned
 * came from another node, or the page returned no message (at the scan
 * bound or at the end of the log, alike) -- the position to continue from is a log
 * offset the caller must not learn, since offsets count every message the
 * node holds.  Such a position is sealed with AES-256-GCM under a key kept
 * in DATA/cursor.key (created on first use, mode 0600) with a fresh random
 * nonce, so two cursors for the same offset differ and nothing about the
 * offset shows.  A cursor survives restarts (the key is kept); a cursor
 * that does not open is refused (400 bad_since).
 *
 * Text form: "c_" followed by 48 base64url characters.
 */
#ifndef PN_HTTP_CURSOR_H
#define PN_HTTP_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include "../core/err.h"

#define CURSOR_KEY_BYTES 32
#define CURSOR_TEXT_MAX 64 /* room for the text and its NUL */

/*
 * Read the key from path, or create path with a new random key (mode 0600,
 * written atomically) when it does not exist.  Returns PN_OK with key set,
 * PN_EIO (unreadable, wrong size, cannot write) or PN_ENOMEM.
 */
int cursorKeyLoad(const char *path, unsigned char key[CURSOR_KEY_BYTES], pnError *err);

/* Seal off into out (CURSOR_TEXT_MAX bytes).  Returns 0, or -1 when the
 * random source or the cipher failed. */
int cursorSeal(const unsigned char key[CURSOR_KEY_BYTES], uint64_t off, char *out);

/* 1 when text looks like a sealed cursor ("c_" prefix), else 0. */
int cursorIs(const char *text);

/* Open a sealed cursor: 0 with *off set, or -1 when text is not one this
 * key sealed (malformed, altered, or from another node). */
int cursorOpen(const unsigned char key[CURSOR_KEY_BYTES], const char *text, uint64_t *off);

#endif
