/*
 * test_card.c - the card checks Kite makes before a charge leaves
 * (payment/card.c): Luhn at every allowed length, brands from the IIN,
 * spaces and dashes, the expiry against a given clock (this month valid,
 * last month expired, month 13 refused), the CVC per brand, and a summary
 * that holds the brand and the last four digits only.
 *
 * SECURITY: the numbers here are published test numbers, not cards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/fault.h"
#include "payment/card.h"

#include <string.h>

/* 2026-12-03T12:00:00Z and 2027-01-15T00:00:00Z. */
#define DEC_2026_MS INT64_C(1796299200000)
#define JAN_2027_MS INT64_C(1799971200000)

/* A valid number for each length from 12 to 19 (Luhn check digit last). */
static const char *const valid_by_length[] = {
    "412345678905",        "4123456789011",        "41234567890120",      "412345678901233",
    "4123456789012349",    "41234567890123458",    "412345678901234561",  "4123456789012345677",
};

static void test_luhn_at_every_length(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof valid_by_length / sizeof valid_by_length[0]; i++) {
        const char *good = valid_by_length[i];
        size_t len = strlen(good);
        assert_int_equal(len, CARD_MIN_DIGITS + i);
        assert_true(card_luhn_valid(good, len));
        char bad[CARD_MAX_DIGITS + 1];
        memcpy(bad, good, len + 1);
        bad[len - 1] = (char)('0' + (bad[len - 1] - '0' + 1) % 10); /* one mistyped digit */
        assert_false(card_luhn_valid(bad, len));
        card_number n;
        kite_fault f;
        assert_int_equal(card_number_read(good, &n, &f), KITE_OK);
        assert_int_equal(n.len, len);
        assert_string_equal(n.digits, good);
        assert_int_equal(card_number_read(bad, &n, &f), KITE_ERR_INVALID_FIELD);
        assert_string_equal(f.field, "card_number");
        assert_int_equal(f.detail, FAULT_CHECKSUM);
    }
    assert_false(card_luhn_valid("", 0));
    assert_false(card_luhn_valid("42a2", 4));
}

static void test_length_and_characters(void **state)
{
    (void)state;
    card_number n;
    kite_fault f;
    /* 11 and 20 digits are refused for their length, whatever their Luhn sum. */
    assert_int_equal(card_number_read("41234567891", &n, &f), KITE_ERR_INVALID_FIELD);
    assert_int_equal(f.detail, FAULT_DIGITS);
    assert_int_equal(f.min, CARD_MIN_DIGITS);
    assert_int_equal(f.max, CARD_MAX_DIGITS);
    assert_int_equal(card_number_read("41234567890123456770", &n, &f), KITE_ERR_INVALID_FIELD);
    assert_int_equal(f.detail, FAULT_DIGITS);
    /* Spaces and dashes are how people type them. */
    assert_int_equal(card_number_read("4242 4242-4242 4242", &n, &f), KITE_OK);
    assert_string_equal(n.digits, "4242424242424242");
    assert_int_equal(card_number_read(" 4242-4242-4242-4242 ", &n, &f), KITE_OK);
    /* Anything else is not a card number; a refusal leaves no digits behind. */
    assert_int_equal(card_number_read("4242.4242.4242.4242", &n, &f), KITE_ERR_INVALID_FIELD);
    assert_int_equal(f.detail, FAULT_FORMAT);
    assert_int_equal(n.len, 0);
    assert_int_equal(n.digits[0], '\0');
    assert_int_equal(card_number_read("4242424242424242x", &n, &f), KITE_ERR_INVALID_FIELD);
    assert_int_equal(f.detail, FAULT_FORMAT);
    assert_int_equal(card_number_read("", &n, &f), KITE_ERR_INVALID_FIELD);
    assert_int_equal(f.detail, FAULT_DIGITS);
    assert_int_equal(card_number_read(NULL, &n, &f), KITE_ERR_INVALID_FIELD);
    assert_int_equal(f.detail, FAULT_REQUIRED);
    char longer[CARD_INPUT_MAX + 2];
    memset(longer, ' ', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_int_equal(card_number_read(longer, &n, &f), KITE_ERR_INVALID_FIELD);
    assert_int_equal(f.detail, FAULT_DIGITS);
}

static void test_brands(void **state)
{
    (void)state;
    static const struct {
        const char *number;
        card_brand brand;
    } cases[] = {
        {"4242424242424242", CARD_BRAND_VISA},       {"4000000000000002", CARD_BRAND_VISA},
        {"5555555555554444", CARD_BRAND_MASTERCARD}, {"2223003122003222", CARD_BRAND_MASTERCARD},
        {"378282246310005", CARD_BRAND_AMEX},        {"6011111111111117", CARD_BRAND_DISCOVER},
        {"6500000000000002", CARD_BRAND_DISCOVER},   {"6440000000000005", CARD_BRAND_DISCOVER},
        {"6221260000000000", CARD_BRAND_DISCOVER},   {"3530111333300000", CARD_BRAND_CARD},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_true(card_luhn_valid(cases[i].number, strlen(cases[i].number)));
        assert_int_equal(card_brand_of(cases[i].number, strlen(cases[i].number)), cases[i].brand);
    }
    for (int b = 0; b < CARD_BRAND_COUNT; b++) {
        card_brand back;
        assert_true(card_brand_from_name(card_brand_name((card_brand)b), &back));
        assert_int_equal(back, b);
    }
    card_brand none;
    assert_false(card_brand_from_name("jcb", &none));
    assert_false(card_brand_from_name(NULL, &none));
    assert_string_equal(card_brand_name(CARD_BRAND_COUNT), "card");
}

static kite_err check(const char *number, int month, int year, const char *cvc, int64_t now, kite_fault *f)
{
    card_input in = {number, month, year, cvc};
    card_summary s;
    return card_check(&in, now, NULL, &s, f);
}

static void test_expiry(void **state)
{
    (void)state;
    kite_fault f;
    assert_int_equal(check("4242424242424242", 12, 2026, "123", DEC_2026_MS, &f), KITE_OK); /* this month */
    assert_int_equal(check("4242424242424242", 11, 2026, "123", DEC_2026_MS, &f), KITE_ERR_INVALID_FIELD);
    assert_string_equal(f.field, "expiry");
    assert_int_equal(f.detail, FAULT_EXPIRED);
    /* Over a year's end: December is last month in January. */
    assert_int_equal(check("4242424242424242", 12, 2026, "123", JAN_2027_MS, &f), KITE_ERR_INVALID_FIELD);
    assert_int_equal(f.detail, FAULT_EXPIRED);
    assert_int_equal(check("4242424242424242", 1, 2027, "123", JAN_2027_MS, &f), KITE_OK);
    assert_int_equal(check("4242424242424242", 13, 2027, "123", DEC_2026_MS, &f), KITE_ERR_INVALID_FIELD);
    assert_int_equal(f.detail, FAULT_FORMAT);
    assert_int_equal(check("4242424242424242", 0, 2027, "123", DEC_2026_MS, &f), KITE_ERR_INVALID_FIELD);
    assert_int_equal(f.detail, FAULT_FORMAT);
    assert_int_equal(check("4242424242424242", 5, 30, "123", DEC_2026_MS, &f), KITE_ERR_INVALID_FIELD);
    assert_int_equal(f.detail, FAULT_FORMAT); /* a two-digit year */
    assert_int_equal(check("4242424242424242", 12, 2026 + EXPIRY_MAX_YEARS, "123", DEC_2026_MS, &f), KITE_OK);
    assert_int_equal(check("4242424242424242", 1, 2027 + EXPIRY_MAX_YEARS, "123", DEC_2026_MS, &f),
                     KITE_ERR_INVALID_FIELD);
    assert_int_equal(f.detail, FAULT_RANGE);
    assert_int_equal(f.min, 2026);
    assert_int_equal(f.max, 2026 + EXPIRY_MAX_YEARS);
}

static void test_cvc(void **state)
{
    (void)state;
    kite_fault f;
    assert_int_equal(check("4242424242424242", 1, 2028, "123", DEC_2026_MS, &f), KITE_OK);
    assert_int_equal(check("4242424242424242", 1, 2028, "1234", DEC_2026_MS, &f), KITE_OK);
    static const char *const bad[] = {"12", "12345", "12a", "", " 123", "-12"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(check("4242424242424242", 1, 2028, bad[i], DEC_2026_MS, &f), KITE_ERR_INVALID_FIELD);
        assert_string_equal(f.field, "cvc");
        assert_int_equal(f.detail, FAULT_DIGITS);
        assert_int_equal(f.min, CVC_MIN_DIGITS);
        assert_int_equal(f.max, CVC_MAX_DIGITS);
    }
    assert_int_equal(check("4242424242424242", 1, 2028, NULL, DEC_2026_MS, &f), KITE_ERR_INVALID_FIELD);
    assert_int_equal(f.detail, FAULT_REQUIRED);
    /* American Express prints four digits on the front. */
    assert_int_equal(check("378282246310005", 1, 2028, "1234", DEC_2026_MS, &f), KITE_OK);
    assert_int_equal(check("378282246310005", 1, 2028, "123", DEC_2026_MS, &f), KITE_ERR_INVALID_FIELD);
    assert_string_equal(f.field, "cvc");
    assert_int_equal(f.detail, FAULT_LENGTH);
    assert_int_equal(f.limit, CVC_AMEX_DIGITS);
    /* The number is checked first: a person corrects the form from the top. */
    assert_int_equal(check("4242424242424241", 13, 2028, "1", DEC_2026_MS, &f), KITE_ERR_INVALID_FIELD);
    assert_string_equal(f.field, "card_number");
}

static void test_summary_is_brand_and_last_four_only(void **state)
{
    (void)state;
    card_input in = {"3782-822463-10005", 6, 2029, "1234"};
    card_number n;
    card_summary s;
    kite_fault f;
    assert_int_equal(card_check(&in, DEC_2026_MS, &n, &s, &f), KITE_OK);
    assert_int_equal(s.brand, CARD_BRAND_AMEX);
    assert_string_equal(s.last4, "0005");
    assert_int_equal(sizeof s.last4, CARD_LAST4_LEN + 1);
    assert_string_equal(n.digits, "378282246310005");
    card_number_wipe(&n);
    assert_int_equal(n.len, 0);
    for (size_t i = 0; i < sizeof n.digits; i++)
        assert_int_equal(n.digits[i], 0);
    /* A refused card leaves neither digits nor a summary. */
    in.exp_month = 13;
    assert_int_equal(card_check(&in, DEC_2026_MS, &n, &s, &f), KITE_ERR_INVALID_FIELD);
    assert_int_equal(n.len, 0);
    assert_int_equal(n.digits[0], '\0');
    assert_int_equal(s.last4[0], '\0');
}

static void test_sentences(void **state)
{
    (void)state;
    arena *a = arena_new();
    kite_fault f;
    assert_int_equal(check("4242", 1, 2028, "123", DEC_2026_MS, &f), KITE_ERR_INVALID_FIELD);
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN), "The card number must be 12 to 19 digits.");
    assert_int_equal(check("4242424242424242", 1, 2026, "123", DEC_2026_MS, &f), KITE_ERR_INVALID_FIELD);
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN), "This card has expired. Use another card.");
    assert_int_equal(check("4242424242424242", 1, 2028, "12", DEC_2026_MS, &f), KITE_ERR_INVALID_FIELD);
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN), "The security code (CVC) must be 3 to 4 digits.");
    assert_int_equal(check("378282246310005", 1, 2028, "123", DEC_2026_MS, &f), KITE_ERR_INVALID_FIELD);
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN), "The security code (CVC) of this card must be 4 digits.");
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_luhn_at_every_length),
        cmocka_unit_test(test_length_and_characters),
        cmocka_unit_test(test_brands),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_cvc),
        cmocka_unit_test(test_summary_is_brand_and_last_four_only),
        cmocka_unit_test(test_sentences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
