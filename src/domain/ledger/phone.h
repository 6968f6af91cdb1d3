/*
 * phone.h - prepaid phone accounts (AdvancePay-style) and the call records
 * a facility's phone system posts against them.
 *
 * Design: a contact opens a phone account for a facility and the number the
 * resident calls (E.164; a US number of 10 digits, or 11 starting with 1,
 * with any spaces, dots, dashes or brackets, becomes +1 and its 10 digits).
 * One account per facility and number, so the phone system knows whose
 * money a call to that number draws on; and, because the ledger opens one
 * phone_account per owner (the contact and the facility), one per contact
 * and facility: a second number at the same facility is refused (409).  The
 * money is a LEDGER_PHONE_ACCOUNT in cents owned by the contact and the
 * facility.
 *
 *   deposit   contact_balance -> phone_account   reference "phone_deposit:ID:KEY"
 *   call      phone_account -> provider_revenue  reference "call:FACILITY:CALL_ID"
 *             (the facility's own provider_revenue: revenue is kept per facility)
 *   refund    phone_account -> contact_balance   reference "phone_refund:ID:KEY"
 *
 * Deposits carry NO fee of any kind: the FCC bans ancillary fees on phone
 * deposits (fcc.h), so the whole amount reaches the phone account and the
 * answer says fee_cents 0.
 *
 * Rating (phone_rate_call): per started minute at the facility's audio rate
 * (facility_prices_load: audio_cents_per_minute, never above the FCC cap),
 * 0 seconds costing nothing, 60 seconds one minute, 61 two.  A call longer
 * than the balance pays for is cut at the balance: the minutes billed are
 * the whole minutes the balance pays for, the record says cut_at_balance
 * with the seconds reported and the seconds billed, and the balance is
 * never taken below zero.
 *
 * A call that cannot be billed (no phone account for that number at the
 * facility, or a balance that does not pay for its first minute) is still
 * recorded, with its outcome (no_account or balance_empty) and nothing
 * charged, and the phone system is answered 402: it should not have
 * connected the call, and the record lets the facility see that it did.  A
 * call of 0 seconds is billed 0 and posts nothing.
 *
 * The call id is the phone system's Idempotency-Key: a call is one row per
 * (facility, call id), written in the same transaction as its posting, so a
 * replay finds the row and returns the same answer, charged once; the same
 * id with another number, resident, start or duration is refused (409).
 *
 * Nothing forfeits, ever.  Kite never takes an unused phone balance: there
 * is no expiry, no inactivity fee and no sweep of dormant accounts.  After
 * 180 days (or any time) without a call or a deposit the balance is still
 * the contact's, and phone_refund returns all of it to the contact's Kite
 * balance at any time.  last_activity_at is kept so that a statement can
 * say when the account was last used, not to take anything.
 *
 * SECURITY: money.  Integer cents only; every movement is one ledger
 * posting in the same store transaction as the row it pays for, refused
 * below zero by the ledger.  A phone account is found only with its
 * owner's account id (another contact's id is KITE_ERR_NOT_FOUND, as if it
 * did not exist).  Call records come only through a facility API key
 * (phone_keys.h) and only for that key's facility; the resident must be on
 * that facility's roster.  Input text (numbers, call ids) is checked for
 * shape before it reaches a query, and every query is bound.
 */
#ifndef KITE_DOMAIN_LEDGER_PHONE_H
#define KITE_DOMAIN_LEDGER_PHONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "domain/context.h"
#include "domain/ledger/phone_keys.h"
#include "domain/ledger/verify.h"

#define PHONE_DEPOSIT_MIN_CENTS INT64_C(100)   /* $1 */
#define PHONE_DEPOSIT_MAX_CENTS INT64_C(50000) /* $500 */
#define PHONE_DEPOSIT_FEE_CENTS INT64_C(0)     /* the FCC bans deposit fees: always 0 */
#define PHONE_CALL_MAX_SECONDS INT64_C(86400)  /* a day: longer is no call record */
#define PHONE_INACTIVITY_NOTICE_DAYS 180       /* the horizon: even then, nothing is taken */

enum {
    PHONE_NUMBER_MAX = 16,   /* "+" and at most 15 digits (E.164) */
    PHONE_KEY_MAX = 128,     /* bytes of a client's Idempotency-Key */
    PHONE_CALL_ID_MAX = 100, /* bytes of a phone system's call id */
    PHONE_ACCOUNTS_MAX = 50, /* phone accounts listed for one contact */
    PHONE_CALLS_PAGE_MAX = 100,
};

typedef enum phone_call_outcome {
    PHONE_CALL_BILLED,        /* rated and drawn from the account (possibly 0, possibly cut at the balance) */
    PHONE_CALL_NO_ACCOUNT,    /* no phone account for the number at the facility: nothing charged */
    PHONE_CALL_BALANCE_EMPTY, /* the balance did not pay for the first minute: nothing charged */
    PHONE_CALL_OUTCOME_COUNT
} phone_call_outcome;

const char *phone_call_outcome_name(phone_call_outcome o);
/* The outcome named name (as stored); false for a name Kite does not know. */
bool phone_call_outcome_parse(const char *name, phone_call_outcome *out);

/*
 * The E.164 form of a number as typed, into out; false when it is none (see
 * above for what is accepted).
 */
bool phone_number_normalize(const char *typed, char out[PHONE_NUMBER_MAX + 1]);

typedef struct phone_call_rating {
    int64_t reported_seconds;
    int64_t billed_seconds;  /* reported_seconds, or the whole minutes the balance paid for */
    int64_t billed_minutes;
    int64_t rate_cents;      /* per started minute */
    int64_t amount_cents;    /* billed_minutes * rate_cents, never above the balance */
    bool cut_at_balance;
} phone_call_rating;

/*
 * Rates a call of seconds at rate_cents a started minute against
 * balance_cents.  "duration_seconds" FAULT_RANGE outside
 * 0..PHONE_CALL_MAX_SECONDS; KITE_ERR_INTERNAL for a negative rate or
 * balance (a programming error).
 */
kite_err phone_rate_call(int64_t seconds, int64_t rate_cents, int64_t balance_cents, phone_call_rating *out,
                         kite_fault *f) KITE_WUR;

typedef struct phone_account {
    int64_t id;
    int64_t account_id;  /* the contact */
    int64_t facility_id;
    char phone_number[PHONE_NUMBER_MAX + 1];
    int64_t balance_cents;
    int64_t rate_cents;  /* the facility's audio rate per minute now, 0 when it cannot be priced */
    int64_t created_at;
    int64_t last_activity_at;
} phone_account;

/*
 * Opens a phone account for account_id at facility_id for typed_number.
 * Refused:
 *   KITE_ERR_INVALID_FIELD  "phone_number" FAULT_FORMAT
 *   KITE_ERR_NOT_FOUND      the facility is not on Kite (FAULT_POLICY)
 *   KITE_ERR_CONFLICT       "phone_number" FAULT_PHONE_TAKEN: the facility has an account for it;
 *                           "facility_id" FAULT_PHONE_ONE_PER_FACILITY: the contact has one there
 */
kite_err phone_account_open(const kite_ctx *ctx, arena *a, int64_t account_id, const char *actor, int64_t facility_id,
                            const char *typed_number, phone_account *out, kite_fault *f) KITE_WUR;

/* The contact's phone accounts, oldest first (at most PHONE_ACCOUNTS_MAX), in a. */
kite_err phone_account_list(const kite_ctx *ctx, arena *a, int64_t account_id, phone_account **items,
                            size_t *count) KITE_WUR;

/* One of the contact's phone accounts; KITE_ERR_NOT_FOUND for any other. */
kite_err phone_account_get(const kite_ctx *ctx, arena *a, int64_t account_id, int64_t phone_account_id,
                           phone_account *out) KITE_WUR;

typedef struct phone_call {
    int64_t id;
    int64_t facility_id;
    const char *call_id;
    int64_t phone_account_id; /* 0 with PHONE_CALL_NO_ACCOUNT */
    char phone_number[PHONE_NUMBER_MAX + 1];
    const char *resident_number;
    int64_t started_at;
    phone_call_rating rating;
    phone_call_outcome outcome;
    int64_t created_at;
} phone_call;

/*
 * A page of the calls on phone_account_id (the contact's own: else
 * KITE_ERR_NOT_FOUND), newest first: up to limit calls with ids below before
 * (0: from the newest); *next_before is the next page's before, 0 when none.
 */
kite_err phone_calls_page(const kite_ctx *ctx, arena *a, int64_t account_id, int64_t phone_account_id, int64_t before,
                          size_t limit, phone_call **items, size_t *count, int64_t *next_before) KITE_WUR;

typedef struct phone_money_move {
    int64_t transaction_id;
    int64_t amount_cents;          /* moved: a deposit's amount, or the whole balance refunded */
    int64_t fee_cents;             /* always 0 */
    int64_t phone_balance_cents;   /* the phone account's balance right after the move */
    int64_t contact_balance_cents; /* the contact's Kite balance right after the move */
} phone_money_move;

/*
 * Moves amount_cents from the contact's Kite balance into the phone
 * account, no fee, under key (*replayed when key did it before: nothing
 * moves again, the first answer is returned).  Refused, nothing moved:
 *   KITE_ERR_INVALID_FIELD          "amount_cents" FAULT_PHONE_DEPOSIT_AMOUNT, or a key of the wrong shape
 *   KITE_ERR_NOT_FOUND              not the contact's phone account
 *   KITE_ERR_INSUFFICIENT_FUNDS     the Kite balance is below the amount
 *   KITE_ERR_IDEMPOTENCY_KEY_REUSED the key deposited another amount
 */
kite_err phone_deposit(const kite_ctx *ctx, int64_t account_id, const char *actor, int64_t phone_account_id,
                       const char *key, int64_t amount_cents, phone_money_move *out, bool *replayed,
                       kite_fault *f) KITE_WUR;

/*
 * Returns the whole balance of the phone account to the contact's Kite
 * balance, at any time (see above: nothing forfeits), under key (*replayed
 * as for deposits).  KITE_ERR_CONFLICT "amount_cents" FAULT_PHONE_NOTHING
 * when the balance is 0 (and the key was not used before).
 */
kite_err phone_refund(const kite_ctx *ctx, int64_t account_id, const char *actor, int64_t phone_account_id,
                      const char *key, phone_money_move *out, bool *replayed, kite_fault *f) KITE_WUR;

typedef struct phone_call_input {
    const char *call_id;
    const char *phone_number;    /* as the phone system sent it */
    const char *resident_number;
    int64_t started_at;          /* epoch ms */
    int64_t duration_seconds;
} phone_call_input;

/*
 * Records, rates and charges a call at key's facility (see above), or finds
 * the one recorded before under the same call id (*replayed).  The outcome
 * is in out->outcome: a call recorded but not billed is KITE_OK here (the
 * row is kept); the caller answers it.  Refused, nothing written:
 *   KITE_ERR_INVALID_FIELD   "call_id", "phone_number", "duration_seconds" of the wrong
 *                            shape; "resident_number" FAULT_PHONE_RESIDENT: not on the roster
 *   KITE_ERR_CONFLICT        "call_id" FAULT_PHONE_CALL_REUSED: the id was recorded with another body
 *   KITE_ERR_NOT_FOUND       the facility is not on Kite (FAULT_POLICY)
 *   KITE_ERR_UNAUTHENTICATED the key was revoked meanwhile
 */
kite_err phone_call_record(const kite_ctx *ctx, arena *a, const phone_key *key, const phone_call_input *in,
                           phone_call *out, bool *replayed, kite_fault *f) KITE_WUR;

/*
 * For `kite ledger verify` (verify.c runs it with the ledger's checks;
 * phone_verify.c):
 *   - a billed call of amount_cents > 0 has exactly one posting, reference
 *     "call:FACILITY:CALL_ID", the one its row names, of kind call, that
 *     moves amount_cents (billed_minutes x rate_cents) out of its phone
 *     account into the facility's provider_revenue and nothing else; any
 *     other call (not billed, or 0 cents) has none, names none, and an
 *     unbilled one charged 0;
 *   - no call posting is without its call row;
 *   - every entry on a phone account is one of its calls, or a deposit
 *     ("phone_deposit:ID:KEY") or refund ("phone_refund:ID:KEY") of that
 *     phone account ID moving the same cents the other way on its owner's
 *     Kite balance, two entries in all; and every such reference moves money
 *     on the phone account it names.
 */
kite_err phone_verify(db_conn *conn, ledger_report *r) KITE_WUR;

#endif
