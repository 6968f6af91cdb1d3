/*
 * review.c - the mail room: a facility's queue of messages waiting for a
 * person, and the decisions on them.
 *
 * Order: held first, then flagged, then oldest.  Two reviewers deciding the
 * same message race on one conditional UPDATE; exactly one wins.  A rejected
 * message tells its sender why (a reason from the facility's list and an
 * optional note) and is never shown to the recipient.
 */
#include "domain/messaging/review.h"

#include "core/buf.h"
#include "core/text.h"
#include "domain/audit/audit.h"
#include "domain/contacts/contact_rules.h"
#include "domain/messaging/message_charge.h"
#include "domain/messaging/message_store.h"
#include "mail/notice.h"
#include "domain/facility/policy.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS (24LL * 60 * 60 * 1000)
#define HOUR_MS (60LL * 60 * 1000)

/* A facility's reject reasons are read into a list of this size (the defaults fit too). */
enum { REJECT_REASONS_MAX = 32 };

static const reject_reason default_reasons[] = {
    {"security_threat", "A risk to the safety or security of the facility"},
    {"criminal_activity", "Plans for, or talk of, criminal activity"},
    {"explicit_content", "Sexually explicit content"},
    {"coded_language", "Coded or hidden language"},
    {"harassment", "Threats or harassment"},
    {"third_party_contact", "Passing on messages to or from other people"},
    {"other", "Another reason (see the note)"},
};

static kite_err load_reasons(db_conn *conn, arena *a, int64_t facility_id, reject_reason **items, size_t *count)
{
    size_t n = 0;
    reject_reason *list = arena_alloc(a, REJECT_REASONS_MAX * sizeof *list);
    db_stmt *s = db_prepare(conn, "SELECT code, label FROM facility_reject_reasons WHERE facility_id = $1 ORDER BY code LIMIT $2");
    db_bind_int(s, 1, facility_id);
    db_bind_int(s, 2, REJECT_REASONS_MAX);
    while (db_next(s))
        list[n++] = (reject_reason){arena_strdup(a, db_text(s, 0)), arena_strdup(a, db_text(s, 1))};
    kite_err err = db_done(s);
    if (n == 0) {
        _Static_assert(sizeof default_reasons / sizeof default_reasons[0] <= REJECT_REASONS_MAX, "defaults fit");
        n = sizeof default_reasons / sizeof default_reasons[0];
        memcpy(list, default_reasons, sizeof default_reasons);
    }
    *items = list;
    *count = n;
    return err;
}

struct reasons {
    arena *a;
    int64_t facility_id;
    reject_reason *items;
    size_t count;
};

static kite_err reasons_tx(db_conn *conn, void *data)
{
    struct reasons *in = data;
    return load_reasons(conn, in->a, in->facility_id, &in->items, &in->count);
}

kite_err reject_reasons_list(const kite_ctx *ctx, arena *a, int64_t facility_id, reject_reason **items, size_t *count)
{
    struct reasons in = {a, facility_id, NULL, 0};
    kite_err err = db_read(ctx->store, reasons_tx, &in);
    *items = in.items;
    *count = in.count;
    return err;
}

static int compare_int64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

struct queue {
    arena *a;
    const account *reviewer;
    int64_t facility_id;
    size_t limit;
    int64_t now;
    message *items;
    size_t count;
    queue_metrics *metrics;
};

static kite_err queue_metrics_read(db_conn *conn, struct queue *in)
{
    queue_metrics *m = in->metrics;
    policy p;
    kite_err err = policy_load(conn, in->a, in->facility_id, &p);
    m->sla_ms = err == KITE_OK ? p.review_sla_hours * HOUR_MS : 24 * HOUR_MS;
    db_stmt *depth = db_prepare(conn,
        "SELECT COUNT(*), COALESCE(MIN(created_at), 0), COALESCE(SUM(CASE WHEN created_at < $2 THEN 1 ELSE 0 END), 0)"
        " FROM messages WHERE facility_id = $1 AND status = 'pending_review'");
    db_bind_int(depth, 1, in->facility_id);
    db_bind_int(depth, 2, in->now - m->sla_ms);
    if (db_next(depth)) {
        m->depth = db_int(depth, 0);
        m->oldest_age_ms = m->depth > 0 ? in->now - db_int(depth, 1) : 0;
        m->over_sla = db_int(depth, 2);
    }
    if ((err = db_done(depth)) != KITE_OK)
        return err;
    size_t cap = 1024, n = 0;
    int64_t *took = arena_alloc(in->a, cap * sizeof *took);
    db_stmt *decided = db_prepare(conn,
        "SELECT decided_at - created_at FROM messages WHERE facility_id = $1 AND decided_at > $2"
        " AND decided_by IS NOT NULL");
    db_bind_int(decided, 1, in->facility_id);
    db_bind_int(decided, 2, in->now - DAY_MS);
    while (db_next(decided)) {
        took = arena_grow(in->a, took, n, &cap, sizeof *took);
        took[n++] = db_int(decided, 0);
    }
    if ((err = db_done(decided)) != KITE_OK)
        return err;
    qsort(took, n, sizeof *took, compare_int64);
    m->decided_24h = (int64_t)n;
    m->median_decision_ms_24h = n == 0 ? -1 : n % 2 ? took[n / 2] : (took[n / 2 - 1] + took[n / 2]) / 2;
    return KITE_OK;
}

/*
 * The page is read without the writer: one statement for the messages (the
 * partial index messages_review holds the waiting ones in the queue's
 * order), a few for their details, a few for the metrics.  The audit record
 * of what was shown is then the only write, a transaction of one row.
 */
static kite_err queue_tx(db_conn *conn, void *data)
{
    struct queue *in = data;
    db_stmt *s = db_prepare(conn, MESSAGE_SELECT " WHERE m.facility_id = $1 AND m.status = 'pending_review' AND m.privileged = 0"
                                                 " ORDER BY m.held DESC, m.flagged DESC, m.created_at, m.id LIMIT $2");
    db_bind_int(s, 1, in->facility_id);
    db_bind_int(s, 2, (int64_t)in->limit);
    in->items = arena_alloc(in->a, (in->limit ? in->limit : 1) * sizeof *in->items);
    in->count = 0;
    while (in->count < in->limit && db_next(s))
        message_read_row(s, in->a, &in->items[in->count++]);
    kite_err err = db_done(s);
    if (err == KITE_OK)
        err = message_load_details_for(conn, in->a, in->items, in->count, in->reviewer);
    return err == KITE_OK ? queue_metrics_read(conn, in) : err;
}

/* The queue shows message texts: a staff read like any other, recorded once per page. */
static kite_err queue_audit_tx(db_conn *conn, void *data)
{
    struct queue *in = data;
    buf shown;
    buf_init(&shown, in->a);
    buf_puts(&shown, "messages=");
    for (size_t i = 0; i < in->count; i++)
        buf_printf(&shown, "%s%" PRId64, i ? "," : "", in->items[i].id);
    return audit_append(conn, in->now, audit_actor_account(in->a, in->reviewer->id), "review.queue_read",
                        audit_target(in->a, "facility", in->facility_id), shown.data);
}

static bool may_review(const account *reviewer, int64_t facility_id)
{
    return reviewer->role == ROLE_OPERATOR ||
           ((reviewer->role == ROLE_REVIEWER || reviewer->role == ROLE_FACILITY_ADMIN) &&
            reviewer->facility_id == facility_id);
}

kite_err review_queue(const kite_ctx *ctx, arena *a, const account *reviewer, int64_t facility_id, size_t limit,
                      message **items, size_t *count, queue_metrics *metrics)
{
    memset(metrics, 0, sizeof *metrics);
    /* Staff of another facility learn nothing of this one (404); other roles may not review at all (403). */
    if (role_is_facility_staff(reviewer->role) && reviewer->facility_id != facility_id)
        return KITE_ERR_NOT_FOUND;
    if (!may_review(reviewer, facility_id))
        return KITE_ERR_FORBIDDEN;
    struct queue in = {a, reviewer, facility_id, limit, clock_now_ms(&ctx->clock), NULL, 0, metrics};
    kite_err err = db_read(ctx->store, queue_tx, &in);
    /* Nothing is shown until its reading is on the record. */
    if (err == KITE_OK && in.count > 0)
        err = db_write(ctx->store, queue_audit_tx, &in);
    *items = in.items;
    *count = in.count;
    return err;
}

struct decide {
    const kite_ctx *ctx;
    arena *a;
    const account *reviewer;
    int64_t id;
    bool approve;
    const char *reason;
    const char *note;
    int64_t now;
    message *out;
};

/* The rejection's mail: [0] without a note from the facility, [1] with one. */
static const notice_text rejected_words[2][FAULT_LANG_COUNT] = {
    {[FAULT_LANG_EN] = {"Your message was not delivered",
                        {"Your message to {name} was not delivered. The facility's reason: {reason}.",
                         "The facility added no note.",
                         "You were not charged for it. You can write a new message that follows the facility's rules."},
                        "See the message"},
     [FAULT_LANG_ES] = {"Su mensaje no fue entregado",
                        {"Su mensaje para {name} no fue entregado. El motivo del centro: {reason}.",
                         "El centro no agregó ninguna nota.",
                         "No se le cobró. Puede escribir un mensaje nuevo que siga las reglas del centro."},
                        "Ver el mensaje"}},
    {[FAULT_LANG_EN] = {"Your message was not delivered",
                        {"Your message to {name} was not delivered. The facility's reason: {reason}.",
                         "Note from the facility: {note}",
                         "You were not charged for it. You can write a new message that follows the facility's rules."},
                        "See the message"},
     [FAULT_LANG_ES] = {"Su mensaje no fue entregado",
                        {"Su mensaje para {name} no fue entregado. El motivo del centro: {reason}.",
                         "Nota del centro: {note}",
                         "No se le cobró. Puede escribir un mensaje nuevo que siga las reglas del centro."},
                        "Ver el mensaje"}},
};

static kite_err tell_sender_rejected(struct decide *in, db_conn *conn, const message *m, const char *label)
{
    if (m->direction != MESSAGE_TO_RESIDENT)
        return KITE_OK; /* a resident sees it on the tablet */
    account sender;
    kite_err err = account_load(conn, in->a, m->sender_account_id, &sender);
    if (err != KITE_OK || sender.email == NULL)
        return err;
    bool noted = in->note != NULL && *in->note;
    const char *values[] = {"name", m->recipient_name, "reason", label, "note", noted ? in->note : "", NULL};
    notice n = {.to = sender.email, .kind = "message_rejected", .text = rejected_words[noted], .values = values,
                .link_path = arena_sprintf(in->a, "/messages/%" PRId64, m->id), .lang = sender.lang};
    return notice_enqueue(conn, in->ctx->public_url, in->a, in->now, &n);
}

/*
 * A message waits for review while the world moves on: approval delivers it
 * only if the contact is still active and the resident still reachable here.
 * Otherwise the reviewer is told why, and can reject it instead.
 */
static kite_err still_deliverable(db_conn *conn, arena *a, const message *m)
{
    db_stmt *s = db_prepare(conn, "SELECT status FROM contacts WHERE id = $1");
    db_bind_int(s, 1, m->contact_id);
    contact_status status = CONTACT_REMOVED; /* no row, or a name not from the table: not active */
    if (db_next(s))
        (void)contact_status_parse(db_text(s, 0), &status);
    kite_err err = db_done(s);
    if (err != KITE_OK || (err = rules_contact_open(status)) != KITE_OK)
        return err;
    resident_place place;
    if ((err = rules_load_place(conn, a, m->resident_id, &place)) != KITE_OK)
        return err;
    if ((err = rules_reachable(&place)) != KITE_OK)
        return err;
    return place.r.facility_id == m->facility_id ? KITE_OK : KITE_ERR_RESIDENT_UNREACHABLE;
}

static kite_err decide_tx(db_conn *conn, void *data)
{
    struct decide *in = data;
    message *m = in->out;
    kite_err err = message_load(conn, in->a, in->id, m);
    if (err != KITE_OK)
        return err;
    if (role_is_facility_staff(in->reviewer->role) && in->reviewer->facility_id != m->facility_id)
        return KITE_ERR_NOT_FOUND;
    if (!may_review(in->reviewer, m->facility_id))
        return KITE_ERR_FORBIDDEN;
    const char *label = NULL;
    if (!in->approve) {
        reject_reason *reasons;
        size_t n;
        if ((err = load_reasons(conn, in->a, m->facility_id, &reasons, &n)) != KITE_OK)
            return err;
        for (size_t i = 0; i < n && label == NULL; i++)
            if (in->reason != NULL && strcmp(reasons[i].code, in->reason) == 0)
                label = reasons[i].label;
        if (label == NULL)
            return KITE_ERR_INVALID_FIELD;
    }
    if (in->approve && (err = still_deliverable(conn, in->a, m)) != KITE_OK)
        return err;
    message_status to = in->approve ? MESSAGE_APPROVED : MESSAGE_REJECTED;
    if (!message_transition_allowed(m->status, to))
        return KITE_ERR_ALREADY_DECIDED;
    /* The status condition makes the decision that commits first the only one. */
    db_stmt *s = db_prepare(conn,
        "UPDATE messages SET status = $1, decided_by = $2, decided_at = $3, reject_reason = $4, reject_note = $5,"
        " reject_label = $7 WHERE id = $6 AND status = $8");
    db_bind_text(s, 1, message_status_name(to));
    db_bind_int(s, 2, in->reviewer->id);
    db_bind_int(s, 3, in->now);
    db_bind_text(s, 4, in->approve ? NULL : in->reason);
    db_bind_text(s, 5, in->approve ? NULL : in->note);
    db_bind_int(s, 6, m->id);
    db_bind_text(s, 7, label);
    db_bind_text(s, 8, message_status_name(m->status));
    if ((err = db_exec(s)) != KITE_OK)
        return err;
    if (db_changes(conn) != 1)
        return KITE_ERR_ALREADY_DECIDED;
    const char *actor = audit_actor_account(in->a, in->reviewer->id);
    if ((err = message_record(conn, in->a, m, to, in->now, actor)) != KITE_OK)
        return err;
    m->status = to;
    if (in->approve)
        err = message_deliver(conn, in->ctx, in->a, m, in->now, actor);
    else if ((err = message_charge_release(conn, in->now, actor, m->id)) == KITE_OK) /* nobody pays for it */
        err = tell_sender_rejected(in, conn, m, label);
    if (err != KITE_OK)
        return err;
    if ((err = message_load(conn, in->a, m->id, m)) != KITE_OK)
        return err;
    return message_load_details(conn, in->a, m);
}

kite_err review_decide(const kite_ctx *ctx, arena *a, const account *reviewer, int64_t message_id, bool approve,
                       const char *reason, const char *note, message *out, kite_fault *fault)
{
    *fault = (kite_fault){0};
    if (reviewer->role != ROLE_OPERATOR && !role_is_facility_staff(reviewer->role))
        return fault_settle(fault, KITE_ERR_FORBIDDEN);
    const char *clean_note = note != NULL ? text_trim(a, note) : NULL;
    if (clean_note != NULL && (utf8_length(clean_note) > REVIEW_NOTE_MAX_CHARS || !utf8_valid(clean_note, strlen(clean_note)))) {
        fault_set(fault, KITE_ERR_INVALID_FIELD, "note", FAULT_REVIEW);
        fault->limit = REVIEW_NOTE_MAX_CHARS;
        return KITE_ERR_INVALID_FIELD;
    }
    /* "Another reason (see the note)" with no note would tell the sender nothing. */
    if (!approve && reason != NULL && strcmp(reason, "other") == 0 && (clean_note == NULL || *clean_note == '\0'))
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "note", FAULT_REQUIRED);
    struct decide in = {ctx, a, reviewer, message_id, approve, reason, clean_note, clock_now_ms(&ctx->clock), out};
    kite_err err = db_write(ctx->store, decide_tx, &in);
    /* The store refuses only a reason code the facility does not list. */
    return fault_set(fault, err, err == KITE_ERR_INVALID_FIELD ? "reason" : NULL,
                     err == KITE_ERR_INVALID_FIELD || err == KITE_ERR_ALREADY_DECIDED ? FAULT_REVIEW : FAULT_NONE);
}
