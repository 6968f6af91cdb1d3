/*
 * video.c - fuzzes the video path: what the server checks before a helper
 * sees an upload (video_precheck, video_sniff, the frame header the helper
 * reads first), how the server splits a helper's answer
 * (video_answer_split, fed the input as if a subverted helper had said it),
 * and the helper's transcode itself (video_worker_transcode: libavformat's
 * Matroska and MOV demuxers, the VP8, VP9, H.264, HEVC, Opus, Vorbis and
 * AAC decoders, the scaler, the resampler, the VP8/Opus encoders and the
 * WebM muxer, as Kite drives them).
 *
 * Design: as fuzz/image.c, the helper's work runs in-process; the process
 * boundary and seccomp (sandbox/video_worker.c) are not the code under
 * test, and a fork per input would cut the executions a hundredfold.  The
 * seeds in fuzz/corpus/video are made by fuzz/make-video-corpus.sh.
 *
 * Contract checked: a video accepted by the precheck and transcoded comes
 * back as a WebM (EBML magic) with a JPEG poster, both non-empty and within
 * their caps, even sides of at most VIDEO_OUTPUT_SIDE, and a duration
 * within the limit; an answer video_answer_split accepts lies within the
 * bytes it was given.
 */
#include "sandbox/image.h"
#include "sandbox/video.h"
#include "sandbox/video_worker.h"

#include <libavutil/log.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    av_log_set_level(AV_LOG_QUIET);
    return 0;
}

static void check_answer(const uint8_t *data, size_t size)
{
    video_answer a;
    if (!video_answer_split(data, size, &a))
        return;
    if (a.poster != data + 8 || a.poster_len + a.webm_len + 8 != size || a.webm != a.poster + a.poster_len ||
        a.duration_ms == 0 || a.duration_ms > VIDEO_MAX_MS + VIDEO_SLACK_MS)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_answer(data, size);
    if (size >= IMAGE_FRAME_HEADER_BYTES) {
        image_frame f;
        if (image_header_decode(data, VIDEO_REQUEST_MAGIC, VIDEO_UPLOAD_MAX_BYTES, &f) &&
            f.length > VIDEO_UPLOAD_MAX_BYTES)
            abort();
    }
    video_type sniffed;
    if (video_precheck(data, size, VIDEO_NONE, &sniffed) != VIDEO_OK)
        return 0;
    if (sniffed == VIDEO_NONE || sniffed != video_sniff(data, size))
        abort();
    video_transcoded t;
    video_status status = video_worker_transcode(data, size, sniffed, &t);
    if (status == VIDEO_OK) {
        if (t.webm == NULL || t.webm_len == 0 || video_sniff(t.webm, t.webm_len) != VIDEO_WEBM ||
            t.poster == NULL || t.poster_len < 3 || t.poster[0] != 0xFF || t.poster[1] != 0xD8 ||
            t.poster_len > VIDEO_POSTER_MAX_BYTES || t.webm_len + t.poster_len + 8 > VIDEO_OUTPUT_MAX_BYTES ||
            t.width < 2 || t.height < 2 || t.width > VIDEO_OUTPUT_SIDE || t.height > VIDEO_OUTPUT_SIDE ||
            (t.width & 1) != 0 || (t.height & 1) != 0 || t.duration_ms == 0 ||
            t.duration_ms > VIDEO_MAX_MS + VIDEO_SLACK_MS)
            abort();
    } else if (t.webm != NULL || t.poster != NULL || status >= VIDEO_STATUS_COUNT) {
        abort();
    }
    video_transcoded_free(&t);
    return 0;
}
