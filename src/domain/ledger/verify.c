/*
 * verify.c - the ledger's invariants, each one query (see verify.h).
 *
 * Design: the cheap scans come first and the joins after, in the order a
 * person would want to read about them: an account Kite cannot read, money
 * below zero, a transaction that makes or loses money, a cached balance or
 * running balance that lies, then the holds.  Kinds and states are bound
 * from the name tables, never spelt in SQL, so a renamed state cannot make a
 * check pass silently.
 *
 * SECURITY: money.  Read-only.  Sums are over bounded amounts (ledger.h),
 * so SQL's SUM cannot overflow on data Kite wrote; on tampered data SQLite
 * raises an integer overflow error rather than wrapping, which is reported
 * as a store error, never as "ok".
 */
#include "domain/ledger/verify.h"

#include "domain/ledger/ledger_state.h"
#include "domain/ledger/money_transfer.h"
#include "domain/ledger/phone.h"
#include "domain/ledger/terminal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ledger_report_breach(ledger_report *r, const char *fmt, ...)
{
    if (r->breach[0] != '\0')
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->breach, sizeof r->breach, fmt, ap);
    va_end(ap);
}

bool ledger_report_ok(const ledger_report *r)
{
    return r->breach[0] == '\0';
}

static kite_err count_rows(db_conn *conn, const char *sql, int64_t *out)
{
    db_stmt *s = db_prepare(conn, sql);
    *out = db_next(s) ? db_int(s, 0) : 0;
    return db_done(s);
}

static kite_err check_accounts(db_conn *conn, ledger_report *r)
{
    db_stmt *s = db_prepare(conn, "SELECT id, kind, unit, balance, allow_negative FROM ledger_accounts ORDER BY id");
    while (ledger_report_ok(r) && db_next(s)) {
        int64_t id = db_int(s, 0), balance = db_int(s, 3);
        bool allow_negative = db_int(s, 4) != 0;
        ledger_kind kind;
        ledger_unit unit;
        if (!ledger_kind_parse(db_text(s, 1), &kind) || !ledger_unit_parse(db_text(s, 2), &unit))
            ledger_report_breach(r, "account %" PRId64 " has a kind or unit Kite does not know", id);
        else if (!ledger_kind_allows_unit(kind, unit))
            ledger_report_breach(r, "account %" PRId64 " is a %s account in %s, which that kind does not hold", id,
                                 ledger_kind_name(kind), ledger_unit_name(unit));
        else if (allow_negative && !ledger_kind_may_go_negative(kind, unit))
            ledger_report_breach(r, "account %" PRId64 " (%s) is allowed below zero, which only system accounts are",
                                 id, ledger_kind_name(kind));
        else if (balance < 0 && !allow_negative)
            ledger_report_breach(r, "account %" PRId64 " (%s) is below zero (%s: %" PRId64 ")", id,
                                 ledger_kind_name(kind), ledger_unit_name(unit), balance);
    }
    return db_done(s);
}

static kite_err check_transactions_balance(db_conn *conn, ledger_report *r)
{
    db_stmt *s = db_prepare(conn,
        "SELECT e.transaction_id, a.unit, SUM(e.amount) FROM ledger_entries e"
        " JOIN ledger_accounts a ON a.id = e.account_id"
        " GROUP BY e.transaction_id, a.unit HAVING SUM(e.amount) <> 0 ORDER BY e.transaction_id, a.unit LIMIT 1");
    if (db_next(s)) {
        ledger_unit unit = LEDGER_UNIT_COUNT;
        bool known = ledger_unit_parse(db_text(s, 1), &unit);
        ledger_report_breach(r, "transaction %" PRId64 " does not balance (%s: %+" PRId64 ")", db_int(s, 0),
                             known ? ledger_unit_name(unit) : "unknown unit", db_int(s, 2));
    }
    return db_done(s);
}

static kite_err check_entries_linked(db_conn *conn, ledger_report *r)
{
    db_stmt *s = db_prepare(conn,
        "SELECT e.id FROM ledger_entries e LEFT JOIN ledger_accounts a ON a.id = e.account_id"
        " LEFT JOIN ledger_transactions t ON t.id = e.transaction_id"
        " WHERE a.id IS NULL OR t.id IS NULL OR e.amount = 0 ORDER BY e.id LIMIT 1");
    if (db_next(s))
        ledger_report_breach(r, "entry %" PRId64 " is zero or names no account or transaction", db_int(s, 0));
    return db_done(s);
}

/* Every transaction has a known kind and entries; hold moves name a hold, others none. */
static kite_err check_transaction_kinds(db_conn *conn, ledger_report *r)
{
    db_stmt *s = db_prepare(conn,
        "SELECT t.id, t.kind, CASE WHEN t.hold_id IS NULL THEN 0 ELSE 1 END,"
        " CASE WHEN EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transaction_id = t.id) THEN 1 ELSE 0 END"
        " FROM ledger_transactions t ORDER BY t.id");
    while (ledger_report_ok(r) && db_next(s)) {
        int64_t id = db_int(s, 0);
        ledger_tx_kind kind;
        if (!ledger_tx_kind_parse(db_text(s, 1), &kind))
            ledger_report_breach(r, "transaction %" PRId64 " has a kind Kite does not know", id);
        else if (db_int(s, 3) == 0)
            ledger_report_breach(r, "transaction %" PRId64 " has no entries", id);
        else if (ledger_tx_kind_is_hold_move(kind) != (db_int(s, 2) != 0))
            ledger_report_breach(r, "transaction %" PRId64 " (%s) %s", id, ledger_tx_kind_name(kind),
                                 db_int(s, 2) != 0 ? "names a hold but moves none" : "moves a hold but names none");
    }
    return db_done(s);
}

static kite_err check_cached_balances(db_conn *conn, ledger_report *r)
{
    db_stmt *s = db_prepare(conn,
        "SELECT a.id, a.balance, COALESCE(SUM(e.amount), 0) FROM ledger_accounts a"
        " LEFT JOIN ledger_entries e ON e.account_id = a.id GROUP BY a.id, a.balance"
        " HAVING a.balance <> COALESCE(SUM(e.amount), 0) ORDER BY a.id LIMIT 1");
    if (db_next(s))
        ledger_report_breach(r, "account %" PRId64 " has balance %" PRId64 " but its entries sum to %" PRId64,
                             db_int(s, 0), db_int(s, 1), db_int(s, 2));
    return db_done(s);
}

static kite_err check_running_balances(db_conn *conn, ledger_report *r)
{
    db_stmt *s = db_prepare(conn,
        "SELECT id, account_id, balance_after, running FROM ("
        "  SELECT id, account_id, balance_after,"
        "         SUM(amount) OVER (PARTITION BY account_id ORDER BY id ROWS UNBOUNDED PRECEDING) AS running"
        "  FROM ledger_entries) x"
        " WHERE balance_after <> running ORDER BY id LIMIT 1");
    if (db_next(s))
        ledger_report_breach(r, "entry %" PRId64 " of account %" PRId64 " records balance %" PRId64
                                " after it, but the account's entries up to it sum to %" PRId64,
                             db_int(s, 0), db_int(s, 1), db_int(s, 2), db_int(s, 3));
    return db_done(s);
}

/* What one hold row and the counts of its transactions say, judged. */
static void judge_hold(ledger_report *r, db_stmt *s)
{
    int64_t id = db_int(s, 0), held_by = db_int(s, 4), captures = db_int(s, 5), releases = db_int(s, 6);
    bool settled_at = !db_is_null(s, 2), settled_by = !db_is_null(s, 3);
    ledger_hold_state state;
    ledger_tx_kind settle_kind = LEDGER_TX_KIND_COUNT;
    bool settle_known = ledger_tx_kind_parse(db_text(s, 7), &settle_kind);
    if (!ledger_hold_state_parse(db_text(s, 1), &state))
        ledger_report_breach(r, "hold %" PRId64 " has a state Kite does not know", id);
    else if (held_by != 1)
        ledger_report_breach(r, "hold %" PRId64 " was held by %" PRId64 " transactions, not 1", id, held_by);
    else if (captures > 0 && releases > 0)
        ledger_report_breach(r, "hold %" PRId64 " was both captured and released", id);
    else if (state == LEDGER_HELD && (settled_at || settled_by || captures + releases > 0))
        ledger_report_breach(r, "hold %" PRId64 " is held but was settled", id);
    else if (state == LEDGER_HELD)
        return;
    else if (!settled_at || !settled_by || db_int(s, 2) < db_int(s, 8))
        ledger_report_breach(r, "hold %" PRId64 " is %s but records no settlement, or one before it was held", id,
                             ledger_hold_state_name(state));
    else if (captures + releases != 1)
        ledger_report_breach(r, "hold %" PRId64 " is %s by %" PRId64 " transactions, not exactly 1", id,
                             ledger_hold_state_name(state), captures + releases);
    else if (!settle_known || settle_kind != (state == LEDGER_CAPTURED ? LEDGER_TX_CAPTURE : LEDGER_TX_RELEASE))
        ledger_report_breach(r, "hold %" PRId64 " is %s but its settling transaction is not its %s", id,
                             ledger_hold_state_name(state), state == LEDGER_CAPTURED ? "capture" : "release");
}

static kite_err check_holds(db_conn *conn, ledger_report *r)
{
    db_stmt *s = db_prepare(conn,
        "SELECT h.id, h.state, h.settled_at, h.settle_transaction_id,"
        " (SELECT COUNT(*) FROM ledger_transactions t WHERE t.hold_id = h.id AND t.kind = $1),"
        " (SELECT COUNT(*) FROM ledger_transactions t WHERE t.hold_id = h.id AND t.kind = $2),"
        " (SELECT COUNT(*) FROM ledger_transactions t WHERE t.hold_id = h.id AND t.kind = $3),"
        " COALESCE((SELECT t.kind FROM ledger_transactions t WHERE t.id = h.settle_transaction_id"
        "           AND t.hold_id = h.id), ''),"
        " h.created_at"
        " FROM ledger_holds h ORDER BY h.id");
    db_bind_text(s, 1, ledger_tx_kind_name(LEDGER_TX_HOLD));
    db_bind_text(s, 2, ledger_tx_kind_name(LEDGER_TX_CAPTURE));
    db_bind_text(s, 3, ledger_tx_kind_name(LEDGER_TX_RELEASE));
    while (ledger_report_ok(r) && db_next(s))
        judge_hold(r, s);
    return db_done(s);
}

/* Each hold move takes exactly the hold's amount into (hold) or out of (capture, release) its hold account. */
static kite_err check_hold_amounts(db_conn *conn, ledger_report *r)
{
    db_stmt *s = db_prepare(conn,
        "SELECT t.id, h.id FROM ledger_transactions t JOIN ledger_holds h ON h.id = t.hold_id"
        " WHERE COALESCE((SELECT SUM(e.amount) FROM ledger_entries e"
        "                 WHERE e.transaction_id = t.id AND e.account_id = h.hold_account_id), 0)"
        "       <> CASE WHEN t.kind = $1 THEN h.amount ELSE -h.amount END"
        " ORDER BY t.id LIMIT 1");
    db_bind_text(s, 1, ledger_tx_kind_name(LEDGER_TX_HOLD));
    if (db_next(s))
        ledger_report_breach(r, "transaction %" PRId64 " moves another amount than hold %" PRId64 " holds",
                             db_int(s, 0), db_int(s, 1));
    return db_done(s);
}

static kite_err check_hold_accounts(db_conn *conn, ledger_report *r)
{
    db_stmt *s = db_prepare(conn,
        "SELECT id, balance, held FROM ("
        "  SELECT a.id, a.balance, COALESCE((SELECT SUM(h.amount) FROM ledger_holds h"
        "                                    WHERE h.hold_account_id = a.id AND h.state = $2), 0) AS held"
        "  FROM ledger_accounts a WHERE a.kind = $1) x"
        " WHERE balance <> held ORDER BY id LIMIT 1");
    db_bind_text(s, 1, ledger_kind_name(LEDGER_HOLD));
    db_bind_text(s, 2, ledger_hold_state_name(LEDGER_HELD));
    if (db_next(s))
        ledger_report_breach(r, "hold account %" PRId64 " has balance %" PRId64 " but its open holds add up to %" PRId64,
                             db_int(s, 0), db_int(s, 1), db_int(s, 2));
    return db_done(s);
}

kite_err ledger_verify(db_conn *conn, ledger_report *out)
{
    static kite_err (*const checks[])(db_conn *, ledger_report *) = {
        check_accounts,         check_transactions_balance, check_entries_linked, check_transaction_kinds,
        check_cached_balances,  check_running_balances,     check_holds,          check_hold_amounts,
        check_hold_accounts,
        money_transfers_verify, terminal_sessions_verify, phone_verify,
    };
    memset(out, 0, sizeof *out);
    kite_err err = count_rows(conn, "SELECT COUNT(*) FROM ledger_transactions", &out->transactions);
    if (err == KITE_OK)
        err = count_rows(conn, "SELECT COUNT(*) FROM ledger_accounts", &out->accounts);
    if (err == KITE_OK)
        err = count_rows(conn, "SELECT COUNT(*) FROM ledger_holds", &out->holds);
    for (size_t i = 0; err == KITE_OK && ledger_report_ok(out) && i < sizeof checks / sizeof checks[0]; i++)
        err = checks[i](conn, out);
    return err;
}
