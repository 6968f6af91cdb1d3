/*
 * contact.h - who may write to whom: invitations, contact requests, the
 * contact list, blocks.
 *
 * Every flow is governed by the policy of the resident's current facility:
 * who starts contact (the resident invites by email, or the contact asks),
 * how a resident is found (by number, or also by name), how requests are
 * approved (by the resident, or also when a review window passes without a
 * decision), and how many contacts a resident may have.  Kite refuses every
 * flow for a facility it does not serve.
 *
 * A pair (resident, contact account) has at most one contact row, enforced by
 * the store, so racing approvals or accepts yield one contact, never two.
 * Contact states: active; suspended (over the limit after a transfer);
 * removed (by the resident); blocked (by the contact); facility_blocked.
 *
 * A facility block (per resident, or facility-wide, by email) refuses every
 * later invitation, request, acceptance and approval for that address with
 * KITE_ERR_CONTACT_BLOCKED, and blocks the contacts it already covers.
 */
#ifndef KITE_DOMAIN_CONTACT_H
#define KITE_DOMAIN_CONTACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/secret.h"
#include "domain/account.h"
#include "domain/context.h"

/* One contact as either side sees it. */
typedef struct contact_view {
    int64_t id;
    const char *status;
    const char *origin; /* invitation | request */
    int64_t created_at, updated_at;
    int64_t resident_id;
    const char *resident_number, *resident_first_name, *resident_last_name, *resident_status;
    int64_t facility_id;
    const char *facility_name;
    bool facility_on_platform;
    const char *messaging_slug, *messaging_name; /* who serves the resident's facility now */
    int64_t contact_account_id;
    const char *contact_name, *contact_email;
} contact_view;

typedef struct invitation {
    int64_t id;
    int64_t resident_id;
    const char *resident_name;
    const char *facility_name;
    const char *email;
    const char *status; /* pending | accepted | revoked | expired */
    int64_t created_at, expires_at, accepted_at;
} invitation;

typedef struct contact_request {
    int64_t id;
    int64_t resident_id;
    const char *resident_number, *resident_name;
    int64_t facility_id;
    const char *facility_name;
    int64_t contact_account_id;
    const char *contact_name, *contact_email;
    const char *status; /* pending | approved | declined | cancelled */
    int64_t created_at, decided_at, auto_approve_at; /* 0 when not set */
} contact_request;

/* ---- invitations (resident_invites) ---- */

enum { INVITATIONS_PER_DAY = 20 };

/*
 * The resident invites email; a pending invitation to the same address is
 * replaced.  At most INVITATIONS_PER_DAY a day (KITE_ERR_THROTTLED).
 */
kite_err invitation_create(const kite_ctx *ctx, arena *a, const account *resident_account, const char *email,
                           invitation *out, const char **bad_field) KITE_WUR;
/* The signed-in contact accepts; exactly one contact results even when accepts race. */
kite_err invitation_accept(const kite_ctx *ctx, arena *a, const account *contact_account, const char *token,
                           contact_view *out) KITE_WUR;
/* What an invitation link is about, for whoever holds it (signed in or not). */
kite_err invitation_preview(const kite_ctx *ctx, arena *a, const char *token, invitation *out) KITE_WUR;
/* A resident's invitations, or the pending ones sent to a contact's email. */
kite_err invitation_list(const kite_ctx *ctx, arena *a, const account *caller, invitation **items,
                         size_t *count) KITE_WUR;

/* ---- contact requests (contact_requests) ---- */

typedef struct request_target {
    int64_t facility_id;
    const char *resident_number; /* either the number ... */
    const char *first_name;      /* ... or the names, where the policy allows */
    const char *last_name;
} request_target;

kite_err contact_request_create(const kite_ctx *ctx, arena *a, const account *contact_account,
                                const request_target *target, contact_request *out, const char **bad_field) KITE_WUR;
/* The resident approves or declines; KITE_ERR_ALREADY_DECIDED when it was decided before. */
kite_err contact_request_decide(const kite_ctx *ctx, arena *a, const account *resident_account, int64_t request_id,
                                bool approve, contact_request *out) KITE_WUR;
kite_err contact_request_list(const kite_ctx *ctx, arena *a, const account *caller, contact_request **items,
                              size_t *count) KITE_WUR;
/* Approves the requests whose review window has passed; returns how many. */
kite_err contact_requests_settle(const kite_ctx *ctx, int64_t *approved) KITE_WUR;

/* ---- the contact list ---- */

kite_err contact_list(const kite_ctx *ctx, arena *a, const account *caller, contact_view **items,
                      size_t *count) KITE_WUR;
kite_err contact_get(const kite_ctx *ctx, arena *a, const account *caller, int64_t contact_id,
                     contact_view *out) KITE_WUR;
/* A resident removes the contact; a contact blocks the resident. */
kite_err contact_end(const kite_ctx *ctx, arena *a, const account *caller, int64_t contact_id,
                     contact_view *out) KITE_WUR;

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

kite_err facility_block_add(const kite_ctx *ctx, arena *a, int64_t facility_id, const char *email,
                            const char *resident_number, const char *reason, const char *actor, facility_block *out,
                            const char **bad_field) KITE_WUR;
kite_err facility_block_list(const kite_ctx *ctx, arena *a, int64_t facility_id, facility_block **items,
                             size_t *count) KITE_WUR;
kite_err facility_block_remove(const kite_ctx *ctx, arena *a, int64_t facility_id, int64_t block_id,
                               const char *actor) KITE_WUR;

/* ---- moves ---- */

typedef struct transfer_report {
    int64_t resident_id;
    bool to_platform;          /* the new facility is served by Kite */
    int64_t contacts_moved;    /* still active under the new policy */
    int64_t contacts_suspended;/* over the new limit, or blocked there */
    const char *messaging_slug, *messaging_name;
} transfer_report;

/*
 * Moves a resident to another facility.  To an on-platform facility the
 * contacts follow under its policy (the most recent over its limit are
 * suspended, never deleted); to one Kite does not serve, messaging stops and
 * contacts are told which provider serves it.
 */
kite_err resident_transfer(const kite_ctx *ctx, arena *a, int64_t facility_id, const char *number,
                           int64_t to_facility_id, const char *new_number, const char *actor,
                           transfer_report *out, const char **bad_field) KITE_WUR;

#endif
