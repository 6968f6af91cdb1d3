/*
 * message.h - reviewed messages between a resident and a contact.
 *
 * Life of a message: submitted (validated against the facility policy,
 * screened by its rules) -> pending_review -> approved -> delivered -> read;
 * or -> rejected with a reason the sender sees (and nobody pays for it);
 * or -> withdrawn by its sender before review (nobody pays for it either).
 * Where the policy reviews only flagged messages, a clean message is
 * approved and delivered at once.  The states and the moves allowed between
 * them are in message_state.h.  Every transition is a message_event with
 * its time, and an audit record.
 *
 * Visibility: the sender sees the message and its history; the recipient
 * only once delivered; staff of the message's facility (and operators) see
 * it with its screening matches, and each staff read is audited.  Of a
 * privileged message (an attorney's) staff see only the fact: who, when,
 * its size; never its words or photos.  A user's
 * "delete" hides the message from that user only; nothing is ever deleted.
 */
#ifndef KITE_DOMAIN_MESSAGING_MESSAGE_H
#define KITE_DOMAIN_MESSAGING_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "domain/identity/account.h"
#include "domain/context.h"
#include "domain/ledger/ledger_state.h"
#include "domain/messaging/message_charge.h"
#include "domain/messaging/message_state.h"
#include "domain/messaging/screening.h"

/* The actor of the steps a privileged message takes without review, as its history shows them. */
#define MESSAGE_ACTOR_PRIVILEGED "privileged"

enum { SUBJECT_MAX_CHARS = 200, MESSAGE_MAX_ATTACHMENTS = 20, MESSAGE_PAGE_MAX = 100, IDEMPOTENCY_KEY_MAX_BYTES = 200 };

typedef struct message_event {
    message_status status;
    int64_t at;
    const char *actor;
} message_event;

typedef struct message {
    int64_t id;
    int64_t contact_id, facility_id, resident_id;
    int64_t sender_account_id, recipient_account_id;
    const char *sender_name, *recipient_name;
    message_direction direction;
    const char *subject, *body;
    message_status status;
    bool held, flagged;
    int64_t price_cents;   /* the cents value of the price (message_charge.h) */
    int64_t price_amount;  /* the price in price_unit: what was held */
    ledger_unit price_unit;
    bool has_hold;         /* a price above 0 was held; the hold's state and dates follow */
    ledger_hold_state hold_state;
    int64_t hold_amount;
    ledger_unit hold_unit;
    int64_t hold_created_at, hold_settled_at; /* settled: 0 while held */
    const char *reject_reason, *reject_label, *reject_note; /* NULL unless rejected */
    int64_t created_at, decided_at, delivered_at, read_at;  /* 0 when not yet */
    int64_t purged_at; /* retention emptied subject and body (domain/retention); 0 when not */
    rule_match *matches;
    size_t match_count;
    message_event *events;
    size_t event_count;
    int64_t *attachment_ids;
    size_t attachment_count;
    int64_t *video_ids;    /* of attachment_ids, those that are video messages (docs/video-messages.md) */
    size_t video_count;
    /*
     * Privileged legal mail (docs/privilege.md): fixed when sent, over a
     * verified attorney's contact.  Its subject, body, screening matches and
     * attachments are for its two parties only; anyone else who may see the
     * message at all gets the fact of it (message_withhold_content).
     */
    bool privileged;
    bool content_withheld; /* this copy carries the fact only: subject, body and attachments taken out */
    int64_t size_bytes;    /* the subject's and the body's bytes, which the fact may show */
} message;

typedef struct message_draft {
    int64_t contact_id;
    const char *subject;
    const char *body;
    const int64_t *attachment_ids;
    size_t attachment_count;
    const char *idempotency_key; /* NULL: none */
    bool with_reply_stamp;       /* stamps: the sender prepays the reply */
    bool has_expected;           /* the client was shown a price: expected_amount in expected_unit */
    int64_t expected_amount;
    ledger_unit expected_unit;
} message_draft;

/*
 * Sends a message on an active contact.  With an idempotency key, a repeat
 * of the same request returns the first message (*replayed true) and changes
 * nothing.  *fault: KITE_ERR_MESSAGE_TOO_LONG with the facility's limit in
 * characters (fault->limit); KITE_ERR_INVALID_FIELD naming the field;
 * KITE_ERR_NOT_FOUND naming "contact_id".
 */
kite_err message_send(const kite_ctx *ctx, arena *a, const account *sender, const message_draft *draft, message *out,
                      bool *replayed, kite_fault *fault) KITE_WUR;

/*
 * message_send, and *charge is the price (also when refused for it):
 * KITE_ERR_INSUFFICIENT_FUNDS (FAULT_MESSAGE_COST_*, FAULT_SUBSCRIPTION_NEEDED)
 * when the sender cannot pay, KITE_ERR_CONFLICT (FAULT_PRICE_CHANGED_*) when
 * the draft's expected price is not the price now; nothing written then.
 */
kite_err message_send_priced(const kite_ctx *ctx, arena *a, const account *sender, const message_draft *draft,
                             message *out, bool *replayed, message_charge *charge, kite_fault *fault) KITE_WUR;

/* What sending the draft would cost, with the same checks as a send, in a read transaction: writes nothing. */
kite_err message_quote(const kite_ctx *ctx, arena *a, const account *sender, const message_draft *draft,
                       message_charge *charge, kite_fault *fault) KITE_WUR;

typedef enum message_box { BOX_INBOX, BOX_SENT, BOX_THREAD } message_box;

typedef struct message_page {
    message *items;
    size_t count;
    const char *next_cursor; /* NULL at the end */
    int64_t unread;          /* the caller's delivered-but-unread messages (inbox and thread) */
} message_page;

/* A page of the caller's messages, newest first.  contact_id is used with BOX_THREAD. */
kite_err message_list(const kite_ctx *ctx, arena *a, const account *caller, message_box box, int64_t contact_id,
                      const char *cursor, size_t limit, message_page *out) KITE_WUR;

/* One message with its history, for its sender, its recipient (once delivered) or staff in scope. */
kite_err message_get(const kite_ctx *ctx, arena *a, const account *caller, int64_t id, message *out) KITE_WUR;
kite_err message_mark_read(const kite_ctx *ctx, arena *a, const account *caller, int64_t id, message *out) KITE_WUR;
/* Hides the message from the caller's own views. */
kite_err message_hide(const kite_ctx *ctx, arena *a, const account *caller, int64_t id) KITE_WUR;

/*
 * The sender takes back a message still waiting for review: it becomes
 * withdrawn, leaves the review queue, is never delivered, and its hold goes
 * back to the payer in the same transaction.  KITE_ERR_NOT_FOUND when the
 * caller did not send it; KITE_ERR_ALREADY_DECIDED (FAULT_WITHDRAW_TOO_LATE)
 * once it was delivered, rejected or withdrawn; KITE_ERR_FORBIDDEN for staff.
 */
kite_err message_withdraw(const kite_ctx *ctx, arena *a, const account *caller, int64_t id, message *out,
                          kite_fault *fault) KITE_WUR;

/*
 * Inside the caller's transaction, for an account being deleted: every
 * message it sent that is still waiting is withdrawn (the withdrawal above:
 * its hold goes back to the payer), and every message still waiting for it
 * is rejected with the reason "contact_left" and its hold given back to the
 * resident who paid, since it can never be delivered.  Delivered messages
 * are not touched: they stay under the facility's retention.  *closed
 * counts the messages closed.
 */
kite_err message_close_for_account(db_conn *conn, arena *a, int64_t account_id, int64_t now, const char *actor,
                                   size_t *closed) KITE_WUR;

#endif
