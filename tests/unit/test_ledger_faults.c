/*
 * test_ledger_faults.c - every store step of every paid operation, made to
 * fail in turn: money is neither created, lost nor taken twice.
 *
 * Design: SQLite's own way ("How SQLite Is Tested", fault injection).  Each
 * operation is run once unarmed on a fresh store to count its store steps S
 * (db.h defines a step) and to record the state it leaves.  Then for every
 * N in 1..S, on a fresh store: arm the Nth step to fail, run the operation,
 * disarm, and prove that
 *   - the operation reported the failure (a fault is never swallowed);
 *   - `kite ledger verify`'s checks (the ledger's and messaging's) pass and
 *     the audit chain is whole;
 *   - the balances of every unit still sum to what they did (zero);
 *   - the whole store is exactly as before the operation (it rolled back),
 *     never half-way: the payer's balance, the business row, the entries;
 *   - retried unarmed with the same idempotency key (the reference, the
 *     hold's subject, the message id), it is then applied exactly once.
 * The same loop runs with KITE_ERR_BUSY, which db_write retries: there the
 * operation succeeds, once.  The operations: a top-up posting, a hold, a
 * capture with a revenue split (with the delivery it pays for), a release
 * (with the rejection), and a message send: the message row and its hold
 * in one db_write.
 *
 * Built only with -Dfault_injection=true (tools/test.sh): db_fault_arm
 * exists only there.
 *
 * SECURITY: money.  This is the proof that an error at any point of a paid
 * request leaves the ledger whole.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/secret.h"
#include "db/db.h"
#include "domain/audit/audit.h"
#include "domain/ledger/hold.h"
#include "domain/ledger/ledger.h"
#include "domain/ledger/ledger_state.h"
#include "domain/ledger/verify.h"
#include "domain/messaging/message_holds.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "temp_store.h"

enum {
    NOW = 1000000,
    CONTACT = 1,
    RESIDENT = 1,
    FACILITY = 1,
    SEED_CENTS = 1000, /* the contact's balance before each operation */
    PRICE = 50,        /* a message's price, held then captured (30 facility + 20 provider) or released */
    SETTLED_MESSAGE = 1, /* pending review, with a hold: delivered (capture) or rejected (release) */
    HELD_MESSAGE = 2,    /* pending review, no hold yet: the hold operation */
    SENT_MESSAGE = 3,    /* does not exist yet: the send operation writes it */
    FINGERPRINT_MAX = 2048,
};

typedef enum fault_op { OP_TOP_UP, OP_HOLD, OP_CAPTURE, OP_RELEASE, OP_SEND, OP_REFUSED, OP_COUNT } fault_op;

static const char *const op_names[OP_COUNT] = {"top-up posting", "hold", "capture with revenue split",
                                               "release", "message send (message row + hold)",
                                               "refused posting, the caller carries on"};

/* A fresh store with a facility, a contact with SEED_CENTS and a held message. */
typedef struct world {
    temp_store t;
    int64_t clearing, balance, facility, provider;
    int64_t hold_id; /* SETTLED_MESSAGE's hold */
} world;

/* Everything an operation may change, as text, plus what the asserts name. */
typedef struct snapshot {
    char text[FINGERPRINT_MAX];
    int64_t payer;                    /* the contact's balance */
    int64_t sums[LEDGER_UNIT_COUNT];  /* per unit, over every account */
    int64_t business;                 /* the business row the money pays for: 1 when it is there */
} snapshot;

/* ---- store helpers ------------------------------------------------------- */

static kite_err sql_tx(db_conn *conn, void *statement)
{
    return db_exec(db_prepare(conn, statement));
}

static void sql(world *w, const char *statement)
{
    kite_err err = db_write(w->t.store, sql_tx, (void *)statement);
    if (err != KITE_OK)
        fail_msg("SQL failed (%s): %s", kite_err_code(err), statement);
}

typedef struct open_call {
    ledger_kind kind;
    ledger_owner owner;
    int64_t id;
} open_call;

static kite_err open_tx(db_conn *conn, void *ctx)
{
    open_call *c = ctx;
    return ledger_account_open(conn, NOW, "cli", c->kind, c->owner, LEDGER_CENTS, &c->id);
}

static int64_t open_account(world *w, ledger_kind kind, ledger_owner owner)
{
    open_call c = {kind, owner, 0};
    assert_int_equal(db_write(w->t.store, open_tx, &c), KITE_OK);
    return c.id;
}

static void message_row(world *w, int64_t id)
{
    char s[512];
    snprintf(s, sizeof s,
             "INSERT INTO messages (id, contact_id, facility_id, resident_id, sender_account_id, recipient_account_id,"
             " direction, subject, body, status, held, flagged, price_cents, created_at)"
             " VALUES (%" PRId64 ", 1, 1, 1, 1, 2, 'to_resident', 's', 'b', 'pending_review', 0, 0, %d, %d)",
             id, PRICE, NOW);
    sql(w, s);
}

/* ---- the operations, each one db_write ------------------------------------ */

typedef struct op_call {
    world *w;
    fault_op op;
} op_call;

/* The business change of a delivery or a rejection: pending review -> status, once. */
static kite_err decide_message(db_conn *conn, const char *status)
{
    db_stmt *s = db_prepare(conn, "UPDATE messages SET status = $1 WHERE id = $2 AND status = 'pending_review'");
    db_bind_text(s, 1, status);
    db_bind_int(s, 2, SETTLED_MESSAGE);
    kite_err err = db_exec(s);
    return err != KITE_OK ? err : db_changes(conn) == 1 ? KITE_OK : KITE_ERR_ALREADY_DECIDED;
}

static kite_err send_message(db_conn *conn, const world *w)
{
    db_stmt *s = db_prepare(conn,
        "INSERT INTO messages (id, contact_id, facility_id, resident_id, sender_account_id, recipient_account_id,"
        " direction, subject, body, status, held, flagged, price_cents, created_at)"
        " VALUES ($1, 1, 1, 1, 1, 2, 'to_resident', 's', 'b', 'pending_review', 0, 0, $2, $3)");
    db_bind_int(s, 1, SENT_MESSAGE);
    db_bind_int(s, 2, PRICE);
    db_bind_int(s, 3, NOW);
    kite_err err = db_exec(s); /* KITE_ERR_CONFLICT on a retry of a send that went through */
    int64_t hold_id;
    return err != KITE_OK ? err
                          : ledger_hold(conn, NOW, "account:1", LEDGER_SUBJECT_MESSAGE, SENT_MESSAGE, w->balance, PRICE,
                                        LEDGER_CENTS, &hold_id);
}

/*
 * A caller that carries on when the payer cannot pay (its business change
 * commits, unpaid): ledger.h promises that a refused posting leaves nothing
 * behind even then.  The credit comes first, so the refusal comes after an
 * entry was written and only the savepoint's rollback removes it.
 */
static kite_err carry_on_unpaid(db_conn *conn, const world *w)
{
    kite_err err = sql_tx(conn, "UPDATE messages SET subject = 'unpaid' WHERE id = 2 AND subject = 's'");
    if (err != KITE_OK)
        return err;
    if (db_changes(conn) != 1)
        return KITE_ERR_ALREADY_DECIDED;
    const ledger_line lines[] = {{w->facility, 5000}, {w->balance, -5000}};
    const ledger_posting p = {LEDGER_TX_TRANSFER, "too dear", NULL, "account:1", lines, 2};
    int64_t id;
    err = ledger_post(conn, NOW, &p, &id);
    return err == KITE_ERR_INSUFFICIENT_FUNDS ? KITE_OK : err;
}

static kite_err op_tx(db_conn *conn, void *ctx)
{
    const op_call *c = ctx;
    const world *w = c->w;
    int64_t id;
    kite_err err;
    switch (c->op) {
    case OP_TOP_UP: {
        const ledger_line lines[] = {{w->clearing, -700}, {w->balance, 700}};
        const ledger_posting p = {LEDGER_TX_TOP_UP, "card top-up", "charge-7", "account:1", lines, 2};
        return ledger_post(conn, NOW, &p, &id);
    }
    case OP_HOLD:
        return ledger_hold(conn, NOW, "account:1", LEDGER_SUBJECT_MESSAGE, HELD_MESSAGE, w->balance, PRICE,
                           LEDGER_CENTS, &id);
    case OP_CAPTURE: {
        const ledger_line split[] = {{w->facility, 30}, {w->provider, 20}};
        err = decide_message(conn, "delivered");
        return err != KITE_OK ? err : ledger_capture(conn, NOW + 1, "system", w->hold_id, split, 2);
    }
    case OP_RELEASE:
        err = decide_message(conn, "rejected");
        return err != KITE_OK ? err : ledger_release(conn, NOW + 1, "system", w->hold_id);
    case OP_SEND:
        return send_message(conn, w);
    case OP_REFUSED:
        return carry_on_unpaid(conn, w);
    case OP_COUNT:
        break;
    }
    return KITE_ERR_INTERNAL;
}

static kite_err run_op(world *w, fault_op op)
{
    op_call c = {w, op};
    return db_write(w->t.store, op_tx, &c);
}

/* What a retry of an operation that went through answers: the key says "done already". */
static kite_err retry_answer(fault_op op)
{
    switch (op) {
    case OP_TOP_UP:
        return KITE_OK; /* the reference returns the first posting, writing nothing */
    case OP_HOLD:
    case OP_SEND:
        return KITE_ERR_CONFLICT; /* one hold per subject; one message per id */
    default:
        return KITE_ERR_ALREADY_DECIDED; /* the message was decided, the hold settled */
    }
}

/* ---- the world ----------------------------------------------------------- */

static kite_err seed_tx(db_conn *conn, void *ctx)
{
    world *w = ctx;
    const ledger_line lines[] = {{w->clearing, -SEED_CENTS}, {w->balance, SEED_CENTS}};
    const ledger_posting p = {LEDGER_TX_TOP_UP, "seed", "seed", "cli", lines, 2};
    int64_t id;
    kite_err err = ledger_post(conn, NOW, &p, &id);
    return err != KITE_OK ? err
                          : ledger_hold(conn, NOW, "account:1", LEDGER_SUBJECT_MESSAGE, SETTLED_MESSAGE, w->balance,
                                        PRICE, LEDGER_CENTS, &w->hold_id);
}

static void world_open(world *w)
{
    memset(w, 0, sizeof *w);
    assert_int_equal(temp_store_open(&w->t, "faults"), 0);
    sql(w, "INSERT INTO facilities (id, name, created_at, updated_at) VALUES (1, 'Test Facility', 0, 0)");
    sql(w, "INSERT INTO accounts (id, role, email, full_name, password_hash, created_at, updated_at)"
           " VALUES (1, 'contact', 'c@example.org', 'C', 'x', 0, 0)");
    sql(w, "INSERT INTO accounts (id, role, email, full_name, password_hash, created_at, updated_at)"
           " VALUES (2, 'resident', NULL, 'R', 'x', 0, 0)");
    sql(w, "INSERT INTO residents (id, account_id, facility_id, resident_number, first_name, last_name, status,"
           " created_at, updated_at) VALUES (1, 2, 1, '123', 'R', 'S', 'active', 0, 0)");
    sql(w, "INSERT INTO contacts (id, resident_id, contact_account_id, status, origin, created_at, updated_at,"
           " facility_id) VALUES (1, 1, 1, 'active', 'request', 0, 0, 1)");
    message_row(w, SETTLED_MESSAGE);
    message_row(w, HELD_MESSAGE);
    w->clearing = open_account(w, LEDGER_PROCESSOR_CLEARING, (ledger_owner){0});
    w->balance = open_account(w, LEDGER_CONTACT_BALANCE, (ledger_owner){CONTACT, 0, 0});
    w->facility = open_account(w, LEDGER_FACILITY_REVENUE, (ledger_owner){0, 0, FACILITY});
    w->provider = open_account(w, LEDGER_PROVIDER_REVENUE, (ledger_owner){0});
    assert_int_equal(db_write(w->t.store, seed_tx, w), KITE_OK);
}

static void world_close(world *w)
{
    temp_store_close(&w->t);
}

/* ---- what the store says ------------------------------------------------- */

/* Appends column 0 of every row of query to out, "label=a|b|c;". */
static kite_err append_rows(db_conn *conn, char *out, const char *label, const char *query)
{
    size_t len = strlen(out);
    snprintf(out + len, FINGERPRINT_MAX - len, "%s=", label);
    db_stmt *s = db_prepare(conn, query);
    while (db_next(s)) {
        len = strlen(out);
        snprintf(out + len, FINGERPRINT_MAX - len, "%s|", db_text(s, 0));
    }
    len = strlen(out);
    snprintf(out + len, FINGERPRINT_MAX - len, ";");
    return db_done(s);
}

typedef struct row_call {
    char *out;
    const char *query;
} row_call;

static kite_err rows_tx(db_conn *conn, void *ctx)
{
    const row_call *c = ctx;
    return append_rows(conn, c->out, "subject", c->query);
}

typedef struct snapshot_call {
    const world *w;
    fault_op op;
    snapshot *out;
} snapshot_call;

static kite_err business_row(db_conn *conn, fault_op op, int64_t *found)
{
    static const char *const queries[OP_COUNT] = {
        [OP_TOP_UP] = "SELECT COUNT(*) FROM ledger_transactions WHERE reference = 'charge-7'",
        [OP_HOLD] = "SELECT COUNT(*) FROM ledger_holds WHERE subject_id = 2",
        [OP_CAPTURE] = "SELECT COUNT(*) FROM messages WHERE id = 1 AND status = 'delivered'",
        [OP_RELEASE] = "SELECT COUNT(*) FROM messages WHERE id = 1 AND status = 'rejected'",
        [OP_SEND] = "SELECT COUNT(*) FROM messages WHERE id = 3",
        [OP_REFUSED] = "SELECT COUNT(*) FROM messages WHERE id = 2 AND subject = 'unpaid'",
    };
    db_stmt *s = db_prepare(conn, queries[op]);
    *found = db_next(s) ? db_int(s, 0) : -1;
    return db_done(s);
}

static kite_err snapshot_tx(db_conn *conn, void *ctx)
{
    snapshot_call *c = ctx;
    snapshot *out = c->out;
    memset(out, 0, sizeof *out);
    kite_err err = append_rows(conn, out->text, "accounts",
                               "SELECT id || ':' || kind || ':' || unit || ':' || balance FROM ledger_accounts ORDER BY id");
    if (err == KITE_OK)
        err = append_rows(conn, out->text, "transactions",
                          "SELECT id || ':' || kind || ':' || COALESCE(reference, '') FROM ledger_transactions ORDER BY id");
    if (err == KITE_OK)
        err = append_rows(conn, out->text, "entries", "SELECT COUNT(*) || ':' || SUM(amount) FROM ledger_entries");
    if (err == KITE_OK)
        err = append_rows(conn, out->text, "holds", "SELECT id || ':' || subject_id || ':' || state FROM ledger_holds ORDER BY id");
    if (err == KITE_OK)
        err = append_rows(conn, out->text, "messages", "SELECT id || ':' || status FROM messages ORDER BY id");
    if (err == KITE_OK)
        err = append_rows(conn, out->text, "audit", "SELECT COUNT(*) FROM audit_log");
    if (err == KITE_OK)
        err = ledger_balance(conn, c->w->balance, &out->payer);
    db_stmt *s = db_prepare(conn, "SELECT unit, SUM(balance) FROM ledger_accounts GROUP BY unit");
    while (err == KITE_OK && db_next(s)) {
        ledger_unit unit;
        assert_true(ledger_unit_parse(db_text(s, 0), &unit));
        out->sums[unit] = db_int(s, 1);
    }
    kite_err done = db_done(s);
    if (err == KITE_OK)
        err = done;
    return err != KITE_OK ? err : business_row(conn, c->op, &out->business);
}

static snapshot take(const world *w, fault_op op)
{
    snapshot s;
    snapshot_call c = {w, op, &s};
    assert_int_equal(db_read(w->t.store, snapshot_tx, &c), KITE_OK);
    return s;
}

static kite_err verify_tx(db_conn *conn, void *ctx)
{
    kite_err err = ledger_verify(conn, ctx);
    return err == KITE_OK && ledger_report_ok(ctx) ? message_holds_verify(conn, ctx) : err;
}

/* `kite ledger verify` and `kite audit verify` both pass. */
static void assert_whole(const world *w, fault_op op, int64_t n)
{
    ledger_report r;
    assert_int_equal(db_read(w->t.store, verify_tx, &r), KITE_OK);
    if (!ledger_report_ok(&r))
        fail_msg("%s, fault at step %" PRId64 ": ledger verify: %s", op_names[op], n, r.breach);
    audit_report a;
    assert_int_equal(audit_verify(w->t.store, &a), KITE_OK);
    if (a.first_broken != 0)
        fail_msg("%s, fault at step %" PRId64 ": audit record %" PRId64 " broken", op_names[op], n, a.first_broken);
}

static void assert_same(const snapshot *got, const snapshot *want, const char *what, fault_op op, int64_t n)
{
    if (strcmp(got->text, want->text) != 0)
        fail_msg("%s, fault at step %" PRId64 ": store is not %s\n  got  %s\n  want %s", op_names[op], n, what,
                 got->text, want->text);
    assert_int_equal(got->payer, want->payer);
    assert_int_equal(got->business, want->business);
}

/* ---- the fault loop ------------------------------------------------------ */

/* Runs op unarmed on a fresh store: its steps, and the states before and after. */
static int64_t count_steps(fault_op op, snapshot *before, snapshot *after)
{
    world w;
    world_open(&w);
    *before = take(&w, op);
    db_fault_arm(w.t.store, 0, KITE_OK);
    assert_int_equal(run_op(&w, op), KITE_OK);
    int64_t steps = db_fault_steps(w.t.store);
    *after = take(&w, op);
    assert_whole(&w, op, 0);
    world_close(&w);
    /* The operation did its business (and moved money: the payer's, or held money): the loop below can tell the two states apart. */
    if (op == OP_REFUSED)
        assert_int_equal(before->payer, after->payer);
    else
        assert_true(before->payer != after->payer || op == OP_CAPTURE);
    assert_int_equal(before->business, 0);
    assert_int_equal(after->business, 1);
    return steps;
}

/* Step n of op fails with fault; the store is whole, then a retry applies op once. */
static void fault_at(fault_op op, int64_t n, kite_err fault, int64_t steps, const snapshot *before,
                     const snapshot *after)
{
    world w;
    world_open(&w);
    db_fault_arm(w.t.store, n, fault);
    kite_err err = run_op(&w, op);
    db_fault_disarm(w.t.store);
    /* A store failure surfaces; a busy store is retried by db_write and the operation goes through. */
    if (n <= steps && fault != KITE_ERR_BUSY && err == KITE_OK)
        fail_msg("%s: the fault at step %" PRId64 " of %" PRId64 " was swallowed", op_names[op], n, steps);
    if (err != KITE_OK && (n > steps || fault == KITE_ERR_BUSY))
        fail_msg("%s, fault %s at step %" PRId64 ": failed with %s", op_names[op], kite_err_code(fault), n,
                 kite_err_code(err));
    assert_whole(&w, op, n);
    snapshot now = take(&w, op);
    for (int u = 0; u < LEDGER_UNIT_COUNT; u++)
        assert_int_equal(now.sums[u], before->sums[u]); /* no money made or destroyed */
    assert_same(&now, err == KITE_OK ? after : before, err == KITE_OK ? "as after the operation" : "as before",
                op, n);
    /* The same request again, unarmed: applied now if it was not, refused by its key if it was. */
    assert_int_equal(run_op(&w, op), err == KITE_OK ? retry_answer(op) : KITE_OK);
    now = take(&w, op);
    assert_same(&now, after, "applied exactly once after the retry", op, n);
    assert_whole(&w, op, n);
    world_close(&w);
}

static void every_step_fails(fault_op op)
{
    snapshot before, after;
    int64_t steps = count_steps(op, &before, &after);
    print_message("%s: S = %" PRId64 " store steps; each failed in turn (store error, then busy)\n", op_names[op],
                  steps);
    assert_true(steps > 0);
    /* One past the last step too: the fault never fires and the operation goes through. */
    for (int64_t n = 1; n <= steps + 1; n++) {
        fault_at(op, n, KITE_ERR_STORE, steps, &before, &after);
        fault_at(op, n, KITE_ERR_BUSY, steps, &before, &after);
    }
}

static void test_top_up(void **state)
{
    (void)state;
    every_step_fails(OP_TOP_UP);
}

static void test_hold(void **state)
{
    (void)state;
    every_step_fails(OP_HOLD);
}

static void test_capture(void **state)
{
    (void)state;
    every_step_fails(OP_CAPTURE);
}

static void test_release(void **state)
{
    (void)state;
    every_step_fails(OP_RELEASE);
}

static void test_send(void **state)
{
    (void)state;
    every_step_fails(OP_SEND);
}

static void test_refused_posting_carried_on(void **state)
{
    (void)state;
    every_step_fails(OP_REFUSED);
}

/* The hook itself: counts, fires once at N, and a disarmed store never fails. */
static void test_hook_fires_once(void **state)
{
    (void)state;
    world w;
    world_open(&w);
    db_fault_arm(w.t.store, 2, KITE_OK); /* BEGIN is step 1, the statement step 2 */
    assert_int_equal(db_write(w.t.store, sql_tx, "UPDATE messages SET subject = 't' WHERE id = 1"), KITE_ERR_STORE);
    assert_int_equal(db_fault_steps(w.t.store), 2);
    assert_int_equal(db_write(w.t.store, sql_tx, "UPDATE messages SET subject = 't' WHERE id = 1"), KITE_OK);
    assert_int_equal(db_fault_steps(w.t.store), 5); /* BEGIN, the UPDATE, COMMIT */
    db_fault_arm(w.t.store, 3, KITE_OK);            /* the COMMIT */
    assert_int_equal(db_write(w.t.store, sql_tx, "UPDATE messages SET subject = 'u' WHERE id = 1"), KITE_ERR_STORE);
    /* The failed COMMIT rolled the transaction back: the subject is still 't'. */
    char rows[FINGERPRINT_MAX] = "";
    row_call c = {rows, "SELECT subject FROM messages WHERE id = 1"};
    assert_int_equal(db_read(w.t.store, rows_tx, &c), KITE_OK);
    assert_string_equal(rows, "subject=t|;");
    world_close(&w);
}

int main(void)
{
    if (secret_init() != KITE_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hook_fires_once),
        cmocka_unit_test(test_top_up),
        cmocka_unit_test(test_hold),
        cmocka_unit_test(test_capture),
        cmocka_unit_test(test_release),
        cmocka_unit_test(test_send),
        cmocka_unit_test(test_refused_posting_carried_on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
