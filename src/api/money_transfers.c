/*
 * money_transfers.c - POST /api/v1/money-transfers/quote, POST and GET
 * /api/v1/money-transfers (money a contact sends to a resident's trust
 * account), and POST /api/v1/terminal/heartbeat (a resident's terminal
 * time).
 *
 * Design: thin handlers over domain/ledger/money_transfer.h and
 * terminal.h.  The quote answers the fee and the total before anything is
 * paid; the send answers 201 with the transfer (200 and
 * Idempotent-Replayed: true for a replay of the same key and body).  The
 * heartbeat answers 200 with the session, or 402 when a started minute
 * could not be paid (that minute is not charged; the answer is written
 * after the commit, so the minutes that were paid stay paid).
 *
 * SECURITY: money.  Only contacts send money, only from their own balance
 * (the session's account); an Idempotency-Key is required before the body
 * is read.  The quote names nobody.  A send whose number and last name
 * fit nobody is counted against the sender and their address, and past a
 * few the next waits (domain/facility/resident_lookup.h): the send must not
 * become a way to try last names against numbers.  Only residents send
 * heartbeats, for themselves.
 */
#include "api/app.h"

#include "core/log.h"
#include "domain/facility/resident_lookup.h"
#include "domain/ledger/money_transfer.h"
#include "domain/ledger/terminal.h"

#include <string.h>

/* ---- POST /api/v1/money-transfers/quote ---- */

static json_t *limits_json(const transfer_limits *l, int64_t sent)
{
    int64_t left = l->monthly_cents > sent ? l->monthly_cents - sent : 0;
    return json_pack("{s:I, s:I, s:I, s:I, s:I}", "min_cents", (json_int_t)l->min_cents, "max_cents",
                     (json_int_t)l->max_cents, "monthly_cents", (json_int_t)l->monthly_cents,
                     "sent_this_month_cents", (json_int_t)sent, "left_this_month_cents", (json_int_t)left);
}

void handle_money_transfers_quote(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_CONTACT));
    if (s == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    int64_t facility_id = 0, amount = 0;
    const char *number = NULL;
    if (body != NULL && body_int_or_reply(req, body, "facility_id", true, &facility_id, NULL) &&
        body_string_or_reply(req, body, "resident_number", true, &number) &&
        body_int_or_reply(req, body, "amount_cents", true, &amount, NULL)) {
        money_transfer_quote q;
        kite_fault f;
        if (money_transfer_quote_get(&app->ctx, http_arena(req), s->account.id, facility_id, number, amount, &q, &f) !=
            KITE_OK)
            reply_fault(req, &f);
        else
            http_reply_json(req, 200,
                            json_pack("{s:I, s:I, s:I, s:I, s:b, s:o}", "amount_cents", (json_int_t)q.amount_cents,
                                      "fee_cents", (json_int_t)q.fee_cents, "total_cents", (json_int_t)q.total_cents,
                                      "balance_cents", (json_int_t)q.balance_cents, "enough", q.enough, "limits",
                                      limits_json(&q.limits, q.sent_this_month_cents)));
    }
    json_decref(body);
}

/* ---- POST and GET /api/v1/money-transfers ---- */

json_t *transfer_json(const money_transfer *t)
{
    return json_pack("{s:I, s:I, s:s, s:s, s:I, s:I, s:I, s:s, s:o, s:I}", "id", (json_int_t)t->id, "facility_id",
                     (json_int_t)t->facility_id, "resident_number", t->resident_number, "resident_name",
                     t->resident_name, "amount_cents", (json_int_t)t->amount_cents, "fee_cents",
                     (json_int_t)t->fee_cents, "total_cents", (json_int_t)(t->amount_cents + t->fee_cents), "state",
                     money_transfer_state_name(t->state), "created_at", json_time(t->created_at),
                     "balance_after_cents", (json_int_t)t->balance_after_cents);
}

static void transfer_send(http_request *req, kite_app *app, const session *s, const char *key, json_t *body)
{
    money_transfer_request r = {.sender_account_id = s->account.id, .actor = session_actor(req, s), .key = key};
    if (!body_int_or_reply(req, body, "facility_id", true, &r.facility_id, NULL) ||
        !body_string_or_reply(req, body, "resident_number", true, &r.resident_number) ||
        !body_string_or_reply(req, body, "resident_last_name", true, &r.last_name) ||
        !body_int_or_reply(req, body, "amount_cents", true, &r.amount_cents, NULL))
        return;
    money_transfer t;
    bool replayed = false;
    kite_fault f;
    /* A number and a last name that fit nobody count against the sender (resident_lookup.h). */
    const char *address = http_client_address(req);
    kite_err err = resident_lookup_allowed(&app->ctx, http_arena(req), s->account.id, address, &f);
    if (err == KITE_OK)
        err = money_transfer_send(&app->ctx, http_arena(req), &r, &t, &replayed, &f);
    if (err == KITE_ERR_INVALID_FIELD && f.detail == FAULT_TRANSFER_MATCH &&
        resident_lookup_count(&app->ctx, http_arena(req), s->account.id, address, true) != KITE_OK)
        log_warn("api: could not count a resident lookup");
    if (err != KITE_OK) {
        reply_fault(req, &f);
        return;
    }
    if (replayed)
        http_reply_header(req, "Idempotent-Replayed", "true");
    http_reply_json(req, replayed ? 200 : 201, transfer_json(&t));
}

void handle_money_transfers_create(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_payer_or_reply(req, app, ROLE_BIT(ROLE_CONTACT));
    if (s == NULL)
        return;
    const char *key = idempotency_key_or_reply(req);
    if (key == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    if (body != NULL)
        transfer_send(req, app, s, key, body);
    json_decref(body);
}

void handle_money_transfers_list(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_CONTACT));
    if (s == NULL)
        return;
    money_transfer *items = NULL;
    size_t count = 0;
    kite_err err = money_transfer_list(&app->ctx, http_arena(req), s->account.id, &items, &count);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    json_t *out = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(out, transfer_json(&items[i]));
    http_reply_json(req, 200, json_pack("{s:o}", "items", out));
}

/* ---- POST /api/v1/terminal/heartbeat ---- */

void handle_terminal_heartbeat(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_RESIDENT));
    if (s == NULL)
        return;
    terminal_heartbeat_result t;
    kite_err err = terminal_heartbeat(&app->ctx, http_arena(req), s->account.id, session_actor(req, s), &t);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    if (t.short_of_funds) {
        /* The minutes paid are committed; this answer only says the next one cannot be. */
        kite_fault f;
        fault_set(&f, KITE_ERR_INSUFFICIENT_FUNDS, NULL, FAULT_TERMINAL_FUNDS);
        f.limit = t.cents_per_minute;
        reply_fault(req, &f);
        return;
    }
    if (!t.metered) {
        http_reply_json(req, 200, json_pack("{s:b}", "metered", 0));
        return;
    }
    http_reply_json(req, 200,
                    json_pack("{s:b, s:o, s:I, s:{s:I, s:o, s:I, s:I}, s:I, s:I}", "metered", 1, "at", json_time(t.at),
                              "cents_per_minute",
                              (json_int_t)t.cents_per_minute, "session", "id", (json_int_t)t.session_id, "started_at",
                              json_time(t.started_at), "minutes_charged", (json_int_t)t.minutes_charged,
                              "minutes_unpaid", (json_int_t)t.minutes_unpaid, "charged_now_minutes",
                              (json_int_t)t.charged_now, "balance_cents", (json_int_t)t.balance_cents));
}
