/*
 * visit_state.c - names and allowed moves of visit states (visit_state.h).
 */
#include "domain/visits/visit_state.h"

#include <string.h>

static const char *const state_names[VISIT_STATE_COUNT] = {
    [VISIT_PENDING] = "pending",   [VISIT_APPROVED] = "approved", [VISIT_IN_PROGRESS] = "in_progress",
    [VISIT_ENDED] = "ended",       [VISIT_DECLINED] = "declined", [VISIT_CANCELLED] = "cancelled",
};

static const char *const reason_names[VISIT_END_REASON_COUNT] = {
    [VISIT_END_NONE] = "none",
    [VISIT_END_COMPLETED] = "completed",
    [VISIT_END_BY_PARTY] = "ended_by_party",
    [VISIT_END_BY_MONITOR] = "ended_by_monitor",
    [VISIT_END_CANCELLED_BY_FACILITY] = "cancelled_by_facility",
    [VISIT_END_NO_SHOW_RESIDENT] = "no_show_resident",
    [VISIT_END_NO_SHOW_CONTACT] = "no_show_contact",
    [VISIT_END_TECHNICAL_FAILURE] = "technical_failure",
    [VISIT_END_CONNECTION_LOST] = "connection_lost",
};

/* allowed[from][to] */
static const bool allowed[VISIT_STATE_COUNT][VISIT_STATE_COUNT] = {
    [VISIT_PENDING] = {[VISIT_APPROVED] = true, [VISIT_DECLINED] = true, [VISIT_CANCELLED] = true},
    [VISIT_APPROVED] = {[VISIT_IN_PROGRESS] = true, [VISIT_ENDED] = true, [VISIT_CANCELLED] = true},
    [VISIT_IN_PROGRESS] = {[VISIT_ENDED] = true},
};

const char *visit_state_name(visit_state s)
{
    return (unsigned)s < VISIT_STATE_COUNT ? state_names[s] : "unknown";
}

bool visit_state_parse(const char *name, visit_state *out)
{
    for (int i = 0; name != NULL && i < VISIT_STATE_COUNT; i++)
        if (strcmp(state_names[i], name) == 0) {
            *out = (visit_state)i;
            return true;
        }
    return false;
}

const char *visit_end_reason_name(visit_end_reason r)
{
    return (unsigned)r < VISIT_END_REASON_COUNT ? reason_names[r] : "unknown";
}

bool visit_end_reason_parse(const char *name, visit_end_reason *out)
{
    for (int i = 0; name != NULL && i < VISIT_END_REASON_COUNT; i++)
        if (strcmp(reason_names[i], name) == 0) {
            *out = (visit_end_reason)i;
            return true;
        }
    return false;
}

bool visit_transition_allowed(visit_state from, visit_state to)
{
    return (unsigned)from < VISIT_STATE_COUNT && (unsigned)to < VISIT_STATE_COUNT && allowed[from][to];
}

bool visit_state_is_live(visit_state s)
{
    return s == VISIT_PENDING || s == VISIT_APPROVED || s == VISIT_IN_PROGRESS;
}
