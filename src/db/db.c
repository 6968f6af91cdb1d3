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
 * Group commit (SQLite): a durable COMMIT costs an fsync, far more than the
 * statements of one request, so writers share it.  Every write runs on one
 * writer connection, one at a time as before, each inside its own
 * SAVEPOINT of a transaction that stays open while more writers queue:
 * the first writer of a batch runs BEGIN IMMEDIATE, each writer runs its
 * function on its own thread (so its thread's state, the test-only fault
 * counter included, stays its own) and releases its savepoint, or rolls
 * back to it when its function refuses, undoing its own work and nobody
 * else's.  The writer that finds no one queued behind it (or the batch
 * full: GROUP_MAX_WRITES, or GROUP_MAX_MS old) commits for everyone, and
 * every writer of the batch returns only after that COMMIT is durable
 * (synchronous=FULL): the promise of an acknowledged write is unchanged.
 * A COMMIT that fails fails the whole batch; each writer then runs again
 * from its start (busy) or returns the error, as a lone writer would.  The
 * batch is as large as the number of writers waiting, so under light load
 * it is one writer and one commit, exactly as before.
 *
 * Retries: a transaction that meets KITE_ERR_BUSY (SQLite busy, a
 * PostgreSQL serialization failure or deadlock, a connection lost before
 * COMMIT was sent) is rolled back and run again from its start, at most
 * WRITE_ATTEMPTS times; then KITE_ERR_BUSY reaches the caller, which
 * answers 503.  A transaction function must therefore be safe to run again:
 * it keeps nothing between attempts except what it writes to its arena.
 *
 * Fault injection (db.h, test builds only): every step asks fault_step()
 * first, so a test can make any one of them fail the way the engine would
 * and prove that the error path loses and duplicates nothing.
 */
#include "db/db.h"

#include "core/alloc.h"
#include "core/log.h"
#include "db/driver.h"

#include <pthread.h>
#ifdef KITE_FAULT_INJECTION
#include <inttypes.h>
#include <stdatomic.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* CHECKPOINT_PAGES: SQLite's own default threshold (wal_autocheckpoint), now reached off the writers' path. */
enum { WRITE_ATTEMPTS = 8, CACHE_MIN = 64, GROUP_MAX_WRITES = 64, GROUP_MAX_MS = 8, CHECKPOINT_PAGES = 1000 };

/* The thread that copies the write-ahead log back into the database (driver.h: checkpoint). */
typedef struct checkpointer {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool started, wanted, stopping;
    int64_t runs;
} checkpointer;

/* One shared transaction of the group commit; freed when it has ended and the last of its writers has left. */
typedef struct write_batch {
    bool ended;
    kite_err err; /* the COMMIT's outcome, once ended */
    int refs; /* its writers still to leave, plus one while it is open */
} write_batch;

/* The group commit's state, under its own mutex (see the file comment). */
typedef struct group_commit {
    pthread_mutex_t lock;
    pthread_cond_t turn;  /* the writer connection is free */
    pthread_cond_t ended; /* a batch ended */
    db_conn *conn;        /* the writer connection; opened on first use */
    bool busy;            /* a writer is using conn (its function, BEGIN or COMMIT) */
    int queued;           /* writers waiting for their turn */
    write_batch *open;    /* the batch whose transaction is open on conn, or NULL */
    int open_writes;      /* writers that joined it */
    int64_t open_since;   /* when it began, monotonic ms */
    db_group_stats stats;
} group_commit;

struct db {
    char *target;
    const db_driver *driver;
    db_dialect dialect;
    pthread_key_t thread_conn;
    pthread_mutex_t lock; /* guards conns */
    db_conn *conns;
    /*
     * One writer at a time inside this process.  The engine would serialise
     * writers anyway, but SQLite by sleeping and polling, which lets an
     * unlucky writer starve for seconds; a mutex queues them instead.
     */
    pthread_mutex_t write_lock;
    group_commit group; /* when the driver shares commits */
    checkpointer checkpoints;
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

static kite_err conn_open(db *store, db_conn **out)
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
        kite_err err = conn_open(store, &conn);
        if (err != KITE_OK)
            return err;
        pthread_setspecific(store->thread_conn, conn);
    }
    *out = conn;
    return KITE_OK;
}

static kite_err tx_begin(db_conn *conn, db_tx_kind kind, bool last_attempt)
{
    kite_err err = fault_step(conn->store, kind == DB_TX_WRITE ? "BEGIN (write)" : "BEGIN (read)");
    if (err != KITE_OK)
        return err;
    return conn->store->driver->begin(conn, kind, last_attempt);
}

static kite_err tx_commit(db_conn *conn)
{
    kite_err err = fault_step(conn->store, "COMMIT");
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
        err = fn(conn, ctx);
        if (err == KITE_OK && (err = tx_commit(conn)) == KITE_OK)
            return KITE_OK;
        /* Refused, or the COMMIT failed: nothing of fn may stay, whichever step failed. */
        store->driver->rollback(conn);
        if (err != KITE_ERR_BUSY || attempt >= WRITE_ATTEMPTS)
            return err;
    }
}

/* ---- checkpoints off the writers' path (sqlite.c says why) ---- */

static void *checkpointer_main(void *data)
{
    db *store = data;
    checkpointer *c = &store->checkpoints;
    db_conn *conn = NULL;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->wanted && !c->stopping)
            pthread_cond_wait(&c->wake, &c->lock);
        if (c->stopping)
            break;
        c->wanted = false;
        pthread_mutex_unlock(&c->lock);
        if (conn != NULL || conn_open(store, &conn) == KITE_OK)
            store->driver->checkpoint(conn);
        pthread_mutex_lock(&c->lock);
        c->runs++;
    }
    pthread_mutex_unlock(&c->lock);
    return NULL; /* its connection is in store->conns: db_close closes it */
}

/* After a commit: a log past the threshold wakes the checkpointer, started on first need. */
static void checkpoint_if_due(db *store, db_conn *writer)
{
    if (store->driver->checkpoint == NULL || writer->log_pages < CHECKPOINT_PAGES)
        return;
    checkpointer *c = &store->checkpoints;
    pthread_mutex_lock(&c->lock);
    if (!c->started && !c->stopping)
        c->started = pthread_create(&c->thread, NULL, checkpointer_main, store) == 0;
    if (!c->started) /* no thread to be had: checkpoint here, late rather than never */
        store->driver->checkpoint(writer);
    c->wanted = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
}

static void checkpointer_stop(db *store)
{
    checkpointer *c = &store->checkpoints;
    pthread_mutex_lock(&c->lock);
    c->stopping = true;
    bool started = c->started;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    if (started)
        pthread_join(c->thread, NULL);
}

/* ---- group commit (SQLite; the file comment says why) ---- */

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A savepoint statement: cached like any other, never counted as a fault step (it is not the request's). */
static kite_err savepoint_exec(db_conn *conn, const char *sql)
{
    db_stmt *stmt = db_prepare(conn, sql);
    bool row = false;
    kite_err err = conn->store->driver->step(stmt, &row);
    conn->store->driver->reset(stmt);
    return err;
}

/* Drops one hold on b (a writer's, or the open batch's own) (under g->lock); the last one frees it. */
static void batch_leave(write_batch *b)
{
    if (--b->refs == 0)
        free(b);
}

/* Ends the open batch with err (under g->lock): its writers wake and read it. */
static void batch_end(group_commit *g, kite_err err)
{
    write_batch *b = g->open;
    g->open = NULL;
    g->open_writes = 0;
    b->ended = true;
    b->err = err;
    pthread_cond_broadcast(&g->ended);
    batch_leave(b);
}

/* Commits the open batch and ends it (under g->lock, which the COMMIT itself runs without). */
static void batch_commit(db *store)
{
    group_commit *g = &store->group;
    int writes = g->open_writes;
    pthread_mutex_unlock(&g->lock);
    kite_err err = store->driver->commit(g->conn);
    if (err != KITE_OK)
        store->driver->rollback(g->conn);
    if (err == KITE_OK)
        checkpoint_if_due(store, g->conn);
    pthread_mutex_lock(&g->lock);
    g->stats.commits++;
    if (writes > g->stats.largest)
        g->stats.largest = writes;
    if (err != KITE_OK && writes > 1) {
        g->stats.failed_commits++;
        log_error("store: the shared COMMIT of %d writes failed (%s); each runs again in a transaction of its own",
                  writes, kite_err_code(err));
    }
    batch_end(g, err);
}

/*
 * Waits for the writer connection, opening a batch when none is open (the
 * caller then holds the turn and has joined *batch).  Alone: the caller
 * must not share its transaction (its last shared COMMIT failed), so an
 * open batch is committed first and its own is committed by group_leave
 * before anyone else may join.  KITE_ERR_BUSY when BEGIN met another
 * process's lock: the caller tries again.
 */
static kite_err group_join(db *store, bool alone, bool last_attempt, write_batch **batch)
{
    group_commit *g = &store->group;
    pthread_mutex_lock(&g->lock);
    g->queued++;
    while (g->busy)
        pthread_cond_wait(&g->turn, &g->lock);
    g->queued--;
    g->busy = true;
    kite_err err = KITE_OK;
    if (g->conn == NULL)
        err = conn_open(store, &g->conn);
    if (err == KITE_OK && alone && g->open != NULL)
        batch_commit(store);
    if (err == KITE_OK && g->open == NULL) {
        pthread_mutex_unlock(&g->lock);
        err = store->driver->begin(g->conn, DB_TX_WRITE, last_attempt);
        pthread_mutex_lock(&g->lock);
        if (err == KITE_OK) {
            g->open = xcalloc(1, sizeof *g->open);
            g->open->refs = 1;
            g->open_since = monotonic_ms();
        }
    }
    if (err != KITE_OK) {
        g->busy = false;
        pthread_cond_signal(&g->turn);
        pthread_mutex_unlock(&g->lock);
        return err;
    }
    g->open->refs++;
    g->open_writes++;
    g->stats.writes++;
    *batch = g->open;
    pthread_mutex_unlock(&g->lock);
    return KITE_OK;
}

/*
 * One writer's function in its own savepoint of the open batch (the caller
 * holds the turn).  Its own BEGIN and COMMIT are still steps of its own for
 * the fault hook, so a request counts the same steps as a lone writer's.
 */
static kite_err group_run(db_conn *conn, db_tx_fn fn, void *ctx, bool *spoiled)
{
    *spoiled = false;
    kite_err err = fault_step(conn->store, "BEGIN (write)");
    if (err != KITE_OK)
        return err;
    if ((err = savepoint_exec(conn, "SAVEPOINT kite_write")) != KITE_OK) {
        *spoiled = true; /* unknown state: the batch is rolled back whole and runs again */
        return err;
    }
    err = fn(conn, ctx);
    if (err == KITE_OK)
        err = fault_step(conn->store, "COMMIT");
    if (err == KITE_OK && (err = savepoint_exec(conn, "RELEASE SAVEPOINT kite_write")) == KITE_OK)
        return KITE_OK;
    /* Refused: undo this writer's work only.  (If the engine ended the transaction itself, group_leave sees it.) */
    if (conn->store->driver->in_tx(conn) && (savepoint_exec(conn, "ROLLBACK TO SAVEPOINT kite_write") != KITE_OK ||
                                             savepoint_exec(conn, "RELEASE SAVEPOINT kite_write") != KITE_OK))
        *spoiled = true;
    return err;
}

/*
 * Gives up the turn after this writer's function ran: commits the batch
 * when nobody is queued behind (or it is full or old, or the writer runs
 * alone), then, when wait, waits for the batch to end.  Returns the
 * batch's outcome (KITE_OK when not waited for).
 */
static kite_err group_leave(db *store, write_batch *b, bool alone, bool spoiled, bool wait)
{
    group_commit *g = &store->group;
    pthread_mutex_lock(&g->lock);
    if (g->open == b && (spoiled || !store->driver->in_tx(g->conn))) {
        /* The engine ended the transaction, or a savepoint failed: nothing of the batch stays; all run again. */
        log_error("store: a write transaction was %s; its %d writes run again",
                  spoiled ? "left in doubt by a failed savepoint" : "ended by the engine", g->open_writes);
        store->driver->rollback(g->conn);
        batch_end(g, KITE_ERR_BUSY);
    } else if (g->open == b && (alone || g->queued == 0 || g->open_writes >= GROUP_MAX_WRITES ||
                                monotonic_ms() - g->open_since >= GROUP_MAX_MS)) {
        batch_commit(store);
    }
    g->busy = false;
    pthread_cond_signal(&g->turn);
    while (wait && !b->ended)
        pthread_cond_wait(&g->ended, &g->lock);
    kite_err err = b->ended ? b->err : KITE_OK;
    batch_leave(b);
    pthread_mutex_unlock(&g->lock);
    return err;
}

static kite_err group_write(db *store, db_tx_fn fn, void *ctx)
{
    bool alone = false;
    for (int attempt = 1;; attempt++) {
        write_batch *b;
        kite_err err = group_join(store, alone, attempt >= WRITE_ATTEMPTS, &b);
        if (err == KITE_ERR_BUSY && attempt < WRITE_ATTEMPTS)
            continue;
        if (err != KITE_OK)
            return err;
        bool spoiled;
        kite_err own = group_run(store->group.conn, fn, ctx, &spoiled);
        /* A refused writer has undone its work: its answer does not wait for the others' commit. */
        kite_err shared = group_leave(store, b, alone, spoiled, own == KITE_OK);
        if (own != KITE_OK) {
            if (own != KITE_ERR_BUSY || attempt >= WRITE_ATTEMPTS)
                return own;
            continue;
        }
        if (shared == KITE_OK)
            return KITE_OK;
        /*
         * The shared COMMIT failed: whose write made it fail cannot be told,
         * so this one runs again in a transaction of its own, where only its
         * own outcome counts.  Failing alone too, it is answered like a lone
         * writer: again when busy, else the error.
         */
        if (!alone) {
            alone = true;
            continue;
        }
        if (shared != KITE_ERR_BUSY || attempt >= WRITE_ATTEMPTS)
            return shared;
    }
}

db_group_stats db_write_stats(db *store)
{
    pthread_mutex_lock(&store->group.lock);
    db_group_stats stats = store->group.stats;
    stats.queued = store->group.queued;
    pthread_mutex_unlock(&store->group.lock);
    return stats;
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
    pthread_cond_init(&store->group.turn, NULL);
    pthread_cond_init(&store->group.ended, NULL);
    pthread_mutex_init(&store->checkpoints.lock, NULL);
    pthread_cond_init(&store->checkpoints.wake, NULL);
    if (pthread_key_create(&store->thread_conn, thread_conn_destroy) != 0) {
        pthread_mutex_destroy(&store->lock);
        pthread_mutex_destroy(&store->write_lock);
        pthread_mutex_destroy(&store->group.lock);
        pthread_cond_destroy(&store->group.turn);
        pthread_cond_destroy(&store->group.ended);
        pthread_mutex_destroy(&store->checkpoints.lock);
        pthread_cond_destroy(&store->checkpoints.wake);
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
    checkpointer_stop(store);
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
    pthread_cond_destroy(&store->group.turn);
    pthread_cond_destroy(&store->group.ended);
    pthread_mutex_destroy(&store->checkpoints.lock);
    pthread_cond_destroy(&store->checkpoints.wake);
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
        return group_write(store, fn, ctx);
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
    kite_err fault = fault_step(stmt->conn->store, stmt->sql);
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

kite_err db_notify(db_conn *conn, const char *channel)
{
    const char *sql = conn->store->driver->notify_sql;
    if (sql == NULL)
        return KITE_OK;
    db_stmt *s = db_prepare(conn, sql);
    db_bind_text(s, 1, channel);
    return db_exec(s);
}

db_listener *db_listen(db *store, const char *channel)
{
    return store->driver->listen != NULL ? store->driver->listen(store->target, channel) : NULL;
}

bool db_listener_wait(db_listener *listener, int timeout_ms)
{
    /* Only PostgreSQL makes listeners; its wait is reached through its own driver. */
    return db_pg_driver.listener_wait(listener, timeout_ms);
}

db_listener *db_listener_close(db_listener *listener)
{
    if (listener != NULL)
        db_pg_driver.listener_close(listener);
    return NULL;
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
