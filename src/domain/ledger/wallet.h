/*
 * wallet.h - a person's wallet: the balance, what is on hold, bundles of
 * stamps and credits, the statement, and card top-ups.
 *
 * Design: a card top-up is three steps, so that Kite never charges twice
 * and never loses a charge.  (1) wallet_top_up_begin records the top-up as
 * pending under the client's Idempotency-Key, in one store transaction,
 * before any money moves; the same key with the same request finds that row
 * again (a replay), with another amount or card it is refused.  (2) The
 * caller (api/ or the sweeper, never this file) asks the processor, outside
 * any store transaction, under the top-up's processor key ("kite-top-up-"
 * and 64 random hex digits, drawn when the row is written: one per top-up,
 * so the processor charges once whatever the client sends, and no other
 * Kite store sharing the processor, nor this one restored from a backup,
 * can ever reuse it).  (3)
 * wallet_top_up_settle records the processor's answer, in one transaction:
 * approved credits the contact's balance from processor_clearing (a ledger
 * posting with reference "top_up:ID", audited by the ledger), declined and
 * failed only change the state; a timeout leaves the top-up pending.  The
 * move out of pending is a conditional UPDATE checked for one changed row,
 * so two settlements racing (a retry and the sweeper) credit exactly once.
 *
 * A pending top-up is reconciled by the next try with the same key or by
 * the sweeper (wallet_top_ups_stale), both asking processor_lookup().
 *
 * Stamps and credits are listed per facility: a bundle is bought for one
 * facility's messages, so the wallet shows each facility's stamps and
 * credits account the person holds.  A bundle is bought from the balance
 * (wallet_bundle_buy) at the facility's price (facility_prices_load,
 * prices.h).  One posting of
 * four entries moves the price from the contact's balance to
 * provider_revenue (cents) and the units from provider_revenue (their
 * issuer) to the contact's stamps or credits of that facility, with
 * reference "bundle:ACCOUNT:KEY", so a retried purchase is not a second one.
 *
 * SECURITY: money and card data.  Amounts are integer cents within
 * WALLET_TOP_UP_MIN_CENTS..WALLET_TOP_UP_MAX_CENTS.  This file sees a card
 * only as a card_summary (brand, last four digits): the number and CVC
 * never reach it, so they cannot be stored or logged here.  Every query is
 * bound; a top-up is found only with its owner's account id.
 */
#ifndef KITE_DOMAIN_LEDGER_WALLET_H
#define KITE_DOMAIN_LEDGER_WALLET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "domain/context.h"
#include "domain/ledger/ledger.h"
#include "domain/ledger/pricing.h"
#include "payment/processor.h"

#define WALLET_TOP_UP_MIN_CENTS INT64_C(500)   /* $5 */
#define WALLET_TOP_UP_MAX_CENTS INT64_C(50000) /* $500 */

enum {
    WALLET_KEY_MAX = 128,            /* bytes of a client's Idempotency-Key (a ledger reference holds it) */
    WALLET_STALE_MS = 60 * 1000,     /* a pending top-up older than this is the sweeper's */
    WALLET_STALE_BATCH = 50,         /* pending top-ups the sweeper settles at once */
    WALLET_BUNDLES_MAX = 64,         /* stamps and credits accounts listed */
    WALLET_PROCESSOR_KEY_MAX = 80,   /* "kite-top-up-" and 64 hex digits */
};

typedef enum wallet_top_up_state {
    TOP_UP_PENDING,  /* recorded; the processor's answer is not known yet */
    TOP_UP_APPROVED, /* charged and credited */
    TOP_UP_DECLINED, /* the card company said no; nothing charged */
    TOP_UP_FAILED,   /* the processor failed; nothing charged */
    TOP_UP_STATE_COUNT
} wallet_top_up_state;

const char *wallet_top_up_state_name(wallet_top_up_state s);

typedef struct wallet_top_up {
    int64_t id;
    int64_t account_id;
    int64_t amount_cents;
    card_summary card;
    wallet_top_up_state state;
    decline_reason decline; /* with TOP_UP_DECLINED */
    int64_t created_at;
    int64_t settled_at;     /* 0 while pending */
    int64_t balance_after;  /* the balance once credited (approved), else 0 */
    char processor_key[WALLET_PROCESSOR_KEY_MAX + 1];
} wallet_top_up;

/* A top-up by id; KITE_ERR_NOT_FOUND when there is none. */
kite_err wallet_top_up_get(const kite_ctx *ctx, int64_t top_up_id, wallet_top_up *out) KITE_WUR;

/*
 * Records a pending top-up of amount_cents for account_id under key, or
 * finds the one recorded before under key (*replayed = true).  Refused:
 *   KITE_ERR_INVALID_FIELD          amount outside the limits (fault: amount_cents)
 *                                   or a key of the wrong shape (Idempotency-Key)
 *   KITE_ERR_IDEMPOTENCY_KEY_REUSED the key was used for another amount or card
 */
kite_err wallet_top_up_begin(const kite_ctx *ctx, int64_t account_id, const char *key, int64_t amount_cents,
                             const card_summary *card, wallet_top_up *out, bool *replayed, kite_fault *f) KITE_WUR;

/*
 * Records the processor's answer for a pending top-up (approved: the
 * balance is credited; declined; processor error or not found: failed;
 * timeout: stays pending) and reads the top-up back into *out.  A top-up
 * that is no longer pending is left as it is (a settlement raced this one).
 */
kite_err wallet_top_up_settle(const kite_ctx *ctx, int64_t top_up_id, const char *actor, const charge_result *r,
                              wallet_top_up *out) KITE_WUR;

/* Pending top-ups created before older_than (ids), at most WALLET_STALE_BATCH. */
kite_err wallet_top_ups_stale(const kite_ctx *ctx, int64_t older_than, int64_t *ids, size_t *count) KITE_WUR;

typedef struct wallet_purchase {
    int64_t transaction_id;
    int64_t facility_id;
    ledger_unit unit;       /* stamps or credits */
    int64_t count;
    int64_t price_cents;
    int64_t balance_cents;  /* the contact's balance after it */
    int64_t units_balance;  /* the contact's stamps or credits at that facility after it */
} wallet_purchase;

/*
 * Buys the bundle of count units (stamps or credits) at facility_id from
 * account_id's balance, under the client's key (*replayed when that key
 * bought it before: nothing moves again).  Refused, with nothing moved:
 *   KITE_ERR_NOT_FOUND              the facility is not on Kite (FAULT_POLICY)
 *   KITE_ERR_INVALID_FIELD          a size or unit the facility does not sell (count, unit),
 *                                   or a key of the wrong shape
 *   KITE_ERR_INSUFFICIENT_FUNDS     the balance is below the price
 *   KITE_ERR_IDEMPOTENCY_KEY_REUSED the key bought something else
 */
kite_err wallet_bundle_buy(const kite_ctx *ctx, arena *a, int64_t account_id, const char *actor, const char *key,
                           int64_t facility_id, ledger_unit unit, int64_t count, wallet_purchase *out, bool *replayed,
                           kite_fault *f) KITE_WUR;

typedef struct wallet_bundle_balance {
    int64_t facility_id;
    ledger_unit unit; /* stamps or credits */
    int64_t balance;
} wallet_bundle_balance;

typedef struct wallet_summary {
    int64_t balance_cents; /* the contact's balance, or the resident's trust account */
    int64_t held_cents;    /* of it, on hold for messages not yet delivered */
    wallet_bundle_balance bundles[WALLET_BUNDLES_MAX];
    size_t bundle_count;
} wallet_summary;

/* The wallet of a contact (account_id) or a resident (resident_id; account_id 0). */
kite_err wallet_summary_get(const kite_ctx *ctx, int64_t account_id, int64_t resident_id, wallet_summary *out) KITE_WUR;

/*
 * A page of the wallet's statement (ledger_statement of the contact's
 * balance or the resident's trust account), newest first; an empty page when
 * no money ever moved.
 */
kite_err wallet_statement(const kite_ctx *ctx, arena *a, int64_t account_id, int64_t resident_id, int64_t before,
                          size_t limit, ledger_statement_line **lines, size_t *count, int64_t *next_before) KITE_WUR;

#endif
