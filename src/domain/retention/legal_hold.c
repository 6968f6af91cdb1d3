/*
 * legal_hold.c - placing, listing and lifting legal holds (legal_hold.h).
 *
 * Design: a hold is a row that names its subject by kind and id at one
 * facility; what it covers is not stored but worked out by the one SQL
 * condition LEGAL_HOLD_NONE_COVERS (legal_hold.h), so a message sent after
 * the hold was placed is covered too, and nothing has to be kept in step.
 * Every place and lift is an audit record in the same transaction.
 *
 * SECURITY: the request is untrusted.  The case reference and the note are
 * checked for length and UTF-8 and bound as values; the subject must
 * belong to the facility (a resident of it, a contact of one of its
 * residents, or someone with messages there), so a hold cannot be used to
 * learn whether an id exists elsewhere: any other id is the same 422.
 * Scope: staff of another facility get 404 for the facility and for each
 * of its holds, as for everything else of another facility.
 */
#include "domain/retention/legal_hold.h"

#include "core/text.h"
#include "domain/audit/audit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[LEGAL_HOLD_KIND_COUNT + 1] = {
    [LEGAL_HOLD_RESIDENT] = "resident", [LEGAL_HOLD_CONTACT_ACCOUNT] = "contact_account",
    [LEGAL_HOLD_THREAD] = "thread"};

const char *legal_hold_kind_name(legal_hold_kind k)
{
    return k < LEGAL_HOLD_KIND_COUNT ? kind_names[k] : "unknown";
}

bool legal_hold_kind_parse(const char *name, legal_hold_kind *out)
{
    size_t i = name != NULL ? text_index_of(kind_names, LEGAL_HOLD_KIND_COUNT, name) : LEGAL_HOLD_KIND_COUNT;
    if (i == LEGAL_HOLD_KIND_COUNT)
        return false;
    *out = (legal_hold_kind)i;
    return true;
}

kite_err legal_hold_allowed(const account *caller, int64_t facility_id)
{
    if (role_is_facility_staff(caller->role) && caller->facility_id != facility_id)
        return KITE_ERR_NOT_FOUND;
    if (caller->role == ROLE_OPERATOR || caller->role == ROLE_INVESTIGATOR || caller->role == ROLE_FACILITY_ADMIN)
        return KITE_OK;
    return KITE_ERR_FORBIDDEN;
}

/*
 * Per kind: the subject's label when it belongs to facility $2 (now, or by
 * messages sent there), no row otherwise.  $1 is the subject's id.
 */
static const char *const subject_sql[LEGAL_HOLD_KIND_COUNT] = {
    [LEGAL_HOLD_RESIDENT] =
        "SELECT r.resident_number || ' ' || r.first_name || ' ' || r.last_name FROM residents r WHERE r.id = $1"
        " AND (r.facility_id = $2 OR EXISTS (SELECT 1 FROM messages m WHERE m.resident_id = r.id AND m.facility_id = $2))",
    [LEGAL_HOLD_CONTACT_ACCOUNT] =
        "SELECT a.full_name || ' <' || a.email || '>' FROM accounts a WHERE a.id = $1"
        " AND (EXISTS (SELECT 1 FROM contacts c WHERE c.contact_account_id = a.id AND c.facility_id = $2)"
        " OR EXISTS (SELECT 1 FROM messages m JOIN contacts c ON c.id = m.contact_id"
        " WHERE c.contact_account_id = a.id AND m.facility_id = $2))",
    [LEGAL_HOLD_THREAD] =
        "SELECT r.resident_number || ' ' || r.first_name || ' ' || r.last_name || ' / ' || a.full_name"
        " FROM contacts c JOIN residents r ON r.id = c.resident_id JOIN accounts a ON a.id = c.contact_account_id"
        " WHERE c.id = $1"
        " AND (c.facility_id = $2 OR EXISTS (SELECT 1 FROM messages m WHERE m.contact_id = c.id AND m.facility_id = $2))",
};

/* The subject's label, or NULL when it does not belong to the facility. */
static kite_err subject_label(db_conn *conn, arena *a, legal_hold_kind kind, int64_t id, int64_t facility_id,
                              const char **label)
{
    db_stmt *s = db_prepare(conn, subject_sql[kind]);
    db_bind_int(s, 1, id);
    db_bind_int(s, 2, facility_id);
    *label = db_next(s) ? arena_strdup(a, db_text(s, 0)) : NULL;
    return db_done(s);
}

/* How many of the facility's messages the hold covers (standing or not: what it would cover). */
static kite_err covered_count(db_conn *conn, legal_hold *h)
{
    static const char *const sql[LEGAL_HOLD_KIND_COUNT] = {
        [LEGAL_HOLD_RESIDENT] = "SELECT COUNT(*) FROM messages m WHERE m.facility_id = $1 AND m.resident_id = $2",
        [LEGAL_HOLD_CONTACT_ACCOUNT] = ("SELECT COUNT(*) FROM messages m WHERE m.facility_id = $1"
                                        " AND (m.sender_account_id = $2 OR m.recipient_account_id = $2)"),
        [LEGAL_HOLD_THREAD] = "SELECT COUNT(*) FROM messages m WHERE m.facility_id = $1 AND m.contact_id = $2",
    };
    db_stmt *s = db_prepare(conn, sql[h->kind]);
    db_bind_int(s, 1, h->facility_id);
    db_bind_int(s, 2, h->subject_id);
    h->messages = db_next(s) ? db_int(s, 0) : 0;
    return db_done(s);
}

#define HOLD_COLUMNS                                                                                         \
    "SELECT id, facility_id, subject_kind, subject_id, case_reference, note, placed_by, placed_at,"         \
    " COALESCE(lifted_by, 0), COALESCE(lifted_at, 0) FROM legal_holds"

static void read_hold(db_stmt *s, arena *a, legal_hold *h)
{
    memset(h, 0, sizeof *h);
    h->id = db_int(s, 0);
    h->facility_id = db_int(s, 1);
    h->kind = LEGAL_HOLD_THREAD; /* rows hold only names from kind_names */
    (void)legal_hold_kind_parse(db_text(s, 2), &h->kind);
    h->subject_id = db_int(s, 3);
    h->case_reference = arena_strdup(a, db_text(s, 4));
    h->note = arena_strdup(a, db_text(s, 5));
    h->placed_by = db_int(s, 6);
    h->placed_at = db_int(s, 7);
    h->lifted_by = db_int(s, 8);
    h->lifted_at = db_int(s, 9);
}

/* What a hold answer shows beside the row: its subject's label and the messages it covers. */
static kite_err hold_complete(db_conn *conn, arena *a, legal_hold *h)
{
    kite_err err = subject_label(conn, a, h->kind, h->subject_id, h->facility_id, &h->subject_label);
    if (err == KITE_OK && h->subject_label == NULL)
        h->subject_label = "";
    return err != KITE_OK ? err : covered_count(conn, h);
}

static kite_err hold_load(db_conn *conn, arena *a, int64_t id, legal_hold *out)
{
    db_stmt *s = db_prepare(conn, HOLD_COLUMNS " WHERE id = $1");
    db_bind_int(s, 1, id);
    bool found = db_next(s);
    if (found)
        read_hold(s, a, out);
    kite_err err = db_done(s);
    if (err == KITE_OK && !found)
        return KITE_ERR_NOT_FOUND;
    return err != KITE_OK ? err : hold_complete(conn, a, out);
}

/* ---- placing ---- */

static kite_err text_check(const char *text, const char *field, size_t max_chars, bool required, kite_fault *fault)
{
    size_t len = text != NULL ? strlen(text) : 0;
    if ((required && len == 0) || (len > 0 && (!utf8_valid(text, len) || utf8_length(text) > max_chars))) {
        fault_set(fault, KITE_ERR_INVALID_FIELD, field, FAULT_LENGTH);
        fault->limit = (int64_t)max_chars;
        return KITE_ERR_INVALID_FIELD;
    }
    return KITE_OK;
}

struct place {
    arena *a;
    const account *caller;
    const legal_hold_request *r;
    legal_hold_kind kind;
    const char *case_reference, *note;
    int64_t now;
    legal_hold *out;
    kite_fault *fault;
};

/* A resident named by number: the facility's resident with it. */
static kite_err resident_by_number(db_conn *conn, struct place *p, int64_t *id)
{
    db_stmt *s = db_prepare(conn, "SELECT id FROM residents WHERE facility_id = $1 AND resident_number = $2");
    db_bind_int(s, 1, p->r->facility_id);
    db_bind_text(s, 2, p->r->resident_number);
    *id = db_next(s) ? db_int(s, 0) : 0;
    return db_done(s);
}

static kite_err place_tx(db_conn *conn, void *data)
{
    struct place *p = data;
    int64_t subject_id = p->r->subject_id;
    kite_err err = KITE_OK;
    if (p->kind == LEGAL_HOLD_RESIDENT && subject_id <= 0 && p->r->resident_number != NULL)
        err = resident_by_number(conn, p, &subject_id);
    const char *label = NULL;
    if (err == KITE_OK && subject_id > 0)
        err = subject_label(conn, p->a, p->kind, subject_id, p->r->facility_id, &label);
    if (err != KITE_OK)
        return err;
    if (label == NULL)
        return fault_set(p->fault, KITE_ERR_INVALID_FIELD, "subject_id", FAULT_UNKNOWN);
    db_stmt *s = db_prepare(conn, "INSERT INTO legal_holds (facility_id, subject_kind, subject_id, case_reference,"
                                  " note, placed_by, placed_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id");
    db_bind_int(s, 1, p->r->facility_id);
    db_bind_text(s, 2, legal_hold_kind_name(p->kind));
    db_bind_int(s, 3, subject_id);
    db_bind_text(s, 4, p->case_reference);
    db_bind_text(s, 5, p->note);
    db_bind_int(s, 6, p->caller->id);
    db_bind_int(s, 7, p->now);
    int64_t id = db_next(s) ? db_int(s, 0) : 0;
    if ((err = db_done(s)) != KITE_OK)
        return err;
    if ((err = hold_load(conn, p->a, id, p->out)) != KITE_OK)
        return err;
    return audit_append(conn, p->now, audit_actor_account(p->a, p->caller->id), "legal_hold.place",
                        audit_target(p->a, "legal_hold", id),
                        arena_sprintf(p->a, "facility=%" PRId64 " subject=%s:%" PRId64 " case=%s messages=%" PRId64,
                                      p->r->facility_id, legal_hold_kind_name(p->kind), subject_id,
                                      p->case_reference, p->out->messages));
}

kite_err legal_hold_place(const kite_ctx *ctx, arena *a, const account *caller, const legal_hold_request *r,
                          legal_hold *out, kite_fault *fault)
{
    memset(out, 0, sizeof *out);
    memset(fault, 0, sizeof *fault);
    kite_err err = legal_hold_allowed(caller, r->facility_id);
    if (err != KITE_OK)
        return fault_settle(fault, err);
    struct place p = {a, caller, r, LEGAL_HOLD_RESIDENT, NULL, NULL, clock_now_ms(&ctx->clock), out, fault};
    if (!legal_hold_kind_parse(r->kind, &p.kind))
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "subject_kind", FAULT_CHOICE);
    p.case_reference = r->case_reference != NULL ? text_trim(a, r->case_reference) : "";
    p.note = r->note != NULL ? text_trim(a, r->note) : "";
    if ((err = text_check(p.case_reference, "case_reference", LEGAL_HOLD_CASE_MAX_CHARS, true, fault)) != KITE_OK ||
        (err = text_check(p.note, "note", LEGAL_HOLD_NOTE_MAX_CHARS, false, fault)) != KITE_OK)
        return err;
    bool by_number = p.kind == LEGAL_HOLD_RESIDENT && r->resident_number != NULL && *r->resident_number != '\0';
    if (r->subject_id <= 0 && !by_number)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "subject_id", FAULT_REQUIRED);
    return fault_settle(fault, db_write(ctx->store, place_tx, &p));
}

/* ---- listing ---- */

struct list {
    arena *a;
    const legal_hold_page_query *q;
    int64_t after_group, after_id; /* after_id 0: the first page */
    legal_hold_page *out;
};

static kite_err list_tx(db_conn *conn, void *data)
{
    struct list *l = data;
    db_stmt *s = db_prepare(conn, HOLD_COLUMNS " WHERE facility_id = $1 AND ($2 = 1 OR lifted_at IS NULL)"
                                  " AND ($3 = 0 OR (CASE WHEN lifted_at IS NULL THEN 0 ELSE 1 END) > $4"
                                  "      OR ((CASE WHEN lifted_at IS NULL THEN 0 ELSE 1 END) = $4 AND id < $3))"
                                  " ORDER BY CASE WHEN lifted_at IS NULL THEN 0 ELSE 1 END, id DESC"
                                  " LIMIT $5");
    db_bind_int(s, 1, l->q->facility_id);
    db_bind_int(s, 2, l->q->all ? 1 : 0);
    db_bind_int(s, 3, l->after_id);
    db_bind_int(s, 4, l->after_group);
    db_bind_int(s, 5, (int64_t)l->q->limit + 1); /* one more than the page: is there a next one? */
    legal_hold *items = arena_zalloc(l->a, (l->q->limit + 1) * sizeof *items);
    size_t n = 0;
    while (db_next(s))
        read_hold(s, l->a, &items[n++]);
    kite_err err = db_done(s);
    size_t count = n > l->q->limit ? l->q->limit : n;
    for (size_t i = 0; err == KITE_OK && i < count; i++)
        err = hold_complete(conn, l->a, &items[i]);
    if (err != KITE_OK)
        return err;
    *l->out = (legal_hold_page){items, count, NULL};
    if (n > count)
        l->out->next_cursor = arena_sprintf(l->a, "%d.%lld", items[count - 1].lifted_at != 0 ? 1 : 0,
                                            (long long)items[count - 1].id);
    return KITE_OK;
}

/* "GROUP.ID" as list_tx writes it; false for anything else. */
static bool parse_cursor(const char *cursor, int64_t *group, int64_t *id)
{
    if ((cursor[0] != '0' && cursor[0] != '1') || cursor[1] != '.' || cursor[2] < '1' || cursor[2] > '9')
        return false;
    char *end;
    errno = 0;
    long long n = strtoll(cursor + 2, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *group = cursor[0] - '0';
    *id = n;
    return true;
}

kite_err legal_hold_list(const kite_ctx *ctx, arena *a, const account *caller, const legal_hold_page_query *q,
                         legal_hold_page *out, kite_fault *fault)
{
    *out = (legal_hold_page){NULL, 0, NULL};
    kite_err err = legal_hold_allowed(caller, q->facility_id);
    if (err != KITE_OK)
        return fault_set(fault, err, NULL, FAULT_NONE);
    if (q->limit < 1 || q->limit > LEGAL_HOLD_PAGE_MAX)
        return fault_set(fault, KITE_ERR_INTERNAL, NULL, FAULT_NONE);
    struct list l = {a, q, 0, 0, out};
    if (q->cursor != NULL && q->cursor[0] != '\0' && !parse_cursor(q->cursor, &l.after_group, &l.after_id))
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "cursor", FAULT_UNKNOWN);
    return fault_settle(fault, db_read(ctx->store, list_tx, &l));
}

/* ---- lifting ---- */

struct lift {
    arena *a;
    const account *caller;
    int64_t id, now;
    legal_hold *out;
};

static kite_err lift_tx(db_conn *conn, void *data)
{
    struct lift *l = data;
    kite_err err = hold_load(conn, l->a, l->id, l->out);
    if (err == KITE_OK)
        err = legal_hold_allowed(l->caller, l->out->facility_id);
    if (err != KITE_OK)
        return err;
    if (l->out->lifted_at != 0)
        return KITE_ERR_CONFLICT;
    db_stmt *s = db_prepare(conn, "UPDATE legal_holds SET lifted_by = $1, lifted_at = $2 WHERE id = $3 AND lifted_at IS NULL");
    db_bind_int(s, 1, l->caller->id);
    db_bind_int(s, 2, l->now);
    db_bind_int(s, 3, l->id);
    if ((err = db_exec(s)) != KITE_OK)
        return err;
    l->out->lifted_by = l->caller->id;
    l->out->lifted_at = l->now;
    return audit_append(conn, l->now, audit_actor_account(l->a, l->caller->id), "legal_hold.lift",
                        audit_target(l->a, "legal_hold", l->id),
                        arena_sprintf(l->a, "facility=%" PRId64 " subject=%s:%" PRId64 " case=%s", l->out->facility_id,
                                      legal_hold_kind_name(l->out->kind), l->out->subject_id, l->out->case_reference));
}

kite_err legal_hold_lift(const kite_ctx *ctx, arena *a, const account *caller, int64_t hold_id, legal_hold *out,
                         kite_fault *fault)
{
    memset(out, 0, sizeof *out);
    memset(fault, 0, sizeof *fault);
    struct lift l = {a, caller, hold_id, clock_now_ms(&ctx->clock), out};
    kite_err err = db_write(ctx->store, lift_tx, &l);
    if (err == KITE_ERR_NOT_FOUND || err == KITE_ERR_CONFLICT)
        fault_set(fault, err, NULL, FAULT_LEGAL_HOLD);
    if (err != KITE_OK)
        memset(out, 0, sizeof *out);
    return fault_settle(fault, err);
}
