/*
 * wallet.c - top-ups recorded, settled and reconciled; the wallet summary
 * and statement (see wallet.h).
 *
 * Design: each step is one db_write.  The row of a top-up is written before
 * the processor is asked (so a crash after the charge still leaves a
 * pending row to reconcile), and the answer is written with the money in
 * the same commit.  States are read into wallet_top_up_state at the row and
 * written back through the name table; nothing compares state text.
 *
 * SECURITY: money and card data.  Only a card_summary reaches this file.
 * The move out of pending is "UPDATE ... WHERE id = ? AND state = 'pending'"
 * with one changed row required before money is posted, and the posting
 * carries reference "top_up:ID" (the ledger refuses to post a reference
 * twice), so a top-up is credited at most once, whoever settles it.
 */
#include "domain/ledger/wallet.h"

#include "core/log.h"
#include "core/secret.h"
#include "domain/audit/audit.h"
#include "domain/directory/directory.h"
#include "domain/ledger/prices.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const top_up_state_names[TOP_UP_STATE_COUNT] = {
    [TOP_UP_PENDING] = "pending",
    [TOP_UP_APPROVED] = "approved",
    [TOP_UP_DECLINED] = "declined",
    [TOP_UP_FAILED] = "failed",
};

const char *wallet_top_up_state_name(wallet_top_up_state s)
{
    return (unsigned)s < TOP_UP_STATE_COUNT ? top_up_state_names[s] : "unknown";
}

static bool top_up_state_parse(const char *name, wallet_top_up_state *out)
{
    for (int i = 0; name != NULL && i < TOP_UP_STATE_COUNT; i++)
        if (strcmp(top_up_state_names[i], name) == 0) {
            *out = (wallet_top_up_state)i;
            return true;
        }
    return false;
}


/* ---- reading a top-up ---------------------------------------------------- */

#define TOP_UP_COLUMNS                                                                                               \
    "t.id, t.account_id, t.amount_cents, t.card_brand, t.card_last4, t.state, COALESCE(t.decline_reason, 'none'),"  \
    " t.created_at, COALESCE(t.settled_at, 0), COALESCE(e.balance_after, 0), t.processor_key"
#define TOP_UP_FROM                                                                                                  \
    " FROM wallet_top_ups t LEFT JOIN ledger_entries e ON e.transaction_id = t.transaction_id AND e.account_id ="    \
    " (SELECT id FROM ledger_accounts WHERE kind = 'contact_balance' AND account_id = t.account_id)"

static bool top_up_read(db_stmt *s, wallet_top_up *out)
{
    memset(out, 0, sizeof *out);
    out->id = db_int(s, 0);
    out->account_id = db_int(s, 1);
    out->amount_cents = db_int(s, 2);
    const char *last4 = db_text(s, 4);
    snprintf(out->card.last4, sizeof out->card.last4, "%s", last4 != NULL ? last4 : "");
    out->created_at = db_int(s, 7);
    out->settled_at = db_int(s, 8);
    out->balance_after = db_int(s, 9);
    const char *key = db_text(s, 10);
    snprintf(out->processor_key, sizeof out->processor_key, "%s", key != NULL ? key : "");
    return card_brand_from_name(db_text(s, 3), &out->card.brand) && top_up_state_parse(db_text(s, 5), &out->state) &&
           decline_reason_from_name(db_text(s, 6), &out->decline);
}

/* One top-up by id (and, when account_id is not 0, of that account only). */
static kite_err top_up_load(db_conn *conn, int64_t id, wallet_top_up *out)
{
    db_stmt *s = db_prepare(conn, "SELECT " TOP_UP_COLUMNS TOP_UP_FROM " WHERE t.id = $1");
    db_bind_int(s, 1, id);
    bool found = db_next(s);
    bool known = found && top_up_read(s, out);
    kite_err err = db_done(s);
    if (err == KITE_OK && found && !known)
        log_error("wallet: top-up %" PRId64 " has a state Kite does not know", id);
    return err != KITE_OK ? err : !found ? KITE_ERR_NOT_FOUND : known ? KITE_OK : KITE_ERR_INTERNAL;
}

typedef struct get_args {
    int64_t id;
    wallet_top_up *out;
} get_args;

static kite_err get_tx(db_conn *conn, void *data)
{
    get_args *g = data;
    return top_up_load(conn, g->id, g->out);
}

kite_err wallet_top_up_get(const kite_ctx *ctx, int64_t top_up_id, wallet_top_up *out)
{
    get_args g = {top_up_id, out};
    return db_read(ctx->store, get_tx, &g);
}

/* ---- beginning a top-up -------------------------------------------------- */

typedef struct begin_args {
    int64_t now;
    int64_t account_id;
    const char *key;
    int64_t amount;
    const card_summary *card;
    wallet_top_up *out;
    bool *replayed;
} begin_args;

static kite_err begin_tx(db_conn *conn, void *data)
{
    begin_args *a = data;
    db_stmt *s = db_prepare(conn, "SELECT id FROM wallet_top_ups WHERE account_id = $1 AND idempotency_key = $2");
    db_bind_int(s, 1, a->account_id);
    db_bind_text(s, 2, a->key);
    int64_t id = db_next(s) ? db_int(s, 0) : 0;
    kite_err err = db_done(s);
    if (err != KITE_OK)
        return err;
    if (id != 0) {
        if ((err = top_up_load(conn, id, a->out)) != KITE_OK)
            return err;
        *a->replayed = true;
        if (a->out->amount_cents != a->amount || a->out->card.brand != a->card->brand ||
            strcmp(a->out->card.last4, a->card->last4) != 0)
            return KITE_ERR_IDEMPOTENCY_KEY_REUSED;
        return KITE_OK;
    }
    char token[SECRET_TOKEN_HEX], processor_key[WALLET_PROCESSOR_KEY_MAX + 1];
    secret_token(token);
    snprintf(processor_key, sizeof processor_key, "kite-top-up-%s", token);
    s = db_prepare(conn, "INSERT INTO wallet_top_ups (account_id, idempotency_key, amount_cents, card_brand, card_last4,"
                         " state, created_at, processor_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id");
    db_bind_int(s, 1, a->account_id);
    db_bind_text(s, 2, a->key);
    db_bind_int(s, 3, a->amount);
    db_bind_text(s, 4, card_brand_name(a->card->brand));
    db_bind_text(s, 5, a->card->last4);
    db_bind_text(s, 6, wallet_top_up_state_name(TOP_UP_PENDING));
    db_bind_int(s, 7, a->now);
    db_bind_text(s, 8, processor_key);
    id = db_next(s) ? db_int(s, 0) : 0;
    if ((err = db_done(s)) != KITE_OK)
        return err;
    char actor[40], target[40], detail[120];
    snprintf(actor, sizeof actor, "account:%" PRId64, a->account_id);
    snprintf(target, sizeof target, "top_up:%" PRId64, id);
    snprintf(detail, sizeof detail, "amount_cents=%" PRId64 " card=%s/%s", a->amount, card_brand_name(a->card->brand),
             a->card->last4);
    if ((err = audit_append(conn, a->now, actor, "wallet.top_up_start", target, detail)) != KITE_OK)
        return err;
    *a->replayed = false;
    return top_up_load(conn, id, a->out);
}

static bool key_valid(const char *key)
{
    size_t len = key != NULL ? strlen(key) : 0;
    if (len == 0 || len > WALLET_KEY_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (key[i] <= ' ' || key[i] > '~')
            return false;
    return true;
}

kite_err wallet_top_up_begin(const kite_ctx *ctx, int64_t account_id, const char *key, int64_t amount_cents,
                             const card_summary *card, wallet_top_up *out, bool *replayed, kite_fault *f)
{
    fault_set(f, KITE_OK, NULL, FAULT_NONE);
    if (!key_valid(key)) {
        fault_set(f, KITE_ERR_INVALID_FIELD, "Idempotency-Key", FAULT_LENGTH);
        f->limit = WALLET_KEY_MAX;
        return KITE_ERR_INVALID_FIELD;
    }
    if (amount_cents < WALLET_TOP_UP_MIN_CENTS || amount_cents > WALLET_TOP_UP_MAX_CENTS) {
        fault_set(f, KITE_ERR_INVALID_FIELD, "amount_cents", FAULT_TOP_UP_AMOUNT);
        f->min = WALLET_TOP_UP_MIN_CENTS;
        f->max = WALLET_TOP_UP_MAX_CENTS;
        return KITE_ERR_INVALID_FIELD;
    }
    begin_args a = {clock_now_ms(&ctx->clock), account_id, key, amount_cents, card, out, replayed};
    return fault_settle(f, db_write(ctx->store, begin_tx, &a));
}

/* ---- settling a top-up --------------------------------------------------- */

typedef struct settle_args {
    int64_t now;
    int64_t id;
    const char *actor;
    const charge_result *r;
    wallet_top_up *out;
} settle_args;

/* The posting processor_clearing -> the contact's balance, and its id on the top-up. */
static kite_err credit(db_conn *conn, const settle_args *a)
{
    int64_t balance_id, clearing_id, tx_id;
    kite_err err = ledger_account_open(conn, a->now, a->actor, LEDGER_CONTACT_BALANCE,
                                       (ledger_owner){.account_id = a->out->account_id}, LEDGER_CENTS, &balance_id);
    if (err == KITE_OK)
        err = ledger_account_open(conn, a->now, a->actor, LEDGER_PROCESSOR_CLEARING, (ledger_owner){0}, LEDGER_CENTS,
                                  &clearing_id);
    if (err != KITE_OK)
        return err;
    char memo[80], reference[40];
    snprintf(memo, sizeof memo, "Card top-up (%s ending %s)", card_brand_name(a->out->card.brand),
             a->out->card.last4);
    snprintf(reference, sizeof reference, "top_up:%" PRId64, a->id);
    ledger_line lines[2] = {{clearing_id, -a->out->amount_cents}, {balance_id, a->out->amount_cents}};
    ledger_posting p = {LEDGER_TX_TOP_UP, memo, reference, a->actor, lines, 2};
    if ((err = ledger_post(conn, a->now, &p, &tx_id)) != KITE_OK)
        return err;
    db_stmt *s = db_prepare(conn, "UPDATE wallet_top_ups SET transaction_id = $1 WHERE id = $2");
    db_bind_int(s, 1, tx_id);
    db_bind_int(s, 2, a->id);
    return db_exec(s);
}

/* The state a processor's answer leaves a pending top-up in; false: it stays pending. */
static bool settled_state(const charge_result *r, int64_t amount, wallet_top_up_state *out)
{
    switch (r->outcome) {
    case CHARGE_APPROVED:
        if (r->amount_cents != amount) {
            log_error("wallet: the processor approved %" PRId64 " cents for a top-up of %" PRId64
                      "; it stays pending for an operator", r->amount_cents, amount);
            return false;
        }
        *out = TOP_UP_APPROVED;
        return true;
    case CHARGE_DECLINED:
        *out = TOP_UP_DECLINED;
        return true;
    case CHARGE_PROCESSOR_ERROR:
    case CHARGE_NOT_FOUND:
        *out = TOP_UP_FAILED;
        return true;
    case CHARGE_TIMEOUT:
    case CHARGE_OUTCOME_COUNT:
        break;
    }
    return false;
}

static kite_err settle_tx(db_conn *conn, void *data)
{
    settle_args *a = data;
    kite_err err = top_up_load(conn, a->id, a->out);
    wallet_top_up_state to;
    if (err != KITE_OK || a->out->state != TOP_UP_PENDING || !settled_state(a->r, a->out->amount_cents, &to))
        return err;
    db_stmt *s = db_prepare(conn, "UPDATE wallet_top_ups SET state = $1, decline_reason = $2, charge_id = $3,"
                                  " settled_at = $4 WHERE id = $5 AND state = $6");
    db_bind_text(s, 1, wallet_top_up_state_name(to));
    if (to == TOP_UP_DECLINED)
        db_bind_text(s, 2, decline_reason_name(a->r->decline));
    else
        db_bind_null(s, 2);
    if (a->r->charge_id[0] != '\0')
        db_bind_text(s, 3, a->r->charge_id);
    else
        db_bind_null(s, 3);
    db_bind_int(s, 4, a->now);
    db_bind_int(s, 5, a->id);
    db_bind_text(s, 6, wallet_top_up_state_name(TOP_UP_PENDING));
    if ((err = db_exec(s)) != KITE_OK || db_changes(conn) != 1)
        return err;
    if (to == TOP_UP_APPROVED && (err = credit(conn, a)) != KITE_OK)
        return err;
    char target[40], detail[80];
    snprintf(target, sizeof target, "top_up:%" PRId64, a->id);
    snprintf(detail, sizeof detail, "state=%s reason=%s", wallet_top_up_state_name(to),
             to == TOP_UP_DECLINED ? decline_reason_name(a->r->decline) : "none");
    if ((err = audit_append(conn, a->now, a->actor, "wallet.top_up_settle", target, detail)) != KITE_OK)
        return err;
    return top_up_load(conn, a->id, a->out);
}

kite_err wallet_top_up_settle(const kite_ctx *ctx, int64_t top_up_id, const char *actor, const charge_result *r,
                              wallet_top_up *out)
{
    settle_args a = {clock_now_ms(&ctx->clock), top_up_id, actor, r, out};
    return db_write(ctx->store, settle_tx, &a);
}

typedef struct stale_args {
    int64_t older_than;
    int64_t *ids;
    size_t *count;
} stale_args;

static kite_err stale_tx(db_conn *conn, void *data)
{
    stale_args *a = data;
    db_stmt *s = db_prepare(conn, "SELECT id FROM wallet_top_ups WHERE state = $1 AND created_at < $2 ORDER BY id"
                                  " LIMIT $3");
    db_bind_text(s, 1, wallet_top_up_state_name(TOP_UP_PENDING));
    db_bind_int(s, 2, a->older_than);
    db_bind_int(s, 3, WALLET_STALE_BATCH);
    *a->count = 0;
    while (db_next(s) && *a->count < WALLET_STALE_BATCH)
        a->ids[(*a->count)++] = db_int(s, 0);
    return db_done(s);
}

kite_err wallet_top_ups_stale(const kite_ctx *ctx, int64_t older_than, int64_t *ids, size_t *count)
{
    stale_args a = {older_than, ids, count};
    return db_read(ctx->store, stale_tx, &a);
}

/* ---- the summary and the statement ---------------------------------------- */

typedef struct summary_args {
    int64_t account_id, resident_id;
    wallet_summary *out;
} summary_args;

/* The wallet's money account: the contact's balance or the resident's trust account; 0 when never opened. */
static kite_err money_account(db_conn *conn, int64_t account_id, int64_t resident_id, int64_t *id, int64_t *balance)
{
    db_stmt *s = db_prepare(conn, "SELECT id, balance FROM ledger_accounts WHERE kind = $1 AND unit = $2 AND"
                                  " COALESCE(account_id, 0) = $3 AND COALESCE(resident_id, 0) = $4");
    db_bind_text(s, 1, ledger_kind_name(account_id != 0 ? LEDGER_CONTACT_BALANCE : LEDGER_RESIDENT_TRUST));
    db_bind_text(s, 2, ledger_unit_name(LEDGER_CENTS));
    db_bind_int(s, 3, account_id);
    db_bind_int(s, 4, account_id != 0 ? 0 : resident_id);
    *id = 0;
    *balance = 0;
    if (db_next(s)) {
        *id = db_int(s, 0);
        *balance = db_int(s, 1);
    }
    return db_done(s);
}

static kite_err held_and_bundles(db_conn *conn, const summary_args *a, int64_t money_id)
{
    db_stmt *s = db_prepare(conn, "SELECT COALESCE(SUM(amount), 0) FROM ledger_holds WHERE payer_account_id = $1"
                                  " AND state = $2");
    db_bind_int(s, 1, money_id);
    db_bind_text(s, 2, ledger_hold_state_name(LEDGER_HELD));
    a->out->held_cents = db_next(s) ? db_int(s, 0) : 0;
    kite_err err = db_done(s);
    if (err != KITE_OK)
        return err;
    s = db_prepare(conn, "SELECT facility_id, unit, balance FROM ledger_accounts WHERE kind IN ($1, $2) AND"
                         " COALESCE(account_id, 0) = $3 AND COALESCE(resident_id, 0) = $4 ORDER BY facility_id, unit"
                         " LIMIT $5");
    db_bind_text(s, 1, ledger_kind_name(LEDGER_STAMPS));
    db_bind_text(s, 2, ledger_kind_name(LEDGER_CREDITS));
    db_bind_int(s, 3, a->account_id);
    db_bind_int(s, 4, a->account_id != 0 ? 0 : a->resident_id);
    db_bind_int(s, 5, WALLET_BUNDLES_MAX);
    while (db_next(s) && a->out->bundle_count < WALLET_BUNDLES_MAX) {
        wallet_bundle_balance *b = &a->out->bundles[a->out->bundle_count];
        b->facility_id = db_int(s, 0);
        b->balance = db_int(s, 2);
        if (ledger_unit_parse(db_text(s, 1), &b->unit))
            a->out->bundle_count++;
    }
    return db_done(s);
}

static kite_err summary_tx(db_conn *conn, void *data)
{
    summary_args *a = data;
    int64_t money_id;
    memset(a->out, 0, sizeof *a->out);
    kite_err err = money_account(conn, a->account_id, a->resident_id, &money_id, &a->out->balance_cents);
    return err != KITE_OK ? err : held_and_bundles(conn, a, money_id);
}

kite_err wallet_summary_get(const kite_ctx *ctx, int64_t account_id, int64_t resident_id, wallet_summary *out)
{
    summary_args a = {account_id, resident_id, out};
    return db_read(ctx->store, summary_tx, &a);
}

typedef struct statement_args {
    arena *a;
    int64_t account_id, resident_id, before;
    size_t limit;
    ledger_statement_line **lines;
    size_t *count;
    int64_t *next_before;
} statement_args;

static kite_err statement_tx(db_conn *conn, void *data)
{
    statement_args *a = data;
    int64_t money_id, balance;
    *a->lines = NULL;
    *a->count = 0;
    *a->next_before = 0;
    kite_err err = money_account(conn, a->account_id, a->resident_id, &money_id, &balance);
    if (err != KITE_OK || money_id == 0)
        return err;
    return ledger_statement(conn, a->a, money_id, a->before, a->limit, a->lines, a->count, a->next_before);
}

kite_err wallet_statement(const kite_ctx *ctx, arena *a, int64_t account_id, int64_t resident_id, int64_t before,
                          size_t limit, ledger_statement_line **lines, size_t *count, int64_t *next_before)
{
    statement_args args = {a, account_id, resident_id, before, limit, lines, count, next_before};
    return db_read(ctx->store, statement_tx, &args);
}

/* ---- bundles ---------------------------------------------------------------- */

typedef struct bundle_args {
    arena *a;
    int64_t now, account_id;
    const char *actor, *key;
    wallet_purchase *out;
    bool *replayed;
    kite_fault *f;
} bundle_args;

/* The four accounts of a purchase: balance, provider revenue in cents and in units, the buyer's units. */
static kite_err bundle_accounts(db_conn *conn, const bundle_args *b, int64_t ids[4])
{
    ledger_kind units_kind = b->out->unit == LEDGER_UNIT_STAMPS ? LEDGER_STAMPS : LEDGER_CREDITS;
    kite_err err = ledger_account_open(conn, b->now, b->actor, LEDGER_CONTACT_BALANCE,
                                       (ledger_owner){.account_id = b->account_id}, LEDGER_CENTS, &ids[0]);
    if (err == KITE_OK)
        err = ledger_account_open(conn, b->now, b->actor, LEDGER_PROVIDER_REVENUE,
                                  (ledger_owner){.facility_id = b->out->facility_id}, LEDGER_CENTS, &ids[1]);
    if (err == KITE_OK)
        err = ledger_account_open(conn, b->now, b->actor, LEDGER_PROVIDER_REVENUE,
                                  (ledger_owner){.facility_id = b->out->facility_id}, b->out->unit, &ids[2]);
    if (err == KITE_OK)
        err = ledger_account_open(conn, b->now, b->actor, units_kind,
                                  (ledger_owner){.account_id = b->account_id, .facility_id = b->out->facility_id},
                                  b->out->unit, &ids[3]);
    return err;
}

static kite_err reference_used(db_conn *conn, const char *reference, bool *used)
{
    db_stmt *s = db_prepare(conn, "SELECT 1 FROM ledger_transactions WHERE reference = $1");
    db_bind_text(s, 1, reference);
    *used = db_next(s);
    return db_done(s);
}

static kite_err bundle_tx(db_conn *conn, void *data)
{
    bundle_args *b = data;
    wallet_purchase *o = b->out;
    facility_prices prices;
    kite_err err = facility_prices_load(conn, b->a, o->facility_id, &prices, b->f);
    price_unit unit = o->unit == LEDGER_UNIT_STAMPS ? PRICE_UNIT_STAMPS : PRICE_UNIT_CREDITS;
    if (err != KITE_OK || (err = bundle_price(&prices.schedule, unit, o->count, &o->price_cents, b->f)) != KITE_OK)
        return err;
    char reference[LEDGER_REFERENCE_MAX_BYTES + 1], memo[240], facility_name[160];
    snprintf(reference, sizeof reference, "bundle:%" PRId64 ":%s", b->account_id, b->key);
    if ((err = directory_facility_name(conn, o->facility_id, facility_name, sizeof facility_name)) != KITE_OK)
        return err;
    /* The facility by name: a statement is read by a person, who knows no facility numbers. */
    snprintf(memo, sizeof memo, "%" PRId64 " %s for %s", o->count, ledger_unit_name(o->unit), facility_name);
    int64_t ids[4];
    if ((err = reference_used(conn, reference, b->replayed)) != KITE_OK || (err = bundle_accounts(conn, b, ids)) != KITE_OK)
        return err;
    ledger_line lines[4] = {{ids[0], -o->price_cents}, {ids[1], o->price_cents}, {ids[2], -o->count}, {ids[3], o->count}};
    ledger_posting p = {LEDGER_TX_PURCHASE, memo, reference, b->actor, lines, 4};
    if ((err = ledger_post(conn, b->now, &p, &o->transaction_id)) != KITE_OK)
        return fault_set(b->f, err, err == KITE_ERR_IDEMPOTENCY_KEY_REUSED ? "Idempotency-Key" : NULL, FAULT_NONE);
    if ((err = ledger_balance(conn, ids[0], &o->balance_cents)) != KITE_OK)
        return err;
    return ledger_balance(conn, ids[3], &o->units_balance);
}

kite_err wallet_bundle_buy(const kite_ctx *ctx, arena *a, int64_t account_id, const char *actor, const char *key,
                           int64_t facility_id, ledger_unit unit, int64_t count, wallet_purchase *out, bool *replayed,
                           kite_fault *f)
{
    fault_set(f, KITE_OK, NULL, FAULT_NONE);
    memset(out, 0, sizeof *out);
    *replayed = false;
    if (!key_valid(key)) {
        fault_set(f, KITE_ERR_INVALID_FIELD, "Idempotency-Key", FAULT_LENGTH);
        f->limit = WALLET_KEY_MAX;
        return KITE_ERR_INVALID_FIELD;
    }
    if (unit != LEDGER_UNIT_STAMPS && unit != LEDGER_UNIT_CREDITS)
        return fault_set(f, KITE_ERR_INVALID_FIELD, "unit", FAULT_NOT_OFFERED);
    *out = (wallet_purchase){.facility_id = facility_id, .unit = unit, .count = count};
    bundle_args b = {a, clock_now_ms(&ctx->clock), account_id, actor, key, out, replayed, f};
    return fault_settle(f, db_write(ctx->store, bundle_tx, &b));
}
