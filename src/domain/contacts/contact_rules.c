#include "domain/contacts/contact_rules.h"

#include <string.h>

kite_err rules_load_place(db_conn *conn, arena *a, int64_t resident_id, resident_place *out)
{
    memset(out, 0, sizeof *out);
    kite_err err = resident_load_by_id(conn, a, resident_id, &out->r);
    if (err != KITE_OK)
        return err;
    err = policy_load(conn, a, out->r.facility_id, &out->p);
    if (err != KITE_OK && err != KITE_ERR_NOT_FOUND)
        return err;
    out->on_platform = err == KITE_OK;
    db_stmt *s = db_prepare(conn, "SELECT name FROM facilities WHERE id = $1");
    db_bind_int(s, 1, out->r.facility_id);
    out->facility_name = db_next(s) ? arena_strdup(a, db_text(s, 0)) : "";
    return db_done(s);
}

kite_err rules_reachable(const resident_place *place)
{
    return place->on_platform && place->r.status == RESIDENT_ACTIVE ? KITE_OK : KITE_ERR_RESIDENT_UNREACHABLE;
}

kite_err rules_check_facility_blocks(db_conn *conn, int64_t facility_id, int64_t resident_id, const char *email)
{
    db_stmt *s = db_prepare(conn,
        "SELECT 1 FROM facility_blocks WHERE facility_id = $1 AND email = $2 AND removed_at IS NULL"
        " AND (resident_id IS NULL OR resident_id = $3)");
    db_bind_int(s, 1, facility_id);
    db_bind_text(s, 2, email);
    db_bind_int(s, 3, resident_id);
    bool blocked = db_next(s);
    kite_err err = db_done(s);
    return err != KITE_OK ? err : blocked ? KITE_ERR_CONTACT_BLOCKED : KITE_OK;
}

kite_err rules_check_pair(db_conn *conn, int64_t resident_id, int64_t contact_account_id)
{
    db_stmt *s = db_prepare(conn, "SELECT status FROM contacts WHERE resident_id = $1 AND contact_account_id = $2");
    db_bind_int(s, 1, resident_id);
    db_bind_int(s, 2, contact_account_id);
    bool found = db_next(s);
    contact_status status = CONTACT_REMOVED; /* rows hold only names from the table; were one not: renewable */
    if (found)
        (void)contact_status_parse(db_text(s, 0), &status);
    kite_err err = db_done(s);
    if (err != KITE_OK)
        return err;
    /* A contact's own block is for good; a facility's lasts as long as the block (checked apart). */
    if (!found || contact_transition_allowed(status, CONTACT_ACTIVE))
        return KITE_OK;
    return status == CONTACT_ACTIVE ? KITE_ERR_ALREADY_CONTACTS : KITE_ERR_CONTACT_BLOCKED;
}

kite_err rules_contact_open(contact_status status)
{
    if (contact_status_blocked(status))
        return KITE_ERR_CONTACT_BLOCKED;
    return status == CONTACT_ACTIVE ? KITE_OK : KITE_ERR_CONTACT_NOT_ACTIVE;
}

kite_err rules_check_limit(db_conn *conn, int64_t resident_id, int64_t limit)
{
    db_stmt *s = db_prepare(conn, "SELECT COUNT(*) FROM contacts WHERE resident_id = $1 AND status = 'active'");
    db_bind_int(s, 1, resident_id);
    int64_t active = db_next(s) ? db_int(s, 0) : 0;
    kite_err err = db_done(s);
    return err != KITE_OK ? err : active >= limit ? KITE_ERR_CONTACT_LIMIT_REACHED : KITE_OK;
}

kite_err rules_link(db_conn *conn, int64_t now, int64_t resident_id, int64_t facility_id, int64_t contact_account_id,
                    const char *origin, int64_t *contact_id)
{
    db_stmt *s = db_prepare(conn,
        "INSERT INTO contacts (resident_id, contact_account_id, status, origin, created_at, updated_at, facility_id)"
        " VALUES ($1, $2, 'active', $3, $4, $4, $5)"
        /* The states contact_transition_allowed lets move to active. */
        " ON CONFLICT (resident_id, contact_account_id) DO UPDATE SET status = 'active', origin = excluded.origin,"
        " updated_at = excluded.updated_at, facility_id = excluded.facility_id"
        " WHERE contacts.status IN ('removed', 'suspended', 'facility_blocked')"
        " RETURNING id");
    db_bind_int(s, 1, resident_id);
    db_bind_int(s, 2, contact_account_id);
    db_bind_text(s, 3, origin);
    db_bind_int(s, 4, now);
    db_bind_int(s, 5, facility_id);
    bool linked = db_next(s);
    if (linked)
        *contact_id = db_int(s, 0);
    kite_err err = db_done(s);
    /* No row: the pair exists in a state that may not be renewed (checked before; a race lost). */
    return err != KITE_OK ? err : linked ? KITE_OK : KITE_ERR_CONFLICT;
}

kite_err rules_may_link(db_conn *conn, const resident_place *place, int64_t contact_account_id, const char *email)
{
    kite_err err = rules_reachable(place);
    if (err == KITE_OK)
        err = rules_check_facility_blocks(conn, place->r.facility_id, place->r.id, email);
    if (err == KITE_OK && contact_account_id > 0)
        err = rules_check_pair(conn, place->r.id, contact_account_id);
    if (err == KITE_OK)
        err = rules_check_limit(conn, place->r.id, place->p.contact_limit);
    return err;
}
