/*
 * message_state.h - the states of a message, their stored names and the
 * moves between them.
 *
 * The names are what the store and the API carry ("pending_review", ...);
 * they become enums when a row is read or a request is parsed, and names
 * again when a row is written or an answer is made, nowhere else.
 *
 * The message state machine (message_transition_allowed):
 *
 *   pending_review -> approved    a reviewer approves, or the policy reviews
 *                                 only flagged messages and this one is clean
 *   pending_review -> rejected    a reviewer rejects (final; the sender sees why)
 *   approved       -> delivered   at once after approval
 *   delivered      -> read        the recipient opens it (final)
 *   pending_review -> withdrawn   the sender takes it back before review
 *                                 (final; nobody pays for it).  Approved is
 *                                 delivered in the same transaction, so a
 *                                 message is never approved-but-waiting and
 *                                 approved -> withdrawn does not exist.
 *
 * Nothing else: a decided message is never decided again, nothing goes back,
 * and no state moves to itself.
 */
#ifndef KITE_DOMAIN_MESSAGING_MESSAGE_STATE_H
#define KITE_DOMAIN_MESSAGING_MESSAGE_STATE_H

#include <stdbool.h>

typedef enum message_status {
    MESSAGE_PENDING_REVIEW,
    MESSAGE_APPROVED,
    MESSAGE_DELIVERED,
    MESSAGE_READ,
    MESSAGE_REJECTED,
    MESSAGE_WITHDRAWN,
    MESSAGE_STATUS_COUNT
} message_status;

typedef enum message_direction {
    MESSAGE_TO_RESIDENT,
    MESSAGE_FROM_RESIDENT,
    MESSAGE_DIRECTION_COUNT
} message_direction;

/* The stored name; "unknown" for a value outside the enum. */
const char *message_status_name(message_status s);
/* False when name is NULL or not a status (*out unchanged). */
bool message_status_parse(const char *name, message_status *out);
const char *message_direction_name(message_direction d);
bool message_direction_parse(const char *name, message_direction *out);

/* True when a message in state `from` may move to `to` (see above). */
bool message_transition_allowed(message_status from, message_status to);
/* Delivered or read: what the recipient may see. */
bool message_status_visible_to_recipient(message_status s);

#endif
