/*
 * trust.c - trust deposits by the facility (see trust.h).
 *
 * SECURITY: money.  The check of who may deposit, the resident's facility
 * and the posting run in one write transaction, so a resident transferred
 * meanwhile is judged at their facility of that moment.
 */
#include "domain/ledger/trust.h"

#include "core/text.h"
#include "domain/audit/audit.h"
#include "domain/ledger/ledger.h"
#include "domain/ledger/wallet.h"

#include <inttypes.h>
#include <string.h>

typedef struct deposit_args {
    arena *a;
    const account *caller;
    int64_t resident_id, amount, now;
    const char *memo, *reference;
    trust_deposit *out;
    bool *replayed;
} deposit_args;

static kite_err resident_facility(db_conn *conn, int64_t resident_id, int64_t *facility_id)
{
    db_stmt *s = db_prepare(conn, "SELECT facility_id FROM residents WHERE id = $1");
    db_bind_int(s, 1, resident_id);
    bool found = db_next(s);
    *facility_id = found ? db_int(s, 0) : 0;
    kite_err err = db_done(s);
    return err != KITE_OK ? err : found ? KITE_OK : KITE_ERR_NOT_FOUND;
}

static kite_err reference_used(db_conn *conn, const char *reference, bool *used)
{
    db_stmt *s = db_prepare(conn, "SELECT 1 FROM ledger_transactions WHERE reference = $1");
    db_bind_text(s, 1, reference);
    *used = db_next(s);
    return db_done(s);
}

static kite_err deposit_tx(db_conn *conn, void *data)
{
    deposit_args *d = data;
    int64_t facility_id;
    kite_err err = resident_facility(conn, d->resident_id, &facility_id);
    if (err != KITE_OK)
        return err;
    if (d->caller->role != ROLE_OPERATOR && d->caller->facility_id != facility_id)
        return KITE_ERR_NOT_FOUND; /* another facility's resident: not even whether they exist */
    if (d->caller->role != ROLE_OPERATOR && d->caller->role != ROLE_FACILITY_ADMIN)
        return KITE_ERR_FORBIDDEN; /* staff of this facility who do not keep its money */
    const char *actor = audit_actor_account(d->a, d->caller->id);
    int64_t fund, trust;
    if ((err = reference_used(conn, d->reference, d->replayed)) != KITE_OK ||
        (err = ledger_account_open(conn, d->now, actor, LEDGER_TRUST_FUND, (ledger_owner){.facility_id = facility_id},
                                   LEDGER_CENTS, &fund)) != KITE_OK ||
        (err = ledger_account_open(conn, d->now, actor, LEDGER_RESIDENT_TRUST,
                                   (ledger_owner){.resident_id = d->resident_id}, LEDGER_CENTS, &trust)) != KITE_OK)
        return err;
    const ledger_line lines[] = {{fund, -d->amount}, {trust, d->amount}};
    const ledger_posting p = {LEDGER_TX_DEPOSIT, d->memo, d->reference, actor, lines, 2};
    *d->out = (trust_deposit){.resident_id = d->resident_id, .facility_id = facility_id, .amount_cents = d->amount};
    if ((err = ledger_post(conn, d->now, &p, &d->out->transaction_id)) != KITE_OK ||
        (err = ledger_balance(conn, trust, &d->out->balance_cents)) != KITE_OK || *d->replayed)
        return err;
    return audit_append(conn, d->now, actor, "resident.trust_deposit", audit_target(d->a, "resident", d->resident_id),
                        arena_sprintf(d->a, "facility=%" PRId64 " amount_cents=%" PRId64 " memo=%s", facility_id,
                                      d->amount, d->memo));
}

static bool memo_ok(const char *memo)
{
    if (!utf8_valid(memo, strlen(memo)) || utf8_length(memo) > TRUST_MEMO_MAX_CHARS)
        return false;
    for (const unsigned char *p = (const unsigned char *)memo; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            return false;
    return true;
}

kite_err trust_deposit_post(const kite_ctx *ctx, arena *a, const account *caller, int64_t resident_id,
                            int64_t amount_cents, const char *memo, const char *key, trust_deposit *out,
                            bool *replayed, kite_fault *f)
{
    *replayed = false;
    *f = (kite_fault){0};
    if (caller->role != ROLE_OPERATOR && !role_is_facility_staff(caller->role))
        return fault_settle(f, KITE_ERR_FORBIDDEN);
    if (amount_cents < TRUST_DEPOSIT_MIN_CENTS || amount_cents > TRUST_DEPOSIT_MAX_CENTS) {
        fault_set(f, KITE_ERR_INVALID_FIELD, "amount_cents", FAULT_TRUST_DEPOSIT_AMOUNT);
        f->min = TRUST_DEPOSIT_MIN_CENTS;
        f->max = TRUST_DEPOSIT_MAX_CENTS;
        return f->code;
    }
    const char *clean = text_trim(a, memo != NULL ? memo : "");
    if (!memo_ok(clean)) {
        fault_set(f, KITE_ERR_INVALID_FIELD, "memo", FAULT_LENGTH);
        f->limit = TRUST_MEMO_MAX_CHARS;
        return f->code;
    }
    if (key == NULL || *key == '\0') {
        return fault_set(f, KITE_ERR_INVALID_FIELD, "Idempotency-Key", FAULT_REQUIRED);
    }
    if (strlen(key) > WALLET_KEY_MAX) {
        fault_set(f, KITE_ERR_INVALID_FIELD, "Idempotency-Key", FAULT_LENGTH);
        f->limit = WALLET_KEY_MAX;
        return f->code;
    }
    const char *shown = *clean != '\0' ? arena_sprintf(a, "Trust deposit: %s", clean) : "Trust deposit";
    deposit_args d = {a, caller, resident_id, amount_cents, clock_now_ms(&ctx->clock), shown,
                      arena_sprintf(a, "trust_deposit:%" PRId64 ":%s", caller->id, key), out, replayed};
    return fault_settle(f, db_write(ctx->store, deposit_tx, &d));
}
