/*
 * transfer.h - moving a resident to another facility, contacts and all.
 */
#ifndef KITE_DOMAIN_CONTACTS_TRANSFER_H
#define KITE_DOMAIN_CONTACTS_TRANSFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "domain/context.h"
#include "domain/identity/account.h"

/* ---- moves ---- */

typedef struct transfer_report {
    int64_t resident_id;
    bool to_platform;          /* the new facility is served by Kite */
    int64_t contacts_moved;    /* still active under the new policy */
    int64_t contacts_suspended;/* over the new limit, or blocked there */
    const char *messaging_slug, *messaging_name;
} transfer_report;

/*
 * Moves a resident to another facility (KITE_ERR_INVALID_FIELD with
 * FAULT_TRANSFER for an unknown or unchanged facility, or a resident number
 * not in the new facility's format).  To an on-platform facility the
 * contacts follow under its policy (the most recent over its limit are
 * suspended, never deleted); to one Kite does not serve, messaging stops and
 * contacts are told which provider serves it.
 */
kite_err resident_transfer(const kite_ctx *ctx, arena *a, int64_t facility_id, const char *number,
                           int64_t to_facility_id, const char *new_number, const char *actor,
                           transfer_report *out, kite_fault *fault) KITE_WUR;

#endif
