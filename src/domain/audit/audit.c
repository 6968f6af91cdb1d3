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

kite_err audit_append(db_conn *conn, int64_t at_ms, const char *actor, const char *action,
                      const char *target, const char *detail)
{
    char prev[SECRET_SHA256_HEX];
    int64_t id = 1;
    memcpy(prev, genesis_hash, sizeof genesis_hash);

    db_stmt *last = db_prepare(conn, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1");
    if (db_next(last)) {
        id = db_int(last, 0) + 1;
        snprintf(prev, sizeof prev, "%s", db_text(last, 1));
    }
    kite_err err = db_done(last);
    if (err != KITE_OK)
        return err;

    char hash[SECRET_SHA256_HEX];
    record_hash(prev, id, at_ms, actor, action, target, detail, hash);
    db_stmt *insert = db_prepare(conn,
        "INSERT INTO audit_log (id, at, actor, action, target, detail, prev_hash, hash)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
    db_bind_int(insert, 1, id);
    db_bind_int(insert, 2, at_ms);
    db_bind_text(insert, 3, actor);
    db_bind_text(insert, 4, action);
    db_bind_text(insert, 5, target);
    db_bind_text(insert, 6, detail);
    db_bind_text(insert, 7, prev);
    db_bind_text(insert, 8, hash);
    return db_exec(insert);
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
