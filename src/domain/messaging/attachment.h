/*
 * attachment.h - photos and video messages sent with messages.
 *
 * A video (docs/video-messages.md) is an attachment of kind video: the WebM
 * the video helper made (sandbox/video_sandbox.h), never the upload, with
 * its length and a JPEG poster of its first frame.  At most one per
 * message, where the facility's policy allows videos (videos_allowed),
 * priced per video (pricing.h); otherwise it lives exactly as a photo:
 * same visibility, review, privilege and retention.
 *
 * Life of an attachment: uploaded by a contact or a resident, re-encoded in
 * the image sandbox (sandbox/image_sandbox.h) and stored as the JPEG Kite
 * made, never the bytes that were sent; unsent until message_send() links it
 * to a message, which checks the facility policy (allowed, how many, how
 * large).  From then on it goes where its message goes: reviewers see it
 * while the message waits, the recipient once the message is delivered.
 *
 * Visibility: its owner always; once sent, the message's recipient when
 * the message is delivered or read, staff of the message's facility and
 * operators (each staff read is audited).  Everyone else: not found.
 */
#ifndef KITE_DOMAIN_MESSAGING_ATTACHMENT_H
#define KITE_DOMAIN_MESSAGING_ATTACHMENT_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "domain/identity/account.h"
#include "domain/context.h"
#include "sandbox/image_sandbox.h"
#include "sandbox/video.h"

/* What an attachment is; the names are what the store and the API carry. */
typedef enum attachment_kind { ATTACHMENT_PHOTO, ATTACHMENT_VIDEO, ATTACHMENT_KIND_COUNT } attachment_kind;
extern const char *const attachment_kind_names[ATTACHMENT_KIND_COUNT + 1];
/* The kind named, or ATTACHMENT_PHOTO for any name it does not know (rows before step 28 are photos). */
attachment_kind attachment_kind_parse(const char *name);

/* Unsent photos one account may upload per day: storage is not free, and unsent photos are never read. */
enum { ATTACHMENT_UNSENT_PER_DAY = 100 };

typedef struct attachment {
    int64_t id;
    int64_t owner_account_id;
    int64_t message_id;       /* 0 until sent */
    const char *content_type; /* "image/jpeg" */
    int64_t width, height;
    int64_t size_bytes;
    const char *sha256;       /* of the stored bytes, hex */
    int64_t created_at;
    const void *data;         /* the stored bytes (attachment_get only; arena) */
    int64_t purged_at;        /* retention deleted the bytes (domain/retention); 0 when not */
    attachment_kind kind;
    int64_t duration_ms;      /* videos: the length; 0 for photos */
    const void *poster;       /* videos: the first frame as JPEG (attachment_get only; arena); NULL for photos */
    size_t poster_len;
} attachment;

/*
 * Re-encodes the photo in the sandbox and stores the result for owner (a
 * contact or a resident).  claimed is the type the upload declared.
 * KITE_ERR_BAD_IMAGE with the fault's detail saying why the photo was
 * refused (KITE_ERR_TOO_LARGE for one over IMAGE_UPLOAD_MAX_BYTES);
 * KITE_ERR_BUSY when no image helper was free; KITE_ERR_THROTTLED
 * (FAULT_UPLOADS) after ATTACHMENT_UNSENT_PER_DAY unsent uploads in a day;
 * KITE_ERR_FORBIDDEN for other roles.
 */
kite_err attachment_upload(const kite_ctx *ctx, arena *a, image_sandbox *images, const account *owner,
                           const void *bytes, size_t len, image_type claimed, attachment *out,
                           kite_fault *fault) KITE_WUR;

/*
 * Has a fresh video helper (videos: a sandbox made with
 * video_sandbox_config_defaults) transcode the upload and stores the WebM
 * and its poster for owner, as attachment_upload does for photos.  claimed
 * is the container the upload declared.  KITE_ERR_BAD_VIDEO with the
 * fault's detail saying why the video was refused (KITE_ERR_TOO_LARGE over
 * VIDEO_UPLOAD_MAX_BYTES); KITE_ERR_BUSY, KITE_ERR_THROTTLED and
 * KITE_ERR_FORBIDDEN as attachment_upload.
 */
kite_err attachment_upload_video(const kite_ctx *ctx, arena *a, image_sandbox *videos, const account *owner,
                                 const void *bytes, size_t len, video_type claimed, attachment *out,
                                 kite_fault *fault) KITE_WUR;

/*
 * The attachment with its bytes (and a video's poster), for those who may see it (see above);
 * KITE_ERR_NOT_FOUND otherwise, KITE_ERR_GONE once retention deleted its bytes (out->kind still set).  KITE_ERR_FORBIDDEN (no bytes) for staff in scope
 * when its message is privileged legal mail: only the two parties open it, and the refused attempt
 * is audited (attachment.privileged_refused).
 */
kite_err attachment_get(const kite_ctx *ctx, arena *a, const account *caller, int64_t id, attachment *out) KITE_WUR;

#endif
