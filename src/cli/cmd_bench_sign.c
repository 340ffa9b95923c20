/*
 * cmd_bench_sign.c -- `partnernet bench sign`: what origin signatures cost.
 *
 * Four rates on one thread, each for a quarter of --seconds: Ed25519
 * signatures (one per batch root), messages signed in batches of 64 as the
 * group commit does (leaf of a 512-byte payload, tree, one signature),
 * single messages verified without the cache (a signature check each), and
 * messages of batches verified with the cache (one signature check per
 * batch, a leaf and a path per message) as an importing node does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/sign.h"
#include "cli.h"

#define BATCH SIGN_BATCH_MAX

static double nowS(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct Bench {
    SignKey *key;
    SignTrust trust;
    uint8_t payload[BATCH][512];
    char topic[BATCH][32];
    SignFields f[BATCH];
    uint8_t leaves[BATCH][32];
    char *tok[BATCH];
} Bench;

static void fieldsInit(Bench *b, uint64_t seq) {
    for (int i = 0; i < BATCH; i++) {
        memset(b->payload[i], (int)(seq + (uint64_t)i), sizeof(b->payload[i]));
        snprintf(b->topic[i], sizeof(b->topic[i]), "bench/%d", i);
        b->f[i] = (SignFields){"hq",
                               2,
                               seq + (uint64_t)i,
                               1764000000,
                               b->topic[i],
                               strlen(b->topic[i]),
                               "NATO UNCLASSIFIED",
                               17,
                               b->payload[i],
                               sizeof(b->payload[i]),
                               NULL,
                               0};
    }
}

static int signOnce(Bench *b) {
    for (int i = 0; i < BATCH; i++)
        signLeaf(&b->f[i], b->leaves[i]);
    if (signBatch(b->key, (const uint8_t(*)[32])b->leaves, BATCH, b->tok, NULL) != PN_OK) return -1;
    return 0;
}

static void freeTokens(Bench *b) {
    for (int i = 0; i < BATCH; i++)
        free(b->tok[i]), b->tok[i] = NULL;
}

static int run(Bench *b, double seconds) {
    double t0 = nowS(), t;
    uint64_t n = 0;
    /* 1. signatures alone: batches of one */
    for (t = t0; t - t0 < seconds; t = nowS(), n++) {
        char *tok;
        if (signBatch(b->key, (const uint8_t(*)[32])b->leaves, 1, &tok, NULL) != PN_OK) return -1;
        free(tok);
    }
    printf("sign: %.0f Ed25519 signatures/s (one per batch root)\n", (double)n / (t - t0));
    /* 2. batches of 64 as the commit signs them */
    t0 = nowS(), n = 0;
    for (t = t0; t - t0 < seconds; t = nowS(), n += BATCH) {
        if (signOnce(b) != 0) return -1;
        freeTokens(b);
    }
    printf("sign in batches of %d (512-byte payloads): %.0f messages/s\n", BATCH,
           (double)n / (t - t0));
    if (signOnce(b) != 0) return -1;
    char why[300];
    /* 3. single messages, no cache */
    t0 = nowS(), n = 0;
    for (t = t0; t - t0 < seconds; t = nowS(), n++)
        if (signVerify(&b->trust, NULL, &b->f[n % BATCH], b->tok[n % BATCH],
                       strlen(b->tok[n % BATCH]), why, sizeof(why)) != 0)
            return -1;
    printf("verify: %.0f messages/s (each its own signature check)\n", (double)n / (t - t0));
    /* 4. batches with the cache: a new batch (new root) every 64 */
    freeTokens(b);
    t0 = nowS(), n = 0;
    uint64_t seq = 1;
    double signing = 0;
    for (t = t0; t - t0 < seconds + signing; t = nowS()) {
        double s0 = nowS();
        fieldsInit(b, seq += BATCH);
        if (signOnce(b) != 0) return -1;
        SignCache c;
        signCacheInit(&c);
        signing += nowS() - s0;
        for (int i = 0; i < BATCH; i++, n++)
            if (signVerify(&b->trust, &c, &b->f[i], b->tok[i], strlen(b->tok[i]), why,
                           sizeof(why)) != 0)
                return -1;
        freeTokens(b);
    }
    printf("verify in batches of %d (one signature check per batch): %.0f messages/s\n", BATCH,
           (double)n / (t - t0 - signing));
    return 0;
}

int benchSign(Cli *cli, double seconds) {
    (void)cli;
    char dir[] = "/tmp/pn-bench-sign.XXXXXX", path[64];
    if (!mkdtemp(dir)) return cliFail("bench", "cannot make a temporary directory");
    snprintf(path, sizeof(path), "%s/node.key", dir);
    Bench *b = calloc(1, sizeof(*b));
    pnError err = {0};
    int rc = b ? signKeyLoad(path, 1, &b->key, NULL, &err) : PN_ENOMEM;
    unlink(path);
    rmdir(dir);
    if (rc != PN_OK) {
        free(b);
        return cliFail("bench", "no key: %s", err.msg);
    }
    signTrustInit(&b->trust);
    fieldsInit(b, 1);
    rc = signTrustSelf(&b->trust, b->key, "hq") == PN_OK ? run(b, seconds / 4) : -1;
    freeTokens(b);
    signTrustFree(&b->trust);
    signKeyFree(b->key);
    free(b);
    return rc == 0 ? CLI_OK : cliFail("bench", "signing or verifying failed");
}
