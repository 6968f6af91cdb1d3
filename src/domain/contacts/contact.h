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
 * The moves between them are in contact_state.h.
 *
 * A facility block (per resident, or facility-wide, by email) refuses every
 * later invitation, request, acceptance and approval for that address with
 * KITE_ERR_CONTACT_BLOCKED, and blocks the contacts it already covers.
 */
#ifndef KITE_DOMAIN_CONTACTS_CONTACT_H
#define KITE_DOMAIN_CONTACTS_CONTACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "domain/contacts/contact_state.h"
#include "domain/context.h"
#include "domain/facility/resident.h"
#include "domain/identity/account.h"

/* One contact as either side sees it. */
typedef struct contact_view {
    int64_t id;
    contact_status status;
    const char *origin; /* invitation | request */
    int64_t created_at, updated_at;
    int64_t resident_id;
    const char *resident_number, *resident_first_name, *resident_last_name;
    resident_status resident_status;
    int64_t facility_id;
    const char *facility_name;
    bool facility_on_platform;
    const char *messaging_slug, *messaging_name; /* who serves the resident's facility now */
    int64_t contact_account_id;
    const char *contact_name, *contact_email;
    bool privileged; /* the contact is a verified attorney now: what is sent over it is privileged (domain/counsel) */
} contact_view;

/* ---- the contact list ---- */

kite_err contact_list(const kite_ctx *ctx, arena *a, const account *caller, contact_view **items,
                      size_t *count) KITE_WUR;
kite_err contact_get(const kite_ctx *ctx, arena *a, const account *caller, int64_t contact_id,
                     contact_view *out) KITE_WUR;
/* A resident removes the contact; a contact blocks the resident. */
kite_err contact_end(const kite_ctx *ctx, arena *a, const account *caller, int64_t contact_id,
                     contact_view *out) KITE_WUR;

#endif
