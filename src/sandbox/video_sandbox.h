/*
 * video_sandbox.h - the server's side of the video helper: checks an
 * upload, has a fresh confined `kite video-worker` transcode it (through
 * image_sandbox.h's helper plumbing, one process per video) and checks what
 * it answers.
 *
 * Thread-safe, as image_sandbox.h.
 */
#ifndef KITE_SANDBOX_VIDEO_SANDBOX_H
#define KITE_SANDBOX_VIDEO_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "sandbox/image_sandbox.h"
#include "sandbox/video.h"

/*
 * The defaults for the video helpers' sandbox: /proc/self/exe video-worker,
 * 2 helpers, 10 s wait for a free one, 120 s from start to answer (then
 * SIGKILL; the helper's own CPU limit is 60 s).
 */
void video_sandbox_config_defaults(image_sandbox_config *config);

typedef struct video_result {
    video_status status;    /* VIDEO_OK: the fields below describe what Kite keeps */
    uint32_t width, height; /* of the WebM and of its poster */
    uint32_t duration_ms;
    const void *webm;       /* WebM VP8 + Opus (arena) */
    size_t webm_len;
    const void *poster;     /* JPEG (arena) */
    size_t poster_len;
} video_result;

/*
 * Checks the upload (size, container by its bytes against claimed), then
 * has a fresh helper of helpers (a sandbox made with the video defaults)
 * transcode it.  KITE_OK with out->status the verdict (a helper that
 * crashed, was killed, timed out or answered nonsense gives VIDEO_FAILED
 * and is logged); KITE_ERR_BUSY when no helper was free in time;
 * KITE_ERR_INTERNAL when none could be started.
 */
kite_err video_sandbox_process(image_sandbox *helpers, arena *a, const void *data, size_t len, video_type claimed,
                               video_result *out) KITE_WUR;

#endif
