/*
 * fee.c - money-transfer fees by tier, and the limits on each transfer and
 * on a month's transfers.
 *
 * Design: a fee schedule is data (tiers by amount), looked up by the first
 * tier whose bound the amount does not pass, so a bound itself belongs to
 * its tier ($20.00 costs the "up to $20.00" fee, $20.01 the next).  Limits
 * are checked apart from fees because they need what was already sent this
 * month, which only the ledger knows: it passes the total in, and this
 * file stays pure.
 *
 * Defaults: JPay publishes a fee table per state in this style, an amount
 * band and a flat fee each (for example $0.01-$20.00: $3.50).  The bands
 * and fees below are configuration defaults shaped like those tables, not
 * any state's actual prices: $3.50 up to $20.00, $6.95 up to $100.00,
 * $8.95 up to $200.00, $10.95 up to $300.00; one transfer from $0.01 to
 * $300.00, at most $1,000.00 a month from one sender to one resident.
 *
 * SECURITY: amounts come from the sender.  Every amount, fee and bound is
 * kept within 0..PRICE_MAX_CENTS, so the one sum here (the month's total)
 * cannot overflow; a refused transfer says what may still be sent instead
 * of sending less than was asked.
 */
#include "domain/ledger/fee.h"

#include "domain/ledger/pricing.h"

static const fee_tiers default_tiers = {
    .count = 4,
    .tiers = {{2000, 350}, {10000, 695}, {20000, 895}, {30000, 1095}},
};
static const transfer_limits default_limits = {.min_cents = 1, .max_cents = 30000, .monthly_cents = 100000};

void fee_defaults(fee_tiers *tiers, transfer_limits *limits)
{
    *tiers = default_tiers;
    *limits = default_limits;
}

static kite_err range_fault(kite_fault *f, const char *field, fault_detail detail, int64_t min, int64_t max)
{
    fault_set(f, KITE_ERR_INVALID_FIELD, field, detail);
    f->min = min;
    f->max = max;
    return f->code;
}

kite_err fee_tiers_validate(const fee_tiers *t, kite_fault *f)
{
    if (t->count < 1 || t->count > FEE_TIERS_MAX)
        return fault_set(f, KITE_ERR_INVALID_FIELD, "fee_tiers", FAULT_NOT_VALID);
    int64_t last = 0;
    for (size_t i = 0; i < t->count; i++) {
        const fee_tier *tier = &t->tiers[i];
        if (tier->up_to_cents <= last || tier->up_to_cents > PRICE_MAX_CENTS || tier->fee_cents < 0 ||
            tier->fee_cents > PRICE_MAX_CENTS)
            return fault_set(f, KITE_ERR_INVALID_FIELD, "fee_tiers", FAULT_NOT_VALID);
        last = tier->up_to_cents;
    }
    return KITE_OK;
}

kite_err transfer_limits_validate(const transfer_limits *l, kite_fault *f)
{
    if (l->min_cents < 1 || l->min_cents > PRICE_MAX_CENTS)
        return range_fault(f, "min_cents", FAULT_RANGE, 1, PRICE_MAX_CENTS);
    if (l->max_cents < l->min_cents || l->max_cents > PRICE_MAX_CENTS)
        return range_fault(f, "max_cents", FAULT_RANGE, l->min_cents, PRICE_MAX_CENTS);
    if (l->monthly_cents < l->min_cents || l->monthly_cents > PRICE_MAX_CENTS)
        return range_fault(f, "monthly_cents", FAULT_RANGE, l->min_cents, PRICE_MAX_CENTS);
    return KITE_OK;
}

kite_err transfer_fee(const fee_tiers *t, int64_t amount_cents, int64_t *fee, kite_fault *f)
{
    kite_err err = fee_tiers_validate(t, f);
    if (err != KITE_OK)
        return err;
    for (size_t i = 0; amount_cents >= 1 && i < t->count; i++)
        if (amount_cents <= t->tiers[i].up_to_cents) {
            *fee = t->tiers[i].fee_cents;
            return KITE_OK;
        }
    return range_fault(f, "amount_cents", FAULT_TRANSFER_AMOUNT, 1, t->tiers[t->count - 1].up_to_cents);
}

kite_err transfer_check_limits(const transfer_limits *l, int64_t amount_cents, int64_t already_this_month,
                               kite_fault *f)
{
    kite_err err = transfer_limits_validate(l, f);
    if (err != KITE_OK)
        return err;
    if (amount_cents < l->min_cents || amount_cents > l->max_cents)
        return range_fault(f, "amount_cents", FAULT_TRANSFER_AMOUNT, l->min_cents, l->max_cents);
    if (already_this_month < 0 || already_this_month > PRICE_MAX_CENTS)
        return range_fault(f, "already_this_month", FAULT_RANGE, 0, PRICE_MAX_CENTS);
    /* Both terms are at most PRICE_MAX_CENTS: the sum cannot overflow. */
    if (already_this_month + amount_cents > l->monthly_cents) {
        fault_set(f, KITE_ERR_INVALID_FIELD, "amount_cents", FAULT_MONTHLY_LIMIT);
        f->limit = l->monthly_cents;
        f->max = l->monthly_cents > already_this_month ? l->monthly_cents - already_this_month : 0;
        return f->code;
    }
    return KITE_OK;
}
