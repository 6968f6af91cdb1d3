/*
 * test_answer_cache.c - kept search answers (domain/directory/answer_cache.h):
 * served only for their own key and version, replaced least recently used
 * first within a set, too long ones never kept.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/secret.h"
#include "domain/directory/answer_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool got(answer_cache *c, arena *a, const char *version, const char *key, const char *expected)
{
    const char *body = NULL;
    size_t len = 0;
    if (!answer_cache_get(c, a, version, key, &body, &len))
        return false;
    assert_int_equal(len, strlen(expected));
    assert_memory_equal(body, expected, len);
    assert_int_equal(body[len], '\0'); /* the copy is a string too */
    return true;
}

static void test_key_and_version(void **state)
{
    (void)state;
    answer_cache *c = answer_cache_new();
    arena *a = arena_new();
    assert_false(got(c, a, "7", "q=avenal", ""));
    answer_cache_put(c, "7", "q=avenal", "{\"a\":1}", 7);
    assert_true(got(c, a, "7", "q=avenal", "{\"a\":1}"));
    assert_false(got(c, a, "8", "q=avenal", ""));  /* the directory moved on */
    assert_false(got(c, a, "7", "q=avena", ""));   /* another query */
    answer_cache_put(c, "8", "q=avenal", "{\"a\":2}", 7); /* replaced in place */
    assert_true(got(c, a, "8", "q=avenal", "{\"a\":2}"));
    assert_false(got(c, a, "7", "q=avenal", ""));
    arena_free(a);
    answer_cache_free(c);
}

static void test_too_long_is_not_kept(void **state)
{
    (void)state;
    answer_cache *c = answer_cache_new();
    arena *a = arena_new();
    size_t len = ANSWER_MAX_BYTES + 1;
    char *big = calloc(1, len + 1);
    assert_non_null(big);
    memset(big, 'x', len);
    answer_cache_put(c, "1", "big", big, len);
    assert_false(got(c, a, "1", "big", big));
    answer_cache_put(c, "1", "fits", big, ANSWER_MAX_BYTES);
    big[ANSWER_MAX_BYTES] = '\0';
    assert_true(got(c, a, "1", "fits", big));
    free(big);
    arena_free(a);
    answer_cache_free(c);
}

/*
 * Many more keys than slots: every key put last is still there, the cache
 * never holds more than ANSWER_SLOTS answers, and a key read often survives
 * a stream of new keys that would push it out were it not recently used.
 */
static void test_bounded_and_least_recently_used(void **state)
{
    (void)state;
    answer_cache *c = answer_cache_new();
    arena *a = arena_new();
    answer_cache_put(c, "1", "popular", "P", 1);
    char key[32];
    for (int i = 0; i < 20 * ANSWER_SLOTS; i++) {
        snprintf(key, sizeof key, "k%d", i);
        answer_cache_put(c, "1", key, key, strlen(key));
        assert_true(got(c, a, "1", key, key));
        assert_true(got(c, a, "1", "popular", "P"));
    }
    int kept = 0;
    for (int i = 0; i < 20 * ANSWER_SLOTS; i++) {
        snprintf(key, sizeof key, "k%d", i);
        kept += got(c, a, "1", key, key);
    }
    assert_true(kept < ANSWER_SLOTS);
    assert_true(kept > ANSWER_SLOTS / 2);
    arena_free(a);
    answer_cache_free(c);
}

int main(void)
{
    if (secret_init() != KITE_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_and_version),
        cmocka_unit_test(test_too_long_is_not_kept),
        cmocka_unit_test(test_bounded_and_least_recently_used),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
