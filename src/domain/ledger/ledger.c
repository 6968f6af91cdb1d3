/*
 * ledger.c - accounts, postings, balances and statements (see ledger.h).
 *
 * Design: a posting is checked whole before anything is written (shape,
 * bounds, that every account exists and that entries sum to zero per unit),
 * then written inside a savepoint: the transaction row, then each entry as
 * a conditional UPDATE of the cached balance followed by the entry row with
 * the balance it left, then the audit record.  If any entry is refused the
 * savepoint is rolled back, so a refused posting leaves no trace even in a
 * caller that carries on.
 *
 * SECURITY: money.  The guard against overdrafts is the UPDATE's WHERE
 * clause, evaluated by the store on the row it changes under the write
 * lock, not a balance read earlier in C: a read-then-write would let two
 * connections both see enough money and both spend it.  Every value is a
 * bound parameter; amounts and balances are bounded so sums cannot overflow.
 */
#include "domain/ledger/ledger.h"

#include "core/log.h"
#include "domain/audit/audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---- savepoints: a posting or a hold move is atomic on its own ---------- */

kite_err ledger_savepoint(db_conn *conn)
{
    return db_exec(db_prepare(conn, "SAVEPOINT ledger"));
}

kite_err ledger_savepoint_end(db_conn *conn, kite_err err)
{
    if (err == KITE_OK)
        return db_exec(db_prepare(conn, "RELEASE SAVEPOINT ledger"));
    /* Undo what this posting wrote; the caller's own changes before it stay. */
    kite_err undo = db_exec(db_prepare(conn, "ROLLBACK TO SAVEPOINT ledger"));
    if (undo != KITE_OK) {
        /*
         * Half the posting may still be written.  Returning the refusal would let a caller that carries
         * on after one (its business change commits, unpaid) commit half a posting: money made from
         * nothing.  The store's own error is one no caller carries on from, so the whole transaction
         * rolls back.  (Found by test_ledger_faults.)
         */
        log_error("ledger: could not roll a refused posting back (%s)", kite_err_code(undo));
        return undo;
    }
    kite_err end = db_exec(db_prepare(conn, "RELEASE SAVEPOINT ledger"));
    if (end != KITE_OK)
        log_error("ledger: could not end a refused posting's savepoint (%s)", kite_err_code(end));
    return end != KITE_OK ? end : err; /* a store that fails here is not to be carried on from either */
}

/* ---- accounts ------------------------------------------------------------ */

/* True when owner is the kind of owner rule asks for: the right fields set, no others. */
static bool owner_fits(const ledger_kind_rule *rule, ledger_owner owner)
{
    if (owner.account_id < 0 || owner.resident_id < 0 || owner.facility_id < 0)
        return false;
    unsigned set = (owner.account_id != 0 ? LEDGER_OWNER_ACCOUNT : 0u) |
                   (owner.resident_id != 0 ? LEDGER_OWNER_RESIDENT : 0u) |
                   (owner.facility_id != 0 ? LEDGER_OWNER_FACILITY : 0u);
    if ((set & ~rule->owners) != 0)
        return false;
    if (rule->needs_person && (owner.account_id != 0) == (owner.resident_id != 0))
        return false;
    return !rule->needs_facility || owner.facility_id != 0;
}

static void bind_id_or_null(db_stmt *s, int n, int64_t id)
{
    if (id != 0)
        db_bind_int(s, n, id);
    else
        db_bind_null(s, n);
}

static kite_err account_find(db_conn *conn, ledger_kind kind, ledger_owner owner, ledger_unit unit, int64_t *id)
{
    db_stmt *s = db_prepare(conn,
        "SELECT id FROM ledger_accounts WHERE kind = $1 AND unit = $2 AND COALESCE(account_id, 0) = $3"
        " AND COALESCE(resident_id, 0) = $4 AND COALESCE(facility_id, 0) = $5");
    db_bind_text(s, 1, ledger_kind_name(kind));
    db_bind_text(s, 2, ledger_unit_name(unit));
    db_bind_int(s, 3, owner.account_id);
    db_bind_int(s, 4, owner.resident_id);
    db_bind_int(s, 5, owner.facility_id);
    bool found = db_next(s);
    if (found)
        *id = db_int(s, 0);
    kite_err err = db_done(s);
    return err != KITE_OK ? err : found ? KITE_OK : KITE_ERR_NOT_FOUND;
}

kite_err ledger_account_open(db_conn *conn, int64_t now, const char *actor, ledger_kind kind, ledger_owner owner,
                             ledger_unit unit, int64_t *id)
{
    const ledger_kind_rule *rule = ledger_kind_rule_of(kind);
    if (rule == NULL || actor == NULL || !ledger_kind_allows_unit(kind, unit) || !owner_fits(rule, owner)) {
        log_error("ledger: no %s account in %s for account %" PRId64 " resident %" PRId64 " facility %" PRId64,
                  ledger_kind_name(kind), ledger_unit_name(unit), owner.account_id, owner.resident_id,
                  owner.facility_id);
        return KITE_ERR_INTERNAL;
    }
    kite_err err = account_find(conn, kind, owner, unit, id);
    if (err != KITE_ERR_NOT_FOUND)
        return err;
    db_stmt *s = db_prepare(conn,
        "INSERT INTO ledger_accounts (kind, account_id, resident_id, facility_id, unit, balance, allow_negative,"
        " created_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $7) RETURNING id");
    db_bind_text(s, 1, ledger_kind_name(kind));
    bind_id_or_null(s, 2, owner.account_id);
    bind_id_or_null(s, 3, owner.resident_id);
    bind_id_or_null(s, 4, owner.facility_id);
    db_bind_text(s, 5, ledger_unit_name(unit));
    db_bind_int(s, 6, ledger_kind_may_go_negative(kind, unit) ? 1 : 0);
    db_bind_int(s, 7, now);
    *id = db_next(s) ? db_int(s, 0) : 0;
    if ((err = db_done(s)) != KITE_OK)
        return err;
    char target[48], detail[160];
    snprintf(target, sizeof target, "ledger_account:%" PRId64, *id);
    snprintf(detail, sizeof detail, "kind=%s unit=%s account=%" PRId64 " resident=%" PRId64 " facility=%" PRId64,
             ledger_kind_name(kind), ledger_unit_name(unit), owner.account_id, owner.resident_id, owner.facility_id);
    return audit_append(conn, now, actor, "ledger.account_open", target, detail);
}

kite_err ledger_account_get(db_conn *conn, int64_t id, ledger_account *out)
{
    db_stmt *s = db_prepare(conn,
        "SELECT kind, COALESCE(account_id, 0), COALESCE(resident_id, 0), COALESCE(facility_id, 0), unit, balance,"
        " allow_negative, created_at FROM ledger_accounts WHERE id = $1");
    db_bind_int(s, 1, id);
    bool found = db_next(s);
    bool known = false;
    if (found) {
        *out = (ledger_account){.id = id,
                                .owner = {db_int(s, 1), db_int(s, 2), db_int(s, 3)},
                                .balance = db_int(s, 5),
                                .allow_negative = db_int(s, 6) != 0,
                                .created_at = db_int(s, 7)};
        known = ledger_kind_parse(db_text(s, 0), &out->kind) && ledger_unit_parse(db_text(s, 4), &out->unit);
    }
    kite_err err = db_done(s);
    if (err != KITE_OK)
        return err;
    if (found && !known)
        log_error("ledger: account %" PRId64 " has a kind or unit Kite does not know", id);
    return !found ? KITE_ERR_NOT_FOUND : known ? KITE_OK : KITE_ERR_INTERNAL;
}

kite_err ledger_account_find(db_conn *conn, ledger_kind kind, ledger_owner owner, ledger_unit unit, int64_t *id,
                             int64_t *balance)
{
    db_stmt *s = db_prepare(conn,
        "SELECT id, balance FROM ledger_accounts WHERE kind = $1 AND unit = $2 AND COALESCE(account_id, 0) = $3"
        " AND COALESCE(resident_id, 0) = $4 AND COALESCE(facility_id, 0) = $5");
    db_bind_text(s, 1, ledger_kind_name(kind));
    db_bind_text(s, 2, ledger_unit_name(unit));
    db_bind_int(s, 3, owner.account_id);
    db_bind_int(s, 4, owner.resident_id);
    db_bind_int(s, 5, owner.facility_id);
    bool found = db_next(s);
    *id = found ? db_int(s, 0) : 0;
    *balance = found ? db_int(s, 1) : 0;
    return db_done(s);
}

kite_err ledger_balance(db_conn *conn, int64_t account_id, int64_t *balance)
{
    db_stmt *s = db_prepare(conn, "SELECT balance FROM ledger_accounts WHERE id = $1");
    db_bind_int(s, 1, account_id);
    bool found = db_next(s);
    if (found)
        *balance = db_int(s, 0);
    kite_err err = db_done(s);
    return err != KITE_OK ? err : found ? KITE_OK : KITE_ERR_NOT_FOUND;
}

/* ---- postings ------------------------------------------------------------ */

/* The shape a posting must have before the store is asked anything. */
static bool posting_well_formed(const ledger_posting *p, bool hold_move)
{
    if (p == NULL || p->lines == NULL || p->count < 2 || p->count > LEDGER_POSTING_MAX_LINES || p->memo == NULL ||
        p->actor == NULL || (unsigned)p->kind >= LEDGER_TX_KIND_COUNT || ledger_tx_kind_is_hold_move(p->kind) != hold_move)
        return false;
    if (strlen(p->memo) > LEDGER_MEMO_MAX_BYTES ||
        (p->reference != NULL && (p->reference[0] == '\0' || strlen(p->reference) > LEDGER_REFERENCE_MAX_BYTES)))
        return false;
    for (size_t i = 0; i < p->count; i++) {
        int64_t amount = p->lines[i].amount;
        if (amount == 0 || amount > LEDGER_AMOUNT_MAX || amount < -LEDGER_AMOUNT_MAX)
            return false;
    }
    return true;
}

/*
 * Every account exists, hold accounts are moved only by hold moves (so a
 * hold account holds exactly its open holds), and the entries sum to zero
 * in each unit.
 */
static kite_err posting_balances(db_conn *conn, const ledger_posting *p)
{
    /* One statement for every account of the posting: "... WHERE id IN ($1, $2, ...)". */
    char sql[128 + 6 * LEDGER_POSTING_MAX_LINES];
    int len = snprintf(sql, sizeof sql, "SELECT id, unit, kind FROM ledger_accounts WHERE id IN (");
    for (size_t i = 0; i < p->count; i++)
        len += snprintf(sql + len, sizeof sql - (size_t)len, "%s$%zu", i > 0 ? ", " : "", i + 1);
    snprintf(sql + len, sizeof sql - (size_t)len, ")");
    db_stmt *s = db_prepare(conn, sql);
    for (size_t i = 0; i < p->count; i++)
        db_bind_int(s, (int)i + 1, p->lines[i].account_id);
    struct {
        int64_t id;
        ledger_unit unit;
        ledger_kind kind;
        bool known;
    } found[LEDGER_POSTING_MAX_LINES];
    size_t nfound = 0;
    while (db_next(s) && nfound < LEDGER_POSTING_MAX_LINES) {
        found[nfound].id = db_int(s, 0);
        found[nfound].unit = LEDGER_UNIT_COUNT;
        found[nfound].kind = LEDGER_KIND_COUNT;
        found[nfound].known = ledger_unit_parse(db_text(s, 1), &found[nfound].unit) &&
                              ledger_kind_parse(db_text(s, 2), &found[nfound].kind);
        nfound++;
    }
    kite_err err = db_done(s);
    if (err != KITE_OK)
        return err;
    int64_t sum[LEDGER_UNIT_COUNT] = {0};
    for (size_t i = 0; i < p->count; i++) {
        size_t k = 0;
        while (k < nfound && found[k].id != p->lines[i].account_id)
            k++;
        if (k == nfound)
            return KITE_ERR_NOT_FOUND;
        if (!found[k].known || (found[k].kind == LEDGER_HOLD && !ledger_tx_kind_is_hold_move(p->kind))) {
            log_error("ledger: a %s posting may not move account %" PRId64, ledger_tx_kind_name(p->kind),
                      p->lines[i].account_id);
            return KITE_ERR_INTERNAL;
        }
        sum[found[k].unit] += p->lines[i].amount; /* at most 16 * LEDGER_AMOUNT_MAX: no overflow */
    }
    for (int u = 0; u < LEDGER_UNIT_COUNT; u++) {
        if (sum[u] != 0) {
            log_error("ledger: a %s posting does not balance (%s: %+" PRId64 "); nothing written",
                      ledger_tx_kind_name(p->kind), ledger_unit_name((ledger_unit)u), sum[u]);
            return KITE_ERR_INTERNAL;
        }
    }
    return KITE_OK;
}

/*
 * A posting whose reference was used before: the same kind and entries in
 * the same order is a retry (its transaction, written once); anything else
 * reuses the reference for another purpose.
 */
static kite_err posting_replay(db_conn *conn, const ledger_posting *p, int64_t *transaction_id)
{
    db_stmt *t = db_prepare(conn, "SELECT id, kind FROM ledger_transactions WHERE reference = $1");
    db_bind_text(t, 1, p->reference);
    bool found = db_next(t);
    ledger_tx_kind kind = LEDGER_TX_KIND_COUNT;
    int64_t id = found ? db_int(t, 0) : 0;
    bool same = found && ledger_tx_kind_parse(db_text(t, 1), &kind) && kind == p->kind;
    kite_err err = db_done(t);
    if (err != KITE_OK || !found)
        return err != KITE_OK ? err : KITE_ERR_NOT_FOUND;
    db_stmt *e = db_prepare(conn, "SELECT account_id, amount FROM ledger_entries WHERE transaction_id = $1 ORDER BY id");
    db_bind_int(e, 1, id);
    size_t n = 0;
    while (db_next(e)) {
        same = same && n < p->count && db_int(e, 0) == p->lines[n].account_id && db_int(e, 1) == p->lines[n].amount;
        n++;
    }
    if ((err = db_done(e)) != KITE_OK)
        return err;
    if (!same || n != p->count)
        return KITE_ERR_IDEMPOTENCY_KEY_REUSED;
    *transaction_id = id;
    return KITE_OK;
}

/* Moves one entry's amount into its account's cached balance, if the account may take it. */
static kite_err apply_line(db_conn *conn, int64_t transaction_id, const ledger_line *line)
{
    db_stmt *u = db_prepare(conn,
        "UPDATE ledger_accounts SET balance = balance + $1 WHERE id = $2"
        " AND (allow_negative <> 0 OR balance + $1 >= 0) AND balance + $1 BETWEEN $3 AND $4 RETURNING balance");
    db_bind_int(u, 1, line->amount);
    db_bind_int(u, 2, line->account_id);
    db_bind_int(u, 3, -LEDGER_BALANCE_MAX);
    db_bind_int(u, 4, LEDGER_BALANCE_MAX);
    bool applied = db_next(u);
    int64_t balance_after = applied ? db_int(u, 0) : 0;
    kite_err err = db_done(u);
    if (err != KITE_OK)
        return err;
    if (!applied) {
        if (line->amount < 0)
            return KITE_ERR_INSUFFICIENT_FUNDS;
        log_error("ledger: account %" PRId64 " would pass its largest balance", line->account_id);
        return KITE_ERR_INTERNAL;
    }
    db_stmt *e = db_prepare(conn,
        "INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after) VALUES ($1, $2, $3, $4)");
    db_bind_int(e, 1, transaction_id);
    db_bind_int(e, 2, line->account_id);
    db_bind_int(e, 3, line->amount);
    db_bind_int(e, 4, balance_after);
    return db_exec(e);
}

static kite_err audit_posting(db_conn *conn, int64_t now, const ledger_posting *p, int64_t hold_id, int64_t id)
{
    char target[48], detail[1024];
    snprintf(target, sizeof target, "ledger_transaction:%" PRId64, id);
    int len = snprintf(detail, sizeof detail, "kind=%s hold=%" PRId64 " entries=", ledger_tx_kind_name(p->kind), hold_id);
    /* 16 entries of at most 2 * 20 digits and 3 signs fit: the detail is never cut. */
    for (size_t i = 0; i < p->count && len > 0 && (size_t)len < sizeof detail; i++)
        len += snprintf(detail + len, sizeof detail - (size_t)len, "%s%" PRId64 ":%+" PRId64, i > 0 ? "," : "",
                        p->lines[i].account_id, p->lines[i].amount);
    return audit_append(conn, now, p->actor, "ledger.post", target, detail);
}

static kite_err post_lines(db_conn *conn, int64_t now, const ledger_posting *p, int64_t hold_id, int64_t *id)
{
    db_stmt *t = db_prepare(conn,
        "INSERT INTO ledger_transactions (kind, memo, reference, created_at, actor, hold_id)"
        " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id");
    db_bind_text(t, 1, ledger_tx_kind_name(p->kind));
    db_bind_text(t, 2, p->memo);
    db_bind_text(t, 3, p->reference);
    db_bind_int(t, 4, now);
    db_bind_text(t, 5, p->actor);
    bind_id_or_null(t, 6, hold_id);
    *id = db_next(t) ? db_int(t, 0) : 0;
    kite_err err = db_done(t);
    for (size_t i = 0; err == KITE_OK && i < p->count; i++)
        err = apply_line(conn, *id, &p->lines[i]);
    return err != KITE_OK ? err : audit_posting(conn, now, p, hold_id, *id);
}

static kite_err post(db_conn *conn, int64_t now, const ledger_posting *p, int64_t hold_id, int64_t *transaction_id)
{
    if (!posting_well_formed(p, hold_id != 0)) {
        log_error("ledger: a posting that is not well formed was refused; nothing written");
        return KITE_ERR_INTERNAL;
    }
    kite_err err;
    if (p->reference != NULL && (err = posting_replay(conn, p, transaction_id)) != KITE_ERR_NOT_FOUND)
        return err;
    if ((err = posting_balances(conn, p)) != KITE_OK)
        return err;
    int64_t id = 0;
    if (hold_id != 0) {
        /* A hold move runs inside hold.c's own savepoint, which undoes it with the hold's row: no second one. */
        if ((err = post_lines(conn, now, p, hold_id, &id)) == KITE_OK)
            *transaction_id = id;
        return err;
    }
    if ((err = ledger_savepoint(conn)) != KITE_OK)
        return err;
    err = ledger_savepoint_end(conn, post_lines(conn, now, p, hold_id, &id));
    if (err == KITE_OK)
        *transaction_id = id;
    return err;
}

kite_err ledger_post(db_conn *conn, int64_t now, const ledger_posting *p, int64_t *transaction_id)
{
    return post(conn, now, p, 0, transaction_id);
}

kite_err ledger_post_hold_move(db_conn *conn, int64_t now, const ledger_posting *p, int64_t hold_id,
                               int64_t *transaction_id)
{
    return hold_id > 0 ? post(conn, now, p, hold_id, transaction_id) : KITE_ERR_INTERNAL;
}

/* ---- statements ---------------------------------------------------------- */

kite_err ledger_statement(db_conn *conn, arena *a, int64_t account_id, int64_t before, size_t limit,
                          ledger_statement_line **lines, size_t *count, int64_t *next_before)
{
    if (limit == 0 || limit > LEDGER_STATEMENT_PAGE_MAX)
        limit = LEDGER_STATEMENT_PAGE_MAX;
    db_stmt *s = db_prepare(conn,
        "SELECT e.id, e.transaction_id, t.created_at, t.kind, t.memo, e.amount, e.balance_after"
        " FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id"
        " WHERE e.account_id = $1 AND ($2 = 0 OR e.id < $2) ORDER BY e.id DESC LIMIT $3");
    db_bind_int(s, 1, account_id);
    db_bind_int(s, 2, before);
    db_bind_int(s, 3, (int64_t)limit + 1); /* one more than asked: is there a next page? */
    *lines = arena_alloc(a, (limit + 1) * sizeof **lines);
    *count = 0;
    bool known = true;
    while (db_next(s)) {
        ledger_statement_line *l = &(*lines)[(*count)++];
        *l = (ledger_statement_line){db_int(s, 0), db_int(s, 1), db_int(s, 2), LEDGER_TX_KIND_COUNT,
                                     arena_strdup(a, db_text(s, 4)), db_int(s, 5), db_int(s, 6)};
        known = ledger_tx_kind_parse(db_text(s, 3), &l->kind) && known;
    }
    kite_err err = db_done(s);
    *next_before = 0;
    if (*count > limit) {
        *count = limit;
        *next_before = (*lines)[limit - 1].entry_id;
    }
    if (err == KITE_OK && !known)
        log_error("ledger: account %" PRId64 "'s statement has a transaction kind Kite does not know", account_id);
    return err != KITE_OK ? err : known ? KITE_OK : KITE_ERR_INTERNAL;
}
