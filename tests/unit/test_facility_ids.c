/*
 * test_facility_ids.c - migration 13 fills facility_id in a store made
 * before it.
 *
 * The store is made the way an older kite made it: the released steps 1 to
 * 12 (kite_migrations[], never edited once released), run straight on a
 * SQLite file, and rows written by SQL into the tables of version 12, with
 * residents and messages at two facilities so that a value copied from the
 * wrong parent shows.  db_open() then applies step 13 as it would on an
 * upgrade, and each row must name its parent's facility.  A second store
 * holds a contact whose resident is missing: the step must refuse it and
 * leave the store at version 12 with every row, rather than drop the row.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "db/db.h"
#include "db/migrations.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "temp_store.h"

#define STEPS_BEFORE 12 /* the store's version before facility_id */

/* ---- a store at version 12 -------------------------------------------- */

static void exec_raw(sqlite3 *h, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(h, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s", sql, msg != NULL ? msg : "?");
    sqlite3_free(msg);
}

/* Steps 1..12 as a kite of that version applied them, recorded the same way; then `rows`. */
static void make_old_store(const char *path, const char *rows)
{
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
    exec_raw(h, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                " applied_at INTEGER NOT NULL)");
    size_t applied = 0;
    for (size_t i = 0; i < kite_migration_count && kite_migrations[i].version <= STEPS_BEFORE; i++) {
        exec_raw(h, "BEGIN");
        exec_raw(h, kite_migrations[i].sql);
        char record[256];
        snprintf(record, sizeof record, "INSERT INTO schema_migrations VALUES (%d, 'step', 0)",
                 kite_migrations[i].version);
        exec_raw(h, record);
        exec_raw(h, "COMMIT");
        applied++;
    }
    assert_int_equal(applied, STEPS_BEFORE);
    exec_raw(h, rows);
    assert_int_equal(sqlite3_close(h), SQLITE_OK);
}

/* Two facilities; a resident at each; one family member writing to both. */
static const char *const old_rows =
    "PRAGMA foreign_keys = ON;"
    "INSERT INTO facilities (id, name, created_at, updated_at) VALUES (1, 'North', 0, 0), (2, 'South', 0, 0);"
    "INSERT INTO accounts (id, role, email, full_name, password_hash, facility_id, created_at, updated_at) VALUES"
    " (10, 'resident', NULL, 'Ann One', 'x', 1, 0, 0), (11, 'resident', NULL, 'Ben Two', 'x', 2, 0, 0),"
    " (20, 'contact', 'kin@example.org', 'Kin', 'x', NULL, 0, 0);"
    "INSERT INTO residents (id, account_id, facility_id, resident_number, first_name, last_name, status,"
    " created_at, updated_at) VALUES (100, 10, 1, 'A1', 'Ann', 'One', 'active', 0, 0),"
    " (101, 11, 2, 'B1', 'Ben', 'Two', 'active', 0, 0);"
    "INSERT INTO contacts (id, resident_id, contact_account_id, status, origin, created_at, updated_at) VALUES"
    " (200, 100, 20, 'active', 'invitation', 0, 0), (201, 101, 20, 'active', 'request', 0, 0);"
    "INSERT INTO invitations (id, resident_id, email, token_hash, status, created_at, expires_at, accepted_at,"
    " contact_id) VALUES (300, 100, 'kin@example.org', 'h1', 'accepted', 0, 1, 0, 200),"
    " (301, 101, 'other@example.org', 'h2', 'pending', 0, 1, NULL, NULL);"
    "INSERT INTO contact_requests (id, resident_id, contact_account_id, status, created_at) VALUES"
    " (400, 101, 20, 'approved', 0), (401, 100, 20, 'pending', 0);"
    "INSERT INTO messages (id, contact_id, facility_id, resident_id, sender_account_id, recipient_account_id,"
    " direction, subject, body, status, held, flagged, price_cents, created_at) VALUES"
    " (500, 200, 1, 100, 20, 10, 'to_resident', 's', 'b', 'delivered', 0, 0, 0, 0),"
    " (501, 201, 2, 101, 11, 20, 'from_resident', 's', 'b', 'pending_review', 0, 1, 0, 0);"
    "INSERT INTO message_events (id, message_id, status, at, actor) VALUES"
    " (600, 500, 'delivered', 0, 'system'), (601, 501, 'pending_review', 0, 'system');"
    "INSERT INTO message_hidden (message_id, account_id, hidden_at) VALUES (500, 20, 0), (501, 11, 0);"
    "INSERT INTO screening_rules (id, facility_id, kind, value, action, note, created_at, created_by) VALUES"
    " (700, 2, 'words', 'bad', 'flag', 'n', 0, 'staff');"
    "INSERT INTO message_rule_matches (message_id, rule_id, action, matched) VALUES (501, 700, 'flag', 'bad');"
    "INSERT INTO attachments (id, owner_account_id, message_id, content_type, width, height, size_bytes, sha256,"
    " data, created_at) VALUES (800, 20, 500, 'image/jpeg', 1, 1, 1, 'a', x'00', 0),"
    " (801, 20, NULL, 'image/jpeg', 1, 1, 1, 'b', x'00', 0);"
    "INSERT INTO events (id, account_id, kind, message_id, status, at) VALUES"
    " (900, 20, 'message.status', 500, 'delivered', 0), (901, 11, 'message.status', 501, 'pending_review', 0),"
    " (902, 20, 'message.status', NULL, NULL, 0);";

/* ---- reading the upgraded store ---------------------------------------- */

typedef struct scalar {
    const char *sql;
    int64_t value;
    int rows;
} scalar;

static kite_err scalar_tx(db_conn *conn, void *ctx)
{
    scalar *q = ctx;
    db_stmt *s = db_prepare(conn, q->sql);
    q->rows = 0;
    while (db_next(s)) {
        if (q->rows++ == 0)
            q->value = db_column_type(s, 0) == DB_TYPE_NULL ? -1 : db_int(s, 0);
    }
    return db_done(s);
}

/* One integer from a query without parameters; -1 for NULL. */
static int64_t query_int(db *store, const char *sql)
{
    scalar q = {sql, -2, 0};
    assert_int_equal(db_read(store, scalar_tx, &q), KITE_OK);
    if (q.rows != 1)
        fail_msg("%s: %d rows", sql, q.rows);
    return q.value;
}

static kite_err exec_tx(db_conn *conn, void *ctx)
{
    return db_exec(db_prepare(conn, ctx));
}

/* facility_id of the row of `table` where `where`. */
static int64_t facility_of(db *store, const char *table, const char *where)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT facility_id FROM %s WHERE %s", table, where);
    return query_int(store, sql);
}

static void test_backfill_from_parents(void **state)
{
    (void)state;
    temp_store t;
    assert_int_equal(temp_store_open(&t, "facility-ids"), 0);
    /* Only the directory and path are wanted: the old store is made by hand below. */
    t.store = db_close(t.store);
    unlink(t.path);
    make_old_store(t.path, old_rows);
    assert_int_equal(db_open(t.path, &t.store), KITE_OK);

    assert_int_equal(query_int(t.store, "SELECT max(version) FROM schema_migrations"), 13);
    /* A resident's rows: the resident's facility. */
    assert_int_equal(facility_of(t.store, "contacts", "id = 200"), 1);
    assert_int_equal(facility_of(t.store, "contacts", "id = 201"), 2);
    assert_int_equal(facility_of(t.store, "invitations", "id = 300"), 1);
    assert_int_equal(facility_of(t.store, "invitations", "id = 301"), 2);
    assert_int_equal(facility_of(t.store, "contact_requests", "id = 400"), 2);
    assert_int_equal(facility_of(t.store, "contact_requests", "id = 401"), 1);
    /* A message's rows: the message's facility. */
    assert_int_equal(facility_of(t.store, "message_events", "id = 600"), 1);
    assert_int_equal(facility_of(t.store, "message_events", "id = 601"), 2);
    assert_int_equal(facility_of(t.store, "message_hidden", "message_id = 500"), 1);
    assert_int_equal(facility_of(t.store, "message_hidden", "message_id = 501"), 2);
    assert_int_equal(facility_of(t.store, "message_rule_matches", "message_id = 501"), 2);
    assert_int_equal(facility_of(t.store, "attachments", "id = 800"), 1);
    assert_int_equal(facility_of(t.store, "events", "id = 900"), 1);
    assert_int_equal(facility_of(t.store, "events", "id = 901"), 2);
    /* No message, no facility: an upload not yet attached, an event about nothing. */
    assert_int_equal(facility_of(t.store, "attachments", "id = 801"), -1);
    assert_int_equal(facility_of(t.store, "events", "id = 902"), -1);

    /* Every row kept, with its other columns. */
    assert_int_equal(query_int(t.store, "SELECT count(*) FROM contacts"), 2);
    assert_int_equal(query_int(t.store, "SELECT contact_id FROM invitations WHERE id = 300"), 200);
    assert_int_equal(query_int(t.store, "SELECT count(*) FROM message_events WHERE actor = 'system'"), 2);
    assert_int_equal(query_int(t.store, "SELECT count(*) FROM message_rule_matches WHERE matched = 'bad'"), 1);
    assert_int_equal(query_int(t.store, "SELECT count(*) FROM pragma_foreign_key_check"), 0);

    /* NOT NULL where the parent always has a facility; nullable on the two that may have none. */
    assert_int_equal(query_int(t.store,
                               "SELECT count(*) FROM pragma_table_info('contacts') WHERE name = 'facility_id'"
                               " AND \"notnull\" = 1"), 1);
    assert_int_equal(query_int(t.store,
                               "SELECT count(*) FROM pragma_table_info('message_rule_matches')"
                               " WHERE name = 'facility_id' AND \"notnull\" = 1"), 1);
    assert_int_equal(query_int(t.store,
                               "SELECT count(*) FROM pragma_table_info('attachments') WHERE name = 'facility_id'"
                               " AND \"notnull\" = 0"), 1);
    assert_int_not_equal(db_write(t.store, exec_tx,
                                  "INSERT INTO message_events (message_id, status, at, actor) VALUES (500, 'read', 1, 'x')"),
                         KITE_OK);
    assert_int_equal(query_int(t.store, "SELECT count(*) FROM message_events"), 2);

    /* The rebuilt tables' indexes are back, and the one-pending-request rule still holds. */
    assert_int_equal(query_int(t.store,
                               "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('contacts_contact',"
                               " 'contacts_facility', 'invitations_resident', 'contact_requests_one_pending',"
                               " 'contact_requests_contact', 'message_events_message')"), 6);
    assert_int_equal(db_write(t.store, exec_tx,
                              "INSERT INTO contact_requests (resident_id, contact_account_id, status, created_at,"
                              " facility_id) VALUES (100, 20, 'pending', 1, 1)"),
                     KITE_ERR_CONFLICT);
    temp_store_close(&t);
}

static void test_orphan_row_stops_the_step(void **state)
{
    (void)state;
    temp_store t;
    assert_int_equal(temp_store_open(&t, "facility-ids-orphan"), 0);
    t.store = db_close(t.store);
    unlink(t.path);
    /* Only possible with the foreign keys off, as an old or hand-edited store might be. */
    make_old_store(t.path,
                   "PRAGMA foreign_keys = OFF;"
                   "INSERT INTO facilities (id, name, created_at, updated_at) VALUES (1, 'North', 0, 0);"
                   "INSERT INTO contacts (id, resident_id, contact_account_id, status, origin, created_at, updated_at)"
                   " VALUES (200, 999, 998, 'active', 'invitation', 0, 0);");
    db *store = NULL;
    assert_int_not_equal(db_open(t.path, &store), KITE_OK);
    assert_null(store);

    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open(t.path, &h), SQLITE_OK);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT (SELECT max(version) FROM schema_migrations),"
                                           " (SELECT count(*) FROM contacts WHERE id = 200)", -1, &s, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(s, 0), STEPS_BEFORE);
    assert_int_equal(sqlite3_column_int64(s, 1), 1);
    sqlite3_finalize(s);
    sqlite3_close(h);
    temp_store_remove_dir(t.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backfill_from_parents),
        cmocka_unit_test(test_orphan_row_stops_the_step),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
