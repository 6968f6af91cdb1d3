/*
 * cmd_roster.c - kite roster import: a facility's roster from its jail
 * system's CSV export.  Idempotent by resident number.
 */
#include "cli/cli.h"

#include "domain/facility/resident.h"

#include <stdio.h>
#include <stdlib.h>

int cmd_roster(int argc, char **argv)
{
    const char *db_path, *facility_arg;
    const cli_opt opts[] = {{"db", &db_path, "PATH"}, {"facility", &facility_arg, "ID"}, {NULL, NULL, NULL}};
    const cli_command cmd = {"kite roster import",
                             "kite roster import --db PATH --facility ID FILE.csv\n"
                             "       (columns: resident_number,first_name,last_name[,pin])",
                             opts, 1, 1};
    cli_args args;
    int status;
    if (!cli_parse_or_usage(&cmd, "import", argc, argv, &args, &status))
        return status;
    const char *file = args.operand[0];
    char *end = NULL;
    long long facility_id = facility_arg != NULL ? strtoll(facility_arg, &end, 10) : 0;
    if (facility_id <= 0 || *end != '\0')
        return cli_usage_error(&cmd, "--facility takes a facility id");
    cli_store store;
    kite_err err = cli_store_open(cmd.name, db_path, &store);
    if (err != KITE_OK)
        return 1;
    arena *a = arena_new();
    roster_report report;
    err = roster_import(&store.ctx, a, facility_id, file, "cli", &report);
    cli_store_close(&store);
    if (err == KITE_OK) {
        printf("imported %s: %lld rows, %lld added, %lld updated, %lld unchanged, %lld rejected\n", file,
               (long long)report.rows, (long long)report.added, (long long)report.updated,
               (long long)report.unchanged, (long long)report.rejected);
        if (report.rejected > 0)
            printf("first rejected row: line %zu (%s is not valid)\n", report.first_rejected_line,
                   report.first_rejected_field);
    } else if (err == KITE_ERR_NOT_ON_PLATFORM) {
        fprintf(stderr, "kite roster import: facility %lld is not on Kite; give it a policy first\n", facility_id);
    } else {
        fprintf(stderr, "kite roster import: %s: %s; nothing was changed\n", file, kite_err_code(err));
    }
    arena_free(a);
    return err == KITE_OK ? 0 : 1;
}
