/*
 * main.c - the kite command line.
 */
#include "cli/cli.h"
#include "sandbox/image_worker.h"
#include "sandbox/video_worker.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs("usage:\n"
          "  kite serve --db PATH [--listen HOST:PORT] [--smtp URL] [--web DIR] [--data DIR]\n"
          "             [--public-url URL] [--mail-from MAILBOX] [--threads N] [--max-event-streams N]\n"
          "  kite import-facilities --db PATH FILE.csv [--extra FILE.csv] [--data DIR]\n"
          "  kite user add --db PATH --role operator|facility_admin|reviewer|investigator\n"
          "                --email EMAIL [--name NAME] [--facility ID] [--totp-secret BASE32]   (password on stdin)\n"
          "  kite user verify-email --db PATH EMAIL   (support: mark a contact's address proven)\n"
          "  kite roster import --db PATH --facility ID FILE.csv\n"
          "  kite audit verify --db PATH\n"
          "  kite ledger verify --db PATH\n"
          "  kite purge --db PATH   (retention: deletes what the facilities' periods say is due)\n"
          "  kite migrate-store --from PATH.db --to postgresql://...   (into an empty database; verifies)\n"
          "  kite backup --db PATH.db --to FILE   (while serving; FILE must not exist; verifies the copy)\n"
          "  kite restore --from FILE --db PATH.db   (PATH.db must not exist; verifies the copy)\n"
          "  kite outbox list --db PATH [--status pending|sent|failed] [--limit N] [--show ID]\n"
          "  kite demo --db PATH [--data DIR]   (demo accounts; prints the sign-ins)\n"
          "  kite processor-sandbox --listen HOST:PORT [--slow-ms N] [--state PATH]   (a test processor)\n"
          "  kite version\n"
          "Each command takes --help; an unknown option is an error (exit 2).\n",
          out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *command = argv[1];
    /* Hidden: the confined photo helper that `kite serve` starts for each upload (sandbox/image_worker.c). */
    if (strcmp(command, "image-worker") == 0)
        return image_worker_main(argc - 1, argv + 1);
    /* Hidden: the confined video helper that `kite serve` starts for each video upload (sandbox/video_worker.c). */
    if (strcmp(command, "video-worker") == 0)
        return video_worker_main(argc - 1, argv + 1);
    if (strcmp(command, "serve") == 0)
        return cmd_serve(argc - 1, argv + 1);
    if (strcmp(command, "import-facilities") == 0)
        return cmd_import_facilities(argc - 1, argv + 1);
    if (strcmp(command, "user") == 0)
        return cmd_user(argc - 1, argv + 1);
    if (strcmp(command, "audit") == 0)
        return cmd_audit(argc - 1, argv + 1);
    if (strcmp(command, "ledger") == 0)
        return cmd_ledger(argc - 1, argv + 1);
    if (strcmp(command, "purge") == 0)
        return cmd_purge(argc - 1, argv + 1);
    if (strcmp(command, "roster") == 0)
        return cmd_roster(argc - 1, argv + 1);
    if (strcmp(command, "outbox") == 0)
        return cmd_outbox(argc - 1, argv + 1);
    if (strcmp(command, "backup") == 0)
        return cmd_backup(argc - 1, argv + 1);
    if (strcmp(command, "restore") == 0)
        return cmd_restore(argc - 1, argv + 1);
    if (strcmp(command, "migrate-store") == 0)
        return cmd_migrate_store(argc - 1, argv + 1);
    if (strcmp(command, "demo") == 0)
        return cmd_demo(argc - 1, argv + 1);
    if (strcmp(command, "processor-sandbox") == 0)
        return cmd_processor_sandbox(argc - 1, argv + 1);
    bool version = strcmp(command, "version") == 0 || strcmp(command, "--version") == 0;
    bool help = strcmp(command, "help") == 0 || strcmp(command, "--help") == 0;
    if ((version || help) && argc > 2) {
        fprintf(stderr, "kite %s: takes no arguments\n", command);
        usage(stderr);
        return 2;
    }
    if (version) {
        printf("kite %s\n", KITE_VERSION);
        return 0;
    }
    if (help) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "kite: unknown command \"%s\"\n", command);
    usage(stderr);
    return 2;
}
