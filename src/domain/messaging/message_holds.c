/*
 * message_holds.c - every message hold agrees with its message (see
 * message_holds.h).
 *
 * SECURITY: money.  Read-only.  The hold state a message needs is one
 * table (wanted_hold), asked for every hold: a capture before delivery
 * would be a charge for an undelivered message.
 */
#include "domain/messaging/message_holds.h"

#include "domain/ledger/ledger_state.h"
#include "domain/messaging/message_state.h"

#include <inttypes.h>

/* The state a message's hold must be in while the message is in each state. */
static const ledger_hold_state wanted_hold[MESSAGE_STATUS_COUNT] = {
    [MESSAGE_PENDING_REVIEW] = LEDGER_HELD,
    [MESSAGE_APPROVED] = LEDGER_HELD, /* approved is delivered in the same transaction; held until then */
    [MESSAGE_DELIVERED] = LEDGER_CAPTURED,
    [MESSAGE_READ] = LEDGER_CAPTURED,
    [MESSAGE_REJECTED] = LEDGER_RELEASED,
};

static void judge(ledger_report *r, db_stmt *s)
{
    int64_t hold = db_int(s, 0), message = db_int(s, 1);
    ledger_hold_state state;
    message_status status;
    if (db_is_null(s, 3))
        ledger_report_breach(r, "hold %" PRId64 " is for message %" PRId64 ", which does not exist", hold, message);
    else if (db_int(s, 2) < db_int(s, 3))
        ledger_report_breach(r, "hold %" PRId64 " is older than its message %" PRId64, hold, message);
    else if (!message_status_parse(db_text(s, 4), &status) || !ledger_hold_state_parse(db_text(s, 5), &state))
        ledger_report_breach(r, "hold %" PRId64 " or its message %" PRId64 " has a state Kite does not know", hold,
                             message);
    else if (state != wanted_hold[status])
        ledger_report_breach(r, "message %" PRId64 " is %s but its hold %" PRId64 " is %s, not %s", message,
                             message_status_name(status), hold, ledger_hold_state_name(state),
                             ledger_hold_state_name(wanted_hold[status]));
}

kite_err message_holds_verify(db_conn *conn, ledger_report *r)
{
    db_stmt *s = db_prepare(conn,
        "SELECT h.id, h.subject_id, h.created_at, m.created_at, m.status, h.state"
        " FROM ledger_holds h LEFT JOIN messages m ON m.id = h.subject_id"
        " WHERE h.subject_kind = $1 ORDER BY h.id");
    db_bind_text(s, 1, ledger_subject_name(LEDGER_SUBJECT_MESSAGE));
    while (ledger_report_ok(r) && db_next(s))
        judge(r, s);
    return db_done(s);
}
