/*
 * test_buf.c - the one growing byte buffer in both homes: in an arena and
 * on the heap; growth keeps what was written, a reserve is one allocation,
 * reset keeps the room, free accepts a zeroed buffer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/buf.h"

#include <string.h>

enum { ROUNDS = 10000 };

/* Appends "0123456789" ROUNDS times and checks every byte and the NUL. */
static void grow_and_check(buf *b)
{
    for (int i = 0; i < ROUNDS; i++)
        buf_append(b, "0123456789", 10);
    buf_printf(b, "|%d", 42);
    assert_int_equal(b->len, ROUNDS * 10 + 3);
    for (size_t i = 0; i < ROUNDS * 10; i++)
        assert_int_equal(b->data[i], '0' + (int)(i % 10));
    assert_string_equal(b->data + ROUNDS * 10, "|42");
    assert_true(b->cap > b->len);
}

static void test_arena_buffer_grows(void **state)
{
    (void)state;
    arena *a = arena_new();
    buf b;
    buf_init(&b, a);
    assert_string_equal(b.data, "");
    grow_and_check(&b);
    arena_free(a);
}

static void test_heap_buffer_grows_resets_and_frees(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, NULL);
    grow_and_check(&b);
    size_t cap = b.cap;
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_int_equal(b.cap, cap);
    buf_puts(&b, "again");
    assert_string_equal(b.data, "again");
    buf_free(&b);
    assert_null(b.data);
    buf_free(&b); /* a zeroed buffer */
}

static void test_reserve_allocates_once(void **state)
{
    (void)state;
    arena *a = arena_new();
    buf b;
    buf_init(&b, a);
    buf_reserve(&b, 1000000);
    assert_int_equal(b.cap, 1000001);
    char *data = b.data;
    char chunk[4096];
    memset(chunk, 'x', sizeof chunk);
    for (size_t done = 0; done < 1000000; done += sizeof chunk)
        buf_append(&b, chunk, 1000000 - done < sizeof chunk ? 1000000 - done : sizeof chunk);
    assert_ptr_equal(b.data, data);
    assert_int_equal(b.len, 1000000);
    assert_int_equal(b.data[b.len], '\0');
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_buffer_grows),
        cmocka_unit_test(test_heap_buffer_grows_resets_and_frees),
        cmocka_unit_test(test_reserve_allocates_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
