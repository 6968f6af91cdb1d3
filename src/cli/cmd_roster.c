/*
 * cmd_roster.c - kite roster import: a facility's roster from its jail
 * system's CSV export.  Idempotent by resident number.
 */
#include "cli/cli.h"

#include "domain/facility/resident.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_roster(int argc, char **argv)
{
    const char *db_path = cli_option(argc, argv, "--db");
    const char *facility_arg = cli_option(argc, argv, "--facility");
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) == 0) {
            i++;
            continue;
        }
        file = argv[i];
    }
    char *end = NULL;
    long long facility_id = facility_arg != NULL ? strtoll(facility_arg, &end, 10) : 0;
    if (argc < 1 || strcmp(argv[0], "import") != 0 || db_path == NULL || file == NULL || facility_id <= 0 ||
        *end != '\0') {
        fprintf(stderr, "usage: kite roster import --db PATH --facility ID FILE.csv\n"
                        "       (columns: resident_number,first_name,last_name[,pin])\n");
        return 2;
    }
    cli_store store;
    kite_err err = cli_store_open(db_path, &store);
    if (err != KITE_OK) {
        fprintf(stderr, "kite roster import: cannot open the store (%s)\n", kite_err_code(err));
        return 1;
    }
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
