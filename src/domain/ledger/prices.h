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
 * SECURITY: these numbers become charges.  Whatever is loaded is validated
 * (price_schedule_validate, fee_tiers_validate, transfer_limits_validate,
 * fcc_check_rate) before it is returned, so a corrupt or out-of-law row
 * refuses to price (KITE_ERR_INTERNAL) instead of charging nonsense.
 */
#ifndef KITE_DOMAIN_LEDGER_PRICES_H
#define KITE_DOMAIN_LEDGER_PRICES_H

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
} facility_prices;

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

#endif
