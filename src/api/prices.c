/*
 * prices.c - GET and PUT /api/v1/facilities/{id}/prices, and
 * GET /api/v1/facilities/{id}/revenue (and .csv).
 *
 * Design: the price list is public, as the FCC asks providers to disclose
 * their rates: anyone, signed in or not, reads what a facility on Kite
 * charges (messages, photos, bundles with their discount, transfer fees and
 * limits, phone and video per minute with the FCC cap and its order,
 * terminal time) before registering.  A PUT is a partial update: the
 * current prices are read, the body's members replace theirs, and
 * domain/ledger/prices.h validates and stores the whole, refusing (409) if
 * someone saved in between.  Since the list is public, refusing another
 * facility's admin with 404 would hide nothing: every signed-in account
 * that may not set a facility's prices gets 403.  The revenue report is
 * not public: it follows the usual scope (staff of another facility get
 * 404, as if it did not exist).
 *
 * SECURITY: prices become charges, so a PUT accepts only whole numbers
 * for the members prices.h names, lists of the documented shape, and
 * nothing else (422 naming the member); the domain checks every range and
 * the FCC caps.  The pricing model and page size are the policy's and are
 * refused here with a pointer to the policy.  The report's dates are
 * checked before anything is read; its CSV has no free text from users.
 */
#include "api/app.h"

#include "core/buf.h"
#include "domain/ledger/prices.h"
#include "domain/ledger/revenue.h"

#include <inttypes.h>
#include <string.h>

/* The order the FCC caps come from (fcc.h), named where the rates are shown. */
static const char FCC_ORDER[] = "FCC 25-75";

/* ---- GET /api/v1/facilities/{id}/prices ---- */

static json_t *offers_json(const price_schedule *sched, price_unit unit)
{
    bundle_offer offers[PRICE_BUNDLE_SLOTS];
    size_t n = 0;
    kite_fault f;
    json_t *out = json_array();
    if (bundle_list(sched, unit, offers, &n, &f) != KITE_OK)
        return out;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, json_pack("{s:I, s:I, s:I, s:I}", "count", (json_int_t)offers[i].count,
                                             "price_cents", (json_int_t)offers[i].price_cents, "list_cents",
                                             (json_int_t)offers[i].list_cents, "discount_cents",
                                             (json_int_t)offers[i].discount_cents));
    return out;
}

static json_t *schedule_json(const price_schedule *s)
{
    const policy_field *field = policy_field_find("pricing");
    const char *model = field != NULL && (size_t)s->model < field->choice_count ? field->choices[s->model] : "unknown";
    json_t *out = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "model", model,
                     "message_cents", (json_int_t)s->message_cents, "block_chars", (json_int_t)s->block_chars,
                     "block_cents", (json_int_t)s->block_cents, "photo_cents", (json_int_t)s->photo_cents,
                     "page_chars", (json_int_t)s->page_chars, "stamps_per_photo", (json_int_t)s->stamps_per_photo,
                     "reply_stamps", (json_int_t)s->reply_stamps, "stamp_unit_cents",
                     (json_int_t)s->stamp_unit_cents, "credits_per_message", (json_int_t)s->credits_per_message,
                     "credits_per_photo", (json_int_t)s->credits_per_photo, "credit_unit_cents",
                     (json_int_t)s->credit_unit_cents, "subscription_cents_per_month",
                     (json_int_t)s->subscription_cents_per_month, "terminal_cents_per_minute",
                     (json_int_t)s->terminal_cents_per_minute);
    json_object_set_new(out, "video_cents", json_integer(s->video_cents));
    json_object_set_new(out, "stamps_per_video", json_integer(s->stamps_per_video));
    json_object_set_new(out, "credits_per_video", json_integer(s->credits_per_video));
    return out;
}

/* The stored bundles as a PUT takes them back: {count, price_cents}, used slots only. */
static json_t *bundle_slots_json(const price_bundle *b)
{
    json_t *out = json_array();
    for (size_t i = 0; i < PRICE_BUNDLE_SLOTS && b[i].count > 0; i++)
        json_array_append_new(out, json_pack("{s:I, s:I}", "count", (json_int_t)b[i].count, "price_cents",
                                             (json_int_t)b[i].price_cents));
    return out;
}

static json_t *tiers_json(const fee_tiers *t)
{
    json_t *out = json_array();
    for (size_t i = 0; i < t->count; i++)
        json_array_append_new(out, json_pack("{s:I, s:I}", "up_to_cents", (json_int_t)t->tiers[i].up_to_cents,
                                             "fee_cents", (json_int_t)t->tiers[i].fee_cents));
    return out;
}

static json_t *transfers_json(const facility_prices *p)
{
    return json_pack("{s:o, s:I, s:I, s:I}", "fee_tiers", tiers_json(&p->transfer_fees), "min_cents",
                     (json_int_t)p->transfer_limits.min_cents, "max_cents", (json_int_t)p->transfer_limits.max_cents,
                     "monthly_cents", (json_int_t)p->transfer_limits.monthly_cents);
}

static json_t *phone_json(const facility_prices *p)
{
    const char *type = (unsigned)p->fcc_type < FCC_FACILITY_TYPE_COUNT ? fcc_facility_type_names[p->fcc_type] : "jail";
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:s, s:s}", "audio_cents_per_minute",
                     (json_int_t)p->audio_cents_per_minute, "audio_cap_cents", (json_int_t)p->audio_cap_cents,
                     "video_cents_per_minute", (json_int_t)p->video_cents_per_minute, "video_cap_cents",
                     (json_int_t)p->video_cap_cents, "deposit_fee_cents", (json_int_t)p->deposit_fee_cents,
                     "fcc_order", FCC_ORDER, "fcc_facility_type", type);
}

/* Every number a PUT takes, by its member name, as the body of a PUT would give it. */
static json_t *editable_json(const facility_prices *p)
{
    json_t *out = json_object();
    for (size_t i = 0; i < facility_price_field_count; i++) {
        int64_t v;
        memcpy(&v, (const char *)p + facility_price_fields[i].offset, sizeof v);
        json_object_set_new(out, facility_price_fields[i].name, json_integer(v));
    }
    json_object_set_new(out, "stamp_bundles", bundle_slots_json(p->schedule.stamp_bundles));
    json_object_set_new(out, "credit_bundles", bundle_slots_json(p->schedule.credit_bundles));
    json_object_set_new(out, "fee_tiers", tiers_json(&p->transfer_fees));
    return out;
}

static json_t *prices_json(const facility_prices *p)
{
    json_t *out = json_pack("{s:I, s:o, s:{s:o, s:o}, s:o, s:o, s:{s:I}, s:b}", "facility_id",
                            (json_int_t)p->facility_id, "schedule", schedule_json(&p->schedule), "bundles", "stamps",
                            offers_json(&p->schedule, PRICE_UNIT_STAMPS), "credits",
                            offers_json(&p->schedule, PRICE_UNIT_CREDITS), "transfers", transfers_json(p), "phone",
                            phone_json(p), "terminal", "cents_per_minute",
                            (json_int_t)p->schedule.terminal_cents_per_minute, "custom", p->stored);
    json_object_set_new(out, "updated_at", p->stored ? json_time(p->updated_at) : json_null());
    json_object_set_new(out, "editable", editable_json(p));
    return out;
}

void handle_facility_prices(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    if (!param_id_or_reply(req, 0, &facility_id))
        return;
    facility_prices p = {0};
    kite_fault f;
    if (facility_prices_get(&app->ctx, http_arena(req), facility_id, &p, &f) != KITE_OK) {
        reply_fault(req, &f);
        return;
    }
    http_reply_json(req, 200, prices_json(&p));
}

/* ---- PUT /api/v1/facilities/{id}/prices ---- */

/* An operator anywhere, a facility_admin of this facility; 403 for every other account (see above). */
static const session *price_setter_or_reply(http_request *req, kite_app *app, int64_t facility_id)
{
    const session *s = require_session_or_reply(req, app);
    if (s == NULL)
        return NULL;
    bool allowed = s->account.role == ROLE_OPERATOR ||
                   (s->account.role == ROLE_FACILITY_ADMIN && s->account.facility_id == facility_id);
    if (!allowed) {
        http_reply_error(req, KITE_ERR_FORBIDDEN, NULL, NULL);
        return NULL;
    }
    return s;
}

/* A member of a list item as a whole number; false when it is missing or another type. */
static bool item_int(json_t *item, const char *name, int64_t *out)
{
    json_t *v = json_object_get(item, name);
    if (!json_is_integer(v))
        return false;
    *out = (int64_t)json_integer_value(v);
    return true;
}

/* A list of {count, price_cents} into the slots (the rest emptied); false after answering. */
static bool bundles_or_reply(http_request *req, const char *name, json_t *value, price_bundle *slots)
{
    size_t n = json_is_array(value) ? json_array_size(value) : 0;
    bool ok = json_is_array(value) && n <= PRICE_BUNDLE_SLOTS;
    memset(slots, 0, sizeof(price_bundle) * PRICE_BUNDLE_SLOTS);
    for (size_t i = 0; ok && i < n; i++) {
        json_t *item = json_array_get(value, i);
        ok = item_int(item, "count", &slots[i].count) && item_int(item, "price_cents", &slots[i].price_cents) &&
             slots[i].count > 0; /* {0, 0} would read as an unused slot */
    }
    if (!ok)
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, name, FAULT_NOT_VALID);
    return ok;
}

static bool tiers_or_reply(http_request *req, json_t *value, fee_tiers *tiers)
{
    size_t n = json_is_array(value) ? json_array_size(value) : 0;
    bool ok = json_is_array(value) && n >= 1 && n <= FEE_TIERS_MAX;
    memset(tiers, 0, sizeof *tiers);
    for (size_t i = 0; ok && i < n; i++) {
        json_t *item = json_array_get(value, i);
        ok = item_int(item, "up_to_cents", &tiers->tiers[i].up_to_cents) &&
             item_int(item, "fee_cents", &tiers->tiers[i].fee_cents);
    }
    tiers->count = n;
    if (!ok)
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "fee_tiers", FAULT_NOT_VALID);
    return ok;
}

/* One body member onto p; false after answering 422 naming it. */
static bool apply_member_or_reply(http_request *req, const char *key, json_t *value, facility_prices *p)
{
    static const char *const policy_owned[] = {"model", "pricing", "page_chars", "profile"};
    const facility_price_field *field = facility_price_field_find(key);
    if (field != NULL) {
        if (!json_is_integer(value)) {
            reply_fault_of(req, KITE_ERR_INVALID_FIELD, field->name, FAULT_NOT_INTEGER);
            return false;
        }
        int64_t v = (int64_t)json_integer_value(value);
        memcpy((char *)p + field->offset, &v, sizeof v);
        return true;
    }
    if (strcmp(key, "stamp_bundles") == 0)
        return bundles_or_reply(req, "stamp_bundles", value, p->schedule.stamp_bundles);
    if (strcmp(key, "credit_bundles") == 0)
        return bundles_or_reply(req, "credit_bundles", value, p->schedule.credit_bundles);
    if (strcmp(key, "fee_tiers") == 0)
        return tiers_or_reply(req, value, &p->transfer_fees);
    for (size_t i = 0; i < sizeof policy_owned / sizeof policy_owned[0]; i++)
        if (strcmp(key, policy_owned[i]) == 0) {
            reply_fault_of(req, KITE_ERR_INVALID_FIELD, policy_owned[i], FAULT_POLICY_FIELD);
            return false;
        }
    /* The member's own name is echoed: the sentence quotes it, and the client needs to see which one. */
    reply_fault_of(req, KITE_ERR_INVALID_FIELD, arena_strdup(http_arena(req), key), FAULT_NOT_PRICE_FIELD);
    return false;
}

void handle_facility_prices_put(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    if (!param_id_or_reply(req, 0, &facility_id))
        return;
    const session *s = price_setter_or_reply(req, app, facility_id);
    if (s == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    facility_prices current = {0}, changed, stored = {0};
    kite_fault f;
    if (facility_prices_get(&app->ctx, http_arena(req), facility_id, &current, &f) != KITE_OK) {
        reply_fault(req, &f);
        json_decref(body);
        return;
    }
    changed = current;
    const char *key;
    json_t *value;
    bool ok = true;
    json_object_foreach(body, key, value) {
        if (ok)
            ok = apply_member_or_reply(req, key, value, &changed);
    }
    if (ok && facility_prices_update(&app->ctx, http_arena(req), session_actor(req, s), &changed, current.updated_at,
                                     &stored, &f) != KITE_OK)
        reply_fault(req, &f);
    else if (ok)
        http_reply_json(req, 200, prices_json(&stored));
    json_decref(body);
}

/* ---- GET /api/v1/facilities/{id}/revenue (and .csv) ---- */

/* The report asked for, after the scope and the dates are checked; false after answering. */
static bool report_or_reply(http_request *req, kite_app *app, revenue_report *out)
{
    int64_t facility_id, from_ms, to_ms;
    if (!param_id_or_reply(req, 0, &facility_id) ||
        require_facility_role_or_reply(req, app, facility_id,
                                       ROLE_BIT(ROLE_OPERATOR) | ROLE_BIT(ROLE_FACILITY_ADMIN)) == NULL)
        return false;
    kite_fault f;
    if (revenue_period_parse(http_query(req, "from"), http_query(req, "to"), &from_ms, &to_ms, &f) != KITE_OK ||
        revenue_report_get(&app->ctx, facility_id, from_ms, to_ms, out, &f) != KITE_OK) {
        reply_fault(req, &f);
        return false;
    }
    return true;
}

/* The report's columns after the kind and the count: cents per revenue account, then units. */
static const char *const cents_columns[REVENUE_ACCOUNT_COUNT] = {
    [REVENUE_FACILITY] = "facility_revenue_cents",
    [REVENUE_PROVIDER] = "provider_revenue_cents",
    [REVENUE_FEES] = "fees_cents",
};
static const struct {
    const char *sold, *spent;
    ledger_unit unit;
} unit_columns[] = {
    {"stamps_sold", "stamps_spent", LEDGER_UNIT_STAMPS},
    {"credits_sold", "credits_spent", LEDGER_UNIT_CREDITS},
};
enum { UNIT_COLUMNS = sizeof unit_columns / sizeof unit_columns[0] };

static json_t *line_json(const revenue_line *l)
{
    json_t *out = json_object();
    if (l->kind != LEDGER_TX_KIND_COUNT)
        json_object_set_new(out, "kind", json_string(ledger_tx_kind_name(l->kind)));
    json_object_set_new(out, "transactions", json_integer(l->transactions));
    for (size_t i = 0; i < REVENUE_ACCOUNT_COUNT; i++)
        json_object_set_new(out, cents_columns[i], json_integer(l->cents[i]));
    json_object_set_new(out, "total_cents", json_integer(l->total_cents));
    for (size_t u = 0; u < UNIT_COLUMNS; u++) {
        json_object_set_new(out, unit_columns[u].sold, json_integer(l->units_sold[unit_columns[u].unit]));
        json_object_set_new(out, unit_columns[u].spent, json_integer(l->units_spent[unit_columns[u].unit]));
    }
    return out;
}

void handle_facility_revenue(http_request *req, void *data)
{
    revenue_report r = {0};
    if (!report_or_reply(req, data, &r))
        return;
    json_t *items = json_array();
    for (size_t i = 0; i < r.count; i++)
        json_array_append_new(items, line_json(&r.lines[i]));
    json_t *units = json_object();
    for (size_t u = 0; u < UNIT_COLUMNS; u++)
        json_object_set_new(units, ledger_unit_name(unit_columns[u].unit),
                            json_pack("{s:I, s:I}", "sold", (json_int_t)r.total.units_sold[unit_columns[u].unit],
                                      "spent", (json_int_t)r.total.units_spent[unit_columns[u].unit]));
    /* The dates were checked by report_or_reply: they are echoed as the period they named. */
    http_reply_json(req, 200, json_pack("{s:I, s:s, s:s, s:o, s:o, s:o}", "facility_id", (json_int_t)r.facility_id,
                                        "from", http_query(req, "from"), "to", http_query(req, "to"), "items", items,
                                        "total", line_json(&r.total), "units", units));
}

static void csv_row(buf *out, const char *kind, const revenue_line *l)
{
    buf_printf(out, "%s,%" PRId64, kind, l->transactions);
    for (size_t i = 0; i < REVENUE_ACCOUNT_COUNT; i++)
        buf_printf(out, ",%" PRId64, l->cents[i]);
    buf_printf(out, ",%" PRId64, l->total_cents);
    for (size_t u = 0; u < UNIT_COLUMNS; u++)
        buf_printf(out, ",%" PRId64 ",%" PRId64, l->units_sold[unit_columns[u].unit],
                   l->units_spent[unit_columns[u].unit]);
    buf_puts(out, "\r\n");
}

void handle_facility_revenue_csv(http_request *req, void *data)
{
    revenue_report r = {0};
    if (!report_or_reply(req, data, &r))
        return;
    buf out;
    buf_init(&out, http_arena(req));
    /* Kinds and numbers only (no text a user wrote), so no field needs quoting or defusing. */
    buf_puts(&out, "kind,transactions");
    for (size_t i = 0; i < REVENUE_ACCOUNT_COUNT; i++)
        buf_printf(&out, ",%s", cents_columns[i]);
    buf_puts(&out, ",total_cents");
    for (size_t u = 0; u < UNIT_COLUMNS; u++)
        buf_printf(&out, ",%s,%s", unit_columns[u].sold, unit_columns[u].spent);
    buf_puts(&out, "\r\n");
    for (size_t i = 0; i < r.count; i++)
        csv_row(&out, ledger_tx_kind_name(r.lines[i].kind), &r.lines[i]);
    csv_row(&out, "total", &r.total);
    http_reply_header(req, "Content-Disposition",
                      arena_sprintf(http_arena(req), "attachment; filename=\"kite-revenue-%" PRId64 "-%s-%s.csv\"",
                                    r.facility_id, http_query(req, "from"), http_query(req, "to")));
    http_reply_buf(req, 200, "text/csv; charset=utf-8", &out);
}
