/*
 * block.h - facility blocks by email, for one resident or the whole facility.
 */
#ifndef KITE_DOMAIN_CONTACTS_BLOCK_H
#define KITE_DOMAIN_CONTACTS_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "domain/context.h"
#include "domain/identity/account.h"

/* ---- facility blocks ---- */

typedef struct facility_block {
    int64_t id;
    int64_t facility_id;
    int64_t resident_id; /* 0: facility-wide */
    const char *resident_number;
    const char *email;
    const char *reason;
    int64_t created_at;
    const char *created_by;
} facility_block;

enum { BLOCK_REASON_MAX_CHARS = 500 };

/*
 * Blocks an email (at one resident, or the whole facility).  *fault names
 * "email" or "reason" with KITE_ERR_INVALID_FIELD, and "resident_number"
 * with KITE_ERR_NOT_FOUND (no such resident on the roster).
 */
kite_err facility_block_add(const kite_ctx *ctx, arena *a, int64_t facility_id, const char *email,
                            const char *resident_number, const char *reason, const char *actor, facility_block *out,
                            kite_fault *fault) KITE_WUR;
kite_err facility_block_list(const kite_ctx *ctx, arena *a, int64_t facility_id, facility_block **items,
                             size_t *count) KITE_WUR;
kite_err facility_block_remove(const kite_ctx *ctx, arena *a, int64_t facility_id, int64_t block_id,
                               const char *actor) KITE_WUR;

#endif
