/*
 * review.h - the facility's review queue: staff approve or reject what was
 * submitted, held and flagged messages first, with the queue's metrics.
 */
#ifndef KITE_DOMAIN_MESSAGING_REVIEW_H
#define KITE_DOMAIN_MESSAGING_REVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "domain/context.h"
#include "domain/identity/account.h"
#include "domain/messaging/message.h"

typedef struct queue_metrics {
    int64_t depth;
    int64_t oldest_age_ms;     /* 0 when empty */
    int64_t median_decision_ms_24h; /* -1 when nothing was decided in the last day */
    int64_t decided_24h;
    int64_t sla_ms;
    int64_t over_sla;
} queue_metrics;

typedef struct reject_reason {
    const char *code;
    const char *label;
} reject_reason;

kite_err review_queue(const kite_ctx *ctx, arena *a, const account *reviewer, int64_t facility_id, size_t limit,
                      message **items, size_t *count, queue_metrics *metrics) KITE_WUR;
enum { REVIEW_NOTE_MAX_CHARS = 1000 };

/*
 * Exactly one decision wins when two race; the other gets
 * KITE_ERR_ALREADY_DECIDED.  *fault (FAULT_REVIEW) names "reason" or "note"
 * with KITE_ERR_INVALID_FIELD.
 */
kite_err review_decide(const kite_ctx *ctx, arena *a, const account *reviewer, int64_t message_id, bool approve,
                       const char *reason, const char *note, message *out, kite_fault *fault) KITE_WUR;
kite_err reject_reasons_list(const kite_ctx *ctx, arena *a, int64_t facility_id, reject_reason **items,
                             size_t *count) KITE_WUR;

#endif
