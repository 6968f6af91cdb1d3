/*
 * contact.c - the contact list, ending contact, facility blocks and moves.
 */
#include "domain/contact.h"

#include "core/text.h"
#include "domain/audit.h"
#include "domain/contact_rules.h"
#include "domain/directory.h"
#include "domain/notify.h"
#include "domain/providers.h"
#include "domain/session.h"

#include <inttypes.h>
#include <string.h>

#define CONTACT_SELECT                                                                                         \
    "SELECT c.id, c.status, c.origin, c.created_at, c.updated_at, r.id, r.resident_number, r.first_name,"       \
    " r.last_name, r.status, f.id, f.name, (SELECT COUNT(*) FROM facility_policies p WHERE p.facility_id = f.id)," \
    " COALESCE(pr.slug, 'unknown'), COALESCE(pr.name, 'Not known yet'), a.id, a.full_name, a.email"            \
    " FROM contacts c JOIN residents r ON r.id = c.resident_id JOIN facilities f ON f.id = r.facility_id"       \
    " JOIN accounts a ON a.id = c.contact_account_id"                                                          \
    " LEFT JOIN facility_services fs ON fs.facility_id = f.id AND fs.service = 'messaging'"                     \
    " LEFT JOIN providers pr ON pr.id = fs.provider_id"

static void read_contact(db_stmt *s, arena *a, contact_view *out)
{
    out->id = db_int(s, 0);
    out->status = arena_strdup(a, db_text(s, 1));
    out->origin = arena_strdup(a, db_text(s, 2));
    out->created_at = db_int(s, 3);
    out->updated_at = db_int(s, 4);
    out->resident_id = db_int(s, 5);
    out->resident_number = arena_strdup(a, db_text(s, 6));
    out->resident_first_name = arena_strdup(a, db_text(s, 7));
    out->resident_last_name = arena_strdup(a, db_text(s, 8));
    out->resident_status = arena_strdup(a, db_text(s, 9));
    out->facility_id = db_int(s, 10);
    out->facility_name = arena_strdup(a, db_text(s, 11));
    out->facility_on_platform = db_int(s, 12) > 0;
    out->messaging_slug = arena_strdup(a, db_text(s, 13));
    out->messaging_name = arena_strdup(a, db_text(s, 14));
    out->contact_account_id = db_int(s, 15);
    out->contact_name = arena_strdup(a, db_text(s, 16));
    out->contact_email = arena_strdup(a, db_text(s, 17));
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
    int64_t settled;
    kite_err err = contact_requests_settle(ctx, &settled);
    if (err != KITE_OK)
        return err;
    struct contact_query in = {a, caller, 0, NULL, 0};
    err = db_read(ctx->store, query_tx, &in);
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
    const char *new_status = by_resident ? "removed" : "blocked";
    /* A resident's removal never undoes a block; a block always wins. */
    if (strcmp(c->status, "blocked") == 0 || strcmp(c->status, "facility_blocked") == 0 ||
        strcmp(c->status, new_status) == 0) {
        *in->out = *c;
        return KITE_OK;
    }
    db_stmt *s = db_prepare(conn, "UPDATE contacts SET status = $1, updated_at = $2 WHERE id = $3");
    db_bind_text(s, 1, new_status);
    db_bind_int(s, 2, in->now);
    db_bind_int(s, 3, c->id);
    if ((err = db_exec(s)) != KITE_OK)
        return err;
    /* Pending requests and invitations between the two end with the contact. */
    db_stmt *requests = db_prepare(conn,
        "UPDATE contact_requests SET status = 'cancelled', decided_at = $1, decided_by = $2"
        " WHERE resident_id = $3 AND contact_account_id = $4 AND status = 'pending'");
    db_bind_int(requests, 1, in->now);
    db_bind_text(requests, 2, arena_sprintf(in->a, "account:%" PRId64, in->caller->id));
    db_bind_int(requests, 3, c->resident_id);
    db_bind_int(requests, 4, c->contact_account_id);
    if ((err = db_exec(requests)) != KITE_OK)
        return err;
    c->status = new_status;
    c->updated_at = in->now;
    *in->out = *c;
    return audit_append(conn, in->now, arena_sprintf(in->a, "account:%" PRId64, in->caller->id),
                        by_resident ? "contact.remove" : "contact.block",
                        arena_sprintf(in->a, "contact:%" PRId64, c->id),
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

/* ---- facility blocks ---- */

struct add_block {
    arena *a;
    int64_t facility_id;
    const char *email;
    const char *number;
    const char *reason;
    const char *actor;
    int64_t now;
    facility_block *out;
};

static kite_err add_block_tx(db_conn *conn, void *data)
{
    struct add_block *in = data;
    policy p;
    kite_err err = policy_load(conn, in->a, in->facility_id, &p);
    if (err == KITE_ERR_NOT_FOUND)
        return KITE_ERR_NOT_ON_PLATFORM;
    if (err != KITE_OK)
        return err;
    int64_t resident_id = 0;
    if (in->number != NULL) {
        resident r;
        if ((err = resident_load(conn, in->a, in->facility_id, in->number, &r)) != KITE_OK)
            return err;
        resident_id = r.id;
    }
    db_stmt *insert = db_prepare(conn,
        "INSERT INTO facility_blocks (facility_id, resident_id, email, reason, created_at, created_by)"
        " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id");
    db_bind_int(insert, 1, in->facility_id);
    if (resident_id != 0)
        db_bind_int(insert, 2, resident_id);
    else
        db_bind_null(insert, 2);
    db_bind_text(insert, 3, in->email);
    db_bind_text(insert, 4, in->reason);
    db_bind_int(insert, 5, in->now);
    db_bind_text(insert, 6, in->actor);
    int64_t id = db_next(insert) ? db_int(insert, 0) : 0;
    if ((err = db_done(insert)) != KITE_OK)
        return err;
    /* Contacts the block covers stop now; pending requests and invitations end. */
    db_stmt *contacts = db_prepare(conn,
        "UPDATE contacts SET status = 'facility_blocked', updated_at = $1 WHERE status IN ('active', 'suspended', 'removed')"
        " AND contact_account_id IN (SELECT id FROM accounts WHERE email = $2)"
        " AND resident_id IN (SELECT id FROM residents WHERE facility_id = $3 AND ($4 = 0 OR id = $4))");
    db_bind_int(contacts, 1, in->now);
    db_bind_text(contacts, 2, in->email);
    db_bind_int(contacts, 3, in->facility_id);
    db_bind_int(contacts, 4, resident_id);
    if ((err = db_exec(contacts)) != KITE_OK)
        return err;
    db_stmt *invitations = db_prepare(conn,
        "UPDATE invitations SET status = 'revoked' WHERE status = 'pending' AND email = $1"
        " AND resident_id IN (SELECT id FROM residents WHERE facility_id = $2 AND ($3 = 0 OR id = $3))");
    db_bind_text(invitations, 1, in->email);
    db_bind_int(invitations, 2, in->facility_id);
    db_bind_int(invitations, 3, resident_id);
    if ((err = db_exec(invitations)) != KITE_OK)
        return err;
    db_stmt *requests = db_prepare(conn,
        "UPDATE contact_requests SET status = 'cancelled', decided_at = $1, decided_by = $2 WHERE status = 'pending'"
        " AND contact_account_id IN (SELECT id FROM accounts WHERE email = $3)"
        " AND resident_id IN (SELECT id FROM residents WHERE facility_id = $4 AND ($5 = 0 OR id = $5))");
    db_bind_int(requests, 1, in->now);
    db_bind_text(requests, 2, in->actor);
    db_bind_text(requests, 3, in->email);
    db_bind_int(requests, 4, in->facility_id);
    db_bind_int(requests, 5, resident_id);
    if ((err = db_exec(requests)) != KITE_OK)
        return err;
    *in->out = (facility_block){id, in->facility_id, resident_id, in->number, in->email, in->reason, in->now, in->actor};
    return audit_append(conn, in->now, in->actor, "facility_block.add", arena_sprintf(in->a, "facility_block:%" PRId64, id),
                        arena_sprintf(in->a, "facility=%" PRId64 " resident=%" PRId64 " email=%s reason=%s",
                                      in->facility_id, resident_id, in->email, in->reason));
}

kite_err facility_block_add(const kite_ctx *ctx, arena *a, int64_t facility_id, const char *email,
                            const char *resident_number, const char *reason, const char *actor, facility_block *out,
                            const char **bad_field)
{
    const char *norm;
    *bad_field = "email";
    if (email == NULL || email_normalize(a, email, &norm) != KITE_OK)
        return KITE_ERR_INVALID_FIELD;
    *bad_field = "reason";
    const char *why = reason != NULL ? text_trim(a, reason) : "";
    if (utf8_length(why) > 500 || !utf8_valid(why, strlen(why)))
        return KITE_ERR_INVALID_FIELD;
    *bad_field = NULL;
    struct add_block in = {a, facility_id, norm, resident_number, why, actor, clock_now_ms(&ctx->clock), out};
    return db_write(ctx->store, add_block_tx, &in);
}

struct list_blocks {
    arena *a;
    int64_t facility_id;
    facility_block *items;
    size_t count;
};

static kite_err list_blocks_tx(db_conn *conn, void *data)
{
    struct list_blocks *in = data;
    db_stmt *s = db_prepare(conn,
        "SELECT b.id, COALESCE(b.resident_id, 0), r.resident_number, b.email, b.reason, b.created_at, b.created_by"
        " FROM facility_blocks b LEFT JOIN residents r ON r.id = b.resident_id"
        " WHERE b.facility_id = $1 AND b.removed_at IS NULL ORDER BY b.id DESC LIMIT 500");
    db_bind_int(s, 1, in->facility_id);
    size_t cap = 16;
    in->items = arena_alloc(in->a, cap * sizeof *in->items);
    while (db_next(s)) {
        in->items = arena_grow(in->a, in->items, in->count, &cap, sizeof *in->items);
        facility_block *b = &in->items[in->count++];
        *b = (facility_block){db_int(s, 0), in->facility_id, db_int(s, 1), arena_strdup(in->a, db_text(s, 2)),
                              arena_strdup(in->a, db_text(s, 3)), arena_strdup(in->a, db_text(s, 4)), db_int(s, 5),
                              arena_strdup(in->a, db_text(s, 6))};
    }
    return db_done(s);
}

kite_err facility_block_list(const kite_ctx *ctx, arena *a, int64_t facility_id, facility_block **items, size_t *count)
{
    struct list_blocks in = {a, facility_id, NULL, 0};
    kite_err err = db_read(ctx->store, list_blocks_tx, &in);
    *items = in.items;
    *count = in.count;
    return err;
}

struct remove_block {
    arena *a;
    int64_t facility_id;
    int64_t id;
    const char *actor;
    int64_t now;
};

static kite_err remove_block_tx(db_conn *conn, void *data)
{
    struct remove_block *in = data;
    db_stmt *s = db_prepare(conn,
        "UPDATE facility_blocks SET removed_at = $1 WHERE id = $2 AND facility_id = $3 AND removed_at IS NULL");
    db_bind_int(s, 1, in->now);
    db_bind_int(s, 2, in->id);
    db_bind_int(s, 3, in->facility_id);
    kite_err err = db_exec(s);
    if (err != KITE_OK)
        return err;
    if (db_changes(conn) != 1)
        return KITE_ERR_NOT_FOUND;
    /* Lifting a block does not restore contacts: each side starts again if it wants to. */
    return audit_append(conn, in->now, in->actor, "facility_block.remove",
                        arena_sprintf(in->a, "facility_block:%" PRId64, in->id), "");
}

kite_err facility_block_remove(const kite_ctx *ctx, arena *a, int64_t facility_id, int64_t block_id, const char *actor)
{
    struct remove_block in = {a, facility_id, block_id, actor, clock_now_ms(&ctx->clock)};
    return db_write(ctx->store, remove_block_tx, &in);
}

/* ---- moves ---- */

struct transfer {
    const kite_ctx *ctx;
    arena *a;
    int64_t facility_id;
    const char *number;
    int64_t to_facility_id;
    const char *new_number;
    const char *actor;
    int64_t now;
    transfer_report *out;
    const char **bad_field;
};

/* Tells the resident's active contacts that Kite no longer reaches them, and who does. */
static kite_err tell_contacts_moved_away(struct transfer *in, db_conn *conn, const resident_place *place,
                                         const provider *messaging)
{
    db_stmt *s = db_prepare(conn,
        "SELECT a.email FROM contacts c JOIN accounts a ON a.id = c.contact_account_id"
        " WHERE c.resident_id = $1 AND c.status = 'active' AND a.email IS NOT NULL");
    db_bind_int(s, 1, place->r.id);
    const char *emails[256];
    size_t n = 0;
    while (n < 256 && db_next(s))
        emails[n++] = arena_strdup(in->a, db_text(s, 0));
    kite_err err = db_done(s);
    const char *name = arena_sprintf(in->a, "%s %s", place->r.first_name, place->r.last_name);
    for (size_t i = 0; err == KITE_OK && i < n; i++) {
        const char *paragraphs[] = {
            arena_sprintf(in->a, "%s has moved to %s. Kite does not serve that facility, so you can no longer "
                                 "write to them on Kite.", name, place->facility_name),
            strcmp(messaging->slug, "unknown") == 0
                ? "Kite does not know yet which service handles messages there: call the facility and ask, or "
                  "write by post with their full name and number."
                : arena_sprintf(in->a, "Messages to that facility go through %s.", messaging->name),
            "Your messages so far stay in your Kite account.",
        };
        notice note = {emails[i], "resident_moved", arena_sprintf(in->a, "%s has moved", name), paragraphs, 3,
                       "See where to write now", arena_sprintf(in->a, "/facilities/%" PRId64, in->to_facility_id)};
        err = notify(conn, in->ctx, in->a, in->now, &note);
    }
    return err;
}

/* Under the new facility's policy: blocked pairs stop, and the newest contacts over the limit wait. */
static kite_err recheck_contacts(struct transfer *in, db_conn *conn, const resident_place *place)
{
    db_stmt *blocked = db_prepare(conn,
        "UPDATE contacts SET status = 'facility_blocked', updated_at = $1 WHERE resident_id = $2"
        " AND status IN ('active', 'suspended') AND contact_account_id IN (SELECT a.id FROM accounts a"
        " JOIN facility_blocks b ON b.email = a.email WHERE b.facility_id = $3 AND b.removed_at IS NULL"
        " AND (b.resident_id IS NULL OR b.resident_id = $2))");
    db_bind_int(blocked, 1, in->now);
    db_bind_int(blocked, 2, place->r.id);
    db_bind_int(blocked, 3, place->r.facility_id);
    kite_err err = db_exec(blocked);
    if (err != KITE_OK)
        return err;
    in->out->contacts_suspended += db_changes(conn);
    db_stmt *count = db_prepare(conn, "SELECT COUNT(*) FROM contacts WHERE resident_id = $1 AND status = 'active'");
    db_bind_int(count, 1, place->r.id);
    int64_t active = db_next(count) ? db_int(count, 0) : 0;
    if ((err = db_done(count)) != KITE_OK || active <= place->p.contact_limit)
        return err;
    db_stmt *newest = db_prepare(conn,
        "SELECT id FROM contacts WHERE resident_id = $1 AND status = 'active' ORDER BY created_at DESC, id DESC LIMIT $2");
    db_bind_int(newest, 1, place->r.id);
    db_bind_int(newest, 2, active - place->p.contact_limit);
    int64_t *ids = arena_alloc(in->a, (size_t)(active - place->p.contact_limit) * sizeof *ids);
    size_t n = 0;
    while (db_next(newest))
        ids[n++] = db_int(newest, 0);
    if ((err = db_done(newest)) != KITE_OK)
        return err;
    for (size_t i = 0; err == KITE_OK && i < n; i++) {
        db_stmt *suspend = db_prepare(conn, "UPDATE contacts SET status = 'suspended', updated_at = $1 WHERE id = $2");
        db_bind_int(suspend, 1, in->now);
        db_bind_int(suspend, 2, ids[i]);
        err = db_exec(suspend);
    }
    in->out->contacts_suspended += (int64_t)n;
    return err;
}

static kite_err transfer_tx(db_conn *conn, void *data)
{
    struct transfer *in = data;
    resident r;
    kite_err err = resident_load(conn, in->a, in->facility_id, in->number, &r);
    if (err != KITE_OK)
        return err;
    bool target_exists = false;
    if ((err = directory_facility_exists(conn, in->to_facility_id, &target_exists)) != KITE_OK)
        return err;
    if (!target_exists) {
        *in->bad_field = "to_facility_id";
        return KITE_ERR_INVALID_FIELD;
    }
    const char *number = in->new_number != NULL ? text_trim(in->a, in->new_number) : r.resident_number;
    db_stmt *move = db_prepare(conn,
        "UPDATE residents SET facility_id = $1, resident_number = $2, updated_at = $3 WHERE id = $4");
    db_bind_int(move, 1, in->to_facility_id);
    db_bind_text(move, 2, number);
    db_bind_int(move, 3, in->now);
    db_bind_int(move, 4, r.id);
    if ((err = db_exec(move)) != KITE_OK)
        return err == KITE_ERR_CONFLICT ? KITE_ERR_RESIDENT_EXISTS : err;
    db_stmt *acct = db_prepare(conn, "UPDATE accounts SET facility_id = $1, updated_at = $2 WHERE id = $3");
    db_bind_int(acct, 1, in->to_facility_id);
    db_bind_int(acct, 2, in->now);
    db_bind_int(acct, 3, r.account_id);
    if ((err = db_exec(acct)) != KITE_OK)
        return err;
    /* What was pending was asked under the old facility's rules. */
    db_stmt *invitations = db_prepare(conn, "UPDATE invitations SET status = 'revoked' WHERE resident_id = $1 AND status = 'pending'");
    db_bind_int(invitations, 1, r.id);
    if ((err = db_exec(invitations)) != KITE_OK)
        return err;
    db_stmt *requests = db_prepare(conn,
        "UPDATE contact_requests SET status = 'cancelled', decided_at = $1, decided_by = 'transfer'"
        " WHERE resident_id = $2 AND status = 'pending'");
    db_bind_int(requests, 1, in->now);
    db_bind_int(requests, 2, r.id);
    if ((err = db_exec(requests)) != KITE_OK)
        return err;

    resident_place place;
    if ((err = rules_load_place(conn, in->a, r.id, &place)) != KITE_OK)
        return err;
    in->out->resident_id = r.id;
    in->out->to_platform = place.on_platform;
    if (place.on_platform) {
        if (!policy_resident_number_valid(&place.p, number)) {
            *in->bad_field = "resident_number";
            return KITE_ERR_INVALID_FIELD;
        }
        if ((err = recheck_contacts(in, conn, &place)) != KITE_OK)
            return err;
    } else {
        /* Sessions on the old facility's tablets end; sign-in stays closed while Kite does not serve them. */
        if ((err = session_end_all(conn, r.account_id, in->now)) != KITE_OK)
            return err;
    }
    db_stmt *count = db_prepare(conn, "SELECT COUNT(*) FROM contacts WHERE resident_id = $1 AND status = 'active'");
    db_bind_int(count, 1, r.id);
    in->out->contacts_moved = db_next(count) ? db_int(count, 0) : 0;
    if ((err = db_done(count)) != KITE_OK)
        return err;
    db_stmt *svc = db_prepare(conn,
        "SELECT p.slug FROM facility_services fs JOIN providers p ON p.id = fs.provider_id"
        " WHERE fs.facility_id = $1 AND fs.service = 'messaging'");
    db_bind_int(svc, 1, in->to_facility_id);
    const char *slug = db_next(svc) ? arena_strdup(in->a, db_text(svc, 0)) : "unknown";
    if ((err = db_done(svc)) != KITE_OK)
        return err;
    provider *all;
    size_t n;
    if ((err = providers_list(conn, in->a, &all, &n)) != KITE_OK)
        return err;
    provider messaging = {0, "unknown", "Not known yet", "", NULL, "", ""};
    for (size_t i = 0; i < n; i++)
        if (strcmp(all[i].slug, slug) == 0)
            messaging = all[i];
    in->out->messaging_slug = messaging.slug;
    in->out->messaging_name = messaging.name;
    if (!place.on_platform && (err = tell_contacts_moved_away(in, conn, &place, &messaging)) != KITE_OK)
        return err;
    return audit_append(conn, in->now, in->actor, "resident.transfer", arena_sprintf(in->a, "resident:%" PRId64, r.id),
                        arena_sprintf(in->a, "from=%" PRId64 " to=%" PRId64 " number=%s on_platform=%s active=%" PRId64
                                             " suspended=%" PRId64, in->facility_id, in->to_facility_id, number,
                                      place.on_platform ? "yes" : "no", in->out->contacts_moved,
                                      in->out->contacts_suspended));
}

kite_err resident_transfer(const kite_ctx *ctx, arena *a, int64_t facility_id, const char *number,
                           int64_t to_facility_id, const char *new_number, const char *actor, transfer_report *out,
                           const char **bad_field)
{
    memset(out, 0, sizeof *out);
    *bad_field = "to_facility_id";
    if (to_facility_id == facility_id && new_number == NULL)
        return KITE_ERR_INVALID_FIELD;
    *bad_field = NULL;
    struct transfer in = {ctx, a, facility_id, number, to_facility_id, new_number, actor, clock_now_ms(&ctx->clock), out,
                          bad_field};
    return db_write(ctx->store, transfer_tx, &in);
}
