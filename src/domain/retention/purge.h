/*
 * purge.h - what retention deletes, when it is due.
 *
 * For every facility on the platform, by its policy: a finished message
 * (delivered, read, rejected or withdrawn) sent more than
 * message_retention_days ago loses its subject and body, and its photos
 * their bytes, unless a standing legal hold covers it (legal_hold.h); a
 * photo of a finished message sent more than photo_retention_days ago
 * loses its bytes alike.  Messages still in review or approved are never
 * touched: their money is still held.  The message row stays as a
 * tombstone - id, parties, times, status, price and purged_at - because
 * ledger postings, statements and audit records name it.  The audit log's
 * oldest records go once the longest audit_retention_days of any facility
 * has passed, with a checkpoint (audit_cut).  Each batch of deletions is
 * one transaction with its own "retention.purge" record (facility, counts,
 * the cut-offs and the range of message ids).
 */
#ifndef KITE_DOMAIN_RETENTION_PURGE_H
#define KITE_DOMAIN_RETENTION_PURGE_H

#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "domain/context.h"

/* Messages purged per transaction; a run goes on until nothing is due. */
enum { RETENTION_BATCH = 500 };

typedef struct retention_report {
    int64_t facilities;    /* facilities with a policy, looked at */
    int64_t messages;      /* messages whose text was purged */
    int64_t photos;        /* photos whose bytes were purged */
    int64_t kept_by_hold;  /* messages due, kept because a legal hold covers them */
    int64_t audit_deleted; /* audit records cut (with a checkpoint) */
} retention_report;

/* One run at the context's clock, actor "system" or "cli"; adds to nothing, fills *out. */
kite_err retention_purge(const kite_ctx *ctx, arena *a, const char *actor, retention_report *out) KITE_WUR;

#endif
