/*
 * verify.h - proving the ledger whole: the invariants `kite ledger verify`
 * checks, read from the store in one snapshot.
 *
 * Design: the store is the evidence.  Each check is one query that finds the
 * first row breaking one invariant, so the report names it ("transaction 42
 * does not balance (cents: +5)") instead of only saying that something is
 * wrong.  The invariants:
 *   - every account has a known kind and a unit its kind takes; only a kind
 *     and unit allowed to (ledger_kind_may_go_negative) is flagged
 *     allow_negative;
 *   - no balance is below zero unless allow_negative;
 *   - every transaction has entries, a known kind, and sums to zero per unit;
 *     every entry names an account and a transaction that exist;
 *   - hold, capture and release transactions name a hold, others none;
 *   - every cached balance equals the sum of its account's entries, and each
 *     entry's balance_after is the running sum of its account's entries;
 *   - every hold is held with no settling transaction, or settled by exactly
 *     one (the one it records, of its own kind); never captured and released;
 *     it was held by exactly one transaction, each of its transactions moves
 *     exactly its amount, and a hold account's balance is the sum of its
 *     open holds.
 * What a hold pays for is checked by its owner above (messaging's
 * message_holds_verify), which fills the same report.  Money transfers,
 * terminal sessions and phone money (calls, deposits, refunds) are checked
 * against their postings (money_transfers_verify, terminal_sessions_verify,
 * phone_verify).
 *
 * SECURITY: money.  The checks only read.  Values in breach sentences are
 * numbers and Kite's own names, never stored free text, so a memo cannot
 * forge a report line.
 */
#ifndef KITE_DOMAIN_LEDGER_VERIFY_H
#define KITE_DOMAIN_LEDGER_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "db/db.h"

enum { LEDGER_BREACH_MAX = 256 };

typedef struct ledger_report {
    int64_t transactions;
    int64_t accounts;
    int64_t holds;
    char breach[LEDGER_BREACH_MAX]; /* the first breach found; "" when every invariant holds */
} ledger_report;

/* Runs every check inside the caller's (read) transaction; stops at the first breach. */
kite_err ledger_verify(db_conn *conn, ledger_report *out) KITE_WUR;

/* Records the breach unless one was recorded before: the report names the first. */
void ledger_report_breach(ledger_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool ledger_report_ok(const ledger_report *r);

#endif
