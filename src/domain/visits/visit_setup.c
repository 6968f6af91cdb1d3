/*
 * visit_setup.c - a facility's visit policy, rooms, slots and blackouts
 * (visit_setup.h).
 *
 * Design: each write is one db_write transaction with its audit record.
 * Reads need no transaction of their own beyond db_read.
 *
 * SECURITY: input from facility admins, checked before any write: the zone
 * against ICU, numbers against the ranges in visit_setup.h, names and
 * reasons as UTF-8 text of bounded length, dates as real calendar dates.
 */
#include "domain/visits/visit_setup.h"

#include "core/text.h"
#include "domain/audit/audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const late_refund_names[VISIT_LATE_REFUND_COUNT] = {
    [VISIT_LATE_REFUND_FULL] = "full",
    [VISIT_LATE_REFUND_NONE] = "none",
};

const char *visit_late_refund_name(visit_late_refund r)
{
    return (unsigned)r < VISIT_LATE_REFUND_COUNT ? late_refund_names[r] : "unknown";
}

bool visit_late_refund_parse(const char *name, visit_late_refund *out)
{
    size_t i = text_index_of(late_refund_names, VISIT_LATE_REFUND_COUNT, name);
    if (i >= VISIT_LATE_REFUND_COUNT)
        return false;
    *out = (visit_late_refund)i;
    return true;
}

bool visit_admin_in_scope(const account *caller, int64_t facility_id)
{
    return caller->role == ROLE_OPERATOR || (caller->role == ROLE_FACILITY_ADMIN && caller->facility_id == facility_id);
}

static void policy_defaults(int64_t facility_id, visit_policy *out)
{
    *out = (visit_policy){.facility_id = facility_id,
                          .lead_minutes = VISIT_LEAD_DEFAULT_MINUTES,
                          .horizon_days = VISIT_HORIZON_DEFAULT_DAYS,
                          .approval_required = true,
                          .monitoring_required = true,
                          .cancel_cutoff_minutes = VISIT_CUTOFF_DEFAULT_MINUTES,
                          .late_cancel_refund = VISIT_LATE_REFUND_FULL,
                          .no_show_grace_minutes = VISIT_GRACE_DEFAULT_MINUTES};
}

kite_err visit_policy_load(db_conn *conn, int64_t facility_id, visit_policy *out, kite_fault *fault)
{
    db_stmt *s = db_prepare(conn, "SELECT COALESCE(f.state, '') FROM facility_policies fp"
                                  " JOIN facilities f ON f.id = fp.facility_id WHERE fp.facility_id = $1");
    db_bind_int(s, 1, facility_id);
    bool on_kite = db_next(s);
    const char *suggested = on_kite ? visit_zone_suggest(db_text(s, 0)) : NULL;
    kite_err err = db_done(s);
    if (err != KITE_OK)
        return err;
    if (!on_kite)
        return fault_set(fault, KITE_ERR_NOT_FOUND, "facility_id", FAULT_POLICY);
    visit_policy p;
    policy_defaults(facility_id, &p);
    snprintf(p.suggested_zone, sizeof p.suggested_zone, "%s", suggested ? suggested : "");
    s = db_prepare(conn,
        "SELECT COALESCE(time_zone, ''), lead_minutes, horizon_days, approval_required, monitoring_required,"
        " cancel_cutoff_minutes, late_cancel_refund, no_show_grace_minutes, updated_at"
        " FROM visit_policies WHERE facility_id = $1");
    db_bind_int(s, 1, facility_id);
    bool known = true;
    if (db_next(s)) {
        snprintf(p.time_zone, sizeof p.time_zone, "%s", db_text(s, 0));
        p.lead_minutes = db_int(s, 1);
        p.horizon_days = db_int(s, 2);
        p.approval_required = db_int(s, 3) != 0;
        p.monitoring_required = db_int(s, 4) != 0;
        p.cancel_cutoff_minutes = db_int(s, 5);
        known = visit_late_refund_parse(db_text(s, 6), &p.late_cancel_refund);
        p.no_show_grace_minutes = db_int(s, 7);
        p.updated_at = db_int(s, 8);
        p.stored = true;
    }
    if ((err = db_done(s)) != KITE_OK)
        return err;
    if (!known)
        return KITE_ERR_INTERNAL;
    *out = p;
    return KITE_OK;
}

typedef struct policy_job {
    int64_t facility_id;
    visit_policy *out;
    kite_fault *fault;
} policy_job;

static kite_err policy_read_tx(db_conn *conn, void *arg)
{
    policy_job *j = arg;
    return visit_policy_load(conn, j->facility_id, j->out, j->fault);
}

kite_err visit_policy_get(const kite_ctx *ctx, int64_t facility_id, visit_policy *out, kite_fault *fault)
{
    policy_job j = {facility_id, out, fault};
    return fault_settle(fault, db_read(ctx->store, policy_read_tx, &j));
}

static kite_err range_fault(kite_fault *f, const char *field, int64_t min, int64_t max)
{
    fault_set(f, KITE_ERR_INVALID_FIELD, field, FAULT_RANGE);
    f->min = min;
    f->max = max;
    return f->code;
}

static kite_err policy_validate(const visit_policy *p, kite_fault *f)
{
    if (p->time_zone[0] != '\0' && !visit_zone_valid(p->time_zone))
        return fault_set(f, KITE_ERR_INVALID_FIELD, "time_zone", FAULT_TIME_ZONE);
    if (p->lead_minutes < 0 || p->lead_minutes > VISIT_LEAD_MAX_MINUTES)
        return range_fault(f, "lead_minutes", 0, VISIT_LEAD_MAX_MINUTES);
    if (p->horizon_days < 1 || p->horizon_days > VISIT_HORIZON_MAX_DAYS)
        return range_fault(f, "horizon_days", 1, VISIT_HORIZON_MAX_DAYS);
    if (p->cancel_cutoff_minutes < 0 || p->cancel_cutoff_minutes > VISIT_CUTOFF_MAX_MINUTES)
        return range_fault(f, "cancel_cutoff_minutes", 0, VISIT_CUTOFF_MAX_MINUTES);
    if (p->no_show_grace_minutes < 0 || p->no_show_grace_minutes > VISIT_GRACE_MAX_MINUTES)
        return range_fault(f, "no_show_grace_minutes", 0, VISIT_GRACE_MAX_MINUTES);
    if ((unsigned)p->late_cancel_refund >= VISIT_LATE_REFUND_COUNT)
        return fault_set(f, KITE_ERR_INVALID_FIELD, "late_cancel_refund", FAULT_NOT_VALID);
    return KITE_OK;
}

typedef struct policy_save_job {
    const kite_ctx *ctx;
    const account *caller;
    const visit_policy *in;
    visit_policy *out;
    kite_fault *fault;
} policy_save_job;

static kite_err policy_save_tx(db_conn *conn, void *arg)
{
    policy_save_job *j = arg;
    int64_t now = clock_now_ms(&j->ctx->clock);
    visit_policy before;
    kite_err err = visit_policy_load(conn, j->in->facility_id, &before, j->fault);
    if (err != KITE_OK)
        return err;
    db_stmt *s = db_prepare(conn,
        "INSERT INTO visit_policies (facility_id, time_zone, lead_minutes, horizon_days, approval_required,"
        " monitoring_required, cancel_cutoff_minutes, late_cancel_refund, no_show_grace_minutes, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        " ON CONFLICT (facility_id) DO UPDATE SET time_zone = $2, lead_minutes = $3, horizon_days = $4,"
        " approval_required = $5, monitoring_required = $6, cancel_cutoff_minutes = $7, late_cancel_refund = $8,"
        " no_show_grace_minutes = $9, updated_at = $10");
    const visit_policy *p = j->in;
    db_bind_int(s, 1, p->facility_id);
    db_bind_text(s, 2, p->time_zone[0] ? p->time_zone : NULL);
    db_bind_int(s, 3, p->lead_minutes);
    db_bind_int(s, 4, p->horizon_days);
    db_bind_int(s, 5, p->approval_required);
    db_bind_int(s, 6, p->monitoring_required);
    db_bind_int(s, 7, p->cancel_cutoff_minutes);
    db_bind_text(s, 8, visit_late_refund_name(p->late_cancel_refund));
    db_bind_int(s, 9, p->no_show_grace_minutes);
    db_bind_int(s, 10, now);
    if ((err = db_exec(s)) != KITE_OK)
        return err;
    char actor[32], target[48], detail[200];
    snprintf(actor, sizeof actor, "account:%" PRId64, j->caller->id);
    snprintf(target, sizeof target, "facility:%" PRId64, p->facility_id);
    snprintf(detail, sizeof detail, "time_zone=%s lead=%" PRId64 "min horizon=%" PRId64 "d approval=%d",
             p->time_zone[0] ? p->time_zone : "-", p->lead_minutes, p->horizon_days, p->approval_required);
    if ((err = audit_append(conn, now, actor, "visit_policy.save", target, detail)) != KITE_OK)
        return err;
    return visit_policy_load(conn, p->facility_id, j->out, j->fault);
}

kite_err visit_policy_save(const kite_ctx *ctx, const account *caller, const visit_policy *p, visit_policy *out,
                           kite_fault *fault)
{
    if (!visit_admin_in_scope(caller, p->facility_id))
        return fault_set(fault, KITE_ERR_NOT_FOUND, NULL, FAULT_NONE);
    kite_err err = policy_validate(p, fault);
    if (err != KITE_OK)
        return err;
    policy_save_job j = {ctx, caller, p, out, fault};
    return fault_settle(fault, db_write(ctx->store, policy_save_tx, &j));
}

/* A name or reason: 1..max characters of UTF-8 with no control characters. */
static bool text_ok(const char *s, size_t max_chars)
{
    if (s == NULL || s[0] == '\0' || !utf8_valid(s, strlen(s)) || utf8_length(s) > max_chars)
        return false;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return false;
    return true;
}

typedef struct setup_job {
    const kite_ctx *ctx;
    arena *a;
    const account *caller;
    int64_t facility_id;
    int64_t id;
    const char *text1, *text2;
    const visit_slot *slot;
    kite_fault *fault;
    void *out;
} setup_job;

static kite_err audit_setup(db_conn *conn, const setup_job *j, int64_t now, const char *action, int64_t id)
{
    char actor[32], target[48];
    snprintf(actor, sizeof actor, "account:%" PRId64, j->caller->id);
    snprintf(target, sizeof target, "facility:%" PRId64, j->facility_id);
    char detail[40];
    snprintf(detail, sizeof detail, "id=%" PRId64, id);
    return audit_append(conn, now, actor, action, target, detail);
}

static kite_err room_add_tx(db_conn *conn, void *arg)
{
    setup_job *j = arg;
    int64_t now = clock_now_ms(&j->ctx->clock);
    visit_policy p;
    kite_err err = visit_policy_load(conn, j->facility_id, &p, j->fault);
    if (err != KITE_OK)
        return err;
    db_stmt *s = db_prepare(conn, "INSERT INTO visit_rooms (facility_id, name, active, created_at)"
                                  " VALUES ($1, $2, 1, $3) RETURNING id");
    db_bind_int(s, 1, j->facility_id);
    db_bind_text(s, 2, j->text1);
    db_bind_int(s, 3, now);
    int64_t id = db_next(s) ? db_int(s, 0) : 0;
    if ((err = db_done(s)) != KITE_OK)
        return err == KITE_ERR_CONFLICT ? fault_set(j->fault, KITE_ERR_CONFLICT, "name", FAULT_NONE) : err;
    visit_room *out = j->out;
    *out = (visit_room){id, j->facility_id, arena_strdup(j->a, j->text1), true, now};
    return audit_setup(conn, j, now, "visit_room.add", id);
}

kite_err visit_room_add(const kite_ctx *ctx, arena *a, const account *caller, int64_t facility_id, const char *name,
                        visit_room *out, kite_fault *fault)
{
    if (!visit_admin_in_scope(caller, facility_id))
        return fault_set(fault, KITE_ERR_NOT_FOUND, NULL, FAULT_NONE);
    if (!text_ok(name, VISIT_ROOM_NAME_MAX_CHARS)) {
        fault_set(fault, KITE_ERR_INVALID_FIELD, "name", FAULT_NAME);
        fault->limit = VISIT_ROOM_NAME_MAX_CHARS;
        return fault->code;
    }
    setup_job j = {.ctx = ctx, .a = a, .caller = caller, .facility_id = facility_id, .text1 = name, .fault = fault,
                   .out = out};
    return fault_settle(fault, db_write(ctx->store, room_add_tx, &j));
}

static kite_err rooms_tx(db_conn *conn, void *arg)
{
    setup_job *j = arg;
    db_stmt *s = db_prepare(conn, "SELECT id, name, active, created_at FROM visit_rooms WHERE facility_id = $1"
                                  " ORDER BY id LIMIT 500");
    db_bind_int(s, 1, j->facility_id);
    visit_room *items = NULL;
    size_t n = 0, cap = 0;
    while (db_next(s)) {
        items = arena_grow(j->a, items, n, &cap, sizeof *items);
        items[n++] = (visit_room){db_int(s, 0), j->facility_id, arena_strdup(j->a, db_text(s, 1)), db_int(s, 2) != 0,
                                  db_int(s, 3)};
    }
    *(visit_room **)j->out = items;
    j->id = (int64_t)n;
    return db_done(s);
}

kite_err visit_rooms_list(const kite_ctx *ctx, arena *a, int64_t facility_id, visit_room **items, size_t *count)
{
    setup_job j = {.ctx = ctx, .a = a, .facility_id = facility_id, .out = items};
    kite_err err = db_read(ctx->store, rooms_tx, &j);
    *count = err == KITE_OK ? (size_t)j.id : 0;
    return err;
}

static kite_err slot_validate(const visit_slot *s, kite_fault *f)
{
    if (s->weekday < 0 || s->weekday > 6)
        return range_fault(f, "weekday", 0, 6);
    if (s->start_minute < 0 || s->start_minute >= 24 * 60)
        return range_fault(f, "start_minute", 0, 24 * 60 - 1);
    if (s->length_minutes < 5 || s->length_minutes > VISIT_LENGTH_MAX_MINUTES)
        return range_fault(f, "length_minutes", 5, VISIT_LENGTH_MAX_MINUTES);
    if (s->capacity < 1 || s->capacity > VISIT_CAPACITY_MAX)
        return range_fault(f, "capacity", 1, VISIT_CAPACITY_MAX);
    return KITE_OK;
}

/*
 * A room holds one slot at a time: two slots of one room that share a minute
 * would put more visits in it than its screens, and a booking in each would
 * meet in the same kiosk.  Slots are compared as spans of the week in
 * minutes (a slot may run past midnight into the next day, and Saturday's
 * late slot into Sunday's); spans that only touch (10:00-10:30 and
 * 10:30-11:00) do not overlap.  Writes are serialized on both engines
 * (db/db.h), so no other slot can be added between this look and the insert.
 */
enum { WEEK_MINUTES = 7 * 24 * 60 };

static bool week_spans_overlap(int start_a, int length_a, int start_b, int length_b)
{
    /* Either start lies inside the other span, reading the week as a circle. */
    int b_from_a = ((start_b - start_a) % WEEK_MINUTES + WEEK_MINUTES) % WEEK_MINUTES;
    int a_from_b = ((start_a - start_b) % WEEK_MINUTES + WEEK_MINUTES) % WEEK_MINUTES;
    return b_from_a < length_a || a_from_b < length_b;
}

static kite_err room_slot_clash(db_conn *conn, int64_t facility_id, const visit_slot *slot, bool *clash)
{
    db_stmt *s = db_prepare(conn, "SELECT weekday, start_minute, length_minutes FROM visit_slots"
                                  " WHERE facility_id = $1 AND room_id = $2 AND active = 1");
    db_bind_int(s, 1, facility_id);
    db_bind_int(s, 2, slot->room_id);
    int start = slot->weekday * 24 * 60 + slot->start_minute;
    while (!*clash && db_next(s)) {
        int other = (int)db_int(s, 0) * 24 * 60 + (int)db_int(s, 1);
        *clash = week_spans_overlap(start, slot->length_minutes, other, (int)db_int(s, 2));
    }
    return db_done(s);
}

static kite_err slot_add_tx(db_conn *conn, void *arg)
{
    setup_job *j = arg;
    int64_t now = clock_now_ms(&j->ctx->clock);
    visit_policy p;
    kite_err err = visit_policy_load(conn, j->facility_id, &p, j->fault);
    if (err != KITE_OK)
        return err;
    if (p.time_zone[0] == '\0') /* slots are wall times: meaningless without the zone */
        return fault_set(j->fault, KITE_ERR_INVALID_FIELD, "time_zone", FAULT_VISIT_NO_ZONE);
    db_stmt *s = db_prepare(conn, "SELECT 1 FROM visit_rooms WHERE id = $1 AND facility_id = $2 AND active = 1");
    db_bind_int(s, 1, j->slot->room_id);
    db_bind_int(s, 2, j->facility_id);
    bool room = db_next(s);
    if ((err = db_done(s)) != KITE_OK)
        return err;
    if (!room)
        return fault_set(j->fault, KITE_ERR_INVALID_FIELD, "room_id", FAULT_UNKNOWN);
    bool clash = false;
    if ((err = room_slot_clash(conn, j->facility_id, j->slot, &clash)) != KITE_OK)
        return err;
    if (clash)
        return fault_set(j->fault, KITE_ERR_CONFLICT, "start_time", FAULT_VISIT_SLOT_OVERLAP);
    s = db_prepare(conn, "INSERT INTO visit_slots (facility_id, room_id, weekday, start_minute, length_minutes,"
                         " capacity, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, 1, $7) RETURNING id");
    db_bind_int(s, 1, j->facility_id);
    db_bind_int(s, 2, j->slot->room_id);
    db_bind_int(s, 3, j->slot->weekday);
    db_bind_int(s, 4, j->slot->start_minute);
    db_bind_int(s, 5, j->slot->length_minutes);
    db_bind_int(s, 6, j->slot->capacity);
    db_bind_int(s, 7, now);
    int64_t id = db_next(s) ? db_int(s, 0) : 0;
    if ((err = db_done(s)) != KITE_OK)
        return err;
    visit_slot *out = j->out;
    *out = *j->slot;
    out->id = id;
    out->facility_id = j->facility_id;
    out->active = true;
    out->created_at = now;
    return audit_setup(conn, j, now, "visit_slot.add", id);
}

kite_err visit_slot_add(const kite_ctx *ctx, const account *caller, const visit_slot *s, visit_slot *out,
                        kite_fault *fault)
{
    if (!visit_admin_in_scope(caller, s->facility_id))
        return fault_set(fault, KITE_ERR_NOT_FOUND, NULL, FAULT_NONE);
    kite_err err = slot_validate(s, fault);
    if (err != KITE_OK)
        return err;
    setup_job j = {.ctx = ctx, .caller = caller, .facility_id = s->facility_id, .slot = s, .fault = fault, .out = out};
    return fault_settle(fault, db_write(ctx->store, slot_add_tx, &j));
}

static kite_err retire_tx(db_conn *conn, void *arg)
{
    setup_job *j = arg;
    int64_t now = clock_now_ms(&j->ctx->clock);
    db_stmt *s = db_prepare(conn, j->text1);
    db_bind_int(s, 1, j->id);
    db_bind_int(s, 2, j->facility_id);
    kite_err err = db_exec(s);
    if (err != KITE_OK)
        return err;
    if (db_changes(conn) != 1)
        return KITE_ERR_NOT_FOUND;
    return audit_setup(conn, j, now, j->text2, j->id);
}

kite_err visit_slot_retire(const kite_ctx *ctx, const account *caller, int64_t facility_id, int64_t slot_id)
{
    if (!visit_admin_in_scope(caller, facility_id))
        return KITE_ERR_NOT_FOUND;
    setup_job j = {.ctx = ctx, .caller = caller, .facility_id = facility_id, .id = slot_id,
                   .text1 = "UPDATE visit_slots SET active = 0 WHERE id = $1 AND facility_id = $2 AND active = 1",
                   .text2 = "visit_slot.retire"};
    return db_write(ctx->store, retire_tx, &j);
}

static kite_err slots_tx(db_conn *conn, void *arg)
{
    setup_job *j = arg;
    db_stmt *s = db_prepare(conn, "SELECT id, room_id, weekday, start_minute, length_minutes, capacity, created_at"
                                  " FROM visit_slots WHERE facility_id = $1 AND active = 1"
                                  " ORDER BY weekday, start_minute, id LIMIT 500");
    db_bind_int(s, 1, j->facility_id);
    visit_slot *items = NULL;
    size_t n = 0, cap = 0;
    while (db_next(s)) {
        items = arena_grow(j->a, items, n, &cap, sizeof *items);
        items[n++] = (visit_slot){.id = db_int(s, 0), .facility_id = j->facility_id, .room_id = db_int(s, 1),
                                  .weekday = (int)db_int(s, 2), .start_minute = (int)db_int(s, 3),
                                  .length_minutes = (int)db_int(s, 4), .capacity = (int)db_int(s, 5),
                                  .active = true, .created_at = db_int(s, 6)};
    }
    *(visit_slot **)j->out = items;
    j->id = (int64_t)n;
    return db_done(s);
}

kite_err visit_slots_list(const kite_ctx *ctx, arena *a, int64_t facility_id, visit_slot **items, size_t *count)
{
    setup_job j = {.ctx = ctx, .a = a, .facility_id = facility_id, .out = items};
    kite_err err = db_read(ctx->store, slots_tx, &j);
    *count = err == KITE_OK ? (size_t)j.id : 0;
    return err;
}

/* A real calendar date written YYYY-MM-DD (clock.h checks it as libc would not). */
static bool day_ok(const char *d)
{
    int64_t ms;
    return d != NULL && strlen(d) == 10 && clock_parse_day(d, &ms);
}

static kite_err blackout_add_tx(db_conn *conn, void *arg)
{
    setup_job *j = arg;
    int64_t now = clock_now_ms(&j->ctx->clock);
    visit_policy p;
    kite_err err = visit_policy_load(conn, j->facility_id, &p, j->fault);
    if (err != KITE_OK)
        return err;
    db_stmt *s = db_prepare(conn, "INSERT INTO visit_blackouts (facility_id, day, reason, created_at)"
                                  " VALUES ($1, $2, $3, $4) RETURNING id");
    db_bind_int(s, 1, j->facility_id);
    db_bind_text(s, 2, j->text1);
    db_bind_text(s, 3, j->text2);
    db_bind_int(s, 4, now);
    int64_t id = db_next(s) ? db_int(s, 0) : 0;
    if ((err = db_done(s)) != KITE_OK)
        return err == KITE_ERR_CONFLICT ? fault_set(j->fault, KITE_ERR_CONFLICT, "day", FAULT_NONE) : err;
    visit_blackout *out = j->out;
    *out = (visit_blackout){id, j->facility_id, arena_strdup(j->a, j->text1), arena_strdup(j->a, j->text2), now};
    return audit_setup(conn, j, now, "visit_blackout.add", id);
}

kite_err visit_blackout_add(const kite_ctx *ctx, arena *a, const account *caller, int64_t facility_id, const char *day,
                            const char *reason, visit_blackout *out, kite_fault *fault)
{
    if (!visit_admin_in_scope(caller, facility_id))
        return fault_set(fault, KITE_ERR_NOT_FOUND, NULL, FAULT_NONE);
    if (!day_ok(day))
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "day", FAULT_DATE);
    if (reason == NULL || reason[0] == '\0')
        reason = "-";
    if (!text_ok(reason, 500)) {
        fault_set(fault, KITE_ERR_INVALID_FIELD, "reason", FAULT_LENGTH);
        fault->limit = 500;
        return fault->code;
    }
    setup_job j = {.ctx = ctx, .a = a, .caller = caller, .facility_id = facility_id, .text1 = day, .text2 = reason,
                   .fault = fault, .out = out};
    return fault_settle(fault, db_write(ctx->store, blackout_add_tx, &j));
}

kite_err visit_blackout_remove(const kite_ctx *ctx, const account *caller, int64_t facility_id, int64_t blackout_id)
{
    if (!visit_admin_in_scope(caller, facility_id))
        return KITE_ERR_NOT_FOUND;
    setup_job j = {.ctx = ctx, .caller = caller, .facility_id = facility_id, .id = blackout_id,
                   .text1 = "DELETE FROM visit_blackouts WHERE id = $1 AND facility_id = $2",
                   .text2 = "visit_blackout.remove"};
    return db_write(ctx->store, retire_tx, &j);
}

static kite_err blackouts_tx(db_conn *conn, void *arg)
{
    setup_job *j = arg;
    db_stmt *s = db_prepare(conn, "SELECT id, day, reason, created_at FROM visit_blackouts WHERE facility_id = $1"
                                  " ORDER BY day LIMIT 500");
    db_bind_int(s, 1, j->facility_id);
    visit_blackout *items = NULL;
    size_t n = 0, cap = 0;
    while (db_next(s)) {
        items = arena_grow(j->a, items, n, &cap, sizeof *items);
        items[n++] = (visit_blackout){db_int(s, 0), j->facility_id, arena_strdup(j->a, db_text(s, 1)),
                                      arena_strdup(j->a, db_text(s, 2)), db_int(s, 3)};
    }
    *(visit_blackout **)j->out = items;
    j->id = (int64_t)n;
    return db_done(s);
}

kite_err visit_blackouts_list(const kite_ctx *ctx, arena *a, int64_t facility_id, visit_blackout **items,
                              size_t *count)
{
    setup_job j = {.ctx = ctx, .a = a, .facility_id = facility_id, .out = items};
    kite_err err = db_read(ctx->store, blackouts_tx, &j);
    *count = err == KITE_OK ? (size_t)j.id : 0;
    return err;
}

kite_err visit_blackout_on(db_conn *conn, int64_t facility_id, const char *day, bool *blacked_out)
{
    db_stmt *s = db_prepare(conn, "SELECT 1 FROM visit_blackouts WHERE facility_id = $1 AND day = $2");
    db_bind_int(s, 1, facility_id);
    db_bind_text(s, 2, day);
    *blacked_out = db_next(s);
    return db_done(s);
}
