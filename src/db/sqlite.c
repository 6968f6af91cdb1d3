/*
 * sqlite.c - the SQLite engine: the embedded default, one file.
 *
 * Durability: WAL with synchronous=FULL, so a write that was acknowledged
 * survives a crash or kill -9.  The group commit's writer connection alone
 * runs NORMAL and syncs the log itself before anyone is answered
 * (sqlite_writer_sync_apart; writer.c says why).  Checkpoints: SQLite's own run inside the
 * COMMIT that crosses its threshold, stalling that writer (and, with group
 * commit, every writer queued behind it) while the database file is
 * written and synced; instead each connection's WAL hook only records how
 * long the log is, and db.c checkpoints on a thread of its own (PASSIVE:
 * it copies what no reader still needs and never blocks a writer).  Busy handling: a connection waits up to
 * BUSY_TIMEOUT_MS for a lock; write transactions start with BEGIN IMMEDIATE
 * (so they never fail half-way on an upgrade from reader to writer), and
 * db.c retries them when the lock still cannot be had.
 */
#include "core/alloc.h"
#include "core/log.h"
#include "db/driver.h"
#include "db/fts_stem.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { BUSY_TIMEOUT_MS = 10000 };

static sqlite3 *handle_of(db_conn *conn)
{
    return conn->engine;
}

/*
 * A prepared statement with its parameters by number: $N is looked up once
 * when prepared, not by name on every bind.
 */
typedef struct sqlite_stmt {
    sqlite3_stmt *handle;
    int highest;        /* the highest N of a "$N" in the statement */
    int *index_of;      /* index_of[N]: the bind index of "$N", 0 when absent */
} sqlite_stmt;

static sqlite3_stmt *stmt_of(db_stmt *stmt)
{
    return ((sqlite_stmt *)stmt->engine)->handle;
}

static bool is_busy(int rc)
{
    return (rc & 0xFF) == SQLITE_BUSY || (rc & 0xFF) == SQLITE_LOCKED;
}

/*
 * What a failed SQLite call means to Kite.  A full disk and a read-only file
 * have codes of their own: the person is told plainly, and the operator's log
 * says which it is, instead of "could not read or save".
 */
static kite_err error_of(sqlite3 *handle, int rc)
{
    /* A mount turned read-only under an open file fails the write itself (EROFS), not the open. */
    if ((rc & 0xFF) == SQLITE_IOERR && sqlite3_system_errno(handle) == EROFS)
        return KITE_ERR_STORE_READ_ONLY;
    if ((rc & 0xFF) == SQLITE_IOERR && sqlite3_system_errno(handle) == ENOSPC)
        return KITE_ERR_STORE_FULL;
    switch (rc & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return KITE_ERR_BUSY;
    case SQLITE_CONSTRAINT:
        return KITE_ERR_CONFLICT;
    case SQLITE_FULL:
        return KITE_ERR_STORE_FULL;
    case SQLITE_READONLY:
        return KITE_ERR_STORE_READ_ONLY;
    default:
        return KITE_ERR_STORE;
    }
}

static kite_err sqlite_script(db_conn *conn, const char *sql)
{
    char *message = NULL;
    int rc = sqlite3_exec(handle_of(conn), sql, NULL, NULL, &message);
    if (rc != SQLITE_OK) {
        log_error("store: %s", message ? message : sqlite3_errmsg(handle_of(conn)));
        sqlite3_free(message);
        return error_of(handle_of(conn), rc) == KITE_ERR_CONFLICT ? KITE_ERR_STORE : error_of(handle_of(conn), rc);
    }
    return KITE_OK;
}

/* Replaces the automatic checkpoint: remembers the log's length for db.c's checkpointer. */
static int sqlite_wal_hook(void *data, sqlite3 *handle, const char *name, int pages)
{
    (void)handle;
    (void)name;
    db_conn *conn = data;
    conn->log_pages = pages;
    return SQLITE_OK;
}

static void sqlite_checkpoint(db_conn *conn)
{
    int log = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(handle_of(conn), NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
    if (rc != SQLITE_OK && !is_busy(rc))
        log_error("store: checkpoint failed: %s", sqlite3_errmsg(handle_of(conn)));
}

/*
 * After a failed open: KITE_ERR_STORE_READ_ONLY, said plainly in the log,
 * when the file or its folder cannot be written (a read-only mount, a file
 * the server's user may not write).  Kite writes its store and its log
 * (path-wal, path-shm) beside it, so it never runs on a store it cannot
 * save to, and it leaves such a store exactly as it found it.
 */
static kite_err open_failure(const char *path)
{
    char folder[PATH_MAX];
    snprintf(folder, sizeof folder, "%s", path);
    char *slash = strrchr(folder, '/');
    if (slash == NULL)
        snprintf(folder, sizeof folder, ".");
    else
        slash[slash == folder ? 1 : 0] = '\0';
    bool file_writable = access(path, W_OK) == 0 || errno == ENOENT;
    if (file_writable && access(folder, W_OK) == 0)
        return KITE_ERR_STORE;
    /* Only a file or folder that is there and refuses writing is read-only; a missing folder is not. */
    if (errno != EROFS && errno != EACCES && errno != EPERM)
        return KITE_ERR_STORE;
    log_error("store: %s cannot be written (%s): Kite must be able to write its store and the files beside it;"
              " make them writable, then start again. Nothing in it was changed.",
              path, strerror(errno));
    return KITE_ERR_STORE_READ_ONLY;
}

/*
 * SQLite counts every allocation of every connection under one process-wide
 * mutex unless told not to; Kite never reads those counts, and with a
 * connection per handler thread that mutex was taken on every row read.  It
 * can be set only before SQLite's first use in the process, so once, here.
 */
static void sqlite_configure_once(void)
{
    /* SQLITE_MISUSE when something opened SQLite first: the counts stay on, slower and still right. */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static kite_err sqlite_open(db_conn *conn, const char *path)
{
    static pthread_once_t configured = PTHREAD_ONCE_INIT;
    pthread_once(&configured, sqlite_configure_once);
    sqlite3 *handle = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &handle, flags, NULL) != SQLITE_OK) {
        log_error("store: cannot open %s: %s", path, handle ? sqlite3_errmsg(handle) : "out of memory");
        sqlite3_close(handle);
        return open_failure(path);
    }
    sqlite3_busy_timeout(handle, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(handle, 1);
    /* Before any statement: migration 22 and the investigators' search use it (db/fts_stem.c). */
    if (fts_stem_register(handle) != SQLITE_OK) {
        log_error("store: cannot register the search tokenizer on %s: %s", path, sqlite3_errmsg(handle));
        sqlite3_close(handle);
        return open_failure(path);
    }
    conn->engine = handle;
    kite_err err = sqlite_script(conn,
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
        "PRAGMA temp_store=MEMORY;");
    if (err != KITE_OK) {
        sqlite3_close(handle);
        conn->engine = NULL;
        return err == KITE_ERR_STORE ? open_failure(path) : err;
    }
    sqlite3_wal_hook(handle, sqlite_wal_hook, conn);
    return KITE_OK;
}

static void sqlite_close(db_conn *conn)
{
    sqlite3_close(handle_of(conn));
    conn->engine = NULL;
    if (conn->log_fd_open)
        close(conn->log_fd);
    conn->log_fd_open = false;
}

static bool journal_is_wal(db_conn *conn)
{
    sqlite3_stmt *mode = NULL;
    bool wal = sqlite3_prepare_v2(handle_of(conn), "PRAGMA journal_mode", -1, &mode, NULL) == SQLITE_OK &&
               sqlite3_step(mode) == SQLITE_ROW &&
               sqlite3_stricmp((const char *)sqlite3_column_text(mode, 0), "wal") == 0;
    sqlite3_finalize(mode);
    return wal;
}

/* Makes path's directory entry durable, as SQLite's own first sync of a new log would. */
static bool sync_directory_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash == NULL ? xstrdup(".") : slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool synced = fd >= 0 && fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    free(dir);
    return synced;
}

/*
 * The writer connection's COMMIT without its fsync: synchronous=NORMAL on
 * this connection only (in WAL mode the sole difference from FULL is that
 * COMMIT no longer syncs the log; checkpoints still sync it before copying
 * a page), with the log's fsync done by sqlite_sync_log on a descriptor of
 * our own (fsync acts on the file, whichever descriptor asks).  Only when
 * the log is a file we can open; otherwise the connection stays FULL.
 */
static bool sqlite_writer_sync_apart(db_conn *conn)
{
    const char *main_file = sqlite3_db_filename(handle_of(conn), "main");
    const char *log = main_file != NULL && main_file[0] != '\0' ? sqlite3_filename_wal(main_file) : NULL;
    /* A first read makes SQLite open the log, creating it when the last connection to close removed it. */
    if (log == NULL || log[0] == '\0' || !journal_is_wal(conn) ||
        sqlite_script(conn, "SELECT count(*) FROM sqlite_master") != KITE_OK)
        return false;
    int fd = open(log, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    if (fdatasync(fd) != 0 || !sync_directory_of(log) || sqlite_script(conn, "PRAGMA synchronous=NORMAL") != KITE_OK) {
        close(fd);
        return false;
    }
    conn->log_fd = fd;
    conn->log_fd_open = true;
    return true;
}

static kite_err sqlite_sync_log(db_conn *conn)
{
    if (fdatasync(conn->log_fd) == 0)
        return KITE_OK;
    log_error("store: cannot sync the write-ahead log: %s; the last commit may not be on disk", strerror(errno));
    return KITE_ERR_OUTCOME_UNKNOWN;
}

/* BEGIN, COMMIT and ROLLBACK from the statement cache: compiled once per connection, not on every transaction. */
static int exec_cached(db_conn *conn, const char *sql)
{
    sqlite3_stmt *handle = stmt_of(db_prepare(conn, sql));
    int rc = sqlite3_step(handle);
    sqlite3_reset(handle);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static kite_err sqlite_begin(db_conn *conn, db_tx_kind kind, bool last_attempt)
{
    const char *begin = kind == DB_TX_WRITE ? "BEGIN IMMEDIATE" : "BEGIN";
    int rc = exec_cached(conn, begin);
    if (rc == SQLITE_OK)
        return KITE_OK;
    if (!is_busy(rc) || last_attempt)
        log_error("store: %s failed: %s", begin, sqlite3_errmsg(handle_of(conn)));
    return is_busy(rc) ? KITE_ERR_BUSY : error_of(handle_of(conn), rc);
}

static kite_err sqlite_commit(db_conn *conn)
{
    int rc = exec_cached(conn, "COMMIT");
    if (rc == SQLITE_OK)
        return KITE_OK;
    log_error("store: commit failed: %s", sqlite3_errmsg(handle_of(conn)));
    return error_of(handle_of(conn), rc) == KITE_ERR_CONFLICT ? KITE_ERR_STORE : error_of(handle_of(conn), rc);
}

static void sqlite_rollback(db_conn *conn)
{
    if (sqlite3_get_autocommit(handle_of(conn)) == 0)
        (void)exec_cached(conn, "ROLLBACK");
}

static bool sqlite_in_tx(db_conn *conn)
{
    return sqlite3_get_autocommit(handle_of(conn)) == 0;
}

static void sqlite_prepare(db_stmt *stmt)
{
    sqlite3_stmt *handle = NULL;
    if (sqlite3_prepare_v3(handle_of(stmt->conn), stmt->sql, -1, SQLITE_PREPARE_PERSISTENT, &handle, NULL) !=
        SQLITE_OK) {
        fprintf(stderr, "kite: SQL does not compile: %s\n  %s\n", sqlite3_errmsg(handle_of(stmt->conn)), stmt->sql);
        abort();
    }
    sqlite_stmt *prepared = xcalloc(1, sizeof *prepared);
    prepared->handle = handle;
    int count = sqlite3_bind_parameter_count(handle);
    for (int i = 1; i <= count; i++) {
        const char *name = sqlite3_bind_parameter_name(handle, i);
        int n = name != NULL && name[0] == '$' ? atoi(name + 1) : 0;
        prepared->highest = n > prepared->highest ? n : prepared->highest;
    }
    prepared->index_of = xcalloc((size_t)prepared->highest + 1, sizeof *prepared->index_of);
    for (int i = 1; i <= count; i++) {
        const char *name = sqlite3_bind_parameter_name(handle, i);
        int n = name != NULL && name[0] == '$' ? atoi(name + 1) : 0;
        if (n > 0)
            prepared->index_of[n] = i;
    }
    stmt->engine = prepared;
}

static void sqlite_finalize(db_stmt *stmt)
{
    sqlite_stmt *prepared = stmt->engine;
    sqlite3_finalize(prepared->handle);
    free(prepared->index_of);
    free(prepared);
    stmt->engine = NULL;
}

static void sqlite_reset(db_stmt *stmt)
{
    sqlite3_reset(stmt_of(stmt));
    sqlite3_clear_bindings(stmt_of(stmt));
}

static int param_index(db_stmt *stmt, int n)
{
    const sqlite_stmt *prepared = stmt->engine;
    int index = n > 0 && n <= prepared->highest ? prepared->index_of[n] : 0;
    if (index == 0) {
        fprintf(stderr, "kite: SQL has no parameter $%d: %s\n", n, stmt->sql);
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
    kite_err err = error_of(handle_of(stmt->conn), rc);
    if (err != KITE_ERR_CONFLICT && err != KITE_ERR_BUSY)
        log_error("store: %s (in: %.120s)", sqlite3_errmsg(handle_of(stmt->conn)), stmt->sql);
    return err;
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
    .group_commit = true,
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
    .in_tx = sqlite_in_tx,
    .checkpoint = sqlite_checkpoint,
    .writer_sync_apart = sqlite_writer_sync_apart,
    .sync_log = sqlite_sync_log,
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
