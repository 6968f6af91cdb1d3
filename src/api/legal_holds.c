/*
 * legal_holds.c - POST/GET /api/v1/facilities/{id}/legal-holds and
 * POST /api/v1/legal-holds/{id}/lift: a facility's investigators and
 * admins (and operators) keep messages past retention for a case
 * (domain/retention/legal_hold.h).
 *
 * SECURITY: the body is untrusted: only the members below are taken (any
 * other is 422), each read with its type checked here and its content
 * (length, UTF-8, whether the subject belongs to the facility) by the
 * domain.  The door: no session 401, another facility's staff 404 (for the
 * facility and for each of its holds), reviewers, residents and contacts
 * 403.
 */
#include "api/app.h"

#include "domain/retention/legal_hold.h"

#include <string.h>

#define HOLDERS (ROLE_BIT(ROLE_INVESTIGATOR) | ROLE_BIT(ROLE_FACILITY_ADMIN) | ROLE_BIT(ROLE_OPERATOR))

static json_t *hold_to_json(const legal_hold *h)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(h->id));
    json_object_set_new(o, "facility_id", json_integer(h->facility_id));
    json_object_set_new(o, "subject_kind", json_string(legal_hold_kind_name(h->kind)));
    json_object_set_new(o, "subject_id", json_integer(h->subject_id));
    json_object_set_new(o, "subject", json_string(h->subject_label));
    json_object_set_new(o, "case_reference", json_string(h->case_reference));
    json_object_set_new(o, "note", json_string(h->note));
    json_object_set_new(o, "status", json_string(h->lifted_at != 0 ? "lifted" : "active"));
    json_object_set_new(o, "messages", json_integer(h->messages));
    json_object_set_new(o, "placed_by", json_integer(h->placed_by));
    json_object_set_new(o, "placed_at", json_time(h->placed_at));
    json_object_set_new(o, "lifted_by", h->lifted_by != 0 ? json_integer(h->lifted_by) : json_null());
    json_object_set_new(o, "lifted_at", h->lifted_at != 0 ? json_time(h->lifted_at) : json_null());
    return o;
}

static bool members_known_or_reply(http_request *req, json_t *body)
{
    static const char *const known[] = {"subject_kind", "subject_id", "resident_number", "case_reference", "note"};
    const char *key;
    json_t *value;
    json_object_foreach(body, key, value) {
        bool found = false;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            found = found || strcmp(key, known[i]) == 0;
        if (!found) {
            reply_fault_of(req, KITE_ERR_INVALID_FIELD, key, FAULT_UNKNOWN_MEMBER);
            return false;
        }
    }
    return true;
}

void handle_legal_holds_create(http_request *req, void *data)
{
    kite_app *app = data;
    legal_hold_request r = {0};
    if (!param_id_or_reply(req, 0, &r.facility_id))
        return;
    const session *s = require_facility_role_or_reply(req, app, r.facility_id, HOLDERS);
    if (s == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    bool present = false;
    if (members_known_or_reply(req, body) && body_string_or_reply(req, body, "subject_kind", true, &r.kind) &&
        body_int_or_reply(req, body, "subject_id", false, &r.subject_id, &present) &&
        body_string_or_reply(req, body, "resident_number", false, &r.resident_number) &&
        body_string_or_reply(req, body, "case_reference", true, &r.case_reference) &&
        body_string_or_reply(req, body, "note", false, &r.note)) {
        legal_hold h;
        kite_fault fault;
        kite_err err = legal_hold_place(&app->ctx, http_arena(req), &s->account, &r, &h, &fault);
        if (err != KITE_OK)
            reply_fault(req, &fault);
        else
            http_reply_json(req, 201, hold_to_json(&h));
    }
    json_decref(body);
}

void handle_legal_holds_list(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    if (!param_id_or_reply(req, 0, &facility_id))
        return;
    const session *s = require_facility_role_or_reply(req, app, facility_id, HOLDERS);
    if (s == NULL)
        return;
    const char *status = http_query(req, "status");
    bool all = status != NULL && strcmp(status, "all") == 0;
    if (status != NULL && !all && strcmp(status, "active") != 0) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "status", FAULT_PARAM_CHOICE);
        return;
    }
    int64_t limit;
    if (!query_int_or_reply(req, "limit", 1, LEGAL_HOLD_PAGE_MAX, LEGAL_HOLD_PAGE_DEFAULT, &limit))
        return;
    legal_hold_page_query q = {facility_id, all, http_query(req, "cursor"), (size_t)limit};
    legal_hold_page page;
    kite_fault fault;
    if (legal_hold_list(&app->ctx, http_arena(req), &s->account, &q, &page, &fault) != KITE_OK) {
        reply_fault(req, &fault);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < page.count; i++)
        json_array_append_new(list, hold_to_json(&page.items[i]));
    json_t *out = json_object();
    json_object_set_new(out, "items", list);
    json_object_set_new(out, "next_cursor", page.next_cursor ? json_string(page.next_cursor) : json_null());
    http_reply_json(req, 200, out);
}

void handle_legal_holds_lift(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t id;
    if (!param_id_or_reply(req, 0, &id))
        return;
    /* Staff pass to the domain, which answers 404 for another facility's hold, as for anything of it. */
    const session *s = require_role_or_reply(req, app, HOLDERS | ROLE_BIT(ROLE_REVIEWER));
    if (s == NULL)
        return;
    legal_hold h;
    kite_fault fault;
    kite_err err = legal_hold_lift(&app->ctx, http_arena(req), &s->account, id, &h, &fault);
    if (err != KITE_OK)
        reply_fault(req, &fault);
    else
        http_reply_json(req, 200, hold_to_json(&h));
}
