/*
 * contact_request.c - the JPay/ConnectNetwork way to start contact: the
 * contact finds the resident (by number, or by name where the policy allows)
 * and asks; the resident approves or declines on the tablet, or, where the
 * policy has a review window, the request is approved when it passes.
 */
#include "domain/contacts/contact_request.h"

#include "core/text.h"
#include "domain/audit/audit.h"
#include "domain/contacts/contact_rules.h"
#include "domain/directory/directory.h"
#include "mail/notice.h"

#include <inttypes.h>
#include <string.h>

#define HOUR_MS (60LL * 60 * 1000)

/* A list shows the newest REQUEST_LIST_MAX requests; one settling transaction decides at most SETTLE_BATCH. */
enum { REQUEST_LIST_MAX = 200, SETTLE_BATCH = 64 };

#define REQUEST_SELECT                                                                                       \
    "SELECT q.id, q.resident_id, r.resident_number, r.first_name || ' ' || r.last_name, r.facility_id, f.name," \
    " q.contact_account_id, a.full_name, a.email, q.status, q.created_at, COALESCE(q.decided_at, 0),"        \
    " COALESCE(q.auto_approve_at, 0), a.lang, CASE WHEN a.email_verified_at IS NULL THEN 0 ELSE 1 END"     \
    " FROM contact_requests q JOIN residents r ON r.id = q.resident_id"                                        \
    " JOIN facilities f ON f.id = r.facility_id JOIN accounts a ON a.id = q.contact_account_id"

static void read_request(db_stmt *s, arena *a, contact_request *out)
{
    out->id = db_int(s, 0);
    out->resident_id = db_int(s, 1);
    out->resident_number = arena_strdup(a, db_text(s, 2));
    out->resident_name = arena_strdup(a, db_text(s, 3));
    out->facility_id = db_int(s, 4);
    out->facility_name = arena_strdup(a, db_text(s, 5));
    out->contact_account_id = db_int(s, 6);
    out->contact_name = arena_strdup(a, db_text(s, 7));
    out->contact_email = arena_strdup(a, db_text(s, 8));
    out->status = REQUEST_CANCELLED; /* rows hold only names from the table; were one not: decided */
    (void)contact_request_status_parse(db_text(s, 9), &out->status);
    out->created_at = db_int(s, 10);
    out->decided_at = db_int(s, 11);
    out->auto_approve_at = db_int(s, 12);
    if (!lang_parse(db_text(s, 13), &out->contact_lang))
        out->contact_lang = FAULT_LANG_EN;
    out->contact_email_verified = db_int(s, 14) != 0;
}

static kite_err load_request(db_conn *conn, arena *a, int64_t id, contact_request *out)
{
    db_stmt *s = db_prepare(conn, REQUEST_SELECT " WHERE q.id = $1");
    db_bind_int(s, 1, id);
    bool found = db_next(s);
    if (found)
        read_request(s, a, out);
    kite_err err = db_done(s);
    return err != KITE_OK ? err : found ? KITE_OK : KITE_ERR_NOT_FOUND;
}

/* Finds the one active resident the target names; KITE_ERR_NOT_FOUND when none, KITE_ERR_CONFLICT when several. */
static kite_err find_target(db_conn *conn, arena *a, const request_target *t, const policy *p, int64_t *resident_id)
{
    if (t->resident_number != NULL) {
        resident r;
        kite_err err = resident_load(conn, a, t->facility_id, text_trim(a, t->resident_number), &r);
        if (err == KITE_OK && r.status != RESIDENT_ACTIVE)
            return KITE_ERR_NOT_FOUND;
        *resident_id = r.id;
        return err;
    }
    if (p->request_lookup != LOOKUP_NUMBER_OR_NAME)
        return KITE_ERR_NAME_LOOKUP_NOT_ALLOWED;
    db_stmt *s = db_prepare(conn,
        "SELECT id FROM residents WHERE facility_id = $1 AND status = 'active'"
        " AND LOWER(first_name) = LOWER($2) AND LOWER(last_name) = LOWER($3) LIMIT 2");
    db_bind_int(s, 1, t->facility_id);
    db_bind_text(s, 2, text_trim(a, t->first_name));
    db_bind_text(s, 3, text_trim(a, t->last_name));
    int found = 0;
    while (db_next(s))
        *resident_id = found++ == 0 ? db_int(s, 0) : *resident_id;
    kite_err err = db_done(s);
    return err != KITE_OK ? err : found == 0 ? KITE_ERR_NOT_FOUND : found > 1 ? KITE_ERR_CONFLICT : KITE_OK;
}

struct create_request {
    const kite_ctx *ctx;
    arena *a;
    const account *caller;
    const request_target *target;
    int64_t now;
    contact_request *out;
};

static kite_err create_tx(db_conn *conn, void *data)
{
    struct create_request *in = data;
    policy p;
    kite_err err = policy_load(conn, in->a, in->target->facility_id, &p);
    if (err == KITE_ERR_NOT_FOUND) {
        bool exists = false;
        if ((err = directory_facility_exists(conn, in->target->facility_id, &exists)) != KITE_OK)
            return err;
        return exists ? KITE_ERR_NOT_ON_PLATFORM : KITE_ERR_NOT_FOUND;
    }
    if (err != KITE_OK)
        return err;
    if (p.contact_initiation == INITIATION_RESIDENT_INVITES)
        return KITE_ERR_RESIDENT_MUST_INVITE;
    int64_t resident_id = 0;
    if ((err = find_target(conn, in->a, in->target, &p, &resident_id)) != KITE_OK)
        return err;
    resident_place place;
    if ((err = rules_load_place(conn, in->a, resident_id, &place)) != KITE_OK)
        return err;
    if ((err = rules_may_link(conn, &place, in->caller->id, in->caller->email)) != KITE_OK)
        return err;
    bool window = p.approval == APPROVAL_RESIDENT_OR_WINDOW;
    db_stmt *insert = db_prepare(conn,
        "INSERT INTO contact_requests (resident_id, contact_account_id, status, created_at, auto_approve_at,"
        " facility_id) VALUES ($1, $2, $5, $3, $4, $6) RETURNING id");
    db_bind_int(insert, 1, resident_id);
    db_bind_int(insert, 2, in->caller->id);
    db_bind_int(insert, 3, in->now);
    if (window)
        db_bind_int(insert, 4, in->now + p.approval_window_hours * HOUR_MS);
    else
        db_bind_null(insert, 4);
    db_bind_text(insert, 5, contact_request_status_name(REQUEST_PENDING));
    db_bind_int(insert, 6, place.r.facility_id);
    int64_t id = db_next(insert) ? db_int(insert, 0) : 0;
    err = db_done(insert);
    if (err != KITE_OK) /* KITE_ERR_CONFLICT: a pending request for this pair already exists */
        return err;
    if ((err = load_request(conn, in->a, id, in->out)) != KITE_OK)
        return err;
    return audit_append(conn, in->now, audit_actor_account(in->a, in->caller->id), "contact_request.create",
                        audit_target(in->a, "contact_request", id),
                        arena_sprintf(in->a, "resident=%" PRId64 " by=%s", resident_id,
                                      in->target->resident_number != NULL ? "number" : "name"));
}

kite_err contact_request_create(const kite_ctx *ctx, arena *a, const account *contact_account,
                                const request_target *target, contact_request *out, kite_fault *fault)
{
    *fault = (kite_fault){0};
    if (contact_account->role != ROLE_CONTACT)
        return fault_settle(fault, KITE_ERR_FORBIDDEN);
    if (target->resident_number == NULL && (target->first_name == NULL || target->last_name == NULL))
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "resident_number", FAULT_TARGET);
    if (target->resident_number == NULL &&
        (!text_is_person_name(target->first_name, NAME_MAX_CHARS) || !text_is_person_name(target->last_name, NAME_MAX_CHARS)))
        return fault_set(fault, KITE_ERR_INVALID_FIELD,
                         text_is_person_name(target->first_name, NAME_MAX_CHARS) ? "last_name" : "first_name",
                         FAULT_TARGET);
    if (target->resident_number != NULL && (strlen(target->resident_number) < 1 || strlen(target->resident_number) > 32))
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "resident_number", FAULT_TARGET);
    struct create_request in = {ctx, a, contact_account, target, clock_now_ms(&ctx->clock), out};
    kite_err err = db_write(ctx->store, create_tx, &in);
    /* By name, a conflict is several people of that name; by number, a request already waiting. */
    fault_detail detail = err == KITE_ERR_INVALID_FIELD || err == KITE_ERR_NOT_FOUND ? FAULT_TARGET
                          : err != KITE_ERR_CONFLICT                             ? FAULT_NONE
                          : target->resident_number == NULL                      ? FAULT_NAME_AMBIGUOUS
                                                                                 : FAULT_ALREADY_ASKED;
    return fault_set(fault, err, NULL, detail);
}

/* The decision's mail: approved by the resident, approved when the review period passed, declined. */
enum { DECISION_APPROVED, DECISION_BY_WINDOW, DECISION_DECLINED };
static const notice_text decision_words[3][FAULT_LANG_COUNT] = {
    [DECISION_APPROVED] = {
        [FAULT_LANG_EN] = {"You can now write to {name}",
                           {"{name} ({facility}) approved your contact request.",
                            "You can now write to them on Kite. Facility staff read every message before it is "
                            "delivered."},
                           "Open your contacts"},
        [FAULT_LANG_ES] = {"Ya puede escribirle a {name}",
                           {"{name} ({facility}) aprobó su solicitud de contacto.",
                            "Ya puede escribirle por Kite. El personal del centro lee cada mensaje antes de "
                            "entregarlo."},
                           "Abrir sus contactos"}},
    [DECISION_BY_WINDOW] = {
        [FAULT_LANG_EN] = {"You can now write to {name}",
                           {"Your request to be a contact of {name} ({facility}) was approved: the review period "
                            "passed without objection.",
                            "You can now write to them on Kite. Facility staff read every message before it is "
                            "delivered."},
                           "Open your contacts"},
        [FAULT_LANG_ES] = {"Ya puede escribirle a {name}",
                           {"Su solicitud para ser contacto de {name} ({facility}) fue aprobada: el plazo de revisión "
                            "pasó sin objeciones.",
                            "Ya puede escribirle por Kite. El personal del centro lee cada mensaje antes de "
                            "entregarlo."},
                           "Abrir sus contactos"}},
    [DECISION_DECLINED] = {
        [FAULT_LANG_EN] = {"Your contact request was declined",
                           {"Your request to be a contact of {name} ({facility}) was declined.",
                            "Nothing was charged. You can still write to them by post at the facility's address."},
                           NULL},
        [FAULT_LANG_ES] = {"Su solicitud de contacto fue rechazada",
                           {"Su solicitud para ser contacto de {name} ({facility}) fue rechazada.",
                            "No se cobró nada. Todavía puede escribirle por correo postal a la dirección del centro."},
                           NULL}},
};

static kite_err send_decision_mail(const kite_ctx *ctx, db_conn *conn, arena *a, int64_t now,
                                   const contact_request *q, bool approved, bool by_window)
{
    int which = !approved ? DECISION_DECLINED : by_window ? DECISION_BY_WINDOW : DECISION_APPROVED;
    const char *values[] = {"name", q->resident_name, "facility", q->facility_name, NULL};
    notice note = {.to = q->contact_email, .kind = "request_decided", .text = decision_words[which],
                   .values = values, .link_path = "/contacts", .lang = q->contact_lang};
    return notice_enqueue(conn, ctx->public_url, a, now, &note);
}

/*
 * Moves q to `to` (stamped with now and decided_by) when it is still where it
 * was read; KITE_ERR_ALREADY_DECIDED when the move is not allowed, or a
 * racing decision moved it first.
 */
static kite_err mark_decided(db_conn *conn, contact_request *q, contact_request_status to, int64_t now,
                             const char *decided_by)
{
    if (!contact_request_transition_allowed(q->status, to))
        return KITE_ERR_ALREADY_DECIDED;
    db_stmt *mark = db_prepare(conn,
        "UPDATE contact_requests SET status = $4, decided_at = $1, decided_by = $2 WHERE id = $3 AND status = $5");
    db_bind_int(mark, 1, now);
    db_bind_text(mark, 2, decided_by);
    db_bind_int(mark, 3, q->id);
    db_bind_text(mark, 4, contact_request_status_name(to));
    db_bind_text(mark, 5, contact_request_status_name(q->status));
    kite_err err = db_exec(mark);
    if (err != KITE_OK)
        return err;
    if (db_changes(conn) != 1)
        return KITE_ERR_ALREADY_DECIDED;
    q->status = to;
    q->decided_at = now;
    return KITE_OK;
}

/* Approves q inside the caller's transaction (checks blocks and limit again). */
static kite_err approve_request(const kite_ctx *ctx, db_conn *conn, arena *a, int64_t now, contact_request *q,
                                const char *decided_by, bool by_window)
{
    resident_place place;
    kite_err err = rules_load_place(conn, a, q->resident_id, &place);
    if (err == KITE_OK)
        err = rules_may_link(conn, &place, q->contact_account_id, q->contact_email);
    int64_t contact_id = 0;
    if (err == KITE_OK)
        err = rules_link(conn, now, q->resident_id, place.r.facility_id, q->contact_account_id, "request", &contact_id);
    if (err != KITE_OK)
        return err;
    if ((err = mark_decided(conn, q, REQUEST_APPROVED, now, decided_by)) != KITE_OK)
        return err;
    if ((err = send_decision_mail(ctx, conn, a, now, q, true, by_window)) != KITE_OK)
        return err;
    return audit_append(conn, now, decided_by, "contact_request.approve", audit_target(a, "contact_request", q->id),
                        arena_sprintf(a, "contact=%" PRId64 "%s", contact_id, by_window ? " by=review_window" : ""));
}

struct decide_request {
    const kite_ctx *ctx;
    arena *a;
    const account *caller;
    int64_t id;
    bool approve;
    int64_t now;
    contact_request *out;
};

static kite_err decide_tx(db_conn *conn, void *data)
{
    struct decide_request *in = data;
    kite_err err = load_request(conn, in->a, in->id, in->out);
    if (err != KITE_OK)
        return err;
    resident r;
    if ((err = resident_load_by_id(conn, in->a, in->out->resident_id, &r)) != KITE_OK)
        return err;
    if (r.account_id != in->caller->id)
        return KITE_ERR_NOT_FOUND;
    if (in->out->status == REQUEST_CANCELLED) {
        /* Cancelled by a block: say so, rather than "already decided". */
        resident_place place;
        if ((err = rules_load_place(conn, in->a, r.id, &place)) != KITE_OK)
            return err;
        err = rules_check_facility_blocks(conn, place.r.facility_id, r.id, in->out->contact_email);
        if (err == KITE_OK)
            err = rules_check_pair(conn, r.id, in->out->contact_account_id);
        if (err == KITE_ERR_CONTACT_BLOCKED || kite_err_is_store_failure(err))
            return err;
    }
    /* Checked before the rules, so a decided request says so rather than what the rules say now. */
    if (!contact_request_transition_allowed(in->out->status, in->approve ? REQUEST_APPROVED : REQUEST_DECLINED))
        return KITE_ERR_ALREADY_DECIDED;
    const char *actor = audit_actor_account(in->a, in->caller->id);
    if (in->approve)
        return approve_request(in->ctx, conn, in->a, in->now, in->out, actor, false);
    if ((err = mark_decided(conn, in->out, REQUEST_DECLINED, in->now, actor)) != KITE_OK)
        return err;
    if ((err = send_decision_mail(in->ctx, conn, in->a, in->now, in->out, false, false)) != KITE_OK)
        return err;
    return audit_append(conn, in->now, actor, "contact_request.decline", audit_target(in->a, "contact_request", in->id), "");
}

kite_err contact_request_decide(const kite_ctx *ctx, arena *a, const account *resident_account, int64_t request_id,
                                bool approve, contact_request *out)
{
    if (resident_account->role != ROLE_RESIDENT)
        return KITE_ERR_FORBIDDEN;
    /* A request whose review window has passed is already approved, whatever the resident says now. */
    int64_t settled;
    kite_err err = contact_requests_settle(ctx, &settled);
    if (err != KITE_OK)
        return err;
    struct decide_request in = {ctx, a, resident_account, request_id, approve, clock_now_ms(&ctx->clock), out};
    return db_write(ctx->store, decide_tx, &in);
}

struct list_requests {
    arena *a;
    const account *caller;
    contact_request *items;
    size_t count;
};

static kite_err list_tx(db_conn *conn, void *data)
{
    struct list_requests *in = data;
    db_stmt *s = db_prepare(conn, in->caller->role == ROLE_RESIDENT
                                      ? REQUEST_SELECT " WHERE r.account_id = $1 ORDER BY q.id DESC LIMIT $2"
                                      : REQUEST_SELECT " WHERE q.contact_account_id = $1 ORDER BY q.id DESC LIMIT $2");
    db_bind_int(s, 1, in->caller->id);
    db_bind_int(s, 2, REQUEST_LIST_MAX);
    size_t cap = 16;
    in->items = arena_alloc(in->a, cap * sizeof *in->items);
    while (db_next(s)) {
        in->items = arena_grow(in->a, in->items, in->count, &cap, sizeof *in->items);
        read_request(s, in->a, &in->items[in->count++]);
    }
    return db_done(s);
}

kite_err contact_request_list(const kite_ctx *ctx, arena *a, const account *caller, contact_request **items,
                              size_t *count)
{
    if (caller->role != ROLE_RESIDENT && caller->role != ROLE_CONTACT)
        return KITE_ERR_FORBIDDEN;
    struct list_requests in = {a, caller, NULL, 0};
    kite_err err = db_read(ctx->store, list_tx, &in);
    *items = in.items;
    *count = in.count;
    return err;
}

struct settle {
    const kite_ctx *ctx;
    arena *a;
    int64_t now;
    int64_t approved;
};

static kite_err settle_tx(db_conn *conn, void *data)
{
    struct settle *in = data;
    int64_t due[SETTLE_BATCH];
    size_t n = 0;
    db_stmt *s = db_prepare(conn,
        "SELECT id FROM contact_requests WHERE status = 'pending' AND auto_approve_at IS NOT NULL"
        " AND auto_approve_at <= $1 ORDER BY id LIMIT $2");
    db_bind_int(s, 1, in->now);
    db_bind_int(s, 2, SETTLE_BATCH);
    while (db_next(s))
        due[n++] = db_int(s, 0);
    kite_err err = db_done(s);
    for (size_t i = 0; err == KITE_OK && i < n; i++) {
        contact_request q;
        if ((err = load_request(conn, in->a, due[i], &q)) != KITE_OK)
            break;
        err = approve_request(in->ctx, conn, in->a, in->now, &q, "system", true);
        if (err == KITE_OK) {
            in->approved++;
        } else if (!kite_err_is_store_failure(err)) {
            /* The rules forbid it now (blocked, limit, moved away): the window cannot approve it. */
            err = mark_decided(conn, &q, REQUEST_CANCELLED, in->now, "system");
            if (err == KITE_OK)
                err = audit_append(conn, in->now, "system", "contact_request.cancel",
                                   audit_target(in->a, "contact_request", q.id), "review window passed; rules refuse it");
        }
    }
    return err;
}

static kite_err any_due_tx(db_conn *conn, void *data)
{
    struct settle *in = data;
    db_stmt *s = db_prepare(conn,
        "SELECT 1 FROM contact_requests WHERE status = 'pending' AND auto_approve_at IS NOT NULL"
        " AND auto_approve_at <= $1 LIMIT 1");
    db_bind_int(s, 1, in->now);
    bool due = db_next(s);
    kite_err err = db_done(s);
    return err != KITE_OK ? err : due ? KITE_OK : KITE_ERR_NOT_FOUND;
}

kite_err contact_requests_settle(const kite_ctx *ctx, int64_t *approved)
{
    arena *a = arena_new();
    struct settle in = {ctx, a, clock_now_ms(&ctx->clock), 0};
    /* Lists call this on every read: look first, and take the write lock only when something is due. */
    kite_err err = db_read(ctx->store, any_due_tx, &in);
    if (err == KITE_OK)
        err = db_write(ctx->store, settle_tx, &in);
    else if (err == KITE_ERR_NOT_FOUND)
        err = KITE_OK;
    *approved = in.approved;
    arena_free(a);
    return err;
}
