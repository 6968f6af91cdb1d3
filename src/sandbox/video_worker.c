/*
 * video_worker.c - the confined video helper's life: `kite video-worker`.
 *
 * Design: one process per video, started by the server's helper plumbing
 * (image_sandbox.c) with a socket on descriptor 0, /dev/null on 1 and a
 * pipe on 2 (its log).  It closes every other descriptor, drops root, dies
 * with its parent, quietens libav's log to errors only, sets its own limits
 * (more CPU time than a photo's helper: a video is up to 30 s of frames to
 * decode and encode; the server's wall-clock timeout stops it sooner) and
 * installs the same seccomp allow-list as the photo helper before it reads
 * a byte of the upload.  The transcode itself is video_transcode.c.  The
 * answer (video.h) goes back on descriptor 0 and the process leaves with
 * _exit.
 *
 * SECURITY: everything confine.h promises holds here: no files, no network,
 * no exec, no executable memory, bounded memory (outside AddressSanitizer
 * builds) and CPU, and only one frame to say to a server that checks it.
 * The request frame is validated (magic, type, length cap) before anything
 * is allocated for the upload.
 */
#include "sandbox/video_worker.h"

#include "sandbox/confine.h"
#include "sandbox/image.h"

#include <libavutil/log.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { WORKER_FD = 0, WORKER_CPU_SECONDS = 60, WORKER_OPEN_FILES = 16 };
#if defined(__SANITIZE_ADDRESS__)
#define WORKER_ADDRESS_SPACE 0ULL
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WORKER_ADDRESS_SPACE 0ULL
#endif
#endif
#ifndef WORKER_ADDRESS_SPACE
/* A 4096x4096 H.264 stream's reference frames, the scalers and encoders, and the 50 MiB upload. */
#define WORKER_ADDRESS_SPACE (2048ULL * 1024 * 1024)
#endif

static bool answer(video_status status, const video_transcoded *t)
{
    size_t body = 8 + t->poster_len + t->webm_len;
    bool ok = status == VIDEO_OK && t->webm_len > 0 && t->poster_len > 0 && body <= VIDEO_OUTPUT_MAX_BYTES;
    image_frame f = {VIDEO_RESPONSE_MAGIC, ok ? VIDEO_OK : (status == VIDEO_OK ? VIDEO_FAILED : status),
                     ok ? (uint32_t)t->width : 0, ok ? (uint32_t)t->height : 0, ok ? (uint32_t)body : 0};
    uint8_t header[IMAGE_FRAME_HEADER_BYTES], prefix[8];
    image_header_encode(&f, header);
    if (!confine_write_all(WORKER_FD, header, sizeof header))
        return false;
    if (!ok)
        return true;
    video_answer_prefix(t->duration_ms, (uint32_t)t->poster_len, prefix);
    return confine_write_all(WORKER_FD, prefix, sizeof prefix) &&
           confine_write_all(WORKER_FD, t->poster, t->poster_len) && confine_write_all(WORKER_FD, t->webm, t->webm_len);
}

int video_worker_main(int argc, char **argv)
{
    long delay_ms = 0;
    if (!confine_worker_options(argc, argv, &delay_ms)) {
        fprintf(stderr, "usage: kite video-worker [--test-delay-ms N]   (started by kite serve, not by people)\n");
        return 2;
    }
    confine_close_fds();
    if (confine_drop_privileges() != KITE_OK)
        _exit(1);
    confine_die_with_parent();
    av_log_set_level(AV_LOG_ERROR);
    confine_limits limits = {WORKER_ADDRESS_SPACE, WORKER_CPU_SECONDS, WORKER_OPEN_FILES};
    if (confine_set_limits(&limits) != KITE_OK || confine_seccomp() != KITE_OK)
        _exit(1);

    /* Confined from here on. */
    uint8_t header[IMAGE_FRAME_HEADER_BYTES];
    image_frame req;
    if (!confine_read_all(WORKER_FD, header, sizeof header) ||
        !image_header_decode(header, VIDEO_REQUEST_MAGIC, VIDEO_UPLOAD_MAX_BYTES, &req) || req.length == 0 ||
        req.code < VIDEO_WEBM || req.code > VIDEO_MP4) {
        fprintf(stderr, "video helper: malformed request\n");
        _exit(2);
    }
    void *buf = malloc(req.length);
    if (buf == NULL || !confine_read_all(WORKER_FD, buf, req.length)) {
        fprintf(stderr, "video helper: request cut short\n");
        _exit(2);
    }
    confine_test_delay(delay_ms);
    video_transcoded t;
    video_status status = video_worker_transcode(buf, req.length, (video_type)req.code, &t);
    bool sent = answer(status, &t);
    video_transcoded_free(&t);
    free(buf);
    _exit(sent ? 0 : 3);
}
