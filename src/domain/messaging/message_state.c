/*
 * message_state.c - message status and direction names, and the message
 * state machine (see message_state.h).
 */
#include "domain/messaging/message_state.h"

#include "core/text.h"

static const char *const message_status_names[MESSAGE_STATUS_COUNT] = {
    [MESSAGE_PENDING_REVIEW] = "pending_review",
    [MESSAGE_APPROVED] = "approved",
    [MESSAGE_DELIVERED] = "delivered",
    [MESSAGE_READ] = "read",
    [MESSAGE_REJECTED] = "rejected",
    [MESSAGE_WITHDRAWN] = "withdrawn",
};

static const char *const message_direction_names[MESSAGE_DIRECTION_COUNT] = {
    [MESSAGE_TO_RESIDENT] = "to_resident",
    [MESSAGE_FROM_RESIDENT] = "from_resident",
};

const char *message_status_name(message_status s)
{
    return (unsigned)s < MESSAGE_STATUS_COUNT ? message_status_names[s] : "unknown";
}

bool message_status_parse(const char *name, message_status *out)
{
    size_t i = text_index_of(message_status_names, MESSAGE_STATUS_COUNT, name);
    if (i == MESSAGE_STATUS_COUNT)
        return false;
    *out = (message_status)i;
    return true;
}

const char *message_direction_name(message_direction d)
{
    return (unsigned)d < MESSAGE_DIRECTION_COUNT ? message_direction_names[d] : "unknown";
}

bool message_direction_parse(const char *name, message_direction *out)
{
    size_t i = text_index_of(message_direction_names, MESSAGE_DIRECTION_COUNT, name);
    if (i == MESSAGE_DIRECTION_COUNT)
        return false;
    *out = (message_direction)i;
    return true;
}

/* allowed[from] is the set of states `from` may move to, one bit per state. */
#define TO(s) (1u << (s))
static const unsigned message_moves[MESSAGE_STATUS_COUNT] = {
    [MESSAGE_PENDING_REVIEW] = TO(MESSAGE_APPROVED) | TO(MESSAGE_REJECTED) | TO(MESSAGE_WITHDRAWN),
    [MESSAGE_APPROVED] = TO(MESSAGE_DELIVERED),
    [MESSAGE_DELIVERED] = TO(MESSAGE_READ),
    [MESSAGE_READ] = 0,
    [MESSAGE_REJECTED] = 0,
    [MESSAGE_WITHDRAWN] = 0,
};
#undef TO

bool message_transition_allowed(message_status from, message_status to)
{
    return (unsigned)from < MESSAGE_STATUS_COUNT && (unsigned)to < MESSAGE_STATUS_COUNT &&
           (message_moves[from] & (1u << to)) != 0;
}

bool message_status_visible_to_recipient(message_status s)
{
    return s == MESSAGE_DELIVERED || s == MESSAGE_READ;
}
