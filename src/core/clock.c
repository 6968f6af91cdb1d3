#include "core/clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

/* The tests' advance (clock_test_advance); 0 unless a test server was asked to move time. */
static _Atomic int64_t test_advance_ms;

void clock_test_advance(int64_t ms)
{
    atomic_fetch_add(&test_advance_ms, ms);
}

int64_t clock_now_ms(const kite_clock *clock)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    return now + (clock != NULL ? clock->offset_ms : 0) + atomic_load(&test_advance_ms);
}

int64_t clock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double clock_mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void clock_format_rfc3339(int64_t epoch_ms, char out[RFC3339_LEN])
{
    time_t secs = (time_t)(epoch_ms / 1000);
    int millis = (int)(epoch_ms % 1000);
    if (millis < 0) {
        millis += 1000;
        secs -= 1;
    }
    struct tm tm;
    if (gmtime_r(&secs, &tm) == NULL || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) {
        snprintf(out, RFC3339_LEN, "%s", "0000-00-00T00:00:00.000Z");
        return;
    }
    /*
     * Digits placed by hand: every timestamp of every page goes through here,
     * and strftime's locale machinery plus a second snprintf cost a tenth of
     * an inbox page (perf, bench_run's inbox phase).
     */
    const int fields[] = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis};
    static const unsigned char widths[] = {4, 2, 2, 2, 2, 2, 3};
    static const char after[] = "--T::.Z";
    char *p = out;
    for (size_t f = 0; f < sizeof widths; f++) {
        for (int i = widths[f] - 1, v = fields[f]; i >= 0; i--, v /= 10)
            p[i] = (char)('0' + v % 10);
        p += widths[f];
        *p++ = after[f];
    }
    *p = '\0';
}

/* Epoch seconds of y-m-d h:mi:s UTC when it is a real time from 1970 on; false otherwise. */
static bool utc_seconds(int y, int mo, int d, int h, int mi, int sec, int64_t *out)
{
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
        sec < 0 || sec > 59)
        return false;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec};
    time_t t = timegm(&tm);
    struct tm back;
    if (t == (time_t)-1 || gmtime_r(&t, &back) == NULL || back.tm_year != y - 1900 || back.tm_mon != mo - 1 ||
        back.tm_mday != d)
        return false;
    *out = (int64_t)t;
    return true;
}

/* True when text[0..n) has a digit at every position pattern marks '9' (sscanf's %d would also take " 3" or "+3"). */
static bool digits_where(const char *text, const char *pattern)
{
    for (size_t i = 0; pattern[i] != '\0'; i++)
        if (pattern[i] == '9' && (text[i] < '0' || text[i] > '9'))
            return false;
    return true;
}

bool clock_parse_day(const char *text, int64_t *epoch_ms)
{
    int y, mo, d, used = 0;
    int64_t seconds;
    if (text == NULL || sscanf(text, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3 || used != 10 || text[used] != '\0' ||
        !digits_where(text, "9999-99-99") || !utc_seconds(y, mo, d, 0, 0, 0, &seconds))
        return false;
    *epoch_ms = seconds * 1000;
    return true;
}

/* ".123" as milliseconds (digits past the third ignored); p moves past it.  False for a "." without digits. */
static bool fraction_ms(const char **p, int64_t *ms)
{
    *ms = 0;
    if (**p != '.')
        return true;
    const char *q = *p + 1;
    if (*q < '0' || *q > '9')
        return false;
    for (int64_t scale = 100; *q >= '0' && *q <= '9'; q++, scale /= 10)
        *ms += (*q - '0') * scale;
    *p = q;
    return true;
}

/* "Z", "+hh:mm" or "-hh:mm" as minutes east of UTC, ending the text; false otherwise. */
static bool offset_minutes(const char *p, int64_t *minutes)
{
    if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') {
        *minutes = 0;
        return true;
    }
    int oh, om, n = 0;
    if ((p[0] != '+' && p[0] != '-') || sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5 ||
        !digits_where(p + 1, "99:99") || p[6] != '\0' ||
        oh < 0 || oh > 23 || om < 0 || om > 59)
        return false;
    *minutes = (p[0] == '-' ? -1 : 1) * (oh * 60 + om);
    return true;
}

bool clock_parse_rfc3339(const char *text, int64_t *epoch_ms)
{
    int y, mo, d, h, mi, sec, used = 0;
    int64_t seconds, frac, offset;
    if (text == NULL || sscanf(text, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 ||
        used != 19 || !digits_where(text, "9999-99-99T99:99:99") || sec > 60 ||
        !utc_seconds(y, mo, d, h, mi, sec > 59 ? 59 : sec, &seconds))
        return false;
    const char *p = text + used;
    if (!fraction_ms(&p, &frac) || !offset_minutes(p, &offset))
        return false;
    *epoch_ms = (seconds - offset * 60) * 1000 + frac;
    return true;
}

int64_t clock_month_start_utc(int64_t epoch_ms)
{
    int64_t ms = epoch_ms % 1000 < 0 ? epoch_ms - 1000 - epoch_ms % 1000 : epoch_ms - epoch_ms % 1000;
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    return (int64_t)timegm(&tm) * 1000;
}
