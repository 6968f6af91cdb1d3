/*
 * test_image_check.c - what the server decides about a photo before any
 * helper sees it: the type by its first bytes, the Content-Type it claims,
 * size and pixel bounds, and the protocol frame header.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/image.h"

static const unsigned char jpeg_start[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0};
static const unsigned char png_start[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
static const unsigned char webp_start[] = {'R', 'I', 'F', 'F', 0x24, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', ' '};

static void test_sniff_recognises_the_three_types(void **state)
{
    (void)state;
    assert_int_equal(image_sniff(jpeg_start, sizeof jpeg_start), IMAGE_JPEG);
    assert_int_equal(image_sniff(png_start, sizeof png_start), IMAGE_PNG);
    assert_int_equal(image_sniff(webp_start, sizeof webp_start), IMAGE_WEBP);
    /* The shortest prefixes that identify them. */
    assert_int_equal(image_sniff(jpeg_start, 3), IMAGE_JPEG);
    assert_int_equal(image_sniff(png_start, 8), IMAGE_PNG);
    assert_int_equal(image_sniff(webp_start, 12), IMAGE_WEBP);
}

static void test_sniff_refuses_everything_else(void **state)
{
    (void)state;
    static const char gif[] = "GIF89a\x01\x00\x01\x00";
    static const char text[] = "This is not a photo at all.";
    static const unsigned char riff_wave[] = {'R', 'I', 'F', 'F', 0x24, 0, 0, 0, 'W', 'A', 'V', 'E'};
    static const unsigned char almost_jpeg[] = {0xFF, 0xD8, 0x00};
    assert_int_equal(image_sniff(gif, sizeof gif - 1), IMAGE_NONE);
    assert_int_equal(image_sniff(text, sizeof text - 1), IMAGE_NONE);
    assert_int_equal(image_sniff(riff_wave, sizeof riff_wave), IMAGE_NONE);
    assert_int_equal(image_sniff(almost_jpeg, sizeof almost_jpeg), IMAGE_NONE);
    assert_int_equal(image_sniff("", 0), IMAGE_NONE);
    /* Never reads past len: a prefix that is too short is not recognised. */
    assert_int_equal(image_sniff(jpeg_start, 2), IMAGE_NONE);
    assert_int_equal(image_sniff(png_start, 7), IMAGE_NONE);
    assert_int_equal(image_sniff(webp_start, 11), IMAGE_NONE);
}

static void test_content_types(void **state)
{
    (void)state;
    assert_int_equal(image_type_from_content_type("image/jpeg"), IMAGE_JPEG);
    assert_int_equal(image_type_from_content_type("IMAGE/JPEG"), IMAGE_JPEG);
    assert_int_equal(image_type_from_content_type("image/png; charset=binary"), IMAGE_PNG);
    assert_int_equal(image_type_from_content_type("image/webp ;q=1"), IMAGE_WEBP);
    assert_int_equal(image_type_from_content_type("image/jpg"), IMAGE_NONE);
    assert_int_equal(image_type_from_content_type("image/jpegx"), IMAGE_NONE);
    assert_int_equal(image_type_from_content_type("image/gif"), IMAGE_NONE);
    assert_int_equal(image_type_from_content_type("application/json"), IMAGE_NONE);
    assert_int_equal(image_type_from_content_type(""), IMAGE_NONE);
    assert_int_equal(image_type_from_content_type(NULL), IMAGE_NONE);
    assert_string_equal(image_type_mime(IMAGE_JPEG), "image/jpeg");
    assert_string_equal(image_type_mime(IMAGE_PNG), "image/png");
    assert_string_equal(image_type_mime(IMAGE_WEBP), "image/webp");
    assert_string_equal(image_type_mime(IMAGE_NONE), "application/octet-stream");
}

static void test_dimension_bounds(void **state)
{
    (void)state;
    assert_int_equal(image_check_dimensions(1, 1), IMAGE_OK);
    assert_int_equal(image_check_dimensions(4000, 3000), IMAGE_OK);
    assert_int_equal(image_check_dimensions(IMAGE_MAX_SIDE, IMAGE_MAX_PIXELS / IMAGE_MAX_SIDE), IMAGE_OK);
    assert_int_equal(image_check_dimensions(IMAGE_MAX_SIDE + 1, 1), IMAGE_TOO_MANY_PIXELS);
    assert_int_equal(image_check_dimensions(1, IMAGE_MAX_SIDE + 1), IMAGE_TOO_MANY_PIXELS);
    assert_int_equal(image_check_dimensions(8000, 7000), IMAGE_TOO_MANY_PIXELS); /* 56 MP */
    assert_int_equal(image_check_dimensions(100000, 100000), IMAGE_TOO_MANY_PIXELS);
    assert_int_equal(image_check_dimensions(INT64_MAX, INT64_MAX), IMAGE_TOO_MANY_PIXELS);
    assert_int_equal(image_check_dimensions(0, 100), IMAGE_UNREADABLE);
    assert_int_equal(image_check_dimensions(100, -1), IMAGE_UNREADABLE);
}

static void test_precheck(void **state)
{
    (void)state;
    image_type sniffed;
    assert_int_equal(image_precheck("", 0, IMAGE_JPEG, &sniffed), IMAGE_EMPTY);
    assert_int_equal(image_precheck(jpeg_start, IMAGE_UPLOAD_MAX_BYTES + 1, IMAGE_JPEG, &sniffed), IMAGE_TOO_LARGE);
    assert_int_equal(image_precheck("hello there", 11, IMAGE_JPEG, &sniffed), IMAGE_UNKNOWN_TYPE);
    assert_int_equal(image_precheck(png_start, sizeof png_start, IMAGE_JPEG, &sniffed), IMAGE_TYPE_MISMATCH);
    assert_int_equal(sniffed, IMAGE_PNG);
    assert_int_equal(image_precheck(png_start, sizeof png_start, IMAGE_PNG, &sniffed), IMAGE_OK);
    assert_int_equal(sniffed, IMAGE_PNG);
    assert_int_equal(image_precheck(webp_start, sizeof webp_start, IMAGE_NONE, &sniffed), IMAGE_OK);
    assert_int_equal(sniffed, IMAGE_WEBP);
}

static void test_every_status_has_a_sentence(void **state)
{
    (void)state;
    for (int s = 0; s <= IMAGE_STATUS_COUNT; s++) {
        const char *m = image_status_message((image_status)s);
        assert_non_null(m);
        assert_true(strlen(m) > 10);
        assert_int_equal(m[strlen(m) - 1], '.');
    }
}

static void test_frame_header_round_trip(void **state)
{
    (void)state;
    image_frame in = {IMAGE_RESPONSE_MAGIC, IMAGE_OK, 2048, 1365, 58599}, out;
    uint8_t bytes[IMAGE_FRAME_HEADER_BYTES];
    image_header_encode(&in, bytes);
    assert_memory_equal(bytes, "KIR1", 4); /* little-endian, fixed layout */
    assert_int_equal(bytes[16], 58599 & 0xFF);
    assert_true(image_header_decode(bytes, IMAGE_RESPONSE_MAGIC, IMAGE_OUTPUT_MAX_BYTES, &out));
    assert_int_equal(out.code, IMAGE_OK);
    assert_int_equal(out.width, 2048);
    assert_int_equal(out.height, 1365);
    assert_int_equal(out.length, 58599);
    /* The wrong magic (a request where a response belongs) and a length over the cap are refused. */
    assert_false(image_header_decode(bytes, IMAGE_REQUEST_MAGIC, IMAGE_OUTPUT_MAX_BYTES, &out));
    assert_false(image_header_decode(bytes, IMAGE_RESPONSE_MAGIC, 58598, &out));
    in.length = 0xFFFFFFFFU;
    image_header_encode(&in, bytes);
    assert_false(image_header_decode(bytes, IMAGE_RESPONSE_MAGIC, IMAGE_OUTPUT_MAX_BYTES, &out));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sniff_recognises_the_three_types),
        cmocka_unit_test(test_sniff_refuses_everything_else),
        cmocka_unit_test(test_content_types),
        cmocka_unit_test(test_dimension_bounds),
        cmocka_unit_test(test_precheck),
        cmocka_unit_test(test_every_status_has_a_sentence),
        cmocka_unit_test(test_frame_header_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
