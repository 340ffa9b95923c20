/*
 * test_log.c -- the message log: append/read, group sync, recovery from a
 * torn tail and from corruption in the middle, segments and retention.
 */
#include <fcntl.h>
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

#include "../../src/core/crc32c.h"
#include "../../src/store/log.h"

static char dir[256];

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/pn-test-log-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

static pnLog *openLog(const LogOptions *opt, LogRecovery *rep) {
    pnLog *log = NULL;
    pnError err = {0};
    if (logOpen(&log, dir, opt, rep, &err) != PN_OK) fail_msg("logOpen: %s", err.msg);
    return log;
}

static void append(pnLog *log, const char *text, uint64_t want) {
    uint64_t off;
    pnError err = {0};
    assert_int_equal(logAppend(log, text, (uint32_t)strlen(text), 1000 + (int64_t)want, &off, &err),
                     PN_OK);
    assert_int_equal(off, want);
}

static void expectRecord(pnLog *log, uint64_t off, const char *text) {
    LogRecord r;
    pnBuf b;
    pnError err = {0};
    bufInit(&b);
    if (logRead(log, off, &r, &b, &err) != PN_OK)
        fail_msg("read %llu: %s", (unsigned long long)off, err.msg);
    assert_int_equal(r.offset, off);
    assert_int_equal(r.len, strlen(text));
    assert_memory_equal(r.data, text, r.len);
    assert_int_equal(r.time, 1000 + (int64_t)off);
    bufFree(&b);
}

static void segFile(uint64_t base, char *out, size_t cap) {
    snprintf(out, cap, "%s/%020llu.log", dir, (unsigned long long)base);
}

static void test_crc32c(void **state) {
    (void)state;
    /* The standard check value of CRC-32C. */
    assert_int_equal(crc32c(0, "123456789", 9), 0xe3069283u);
    assert_int_equal(crc32cSoft(0, "123456789", 9), 0xe3069283u);
    char buf[1000];
    for (int i = 0; i < 1000; i++)
        buf[i] = (char)(i * 7);
    for (int n = 0; n < 1000; n += 37)
        assert_int_equal(crc32c(5, buf, (size_t)n), crc32cSoft(5, buf, (size_t)n));
}

static void test_append_read_reopen(void **state) {
    (void)state;
    pnLog *log = openLog(NULL, NULL);
    assert_int_equal(logNext(log), 0);
    append(log, "alpha", 0);
    append(log, "", 1);
    append(log, "gamma", 2);
    assert_int_equal(logDurable(log), 0);
    assert_int_equal(logSync(log, NULL), PN_OK);
    assert_int_equal(logDurable(log), 3);
    expectRecord(log, 0, "alpha");
    expectRecord(log, 1, "");
    expectRecord(log, 2, "gamma");
    LogRecord r;
    pnBuf b;
    bufInit(&b);
    pnError err = {0};
    assert_int_equal(logRead(log, 3, &r, &b, &err), PN_ENOENT);
    logClose(log);
    LogRecovery rep;
    log = openLog(NULL, &rep);
    assert_int_equal(rep.records, 3);
    assert_int_equal(rep.truncatedBytes, 0);
    assert_int_equal(logNext(log), 3);
    expectRecord(log, 2, "gamma");
    append(log, "delta", 3);
    logClose(log);
    bufFree(&b);
}

static void test_torn_tail(void **state) {
    (void)state;
    pnLog *log = openLog(NULL, NULL);
    for (int i = 0; i < 10; i++)
        append(log, "record", (uint64_t)i);
    logClose(log);
    char path[512];
    segFile(0, path, sizeof(path));
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    /* Cut the last record in half, as a crash during write would. */
    assert_int_equal(truncate(path, st.st_size - 10), 0);
    LogRecovery rep;
    log = openLog(NULL, &rep);
    assert_int_equal(rep.records, 9);
    assert_int_equal(rep.truncatedBytes, LOG_HEADER + 6 - 10);
    assert_non_null(strstr(rep.detail, "torn tail truncated"));
    assert_int_equal(logNext(log), 9);
    append(log, "after", 9); /* appends continue where valid data ends */
    logClose(log);
    log = openLog(NULL, &rep);
    assert_int_equal(rep.records, 10);
    assert_int_equal(rep.truncatedBytes, 0);
    expectRecord(log, 9, "after");
    logClose(log);
}

static void test_corrupt_middle(void **state) {
    (void)state;
    pnLog *log = openLog(NULL, NULL);
    for (int i = 0; i < 5; i++)
        append(log, "payload", (uint64_t)i);
    logClose(log);
    char path[512];
    segFile(0, path, sizeof(path));
    /* Flip a byte inside record 2's data. */
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    off_t at = 2 * (LOG_HEADER + 7) + LOG_HEADER + 3;
    assert_int_equal(pwrite(fd, "X", 1, at), 1);
    close(fd);
    LogRecovery rep;
    log = openLog(NULL, &rep);
    assert_int_equal(rep.corrupt, 1);
    assert_int_equal(rep.records, 4);
    assert_int_equal(rep.truncatedBytes, 0);
    assert_non_null(strstr(rep.detail, "records 2..2"));
    assert_int_equal(logNext(log), 5);
    expectRecord(log, 1, "payload");
    expectRecord(log, 3, "payload");
    LogRecord r;
    pnBuf b;
    pnError err = {0};
    bufInit(&b);
    assert_int_equal(logRead(log, 2, &r, &b, &err), PN_ENOENT); /* never served */
    assert_non_null(strstr(err.msg, "corrupt"));
    bufFree(&b);
    logClose(log);
}

/* A damaged length field must not turn acknowledged records into a
 * "torn tail": everything valid after the damage survives. */
static void test_corrupt_length(void **state) {
    (void)state;
    pnLog *log = openLog(NULL, NULL);
    for (int i = 0; i < 5; i++)
        append(log, "payload", (uint64_t)i);
    logClose(log);
    char path[512];
    segFile(0, path, sizeof(path));
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    /* record 1's length field, then record 2's CRC: two neighbours bad */
    assert_int_equal(pwrite(fd, "\xff", 1, (LOG_HEADER + 7) + 1), 1);
    assert_int_equal(pwrite(fd, "\x00\x00", 2, 2 * (LOG_HEADER + 7) + 4), 2);
    close(fd);
    LogRecovery rep;
    log = openLog(NULL, &rep);
    assert_int_equal(rep.truncatedBytes, 0);
    assert_int_equal(rep.corrupt, 2);
    assert_int_equal(rep.records, 3);
    assert_int_equal(logNext(log), 5);
    expectRecord(log, 0, "payload");
    expectRecord(log, 3, "payload");
    expectRecord(log, 4, "payload");
    append(log, "more", 5); /* no offset is reused */
    logClose(log);
}

static void test_segments_and_retention(void **state) {
    (void)state;
    LogOptions opt = {.segmentBytes = 200, .retainBytes = 400};
    pnLog *log = openLog(&opt, NULL);
    char text[64];
    for (int i = 0; i < 40; i++) {
        snprintf(text, sizeof(text), "message number %02d", i);
        append(log, text, (uint64_t)i);
    }
    assert_int_equal(logSync(log, NULL), PN_OK);
    assert_true(logBytes(log) > 400);
    logClose(log);
    LogRecovery rep;
    log = openLog(&opt, &rep);
    assert_int_equal(rep.records, 40);
    expectRecord(log, 17, "message number 17");
    uint64_t dropped = logRetain(log, 0);
    assert_true(dropped > 0);
    assert_int_equal(logFirst(log), dropped);
    assert_true(logBytes(log) <= 400 + 200);
    LogRecord r;
    pnBuf b;
    bufInit(&b);
    assert_int_equal(logRead(log, 0, &r, &b, NULL), PN_ENOENT);
    expectRecord(log, 39, "message number 39");
    bufFree(&b);
    logClose(log);
}

static void test_limits(void **state) {
    (void)state;
    pnLog *log = openLog(NULL, NULL);
    uint64_t off;
    pnError err = {0};
    assert_int_equal(logAppend(log, "", LOG_MAX_RECORD + 1, 0, &off, &err), PN_ELIMIT);
    logClose(log);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c),
        cmocka_unit_test_setup_teardown(test_append_read_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_middle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_segments_and_retention, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
