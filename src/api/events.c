/*
 * events.c - GET /api/v1/events: Server-Sent Events for the signed-in
 * contact or resident (a new message for them, a status change of a message
 * they sent, a change to one of their video visits).
 *
 * Design: the answer is an http_stream (http/stream.h) fed from the
 * `events` table through the caller's own cursor; the process's event hub
 * (domain/event.h) wakes the stream when its account has new rows and every
 * heartbeat interval.  An idle stream holds no thread.  The cursor starts at
 * Last-Event-ID (header, else ?last_event_id=) when given, so a client that
 * reconnects gets every event it missed exactly once and in order; without
 * it, at the account's newest event (only what happens from now on).
 *
 * Wire format (the SSE spec): "retry: 3000" first, then per event
 *   id: <events.id>\nevent: <kind>\ndata: {"message_id":..,"status":..,"at":..}\n\n
 * where a "visit.status" event (a visit of the caller's booked, approved,
 * declined, cancelled, moved or ended: its new state) also has "visit_id"
 * and ": keep-alive\n\n" when a heartbeat passes with nothing else to say.
 *
 * SECURITY: rows are selected by the caller's account id only, so no other
 * account's events can appear.  The session is checked again at every
 * heartbeat: signing out or an expired session ends the stream within one
 * heartbeat interval.  The number of streams per account and per process is
 * capped by the hub (429 and 503).
 */
#include "api/app.h"
#include "http/stream.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define PARTIES (ROLE_BIT(ROLE_CONTACT) | ROLE_BIT(ROLE_RESIDENT))

enum { EVENT_BATCH = 64, RETRY_AFTER_S = 30 };

typedef struct event_stream {
    const kite_ctx *ctx;
    event_sub *sub;
    http_stream *stream;
    int64_t account_id;
    int64_t cursor;  /* id of the last event sent (or the starting point) */
    char *token;     /* the session token, to check the session at heartbeats */
    bool started;    /* the retry line went out */
    bool more;       /* the last read filled a batch: read again without waiting */
    buf out;         /* bytes not yet given to the server, from out_off on; on the heap, as it lives for hours */
    size_t out_off;
} event_stream;

/* An SSE field value must not hold a line break; kinds are ours, but check. */
static bool one_line(const char *s)
{
    return s != NULL && strpbrk(s, "\r\n") == NULL;
}

static void append_event(event_stream *es, arena *a, const event *e)
{
    json_t *data = json_pack("{s:o, s:o, s:o}", "message_id", e->message_id > 0 ? json_integer(e->message_id) : json_null(),
                             "status", json_string_or_null(e->status), "at", json_time(e->at));
    if (e->visit_id > 0) /* a visit's news names the visit; message events stay as they always were */
        json_object_set_new(data, "visit_id", json_integer(e->visit_id));
    char *json = json_dumps(data, JSON_COMPACT);
    json_decref(data);
    if (json != NULL && one_line(e->kind))
        buf_puts(&es->out, arena_sprintf(a, "id: %" PRId64 "\nevent: %s\ndata: %s\n\n", e->id, e->kind, json));
    else
        log_error("events: event %" PRId64 " could not be written", e->id);
    free(json);
}

/* Appends the next batch past the cursor; false when the store failed. */
static bool append_events(event_stream *es)
{
    arena *a = arena_new();
    event batch[EVENT_BATCH];
    size_t count = 0;
    kite_err err = event_list_after(es->ctx, a, es->account_id, es->cursor, EVENT_BATCH, batch, &count);
    if (err != KITE_OK)
        log_warn("events: reading events for account %" PRId64 " failed: %s", es->account_id, kite_err_code(err));
    for (size_t i = 0; i < count; i++) {
        append_event(es, a, &batch[i]);
        es->cursor = batch[i].id;
    }
    es->more = count == EVENT_BATCH;
    arena_free(a);
    return err == KITE_OK;
}

/* False when the session was signed out, expired or its account can no longer sign in. */
static bool session_alive(const event_stream *es)
{
    arena *a = arena_new();
    session s;
    kite_err err = session_peek(es->ctx, a, es->token, &s);
    arena_free(a);
    /* A store hiccup is not a reason to drop the client; the next heartbeat checks again. */
    return err == KITE_OK ? s.account.id == es->account_id
                          : err != KITE_ERR_UNAUTHENTICATED && err != KITE_ERR_SESSION_EXPIRED;
}

/* Fills es->out with what is due now; sets *end when the stream should finish. */
static void refill(event_stream *es, bool *end)
{
    unsigned due = event_sub_take(es->sub);
    if (!es->started) {
        es->started = true;
        buf_puts(&es->out, "retry: 3000\n\n");
        due |= EVENT_SUB_NEWS;
    }
    if ((due & EVENT_SUB_HEARTBEAT) != 0 && !session_alive(es)) {
        log_info("events: session ended; closing the stream of account %" PRId64, es->account_id);
        *end = true;
        return;
    }
    if (((due & EVENT_SUB_NEWS) != 0 || es->more) && !append_events(es)) {
        *end = true; /* the client reconnects with Last-Event-ID and misses nothing */
        return;
    }
    if (es->out.len == 0 && (due & EVENT_SUB_HEARTBEAT) != 0)
        buf_puts(&es->out, ": keep-alive\n\n");
}

static size_t stream_fill(void *cls, char *dest, size_t max, bool *end)
{
    event_stream *es = cls;
    if (es->out_off == es->out.len) {
        es->out_off = 0;
        buf_reset(&es->out);
        refill(es, end);
        if (*end)
            return 0;
    }
    size_t n = es->out.len - es->out_off;
    if (n > max)
        n = max;
    memcpy(dest, es->out.data + es->out_off, n);
    es->out_off += n;
    return n;
}

static void stream_wake(void *cls)
{
    event_stream *es = cls;
    http_stream_wake(es->stream);
}

static bool stream_gone(void *cls)
{
    event_stream *es = cls;
    return http_stream_client_gone(es->stream);
}

static void stream_close(void *cls)
{
    event_stream *es = cls;
    es->sub = event_sub_cancel(es->sub);
    if (es->token != NULL) {
        explicit_bzero(es->token, strlen(es->token));
        free(es->token);
    }
    buf_free(&es->out);
    free(es);
}

/* The resume point: Last-Event-ID (what EventSource sends on reconnect) wins over ?last_event_id=. */
static bool last_event_id_or_reply(http_request *req, int64_t *out, bool *given)
{
    const char *header = http_header(req, "Last-Event-ID");
    *given = false;
    if (header != NULL && *header != '\0') {
        char *end;
        errno = 0;
        long long value = strtoll(header, &end, 10);
        if (errno != 0 || *end != '\0' || value < 0 || header[0] < '0' || header[0] > '9') {
            reply_fault_of(req, KITE_ERR_INVALID_FIELD, "Last-Event-ID", FAULT_NOT_INTEGER);
            return false;
        }
        *out = value;
        *given = true;
        return true;
    }
    int64_t value;
    if (!query_int_or_reply(req, "last_event_id", 0, INT64_MAX, -1, &value))
        return false;
    *given = value >= 0;
    *out = *given ? value : 0;
    return true;
}

void handle_events(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, PARTIES);
    int64_t cursor = 0;
    bool resume = false;
    if (s == NULL || !last_event_id_or_reply(req, &cursor, &resume))
        return;
    if (app->events == NULL) {
        reply_fault_of(req, KITE_ERR_BUSY, NULL, FAULT_LIVE_EVENTS);
        return;
    }
    kite_err err = resume ? KITE_OK : event_latest_id(&app->ctx, s->account.id, &cursor);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    event_sub *sub = NULL;
    err = event_hub_subscribe(app->events, s->account.id, &sub);
    if (err != KITE_OK) {
        kite_fault fault;
        fault_set(&fault, err, NULL, FAULT_STREAMS);
        fault.retry_after_ms = RETRY_AFTER_S * 1000LL;
        reply_fault(req, &fault);
        return;
    }
    event_stream *es = xcalloc(1, sizeof *es);
    es->ctx = &app->ctx;
    es->sub = sub;
    es->account_id = s->account.id;
    es->cursor = cursor;
    buf_init(&es->out, NULL);
    const char *token = session_token(req, NULL); /* the one require_role_or_reply accepted */
    es->token = xstrdup(token != NULL ? token : "");
    http_reply_header(req, "X-Accel-Buffering", "no"); /* proxies: pass each event on at once */
    http_stream_source source = {stream_fill, stream_close, es};
    http_stream *stream = http_reply_stream(req, 200, "text/event-stream", &source);
    if (stream == NULL)
        return; /* es is gone: close ran */
    es->stream = stream;
    event_sub_arm(es->sub, stream_wake, stream_gone, es);
}
