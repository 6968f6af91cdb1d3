/*
 * video.h - what Kite accepts as a video message, and the words the server
 * and its video helper exchange.
 *
 * Design: a video is transcoded only inside a separate, confined helper
 * process (video_worker.c, `kite video-worker`), started and watched by the
 * same plumbing as the photo helper (image_sandbox.c, one fresh process per
 * upload).  This header holds what both sides share and what is safe to do
 * in the server itself: recognising a container by its first bytes, the
 * bounds, and the layout of the helper's answer.  Pure functions: no libav,
 * no I/O, no allocation.
 *
 * Protocol: the frame header of image.h with the video magics.
 *
 *   request:  "KVQ1" | video_type   | max side | max ms | length | upload
 *   response: "KVR1" | video_status | width    | height | length | body
 *   body:     duration ms (u32) | poster length (u32) | poster JPEG | WebM
 *
 * SECURITY: video_sniff() reads bytes from the network and
 * video_answer_split() bytes from a helper that may have been subverted by
 * a hostile file: both compare bytes at fixed offsets within the length
 * given and check every length against the caps before use.
 */
#ifndef KITE_SANDBOX_VIDEO_H
#define KITE_SANDBOX_VIDEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum video_type {
    VIDEO_NONE = 0,
    VIDEO_WEBM, /* Matroska/WebM: what Chromium's and Firefox's MediaRecorder make */
    VIDEO_MP4,  /* ISO base media (MP4) and QuickTime (MOV): what phones make */
} video_type;

enum {
    VIDEO_UPLOAD_MAX_BYTES = 50 * 1024 * 1024, /* an upload */
    VIDEO_MAX_MS = 30000,                      /* the message's length as the sender is told */
    VIDEO_SLACK_MS = 500,                      /* a recording stopped at 30 s ends a few frames later */
    VIDEO_MAX_SIDE = 4096,                     /* declared width or height of the input */
    VIDEO_MAX_FPS = 120,                       /* declared frame rate of the input */
    VIDEO_MAX_STREAMS = 8,                     /* phones add metadata tracks beside video and audio */
    VIDEO_OUTPUT_SIDE = 640,                   /* the long side of what Kite keeps */
    VIDEO_OUTPUT_FPS = 30,
    VIDEO_OUTPUT_VIDEO_KBPS = 600,
    VIDEO_OUTPUT_AUDIO_KBPS = 48,
    VIDEO_OUTPUT_MAX_BYTES = 8 * 1024 * 1024,  /* a helper's whole answer; 30 s at the caps is about 2.5 MiB */
    VIDEO_POSTER_MAX_BYTES = 1024 * 1024,
};

#define VIDEO_REQUEST_MAGIC 0x3151564BU  /* "KVQ1" little-endian */
#define VIDEO_RESPONSE_MAGIC 0x3152564BU /* "KVR1" little-endian */

/* The helper's verdict on one video.  Values travel in the protocol: append only. */
typedef enum video_status {
    VIDEO_OK = 0,
    VIDEO_EMPTY,             /* no bytes at all */
    VIDEO_UNKNOWN_TYPE,      /* its bytes are not WebM/Matroska, MP4 or MOV */
    VIDEO_TYPE_MISMATCH,     /* its bytes are one container, its Content-Type another */
    VIDEO_TOO_LARGE,         /* more bytes than VIDEO_UPLOAD_MAX_BYTES */
    VIDEO_TOO_LONG,          /* longer than VIDEO_MAX_MS (+ slack) */
    VIDEO_TOO_MANY_PIXELS,   /* dimensions beyond VIDEO_MAX_SIDE or frame rate beyond VIDEO_MAX_FPS */
    VIDEO_UNSUPPORTED_CODEC, /* a codec outside the allow-list, or too many streams */
    VIDEO_NO_VIDEO,          /* no video stream (audio only) or not one frame in it */
    VIDEO_UNREADABLE,        /* the demuxer or decoder refused it: corrupt or truncated */
    VIDEO_FAILED,            /* the helper died, was killed or ran out of time on it */
    VIDEO_STATUS_COUNT
} video_status;

/* The container its first bytes announce, or VIDEO_NONE. */
video_type video_sniff(const void *data, size_t len);
/*
 * The container a Content-Type names (video/webm, video/x-matroska,
 * video/mp4, video/quicktime; case-insensitive, parameters such as
 * ";codecs=vp8,opus" ignored), or VIDEO_NONE for anything else and NULL.
 */
video_type video_type_from_content_type(const char *content_type);
/* Size, then container by its bytes against the claimed one: VIDEO_OK with *sniffed set, or why not. */
video_status video_precheck(const void *data, size_t len, video_type claimed, video_type *sniffed);
/* The long side fitted into VIDEO_OUTPUT_SIDE, both sides even and at least 2, aspect kept. */
void video_output_size(int width, int height, int *out_width, int *out_height);

/* The helper's answer body, split and checked: false when any part does not hold up. */
typedef struct video_answer {
    uint32_t duration_ms;
    const uint8_t *poster; /* JPEG */
    size_t poster_len;
    const uint8_t *webm;
    size_t webm_len;
} video_answer;
bool video_answer_split(const uint8_t *body, size_t len, video_answer *out);
/* The body for an answer: 8 bytes of lengths to write before the poster and the WebM. */
void video_answer_prefix(uint32_t duration_ms, uint32_t poster_len, uint8_t out[8]);

#endif
