/*
 * outbox.c - the outbox table: queueing, listing, and the claims and
 * outcomes of delivery.
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
 * A claim is a lease: next_attempt_at moves LEASE_MS ahead, and last_error
 * is cleared, which is what tells a lease from a back-off (a failure always
 * records its error).  Several kite processes may run mailers on one store;
 * when one starts, outbox_make_due() brings forward the mail waiting out a
 * back-off and never a lease, which may belong to a mailer still sending
 * it.  A lease left by a process that died is taken again when it expires.
 *
 * SECURITY: recipients, subjects and bodies come from people (an invitation
 * address, a name in a subject).  They are validated here before they are
 * stored (one bare address, one line, UTF-8) and again by mail_format()
 * before they are sent, so a row changed behind the outbox's back still
 * cannot add a header or a recipient.
 */
#include "mail/outbox.h"

#include "core/text.h"
#include "mail/mail_format.h"

#include <stdbool.h>
#include <string.h>

enum {
    LEASE_MS = 5 * 60 * 1000, /* a claimed mail is left alone this long */
    BACKOFF_FIRST_MS = 2000,
    BACKOFF_CAP_MS = 15 * 60 * 1000,
};

/* ---- queueing ---- */

kite_err outbox_enqueue(db_conn *conn, int64_t now, const mail *m, int64_t *id_out)
{
    if (!mail_address_valid(m->to) || m->subject == NULL || m->subject[0] == '\0' ||
        !mail_line_valid(m->subject, MAIL_SUBJECT_MAX) || m->text == NULL || !utf8_valid(m->text, strlen(m->text)) ||
        m->html == NULL || !utf8_valid(m->html, strlen(m->html)) || m->kind == NULL || m->kind[0] == '\0' ||
        !mail_line_valid(m->kind, 64) || (m->lang != NULL && !mail_lang_valid(m->lang)))
        return KITE_ERR_INVALID_FIELD;
    db_stmt *insert = db_prepare(conn,
        "INSERT INTO outbox (to_address, subject, text_body, html_body, kind, status, attempts,"
        " next_attempt_at, last_error, created_at, sent_at, lang)"
        " VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, NULL, $6, NULL, $7) RETURNING id");
    db_bind_text(insert, 1, m->to);
    db_bind_text(insert, 2, m->subject);
    db_bind_text(insert, 3, m->text);
    db_bind_text(insert, 4, m->html);
    db_bind_text(insert, 5, m->kind);
    db_bind_int(insert, 6, now);
    db_bind_text(insert, 7, m->lang != NULL ? m->lang : "en");
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

static void read_entry(db_stmt *s, arena *a, outbox_entry *e)
{
    e->id = db_int(s, 0);
    e->to = arena_strdup(a, db_text(s, 1));
    e->subject = arena_strdup(a, db_text(s, 2));
    e->kind = arena_strdup(a, db_text(s, 3));
    e->status = arena_strdup(a, db_text(s, 4));
    e->text = arena_strdup(a, db_text(s, 5));
    e->attempts = db_int(s, 6);
    e->created_at = db_int(s, 7);
    e->next_attempt_at = db_int(s, 8);
    e->sent_at = db_is_null(s, 9) ? 0 : db_int(s, 9);
    e->last_error = arena_strdup(a, db_text(s, 10));
}

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
        read_entry(s, q->a, &q->items[q->count++]);
    }
    return db_done(s);
}

struct get_query {
    arena *a;
    int64_t id;
    outbox_entry *out;
    bool found;
};

static kite_err get_tx(db_conn *conn, void *data)
{
    struct get_query *q = data;
    db_stmt *s = db_prepare(conn, "SELECT " LIST_COLUMNS " FROM outbox WHERE id = $1");
    db_bind_int(s, 1, q->id);
    q->found = db_next(s);
    if (q->found)
        read_entry(s, q->a, q->out);
    return db_done(s);
}

kite_err outbox_get(db *store, arena *a, int64_t id, outbox_entry *out)
{
    memset(out, 0, sizeof *out);
    struct get_query q = {a, id, out, false};
    kite_err err = db_read(store, get_tx, &q);
    return err != KITE_OK ? err : q.found ? KITE_OK : KITE_ERR_NOT_FOUND;
}

kite_err outbox_list(db *store, arena *a, const char *status, size_t limit, outbox_entry **items,
                     size_t *count)
{
    struct list_query q = {.a = a, .status = status, .limit = limit};
    kite_err err = db_read(store, list_tx, &q);
    if (err != KITE_OK)
        return err;
    *items = q.items;
    *count = q.count;
    return KITE_OK;
}

/* ---- claims and outcomes ---- */

struct claim {
    arena *a;
    int64_t now;
    outbox_due *out;
    size_t count;
};

static kite_err claim_tx(db_conn *conn, void *data)
{
    struct claim *c = data;
    outbox_due found[OUTBOX_BATCH];
    size_t n = 0;
    c->count = 0;
    db_stmt *s = db_prepare(conn,
        "SELECT id, attempts, created_at, to_address, subject, text_body, html_body, kind, lang FROM outbox"
        " WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY id LIMIT $2");
    db_bind_int(s, 1, c->now);
    db_bind_int(s, 2, OUTBOX_BATCH);
    while (n < OUTBOX_BATCH && db_next(s)) {
        outbox_due *d = &found[n++];
        d->id = db_int(s, 0);
        d->attempts = db_int(s, 1);
        d->created_at = db_int(s, 2);
        d->to = arena_strdup(c->a, db_text(s, 3));
        d->subject = arena_strdup(c->a, db_text(s, 4));
        d->text = arena_strdup(c->a, db_text(s, 5));
        d->html = arena_strdup(c->a, db_text(s, 6));
        d->lang = arena_strdup(c->a, db_text(s, 8));
        d->kind = arena_strdup(c->a, db_text(s, 7));
    }
    kite_err err = db_done(s);
    for (size_t i = 0; err == KITE_OK && i < n; i++) {
        db_stmt *u = db_prepare(conn,
            "UPDATE outbox SET next_attempt_at = $2, last_error = NULL"
            " WHERE id = $1 AND status = 'pending' AND next_attempt_at <= $3");
        db_bind_int(u, 1, found[i].id);
        db_bind_int(u, 2, c->now + LEASE_MS);
        db_bind_int(u, 3, c->now);
        err = db_exec(u);
        if (err == KITE_OK && db_changes(conn) == 1)
            c->out[c->count++] = found[i];
    }
    return err;
}

kite_err outbox_claim_due(db *store, arena *a, int64_t now, outbox_due out[OUTBOX_BATCH], size_t *count)
{
    struct claim c = {.a = a, .now = now, .out = out};
    kite_err err = db_write(store, claim_tx, &c);
    *count = err == KITE_OK ? c.count : 0;
    return err;
}

static kite_err outcome_tx(db_conn *conn, void *data)
{
    const outbox_outcome *o = data;
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

kite_err outbox_record(db *store, const outbox_outcome *o)
{
    return db_write(store, outcome_tx, (void *)o);
}

static kite_err due_now_tx(db_conn *conn, void *data)
{
    const int64_t *now = data;
    db_stmt *u = db_prepare(conn,
        "UPDATE outbox SET next_attempt_at = $1"
        " WHERE status = 'pending' AND next_attempt_at > $1 AND last_error IS NOT NULL");
    db_bind_int(u, 1, *now);
    return db_exec(u);
}

kite_err outbox_make_due(db *store, int64_t now)
{
    return db_write(store, due_now_tx, &now);
}
