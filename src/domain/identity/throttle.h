/*
 * throttle.h - counting attempts per key, kept in the store.
 *
 * Kept in the store, not in memory, so that a restart or a second server
 * process does not reset an attacker's count.  Two kinds:
 *
 * Fixed windows (throttle_rule): a key is locked once it has `max` counts
 * inside one window, until that window ends.  For what is a quota rather
 * than a guess: accounts made, mails sent, invitations a day.
 *
 * Progressive delays (delay_rule): for guessing (passwords, PINs, resident
 * numbers).  The first free_failures failures cost nothing; from then on the
 * next attempt must wait base_ms after the last failure, twice that after
 * the next one, and so on up to cap_ms.  Each forget_ms without a failure
 * forgets one (a leaking bucket), so the typing mistakes of many people
 * behind one address do not pile up the way a flood does, and a key left
 * alone long enough starts from zero.  Nothing is ever locked for longer than
 * cap_ms, so an attacker who fails on purpose slows a person down but never
 * shuts them out; callers choose keys (an account and address pair, an
 * address) so that a stranger's failures do not even slow the real user.
 *
 * SECURITY: keys carry what people typed (an email, a resident number).  The
 * delay table stores a hash of each key, never the key itself, so a failed
 * sign-in with a mistyped address leaves no readable trace in it.
 */
#ifndef KITE_DOMAIN_IDENTITY_THROTTLE_H
#define KITE_DOMAIN_IDENTITY_THROTTLE_H

#include <stdint.h>

#include "core/error.h"
#include "core/fault.h"
#include "db/db.h"

typedef struct throttle_rule {
    int64_t max_failures;
    int64_t window_ms;
} throttle_rule;

/*
 * KITE_ERR_THROTTLED when key is locked, with fault->retry_after_ms (and
 * fault->limit, the rule's maximum) set; the caller adds the detail.
 */
kite_err throttle_check(db_conn *conn, int64_t now, const char *key, throttle_rule rule,
                        kite_fault *fault) KITE_WUR;
kite_err throttle_record_failure(db_conn *conn, int64_t now, const char *key, throttle_rule rule) KITE_WUR;
/* Forgets key in both kinds (a fixed window and a progressive delay under the same name). */
kite_err throttle_clear(db_conn *conn, const char *key) KITE_WUR;

typedef struct delay_rule {
    int64_t free_failures; /* failures that cost no wait */
    int64_t base_ms;       /* the first wait; each further failure doubles it */
    int64_t cap_ms;        /* the longest wait */
    int64_t forget_ms;     /* each this long without a failure forgets one */
} delay_rule;

/* The wait after `failures` remembered failures under rule (0: none), pure arithmetic. */
int64_t delay_after(delay_rule rule, int64_t failures);

/*
 * How many failures key has that rule still remembers (*failures) and how
 * long until its next attempt may be made (*wait_ms, 0: now).  Either
 * pointer may be NULL.
 */
kite_err delay_read(db_conn *conn, int64_t now, const char *key, delay_rule rule, int64_t *failures,
                    int64_t *wait_ms) KITE_WUR;
/* One more failure for key at now. */
kite_err delay_record_failure(db_conn *conn, int64_t now, const char *key, delay_rule rule) KITE_WUR;

#endif
