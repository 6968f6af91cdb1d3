/*
 * router.c - fuzzes router_match (http/router.c) over Kite's own route table
 * (api_routes): every request's method and path go through it.
 *
 * Input: the method up to the first space, the path after it (the bytes
 * libmicrohttpd hands over, already percent-decoded, so anything goes).
 *
 * Contract checked: a match names a route of that method (HEAD answers as
 * GET) whose pattern, with its {captures} replaced by the captured values,
 * is the path again; every capture is non-empty and holds no '/'; "method
 * not allowed" lists only methods of routes whose pattern matches, and never
 * the method asked; "not found" means no pattern matches at all.
 */
#include "api/app.h"
#include "http/router.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The path the pattern gives with these captures, or NULL when the pattern has a different number of them. */
static char *fill(arena *a, const char *pattern, const route_result *r)
{
    char *out = arena_strdup(a, "");
    size_t used = 0;
    for (const char *p = pattern; *p;) {
        if (*p == '{') {
            const char *end = strchr(p, '}');
            if (used == r->nparams)
                return NULL;
            out = arena_sprintf(a, "%s%s", out, r->params[used++]);
            p = end + 1;
        } else {
            size_t n = strcspn(p, "{");
            out = arena_sprintf(a, "%s%.*s", out, (int)n, p);
            p += n;
        }
    }
    return used == r->nparams ? out : NULL;
}

/* Whether the path has the pattern's shape, whatever the method: the same segments, literal ones equal. */
static bool shape_matches(const char *pattern, const char *path)
{
    route_result r;
    http_route one = {"X", pattern, NULL};
    arena *a = arena_new();
    bool found = router_match(&one, 1, "X", path, a, &r) == ROUTE_FOUND;
    arena_free(a);
    return found;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    char *space = strchr(text, ' ');
    const char *method = space ? text : "GET";
    const char *path = space ? space + 1 : text;
    if (space)
        *space = '\0';
    arena *a = arena_new();
    route_result r;
    route_match m = router_match(api_routes, api_route_count, method, path, a, &r);
    const char *effective = strcmp(method, "HEAD") == 0 ? "GET" : method;
    if (m == ROUTE_FOUND) {
        if (r.route == NULL || strcmp(r.route->method, effective) != 0)
            abort();
        for (size_t i = 0; i < r.nparams; i++)
            if (r.params[i][0] == '\0' || strchr(r.params[i], '/') != NULL)
                abort();
        const char *again = fill(a, r.route->pattern, &r);
        if (again == NULL || strcmp(again, path) != 0)
            abort();
    } else if (m == ROUTE_METHOD_NOT_ALLOWED) {
        if (r.allow == NULL || r.allow[0] == '\0')
            abort();
        for (size_t i = 0; i < api_route_count; i++)
            if (strcmp(api_routes[i].method, effective) == 0 && shape_matches(api_routes[i].pattern, path))
                abort(); /* a route of this very method matches: it should have been found */
    } else {
        for (size_t i = 0; i < api_route_count; i++)
            if (shape_matches(api_routes[i].pattern, path))
                abort(); /* some pattern matches: at least "method not allowed" */
    }
    arena_free(a);
    free(text);
    return 0;
}
