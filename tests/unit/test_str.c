/*
 * test_str.c -- text that does not fit: display text is cut visibly (ends
 * in "...", never inside a UTF-8 character), values are refused whole, and
 * error messages built through pnErrorSet/pnErrorPrefix show their cut.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/core/err.h"
#include "../../src/core/str.h"
#include "../../src/core/utf8.h"

static void test_format_fits(void **state) {
    char out[16];
    assert_int_equal(strFormat(out, sizeof(out), "%s-%d", "abc", 42), 0);
    assert_string_equal(out, "abc-42");
    assert_int_equal(strFormat(out, sizeof(out), "%s", "exactly 15 byte"), 0);
    assert_string_equal(out, "exactly 15 byte");
}

static void test_format_cut_visibly(void **state) {
    char out[16];
    assert_int_equal(strFormat(out, sizeof(out), "%s", "a sentence far too long"), 1);
    assert_string_equal(out, "a sentence f...");
    /* "ääääääää": 16 bytes; the cut may not split a character. */
    assert_int_equal(strFormat(out, sizeof(out), "%s",
                               "x\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"),
                     1);
    assert_string_equal(out, "x\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4..."); /* 11 bytes + ... */
    assert_true(utf8Valid(out, strlen(out)));
}

static void test_value_refused_whole(void **state) {
    char out[8];
    assert_int_equal(strFormatFit(out, sizeof(out), "%s/%s", "dir", "f"), 0);
    assert_string_equal(out, "dir/f");
    assert_int_equal(strFormatFit(out, sizeof(out), "%s/%s", "dir", "file.json"), -1);
    assert_string_equal(out, ""); /* never "dir/fil", which names another file */
}

static void test_error_cut_visibly(void **state) {
    pnError err = {0};
    static char big[2000];
    memset(big, 'e', sizeof(big) - 1);
    assert_int_equal(pnErrorSet(&err, PN_EINVAL, "%s", big), PN_EINVAL);
    assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
    assert_string_equal(err.msg + sizeof(err.msg) - 4, "...");
    pnErrorSet(&err, PN_EIO, "%.505s", big); /* fits alone, not with the prefix */
    pnErrorPrefix(&err, "file.json: ");
    assert_int_equal(strncmp(err.msg, "file.json: eee", 14), 0);
    assert_string_equal(err.msg + sizeof(err.msg) - 4, "...");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_fits),
        cmocka_unit_test(test_format_cut_visibly),
        cmocka_unit_test(test_value_refused_whole),
        cmocka_unit_test(test_error_cut_visibly),
    };
    return cmocka_run_group_tests_name("str", tests, NULL, NULL);
}
