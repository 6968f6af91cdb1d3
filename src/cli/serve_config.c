/*
 * serve_config.c - kite serve --config FILE (the design is in serve_config.h).
 */
#include "cli/serve_config.h"

#include "core/alloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { LINE_MAX_BYTES = 4096 };

static const char *const repeatable[] = {"trusted-proxy", "metrics-from"};

static bool is_repeatable(const char *name)
{
    for (size_t i = 0; i < sizeof repeatable / sizeof repeatable[0]; i++)
        if (strcmp(name, repeatable[i]) == 0)
            return true;
    return false;
}

/* True when the command line gives --name (as "--name" or "--name=..."). */
static bool on_command_line(int argc, char **argv, const char *name)
{
    size_t len = strlen(name);
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "--", 2) == 0 && strncmp(argv[i] + 2, name, len) == 0 &&
            (argv[i][2 + len] == '\0' || argv[i][2 + len] == '='))
            return true;
    return false;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static void add(serve_args *a, char *owned)
{
    a->argv = xrealloc(a->argv, (size_t)(a->argc + 2) * sizeof *a->argv);
    a->argv[a->argc++] = owned;
    a->argv[a->argc] = NULL;
    a->owned = xrealloc(a->owned, (size_t)(a->owned_count + 1) * sizeof *a->owned);
    a->owned[a->owned_count++] = owned;
}

static char *copy_of(const char *s)
{
    size_t n = strlen(s);
    char *c = xmalloc(n + 1);
    memcpy(c, s, n + 1);
    return c;
}

/* One "name = value" line into a; false after saying what is wrong. */
static bool take_line(serve_args *a, int argc, char **argv, const char *path, int number, char *line)
{
    /* A comment starts a line or follows a space: "#" inside a value (a URL's fragment) stays. */
    for (char *p = line; *p != '\0'; p++)
        if (*p == '#' && (p == line || isspace((unsigned char)p[-1]))) {
            *p = '\0';
            break;
        }
    char *text = trim(line);
    char *eq;
    if (*text == '\0')
        return true;
    eq = strchr(text, '=');
    if (eq == NULL) {
        fprintf(stderr, "kite serve: %s line %d: write name = value (an option of kite serve without its dashes)\n",
                path, number);
        return false;
    }
    *eq = '\0';
    char *name = trim(text), *value = trim(eq + 1);
    size_t vlen = strlen(value);
    if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
        value[vlen - 1] = '\0';
        value++;
    }
    bool name_ok = islower((unsigned char)*name) && strcmp(name, "config") != 0;
    for (const char *p = name; *p != '\0'; p++)
        name_ok = name_ok && (islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-');
    if (!name_ok) {
        fprintf(stderr, "kite serve: %s line %d: \"%s\" is not an option of kite serve (lower-case, without dashes)\n",
                path, number, name);
        return false;
    }
    if (!is_repeatable(name) && on_command_line(argc, argv, name))
        return true; /* the command line wins */
    size_t flag_len = strlen(name) + 3;
    char *flag = xmalloc(flag_len);
    snprintf(flag, flag_len, "--%s", name);
    add(a, flag);
    add(a, copy_of(value));
    return true;
}

/* Where --config is in argv (its value at [at + 1], or after "=" in [at]); -1 when absent. */
static int config_at(int argc, char **argv, const char **file)
{
    int found = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            *file = argv[i + 1];
            found = found < 0 ? i : -2;
            i++;
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            *file = argv[i] + 9;
            found = found < 0 ? i : -2;
        } else if (strcmp(argv[i], "--config") == 0) {
            return -3;
        }
    }
    return found;
}

bool serve_config_read(int argc, char **argv, serve_args *out)
{
    memset(out, 0, sizeof *out);
    const char *path = NULL;
    int at = config_at(argc, argv, &path);
    if (at == -2 || at == -3) {
        fprintf(stderr, "kite serve: --config takes one FILE, once\n");
        return false;
    }
    add(out, copy_of(argv[0]));
    if (at >= 0) {
        FILE *f = fopen(path, "r");
        if (f == NULL) {
            fprintf(stderr, "kite serve: --config %s: %s\n", path, strerror(errno));
            serve_args_free(out);
            return false;
        }
        char line[LINE_MAX_BYTES];
        int number = 0;
        bool ok = true;
        while (ok && fgets(line, sizeof line, f) != NULL) {
            number++;
            if (strchr(line, '\n') == NULL && !feof(f)) {
                fprintf(stderr, "kite serve: %s line %d is longer than %d bytes\n", path, number, LINE_MAX_BYTES - 2);
                ok = false;
            } else {
                ok = take_line(out, argc, argv, path, number, line);
            }
        }
        fclose(f);
        if (!ok) {
            serve_args_free(out);
            return false;
        }
    }
    for (int i = 1; i < argc; i++) {
        if (at >= 0 && (i == at || (i == at + 1 && strcmp(argv[at], "--config") == 0)))
            continue;
        add(out, copy_of(argv[i]));
    }
    return true;
}

void serve_args_free(serve_args *a)
{
    for (int i = 0; i < a->owned_count; i++)
        free(a->owned[i]);
    free(a->owned);
    free(a->argv);
    memset(a, 0, sizeof *a);
}
