/*
 * driver.h - what one engine gives the store (inside src/db only).
 *
 * db.c owns everything both engines share: the connection of each thread,
 * the statement cache keyed by SQL text, the transaction loop with its
 * bounded retries, the migrations runner and the test-only fault hook.  An
 * engine (sqlite.c, pg.c) only opens and closes its connection, begins,
 * commits and rolls back, prepares, binds, steps and reads columns.  So
 * every rule about transactions lives in one place, and the SQL the
 * domain writes is the same for both.
 *
 * Ownership: db.c allocates db_conn and db_stmt; an engine hangs its own
 * state on their `engine` field and frees it in close/finalize.
 */
#ifndef KITE_DB_DRIVER_H
#define KITE_DB_DRIVER_H

#include "db/db.h"
#include "db/migrations.h"

struct db_stmt {
    void *engine;
    db_conn *conn;
    const char *sql; /* owned copy, also the cache key */
    kite_err err;
};

struct db_conn {
    void *engine;
    db *store;
    db_stmt **cache; /* open addressing on the hash of the SQL text */
    size_t cache_cap;
    size_t cache_len;
    int64_t log_pages; /* pages in the engine's write-ahead log after this connection's last commit (SQLite) */
    bool wake_at_commit; /* db_notify ran in the open transaction, and the engine does not deliver it */
    bool log_fd_open;    /* log_fd is this connection's own descriptor of its write-ahead log (writer_sync_apart) */
    int log_fd;
    db_conn *next; /* in store->conns */
    db_conn *prev;
};

typedef enum db_tx_kind {
    DB_TX_READ,  /* a consistent snapshot, nothing written */
    DB_TX_WRITE, /* the one writer of the store until COMMIT */
} db_tx_kind;

typedef struct db_driver {
    const char *name;
    /*
     * Write transactions share commits (db.c, "Group commit"): many share one
     * transaction on one writer connection, each in its own savepoint.
     */
    bool group_commit;
    const migration *migrations;
    const size_t *migration_count; /* a pointer: the count is an extern, not a constant */
    /* The statement that creates the migrations table when it is missing. */
    const char *migrations_table;
    /* Opens conn->engine on target (a file path or a connection URI). */
    kite_err (*open)(db_conn *conn, const char *target);
    void (*close)(db_conn *conn);
    /* Runs statements without parameters (migrations); a failure is logged. */
    kite_err (*script)(db_conn *conn, const char *sql);
    /* KITE_ERR_BUSY when the caller may try again; logged only on the last attempt. */
    kite_err (*begin)(db_conn *conn, db_tx_kind kind, bool last_attempt);
    /* On failure the transaction may still be open: the caller rolls it back. */
    kite_err (*commit)(db_conn *conn);
    /* Ends the transaction if one is open; never fails the caller. */
    void (*rollback)(db_conn *conn);
    /* True while a transaction is open (an engine may end one by itself on a severe error). */
    bool (*in_tx)(db_conn *conn);
    /*
     * Copies the write-ahead log into the database without blocking writers
     * (SQLite; NULL when the engine does its own): db.c runs it on a thread
     * of its own once a commit leaves conn->log_pages past a threshold.
     */
    void (*checkpoint)(db_conn *conn);
    /*
     * The group commit's split sync (writer.c; NULL both when the engine has
     * none).  writer_sync_apart makes the writer connection's COMMIT leave
     * out the fsync of the log, and returns true, only when sync_log can do
     * that fsync instead; false leaves the connection syncing in COMMIT.
     * sync_log makes everything conn has committed durable; it touches only
     * the log's descriptor, so it runs while another thread uses conn.
     */
    bool (*writer_sync_apart)(db_conn *conn);
    kite_err (*sync_log)(db_conn *conn);
    /* Sets stmt->engine; a statement that does not compile aborts. */
    void (*prepare)(db_stmt *stmt);
    void (*finalize)(db_stmt *stmt);
    /* Ready to run again: bindings cleared, rows forgotten. */
    void (*reset)(db_stmt *stmt);
    /* A failure is returned (and becomes the statement's error); an unknown $n aborts. */
    kite_err (*bind_int)(db_stmt *stmt, int n, int64_t value);
    kite_err (*bind_text)(db_stmt *stmt, int n, const char *value);
    kite_err (*bind_blob)(db_stmt *stmt, int n, const void *data, size_t len);
    kite_err (*bind_null)(db_stmt *stmt, int n);
    /* KITE_OK with *row set, or the error (conflict, busy, store) of a step that failed. */
    kite_err (*step)(db_stmt *stmt, bool *row);
    int (*column_count)(db_stmt *stmt);
    db_type (*column_type)(db_stmt *stmt, int col);
    int64_t (*column_int)(db_stmt *stmt, int col);
    bool (*column_is_null)(db_stmt *stmt, int col);
    const char *(*column_text)(db_stmt *stmt, int col);
    const void *(*column_blob)(db_stmt *stmt, int col, size_t *len);
    int64_t (*changes)(db_conn *conn);
    /* The statement that sends a wake-up on $1, or NULL when the engine has none (db.h: db.c wakes its own). */
    const char *notify_sql;
    /* The engine's listener on channel (NULL when it has none); waits; closes. */
    void *(*listen)(const char *target, const char *channel);
    bool (*listener_wait)(void *listener, int timeout_ms);
    void (*listener_close)(void *listener);
} db_driver;

extern const db_driver db_sqlite_driver;
extern const db_driver db_pg_driver;

#endif
