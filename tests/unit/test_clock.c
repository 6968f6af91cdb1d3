/*
 * test_clock.c - the calendar parsing every caller shares (call records'
 * RFC 3339 times, the revenue report's days, the month of a transfer
 * limit): real dates and times only, offsets and fractions applied, and
 * what libc would silently normalise refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/clock.h"

#define DAY_MS INT64_C(86400000)
#define DEC_3_2026 INT64_C(1796256000000) /* 2026-12-03T00:00:00Z */

static void rfc3339_times(void **state)
{
    (void)state;
    int64_t ms = -1;
    assert_true(clock_parse_rfc3339("2026-12-03T00:00:00Z", &ms));
    assert_int_equal(ms, DEC_3_2026);
    assert_true(clock_parse_rfc3339("2026-12-03T01:02:03.456Z", &ms));
    assert_int_equal(ms, DEC_3_2026 + 3723456);
    assert_true(clock_parse_rfc3339("2026-12-03t01:02:03.4z", &ms));
    assert_int_equal(ms, DEC_3_2026 + 3723400);
    /* An offset is where the clock on the wall was: 08:00-05:00 is 13:00 UTC. */
    assert_true(clock_parse_rfc3339("2026-12-03T08:00:00-05:00", &ms));
    assert_int_equal(ms, DEC_3_2026 + 13 * 3600000);
    assert_true(clock_parse_rfc3339("2026-12-03T00:30:00+01:00", &ms));
    assert_int_equal(ms, DEC_3_2026 - 30 * 60000);
    /* A leap second is the last second of its minute. */
    assert_true(clock_parse_rfc3339("2016-12-31T23:59:60Z", &ms));
    assert_true(clock_parse_rfc3339("2016-12-31T23:59:59Z", &(int64_t){0}));
    assert_true(clock_parse_rfc3339("2024-02-29T12:00:00Z", &ms));
}

/* The times every answer prints, and each one read back to the same millisecond. */
static void rfc3339_formatting(void **state)
{
    (void)state;
    char out[RFC3339_LEN];
    clock_format_rfc3339(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    clock_format_rfc3339(DEC_3_2026 + 3723456, out);
    assert_string_equal(out, "2026-12-03T01:02:03.456Z");
    clock_format_rfc3339(-1, out);
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");
    clock_format_rfc3339(INT64_C(253402300799999), out);
    assert_string_equal(out, "9999-12-31T23:59:59.999Z");
    for (int64_t ms = DEC_3_2026 - 400 * DAY_MS; ms < DEC_3_2026 + 400 * DAY_MS; ms += DAY_MS / 3 + 7) {
        int64_t back = 0;
        clock_format_rfc3339(ms, out);
        assert_true(clock_parse_rfc3339(out, &back));
        assert_int_equal(back, ms);
    }
}

static void rfc3339_refusals(void **state)
{
    (void)state;
    static const char *const bad[] = {
        NULL, "", "2026-12-03", "2026-12-03T00:00:00", "2026-12-03T00:00:00+0500", "2026-12-03T00:00:00Zjunk",
        "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-12-03T24:00:00Z",
        "2026-12-03T00:60:00Z", "2026-12-03T00:00:61Z", "1969-12-31T23:59:59Z", "2026-12-03T00:00:00.Z",
        "2026/12/03T00:00:00Z", "2026-12-03T00:00:00+24:00", "+2026-12-03T00:00:00Z", "2026-12- 3T00:00:00Z",
        "2026-12-+3T00:00:00Z", " 2026-12-03T00:00:00Z", "2026-12-03T00:00:00+ 1:00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 42;
        assert_false(clock_parse_rfc3339(bad[i], &ms));
        assert_int_equal(ms, 42);
    }
}

static void days(void **state)
{
    (void)state;
    int64_t ms = -1;
    assert_true(clock_parse_day("2026-12-03", &ms));
    assert_int_equal(ms, DEC_3_2026);
    assert_true(clock_parse_day("1970-01-01", &ms));
    assert_int_equal(ms, 0);
    assert_true(clock_parse_day("2000-02-29", &ms));
    static const char *const bad[] = {NULL, "", "2026-12-3", "2026-12-03 ", "2026-02-30", "2100-02-29", "1969-12-31",
                                      "2026-00-10", "2026-12-32", "20261203", "2026-12-03T00:00:00Z", "2026-12- 3",
                                      "2026-+1-03"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(clock_parse_day(bad[i], &ms));
}

static void month_start(void **state)
{
    (void)state;
    int64_t dec_1 = DEC_3_2026 - 2 * DAY_MS;
    assert_int_equal(clock_month_start_utc(DEC_3_2026), dec_1);
    assert_int_equal(clock_month_start_utc(dec_1), dec_1);
    assert_int_equal(clock_month_start_utc(dec_1 - 1), dec_1 - 30 * DAY_MS); /* 2026-11-01 */
    assert_int_equal(clock_month_start_utc(0), 0);
    assert_int_equal(clock_month_start_utc(31 * DAY_MS - 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc3339_times),
        cmocka_unit_test(rfc3339_formatting),
        cmocka_unit_test(rfc3339_refusals),
        cmocka_unit_test(days),
        cmocka_unit_test(month_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
