#include "cli/cli.h"

#include "core/alloc.h"
#include "core/log.h"
#include "core/secret.h"
#include "domain/identity/account.h"
#include "domain/directory/directory.h"
#include "domain/messaging/message_charge.h"
#include "domain/visits/visit.h"

#include <assert.h>
#include <sodium.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SESSION_TTL_MS (12LL * 60 * 60 * 1000)

void cli_store_shown(const char *target, char *out, size_t len)
{
    const char *start = strstr(target, "://");
    const char *at = start != NULL ? strchr(start + 3, '@') : NULL;
    const char *colon = start != NULL ? strchr(start + 3, ':') : NULL;
    const char *slash = start != NULL ? strchr(start + 3, '/') : NULL;
    const char *query_password = strstr(target, "password=");
    if (query_password != NULL) {
        snprintf(out, len, "%.*s***", (int)(query_password + 9 - target), target);
        return;
    }
    if (at == NULL || colon == NULL || colon > at || (slash != NULL && slash < at)) {
        snprintf(out, len, "%s", target);
        return;
    }
    snprintf(out, len, "%.*s:***%s", (int)(colon - target), target, at);
}

/* What a resident's leaving closes above facility/: undelivered messages, then visits not over yet. */
static kite_err resident_leaving(db_conn *conn, arena *a, int64_t resident_id, int64_t now, const char *actor)
{
    kite_err err = message_close_for_resident(conn, a, resident_id, now, actor);
    return err != KITE_OK ? err : visit_close_for_resident(conn, a, resident_id, now, actor);
}

/*
 * Tests only: KITE_TEST_PASSWORD_COST=min, honoured only beside KITE_ALLOW_TEST_CLOCK=1 (the
 * switch every test-only setting needs), hashes new passwords and PINs at libsodium's minimum
 * Argon2id cost instead of the interactive one.  The black-box and browser suites start hundreds
 * of servers that hash thousands of passwords, and 64 MiB and two passes a hash were a third of
 * make test's time.  A hash carries its own parameters, so either cost verifies the other; a
 * server started so says it loudly.  make bench and production never set it.
 */
static password_gate *password_gate_for(const char *command)
{
    const char *allow = getenv("KITE_ALLOW_TEST_CLOCK"), *cost = getenv("KITE_TEST_PASSWORD_COST");
    if (allow == NULL || strcmp(allow, "1") != 0 || cost == NULL || strcmp(cost, "min") != 0)
        return password_gate_new(2, 0, 0);
    if (strcmp(command, "kite serve") == 0)
        log_warn("TEST PASSWORD COST: passwords and PINs are hashed at Argon2id's minimum cost; tests only");
    return password_gate_new(2, crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
}

kite_err cli_store_open(const char *command, const char *path, cli_store *out)
{
    memset(out, 0, sizeof *out);
    kite_err err = secret_init();
    if (err == KITE_OK)
        err = db_open(path, &out->ctx.store);
    if (err != KITE_OK) {
        char shown[1024];
        cli_store_shown(path, shown, sizeof shown);
        fprintf(stderr, "%s: cannot open the store %s (%s)\n", command, shown, kite_err_code(err));
        return err;
    }
    out->ctx.passwords = password_gate_for(command);
    out->ctx.dir = directory_new();
    out->ctx.session_ttl_ms = SESSION_TTL_MS;
    out->ctx.resident_leaving = resident_leaving;
    return KITE_OK;
}

void cli_store_close(cli_store *s)
{
    s->ctx.dir = directory_free(s->ctx.dir);
    s->ctx.passwords = password_gate_free(s->ctx.passwords);
    s->ctx.store = db_close(s->ctx.store);
}

/*
 * The strict option reader every subcommand uses.  getopt_long does the
 * scanning; on top of it Kite refuses what getopt would let through, because
 * a flag that is silently dropped or guessed (--thread for --threads, a
 * second --db) starts a server on the wrong store or with the wrong limits.
 * "-" as the first character of optstring hands operands back in order,
 * so nothing is permuted and POSIXLY_CORRECT changes nothing; ":" lets us
 * word the messages ourselves.
 */
enum { OPT_BASE = 256, OPT_HELP = 'h' };

static void print_usage(const cli_command *cmd, FILE *out)
{
    fprintf(out, "usage: %s\n", cmd->usage);
}

static void report(const cli_command *cmd, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", cmd->name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    print_usage(cmd, stderr);
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(cmd, fmt, ap);
    va_end(ap);
    return 2;
}

__attribute__((format(printf, 2, 3))) static kite_err refuse(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(cmd, fmt, ap);
    va_end(ap);
    return KITE_ERR_BAD_REQUEST;
}

/* How an option was written, up to any "=VALUE". */
static int token_len(const char *token)
{
    return (int)strcspn(token, "=");
}

/* getopt_long takes "--thr" for "--threads"; the token as written must name the option whole. */
static bool spelt_out(const char *token, const char *name)
{
    size_t len = strcspn(token + 2, "=");
    return strncmp(token, "--", 2) == 0 && len == strlen(name) && strncmp(token + 2, name, len) == 0;
}

static kite_err take_option(const cli_command *cmd, char **argv, int index)
{
    const cli_opt *o = &cmd->opts[index];
    /* A separate value sits at optind - 1, so the option itself is one before it. */
    bool separate = optarg == argv[optind - 1];
    const char *token = argv[separate ? optind - 2 : optind - 1];
    if (!spelt_out(token, o->name))
        return refuse(cmd, "unknown option %.*s", token_len(token), token);
    /* "--db --listen X" would take "--listen" as the store: a forgotten value, not a path. */
    if (separate && strncmp(optarg, "--", 2) == 0)
        return refuse(cmd, "--%s needs a value", o->name);
    if (*o->value != NULL)
        return refuse(cmd, "--%s is given twice", o->name);
    *o->value = optarg;
    return KITE_OK;
}

static kite_err take_operand(const cli_command *cmd, const char *operand, cli_args *out)
{
    if (out->operands >= cmd->max_operands)
        return refuse(cmd, "unexpected argument \"%s\"", operand);
    out->operand[out->operands++] = operand;
    return KITE_OK;
}

static kite_err take_error(const cli_command *cmd, char **argv, int c)
{
    const char *token = argv[optind - 1];
    if (c == ':' && optopt >= OPT_BASE)
        return refuse(cmd, "--%s needs a value", cmd->opts[optopt - OPT_BASE].name);
    if (optopt > 0 && optopt < OPT_BASE)
        return refuse(cmd, "unknown option -%c", optopt);
    return refuse(cmd, "unknown option %.*s", token_len(token), token);
}

static kite_err parse(const cli_command *cmd, int argc, char **argv, cli_args *out)
{
    struct option longopts[32];
    size_t n = 0;
    memset(out, 0, sizeof *out);
    for (; cmd->opts[n].name != NULL; n++) {
        assert(n + 2 < sizeof longopts / sizeof longopts[0] && cmd->max_operands <= CLI_MAX_OPERANDS);
        *cmd->opts[n].value = NULL;
        longopts[n] = (struct option){cmd->opts[n].name, required_argument, NULL, OPT_BASE + (int)n};
    }
    longopts[n] = (struct option){"help", no_argument, NULL, OPT_HELP};
    longopts[n + 1] = (struct option){0};
    opterr = 0;
    optind = 0; /* glibc: start afresh */
    kite_err err = KITE_OK;
    int c, index = -1;
    while (err == KITE_OK && (c = getopt_long(argc, argv, "-:h", longopts, &index)) != -1) {
        if (c == 1)
            err = take_operand(cmd, optarg, out);
        else if (c == OPT_HELP && (size_t)index == n && !spelt_out(argv[optind - 1], "help"))
            err = refuse(cmd, "unknown option %.*s", token_len(argv[optind - 1]), argv[optind - 1]);
        else if (c == OPT_HELP)
            out->help = true;
        else if (c >= OPT_BASE)
            err = take_option(cmd, argv, c - OPT_BASE);
        else
            err = take_error(cmd, argv, c);
        index = -1; /* getopt_long sets it for long options only */
    }
    for (int i = optind; err == KITE_OK && i < argc; i++) /* after "--" */
        err = take_operand(cmd, argv[i], out);
    if (err != KITE_OK)
        return err;
    if (out->help) {
        print_usage(cmd, stdout);
        return KITE_OK;
    }
    for (size_t i = 0; i < n; i++)
        if (cmd->opts[i].required != NULL && *cmd->opts[i].value == NULL)
            return refuse(cmd, "--%s %s is required", cmd->opts[i].name, cmd->opts[i].required);
    if (out->operands < cmd->min_operands) {
        print_usage(cmd, stderr);
        return KITE_ERR_BAD_REQUEST;
    }
    return KITE_OK;
}

static bool verb_or_usage(const cli_command *cmd, int argc, char **argv, const char *verb, int *status)
{
    if (argc >= 2 && strcmp(argv[1], verb) == 0)
        return true;
    bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
    if (argc >= 2 && !help && argv[1][0] != '-')
        fprintf(stderr, "kite %s: unknown subcommand \"%s\"\n", argv[0], argv[1]);
    print_usage(cmd, help ? stdout : stderr);
    *status = help ? 0 : 2;
    return false;
}

bool cli_parse_or_usage(const cli_command *cmd, const char *verb, int argc, char **argv, cli_args *out,
                        int *status)
{
    if (verb != NULL) {
        if (!verb_or_usage(cmd, argc, argv, verb, status))
            return false;
        argc--; /* the verb stands where getopt expects the program's name */
        argv++;
    }
    if (parse(cmd, argc, argv, out) != KITE_OK) {
        *status = 2;
        return false;
    }
    *status = 0;
    return !out->help;
}

bool cli_parse_listen(const char *listen, char *host, size_t host_len, uint16_t *port)
{
    const char *colon = strrchr(listen, ':');
    if (colon == NULL || (size_t)(colon - listen) >= host_len)
        return false;
    char *end;
    long value = strtol(colon + 1, &end, 10);
    if (*end != '\0' || value < 0 || value > 65535 || colon[1] == '\0')
        return false;
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    if (strcmp(host, "localhost") == 0)
        snprintf(host, host_len, "127.0.0.1");
    *port = (uint16_t)value;
    return true;
}

char *cli_read_secret_line(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len = getline(&line, &cap, stdin);
    if (len < 0) {
        free(line);
        return NULL;
    }
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
    return line;
}
