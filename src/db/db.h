/*
 * db.h - the store: connections, cached prepared statements, transactions.
 *
 * Two engines behind one interface: SQLite, the embedded default (the
 * store is a file path), and PostgreSQL (a postgresql:// URI).  The SQL the
 * rest of Kite writes is the same for both: parameters are written $1, $2
 * ... and bound by number, times are integer epoch milliseconds, new ids
 * come back through RETURNING, booleans are integers 0 and 1, text compares
 * bytewise.  (SQLite numbers $N by first appearance, not by N; db_bind_*
 * looks the name "$N" up, so order never matters.)  Only the migrations
 * and a few statements differ by engine; db_conn_dialect() tells which.
 *
 * Threads: each thread that touches the store gets its own connection,
 * opened on first use and closed when the thread ends or the store closes.
 *
 * Transactions: every state change runs as a db_tx_fn through db_write(),
 * which alone owns BEGIN/COMMIT/ROLLBACK and retries when the database is
 * busy; reads that need a consistent view go through db_read().  A tx
 * function must not keep pointers to column values past the next step of
 * the same statement: copy what it needs into its arena.
 *
 * Errors: statements record the first failure; db_done() returns it.  A
 * constraint violation (unique, foreign key, check) is KITE_ERR_CONFLICT; a
 * busy store, a PostgreSQL serialization failure or deadlock, or a lost
 * connection is KITE_ERR_BUSY, and db_write/db_read run the transaction
 * again a bounded number of times before returning it; anything else the
 * store reports is KITE_ERR_STORE (and is logged).  A statement that does
 * not compile is a programming error and aborts.  On PostgreSQL a failed
 * statement ends the transaction: every later statement in it fails with
 * the first one's error, and nothing of it is committed.
 */
#ifndef KITE_DB_DB_H
#define KITE_DB_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef enum db_dialect { DB_SQLITE, DB_POSTGRESQL } db_dialect;

typedef struct db db;
typedef struct db_conn db_conn;
typedef struct db_stmt db_stmt;

/*
 * Opens the store and applies pending migrations: a SQLite file (created if
 * needed) or, for a target starting postgresql:// or postgres://, a
 * PostgreSQL database (which must exist).
 */
kite_err db_open(const char *target, db **out) KITE_WUR;
/* Closes every connection; accepts NULL; returns NULL. */
db *db_close(db *store);

db_dialect db_dialect_of(const db *store);
db_dialect db_conn_dialect(const db_conn *conn);

typedef kite_err (*db_tx_fn)(db_conn *conn, void *ctx);

/* Runs fn inside a write transaction; commits when it returns KITE_OK. */
kite_err db_write(db *store, db_tx_fn fn, void *ctx) KITE_WUR;
/* Runs fn inside a read transaction (a consistent snapshot). */
kite_err db_read(db *store, db_tx_fn fn, void *ctx) KITE_WUR;

/*
 * What the group commit did (SQLite; all zero on PostgreSQL): writes that
 * joined a batch, commits, the largest batch, shared commits that failed;
 * and, now, the writers waiting for their turn.
 */
typedef struct db_group_stats {
    int64_t writes, commits, largest, failed_commits;
    int64_t syncs_apart; /* fsyncs of the log by a leader after its COMMIT, outside the lead (writer.c) */
    int64_t queued;
} db_group_stats;
db_group_stats db_write_stats(db *store);

/* The cached prepared statement for sql on this connection, reset and unbound. */
db_stmt *db_prepare(db_conn *conn, const char *sql);

void db_bind_int(db_stmt *stmt, int n, int64_t value);
/* NULL binds SQL NULL. */
void db_bind_text(db_stmt *stmt, int n, const char *value);
void db_bind_blob(db_stmt *stmt, int n, const void *data, size_t len);
void db_bind_null(db_stmt *stmt, int n);

/* Steps; true when a row is ready.  False at the end or on failure (see db_done). */
bool db_next(db_stmt *stmt);
/* Resets the statement and returns its first failure, or KITE_OK. */
kite_err db_done(db_stmt *stmt) KITE_WUR;
/* Runs a statement that returns no rows (or ignores them): db_next + db_done. */
kite_err db_exec(db_stmt *stmt) KITE_WUR;

/* What a column of the current row holds: for code that copies rows it does not know (migrate-store). */
typedef enum db_type { DB_TYPE_NULL, DB_TYPE_INT, DB_TYPE_TEXT, DB_TYPE_BLOB } db_type;
int db_column_count(db_stmt *stmt);
db_type db_column_type(db_stmt *stmt, int col);

/* Column readers for the current row (0-based).  Text is NULL for SQL NULL. */
int64_t db_int(db_stmt *stmt, int col);
bool db_is_null(db_stmt *stmt, int col);
const char *db_text(db_stmt *stmt, int col);
const void *db_blob(db_stmt *stmt, int col, size_t *len);

/*
 * Wake-ups across processes.  Several kite processes may share one
 * PostgreSQL database; a write in one must wake what waits for it in the
 * others (an event stream) without each polling the store.
 *
 * db_notify queues a wake-up on channel (a fixed identifier, never user
 * input) inside the caller's write transaction; PostgreSQL delivers it to
 * every listener at COMMIT, and not at all when the transaction rolls back.
 * SQLite has no such thing, and one process owns the file: the store wakes
 * its own listeners when the commit that queued a wake-up is durable (a
 * write refused after queueing one may wake them for nothing; they look
 * and find nothing new).  Another process writing the same file (a CLI
 * command) wakes nobody: the caller's own poll finds its rows.
 *
 * db_listen opens a listener on channel: on PostgreSQL a connection of its
 * own; on SQLite one that the store's commits wake.  db_listener_wait waits
 * up to timeout_ms and returns true when a wake-up came - or when the
 * connection was lost and reopened, since a wake-up may have been missed
 * meanwhile: the caller then looks for itself.
 */
typedef struct db_listener db_listener;

kite_err db_notify(db_conn *conn, const char *channel) KITE_WUR;
db_listener *db_listen(db *store, const char *channel);
bool db_listener_wait(db_listener *listener, int timeout_ms);
/* Accepts NULL; returns NULL. */
db_listener *db_listener_close(db_listener *listener);

/* KITE_OK when the store answers a trivial query. */
kite_err db_ping(db *store) KITE_WUR;

/* Rows changed by the last write statement on this connection. */
int64_t db_changes(db_conn *conn);

#ifdef KITE_FAULT_INJECTION
/*
 * Fault injection, for tests only: compiled in only when the build is
 * configured with -Dfault_injection=true (tools/test.sh does); release
 * builds have none of this code, not even a disabled counter.
 *
 * A "step" is one time the store asks the engine to do work that can fail
 * on its own: each db_next (and so each row of db_exec) that reaches the
 * engine, plus the BEGIN and the COMMIT that db_write and db_read run
 * around a transaction.  Preparing is not a step (a statement that does not
 * compile aborts), nor is binding, resetting or reading a column.
 *
 * db_fault_arm(store, n, err) restarts the count of store's steps (all
 * threads' connections) and makes the nth step from now fail with err
 * (KITE_OK means KITE_ERR_STORE), once: the statement does nothing and
 * records err as if the engine had refused it, so the transaction rolls back
 * through the ordinary error path; a failed COMMIT rolls the transaction
 * back and db_write returns err.  n == 0 only counts.  db_fault_disarm
 * cancels a fault that has not fired; db_fault_steps is the count since the
 * last arm.  KITE_ERR_BUSY is retried by db_write like a real busy store.
 */
void db_fault_arm(db *store, int64_t n, kite_err err);
void db_fault_disarm(db *store);
int64_t db_fault_steps(db *store);

/*
 * The same for the calling thread alone (kite serve --test-fault-injection
 * arms one HTTP request this way): from db_fault_arm_thread on, only this
 * thread's steps (in any store) count, and the nth of them fails with err,
 * once.  Another thread's steps neither count nor fail, so concurrent
 * requests do not disturb each other.  n == 0 only counts.  A store-wide
 * fault armed at the same time still counts every step as before.
 * db_fault_disarm_thread stops counting and returns how many steps the
 * thread made since it was armed; *failed_step (may be NULL) is the step
 * that failed, 0 when none did.
 */
void db_fault_arm_thread(int64_t n, kite_err err);
int64_t db_fault_disarm_thread(int64_t *failed_step);
#endif

#endif
