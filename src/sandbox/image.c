/*
 * image.c - photo types by their bytes, dimension bounds, protocol frames.
 *
 * SECURITY: the input is a photo from the network or a frame from a helper
 * that a hostile photo may control.  Nothing here decodes pixels: sniffing
 * compares at most the first 12 bytes, and only within len; frame headers
 * are fixed-size and their lengths are checked against a cap.  Dimension
 * arithmetic is done in 64 bits on values already bounded per side, so it
 * cannot overflow.
 */
#include "sandbox/image.h"

#include <string.h>
#include <strings.h>

image_type image_sniff(const void *data, size_t len)
{
    const unsigned char *b = data;
    static const unsigned char png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (len >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
        return IMAGE_JPEG;
    if (len >= sizeof png && memcmp(b, png, sizeof png) == 0)
        return IMAGE_PNG;
    if (len >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
        return IMAGE_WEBP;
    return IMAGE_NONE;
}

image_type image_type_from_content_type(const char *content_type)
{
    static const struct { const char *name; image_type type; } types[] = {
        {"image/jpeg", IMAGE_JPEG}, {"image/png", IMAGE_PNG}, {"image/webp", IMAGE_WEBP},
    };
    if (content_type == NULL)
        return IMAGE_NONE;
    size_t len = strcspn(content_type, ";");
    while (len > 0 && (content_type[len - 1] == ' ' || content_type[len - 1] == '\t'))
        len--;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strlen(types[i].name) == len && strncasecmp(content_type, types[i].name, len) == 0)
            return types[i].type;
    return IMAGE_NONE;
}

const char *image_type_mime(image_type type)
{
    switch (type) {
    case IMAGE_JPEG: return "image/jpeg";
    case IMAGE_PNG: return "image/png";
    case IMAGE_WEBP: return "image/webp";
    case IMAGE_NONE: break;
    }
    return "application/octet-stream";
}

image_status image_check_dimensions(int64_t width, int64_t height)
{
    if (width < 1 || height < 1)
        return IMAGE_UNREADABLE;
    if (width > IMAGE_MAX_SIDE || height > IMAGE_MAX_SIDE || width * height > IMAGE_MAX_PIXELS)
        return IMAGE_TOO_MANY_PIXELS;
    return IMAGE_OK;
}

image_status image_precheck(const void *data, size_t len, image_type claimed, image_type *sniffed)
{
    *sniffed = IMAGE_NONE;
    if (len == 0)
        return IMAGE_EMPTY;
    if (len > IMAGE_UPLOAD_MAX_BYTES)
        return IMAGE_TOO_LARGE;
    *sniffed = image_sniff(data, len);
    if (*sniffed == IMAGE_NONE)
        return IMAGE_UNKNOWN_TYPE;
    if (claimed != IMAGE_NONE && claimed != *sniffed)
        return IMAGE_TYPE_MISMATCH;
    return IMAGE_OK;
}

const char *image_status_message(image_status status)
{
    switch (status) {
    case IMAGE_OK: return "The photo was accepted.";
    case IMAGE_EMPTY: return "The photo is empty (zero bytes). Choose the picture again and send it.";
    case IMAGE_UNKNOWN_TYPE:
        return "This file is not a JPEG, PNG or WebP picture. Send a photo in one of those formats.";
    case IMAGE_TYPE_MISMATCH:
        return "The file's contents do not match its declared type. Send the photo with the Content-Type of its "
               "real format (image/jpeg, image/png or image/webp).";
    case IMAGE_TOO_LARGE: return "The photo is larger than 10 MiB. Send a smaller photo.";
    case IMAGE_TOO_MANY_PIXELS:
        return "The photo has too many pixels (at most 10000 on a side and 50 megapixels). Send a smaller photo.";
    case IMAGE_UNREADABLE:
        return "The photo could not be read: it is damaged or incomplete. Save it again as JPEG and send it again.";
    case IMAGE_FAILED:
        return "Kite could not process this photo. Save it again as JPEG and try again, or send another picture.";
    case IMAGE_STATUS_COUNT: break;
    }
    return "This file is not a photo Kite can accept.";
}

static void put_u32(uint8_t *out, uint32_t v)
{
    out[0] = (uint8_t)v;
    out[1] = (uint8_t)(v >> 8);
    out[2] = (uint8_t)(v >> 16);
    out[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *in)
{
    return (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 | (uint32_t)in[3] << 24;
}

void image_header_encode(const image_frame *frame, uint8_t out[IMAGE_FRAME_HEADER_BYTES])
{
    put_u32(out, frame->magic);
    put_u32(out + 4, frame->code);
    put_u32(out + 8, frame->width);
    put_u32(out + 12, frame->height);
    put_u32(out + 16, frame->length);
}

bool image_header_decode(const uint8_t in[IMAGE_FRAME_HEADER_BYTES], uint32_t magic, uint32_t max_length,
                         image_frame *frame)
{
    frame->magic = get_u32(in);
    frame->code = get_u32(in + 4);
    frame->width = get_u32(in + 8);
    frame->height = get_u32(in + 12);
    frame->length = get_u32(in + 16);
    return frame->magic == magic && frame->length <= max_length;
}
