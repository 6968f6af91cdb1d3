/*
 * video_worker.h - the video helper: `kite video-worker`, started only by
 * video_sandbox.c (through image_sandbox.c's helper plumbing), never by a
 * person.
 *
 * It drops its privileges, confines itself (confine.h) with its own limits,
 * then reads one request frame on descriptor 0, answers one response frame
 * on the same descriptor and exits.  See video.h for the protocol.
 */
#ifndef KITE_SANDBOX_VIDEO_WORKER_H
#define KITE_SANDBOX_VIDEO_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox/video.h"

/* argv[0] is "video-worker".  Options: --test-delay-ms N (sleep before decoding; set by tests). */
int video_worker_main(int argc, char **argv);

/*
 * The transcode video_worker_main runs on the upload, public so that the
 * unit tests and fuzz/video.c can drive it in-process.  Nothing else calls
 * it: the server's videos always go through the confined helper.
 */
typedef struct video_transcoded {
    uint8_t *webm; /* av_free */
    size_t webm_len;
    uint8_t *poster; /* JPEG; av_free */
    size_t poster_len;
    int width, height;
    uint32_t duration_ms;
} video_transcoded;
/* The upload of the container its bytes announce, checked, decoded and re-encoded as WebM VP8 + Opus. */
video_status video_worker_transcode(const void *buf, size_t len, video_type type, video_transcoded *out);
/* Frees what a transcode made; accepts an empty one. */
void video_transcoded_free(video_transcoded *t);

#endif
