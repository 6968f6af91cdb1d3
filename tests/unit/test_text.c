/*
 * test_text.c - UTF-8 validation and length, and the small string helpers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/text.h"

#include <stdbool.h>
#include <string.h>

/* utf8_valid over a NUL-terminated literal (the NUL itself excluded). */
static bool valid(const char *s)
{
    return utf8_valid(s, strlen(s));
}

static void test_utf8_valid_accepts_well_formed(void **state)
{
    (void)state;
    assert_true(utf8_valid("", 0));
    assert_true(valid("hello, world"));
    assert_true(valid("\x7f"));                    /* DEL is ASCII */
    assert_true(valid("caf\xc3\xa9"));             /* é, 2 bytes */
    assert_true(valid("\xc2\x80"));                /* U+0080, smallest 2-byte */
    assert_true(valid("\xdf\xbf"));                /* U+07FF, largest 2-byte */
    assert_true(valid("\xe0\xa0\x80"));            /* U+0800, smallest 3-byte */
    assert_true(valid("\xe2\x82\xac"));            /* € */
    assert_true(valid("\xed\x9f\xbf"));            /* U+D7FF, just below the surrogates */
    assert_true(valid("\xee\x80\x80"));            /* U+E000, just above them */
    assert_true(valid("\xef\xbf\xbf"));            /* U+FFFF */
    assert_true(valid("\xf0\x90\x80\x80"));        /* U+10000, smallest 4-byte */
    assert_true(valid("\xf0\x9f\x98\x80"));        /* 😀 */
    assert_true(valid("\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb")); /* 👩‍💻 (ZWJ sequence) */
    assert_true(valid("\xf4\x8f\xbf\xbf"));        /* U+10FFFF, the last code point */
    assert_true(valid("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e")); /* 日本語 */
}

static void test_utf8_valid_rejects_overlongs(void **state)
{
    (void)state;
    assert_false(valid("\xc0\x80"));               /* overlong NUL */
    assert_false(valid("\xc0\xaf"));               /* overlong '/' */
    assert_false(valid("\xc1\xbf"));               /* overlong U+007F */
    assert_false(valid("\xe0\x80\x80"));
    assert_false(valid("\xe0\x80\xaf"));           /* overlong '/' in 3 bytes */
    assert_false(valid("\xe0\x9f\xbf"));           /* overlong U+07FF */
    assert_false(valid("\xf0\x80\x80\x80"));
    assert_false(valid("\xf0\x80\x80\xaf"));       /* overlong '/' in 4 bytes */
    assert_false(valid("\xf0\x8f\xbf\xbf"));       /* overlong U+FFFF */
}

static void test_utf8_valid_rejects_surrogates_and_out_of_range(void **state)
{
    (void)state;
    assert_false(valid("\xed\xa0\x80"));           /* U+D800 */
    assert_false(valid("\xed\xaf\xbf"));           /* U+DBFF */
    assert_false(valid("\xed\xb0\x80"));           /* U+DC00 */
    assert_false(valid("\xed\xbf\xbf"));           /* U+DFFF */
    assert_false(valid("\xed\xa0\xbd\xed\xb8\x80")); /* CESU-8 pair for 😀 */
    assert_false(valid("\xf4\x90\x80\x80"));       /* U+110000 */
    assert_false(valid("\xf5\x80\x80\x80"));
    assert_false(valid("\xf7\xbf\xbf\xbf"));
    assert_false(valid("\xf8\x88\x80\x80\x80"));   /* 5-byte form */
    assert_false(valid("\xfc\x84\x80\x80\x80\x80")); /* 6-byte form */
    assert_false(valid("\xfe"));
    assert_false(valid("\xff"));
}

static void test_utf8_valid_rejects_broken_sequences(void **state)
{
    (void)state;
    /* Lone continuation bytes. */
    assert_false(valid("\x80"));
    assert_false(valid("\xbf"));
    assert_false(valid("a\x80z"));
    /* Truncated sequences, at the end of the input. */
    assert_false(valid("\xc3"));
    assert_false(valid("\xe2\x82"));
    assert_false(valid("\xe2"));
    assert_false(valid("\xf0\x9f\x98"));
    assert_false(valid("\xf0\x9f"));
    assert_false(valid("abc\xf0"));
    /* Truncated by len although the bytes follow in memory. */
    assert_false(utf8_valid("\xc3\xa9", 1));
    assert_false(utf8_valid("\xf0\x9f\x98\x80", 3));
    assert_true(utf8_valid("\xc3\xa9x", 2));
    /* A lead byte followed by something that is not a continuation. */
    assert_false(valid("\xc3" "A"));
    assert_false(valid("\xe2\x82" "A"));
    assert_false(valid("\xf0\x9f\x98" "A"));
    assert_false(valid("\xe2\x28\xa1"));
}

static void test_utf8_valid_rejects_nul(void **state)
{
    (void)state;
    assert_false(utf8_valid("a\0b", 3));
    assert_false(utf8_valid("\0", 1));
    assert_false(utf8_valid("abc\0", 4));
    assert_true(utf8_valid("abc\0", 3)); /* len stops before it */
    /* A NUL where a continuation byte belongs. */
    assert_false(utf8_valid("\xc3\0", 2));
}

static void test_utf8_length(void **state)
{
    (void)state;
    assert_int_equal(utf8_length(""), 0);
    assert_int_equal(utf8_length("abc"), 3);
    assert_int_equal(utf8_length("h\xc3\xa9llo"), 5);
    assert_int_equal(utf8_length("\xe2\x82\xac"), 1);
    assert_int_equal(utf8_length("\xf0\x9f\x98\x80x"), 2);
    assert_int_equal(utf8_length("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"), 9);
    assert_int_equal(utf8_length("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), 3);
}

static void test_text_lower(void **state)
{
    (void)state;
    arena *a = arena_new();
    assert_non_null(a);
    const char *in = "HeLLo \xc3\x89" "COLE 123 @Z[`";
    char *out = text_lower(a, in);
    assert_non_null(out);
    /* ASCII only: É (C3 89) keeps its bytes; '[' and '`' around the letters stay. */
    assert_string_equal(out, "hello \xc3\x89" "cole 123 @z[`");
    assert_string_equal(in, "HeLLo \xc3\x89" "COLE 123 @Z[`"); /* the input is untouched */
    char *empty = text_lower(a, "");
    assert_non_null(empty);
    assert_string_equal(empty, "");
    arena_free(a);
}

static void test_text_trim(void **state)
{
    (void)state;
    arena *a = arena_new();
    assert_non_null(a);
    char *s = text_trim(a, "  \t a  b \r\n\v\f");
    assert_non_null(s);
    assert_string_equal(s, "a  b");
    s = text_trim(a, "   \n\t ");
    assert_non_null(s);
    assert_string_equal(s, "");
    s = text_trim(a, "");
    assert_non_null(s);
    assert_string_equal(s, "");
    s = text_trim(a, "x");
    assert_non_null(s);
    assert_string_equal(s, "x");
    s = text_trim(a, "no-space");
    assert_non_null(s);
    assert_string_equal(s, "no-space");
    /* Non-ASCII bytes are not white space. */
    s = text_trim(a, " \xc2\xa0x\xc2\xa0 ");
    assert_non_null(s);
    assert_string_equal(s, "\xc2\xa0x\xc2\xa0");
    arena_free(a);
}

static void test_text_hex(void **state)
{
    (void)state;
    const unsigned char bytes[] = {0x00, 0x01, 0x0f, 0x10, 0xab, 0xcd, 0xef, 0xff};
    char out[2 * sizeof bytes + 1];
    memset(out, 'X', sizeof out);
    text_hex(bytes, sizeof bytes, out);
    assert_string_equal(out, "00010f10abcdefff");
    char empty[1] = {'X'};
    text_hex(bytes, 0, empty);
    assert_string_equal(empty, "");
}

static void test_text_equal_secret(void **state)
{
    (void)state;
    assert_true(text_equal_secret("", ""));
    assert_true(text_equal_secret("s3cret-token", "s3cret-token"));
    assert_false(text_equal_secret("s3cret-token", "s3cret-tokeN"));
    assert_false(text_equal_secret("s3cret-token", "X3cret-token"));
    /* A prefix is not equal, either way round. */
    assert_false(text_equal_secret("s3cret", "s3cret-token"));
    assert_false(text_equal_secret("s3cret-token", "s3cret"));
    assert_false(text_equal_secret("", "a"));
    assert_false(text_equal_secret("a", ""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_valid_accepts_well_formed),
        cmocka_unit_test(test_utf8_valid_rejects_overlongs),
        cmocka_unit_test(test_utf8_valid_rejects_surrogates_and_out_of_range),
        cmocka_unit_test(test_utf8_valid_rejects_broken_sequences),
        cmocka_unit_test(test_utf8_valid_rejects_nul),
        cmocka_unit_test(test_utf8_length),
        cmocka_unit_test(test_text_lower),
        cmocka_unit_test(test_text_trim),
        cmocka_unit_test(test_text_hex),
        cmocka_unit_test(test_text_equal_secret),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
