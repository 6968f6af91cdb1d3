/*
 * sweeper.c - the server's periodic chores: decisions that fall due with
 * time alone (a contact request whose review window passed) are made within
 * SWEEP_INTERVAL_MS even when nobody looks.  A core/worker runs the sweep,
 * the first one at once.  Retention (domain/retention/purge.h) runs at the
 * first sweep and every PURGE_EVERY_TICKS sweeps after it.
 */
#include "cli/sweeper.h"

#include "core/alloc.h"
#include "core/log.h"
#include "core/worker.h"
#include "domain/contacts/contact_request.h"
#include "domain/identity/email_verify.h"
#include "domain/ledger/wallet.h"
#include "domain/retention/purge.h"
#include "domain/visits/visit.h"

#include <inttypes.h>

#include <stdlib.h>

enum { SWEEP_INTERVAL_MS = 30000, PURGE_EVERY_TICKS = 10 };

struct sweeper {
    const kite_ctx *ctx;
    const processor_config *processor;
    worker *thread;
    unsigned ticks;
};

/*
 * Card top-ups still pending a minute after they began: their request
 * thread gave up (a timeout) or died.  The processor is asked by key; an
 * answer settles the top-up (approved is credited once), "no charge" marks
 * it failed, no answer leaves it for the next tick.
 */
static void reconcile_top_ups(sweeper *s)
{
    int64_t ids[WALLET_STALE_BATCH];
    size_t count = 0;
    kite_err err = wallet_top_ups_stale(s->ctx, clock_now_ms(&s->ctx->clock) - WALLET_STALE_MS, ids, &count);
    if (err != KITE_OK)
        log_warn("sweeper: listing pending top-ups failed: %s", kite_err_code(err));
    for (size_t i = 0; err == KITE_OK && i < count; i++) {
        wallet_top_up t = {0};
        charge_result r = {0};
        kite_fault f;
        if ((err = wallet_top_up_get(s->ctx, ids[i], &t)) != KITE_OK)
            break;
        if (processor_lookup(s->processor, t.processor_key, &r, &f) != KITE_OK || r.outcome == CHARGE_PROCESSOR_ERROR ||
            r.outcome == CHARGE_TIMEOUT)
            continue;
        if ((err = wallet_top_up_settle(s->ctx, ids[i], "system", &r, &t)) != KITE_OK)
            log_warn("sweeper: settling top-up %" PRId64 " failed: %s", ids[i], kite_err_code(err));
        else
            log_info("sweeper: top-up %" PRId64 " reconciled: %s", ids[i], wallet_top_up_state_name(t.state));
    }
}

static worker_next sweep_tick(void *arg)
{
    sweeper *s = arg;
    if (s->processor != NULL)
        reconcile_top_ups(s);
    int64_t approved = 0;
    kite_err err = contact_requests_settle(s->ctx, &approved);
    if (err != KITE_OK)
        log_warn("sweeper: settling contact requests failed: %s", kite_err_code(err));
    else if (approved > 0)
        log_info("sweeper: %lld contact requests approved when their review window passed", (long long)approved);
    /* Unverified accounts nobody used for a week: retired, so the address is not held by a stranger's try. */
    arena *a = arena_new();
    int64_t retired = 0;
    if ((err = email_verify_sweep(s->ctx, a, &retired)) != KITE_OK)
        log_warn("sweeper: retiring unused unverified accounts failed: %s", kite_err_code(err));
    else if (retired > 0)
        log_info("sweeper: %lld unverified accounts unused for 7 days retired", (long long)retired);
    /* Retention: at start and every few minutes; a run with nothing due reads a few rows. */
    if (s->ticks++ % PURGE_EVERY_TICKS == 0) {
        retention_report r;
        if ((err = retention_purge(s->ctx, a, "system", &r)) != KITE_OK)
            log_warn("sweeper: retention purge failed: %s", kite_err_code(err));
        else if (r.messages > 0 || r.photos > 0 || r.audit_deleted > 0)
            log_info("sweeper: retention purged %lld messages, %lld photos, %lld audit records (%lld kept by legal holds)",
                     (long long)r.messages, (long long)r.photos, (long long)r.audit_deleted, (long long)r.kept_by_hold);
    }
    arena_free(a);
    /* Video visits that time ended: no-shows released, visits over completed, bookings never approved cancelled. */
    size_t visits = 0;
    if ((err = visit_sweep(s->ctx, clock_now_ms(&s->ctx->clock), &visits)) != KITE_OK)
        log_warn("sweeper: settling video visits failed: %s", kite_err_code(err));
    else if (visits > 0)
        log_info("sweeper: %zu video visits settled", visits);
    return WORKER_WAIT;
}

sweeper *sweeper_start(const kite_ctx *ctx, const processor_config *processor)
{
    sweeper *s = xcalloc(1, sizeof *s);
    s->ctx = ctx;
    s->processor = processor;
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
