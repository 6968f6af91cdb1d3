/*
 * test_message_charge.c - the money of a message (domain/messaging/message_charge.h):
 * the refusal when the payer cannot pay (pure), and the hold taken at submit,
 * captured on delivery, released on rejection and when the resident leaves,
 * against a real store, with `kite ledger verify`'s checks after each step.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/secret.h"
#include "db/db.h"
#include "domain/ledger/hold.h"
#include "domain/ledger/ledger.h"
#include "domain/ledger/verify.h"
#include "domain/messaging/message_charge.h"
#include "domain/messaging/message_holds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "temp_store.h"

enum { NOW = 1000000, CONTACT = 1, RESIDENT = 1, FACILITY = 1 };

typedef struct fixture {
    temp_store t;
    arena *a;
    int64_t stamps; /* the contact's stamps at FACILITY: 5 */
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

typedef struct step {
    fixture *f;
    int64_t message_id;
    const message_charge *charge;
    int what; /* 0 hold, 1 capture, 2 release, 3 the resident leaves */
} step;

static kite_err step_tx(db_conn *conn, void *data)
{
    step *s = data;
    switch (s->what) {
    case 0:
        return message_charge_hold(conn, NOW, "test", s->message_id, s->charge);
    case 1:
        return message_charge_capture(conn, NOW + 1, "test", s->message_id, FACILITY);
    case 2:
        return message_charge_release(conn, NOW + 1, "test", s->message_id);
    default:
        return message_close_for_resident(conn, s->f->a, RESIDENT, NOW + 2, "test");
    }
}

static kite_err run(fixture *f, int what, int64_t message_id, const message_charge *c)
{
    step s = {f, message_id, c, what};
    return db_write(f->t.store, step_tx, &s);
}

typedef struct probe {
    int64_t account;
    int64_t balance;
    ledger_hold_info hold;
    int64_t message_id;
    kite_err hold_err;
} probe;

static kite_err probe_tx(db_conn *conn, void *data)
{
    probe *p = data;
    kite_err err = ledger_balance(conn, p->account, &p->balance);
    p->hold_err = ledger_hold_find(conn, LEDGER_SUBJECT_MESSAGE, p->message_id, &p->hold);
    return err;
}

static probe look(fixture *f, int64_t message_id)
{
    probe p = {.account = f->stamps, .message_id = message_id};
    assert_int_equal(db_read(f->t.store, probe_tx, &p), KITE_OK);
    return p;
}

static kite_err verify_tx(db_conn *conn, void *data)
{
    ledger_report *r = data;
    *r = (ledger_report){0};
    kite_err err = ledger_verify(conn, r);
    return err == KITE_OK && ledger_report_ok(r) ? message_holds_verify(conn, r) : err;
}

static void assert_verifies(fixture *f)
{
    ledger_report r;
    assert_int_equal(db_read(f->t.store, verify_tx, &r), KITE_OK);
    if (!ledger_report_ok(&r))
        fail_msg("verify: %s", r.breach);
}

static void message(fixture *f, int64_t id, const char *status)
{
    char s[512];
    snprintf(s, sizeof s,
             "INSERT INTO messages (id, contact_id, facility_id, resident_id, sender_account_id, recipient_account_id,"
             " direction, subject, body, status, held, flagged, price_cents, created_at)"
             " VALUES (%lld, 1, 1, 1, 1, 2, 'to_resident', 's', 'b', '%s', 0, 0, 0, %d)",
             (long long)id, status, NOW);
    sql(f, s);
}

static void set_status(fixture *f, int64_t id, const char *status)
{
    char s[200];
    snprintf(s, sizeof s, "UPDATE messages SET status = '%s' WHERE id = %lld", status, (long long)id);
    sql(f, s);
}

typedef struct opener {
    int64_t *id;
    int64_t amount;
} opener;

/* The contact's stamps at the facility, issued by its provider_revenue: 5. */
static kite_err open_tx(db_conn *conn, void *data)
{
    opener *o = data;
    int64_t issuer = 0;
    kite_err err = ledger_account_open(conn, NOW, "test", LEDGER_STAMPS, (ledger_owner){CONTACT, 0, FACILITY},
                                       LEDGER_UNIT_STAMPS, o->id);
    if (err == KITE_OK)
        err = ledger_account_open(conn, NOW, "test", LEDGER_PROVIDER_REVENUE, (ledger_owner){0, 0, FACILITY},
                                  LEDGER_UNIT_STAMPS, &issuer);
    const ledger_line lines[] = {{issuer, -o->amount}, {*o->id, o->amount}};
    const ledger_posting p = {LEDGER_TX_PURCHASE, "bundle", NULL, "test", lines, 2};
    int64_t tx;
    return err != KITE_OK ? err : ledger_post(conn, NOW, &p, &tx);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL || temp_store_open(&f->t, "charge") != 0) {
        free(f);
        return -1;
    }
    f->a = arena_new();
    sql(f, "INSERT INTO facilities (id, name, created_at, updated_at) VALUES (1, 'Test Facility', 0, 0)");
    sql(f, "INSERT INTO accounts (id, role, email, full_name, password_hash, created_at, updated_at)"
           " VALUES (1, 'contact', 'c@example.org', 'C', 'x', 0, 0)");
    sql(f, "INSERT INTO accounts (id, role, email, full_name, password_hash, created_at, updated_at)"
           " VALUES (2, 'resident', NULL, 'R', 'x', 0, 0)");
    sql(f, "INSERT INTO residents (id, account_id, facility_id, resident_number, first_name, last_name, status,"
           " created_at, updated_at) VALUES (1, 2, 1, '123', 'R', 'S', 'active', 0, 0)");
    sql(f, "INSERT INTO contacts (id, resident_id, contact_account_id, status, origin, created_at, updated_at,"
           " facility_id) VALUES (1, 1, 1, 'active', 'request', 0, 0, 1)");
    opener o = {&f->stamps, 5};
    if (db_write(f->t.store, open_tx, &o) != KITE_OK)
        return -1;
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

static int group_setup(void **state)
{
    (void)state;
    return secret_init() == KITE_OK ? 0 : -1;
}

/* Two stamps from the contact's stamps account. */
static message_charge two_stamps(const fixture *f)
{
    return (message_charge){.payer_kind = LEDGER_STAMPS, .unit = LEDGER_UNIT_STAMPS, .amount = 2, .price_cents = 90,
                            .payer_account_id = f->stamps, .balance = 5, .enough = true};
}

/* ---- pure: who may pay, and what the refusal says ---- */

static void test_check_refuses_what_cannot_be_paid(void **state)
{
    (void)state;
    arena *a = arena_new();
    kite_fault f;
    message_charge c = {.payer_kind = LEDGER_STAMPS, .unit = LEDGER_UNIT_STAMPS, .amount = 2, .balance = 1};
    assert_int_equal(message_charge_check(&c, &f), KITE_ERR_INSUFFICIENT_FUNDS);
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN),
                        "This message costs 2 stamps and you have 1. Buy stamps in your wallet, then send again.");
    c = (message_charge){.payer_kind = LEDGER_CREDITS, .unit = LEDGER_UNIT_CREDITS, .amount = 1, .balance = 0};
    assert_int_equal(message_charge_check(&c, &f), KITE_ERR_INSUFFICIENT_FUNDS);
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN),
                        "This message costs 1 credit and you have 0. Buy credits in your wallet, then send again.");
    c = (message_charge){.payer_kind = LEDGER_RESIDENT_TRUST, .unit = LEDGER_CENTS, .amount = 45, .balance = 10};
    assert_int_equal(message_charge_check(&c, &f), KITE_ERR_INSUFFICIENT_FUNDS);
    assert_string_equal(fault_sentence(a, &f, FAULT_LANG_EN),
                        "This message costs $0.45 and your trust account has $0.10. Once money is added to your trust "
                        "account, send again.");
    c = (message_charge){.needs_subscription = true, .subscription_cents = 999, .enough = false};
    assert_int_equal(message_charge_check(&c, &f), KITE_ERR_INSUFFICIENT_FUNDS);
    assert_non_null(strstr(fault_sentence(a, &f, FAULT_LANG_EN), "$9.99 a month"));
    c = (message_charge){.payer_kind = LEDGER_CONTACT_BALANCE, .unit = LEDGER_CENTS, .amount = 0, .enough = true};
    assert_int_equal(message_charge_check(&c, &f), KITE_OK);
    assert_int_equal(message_charge_unit(PRICE_UNIT_STAMPS), LEDGER_UNIT_STAMPS);
    assert_int_equal(message_charge_unit(PRICE_UNIT_CREDITS), LEDGER_UNIT_CREDITS);
    assert_int_equal(message_charge_unit(PRICE_UNIT_CENTS), LEDGER_CENTS);
    arena_free(a);
}

/* ---- the store: hold, capture, release ---- */

static void test_delivered_is_captured_once(void **state)
{
    fixture *f = *state;
    message_charge c = two_stamps(f);
    message(f, 10, "pending_review");
    assert_int_equal(run(f, 0, 10, &c), KITE_OK);
    probe p = look(f, 10);
    assert_int_equal(p.balance, 3);
    assert_int_equal(p.hold.state, LEDGER_HELD);
    assert_int_equal(p.hold.amount, 2);
    assert_verifies(f);
    set_status(f, 10, "delivered");
    assert_int_equal(run(f, 1, 10, NULL), KITE_OK);
    assert_int_equal(look(f, 10).hold.state, LEDGER_CAPTURED);
    assert_verifies(f);
    /* A second capture or a release after it moves nothing. */
    assert_int_equal(run(f, 1, 10, NULL), KITE_ERR_ALREADY_DECIDED);
    assert_int_equal(run(f, 2, 10, NULL), KITE_ERR_ALREADY_DECIDED);
    assert_int_equal(look(f, 10).balance, 3);
    assert_verifies(f);
}

static void test_rejected_is_released(void **state)
{
    fixture *f = *state;
    message_charge c = two_stamps(f);
    message(f, 11, "pending_review");
    assert_int_equal(run(f, 0, 11, &c), KITE_OK);
    set_status(f, 11, "rejected");
    assert_int_equal(run(f, 2, 11, NULL), KITE_OK);
    probe p = look(f, 11);
    assert_int_equal(p.hold.state, LEDGER_RELEASED);
    assert_int_equal(p.balance, 5);
    assert_verifies(f);
}

static void test_free_message_has_no_hold_and_settles_as_nothing(void **state)
{
    fixture *f = *state;
    message_charge c = {.payer_kind = LEDGER_CONTACT_BALANCE, .unit = LEDGER_CENTS, .amount = 0, .enough = true};
    message(f, 12, "pending_review");
    assert_int_equal(run(f, 0, 12, &c), KITE_OK);
    assert_int_equal(look(f, 12).hold_err, KITE_ERR_NOT_FOUND);
    set_status(f, 12, "delivered");
    assert_int_equal(run(f, 1, 12, NULL), KITE_OK);
    assert_int_equal(look(f, 12).hold_err, KITE_ERR_NOT_FOUND);
    assert_verifies(f);
}

static void test_too_little_holds_nothing(void **state)
{
    fixture *f = *state;
    message_charge c = two_stamps(f);
    c.amount = 6; /* more than the 5 stamps */
    message(f, 13, "pending_review");
    assert_int_equal(run(f, 0, 13, &c), KITE_ERR_INSUFFICIENT_FUNDS);
    assert_int_equal(look(f, 13).balance, 5);
}

static void test_the_resident_leaving_rejects_and_releases(void **state)
{
    fixture *f = *state;
    message_charge c = two_stamps(f);
    message(f, 14, "pending_review");
    message(f, 15, "delivered");
    assert_int_equal(run(f, 0, 14, &c), KITE_OK);
    assert_int_equal(run(f, 3, 0, NULL), KITE_OK);
    probe p = look(f, 14);
    assert_int_equal(p.hold.state, LEDGER_RELEASED);
    assert_int_equal(p.balance, 5);
    assert_verifies(f); /* the message is rejected, so a released hold agrees with it */
}

static void test_verify_names_a_priced_message_without_a_hold(void **state)
{
    fixture *f = *state;
    message(f, 16, "delivered");
    sql(f, "UPDATE messages SET price_amount = 2, price_unit = 'stamps' WHERE id = 16");
    ledger_report r;
    assert_int_equal(db_read(f->t.store, verify_tx, &r), KITE_OK);
    assert_false(ledger_report_ok(&r));
    assert_non_null(strstr(r.breach, "message 16 costs 2 stamps but has no hold"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_refuses_what_cannot_be_paid),
        cmocka_unit_test_setup_teardown(test_delivered_is_captured_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejected_is_released, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_message_has_no_hold_and_settles_as_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_little_holds_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_resident_leaving_rejects_and_releases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_names_a_priced_message_without_a_hold, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
