/*
 * writer.c - around a write: the group commit, checkpoints off the
 * writers' path, and wake-ups at commit for an engine that has none.
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
 * Checkpoints (SQLite): sqlite.c replaces the automatic checkpoint, which
 * would run inside the COMMIT that crosses its threshold and stall every
 * writer queued behind it, with a thread of its own started on first need.
 *
 * Wake-ups (db.h, db_notify): an engine that delivers none (SQLite) gets
 * them from here, once the commit that queued one is durable.
 */
#include "db/store.h"

#include "core/alloc.h"
#include "core/log.h"

#include <stdlib.h>
#include <time.h>

/* ---- wake-ups inside this process (db.h, db_notify) ---- */

/* After conn's commit is durable: wakes the local listeners when its transaction queued a wake-up. */
void store_wake_after_commit(db *store, db_conn *conn)
{
    if (!conn->wake_at_commit)
        return;
    conn->wake_at_commit = false;
    pthread_mutex_lock(&store->wakeups.lock);
    store->wakeups.seq++;
    pthread_cond_broadcast(&store->wakeups.changed);
    pthread_mutex_unlock(&store->wakeups.lock);
}

static bool local_wait(db_listener *l, int timeout_ms)
{
    local_wakeups *w = &l->store->wakeups;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&w->lock);
    while (w->seq == l->seen && pthread_cond_timedwait(&w->changed, &w->lock, &until) == 0)
        ;
    bool woken = w->seq != l->seen;
    l->seen = w->seq;
    pthread_mutex_unlock(&w->lock);
    return woken;
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
        if (conn != NULL || store_conn_open(store, &conn) == KITE_OK)
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

void store_checkpointer_stop(db *store)
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
    if (err == KITE_OK) {
        store_wake_after_commit(store, g->conn);
        checkpoint_if_due(store, g->conn);
    }
    g->conn->wake_at_commit = false; /* rolled back: nothing to wake for */
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
 * Takes the turn on the writer connection (under g->lock): at once when it
 * is free and nobody waits, else in arrival order.  First come, first
 * served, and each waiter woken alone: a writer that just arrived never
 * overtakes one that has waited, so no writer waits for long, and handing
 * the turn over wakes one thread, not all of them.
 */
static void turn_take(group_commit *g)
{
    if (!g->busy && g->first == NULL) {
        g->busy = true;
        return;
    }
    /* On this stack while queued: turn_give unlinks it before it wakes, so nothing points to it on return. */
    turn_waiter me = {.go = false, .next = NULL};
    pthread_cond_init(&me.wake, NULL);
    if (g->last != NULL)
        g->last->next = &me;
    else
        g->first = &me; // cppcheck-suppress autoVariables
    g->last = &me;      // cppcheck-suppress autoVariables
    g->queued++;
    while (!me.go)
        pthread_cond_wait(&me.wake, &g->lock);
    pthread_cond_destroy(&me.wake);
}

/* Hands the turn to the writer that waited longest, or frees it (under g->lock). */
static void turn_give(group_commit *g)
{
    turn_waiter *next = g->first;
    if (next == NULL) {
        g->busy = false;
        return;
    }
    g->first = next->next;
    if (g->first == NULL)
        g->last = NULL;
    g->queued--;
    next->go = true; /* busy stays true: the turn passes straight to it */
    pthread_cond_signal(&next->wake);
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
    turn_take(g);
    kite_err err = KITE_OK;
    if (g->conn == NULL)
        err = store_conn_open(store, &g->conn);
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
        turn_give(g);
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
    kite_err err = store_fault_step(conn->store, "BEGIN (write)");
    if (err != KITE_OK)
        return err;
    if ((err = savepoint_exec(conn, "SAVEPOINT kite_write")) != KITE_OK) {
        *spoiled = true; /* unknown state: the batch is rolled back whole and runs again */
        return err;
    }
    err = fn(conn, ctx);
    if (err == KITE_OK)
        err = store_fault_step(conn->store, "COMMIT");
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
    turn_give(g);
    while (wait && !b->ended)
        pthread_cond_wait(&g->ended, &g->lock);
    kite_err err = b->ended ? b->err : KITE_OK;
    batch_leave(b);
    pthread_mutex_unlock(&g->lock);
    return err;
}

kite_err store_group_write(db *store, db_tx_fn fn, void *ctx)
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

kite_err db_notify(db_conn *conn, const char *channel)
{
    const char *sql = conn->store->driver->notify_sql;
    if (sql == NULL) {
        conn->wake_at_commit = true;
        return KITE_OK;
    }
    db_stmt *s = db_prepare(conn, sql);
    db_bind_text(s, 1, channel);
    return db_exec(s);
}

db_listener *db_listen(db *store, const char *channel)
{
    db_listener *l = xcalloc(1, sizeof *l);
    l->store = store;
    if (store->driver->listen != NULL && (l->engine = store->driver->listen(store->target, channel)) == NULL) {
        free(l);
        return NULL;
    }
    if (l->engine == NULL) {
        pthread_mutex_lock(&store->wakeups.lock);
        l->seen = store->wakeups.seq;
        pthread_mutex_unlock(&store->wakeups.lock);
    }
    return l;
}

bool db_listener_wait(db_listener *listener, int timeout_ms)
{
    return listener->engine != NULL ? listener->store->driver->listener_wait(listener->engine, timeout_ms)
                                    : local_wait(listener, timeout_ms);
}

db_listener *db_listener_close(db_listener *listener)
{
    if (listener == NULL)
        return NULL;
    if (listener->engine != NULL)
        listener->store->driver->listener_close(listener->engine);
    free(listener);
    return NULL;
}

