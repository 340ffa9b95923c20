/*
 * log.c -- segmented append-only message log (see log.h).
 *
 * In memory each segment keeps the file position of every record it holds
 * (UINT32_MAX for a record skipped as corrupt), so a read is one pread of
 * a known extent.  Four bytes per record is affordable at the segment sizes
 * used; a sparse index can replace it if segments grow.
 */
#include "log.h"

#include <dirent.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../core/crc32c.h"

#define LOG_HOLE UINT32_MAX

typedef struct Segment {
    uint64_t base;  /* offset of its first record */
    uint64_t count; /* records (holes included) */
    uint64_t bytes; /* file size */
    int64_t newest; /* time of its newest record */
    uint32_t *pos;  /* file position per record */
    size_t cap;
} Segment;

struct pnLog {
    char dir[4096];
    LogOptions opt;
    Segment *seg; /* oldest first; the last is being written */
    size_t nseg, capseg;
    int fd; /* the last segment, O_APPEND */
    uint64_t next, durable;
    uint64_t written; /* records below this are in the file (maybe not synced) */
    pnBuf pend;       /* appended records not yet written: one write per turn */
    int broken;       /* a write failed part-way; no more appends until logRewind */
    int error;        /* errno of the failure that broke it */
    int rfd;          /* the segment logRead read last (history reads stay in one), or -1 */
    uint64_t rbase;   /* its base offset */
};

#define LOG_PEND_MAX (1u << 20) /* write out earlier than the next flush past this */

/* What the fields above promise: offsets are handed out in order and
 * become written, then durable, in that order (durable <= written <= next),
 * and the segment being written ends where the next record will go. */
static void checkOffsets(const pnLog *log) {
    assert(log->durable <= log->written && log->written <= log->next);
    assert(log->nseg == 0 ||
           log->seg[log->nseg - 1].base + log->seg[log->nseg - 1].count == log->next);
    (void)log;
}

/* ---- encoding ---------------------------------------------------------- */

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}
static uint64_t get64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* The CRC of a record: over offset, time (header bytes 8..23) and data. */
static uint32_t recordCrc(const uint8_t *hdr, const void *data, uint32_t len) {
    return crc32c(crc32c(0, hdr + 8, 16), data, len);
}

/* Is there a valid record at buf[pos] with the given offset?  Returns its
 * total size, or 0. */
static size_t validAt(const uint8_t *buf, size_t size, size_t pos, uint64_t offset) {
    if (size - pos < LOG_HEADER) return 0;
    const uint8_t *h = buf + pos;
    uint32_t len = get32(h);
    if (len > LOG_MAX_RECORD || size - pos - LOG_HEADER < len) return 0;
    if (get64(h + 8) != offset || get32(h + 4) != recordCrc(h, h + LOG_HEADER, len)) return 0;
    return LOG_HEADER + (size_t)len;
}

/* The first position at or after from holding a valid record numbered
 * above off (its number in *found), or SIZE_MAX.  Each candidate's offset
 * is checked for plausibility before the CRC is computed. */
static size_t resync(const uint8_t *buf, size_t size, size_t from, uint64_t off, uint64_t *found) {
    uint64_t most = off + size / LOG_HEADER + 1; /* no more records fit in the file */
    for (size_t q = from; q + LOG_HEADER <= size; q++) {
        uint64_t o = get64(buf + q + 8);
        if (o <= off || o > most) continue;
        if (validAt(buf, size, q, o)) {
            *found = o;
            return q;
        }
    }
    return SIZE_MAX;
}

/* fsync a directory, so a file created or removed in it stays so. */
static int syncDir(const char *dir) {
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return -1;
    int rc = fsync(dfd);
    close(dfd);
    return rc;
}

/* Add one damaged place to the recovery report: every one is listed (up to
 * LOG_PROBLEMS, then counted), the first is also rep->detail. */
static void note(LogRecovery *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(LogRecovery *rep, const char *fmt, ...) {
    if (rep->nproblems >= LOG_PROBLEMS) {
        rep->unlisted++;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->problem[rep->nproblems], sizeof(rep->problem[0]), fmt, ap);
    va_end(ap);
    if (rep->nproblems == 0) memcpy(rep->detail, rep->problem[0], sizeof(rep->detail));
    rep->nproblems++;
}

/* ---- segments ---------------------------------------------------------- */

static void segPath(const pnLog *log, uint64_t base, char *out, size_t cap) {
    snprintf(out, cap, "%s/%020" PRIu64 ".log", log->dir, base);
}

static int segPush(Segment *s, uint32_t pos) {
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint32_t *p = realloc(s->pos, cap * sizeof(*p));
        if (!p) return PN_ENOMEM;
        s->pos = p;
        s->cap = cap;
    }
    s->pos[s->count++] = pos;
    return PN_OK;
}

/* Scan one segment file into s, recovering as log.h describes. */
static int segScan(pnLog *log, Segment *s, int last, LogRecovery *rep, pnError *err) {
    char path[4200];
    segPath(log, s->base, path, sizeof(path));
    int fd = open(path, log->opt.readOnly ? O_RDONLY : O_RDWR);
    if (fd < 0) return pnErrorSet(err, PN_EIO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size > (off_t)UINT32_MAX) {
        close(fd);
        return pnErrorSet(err, PN_EIO, "%s: cannot size, or larger than 4 GiB", path);
    }
    size_t size = (size_t)st.st_size, pos = 0;
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf || pread(fd, buf, size, 0) != (ssize_t)size) {
        free(buf);
        close(fd);
        return pnErrorSet(err, PN_EIO, "%s: cannot read", path);
    }
    int rc = PN_OK;
    while (pos < size && rc == PN_OK) {
        uint64_t off = s->base + s->count;
        size_t n = validAt(buf, size, pos, off);
        if (n) {
            rc = segPush(s, (uint32_t)pos);
            int64_t t = (int64_t)get64(buf + pos + 16);
            if (t > s->newest) s->newest = t;
            rep->records++;
            pos += n;
            continue;
        }
        /* Bad record.  If any valid later record follows, this is
         * corruption in the middle: everything acknowledged after it must
         * survive, so mark the gap as holes (reported, never served). */
        uint64_t found;
        size_t q = resync(buf, size, pos + 1, off, &found);
        if (q != SIZE_MAX) {
            note(rep, "%s: records %" PRIu64 "..%" PRIu64 " at byte %zu are corrupt; skipped", path,
                 off, found - 1, pos);
            for (uint64_t k = off; k < found && rc == PN_OK; k++)
                rc = segPush(s, LOG_HOLE);
            rep->corrupt += found - off;
            pos = q;
            continue;
        }
        /* Otherwise the rest is the end of the newest segment, or lost. */
        if (last && log->opt.readOnly) { /* perhaps a record being written: stop before it */
            size = pos;
        } else if (last && size - pos >= LOG_HEADER) {
            /* A whole header's worth: perhaps a complete record, acknowledged,
             * with a flipped bit.  Its offset was perhaps given out: keep it
             * consumed (a hole, found again by resync at the next open once
             * a record follows), never hand it out again. */
            note(rep,
                 "%s: record %" PRIu64 " at byte %zu is damaged (%zu bytes); skipped, its id is "
                 "not given out again",
                 path, off, pos, size - pos);
            rc = segPush(s, LOG_HOLE);
            rep->corrupt++;
            pos = size;
        } else if (last) {
            note(rep, "%s: torn tail truncated at byte %zu (%zu bytes)", path, pos, size - pos);
            if (ftruncate(fd, (off_t)pos) != 0 || fsync(fd) != 0)
                rc = pnErrorSet(err, PN_EIO, "%s: cannot truncate the torn tail: %s", path,
                                strerror(errno));
            rep->truncatedBytes += size - pos;
            size = pos;
        } else {
            note(rep, "%s: unreadable remainder skipped at byte %zu (%zu bytes)", path, pos,
                 size - pos);
            rep->corrupt++;
        }
        break;
    }
    s->bytes = last ? pos : size;
    free(buf);
    close(fd);
    return rc;
}

/* Room for one more segment. */
static int segReserve(pnLog *log) {
    if (log->nseg < log->capseg) return PN_OK;
    size_t cap = log->capseg ? log->capseg * 2 : 16;
    Segment *p = realloc(log->seg, cap * sizeof(*p));
    if (!p) return PN_ENOMEM;
    log->seg = p;
    log->capseg = cap;
    return PN_OK;
}

static int baseCmp(const void *a, const void *b) {
    uint64_t x = ((const Segment *)a)->base, y = ((const Segment *)b)->base;
    return (x > y) - (x < y);
}

/* List DIR/<20 digits>.log into log->seg, sorted. */
static int segList(pnLog *log, pnError *err) {
    DIR *d = opendir(log->dir);
    if (!d) return pnErrorSet(err, PN_EIO, "%s: %s", log->dir, strerror(errno));
    struct dirent *de;
    int rc = PN_OK;
    while ((de = readdir(d)) && rc == PN_OK) {
        char *end;
        if (strlen(de->d_name) != 24 || strcmp(de->d_name + 20, ".log") != 0) continue;
        uint64_t base = strtoull(de->d_name, &end, 10);
        if (end != de->d_name + 20) continue;
        if (segReserve(log) != PN_OK) {
            rc = pnErrorSet(err, PN_ENOMEM, "out of memory");
            break;
        }
        memset(&log->seg[log->nseg], 0, sizeof(Segment));
        log->seg[log->nseg++].base = base;
    }
    closedir(d);
    if (log->nseg) qsort(log->seg, log->nseg, sizeof(Segment), baseCmp);
    return rc;
}

/* Start a new segment at the current end and make it the write target. */
static int segStart(pnLog *log, pnError *err) {
    if (segReserve(log) != PN_OK) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    Segment *s = &log->seg[log->nseg];
    memset(s, 0, sizeof(*s));
    s->base = log->next;
    char path[4200];
    segPath(log, s->base, path, sizeof(path));
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) return pnErrorSet(err, PN_EIO, "%s: %s", path, strerror(errno));
    /* The new file's directory entry must be durable too, or records
     * acknowledged in it could vanish with it. */
    if (syncDir(log->dir) != 0) {
        close(fd);
        return pnErrorSet(err, PN_EIO, "%s: cannot fsync the directory: %s", log->dir,
                          strerror(errno));
    }
    if (log->fd >= 0) close(log->fd);
    log->fd = fd;
    log->nseg++;
    return PN_OK;
}

static int openLast(pnLog *log, pnError *err) {
    Segment *s = &log->seg[log->nseg - 1];
    char path[4200];
    segPath(log, s->base, path, sizeof(path));
    log->fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (log->fd < 0) return pnErrorSet(err, PN_EIO, "%s: %s", path, strerror(errno));
    return PN_OK;
}

int logOpen(pnLog **out, const char *dir, const LogOptions *opt, LogRecovery *rep, pnError *err) {
    LogRecovery dummy;
    if (!rep) rep = &dummy;
    memset(rep, 0, sizeof(*rep));
    pnLog *log = calloc(1, sizeof(*log));
    if (!log) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    log->fd = -1;
    log->rfd = -1;
    if (opt) log->opt = *opt;
    if (!log->opt.segmentBytes) log->opt.segmentBytes = 64u << 20;
    int rc = PN_OK;
    /* Record positions are 32-bit. */
    if (log->opt.segmentBytes > (uint64_t)UINT32_MAX - LOG_MAX_RECORD - LOG_HEADER)
        rc = pnErrorSet(err, PN_EINVAL, "segment size must be below 4 GiB");
    if (strlen(dir) >= sizeof(log->dir))
        rc = pnErrorSet(err, PN_EINVAL, "log directory path too long");
    else
        snprintf(log->dir, sizeof(log->dir), "%s", dir);
    if (rc == PN_OK && log->opt.readOnly) {
        struct stat st;
        if (stat(dir, &st) != 0) rc = pnErrorSet(err, PN_ENOENT, "%s: %s", dir, strerror(errno));
    } else if (rc == PN_OK && mkdir(dir, 0750) == 0) {
        char parent[4200];
        snprintf(parent, sizeof(parent), "%s/..", dir);
        if (syncDir(parent) != 0) rc = pnErrorSet(err, PN_EIO, "%s: cannot fsync its parent", dir);
    } else if (rc == PN_OK && errno != EEXIST) {
        rc = pnErrorSet(err, PN_EIO, "%s: %s", dir, strerror(errno));
    }
    if (rc == PN_OK) rc = segList(log, err);
    for (size_t i = 0; i < log->nseg && rc == PN_OK; i++) {
        Segment *s = &log->seg[i];
        if (i > 0 && s->base != log->next)
            note(rep, "records %" PRIu64 "..%" PRIu64 " are missing", log->next, s->base - 1);
        rc = segScan(log, s, i + 1 == log->nseg, rep, err);
        log->next = s->base + s->count;
    }
    if (rc == PN_OK && !log->opt.readOnly) rc = log->nseg ? openLast(log, err) : segStart(log, err);
    if (rc != PN_OK) {
        logClose(log);
        return rc;
    }
    log->durable = log->written = log->next;
    checkOffsets(log);
    *out = log;
    return PN_OK;
}

void logClose(pnLog *log) {
    if (!log) return;
    if (log->fd >= 0) logFlush(log, NULL);
    bufFree(&log->pend);
    if (log->fd >= 0) {
        fsync(log->fd);
        close(log->fd);
    }
    if (log->rfd >= 0) close(log->rfd);
    for (size_t i = 0; i < log->nseg; i++)
        free(log->seg[i].pos);
    free(log->seg);
    free(log);
}

int logAppend(pnLog *log, const void *data, uint32_t len, int64_t time, uint64_t *offset,
              pnError *err) {
    if (log->broken) return pnErrorSet(err, PN_EIO, "the log refused appends after a failed write");
    if (log->opt.readOnly) return pnErrorSet(err, PN_EINVAL, "the log was opened read-only");
    if (len > LOG_MAX_RECORD)
        return pnErrorSet(err, PN_ELIMIT, "record of %u bytes exceeds %u", len, LOG_MAX_RECORD);
    Segment *s = &log->seg[log->nseg - 1];
    if (s->count && s->bytes + LOG_HEADER + len > log->opt.segmentBytes) {
        int rc = logSync(log, err);
        if (rc == PN_OK) rc = segStart(log, err);
        if (rc != PN_OK) return rc;
        s = &log->seg[log->nseg - 1];
    }
    uint8_t h[LOG_HEADER];
    put64(h + 8, log->next);
    put64(h + 16, (uint64_t)time);
    put32(h, len);
    put32(h + 4, recordCrc(h, data, len));
    bufAppend(&log->pend, h, LOG_HEADER);
    bufAppend(&log->pend, data, len);
    if (bufFailed(&log->pend) || segPush(s, (uint32_t)s->bytes) != PN_OK) {
        log->broken = 1;
        return pnErrorSet(err, PN_ENOMEM, "out of memory");
    }
    s->bytes += LOG_HEADER + len;
    if (time > s->newest) s->newest = time;
    *offset = log->next++;
    checkOffsets(log);
    if (log->pend.len >= LOG_PEND_MAX) return logFlush(log, err);
    return PN_OK;
}

int logFlush(pnLog *log, pnError *err) {
    /* After a failed write the file may end in part of a record: nothing
     * more goes after it until logRewind() has cut it off. */
    if (log->broken) return pnErrorSet(err, PN_EIO, "the log refused appends after a failed write");
    size_t done = 0;
    while (done < log->pend.len) {
        ssize_t w = write(log->fd, log->pend.data + done, log->pend.len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            /* A partial record may be on disk: logRewind (or recovery) cuts it. */
            log->broken = 1;
            log->error = w < 0 ? errno : ENOSPC;
            return pnErrorSet(err, PN_EIO, "log write failed: %s",
                              w < 0 ? strerror(errno) : "short write");
        }
        done += (size_t)w;
    }
    log->pend.len = 0;
    log->written = log->next;
    checkOffsets(log);
    return PN_OK;
}

int logSync(pnLog *log, pnError *err) {
    /* Broken: a failed fsync is not retried (the kernel may have dropped
     * the pages it could not write); logRewind() cuts back and syncs again. */
    if (log->broken) return pnErrorSet(err, PN_EIO, "the log refused appends after a failed write");
    if (log->durable == log->next) return PN_OK;
    int rc = logFlush(log, err);
    if (rc != PN_OK) return rc;
    if (fdatasync(log->fd) != 0) {
        log->broken = 1;
        log->error = errno;
        return pnErrorSet(err, PN_EIO, "log fsync failed: %s", strerror(errno));
    }
    log->durable = log->next;
    checkOffsets(log);
    return PN_OK;
}

int logRewind(pnLog *log, uint64_t offset, pnError *err) {
    if (log->opt.readOnly) return pnErrorSet(err, PN_EINVAL, "the log was opened read-only");
    Segment *s = &log->seg[log->nseg - 1];
    if (offset < log->durable || offset < s->base || offset > log->written)
        return pnErrorSet(err, PN_EINVAL,
                          "cannot rewind to %" PRIu64 ": durable up to %" PRIu64
                          ", written up to %" PRIu64,
                          offset, log->durable, log->written);
    /* Records below written are whole in the file; where offset began is
     * where the part that failed begins. */
    uint64_t keep = offset - s->base < s->count ? s->pos[offset - s->base] : s->bytes;
    if (ftruncate(log->fd, (off_t)keep) != 0 || fdatasync(log->fd) != 0) {
        log->broken = 1;
        log->error = errno;
        return pnErrorSet(err, PN_EIO, "cannot cut the log back after a failed write: %s",
                          strerror(errno));
    }
    s->count = offset - s->base;
    s->bytes = keep;
    log->pend.len = 0;
    log->next = log->written = log->durable = offset;
    log->broken = 0;
    log->error = 0;
    checkOffsets(log);
    return PN_OK;
}

uint64_t logSpace(const pnLog *log) {
    struct statvfs v;
    if (statvfs(log->dir, &v) != 0) return UINT64_MAX;
    return (uint64_t)v.f_bavail * v.f_frsize;
}

uint64_t logFirst(const pnLog *log) {
    return log->nseg ? log->seg[0].base : 0;
}
uint64_t logNext(const pnLog *log) {
    return log->next;
}
uint64_t logDurable(const pnLog *log) {
    return log->durable;
}

int logBroken(const pnLog *log) {
    return log->broken;
}

int logError(const pnLog *log) {
    return log->broken ? log->error : 0;
}

uint64_t logBytes(const pnLog *log) {
    uint64_t b = 0;
    for (size_t i = 0; i < log->nseg; i++)
        b += log->seg[i].bytes;
    return b;
}

/* The segment holding offset, or NULL. */
static const Segment *segFind(const pnLog *log, uint64_t offset) {
    size_t lo = 0, hi = log->nseg;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const Segment *s = &log->seg[mid];
        if (offset < s->base)
            hi = mid;
        else if (offset >= s->base + s->count)
            lo = mid + 1;
        else
            return s;
    }
    return NULL;
}

int logRead(pnLog *log, uint64_t offset, LogRecord *rec, pnBuf *scratch, pnError *err) {
    if (offset >= log->written && offset < log->next && logFlush(log, err) != PN_OK) return PN_EIO;
    const Segment *s = segFind(log, offset);
    if (!s) return pnErrorSet(err, PN_ENOENT, "offset %" PRIu64 " is not in the log", offset);
    uint32_t pos = s->pos[offset - s->base];
    if (pos == LOG_HOLE)
        return pnErrorSet(err, PN_ENOENT, "record %" PRIu64 " was corrupt and is skipped", offset);
    char path[4200];
    segPath(log, s->base, path, sizeof(path));
    if (log->rfd < 0 || log->rbase != s->base) { /* one open per segment, not per record */
        if (log->rfd >= 0) close(log->rfd);
        log->rfd = open(path, O_RDONLY | O_CLOEXEC);
        log->rbase = s->base;
        if (log->rfd < 0) return pnErrorSet(err, PN_EIO, "%s: %s", path, strerror(errno));
    }
    int fd = log->rfd;
    /* Header and (most often) the whole record in one read. */
    uint8_t first[LOG_HEADER + 4096];
    ssize_t got = pread(fd, first, sizeof(first), pos);
    int rc = PN_OK;
    if (got < LOG_HEADER) rc = pnErrorSet(err, PN_EIO, "%s: short read", path);
    const uint8_t *h = first;
    uint32_t len = rc == PN_OK ? get32(h) : 0;
    if (rc == PN_OK && len > LOG_MAX_RECORD)
        rc = pnErrorSet(err, PN_EIO, "%s: record %" PRIu64 " changed on disk", path, offset);
    if (rc == PN_OK) {
        size_t have = (size_t)got - LOG_HEADER;
        if (have > len) have = len;
        scratch->len = 0;
        if (bufGrow(scratch, len) != 0) rc = pnErrorSet(err, PN_ENOMEM, "out of memory");
        if (rc == PN_OK) memcpy(scratch->data, first + LOG_HEADER, have);
        if (rc == PN_OK && have < len &&
            pread(fd, scratch->data + have, len - have, (off_t)(pos + LOG_HEADER + have)) !=
                (ssize_t)(len - have))
            rc = pnErrorSet(err, PN_EIO, "%s: short read", path);
        if (rc == PN_OK &&
            (get64(h + 8) != offset || get32(h + 4) != recordCrc(h, scratch->data, len)))
            rc = pnErrorSet(err, PN_EIO, "%s: record %" PRIu64 " fails its checksum", path, offset);
        if (rc == PN_OK) {
            scratch->len = len;
            scratch->data[len] = '\0';
            rec->offset = offset;
            rec->time = (int64_t)get64(h + 16);
            rec->len = len;
            rec->data = (const uint8_t *)scratch->data;
        }
    }
    return rc;
}

/* Whether retention removes the oldest segment, the log holding total
 * bytes (never the one being written). */
static int oldestDue(const pnLog *log, uint64_t total, int64_t now) {
    if (log->nseg < 2) return 0;
    const Segment *s = &log->seg[0];
    int tooBig = log->opt.retainBytes && total > log->opt.retainBytes;
    int tooOld = log->opt.retainSeconds && s->newest < now - log->opt.retainSeconds;
    return tooBig || tooOld;
}

int logRetainDue(const pnLog *log, int64_t now) {
    return oldestDue(log, logBytes(log), now);
}

uint64_t logRetain(pnLog *log, int64_t now) {
    uint64_t dropped = 0, total = logBytes(log);
    while (oldestDue(log, total, now)) {
        Segment *s = &log->seg[0];
        char path[4200];
        segPath(log, s->base, path, sizeof(path));
        if (unlink(path) != 0) break;
        if (log->rfd >= 0 && log->rbase == s->base) close(log->rfd), log->rfd = -1;
        total -= s->bytes;
        dropped += s->count;
        free(s->pos);
        memmove(&log->seg[0], &log->seg[1], (log->nseg - 1) * sizeof(Segment));
        log->nseg--;
    }
    return dropped;
}
