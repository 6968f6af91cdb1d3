/*
 * message_charge.c - the price of a message and its hold (see message_charge.h).
 *
 * Design: the quote reads, never opens, the payer's account: a quote writes
 * nothing, and a payer without an account has 0 and is refused before the
 * hold would open one.  Capture and release find the hold by its message,
 * so every path that delivers or drops a message settles it the same way,
 * and a message that cost nothing simply has no hold.
 *
 * SECURITY: money.  The amount held is computed here from the stored
 * schedule, never taken from the client (expected_amount is only compared);
 * the ledger refuses a hold past the payer's balance even if two sends race.
 */
#include "domain/messaging/message_charge.h"

#include "domain/ledger/hold.h"
#include "domain/ledger/ledger.h"
#include "domain/ledger/prices.h"
#include "domain/messaging/message_store.h"

/* What the sender of a message closed because its resident left is told (messages.reject_reason and label). */
#define MESSAGE_RESIDENT_LEFT_REASON "resident_left"
#define MESSAGE_RESIDENT_LEFT_LABEL "The person this was for was released or moved before it was delivered"

ledger_unit message_charge_unit(price_unit u)
{
    return u == PRICE_UNIT_STAMPS ? LEDGER_UNIT_STAMPS : u == PRICE_UNIT_CREDITS ? LEDGER_UNIT_CREDITS : LEDGER_CENTS;
}

/* The payer's account of kind and unit, read only: id 0 and balance 0 when never opened. */
static kite_err payer_account(db_conn *conn, const message_payer *p, message_charge *c)
{
    bool bundle = c->payer_kind == LEDGER_STAMPS || c->payer_kind == LEDGER_CREDITS;
    db_stmt *s = db_prepare(conn, "SELECT id, balance FROM ledger_accounts WHERE kind = $1 AND unit = $2 AND"
                                  " COALESCE(account_id, 0) = $3 AND COALESCE(resident_id, 0) = $4 AND"
                                  " COALESCE(facility_id, 0) = $5");
    db_bind_text(s, 1, ledger_kind_name(c->payer_kind));
    db_bind_text(s, 2, ledger_unit_name(c->unit));
    db_bind_int(s, 3, p->from_resident ? 0 : p->account_id);
    db_bind_int(s, 4, p->from_resident ? p->resident_id : 0);
    db_bind_int(s, 5, bundle ? p->facility_id : 0);
    c->payer_account_id = 0;
    c->balance = 0;
    if (db_next(s)) {
        c->payer_account_id = db_int(s, 0);
        c->balance = db_int(s, 1);
    }
    return db_done(s);
}

/* True when account_id has a subscription for facility_id covering now. */
static kite_err subscription_active(db_conn *conn, int64_t account_id, int64_t facility_id, int64_t now, bool *active)
{
    db_stmt *s = db_prepare(conn, "SELECT 1 FROM wallet_subscriptions WHERE account_id = $1 AND facility_id = $2"
                                  " AND starts_at <= $3 AND ends_at > $3");
    db_bind_int(s, 1, account_id);
    db_bind_int(s, 2, facility_id);
    db_bind_int(s, 3, now);
    *active = db_next(s);
    return db_done(s);
}

/* Under a subscription the text is covered while it is active; photos never are. */
static kite_err apply_subscription(db_conn *conn, int64_t now, const message_payer *p, const price_schedule *s,
                                   message_charge *c, kite_fault *f)
{
    if (s->model != PRICING_SUBSCRIPTION || p->from_resident)
        return KITE_OK;
    bool active = false;
    kite_err err = subscription_active(conn, p->account_id, p->facility_id, now, &active);
    if (err != KITE_OK)
        return fault_settle(f, err);
    if (!active) {
        c->needs_subscription = true;
        c->subscription_cents = s->subscription_cents_per_month;
    }
    return KITE_OK;
}

/* A resident pays in cents: bundle units at their full unit price (see message_charge.h). */
static kite_err resident_amount(const price_schedule *s, const price_quote *q, int64_t *cents, kite_fault *f)
{
    int64_t unit_cents = q->unit == PRICE_UNIT_STAMPS    ? s->stamp_unit_cents
                         : q->unit == PRICE_UNIT_CREDITS ? s->credit_unit_cents
                                                         : 1;
    if (__builtin_mul_overflow(q->amount, unit_cents, cents) || *cents > PRICE_MAX_CENTS) {
        fault_set(f, KITE_ERR_INVALID_FIELD, "body", FAULT_AMOUNT_MAX);
        f->limit = PRICE_MAX_CENTS;
        return f->code;
    }
    return KITE_OK;
}

/* Fills the payer's side of c from the quote: which account, which unit, how much. */
static kite_err payer_side(const message_payer *p, const facility_prices *fp, bool federal, message_charge *c,
                           kite_fault *f)
{
    const price_quote *q = &c->quote;
    if (p->from_resident) {
        c->payer_kind = LEDGER_RESIDENT_TRUST;
        c->unit = LEDGER_CENTS;
        if (federal) /* residents pay terminal time there, not messages */
            return KITE_OK;
        kite_err err = resident_amount(&fp->schedule, q, &c->amount, f);
        c->price_cents = c->amount;
        return err;
    }
    c->unit = message_charge_unit(q->unit);
    c->payer_kind = c->unit == LEDGER_UNIT_STAMPS    ? LEDGER_STAMPS
                    : c->unit == LEDGER_UNIT_CREDITS ? LEDGER_CREDITS
                                                     : LEDGER_CONTACT_BALANCE;
    c->amount = q->amount;
    if (c->unit == LEDGER_CENTS) {
        c->price_cents = q->amount;
        return KITE_OK;
    }
    return resident_amount(&fp->schedule, q, &c->price_cents, f);
}

kite_err message_charge_quote(db_conn *conn, arena *a, int64_t now, const message_payer *payer,
                              const message_shape *shape, message_charge *out, kite_fault *f)
{
    facility_prices fp;
    kite_err err = facility_prices_load(conn, a, payer->facility_id, &fp, f);
    if (err != KITE_OK)
        return err;
    message_charge c = {0};
    if ((err = price_message(&fp.schedule, shape, &c.quote, f)) != KITE_OK)
        return err;
    if ((err = apply_subscription(conn, now, payer, &fp.schedule, &c, f)) != KITE_OK)
        return err;
    if (fp.schedule.model == PRICING_SUBSCRIPTION && !payer->from_resident && !c.needs_subscription) {
        c.quote.amount -= c.quote.text_amount; /* covered by the subscription */
        c.quote.text_amount = 0;
    }
    if ((err = payer_side(payer, &fp, payer->federal, &c, f)) != KITE_OK)
        return err;
    if ((err = payer_account(conn, payer, &c)) != KITE_OK)
        return fault_settle(f, err);
    c.enough = !c.needs_subscription && c.balance >= c.amount;
    *out = c;
    return KITE_OK;
}

kite_err message_charge_check(const message_charge *c, kite_fault *f)
{
    if (c->needs_subscription) {
        fault_set(f, KITE_ERR_INSUFFICIENT_FUNDS, NULL, FAULT_SUBSCRIPTION_NEEDED);
        f->limit = c->subscription_cents;
        return f->code;
    }
    if (c->enough)
        return KITE_OK;
    fault_detail d = c->payer_kind == LEDGER_RESIDENT_TRUST ? FAULT_MESSAGE_COST_TRUST
                     : c->unit == LEDGER_UNIT_STAMPS        ? FAULT_MESSAGE_COST_STAMPS
                     : c->unit == LEDGER_UNIT_CREDITS       ? FAULT_MESSAGE_COST_CREDITS
                                                            : FAULT_MESSAGE_COST_CENTS;
    fault_set(f, KITE_ERR_INSUFFICIENT_FUNDS, NULL, d);
    f->limit = c->amount;
    f->max = c->balance;
    return f->code;
}

kite_err message_charge_hold(db_conn *conn, int64_t now, const char *actor, int64_t message_id, const message_charge *c)
{
    if (c->amount == 0)
        return KITE_OK;
    if (c->payer_account_id == 0)
        return KITE_ERR_INSUFFICIENT_FUNDS; /* never opened: nothing to pay with */
    int64_t hold_id;
    return ledger_hold(conn, now, actor, LEDGER_SUBJECT_MESSAGE, message_id, c->payer_account_id, c->amount, c->unit,
                       &hold_id);
}

kite_err message_charge_capture(db_conn *conn, int64_t now, const char *actor, int64_t message_id, int64_t facility_id)
{
    ledger_hold_info h;
    kite_err err = ledger_hold_find(conn, LEDGER_SUBJECT_MESSAGE, message_id, &h);
    if (err == KITE_ERR_NOT_FOUND)
        return KITE_OK; /* it cost nothing */
    if (err != KITE_OK)
        return err;
    int64_t revenue;
    if ((err = ledger_account_open(conn, now, actor, LEDGER_PROVIDER_REVENUE, (ledger_owner){.facility_id = facility_id},
                                   h.unit, &revenue)) != KITE_OK)
        return err;
    const ledger_line split[] = {{revenue, h.amount}};
    return ledger_capture_found(conn, now, actor, &h, split, 1); /* h was read just now: not again */
}

kite_err message_charge_release(db_conn *conn, int64_t now, const char *actor, int64_t message_id)
{
    ledger_hold_info h;
    kite_err err = ledger_hold_find(conn, LEDGER_SUBJECT_MESSAGE, message_id, &h);
    if (err == KITE_ERR_NOT_FOUND)
        return KITE_OK;
    return err != KITE_OK ? err : ledger_release(conn, now, actor, h.id);
}

kite_err message_close_one(db_conn *conn, arena *a, int64_t message_id, int64_t now, const char *actor,
                           const char *reason, const char *label)
{
    message m;
    kite_err err = message_load(conn, a, message_id, &m);
    if (err != KITE_OK)
        return err;
    if (!message_transition_allowed(m.status, MESSAGE_REJECTED))
        return KITE_OK; /* approved is delivered in its own transaction: nothing else is open */
    db_stmt *s = db_prepare(conn,
        "UPDATE messages SET status = $1, decided_at = $2, reject_reason = $3, reject_label = $4 WHERE id = $5"
        " AND status = $6");
    db_bind_text(s, 1, message_status_name(MESSAGE_REJECTED));
    db_bind_int(s, 2, now);
    db_bind_text(s, 3, reason);
    db_bind_text(s, 4, label);
    db_bind_int(s, 5, message_id);
    db_bind_text(s, 6, message_status_name(m.status));
    if ((err = db_exec(s)) != KITE_OK || (err = message_record(conn, a, &m, MESSAGE_REJECTED, now, actor)) != KITE_OK)
        return err;
    return message_charge_release(conn, now, actor, message_id);
}

kite_err message_close_for_resident(db_conn *conn, arena *a, int64_t resident_id, int64_t now, const char *actor)
{
    db_stmt *s = db_prepare(conn, "SELECT id FROM messages WHERE resident_id = $1 AND status IN ($2, $3) ORDER BY id");
    db_bind_int(s, 1, resident_id);
    db_bind_text(s, 2, message_status_name(MESSAGE_PENDING_REVIEW));
    db_bind_text(s, 3, message_status_name(MESSAGE_APPROVED));
    size_t cap = 16, n = 0;
    int64_t *ids = arena_alloc(a, cap * sizeof *ids);
    while (db_next(s)) {
        ids = arena_grow(a, ids, n, &cap, sizeof *ids);
        ids[n++] = db_int(s, 0);
    }
    kite_err err = db_done(s);
    for (size_t i = 0; err == KITE_OK && i < n; i++)
        err = message_close_one(conn, a, ids[i], now, actor, MESSAGE_RESIDENT_LEFT_REASON, MESSAGE_RESIDENT_LEFT_LABEL);
    return err;
}
