/*
 * contact_state.c - names and state machines of contacts, contact requests
 * and invitations (see contact_state.h).
 */
#include "domain/contacts/contact_state.h"

#include "core/text.h"

static const char *const contact_status_names[CONTACT_STATUS_COUNT] = {
    [CONTACT_ACTIVE] = "active",
    [CONTACT_SUSPENDED] = "suspended",
    [CONTACT_REMOVED] = "removed",
    [CONTACT_BLOCKED] = "blocked",
    [CONTACT_FACILITY_BLOCKED] = "facility_blocked",
};

static const char *const contact_request_status_names[REQUEST_STATUS_COUNT] = {
    [REQUEST_PENDING] = "pending",
    [REQUEST_APPROVED] = "approved",
    [REQUEST_DECLINED] = "declined",
    [REQUEST_CANCELLED] = "cancelled",
};

static const char *const invitation_status_names[INVITATION_STATUS_COUNT] = {
    [INVITATION_PENDING] = "pending",
    [INVITATION_ACCEPTED] = "accepted",
    [INVITATION_REVOKED] = "revoked",
    [INVITATION_EXPIRED] = "expired",
};

const char *contact_status_name(contact_status s)
{
    return (unsigned)s < CONTACT_STATUS_COUNT ? contact_status_names[s] : "unknown";
}

const char *contact_request_status_name(contact_request_status s)
{
    return (unsigned)s < REQUEST_STATUS_COUNT ? contact_request_status_names[s] : "unknown";
}

const char *invitation_status_name(invitation_status s)
{
    return (unsigned)s < INVITATION_STATUS_COUNT ? invitation_status_names[s] : "unknown";
}

bool contact_status_parse(const char *name, contact_status *out)
{
    size_t i = text_index_of(contact_status_names, CONTACT_STATUS_COUNT, name);
    if (i == CONTACT_STATUS_COUNT)
        return false;
    *out = (contact_status)i;
    return true;
}

bool contact_request_status_parse(const char *name, contact_request_status *out)
{
    size_t i = text_index_of(contact_request_status_names, REQUEST_STATUS_COUNT, name);
    if (i == REQUEST_STATUS_COUNT)
        return false;
    *out = (contact_request_status)i;
    return true;
}

bool invitation_status_parse(const char *name, invitation_status *out)
{
    size_t i = text_index_of(invitation_status_names, INVITATION_STATUS_COUNT, name);
    if (i == INVITATION_STATUS_COUNT)
        return false;
    *out = (invitation_status)i;
    return true;
}

/* moves[from] holds a bit for each state `from` may move to. */
#define TO(s) (1u << (s))
static const unsigned contact_moves[CONTACT_STATUS_COUNT] = {
    [CONTACT_ACTIVE] = TO(CONTACT_REMOVED) | TO(CONTACT_BLOCKED) | TO(CONTACT_SUSPENDED) | TO(CONTACT_FACILITY_BLOCKED),
    [CONTACT_SUSPENDED] = TO(CONTACT_ACTIVE) | TO(CONTACT_REMOVED) | TO(CONTACT_BLOCKED) | TO(CONTACT_FACILITY_BLOCKED),
    [CONTACT_REMOVED] = TO(CONTACT_ACTIVE) | TO(CONTACT_BLOCKED) | TO(CONTACT_FACILITY_BLOCKED),
    [CONTACT_BLOCKED] = 0,
    [CONTACT_FACILITY_BLOCKED] = TO(CONTACT_ACTIVE),
};

static const unsigned contact_request_moves[REQUEST_STATUS_COUNT] = {
    [REQUEST_PENDING] = TO(REQUEST_APPROVED) | TO(REQUEST_DECLINED) | TO(REQUEST_CANCELLED),
};

static const unsigned invitation_moves[INVITATION_STATUS_COUNT] = {
    [INVITATION_PENDING] = TO(INVITATION_ACCEPTED) | TO(INVITATION_REVOKED) | TO(INVITATION_EXPIRED),
};
#undef TO

bool contact_transition_allowed(contact_status from, contact_status to)
{
    return (unsigned)from < CONTACT_STATUS_COUNT && (unsigned)to < CONTACT_STATUS_COUNT &&
           (contact_moves[from] & (1u << to)) != 0;
}

bool contact_request_transition_allowed(contact_request_status from, contact_request_status to)
{
    return (unsigned)from < REQUEST_STATUS_COUNT && (unsigned)to < REQUEST_STATUS_COUNT &&
           (contact_request_moves[from] & (1u << to)) != 0;
}

bool invitation_transition_allowed(invitation_status from, invitation_status to)
{
    return (unsigned)from < INVITATION_STATUS_COUNT && (unsigned)to < INVITATION_STATUS_COUNT &&
           (invitation_moves[from] & (1u << to)) != 0;
}

bool contact_status_blocked(contact_status s)
{
    return s == CONTACT_BLOCKED || s == CONTACT_FACILITY_BLOCKED;
}

invitation_status invitation_status_at(invitation_status stored, int64_t expires_at, int64_t now)
{
    return stored == INVITATION_PENDING && now >= expires_at ? INVITATION_EXPIRED : stored;
}
