/*
 * prices.c - a facility's prices: stored ones when it has set them, else
 * its profile's defaults, always validated before use.
 *
 * Design: see prices.h.  The FCC type comes from the directory's type
 * (prison for "state" and "federal", jail otherwise), the size from its
 * population; rates default to the cap, the most the law allows, until the
 * facility sets lower ones.
 *
 * SECURITY: the result prices real charges; every part is validated here,
 * so a caller never needs to re-check before charging.
 */
#include "domain/ledger/prices.h"

#include <string.h>

#include "domain/directory/directory.h"
#include "domain/facility/policy.h"

/* The directory's type names that are prisons under the FCC's order; every other is a jail. */
static fcc_facility_type fcc_type_of(const char *directory_type)
{
    return strcmp(directory_type, "state") == 0 || strcmp(directory_type, "federal") == 0 ? FCC_PRISON : FCC_JAIL;
}

/* The FCC caps (and default rates) for the facility's type and size. */
static kite_err caps_of(db_conn *conn, facility_prices *out, kite_fault *f)
{
    char type[32];
    int64_t population;
    kite_err err = directory_facility_size(conn, out->facility_id, type, sizeof type, &population);
    if (err != KITE_OK)
        return fault_settle(f, err);
    out->fcc_type = fcc_type_of(type);
    /* Unknown size: the lowest jail cap, which the largest jails have (see prices.h). */
    out->average_daily_population = population < 0 ? FCC_MAX_ADP : population > FCC_MAX_ADP ? FCC_MAX_ADP : population;
    if ((err = fcc_cap_cents(FCC_AUDIO, out->fcc_type, out->average_daily_population, &out->audio_cap_cents, f)) !=
            KITE_OK ||
        (err = fcc_cap_cents(FCC_VIDEO, out->fcc_type, out->average_daily_population, &out->video_cap_cents, f)) !=
            KITE_OK)
        return fault_settle(f, KITE_ERR_INTERNAL);
    out->audio_cents_per_minute = out->audio_cap_cents;
    out->video_cents_per_minute = out->video_cap_cents;
    return KITE_OK;
}

/* The profile's schedule with the policy's model and page size. */
static kite_err schedule_of(db_conn *conn, arena *a, int64_t facility_id, price_schedule *out, kite_fault *f)
{
    policy p = {0};
    kite_err err = policy_load(conn, a, facility_id, &p);
    if (err == KITE_ERR_NOT_FOUND)
        return fault_set(f, err, NULL, FAULT_POLICY);
    if (err != KITE_OK)
        return fault_settle(f, err);
    if (price_schedule_defaults(policy_choice_name(&p, policy_field_find("profile")), out) != KITE_OK)
        return fault_settle(f, KITE_ERR_INTERNAL);
    out->model = p.pricing;
    if (p.page_chars > 0)
        out->page_chars = p.page_chars;
    return KITE_OK;
}

/* What is loaded is validated, so a caller can charge it as it is. */
static kite_err validate(const facility_prices *p, kite_fault *f)
{
    kite_fault ignored = {0};
    if (price_schedule_validate(&p->schedule, &ignored) != KITE_OK ||
        fee_tiers_validate(&p->transfer_fees, &ignored) != KITE_OK ||
        transfer_limits_validate(&p->transfer_limits, &ignored) != KITE_OK ||
        fcc_check_rate(FCC_AUDIO, p->fcc_type, p->average_daily_population, p->audio_cents_per_minute, &ignored) !=
            KITE_OK ||
        fcc_check_rate(FCC_VIDEO, p->fcc_type, p->average_daily_population, p->video_cents_per_minute, &ignored) !=
            KITE_OK)
        return fault_settle(f, KITE_ERR_INTERNAL);
    return KITE_OK;
}

kite_err facility_prices_load(db_conn *conn, arena *a, int64_t facility_id, facility_prices *out, kite_fault *f)
{
    facility_prices p = {.facility_id = facility_id};
    kite_err err = schedule_of(conn, a, facility_id, &p.schedule, f);
    if (err == KITE_OK)
        err = caps_of(conn, &p, f);
    if (err != KITE_OK)
        return err;
    fee_defaults(&p.transfer_fees, &p.transfer_limits);
    if ((err = validate(&p, f)) != KITE_OK)
        return err;
    *out = p;
    return KITE_OK;
}

typedef struct prices_args {
    arena *a;
    int64_t facility_id;
    facility_prices *out;
    kite_fault *f;
} prices_args;

static kite_err prices_tx(db_conn *conn, void *data)
{
    prices_args *p = data;
    return facility_prices_load(conn, p->a, p->facility_id, p->out, p->f);
}

kite_err facility_prices_get(const kite_ctx *ctx, arena *a, int64_t facility_id, facility_prices *out, kite_fault *f)
{
    fault_set(f, KITE_OK, NULL, FAULT_NONE);
    prices_args p = {a, facility_id, out, f};
    return fault_settle(f, db_read(ctx->store, prices_tx, &p));
}
