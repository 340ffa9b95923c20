/*
 * cmd_bench.c -- `partnernet bench decide`: how fast is the one decision?
 * (`bench sign` is in cmd_bench_sign.c.)
 *
 * Throughput: a fixed pool of compiled labels and principals is decided
 * round-robin on one thread for a fixed time.  Latency: single decisions
 * timed one by one with CLOCK_MONOTONIC; the timer's own cost (measured
 * and printed) is included, so the percentiles are upper bounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/date.h"
#include "cli.h"

#define BENCH_LABELS 1024
#define BENCH_PRINCIPALS 64
#define BENCH_SAMPLES 1000000
#define BENCH_DATES 65536 /* a power of two: the index is a mask */

static uint64_t nowNs(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: fast, deterministic, good enough to pick test inputs. */
static uint64_t rnd(uint64_t *s) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static int u64cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* A random valid label: classification, up to 6 release values, maybe a caveat. */
static void randomLabel(const Spif *s, uint64_t *seed, DecideLabel *out) {
    Label l;
    labelInit(&l, s);
    l.cls = (int)(rnd(seed) % s->nclasses);
    int rel = s->releaseTagSet;
    int nv = (int)(rnd(seed) % 7);
    for (int k = 0; k < nv && rel >= 0; k++) {
        int v = (int)(rnd(seed) % s->tagsets[rel].nvalues);
        if (!(s->tagsets[rel].values[v].excluded & (1u << l.cls))) labelAddCat(&l, rel, v);
    }
    for (size_t t = 0; t < s->ntagsets; t++)
        if (s->tagsets[t].type == TAG_RESTRICTIVE && rnd(seed) % 8 == 0) {
            int v = (int)(rnd(seed) % s->tagsets[t].nvalues);
            if (!(s->tagsets[t].values[v].excluded & (1u << l.cls))) labelAddCat(&l, (int)t, v);
        }
    decideLabelCompile(&l, out);
    labelFree(&l);
}

static int benchDecide(Cli *cli, double seconds) {
    const Registry *r = &cli->reg;
    static DecideLabel labels[BENCH_LABELS];
    static Principal princ[BENCH_PRINCIPALS];
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < BENCH_LABELS; i++)
        randomLabel(&cli->spif, &seed, &labels[i]);
    for (int i = 0; i < BENCH_PRINCIPALS; i++) {
        memset(&princ[i], 0, sizeof(princ[i]));
        princ[i].reg = r;
        princ[i].nation = (uint16_t)(rnd(&seed) % r->nnations);
        princ[i].clearance = (uint8_t)(rnd(&seed) % cli->spif.nclasses);
        princ[i].caveats = rnd(&seed) & 7;
    }
    int64_t base = timeNow();
    /* Inputs are drawn beforehand so the loop measures decide(), not the
     * generator: dates spread over 35 years so timelines are exercised. */
    static int64_t dates[BENCH_DATES];
    static uint16_t pick[BENCH_DATES][2];
    for (int i = 0; i < BENCH_DATES; i++) {
        dates[i] = base - (int64_t)(rnd(&seed) % 12800) * 86400;
        pick[i][0] = (uint16_t)(rnd(&seed) % BENCH_PRINCIPALS);
        pick[i][1] = (uint16_t)(rnd(&seed) % BENCH_LABELS);
    }
    /* Throughput. */
    uint64_t n = 0, allowed = 0, t0 = nowNs(), limit = (uint64_t)(seconds * 1e9);
    while (nowNs() - t0 < limit) {
        for (int k = 0; k < 65536; k++, n++) {
            unsigned i = (unsigned)n & (BENCH_DATES - 1);
            allowed +=
                decide(&princ[pick[i][0]], &labels[pick[i][1]], dates[i]).reason == DECIDE_ALLOW;
        }
    }
    double el = (double)(nowNs() - t0) / 1e9;
    double rate = (double)n / el;
    /* Latency of single decisions. */
    uint64_t *lat = malloc(BENCH_SAMPLES * sizeof(*lat));
    if (!lat) return cliFail("bench", "out of memory");
    uint64_t ovh = UINT64_MAX;
    for (int i = 0; i < 1000; i++) {
        uint64_t a = nowNs(), b = nowNs();
        if (b - a < ovh) ovh = b - a;
    }
    for (int i = 0; i < BENCH_SAMPLES; i++) {
        const Principal *p = &princ[rnd(&seed) % BENCH_PRINCIPALS];
        const DecideLabel *l = &labels[rnd(&seed) % BENCH_LABELS];
        int64_t at = base - (int64_t)(rnd(&seed) % 12800) * 86400;
        uint64_t a = nowNs();
        allowed += decide(p, l, at).reason == DECIDE_ALLOW;
        lat[i] = nowNs() - a;
    }
    qsort(lat, BENCH_SAMPLES, sizeof(*lat), u64cmp);
    printf("decide: %.1f million decisions/s on one core (%llu decisions in %.2f s; goal >= 50)\n",
           rate / 1e6, (unsigned long long)n, el);
    printf("decide latency, single calls incl. timer (timer alone: %llu ns): p50 %llu ns, p99 %llu "
           "ns, "
           "p99.9 %llu ns, max %llu ns (goal p99 < 1000 ns)\n",
           (unsigned long long)ovh, (unsigned long long)lat[BENCH_SAMPLES / 2],
           (unsigned long long)lat[BENCH_SAMPLES * 99 / 100],
           (unsigned long long)lat[BENCH_SAMPLES * 999 / 1000],
           (unsigned long long)lat[BENCH_SAMPLES - 1]);
    printf("(allowed %llu of the decisions; checksum keeps the work observable)\n",
           (unsigned long long)allowed);
    free(lat);
    return CLI_OK;
}

int cmdBench(Cli *cli, int argc, char **argv) {
    const char *what = NULL, *secs = NULL;
    for (int i = 1; i < argc; i++) {
        int r;
        if ((r = cliOpt("bench", argc, argv, &i, "--seconds", &secs)) != 0) {
            if (r < 0) return CLI_USAGE;
        } else if (!what && argv[i][0] != '-') {
            what = argv[i];
        } else {
            return cliFail("bench", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!what || (strcmp(what, "decide") != 0 && strcmp(what, "sign") != 0))
        return cliFail("bench", "say what to measure: partnernet bench decide|sign");
    double seconds = secs ? atof(secs) : 3.0;
    if (seconds <= 0 || seconds > 600)
        return cliFail("bench", "--seconds must be between 0 and 600");
    if (strcmp(what, "sign") == 0) return benchSign(cli, seconds);
    if (cliLoad(cli) != CLI_OK) return CLI_USAGE;
    return benchDecide(cli, seconds);
}
