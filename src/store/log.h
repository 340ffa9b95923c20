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
 * On open every segment is scanned.  A torn tail (less than a record
 * header at the end of the newest segment, as left by a crash during a
 * write) is truncated at the last valid record: no such record was ever
 * complete, so none was acknowledged.  A bad record followed by valid ones
 * is corruption: it is reported, counted and skipped -- reading its offset
 * answers PN_ENOENT -- never silently served.  A bad record of a header or
 * more at the very end is treated the same way (a flipped bit in the newest
 * record, which may have been acknowledged): its bytes are kept and its
 * offset stays consumed, so the offset, a message's id, is never given out
 * twice -- ids never go backwards across a restart.
 *
 * A failed write or fsync stops appends (logBroken) until logRewind() drops
 * the records that were not stored and cuts the file back to where they
 * began; the log can then be written again (e.g. once disk space returns).
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

#define LOG_PROBLEMS 16 /* damaged places listed one by one in a LogRecovery */

typedef struct LogRecovery {
    uint64_t records;        /* valid records found */
    uint64_t truncatedBytes; /* torn tail removed from the newest segment */
    uint64_t corrupt;        /* bad records skipped (reported, not served) */
    char detail[256];        /* first problem, "" when none (== problem[0]) */
    int nproblems;           /* every damaged place, in log order: problem[0..nproblems) */
    uint64_t unlisted;       /* ... and how many more past LOG_PROBLEMS */
    char problem[LOG_PROBLEMS][256];
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
 * failure (the log then refuses further appends -- a half-written record
 * must not be followed by more -- until logRewind()). */
int logAppend(pnLog *log, const void *data, uint32_t len, int64_t time, uint64_t *offset,
              pnError *err);

/* Write appended records to the file (one write(2)), without fsync: they
 * then survive a crash of the process, not of the machine. */
int logFlush(pnLog *log, pnError *err);

/* fsync everything appended so far.  Afterwards logDurable() == logNext().
 * PN_EIO when a write or the fsync fails, or the log is broken. */
int logSync(pnLog *log, pnError *err);

/*
 * After a failed write or fsync: forget the records from offset on (none
 * of them may have been acknowledged: the caller passes the first offset
 * it has not made visible; offset >= logDurable(), <= the records written),
 * cut the newest segment back to where offset began, fsync it, and accept
 * appends again; the next append gets offset.  PN_EINVAL for an offset out
 * of that range, PN_EIO when the file cannot be cut or synced (the log
 * stays broken; call again later).
 */
int logRewind(pnLog *log, uint64_t offset, pnError *err);

/* Bytes free for the log on its file system (statvfs), UINT64_MAX when
 * unknown: lets a caller see disk space come back after ENOSPC. */
uint64_t logSpace(const pnLog *log);

uint64_t logFirst(const pnLog *log);   /* oldest offset still held */
uint64_t logNext(const pnLog *log);    /* offset the next append gets */
uint64_t logDurable(const pnLog *log); /* offsets below this are on disk */
uint64_t logBytes(const pnLog *log);   /* total size of all segments */
int logBroken(const pnLog *log);       /* a write failed: appends are refused */
int logError(const pnLog *log);        /* errno of that failure (ENOSPC...), 0 when not broken */

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

/* 1 when logRetain(log, now) would drop at least one segment, else 0 (so
 * a caller can first save what must outlive the records). */
int logRetainDue(const pnLog *log, int64_t now);

#endif
