/*
 * cmd_outbox.c - kite outbox list: what mail Kite has queued, sent or given up on.
 *
 * One line per mail, newest first: id, status, attempts, created (RFC 3339),
 * to, kind, subject; then a count.  With --show ID, that one mail: its
 * headers, delivery state and plain text (what support needs when a family
 * says a mail never came).  Reads only: safe beside a running server.
 */
#include "cli/cli.h"

#include "core/clock.h"
#include "mail/outbox.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A whole positive number, nothing after it. */
static bool positive_number(const char *arg, long long *out)
{
    char *end = NULL;
    *out = strtoll(arg, &end, 10);
    return *arg != '\0' && *end == '\0' && *out >= 1;
}

/* --show ID: one mail, as support reads it. */
static int show_one(cli_store *store, long long id)
{
    arena *a = arena_new();
    outbox_entry e;
    kite_err err = outbox_get(store->ctx.store, a, (int64_t)id, &e);
    if (err == KITE_ERR_NOT_FOUND)
        fprintf(stderr, "kite outbox list: no mail has id %lld (kite outbox list shows the ids)\n", id);
    else if (err != KITE_OK)
        fprintf(stderr, "kite outbox list: cannot read the outbox (%s)\n", kite_err_code(err));
    if (err != KITE_OK) {
        arena_free(a);
        return 1;
    }
    char created[RFC3339_LEN], next[RFC3339_LEN], sent[RFC3339_LEN];
    clock_format_rfc3339(e.created_at, created);
    clock_format_rfc3339(e.next_attempt_at, next);
    clock_format_rfc3339(e.sent_at, sent);
    printf("Mail:     %lld\nTo:       %s\nSubject:  %s\nKind:     %s\nCreated:  %s\nStatus:   %s\nAttempts: %lld\n",
           (long long)e.id, e.to, e.subject, e.kind, created, e.status, (long long)e.attempts);
    if (e.sent_at > 0)
        printf("Sent:     %s\n", sent);
    else if (strcmp(e.status, "pending") == 0)
        printf("Next try: %s\n", next);
    if (e.last_error != NULL && *e.last_error != '\0')
        printf("Error:    %s\n", e.last_error);
    printf("\n%s", e.text);
    if (*e.text != '\0' && e.text[strlen(e.text) - 1] != '\n')
        putchar('\n');
    arena_free(a);
    return 0;
}

int cmd_outbox(int argc, char **argv)
{
    const char *db_path, *status, *limit_arg, *show_arg;
    const cli_opt opts[] = {{"db", &db_path, "PATH"}, {"status", &status, NULL}, {"limit", &limit_arg, NULL},
                            {"show", &show_arg, NULL}, {NULL, NULL, NULL}};
    const cli_command cmd = {"kite outbox list",
                             "kite outbox list --db PATH [--status pending|sent|failed] [--limit N] [--show ID]", opts,
                             0, 0};
    cli_args args;
    int exit_status;
    if (!cli_parse_or_usage(&cmd, "list", argc, argv, &args, &exit_status))
        return exit_status;
    if (status != NULL && strcmp(status, "pending") != 0 && strcmp(status, "sent") != 0 &&
        strcmp(status, "failed") != 0) {
        fprintf(stderr, "kite outbox list: --status takes pending, sent or failed\n");
        return 2;
    }
    long long limit = 0, show = 0;
    if (limit_arg != NULL && !positive_number(limit_arg, &limit)) {
        fprintf(stderr, "kite outbox list: --limit takes a positive number\n");
        return 2;
    }
    if (show_arg != NULL && !positive_number(show_arg, &show)) {
        fprintf(stderr, "kite outbox list: --show takes a mail's id, as the list prints it\n");
        return 2;
    }
    cli_store store;
    kite_err err = cli_store_open(cmd.name, db_path, &store);
    if (err != KITE_OK)
        return 1;
    if (show > 0) {
        int code = show_one(&store, show);
        cli_store_close(&store);
        return code;
    }
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
