/*
 * image_worker.c - decode, bound, rotate, shrink, strip and re-encode one
 * photo, inside a confined process.
 *
 * Design: one process per photo.  The server execs `kite image-worker` with
 * a socket on descriptor 0, /dev/null on 1 and a pipe on 2 (its log).  The
 * helper drops root, initialises libvips (one thread of work, no operation
 * cache, no run-time code generation, untrusted loaders blocked), sets its
 * limits and installs the seccomp allow-list (confine.h) before it reads a
 * single byte of the photo.  Then: the loader for the type the bytes
 * announce (never the Content-Type, never libvips' own guessing) reads only
 * the header; the declared dimensions are checked against the bounds before
 * any pixel is decoded; the pixels are decoded sequentially, shrunk while
 * loading where the format allows, rotated upright from the EXIF
 * orientation, fitted within 2048 px, flattened onto white and written as a
 * JPEG without any metadata (EXIF, XMP, IPTC, ICC, comments).  The answer
 * goes back on descriptor 0 and the process leaves with _exit.
 *
 * SECURITY: every byte of the request may be hostile: libjpeg, libpng,
 * libwebp and libexif run on it here and nowhere else.  What a successful
 * exploit would hold: a process as "nobody" with no new privileges, no open
 * files but its socket and log pipe, no way to open more, no network, no
 * exec, no executable memory, bounded CPU time and (outside AddressSanitizer
 * builds) bounded memory, killed by the server after its timeout, and able
 * to say only one frame to a server that checks it.  The request frame is
 * validated (magic, type, length cap) before anything is allocated.
 */
#include "sandbox/image_worker.h"

#include "sandbox/confine.h"
#include "sandbox/image.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <vips/vips.h>
#include <vips/vector.h> /* vips_vector_set_enabled: no run-time code generation */

enum { WORKER_FD = 0, WORKER_CPU_SECONDS = 10, WORKER_OPEN_FILES = 16 };
/* Enough for a 50-megapixel, 16-bit, interlaced PNG decoded whole; AddressSanitizer needs terabytes of shadow. */
#if defined(__SANITIZE_ADDRESS__)
#define WORKER_ADDRESS_SPACE 0ULL
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WORKER_ADDRESS_SPACE 0ULL
#endif
#endif
#ifndef WORKER_ADDRESS_SPACE
#define WORKER_ADDRESS_SPACE (1536ULL * 1024 * 1024)
#endif

/* Tells what libvips said, one line, for the server's log. */
static void log_vips_error(const char *what)
{
    const char *text = vips_error_buffer();
    char line[512];
    snprintf(line, sizeof line, "%s", text != NULL ? text : "");
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    fprintf(stderr, "image helper: %s: %s\n", what, line);
    vips_error_clear();
}

/*
 * The loader for the type, reading sequentially, stopping at the first
 * error, never through a temporary file (it could not open one anyway), and
 * shrinking while it decodes: JPEG by 1/2/4/8, WebP by any scale.
 */
static int load(void *buf, size_t len, image_type type, int shrink, double scale, VipsImage **out)
{
    switch (type) {
    case IMAGE_JPEG:
        return vips_jpegload_buffer(buf, len, out, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_ERROR,
                                    "memory", TRUE, "shrink", shrink, NULL);
    case IMAGE_PNG:
        return vips_pngload_buffer(buf, len, out, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_ERROR,
                                   "memory", TRUE, NULL);
    case IMAGE_WEBP:
        return vips_webpload_buffer(buf, len, out, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_ERROR,
                                    "memory", TRUE, "scale", scale, NULL);
    case IMAGE_NONE:
        break;
    }
    return -1;
}

/*
 * The largest JPEG shrink-on-load factor that keeps the long side at or
 * above the output size and the short side at least one pixel: libvips
 * rounds a shrunk side down, and a side of 0 fails its sanity assertion and
 * aborts the helper (a 4112x1 strip did; found by fuzz/image.c).
 */
static int jpeg_shrink_for(int width, int height)
{
    int side = width > height ? width : height;
    int short_side = width < height ? width : height;
    int shrink = 1;
    while (shrink < 8 && side / (shrink * 2) >= IMAGE_OUTPUT_SIDE && short_side / (shrink * 2) >= 1)
        shrink *= 2;
    return shrink;
}

/* The WebP scale that brings the long side to (just over) the output size; 1 when it is already smaller. */
static double webp_scale_for(int width, int height)
{
    int side = width > height ? width : height;
    return side > IMAGE_OUTPUT_SIDE ? (IMAGE_OUTPUT_SIDE + 1.0) / side : 1.0;
}

/* Fails with what libvips said, for the log. */
static image_status unreadable(const char *step)
{
    log_vips_error(step);
    return IMAGE_UNREADABLE;
}

/*
 * From the header in t[0] to the JPEG; t[1..] hold the steps (the caller
 * frees them with their scope).
 */
static image_status convert(void *buf, size_t len, image_type type, VipsImage **t, transcoded *out)
{
    VipsImage *in = t[0];
    int width = vips_image_get_width(in), height = vips_image_get_height(in);
    int shrink = type == IMAGE_JPEG ? jpeg_shrink_for(width, height) : 1;
    double scale = type == IMAGE_WEBP ? webp_scale_for(width, height) : 1.0;
    if (shrink > 1 || scale < 1.0) {
        if (load(buf, len, type, shrink, scale, &t[1]) != 0)
            return unreadable("shrink on load");
        in = t[1];
    }
    /* Fit within the output size (never enlarge), upright by the EXIF orientation. */
    if (vips_thumbnail_image(in, &t[2], IMAGE_OUTPUT_SIDE, "height", IMAGE_OUTPUT_SIDE, "size", VIPS_SIZE_DOWN,
                             NULL) != 0)
        return unreadable("resize");
    in = t[2];
    if (vips_image_hasalpha(in)) {
        VipsArrayDouble *white = vips_array_double_newv(1, 255.0);
        int rc = vips_flatten(in, &t[3], "background", white, NULL);
        vips_area_unref(VIPS_AREA(white));
        if (rc != 0)
            return unreadable("flatten");
        in = t[3];
    }
    if (vips_image_get_bands(in) != 1 || vips_image_get_format(in) != VIPS_FORMAT_UCHAR) {
        if (vips_colourspace(in, &t[4], VIPS_INTERPRETATION_sRGB, NULL) != 0 || vips_cast_uchar(t[4], &t[5], NULL) != 0)
            return unreadable("colour");
        in = t[5];
    }
    /* Decoding happens here, strip by strip; "strip" writes no EXIF, XMP, IPTC, ICC or comment. */
    if (vips_jpegsave_buffer(in, &out->jpeg, &out->len, "Q", IMAGE_JPEG_QUALITY, "strip", TRUE, "optimize_coding",
                             TRUE, "interlace", FALSE, NULL) != 0)
        return unreadable("decode");
    out->width = vips_image_get_width(in);
    out->height = vips_image_get_height(in);
    return IMAGE_OK;
}

image_status image_worker_transcode(void *buf, size_t len, image_type type, transcoded *out)
{
    VipsObject *scope = VIPS_OBJECT(vips_image_new());
    VipsImage **t = (VipsImage **)vips_object_local_array(scope, 8);
    image_status status;
    /* The header only: libvips decodes no pixel until the pipeline is written. */
    if (load(buf, len, type, 1, 1.0, &t[0]) != 0) {
        status = unreadable("header");
    } else {
        int width = vips_image_get_width(t[0]), height = vips_image_get_height(t[0]);
        status = image_check_dimensions(width, height);
        if (status != IMAGE_OK)
            fprintf(stderr, "image helper: refused %dx%d\n", width, height);
        else
            status = convert(buf, len, type, t, out);
    }
    g_object_unref(scope);
    return status;
}

static bool answer(image_status status, const transcoded *t)
{
    bool ok = status == IMAGE_OK && t->len > 0 && t->len <= IMAGE_OUTPUT_MAX_BYTES;
    image_frame f = {IMAGE_RESPONSE_MAGIC, ok ? IMAGE_OK : (status == IMAGE_OK ? IMAGE_FAILED : status),
                     ok ? (uint32_t)t->width : 0, ok ? (uint32_t)t->height : 0, ok ? (uint32_t)t->len : 0};
    uint8_t header[IMAGE_FRAME_HEADER_BYTES];
    image_header_encode(&f, header);
    return confine_write_all(WORKER_FD, header, sizeof header) && (!ok || confine_write_all(WORKER_FD, t->jpeg, t->len));
}

bool image_worker_init_vips(const char *argv0)
{
    /*
     * No home, so no loadable modules (ImageMagick, poppler, HEIF, OpenSlide,
     * JPEG XL): only the built-in JPEG, PNG and WebP loaders are ever wanted,
     * and the others' code is not even mapped.
     */
    setenv("VIPSHOME", "/nonexistent", 1);
    if (VIPS_INIT(argv0) != 0) {
        log_vips_error("cannot start libvips");
        return false;
    }
    vips_concurrency_set(1);
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    vips_cache_set_max_files(0);
    vips_block_untrusted_set(TRUE);
    vips_vector_set_enabled(FALSE);
    vips_leak_set(FALSE);
    return true;
}

int image_worker_main(int argc, char **argv)
{
    long delay_ms = 0;
    if (!confine_worker_options(argc, argv, &delay_ms)) {
        fprintf(stderr, "usage: kite image-worker [--test-delay-ms N]   (started by kite serve, not by people)\n");
        return 2;
    }
    confine_close_fds();
    if (confine_drop_privileges() != KITE_OK)
        _exit(1);
    confine_die_with_parent();
    if (!image_worker_init_vips("kite-image-worker"))
        _exit(1);
    confine_limits limits = {WORKER_ADDRESS_SPACE, WORKER_CPU_SECONDS, WORKER_OPEN_FILES};
    if (confine_set_limits(&limits) != KITE_OK || confine_seccomp() != KITE_OK)
        _exit(1);

    /* Confined from here on. */
    uint8_t header[IMAGE_FRAME_HEADER_BYTES];
    image_frame req;
    if (!confine_read_all(WORKER_FD, header, sizeof header) ||
        !image_header_decode(header, IMAGE_REQUEST_MAGIC, IMAGE_UPLOAD_MAX_BYTES, &req) || req.length == 0 ||
        req.code > IMAGE_WEBP) {
        fprintf(stderr, "image helper: malformed request\n");
        _exit(2);
    }
    void *buf = malloc(req.length);
    if (buf == NULL || !confine_read_all(WORKER_FD, buf, req.length)) {
        fprintf(stderr, "image helper: request cut short\n");
        _exit(2);
    }
    confine_test_delay(delay_ms);
    transcoded t = {0};
    image_type type = image_sniff(buf, req.length);
    image_status status =
        type == (image_type)req.code ? image_worker_transcode(buf, req.length, type, &t) : IMAGE_TYPE_MISMATCH;
    bool sent = answer(status, &t);
    g_free(t.jpeg);
    free(buf);
    _exit(sent ? 0 : 3);
}
