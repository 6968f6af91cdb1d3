/*
 * test_events.c - the events table readers and the event hub: rows are read
 * per account, after a cursor, in order; the caps answer THROTTLED and BUSY
 * and free their places on cancel or when the owner says its reader is gone;
 * the notifier wakes exactly the subscribers whose account has new rows
 * (also after it was idle), and wakes everyone for heartbeats.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/secret.h"
#include "db/db.h"
#include "domain/messaging/event.h"

typedef struct fixture {
    char dir[64];
    char path[96];
    kite_ctx ctx;
    arena *a;
    int64_t alice, bob;
} fixture;

struct insert {
    const char *sql;
    int64_t a, b;
    int64_t id;
};

static kite_err insert_tx(db_conn *conn, void *data)
{
    struct insert *in = data;
    db_stmt *s = db_prepare(conn, in->sql);
    db_bind_int(s, 1, in->a);
    if (strstr(in->sql, "$2") != NULL)
        db_bind_int(s, 2, in->b);
    in->id = db_next(s) ? db_int(s, 0) : 0;
    return db_done(s);
}

static int64_t add_account(fixture *f, int64_t n)
{
    struct insert in = {"INSERT INTO accounts (role, email, full_name, password_hash, created_at, updated_at)"
                        " VALUES ('contact', 'user' || $1 || '@example.com', 'User', 'x', 0, 0) RETURNING id", n, 0, 0};
    assert_int_equal(db_write(f->ctx.store, insert_tx, &in), KITE_OK);
    return in.id;
}

/* One row as message.c writes it; returns its id. */
static int64_t add_event(fixture *f, int64_t account_id, int64_t message_id)
{
    struct insert in = {"INSERT INTO events (account_id, kind, message_id, status, at)"
                        " VALUES ($1, 'message.status', $2, 'delivered', 1700000000000) RETURNING id",
                        account_id, message_id, 0};
    assert_int_equal(db_write(f->ctx.store, insert_tx, &in), KITE_OK);
    return in.id;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/kite-test-events-XXXXXX");
    bool made = mkdtemp(f->dir) != NULL;
    snprintf(f->path, sizeof f->path, "%s/kite.db", f->dir);
    if (!made || secret_init() != KITE_OK || db_open(f->path, &f->ctx.store) != KITE_OK) {
        free(f);
        return -1;
    }
    f->a = arena_new();
    f->alice = add_account(f, 1);
    f->bob = add_account(f, 2);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    f->ctx.store = db_close(f->ctx.store);
    arena_free(f->a);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

/* ---- a subscriber that counts its wakes ---- */

typedef struct waiter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int wakes;
    bool gone;
} waiter;

static void waiter_init(waiter *w)
{
    memset(w, 0, sizeof *w);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
}

static void waiter_destroy(waiter *w)
{
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
}

static void on_wake(void *cls)
{
    waiter *w = cls;
    pthread_mutex_lock(&w->lock);
    w->wakes++;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static bool on_gone(void *cls)
{
    waiter *w = cls;
    return w->gone;
}

/* Waits until w was woken more than `seen` times or ms passed; returns the count. */
static int wait_wakes(waiter *w, int seen, int ms)
{
    int64_t deadline = clock_mono_ms() + ms;
    pthread_mutex_lock(&w->lock);
    while (w->wakes <= seen && clock_mono_ms() < deadline) {
        pthread_mutex_unlock(&w->lock);
        usleep(5000);
        pthread_mutex_lock(&w->lock);
    }
    int wakes = w->wakes;
    pthread_mutex_unlock(&w->lock);
    return wakes;
}

static const event_hub_config quick = {.max_per_account = 2, .max_total = 3, .poll_ms = 20, .heartbeat_ms = 3600 * 1000};

/* ---- the table ---- */

static void test_list_after_is_per_account_ordered_and_bounded(void **state)
{
    fixture *f = *state;
    int64_t latest = -1;
    assert_int_equal(event_latest_id(&f->ctx, f->alice, &latest), KITE_OK);
    assert_int_equal(latest, 0);
    int64_t a1 = add_event(f, f->alice, 11);
    add_event(f, f->bob, 12);
    int64_t a2 = add_event(f, f->alice, 13);
    int64_t a3 = add_event(f, f->alice, 14);
    assert_int_equal(event_latest_id(&f->ctx, f->alice, &latest), KITE_OK);
    assert_int_equal(latest, a3);

    event out[8];
    size_t n = 99;
    assert_int_equal(event_list_after(&f->ctx, f->a, f->alice, 0, 8, out, &n), KITE_OK);
    assert_int_equal(n, 3);
    assert_int_equal(out[0].id, a1);
    assert_int_equal(out[1].id, a2);
    assert_int_equal(out[2].id, a3);
    assert_int_equal(out[0].message_id, 11);
    assert_string_equal(out[0].kind, "message.status");
    assert_string_equal(out[0].status, "delivered");
    assert_int_equal(out[0].at, 1700000000000LL);

    assert_int_equal(event_list_after(&f->ctx, f->a, f->alice, a1, 1, out, &n), KITE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].id, a2);
    assert_int_equal(event_list_after(&f->ctx, f->a, f->alice, a3, 8, out, &n), KITE_OK);
    assert_int_equal(n, 0);
    assert_int_equal(event_list_after(&f->ctx, f->a, f->bob, 0, 8, out, &n), KITE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].message_id, 12);
}

/* ---- the hub ---- */

static void test_caps_throttle_per_account_and_busy_per_process(void **state)
{
    fixture *f = *state;
    event_hub *hub = event_hub_start(&f->ctx, &quick);
    assert_non_null(hub);
    event_sub *a1, *a2, *a3, *b1, *b2;
    assert_int_equal(event_hub_subscribe(hub, f->alice, &a1), KITE_OK);
    assert_int_equal(event_hub_subscribe(hub, f->alice, &a2), KITE_OK);
    assert_int_equal(event_hub_subscribe(hub, f->alice, &a3), KITE_ERR_THROTTLED);
    assert_null(a3);
    assert_int_equal(event_hub_subscribe(hub, f->bob, &b1), KITE_OK);
    assert_int_equal(event_hub_subscribe(hub, f->bob, &b2), KITE_ERR_BUSY);
    assert_null(b2);
    a1 = event_sub_cancel(a1);
    assert_null(a1);
    assert_int_equal(event_hub_subscribe(hub, f->bob, &b2), KITE_OK);
    assert_int_equal(event_hub_subscribe(hub, f->alice, &a3), KITE_ERR_BUSY);
    event_sub_cancel(a2);
    event_sub_cancel(b1);
    event_sub_cancel(b2);
    assert_null(event_sub_cancel(NULL));
    assert_null(event_hub_stop(hub));
    assert_null(event_hub_stop(NULL));
}

static void test_a_gone_reader_frees_its_place_at_the_cap(void **state)
{
    fixture *f = *state;
    event_hub *hub = event_hub_start(&f->ctx, &quick);
    waiter w1, w2;
    waiter_init(&w1);
    waiter_init(&w2);
    event_sub *a1, *a2, *a3, *b1;
    assert_int_equal(event_hub_subscribe(hub, f->alice, &a1), KITE_OK);
    assert_int_equal(event_hub_subscribe(hub, f->alice, &a2), KITE_OK);
    event_sub_arm(a1, on_wake, on_gone, &w1);
    event_sub_arm(a2, on_wake, on_gone, &w2);
    assert_int_equal(event_hub_subscribe(hub, f->alice, &a3), KITE_ERR_THROTTLED);
    w1.gone = true; /* a reloaded page: the old connection is closed */
    assert_int_equal(event_hub_subscribe(hub, f->alice, &a3), KITE_OK);
    /* The dead one no longer counts against the process cap either. */
    assert_int_equal(event_hub_subscribe(hub, f->bob, &b1), KITE_OK);
    event_sub_cancel(a1);
    event_sub_cancel(a2);
    event_sub_cancel(a3);
    event_sub_cancel(b1);
    event_hub_stop(hub);
    waiter_destroy(&w1);
    waiter_destroy(&w2);
}

static void test_notifier_wakes_only_the_account_with_news(void **state)
{
    fixture *f = *state;
    add_event(f, f->alice, 1); /* written before anyone listened */
    event_hub *hub = event_hub_start(&f->ctx, &quick);
    waiter wa, wb;
    waiter_init(&wa);
    waiter_init(&wb);
    event_sub *sa, *sb;
    assert_int_equal(event_hub_subscribe(hub, f->alice, &sa), KITE_OK);
    assert_int_equal(event_hub_subscribe(hub, f->bob, &sb), KITE_OK);
    event_sub_arm(sa, on_wake, on_gone, &wa);
    event_sub_arm(sb, on_wake, on_gone, &wb);
    /* The first poll after idling marks everyone once: their own cursor query decides. */
    usleep(200 * 1000);
    event_sub_take(sa);
    event_sub_take(sb);
    int a0 = wait_wakes(&wa, -1, 0), b0 = wait_wakes(&wb, -1, 0);

    add_event(f, f->alice, 2);
    assert_true(wait_wakes(&wa, a0, 2000) > a0);
    assert_int_equal(event_sub_take(sa), EVENT_SUB_NEWS);
    usleep(150 * 1000); /* several more polls */
    assert_int_equal(wait_wakes(&wb, -1, 0), b0);
    assert_int_equal(event_sub_take(sb), 0);
    assert_int_equal(event_sub_take(sa), 0);

    /* A batch larger than one poll reads is still seen, every account in it. */
    for (int i = 0; i < 600; i++)
        add_event(f, i % 2 ? f->alice : f->bob, 100 + i);
    assert_true(wait_wakes(&wb, b0, 2000) > b0);
    usleep(100 * 1000);
    assert_int_equal(event_sub_take(sb), EVENT_SUB_NEWS);
    assert_int_equal(event_sub_take(sa), EVENT_SUB_NEWS);

    event_sub_cancel(sa);
    event_sub_cancel(sb);
    event_hub_stop(hub);
    waiter_destroy(&wa);
    waiter_destroy(&wb);
}

static void test_after_idle_a_new_subscriber_is_marked(void **state)
{
    fixture *f = *state;
    event_hub *hub = event_hub_start(&f->ctx, &quick);
    waiter w;
    waiter_init(&w);
    event_sub *s;
    assert_int_equal(event_hub_subscribe(hub, f->alice, &s), KITE_OK);
    event_sub_arm(s, on_wake, on_gone, &w);
    usleep(100 * 1000);
    event_sub_take(s);
    s = event_sub_cancel(s); /* idle again */
    add_event(f, f->alice, 7);
    usleep(100 * 1000);
    assert_int_equal(event_hub_subscribe(hub, f->alice, &s), KITE_OK);
    event_sub_arm(s, on_wake, on_gone, &w);
    /* Marked (woken too when armed in time): the rows written while idle are its cursor query's to find. */
    unsigned due = 0;
    for (int64_t deadline = clock_mono_ms() + 2000; due == 0 && clock_mono_ms() < deadline; usleep(5000))
        due = event_sub_take(s);
    assert_int_equal(due & EVENT_SUB_NEWS, EVENT_SUB_NEWS);
    event_sub_cancel(s);
    event_hub_stop(hub);
    waiter_destroy(&w);
}

static void test_heartbeats_wake_each_subscriber_once_per_interval(void **state)
{
    fixture *f = *state;
    event_hub_config config = quick;
    config.heartbeat_ms = 100;
    event_hub *hub = event_hub_start(&f->ctx, &config);
    waiter w;
    waiter_init(&w);
    event_sub *s;
    assert_int_equal(event_hub_subscribe(hub, f->alice, &s), KITE_OK);
    event_sub_arm(s, on_wake, on_gone, &w);
    usleep(60 * 1000);
    assert_int_equal(event_sub_take(s) & EVENT_SUB_HEARTBEAT, 0);
    int seen = wait_wakes(&w, -1, 0);
    assert_true(wait_wakes(&w, seen, 2000) > seen);
    /* Not taken yet: no second wake for the same heartbeat. */
    usleep(150 * 1000);
    int after = wait_wakes(&w, -1, 0);
    usleep(100 * 1000);
    assert_int_equal(wait_wakes(&w, -1, 0), after);
    assert_int_equal(event_sub_take(s) & EVENT_SUB_HEARTBEAT, EVENT_SUB_HEARTBEAT);
    assert_int_equal(event_sub_take(s) & EVENT_SUB_HEARTBEAT, 0);
    event_sub_cancel(s);
    event_hub_stop(hub);
    waiter_destroy(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list_after_is_per_account_ordered_and_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_caps_throttle_per_account_and_busy_per_process, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_gone_reader_frees_its_place_at_the_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notifier_wakes_only_the_account_with_news, setup, teardown),
        cmocka_unit_test_setup_teardown(test_after_idle_a_new_subscriber_is_marked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heartbeats_wake_each_subscriber_once_per_interval, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
