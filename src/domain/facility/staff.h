/*
 * staff.h - the people who work for a facility on Kite: facility admins,
 * reviewers and investigators.  Each belongs to exactly one facility.
 */
#ifndef KITE_DOMAIN_FACILITY_STAFF_H
#define KITE_DOMAIN_FACILITY_STAFF_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "domain/identity/account.h"
#include "domain/context.h"

/* A facility's staff accounts, by id. */
kite_err staff_list(const kite_ctx *ctx, arena *a, int64_t facility_id, account **items, size_t *count) KITE_WUR;

#endif
