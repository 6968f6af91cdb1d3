/*
 * clock.h - the time Kite believes it is.
 *
 * All domain code asks a kite_clock, never time() directly, so that tests can
 * move time (invitation expiry, throttling windows) without sleeping.  A clock
 * with a non-zero offset exists only when the server was started with the
 * test-only flag; production starts refuse it.
 */
#ifndef KITE_CORE_CLOCK_H
#define KITE_CORE_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kite_clock {
    int64_t offset_ms; /* added to the real time; 0 in production */
} kite_clock;

int64_t clock_now_ms(const kite_clock *clock);
/*
 * Tests only: moves every clock of the process forward by ms while it runs
 * (POST /api/v1/test/clock, served only by a server started with the test
 * clock allowed: cli/cmd_serve.c).  A live video visit cannot survive a
 * restart, so its test moves time in place.  The advance is one atomic
 * number that every clock_now_ms adds, whichever copy of a kite_clock the
 * caller holds; it stays 0 in production, where nothing calls this.
 */
void clock_test_advance(int64_t ms);
/* Monotonic milliseconds, for measuring durations. */
int64_t clock_mono_ms(void);
double clock_mono_seconds(void);

enum { RFC3339_LEN = 32 };
/* Formats epoch milliseconds as "2026-11-22T06:21:09.123Z". */
void clock_format_rfc3339(int64_t epoch_ms, char out[RFC3339_LEN]);

/*
 * Calendar arithmetic is libc's (timegm, gmtime_r), in UTC; these only check
 * what libc would silently normalise (a 30 February becomes 2 March), by
 * converting back and comparing, and refuse years before 1970.
 *
 * An RFC 3339 time ("2026-01-31T14:05:00Z"; a fraction and a +hh:mm or
 * -hh:mm offset allowed; a leap second counts as :59) as epoch ms.  False,
 * *epoch_ms untouched, for anything else.
 */
bool clock_parse_rfc3339(const char *text, int64_t *epoch_ms);
/* "YYYY-MM-DD", a real day, as the epoch ms of its first millisecond (UTC). */
bool clock_parse_day(const char *text, int64_t *epoch_ms);
/* The first millisecond (UTC) of the calendar month that epoch_ms falls in. */
int64_t clock_month_start_utc(int64_t epoch_ms);

#endif
