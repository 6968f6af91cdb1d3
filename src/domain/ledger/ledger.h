/*
 * ledger.h - double-entry accounts and postings, in integer units.
 *
 * Design: an account (ledger_accounts) has a kind, an owner (a Kite
 * account, a resident or a facility, as its kind needs: ledger_state.h), a
 * unit (cents, stamps or credits) and a cached balance.  A posting is one
 * transaction of N entries that sum to zero per unit: money is never made
 * or lost, only moved.  Every entry records the balance it left behind, so
 * a statement is a plain read and `kite ledger verify` can walk each chain.
 *
 * Every function that writes runs inside the caller's transaction (a
 * db_conn from db_write), so money moves in the same commit as the business
 * change it pays for, or not at all.  A posting is also atomic on its own
 * (a savepoint): when it is refused, nothing of it is written, whether or
 * not the caller then rolls back.
 *
 * SECURITY: money.  Amounts are int64_t in the account's unit, never
 * floating point.  No balance passes below zero (except allow_negative
 * system accounts): each entry is applied with a conditional UPDATE
 * ("... WHERE allow_negative OR balance + d >= 0"), decided by the store
 * under its write lock, so two connections racing for the last cents cannot
 * both win; the loser gets KITE_ERR_INSUFFICIENT_FUNDS.  Amounts and
 * balances are bounded (LEDGER_AMOUNT_MAX, LEDGER_BALANCE_MAX) so no sum in
 * C or SQL can overflow (SQLite would silently turn it into a REAL).  An
 * idempotency reference makes a retried posting return the first one
 * instead of charging twice.  Every posting appends an audit record in the
 * same transaction.
 */
#ifndef KITE_DOMAIN_LEDGER_LEDGER_H
#define KITE_DOMAIN_LEDGER_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "db/db.h"
#include "domain/ledger/ledger_state.h"

/* |amount| of one entry: ten billion dollars in cents, far above any real payment. */
#define LEDGER_AMOUNT_MAX INT64_C(1000000000000)
/* |balance| of one account; with LEDGER_AMOUNT_MAX, balance + amount never overflows. */
#define LEDGER_BALANCE_MAX INT64_C(1000000000000000)

enum {
    LEDGER_POSTING_MAX_LINES = 16,  /* entries in one transaction */
    LEDGER_MEMO_MAX_BYTES = 500,
    LEDGER_REFERENCE_MAX_BYTES = 200,
    LEDGER_STATEMENT_PAGE_MAX = 200, /* lines in one statement page */
};

/* Who owns an account: 0 for each owner the kind does not have. */
typedef struct ledger_owner {
    int64_t account_id;  /* accounts.id */
    int64_t resident_id; /* residents.id */
    int64_t facility_id; /* facilities.id */
} ledger_owner;

typedef struct ledger_account {
    int64_t id;
    ledger_kind kind;
    ledger_owner owner;
    ledger_unit unit;
    int64_t balance;
    bool allow_negative; /* ledger_kind_may_go_negative(kind, unit), fixed when opened */
    int64_t created_at;
} ledger_account;

/*
 * The account of kind and unit for owner, opened (and audited) when it does
 * not exist yet: calling it again returns the same id.  KITE_ERR_INTERNAL
 * when the kind does not take that unit or that owner (a programming
 * error: the rules are in ledger_state.c); KITE_ERR_CONFLICT when the
 * owner does not exist.
 */
kite_err ledger_account_open(db_conn *conn, int64_t now, const char *actor, ledger_kind kind, ledger_owner owner,
                             ledger_unit unit, int64_t *id) KITE_WUR;
/* KITE_ERR_NOT_FOUND when there is no such account. */
kite_err ledger_account_get(db_conn *conn, int64_t id, ledger_account *out) KITE_WUR;
kite_err ledger_balance(db_conn *conn, int64_t account_id, int64_t *balance) KITE_WUR;
/*
 * The account of kind and unit for owner without opening it (a read may
 * not write): *id and *balance are 0 when it was never opened.
 */
kite_err ledger_account_find(db_conn *conn, ledger_kind kind, ledger_owner owner, ledger_unit unit, int64_t *id,
                             int64_t *balance) KITE_WUR;

/* One entry: + moves amount into the account, - out of it. */
typedef struct ledger_line {
    int64_t account_id;
    int64_t amount;
} ledger_line;

typedef struct ledger_posting {
    ledger_tx_kind kind;    /* not hold, capture or release: those are hold.h's */
    const char *memo;       /* what a statement shows; "" allowed, NULL not */
    const char *reference;  /* the caller's idempotency reference, or NULL */
    const char *actor;      /* audit actor: "account:12", "cli", "system" */
    const ledger_line *lines;
    size_t count;
} ledger_posting;

/*
 * Posts p as one transaction; *transaction_id is its id.  Refused, with
 * nothing written:
 *   KITE_ERR_INTERNAL            entries that do not sum to zero per unit,
 *                                fewer than 2 entries or too many, a zero or
 *                                oversized amount, a hold kind, an entry on a
 *                                hold account (a programming error)
 *   KITE_ERR_NOT_FOUND           an entry names no account
 *   KITE_ERR_INSUFFICIENT_FUNDS  an entry would take a balance below zero
 *   KITE_ERR_IDEMPOTENCY_KEY_REUSED  reference was used for another posting
 * A reference already used for the same kind and entries returns that
 * transaction's id and KITE_OK, and writes nothing: a retry is not a charge.
 */
kite_err ledger_post(db_conn *conn, int64_t now, const ledger_posting *p, int64_t *transaction_id) KITE_WUR;

/*
 * hold.c's door: posts a hold, capture or release of hold_id (and only
 * those kinds), with the same checks as ledger_post.  It opens no savepoint
 * of its own: the caller runs it inside one (ledger_savepoint) that also
 * covers the hold row, so a refused posting leaves nothing behind.
 */
kite_err ledger_post_hold_move(db_conn *conn, int64_t now, const ledger_posting *p, int64_t hold_id,
                               int64_t *transaction_id) KITE_WUR;

/*
 * For hold.c: ledger_savepoint() opens a savepoint inside the caller's
 * transaction; ledger_savepoint_end(conn, err) releases it when err is
 * KITE_OK, else rolls back to it (undoing only what came after it) and
 * returns err; when the store fails to roll back or release, it returns
 * the store's error instead, so that no caller carries on from a refusal
 * with half a posting in its transaction.  Savepoints nest.
 */
kite_err ledger_savepoint(db_conn *conn) KITE_WUR;
kite_err ledger_savepoint_end(db_conn *conn, kite_err err) KITE_WUR;

/* One line of a statement: an entry with its transaction. */
typedef struct ledger_statement_line {
    int64_t entry_id;
    int64_t transaction_id;
    int64_t at;          /* the transaction's created_at, epoch ms */
    ledger_tx_kind kind;
    const char *memo;
    int64_t amount;      /* signed, in the account's unit */
    int64_t balance_after;
} ledger_statement_line;

/*
 * A page of account_id's statement, newest first: up to limit lines (1 ..
 * LEDGER_STATEMENT_PAGE_MAX; 0 means the most) with entry ids below before
 * (0: from the newest).  *next_before is the before of the next page, 0
 * when this page is the last.  Lines and memos live in a.
 */
kite_err ledger_statement(db_conn *conn, arena *a, int64_t account_id, int64_t before, size_t limit,
                          ledger_statement_line **lines, size_t *count, int64_t *next_before) KITE_WUR;

#endif
