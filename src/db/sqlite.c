/*
 * sqlite.c - the SQLite engine: the embedded default, one file.
 *
 * Durability: WAL with synchronous=FULL, so a write that was acknowledged
 * survives a crash or kill -9.  Busy handling: a connection waits up to
 * BUSY_TIMEOUT_MS for a lock; write transactions start with BEGIN IMMEDIATE
 * (so they never fail half-way on an upgrade from reader to writer), and
 * db.c retries them when the lock still cannot be had.
 */
#include "core/alloc.h"
#include "core/log.h"
#include "db/driver.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

enum { BUSY_TIMEOUT_MS = 10000 };

static sqlite3 *handle_of(db_conn *conn)
{
    return conn->engine;
}

static sqlite3_stmt *stmt_of(db_stmt *stmt)
{
    return stmt->engine;
}

static bool is_busy(int rc)
{
    return (rc & 0xFF) == SQLITE_BUSY || (rc & 0xFF) == SQLITE_LOCKED;
}

static kite_err sqlite_script(db_conn *conn, const char *sql)
{
    char *message = NULL;
    if (sqlite3_exec(handle_of(conn), sql, NULL, NULL, &message) != SQLITE_OK) {
        log_error("store: %s", message ? message : sqlite3_errmsg(handle_of(conn)));
        sqlite3_free(message);
        return KITE_ERR_STORE;
    }
    return KITE_OK;
}

static kite_err sqlite_open(db_conn *conn, const char *path)
{
    sqlite3 *handle = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &handle, flags, NULL) != SQLITE_OK) {
        log_error("store: cannot open %s: %s", path, handle ? sqlite3_errmsg(handle) : "out of memory");
        sqlite3_close(handle);
        return KITE_ERR_STORE;
    }
    sqlite3_busy_timeout(handle, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(handle, 1);
    conn->engine = handle;
    kite_err err = sqlite_script(conn,
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
        "PRAGMA temp_store=MEMORY;");
    if (err != KITE_OK) {
        sqlite3_close(handle);
        conn->engine = NULL;
    }
    return err;
}

static void sqlite_close(db_conn *conn)
{
    sqlite3_close(handle_of(conn));
    conn->engine = NULL;
}

static kite_err sqlite_begin(db_conn *conn, db_tx_kind kind, bool last_attempt)
{
    const char *begin = kind == DB_TX_WRITE ? "BEGIN IMMEDIATE" : "BEGIN";
    int rc = sqlite3_exec(handle_of(conn), begin, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return KITE_OK;
    if (!is_busy(rc) || last_attempt)
        log_error("store: %s failed: %s", begin, sqlite3_errmsg(handle_of(conn)));
    return is_busy(rc) ? KITE_ERR_BUSY : KITE_ERR_STORE;
}

static kite_err sqlite_commit(db_conn *conn)
{
    int rc = sqlite3_exec(handle_of(conn), "COMMIT", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return KITE_OK;
    log_error("store: commit failed: %s", sqlite3_errmsg(handle_of(conn)));
    return is_busy(rc) ? KITE_ERR_BUSY : KITE_ERR_STORE;
}

static void sqlite_rollback(db_conn *conn)
{
    if (sqlite3_get_autocommit(handle_of(conn)) == 0)
        sqlite3_exec(handle_of(conn), "ROLLBACK", NULL, NULL, NULL);
}

static void sqlite_prepare(db_stmt *stmt)
{
    sqlite3_stmt *handle = NULL;
    if (sqlite3_prepare_v3(handle_of(stmt->conn), stmt->sql, -1, SQLITE_PREPARE_PERSISTENT, &handle, NULL) !=
        SQLITE_OK) {
        fprintf(stderr, "kite: SQL does not compile: %s\n  %s\n", sqlite3_errmsg(handle_of(stmt->conn)), stmt->sql);
        abort();
    }
    stmt->engine = handle;
}

static void sqlite_finalize(db_stmt *stmt)
{
    sqlite3_finalize(stmt_of(stmt));
}

static void sqlite_reset(db_stmt *stmt)
{
    sqlite3_reset(stmt_of(stmt));
    sqlite3_clear_bindings(stmt_of(stmt));
}

static int param_index(db_stmt *stmt, int n)
{
    char name[16];
    snprintf(name, sizeof name, "$%d", n);
    int index = sqlite3_bind_parameter_index(stmt_of(stmt), name);
    if (index == 0) {
        fprintf(stderr, "kite: SQL has no parameter %s: %s\n", name, stmt->sql);
        abort();
    }
    return index;
}

static kite_err bind_result(db_stmt *stmt, int rc)
{
    if (rc == SQLITE_OK)
        return KITE_OK;
    log_error("store: bind failed: %s", sqlite3_errmsg(handle_of(stmt->conn)));
    return KITE_ERR_STORE;
}

static kite_err sqlite_bind_int(db_stmt *stmt, int n, int64_t value)
{
    return bind_result(stmt, sqlite3_bind_int64(stmt_of(stmt), param_index(stmt, n), value));
}

static kite_err sqlite_bind_text(db_stmt *stmt, int n, const char *value)
{
    return bind_result(stmt, sqlite3_bind_text(stmt_of(stmt), param_index(stmt, n), value, -1, SQLITE_TRANSIENT));
}

static kite_err sqlite_bind_blob(db_stmt *stmt, int n, const void *data, size_t len)
{
    return bind_result(stmt, sqlite3_bind_blob64(stmt_of(stmt), param_index(stmt, n), data, len, SQLITE_TRANSIENT));
}

static kite_err sqlite_bind_null(db_stmt *stmt, int n)
{
    return bind_result(stmt, sqlite3_bind_null(stmt_of(stmt), param_index(stmt, n)));
}

static kite_err sqlite_step(db_stmt *stmt, bool *row)
{
    int rc = sqlite3_step(stmt_of(stmt));
    *row = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return KITE_OK;
    if ((rc & 0xFF) == SQLITE_CONSTRAINT)
        return KITE_ERR_CONFLICT;
    if (is_busy(rc))
        return KITE_ERR_BUSY;
    log_error("store: %s (in: %.120s)", sqlite3_errmsg(handle_of(stmt->conn)), stmt->sql);
    return KITE_ERR_STORE;
}

static int sqlite_column_count(db_stmt *stmt)
{
    return sqlite3_column_count(stmt_of(stmt));
}

/* A REAL is read as text: Kite stores none, and text keeps its value whole. */
static db_type sqlite_column_type(db_stmt *stmt, int col)
{
    switch (sqlite3_column_type(stmt_of(stmt), col)) {
    case SQLITE_NULL:
        return DB_TYPE_NULL;
    case SQLITE_INTEGER:
        return DB_TYPE_INT;
    case SQLITE_BLOB:
        return DB_TYPE_BLOB;
    default:
        return DB_TYPE_TEXT;
    }
}

static int64_t sqlite_column_int(db_stmt *stmt, int col)
{
    return sqlite3_column_int64(stmt_of(stmt), col);
}

static bool sqlite_column_is_null(db_stmt *stmt, int col)
{
    return sqlite3_column_type(stmt_of(stmt), col) == SQLITE_NULL;
}

static const char *sqlite_column_text(db_stmt *stmt, int col)
{
    return (const char *)sqlite3_column_text(stmt_of(stmt), col);
}

static const void *sqlite_column_blob(db_stmt *stmt, int col, size_t *len)
{
    const void *data = sqlite3_column_blob(stmt_of(stmt), col);
    *len = (size_t)sqlite3_column_bytes(stmt_of(stmt), col);
    return data;
}

static int64_t sqlite_changes(db_conn *conn)
{
    return sqlite3_changes64(handle_of(conn));
}

const db_driver db_sqlite_driver = {
    .name = "SQLite",
    .migrations = kite_migrations,
    .migration_count = &kite_migration_count,
    .migrations_table = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    .open = sqlite_open,
    .close = sqlite_close,
    .script = sqlite_script,
    .begin = sqlite_begin,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .prepare = sqlite_prepare,
    .finalize = sqlite_finalize,
    .reset = sqlite_reset,
    .bind_int = sqlite_bind_int,
    .bind_text = sqlite_bind_text,
    .bind_blob = sqlite_bind_blob,
    .bind_null = sqlite_bind_null,
    .step = sqlite_step,
    .column_count = sqlite_column_count,
    .column_type = sqlite_column_type,
    .column_int = sqlite_column_int,
    .column_is_null = sqlite_column_is_null,
    .column_text = sqlite_column_text,
    .column_blob = sqlite_column_blob,
    .changes = sqlite_changes,
};
