/*
 * phone.c - prepaid phone accounts (POST/GET /api/v1/phone-accounts, GET
 * /api/v1/phone-accounts/{id}, its /deposits and /refunds), the facility
 * phone system's call records (POST /api/v1/facilities/{id}/calls) and the
 * API keys it signs them with (/api/v1/facilities/{id}/api-keys).
 *
 * Design: JSON in and out around domain/ledger/phone.h and phone_keys.h.
 * A call record's answer follows its outcome: billed 201 (200 on a replay),
 * recorded but not billed 402 with the reason and the record, so that the
 * phone system learns both that it should not have connected the call and
 * what Kite kept of it.
 *
 * SECURITY: money and a machine credential.  Call records are taken only
 * with "Authorization: Bearer KEY" where KEY is an active API key of the
 * facility in the path: no key, an unknown or a revoked one is 401, another
 * facility's key 403; a session token is never accepted there, and an API
 * key is never accepted anywhere else (it is not a session).  The key is
 * shown once, in the 201 of its creation.  Deposits and refunds need an
 * Idempotency-Key; phone accounts are read only by their owner.
 */
#include "api/app.h"

#include "core/clock.h"
#include "domain/ledger/phone.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define KEY_ADMINS (ROLE_BIT(ROLE_OPERATOR) | ROLE_BIT(ROLE_FACILITY_ADMIN))
enum { CALLS_PAGE_DEFAULT = 20 };

/* ---- API keys ---- */

static json_t *key_to_json(const phone_key *k)
{
    json_t *out = json_pack("{s:I, s:I, s:s, s:o}", "id", (json_int_t)k->id, "facility_id", (json_int_t)k->facility_id,
                            "prefix", k->prefix, "created_at", json_time(k->created_at));
    json_object_set_new(out, "last_used_at", k->last_used_at > 0 ? json_time(k->last_used_at) : json_null());
    json_object_set_new(out, "revoked_at", k->revoked_at > 0 ? json_time(k->revoked_at) : json_null());
    json_object_set_new(out, "active", json_boolean(k->revoked_at == 0));
    return out;
}

void handle_phone_keys_create(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    if (!param_id_or_reply(req, 0, &facility_id))
        return;
    const session *s = require_facility_role_or_reply(req, app, facility_id, KEY_ADMINS);
    if (s == NULL)
        return;
    char secret[PHONE_KEY_LEN + 1];
    phone_key k = {0};
    kite_err err = phone_key_create(&app->ctx, facility_id, session_actor(req, s), secret, &k);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    json_t *out = key_to_json(&k);
    json_object_set_new(out, "key", json_string(secret));
    json_object_set_new(out, "message", json_string(note_sentence(req, FAULT_NOTE_KEY_ONCE)));
    memset(secret, 0, sizeof secret);
    http_reply_json(req, 201, out);
}

void handle_phone_keys_list(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    if (!param_id_or_reply(req, 0, &facility_id) || require_facility_role_or_reply(req, app, facility_id, KEY_ADMINS) == NULL)
        return;
    phone_key *keys = NULL;
    size_t count = 0;
    kite_err err = phone_key_list(&app->ctx, http_arena(req), facility_id, &keys, &count);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(items, key_to_json(&keys[i]));
    http_reply_json(req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

void handle_phone_keys_revoke(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id, key_id;
    if (!param_id_or_reply(req, 0, &facility_id) || !param_id_or_reply(req, 1, &key_id))
        return;
    const session *s = require_facility_role_or_reply(req, app, facility_id, KEY_ADMINS);
    if (s == NULL)
        return;
    phone_key k = {0};
    kite_err err = phone_key_revoke(&app->ctx, facility_id, key_id, session_actor(req, s), &k);
    if (err != KITE_OK)
        reply_kite_error(req, err);
    else
        http_reply_json(req, 200, key_to_json(&k));
}

/* ---- phone accounts ---- */

json_t *phone_account_to_json(const phone_account *p)
{
    return json_pack("{s:I, s:I, s:s, s:I, s:I, s:I, s:o, s:o}", "id", (json_int_t)p->id, "facility_id",
                     (json_int_t)p->facility_id, "phone_number", p->phone_number, "balance_cents",
                     (json_int_t)p->balance_cents, "rate_cents_per_minute", (json_int_t)p->rate_cents,
                     "deposit_fee_cents", (json_int_t)PHONE_DEPOSIT_FEE_CENTS, "created_at", json_time(p->created_at),
                     "last_activity_at", json_time(p->last_activity_at));
}

static json_t *call_to_json(const phone_call *c)
{
    return json_pack("{s:I, s:s, s:I, s:s, s:s, s:o, s:I, s:I, s:I, s:I, s:I, s:b, s:s, s:b, s:o}", "id",
                     (json_int_t)c->id, "call_id", c->call_id, "facility_id", (json_int_t)c->facility_id,
                     "phone_number", c->phone_number, "resident_number", c->resident_number, "started_at",
                     json_time(c->started_at), "duration_seconds", (json_int_t)c->rating.reported_seconds,
                     "billed_seconds", (json_int_t)c->rating.billed_seconds, "billed_minutes",
                     (json_int_t)c->rating.billed_minutes, "rate_cents_per_minute", (json_int_t)c->rating.rate_cents,
                     "amount_cents", (json_int_t)c->rating.amount_cents, "cut_at_balance", c->rating.cut_at_balance,
                     "outcome", phone_call_outcome_name(c->outcome), "billed", c->outcome == PHONE_CALL_BILLED,
                     "created_at", json_time(c->created_at));
}

void handle_phone_accounts_create(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_CONTACT));
    if (s == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    int64_t facility_id = 0;
    const char *number = NULL;
    if (body != NULL && body_int_or_reply(req, body, "facility_id", true, &facility_id, NULL) &&
        body_string_or_reply(req, body, "phone_number", true, &number)) {
        phone_account p = {0};
        kite_fault f = {0};
        if (phone_account_open(&app->ctx, http_arena(req), s->account.id, session_actor(req, s), facility_id, number, &p,
                               &f) != KITE_OK)
            reply_fault(req, &f);
        else
            http_reply_json(req, 201, phone_account_to_json(&p));
    }
    json_decref(body);
}

void handle_phone_accounts_list(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_CONTACT));
    if (s == NULL)
        return;
    phone_account *accounts = NULL;
    size_t count = 0;
    kite_err err = phone_account_list(&app->ctx, http_arena(req), s->account.id, &accounts, &count);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(items, phone_account_to_json(&accounts[i]));
    http_reply_json(req, 200, json_pack("{s:o, s:n, s:s}", "items", items, "next_cursor", "deposit_note",
                                        note_sentence(req, FAULT_NOTE_NO_FEE)));
}

void handle_phone_accounts_get(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t id, limit, cursor;
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_CONTACT));
    if (s == NULL || !param_id_or_reply(req, 0, &id) ||
        !query_int_or_reply(req, "limit", 1, PHONE_CALLS_PAGE_MAX, CALLS_PAGE_DEFAULT, &limit) ||
        !query_int_or_reply(req, "cursor", 1, INT64_MAX, 0, &cursor))
        return;
    phone_account p = {0};
    phone_call *calls = NULL;
    size_t count = 0;
    int64_t next = 0;
    kite_err err = phone_account_get(&app->ctx, http_arena(req), s->account.id, id, &p);
    if (err == KITE_OK)
        err = phone_calls_page(&app->ctx, http_arena(req), s->account.id, id, cursor, (size_t)limit, &calls, &count,
                               &next);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(items, call_to_json(&calls[i]));
    json_t *out = phone_account_to_json(&p);
    json_object_set_new(out, "calls", json_pack("{s:o, s:o}", "items", items, "next_cursor",
                                                next > 0 ? json_integer(next) : json_null()));
    json_object_set_new(out, "deposit_note", json_string(note_sentence(req, FAULT_NOTE_NO_FEE)));
    http_reply_json(req, 200, out);
}

/* ---- deposits and refunds ---- */

static void reply_move(http_request *req, const phone_money_move *m, bool replayed, bool refund)
{
    if (replayed)
        http_reply_header(req, "Idempotent-Replayed", "true");
    json_t *out = json_pack("{s:I, s:I, s:I, s:I, s:I}", "transaction_id", (json_int_t)m->transaction_id,
                            "amount_cents", (json_int_t)m->amount_cents, "fee_cents", (json_int_t)m->fee_cents,
                            "phone_balance_cents", (json_int_t)m->phone_balance_cents, "balance_cents",
                            (json_int_t)m->contact_balance_cents);
    json_object_set_new(out, "message",
                        json_string(note_sentence(req, refund ? FAULT_NOTE_PHONE_REFUND : FAULT_NOTE_NO_FEE)));
    http_reply_json(req, replayed ? 200 : 201, out);
}

/* The session of a contact with an Idempotency-Key, and the phone account's id; NULL after answering. */
static const session *money_request_or_reply(http_request *req, kite_app *app, int64_t *id, const char **key)
{
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_CONTACT));
    if (s == NULL || !param_id_or_reply(req, 0, id))
        return NULL;
    *key = idempotency_key_or_reply(req);
    return *key != NULL ? s : NULL;
}

void handle_phone_deposits_create(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t id, amount = 0;
    const char *key;
    const session *s = money_request_or_reply(req, app, &id, &key);
    if (s == NULL || !email_verified_or_reply(req, s))
        return;
    json_t *body = parse_body_or_reply(req);
    if (body != NULL && body_int_or_reply(req, body, "amount_cents", true, &amount, NULL)) {
        phone_money_move m = {0};
        bool replayed = false;
        kite_fault f = {0};
        if (phone_deposit(&app->ctx, s->account.id, session_actor(req, s), id, key, amount, &m, &replayed, &f) != KITE_OK)
            reply_fault(req, &f);
        else
            reply_move(req, &m, replayed, false);
    }
    json_decref(body);
}

void handle_phone_refunds_create(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t id;
    const char *key;
    const session *s = money_request_or_reply(req, app, &id, &key);
    if (s == NULL)
        return;
    phone_money_move m = {0};
    bool replayed = false;
    kite_fault f = {0};
    if (phone_refund(&app->ctx, s->account.id, session_actor(req, s), id, key, &m, &replayed, &f) != KITE_OK)
        reply_fault(req, &f);
    else
        reply_move(req, &m, replayed, true);
}

/* ---- call records ---- */

/* The facility API key of the request, for facility_id; NULL after answering 401 or 403. */
static bool call_key_or_reply(http_request *req, kite_app *app, int64_t facility_id, phone_key *key)
{
    const char *authorization = http_header(req, "Authorization");
    bool bearer = authorization != NULL && strncasecmp(authorization, "Bearer ", 7) == 0;
    kite_err err = bearer ? phone_key_authenticate(&app->ctx, authorization + 7, key) : KITE_ERR_UNAUTHENTICATED;
    if (err == KITE_ERR_UNAUTHENTICATED) {
        reply_fault_of(req, err, NULL, FAULT_PHONE_KEY);
        return false;
    }
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return false;
    }
    if (key->facility_id != facility_id) {
        reply_fault_of(req, KITE_ERR_FORBIDDEN, NULL, FAULT_PHONE_KEY_FACILITY);
        return false;
    }
    return true;
}

/* The call record's fields from the body; false after answering. */
static bool call_input_or_reply(http_request *req, json_t *body, phone_call_input *in)
{
    const char *started = NULL;
    const char *header = http_header(req, "Idempotency-Key");
    if (!body_string_or_reply(req, body, "call_id", true, &in->call_id) ||
        !body_string_or_reply(req, body, "phone_number", true, &in->phone_number) ||
        !body_string_or_reply(req, body, "resident_number", true, &in->resident_number) ||
        !body_string_or_reply(req, body, "started_at", true, &started) ||
        !body_int_or_reply(req, body, "duration_seconds", true, &in->duration_seconds, NULL))
        return false;
    if (header == NULL || *header == '\0') {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "Idempotency-Key", FAULT_REQUIRED);
        return false;
    }
    if (strcmp(header, in->call_id) != 0) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "call_id", FAULT_DEPENDS);
        return false;
    }
    if (!clock_parse_rfc3339(started, &in->started_at)) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "started_at", FAULT_FORMAT);
        return false;
    }
    return true;
}

/* A call recorded but not billed: 402 with the reason, and the record. */
static void reply_not_billed(http_request *req, const phone_call *c)
{
    kite_fault f = {0};
    fault_set(&f, KITE_ERR_INSUFFICIENT_FUNDS, NULL,
              c->outcome == PHONE_CALL_NO_ACCOUNT ? FAULT_PHONE_NO_ACCOUNT : FAULT_PHONE_BALANCE_EMPTY);
    json_t *error = json_pack("{s:s, s:s, s:s}", "code", kite_err_code(f.code), "message",
                              fault_sentence(http_arena(req), &f, http_lang(req)), "reason",
                              phone_call_outcome_name(c->outcome));
    http_reply_header(req, "Content-Language", lang_tag(http_lang(req)));
    http_reply_json(req, kite_err_status(f.code), json_pack("{s:o, s:o}", "error", error, "call", call_to_json(c)));
}

void handle_phone_calls_create(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    phone_key key = {0};
    if (!param_id_or_reply(req, 0, &facility_id) || !call_key_or_reply(req, app, facility_id, &key))
        return;
    json_t *body = parse_body_or_reply(req);
    phone_call_input in = {0};
    if (body != NULL && call_input_or_reply(req, body, &in)) {
        phone_call c = {0};
        bool replayed = false;
        kite_fault f = {0};
        if (phone_call_record(&app->ctx, http_arena(req), &key, &in, &c, &replayed, &f) != KITE_OK) {
            if (f.code == KITE_ERR_UNAUTHENTICATED)
                f.detail = FAULT_PHONE_KEY;
            reply_fault(req, &f);
        } else {
            if (replayed)
                http_reply_header(req, "Idempotent-Replayed", "true");
            if (c.outcome != PHONE_CALL_BILLED)
                reply_not_billed(req, &c);
            else
                http_reply_json(req, replayed ? 200 : 201, call_to_json(&c));
        }
    }
    json_decref(body);
}
