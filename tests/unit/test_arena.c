/*
 * test_arena.c - the request memory pool: many and large allocations,
 * alignment, copies and formatting, and freeing in one go.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/arena.h"

#include <stdbool.h>
#include <string.h>

enum { MANY = 5000, BIG = 100000 };

static bool aligned16(const void *p)
{
    return ((uintptr_t)p & 15u) == 0;
}

/* Fills size bytes at p with a pattern that depends on tag. */
static void fill(unsigned char *p, size_t size, size_t tag)
{
    for (size_t i = 0; i < size; i++)
        p[i] = (unsigned char)(tag * 31 + i);
}

static bool intact(const unsigned char *p, size_t size, size_t tag)
{
    for (size_t i = 0; i < size; i++)
        if (p[i] != (unsigned char)(tag * 31 + i))
            return false;
    return true;
}

static void test_many_allocations_do_not_overlap(void **state)
{
    (void)state;
    arena *a = arena_new();
    assert_non_null(a);
    static unsigned char *blocks[MANY];
    static size_t sizes[MANY];
    for (size_t i = 0; i < MANY; i++) {
        sizes[i] = 1 + (i * 7919) % 300; /* 1 .. 300 bytes, crossing many chunks */
        blocks[i] = arena_alloc(a, sizes[i]);
        assert_non_null(blocks[i]);
        fill(blocks[i], sizes[i], i);
    }
    for (size_t i = 0; i < MANY; i++)
        assert_true(intact(blocks[i], sizes[i], i));
    a = arena_free(a);
    assert_null(a);
}

static void test_allocation_larger_than_a_chunk(void **state)
{
    (void)state;
    arena *a = arena_new();
    assert_non_null(a);
    /* A large block first (no head chunk yet), then small ones, then large again. */
    unsigned char *big1 = arena_alloc(a, BIG);
    assert_non_null(big1);
    fill(big1, BIG, 1);
    unsigned char *small1 = arena_alloc(a, 100);
    assert_non_null(small1);
    fill(small1, 100, 2);
    unsigned char *big2 = arena_alloc(a, 3 * BIG);
    assert_non_null(big2);
    fill(big2, 3 * BIG, 3);
    unsigned char *small2 = arena_alloc(a, 100);
    assert_non_null(small2);
    fill(small2, 100, 4);
    unsigned char *exact = arena_alloc(a, 8192);
    assert_non_null(exact);
    fill(exact, 8192, 5);
    unsigned char *after = arena_alloc(a, 8193);
    assert_non_null(after);
    fill(after, 8193, 6);

    assert_true(intact(big1, BIG, 1));
    assert_true(intact(small1, 100, 2));
    assert_true(intact(big2, 3 * BIG, 3));
    assert_true(intact(small2, 100, 4));
    assert_true(intact(exact, 8192, 5));
    assert_true(intact(after, 8193, 6));
    arena_free(a);
}

static void test_alignment_is_16(void **state)
{
    (void)state;
    arena *a = arena_new();
    assert_non_null(a);
    for (size_t size = 0; size < 200; size++) {
        void *p = arena_alloc(a, size);
        assert_true(aligned16(p));
        void *z = arena_zalloc(a, size);
        assert_true(aligned16(z));
    }
    assert_true(aligned16(arena_alloc(a, 20000)));
    assert_true(aligned16(arena_alloc(a, 1)));
    assert_true(aligned16(arena_strdup(a, "odd")));
    assert_true(aligned16(arena_sprintf(a, "%d", 7)));
    /* A long double or max_align_t can live there. */
    long double *ld = arena_alloc(a, sizeof *ld);
    assert_non_null(ld);
    *ld = 1.5L;
    assert_true(*ld == 1.5L);
    arena_free(a);
}

static void test_zero_size_allocations_are_distinct(void **state)
{
    (void)state;
    arena *a = arena_new();
    assert_non_null(a);
    void *p = arena_alloc(a, 0);
    void *q = arena_alloc(a, 0);
    assert_non_null(p);
    assert_non_null(q);
    assert_ptr_not_equal(p, q);
    arena_free(a);
}

static void test_zalloc_zeroes(void **state)
{
    (void)state;
    arena *a = arena_new();
    assert_non_null(a);
    /* Dirty some memory first so a reused chunk would show. */
    unsigned char *dirty = arena_alloc(a, 4000);
    assert_non_null(dirty);
    memset(dirty, 0xAB, 4000);
    unsigned char *z = arena_zalloc(a, 3000);
    assert_non_null(z);
    for (size_t i = 0; i < 3000; i++)
        assert_int_equal(z[i], 0);
    unsigned char *zbig = arena_zalloc(a, BIG);
    assert_non_null(zbig);
    for (size_t i = 0; i < BIG; i++)
        assert_int_equal(zbig[i], 0);
    arena_free(a);
}

static void test_sprintf(void **state)
{
    (void)state;
    arena *a = arena_new();
    assert_non_null(a);
    char *s = arena_sprintf(a, "%s-%d-%05.1f", "kite", 42, 3.5);
    assert_non_null(s);
    assert_string_equal(s, "kite-42-003.5");
    char *empty = arena_sprintf(a, "%s", "");
    assert_non_null(empty);
    assert_string_equal(empty, "");
    /* Longer than a chunk. */
    char *wide = arena_sprintf(a, "<%20000d>", 7);
    assert_non_null(wide);
    assert_int_equal(strlen(wide), 20002);
    assert_int_equal(wide[0], '<');
    assert_int_equal(wide[20000], '7');
    assert_int_equal(wide[20001], '>');
    /* Earlier results stay intact. */
    assert_string_equal(s, "kite-42-003.5");
    arena_free(a);
}

static void test_strdup_and_strndup(void **state)
{
    (void)state;
    arena *a = arena_new();
    assert_non_null(a);
    const char *src = "hello, world";
    char *copy = arena_strdup(a, src);
    assert_non_null(copy);
    assert_string_equal(copy, src);
    assert_ptr_not_equal(copy, src);
    assert_null(arena_strdup(a, NULL));

    char *head = arena_strndup(a, src, 5);
    assert_non_null(head);
    assert_string_equal(head, "hello");
    char *none = arena_strndup(a, src, 0);
    assert_non_null(none);
    assert_string_equal(none, "");
    /* n past the end stops at the NUL. */
    char *whole = arena_strndup(a, src, 1000);
    assert_non_null(whole);
    assert_string_equal(whole, src);
    /* Reading stops at n: the source need not be terminated. */
    const char unterminated[3] = {'a', 'b', 'c'};
    char *abc = arena_strndup(a, unterminated, sizeof unterminated);
    assert_non_null(abc);
    assert_string_equal(abc, "abc");
    /* Embedded NUL ends the copy. */
    char *cut = arena_strndup(a, "ab\0cd", 5);
    assert_non_null(cut);
    assert_string_equal(cut, "ab");
    arena_free(a);
}

static void test_free_accepts_null(void **state)
{
    (void)state;
    assert_null(arena_free(NULL));
    /* An arena with nothing allocated frees cleanly too. */
    assert_null(arena_free(arena_new()));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_allocations_do_not_overlap),
        cmocka_unit_test(test_allocation_larger_than_a_chunk),
        cmocka_unit_test(test_alignment_is_16),
        cmocka_unit_test(test_zero_size_allocations_are_distinct),
        cmocka_unit_test(test_zalloc_zeroes),
        cmocka_unit_test(test_sprintf),
        cmocka_unit_test(test_strdup_and_strndup),
        cmocka_unit_test(test_free_accepts_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
