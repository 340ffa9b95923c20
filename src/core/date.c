/*
 * date.c -- Gregorian day arithmetic (see date.h).
 *
 * dayFromCivil/civilFromDay use Howard Hinnant's public-domain era
 * algorithm: exact for every proleptic Gregorian date, no tables, no libc
 * time zone state (timegm is not C11 and mktime depends on TZ).
 */
#include "date.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int32_t dayFromCivil(int y, int m, int d) {
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153u * (unsigned)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (unsigned)d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int32_t)doe - 719468;
}

void civilFromDay(int32_t z, int *y, int *m, int *d) {
    z += 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)yoe + era * 400 + (*m <= 2);
}

static int digits(const char *s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Parse the leading "YYYY-MM-DD" of s (no terminator check). */
static int datePrefix(const char *s, int32_t *day) {
    int y, m, d;
    if (strlen(s) < 10 || s[4] != '-' || s[7] != '-') return -1;
    if (digits(s, 4, &y) || digits(s + 5, 2, &m) || digits(s + 8, 2, &d)) return -1;
    if (m < 1 || m > 12 || d < 1 || d > 31) return -1;
    int32_t z = dayFromCivil(y, m, d);
    int yy, mm, dd;
    civilFromDay(z, &yy, &mm, &dd);
    if (yy != y || mm != m || dd != d) return -1; /* e.g. 2023-02-29 */
    *day = z;
    return 0;
}

int dateParse(const char *s, int32_t *day) {
    if (datePrefix(s, day) != 0 || s[10] != '\0') return -1;
    return 0;
}

void dateFormat(int32_t day, char out[11]) {
    int y, m, d;
    if (day == PN_DAY_NONE || day == PN_DAY_NEVER) { /* open interval ends */
        memcpy(out, day == PN_DAY_NONE ? "(always)" : "(never)", day == PN_DAY_NONE ? 9 : 8);
        return;
    }
    /* Keep civilFromDay's arithmetic far from int32 overflow. */
    if (day > 2900000 || day < -2900000) day = day > 0 ? 2900000 : -719468;
    civilFromDay(day, &y, &m, &d);
    char tmp[48]; /* room for any int, so the compiler can prove no truncation */
    snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", y % 10000, m, d);
    memcpy(out, tmp, 10);
    out[10] = '\0';
}

/* Instants must be writable back as YYYY-MM-DDTHH:MM:SSZ: years 0000-9999
 * in UTC, after any offset is applied. */
static int timeInRange(int64_t t) {
    return t >= (int64_t)dayFromCivil(0, 1, 1) * 86400 &&
           t <= (int64_t)dayFromCivil(9999, 12, 31) * 86400 + 86399;
}

static int timeParseRaw(const char *s, int64_t *secs);

int timeParse(const char *s, int64_t *secs) {
    int64_t t;
    if (timeParseRaw(s, &t) != 0 || !timeInRange(t)) return -1;
    *secs = t;
    return 0;
}

static int timeParseRaw(const char *s, int64_t *secs) {
    int32_t day;
    if (datePrefix(s, &day) != 0) return -1;
    const char *p = s + 10;
    int64_t t = (int64_t)day * 86400;
    if (*p == '\0') {
        *secs = t;
        return 0;
    }
    int hh, mi, ss;
    if ((*p != 'T' && *p != ' ') || strlen(p) < 9 || p[3] != ':' || p[6] != ':') return -1;
    if (digits(p + 1, 2, &hh) || digits(p + 4, 2, &mi) || digits(p + 7, 2, &ss)) return -1;
    if (hh > 23 || mi > 59 || ss > 60) return -1;
    t += hh * 3600 + mi * 60 + ss;
    p += 9;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p)) return -1;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'Z' && p[1] == '\0') {
        *secs = t;
        return 0;
    }
    if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || digits(p + 4, 2, &om) || oh > 23 || om > 59) return -1;
        int64_t off = oh * 3600 + om * 60;
        *secs = *p == '+' ? t - off : t + off;
        return 0;
    }
    return -1;
}

void timeFormat(int64_t secs, char out[21]) {
    int32_t day = dayOfTime(secs);
    int64_t rem = secs - (int64_t)day * 86400;
    int y, m, d;
    civilFromDay(day, &y, &m, &d);
    char tmp[96];
    snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02dZ", y % 10000, m, d, (int)(rem / 3600),
             (int)(rem / 60 % 60), (int)(rem % 60));
    memcpy(out, tmp, 20);
    out[20] = '\0';
}

int64_t timeNow(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

int64_t timeNowMs(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
