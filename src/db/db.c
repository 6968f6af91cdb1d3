/*
 * db.c - the SQLite store.
 *
 * Durability: WAL with synchronous=FULL, so a write that was acknowledged
 * survives a crash or kill -9.  Busy handling: a connection waits up to
 * BUSY_TIMEOUT_MS for a lock; write transactions start with BEGIN IMMEDIATE
 * (so they never fail half-way on an upgrade from reader to writer) and are
 * retried a few times when the lock still cannot be had.
 *
 * Fault injection (db.h, test builds only): every step asks fault_step()
 * first, so a test can make any one of them fail the way SQLite would and
 * prove that the error path loses and duplicates nothing.
 */
#include "db/db.h"

#include "core/alloc.h"
#include "core/log.h"
#include "db/migrations.h"

#include <pthread.h>
#include <sqlite3.h>
#ifdef KITE_FAULT_INJECTION
#include <inttypes.h>
#include <stdatomic.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { BUSY_TIMEOUT_MS = 10000, WRITE_ATTEMPTS = 5, CACHE_MIN = 64 };

struct db_stmt {
    sqlite3_stmt *handle;
    db_conn *conn;
    const char *sql; /* owned copy, also the cache key */
    kite_err err;
};

struct db_conn {
    sqlite3 *handle;
    db *store;
    db_stmt **cache; /* open addressing on the hash of the SQL text */
    size_t cache_cap;
    size_t cache_len;
    db_conn *next; /* in store->conns */
    db_conn *prev;
};

struct db {
    char *path;
    pthread_key_t thread_conn;
    pthread_mutex_t lock; /* guards conns */
    db_conn *conns;
    /*
     * One writer at a time inside this process.  SQLite would serialise
     * writers anyway, but by sleeping and polling, which lets an unlucky
     * writer starve for seconds; a mutex queues them instead.  Other
     * processes on the same file still meet the busy timeout.
     */
    pthread_mutex_t write_lock;
#ifdef KITE_FAULT_INJECTION
    /* Per store, not global: two stores in one test never disturb each other. Atomic: every thread counts. */
    _Atomic int64_t fault_steps; /* steps since the last db_fault_arm */
    _Atomic int64_t fault_at;    /* the step that fails; 0: none */
    _Atomic int fault_err;       /* a kite_err */
#endif
};

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
static _Thread_local struct {
    bool counting;
    int64_t steps;
    int64_t at; /* 0: none (or fired) */
    int64_t failed; /* the step that failed; 0: none */
    kite_err err;
} thread_fault;

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
    if (!thread_fault.counting)
        return KITE_OK;
    int64_t step = ++thread_fault.steps;
    if (thread_fault.at == 0 || step != thread_fault.at)
        return KITE_OK;
    thread_fault.at = 0;
    thread_fault.failed = step;
    log_error("store: injected fault %s at this request's step %" PRId64 " (in: %.120s)",
              kite_err_code(thread_fault.err), step, what);
    return thread_fault.err;
}

/* Counts one step (what: its SQL); the armed error when it is the armed step, else KITE_OK. */
static kite_err fault_step(db *store, const char *what)
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
#else
/* Release builds inject nothing: every step goes ahead, and the compiler drops the call. */
static inline kite_err fault_step(db *store, const char *what)
{
    (void)store;
    (void)what;
    return KITE_OK;
}
#endif

static uint64_t sql_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static kite_err conn_exec_script(sqlite3 *handle, const char *sql)
{
    char *message = NULL;
    if (sqlite3_exec(handle, sql, NULL, NULL, &message) != SQLITE_OK) {
        log_error("store: %s", message ? message : sqlite3_errmsg(handle));
        sqlite3_free(message);
        return KITE_ERR_STORE;
    }
    return KITE_OK;
}

static void conn_close(db_conn *conn)
{
    for (size_t i = 0; i < conn->cache_cap; i++) {
        db_stmt *stmt = conn->cache[i];
        if (stmt != NULL) {
            sqlite3_finalize(stmt->handle);
            free((char *)stmt->sql);
            free(stmt);
        }
    }
    free(conn->cache);
    sqlite3_close(conn->handle);
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

static kite_err conn_open(db *store, db_conn **out)
{
    sqlite3 *handle = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(store->path, &handle, flags, NULL) != SQLITE_OK) {
        log_error("store: cannot open %s: %s", store->path, handle ? sqlite3_errmsg(handle) : "out of memory");
        sqlite3_close(handle);
        return KITE_ERR_STORE;
    }
    sqlite3_busy_timeout(handle, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(handle, 1);
    kite_err err = conn_exec_script(handle,
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
        "PRAGMA temp_store=MEMORY;");
    if (err != KITE_OK) {
        sqlite3_close(handle);
        return err;
    }
    db_conn *conn = xcalloc(1, sizeof *conn);
    conn->handle = handle;
    conn->store = store;
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
        kite_err err = conn_open(store, &conn);
        if (err != KITE_OK)
            return err;
        pthread_setspecific(store->thread_conn, conn);
    }
    *out = conn;
    return KITE_OK;
}

static kite_err store_migrate(db *store)
{
    db_conn *conn;
    kite_err err = thread_conn(store, &conn);
    if (err != KITE_OK)
        return err;
    err = conn_exec_script(conn->handle,
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
    for (size_t i = 0; err == KITE_OK && i < kite_migration_count; i++) {
        const migration *m = &kite_migrations[i];
        err = conn_exec_script(conn->handle, "BEGIN IMMEDIATE");
        if (err != KITE_OK)
            break;
        db_stmt *check = db_prepare(conn, "SELECT 1 FROM schema_migrations WHERE version = $1");
        db_bind_int(check, 1, m->version);
        bool applied = db_next(check);
        err = db_done(check);
        if (err == KITE_OK && !applied) {
            err = conn_exec_script(conn->handle, m->sql);
            if (err == KITE_OK) {
                db_stmt *record = db_prepare(conn,
                    "INSERT INTO schema_migrations (version, name, applied_at)"
                    " VALUES ($1, $2, CAST(strftime('%s','now') AS INTEGER) * 1000)");
                db_bind_int(record, 1, m->version);
                db_bind_text(record, 2, m->name);
                err = db_exec(record);
            }
            if (err == KITE_OK)
                log_info("store: applied migration %d (%s)", m->version, m->name);
        }
        kite_err end = conn_exec_script(conn->handle, err == KITE_OK ? "COMMIT" : "ROLLBACK");
        if (err == KITE_OK)
            err = end;
    }
    return err;
}

kite_err db_open(const char *path, db **out)
{
    db *store = xcalloc(1, sizeof *store);
    store->path = xstrdup(path);
    pthread_mutex_init(&store->lock, NULL);
    pthread_mutex_init(&store->write_lock, NULL);
    if (pthread_key_create(&store->thread_conn, thread_conn_destroy) != 0) {
        pthread_mutex_destroy(&store->lock);
        pthread_mutex_destroy(&store->write_lock);
        free(store->path);
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
    free(store->path);
    free(store);
    return NULL;
}

static bool is_busy(int rc)
{
    return (rc & 0xFF) == SQLITE_BUSY || (rc & 0xFF) == SQLITE_LOCKED;
}

/* BEGIN or BEGIN IMMEDIATE; a busy store is logged only on the last attempt (the caller retries). */
static kite_err tx_begin(db_conn *conn, const char *begin, bool last_attempt)
{
    kite_err err = fault_step(conn->store, begin);
    if (err != KITE_OK)
        return err;
    int rc = sqlite3_exec(conn->handle, begin, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return KITE_OK;
    if (!is_busy(rc) || last_attempt)
        log_error("store: %s failed: %s", begin, sqlite3_errmsg(conn->handle));
    return is_busy(rc) ? KITE_ERR_BUSY : KITE_ERR_STORE;
}

/* COMMIT; on failure the transaction may still be open: the caller rolls it back. */
static kite_err tx_commit(db_conn *conn)
{
    kite_err err = fault_step(conn->store, "COMMIT");
    if (err != KITE_OK)
        return err;
    int rc = sqlite3_exec(conn->handle, "COMMIT", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return KITE_OK;
    log_error("store: commit failed: %s", sqlite3_errmsg(conn->handle));
    return is_busy(rc) ? KITE_ERR_BUSY : KITE_ERR_STORE;
}

static kite_err run_tx(db *store, const char *begin, db_tx_fn fn, void *ctx)
{
    db_conn *conn;
    kite_err err = thread_conn(store, &conn);
    if (err != KITE_OK)
        return err;
    for (int attempt = 1;; attempt++) {
        err = tx_begin(conn, begin, attempt >= WRITE_ATTEMPTS);
        if (err == KITE_ERR_BUSY && attempt < WRITE_ATTEMPTS)
            continue;
        if (err != KITE_OK)
            return err;
        err = fn(conn, ctx);
        if (err == KITE_OK && (err = tx_commit(conn)) == KITE_OK)
            return KITE_OK;
        /* Refused, or the COMMIT failed: nothing of fn may stay, whichever step failed. */
        if (sqlite3_get_autocommit(conn->handle) == 0)
            sqlite3_exec(conn->handle, "ROLLBACK", NULL, NULL, NULL);
        if (err != KITE_ERR_BUSY || attempt >= WRITE_ATTEMPTS)
            return err;
    }
}

kite_err db_write(db *store, db_tx_fn fn, void *ctx)
{
    pthread_mutex_lock(&store->write_lock);
    kite_err err = run_tx(store, "BEGIN IMMEDIATE", fn, ctx);
    pthread_mutex_unlock(&store->write_lock);
    return err;
}

kite_err db_read(db *store, db_tx_fn fn, void *ctx)
{
    return run_tx(store, "BEGIN", fn, ctx);
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
            sqlite3_reset(stmt->handle);
            sqlite3_clear_bindings(stmt->handle);
            stmt->err = KITE_OK;
            return stmt;
        }
        slot = (slot + 1) & (conn->cache_cap - 1);
    }
    sqlite3_stmt *handle = NULL;
    if (sqlite3_prepare_v3(conn->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &handle, NULL) != SQLITE_OK) {
        fprintf(stderr, "kite: SQL does not compile: %s\n  %s\n", sqlite3_errmsg(conn->handle), sql);
        abort();
    }
    db_stmt *stmt = xcalloc(1, sizeof *stmt);
    stmt->handle = handle;
    stmt->conn = conn;
    stmt->sql = xstrdup(sql);
    conn->cache[slot] = stmt;
    if (++conn->cache_len * 2 > conn->cache_cap)
        cache_grow(conn);
    return stmt;
}

static int param_index(db_stmt *stmt, int n)
{
    char name[16];
    snprintf(name, sizeof name, "$%d", n);
    int index = sqlite3_bind_parameter_index(stmt->handle, name);
    if (index == 0) {
        fprintf(stderr, "kite: SQL has no parameter %s: %s\n", name, stmt->sql);
        abort();
    }
    return index;
}

static void bind_check(db_stmt *stmt, int rc)
{
    if (rc != SQLITE_OK && stmt->err == KITE_OK) {
        log_error("store: bind failed: %s", sqlite3_errmsg(stmt->conn->handle));
        stmt->err = KITE_ERR_STORE;
    }
}

void db_bind_int(db_stmt *stmt, int n, int64_t value)
{
    bind_check(stmt, sqlite3_bind_int64(stmt->handle, param_index(stmt, n), value));
}

void db_bind_text(db_stmt *stmt, int n, const char *value)
{
    int index = param_index(stmt, n);
    bind_check(stmt, value == NULL ? sqlite3_bind_null(stmt->handle, index)
                                   : sqlite3_bind_text(stmt->handle, index, value, -1, SQLITE_TRANSIENT));
}

void db_bind_blob(db_stmt *stmt, int n, const void *data, size_t len)
{
    bind_check(stmt, sqlite3_bind_blob64(stmt->handle, param_index(stmt, n), data, len, SQLITE_TRANSIENT));
}

void db_bind_null(db_stmt *stmt, int n)
{
    bind_check(stmt, sqlite3_bind_null(stmt->handle, param_index(stmt, n)));
}

bool db_next(db_stmt *stmt)
{
    if (stmt->err != KITE_OK)
        return false;
    kite_err fault = fault_step(stmt->conn->store, stmt->sql);
    if (fault != KITE_OK) {
        stmt->err = fault; /* as a statement SQLite refused: it did nothing, db_done reports it */
        return false;
    }
    int rc = sqlite3_step(stmt->handle);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    if ((rc & 0xFF) == SQLITE_CONSTRAINT) {
        stmt->err = KITE_ERR_CONFLICT;
    } else if (is_busy(rc)) {
        stmt->err = KITE_ERR_BUSY;
    } else {
        log_error("store: %s (in: %.120s)", sqlite3_errmsg(stmt->conn->handle), stmt->sql);
        stmt->err = KITE_ERR_STORE;
    }
    return false;
}

kite_err db_done(db_stmt *stmt)
{
    kite_err err = stmt->err;
    sqlite3_reset(stmt->handle);
    sqlite3_clear_bindings(stmt->handle);
    stmt->err = KITE_OK;
    return err;
}

kite_err db_exec(db_stmt *stmt)
{
    while (db_next(stmt))
        ;
    return db_done(stmt);
}

int64_t db_int(db_stmt *stmt, int col)
{
    return sqlite3_column_int64(stmt->handle, col);
}

bool db_is_null(db_stmt *stmt, int col)
{
    return sqlite3_column_type(stmt->handle, col) == SQLITE_NULL;
}

const char *db_text(db_stmt *stmt, int col)
{
    return (const char *)sqlite3_column_text(stmt->handle, col);
}

const void *db_blob(db_stmt *stmt, int col, size_t *len)
{
    const void *data = sqlite3_column_blob(stmt->handle, col);
    *len = (size_t)sqlite3_column_bytes(stmt->handle, col);
    return data;
}

int64_t db_changes(db_conn *conn)
{
    return sqlite3_changes64(conn->handle);
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
