/*
 * message_store.h - what message.c and review.c share: reading a message,
 * recording a transition (history, SSE event, audit) and delivering.  All of
 * it runs inside the caller's transaction.
 */
#ifndef KITE_DOMAIN_MESSAGE_STORE_H
#define KITE_DOMAIN_MESSAGE_STORE_H

#include "domain/message.h"

kite_err message_load(db_conn *conn, arena *a, int64_t id, message *out) KITE_WUR;
/* The history, screening matches and attachment ids of m. */
kite_err message_load_details(db_conn *conn, arena *a, message *m) KITE_WUR;
/* Records m's move to status: history, an event for each side that should hear of it, audit. */
kite_err message_record(db_conn *conn, arena *a, const message *m, const char *status, int64_t now,
                        const char *actor) KITE_WUR;
/* approved -> delivered: visible to the recipient, who is told (a contact by email, never the text). */
kite_err message_deliver(db_conn *conn, const kite_ctx *ctx, arena *a, message *m, int64_t now,
                         const char *actor) KITE_WUR;

#endif
