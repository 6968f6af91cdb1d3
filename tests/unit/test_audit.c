/*
 * test_audit.c - the hash-chained audit log: a whole chain verifies, and
 * editing, deleting or reordering a record is found at the right id, even
 * when the edit only moves text from one field to its neighbour.  A cut of
 * the oldest records by retention (audit_cut) verifies from its checkpoint;
 * a gap anywhere else, or a checkpoint the chain does not announce, does not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/secret.h"
#include "db/db.h"
#include "domain/audit/audit.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- fixture: a fresh store in a fresh temporary directory ------------- */

#include "temp_store.h"


typedef temp_store fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL || temp_store_open(f, "audit") != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    temp_store_close(*state);
    free(*state);
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    return secret_init() == KITE_OK ? 0 : -1;
}

/* ---- helpers ----------------------------------------------------------- */

typedef struct record {
    int64_t at;
    const char *actor;
    const char *action;
    const char *target;
    const char *detail;
} record;

typedef struct append_batch {
    const record *records;
    size_t count;
    kite_err result; /* returned after appending, to test rollback */
} append_batch;

static kite_err append_tx(db_conn *conn, void *ctx)
{
    append_batch *b = ctx;
    for (size_t i = 0; i < b->count; i++) {
        const record *r = &b->records[i];
        kite_err err = audit_append(conn, r->at, r->actor, r->action, r->target, r->detail);
        if (err != KITE_OK)
            return err;
    }
    return b->result;
}

static void append(db *store, const record *records, size_t count)
{
    append_batch b = {records, count, KITE_OK};
    assert_int_equal(db_write(store, append_tx, &b), KITE_OK);
}

/* Five ordinary records, one transaction each. */
static void append_five(db *store)
{
    static const record five[] = {
        {1700000000001, "cli", "account.create", "account:1", "role=operator email=op@example.com"},
        {1700000000002, "account:1", "signin", "account:1", "session=1 address=127.0.0.1"},
        {1700000000003, "account:1", "facility.update", "facility:9", "name=Old -> New"},
        {1700000000004, "anonymous", "signin.failed", "email:x@example.com", "address=10.0.0.1"},
        {1700000000005, "account:1", "signout", "account:1", "session=1"},
    };
    for (size_t i = 0; i < 5; i++)
        append(store, &five[i], 1);
}

static audit_report verify(db *store)
{
    audit_report report = {.count = -1, .first_broken = -1};
    assert_int_equal(audit_verify(store, &report), KITE_OK);
    return report;
}

/* Runs one raw SQL statement (no parameters) in a write transaction. */
static kite_err raw_tx(db_conn *conn, void *ctx)
{
    return db_exec(db_prepare(conn, (const char *)ctx));
}

static void raw(db *store, const char *sql)
{
    assert_int_equal(db_write(store, raw_tx, (void *)sql), KITE_OK);
}

typedef struct column_read {
    const char *sql;
    char text[256];
} column_read;

static kite_err column_tx(db_conn *conn, void *ctx)
{
    column_read *c = ctx;
    db_stmt *s = db_prepare(conn, c->sql);
    c->text[0] = '\0';
    if (db_next(s))
        snprintf(c->text, sizeof c->text, "%s", db_text(s, 0));
    return db_done(s);
}

/* ---- tests ------------------------------------------------------------- */

static void test_empty_log_is_whole(void **state)
{
    fixture *f = *state;
    audit_report r = verify(f->store);
    assert_int_equal(r.count, 0);
    assert_int_equal(r.first_broken, 0);
}

static void test_appended_records_verify(void **state)
{
    fixture *f = *state;
    append_five(f->store);
    audit_report r = verify(f->store);
    assert_int_equal(r.count, 5);
    assert_int_equal(r.first_broken, 0);

    /* Several records in one transaction chain just as well. */
    static const record more[] = {
        {1700000000006, "system", "a", "t", "d"},
        {1700000000006, "system", "a", "t", "d"}, /* identical fields, still distinct records */
        {1700000000007, "system", "b", "", ""},
    };
    append(f->store, more, 3);
    r = verify(f->store);
    assert_int_equal(r.count, 8);
    assert_int_equal(r.first_broken, 0);

    /* The chain's shape: ids 1..N, the first links to the genesis hash, each to its predecessor. */
    column_read c = {"SELECT prev_hash FROM audit_log WHERE id = 1", ""};
    assert_int_equal(db_read(f->store, column_tx, &c), KITE_OK);
    assert_string_equal(c.text, "0000000000000000000000000000000000000000000000000000000000000000");
    c.sql = "SELECT count(*) FROM audit_log a JOIN audit_log b ON b.id = a.id + 1 WHERE b.prev_hash = a.hash";
    assert_int_equal(db_read(f->store, column_tx, &c), KITE_OK);
    assert_string_equal(c.text, "7");
    c.sql = "SELECT count(DISTINCT hash) FROM audit_log WHERE length(hash) = 64";
    assert_int_equal(db_read(f->store, column_tx, &c), KITE_OK);
    assert_string_equal(c.text, "8");
}

static void test_rolled_back_append_leaves_no_record(void **state)
{
    fixture *f = *state;
    append_five(f->store);
    static const record r6 = {1700000000006, "cli", "x", "y", "z"};
    append_batch b = {&r6, 1, KITE_ERR_INVALID_FIELD};
    assert_int_equal(db_write(f->store, append_tx, &b), KITE_ERR_INVALID_FIELD);
    audit_report r = verify(f->store);
    assert_int_equal(r.count, 5);
    assert_int_equal(r.first_broken, 0);
    /* And the next append takes the next id. */
    append(f->store, &r6, 1);
    r = verify(f->store);
    assert_int_equal(r.count, 6);
    assert_int_equal(r.first_broken, 0);
}

static void test_tampered_detail_is_found(void **state)
{
    fixture *f = *state;
    append_five(f->store);
    raw(f->store, "UPDATE audit_log SET detail = 'name=Old -> Evil' WHERE id = 3");
    audit_report r = verify(f->store);
    assert_int_equal(r.first_broken, 3);
    assert_int_equal(r.count, 3);
    /* Putting it back makes the chain whole again. */
    raw(f->store, "UPDATE audit_log SET detail = 'name=Old -> New' WHERE id = 3");
    r = verify(f->store);
    assert_int_equal(r.first_broken, 0);
    assert_int_equal(r.count, 5);
}

static void test_every_field_is_covered(void **state)
{
    fixture *f = *state;
    append_five(f->store);
    static const char *const edits[][2] = {
        {"UPDATE audit_log SET at = at + 1 WHERE id = 2", "UPDATE audit_log SET at = at - 1 WHERE id = 2"},
        {"UPDATE audit_log SET actor = 'account:2' WHERE id = 2", "UPDATE audit_log SET actor = 'account:1' WHERE id = 2"},
        {"UPDATE audit_log SET action = 'signout' WHERE id = 2", "UPDATE audit_log SET action = 'signin' WHERE id = 2"},
        {"UPDATE audit_log SET target = 'account:2' WHERE id = 2", "UPDATE audit_log SET target = 'account:1' WHERE id = 2"},
        {"UPDATE audit_log SET detail = detail || ' ' WHERE id = 2",
         "UPDATE audit_log SET detail = rtrim(detail) WHERE id = 2"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        raw(f->store, edits[i][0]);
        assert_int_equal(verify(f->store).first_broken, 2);
        raw(f->store, edits[i][1]);
        assert_int_equal(verify(f->store).first_broken, 0);
    }
    /* A forged hash on a record breaks it. */
    raw(f->store, "UPDATE audit_log SET hash = prev_hash WHERE id = 2");
    assert_int_equal(verify(f->store).first_broken, 2);
}

static void test_forged_prev_hash_is_found(void **state)
{
    fixture *f = *state;
    append_five(f->store);
    /* Re-pointing a record at the genesis hash, as if the chain started there. */
    raw(f->store, "UPDATE audit_log SET prev_hash ="
                  " '0000000000000000000000000000000000000000000000000000000000000000' WHERE id = 4");
    assert_int_equal(verify(f->store).first_broken, 4);
}

static void test_deleted_middle_record_is_found(void **state)
{
    fixture *f = *state;
    append_five(f->store);
    raw(f->store, "DELETE FROM audit_log WHERE id = 3");
    audit_report r = verify(f->store);
    assert_int_equal(r.first_broken, 4);
}

static void test_deleted_first_record_is_found(void **state)
{
    fixture *f = *state;
    append_five(f->store);
    raw(f->store, "DELETE FROM audit_log WHERE id = 1");
    assert_int_equal(verify(f->store).first_broken, 2);
}

static void test_renumbered_record_is_found(void **state)
{
    fixture *f = *state;
    append_five(f->store);
    /* Delete 3 and move 4 into its place: the ids are contiguous again, the hashes are not. */
    raw(f->store, "DELETE FROM audit_log WHERE id = 3");
    raw(f->store, "UPDATE audit_log SET id = 3 WHERE id = 4");
    assert_int_equal(verify(f->store).first_broken, 3);
}

static void test_swapped_records_are_found(void **state)
{
    fixture *f = *state;
    append_five(f->store);
    /* Swap the contents of records 2 and 3 (every column but id). */
    raw(f->store, "UPDATE audit_log SET id = 100 WHERE id = 2");
    raw(f->store, "UPDATE audit_log SET id = 2 WHERE id = 3");
    raw(f->store, "UPDATE audit_log SET id = 3 WHERE id = 100");
    assert_int_equal(verify(f->store).first_broken, 2);
}

static void test_cut_off_end_is_not_detectable(void **state)
{
    fixture *f = *state;
    append_five(f->store);
    /* As documented: truncation needs a copy of the last hash kept elsewhere. */
    raw(f->store, "DELETE FROM audit_log WHERE id = 5");
    audit_report r = verify(f->store);
    assert_int_equal(r.count, 4);
    assert_int_equal(r.first_broken, 0);
}

static void test_separators_in_fields_do_not_collide(void **state)
{
    fixture *f = *state;
    static const record tricky[] = {
        {1700000000001, "cli", "note", "account|1:2", "detail|with:colons\nand lines"},
        {1700000000002, "cli", "note", "a", "b"},
        {1700000000003, "x|y", "z", "t", "d"},
        {1700000000004, "cli", "note", "|5:", ":|"},
    };
    append(f->store, tricky, 4);
    audit_report r = verify(f->store);
    assert_int_equal(r.count, 4);
    assert_int_equal(r.first_broken, 0);

    /* Moving the boundary between target and detail keeps their '|'-joined text the same. */
    raw(f->store, "UPDATE audit_log SET target = 'account', detail = '1:2|detail|with:colons' || char(10) || 'and lines'"
                  " WHERE id = 1");
    assert_int_equal(verify(f->store).first_broken, 1);
    raw(f->store, "UPDATE audit_log SET target = 'account|1:2|detail', detail = 'with:colons' || char(10) || 'and lines'"
                  " WHERE id = 1");
    assert_int_equal(verify(f->store).first_broken, 1);
    raw(f->store, "UPDATE audit_log SET target = 'account|1:2', detail = 'detail|with:colons' || char(10) || 'and lines'"
                  " WHERE id = 1");
    assert_int_equal(verify(f->store).first_broken, 0);

    /* Swapping two fields outright. */
    raw(f->store, "UPDATE audit_log SET target = 'b', detail = 'a' WHERE id = 2");
    assert_int_equal(verify(f->store).first_broken, 2);
    raw(f->store, "UPDATE audit_log SET target = 'a', detail = 'b' WHERE id = 2");
    assert_int_equal(verify(f->store).first_broken, 0);

    /* Moving a separator from actor into action. */
    raw(f->store, "UPDATE audit_log SET actor = 'x', action = 'y|z' WHERE id = 3");
    assert_int_equal(verify(f->store).first_broken, 3);
    raw(f->store, "UPDATE audit_log SET actor = 'x|y', action = 'z' WHERE id = 3");
    assert_int_equal(verify(f->store).first_broken, 0);

    /* Fields that look like the length-prefix encoding itself. */
    raw(f->store, "UPDATE audit_log SET target = '|5:|', detail = ':' WHERE id = 4");
    assert_int_equal(verify(f->store).first_broken, 4);
    raw(f->store, "UPDATE audit_log SET target = '', detail = '|5::|' WHERE id = 4");
    assert_int_equal(verify(f->store).first_broken, 4);
}

static void test_long_and_unicode_fields(void **state)
{
    fixture *f = *state;
    static char big[20000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    record rs[] = {
        {1700000000001, "cli", "import", "facility:1", big},
        {-5, "cli", "note", "caf\xc3\xa9 \xf0\x9f\x98\x80", "\xe6\x97\xa5\xe6\x9c\xac"}, /* even a negative time */
        {INT64_MAX, big, big, big, big},
    };
    append(f->store, rs, 3);
    audit_report r = verify(f->store);
    assert_int_equal(r.count, 3);
    assert_int_equal(r.first_broken, 0);
    raw(f->store, "UPDATE audit_log SET detail = detail || 'q' WHERE id = 1");
    assert_int_equal(verify(f->store).first_broken, 1);
}

/* ---- retention: cuts with a checkpoint ---------------------------------- */

typedef struct cut {
    int64_t cutoff, deleted;
} cut;

static kite_err cut_tx(db_conn *conn, void *ctx)
{
    cut *c = ctx;
    arena *a = arena_new();
    kite_err err = audit_cut(conn, a, 1700000009000, c->cutoff, "system", &c->deleted);
    arena_free(a);
    return err;
}

static int64_t cut_before(db *store, int64_t cutoff)
{
    cut c = {cutoff, -1};
    assert_int_equal(db_write(store, cut_tx, &c), KITE_OK);
    return c.deleted;
}

/* Records 1..3 are older than the cut-off: they go, with a checkpoint; 4, 5 and the checkpoint's record verify. */
static void test_cut_verifies_from_checkpoint(void **state)
{
    fixture *f = *state;
    append_five(f->store);
    assert_int_equal(cut_before(f->store, 1700000000004), 3);
    audit_report r = verify(f->store);
    assert_int_equal(r.first_broken, 0);
    assert_int_equal(r.count, 3);
    assert_int_equal(r.checkpoint_through, 3);
    assert_int_equal(r.checkpoint_deleted, 3);
    assert_true(r.checkpoint_announced);
    /* Nothing more is due: no second checkpoint, nothing written. */
    assert_int_equal(cut_before(f->store, 1700000000004), 0);
    /* Later records chain on, and a second cut starts where the first ended. */
    static const record later = {1700000000006, "account:1", "signin", "account:1", "session=2"};
    append(f->store, &later, 1);
    /* 4 and 5 go; the first checkpoint's record (6, written at 1700000009000) stops the cut: ids, not times, order it. */
    assert_int_equal(cut_before(f->store, 1700000000006), 2);
    r = verify(f->store);
    assert_int_equal(r.first_broken, 0);
    assert_int_equal(r.checkpoint_through, 5);
    assert_int_equal(r.count, 3); /* 6, 7 and the second checkpoint's record */
}

/* The newest record always stays: a cut-off after everything still leaves the head to chain from. */
static void test_cut_keeps_the_head(void **state)
{
    fixture *f = *state;
    append_five(f->store);
    assert_int_equal(cut_before(f->store, INT64_MAX), 4);
    audit_report r = verify(f->store);
    assert_int_equal(r.first_broken, 0);
    assert_int_equal(r.count, 2);
}

/* A gap after the checkpoint, without a checkpoint of its own, still breaks the chain. */
static void test_gap_after_checkpoint_is_found(void **state)
{
    fixture *f = *state;
    append_five(f->store);
    assert_int_equal(cut_before(f->store, 1700000000003), 2);
    raw(f->store, "DELETE FROM audit_log WHERE id = 4");
    assert_int_equal(verify(f->store).first_broken, 5);
}

/* Deleting the oldest records by hand, with no checkpoint, is a gap at the start. */
static void test_cut_without_checkpoint_is_found(void **state)
{
    fixture *f = *state;
    append_five(f->store);
    raw(f->store, "DELETE FROM audit_log WHERE id <= 2");
    assert_int_equal(verify(f->store).first_broken, 3);
}

/* A checkpoint row forged beside the chain, with no record of it in the chain, proves nothing. */
static void test_unannounced_checkpoint_is_found(void **state)
{
    fixture *f = *state;
    append_five(f->store);
    raw(f->store, "INSERT INTO audit_checkpoints (through_id, through_hash, deleted, cutoff_at, at)"
                  " SELECT id, hash, 2, 0, 0 FROM audit_log WHERE id = 2");
    raw(f->store, "DELETE FROM audit_log WHERE id <= 2");
    audit_report r = verify(f->store);
    assert_false(r.checkpoint_announced);
    assert_int_equal(r.first_broken, 3);
}

/* Records the checkpoint says were deleted but are still there (or put back) break the chain too. */
static void test_records_before_checkpoint_are_found(void **state)
{
    fixture *f = *state;
    append_five(f->store);
    assert_int_equal(cut_before(f->store, 1700000000003), 2);
    raw(f->store, "INSERT INTO audit_log (id, at, actor, action, target, detail, prev_hash, hash)"
                  " VALUES (2, 1700000000002, 'x', 'y', 'z', '', '', '')");
    assert_int_equal(verify(f->store).first_broken, 2);
}

/* Editing the checkpoint's hash breaks the first record after it. */
static void test_tampered_checkpoint_hash_is_found(void **state)
{
    fixture *f = *state;
    append_five(f->store);
    assert_int_equal(cut_before(f->store, 1700000000003), 2);
    raw(f->store, "UPDATE audit_checkpoints SET through_hash = '" "0000000000000000000000000000000000000000000000000000000000000001" "'");
    assert_int_equal(verify(f->store).first_broken, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty_log_is_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_appended_records_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rolled_back_append_leaves_no_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_detail_is_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_field_is_covered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forged_prev_hash_is_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleted_middle_record_is_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleted_first_record_is_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_renumbered_record_is_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_swapped_records_are_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cut_off_end_is_not_detectable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_separators_in_fields_do_not_collide, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_and_unicode_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cut_verifies_from_checkpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cut_keeps_the_head, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gap_after_checkpoint_is_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cut_without_checkpoint_is_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unannounced_checkpoint_is_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_records_before_checkpoint_are_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_checkpoint_hash_is_found, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
