/*
 * test_phone.c - the rating of a call (domain/ledger/phone.c) at its
 * boundaries: 0 s costs nothing, exactly 60 s is one minute and 61 s two,
 * a balance that pays exactly for the call and one cent short of it (cut
 * at the balance, billed seconds the whole minutes paid), a balance below
 * one minute, the rate exactly at the FCC cap of every tier, durations
 * outside 0..PHONE_CALL_MAX_SECONDS; and phone numbers as typed, reduced
 * to E.164 or refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/fault.h"
#include "domain/ledger/fcc.h"
#include "domain/ledger/phone.h"

#include <string.h>

static phone_call_rating rate(int64_t seconds, int64_t rate_cents, int64_t balance)
{
    phone_call_rating r;
    kite_fault f;
    assert_int_equal(phone_rate_call(seconds, rate_cents, balance, &r, &f), KITE_OK);
    assert_int_equal(r.reported_seconds, seconds);
    assert_int_equal(r.rate_cents, rate_cents);
    assert_int_equal(r.amount_cents, r.billed_minutes * rate_cents);
    assert_true(r.amount_cents <= balance || rate_cents == 0);
    return r;
}

static void started_minutes(void **state)
{
    (void)state;
    phone_call_rating r = rate(0, 11, 1000);
    assert_int_equal(r.billed_minutes, 0);
    assert_int_equal(r.amount_cents, 0);
    assert_false(r.cut_at_balance);
    r = rate(1, 11, 1000);
    assert_int_equal(r.billed_minutes, 1);
    r = rate(59, 11, 1000);
    assert_int_equal(r.billed_minutes, 1);
    r = rate(60, 11, 1000);
    assert_int_equal(r.billed_minutes, 1);
    assert_int_equal(r.amount_cents, 11);
    assert_int_equal(r.billed_seconds, 60);
    r = rate(61, 11, 1000);
    assert_int_equal(r.billed_minutes, 2);
    assert_int_equal(r.amount_cents, 22);
    assert_int_equal(r.billed_seconds, 61);
    r = rate(PHONE_CALL_MAX_SECONDS, 19, INT64_C(1000000));
    assert_int_equal(r.billed_minutes, 1440);
    assert_int_equal(r.amount_cents, 1440 * 19);
}

static void cut_at_balance(void **state)
{
    (void)state;
    /* A balance that pays exactly for the call: not cut. */
    phone_call_rating r = rate(10 * 60, 11, 110);
    assert_false(r.cut_at_balance);
    assert_int_equal(r.billed_minutes, 10);
    assert_int_equal(r.amount_cents, 110);
    /* One cent short: the tenth minute is not paid, the call is cut after nine. */
    r = rate(10 * 60, 11, 109);
    assert_true(r.cut_at_balance);
    assert_int_equal(r.billed_minutes, 9);
    assert_int_equal(r.billed_seconds, 9 * 60);
    assert_int_equal(r.amount_cents, 99);
    /* A started minute the balance pays exactly. */
    r = rate(9 * 60 + 1, 11, 110);
    assert_false(r.cut_at_balance);
    assert_int_equal(r.billed_minutes, 10);
    /* Less than one minute's rate: nothing billed, cut at once. */
    r = rate(30, 11, 10);
    assert_true(r.cut_at_balance);
    assert_int_equal(r.billed_minutes, 0);
    assert_int_equal(r.billed_seconds, 0);
    assert_int_equal(r.amount_cents, 0);
    /* An empty balance and a 0-second call: nothing owed, nothing cut. */
    r = rate(0, 11, 0);
    assert_false(r.cut_at_balance);
    assert_int_equal(r.amount_cents, 0);
    /* A rate of 0 is never cut, whatever the balance. */
    r = rate(3600, 0, 0);
    assert_false(r.cut_at_balance);
    assert_int_equal(r.billed_minutes, 60);
    assert_int_equal(r.amount_cents, 0);
}

/* The rate exactly at the cap of every tier is allowed and rated like any other. */
static void rate_at_the_cap(void **state)
{
    (void)state;
    static const struct {
        fcc_facility_type type;
        int64_t adp;
        int64_t cap;
    } tiers[] = {
        {FCC_PRISON, 5000, 11}, {FCC_JAIL, 1000, 10}, {FCC_JAIL, 999, 12}, {FCC_JAIL, 350, 12},
        {FCC_JAIL, 349, 13},    {FCC_JAIL, 100, 13},  {FCC_JAIL, 99, 15},  {FCC_JAIL, 50, 15},
        {FCC_JAIL, 49, 19},     {FCC_JAIL, 0, 19},
    };
    for (size_t i = 0; i < sizeof tiers / sizeof tiers[0]; i++) {
        int64_t cap = 0;
        kite_fault f;
        assert_int_equal(fcc_cap_cents(FCC_AUDIO, tiers[i].type, tiers[i].adp, &cap, &f), KITE_OK);
        assert_int_equal(cap, tiers[i].cap);
        assert_int_equal(fcc_check_rate(FCC_AUDIO, tiers[i].type, tiers[i].adp, cap, &f), KITE_OK);
        assert_int_equal(fcc_check_rate(FCC_AUDIO, tiers[i].type, tiers[i].adp, cap + 1, &f), KITE_ERR_INVALID_FIELD);
        assert_int_equal(f.detail, FAULT_FCC_CAP);
        phone_call_rating r = rate(121, cap, 3 * cap);
        assert_int_equal(r.billed_minutes, 3);
        assert_int_equal(r.amount_cents, 3 * cap);
        assert_false(r.cut_at_balance);
        r = rate(121, cap, 3 * cap - 1);
        assert_int_equal(r.billed_minutes, 2);
        assert_true(r.cut_at_balance);
    }
}

static void deposit_fee_is_zero(void **state)
{
    (void)state;
    kite_fault f;
    assert_int_equal(PHONE_DEPOSIT_FEE_CENTS, 0);
    assert_true(fcc_phone_deposit_fee_allowed(PHONE_DEPOSIT_FEE_CENTS));
    assert_int_equal(fcc_check_phone_deposit_fee(1, &f), KITE_ERR_INVALID_FIELD);
}

static void refused_durations(void **state)
{
    (void)state;
    phone_call_rating r;
    kite_fault f;
    assert_int_equal(phone_rate_call(-1, 11, 100, &r, &f), KITE_ERR_INVALID_FIELD);
    assert_string_equal(f.field, "duration_seconds");
    assert_int_equal(f.detail, FAULT_RANGE);
    assert_int_equal(f.max, PHONE_CALL_MAX_SECONDS);
    assert_int_equal(phone_rate_call(PHONE_CALL_MAX_SECONDS + 1, 11, 100, &r, &f), KITE_ERR_INVALID_FIELD);
    assert_int_equal(phone_rate_call(INT64_MAX, 11, 100, &r, &f), KITE_ERR_INVALID_FIELD);
    assert_int_equal(phone_rate_call(60, -1, 100, &r, &f), KITE_ERR_INTERNAL);
    assert_int_equal(phone_rate_call(60, 11, -1, &r, &f), KITE_ERR_INTERNAL);
}

static void numbers(void **state)
{
    (void)state;
    static const struct {
        const char *typed;
        const char *e164; /* NULL: refused */
    } cases[] = {
        {"4155550123", "+14155550123"},
        {"(415) 555-0123", "+14155550123"},
        {"415.555.0123", "+14155550123"},
        {"1 415 555 0123", "+14155550123"},
        {"+1 415 555 0123", "+14155550123"},
        {"+44 20 7946 0958", "+442079460958"},
        {"+123456789012345", "+123456789012345"},
        {"+1234567890123456", NULL}, /* 16 digits */
        {"0155550123", NULL},        /* no area code starts with 0 */
        {"1155550123", NULL},        /* nor with 1 */
        {"555-0123", NULL},
        {"+0 20 7946 0958", NULL},
        {"415555012a", NULL},
        {"4155550123+", NULL},
        {"++14155550123", NULL},
        {"", NULL},
        {"+", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[PHONE_NUMBER_MAX + 1];
        bool ok = phone_number_normalize(cases[i].typed, out);
        if (cases[i].e164 == NULL) {
            if (ok)
                fail_msg("\"%s\" was accepted as %s", cases[i].typed, out);
        } else {
            assert_true(ok);
            assert_string_equal(out, cases[i].e164);
        }
    }
    char out[PHONE_NUMBER_MAX + 1];
    assert_false(phone_number_normalize(NULL, out));
}

static void outcome_names(void **state)
{
    (void)state;
    assert_string_equal(phone_call_outcome_name(PHONE_CALL_BILLED), "billed");
    assert_string_equal(phone_call_outcome_name(PHONE_CALL_NO_ACCOUNT), "no_account");
    assert_string_equal(phone_call_outcome_name(PHONE_CALL_BALANCE_EMPTY), "balance_empty");
    assert_string_equal(phone_call_outcome_name(PHONE_CALL_OUTCOME_COUNT), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(started_minutes), cmocka_unit_test(cut_at_balance),     cmocka_unit_test(rate_at_the_cap),
        cmocka_unit_test(deposit_fee_is_zero), cmocka_unit_test(refused_durations), cmocka_unit_test(numbers),
        cmocka_unit_test(outcome_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
