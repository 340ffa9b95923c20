/*
 * date.h -- calendar dates and instants.
 *
 * Membership in the registry is decided per day, so dates are plain day
 * numbers (days since 1970-01-01, proleptic Gregorian, UTC).  Instants such
 * as a label's creation time are seconds since the epoch.  Both are small
 * integers so comparisons on the decision path cost one instruction.
 */
#ifndef PN_DATE_H
#define PN_DATE_H

#include <stdint.h>

/* The day after every real date: an open-ended interval ends here. */
#define PN_DAY_NEVER INT32_MAX
/* The day before every real date. */
#define PN_DAY_NONE INT32_MIN

/* Days since 1970-01-01 for a valid Gregorian y-m-d. */
int32_t dayFromCivil(int y, int m, int d);

/* Inverse of dayFromCivil. */
void civilFromDay(int32_t day, int *y, int *m, int *d);

/* Parse exactly "YYYY-MM-DD" into *day.  Returns 0, or -1 when s is not a
 * real calendar date (2023-02-29 is refused). */
int dateParse(const char *s, int32_t *day);

/* Write "YYYY-MM-DD" (10 chars + NUL) into out. */
void dateFormat(int32_t day, char out[11]);

/* Parse an instant: "YYYY-MM-DD" (midnight UTC), "YYYY-MM-DDTHH:MM:SSZ",
 * "YYYY-MM-DDTHH:MM:SS.fffZ" (fraction ignored) or "+HH:MM" offsets.
 * Returns 0 or -1. */
int timeParse(const char *s, int64_t *secs);

/* Write "YYYY-MM-DDTHH:MM:SSZ" (20 chars + NUL) into out. */
void timeFormat(int64_t secs, char out[21]);

/* The day containing the instant (floor division, correct before 1970). */
static inline int32_t dayOfTime(int64_t secs) {
    int64_t d = secs / 86400;
    if (secs % 86400 < 0) d--;
    /* Clamp rather than wrap: an absurd instant must not alias a real day. */
    if (d <= PN_DAY_NONE) return PN_DAY_NONE + 1;
    if (d >= PN_DAY_NEVER) return PN_DAY_NEVER - 1;
    return (int32_t)d;
}

/* Current time in seconds (CLOCK_REALTIME). */
int64_t timeNow(void);

/* Current time in milliseconds (CLOCK_REALTIME): for intervals that must
 * not end early by up to a second (session expiry, will delay). */
int64_t timeNowMs(void);

#endif
