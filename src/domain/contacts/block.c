/*
 * block.c - facility blocks: staff stop an address from contacting one
 * resident or anyone at the facility, and the contacts it covers end.
 */
#include "domain/contacts/block.h"

#include "core/text.h"
#include "domain/audit/audit.h"
#include "domain/contacts/contact_rules.h"

#include <inttypes.h>
#include <string.h>

/* A facility's list shows its newest BLOCK_LIST_MAX blocks. */
enum { BLOCK_LIST_MAX = 500 };

struct add_block {
    arena *a;
    int64_t facility_id;
    const char *email;
    const char *number;
    const char *reason;
    const char *actor;
    int64_t now;
    facility_block *out;
};

static kite_err add_block_tx(db_conn *conn, void *data)
{
    struct add_block *in = data;
    policy p;
    kite_err err = policy_load(conn, in->a, in->facility_id, &p);
    if (err == KITE_ERR_NOT_FOUND)
        return KITE_ERR_NOT_ON_PLATFORM;
    if (err != KITE_OK)
        return err;
    int64_t resident_id = 0;
    if (in->number != NULL) {
        resident r;
        if ((err = resident_load(conn, in->a, in->facility_id, in->number, &r)) != KITE_OK)
            return err;
        resident_id = r.id;
    }
    db_stmt *insert = db_prepare(conn,
        "INSERT INTO facility_blocks (facility_id, resident_id, email, reason, created_at, created_by)"
        " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id");
    db_bind_int(insert, 1, in->facility_id);
    if (resident_id != 0)
        db_bind_int(insert, 2, resident_id);
    else
        db_bind_null(insert, 2);
    db_bind_text(insert, 3, in->email);
    db_bind_text(insert, 4, in->reason);
    db_bind_int(insert, 5, in->now);
    db_bind_text(insert, 6, in->actor);
    int64_t id = db_next(insert) ? db_int(insert, 0) : 0;
    if ((err = db_done(insert)) != KITE_OK)
        return err;
    /* Contacts the block covers stop now; pending requests and invitations end. */
    db_stmt *contacts = db_prepare(conn,
        "UPDATE contacts SET status = 'facility_blocked', updated_at = $1 WHERE status IN ('active', 'suspended', 'removed')"
        " AND contact_account_id IN (SELECT id FROM accounts WHERE email = $2)"
        " AND facility_id = $3 AND ($4 = 0 OR resident_id = $4)");
    db_bind_int(contacts, 1, in->now);
    db_bind_text(contacts, 2, in->email);
    db_bind_int(contacts, 3, in->facility_id);
    db_bind_int(contacts, 4, resident_id);
    if ((err = db_exec(contacts)) != KITE_OK)
        return err;
    db_stmt *invitations = db_prepare(conn,
        "UPDATE invitations SET status = 'revoked' WHERE status = 'pending' AND email = $1"
        " AND resident_id IN (SELECT id FROM residents WHERE facility_id = $2 AND ($3 = 0 OR id = $3))");
    db_bind_text(invitations, 1, in->email);
    db_bind_int(invitations, 2, in->facility_id);
    db_bind_int(invitations, 3, resident_id);
    if ((err = db_exec(invitations)) != KITE_OK)
        return err;
    db_stmt *requests = db_prepare(conn,
        "UPDATE contact_requests SET status = 'cancelled', decided_at = $1, decided_by = $2 WHERE status = 'pending'"
        " AND contact_account_id IN (SELECT id FROM accounts WHERE email = $3)"
        " AND resident_id IN (SELECT id FROM residents WHERE facility_id = $4 AND ($5 = 0 OR id = $5))");
    db_bind_int(requests, 1, in->now);
    db_bind_text(requests, 2, in->actor);
    db_bind_text(requests, 3, in->email);
    db_bind_int(requests, 4, in->facility_id);
    db_bind_int(requests, 5, resident_id);
    if ((err = db_exec(requests)) != KITE_OK)
        return err;
    *in->out = (facility_block){id, in->facility_id, resident_id, in->number, in->email, in->reason, in->now, in->actor};
    return audit_append(conn, in->now, in->actor, "facility_block.add", audit_target(in->a, "facility_block", id),
                        arena_sprintf(in->a, "facility=%" PRId64 " resident=%" PRId64 " email=%s reason=%s",
                                      in->facility_id, resident_id, in->email, in->reason));
}

kite_err facility_block_add(const kite_ctx *ctx, arena *a, int64_t facility_id, const char *email,
                            const char *resident_number, const char *reason, const char *actor, facility_block *out,
                            kite_fault *fault)
{
    const char *norm;
    if (email == NULL || email_normalize(a, email, &norm) != KITE_OK)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "email", FAULT_EMAIL);
    const char *why = reason != NULL ? text_trim(a, reason) : "";
    if (utf8_length(why) > BLOCK_REASON_MAX_CHARS || !utf8_valid(why, strlen(why))) {
        fault_set(fault, KITE_ERR_INVALID_FIELD, "reason", FAULT_LENGTH);
        fault->limit = BLOCK_REASON_MAX_CHARS;
        return KITE_ERR_INVALID_FIELD;
    }
    struct add_block in = {a, facility_id, norm, resident_number, why, actor, clock_now_ms(&ctx->clock), out};
    kite_err err = db_write(ctx->store, add_block_tx, &in);
    return fault_set(fault, err, err == KITE_ERR_NOT_FOUND ? "resident_number" : NULL,
                     err == KITE_ERR_NOT_FOUND ? FAULT_UNKNOWN : FAULT_NONE);
}

struct list_blocks {
    arena *a;
    int64_t facility_id;
    facility_block *items;
    size_t count;
};

static kite_err list_blocks_tx(db_conn *conn, void *data)
{
    struct list_blocks *in = data;
    db_stmt *s = db_prepare(conn,
        "SELECT b.id, COALESCE(b.resident_id, 0), r.resident_number, b.email, b.reason, b.created_at, b.created_by"
        " FROM facility_blocks b LEFT JOIN residents r ON r.id = b.resident_id"
        " WHERE b.facility_id = $1 AND b.removed_at IS NULL ORDER BY b.id DESC LIMIT $2");
    db_bind_int(s, 1, in->facility_id);
    db_bind_int(s, 2, BLOCK_LIST_MAX);
    size_t cap = 16;
    in->items = arena_alloc(in->a, cap * sizeof *in->items);
    while (db_next(s)) {
        in->items = arena_grow(in->a, in->items, in->count, &cap, sizeof *in->items);
        facility_block *b = &in->items[in->count++];
        *b = (facility_block){db_int(s, 0), in->facility_id, db_int(s, 1), arena_strdup(in->a, db_text(s, 2)),
                              arena_strdup(in->a, db_text(s, 3)), arena_strdup(in->a, db_text(s, 4)), db_int(s, 5),
                              arena_strdup(in->a, db_text(s, 6))};
    }
    return db_done(s);
}

kite_err facility_block_list(const kite_ctx *ctx, arena *a, int64_t facility_id, facility_block **items, size_t *count)
{
    struct list_blocks in = {a, facility_id, NULL, 0};
    kite_err err = db_read(ctx->store, list_blocks_tx, &in);
    *items = in.items;
    *count = in.count;
    return err;
}

/* Lifting a block does not restore contacts: each side starts again if it wants to. */
kite_err facility_block_remove(const kite_ctx *ctx, arena *a, int64_t facility_id, int64_t block_id, const char *actor)
{
    audit_removal in = {
        a, "UPDATE facility_blocks SET removed_at = $1 WHERE id = $2 AND facility_id = $3 AND removed_at IS NULL",
        clock_now_ms(&ctx->clock), block_id, facility_id, actor, "facility_block.remove", "facility_block"};
    return db_write(ctx->store, audit_removal_tx, &in);
}
