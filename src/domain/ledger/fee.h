/*
 * fee.h - what sending money to a resident's trust account costs, and how
 * much may be sent.
 *
 * A facility's fee schedule is a list of tiers by amount (up to $20.00: a
 * fee of $3.50, ...), and its limits bound each transfer and the total a
 * sender sends a resident in a month.  The fee is computed before paying,
 * so the sender sees it; the ledger charges amount + fee.
 */
#ifndef KITE_DOMAIN_LEDGER_FEE_H
#define KITE_DOMAIN_LEDGER_FEE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/fault.h"

#define FEE_TIERS_MAX 8

/* Amounts up to and including up_to_cents (and above the previous tier's) cost fee_cents. */
typedef struct fee_tier {
    int64_t up_to_cents;
    int64_t fee_cents;
} fee_tier;

/* count tiers, up_to_cents strictly ascending; the first covers 1 cent up. */
typedef struct fee_tiers {
    size_t count;
    fee_tier tiers[FEE_TIERS_MAX];
} fee_tiers;

/* Inclusive bounds on one transfer, and on the month's total per sender and resident. */
typedef struct transfer_limits {
    int64_t min_cents;
    int64_t max_cents;
    int64_t monthly_cents;
} transfer_limits;

/* The default schedule and limits (configuration; see fee.c for their source). */
void fee_defaults(fee_tiers *tiers, transfer_limits *limits);

/*
 * KITE_ERR_INVALID_FIELD naming "fee_tiers" (FAULT_NOT_VALID: no tier, too
 * many, not ascending, or a fee or bound out of range) or the limit field
 * (FAULT_RANGE) when the configuration cannot be used.
 */
kite_err fee_tiers_validate(const fee_tiers *tiers, kite_fault *fault) KITE_WUR;
kite_err transfer_limits_validate(const transfer_limits *limits, kite_fault *fault) KITE_WUR;

/*
 * The fee for sending amount_cents.  An amount below 1 cent or above the
 * last tier is "amount_cents" FAULT_TRANSFER_AMOUNT (min 1, max the last
 * tier).  *fee is written only on success.
 */
kite_err transfer_fee(const fee_tiers *tiers, int64_t amount_cents, int64_t *fee, kite_fault *fault) KITE_WUR;

/*
 * Whether amount_cents may be sent now that already_this_month has been:
 * "amount_cents" FAULT_TRANSFER_AMOUNT outside min..max; FAULT_MONTHLY_LIMIT
 * when the month's total would pass monthly_cents (fault.limit the monthly
 * limit, fault.max what may still be sent); a month's total exactly at the
 * limit is allowed.
 */
kite_err transfer_check_limits(const transfer_limits *limits, int64_t amount_cents, int64_t already_this_month,
                               kite_fault *fault) KITE_WUR;

#endif
