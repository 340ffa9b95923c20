/*
 * log.h -- the message log: segmented, append-only, checksummed.
 *
 * The log is the durability promise of a node: a publish is acknowledged
 * only once its record is on disk.  Records are numbered by offset
 * (0, 1, 2 ...), written to segment files DIR/<base offset>.log, each
 * framed as
 *
 *     u32 len | u32 crc32c | u64 offset | i64 time | len bytes of data
 *
 * (little endian; the CRC covers offset, time and data).  Appends are
 * buffered and written with one write(2) by logFlush(); logSync() makes everything appended so far
 * durable with one fsync, so a caller that syncs once per event-loop turn gets group commit: one
 * fsync covers every publish that arrived meanwhile.
 *
 * On open every segment is scanned.  A torn tail (a partial or bad record
 * at the end of the newest segment, as left by a crash) is truncated at
 * the last valid record.  A bad record followed by valid ones is corruption:
 * it is reported, counted and skipped -- reading its offset answers
 * PN_ENOENT -- never silently served.
 *
 * A pnLog is used from one thread.
 */
#ifndef PN_LOG_H
#define PN_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "../core/buf.h"
#include "../core/err.h"

#define LOG_HEADER 24
#define LOG_MAX_RECORD (16u << 20)

typedef struct LogOptions {
    uint64_t segmentBytes; /* start a new segment past this size (default 64 MiB) */
    uint64_t retainBytes;  /* logRetain() drops old segments past this total (0: no limit) */
    int64_t retainSeconds; /* ... or whose newest record is older than this (0: no limit) */
    int readOnly;          /* inspect a log a node may be writing: nothing is created,
                              truncated or appended; a partial record at the end is
                              left alone (logAppend answers PN_EINVAL) */
} LogOptions;

typedef struct LogRecovery {
    uint64_t records;        /* valid records found */
    uint64_t truncatedBytes; /* torn tail removed from the newest segment */
    uint64_t corrupt;        /* bad records skipped (reported, not served) */
    char detail[256];        /* first problem, "" when none */
} LogRecovery;

typedef struct LogRecord {
    uint64_t offset;
    int64_t time;
    uint32_t len;
    const uint8_t *data; /* valid until the next logRead into the same buffer */
} LogRecord;

typedef struct pnLog pnLog;

/*
 * Open (creating when absent) the log in dir and recover it as described
 * above; rep (optional) says what recovery found.  opt may be NULL for the
 * defaults.  Returns PN_OK with *out set, or PN_EIO/PN_ENOMEM/PN_EINVAL.
 */
int logOpen(pnLog **out, const char *dir, const LogOptions *opt, LogRecovery *rep, pnError *err);

/* Sync and close; NULL is ignored. */
void logClose(pnLog *log);

/* Append one record; *offset receives its number.  The record is written
 * but not yet durable.  PN_ELIMIT past LOG_MAX_RECORD, PN_EIO on write
 * failure (the log then refuses further appends: a half-written record must
 * not be followed by more). */
int logAppend(pnLog *log, const void *data, uint32_t len, int64_t time, uint64_t *offset,
              pnError *err);

/* Write appended records to the file (one write(2)), without fsync: they
 * then survive a crash of the process, not of the machine. */
int logFlush(pnLog *log, pnError *err);

/* fsync everything appended so far.  Afterwards logDurable() == logNext(). */
int logSync(pnLog *log, pnError *err);

uint64_t logFirst(const pnLog *log);   /* oldest offset still held */
uint64_t logNext(const pnLog *log);    /* offset the next append gets */
uint64_t logDurable(const pnLog *log); /* offsets below this are on disk */
uint64_t logBytes(const pnLog *log);   /* total size of all segments */
int logBroken(const pnLog *log);       /* a write failed: appends are refused */

/*
 * Read the record at offset into scratch (which owns the bytes rec->data
 * points to).  PN_ENOENT when offset is below logFirst(), at or past
 * logNext(), or was skipped as corrupt; PN_EIO when the disk no longer
 * holds what recovery saw (CRC checked again on every read).
 */
int logRead(pnLog *log, uint64_t offset, LogRecord *rec, pnBuf *scratch, pnError *err);

/* Drop whole old segments as the retention options say (never the one
 * being written).  now is the current time in seconds.  Returns how many
 * records were dropped. */
uint64_t logRetain(pnLog *log, int64_t now);

#endif
