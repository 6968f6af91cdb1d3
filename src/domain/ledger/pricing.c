/*
 * pricing.c - the price of a message, of terminal time, of a subscription
 * and of stamp and credit bundles, from a facility's price schedule.
 *
 * Design: one table (price_fields) gives every numeric field of a schedule
 * its range, so validation is a loop and the next step (the schedule as
 * policy fields) can reuse it.  Each model reduces to the same shape (a
 * unit, a price per started block of text or per message, a price per photo,
 * an optional reply) and one function prices that shape, so the boundaries
 * (a page of exactly page_chars characters, one more) are computed in one
 * place for every model.
 *
 * SECURITY: prices are money.  Inputs are bounded (PRICE_MAX_CENTS,
 * PRICE_MAX_UNITS) before any arithmetic, and every product and sum goes
 * through mul_within/add_within, which use the compiler's overflow-checked
 * builtins and refuse a result past the bound instead of wrapping.  The body
 * is untrusted text: it is checked to be UTF-8 before its code points are
 * counted, and is only read, never copied.
 */
#include "domain/ledger/pricing.h"

#include "core/text.h"

#include <string.h>

/* A started minute is a minute (TRULINCS bills terminal time per minute). */
#define SECONDS_PER_MINUTE 60
/* The longest subscription bought at once: ten years. */
#define PRICE_MAX_MONTHS 120

typedef struct price_field {
    const char *name;
    int64_t min, max;
    size_t offset;
} price_field;

#define CENTS_FIELD(name) {#name, 0, PRICE_MAX_CENTS, offsetof(price_schedule, name)}
#define UNITS_FIELD(name) {#name, 0, PRICE_MAX_UNITS, offsetof(price_schedule, name)}

/* Every number of a schedule but the bundles, with its range. */
static const price_field price_fields[] = {
    CENTS_FIELD(message_cents),
    UNITS_FIELD(block_chars),
    CENTS_FIELD(block_cents),
    CENTS_FIELD(photo_cents),
    UNITS_FIELD(page_chars),
    UNITS_FIELD(stamps_per_photo),
    UNITS_FIELD(reply_stamps),
    CENTS_FIELD(stamp_unit_cents),
    UNITS_FIELD(credits_per_message),
    UNITS_FIELD(credits_per_photo),
    CENTS_FIELD(credit_unit_cents),
    CENTS_FIELD(subscription_cents_per_month),
    CENTS_FIELD(terminal_cents_per_minute),
    CENTS_FIELD(video_cents),
    UNITS_FIELD(stamps_per_video),
    UNITS_FIELD(credits_per_video),
};

/*
 * Profile defaults.  They are configuration, chosen to resemble each
 * platform's published model; prices vary by state and agency and change,
 * so none of these is a claim about what a platform charges today.
 *
 * federal (CorrLinks/TRULINCS): the public pays nothing per message on
 *   CorrLinks, so message_cents is 0; residents pay for TRULINCS terminal
 *   time, $0.05 a minute (the rate the issue gives for TRULINCS; the BOP
 *   sets it in its trust fund rules and may change it), drawn from the
 *   trust account.  No photos, no stamps.
 * jpay: a stamp per page (the jpay policy's 2,500-character page), a stamp
 *   per photo, a one-stamp prepaid reply (JPay's "pre-paid reply"); stamps
 *   bought in bundles of 5, 10, 20 and 50, cheaper per stamp the larger
 *   the bundle.  Assumed prices: 45 cents a stamp at full price, down to 30
 *   cents in the bundle of 50.
 * connectnetwork: a credit per message and per photo, credits bought in
 *   bundles of 10, 25, 50 and 100.  Assumed prices: 30 cents a credit, down
 *   to 24 cents in the bundle of 100.
 * Video messages (docs/video-messages.md), assumed prices too: a dollar on a
 *   balance, three stamps, three credits, in every profile so that a
 *   facility switching model keeps a price (the federal profile does not
 *   allow videos at all, policy.c).
 * No profile sells a subscription; a facility that does sets the model and
 * the monthly price.
 */
static const char *const profile_names[] = {"federal", "jpay", "connectnetwork", NULL};
#define VIDEO_DEFAULTS .video_cents = 100, .stamps_per_video = 3, .credits_per_video = 3
static const price_schedule profile_schedules[] = {
    {.model = PRICING_BALANCE, .message_cents = 0, .block_chars = 0, .terminal_cents_per_minute = 5, VIDEO_DEFAULTS},
    {.model = PRICING_STAMPS, .page_chars = 2500, .stamps_per_photo = 1, .reply_stamps = 1,
     .stamp_unit_cents = 45, .stamp_bundles = {{5, 200}, {10, 370}, {20, 680}, {50, 1500}}, VIDEO_DEFAULTS},
    {.model = PRICING_CREDITS, .credits_per_message = 1, .credits_per_photo = 1, .credit_unit_cents = 30,
     .credit_bundles = {{10, 300}, {25, 700}, {50, 1300}, {100, 2400}}, VIDEO_DEFAULTS},
};
_Static_assert(sizeof profile_schedules / sizeof profile_schedules[0] == sizeof profile_names / sizeof profile_names[0] - 1,
               "a schedule for every profile name");

/* *out = a * b when it stays within [0, max]; false on overflow or past max. */
static bool mul_within(int64_t a, int64_t b, int64_t max, int64_t *out)
{
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r) || r < 0 || r > max)
        return false;
    *out = r;
    return true;
}

static bool add_within(int64_t a, int64_t b, int64_t max, int64_t *out)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r) || r < 0 || r > max)
        return false;
    *out = r;
    return true;
}

/* Started blocks of size d in n (n >= 0, d >= 1), without the overflow of (n + d - 1) / d. */
static int64_t ceil_div(int64_t n, int64_t d)
{
    return n / d + (n % d != 0);
}

static kite_err too_much(kite_fault *f, const char *field, price_unit unit)
{
    bool cents = unit == PRICE_UNIT_CENTS;
    fault_set(f, KITE_ERR_INVALID_FIELD, field, cents ? FAULT_AMOUNT_MAX : FAULT_COUNT_MAX);
    f->limit = cents ? PRICE_MAX_CENTS : PRICE_MAX_UNITS;
    return f->code;
}

static kite_err range_fault(kite_fault *f, const char *field, int64_t min, int64_t max)
{
    fault_set(f, KITE_ERR_INVALID_FIELD, field, FAULT_RANGE);
    f->min = min;
    f->max = max;
    return f->code;
}

kite_err price_schedule_defaults(const char *profile, price_schedule *out)
{
    size_t i = text_index_of(profile_names, sizeof profile_schedules / sizeof profile_schedules[0], profile);
    if (i == sizeof profile_schedules / sizeof profile_schedules[0])
        return KITE_ERR_INVALID_FIELD;
    *out = profile_schedules[i];
    return KITE_OK;
}

/* Used slots first with counts strictly ascending, each no dearer than count units at unit_cents. */
static kite_err check_bundles(const price_bundle b[PRICE_BUNDLE_SLOTS], int64_t unit_cents, const char *field,
                              kite_fault *f)
{
    bool ended = false;
    int64_t last = 0;
    for (size_t i = 0; i < PRICE_BUNDLE_SLOTS; i++) {
        if (b[i].count == 0 && b[i].price_cents == 0) {
            ended = true;
            continue;
        }
        int64_t list;
        bool ok = !ended && b[i].count > last && b[i].count <= PRICE_MAX_UNITS && b[i].price_cents >= 1 &&
                  b[i].price_cents <= PRICE_MAX_CENTS &&
                  mul_within(b[i].count, unit_cents, INT64_MAX, &list) && b[i].price_cents <= list;
        if (!ok)
            return fault_set(f, KITE_ERR_INVALID_FIELD, field, FAULT_NOT_VALID);
        last = b[i].count;
    }
    return KITE_OK;
}

kite_err price_schedule_validate(const price_schedule *s, kite_fault *f)
{
    if ((int)s->model < 0 || s->model >= PRICING_COUNT)
        return fault_set(f, KITE_ERR_INVALID_FIELD, "pricing", FAULT_NOT_VALID);
    for (size_t i = 0; i < sizeof price_fields / sizeof price_fields[0]; i++) {
        const price_field *pf = &price_fields[i];
        int64_t v;
        memcpy(&v, (const char *)s + pf->offset, sizeof v);
        if (v < pf->min || v > pf->max)
            return range_fault(f, pf->name, pf->min, pf->max);
    }
    /* The same rule and words as policy_validate's, since the policy's page_chars fills this one. */
    if (s->model == PRICING_STAMPS && s->page_chars < 1)
        return fault_set(f, KITE_ERR_INVALID_FIELD, "page_chars", FAULT_DEPENDS);
    kite_err err = check_bundles(s->stamp_bundles, s->stamp_unit_cents, "stamp_bundles", f);
    if (err == KITE_OK)
        err = check_bundles(s->credit_bundles, s->credit_unit_cents, "credit_bundles", f);
    return err;
}

/* Every model as one shape: per started block of text_chars (0: per message), per photo, per reply. */
typedef struct price_rates {
    price_unit unit;
    int64_t max;        /* PRICE_MAX_CENTS or PRICE_MAX_UNITS */
    int64_t text_chars; /* 0: the text costs per_text whatever its length */
    int64_t per_text;
    int64_t per_photo;
    int64_t reply; /* 0: no prepaid reply on sale */
    int64_t per_video;
} price_rates;

static price_rates rates_of(const price_schedule *s)
{
    switch (s->model) {
    case PRICING_STAMPS:
        return (price_rates){PRICE_UNIT_STAMPS, PRICE_MAX_UNITS, s->page_chars, 1, s->stamps_per_photo, s->reply_stamps,
                             s->stamps_per_video};
    case PRICING_CREDITS:
        return (price_rates){PRICE_UNIT_CREDITS, PRICE_MAX_UNITS, 0, s->credits_per_message, s->credits_per_photo, 0,
                             s->credits_per_video};
    case PRICING_SUBSCRIPTION:
        return (price_rates){PRICE_UNIT_CENTS, PRICE_MAX_CENTS, 0, 0, s->photo_cents, 0, s->video_cents};
    case PRICING_BALANCE:
    case PRICING_COUNT:
        break;
    }
    int64_t per_text = s->block_chars > 0 ? s->block_cents : s->message_cents;
    return (price_rates){PRICE_UNIT_CENTS, PRICE_MAX_CENTS, s->block_chars, per_text, s->photo_cents, 0, s->video_cents};
}

/* The body's length in code points, once it is known to be UTF-8. */
static kite_err count_chars(const char *body, int64_t *chars, kite_fault *f)
{
    size_t len = strlen(body);
    if (!utf8_valid(body, len))
        return fault_set(f, KITE_ERR_INVALID_FIELD, "body", FAULT_NOT_VALID);
    size_t n = utf8_length(body);
    if (n > (size_t)INT64_MAX)
        return too_much(f, "body", PRICE_UNIT_STAMPS);
    *chars = (int64_t)n;
    return KITE_OK;
}

kite_err price_message(const price_schedule *s, const message_shape *shape, price_quote *out, kite_fault *f)
{
    kite_err err = price_schedule_validate(s, f);
    if (err != KITE_OK)
        return err;
    if (shape->photos < 0 || shape->photos > PRICE_MAX_UNITS)
        return range_fault(f, "photos", 0, PRICE_MAX_UNITS);
    if (shape->videos < 0 || shape->videos > PRICE_MAX_UNITS)
        return range_fault(f, "videos", 0, PRICE_MAX_UNITS);
    price_rates r = rates_of(s);
    if (shape->with_reply_stamp && r.reply == 0)
        return fault_set(f, KITE_ERR_INVALID_FIELD, "with_reply_stamp", FAULT_NOT_OFFERED);
    price_quote q = {.unit = r.unit, .photos = shape->photos, .videos = shape->videos};
    err = count_chars(shape->body != NULL ? shape->body : "", &q.chars, f);
    if (err != KITE_OK)
        return err;
    /* An empty body still makes one message: one page, one block. */
    int64_t pieces = r.text_chars > 0 ? ceil_div(q.chars, r.text_chars) : 1;
    if (pieces < 1)
        pieces = 1;
    if (s->model == PRICING_STAMPS)
        q.pages = pieces;
    else if (s->model == PRICING_BALANCE && r.text_chars > 0)
        q.blocks = pieces;
    q.reply_amount = shape->with_reply_stamp ? r.reply : 0;
    if (!mul_within(pieces, r.per_text, r.max, &q.text_amount))
        return too_much(f, "body", r.unit);
    if (!mul_within(shape->photos, r.per_photo, r.max, &q.photo_amount))
        return too_much(f, "photos", r.unit);
    if (!mul_within(shape->videos, r.per_video, r.max, &q.video_amount))
        return too_much(f, "videos", r.unit);
    if (!add_within(q.text_amount, q.photo_amount, r.max, &q.amount) ||
        !add_within(q.amount, q.video_amount, r.max, &q.amount) ||
        !add_within(q.amount, q.reply_amount, r.max, &q.amount))
        return too_much(f, "photos", r.unit);
    *out = q;
    return KITE_OK;
}

kite_err price_terminal_minutes(const price_schedule *s, int64_t seconds, int64_t *cents, kite_fault *f)
{
    kite_err err = price_schedule_validate(s, f);
    if (err != KITE_OK)
        return err;
    if (seconds < 0)
        return range_fault(f, "seconds", 0, INT64_MAX);
    int64_t minutes = ceil_div(seconds, SECONDS_PER_MINUTE);
    if (!mul_within(minutes, s->terminal_cents_per_minute, PRICE_MAX_CENTS, cents))
        return too_much(f, "seconds", PRICE_UNIT_CENTS);
    return KITE_OK;
}

kite_err price_subscription(const price_schedule *s, int64_t months, int64_t *cents, kite_fault *f)
{
    kite_err err = price_schedule_validate(s, f);
    if (err != KITE_OK)
        return err;
    if (s->model != PRICING_SUBSCRIPTION)
        return fault_set(f, KITE_ERR_INVALID_FIELD, "months", FAULT_NOT_OFFERED);
    if (months < 1 || months > PRICE_MAX_MONTHS)
        return range_fault(f, "months", 1, PRICE_MAX_MONTHS);
    if (!mul_within(months, s->subscription_cents_per_month, PRICE_MAX_CENTS, cents))
        return too_much(f, "months", PRICE_UNIT_CENTS);
    return KITE_OK;
}

/* The bundles on sale for unit, or NULL when the facility's model does not sell that unit. */
static const price_bundle *bundles_for(const price_schedule *s, price_unit unit, int64_t *unit_cents)
{
    if (unit == PRICE_UNIT_STAMPS && s->model == PRICING_STAMPS) {
        *unit_cents = s->stamp_unit_cents;
        return s->stamp_bundles;
    }
    if (unit == PRICE_UNIT_CREDITS && s->model == PRICING_CREDITS) {
        *unit_cents = s->credit_unit_cents;
        return s->credit_bundles;
    }
    return NULL;
}

kite_err bundle_price(const price_schedule *s, price_unit unit, int64_t count, int64_t *cents, kite_fault *f)
{
    kite_err err = price_schedule_validate(s, f);
    if (err != KITE_OK)
        return err;
    int64_t unit_cents;
    const price_bundle *b = bundles_for(s, unit, &unit_cents);
    if (b == NULL)
        return fault_set(f, KITE_ERR_INVALID_FIELD, "unit", FAULT_NOT_OFFERED);
    /* count 0 would match an unused slot: only a count of at least one names a bundle. */
    for (size_t i = 0; count >= 1 && i < PRICE_BUNDLE_SLOTS; i++)
        if (b[i].count == count) {
            *cents = b[i].price_cents;
            return KITE_OK;
        }
    return fault_set(f, KITE_ERR_INVALID_FIELD, "count", FAULT_NOT_OFFERED);
}

kite_err bundle_list(const price_schedule *s, price_unit unit, bundle_offer out[PRICE_BUNDLE_SLOTS], size_t *n,
                     kite_fault *f)
{
    *n = 0; /* an invalid schedule lists nothing */
    kite_err err = price_schedule_validate(s, f);
    if (err != KITE_OK)
        return err;
    int64_t unit_cents = 0;
    const price_bundle *b = bundles_for(s, unit, &unit_cents);
    for (size_t i = 0; b != NULL && i < PRICE_BUNDLE_SLOTS && b[i].count > 0; i++) {
        /* Validation bounded count and price and checked count * unit_cents, so none of this can overflow. */
        bundle_offer o = {.count = b[i].count, .price_cents = b[i].price_cents};
        o.list_cents = b[i].count * unit_cents;
        o.discount_cents = o.list_cents - o.price_cents;
        o.unit_hundredths_cent = ceil_div(o.price_cents * 100, o.count);
        out[(*n)++] = o;
    }
    return KITE_OK;
}
