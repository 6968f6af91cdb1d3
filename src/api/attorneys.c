/*
 * attorneys.c - attorney registration and its verification
 * (domain/counsel/attorney.h, docs/privilege.md):
 *   POST /api/v1/attorneys              a contact registers {bar_number, bar_state}
 *   GET  /api/v1/attorneys/me           that contact's registration and where it stands
 *   GET  /api/v1/attorneys?status=      operators: the registrations, oldest first
 *   POST /api/v1/attorneys/{id}/verify  operators: the bar number was checked with the state bar
 *   POST /api/v1/attorneys/{id}/refuse  operators: {reason}; refuses a pending one, revokes a verified one
 *
 * SECURITY: the body members are untrusted strings, checked by the domain
 * (shape of a bar number, a known state code, a bounded reason) and bound as
 * values.  The doors: registering takes a contact (other roles 403 with the
 * sentence saying why), listing and deciding an operator (403 for everyone
 * else, 401 without a session).
 */
#include "api/app.h"

#include "domain/counsel/attorney.h"

#include <stdlib.h>
#include <string.h>

static json_t *attorney_to_json(const attorney *t, bool for_operator)
{
    json_t *out = json_pack("{s:I, s:I, s:s, s:s, s:s, s:o, s:o, s:o}", "id", (json_int_t)t->id, "account_id",
                            (json_int_t)t->account_id, "bar_number", t->bar_number, "bar_state", t->bar_state,
                            "status", attorney_status_name(t->status), "reason", json_string_or_null(t->reason),
                            "verified_at", t->verified_at ? json_time(t->verified_at) : json_null(),
                            "created_at", json_time(t->created_at));
    json_object_set_new(out, "privileged", json_boolean(t->status == ATTORNEY_VERIFIED));
    if (for_operator) {
        json_object_set_new(out, "full_name", json_string(t->full_name));
        json_object_set_new(out, "email", json_string_or_null(t->email));
        json_object_set_new(out, "verified_by", t->verified_by ? json_integer(t->verified_by) : json_null());
        json_object_set_new(out, "decided_at", t->decided_at ? json_time(t->decided_at) : json_null());
    }
    return out;
}

json_t *attorney_export_json(kite_app *app, arena *a, const account *caller)
{
    attorney t;
    kite_err err = attorney_mine(&app->ctx, a, caller, &t);
    return err == KITE_ERR_NOT_FOUND ? json_null() : err != KITE_OK ? NULL : attorney_to_json(&t, false);
}

void handle_attorneys_create(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_session_or_reply(req, app);
    if (s == NULL)
        return;
    if (s->account.role != ROLE_CONTACT) {
        reply_fault_of(req, KITE_ERR_FORBIDDEN, NULL, FAULT_ATTORNEY_ROLE);
        return;
    }
    json_t *body = parse_body_or_reply(req);
    const char *bar_number, *bar_state;
    if (body != NULL && body_string_or_reply(req, body, "bar_number", true, &bar_number) &&
        body_string_or_reply(req, body, "bar_state", true, &bar_state)) {
        attorney t;
        kite_fault f;
        if (attorney_register(&app->ctx, http_arena(req), &s->account, bar_number, bar_state, &t, &f) != KITE_OK)
            reply_fault(req, &f);
        else
            http_reply_json(req, 201, attorney_to_json(&t, false));
    }
    json_decref(body);
}

void handle_attorneys_me(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_CONTACT));
    if (s == NULL)
        return;
    attorney t;
    kite_err err = attorney_mine(&app->ctx, http_arena(req), &s->account, &t);
    if (err != KITE_OK)
        reply_kite_error(req, err);
    else
        http_reply_json(req, 200, attorney_to_json(&t, false));
}

void handle_attorneys_list(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_OPERATOR));
    int64_t limit, after = 0;
    if (s == NULL || !query_int_or_reply(req, "limit", 1, ATTORNEY_PAGE_MAX, 50, &limit))
        return;
    const char *status_text = http_query(req, "status");
    attorney_status status = ATTORNEY_PENDING;
    bool has_status = status_text != NULL && *status_text != '\0';
    if (has_status && !attorney_status_parse(status_text, &status)) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "status", FAULT_PARAM_CHOICE);
        return;
    }
    const char *cursor = http_query(req, "cursor");
    if (cursor != NULL && *cursor != '\0') {
        char *end;
        after = strtoll(cursor, &end, 10);
        if (cursor[0] < '0' || cursor[0] > '9' || *end != '\0' || after < 0) {
            reply_fault_of(req, KITE_ERR_INVALID_FIELD, "cursor", FAULT_UNKNOWN);
            return;
        }
    }
    attorney *items;
    size_t count;
    bool more;
    kite_err err = attorney_list(&app->ctx, http_arena(req), &s->account, has_status, status, after, (size_t)limit,
                                 &items, &count, &more);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(list, attorney_to_json(&items[i], true));
    json_t *next = more && count > 0 ? json_sprintf("%lld", (long long)items[count - 1].id) : json_null();
    http_reply_json(req, 200, json_pack("{s:o, s:o}", "items", list, "next_cursor", next));
}

static void decide(http_request *req, kite_app *app, attorney_decision decision)
{
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_OPERATOR));
    int64_t id;
    if (s == NULL || !param_id_or_reply(req, 0, &id))
        return;
    json_t *body = NULL;
    const char *reason = NULL;
    if (decision == ATTORNEY_REFUSE &&
        ((body = parse_body_or_reply(req)) == NULL || !body_string_or_reply(req, body, "reason", true, &reason))) {
        json_decref(body);
        return;
    }
    attorney t;
    kite_fault f;
    if (attorney_decide(&app->ctx, http_arena(req), &s->account, id, decision, reason, &t, &f) != KITE_OK)
        reply_fault(req, &f);
    else
        http_reply_json(req, 200, attorney_to_json(&t, true));
    json_decref(body);
}

void handle_attorneys_verify(http_request *req, void *data)
{
    decide(req, data, ATTORNEY_VERIFY);
}

void handle_attorneys_refuse(http_request *req, void *data)
{
    decide(req, data, ATTORNEY_REFUSE);
}
