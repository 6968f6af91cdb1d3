/*
 * test_db.c - the store on a real SQLite file: migrations, the statement
 * cache, $N binding by name, commit and rollback, conflicts, concurrent
 * writers, and the column readers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "db/db.h"
#include "db/migrations.h"

#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- fixture: a fresh store in a fresh temporary directory ------------- */

#include "temp_store.h"


typedef temp_store fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL || temp_store_open(f, "db") != 0) {
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

/* ---- small transactions ------------------------------------------------ */

/* One integer from a query without parameters. */
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
            q->value = db_int(s, 0);
    }
    return db_done(s);
}

static int64_t query_int(db *store, const char *sql)
{
    scalar q = {sql, -1, 0};
    assert_int_equal(db_read(store, scalar_tx, &q), KITE_OK);
    assert_int_equal(q.rows, 1);
    return q.value;
}

/* Inserts key=value into meta; then returns `result` (to test rollback). */
typedef struct put {
    const char *key;
    const char *value;
    kite_err result;
} put;

static kite_err put_tx(db_conn *conn, void *ctx)
{
    put *p = ctx;
    db_stmt *s = db_prepare(conn, "INSERT INTO meta (key, value) VALUES ($1, $2)");
    db_bind_text(s, 1, p->key);
    db_bind_text(s, 2, p->value);
    kite_err err = db_exec(s);
    if (err != KITE_OK)
        return err;
    if (db_changes(conn) != 1)
        return KITE_ERR_INTERNAL;
    return p->result;
}

/* Reads meta[key] into value (a copy); found says whether it exists. */
typedef struct get {
    const char *key;
    char value[256];
    int found;
} get;

static kite_err get_tx(db_conn *conn, void *ctx)
{
    get *g = ctx;
    db_stmt *s = db_prepare(conn, "SELECT value FROM meta WHERE key = $1");
    db_bind_text(s, 1, g->key);
    g->found = 0;
    if (db_next(s)) {
        g->found = 1;
        snprintf(g->value, sizeof g->value, "%s", db_text(s, 0));
    }
    return db_done(s);
}

static int meta_has(db *store, const char *key)
{
    get g = {.key = key};
    assert_int_equal(db_read(store, get_tx, &g), KITE_OK);
    return g.found;
}

/* ---- tests ------------------------------------------------------------- */

static void test_open_creates_and_migrates(void **state)
{
    fixture *f = *state;
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_true(kite_migration_count >= 1);
    assert_int_equal(query_int(f->store, "SELECT count(*) FROM schema_migrations"), (int64_t)kite_migration_count);
    assert_int_equal(query_int(f->store, "SELECT min(version) FROM schema_migrations"), 1);
    assert_int_equal(query_int(f->store, "SELECT count(*) FROM schema_migrations WHERE version = 1"), 1);
    assert_int_equal(query_int(f->store, "SELECT max(version) FROM schema_migrations"),
                     kite_migrations[kite_migration_count - 1].version);
    /* The tables of migration 1 exist. */
    assert_int_equal(query_int(f->store,
                               "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
                               " ('meta','providers','facilities','facility_services','accounts','sessions',"
                               "  'signin_throttle','audit_log')"),
                     8);
    /* Durability and integrity settings are on for this connection. */
    assert_int_equal(query_int(f->store, "PRAGMA foreign_keys"), 1);
    assert_int_equal(query_int(f->store, "PRAGMA synchronous"), 2); /* FULL */
}

static void test_reopen_is_idempotent(void **state)
{
    fixture *f = *state;
    put p = {"kept", "across reopen", KITE_OK};
    assert_int_equal(db_write(f->store, put_tx, &p), KITE_OK);
    int64_t applied_at = query_int(f->store, "SELECT applied_at FROM schema_migrations WHERE version = 1");
    for (int i = 0; i < 3; i++) {
        f->store = db_close(f->store);
        assert_null(f->store);
        assert_int_equal(db_open(f->path, &f->store), KITE_OK);
        assert_non_null(f->store);
        assert_int_equal(query_int(f->store, "SELECT count(*) FROM schema_migrations"),
                         (int64_t)kite_migration_count);
        assert_int_equal(query_int(f->store, "SELECT applied_at FROM schema_migrations WHERE version = 1"),
                         applied_at);
        assert_true(meta_has(f->store, "kept"));
    }
    /* Two stores open on one file at once also agree. */
    db *second = NULL;
    assert_int_equal(db_open(f->path, &second), KITE_OK);
    assert_non_null(second);
    assert_true(meta_has(second, "kept"));
    assert_int_equal(query_int(second, "SELECT count(*) FROM schema_migrations"), (int64_t)kite_migration_count);
    db_close(second);
}

static void test_open_failure(void **state)
{
    (void)state;
    db *store = NULL;
    assert_int_equal(db_open("/tmp/kite-test-db-no-such-dir/deeper/kite.db", &store), KITE_ERR_STORE);
    assert_null(store);
    assert_null(db_close(NULL));
}

/* Checks statement cache identity; results go to ok. */
typedef struct cache_check {
    int ok;
} cache_check;

static kite_err cache_tx(db_conn *conn, void *ctx)
{
    cache_check *c = ctx;
    const char *sql = "SELECT value FROM meta WHERE key = $1";
    db_stmt *first = db_prepare(conn, sql);
    db_stmt *again = db_prepare(conn, sql);
    /* The same text from another buffer finds the same statement. */
    char copy[64];
    snprintf(copy, sizeof copy, "%s", sql);
    db_stmt *by_text = db_prepare(conn, copy);
    db_stmt *other = db_prepare(conn, "SELECT key FROM meta WHERE key = $1");
    c->ok = first == again && first == by_text && other != first;

    /* Enough distinct statements to make the cache grow several times. */
    static char texts[300][48];
    static db_stmt *stmts[300];
    for (int i = 0; i < 300; i++) {
        snprintf(texts[i], sizeof texts[i], "SELECT %d + $1", i);
        stmts[i] = db_prepare(conn, texts[i]);
    }
    for (int i = 0; i < 300; i++) {
        db_stmt *s = db_prepare(conn, texts[i]);
        if (s != stmts[i])
            c->ok = 0;
        db_bind_int(s, 1, 1000);
        if (!db_next(s) || db_int(s, 0) != 1000 + i)
            c->ok = 0;
        kite_err err = db_done(s);
        if (err != KITE_OK)
            return err;
    }
    if (db_prepare(conn, sql) != first)
        c->ok = 0;

    /* A statement left mid-result comes back reset and unbound. */
    db_stmt *many = db_prepare(conn, "SELECT value FROM (SELECT 1 AS value UNION ALL SELECT 2) ORDER BY value");
    if (!db_next(many) || db_int(many, 0) != 1)
        c->ok = 0;
    many = db_prepare(conn, "SELECT value FROM (SELECT 1 AS value UNION ALL SELECT 2) ORDER BY value");
    if (!db_next(many) || db_int(many, 0) != 1)
        c->ok = 0;
    kite_err err = db_done(many);
    if (err != KITE_OK)
        return err;
    db_stmt *bound = db_prepare(conn, "SELECT $1 IS NULL");
    db_bind_int(bound, 1, 5);
    bound = db_prepare(conn, "SELECT $1 IS NULL");
    if (!db_next(bound) || db_int(bound, 0) != 1)
        c->ok = 0;
    return db_done(bound);
}

static void test_statement_cache(void **state)
{
    fixture *f = *state;
    cache_check c = {0};
    assert_int_equal(db_read(f->store, cache_tx, &c), KITE_OK);
    assert_true(c.ok);
}

typedef struct pair {
    int64_t first;
    int64_t second;
    char text[64];
} pair;

static kite_err dollar_n_tx(db_conn *conn, void *ctx)
{
    pair *p = ctx;
    db_stmt *s = db_prepare(conn, "SELECT $2, $1");
    db_bind_int(s, 1, 10);
    db_bind_int(s, 2, 20);
    if (db_next(s)) {
        p->first = db_int(s, 0);
        p->second = db_int(s, 1);
    }
    kite_err err = db_done(s);
    if (err != KITE_OK)
        return err;
    /* Text, bound in the opposite order, with a parameter used twice. */
    s = db_prepare(conn, "SELECT $3 || '-' || $1 || '-' || $2 || '-' || $3");
    db_bind_text(s, 2, "two");
    db_bind_text(s, 3, "three");
    db_bind_text(s, 1, "one");
    if (db_next(s))
        snprintf(p->text, sizeof p->text, "%s", db_text(s, 0));
    return db_done(s);
}

static void test_dollar_n_binds_by_name(void **state)
{
    fixture *f = *state;
    pair p = {0, 0, ""};
    assert_int_equal(db_read(f->store, dollar_n_tx, &p), KITE_OK);
    assert_int_equal(p.first, 20);
    assert_int_equal(p.second, 10);
    assert_string_equal(p.text, "three-one-two-three");
}

static void test_write_commits_on_ok(void **state)
{
    fixture *f = *state;
    put p = {"committed", "yes", KITE_OK};
    assert_int_equal(db_write(f->store, put_tx, &p), KITE_OK);
    get g = {.key = "committed"};
    assert_int_equal(db_read(f->store, get_tx, &g), KITE_OK);
    assert_true(g.found);
    assert_string_equal(g.value, "yes");
    /* Another store on the same file (another connection) sees it: it is committed. */
    db *other = NULL;
    assert_int_equal(db_open(f->path, &other), KITE_OK);
    assert_non_null(other);
    assert_true(meta_has(other, "committed"));
    db_close(other);
}

static void test_write_rolls_back_on_error(void **state)
{
    fixture *f = *state;
    put p = {"rolled-back", "no", KITE_ERR_INVALID_FIELD};
    assert_int_equal(db_write(f->store, put_tx, &p), KITE_ERR_INVALID_FIELD);
    assert_false(meta_has(f->store, "rolled-back"));
    p.result = KITE_ERR_NOT_FOUND;
    assert_int_equal(db_write(f->store, put_tx, &p), KITE_ERR_NOT_FOUND);
    assert_false(meta_has(f->store, "rolled-back"));
    /* The connection is usable afterwards. */
    p.result = KITE_OK;
    assert_int_equal(db_write(f->store, put_tx, &p), KITE_OK);
    assert_true(meta_has(f->store, "rolled-back"));
}

/* Two inserts, the second of which conflicts: the first must vanish too. */
static kite_err two_puts_tx(db_conn *conn, void *ctx)
{
    (void)ctx;
    put a = {"first-of-two", "1", KITE_OK};
    kite_err err = put_tx(conn, &a);
    if (err != KITE_OK)
        return err;
    put b = {"dup", "again", KITE_OK};
    return put_tx(conn, &b);
}

static void test_unique_violation_is_conflict(void **state)
{
    fixture *f = *state;
    put p = {"dup", "once", KITE_OK};
    assert_int_equal(db_write(f->store, put_tx, &p), KITE_OK);
    p.value = "twice";
    assert_int_equal(db_write(f->store, put_tx, &p), KITE_ERR_CONFLICT);
    get g = {.key = "dup"};
    assert_int_equal(db_read(f->store, get_tx, &g), KITE_OK);
    assert_string_equal(g.value, "once");

    assert_int_equal(db_write(f->store, two_puts_tx, NULL), KITE_ERR_CONFLICT);
    assert_false(meta_has(f->store, "first-of-two"));

    /* The cached statement recovers for the next use. */
    put q = {"fresh", "ok", KITE_OK};
    assert_int_equal(db_write(f->store, put_tx, &q), KITE_OK);
    assert_true(meta_has(f->store, "fresh"));
}

static kite_err not_null_violation_tx(db_conn *conn, void *ctx)
{
    (void)ctx;
    db_stmt *s = db_prepare(conn, "INSERT INTO meta (key, value) VALUES ($1, $2)");
    db_bind_text(s, 1, "null-value");
    db_bind_text(s, 2, NULL);
    return db_exec(s);
}

static void test_constraint_violations(void **state)
{
    fixture *f = *state;
    /* Any constraint the store enforces ends the write without a trace. */
    kite_err err = db_write(f->store, not_null_violation_tx, NULL);
    assert_int_not_equal(err, KITE_OK);
    assert_false(meta_has(f->store, "null-value"));
}

static void test_read_sees_committed_data(void **state)
{
    fixture *f = *state;
    assert_int_equal(query_int(f->store, "SELECT count(*) FROM meta"), 0);
    for (int i = 0; i < 5; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        put p = {key, "v", KITE_OK};
        assert_int_equal(db_write(f->store, put_tx, &p), KITE_OK);
        assert_int_equal(query_int(f->store, "SELECT count(*) FROM meta"), i + 1);
    }
}

/* Inserts key, then fails with KITE_ERR_BUSY on the first `busy_times` calls. */
typedef struct flaky {
    const char *key;
    int calls;
    int busy_times;
} flaky;

static kite_err flaky_tx(db_conn *conn, void *ctx)
{
    flaky *fl = ctx;
    fl->calls++;
    put p = {fl->key, "v", KITE_OK};
    kite_err err = put_tx(conn, &p);
    if (err != KITE_OK)
        return err;
    return fl->calls <= fl->busy_times ? KITE_ERR_BUSY : KITE_OK;
}

static void test_write_retries_when_busy(void **state)
{
    fixture *f = *state;
    /* Busy once: the function runs again, and only the second run commits. */
    flaky once = {"once", 0, 1};
    assert_int_equal(db_write(f->store, flaky_tx, &once), KITE_OK);
    assert_int_equal(once.calls, 2);
    assert_int_equal(query_int(f->store, "SELECT count(*) FROM meta WHERE key = 'once'"), 1);
    /* Busy for ever: a bounded number of attempts, then BUSY, and nothing committed. */
    flaky always = {"always", 0, 1000};
    assert_int_equal(db_write(f->store, flaky_tx, &always), KITE_ERR_BUSY);
    assert_true(always.calls > 1);
    assert_true(always.calls < 100);
    assert_false(meta_has(f->store, "always"));
    assert_int_equal(query_int(f->store, "SELECT count(*) FROM meta"), 1);
}

/* ---- concurrent writers ------------------------------------------------- */

enum { WRITES_PER_THREAD = 200 };

typedef struct writer {
    db *store;
    int id;
    int errors;
} writer;

static void *writer_main(void *arg)
{
    writer *w = arg;
    for (int i = 0; i < WRITES_PER_THREAD; i++) {
        char key[32];
        snprintf(key, sizeof key, "thread%d-%d", w->id, i);
        put p = {key, "x", KITE_OK};
        if (db_write(w->store, put_tx, &p) != KITE_OK)
            w->errors++;
        if (i % 20 == 0 && !meta_has(w->store, key))
            w->errors++;
    }
    return NULL;
}

static void test_concurrent_writers(void **state)
{
    fixture *f = *state;
    writer w[2] = {{f->store, 0, 0}, {f->store, 1, 0}};
    pthread_t threads[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, writer_main, &w[i]), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(threads[i], NULL), 0);
    assert_int_equal(w[0].errors, 0);
    assert_int_equal(w[1].errors, 0);
    assert_int_equal(query_int(f->store, "SELECT count(*) FROM meta"), 2 * WRITES_PER_THREAD);
    assert_int_equal(query_int(f->store, "SELECT count(*) FROM meta WHERE key LIKE 'thread0-%'"), WRITES_PER_THREAD);
    assert_int_equal(query_int(f->store, "SELECT count(*) FROM meta WHERE key LIKE 'thread1-%'"), WRITES_PER_THREAD);
}

/* ---- column readers ------------------------------------------------------ */

typedef struct columns {
    int is_null_text;
    int is_null_flag;
    int64_t big;
    unsigned char blob[8];
    size_t blob_len;
    int empty_blob_ok;
    char text[32];
    int64_t changes;
} columns;

static kite_err columns_tx(db_conn *conn, void *ctx)
{
    columns *c = ctx;
    static const unsigned char bytes[] = {0x00, 0xff, 0x10, 0x00, 0x7f};
    db_stmt *s = db_prepare(conn, "SELECT $1, $2, $3, $4, $5");
    db_bind_text(s, 1, NULL);
    db_bind_null(s, 2);
    db_bind_int(s, 3, INT64_MIN);
    db_bind_blob(s, 4, bytes, sizeof bytes);
    db_bind_text(s, 5, "h\xc3\xa9llo");
    if (db_next(s)) {
        c->is_null_text = db_text(s, 0) == NULL && db_is_null(s, 0);
        c->is_null_flag = db_is_null(s, 1);
        c->big = db_int(s, 2);
        const void *data = db_blob(s, 3, &c->blob_len);
        if (data != NULL && c->blob_len <= sizeof c->blob)
            memcpy(c->blob, data, c->blob_len);
        snprintf(c->text, sizeof c->text, "%s", db_text(s, 4));
    }
    kite_err err = db_done(s);
    if (err != KITE_OK)
        return err;
    db_stmt *u = db_prepare(conn, "INSERT INTO meta (key, value) VALUES ('a', '1'), ('b', '2'), ('c', '3')");
    if ((err = db_exec(u)) != KITE_OK)
        return err;
    c->changes = db_changes(conn);
    return KITE_OK;
}

static void test_column_readers(void **state)
{
    fixture *f = *state;
    columns c;
    memset(&c, 0, sizeof c);
    assert_int_equal(db_write(f->store, columns_tx, &c), KITE_OK);
    assert_true(c.is_null_text);
    assert_true(c.is_null_flag);
    assert_true(c.big == INT64_MIN);
    assert_int_equal(c.blob_len, 5);
    static const unsigned char expect[] = {0x00, 0xff, 0x10, 0x00, 0x7f};
    assert_memory_equal(c.blob, expect, sizeof expect);
    assert_string_equal(c.text, "h\xc3\xa9llo");
    assert_int_equal(c.changes, 3);
}

static void test_ping(void **state)
{
    fixture *f = *state;
    assert_int_equal(db_ping(f->store), KITE_OK);
    assert_int_equal(db_ping(f->store), KITE_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_creates_and_migrates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_is_idempotent, setup, teardown),
        cmocka_unit_test(test_open_failure),
        cmocka_unit_test_setup_teardown(test_statement_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dollar_n_binds_by_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_commits_on_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_rolls_back_on_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unique_violation_is_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_constraint_violations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_sees_committed_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_retries_when_busy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_column_readers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ping, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
