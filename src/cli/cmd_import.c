#include "cli/cli.h"

#include "domain/directory/bop_match.h"
#include "domain/directory/directory.h"

#include <stdio.h>

int cmd_import_facilities(int argc, char **argv)
{
    const char *db_path, *extra, *data_dir;
    const cli_opt opts[] = {
        {"db", &db_path, "PATH"}, {"extra", &extra, NULL}, {"data", &data_dir, NULL}, {NULL, NULL, NULL}};
    const cli_command cmd = {"kite import-facilities",
                             "kite import-facilities --db PATH FILE.csv [--extra FILE.csv] [--data DIR]", opts, 1, 1};
    cli_args args;
    int status;
    if (!cli_parse_or_usage(&cmd, NULL, argc, argv, &args, &status))
        return status;
    const char *file = args.operand[0];
    if (data_dir == NULL)
        data_dir = KITE_DATA_DIR;
    char bop_csv[4096], codes_csv[4096];
    snprintf(bop_csv, sizeof bop_csv, "%s/bop_facilities.csv", data_dir);
    snprintf(codes_csv, sizeof codes_csv, "%s/bop_facility_codes.csv", data_dir);
    bop_list *bop = NULL;
    if (bop_list_load(bop_csv, codes_csv, &bop) != KITE_OK) {
        fprintf(stderr, "kite import-facilities: cannot read the BOP lists in %s\n", data_dir);
        return 1;
    }
    cli_store store;
    kite_err err = cli_store_open(cmd.name, db_path, &store);
    if (err == KITE_OK) {
        directory_import_report report;
        err = directory_import(&store.ctx, file, extra, bop, "cli", &report);
        if (err == KITE_OK)
            printf("imported %s: %lld rows, %lld new, %lld updated, %lld unchanged, %lld skipped (no name)\n", file,
                   (long long)report.rows, (long long)report.inserted, (long long)report.updated,
                   (long long)report.unchanged, (long long)report.skipped);
        cli_store_close(&store);
    }
    bop_list_free(bop);
    if (err != KITE_OK) {
        fprintf(stderr, "kite import-facilities: %s: %s; nothing was changed\n", file, kite_err_code(err));
        return 1;
    }
    return 0;
}
