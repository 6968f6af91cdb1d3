/*
 * visit_zone.c - time zones through ICU's calendar (see visit_zone.h).
 *
 * Each call opens its own UCalendar and closes it: thread-safe, and cheap
 * next to the store round trip that every caller makes anyway.
 */
#include "domain/visits/visit_zone.h"

#include <stdio.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

/* The zone name as UTF-16 for ICU; false when too long or not plain ASCII. */
static bool zone_uchars(const char *zone, UChar *out, int32_t cap, int32_t *len)
{
    size_t n = zone ? strlen(zone) : 0;
    if (n == 0 || n >= (size_t)cap || n >= VISIT_ZONE_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)zone[i] < 0x21 || (unsigned char)zone[i] > 0x7e)
            return false;
    u_charsToUChars(zone, out, (int32_t)n);
    *len = (int32_t)n;
    return true;
}

bool visit_zone_valid(const char *name)
{
    UChar id[VISIT_ZONE_MAX], canonical[VISIT_ZONE_MAX * 2];
    int32_t len;
    if (!zone_uchars(name, id, VISIT_ZONE_MAX, &len))
        return false;
    UBool system = 0;
    UErrorCode st = U_ZERO_ERROR;
    ucal_getCanonicalTimeZoneID(id, len, canonical, VISIT_ZONE_MAX * 2, &system, &st);
    /* "Etc/Unknown" is what ICU answers for a name it does not know. */
    return U_SUCCESS(st) && system && strcmp(name, "Etc/Unknown") != 0;
}

static UCalendar *zone_open(const char *zone)
{
    if (!visit_zone_valid(zone))
        return NULL;
    UChar id[VISIT_ZONE_MAX];
    int32_t len;
    (void)zone_uchars(zone, id, VISIT_ZONE_MAX, &len);
    UErrorCode st = U_ZERO_ERROR;
    UCalendar *cal = ucal_open(id, len, "en_US_POSIX", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st)) {
        if (cal)
            ucal_close(cal);
        return NULL;
    }
    return cal;
}

bool visit_zone_to_utc(const char *zone, int year, int month, int day, int minute_of_day, int64_t *ms)
{
    if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31 || minute_of_day < 0 ||
        minute_of_day >= 24 * 60)
        return false;
    UCalendar *cal = zone_open(zone);
    if (cal == NULL)
        return false;
    UErrorCode st = U_ZERO_ERROR;
    ucal_setAttribute(cal, UCAL_LENIENT, 0); /* 31 February is refused, not moved to March */
    ucal_clear(cal);
    ucal_setDateTime(cal, year, month - 1, day, minute_of_day / 60, minute_of_day % 60, 0, &st);
    UDate d = ucal_getMillis(cal, &st);
    ucal_close(cal);
    if (U_FAILURE(st))
        return false;
    *ms = (int64_t)d;
    return true;
}

bool visit_zone_from_utc(const char *zone, int64_t ms, visit_wall *out)
{
    UCalendar *cal = zone_open(zone);
    if (cal == NULL)
        return false;
    UErrorCode st = U_ZERO_ERROR;
    ucal_setMillis(cal, (UDate)ms, &st);
    visit_wall w = {
        .year = ucal_get(cal, UCAL_YEAR, &st),
        .month = ucal_get(cal, UCAL_MONTH, &st) + 1,
        .day = ucal_get(cal, UCAL_DATE, &st),
        .hour = ucal_get(cal, UCAL_HOUR_OF_DAY, &st),
        .minute = ucal_get(cal, UCAL_MINUTE, &st),
        .second = ucal_get(cal, UCAL_SECOND, &st),
        .weekday = ucal_get(cal, UCAL_DAY_OF_WEEK, &st) - UCAL_SUNDAY,
        .offset_minutes = (ucal_get(cal, UCAL_ZONE_OFFSET, &st) + ucal_get(cal, UCAL_DST_OFFSET, &st)) / 60000,
    };
    ucal_close(cal);
    if (U_FAILURE(st))
        return false;
    *out = w;
    return true;
}

bool visit_zone_local_string(const char *zone, int64_t ms, char *buf, size_t size)
{
    visit_wall w;
    if (!visit_zone_from_utc(zone, ms, &w))
        return false;
    int off = w.offset_minutes < 0 ? -w.offset_minutes : w.offset_minutes;
    int n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", w.year, w.month, w.day, w.hour, w.minute,
                     w.second, w.offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
    return n > 0 && (size_t)n < size;
}

const char *visit_zone_suggest(const char *state)
{
    /* States that keep one zone throughout (split states get no suggestion: the admin chooses). */
    static const char *const one_zone[][2] = {
        {"AL", "America/Chicago"},     {"AR", "America/Chicago"},     {"CA", "America/Los_Angeles"},
        {"CO", "America/Denver"},      {"CT", "America/New_York"},    {"DC", "America/New_York"},
        {"DE", "America/New_York"},    {"GA", "America/New_York"},    {"HI", "Pacific/Honolulu"},
        {"IA", "America/Chicago"},     {"IL", "America/Chicago"},     {"LA", "America/Chicago"},
        {"MA", "America/New_York"},    {"MD", "America/New_York"},    {"ME", "America/New_York"},
        {"MN", "America/Chicago"},     {"MO", "America/Chicago"},     {"MS", "America/Chicago"},
        {"MT", "America/Denver"},      {"NC", "America/New_York"},    {"NH", "America/New_York"},
        {"NJ", "America/New_York"},    {"NM", "America/Denver"},      {"NV", "America/Los_Angeles"},
        {"NY", "America/New_York"},    {"OH", "America/New_York"},    {"OK", "America/Chicago"},
        {"PA", "America/New_York"},    {"PR", "America/Puerto_Rico"}, {"RI", "America/New_York"},
        {"SC", "America/New_York"},    {"UT", "America/Denver"},      {"VA", "America/New_York"},
        {"VT", "America/New_York"},    {"WA", "America/Los_Angeles"}, {"WI", "America/Chicago"},
        {"WV", "America/New_York"},    {"WY", "America/Denver"},
    };
    if (state == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof one_zone / sizeof one_zone[0]; i++)
        if (strcmp(one_zone[i][0], state) == 0)
            return one_zone[i][1];
    return NULL;
}
