/*
 * writer.c - around a write: the group commit, checkpoints off the
 * writers' path, and wake-ups at commit for an engine that has none.
 *
 * Group commit (SQLite): a durable COMMIT costs an fsync, far more than the
 * statements of one request, so writers share it.  Every write runs on one
 * writer connection.  A writer queues; the one at the head of the queue
 * when nobody leads becomes the leader: it runs BEGIN IMMEDIATE, then the
 * queued writers' functions one after another, each in its own SAVEPOINT
 * (a refused one rolls back to it, undoing its own work and nobody else's,
 * and is answered at once), then COMMIT, and answers the batch.  Running
 * the others' functions itself, rather than waking each writer's thread
 * in turn, spares a thread switch per write on the one path every write
 * shares (on this 2-core machine a wake-up took ~50 us, about half of a
 * send's statements).  Each function still counts its fault steps on its
 * own request's counter (store_fault_use), so the fault tests see the same
 * steps whoever runs it.  A batch ends at GROUP_MAX_WRITES, GROUP_MAX_MS,
 * or when nobody is queued; under light load it is one writer and one
 * commit, exactly as before.
 *
 * The fsync outside the lead: the writer connection's COMMIT writes the
 * log without syncing it (sqlite.c, writer_sync_apart); the leader hands
 * the lead to the next writer first and then syncs the log itself
 * (sync_through: one sync at a time, each covering every COMMIT made
 * before it began), and only then answers its writers.  So the next
 * batch's statements run during this batch's fsync, and a batch keeps
 * growing while an earlier one syncs, since committing it sooner would
 * only wait for the next sync.  The promise is unchanged: every writer is
 * answered only once its COMMIT is on disk, and an acknowledged write
 * survives kill -9 and power loss.  A log that syncs as a later COMMIT's
 * does also holds every earlier one (the log is appended in order, and
 * recovery keeps a prefix of whole commits), so a write never depends on
 * one that could vanish.  What differs from FULL: for the length of one
 * fsync, another reader can see a commit that is not yet on disk.  A
 * failed sync answers its writers outcome_unknown: committed, maybe not
 * durable.  A COMMIT that fails fails the whole batch; each writer then
 * runs again in a transaction of its own, as a lone writer would.
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

/* Wakes this process's listeners (under wakeups.lock, not the group's). */
static void wake_listeners(db *store)
{
    pthread_mutex_lock(&store->wakeups.lock);
    store->wakeups.seq++;
    pthread_cond_broadcast(&store->wakeups.changed);
    pthread_mutex_unlock(&store->wakeups.lock);
}

/* After conn's commit is durable: wakes the local listeners when its transaction queued a wake-up. */
void store_wake_after_commit(db *store, db_conn *conn)
{
    if (!conn->wake_at_commit)
        return;
    conn->wake_at_commit = false;
    wake_listeners(store);
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

/* Tells w its outcome (under g->lock): it wakes alone. */
static void writer_done(writer_slot *w, kite_err own, kite_err shared)
{
    w->own = own;
    w->shared = shared;
    w->state = WRITER_DONE;
    pthread_cond_signal(&w->wake);
}

/* Takes the writer at the head of the queue off it (under g->lock). */
static writer_slot *queue_pop(group_commit *g)
{
    writer_slot *w = g->first;
    g->first = w->next;
    if (g->first == NULL)
        g->last = NULL;
    g->queued--;
    return w;
}

/*
 * Runs one queued writer's function in its own savepoint of the open
 * transaction, counting its steps on the writer's own fault counter (so a
 * request counts the same steps whichever thread runs it).  Its own BEGIN
 * and COMMIT are still steps of its own for the fault hook.  *spoiled: the
 * transaction is in doubt (a savepoint statement failed, or the engine
 * ended the transaction), so the whole batch is rolled back.
 */
static kite_err writer_run(db_conn *conn, writer_slot *w, bool *spoiled)
{
    *spoiled = false;
    void *before = store_fault_use(w->fault);
    kite_err err = store_fault_step(conn->store, "BEGIN (write)");
    if (err == KITE_OK && (err = savepoint_exec(conn, "SAVEPOINT kite_write")) != KITE_OK)
        *spoiled = true;
    if (err == KITE_OK && !*spoiled) {
        err = w->fn(conn, w->ctx);
        if (err == KITE_OK)
            err = store_fault_step(conn->store, "COMMIT");
        if (err == KITE_OK && (err = savepoint_exec(conn, "RELEASE SAVEPOINT kite_write")) != KITE_OK)
            *spoiled = true;
        else if (err != KITE_OK && conn->store->driver->in_tx(conn) &&
                 (savepoint_exec(conn, "ROLLBACK TO SAVEPOINT kite_write") != KITE_OK ||
                  savepoint_exec(conn, "RELEASE SAVEPOINT kite_write") != KITE_OK))
            *spoiled = true; /* refused: its own work undone, nobody else's */
    }
    if (!conn->store->driver->in_tx(conn))
        *spoiled = true;
    store_fault_use(before);
    return err;
}

/*
 * Makes every COMMIT up to number seq durable (under g->lock; the sync runs
 * without it).  One sync at a time, each covering every COMMIT made before
 * it began: a leader whose COMMIT came during a sync waits for it to end,
 * then syncs once for all who came meanwhile.
 */
static kite_err sync_through(db *store, int64_t seq)
{
    group_commit *g = &store->group;
    while (g->synced < seq) {
        if (g->syncing) {
            pthread_cond_wait(&g->sync_ended, &g->lock);
            continue;
        }
        g->syncing = true;
        int64_t through = g->committed;
        pthread_mutex_unlock(&g->lock);
        kite_err err = store->driver->sync_log(g->conn);
        pthread_mutex_lock(&g->lock);
        g->syncing = false;
        g->stats.syncs_apart++;
        pthread_cond_broadcast(&g->sync_ended);
        if (g->leader_waiting)
            pthread_cond_signal(&g->leader_wake);
        if (err != KITE_OK)
            return err; /* each leader waiting tries a sync of its own, and learns the same */
        if (through > g->synced)
            g->synced = through;
    }
    return KITE_OK;
}

/* Passes the lead to the writer at the head of the queue, or ends it (under g->lock). */
static void lead_hand_over(group_commit *g)
{
    if (g->first == NULL) {
        g->leading = false;
        return;
    }
    g->first->state = WRITER_LEADS; /* leading stays true: nobody arriving meanwhile leads too */
    pthread_cond_signal(&g->first->wake);
}

/* Whether the leader should take more writers before its COMMIT (under g->lock). */
static bool batch_may_grow(int members, bool alone, int64_t began_ms)
{
    return !alone && members < GROUP_MAX_WRITES && monotonic_ms() - began_ms < GROUP_MAX_MS;
}

/*
 * Runs the queued writers' functions in the open transaction (under
 * g->lock, leading): answers a refused one at once, keeps the others in
 * members, and while a sync runs with nobody queued waits for more.
 * Returns how many are in members.
 */
static int batch_run_writers(db *store, writer_slot **members, bool alone, bool *spoiled)
{
    group_commit *g = &store->group;
    int count = 0;
    int64_t began = monotonic_ms();
    while (!*spoiled) {
        /* The first is the leader's own write; after it, the batch grows while it may. */
        bool may_grow = count == 0 || batch_may_grow(count, alone, began);
        writer_slot *w = g->first;
        if (w == NULL && count > 0 && may_grow && g->syncing) {
            g->leader_waiting = true;
            pthread_cond_wait(&g->leader_wake, &g->lock);
            g->leader_waiting = false;
            continue;
        }
        if (w == NULL || !may_grow || (count > 0 && w->alone))
            break;
        queue_pop(g);
        g->stats.writes++;
        alone = alone || w->alone;
        pthread_mutex_unlock(&g->lock);
        kite_err own = writer_run(g->conn, w, spoiled);
        pthread_mutex_lock(&g->lock);
        if (own == KITE_OK)
            members[count++] = w; /* answered with the COMMIT's outcome (a spoiled batch's: busy, so it runs again) */
        else
            writer_done(w, own, KITE_OK); /* refused: its answer does not wait for anyone's COMMIT */
    }
    return count;
}

/*
 * The leader's work (under g->lock, called by the writer at the head of the
 * queue when nobody leads): BEGIN, run the queued writers' functions one
 * after another in their savepoints, answer a refused one at once, COMMIT,
 * hand the lead to the next queued writer, then (with the connection free
 * for that leader) make the batch durable and answer its writers.  While a
 * sync of an earlier batch runs, a COMMIT now would only wait for the next
 * one, so the leader keeps taking writers until that sync ends.
 */
static void lead_batch(db *store, bool last_attempt)
{
    group_commit *g = &store->group;
    writer_slot *members[GROUP_MAX_WRITES];
    bool alone = g->first->alone, spoiled = false;
    pthread_mutex_unlock(&g->lock);
    kite_err err = store->driver->begin(g->conn, DB_TX_WRITE, last_attempt);
    pthread_mutex_lock(&g->lock);
    if (err != KITE_OK) { /* another process holds the lock: the head writer (this one) tries again */
        writer_done(queue_pop(g), err, KITE_OK);
        lead_hand_over(g);
        return;
    }
    int count = batch_run_writers(store, members, alone, &spoiled);
    pthread_mutex_unlock(&g->lock);
    if (spoiled) {
        log_error("store: a write transaction was left in doubt; its %d writes run again", count);
        err = KITE_ERR_BUSY;
    } else {
        err = store->driver->commit(g->conn);
    }
    if (err != KITE_OK)
        store->driver->rollback(g->conn);
    bool wake = err == KITE_OK && g->conn->wake_at_commit;
    g->conn->wake_at_commit = false; /* rolled back: nothing to wake for */
    if (err == KITE_OK)
        checkpoint_if_due(store, g->conn); /* it syncs the log itself before copying anything */
    pthread_mutex_lock(&g->lock);
    if (!spoiled) {
        g->stats.commits++;
        if (count > g->stats.largest)
            g->stats.largest = count;
        if (err != KITE_OK && count > 1) {
            g->stats.failed_commits++;
            log_error("store: the shared COMMIT of %d writes failed (%s); each runs again in a transaction of its own",
                      count, kite_err_code(err));
        }
    }
    int64_t seq = err == KITE_OK ? ++g->committed : 0;
    /* The connection is free: the next leader runs while this batch's log is synced. */
    lead_hand_over(g);
    if (err == KITE_OK && g->sync_apart)
        err = sync_through(store, seq);
    if (err == KITE_OK && wake) {
        pthread_mutex_unlock(&g->lock);
        wake_listeners(store);
        pthread_mutex_lock(&g->lock);
    }
    for (int i = 0; i < count; i++)
        writer_done(members[i], KITE_OK, err);
}

/*
 * One attempt of one write: queue, then either lead (the head of the queue
 * when nobody leads) or wait for a leader to have run it.  *own is what the
 * writer's function returned, *shared the outcome of the COMMIT it shared.
 */
static void group_attempt(db *store, db_tx_fn fn, void *ctx, bool alone, bool last_attempt, kite_err *own,
                          kite_err *shared)
{
    group_commit *g = &store->group;
    /* On this stack while queued: a leader unlinks it before it is done, so nothing points to it on return. */
    writer_slot me = {.fn = fn, .ctx = ctx, .fault = store_fault_current(), .alone = alone, .state = WRITER_QUEUED};
    pthread_cond_init(&me.wake, NULL);
    pthread_mutex_lock(&g->lock);
    kite_err err = KITE_OK;
    if (g->conn == NULL && (err = store_conn_open(store, &g->conn)) == KITE_OK && store->driver->sync_log != NULL)
        g->sync_apart = store->driver->writer_sync_apart(g->conn);
    if (err != KITE_OK) {
        pthread_mutex_unlock(&g->lock);
        pthread_cond_destroy(&me.wake);
        *own = err;
        *shared = KITE_OK;
        return;
    }
    if (g->last != NULL)
        g->last->next = &me;
    else
        g->first = &me; // cppcheck-suppress autoVariables
    g->last = &me;      // cppcheck-suppress autoVariables
    g->queued++;
    if (!g->leading) {
        g->leading = true;
        me.state = WRITER_LEADS;
    } else if (g->leader_waiting)
        pthread_cond_signal(&g->leader_wake);
    for (;;) {
        while (me.state == WRITER_QUEUED)
            pthread_cond_wait(&me.wake, &g->lock);
        if (me.state != WRITER_LEADS)
            break;
        me.state = WRITER_QUEUED; /* it leads a batch, and its own write is in it (the head of the queue) */
        lead_batch(store, last_attempt);
    }
    pthread_mutex_unlock(&g->lock);
    pthread_cond_destroy(&me.wake);
    *own = me.own;
    *shared = me.shared;
}

kite_err store_group_write(db *store, db_tx_fn fn, void *ctx)
{
    bool alone = false;
    for (int attempt = 1;; attempt++) {
        kite_err own, shared;
        group_attempt(store, fn, ctx, alone, attempt >= WRITE_ATTEMPTS, &own, &shared);
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

