/*
 * resident_lookup.h - how fast one person may look residents up.
 *
 * A contact request by resident number answers with the resident's name; a
 * money transfer answers whether a number and a last name are the same
 * person.  Either would let someone walk a facility's numbers and collect
 * the names of the people held there, so both are throttled like sign-in
 * (identity/throttle.h, progressive delays): per account and per client
 * address, a few lookups free, then a growing wait, never a lockout.  A
 * family asks for one or two people; an enumeration asks for thousands.
 *
 * Callers check before the lookup and count after it.  The account's count
 * takes every lookup, found or not (so the count itself tells nothing, and
 * a name found is a name learnt); the address's takes only lookups that
 * found nobody, the mark of walking numbers, so that many families behind
 * one address asking for the people they know are not held up.  Money
 * transfers count only numbers and names that fit nobody, since one that
 * fits moves money.
 */
#ifndef KITE_DOMAIN_FACILITY_RESIDENT_LOOKUP_H
#define KITE_DOMAIN_FACILITY_RESIDENT_LOOKUP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "domain/context.h"

enum {
    RESIDENT_LOOKUP_ACCOUNT_FREE = 10, /* lookups one account may make before waiting */
    RESIDENT_LOOKUP_ADDRESS_FREE = 30, /* lookups from one address (several families may share it) */
};
#define RESIDENT_LOOKUP_BASE_MS 1000
#define RESIDENT_LOOKUP_CAP_MS (10 * 60 * 1000)
#define RESIDENT_LOOKUP_ACCOUNT_FORGET_MS (10 * 60 * 1000) /* one lookup forgotten per quiet 10 minutes */
#define RESIDENT_LOOKUP_ADDRESS_FORGET_MS (2 * 60 * 1000)

/* KITE_ERR_THROTTLED (FAULT_RESIDENT_LOOKUPS, retry_after_ms) when account_id or the address must wait. */
kite_err resident_lookup_allowed(const kite_ctx *ctx, arena *a, int64_t account_id, const char *client_address,
                                 kite_fault *fault) KITE_WUR;
/* One more lookup by account_id, and one more for the address when it found nobody. */
kite_err resident_lookup_count(const kite_ctx *ctx, arena *a, int64_t account_id, const char *client_address,
                               bool found_nobody) KITE_WUR;

#endif
