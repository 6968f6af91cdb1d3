/*
 * video_sandbox.c - a video upload through the confined video helper.
 *
 * Design: the same one-helper-per-upload plumbing as photos
 * (image_sandbox_exchange), with its own command, slots and timeout.  What
 * is checked here, in the server, before a helper is spent: the size and
 * the container's magic against the claimed Content-Type.
 *
 * SECURITY: the helper has parsed a hostile file, so its answer is
 * untrusted: the frame's magic and length cap are checked by the plumbing,
 * and here the status, the dimensions against the output bounds, the
 * duration against the limit, the poster's JPEG magic and the WebM's EBML
 * magic (video_answer_split).  Anything else refuses the video
 * (VIDEO_FAILED), never the server.
 */
#include "sandbox/video_sandbox.h"

#include "core/log.h"

#include <inttypes.h>
#include <string.h>

void video_sandbox_config_defaults(image_sandbox_config *config)
{
    image_sandbox_config_defaults(config);
    config->command = "video-worker";
    config->max_workers = 2;
    config->wait_ms = 10000;
    config->timeout_ms = 120000;
    config->test_delay_ms = 0;
}

static const char *status_name(video_status status)
{
    static const char *const names[VIDEO_STATUS_COUNT] = {
        [VIDEO_OK] = "ok", [VIDEO_EMPTY] = "empty", [VIDEO_UNKNOWN_TYPE] = "unknown type",
        [VIDEO_TYPE_MISMATCH] = "type mismatch", [VIDEO_TOO_LARGE] = "too large", [VIDEO_TOO_LONG] = "too long",
        [VIDEO_TOO_MANY_PIXELS] = "too many pixels", [VIDEO_UNSUPPORTED_CODEC] = "unsupported codec",
        [VIDEO_NO_VIDEO] = "no video", [VIDEO_UNREADABLE] = "unreadable", [VIDEO_FAILED] = "failed",
    };
    return status < VIDEO_STATUS_COUNT ? names[status] : "?";
}

static video_status verdict(const helper_reply *r, video_result *out)
{
    const image_frame *f = &r->frame;
    if (f->code != VIDEO_OK)
        return f->code < VIDEO_STATUS_COUNT && f->length == 0 ? (video_status)f->code : VIDEO_FAILED;
    video_answer parts;
    if (f->width < 2 || f->width > VIDEO_OUTPUT_SIDE || f->height < 2 || f->height > VIDEO_OUTPUT_SIDE ||
        !video_answer_split(r->body, f->length, &parts))
        return VIDEO_FAILED;
    out->width = f->width;
    out->height = f->height;
    out->duration_ms = parts.duration_ms;
    out->webm = parts.webm;
    out->webm_len = parts.webm_len;
    out->poster = parts.poster;
    out->poster_len = parts.poster_len;
    return VIDEO_OK;
}

kite_err video_sandbox_process(image_sandbox *helpers, arena *a, const void *data, size_t len, video_type claimed,
                               video_result *out)
{
    memset(out, 0, sizeof *out);
    video_type type;
    out->status = video_precheck(data, len, claimed, &type);
    if (out->status != VIDEO_OK)
        return KITE_OK;
    image_frame req = {VIDEO_REQUEST_MAGIC, (uint32_t)type, VIDEO_OUTPUT_SIDE, VIDEO_MAX_MS, (uint32_t)len};
    helper_reply reply;
    kite_err err = image_sandbox_exchange(helpers, a, &req, data, VIDEO_RESPONSE_MAGIC, VIDEO_OUTPUT_MAX_BYTES, &reply);
    if (err != KITE_OK)
        return err;
    out->status = reply.complete ? verdict(&reply, out) : VIDEO_FAILED;
    if (reply.complete && out->status == VIDEO_FAILED)
        log_warn("video: a helper gave an answer that does not hold up; refused");
    else if (out->status != VIDEO_OK && reply.complete)
        log_info("video: refused (%s) in %" PRId64 " ms; %s", status_name(out->status), reply.took_ms, reply.log);
    else if (out->status == VIDEO_OK)
        log_info("video: %" PRIu32 "x%" PRIu32 " %" PRIu32 " ms, %zu bytes, in %" PRId64 " ms", out->width,
                 out->height, out->duration_ms, out->webm_len, reply.took_ms);
    return KITE_OK;
}
