/*
 * cli.h - the kite command: one function per subcommand.
 *
 * Each takes its own name as argv[0] and the arguments after it, like main,
 * and returns the process exit status: 0 on success (and after --help), 1
 * when the work failed, 2 for a usage error.
 */
#ifndef KITE_CLI_CLI_H
#define KITE_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "domain/context.h"

int cmd_serve(int argc, char **argv);
int cmd_import_facilities(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_ledger(int argc, char **argv);
int cmd_purge(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_outbox(int argc, char **argv);
int cmd_roster(int argc, char **argv);
int cmd_processor_sandbox(int argc, char **argv);
int cmd_migrate_store(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);

/* Shared set-up for commands that work on a store: opens it and fills ctx. */
typedef struct cli_store {
    kite_ctx ctx;
} cli_store;

/* On failure it says so on stderr, naming the command ("kite audit verify") and the path. */
kite_err cli_store_open(const char *command, const char *path, cli_store *out) KITE_WUR;
/*
 * A store's name fit to print: a PostgreSQL URI's password (user:secret@ or
 * password=secret) becomes ***.  SECURITY: every message naming a store uses it.
 */
void cli_store_shown(const char *target, char *out, size_t len);
void cli_store_close(cli_store *s);

/* One "--name VALUE" option a subcommand takes; its value lands in *value (NULL when absent). */
typedef struct cli_opt {
    const char *name; /* without the dashes */
    const char **value;
    const char *required; /* the value's name (PATH) when the option must be given: "--db PATH is required" */
} cli_opt;

enum { CLI_MAX_OPERANDS = 4 };

typedef struct cli_command {
    const char *name;    /* "kite outbox list", for messages */
    const char *usage;   /* printed after "usage: " */
    const cli_opt *opts; /* ends with {NULL, NULL, NULL} */
    int min_operands, max_operands; /* arguments that are not options, e.g. FILE.csv */
} cli_command;

typedef struct cli_args {
    const char *operand[CLI_MAX_OPERANDS];
    int operands;
    bool help;
} cli_args;

/*
 * Reads a subcommand's arguments: argv[0] is its name, then verb when it has
 * one (the "import" of "kite roster import"), then options and operands in
 * any order, read with getopt_long against cmd->opts.  Strict: an unknown,
 * abbreviated or repeated option, an option without its value, a required
 * one missing, an unknown verb, or too few or too many operands prints the
 * reason and the usage on stderr and returns false with *status 2.  --help
 * prints the usage on stdout and returns false with *status 0.  True: go on.
 */
bool cli_parse_or_usage(const cli_command *cmd, const char *verb, int argc, char **argv, cli_args *out,
                        int *status);
/* Prints "NAME: MESSAGE" and the usage line on stderr; returns 2, the exit status. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "HOST:PORT" into host (localhost becomes 127.0.0.1) and port (0: any free port); false when it is not that. */
bool cli_parse_listen(const char *listen, char *host, size_t host_len, uint16_t *port);
/* Reads one line from stdin without the newline (for passwords). */
char *cli_read_secret_line(void);

#endif
