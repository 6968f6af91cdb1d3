/*
 * test_router.c - matching method and path: literal routes, {captures},
 * strict slashes, HEAD as GET, 405 with the allowed methods, and the cap on
 * captures.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/arena.h"
#include "http/router.h"

#include <string.h>

static void handle_a(http_request *req, void *app)
{
    (void)req;
    (void)app;
}

static void handle_b(http_request *req, void *app)
{
    (void)req;
    (void)app;
}

enum {
    R_ROOT, R_HEALTH, R_LIST, R_CREATE, R_SHOW, R_PATCH, R_NESTED, R_FOUR, R_FIVE, R_LITERAL_AFTER,
    R_COUNT
};

static const http_route routes[] = {
    [R_ROOT] = {"GET", "/", handle_a},
    [R_HEALTH] = {"GET", "/api/v1/health", handle_a},
    [R_LIST] = {"GET", "/api/v1/facilities", handle_a},
    [R_CREATE] = {"POST", "/api/v1/facilities", handle_b},
    [R_SHOW] = {"GET", "/api/v1/facilities/{id}", handle_a},
    [R_PATCH] = {"PATCH", "/api/v1/facilities/{id}", handle_b},
    [R_NESTED] = {"GET", "/api/v1/facilities/{id}/services/{service}", handle_a},
    [R_FOUR] = {"GET", "/four/{a}/{b}/{c}/{d}", handle_a},
    [R_FIVE] = {"GET", "/five/{a}/{b}/{c}/{d}/{e}", handle_a},
    [R_LITERAL_AFTER] = {"DELETE", "/api/v1/sessions/current", handle_b},
};

static int setup(void **state)
{
    *state = arena_new();
    return *state == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    arena_free(*state);
    return 0;
}

static route_match match(arena *a, const char *method, const char *path, route_result *out)
{
    return router_match(routes, R_COUNT, method, path, a, out);
}

static void test_literal_routes(void **state)
{
    arena *a = *state;
    route_result r;
    assert_int_equal(match(a, "GET", "/api/v1/health", &r), ROUTE_FOUND);
    assert_ptr_equal(r.route, &routes[R_HEALTH]);
    assert_int_equal(r.nparams, 0);
    assert_null(r.allow);

    assert_int_equal(match(a, "GET", "/", &r), ROUTE_FOUND);
    assert_ptr_equal(r.route, &routes[R_ROOT]);

    assert_int_equal(match(a, "GET", "/api/v1/facilities", &r), ROUTE_FOUND);
    assert_ptr_equal(r.route, &routes[R_LIST]);
    assert_int_equal(match(a, "POST", "/api/v1/facilities", &r), ROUTE_FOUND);
    assert_ptr_equal(r.route, &routes[R_CREATE]);
    assert_ptr_equal(r.route->handler, handle_b);

    assert_int_equal(match(a, "DELETE", "/api/v1/sessions/current", &r), ROUTE_FOUND);
    assert_ptr_equal(r.route, &routes[R_LITERAL_AFTER]);
}

static void test_captures(void **state)
{
    arena *a = *state;
    route_result r;
    assert_int_equal(match(a, "GET", "/api/v1/facilities/42", &r), ROUTE_FOUND);
    assert_ptr_equal(r.route, &routes[R_SHOW]);
    assert_int_equal(r.nparams, 1);
    assert_non_null(r.params[0]);
    assert_string_equal(r.params[0], "42");

    assert_int_equal(match(a, "PATCH", "/api/v1/facilities/abc-def", &r), ROUTE_FOUND);
    assert_ptr_equal(r.route, &routes[R_PATCH]);
    assert_int_equal(r.nparams, 1);
    assert_string_equal(r.params[0], "abc-def");

    assert_int_equal(match(a, "GET", "/api/v1/facilities/7/services/video", &r), ROUTE_FOUND);
    assert_ptr_equal(r.route, &routes[R_NESTED]);
    assert_int_equal(r.nparams, 2);
    assert_string_equal(r.params[0], "7");
    assert_string_equal(r.params[1], "video");

    /* Captures are copies, not pointers into the path. */
    char path[] = "/api/v1/facilities/99";
    assert_int_equal(match(a, "GET", path, &r), ROUTE_FOUND);
    path[19] = '1';
    assert_string_equal(r.params[0], "99");

    /* A capture takes one whole segment, never an empty one. */
    assert_int_equal(match(a, "GET", "/api/v1/facilities//services/video", &r), ROUTE_NOT_FOUND);
    /* A literal segment after a capture must match exactly. */
    assert_int_equal(match(a, "GET", "/api/v1/facilities/7/service/video", &r), ROUTE_NOT_FOUND);
}

static void test_trailing_slash_and_near_misses(void **state)
{
    arena *a = *state;
    route_result r;
    assert_int_equal(match(a, "GET", "/api/v1/health/", &r), ROUTE_NOT_FOUND);
    assert_int_equal(match(a, "GET", "/api/v1/facilities/", &r), ROUTE_NOT_FOUND);
    assert_int_equal(match(a, "GET", "/api/v1/facilities/42/", &r), ROUTE_NOT_FOUND);
    assert_int_equal(match(a, "GET", "/api/v1/healthz", &r), ROUTE_NOT_FOUND);
    assert_int_equal(match(a, "GET", "/api/v1/healt", &r), ROUTE_NOT_FOUND);
    assert_int_equal(match(a, "GET", "/api/v1", &r), ROUTE_NOT_FOUND);
    assert_int_equal(match(a, "GET", "/api//v1/health", &r), ROUTE_NOT_FOUND);
    assert_int_equal(match(a, "GET", "//", &r), ROUTE_NOT_FOUND);
    assert_int_equal(match(a, "GET", "/API/v1/health", &r), ROUTE_NOT_FOUND); /* case matters */
    assert_int_equal(match(a, "GET", "api/v1/health", &r), ROUTE_NOT_FOUND);
    assert_int_equal(match(a, "GET", "", &r), ROUTE_NOT_FOUND);
    assert_int_equal(match(a, "GET", "/api/v1/facilities/7/services/video/extra", &r), ROUTE_NOT_FOUND);
}

static void test_head_matches_get(void **state)
{
    arena *a = *state;
    route_result r;
    assert_int_equal(match(a, "HEAD", "/api/v1/health", &r), ROUTE_FOUND);
    assert_ptr_equal(r.route, &routes[R_HEALTH]);
    assert_int_equal(match(a, "HEAD", "/api/v1/facilities/5", &r), ROUTE_FOUND);
    assert_ptr_equal(r.route, &routes[R_SHOW]);
    assert_string_equal(r.params[0], "5");
    /* HEAD does not reach routes of other methods. */
    assert_int_equal(match(a, "HEAD", "/api/v1/sessions/current", &r), ROUTE_METHOD_NOT_ALLOWED);
    assert_non_null(r.allow);
    assert_string_equal(r.allow, "DELETE");
}

static void test_method_not_allowed_lists_methods(void **state)
{
    arena *a = *state;
    route_result r;
    assert_int_equal(match(a, "PUT", "/api/v1/facilities", &r), ROUTE_METHOD_NOT_ALLOWED);
    assert_null(r.route);
    assert_non_null(r.allow);
    assert_string_equal(r.allow, "GET, POST");

    assert_int_equal(match(a, "DELETE", "/api/v1/facilities/3", &r), ROUTE_METHOD_NOT_ALLOWED);
    assert_non_null(r.allow);
    assert_string_equal(r.allow, "GET, PATCH");

    assert_int_equal(match(a, "POST", "/api/v1/health", &r), ROUTE_METHOD_NOT_ALLOWED);
    assert_non_null(r.allow);
    assert_string_equal(r.allow, "GET");

    /* Methods are case-sensitive tokens. */
    assert_int_equal(match(a, "get", "/api/v1/health", &r), ROUTE_METHOD_NOT_ALLOWED);
    assert_non_null(r.allow);
    assert_string_equal(r.allow, "GET");
}

static void test_allow_lists_each_method_once(void **state)
{
    arena *a = *state;
    static const http_route dup[] = {
        {"GET", "/x/{id}", handle_a},
        {"GET", "/x/{name}", handle_b}, /* shadowed, same method */
        {"POST", "/x/{id}", handle_a},
        {"POST", "/x/1", handle_b},
    };
    route_result r;
    assert_int_equal(router_match(dup, 4, "DELETE", "/x/1", a, &r), ROUTE_METHOD_NOT_ALLOWED);
    assert_non_null(r.allow);
    assert_string_equal(r.allow, "GET, POST");
    /* The first matching route wins. */
    assert_int_equal(router_match(dup, 4, "GET", "/x/1", a, &r), ROUTE_FOUND);
    assert_ptr_equal(r.route, &dup[0]);
    assert_int_equal(router_match(dup, 4, "POST", "/x/1", a, &r), ROUTE_FOUND);
    assert_ptr_equal(r.route, &dup[2]);
}

static void test_not_found(void **state)
{
    arena *a = *state;
    route_result r;
    assert_int_equal(match(a, "GET", "/nope", &r), ROUTE_NOT_FOUND);
    assert_null(r.route);
    assert_null(r.allow);
    assert_int_equal(r.nparams, 0);
    assert_int_equal(match(a, "POST", "/api/v2/facilities", &r), ROUTE_NOT_FOUND);
    assert_int_equal(router_match(routes, 0, "GET", "/", a, &r), ROUTE_NOT_FOUND);
}

static void test_capture_limit(void **state)
{
    arena *a = *state;
    route_result r;
    /* ROUTE_MAX_PARAMS captures fit. */
    assert_int_equal(match(a, "GET", "/four/1/2/3/4", &r), ROUTE_FOUND);
    assert_ptr_equal(r.route, &routes[R_FOUR]);
    assert_int_equal(r.nparams, ROUTE_MAX_PARAMS);
    assert_string_equal(r.params[0], "1");
    assert_string_equal(r.params[3], "4");
    /* A pattern with more captures never matches (and never writes past params[]). */
    assert_int_equal(match(a, "GET", "/five/1/2/3/4/5", &r), ROUTE_NOT_FOUND);
    assert_int_equal(r.nparams, 0);
    assert_int_equal(match(a, "GET", "/four/1/2/3/4/5", &r), ROUTE_NOT_FOUND);
}

static void test_long_hostile_path(void **state)
{
    arena *a = *state;
    static char path[20000];
    for (size_t i = 0; i + 2 < sizeof path; i += 2) {
        path[i] = '/';
        path[i + 1] = 'x';
    }
    path[sizeof path - 2] = '\0';
    route_result r;
    assert_int_equal(match(a, "GET", path, &r), ROUTE_NOT_FOUND);
    memset(path, '/', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    assert_int_equal(match(a, "GET", path, &r), ROUTE_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_literal_routes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_captures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trailing_slash_and_near_misses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_head_matches_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_method_not_allowed_lists_methods, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allow_lists_each_method_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_capture_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_hostile_path, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
