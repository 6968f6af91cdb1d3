/*
 * visits.c - video visit bookings (domain/visits/visit.h):
 *   POST /api/v1/visits/quote            contact, resident: {contact_id, starts_at, facility_id?, slot_id?} -> the price;
 *                                        or {visit_id, starts_at, slot_id?}: a reschedule's price, what is held,
 *                                        the difference and whether the payer can pay it
 *   POST /api/v1/visits                  contact, resident: the same -> 201 the visit, its price held
 *   GET  /api/v1/visits?box=upcoming|past&limit=&cursor=  contact, resident: their visits, a page at a time
 *   GET  /api/v1/visits/{id}             the two parties, staff of the facility
 *   POST /api/v1/visits/{id}/approve     staff: {reason?}
 *   POST /api/v1/visits/{id}/decline     staff: {reason}
 *   POST /api/v1/visits/{id}/cancel      a party or staff: {reason?}
 *   POST /api/v1/visits/{id}/reschedule  a party: {starts_at, slot_id?}, Idempotency-Key: moved and re-priced
 *   GET  /api/v1/facilities/{id}/visits?from=&to=&day=&state=&limit=&cursor=  staff: the schedule, pending first
 *                                        (day: YYYY-MM-DD in the facility's time)
 *
 * Every time is given twice: RFC 3339 UTC (starts_at) and the facility's
 * wall time with its offset (starts_at_local), with the zone's name
 * (time_zone), so a page can show the facility's time and the viewer's.
 *
 * SECURITY: the body is untrusted: members are checked for type here
 * (unknown members refused), values by the domain, which also decides
 * scope (404 outside it) and reads every price from the store.  Booking
 * moves money: the door is require_payer_or_reply (a proven address).
 */
#include "api/app.h"
#include "api/visit_json.h"

#include "core/clock.h"
#include "domain/visits/visit.h"

#include <string.h>
#include <time.h>

static bool members_known_or_reply(http_request *req, json_t *body, const char *const *known, size_t n)
{
    const char *key;
    json_t *value;
    json_object_foreach(body, key, value) {
        bool found = false;
        for (size_t i = 0; i < n; i++)
            found = found || strcmp(key, known[i]) == 0;
        if (!found) {
            reply_fault_of(req, KITE_ERR_INVALID_FIELD, key, FAULT_UNKNOWN_MEMBER);
            return false;
        }
    }
    return true;
}

/* starts_at as RFC 3339 (any offset); answers 422 when absent or not a time. */
static bool time_member_or_reply(http_request *req, json_t *body, const char *name, int64_t *out)
{
    const char *text;
    if (!body_string_or_reply(req, body, name, true, &text))
        return false;
    if (!clock_parse_rfc3339(text, out)) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, name, FAULT_FORMAT);
        return false;
    }
    return true;
}

/* The booking body: {contact_id, starts_at, facility_id?, slot_id?}; false after answering. */
static bool request_or_reply(http_request *req, json_t *body, visit_request *r)
{
    static const char *const known[] = {"contact_id", "starts_at", "facility_id", "slot_id"};
    bool present;
    *r = (visit_request){0};
    return members_known_or_reply(req, body, known, 4) &&
           body_int_or_reply(req, body, "contact_id", true, &r->contact_id, &present) &&
           time_member_or_reply(req, body, "starts_at", &r->starts_at) &&
           body_int_or_reply(req, body, "facility_id", false, &r->facility_id, &present) &&
           body_int_or_reply(req, body, "slot_id", false, &r->slot_id, &present);
}

/* A reschedule's quote: {visit_id, starts_at, slot_id?} (the visit names the contact and the facility). */
static void move_quote(http_request *req, kite_app *app, const session *s, json_t *body)
{
    static const char *const known[] = {"visit_id", "starts_at", "slot_id"};
    int64_t visit_id, starts_at, slot_id = 0;
    bool present;
    if (!members_known_or_reply(req, body, known, 3) || !body_int_or_reply(req, body, "visit_id", true, &visit_id, &present) ||
        !time_member_or_reply(req, body, "starts_at", &starts_at) ||
        !body_int_or_reply(req, body, "slot_id", false, &slot_id, &present))
        return;
    visit_quote q;
    kite_fault f = {0};
    if (visit_reschedule_quote(&app->ctx, &s->account, visit_id, starts_at, slot_id, &q, &f) != KITE_OK)
        reply_fault(req, &f);
    else
        http_reply_json(req, 200, visit_quote_json(&q));
}

void handle_visits_quote(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_CONTACT) | ROLE_BIT(ROLE_RESIDENT));
    json_t *body = s ? parse_body_or_reply(req) : NULL;
    visit_request r;
    if (body == NULL)
        return;
    if (json_object_get(body, "visit_id") != NULL) {
        move_quote(req, app, s, body);
    } else if (request_or_reply(req, body, &r)) {
        visit_quote q;
        kite_fault f = {0};
        if (visit_quote_get(&app->ctx, &s->account, &r, &q, &f) != KITE_OK)
            reply_fault(req, &f);
        else
            http_reply_json(req, 200, visit_quote_json(&q));
    }
    json_decref(body);
}

void handle_visits_create(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_payer_or_reply(req, app, ROLE_BIT(ROLE_CONTACT) | ROLE_BIT(ROLE_RESIDENT));
    visit_request r;
    json_t *body = s ? parse_body_or_reply(req) : NULL;
    if (body == NULL)
        return;
    if (!request_or_reply(req, body, &r)) {
        json_decref(body);
        return;
    }
    visit_info *v = arena_alloc(http_arena(req), sizeof *v);
    bool repeat = false;
    kite_fault f = {0};
    if (visit_book(&app->ctx, &s->account, &r, http_header(req, "Idempotency-Key"), v, &repeat, &f) != KITE_OK)
        reply_fault(req, &f);
    else
        http_reply_json(req, 201, visit_json(v, &s->account));
    json_decref(body);
}

/* ?limit=1..VISIT_PAGE_MAX (VISIT_PAGE_MAX when absent); false after answering 422. */
static bool page_limit_or_reply(http_request *req, visit_page_query *q)
{
    int64_t limit;
    if (!query_int_or_reply(req, "limit", 1, VISIT_PAGE_MAX, VISIT_PAGE_MAX, &limit))
        return false;
    q->limit = (size_t)limit;
    return true;
}

static json_t *page_json(const visit_page *page, const account *viewer)
{
    json_t *list = json_array();
    for (size_t i = 0; i < page->count; i++)
        json_array_append_new(list, visit_json(&page->items[i], viewer));
    return json_pack("{s:o, s:o}", "items", list, "next_cursor",
                     page->next_cursor != NULL ? json_string(page->next_cursor) : json_null());
}

void handle_visits_list(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_CONTACT) | ROLE_BIT(ROLE_RESIDENT));
    if (s == NULL)
        return;
    const char *box = http_query(req, "box");
    bool upcoming = box == NULL || *box == '\0' || strcmp(box, "upcoming") == 0;
    if (!upcoming && strcmp(box, "past") != 0) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "box", FAULT_PARAM_CHOICE);
        return;
    }
    visit_page_query q = {http_query(req, "cursor"), 0};
    if (!page_limit_or_reply(req, &q))
        return;
    visit_page page;
    kite_fault f = {0};
    if (visit_list_mine(&app->ctx, http_arena(req), &s->account, upcoming, &q, &page, &f) != KITE_OK) {
        reply_fault(req, &f);
        return;
    }
    http_reply_json(req, 200, page_json(&page, &s->account));
}

void handle_visits_get(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_session_or_reply(req, app);
    int64_t id;
    if (s == NULL || !param_id_or_reply(req, 0, &id))
        return;
    visit_info *v = arena_alloc(http_arena(req), sizeof *v);
    kite_err err = visit_read(&app->ctx, &s->account, id, v);
    if (err != KITE_OK)
        reply_kite_error(req, err);
    else
        http_reply_json(req, 200, visit_json(v, &s->account));
}

/* The optional or required {reason} of a decision; false after answering. */
static bool reason_or_reply(http_request *req, bool required, json_t **body, const char **reason)
{
    static const char *const known[] = {"reason"};
    *reason = NULL;
    *body = NULL;
    size_t len;
    (void)http_body(req, &len);
    if (!required && len == 0)
        return true; /* no body at all: no reason */
    *body = parse_body_or_reply(req);
    return *body != NULL && members_known_or_reply(req, *body, known, 1) &&
           body_string_or_reply(req, *body, "reason", required, reason);
}

typedef enum change_kind { CHANGE_APPROVE, CHANGE_DECLINE, CHANGE_CANCEL } change_kind;

static void change(http_request *req, kite_app *app, change_kind kind)
{
    const session *s = require_session_or_reply(req, app);
    int64_t id;
    if (s == NULL || !param_id_or_reply(req, 0, &id))
        return;
    json_t *body;
    const char *reason;
    /* A decline needs a reason: the domain says so, after the scope (outside it: 404). */
    if (!reason_or_reply(req, false, &body, &reason)) {
        json_decref(body);
        return;
    }
    visit_info *v = arena_alloc(http_arena(req), sizeof *v);
    kite_fault f = {0};
    kite_err err = kind == CHANGE_CANCEL ? visit_cancel(&app->ctx, &s->account, id, reason, v, &f)
                                         : visit_decide(&app->ctx, &s->account, id, kind == CHANGE_APPROVE, reason, v, &f);
    if (err != KITE_OK)
        reply_fault(req, &f);
    else
        http_reply_json(req, 200, visit_json(v, &s->account));
    json_decref(body);
}

void handle_visits_approve(http_request *req, void *data)
{
    change(req, data, CHANGE_APPROVE);
}

void handle_visits_decline(http_request *req, void *data)
{
    change(req, data, CHANGE_DECLINE);
}

void handle_visits_cancel(http_request *req, void *data)
{
    change(req, data, CHANGE_CANCEL);
}

void handle_visits_reschedule(http_request *req, void *data)
{
    kite_app *app = data;
    static const char *const known[] = {"starts_at", "slot_id"};
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_CONTACT) | ROLE_BIT(ROLE_RESIDENT));
    int64_t id, starts_at, slot_id = 0;
    bool present;
    if (s == NULL || !param_id_or_reply(req, 0, &id))
        return;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    if (members_known_or_reply(req, body, known, 2) && time_member_or_reply(req, body, "starts_at", &starts_at) &&
        body_int_or_reply(req, body, "slot_id", false, &slot_id, &present)) {
        visit_info *v = arena_alloc(http_arena(req), sizeof *v);
        kite_fault f = {0};
        bool repeat = false; /* a replay answers as the move did: 200 and the visit */
        if (visit_reschedule(&app->ctx, &s->account, id, starts_at, slot_id, http_header(req, "Idempotency-Key"), v,
                             &repeat, &f) != KITE_OK)
            reply_fault(req, &f);
        else
            http_reply_json(req, 200, visit_json(v, &s->account));
    }
    json_decref(body);
}

/* A query time (RFC 3339, or a YYYY-MM-DD day meaning its UTC midnight); fallback when absent. */
static bool query_time_or_reply(http_request *req, const char *name, int64_t fallback, int64_t *out)
{
    const char *text = http_query(req, name);
    *out = fallback;
    if (text == NULL || *text == '\0')
        return true;
    if (clock_parse_rfc3339(text, out) || (strlen(text) == 10 && clock_parse_day(text, out)))
        return true;
    reply_fault_of(req, KITE_ERR_INVALID_FIELD, name, FAULT_DATE);
    return false;
}

/* The facility's local day as [*from, *to) in UTC; false after answering 422. */
static bool facility_day_or_reply(http_request *req, kite_app *app, int64_t facility_id, const char *day, int64_t *from,
                                  int64_t *to)
{
    int64_t ms;
    visit_policy p = {0};
    kite_fault f = {0};
    if (strlen(day) != 10 || !clock_parse_day(day, &ms)) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "day", FAULT_DATE);
        return false;
    }
    if (visit_policy_get(&app->ctx, facility_id, &p, &f) != KITE_OK) {
        reply_fault(req, &f);
        return false;
    }
    if (p.time_zone[0] == '\0') {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "facility_id", FAULT_VISIT_NO_ZONE);
        return false;
    }
    time_t t = (time_t)(ms / 1000), next = t + 86400;
    struct tm d0, d1;
    gmtime_r(&t, &d0);
    gmtime_r(&next, &d1);
    if (!visit_zone_to_utc(p.time_zone, d0.tm_year + 1900, d0.tm_mon + 1, d0.tm_mday, 0, from) ||
        !visit_zone_to_utc(p.time_zone, d1.tm_year + 1900, d1.tm_mon + 1, d1.tm_mday, 0, to)) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "day", FAULT_DATE);
        return false;
    }
    return true;
}

void handle_facility_visits(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id, from, to;
    if (!param_id_or_reply(req, 0, &facility_id))
        return;
    const session *s = require_facility_role_or_reply(req, app, facility_id,
        ROLE_BIT(ROLE_OPERATOR) | ROLE_BIT(ROLE_FACILITY_ADMIN) | ROLE_BIT(ROLE_REVIEWER));
    int64_t now = clock_now_ms(&app->ctx.clock);
    if (s == NULL || !query_time_or_reply(req, "from", now - INT64_C(86400000), &from) ||
        !query_time_or_reply(req, "to", now + INT64_C(15) * 86400000, &to))
        return;
    /* ?day=YYYY-MM-DD: that day in the facility's own time, midnight to midnight (23 or 25 hours across DST). */
    const char *day = http_query(req, "day");
    if (day != NULL && *day != '\0' && !facility_day_or_reply(req, app, facility_id, day, &from, &to))
        return;
    const char *state_text = http_query(req, "state");
    visit_state state = VISIT_PENDING;
    bool has_state = state_text != NULL && *state_text != '\0';
    if (has_state && !visit_state_parse(state_text, &state)) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "state", FAULT_PARAM_CHOICE);
        return;
    }
    visit_page_query q = {http_query(req, "cursor"), 0};
    if (!page_limit_or_reply(req, &q))
        return;
    visit_page page;
    kite_fault f = {0};
    if (visit_list_facility(&app->ctx, http_arena(req), &s->account, facility_id, from, to, has_state, state, &q,
                            &page, &f) != KITE_OK) {
        reply_fault(req, &f);
        return;
    }
    http_reply_json(req, 200, page_json(&page, &s->account));
}

/* Everything the person has: every page of both boxes (an export never stops at a page). */
/* The history of the caller's visits: each move, oldest first within a visit. */
json_t *visit_moves_export_json(kite_app *app, arena *a, const account *caller)
{
    visit_move *moves;
    size_t count;
    if (visit_moves_mine(&app->ctx, a, caller, &moves, &count) != KITE_OK)
        return NULL;
    json_t *list = json_array();
    for (size_t i = 0; i < count; i++) {
        const visit_move *m = &moves[i];
        json_array_append_new(list, json_pack("{s:I, s:o, s:s, s:o, s:o, s:I, s:I}", "visit_id", (json_int_t)m->visit_id,
                                              "moved_at", json_time(m->moved_at), "moved_by",
                                              m->by_contact ? "contact" : "resident", "from_starts_at",
                                              json_time(m->from_starts_at), "to_starts_at", json_time(m->to_starts_at),
                                              "from_price_cents", (json_int_t)m->from_price_cents, "to_price_cents",
                                              (json_int_t)m->to_price_cents));
    }
    return list;
}

json_t *visits_export_json(kite_app *app, arena *a, const account *caller)
{
    json_t *list = json_array();
    for (int box = 0; box < 2; box++) {
        visit_page_query q = {NULL, VISIT_PAGE_MAX};
        do {
            visit_page page;
            kite_fault f = {0};
            if (visit_list_mine(&app->ctx, a, caller, box == 0, &q, &page, &f) != KITE_OK) {
                json_decref(list);
                return NULL;
            }
            for (size_t i = 0; i < page.count; i++)
                json_array_append_new(list, visit_json(&page.items[i], caller));
            q.cursor = page.next_cursor;
        } while (q.cursor != NULL);
    }
    return list;
}
