#include "http/router.h"

#include <stdbool.h>
#include <string.h>

/* Matches one pattern; captures go into out->params when it does. */
static bool pattern_match(const char *pattern, const char *path, arena *a, route_result *out)
{
    size_t nparams = 0;
    const char *params[ROUTE_MAX_PARAMS];
    while (*pattern != '\0' && *path != '\0') {
        if (*pattern != '/' || *path != '/')
            return false;
        pattern++;
        path++;
        size_t plen = strcspn(pattern, "/");
        size_t slen = strcspn(path, "/");
        if (plen > 1 && pattern[0] == '{' && pattern[plen - 1] == '}') {
            if (slen == 0 || nparams == ROUTE_MAX_PARAMS)
                return false;
            params[nparams++] = arena_strndup(a, path, slen);
        } else if (plen != slen || memcmp(pattern, path, plen) != 0) {
            return false;
        }
        pattern += plen;
        path += slen;
    }
    if (*pattern != '\0' || *path != '\0')
        return false;
    memcpy(out->params, params, nparams * sizeof *params);
    out->nparams = nparams;
    return true;
}

route_match router_match(const http_route *routes, size_t count, const char *method, const char *path,
                         arena *a, route_result *out)
{
    memset(out, 0, sizeof *out);
    const char *effective = strcmp(method, "HEAD") == 0 ? "GET" : method;
    char allow[128] = "";
    for (size_t i = 0; i < count; i++) {
        route_result candidate;
        memset(&candidate, 0, sizeof candidate);
        if (!pattern_match(routes[i].pattern, path, a, &candidate))
            continue;
        if (strcmp(routes[i].method, effective) == 0) {
            *out = candidate;
            out->route = &routes[i];
            return ROUTE_FOUND;
        }
        if (strstr(allow, routes[i].method) == NULL && strlen(allow) + strlen(routes[i].method) + 3 < sizeof allow) {
            if (allow[0] != '\0')
                strcat(allow, ", ");
            strcat(allow, routes[i].method);
        }
    }
    if (allow[0] == '\0')
        return ROUTE_NOT_FOUND;
    out->allow = arena_strdup(a, allow);
    return ROUTE_METHOD_NOT_ALLOWED;
}
