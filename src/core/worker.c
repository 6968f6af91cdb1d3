/*
 * worker.c - one background thread per periodic chore.
 *
 * Design: a mutex guards two flags, `woken` and `stopping`; a condition
 * variable on CLOCK_MONOTONIC carries both.  The thread clears `woken`
 * before each tick rather than after, so a wake that lands during the tick
 * is seen by the wait that follows it and costs at most one extra tick.
 * The tick itself runs unlocked: it may take seconds (an SMTP exchange) and
 * may call worker_wake() on its own worker.
 */
#include "core/worker.h"

#include "core/alloc.h"
#include "core/log.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { NAME_MAX_BYTES = 16 }; /* what pthread_setname_np takes, with the NUL */

struct worker {
    char name[NAME_MAX_BYTES];
    int64_t interval_ms;
    worker_tick_fn tick;
    void *arg;
    pthread_t thread;
    pthread_mutex_t lock; /* guards woken, stopping */
    pthread_cond_t cond;
    bool woken;
    bool stopping;
};

static void deadline_after(struct timespec *ts, int64_t ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += (time_t)(ms / 1000);
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec += 1;
        ts->tv_nsec -= 1000000000L;
    }
}

/* With the lock held: waits as the last tick asked, until woken or stopped. */
static void wait_for_next(worker *w, worker_next next)
{
    if (next == WORKER_AGAIN)
        return;
    struct timespec until;
    deadline_after(&until, w->interval_ms);
    while (!w->stopping && !w->woken) {
        int rc = next == WORKER_IDLE ? pthread_cond_wait(&w->cond, &w->lock)
                                     : pthread_cond_timedwait(&w->cond, &w->lock, &until);
        if (rc != 0)
            break; /* ETIMEDOUT: the interval passed */
    }
}

static void *worker_main(void *data)
{
    worker *w = data;
    pthread_setname_np(pthread_self(), w->name);
    pthread_mutex_lock(&w->lock);
    while (!w->stopping) {
        w->woken = false;
        pthread_mutex_unlock(&w->lock);
        worker_next next = w->tick(w->arg);
        pthread_mutex_lock(&w->lock);
        wait_for_next(w, next);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void worker_free(worker *w)
{
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

kite_err worker_start(const char *name, int64_t interval_ms, worker_tick_fn tick, void *arg, worker **out)
{
    *out = NULL;
    worker *w = xcalloc(1, sizeof *w);
    snprintf(w->name, sizeof w->name, "%s", name);
    w->interval_ms = interval_ms > 0 ? interval_ms : 1;
    w->tick = tick;
    w->arg = arg;
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cond, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        log_error("%s: cannot start its thread", w->name);
        worker_free(w);
        return KITE_ERR_INTERNAL;
    }
    *out = w;
    return KITE_OK;
}

void worker_wake(worker *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    w->woken = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

worker *worker_stop(worker *w)
{
    if (w == NULL)
        return NULL;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    worker_free(w);
    return NULL;
}
