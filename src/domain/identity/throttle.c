/*
 * throttle.c - fixed windows and progressive delays, counted in the store
 * (see throttle.h for when to use which).
 *
 * SECURITY: keys are bound as parameters; the delay table holds only a
 * keyed hash of each key (BLAKE2b, a fixed label as key), so what a person
 * typed into a sign-in form is not kept there in the clear.
 */
#include "domain/identity/throttle.h"

#include "core/secret.h"

kite_err throttle_check(db_conn *conn, int64_t now, const char *key, throttle_rule rule,
                        kite_fault *fault)
{
    db_stmt *s = db_prepare(conn, "SELECT failures, window_start FROM signin_throttle WHERE key = $1");
    db_bind_text(s, 1, key);
    int64_t failures = 0, window_start = 0;
    if (db_next(s)) {
        failures = db_int(s, 0);
        window_start = db_int(s, 1);
    }
    kite_err err = db_done(s);
    if (err != KITE_OK)
        return err;
    int64_t window_end = window_start + rule.window_ms;
    if (failures >= rule.max_failures && now < window_end) {
        fault_set(fault, KITE_ERR_THROTTLED, NULL, FAULT_NONE);
        fault->limit = rule.max_failures;
        fault->retry_after_ms = window_end - now;
        return KITE_ERR_THROTTLED;
    }
    return KITE_OK;
}

kite_err throttle_record_failure(db_conn *conn, int64_t now, const char *key, throttle_rule rule)
{
    db_stmt *s = db_prepare(conn,
        "INSERT INTO signin_throttle (key, failures, window_start) VALUES ($1, 1, $2)"
        " ON CONFLICT (key) DO UPDATE SET"
        "  failures = CASE WHEN signin_throttle.window_start + $3 <= $2 THEN 1"
        "                  ELSE signin_throttle.failures + 1 END,"
        "  window_start = CASE WHEN signin_throttle.window_start + $3 <= $2 THEN $2"
        "                      ELSE signin_throttle.window_start END");
    db_bind_text(s, 1, key);
    db_bind_int(s, 2, now);
    db_bind_int(s, 3, rule.window_ms);
    return db_exec(s);
}

/* What the delay table stores for key. */
static void delay_key(const char *key, char out[SECRET_SHA256_HEX])
{
    secret_derive_hex("kite-attempt-delay-v1", key, out);
}

kite_err throttle_clear(db_conn *conn, const char *key)
{
    db_stmt *s = db_prepare(conn, "DELETE FROM signin_throttle WHERE key = $1");
    db_bind_text(s, 1, key);
    kite_err err = db_exec(s);
    if (err != KITE_OK)
        return err;
    char hashed[SECRET_SHA256_HEX];
    delay_key(key, hashed);
    db_stmt *d = db_prepare(conn, "DELETE FROM attempt_delays WHERE key = $1");
    db_bind_text(d, 1, hashed);
    return db_exec(d);
}

int64_t delay_after(delay_rule rule, int64_t failures)
{
    if (failures < rule.free_failures || failures <= 0)
        return 0;
    /* Doubling from base_ms; past 40 doublings any cap a person would choose is long reached. */
    int64_t doublings = failures - rule.free_failures;
    int64_t wait = rule.base_ms;
    for (int64_t i = 0; i < doublings && i < 40 && wait < rule.cap_ms; i++)
        wait *= 2;
    return wait < rule.cap_ms ? wait : rule.cap_ms;
}

kite_err delay_read(db_conn *conn, int64_t now, const char *key, delay_rule rule, int64_t *failures,
                    int64_t *wait_ms)
{
    char hashed[SECRET_SHA256_HEX];
    delay_key(key, hashed);
    db_stmt *s = db_prepare(conn, "SELECT failures, last_failure_at FROM attempt_delays WHERE key = $1");
    db_bind_text(s, 1, hashed);
    int64_t count = 0, last = 0;
    if (db_next(s)) {
        count = db_int(s, 0);
        last = db_int(s, 1);
    }
    kite_err err = db_done(s);
    if (err != KITE_OK)
        return err;
    int64_t quiet = now > last ? now - last : 0;
    count -= quiet / rule.forget_ms; /* forgotten one by one; the row stays until the next failure rewrites it */
    if (count < 0)
        count = 0;
    int64_t until = count > 0 ? last + delay_after(rule, count) : 0;
    if (failures != NULL)
        *failures = count;
    if (wait_ms != NULL)
        *wait_ms = until > now ? until - now : 0;
    return KITE_OK;
}

kite_err delay_record_failure(db_conn *conn, int64_t now, const char *key, delay_rule rule)
{
    char hashed[SECRET_SHA256_HEX];
    delay_key(key, hashed);
    db_stmt *s = db_prepare(conn,
        "INSERT INTO attempt_delays (key, failures, last_failure_at) VALUES ($1, 1, $2)"
        " ON CONFLICT (key) DO UPDATE SET"
        "  failures = 1 + CASE"
        "    WHEN $2 <= attempt_delays.last_failure_at THEN attempt_delays.failures"
        "    WHEN attempt_delays.failures - ($2 - attempt_delays.last_failure_at) / $3 > 0"
        "      THEN attempt_delays.failures - ($2 - attempt_delays.last_failure_at) / $3"
        "    ELSE 0 END,"
        "  last_failure_at = CASE WHEN $2 > attempt_delays.last_failure_at THEN $2"
        "                         ELSE attempt_delays.last_failure_at END");
    db_bind_text(s, 1, hashed);
    db_bind_int(s, 2, now);
    db_bind_int(s, 3, rule.forget_ms);
    return db_exec(s);
}
