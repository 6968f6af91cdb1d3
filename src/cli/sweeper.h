/*
 * sweeper.h - a thread that makes the decisions that fall due with time.
 */
#ifndef KITE_CLI_SWEEPER_H
#define KITE_CLI_SWEEPER_H

#include "domain/context.h"
#include "payment/processor.h"

typedef struct sweeper sweeper;

/*
 * ctx (and processor, when not NULL) must outlive the sweeper.  With a
 * processor it also reconciles card top-ups left pending for more than
 * WALLET_STALE_MS.  NULL when the thread cannot start (logged).
 */
sweeper *sweeper_start(const kite_ctx *ctx, const processor_config *processor);
/* Stops and joins; accepts NULL; returns NULL. */
sweeper *sweeper_stop(sweeper *s);

#endif
