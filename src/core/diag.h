/*
 * diag.h -- the one diagnostics sink of the library.
 *
 * Library code never prints: what a running node has to tell its operator
 * (a reload, a link that cannot log in, the store failing) goes through
 * diagLog() with a level, and the program that links the library decides
 * where it goes and in what form (the CLI writes "TIME LEVEL partnernet:
 * MSG" lines to stderr).  Lines below the level in force are dropped
 * before they are formatted.  With no sink installed nothing is printed.
 *
 * A condition that repeats (a peer refusing every login, every 2 s) is
 * logged once through a DiagRepeat, then summed up: "(repeated N times in
 * 5 min)" every 5 minutes while it lasts, and once more when it changes or
 * ends.
 *
 * The sink and level are process-wide, set once at start-up before the
 * loop runs (the node is single-threaded; nothing here is locked).
 */
#ifndef PN_DIAG_H
#define PN_DIAG_H

#include <stddef.h>
#include <stdint.h>

typedef enum { DIAG_ERROR = 0, DIAG_WARNING, DIAG_INFO, DIAG_DEBUG } DiagLevel;

/* Receives each line at or above the level in force; msg has no newline
 * and is valid only during the call. */
typedef void (*DiagSink)(void *ctx, DiagLevel level, const char *msg);

/* Install sink (NULL: drop everything) and the least important level that
 * still reaches it. */
void diagSetSink(DiagSink sink, void *ctx, DiagLevel level);

/* The level in force (so a caller can skip costly preparation). */
DiagLevel diagLevel(void);

/* "error", "warning", "info", "debug". */
const char *diagLevelName(DiagLevel level);

/* Parse a level name (as above, case-sensitive).  Returns 0 with *out
 * set, or -1 for anything else. */
int diagLevelParse(const char *name, DiagLevel *out);

/* Format and hand one line to the sink.  Lines longer than 1 KiB end in
 * "..." rather than vanish. */
void diagLog(DiagLevel level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The window a repeating line is summed up over: 5 minutes. */
#define DIAG_REPEAT_WINDOW_MS (5 * 60 * 1000)

typedef struct DiagRepeat {
    char last[512];   /* the line last logged ("" none) */
    DiagLevel level;  /* its level */
    uint64_t since;   /* when it was logged or last summed up (ms) */
    uint64_t repeats; /* identical lines suppressed since then */
} DiagRepeat;

/* Start with nothing logged. */
void diagRepeatInit(DiagRepeat *r);

/* Log msg at level unless it is the line r logged last: then count it, and
 * once DIAG_REPEAT_WINDOW_MS has passed since that line (or its last
 * summary) log "MSG (repeated N times in 5 min)".  A different line first
 * sums up the old one.  now is a monotonic clock in milliseconds. */
void diagRepeat(DiagRepeat *r, DiagLevel level, uint64_t now, const char *msg);

/* The condition is over (the link came up, it stops): sum up what was
 * suppressed ("MSG (repeated N times)") and forget the line, so the next
 * occurrence is logged again. */
void diagRepeatEnd(DiagRepeat *r);

#endif
