/*
 * message_holds.h - what the ledger's message holds must say about the
 * messages they pay for, checked for `kite ledger verify`.
 *
 * Design: the ledger (below) knows holds, not messages; messaging knows
 * which message states mean "delivered" and "rejected".  So the rule that
 * nobody pays for an undelivered message is checked here, against the
 * messages table, and reported in the ledger's report.  For every hold on a
 * message:
 *   - the message exists and the hold is not older than it;
 *   - delivered or read: the hold was captured (exactly once: the ledger's
 *     own checks prove a hold is settled by one transaction);
 *   - rejected: the hold was released;
 *   - pending review or approved: the hold is still held;
 *   - a captured hold has exactly one capture transaction and no release, a
 *     released one exactly one release and no capture, a held one neither;
 * and every message with a price (messages.price_amount > 0) has a hold:
 * a priced message without one was delivered unpaid or lost its money.
 * Sending holds the price (message_charge.h), delivery captures it and
 * rejection or the resident's leaving releases it, each in the same
 * transaction as the message's own change, so these checks pass on every
 * store Kite wrote; they fail as soon as a hold and its message disagree.
 *
 * SECURITY: money.  Read-only; states are compared as enums, never as text.
 */
#ifndef KITE_DOMAIN_MESSAGING_MESSAGE_HOLDS_H
#define KITE_DOMAIN_MESSAGING_MESSAGE_HOLDS_H

#include "core/error.h"
#include "db/db.h"
#include "domain/ledger/verify.h"

/* Runs inside the caller's read transaction; records the first breach in r. */
kite_err message_holds_verify(db_conn *conn, ledger_report *r) KITE_WUR;

#endif
