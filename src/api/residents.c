/*
 * residents.c - a facility's roster and staff, for facility admins and operators.
 */
#include "api/app.h"

#include <string.h>

#include "domain/facility/staff.h"

enum { ROSTER_DEFAULT_LIMIT = 50, ROSTER_MAX_LIMIT = 100 };

#define ROSTER_WRITERS (ROLE_BIT(ROLE_OPERATOR) | ROLE_BIT(ROLE_FACILITY_ADMIN))
#define ROSTER_READERS (ROLE_BIT(ROLE_OPERATOR) | STAFF_ROLES)

json_t *resident_to_json(const resident *r)
{
    return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:b, s:b, s:o, s:o}",
                     "id", (json_int_t)r->id,
                     "facility_id", (json_int_t)r->facility_id,
                     "resident_number", r->resident_number,
                     "first_name", r->first_name,
                     "last_name", r->last_name,
                     "status", resident_status_name(r->status),
                     "has_pin", r->has_pin,
                     "pin_weak", r->pin_weak,
                     "created_at", json_time(r->created_at),
                     "updated_at", json_time(r->updated_at));
}

void handle_residents_create(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    if (!param_id_or_reply(req, 0, &facility_id))
        return;
    const session *s = require_facility_role_or_reply(req, app, facility_id, ROSTER_WRITERS);
    if (s == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    resident_input in;
    if (body_string_or_reply(req, body, "resident_number", true, &in.resident_number) &&
        body_string_or_reply(req, body, "first_name", true, &in.first_name) &&
        body_string_or_reply(req, body, "last_name", true, &in.last_name) &&
        body_string_or_reply(req, body, "pin", false, &in.pin)) {
        resident r = {0};
        kite_fault fault;
        kite_err err = resident_add(&app->ctx, http_arena(req), facility_id, &in, session_actor(req, s), &r, &fault);
        if (err != KITE_OK)
            reply_fault(req, &fault);
        else
            http_reply_json(req, 201, resident_to_json(&r));
    }
    json_decref(body);
}

void handle_residents_list(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id, limit;
    if (!param_id_or_reply(req, 0, &facility_id) || require_facility_role_or_reply(req, app, facility_id, ROSTER_READERS) == NULL ||
        !query_int_or_reply(req, "limit", 1, ROSTER_MAX_LIMIT, ROSTER_DEFAULT_LIMIT, &limit))
        return;
    const char *cursor = http_query(req, "cursor");
    resident *items;
    size_t count;
    kite_err err = resident_list(&app->ctx, http_arena(req), facility_id, cursor, (size_t)limit + 1, &items, &count);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < count && i < (size_t)limit; i++)
        json_array_append_new(list, resident_to_json(&items[i]));
    json_t *next = count > (size_t)limit ? json_string(items[limit - 1].resident_number) : json_null();
    http_reply_json(req, 200, json_pack("{s:o, s:o}", "items", list, "next_cursor", next));
}

void handle_residents_get(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    if (!param_id_or_reply(req, 0, &facility_id) || require_facility_role_or_reply(req, app, facility_id, ROSTER_READERS) == NULL)
        return;
    resident r = {0};
    kite_err err = resident_get(&app->ctx, http_arena(req), facility_id, http_param(req, 1), &r);
    if (err != KITE_OK)
        reply_kite_error(req, err);
    else
        http_reply_json(req, 200, resident_to_json(&r));
}

void handle_residents_update(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    if (!param_id_or_reply(req, 0, &facility_id))
        return;
    const session *s = require_facility_role_or_reply(req, app, facility_id, ROSTER_WRITERS);
    if (s == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    resident_change change;
    if (body_string_or_reply(req, body, "first_name", false, &change.first_name) &&
        body_string_or_reply(req, body, "last_name", false, &change.last_name) &&
        body_string_or_reply(req, body, "pin", false, &change.pin) &&
        body_string_or_reply(req, body, "status", false, &change.status)) {
        resident r = {0};
        kite_fault fault;
        kite_err err = resident_update(&app->ctx, http_arena(req), facility_id, http_param(req, 1), &change,
                                       session_actor(req, s), &r, &fault);
        if (err != KITE_OK)
            reply_fault(req, &fault);
        else
            http_reply_json(req, 200, resident_to_json(&r));
    }
    json_decref(body);
}

void handle_staff_create(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    if (!param_id_or_reply(req, 0, &facility_id))
        return;
    const session *s = require_facility_role_or_reply(req, app, facility_id, ROSTER_WRITERS);
    if (s == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    const char *email, *full_name, *role_text, *password;
    role r;
    if (body_string_or_reply(req, body, "email", true, &email) &&
        body_string_or_reply(req, body, "full_name", true, &full_name) &&
        body_string_or_reply(req, body, "role", true, &role_text) &&
        body_string_or_reply(req, body, "password", true, &password)) {
        if (!role_parse(role_text, &r) || !role_is_facility_staff(r)) {
            reply_fault_of(req, KITE_ERR_INVALID_FIELD, "role", FAULT_CHOICE);
        } else {
            account acct;
            kite_fault fault;
            kite_err err = account_create_staff_as(&app->ctx, http_arena(req), session_actor(req, s), r, email,
                                                   full_name, password, facility_id, &acct, &fault);
            if (err == KITE_ERR_CONFLICT) /* no such facility: as if the address did not exist */
                reply_kite_error(req, KITE_ERR_NOT_FOUND);
            else if (err != KITE_OK)
                reply_fault(req, &fault);
            else
                http_reply_json(req, 201, account_to_json(&acct));
        }
    }
    json_decref(body);
}

void handle_staff_list(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    if (!param_id_or_reply(req, 0, &facility_id) ||
        require_facility_role_or_reply(req, app, facility_id, ROSTER_WRITERS) == NULL)
        return;
    account *items;
    size_t count;
    kite_err err = staff_list(&app->ctx, http_arena(req), facility_id, &items, &count);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(list, account_to_json(&items[i]));
    http_reply_json(req, 200, json_pack("{s:o, s:n}", "items", list, "next_cursor"));
}

/*
 * POST /api/v1/facilities/{id}/roster: the facility's roster as its jail
 * system exports it, a CSV body (text/csv; header resident_number,
 * first_name, last_name[, pin]), imported in one transaction; the answer
 * counts what happened and lists every refused row with its line and why.
 */
void handle_roster_import(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    if (!param_id_or_reply(req, 0, &facility_id))
        return;
    const session *s = require_facility_role_or_reply(req, app, facility_id, ROSTER_WRITERS);
    if (s == NULL)
        return;
    const char *type = http_header(req, "Content-Type");
    if (type == NULL || (strncmp(type, "text/csv", 8) != 0 && strncmp(type, "application/vnd.ms-excel", 24) != 0)) {
        reply_fault_of(req, KITE_ERR_UNSUPPORTED_MEDIA_TYPE, NULL, FAULT_ROSTER_TYPE);
        return;
    }
    size_t len = 0;
    const char *csv = http_body(req, &len);
    roster_report report;
    kite_err err = roster_import_buffer(&app->ctx, http_arena(req), facility_id, csv != NULL ? csv : "", len,
                                        session_actor(req, s), &report);
    if (err == KITE_ERR_INVALID_FIELD) {
        reply_fault_of(req, err, "file", FAULT_ROSTER_COLUMNS);
        return;
    }
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    json_t *problems = json_array();
    for (size_t i = 0; i < report.problem_count; i++) {
        const roster_problem *p = &report.problems[i];
        json_array_append_new(problems, json_pack("{s:I, s:s, s:s}", "line", (json_int_t)p->line, "field",
                                                  p->fault.field != NULL ? p->fault.field : "",
                                                  "message", fault_sentence(http_arena(req), &p->fault, http_lang(req))));
    }
    http_reply_json(req, 200, json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}", "rows", (json_int_t)report.rows, "added",
                                        (json_int_t)report.added, "updated", (json_int_t)report.updated, "unchanged",
                                        (json_int_t)report.unchanged, "rejected", (json_int_t)report.rejected,
                                        "problems", problems));
}
