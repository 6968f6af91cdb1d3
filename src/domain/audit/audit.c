#include "domain/audit/audit.h"

#include "core/alloc.h"
#include "core/secret.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char genesis_hash[] = "0000000000000000000000000000000000000000000000000000000000000000";

const char *audit_actor_account(arena *a, int64_t account_id)
{
    return audit_target(a, "account", account_id);
}

const char *audit_target(arena *a, const char *kind, int64_t id)
{
    return arena_sprintf(a, "%s:%" PRId64, kind, id);
}

kite_err audit_removal_tx(db_conn *conn, void *removal)
{
    const audit_removal *r = removal;
    db_stmt *s = db_prepare(conn, r->sql);
    db_bind_int(s, 1, r->now);
    db_bind_int(s, 2, r->id);
    db_bind_int(s, 3, r->facility_id);
    kite_err err = db_exec(s);
    if (err != KITE_OK)
        return err;
    if (db_changes(conn) != 1)
        return KITE_ERR_NOT_FOUND;
    return audit_append(conn, r->now, r->actor, r->action, audit_target(r->a, r->kind, r->id), "");
}

/* Length-prefixed fields, so that no choice of field contents can collide with another. */
static void record_hash(const char *prev_hash, int64_t id, int64_t at, const char *actor,
                        const char *action, const char *target, const char *detail,
                        char out[SECRET_SHA256_HEX])
{
    const char *fields[] = {prev_hash, actor, action, target, detail};
    size_t size = 64;
    for (size_t i = 0; i < 5; i++)
        size += strlen(fields[i]) + 24;
    char *buf = xmalloc(size);
    int len = snprintf(buf, size, "%" PRId64 "|%" PRId64, id, at);
    for (size_t i = 0; i < 5; i++)
        len += snprintf(buf + len, size - (size_t)len, "|%zu:%s", strlen(fields[i]), fields[i]);
    secret_sha256_hex(buf, (size_t)len, out);
    free(buf);
}

/* One record not yet written: audit_defer_begin .. audit_defer_end. */
typedef struct deferred_record {
    int64_t at;
    const char *actor, *action, *target, *detail; /* copies, while deferred; the caller's, written at once */
} deferred_record;

enum { AUDIT_DEFER_MAX = 16 }; /* records written by one INSERT; more flush early */

/* Per thread, since each thread has its own connection and runs one transaction at a time. */
static _Thread_local struct {
    db_conn *conn; /* NULL: not deferring */
    size_t count;
    deferred_record rows[AUDIT_DEFER_MAX];
} deferred;

static void deferred_drop(void)
{
    for (size_t i = 0; i < deferred.count; i++) {
        deferred_record *r = &deferred.rows[i];
        free((void *)r->actor);
        free((void *)r->action);
        free((void *)r->target);
        free((void *)r->detail);
    }
    deferred.count = 0;
}

/* The chain's last (id, hash), or (0, genesis) for an empty log. */
static kite_err chain_head(db_conn *conn, int64_t *id, char prev[SECRET_SHA256_HEX])
{
    *id = 0;
    memcpy(prev, genesis_hash, sizeof genesis_hash);
    db_stmt *last = db_prepare(conn, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1");
    if (db_next(last)) {
        *id = db_int(last, 0);
        snprintf(prev, SECRET_SHA256_HEX, "%s", db_text(last, 1));
    }
    return db_done(last);
}

/* Writes records[0..n) after the chain's head in one INSERT, each chained to the one before. */
static kite_err append_rows(db_conn *conn, const deferred_record *records, size_t n)
{
    int64_t id;
    char prev[SECRET_SHA256_HEX];
    kite_err err = chain_head(conn, &id, prev);
    if (err != KITE_OK || n == 0)
        return err;
    char sql[128 + AUDIT_DEFER_MAX * 48];
    int len = snprintf(sql, sizeof sql, "INSERT INTO audit_log (id, at, actor, action, target, detail, prev_hash, hash) VALUES ");
    for (size_t i = 0; i < n; i++) {
        size_t p = i * 8;
        len += snprintf(sql + len, sizeof sql - (size_t)len, "%s($%zu, $%zu, $%zu, $%zu, $%zu, $%zu, $%zu, $%zu)",
                        i > 0 ? ", " : "", p + 1, p + 2, p + 3, p + 4, p + 5, p + 6, p + 7, p + 8);
    }
    db_stmt *insert = db_prepare(conn, sql);
    char hashes[AUDIT_DEFER_MAX][SECRET_SHA256_HEX], prevs[AUDIT_DEFER_MAX][SECRET_SHA256_HEX];
    for (size_t i = 0; i < n; i++) {
        const deferred_record *r = &records[i];
        int base = (int)i * 8;
        id++;
        memcpy(prevs[i], prev, sizeof prev);
        record_hash(prevs[i], id, r->at, r->actor, r->action, r->target, r->detail, hashes[i]);
        db_bind_int(insert, base + 1, id);
        db_bind_int(insert, base + 2, r->at);
        db_bind_text(insert, base + 3, r->actor);
        db_bind_text(insert, base + 4, r->action);
        db_bind_text(insert, base + 5, r->target);
        db_bind_text(insert, base + 6, r->detail);
        db_bind_text(insert, base + 7, prevs[i]);
        db_bind_text(insert, base + 8, hashes[i]);
        memcpy(prev, hashes[i], sizeof prev);
    }
    return db_exec(insert);
}

static kite_err deferred_flush(db_conn *conn)
{
    kite_err err = deferred.count > 0 ? append_rows(conn, deferred.rows, deferred.count) : KITE_OK;
    deferred_drop();
    return err;
}

void audit_defer_begin(db_conn *conn)
{
    deferred_drop(); /* a transaction run again (busy) starts over */
    deferred.conn = conn;
}

kite_err audit_defer_end(db_conn *conn, kite_err err)
{
    if (err == KITE_OK && deferred.conn == conn)
        err = deferred_flush(conn);
    deferred_drop();
    deferred.conn = NULL;
    return err;
}

kite_err audit_append(db_conn *conn, int64_t at_ms, const char *actor, const char *action,
                      const char *target, const char *detail)
{
    if (deferred.conn != conn) {
        const deferred_record one = {at_ms, actor, action, target, detail};
        return append_rows(conn, &one, 1);
    }
    if (deferred.count == AUDIT_DEFER_MAX) {
        kite_err err = deferred_flush(conn);
        if (err != KITE_OK)
            return err;
    }
    deferred.rows[deferred.count++] = (deferred_record){at_ms, xstrdup(actor), xstrdup(action), xstrdup(target),
                                                        xstrdup(detail)};
    return KITE_OK;
}

static const char *or_empty(const char *s)
{
    return s != NULL ? s : "";
}

/* The newest checkpoint, when the log's oldest records were ever cut (audit_cut): where verifying starts. */
static kite_err checkpoint_load(db_conn *conn, audit_report *report, char prev[SECRET_SHA256_HEX])
{
    db_stmt *s = db_prepare(conn, "SELECT through_id, through_hash, deleted FROM audit_checkpoints"
                                  " ORDER BY through_id DESC LIMIT 1");
    if (db_next(s)) {
        report->checkpoint_through = db_int(s, 0);
        snprintf(prev, SECRET_SHA256_HEX, "%s", or_empty(db_text(s, 1)));
        report->checkpoint_deleted = db_int(s, 2);
    }
    return db_done(s);
}

/* The detail audit_cut writes for a checkpoint: what verify looks for, spelt once. */
static const char *checkpoint_detail(arena *a, int64_t through, const char *hash, int64_t deleted, int64_t cutoff)
{
    return arena_sprintf(a, "through=%" PRId64 "&hash=%s&deleted=%" PRId64 "&cutoff=%" PRId64, through, hash,
                         deleted, cutoff);
}

/* Whether a record is the chained announcement of the checkpoint being verified from. */
static bool announces_checkpoint(db_stmt *row, const audit_report *report, const char *hash)
{
    char target[48], prefix[128];
    snprintf(target, sizeof target, "audit:%" PRId64, report->checkpoint_through);
    snprintf(prefix, sizeof prefix, "through=%" PRId64 "&hash=%s&", report->checkpoint_through, hash);
    return strcmp(or_empty(db_text(row, 3)), AUDIT_CHECKPOINT_ACTION) == 0 &&
           strcmp(or_empty(db_text(row, 4)), target) == 0 &&
           strncmp(or_empty(db_text(row, 5)), prefix, strlen(prefix)) == 0;
}

/*
 * Strict: the chain starts at record 1 from the genesis hash or, after a
 * cut, at the record just after the newest checkpoint from the hash it
 * kept; every id follows the one before.  A record missing anywhere else,
 * or a checkpoint that no chained record announces, breaks it.
 */
static kite_err verify_tx(db_conn *conn, void *ctx)
{
    audit_report *report = ctx;
    char prev[SECRET_SHA256_HEX], checkpoint_hash[SECRET_SHA256_HEX];
    memcpy(prev, genesis_hash, sizeof genesis_hash);
    kite_err err = checkpoint_load(conn, report, prev);
    if (err != KITE_OK)
        return err;
    memcpy(checkpoint_hash, prev, sizeof prev);
    int64_t expected_id = report->checkpoint_through + 1;

    db_stmt *rows = db_prepare(conn,
        "SELECT id, at, actor, action, target, detail, prev_hash, hash FROM audit_log ORDER BY id");
    while (db_next(rows)) {
        int64_t id = db_int(rows, 0);
        char hash[SECRET_SHA256_HEX];
        record_hash(prev, id, db_int(rows, 1), or_empty(db_text(rows, 2)), or_empty(db_text(rows, 3)),
                    or_empty(db_text(rows, 4)), or_empty(db_text(rows, 5)), hash);
        report->count++;
        if (id != expected_id || strcmp(or_empty(db_text(rows, 6)), prev) != 0 ||
            strcmp(or_empty(db_text(rows, 7)), hash) != 0) {
            report->first_broken = id;
            break;
        }
        if (report->checkpoint_through > 0 && !report->checkpoint_announced)
            report->checkpoint_announced = announces_checkpoint(rows, report, checkpoint_hash);
        snprintf(prev, sizeof prev, "%s", hash);
        expected_id = id + 1;
    }
    err = db_done(rows);
    /* A checkpoint written beside the chain, without its record in it, proves nothing. */
    if (err == KITE_OK && report->first_broken == 0 && report->checkpoint_through > 0 && !report->checkpoint_announced)
        report->first_broken = report->checkpoint_through + 1;
    return err;
}

kite_err audit_verify(db *store, audit_report *out)
{
    memset(out, 0, sizeof *out);
    return db_read(store, verify_tx, out);
}

/* The last record a cut at cutoff_ms may take: the one before the first record at or after it, never the head. */
static kite_err cut_bound(db_conn *conn, int64_t cutoff_ms, int64_t *through)
{
    db_stmt *s = db_prepare(conn, "SELECT COALESCE((SELECT MIN(id) FROM audit_log WHERE at >= $1),"
                                  " (SELECT MAX(id) FROM audit_log)), COALESCE((SELECT MAX(id) FROM audit_log), 0)");
    db_bind_int(s, 1, cutoff_ms);
    *through = 0;
    if (db_next(s)) {
        int64_t first_kept = db_int(s, 0), head = db_int(s, 1);
        *through = first_kept - 1 < head - 1 ? first_kept - 1 : head - 1;
    }
    return db_done(s);
}

kite_err audit_cut(db_conn *conn, arena *a, int64_t now, int64_t cutoff_ms, const char *actor, int64_t *deleted)
{
    *deleted = 0;
    int64_t through, start = 0;
    kite_err err = cut_bound(conn, cutoff_ms, &through);
    db_stmt *s = db_prepare(conn, "SELECT COALESCE(MAX(through_id), 0) FROM audit_checkpoints");
    if (db_next(s))
        start = db_int(s, 0);
    if (err != KITE_OK || (err = db_done(s)) != KITE_OK || through <= start)
        return err;
    const char *hash = "";
    s = db_prepare(conn, "SELECT hash FROM audit_log WHERE id = $1");
    db_bind_int(s, 1, through);
    if (db_next(s))
        hash = arena_strdup(a, or_empty(db_text(s, 0)));
    if ((err = db_done(s)) != KITE_OK)
        return err;
    if (*hash == '\0')
        return KITE_ERR_STORE; /* the record to cut through is missing: the chain is broken already */
    s = db_prepare(conn, "DELETE FROM audit_log WHERE id <= $1");
    db_bind_int(s, 1, through);
    if ((err = db_exec(s)) != KITE_OK)
        return err;
    *deleted = db_changes(conn);
    if (*deleted == 0)
        return KITE_OK; /* another process's cut took them meanwhile: its checkpoint stands */
    s = db_prepare(conn, "INSERT INTO audit_checkpoints (through_id, through_hash, deleted, cutoff_at, at)"
                         " VALUES ($1, $2, $3, $4, $5)");
    db_bind_int(s, 1, through);
    db_bind_text(s, 2, hash);
    db_bind_int(s, 3, *deleted);
    db_bind_int(s, 4, cutoff_ms);
    db_bind_int(s, 5, now);
    if ((err = db_exec(s)) != KITE_OK)
        return err;
    return audit_append(conn, now, actor, AUDIT_CHECKPOINT_ACTION, audit_target(a, "audit", through),
                        checkpoint_detail(a, through, hash, *deleted, cutoff_ms));
}
