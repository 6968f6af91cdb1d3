/*
 * attachment.c - storing re-encoded photos and video messages, and deciding
 * who may read them.
 *
 * SECURITY: the uploaded bytes are hostile until proven otherwise and are
 * never stored or parsed here: they go to the image or the video sandbox,
 * and only the JPEG, or the WebM and its JPEG poster, that it made (already
 * checked there as untrusted) are stored, with the SHA-256 of what is
 * served.  Reads answer "not found" to anyone who may not see the
 * attachment, so ids reveal nothing; staff reads leave an audit record.
 */
#include "domain/messaging/attachment.h"

#include "core/secret.h"
#include "domain/audit/audit.h"
#include "domain/messaging/message_store.h"
#include "sandbox/video_sandbox.h"

#include <inttypes.h>
#include <string.h>

#define DAY_MS (24LL * 60 * 60 * 1000)

static kite_err unsent_today(db_conn *conn, int64_t owner_id, int64_t now, int64_t *count)
{
    db_stmt *s = db_prepare(conn,
        "SELECT COUNT(*) FROM attachments WHERE owner_account_id = $1 AND message_id IS NULL AND created_at > $2");
    db_bind_int(s, 1, owner_id);
    db_bind_int(s, 2, now - DAY_MS);
    *count = db_next(s) ? db_int(s, 0) : 0;
    return db_done(s);
}

struct quota {
    int64_t owner_id;
    int64_t now;
    int64_t count;
};

static kite_err quota_tx(db_conn *conn, void *data)
{
    struct quota *q = data;
    return unsent_today(conn, q->owner_id, q->now, &q->count);
}

const char *const attachment_kind_names[ATTACHMENT_KIND_COUNT + 1] = {"photo", "video", NULL};

attachment_kind attachment_kind_parse(const char *name)
{
    for (int k = 0; name != NULL && k < ATTACHMENT_KIND_COUNT; k++)
        if (strcmp(attachment_kind_names[k], name) == 0)
            return (attachment_kind)k;
    return ATTACHMENT_PHOTO;
}

struct store_attachment {
    arena *a;
    const account *owner;
    const void *data; /* what Kite made: the JPEG, or the WebM */
    size_t len;
    int64_t now;
    attachment *out;  /* with poster and duration_ms for a video */
};

static kite_err store_tx(db_conn *conn, void *data)
{
    struct store_attachment *in = data;
    int64_t count;
    kite_err err = unsent_today(conn, in->owner->id, in->now, &count);
    if (err != KITE_OK)
        return err;
    if (count >= ATTACHMENT_UNSENT_PER_DAY)
        return KITE_ERR_THROTTLED;
    attachment *out = in->out;
    db_stmt *s = db_prepare(conn,
        "INSERT INTO attachments (owner_account_id, message_id, content_type, width, height, size_bytes, sha256, data,"
        " created_at, kind, duration_ms, poster) VALUES ($1, NULL, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        " RETURNING id");
    db_bind_int(s, 1, in->owner->id);
    db_bind_text(s, 2, out->content_type);
    db_bind_int(s, 3, out->width);
    db_bind_int(s, 4, out->height);
    db_bind_int(s, 5, out->size_bytes);
    db_bind_text(s, 6, out->sha256);
    db_bind_blob(s, 7, in->data, in->len);
    db_bind_int(s, 8, in->now);
    db_bind_text(s, 9, attachment_kind_names[out->kind]);
    if (out->kind == ATTACHMENT_VIDEO) {
        db_bind_int(s, 10, out->duration_ms);
        db_bind_blob(s, 11, out->poster, out->poster_len);
    } else {
        db_bind_null(s, 10);
        db_bind_null(s, 11);
    }
    out->id = db_next(s) ? db_int(s, 0) : 0;
    if ((err = db_done(s)) != KITE_OK)
        return err;
    return audit_append(conn, in->now, audit_actor_account(in->a, in->owner->id), "attachment.upload",
                        audit_target(in->a, "attachment", out->id),
                        arena_sprintf(in->a, "%s %" PRId64 "x%" PRId64 " %" PRId64 " bytes%s sha256=%s",
                                      attachment_kind_names[out->kind], out->width, out->height, out->size_bytes,
                                      out->kind == ATTACHMENT_VIDEO
                                          ? arena_sprintf(in->a, " %" PRId64 " ms", out->duration_ms)
                                          : "",
                                      out->sha256));
}

/* The helper's verdict as a fault, with the bounds its sentence names. */
static kite_err image_fault(image_status status, kite_fault *fault)
{
    static const fault_detail details[IMAGE_STATUS_COUNT] = {
        [IMAGE_EMPTY] = FAULT_IMAGE_EMPTY,
        [IMAGE_UNKNOWN_TYPE] = FAULT_IMAGE_UNKNOWN_TYPE,
        [IMAGE_TYPE_MISMATCH] = FAULT_IMAGE_TYPE_MISMATCH,
        [IMAGE_TOO_LARGE] = FAULT_IMAGE_TOO_LARGE,
        [IMAGE_TOO_MANY_PIXELS] = FAULT_IMAGE_TOO_MANY_PIXELS,
        [IMAGE_UNREADABLE] = FAULT_IMAGE_UNREADABLE,
        [IMAGE_FAILED] = FAULT_IMAGE_FAILED,
    };
    fault_detail detail = (int)status > 0 && status < IMAGE_STATUS_COUNT ? details[status] : FAULT_IMAGE_FAILED;
    /* Too many bytes is the upload's size, as the HTTP layer answers for a body over its cap. */
    fault_set(fault, status == IMAGE_TOO_LARGE ? KITE_ERR_TOO_LARGE : KITE_ERR_BAD_IMAGE, NULL, detail);
    fault->limit = status == IMAGE_TOO_LARGE ? IMAGE_UPLOAD_MAX_BYTES : IMAGE_MAX_PIXELS;
    fault->max = IMAGE_MAX_SIDE;
    return fault->code;
}

/* Who may upload, and whether there is room for one more, before a helper is spent on it. */
static kite_err may_upload(const kite_ctx *ctx, const void *helpers, const account *owner)
{
    if (owner->role != ROLE_CONTACT && owner->role != ROLE_RESIDENT)
        return KITE_ERR_FORBIDDEN;
    if (helpers == NULL)
        return KITE_ERR_BUSY;
    struct quota q = {owner->id, clock_now_ms(&ctx->clock), 0};
    kite_err err = db_read(ctx->store, quota_tx, &q);
    if (err != KITE_OK)
        return err;
    return q.count >= ATTACHMENT_UNSENT_PER_DAY ? KITE_ERR_THROTTLED : KITE_OK;
}

static kite_err upload(const kite_ctx *ctx, arena *a, image_sandbox *images, const account *owner,
                       const void *bytes, size_t len, image_type claimed, attachment *out, kite_fault *fault)
{
    memset(out, 0, sizeof *out);
    kite_err err = may_upload(ctx, images, owner);
    if (err != KITE_OK)
        return err;
    image_result image;
    if ((err = image_sandbox_process(images, a, bytes, len, claimed, &image)) != KITE_OK)
        return err;
    if (image.status != IMAGE_OK)
        return image_fault(image.status, fault);
    char *sha = arena_alloc(a, SECRET_SHA256_HEX);
    secret_sha256_hex(image.data, image.len, sha);
    out->owner_account_id = owner->id;
    out->content_type = image.content_type;
    out->width = image.width;
    out->height = image.height;
    out->size_bytes = (int64_t)image.len;
    out->sha256 = sha;
    out->created_at = clock_now_ms(&ctx->clock);
    struct store_attachment in = {a, owner, image.data, image.len, out->created_at, out};
    return db_write(ctx->store, store_tx, &in);
}

kite_err attachment_upload(const kite_ctx *ctx, arena *a, image_sandbox *images, const account *owner,
                           const void *bytes, size_t len, image_type claimed, attachment *out, kite_fault *fault)
{
    *fault = (kite_fault){0};
    kite_err err = upload(ctx, a, images, owner, bytes, len, claimed, out, fault);
    if (err == KITE_ERR_THROTTLED)
        fault_set(fault, err, NULL, FAULT_UPLOADS);
    return fault_settle(fault, err);
}

/* The video helper's verdict as a fault, with the bounds its sentence names. */
static kite_err video_fault(video_status status, kite_fault *fault)
{
    static const fault_detail details[VIDEO_STATUS_COUNT] = {
        [VIDEO_EMPTY] = FAULT_VIDEO_EMPTY,
        [VIDEO_UNKNOWN_TYPE] = FAULT_VIDEO_UNKNOWN_TYPE,
        [VIDEO_TYPE_MISMATCH] = FAULT_VIDEO_TYPE_MISMATCH,
        [VIDEO_TOO_LARGE] = FAULT_VIDEO_TOO_LARGE,
        [VIDEO_TOO_LONG] = FAULT_VIDEO_TOO_LONG,
        [VIDEO_TOO_MANY_PIXELS] = FAULT_VIDEO_TOO_MANY_PIXELS,
        [VIDEO_UNSUPPORTED_CODEC] = FAULT_VIDEO_UNSUPPORTED_CODEC,
        [VIDEO_NO_VIDEO] = FAULT_VIDEO_NO_VIDEO,
        [VIDEO_UNREADABLE] = FAULT_VIDEO_UNREADABLE,
        [VIDEO_FAILED] = FAULT_VIDEO_FAILED,
    };
    fault_detail detail = (int)status > 0 && status < VIDEO_STATUS_COUNT ? details[status] : FAULT_VIDEO_FAILED;
    fault_set(fault, status == VIDEO_TOO_LARGE ? KITE_ERR_TOO_LARGE : KITE_ERR_BAD_VIDEO, NULL, detail);
    fault->limit = status == VIDEO_TOO_LARGE ? VIDEO_UPLOAD_MAX_BYTES : VIDEO_MAX_MS / 1000;
    fault->max = VIDEO_MAX_SIDE;
    return fault->code;
}

static kite_err upload_video(const kite_ctx *ctx, arena *a, image_sandbox *videos, const account *owner,
                             const void *bytes, size_t len, video_type claimed, attachment *out, kite_fault *fault)
{
    memset(out, 0, sizeof *out);
    kite_err err = may_upload(ctx, videos, owner);
    if (err != KITE_OK)
        return err;
    video_result video;
    if ((err = video_sandbox_process(videos, a, bytes, len, claimed, &video)) != KITE_OK)
        return err;
    if (video.status != VIDEO_OK)
        return video_fault(video.status, fault);
    char *sha = arena_alloc(a, SECRET_SHA256_HEX);
    secret_sha256_hex(video.webm, video.webm_len, sha);
    out->owner_account_id = owner->id;
    out->kind = ATTACHMENT_VIDEO;
    out->content_type = "video/webm";
    out->width = video.width;
    out->height = video.height;
    out->duration_ms = video.duration_ms;
    out->poster = video.poster;
    out->poster_len = video.poster_len;
    out->size_bytes = (int64_t)video.webm_len;
    out->sha256 = sha;
    out->created_at = clock_now_ms(&ctx->clock);
    struct store_attachment in = {a, owner, video.webm, video.webm_len, out->created_at, out};
    return db_write(ctx->store, store_tx, &in);
}

kite_err attachment_upload_video(const kite_ctx *ctx, arena *a, image_sandbox *videos, const account *owner,
                                 const void *bytes, size_t len, video_type claimed, attachment *out, kite_fault *fault)
{
    *fault = (kite_fault){0};
    kite_err err = upload_video(ctx, a, videos, owner, bytes, len, claimed, out, fault);
    if (err == KITE_ERR_THROTTLED)
        fault_set(fault, err, NULL, FAULT_UPLOADS);
    return fault_settle(fault, err);
}

/* ---- reading ---- */

struct get_attachment {
    arena *a;
    const account *caller;
    int64_t id;
    int64_t now;
    attachment *out;
    bool staff_read;     /* set by get_tx: the caller sees it as staff, and that is audited */
    message m;
};

static kite_err load_attachment(db_conn *conn, arena *a, int64_t id, attachment *out)
{
    db_stmt *s = db_prepare(conn,
        "SELECT id, owner_account_id, COALESCE(message_id, 0), content_type, width, height, size_bytes, sha256,"
        " created_at, data, COALESCE(purged_at, 0), kind, COALESCE(duration_ms, 0), poster FROM attachments"
        " WHERE id = $1");
    db_bind_int(s, 1, id);
    bool found = db_next(s);
    if (found) {
        out->id = db_int(s, 0);
        out->owner_account_id = db_int(s, 1);
        out->message_id = db_int(s, 2);
        out->content_type = arena_strdup(a, db_text(s, 3));
        out->width = db_int(s, 4);
        out->height = db_int(s, 5);
        out->size_bytes = db_int(s, 6);
        out->sha256 = arena_strdup(a, db_text(s, 7));
        out->created_at = db_int(s, 8);
        size_t len = 0;
        const void *blob = db_blob(s, 9, &len);
        void *copy = arena_alloc(a, len + 1);
        if (len > 0)
            memcpy(copy, blob, len);
        out->data = copy;
        out->size_bytes = (int64_t)len;
        out->purged_at = db_int(s, 10);
        out->kind = attachment_kind_parse(db_text(s, 11));
        out->duration_ms = db_int(s, 12);
        const void *poster = db_blob(s, 13, &len);
        if (poster != NULL && len > 0) {
            void *poster_copy = arena_alloc(a, len);
            memcpy(poster_copy, poster, len);
            out->poster = poster_copy;
            out->poster_len = len;
        }
    }
    kite_err err = db_done(s);
    return err != KITE_OK ? err : found ? KITE_OK : KITE_ERR_NOT_FOUND;
}

static kite_err get_tx(db_conn *conn, void *data)
{
    struct get_attachment *in = data;
    const account *caller = in->caller;
    kite_err err = load_attachment(conn, in->a, in->id, in->out);
    if (err != KITE_OK)
        return err;
    if (caller->id == in->out->owner_account_id)
        return KITE_OK;
    if (in->out->message_id == 0)
        return KITE_ERR_NOT_FOUND;
    message *m = &in->m;
    if ((err = message_load(conn, in->a, in->out->message_id, m)) != KITE_OK)
        return err == KITE_ERR_NOT_FOUND ? KITE_ERR_STORE : err;
    if (caller->id == m->sender_account_id)
        return KITE_OK;
    if (caller->id == m->recipient_account_id)
        return message_status_visible_to_recipient(m->status) ? KITE_OK : KITE_ERR_NOT_FOUND;
    in->staff_read = caller->role == ROLE_OPERATOR ||
                     (role_is_facility_staff(caller->role) && caller->facility_id == m->facility_id);
    if (!in->staff_read)
        return KITE_ERR_NOT_FOUND;
    /* A photo of privileged legal mail is its content: staff get the refusal, and the attempt is recorded. */
    return m->privileged ? KITE_ERR_FORBIDDEN : KITE_OK;
}

/* Staff reads are part of the record, as for the message itself. */
static kite_err staff_read_tx(db_conn *conn, void *data)
{
    struct get_attachment *in = data;
    return audit_append(conn, in->now, audit_actor_account(in->a, in->caller->id),
                        in->m.privileged ? "attachment.privileged_refused" : "attachment.staff_read",
                        audit_target(in->a, "attachment", in->id),
                        arena_sprintf(in->a, "message=%" PRId64 " role=%s facility=%" PRId64, in->m.id,
                                      role_name(in->caller->role), in->m.facility_id));
}

kite_err attachment_get(const kite_ctx *ctx, arena *a, const account *caller, int64_t id, attachment *out)
{
    memset(out, 0, sizeof *out);
    struct get_attachment in = {a, caller, id, clock_now_ms(&ctx->clock), out, false, {0}};
    kite_err err = db_read(ctx->store, get_tx, &in);
    /* Retention took the bytes: those who could see the photo learn it is gone, and nothing is read. */
    if (err == KITE_OK && out->purged_at != 0)
        err = KITE_ERR_GONE;
    /* The photo is handed to staff only once their read is on the record. */
    if ((err == KITE_OK || (err == KITE_ERR_FORBIDDEN && in.m.privileged)) && in.staff_read) {
        kite_err recorded = db_write(ctx->store, staff_read_tx, &in);
        err = recorded != KITE_OK ? recorded : err;
    }
    if (err != KITE_OK) {
        attachment_kind kind = out->kind;
        memset(out, 0, sizeof *out);
        if (err == KITE_ERR_GONE) /* what was purged may be named: a photo or a video */
            out->kind = kind;
    }
    return err;
}
