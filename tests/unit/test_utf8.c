/*
 * test_utf8.c -- the one UTF-8 validator (src/core/utf8.c) against the
 * Unicode Standard's table of well-formed byte sequences
 * (fuzz/fuzz_utf8_check.h): every input of one and two bytes, every
 * three-byte input with a multi-byte lead, the four-byte edges, and the
 * code points utf8Decode reports at each boundary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../fuzz/fuzz_utf8_check.h"

/* Every input of one or two bytes, and of three bytes starting with a lead
 * byte of a multi-byte character: utf8Valid agrees with the table and
 * every character decoded encodes back to its bytes. */
static void test_exhaustive_short(void **state) {
    char why[256];
    uint8_t b[3];
    for (unsigned x = 0; x < 0x100; x++) {
        b[0] = (uint8_t)x;
        assert_int_equal(utf8Valid(b, 1), fuzzUtf8Reference(b, 1));
        for (unsigned y = 0; y < 0x100; y++) {
            b[1] = (uint8_t)y;
            if (fuzzCheckUtf8(b, 2, why, sizeof(why)) != 0) fail_msg("%02X %02X: %s", x, y, why);
            if (x < 0xE0 || x > 0xF4) continue;
            for (unsigned z = 0; z < 0x100; z++) {
                b[2] = (uint8_t)z;
                if (utf8Valid(b, 3) != fuzzUtf8Reference(b, 3))
                    fail_msg("%02X %02X %02X: utf8Valid disagrees with the table", x, y, z);
            }
        }
    }
}

static void expectDecode(const char *s, size_t len, uint32_t want) {
    uint32_t cp = 0xFFFFFFFF;
    assert_int_equal(utf8Decode((const unsigned char *)s, len, &cp), want == 0xFFFFFFFF ? 0 : len);
    assert_int_equal(cp, want);
}

/* The code points at each edge, and the refusals just past them. */
static void test_edges(void **state) {
    const uint32_t none = 0xFFFFFFFF;
    expectDecode("\x00", 1, 0);
    expectDecode("\x7f", 1, 0x7F);
    expectDecode("\xc2\x80", 2, 0x80);
    expectDecode("\xc1\xbf", 2, none); /* overlong U+007F */
    expectDecode("\xdf\xbf", 2, 0x7FF);
    expectDecode("\xe0\xa0\x80", 3, 0x800);
    expectDecode("\xe0\x9f\xbf", 3, none); /* overlong U+07FF */
    expectDecode("\xed\x9f\xbf", 3, 0xD7FF);
    expectDecode("\xed\xa0\x80", 3, none); /* U+D800, a surrogate */
    expectDecode("\xed\xbf\xbf", 3, none); /* U+DFFF */
    expectDecode("\xee\x80\x80", 3, 0xE000);
    expectDecode("\xef\xbf\xbf", 3, 0xFFFF);
    expectDecode("\xf0\x90\x80\x80", 4, 0x10000);
    expectDecode("\xf0\x8f\xbf\xbf", 4, none); /* overlong U+FFFF */
    expectDecode("\xf4\x8f\xbf\xbf", 4, 0x10FFFF);
    expectDecode("\xf4\x90\x80\x80", 4, none); /* U+110000 */
    expectDecode("\xf8\x88\x80\x80", 4, none); /* a five-byte lead */
    expectDecode("\x80", 1, none);             /* a stray continuation */
    expectDecode("\xe2\x82", 2, none);         /* truncated */
    assert_true(utf8Valid(NULL, 0));
    assert_true(utf8Valid("a\0b", 3));                       /* U+0000 is UTF-8 ... */
    assert_false(mqttUtf8Valid((const uint8_t *)"a\0b", 3)); /* ... that MQTT forbids */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exhaustive_short),
        cmocka_unit_test(test_edges),
    };
    return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}
