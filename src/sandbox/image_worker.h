/*
 * image_worker.h - the image helper: `kite image-worker`, started only by
 * image_sandbox.c, never by a person.
 *
 * It drops its privileges, initialises libvips, confines itself (confine.h),
 * then reads one request frame on descriptor 0, answers one response frame on
 * the same descriptor and exits.  See image.h for the protocol.
 */
#ifndef KITE_SANDBOX_IMAGE_WORKER_H
#define KITE_SANDBOX_IMAGE_WORKER_H

#include <stdbool.h>
#include <stddef.h>

#include "sandbox/image.h"

/* argv[0] is "image-worker".  Options: --test-delay-ms N (sleep before decoding; set by tests). */
int image_worker_main(int argc, char **argv);

/*
 * The two steps image_worker_main runs on the photo's bytes, public so the
 * decode path can be fuzzed in-process (fuzz/image.c) without the process
 * boundary, which is not the code under test.  Nothing else calls them: the
 * server's photos always go through the confined helper.
 */
typedef struct transcoded {
    void *jpeg; /* g_free */
    size_t len;
    int width, height;
} transcoded;
/* libvips as the helper sets it up: built-in loaders only, one thread, no cache, no code generation. */
bool image_worker_init_vips(const char *argv0);
/* The photo of the type its bytes announce, decoded, bounded and re-encoded as a JPEG into *out. */
image_status image_worker_transcode(void *buf, size_t len, image_type type, transcoded *out);

#endif
