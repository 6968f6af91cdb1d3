/*
 * test_ledger.c - the ledger: postings balance or are refused whole;
 * no balance goes below zero (also with several connections racing for the
 * last cents); holds are captured or released exactly once; statements carry
 * each entry's balance; and `kite ledger verify`'s checks pass on good data
 * and name the breach on each kind of corrupted data (corrupted here with
 * plain SQL behind the ledger's back).
 *
 * The hold state machine's allowed moves are written out again here, from
 * the flows, rather than read from the table under test.
 *
 * SECURITY: money.  These tests are the ledger's proof that a refused
 * posting leaves nothing behind and that racing writers cannot overdraw:
 * the race uses one store handle per thread, so only SQLite's own locks
 * (as between processes) stand between the racers, not Kite's in-process
 * writer mutex.
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
#include "domain/ledger/ledger_state.h"
#include "domain/ledger/verify.h"
#include "domain/messaging/message_holds.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "temp_store.h"

enum { NOW = 1000000, CONTACT = 1, RESIDENT_ACCOUNT = 2, RESIDENT = 1, FACILITY = 1 };

typedef struct fixture {
    temp_store t;
    int64_t clearing;   /* processor_clearing, may go negative */
    int64_t balance;    /* the contact's balance */
    int64_t trust;      /* the resident's trust account */
    int64_t facility;   /* facility revenue */
    int64_t provider;   /* provider revenue */
    int64_t stamps;     /* the contact's stamps */
} fixture;

/* ---- helpers: one store call each ---------------------------------------- */

static kite_err sql_tx(db_conn *conn, void *sql)
{
    return db_exec(db_prepare(conn, sql));
}

static void sql(fixture *f, const char *statement)
{
    kite_err err = db_write(f->t.store, sql_tx, (void *)statement);
    if (err != KITE_OK)
        fail_msg("SQL failed (%s): %s", kite_err_code(err), statement);
}

typedef struct count_call {
    const char *sql;
    int64_t n;
} count_call;

static kite_err count_tx(db_conn *conn, void *ctx)
{
    count_call *c = ctx;
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

typedef enum op_kind { OP_OPEN, OP_POST, OP_HOLD, OP_CAPTURE, OP_RELEASE } op_kind;

typedef struct op {
    op_kind kind;
    ledger_kind account_kind; /* OP_OPEN */
    ledger_owner owner;
    ledger_unit unit;         /* OP_OPEN, OP_HOLD */
    ledger_posting posting;   /* OP_POST */
    int64_t subject_id, payer, amount, hold_id; /* OP_HOLD, OP_CAPTURE, OP_RELEASE */
    const ledger_line *split;
    size_t split_count;
    int64_t id;               /* out: account, transaction or hold */
    bool carry_on;            /* return KITE_OK whatever the ledger said: the caller's other work commits */
    kite_err result;
} op;

static kite_err op_tx(db_conn *conn, void *ctx)
{
    op *o = ctx;
    switch (o->kind) {
    case OP_OPEN:
        o->result = ledger_account_open(conn, NOW, "cli", o->account_kind, o->owner, o->unit, &o->id);
        break;
    case OP_POST:
        o->result = ledger_post(conn, NOW, &o->posting, &o->id);
        break;
    case OP_HOLD:
        o->result = ledger_hold(conn, NOW, "cli", LEDGER_SUBJECT_MESSAGE, o->subject_id, o->payer, o->amount, o->unit,
                                &o->id);
        break;
    case OP_CAPTURE:
        o->result = ledger_capture(conn, NOW + 1, "system", o->hold_id, o->split, o->split_count);
        break;
    case OP_RELEASE:
        o->result = ledger_release(conn, NOW + 1, "system", o->hold_id);
        break;
    }
    return o->carry_on ? KITE_OK : o->result;
}

static kite_err run(fixture *f, op *o)
{
    kite_err err = db_write(f->t.store, op_tx, o);
    return o->carry_on ? o->result : err;
}

static int64_t open_account(fixture *f, ledger_kind kind, ledger_owner owner, ledger_unit unit)
{
    op o = {.kind = OP_OPEN, .account_kind = kind, .owner = owner, .unit = unit};
    assert_int_equal(run(f, &o), KITE_OK);
    return o.id;
}

static kite_err post(fixture *f, ledger_tx_kind kind, const char *reference, const ledger_line *lines, size_t n,
                     int64_t *id)
{
    op o = {.kind = OP_POST, .posting = {kind, "test", reference, "cli", lines, n}};
    kite_err err = run(f, &o);
    if (id != NULL)
        *id = o.id;
    return err;
}

/* A card top-up: clearing -> balance. */
static void top_up(fixture *f, int64_t account, int64_t amount)
{
    const ledger_line lines[] = {{f->clearing, -amount}, {account, amount}};
    assert_int_equal(post(f, LEDGER_TX_TOP_UP, NULL, lines, 2, NULL), KITE_OK);
}

static kite_err hold(fixture *f, int64_t subject_id, int64_t payer, int64_t amount, ledger_unit unit, int64_t *hold_id)
{
    op o = {.kind = OP_HOLD, .subject_id = subject_id, .payer = payer, .amount = amount, .unit = unit};
    kite_err err = run(f, &o);
    *hold_id = o.id;
    return err;
}

static kite_err capture(fixture *f, int64_t hold_id, const ledger_line *split, size_t n)
{
    op o = {.kind = OP_CAPTURE, .hold_id = hold_id, .split = split, .split_count = n};
    return run(f, &o);
}

static kite_err release(fixture *f, int64_t hold_id)
{
    op o = {.kind = OP_RELEASE, .hold_id = hold_id};
    return run(f, &o);
}

typedef struct balance_call {
    int64_t account, balance;
} balance_call;

static kite_err balance_tx(db_conn *conn, void *ctx)
{
    balance_call *c = ctx;
    return ledger_balance(conn, c->account, &c->balance);
}

static int64_t balance(fixture *f, int64_t account)
{
    balance_call c = {account, 0};
    assert_int_equal(db_read(f->t.store, balance_tx, &c), KITE_OK);
    return c.balance;
}

static kite_err verify_tx(db_conn *conn, void *ctx)
{
    kite_err err = ledger_verify(conn, ctx);
    return err == KITE_OK && ledger_report_ok(ctx) ? message_holds_verify(conn, ctx) : err;
}

static ledger_report verify(fixture *f)
{
    ledger_report r;
    assert_int_equal(db_read(f->t.store, verify_tx, &r), KITE_OK);
    return r;
}

static void assert_verifies(fixture *f)
{
    ledger_report r = verify(f);
    if (!ledger_report_ok(&r))
        fail_msg("verify found a breach on good data: %s", r.breach);
}

static void assert_breach(fixture *f, const char *expected)
{
    ledger_report r = verify(f);
    if (strstr(r.breach, expected) == NULL)
        fail_msg("expected a breach with \"%s\", verify said \"%s\"", expected, r.breach);
}

/* ---- fixture: a facility, a contact, a resident, their accounts ---------- */

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL || temp_store_open(&f->t, "ledger") != 0) {
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
    f->clearing = open_account(f, LEDGER_PROCESSOR_CLEARING, (ledger_owner){0}, LEDGER_CENTS);
    f->balance = open_account(f, LEDGER_CONTACT_BALANCE, (ledger_owner){CONTACT, 0, 0}, LEDGER_CENTS);
    f->trust = open_account(f, LEDGER_RESIDENT_TRUST, (ledger_owner){0, RESIDENT, 0}, LEDGER_CENTS);
    f->facility = open_account(f, LEDGER_FACILITY_REVENUE, (ledger_owner){0, 0, FACILITY}, LEDGER_CENTS);
    f->provider = open_account(f, LEDGER_PROVIDER_REVENUE, (ledger_owner){0}, LEDGER_CENTS);
    f->stamps = open_account(f, LEDGER_STAMPS, (ledger_owner){CONTACT, 0, FACILITY}, LEDGER_UNIT_STAMPS);
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

/* A message row (id, created_at, status) for the message-hold checks. */
static void message(fixture *f, int64_t id, int64_t created_at, const char *status)
{
    char s[512];
    snprintf(s, sizeof s,
             "INSERT INTO messages (id, contact_id, facility_id, resident_id, sender_account_id, recipient_account_id,"
             " direction, subject, body, status, held, flagged, price_cents, created_at)"
             " VALUES (%lld, 1, 1, 1, 1, 2, 'to_resident', 's', 'b', '%s', 0, 0, 50, %lld)",
             (long long)id, status, (long long)created_at);
    sql(f, s);
}

/* ---- names, rules, the hold state machine -------------------------------- */

static void test_names_round_trip(void **state)
{
    (void)state;
    static const char *const kinds[] = {"contact_balance", "resident_trust", "phone_account", "stamps", "credits",
                                        "hold", "facility_revenue", "provider_revenue", "processor_clearing", "fees",
                                        "trust_fund"};
    assert_int_equal(sizeof kinds / sizeof kinds[0], LEDGER_KIND_COUNT);
    for (int i = 0; i < LEDGER_KIND_COUNT; i++) {
        ledger_kind k;
        assert_string_equal(ledger_kind_name((ledger_kind)i), kinds[i]);
        assert_true(ledger_kind_parse(kinds[i], &k));
        assert_int_equal(k, i);
        /* Only the clearing accounts (processor, trust office; in cents) and the issuer of bundle units may go below zero. */
        for (int u = 0; u < LEDGER_UNIT_COUNT; u++) {
            bool want = (i == LEDGER_PROCESSOR_CLEARING && u == LEDGER_CENTS) ||
                        (i == LEDGER_TRUST_FUND && u == LEDGER_CENTS) ||
                        (i == LEDGER_PROVIDER_REVENUE && u != LEDGER_CENTS);
            if (ledger_kind_may_go_negative((ledger_kind)i, (ledger_unit)u) != want)
                fail_msg("%s in %s: may go negative is wrong", kinds[i], ledger_unit_name((ledger_unit)u));
        }
    }
    static const char *const units[] = {"cents", "stamps", "credits"};
    for (int i = 0; i < LEDGER_UNIT_COUNT; i++) {
        ledger_unit u;
        assert_string_equal(ledger_unit_name((ledger_unit)i), units[i]);
        assert_true(ledger_unit_parse(units[i], &u));
        assert_int_equal(u, i);
    }
    for (int i = 0; i < LEDGER_TX_KIND_COUNT; i++) {
        ledger_tx_kind k;
        assert_true(ledger_tx_kind_parse(ledger_tx_kind_name((ledger_tx_kind)i), &k));
        assert_int_equal(k, i);
    }
    static const char *const states[] = {"held", "captured", "released"};
    for (int i = 0; i < LEDGER_HOLD_STATE_COUNT; i++) {
        ledger_hold_state s;
        assert_string_equal(ledger_hold_state_name((ledger_hold_state)i), states[i]);
        assert_true(ledger_hold_state_parse(states[i], &s));
        assert_int_equal(s, i);
    }
    assert_string_equal(ledger_subject_name(LEDGER_SUBJECT_MESSAGE), "message");
    ledger_kind k = LEDGER_FEES;
    assert_false(ledger_kind_parse("Contact_Balance", &k));
    assert_false(ledger_kind_parse(NULL, &k));
    assert_int_equal(k, LEDGER_FEES);
    assert_string_equal(ledger_kind_name(LEDGER_KIND_COUNT), "unknown");
    assert_false(ledger_kind_allows_unit(LEDGER_CONTACT_BALANCE, LEDGER_UNIT_STAMPS));
    assert_true(ledger_kind_allows_unit(LEDGER_HOLD, LEDGER_UNIT_CREDITS));
}

static void test_hold_machine_every_pair(void **state)
{
    (void)state;
    /* held -> captured (delivered), held -> released (rejected, withdrawn, resident released); nothing else. */
    size_t allowed = 0;
    for (int from = 0; from <= LEDGER_HOLD_STATE_COUNT; from++) {
        for (int to = 0; to <= LEDGER_HOLD_STATE_COUNT; to++) {
            bool want = from == LEDGER_HELD && (to == LEDGER_CAPTURED || to == LEDGER_RELEASED);
            bool got = ledger_hold_transition_allowed((ledger_hold_state)from, (ledger_hold_state)to);
            if (want != got)
                fail_msg("hold move %d -> %d is %s", from, to, got ? "allowed" : "refused");
            allowed += got;
        }
    }
    assert_int_equal(allowed, 2);
}

/* ---- accounts and postings ----------------------------------------------- */

static void test_account_open_is_idempotent(void **state)
{
    fixture *f = *state;
    int64_t audits = count(f, "SELECT COUNT(*) FROM audit_log");
    assert_int_equal(open_account(f, LEDGER_CONTACT_BALANCE, (ledger_owner){CONTACT, 0, 0}, LEDGER_CENTS), f->balance);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM audit_log"), audits); /* nothing opened, nothing recorded */
    int64_t credits = open_account(f, LEDGER_CREDITS, (ledger_owner){CONTACT, 0, FACILITY}, LEDGER_UNIT_CREDITS);
    assert_true(credits != f->stamps);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM audit_log"), audits + 1);
    /* Wrong unit for the kind, an owner the kind does not have, no owner at all: refused. */
    op bad[] = {
        {.kind = OP_OPEN, .account_kind = LEDGER_CONTACT_BALANCE, .owner = {CONTACT, 0, 0}, .unit = LEDGER_UNIT_STAMPS},
        {.kind = OP_OPEN, .account_kind = LEDGER_CONTACT_BALANCE, .owner = {0, RESIDENT, 0}, .unit = LEDGER_CENTS},
        {.kind = OP_OPEN, .account_kind = LEDGER_RESIDENT_TRUST, .owner = {0}, .unit = LEDGER_CENTS},
        {.kind = OP_OPEN, .account_kind = LEDGER_FACILITY_REVENUE, .owner = {CONTACT, 0, FACILITY}, .unit = LEDGER_CENTS},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(run(f, &bad[i]), KITE_ERR_INTERNAL);
    assert_int_equal(count(f, "SELECT allow_negative FROM ledger_accounts WHERE kind = 'processor_clearing'"), 1);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM ledger_accounts WHERE allow_negative <> 0"), 1);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM ledger_accounts"), 7);
}

static void test_posting_balances_and_clearing_goes_negative(void **state)
{
    fixture *f = *state;
    int64_t audits = count(f, "SELECT COUNT(*) FROM audit_log");
    top_up(f, f->balance, 2500);
    assert_int_equal(balance(f, f->balance), 2500);
    assert_int_equal(balance(f, f->clearing), -2500); /* allow_negative: the processor owes it */
    /* A money transfer with a fee, three entries. */
    const ledger_line transfer[] = {{f->balance, -1000}, {f->trust, 900}, {f->facility, 100}};
    int64_t id;
    assert_int_equal(post(f, LEDGER_TX_TRANSFER, NULL, transfer, 3, &id), KITE_OK);
    assert_true(id > 0);
    assert_int_equal(balance(f, f->balance), 1500);
    assert_int_equal(balance(f, f->trust), 900);
    assert_int_equal(balance(f, f->facility), 100);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM audit_log WHERE action = 'ledger.post'"), 2);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM audit_log"), audits + 2);
    assert_verifies(f);
    ledger_report r = verify(f);
    assert_int_equal(r.transactions, 2);
    assert_int_equal(r.accounts, 6);
}

static void test_unbalanced_posting_writes_nothing(void **state)
{
    fixture *f = *state;
    top_up(f, f->balance, 1000);
    int64_t tx = count(f, "SELECT COUNT(*) FROM ledger_transactions");
    int64_t entries = count(f, "SELECT COUNT(*) FROM ledger_entries");
    const ledger_line off_by_one[] = {{f->balance, -500}, {f->trust, 501}};
    assert_int_equal(post(f, LEDGER_TX_TRANSFER, NULL, off_by_one, 2, NULL), KITE_ERR_INTERNAL);
    /* Balanced in total but not per unit: cents do not pay for stamps. */
    const ledger_line mixed[] = {{f->balance, -5}, {f->stamps, 5}};
    assert_int_equal(post(f, LEDGER_TX_PURCHASE, NULL, mixed, 2, NULL), KITE_ERR_INTERNAL);
    const ledger_line zero[] = {{f->balance, 0}, {f->trust, 0}};
    assert_int_equal(post(f, LEDGER_TX_TRANSFER, NULL, zero, 2, NULL), KITE_ERR_INTERNAL);
    const ledger_line huge[] = {{f->clearing, -LEDGER_AMOUNT_MAX - 1}, {f->balance, LEDGER_AMOUNT_MAX + 1}};
    assert_int_equal(post(f, LEDGER_TX_TOP_UP, NULL, huge, 2, NULL), KITE_ERR_INTERNAL);
    const ledger_line one[] = {{f->balance, 5}};
    assert_int_equal(post(f, LEDGER_TX_ADJUSTMENT, NULL, one, 1, NULL), KITE_ERR_INTERNAL);
    const ledger_line nobody[] = {{f->balance, -5}, {9999, 5}};
    assert_int_equal(post(f, LEDGER_TX_TRANSFER, NULL, nobody, 2, NULL), KITE_ERR_NOT_FOUND);
    /* Hold moves only through hold.h. */
    const ledger_line fine[] = {{f->balance, -5}, {f->trust, 5}};
    assert_int_equal(post(f, LEDGER_TX_CAPTURE, NULL, fine, 2, NULL), KITE_ERR_INTERNAL);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM ledger_transactions"), tx);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM ledger_entries"), entries);
    assert_int_equal(balance(f, f->balance), 1000);
    assert_int_equal(balance(f, f->trust), 0);
    assert_verifies(f);
}

static void test_overdraft_refused_and_nothing_written(void **state)
{
    fixture *f = *state;
    top_up(f, f->balance, 500);
    int64_t tx = count(f, "SELECT COUNT(*) FROM ledger_transactions");
    int64_t audits = count(f, "SELECT COUNT(*) FROM audit_log");
    /* The first entry (a credit) is applied before the debit is refused: the savepoint takes it back. */
    const ledger_line too_much[] = {{f->trust, 600}, {f->balance, -600}};
    op o = {.kind = OP_POST, .posting = {LEDGER_TX_TRANSFER, "too much", NULL, "cli", too_much, 2}};
    assert_int_equal(run(f, &o), KITE_ERR_INSUFFICIENT_FUNDS);
    /* Even when the caller carries on and commits its other work, nothing of the posting stays. */
    o.carry_on = true;
    assert_int_equal(run(f, &o), KITE_ERR_INSUFFICIENT_FUNDS);
    assert_int_equal(balance(f, f->balance), 500);
    assert_int_equal(balance(f, f->trust), 0);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM ledger_transactions"), tx);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM audit_log"), audits);
    /* Exactly the balance is fine; one cent more is not. */
    const ledger_line all[] = {{f->balance, -500}, {f->trust, 500}};
    assert_int_equal(post(f, LEDGER_TX_TRANSFER, NULL, all, 2, NULL), KITE_OK);
    const ledger_line cent[] = {{f->balance, -1}, {f->trust, 1}};
    assert_int_equal(post(f, LEDGER_TX_TRANSFER, NULL, cent, 2, NULL), KITE_ERR_INSUFFICIENT_FUNDS);
    assert_int_equal(balance(f, f->balance), 0);
    assert_string_equal(kite_err_code(KITE_ERR_INSUFFICIENT_FUNDS), "insufficient_funds");
    assert_int_equal(kite_err_status(KITE_ERR_INSUFFICIENT_FUNDS), 402);
    assert_verifies(f);
}

static void test_reference_makes_a_retry_free(void **state)
{
    fixture *f = *state;
    const ledger_line lines[] = {{f->clearing, -700}, {f->balance, 700}};
    int64_t first, again;
    assert_int_equal(post(f, LEDGER_TX_TOP_UP, "card:abc", lines, 2, &first), KITE_OK);
    assert_int_equal(post(f, LEDGER_TX_TOP_UP, "card:abc", lines, 2, &again), KITE_OK);
    assert_int_equal(again, first);
    assert_int_equal(balance(f, f->balance), 700);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM ledger_transactions"), 1);
    const ledger_line other[] = {{f->clearing, -800}, {f->balance, 800}};
    assert_int_equal(post(f, LEDGER_TX_TOP_UP, "card:abc", other, 2, NULL), KITE_ERR_IDEMPOTENCY_KEY_REUSED);
    assert_int_equal(post(f, LEDGER_TX_DEPOSIT, "card:abc", lines, 2, NULL), KITE_ERR_IDEMPOTENCY_KEY_REUSED);
    assert_int_equal(balance(f, f->balance), 700);
    assert_verifies(f);
}

/* ---- holds --------------------------------------------------------------- */

static void test_hold_then_capture(void **state)
{
    fixture *f = *state;
    top_up(f, f->balance, 1000);
    message(f, 10, NOW - 5, "pending_review");
    int64_t h;
    assert_int_equal(hold(f, 10, f->balance, 300, LEDGER_CENTS, &h), KITE_OK);
    assert_int_equal(balance(f, f->balance), 700);
    assert_verifies(f); /* pending review, held: as it should be */
    const ledger_line split[] = {{f->facility, 200}, {f->provider, 100}};
    sql(f, "UPDATE messages SET status = 'delivered' WHERE id = 10");
    assert_breach(f, "message 10 is delivered but its hold"); /* delivered and still held */
    assert_int_equal(capture(f, h, split, 2), KITE_OK);
    assert_int_equal(balance(f, f->facility), 200);
    assert_int_equal(balance(f, f->provider), 100);
    assert_int_equal(balance(f, f->balance), 700);
    assert_int_equal(count(f, "SELECT balance FROM ledger_accounts WHERE kind = 'hold'"), 0);
    /* Exactly once: a second capture and a release after it are decided already. */
    assert_int_equal(capture(f, h, split, 2), KITE_ERR_ALREADY_DECIDED);
    assert_int_equal(release(f, h), KITE_ERR_ALREADY_DECIDED);
    assert_int_equal(balance(f, f->facility), 200);
    assert_int_equal(balance(f, f->balance), 700);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM ledger_transactions WHERE kind = 'capture'"), 1);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM ledger_holds WHERE state = 'captured' AND settled_at = 1000001"
                              " AND settle_transaction_id IS NOT NULL"), 1);
    assert_verifies(f);
    ledger_report r = verify(f);
    assert_int_equal(r.holds, 1);
}

typedef struct find_call {
    int64_t subject_id;
    ledger_hold_info info;
} find_call;

static kite_err find_tx(db_conn *conn, void *ctx)
{
    find_call *c = ctx;
    return ledger_hold_find(conn, LEDGER_SUBJECT_MESSAGE, c->subject_id, &c->info);
}

static void test_hold_then_release(void **state)
{
    fixture *f = *state;
    top_up(f, f->balance, 1000);
    message(f, 11, NOW, "pending_review");
    int64_t h;
    assert_int_equal(hold(f, 11, f->balance, 400, LEDGER_CENTS, &h), KITE_OK);
    find_call c = {11, {0}};
    assert_int_equal(db_read(f->t.store, find_tx, &c), KITE_OK);
    assert_int_equal(c.info.id, h);
    assert_int_equal(c.info.state, LEDGER_HELD);
    assert_int_equal(c.info.amount, 400);
    assert_int_equal(c.info.payer_account_id, f->balance);
    assert_int_equal(c.info.settle_transaction_id, 0);
    c.subject_id = 12;
    assert_int_equal(db_read(f->t.store, find_tx, &c), KITE_ERR_NOT_FOUND);
    sql(f, "UPDATE messages SET status = 'rejected' WHERE id = 11");
    assert_int_equal(release(f, h), KITE_OK);
    assert_int_equal(balance(f, f->balance), 1000); /* nobody pays for an undelivered message */
    const ledger_line split[] = {{f->facility, 400}};
    assert_int_equal(capture(f, h, split, 1), KITE_ERR_ALREADY_DECIDED);
    assert_int_equal(release(f, h), KITE_ERR_ALREADY_DECIDED);
    assert_int_equal(balance(f, f->facility), 0);
    assert_int_equal(balance(f, f->balance), 1000);
    c.subject_id = 11;
    assert_int_equal(db_read(f->t.store, find_tx, &c), KITE_OK);
    assert_int_equal(c.info.state, LEDGER_RELEASED);
    assert_verifies(f);
}

static void test_hold_refusals_write_nothing(void **state)
{
    fixture *f = *state;
    top_up(f, f->balance, 100);
    int64_t tx = count(f, "SELECT COUNT(*) FROM ledger_transactions");
    int64_t h;
    assert_int_equal(hold(f, 20, f->balance, 101, LEDGER_CENTS, &h), KITE_ERR_INSUFFICIENT_FUNDS);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM ledger_holds"), 0);
    assert_int_equal(hold(f, 20, f->balance, 0, LEDGER_CENTS, &h), KITE_ERR_INTERNAL);
    assert_int_equal(hold(f, 20, f->balance, 5, LEDGER_UNIT_STAMPS, &h), KITE_ERR_INTERNAL); /* not the payer's unit */
    assert_int_equal(hold(f, 20, f->facility, 5, LEDGER_CENTS, &h), KITE_ERR_INTERNAL);      /* revenue pays nothing */
    assert_int_equal(hold(f, 20, f->clearing, 5, LEDGER_CENTS, &h), KITE_ERR_INTERNAL);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM ledger_transactions"), tx);
    assert_int_equal(hold(f, 20, f->balance, 60, LEDGER_CENTS, &h), KITE_OK);
    int64_t again;
    assert_int_equal(hold(f, 20, f->balance, 10, LEDGER_CENTS, &again), KITE_ERR_CONFLICT); /* one hold per subject */
    /* A capture must split exactly what was held. */
    const ledger_line short_split[] = {{f->facility, 59}};
    assert_int_equal(capture(f, h, short_split, 1), KITE_ERR_INTERNAL);
    const ledger_line stamps[] = {{f->stamps, 60}};
    assert_int_equal(capture(f, h, stamps, 1), KITE_ERR_INTERNAL); /* in the hold's unit */
    assert_int_equal(capture(f, 9999, short_split, 1), KITE_ERR_NOT_FOUND);
    const ledger_line to_payer[] = {{f->balance, 60}};
    assert_int_equal(capture(f, h, to_payer, 1), KITE_ERR_INTERNAL);
    /* The hold account moves only with holds: not by an ordinary posting. */
    ledger_hold_info info;
    find_call c = {20, {0}};
    assert_int_equal(db_read(f->t.store, find_tx, &c), KITE_OK);
    info = c.info;
    const ledger_line park[] = {{f->balance, -10}, {info.hold_account_id, 10}};
    assert_int_equal(post(f, LEDGER_TX_ADJUSTMENT, NULL, park, 2, NULL), KITE_ERR_INTERNAL);
    const ledger_line self[] = {{info.hold_account_id, 60}};
    assert_int_equal(capture(f, h, self, 1), KITE_ERR_INTERNAL);
    assert_int_equal(balance(f, f->facility), 0);
    assert_int_equal(balance(f, f->balance), 40);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM ledger_holds WHERE state = 'held'"), 1);
    message(f, 20, NOW, "pending_review");
    assert_verifies(f);
}

static void test_stamp_hold(void **state)
{
    fixture *f = *state;
    /* The provider issues stamps: its stamp account goes below zero by the stamps outstanding. */
    int64_t issuer = open_account(f, LEDGER_PROVIDER_REVENUE, (ledger_owner){0}, LEDGER_UNIT_STAMPS);
    top_up(f, f->balance, 500);
    /* A bundle of 5 stamps for 500 cents: both units balance in one transaction. */
    const ledger_line bundle[] = {{f->balance, -500}, {f->facility, 300}, {f->provider, 200}, {issuer, -5}, {f->stamps, 5}};
    assert_int_equal(post(f, LEDGER_TX_PURCHASE, NULL, bundle, 5, NULL), KITE_OK);
    assert_int_equal(balance(f, issuer), -5);
    message(f, 40, NOW, "pending_review");
    int64_t h;
    assert_int_equal(hold(f, 40, f->stamps, 1, LEDGER_UNIT_STAMPS, &h), KITE_OK);
    assert_int_equal(balance(f, f->stamps), 4);
    const ledger_line spent[] = {{issuer, 1}};
    assert_int_equal(capture(f, h, spent, 1), KITE_OK);
    sql(f, "UPDATE messages SET status = 'delivered' WHERE id = 40");
    assert_int_equal(balance(f, issuer), -4);
    /* A stamp holder cannot go below zero; 5 more stamps than held are refused. */
    message(f, 41, NOW, "pending_review");
    assert_int_equal(hold(f, 41, f->stamps, 5, LEDGER_UNIT_STAMPS, &h), KITE_ERR_INSUFFICIENT_FUNDS);
    assert_verifies(f);
}

/* ---- statements ---------------------------------------------------------- */

typedef struct statement_call {
    arena *a;
    int64_t account, before;
    size_t limit;
    ledger_statement_line *lines;
    size_t count;
    int64_t next;
} statement_call;

static kite_err statement_tx(db_conn *conn, void *ctx)
{
    statement_call *c = ctx;
    return ledger_statement(conn, c->a, c->account, c->before, c->limit, &c->lines, &c->count, &c->next);
}

static void test_statement_lines_and_paging(void **state)
{
    fixture *f = *state;
    top_up(f, f->balance, 1000);
    for (int i = 1; i <= 4; i++) {
        const ledger_line spend[] = {{f->balance, -100 * i}, {f->trust, 100 * i}};
        assert_int_equal(post(f, LEDGER_TX_TRANSFER, NULL, spend, 2, NULL), KITE_OK);
    }
    /* 1000, 900, 700, 400, 0: newest first. */
    statement_call c = {arena_new(), f->balance, 0, 2, NULL, 0, 0};
    assert_int_equal(db_read(f->t.store, statement_tx, &c), KITE_OK);
    assert_int_equal(c.count, 2);
    assert_int_equal(c.lines[0].amount, -400);
    assert_int_equal(c.lines[0].balance_after, 0);
    assert_int_equal(c.lines[0].kind, LEDGER_TX_TRANSFER);
    assert_string_equal(c.lines[0].memo, "test");
    assert_int_equal(c.lines[0].at, NOW);
    assert_int_equal(c.lines[1].balance_after, 400);
    assert_true(c.next != 0);
    c.before = c.next;
    assert_int_equal(db_read(f->t.store, statement_tx, &c), KITE_OK);
    assert_int_equal(c.count, 2);
    assert_int_equal(c.lines[0].balance_after, 700);
    assert_int_equal(c.lines[1].balance_after, 900);
    assert_true(c.next != 0);
    c.before = c.next;
    assert_int_equal(db_read(f->t.store, statement_tx, &c), KITE_OK);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.lines[0].kind, LEDGER_TX_TOP_UP);
    assert_int_equal(c.lines[0].amount, 1000);
    assert_int_equal(c.lines[0].balance_after, 1000);
    assert_int_equal(c.next, 0);
    arena_free(c.a);
}

/* ---- verify: each kind of corruption is named ---------------------------- */

/* Good data with a captured, a released and an open message hold. */
static void busy_ledger(fixture *f)
{
    top_up(f, f->balance, 1000);
    message(f, 30, NOW, "pending_review");
    message(f, 31, NOW, "pending_review");
    message(f, 32, NOW, "pending_review");
    int64_t h30, h31, h32;
    assert_int_equal(hold(f, 30, f->balance, 100, LEDGER_CENTS, &h30), KITE_OK);
    assert_int_equal(hold(f, 31, f->balance, 100, LEDGER_CENTS, &h31), KITE_OK);
    assert_int_equal(hold(f, 32, f->balance, 100, LEDGER_CENTS, &h32), KITE_OK);
    const ledger_line split[] = {{f->facility, 60}, {f->provider, 40}};
    assert_int_equal(capture(f, h30, split, 2), KITE_OK);
    assert_int_equal(release(f, h31), KITE_OK);
    sql(f, "UPDATE messages SET status = 'read' WHERE id = 30");
    sql(f, "UPDATE messages SET status = 'rejected' WHERE id = 31");
    assert_verifies(f);
}

static void test_verify_unbalanced_transaction(void **state)
{
    fixture *f = *state;
    busy_ledger(f);
    sql(f, "UPDATE ledger_entries SET amount = amount + 5 WHERE id = 2");
    assert_breach(f, "transaction 1 does not balance (cents: +5)");
}

static void test_verify_cached_balance(void **state)
{
    fixture *f = *state;
    busy_ledger(f);
    sql(f, "UPDATE ledger_accounts SET balance = balance + 1 WHERE kind = 'facility_revenue'");
    assert_breach(f, "has balance 61 but its entries sum to 60");
}

static void test_verify_negative_balance(void **state)
{
    fixture *f = *state;
    busy_ledger(f);
    /* The store's CHECK refuses this; an attacker with the file turns it off first. */
    sql(f, "PRAGMA ignore_check_constraints = ON");
    sql(f, "UPDATE ledger_accounts SET balance = -5 WHERE kind = 'contact_balance'");
    sql(f, "PRAGMA ignore_check_constraints = OFF");
    assert_breach(f, "(contact_balance) is below zero (cents: -5)");
}

static void test_verify_allow_negative_flag(void **state)
{
    fixture *f = *state;
    busy_ledger(f);
    sql(f, "UPDATE ledger_accounts SET allow_negative = 1 WHERE kind = 'contact_balance'");
    assert_breach(f, "(contact_balance) is allowed below zero");
}

static void test_verify_running_balance(void **state)
{
    fixture *f = *state;
    busy_ledger(f);
    sql(f, "UPDATE ledger_entries SET balance_after = balance_after + 7"
           " WHERE id = (SELECT MIN(id) FROM ledger_entries WHERE account_id = 2)");
    assert_breach(f, "entry 2 of account 2 records balance 1007 after it, but the account's entries up to it sum to 1000");
}

static void test_verify_empty_transaction_and_orphan_kind(void **state)
{
    fixture *f = *state;
    busy_ledger(f);
    sql(f, "INSERT INTO ledger_transactions (id, kind, memo, created_at, actor) VALUES (99, 'top_up', '', 0, 'x')");
    assert_breach(f, "transaction 99 has no entries");
    sql(f, "DELETE FROM ledger_transactions WHERE id = 99");
    sql(f, "UPDATE ledger_transactions SET kind = 'bonus' WHERE id = 1");
    assert_breach(f, "transaction 1 has a kind Kite does not know");
    sql(f, "UPDATE ledger_transactions SET kind = 'hold' WHERE id = 1");
    assert_breach(f, "transaction 1 (hold) moves a hold but names none");
}

/*
 * Adds transaction id, of kind, naming hold 1 (message 30's, captured), with
 * two entries on the contact's balance that cancel out and keep its running
 * balance right: only the hold checks can see it.
 */
static void extra_hold_move(fixture *f, const char *insert_transaction)
{
    sql(f, insert_transaction);
    sql(f, "INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after)"
           " SELECT 98, id, 1, balance + 1 FROM ledger_accounts WHERE kind = 'contact_balance'");
    sql(f, "INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after)"
           " SELECT 98, id, -1, balance FROM ledger_accounts WHERE kind = 'contact_balance'");
}

static void test_verify_captured_and_released(void **state)
{
    fixture *f = *state;
    busy_ledger(f);
    extra_hold_move(f, "INSERT INTO ledger_transactions (id, kind, memo, created_at, actor, hold_id)"
                       " VALUES (98, 'release', '', 0, 'x', 1)");
    assert_breach(f, "hold 1 was both captured and released");
}

static void test_verify_second_capture(void **state)
{
    fixture *f = *state;
    busy_ledger(f);
    extra_hold_move(f, "INSERT INTO ledger_transactions (id, kind, memo, created_at, actor, hold_id)"
                       " VALUES (98, 'capture', '', 0, 'x', 1)");
    assert_breach(f, "hold 1 is captured by 2 transactions, not exactly 1");
}

static void test_verify_second_hold_transaction(void **state)
{
    fixture *f = *state;
    busy_ledger(f);
    extra_hold_move(f, "INSERT INTO ledger_transactions (id, kind, memo, created_at, actor, hold_id)"
                       " VALUES (98, 'hold', '', 0, 'x', 1)");
    assert_breach(f, "hold 1 was held by 2 transactions, not 1");
}

static void test_verify_hold_account_balance(void **state)
{
    fixture *f = *state;
    busy_ledger(f);
    /* Money parked in the hold account outside any hold, by a well-formed, balanced posting. */
    sql(f, "INSERT INTO ledger_transactions (id, kind, memo, created_at, actor) VALUES (98, 'adjustment', '', 0, 'x')");
    sql(f, "INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after)"
           " SELECT 98, id, -50, balance - 50 FROM ledger_accounts WHERE kind = 'contact_balance'");
    sql(f, "INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after)"
           " SELECT 98, id, 50, balance + 50 FROM ledger_accounts WHERE kind = 'hold'");
    sql(f, "UPDATE ledger_accounts SET balance = balance - 50 WHERE kind = 'contact_balance'");
    sql(f, "UPDATE ledger_accounts SET balance = balance + 50 WHERE kind = 'hold'");
    assert_breach(f, "has balance 150 but its open holds add up to 100");
}

static void test_verify_hold_state_lies(void **state)
{
    fixture *f = *state;
    busy_ledger(f);
    sql(f, "UPDATE ledger_holds SET state = 'held' WHERE subject_id = 30");
    assert_breach(f, "hold 1 is held but was settled");
    sql(f, "UPDATE ledger_holds SET state = 'released' WHERE subject_id = 30");
    assert_breach(f, "hold 1 is released but its settling transaction is not its release");
    sql(f, "UPDATE ledger_holds SET state = 'captured', settled_at = NULL WHERE subject_id = 30");
    assert_breach(f, "hold 1 is captured but records no settlement");
}

static void test_verify_hold_amount(void **state)
{
    fixture *f = *state;
    busy_ledger(f);
    sql(f, "UPDATE ledger_holds SET amount = 150 WHERE subject_id = 32");
    assert_breach(f, "moves another amount than hold 3 holds");
}

static void test_verify_message_holds(void **state)
{
    fixture *f = *state;
    busy_ledger(f);
    sql(f, "UPDATE messages SET status = 'delivered' WHERE id = 31");
    assert_breach(f, "message 31 is delivered but its hold 2 is released, not captured");
    sql(f, "UPDATE messages SET status = 'rejected' WHERE id = 31");
    sql(f, "UPDATE messages SET status = 'rejected' WHERE id = 30");
    assert_breach(f, "message 30 is rejected but its hold 1 is captured, not released");
    sql(f, "UPDATE messages SET status = 'read' WHERE id = 30");
    sql(f, "UPDATE messages SET status = 'approved' WHERE id = 32");
    assert_verifies(f); /* approved and not yet delivered: still held */
    sql(f, "UPDATE messages SET created_at = 2000000 WHERE id = 32");
    assert_breach(f, "hold 3 is older than its message 32");
    sql(f, "UPDATE messages SET created_at = 0 WHERE id = 32");
    sql(f, "UPDATE ledger_holds SET subject_id = 77 WHERE id = 3");
    assert_breach(f, "hold 3 is for message 77, which does not exist");
}

/* ---- several connections race for one balance ---------------------------- */

enum { RACERS = 4, TRIES = 6, PRICE = 100, AFFORDABLE = 10 };

typedef struct racer {
    const char *path;
    int64_t from, to;
    int won, refused, other;
} racer;

static kite_err debit_tx(db_conn *conn, void *ctx)
{
    racer *r = ctx;
    const ledger_line lines[] = {{r->from, -PRICE}, {r->to, PRICE}};
    const ledger_posting p = {LEDGER_TX_TRANSFER, "race", NULL, "cli", lines, 2};
    int64_t id;
    return ledger_post(conn, NOW, &p, &id);
}

static void *race(void *arg)
{
    racer *r = arg;
    /* Its own store handle, as another process would have: only SQLite's locks stand between the racers. */
    db *store = NULL;
    if (db_open(r->path, &store) != KITE_OK)
        return NULL;
    for (int i = 0; i < TRIES; i++) {
        kite_err err = db_write(store, debit_tx, r);
        if (err == KITE_OK)
            r->won++;
        else if (err == KITE_ERR_INSUFFICIENT_FUNDS)
            r->refused++;
        else
            r->other++;
    }
    db_close(store);
    return NULL;
}

static void test_concurrent_debits_never_overdraw(void **state)
{
    fixture *f = *state;
    top_up(f, f->balance, PRICE * AFFORDABLE);
    pthread_t threads[RACERS];
    racer racers[RACERS];
    for (int i = 0; i < RACERS; i++) {
        racers[i] = (racer){f->t.path, f->balance, f->trust, 0, 0, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
    }
    int won = 0, refused = 0, other = 0;
    for (int i = 0; i < RACERS; i++) {
        pthread_join(threads[i], NULL);
        won += racers[i].won;
        refused += racers[i].refused;
        other += racers[i].other;
    }
    assert_int_equal(other, 0);
    assert_int_equal(won, AFFORDABLE);
    assert_int_equal(refused, RACERS * TRIES - AFFORDABLE);
    assert_int_equal(balance(f, f->balance), 0);
    assert_int_equal(balance(f, f->trust), PRICE * AFFORDABLE);
    assert_verifies(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_round_trip),
        cmocka_unit_test(test_hold_machine_every_pair),
        cmocka_unit_test_setup_teardown(test_account_open_is_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_posting_balances_and_clearing_goes_negative, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unbalanced_posting_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overdraft_refused_and_nothing_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reference_makes_a_retry_free, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hold_then_capture, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hold_then_release, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hold_refusals_write_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stamp_hold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statement_lines_and_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_unbalanced_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_cached_balance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_negative_balance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_allow_negative_flag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_running_balance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_empty_transaction_and_orphan_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_captured_and_released, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_second_capture, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_second_hold_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_hold_account_balance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_hold_state_lies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_hold_amount, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_message_holds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_debits_never_overdraw, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
