/*
 * test_worker.c - the worker primitive: the first tick runs at once, ticks
 * repeat, a wake brings the next tick forward (from a wait of an hour, so
 * only the wake can explain it), AGAIN and IDLE do what they say, and after
 * worker_stop() returns no tick runs and none is half done.
 *
 * No assertion depends on how fast the machine is: intervals that must not
 * pass are an hour long, waits for what must happen are generous (30 s) and
 * end as soon as it happens.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "core/clock.h"
#include "core/worker.h"

enum {
    HOUR_MS = 3600 * 1000, /* an interval that never passes during a test */
    PATIENCE_MS = 30000,   /* how long to wait for what must happen */
};

typedef struct counter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int ticks;
    int again_until;     /* return WORKER_AGAIN while ticks < this */
    worker_next then;    /* what to return otherwise */
    int sleep_ms;        /* how long each tick takes */
    bool in_tick;        /* a tick is running */
    bool stopped;        /* set by the test once worker_stop returned */
    int ticks_after_stop;
} counter;

static void counter_init(counter *c, worker_next then)
{
    *c = (counter){.then = then};
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
}

static void counter_destroy(counter *c)
{
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->lock);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static worker_next count_tick(void *arg)
{
    counter *c = arg;
    pthread_mutex_lock(&c->lock);
    c->in_tick = true;
    if (c->stopped)
        c->ticks_after_stop++;
    int pause = c->sleep_ms;
    pthread_mutex_unlock(&c->lock);
    if (pause > 0)
        sleep_ms(pause);
    pthread_mutex_lock(&c->lock);
    c->ticks++;
    c->in_tick = false;
    worker_next next = c->ticks < c->again_until ? WORKER_AGAIN : c->then;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    return next;
}

/* Waits until at least n ticks ran, or PATIENCE_MS passed; returns the count. */
static int wait_ticks(counter *c, int n)
{
    int64_t deadline = clock_mono_ms() + PATIENCE_MS;
    pthread_mutex_lock(&c->lock);
    while (c->ticks < n && clock_mono_ms() < deadline) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 20 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&c->cond, &c->lock, &until);
    }
    int ticks = c->ticks;
    pthread_mutex_unlock(&c->lock);
    return ticks;
}

static int ticks_now(counter *c)
{
    pthread_mutex_lock(&c->lock);
    int ticks = c->ticks;
    pthread_mutex_unlock(&c->lock);
    return ticks;
}

static void test_first_tick_at_once_then_every_interval(void **state)
{
    (void)state;
    counter c;
    counter_init(&c, WORKER_WAIT);
    worker *w = NULL;
    /* An hour's interval: only the immediate first tick can explain a tick. */
    assert_int_equal(worker_start("test-first", HOUR_MS, count_tick, &c, &w), KITE_OK);
    assert_non_null(w);
    assert_true(wait_ticks(&c, 1) >= 1);
    w = worker_stop(w);
    assert_null(w);
    assert_int_equal(ticks_now(&c), 1);

    counter_destroy(&c);

    /* A short interval: ticks keep coming. */
    counter_init(&c, WORKER_WAIT);
    assert_int_equal(worker_start("test-repeat", 5, count_tick, &c, &w), KITE_OK);
    assert_true(wait_ticks(&c, 5) >= 5);
    w = worker_stop(w);
    counter_destroy(&c);
}

static void test_wake_brings_the_next_tick_forward(void **state)
{
    (void)state;
    const worker_next modes[] = {WORKER_WAIT, WORKER_IDLE};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        counter c;
        counter_init(&c, modes[i]);
        worker *w = NULL;
        assert_int_equal(worker_start("test-wake", HOUR_MS, count_tick, &c, &w), KITE_OK);
        assert_true(wait_ticks(&c, 1) >= 1);
        for (int n = 2; n <= 4; n++) {
            worker_wake(w);
            assert_true(wait_ticks(&c, n) >= n);
        }
        w = worker_stop(w);
        counter_destroy(&c);
    }
    worker_wake(NULL); /* a worker that did not start */
}

static void test_wake_during_a_tick_is_not_lost(void **state)
{
    (void)state;
    counter c;
    counter_init(&c, WORKER_IDLE);
    c.sleep_ms = 200;
    worker *w = NULL;
    assert_int_equal(worker_start("test-midtick", HOUR_MS, count_tick, &c, &w), KITE_OK);
    /* Wake while the first tick runs (it takes 200 ms); the next must follow without another wake. */
    for (int64_t deadline = clock_mono_ms() + PATIENCE_MS; clock_mono_ms() < deadline;) {
        pthread_mutex_lock(&c.lock);
        bool running = c.in_tick || c.ticks > 0;
        pthread_mutex_unlock(&c.lock);
        if (running)
            break;
        sleep_ms(1);
    }
    worker_wake(w);
    assert_true(wait_ticks(&c, 2) >= 2);
    w = worker_stop(w);
    counter_destroy(&c);
}

static void test_again_runs_at_once(void **state)
{
    (void)state;
    counter c;
    counter_init(&c, WORKER_WAIT);
    c.again_until = 50;
    worker *w = NULL;
    assert_int_equal(worker_start("test-again", HOUR_MS, count_tick, &c, &w), KITE_OK);
    /* Fifty ticks inside an hour-long interval: AGAIN did not wait. */
    assert_true(wait_ticks(&c, 50) >= 50);
    w = worker_stop(w);
    assert_int_equal(ticks_now(&c), 50);
    counter_destroy(&c);
}

static void test_stop_finishes_the_tick_and_none_runs_after(void **state)
{
    (void)state;
    counter c;
    counter_init(&c, WORKER_WAIT);
    worker *w = NULL;
    assert_int_equal(worker_start("test-stop", 1, count_tick, &c, &w), KITE_OK);
    assert_true(wait_ticks(&c, 3) >= 3);
    /* Stop while ticks run back to back, each long enough to be caught in the middle. */
    pthread_mutex_lock(&c.lock);
    c.sleep_ms = 50;
    pthread_mutex_unlock(&c.lock);
    sleep_ms(20);
    w = worker_stop(w);
    assert_null(w);
    pthread_mutex_lock(&c.lock);
    assert_false(c.in_tick); /* the tick under way finished before stop returned */
    c.stopped = true;
    int at_stop = c.ticks;
    pthread_mutex_unlock(&c.lock);
    sleep_ms(100);
    pthread_mutex_lock(&c.lock);
    assert_int_equal(c.ticks, at_stop);
    assert_int_equal(c.ticks_after_stop, 0);
    pthread_mutex_unlock(&c.lock);
    counter_destroy(&c);

    assert_null(worker_stop(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_tick_at_once_then_every_interval),
        cmocka_unit_test(test_wake_brings_the_next_tick_forward),
        cmocka_unit_test(test_wake_during_a_tick_is_not_lost),
        cmocka_unit_test(test_again_runs_at_once),
        cmocka_unit_test(test_stop_finishes_the_tick_and_none_runs_after),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
