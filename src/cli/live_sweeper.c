/*
 * live_sweeper.c - closes the Janus rooms of video visits whose slot is over.
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
 */
#include "cli/live_sweeper.h"

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

static void close_one(live_sweeper *s, int64_t now, int64_t visit_id)
{
    live_room room;
    bool was_open = false;
    kite_err err = live_room_get(s->ctx, visit_id, &room);
    if (err == KITE_OK)
        err = live_room_close(s->ctx, now, visit_id, NULL, &was_open);
    if (err != KITE_OK) {
        log_warn("live sweeper: closing the room of visit %lld failed: %s", (long long)visit_id, kite_err_code(err));
        return;
    }
    janus_error e = {0};
    if (was_open && janus_room_drop(s->janus, room.janus_room, room.secret, &e) != KITE_OK)
        log_warn("live sweeper: Janus did not destroy the room of visit %lld: %d %s", (long long)visit_id, e.code,
                 e.reason);
    int64_t charged = 0;
    err = live_finish(s->ctx, now, visit_id, VISIT_END_COMPLETED, "system", &charged);
    if (err == KITE_OK)
        log_info("live sweeper: visit %lld completed at the end of its slot; %lld cents charged", (long long)visit_id,
                 (long long)charged);
    else if (err != KITE_ERR_ALREADY_DECIDED)
        log_warn("live sweeper: finishing visit %lld failed: %s", (long long)visit_id, kite_err_code(err));
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
        close_one(s, now, ids[i]);
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
