/*
 * message_store.h - what message.c and review.c share: reading a message,
 * recording a transition (history, SSE event, audit) and delivering.  All of
 * it runs inside the caller's transaction.
 */
#ifndef KITE_DOMAIN_MESSAGING_MESSAGE_STORE_H
#define KITE_DOMAIN_MESSAGING_MESSAGE_STORE_H

#include "db/db.h"
#include "domain/messaging/message.h"

/* The columns message_read_row() reads; callers append WHERE and ORDER BY. */
#define MESSAGE_SELECT                                                                                  \
    "SELECT m.id, m.contact_id, m.facility_id, m.resident_id, m.sender_account_id, m.recipient_account_id," \
    " s.full_name, r.full_name, m.direction, m.subject, m.body, m.status, m.held, m.flagged, m.price_cents,"  \
    " m.reject_reason, m.reject_note, m.created_at, COALESCE(m.decided_at, 0), COALESCE(m.delivered_at, 0)," \
    " COALESCE(m.read_at, 0), m.reject_label, m.price_amount, m.price_unit, COALESCE(h.state, ''),"        \
    " COALESCE(h.amount, 0), COALESCE(h.unit, ''), COALESCE(h.created_at, 0), COALESCE(h.settled_at, 0),"      \
    " m.privileged, COALESCE(m.purged_at, 0)"                                                               \
    " FROM messages m JOIN accounts s ON s.id = m.sender_account_id"                                          \
    " JOIN accounts r ON r.id = m.recipient_account_id"                                                       \
    " LEFT JOIN ledger_holds h ON h.subject_kind = 'message' AND h.subject_id = m.id"

/* A message shows at most this many of the screening rules it matched. */
enum { MESSAGE_MATCHES_SHOWN = 16 };

void message_read_row(db_stmt *s, arena *a, message *m);
/*
 * A privileged message shown to someone who is neither of its parties: its
 * subject, body, screening matches and attachment ids taken out of m, so no
 * answer written from m can carry them; the fact (ids, parties, times,
 * status, size_bytes) stays.  Does nothing to a message that is not privileged.
 */
void message_withhold_content(message *m);
/* Whether viewer is the sender or the recipient of m (what privilege lets read). */
bool message_is_party(const message *m, int64_t viewer_id);
kite_err message_load(db_conn *conn, arena *a, int64_t id, message *out) KITE_WUR;
/* The history, screening matches and attachment ids of m. */
kite_err message_load_details(db_conn *conn, arena *a, message *m) KITE_WUR;
/*
 * The details of a page of messages, in a few statements whatever its size,
 * and only those the viewer is shown (see message.h): the attachment ids
 * always; the history of a message the viewer sent, or of any for staff;
 * the screening matches for staff.  What is not shown stays empty.
 */
kite_err message_load_details_for(db_conn *conn, arena *a, message *items, size_t count,
                                  const account *viewer) KITE_WUR;
/* Records m's move to status: history, an event for each side that should hear of it, audit. */
kite_err message_record(db_conn *conn, arena *a, const message *m, message_status status, int64_t now,
                        const char *actor) KITE_WUR;
/*
 * approved -> delivered: visible to the recipient, who is told (a contact by
 * email, never the text).  m->status must be approved (KITE_ERR_CONFLICT otherwise).
 */
kite_err message_deliver(db_conn *conn, const kite_ctx *ctx, arena *a, message *m, int64_t now,
                         const char *actor) KITE_WUR;
/*
 * What follows a delivery already in the store (message_deliver's UPDATE, or
 * a send that wrote the message delivered): the hold captured and the
 * contact told.  The history, event and audit record are the caller's.
 * recipient_email: the recipient account's email when the caller read it in
 * this transaction, else NULL (it is read here).
 */
kite_err message_delivered(db_conn *conn, const kite_ctx *ctx, arena *a, const message *m, int64_t now,
                           const char *actor, const char *recipient_email) KITE_WUR;
/*
 * A new message's steps, written as message_record() would write them one by
 * one (history, the sender's events and the recipient's on delivery, one
 * audit record each) in two statements and one wake-up: steps are its
 * statuses in order (at most 3: pending review, approved, delivered).
 */
kite_err message_record_send(db_conn *conn, arena *a, const message *m, const message_event *steps,
                             size_t n) KITE_WUR;

#endif
