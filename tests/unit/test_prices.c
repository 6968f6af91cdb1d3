/*
 * test_prices.c - a facility's stored prices: saved and loaded back whole,
 * every rule refused with the field named and nothing written, the FCC caps
 * met exactly and passed by one cent, the model kept the policy's, a partial
 * update refused when someone saved in between; and the revenue report's
 * period, read from dates at their edges.
 *
 * The store is a real temporary SQLite file; the facility is a jail of 200
 * (FCC caps: audio 13, video 21 cents a minute) on the jpay profile.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "domain/context.h"
#include "domain/ledger/ledger.h"
#include "domain/ledger/prices.h"
#include "domain/ledger/revenue.h"

#include "temp_store.h"

enum { FACILITY = 1, OFF_KITE = 2, AUDIO_CAP = 13, VIDEO_CAP = 21 };

typedef struct fixture {
    temp_store t;
    kite_ctx ctx;
    arena *a;
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

typedef struct count_call {
    const char *sql;
    int64_t n;
} count_call;

static kite_err count_tx(db_conn *conn, void *data)
{
    count_call *c = data;
    db_stmt *s = db_prepare(conn, c->sql);
    c->n = db_next(s) ? db_int(s, 0) : -1;
    return db_done(s);
}

static int64_t count(fixture *f, const char *query)
{
    count_call c = {query, 0};
    assert_int_equal(db_read(f->t.store, count_tx, &c), KITE_OK);
    return c.n;
}

typedef struct save_call {
    facility_prices p;
    kite_fault fault;
    kite_err result;
} save_call;

/* Saves and returns KITE_OK whatever was refused, so a refusal's writes would be committed if it made any. */
static kite_err save_tx(db_conn *conn, void *data)
{
    save_call *c = data;
    c->result = facility_prices_save(conn, 5000, "account:7", &c->p, &c->fault);
    return KITE_OK;
}

static kite_err save(fixture *f, const facility_prices *p, kite_fault *fault)
{
    save_call c = {.p = *p};
    assert_int_equal(db_write(f->t.store, save_tx, &c), KITE_OK);
    if (fault != NULL)
        *fault = c.fault;
    return c.result;
}

static facility_prices load(fixture *f)
{
    facility_prices p = {0};
    kite_fault fault;
    assert_int_equal(facility_prices_get(&f->ctx, f->a, FACILITY, &p, &fault), KITE_OK);
    return p;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL || temp_store_open(&f->t, "prices") != 0) {
        free(f);
        return -1;
    }
    f->ctx.store = f->t.store;
    f->a = arena_new();
    sql(f, "INSERT INTO facilities (id, name, type, population, created_at, updated_at)"
           " VALUES (1, 'Test County Jail', 'county', 200, 0, 0)");
    sql(f, "INSERT INTO facilities (id, name, type, created_at, updated_at) VALUES (2, 'Elsewhere', 'state', 0, 0)");
    sql(f, "INSERT INTO facility_policies (facility_id, profile, contact_initiation, invitation_valid_days,"
           " contact_limit, request_lookup, approval, approval_window_hours, message_max_chars, page_chars,"
           " attachments_allowed, attachment_max_bytes, max_attachments, pricing, review, review_sla_hours,"
           " daily_send_limit, resident_number_format, created_at, updated_at) VALUES (1, 'jpay', 'contact_requests',"
           " 30, 50, 'number', 'resident', 0, 10000, 2500, 1, 1000000, 3, 'stamps', 'all', 24, 50, 'any', 0, 0)");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    arena_free(f->a);
    temp_store_close(&f->t);
    free(f);
    return 0;
}

static void test_defaults_until_saved(void **state)
{
    fixture *f = *state;
    facility_prices p = load(f);
    assert_false(p.stored);
    assert_int_equal(p.updated_at, 0);
    assert_null(p.updated_by);
    assert_int_equal(p.schedule.model, PRICING_STAMPS);
    assert_int_equal(p.audio_cap_cents, AUDIO_CAP);
    assert_int_equal(p.video_cap_cents, VIDEO_CAP);
    assert_int_equal(p.audio_cents_per_minute, AUDIO_CAP); /* the default rate is the cap */
    assert_int_equal(p.deposit_fee_cents, 0);
    kite_fault fault;
    assert_int_equal(facility_prices_get(&f->ctx, f->a, OFF_KITE, &p, &fault), KITE_ERR_NOT_FOUND);
    assert_int_equal(fault.detail, FAULT_POLICY);
}

static void test_round_trip(void **state)
{
    fixture *f = *state;
    facility_prices p = load(f);
    p.schedule.stamp_unit_cents = 50;
    p.schedule.stamp_bundles[0] = (price_bundle){5, 225};
    p.schedule.stamp_bundles[1] = (price_bundle){15, 600};
    p.schedule.stamp_bundles[2] = (price_bundle){0, 0};
    p.schedule.stamp_bundles[3] = (price_bundle){0, 0};
    p.schedule.credit_unit_cents = 30;
    p.schedule.credit_bundles[0] = (price_bundle){10, 250};
    p.schedule.photo_cents = 99;
    p.schedule.terminal_cents_per_minute = 4;
    p.transfer_fees = (fee_tiers){.count = 2, .tiers = {{1000, 100}, {50000, 500}}};
    p.transfer_limits = (transfer_limits){.min_cents = 100, .max_cents = 50000, .monthly_cents = 200000};
    p.audio_cents_per_minute = 9;
    p.video_cents_per_minute = 15;
    p.schedule.model = PRICING_CREDITS; /* the policy's, not the prices': ignored */
    p.schedule.page_chars = 7;
    assert_int_equal(save(f, &p, NULL), KITE_OK);

    facility_prices back = load(f);
    assert_true(back.stored);
    assert_int_equal(back.updated_at, 5000);
    assert_string_equal(back.updated_by, "account:7");
    assert_int_equal(back.schedule.model, PRICING_STAMPS);
    assert_int_equal(back.schedule.page_chars, 2500);
    for (size_t i = 0; i < facility_price_field_count; i++) {
        int64_t want, got;
        memcpy(&want, (const char *)&p + facility_price_fields[i].offset, sizeof want);
        memcpy(&got, (const char *)&back + facility_price_fields[i].offset, sizeof got);
        if (want != got)
            fail_msg("%s: saved %lld, loaded %lld", facility_price_fields[i].name, (long long)want, (long long)got);
    }
    assert_memory_equal(back.schedule.stamp_bundles, p.schedule.stamp_bundles, sizeof p.schedule.stamp_bundles);
    assert_memory_equal(back.schedule.credit_bundles, p.schedule.credit_bundles, sizeof p.schedule.credit_bundles);
    assert_int_equal(back.transfer_fees.count, 2);
    assert_int_equal(back.transfer_fees.tiers[1].up_to_cents, 50000);
    assert_int_equal(back.transfer_fees.tiers[1].fee_cents, 500);

    /* A bundle is priced from what was saved. */
    int64_t cents;
    kite_fault fault;
    assert_int_equal(bundle_price(&back.schedule, PRICE_UNIT_STAMPS, 15, &cents, &fault), KITE_OK);
    assert_int_equal(cents, 600);
    assert_int_equal(bundle_price(&back.schedule, PRICE_UNIT_STAMPS, 10, &cents, &fault), KITE_ERR_INVALID_FIELD);
    /* Saved and audited in one transaction, naming what changed. */
    assert_int_equal(count(f, "SELECT COUNT(*) FROM audit_log WHERE action = 'prices.update' AND target = 'facility:1'"
                              " AND detail LIKE '%audio_cents_per_minute 13->9%' AND detail LIKE '%stamp_bundles%'"),
                     1);
}

/* The rates at exactly the cap are allowed; one cent more is refused naming the field and the cap. */
static void test_fcc_caps_exactly_met_and_one_cent_above(void **state)
{
    fixture *f = *state;
    facility_prices p = load(f);
    p.audio_cents_per_minute = AUDIO_CAP;
    p.video_cents_per_minute = VIDEO_CAP;
    assert_int_equal(save(f, &p, NULL), KITE_OK);

    kite_fault fault;
    p.audio_cents_per_minute = AUDIO_CAP + 1;
    assert_int_equal(save(f, &p, &fault), KITE_ERR_INVALID_FIELD);
    assert_string_equal(fault.field, "audio_cents_per_minute");
    assert_int_equal(fault.detail, FAULT_FCC_CAP);
    assert_int_equal(fault.limit, AUDIO_CAP);
    const char *sentence = fault_sentence(f->a, &fault, FAULT_LANG_EN);
    assert_non_null(strstr(sentence, "13 cents per minute"));

    p.audio_cents_per_minute = AUDIO_CAP;
    p.video_cents_per_minute = VIDEO_CAP + 1;
    assert_int_equal(save(f, &p, &fault), KITE_ERR_INVALID_FIELD);
    assert_string_equal(fault.field, "video_cents_per_minute");
    assert_int_equal(fault.limit, VIDEO_CAP);
    assert_int_equal(load(f).video_cents_per_minute, VIDEO_CAP); /* nothing written */

    p.video_cents_per_minute = VIDEO_CAP;
    p.deposit_fee_cents = 1;
    assert_int_equal(save(f, &p, &fault), KITE_ERR_INVALID_FIELD);
    assert_string_equal(fault.field, "deposit_fee_cents");
    assert_int_equal(fault.detail, FAULT_FCC_ANCILLARY);
}

static void expect_refused(fixture *f, const facility_prices *p, const char *field, fault_detail detail)
{
    kite_fault fault;
    int64_t audits = count(f, "SELECT COUNT(*) FROM audit_log");
    assert_int_equal(save(f, p, &fault), KITE_ERR_INVALID_FIELD);
    assert_string_equal(fault.field, field);
    assert_int_equal(fault.detail, detail);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM facility_prices"), 0);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM audit_log"), audits);
}

static void test_rules_refused_with_nothing_written(void **state)
{
    fixture *f = *state;
    const facility_prices good = load(f);
    facility_prices p = good;
    /* Fee tiers out of order: the second ends below the first. */
    p.transfer_fees = (fee_tiers){.count = 2, .tiers = {{2000, 350}, {1000, 200}}};
    expect_refused(f, &p, "fee_tiers", FAULT_NOT_VALID);
    p.transfer_fees = (fee_tiers){.count = 2, .tiers = {{2000, 350}, {2000, 400}}}; /* equal bounds */
    expect_refused(f, &p, "fee_tiers", FAULT_NOT_VALID);
    p.transfer_fees = (fee_tiers){.count = 0};
    expect_refused(f, &p, "fee_tiers", FAULT_NOT_VALID);
    p.transfer_fees = (fee_tiers){.count = FEE_TIERS_MAX + 1};
    expect_refused(f, &p, "fee_tiers", FAULT_NOT_VALID);

    p = good;
    p.schedule.stamp_bundles[0] = (price_bundle){10, 300};
    p.schedule.stamp_bundles[1] = (price_bundle){5, 200}; /* smaller after larger */
    expect_refused(f, &p, "stamp_bundles", FAULT_NOT_VALID);
    p = good;
    p.schedule.stamp_bundles[0] = (price_bundle){5, 5 * good.schedule.stamp_unit_cents + 1}; /* dearer than list */
    expect_refused(f, &p, "stamp_bundles", FAULT_NOT_VALID);

    p = good;
    p.schedule.photo_cents = -1;
    expect_refused(f, &p, "photo_cents", FAULT_RANGE);
    p = good;
    p.transfer_limits.max_cents = p.transfer_limits.min_cents - 1;
    expect_refused(f, &p, "transfer_max_cents", FAULT_RANGE);
    p = good;
    p.transfer_limits.min_cents = 0;
    expect_refused(f, &p, "transfer_min_cents", FAULT_RANGE);
    p = good;
    p.audio_cents_per_minute = -1;
    expect_refused(f, &p, "audio_cents_per_minute", FAULT_RANGE);

    p = good;
    p.facility_id = OFF_KITE;
    kite_fault fault;
    assert_int_equal(save(f, &p, &fault), KITE_ERR_NOT_FOUND);
    assert_int_equal(fault.detail, FAULT_POLICY);
}

/* A partial update is computed from prices read before: a save in between makes it a conflict. */
static void test_update_refuses_a_stale_edit(void **state)
{
    fixture *f = *state;
    facility_prices first = load(f), stored = {0};
    first.schedule.photo_cents = 10;
    kite_fault fault;
    assert_int_equal(facility_prices_update(&f->ctx, f->a, "account:7", &first, 0, &stored, &fault), KITE_OK);
    assert_int_equal(stored.schedule.photo_cents, 10);
    assert_true(stored.updated_at > 0);

    facility_prices stale = first;
    stale.schedule.photo_cents = 20;
    assert_int_equal(facility_prices_update(&f->ctx, f->a, "account:8", &stale, 0, &stored, &fault),
                     KITE_ERR_CONFLICT);
    assert_int_equal(fault.detail, FAULT_PRICES_CHANGED);
    facility_prices now = load(f);
    assert_int_equal(now.schedule.photo_cents, 10);

    facility_prices second = now;
    second.schedule.photo_cents = 30;
    assert_int_equal(facility_prices_update(&f->ctx, f->a, "account:8", &second, now.updated_at, &stored, &fault),
                     KITE_OK);
    assert_int_equal(stored.schedule.photo_cents, 30);
    assert_true(stored.updated_at > now.updated_at);
}

/* A stored rate the law no longer allows (the facility grew into a lower cap) is charged at the cap. */
static void test_stored_rate_above_a_new_cap_is_read_as_the_cap(void **state)
{
    fixture *f = *state;
    facility_prices p = load(f);
    p.audio_cents_per_minute = AUDIO_CAP;
    p.video_cents_per_minute = 17;
    p.schedule.photo_cents = 12;
    assert_int_equal(save(f, &p, NULL), KITE_OK);
    sql(f, "UPDATE facilities SET population = 5000 WHERE id = 1"); /* caps 10 and 19 from now on */
    facility_prices now = load(f);
    assert_int_equal(now.audio_cap_cents, 10);
    assert_int_equal(now.audio_cents_per_minute, 10);
    assert_int_equal(now.video_cents_per_minute, 17); /* still within its cap: kept */
    assert_int_equal(now.schedule.photo_cents, 12);
    /* Saving the stored rate again is refused, naming the new cap. */
    kite_fault fault;
    now.audio_cents_per_minute = AUDIO_CAP;
    assert_int_equal(save(f, &now, &fault), KITE_ERR_INVALID_FIELD);
    assert_int_equal(fault.limit, 10);
}

/* What the store holds but no facility could have saved refuses to price, rather than charge it. */
static void test_corrupt_row_refuses_to_price(void **state)
{
    fixture *f = *state;
    facility_prices p = load(f);
    assert_int_equal(save(f, &p, NULL), KITE_OK);
    sql(f, "UPDATE facility_prices SET photo_cents = -5 WHERE facility_id = 1");
    kite_fault fault;
    assert_int_equal(facility_prices_get(&f->ctx, f->a, FACILITY, &p, &fault), KITE_ERR_INTERNAL);
    sql(f, "UPDATE facility_prices SET photo_cents = 5 WHERE facility_id = 1");
    sql(f, "INSERT INTO facility_price_bundles (facility_id, unit, count, price_cents) VALUES"
           " (1, 'stamps', 1, 1), (1, 'stamps', 2, 2), (1, 'stamps', 3, 3)"); /* seven bundles: more than sold */
    assert_int_equal(facility_prices_get(&f->ctx, f->a, FACILITY, &p, &fault), KITE_ERR_INTERNAL);
}

static void test_revenue_period(void **state)
{
    (void)state;
    int64_t from, to;
    kite_fault fault;
    assert_int_equal(revenue_period_parse("2026-01-01", "2026-01-31", &from, &to, &fault), KITE_OK);
    assert_int_equal(from, INT64_C(1767225600000)); /* 2026-01-01T00:00:00Z */
    assert_int_equal(to, INT64_C(1769904000000));   /* 2026-02-01T00:00:00Z: the last day is whole */
    assert_int_equal(revenue_period_parse("2024-02-29", "2024-02-29", &from, &to, &fault), KITE_OK);
    assert_int_equal(to - from, INT64_C(86400000));

    static const char *const bad[] = {"2026-1-01", "2026-13-01", "2026-02-29", "2026-00-10", "2026-01-32",
                                      "20260101",  "2026-01-01x", "abcd-ef-gh", "1969-12-31"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(revenue_period_parse(bad[i], "2026-01-01", &from, &to, &fault), KITE_ERR_INVALID_FIELD);
        assert_string_equal(fault.field, "from");
        assert_int_equal(fault.detail, FAULT_DATE);
        assert_int_equal(revenue_period_parse("2026-01-01", bad[i], &from, &to, &fault), KITE_ERR_INVALID_FIELD);
        assert_string_equal(fault.field, "to");
    }
    assert_int_equal(revenue_period_parse(NULL, "2026-01-01", &from, &to, &fault), KITE_ERR_INVALID_FIELD);
    assert_int_equal(fault.detail, FAULT_REQUIRED);
    assert_int_equal(revenue_period_parse("2026-01-01", "", &from, &to, &fault), KITE_ERR_INVALID_FIELD);
    assert_int_equal(fault.detail, FAULT_REQUIRED);
    assert_int_equal(revenue_period_parse("2026-01-02", "2026-01-01", &from, &to, &fault), KITE_ERR_INVALID_FIELD);
    assert_string_equal(fault.field, "to");
    assert_int_equal(fault.detail, FAULT_DATE_ORDER);
    assert_int_equal(fault.limit, REVENUE_MAX_DAYS);
}

/* ---- the revenue report over real postings ---- */

enum { DAY_MS = 86400000 };
#define JAN_1 INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */

typedef struct ledger_world {
    int64_t clearing, balance, trust, provider, provider_stamps, stamps, fees, facility_revenue;
    int64_t other_provider; /* the provider_revenue of another facility */
} ledger_world;

static int64_t open_at(db_conn *conn, ledger_kind kind, ledger_owner owner, ledger_unit unit)
{
    int64_t id = 0;
    assert_int_equal(ledger_account_open(conn, JAN_1, "cli", kind, owner, unit, &id), KITE_OK);
    return id;
}

static void post_at(db_conn *conn, int64_t at, ledger_tx_kind kind, const ledger_line *lines, size_t count)
{
    ledger_posting p = {kind, "test", NULL, "cli", lines, count};
    int64_t tx;
    assert_int_equal(ledger_post(conn, at, &p, &tx), KITE_OK);
}

static kite_err postings_tx(db_conn *conn, void *data)
{
    ledger_world *w = data;
    w->clearing = open_at(conn, LEDGER_PROCESSOR_CLEARING, (ledger_owner){0}, LEDGER_CENTS);
    w->balance = open_at(conn, LEDGER_CONTACT_BALANCE, (ledger_owner){.account_id = 1}, LEDGER_CENTS);
    w->trust = open_at(conn, LEDGER_RESIDENT_TRUST, (ledger_owner){.resident_id = 1}, LEDGER_CENTS);
    w->provider = open_at(conn, LEDGER_PROVIDER_REVENUE, (ledger_owner){.facility_id = FACILITY}, LEDGER_CENTS);
    w->provider_stamps = open_at(conn, LEDGER_PROVIDER_REVENUE, (ledger_owner){.facility_id = FACILITY},
                                 LEDGER_UNIT_STAMPS);
    w->stamps = open_at(conn, LEDGER_STAMPS, (ledger_owner){.account_id = 1, .facility_id = FACILITY},
                        LEDGER_UNIT_STAMPS);
    w->fees = open_at(conn, LEDGER_FEES, (ledger_owner){.facility_id = FACILITY}, LEDGER_CENTS);
    w->facility_revenue = open_at(conn, LEDGER_FACILITY_REVENUE, (ledger_owner){.facility_id = FACILITY}, LEDGER_CENTS);
    w->other_provider = open_at(conn, LEDGER_PROVIDER_REVENUE, (ledger_owner){.facility_id = OFF_KITE}, LEDGER_CENTS);
    int64_t in = JAN_1 + 10 * DAY_MS; /* 2026-01-11 */
    const ledger_line top_up[] = {{w->clearing, -10000}, {w->balance, 10000}};
    post_at(conn, in, LEDGER_TX_TOP_UP, top_up, 2);
    const ledger_line bundle[] = {{w->balance, -370}, {w->provider, 370}, {w->provider_stamps, -10}, {w->stamps, 10}};
    post_at(conn, in, LEDGER_TX_PURCHASE, bundle, 4);
    post_at(conn, in + 1, LEDGER_TX_PURCHASE, bundle, 4);
    const ledger_line spend[] = {{w->stamps, -3}, {w->provider_stamps, 3}};
    post_at(conn, in + 2, LEDGER_TX_ADJUSTMENT, spend, 2);
    /* A transfer of $10.00 with its $3.50 fee, split with the facility. */
    const ledger_line transfer[] = {{w->balance, -1350}, {w->trust, 1000}, {w->fees, 300}, {w->facility_revenue, 50}};
    post_at(conn, in + 3, LEDGER_TX_TRANSFER, transfer, 4);
    const ledger_line refund[] = {{w->provider, -100}, {w->balance, 100}};
    post_at(conn, in + 4, LEDGER_TX_REFUND, refund, 2);
    /* Outside the period (the last day of December, the first of February), and another facility's. */
    post_at(conn, JAN_1 - 1, LEDGER_TX_PURCHASE, bundle, 4);
    post_at(conn, JAN_1 + (int64_t)31 * DAY_MS, LEDGER_TX_PURCHASE, bundle, 4);
    const ledger_line elsewhere[] = {{w->balance, -500}, {w->other_provider, 500}};
    post_at(conn, in, LEDGER_TX_PURCHASE, elsewhere, 2);
    return KITE_OK;
}

static void test_revenue_report_sums_the_facility_s_accounts(void **state)
{
    fixture *f = *state;
    sql(f, "INSERT INTO accounts (id, role, email, full_name, password_hash, created_at, updated_at)"
           " VALUES (1, 'contact', 'c@example.org', 'C', 'x', 0, 0), (2, 'resident', NULL, 'R', 'x', 0, 0)");
    sql(f, "INSERT INTO residents (id, account_id, facility_id, resident_number, first_name, last_name, status,"
           " created_at, updated_at) VALUES (1, 2, 1, '123', 'R', 'S', 'active', 0, 0)");
    ledger_world w;
    assert_int_equal(db_write(f->t.store, postings_tx, &w), KITE_OK);

    int64_t from, to;
    kite_fault fault;
    assert_int_equal(revenue_period_parse("2026-01-01", "2026-01-31", &from, &to, &fault), KITE_OK);
    revenue_report r;
    assert_int_equal(revenue_report_get(&f->ctx, FACILITY, from, to, &r, &fault), KITE_OK);
    /* purchase, transfer, refund, adjustment: in ledger_tx_kind order; no top-up (not revenue). */
    assert_int_equal(r.count, 4);
    assert_int_equal(r.lines[0].kind, LEDGER_TX_PURCHASE);
    assert_int_equal(r.lines[0].transactions, 2);
    assert_int_equal(r.lines[0].cents[REVENUE_PROVIDER], 740);
    assert_int_equal(r.lines[0].total_cents, 740);
    assert_int_equal(r.lines[0].units_sold[LEDGER_UNIT_STAMPS], 20);
    assert_int_equal(r.lines[1].kind, LEDGER_TX_TRANSFER);
    assert_int_equal(r.lines[1].transactions, 1); /* one transfer, though it credits two accounts */
    assert_int_equal(r.lines[1].cents[REVENUE_FEES], 300);
    assert_int_equal(r.lines[1].cents[REVENUE_FACILITY], 50);
    assert_int_equal(r.lines[1].total_cents, 350);
    assert_int_equal(r.lines[2].kind, LEDGER_TX_REFUND);
    assert_int_equal(r.lines[2].total_cents, -100);
    assert_int_equal(r.lines[3].kind, LEDGER_TX_ADJUSTMENT);
    assert_int_equal(r.lines[3].units_spent[LEDGER_UNIT_STAMPS], 3);
    assert_int_equal(r.lines[3].total_cents, 0);
    assert_int_equal(r.total.transactions, 5);
    assert_int_equal(r.total.total_cents, 740 + 350 - 100);
    assert_int_equal(r.total.cents[REVENUE_PROVIDER], 640);
    assert_int_equal(r.total.units_sold[LEDGER_UNIT_STAMPS], 20);
    assert_int_equal(r.total.units_spent[LEDGER_UNIT_STAMPS], 3);

    /* The boundaries: December 31 and February 1 each hold one purchase. */
    assert_int_equal(revenue_period_parse("2025-12-31", "2025-12-31", &from, &to, &fault), KITE_OK);
    assert_int_equal(revenue_report_get(&f->ctx, FACILITY, from, to, &r, &fault), KITE_OK);
    assert_int_equal(r.total.transactions, 1);
    assert_int_equal(revenue_period_parse("2026-02-01", "2026-02-01", &from, &to, &fault), KITE_OK);
    assert_int_equal(revenue_report_get(&f->ctx, FACILITY, from, to, &r, &fault), KITE_OK);
    assert_int_equal(r.total.transactions, 1);
    assert_int_equal(r.total.total_cents, 370);
    /* Not on Kite: refused, even with revenue accounts. */
    assert_int_equal(revenue_report_get(&f->ctx, OFF_KITE, from, to, &r, &fault), KITE_ERR_NOT_FOUND);
    assert_int_equal(fault.detail, FAULT_POLICY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults_until_saved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fcc_caps_exactly_met_and_one_cent_above, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_refused_with_nothing_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_refuses_a_stale_edit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stored_rate_above_a_new_cap_is_read_as_the_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_row_refuses_to_price, setup, teardown),
        cmocka_unit_test(test_revenue_period),
        cmocka_unit_test_setup_teardown(test_revenue_report_sums_the_facility_s_accounts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
