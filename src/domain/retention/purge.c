/*
 * purge.c - one retention run (purge.h).
 *
 * Design: per facility, in batches of at most RETENTION_BATCH messages by
 * id, each batch a transaction that (1) on SQLite brings message_search up
 * to date and removes the batch's words from it with FTS5's 'delete',
 * which needs the very text that was indexed - so it runs BEFORE the text
 * changes, or the index is corrupt (migrations.c, step 22); (2) empties the
 * photos due; (3) empties what screening rules matched; (4) empties subject
 * and body and sets purged_at; (5) on SQLite indexes the empty rows again,
 * so that message_search still holds every id up to the largest and
 * investigation.c's catch-up stays right; (6) writes its record.
 * PostgreSQL's GIN index follows the row by itself.  Every statement
 * chooses its rows by the same condition (DUE below), so a message that a
 * hold covers, or that is still in review, is in none of them.
 *
 * SECURITY: this deletes private content and nothing else: no row that
 * money or the audit chain depends on (messages, postings, holds of funds)
 * is removed, only emptied; the ledger verifies after a purge as before.
 */
#include "domain/retention/purge.h"

#include "core/clock.h"
#include "domain/audit/audit.h"
#include "domain/facility/policy.h"
#include "domain/messaging/message_state.h"
#include "domain/retention/legal_hold.h"

#include <inttypes.h>
#include <string.h>

#define MS_PER_DAY INT64_C(86400000)

/*
 * The messages of facility $1 sent before $2, finished ($3..$6 are the
 * finished states' names), that no standing hold covers, up to id $7.
 */
#define FINISHED_BEFORE                                                                                        \
    " m.facility_id = $1 AND m.created_at < $2 AND m.status IN ($3, $4, $5, $6) AND m.id <= $7"
#define DUE " m.purged_at IS NULL AND" FINISHED_BEFORE " AND" LEGAL_HOLD_NONE_COVERS

typedef struct batch {
    arena *a;
    const char *actor;
    int64_t facility_id, now, message_cutoff, photo_cutoff;
    int64_t first_id, last_id; /* the batch: due messages from first_id to last_id */
    int64_t messages, photos, kept;
} batch;

static void bind_due(db_stmt *s, const batch *b, int64_t cutoff)
{
    static const message_status finished[] = {MESSAGE_DELIVERED, MESSAGE_READ, MESSAGE_REJECTED, MESSAGE_WITHDRAWN};
    db_bind_int(s, 1, b->facility_id);
    db_bind_int(s, 2, cutoff);
    for (int i = 0; i < 4; i++)
        db_bind_text(s, 3 + i, message_status_name(finished[i]));
    db_bind_int(s, 7, b->last_id);
}

/* The next batch: its first and last id, and how many (0: nothing is due). */
static kite_err batch_find(db_conn *conn, batch *b, int64_t *count)
{
    db_stmt *s = db_prepare(conn, "SELECT COUNT(*), COALESCE(MIN(id), 0), COALESCE(MAX(id), 0) FROM"
                                  " (SELECT m.id FROM messages m WHERE" DUE " ORDER BY m.id LIMIT $8) AS due");
    b->last_id = INT64_MAX;
    bind_due(s, b, b->message_cutoff);
    db_bind_int(s, 8, RETENTION_BATCH);
    *count = 0;
    if (db_next(s)) {
        *count = db_int(s, 0);
        b->first_id = db_int(s, 1);
        b->last_id = db_int(s, 2);
    }
    return db_done(s);
}

static kite_err run(db_conn *conn, const char *sql, const batch *b, int64_t cutoff, int64_t *changed)
{
    db_stmt *s = db_prepare(conn, sql);
    bind_due(s, b, cutoff);
    kite_err err = db_exec(s);
    if (err == KITE_OK && changed != NULL)
        *changed = db_changes(conn);
    return err;
}

/* SQLite: the index whole up to the newest message, then the batch's words out of it (see Design). */
static kite_err search_index_forget(db_conn *conn, const batch *b)
{
    db_stmt *s = db_prepare(conn, "INSERT INTO message_search(rowid, subject, body)"
                                  " SELECT id, subject, body FROM messages"
                                  " WHERE id > (SELECT COALESCE(MAX(id), 0) FROM message_search_docsize)"
                                  " AND privileged = 0 ORDER BY id");
    kite_err err = db_exec(s);
    if (err != KITE_OK)
        return err;
    /* Privileged legal mail was never indexed (migration_23.c): a 'delete' of words the index never
     * held would corrupt it, so only the rows it holds are taken out. */
    return run(conn, "INSERT INTO message_search(message_search, rowid, subject, body)"
                     " SELECT 'delete', m.id, m.subject, m.body FROM messages m WHERE m.privileged = 0 AND" DUE,
               b, b->message_cutoff, NULL);
}

/* Photos and videos (bytes and poster) of finished, unheld messages older than the photo period (and so of every message purged now). */
static kite_err photos_purge(db_conn *conn, batch *b)
{
    /* Driven from the photos not yet purged, not from every old message: a run with nothing due stays cheap. */
    db_stmt *s = db_prepare(conn, "UPDATE attachments SET data = $8, poster = NULL, purged_at = $9 WHERE purged_at IS NULL"
                                  " AND message_id IS NOT NULL AND EXISTS (SELECT 1 FROM messages m"
                                  " WHERE m.id = attachments.message_id AND" FINISHED_BEFORE
                                  " AND" LEGAL_HOLD_NONE_COVERS ")");
    batch all = *b;
    all.last_id = INT64_MAX; /* every photo due, not only those of this batch's messages */
    bind_due(s, &all, b->photo_cutoff);
    db_bind_blob(s, 8, "", 0);
    db_bind_int(s, 9, b->now);
    kite_err err = db_exec(s);
    if (err == KITE_OK)
        b->photos += db_changes(conn);
    return err;
}

static kite_err batch_tx(db_conn *conn, void *data)
{
    batch *b = data;
    b->messages = b->photos = 0;
    int64_t count = 0;
    kite_err err = batch_find(conn, b, &count);
    bool sqlite = db_conn_dialect(conn) == DB_SQLITE;
    if (err == KITE_OK && count > 0 && sqlite)
        err = search_index_forget(conn, b);
    if (err == KITE_OK)
        err = photos_purge(conn, b);
    if (err == KITE_OK && count > 0)
        err = run(conn, "UPDATE message_rule_matches SET matched = '' WHERE message_id IN"
                        " (SELECT m.id FROM messages m WHERE" DUE ")", b, b->message_cutoff, NULL);
    if (err == KITE_OK && count > 0) {
        db_stmt *s = db_prepare(conn, "UPDATE messages SET subject = '', body = '', purged_at = $8"
                                      " WHERE id IN (SELECT m.id FROM messages m WHERE" DUE ")");
        bind_due(s, b, b->message_cutoff);
        db_bind_int(s, 8, b->now);
        if ((err = db_exec(s)) == KITE_OK)
            b->messages = db_changes(conn);
    }
    if (err == KITE_OK && b->messages > 0 && sqlite) {
        db_stmt *s = db_prepare(conn, "INSERT INTO message_search(rowid, subject, body) SELECT id, subject, body"
                                      " FROM messages WHERE facility_id = $1 AND purged_at = $2 AND id >= $3 AND id <= $4"
                                      " AND privileged = 0");
        db_bind_int(s, 1, b->facility_id);
        db_bind_int(s, 2, b->now);
        db_bind_int(s, 3, b->first_id);
        db_bind_int(s, 4, b->last_id);
        err = db_exec(s);
    }
    if (err != KITE_OK || (b->messages == 0 && b->photos == 0))
        return err;
    char message_cutoff[RFC3339_LEN], photo_cutoff[RFC3339_LEN];
    clock_format_rfc3339(b->message_cutoff, message_cutoff);
    clock_format_rfc3339(b->photo_cutoff, photo_cutoff);
    return audit_append(conn, b->now, b->actor, "retention.purge", audit_target(b->a, "facility", b->facility_id),
                        arena_sprintf(b->a, "messages=%" PRId64 " ids=%" PRId64 "-%" PRId64 " photos=%" PRId64
                                      " message_cutoff=%s photo_cutoff=%s",
                                      b->messages, b->messages ? b->first_id : 0, b->messages ? b->last_id : 0,
                                      b->photos, message_cutoff, photo_cutoff));
}

/* Due messages a standing hold keeps: for the run's report. */
static kite_err kept_tx(db_conn *conn, void *data)
{
    batch *b = data;
    b->last_id = INT64_MAX;
    db_stmt *s = db_prepare(conn, "SELECT COUNT(*) FROM messages m WHERE m.purged_at IS NULL AND" FINISHED_BEFORE
                                  " AND NOT" LEGAL_HOLD_NONE_COVERS);
    bind_due(s, b, b->message_cutoff);
    b->kept = db_next(s) ? db_int(s, 0) : 0;
    return db_done(s);
}

typedef struct facility_periods {
    int64_t facility_id, message_days, photo_days;
} facility_periods;

typedef struct plan {
    arena *a;
    facility_periods *items;
    size_t count;
    int64_t audit_days; /* the longest of any facility: the chain is one */
} plan;

static kite_err plan_tx(db_conn *conn, void *data)
{
    plan *p = data;
    db_stmt *s = db_prepare(conn, "SELECT facility_id, message_retention_days, photo_retention_days,"
                                  " audit_retention_days FROM facility_policies ORDER BY facility_id");
    size_t cap = 8;
    p->items = arena_alloc(p->a, cap * sizeof *p->items);
    while (db_next(s)) {
        p->items = arena_grow(p->a, p->items, p->count, &cap, sizeof *p->items);
        p->items[p->count++] = (facility_periods){db_int(s, 0), db_int(s, 1), db_int(s, 2)};
        if (db_int(s, 3) > p->audit_days)
            p->audit_days = db_int(s, 3);
    }
    return db_done(s);
}

typedef struct audit_run {
    arena *a;
    const char *actor;
    int64_t now, cutoff, deleted;
} audit_run;

static kite_err audit_tx(db_conn *conn, void *data)
{
    audit_run *r = data;
    return audit_cut(conn, r->a, r->now, r->cutoff, r->actor, &r->deleted);
}

static kite_err facility_purge(const kite_ctx *ctx, batch *b, retention_report *out)
{
    kite_err err;
    do {
        if ((err = db_write(ctx->store, batch_tx, b)) != KITE_OK)
            return err;
        out->messages += b->messages;
        out->photos += b->photos;
    } while (b->messages == RETENTION_BATCH);
    if ((err = db_read(ctx->store, kept_tx, b)) == KITE_OK)
        out->kept_by_hold += b->kept;
    return err;
}

kite_err retention_purge(const kite_ctx *ctx, arena *a, const char *actor, retention_report *out)
{
    memset(out, 0, sizeof *out);
    int64_t now = clock_now_ms(&ctx->clock);
    plan p = {a, NULL, 0, 0};
    kite_err err = db_read(ctx->store, plan_tx, &p);
    for (size_t i = 0; err == KITE_OK && i < p.count; i++) {
        const facility_periods *f = &p.items[i];
        batch b = {.a = a, .actor = actor, .facility_id = f->facility_id, .now = now,
                   .message_cutoff = now - f->message_days * MS_PER_DAY, .photo_cutoff = now - f->photo_days * MS_PER_DAY};
        out->facilities++;
        err = facility_purge(ctx, &b, out);
    }
    if (err != KITE_OK || p.count == 0)
        return err;
    if (p.audit_days < POLICY_AUDIT_RETENTION_MIN_DAYS)
        p.audit_days = POLICY_AUDIT_RETENTION_MIN_DAYS; /* the policy refuses less; a store edited by hand too */
    audit_run r = {a, actor, now, now - p.audit_days * MS_PER_DAY, 0};
    if ((err = db_write(ctx->store, audit_tx, &r)) == KITE_OK)
        out->audit_deleted = r.deleted;
    return err;
}
