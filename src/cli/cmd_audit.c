#include "cli/cli.h"

#include "domain/audit/audit.h"

#include <stdio.h>
#include <string.h>

int cmd_audit(int argc, char **argv)
{
    const char *db_path = cli_option(argc, argv, "--db");
    if (argc < 1 || strcmp(argv[0], "verify") != 0 || db_path == NULL) {
        fprintf(stderr, "usage: kite audit verify --db PATH\n");
        return 2;
    }
    cli_store store;
    kite_err err = cli_store_open(db_path, &store);
    if (err != KITE_OK) {
        fprintf(stderr, "kite audit verify: cannot open the store (%s)\n", kite_err_code(err));
        return 1;
    }
    audit_report report;
    err = audit_verify(store.ctx.store, &report);
    cli_store_close(&store);
    if (err != KITE_OK) {
        fprintf(stderr, "kite audit verify: cannot read the audit log (%s)\n", kite_err_code(err));
        return 1;
    }
    if (report.first_broken != 0) {
        printf("audit chain BROKEN at record %lld: it was changed, removed or reordered (%lld records checked)\n",
               (long long)report.first_broken, (long long)report.count);
        return 1;
    }
    printf("audit chain intact: %lld records\n", (long long)report.count);
    return 0;
}
