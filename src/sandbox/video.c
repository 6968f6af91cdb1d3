/*
 * video.c - recognising a video container, the bounds, and the helper's
 * answer layout.  See video.h.
 *
 * SECURITY: reads untrusted bytes only at fixed offsets inside the given
 * length; every length read from the helper's answer is compared with what
 * remains before it is used.
 */
#include "sandbox/video.h"

#include <string.h>
#include <strings.h>

video_type video_sniff(const void *data, size_t len)
{
    const unsigned char *p = data;
    static const unsigned char ebml[4] = {0x1A, 0x45, 0xDF, 0xA3};
    if (p == NULL)
        return VIDEO_NONE;
    if (len >= 4 && memcmp(p, ebml, 4) == 0)
        return VIDEO_WEBM;
    /* ISO base media: a box size, then its type; phones start with ftyp, old QuickTime with moov/wide/free/mdat. */
    static const char *const boxes[] = {"ftyp", "moov", "wide", "free", "mdat"};
    for (size_t i = 0; len >= 12 && i < sizeof boxes / sizeof boxes[0]; i++)
        if (memcmp(p + 4, boxes[i], 4) == 0)
            return VIDEO_MP4;
    return VIDEO_NONE;
}

video_type video_type_from_content_type(const char *content_type)
{
    static const struct { const char *name; video_type type; } types[] = {
        {"video/webm", VIDEO_WEBM}, {"video/x-matroska", VIDEO_WEBM}, {"video/mp4", VIDEO_MP4},
        {"video/quicktime", VIDEO_MP4},
    };
    if (content_type == NULL)
        return VIDEO_NONE;
    size_t len = strcspn(content_type, ";");
    while (len > 0 && (content_type[len - 1] == ' ' || content_type[len - 1] == '\t'))
        len--;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strlen(types[i].name) == len && strncasecmp(content_type, types[i].name, len) == 0)
            return types[i].type;
    return VIDEO_NONE;
}

video_status video_precheck(const void *data, size_t len, video_type claimed, video_type *sniffed)
{
    *sniffed = VIDEO_NONE;
    if (len == 0)
        return VIDEO_EMPTY;
    if (len > VIDEO_UPLOAD_MAX_BYTES)
        return VIDEO_TOO_LARGE;
    *sniffed = video_sniff(data, len);
    if (*sniffed == VIDEO_NONE)
        return VIDEO_UNKNOWN_TYPE;
    if (claimed != VIDEO_NONE && claimed != *sniffed)
        return VIDEO_TYPE_MISMATCH;
    return VIDEO_OK;
}

void video_output_size(int width, int height, int *out_width, int *out_height)
{
    int w = width < 2 ? 2 : width, h = height < 2 ? 2 : height;
    int side = w > h ? w : h;
    if (side > VIDEO_OUTPUT_SIDE) {
        w = (int)((long long)w * VIDEO_OUTPUT_SIDE / side);
        h = (int)((long long)h * VIDEO_OUTPUT_SIDE / side);
    }
    *out_width = w < 2 ? 2 : w & ~1;
    *out_height = h < 2 ? 2 : h & ~1;
}

static uint32_t get_u32(const uint8_t *in)
{
    return (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 | (uint32_t)in[3] << 24;
}

static void put_u32(uint8_t *out, uint32_t v)
{
    out[0] = (uint8_t)v;
    out[1] = (uint8_t)(v >> 8);
    out[2] = (uint8_t)(v >> 16);
    out[3] = (uint8_t)(v >> 24);
}

void video_answer_prefix(uint32_t duration_ms, uint32_t poster_len, uint8_t out[8])
{
    put_u32(out, duration_ms);
    put_u32(out + 4, poster_len);
}

bool video_answer_split(const uint8_t *body, size_t len, video_answer *out)
{
    static const unsigned char jpeg[3] = {0xFF, 0xD8, 0xFF};
    memset(out, 0, sizeof *out);
    if (body == NULL || len < 8)
        return false;
    out->duration_ms = get_u32(body);
    uint32_t poster_len = get_u32(body + 4);
    if (out->duration_ms == 0 || out->duration_ms > VIDEO_MAX_MS + VIDEO_SLACK_MS || poster_len < 3 ||
        poster_len > VIDEO_POSTER_MAX_BYTES || poster_len > len - 8)
        return false;
    out->poster = body + 8;
    out->poster_len = poster_len;
    out->webm = out->poster + poster_len;
    out->webm_len = len - 8 - poster_len;
    return memcmp(out->poster, jpeg, 3) == 0 && video_sniff(out->webm, out->webm_len) == VIDEO_WEBM;
}
