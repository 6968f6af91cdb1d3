/*
 * cmd_ledger.c - kite ledger verify: proves the ledger whole or names the
 * first breach.
 *
 * Design: one read transaction (one snapshot) runs the ledger's own checks
 * (domain/ledger/verify.h) and then messaging's checks of message holds, so
 * a store being written meanwhile is judged as of one moment.  Exit 0 and
 * "ledger: ok (N transactions, M accounts)"; exit 1 and "ledger: breach:
 * ..." for the first breach, or when the store cannot be read; exit 2 for a
 * usage error (before the store is opened).
 *
 * SECURITY: money.  Read-only: it never repairs what it finds, because a
 * repair of money must be a posting someone answers for, not a side effect
 * of a check.
 */
#include "cli/cli.h"

#include "domain/ledger/verify.h"
#include "domain/messaging/message_holds.h"

#include <inttypes.h>
#include <stdio.h>

static kite_err verify_tx(db_conn *conn, void *ctx)
{
    ledger_report *report = ctx;
    kite_err err = ledger_verify(conn, report);
    if (err == KITE_OK && ledger_report_ok(report))
        err = message_holds_verify(conn, report);
    return err;
}

int cmd_ledger(int argc, char **argv)
{
    const char *db_path;
    const cli_opt opts[] = {{"db", &db_path, "PATH"}, {NULL, NULL, NULL}};
    const cli_command cmd = {"kite ledger verify", "kite ledger verify --db PATH", opts, 0, 0};
    cli_args args;
    int status;
    if (!cli_parse_or_usage(&cmd, "verify", argc, argv, &args, &status))
        return status;
    cli_store store;
    kite_err err = cli_store_open(cmd.name, db_path, &store);
    if (err != KITE_OK)
        return 1;
    ledger_report report;
    err = db_read(store.ctx.store, verify_tx, &report);
    cli_store_close(&store);
    if (err != KITE_OK) {
        fprintf(stderr, "kite ledger verify: cannot read the ledger (%s)\n", kite_err_code(err));
        return 1;
    }
    if (!ledger_report_ok(&report)) {
        printf("ledger: breach: %s\n", report.breach);
        return 1;
    }
    printf("ledger: ok (%" PRId64 " transactions, %" PRId64 " accounts)\n", report.transactions, report.accounts);
    return 0;
}
