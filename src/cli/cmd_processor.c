/*
 * cmd_processor.c - kite processor-sandbox: the sandbox payment processor
 * (payment/sandbox.c) as a process of its own, serving until SIGTERM or
 * SIGINT.
 *
 * Design: like `kite serve`, options are read and checked first (a mistake
 * exits 2 before anything listens), then the server starts and prints
 * "kite: listening on http://HOST:PORT" on stdout, the line tests and
 * scripts wait for, and the main thread waits for a stop signal.  Charges
 * are kept in memory, and with --state PATH in a JSON file too, so that a
 * restart keeps them (a lost answer can still be found by its key).
 *
 * SECURITY: a test tool.  It must never be given real cards (every number
 * but the test cards is declined) and it logs no card number.  It listens
 * where it is told; keep it on loopback.
 */
#include "cli/cli.h"

#include "core/log.h"
#include "payment/sandbox.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SANDBOX_USAGE                                                                                  \
    "kite processor-sandbox --listen HOST:PORT [--slow-ms N] [--state PATH]\n"                         \
    "test cards (any future expiry, any 3-digit CVC):\n"                                               \
    "  4242 4242 4242 4242  approved\n"                                                                \
    "  4000 0000 0000 0002  declined (declined)\n"                                                     \
    "  4000 0000 0000 9995  declined (insufficient_funds)\n"                                           \
    "  4000 0000 0000 0069  declined (expired)\n"                                                      \
    "  4000 0000 0000 0119  processor error (HTTP 500, nothing charged)\n"                             \
    "  4000 0000 0000 3220  approved after --slow-ms (default 15000), to make a client time out\n"    \
    "  any other Luhn-valid number: declined (invalid)"

typedef struct sandbox_options {
    const char *listen, *slow_arg, *state_path;
    char host[64];
    uint16_t port;
    long slow_ms;
} sandbox_options;

static bool sandbox_options_or_usage(int argc, char **argv, sandbox_options *o, int *status)
{
    memset(o, 0, sizeof *o);
    const cli_opt opts[] = {
        {"listen", &o->listen, "HOST:PORT"},
        {"slow-ms", &o->slow_arg, NULL},
        {"state", &o->state_path, NULL},
        {NULL, NULL, NULL},
    };
    const cli_command cmd = {"kite processor-sandbox", SANDBOX_USAGE, opts, 0, 0};
    cli_args args;
    if (!cli_parse_or_usage(&cmd, NULL, argc, argv, &args, status))
        return false;
    *status = 2;
    if (!cli_parse_listen(o->listen, o->host, sizeof o->host, &o->port)) {
        fprintf(stderr, "kite processor-sandbox: --listen takes HOST:PORT, e.g. 127.0.0.1:8090\n");
        return false;
    }
    char *end = NULL;
    o->slow_ms = o->slow_arg != NULL ? strtol(o->slow_arg, &end, 10) : SANDBOX_SLOW_MS_DEFAULT;
    if (o->slow_arg != NULL && (*o->slow_arg == '\0' || *end != '\0' || o->slow_ms < 0 ||
                                o->slow_ms > SANDBOX_SLOW_MS_MAX)) {
        fprintf(stderr, "kite processor-sandbox: --slow-ms takes milliseconds, from 0 to %d\n", SANDBOX_SLOW_MS_MAX);
        return false;
    }
    return true;
}

int cmd_processor_sandbox(int argc, char **argv)
{
    sandbox_options o;
    int status;
    if (!sandbox_options_or_usage(argc, argv, &o, &status))
        return status;
    /* Signals are taken by sigwait below; the server's threads inherit the block. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    processor_sandbox_config config = {.host = o.host, .port = o.port, .slow_ms = o.slow_ms, .state_path = o.state_path};
    processor_sandbox *sandbox = NULL;
    if (processor_sandbox_start(&config, &sandbox) != KITE_OK) {
        fprintf(stderr, "kite processor-sandbox: cannot start on %s:%u%s%s (see the log above)\n", o.host, o.port,
                o.state_path != NULL ? " with the state file " : "", o.state_path != NULL ? o.state_path : "");
        return 1;
    }
    printf("kite: listening on http://%s:%u\n", o.host, processor_sandbox_port(sandbox));
    fflush(stdout);
    log_info("processor sandbox on http://%s:%u (slow card answers after %ld ms); charges are kept %s%s",
             o.host, processor_sandbox_port(sandbox), o.slow_ms, o.state_path != NULL ? "in " : "in memory",
             o.state_path != NULL ? o.state_path : "");
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    log_info("received %s; stopping", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
    sandbox = processor_sandbox_stop(sandbox);
    log_info("stopped");
    return 0;
}
