/*
 * wallet.c - GET /api/v1/wallet, POST /api/v1/wallet/top-ups,
 * GET /api/v1/wallet/transactions and its CSV.
 *
 * Design: a top-up is domain/ledger/wallet.h's three steps, and this file
 * is the one that asks the processor between them, outside any store
 * transaction: begin (pending row, or the row of an earlier try with the
 * same Idempotency-Key), then processor_charge under the top-up's own
 * random processor key (or, for a pending top-up tried again, processor_lookup
 * first, and a charge only when the processor made none), then settle.  The
 * answer follows the stored state: approved 201 (200 on a replay), pending
 * 202, declined 402 with the card company's reason, failed 502.
 *
 * SECURITY: card data.  The card number and CVC are read from the body,
 * checked (card_check), sent only in the processor request and wiped from
 * the parsed body before it is freed; no answer, log line or audit record
 * holds more than the brand and last four digits.  The number is in the
 * body, never the URL, so the access log cannot see it.  Only contacts top
 * up; contacts and residents read their own wallet only (the session's).
 * The CSV quotes every text field (RFC 4180) and defuses spreadsheet
 * formulas in memos.
 */
#include "api/app.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "domain/facility/resident.h"
#include "domain/ledger/wallet.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define WALLET_ROLES (ROLE_BIT(ROLE_CONTACT) | ROLE_BIT(ROLE_RESIDENT))
enum { STATEMENT_PAGE_DEFAULT = 50, CSV_LINES_MAX = 10000 };

/* The owner of the session's wallet: a contact's account, or a resident; false after answering. */
static bool wallet_owner_or_reply(http_request *req, kite_app *app, const session *s, int64_t *account_id,
                                  int64_t *resident_id)
{
    *account_id = 0;
    *resident_id = 0;
    if (s->account.role == ROLE_CONTACT) {
        *account_id = s->account.id;
        return true;
    }
    resident r = {0};
    kite_err err = resident_get_by_account(&app->ctx, http_arena(req), s->account.id, &r);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return false;
    }
    *resident_id = r.id;
    return true;
}

/* ---- GET /api/v1/wallet ---- */

void handle_wallet_get(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, WALLET_ROLES);
    int64_t account_id, resident_id;
    if (s == NULL || !wallet_owner_or_reply(req, app, s, &account_id, &resident_id))
        return;
    wallet_summary w = {0};
    kite_err err = wallet_summary_get(&app->ctx, account_id, resident_id, &w);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    json_t *bundles = json_array();
    for (size_t i = 0; i < w.bundle_count; i++)
        json_array_append_new(bundles, json_pack("{s:I, s:s, s:I}", "facility_id", (json_int_t)w.bundles[i].facility_id,
                                                 "unit", ledger_unit_name(w.bundles[i].unit), "balance",
                                                 (json_int_t)w.bundles[i].balance));
    json_t *out = json_pack("{s:s, s:I, s:I, s:o, s:{s:b, s:b, s:I, s:I}}", "kind",
                            account_id != 0 ? "contact_balance" : "resident_trust", "balance_cents",
                            (json_int_t)w.balance_cents, "held_cents", (json_int_t)w.held_cents, "bundles", bundles,
                            "top_ups", "available", app->processor != NULL && account_id != 0, "test_cards",
                            app->processor_is_sandbox, "min_cents", (json_int_t)WALLET_TOP_UP_MIN_CENTS, "max_cents",
                            (json_int_t)WALLET_TOP_UP_MAX_CENTS);
    json_object_set_new(out, "subscriptions", subscriptions_json(app, account_id));
    http_reply_json(req, 200, out);
}

/* ---- POST /api/v1/wallet/top-ups ---- */

static json_t *top_up_to_json(const wallet_top_up *t)
{
    json_t *out = json_pack("{s:I, s:s, s:I, s:{s:s, s:s}, s:o}", "id", (json_int_t)t->id, "state",
                            wallet_top_up_state_name(t->state), "amount_cents", (json_int_t)t->amount_cents, "card",
                            "brand", card_brand_name(t->card.brand), "last4", t->card.last4, "created_at",
                            json_time(t->created_at));
    json_object_set_new(out, "decline_reason",
                        t->state == TOP_UP_DECLINED ? json_string(decline_reason_name(t->decline)) : json_null());
    json_object_set_new(out, "settled_at", t->settled_at > 0 ? json_time(t->settled_at) : json_null());
    json_object_set_new(out, "balance_after_cents",
                        t->state == TOP_UP_APPROVED ? json_integer(t->balance_after) : json_null());
    return out;
}

/* The answer for a top-up in its stored state. */
static void reply_top_up(http_request *req, const wallet_top_up *t, bool replayed)
{
    static const fault_detail declines[DECLINE_REASON_COUNT] = {
        [DECLINE_NONE] = FAULT_DECLINED, [DECLINE_DECLINED] = FAULT_DECLINED,
        [DECLINE_INSUFFICIENT_FUNDS] = FAULT_DECLINED_FUNDS, [DECLINE_EXPIRED] = FAULT_DECLINED_EXPIRED,
        [DECLINE_INVALID] = FAULT_DECLINED_INVALID};
    if (replayed)
        http_reply_header(req, "Idempotent-Replayed", "true");
    switch (t->state) {
    case TOP_UP_APPROVED:
        http_reply_json(req, replayed ? 200 : 201, top_up_to_json(t));
        return;
    case TOP_UP_PENDING: {
        json_t *out = top_up_to_json(t);
        json_object_set_new(out, "message", json_string(note_sentence(req, FAULT_NOTE_TOP_UP_PENDING)));
        http_reply_json(req, 202, out);
        return;
    }
    case TOP_UP_DECLINED:
        reply_fault_of(req, KITE_ERR_CARD_DECLINED, "card",
                       (unsigned)t->decline < DECLINE_REASON_COUNT ? declines[t->decline] : FAULT_DECLINED);
        return;
    case TOP_UP_FAILED:
    case TOP_UP_STATE_COUNT:
        break;
    }
    reply_fault_of(req, KITE_ERR_PAYMENT_FAILED, NULL, FAULT_PROCESSOR_DOWN);
}

/* The card as typed, from body.card; false after answering. */
static bool card_or_reply(http_request *req, json_t *body, card_input *card)
{
    json_t *c = json_object_get(body, "card");
    if (!json_is_object(c)) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "card", c == NULL ? FAULT_REQUIRED : FAULT_NOT_VALID);
        return false;
    }
    int64_t month = 0, year = 0;
    if (!body_string_or_reply(req, c, "number", true, &card->number) ||
        !body_int_or_reply(req, c, "exp_month", true, &month, NULL) ||
        !body_int_or_reply(req, c, "exp_year", true, &year, NULL) ||
        !body_string_or_reply(req, c, "cvc", true, &card->cvc))
        return false;
    card->exp_month = month >= 0 && month <= 12 ? (int)month : -1;
    card->exp_year = year >= 0 && year <= 9999 ? (int)year : -1;
    return true;
}

/* Zeroes the card number and CVC in the parsed body before it is freed. */
static void wipe_card(json_t *body)
{
    static const char *const secrets[] = {"number", "cvc"};
    json_t *c = json_object_get(body, "card");
    for (size_t i = 0; json_is_object(c) && i < 2; i++) {
        json_t *v = json_object_get(c, secrets[i]);
        if (json_is_string(v)) {
            volatile char *p = (volatile char *)(uintptr_t)json_string_value(v);
            for (size_t n = json_string_length(v); n > 0; n--)
                *p++ = '\0';
        }
    }
}

/*
 * Asks the processor about top-up t and records the answer: a pending top-up
 * tried before is looked up first, and charged (same processor key) only when
 * the processor has no charge for it.
 */
static kite_err top_up_ask(kite_app *app, const char *actor, const card_input *card, bool looked_before,
                           wallet_top_up *t)
{
    const char *key = t->processor_key;
    charge_result r;
    kite_fault f;
    memset(&r, 0, sizeof r);
    kite_err err = KITE_OK;
    if (looked_before) {
        err = processor_lookup(app->processor, key, &r, &f);
        if (err != KITE_OK || r.outcome == CHARGE_PROCESSOR_ERROR || r.outcome == CHARGE_TIMEOUT) {
            /* No word from the processor: the top-up stays pending, for the next try or the sweeper. */
            log_warn("wallet: top-up %" PRId64 " could not be looked up; it stays pending", t->id);
            return KITE_OK;
        }
    }
    if (!looked_before || r.outcome == CHARGE_NOT_FOUND) {
        charge_request cr = {t->amount_cents, *card, key, clock_now_ms(&app->ctx.clock)};
        memset(&r, 0, sizeof r);
        err = processor_charge(app->processor, &cr, &r, &f);
    }
    if (err != KITE_OK) {
        /* Refused before anything left, or a key the processor saw with another charge: nothing charged now. */
        log_warn("wallet: top-up %" PRId64 " was not sent to the processor (%s)", t->id, kite_err_code(err));
        memset(&r, 0, sizeof r);
        r.outcome = CHARGE_PROCESSOR_ERROR;
    }
    log_info("wallet: top-up %" PRId64 " processor outcome %s", t->id, charge_outcome_name(r.outcome));
    return wallet_top_up_settle(&app->ctx, t->id, actor, &r, t);
}

static void top_up_run(http_request *req, kite_app *app, const session *s, int64_t amount, const card_input *card)
{
    kite_fault f;
    card_summary summary = {0};
    if (card_check(card, clock_now_ms(&app->ctx.clock), NULL, &summary, &f) != KITE_OK) {
        reply_fault(req, &f);
        return;
    }
    if (app->processor == NULL) {
        reply_fault_of(req, KITE_ERR_PAYMENTS_UNAVAILABLE, NULL, FAULT_PAYMENTS_OFF);
        return;
    }
    wallet_top_up t = {0};
    bool replayed = false;
    kite_err err = wallet_top_up_begin(&app->ctx, s->account.id, http_header(req, "Idempotency-Key"), amount,
                                       &summary, &t, &replayed, &f);
    if (err != KITE_OK) {
        reply_fault(req, &f);
        return;
    }
    if (t.state == TOP_UP_PENDING && (err = top_up_ask(app, session_actor(req, s), card, replayed, &t)) != KITE_OK) {
        /*
         * The processor may have charged the card, and the top-up is stored as
         * pending (its begin committed): it is the next try's with this key, or
         * the sweeper's.  "Nothing was changed" would invite a second payment
         * under a new key, so the answer is the pending one.
         */
        log_warn("wallet: top-up %" PRId64 " could not be settled (%s); it stays pending", t.id, kite_err_code(err));
        t.state = TOP_UP_PENDING;
    }
    reply_top_up(req, &t, replayed);
}

void handle_wallet_top_ups_create(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_payer_or_reply(req, app, ROLE_BIT(ROLE_CONTACT));
    if (s == NULL)
        return;
    const char *key = idempotency_key_or_reply(req);
    if (key == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    int64_t amount = 0;
    card_input card = {0};
    if (body_int_or_reply(req, body, "amount_cents", true, &amount, NULL) && card_or_reply(req, body, &card)) {
        if (amount < WALLET_TOP_UP_MIN_CENTS || amount > WALLET_TOP_UP_MAX_CENTS) {
            kite_fault f;
            fault_set(&f, KITE_ERR_INVALID_FIELD, "amount_cents", FAULT_TOP_UP_AMOUNT);
            f.min = WALLET_TOP_UP_MIN_CENTS;
            f.max = WALLET_TOP_UP_MAX_CENTS;
            reply_fault(req, &f);
        } else
            top_up_run(req, app, s, amount, &card);
    }
    wipe_card(body);
    json_decref(body);
}

/* ---- GET /api/v1/wallet/transactions (and .csv) ---- */

static json_t *line_to_json(const ledger_statement_line *l)
{
    return json_pack("{s:I, s:o, s:s, s:s, s:I, s:I}", "id", (json_int_t)l->entry_id, "date", json_time(l->at), "kind",
                     ledger_tx_kind_name(l->kind), "memo", l->memo, "amount_cents", (json_int_t)l->amount,
                     "balance_after_cents", (json_int_t)l->balance_after);
}

void handle_wallet_transactions(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, WALLET_ROLES);
    int64_t account_id, resident_id, limit, cursor;
    if (s == NULL || !query_int_or_reply(req, "limit", 1, LEDGER_STATEMENT_PAGE_MAX, STATEMENT_PAGE_DEFAULT, &limit) ||
        !query_int_or_reply(req, "cursor", 1, INT64_MAX, 0, &cursor) ||
        !wallet_owner_or_reply(req, app, s, &account_id, &resident_id))
        return;
    ledger_statement_line *lines = NULL;
    size_t count = 0;
    int64_t next = 0;
    kite_err err = wallet_statement(&app->ctx, http_arena(req), account_id, resident_id, cursor, (size_t)limit, &lines,
                                    &count, &next);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(items, line_to_json(&lines[i]));
    json_t *out = json_pack("{s:o}", "items", items);
    json_object_set_new(out, "next_cursor", next > 0 ? json_integer(next) : json_null());
    http_reply_json(req, 200, out);
}

static void csv_line(buf *out, const ledger_statement_line *l)
{
    char when[RFC3339_LEN];
    clock_format_rfc3339(l->at, when);
    buf_printf(out, "%s,%s,", when, ledger_tx_kind_name(l->kind));
    csv_text(out, l->memo);
    buf_printf(out, ",%" PRId64 ",%" PRId64 "\r\n", l->amount, l->balance_after);
}

void handle_wallet_transactions_csv(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, WALLET_ROLES);
    int64_t account_id, resident_id;
    if (s == NULL || !wallet_owner_or_reply(req, app, s, &account_id, &resident_id))
        return;
    buf out;
    buf_init(&out, http_arena(req));
    buf_puts(&out, "date,kind,memo,amount_cents,balance_after_cents\r\n");
    int64_t before = 0;
    size_t total = 0;
    do {
        ledger_statement_line *lines = NULL;
        size_t count = 0;
        kite_err err = wallet_statement(&app->ctx, http_arena(req), account_id, resident_id, before,
                                        LEDGER_STATEMENT_PAGE_MAX, &lines, &count, &before);
        if (err != KITE_OK) {
            reply_kite_error(req, err);
            return;
        }
        for (size_t i = 0; i < count; i++)
            csv_line(&out, &lines[i]);
        total += count;
    } while (before > 0 && total < CSV_LINES_MAX);
    http_reply_header(req, "Content-Disposition", "attachment; filename=\"kite-statement.csv\"");
    http_reply_buf(req, 200, "text/csv; charset=utf-8", &out);
}

/* ---- POST /api/v1/wallet/bundles ---- */

static bool bundle_unit_or_reply(http_request *req, json_t *body, ledger_unit *unit)
{
    static const char *const units[] = {"stamps", "credits", NULL};
    const char *name;
    if (!body_string_or_reply(req, body, "unit", true, &name))
        return false;
    if (!ledger_unit_parse(name, unit) || *unit == LEDGER_CENTS) {
        kite_fault f;
        fault_set(&f, KITE_ERR_INVALID_FIELD, "unit", FAULT_CHOICE);
        f.choices = units;
        reply_fault(req, &f);
        return false;
    }
    return true;
}

void handle_wallet_bundles_create(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_payer_or_reply(req, app, ROLE_BIT(ROLE_CONTACT));
    if (s == NULL)
        return;
    const char *key = idempotency_key_or_reply(req);
    if (key == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    int64_t facility_id = 0, count = 0;
    ledger_unit unit;
    if (body != NULL && body_int_or_reply(req, body, "facility_id", true, &facility_id, NULL) &&
        bundle_unit_or_reply(req, body, &unit) && body_int_or_reply(req, body, "count", true, &count, NULL)) {
        wallet_purchase p = {0};
        bool replayed = false;
        kite_fault f;
        if (wallet_bundle_buy(&app->ctx, http_arena(req), s->account.id, session_actor(req, s), key, facility_id, unit,
                              count, &p, &replayed, &f) != KITE_OK)
            reply_fault(req, &f);
        else {
            if (replayed)
                http_reply_header(req, "Idempotent-Replayed", "true");
            http_reply_json(req, replayed ? 200 : 201,
                            json_pack("{s:I, s:I, s:s, s:I, s:I, s:I, s:I}", "transaction_id",
                                      (json_int_t)p.transaction_id, "facility_id", (json_int_t)p.facility_id, "unit",
                                      ledger_unit_name(p.unit), "count", (json_int_t)p.count, "price_cents",
                                      (json_int_t)p.price_cents, "balance_cents", (json_int_t)p.balance_cents,
                                      "units_balance", (json_int_t)p.units_balance));
        }
    }
    json_decref(body);
}
