/*
 * trust.h - money a facility pays into a resident's trust account: wages
 * from a work assignment, cash a visitor left at the lobby.
 *
 * Design: the trust office keeps the real money in the facility's bank; Kite
 * records what it paid in.  One posting moves amount_cents from the
 * facility's trust_fund account (a clearing account allowed below zero in
 * cents, ledger_state.h) to the resident's trust account, with reference
 * "trust_deposit:ACCOUNT:KEY" (the staff member's Idempotency-Key), so a
 * retried deposit is the first one, not a second.  The memo the office
 * writes ("Wages, kitchen, week 12") is what the resident's statement shows.
 * The deposit is audited with its amount and memo.
 *
 * Who: a facility_admin of the resident's facility, or an operator.  Anyone
 * else is refused (KITE_ERR_FORBIDDEN), but staff asking about another
 * facility's resident get KITE_ERR_NOT_FOUND first, so staff cannot learn
 * who is held elsewhere.
 *
 * SECURITY: money and staff input.  The amount is integer cents within
 * TRUST_DEPOSIT_MIN_CENTS..TRUST_DEPOSIT_MAX_CENTS; the memo is checked for
 * UTF-8 and control characters and bounded; the key bounded like the
 * wallet's.  The caller's role and facility come from its session.
 */
#ifndef KITE_DOMAIN_LEDGER_TRUST_H
#define KITE_DOMAIN_LEDGER_TRUST_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "domain/context.h"
#include "domain/identity/account.h"

#define TRUST_DEPOSIT_MIN_CENTS INT64_C(1)
#define TRUST_DEPOSIT_MAX_CENTS INT64_C(500000) /* $5,000: above a lobby deposit or a month's wages */

enum { TRUST_MEMO_MAX_CHARS = 200 };

typedef struct trust_deposit {
    int64_t transaction_id;
    int64_t resident_id;
    int64_t facility_id;
    int64_t amount_cents;
    int64_t balance_cents; /* the resident's trust account now */
} trust_deposit;

/*
 * Deposits amount_cents into resident_id's trust account under key
 * (*replayed when that key deposited before: nothing moves again).
 * Refused, with nothing written:
 *   KITE_ERR_FORBIDDEN              not a facility_admin of that facility, nor an operator
 *   KITE_ERR_NOT_FOUND              no such resident (or at another facility)
 *   KITE_ERR_INVALID_FIELD          amount_cents (FAULT_TRUST_DEPOSIT_AMOUNT), memo, Idempotency-Key
 *   KITE_ERR_IDEMPOTENCY_KEY_REUSED the key was used for another deposit
 */
kite_err trust_deposit_post(const kite_ctx *ctx, arena *a, const account *caller, int64_t resident_id,
                            int64_t amount_cents, const char *memo, const char *key, trust_deposit *out,
                            bool *replayed, kite_fault *fault) KITE_WUR;

#endif
