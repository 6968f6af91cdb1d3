/*
 * investigation.c - an investigator's search over the facility's messages
 * (investigation.h).
 *
 * Design: one statement per page, read without the writer; then the audit
 * record of the search - its parameters and the ids it showed - is written
 * in a transaction of its own, and the page is answered only once that
 * committed (the review queue reads the same way, messaging/review.c).
 * Every search that reads is recorded, also one that found nothing; one
 * refused for its parameters (422) reads nothing and records nothing.
 *
 * The words go to the store's own full-text index (migration 22): SQLite's
 * FTS5 table message_search (brought up to date when the read finds it
 * behind, index_catch_up_tx), ranked by bm25 with the subject weighing
 * twice the body; PostgreSQL's GIN index over the English and Spanish tsvector,
 * ranked by ts_rank, each term (a word or a phrase) matched in either
 * language.  Without words the newest come first.  The other filters are
 * the same SQL on both stores, written with "$n = 0 OR ..." so that one
 * statement serves every combination.  Paging is by offset (the cursor is
 * the number of results already shown): a rank is no key to seek by, and
 * INVESTIGATION_OFFSET_MAX bounds the work; a message sent meanwhile may
 * shift a page by one.
 *
 * SCOPE: SEARCH_FROM is the only way this file reaches messages, and it
 * holds "m.facility_id = $1": a message belongs to the facility whose
 * resident it is with (where it was reviewed), and no other message is
 * ever read here.  The same WHERE holds "m.privileged = 0": privileged
 * attorney mail is never found, ranked or cut into a snippet, and neither
 * store's index holds its words (index_catch_up_tx skips it on SQLite; on
 * PostgreSQL the GIN index is partial on that condition, migration_23.c).
 *
 * SECURITY: the parameters are untrusted.  Each is checked (length, UTF-8,
 * form) and bound as a value; the SQL text is made only of constants and
 * of term numbers we count ourselves.  The words reach FTS5 and
 * websearch_to_tsquery only as quoted terms (search_text.c).
 */
#include "domain/oversight/investigation.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/text.h"
#include "domain/audit/audit.h"
#include "domain/oversight/search_text.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MS_PER_DAY INT64_C(86400000)

/* The facility's messages with both parties: the one scope of every search (see SCOPE above). */
#define SEARCH_COLUMNS                                                                                          \
    "SELECT m.id, m.created_at, m.status, m.direction, m.subject, m.body, ra.id, ra.full_name,"               \
    " r.resident_number, ca.id, ca.full_name"
#define SEARCH_JOINS                                                                                            \
    " JOIN residents r ON r.id = m.resident_id JOIN accounts ra ON ra.id = r.account_id"                      \
    " JOIN contacts c ON c.id = m.contact_id JOIN accounts ca ON ca.id = c.contact_account_id"
#define SEARCH_WHERE                                                                                            \
    " WHERE m.facility_id = $1 AND m.privileged = 0"                                                          \
    " AND ($2 = '' OR r.resident_number = $2) AND ($3 = 0 OR ca.id = $3) AND ($4 = '' OR ca.email = $4)"    \
    " AND m.created_at >= $5 AND m.created_at < $6 AND ($7 = '' OR m.status = $7)"                           \
    " AND ($8 = 0 OR EXISTS (SELECT 1 FROM message_rule_matches x WHERE x.message_id = m.id AND x.rule_id = $8))"
#define SEARCH_PAGE " LIMIT $9 OFFSET $10"
#define SEARCH_NEWEST " ORDER BY m.created_at DESC, m.id DESC"

/* PostgreSQL: exactly the expression of the index messages_search (migrations_pg.c). */
#define MESSAGE_TSVECTOR                                                                                        \
    "(to_tsvector('english', m.subject || ' ' || m.body) || to_tsvector('spanish', m.subject || ' ' || m.body))"

kite_err investigation_allowed(const account *caller, int64_t facility_id)
{
    /* Staff of another facility learn nothing of this one (404); other roles may not investigate (403). */
    if (role_is_facility_staff(caller->role) && caller->facility_id != facility_id)
        return KITE_ERR_NOT_FOUND;
    if (caller->role == ROLE_OPERATOR || caller->role == ROLE_INVESTIGATOR)
        return KITE_OK;
    return KITE_ERR_FORBIDDEN;
}

/* The checked parameters, ready to bind. */
typedef struct search_args {
    arena *a;
    const investigation_query *q;
    search_terms terms;
    search_marker marker; /* the words' stems, for every snippet of the page */
    bool check_index;     /* SQLite, a first read: look whether message_search is behind */
    bool index_behind;    /* it was: messages newer than message_search (index_catch_up_tx) */
    const char *resident_number, *contact_email, *status;
    int64_t contact_id, from_ms, to_ms, offset;
    int64_t now;
    const account *caller;
    investigation_page *out;
} search_args;

static kite_err person_parse(search_args *s, kite_fault *fault)
{
    const char *p = s->q->person;
    s->resident_number = s->contact_email = "";
    if (p == NULL || *p == '\0')
        return KITE_OK;
    size_t len = strlen(p);
    if (len > INVESTIGATION_PERSON_MAX_BYTES || !utf8_valid(p, len))
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "person", FAULT_NOT_VALID);
    if (strncmp(p, "contact:", 8) == 0) {
        char *end;
        long long id = strtoll(p + 8, &end, 10);
        if (p[8] < '0' || p[8] > '9' || *end != '\0' || id <= 0)
            return fault_set(fault, KITE_ERR_INVALID_FIELD, "person", FAULT_NOT_VALID);
        s->contact_id = id;
    } else if (strchr(p, '@') != NULL)
        s->contact_email = text_lower(s->a, text_trim(s->a, p)); /* stored trimmed and in lower case */
    else
        s->resident_number = text_trim(s->a, p);
    return KITE_OK;
}

/* A day (its start, or with end the next day's start) or an RFC 3339 time (with end: just after it). */
static kite_err time_parse(const char *text, const char *field, bool end, int64_t fallback, int64_t *out,
                           kite_fault *fault)
{
    if (text == NULL || *text == '\0') {
        *out = fallback;
        return KITE_OK;
    }
    int64_t ms;
    if (clock_parse_day(text, &ms))
        *out = end ? ms + MS_PER_DAY : ms;
    else if (clock_parse_rfc3339(text, &ms))
        *out = end ? ms + 1 : ms;
    else
        return fault_set(fault, KITE_ERR_INVALID_FIELD, field, FAULT_DATE);
    return KITE_OK;
}

static kite_err args_parse(search_args *s, kite_fault *fault)
{
    const investigation_query *q = s->q;
    kite_err err = search_terms_parse(s->a, q->q, &s->terms, fault);
    if (err == KITE_OK)
        err = person_parse(s, fault);
    if (err == KITE_OK)
        err = time_parse(q->from, "from", false, 0, &s->from_ms, fault);
    if (err == KITE_OK)
        err = time_parse(q->to, "to", true, INT64_MAX, &s->to_ms, fault);
    if (err != KITE_OK)
        return err;
    message_status status;
    s->status = "";
    if (q->status != NULL && *q->status != '\0') {
        if (!message_status_parse(q->status, &status))
            return fault_set(fault, KITE_ERR_INVALID_FIELD, "status", FAULT_PARAM_CHOICE);
        s->status = message_status_name(status);
    }
    s->offset = 0;
    if (q->cursor != NULL && *q->cursor != '\0') {
        char *end;
        long long offset = strtoll(q->cursor, &end, 10);
        if (q->cursor[0] < '0' || q->cursor[0] > '9' || *end != '\0' || offset > INVESTIGATION_OFFSET_MAX)
            return fault_set(fault, KITE_ERR_INVALID_FIELD, "cursor", FAULT_UNKNOWN);
        s->offset = offset;
    }
    return KITE_OK;
}

/* The statement for this search, on this store: constants and term numbers only. */
static const char *search_sql(db_conn *conn, search_args *s)
{
    if (s->terms.count == 0)
        return SEARCH_COLUMNS " FROM messages m" SEARCH_JOINS SEARCH_WHERE SEARCH_NEWEST SEARCH_PAGE;
    if (db_conn_dialect(conn) == DB_SQLITE)
        return SEARCH_COLUMNS " FROM message_search JOIN messages m ON m.id = message_search.rowid" SEARCH_JOINS
               SEARCH_WHERE " AND message_search MATCH $11"
               " ORDER BY bm25(message_search, 2.0, 1.0), m.created_at DESC, m.id DESC" SEARCH_PAGE;
    buf sql, rank;
    buf_init(&sql, s->a);
    buf_init(&rank, s->a);
    buf_puts(&sql, SEARCH_COLUMNS " FROM messages m" SEARCH_JOINS SEARCH_WHERE);
    for (size_t i = 0; i < s->terms.count; i++) {
        int n = 11 + (int)i;
        const char *query = arena_sprintf(s->a, "(websearch_to_tsquery('english', $%d) ||"
                                                " websearch_to_tsquery('spanish', $%d))", n, n);
        buf_printf(&sql, " AND " MESSAGE_TSVECTOR " @@ %s", query);
        buf_printf(&rank, " + ts_rank(" MESSAGE_TSVECTOR ", %s)", query);
    }
    buf_printf(&sql, " ORDER BY (0%s) DESC, m.created_at DESC, m.id DESC" SEARCH_PAGE, rank.data);
    return sql.data;
}

static void read_hit(db_stmt *st, search_args *s, investigation_hit *h)
{
    arena *a = s->a;
    memset(h, 0, sizeof *h);
    h->message_id = db_int(st, 0);
    h->created_at = db_int(st, 1);
    if (!message_status_parse(db_text(st, 2), &h->status))
        h->status = MESSAGE_STATUS_COUNT; /* written as "unknown" */
    message_direction dir = MESSAGE_TO_RESIDENT;
    (void)message_direction_parse(db_text(st, 3), &dir);
    h->subject = arena_strdup(a, db_text(st, 4));
    search_snippet(a, &s->marker, db_text(st, 5), h);
    investigation_party resident = {db_int(st, 6), arena_strdup(a, db_text(st, 7)), arena_strdup(a, db_text(st, 8))};
    investigation_party contact = {db_int(st, 9), arena_strdup(a, db_text(st, 10)), NULL};
    h->sender = dir == MESSAGE_FROM_RESIDENT ? resident : contact;
    h->recipient = dir == MESSAGE_FROM_RESIDENT ? contact : resident;
    h->rank = s->offset + (int64_t)s->out->count + 1;
}

/* SQLite: whether messages newer than the index's newest exist (index_catch_up_tx says why). */
static kite_err index_behind(db_conn *conn, bool *behind)
{
    /* The newest message the index may hold: privileged ones it never holds (migration_23.c). */
    db_stmt *st = db_prepare(conn, "SELECT COALESCE((SELECT id FROM messages WHERE privileged = 0 ORDER BY id DESC LIMIT 1), 0)"
                                   " > (SELECT COALESCE(MAX(id), 0) FROM message_search_docsize)");
    *behind = db_next(st) && db_int(st, 0) != 0;
    return db_done(st);
}

static kite_err search_tx(db_conn *conn, void *data)
{
    search_args *s = data;
    investigation_page *out = s->out;
    size_t limit = s->q->limit;
    s->index_behind = false;
    if (s->check_index && s->terms.count > 0 && db_conn_dialect(conn) == DB_SQLITE) {
        kite_err err = index_behind(conn, &s->index_behind);
        if (err != KITE_OK || s->index_behind)
            return err; /* the caller brings the index up to date and reads again */
    }
    db_stmt *st = db_prepare(conn, search_sql(conn, s));
    db_bind_int(st, 1, s->q->facility_id);
    db_bind_text(st, 2, s->resident_number);
    db_bind_int(st, 3, s->contact_id);
    db_bind_text(st, 4, s->contact_email);
    db_bind_int(st, 5, s->from_ms);
    db_bind_int(st, 6, s->to_ms);
    db_bind_text(st, 7, s->status);
    db_bind_int(st, 8, s->q->rule_id);
    db_bind_int(st, 9, (int64_t)limit + 1);
    db_bind_int(st, 10, s->offset);
    if (s->terms.count > 0 && db_conn_dialect(conn) == DB_SQLITE)
        db_bind_text(st, 11, search_terms_fts5(s->a, &s->terms));
    else
        for (size_t i = 0; i < s->terms.count; i++)
            db_bind_text(st, 11 + (int)i, search_terms_websearch(s->a, &s->terms, i));
    out->items = arena_alloc(s->a, (limit ? limit : 1) * sizeof *out->items);
    out->count = 0;
    out->next_cursor = NULL;
    bool more = false;
    while (db_next(st)) {
        if (out->count == limit) {
            more = true;
            break;
        }
        read_hit(st, s, &out->items[out->count]);
        out->count++;
    }
    kite_err err = db_done(st);
    int64_t next = s->offset + (int64_t)limit;
    if (more && next <= INVESTIGATION_OFFSET_MAX)
        out->next_cursor = arena_sprintf(s->a, "%" PRId64, next);
    return err;
}

/*
 * name=value&... with every value percent-encoded (RFC 3986's unreserved
 * characters kept): the record can always be read back apart.  Written
 * here rather than by libcurl, which the domain does not reach
 * (tools/check-structure.py).
 */
static void detail_param(buf *b, const char *name, const char *value)
{
    if (value == NULL || *value == '\0')
        return;
    buf_printf(b, "%s%s=", b->len ? "&" : "", name);
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-_.~", *p))
            buf_append(b, (const char *)p, 1);
        else
            buf_printf(b, "%%%02X", *p);
    }
}

/* The search as it was asked and what it showed. */
static kite_err search_audit_tx(db_conn *conn, void *data)
{
    search_args *s = data;
    const investigation_query *q = s->q;
    buf d;
    buf_init(&d, s->a);
    detail_param(&d, "q", q->q);
    detail_param(&d, "person", q->person);
    detail_param(&d, "from", q->from);
    detail_param(&d, "to", q->to);
    detail_param(&d, "status", q->status);
    detail_param(&d, "rule", q->rule_id ? arena_sprintf(s->a, "%" PRId64, q->rule_id) : NULL);
    detail_param(&d, "cursor", q->cursor);
    buf_printf(&d, "%slimit=%zu&messages=", d.len ? "&" : "", q->limit);
    for (size_t i = 0; i < s->out->count; i++)
        buf_printf(&d, "%s%" PRId64, i ? "," : "", s->out->items[i].message_id);
    return audit_append(conn, s->now, audit_actor_account(s->a, s->caller->id), "investigation.search",
                        audit_target(s->a, "facility", q->facility_id), d.data);
}

/*
 * SQLite: adds to message_search the messages above the largest id it holds
 * (migrations.c, step 22, says why no trigger does).  Messages are appended
 * with growing ids and their text never changes, so this makes the index
 * whole up to now.  Run only when the search's read found the index behind
 * (index_behind): an index already whole costs no write.
 */
static kite_err index_catch_up_tx(db_conn *conn, void *data)
{
    (void)data;
    db_stmt *s = db_prepare(conn, "INSERT INTO message_search(rowid, subject, body)"
                                  " SELECT id, subject, body FROM messages"
                                  " WHERE id > (SELECT COALESCE(MAX(id), 0) FROM message_search_docsize)"
                                  " AND privileged = 0 ORDER BY id");
    return db_exec(s);
}

kite_err investigation_search(const kite_ctx *ctx, arena *a, const account *caller, const investigation_query *q,
                              investigation_page *out, kite_fault *fault)
{
    memset(out, 0, sizeof *out);
    memset(fault, 0, sizeof *fault);
    kite_err err = investigation_allowed(caller, q->facility_id);
    if (err != KITE_OK)
        return err;
    search_args s = {.a = a, .q = q, .caller = caller, .out = out, .now = clock_now_ms(&ctx->clock), .check_index = true};
    if ((err = args_parse(&s, fault)) != KITE_OK)
        return err;
    stemmers *stem = stemmers_new();
    search_marker_init(a, &s.terms, stem, &s.marker);
    err = db_read(ctx->store, search_tx, &s);
    if (err == KITE_OK && s.index_behind && (err = db_write(ctx->store, index_catch_up_tx, NULL)) == KITE_OK) {
        s.check_index = false; /* whole up to the catch-up: what came since is for the next search */
        err = db_read(ctx->store, search_tx, &s);
    }
    stemmers_free(stem);
    /* Nothing is shown until the search is on the record. */
    return err != KITE_OK ? err : db_write(ctx->store, search_audit_tx, &s);
}
