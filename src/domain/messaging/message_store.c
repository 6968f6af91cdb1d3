/*
 * message_store.c - what message.c and review.c share: reading a message row,
 * recording a transition (history, SSE event, audit) and delivering.  All of
 * it runs inside the caller's transaction.
 */
#include "domain/messaging/message_store.h"

#include "domain/audit/audit.h"
#include "domain/messaging/attachment.h"
#include "domain/messaging/event.h"
#include "domain/messaging/message_charge.h"
#include "mail/notice.h"

#include <inttypes.h>
#include <string.h>

void message_read_row(db_stmt *s, arena *a, message *m)
{
    memset(m, 0, sizeof *m);
    m->id = db_int(s, 0);
    m->contact_id = db_int(s, 1);
    m->facility_id = db_int(s, 2);
    m->resident_id = db_int(s, 3);
    m->sender_account_id = db_int(s, 4);
    m->recipient_account_id = db_int(s, 5);
    m->sender_name = arena_strdup(a, db_text(s, 6));
    m->recipient_name = arena_strdup(a, db_text(s, 7));
    /* Rows hold only names from the tables; were one not, the message would stay out of everyone's way. */
    m->direction = MESSAGE_TO_RESIDENT;
    (void)message_direction_parse(db_text(s, 8), &m->direction);
    m->subject = arena_strdup(a, db_text(s, 9));
    m->body = arena_strdup(a, db_text(s, 10));
    m->status = MESSAGE_REJECTED;
    (void)message_status_parse(db_text(s, 11), &m->status);
    m->held = db_int(s, 12) != 0;
    m->flagged = db_int(s, 13) != 0;
    m->price_cents = db_int(s, 14);
    m->reject_reason = arena_strdup(a, db_text(s, 15));
    m->reject_note = arena_strdup(a, db_text(s, 16));
    m->created_at = db_int(s, 17);
    m->decided_at = db_int(s, 18);
    m->delivered_at = db_int(s, 19);
    m->read_at = db_int(s, 20);
    m->reject_label = arena_strdup(a, db_text(s, 21));
    m->price_amount = db_int(s, 22);
    m->price_unit = LEDGER_CENTS;
    (void)ledger_unit_parse(db_text(s, 23), &m->price_unit);
    /* A message that cost nothing has no hold; a row with a hold has names from the ledger's tables. */
    m->has_hold = ledger_hold_state_parse(db_text(s, 24), &m->hold_state);
    m->hold_amount = db_int(s, 25);
    m->hold_unit = LEDGER_CENTS;
    (void)ledger_unit_parse(db_text(s, 26), &m->hold_unit);
    m->hold_created_at = db_int(s, 27);
    m->hold_settled_at = db_int(s, 28);
    m->privileged = db_int(s, 29) != 0;
    m->purged_at = db_int(s, 30);
    m->size_bytes = (int64_t)(strlen(m->subject) + strlen(m->body));
}

bool message_is_party(const message *m, int64_t viewer_id)
{
    return viewer_id == m->sender_account_id || viewer_id == m->recipient_account_id;
}

void message_withhold_content(message *m)
{
    if (!m->privileged)
        return;
    m->subject = NULL;
    m->body = NULL;
    m->matches = NULL;
    m->match_count = 0;
    m->attachment_ids = NULL;
    m->attachment_count = 0;
    m->video_ids = NULL;
    m->video_count = 0;
    m->content_withheld = true;
}

kite_err message_load(db_conn *conn, arena *a, int64_t id, message *out)
{
    db_stmt *s = db_prepare(conn, MESSAGE_SELECT " WHERE m.id = $1");
    db_bind_int(s, 1, id);
    bool found = db_next(s);
    if (found)
        message_read_row(s, a, out);
    kite_err err = db_done(s);
    return err != KITE_OK ? err : found ? KITE_OK : KITE_ERR_NOT_FOUND;
}

kite_err message_load_details(db_conn *conn, arena *a, message *m)
{
    size_t cap = 8;
    m->events = arena_alloc(a, cap * sizeof *m->events);
    db_stmt *ev = db_prepare(conn, "SELECT status, at, actor FROM message_events WHERE message_id = $1 ORDER BY id");
    db_bind_int(ev, 1, m->id);
    while (db_next(ev)) {
        m->events = arena_grow(a, m->events, m->event_count, &cap, sizeof *m->events);
        message_status status = MESSAGE_REJECTED;
        (void)message_status_parse(db_text(ev, 0), &status);
        m->events[m->event_count++] = (message_event){status, db_int(ev, 1), arena_strdup(a, db_text(ev, 2))};
    }
    kite_err err = db_done(ev);
    if (err != KITE_OK)
        return err;
    m->matches = arena_alloc(a, MESSAGE_MATCHES_SHOWN * sizeof *m->matches);
    db_stmt *mt = db_prepare(conn,
        "SELECT x.rule_id, r.kind, x.action, x.matched FROM message_rule_matches x"
        " JOIN screening_rules r ON r.id = x.rule_id WHERE x.message_id = $1 ORDER BY x.rule_id LIMIT $2");
    db_bind_int(mt, 1, m->id);
    db_bind_int(mt, 2, MESSAGE_MATCHES_SHOWN);
    while (db_next(mt)) {
        rule_kind kind = RULE_PATTERN;
        rule_action action = RULE_FLAG;
        (void)rule_kind_parse(db_text(mt, 1), &kind);
        (void)rule_action_parse(db_text(mt, 2), &action);
        m->matches[m->match_count++] = (rule_match){db_int(mt, 0), kind, action, arena_strdup(a, db_text(mt, 3))};
    }
    if ((err = db_done(mt)) != KITE_OK)
        return err;
    m->attachment_ids = arena_alloc(a, MESSAGE_MAX_ATTACHMENTS * sizeof *m->attachment_ids);
    m->video_ids = arena_alloc(a, MESSAGE_MAX_ATTACHMENTS * sizeof *m->video_ids);
    m->video_count = 0;
    db_stmt *at = db_prepare(conn, "SELECT id, kind FROM attachments WHERE message_id = $1 ORDER BY id LIMIT $2");
    db_bind_int(at, 1, m->id);
    db_bind_int(at, 2, MESSAGE_MAX_ATTACHMENTS);
    while (db_next(at)) {
        m->attachment_ids[m->attachment_count++] = db_int(at, 0);
        if (attachment_kind_parse(db_text(at, 1)) == ATTACHMENT_VIDEO)
            m->video_ids[m->video_count++] = db_int(at, 0);
    }
    return db_done(at);
}

/*
 * A page of messages loads its details in a few statements rather than
 * three per message: each query names up to DETAILS_CHUNK messages in an
 * IN list of bound parameters (the unused ones bound to 0, which no message
 * has), and its rows, ordered by message, are handed to their message.
 * One fixed text per query keeps a single cached statement on both engines.
 */
enum { DETAILS_CHUNK = 25 };
#define IN_CHUNK                                                                                      \
    " IN ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21," \
    " $22, $23, $24, $25)"
_Static_assert(DETAILS_CHUNK == 25, "IN_CHUNK names 25 parameters");

/* The message of a detail row: rows come ordered by message id, so the previous one is usually it. */
static message *owner_of(message **chunk, size_t n, int64_t id, size_t *hint)
{
    for (size_t k = 0; k < n; k++) {
        size_t i = (*hint + k) % n;
        if (chunk[i]->id == id) {
            *hint = i;
            return chunk[i];
        }
    }
    return NULL;
}

static void bind_chunk(db_stmt *s, message **chunk, size_t n)
{
    for (size_t i = 0; i < DETAILS_CHUNK; i++)
        db_bind_int(s, (int)i + 1, i < n ? chunk[i]->id : 0);
}

static kite_err load_events(db_conn *conn, arena *a, message **chunk, size_t n)
{
    if (n == 0)
        return KITE_OK;
    db_stmt *ev = db_prepare(conn, "SELECT message_id, status, at, actor FROM message_events WHERE message_id" IN_CHUNK
                                   " ORDER BY message_id, id");
    bind_chunk(ev, chunk, n);
    size_t hint = 0;
    size_t *caps = arena_alloc(a, n * sizeof *caps);
    for (size_t i = 0; i < n; i++) {
        caps[i] = 8;
        chunk[i]->events = arena_alloc(a, caps[i] * sizeof *chunk[i]->events);
    }
    while (db_next(ev)) {
        message *m = owner_of(chunk, n, db_int(ev, 0), &hint);
        if (m == NULL)
            continue;
        m->events = arena_grow(a, m->events, m->event_count, &caps[hint], sizeof *m->events);
        message_status status = MESSAGE_REJECTED;
        (void)message_status_parse(db_text(ev, 1), &status);
        m->events[m->event_count++] = (message_event){status, db_int(ev, 2), arena_strdup(a, db_text(ev, 3))};
    }
    return db_done(ev);
}

static kite_err load_matches(db_conn *conn, arena *a, message **chunk, size_t n)
{
    if (n == 0)
        return KITE_OK;
    for (size_t i = 0; i < n; i++)
        chunk[i]->matches = arena_alloc(a, MESSAGE_MATCHES_SHOWN * sizeof *chunk[i]->matches);
    db_stmt *mt = db_prepare(conn,
        "SELECT x.message_id, x.rule_id, r.kind, x.action, x.matched FROM message_rule_matches x"
        " JOIN screening_rules r ON r.id = x.rule_id WHERE x.message_id" IN_CHUNK " ORDER BY x.message_id, x.rule_id");
    bind_chunk(mt, chunk, n);
    size_t hint = 0;
    while (db_next(mt)) {
        message *m = owner_of(chunk, n, db_int(mt, 0), &hint);
        if (m == NULL || m->match_count == MESSAGE_MATCHES_SHOWN)
            continue;
        rule_kind kind = RULE_PATTERN;
        rule_action action = RULE_FLAG;
        (void)rule_kind_parse(db_text(mt, 2), &kind);
        (void)rule_action_parse(db_text(mt, 3), &action);
        m->matches[m->match_count++] = (rule_match){db_int(mt, 1), kind, action, arena_strdup(a, db_text(mt, 4))};
    }
    return db_done(mt);
}

static kite_err load_attachments(db_conn *conn, arena *a, message **chunk, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        chunk[i]->attachment_ids = arena_alloc(a, MESSAGE_MAX_ATTACHMENTS * sizeof *chunk[i]->attachment_ids);
        chunk[i]->video_ids = arena_alloc(a, MESSAGE_MAX_ATTACHMENTS * sizeof *chunk[i]->video_ids);
        chunk[i]->video_count = 0;
    }
    db_stmt *at = db_prepare(conn, "SELECT message_id, id, kind FROM attachments WHERE message_id" IN_CHUNK
                                   " ORDER BY message_id, id");
    bind_chunk(at, chunk, n);
    size_t hint = 0;
    while (db_next(at)) {
        message *m = owner_of(chunk, n, db_int(at, 0), &hint);
        if (m != NULL && m->attachment_count < MESSAGE_MAX_ATTACHMENTS) {
            m->attachment_ids[m->attachment_count++] = db_int(at, 1);
            if (attachment_kind_parse(db_text(at, 2)) == ATTACHMENT_VIDEO)
                m->video_ids[m->video_count++] = db_int(at, 1);
        }
    }
    return db_done(at);
}

kite_err message_load_details_for(db_conn *conn, arena *a, message *items, size_t count, const account *viewer)
{
    bool staff = viewer->role != ROLE_CONTACT && viewer->role != ROLE_RESIDENT;
    kite_err err = KITE_OK;
    for (size_t start = 0; err == KITE_OK && start < count; start += DETAILS_CHUNK) {
        size_t n = count - start < DETAILS_CHUNK ? count - start : DETAILS_CHUNK, with_history = 0;
        message *all[DETAILS_CHUNK], *history[DETAILS_CHUNK];
        for (size_t i = 0; i < n; i++) {
            all[i] = &items[start + i];
            all[i]->event_count = all[i]->match_count = all[i]->attachment_count = 0;
            if (staff || viewer->id == all[i]->sender_account_id)
                history[with_history++] = all[i];
        }
        err = load_attachments(conn, a, all, n);
        if (err == KITE_OK)
            err = load_events(conn, a, history, with_history);
        if (err == KITE_OK && staff)
            err = load_matches(conn, a, all, n);
    }
    return err;
}

static kite_err push_event(db_conn *conn, int64_t account_id, const char *kind, const message *m, message_status status,
                           int64_t now)
{
    db_stmt *s = db_prepare(conn,
        "INSERT INTO events (account_id, kind, message_id, status, at, facility_id) VALUES ($1, $2, $3, $4, $5, $6)");
    db_bind_int(s, 1, account_id);
    db_bind_text(s, 2, kind);
    db_bind_int(s, 3, m->id);
    db_bind_text(s, 4, message_status_name(status));
    db_bind_int(s, 5, now);
    db_bind_int(s, 6, m->facility_id);
    kite_err err = db_exec(s);
    /* Other kite processes on the same PostgreSQL store wake their streams at COMMIT (event.c). */
    return err == KITE_OK ? db_notify(conn, EVENT_CHANNEL) : err;
}

kite_err message_record(db_conn *conn, arena *a, const message *m, message_status status, int64_t now, const char *actor)
{
    db_stmt *s = db_prepare(conn,
        "INSERT INTO message_events (message_id, status, at, actor, facility_id) VALUES ($1, $2, $3, $4, $5)");
    db_bind_int(s, 1, m->id);
    db_bind_text(s, 2, message_status_name(status));
    db_bind_int(s, 3, now);
    db_bind_text(s, 4, actor);
    db_bind_int(s, 5, m->facility_id);
    kite_err err = db_exec(s);
    if (err == KITE_OK)
        err = push_event(conn, m->sender_account_id, "message.status", m, status, now);
    if (err == KITE_OK && status == MESSAGE_DELIVERED)
        err = push_event(conn, m->recipient_account_id, "message.new", m, status, now);
    if (err == KITE_OK)
        err = audit_append(conn, now, actor, arena_sprintf(a, "message.%s", message_status_name(status)),
                           audit_target(a, "message", m->id),
                           arena_sprintf(a, "contact=%" PRId64 " facility=%" PRId64, m->contact_id, m->facility_id));
    return err;
}

/* The multi-row INSERT of n rows of `per` parameters each: "INSERT ... VALUES ($1, ..), ($k, ..)". */
static const char *insert_rows(arena *a, const char *head, size_t n, int per)
{
    const char *sql = head;
    for (size_t i = 0; i < n; i++) {
        const char *row = "";
        for (int k = 1; k <= per; k++)
            row = arena_sprintf(a, "%s%s$%zu", row, k > 1 ? ", " : "", i * (size_t)per + (size_t)k);
        sql = arena_sprintf(a, "%s%s(%s)", sql, i > 0 ? ", " : " VALUES ", row);
    }
    return sql;
}

kite_err message_record_send(db_conn *conn, arena *a, const message *m, const message_event *steps, size_t n)
{
    if (n == 0 || n > 3)
        return KITE_ERR_INTERNAL;
    db_stmt *h = db_prepare(conn, insert_rows(a, "INSERT INTO message_events (message_id, status, at, actor, facility_id)",
                                              n, 5));
    for (size_t i = 0; i < n; i++) {
        int base = (int)i * 5;
        db_bind_int(h, base + 1, m->id);
        db_bind_text(h, base + 2, message_status_name(steps[i].status));
        db_bind_int(h, base + 3, steps[i].at);
        db_bind_text(h, base + 4, steps[i].actor);
        db_bind_int(h, base + 5, m->facility_id);
    }
    kite_err err = db_exec(h);
    if (err != KITE_OK)
        return err;
    /* The sender hears of every step; the recipient of a delivery, after the sender's last step. */
    bool delivered = steps[n - 1].status == MESSAGE_DELIVERED;
    db_stmt *e = db_prepare(conn, insert_rows(a, "INSERT INTO events (account_id, kind, message_id, status, at, facility_id)",
                                              n + (delivered ? 1 : 0), 6));
    for (size_t i = 0; i <= n; i++) {
        if (i == n && !delivered)
            break;
        const message_event *step = &steps[i < n ? i : n - 1];
        int base = (int)i * 6;
        db_bind_int(e, base + 1, i < n ? m->sender_account_id : m->recipient_account_id);
        db_bind_text(e, base + 2, i < n ? "message.status" : "message.new");
        db_bind_int(e, base + 3, m->id);
        db_bind_text(e, base + 4, message_status_name(step->status));
        db_bind_int(e, base + 5, step->at);
        db_bind_int(e, base + 6, m->facility_id);
    }
    if ((err = db_exec(e)) != KITE_OK || (err = db_notify(conn, EVENT_CHANNEL)) != KITE_OK)
        return err;
    const char *target = audit_target(a, "message", m->id);
    const char *detail = arena_sprintf(a, "contact=%" PRId64 " facility=%" PRId64, m->contact_id, m->facility_id);
    for (size_t i = 0; err == KITE_OK && i < n; i++)
        err = audit_append(conn, steps[i].at, steps[i].actor,
                           arena_sprintf(a, "message.%s", message_status_name(steps[i].status)), target, detail);
    return err;
}

kite_err message_deliver(db_conn *conn, const kite_ctx *ctx, arena *a, message *m, int64_t now, const char *actor)
{
    if (!message_transition_allowed(m->status, MESSAGE_DELIVERED))
        return KITE_ERR_CONFLICT; /* callers deliver only what they just approved */
    db_stmt *s = db_prepare(conn, "UPDATE messages SET status = $3, delivered_at = $1 WHERE id = $2");
    db_bind_int(s, 1, now);
    db_bind_int(s, 2, m->id);
    db_bind_text(s, 3, message_status_name(MESSAGE_DELIVERED));
    kite_err err = db_exec(s);
    if (err != KITE_OK || (err = message_record(conn, a, m, MESSAGE_DELIVERED, now, actor)) != KITE_OK)
        return err;
    m->status = MESSAGE_DELIVERED;
    m->delivered_at = now;
    return message_delivered(conn, ctx, a, m, now, actor, NULL);
}

kite_err message_delivered(db_conn *conn, const kite_ctx *ctx, arena *a, const message *m, int64_t now,
                           const char *actor, const char *recipient_email)
{
    /* Every path that delivers comes here, so every delivered message is paid for exactly here. */
    kite_err err = message_charge_capture(conn, now, actor, m->id, m->facility_id);
    if (err != KITE_OK || m->direction != MESSAGE_FROM_RESIDENT)
        return err;
    /* The contact hears that there is a message, never what it says; in their language, so the account is read. */
    account recipient;
    if ((err = account_load(conn, a, m->recipient_account_id, &recipient)) != KITE_OK)
        return err;
    if (recipient_email == NULL)
        recipient_email = recipient.email;
    if (recipient_email == NULL)
        return KITE_OK;
    static const notice_text words[FAULT_LANG_COUNT] = {
        [FAULT_LANG_EN] = {"New message from {name}",
                           {"{name} sent you a message on Kite.",
                            "Sign in to read it. For your privacy, this email does not contain the message."},
                           "Read the message"},
        [FAULT_LANG_ES] = {"Mensaje nuevo de {name}",
                           {"{name} le envió un mensaje en Kite.",
                            "Inicie sesión para leerlo. Para proteger su privacidad, este correo no incluye el "
                            "mensaje."},
                           "Leer el mensaje"},
    };
    const char *values[] = {"name", m->sender_name, NULL};
    notice n = {.to = recipient_email, .kind = "message_delivered", .text = words, .values = values,
                .link_path = arena_sprintf(a, "/messages/%" PRId64, m->id), .lang = recipient.lang};
    return notice_enqueue(conn, ctx->public_url, a, now, &n);
}
