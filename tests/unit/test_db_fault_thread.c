/*
 * test_db_fault_thread.c - the store's per-thread fault (db_fault_arm_thread),
 * the one kite serve --test-fault-injection arms for a single HTTP request.
 *
 * Design: what the HTTP fault test relies on, proved here without HTTP:
 *   - only the armed thread's steps count, and only its Nth step fails, once;
 *   - another thread writing meanwhile neither counts nor fails, even when it
 *     passes the same step numbers (it is another request);
 *   - the failure rolls the transaction back through the ordinary path;
 *   - N = 0 only counts; after disarming, nothing counts or fails;
 *   - a store-wide fault (db_fault_arm) still works beside it.
 *
 * Built only with -Dfault_injection=true, like test_ledger_faults.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "db/db.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "temp_store.h"

enum { OTHER_WRITES = 50 };

static int setup(void **state)
{
    temp_store *f = calloc(1, sizeof *f);
    if (f == NULL || temp_store_open(f, "faultthread") != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    temp_store_close(*state);
    free(*state);
    return 0;
}

/* One row into meta: BEGIN IMMEDIATE, the INSERT, COMMIT: three steps. */
static kite_err put_tx(db_conn *conn, void *ctx)
{
    db_stmt *s = db_prepare(conn, "INSERT INTO meta (key, value) VALUES ($1, 'x')");
    db_bind_text(s, 1, ctx);
    return db_exec(s);
}

static kite_err count_tx(db_conn *conn, void *ctx)
{
    db_stmt *s = db_prepare(conn, "SELECT count(*) FROM meta WHERE key LIKE $1");
    db_bind_text(s, 1, "fault-thread-%");
    if (db_next(s))
        *(int64_t *)ctx = db_int(s, 0);
    return db_done(s);
}

static int64_t rows(db *store)
{
    int64_t n = -1;
    assert_int_equal(db_read(store, count_tx, &n), KITE_OK);
    return n;
}

typedef struct other_writer {
    db *store;
    int failures;
} other_writer;

/* Another request: many writes on its own thread while the main thread is armed. */
static void *other_main(void *arg)
{
    other_writer *w = arg;
    for (int i = 0; i < OTHER_WRITES; i++) {
        char key[48];
        snprintf(key, sizeof key, "fault-thread-other-%d", i);
        if (db_write(w->store, put_tx, key) != KITE_OK)
            w->failures++;
    }
    return NULL;
}

static void test_only_the_armed_step_of_the_armed_thread_fails(void **state)
{
    temp_store *f = *state;
    db_fault_arm_thread(2, KITE_OK); /* the INSERT of the next write */
    other_writer w = {f->store, 0};
    pthread_t other;
    assert_int_equal(pthread_create(&other, NULL, other_main, &w), 0);
    assert_int_equal(pthread_join(other, NULL), 0);
    assert_int_equal(w.failures, 0);

    assert_int_equal(db_write(f->store, put_tx, "fault-thread-armed"), KITE_ERR_STORE);
    assert_int_equal(db_write(f->store, put_tx, "fault-thread-after"), KITE_OK); /* once */
    int64_t failed = -1;
    assert_int_equal(db_fault_disarm_thread(&failed), 2 + 3); /* BEGIN, INSERT (failed, then ROLLBACK), + 3 */
    assert_int_equal(failed, 2);
    assert_int_equal(rows(f->store), OTHER_WRITES + 1); /* the armed write rolled back */
}

static void test_zero_only_counts_and_disarm_stops(void **state)
{
    temp_store *f = *state;
    db_fault_arm_thread(0, KITE_OK);
    assert_int_equal(db_write(f->store, put_tx, "fault-thread-counted"), KITE_OK);
    int64_t failed = -1;
    assert_int_equal(db_fault_disarm_thread(&failed), 3);
    assert_int_equal(failed, 0);
    /* Disarmed: nothing counts, nothing fails. */
    assert_int_equal(db_write(f->store, put_tx, "fault-thread-free"), KITE_OK);
    assert_int_equal(db_fault_disarm_thread(NULL), 0);
    assert_int_equal(rows(f->store), 2);
}

static void test_a_store_wide_fault_still_works_beside_it(void **state)
{
    temp_store *f = *state;
    db_fault_arm_thread(0, KITE_OK);
    db_fault_arm(f->store, 3, KITE_OK); /* the COMMIT */
    assert_int_equal(db_write(f->store, put_tx, "fault-thread-store-wide"), KITE_ERR_STORE);
    assert_int_equal(db_fault_steps(f->store), 3);
    assert_int_equal(db_fault_disarm_thread(NULL), 3);
    assert_int_equal(rows(f->store), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_only_the_armed_step_of_the_armed_thread_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_only_counts_and_disarm_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_store_wide_fault_still_works_beside_it, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
