/*
 * visit_state.h - the life of a video visit, as a table of allowed moves.
 *
 *   pending --approve--> approved --connected--> in_progress --finish--> ended
 *      |                    |  \                                  ^
 *      +--decline--> declined   +--finish (never connected) ------+
 *      +--cancel---> cancelled <--cancel--+
 *
 * A visit that does not need staff approval is booked straight into
 * approved.  ended carries an end reason (visit_end_reason); declined and
 * cancelled carry the person's reason text.  Names are what the store and
 * the API carry.
 */
#ifndef KITE_DOMAIN_VISITS_VISIT_STATE_H
#define KITE_DOMAIN_VISITS_VISIT_STATE_H

#include <stdbool.h>

typedef enum visit_state {
    VISIT_PENDING,     /* booked, waiting for staff approval */
    VISIT_APPROVED,    /* will take place */
    VISIT_IN_PROGRESS, /* both sides connected */
    VISIT_ENDED,       /* over: end_reason says how; the money is settled */
    VISIT_DECLINED,    /* staff said no: the hold was released */
    VISIT_CANCELLED,   /* called off before it began: settled per policy */
    VISIT_STATE_COUNT
} visit_state;

typedef enum visit_end_reason {
    VISIT_END_NONE,                  /* not ended */
    VISIT_END_COMPLETED,             /* the slot's time was up */
    VISIT_END_BY_PARTY,              /* one side hung up */
    VISIT_END_BY_MONITOR,            /* facility staff ended it */
    VISIT_END_CANCELLED_BY_FACILITY, /* the facility called it off */
    VISIT_END_NO_SHOW_RESIDENT,
    VISIT_END_NO_SHOW_CONTACT,
    VISIT_END_TECHNICAL_FAILURE,
    VISIT_END_CONNECTION_LOST,       /* no media seen from a side for VISIT_MEDIA_GRACE_MS */
    VISIT_END_REASON_COUNT
} visit_end_reason;

/* Who a visit's party is, for joins and cancellations. */
typedef enum visit_party { VISIT_PARTY_CONTACT, VISIT_PARTY_RESIDENT } visit_party;

const char *visit_state_name(visit_state s);
bool visit_state_parse(const char *name, visit_state *out);
const char *visit_end_reason_name(visit_end_reason r);
bool visit_end_reason_parse(const char *name, visit_end_reason *out);
bool visit_transition_allowed(visit_state from, visit_state to);
/* Pending, approved or in progress: it holds a place and money. */
bool visit_state_is_live(visit_state s);

#endif
