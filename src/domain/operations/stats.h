/*
 * stats.h - what an operator watches: the backlog of work Kite owes people.
 *
 * Design: three small reads in one snapshot, each bounded by what is
 * waiting, not by what the store holds (each has a partial or leading
 * index: messages_review, outbox_due, ledger_holds_open): messages waiting
 * for review and the oldest one's age, mail not yet sent and the oldest
 * one's age, money held for messages not yet delivered.  The numbers feed
 * GET /metrics (api/metrics.c); nothing here knows Prometheus.
 */
#ifndef KITE_DOMAIN_OPERATIONS_STATS_H
#define KITE_DOMAIN_OPERATIONS_STATS_H

#include <stdint.h>

#include "core/error.h"
#include "domain/context.h"

typedef struct operations_stats {
    int64_t review_waiting, review_oldest_ms;   /* messages pending review; created_at of the oldest (0: none) */
    int64_t outbox_pending, outbox_oldest_ms;   /* mail not yet sent; created_at of the oldest (0: none) */
    int64_t holds_open, holds_open_cents;       /* money held for messages not yet delivered or refused */
} operations_stats;

kite_err operations_stats_read(const kite_ctx *ctx, operations_stats *out) KITE_WUR;

#endif
