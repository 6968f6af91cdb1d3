/*
 * test_json_writer.c - the JSON writer of the page answers (api/json_out.c):
 * every string comes back unchanged through a JSON parser (jansson's), with
 * each character JSON must escape, UTF-8, and runs long and short around the
 * eight-byte steps; integers at their limits; commas between members and
 * elements at every depth; null for a missing string and a time not yet.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "api/app.h"

#include <stdlib.h>
#include <string.h>

/* Writes ["s"] and parses it back. */
static void assert_round_trip(const char *s)
{
    arena *a = arena_new();
    buf b;
    buf_init(&b, a);
    json_writer w;
    jw_init(&w, &b);
    jw_array(&w);
    jw_string(&w, s);
    jw_array_end(&w);
    assert_int_equal(strlen(b.data), b.len);
    json_error_t e;
    json_t *back = json_loads(b.data, 0, &e);
    assert_non_null(back);
    assert_string_equal(json_string_value(json_array_get(back, 0)), s);
    json_decref(back);
    arena_free(a);
}

static void test_strings_round_trip(void **state)
{
    (void)state;
    static const char *const pieces[] = {"a", "b", " ", "\"", "\\", "\n", "\t", "\r", "\b", "\f", "\x01", "\x1f",
                                         "\x7f", "/", "\xc3\xa9", "\xe2\x82\xac", "abcdefghij", "\xf0\x9f\x99\x82"};
    size_t npieces = sizeof pieces / sizeof pieces[0];
    assert_round_trip("");
    srand(7);
    for (int t = 0; t < 20000; t++) {
        char s[2048] = "";
        int n = rand() % 80;
        for (int i = 0; i < n; i++)
            strcat(s, pieces[(size_t)rand() % npieces]);
        assert_round_trip(s);
    }
}

static void test_escapes_are_json_escapes(void **state)
{
    (void)state;
    arena *a = arena_new();
    buf b;
    buf_init(&b, a);
    json_writer w;
    jw_init(&w, &b);
    jw_string(&w, "q\"b\\n\nt\tc\x01/\xc3\xa9");
    assert_string_equal(b.data, "\"q\\\"b\\\\n\\nt\\tc\\u0001/\xc3\xa9\"");
    arena_free(a);
}

static void test_structure_and_numbers(void **state)
{
    (void)state;
    arena *a = arena_new();
    buf b;
    buf_init(&b, a);
    json_writer w;
    jw_init(&w, &b);
    jw_object(&w);
    jw_key(&w, "min");
    jw_int(&w, INT64_MIN);
    jw_key(&w, "max");
    jw_int(&w, INT64_MAX);
    jw_key(&w, "zero");
    jw_int(&w, 0);
    jw_key(&w, "list");
    jw_array(&w);
    jw_array(&w);
    jw_array_end(&w);
    jw_object(&w);
    jw_object_end(&w);
    jw_bool(&w, true);
    jw_bool(&w, false);
    jw_array_end(&w);
    jw_key(&w, "missing");
    jw_string(&w, NULL);
    jw_key(&w, "not_yet");
    jw_time_or_null(&w, 0);
    jw_key(&w, "at");
    jw_time(&w, 1000);
    jw_key(&w, "raw");
    jw_raw(&w, "{\"k\":1}");
    jw_object_end(&w);
    assert_string_equal(b.data, "{\"min\":-9223372036854775808,\"max\":9223372036854775807,\"zero\":0,"
                                "\"list\":[[],{},true,false],\"missing\":null,\"not_yet\":null,"
                                "\"at\":\"1970-01-01T00:00:01.000Z\",\"raw\":{\"k\":1}}");
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings_round_trip),
        cmocka_unit_test(test_escapes_are_json_escapes),
        cmocka_unit_test(test_structure_and_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
