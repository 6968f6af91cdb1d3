#include "cli/cli.h"

#include "domain/audit/audit.h"

#include <stdio.h>

int cmd_audit(int argc, char **argv)
{
    const char *db_path;
    const cli_opt opts[] = {{"db", &db_path, "PATH"}, {NULL, NULL, NULL}};
    const cli_command cmd = {"kite audit verify", "kite audit verify --db PATH", opts, 0, 0};
    cli_args args;
    int status;
    if (!cli_parse_or_usage(&cmd, "verify", argc, argv, &args, &status))
        return status;
    cli_store store;
    kite_err err = cli_store_open(cmd.name, db_path, &store);
    if (err != KITE_OK)
        return 1;
    audit_report report;
    err = audit_verify(store.ctx.store, &report);
    cli_store_close(&store);
    if (err != KITE_OK) {
        fprintf(stderr, "kite audit verify: cannot read the audit log (%s)\n", kite_err_code(err));
        return 1;
    }
    if (report.first_broken != 0) {
        printf("audit chain BROKEN at record %lld: it was changed, removed or reordered (%lld records checked%s)\n",
               (long long)report.first_broken, (long long)report.count,
               report.checkpoint_through > 0 && !report.checkpoint_announced
                   ? "; the checkpoint it starts from is not announced in the chain" : "");
        return 1;
    }
    if (report.checkpoint_through > 0)
        printf("audit chain intact: %lld records, verified from the checkpoint after record %lld"
               " (%lld older records deleted by retention)\n",
               (long long)report.count, (long long)report.checkpoint_through, (long long)report.checkpoint_deleted);
    else
        printf("audit chain intact: %lld records\n", (long long)report.count);
    return 0;
}
