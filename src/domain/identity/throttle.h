/*
 * throttle.h - counting failed attempts per key in fixed windows.
 *
 * Kept in the store, not in memory, so that a restart or a second server
 * process does not reset an attacker's count.  A key is locked once it has
 * `max` failures inside one window, until that window ends.
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
kite_err throttle_clear(db_conn *conn, const char *key) KITE_WUR;

#endif
