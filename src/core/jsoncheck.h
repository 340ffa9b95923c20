/*
 * jsoncheck.h -- is a byte string one JSON value (RFC 8259)?
 *
 * History answers copy a JSON payload into the response as it is; a
 * payload that claims to be JSON (an MQTT publisher can set any content
 * type) is checked here first, without allocating, so a bad one is sent
 * as base64 instead and never breaks the answer.
 */
#ifndef PN_JSONCHECK_H
#define PN_JSONCHECK_H

#include <stddef.h>

#define JSONCHECK_MAX_DEPTH 64

/* 1 when the n bytes at p are exactly one JSON value (white space around
 * it allowed; strings valid UTF-8 without raw control characters; nesting
 * at most JSONCHECK_MAX_DEPTH), else 0. */
int jsonCheck(const char *p, size_t n);

#endif
