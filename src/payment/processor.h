/*
 * processor.h - the client of a payment processor over HTTP(S).
 *
 * Design: one call per charge, synchronous, on libcurl with a connect and a
 * total timeout from the config, so a slow processor costs a request thread
 * a bounded time.  The wire protocol is the one `kite processor-sandbox`
 * speaks (payment/README.md):
 *
 *   POST {base_url}/v1/charges   Idempotency-Key: KEY
 *        {"amount_cents": N, "currency": "usd",
 *         "card": {"number": "...", "exp_month": M, "exp_year": Y, "cvc": "..."}}
 *   GET  {base_url}/v1/charges?idempotency_key=KEY
 *
 * answered with a charge {"id", "status": "approved"|"declined",
 * "decline_code", "amount_cents", "card": {"brand", "last4"}}.
 *
 * Outcomes (charge_outcome): approved (with the processor's charge id);
 * declined (with a decline_reason); processor error (a 5xx, an answer Kite
 * cannot read on an error status, or no connection at all: nothing was
 * charged, and the same key may be tried again); timeout (the request may
 * have reached the processor and the answer was lost: the outcome is
 * UNKNOWN, and the caller must reconcile with processor_lookup() under the
 * same key before it tells anyone anything or tries again).  A 2xx whose
 * body cannot be read is a timeout too, not an error: the processor said
 * yes to something, so Kite must look before it assumes no.
 *
 * The idempotency key is the caller's: the same key for every try of one
 * payment (a retry, a double click, a reconciliation), a new key for a new
 * payment.  The processor charges once per key.
 *
 * SECURITY: the card number and CVC go only into the request body over the
 * connection to base_url (use https:// outside tests; certificates are
 * verified, redirects are not followed).  They are never logged, never put
 * in a URL or a header, and the body is wiped after the transfer.  What the
 * result holds of the card is the processor's card_summary only.
 */
#ifndef KITE_PAYMENT_PROCESSOR_H
#define KITE_PAYMENT_PROCESSOR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/fault.h"
#include "payment/card.h"

enum {
    PROCESSOR_KEY_MAX = 255,         /* bytes of an idempotency key: printable ASCII, no spaces */
    PROCESSOR_ID_MAX = 64,           /* bytes of a processor's charge id */
    PROCESSOR_ANSWER_MAX = 64 * 1024, /* bytes of an answer Kite reads; more is not an answer */
    PROCESSOR_CONNECT_TIMEOUT_MS = 3000,
    PROCESSOR_TOTAL_TIMEOUT_MS = 10000,
};
#define PROCESSOR_AMOUNT_MAX_CENTS INT64_C(1000000) /* $10,000: one charge, not a ledger limit */

typedef enum charge_outcome {
    CHARGE_APPROVED = 0,
    CHARGE_DECLINED,
    CHARGE_PROCESSOR_ERROR, /* not charged; the same key may be tried again */
    CHARGE_TIMEOUT,         /* UNKNOWN: reconcile with processor_lookup() under the same key */
    CHARGE_NOT_FOUND,       /* processor_lookup(): no charge was made under this key */
    CHARGE_OUTCOME_COUNT
} charge_outcome;

typedef enum decline_reason {
    DECLINE_NONE = 0,
    DECLINE_DECLINED,
    DECLINE_INSUFFICIENT_FUNDS,
    DECLINE_EXPIRED,
    DECLINE_INVALID,
    DECLINE_REASON_COUNT
} decline_reason;

/* "approved", "declined", "processor_error", "timeout", "not_found"; never NULL. */
const char *charge_outcome_name(charge_outcome outcome);
/* "none", "declined", "insufficient_funds", "expired", "invalid"; never NULL. */
const char *decline_reason_name(decline_reason reason);
bool decline_reason_from_name(const char *name, decline_reason *out);

typedef struct processor_config {
    const char *base_url;   /* "https://processor.example" or "http://127.0.0.1:PORT" (no trailing slash) */
    long connect_timeout_ms; /* 0: PROCESSOR_CONNECT_TIMEOUT_MS */
    long total_timeout_ms;   /* 0: PROCESSOR_TOTAL_TIMEOUT_MS */
} processor_config;

typedef struct charge_request {
    int64_t amount_cents;        /* 1..PROCESSOR_AMOUNT_MAX_CENTS; currency is always "usd" */
    card_input card;             /* checked again with card_check() before anything leaves */
    const char *idempotency_key; /* 1..PROCESSOR_KEY_MAX printable ASCII characters */
    int64_t now_ms;              /* the caller's clock, for the expiry check */
} charge_request;

typedef struct charge_result {
    charge_outcome outcome;
    decline_reason decline;                 /* with CHARGE_DECLINED */
    char charge_id[PROCESSOR_ID_MAX + 1];   /* with approved or declined: the processor's id */
    int64_t amount_cents;                   /* as the processor recorded it */
    card_summary card;                      /* as the processor recorded it */
    long http_status;                       /* 0 when no answer came */
} charge_result;

/*
 * What an answer that came back means: its HTTP status and body as received
 * (body NULL and len 0 for none, or for one over PROCESSOR_ANSWER_MAX), to a
 * charge (lookup false) or a lookup by key.  processor_charge and
 * processor_lookup end here; fuzz/processor.c feeds it what a processor
 * might say.
 */
void processor_answer_read(long http_status, const char *body, size_t len, bool lookup, charge_result *result);

/* Checks a key against the rules above (fills *f for "Idempotency-Key"). */
kite_err processor_key_check(const char *key, kite_fault *f) KITE_WUR;

/*
 * Charges once under request->idempotency_key.  KITE_OK whenever a request
 * was made or tried: the outcome says what came of it.  A refusal before
 * anything leaves (card, amount or key; *f says which) returns
 * KITE_ERR_INVALID_FIELD; a key the processor already saw with a different
 * charge returns KITE_ERR_IDEMPOTENCY_KEY_REUSED (nothing charged now).
 */
kite_err processor_charge(const processor_config *config, const charge_request *request, charge_result *result,
                          kite_fault *f) KITE_WUR;

/*
 * What became of the charge made under key: approved or declined as first
 * answered, CHARGE_NOT_FOUND when none was made (safe to charge again with
 * the same key), or processor error / timeout (ask again later).
 */
kite_err processor_lookup(const processor_config *config, const char *key, charge_result *result,
                          kite_fault *f) KITE_WUR;

#endif
