/*
 * visit_change.c - what happens to a booked visit before it begins: staff
 * approve or decline it, a party or staff cancel it, a party moves it; and
 * the lists of visits (visit.h).
 *
 * Design: each change reads the visit, checks the caller's scope and the
 * move against visit_state.c's table, then writes the new state with a
 * conditional UPDATE on the state it read, settles the money and appends
 * the audit record, all in one transaction.
 *
 * SECURITY: scope first (outside it: NOT_FOUND, as if the visit did not
 * exist); money settled from the stored hold only.  Who may do what:
 * approve/decline - staff of the facility; cancel - either party or staff;
 * reschedule - either party.
 */
#include "domain/visits/visit_store.h"

#include "core/text.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MINUTE_MS INT64_C(60000)

static bool is_party(const account *caller, const visit_info *v)
{
    return (caller->role == ROLE_CONTACT && caller->id == v->contact_account_id) ||
           (caller->role == ROLE_RESIDENT && caller->id == v->resident_account_id);
}

static bool in_scope(const account *caller, const visit_info *v)
{
    return is_party(caller, v) || visit_staff_in_scope(caller, v->facility_id);
}

/* A reason: required (1..VISIT_REASON_MAX_CHARS characters of text) or absent when optional. */
static kite_err reason_check(const char *reason, bool required, kite_fault *f)
{
    if (reason == NULL || reason[0] == '\0')
        return required ? fault_set(f, KITE_ERR_INVALID_FIELD, "reason", FAULT_REQUIRED) : KITE_OK;
    if (!utf8_valid(reason, strlen(reason)) || utf8_length(reason) > VISIT_REASON_MAX_CHARS) {
        fault_set(f, KITE_ERR_INVALID_FIELD, "reason", FAULT_LENGTH);
        f->limit = VISIT_REASON_MAX_CHARS;
        return f->code;
    }
    return KITE_OK;
}

typedef struct change_job {
    const kite_ctx *ctx;
    const account *caller;
    int64_t visit_id;
    bool approve;
    const char *reason;
    int64_t starts_at, slot_id;
    visit_info *out;
    kite_fault *fault;
} change_job;

/* Moves v from its state to `to`, with the reason and (for an end) ended_at; ALREADY_DECIDED when it moved meanwhile. */
static kite_err move_state(db_conn *conn, int64_t now, const visit_info *v, visit_state to, const char *reason,
                           kite_fault *f)
{
    if (!visit_transition_allowed(v->state, to))
        return fault_set(f, KITE_ERR_ALREADY_DECIDED, NULL, FAULT_VISIT_STATE);
    bool closes = to == VISIT_DECLINED || to == VISIT_CANCELLED;
    db_stmt *s = db_prepare(conn, "UPDATE visits SET state = $1, reason = COALESCE($2, reason), updated_at = $3,"
                                  " ended_at = CASE WHEN $4 = 1 THEN $3 ELSE ended_at END"
                                  " WHERE id = $5 AND state = $6");
    db_bind_text(s, 1, visit_state_name(to));
    db_bind_text(s, 2, reason && reason[0] ? reason : NULL);
    db_bind_int(s, 3, now);
    db_bind_int(s, 4, closes);
    db_bind_int(s, 5, v->id);
    db_bind_text(s, 6, visit_state_name(v->state));
    kite_err err = db_exec(s);
    if (err != KITE_OK)
        return err;
    return db_changes(conn) == 1 ? KITE_OK : fault_set(f, KITE_ERR_ALREADY_DECIDED, NULL, FAULT_VISIT_STATE);
}

/* Gives the visit's place in its slot occurrence back. */
static kite_err free_place(db_conn *conn, const visit_info *v)
{
    db_stmt *s = db_prepare(conn, "UPDATE visit_occupancy SET taken = taken - 1"
                                  " WHERE slot_id = $1 AND starts_at = $2 AND taken > 0");
    db_bind_int(s, 1, v->slot_id);
    db_bind_int(s, 2, v->starts_at);
    return db_exec(s);
}

static kite_err set_charged(db_conn *conn, const visit_info *v, int64_t charged)
{
    db_stmt *s = db_prepare(conn, "UPDATE visits SET charged_cents = $1 WHERE id = $2");
    db_bind_int(s, 1, charged);
    db_bind_int(s, 2, v->id);
    return db_exec(s);
}

static kite_err load_in_scope(db_conn *conn, const change_job *j, visit_info *v)
{
    kite_err err = visit_get(conn, j->visit_id, v);
    if (err == KITE_OK && !in_scope(j->caller, v))
        err = KITE_ERR_NOT_FOUND;
    return err;
}

static void actor_of(const account *caller, char *buf, size_t size)
{
    snprintf(buf, size, "account:%" PRId64, caller->id);
}

static kite_err decide_tx(db_conn *conn, void *arg)
{
    change_job *j = arg;
    int64_t now = clock_now_ms(&j->ctx->clock);
    visit_info v;
    kite_err err = load_in_scope(conn, j, &v);
    if (err != KITE_OK)
        return err;
    if (!visit_staff_in_scope(j->caller, v.facility_id))
        return KITE_ERR_NOT_FOUND;
    /* The words are judged after the scope: outside it, nobody learns more than 404. */
    if ((err = reason_check(j->reason, !j->approve, j->fault)) != KITE_OK)
        return err;
    visit_state to = j->approve ? VISIT_APPROVED : VISIT_DECLINED;
    if (v.state != VISIT_PENDING)
        return fault_set(j->fault, KITE_ERR_ALREADY_DECIDED, NULL, FAULT_VISIT_STATE);
    /* A contact removed, blocked or suspended since the booking: the sweeper calls the visit off; no approval. */
    if (j->approve && !v.contact_active)
        return fault_set(j->fault, KITE_ERR_CONTACT_NOT_ACTIVE, NULL, FAULT_VISIT_CONTACT_ENDED);
    if ((err = move_state(conn, now, &v, to, j->reason, j->fault)) != KITE_OK)
        return err;
    char actor[32];
    actor_of(j->caller, actor, sizeof actor);
    if (!j->approve && ((err = free_place(conn, &v)) != KITE_OK || (err = visit_settle(conn, now, actor, &v, 0)) != KITE_OK))
        return err;
    if ((err = visit_audit(conn, now, actor, j->approve ? "visit.approve" : "visit.decline", &v, j->reason)) != KITE_OK ||
        (err = visit_get(conn, v.id, j->out)) != KITE_OK)
        return err;
    return visit_notify(conn, j->ctx->public_url, now, j->out, j->approve ? VISIT_NOTICE_APPROVED : VISIT_NOTICE_DECLINED);
}

kite_err visit_decide(const kite_ctx *ctx, const account *caller, int64_t visit_id, bool approve, const char *reason,
                      visit_info *out, kite_fault *fault)
{
    change_job j = {.ctx = ctx, .caller = caller, .visit_id = visit_id, .approve = approve, .reason = reason,
                    .out = out, .fault = fault};
    return fault_settle(fault, db_write(ctx->store, decide_tx, &j));
}

/*
 * What a cancellation keeps: nothing when staff cancel, or a party before
 * the cut-off; after it, the whole price when the policy keeps late
 * cancellations (late_cancel_refund none), else nothing.
 */
static kite_err cancel_keeps(db_conn *conn, int64_t now, const account *caller, const visit_info *v, int64_t *keep,
                             kite_fault *f)
{
    *keep = 0;
    if (!is_party(caller, v))
        return KITE_OK;
    visit_policy p;
    kite_err err = visit_policy_load(conn, v->facility_id, &p, f);
    if (err != KITE_OK)
        return err;
    bool late = now > v->starts_at - p.cancel_cutoff_minutes * MINUTE_MS;
    if (late && p.late_cancel_refund == VISIT_LATE_REFUND_NONE)
        *keep = v->price_cents;
    return KITE_OK;
}

static kite_err cancel_tx(db_conn *conn, void *arg)
{
    change_job *j = arg;
    int64_t now = clock_now_ms(&j->ctx->clock);
    visit_info v;
    kite_err err = load_in_scope(conn, j, &v);
    if (err != KITE_OK || (err = reason_check(j->reason, false, j->fault)) != KITE_OK)
        return err;
    if (v.state == VISIT_IN_PROGRESS || (v.state == VISIT_APPROVED && v.connected_at != 0))
        return fault_set(j->fault, KITE_ERR_ALREADY_DECIDED, NULL, FAULT_VISIT_STARTED);
    int64_t keep;
    if ((err = cancel_keeps(conn, now, j->caller, &v, &keep, j->fault)) != KITE_OK ||
        (err = move_state(conn, now, &v, VISIT_CANCELLED, j->reason, j->fault)) != KITE_OK)
        return err;
    char actor[32];
    actor_of(j->caller, actor, sizeof actor);
    if ((err = free_place(conn, &v)) != KITE_OK || (err = visit_settle(conn, now, actor, &v, keep)) != KITE_OK ||
        (err = set_charged(conn, &v, keep)) != KITE_OK)
        return err;
    const char *action = is_party(j->caller, &v) ? "visit.cancel" : "visit.cancel_by_facility";
    if ((err = visit_audit(conn, now, actor, action, &v, j->reason)) != KITE_OK)
        return err;
    if (!is_party(j->caller, &v)) {
        db_stmt *s = db_prepare(conn, "UPDATE visits SET end_reason = $1 WHERE id = $2");
        db_bind_text(s, 1, visit_end_reason_name(VISIT_END_CANCELLED_BY_FACILITY));
        db_bind_int(s, 2, v.id);
        if ((err = db_exec(s)) != KITE_OK)
            return err;
    }
    if ((err = visit_get(conn, v.id, j->out)) != KITE_OK)
        return err;
    return visit_notify(conn, j->ctx->public_url, now, j->out, VISIT_NOTICE_CANCELLED);
}

kite_err visit_cancel(const kite_ctx *ctx, const account *caller, int64_t visit_id, const char *reason,
                      visit_info *out, kite_fault *fault)
{
    change_job j = {.ctx = ctx, .caller = caller, .visit_id = visit_id, .reason = reason, .out = out, .fault = fault};
    return fault_settle(fault, db_write(ctx->store, cancel_tx, &j));
}

/* The sweeper calls a visit off (reason: the words both sides read; action: the audit's): full release, both told. */
static kite_err cancel_by_system(db_conn *conn, const char *public_url, int64_t now, const visit_info *v,
                                 const char *reason, const char *action)
{
    kite_fault f = {0};
    kite_err err = move_state(conn, now, v, VISIT_CANCELLED, reason, &f);
    if (err != KITE_OK || (err = free_place(conn, v)) != KITE_OK || (err = visit_settle(conn, now, "system", v, 0)) != KITE_OK ||
        (err = set_charged(conn, v, 0)) != KITE_OK || (err = visit_audit(conn, now, "system", action, v, NULL)) != KITE_OK)
        return err;
    visit_info now_v;
    if ((err = visit_get(conn, v->id, &now_v)) != KITE_OK)
        return err;
    return visit_notify(conn, public_url, now, &now_v, VISIT_NOTICE_CANCELLED);
}

kite_err visit_cancel_unapproved(db_conn *conn, const char *public_url, int64_t now, const visit_info *v)
{
    return cancel_by_system(conn, public_url, now, v, VISIT_REASON_UNAPPROVED, "visit.cancel_unapproved");
}

kite_err visit_cancel_contact_ended(db_conn *conn, const char *public_url, int64_t now, const visit_info *v)
{
    return cancel_by_system(conn, public_url, now, v, VISIT_REASON_CONTACT_ENDED, "visit.cancel_contact_ended");
}

typedef struct read_job {
    const account *caller;
    int64_t visit_id;
    visit_info *out;
} read_job;

static kite_err read_tx(db_conn *conn, void *arg)
{
    read_job *j = arg;
    kite_err err = visit_get(conn, j->visit_id, j->out);
    if (err == KITE_OK && !in_scope(j->caller, j->out))
        err = KITE_ERR_NOT_FOUND;
    return err;
}

kite_err visit_read(const kite_ctx *ctx, const account *caller, int64_t visit_id, visit_info *out)
{
    read_job j = {caller, visit_id, out};
    return db_read(ctx->store, read_tx, &j);
}

typedef struct list_job {
    arena *a;
    const char *where_order;
    int64_t p1, p2, p3;
    const char *state;
    const visit_page_query *q;
    bool after;                          /* a cursor was given: */
    int64_t after_group, after_start, after_id; /* its last item's group, start and id */
    bool pending_first;                  /* the facility's order: pending (group 0) before the rest */
    visit_page *out;
} list_job;

/* "G.STARTS.ID", each part digits only (STARTS may be negative: before 1970 is not a visit, but say no clearly). */
static bool cursor_parse(const char *cursor, int64_t *group, int64_t *start, int64_t *id)
{
    if ((cursor[0] != '0' && cursor[0] != '1') || cursor[1] != '.')
        return false;
    const char *p = cursor + 2;
    char *end = NULL;
    if (*p < '0' || *p > '9')
        return false;
    long long starts = strtoll(p, &end, 10);
    if (*end != '.' || end[1] < '1' || end[1] > '9')
        return false;
    p = end + 1;
    long long n = strtoll(p, &end, 10);
    if (*end != '\0' || n <= 0 || starts < 0 || n == LLONG_MAX || starts == LLONG_MAX)
        return false;
    *group = cursor[0] - '0';
    *start = starts;
    *id = n;
    return true;
}

static kite_err list_tx(db_conn *conn, void *arg)
{
    list_job *j = arg;
    char sql[VISIT_SQL_MAX];
    snprintf(sql, sizeof sql, "%s %s LIMIT $10", visit_select_sql, j->where_order);
    db_stmt *s = db_prepare(conn, sql);
    db_bind_int(s, 1, j->p1);
    db_bind_int(s, 2, j->p2);
    db_bind_int(s, 3, j->p3);
    db_bind_text(s, 4, j->state);
    db_bind_text(s, 5, visit_state_name(VISIT_PENDING));
    db_bind_int(s, 6, j->after_start);
    db_bind_int(s, 7, j->after_id);
    db_bind_int(s, 8, j->after ? 1 : 0);
    db_bind_int(s, 9, j->after_group);
    db_bind_int(s, 10, (int64_t)j->q->limit + 1); /* one more: is there a next page? */
    visit_page *out = j->out;
    size_t cap = 0;
    out->count = 0;
    bool known = true, more = false;
    while (db_next(s)) {
        if (out->count == j->q->limit) {
            more = true;
            break;
        }
        out->items = arena_grow(j->a, out->items, out->count, &cap, sizeof *out->items);
        known = visit_row(s, &out->items[out->count++]) && known;
    }
    kite_err err = db_done(s);
    if (err != KITE_OK)
        return err;
    if (more) {
        const visit_info *last = &out->items[out->count - 1];
        int group = j->pending_first && last->state != VISIT_PENDING ? 1 : 0;
        out->next_cursor = arena_sprintf(j->a, "%d.%lld.%lld", group, (long long)last->starts_at, (long long)last->id);
    }
    return known ? KITE_OK : KITE_ERR_INTERNAL;
}

/* Checks the query, reads the page; a bad limit or cursor is the caller's 422. */
static kite_err list_read(const kite_ctx *ctx, list_job *j, kite_fault *fault)
{
    *j->out = (visit_page){0};
    if (j->q->limit < 1 || j->q->limit > VISIT_PAGE_MAX)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "limit", FAULT_NOT_VALID);
    if (j->q->cursor != NULL && j->q->cursor[0] != '\0') {
        if (!cursor_parse(j->q->cursor, &j->after_group, &j->after_start, &j->after_id) ||
            (!j->pending_first && j->after_group != 0))
            return fault_set(fault, KITE_ERR_INVALID_FIELD, "cursor", FAULT_UNKNOWN);
        j->after = true;
    }
    return fault_settle(fault, db_read(ctx->store, list_tx, j));
}

kite_err visit_list_mine(const kite_ctx *ctx, arena *a, const account *caller, bool upcoming,
                         const visit_page_query *q, visit_page *out, kite_fault *fault)
{
    if (caller->role != ROLE_CONTACT && caller->role != ROLE_RESIDENT)
        return fault_set(fault, KITE_ERR_FORBIDDEN, NULL, FAULT_NONE);
    list_job j = {.a = a, .p1 = caller->id, .p2 = clock_now_ms(&ctx->clock), .p3 = 0, .state = "", .q = q, .out = out};
    const char *who = caller->role == ROLE_CONTACT ? "v.contact_account_id" : "v.resident_account_id";
    /* Upcoming: not over yet (ends in the future, not declined or cancelled); past: the rest.  $3, $4, $5 and $9
     * are the facility list's: named here too, since PostgreSQL must see every parameter to type it. */
    j.where_order = arena_sprintf(a,
        upcoming ? "WHERE %s = $1 AND v.ends_at > $2 AND v.ended_at IS NULL AND $3 = 0 AND $4 = $4 AND $5 = $5"
                   " AND $9 = $9 AND ($8 = 0 OR v.starts_at > $6 OR (v.starts_at = $6 AND v.id > $7))"
                   " ORDER BY v.starts_at, v.id"
                 : "WHERE %s = $1 AND (v.ends_at <= $2 OR v.ended_at IS NOT NULL) AND $3 = 0 AND $4 = $4"
                   " AND $5 = $5 AND $9 = $9 AND ($8 = 0 OR v.starts_at < $6 OR (v.starts_at = $6 AND v.id < $7))"
                   " ORDER BY v.starts_at DESC, v.id DESC",
        who);
    return list_read(ctx, &j, fault);
}

typedef struct moves_job {
    arena *a;
    const account *caller;
    visit_move *items;
    size_t count;
} moves_job;

static kite_err moves_tx(db_conn *conn, void *arg)
{
    moves_job *j = arg;
    /* The contact's own visits only: the column visit_list_mine reads.  Bounded by the person's visits. */
    db_stmt *s = db_prepare(conn, "SELECT m.visit_id, m.created_at, m.account_id = v.contact_account_id,"
                                  " m.from_starts_at, m.to_starts_at, m.from_price_cents, m.to_price_cents"
                                  " FROM visit_moves m JOIN visits v ON v.id = m.visit_id"
                                  " WHERE v.contact_account_id = $1 ORDER BY m.visit_id, m.created_at, m.id");
    db_bind_int(s, 1, j->caller->id);
    size_t cap = 0;
    while (db_next(s)) {
        j->items = arena_grow(j->a, j->items, j->count, &cap, sizeof *j->items);
        j->items[j->count++] = (visit_move){.visit_id = db_int(s, 0), .moved_at = db_int(s, 1),
                                            .by_contact = db_int(s, 2) != 0, .from_starts_at = db_int(s, 3),
                                            .to_starts_at = db_int(s, 4), .from_price_cents = db_int(s, 5),
                                            .to_price_cents = db_int(s, 6)};
    }
    return db_done(s);
}

kite_err visit_moves_mine(const kite_ctx *ctx, arena *a, const account *caller, visit_move **items, size_t *count)
{
    *items = NULL;
    *count = 0;
    if (caller->role != ROLE_CONTACT)
        return KITE_ERR_FORBIDDEN;
    moves_job j = {.a = a, .caller = caller};
    kite_err err = db_read(ctx->store, moves_tx, &j);
    if (err == KITE_OK) {
        *items = j.items;
        *count = j.count;
    }
    return err;
}

kite_err visit_list_facility(const kite_ctx *ctx, arena *a, const account *caller, int64_t facility_id, int64_t from,
                             int64_t to, bool has_state, visit_state state, const visit_page_query *q,
                             visit_page *out, kite_fault *fault)
{
    if (!visit_staff_in_scope(caller, facility_id))
        return fault_set(fault, KITE_ERR_NOT_FOUND, NULL, FAULT_NONE);
    list_job j = {.a = a, .p1 = facility_id, .p2 = from, .p3 = to, .state = has_state ? visit_state_name(state) : "",
                  .q = q, .pending_first = true, .out = out};
    j.where_order = "WHERE v.facility_id = $1 AND v.starts_at >= $2 AND v.starts_at < $3"
                    " AND ($4 = '' OR v.state = $4)"
                    " AND ($8 = 0 OR (CASE WHEN v.state = $5 THEN 0 ELSE 1 END) > $9"
                    " OR ((CASE WHEN v.state = $5 THEN 0 ELSE 1 END) = $9"
                    " AND (v.starts_at > $6 OR (v.starts_at = $6 AND v.id > $7))))"
                    " ORDER BY CASE WHEN v.state = $5 THEN 0 ELSE 1 END, v.starts_at, v.id";
    return list_read(ctx, &j, fault);
}

/* One of a leaving resident's visits, called off by the facility: everything given back. */
static kite_err close_one(db_conn *conn, int64_t now, const char *actor, int64_t visit_id)
{
    visit_info v;
    kite_err err = visit_get(conn, visit_id, &v);
    if (err != KITE_OK)
        return err;
    if (v.state == VISIT_IN_PROGRESS)
        return visit_finish(conn, now, v.id, VISIT_END_CANCELLED_BY_FACILITY, actor, NULL);
    kite_fault f = {0};
    if ((err = move_state(conn, now, &v, VISIT_CANCELLED, VISIT_REASON_RESIDENT_LEFT, &f)) != KITE_OK ||
        (err = free_place(conn, &v)) != KITE_OK || (err = visit_settle(conn, now, actor, &v, 0)) != KITE_OK ||
        (err = set_charged(conn, &v, 0)) != KITE_OK)
        return err;
    db_stmt *s = db_prepare(conn, "UPDATE visits SET end_reason = $1 WHERE id = $2");
    db_bind_text(s, 1, visit_end_reason_name(VISIT_END_CANCELLED_BY_FACILITY));
    db_bind_int(s, 2, v.id);
    if ((err = db_exec(s)) != KITE_OK || (err = visit_audit(conn, now, actor, "visit.cancel_by_facility", &v,
                                                            "the resident left the facility")) != KITE_OK ||
        (err = visit_get(conn, v.id, &v)) != KITE_OK)
        return err;
    return visit_notify(conn, NULL, now, &v, VISIT_NOTICE_CANCELLED);
}

kite_err visit_close_for_resident(db_conn *conn, arena *a, int64_t resident_id, int64_t now, const char *actor)
{
    db_stmt *s = db_prepare(conn, "SELECT id FROM visits WHERE resident_id = $1 AND state IN ($2, $3, $4) ORDER BY id");
    db_bind_int(s, 1, resident_id);
    db_bind_text(s, 2, visit_state_name(VISIT_PENDING));
    db_bind_text(s, 3, visit_state_name(VISIT_APPROVED));
    db_bind_text(s, 4, visit_state_name(VISIT_IN_PROGRESS));
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    while (db_next(s)) {
        ids = arena_grow(a, ids, n, &cap, sizeof *ids);
        ids[n++] = db_int(s, 0);
    }
    kite_err err = db_done(s);
    for (size_t i = 0; i < n && err == KITE_OK; i++)
        err = close_one(conn, now, actor, ids[i]);
    return err;
}
