/*
 * cmd_outbox.c - kite outbox list: what mail Kite has queued, sent or given up on.
 *
 * One line per mail, newest first: id, status, attempts, created (RFC 3339),
 * to, kind, subject; then a count.  Reads only: safe beside a running server.
 */
#include "cli/cli.h"

#include "core/clock.h"
#include "mail/outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_outbox(int argc, char **argv)
{
    const char *db_path, *status, *limit_arg;
    const cli_opt opts[] = {
        {"db", &db_path, "PATH"}, {"status", &status, NULL}, {"limit", &limit_arg, NULL}, {NULL, NULL, NULL}};
    const cli_command cmd = {"kite outbox list",
                             "kite outbox list --db PATH [--status pending|sent|failed] [--limit N]", opts, 0, 0};
    cli_args args;
    int exit_status;
    if (!cli_parse_or_usage(&cmd, "list", argc, argv, &args, &exit_status))
        return exit_status;
    if (status != NULL && strcmp(status, "pending") != 0 && strcmp(status, "sent") != 0 &&
        strcmp(status, "failed") != 0) {
        fprintf(stderr, "kite outbox list: --status takes pending, sent or failed\n");
        return 2;
    }
    long long limit = 0;
    if (limit_arg != NULL) {
        char *end = NULL;
        limit = strtoll(limit_arg, &end, 10);
        if (*limit_arg == '\0' || *end != '\0' || limit < 1) {
            fprintf(stderr, "kite outbox list: --limit takes a positive number\n");
            return 2;
        }
    }
    cli_store store;
    kite_err err = cli_store_open(cmd.name, db_path, &store);
    if (err != KITE_OK)
        return 1;
    arena *a = arena_new();
    outbox_entry *items = NULL;
    size_t count = 0;
    err = outbox_list(store.ctx.store, a, status, (size_t)limit, &items, &count);
    if (err == KITE_OK) {
        for (size_t i = 0; i < count; i++) {
            const outbox_entry *e = &items[i];
            char created[RFC3339_LEN];
            clock_format_rfc3339(e->created_at, created);
            printf("%-6lld %-7s %3lld  %s  %s  %s  %s\n", (long long)e->id, e->status, (long long)e->attempts,
                   created, e->to, e->kind, e->subject);
        }
        printf("%zu %s%s%s\n", count, count == 1 ? "mail" : "mails", status != NULL ? " " : "",
               status != NULL ? status : "");
    }
    arena_free(a);
    cli_store_close(&store);
    if (err != KITE_OK) {
        fprintf(stderr, "kite outbox list: cannot read the outbox (%s)\n", kite_err_code(err));
        return 1;
    }
    return 0;
}
