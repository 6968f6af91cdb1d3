/*
 * attachments.c - photo uploads and downloads.
 *
 * POST /api/v1/attachments takes the photo itself as the body (not JSON,
 * not multipart) with Content-Type image/jpeg, image/png or image/webp, up
 * to IMAGE_UPLOAD_MAX_BYTES (api_max_body_for raises the server's body cap
 * for this one route).  GET /api/v1/attachments/{id} answers the JPEG Kite
 * stored.
 *
 * SECURITY: the body is a hostile file until the image sandbox has turned
 * it into a JPEG; nothing here looks into it beyond its length.  Uploads are
 * for signed-in contacts and residents only.  Downloads are served as
 * image/jpeg with nosniff, a sandboxing Content-Security-Policy and an
 * attachment filename, and answer 404 to anyone who may not see them.
 */
#include "api/app.h"

#include "domain/messaging/attachment.h"

#include <inttypes.h>
#include <string.h>

#define PARTIES (ROLE_BIT(ROLE_CONTACT) | ROLE_BIT(ROLE_RESIDENT))

size_t api_max_body_for(const char *method, const char *path)
{
    return strcmp(method, "POST") == 0 && strcmp(path, "/api/v1/attachments") == 0 ? IMAGE_UPLOAD_MAX_BYTES : 0;
}

static json_t *attachment_to_json(const attachment *at)
{
    return json_pack("{s:I, s:s, s:I, s:I, s:I, s:s, s:o, s:o}", "id", (json_int_t)at->id, "content_type",
                     at->content_type, "width", (json_int_t)at->width, "height", (json_int_t)at->height,
                     "size_bytes", (json_int_t)at->size_bytes, "sha256", at->sha256, "message_id",
                     at->message_id > 0 ? json_integer(at->message_id) : json_null(), "created_at",
                     json_time(at->created_at));
}

void handle_attachments_create(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, PARTIES);
    if (s == NULL)
        return;
    image_type claimed = image_type_from_content_type(http_header(req, "Content-Type"));
    if (claimed == IMAGE_NONE) {
        reply_fault_of(req, KITE_ERR_UNSUPPORTED_MEDIA_TYPE, NULL, FAULT_UPLOADS);
        return;
    }
    size_t len;
    const char *body = http_body(req, &len);
    attachment at;
    kite_fault fault;
    kite_err err = attachment_upload(&app->ctx, http_arena(req), app->images, &s->account, body, len, claimed, &at,
                                     &fault);
    if (err != KITE_OK)
        reply_fault(req, &fault);
    else {
        http_reply_header(req, "Location", arena_sprintf(http_arena(req), "/api/v1/attachments/%" PRId64, at.id));
        http_reply_json(req, 201, attachment_to_json(&at));
    }
}

void handle_attachments_get(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_session_or_reply(req, app);
    int64_t id;
    if (s == NULL || !param_id_or_reply(req, 0, &id))
        return;
    attachment at;
    kite_err err = attachment_get(&app->ctx, http_arena(req), &s->account, id, &at);
    if (err == KITE_ERR_FORBIDDEN) { /* staff, and the photo is privileged legal mail's */
        reply_fault_of(req, err, NULL, FAULT_PRIVILEGED);
        return;
    }
    if (err == KITE_ERR_GONE) {
        reply_fault_of(req, err, NULL, FAULT_PHOTO_PURGED);
        return;
    }
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    http_reply_header(req, "Content-Disposition",
                      arena_sprintf(http_arena(req), "inline; filename=\"kite-photo-%" PRId64 ".jpg\"", at.id));
    http_reply_header(req, "Content-Security-Policy", "default-src 'none'; sandbox");
    http_reply_bytes(req, 200, at.content_type, at.data, (size_t)at.size_bytes);
}
