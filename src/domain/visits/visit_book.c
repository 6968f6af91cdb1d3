/*
 * visit_book.c - quoting and booking a visit, staff decisions,
 * cancellations and reschedules (visit.h).
 *
 * Design: one function (plan_booking) checks a booking against the store
 * inside the caller's transaction and computes everything the visit row
 * needs: the slot occurrence, the price, the payer.  The quote runs it in a
 * read transaction; booking and rescheduling run it in the write
 * transaction that then takes the place (visit_occupancy, a conditional
 * UPDATE taken < capacity) and writes the hold, so the price shown is the
 * price held, and two bookings for the last place cannot both succeed.
 *
 * A reschedule is planned the same way at the facility's current rate, but
 * paid by the booking's payer whichever party moves it.  The same price
 * keeps the hold.  Another price releases the hold in full and holds the new
 * price (subject: the move, a visit_moves row, because a subject has one
 * hold) in the transaction of the move, rather than adjusting the held
 * amount: a hold is held once and settled once, which `kite ledger verify`
 * checks.  The move's row also carries its Idempotency-Key.
 *
 * SECURITY: the caller's scope is checked first (a contact only through its
 * own contact rows, a resident only for itself), and everything that costs
 * money is read from the store here, never from the request: the held
 * amount of a move is the hold row's, read in the move's transaction.
 */
#include "domain/visits/visit_store.h"

#include "core/text.h"
#include "domain/contacts/contact_state.h"
#include "domain/counsel/attorney.h"
#include "domain/facility/resident.h"
#include "domain/ledger/hold.h"
#include "domain/ledger/ledger.h"
#include "domain/ledger/prices.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define MINUTE_MS INT64_C(60000)
#define DAY_MS INT64_C(86400000)

typedef struct booking_plan {
    int64_t facility_id, resident_id, contact_id, contact_account_id, resident_account_id;
    int64_t slot_id, room_id, capacity;
    int64_t starts_at, ends_at, length_minutes, rate, price;
    bool payer_trust;
    int64_t payer_account_id, balance; /* 0 when the payer's account was never opened */
    bool privileged;
    visit_policy policy;
} booking_plan;

bool visit_staff_in_scope(const account *caller, int64_t facility_id)
{
    return caller->role == ROLE_OPERATOR ||
           ((caller->role == ROLE_FACILITY_ADMIN || caller->role == ROLE_REVIEWER) &&
            caller->facility_id == facility_id);
}

/* The contact row and its resident, seen by the caller; NOT_FOUND outside its scope. */
static kite_err plan_contact(db_conn *conn, const account *caller, int64_t contact_id, booking_plan *p,
                             kite_fault *f)
{
    db_stmt *s = db_prepare(conn,
        "SELECT c.resident_id, c.contact_account_id, c.status = $2, r.facility_id, r.account_id, r.status = $3"
        " FROM contacts c JOIN residents r ON r.id = c.resident_id WHERE c.id = $1");
    db_bind_int(s, 1, contact_id);
    db_bind_text(s, 2, contact_status_name(CONTACT_ACTIVE));
    db_bind_text(s, 3, resident_status_name(RESIDENT_ACTIVE));
    bool found = db_next(s), contact_active = false, resident_active = false;
    if (found) {
        p->contact_id = contact_id;
        p->resident_id = db_int(s, 0);
        p->contact_account_id = db_int(s, 1);
        contact_active = db_int(s, 2) != 0;
        p->facility_id = db_int(s, 3);
        p->resident_account_id = db_int(s, 4);
        resident_active = db_int(s, 5) != 0;
    }
    kite_err err = db_done(s);
    if (err != KITE_OK)
        return err;
    bool mine = found && ((caller->role == ROLE_CONTACT && caller->id == p->contact_account_id) ||
                          (caller->role == ROLE_RESIDENT && caller->id == p->resident_account_id));
    if (!mine)
        return fault_set(f, KITE_ERR_NOT_FOUND, "contact_id", FAULT_UNKNOWN);
    if (!resident_active)
        return fault_set(f, KITE_ERR_RESIDENT_UNREACHABLE, NULL, FAULT_NONE);
    if (!contact_active)
        return fault_set(f, KITE_ERR_CONTACT_NOT_ACTIVE, NULL, FAULT_VISIT_CONTACT_INACTIVE);
    p->payer_trust = caller->role == ROLE_RESIDENT;
    return KITE_OK;
}

/* Lead time, horizon, blackout: the rules of the day and the hour. */
static kite_err plan_when(db_conn *conn, int64_t now, booking_plan *p, visit_wall *w, kite_fault *f)
{
    const visit_policy *pol = &p->policy;
    if (p->starts_at - now < pol->lead_minutes * MINUTE_MS) {
        fault_set(f, KITE_ERR_INVALID_FIELD, "starts_at", FAULT_VISIT_LEAD_TIME);
        f->limit = (pol->lead_minutes + 59) / 60;
        return f->code;
    }
    if (p->starts_at - now > pol->horizon_days * DAY_MS) {
        fault_set(f, KITE_ERR_INVALID_FIELD, "starts_at", FAULT_VISIT_HORIZON);
        f->limit = pol->horizon_days;
        return f->code;
    }
    if (!visit_zone_from_utc(pol->time_zone, p->starts_at, w))
        return KITE_ERR_INTERNAL;
    char day[40];
    snprintf(day, sizeof day, "%04d-%02d-%02d", w->year, w->month, w->day);
    bool blackout;
    kite_err err = visit_blackout_on(conn, p->facility_id, day, &blackout);
    if (err != KITE_OK)
        return err;
    return blackout ? fault_set(f, KITE_ERR_INVALID_FIELD, "starts_at", FAULT_VISIT_BLACKOUT) : KITE_OK;
}

/* Places taken in one slot occurrence. */
static kite_err slot_taken(db_conn *conn, int64_t slot_id, int64_t starts_at, int64_t *taken)
{
    db_stmt *s = db_prepare(conn, "SELECT taken FROM visit_occupancy WHERE slot_id = $1 AND starts_at = $2");
    db_bind_int(s, 1, slot_id);
    db_bind_int(s, 2, starts_at);
    *taken = db_next(s) ? db_int(s, 0) : 0;
    return db_done(s);
}

/*
 * The slot that starts at p->starts_at (the wall time w), with a free
 * place: the asked slot, or the first of the facility's that fits.  The
 * wall time must map back to the same instant, so an hour repeated in the
 * autumn books its first occurrence only, as slots are read.  A visit being
 * moved (moving, else NULL) counts its own place as free: quoting its own
 * time must not answer "full" because it holds the last place itself.
 */
static kite_err plan_slot(db_conn *conn, booking_plan *p, const visit_wall *w, int64_t slot_id,
                          const visit_info *moving, kite_fault *f)
{
    int minute = w->hour * 60 + w->minute;
    int64_t back = 0;
    if (p->starts_at % MINUTE_MS != 0 ||
        !visit_zone_to_utc(p->policy.time_zone, w->year, w->month, w->day, minute, &back) || back != p->starts_at)
        return fault_set(f, KITE_ERR_INVALID_FIELD, "starts_at", FAULT_VISIT_NO_SLOT);
    db_stmt *s = db_prepare(conn, "SELECT id, room_id, length_minutes, capacity FROM visit_slots"
                                  " WHERE facility_id = $1 AND weekday = $2 AND start_minute = $3 AND active = 1"
                                  " AND ($4 = 0 OR id = $4) ORDER BY id LIMIT 20");
    db_bind_int(s, 1, p->facility_id);
    db_bind_int(s, 2, w->weekday);
    db_bind_int(s, 3, minute);
    db_bind_int(s, 4, slot_id);
    int64_t found[20][4];
    size_t n = 0;
    while (db_next(s) && n < 20) {
        for (int c = 0; c < 4; c++)
            found[n][c] = db_int(s, c);
        n++;
    }
    kite_err err = db_done(s);
    if (err != KITE_OK)
        return err;
    if (n == 0)
        return fault_set(f, KITE_ERR_INVALID_FIELD, "starts_at", FAULT_VISIT_NO_SLOT);
    for (size_t i = 0; i < n; i++) {
        int64_t taken;
        if ((err = slot_taken(conn, found[i][0], p->starts_at, &taken)) != KITE_OK)
            return err;
        if (moving != NULL && moving->slot_id == found[i][0] && moving->starts_at == p->starts_at && taken > 0)
            taken--;
        if (taken < found[i][3]) {
            p->slot_id = found[i][0];
            p->room_id = found[i][1];
            p->length_minutes = found[i][2];
            p->capacity = found[i][3];
            p->ends_at = p->starts_at + p->length_minutes * MINUTE_MS;
            return KITE_OK;
        }
    }
    return fault_set(f, KITE_ERR_CONFLICT, "starts_at", FAULT_VISIT_FULL);
}

/* The resident's other live visits overlapping [starts_at, ends_at), but visit except_id. */
static kite_err plan_overlap(db_conn *conn, const booking_plan *p, int64_t except_id, kite_fault *f)
{
    db_stmt *s = db_prepare(conn, "SELECT 1 FROM visits WHERE resident_id = $1 AND state IN ($2, $3, $4)"
                                  " AND starts_at < $5 AND ends_at > $6 AND id <> $7 LIMIT 1");
    db_bind_int(s, 1, p->resident_id);
    db_bind_text(s, 2, visit_state_name(VISIT_PENDING));
    db_bind_text(s, 3, visit_state_name(VISIT_APPROVED));
    db_bind_text(s, 4, visit_state_name(VISIT_IN_PROGRESS));
    db_bind_int(s, 5, p->ends_at);
    db_bind_int(s, 6, p->starts_at);
    db_bind_int(s, 7, except_id);
    bool clash = db_next(s);
    kite_err err = db_done(s);
    if (err != KITE_OK)
        return err;
    return clash ? fault_set(f, KITE_ERR_CONFLICT, "starts_at", FAULT_VISIT_OVERLAP) : KITE_OK;
}

/* Rate, price, payer and privilege, read from the store. */
static kite_err plan_money(db_conn *conn, booking_plan *p, kite_fault *f)
{
    arena *a = arena_new();
    facility_prices prices;
    kite_err err = facility_prices_load(conn, a, p->facility_id, &prices, f);
    a = arena_free(a);
    if (err != KITE_OK)
        return err;
    p->rate = prices.video_cents_per_minute;
    p->price = p->rate * p->length_minutes;
    if ((err = counsel_account_verified(conn, p->contact_account_id, &p->privileged)) != KITE_OK)
        return err;
    ledger_owner owner = {0};
    if (p->payer_trust)
        owner.resident_id = p->resident_id;
    else
        owner.account_id = p->contact_account_id;
    return ledger_account_find(conn, p->payer_trust ? LEDGER_RESIDENT_TRUST : LEDGER_CONTACT_BALANCE, owner,
                               LEDGER_CENTS, &p->payer_account_id, &p->balance);
}

/* Every check of a booking (or a reschedule of visit moving, NULL for a booking) at now. */
static kite_err plan_booking(db_conn *conn, int64_t now, const account *caller, const visit_request *r,
                             const visit_info *moving, booking_plan *p, kite_fault *f)
{
    *p = (booking_plan){.starts_at = r->starts_at};
    kite_err err = plan_contact(conn, caller, r->contact_id, p, f);
    if (err != KITE_OK)
        return err;
    if (r->facility_id != 0 && r->facility_id != p->facility_id)
        return fault_set(f, KITE_ERR_INVALID_FIELD, "facility_id", FAULT_UNKNOWN);
    if ((err = visit_policy_load(conn, p->facility_id, &p->policy, f)) != KITE_OK)
        return err;
    if (p->policy.time_zone[0] == '\0')
        return fault_set(f, KITE_ERR_INVALID_FIELD, "facility_id", FAULT_VISIT_NO_ZONE);
    visit_wall w;
    if ((err = plan_when(conn, now, p, &w, f)) != KITE_OK ||
        (err = plan_slot(conn, p, &w, r->slot_id, moving, f)) != KITE_OK ||
        (err = plan_overlap(conn, p, moving != NULL ? moving->id : 0, f)) != KITE_OK)
        return err;
    /* A move is paid by whoever paid the booking, not by whichever party moves it. */
    if (moving != NULL)
        p->payer_trust = moving->booker_account_id == moving->resident_account_id;
    return plan_money(conn, p, f);
}

static void plan_to_quote(const booking_plan *p, visit_quote *q)
{
    *q = (visit_quote){.facility_id = p->facility_id,
                       .slot_id = p->slot_id,
                       .room_id = p->room_id,
                       .starts_at = p->starts_at,
                       .ends_at = p->ends_at,
                       .length_minutes = p->length_minutes,
                       .rate_cents_per_minute = p->rate,
                       .price_cents = p->price,
                       .balance_cents = p->balance,
                       .difference_cents = p->price,
                       .enough = p->price <= 0 || p->balance >= p->price,
                       .payer_is_trust = p->payer_trust,
                       .approval_required = p->policy.approval_required,
                       .monitoring_required = p->policy.monitoring_required && !p->privileged,
                       .privileged = p->privileged};
    snprintf(q->time_zone, sizeof q->time_zone, "%s", p->policy.time_zone);
}

typedef struct book_job {
    const kite_ctx *ctx;
    const account *caller;
    const visit_request *req;
    const char *key;
    int64_t visit_id;   /* reschedule: the visit; decide/cancel too */
    bool approve;
    const char *reason;
    visit_quote *quote;
    visit_info *out;
    visit_reprice money; /* reschedule: what the move does to the money */
    bool *repeat;
    kite_fault *fault;
} book_job;

static kite_err quote_tx(db_conn *conn, void *arg)
{
    book_job *j = arg;
    booking_plan p;
    kite_err err = plan_booking(conn, clock_now_ms(&j->ctx->clock), j->caller, j->req, NULL, &p, j->fault);
    if (err == KITE_OK)
        plan_to_quote(&p, j->quote);
    return err;
}

kite_err visit_quote_get(const kite_ctx *ctx, const account *caller, const visit_request *r, visit_quote *out,
                         kite_fault *fault)
{
    book_job j = {.ctx = ctx, .caller = caller, .req = r, .quote = out, .fault = fault};
    return fault_settle(fault, db_read(ctx->store, quote_tx, &j));
}

/* Takes (delta +1) or gives back (-1) a place in a slot occurrence; FAULT_VISIT_FULL when none is left. */
static kite_err occupancy_move(db_conn *conn, int64_t slot_id, int64_t starts_at, int64_t capacity, int delta,
                               kite_fault *f)
{
    db_stmt *s = db_prepare(conn, "INSERT INTO visit_occupancy (slot_id, starts_at, taken) VALUES ($1, $2, 0)"
                                  " ON CONFLICT (slot_id, starts_at) DO NOTHING");
    db_bind_int(s, 1, slot_id);
    db_bind_int(s, 2, starts_at);
    kite_err err = db_exec(s);
    if (err != KITE_OK)
        return err;
    s = db_prepare(conn, delta > 0 ? "UPDATE visit_occupancy SET taken = taken + 1"
                                     " WHERE slot_id = $1 AND starts_at = $2 AND taken < $3"
                                   : "UPDATE visit_occupancy SET taken = taken - 1"
                                     " WHERE slot_id = $1 AND starts_at = $2 AND taken > 0 AND $3 >= 0");
    db_bind_int(s, 1, slot_id);
    db_bind_int(s, 2, starts_at);
    db_bind_int(s, 3, capacity);
    if ((err = db_exec(s)) != KITE_OK)
        return err;
    if (db_changes(conn) != 1 && delta > 0)
        return fault_set(f, KITE_ERR_CONFLICT, "starts_at", FAULT_VISIT_FULL);
    return KITE_OK;
}

/* 402: the price (limit) and what the payer has towards it (max), in the sentence the detail names. */
static kite_err funds_fault(kite_fault *f, fault_detail detail, int64_t price, int64_t available)
{
    fault_set(f, KITE_ERR_INSUFFICIENT_FUNDS, NULL, detail);
    f->limit = price;
    f->max = available;
    return f->code;
}

/* The visit row of a plan; *id is the new visit. */
static kite_err insert_visit(db_conn *conn, int64_t now, const book_job *j, const booking_plan *p, int64_t *id)
{
    db_stmt *s = db_prepare(conn,
        "INSERT INTO visits (facility_id, resident_id, contact_id, contact_account_id, resident_account_id,"
        " booker_account_id, room_id, slot_id, starts_at, ends_at, state, price_cents, rate_cents_per_minute,"
        " payer_account_id, monitoring_required, privileged, idempotency_key, created_at, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18) RETURNING id");
    db_bind_int(s, 1, p->facility_id);
    db_bind_int(s, 2, p->resident_id);
    db_bind_int(s, 3, p->contact_id);
    db_bind_int(s, 4, p->contact_account_id);
    db_bind_int(s, 5, p->resident_account_id);
    db_bind_int(s, 6, j->caller->id);
    db_bind_int(s, 7, p->room_id);
    db_bind_int(s, 8, p->slot_id);
    db_bind_int(s, 9, p->starts_at);
    db_bind_int(s, 10, p->ends_at);
    db_bind_text(s, 11, visit_state_name(p->policy.approval_required ? VISIT_PENDING : VISIT_APPROVED));
    db_bind_int(s, 12, p->price);
    db_bind_int(s, 13, p->rate);
    if (p->payer_account_id != 0)
        db_bind_int(s, 14, p->payer_account_id);
    else
        db_bind_null(s, 14);
    db_bind_int(s, 15, p->policy.monitoring_required && !p->privileged);
    db_bind_int(s, 16, p->privileged);
    db_bind_text(s, 17, j->key);
    db_bind_int(s, 18, now);
    *id = db_next(s) ? db_int(s, 0) : 0;
    return db_done(s);
}

/* A booking with this Idempotency-Key already: *found, and whether it asked for the same. */
static kite_err find_repeat(db_conn *conn, const book_job *j, bool *found)
{
    *found = false;
    if (j->key == NULL)
        return KITE_OK;
    char sql[VISIT_SQL_MAX];
    snprintf(sql, sizeof sql, "%s WHERE v.booker_account_id = $1 AND v.idempotency_key = $2", visit_select_sql);
    db_stmt *s = db_prepare(conn, sql);
    db_bind_int(s, 1, j->caller->id);
    db_bind_text(s, 2, j->key);
    bool row = db_next(s);
    bool known = row && visit_row(s, j->out);
    kite_err err = db_done(s);
    if (err != KITE_OK || !row)
        return err;
    if (!known)
        return KITE_ERR_INTERNAL;
    *found = true;
    /* The price and the slot are the store's; what the client asked for is the contact and the start. */
    if (j->out->contact_id != j->req->contact_id || j->out->starts_at != j->req->starts_at ||
        (j->req->slot_id != 0 && j->req->slot_id != j->out->slot_id))
        return fault_set(j->fault, KITE_ERR_IDEMPOTENCY_KEY_REUSED, "Idempotency-Key", FAULT_NONE);
    return KITE_OK;
}

static kite_err book_tx(db_conn *conn, void *arg)
{
    book_job *j = arg;
    int64_t now = clock_now_ms(&j->ctx->clock);
    bool seen;
    kite_err err = find_repeat(conn, j, &seen);
    if (err != KITE_OK || seen) {
        *j->repeat = seen;
        return err;
    }
    booking_plan p;
    if ((err = plan_booking(conn, now, j->caller, j->req, NULL, &p, j->fault)) != KITE_OK)
        return err;
    if (p.price > 0 && p.balance < p.price)
        return funds_fault(j->fault, FAULT_VISIT_FUNDS, p.price, p.balance);
    int64_t id;
    if ((err = occupancy_move(conn, p.slot_id, p.starts_at, p.capacity, +1, j->fault)) != KITE_OK ||
        (err = insert_visit(conn, now, j, &p, &id)) != KITE_OK)
        return err;
    char actor[32];
    snprintf(actor, sizeof actor, "account:%" PRId64, j->caller->id);
    if (p.price > 0) {
        int64_t hold_id;
        err = ledger_hold(conn, now, actor, LEDGER_SUBJECT_VISIT, id, p.payer_account_id, p.price, LEDGER_CENTS,
                          &hold_id);
        if (err == KITE_ERR_INSUFFICIENT_FUNDS)
            return funds_fault(j->fault, FAULT_VISIT_FUNDS, p.price, p.balance);
        if (err != KITE_OK)
            return err;
        db_stmt *s = db_prepare(conn, "UPDATE visits SET hold_id = $1 WHERE id = $2");
        db_bind_int(s, 1, hold_id);
        db_bind_int(s, 2, id);
        if ((err = db_exec(s)) != KITE_OK)
            return err;
    }
    if ((err = visit_get(conn, id, j->out)) != KITE_OK)
        return err;
    char detail[120];
    snprintf(detail, sizeof detail, "price_cents=%" PRId64 " state=%s", p.price, visit_state_name(j->out->state));
    *j->repeat = false;
    if ((err = visit_audit(conn, now, actor, "visit.book", j->out, detail)) != KITE_OK)
        return err;
    return visit_notify(conn, j->ctx->public_url, now, j->out, VISIT_NOTICE_BOOKED);
}

kite_err visit_book(const kite_ctx *ctx, const account *caller, const visit_request *r, const char *key,
                    visit_info *out, bool *repeat, kite_fault *fault)
{
    if (key != NULL && (key[0] == '\0' || strlen(key) > VISIT_KEY_MAX_BYTES))
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "Idempotency-Key", FAULT_NOT_VALID);
    book_job j = {.ctx = ctx, .caller = caller, .req = r, .key = key, .out = out, .repeat = repeat, .fault = fault};
    return fault_settle(fault, db_write(ctx->store, book_tx, &j));
}

/* The visit moved to the plan's slot occurrence, back to pending when staff approve. */
static kite_err move_visit(db_conn *conn, int64_t now, const visit_info *v, const booking_plan *p, kite_fault *f)
{
    db_stmt *s = db_prepare(conn, "UPDATE visit_occupancy SET taken = taken - 1"
                                  " WHERE slot_id = $1 AND starts_at = $2 AND taken > 0");
    db_bind_int(s, 1, v->slot_id);
    db_bind_int(s, 2, v->starts_at);
    kite_err err = db_exec(s);
    if (err != KITE_OK || (err = occupancy_move(conn, p->slot_id, p->starts_at, p->capacity, +1, f)) != KITE_OK)
        return err;
    s = db_prepare(conn, "UPDATE visits SET starts_at = $1, ends_at = $2, slot_id = $3, room_id = $4, state = $5,"
                         " updated_at = $6, contact_joined_at = NULL, resident_joined_at = NULL"
                         " WHERE id = $7 AND state = $8");
    db_bind_int(s, 1, p->starts_at);
    db_bind_int(s, 2, p->ends_at);
    db_bind_int(s, 3, p->slot_id);
    db_bind_int(s, 4, p->room_id);
    db_bind_text(s, 5, visit_state_name(p->policy.approval_required ? VISIT_PENDING : VISIT_APPROVED));
    db_bind_int(s, 6, now);
    db_bind_int(s, 7, v->id);
    db_bind_text(s, 8, visit_state_name(v->state));
    if ((err = db_exec(s)) != KITE_OK)
        return err;
    return db_changes(conn) == 1 ? KITE_OK : fault_set(f, KITE_ERR_ALREADY_DECIDED, NULL, FAULT_VISIT_STATE);
}

visit_reprice visit_reprice_of(int64_t held_cents, int64_t price_cents, int64_t balance_cents)
{
    visit_reprice m = {.held_cents = held_cents,
                       .price_cents = price_cents,
                       .balance_cents = balance_cents,
                       .difference_cents = price_cents - held_cents,
                       .available_cents = balance_cents + held_cents};
    /* The hold is given back before the new price is held: both can pay it. */
    m.enough = price_cents <= 0 || m.available_cents >= price_cents;
    return m;
}

/* A move with this Idempotency-Key already: *found (j->out the visit now), or KEY_REUSED for another move. */
static kite_err find_move_repeat(db_conn *conn, const book_job *j, bool *found)
{
    *found = false;
    if (j->key == NULL)
        return KITE_OK;
    db_stmt *s = db_prepare(conn, "SELECT visit_id, to_starts_at, asked_slot_id FROM visit_moves"
                                  " WHERE account_id = $1 AND idempotency_key = $2");
    db_bind_int(s, 1, j->caller->id);
    db_bind_text(s, 2, j->key);
    bool row = db_next(s);
    int64_t visit_id = row ? db_int(s, 0) : 0, to = row ? db_int(s, 1) : 0, asked = row ? db_int(s, 2) : 0;
    kite_err err = db_done(s);
    if (err != KITE_OK || !row)
        return err;
    if (visit_id != j->visit_id || to != j->req->starts_at || asked != j->req->slot_id)
        return fault_set(j->fault, KITE_ERR_IDEMPOTENCY_KEY_REUSED, "Idempotency-Key", FAULT_NONE);
    *found = true;
    return visit_get(conn, visit_id, j->out);
}

/* The visit to move: the caller one of its parties, not begun; *held what its hold holds now. */
static kite_err movable_visit(db_conn *conn, int64_t now, const book_job *j, visit_info *v, int64_t *held)
{
    kite_err err = visit_get(conn, j->visit_id, v);
    if (err != KITE_OK)
        return err;
    bool party = (j->caller->role == ROLE_CONTACT && j->caller->id == v->contact_account_id) ||
                 (j->caller->role == ROLE_RESIDENT && j->caller->id == v->resident_account_id);
    if (!party)
        return KITE_ERR_NOT_FOUND;
    if (v->state != VISIT_PENDING && v->state != VISIT_APPROVED)
        return fault_set(j->fault, KITE_ERR_ALREADY_DECIDED, NULL, FAULT_VISIT_STATE);
    if (v->connected_at != 0 || now >= v->starts_at)
        return fault_set(j->fault, KITE_ERR_ALREADY_DECIDED, NULL, FAULT_VISIT_STARTED);
    *held = 0;
    if (v->hold_id == 0)
        return KITE_OK;
    ledger_hold_info h;
    if ((err = ledger_hold_get(conn, v->hold_id, &h)) != KITE_OK)
        return err;
    *held = h.state == LEDGER_HELD ? h.amount : 0;
    return KITE_OK;
}

/* The plan of v at the asked start, under the booking's rules and payer, and what it does to the money. */
static kite_err plan_move(db_conn *conn, int64_t now, book_job *j, const visit_info *v, int64_t held,
                          booking_plan *p)
{
    const visit_request r = {v->facility_id, v->contact_id, j->req->starts_at, j->req->slot_id};
    kite_err err = plan_booking(conn, now, j->caller, &r, v, p, j->fault);
    if (err == KITE_OK)
        j->money = visit_reprice_of(held, p->price, p->balance);
    return err;
}

/* The record of the move (and of its Idempotency-Key); *id is the new row. */
static kite_err insert_move(db_conn *conn, int64_t now, const book_job *j, const visit_info *v,
                            const booking_plan *p, int64_t *id)
{
    db_stmt *s = db_prepare(conn,
        "INSERT INTO visit_moves (visit_id, account_id, from_starts_at, to_starts_at, to_slot_id, asked_slot_id,"
        " from_price_cents, to_price_cents, idempotency_key, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id");
    db_bind_int(s, 1, v->id);
    db_bind_int(s, 2, j->caller->id);
    db_bind_int(s, 3, v->starts_at);
    db_bind_int(s, 4, p->starts_at);
    db_bind_int(s, 5, p->slot_id);
    db_bind_int(s, 6, j->req->slot_id);
    db_bind_int(s, 7, v->price_cents);
    db_bind_int(s, 8, p->price);
    db_bind_text(s, 9, j->key);
    db_bind_int(s, 10, now);
    *id = db_next(s) ? db_int(s, 0) : 0;
    return db_done(s);
}

static void bind_id_or_null(db_stmt *s, int i, int64_t id)
{
    if (id != 0)
        db_bind_int(s, i, id);
    else
        db_bind_null(s, i);
}

/*
 * Another price: the old hold given back in full, the new price held from
 * the booking's payer (the move is the new hold's subject), and the visit
 * row re-priced at the facility's current rate.  Each hold is held once
 * and settled once, as `kite ledger verify` checks.
 */
static kite_err reprice_hold(db_conn *conn, int64_t now, const char *actor, const book_job *j, const visit_info *v,
                             const booking_plan *p, int64_t move_id)
{
    kite_err err;
    if (j->money.held_cents > 0 && (err = ledger_release(conn, now, actor, v->hold_id)) != KITE_OK)
        return err;
    int64_t hold_id = 0;
    if (p->price > 0) {
        err = ledger_hold(conn, now, actor, LEDGER_SUBJECT_VISIT_MOVE, move_id, p->payer_account_id, p->price,
                          LEDGER_CENTS, &hold_id);
        if (err == KITE_ERR_INSUFFICIENT_FUNDS)
            return funds_fault(j->fault, FAULT_VISIT_FUNDS_MOVE, j->money.price_cents, j->money.available_cents);
        if (err != KITE_OK)
            return err;
    }
    db_stmt *s = db_prepare(conn, "UPDATE visits SET price_cents = $1, rate_cents_per_minute = $2, hold_id = $3,"
                                  " payer_account_id = COALESCE($4, payer_account_id) WHERE id = $5");
    db_bind_int(s, 1, p->price);
    db_bind_int(s, 2, p->rate);
    bind_id_or_null(s, 3, hold_id);
    bind_id_or_null(s, 4, p->payer_account_id);
    db_bind_int(s, 5, v->id);
    if ((err = db_exec(s)) != KITE_OK || hold_id == 0)
        return err;
    s = db_prepare(conn, "UPDATE visit_moves SET hold_id = $1 WHERE id = $2");
    db_bind_int(s, 1, hold_id);
    db_bind_int(s, 2, move_id);
    return db_exec(s);
}

static kite_err reschedule_tx(db_conn *conn, void *arg)
{
    book_job *j = arg;
    int64_t now = clock_now_ms(&j->ctx->clock), held = 0, move_id = 0;
    bool seen;
    visit_info v;
    booking_plan p;
    kite_err err = find_move_repeat(conn, j, &seen);
    *j->repeat = seen;
    if (err != KITE_OK || seen || (err = movable_visit(conn, now, j, &v, &held)) != KITE_OK)
        return err;
    if (j->req->starts_at == v.starts_at && (j->req->slot_id == 0 || j->req->slot_id == v.slot_id)) {
        *j->out = v; /* nothing to move */
        return KITE_OK;
    }
    if ((err = plan_move(conn, now, j, &v, held, &p)) != KITE_OK)
        return err;
    if (!j->money.enough)
        return funds_fault(j->fault, FAULT_VISIT_FUNDS_MOVE, j->money.price_cents, j->money.available_cents);
    bool repriced = p.price != v.price_cents || p.price != held;
    char actor[32], detail[160];
    snprintf(actor, sizeof actor, "account:%" PRId64, j->caller->id);
    if ((err = move_visit(conn, now, &v, &p, j->fault)) != KITE_OK ||
        (err = insert_move(conn, now, j, &v, &p, &move_id)) != KITE_OK ||
        (repriced && (err = reprice_hold(conn, now, actor, j, &v, &p, move_id)) != KITE_OK))
        return err;
    snprintf(detail, sizeof detail, "from=%" PRId64 " to=%" PRId64 " price_from=%" PRId64 " price_to=%" PRId64,
             v.starts_at, p.starts_at, v.price_cents, p.price);
    if ((err = visit_audit(conn, now, actor, "visit.reschedule", &v, detail)) != KITE_OK ||
        (err = visit_get(conn, v.id, j->out)) != KITE_OK)
        return err;
    visit_notice what = p.price > v.price_cents   ? VISIT_NOTICE_MOVED_DEARER
                        : p.price < v.price_cents ? VISIT_NOTICE_MOVED_CHEAPER
                                                  : VISIT_NOTICE_RESCHEDULED;
    return visit_notify(conn, j->ctx->public_url, now, j->out, what);
}

kite_err visit_reschedule(const kite_ctx *ctx, const account *caller, int64_t visit_id, int64_t starts_at,
                          int64_t slot_id, const char *key, visit_info *out, bool *repeat, kite_fault *fault)
{
    if (key != NULL && (key[0] == '\0' || strlen(key) > VISIT_KEY_MAX_BYTES))
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "Idempotency-Key", FAULT_NOT_VALID);
    const visit_request r = {.starts_at = starts_at, .slot_id = slot_id};
    book_job j = {.ctx = ctx, .caller = caller, .req = &r, .key = key, .visit_id = visit_id, .out = out,
                  .repeat = repeat, .fault = fault};
    return fault_settle(fault, db_write(ctx->store, reschedule_tx, &j));
}

static kite_err move_quote_tx(db_conn *conn, void *arg)
{
    book_job *j = arg;
    int64_t now = clock_now_ms(&j->ctx->clock), held = 0;
    visit_info v;
    booking_plan p;
    kite_err err = movable_visit(conn, now, j, &v, &held);
    if (err != KITE_OK || (err = plan_move(conn, now, j, &v, held, &p)) != KITE_OK)
        return err;
    plan_to_quote(&p, j->quote);
    j->quote->visit_id = v.id;
    j->quote->held_cents = held;
    j->quote->difference_cents = j->money.difference_cents;
    j->quote->enough = j->money.enough;
    return KITE_OK;
}

kite_err visit_reschedule_quote(const kite_ctx *ctx, const account *caller, int64_t visit_id, int64_t starts_at,
                                int64_t slot_id, visit_quote *out, kite_fault *fault)
{
    const visit_request r = {.starts_at = starts_at, .slot_id = slot_id};
    book_job j = {.ctx = ctx, .caller = caller, .req = &r, .visit_id = visit_id, .quote = out, .fault = fault};
    return fault_settle(fault, db_read(ctx->store, move_quote_tx, &j));
}
