/*
 * money_transfer.h - money a contact sends to a resident's trust account.
 *
 * Design: the sender names the resident as the facility knows them (the
 * facility, the resident number and the last name), sees the fee before
 * paying (money_transfer_quote, which writes nothing), then sends under an
 * Idempotency-Key (money_transfer_send).  One store transaction checks the
 * match, the facility's limits and the balance, posts one ledger
 * transaction (contact_balance -(amount + fee) -> resident_trust +amount,
 * the facility's fees account +fee, reference "money_transfer:SENDER:KEY")
 * and writes the money_transfers row: the money and the record of it commit
 * together or not at all.  The word "transfer" alone names a resident's
 * move between facilities (contacts/transfer.c); here it is always a money
 * transfer.
 *
 * Matching: the resident number must be the facility's number exactly
 * (surrounding spaces ignored); the last name is compared without the
 * spaces around it and without regard to ASCII case ("rivera" matches
 * "Rivera").  Letters outside ASCII are compared as typed: "Pena" does not
 * match "Peña", because folding accents would make two different names
 * match.  A number and a name that do not fit the same resident of that
 * facility (or a number that is not there at all) are one refusal that
 * does not say which of the two was wrong, so the form cannot be used to
 * find out who is held where.
 *
 * Limits: each transfer within the facility's min..max, and the total one
 * sender sends one resident in a calendar month (UTC: the month starts at
 * 00:00 UTC on its first day, whatever the sender's time zone) within the
 * monthly limit (fee.h's transfer_check_limits).  A released resident's
 * trust account takes no money (KITE_ERR_RESIDENT_UNREACHABLE).
 *
 * SECURITY: money, and who is where.  Amounts are integer cents bounded by
 * the facility's limits before any sum; the balance cannot go below zero
 * (the ledger refuses: KITE_ERR_INSUFFICIENT_FUNDS) so a refused transfer
 * moves nothing.  A replay with the same key returns the first transfer and
 * charges nothing; the same key with another facility, number, name or
 * amount is KITE_ERR_IDEMPOTENCY_KEY_REUSED.  The quote never names the
 * resident; a transfer names them only once the sender has given both the
 * number and the last name.  Every query is bound.
 */
#ifndef KITE_DOMAIN_LEDGER_MONEY_TRANSFER_H
#define KITE_DOMAIN_LEDGER_MONEY_TRANSFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "domain/context.h"
#include "domain/ledger/fee.h"
#include "domain/ledger/verify.h"

enum {
    MONEY_TRANSFER_KEY_MAX = 128, /* bytes of a sender's Idempotency-Key */
    MONEY_TRANSFER_LIST_MAX = 100, /* transfers listed at once, newest first */
};

typedef enum money_transfer_state {
    MONEY_TRANSFER_COMPLETED, /* paid and credited, in the same commit */
    MONEY_TRANSFER_STATE_COUNT
} money_transfer_state;

/* The stored name ("completed"); "unknown" outside the enum. */
const char *money_transfer_state_name(money_transfer_state s);
bool money_transfer_state_parse(const char *name, money_transfer_state *out);

/* ---- the pure rules (unit-tested) ---- */

/* Epoch ms of 00:00 UTC on the first day of the calendar month (UTC) that holds now_ms. */
int64_t money_transfer_month_start(int64_t now_ms);

/*
 * True when typed is stored's last name by the rule above: spaces and tabs
 * around either ignored, ASCII letters without regard to case, every other
 * byte exactly.  An empty name matches nothing.
 */
bool money_transfer_last_name_matches(const char *typed, const char *stored);

/* ---- quote and send ---- */

typedef struct money_transfer_quote {
    int64_t amount_cents;
    int64_t fee_cents;
    int64_t total_cents;     /* amount + fee: what leaves the balance */
    int64_t balance_cents;   /* the sender's balance now */
    bool enough;             /* balance >= total */
    transfer_limits limits;  /* the facility's */
    int64_t sent_this_month_cents; /* to this resident by this sender (0 when the number is not known) */
} money_transfer_quote;

/*
 * The fee and total of sending amount_cents to resident_number at
 * facility_id from sender_account_id's balance.  Writes nothing and names
 * nobody.  Refused: KITE_ERR_NOT_FOUND (FAULT_POLICY) when the facility is
 * not on Kite; KITE_ERR_INVALID_FIELD "amount_cents" outside the fee tiers
 * or the limits (FAULT_TRANSFER_AMOUNT, FAULT_MONTHLY_LIMIT).
 */
kite_err money_transfer_quote_get(const kite_ctx *ctx, arena *a, int64_t sender_account_id, int64_t facility_id,
                                  const char *resident_number, int64_t amount_cents, money_transfer_quote *out,
                                  kite_fault *f) KITE_WUR;

typedef struct money_transfer_request {
    int64_t sender_account_id;
    const char *actor;       /* audit actor */
    const char *key;         /* the sender's Idempotency-Key */
    int64_t facility_id;
    const char *resident_number;
    const char *last_name;
    int64_t amount_cents;
} money_transfer_request;

typedef struct money_transfer {
    int64_t id;
    int64_t sender_account_id;
    int64_t facility_id;
    int64_t resident_id;
    const char *resident_number;
    const char *resident_name;  /* first and last name, once matched */
    int64_t amount_cents;
    int64_t fee_cents;
    money_transfer_state state;
    int64_t transaction_id;
    int64_t created_at;
    int64_t balance_after_cents; /* the sender's balance once paid */
} money_transfer;

/*
 * Sends r (see above); *replayed when r->key sent it before (nothing moves
 * again).  Refused, with nothing moved and nothing written:
 *   KITE_ERR_INVALID_FIELD          a key of the wrong shape ("Idempotency-Key"), an amount
 *                                   outside the tiers or limits, or FAULT_TRANSFER_MATCH
 *                                   (no field: number and last name fit nobody here)
 *   KITE_ERR_NOT_FOUND              the facility is not on Kite (FAULT_POLICY)
 *   KITE_ERR_RESIDENT_UNREACHABLE   the resident was released (FAULT_TRANSFER_RELEASED)
 *   KITE_ERR_INSUFFICIENT_FUNDS     the balance is below amount + fee (FAULT_TRANSFER_FUNDS:
 *                                   limit the total, max the balance)
 *   KITE_ERR_IDEMPOTENCY_KEY_REUSED the key sent another transfer
 */
kite_err money_transfer_send(const kite_ctx *ctx, arena *a, const money_transfer_request *r, money_transfer *out,
                             bool *replayed, kite_fault *f) KITE_WUR;

/* The sender's transfers, newest first, at most MONEY_TRANSFER_LIST_MAX (in a). */
kite_err money_transfer_list(const kite_ctx *ctx, arena *a, int64_t sender_account_id, money_transfer **items,
                             size_t *count) KITE_WUR;

/*
 * For `kite ledger verify` (verify.c runs it with the ledger's checks): every
 * money transfer's transaction is a transfer that moved exactly its amount
 * into the resident's trust account, its fee into the facility's fees and
 * both out of the sender's balance.
 */
kite_err money_transfers_verify(db_conn *conn, ledger_report *r) KITE_WUR;

#endif
