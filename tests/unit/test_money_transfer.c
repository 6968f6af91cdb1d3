/*
 * test_money_transfer.c - the pure rules of money transfers and terminal
 * time: the calendar month (UTC) a monthly limit counts, the last-name
 * match (case and surrounding spaces ignored, accents as typed), and the
 * minutes a terminal session has started, each at its boundaries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "domain/ledger/money_transfer.h"
#include "domain/ledger/terminal.h"

/* Epoch ms of some UTC instants (computed independently of the code under test). */
#define DEC_2026 INT64_C(1796083200000)     /* 2026-12-01T00:00:00Z */
#define DEC_3_2026 INT64_C(1796315812000)   /* 2026-12-03T16:36:52Z */
#define FEB_2024 INT64_C(1706745600000)     /* 2024-02-01T00:00:00Z */
#define FEB_29_2024 INT64_C(1709251199000)  /* 2024-02-29T23:59:59Z */
#define MAR_2024 INT64_C(1709251200000)     /* 2024-03-01T00:00:00Z */
#define DEC_2025 INT64_C(1764547200000)     /* 2025-12-01T00:00:00Z */
#define JAN_2026 INT64_C(1767225600000)     /* 2026-01-01T00:00:00Z */
#define FEB_2000 INT64_C(949363200000)      /* 2000-02-01T00:00:00Z */
#define MAR_2100 INT64_C(4107542400000)     /* 2100-03-01T00:00:00Z (2100 is not a leap year) */
#define DAY_MS INT64_C(86400000)

static void test_month_start(void **state)
{
    (void)state;
    assert_int_equal(money_transfer_month_start(DEC_3_2026), DEC_2026);
    assert_int_equal(money_transfer_month_start(DEC_2026), DEC_2026);         /* the first millisecond */
    assert_int_equal(money_transfer_month_start(DEC_2026 - 1), INT64_C(1793491200000)); /* 2026-11-01 */
    assert_int_equal(money_transfer_month_start(FEB_29_2024), FEB_2024);      /* a leap day */
    assert_int_equal(money_transfer_month_start(FEB_29_2024 + 999), FEB_2024); /* its last millisecond */
    assert_int_equal(money_transfer_month_start(MAR_2024), MAR_2024);
    assert_int_equal(money_transfer_month_start(JAN_2026 - 1), DEC_2025);     /* across a year */
    assert_int_equal(money_transfer_month_start(JAN_2026), JAN_2026);
    assert_int_equal(money_transfer_month_start(FEB_2000 + 28 * DAY_MS), FEB_2000); /* 2000-02-29 exists */
    assert_int_equal(money_transfer_month_start(MAR_2100 - 1), MAR_2100 - 28 * DAY_MS); /* Feb 2100 has 28 days */
    assert_int_equal(money_transfer_month_start(0), 0);
    assert_int_equal(money_transfer_month_start(31 * DAY_MS - 1), 0);
    assert_int_equal(money_transfer_month_start(31 * DAY_MS), 31 * DAY_MS);   /* 1970-02-01 */
}

static void test_last_name_match(void **state)
{
    (void)state;
    assert_true(money_transfer_last_name_matches("Rivera", "Rivera"));
    assert_true(money_transfer_last_name_matches("rivera", "Rivera"));
    assert_true(money_transfer_last_name_matches("  RIVERA\t", "Rivera"));
    assert_true(money_transfer_last_name_matches("Rivera", " Rivera "));
    assert_true(money_transfer_last_name_matches("de la Cruz", "De La Cruz"));
    assert_true(money_transfer_last_name_matches("O'Neil", "o'neil"));
    assert_true(money_transfer_last_name_matches("Peña", "Peña"));
    /* Accents as typed: folding them would make two different names one. */
    assert_false(money_transfer_last_name_matches("Pena", "Peña"));
    assert_false(money_transfer_last_name_matches("PEÑA", "Peña")); /* only ASCII letters fold */
    assert_false(money_transfer_last_name_matches("Rivero", "Rivera"));
    assert_false(money_transfer_last_name_matches("Rivera", "Riveras"));
    assert_false(money_transfer_last_name_matches("Riv era", "Rivera")); /* spaces inside count */
    assert_false(money_transfer_last_name_matches("", "Rivera"));
    assert_false(money_transfer_last_name_matches("   ", "Rivera"));
    assert_false(money_transfer_last_name_matches("", ""));
    assert_false(money_transfer_last_name_matches(NULL, "Rivera"));
    assert_false(money_transfer_last_name_matches("Rivera", NULL));
}

static void test_minutes_started(void **state)
{
    (void)state;
    const int64_t t0 = DEC_3_2026;
    assert_int_equal(terminal_minutes_started(t0, t0), 1);               /* the first heartbeat starts minute 1 */
    assert_int_equal(terminal_minutes_started(t0, t0 + 59999), 1);
    assert_int_equal(terminal_minutes_started(t0, t0 + 60000), 2);       /* minute 2 starts on the dot */
    assert_int_equal(terminal_minutes_started(t0, t0 + 119999), 2);
    assert_int_equal(terminal_minutes_started(t0, t0 + TERMINAL_IDLE_MS), 6);
    assert_int_equal(terminal_minutes_started(t0, t0 - 5000), 1);        /* a clock stepped back starts nothing */
}

static void test_state_names(void **state)
{
    (void)state;
    money_transfer_state s = MONEY_TRANSFER_STATE_COUNT;
    assert_string_equal(money_transfer_state_name(MONEY_TRANSFER_COMPLETED), "completed");
    assert_string_equal(money_transfer_state_name(MONEY_TRANSFER_STATE_COUNT), "unknown");
    assert_true(money_transfer_state_parse("completed", &s));
    assert_int_equal(s, MONEY_TRANSFER_COMPLETED);
    assert_false(money_transfer_state_parse("Completed", &s));
    assert_false(money_transfer_state_parse(NULL, &s));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_month_start),
        cmocka_unit_test(test_last_name_match),
        cmocka_unit_test(test_minutes_started),
        cmocka_unit_test(test_state_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
