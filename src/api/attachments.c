/*
 * attachments.c - photo and video uploads and downloads.
 *
 * POST /api/v1/attachments takes the photo or the video itself as the body
 * (not JSON, not multipart): Content-Type image/jpeg, image/png or
 * image/webp for a photo, up to IMAGE_UPLOAD_MAX_BYTES; video/webm (what
 * MediaRecorder makes, codecs parameter and all), video/mp4 or
 * video/quicktime for a video message, up to VIDEO_UPLOAD_MAX_BYTES
 * (api_max_body_for raises the server's body cap for this one route to the
 * larger of the two; a photo over its own cap is refused by the image
 * path).  GET /api/v1/attachments/{id} answers the JPEG or the WebM Kite
 * made, whole or one byte range (http/range.c: a <video> asks for ranges to
 * play and seek), with its SHA-256 as its entity tag; GET
 * /api/v1/attachments/{id}/poster a video's first frame as JPEG.
 *
 * SECURITY: the body is a hostile file until a confined helper has turned
 * it into a JPEG or a WebM; nothing here looks into it beyond its length.
 * Uploads are for signed-in contacts and residents only.  Downloads are
 * served with the type Kite wrote, nosniff, a sandboxing
 * Content-Security-Policy and a filename, and answer 404 to anyone who may
 * not see them (privileged legal mail: 403 to staff, as for photos).
 */
#include "api/app.h"

#include "domain/messaging/attachment.h"

#include <inttypes.h>
#include <string.h>

#define PARTIES (ROLE_BIT(ROLE_CONTACT) | ROLE_BIT(ROLE_RESIDENT))

size_t api_max_body_for(const char *method, const char *path)
{
    return strcmp(method, "POST") == 0 && strcmp(path, "/api/v1/attachments") == 0 ? VIDEO_UPLOAD_MAX_BYTES : 0;
}

static json_t *attachment_to_json(arena *a, const attachment *at)
{
    json_t *out = json_pack("{s:I, s:s, s:I, s:I, s:I, s:s, s:o, s:o}", "id", (json_int_t)at->id, "content_type",
                            at->content_type, "width", (json_int_t)at->width, "height", (json_int_t)at->height,
                            "size_bytes", (json_int_t)at->size_bytes, "sha256", at->sha256, "message_id",
                            at->message_id > 0 ? json_integer(at->message_id) : json_null(), "created_at",
                            json_time(at->created_at));
    json_object_set_new(out, "kind", json_string(attachment_kind_names[at->kind]));
    if (at->kind == ATTACHMENT_VIDEO) {
        json_object_set_new(out, "duration_ms", json_integer(at->duration_ms));
        json_object_set_new(out, "poster_url", json_string(arena_sprintf(a, "/api/v1/attachments/%" PRId64 "/poster", at->id)));
    }
    return out;
}

void handle_attachments_create(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, PARTIES);
    if (s == NULL)
        return;
    const char *content_type = http_header(req, "Content-Type");
    image_type claimed = image_type_from_content_type(content_type);
    video_type claimed_video = video_type_from_content_type(content_type);
    if (claimed == IMAGE_NONE && claimed_video == VIDEO_NONE) {
        reply_fault_of(req, KITE_ERR_UNSUPPORTED_MEDIA_TYPE, NULL, FAULT_UPLOAD_TYPE);
        return;
    }
    size_t len;
    const char *body = http_body(req, &len);
    attachment at;
    kite_fault fault;
    kite_err err = claimed != IMAGE_NONE
                       ? attachment_upload(&app->ctx, http_arena(req), app->images, &s->account, body, len, claimed,
                                           &at, &fault)
                       : attachment_upload_video(&app->ctx, http_arena(req), app->videos, &s->account, body, len,
                                                 claimed_video, &at, &fault);
    if (err != KITE_OK)
        reply_fault(req, &fault);
    else {
        http_reply_header(req, "Location", arena_sprintf(http_arena(req), "/api/v1/attachments/%" PRId64, at.id));
        http_reply_json(req, 201, attachment_to_json(http_arena(req), &at));
    }
}

/* The attachment for the caller (true), or the answer why not (false). */
static bool attachment_or_reply(http_request *req, kite_app *app, attachment *at)
{
    const session *s = require_session_or_reply(req, app);
    int64_t id;
    if (s == NULL || !param_id_or_reply(req, 0, &id))
        return false;
    kite_err err = attachment_get(&app->ctx, http_arena(req), &s->account, id, at);
    if (err == KITE_ERR_FORBIDDEN) /* staff, and the attachment is privileged legal mail's */
        reply_fault_of(req, err, NULL, FAULT_PRIVILEGED);
    else if (err == KITE_ERR_GONE)
        reply_fault_of(req, err, NULL, at->kind == ATTACHMENT_VIDEO ? FAULT_VIDEO_PURGED : FAULT_PHOTO_PURGED);
    else if (err != KITE_OK)
        reply_kite_error(req, err);
    return err == KITE_OK;
}

void handle_attachments_get(http_request *req, void *data)
{
    kite_app *app = data;
    attachment at;
    if (!attachment_or_reply(req, app, &at))
        return;
    bool video = at.kind == ATTACHMENT_VIDEO;
    http_reply_header(req, "Content-Disposition",
                      arena_sprintf(http_arena(req), "inline; filename=\"kite-%s-%" PRId64 ".%s\"",
                                    video ? "video" : "photo", at.id, video ? "webm" : "jpg"));
    http_reply_header(req, "Content-Security-Policy", "default-src 'none'; sandbox");
    /* A video plays and seeks by ranges; the file never changes, so its SHA-256 is its tag. */
    http_reply_file(req, at.content_type, at.data, (size_t)at.size_bytes,
                    arena_sprintf(http_arena(req), "\"%s\"", at.sha256));
}

void handle_attachments_poster(http_request *req, void *data)
{
    kite_app *app = data;
    attachment at;
    if (!attachment_or_reply(req, app, &at))
        return;
    if (at.kind != ATTACHMENT_VIDEO || at.poster == NULL) {
        reply_kite_error(req, KITE_ERR_NOT_FOUND);
        return;
    }
    http_reply_header(req, "Content-Disposition",
                      arena_sprintf(http_arena(req), "inline; filename=\"kite-video-%" PRId64 "-poster.jpg\"", at.id));
    http_reply_header(req, "Content-Security-Policy", "default-src 'none'; sandbox");
    http_reply_bytes(req, 200, "image/jpeg", at.poster, at.poster_len);
}
