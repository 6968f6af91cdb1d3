#include "cli/cli.h"

#include "core/alloc.h"
#include "core/log.h"
#include "core/secret.h"
#include "domain/identity/account.h"
#include "domain/directory/directory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SESSION_TTL_MS (12LL * 60 * 60 * 1000)

kite_err cli_store_open(const char *path, cli_store *out)
{
    memset(out, 0, sizeof *out);
    kite_err err = secret_init();
    if (err != KITE_OK)
        return err;
    err = db_open(path, &out->ctx.store);
    if (err != KITE_OK)
        return err;
    out->ctx.passwords = password_gate_new(2, 0, 0);
    out->ctx.dir = directory_new();
    out->ctx.session_ttl_ms = SESSION_TTL_MS;
    return KITE_OK;
}

void cli_store_close(cli_store *s)
{
    s->ctx.dir = directory_free(s->ctx.dir);
    s->ctx.passwords = password_gate_free(s->ctx.passwords);
    s->ctx.store = db_close(s->ctx.store);
}

const char *cli_option(int argc, char **argv, const char *name)
{
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

bool cli_flag(int argc, char **argv, const char *name)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
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
