/*
 * invitation.h - a resident invites an email address to become a contact
 * (facilities where the resident starts contact, CorrLinks-style).
 */
#ifndef KITE_DOMAIN_CONTACTS_INVITATION_H
#define KITE_DOMAIN_CONTACTS_INVITATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "domain/context.h"
#include "domain/identity/account.h"
#include "domain/contacts/contact.h"

typedef struct invitation {
    int64_t id;
    int64_t resident_id;
    const char *resident_name;
    const char *facility_name;
    const char *email;
    invitation_status status; /* expired when a pending one is read past expires_at */
    int64_t created_at, expires_at, accepted_at;
} invitation;

/* ---- invitations (resident_invites) ---- */

enum { INVITATIONS_PER_DAY = 20 };

/*
 * The resident invites email; a pending invitation to the same address is
 * replaced.  At most INVITATIONS_PER_DAY a day (KITE_ERR_THROTTLED with
 * FAULT_INVITATIONS); KITE_ERR_INVALID_FIELD (FAULT_EMAIL) for the email.
 */
kite_err invitation_create(const kite_ctx *ctx, arena *a, const account *resident_account, const char *email,
                           invitation *out, kite_fault *fault) KITE_WUR;
/* The signed-in contact accepts; exactly one contact results even when accepts race. */
kite_err invitation_accept(const kite_ctx *ctx, arena *a, const account *contact_account, const char *token,
                           contact_view *out) KITE_WUR;
/* What an invitation link is about, for whoever holds it (signed in or not). */
kite_err invitation_preview(const kite_ctx *ctx, arena *a, const char *token, invitation *out) KITE_WUR;
/*
 * The resident withdraws a pending invitation of theirs: its link stops
 * working (the invitee is told "withdrawn" if they open it).
 * KITE_ERR_NOT_FOUND for none of theirs, KITE_ERR_ALREADY_DECIDED when it
 * is no longer pending.
 */
kite_err invitation_cancel(const kite_ctx *ctx, arena *a, const account *resident_account, int64_t id) KITE_WUR;
/* A resident's invitations, or the pending ones sent to a contact's email. */
kite_err invitation_list(const kite_ctx *ctx, arena *a, const account *caller, invitation **items,
                         size_t *count) KITE_WUR;

#endif
