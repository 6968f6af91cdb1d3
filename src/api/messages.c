/*
 * messages.c - sending, reading and exporting messages; the review queue;
 * screening rules and reject reasons.
 */
#include "api/app.h"

#include "core/buf.h"
#include "domain/messaging/export.h"
#include "domain/messaging/message.h"
#include "domain/messaging/review.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Investigators pass this door so that the domain answers 404 for another facility before 403 for the role. */
#define REVIEWERS (ROLE_BIT(ROLE_OPERATOR) | STAFF_ROLES)
#define PARTIES (ROLE_BIT(ROLE_CONTACT) | ROLE_BIT(ROLE_RESIDENT))

/* {unit, amount}: what a price is counted in and how much. */
static void write_amount(json_writer *w, ledger_unit unit, int64_t amount)
{
    jw_key(w, "unit");
    jw_string(w, ledger_unit_name(unit));
    jw_key(w, "amount");
    jw_int(w, amount);
}

/*
 * The sender's money for this message: its price, and the hold, so that
 * "You were not charged for this message" is something the sender can check
 * (state released, with when it was held and when it was given back).
 */
static void write_money(json_writer *w, const message *m)
{
    jw_key(w, "price");
    jw_object(w);
    write_amount(w, m->price_unit, m->price_amount);
    jw_object_end(w);
    jw_key(w, "hold");
    if (!m->has_hold) {
        jw_null(w);
        return;
    }
    jw_object(w);
    write_amount(w, m->hold_unit, m->hold_amount);
    jw_key(w, "state");
    jw_string(w, ledger_hold_state_name(m->hold_state));
    jw_key(w, "held_at");
    jw_time(w, m->hold_created_at);
    jw_key(w, "captured_at");
    jw_time_or_null(w, m->hold_state == LEDGER_CAPTURED ? m->hold_settled_at : 0);
    jw_key(w, "released_at");
    jw_time_or_null(w, m->hold_state == LEDGER_RELEASED ? m->hold_settled_at : 0);
    jw_object_end(w);
}

static void write_party(json_writer *w, const char *key, int64_t account_id, const char *name, fault_lang lang)
{
    jw_key(w, key);
    jw_object(w);
    jw_key(w, "account_id");
    jw_int(w, account_id);
    jw_key(w, "name");
    jw_string(w, account_name_in(name, lang));
    jw_object_end(w);
}

/* What only staff see: where it was reviewed and what its screening found. */
static void write_screening(json_writer *w, const message *m)
{
    jw_key(w, "facility_id");
    jw_int(w, m->facility_id);
    jw_key(w, "held");
    jw_bool(w, m->held);
    jw_key(w, "flagged");
    jw_bool(w, m->flagged);
    jw_key(w, "matched_rules");
    jw_array(w);
    for (size_t i = 0; i < m->match_count; i++) {
        jw_object(w);
        jw_key(w, "rule_id");
        jw_int(w, m->matches[i].rule_id);
        jw_key(w, "kind");
        jw_string(w, rule_kind_name(m->matches[i].kind));
        jw_key(w, "action");
        jw_string(w, rule_action_name(m->matches[i].action));
        jw_key(w, "matched");
        jw_string(w, m->matches[i].matched);
        jw_object_end(w);
    }
    jw_array_end(w);
}

/* What the sender and staff see: the history and the decision. */
static void write_review(json_writer *w, const message *m)
{
    jw_key(w, "history");
    jw_array(w);
    for (size_t i = 0; i < m->event_count; i++) {
        jw_object(w);
        jw_key(w, "status");
        jw_string(w, message_status_name(m->events[i].status));
        jw_key(w, "at");
        jw_time(w, m->events[i].at);
        /* A step privileged mail took without review says so (docs/privilege.md). */
        if (m->events[i].actor != NULL && strcmp(m->events[i].actor, MESSAGE_ACTOR_PRIVILEGED) == 0) {
            jw_key(w, "by");
            jw_string(w, MESSAGE_ACTOR_PRIVILEGED);
        }
        jw_object_end(w);
    }
    jw_array_end(w);
    jw_key(w, "decided_at");
    jw_time_or_null(w, m->decided_at);
    if (m->status == MESSAGE_REJECTED) {
        jw_key(w, "rejection");
        jw_object(w);
        jw_key(w, "reason");
        jw_string(w, m->reject_reason);
        jw_key(w, "label");
        jw_string(w, m->reject_label);
        jw_key(w, "note");
        jw_string(w, m->reject_note);
        jw_object_end(w);
    }
}

/*
 * What a viewer may see of a message, as the members of an object the
 * caller opened (the queue adds its own): screening details and review
 * fields only for staff.  Written straight to text: a page holds up to a
 * hundred of these.
 */
static void write_message_members(json_writer *w, const message *m, const account *viewer, fault_lang lang)
{
    bool staff = viewer->role != ROLE_CONTACT && viewer->role != ROLE_RESIDENT;
    bool sender = viewer->id == m->sender_account_id;
    jw_key(w, "id");
    jw_int(w, m->id);
    jw_key(w, "contact_id");
    jw_int(w, m->contact_id);
    jw_key(w, "direction");
    jw_string(w, message_direction_name(m->direction));
    jw_key(w, "box");
    jw_string(w, sender ? "sent" : viewer->id == m->recipient_account_id ? "inbox" : "facility");
    write_party(w, "sender", m->sender_account_id, m->sender_name, lang);
    write_party(w, "recipient", m->recipient_account_id, m->recipient_name, lang);
    jw_key(w, "subject");
    jw_string(w, m->subject); /* null when withheld: privileged mail shown to staff */
    jw_key(w, "body");
    jw_string(w, m->body);
    jw_key(w, "privileged");
    jw_bool(w, m->privileged);
    if (m->privileged) {
        jw_key(w, "content_withheld");
        jw_bool(w, m->content_withheld);
        jw_key(w, "size_bytes");
        jw_int(w, m->size_bytes);
    }
    jw_key(w, "status");
    jw_string(w, message_status_name(m->status));
    jw_key(w, "price_cents");
    jw_int(w, m->price_cents);
    if (sender)
        write_money(w, m);
    jw_key(w, "created_at");
    jw_time(w, m->created_at);
    jw_key(w, "delivered_at");
    jw_time_or_null(w, m->delivered_at);
    jw_key(w, "read_at");
    jw_time_or_null(w, m->read_at);
    jw_key(w, "purged_at");
    jw_time_or_null(w, m->purged_at);
    jw_key(w, "attachment_ids");
    jw_array(w);
    for (size_t i = 0; i < m->attachment_count; i++)
        jw_int(w, m->attachment_ids[i]);
    jw_array_end(w);
    jw_key(w, "video_ids");
    jw_array(w);
    for (size_t i = 0; i < m->video_count; i++)
        jw_int(w, m->video_ids[i]);
    jw_array_end(w);
    if (sender || staff)
        write_review(w, m);
    if (staff)
        write_screening(w, m);
}

static void write_message(json_writer *w, const message *m, const account *viewer, fault_lang lang)
{
    jw_object(w);
    write_message_members(w, m, viewer, lang);
    jw_object_end(w);
}

void messages_write(json_writer *w, const message *items, size_t count, const account *viewer, fault_lang lang)
{
    jw_array(w);
    for (size_t i = 0; i < count; i++)
        write_message(w, &items[i], viewer, lang);
    jw_array_end(w);
}

static void reply_message(http_request *req, int status, const message *m, const account *viewer)
{
    buf out;
    buf_init(&out, http_arena(req));
    json_writer w;
    jw_init(&w, &out);
    write_message(&w, m, viewer, http_lang(req));
    http_reply_buf(req, status, "application/json", &out);
}

/* Reads "attachment_ids": an array of at most MESSAGE_MAX_ATTACHMENTS whole numbers. */
static bool attachment_ids_or_reply(http_request *req, json_t *body, message_draft *d)
{
    json_t *ids = json_object_get(body, "attachment_ids");
    if (ids == NULL || json_is_null(ids))
        return true;
    if (!json_is_array(ids) || json_array_size(ids) > MESSAGE_MAX_ATTACHMENTS) {
        kite_fault fault;
        fault_set(&fault, KITE_ERR_INVALID_FIELD, "attachment_ids", FAULT_LENGTH);
        fault.limit = MESSAGE_MAX_ATTACHMENTS;
        reply_fault(req, &fault);
        return false;
    }
    int64_t *list = arena_alloc(http_arena(req), (json_array_size(ids) + 1) * sizeof *list);
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) {
        if (!json_is_integer(v) || json_integer_value(v) <= 0) {
            reply_fault_of(req, KITE_ERR_INVALID_FIELD, "attachment_ids", FAULT_NOT_INTEGER);
            return false;
        }
        list[i] = (int64_t)json_integer_value(v);
    }
    d->attachment_ids = list;
    d->attachment_count = json_array_size(ids);
    return true;
}

/* Reads the optional "with_reply_stamp" (a boolean). */
static bool reply_stamp_or_reply(http_request *req, json_t *body, message_draft *d)
{
    json_t *v = json_object_get(body, "with_reply_stamp");
    if (v == NULL || json_is_null(v))
        return true;
    if (!json_is_boolean(v)) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "with_reply_stamp", FAULT_NOT_BOOLEAN);
        return false;
    }
    d->with_reply_stamp = json_is_true(v);
    return true;
}

/* Reads the optional "expected_amount" and "expected_unit": the price the client showed; both or neither. */
static bool expected_price_or_reply(http_request *req, json_t *body, message_draft *d)
{
    const char *unit = NULL;
    if (!body_int_or_reply(req, body, "expected_amount", false, &d->expected_amount, &d->has_expected) ||
        !body_string_or_reply(req, body, "expected_unit", false, &unit))
        return false;
    if (d->has_expected && d->expected_amount < 0) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "expected_amount", FAULT_NOT_VALID);
        return false;
    }
    if (!d->has_expected && unit == NULL)
        return true;
    static const char *const units[] = {"cents", "stamps", "credits", NULL};
    if (unit == NULL || !ledger_unit_parse(unit, &d->expected_unit)) {
        kite_fault f;
        fault_set(&f, KITE_ERR_INVALID_FIELD, "expected_unit", FAULT_CHOICE);
        f.choices = units;
        reply_fault(req, &f);
        return false;
    }
    if (!d->has_expected) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "expected_amount", FAULT_REQUIRED);
        return false;
    }
    return true;
}

/* The body of a send or a quote; false when an answer was already sent. */
static bool draft_or_reply(http_request *req, json_t *body, message_draft *d)
{
    return body_int_or_reply(req, body, "contact_id", true, &d->contact_id, NULL) &&
           body_string_or_reply(req, body, "subject", false, &d->subject) &&
           body_string_or_reply(req, body, "body", true, &d->body) && attachment_ids_or_reply(req, body, d) &&
           reply_stamp_or_reply(req, body, d) && expected_price_or_reply(req, body, d);
}

/* A quote as the API shows it: the price, how it was reached, and whether the payer has enough. */
static json_t *charge_to_json(const message_charge *c)
{
    json_t *out = json_pack("{s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "price_cents",
                            (json_int_t)c->price_cents, "unit", ledger_unit_name(c->unit), "amount",
                            (json_int_t)c->amount, "chars", (json_int_t)c->quote.chars, "pages",
                            (json_int_t)c->quote.pages, "blocks", (json_int_t)c->quote.blocks, "photos",
                            (json_int_t)c->quote.photos, "text_amount", (json_int_t)c->quote.text_amount,
                            "photo_amount", (json_int_t)c->quote.photo_amount, "reply_amount",
                            (json_int_t)c->quote.reply_amount, "balance", (json_int_t)c->balance, "enough",
                            c->enough);
    json_object_set_new(out, "schedule_unit", json_string(ledger_unit_name(message_charge_unit(c->quote.unit))));
    json_object_set_new(out, "subscription_needed", json_boolean(c->needs_subscription));
    json_object_set_new(out, "videos", json_integer(c->quote.videos));
    json_object_set_new(out, "video_amount", json_integer(c->quote.video_amount));
    return out;
}

/* A refusal for the price (402, 409): the error, and the price as it is now so the client can show it. */
static void reply_priced_fault(http_request *req, const kite_fault *fault, const message_charge *c)
{
    json_t *error = json_pack("{s:s, s:s}", "code", kite_err_code(fault->code), "message",
                              fault_sentence(http_arena(req), fault, http_lang(req)));
    if (fault->field != NULL)
        json_object_set_new(error, "field", json_string(fault->field));
    http_reply_header(req, "Content-Language", lang_tag(http_lang(req)));
    http_reply_json(req, kite_err_status(fault->code), json_pack("{s:o, s:o}", "error", error, "price",
                                                                 charge_to_json(c)));
}

void handle_messages_create(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, PARTIES);
    if (s == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    message_draft d = {0};
    d.idempotency_key = http_header(req, "Idempotency-Key");
    if (draft_or_reply(req, body, &d)) {
        message m = {0};
        bool replayed = false;
        kite_fault fault;
        message_charge charge;
        kite_err err = message_send_priced(&app->ctx, http_arena(req), &s->account, &d, &m, &replayed, &charge, &fault);
        if (err == KITE_ERR_INSUFFICIENT_FUNDS || err == KITE_ERR_CONFLICT)
            reply_priced_fault(req, &fault, &charge);
        else if (err != KITE_OK)
            reply_fault(req, &fault);
        else {
            if (replayed)
                http_reply_header(req, "Idempotent-Replayed", "true");
            reply_message(req, 202, &m, &s->account);
        }
    }
    json_decref(body);
}

void handle_messages_quote(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, PARTIES);
    if (s == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    message_draft d = {0};
    if (draft_or_reply(req, body, &d)) {
        kite_fault fault;
        message_charge charge;
        if (message_quote(&app->ctx, http_arena(req), &s->account, &d, &charge, &fault) != KITE_OK)
            reply_fault(req, &fault);
        else
            http_reply_json(req, 200, charge_to_json(&charge));
    }
    json_decref(body);
}

void handle_messages_list(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, PARTIES);
    int64_t limit, contact_id;
    if (s == NULL || !query_int_or_reply(req, "limit", 1, MESSAGE_PAGE_MAX, 20, &limit) ||
        !query_int_or_reply(req, "contact_id", 1, INT64_MAX, 0, &contact_id))
        return;
    const char *box_text = http_query(req, "box");
    message_box box = contact_id > 0 ? BOX_THREAD : BOX_INBOX;
    if (contact_id == 0 && box_text != NULL && strcmp(box_text, "sent") == 0)
        box = BOX_SENT;
    else if (contact_id == 0 && box_text != NULL && strcmp(box_text, "inbox") != 0) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "box", FAULT_CHOICE);
        return;
    }
    message_page page;
    kite_err err = message_list(&app->ctx, http_arena(req), &s->account, box, contact_id, http_query(req, "cursor"),
                                (size_t)limit, &page);
    if (err == KITE_ERR_INVALID_FIELD) {
        reply_fault_of(req, err, "cursor", FAULT_UNKNOWN);
        return;
    }
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    buf out;
    buf_init(&out, http_arena(req));
    json_writer w;
    jw_init(&w, &out);
    jw_object(&w);
    jw_key(&w, "items");
    jw_array(&w);
    for (size_t i = 0; i < page.count; i++)
        write_message(&w, &page.items[i], &s->account, http_lang(req));
    jw_array_end(&w);
    jw_key(&w, "next_cursor");
    jw_string(&w, page.next_cursor);
    jw_key(&w, "unread");
    jw_int(&w, page.unread);
    jw_object_end(&w);
    http_reply_buf(req, 200, "application/json", &out);
}

void handle_messages_get(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_session_or_reply(req, app);
    int64_t id;
    if (s == NULL || !param_id_or_reply(req, 0, &id))
        return;
    message m = {0};
    kite_err err = message_get(&app->ctx, http_arena(req), &s->account, id, &m);
    if (err != KITE_OK)
        reply_kite_error(req, err);
    else
        reply_message(req, 200, &m, &s->account);
}

void handle_messages_read(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, PARTIES);
    int64_t id;
    if (s == NULL || !param_id_or_reply(req, 0, &id))
        return;
    message m = {0};
    kite_err err = message_mark_read(&app->ctx, http_arena(req), &s->account, id, &m);
    if (err != KITE_OK)
        reply_kite_error(req, err);
    else
        reply_message(req, 200, &m, &s->account);
}

void handle_messages_delete(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, PARTIES);
    int64_t id;
    if (s == NULL || !param_id_or_reply(req, 0, &id))
        return;
    kite_err err = message_hide(&app->ctx, http_arena(req), &s->account, id);
    if (err != KITE_OK)
        reply_kite_error(req, err);
    else
        http_reply_empty(req, 204);
}

/* The sender takes back a message still waiting for review; its hold is given back. */
void handle_messages_withdraw(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, PARTIES);
    int64_t id;
    if (s == NULL || !param_id_or_reply(req, 0, &id))
        return;
    message m = {0};
    kite_fault fault;
    if (message_withdraw(&app->ctx, http_arena(req), &s->account, id, &m, &fault) != KITE_OK)
        reply_fault(req, &fault);
    else
        reply_message(req, 200, &m, &s->account);
}

/* ---- export ---- */

static void reply_mbox(http_request *req, const message *items, size_t count)
{
    buf out;
    buf_init(&out, http_arena(req));
    export_mbox(&out, items, count);
    http_reply_header(req, "Content-Disposition", "attachment; filename=\"kite-messages.mbox\"");
    http_reply_buf(req, 200, "application/mbox", &out);
}

void handle_messages_export(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, PARTIES);
    if (s == NULL)
        return;
    const char *format = http_query(req, "format");
    if (format != NULL && strcmp(format, "json") != 0 && strcmp(format, "mbox") != 0) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "format", FAULT_CHOICE);
        return;
    }
    message *items;
    size_t count;
    kite_err err = message_export(&app->ctx, http_arena(req), &s->account, &items, &count);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    if (format != NULL && strcmp(format, "mbox") == 0) {
        reply_mbox(req, items, count);
        return;
    }
    buf out;
    buf_init(&out, http_arena(req));
    json_writer w;
    jw_init(&w, &out);
    jw_object(&w);
    json_t *owner = account_to_json(&s->account);
    char *account_text = json_dumps(owner, JSON_COMPACT);
    json_decref(owner);
    if (account_text == NULL) {
        reply_kite_error(req, KITE_ERR_INTERNAL);
        return;
    }
    jw_key(&w, "account");
    jw_raw(&w, account_text);
    free(account_text);
    jw_key(&w, "messages");
    jw_array(&w);
    for (size_t i = 0; i < count; i++)
        write_message(&w, &items[i], &s->account, http_lang(req));
    jw_array_end(&w);
    jw_key(&w, "count");
    jw_int(&w, (int64_t)count);
    jw_key(&w, "exported_at");
    jw_time(&w, clock_now_ms(&app->ctx.clock));
    jw_object_end(&w);
    http_reply_header(req, "Content-Disposition", "attachment; filename=\"kite-messages.json\"");
    http_reply_buf(req, 200, "application/json", &out);
}

/* ---- review ---- */

void handle_review_queue(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, REVIEWERS);
    int64_t facility_id, limit;
    if (s == NULL || !query_int_or_reply(req, "facility_id", 1, INT64_MAX, s->account.facility_id, &facility_id) ||
        !query_int_or_reply(req, "limit", 1, MESSAGE_PAGE_MAX, 50, &limit))
        return;
    if (facility_id <= 0) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "facility_id", FAULT_QUEUE);
        return;
    }
    message *items;
    size_t count;
    queue_metrics metrics;
    kite_err err = review_queue(&app->ctx, http_arena(req), &s->account, facility_id, (size_t)limit, &items, &count, &metrics);
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
    jw_key(&w, "items");
    jw_array(&w);
    for (size_t i = 0; i < count; i++) {
        jw_object(&w);
        write_message_members(&w, &items[i], &s->account, http_lang(req));
        jw_key(&w, "age_seconds");
        jw_int(&w, (now - items[i].created_at) / 1000);
        jw_key(&w, "over_sla");
        jw_bool(&w, now - items[i].created_at > metrics.sla_ms);
        jw_object_end(&w);
    }
    jw_array_end(&w);
    jw_key(&w, "next_cursor");
    jw_null(&w);
    jw_key(&w, "metrics");
    jw_object(&w);
    const struct { const char *key; int64_t value; } stats[] = {
        {"depth", metrics.depth},
        {"oldest_age_seconds", metrics.oldest_age_ms / 1000},
        {"decided_last_24h", metrics.decided_24h},
        {"sla_seconds", metrics.sla_ms / 1000},
        {"over_sla", metrics.over_sla},
    };
    for (size_t i = 0; i < sizeof stats / sizeof stats[0]; i++) {
        jw_key(&w, stats[i].key);
        jw_int(&w, stats[i].value);
    }
    jw_key(&w, "median_decision_seconds_24h");
    if (metrics.median_decision_ms_24h >= 0)
        jw_int(&w, metrics.median_decision_ms_24h / 1000);
    else
        jw_null(&w);
    jw_object_end(&w);
    jw_object_end(&w);
    http_reply_buf(req, 200, "application/json", &out);
}

static bool decide_one(http_request *req, kite_app *app, const session *s, int64_t id, bool approve,
                       const char *reason, const char *note, message *m, kite_fault *fault)
{
    *m = (message){0};
    return review_decide(&app->ctx, http_arena(req), &s->account, id, approve, reason, note, m, fault) == KITE_OK;
}

static bool decision_or_reply(http_request *req, json_t *body, bool *approve, const char **reason, const char **note)
{
    const char *decision;
    if (!body_string_or_reply(req, body, "decision", true, &decision) ||
        !body_string_or_reply(req, body, "reason", false, reason) || !body_string_or_reply(req, body, "note", false, note))
        return false;
    if (strcmp(decision, "approve") != 0 && strcmp(decision, "reject") != 0) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "decision", FAULT_CHOICE);
        return false;
    }
    *approve = strcmp(decision, "approve") == 0;
    return true;
}

void handle_review_decide(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, REVIEWERS);
    int64_t id;
    if (s == NULL || !param_id_or_reply(req, 0, &id))
        return;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    bool approve;
    const char *reason = NULL, *note = NULL;
    if (decision_or_reply(req, body, &approve, &reason, &note)) {
        kite_fault fault;
        message m;
        if (!decide_one(req, app, s, id, approve, reason, note, &m, &fault))
            reply_fault(req, &fault);
        else
            reply_message(req, 200, &m, &s->account);
    }
    json_decref(body);
}

void handle_review_bulk(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, REVIEWERS & ~ROLE_BIT(ROLE_INVESTIGATOR));
    if (s == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    json_t *ids = json_object_get(body, "message_ids");
    bool approve;
    const char *reason = NULL, *note = NULL;
    if (!json_is_array(ids) || json_array_size(ids) == 0 || json_array_size(ids) > MESSAGE_PAGE_MAX) {
        kite_fault fault;
        fault_set(&fault, KITE_ERR_INVALID_FIELD, "message_ids", FAULT_LENGTH);
        fault.min = 1;
        fault.max = MESSAGE_PAGE_MAX;
        reply_fault(req, &fault);
    } else if (decision_or_reply(req, body, &approve, &reason, &note)) {
        json_t *results = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(ids, i, v) {
            int64_t id = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
            kite_fault fault = {.code = KITE_ERR_NOT_FOUND};
            message m;
            bool ok = id > 0 && decide_one(req, app, s, id, approve, reason, note, &m, &fault);
            kite_err err = fault.code;
            json_t *result = json_pack("{s:I, s:b}", "id", (json_int_t)id, "ok", ok);
            if (ok)
                json_object_set_new(result, "status", json_string(message_status_name(m.status)));
            else
                json_object_set_new(result, "error", json_pack("{s:s, s:s}", "code", kite_err_code(err), "message", kite_err_message_in(err, http_lang(req))));
            json_array_append_new(results, result);
        }
        http_reply_json(req, 200, json_pack("{s:o}", "results", results));
    }
    json_decref(body);
}

void handle_reject_reasons(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    if (!param_id_or_reply(req, 0, &facility_id) ||
        require_facility_role_or_reply(req, app, facility_id, ROLE_BIT(ROLE_OPERATOR) | STAFF_ROLES) == NULL)
        return;
    reject_reason *items;
    size_t count;
    kite_err err = reject_reasons_list(&app->ctx, http_arena(req), facility_id, &items, &count);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(list, json_pack("{s:s, s:s}", "code", items[i].code, "label", items[i].label));
    http_reply_json(req, 200, json_pack("{s:o, s:n}", "items", list, "next_cursor"));
}

/* ---- screening rules ---- */

static json_t *rule_to_json(const screening_rule *r)
{
    return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:o, s:s}", "id", (json_int_t)r->id, "facility_id",
                     (json_int_t)r->facility_id, "kind", rule_kind_name(r->kind), "value", r->value, "action", rule_action_name(r->action), "note", r->note,
                     "created_at", json_time(r->created_at), "created_by", r->created_by);
}

void handle_screening_rules_list(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    if (!param_id_or_reply(req, 0, &facility_id) ||
        require_facility_role_or_reply(req, app, facility_id, ROLE_BIT(ROLE_OPERATOR) | STAFF_ROLES) == NULL)
        return;
    screening_rule *items;
    size_t count;
    kite_err err = screening_rule_list(&app->ctx, http_arena(req), facility_id, &items, &count);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(list, rule_to_json(&items[i]));
    http_reply_json(req, 200, json_pack("{s:o, s:n}", "items", list, "next_cursor"));
}

void handle_screening_rules_create(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    if (!param_id_or_reply(req, 0, &facility_id))
        return;
    const session *s = require_facility_role_or_reply(req, app, facility_id,
                                                      ROLE_BIT(ROLE_OPERATOR) | ROLE_BIT(ROLE_FACILITY_ADMIN));
    if (s == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    screening_rule rule = {0};
    const char *kind = NULL, *action = NULL;
    if (body_string_or_reply(req, body, "kind", true, &kind) &&
        body_string_or_reply(req, body, "value", true, &rule.value) &&
        body_string_or_reply(req, body, "action", true, &action) &&
        body_string_or_reply(req, body, "note", false, &rule.note)) {
        /* An unknown name stays out of range, for screening_rule_add to refuse with its reason. */
        rule.kind = RULE_KIND_COUNT;
        rule.action = RULE_ACTION_COUNT;
        (void)rule_kind_parse(kind, &rule.kind);
        (void)rule_action_parse(action, &rule.action);
        screening_rule out;
        kite_fault fault;
        kite_err err = screening_rule_add(&app->ctx, http_arena(req), facility_id, &rule, session_actor(req, s), &out,
                                          &fault);
        if (err != KITE_OK)
            reply_fault(req, &fault);
        else
            http_reply_json(req, 201, rule_to_json(&out));
    }
    json_decref(body);
}

void handle_screening_rules_delete(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id, rule_id;
    if (!param_id_or_reply(req, 0, &facility_id))
        return;
    const session *s = require_facility_role_or_reply(req, app, facility_id,
                                                      ROLE_BIT(ROLE_OPERATOR) | ROLE_BIT(ROLE_FACILITY_ADMIN));
    if (s == NULL || !param_id_or_reply(req, 1, &rule_id))
        return;
    kite_err err = screening_rule_remove(&app->ctx, http_arena(req), facility_id, rule_id, session_actor(req, s));
    if (err != KITE_OK)
        reply_kite_error(req, err);
    else
        http_reply_empty(req, 204);
}
