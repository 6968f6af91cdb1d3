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

#include <stddef.h>
#include <stdint.h>

typedef struct kite_clock {
    int64_t offset_ms; /* added to the real time; 0 in production */
} kite_clock;

int64_t clock_now_ms(const kite_clock *clock);
/* Monotonic milliseconds, for measuring durations. */
int64_t clock_mono_ms(void);
double clock_mono_seconds(void);

enum { RFC3339_LEN = 32 };
/* Formats epoch milliseconds as "2026-11-22T06:21:09.123Z". */
void clock_format_rfc3339(int64_t epoch_ms, char out[RFC3339_LEN]);

#endif
