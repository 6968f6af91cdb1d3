/*
 * account_export.c - the photos listed in a person's export, and the
 * export's audit record (see account_export.h).
 *
 * Design: one read of the attachments table joined to the messages the
 * person may see, with the message states bound from the one name table;
 * the bytes are not read (the export lists photos, the attachment endpoint
 * serves them).  The export is a read, but it hands every word Kite holds
 * about a person to whoever holds the session, so it is audited like a
 * staff read.
 *
 * SECURITY: every query is bound to the caller's own account id.
 */
#include "domain/privacy/account_export.h"

#include "domain/audit/audit.h"
#include "domain/messaging/message_state.h"

#include <inttypes.h>

struct export_photos {
    arena *a;
    int64_t account_id;
    attachment *items;
    size_t count;
};

static kite_err photos_tx(db_conn *conn, void *data)
{
    struct export_photos *in = data;
    db_stmt *s = db_prepare(conn,
        "SELECT t.id, t.owner_account_id, t.message_id, t.content_type, t.width, t.height, t.size_bytes, t.sha256,"
        " t.created_at FROM attachments t JOIN messages m ON m.id = t.message_id"
        " WHERE m.sender_account_id = $1 OR (m.recipient_account_id = $1 AND m.status IN ($2, $3)) ORDER BY t.id");
    db_bind_int(s, 1, in->account_id);
    db_bind_text(s, 2, message_status_name(MESSAGE_DELIVERED));
    db_bind_text(s, 3, message_status_name(MESSAGE_READ));
    size_t cap = 16;
    in->items = arena_alloc(in->a, cap * sizeof *in->items);
    while (db_next(s)) {
        in->items = arena_grow(in->a, in->items, in->count, &cap, sizeof *in->items);
        attachment *t = &in->items[in->count++];
        *t = (attachment){.id = db_int(s, 0), .owner_account_id = db_int(s, 1), .message_id = db_int(s, 2),
                          .content_type = arena_strdup(in->a, db_text(s, 3)), .width = db_int(s, 4),
                          .height = db_int(s, 5), .size_bytes = db_int(s, 6),
                          .sha256 = arena_strdup(in->a, db_text(s, 7)), .created_at = db_int(s, 8)};
    }
    return db_done(s);
}

kite_err account_export_attachments(const kite_ctx *ctx, arena *a, int64_t account_id, attachment **items,
                                    size_t *count)
{
    struct export_photos in = {a, account_id, NULL, 0};
    kite_err err = db_read(ctx->store, photos_tx, &in);
    *items = in.items;
    *count = in.count;
    return err;
}

struct export_record {
    arena *a;
    int64_t account_id, now;
    size_t messages;
};

static kite_err record_tx(db_conn *conn, void *data)
{
    struct export_record *in = data;
    const char *actor = audit_actor_account(in->a, in->account_id);
    return audit_append(conn, in->now, actor, "account.export", actor,
                        arena_sprintf(in->a, "messages=%zu", in->messages));
}

kite_err account_export_record(const kite_ctx *ctx, arena *a, int64_t account_id, size_t messages)
{
    struct export_record in = {a, account_id, clock_now_ms(&ctx->clock), messages};
    return db_write(ctx->store, record_tx, &in);
}
