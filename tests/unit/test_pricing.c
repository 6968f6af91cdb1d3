/*
 * test_pricing.c - prices of messages, terminal time, subscriptions and
 * bundles (domain/ledger/pricing.c), money-transfer fees and limits
 * (fee.c) and the FCC's caps (fcc.c), each at its boundaries: a page of
 * exactly page_chars characters and one more, the same in four-byte emoji,
 * a block multiple and one more, a started minute, every ADP tier edge, a
 * cap or a monthly limit exactly met and one cent past it, and amounts near
 * INT64_MAX refused rather than wrapped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/fault.h"
#include "domain/facility/policy.h"
#include "domain/ledger/fcc.h"
#include "domain/ledger/fee.h"
#include "domain/ledger/pricing.h"

#include <stdio.h>
#include <string.h>

#define EMOJI "\xf0\x9f\x98\x80" /* U+1F600, one character in four bytes */

static int setup(void **state)
{
    *state = arena_new();
    return 0;
}

static int teardown(void **state)
{
    arena_free(*state);
    return 0;
}

/* count copies of unit (a NUL-terminated character) into out, which holds them and the NUL. */
static const char *repeat(char *out, size_t size, const char *unit, size_t count)
{
    size_t len = strlen(unit);
    assert_true(len * count < size);
    for (size_t i = 0; i < count; i++)
        memcpy(out + i * len, unit, len);
    out[len * count] = '\0';
    return out;
}

static void assert_fault(kite_err err, const kite_fault *f, const char *field, fault_detail detail)
{
    assert_int_equal(err, KITE_ERR_INVALID_FIELD);
    assert_int_equal(f->code, KITE_ERR_INVALID_FIELD);
    assert_non_null(f->field);
    assert_string_equal(f->field, field);
    assert_int_equal(f->detail, detail);
}

static price_schedule defaults(const char *profile)
{
    price_schedule s;
    assert_int_equal(price_schedule_defaults(profile, &s), KITE_OK);
    return s;
}

/* The quote for body with photos and reply, which must succeed. */
static price_quote quote(const price_schedule *s, const char *body, int64_t photos, bool reply)
{
    message_shape shape = {.body = body, .photos = photos, .with_reply_stamp = reply};
    price_quote q;
    kite_fault f = {0};
    kite_err err = price_message(s, &shape, &q, &f);
    if (err != KITE_OK)
        fail_msg("price_message: error %d on field %s detail %d", (int)err, f.field ? f.field : "-", (int)f.detail);
    assert_int_equal(q.amount, q.text_amount + q.photo_amount + q.reply_amount);
    return q;
}

static void test_models_match_the_policy_and_every_profile_has_defaults(void **state)
{
    (void)state;
    const policy_field *pricing = policy_field_find("pricing");
    assert_non_null(pricing);
    assert_int_equal(pricing->choice_count, PRICING_COUNT);
    assert_string_equal(pricing->choices[PRICING_SUBSCRIPTION], "subscription");
    assert_null(pricing->choices[PRICING_COUNT]);

    const policy_field *profile = policy_field_find("profile");
    for (size_t i = 0; i < profile->choice_count; i++) {
        price_schedule s = defaults(profile->choices[i]);
        policy p;
        assert_int_equal(policy_defaults(profile->choices[i], &p), KITE_OK);
        assert_int_equal((int)s.model, (int)p.pricing);
        if (s.model == PRICING_STAMPS)
            assert_int_equal(s.page_chars, p.page_chars); /* one page size, whichever side asks */
        kite_fault f = {0};
        assert_int_equal(price_schedule_validate(&s, &f), KITE_OK);
    }
    price_schedule s;
    assert_int_equal(price_schedule_defaults("corrlinks", &s), KITE_ERR_INVALID_FIELD);
    assert_int_equal(price_schedule_defaults(NULL, &s), KITE_ERR_INVALID_FIELD);

    /* The federal profile: nothing per message, TRULINCS terminal time at 5 cents a minute. */
    price_schedule federal = defaults("federal");
    assert_int_equal(federal.model, PRICING_BALANCE);
    assert_int_equal(federal.terminal_cents_per_minute, 5);
    assert_int_equal(quote(&federal, "hello", 0, false).amount, 0);
}

static void test_stamps_a_page_of_exactly_page_chars_and_one_more(void **state)
{
    (void)state;
    static char body[4 * 2502 + 1];
    price_schedule s = defaults("jpay");
    assert_int_equal(s.page_chars, 2500);

    price_quote q = quote(&s, repeat(body, sizeof body, "a", 2500), 0, false);
    assert_int_equal(q.unit, PRICE_UNIT_STAMPS);
    assert_int_equal(q.chars, 2500);
    assert_int_equal(q.pages, 1);
    assert_int_equal(q.amount, 1);
    q = quote(&s, repeat(body, sizeof body, "a", 2501), 0, false);
    assert_int_equal(q.pages, 2);
    assert_int_equal(q.amount, 2);
    q = quote(&s, repeat(body, sizeof body, "a", 5000), 0, false);
    assert_int_equal(q.pages, 2);
    q = quote(&s, repeat(body, sizeof body, "a", 5001), 0, false);
    assert_int_equal(q.pages, 3);

    /* Four bytes, one character: 2,500 emoji are one page (10,000 bytes), 2,501 two. */
    q = quote(&s, repeat(body, sizeof body, EMOJI, 2500), 0, false);
    assert_int_equal(strlen(body), 10000);
    assert_int_equal(q.chars, 2500);
    assert_int_equal(q.pages, 1);
    assert_int_equal(q.amount, 1);
    q = quote(&s, repeat(body, sizeof body, EMOJI, 2501), 0, false);
    assert_int_equal(q.pages, 2);

    /* Two- and three-byte characters count once too. */
    s.page_chars = 3;
    assert_int_equal(quote(&s, "\xc3\xa9\xe2\x82\xac" EMOJI, 0, false).pages, 1); /* é € 😀 */
    assert_int_equal(quote(&s, "\xc3\xa9\xe2\x82\xac" EMOJI "a", 0, false).pages, 2);

    /* No text still makes one message: one page. */
    assert_int_equal(quote(&s, "", 0, false).pages, 1);
    assert_int_equal(quote(&s, NULL, 0, false).amount, 1);
    s.page_chars = 1;
    assert_int_equal(quote(&s, "ab", 0, false).pages, 2);
}

static void test_stamps_photos_and_the_prepaid_reply(void **state)
{
    arena *a = *state;
    price_schedule s = defaults("jpay");
    price_quote q = quote(&s, "hi", 3, false);
    assert_int_equal(q.photos, 3);
    assert_int_equal(q.text_amount, 1);
    assert_int_equal(q.photo_amount, 3);
    assert_int_equal(q.amount, 4);
    q = quote(&s, "hi", 0, true);
    assert_int_equal(q.reply_amount, 1);
    assert_int_equal(q.amount, 2);
    q = quote(&s, "", 2, true); /* a photo alone still makes a message */
    assert_int_equal(q.amount, 1 + 2 + 1);
    s.stamps_per_photo = 2;
    s.reply_stamps = 3;
    q = quote(&s, "hi", 2, true);
    assert_int_equal(q.photo_amount, 4);
    assert_int_equal(q.reply_amount, 3);
    assert_int_equal(q.amount, 8);

    /* A reply stamp where none is sold is refused, not ignored. */
    kite_fault f = {0};
    message_shape shape = {.body = "hi", .with_reply_stamp = true};
    s.reply_stamps = 0;
    assert_fault(price_message(&s, &shape, &q, &f), &f, "with_reply_stamp", FAULT_NOT_OFFERED);
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN), "This facility does not sell prepaid reply stamps.");
    price_schedule credits = defaults("connectnetwork");
    assert_fault(price_message(&credits, &shape, &q, &f), &f, "with_reply_stamp", FAULT_NOT_OFFERED);
    price_schedule federal = defaults("federal");
    assert_fault(price_message(&federal, &shape, &q, &f), &f, "with_reply_stamp", FAULT_NOT_OFFERED);
}

static void test_balance_flat_and_per_block(void **state)
{
    (void)state;
    static char body[4 * 400 + 1];
    price_schedule s = {.model = PRICING_BALANCE, .message_cents = 25, .photo_cents = 50};
    /* Flat: any length is one message. */
    price_quote q = quote(&s, repeat(body, sizeof body, "a", 400), 0, false);
    assert_int_equal(q.unit, PRICE_UNIT_CENTS);
    assert_int_equal(q.blocks, 0);
    assert_int_equal(q.amount, 25);
    assert_int_equal(quote(&s, "", 0, false).amount, 25);
    q = quote(&s, "x", 2, false);
    assert_int_equal(q.photo_amount, 100);
    assert_int_equal(q.amount, 125);

    /* Per block of 160 characters: exact multiples and one more. */
    s.block_chars = 160;
    s.block_cents = 10;
    static const struct {
        size_t chars;
        int64_t blocks;
    } cases[] = {{0, 1}, {1, 1}, {159, 1}, {160, 1}, {161, 2}, {320, 2}, {321, 3}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        q = quote(&s, repeat(body, sizeof body, "a", cases[i].chars), 0, false);
        assert_int_equal(q.blocks, cases[i].blocks);
        assert_int_equal(q.amount, cases[i].blocks * 10);
        q = quote(&s, repeat(body, sizeof body, EMOJI, cases[i].chars), 0, false);
        assert_int_equal(q.blocks, cases[i].blocks);
    }
    q = quote(&s, repeat(body, sizeof body, "a", 161), 1, false);
    assert_int_equal(q.amount, 2 * 10 + 50);
}

static void test_credits_and_subscription(void **state)
{
    arena *a = *state;
    static char body[600];
    price_schedule s = defaults("connectnetwork");
    price_quote q = quote(&s, repeat(body, sizeof body, "a", 500), 0, false);
    assert_int_equal(q.unit, PRICE_UNIT_CREDITS);
    assert_int_equal(q.amount, 1);
    assert_int_equal(quote(&s, "", 2, false).amount, 3);

    price_schedule sub = {.model = PRICING_SUBSCRIPTION, .subscription_cents_per_month = 999, .photo_cents = 30};
    q = quote(&sub, "hello", 0, false);
    assert_int_equal(q.unit, PRICE_UNIT_CENTS);
    assert_int_equal(q.amount, 0);
    assert_int_equal(quote(&sub, "hello", 2, false).amount, 60);
    int64_t cents = -1;
    kite_fault f = {0};
    assert_int_equal(price_subscription(&sub, 1, &cents, &f), KITE_OK);
    assert_int_equal(cents, 999);
    assert_int_equal(price_subscription(&sub, 12, &cents, &f), KITE_OK);
    assert_int_equal(cents, 11988);
    assert_fault(price_subscription(&sub, 0, &cents, &f), &f, "months", FAULT_RANGE);
    assert_fault(price_subscription(&sub, INT64_MAX, &cents, &f), &f, "months", FAULT_RANGE);
    assert_fault(price_subscription(&s, 1, &cents, &f), &f, "months", FAULT_NOT_OFFERED);
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN), "This facility does not offer a monthly subscription.");
}

static void test_terminal_time_rounds_up_to_started_minutes(void **state)
{
    arena *a = *state;
    price_schedule s = defaults("federal");
    static const struct {
        int64_t seconds, cents;
    } cases[] = {{0, 0}, {1, 5}, {59, 5}, {60, 5}, {61, 10}, {119, 10}, {120, 10}, {121, 15}, {3600, 300}};
    kite_fault f = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t cents = -1;
        assert_int_equal(price_terminal_minutes(&s, cases[i].seconds, &cents, &f), KITE_OK);
        assert_int_equal(cents, cases[i].cents);
    }
    int64_t cents = -1;
    assert_fault(price_terminal_minutes(&s, -1, &cents, &f), &f, "seconds", FAULT_RANGE);
    /* INT64_MAX seconds: the minutes are computed without (n + 59), and the product is refused, not wrapped. */
    assert_fault(price_terminal_minutes(&s, INT64_MAX, &cents, &f), &f, "seconds", FAULT_AMOUNT_MAX);
    assert_int_equal(f.limit, PRICE_MAX_CENTS);
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN),
                        "The price for \"seconds\" would be more than $1000000.00, more than Kite charges at once.");
    assert_int_equal(cents, -1);
    s.terminal_cents_per_minute = 0;
    assert_int_equal(price_terminal_minutes(&s, INT64_MAX, &cents, &f), KITE_OK);
    assert_int_equal(cents, 0);
    /* Exactly PRICE_MAX_CENTS is allowed, a started minute more is not. */
    s.terminal_cents_per_minute = 100;
    int64_t seconds = PRICE_MAX_CENTS / 100 * 60;
    assert_int_equal(price_terminal_minutes(&s, seconds, &cents, &f), KITE_OK);
    assert_int_equal(cents, PRICE_MAX_CENTS);
    assert_fault(price_terminal_minutes(&s, seconds + 1, &cents, &f), &f, "seconds", FAULT_AMOUNT_MAX);
}

static void test_bundles_only_offered_sizes(void **state)
{
    arena *a = *state;
    price_schedule s = defaults("jpay");
    static const struct {
        int64_t count, cents;
    } offered[] = {{5, 200}, {10, 370}, {20, 680}, {50, 1500}};
    kite_fault f = {0};
    int64_t cents;
    for (size_t i = 0; i < sizeof offered / sizeof offered[0]; i++) {
        assert_int_equal(bundle_price(&s, PRICE_UNIT_STAMPS, offered[i].count, &cents, &f), KITE_OK);
        assert_int_equal(cents, offered[i].cents);
    }
    static const int64_t not_offered[] = {0, -1, 1, 4, 6, 15, 49, 51, 100, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof not_offered / sizeof not_offered[0]; i++)
        assert_fault(bundle_price(&s, PRICE_UNIT_STAMPS, not_offered[i], &cents, &f), &f, "count", FAULT_NOT_OFFERED);
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN),
                        "This facility does not sell a bundle of that size. Choose one of the bundles it offers.");
    assert_fault(bundle_price(&s, PRICE_UNIT_CREDITS, 10, &cents, &f), &f, "unit", FAULT_NOT_OFFERED);
    assert_fault(bundle_price(&s, PRICE_UNIT_CENTS, 5, &cents, &f), &f, "unit", FAULT_NOT_OFFERED);
    price_schedule credits = defaults("connectnetwork");
    assert_int_equal(bundle_price(&credits, PRICE_UNIT_CREDITS, 100, &cents, &f), KITE_OK);
    assert_int_equal(cents, 2400);
    assert_fault(bundle_price(&credits, PRICE_UNIT_STAMPS, 5, &cents, &f), &f, "unit", FAULT_NOT_OFFERED);

    /* The list shows each bundle's discount against the unit price, and its unit price rounded up. */
    bundle_offer list[PRICE_BUNDLE_SLOTS];
    size_t n = 99;
    assert_int_equal(bundle_list(&s, PRICE_UNIT_STAMPS, list, &n, &f), KITE_OK);
    assert_int_equal(n, 4);
    assert_int_equal(list[0].count, 5);
    assert_int_equal(list[0].list_cents, 225);
    assert_int_equal(list[0].discount_cents, 25);
    assert_int_equal(list[0].unit_hundredths_cent, 4000);
    assert_int_equal(list[1].unit_hundredths_cent, 3700);
    assert_int_equal(list[3].count, 50);
    assert_int_equal(list[3].list_cents, 2250);
    assert_int_equal(list[3].discount_cents, 750);
    assert_int_equal(list[3].unit_hundredths_cent, 3000);
    for (size_t i = 1; i < n; i++)
        assert_true(list[i].unit_hundredths_cent < list[i - 1].unit_hundredths_cent);
    assert_int_equal(bundle_list(&s, PRICE_UNIT_CREDITS, list, &n, &f), KITE_OK);
    assert_int_equal(n, 0);

    /* A unit price that is not whole cents is rounded up: 3 for 100 cents shows 33.34 cents. */
    price_schedule odd = {.model = PRICING_STAMPS, .page_chars = 10, .stamp_unit_cents = 40,
                          .stamp_bundles = {{3, 100}}};
    assert_int_equal(bundle_list(&odd, PRICE_UNIT_STAMPS, list, &n, &f), KITE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].unit_hundredths_cent, 3334);
    assert_int_equal(list[0].discount_cents, 20);
}

static void test_impossible_schedules_are_refused(void **state)
{
    arena *a = *state;
    kite_fault f = {0};
    price_quote q;
    message_shape shape = {.body = "hi"};

    price_schedule s = defaults("jpay");
    s.page_chars = 0;
    assert_fault(price_message(&s, &shape, &q, &f), &f, "page_chars", FAULT_DEPENDS);
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN),
                        "The field \"page_chars\" must be at least 1 when pricing is stamps.");
    s.page_chars = -5;
    assert_fault(price_schedule_validate(&s, &f), &f, "page_chars", FAULT_RANGE);

    s = defaults("federal");
    s.message_cents = -1;
    assert_fault(price_message(&s, &shape, &q, &f), &f, "message_cents", FAULT_RANGE);
    assert_int_equal(f.min, 0);
    assert_int_equal(f.max, PRICE_MAX_CENTS);
    s.message_cents = INT64_MAX;
    assert_fault(price_message(&s, &shape, &q, &f), &f, "message_cents", FAULT_RANGE);
    s = defaults("federal");
    s.terminal_cents_per_minute = PRICE_MAX_CENTS + 1;
    int64_t cents;
    assert_fault(price_terminal_minutes(&s, 60, &cents, &f), &f, "terminal_cents_per_minute", FAULT_RANGE);
    s = defaults("federal");
    s.model = PRICING_COUNT;
    assert_fault(price_message(&s, &shape, &q, &f), &f, "pricing", FAULT_NOT_VALID);
    s.model = (pricing_model)-1;
    assert_fault(price_schedule_validate(&s, &f), &f, "pricing", FAULT_NOT_VALID);

    /* Bundles: ascending, no gap before a used slot, never dearer than list price, a unit price to compare with. */
    static const price_bundle bad[][PRICE_BUNDLE_SLOTS] = {
        {{10, 370}, {5, 200}},          /* not ascending */
        {{5, 200}, {5, 190}},           /* the same size twice */
        {{5, 200}, {0, 0}, {10, 370}},  /* a used slot after an unused one */
        {{5, 226}},                     /* dearer than 5 x 45 cents */
        {{5, 0}},                       /* free */
        {{0, 100}},                     /* a price for nothing */
        {{-5, 100}},
        {{PRICE_MAX_UNITS + 1, 100}},
        {{5, PRICE_MAX_CENTS + 1}},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s = defaults("jpay");
        memcpy(s.stamp_bundles, bad[i], sizeof s.stamp_bundles);
        assert_fault(price_schedule_validate(&s, &f), &f, "stamp_bundles", FAULT_NOT_VALID);
    }
    s = defaults("jpay");
    s.stamp_unit_cents = 0; /* bundles with no unit price to measure a discount against */
    assert_fault(bundle_price(&s, PRICE_UNIT_STAMPS, 5, &cents, &f), &f, "stamp_bundles", FAULT_NOT_VALID);
    bundle_offer list[PRICE_BUNDLE_SLOTS];
    size_t n = 99;
    assert_fault(bundle_list(&s, PRICE_UNIT_STAMPS, list, &n, &f), &f, "stamp_bundles", FAULT_NOT_VALID);
    assert_int_equal(n, 0);
    s = defaults("connectnetwork");
    s.credit_bundles[3].price_cents = 3001;
    assert_fault(price_schedule_validate(&s, &f), &f, "credit_bundles", FAULT_NOT_VALID);
    /* A full price exactly at list is allowed: no discount, but not a surcharge. */
    s = defaults("connectnetwork");
    s.credit_bundles[3].price_cents = 3000;
    assert_int_equal(price_schedule_validate(&s, &f), KITE_OK);
}

static void test_bad_messages_and_overflow_are_refused(void **state)
{
    arena *a = *state;
    kite_fault f = {0};
    price_quote q = {.amount = -7};
    price_schedule s = defaults("jpay");

    message_shape shape = {.body = "caf\xc3"}; /* cut in the middle of a character */
    assert_fault(price_message(&s, &shape, &q, &f), &f, "body", FAULT_NOT_VALID);
    shape = (message_shape){.body = "\xed\xa0\x80"}; /* a surrogate */
    assert_fault(price_message(&s, &shape, &q, &f), &f, "body", FAULT_NOT_VALID);
    shape = (message_shape){.body = "hi", .photos = -1};
    assert_fault(price_message(&s, &shape, &q, &f), &f, "photos", FAULT_RANGE);
    shape.photos = PRICE_MAX_UNITS + 1;
    assert_fault(price_message(&s, &shape, &q, &f), &f, "photos", FAULT_RANGE);
    shape.photos = INT64_MAX;
    assert_fault(price_message(&s, &shape, &q, &f), &f, "photos", FAULT_RANGE);
    assert_int_equal(q.amount, -7); /* nothing written on failure */

    /* Stamps past PRICE_MAX_UNITS: refused as a count, not as cents. */
    s.stamps_per_photo = PRICE_MAX_UNITS;
    shape = (message_shape){.body = "hi", .photos = 1};
    assert_fault(price_message(&s, &shape, &q, &f), &f, "photos", FAULT_COUNT_MAX);
    assert_int_equal(f.limit, PRICE_MAX_UNITS);
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN),
                        "The price for \"photos\" would be more than 1000000 stamps or credits, more than Kite counts "
                        "at once.");
    s.stamps_per_photo = PRICE_MAX_UNITS - 1; /* one page + (max - 1): exactly the bound */
    assert_int_equal(quote(&s, "hi", 1, false).amount, PRICE_MAX_UNITS);
    assert_fault(price_message(&s, &(message_shape){.body = "hi", .photos = 1, .with_reply_stamp = true}, &q, &f), &f,
                 "photos", FAULT_COUNT_MAX);

    /* Cents: the largest price each part may be, then one part more. */
    price_schedule b = {.model = PRICING_BALANCE, .block_chars = 1, .block_cents = PRICE_MAX_CENTS};
    assert_int_equal(quote(&b, "a", 0, false).amount, PRICE_MAX_CENTS);
    shape = (message_shape){.body = "ab"};
    assert_fault(price_message(&b, &shape, &q, &f), &f, "body", FAULT_AMOUNT_MAX);
    assert_int_equal(f.limit, PRICE_MAX_CENTS);
    b = (price_schedule){.model = PRICING_BALANCE, .message_cents = 1, .photo_cents = PRICE_MAX_CENTS};
    shape = (message_shape){.body = "a", .photos = PRICE_MAX_UNITS};
    assert_fault(price_message(&b, &shape, &q, &f), &f, "photos", FAULT_AMOUNT_MAX);
    shape.photos = 1; /* each part within the bound, their sum one cent past it */
    assert_fault(price_message(&b, &shape, &q, &f), &f, "photos", FAULT_AMOUNT_MAX);
    b.message_cents = 0;
    assert_int_equal(quote(&b, "a", 1, false).amount, PRICE_MAX_CENTS);
}

static void test_fcc_caps_at_every_boundary(void **state)
{
    arena *a = *state;
    static const struct {
        fcc_facility_type type;
        int64_t adp, audio, video;
    } cases[] = {
        {FCC_PRISON, 0, 11, 25},  {FCC_PRISON, 49, 11, 25},   {FCC_PRISON, 1000, 11, 25},
        {FCC_PRISON, FCC_MAX_ADP, 11, 25},
        {FCC_JAIL, FCC_MAX_ADP, 10, 19}, {FCC_JAIL, 1000, 10, 19}, {FCC_JAIL, 999, 12, 19},
        {FCC_JAIL, 350, 12, 19},  {FCC_JAIL, 349, 13, 21},    {FCC_JAIL, 100, 13, 21},
        {FCC_JAIL, 99, 15, 25},   {FCC_JAIL, 50, 15, 25},     {FCC_JAIL, 49, 19, 44},
        {FCC_JAIL, 1, 19, 44},    {FCC_JAIL, 0, 19, 44},
    };
    char want[128];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int64_t caps[FCC_SERVICE_COUNT] = {[FCC_AUDIO] = cases[i].audio, [FCC_VIDEO] = cases[i].video};
        for (int service = 0; service < FCC_SERVICE_COUNT; service++) {
            kite_fault f = {0};
            int64_t cap = -1, want_cap = caps[service];
            assert_int_equal(fcc_cap_cents((fcc_service)service, cases[i].type, cases[i].adp, &cap, &f), KITE_OK);
            if (cap != want_cap)
                fail_msg("type %d adp %lld service %d: cap %lld, want %lld", (int)cases[i].type,
                         (long long)cases[i].adp, service, (long long)cap, (long long)want_cap);
            /* Exactly at the cap is allowed, one cent above is refused naming the cap. */
            assert_int_equal(fcc_check_rate((fcc_service)service, cases[i].type, cases[i].adp, want_cap, &f), KITE_OK);
            assert_int_equal(fcc_check_rate((fcc_service)service, cases[i].type, cases[i].adp, 0, &f), KITE_OK);
            kite_err err = fcc_check_rate((fcc_service)service, cases[i].type, cases[i].adp, want_cap + 1, &f);
            assert_fault(err, &f, service == FCC_AUDIO ? "audio_cents_per_minute" : "video_cents_per_minute",
                         FAULT_FCC_CAP);
            assert_int_equal(f.limit, want_cap);
            snprintf(want, sizeof want, "The rate is above the FCC cap of %lld cents per minute for this facility.",
                     (long long)want_cap);
            assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN), want);
            assert_int_equal(fcc_check_rate((fcc_service)service, cases[i].type, cases[i].adp, INT64_MAX, &f),
                             KITE_ERR_INVALID_FIELD);
            assert_int_equal(f.limit, want_cap);
            err = fcc_check_rate((fcc_service)service, cases[i].type, cases[i].adp, -1, &f);
            assert_int_equal(err, KITE_ERR_INVALID_FIELD);
            assert_int_equal(f.detail, FAULT_RANGE);
            assert_int_equal(f.max, want_cap);
        }
    }
}

static void test_fcc_refuses_what_it_cannot_place(void **state)
{
    arena *a = *state;
    kite_fault f = {0};
    int64_t cap;
    assert_fault(fcc_cap_cents(FCC_AUDIO, FCC_JAIL, -1, &cap, &f), &f, "average_daily_population", FAULT_RANGE);
    assert_fault(fcc_cap_cents(FCC_VIDEO, FCC_PRISON, FCC_MAX_ADP + 1, &cap, &f), &f, "average_daily_population",
                 FAULT_RANGE);
    assert_fault(fcc_cap_cents(FCC_AUDIO, FCC_JAIL, INT64_MIN, &cap, &f), &f, "average_daily_population", FAULT_RANGE);
    assert_fault(fcc_check_rate(FCC_AUDIO, FCC_FACILITY_TYPE_COUNT, 10, 5, &f), &f, "facility_type", FAULT_CHOICE);
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN), "The field \"facility_type\" must be one of: prison, jail.");
    assert_fault(fcc_check_rate(FCC_SERVICE_COUNT, FCC_JAIL, 10, 5, &f), &f, "service", FAULT_NOT_VALID);

    assert_int_equal(fcc_facility_type_parse("prison"), FCC_PRISON);
    assert_int_equal(fcc_facility_type_parse("jail"), FCC_JAIL);
    assert_int_equal(fcc_facility_type_parse("Jail"), FCC_FACILITY_TYPE_COUNT);
    assert_int_equal(fcc_facility_type_parse(NULL), FCC_FACILITY_TYPE_COUNT);

    /* No ancillary fee on a phone deposit, of any size. */
    assert_true(fcc_phone_deposit_fee_allowed(0));
    assert_false(fcc_phone_deposit_fee_allowed(1));
    assert_false(fcc_phone_deposit_fee_allowed(-1));
    assert_int_equal(fcc_check_phone_deposit_fee(0, &f), KITE_OK);
    assert_fault(fcc_check_phone_deposit_fee(1, &f), &f, "deposit_fee_cents", FAULT_FCC_ANCILLARY);
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN),
                        "The FCC forbids fees on deposits to a phone account: the fee must be 0.");
    assert_fault(fcc_check_phone_deposit_fee(INT64_MAX, &f), &f, "deposit_fee_cents", FAULT_FCC_ANCILLARY);
}

static void test_transfer_fee_tiers_at_each_boundary(void **state)
{
    arena *a = *state;
    fee_tiers tiers;
    transfer_limits limits;
    fee_defaults(&tiers, &limits);
    static const struct {
        int64_t amount, fee;
    } cases[] = {{1, 350},     {2000, 350},  {2001, 695},  {10000, 695},
                 {10001, 895}, {20000, 895}, {20001, 1095}, {30000, 1095}};
    kite_fault f = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t fee = -1;
        assert_int_equal(transfer_fee(&tiers, cases[i].amount, &fee, &f), KITE_OK);
        assert_int_equal(fee, cases[i].fee);
    }
    static const int64_t refused[] = {0, -1, 30001, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        int64_t fee = -1;
        assert_fault(transfer_fee(&tiers, refused[i], &fee, &f), &f, "amount_cents", FAULT_TRANSFER_AMOUNT);
        assert_int_equal(fee, -1);
    }
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN), "A transfer must be from $0.01 to $300.00.");

    /* Schedules that cannot be used. */
    int64_t fee;
    fee_tiers bad = tiers;
    bad.count = 0;
    assert_fault(transfer_fee(&bad, 100, &fee, &f), &f, "fee_tiers", FAULT_NOT_VALID);
    bad.count = FEE_TIERS_MAX + 1;
    assert_fault(transfer_fee(&bad, 100, &fee, &f), &f, "fee_tiers", FAULT_NOT_VALID);
    bad = tiers;
    bad.tiers[1].up_to_cents = bad.tiers[0].up_to_cents; /* not strictly ascending */
    assert_fault(transfer_fee(&bad, 100, &fee, &f), &f, "fee_tiers", FAULT_NOT_VALID);
    bad = tiers;
    bad.tiers[2].fee_cents = -1;
    assert_fault(fee_tiers_validate(&bad, &f), &f, "fee_tiers", FAULT_NOT_VALID);
    bad = tiers;
    bad.tiers[3].up_to_cents = INT64_MAX;
    assert_fault(fee_tiers_validate(&bad, &f), &f, "fee_tiers", FAULT_NOT_VALID);
    bad = (fee_tiers){.count = 1, .tiers = {{0, 100}}};
    assert_fault(fee_tiers_validate(&bad, &f), &f, "fee_tiers", FAULT_NOT_VALID);
    bad = (fee_tiers){.count = 1, .tiers = {{PRICE_MAX_CENTS, 0}}}; /* one free tier up to the bound */
    assert_int_equal(transfer_fee(&bad, PRICE_MAX_CENTS, &fee, &f), KITE_OK);
    assert_int_equal(fee, 0);
}

static void test_transfer_limits_and_the_month(void **state)
{
    arena *a = *state;
    fee_tiers tiers;
    transfer_limits l;
    fee_defaults(&tiers, &l);
    assert_int_equal(l.max_cents, tiers.tiers[tiers.count - 1].up_to_cents); /* every allowed amount has a fee */
    kite_fault f = {0};
    assert_int_equal(transfer_check_limits(&l, 1, 0, &f), KITE_OK);
    assert_int_equal(transfer_check_limits(&l, 30000, 0, &f), KITE_OK);
    assert_fault(transfer_check_limits(&l, 0, 0, &f), &f, "amount_cents", FAULT_TRANSFER_AMOUNT);
    assert_fault(transfer_check_limits(&l, 30001, 0, &f), &f, "amount_cents", FAULT_TRANSFER_AMOUNT);
    assert_fault(transfer_check_limits(&l, INT64_MAX, 0, &f), &f, "amount_cents", FAULT_TRANSFER_AMOUNT);

    /* The month's limit exactly met, then one cent over. */
    assert_int_equal(transfer_check_limits(&l, 10000, 90000, &f), KITE_OK);
    assert_fault(transfer_check_limits(&l, 10001, 90000, &f), &f, "amount_cents", FAULT_MONTHLY_LIMIT);
    assert_int_equal(f.limit, 100000);
    assert_int_equal(f.max, 10000);
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN),
                        "This transfer would take this month's transfers past the limit of $1000.00; $100.00 can "
                        "still be sent this month.");
    assert_fault(transfer_check_limits(&l, 1, 100000, &f), &f, "amount_cents", FAULT_MONTHLY_LIMIT);
    assert_int_equal(f.max, 0);
    assert_fault(transfer_check_limits(&l, 1, 150000, &f), &f, "amount_cents", FAULT_MONTHLY_LIMIT); /* limit lowered */
    assert_int_equal(f.max, 0);
    assert_fault(transfer_check_limits(&l, 1, INT64_MAX, &f), &f, "already_this_month", FAULT_RANGE);
    assert_fault(transfer_check_limits(&l, 1, -1, &f), &f, "already_this_month", FAULT_RANGE);

    transfer_limits bad = l;
    bad.min_cents = 0;
    assert_fault(transfer_check_limits(&bad, 1, 0, &f), &f, "min_cents", FAULT_RANGE);
    bad = l;
    bad.max_cents = 0;
    assert_fault(transfer_limits_validate(&bad, &f), &f, "max_cents", FAULT_RANGE);
    bad = l;
    bad.monthly_cents = PRICE_MAX_CENTS + 1;
    assert_fault(transfer_limits_validate(&bad, &f), &f, "monthly_cents", FAULT_RANGE);
    bad.monthly_cents = PRICE_MAX_CENTS;
    bad.max_cents = PRICE_MAX_CENTS;
    assert_int_equal(transfer_check_limits(&bad, PRICE_MAX_CENTS, 0, &f), KITE_OK);
    assert_fault(transfer_check_limits(&bad, PRICE_MAX_CENTS, 1, &f), &f, "amount_cents", FAULT_MONTHLY_LIMIT);
}

static void test_dollar_placeholders(void **state)
{
    arena *a = *state;
    kite_fault f;
    fault_set(&f, KITE_ERR_INVALID_FIELD, "amount_cents", FAULT_TRANSFER_AMOUNT);
    f.min = 0;
    f.max = 5;
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN), "A transfer must be from $0.00 to $0.05.");
    f.min = -105;
    f.max = INT64_MIN;
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN),
                        "A transfer must be from -$1.05 to -$92233720368547758.08.");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_models_match_the_policy_and_every_profile_has_defaults),
        cmocka_unit_test(test_stamps_a_page_of_exactly_page_chars_and_one_more),
        cmocka_unit_test_setup_teardown(test_stamps_photos_and_the_prepaid_reply, setup, teardown),
        cmocka_unit_test(test_balance_flat_and_per_block),
        cmocka_unit_test_setup_teardown(test_credits_and_subscription, setup, teardown),
        cmocka_unit_test_setup_teardown(test_terminal_time_rounds_up_to_started_minutes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bundles_only_offered_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_impossible_schedules_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_messages_and_overflow_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fcc_caps_at_every_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fcc_refuses_what_it_cannot_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transfer_fee_tiers_at_each_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transfer_limits_and_the_month, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dollar_placeholders, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
