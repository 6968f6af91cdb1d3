/*
 * test_pin.c - the PIN rules (domain/facility/pin.h) and what a PIN from
 * before them does: it still signs in, and marks the resident for a new one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/secret.h"
#include "db/db.h"
#include "domain/directory/providers.h"
#include "domain/facility/pin.h"
#include "domain/facility/policy.h"
#include "domain/facility/resident.h"

#include <stdlib.h>
#include <string.h>

#include "temp_store.h"

static void expect(const char *pin, const char *number, kite_err code, fault_detail detail)
{
    kite_fault f = {0};
    kite_err got = pin_policy_check(pin, number, &f);
    if (got != code || (code != KITE_OK && f.detail != detail))
        print_message("PIN %s (number %s): %d, detail %d\n", pin ? pin : "(null)", number ? number : "-", got, f.detail);
    assert_int_equal(got, code);
    if (code != KITE_OK) {
        assert_int_equal(f.detail, detail);
        assert_string_equal(f.field, "pin");
        assert_int_equal(f.min, PIN_MIN_DIGITS);
        assert_int_equal(f.max, PIN_MAX_DIGITS);
    }
}

static void test_pin_rules(void **state)
{
    (void)state;
    const kite_err bad = KITE_ERR_INVALID_FIELD;
    /* Shape: 6 to 12 digits. */
    expect("1234", NULL, bad, FAULT_DIGITS);
    expect("73914", NULL, bad, FAULT_DIGITS);
    expect("7391468025731", NULL, bad, FAULT_DIGITS);
    expect("73a914", NULL, bad, FAULT_DIGITS);
    expect("", NULL, bad, FAULT_DIGITS);
    expect(NULL, NULL, bad, FAULT_DIGITS);
    /* One digit or one block repeated. */
    expect("000000", NULL, bad, FAULT_PIN_REPEATED);
    expect("121212", NULL, bad, FAULT_PIN_REPEATED);
    expect("123123", NULL, bad, FAULT_PIN_REPEATED);
    expect("73917391", NULL, bad, FAULT_PIN_REPEATED);
    /* Runs, up or down, round from 9 to 0. */
    expect("123456", NULL, bad, FAULT_PIN_SEQUENCE);
    expect("654321", NULL, bad, FAULT_PIN_SEQUENCE);
    expect("890123", NULL, bad, FAULT_PIN_SEQUENCE);
    expect("3210987654", NULL, bad, FAULT_PIN_SEQUENCE);
    /* Common ones. */
    expect("246810", NULL, bad, FAULT_PIN_COMMON);
    expect("147258", NULL, bad, FAULT_PIN_COMMON);
    expect("112233", NULL, bad, FAULT_PIN_COMMON);
    /* The resident's own number, or a run of its digits; a short number says nothing. */
    expect("021947", "58021-947", bad, FAULT_PIN_NUMBER);
    expect("58021947", "58021-947", bad, FAULT_PIN_NUMBER);
    expect("9805519", "551", KITE_OK, FAULT_NONE);
    expect("58801942", "8801", bad, FAULT_PIN_NUMBER);
    /* Good ones. */
    expect("582914", NULL, KITE_OK, FAULT_NONE);
    expect("582914", "12345-678", KITE_OK, FAULT_NONE);
    expect("739146802573", NULL, KITE_OK, FAULT_NONE);
    /* Without a number (the shape and the patterns only). */
    assert_int_equal(pin_check("582914"), KITE_OK);
    assert_int_equal(pin_check("1234"), KITE_ERR_INVALID_FIELD);
    assert_int_equal(pin_check("121212"), KITE_ERR_INVALID_FIELD);
}

/* ---- a PIN from before the rules ---- */

typedef struct fixture {
    temp_store t;
    kite_ctx ctx;
    arena *a;
} fixture;

static kite_err sql_tx(db_conn *conn, void *statement)
{
    return db_exec(db_prepare(conn, statement));
}

static kite_err seed_tx(db_conn *conn, void *data)
{
    (void)data;
    return providers_seed(conn);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL || temp_store_open(&f->t, "pin") != 0) {
        free(f);
        return -1;
    }
    f->ctx = (kite_ctx){.store = f->t.store, .passwords = password_gate_new(2, 0, 0), .session_ttl_ms = 3600000};
    f->a = arena_new();
    *state = f;
    policy pol;
    bool created = false;
    if (db_write(f->t.store, sql_tx, "INSERT INTO facilities (id, name, created_at, updated_at) VALUES (1, 'One', 0, 0)") !=
            KITE_OK ||
        db_write(f->t.store, seed_tx, NULL) != KITE_OK || policy_defaults("jpay", &pol) != KITE_OK ||
        policy_put(&f->ctx, f->a, 1, &pol, "cli", true, &created) != KITE_OK)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    temp_store_close(&f->t);
    f->ctx.passwords = password_gate_free(f->ctx.passwords);
    f->a = arena_free(f->a);
    free(f);
    return 0;
}

struct set_hash {
    int64_t account_id;
    const char *hash;
};

/* What a store from before the rules holds: the hash of a 4-digit PIN. */
static kite_err set_hash_tx(db_conn *conn, void *data)
{
    const struct set_hash *in = data;
    db_stmt *s = db_prepare(conn, "UPDATE accounts SET password_hash = $1 WHERE id = $2");
    db_bind_text(s, 1, in->hash);
    db_bind_int(s, 2, in->account_id);
    return db_exec(s);
}

static void test_old_short_pin_signs_in_and_asks_for_a_new_one(void **state)
{
    fixture *f = *state;
    resident r = {0};
    kite_fault fault = {0};
    resident_input in = {"A1001", "Sam", "Rivera", "582914"};
    assert_int_equal(resident_add(&f->ctx, f->a, 1, &in, "cli", &r, &fault), KITE_OK);
    assert_false(r.pin_weak);
    char hash[PASSWORD_HASH_MAX];
    assert_int_equal(password_hash(f->ctx.passwords, "1234", hash), KITE_OK);
    struct set_hash old = {r.account_id, hash};
    assert_int_equal(db_write(f->ctx.store, set_hash_tx, &old), KITE_OK);

    /* Nobody is shut out of their tablet by the upgrade... */
    signin_result res;
    assert_int_equal(resident_sign_in(&f->ctx, f->a, 1, "A1001", "1234", "10.0.0.1", &res, &fault), KITE_OK);
    /* ...and staff see that the PIN must be reset. */
    assert_int_equal(resident_get(&f->ctx, f->a, 1, "A1001", &r), KITE_OK);
    assert_true(r.pin_weak);

    /* A new PIN set by staff clears the mark; a good PIN at sign-in never sets it. */
    resident_change change = {.pin = "730591"};
    assert_int_equal(resident_update(&f->ctx, f->a, 1, "A1001", &change, "cli", &r, &fault), KITE_OK);
    assert_false(r.pin_weak);
    assert_int_equal(resident_sign_in(&f->ctx, f->a, 1, "A1001", "730591", "10.0.0.1", &res, &fault), KITE_OK);
    assert_int_equal(resident_get(&f->ctx, f->a, 1, "A1001", &r), KITE_OK);
    assert_false(r.pin_weak);
    /* And staff cannot set an easy one again. */
    change.pin = "1234";
    assert_int_equal(resident_update(&f->ctx, f->a, 1, "A1001", &change, "cli", &r, &fault), KITE_ERR_INVALID_FIELD);
    assert_int_equal(fault.detail, FAULT_DIGITS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pin_rules),
        cmocka_unit_test_setup_teardown(test_old_short_pin_signs_in_and_asks_for_a_new_one, setup, teardown),
    };
    if (secret_init() != KITE_OK)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
