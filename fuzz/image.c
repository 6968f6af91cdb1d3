/*
 * image.c - fuzzes the photo path: what the server checks before a helper
 * sees an upload (image_precheck, image_sniff, the frame header the helper
 * reads first) and the helper's decode path itself (image_worker_transcode:
 * libvips' JPEG, PNG and WebP loaders, shrink, rotate, flatten, re-encode).
 *
 * Design: the helper's work runs in-process.  In production it runs in a
 * confined child (sandbox/image_worker.c); the process boundary and seccomp
 * are not the code under test, the decoders and Kite's use of them are, and
 * a fork per input would cut the executions a hundredfold.  libvips is set up
 * exactly as the helper sets it up (image_worker_init_vips).
 *
 * Contract checked: a photo accepted by the precheck and transcoded comes
 * back as a JPEG (FF D8 ... FF D9) that is not empty, no larger than
 * IMAGE_OUTPUT_MAX_BYTES, with a long side of at most IMAGE_OUTPUT_SIDE and
 * the dimensions the helper reports; a frame header survives an encode and
 * decode unchanged.  The video helper has its own driver, fuzz/video.c.
 */
#include "sandbox/image.h"
#include "sandbox/image_worker.h"

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    if (!image_worker_init_vips((*argv)[0]))
        abort();
    return 0;
}

static void check_frame(const uint8_t *data, size_t size)
{
    if (size < IMAGE_FRAME_HEADER_BYTES)
        return;
    image_frame f;
    bool ok = image_header_decode(data, IMAGE_REQUEST_MAGIC, IMAGE_UPLOAD_MAX_BYTES, &f);
    if (ok && (f.magic != IMAGE_REQUEST_MAGIC || f.length > IMAGE_UPLOAD_MAX_BYTES))
        abort();
    uint8_t again[IMAGE_FRAME_HEADER_BYTES];
    image_header_encode(&f, again);
    if (memcmp(again, data, sizeof again) != 0)
        abort(); /* decode then encode is the identity on the 20 bytes */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_frame(data, size);
    image_type sniffed;
    image_status pre = image_precheck(data, size, IMAGE_NONE, &sniffed);
    if (pre != IMAGE_OK)
        return 0;
    if (sniffed != image_sniff(data, size) || sniffed == IMAGE_NONE)
        abort();
    /* libvips may keep pointers into the buffer while it decodes: a private copy, as the helper reads one. */
    void *buf = malloc(size);
    memcpy(buf, data, size);
    transcoded t = {0};
    image_status status = image_worker_transcode(buf, size, sniffed, &t);
    if (status == IMAGE_OK) {
        const uint8_t *j = t.jpeg;
        if (t.len < 4 || t.len > IMAGE_OUTPUT_MAX_BYTES || j[0] != 0xFF || j[1] != 0xD8 || j[t.len - 2] != 0xFF ||
            j[t.len - 1] != 0xD9)
            abort();
        if (t.width < 1 || t.height < 1 || t.width > IMAGE_OUTPUT_SIDE || t.height > IMAGE_OUTPUT_SIDE)
            abort();
        if (image_sniff(t.jpeg, t.len) != IMAGE_JPEG)
            abort();
    } else if (status != IMAGE_UNREADABLE && status != IMAGE_TOO_MANY_PIXELS) {
        abort(); /* the only refusals the decode path has */
    }
    g_free(t.jpeg);
    free(buf);
    return 0;
}
