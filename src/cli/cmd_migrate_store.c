/*
 * cmd_migrate_store.c - kite migrate-store: moves a SQLite store to PostgreSQL
 * and proves the copy.
 *
 * Design: db_open brings both stores to this build's schema version, then
 * db_copy (db/copy.h) copies every table from one snapshot of the source
 * into the target, which must hold no data.  Inside that same snapshot the
 * source's audit chain (record count, last hash) and ledger totals are
 * taken, so the comparison afterwards is with the store exactly as copied,
 * even when a server went on writing to it.  The target is then judged by
 * the same functions `kite audit verify` and `kite ledger verify` use: row
 * counts equal in every table, the chain whole with the same count and last
 * hash, the ledger whole with the same totals.  Exit 0 only when all hold;
 * 1 when the copy was refused, failed or a check differs (each named); 2 for
 * a usage error.
 *
 * The target URI may carry a password: messages show it masked.
 */
#include "cli/cli.h"

#include "db/copy.h"
#include "domain/audit/audit.h"
#include "domain/ledger/verify.h"
#include "domain/messaging/message_holds.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { HASH_MAX = 129, URI_SHOWN_MAX = 512, BAR_WIDTH = 30 };

/* What the audit chain and the ledger were in one store's snapshot. */
typedef struct store_facts {
    int64_t audit_records;
    char last_hash[HASH_MAX];
    ledger_report ledger;
} store_facts;

static kite_err last_hash(db_conn *conn, store_facts *f)
{
    db_stmt *s = db_prepare(conn, "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1");
    f->last_hash[0] = '\0';
    if (db_next(s))
        snprintf(f->last_hash, sizeof f->last_hash, "%s", db_text(s, 0));
    return db_done(s);
}

/* The ledger's own checks, as kite ledger verify runs them. */
static kite_err ledger_facts(db_conn *conn, store_facts *f)
{
    kite_err err = ledger_verify(conn, &f->ledger);
    if (err == KITE_OK && ledger_report_ok(&f->ledger))
        err = message_holds_verify(conn, &f->ledger);
    return err;
}

/* Runs inside the copy's snapshot of the source. */
static kite_err source_facts_tx(db_conn *conn, void *ctx)
{
    store_facts *f = ctx;
    db_stmt *s = db_prepare(conn, "SELECT count(*) FROM audit_log");
    f->audit_records = db_next(s) ? db_int(s, 0) : 0;
    kite_err err = db_done(s);
    if (err == KITE_OK)
        err = last_hash(conn, f);
    if (err == KITE_OK)
        err = ledger_facts(conn, f);
    return err;
}

static kite_err target_facts_tx(db_conn *conn, void *ctx)
{
    store_facts *f = ctx;
    kite_err err = last_hash(conn, f);
    if (err == KITE_OK)
        err = ledger_facts(conn, f);
    return err;
}

typedef struct progress {
    bool tty;
} progress;

/* A bar redrawn in place on a terminal; one line per table when stderr is a file or a pipe. */
static void on_progress(void *ctx, const char *table, int64_t done, int64_t total)
{
    const progress *p = ctx;
    int percent = total > 0 ? (int)(done * 100 / total) : 100;
    if (!p->tty) {
        if (done == total)
            fprintf(stderr, "copied %s: %" PRId64 " rows\n", table, total);
        return;
    }
    char bar[BAR_WIDTH + 1];
    int filled = percent * BAR_WIDTH / 100;
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    fprintf(stderr, "\r%-28s [%s] %" PRId64 "/%" PRId64 " %3d%%\033[K", table, bar, done, total, percent);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Each check prints one line; false when it fails. */
static bool check_audit(db *target, const store_facts *src, const store_facts *dst)
{
    audit_report report;
    kite_err err = audit_verify(target, &report);
    if (err != KITE_OK) {
        printf("MISMATCH audit: cannot read the target's audit log (%s)\n", kite_err_code(err));
        return false;
    }
    if (report.first_broken != 0) {
        printf("MISMATCH audit: the target's chain is BROKEN at record %" PRId64 "\n", report.first_broken);
        return false;
    }
    if (report.count != src->audit_records || strcmp(src->last_hash, dst->last_hash) != 0) {
        printf("MISMATCH audit: the source has %" PRId64 " records ending %.16s, the target %" PRId64
               " ending %.16s\n",
               src->audit_records, src->last_hash, report.count, dst->last_hash);
        return false;
    }
    printf("audit: chain intact on the target, %" PRId64 " records, last hash %.16s... as in the source\n",
           report.count, dst->last_hash);
    return true;
}

static bool check_ledger(const store_facts *src, const store_facts *dst)
{
    const ledger_report *a = &src->ledger, *b = &dst->ledger;
    if (!ledger_report_ok(b)) {
        printf("MISMATCH ledger: breach on the target: %s\n", b->breach);
        return false;
    }
    if (a->transactions != b->transactions || a->accounts != b->accounts || a->holds != b->holds) {
        printf("MISMATCH ledger: the source has %" PRId64 " transactions, %" PRId64 " accounts, %" PRId64
               " holds; the target %" PRId64 ", %" PRId64 ", %" PRId64 "\n",
               a->transactions, a->accounts, a->holds, b->transactions, b->accounts, b->holds);
        return false;
    }
    printf("ledger: ok on the target (%" PRId64 " transactions, %" PRId64 " accounts, %" PRId64
           " holds), as in the source\n",
           b->transactions, b->accounts, b->holds);
    return true;
}

static bool verify(db *target, db_copy_report *report, const store_facts *src)
{
    bool ok = true;
    if (db_copy_verify_counts(target, report) != KITE_OK) {
        printf("MISMATCH rows: %s\n", report->problem);
        ok = false;
    } else {
        printf("rows: equal in all %zu tables (%" PRId64 " rows)\n", report->count, report->rows);
    }
    store_facts dst = {0};
    kite_err err = db_read(target, target_facts_tx, &dst);
    if (err != KITE_OK) {
        printf("MISMATCH: cannot read the target's audit log and ledger (%s)\n", kite_err_code(err));
        return false;
    }
    ok = check_audit(target, src, &dst) && ok;
    ok = check_ledger(src, &dst) && ok;
    return ok;
}

static int migrate(db *source, db *target, const char *shown)
{
    store_facts src = {0};
    progress bar = {.tty = isatty(STDERR_FILENO) == 1};
    db_copy_options opt = {.progress = on_progress, .progress_ctx = &bar, .snapshot_fn = source_facts_tx,
                           .snapshot_ctx = &src};
    db_copy_report report;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    kite_err err = db_copy(source, target, &opt, &report);
    double took = seconds_since(&start);
    if (err != KITE_OK) {
        fprintf(stderr, "kite migrate-store: %s: %s\n", err == KITE_ERR_CONFLICT ? "refused" : "failed",
                report.problem);
        if (err != KITE_ERR_CONFLICT)
            fprintf(stderr, "kite migrate-store: %s may hold a partial copy: drop and recreate it before "
                            "running again\n", shown);
        db_copy_report_free(&report);
        return 1;
    }
    printf("copied %zu tables, %" PRId64 " rows in %.2f s (%.0f rows/s); %d reference(s) set afterwards, "
           "%d identity sequence(s) moved\n",
           report.count, report.rows, took, took > 0 ? (double)report.rows / took : 0.0, report.deferred_columns,
           report.sequences);
    bool ok = verify(target, &report, &src);
    db_copy_report_free(&report);
    printf(ok ? "migrate-store: the target matches the source\n" : "migrate-store: the target DIFFERS\n");
    return ok ? 0 : 1;
}

static bool is_uri(const char *s)
{
    return strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0;
}

int cmd_migrate_store(int argc, char **argv)
{
    const char *from, *to;
    const cli_opt opts[] = {{"from", &from, "PATH.db"}, {"to", &to, "postgresql://..."}, {NULL, NULL, NULL}};
    const cli_command cmd = {"kite migrate-store", "kite migrate-store --from PATH.db --to postgresql://...", opts, 0,
                             0};
    cli_args args;
    int status;
    if (!cli_parse_or_usage(&cmd, NULL, argc, argv, &args, &status))
        return status;
    if (is_uri(from))
        return cli_usage_error(&cmd, "--from is the SQLite store's path, not a URI");
    if (!is_uri(to))
        return cli_usage_error(&cmd, "--to must be a postgresql:// URI");
    char shown[URI_SHOWN_MAX];
    cli_store_shown(to, shown, sizeof shown);
    /* db_open would create a missing file: a mistyped path must not migrate an empty store. */
    struct stat st;
    if (stat(from, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
        fprintf(stderr, "kite migrate-store: no store at %s\n", from);
        return 1;
    }
    db *source = NULL, *target = NULL;
    kite_err err = db_open(from, &source);
    if (err != KITE_OK) {
        fprintf(stderr, "kite migrate-store: cannot open the source store %s (%s)\n", from, kite_err_code(err));
        return 1;
    }
    if ((err = db_open(to, &target)) != KITE_OK) {
        fprintf(stderr, "kite migrate-store: cannot open the target %s (%s)\n", shown, kite_err_code(err));
        db_close(source);
        return 1;
    }
    int result = migrate(source, target, shown);
    db_close(target);
    db_close(source);
    return result;
}
