/*
 * sandbox.h - the sandbox payment processor: a small HTTP server that
 * answers like a processor, for development and tests
 * (`kite processor-sandbox`, and in-process in the unit tests).
 *
 * Design: it speaks the protocol processor.c is the client of (see
 * processor.h and payment/README.md), on Kite's own http/server, and keeps
 * its charges in memory, and with a state path also in a JSON file
 * (rewritten whole, through a rename, before a new charge is answered), so
 * a restart keeps them.  The test cards decide
 * each outcome (README.md lists them); every other Luhn-valid number is
 * declined as "invalid".  One charge per Idempotency-Key: the same key with
 * the same request answers the first answer again and charges nothing; the
 * same key with another request is refused (409).  The slow test card
 * records its approved charge at once and answers only after slow_ms, so a
 * client that gives up in between must find the charge by its key.
 *
 * SECURITY: no real card may ever be sent here; even so the sandbox keeps
 * of a card only its summary (brand, last four) and a keyed hash of the
 * request (the key is random, kept in the state file when there is one) to
 * tell a replay from a reuse of the key; it never logs a card number, and the access log sees only the
 * method and path (the card travels in the body).
 */
#ifndef KITE_PAYMENT_SANDBOX_H
#define KITE_PAYMENT_SANDBOX_H

#include <stdint.h>

#include "core/error.h"

enum {
    SANDBOX_SLOW_MS_DEFAULT = 15000, /* longer than a client's total timeout (PROCESSOR_TOTAL_TIMEOUT_MS) */
    SANDBOX_SLOW_MS_MAX = 600000,
    SANDBOX_MAX_CHARGES = 100000,    /* in memory; more is refused with 503 */
};

typedef struct processor_sandbox processor_sandbox;

typedef struct processor_sandbox_config {
    const char *host; /* an IPv4 address */
    uint16_t port;    /* 0: any free port */
    int64_t slow_ms;  /* how long the slow test card takes to answer */
    const char *state_path; /* a JSON file that keeps the charges across restarts, or NULL: memory only */
} processor_sandbox_config;

kite_err processor_sandbox_start(const processor_sandbox_config *config, processor_sandbox **out) KITE_WUR;
uint16_t processor_sandbox_port(const processor_sandbox *sandbox);
/* Wakes slow answers (they answer at once), stops the server, frees; accepts NULL; returns NULL. */
processor_sandbox *processor_sandbox_stop(processor_sandbox *sandbox);

#endif
