/*
 * cli.h - the kite command: one function per subcommand.
 *
 * Each takes the arguments after its own name and returns the process exit
 * status: 0 on success, 1 when the work failed, 2 for a usage error.
 */
#ifndef KITE_CLI_CLI_H
#define KITE_CLI_CLI_H

#include <stdbool.h>

#include "core/error.h"
#include "domain/context.h"

int cmd_serve(int argc, char **argv);
int cmd_import_facilities(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_outbox(int argc, char **argv);
int cmd_roster(int argc, char **argv);

/* Shared set-up for commands that work on a store: opens it and fills ctx. */
typedef struct cli_store {
    kite_ctx ctx;
} cli_store;

kite_err cli_store_open(const char *path, cli_store *out) KITE_WUR;
void cli_store_close(cli_store *s);
/* The value after a "--name" argument, or NULL. */
const char *cli_option(int argc, char **argv, const char *name);
bool cli_flag(int argc, char **argv, const char *name);
/* Reads one line from stdin without the newline (for passwords). */
char *cli_read_secret_line(void);

#endif
