/*
 * correspondents.c - who writes to whom at a facility (investigation.h).
 *
 * Design: one grouped statement over the facility's messages.  For a
 * resident, a row per contact: messages each way, the first and the last,
 * and how many residents of the facility that contact exchanges messages
 * with - the contact who writes to several residents stands out.  For a
 * contact, a row per resident of the facility.  Like a search, the view is
 * read without the writer and answered only once its audit record (who
 * asked about whom, how many rows were shown) committed.
 *
 * SCOPE: every statement holds "m.facility_id = $1" (see investigation.c):
 * what a contact writes to residents of other facilities is not counted or
 * shown, and a contact's name is shown only when they have messages here,
 * so an account id cannot be used to look up a stranger.
 *
 * SECURITY: resident_number is untrusted text, bounded and bound as a
 * value; contact_id is a checked integer.
 */
#include "domain/oversight/investigation.h"

#include "core/clock.h"
#include "core/text.h"
#include "domain/audit/audit.h"

#include <inttypes.h>
#include <string.h>

#define COUNT_WAYS                                                                                              \
    " SUM(CASE WHEN m.direction = $4 THEN 1 ELSE 0 END), SUM(CASE WHEN m.direction = $5 THEN 1 ELSE 0 END),"  \
    " MIN(m.created_at), MAX(m.created_at)"

typedef struct corr_args {
    arena *a;
    const account *caller;
    int64_t facility_id, now;
    const char *resident_number; /* NULL: a contact's view */
    int64_t resident_id, contact_id;
    correspondents_page *out;
} corr_args;

static kite_err resident_person(db_conn *conn, corr_args *c)
{
    db_stmt *s = db_prepare(conn, "SELECT r.id, a.id, a.full_name, r.resident_number FROM residents r"
                                  " JOIN accounts a ON a.id = r.account_id"
                                  " WHERE r.facility_id = $1 AND r.resident_number = $2");
    db_bind_int(s, 1, c->facility_id);
    db_bind_text(s, 2, c->resident_number);
    bool found = db_next(s);
    if (found) {
        c->resident_id = db_int(s, 0);
        c->out->person = (investigation_party){db_int(s, 1), arena_strdup(c->a, db_text(s, 2)),
                                               arena_strdup(c->a, db_text(s, 3))};
    }
    kite_err err = db_done(s);
    return err == KITE_OK && !found ? KITE_ERR_NOT_FOUND : err;
}

static kite_err contact_person(db_conn *conn, corr_args *c)
{
    c->out->person = (investigation_party){c->contact_id, NULL, NULL};
    db_stmt *s = db_prepare(conn, "SELECT a.full_name FROM accounts a WHERE a.id = $2 AND EXISTS (SELECT 1"
                                  " FROM messages m JOIN contacts c ON c.id = m.contact_id"
                                  " WHERE m.facility_id = $1 AND c.contact_account_id = a.id)");
    db_bind_int(s, 1, c->facility_id);
    db_bind_int(s, 2, c->contact_id);
    if (db_next(s))
        c->out->person.name = arena_strdup(c->a, db_text(s, 0));
    return db_done(s);
}

static db_stmt *rows_statement(db_conn *conn, corr_args *c)
{
    bool resident = c->resident_number != NULL;
    db_stmt *s = db_prepare(conn, resident
        ? "SELECT ca.id, ca.full_name, NULL, ca.email," COUNT_WAYS ","
          " (SELECT COUNT(DISTINCT m2.resident_id) FROM messages m2 JOIN contacts c2 ON c2.id = m2.contact_id"
          "  WHERE m2.facility_id = $1 AND c2.contact_account_id = ca.id)"
          " FROM messages m JOIN contacts c ON c.id = m.contact_id JOIN accounts ca ON ca.id = c.contact_account_id"
          " WHERE m.facility_id = $1 AND m.resident_id = $2"
          " GROUP BY ca.id, ca.full_name, ca.email ORDER BY MAX(m.created_at) DESC, ca.id LIMIT $3"
        : "SELECT ra.id, ra.full_name, r.resident_number, NULL," COUNT_WAYS ", 0"
          " FROM messages m JOIN residents r ON r.id = m.resident_id JOIN accounts ra ON ra.id = r.account_id"
          " JOIN contacts c ON c.id = m.contact_id"
          " WHERE m.facility_id = $1 AND c.contact_account_id = $2"
          " GROUP BY ra.id, ra.full_name, r.resident_number ORDER BY MAX(m.created_at) DESC, ra.id LIMIT $3");
    db_bind_int(s, 1, c->facility_id);
    db_bind_int(s, 2, resident ? c->resident_id : c->contact_id);
    db_bind_int(s, 3, INVESTIGATION_CORRESPONDENTS_MAX);
    /* "sent" counts the person's own messages: from a resident, or to one from a contact. */
    db_bind_text(s, 4, message_direction_name(resident ? MESSAGE_FROM_RESIDENT : MESSAGE_TO_RESIDENT));
    db_bind_text(s, 5, message_direction_name(resident ? MESSAGE_TO_RESIDENT : MESSAGE_FROM_RESIDENT));
    return s;
}

static kite_err corr_tx(db_conn *conn, void *data)
{
    corr_args *c = data;
    kite_err err = c->resident_number != NULL ? resident_person(conn, c) : contact_person(conn, c);
    if (err != KITE_OK)
        return err;
    correspondents_page *out = c->out;
    out->items = arena_alloc(c->a, INVESTIGATION_CORRESPONDENTS_MAX * sizeof *out->items);
    out->count = 0;
    db_stmt *s = rows_statement(conn, c);
    while (out->count < INVESTIGATION_CORRESPONDENTS_MAX && db_next(s)) {
        correspondent *r = &out->items[out->count++];
        r->party = (investigation_party){db_int(s, 0), arena_strdup(c->a, db_text(s, 1)),
                                         db_is_null(s, 2) ? NULL : arena_strdup(c->a, db_text(s, 2))};
        r->email = db_is_null(s, 3) ? NULL : arena_strdup(c->a, db_text(s, 3));
        r->sent = db_int(s, 4);
        r->received = db_int(s, 5);
        r->first_at = db_int(s, 6);
        r->last_at = db_int(s, 7);
        r->residents = db_int(s, 8);
    }
    return db_done(s);
}

static kite_err corr_audit_tx(db_conn *conn, void *data)
{
    corr_args *c = data;
    const char *about = c->resident_number != NULL
                            ? arena_sprintf(c->a, "resident:%" PRId64, c->resident_id)
                            : arena_sprintf(c->a, "contact:%" PRId64, c->contact_id);
    return audit_append(conn, c->now, audit_actor_account(c->a, c->caller->id), "investigation.correspondents",
                        audit_target(c->a, "facility", c->facility_id),
                        arena_sprintf(c->a, "person=%s&correspondents=%zu", about, c->out->count));
}

kite_err investigation_correspondents(const kite_ctx *ctx, arena *a, const account *caller, int64_t facility_id,
                                      const char *resident_number, int64_t contact_id, correspondents_page *out,
                                      kite_fault *fault)
{
    memset(out, 0, sizeof *out);
    memset(fault, 0, sizeof *fault);
    kite_err err = investigation_allowed(caller, facility_id);
    if (err != KITE_OK)
        return err;
    bool by_resident = resident_number != NULL && *resident_number != '\0';
    if (by_resident == (contact_id > 0))
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "resident_number", FAULT_INVESTIGATION_PERSON);
    if (by_resident && (strlen(resident_number) > INVESTIGATION_PERSON_MAX_BYTES ||
                        !utf8_valid(resident_number, strlen(resident_number))))
        return fault_set(fault, KITE_ERR_NOT_FOUND, "resident_number", FAULT_UNKNOWN);
    corr_args c = {a, caller, facility_id, clock_now_ms(&ctx->clock), by_resident ? resident_number : NULL,
                   0, contact_id, out};
    err = db_read(ctx->store, corr_tx, &c);
    if (err == KITE_ERR_NOT_FOUND)
        return fault_set(fault, KITE_ERR_NOT_FOUND, "resident_number", FAULT_UNKNOWN);
    if (err != KITE_OK)
        return err;
    return db_write(ctx->store, corr_audit_tx, &c);
}
