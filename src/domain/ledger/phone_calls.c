/*
 * phone_calls.c - call records from a facility's phone system: recorded,
 * rated and charged in one transaction, and listed for the account's owner
 * (see phone.h).
 *
 * Design: one db_write per call record.  Inside it, in order: the key is
 * marked used (and refused if revoked meanwhile), an earlier row with the
 * same call id is looked for (a replay answers from it; another body is a
 * conflict), the resident is found on the facility's roster, the facility's
 * audio rate is read (facility_prices_load, within the FCC cap), the phone
 * account's balance is read, the call is rated against it, and the posting
 * and the row are written.  The balance is read and charged under the
 * store's write lock, so two calls racing on one account cannot both spend
 * the same cents.
 *
 * SECURITY: money.  The amount charged is never more than the balance read
 * in the same transaction (phone_rate_call cuts at it) and the ledger
 * refuses anything below zero anyway.  The facility is the key's, never the
 * client's word.  Call ids are printable ASCII of bounded length before
 * they become part of a ledger reference.
 */
#include "domain/ledger/phone.h"

#include "domain/audit/audit.h"
#include "domain/facility/resident.h"
#include "domain/ledger/ledger.h"
#include "domain/ledger/prices.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define CALL_COLUMNS                                                                                                 \
    "c.id, c.facility_id, c.call_id, COALESCE(c.phone_account_id, 0), c.phone_number, r.resident_number,"           \
    " c.started_at, c.reported_seconds, c.billed_seconds, c.billed_minutes, c.rate_cents, c.amount_cents,"           \
    " c.cut_at_balance, c.outcome, c.created_at"
#define CALL_FROM " FROM phone_calls c JOIN residents r ON r.id = c.resident_id"

static bool call_read(db_stmt *s, arena *a, phone_call *out)
{
    memset(out, 0, sizeof *out);
    out->id = db_int(s, 0);
    out->facility_id = db_int(s, 1);
    out->call_id = arena_strdup(a, db_text(s, 2) != NULL ? db_text(s, 2) : "");
    out->phone_account_id = db_int(s, 3);
    const char *number = db_text(s, 4);
    snprintf(out->phone_number, sizeof out->phone_number, "%s", number != NULL ? number : "");
    out->resident_number = arena_strdup(a, db_text(s, 5) != NULL ? db_text(s, 5) : "");
    out->started_at = db_int(s, 6);
    out->rating = (phone_call_rating){.reported_seconds = db_int(s, 7), .billed_seconds = db_int(s, 8),
                                      .billed_minutes = db_int(s, 9), .rate_cents = db_int(s, 10),
                                      .amount_cents = db_int(s, 11), .cut_at_balance = db_int(s, 12) != 0};
    out->created_at = db_int(s, 14);
    return phone_call_outcome_parse(db_text(s, 13), &out->outcome);
}

/* The call recorded at facility_id under call_id; *found false when none. */
static kite_err call_find(db_conn *conn, arena *a, int64_t facility_id, const char *call_id, phone_call *out,
                          bool *found)
{
    db_stmt *s = db_prepare(conn, "SELECT " CALL_COLUMNS CALL_FROM " WHERE c.facility_id = $1 AND c.call_id = $2");
    db_bind_int(s, 1, facility_id);
    db_bind_text(s, 2, call_id);
    *found = db_next(s);
    bool known = *found && call_read(s, a, out);
    kite_err err = db_done(s);
    return err != KITE_OK ? err : *found && !known ? KITE_ERR_INTERNAL : KITE_OK;
}

typedef struct call_args {
    arena *a;
    int64_t now;
    const phone_key *key;
    const phone_call_input *in;
    char number[PHONE_NUMBER_MAX + 1];
    phone_call *out;
    bool *replayed;
    kite_fault *f;
} call_args;

/* A row found under the same call id: the same call (a replay) or another one (a conflict). */
static kite_err call_replay(const call_args *c)
{
    const phone_call *old = c->out;
    bool same = strcmp(old->phone_number, c->number) == 0 && strcmp(old->resident_number, c->in->resident_number) == 0 &&
                old->started_at == c->in->started_at && old->rating.reported_seconds == c->in->duration_seconds;
    *c->replayed = true;
    return same ? KITE_OK : fault_set(c->f, KITE_ERR_CONFLICT, "call_id", FAULT_PHONE_CALL_REUSED);
}

/* The phone account for the number at the facility: its id and ledger account (0 when none). */
static kite_err account_for_number(db_conn *conn, const call_args *c, int64_t *id, int64_t *ledger_id, int64_t *balance)
{
    db_stmt *s = db_prepare(conn, "SELECT p.id, p.ledger_account_id, l.balance FROM phone_accounts p JOIN ledger_accounts l"
                                  " ON l.id = p.ledger_account_id WHERE p.facility_id = $1 AND p.phone_number = $2");
    db_bind_int(s, 1, c->key->facility_id);
    db_bind_text(s, 2, c->number);
    *id = *ledger_id = *balance = 0;
    if (db_next(s)) {
        *id = db_int(s, 0);
        *ledger_id = db_int(s, 1);
        *balance = db_int(s, 2);
    }
    return db_done(s);
}

/* The posting phone account -> the facility's provider_revenue; *tx_id 0 when nothing is owed. */
static kite_err call_charge(db_conn *conn, const call_args *c, int64_t ledger_id, int64_t amount, int64_t *tx_id)
{
    *tx_id = 0;
    if (amount == 0)
        return KITE_OK;
    char actor[48], reference[LEDGER_REFERENCE_MAX_BYTES + 1], memo[120];
    snprintf(actor, sizeof actor, "facility_api_key:%" PRId64, c->key->id);
    snprintf(reference, sizeof reference, "call:%" PRId64 ":%s", c->key->facility_id, c->in->call_id);
    snprintf(memo, sizeof memo, "Call from resident %s, %" PRId64 " min%s", c->in->resident_number,
             c->out->rating.billed_minutes, c->out->rating.cut_at_balance ? " (cut at balance)" : "");
    int64_t revenue_id;
    kite_err err = ledger_account_open(conn, c->now, actor, LEDGER_PROVIDER_REVENUE,
                                       (ledger_owner){.facility_id = c->key->facility_id}, LEDGER_CENTS, &revenue_id);
    if (err != KITE_OK)
        return err;
    ledger_line lines[2] = {{ledger_id, -amount}, {revenue_id, amount}};
    ledger_posting p = {LEDGER_TX_CALL, memo, reference, actor, lines, 2};
    return ledger_post(conn, c->now, &p, tx_id);
}

static kite_err call_insert(db_conn *conn, const call_args *c, int64_t resident_id, int64_t tx_id)
{
    const phone_call *o = c->out;
    db_stmt *s = db_prepare(conn, "INSERT INTO phone_calls (facility_id, call_id, api_key_id, phone_account_id, phone_number,"
                                  " resident_id, started_at, reported_seconds, billed_seconds, billed_minutes, rate_cents,"
                                  " amount_cents, cut_at_balance, outcome, transaction_id, created_at) VALUES ($1, $2, $3,"
                                  " $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id");
    db_bind_int(s, 1, c->key->facility_id);
    db_bind_text(s, 2, c->in->call_id);
    db_bind_int(s, 3, c->key->id);
    if (o->phone_account_id != 0)
        db_bind_int(s, 4, o->phone_account_id);
    else
        db_bind_null(s, 4);
    db_bind_text(s, 5, c->number);
    db_bind_int(s, 6, resident_id);
    db_bind_int(s, 7, c->in->started_at);
    db_bind_int(s, 8, o->rating.reported_seconds);
    db_bind_int(s, 9, o->rating.billed_seconds);
    db_bind_int(s, 10, o->rating.billed_minutes);
    db_bind_int(s, 11, o->rating.rate_cents);
    db_bind_int(s, 12, o->rating.amount_cents);
    db_bind_int(s, 13, o->rating.cut_at_balance ? 1 : 0);
    db_bind_text(s, 14, phone_call_outcome_name(o->outcome));
    if (tx_id != 0)
        db_bind_int(s, 15, tx_id);
    else
        db_bind_null(s, 15);
    db_bind_int(s, 16, c->now);
    int64_t id = db_next(s) ? db_int(s, 0) : 0;
    kite_err err = db_done(s);
    if (err != KITE_OK)
        return err;
    if (o->phone_account_id != 0) {
        s = db_prepare(conn, "UPDATE phone_accounts SET last_activity_at = $1 WHERE id = $2");
        db_bind_int(s, 1, c->now);
        db_bind_int(s, 2, o->phone_account_id);
        if ((err = db_exec(s)) != KITE_OK)
            return err;
    }
    char actor[48], target[40], detail[120];
    snprintf(actor, sizeof actor, "facility_api_key:%" PRId64, c->key->id);
    snprintf(target, sizeof target, "phone_call:%" PRId64, id);
    snprintf(detail, sizeof detail, "outcome=%s amount_cents=%" PRId64 " cut_at_balance=%d",
             phone_call_outcome_name(o->outcome), o->rating.amount_cents, o->rating.cut_at_balance ? 1 : 0);
    return audit_append(conn, c->now, actor, "phone.call", target, detail);
}

/* Rates the call against the account's balance and decides its outcome (see phone.h). */
static kite_err call_rate(db_conn *conn, call_args *c, int64_t *ledger_id)
{
    facility_prices prices;
    int64_t balance = 0;
    kite_err err = facility_prices_load(conn, c->a, c->key->facility_id, &prices, c->f);
    if (err == KITE_OK)
        err = account_for_number(conn, c, &c->out->phone_account_id, ledger_id, &balance);
    if (err != KITE_OK ||
        (err = phone_rate_call(c->in->duration_seconds, prices.audio_cents_per_minute, balance, &c->out->rating, c->f)) !=
            KITE_OK)
        return err;
    c->out->outcome = PHONE_CALL_BILLED;
    if (c->out->phone_account_id == 0 || (c->out->rating.billed_minutes == 0 && c->out->rating.reported_seconds > 0)) {
        c->out->outcome = c->out->phone_account_id == 0 ? PHONE_CALL_NO_ACCOUNT : PHONE_CALL_BALANCE_EMPTY;
        /* Nothing is charged for a call that cannot be: the record keeps what was reported, and the rate. */
        c->out->rating.billed_seconds = c->out->rating.billed_minutes = c->out->rating.amount_cents = 0;
        c->out->rating.cut_at_balance = false;
    }
    return KITE_OK;
}

static kite_err call_tx(db_conn *conn, void *data)
{
    call_args *c = data;
    bool found;
    kite_err err = phone_key_touch(conn, c->key->id, c->now);
    if (err != KITE_OK || (err = call_find(conn, c->a, c->key->facility_id, c->in->call_id, c->out, &found)) != KITE_OK)
        return err;
    if (found)
        return call_replay(c);
    resident r = {0};
    err = resident_load(conn, c->a, c->key->facility_id, c->in->resident_number, &r);
    if (err == KITE_ERR_NOT_FOUND)
        return fault_set(c->f, KITE_ERR_INVALID_FIELD, "resident_number", FAULT_PHONE_RESIDENT);
    int64_t ledger_id = 0, tx_id = 0;
    if (err != KITE_OK || (err = call_rate(conn, c, &ledger_id)) != KITE_OK)
        return err;
    if (c->out->outcome == PHONE_CALL_BILLED &&
        (err = call_charge(conn, c, ledger_id, c->out->rating.amount_cents, &tx_id)) != KITE_OK)
        return err;
    if ((err = call_insert(conn, c, r.id, tx_id)) != KITE_OK)
        return err;
    return call_find(conn, c->a, c->key->facility_id, c->in->call_id, c->out, &found);
}

static bool call_id_valid(const char *id)
{
    size_t len = id != NULL ? strlen(id) : 0;
    if (len == 0 || len > PHONE_CALL_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (id[i] <= ' ' || id[i] > '~')
            return false;
    return true;
}

kite_err phone_call_record(const kite_ctx *ctx, arena *a, const phone_key *key, const phone_call_input *in,
                           phone_call *out, bool *replayed, kite_fault *f)
{
    fault_set(f, KITE_OK, NULL, FAULT_NONE);
    memset(out, 0, sizeof *out);
    *replayed = false;
    if (!call_id_valid(in->call_id)) {
        fault_set(f, KITE_ERR_INVALID_FIELD, "call_id", FAULT_LENGTH);
        f->limit = PHONE_CALL_ID_MAX;
        return KITE_ERR_INVALID_FIELD;
    }
    call_args c = {.a = a, .now = clock_now_ms(&ctx->clock), .key = key, .in = in, .out = out, .replayed = replayed, .f = f};
    if (!phone_number_normalize(in->phone_number, c.number))
        return fault_set(f, KITE_ERR_INVALID_FIELD, "phone_number", FAULT_FORMAT);
    if (in->resident_number == NULL || in->resident_number[0] == '\0')
        return fault_set(f, KITE_ERR_INVALID_FIELD, "resident_number", FAULT_REQUIRED);
    phone_call_rating check;
    if (phone_rate_call(in->duration_seconds, 0, 0, &check, f) != KITE_OK)
        return KITE_ERR_INVALID_FIELD;
    return fault_settle(f, db_write(ctx->store, call_tx, &c));
}

/* ---- listing --------------------------------------------------------------- */

typedef struct page_args {
    arena *a;
    int64_t account_id, phone_account_id, before;
    size_t limit;
    phone_call **items;
    size_t *count;
    int64_t *next_before;
} page_args;

static kite_err page_tx(db_conn *conn, void *data)
{
    page_args *p = data;
    db_stmt *s = db_prepare(conn, "SELECT 1 FROM phone_accounts WHERE id = $1 AND account_id = $2");
    db_bind_int(s, 1, p->phone_account_id);
    db_bind_int(s, 2, p->account_id);
    bool mine = db_next(s);
    kite_err err = db_done(s);
    if (err != KITE_OK || !mine)
        return err != KITE_OK ? err : KITE_ERR_NOT_FOUND;
    *p->items = arena_zalloc(p->a, (p->limit + 1) * sizeof **p->items);
    *p->count = 0;
    *p->next_before = 0;
    s = db_prepare(conn, "SELECT " CALL_COLUMNS CALL_FROM " WHERE c.phone_account_id = $1 AND ($2 = 0 OR c.id < $2)"
                         " ORDER BY c.id DESC LIMIT $3");
    db_bind_int(s, 1, p->phone_account_id);
    db_bind_int(s, 2, p->before);
    db_bind_int(s, 3, (int64_t)p->limit + 1);
    while (*p->count <= p->limit && db_next(s))
        if (call_read(s, p->a, &(*p->items)[*p->count]))
            (*p->count)++;
    if (*p->count > p->limit) {
        *p->count = p->limit;
        *p->next_before = (*p->items)[p->limit - 1].id;
    }
    return db_done(s);
}

kite_err phone_calls_page(const kite_ctx *ctx, arena *a, int64_t account_id, int64_t phone_account_id, int64_t before,
                          size_t limit, phone_call **items, size_t *count, int64_t *next_before)
{
    if (limit == 0 || limit > PHONE_CALLS_PAGE_MAX)
        limit = PHONE_CALLS_PAGE_MAX;
    page_args p = {a, account_id, phone_account_id, before, limit, items, count, next_before};
    return db_read(ctx->store, page_tx, &p);
}
