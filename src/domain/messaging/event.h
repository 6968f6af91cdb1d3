/*
 * event.h - what each account is told as it happens (the `events` table),
 * and the hub that tells waiting readers when there is something new.
 *
 * The table is the source of truth: message.c writes a row in the same
 * transaction as every message transition, so every server process on one
 * store sees every event, and a reader that reconnects resumes from the last
 * id it saw.  The hub is one per process (owned by whoever starts it, no
 * global): a notifier thread asks the store, every poll interval and only
 * while someone is subscribed, for the ids written since its last look
 * (one query for all subscribers), and wakes the subscribers of those
 * accounts.  It also wakes each subscriber every heartbeat interval.
 *
 * The hub never hands out rows itself: a woken subscriber reads its own
 * account's rows after its own cursor (event_list_after), so a wake that
 * comes early, late or twice never loses or repeats an event.
 *
 * Threads: every function here may be called from any thread.  Wake
 * callbacks run on the notifier thread with the hub's lock held: they must
 * be quick and must not call back into the hub.
 */
#ifndef KITE_DOMAIN_MESSAGING_EVENT_H
#define KITE_DOMAIN_MESSAGING_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "domain/context.h"

/* The wake-up channel of new events (db_notify/db_listen): a fixed identifier. */
#define EVENT_CHANNEL "kite_events"

typedef struct event {
    int64_t id;
    const char *kind;   /* "message.new", "message.status", "visit.status" */
    int64_t message_id; /* 0 when the row has none */
    int64_t visit_id;   /* the visit a "visit.status" is about; 0 when the row has none */
    const char *status; /* NULL when the row has none */
    int64_t at;         /* epoch ms */
} event;

/* The newest event id of account_id, 0 when it has none. */
kite_err event_latest_id(const kite_ctx *ctx, int64_t account_id, int64_t *out) KITE_WUR;

/*
 * Up to max events of account_id with id > after_id, oldest first, into
 * out[] (strings in a).  *count is how many.
 */
kite_err event_list_after(const kite_ctx *ctx, arena *a, int64_t account_id, int64_t after_id, size_t max,
                          event *out, size_t *count) KITE_WUR;

/* ---- the hub ---- */

typedef struct event_hub event_hub;
typedef struct event_sub event_sub;
typedef void (*event_wake_fn)(void *cls);
typedef bool (*event_gone_fn)(void *cls);

typedef struct event_hub_config {
    unsigned max_per_account; /* subscriptions one account may hold */
    unsigned max_total;       /* subscriptions in this process */
    int64_t poll_ms;          /* how often the store is asked while anyone listens */
    int64_t heartbeat_ms;     /* how often each subscriber is woken for a heartbeat */
} event_hub_config;

/* ctx must outlive the hub.  NULL when the notifier thread cannot start (logged). */
event_hub *event_hub_start(const kite_ctx *ctx, const event_hub_config *config);
/* Stops and joins the notifier; accepts NULL; returns NULL.  Every subscription must be gone. */
event_hub *event_hub_stop(event_hub *hub);

/*
 * A subscription for account_id, owned by the caller until
 * event_sub_cancel().  KITE_ERR_THROTTLED when the account already holds
 * max_per_account, KITE_ERR_BUSY when the process holds max_total; at a cap
 * the owners are asked first whether their reader is gone, and those that
 * are no longer count.
 */
kite_err event_hub_subscribe(event_hub *hub, int64_t account_id, event_sub **out) KITE_WUR;
/*
 * From now on the hub calls wake(cls) when the subscriber has something to
 * do, and gone(cls) at a cap: true when its reader has left (the owner still
 * cancels the subscription as usual).  Both run with the hub's lock held.
 */
void event_sub_arm(event_sub *sub, event_wake_fn wake, event_gone_fn gone, void *cls);
/* Ends the subscription (no wake runs after it returns) and frees it; accepts NULL; returns NULL. */
event_sub *event_sub_cancel(event_sub *sub);

enum {
    EVENT_SUB_NEWS = 1u,      /* the account may have rows past the subscriber's cursor */
    EVENT_SUB_HEARTBEAT = 2u, /* a heartbeat interval passed since the last one */
};
/* What the subscriber should do now (EVENT_SUB_* bits), and clears it. */
unsigned event_sub_take(event_sub *sub);

#endif
