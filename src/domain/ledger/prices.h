/*
 * prices.h - everything a facility charges, in one place: the message price
 * schedule, the money-transfer fees and limits, and the per-minute phone
 * and video rates with the FCC caps that bound them.
 *
 * Design: one struct (facility_prices) read by one function
 * (facility_prices_load) inside the caller's transaction, so whoever prices
 * something (a message, a bundle, a transfer, a call) reads the same
 * numbers the price list shows, in the same transaction that charges them.
 * A facility that has not set its own prices gets its policy profile's
 * defaults (price_schedule_defaults, with the policy's pricing model and
 * page size), the default fee tiers and limits (fee_defaults), and phone and
 * video rates at its FCC caps.
 *
 * The FCC caps depend on the facility's type and size (fcc.h).  The
 * directory's type "state" and "federal" is a prison; "county", "local",
 * "multi" and an unknown type are jails.  A jail whose population the
 * directory does not know is capped as the largest jails are (the lowest
 * cap): a family is never charged more because a number is missing.
 *
 * Stored prices (migration 8: facility_prices, facility_price_bundles,
 * facility_fee_tiers) replace all of those defaults at once: a facility that
 * saves its prices has a full row, so no number is half default, half its
 * own.  ONE SOURCE OF TRUTH: the pricing model and the page size
 * (schedule.model, schedule.page_chars) are the policy's fields
 * (facility_policies.pricing and .page_chars) and are stored only there.
 * facility_prices_load always takes them from the policy, and
 * facility_prices_save ignores the ones it is given (it validates the
 * schedule under the policy's model); they change through
 * PUT /api/v1/facilities/{id}/policy, never through the prices.  The FCC
 * type, size and caps are not stored either: they are read from the
 * directory and fcc.c each time, so a rate is always checked against the
 * cap in force: a stored rate above it (the cap was lowered, or the
 * facility grew into a lower one) is read as the cap, and logged.
 *
 * SECURITY: these numbers become charges.  Whatever is loaded is validated
 * (price_schedule_validate, fee_tiers_validate, transfer_limits_validate,
 * fcc_check_rate) before it is returned, so a corrupt or out-of-law row
 * refuses to price (KITE_ERR_INTERNAL) instead of charging nonsense.
 */
#ifndef KITE_DOMAIN_LEDGER_PRICES_H
#define KITE_DOMAIN_LEDGER_PRICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "db/db.h"
#include "domain/context.h"
#include "domain/ledger/fcc.h"
#include "domain/ledger/fee.h"
#include "domain/ledger/pricing.h"

typedef struct facility_prices {
    int64_t facility_id;
    price_schedule schedule;         /* messages, photos, bundles, terminal time, subscription */
    fee_tiers transfer_fees;         /* money transfers to a resident's trust account */
    transfer_limits transfer_limits;
    fcc_facility_type fcc_type;      /* prison or jail, from the directory's type */
    int64_t average_daily_population; /* as the FCC tiers read it (0 when unknown: see above) */
    int64_t audio_cents_per_minute;  /* phone calls, within audio_cap_cents */
    int64_t audio_cap_cents;
    int64_t video_cents_per_minute;  /* video visits, within video_cap_cents */
    int64_t video_cap_cents;
    int64_t deposit_fee_cents;       /* on a phone deposit: always 0 (the FCC forbids any other) */
    bool stored;                     /* the facility set its own prices (else the defaults above) */
    int64_t updated_at;              /* when they were last saved; 0 for the defaults */
    const char *updated_by;          /* the audit actor who saved them (in the arena); NULL for the defaults */
} facility_prices;

/*
 * The whole numbers of facility_prices a facility sets, by the names the
 * store, the API and the faults use ("message_cents", ...,
 * "audio_cents_per_minute", "transfer_min_cents"), with where each lives in
 * the struct.  Not listed: the model and page size (the policy's), the caps
 * (the law's), the bundles and the fee tiers (lists).
 */
typedef struct facility_price_field {
    const char *name;
    size_t offset; /* of an int64_t in facility_prices */
} facility_price_field;
extern const facility_price_field facility_price_fields[];
extern const size_t facility_price_field_count;
const facility_price_field *facility_price_field_find(const char *name);

/*
 * Inside the caller's transaction: the prices of a facility on the
 * platform.  KITE_ERR_NOT_FOUND with FAULT_POLICY when the facility has no
 * policy (it is not on Kite); KITE_ERR_INTERNAL when what is stored cannot
 * be used.  *out is written only on success.
 */
kite_err facility_prices_load(db_conn *conn, arena *a, int64_t facility_id, facility_prices *out,
                              kite_fault *fault) KITE_WUR;

/* The same in its own read transaction. */
kite_err facility_prices_get(const kite_ctx *ctx, arena *a, int64_t facility_id, facility_prices *out,
                             kite_fault *fault) KITE_WUR;

/*
 * Inside the caller's write transaction: validates p as the facility's
 * prices and stores them (replacing any before), with an audit record
 * naming every number that changed.  Refused, with nothing written:
 *   KITE_ERR_NOT_FOUND      the facility is not on Kite (FAULT_POLICY)
 *   KITE_ERR_INVALID_FIELD  the fault names the field: a schedule number
 *                           (FAULT_RANGE, under the policy's model),
 *                           "stamp_bundles" / "credit_bundles" / "fee_tiers"
 *                           (FAULT_NOT_VALID: out of order, or a bundle dearer
 *                           than its units at full price), "transfer_min_cents",
 *                           "transfer_max_cents", "transfer_monthly_cents"
 *                           (FAULT_RANGE), "audio_cents_per_minute" /
 *                           "video_cents_per_minute" (FAULT_FCC_CAP, limit the
 *                           cap), "deposit_fee_cents" (FAULT_FCC_ANCILLARY)
 * p's facility_id names the facility; its model, page size, FCC type, size,
 * caps, stored and updated_* are ignored (see above).
 */
kite_err facility_prices_save(db_conn *conn, int64_t now, const char *actor, const facility_prices *p,
                              kite_fault *fault) KITE_WUR;

/*
 * The same in its own write transaction, for a change computed from prices
 * read before (a partial update): KITE_ERR_CONFLICT when the stored prices
 * changed since (their updated_at is no longer expected_updated_at), so two
 * editors never overwrite each other unseen.  *out is the prices as stored.
 */
kite_err facility_prices_update(const kite_ctx *ctx, arena *a, const char *actor, const facility_prices *p,
                                int64_t expected_updated_at, facility_prices *out, kite_fault *fault) KITE_WUR;

#endif
