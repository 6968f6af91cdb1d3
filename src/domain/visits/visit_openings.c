/*
 * visit_openings.c - the starts a family can book at a facility now
 * (visit_openings, visit.h).
 *
 * Design: the facility's local dates from today to the horizon are walked
 * as calendar dates (UTC calendar arithmetic on dates only, which has no
 * zone), each active slot of that weekday is turned into its UTC instant
 * through the facility's zone (visit_zone.c), and what the lead time, the
 * horizon and the blackouts exclude is left out.  Places left come from
 * visit_occupancy, as booking counts them; booking checks again in its own
 * transaction, so this list is advice, never a promise.
 */
#include "domain/visits/visit_store.h"

#include "domain/ledger/prices.h"

#include <stdio.h>
#include <time.h>

#define MINUTE_MS INT64_C(60000)
#define DAY_MS INT64_C(86400000)

typedef struct openings_job {
    const kite_ctx *ctx;
    arena *a;
    int64_t facility_id;
    visit_policy *policy;
    visit_opening *items;
    size_t count;
    kite_fault *fault;
} openings_job;

typedef struct slot_row {
    int64_t id, room_id;
    int weekday, start_minute, length, capacity;
} slot_row;

static kite_err load_slots(db_conn *conn, int64_t facility_id, slot_row *rows, size_t max, size_t *n)
{
    db_stmt *s = db_prepare(conn, "SELECT id, room_id, weekday, start_minute, length_minutes, capacity"
                                  " FROM visit_slots WHERE facility_id = $1 AND active = 1"
                                  " ORDER BY start_minute, id LIMIT 200");
    db_bind_int(s, 1, facility_id);
    *n = 0;
    while (db_next(s) && *n < max) {
        rows[*n] = (slot_row){db_int(s, 0), db_int(s, 1), (int)db_int(s, 2), (int)db_int(s, 3), (int)db_int(s, 4),
                              (int)db_int(s, 5)};
        (*n)++;
    }
    return db_done(s);
}

static kite_err taken_at(db_conn *conn, int64_t slot_id, int64_t starts_at, int64_t *taken)
{
    db_stmt *s = db_prepare(conn, "SELECT taken FROM visit_occupancy WHERE slot_id = $1 AND starts_at = $2");
    db_bind_int(s, 1, slot_id);
    db_bind_int(s, 2, starts_at);
    *taken = db_next(s) ? db_int(s, 0) : 0;
    return db_done(s);
}

/* Adds the openings of one local date (y-m-d, weekday wd) that fit [earliest, latest]. */
static kite_err add_day(db_conn *conn, openings_job *j, const slot_row *slots, size_t n, const struct tm *day,
                        int64_t earliest, int64_t latest, int64_t rate, size_t *cap)
{
    char text[40];
    snprintf(text, sizeof text, "%04d-%02d-%02d", day->tm_year + 1900, day->tm_mon + 1, day->tm_mday);
    bool blackout;
    kite_err err = visit_blackout_on(conn, j->facility_id, text, &blackout);
    if (err != KITE_OK || blackout)
        return err;
    for (size_t i = 0; i < n && j->count < VISIT_OPENINGS_MAX; i++) {
        int64_t at;
        if (slots[i].weekday != day->tm_wday ||
            !visit_zone_to_utc(j->policy->time_zone, day->tm_year + 1900, day->tm_mon + 1, day->tm_mday,
                               slots[i].start_minute, &at) ||
            at < earliest || at > latest)
            continue;
        int64_t taken;
        if ((err = taken_at(conn, slots[i].id, at, &taken)) != KITE_OK)
            return err;
        j->items = arena_grow(j->a, j->items, j->count, cap, sizeof *j->items);
        int left = taken >= slots[i].capacity ? 0 : slots[i].capacity - (int)taken;
        j->items[j->count++] = (visit_opening){slots[i].id, slots[i].room_id, at,
                                               at + slots[i].length * MINUTE_MS, slots[i].length, left,
                                               rate * slots[i].length};
    }
    return KITE_OK;
}

static kite_err openings_tx(db_conn *conn, void *arg)
{
    openings_job *j = arg;
    int64_t now = clock_now_ms(&j->ctx->clock);
    kite_err err = visit_policy_load(conn, j->facility_id, j->policy, j->fault);
    if (err != KITE_OK)
        return err;
    if (j->policy->time_zone[0] == '\0')
        return fault_set(j->fault, KITE_ERR_INVALID_FIELD, "facility_id", FAULT_VISIT_NO_ZONE);
    arena *pa = arena_new();
    facility_prices prices;
    err = facility_prices_load(conn, pa, j->facility_id, &prices, j->fault);
    pa = arena_free(pa);
    if (err != KITE_OK)
        return err;
    slot_row *slots = arena_alloc(j->a, 200 * sizeof *slots); /* allocation failure aborts (arena.h) */
    size_t n;
    if ((err = load_slots(conn, j->facility_id, slots, 200, &n)) != KITE_OK)
        return err;
    visit_wall today;
    if (!visit_zone_from_utc(j->policy->time_zone, now, &today))
        return KITE_ERR_INTERNAL;
    int64_t earliest = now + j->policy->lead_minutes * MINUTE_MS;
    int64_t latest = now + j->policy->horizon_days * DAY_MS;
    struct tm base = {.tm_year = today.year - 1900, .tm_mon = today.month - 1, .tm_mday = today.day, .tm_hour = 12};
    time_t t0 = timegm(&base);
    size_t cap = 0;
    j->count = 0;
    for (int64_t d = 0; d <= j->policy->horizon_days + 1 && err == KITE_OK; d++) {
        time_t t = t0 + (time_t)(d * 86400);
        struct tm day;
        gmtime_r(&t, &day);
        err = add_day(conn, j, slots, n, &day, earliest, latest, prices.video_cents_per_minute, &cap);
    }
    return err;
}

kite_err visit_openings(const kite_ctx *ctx, arena *a, int64_t facility_id, visit_policy *pol,
                        visit_opening **items, size_t *count, kite_fault *fault)
{
    openings_job j = {.ctx = ctx, .a = a, .facility_id = facility_id, .policy = pol, .fault = fault};
    kite_err err = fault_settle(fault, db_read(ctx->store, openings_tx, &j));
    *items = j.items;
    *count = err == KITE_OK ? j.count : 0;
    return err;
}
