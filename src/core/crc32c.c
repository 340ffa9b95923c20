/*
 * crc32c.c -- CRC-32C, hardware when available (see crc32c.h).
 */
#include "crc32c.h"

#include <string.h>

#define POLY 0x82f63b78u /* reflected Castagnoli polynomial */

/* Built on first use.  Two threads racing there both write identical
 * values, so the race is harmless; the release store of the flag makes the
 * finished table visible to later acquire loads. */
static uint32_t table[256];
static int tableReady;

static void tableInit(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
        table[i] = c;
    }
    __atomic_store_n(&tableReady, 1, __ATOMIC_RELEASE);
}

uint32_t crc32cSoft(uint32_t crc, const void *p, size_t n) {
    if (!__atomic_load_n(&tableReady, __ATOMIC_ACQUIRE)) tableInit();
    const uint8_t *b = p;
    crc = ~crc;
    while (n--)
        crc = table[(crc ^ *b++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc32cHard(uint32_t crc, const void *p,
                                                             size_t n) {
    const uint8_t *b = p;
    uint64_t c = ~crc;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, b, 8);
        c = __builtin_ia32_crc32di(c, w);
        b += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--)
        c32 = __builtin_ia32_crc32qi(c32, *b++);
    return ~c32;
}
#endif

uint32_t crc32c(uint32_t crc, const void *p, size_t n) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2")) return crc32cHard(crc, p, n);
#endif
    return crc32cSoft(crc, p, n);
}
