/*
 * test_cursor.c -- sealed history cursors (src/http/cursor.h): they open
 * to the offset sealed, two seals of one offset differ (nothing to
 * compare), an altered or foreign cursor is refused, and the key file is
 * created once (mode 0600) and read back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/http/cursor.h"

static const unsigned char key1[CURSOR_KEY_BYTES] = {1, 2, 3};
static const unsigned char key2[CURSOR_KEY_BYTES] = {9, 8, 7};

static void test_roundtrip(void **state) {
    (void)state;
    const uint64_t offs[] = {0, 1, 4, 1000000, UINT64_MAX - 1};
    for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
        char a[CURSOR_TEXT_MAX], b[CURSOR_TEXT_MAX];
        uint64_t got = 12345;
        assert_int_equal(cursorSeal(key1, offs[i], a), 0);
        assert_int_equal(cursorSeal(key1, offs[i], b), 0);
        assert_true(cursorIs(a));
        assert_int_equal(strlen(a), 50);
        assert_string_not_equal(a, b); /* a fresh nonce each time */
        assert_int_equal(cursorOpen(key1, a, &got), 0);
        assert_true(got == offs[i]);
        assert_int_equal(cursorOpen(key1, b, &got), 0);
        assert_true(got == offs[i]);
    }
}

static void test_refused(void **state) {
    (void)state;
    char a[CURSOR_TEXT_MAX];
    uint64_t got = 7;
    assert_int_equal(cursorSeal(key1, 42, a), 0);
    assert_int_equal(cursorOpen(key2, a, &got), -1); /* another node's key */
    for (size_t i = 2; i < strlen(a); i++) {         /* any one character changed */
        char t[CURSOR_TEXT_MAX];
        memcpy(t, a, sizeof(t));
        t[i] = t[i] == 'A' ? 'B' : 'A';
        assert_int_equal(cursorOpen(key1, t, &got), -1);
    }
    char shorter[CURSOR_TEXT_MAX];
    memcpy(shorter, a, sizeof(shorter));
    shorter[40] = '\0';
    assert_int_equal(cursorOpen(key1, shorter, &got), -1);
    assert_int_equal(cursorOpen(key1, "c_", &got), -1);
    assert_int_equal(cursorOpen(key1, "it-m:4", &got), -1);
    assert_int_equal(cursorOpen(key1, "c_!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!", &got),
                     -1);
    assert_true(got == 7);
    assert_false(cursorIs("it-m:4"));
}

static void test_key_file(void **state) {
    (void)state;
    char dir[] = "/tmp/pn-cursor-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/cursor.key", dir);
    unsigned char k1[CURSOR_KEY_BYTES], k2[CURSOR_KEY_BYTES];
    pnError err = {0};
    assert_int_equal(cursorKeyLoad(path, k1, &err), PN_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, CURSOR_KEY_BYTES);
    assert_int_equal(cursorKeyLoad(path, k2, &err), PN_OK);
    assert_memory_equal(k1, k2, CURSOR_KEY_BYTES); /* kept: cursors survive a restart */
    FILE *f = fopen(path, "w");
    fputs("short", f);
    fclose(f);
    assert_int_equal(cursorKeyLoad(path, k2, &err), PN_EIO);
    assert_non_null(strstr(err.msg, "cursor key"));
    unlink(path);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_key_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
