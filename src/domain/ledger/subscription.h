/*
 * subscription.h - a contact's monthly subscription to a facility's
 * messages (pricing model "subscription").
 *
 * Design: a subscription is a stored period (wallet_subscriptions: starts_at,
 * ends_at) bought from the contact's balance at price_subscription's price
 * for the months asked.  While a period covers now, the text of the
 * contact's messages to that facility costs nothing (message_charge.h);
 * photos still cost photo_cents.  A month is SUBSCRIPTION_MONTH_MS (30
 * days): a fixed length, so a period never depends on the calendar or the
 * time zone.  Buying again extends: the new period starts when the latest
 * one ends, so no day is paid twice.
 *
 * One posting moves the price from the contact's balance to the facility's
 * provider_revenue account, with reference "subscription:ACCOUNT:KEY"; the
 * client's Idempotency-Key makes a retry the first purchase (*replayed), and
 * the same key for another facility or length is refused.  A subscription a
 * facility prices at 0 is recorded without a posting.
 *
 * SECURITY: money.  The price comes from the facility's stored schedule,
 * never from the client; months are bounded by price_subscription.
 */
#ifndef KITE_DOMAIN_LEDGER_SUBSCRIPTION_H
#define KITE_DOMAIN_LEDGER_SUBSCRIPTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "domain/context.h"

#define SUBSCRIPTION_MONTH_MS (30LL * 24 * 60 * 60 * 1000)

enum { SUBSCRIPTIONS_SHOWN = 32 };

typedef struct wallet_subscription {
    int64_t id;
    int64_t facility_id;
    int64_t months;
    int64_t price_cents;
    int64_t starts_at, ends_at;
    int64_t balance_cents; /* the contact's balance after buying (0 when listed) */
} wallet_subscription;

/*
 * Buys months of facility_id's subscription from account_id's balance.
 * Refused, with nothing written:
 *   KITE_ERR_NOT_FOUND              the facility is not on Kite (FAULT_POLICY)
 *   KITE_ERR_INVALID_FIELD          months not offered or out of range ("months"), a bad key
 *   KITE_ERR_INSUFFICIENT_FUNDS     the balance is below the price
 *   KITE_ERR_IDEMPOTENCY_KEY_REUSED the key bought another subscription
 */
kite_err subscription_buy(const kite_ctx *ctx, arena *a, int64_t account_id, const char *actor, const char *key,
                          int64_t facility_id, int64_t months, wallet_subscription *out, bool *replayed,
                          kite_fault *f) KITE_WUR;

/* The contact's subscriptions whose period has not ended, soonest ending first (at most SUBSCRIPTIONS_SHOWN). */
kite_err subscriptions_active(const kite_ctx *ctx, int64_t account_id, wallet_subscription *out, size_t *count) KITE_WUR;

#endif
