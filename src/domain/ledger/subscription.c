/*
 * subscription.c - buying and listing subscriptions (see subscription.h).
 *
 * SECURITY: money.  The replay check, the price, the posting and the row
 * are one write transaction; the balance is re-checked by the ledger's
 * conditional UPDATE.
 */
#include "domain/ledger/subscription.h"

#include "domain/ledger/ledger.h"
#include "domain/ledger/prices.h"
#include "domain/ledger/wallet.h"

#include <inttypes.h>
#include <string.h>

typedef struct buy_args {
    arena *a;
    int64_t account_id, facility_id, months, now;
    const char *actor, *key;
    wallet_subscription *out;
    bool *replayed;
    kite_fault *f;
} buy_args;

static void subscription_row(db_stmt *s, wallet_subscription *out)
{
    *out = (wallet_subscription){.id = db_int(s, 0), .facility_id = db_int(s, 1), .months = db_int(s, 2),
                                 .price_cents = db_int(s, 3), .starts_at = db_int(s, 4), .ends_at = db_int(s, 5)};
}

#define SUBSCRIPTION_COLUMNS "id, facility_id, months, price_cents, starts_at, ends_at"

/* The subscription bought before under this key: KITE_OK (same request), KITE_ERR_NOT_FOUND, or reused. */
static kite_err bought_before(db_conn *conn, buy_args *b)
{
    db_stmt *s = db_prepare(conn, "SELECT " SUBSCRIPTION_COLUMNS " FROM wallet_subscriptions WHERE account_id = $1"
                                  " AND idempotency_key = $2");
    db_bind_int(s, 1, b->account_id);
    db_bind_text(s, 2, b->key);
    bool found = db_next(s);
    if (found)
        subscription_row(s, b->out);
    kite_err err = db_done(s);
    if (err != KITE_OK || !found)
        return err != KITE_OK ? err : KITE_ERR_NOT_FOUND;
    if (b->out->facility_id != b->facility_id || b->out->months != b->months)
        return KITE_ERR_IDEMPOTENCY_KEY_REUSED;
    *b->replayed = true;
    return KITE_OK;
}

/* When the new period starts: now, or when the latest period still running ends. */
static kite_err period_start(db_conn *conn, const buy_args *b, int64_t *start)
{
    db_stmt *s = db_prepare(conn, "SELECT COALESCE(MAX(ends_at), 0) FROM wallet_subscriptions WHERE account_id = $1"
                                  " AND facility_id = $2");
    db_bind_int(s, 1, b->account_id);
    db_bind_int(s, 2, b->facility_id);
    int64_t latest = db_next(s) ? db_int(s, 0) : 0;
    *start = latest > b->now ? latest : b->now;
    return db_done(s);
}

/* The price from the contact's balance to the facility's revenue; *transaction_id 0 when it cost nothing. */
static kite_err pay(db_conn *conn, const buy_args *b, int64_t price, int64_t *transaction_id)
{
    int64_t balance, revenue;
    kite_err err = ledger_account_open(conn, b->now, b->actor, LEDGER_CONTACT_BALANCE,
                                       (ledger_owner){.account_id = b->account_id}, LEDGER_CENTS, &balance);
    if (err == KITE_OK)
        err = ledger_account_open(conn, b->now, b->actor, LEDGER_PROVIDER_REVENUE,
                                  (ledger_owner){.facility_id = b->facility_id}, LEDGER_CENTS, &revenue);
    *transaction_id = 0;
    if (err == KITE_OK && price > 0) {
        const ledger_line lines[] = {{balance, -price}, {revenue, price}};
        const char *memo = arena_sprintf(b->a, "Subscription, %" PRId64 " month%s", b->months, b->months == 1 ? "" : "s");
        const char *reference = arena_sprintf(b->a, "subscription:%" PRId64 ":%s", b->account_id, b->key);
        const ledger_posting p = {LEDGER_TX_SUBSCRIPTION, memo, reference, b->actor, lines, 2};
        err = ledger_post(conn, b->now, &p, transaction_id);
    }
    if (err == KITE_OK)
        err = ledger_balance(conn, balance, &b->out->balance_cents);
    return err;
}

static kite_err buy_tx(db_conn *conn, void *data)
{
    buy_args *b = data;
    kite_err err = bought_before(conn, b);
    if (err != KITE_ERR_NOT_FOUND)
        return err;
    facility_prices fp;
    int64_t price, start, transaction_id;
    if ((err = facility_prices_load(conn, b->a, b->facility_id, &fp, b->f)) != KITE_OK ||
        (err = price_subscription(&fp.schedule, b->months, &price, b->f)) != KITE_OK)
        return err;
    if ((err = period_start(conn, b, &start)) != KITE_OK || (err = pay(conn, b, price, &transaction_id)) != KITE_OK)
        return err;
    int64_t balance = b->out->balance_cents;
    db_stmt *s = db_prepare(conn,
        "INSERT INTO wallet_subscriptions (account_id, facility_id, months, price_cents, starts_at, ends_at,"
        " transaction_id, idempotency_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " RETURNING " SUBSCRIPTION_COLUMNS);
    db_bind_int(s, 1, b->account_id);
    db_bind_int(s, 2, b->facility_id);
    db_bind_int(s, 3, b->months);
    db_bind_int(s, 4, price);
    db_bind_int(s, 5, start);
    db_bind_int(s, 6, start + b->months * SUBSCRIPTION_MONTH_MS);
    if (transaction_id > 0)
        db_bind_int(s, 7, transaction_id);
    else
        db_bind_null(s, 7);
    db_bind_text(s, 8, b->key);
    db_bind_int(s, 9, b->now);
    if (db_next(s))
        subscription_row(s, b->out);
    b->out->balance_cents = balance;
    return db_done(s);
}

kite_err subscription_buy(const kite_ctx *ctx, arena *a, int64_t account_id, const char *actor, const char *key,
                          int64_t facility_id, int64_t months, wallet_subscription *out, bool *replayed, kite_fault *f)
{
    *replayed = false;
    *f = (kite_fault){0};
    if (key == NULL || *key == '\0')
        return fault_set(f, KITE_ERR_INVALID_FIELD, "Idempotency-Key", FAULT_REQUIRED);
    if (strlen(key) > WALLET_KEY_MAX) {
        fault_set(f, KITE_ERR_INVALID_FIELD, "Idempotency-Key", FAULT_LENGTH);
        f->limit = WALLET_KEY_MAX;
        return f->code;
    }
    buy_args b = {a, account_id, facility_id, months, clock_now_ms(&ctx->clock), actor, key, out, replayed, f};
    return fault_settle(f, db_write(ctx->store, buy_tx, &b));
}

typedef struct active_args {
    int64_t account_id, now;
    wallet_subscription *out;
    size_t *count;
} active_args;

static kite_err active_tx(db_conn *conn, void *data)
{
    active_args *x = data;
    db_stmt *s = db_prepare(conn, "SELECT " SUBSCRIPTION_COLUMNS " FROM wallet_subscriptions WHERE account_id = $1"
                                  " AND ends_at > $2 ORDER BY ends_at, id LIMIT $3");
    db_bind_int(s, 1, x->account_id);
    db_bind_int(s, 2, x->now);
    db_bind_int(s, 3, SUBSCRIPTIONS_SHOWN);
    *x->count = 0;
    while (db_next(s) && *x->count < SUBSCRIPTIONS_SHOWN)
        subscription_row(s, &x->out[(*x->count)++]);
    return db_done(s);
}

kite_err subscriptions_active(const kite_ctx *ctx, int64_t account_id, wallet_subscription *out, size_t *count)
{
    active_args x = {account_id, clock_now_ms(&ctx->clock), out, count};
    return db_read(ctx->store, active_tx, &x);
}
