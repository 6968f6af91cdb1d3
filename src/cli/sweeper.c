/*
 * sweeper.c - the server's periodic chores: decisions that fall due with
 * time alone (a contact request whose review window passed) are made within
 * SWEEP_INTERVAL_MS even when nobody looks.
 */
#include "cli/sweeper.h"

#include "core/alloc.h"
#include "core/log.h"
#include "domain/contacts/contact_request.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

enum { SWEEP_INTERVAL_MS = 30000 };

struct sweeper {
    const kite_ctx *ctx;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
};

static void sweep_once(sweeper *s)
{
    int64_t approved = 0;
    kite_err err = contact_requests_settle(s->ctx, &approved);
    if (err != KITE_OK)
        log_warn("sweeper: settling contact requests failed: %s", kite_err_code(err));
    else if (approved > 0)
        log_info("sweeper: %lld contact requests approved when their review window passed", (long long)approved);
}

static void *sweeper_main(void *arg)
{
    sweeper *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stopping) {
        pthread_mutex_unlock(&s->lock);
        sweep_once(s);
        pthread_mutex_lock(&s->lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += SWEEP_INTERVAL_MS / 1000;
        while (!s->stopping && pthread_cond_timedwait(&s->wake, &s->lock, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

sweeper *sweeper_start(const kite_ctx *ctx)
{
    sweeper *s = xcalloc(1, sizeof *s);
    s->ctx = ctx;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    if (pthread_create(&s->thread, NULL, sweeper_main, s) != 0) {
        log_error("sweeper: cannot start its thread");
        pthread_cond_destroy(&s->wake);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NULL;
    }
    return s;
}

sweeper *sweeper_stop(sweeper *s)
{
    if (s == NULL)
        return NULL;
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
    free(s);
    return NULL;
}
