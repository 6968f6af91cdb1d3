/*
 * router.h - matching a method and path to a handler.
 *
 * Patterns are literal segments and {name} captures, e.g.
 * "/api/v1/facilities/{id}".  A path that matches some pattern under another
 * method is "method not allowed" (with the methods that are), not "not found".
 */
#ifndef KITE_HTTP_ROUTER_H
#define KITE_HTTP_ROUTER_H

#include <stddef.h>

#include "core/arena.h"

typedef struct http_request http_request;
typedef void (*http_handler)(http_request *req, void *app);

typedef struct http_route {
    const char *method; /* "GET", "POST", ... ("GET" also answers HEAD) */
    const char *pattern;
    http_handler handler;
} http_route;

enum { ROUTE_MAX_PARAMS = 4 };

typedef enum route_match {
    ROUTE_FOUND,
    ROUTE_NOT_FOUND,
    ROUTE_METHOD_NOT_ALLOWED,
} route_match;

typedef struct route_result {
    const http_route *route;
    const char *params[ROUTE_MAX_PARAMS]; /* arena copies of the {captures}, in order */
    size_t nparams;
    const char *allow; /* with ROUTE_METHOD_NOT_ALLOWED: "GET, POST" (arena) */
} route_result;

/* routes must outlive every lookup (a static table). */
route_match router_match(const http_route *routes, size_t count, const char *method, const char *path,
                         arena *a, route_result *out);

#endif
