/*
 * db.c - the store: one interface over two engines.
 *
 * SQLite (sqlite.c) is the embedded default: a file path.  PostgreSQL
 * (pg.c) is chosen by a connection URI, postgresql://... or postgres://...,
 * which may name several hosts (libpq tries them in order, and with
 * target_session_attrs=read-write it finds the primary after a failover).
 * What both share lives here: a connection per thread, the prepared
 * statement cache keyed by SQL text, the transaction loop and its bounded
 * retries, the migrations runner and the test-only fault hook.
 *
 * Writers: one at a time, on either engine.  Inside this process a mutex
 * (or, on SQLite, the group commit's turn) queues them; across processes
 * SQLite's file lock does it, and on PostgreSQL every write transaction
 * takes one transaction-scoped advisory lock before its first statement
 * (pg.c says why).  So every write runs exactly as it did on SQLite alone:
 * balances, limits, the audit chain and the order of events need no other
 * lock.
 *
 * Group commit (SQLite), its checkpoints and wake-ups at commit: writer.c.
 *
 * Retries: a transaction that meets KITE_ERR_BUSY (SQLite busy, a
 * PostgreSQL serialization failure or deadlock, a connection lost before
 * COMMIT was sent) is rolled back and run again from its start, at most
 * WRITE_ATTEMPTS times; then KITE_ERR_BUSY reaches the caller, which
 * answers 503.  A transaction function must therefore be safe to run again:
 * it keeps nothing between attempts except what it writes to its arena.
 *
 * Fault injection (db.h, test builds only): every step asks store_fault_step()
 * first, so a test can make any one of them fail the way the engine would
 * and prove that the error path loses and duplicates nothing.
 */
#include "db/db.h"

#include "core/alloc.h"
#include "core/log.h"
#include "db/store.h"

#include <pthread.h>
#ifdef KITE_FAULT_INJECTION
#include <inttypes.h>
#include <stdatomic.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef KITE_FAULT_INJECTION
void db_fault_arm(db *store, int64_t n, kite_err err)
{
    atomic_store(&store->fault_at, 0);
    atomic_store(&store->fault_err, (int)(err == KITE_OK ? KITE_ERR_STORE : err));
    atomic_store(&store->fault_steps, 0);
    atomic_store(&store->fault_at, n > 0 ? n : 0);
}

void db_fault_disarm(db *store)
{
    atomic_store(&store->fault_at, 0);
}

int64_t db_fault_steps(db *store)
{
    return atomic_load(&store->fault_steps);
}

/*
 * The calling thread's own fault (db_fault_arm_thread): one HTTP request runs
 * on one thread from its first store step to its answer, so counting on the
 * thread counts that request's steps and no one else's, whatever other
 * requests, the sweeper or the mailer do meanwhile.
 */
typedef struct fault_counter {
    bool counting;
    int64_t steps;
    int64_t at; /* 0: none (or fired) */
    int64_t failed; /* the step that failed; 0: none */
    kite_err err;
} fault_counter;
static _Thread_local fault_counter thread_fault;
/* While this thread runs another request's write (writer.c), that request's counter; else NULL. */
static _Thread_local fault_counter *borrowed_fault;

void *store_fault_current(void)
{
    return borrowed_fault != NULL ? borrowed_fault : &thread_fault;
}

void *store_fault_use(void *counter)
{
    fault_counter *before = borrowed_fault;
    borrowed_fault = counter == &thread_fault ? NULL : counter;
    return before;
}

void db_fault_arm_thread(int64_t n, kite_err err)
{
    thread_fault.counting = true;
    thread_fault.steps = 0;
    thread_fault.at = n > 0 ? n : 0;
    thread_fault.failed = 0;
    thread_fault.err = err == KITE_OK ? KITE_ERR_STORE : err;
}

int64_t db_fault_disarm_thread(int64_t *failed_step)
{
    int64_t steps = thread_fault.steps;
    if (failed_step != NULL)
        *failed_step = thread_fault.failed;
    thread_fault.counting = false;
    thread_fault.steps = 0;
    thread_fault.at = 0;
    thread_fault.failed = 0;
    return steps;
}

/* The thread's armed error when this is its armed step, else KITE_OK. */
static kite_err fault_step_thread(const char *what)
{
    fault_counter *c = store_fault_current();
    if (!c->counting)
        return KITE_OK;
    int64_t step = ++c->steps;
    if (c->at == 0 || step != c->at)
        return KITE_OK;
    c->at = 0;
    c->failed = step;
    log_error("store: injected fault %s at this request's step %" PRId64 " (in: %.120s)", kite_err_code(c->err), step,
              what);
    return c->err;
}

/* Counts one step (what: its SQL); the armed error when it is the armed step, else KITE_OK. */
kite_err store_fault_step(db *store, const char *what)
{
    kite_err thread_err = fault_step_thread(what);
    if (thread_err != KITE_OK)
        return thread_err;
    int64_t step = atomic_fetch_add(&store->fault_steps, 1) + 1;
    int64_t at = atomic_load(&store->fault_at);
    /* The exchange makes the fault fire once even if another thread races past the same count. */
    if (at == 0 || step != at || !atomic_compare_exchange_strong(&store->fault_at, &at, 0))
        return KITE_OK;
    kite_err err = (kite_err)atomic_load(&store->fault_err);
    log_error("store: injected fault %s at step %" PRId64 " (in: %.120s)", kite_err_code(err), step, what);
    return err;
}
#endif

static uint64_t sql_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void conn_close(db_conn *conn)
{
    for (size_t i = 0; i < conn->cache_cap; i++) {
        db_stmt *stmt = conn->cache[i];
        if (stmt != NULL) {
            conn->store->driver->finalize(stmt);
            free((char *)stmt->sql);
            free(stmt);
        }
    }
    free(conn->cache);
    conn->store->driver->close(conn);
    free(conn);
}

static void store_unlink(db *store, db_conn *conn)
{
    pthread_mutex_lock(&store->lock);
    if (conn->prev != NULL)
        conn->prev->next = conn->next;
    else
        store->conns = conn->next;
    if (conn->next != NULL)
        conn->next->prev = conn->prev;
    pthread_mutex_unlock(&store->lock);
}

static void thread_conn_destroy(void *value)
{
    db_conn *conn = value;
    store_unlink(conn->store, conn);
    conn_close(conn);
}

kite_err store_conn_open(db *store, db_conn **out)
{
    db_conn *conn = xcalloc(1, sizeof *conn);
    conn->store = store;
    kite_err err = store->driver->open(conn, store->target);
    if (err != KITE_OK) {
        free(conn);
        return err;
    }
    conn->cache_cap = CACHE_MIN;
    conn->cache = xcalloc(conn->cache_cap, sizeof *conn->cache);
    pthread_mutex_lock(&store->lock);
    conn->next = store->conns;
    if (store->conns != NULL)
        store->conns->prev = conn;
    store->conns = conn;
    pthread_mutex_unlock(&store->lock);
    *out = conn;
    return KITE_OK;
}

static kite_err thread_conn(db *store, db_conn **out)
{
    db_conn *conn = pthread_getspecific(store->thread_conn);
    if (conn == NULL) {
        kite_err err = store_conn_open(store, &conn);
        if (err != KITE_OK)
            return err;
        pthread_setspecific(store->thread_conn, conn);
    }
    *out = conn;
    return KITE_OK;
}

static kite_err tx_begin(db_conn *conn, db_tx_kind kind, bool last_attempt)
{
    kite_err err = store_fault_step(conn->store, kind == DB_TX_WRITE ? "BEGIN (write)" : "BEGIN (read)");
    if (err != KITE_OK)
        return err;
    return conn->store->driver->begin(conn, kind, last_attempt);
}

static kite_err tx_commit(db_conn *conn)
{
    kite_err err = store_fault_step(conn->store, "COMMIT");
    if (err != KITE_OK)
        return err;
    return conn->store->driver->commit(conn);
}

static kite_err run_tx(db *store, db_tx_kind kind, db_tx_fn fn, void *ctx)
{
    db_conn *conn;
    kite_err err = thread_conn(store, &conn);
    if (err != KITE_OK)
        return err;
    for (int attempt = 1;; attempt++) {
        err = tx_begin(conn, kind, attempt >= WRITE_ATTEMPTS);
        if (err == KITE_ERR_BUSY && attempt < WRITE_ATTEMPTS)
            continue;
        if (err != KITE_OK)
            return err;
        conn->wake_at_commit = false;
        err = fn(conn, ctx);
        if (err == KITE_OK && (err = tx_commit(conn)) == KITE_OK) {
            store_wake_after_commit(store, conn);
            return KITE_OK;
        }
        /* Refused, or the COMMIT failed: nothing of fn may stay, whichever step failed. */
        store->driver->rollback(conn);
        if (err != KITE_ERR_BUSY || attempt >= WRITE_ATTEMPTS)
            return err;
    }
}

/* Each migration in its own write transaction, so that servers starting together apply it once. */
static kite_err apply_migration(db_conn *conn, const migration *m)
{
    db_stmt *check = db_prepare(conn, "SELECT 1 FROM schema_migrations WHERE version = $1");
    db_bind_int(check, 1, m->version);
    bool applied = db_next(check);
    kite_err err = db_done(check);
    if (err != KITE_OK || applied)
        return err;
    if ((err = conn->store->driver->script(conn, m->sql)) != KITE_OK)
        return err;
    db_stmt *record = db_prepare(conn, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)");
    db_bind_int(record, 1, m->version);
    db_bind_text(record, 2, m->name);
    db_bind_int(record, 3, (int64_t)time(NULL) * 1000);
    if ((err = db_exec(record)) == KITE_OK)
        log_info("store: applied migration %d (%s)", m->version, m->name);
    return err;
}

struct migration_step {
    const db_driver *driver;
    size_t index; /* 0: the migrations table itself; n: driver->migrations[n - 1] */
};

static kite_err migration_step_tx(db_conn *conn, void *data)
{
    const struct migration_step *step = data;
    const db_driver *d = step->driver;
    return step->index == 0 ? d->script(conn, d->migrations_table) : apply_migration(conn, &d->migrations[step->index - 1]);
}

/* Through db_write: another process holding the writer lock (loading the directory) is waited for and retried. */
static kite_err store_migrate(db *store)
{
    kite_err err = KITE_OK;
    for (size_t i = 0; err == KITE_OK && i <= *store->driver->migration_count; i++) {
        struct migration_step step = {store->driver, i};
        err = db_write(store, migration_step_tx, &step);
    }
    return err;
}

static bool is_postgresql_uri(const char *target)
{
    return strncmp(target, "postgresql://", 13) == 0 || strncmp(target, "postgres://", 11) == 0;
}

kite_err db_open(const char *target, db **out)
{
    db *store = xcalloc(1, sizeof *store);
    store->target = xstrdup(target);
    store->dialect = is_postgresql_uri(target) ? DB_POSTGRESQL : DB_SQLITE;
    store->driver = store->dialect == DB_POSTGRESQL ? &db_pg_driver : &db_sqlite_driver;
    pthread_mutex_init(&store->lock, NULL);
    pthread_mutex_init(&store->write_lock, NULL);
    pthread_mutex_init(&store->group.lock, NULL);
    pthread_cond_init(&store->group.sync_ended, NULL);
    pthread_cond_init(&store->group.leader_wake, NULL);
    pthread_mutex_init(&store->checkpoints.lock, NULL);
    pthread_cond_init(&store->checkpoints.wake, NULL);
    pthread_mutex_init(&store->wakeups.lock, NULL);
    pthread_cond_init(&store->wakeups.changed, NULL);
    if (pthread_key_create(&store->thread_conn, thread_conn_destroy) != 0) {
        pthread_mutex_destroy(&store->lock);
        pthread_mutex_destroy(&store->write_lock);
        pthread_mutex_destroy(&store->group.lock);
        pthread_cond_destroy(&store->group.sync_ended);
        pthread_cond_destroy(&store->group.leader_wake);
        pthread_mutex_destroy(&store->checkpoints.lock);
        pthread_cond_destroy(&store->checkpoints.wake);
        pthread_mutex_destroy(&store->wakeups.lock);
        pthread_cond_destroy(&store->wakeups.changed);
        free(store->target);
        free(store);
        return KITE_ERR_INTERNAL;
    }
    kite_err err = store_migrate(store);
    if (err != KITE_OK) {
        db_close(store);
        return err;
    }
    *out = store;
    return KITE_OK;
}

db *db_close(db *store)
{
    if (store == NULL)
        return NULL;
    store_checkpointer_stop(store);
    /* Threads still alive (the caller's, at least) keep their key value; close all here. */
    pthread_setspecific(store->thread_conn, NULL);
    pthread_mutex_lock(&store->lock);
    db_conn *conn = store->conns;
    store->conns = NULL;
    pthread_mutex_unlock(&store->lock);
    while (conn != NULL) {
        db_conn *next = conn->next;
        conn_close(conn);
        conn = next;
    }
    pthread_key_delete(store->thread_conn);
    pthread_mutex_destroy(&store->lock);
    pthread_mutex_destroy(&store->write_lock);
    pthread_mutex_destroy(&store->group.lock);
    pthread_cond_destroy(&store->group.sync_ended);
    pthread_cond_destroy(&store->group.leader_wake);
    pthread_mutex_destroy(&store->checkpoints.lock);
    pthread_cond_destroy(&store->checkpoints.wake);
    pthread_mutex_destroy(&store->wakeups.lock);
    pthread_cond_destroy(&store->wakeups.changed);
    free(store->target);
    free(store);
    return NULL;
}

db_dialect db_dialect_of(const db *store)
{
    return store->dialect;
}

db_dialect db_conn_dialect(const db_conn *conn)
{
    return conn->store->dialect;
}

kite_err db_write(db *store, db_tx_fn fn, void *ctx)
{
    if (store->driver->group_commit)
        return store_group_write(store, fn, ctx);
    pthread_mutex_lock(&store->write_lock);
    kite_err err = run_tx(store, DB_TX_WRITE, fn, ctx);
    pthread_mutex_unlock(&store->write_lock);
    return err;
}

kite_err db_read(db *store, db_tx_fn fn, void *ctx)
{
    return run_tx(store, DB_TX_READ, fn, ctx);
}

static void cache_grow(db_conn *conn)
{
    size_t old_cap = conn->cache_cap;
    db_stmt **old = conn->cache;
    conn->cache_cap = old_cap * 2;
    conn->cache = xcalloc(conn->cache_cap, sizeof *conn->cache);
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i] == NULL)
            continue;
        size_t slot = sql_hash(old[i]->sql) & (conn->cache_cap - 1);
        while (conn->cache[slot] != NULL)
            slot = (slot + 1) & (conn->cache_cap - 1);
        conn->cache[slot] = old[i];
    }
    free(old);
}

db_stmt *db_prepare(db_conn *conn, const char *sql)
{
    size_t slot = sql_hash(sql) & (conn->cache_cap - 1);
    while (conn->cache[slot] != NULL) {
        db_stmt *stmt = conn->cache[slot];
        if (stmt->sql == sql || strcmp(stmt->sql, sql) == 0) {
            conn->store->driver->reset(stmt);
            stmt->err = KITE_OK;
            return stmt;
        }
        slot = (slot + 1) & (conn->cache_cap - 1);
    }
    db_stmt *stmt = xcalloc(1, sizeof *stmt);
    stmt->conn = conn;
    stmt->sql = xstrdup(sql);
    conn->store->driver->prepare(stmt);
    conn->cache[slot] = stmt;
    if (++conn->cache_len * 2 > conn->cache_cap)
        cache_grow(conn);
    return stmt;
}

static void bind_check(db_stmt *stmt, kite_err err)
{
    if (err != KITE_OK && stmt->err == KITE_OK)
        stmt->err = err;
}

void db_bind_int(db_stmt *stmt, int n, int64_t value)
{
    bind_check(stmt, stmt->conn->store->driver->bind_int(stmt, n, value));
}

void db_bind_text(db_stmt *stmt, int n, const char *value)
{
    const db_driver *d = stmt->conn->store->driver;
    bind_check(stmt, value == NULL ? d->bind_null(stmt, n) : d->bind_text(stmt, n, value));
}

void db_bind_blob(db_stmt *stmt, int n, const void *data, size_t len)
{
    bind_check(stmt, stmt->conn->store->driver->bind_blob(stmt, n, data, len));
}

void db_bind_null(db_stmt *stmt, int n)
{
    bind_check(stmt, stmt->conn->store->driver->bind_null(stmt, n));
}

bool db_next(db_stmt *stmt)
{
    if (stmt->err != KITE_OK)
        return false;
    kite_err fault = store_fault_step(stmt->conn->store, stmt->sql);
    if (fault != KITE_OK) {
        stmt->err = fault; /* as a statement the engine refused: it did nothing, db_done reports it */
        return false;
    }
    bool row = false;
    stmt->err = stmt->conn->store->driver->step(stmt, &row);
    return stmt->err == KITE_OK && row;
}

kite_err db_done(db_stmt *stmt)
{
    kite_err err = stmt->err;
    stmt->conn->store->driver->reset(stmt);
    stmt->err = KITE_OK;
    return err;
}

kite_err db_exec(db_stmt *stmt)
{
    while (db_next(stmt))
        ;
    return db_done(stmt);
}

int db_column_count(db_stmt *stmt)
{
    return stmt->conn->store->driver->column_count(stmt);
}

db_type db_column_type(db_stmt *stmt, int col)
{
    return stmt->conn->store->driver->column_type(stmt, col);
}

int64_t db_int(db_stmt *stmt, int col)
{
    return stmt->conn->store->driver->column_int(stmt, col);
}

bool db_is_null(db_stmt *stmt, int col)
{
    return stmt->conn->store->driver->column_is_null(stmt, col);
}

const char *db_text(db_stmt *stmt, int col)
{
    return stmt->conn->store->driver->column_text(stmt, col);
}

const void *db_blob(db_stmt *stmt, int col, size_t *len)
{
    return stmt->conn->store->driver->column_blob(stmt, col, len);
}

int64_t db_changes(db_conn *conn)
{
    return conn->store->driver->changes(conn);
}

static kite_err ping_tx(db_conn *conn, void *data)
{
    (void)data;
    return db_exec(db_prepare(conn, "SELECT 1"));
}

kite_err db_ping(db *store)
{
    return db_read(store, ping_tx, NULL);
}
