/*
 * event.c - reading the `events` table, and the hub that wakes whoever waits
 * for it.
 *
 * Design: one notifier per process, a core/worker whose tick is hub_tick.
 * While nobody is subscribed the tick asks for no further tick (the first
 * subscription wakes it) and the store is asked nothing.  While someone
 * is, it runs one query per poll interval for every subscriber together
 * (the ids and accounts of rows past the highest id it has seen), marks the
 * subscribers of those accounts and calls their wake callbacks.  The first
 * poll after the hub was idle does not walk the rows written meanwhile: it
 * jumps to the newest id and marks every subscriber, whose own cursor query
 * then finds whatever is theirs.  A subscriber registers before it first
 * reads, so any row it has not read is either found by that read or marked
 * by a later poll: nothing is lost, and since readers keep their own cursor
 * nothing is repeated either.
 *
 * Rows are assumed to become visible in id order.  That holds on both
 * engines because there is one writer at a time (db.h): on PostgreSQL every
 * write transaction holds the store's writer lock from its first statement
 * to its COMMIT, so an id taken inside it is higher than every id already
 * committed and lower than every id committed after.  We chose this over a
 * per-stream watermark (readers holding back ids still in flight) because
 * the writer lock exists anyway for the ledger and the audit chain, and
 * it makes id order commit order with nothing for a reader to wait on.
 *
 * Wake-ups: a listener (db_listen on EVENT_CHANNEL, which every event
 * insert notifies) wakes the notifier as soon as the commit is durable: on
 * PostgreSQL from every kite process sharing the database, on SQLite from
 * this process's own commits.  The poll is the safety net for a lost
 * wake-up, and on SQLite what finds rows another process (a CLI command)
 * wrote to the same file.
 *
 * Lock order: hub lock, then whatever a wake callback takes, or the
 * notifier's own lock (worker_wake); the tick runs with neither held.
 */
#include "domain/messaging/event.h"

#include "core/alloc.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/worker.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum { NOTIFY_BATCH = 512 };

/* ---- the table ---- */

struct latest {
    int64_t account_id;
    int64_t *out;
};

static kite_err latest_tx(db_conn *conn, void *data)
{
    struct latest *in = data;
    db_stmt *s = db_prepare(conn, "SELECT COALESCE(MAX(id), 0) FROM events WHERE account_id = $1");
    db_bind_int(s, 1, in->account_id);
    *in->out = db_next(s) ? db_int(s, 0) : 0;
    return db_done(s);
}

kite_err event_latest_id(const kite_ctx *ctx, int64_t account_id, int64_t *out)
{
    *out = 0;
    struct latest in = {account_id, out};
    return db_read(ctx->store, latest_tx, &in);
}

struct list_after {
    arena *a;
    int64_t account_id;
    int64_t after_id;
    size_t max;
    event *out;
    size_t *count;
};

static kite_err list_after_tx(db_conn *conn, void *data)
{
    struct list_after *in = data;
    *in->count = 0;
    db_stmt *s = db_prepare(conn,
        "SELECT id, kind, message_id, status, at, visit_id FROM events WHERE account_id = $1 AND id > $2 ORDER BY id"
        " LIMIT $3");
    db_bind_int(s, 1, in->account_id);
    db_bind_int(s, 2, in->after_id);
    db_bind_int(s, 3, (int64_t)in->max);
    while (*in->count < in->max && db_next(s)) {
        event *e = &in->out[(*in->count)++];
        e->id = db_int(s, 0);
        e->kind = arena_strdup(in->a, db_text(s, 1));
        e->message_id = db_is_null(s, 2) ? 0 : db_int(s, 2);
        e->status = db_is_null(s, 3) ? NULL : arena_strdup(in->a, db_text(s, 3));
        e->at = db_int(s, 4);
        e->visit_id = db_is_null(s, 5) ? 0 : db_int(s, 5);
    }
    return db_done(s);
}

kite_err event_list_after(const kite_ctx *ctx, arena *a, int64_t account_id, int64_t after_id, size_t max,
                          event *out, size_t *count)
{
    *count = 0;
    if (max == 0)
        return KITE_OK;
    struct list_after in = {a, account_id, after_id, max, out, count};
    kite_err err = db_read(ctx->store, list_after_tx, &in);
    if (err != KITE_OK)
        *count = 0;
    return err;
}

/* ---- the hub ---- */

struct event_sub {
    event_hub *hub;
    int64_t account_id;
    event_wake_fn wake; /* NULL until armed */
    event_gone_fn gone;
    void *wake_cls;
    bool dead;          /* its reader left: it no longer counts against the caps */
    unsigned pending;      /* EVENT_SUB_NEWS */
    int64_t heartbeat_due; /* monotonic ms */
    bool heartbeat_woken;  /* woken for the heartbeat and not yet taken: do not wake again */
    event_sub *prev, *next;
};

struct poll;

struct event_hub {
    const kite_ctx *ctx;
    event_hub_config config;
    worker *notifier;
    db_listener *listener; /* PostgreSQL: wake-ups from every kite process; SQLite: from this one's commits */
    worker *listening;     /* waits on listener and wakes notifier */
    struct poll *poll;   /* the notifier's own: only hub_tick touches it */
    bool logged_failure; /* likewise */
    pthread_mutex_t lock; /* guards everything below */
    bool resync;  /* the next poll jumps to the newest id and marks everyone */
    int64_t seen; /* highest event id looked at */
    event_sub *subs;
    unsigned count;
};

struct poll {
    bool resync;
    int64_t after;
    size_t count;
    int64_t newest;
    int64_t accounts[NOTIFY_BATCH];
};

static kite_err poll_tx(db_conn *conn, void *data)
{
    struct poll *p = data;
    p->count = 0;
    p->newest = p->after;
    if (p->resync) {
        db_stmt *s = db_prepare(conn, "SELECT COALESCE(MAX(id), 0) FROM events");
        if (db_next(s))
            p->newest = db_int(s, 0);
        return db_done(s);
    }
    db_stmt *s = db_prepare(conn, "SELECT id, account_id FROM events WHERE id > $1 ORDER BY id LIMIT $2");
    db_bind_int(s, 1, p->after);
    db_bind_int(s, 2, NOTIFY_BATCH);
    while (p->count < NOTIFY_BATCH && db_next(s)) {
        p->newest = db_int(s, 0);
        p->accounts[p->count++] = db_int(s, 1);
    }
    return db_done(s);
}

static int compare_ids(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void mark_news(event_sub *sub)
{
    sub->pending |= EVENT_SUB_NEWS;
    if (sub->wake != NULL)
        sub->wake(sub->wake_cls);
}

/* With the lock held: what one poll found. */
static void hub_apply(event_hub *hub, struct poll *p)
{
    if (p->resync) {
        for (event_sub *sub = hub->subs; sub != NULL; sub = sub->next)
            mark_news(sub);
    } else if (p->count > 0) {
        qsort(p->accounts, p->count, sizeof p->accounts[0], compare_ids);
        for (event_sub *sub = hub->subs; sub != NULL; sub = sub->next)
            if (bsearch(&sub->account_id, p->accounts, p->count, sizeof p->accounts[0], compare_ids) != NULL)
                mark_news(sub);
    }
    if (p->newest > hub->seen || p->resync)
        hub->seen = p->newest;
}

/* With the lock held: wake whoever is due a heartbeat. */
static void hub_heartbeats(event_hub *hub)
{
    int64_t now = clock_mono_ms();
    for (event_sub *sub = hub->subs; sub != NULL; sub = sub->next) {
        if (sub->wake != NULL && !sub->heartbeat_woken && now >= sub->heartbeat_due) {
            sub->heartbeat_woken = true;
            sub->wake(sub->wake_cls);
        }
    }
}

static worker_next hub_tick(void *arg)
{
    event_hub *hub = arg;
    struct poll *p = hub->poll;
    pthread_mutex_lock(&hub->lock);
    if (hub->count == 0) {
        /* Nobody listens: ask the store nothing until event_hub_subscribe wakes the notifier. */
        hub->resync = true;
        pthread_mutex_unlock(&hub->lock);
        return WORKER_IDLE;
    }
    p->resync = hub->resync;
    p->after = hub->seen;
    hub->resync = false;
    pthread_mutex_unlock(&hub->lock);
    kite_err err = db_read(hub->ctx->store, poll_tx, p);
    pthread_mutex_lock(&hub->lock);
    if (err != KITE_OK) {
        if (!hub->logged_failure)
            log_warn("events: polling the store failed (%s); retrying", kite_err_code(err));
        hub->logged_failure = true;
        hub->resync = hub->resync || p->resync;
    } else {
        hub->logged_failure = false;
        hub_apply(hub, p);
    }
    hub_heartbeats(hub);
    pthread_mutex_unlock(&hub->lock);
    /* More rows waiting: no sleep. */
    return err == KITE_OK && p->count == NOTIFY_BATCH ? WORKER_AGAIN : WORKER_WAIT;
}

enum { LISTEN_WAIT_MS = 500 };

/* Waits a while for a wake-up from any kite process (the stop signal is seen between waits). */
static worker_next listen_tick(void *arg)
{
    event_hub *hub = arg;
    if (db_listener_wait(hub->listener, LISTEN_WAIT_MS))
        worker_wake(hub->notifier);
    return WORKER_AGAIN;
}

event_hub *event_hub_start(const kite_ctx *ctx, const event_hub_config *config)
{
    event_hub *hub = xcalloc(1, sizeof *hub);
    hub->ctx = ctx;
    hub->config = *config;
    hub->resync = true;
    hub->poll = xmalloc(sizeof *hub->poll);
    pthread_mutex_init(&hub->lock, NULL);
    if (worker_start("kite-events", config->poll_ms, hub_tick, hub, &hub->notifier) != KITE_OK) {
        log_error("events: cannot start the notifier");
        pthread_mutex_destroy(&hub->lock);
        free(hub->poll);
        free(hub);
        return NULL;
    }
    hub->listener = db_listen(ctx->store, EVENT_CHANNEL);
    if (hub->listener != NULL && worker_start("kite-listen", LISTEN_WAIT_MS, listen_tick, hub, &hub->listening) != KITE_OK)
        hub->listener = db_listener_close(hub->listener); /* the poll still finds every row, later */
    return hub;
}

event_hub *event_hub_stop(event_hub *hub)
{
    if (hub == NULL)
        return NULL;
    hub->listening = worker_stop(hub->listening);
    hub->listener = db_listener_close(hub->listener);
    hub->notifier = worker_stop(hub->notifier);
    if (hub->count != 0)
        log_error("events: %u subscriptions still open when the hub stopped", hub->count);
    while (hub->subs != NULL) {
        event_sub *next = hub->subs->next;
        free(hub->subs);
        hub->subs = next;
    }
    pthread_mutex_destroy(&hub->lock);
    free(hub->poll);
    free(hub);
    return NULL;
}

/* With the lock held: live subscriptions of account_id (0: of everyone). */
static unsigned count_live(const event_hub *hub, int64_t account_id)
{
    unsigned n = 0;
    for (const event_sub *sub = hub->subs; sub != NULL; sub = sub->next)
        n += !sub->dead && (account_id == 0 || sub->account_id == account_id);
    return n;
}

/*
 * With the lock held: asks the owners of live subscriptions of account_id
 * (0: of everyone) whether their reader left, marks those dead and returns
 * how many.  Run only at a cap, so a reloaded page or a closed tab does not
 * keep its place until its next heartbeat.
 */
static unsigned reap(event_hub *hub, int64_t account_id)
{
    unsigned n = 0;
    for (event_sub *sub = hub->subs; sub != NULL; sub = sub->next) {
        if (!sub->dead && sub->gone != NULL && (account_id == 0 || sub->account_id == account_id) &&
            sub->gone(sub->wake_cls)) {
            sub->dead = true;
            n++;
        }
    }
    return n;
}

kite_err event_hub_subscribe(event_hub *hub, int64_t account_id, event_sub **out)
{
    *out = NULL;
    pthread_mutex_lock(&hub->lock);
    unsigned mine = count_live(hub, account_id);
    if (mine >= hub->config.max_per_account)
        mine -= reap(hub, account_id);
    unsigned live = mine >= hub->config.max_per_account ? 0 : count_live(hub, 0);
    if (live >= hub->config.max_total)
        live -= reap(hub, 0);
    kite_err err = mine >= hub->config.max_per_account ? KITE_ERR_THROTTLED
                 : live >= hub->config.max_total ? KITE_ERR_BUSY
                 : KITE_OK;
    if (err == KITE_OK) {
        event_sub *sub = xcalloc(1, sizeof *sub);
        sub->hub = hub;
        sub->account_id = account_id;
        sub->heartbeat_due = clock_mono_ms() + hub->config.heartbeat_ms;
        sub->next = hub->subs;
        if (hub->subs != NULL)
            hub->subs->prev = sub;
        hub->subs = sub;
        if (hub->count++ == 0)
            worker_wake(hub->notifier); /* the notifier was idle */
        *out = sub;
    }
    pthread_mutex_unlock(&hub->lock);
    return err;
}

void event_sub_arm(event_sub *sub, event_wake_fn wake, event_gone_fn gone, void *cls)
{
    pthread_mutex_lock(&sub->hub->lock);
    sub->wake = wake;
    sub->gone = gone;
    sub->wake_cls = cls;
    pthread_mutex_unlock(&sub->hub->lock);
}

event_sub *event_sub_cancel(event_sub *sub)
{
    if (sub == NULL)
        return NULL;
    event_hub *hub = sub->hub;
    pthread_mutex_lock(&hub->lock);
    if (sub->prev != NULL)
        sub->prev->next = sub->next;
    else
        hub->subs = sub->next;
    if (sub->next != NULL)
        sub->next->prev = sub->prev;
    hub->count--;
    pthread_mutex_unlock(&hub->lock);
    free(sub);
    return NULL;
}

unsigned event_sub_take(event_sub *sub)
{
    event_hub *hub = sub->hub;
    pthread_mutex_lock(&hub->lock);
    unsigned flags = sub->pending;
    sub->pending = 0;
    int64_t now = clock_mono_ms();
    if (now >= sub->heartbeat_due) {
        flags |= EVENT_SUB_HEARTBEAT;
        sub->heartbeat_due = now + hub->config.heartbeat_ms;
        sub->heartbeat_woken = false;
    }
    pthread_mutex_unlock(&hub->lock);
    return flags;
}
