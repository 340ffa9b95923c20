/*
 * diag.c -- the diagnostics sink (see diag.h).
 */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "str.h"

/* Set once at start-up (diag.h): the node is single-threaded. */
static DiagSink sinkFn;
static void *sinkCtx;
static DiagLevel threshold = DIAG_INFO;

static const char *const levelNames[] = {"error", "warning", "info", "debug"};

void diagSetSink(DiagSink sink, void *ctx, DiagLevel level) {
    sinkFn = sink;
    sinkCtx = ctx;
    threshold = level;
}

DiagLevel diagLevel(void) {
    return threshold;
}

const char *diagLevelName(DiagLevel level) {
    return (unsigned)level <= DIAG_DEBUG ? levelNames[level] : "?";
}

int diagLevelParse(const char *name, DiagLevel *out) {
    for (int i = 0; i <= DIAG_DEBUG; i++)
        if (strcmp(name, levelNames[i]) == 0) return *out = (DiagLevel)i, 0;
    return -1;
}

static void emit(DiagLevel level, const char *msg) {
    if (sinkFn && level <= threshold) sinkFn(sinkCtx, level, msg);
}

void diagLog(DiagLevel level, const char *fmt, ...) {
    if (!sinkFn || level > threshold) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    strFormatV(line, sizeof(line), fmt, ap);
    va_end(ap);
    emit(level, line);
}

void diagRepeatInit(DiagRepeat *r) {
    memset(r, 0, sizeof(*r));
}

/* Say how often the line came again since it was last said. */
static void summarise(DiagRepeat *r, const char *window) {
    if (r->repeats == 0) return;
    diagLog(r->level, "%s (repeated %llu time%s%s)", r->last, (unsigned long long)r->repeats,
            r->repeats == 1 ? "" : "s", window);
    r->repeats = 0;
}

void diagRepeat(DiagRepeat *r, DiagLevel level, uint64_t now, const char *msg) {
    /* A line too long for the memory is remembered cut, and compared cut:
     * logging it whole matters more than telling two such lines apart. */
    char line[sizeof(r->last)];
    if (strCopy(line, sizeof(line), msg) != 0) strMarkCut(line, sizeof(line));
    if (r->last[0] && strcmp(r->last, line) == 0) {
        r->repeats++;
        if (now - r->since >= DIAG_REPEAT_WINDOW_MS) {
            summarise(r, " in 5 min");
            r->since = now;
        }
        return;
    }
    summarise(r, "");
    memcpy(r->last, line, sizeof(line));
    r->level = level;
    r->since = now;
    emit(level, msg);
}

void diagRepeatEnd(DiagRepeat *r) {
    summarise(r, "");
    r->last[0] = '\0';
}
