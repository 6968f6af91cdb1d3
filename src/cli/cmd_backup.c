/*
 * cmd_backup.c - kite backup and kite restore: a SQLite store copied while
 * it is served, and back.
 *
 * Design: db/backup.h does the copy (one moment, checked, durable, never
 * written over anything).  Around it, the commands prove the copy the way
 * the server's own checks would: the audit chain and the ledger of the
 * copy are verified (kite audit verify and kite ledger verify, on the copy)
 * before the command says it is done, so a backup that could not be
 * trusted is never reported as one.  A restore refuses an existing store:
 * stop the server, move the store aside, restore, start the server.
 *
 * SECURITY: the operator's command; a backup holds everything (mode 0600).
 */
#include "cli/cli.h"

#include "db/backup.h"
#include "domain/audit/audit.h"
#include "domain/ledger/verify.h"
#include "domain/messaging/message_holds.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static bool is_postgres(const char *target)
{
    return strncmp(target, "postgres://", 11) == 0 || strncmp(target, "postgresql://", 13) == 0;
}

static kite_err ledger_tx(db_conn *conn, void *ctx)
{
    ledger_report *report = ctx;
    kite_err err = ledger_verify(conn, report);
    if (err == KITE_OK && ledger_report_ok(report))
        err = message_holds_verify(conn, report);
    return err;
}

/* Opens the copy at path and verifies its audit chain and its ledger; says what failed on stderr. */
static bool copy_verifies(const char *command, const char *path)
{
    cli_store store;
    if (cli_store_open(command, path, &store) != KITE_OK)
        return false;
    audit_report audit;
    ledger_report ledger;
    kite_err err = audit_verify(store.ctx.store, &audit);
    bool ok = err == KITE_OK && audit.first_broken == 0;
    if (!ok && err != KITE_OK)
        fprintf(stderr, "%s: the copy's audit log cannot be read (%s)\n", command, kite_err_code(err));
    else if (!ok)
        fprintf(stderr, "%s: the copy's audit chain is broken at record %" PRId64 "\n", command, audit.first_broken);
    if (ok && ((err = db_read(store.ctx.store, ledger_tx, &ledger)) != KITE_OK || !ledger_report_ok(&ledger))) {
        fprintf(stderr, "%s: the copy's ledger does not verify (%s)\n", command,
                err != KITE_OK ? kite_err_code(err) : ledger.breach);
        ok = false;
    }
    cli_store_close(&store);
    return ok;
}

static int run(const char *command, const char *from, const char *to, bool restore)
{
    if (is_postgres(from) || is_postgres(to)) {
        fprintf(stderr, "%s: copies a SQLite store; back up a PostgreSQL store with PostgreSQL's own tools"
                        " (pg_dump, or your cluster's base backups and WAL archive)\n", command);
        return 2;
    }
    db_backup_report report;
    kite_err err = restore ? db_restore_sqlite(from, to, &report) : db_backup_sqlite(from, to, &report);
    if (err != KITE_OK) {
        fprintf(stderr, "%s: %s (%s)\n", command, report.problem, kite_err_code(err));
        return 1;
    }
    if (!copy_verifies(command, to)) {
        fprintf(stderr, "%s: %s was written but must not be trusted; it is left for inspection\n", command, to);
        return 1;
    }
    if (!restore && (err = db_backup_seal(to, &report)) != KITE_OK) {
        fprintf(stderr, "%s: %s (%s)\n", command, report.problem, kite_err_code(err));
        return 1;
    }
    printf("%s: %s, %" PRId64 " pages, %" PRId64 " bytes, integrity, audit chain and ledger verified\n",
           restore ? "restored" : "backup", to, report.pages, report.bytes);
    return 0;
}

int cmd_backup(int argc, char **argv)
{
    const char *db_path, *to;
    const cli_opt opts[] = {{"db", &db_path, "PATH"}, {"to", &to, "FILE"}, {NULL, NULL, NULL}};
    const cli_command cmd = {"kite backup", "kite backup --db PATH --to FILE   (FILE must not exist)", opts, 0, 0};
    cli_args args;
    int status;
    if (!cli_parse_or_usage(&cmd, NULL, argc, argv, &args, &status))
        return status;
    return run(cmd.name, db_path, to, false);
}

int cmd_restore(int argc, char **argv)
{
    const char *from, *db_path;
    const cli_opt opts[] = {{"from", &from, "FILE"}, {"db", &db_path, "PATH"}, {NULL, NULL, NULL}};
    const cli_command cmd = {"kite restore",
                             "kite restore --from FILE --db PATH   (PATH must not exist: stop the server and move"
                             " the store aside first)", opts, 0, 0};
    cli_args args;
    int status;
    if (!cli_parse_or_usage(&cmd, NULL, argc, argv, &args, &status))
        return status;
    return run(cmd.name, from, db_path, true);
}
