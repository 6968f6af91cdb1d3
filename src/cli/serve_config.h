/*
 * serve_config.h - kite serve --config FILE: every option of kite serve in a
 * file, one "name = value" a line (/etc/kite/kite.conf in the package).
 *
 * Design: the file only adds arguments; the one strict option reader of
 * every command (cli_parse_or_usage) still checks them all, so a file can
 * say nothing the command line could not, and a misspelt name is refused
 * the same way.  The command line wins: a name given there is skipped in
 * the file, except the options that may be given many times
 * (--trusted-proxy, --metrics-from), whose values add up.  Lines: "#" at the
 * start or after a space starts a comment, blank lines are skipped, a value
 * may be wrapped in double quotes (kept inside: spaces, "<" and ">").
 *
 * SECURITY: the file is the operator's; it is read once, before anything
 * starts.  Secrets (a PostgreSQL password in --db) belong in it rather than
 * in the command line, which every user of the machine can read.
 */
#ifndef KITE_CLI_SERVE_CONFIG_H
#define KITE_CLI_SERVE_CONFIG_H

#include <stdbool.h>

typedef struct serve_args {
    int argc;
    char **argv;   /* argv[0] and the arguments, the file's first, then the command line's */
    char **owned;  /* the strings read from the file (freed by serve_args_free) */
    int owned_count;
} serve_args;

/*
 * argv with --config FILE taken out and FILE's options put in.  False after
 * saying on stderr what is wrong (exit status 2).  Without --config, out is
 * argv as it is.
 */
bool serve_config_read(int argc, char **argv, serve_args *out);
void serve_args_free(serve_args *a);

#endif
