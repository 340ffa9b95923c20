/*
 * test_log.c -- the message log: append/read, group sync, recovery from a
 * torn tail and from corruption in the middle, segments and retention; a
 * damaged newest record keeps its id; every damaged place is reported; a
 * failed write is cut back by logRewind and appends resume.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
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

/* Flip one bit of byte at (from the end when at < 0) in the segment file. */
static void flipBit(uint64_t base, off_t at) {
    char path[512];
    segFile(base, path, sizeof(path));
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    if (at < 0) {
        struct stat st;
        assert_int_equal(fstat(fd, &st), 0);
        at += st.st_size;
    }
    unsigned char c;
    assert_int_equal(pread(fd, &c, 1, at), 1);
    c ^= 0x10;
    assert_int_equal(pwrite(fd, &c, 1, at), 1);
    close(fd);
}

/* Issue 10 item 7: a bit flip in the newest record (perhaps acknowledged,
 * its id given out) must not make its offset be given to the next append. */
static void test_damaged_last_record(void **state) {
    (void)state;
    pnLog *log = openLog(NULL, NULL);
    for (int i = 0; i < 4; i++)
        append(log, "payload", (uint64_t)i);
    logClose(log);
    flipBit(0, -1); /* the last byte of record 3's data */
    LogRecovery rep;
    log = openLog(NULL, &rep);
    assert_int_equal(rep.records, 3);
    assert_int_equal(rep.corrupt, 1);
    assert_int_equal(rep.truncatedBytes, 0);
    assert_int_equal(rep.nproblems, 1);
    assert_non_null(strstr(rep.problem[0], "record 3 "));
    assert_non_null(strstr(rep.problem[0], "damaged"));
    assert_int_equal(logNext(log), 4); /* offset 3 stays consumed */
    LogRecord r;
    pnBuf b;
    bufInit(&b);
    assert_int_equal(logRead(log, 3, &r, &b, NULL), PN_ENOENT); /* never served */
    logClose(log);
    /* Opened again with nothing appended: the same answer. */
    log = openLog(NULL, &rep);
    assert_int_equal(logNext(log), 4);
    append(log, "after", 4);
    assert_int_equal(logSync(log, NULL), PN_OK);
    logClose(log);
    /* Now the damage is in the middle; still reported, the ids still unique. */
    log = openLog(NULL, &rep);
    assert_int_equal(rep.records, 4);
    assert_int_equal(rep.corrupt, 1);
    assert_non_null(strstr(rep.detail, "records 3..3"));
    assert_int_equal(logNext(log), 5);
    expectRecord(log, 2, "payload");
    expectRecord(log, 4, "after");
    assert_int_equal(logRead(log, 3, &r, &b, NULL), PN_ENOENT);
    bufFree(&b);
    logClose(log);
}

/* Issue 10 item 17: recovery reports every damaged place, not the first. */
static void test_every_damage_reported(void **state) {
    (void)state;
    LogOptions opt = {.segmentBytes = 200};
    pnLog *log = openLog(&opt, NULL);
    char text[64];
    for (int i = 0; i < 20; i++) { /* records of 34 bytes: 5 per segment */
        snprintf(text, sizeof(text), "message %02d", i);
        append(log, text, (uint64_t)i);
    }
    assert_int_equal(logSync(log, NULL), PN_OK);
    logClose(log);
    /* Record 1 in segment 0, record 7 in segment 5, record 18 in segment 15. */
    flipBit(0, 1 * 34 + LOG_HEADER + 2);
    flipBit(5, 2 * 34 + LOG_HEADER + 2);
    flipBit(15, 3 * 34 + LOG_HEADER + 2);
    LogRecovery rep;
    log = openLog(&opt, &rep);
    assert_int_equal(rep.corrupt, 3);
    assert_int_equal(rep.records, 17);
    assert_int_equal(rep.nproblems, 3);
    assert_int_equal(rep.unlisted, 0);
    assert_non_null(strstr(rep.problem[0], "00000000000000000000.log: records 1..1"));
    assert_non_null(strstr(rep.problem[1], "00000000000000000005.log: records 7..7"));
    assert_non_null(strstr(rep.problem[2], "00000000000000000015.log: records 18..18"));
    assert_string_equal(rep.detail, rep.problem[0]);
    assert_int_equal(logNext(log), 20);
    expectRecord(log, 8, "message 08");
    logClose(log);
}

/* More damaged places than the report lists: the rest are counted. */
static void test_damage_list_bounded(void **state) {
    (void)state;
    pnLog *log = openLog(NULL, NULL);
    int n = 2 * LOG_PROBLEMS + 4;
    for (int i = 0; i < 2 * n; i++)
        append(log, "payload", (uint64_t)i);
    logClose(log);
    for (int i = 0; i < n; i++) /* every other record: n separate places */
        flipBit(0, (off_t)(2 * i) * (LOG_HEADER + 7) + LOG_HEADER + 1);
    LogRecovery rep;
    log = openLog(NULL, &rep);
    assert_int_equal(rep.corrupt, n);
    assert_int_equal(rep.nproblems, LOG_PROBLEMS);
    assert_int_equal(rep.unlisted, n - LOG_PROBLEMS);
    logClose(log);
}

/* Issue 10 item 13: a write cut short (here by RLIMIT_FSIZE, as by a full
 * disk) leaves part of a record in the file; logRewind cuts it off, and
 * appends resume once the limit is lifted, without damage on reopen. */
static void test_rewind_after_failed_write(void **state) {
    (void)state;
    pnLog *log = openLog(NULL, NULL);
    append(log, "alpha", 0);
    append(log, "bravo", 1);
    append(log, "charlie", 2);
    assert_int_equal(logSync(log, NULL), PN_OK);
    /* 3 records: 87 bytes.  Two more (58 bytes) with room for 13. */
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 100;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    append(log, "delta", 3);
    append(log, "echo!", 4);
    pnError err = {0};
    assert_int_equal(logSync(log, &err), PN_EIO);
    assert_true(logBroken(log));
    assert_int_equal(logError(log), EFBIG);
    uint64_t off;
    assert_int_equal(logAppend(log, "x", 1, 0, &off, &err), PN_EIO); /* refused while broken */
    assert_int_equal(logSync(log, &err), PN_EIO);
    assert_int_equal(logRewind(log, 2, &err), PN_EINVAL); /* 2 is durable: never dropped */
    assert_int_equal(logRewind(log, 3, &err), PN_OK);
    assert_false(logBroken(log));
    assert_int_equal(logNext(log), 3);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    append(log, "foxtrot", 3); /* the offsets not stored are given again: none was acknowledged */
    assert_int_equal(logSync(log, NULL), PN_OK);
    expectRecord(log, 2, "charlie");
    expectRecord(log, 3, "foxtrot");
    logClose(log);
    LogRecovery rep;
    log = openLog(NULL, &rep);
    assert_int_equal(rep.nproblems, 0);
    assert_int_equal(rep.corrupt, 0);
    assert_int_equal(rep.truncatedBytes, 0);
    assert_int_equal(logNext(log), 4);
    expectRecord(log, 3, "foxtrot");
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
        cmocka_unit_test_setup_teardown(test_damaged_last_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_damage_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damage_list_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewind_after_failed_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_segments_and_retention, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
