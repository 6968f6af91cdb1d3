/*
 * outbox.c - the outbox table and the mailer thread that empties it.
 *
 * Design: a mail is a row.  outbox_enqueue() inserts it inside the caller's
 * transaction; the mailer claims due rows in one db_write, talks SMTP with
 * no transaction open (a slow relay must never hold the write lock), then
 * records each outcome in its own db_write.  Every state change is
 * conditional on status = 'pending', so a mail recorded as sent can never be
 * claimed, sent or failed again.  The only window for a duplicate is a crash
 * between the relay's "250" and the commit of the mark; the Message-ID is the
 * same on the resend, so the receiver can tell.
 *
 * Times come from the kite_ctx clock; the wait between polls uses the
 * monotonic clock, so that mailer_stop() wakes the thread at once.
 *
 * SECURITY: addresses, subjects and bodies were validated when queued and
 * are re-validated by mail_format() before sending.  The SMTP URL may carry
 * credentials: it is never logged or stored; errors recorded in last_error
 * are libcurl's messages (host, port, SMTP codes), not the URL.
 */
#include "mail/outbox.h"

#include "core/alloc.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/text.h"
#include "mail/mail_format.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    POLL_MS = 1000,                         /* between looks for due mail */
    LEASE_MS = 5 * 60 * 1000,               /* a claimed mail is left alone this long */
    BACKOFF_FIRST_MS = 2000,
    BACKOFF_CAP_MS = 15 * 60 * 1000,
    CONNECT_TIMEOUT_MS = 10 * 1000,
    SEND_TIMEOUT_MS = 60 * 1000,
    STOP_GRACE_MS = 3 * 1000,               /* after mailer_stop, how long a send may still take */
    LAST_ERROR_MAX = 300,
};

/* ---- queueing ---- */

kite_err outbox_enqueue(db_conn *conn, int64_t now, const mail *m, int64_t *id_out)
{
    if (!mail_address_valid(m->to) || m->subject == NULL || m->subject[0] == '\0' ||
        !mail_line_valid(m->subject, MAIL_SUBJECT_MAX) || m->text == NULL || !utf8_valid(m->text, strlen(m->text)) ||
        m->html == NULL || !utf8_valid(m->html, strlen(m->html)) || m->kind == NULL || m->kind[0] == '\0' ||
        !mail_line_valid(m->kind, 64))
        return KITE_ERR_INVALID_FIELD;
    db_stmt *insert = db_prepare(conn,
        "INSERT INTO outbox (to_address, subject, text_body, html_body, kind, status, attempts,"
        " next_attempt_at, last_error, created_at, sent_at)"
        " VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, NULL, $6, NULL) RETURNING id");
    db_bind_text(insert, 1, m->to);
    db_bind_text(insert, 2, m->subject);
    db_bind_text(insert, 3, m->text);
    db_bind_text(insert, 4, m->html);
    db_bind_text(insert, 5, m->kind);
    db_bind_int(insert, 6, now);
    int64_t id = 0;
    if (db_next(insert))
        id = db_int(insert, 0);
    kite_err err = db_done(insert);
    if (err == KITE_OK && id_out != NULL)
        *id_out = id;
    return err;
}

int64_t outbox_backoff_ms(int64_t attempts)
{
    int64_t delay = BACKOFF_FIRST_MS;
    for (int64_t i = 1; i < attempts && delay < BACKOFF_CAP_MS; i++)
        delay *= 2;
    return delay < BACKOFF_CAP_MS ? delay : BACKOFF_CAP_MS;
}

/* ---- listing ---- */

struct list_query {
    arena *a;
    const char *status;
    size_t limit;
    outbox_entry *items;
    size_t count;
};

#define LIST_COLUMNS \
    "id, to_address, subject, kind, status, text_body, attempts, created_at, next_attempt_at, sent_at, last_error"

static kite_err list_tx(db_conn *conn, void *data)
{
    struct list_query *q = data;
    int64_t limit = q->limit > 0 && q->limit < INT64_MAX ? (int64_t)q->limit : INT64_MAX;
    db_stmt *s;
    if (q->status != NULL) {
        s = db_prepare(conn, "SELECT " LIST_COLUMNS " FROM outbox WHERE status = $1"
                             " ORDER BY created_at DESC, id DESC LIMIT $2");
        db_bind_text(s, 1, q->status);
        db_bind_int(s, 2, limit);
    } else {
        /* $1 only: PostgreSQL cannot type a parameter that the statement skips. */
        s = db_prepare(conn, "SELECT " LIST_COLUMNS " FROM outbox ORDER BY created_at DESC, id DESC LIMIT $1");
        db_bind_int(s, 1, limit);
    }
    size_t cap = 0;
    while (db_next(s)) {
        if (q->count == cap) {
            size_t new_cap = cap ? cap * 2 : 16;
            outbox_entry *grown = arena_alloc(q->a, new_cap * sizeof *grown);
            if (q->count > 0)
                memcpy(grown, q->items, q->count * sizeof *grown);
            q->items = grown;
            cap = new_cap;
        }
        outbox_entry *e = &q->items[q->count++];
        e->id = db_int(s, 0);
        e->to = arena_strdup(q->a, db_text(s, 1));
        e->subject = arena_strdup(q->a, db_text(s, 2));
        e->kind = arena_strdup(q->a, db_text(s, 3));
        e->status = arena_strdup(q->a, db_text(s, 4));
        e->text = arena_strdup(q->a, db_text(s, 5));
        e->attempts = db_int(s, 6);
        e->created_at = db_int(s, 7);
        e->next_attempt_at = db_int(s, 8);
        e->sent_at = db_is_null(s, 9) ? 0 : db_int(s, 9);
        e->last_error = arena_strdup(q->a, db_text(s, 10));
    }
    return db_done(s);
}

kite_err outbox_list(const kite_ctx *ctx, arena *a, const char *status, size_t limit, outbox_entry **items,
                     size_t *count)
{
    struct list_query q = {.a = a, .status = status, .limit = limit};
    kite_err err = db_read(ctx->store, list_tx, &q);
    if (err != KITE_OK)
        return err;
    *items = q.items;
    *count = q.count;
    return KITE_OK;
}

/* ---- the mailer ---- */

struct mailer {
    const kite_ctx *ctx;
    char *smtp_url;      /* may hold credentials: never logged */
    char *from;          /* the From mailbox */
    char *envelope_from; /* "<addr>" for MAIL FROM */
    pthread_t thread;
    pthread_mutex_t lock; /* guards stopping, stop_at */
    pthread_cond_t wake;
    bool stopping;
    int64_t stop_at; /* monotonic ms of mailer_stop */
};

typedef struct due_mail {
    int64_t id, attempts, created_at;
    const char *to, *subject, *text, *html, *kind;
    bool claimed;
} due_mail;

struct claim {
    arena *a;
    int64_t now;
    due_mail items[OUTBOX_BATCH];
    size_t count;
};

static kite_err claim_tx(db_conn *conn, void *data)
{
    struct claim *c = data;
    c->count = 0;
    db_stmt *s = db_prepare(conn,
        "SELECT id, attempts, created_at, to_address, subject, text_body, html_body, kind FROM outbox"
        " WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY id LIMIT $2");
    db_bind_int(s, 1, c->now);
    db_bind_int(s, 2, OUTBOX_BATCH);
    while (c->count < OUTBOX_BATCH && db_next(s)) {
        due_mail *d = &c->items[c->count++];
        d->id = db_int(s, 0);
        d->attempts = db_int(s, 1);
        d->created_at = db_int(s, 2);
        d->to = arena_strdup(c->a, db_text(s, 3));
        d->subject = arena_strdup(c->a, db_text(s, 4));
        d->text = arena_strdup(c->a, db_text(s, 5));
        d->html = arena_strdup(c->a, db_text(s, 6));
        d->kind = arena_strdup(c->a, db_text(s, 7));
        d->claimed = false;
    }
    kite_err err = db_done(s);
    for (size_t i = 0; err == KITE_OK && i < c->count; i++) {
        db_stmt *u = db_prepare(conn,
            "UPDATE outbox SET next_attempt_at = $2 WHERE id = $1 AND status = 'pending' AND next_attempt_at <= $3");
        db_bind_int(u, 1, c->items[i].id);
        db_bind_int(u, 2, c->now + LEASE_MS);
        db_bind_int(u, 3, c->now);
        err = db_exec(u);
        c->items[i].claimed = err == KITE_OK && db_changes(conn) == 1;
    }
    return err;
}

struct outcome {
    int64_t id, now;
    bool sent;
    int64_t attempts; /* after this one */
    const char *error;
    bool permanent; /* the error cannot go away by retrying: fail now */
    bool release; /* not attempted (stopping): make it due again, count nothing */
};

static kite_err outcome_tx(db_conn *conn, void *data)
{
    const struct outcome *o = data;
    db_stmt *u;
    if (o->release) {
        u = db_prepare(conn, "UPDATE outbox SET next_attempt_at = $2 WHERE id = $1 AND status = 'pending'");
        db_bind_int(u, 1, o->id);
        db_bind_int(u, 2, o->now);
    } else if (o->sent) {
        u = db_prepare(conn,
            "UPDATE outbox SET status = 'sent', sent_at = $2, attempts = $3, last_error = NULL"
            " WHERE id = $1 AND status = 'pending'");
        db_bind_int(u, 1, o->id);
        db_bind_int(u, 2, o->now);
        db_bind_int(u, 3, o->attempts);
    } else {
        u = db_prepare(conn,
            "UPDATE outbox SET status = $2, attempts = $3, last_error = $4, next_attempt_at = $5"
            " WHERE id = $1 AND status = 'pending'");
        db_bind_int(u, 1, o->id);
        db_bind_text(u, 2, o->permanent || o->attempts >= OUTBOX_MAX_ATTEMPTS ? "failed" : "pending");
        db_bind_int(u, 3, o->attempts);
        db_bind_text(u, 4, o->error);
        db_bind_int(u, 5, o->now + outbox_backoff_ms(o->attempts));
    }
    return db_exec(u);
}

static kite_err due_now_tx(db_conn *conn, void *data)
{
    const int64_t *now = data;
    db_stmt *u = db_prepare(conn,
        "UPDATE outbox SET next_attempt_at = $1 WHERE status = 'pending' AND next_attempt_at > $1");
    db_bind_int(u, 1, *now);
    return db_exec(u);
}

static bool mailer_stopping(mailer *m, int64_t *stop_at)
{
    pthread_mutex_lock(&m->lock);
    bool stopping = m->stopping;
    if (stop_at != NULL)
        *stop_at = m->stop_at;
    pthread_mutex_unlock(&m->lock);
    return stopping;
}

/* Waits up to ms, or until mailer_stop. */
static void mailer_sleep(mailer *m, int64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)(ms / 1000);
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&m->lock);
    int rc = 0;
    while (!m->stopping && rc == 0)
        rc = pthread_cond_timedwait(&m->wake, &m->lock, &until);
    pthread_mutex_unlock(&m->lock);
}

struct upload {
    const char *data;
    size_t len, pos;
};

static size_t upload_read(char *buf, size_t size, size_t nitems, void *userp)
{
    struct upload *u = userp;
    size_t room = size * nitems;
    size_t n = u->len - u->pos < room ? u->len - u->pos : room;
    memcpy(buf, u->data + u->pos, n);
    u->pos += n;
    return n;
}

/* Lets a send run on after mailer_stop for STOP_GRACE_MS, then aborts it. */
static int send_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    int64_t stop_at = 0;
    if (mailer_stopping(userp, &stop_at) && clock_mono_ms() - stop_at > STOP_GRACE_MS)
        return 1;
    return 0;
}

/* The error as it is kept: one line of printable ASCII, at most LAST_ERROR_MAX bytes. */
static const char *clean_error(arena *a, const char *text)
{
    char *out = arena_strndup(a, text, LAST_ERROR_MAX);
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7F)
            *p = ' ';
    size_t len = strlen(out);
    while (len > 0 && out[len - 1] == ' ')
        out[--len] = '\0';
    return out;
}

/* Sends one mail; NULL on success, else why not (arena), *permanent when retrying cannot help. */
static const char *send_one(mailer *m, arena *a, const due_mail *d, bool *permanent)
{
    mail_message msg = {m->from, d->to, d->subject, d->text, d->html, d->id, d->created_at};
    struct upload up = {0};
    *permanent = false;
    if (mail_format(a, &msg, &up.data, &up.len) != KITE_OK) {
        *permanent = true; /* only a row changed behind the outbox's back can get here */
        return "the mail cannot be formatted (invalid address or subject)";
    }
    CURL *curl = curl_easy_init();
    if (curl == NULL)
        return "libcurl could not start";
    char errbuf[CURL_ERROR_SIZE] = "";
    const char *rcpt_addr = arena_sprintf(a, "<%s>", d->to);
    struct curl_slist *rcpt = curl_slist_append(NULL, rcpt_addr);
    curl_easy_setopt(curl, CURLOPT_URL, m->smtp_url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#endif
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, m->envelope_from);
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, upload_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &up);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up.len);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)SEND_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, send_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, m);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = curl_easy_perform(curl);
    long smtp_code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &smtp_code);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(curl);
    if (rc == CURLE_OK)
        return NULL;
    const char *why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
    if (rc == CURLE_ABORTED_BY_CALLBACK)
        why = "stopped while sending (the server did not answer in time)";
    return clean_error(a, smtp_code > 0 ? arena_sprintf(a, "%s (last SMTP reply %ld)", why, smtp_code) : why);
}

static void record(mailer *m, const struct outcome *o)
{
    kite_err err = db_write(m->ctx->store, outcome_tx, (void *)o);
    if (err != KITE_OK)
        log_error("mail: cannot record the outcome for outbox %" PRId64 " (%s)%s", o->id, kite_err_code(err),
                  o->sent ? "; it may be sent again after the claim expires" : "");
}

/* Claims and sends one batch; returns how many mails were claimed. */
static size_t mailer_deliver_batch(mailer *m)
{
    arena *a = arena_new();
    struct claim c = {.a = a, .now = clock_now_ms(&m->ctx->clock)};
    kite_err err = db_write(m->ctx->store, claim_tx, &c);
    if (err != KITE_OK) {
        log_error("mail: cannot claim due mail (%s)", kite_err_code(err));
        arena_free(a);
        return 0;
    }
    size_t claimed = 0;
    for (size_t i = 0; i < c.count; i++) {
        const due_mail *d = &c.items[i];
        if (!d->claimed)
            continue;
        claimed++;
        struct outcome o = {.id = d->id, .attempts = d->attempts + 1};
        if (mailer_stopping(m, NULL)) {
            o.release = true; /* not tried: due again at the next start */
            o.now = clock_now_ms(&m->ctx->clock);
            record(m, &o);
            continue;
        }
        o.error = send_one(m, a, d, &o.permanent);
        o.sent = o.error == NULL;
        o.now = clock_now_ms(&m->ctx->clock);
        record(m, &o);
        if (o.sent)
            log_info("mail: sent outbox %" PRId64 " (%s), attempt %" PRId64, d->id, d->kind, o.attempts);
        else if (o.permanent || o.attempts >= OUTBOX_MAX_ATTEMPTS)
            log_error("mail: outbox %" PRId64 " (%s) failed for good after %" PRId64 " attempt(s): %s", d->id, d->kind,
                      o.attempts, o.error);
        else
            log_warn("mail: outbox %" PRId64 " (%s) attempt %" PRId64 " failed: %s; next try in %" PRId64 " s", d->id,
                     d->kind, o.attempts, o.error, outbox_backoff_ms(o.attempts) / 1000);
    }
    arena_free(a);
    return claimed;
}

static void *mailer_main(void *arg)
{
    mailer *m = arg;
    int64_t now = clock_now_ms(&m->ctx->clock);
    kite_err err = db_write(m->ctx->store, due_now_tx, &now);
    if (err != KITE_OK)
        log_error("mail: cannot reschedule pending mail (%s)", kite_err_code(err));
    while (!mailer_stopping(m, NULL)) {
        if (mailer_deliver_batch(m) < OUTBOX_BATCH)
            mailer_sleep(m, POLL_MS);
    }
    return NULL;
}

/* "smtp://host:port" without any user:password@, for the log (libcurl parses it as it will use it). */
static const char *url_for_log(arena *a, const char *url)
{
    const char *shown = "(an SMTP URL that libcurl cannot parse)";
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
            shown = arena_sprintf(a, "%s://%s:%s", scheme, host, port);
        else
            shown = arena_sprintf(a, "%s://%s", scheme, host);
    }
    curl_free(port);
    curl_free(host);
    curl_free(scheme);
    curl_url_cleanup(u);
    return shown;
}

mailer *mailer_start(const kite_ctx *ctx, const char *smtp_url)
{
    if (smtp_url == NULL)
        return NULL;
    arena *a = arena_new();
    const char *from = ctx->mail_from != NULL ? ctx->mail_from : OUTBOX_DEFAULT_FROM;
    const char *name, *addr, *domain;
    if (mail_mailbox_parse(a, from, &name, &addr, &domain) != KITE_OK) {
        log_error("mail: the sender \"%s\" is not a valid mailbox; mail stays in the store", from);
        arena_free(a);
        return NULL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("mail: libcurl cannot start; mail stays in the store");
        arena_free(a);
        return NULL;
    }
    mailer *m = xcalloc(1, sizeof *m);
    m->ctx = ctx;
    m->smtp_url = xstrdup(smtp_url);
    m->from = xstrdup(from);
    m->envelope_from = xstrdup(arena_sprintf(a, "<%s>", addr));
    pthread_mutex_init(&m->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&m->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&m->thread, NULL, mailer_main, m) != 0) {
        log_error("mail: cannot start the mailer thread; mail stays in the store");
        pthread_cond_destroy(&m->wake);
        pthread_mutex_destroy(&m->lock);
        free(m->envelope_from);
        free(m->from);
        free(m->smtp_url);
        free(m);
        curl_global_cleanup();
        arena_free(a);
        return NULL;
    }
    log_info("mail: delivering through %s as %s", url_for_log(a, smtp_url), addr);
    arena_free(a);
    return m;
}

mailer *mailer_stop(mailer *m)
{
    if (m == NULL)
        return NULL;
    pthread_mutex_lock(&m->lock);
    m->stopping = true;
    m->stop_at = clock_mono_ms();
    pthread_cond_signal(&m->wake);
    pthread_mutex_unlock(&m->lock);
    pthread_join(m->thread, NULL);
    pthread_cond_destroy(&m->wake);
    pthread_mutex_destroy(&m->lock);
    free(m->envelope_from);
    free(m->from);
    free(m->smtp_url);
    free(m);
    curl_global_cleanup();
    return NULL;
}
