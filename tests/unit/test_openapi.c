/*
 * test_openapi.c - the OpenAPI document describes exactly the routes the
 * server has: every route is documented and every documented operation is
 * routed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <string.h>

#include "api/app.h"

extern const char openapi_document[];
extern const size_t openapi_document_len;

static json_t *load_document(void)
{
    json_error_t error;
    json_t *doc = json_loadb(openapi_document, openapi_document_len, JSON_REJECT_DUPLICATES, &error);
    if (doc == NULL)
        print_error("openapi.json line %d: %s\n", error.line, error.text);
    return doc;
}

static void lower_copy(const char *in, char *out, size_t len)
{
    size_t i = 0;
    for (; in[i] != '\0' && i + 1 < len; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = '\0';
}

static void test_document_is_openapi3(void **state)
{
    (void)state;
    json_t *doc = load_document();
    assert_non_null(doc);
    const char *version = json_string_value(json_object_get(doc, "openapi"));
    assert_non_null(version);
    assert_int_equal(version[0], '3');
    assert_true(json_is_object(json_object_get(doc, "paths")));
    json_decref(doc);
}

static void test_every_route_is_documented(void **state)
{
    (void)state;
    json_t *doc = load_document();
    assert_non_null(doc);
    json_t *paths = json_object_get(doc, "paths");
    for (size_t i = 0; i < api_route_count; i++) {
        char method[16];
        lower_copy(api_routes[i].method, method, sizeof method);
        json_t *operation = json_object_get(json_object_get(paths, api_routes[i].pattern), method);
        if (operation == NULL)
            print_error("undocumented route: %s %s\n", api_routes[i].method, api_routes[i].pattern);
        assert_non_null(operation);
        assert_true(json_is_object(json_object_get(operation, "responses")));
    }
    json_decref(doc);
}

static void test_every_documented_operation_is_routed(void **state)
{
    (void)state;
    static const char *const methods[] = {"get", "post", "put", "patch", "delete"};
    json_t *doc = load_document();
    assert_non_null(doc);
    const char *path;
    json_t *item;
    json_object_foreach(json_object_get(doc, "paths"), path, item) {
        for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
            if (json_object_get(item, methods[m]) == NULL)
                continue;
            bool routed = false;
            for (size_t i = 0; i < api_route_count && !routed; i++) {
                char method[16];
                lower_copy(api_routes[i].method, method, sizeof method);
                routed = strcmp(api_routes[i].pattern, path) == 0 && strcmp(method, methods[m]) == 0;
            }
            if (!routed)
                print_error("documented but not routed: %s %s\n", methods[m], path);
            assert_true(routed);
        }
    }
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document_is_openapi3),
        cmocka_unit_test(test_every_route_is_documented),
        cmocka_unit_test(test_every_documented_operation_is_routed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
