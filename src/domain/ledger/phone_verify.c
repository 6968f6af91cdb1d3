/*
 * phone_verify.c - what `kite ledger verify` proves about phone money: call
 * records against their postings, and every movement on a phone account
 * against the call, deposit or refund it belongs to (see phone.h,
 * phone_verify).
 *
 * Design: the same shape as the ledger's own checks (verify.c): each check
 * is one query that finds the first row breaking one invariant, judged in C
 * where the breach needs naming, so the report says which call or entry and
 * what it moved.  Two directions are checked, because each alone can be
 * fooled: from the rows (each call row has the posting it should have, and
 * none when it should have none) and from the ledger (no call posting
 * without its row; no cent on a phone account that is not one of its calls,
 * deposits or refunds).  A deposit or refund is found by its reference,
 * "phone_deposit:ID:KEY" / "phone_refund:ID:KEY", which names the phone
 * account; the LIKE patterns escape the underscore so that only Kite's own
 * prefixes match.  Lookups by transaction use ledger_transactions' unique
 * reference or a join the store can index on the fly, so the checks stay
 * linear in the phone rows.
 *
 * SECURITY: money.  Read-only.  Breach sentences carry ids, amounts and
 * Kite's own names only: call ids and keys come from outside (the phone
 * system, a client) and are never printed, so they cannot forge a report
 * line.
 */
#include "domain/ledger/phone.h"

#include "domain/ledger/ledger_state.h"

#include <inttypes.h>

/* Each phone account row names a phone_account ledger account of its own contact and facility. */
static kite_err check_phone_accounts(db_conn *conn, ledger_report *r)
{
    db_stmt *s = db_prepare(conn, "SELECT p.id FROM phone_accounts p LEFT JOIN ledger_accounts a ON a.id = p.ledger_account_id"
                                  " WHERE a.id IS NULL OR a.kind <> $1 OR COALESCE(a.account_id, 0) <> p.account_id"
                                  " OR COALESCE(a.facility_id, 0) <> p.facility_id ORDER BY p.id LIMIT 1");
    db_bind_text(s, 1, ledger_kind_name(LEDGER_PHONE_ACCOUNT));
    if (db_next(s))
        ledger_report_breach(r, "phone account %" PRId64 " does not name a phone_account ledger account of its own"
                                " contact and facility", db_int(s, 0));
    return db_done(s);
}

#define CALL_REFERENCE "'call:' || c.facility_id || ':' || c.call_id"

/* One call row and what the ledger holds for it (the columns of check_calls), judged. */
static void judge_call(ledger_report *r, db_stmt *s)
{
    int64_t id = db_int(s, 0), amount = db_int(s, 2), priced = db_int(s, 3), named = db_int(s, 4);
    int64_t postings = db_int(s, 5), posting = db_int(s, 6), entries = db_int(s, 8);
    int64_t from_phone = db_int(s, 9), to_revenue = db_int(s, 10);
    phone_call_outcome outcome;
    ledger_tx_kind kind = LEDGER_TX_KIND_COUNT;
    bool kind_known = ledger_tx_kind_parse(db_text(s, 7), &kind);
    if (!phone_call_outcome_parse(db_text(s, 1), &outcome)) {
        ledger_report_breach(r, "call %" PRId64 " has an outcome Kite does not know", id);
        return;
    }
    const char *name = phone_call_outcome_name(outcome);
    if (outcome != PHONE_CALL_BILLED && amount != 0)
        ledger_report_breach(r, "call %" PRId64 " was not billed (%s) but records %" PRId64 " cents", id, name, amount);
    else if (amount == 0 && (postings != 0 || named != 0))
        ledger_report_breach(r, "call %" PRId64 " (%s, 0 cents) has a posting; only a call billed more than 0 cents"
                                " has one", id, name);
    else if (amount == 0)
        return;
    else if (amount != priced)
        ledger_report_breach(r, "call %" PRId64 " records %" PRId64 " cents, not its minutes at its rate (%" PRId64 ")",
                             id, amount, priced);
    else if (postings != 1)
        ledger_report_breach(r, "call %" PRId64 " is billed %" PRId64 " cents but has %" PRId64
                                " postings under its reference, not 1", id, amount, postings);
    else if (named != posting)
        ledger_report_breach(r, "call %" PRId64 " names transaction %" PRId64 ", not its posting %" PRId64, id, named,
                             posting);
    else if (!kind_known || kind != LEDGER_TX_CALL)
        ledger_report_breach(r, "call %" PRId64 ": its posting %" PRId64 " is not a call transaction", id, posting);
    else if (entries != 2 || from_phone != -amount || to_revenue != amount)
        ledger_report_breach(r, "call %" PRId64 " is billed %" PRId64 " cents but its posting %" PRId64 " moved %" PRId64
                                " on its phone account and %+" PRId64 " to the facility's revenue (%" PRId64
                                " entries)", id, amount, posting, from_phone, to_revenue, entries);
}

/* From the rows: every call has exactly the posting it should (see phone.h). */
static kite_err check_calls(db_conn *conn, ledger_report *r)
{
    db_stmt *s = db_prepare(conn,
        "SELECT c.id, c.outcome, c.amount_cents, c.billed_minutes * c.rate_cents, COALESCE(c.transaction_id, 0),"
        " (SELECT COUNT(*) FROM ledger_transactions t WHERE t.reference = " CALL_REFERENCE "),"
        " COALESCE((SELECT MIN(t.id) FROM ledger_transactions t WHERE t.reference = " CALL_REFERENCE "), 0),"
        " COALESCE((SELECT t.kind FROM ledger_transactions t WHERE t.id = c.transaction_id), ''),"
        " (SELECT COUNT(*) FROM ledger_entries e WHERE e.transaction_id = c.transaction_id),"
        " (SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entries e JOIN phone_accounts p"
        "  ON p.ledger_account_id = e.account_id WHERE e.transaction_id = c.transaction_id AND p.id = c.phone_account_id),"
        " (SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id"
        "  WHERE e.transaction_id = c.transaction_id AND a.kind = $1 AND a.facility_id = c.facility_id)"
        " FROM phone_calls c ORDER BY c.id");
    db_bind_text(s, 1, ledger_kind_name(LEDGER_PROVIDER_REVENUE));
    while (ledger_report_ok(r) && db_next(s))
        judge_call(r, s);
    return db_done(s);
}

/* From the ledger: no call posting without the call row that names it under its reference. */
static kite_err check_call_postings(db_conn *conn, ledger_report *r)
{
    db_stmt *s = db_prepare(conn, "SELECT t.id FROM ledger_transactions t LEFT JOIN phone_calls c ON c.transaction_id = t.id"
                                  " WHERE (t.kind = $1 OR t.reference LIKE 'call:%')"
                                  " AND (c.id IS NULL OR t.reference IS NULL OR t.reference <> " CALL_REFERENCE ")"
                                  " ORDER BY t.id LIMIT 1");
    db_bind_text(s, 1, ledger_tx_kind_name(LEDGER_TX_CALL));
    if (db_next(s))
        ledger_report_breach(r, "transaction %" PRId64 " is a call posting that no call record names", db_int(s, 0));
    return db_done(s);
}

#define REFERENCE_OF(prefix) "t.reference LIKE '" prefix ":' || p.id || ':%' ESCAPE '!'"

/* Every entry on a phone account is one of its calls, deposits or refunds. */
static kite_err check_phone_entries(db_conn *conn, ledger_report *r)
{
    db_stmt *s = db_prepare(conn,
        "SELECT e.id, p.id, e.transaction_id FROM ledger_entries e"
        " JOIN phone_accounts p ON p.ledger_account_id = e.account_id"
        " JOIN ledger_transactions t ON t.id = e.transaction_id"
        " LEFT JOIN phone_calls c ON c.transaction_id = e.transaction_id"
        " WHERE NOT ((t.kind = $1 AND c.phone_account_id = p.id)"
        "   OR (((t.kind = $2 AND e.amount > 0 AND " REFERENCE_OF("phone!_deposit") ")"
        "        OR (t.kind = $3 AND e.amount < 0 AND " REFERENCE_OF("phone!_refund") "))"
        "       AND (SELECT COUNT(*) FROM ledger_entries x WHERE x.transaction_id = t.id) = 2"
        "       AND (SELECT COALESCE(SUM(x.amount), 0) FROM ledger_entries x JOIN ledger_accounts a"
        "            ON a.id = x.account_id WHERE x.transaction_id = t.id AND a.kind = $4"
        "            AND a.account_id = p.account_id) = -e.amount))"
        " ORDER BY e.id LIMIT 1");
    db_bind_text(s, 1, ledger_tx_kind_name(LEDGER_TX_CALL));
    db_bind_text(s, 2, ledger_tx_kind_name(LEDGER_TX_DEPOSIT));
    db_bind_text(s, 3, ledger_tx_kind_name(LEDGER_TX_REFUND));
    db_bind_text(s, 4, ledger_kind_name(LEDGER_CONTACT_BALANCE));
    if (db_next(s))
        ledger_report_breach(r, "entry %" PRId64 " on phone account %" PRId64 " (transaction %" PRId64 ") is not a call,"
                                " deposit or refund of that phone account with its owner's balance moved the other"
                                " way", db_int(s, 0), db_int(s, 1), db_int(s, 2));
    return db_done(s);
}

/* Every deposit or refund reference moves money on the phone account it names. */
static kite_err check_phone_references(db_conn *conn, ledger_report *r)
{
    db_stmt *s = db_prepare(conn,
        "SELECT t.id FROM ledger_transactions t"
        " WHERE (t.reference LIKE 'phone!_deposit:%' ESCAPE '!' OR t.reference LIKE 'phone!_refund:%' ESCAPE '!')"
        " AND NOT EXISTS (SELECT 1 FROM ledger_entries e JOIN phone_accounts p ON p.ledger_account_id = e.account_id"
        "   WHERE e.transaction_id = t.id AND (" REFERENCE_OF("phone!_deposit") " OR " REFERENCE_OF("phone!_refund") "))"
        " ORDER BY t.id LIMIT 1");
    if (db_next(s))
        ledger_report_breach(r, "transaction %" PRId64 " is a phone deposit or refund by its reference but moves nothing"
                                " on the phone account it names", db_int(s, 0));
    return db_done(s);
}

kite_err phone_verify(db_conn *conn, ledger_report *r)
{
    static kite_err (*const checks[])(db_conn *, ledger_report *) = {
        check_phone_accounts, check_calls, check_call_postings, check_phone_entries, check_phone_references,
    };
    kite_err err = KITE_OK;
    for (size_t i = 0; err == KITE_OK && ledger_report_ok(r) && i < sizeof checks / sizeof checks[0]; i++)
        err = checks[i](conn, r);
    return err;
}
