/*
 * privacy.c - a family member's own data: GET /api/v1/me/export (everything
 * Kite holds about them, as one JSON file) and DELETE /api/v1/me (the
 * account anonymised: domain/privacy/account_deletion.h).
 *
 * Design: the export gathers what each context already lists for its owner
 * (the account, contacts, contact requests, messages, photos, the wallet's
 * statement, money transfers, phone accounts, subscriptions, video visits and their moves) and writes it
 * with the json_writer in one pass.  The HTTP layer answers with one buffer
 * (http_reply_bytes; there is no streamed answer but the event stream's),
 * so the document is built in the request's arena, like GET
 * /messages/export: its size follows what one person sent and received,
 * which the facilities' daily limits bound.  The statement is read a page
 * at a time (LEDGER_STATEMENT_PAGE_MAX lines) into the same buffer, never
 * as one list of lines.  The export is audited.
 *
 * SECURITY: contacts only; every list is the caller's own (the domain
 * binds each read to the session's account).  The password hash never
 * reaches api/ (account has no such field).  DELETE needs the current
 * password (throttled like sign-in) and the typed word DELETE, and from a
 * browser the CSRF header like every cookie write (require_session_or_reply).
 */
#include "api/app.h"

#include "domain/contacts/contact.h"
#include "domain/contacts/contact_request.h"
#include "domain/ledger/money_transfer.h"
#include "domain/ledger/phone.h"
#include "domain/ledger/wallet.h"
#include "domain/messaging/export.h"
#include "domain/privacy/account_deletion.h"
#include "domain/privacy/account_export.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* A jansson value written into the document as it is; false when it could not be written. */
static bool write_json(json_writer *w, const char *key, json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(value);
    if (text == NULL)
        return false;
    jw_key(w, key);
    jw_raw(w, text);
    free(text);
    return true;
}

static bool write_contacts(http_request *req, kite_app *app, const session *s, json_writer *w)
{
    contact_view *contacts;
    contact_request *requests;
    size_t n_contacts, n_requests;
    if (contact_list(&app->ctx, http_arena(req), &s->account, &contacts, &n_contacts) != KITE_OK ||
        contact_request_list(&app->ctx, http_arena(req), &s->account, &requests, &n_requests) != KITE_OK)
        return false;
    json_t *items = json_array();
    for (size_t i = 0; i < n_contacts; i++)
        json_array_append_new(items, contact_to_json(&contacts[i], http_lang(req)));
    if (!write_json(w, "contacts", items))
        return false;
    items = json_array();
    for (size_t i = 0; i < n_requests; i++)
        json_array_append_new(items, request_to_json(&requests[i], http_lang(req)));
    return write_json(w, "contact_requests", items);
}

static bool write_photos(http_request *req, kite_app *app, const session *s, json_writer *w)
{
    attachment *photos;
    size_t count;
    if (account_export_attachments(&app->ctx, http_arena(req), s->account.id, &photos, &count) != KITE_OK)
        return false;
    jw_key(w, "attachments");
    jw_array(w);
    for (size_t i = 0; i < count; i++) {
        const attachment *t = &photos[i];
        jw_object(w);
        jw_key(w, "id");
        jw_int(w, t->id);
        jw_key(w, "message_id");
        jw_int(w, t->message_id);
        jw_key(w, "content_type");
        jw_string(w, t->content_type);
        jw_key(w, "size_bytes");
        jw_int(w, t->size_bytes);
        jw_key(w, "width");
        jw_int(w, t->width);
        jw_key(w, "height");
        jw_int(w, t->height);
        jw_key(w, "sha256");
        jw_string(w, t->sha256);
        jw_key(w, "url"); /* served while the account exists, to its owner */
        jw_string(w, arena_sprintf(http_arena(req), "/api/v1/attachments/%lld", (long long)t->id));
        jw_object_end(w);
    }
    jw_array_end(w);
    return true;
}

static void write_line(json_writer *w, const ledger_statement_line *l)
{
    jw_object(w);
    jw_key(w, "id");
    jw_int(w, l->entry_id);
    jw_key(w, "date");
    jw_time(w, l->at);
    jw_key(w, "kind");
    jw_string(w, ledger_tx_kind_name(l->kind));
    jw_key(w, "memo");
    jw_string(w, l->memo);
    jw_key(w, "amount_cents");
    jw_int(w, l->amount);
    jw_key(w, "balance_after_cents");
    jw_int(w, l->balance_after);
    jw_object_end(w);
}

/* The wallet now, and every statement line, newest first, a page at a time. */
static bool write_wallet(http_request *req, kite_app *app, const session *s, json_writer *w)
{
    wallet_summary sum = {0};
    if (wallet_summary_get(&app->ctx, s->account.id, 0, &sum) != KITE_OK)
        return false;
    jw_key(w, "wallet");
    jw_object(w);
    jw_key(w, "balance_cents");
    jw_int(w, sum.balance_cents);
    jw_key(w, "held_cents");
    jw_int(w, sum.held_cents);
    jw_key(w, "statement");
    jw_array(w);
    int64_t before = 0;
    do {
        ledger_statement_line *lines;
        size_t count;
        int64_t next;
        if (wallet_statement(&app->ctx, http_arena(req), s->account.id, 0, before, LEDGER_STATEMENT_PAGE_MAX, &lines,
                             &count, &next) != KITE_OK)
            return false;
        for (size_t i = 0; i < count; i++)
            write_line(w, &lines[i]);
        before = next;
    } while (before > 0);
    jw_array_end(w);
    jw_object_end(w);
    return true;
}

static bool write_money(http_request *req, kite_app *app, const session *s, json_writer *w)
{
    money_transfer *transfers;
    phone_account *phones;
    size_t n_transfers, n_phones;
    if (money_transfer_list(&app->ctx, http_arena(req), s->account.id, &transfers, &n_transfers) != KITE_OK ||
        phone_account_list(&app->ctx, http_arena(req), s->account.id, &phones, &n_phones) != KITE_OK)
        return false;
    json_t *items = json_array();
    for (size_t i = 0; i < n_transfers; i++)
        json_array_append_new(items, transfer_json(&transfers[i]));
    if (!write_json(w, "money_transfers", items))
        return false;
    items = json_array();
    for (size_t i = 0; i < n_phones; i++)
        json_array_append_new(items, phone_account_to_json(&phones[i]));
    return write_json(w, "phone_accounts", items) &&
           write_json(w, "subscriptions", subscriptions_json(app, s->account.id));
}

/* "kite-export-YYYY-MM-DD.json", the day in UTC. */
static const char *export_filename(http_request *req, int64_t now_ms)
{
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    char day[16] = "export";
    if (gmtime_r(&t, &tm) != NULL)
        strftime(day, sizeof day, "%Y-%m-%d", &tm);
    return arena_sprintf(http_arena(req), "attachment; filename=\"kite-export-%s.json\"", day);
}

void handle_me_export(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_CONTACT));
    if (s == NULL)
        return;
    message *items;
    size_t count;
    kite_err err = message_export(&app->ctx, http_arena(req), &s->account, &items, &count);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    int64_t now = clock_now_ms(&app->ctx.clock);
    buf out;
    buf_init(&out, http_arena(req));
    json_writer w;
    jw_init(&w, &out);
    jw_object(&w);
    jw_key(&w, "format");
    jw_string(&w, "kite-export-1");
    jw_key(&w, "exported_at");
    jw_time(&w, now);
    bool ok = write_json(&w, "account", account_to_json(&s->account)) && write_contacts(req, app, s, &w);
    if (ok) {
        jw_key(&w, "messages");
        messages_write(&w, items, count, &s->account, http_lang(req));
    }
    ok = ok && write_photos(req, app, s, &w) && write_wallet(req, app, s, &w) && write_money(req, app, s, &w);
    json_t *attorney = ok ? attorney_export_json(app, http_arena(req), &s->account) : NULL;
    ok = ok && attorney != NULL && write_json(&w, "attorney", attorney);
    json_t *visits = ok ? visits_export_json(app, http_arena(req), &s->account) : NULL;
    ok = ok && visits != NULL && write_json(&w, "visits", visits);
    json_t *moves = ok ? visit_moves_export_json(app, http_arena(req), &s->account) : NULL;
    ok = ok && moves != NULL && write_json(&w, "visit_moves", moves);
    jw_object_end(&w);
    if (!ok || (err = account_export_record(&app->ctx, http_arena(req), s->account.id, count)) != KITE_OK) {
        reply_kite_error(req, ok ? err : KITE_ERR_STORE);
        return;
    }
    http_reply_header(req, "Content-Disposition", export_filename(req, now));
    http_reply_header(req, "Cache-Control", "no-store");
    http_reply_buf(req, 200, "application/json", &out);
}

/* 409 account_has_balance: the sentence, and every amount still held, so a page can show them all. */
static void reply_has_balance(http_request *req, const kite_fault *fault, const account_money *m)
{
    json_t *error = json_pack("{s:s, s:s, s:{s:I, s:I, s:I, s:I}}", "code", kite_err_code(fault->code), "message",
                              fault_sentence(http_arena(req), fault, http_lang(req)), "balances", "balance_cents",
                              (json_int_t)m->balance_cents, "held_cents", (json_int_t)m->held_cents, "phone_cents",
                              (json_int_t)m->phone_cents, "stamps_and_credits", (json_int_t)m->units);
    http_reply_header(req, "Content-Language", lang_tag(http_lang(req)));
    http_reply_json(req, kite_err_status(fault->code), json_pack("{s:o}", "error", error));
}

void handle_me_delete(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_session_or_reply(req, app);
    if (s == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    const char *current, *confirm;
    if (body_string_or_reply(req, body, "current_password", true, &current) &&
        body_string_or_reply(req, body, "confirm", true, &confirm)) {
        account_money money;
        kite_fault fault;
        kite_err err = account_delete(&app->ctx, http_arena(req), s, current, confirm, &money, &fault);
        if (err == KITE_ERR_ACCOUNT_HAS_BALANCE) {
            reply_has_balance(req, &fault, &money);
        } else if (err != KITE_OK) {
            reply_fault(req, &fault);
        } else {
            http_reply_header(req, "Set-Cookie", "kite_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
            http_reply_empty(req, 204);
        }
    }
    json_decref(body);
}
