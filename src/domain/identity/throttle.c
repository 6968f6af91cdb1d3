#include "domain/identity/throttle.h"

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

kite_err throttle_clear(db_conn *conn, const char *key)
{
    db_stmt *s = db_prepare(conn, "DELETE FROM signin_throttle WHERE key = $1");
    db_bind_text(s, 1, key);
    return db_exec(s);
}
