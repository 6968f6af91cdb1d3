/*
 * image_sandbox.h - the server's side of the image helper: starts one
 * confined `kite image-worker` per photo, hands it the bytes, takes back the
 * re-encoded JPEG, and reaps it.
 *
 * One helper per photo: nothing one photo did can be seen by the next, a
 * helper that crashes, hangs or is killed costs only its own upload, and
 * there is no pool to heal.  At most max_workers run at once (the machine
 * has few cores and each upload holds an HTTP thread); an upload that finds
 * none free within wait_ms is refused as busy.
 *
 * The same plumbing serves the video helper (`kite video-worker`,
 * sandbox/video_sandbox.h): a sandbox is made per command, with its own
 * slots and timeout, and image_sandbox_exchange() below is the exchange
 * with any helper; image_sandbox_process() is the photo's use of it.
 *
 * Thread-safe: handlers on any thread call image_sandbox_process() at once.
 */
#ifndef KITE_SANDBOX_IMAGE_SANDBOX_H
#define KITE_SANDBOX_IMAGE_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "sandbox/image.h"

typedef struct image_sandbox image_sandbox;

typedef struct image_sandbox_config {
    const char *executable; /* the kite binary; "/proc/self/exe" */
    const char *command;    /* its hidden subcommand; "image-worker" */
    unsigned max_workers;   /* helpers at once */
    int64_t wait_ms;        /* how long an upload waits for a free helper before KITE_ERR_BUSY */
    int64_t timeout_ms;     /* a helper's whole life, from start to answer; then SIGKILL */
    int64_t test_delay_ms;  /* tests only: the helper sleeps this long, confined, before decoding */
} image_sandbox_config;

/*
 * The defaults: /proc/self/exe image-worker, 2 helpers, 5 s wait, 15 s
 * timeout.  test_delay_ms comes from KITE_TEST_IMAGE_DELAY_MS, and only when
 * KITE_ALLOW_TEST_CLOCK=1 is also set (as for the test clock).
 */
void image_sandbox_config_defaults(image_sandbox_config *config);
/* Copies config (the strings must outlive the sandbox). */
image_sandbox *image_sandbox_new(const image_sandbox_config *config);
/* Accepts NULL; returns NULL.  No helper may be running (stop the HTTP server first). */
image_sandbox *image_sandbox_free(image_sandbox *sandbox);

typedef struct image_result {
    image_status status;      /* IMAGE_OK: the fields below describe the JPEG */
    uint32_t width, height;
    const char *content_type; /* "image/jpeg" */
    const void *data;         /* from the arena */
    size_t len;
} image_result;

/*
 * Checks the upload (size, type by its bytes against claimed), then has a
 * fresh helper re-encode it.  KITE_OK with out->status the verdict: anything
 * but IMAGE_OK refuses the photo (a helper that crashed, was killed or timed
 * out gives IMAGE_FAILED and is logged).  KITE_ERR_BUSY when no helper was
 * free in time; KITE_ERR_INTERNAL when a helper could not be started.
 */
kite_err image_sandbox_process(image_sandbox *sandbox, arena *a, const void *data, size_t len, image_type claimed,
                               image_result *out) KITE_WUR;

/*
 * The plumbing under image_sandbox_process, for any helper command (the
 * video helper's too, sandbox/video_sandbox.h): takes a slot, starts a fresh
 * helper of this sandbox's command, writes the request frame and data
 * (request->length bytes), reads one response frame with response_magic and
 * at most max_response bytes, and reaps the helper (killed at the timeout).
 * out->complete is false when the helper died, ran out of time or said
 * something that is not such a frame (logged).  The body is untrusted: the
 * caller checks it.  KITE_ERR_BUSY when no slot was free within wait_ms;
 * KITE_ERR_INTERNAL when no helper could be started.
 */
typedef struct helper_reply {
    bool complete;
    image_frame frame;
    const uint8_t *body; /* frame.length bytes (arena) */
    int64_t took_ms;
    const char *log;     /* the helper's stderr, one line of printable text (arena) */
} helper_reply;
kite_err image_sandbox_exchange(image_sandbox *sb, arena *a, const image_frame *request, const void *data,
                                uint32_t response_magic, uint32_t max_response, helper_reply *out) KITE_WUR;

#endif
