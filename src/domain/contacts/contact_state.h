/*
 * contact_state.h - the states of contacts, contact requests and
 * invitations, their stored names and the moves between them.
 *
 * The names are what the store and the API carry ("facility_blocked", ...);
 * they become enums when a row is read and names again when a row is
 * written or an answer is made, nowhere else.  No state moves to itself.
 *
 * Contact (contact_transition_allowed):
 *   active           -> removed           the resident removes the contact
 *   active           -> blocked           the contact blocks the resident
 *   active           -> suspended         a transfer leaves the resident over the new limit
 *   active           -> facility_blocked  a facility block covers the address
 *   suspended        -> active            renewed by an approved request or accepted invitation
 *   suspended        -> removed, blocked, facility_blocked   as from active
 *   removed          -> active            renewed, as above
 *   removed          -> blocked           the contact blocks after the resident removed them
 *   removed          -> facility_blocked  a facility block covers the address
 *   facility_blocked -> active            renewed once the block is lifted (lifting alone
 *                                         restores nothing)
 *   blocked          -> (none)            a contact's own block is for good
 *   A new pair starts active.
 *
 * Contact request (contact_request_transition_allowed):
 *   pending -> approved   by the resident, or when the review window passes
 *   pending -> declined   by the resident
 *   pending -> cancelled  the contact ends, a facility block, a transfer, or a
 *                         window that passes while the rules refuse it
 *   approved, declined and cancelled are final.
 *
 * Invitation (invitation_transition_allowed):
 *   pending -> accepted   the invited contact accepts before it expires
 *   pending -> revoked    replaced by a new one, a facility block, a transfer
 *   pending -> expired    its validity passes (never stored: a pending
 *                         invitation past expires_at reads as expired)
 *   accepted, revoked and expired are final.
 */
#ifndef KITE_DOMAIN_CONTACTS_CONTACT_STATE_H
#define KITE_DOMAIN_CONTACTS_CONTACT_STATE_H

#include <stdbool.h>
#include <stdint.h>

typedef enum contact_status {
    CONTACT_ACTIVE,
    CONTACT_SUSPENDED,
    CONTACT_REMOVED,
    CONTACT_BLOCKED,
    CONTACT_FACILITY_BLOCKED,
    CONTACT_STATUS_COUNT
} contact_status;

typedef enum contact_request_status {
    REQUEST_PENDING,
    REQUEST_APPROVED,
    REQUEST_DECLINED,
    REQUEST_CANCELLED,
    REQUEST_STATUS_COUNT
} contact_request_status;

typedef enum invitation_status {
    INVITATION_PENDING,
    INVITATION_ACCEPTED,
    INVITATION_REVOKED,
    INVITATION_EXPIRED,
    INVITATION_STATUS_COUNT
} invitation_status;

/* The stored names; "unknown" for a value outside the enum. */
const char *contact_status_name(contact_status s);
const char *contact_request_status_name(contact_request_status s);
const char *invitation_status_name(invitation_status s);
/* False when name is NULL or not a state (*out unchanged). */
bool contact_status_parse(const char *name, contact_status *out);
bool contact_request_status_parse(const char *name, contact_request_status *out);
bool invitation_status_parse(const char *name, invitation_status *out);

/* True when the move from -> to is one of those above. */
bool contact_transition_allowed(contact_status from, contact_status to);
bool contact_request_transition_allowed(contact_request_status from, contact_request_status to);
bool invitation_transition_allowed(invitation_status from, invitation_status to);

/* Blocked by either the contact or the facility. */
bool contact_status_blocked(contact_status s);
/* The state an invitation stored as `stored` is in at `now`: a pending one past expires_at has expired. */
invitation_status invitation_status_at(invitation_status stored, int64_t expires_at, int64_t now);

#endif
