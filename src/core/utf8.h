/*
 * utf8.h -- the one UTF-8 validator (RFC 3629).
 *
 * Topic names, MQTT strings and JSON payloads all come from the network and
 * must be well-formed UTF-8: shortest form, no surrogates, nothing beyond
 * U+10FFFF.  Each of them once had its own decoder and fuzzing found a bug
 * in one; they now share this one, fuzzed by fuzz/fuzz_utf8.c.  What each
 * caller forbids on top (U+0000 in MQTT, controls in topics and JSON
 * strings) it checks on the code points this gives it.
 */
#ifndef PN_UTF8_H
#define PN_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decode the character at p (n > 0 bytes available) into *cp.  Returns its
 * length (1..4), or 0 when the bytes there are not one well-formed
 * character: truncated, overlong, a surrogate, beyond U+10FFFF or a stray
 * continuation byte (*cp is then unchanged). */
size_t utf8Decode(const unsigned char *p, size_t n, uint32_t *cp);

/* 1 when the len bytes at s are well-formed UTF-8 throughout (U+0000
 * included: it is a character), else 0.  s may be NULL when len is 0. */
int utf8Valid(const void *s, size_t len);

#endif
