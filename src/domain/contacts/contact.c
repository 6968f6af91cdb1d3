/*
 * contact.c - the contact list and ending contact.
 */
#include "domain/contacts/contact.h"

#include "core/text.h"
#include "domain/audit/audit.h"
#include "domain/contacts/contact_rules.h"
#include "domain/directory/directory.h"
#include "mail/notice.h"
#include "domain/directory/providers.h"
#include "domain/identity/session.h"

#include <inttypes.h>
#include <string.h>

#define CONTACT_SELECT                                                                                         \
    "SELECT c.id, c.status, c.origin, c.created_at, c.updated_at, r.id, r.resident_number, r.first_name,"       \
    " r.last_name, r.status, f.id, f.name, (SELECT COUNT(*) FROM facility_policies p WHERE p.facility_id = f.id)," \
    " COALESCE(pr.slug, 'unknown'), COALESCE(pr.name, 'Not known yet'), a.id, a.full_name, a.email,"           \
    " (SELECT COUNT(*) FROM attorneys t WHERE t.account_id = a.id AND t.status = 'verified')"                  \
    " FROM contacts c JOIN residents r ON r.id = c.resident_id JOIN facilities f ON f.id = r.facility_id"       \
    " JOIN accounts a ON a.id = c.contact_account_id"                                                          \
    " LEFT JOIN facility_services fs ON fs.facility_id = f.id AND fs.service = 'messaging'"                     \
    " LEFT JOIN providers pr ON pr.id = fs.provider_id"

static void read_contact(db_stmt *s, arena *a, contact_view *out)
{
    out->id = db_int(s, 0);
    /* Rows hold only names from the tables; were one not, the contact would read as ended. */
    out->status = CONTACT_REMOVED;
    (void)contact_status_parse(db_text(s, 1), &out->status);
    out->origin = arena_strdup(a, db_text(s, 2));
    out->created_at = db_int(s, 3);
    out->updated_at = db_int(s, 4);
    out->resident_id = db_int(s, 5);
    out->resident_number = arena_strdup(a, db_text(s, 6));
    out->resident_first_name = arena_strdup(a, db_text(s, 7));
    out->resident_last_name = arena_strdup(a, db_text(s, 8));
    out->resident_status = RESIDENT_RELEASED;
    (void)resident_status_parse(db_text(s, 9), &out->resident_status);
    out->facility_id = db_int(s, 10);
    out->facility_name = arena_strdup(a, db_text(s, 11));
    out->facility_on_platform = db_int(s, 12) > 0;
    out->messaging_slug = arena_strdup(a, db_text(s, 13));
    out->messaging_name = arena_strdup(a, db_text(s, 14));
    out->contact_account_id = db_int(s, 15);
    out->contact_name = arena_strdup(a, db_text(s, 16));
    out->contact_email = arena_strdup(a, db_text(s, 17));
    out->privileged = db_int(s, 18) > 0;
}

/* The caller's side of the pair: residents see contacts by resident account, contacts by their own id. */
static const char *owner_clause(const account *caller)
{
    return caller->role == ROLE_RESIDENT ? " r.account_id = $1" : " c.contact_account_id = $1";
}

struct contact_query {
    arena *a;
    const account *caller;
    int64_t id; /* 0: the whole list */
    contact_view *items;
    size_t count;
};

static kite_err query_tx(db_conn *conn, void *data)
{
    struct contact_query *in = data;
    const char *sql = in->id != 0
        ? arena_sprintf(in->a, CONTACT_SELECT " WHERE%s AND c.id = $2", owner_clause(in->caller))
        : arena_sprintf(in->a, CONTACT_SELECT " WHERE%s AND c.status IN ('active', 'suspended')"
                               " ORDER BY c.status, r.last_name, a.full_name, c.id", owner_clause(in->caller));
    db_stmt *s = db_prepare(conn, sql);
    db_bind_int(s, 1, in->caller->id);
    if (in->id != 0)
        db_bind_int(s, 2, in->id);
    size_t cap = 16;
    in->items = arena_alloc(in->a, cap * sizeof *in->items);
    while (db_next(s)) {
        in->items = arena_grow(in->a, in->items, in->count, &cap, sizeof *in->items);
        read_contact(s, in->a, &in->items[in->count++]);
    }
    return db_done(s);
}

kite_err contact_list(const kite_ctx *ctx, arena *a, const account *caller, contact_view **items, size_t *count)
{
    if (caller->role != ROLE_RESIDENT && caller->role != ROLE_CONTACT)
        return KITE_ERR_FORBIDDEN;
    struct contact_query in = {a, caller, 0, NULL, 0};
    kite_err err = db_read(ctx->store, query_tx, &in);
    *items = in.items;
    *count = in.count;
    return err;
}

kite_err contact_get(const kite_ctx *ctx, arena *a, const account *caller, int64_t contact_id, contact_view *out)
{
    if (caller->role != ROLE_RESIDENT && caller->role != ROLE_CONTACT)
        return KITE_ERR_FORBIDDEN;
    struct contact_query in = {a, caller, contact_id, NULL, 0};
    kite_err err = db_read(ctx->store, query_tx, &in);
    if (err == KITE_OK && in.count == 0)
        return KITE_ERR_NOT_FOUND;
    if (err == KITE_OK)
        *out = in.items[0];
    return err;
}

struct end_contact {
    arena *a;
    const account *caller;
    int64_t id;
    int64_t now;
    contact_view *out;
};

static kite_err end_tx(db_conn *conn, void *data)
{
    struct end_contact *in = data;
    struct contact_query q = {in->a, in->caller, in->id, NULL, 0};
    kite_err err = query_tx(conn, &q);
    if (err != KITE_OK)
        return err;
    if (q.count == 0)
        return KITE_ERR_NOT_FOUND;
    contact_view *c = &q.items[0];
    bool by_resident = in->caller->role == ROLE_RESIDENT;
    contact_status new_status = by_resident ? CONTACT_REMOVED : CONTACT_BLOCKED;
    /* A resident's removal never undoes a block; a block always wins; ending twice changes nothing. */
    if (!contact_transition_allowed(c->status, new_status)) {
        *in->out = *c;
        return KITE_OK;
    }
    db_stmt *s = db_prepare(conn, "UPDATE contacts SET status = $1, updated_at = $2 WHERE id = $3");
    db_bind_text(s, 1, contact_status_name(new_status));
    db_bind_int(s, 2, in->now);
    db_bind_int(s, 3, c->id);
    if ((err = db_exec(s)) != KITE_OK)
        return err;
    /* Pending requests and invitations between the two end with the contact. */
    db_stmt *requests = db_prepare(conn,
        "UPDATE contact_requests SET status = 'cancelled', decided_at = $1, decided_by = $2"
        " WHERE resident_id = $3 AND contact_account_id = $4 AND status = 'pending'");
    db_bind_int(requests, 1, in->now);
    db_bind_text(requests, 2, audit_actor_account(in->a, in->caller->id));
    db_bind_int(requests, 3, c->resident_id);
    db_bind_int(requests, 4, c->contact_account_id);
    if ((err = db_exec(requests)) != KITE_OK)
        return err;
    c->status = new_status;
    c->updated_at = in->now;
    *in->out = *c;
    return audit_append(conn, in->now, audit_actor_account(in->a, in->caller->id),
                        by_resident ? "contact.remove" : "contact.block",
                        audit_target(in->a, "contact", c->id),
                        arena_sprintf(in->a, "resident=%" PRId64 " contact_account=%" PRId64, c->resident_id,
                                      c->contact_account_id));
}

kite_err contact_end(const kite_ctx *ctx, arena *a, const account *caller, int64_t contact_id, contact_view *out)
{
    if (caller->role != ROLE_RESIDENT && caller->role != ROLE_CONTACT)
        return KITE_ERR_FORBIDDEN;
    struct end_contact in = {a, caller, contact_id, clock_now_ms(&ctx->clock), out};
    return db_write(ctx->store, end_tx, &in);
}
