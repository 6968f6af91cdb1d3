/*
 * sweeper.h - a thread that makes the decisions that fall due with time.
 */
#ifndef KITE_CLI_SWEEPER_H
#define KITE_CLI_SWEEPER_H

#include "domain/context.h"

typedef struct sweeper sweeper;

/* ctx must outlive the sweeper.  NULL when the thread cannot start (logged). */
sweeper *sweeper_start(const kite_ctx *ctx);
/* Stops and joins; accepts NULL; returns NULL. */
sweeper *sweeper_stop(sweeper *s);

#endif
