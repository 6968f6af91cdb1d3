/*
 * message_charge.h - what a message costs its sender, and the money held,
 * captured or released for it.
 *
 * Design: the price comes from the facility's schedule (facility_prices_load,
 * price_message) with the message's shape: its body, its photos and an
 * optional prepaid reply stamp.  Whoever sends pays:
 *   - a contact pays from their balance in cents (balance and subscription
 *     models), or from their stamps or credits for that facility (stamps,
 *     credits models: the account owned by the contact and the facility);
 *   - a resident pays from their trust account, always in cents.  Under
 *     stamps or credits a resident holds no bundles, so a message costs
 *     them amount x stamp_unit_cents (or credit_unit_cents): the full unit
 *     price, the price a bundle's discount is measured against.
 *   - federal facilities: contacts pay what the schedule says (0 by
 *     default); residents pay terminal time, not messages, so their
 *     messages cost 0 whatever the schedule.
 *   - subscription: an active subscription (wallet_subscriptions) makes the
 *     text free; photos still cost photo_cents.  Without one a contact's
 *     message is refused (FAULT_SUBSCRIPTION_NEEDED) with its monthly price.
 * A price of 0 takes no hold.  Otherwise the hold is taken in the send's own
 * transaction (ledger_hold, subject message), captured into the facility's
 * provider_revenue account in the hold's unit when the message is delivered
 * (stamps and credits go back to their issuer), and released to the payer
 * when it is rejected or can no longer be delivered (the resident released
 * or transferred).
 *
 * messages.price_cents is the cents value of the price: the cents held, or
 * amount x unit price for stamps and credits; price_amount and price_unit
 * carry the amount in the unit actually held.
 *
 * SECURITY: money.  Every function runs inside the caller's transaction;
 * the hold is taken with the message row, and settled with the message's
 * state change, or neither happens.  The payer's balance is re-checked by
 * the ledger's conditional UPDATE, so concurrent sends cannot overspend.
 */
#ifndef KITE_DOMAIN_MESSAGING_MESSAGE_CHARGE_H
#define KITE_DOMAIN_MESSAGING_MESSAGE_CHARGE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "db/db.h"
#include "domain/ledger/ledger_state.h"
#include "domain/ledger/pricing.h"

/* Who sends, at which facility: enough to know who pays and from where. */
typedef struct message_payer {
    int64_t facility_id;
    int64_t account_id;  /* the sender's Kite account */
    int64_t resident_id; /* the resident of the contact */
    bool from_resident;
    bool federal;        /* the facility's policy profile is federal */
} message_payer;

typedef struct message_charge {
    price_quote quote;       /* the schedule's price, in its unit */
    ledger_kind payer_kind;  /* the account paying */
    ledger_unit unit;        /* what is held: the quote's unit, or cents for a resident */
    int64_t amount;          /* what is held, in unit; 0: nothing held */
    int64_t price_cents;     /* the cents value (see above) */
    int64_t payer_account_id; /* 0 when the payer has no such account yet */
    int64_t balance;         /* the payer's balance, in unit */
    bool enough;             /* balance >= amount */
    bool needs_subscription; /* subscription model, none active: refused */
    int64_t subscription_cents; /* one month, when needs_subscription */
} message_charge;

/*
 * What the message costs payer, and what they have, without writing.
 * Errors as price_message (KITE_ERR_INVALID_FIELD with the field) and
 * facility_prices_load.
 */
kite_err message_charge_quote(db_conn *conn, arena *a, int64_t now, const message_payer *payer,
                              const message_shape *shape, message_charge *out, kite_fault *fault) KITE_WUR;

/*
 * Refuses a charge the payer cannot pay: KITE_ERR_INSUFFICIENT_FUNDS with
 * FAULT_MESSAGE_COST_* (limit: the price, max: what they have) or
 * FAULT_SUBSCRIPTION_NEEDED (limit: a month's price).
 */
kite_err message_charge_check(const message_charge *c, kite_fault *fault) KITE_WUR;

/* Holds c->amount for message_id (nothing when it is 0); the message's INSERT stores its price. */
kite_err message_charge_hold(db_conn *conn, int64_t now, const char *actor, int64_t message_id,
                             const message_charge *c) KITE_WUR;

/* The message was delivered: its hold (if any) goes to the facility's revenue. */
kite_err message_charge_capture(db_conn *conn, int64_t now, const char *actor, int64_t message_id,
                                int64_t facility_id) KITE_WUR;

/* The message will not be delivered: its hold (if any) goes back to the payer. */
kite_err message_charge_release(db_conn *conn, int64_t now, const char *actor, int64_t message_id) KITE_WUR;

/*
 * The resident left (released, or moved to another facility): every message
 * of theirs not yet delivered (pending review, approved) is rejected with
 * the reason "resident_left" and its hold given back, in the caller's
 * transaction.  Its signature is resident_leaving_fn (domain/context.h).
 */
kite_err message_close_for_resident(db_conn *conn, arena *a, int64_t resident_id, int64_t now, const char *actor) KITE_WUR;

/*
 * One undelivered message (pending review or approved) that can no longer
 * be delivered: rejected with reason and label (what its sender is shown),
 * and its hold given back, in the caller's transaction.  A message already
 * decided is left as it is.
 */
kite_err message_close_one(db_conn *conn, arena *a, int64_t message_id, int64_t now, const char *actor,
                           const char *reason, const char *label) KITE_WUR;

/* The reason and label of a message closed because its recipient deleted their account. */
#define MESSAGE_CONTACT_LEFT_REASON "contact_left"
#define MESSAGE_CONTACT_LEFT_LABEL "The person this was for deleted their Kite account before it was delivered"

/* ledger_unit of a quote's price_unit. */
ledger_unit message_charge_unit(price_unit u);

#endif
