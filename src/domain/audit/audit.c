#include "domain/audit/audit.h"

#include "core/alloc.h"
#include "core/secret.h"

#include <inttypes.h>
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

static kite_err verify_tx(db_conn *conn, void *ctx)
{
    audit_report *report = ctx;
    char prev[SECRET_SHA256_HEX];
    memcpy(prev, genesis_hash, sizeof genesis_hash);
    int64_t expected_id = 1;

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
        snprintf(prev, sizeof prev, "%s", hash);
        expected_id = id + 1;
    }
    return db_done(rows);
}

kite_err audit_verify(db *store, audit_report *out)
{
    memset(out, 0, sizeof *out);
    return db_read(store, verify_tx, out);
}
