/*
 * prices.c - a facility's prices: stored ones when it has set them, else
 * its profile's defaults, always validated before use; and saving them.
 *
 * Design: see prices.h.  The FCC type comes from the directory's type
 * (prison for "state" and "federal", jail otherwise), the size from its
 * population; rates default to the cap, the most the law allows, until the
 * facility sets lower ones.  One table (facility_price_fields) names every
 * stored number and where it lives in the struct, so the row is read,
 * written and compared for the audit record by loops over it, and the
 * column list is built from it once (the names are the columns).  Bundles
 * and fee tiers are child rows, rewritten whole on every save.
 *
 * SECURITY: the result prices real charges; every part is validated here,
 * so a caller never needs to re-check before charging.  Saving validates
 * with the same functions that loading does, against the model and the FCC
 * caps read in the same transaction (never the caller's copy of them), so
 * what is stored can always be loaded.  Every query is bound; the SQL text
 * is built only from the static field table.
 */
#include "domain/ledger/prices.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "domain/audit/audit.h"
#include "domain/directory/directory.h"
#include "domain/facility/policy.h"
#include "domain/ledger/ledger_state.h"

#define PRICE_FIELD(name, member) {name, offsetof(facility_prices, member)}
const facility_price_field facility_price_fields[] = {
    PRICE_FIELD("message_cents", schedule.message_cents),
    PRICE_FIELD("block_chars", schedule.block_chars),
    PRICE_FIELD("block_cents", schedule.block_cents),
    PRICE_FIELD("photo_cents", schedule.photo_cents),
    PRICE_FIELD("stamps_per_photo", schedule.stamps_per_photo),
    PRICE_FIELD("reply_stamps", schedule.reply_stamps),
    PRICE_FIELD("stamp_unit_cents", schedule.stamp_unit_cents),
    PRICE_FIELD("credits_per_message", schedule.credits_per_message),
    PRICE_FIELD("credits_per_photo", schedule.credits_per_photo),
    PRICE_FIELD("credit_unit_cents", schedule.credit_unit_cents),
    PRICE_FIELD("subscription_cents_per_month", schedule.subscription_cents_per_month),
    PRICE_FIELD("terminal_cents_per_minute", schedule.terminal_cents_per_minute),
    PRICE_FIELD("audio_cents_per_minute", audio_cents_per_minute),
    PRICE_FIELD("video_cents_per_minute", video_cents_per_minute),
    PRICE_FIELD("deposit_fee_cents", deposit_fee_cents),
    PRICE_FIELD("transfer_min_cents", transfer_limits.min_cents),
    PRICE_FIELD("transfer_max_cents", transfer_limits.max_cents),
    PRICE_FIELD("transfer_monthly_cents", transfer_limits.monthly_cents),
    PRICE_FIELD("video_cents", schedule.video_cents),
    PRICE_FIELD("stamps_per_video", schedule.stamps_per_video),
    PRICE_FIELD("credits_per_video", schedule.credits_per_video),
};
#undef PRICE_FIELD
const size_t facility_price_field_count = sizeof facility_price_fields / sizeof facility_price_fields[0];
enum { PRICE_FIELD_COUNT = sizeof facility_price_fields / sizeof facility_price_fields[0] };

const facility_price_field *facility_price_field_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < PRICE_FIELD_COUNT; i++)
        if (strcmp(facility_price_fields[i].name, name) == 0)
            return &facility_price_fields[i];
    return NULL;
}

static int64_t field_get(const facility_prices *p, const facility_price_field *f)
{
    int64_t v;
    memcpy(&v, (const char *)p + f->offset, sizeof v);
    return v;
}

static void field_set(facility_prices *p, const facility_price_field *f, int64_t v)
{
    memcpy((char *)p + f->offset, &v, sizeof v);
}

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

/* The limits' own names ("min_cents") as the prices call them, so a fault names what the caller sent. */
static kite_err limits_validate(const transfer_limits *l, kite_fault *f)
{
    static const char *const names[][2] = {{"min_cents", "transfer_min_cents"},
                                           {"max_cents", "transfer_max_cents"},
                                           {"monthly_cents", "transfer_monthly_cents"}};
    kite_err err = transfer_limits_validate(l, f);
    for (size_t i = 0; err != KITE_OK && f->field != NULL && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(f->field, names[i][0]) == 0)
            f->field = names[i][1];
    return err;
}

/* Every rule a facility's prices obey; *f names the first one broken. */
static kite_err check_all(const facility_prices *p, kite_fault *f)
{
    kite_err err = price_schedule_validate(&p->schedule, f);
    if (err == KITE_OK)
        err = fee_tiers_validate(&p->transfer_fees, f);
    if (err == KITE_OK)
        err = limits_validate(&p->transfer_limits, f);
    if (err == KITE_OK)
        err = fcc_check_rate(FCC_AUDIO, p->fcc_type, p->average_daily_population, p->audio_cents_per_minute, f);
    if (err == KITE_OK)
        err = fcc_check_rate(FCC_VIDEO, p->fcc_type, p->average_daily_population, p->video_cents_per_minute, f);
    if (err == KITE_OK)
        err = fcc_check_phone_deposit_fee(p->deposit_fee_cents, f);
    return err;
}

/* What is loaded is validated, so a caller can charge it as it is. */
static kite_err validate(const facility_prices *p, kite_fault *f)
{
    kite_fault ignored = {0};
    if (check_all(p, &ignored) != KITE_OK)
        return fault_settle(f, KITE_ERR_INTERNAL);
    return KITE_OK;
}

/* ---- the stored prices ------------------------------------------------------ */

/* "a, b, c" of every stored number's column, from the static table only. */
static void columns(char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < PRICE_FIELD_COUNT && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s", i > 0 ? ", " : "", facility_price_fields[i].name);
}

/* The stored bundles of unit into slots, smallest first; false when there are more than the slots. */
static kite_err load_bundles(db_conn *conn, int64_t facility_id, ledger_unit unit, price_bundle *slots, bool *fits)
{
    db_stmt *s = db_prepare(conn, "SELECT count, price_cents FROM facility_price_bundles WHERE facility_id = $1"
                                  " AND unit = $2 ORDER BY count");
    db_bind_int(s, 1, facility_id);
    db_bind_text(s, 2, ledger_unit_name(unit));
    size_t n = 0;
    memset(slots, 0, sizeof(price_bundle) * PRICE_BUNDLE_SLOTS);
    *fits = true;
    while (db_next(s)) {
        if (n == PRICE_BUNDLE_SLOTS) {
            *fits = false;
            break;
        }
        slots[n++] = (price_bundle){db_int(s, 0), db_int(s, 1)};
    }
    return db_done(s);
}

static kite_err load_tiers(db_conn *conn, int64_t facility_id, fee_tiers *t, bool *fits)
{
    db_stmt *s = db_prepare(conn, "SELECT up_to_cents, fee_cents FROM facility_fee_tiers WHERE facility_id = $1"
                                  " ORDER BY up_to_cents");
    db_bind_int(s, 1, facility_id);
    memset(t, 0, sizeof *t);
    *fits = true;
    while (db_next(s)) {
        if (t->count == FEE_TIERS_MAX) {
            *fits = false;
            break;
        }
        t->tiers[t->count++] = (fee_tier){db_int(s, 0), db_int(s, 1)};
    }
    return db_done(s);
}

/* The facility's stored row over p's defaults (p->stored says whether there was one). */
static kite_err load_stored(db_conn *conn, arena *a, facility_prices *p)
{
    char cols[768], sql[1024];
    columns(cols, sizeof cols);
    snprintf(sql, sizeof sql, "SELECT %s, updated_at, updated_by FROM facility_prices WHERE facility_id = $1", cols);
    db_stmt *s = db_prepare(conn, sql);
    db_bind_int(s, 1, p->facility_id);
    p->stored = db_next(s);
    if (p->stored) {
        for (size_t i = 0; i < PRICE_FIELD_COUNT; i++)
            field_set(p, &facility_price_fields[i], db_int(s, (int)i));
        p->updated_at = db_int(s, PRICE_FIELD_COUNT);
        const char *by = db_text(s, PRICE_FIELD_COUNT + 1);
        p->updated_by = arena_strdup(a, by != NULL ? by : "");
    }
    kite_err err = db_done(s);
    if (err != KITE_OK || !p->stored)
        return err;
    bool stamps_fit, credits_fit, tiers_fit;
    if ((err = load_bundles(conn, p->facility_id, LEDGER_UNIT_STAMPS, p->schedule.stamp_bundles, &stamps_fit)) !=
            KITE_OK ||
        (err = load_bundles(conn, p->facility_id, LEDGER_UNIT_CREDITS, p->schedule.credit_bundles, &credits_fit)) !=
            KITE_OK ||
        (err = load_tiers(conn, p->facility_id, &p->transfer_fees, &tiers_fit)) != KITE_OK)
        return err;
    return stamps_fit && credits_fit && tiers_fit ? KITE_OK : KITE_ERR_INTERNAL;
}

/*
 * A stored rate above the cap in force (the Commission lowered it, or the
 * directory now gives the facility a size with a lower cap) is read as the
 * cap: the law's number, never more, and the facility's other prices keep
 * working.  Logged, so an operator sets the rate again; saving still refuses
 * any rate above the cap.
 */
static void cap_stored_rates(facility_prices *p)
{
    int64_t *rates[] = {&p->audio_cents_per_minute, &p->video_cents_per_minute};
    const int64_t caps[] = {p->audio_cap_cents, p->video_cap_cents};
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++)
        if (*rates[i] > caps[i]) {
            log_warn("prices: facility %" PRId64 " has a stored %s rate of %" PRId64 " cents a minute, above the"
                     " FCC cap of %" PRId64 " now in force; charging the cap until the rate is set again",
                     p->facility_id, i == 0 ? "phone" : "video", *rates[i], caps[i]);
            *rates[i] = caps[i];
        }
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
    if ((err = load_stored(conn, a, &p)) != KITE_OK)
        return fault_settle(f, err);
    cap_stored_rates(&p);
    if ((err = validate(&p, f)) != KITE_OK)
        return err;
    *out = p;
    return KITE_OK;
}

/* ---- saving ------------------------------------------------------------------- */

static kite_err write_bundles(db_conn *conn, int64_t facility_id, ledger_unit unit, const price_bundle *b)
{
    kite_err err = KITE_OK;
    for (size_t i = 0; err == KITE_OK && i < PRICE_BUNDLE_SLOTS && b[i].count > 0; i++) {
        db_stmt *s = db_prepare(conn, "INSERT INTO facility_price_bundles (facility_id, unit, count, price_cents)"
                                      " VALUES ($1, $2, $3, $4)");
        db_bind_int(s, 1, facility_id);
        db_bind_text(s, 2, ledger_unit_name(unit));
        db_bind_int(s, 3, b[i].count);
        db_bind_int(s, 4, b[i].price_cents);
        err = db_exec(s);
    }
    return err;
}

static kite_err write_tiers(db_conn *conn, int64_t facility_id, const fee_tiers *t)
{
    kite_err err = KITE_OK;
    for (size_t i = 0; err == KITE_OK && i < t->count; i++) {
        db_stmt *s = db_prepare(conn, "INSERT INTO facility_fee_tiers (facility_id, up_to_cents, fee_cents)"
                                      " VALUES ($1, $2, $3)");
        db_bind_int(s, 1, facility_id);
        db_bind_int(s, 2, t->tiers[i].up_to_cents);
        db_bind_int(s, 3, t->tiers[i].fee_cents);
        err = db_exec(s);
    }
    return err;
}

static kite_err delete_stored(db_conn *conn, int64_t facility_id)
{
    static const char *const deletes[] = {"DELETE FROM facility_price_bundles WHERE facility_id = $1",
                                          "DELETE FROM facility_fee_tiers WHERE facility_id = $1",
                                          "DELETE FROM facility_prices WHERE facility_id = $1"};
    kite_err err = KITE_OK;
    for (size_t i = 0; err == KITE_OK && i < sizeof deletes / sizeof deletes[0]; i++) {
        db_stmt *s = db_prepare(conn, deletes[i]);
        db_bind_int(s, 1, facility_id);
        err = db_exec(s);
    }
    return err;
}

/* The whole of p as the facility's row and child rows, replacing what was stored. */
static kite_err write_all(db_conn *conn, int64_t now, const char *actor, const facility_prices *p)
{
    char cols[768], params[512], sql[1400];
    columns(cols, sizeof cols);
    size_t used = 0;
    for (size_t i = 0; i < PRICE_FIELD_COUNT + 3 && used < sizeof params; i++)
        used += (size_t)snprintf(params + used, sizeof params - used, "%s$%zu", i > 0 ? ", " : "", i + 1);
    snprintf(sql, sizeof sql, "INSERT INTO facility_prices (facility_id, %s, updated_at, updated_by) VALUES (%s)",
             cols, params);
    kite_err err = delete_stored(conn, p->facility_id);
    if (err != KITE_OK)
        return err;
    db_stmt *s = db_prepare(conn, sql);
    db_bind_int(s, 1, p->facility_id);
    for (size_t i = 0; i < PRICE_FIELD_COUNT; i++)
        db_bind_int(s, (int)i + 2, field_get(p, &facility_price_fields[i]));
    db_bind_int(s, PRICE_FIELD_COUNT + 2, now);
    db_bind_text(s, PRICE_FIELD_COUNT + 3, actor);
    if ((err = db_exec(s)) != KITE_OK ||
        (err = write_bundles(conn, p->facility_id, LEDGER_UNIT_STAMPS, p->schedule.stamp_bundles)) != KITE_OK ||
        (err = write_bundles(conn, p->facility_id, LEDGER_UNIT_CREDITS, p->schedule.credit_bundles)) != KITE_OK)
        return err;
    return write_tiers(conn, p->facility_id, &p->transfer_fees);
}

/* "message_cents 0->25, stamp_bundles, ..." for the audit record: every number that changed, old and new. */
static void describe_changes(buf *out, const facility_prices *before, const facility_prices *after)
{
    for (size_t i = 0; i < PRICE_FIELD_COUNT; i++) {
        int64_t was = field_get(before, &facility_price_fields[i]), now = field_get(after, &facility_price_fields[i]);
        if (was != now)
            buf_printf(out, "%s%s %" PRId64 "->%" PRId64, out->len > 0 ? ", " : "", facility_price_fields[i].name,
                       was, now);
    }
    static const struct {
        const char *name;
        size_t offset, size;
    } lists[] = {
        {"stamp_bundles", offsetof(facility_prices, schedule.stamp_bundles), sizeof after->schedule.stamp_bundles},
        {"credit_bundles", offsetof(facility_prices, schedule.credit_bundles), sizeof after->schedule.credit_bundles},
        {"fee_tiers", offsetof(facility_prices, transfer_fees), sizeof after->transfer_fees},
    };
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        if (memcmp((const char *)before + lists[i].offset, (const char *)after + lists[i].offset, lists[i].size) != 0)
            buf_printf(out, "%s%s", out->len > 0 ? ", " : "", lists[i].name);
    if (out->len == 0)
        buf_puts(out, "no change");
}

/* The list parts of p, normalised so that comparing them compares what is sold (unused slots zero). */
static void normalise(facility_prices *p)
{
    for (size_t i = p->transfer_fees.count; i < FEE_TIERS_MAX; i++)
        p->transfer_fees.tiers[i] = (fee_tier){0, 0};
}

static kite_err save_with(db_conn *conn, arena *a, int64_t now, const char *actor, const facility_prices *in,
                          kite_fault *f)
{
    facility_prices before, p = *in;
    kite_err err = facility_prices_load(conn, a, in->facility_id, &before, f);
    if (err != KITE_OK)
        return err;
    /* The policy's model and page size, the law's caps and the directory's size: never the caller's. */
    p.schedule.model = before.schedule.model;
    p.schedule.page_chars = before.schedule.page_chars;
    p.fcc_type = before.fcc_type;
    p.average_daily_population = before.average_daily_population;
    p.audio_cap_cents = before.audio_cap_cents;
    p.video_cap_cents = before.video_cap_cents;
    if (p.transfer_fees.count > FEE_TIERS_MAX)
        return fault_set(f, KITE_ERR_INVALID_FIELD, "fee_tiers", FAULT_NOT_VALID);
    normalise(&p);
    normalise(&before);
    if ((err = check_all(&p, f)) != KITE_OK)
        return err;
    if ((err = write_all(conn, now, actor, &p)) != KITE_OK)
        return fault_settle(f, err);
    buf detail;
    buf_init(&detail, a);
    describe_changes(&detail, &before, &p);
    char target[40];
    snprintf(target, sizeof target, "facility:%" PRId64, p.facility_id);
    return fault_settle(f, audit_append(conn, now, actor, "prices.update", target, detail.data));
}

kite_err facility_prices_save(db_conn *conn, int64_t now, const char *actor, const facility_prices *p, kite_fault *f)
{
    fault_set(f, KITE_OK, NULL, FAULT_NONE);
    arena *a = arena_new();
    kite_err err = save_with(conn, a, now, actor, p, f);
    arena_free(a);
    return err;
}

typedef struct update_args {
    arena *a;
    int64_t now;
    const char *actor;
    const facility_prices *p;
    int64_t expected_updated_at;
    facility_prices *out;
    kite_fault *f;
} update_args;

static kite_err update_tx(db_conn *conn, void *data)
{
    update_args *u = data;
    facility_prices current;
    kite_err err = facility_prices_load(conn, u->a, u->p->facility_id, &current, u->f);
    if (err != KITE_OK)
        return err;
    if (current.updated_at != u->expected_updated_at)
        return fault_set(u->f, KITE_ERR_CONFLICT, NULL, FAULT_PRICES_CHANGED);
    /* Later than the prices it replaces, even within one millisecond, so updated_at tells every save apart. */
    int64_t now = u->now > current.updated_at ? u->now : current.updated_at + 1;
    if ((err = facility_prices_save(conn, now, u->actor, u->p, u->f)) != KITE_OK)
        return err;
    return facility_prices_load(conn, u->a, u->p->facility_id, u->out, u->f);
}

kite_err facility_prices_update(const kite_ctx *ctx, arena *a, const char *actor, const facility_prices *p,
                                int64_t expected_updated_at, facility_prices *out, kite_fault *f)
{
    fault_set(f, KITE_OK, NULL, FAULT_NONE);
    update_args u = {a, clock_now_ms(&ctx->clock), actor, p, expected_updated_at, NULL, f};
    u.out = out; /* written by facility_prices_load, never read */
    return fault_settle(f, db_write(ctx->store, update_tx, &u));
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
    prices_args p = {.a = a, .facility_id = facility_id, .f = f};
    p.out = out; /* written by facility_prices_load, never read */
    return fault_settle(f, db_read(ctx->store, prices_tx, &p));
}
