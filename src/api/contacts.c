/*
 * contacts.c - invitations, contact requests, the contact list and facility blocks.
 *
 * SECURITY: a contact request names a resident by number (or name) and its
 * answer names them back, so requests are throttled per account (every
 * lookup) and per client address (lookups that found nobody;
 * domain/facility/resident_lookup.h):
 * walking a facility's numbers for names is slowed to a crawl.
 */
#include "api/app.h"

#include "core/log.h"
#include "domain/contacts/block.h"
#include "domain/contacts/contact.h"
#include "domain/contacts/contact_request.h"
#include "domain/contacts/invitation.h"
#include "domain/contacts/transfer.h"
#include "domain/facility/resident_lookup.h"

#include <string.h>

#define BLOCK_MANAGERS (ROLE_BIT(ROLE_OPERATOR) | ROLE_BIT(ROLE_FACILITY_ADMIN))

json_t *contact_to_json(const contact_view *c, fault_lang lang)
{
    json_t *who = json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)c->resident_id,
                                 "resident_number", c->resident_number, "first_name", c->resident_first_name,
                                 "last_name", c->resident_last_name, "status", resident_status_name(c->resident_status));
    json_t *facility = json_pack("{s:I, s:s, s:b, s:{s:s, s:s}}", "id", (json_int_t)c->facility_id, "name",
                                 c->facility_name, "on_platform", c->facility_on_platform, "messaging_provider",
                                 "slug", c->messaging_slug, "name", c->messaging_name);
    json_t *contact = json_pack("{s:I, s:s, s:o}", "account_id", (json_int_t)c->contact_account_id, "full_name",
                                account_name_in(c->contact_name, lang), "email", json_string_or_null(c->contact_email));
    bool can_message = c->status == CONTACT_ACTIVE && c->facility_on_platform && c->resident_status == RESIDENT_ACTIVE;
    return json_pack("{s:I, s:s, s:s, s:b, s:b, s:o, s:o, s:o, s:o, s:o}", "id", (json_int_t)c->id, "status",
                     contact_status_name(c->status),
                     "origin", c->origin, "can_message", can_message, "privileged", c->privileged, "resident", who,
                     "facility", facility, "contact", contact, "created_at", json_time(c->created_at), "updated_at",
                     json_time(c->updated_at));
}

static json_t *invitation_to_json(const invitation *v)
{
    return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "id", (json_int_t)v->id, "resident_id",
                     (json_int_t)v->resident_id, "resident_name", v->resident_name, "facility_name", v->facility_name,
                     "email", v->email, "status", invitation_status_name(v->status), "created_at", json_time(v->created_at), "expires_at",
                     json_time(v->expires_at), "accepted_at", v->accepted_at ? json_time(v->accepted_at) : json_null());
}

json_t *request_to_json(const contact_request *q, fault_lang lang)
{
    return json_pack("{s:I, s:s, s:{s:I, s:s, s:s}, s:{s:I, s:s}, s:{s:I, s:s, s:o, s:b}, s:o, s:o, s:o}",
                     "id", (json_int_t)q->id, "status", contact_request_status_name(q->status),
                     "resident", "id", (json_int_t)q->resident_id, "resident_number", q->resident_number, "name",
                     q->resident_name,
                     "facility", "id", (json_int_t)q->facility_id, "name", q->facility_name,
                     "contact", "account_id", (json_int_t)q->contact_account_id, "full_name", account_name_in(q->contact_name, lang),
                     "email", json_string_or_null(q->contact_email), "email_verified", q->contact_email_verified,
                     "created_at", json_time(q->created_at),
                     "decided_at", q->decided_at ? json_time(q->decided_at) : json_null(),
                     "auto_approve_at", q->auto_approve_at ? json_time(q->auto_approve_at) : json_null());
}

static void reply_list(http_request *req, json_t *items)
{
    http_reply_json(req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

void handle_invitations_create(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_RESIDENT));
    if (s == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    const char *email;
    if (body_string_or_reply(req, body, "email", true, &email)) {
        invitation v;
        kite_fault fault;
        kite_err err = invitation_create(&app->ctx, http_arena(req), &s->account, email, &v, &fault);
        if (err != KITE_OK)
            reply_fault(req, &fault);
        else
            http_reply_json(req, 201, invitation_to_json(&v));
    }
    json_decref(body);
}

void handle_invitations_list(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_RESIDENT) | ROLE_BIT(ROLE_CONTACT));
    if (s == NULL)
        return;
    invitation *items;
    size_t count;
    kite_err err = invitation_list(&app->ctx, http_arena(req), &s->account, &items, &count);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(list, invitation_to_json(&items[i]));
    reply_list(req, list);
}

/* DELETE /api/v1/invitations/{id}: the resident withdraws a pending invitation. */
void handle_invitations_cancel(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_RESIDENT));
    int64_t id;
    if (s == NULL || !param_id_or_reply(req, 0, &id))
        return;
    kite_err err = invitation_cancel(&app->ctx, http_arena(req), &s->account, id);
    if (err != KITE_OK)
        reply_kite_error(req, err);
    else
        http_reply_empty(req, 204);
}

/* "m****@example.org": enough to recognise one's own address, not to learn someone else's. */
static const char *masked_email(arena *a, const char *email)
{
    const char *at = strchr(email, '@');
    if (at == NULL || at == email)
        return "";
    return arena_sprintf(a, "%c****%s", email[0], at);
}

void handle_invitations_preview(http_request *req, void *data)
{
    kite_app *app = data;
    const char *token = http_query(req, "token");
    if (token == NULL || *token == '\0') {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "token", FAULT_INVITATION);
        return;
    }
    invitation v;
    kite_err err = invitation_preview(&app->ctx, http_arena(req), token, &v);
    if (err == KITE_ERR_NOT_FOUND) {
        reply_fault_of(req, err, NULL, FAULT_INVITATION);
        return;
    }
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    http_reply_json(req, 200, json_pack("{s:s, s:s, s:s, s:s, s:o}", "resident_name", v.resident_name, "facility_name",
                                        v.facility_name, "email_hint", masked_email(http_arena(req), v.email), "status",
                                        invitation_status_name(v.status), "expires_at", json_time(v.expires_at)));
}

void handle_invitations_accept(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_CONTACT));
    if (s == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    const char *token;
    if (body_string_or_reply(req, body, "token", true, &token)) {
        contact_view c;
        kite_err err = invitation_accept(&app->ctx, http_arena(req), &s->account, token, &c);
        if (err == KITE_ERR_NOT_FOUND)
            reply_fault_of(req, err, NULL, FAULT_INVITATION);
        else if (err != KITE_OK)
            reply_kite_error(req, err);
        else
            http_reply_json(req, 201, contact_to_json(&c, http_lang(req)));
    }
    json_decref(body);
}

void handle_contact_requests_create(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_CONTACT));
    if (s == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    request_target t = {0};
    if (body_int_or_reply(req, body, "facility_id", true, &t.facility_id, NULL) &&
        body_string_or_reply(req, body, "resident_number", false, &t.resident_number) &&
        body_string_or_reply(req, body, "first_name", false, &t.first_name) &&
        body_string_or_reply(req, body, "last_name", false, &t.last_name)) {
        contact_request q;
        kite_fault fault;
        /* A request answers with the resident's name: throttled, and counted found or not (resident_lookup.h). */
        const char *address = http_client_address(req);
        kite_err err = resident_lookup_allowed(&app->ctx, http_arena(req), s->account.id, address, &fault);
        if (err == KITE_OK) {
            err = contact_request_create(&app->ctx, http_arena(req), &s->account, &t, &q, &fault);
            if (resident_lookup_count(&app->ctx, http_arena(req), s->account.id, address, err == KITE_ERR_NOT_FOUND) !=
                KITE_OK)
                log_warn("api: could not count a resident lookup");
        }
        if (err != KITE_OK)
            reply_fault(req, &fault);
        else
            http_reply_json(req, 201, request_to_json(&q, http_lang(req)));
    }
    json_decref(body);
}

void handle_contact_requests_list(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_RESIDENT) | ROLE_BIT(ROLE_CONTACT));
    if (s == NULL)
        return;
    contact_request *items;
    size_t count;
    kite_err err = contact_request_list(&app->ctx, http_arena(req), &s->account, &items, &count);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(list, request_to_json(&items[i], http_lang(req)));
    reply_list(req, list);
}

static void decide(http_request *req, kite_app *app, bool approve)
{
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_RESIDENT));
    int64_t id;
    if (s == NULL || !param_id_or_reply(req, 0, &id))
        return;
    contact_request q;
    kite_err err = contact_request_decide(&app->ctx, http_arena(req), &s->account, id, approve, &q);
    if (err != KITE_OK)
        reply_kite_error(req, err);
    else
        http_reply_json(req, 200, request_to_json(&q, http_lang(req)));
}

void handle_contact_requests_approve(http_request *req, void *data) { decide(req, data, true); }
void handle_contact_requests_decline(http_request *req, void *data) { decide(req, data, false); }

void handle_contacts_list(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_RESIDENT) | ROLE_BIT(ROLE_CONTACT));
    if (s == NULL)
        return;
    contact_view *items;
    size_t count;
    kite_err err = contact_list(&app->ctx, http_arena(req), &s->account, &items, &count);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(list, contact_to_json(&items[i], http_lang(req)));
    reply_list(req, list);
}

void handle_contacts_get(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_RESIDENT) | ROLE_BIT(ROLE_CONTACT));
    int64_t id;
    if (s == NULL || !param_id_or_reply(req, 0, &id))
        return;
    contact_view c;
    kite_err err = contact_get(&app->ctx, http_arena(req), &s->account, id, &c);
    if (err != KITE_OK)
        reply_kite_error(req, err);
    else
        http_reply_json(req, 200, contact_to_json(&c, http_lang(req)));
}

void handle_contacts_delete(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_RESIDENT) | ROLE_BIT(ROLE_CONTACT));
    int64_t id;
    if (s == NULL || !param_id_or_reply(req, 0, &id))
        return;
    contact_view c;
    kite_err err = contact_end(&app->ctx, http_arena(req), &s->account, id, &c);
    if (err != KITE_OK)
        reply_kite_error(req, err);
    else
        http_reply_json(req, 200, contact_to_json(&c, http_lang(req)));
}

static json_t *block_to_json(const facility_block *b)
{
    return json_pack("{s:I, s:I, s:o, s:s, s:s, s:o, s:s}", "id", (json_int_t)b->id, "facility_id",
                     (json_int_t)b->facility_id, "resident_number", json_string_or_null(b->resident_number), "email",
                     b->email, "reason", b->reason, "created_at", json_time(b->created_at), "created_by", b->created_by);
}

void handle_blocks_create(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    if (!param_id_or_reply(req, 0, &facility_id))
        return;
    const session *s = require_facility_role_or_reply(req, app, facility_id, BLOCK_MANAGERS);
    if (s == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    const char *email, *number, *reason;
    if (body_string_or_reply(req, body, "email", true, &email) &&
        body_string_or_reply(req, body, "resident_number", false, &number) &&
        body_string_or_reply(req, body, "reason", false, &reason)) {
        facility_block b;
        kite_fault fault;
        kite_err err = facility_block_add(&app->ctx, http_arena(req), facility_id, email, number, reason,
                                          session_actor(req, s), &b, &fault);
        if (err != KITE_OK)
            reply_fault(req, &fault);
        else
            http_reply_json(req, 201, block_to_json(&b));
    }
    json_decref(body);
}

void handle_blocks_list(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    if (!param_id_or_reply(req, 0, &facility_id) ||
        require_facility_role_or_reply(req, app, facility_id, BLOCK_MANAGERS | STAFF_ROLES) == NULL)
        return;
    facility_block *items;
    size_t count;
    kite_err err = facility_block_list(&app->ctx, http_arena(req), facility_id, &items, &count);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(list, block_to_json(&items[i]));
    reply_list(req, list);
}

void handle_blocks_delete(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id, block_id;
    if (!param_id_or_reply(req, 0, &facility_id))
        return;
    const session *s = require_facility_role_or_reply(req, app, facility_id, BLOCK_MANAGERS);
    if (s == NULL || !param_id_or_reply(req, 1, &block_id))
        return;
    kite_err err = facility_block_remove(&app->ctx, http_arena(req), facility_id, block_id, session_actor(req, s));
    if (err != KITE_OK)
        reply_kite_error(req, err);
    else
        http_reply_empty(req, 204);
}

void handle_residents_transfer(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    if (!param_id_or_reply(req, 0, &facility_id))
        return;
    const session *s = require_facility_role_or_reply(req, app, facility_id, BLOCK_MANAGERS);
    if (s == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    int64_t to_facility_id;
    const char *new_number;
    if (body_int_or_reply(req, body, "to_facility_id", true, &to_facility_id, NULL) &&
        body_string_or_reply(req, body, "resident_number", false, &new_number)) {
        transfer_report report;
        kite_fault fault;
        kite_err err = resident_transfer(&app->ctx, http_arena(req), facility_id, http_param(req, 1), to_facility_id,
                                         new_number, session_actor(req, s), &report, &fault);
        if (err != KITE_OK)
            reply_fault(req, &fault);
        else
            http_reply_json(req, 200, json_pack("{s:I, s:I, s:b, s:I, s:I, s:{s:s, s:s}}", "resident_id",
                                                (json_int_t)report.resident_id, "facility_id", (json_int_t)to_facility_id,
                                                "on_platform", report.to_platform, "contacts_active",
                                                (json_int_t)report.contacts_moved, "contacts_suspended",
                                                (json_int_t)report.contacts_suspended, "messaging_provider", "slug",
                                                report.messaging_slug, "name", report.messaging_name));
    }
    json_decref(body);
}
