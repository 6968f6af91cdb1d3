/*
 * test_phone.c - the rating of a call (domain/ledger/phone.c) at its
 * boundaries: 0 s costs nothing, exactly 60 s is one minute and 61 s two,
 * a balance that pays exactly for the call and one cent short of it (cut
 * at the balance, billed seconds the whole minutes paid), a balance below
 * one minute, the rate exactly at the FCC cap of every tier, durations
 * outside 0..PHONE_CALL_MAX_SECONDS; and phone numbers as typed, reduced
 * to E.164 or refused.  With a real store (temp_store.h): a facility API
 * key authenticates as made and not one character otherwise, is never stored
 * as itself, and stops working once revoked, also for a call already past
 * its check (phone_key_touch).  `kite ledger verify` proves phone money:
 * a store with a deposit, a billed call, an unbilled one, a call of 0
 * seconds and a refund verifies, and each of a list of tamperings that
 * leave the ledger's own sums whole is named (phone_verify).  In
 * fault-injection builds, every store step
 * of a deposit, a call record (cut at the balance) and a refund is made to
 * fail in turn: the ledger verifies, nothing moved, no call row is left
 * without its posting, and the retry with the same key or call id applies
 * it exactly once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/fault.h"
#include "core/secret.h"
#include "domain/directory/providers.h"
#include "domain/facility/policy.h"
#include "domain/ledger/fcc.h"
#include "domain/ledger/ledger.h"
#include "domain/ledger/phone.h"
#include "domain/ledger/verify.h"
#include "temp_store.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static phone_call_rating rate(int64_t seconds, int64_t rate_cents, int64_t balance)
{
    phone_call_rating r;
    kite_fault f;
    assert_int_equal(phone_rate_call(seconds, rate_cents, balance, &r, &f), KITE_OK);
    assert_int_equal(r.reported_seconds, seconds);
    assert_int_equal(r.rate_cents, rate_cents);
    assert_int_equal(r.amount_cents, r.billed_minutes * rate_cents);
    assert_true(r.amount_cents <= balance || rate_cents == 0);
    return r;
}

static void started_minutes(void **state)
{
    (void)state;
    phone_call_rating r = rate(0, 11, 1000);
    assert_int_equal(r.billed_minutes, 0);
    assert_int_equal(r.amount_cents, 0);
    assert_false(r.cut_at_balance);
    r = rate(1, 11, 1000);
    assert_int_equal(r.billed_minutes, 1);
    r = rate(59, 11, 1000);
    assert_int_equal(r.billed_minutes, 1);
    r = rate(60, 11, 1000);
    assert_int_equal(r.billed_minutes, 1);
    assert_int_equal(r.amount_cents, 11);
    assert_int_equal(r.billed_seconds, 60);
    r = rate(61, 11, 1000);
    assert_int_equal(r.billed_minutes, 2);
    assert_int_equal(r.amount_cents, 22);
    assert_int_equal(r.billed_seconds, 61);
    r = rate(PHONE_CALL_MAX_SECONDS, 19, INT64_C(1000000));
    assert_int_equal(r.billed_minutes, 1440);
    assert_int_equal(r.amount_cents, 1440 * 19);
}

static void cut_at_balance(void **state)
{
    (void)state;
    /* A balance that pays exactly for the call: not cut. */
    phone_call_rating r = rate(10 * 60, 11, 110);
    assert_false(r.cut_at_balance);
    assert_int_equal(r.billed_minutes, 10);
    assert_int_equal(r.amount_cents, 110);
    /* One cent short: the tenth minute is not paid, the call is cut after nine. */
    r = rate(10 * 60, 11, 109);
    assert_true(r.cut_at_balance);
    assert_int_equal(r.billed_minutes, 9);
    assert_int_equal(r.billed_seconds, 9 * 60);
    assert_int_equal(r.amount_cents, 99);
    /* A started minute the balance pays exactly. */
    r = rate(9 * 60 + 1, 11, 110);
    assert_false(r.cut_at_balance);
    assert_int_equal(r.billed_minutes, 10);
    /* Less than one minute's rate: nothing billed, cut at once. */
    r = rate(30, 11, 10);
    assert_true(r.cut_at_balance);
    assert_int_equal(r.billed_minutes, 0);
    assert_int_equal(r.billed_seconds, 0);
    assert_int_equal(r.amount_cents, 0);
    /* An empty balance and a 0-second call: nothing owed, nothing cut. */
    r = rate(0, 11, 0);
    assert_false(r.cut_at_balance);
    assert_int_equal(r.amount_cents, 0);
    /* A rate of 0 is never cut, whatever the balance. */
    r = rate(3600, 0, 0);
    assert_false(r.cut_at_balance);
    assert_int_equal(r.billed_minutes, 60);
    assert_int_equal(r.amount_cents, 0);
}

/* The rate exactly at the cap of every tier is allowed and rated like any other. */
static void rate_at_the_cap(void **state)
{
    (void)state;
    static const struct {
        fcc_facility_type type;
        int64_t adp;
        int64_t cap;
    } tiers[] = {
        {FCC_PRISON, 5000, 11}, {FCC_JAIL, 1000, 10}, {FCC_JAIL, 999, 12}, {FCC_JAIL, 350, 12},
        {FCC_JAIL, 349, 13},    {FCC_JAIL, 100, 13},  {FCC_JAIL, 99, 15},  {FCC_JAIL, 50, 15},
        {FCC_JAIL, 49, 19},     {FCC_JAIL, 0, 19},
    };
    for (size_t i = 0; i < sizeof tiers / sizeof tiers[0]; i++) {
        int64_t cap = 0;
        kite_fault f;
        assert_int_equal(fcc_cap_cents(FCC_AUDIO, tiers[i].type, tiers[i].adp, &cap, &f), KITE_OK);
        assert_int_equal(cap, tiers[i].cap);
        assert_int_equal(fcc_check_rate(FCC_AUDIO, tiers[i].type, tiers[i].adp, cap, &f), KITE_OK);
        assert_int_equal(fcc_check_rate(FCC_AUDIO, tiers[i].type, tiers[i].adp, cap + 1, &f), KITE_ERR_INVALID_FIELD);
        assert_int_equal(f.detail, FAULT_FCC_CAP);
        phone_call_rating r = rate(121, cap, 3 * cap);
        assert_int_equal(r.billed_minutes, 3);
        assert_int_equal(r.amount_cents, 3 * cap);
        assert_false(r.cut_at_balance);
        r = rate(121, cap, 3 * cap - 1);
        assert_int_equal(r.billed_minutes, 2);
        assert_true(r.cut_at_balance);
    }
}

static void deposit_fee_is_zero(void **state)
{
    (void)state;
    kite_fault f;
    assert_int_equal(PHONE_DEPOSIT_FEE_CENTS, 0);
    assert_true(fcc_phone_deposit_fee_allowed(PHONE_DEPOSIT_FEE_CENTS));
    assert_int_equal(fcc_check_phone_deposit_fee(1, &f), KITE_ERR_INVALID_FIELD);
}

static void refused_durations(void **state)
{
    (void)state;
    phone_call_rating r;
    kite_fault f;
    assert_int_equal(phone_rate_call(-1, 11, 100, &r, &f), KITE_ERR_INVALID_FIELD);
    assert_string_equal(f.field, "duration_seconds");
    assert_int_equal(f.detail, FAULT_RANGE);
    assert_int_equal(f.max, PHONE_CALL_MAX_SECONDS);
    assert_int_equal(phone_rate_call(PHONE_CALL_MAX_SECONDS + 1, 11, 100, &r, &f), KITE_ERR_INVALID_FIELD);
    assert_int_equal(phone_rate_call(INT64_MAX, 11, 100, &r, &f), KITE_ERR_INVALID_FIELD);
    assert_int_equal(phone_rate_call(60, -1, 100, &r, &f), KITE_ERR_INTERNAL);
    assert_int_equal(phone_rate_call(60, 11, -1, &r, &f), KITE_ERR_INTERNAL);
}

static void numbers(void **state)
{
    (void)state;
    static const struct {
        const char *typed;
        const char *e164; /* NULL: refused */
    } cases[] = {
        {"4155550123", "+14155550123"},
        {"(415) 555-0123", "+14155550123"},
        {"415.555.0123", "+14155550123"},
        {"1 415 555 0123", "+14155550123"},
        {"+1 415 555 0123", "+14155550123"},
        {"+44 20 7946 0958", "+442079460958"},
        {"+123456789012345", "+123456789012345"},
        {"+1234567890123456", NULL}, /* 16 digits */
        {"0155550123", NULL},        /* no area code starts with 0 */
        {"1155550123", NULL},        /* nor with 1 */
        {"555-0123", NULL},
        {"+0 20 7946 0958", NULL},
        {"415555012a", NULL},
        {"4155550123+", NULL},
        {"++14155550123", NULL},
        {"", NULL},
        {"+", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[PHONE_NUMBER_MAX + 1];
        bool ok = phone_number_normalize(cases[i].typed, out);
        if (cases[i].e164 == NULL) {
            if (ok)
                fail_msg("\"%s\" was accepted as %s", cases[i].typed, out);
        } else {
            assert_true(ok);
            assert_string_equal(out, cases[i].e164);
        }
    }
    char out[PHONE_NUMBER_MAX + 1];
    assert_false(phone_number_normalize(NULL, out));
}

static void outcome_names(void **state)
{
    (void)state;
    assert_string_equal(phone_call_outcome_name(PHONE_CALL_BILLED), "billed");
    assert_string_equal(phone_call_outcome_name(PHONE_CALL_NO_ACCOUNT), "no_account");
    assert_string_equal(phone_call_outcome_name(PHONE_CALL_BALANCE_EMPTY), "balance_empty");
    assert_string_equal(phone_call_outcome_name(PHONE_CALL_OUTCOME_COUNT), "unknown");
}

/* ---- API keys, on a real store ------------------------------------------- */

typedef struct key_fixture {
    temp_store t;
    kite_ctx ctx;
} key_fixture;

static kite_err sql_tx(db_conn *conn, void *statement)
{
    return db_exec(db_prepare(conn, statement));
}

static int key_setup(void **state)
{
    key_fixture *f = calloc(1, sizeof *f);
    if (f == NULL || temp_store_open(&f->t, "phone") != 0) {
        free(f);
        return -1;
    }
    f->ctx.store = f->t.store;
    if (db_write(f->t.store, sql_tx, "INSERT INTO facilities (id, name, created_at, updated_at) VALUES"
                                     " (1, 'One', 0, 0), (2, 'Two', 0, 0)") != KITE_OK)
        return -1;
    *state = f;
    return 0;
}

static int key_teardown(void **state)
{
    key_fixture *f = *state;
    temp_store_close(&f->t);
    free(f);
    return 0;
}

typedef struct count_args {
    const char *needle;
    int64_t n;
} count_args;

static kite_err count_tx(db_conn *conn, void *data)
{
    count_args *c = data;
    db_stmt *s = db_prepare(conn, "SELECT COUNT(*) FROM facility_api_keys WHERE instr(key_hash, $1) > 0"
                                  " OR instr(prefix, $1) > 0 OR instr(created_by, $1) > 0");
    db_bind_text(s, 1, c->needle);
    c->n = db_next(s) ? db_int(s, 0) : -1;
    return db_done(s);
}

typedef struct touch_args {
    int64_t id;
} touch_args;

static kite_err touch_tx(db_conn *conn, void *data)
{
    return phone_key_touch(conn, ((touch_args *)data)->id, 1);
}

static void keys_authenticate_exactly(void **state)
{
    key_fixture *f = *state;
    char secret[PHONE_KEY_LEN + 1];
    phone_key made, found, other;
    assert_int_equal(phone_key_create(&f->ctx, 1, "account:1", secret, &made), KITE_OK);
    assert_int_equal(strlen(secret), PHONE_KEY_LEN);
    assert_memory_equal(secret, "kite_", 5);
    assert_memory_equal(made.prefix, secret, PHONE_KEY_PREFIX_LEN);
    assert_int_equal(made.facility_id, 1);
    assert_int_equal(made.revoked_at, 0);
    assert_int_equal(phone_key_authenticate(&f->ctx, secret, &found), KITE_OK);
    assert_int_equal(found.id, made.id);
    assert_int_equal(found.facility_id, 1);

    /* The key's secret part is nowhere in the store. */
    count_args c = {secret + PHONE_KEY_PREFIX_LEN, 0};
    assert_int_equal(db_read(f->t.store, count_tx, &c), KITE_OK);
    assert_int_equal(c.n, 0);

    /* One character off, in the prefix or after it; the wrong shape; nothing. */
    char near[PHONE_KEY_LEN + 1];
    for (size_t at = 5; at < PHONE_KEY_LEN; at += 13) {
        memcpy(near, secret, sizeof near);
        near[at] = near[at] == 'a' ? 'b' : 'a';
        assert_int_equal(phone_key_authenticate(&f->ctx, near, &found), KITE_ERR_UNAUTHENTICATED);
    }
    memcpy(near, secret, sizeof near);
    near[10] = 'A'; /* upper case is not a key's */
    assert_int_equal(phone_key_authenticate(&f->ctx, near, &found), KITE_ERR_UNAUTHENTICATED);
    assert_int_equal(phone_key_authenticate(&f->ctx, "kite_", &found), KITE_ERR_UNAUTHENTICATED);
    assert_int_equal(phone_key_authenticate(&f->ctx, "", &found), KITE_ERR_UNAUTHENTICATED);
    assert_int_equal(phone_key_authenticate(&f->ctx, NULL, &found), KITE_ERR_UNAUTHENTICATED);

    /* Another facility's key is another key; a facility that does not exist gets none. */
    char secret2[PHONE_KEY_LEN + 1];
    assert_int_equal(phone_key_create(&f->ctx, 2, "account:1", secret2, &other), KITE_OK);
    assert_int_not_equal(strcmp(secret, secret2), 0);
    assert_int_equal(phone_key_authenticate(&f->ctx, secret2, &found), KITE_OK);
    assert_int_equal(found.facility_id, 2);
    char none[PHONE_KEY_LEN + 1];
    assert_int_equal(phone_key_create(&f->ctx, 99, "account:1", none, &other), KITE_ERR_NOT_FOUND);
}

static void keys_revoked_stop(void **state)
{
    key_fixture *f = *state;
    char secret[PHONE_KEY_LEN + 1];
    phone_key made, found, revoked;
    assert_int_equal(phone_key_create(&f->ctx, 1, "account:1", secret, &made), KITE_OK);
    touch_args t = {made.id};
    assert_int_equal(db_write(f->t.store, touch_tx, &t), KITE_OK);
    assert_int_equal(phone_key_revoke(&f->ctx, 2, made.id, "account:1", &revoked), KITE_ERR_NOT_FOUND);
    assert_int_equal(phone_key_revoke(&f->ctx, 1, made.id, "account:1", &revoked), KITE_OK);
    assert_true(revoked.revoked_at > 0);
    assert_int_equal(revoked.last_used_at, 1);
    assert_int_equal(phone_key_authenticate(&f->ctx, secret, &found), KITE_ERR_UNAUTHENTICATED);
    /* A call that passed the check before the revocation is refused in its own transaction. */
    assert_int_equal(db_write(f->t.store, touch_tx, &t), KITE_ERR_UNAUTHENTICATED);
    /* Revoking again changes nothing. */
    phone_key again;
    assert_int_equal(phone_key_revoke(&f->ctx, 1, made.id, "account:1", &again), KITE_OK);
    assert_int_equal(again.revoked_at, revoked.revoked_at);
    phone_key *items = NULL;
    size_t count = 0;
    arena *a = arena_new();
    assert_int_equal(phone_key_list(&f->ctx, a, 1, &items, &count), KITE_OK);
    assert_int_equal(count, 1);
    assert_int_equal(items[0].id, made.id);
    assert_true(items[0].revoked_at > 0);
    arena_free(a);
}

/* ---- a world with phone money, on a real store ------------------------------ */

enum { OP_DEPOSIT, OP_CALL, OP_REFUND, OP_COUNT };

typedef struct world {
    key_fixture k;
    arena *a;
    int64_t phone_account_id;
    phone_key key;
} world;

static kite_err verify_tx(db_conn *conn, void *data)
{
    return ledger_verify(conn, data);
}

static void assert_ledger_whole(world *w, const char *what)
{
    ledger_report r;
    assert_int_equal(db_read(w->k.t.store, verify_tx, &r), KITE_OK);
    if (!ledger_report_ok(&r))
        fail_msg("%s: ledger verify found a breach: %s", what, r.breach);
}

static kite_err fund_tx(db_conn *conn, void *data)
{
    (void)data;
    int64_t clearing, balance, tx;
    kite_err err = ledger_account_open(conn, 0, "cli", LEDGER_PROCESSOR_CLEARING, (ledger_owner){0}, LEDGER_CENTS,
                                       &clearing);
    if (err == KITE_OK)
        err = ledger_account_open(conn, 0, "cli", LEDGER_CONTACT_BALANCE, (ledger_owner){.account_id = 1},
                                  LEDGER_CENTS, &balance);
    if (err != KITE_OK)
        return err;
    ledger_line lines[2] = {{clearing, -5000}, {balance, 5000}};
    ledger_posting p = {LEDGER_TX_TOP_UP, "test top-up", "top_up:test", "cli", lines, 2};
    return ledger_post(conn, 0, &p, &tx);
}

static kite_err seed_tx(db_conn *conn, void *data)
{
    (void)data;
    return providers_seed(conn);
}

/* A federal prison on Kite (11 cents a minute), a resident, a contact with $50 and a phone account. */
static void world_open(world *w, int op)
{
    memset(w, 0, sizeof *w);
    void *state = NULL;
    assert_int_equal(key_setup(&state), 0);
    w->k = *(key_fixture *)state;
    free(state);
    w->k.ctx.store = w->k.t.store;
    w->a = arena_new();
    assert_int_equal(db_write(w->k.t.store, sql_tx, "UPDATE facilities SET type = 'federal', population = 1000"), KITE_OK);
    assert_int_equal(db_write(w->k.t.store, sql_tx,
                              "INSERT INTO accounts (id, role, email, full_name, password_hash, created_at, updated_at)"
                              " VALUES (1, 'contact', 'c@example.org', 'C', 'x', 0, 0),"
                              " (2, 'resident', NULL, 'R', 'x', 0, 0)"), KITE_OK);
    assert_int_equal(db_write(w->k.t.store, sql_tx,
                              "INSERT INTO residents (id, account_id, facility_id, resident_number, first_name,"
                              " last_name, status, created_at, updated_at) VALUES (1, 2, 1, '123', 'R', 'S', 'active', 0, 0)"),
                     KITE_OK);
    policy pol;
    bool created = false;
    assert_int_equal(db_write(w->k.t.store, seed_tx, NULL), KITE_OK);
    assert_int_equal(policy_defaults("federal", &pol), KITE_OK);
    assert_int_equal(policy_put(&w->k.ctx, w->a, 1, &pol, "cli", true, &created), KITE_OK);
    assert_int_equal(db_write(w->k.t.store, fund_tx, NULL), KITE_OK);
    phone_account acct;
    kite_fault f;
    assert_int_equal(phone_account_open(&w->k.ctx, w->a, 1, "account:1", 1, "(415) 555-0142", &acct, &f), KITE_OK);
    w->phone_account_id = acct.id;
    char secret[PHONE_KEY_LEN + 1];
    assert_int_equal(phone_key_create(&w->k.ctx, 1, "cli", secret, &w->key), KITE_OK);
    phone_money_move m;
    bool replayed;
    if (op != OP_DEPOSIT)
        assert_int_equal(phone_deposit(&w->k.ctx, 1, "account:1", acct.id, "setup", op == OP_CALL ? 100 : 700, &m,
                                       &replayed, &f),
                         KITE_OK);
}

static void world_close(world *w)
{
    arena_free(w->a);
    temp_store_close(&w->k.t);
}

static kite_err run_op(world *w, int op, bool *replayed)
{
    phone_money_move m;
    phone_call c;
    kite_fault f;
    phone_call_input in = {"call-1", "+14155550142", "123", 0, 20 * 60};
    switch (op) {
    case OP_DEPOSIT:
        return phone_deposit(&w->k.ctx, 1, "account:1", w->phone_account_id, "key-1", 1000, &m, replayed, &f);
    case OP_CALL: {
        kite_err err = phone_call_record(&w->k.ctx, w->a, &w->key, &in, &c, replayed, &f);
        if (err == KITE_OK && !(c.outcome == PHONE_CALL_BILLED && c.rating.cut_at_balance && c.rating.amount_cents == 99))
            fail_msg("the call was not rated as cut at the balance after 9 minutes");
        return err;
    }
    default:
        return phone_refund(&w->k.ctx, 1, "account:1", w->phone_account_id, "key-1", &m, replayed, &f);
    }
}

/* ---- kite ledger verify proves phone money --------------------------------- */

/*
 * A world with every kind of phone money: a deposit ($1.00), a call cut at
 * the balance (99 cents), a call to a number without an account (recorded,
 * not billed), a call of 0 seconds (billed 0, no posting) and the refund of
 * what is left (1 cent).  Call rows 1, 2 and 3 in that order.
 */
static void phone_money_world(world *w)
{
    bool replayed;
    phone_call c;
    kite_fault f;
    world_open(w, OP_CALL);
    assert_int_equal(run_op(w, OP_CALL, &replayed), KITE_OK);
    phone_call_input stranger = {"call-2", "+14155550199", "123", 0, 300};
    assert_int_equal(phone_call_record(&w->k.ctx, w->a, &w->key, &stranger, &c, &replayed, &f), KITE_OK);
    assert_int_equal(c.outcome, PHONE_CALL_NO_ACCOUNT);
    phone_call_input silent = {"call-3", "+14155550142", "123", 0, 0};
    assert_int_equal(phone_call_record(&w->k.ctx, w->a, &w->key, &silent, &c, &replayed, &f), KITE_OK);
    assert_int_equal(c.outcome, PHONE_CALL_BILLED);
    assert_int_equal(c.rating.amount_cents, 0);
    assert_int_equal(run_op(w, OP_REFUND, &replayed), KITE_OK);
    assert_ledger_whole(w, "phone money as Kite wrote it");
}

/*
 * Each tampering leaves every balance, running balance and transaction
 * whole, so only the phone checks can see it; verify must name the breach.
 */
static void verify_names_phone_breaches(void **state)
{
    (void)state;
    static const struct {
        const char *tamper;
        const char *breach;
    } cases[] = {
        {"UPDATE phone_calls SET billed_minutes = billed_minutes + 1, amount_cents = amount_cents + 11 WHERE id = 1",
         "call 1 is billed 110 cents but its posting"},
        {"UPDATE phone_calls SET amount_cents = amount_cents + 1 WHERE id = 1",
         "call 1 records 100 cents, not its minutes at its rate (99)"},
        {"UPDATE phone_calls SET transaction_id = NULL WHERE id = 1", "call 1 names transaction 0, not its posting"},
        {"UPDATE phone_calls SET outcome = 'no_account', amount_cents = 0, billed_minutes = 0, billed_seconds = 0"
         " WHERE id = 1",
         "call 1 (no_account, 0 cents) has a posting"},
        {"UPDATE phone_calls SET outcome = 'free' WHERE id = 1", "call 1 has an outcome Kite does not know"},
        {"DELETE FROM phone_calls WHERE id = 1", "is a call posting that no call record names"},
        {"UPDATE ledger_transactions SET reference = 'call:1:someone-else' WHERE kind = 'call'",
         "call 1 is billed 99 cents but has 0 postings under its reference, not 1"},
        {"UPDATE phone_calls SET amount_cents = 5 WHERE id = 2", "call 2 was not billed (no_account) but records 5 cents"},
        {"UPDATE phone_calls SET transaction_id = (SELECT id FROM ledger_transactions WHERE kind = 'call') WHERE id = 2",
         "call 2 (no_account, 0 cents) has a posting"},
        {"UPDATE phone_calls SET transaction_id = (SELECT id FROM ledger_transactions WHERE kind = 'call') WHERE id = 3",
         "call 3 (billed, 0 cents) has a posting"},
        {"UPDATE ledger_transactions SET reference = 'phone_deposit:9:setup' WHERE reference = 'phone_deposit:1:setup'",
         "on phone account 1 (transaction"},
        {"UPDATE ledger_transactions SET kind = 'deposit' WHERE reference LIKE 'phone!_refund:%' ESCAPE '!'",
         "is not a call, deposit or refund of that phone account"},
        {"UPDATE ledger_transactions SET kind = 'adjustment' WHERE kind = 'call'",
         "call 1: its posting"},
        {"UPDATE phone_accounts SET ledger_account_id = (SELECT id FROM ledger_accounts WHERE kind = 'contact_balance')",
         "phone account 1 does not name a phone_account ledger account"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        world w;
        phone_money_world(&w);
        assert_int_equal(db_write(w.k.t.store, sql_tx, (void *)cases[i].tamper), KITE_OK);
        ledger_report r;
        assert_int_equal(db_read(w.k.t.store, verify_tx, &r), KITE_OK);
        if (strstr(r.breach, cases[i].breach) == NULL)
            fail_msg("after \"%s\" verify said \"%s\", not \"%s\"", cases[i].tamper, r.breach, cases[i].breach);
        world_close(&w);
    }
}

#ifdef KITE_FAULT_INJECTION
/* ---- every store step of a paid phone request, failed in turn --------------- */

static const char *const op_names[OP_COUNT] = {"deposit", "call", "refund"};

typedef struct snapshot {
    int64_t contact, phone, revenue, calls, transactions;
} snapshot;

static kite_err snapshot_tx(db_conn *conn, void *data)
{
    snapshot *out = data;
    static const char *const queries[] = {
        "SELECT COALESCE(SUM(balance), 0) FROM ledger_accounts WHERE kind = 'contact_balance'",
        "SELECT COALESCE(SUM(balance), 0) FROM ledger_accounts WHERE kind = 'phone_account'",
        "SELECT COALESCE(SUM(balance), 0) FROM ledger_accounts WHERE kind = 'provider_revenue'",
        "SELECT COUNT(*) FROM phone_calls",
        "SELECT COUNT(*) FROM ledger_transactions",
    };
    int64_t *fields[] = {&out->contact, &out->phone, &out->revenue, &out->calls, &out->transactions};
    for (size_t i = 0; i < 5; i++) {
        db_stmt *s = db_prepare(conn, queries[i]);
        *fields[i] = db_next(s) ? db_int(s, 0) : -1;
        kite_err err = db_done(s);
        if (err != KITE_OK)
            return err;
    }
    return KITE_OK;
}

static snapshot take(world *w)
{
    snapshot out;
    assert_int_equal(db_read(w->k.t.store, snapshot_tx, &out), KITE_OK);
    return out;
}

static void every_step_fails_in_turn(void **state)
{
    (void)state;
    for (int op = 0; op < OP_COUNT; op++) {
        world w;
        bool replayed = false;
        world_open(&w, op);
        snapshot before = take(&w);
        db_fault_arm(w.k.t.store, 0, KITE_OK);
        assert_int_equal(run_op(&w, op, &replayed), KITE_OK);
        int64_t steps = db_fault_steps(w.k.t.store);
        snapshot done = take(&w);
        world_close(&w);
        assert_true(steps > 0);
        assert_true(done.transactions == before.transactions + 1);
        for (int64_t n = 1; n <= steps; n++) {
            world_open(&w, op);
            db_fault_arm(w.k.t.store, n, KITE_ERR_STORE);
            kite_err err = run_op(&w, op, &replayed);
            db_fault_disarm(w.k.t.store);
            if (err == KITE_OK)
                fail_msg("%s: the fault at step %" PRId64 " of %" PRId64 " was swallowed", op_names[op], n, steps);
            assert_ledger_whole(&w, op_names[op]);
            snapshot now = take(&w);
            if (memcmp(&now, &before, sizeof now) != 0)
                fail_msg("%s: step %" PRId64 " failed, yet the store changed", op_names[op], n);
            /* The retry (same key, same call id) applies it once; another retry changes nothing. */
            assert_int_equal(run_op(&w, op, &replayed), KITE_OK);
            assert_false(replayed);
            assert_int_equal(run_op(&w, op, &replayed), KITE_OK);
            assert_true(replayed);
            now = take(&w);
            if (memcmp(&now, &done, sizeof now) != 0)
                fail_msg("%s: after the fault at step %" PRId64 " and a retry, the store is not as one run leaves it",
                         op_names[op], n);
            assert_ledger_whole(&w, op_names[op]);
            world_close(&w);
        }
    }
}
#endif

int main(void)
{
    if (secret_init() != KITE_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(started_minutes), cmocka_unit_test(cut_at_balance),     cmocka_unit_test(rate_at_the_cap),
        cmocka_unit_test(deposit_fee_is_zero), cmocka_unit_test(refused_durations), cmocka_unit_test(numbers),
        cmocka_unit_test(outcome_names),
        cmocka_unit_test_setup_teardown(keys_authenticate_exactly, key_setup, key_teardown),
        cmocka_unit_test_setup_teardown(keys_revoked_stop, key_setup, key_teardown),
        cmocka_unit_test(verify_names_phone_breaches),
#ifdef KITE_FAULT_INJECTION
        cmocka_unit_test(every_step_fails_in_turn),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
