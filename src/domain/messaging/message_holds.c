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
    [MESSAGE_WITHDRAWN] = LEDGER_RELEASED, /* the sender took it back before review */
};

/* The settling moves a hold in state has had: exactly one of its own kind once settled, none while held. */
static void judge_moves(ledger_report *r, db_stmt *s, int64_t hold, ledger_hold_state state)
{
    int64_t captures = db_int(s, 6), releases = db_int(s, 7);
    int64_t want_captures = state == LEDGER_CAPTURED, want_releases = state == LEDGER_RELEASED;
    if (captures != want_captures || releases != want_releases)
        ledger_report_breach(r, "hold %" PRId64 " is %s but was captured %" PRId64 " and released %" PRId64 " times",
                             hold, ledger_hold_state_name(state), captures, releases);
}

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
    else
        judge_moves(r, s, hold, state);
}

/* A message with a price has its hold: a priced message without one was never paid for, or its hold was lost. */
static kite_err priced_without_hold(db_conn *conn, ledger_report *r)
{
    db_stmt *s = db_prepare(conn,
        "SELECT m.id, m.price_amount, m.price_unit FROM messages m WHERE m.price_amount > 0 AND NOT EXISTS"
        " (SELECT 1 FROM ledger_holds h WHERE h.subject_kind = $1 AND h.subject_id = m.id) ORDER BY m.id LIMIT 1");
    db_bind_text(s, 1, ledger_subject_name(LEDGER_SUBJECT_MESSAGE));
    if (ledger_report_ok(r) && db_next(s))
        ledger_report_breach(r, "message %" PRId64 " costs %" PRId64 " %s but has no hold", db_int(s, 0), db_int(s, 1),
                             db_text(s, 2));
    return db_done(s);
}

kite_err message_holds_verify(db_conn *conn, ledger_report *r)
{
    db_stmt *s = db_prepare(conn,
        "SELECT h.id, h.subject_id, h.created_at, m.created_at, m.status, h.state,"
        " (SELECT COUNT(*) FROM ledger_transactions t WHERE t.hold_id = h.id AND t.kind = $2),"
        " (SELECT COUNT(*) FROM ledger_transactions t WHERE t.hold_id = h.id AND t.kind = $3)"
        " FROM ledger_holds h LEFT JOIN messages m ON m.id = h.subject_id"
        " WHERE h.subject_kind = $1 ORDER BY h.id");
    db_bind_text(s, 1, ledger_subject_name(LEDGER_SUBJECT_MESSAGE));
    db_bind_text(s, 2, ledger_tx_kind_name(LEDGER_TX_CAPTURE));
    db_bind_text(s, 3, ledger_tx_kind_name(LEDGER_TX_RELEASE));
    while (ledger_report_ok(r) && db_next(s))
        judge(r, s);
    kite_err err = db_done(s);
    return err != KITE_OK ? err : priced_without_hold(conn, r);
}
