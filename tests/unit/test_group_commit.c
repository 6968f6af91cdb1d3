/*
 * test_group_commit.c - writers sharing one durable COMMIT on SQLite (db.c,
 * "Group commit").
 *
 * Design: each case makes the batch it needs deterministically.  The first
 * writer's function holds the turn until db_write_stats() shows the others
 * queued behind it, so they join the same open transaction; then what each
 * writer was told is compared with what the store holds:
 *   - writers that queue share commits (fewer commits than writes), and
 *     every write that was answered OK is stored, once;
 *   - a writer whose function refuses rolls back alone: the writes before
 *     and after it in the same batch are stored;
 *   - a shared COMMIT that fails (a deferred foreign key, checked only at
 *     COMMIT) is not charged to the neighbours: each writer runs again in a
 *     transaction of its own, where the guilty one fails and the others
 *     succeed;
 *   - many threads writing at once, a third of them refusing, end with
 *     exactly the accepted rows;
 *   - a file store's log is synced apart from COMMIT, once per batch or less;
 *   - a writer whose function the leader runs counts its fault steps on its
 *     own request's counter (test builds);
 *   - a log longer than CHECKPOINT_PAGES is copied into the database file by
 *     the checkpointer's own thread, with no writer asking for it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "db/db.h"
#include "db/store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "temp_store.h"

enum { THREADS = 12, WRITES_PER_THREAD = 40 };

static int setup(void **state)
{
    temp_store *f = calloc(1, sizeof *f);
    if (f == NULL || temp_store_open(f, "groupcommit") != 0) {
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

static void pause_briefly(void)
{
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
}

/* One write: a row in meta, then, as told, wait for others to queue, and refuse or break a deferred key. */
typedef struct write_job {
    db *store;
    const char *key;
    int wait_for_queued;  /* hold the turn until this many writers wait behind (first run only) */
    bool refuse;          /* write, then refuse: KITE_ERR_CONFLICT */
    bool break_deferred;  /* also a row whose foreign key fails only at COMMIT */
    int runs;
    kite_err result;
} write_job;

static kite_err job_tx(db_conn *conn, void *ctx)
{
    write_job *j = ctx;
    j->runs++;
    db_stmt *s = db_prepare(conn, "INSERT INTO meta (key, value) VALUES ($1, 'x')");
    db_bind_text(s, 1, j->key);
    kite_err err = db_exec(s);
    if (err == KITE_OK && j->break_deferred) {
        if ((err = db_exec(db_prepare(conn, "PRAGMA defer_foreign_keys = ON"))) == KITE_OK)
            err = db_exec(db_prepare(conn, "INSERT INTO gc_child (id, parent_id) VALUES (1, 999)"));
    }
    while (err == KITE_OK && j->runs == 1 && db_write_stats(j->store).queued < j->wait_for_queued)
        pause_briefly();
    return err != KITE_OK ? err : j->refuse ? KITE_ERR_CONFLICT : KITE_OK;
}

static void *job_thread(void *arg)
{
    write_job *j = arg;
    j->result = db_write(j->store, job_tx, j);
    return NULL;
}

static kite_err count_tx(db_conn *conn, void *ctx)
{
    int64_t *n = ctx;
    db_stmt *s = db_prepare(conn, "SELECT count(*) FROM meta WHERE key LIKE 'gc-%'");
    *n = db_next(s) ? db_int(s, 0) : -1;
    return db_done(s);
}

static int64_t stored(db *store)
{
    int64_t n = -1;
    assert_int_equal(db_read(store, count_tx, &n), KITE_OK);
    return n;
}

typedef struct find {
    const char *key;
    bool found;
} find;

static kite_err find_tx(db_conn *conn, void *ctx)
{
    find *f = ctx;
    db_stmt *s = db_prepare(conn, "SELECT 1 FROM meta WHERE key = $1");
    db_bind_text(s, 1, f->key);
    f->found = db_next(s);
    return db_done(s);
}

static bool has_key(db *store, const char *key)
{
    find f = {key, false};
    assert_int_equal(db_read(store, find_tx, &f), KITE_OK);
    return f.found;
}

/* The first job starts and holds the turn; the others start once it runs, and queue behind it. */
static void run_batch(write_job *jobs, size_t n)
{
    pthread_t threads[8];
    assert_true(n <= 8);
    assert_int_equal(pthread_create(&threads[0], NULL, job_thread, &jobs[0]), 0);
    while (db_write_stats(jobs[0].store).writes == 0 || jobs[0].runs == 0)
        pause_briefly();
    for (size_t i = 1; i < n; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, job_thread, &jobs[i]), 0);
    for (size_t i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
}

static void test_queued_writers_share_one_commit(void **state)
{
    temp_store *f = *state;
    db_group_stats before = db_write_stats(f->store);
    write_job jobs[4] = {
        {f->store, "gc-a", 3, false, false, 0, KITE_OK},
        {f->store, "gc-b", 0, false, false, 0, KITE_OK},
        {f->store, "gc-c", 0, false, false, 0, KITE_OK},
        {f->store, "gc-d", 0, false, false, 0, KITE_OK},
    };
    run_batch(jobs, 4);
    db_group_stats after = db_write_stats(f->store);
    for (int i = 0; i < 4; i++)
        assert_int_equal(jobs[i].result, KITE_OK);
    assert_int_equal(stored(f->store), 4);
    assert_int_equal(after.writes - before.writes, 4);
    /* The first batch holds a and every writer queued behind it when it ended: at most two commits. */
    assert_true(after.commits - before.commits <= 2);
    assert_true(after.largest >= 2);
    /* A file store syncs its log apart from COMMIT (writer.c): at least one fsync, never more than the commits. */
    assert_true(after.syncs_apart - before.syncs_apart >= 1);
    assert_true(after.syncs_apart - before.syncs_apart <= after.commits - before.commits);
}

#ifdef KITE_FAULT_INJECTION
/* A writer whose request armed a fault at its Nth step: the leader runs its function, the count stays the writer's. */
typedef struct armed_job {
    write_job job;
    int64_t arm_at, steps, failed_step;
} armed_job;

static void *armed_job_thread(void *arg)
{
    armed_job *a = arg;
    db_fault_arm_thread(a->arm_at, KITE_ERR_STORE);
    a->job.result = db_write(a->job.store, job_tx, &a->job);
    a->steps = db_fault_disarm_thread(&a->failed_step);
    return NULL;
}

static void test_a_queued_writer_counts_its_own_fault_steps(void **state)
{
    temp_store *f = *state;
    /* The leader holds the lead until one writer queues; it has armed nothing. */
    write_job leader = {f->store, "gc-leader", 1, false, false, 0, KITE_OK};
    /* Step 1 is its BEGIN, step 2 its INSERT: the INSERT fails, on whichever thread runs it. */
    armed_job armed = {{f->store, "gc-armed", 0, false, false, 0, KITE_OK}, 2, 0, 0};
    pthread_t lead_thread, armed_thread;
    assert_int_equal(pthread_create(&lead_thread, NULL, job_thread, &leader), 0);
    while (db_write_stats(f->store).writes == 0 || leader.runs == 0)
        pause_briefly();
    assert_int_equal(pthread_create(&armed_thread, NULL, armed_job_thread, &armed), 0);
    pthread_join(lead_thread, NULL);
    pthread_join(armed_thread, NULL);
    assert_int_equal(leader.result, KITE_OK);
    assert_int_equal(armed.job.result, KITE_ERR_STORE);
    assert_int_equal(armed.failed_step, 2);
    assert_int_equal(armed.steps, 2);
    assert_true(has_key(f->store, "gc-leader"));
    assert_false(has_key(f->store, "gc-armed"));
}
#endif

static void test_a_refused_writer_rolls_back_alone(void **state)
{
    temp_store *f = *state;
    write_job jobs[3] = {
        {f->store, "gc-before", 2, false, false, 0, KITE_OK},
        {f->store, "gc-refused", 0, true, false, 0, KITE_OK},
        {f->store, "gc-after", 0, false, false, 0, KITE_OK},
    };
    run_batch(jobs, 3);
    assert_int_equal(jobs[0].result, KITE_OK);
    assert_int_equal(jobs[1].result, KITE_ERR_CONFLICT);
    assert_int_equal(jobs[2].result, KITE_OK);
    assert_true(has_key(f->store, "gc-before"));
    assert_false(has_key(f->store, "gc-refused"));
    assert_true(has_key(f->store, "gc-after"));
    assert_int_equal(stored(f->store), 2);
}

static kite_err schema_tx(db_conn *conn, void *ctx)
{
    (void)ctx;
    kite_err err = db_exec(db_prepare(conn, "CREATE TABLE gc_parent (id INTEGER PRIMARY KEY)"));
    if (err == KITE_OK)
        err = db_exec(db_prepare(conn,
            "CREATE TABLE gc_child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES gc_parent (id))"));
    return err;
}

static void test_a_failed_shared_commit_is_not_charged_to_the_neighbours(void **state)
{
    temp_store *f = *state;
    assert_int_equal(db_write(f->store, schema_tx, NULL), KITE_OK);
    db_group_stats before = db_write_stats(f->store);
    write_job jobs[3] = {
        {f->store, "gc-first", 2, false, false, 0, KITE_OK},
        {f->store, "gc-guilty", 0, false, true, 0, KITE_OK},
        {f->store, "gc-last", 0, false, false, 0, KITE_OK},
    };
    run_batch(jobs, 3);
    db_group_stats after = db_write_stats(f->store);
    assert_int_equal(after.failed_commits - before.failed_commits, 1);
    assert_int_equal(jobs[0].result, KITE_OK);
    assert_int_not_equal(jobs[1].result, KITE_OK);
    assert_int_equal(jobs[2].result, KITE_OK);
    assert_true(jobs[0].runs >= 2); /* it was in the failed batch, and ran again alone */
    assert_true(has_key(f->store, "gc-first"));
    assert_false(has_key(f->store, "gc-guilty"));
    assert_true(has_key(f->store, "gc-last"));
}

typedef struct hammer {
    db *store;
    int thread;
    int accepted;
} hammer;

static void *hammer_thread(void *arg)
{
    hammer *h = arg;
    for (int i = 0; i < WRITES_PER_THREAD; i++) {
        char key[32];
        snprintf(key, sizeof key, "gc-%d-%d", h->thread, i);
        write_job j = {h->store, key, 0, i % 3 == 0, false, 0, KITE_OK};
        kite_err err = db_write(h->store, job_tx, &j);
        if (err == KITE_OK)
            h->accepted++;
        else if (err != KITE_ERR_CONFLICT)
            h->accepted = -1000000; /* no other answer is allowed */
    }
    return NULL;
}

static void test_many_writers_end_with_exactly_the_accepted_rows(void **state)
{
    temp_store *f = *state;
    pthread_t threads[THREADS];
    hammer h[THREADS];
    for (int i = 0; i < THREADS; i++) {
        h[i] = (hammer){f->store, i, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, hammer_thread, &h[i]), 0);
    }
    int accepted = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        accepted += h[i].accepted;
    }
    int refused_per_thread = (WRITES_PER_THREAD + 2) / 3;
    assert_int_equal(accepted, THREADS * (WRITES_PER_THREAD - refused_per_thread));
    assert_int_equal(stored(f->store), accepted);
    db_group_stats stats = db_write_stats(f->store);
    printf("group commit: %lld writes in %lld commits, the largest %lld\n", (long long)stats.writes,
           (long long)stats.commits, (long long)stats.largest);
}

/* Rows of about 3,000 bytes: with their index entries, about one log page each. */
typedef struct bulk {
    int from, count;
} bulk;

static kite_err bulk_tx(db_conn *conn, void *ctx)
{
    const bulk *b = ctx;
    static char value[3001];
    memset(value, 'v', sizeof value - 1);
    kite_err err = KITE_OK;
    for (int i = 0; err == KITE_OK && i < b->count; i++) {
        char key[32];
        snprintf(key, sizeof key, "bulk-%07d", b->from + i);
        db_stmt *s = db_prepare(conn, "INSERT INTO meta (key, value) VALUES ($1, $2)");
        db_bind_text(s, 1, key);
        db_bind_text(s, 2, value);
        err = db_exec(s);
    }
    return err;
}

static void test_a_long_log_is_checkpointed_off_the_writers_path(void **state)
{
    temp_store *f = *state;
    struct stat before;
    assert_int_equal(stat(f->path, &before), 0);
    enum { ROWS = CHECKPOINT_PAGES + CHECKPOINT_PAGES / 4, PER_WRITE = 2000 };
    for (int from = 0; from < ROWS; from += PER_WRITE) {
        bulk b = {from, PER_WRITE};
        assert_int_equal(db_write(f->store, bulk_tx, &b), KITE_OK);
    }
    /* The checkpointer copies on its own thread: the database file grows by what the log held. */
    struct stat after = before;
    for (int waited = 0; waited < 20000 && after.st_size < (off_t)CHECKPOINT_PAGES * 3000; waited++) {
        pause_briefly();
        assert_int_equal(stat(f->path, &after), 0);
    }
    assert_true(after.st_size >= (off_t)CHECKPOINT_PAGES * 3000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_queued_writers_share_one_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_refused_writer_rolls_back_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_failed_shared_commit_is_not_charged_to_the_neighbours, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_writers_end_with_exactly_the_accepted_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_long_log_is_checkpointed_off_the_writers_path, setup, teardown),
#ifdef KITE_FAULT_INJECTION
        cmocka_unit_test_setup_teardown(test_a_queued_writer_counts_its_own_fault_steps, setup, teardown),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
