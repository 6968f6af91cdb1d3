/*
 * test_visits.c - the money and the hooks of a video visit
 * (domain/visits/visit.h) against a real store, and the time zone
 * conversions (visit_zone.h) across DST changes.
 *
 * A visit row is written as a booking would write it (price held from the
 * contact's balance); then visit_mark_connected and visit_finish are
 * called with chosen `now` values and the ledger is read back: what was
 * captured, what was given back, and `kite ledger verify`'s checks.  The
 * sweeper (visit_sweep) is run at chosen instants too: it completes a
 * visit whose slot ended and marks a no-show only after the grace.  A
 * connected visit is charged only while its media was seen flowing
 * (visit_media_seen, the live visit's polls): to the last time it was seen
 * plus a tolerance, exactly to it when the connection was lost, and the
 * arithmetic itself (visit_charged_end, visit_connected_charge) on visits
 * made by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/secret.h"
#include "db/db.h"
#include "domain/ledger/hold.h"
#include "domain/ledger/ledger.h"
#include "domain/ledger/verify.h"
#include "domain/visits/visit.h"
#include "domain/visits/visit_state.h"
#include "domain/visits/visit_zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "temp_store.h"

#define MIN_MS INT64_C(60000)
/* 2026-03-10 16:00 UTC: a Tuesday. */
#define START INT64_C(1773158400000)
enum { RATE = 25, LENGTH = 30, PRICE = RATE * LENGTH, FUNDS = 5000 };

typedef struct fixture {
    temp_store t;
    int64_t wallet;  /* the contact's balance */
    int64_t revenue; /* the facility's provider revenue */
} fixture;

static kite_err sql_tx(db_conn *conn, void *sql)
{
    return db_exec(db_prepare(conn, sql));
}

static void sql(fixture *f, const char *statement)
{
    if (db_write(f->t.store, sql_tx, (void *)statement) != KITE_OK)
        fail_msg("SQL failed: %s", statement);
}

static kite_err fund_tx(db_conn *conn, void *data)
{
    fixture *f = data;
    int64_t clearing = 0, tx;
    kite_err err = ledger_account_open(conn, 0, "test", LEDGER_CONTACT_BALANCE, (ledger_owner){.account_id = 1},
                                       LEDGER_CENTS, &f->wallet);
    if (err == KITE_OK)
        err = ledger_account_open(conn, 0, "test", LEDGER_PROCESSOR_CLEARING, (ledger_owner){0}, LEDGER_CENTS,
                                  &clearing);
    if (err == KITE_OK)
        err = ledger_account_open(conn, 0, "test", LEDGER_PROVIDER_REVENUE, (ledger_owner){.facility_id = 1},
                                  LEDGER_CENTS, &f->revenue);
    const ledger_line lines[] = {{clearing, -FUNDS}, {f->wallet, FUNDS}};
    const ledger_posting p = {LEDGER_TX_TOP_UP, "top-up", NULL, "test", lines, 2};
    return err != KITE_OK ? err : ledger_post(conn, 0, &p, &tx);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL || temp_store_open(&f->t, "visits") != 0) {
        free(f);
        return -1;
    }
    sql(f, "INSERT INTO facilities (id, name, created_at, updated_at) VALUES (1, 'Test Facility', 0, 0)");
    sql(f, "INSERT INTO accounts (id, role, email, full_name, password_hash, created_at, updated_at)"
           " VALUES (1, 'contact', 'c@example.org', 'C', 'x', 0, 0)");
    sql(f, "INSERT INTO accounts (id, role, email, full_name, password_hash, created_at, updated_at)"
           " VALUES (2, 'resident', NULL, 'R', 'x', 0, 0)");
    sql(f, "INSERT INTO residents (id, account_id, facility_id, resident_number, first_name, last_name, status,"
           " created_at, updated_at) VALUES (1, 2, 1, '123', 'R', 'S', 'active', 0, 0)");
    sql(f, "INSERT INTO contacts (id, resident_id, contact_account_id, status, origin, created_at, updated_at,"
           " facility_id) VALUES (1, 1, 1, 'active', 'request', 0, 0, 1)");
    sql(f, "INSERT INTO visit_rooms (id, facility_id, name, active, created_at) VALUES (1, 1, 'Kiosk 1', 1, 0)");
    sql(f, "INSERT INTO visit_slots (id, facility_id, room_id, weekday, start_minute, length_minutes, capacity,"
           " active, created_at) VALUES (1, 1, 1, 2, 600, 30, 2, 1, 0)");
    if (db_write(f->t.store, fund_tx, f) != KITE_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    temp_store_close(&f->t);
    free(f);
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    return secret_init() == KITE_OK ? 0 : -1;
}

typedef struct booking {
    fixture *f;
    int64_t id;
    int64_t now;
    visit_end_reason reason;
    int64_t charged;
    int what; /* 0 book, 1 connect, 2 finish, 3 media seen at now */
} booking;

/* The visit row and its hold, as visit_book writes them (approved: no staff approval here). */
static kite_err book_row(db_conn *conn, booking *b)
{
    char s[900];
    snprintf(s, sizeof s,
             "INSERT INTO visits (id, facility_id, resident_id, contact_id, contact_account_id, resident_account_id,"
             " booker_account_id, room_id, slot_id, starts_at, ends_at, state, price_cents, rate_cents_per_minute,"
             " payer_account_id, monitoring_required, privileged, created_at, updated_at) VALUES (%lld, 1, 1, 1, 1, 2,"
             " 1, 1, 1, %lld, %lld, 'approved', %d, %d, %lld, 1, 0, 0, 0)",
             (long long)b->id, (long long)START, (long long)(START + LENGTH * MIN_MS), PRICE, RATE,
             (long long)b->f->wallet);
    kite_err err = db_exec(db_prepare(conn, s));
    int64_t hold;
    if (err == KITE_OK)
        err = ledger_hold(conn, 0, "test", LEDGER_SUBJECT_VISIT, b->id, b->f->wallet, PRICE, LEDGER_CENTS, &hold);
    if (err != KITE_OK)
        return err;
    db_stmt *u = db_prepare(conn, "UPDATE visits SET hold_id = $1 WHERE id = $2");
    db_bind_int(u, 1, hold);
    db_bind_int(u, 2, b->id);
    return db_exec(u);
}

static kite_err booking_tx(db_conn *conn, void *data)
{
    booking *b = data;
    switch (b->what) {
    case 0:
        return book_row(conn, b);
    case 1:
        return visit_mark_connected(conn, b->now, b->id);
    case 3:
        return visit_media_seen(conn, b->id, b->now);
    default:
        return visit_finish(conn, b->now, b->id, b->reason, "test", &b->charged);
    }
}

static kite_err joined_tx(db_conn *conn, void *data)
{
    booking *b = data;
    return visit_mark_joined(conn, b->now, b->id, VISIT_PARTY_CONTACT);
}

static kite_err step(fixture *f, int what, int64_t id, int64_t now, visit_end_reason reason, int64_t *charged)
{
    booking b = {f, id, now, reason, 0, what};
    kite_err err = db_write(f->t.store, booking_tx, &b);
    if (charged)
        *charged = b.charged;
    return err;
}

typedef struct probe {
    fixture *f;
    int64_t wallet, revenue;
    visit_info v;
    ledger_hold_info hold;
    ledger_report report;
} probe;

static kite_err probe_tx(db_conn *conn, void *data)
{
    probe *p = data;
    kite_err err = ledger_balance(conn, p->f->wallet, &p->wallet);
    if (err == KITE_OK)
        err = ledger_balance(conn, p->f->revenue, &p->revenue);
    if (err == KITE_OK)
        err = visit_get(conn, p->v.id, &p->v);
    if (err == KITE_OK && p->v.hold_id)
        err = ledger_hold_get(conn, p->v.hold_id, &p->hold);
    p->report = (ledger_report){0};
    return err == KITE_OK ? ledger_verify(conn, &p->report) : err;
}

static probe look(fixture *f, int64_t id)
{
    probe p = {.f = f, .v = {.id = id}};
    assert_int_equal(db_read(f->t.store, probe_tx, &p), KITE_OK);
    if (!ledger_report_ok(&p.report))
        fail_msg("ledger verify: %s", p.report.breach);
    return p;
}

static void test_booking_holds_the_price(void **state)
{
    fixture *f = *state;
    assert_int_equal(step(f, 0, 1, 0, VISIT_END_NONE, NULL), KITE_OK);
    probe p = look(f, 1);
    assert_int_equal(p.wallet, FUNDS - PRICE);
    assert_int_equal(p.hold.state, LEDGER_HELD);
    assert_int_equal(p.hold.amount, PRICE);
    assert_int_equal(p.v.state, VISIT_APPROVED);
    assert_int_equal(p.v.length_minutes, LENGTH);
}

static void test_connect_window_and_once(void **state)
{
    fixture *f = *state;
    assert_int_equal(step(f, 0, 1, 0, VISIT_END_NONE, NULL), KITE_OK);
    /* Six minutes early is outside the window; five is inside. */
    assert_int_equal(step(f, 1, 1, START - 6 * MIN_MS, VISIT_END_NONE, NULL), KITE_ERR_CONFLICT);
    assert_int_equal(step(f, 1, 1, START + LENGTH * MIN_MS + 1, VISIT_END_NONE, NULL), KITE_ERR_CONFLICT);
    assert_int_equal(step(f, 1, 1, START - 5 * MIN_MS, VISIT_END_NONE, NULL), KITE_OK);
    assert_int_equal(look(f, 1).v.state, VISIT_IN_PROGRESS);
    /* A second call changes nothing. */
    assert_int_equal(step(f, 1, 1, START + MIN_MS, VISIT_END_NONE, NULL), KITE_OK);
    assert_int_equal(look(f, 1).v.connected_at, START - 5 * MIN_MS);
}

static void test_finish_charges_connected_minutes(void **state)
{
    fixture *f = *state;
    assert_int_equal(step(f, 0, 1, 0, VISIT_END_NONE, NULL), KITE_OK);
    assert_int_equal(step(f, 1, 1, START + 2 * MIN_MS, VISIT_END_NONE, NULL), KITE_OK);
    /* 12 minutes and 1 second connected, media seen flowing until a second before the end: 13 started minutes. */
    assert_int_equal(step(f, 3, 1, START + 14 * MIN_MS, VISIT_END_NONE, NULL), KITE_OK);
    int64_t charged = -1;
    assert_int_equal(step(f, 2, 1, START + 14 * MIN_MS + 1000, VISIT_END_BY_PARTY, &charged), KITE_OK);
    assert_int_equal(charged, 13 * RATE);
    probe p = look(f, 1);
    assert_int_equal(p.wallet, FUNDS - 13 * RATE);
    assert_int_equal(p.revenue, 13 * RATE);
    assert_int_equal(p.hold.state, LEDGER_CAPTURED);
    assert_int_equal(p.v.state, VISIT_ENDED);
    assert_int_equal(p.v.end_reason, VISIT_END_BY_PARTY);
    assert_int_equal(p.v.charged_cents, 13 * RATE);
    /* Once only. */
    assert_int_equal(step(f, 2, 1, START + 20 * MIN_MS, VISIT_END_COMPLETED, NULL), KITE_ERR_ALREADY_DECIDED);
    assert_int_equal(look(f, 1).wallet, FUNDS - 13 * RATE);
}

static void test_finish_never_more_than_the_slot(void **state)
{
    fixture *f = *state;
    assert_int_equal(step(f, 0, 1, 0, VISIT_END_NONE, NULL), KITE_OK);
    assert_int_equal(step(f, 1, 1, START - 5 * MIN_MS, VISIT_END_NONE, NULL), KITE_OK);
    /* Connected early, media flowing to the end, finished late: the slot's 30 minutes, no more. */
    assert_int_equal(step(f, 3, 1, START + LENGTH * MIN_MS - 1000, VISIT_END_NONE, NULL), KITE_OK);
    int64_t charged = -1;
    assert_int_equal(step(f, 2, 1, START + 90 * MIN_MS, VISIT_END_COMPLETED, &charged), KITE_OK);
    assert_int_equal(charged, PRICE);
    probe p = look(f, 1);
    assert_int_equal(p.wallet, FUNDS - PRICE);
    assert_int_equal(p.revenue, PRICE);
}

static void test_never_connected_releases_all(void **state)
{
    fixture *f = *state;
    assert_int_equal(step(f, 0, 1, 0, VISIT_END_NONE, NULL), KITE_OK);
    int64_t charged = -1;
    assert_int_equal(step(f, 2, 1, START + 15 * MIN_MS, VISIT_END_NO_SHOW_RESIDENT, &charged), KITE_OK);
    assert_int_equal(charged, 0);
    probe p = look(f, 1);
    assert_int_equal(p.wallet, FUNDS);
    assert_int_equal(p.revenue, 0);
    assert_int_equal(p.hold.state, LEDGER_RELEASED);
    assert_int_equal(p.v.end_reason, VISIT_END_NO_SHOW_RESIDENT);
}

static void test_facility_cancel_charges_nothing(void **state)
{
    fixture *f = *state;
    assert_int_equal(step(f, 0, 1, 0, VISIT_END_NONE, NULL), KITE_OK);
    assert_int_equal(step(f, 1, 1, START, VISIT_END_NONE, NULL), KITE_OK);
    int64_t charged = -1;
    assert_int_equal(step(f, 2, 1, START + 10 * MIN_MS, VISIT_END_CANCELLED_BY_FACILITY, &charged), KITE_OK);
    assert_int_equal(charged, 0);
    assert_int_equal(look(f, 1).wallet, FUNDS);
}

static void test_not_connected_before_approval(void **state)
{
    fixture *f = *state;
    assert_int_equal(step(f, 0, 1, 0, VISIT_END_NONE, NULL), KITE_OK);
    sql(f, "UPDATE visits SET state = 'pending' WHERE id = 1");
    assert_int_equal(step(f, 1, 1, START, VISIT_END_NONE, NULL), KITE_ERR_ALREADY_DECIDED);
}

/* ---- the sweeper (visit_sweep) ---- */

static void policy_row(fixture *f)
{
    sql(f, "INSERT INTO facility_policies (facility_id, profile, contact_initiation, invitation_valid_days, contact_limit,"
           " request_lookup, approval, approval_window_hours, message_max_chars, page_chars, attachments_allowed,"
           " attachment_max_bytes, max_attachments, pricing, review, review_sla_hours, daily_send_limit,"
           " resident_number_format, created_at, updated_at) VALUES (1, 'jpay', 'contact_requests', 30, 30, 'number',"
           " 'resident', 0, 6000, 6000, 0, 0, 0, 'balance', 'all', 24, 100, 'any', 0, 0)");
    sql(f, "INSERT INTO visit_policies (facility_id, time_zone, lead_minutes, horizon_days, approval_required,"
           " monitoring_required, cancel_cutoff_minutes, late_cancel_refund, no_show_grace_minutes, updated_at)"
           " VALUES (1, 'America/Chicago', 1440, 14, 1, 1, 1440, 'full', 10, 0)");
}

static void sweep(fixture *f, int64_t now, size_t expected)
{
    kite_ctx ctx = {.store = f->t.store};
    size_t settled = 99;
    assert_int_equal(visit_sweep(&ctx, now, &settled), KITE_OK);
    assert_int_equal(settled, expected);
}

static void test_sweep_completes_a_visit_whose_slot_ended(void **state)
{
    fixture *f = *state;
    policy_row(f);
    assert_int_equal(step(f, 0, 1, 0, VISIT_END_NONE, NULL), KITE_OK);
    assert_int_equal(step(f, 1, 1, START + MIN_MS, VISIT_END_NONE, NULL), KITE_OK);
    sweep(f, START + 10 * MIN_MS, 0); /* still on */
    assert_int_equal(look(f, 1).v.state, VISIT_IN_PROGRESS);
    assert_int_equal(step(f, 3, 1, START + LENGTH * MIN_MS - 2000, VISIT_END_NONE, NULL), KITE_OK);
    sweep(f, START + LENGTH * MIN_MS + 1000, 1);
    probe p = look(f, 1);
    assert_int_equal(p.v.state, VISIT_ENDED);
    assert_int_equal(p.v.end_reason, VISIT_END_COMPLETED);
    assert_int_equal(p.v.charged_cents, (LENGTH - 1) * RATE); /* connected a minute late: 29 minutes */
    assert_int_equal(p.wallet, FUNDS - (LENGTH - 1) * RATE);
    assert_int_equal(p.revenue, (LENGTH - 1) * RATE);
    sweep(f, START + 2 * LENGTH * MIN_MS, 0); /* settled once */
}

static void test_sweep_no_show_names_the_side_that_stayed_away(void **state)
{
    fixture *f = *state;
    policy_row(f);
    assert_int_equal(step(f, 0, 1, 0, VISIT_END_NONE, NULL), KITE_OK);
    booking b = {f, 1, START, VISIT_END_NONE, 0, 0};
    assert_int_equal(db_write(f->t.store, joined_tx, &b), KITE_OK);
    sweep(f, START + 9 * MIN_MS, 0); /* inside the grace */
    assert_int_equal(look(f, 1).v.state, VISIT_APPROVED);
    sweep(f, START + 11 * MIN_MS, 1);
    probe p = look(f, 1);
    assert_int_equal(p.v.end_reason, VISIT_END_NO_SHOW_RESIDENT);
    assert_int_equal(p.v.charged_cents, 0);
    assert_int_equal(p.wallet, FUNDS);
    assert_int_equal(p.hold.state, LEDGER_RELEASED);
}

static void test_charged_to_the_last_media_seen(void **state)
{
    fixture *f = *state;
    assert_int_equal(step(f, 0, 1, 0, VISIT_END_NONE, NULL), KITE_OK);
    assert_int_equal(step(f, 1, 1, START, VISIT_END_NONE, NULL), KITE_OK);
    assert_int_equal(look(f, 1).v.media_seen_at, START); /* connected: both sides' media was seen then */
    assert_int_equal(step(f, 3, 1, START + 5 * MIN_MS + 55000, VISIT_END_NONE, NULL), KITE_OK);
    /* A late look never moves it back. */
    assert_int_equal(step(f, 3, 1, START + 2 * MIN_MS, VISIT_END_NONE, NULL), KITE_OK);
    assert_int_equal(look(f, 1).v.media_seen_at, START + 5 * MIN_MS + 55000);
    /* A monitor ends it 14 minutes later: charged to 10 s past the last media, 6 minutes 5 s: 7 started minutes. */
    int64_t charged = -1;
    assert_int_equal(step(f, 2, 1, START + 20 * MIN_MS, VISIT_END_BY_MONITOR, &charged), KITE_OK);
    assert_int_equal(charged, 7 * RATE);
    probe p = look(f, 1);
    assert_int_equal(p.wallet, FUNDS - 7 * RATE);
    assert_int_equal(p.revenue, 7 * RATE);
    assert_int_equal(p.v.end_reason, VISIT_END_BY_MONITOR);
}

static void test_connection_lost_charged_to_the_media(void **state)
{
    fixture *f = *state;
    /* Lost: charged to the last media exactly (5 min 55 s: 6 minutes), not the 10 s past it (7). */
    assert_int_equal(step(f, 0, 1, 0, VISIT_END_NONE, NULL), KITE_OK);
    assert_int_equal(step(f, 1, 1, START, VISIT_END_NONE, NULL), KITE_OK);
    assert_int_equal(step(f, 3, 1, START + 5 * MIN_MS + 55000, VISIT_END_NONE, NULL), KITE_OK);
    int64_t charged = -1;
    assert_int_equal(step(f, 2, 1, START + 7 * MIN_MS, VISIT_END_CONNECTION_LOST, &charged), KITE_OK);
    assert_int_equal(charged, 6 * RATE);
    probe p = look(f, 1);
    assert_int_equal(p.v.end_reason, VISIT_END_CONNECTION_LOST);
    assert_string_equal(visit_end_reason_name(p.v.end_reason), "connection_lost");
    assert_int_equal(p.wallet, FUNDS - 6 * RATE);
    assert_int_equal(p.hold.state, LEDGER_CAPTURED);

    /* The slot running out on a visit whose media stopped long before: named and charged as lost. */
    assert_int_equal(step(f, 0, 2, 0, VISIT_END_NONE, NULL), KITE_OK);
    assert_int_equal(step(f, 1, 2, START + MIN_MS, VISIT_END_NONE, NULL), KITE_OK);
    assert_int_equal(step(f, 3, 2, START + 4 * MIN_MS, VISIT_END_NONE, NULL), KITE_OK);
    assert_int_equal(step(f, 2, 2, START + LENGTH * MIN_MS + 1000, VISIT_END_COMPLETED, &charged), KITE_OK);
    assert_int_equal(charged, 3 * RATE);
    assert_int_equal(look(f, 2).v.end_reason, VISIT_END_CONNECTION_LOST);
    /* Its media seen until 30 s before the end (within the grace): completed, charged to the end. */
    assert_int_equal(step(f, 0, 3, 0, VISIT_END_NONE, NULL), KITE_OK);
    assert_int_equal(step(f, 1, 3, START, VISIT_END_NONE, NULL), KITE_OK);
    assert_int_equal(step(f, 3, 3, START + LENGTH * MIN_MS - 30000, VISIT_END_NONE, NULL), KITE_OK);
    assert_int_equal(step(f, 2, 3, START + LENGTH * MIN_MS + 1000, VISIT_END_COMPLETED, &charged), KITE_OK);
    assert_int_equal(charged, LENGTH * RATE); /* 29 min 40 s: 30 started minutes */
    assert_int_equal(look(f, 3).v.end_reason, VISIT_END_COMPLETED);
}

static void test_sweep_charges_to_the_last_media_seen(void **state)
{
    fixture *f = *state;
    policy_row(f);
    assert_int_equal(step(f, 0, 1, 0, VISIT_END_NONE, NULL), KITE_OK);
    assert_int_equal(step(f, 1, 1, START, VISIT_END_NONE, NULL), KITE_OK);
    assert_int_equal(step(f, 3, 1, START + 8 * MIN_MS + 30000, VISIT_END_NONE, NULL), KITE_OK);
    /* Nobody polls any more (both browsers closed): the slot's end settles it at the last media, 9 minutes. */
    sweep(f, START + LENGTH * MIN_MS + 1000, 1);
    probe p = look(f, 1);
    assert_int_equal(p.v.end_reason, VISIT_END_CONNECTION_LOST);
    assert_int_equal(p.v.charged_cents, 9 * RATE);
    assert_int_equal(p.wallet, FUNDS - 9 * RATE);
}

static void test_charge_arithmetic(void **state)
{
    (void)state;
    visit_info v = {.starts_at = START, .ends_at = START + LENGTH * MIN_MS, .length_minutes = LENGTH,
                    .rate_cents_per_minute = RATE, .price_cents = PRICE, .connected_at = START + MIN_MS};
    /* Never seen (a visit connected before step 29): to now, as before; a started minute counts. */
    assert_int_equal(visit_charged_end(&v, VISIT_END_BY_PARTY, START + 3 * MIN_MS), START + 3 * MIN_MS);
    assert_int_equal(visit_connected_charge(&v, VISIT_END_BY_PARTY, START + 3 * MIN_MS + 1), 3 * RATE);
    assert_int_equal(visit_lost_at(&v), 0);
    v.media_seen_at = START + 4 * MIN_MS;
    assert_int_equal(visit_lost_at(&v), START + 4 * MIN_MS + VISIT_MEDIA_GRACE_MS);
    /* Ended soon after the last look: to now.  Long after: to the last look plus the tolerance. */
    assert_int_equal(visit_charged_end(&v, VISIT_END_BY_PARTY, START + 4 * MIN_MS + 3000), START + 4 * MIN_MS + 3000);
    assert_int_equal(visit_charged_end(&v, VISIT_END_BY_MONITOR, START + 20 * MIN_MS),
                     START + 4 * MIN_MS + VISIT_MEDIA_TOLERANCE_MS);
    assert_int_equal(visit_connected_charge(&v, VISIT_END_BY_MONITOR, START + 20 * MIN_MS), 4 * RATE);
    /* Lost: to the last look exactly (3 minutes, not 4). */
    assert_int_equal(visit_charged_end(&v, VISIT_END_CONNECTION_LOST, START + 20 * MIN_MS), START + 4 * MIN_MS);
    assert_int_equal(visit_connected_charge(&v, VISIT_END_CONNECTION_LOST, START + 20 * MIN_MS), 3 * RATE);
    /* Never past the slot's end, never more than the price; the facility's cancellation costs nothing. */
    v.media_seen_at = START + 40 * MIN_MS;
    assert_int_equal(visit_charged_end(&v, VISIT_END_COMPLETED, START + 50 * MIN_MS), v.ends_at);
    assert_int_equal(visit_connected_charge(&v, VISIT_END_COMPLETED, START + 50 * MIN_MS), (LENGTH - 1) * RATE);
    v.connected_at = START - 5 * MIN_MS;
    assert_int_equal(visit_connected_charge(&v, VISIT_END_COMPLETED, START + 50 * MIN_MS), PRICE);
    assert_int_equal(visit_connected_charge(&v, VISIT_END_CANCELLED_BY_FACILITY, START + 50 * MIN_MS), 0);
    /* Not connected: nothing, whatever was seen. */
    v.connected_at = 0;
    assert_int_equal(visit_connected_charge(&v, VISIT_END_BY_MONITOR, START + 20 * MIN_MS), 0);
    /* Media last seen the instant it connected: nothing when lost at once, a started minute otherwise. */
    v.connected_at = v.media_seen_at = START;
    assert_int_equal(visit_connected_charge(&v, VISIT_END_CONNECTION_LOST, START + 2 * MIN_MS), 0);
    assert_int_equal(visit_connected_charge(&v, VISIT_END_BY_PARTY, START + 2 * MIN_MS), RATE);
}

static void test_partial_capture_bounds(void **state)
{
    (void)state;
    /* The state table: nothing leaves ended, declined or cancelled. */
    for (int s = 0; s < VISIT_STATE_COUNT; s++) {
        visit_state parsed;
        assert_true(visit_state_parse(visit_state_name((visit_state)s), &parsed));
        assert_int_equal(parsed, s);
        for (int t = 0; t < VISIT_STATE_COUNT; t++)
            if (s == VISIT_ENDED || s == VISIT_DECLINED || s == VISIT_CANCELLED)
                assert_false(visit_transition_allowed((visit_state)s, (visit_state)t));
    }
    assert_true(visit_transition_allowed(VISIT_PENDING, VISIT_APPROVED));
    assert_false(visit_transition_allowed(VISIT_PENDING, VISIT_IN_PROGRESS));
}

/* A move's money: the hold is given back before the new price is held, so both pay for it. */
static void test_reprice_arithmetic(void **state)
{
    (void)state;
    visit_reprice m = visit_reprice_of(30 * RATE, 20 * RATE, 100); /* 30 -> 20 minutes: a refund */
    assert_int_equal(m.difference_cents, -10 * RATE);
    assert_int_equal(m.available_cents, 100 + 30 * RATE);
    assert_true(m.enough);
    m = visit_reprice_of(30 * RATE, 20 * RATE, 0); /* a refund needs no balance */
    assert_true(m.enough);
    m = visit_reprice_of(30 * RATE, 45 * RATE, 15 * RATE); /* 30 -> 45: exactly the difference on the balance */
    assert_int_equal(m.difference_cents, 15 * RATE);
    assert_int_equal(m.available_cents, 45 * RATE);
    assert_true(m.enough);
    m = visit_reprice_of(30 * RATE, 45 * RATE, 15 * RATE - 1); /* one cent short */
    assert_false(m.enough);
    assert_int_equal(m.price_cents, 45 * RATE);
    m = visit_reprice_of(0, PRICE, PRICE - 1); /* a free visit moved to a priced slot: the balance alone */
    assert_false(m.enough);
    assert_int_equal(m.difference_cents, PRICE);
    m = visit_reprice_of(PRICE, 0, 0); /* a priced visit moved where the rate is now zero: all back */
    assert_true(m.enough);
    assert_int_equal(m.difference_cents, -PRICE);
}

/* The re-priced visit's ledger as reschedule writes it: the booking's hold released, the move's hold placed. */
static kite_err reprice_tx(db_conn *conn, void *data)
{
    booking *b = data;
    visit_info v;
    kite_err err = visit_get(conn, b->id, &v);
    if (err == KITE_OK)
        err = ledger_release(conn, 1, "test", v.hold_id);
    if (err == KITE_OK)
        err = db_exec(db_prepare(conn, "INSERT INTO visit_moves (id, visit_id, account_id, from_starts_at, to_starts_at,"
                                       " to_slot_id, asked_slot_id, from_price_cents, to_price_cents, created_at)"
                                       " VALUES (7, 1, 1, 0, 0, 1, 0, 750, 500, 1)"));
    int64_t hold = 0;
    if (err == KITE_OK)
        err = ledger_hold(conn, 1, "test", LEDGER_SUBJECT_VISIT_MOVE, 7, b->f->wallet, 20 * RATE, LEDGER_CENTS, &hold);
    if (err != KITE_OK)
        return err;
    db_stmt *u = db_prepare(conn, "UPDATE visits SET hold_id = $1, price_cents = $2, ends_at = $3 WHERE id = 1");
    db_bind_int(u, 1, hold);
    db_bind_int(u, 2, 20 * RATE);
    db_bind_int(u, 3, START + 20 * MIN_MS);
    return db_exec(u);
}

static void test_repriced_visit_settles_its_new_hold(void **state)
{
    fixture *f = *state;
    assert_int_equal(step(f, 0, 1, 0, VISIT_END_NONE, NULL), KITE_OK);
    booking b = {f, 1, 0, VISIT_END_NONE, 0, 0};
    assert_int_equal(db_write(f->t.store, reprice_tx, &b), KITE_OK);
    probe p = look(f, 1); /* ledger verify holds after the move */
    assert_int_equal(p.wallet, FUNDS - 20 * RATE);
    assert_int_equal(p.hold.subject, LEDGER_SUBJECT_VISIT_MOVE);
    assert_int_equal(p.hold.amount, 20 * RATE);
    assert_int_equal(p.v.length_minutes, 20);
    /* Connected, media seen for the whole 20-minute slot and more: the new price, no more. */
    assert_int_equal(step(f, 1, 1, START, VISIT_END_NONE, NULL), KITE_OK);
    assert_int_equal(step(f, 3, 1, START + 25 * MIN_MS, VISIT_END_NONE, NULL), KITE_OK);
    int64_t charged = -1;
    assert_int_equal(step(f, 2, 1, START + 25 * MIN_MS, VISIT_END_COMPLETED, &charged), KITE_OK);
    assert_int_equal(charged, 20 * RATE);
    p = look(f, 1);
    assert_int_equal(p.wallet, FUNDS - 20 * RATE);
    assert_int_equal(p.revenue, 20 * RATE);
    assert_int_equal(p.hold.state, LEDGER_CAPTURED);
}

static void test_zone_keeps_wall_time_across_dst(void **state)
{
    (void)state;
    int64_t before, after, fall;
    /* Tuesday 10:00 in Chicago: 16:00 UTC in CST (3 March 2026), 15:00 UTC in CDT (10 March). */
    assert_true(visit_zone_to_utc("America/Chicago", 2026, 3, 3, 600, &before));
    assert_true(visit_zone_to_utc("America/Chicago", 2026, 3, 10, 600, &after));
    assert_int_equal(before, INT64_C(1772553600000));
    assert_int_equal(after, INT64_C(1773154800000));
    assert_int_equal(after - before, 7 * 24 * 60 * MIN_MS - 60 * MIN_MS);
    /* 3 November 2026 (after the fall change): back to 16:00 UTC. */
    assert_true(visit_zone_to_utc("America/Chicago", 2026, 11, 3, 600, &fall));
    visit_wall w;
    assert_true(visit_zone_from_utc("America/Chicago", fall, &w));
    assert_int_equal(w.hour, 10);
    assert_int_equal(w.minute, 0);
    assert_int_equal(w.weekday, 2);
    assert_int_equal(w.offset_minutes, -360);
    assert_true(visit_zone_from_utc("America/Chicago", after, &w));
    assert_int_equal(w.offset_minutes, -300);
    char s[VISIT_LOCAL_TIME_MAX];
    assert_true(visit_zone_local_string("America/Chicago", after, s, sizeof s));
    assert_string_equal(s, "2026-03-10T10:00:00-05:00");
    assert_true(visit_zone_valid("America/New_York"));
    assert_false(visit_zone_valid("America/Nowhere"));
    assert_false(visit_zone_valid("GMT+5"));
    assert_false(visit_zone_valid(""));
    assert_false(visit_zone_to_utc("America/Chicago", 2026, 2, 30, 600, &fall));
    assert_string_equal(visit_zone_suggest("IL"), "America/Chicago");
    assert_null(visit_zone_suggest("TX")); /* two zones: the admin chooses */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_booking_holds_the_price, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_window_and_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_finish_charges_connected_minutes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_finish_never_more_than_the_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_never_connected_releases_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_facility_cancel_charges_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_connected_before_approval, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_completes_a_visit_whose_slot_ended, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_no_show_names_the_side_that_stayed_away, setup, teardown),
        cmocka_unit_test_setup_teardown(test_charged_to_the_last_media_seen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connection_lost_charged_to_the_media, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_charges_to_the_last_media_seen, setup, teardown),
        cmocka_unit_test(test_charge_arithmetic),
        cmocka_unit_test(test_partial_capture_bounds),
        cmocka_unit_test(test_reprice_arithmetic),
        cmocka_unit_test_setup_teardown(test_repriced_visit_settles_its_new_hold, setup, teardown),
        cmocka_unit_test(test_zone_keeps_wall_time_across_dst),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
