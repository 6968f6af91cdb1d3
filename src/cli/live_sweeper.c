/*
 * live_sweeper.c - closes the Janus rooms of video visits whose slot is over, or whose media stopped.
 *
 * Design: a core/worker of its own, beside the sweeper (sweeper.c), every
 * LIVE_SWEEP_INTERVAL_MS: the rooms still open for a visit past its end, or
 * for a visit that ended another way, are closed in the store first (so no
 * request opens them again) and then destroyed in Janus, which hangs up
 * everyone in them; a visit still approved or in progress at its end is
 * finished as completed, which settles its money for the connected minutes
 * (visit_finish; a visit already settled is left alone).  The pages warn a
 * minute before the end (api/visit_live.c); this is what makes the end real.
 * Janus being down leaves the store closed and logs it: Janus drops the
 * room's sessions itself when nobody keeps them alive.
 *
 * It also looks, with the pages' rule (api/visit_media.c), at a connected
 * visit whose media was last seen VISIT_MEDIA_GRACE_MS ago: with both
 * browsers closed nobody polls, so the sweeper asks Janus itself and ends
 * the visit as connection_lost, charged to the last time media was seen,
 * not to the end of the slot.
 */
#include "cli/live_sweeper.h"

#include "api/visit_media.h"

#include "core/alloc.h"
#include "core/log.h"
#include "core/worker.h"
#include "domain/visits/visit_live.h"

#include <stdlib.h>

enum { LIVE_SWEEP_INTERVAL_MS = 5000, LIVE_SWEEP_BATCH = 50 };

struct live_sweeper {
    const kite_ctx *ctx;
    const janus_config *janus;
    worker *thread;
};

/* The slot is over or the visit ended another way: the room goes, and a visit still live is finished. */
static void close_one(live_sweeper *s, int64_t now, int64_t visit_id)
{
    int64_t charged = 0;
    /* completed: visit_finish names it connection_lost, and charges it so, when media stopped before the end */
    kite_err err = live_visit_end(s->ctx, s->janus, now, visit_id, VISIT_END_COMPLETED, NULL, "system", &charged);
    if (err == KITE_OK)
        log_info("live sweeper: visit %lld finished at the end of its slot; %lld cents charged", (long long)visit_id,
                 (long long)charged);
    else if (err != KITE_ERR_ALREADY_DECIDED)
        log_warn("live sweeper: finishing visit %lld failed: %s", (long long)visit_id, kite_err_code(err));
}

/* One due visit: a connected one whose media was not seen for the grace is looked at in Janus first (its pages
   may be gone, so nobody's poll looks): still flowing, it goes on; lost, it ends at the last time media was seen. */
static void sweep_one(live_sweeper *s, arena *a, int64_t now, int64_t visit_id)
{
    visit_info v;
    live_media media;
    kite_err err = live_visit(s->ctx, visit_id, &v);
    if (err == KITE_OK && v.state == VISIT_IN_PROGRESS && now < v.ends_at) {
        err = live_media_look(s->ctx, s->janus, a, now, &v, &media);
        if (err != KITE_OK)
            log_warn("live sweeper: looking at the media of visit %lld failed: %s", (long long)visit_id,
                     kite_err_code(err));
        return;
    }
    if (err != KITE_OK) {
        log_warn("live sweeper: reading visit %lld failed: %s", (long long)visit_id, kite_err_code(err));
        return;
    }
    close_one(s, now, visit_id);
}

static worker_next live_sweep_tick(void *arg)
{
    live_sweeper *s = arg;
    arena *a = arena_new();
    int64_t now = clock_now_ms(&s->ctx->clock);
    int64_t *ids = NULL;
    size_t count = 0;
    kite_err err = live_rooms_due(s->ctx, a, now, LIVE_SWEEP_BATCH, &ids, &count);
    if (err != KITE_OK)
        log_warn("live sweeper: listing rooms past their end failed: %s", kite_err_code(err));
    for (size_t i = 0; err == KITE_OK && i < count; i++)
        sweep_one(s, a, now, ids[i]);
    arena_free(a);
    return WORKER_WAIT;
}

live_sweeper *live_sweeper_start(const kite_ctx *ctx, const janus_config *janus)
{
    if (janus == NULL)
        return NULL;
    live_sweeper *s = xcalloc(1, sizeof *s);
    s->ctx = ctx;
    s->janus = janus;
    if (worker_start("kite-live-sweep", LIVE_SWEEP_INTERVAL_MS, live_sweep_tick, s, &s->thread) != KITE_OK) {
        free(s);
        return NULL;
    }
    return s;
}

live_sweeper *live_sweeper_stop(live_sweeper *s)
{
    if (s == NULL)
        return NULL;
    s->thread = worker_stop(s->thread);
    free(s);
    return NULL;
}
