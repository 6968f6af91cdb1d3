/*
 * sweeper.c - the server's periodic chores: decisions that fall due with
 * time alone (a contact request whose review window passed) are made within
 * SWEEP_INTERVAL_MS even when nobody looks.  A core/worker runs the sweep,
 * the first one at once.
 */
#include "cli/sweeper.h"

#include "core/alloc.h"
#include "core/log.h"
#include "core/worker.h"
#include "domain/contacts/contact_request.h"

#include <stdlib.h>

enum { SWEEP_INTERVAL_MS = 30000 };

struct sweeper {
    const kite_ctx *ctx;
    worker *thread;
};

static worker_next sweep_tick(void *arg)
{
    sweeper *s = arg;
    int64_t approved = 0;
    kite_err err = contact_requests_settle(s->ctx, &approved);
    if (err != KITE_OK)
        log_warn("sweeper: settling contact requests failed: %s", kite_err_code(err));
    else if (approved > 0)
        log_info("sweeper: %lld contact requests approved when their review window passed", (long long)approved);
    return WORKER_WAIT;
}

sweeper *sweeper_start(const kite_ctx *ctx)
{
    sweeper *s = xcalloc(1, sizeof *s);
    s->ctx = ctx;
    if (worker_start("kite-sweeper", SWEEP_INTERVAL_MS, sweep_tick, s, &s->thread) != KITE_OK) {
        free(s);
        return NULL;
    }
    return s;
}

sweeper *sweeper_stop(sweeper *s)
{
    if (s == NULL)
        return NULL;
    s->thread = worker_stop(s->thread);
    free(s);
    return NULL;
}
