/*
 * stats.c - the operator's backlog numbers (the design is in stats.h).
 *
 * The states are written into the SQL as the name tables spell them
 * (message_state.c, ledger_state.c, mail/outbox.c), not bound: SQLite uses a
 * partial index (messages_review: WHERE status = 'pending_review') only for
 * a query whose WHERE names the same literal, and review.c reads the queue
 * the same way.
 */
#include "domain/operations/stats.h"

#include <string.h>

/* One row of two numbers. */
static kite_err two_numbers(db_conn *conn, const char *sql, int64_t *first, int64_t *second)
{
    db_stmt *s = db_prepare(conn, sql);
    if (db_next(s)) {
        *first = db_int(s, 0);
        *second = db_is_null(s, 1) ? 0 : db_int(s, 1);
    }
    return db_done(s);
}

static kite_err stats_tx(db_conn *conn, void *data)
{
    operations_stats *out = data;
    kite_err err = two_numbers(conn, "SELECT COUNT(*), MIN(created_at) FROM messages WHERE status = 'pending_review'",
                               &out->review_waiting, &out->review_oldest_ms);
    if (err == KITE_OK)
        err = two_numbers(conn, "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE status = 'pending'",
                          &out->outbox_pending, &out->outbox_oldest_ms);
    if (err == KITE_OK)
        err = two_numbers(conn, "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM ledger_holds WHERE state = 'held'",
                          &out->holds_open, &out->holds_open_cents);
    return err;
}

kite_err operations_stats_read(const kite_ctx *ctx, operations_stats *out)
{
    memset(out, 0, sizeof *out);
    return db_read(ctx->store, stats_tx, out);
}
