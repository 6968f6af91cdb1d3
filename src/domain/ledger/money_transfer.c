/*
 * money_transfer.c - quotes and sends money to a resident's trust account
 * (see money_transfer.h).
 *
 * Design: money_transfer_send is one db_write: the replay check by (sender,
 * key), the facility's prices, the resident's match, the month's total, the
 * posting and the row, in that order, so that nothing is written before
 * every check has passed and a refusal rolls back whatever came before it.
 * The month's total is read in the same transaction as the posting, so two
 * transfers racing cannot both pass the monthly limit (SQLite serialises
 * writers; PostgreSQL will need the row lock the posting's balance update
 * already takes on the sender's account).
 *
 * SECURITY: money, and who is where.  A refused match answers the same
 * fault whether the number or the name was wrong, and is decided before
 * anything about the resident (released, limits) is told.  The posting's
 * reference carries the sender and key, so even a row lost from this table
 * could not make the ledger charge the same key twice.
 */
#include "domain/ledger/money_transfer.h"

#include "core/clock.h"
#include "domain/audit/audit.h"
#include "domain/facility/resident.h"
#include "domain/identity/account.h"
#include "domain/ledger/ledger.h"
#include "domain/ledger/prices.h"
#include "domain/ledger/verify.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const state_names[MONEY_TRANSFER_STATE_COUNT] = {
    [MONEY_TRANSFER_COMPLETED] = "completed",
};

const char *money_transfer_state_name(money_transfer_state s)
{
    return (unsigned)s < MONEY_TRANSFER_STATE_COUNT ? state_names[s] : "unknown";
}

bool money_transfer_state_parse(const char *name, money_transfer_state *out)
{
    for (int i = 0; name != NULL && i < MONEY_TRANSFER_STATE_COUNT; i++)
        if (strcmp(state_names[i], name) == 0) {
            *out = (money_transfer_state)i;
            return true;
        }
    return false;
}

/* ---- the pure rules -------------------------------------------------------- */

int64_t money_transfer_month_start(int64_t now_ms)
{
    return clock_month_start_utc(now_ms);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* The bounds of s without the blanks around it. */
static void trimmed(const char *s, const char **from, size_t *len)
{
    while (is_blank(*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && is_blank(s[n - 1]))
        n--;
    *from = s;
    *len = n;
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool money_transfer_last_name_matches(const char *typed, const char *stored)
{
    if (typed == NULL || stored == NULL)
        return false;
    const char *a, *b;
    size_t na, nb;
    trimmed(typed, &a, &na);
    trimmed(stored, &b, &nb);
    if (na == 0 || na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (ascii_lower(a[i]) != ascii_lower(b[i]))
            return false;
    return true;
}

/* ---- shared steps ---------------------------------------------------------- */

static bool key_valid(const char *key)
{
    size_t len = key != NULL ? strlen(key) : 0;
    if (len == 0 || len > MONEY_TRANSFER_KEY_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (key[i] <= ' ' || key[i] > '~')
            return false;
    return true;
}

/* What sender has sent resident since the start of now's month (UTC). */
static kite_err sent_this_month(db_conn *conn, int64_t sender, int64_t resident_id, int64_t now, int64_t *total)
{
    db_stmt *s = db_prepare(conn, "SELECT COALESCE(SUM(amount_cents), 0) FROM money_transfers WHERE"
                                  " sender_account_id = $1 AND resident_id = $2 AND created_at >= $3");
    db_bind_int(s, 1, sender);
    db_bind_int(s, 2, resident_id);
    db_bind_int(s, 3, money_transfer_month_start(now));
    *total = db_next(s) ? db_int(s, 0) : 0;
    return db_done(s);
}

/* The sender's balance, 0 when it was never opened. */
static kite_err balance_of(db_conn *conn, int64_t sender, int64_t *balance)
{
    db_stmt *s = db_prepare(conn, "SELECT balance FROM ledger_accounts WHERE kind = $1 AND unit = $2 AND account_id = $3");
    db_bind_text(s, 1, ledger_kind_name(LEDGER_CONTACT_BALANCE));
    db_bind_text(s, 2, ledger_unit_name(LEDGER_CENTS));
    db_bind_int(s, 3, sender);
    *balance = db_next(s) ? db_int(s, 0) : 0;
    return db_done(s);
}

/* The resident at facility_id with this number (spaces around it ignored); KITE_ERR_NOT_FOUND when none. */
static kite_err resident_by_number(db_conn *conn, arena *a, int64_t facility_id, const char *number, resident *out)
{
    const char *from;
    size_t len;
    trimmed(number != NULL ? number : "", &from, &len);
    if (len == 0)
        return KITE_ERR_NOT_FOUND;
    return resident_load(conn, a, facility_id, arena_strndup(a, from, len), out);
}

/* The fee and limits of amount for a month that already holds month_total. */
static kite_err price_transfer(const facility_prices *p, int64_t amount, int64_t month_total, int64_t *fee,
                               kite_fault *f)
{
    kite_err err = transfer_check_limits(&p->transfer_limits, amount, month_total, f);
    return err != KITE_OK ? err : transfer_fee(&p->transfer_fees, amount, fee, f);
}

/* ---- the quote ------------------------------------------------------------- */

typedef struct quote_args {
    arena *a;
    int64_t now, sender, facility_id, amount;
    const char *number;
    money_transfer_quote *out;
    kite_fault *f;
} quote_args;

static kite_err quote_tx(db_conn *conn, void *data)
{
    quote_args *q = data;
    money_transfer_quote *o = q->out;
    facility_prices prices;
    kite_err err = facility_prices_load(conn, q->a, q->facility_id, &prices, q->f);
    if (err != KITE_OK)
        return err;
    resident r;
    err = resident_by_number(conn, q->a, q->facility_id, q->number, &r);
    if (err == KITE_OK)
        err = sent_this_month(conn, q->sender, r.id, q->now, &o->sent_this_month_cents);
    else if (err == KITE_ERR_NOT_FOUND)
        err = KITE_OK; /* the quote does not say whether the number is there */
    if (err != KITE_OK || (err = balance_of(conn, q->sender, &o->balance_cents)) != KITE_OK)
        return err;
    o->limits = prices.transfer_limits;
    o->amount_cents = q->amount;
    if ((err = price_transfer(&prices, q->amount, o->sent_this_month_cents, &o->fee_cents, q->f)) != KITE_OK)
        return err;
    o->total_cents = o->amount_cents + o->fee_cents;
    o->enough = o->balance_cents >= o->total_cents;
    return KITE_OK;
}

kite_err money_transfer_quote_get(const kite_ctx *ctx, arena *a, int64_t sender_account_id, int64_t facility_id,
                                  const char *resident_number, int64_t amount_cents, money_transfer_quote *out,
                                  kite_fault *f)
{
    fault_set(f, KITE_OK, NULL, FAULT_NONE);
    memset(out, 0, sizeof *out);
    quote_args q = {a, clock_now_ms(&ctx->clock), sender_account_id, facility_id, amount_cents, resident_number, out, f};
    return fault_settle(f, db_read(ctx->store, quote_tx, &q));
}

/* ---- reading transfers ----------------------------------------------------- */

#define TRANSFER_SELECT                                                                                              \
    "SELECT t.id, t.sender_account_id, t.facility_id, t.resident_id, r.resident_number,"                            \
    " r.first_name || ' ' || r.last_name, t.amount_cents, t.fee_cents, t.state, t.transaction_id, t.created_at,"     \
    " COALESCE((SELECT e.balance_after FROM ledger_entries e JOIN ledger_accounts b ON b.id = e.account_id"          \
    " WHERE e.transaction_id = t.transaction_id AND b.kind = 'contact_balance'), 0), r.last_name"                    \
    " FROM money_transfers t JOIN residents r ON r.id = t.resident_id"

/* One row into *out; false when its state is not one Kite knows. */
static bool transfer_read(db_stmt *s, arena *a, money_transfer *out, const char **last_name)
{
    memset(out, 0, sizeof *out);
    out->id = db_int(s, 0);
    out->sender_account_id = db_int(s, 1);
    out->facility_id = db_int(s, 2);
    out->resident_id = db_int(s, 3);
    out->resident_number = arena_strdup(a, db_text(s, 4) != NULL ? db_text(s, 4) : "");
    out->resident_name = arena_strdup(a, db_text(s, 5) != NULL ? db_text(s, 5) : "");
    out->amount_cents = db_int(s, 6);
    out->fee_cents = db_int(s, 7);
    out->transaction_id = db_int(s, 9);
    out->created_at = db_int(s, 10);
    out->balance_after_cents = db_int(s, 11);
    if (last_name != NULL)
        *last_name = arena_strdup(a, db_text(s, 12) != NULL ? db_text(s, 12) : "");
    return money_transfer_state_parse(db_text(s, 8), &out->state);
}

/* The sender's transfer under key; *found false when there is none. */
static kite_err transfer_by_key(db_conn *conn, arena *a, int64_t sender, const char *key, money_transfer *out,
                                const char **last_name, bool *found)
{
    db_stmt *s = db_prepare(conn, TRANSFER_SELECT " WHERE t.sender_account_id = $1 AND t.idempotency_key = $2");
    db_bind_int(s, 1, sender);
    db_bind_text(s, 2, key);
    *found = db_next(s);
    bool known = *found && transfer_read(s, a, out, last_name);
    kite_err err = db_done(s);
    return err != KITE_OK ? err : *found && !known ? KITE_ERR_INTERNAL : KITE_OK;
}

/* ---- sending --------------------------------------------------------------- */

typedef struct send_args {
    arena *a;
    int64_t now;
    const money_transfer_request *r;
    money_transfer *out;
    bool *replayed;
    kite_fault *f;
} send_args;

/* The same key again: the first transfer when the request is the same, else a refusal. */
static kite_err replay(const send_args *s, const char *stored_last_name)
{
    const char *number;
    size_t len;
    trimmed(s->r->resident_number != NULL ? s->r->resident_number : "", &number, &len);
    *s->replayed = true;
    if (s->out->facility_id != s->r->facility_id || s->out->amount_cents != s->r->amount_cents ||
        strlen(s->out->resident_number) != len || strncmp(s->out->resident_number, number, len) != 0 ||
        !money_transfer_last_name_matches(s->r->last_name, stored_last_name))
        return fault_set(s->f, KITE_ERR_IDEMPOTENCY_KEY_REUSED, "Idempotency-Key", FAULT_NONE);
    return KITE_OK;
}

/* The resident the number and last name name together, able to take money. */
static kite_err matched_resident(const send_args *s, db_conn *conn, resident *r)
{
    kite_err err = resident_by_number(conn, s->a, s->r->facility_id, s->r->resident_number, r);
    if (err == KITE_ERR_NOT_FOUND || (err == KITE_OK && !money_transfer_last_name_matches(s->r->last_name, r->last_name)))
        return fault_set(s->f, KITE_ERR_INVALID_FIELD, NULL, FAULT_TRANSFER_MATCH);
    if (err == KITE_OK && r->status != RESIDENT_ACTIVE)
        return fault_set(s->f, KITE_ERR_RESIDENT_UNREACHABLE, NULL, FAULT_TRANSFER_RELEASED);
    return err;
}

/* The posting: the sender's balance pays amount + fee, the trust account and the facility's fees receive. */
static kite_err pay(const send_args *s, db_conn *conn, const resident *r, int64_t fee, int64_t *tx_id)
{
    const char *actor = s->r->actor;
    int64_t balance_id, trust_id, fees_id;
    kite_err err = ledger_account_open(conn, s->now, actor, LEDGER_CONTACT_BALANCE,
                                       (ledger_owner){.account_id = s->r->sender_account_id}, LEDGER_CENTS, &balance_id);
    if (err == KITE_OK)
        err = ledger_account_open(conn, s->now, actor, LEDGER_RESIDENT_TRUST, (ledger_owner){.resident_id = r->id},
                                  LEDGER_CENTS, &trust_id);
    if (err == KITE_OK)
        err = ledger_account_open(conn, s->now, actor, LEDGER_FEES, (ledger_owner){.facility_id = s->r->facility_id},
                                  LEDGER_CENTS, &fees_id);
    account sender;
    if (err != KITE_OK || (err = account_load(conn, s->a, s->r->sender_account_id, &sender)) != KITE_OK)
        return err;
    char reference[LEDGER_REFERENCE_MAX_BYTES + 1];
    snprintf(reference, sizeof reference, "money_transfer:%" PRId64 ":%s", s->r->sender_account_id, s->r->key);
    const char *memo = arena_sprintf(s->a, "Money transfer from %s to %s %s", sender.full_name, r->first_name,
                                     r->last_name);
    int64_t total = s->r->amount_cents + fee;
    ledger_line lines[3] = {{balance_id, -total}, {trust_id, s->r->amount_cents}, {fees_id, fee}};
    ledger_posting p = {LEDGER_TX_TRANSFER, memo, reference, actor, lines, fee > 0 ? 3 : 2};
    err = ledger_post(conn, s->now, &p, tx_id);
    if (err == KITE_ERR_INSUFFICIENT_FUNDS) {
        int64_t balance = 0;
        kite_err read = balance_of(conn, s->r->sender_account_id, &balance);
        fault_set(s->f, err, NULL, FAULT_TRANSFER_FUNDS);
        s->f->limit = total;
        s->f->max = balance;
        return read != KITE_OK ? read : err;
    }
    return err == KITE_ERR_IDEMPOTENCY_KEY_REUSED ? fault_set(s->f, err, "Idempotency-Key", FAULT_NONE) : err;
}

static kite_err record(const send_args *s, db_conn *conn, const resident *r, int64_t fee, int64_t tx_id)
{
    db_stmt *st = db_prepare(conn, "INSERT INTO money_transfers (sender_account_id, facility_id, resident_id,"
                                   " amount_cents, fee_cents, state, idempotency_key, transaction_id, created_at)"
                                   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id");
    db_bind_int(st, 1, s->r->sender_account_id);
    db_bind_int(st, 2, s->r->facility_id);
    db_bind_int(st, 3, r->id);
    db_bind_int(st, 4, s->r->amount_cents);
    db_bind_int(st, 5, fee);
    db_bind_text(st, 6, money_transfer_state_name(MONEY_TRANSFER_COMPLETED));
    db_bind_text(st, 7, s->r->key);
    db_bind_int(st, 8, tx_id);
    db_bind_int(st, 9, s->now);
    int64_t id = db_next(st) ? db_int(st, 0) : 0;
    kite_err err = db_done(st);
    if (err != KITE_OK)
        return err;
    char target[40], detail[120];
    snprintf(target, sizeof target, "money_transfer:%" PRId64, id);
    snprintf(detail, sizeof detail, "resident=%" PRId64 " amount_cents=%" PRId64 " fee_cents=%" PRId64, r->id,
             s->r->amount_cents, fee);
    return audit_append(conn, s->now, s->r->actor, "money_transfer.send", target, detail);
}

static kite_err send_tx(db_conn *conn, void *data)
{
    send_args *s = data;
    bool found = false;
    const char *stored_last_name = NULL;
    kite_err err = transfer_by_key(conn, s->a, s->r->sender_account_id, s->r->key, s->out, &stored_last_name, &found);
    if (err != KITE_OK || found)
        return err != KITE_OK ? err : replay(s, stored_last_name);
    facility_prices prices;
    resident r;
    int64_t month_total = 0, fee = 0, tx_id = 0;
    if ((err = facility_prices_load(conn, s->a, s->r->facility_id, &prices, s->f)) != KITE_OK ||
        (err = matched_resident(s, conn, &r)) != KITE_OK ||
        (err = sent_this_month(conn, s->r->sender_account_id, r.id, s->now, &month_total)) != KITE_OK ||
        (err = price_transfer(&prices, s->r->amount_cents, month_total, &fee, s->f)) != KITE_OK ||
        (err = pay(s, conn, &r, fee, &tx_id)) != KITE_OK || (err = record(s, conn, &r, fee, tx_id)) != KITE_OK)
        return err;
    err = transfer_by_key(conn, s->a, s->r->sender_account_id, s->r->key, s->out, NULL, &found);
    return err != KITE_OK ? err : found ? KITE_OK : KITE_ERR_INTERNAL;
}

kite_err money_transfer_send(const kite_ctx *ctx, arena *a, const money_transfer_request *r, money_transfer *out,
                             bool *replayed, kite_fault *f)
{
    fault_set(f, KITE_OK, NULL, FAULT_NONE);
    memset(out, 0, sizeof *out);
    *replayed = false;
    if (!key_valid(r->key)) {
        fault_set(f, KITE_ERR_INVALID_FIELD, "Idempotency-Key", FAULT_LENGTH);
        f->limit = MONEY_TRANSFER_KEY_MAX;
        return KITE_ERR_INVALID_FIELD;
    }
    send_args s = {a, clock_now_ms(&ctx->clock), r, out, replayed, f};
    return fault_settle(f, db_write(ctx->store, send_tx, &s));
}

/* ---- the sender's list ------------------------------------------------------ */

typedef struct list_args {
    arena *a;
    int64_t sender;
    money_transfer **items;
    size_t *count;
} list_args;

static kite_err list_tx(db_conn *conn, void *data)
{
    list_args *l = data;
    db_stmt *s = db_prepare(conn, TRANSFER_SELECT " WHERE t.sender_account_id = $1 ORDER BY t.id DESC LIMIT $2");
    db_bind_int(s, 1, l->sender);
    db_bind_int(s, 2, MONEY_TRANSFER_LIST_MAX);
    *l->items = arena_zalloc(l->a, MONEY_TRANSFER_LIST_MAX * sizeof **l->items);
    *l->count = 0;
    while (*l->count < MONEY_TRANSFER_LIST_MAX && db_next(s))
        if (transfer_read(s, l->a, &(*l->items)[*l->count], NULL))
            (*l->count)++;
    return db_done(s);
}

kite_err money_transfer_list(const kite_ctx *ctx, arena *a, int64_t sender_account_id, money_transfer **items,
                             size_t *count)
{
    list_args l = {a, sender_account_id, items, count};
    return db_read(ctx->store, list_tx, &l);
}

/* ---- kite ledger verify ------------------------------------------------------ */

/* The entries of transaction t on the accounts of one kind that the condition picks. */
#define ENTRIES_ON(kind_param, owner)                                                                             \
    "(SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id"       \
    " WHERE e.transaction_id = t.transaction_id AND a.kind = " kind_param " AND " owner ")"

kite_err money_transfers_verify(db_conn *conn, ledger_report *r)
{
    db_stmt *s = db_prepare(conn, "SELECT t.id FROM money_transfers t WHERE COALESCE((SELECT kind FROM"
                                  " ledger_transactions WHERE id = t.transaction_id), '') <> $1"
                                  " OR " ENTRIES_ON("$2", "a.resident_id = t.resident_id") " <> t.amount_cents"
                                  " OR " ENTRIES_ON("$3", "a.account_id = t.sender_account_id")
                                  " <> -(t.amount_cents + t.fee_cents)"
                                  " OR " ENTRIES_ON("$4", "a.facility_id = t.facility_id") " <> t.fee_cents"
                                  " ORDER BY t.id LIMIT 1");
    db_bind_text(s, 1, ledger_tx_kind_name(LEDGER_TX_TRANSFER));
    db_bind_text(s, 2, ledger_kind_name(LEDGER_RESIDENT_TRUST));
    db_bind_text(s, 3, ledger_kind_name(LEDGER_CONTACT_BALANCE));
    db_bind_text(s, 4, ledger_kind_name(LEDGER_FEES));
    if (db_next(s))
        ledger_report_breach(r, "money transfer %" PRId64 " is not what its transaction moved (amount to the trust"
                                " account, fee to the facility, both from the sender's balance)", db_int(s, 0));
    return db_done(s);
}
