/*
 * fcc.c - the FCC's per-minute caps for audio and video calls, and the ban
 * on ancillary fees for phone deposits.
 *
 * Design: the caps are one table, written exactly as the order's tiers
 * read (FCC 25-75, as the issue quotes it; figures in cents per minute):
 *
 *                          audio  video
 *   prison (any size)         11     25
 *   jail, ADP >= 1,000        10     19
 *   jail, ADP 350-999         12     19
 *   jail, ADP 100-349         13     21
 *   jail, ADP 50-99           15     25
 *   jail, ADP under 50        19     44
 *
 * A jail's tier is the first row whose min_adp its population reaches, so
 * each boundary (1,000, 350, 100, 50) belongs to the larger tier, as "≥" in
 * the order.  The caps are law, not configuration: a facility sets its own
 * rates, and this file refuses those above the cap.  When the Commission
 * revises them, this table changes and nothing else.
 *
 * SECURITY: rates are money charged to incarcerated people and their
 * families; a rate above the cap is refused, never clamped silently, so the
 * operator sees the mistake.  Inputs are range-checked; no arithmetic is
 * done on them beyond comparison.
 */
#include "domain/ledger/fcc.h"

#include "core/text.h"

const char *const fcc_facility_type_names[FCC_FACILITY_TYPE_COUNT + 1] = {[FCC_PRISON] = "prison",
                                                                          [FCC_JAIL] = "jail"};

static const int64_t prison_caps[FCC_SERVICE_COUNT] = {[FCC_AUDIO] = 11, [FCC_VIDEO] = 25};

static const struct {
    int64_t min_adp;
    int64_t cents[FCC_SERVICE_COUNT];
} jail_tiers[] = {
    {1000, {[FCC_AUDIO] = 10, [FCC_VIDEO] = 19}},
    {350, {[FCC_AUDIO] = 12, [FCC_VIDEO] = 19}},
    {100, {[FCC_AUDIO] = 13, [FCC_VIDEO] = 21}},
    {50, {[FCC_AUDIO] = 15, [FCC_VIDEO] = 25}},
    {0, {[FCC_AUDIO] = 19, [FCC_VIDEO] = 44}},
};

static const char *const rate_fields[FCC_SERVICE_COUNT] = {[FCC_AUDIO] = "audio_cents_per_minute",
                                                           [FCC_VIDEO] = "video_cents_per_minute"};

fcc_facility_type fcc_facility_type_parse(const char *name)
{
    return (fcc_facility_type)text_index_of(fcc_facility_type_names, FCC_FACILITY_TYPE_COUNT, name);
}

kite_err fcc_cap_cents(fcc_service service, fcc_facility_type type, int64_t adp, int64_t *cap, kite_fault *f)
{
    if ((int)service < 0 || service >= FCC_SERVICE_COUNT)
        return fault_set(f, KITE_ERR_INVALID_FIELD, "service", FAULT_NOT_VALID);
    if ((int)type < 0 || type >= FCC_FACILITY_TYPE_COUNT) {
        fault_set(f, KITE_ERR_INVALID_FIELD, "facility_type", FAULT_CHOICE);
        f->choices = fcc_facility_type_names;
        return f->code;
    }
    if (adp < 0 || adp > FCC_MAX_ADP) {
        fault_set(f, KITE_ERR_INVALID_FIELD, "average_daily_population", FAULT_RANGE);
        f->min = 0;
        f->max = FCC_MAX_ADP;
        return f->code;
    }
    if (type == FCC_PRISON) {
        *cap = prison_caps[service];
        return KITE_OK;
    }
    size_t i = 0;
    /* The last tier starts at 0, so every adp >= 0 stops in the table. */
    while (adp < jail_tiers[i].min_adp)
        i++;
    *cap = jail_tiers[i].cents[service];
    return KITE_OK;
}

kite_err fcc_check_rate(fcc_service service, fcc_facility_type type, int64_t adp, int64_t rate_cents, kite_fault *f)
{
    int64_t cap;
    kite_err err = fcc_cap_cents(service, type, adp, &cap, f);
    if (err != KITE_OK)
        return err;
    if (rate_cents < 0) {
        fault_set(f, KITE_ERR_INVALID_FIELD, rate_fields[service], FAULT_RANGE);
        f->min = 0;
        f->max = cap;
        return f->code;
    }
    if (rate_cents > cap) {
        fault_set(f, KITE_ERR_INVALID_FIELD, rate_fields[service], FAULT_FCC_CAP);
        f->limit = cap;
        return f->code;
    }
    return KITE_OK;
}

bool fcc_phone_deposit_fee_allowed(int64_t fee_cents)
{
    return fee_cents == 0;
}

kite_err fcc_check_phone_deposit_fee(int64_t fee_cents, kite_fault *f)
{
    if (fcc_phone_deposit_fee_allowed(fee_cents))
        return KITE_OK;
    fault_set(f, KITE_ERR_INVALID_FIELD, "deposit_fee_cents", FAULT_FCC_ANCILLARY);
    f->limit = 0;
    return f->code;
}
