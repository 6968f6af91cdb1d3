/*
 * phone.c - phone numbers, the rating of a call, phone accounts, deposits
 * and refunds (see phone.h; call records are phone_calls.c).
 *
 * Design: each request is one db_write (or db_read).  A deposit or refund
 * is one ledger posting with a reference built from the phone account and
 * the client's key, so the ledger itself finds a replay; the answer of a
 * replay is read back from that posting's entries, so it is the first
 * answer, not today's balances.
 *
 * SECURITY: money.  Amounts are bounded before anything is read; the
 * ledger refuses a posting below zero; a phone account is read only with
 * its owner's account id.  Phone numbers are reduced to E.164 digits here,
 * so nothing else of what was typed reaches the store.
 */
#include "domain/ledger/phone.h"

#include "domain/audit/audit.h"
#include "domain/ledger/fcc.h"
#include "domain/ledger/ledger.h"
#include "domain/ledger/prices.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const outcome_names[PHONE_CALL_OUTCOME_COUNT] = {
    [PHONE_CALL_BILLED] = "billed",
    [PHONE_CALL_NO_ACCOUNT] = "no_account",
    [PHONE_CALL_BALANCE_EMPTY] = "balance_empty",
};

const char *phone_call_outcome_name(phone_call_outcome o)
{
    return (unsigned)o < PHONE_CALL_OUTCOME_COUNT ? outcome_names[o] : "unknown";
}

bool phone_call_outcome_parse(const char *name, phone_call_outcome *out)
{
    for (int i = 0; name != NULL && i < PHONE_CALL_OUTCOME_COUNT; i++)
        if (strcmp(outcome_names[i], name) == 0) {
            *out = (phone_call_outcome)i;
            return true;
        }
    return false;
}

/* ---- numbers and rating --------------------------------------------------- */

bool phone_number_normalize(const char *typed, char out[PHONE_NUMBER_MAX + 1])
{
    char digits[PHONE_NUMBER_MAX + 1];
    size_t n = 0;
    bool plus = false;
    if (typed == NULL)
        return false;
    for (const char *p = typed; *p != '\0'; p++) {
        if (*p >= '0' && *p <= '9') {
            if (n == 15) /* E.164 has at most 15 digits */
                return false;
            digits[n++] = *p;
        } else if (*p == '+' && n == 0 && !plus)
            plus = true;
        else if (strchr(" .-()", *p) == NULL)
            return false;
    }
    digits[n] = '\0';
    if (!plus && n == 11 && digits[0] == '1') {
        memmove(digits, digits + 1, 11);
        n = 10;
    }
    size_t at = 0;
    out[at++] = '+';
    if (!plus && n == 10 && digits[0] >= '2') /* a US number: the area code never starts with 0 or 1 */
        out[at++] = '1';
    else if (!plus || n < 8 || n > 15 || digits[0] == '0')
        return false;
    memcpy(out + at, digits, n + 1);
    return true;
}

kite_err phone_rate_call(int64_t seconds, int64_t rate_cents, int64_t balance_cents, phone_call_rating *out,
                         kite_fault *f)
{
    fault_set(f, KITE_OK, NULL, FAULT_NONE);
    if (seconds < 0 || seconds > PHONE_CALL_MAX_SECONDS) {
        fault_set(f, KITE_ERR_INVALID_FIELD, "duration_seconds", FAULT_RANGE);
        f->min = 0;
        f->max = PHONE_CALL_MAX_SECONDS;
        return KITE_ERR_INVALID_FIELD;
    }
    if (rate_cents < 0 || balance_cents < 0)
        return fault_settle(f, KITE_ERR_INTERNAL);
    int64_t minutes = (seconds + 59) / 60; /* a started minute is a minute */
    *out = (phone_call_rating){.reported_seconds = seconds, .billed_seconds = seconds, .billed_minutes = minutes,
                               .rate_cents = rate_cents};
    /* minutes <= 1440 and rate <= an FCC cap of cents: the product cannot overflow. */
    if (rate_cents > 0 && minutes * rate_cents > balance_cents) {
        out->billed_minutes = balance_cents / rate_cents;
        out->billed_seconds = out->billed_minutes * 60;
        out->cut_at_balance = true;
    }
    out->amount_cents = out->billed_minutes * rate_cents;
    return KITE_OK;
}

/* ---- phone accounts ------------------------------------------------------- */

#define ACCOUNT_COLUMNS                                                                                              \
    "p.id, p.account_id, p.facility_id, p.phone_number, l.balance, p.created_at, p.last_activity_at"
#define ACCOUNT_FROM " FROM phone_accounts p JOIN ledger_accounts l ON l.id = p.ledger_account_id"

static void account_read(db_stmt *s, phone_account *out)
{
    memset(out, 0, sizeof *out);
    out->id = db_int(s, 0);
    out->account_id = db_int(s, 1);
    out->facility_id = db_int(s, 2);
    const char *number = db_text(s, 3);
    snprintf(out->phone_number, sizeof out->phone_number, "%s", number != NULL ? number : "");
    out->balance_cents = db_int(s, 4);
    out->created_at = db_int(s, 5);
    out->last_activity_at = db_int(s, 6);
}

/* The facility's audio rate now, for the price shown; 0 when it cannot be priced (not on Kite). */
/*
 * The facility's phone rate now.  A facility whose prices cannot be read as
 * a schedule (no longer on the platform) shows 0; a store that cannot be
 * read is an error, never a rate of 0 shown as if it were the price.
 */
static kite_err rate_now(db_conn *conn, arena *a, int64_t facility_id, int64_t *rate)
{
    facility_prices prices;
    kite_fault ignored = {0};
    kite_err err = facility_prices_load(conn, a, facility_id, &prices, &ignored);
    *rate = err == KITE_OK ? prices.audio_cents_per_minute : 0;
    return kite_err_status(err) >= 500 ? err : KITE_OK;
}

/* The contact's phone account id (0: any owner); KITE_ERR_NOT_FOUND when it is not theirs. */
static kite_err account_load(db_conn *conn, arena *a, int64_t account_id, int64_t id, phone_account *out)
{
    db_stmt *s = db_prepare(conn, "SELECT " ACCOUNT_COLUMNS ACCOUNT_FROM " WHERE p.id = $1 AND p.account_id = $2");
    db_bind_int(s, 1, id);
    db_bind_int(s, 2, account_id);
    bool found = db_next(s);
    if (found)
        account_read(s, out);
    kite_err err = db_done(s);
    if (err == KITE_OK && found && a != NULL)
        err = rate_now(conn, a, out->facility_id, &out->rate_cents);
    return err != KITE_OK ? err : found ? KITE_OK : KITE_ERR_NOT_FOUND;
}

typedef struct open_args {
    arena *a;
    int64_t now, account_id, facility_id;
    const char *actor;
    const char *number;
    phone_account *out;
    kite_fault *f;
} open_args;

/* Who holds the number at the facility, and whether the contact has an account there. */
static kite_err open_conflicts(db_conn *conn, const open_args *o)
{
    db_stmt *s = db_prepare(conn, "SELECT account_id <> $2 FROM phone_accounts WHERE facility_id = $1 AND"
                                  " (phone_number = $3 OR account_id = $2) ORDER BY account_id <> $2 DESC LIMIT 1");
    db_bind_int(s, 1, o->facility_id);
    db_bind_int(s, 2, o->account_id);
    db_bind_text(s, 3, o->number);
    bool found = db_next(s);
    bool someone_else = found && db_int(s, 0) != 0;
    kite_err err = db_done(s);
    if (err != KITE_OK || !found)
        return err;
    /* Someone else's number is theirs; the caller's own account there (this number or another) is the caller's. */
    return someone_else ? fault_set(o->f, KITE_ERR_CONFLICT, "phone_number", FAULT_PHONE_TAKEN)
                        : fault_set(o->f, KITE_ERR_CONFLICT, "facility_id", FAULT_PHONE_ONE_PER_FACILITY);
}

static kite_err open_tx(db_conn *conn, void *data)
{
    open_args *o = data;
    facility_prices prices;
    int64_t ledger_id;
    kite_err err = facility_prices_load(conn, o->a, o->facility_id, &prices, o->f);
    if (err != KITE_OK || (err = open_conflicts(conn, o)) != KITE_OK)
        return err;
    err = ledger_account_open(conn, o->now, o->actor, LEDGER_PHONE_ACCOUNT,
                              (ledger_owner){.account_id = o->account_id, .facility_id = o->facility_id}, LEDGER_CENTS,
                              &ledger_id);
    if (err != KITE_OK)
        return err;
    db_stmt *s = db_prepare(conn, "INSERT INTO phone_accounts (account_id, facility_id, phone_number, ledger_account_id,"
                                  " created_at, last_activity_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id");
    db_bind_int(s, 1, o->account_id);
    db_bind_int(s, 2, o->facility_id);
    db_bind_text(s, 3, o->number);
    db_bind_int(s, 4, ledger_id);
    db_bind_int(s, 5, o->now);
    int64_t id = db_next(s) ? db_int(s, 0) : 0;
    if ((err = db_done(s)) != KITE_OK)
        return err;
    char target[40], detail[80];
    snprintf(target, sizeof target, "phone_account:%" PRId64, id);
    snprintf(detail, sizeof detail, "facility_id=%" PRId64 " number=%s", o->facility_id, o->number);
    if ((err = audit_append(conn, o->now, o->actor, "phone.account_open", target, detail)) != KITE_OK)
        return err;
    return account_load(conn, o->a, o->account_id, id, o->out);
}

kite_err phone_account_open(const kite_ctx *ctx, arena *a, int64_t account_id, const char *actor, int64_t facility_id,
                            const char *typed_number, phone_account *out, kite_fault *f)
{
    char number[PHONE_NUMBER_MAX + 1];
    memset(out, 0, sizeof *out);
    fault_set(f, KITE_OK, NULL, FAULT_NONE);
    if (!phone_number_normalize(typed_number, number))
        return fault_set(f, KITE_ERR_INVALID_FIELD, "phone_number", FAULT_FORMAT);
    open_args o = {a, clock_now_ms(&ctx->clock), account_id, facility_id, actor, number, out, f};
    return fault_settle(f, db_write(ctx->store, open_tx, &o));
}

typedef struct list_args {
    arena *a;
    int64_t account_id, id;
    phone_account *one;
    phone_account **items;
    size_t *count;
} list_args;

static kite_err list_tx(db_conn *conn, void *data)
{
    list_args *l = data;
    *l->items = arena_zalloc(l->a, PHONE_ACCOUNTS_MAX * sizeof **l->items);
    *l->count = 0;
    db_stmt *s = db_prepare(conn, "SELECT " ACCOUNT_COLUMNS ACCOUNT_FROM " WHERE p.account_id = $1 ORDER BY p.id LIMIT $2");
    db_bind_int(s, 1, l->account_id);
    db_bind_int(s, 2, PHONE_ACCOUNTS_MAX);
    while (*l->count < PHONE_ACCOUNTS_MAX && db_next(s))
        account_read(s, &(*l->items)[(*l->count)++]);
    kite_err err = db_done(s);
    for (size_t i = 0; err == KITE_OK && i < *l->count; i++)
        err = rate_now(conn, l->a, (*l->items)[i].facility_id, &(*l->items)[i].rate_cents);
    return err;
}

kite_err phone_account_list(const kite_ctx *ctx, arena *a, int64_t account_id, phone_account **items, size_t *count)
{
    list_args l = {a, account_id, 0, NULL, items, count};
    return db_read(ctx->store, list_tx, &l);
}

static kite_err get_tx(db_conn *conn, void *data)
{
    list_args *l = data;
    return account_load(conn, l->a, l->account_id, l->id, l->one);
}

kite_err phone_account_get(const kite_ctx *ctx, arena *a, int64_t account_id, int64_t phone_account_id,
                           phone_account *out)
{
    memset(out, 0, sizeof *out);
    list_args l = {a, account_id, phone_account_id, out, NULL, NULL};
    return db_read(ctx->store, get_tx, &l);
}

/* ---- deposits and refunds -------------------------------------------------- */

static bool key_valid(const char *key)
{
    size_t len = key != NULL ? strlen(key) : 0;
    if (len == 0 || len > PHONE_KEY_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (key[i] <= ' ' || key[i] > '~')
            return false;
    return true;
}

typedef struct move_args {
    int64_t now, account_id, phone_account_id;
    const char *actor;
    const char *key;
    int64_t amount;   /* a deposit's; a refund's is the balance */
    bool refund;
    phone_money_move *out;
    bool *replayed;
    kite_fault *f;
} move_args;

/* The posting's id and what it left in both accounts, read from its entries. */
static kite_err move_answer(db_conn *conn, const char *reference, int64_t phone_ledger_id, int64_t balance_id,
                            phone_money_move *out)
{
    db_stmt *s = db_prepare(conn, "SELECT e.transaction_id, e.account_id, e.amount, e.balance_after FROM ledger_entries e"
                                  " JOIN ledger_transactions t ON t.id = e.transaction_id WHERE t.reference = $1");
    db_bind_text(s, 1, reference);
    while (db_next(s)) {
        out->transaction_id = db_int(s, 0);
        if (db_int(s, 1) == phone_ledger_id) {
            int64_t amount = db_int(s, 2);
            out->amount_cents = amount < 0 ? -amount : amount;
            out->phone_balance_cents = db_int(s, 3);
        } else if (db_int(s, 1) == balance_id)
            out->contact_balance_cents = db_int(s, 3);
    }
    out->fee_cents = PHONE_DEPOSIT_FEE_CENTS;
    return db_done(s);
}

static kite_err touch_and_audit(db_conn *conn, const move_args *m)
{
    db_stmt *s = db_prepare(conn, "UPDATE phone_accounts SET last_activity_at = $1 WHERE id = $2");
    db_bind_int(s, 1, m->now);
    db_bind_int(s, 2, m->phone_account_id);
    kite_err err = db_exec(s);
    if (err != KITE_OK)
        return err;
    char target[40], detail[80];
    snprintf(target, sizeof target, "phone_account:%" PRId64, m->phone_account_id);
    snprintf(detail, sizeof detail, "amount_cents=%" PRId64 " fee_cents=0", m->out->amount_cents);
    return audit_append(conn, m->now, m->actor, m->refund ? "phone.refund" : "phone.deposit", target, detail);
}

static kite_err reference_used(db_conn *conn, const char *reference, bool *used)
{
    db_stmt *s = db_prepare(conn, "SELECT 1 FROM ledger_transactions WHERE reference = $1");
    db_bind_text(s, 1, reference);
    *used = db_next(s);
    return db_done(s);
}

static kite_err move_tx(db_conn *conn, void *data)
{
    move_args *m = data;
    phone_account acct;
    int64_t phone_ledger_id = 0, balance_id = 0, tx_id;
    char reference[LEDGER_REFERENCE_MAX_BYTES + 1];
    snprintf(reference, sizeof reference, "%s:%" PRId64 ":%s", m->refund ? "phone_refund" : "phone_deposit",
             m->phone_account_id, m->key);
    kite_err err = account_load(conn, NULL, m->account_id, m->phone_account_id, &acct);
    if (err == KITE_OK)
        err = ledger_account_open(conn, m->now, m->actor, LEDGER_PHONE_ACCOUNT,
                                  (ledger_owner){.account_id = m->account_id, .facility_id = acct.facility_id},
                                  LEDGER_CENTS, &phone_ledger_id);
    if (err == KITE_OK)
        err = ledger_account_open(conn, m->now, m->actor, LEDGER_CONTACT_BALANCE,
                                  (ledger_owner){.account_id = m->account_id}, LEDGER_CENTS, &balance_id);
    if (err != KITE_OK || (err = reference_used(conn, reference, m->replayed)) != KITE_OK)
        return err;
    if (*m->replayed) {
        err = move_answer(conn, reference, phone_ledger_id, balance_id, m->out);
        /* The same key for another amount is another request: refused, not answered as the first. */
        return err == KITE_OK && !m->refund && m->out->amount_cents != m->amount ? KITE_ERR_IDEMPOTENCY_KEY_REUSED : err;
    }
    int64_t amount = m->refund ? acct.balance_cents : m->amount;
    if (amount == 0)
        return fault_set(m->f, KITE_ERR_CONFLICT, "amount_cents", FAULT_PHONE_NOTHING);
    int64_t from = m->refund ? phone_ledger_id : balance_id, to = m->refund ? balance_id : phone_ledger_id;
    ledger_line lines[2] = {{from, -amount}, {to, amount}};
    const char *memo = m->refund ? "Phone account refund (whole balance, no fee)" : "Phone account deposit (no fee)";
    ledger_posting p = {m->refund ? LEDGER_TX_REFUND : LEDGER_TX_DEPOSIT, memo, reference, m->actor, lines, 2};
    if ((err = ledger_post(conn, m->now, &p, &tx_id)) != KITE_OK)
        return err;
    if ((err = move_answer(conn, reference, phone_ledger_id, balance_id, m->out)) != KITE_OK)
        return err;
    return touch_and_audit(conn, m);
}

static kite_err move_run(const kite_ctx *ctx, move_args *m)
{
    fault_set(m->f, KITE_OK, NULL, FAULT_NONE);
    memset(m->out, 0, sizeof *m->out);
    *m->replayed = false;
    if (!key_valid(m->key)) {
        fault_set(m->f, KITE_ERR_INVALID_FIELD, "Idempotency-Key", FAULT_LENGTH);
        m->f->limit = PHONE_KEY_MAX;
        return KITE_ERR_INVALID_FIELD;
    }
    m->now = clock_now_ms(&ctx->clock);
    kite_err err = db_write(ctx->store, move_tx, m);
    if (err == KITE_ERR_IDEMPOTENCY_KEY_REUSED)
        fault_set(m->f, err, "Idempotency-Key", FAULT_NONE);
    return fault_settle(m->f, err);
}

kite_err phone_deposit(const kite_ctx *ctx, int64_t account_id, const char *actor, int64_t phone_account_id,
                       const char *key, int64_t amount_cents, phone_money_move *out, bool *replayed, kite_fault *f)
{
    memset(out, 0, sizeof *out);
    fault_set(f, KITE_OK, NULL, FAULT_NONE);
    /* The FCC's ban, checked where the money moves: a fee other than 0 can never be configured in. */
    if (fcc_check_phone_deposit_fee(PHONE_DEPOSIT_FEE_CENTS, f) != KITE_OK)
        return KITE_ERR_INTERNAL;
    if (amount_cents < PHONE_DEPOSIT_MIN_CENTS || amount_cents > PHONE_DEPOSIT_MAX_CENTS) {
        fault_set(f, KITE_ERR_INVALID_FIELD, "amount_cents", FAULT_PHONE_DEPOSIT_AMOUNT);
        f->min = PHONE_DEPOSIT_MIN_CENTS;
        f->max = PHONE_DEPOSIT_MAX_CENTS;
        return KITE_ERR_INVALID_FIELD;
    }
    move_args m = {0, account_id, phone_account_id, actor, key, amount_cents, false, out, replayed, f};
    return move_run(ctx, &m);
}

kite_err phone_refund(const kite_ctx *ctx, int64_t account_id, const char *actor, int64_t phone_account_id,
                      const char *key, phone_money_move *out, bool *replayed, kite_fault *f)
{
    memset(out, 0, sizeof *out);
    fault_set(f, KITE_OK, NULL, FAULT_NONE);
    move_args m = {0, account_id, phone_account_id, actor, key, 0, true, out, replayed, f};
    return move_run(ctx, &m);
}
