/*
 * pricing.h - what a message, terminal time, a subscription or a bundle of
 * stamps or credits costs under a facility's price schedule.
 *
 * Pure functions over integer cents (and whole stamps or credits): no store,
 * no clock, no allocation.  The ledger charges what these functions quote;
 * they never move money themselves.  Whoever sends pays (the contact's
 * balance, or the resident's trust account for what residents send): the
 * price does not depend on the side, so the quote does not ask.
 *
 * The models (price_schedule.model):
 *   balance       cents drawn from a balance: a flat message_cents per
 *                 message (block_chars 0, CorrLinks-style) or block_cents
 *                 per started block of block_chars characters; photo_cents
 *                 per photo.
 *   stamps        JPay-style: one stamp per started page of page_chars
 *                 characters, stamps_per_photo per photo, reply_stamps for
 *                 an optional prepaid reply; stamps are bought in bundles and
 *                 never expire.
 *   credits       ConnectNetwork-style: credits_per_message per message and
 *                 credits_per_photo per photo; credits are bought in bundles.
 *   subscription  a monthly price (subscription_cents_per_month) covers
 *                 messages; photos still cost photo_cents each.
 * Every model may also meter resident terminal time (TRULINCS-style,
 * terminal_cents_per_minute, drawn from the trust account).
 *
 * Counting: characters are Unicode code points (utf8_length), so an emoji
 * of four bytes is one character, as the facility's message_max_chars
 * counts them.  A message always costs at least one page, one block or one
 * message: an empty body (a photo alone) still goes through review and
 * delivery like any other message.
 *
 * The model is the policy's pricing_model (domain/facility/policy.h): one
 * enum, one name table (policy.c), stored by name.
 *
 * SECURITY: these numbers become charges.  Every input is range-checked
 * against PRICE_MAX_CENTS / PRICE_MAX_UNITS before arithmetic, and every
 * product and sum is overflow-checked besides, so no input, however large,
 * wraps to a small or negative price.  No floating point anywhere.  A
 * schedule is re-validated by every call, so a corrupt row in the store
 * refuses to price instead of charging nonsense.
 */
#ifndef KITE_DOMAIN_LEDGER_PRICING_H
#define KITE_DOMAIN_LEDGER_PRICING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/fault.h"
#include "domain/facility/policy.h"

/*
 * The largest price, fee or amount Kite computes in one go: $1,000,000.00.
 * Far above any message, call or transfer; a result beyond it is refused
 * (FAULT_AMOUNT_MAX), never truncated.
 */
#define PRICE_MAX_CENTS INT64_C(100000000)
/* The largest count of stamps, credits, pages or photos one price may involve. */
#define PRICE_MAX_UNITS INT64_C(1000000)
/* Bundle slots per unit: JPay sells stamps in bundles of 5, 10, 20 and 50. */
#define PRICE_BUNDLE_SLOTS 4

/* What a quote is counted in. */
typedef enum price_unit { PRICE_UNIT_CENTS, PRICE_UNIT_STAMPS, PRICE_UNIT_CREDITS, PRICE_UNIT_COUNT } price_unit;

/* A bundle on sale: count units for price_cents.  An unused slot is {0, 0}. */
typedef struct price_bundle {
    int64_t count;
    int64_t price_cents;
} price_bundle;

/*
 * A facility's prices.  Fields a model does not use are ignored by it but
 * still range-checked.  Bundles: used slots first, counts strictly
 * ascending, then unused slots; no bundle may cost more than count units at
 * the unit price (stamp_unit_cents, credit_unit_cents), against which its
 * discount is shown.
 */
typedef struct price_schedule {
    pricing_model model;
    /* balance (and photos under subscription) */
    int64_t message_cents;  /* per message when block_chars is 0 */
    int64_t block_chars;    /* 0: flat per message; else per started block of this many characters */
    int64_t block_cents;    /* per block when block_chars > 0 */
    int64_t photo_cents;    /* per photo */
    int64_t video_cents;    /* per video message (also under subscription, as photos) */
    /* stamps */
    int64_t page_chars;       /* characters per page, a stamp each; at least 1 (the policy's page_chars) */
    int64_t stamps_per_photo; /* stamps each photo adds */
    int64_t stamps_per_video; /* stamps a video adds */
    int64_t reply_stamps;     /* stamps a prepaid reply costs the sender; 0: not sold */
    int64_t stamp_unit_cents; /* one stamp at full price: what bundle discounts are measured against */
    price_bundle stamp_bundles[PRICE_BUNDLE_SLOTS];
    /* credits */
    int64_t credits_per_message;
    int64_t credits_per_photo;
    int64_t credits_per_video;
    int64_t credit_unit_cents;
    price_bundle credit_bundles[PRICE_BUNDLE_SLOTS];
    /* subscription */
    int64_t subscription_cents_per_month;
    /* any model: resident terminal time, per started minute */
    int64_t terminal_cents_per_minute;
} price_schedule;

/* The message being priced. */
typedef struct message_shape {
    const char *body;      /* UTF-8, NUL-terminated; NULL is the same as "" */
    int64_t photos;        /* photos attached, 0..PRICE_MAX_UNITS */
    int64_t videos;        /* videos attached, 0..PRICE_MAX_UNITS (a message carries at most one) */
    bool with_reply_stamp; /* stamps only: the sender prepays the recipient's reply */
} message_shape;

/*
 * A quote and how it was reached.  amount = text_amount + photo_amount +
 * video_amount + reply_amount, all in unit.  pages is set under stamps, blocks under
 * balance with block_chars > 0 (otherwise 0).
 */
typedef struct price_quote {
    price_unit unit;
    int64_t amount;
    int64_t chars;        /* code points in the body */
    int64_t pages;
    int64_t blocks;
    int64_t photos;
    int64_t text_amount;  /* the message itself: one message, its blocks or its pages */
    int64_t photo_amount;
    int64_t videos;
    int64_t video_amount;
    int64_t reply_amount; /* the prepaid reply stamp(s) */
} price_quote;

/* A bundle as the price list shows it. */
typedef struct bundle_offer {
    int64_t count;
    int64_t price_cents;
    int64_t list_cents;            /* count units at the unit price */
    int64_t discount_cents;        /* list_cents - price_cents, never negative */
    int64_t unit_hundredths_cent;  /* price of one unit in 1/100 cent, rounded up (never shown cheaper than it is) */
} bundle_offer;

/*
 * The schedule a profile ("federal", "jpay", "connectnetwork": policy.c's
 * names) starts from; KITE_ERR_INVALID_FIELD for any other name.  The
 * numbers are configuration defaults, not the platforms' current prices:
 * see pricing.c for where each comes from.
 */
kite_err price_schedule_defaults(const char *profile, price_schedule *out) KITE_WUR;

/*
 * Checks every field's range and the rules between fields; on
 * KITE_ERR_INVALID_FIELD *fault names the field: FAULT_RANGE (min, max),
 * FAULT_CHOICE (model), FAULT_DEPENDS (page_chars under stamps) or
 * FAULT_NOT_VALID (a bundle list out of order, or dearer than list price).
 */
kite_err price_schedule_validate(const price_schedule *s, kite_fault *fault) KITE_WUR;

/*
 * What sending the message costs.  Refuses (KITE_ERR_INVALID_FIELD) an
 * invalid schedule, a body that is not UTF-8 ("body", FAULT_NOT_VALID),
 * photos out of range, a reply stamp the facility does not sell
 * ("with_reply_stamp", FAULT_NOT_OFFERED) and a price beyond
 * PRICE_MAX_CENTS / PRICE_MAX_UNITS (FAULT_AMOUNT_MAX).  *out is written
 * only on success.
 */
kite_err price_message(const price_schedule *s, const message_shape *shape, price_quote *out, kite_fault *fault) KITE_WUR;

/*
 * Terminal time: seconds rounded up to whole minutes (a started minute is
 * a minute, as TRULINCS bills it; 0 seconds cost nothing), times
 * terminal_cents_per_minute.  "seconds" FAULT_RANGE when negative;
 * FAULT_AMOUNT_MAX past PRICE_MAX_CENTS.
 */
kite_err price_terminal_minutes(const price_schedule *s, int64_t seconds, int64_t *cents, kite_fault *fault) KITE_WUR;

/*
 * months (>= 1) of the subscription; "months" FAULT_NOT_OFFERED unless the
 * model is subscription.
 */
kite_err price_subscription(const price_schedule *s, int64_t months, int64_t *cents, kite_fault *fault) KITE_WUR;

/*
 * The price of the bundle of count stamps or credits.  Only offered sizes
 * are sold: "count" FAULT_NOT_OFFERED otherwise, "unit" FAULT_NOT_OFFERED
 * when the facility's model does not use that unit (stamps under stamps,
 * credits under credits).
 */
kite_err bundle_price(const price_schedule *s, price_unit unit, int64_t count, int64_t *cents, kite_fault *fault) KITE_WUR;

/*
 * The bundles on sale for unit, smallest first, with the discount each
 * gives: *n of them written to out (0 when the model does not use unit).
 */
kite_err bundle_list(const price_schedule *s, price_unit unit, bundle_offer out[PRICE_BUNDLE_SLOTS], size_t *n,
                     kite_fault *fault) KITE_WUR;

#endif
