/*
 * image.h - what Kite accepts as a photo, and the words the server and its
 * image helper exchange.
 *
 * Design: photos are decoded and re-encoded only inside a separate helper
 * process (image_worker.c), started and watched by image_sandbox.c.  This
 * header holds what both sides share and what is safe to do in the server
 * itself: recognising a type by its first bytes, checking declared
 * dimensions against the bounds, and the fixed-size frame header of the
 * protocol.  Pure functions: no libvips, no I/O, no allocation.
 *
 * Protocol (one exchange per helper, over a socket): the server writes a
 * request frame header and the photo's bytes; the helper answers with a
 * response frame header and, when the photo was accepted, the re-encoded
 * JPEG.  Integers are unsigned 32-bit little-endian.
 *
 *   request:  magic "KIQ1" | type        | max side | 0      | length | bytes
 *   response: magic "KIR1" | image_status | width    | height | length | JPEG
 *
 * SECURITY: image_sniff() and image_header_decode() read bytes from the
 * network (or from a helper that may have been subverted by a hostile
 * photo): they only compare bytes at fixed offsets within the length given,
 * and decoded lengths are checked against the caps below by the caller.
 */
#ifndef KITE_SANDBOX_IMAGE_H
#define KITE_SANDBOX_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum image_type {
    IMAGE_NONE = 0,
    IMAGE_JPEG,
    IMAGE_PNG,
    IMAGE_WEBP,
} image_type;

enum {
    IMAGE_UPLOAD_MAX_BYTES = 10 * 1024 * 1024, /* an upload, before any policy's own cap */
    IMAGE_MAX_SIDE = 10000,                    /* declared width or height */
    IMAGE_MAX_PIXELS = 50 * 1000 * 1000,       /* declared width x height (a 50 MP phone photo) */
    IMAGE_OUTPUT_SIDE = 2048,                  /* the long side of what Kite keeps */
    IMAGE_OUTPUT_MAX_BYTES = 8 * 1024 * 1024,  /* a helper's answer; a 2048 px JPEG is far smaller */
    IMAGE_JPEG_QUALITY = 85,
    IMAGE_FRAME_HEADER_BYTES = 20,
};

#define IMAGE_REQUEST_MAGIC 0x3151494BU  /* "KIQ1" little-endian */
#define IMAGE_RESPONSE_MAGIC 0x3152494BU /* "KIR1" little-endian */

/* The helper's verdict on one photo.  Values travel in the protocol: append only. */
typedef enum image_status {
    IMAGE_OK = 0,
    IMAGE_EMPTY,           /* no bytes at all */
    IMAGE_UNKNOWN_TYPE,    /* its bytes are not JPEG, PNG or WebP */
    IMAGE_TYPE_MISMATCH,   /* its bytes are one type, its Content-Type another */
    IMAGE_TOO_LARGE,       /* more bytes than IMAGE_UPLOAD_MAX_BYTES */
    IMAGE_TOO_MANY_PIXELS, /* declared dimensions beyond IMAGE_MAX_SIDE / IMAGE_MAX_PIXELS */
    IMAGE_UNREADABLE,      /* the decoder refused it: corrupt or truncated */
    IMAGE_FAILED,          /* the helper died, was killed or ran out of time on it */
    IMAGE_STATUS_COUNT
} image_status;

/* The type its first bytes announce, or IMAGE_NONE. */
image_type image_sniff(const void *data, size_t len);
/*
 * The type a Content-Type header names ("image/jpeg", "image/png",
 * "image/webp"; case-insensitive, parameters after ';' ignored), or
 * IMAGE_NONE for anything else and for NULL.
 */
image_type image_type_from_content_type(const char *content_type);
/* "image/jpeg" ...; "application/octet-stream" for IMAGE_NONE. */
const char *image_type_mime(image_type type);
/* IMAGE_OK, IMAGE_TOO_MANY_PIXELS, or IMAGE_UNREADABLE for a side below 1. */
image_status image_check_dimensions(int64_t width, int64_t height);
/*
 * Checks an upload before any helper sees it: size, then type by its bytes
 * against the claimed type (IMAGE_NONE: any of the three).  IMAGE_OK with
 * *sniffed set, or the reason it is refused.
 */
image_status image_precheck(const void *data, size_t len, image_type claimed, image_type *sniffed);
/* A sentence for the person who sent the photo: what is wrong and what to do.  Never NULL. */
const char *image_status_message(image_status status);

typedef struct image_frame {
    uint32_t magic;
    uint32_t code;   /* request: image_type;   response: image_status */
    uint32_t width;  /* request: longest side wanted; response: width */
    uint32_t height; /* request: 0;             response: height */
    uint32_t length; /* bytes that follow */
} image_frame;

void image_header_encode(const image_frame *frame, uint8_t out[IMAGE_FRAME_HEADER_BYTES]);
/* False when the magic is not the one expected or length exceeds max_length. */
bool image_header_decode(const uint8_t in[IMAGE_FRAME_HEADER_BYTES], uint32_t magic, uint32_t max_length,
                         image_frame *frame);

#endif
