/*
 * test_search.c - the investigators' search words and their index.
 *
 * core/stem.c: words, folding and both languages' stems.  search_text.c:
 * what becomes of a typed query (only quoted words reach a store, however
 * hostile the text) and the marks of a snippet.  Migration 22 on SQLite: a
 * store made by steps 1 to 21 with a message in it is searchable once
 * db_open() applied step 22 (the backfill), through the kite_stem tokenizer,
 * in English and Spanish stems and by phrase.  Retention's purge
 * (domain/retention/purge.c) takes purged rows out of the index and leaves it
 * whole: FTS5's integrity check against the messages table passes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/stem.h"
#include "db/db.h"
#include "db/migrations.h"
#include "domain/oversight/search_text.h"
#include "domain/retention/purge.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "temp_store.h"

/* The stem of a word into out (each call its own buffer, so that two stems can be compared). */
static const char *stem_of(stem_lang lang, const char *word, char out[STEM_WORD_MAX_BYTES + 1])
{
    stemmers *st = stemmers_new();
    char folded[STEM_WORD_MAX_BYTES + 1];
    assert_true(stem_fold(word, strlen(word), folded, sizeof folded));
    assert_true(stem_word(st, lang, folded, strlen(folded), out));
    stemmers_free(st);
    return out;
}

static void test_stems(void **state)
{
    (void)state;
    char folded[32];
    assert_true(stem_fold("Cárcel", strlen("Cárcel"), folded, sizeof folded));
    assert_string_equal(folded, "carcel");
    assert_true(stem_fold("ÑANDÚ", strlen("ÑANDÚ"), folded, sizeof folded));
    assert_string_equal(folded, "nandu");
    char x[STEM_WORD_MAX_BYTES + 1], y[STEM_WORD_MAX_BYTES + 1];
    assert_string_equal(stem_of(STEM_ENGLISH, "visiting", x), "visit");
    assert_string_equal(stem_of(STEM_ENGLISH, "Visits", x), "visit");
    assert_string_equal(stem_of(STEM_SPANISH, "abogados", x), stem_of(STEM_SPANISH, "abogado", y));
    assert_string_equal(stem_of(STEM_SPANISH, "cárceles", x), stem_of(STEM_SPANISH, "carcel", y));
    /* Words: punctuation of any kind separates, letters of any script do not. */
    const char *text = "¿Dónde—está \"el\" 12345-678? Ω";
    size_t pos = 0, start, end, n = 0;
    const char *want[] = {"Dónde", "está", "el", "12345", "678", "Ω"};
    while (stem_next_word(text, strlen(text), &pos, &start, &end)) {
        assert_true(n < 6);
        assert_int_equal(end - start, strlen(want[n]));
        assert_memory_equal(text + start, want[n], end - start);
        n++;
    }
    assert_int_equal(n, 6);
}

static void test_terms(void **state)
{
    (void)state;
    arena *a = arena_new();
    search_terms t;
    kite_fault f;
    assert_int_equal(search_terms_parse(a, "Saturday \"money  ORDER\" OR near(x)*", &t, &f), KITE_OK);
    assert_int_equal(t.count, 5);
    assert_string_equal(search_terms_fts5(a, &t), "\"saturday\" \"money order\" \"or\" \"near\" \"x\"");
    assert_string_equal(search_terms_websearch(a, &t, 1), "\"money order\"");
    /* An open quote runs to the end; quotes alone hold nothing. */
    assert_int_equal(search_terms_parse(a, "a \"b c", &t, &f), KITE_OK);
    assert_string_equal(search_terms_fts5(a, &t), "\"a\" \"b c\"");
    assert_int_equal(search_terms_parse(a, "   ", &t, &f), KITE_OK);
    assert_int_equal(t.count, 0);
    assert_int_equal(search_terms_parse(a, NULL, &t, &f), KITE_OK);
    assert_int_equal(t.count, 0);
    assert_int_equal(search_terms_parse(a, "\"\" *** ¿?", &t, &f), KITE_ERR_INVALID_FIELD);
    assert_int_equal(f.detail, FAULT_NO_WORDS);
    assert_int_equal(search_terms_parse(a, "a b c d e f g h i", &t, &f), KITE_ERR_INVALID_FIELD);
    assert_int_equal(f.detail, FAULT_SEARCH_TERMS);
    assert_int_equal(search_terms_parse(a, "caf\xc3", &t, &f), KITE_ERR_INVALID_FIELD);
    assert_int_equal(f.detail, FAULT_LENGTH);
    char *big = malloc(INVESTIGATION_QUERY_MAX_BYTES + 2);
    memset(big, 'x', INVESTIGATION_QUERY_MAX_BYTES + 1);
    big[INVESTIGATION_QUERY_MAX_BYTES + 1] = '\0';
    assert_int_equal(search_terms_parse(a, big, &t, &f), KITE_ERR_INVALID_FIELD);
    assert_string_equal(f.field, "q");
    free(big);
    a = arena_free(a);
}

static void test_snippet(void **state)
{
    (void)state;
    arena *a = arena_new();
    search_terms t;
    kite_fault f;
    assert_int_equal(search_terms_parse(a, "carcel visiting", &t, &f), KITE_OK);
    investigation_hit h = {0};
    const char *body = "Hoy visité la cárcel. I will visit again.";
    stemmers *st = stemmers_new();
    search_marker m;
    search_marker_init(a, &t, st, &m);
    search_snippet(a, &m, body, &h);
    stemmers_free(st);
    assert_string_equal(h.snippet, "Hoy visité la cárcel. I will visit again");
    /* "visité" is Spanish for visited: its Spanish stem is "visit", as is visiting's English one. */
    assert_int_equal(h.mark_count, 3);
    assert_int_equal(h.marks[0].start, 4);
    assert_int_equal(h.marks[0].end, 10);
    assert_int_equal(h.marks[1].start, 14);
    assert_int_equal(h.marks[1].end, 20);
    assert_int_equal(h.marks[2].start, 29);
    assert_int_equal(h.marks[2].end, 34);
    a = arena_free(a);
}

/* ---- migration 22 on a store with messages ----------------------------- */

static void exec_raw(sqlite3 *h, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg != NULL ? msg : "?");
    sqlite3_free(msg);
}

typedef struct found {
    const char *match;
    int64_t ids[4];
    int count;
} found;

static kite_err match_tx(db_conn *conn, void *ctx)
{
    found *q = ctx;
    db_stmt *s = db_prepare(conn, "SELECT rowid FROM message_search WHERE message_search MATCH $1 ORDER BY rowid");
    db_bind_text(s, 1, q->match);
    q->count = 0;
    while (db_next(s) && q->count < 4)
        q->ids[q->count++] = db_int(s, 0);
    return db_done(s);
}

static int matches(db *store, const char *match, int64_t *first)
{
    found q = {match, {0}, 0};
    assert_int_equal(db_read(store, match_tx, &q), KITE_OK);
    *first = q.count > 0 ? q.ids[0] : 0;
    return q.count;
}

static void test_migration_backfill(void **state)
{
    (void)state;
    temp_store t;
    assert_int_equal(temp_store_open(&t, "search"), 0);
    t.store = db_close(t.store);
    unlink(t.path);
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open(t.path, &h), SQLITE_OK);
    exec_raw(h, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                " applied_at INTEGER NOT NULL)");
    for (size_t i = 0; i < kite_migration_count && kite_migrations[i].version <= 21; i++) {
        exec_raw(h, kite_migrations[i].sql);
        char record[128];
        snprintf(record, sizeof record, "INSERT INTO schema_migrations VALUES (%d, 'step', 0)", kite_migrations[i].version);
        exec_raw(h, record);
    }
    exec_raw(h, "INSERT INTO facilities (id, name, created_at, updated_at) VALUES (1, 'North', 0, 0);"
                "INSERT INTO accounts (id, role, email, full_name, password_hash, facility_id, created_at, updated_at)"
                " VALUES (10, 'resident', NULL, 'Ann One', 'x', 1, 0, 0), (20, 'contact', 'kin@example.org', 'Kin', 'x',"
                " NULL, 0, 0);"
                "INSERT INTO residents (id, account_id, facility_id, resident_number, first_name, last_name, status,"
                " created_at, updated_at) VALUES (100, 10, 1, 'A1', 'Ann', 'One', 'active', 0, 0);"
                "INSERT INTO contacts (id, resident_id, contact_account_id, status, origin, created_at, updated_at, facility_id)"
                " VALUES (200, 100, 20, 'active', 'invitation', 0, 0, 1);"
                "INSERT INTO messages (id, contact_id, facility_id, resident_id, sender_account_id,"
                " recipient_account_id, direction, subject, body, status, held, flagged, price_cents, created_at)"
                " VALUES (500, 200, 1, 100, 20, 10, 'to_resident', 'Visits', 'Hablé con los abogados del money order.',"
                " 'delivered', 0, 0, 0, 0);");
    assert_int_equal(sqlite3_close(h), SQLITE_OK);
    assert_int_equal(db_open(t.path, &t.store), KITE_OK);
    int64_t id = 0;
    assert_int_equal(matches(t.store, "\"visiting\"", &id), 1);
    assert_int_equal(id, 500);
    assert_int_equal(matches(t.store, "\"abogado\" \"hable\"", &id), 1);
    assert_int_equal(matches(t.store, "\"money order\"", &id), 1);
    assert_int_equal(matches(t.store, "\"order money\"", &id), 0);
    assert_int_equal(matches(t.store, "\"garden\"", &id), 0);
    temp_store_close(&t);
}

/* ---- retention: purged rows leave the index whole ----------------------- */

typedef struct integrity {
    kite_err result;
} integrity;

/* What a search's catch-up does (investigation.c): the index takes the messages above its largest id. */
static kite_err index_tx(db_conn *conn, void *ctx)
{
    (void)ctx;
    return db_exec(db_prepare(conn, "INSERT INTO message_search(rowid, subject, body) SELECT id, subject, body"
                                    " FROM messages WHERE id > (SELECT COALESCE(MAX(id), 0) FROM message_search_docsize)"
                                    " AND privileged = 0"));
}

/*
 * FTS5's own check of the index's internal consistency (rank 0).  Rank 1 would also compare it with
 * every row of messages, which a store with privileged legal mail never passes: those rows are kept
 * out of the index on purpose (migration_23.c).  What rank 0 cannot see - a 'delete' of words the
 * index never held - the privileged row below is there for: the purge must leave it alone.
 */
static kite_err integrity_tx(db_conn *conn, void *ctx)
{
    (void)ctx;
    return db_exec(db_prepare(conn, "INSERT INTO message_search(message_search, rank) VALUES ('integrity-check', 0)"));
}

/*
 * A store with the message of test_migration_backfill, indexed, then more messages the index has
 * not seen yet (a finished one, one in review, one of a thread on legal hold): after a purge the
 * finished ones are empty, their words are gone from the index, the others are found, and FTS5's
 * integrity check against the messages table passes - the 'delete' saw the very text indexed.
 */
static void test_purge_keeps_index_whole(void **state)
{
    (void)state;
    temp_store t;
    assert_int_equal(temp_store_open(&t, "purge"), 0);
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open(t.path, &h), SQLITE_OK);
    exec_raw(h, "INSERT INTO facilities (id, name, created_at, updated_at) VALUES (1, 'North', 0, 0);"
                "INSERT INTO accounts (id, role, email, full_name, password_hash, facility_id, created_at, updated_at)"
                " VALUES (10, 'resident', NULL, 'Ann One', 'x', 1, 0, 0), (20, 'contact', 'kin@example.org', 'Kin', 'x',"
                " NULL, 0, 0), (21, 'contact', 'pal@example.org', 'Pal', 'x', NULL, 0, 0);"
                "INSERT INTO residents (id, account_id, facility_id, resident_number, first_name, last_name, status,"
                " created_at, updated_at) VALUES (100, 10, 1, 'A1', 'Ann', 'One', 'active', 0, 0);"
                "INSERT INTO contacts (id, resident_id, contact_account_id, status, origin, created_at, updated_at, facility_id)"
                " VALUES (200, 100, 20, 'active', 'invitation', 0, 0, 1), (201, 100, 21, 'active', 'invitation', 0, 0, 1);"
                "INSERT INTO messages (id, contact_id, facility_id, resident_id, sender_account_id,"
                " recipient_account_id, direction, subject, body, status, held, flagged, price_cents, created_at)"
                " VALUES (500, 200, 1, 100, 20, 10, 'to_resident', 'Visits', 'Hablé con los abogados del money order.',"
                " 'delivered', 0, 0, 0, 0);"
                "INSERT INTO facility_policies (facility_id, profile, contact_initiation, invitation_valid_days,"
                " contact_limit, request_lookup, approval, approval_window_hours, message_max_chars, page_chars,"
                " attachments_allowed, attachment_max_bytes, max_attachments, pricing, review, review_sla_hours,"
                " daily_send_limit, resident_number_format, created_at, updated_at, message_retention_days,"
                " photo_retention_days) VALUES (1, 'jpay', 'contact_requests', 30, 50, 'number', 'resident', 0, 12500,"
                " 2500, 1, 5242880, 5, 'stamps', 'all', 48, 100, 'any', 0, 0, 30, 10);");
    int64_t id = 0;
    assert_int_equal(db_write(t.store, index_tx, NULL), KITE_OK);
    assert_int_equal(matches(t.store, "\"visiting\"", &id), 1);
    exec_raw(h, "INSERT INTO messages (id, contact_id, facility_id, resident_id, sender_account_id,"
                " recipient_account_id, direction, subject, body, status, held, flagged, price_cents, created_at) VALUES"
                " (501, 200, 1, 100, 10, 20, 'from_resident', 'Garden', 'The tomatoes are ripe.', 'read', 0, 0, 0, 0),"
                " (502, 200, 1, 100, 20, 10, 'to_resident', 'Waiting', 'A pomegranate letter.', 'pending_review', 0, 0, 0, 0),"
                " (503, 201, 1, 100, 21, 10, 'to_resident', 'Case', 'The lighthouse papers.', 'delivered', 0, 0, 0, 0);"
                /* Privileged legal mail, never indexed, below a message the index holds: the purge must not
                 * take out of the index words it never held (that would corrupt it). */
                "INSERT INTO messages (id, contact_id, facility_id, resident_id, sender_account_id,"
                " recipient_account_id, direction, subject, body, status, held, flagged, price_cents, created_at,"
                " privileged) VALUES (504, 200, 1, 100, 20, 10, 'to_resident', 'Counsel', 'The harbour motion.',"
                " 'delivered', 0, 0, 0, 0, 1), (505, 200, 1, 100, 20, 10, 'to_resident', 'Later', 'A quince jar.',"
                " 'pending_review', 0, 0, 0, 0, 0);"
                "INSERT INTO legal_holds (facility_id, subject_kind, subject_id, case_reference, note, placed_by, placed_at)"
                " VALUES (1, 'thread', 201, 'C-1', '', 20, 0);");
    assert_int_equal(sqlite3_close(h), SQLITE_OK);
    assert_int_equal(db_write(t.store, index_tx, NULL), KITE_OK);
    assert_int_equal(matches(t.store, "\"harbour\"", &id), 0);

    kite_ctx ctx = {.store = t.store};
    arena *a = arena_new();
    retention_report r;
    assert_int_equal(retention_purge(&ctx, a, "system", &r), KITE_OK);
    arena_free(a);
    assert_int_equal(r.messages, 3); /* 500, 501 and the privileged 504 */
    assert_int_equal(r.kept_by_hold, 1);
    assert_int_equal(db_write(t.store, integrity_tx, NULL), KITE_OK);
    assert_int_equal(matches(t.store, "\"harbour\"", &id), 0);
    assert_int_equal(matches(t.store, "\"quince\"", &id), 1);
    assert_int_equal(id, 505);
    assert_int_equal(matches(t.store, "\"visiting\"", &id), 0);
    assert_int_equal(matches(t.store, "\"tomatoes\"", &id), 0);
    assert_int_equal(matches(t.store, "\"pomegranate\"", &id), 1);
    assert_int_equal(id, 502);
    assert_int_equal(matches(t.store, "\"lighthouse\"", &id), 1);
    assert_int_equal(id, 503);
    temp_store_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stems),
        cmocka_unit_test(test_terms),
        cmocka_unit_test(test_snippet),
        cmocka_unit_test(test_migration_backfill),
        cmocka_unit_test(test_purge_keeps_index_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
