/*
 * live_sweeper.h - a thread that closes video-visit rooms at the end of their slot (live_sweeper.c).
 */
#ifndef KITE_CLI_LIVE_SWEEPER_H
#define KITE_CLI_LIVE_SWEEPER_H

#include "domain/context.h"
#include "media/janus.h"

typedef struct live_sweeper live_sweeper;

/* ctx and janus must outlive it; NULL without janus (video off) or when the thread cannot start (logged). */
live_sweeper *live_sweeper_start(const kite_ctx *ctx, const janus_config *janus);
/* Stops and joins; accepts NULL; returns NULL. */
live_sweeper *live_sweeper_stop(live_sweeper *s);

#endif
