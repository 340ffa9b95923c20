/*
 * fuzz_sig_check.h -- the property of fuzz/fuzz_sig.c: checking origin
 * signatures and label bindings on input a relay or a file controls.
 * Shared with tests/unit/test_fuzz_regress.c.
 *
 * Input: byte 0 chooses.  Even: the rest up to the first newline is a
 * signature token, after it the payload of a message from origin hq
 * (signVerify against a trust holding one fixed key for hq).  Odd: the
 * rest is a binding data object for the data "data" (bindingVerify under
 * the shipped policy).
 *
 * Properties: the answer is -1 with a reason (nothing here was signed by
 * the trusted key, and Ed25519 cannot be forged), the reason is a
 * terminated, non-empty sentence, and checking twice gives the same
 * answer (the verified-root cache changes nothing).  Crashes, leaks and
 * undefined behaviour are the sanitizers'.
 */
#ifndef PN_FUZZ_SIG_CHECK_H
#define PN_FUZZ_SIG_CHECK_H

#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

#include "../src/core/sign.h"
#include "../src/label/binding.h"
#include "fuzz_checks.h"

/* A fixed Ed25519 public key (RFC 8032 test 1) trusted for hq. */
static const uint8_t fuzzSigKey[32] = {
    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};

static inline int fuzzSigTrust(SignTrust *t) {
    char path[] = "/tmp/fuzz_sig.XXXXXX", pub[48];
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    EVP_EncodeBlock((unsigned char *)pub, fuzzSigKey, 32);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "hq %s\n", pub);
    fclose(f);
    signTrustInit(t);
    int rc = signTrustLoad(t, path, NULL);
    unlink(path);
    return rc == PN_OK && t->nkeys == 1 ? 0 : -1;
}

static inline int fuzzSigAnswer(int rc, const char *why, char *out, size_t cap) {
    if (rc == 0) return snprintf(out, cap, "accepted input nobody signed"), -1;
    if (!memchr(why, '\0', 300) || !why[0]) return snprintf(out, cap, "no reason given"), -1;
    return 0;
}

static inline int fuzzCheckSig(FuzzEnv *e, const uint8_t *d, size_t n, char *why, size_t cap) {
    SignTrust t;
    if (n == 0) return 0;
    if (fuzzSigTrust(&t) != 0) return snprintf(why, cap, "cannot make the trust"), -1;
    char r1[300], r2[300];
    int a, b;
    if (d[0] % 2 == 0) {
        const uint8_t *nl = memchr(d + 1, '\n', n - 1);
        size_t tl = nl ? (size_t)(nl - d - 1) : n - 1;
        const uint8_t *pl = nl ? nl + 1 : d + n;
        SignFields f = {"hq",
                        2,
                        1,
                        1764000000,
                        "t",
                        1,
                        "NATO UNCLASSIFIED",
                        17,
                        pl,
                        (size_t)(d + n - pl),
                        "text/plain",
                        10};
        SignCache c;
        signCacheInit(&c);
        a = signVerify(&t, &c, &f, (const char *)d + 1, tl, r1, sizeof(r1));
        b = signVerify(&t, &c, &f, (const char *)d + 1, tl, r2, sizeof(r2));
    } else {
        a = bindingVerify(&t, &e->spif, (const char *)d + 1, n - 1, (const uint8_t *)"data", 4,
                          NULL, r1, sizeof(r1));
        b = bindingVerify(&t, &e->spif, (const char *)d + 1, n - 1, (const uint8_t *)"data", 4,
                          NULL, r2, sizeof(r2));
    }
    signTrustFree(&t);
    if (a != b || (a != 0 && strcmp(r1, r2) != 0))
        return snprintf(why, cap, "two checks disagree: %s / %s", r1, r2), -1;
    return fuzzSigAnswer(a, r1, why, cap);
}

#endif
