/*
 * visit_setup.c - what a facility offers for video visits
 * (domain/visits/visit_setup.h):
 *   GET  /api/v1/facilities/{id}/visit-policy      signed in, in scope: the policy and time zone
 *   PUT  /api/v1/facilities/{id}/visit-policy      facility admin, operator: the whole policy
 *   GET  /api/v1/facilities/{id}/visit-rooms       signed in, in scope
 *   POST /api/v1/facilities/{id}/visit-rooms       facility admin, operator: {name}
 *   GET  /api/v1/facilities/{id}/visit-slots       signed in, in scope: weekly slots and the bookable starts
 *   POST /api/v1/facilities/{id}/visit-slots       facility admin, operator: {room_id, weekday, start_time, length_minutes, capacity}
 *   DELETE /api/v1/facilities/{id}/visit-slots/{slot_id}          retires a slot (booked visits keep it)
 *   GET  /api/v1/facilities/{id}/visit-blackouts   signed in, in scope
 *   POST /api/v1/facilities/{id}/visit-blackouts   facility admin, operator: {day: YYYY-MM-DD, reason?}
 *   DELETE /api/v1/facilities/{id}/visit-blackouts/{blackout_id}
 *
 * SECURITY: staff of another facility get 404 (require_facility_role_or_reply);
 * members are type-checked here and validated by the domain.
 */
#include "api/app.h"
#include "api/visit_json.h"

#include "domain/visits/visit.h"

#include <stdio.h>
#include <string.h>

#define ANY_SIGNED_IN                                                                                              \
    (ROLE_BIT(ROLE_CONTACT) | ROLE_BIT(ROLE_RESIDENT) | ROLE_BIT(ROLE_REVIEWER) | ROLE_BIT(ROLE_FACILITY_ADMIN) |  \
     ROLE_BIT(ROLE_INVESTIGATOR) | ROLE_BIT(ROLE_OPERATOR))
#define ADMINS (ROLE_BIT(ROLE_FACILITY_ADMIN) | ROLE_BIT(ROLE_OPERATOR))

static const session *door(http_request *req, kite_app *app, unsigned mask, int64_t *facility_id)
{
    if (!param_id_or_reply(req, 0, facility_id))
        return NULL;
    return require_facility_role_or_reply(req, app, *facility_id, mask);
}

void handle_visit_policy_get(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    if (door(req, app, ANY_SIGNED_IN, &facility_id) == NULL)
        return;
    visit_policy p = {0};
    kite_fault f = {0};
    if (visit_policy_get(&app->ctx, facility_id, &p, &f) != KITE_OK)
        reply_fault(req, &f);
    else
        http_reply_json(req, 200, visit_policy_json(&p));
}

/* One member of the policy body into p; false after answering. */
static bool policy_member_or_reply(http_request *req, const char *key, json_t *value, visit_policy *p)
{
    struct {
        const char *name;
        int64_t *at;
    } ints[] = {{"lead_minutes", &p->lead_minutes},
                {"horizon_days", &p->horizon_days},
                {"cancel_cutoff_minutes", &p->cancel_cutoff_minutes},
                {"no_show_grace_minutes", &p->no_show_grace_minutes}};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if (strcmp(key, ints[i].name) == 0) {
            if (!json_is_integer(value)) {
                reply_fault_of(req, KITE_ERR_INVALID_FIELD, ints[i].name, FAULT_NOT_INTEGER);
                return false;
            }
            *ints[i].at = (int64_t)json_integer_value(value);
            return true;
        }
    if (strcmp(key, "approval_required") == 0 || strcmp(key, "monitoring_required") == 0) {
        if (!json_is_boolean(value)) {
            reply_fault_of(req, KITE_ERR_INVALID_FIELD, key[0] == 'a' ? "approval_required" : "monitoring_required",
                           FAULT_NOT_BOOLEAN);
            return false;
        }
        *(key[0] == 'a' ? &p->approval_required : &p->monitoring_required) = json_is_true(value);
        return true;
    }
    if (strcmp(key, "time_zone") == 0 && (json_is_string(value) || json_is_null(value))) {
        const char *zone = json_is_string(value) ? json_string_value(value) : "";
        if (strlen(zone) >= sizeof p->time_zone) {
            reply_fault_of(req, KITE_ERR_INVALID_FIELD, "time_zone", FAULT_TIME_ZONE);
            return false;
        }
        snprintf(p->time_zone, sizeof p->time_zone, "%s", zone);
        return true;
    }
    if (strcmp(key, "late_cancel_refund") == 0 && json_is_string(value) &&
        visit_late_refund_parse(json_string_value(value), &p->late_cancel_refund))
        return true;
    static const char *const read_only[] = {"facility_id", "stored", "suggested_time_zone"};
    for (size_t i = 0; i < sizeof read_only / sizeof read_only[0]; i++)
        if (strcmp(key, read_only[i]) == 0)
            return true; /* what GET answered may be sent back as it was */
    bool known = strcmp(key, "time_zone") == 0 || strcmp(key, "late_cancel_refund") == 0;
    reply_fault_of(req, KITE_ERR_INVALID_FIELD, key, known ? FAULT_NOT_VALID : FAULT_UNKNOWN_MEMBER);
    return false;
}

void handle_visit_policy_put(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    const session *s = door(req, app, ADMINS, &facility_id);
    if (s == NULL)
        return;
    visit_policy p = {0};
    kite_fault f = {0};
    if (visit_policy_get(&app->ctx, facility_id, &p, &f) != KITE_OK) {
        reply_fault(req, &f);
        return;
    }
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    const char *key;
    json_t *value;
    bool ok = true;
    json_object_foreach(body, key, value) {
        if (ok && !policy_member_or_reply(req, key, value, &p))
            ok = false;
    }
    visit_policy out;
    if (ok && visit_policy_save(&app->ctx, &s->account, &p, &out, &f) != KITE_OK)
        reply_fault(req, &f);
    else if (ok)
        http_reply_json(req, 200, visit_policy_json(&out));
    json_decref(body);
}

static json_t *room_json(const visit_room *r)
{
    return json_pack("{s:I, s:I, s:s, s:b, s:o}", "id", (json_int_t)r->id, "facility_id", (json_int_t)r->facility_id,
                     "name", r->name, "active", r->active, "created_at", json_time(r->created_at));
}

void handle_visit_rooms_list(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    if (door(req, app, ANY_SIGNED_IN, &facility_id) == NULL)
        return;
    visit_room *items;
    size_t count;
    kite_err err = visit_rooms_list(&app->ctx, http_arena(req), facility_id, &items, &count);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(list, room_json(&items[i]));
    http_reply_json(req, 200, json_pack("{s:o, s:n}", "items", list, "next_cursor"));
}

void handle_visit_rooms_create(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    const session *s = door(req, app, ADMINS, &facility_id);
    json_t *body = s ? parse_body_or_reply(req) : NULL;
    const char *name;
    if (body != NULL && body_string_or_reply(req, body, "name", true, &name)) {
        visit_room r;
        kite_fault f = {0};
        if (visit_room_add(&app->ctx, http_arena(req), &s->account, facility_id, name, &r, &f) != KITE_OK)
            reply_fault(req, &f);
        else
            http_reply_json(req, 201, room_json(&r));
    }
    json_decref(body);
}

static json_t *slot_json(const visit_slot *sl)
{
    char start[8];
    snprintf(start, sizeof start, "%02d:%02d", sl->start_minute / 60 % 100, sl->start_minute % 60);
    return json_pack("{s:I, s:I, s:I, s:i, s:s, s:i, s:i, s:i}", "id", (json_int_t)sl->id, "facility_id",
                     (json_int_t)sl->facility_id, "room_id", (json_int_t)sl->room_id, "weekday", sl->weekday,
                     "start_time", start, "start_minute", sl->start_minute, "length_minutes", sl->length_minutes,
                     "capacity", sl->capacity);
}

static json_t *openings_json(const visit_opening *o, size_t count, const char *zone)
{
    json_t *list = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(list,
            json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:i, s:i, s:I}", "slot_id", (json_int_t)o[i].slot_id,
                      "room_id", (json_int_t)o[i].room_id, "starts_at", json_time(o[i].starts_at), "ends_at",
                      json_time(o[i].ends_at), "starts_at_local", visit_local_json(zone, o[i].starts_at),
                      "ends_at_local", visit_local_json(zone, o[i].ends_at), "length_minutes", o[i].length_minutes,
                      "places_left", o[i].places_left, "price_cents", (json_int_t)o[i].price_cents));
    return list;
}

void handle_visit_slots_list(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    if (door(req, app, ANY_SIGNED_IN, &facility_id) == NULL)
        return;
    visit_slot *items;
    size_t count;
    kite_err err = visit_slots_list(&app->ctx, http_arena(req), facility_id, &items, &count);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(list, slot_json(&items[i]));
    visit_policy p = {0};
    visit_opening *open;
    size_t open_count;
    kite_fault f = {0};
    err = visit_openings(&app->ctx, http_arena(req), facility_id, &p, &open, &open_count, &f);
    if (err != KITE_OK && err != KITE_ERR_INVALID_FIELD) {
        json_decref(list);
        reply_fault(req, &f);
        return;
    }
    /* Without a time zone there are weekly slots but no bookable start: openings is empty. */
    json_t *out = json_pack("{s:o, s:o, s:o, s:o}", "items", list, "time_zone",
                            err == KITE_OK ? json_string(p.time_zone) : json_null(), "openings",
                            err == KITE_OK ? openings_json(open, open_count, p.time_zone) : json_array(), "next_cursor",
                            json_null());
    http_reply_json(req, 200, out);
}

/* "HH:MM" as minutes after midnight, or -1. */
static int parse_start(const char *t)
{
    if (t == NULL || strlen(t) != 5 || t[2] != ':' || t[0] < '0' || t[0] > '2' || t[1] < '0' || t[1] > '9' ||
        t[3] < '0' || t[3] > '5' || t[4] < '0' || t[4] > '9')
        return -1;
    int h = (t[0] - '0') * 10 + (t[1] - '0'), m = (t[3] - '0') * 10 + (t[4] - '0');
    return h < 24 ? h * 60 + m : -1;
}

void handle_visit_slots_create(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id, room_id, weekday, length, capacity;
    const session *s = door(req, app, ADMINS, &facility_id);
    json_t *body = s ? parse_body_or_reply(req) : NULL;
    const char *start;
    bool present;
    if (body == NULL || !body_int_or_reply(req, body, "room_id", true, &room_id, &present) ||
        !body_int_or_reply(req, body, "weekday", true, &weekday, &present) ||
        !body_string_or_reply(req, body, "start_time", true, &start) ||
        !body_int_or_reply(req, body, "length_minutes", true, &length, &present) ||
        !body_int_or_reply(req, body, "capacity", true, &capacity, &present)) {
        json_decref(body);
        return;
    }
    int minute = parse_start(start);
    if (minute < 0) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "start_time", FAULT_FORMAT);
        json_decref(body);
        return;
    }
    /* Bounded before narrowing to int: the domain checks the ranges themselves. */
    visit_slot in = {.facility_id = facility_id, .room_id = room_id,
                     .weekday = weekday < -1 || weekday > 7 ? -1 : (int)weekday, .start_minute = minute,
                     .length_minutes = length < 0 || length > 100000 ? -1 : (int)length,
                     .capacity = capacity < 0 || capacity > 100000 ? -1 : (int)capacity};
    visit_slot out;
    kite_fault f = {0};
    if (visit_slot_add(&app->ctx, &s->account, &in, &out, &f) != KITE_OK)
        reply_fault(req, &f);
    else
        http_reply_json(req, 201, slot_json(&out));
    json_decref(body);
}

void handle_visit_slots_retire(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id, slot_id;
    const session *s = door(req, app, ADMINS, &facility_id);
    if (s == NULL || !param_id_or_reply(req, 1, &slot_id))
        return;
    kite_err err = visit_slot_retire(&app->ctx, &s->account, facility_id, slot_id);
    if (err != KITE_OK)
        reply_kite_error(req, err);
    else
        http_reply_empty(req, 204);
}

static json_t *blackout_json(const visit_blackout *b)
{
    return json_pack("{s:I, s:I, s:s, s:s, s:o}", "id", (json_int_t)b->id, "facility_id", (json_int_t)b->facility_id,
                     "day", b->day, "reason", b->reason, "created_at", json_time(b->created_at));
}

void handle_visit_blackouts_list(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    if (door(req, app, ANY_SIGNED_IN, &facility_id) == NULL)
        return;
    visit_blackout *items;
    size_t count;
    kite_err err = visit_blackouts_list(&app->ctx, http_arena(req), facility_id, &items, &count);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(list, blackout_json(&items[i]));
    http_reply_json(req, 200, json_pack("{s:o, s:n}", "items", list, "next_cursor"));
}

void handle_visit_blackouts_create(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    const session *s = door(req, app, ADMINS, &facility_id);
    json_t *body = s ? parse_body_or_reply(req) : NULL;
    const char *day, *reason;
    if (body != NULL && body_string_or_reply(req, body, "day", true, &day) &&
        body_string_or_reply(req, body, "reason", false, &reason)) {
        visit_blackout b;
        kite_fault f = {0};
        if (visit_blackout_add(&app->ctx, http_arena(req), &s->account, facility_id, day, reason, &b, &f) != KITE_OK)
            reply_fault(req, &f);
        else
            http_reply_json(req, 201, blackout_json(&b));
    }
    json_decref(body);
}

void handle_visit_blackouts_delete(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id, blackout_id;
    const session *s = door(req, app, ADMINS, &facility_id);
    if (s == NULL || !param_id_or_reply(req, 1, &blackout_id))
        return;
    kite_err err = visit_blackout_remove(&app->ctx, &s->account, facility_id, blackout_id);
    if (err != KITE_OK)
        reply_kite_error(req, err);
    else
        http_reply_empty(req, 204);
}
