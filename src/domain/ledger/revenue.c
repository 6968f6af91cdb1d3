/*
 * revenue.c - a facility's revenue over a period, per kind of transaction
 * (see revenue.h).
 *
 * Design: two grouped queries over the facility's revenue accounts: one
 * sums the entries per transaction kind, account kind and unit (cents into
 * each revenue account; stamps and credits out of and back into their
 * issuer), the other counts the distinct transactions per kind, since one
 * transaction may credit several accounts (a capture split between the
 * facility and the provider is one message, not two).  Kinds are read back
 * into ledger_tx_kind through the ledger's name table, never compared as
 * text.  Days become epoch milliseconds with the civil-from-days
 * arithmetic (proleptic Gregorian, UTC), so no time zone or locale enters.
 *
 * SECURITY: see revenue.h.  The dates are parsed character by character;
 * nothing of them reaches the SQL but two integers.
 */
#include "domain/ledger/revenue.h"

#include <stdbool.h>
#include <string.h>

#include "core/clock.h"
#include "domain/facility/policy.h"

#define MS_PER_DAY INT64_C(86400000)

static const ledger_kind account_kinds[REVENUE_ACCOUNT_COUNT] = {
    [REVENUE_FACILITY] = LEDGER_FACILITY_REVENUE,
    [REVENUE_PROVIDER] = LEDGER_PROVIDER_REVENUE,
    [REVENUE_FEES] = LEDGER_FEES,
};

const char *revenue_account_name(revenue_account r)
{
    return (unsigned)r < REVENUE_ACCOUNT_COUNT ? ledger_kind_name(account_kinds[r]) : "unknown";
}

/* ---- the period ------------------------------------------------------------- */

static kite_err day_or_fault(const char *text, const char *field, int64_t *days, kite_fault *f)
{
    if (text == NULL || text[0] == '\0')
        return fault_set(f, KITE_ERR_INVALID_FIELD, field, FAULT_REQUIRED);
    int64_t ms;
    if (!clock_parse_day(text, &ms))
        return fault_set(f, KITE_ERR_INVALID_FIELD, field, FAULT_DATE);
    *days = ms / INT64_C(86400000);
    return KITE_OK;
}

kite_err revenue_period_parse(const char *from, const char *to, int64_t *from_ms, int64_t *to_ms, kite_fault *f)
{
    int64_t first = 0, last = 0; /* set when err is KITE_OK; zero quiets -O2's maybe-uninitialized */
    kite_err err = day_or_fault(from, "from", &first, f);
    if (err == KITE_OK)
        err = day_or_fault(to, "to", &last, f);
    if (err != KITE_OK)
        return err;
    if (last < first || last - first + 1 > REVENUE_MAX_DAYS) {
        fault_set(f, KITE_ERR_INVALID_FIELD, "to", FAULT_DATE_ORDER);
        f->limit = REVENUE_MAX_DAYS;
        return f->code;
    }
    *from_ms = first * MS_PER_DAY;
    *to_ms = (last + 1) * MS_PER_DAY;
    return KITE_OK;
}

/* ---- the report --------------------------------------------------------------- */

/* The joins and filter both queries share: the facility's revenue accounts, the period's transactions. */
#define REVENUE_FROM                                                                                                 \
    " FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id"                                          \
    " JOIN ledger_transactions t ON t.id = e.transaction_id"                                                        \
    " WHERE a.facility_id = $1 AND a.kind IN ($2, $3, $4) AND t.created_at >= $5 AND t.created_at < $6"

typedef struct report_args {
    int64_t facility_id, from_ms, to_ms;
    revenue_line by_kind[LEDGER_TX_KIND_COUNT];
    bool seen[LEDGER_TX_KIND_COUNT];
    bool unknown; /* a kind or unit the name tables do not know */
} report_args;

static db_stmt *prepare(db_conn *conn, const report_args *r, const char *sql)
{
    db_stmt *s = db_prepare(conn, sql);
    db_bind_int(s, 1, r->facility_id);
    for (size_t i = 0; i < REVENUE_ACCOUNT_COUNT; i++)
        db_bind_text(s, (int)i + 2, ledger_kind_name(account_kinds[i]));
    db_bind_int(s, 5, r->from_ms);
    db_bind_int(s, 6, r->to_ms);
    return s;
}

/* One row of sums: tx kind, account kind, unit, net, into, out of. */
static void add_sums(report_args *r, db_stmt *s)
{
    ledger_tx_kind tx;
    ledger_kind account;
    ledger_unit unit;
    if (!ledger_tx_kind_parse(db_text(s, 0), &tx) || !ledger_kind_parse(db_text(s, 1), &account) ||
        !ledger_unit_parse(db_text(s, 2), &unit)) {
        r->unknown = true;
        return;
    }
    revenue_line *line = &r->by_kind[tx];
    r->seen[tx] = true;
    if (unit != LEDGER_CENTS) {
        line->units_spent[unit] += db_int(s, 4);
        line->units_sold[unit] += db_int(s, 5);
        return;
    }
    for (size_t i = 0; i < REVENUE_ACCOUNT_COUNT; i++)
        if (account_kinds[i] == account) {
            line->cents[i] += db_int(s, 3);
            line->total_cents += db_int(s, 3);
        }
}

static kite_err report_tx(db_conn *conn, void *data)
{
    report_args *r = data;
    db_stmt *s = prepare(conn, r,
                         "SELECT t.kind, a.kind, a.unit, SUM(e.amount),"
                         " SUM(CASE WHEN e.amount > 0 THEN e.amount ELSE 0 END),"
                         " SUM(CASE WHEN e.amount < 0 THEN -e.amount ELSE 0 END)" REVENUE_FROM
                         " GROUP BY t.kind, a.kind, a.unit");
    while (db_next(s))
        add_sums(r, s);
    kite_err err = db_done(s);
    if (err != KITE_OK)
        return err;
    s = prepare(conn, r, "SELECT t.kind, COUNT(DISTINCT t.id)" REVENUE_FROM " GROUP BY t.kind");
    while (db_next(s)) {
        ledger_tx_kind tx;
        if (ledger_tx_kind_parse(db_text(s, 0), &tx))
            r->by_kind[tx].transactions = db_int(s, 1);
        else
            r->unknown = true;
    }
    return db_done(s);
}

static void add_to_total(revenue_line *total, const revenue_line *line)
{
    total->transactions += line->transactions;
    total->total_cents += line->total_cents;
    for (size_t i = 0; i < REVENUE_ACCOUNT_COUNT; i++)
        total->cents[i] += line->cents[i];
    for (size_t u = 0; u < LEDGER_UNIT_COUNT; u++) {
        total->units_sold[u] += line->units_sold[u];
        total->units_spent[u] += line->units_spent[u];
    }
}

static kite_err on_kite(const kite_ctx *ctx, int64_t facility_id, kite_fault *f)
{
    arena *a = arena_new();
    policy p = {0};
    kite_err err = policy_get(ctx, a, facility_id, &p);
    arena_free(a);
    if (err == KITE_ERR_NOT_FOUND)
        return fault_set(f, err, NULL, FAULT_POLICY);
    return fault_settle(f, err);
}

kite_err revenue_report_get(const kite_ctx *ctx, int64_t facility_id, int64_t from_ms, int64_t to_ms,
                            revenue_report *out, kite_fault *f)
{
    fault_set(f, KITE_OK, NULL, FAULT_NONE);
    kite_err err = on_kite(ctx, facility_id, f);
    if (err != KITE_OK)
        return err;
    report_args args = {.facility_id = facility_id, .from_ms = from_ms, .to_ms = to_ms}, *r = &args;
    err = db_read(ctx->store, report_tx, r);
    if (err == KITE_OK && r->unknown)
        err = KITE_ERR_INTERNAL;
    if (err == KITE_OK) {
        *out = (revenue_report){.facility_id = facility_id, .from_ms = from_ms, .to_ms = to_ms};
        out->total.kind = LEDGER_TX_KIND_COUNT;
        for (size_t k = 0; k < LEDGER_TX_KIND_COUNT; k++)
            if (r->seen[k]) {
                r->by_kind[k].kind = (ledger_tx_kind)k;
                out->lines[out->count++] = r->by_kind[k];
                add_to_total(&out->total, &r->by_kind[k]);
            }
    }
    return fault_settle(f, err);
}
