/*
 * image_sandbox.c - starting, feeding, timing and reaping image helpers.
 *
 * Design: posix_spawn (safe in a threaded server, unlike fork without exec)
 * of the kite binary's hidden `image-worker` command with a fresh socket on
 * descriptor 0, /dev/null on 1 and a pipe on 2, every other descriptor
 * closed, default signal handling, its own process group and an environment
 * holding only the sanitizer options.  One poll loop writes the request,
 * reads the answer and drains the helper's log pipe under one deadline; the
 * helper is then reaped, or killed and reaped.  A counting slot (mutex and
 * condition variable) caps the helpers running at once.
 *
 * SECURITY: the helper has handled a hostile photo, so its answer is
 * untrusted too: the frame's magic, status and length are checked, the
 * length is capped before anything is allocated, the dimensions must lie
 * within the output bounds and the bytes must be a JPEG.  Anything else,
 * and any helper that dies, is killed or runs out of time, refuses the photo
 * (IMAGE_FAILED) and never the server.  Writes use send(MSG_NOSIGNAL), so a
 * helper that dies mid-request cannot raise SIGPIPE here.  The helper's log
 * lines are capped and stripped of control characters before they reach
 * Kite's log.
 */
#include "sandbox/image_sandbox.h"

#include "core/alloc.h"
#include "core/clock.h"
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { HELPER_LOG_MAX = 2048, REAP_GRACE_MS = 500, MAX_ENV = 4 };

extern char **environ;

struct image_sandbox {
    image_sandbox_config config;
    pthread_mutex_t lock;
    pthread_cond_t freed;
    unsigned running;
    char delay_arg[24];
    char *env[MAX_ENV + 1]; /* NULL-terminated; owned */
};

void image_sandbox_config_defaults(image_sandbox_config *config)
{
    memset(config, 0, sizeof *config);
    config->executable = "/proc/self/exe";
    config->command = "image-worker";
    config->max_workers = 2;
    config->wait_ms = 5000;
    config->timeout_ms = 15000;
    const char *allow = getenv("KITE_ALLOW_TEST_CLOCK");
    const char *delay = getenv("KITE_TEST_IMAGE_DELAY_MS");
    if (allow != NULL && strcmp(allow, "1") == 0 && delay != NULL) {
        long long ms = strtoll(delay, NULL, 10);
        config->test_delay_ms = ms > 0 && ms <= 60000 ? ms : 0;
    }
}

image_sandbox *image_sandbox_new(const image_sandbox_config *config)
{
    image_sandbox *sb = xcalloc(1, sizeof *sb);
    sb->config = *config;
    if (sb->config.max_workers == 0)
        sb->config.max_workers = 1;
    pthread_mutex_init(&sb->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&sb->freed, &attr);
    pthread_condattr_destroy(&attr);
    snprintf(sb->delay_arg, sizeof sb->delay_arg, "%" PRId64, config->test_delay_ms);
    /* The helper's whole environment: how the sanitizers of a test build should behave, nothing else. */
    static const char *const keep[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"};
    size_t n = 0;
    for (size_t i = 0; i < sizeof keep / sizeof keep[0] && n < MAX_ENV; i++) {
        const char *value = getenv(keep[i]);
        if (value != NULL) {
            size_t len = strlen(keep[i]) + strlen(value) + 2;
            sb->env[n] = xmalloc(len);
            snprintf(sb->env[n], len, "%s=%s", keep[i], value);
            n++;
        }
    }
    sb->env[n] = NULL;
    if (sb->config.test_delay_ms > 0)
        log_warn("TEST: image helpers wait %" PRId64 " ms before decoding", sb->config.test_delay_ms);
    return sb;
}

image_sandbox *image_sandbox_free(image_sandbox *sb)
{
    if (sb == NULL)
        return NULL;
    for (size_t i = 0; sb->env[i] != NULL; i++)
        free(sb->env[i]);
    pthread_cond_destroy(&sb->freed);
    pthread_mutex_destroy(&sb->lock);
    free(sb);
    return NULL;
}

/* ---- slots ---- */

static bool slot_take(image_sandbox *sb)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)(sb->config.wait_ms / 1000);
    until.tv_nsec += (long)(sb->config.wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&sb->lock);
    while (sb->running >= sb->config.max_workers)
        if (pthread_cond_timedwait(&sb->freed, &sb->lock, &until) == ETIMEDOUT)
            break;
    bool got = sb->running < sb->config.max_workers;
    if (got)
        sb->running++;
    pthread_mutex_unlock(&sb->lock);
    return got;
}

static void slot_give_back(image_sandbox *sb)
{
    pthread_mutex_lock(&sb->lock);
    sb->running--;
    pthread_cond_signal(&sb->freed);
    pthread_mutex_unlock(&sb->lock);
}

/* ---- one helper ---- */

typedef struct helper {
    pid_t pid;
    int sock;  /* our end of the socket */
    int log;   /* read end of its stderr */
    char text[HELPER_LOG_MAX];
    size_t text_len;
} helper;

static kite_err helper_start(image_sandbox *sb, helper *h)
{
    int sv[2], ep[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        log_error("image: cannot create a socket for the helper: %s", strerror(errno));
        return KITE_ERR_INTERNAL;
    }
    if (pipe2(ep, O_CLOEXEC) != 0) {
        log_error("image: cannot create a pipe for the helper: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return KITE_ERR_INTERNAL;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    char *argv[] = {(char *)"kite", (char *)sb->config.command, (char *)"--test-delay-ms", sb->delay_arg, NULL};
    int rc = posix_spawn(&h->pid, sb->config.executable, &fa, &attr, argv, sb->env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(sv[1]);
    close(ep[1]);
    if (rc != 0) {
        log_error("image: cannot start the helper %s %s: %s", sb->config.executable, sb->config.command, strerror(rc));
        close(sv[0]);
        close(ep[0]);
        return KITE_ERR_INTERNAL;
    }
    h->sock = sv[0];
    h->log = ep[0];
    fcntl(h->sock, F_SETFL, fcntl(h->sock, F_GETFL) | O_NONBLOCK);
    fcntl(h->log, F_SETFL, fcntl(h->log, F_GETFL) | O_NONBLOCK);
    return KITE_OK;
}

/* Keeps the first HELPER_LOG_MAX bytes the helper writes, as one line of printable text; drains the rest. */
static bool helper_read_log(helper *h)
{
    char buf[4096];
    ssize_t n = read(h->log, buf, sizeof buf);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR;
    for (ssize_t i = 0; i < n && h->text_len + 1 < sizeof h->text; i++) {
        unsigned char c = (unsigned char)buf[i];
        char out = c == '\n' || c == '\t' ? ' ' : (c < 0x20 || c >= 0x7F) ? '?' : (char)c;
        if (out == ' ' && (h->text_len == 0 || h->text[h->text_len - 1] == ' '))
            continue;
        h->text[h->text_len++] = out;
    }
    h->text[h->text_len] = '\0';
    return n > 0;
}

typedef struct exchange {
    const uint8_t *request_header;
    const uint8_t *data;
    size_t len;
    size_t sent;          /* of header + data */
    uint8_t response_header[IMAGE_FRAME_HEADER_BYTES];
    size_t header_got;
    uint32_t response_magic;
    uint32_t max_response;
    image_frame response;
    uint8_t *body;
    size_t body_got;
    bool complete;        /* a whole, well-formed response frame arrived */
    bool broken;          /* the socket closed, failed or carried nonsense before that */
} exchange;

static void exchange_write(helper *h, exchange *x)
{
    size_t total = IMAGE_FRAME_HEADER_BYTES + x->len;
    while (x->sent < total) {
        const uint8_t *p = x->sent < IMAGE_FRAME_HEADER_BYTES ? x->request_header + x->sent
                                                              : x->data + (x->sent - IMAGE_FRAME_HEADER_BYTES);
        size_t n = x->sent < IMAGE_FRAME_HEADER_BYTES ? IMAGE_FRAME_HEADER_BYTES - x->sent : total - x->sent;
        ssize_t w = send(h->sock, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN)
            return;
        if (w <= 0) {
            x->broken = true;
            return;
        }
        x->sent += (size_t)w;
    }
}

static void exchange_read(helper *h, exchange *x, arena *a)
{
    for (;;) {
        uint8_t *p;
        size_t want;
        if (x->header_got < IMAGE_FRAME_HEADER_BYTES) {
            p = x->response_header + x->header_got;
            want = IMAGE_FRAME_HEADER_BYTES - x->header_got;
        } else {
            p = x->body + x->body_got;
            want = x->response.length - x->body_got;
        }
        ssize_t r = want > 0 ? read(h->sock, p, want) : 0;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno == EAGAIN)
            return;
        if (r <= 0) {
            x->broken = want > 0;
            return;
        }
        if (x->header_got < IMAGE_FRAME_HEADER_BYTES) {
            x->header_got += (size_t)r;
            if (x->header_got < IMAGE_FRAME_HEADER_BYTES)
                continue;
            if (!image_header_decode(x->response_header, x->response_magic, x->max_response, &x->response)) {
                x->broken = true;
                return;
            }
            x->body = arena_alloc(a, x->response.length + 1);
        } else {
            x->body_got += (size_t)r;
        }
        if (x->body_got == x->response.length) {
            x->complete = true;
            return;
        }
    }
}

/*
 * Talks with the helper until its answer is complete and its log closed (it
 * has exited), or it broke off, or the deadline passed.  False on timeout.
 */
static bool helper_converse(helper *h, exchange *x, arena *a, int64_t deadline)
{
    bool log_open = true;
    while (log_open || (!x->complete && !x->broken)) {
        int64_t left = deadline - clock_mono_ms();
        if (left <= 0)
            return false;
        struct pollfd fds[2];
        nfds_t n = 0;
        bool talking = !x->complete && !x->broken;
        if (talking) {
            bool writing = x->sent < IMAGE_FRAME_HEADER_BYTES + x->len;
            fds[n++] = (struct pollfd){h->sock, (short)(POLLIN | (writing ? POLLOUT : 0)), 0};
        }
        if (log_open)
            fds[n++] = (struct pollfd){h->log, POLLIN, 0};
        int rc = poll(fds, n, (int)(left < 1000 ? left : 1000));
        if (rc < 0 && errno != EINTR)
            return false;
        if (rc <= 0)
            continue;
        if (talking && (fds[0].revents & POLLOUT))
            exchange_write(h, x);
        if (talking && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)))
            exchange_read(h, x, a);
        if (log_open && (fds[n - 1].revents & (POLLIN | POLLHUP | POLLERR)))
            log_open = helper_read_log(h);
    }
    return true;
}

/* Reaps the helper: waits briefly for it to exit by itself, then kills it.  Returns the wait status. */
static int helper_reap(helper *h, bool kill_now)
{
    int status = 0;
    int64_t until = clock_mono_ms() + REAP_GRACE_MS;
    if (!kill_now) {
        for (;;) {
            pid_t r = waitpid(h->pid, &status, WNOHANG);
            if (r == h->pid || (r < 0 && errno != EINTR))
                goto out;
            if (clock_mono_ms() >= until)
                break;
            struct timespec pause = {0, 2 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
    }
    kill(h->pid, SIGKILL);
    while (waitpid(h->pid, &status, 0) < 0 && errno == EINTR)
        ;
out:
    close(h->sock);
    close(h->log);
    return status;
}

static const char *status_name(image_status status)
{
    static const char *const names[IMAGE_STATUS_COUNT] = {
        [IMAGE_OK] = "ok", [IMAGE_EMPTY] = "empty", [IMAGE_UNKNOWN_TYPE] = "unknown type",
        [IMAGE_TYPE_MISMATCH] = "type mismatch", [IMAGE_TOO_LARGE] = "too large",
        [IMAGE_TOO_MANY_PIXELS] = "too many pixels", [IMAGE_UNREADABLE] = "unreadable", [IMAGE_FAILED] = "failed",
    };
    return status < IMAGE_STATUS_COUNT ? names[status] : "?";
}

static const char *describe_exit(arena *a, int status)
{
    if (WIFSIGNALED(status))
        return arena_sprintf(a, "was killed by signal %d", WTERMSIG(status));
    return arena_sprintf(a, "exited with status %d", WEXITSTATUS(status));
}

/* The verdict from a complete response, checked as untrusted input. */
static image_status verdict(const helper_reply *r, image_result *out)
{
    const image_frame *f = &r->frame;
    if (f->code == IMAGE_OK) {
        if (f->width < 1 || f->width > IMAGE_OUTPUT_SIDE || f->height < 1 || f->height > IMAGE_OUTPUT_SIDE ||
            f->length == 0 || image_sniff(r->body, f->length) != IMAGE_JPEG)
            return IMAGE_FAILED;
        out->width = f->width;
        out->height = f->height;
        out->data = r->body;
        out->len = f->length;
        return IMAGE_OK;
    }
    return f->code < IMAGE_STATUS_COUNT && f->length == 0 ? (image_status)f->code : IMAGE_FAILED;
}

static void run_helper(image_sandbox *sb, arena *a, const image_frame *request, const void *data,
                       uint32_t response_magic, uint32_t max_response, helper_reply *out, helper *h)
{
    int64_t started = clock_mono_ms();
    uint8_t request_header[IMAGE_FRAME_HEADER_BYTES];
    image_header_encode(request, request_header);
    exchange x = {.request_header = request_header, .data = data, .len = request->length,
                  .response_magic = response_magic, .max_response = max_response};
    bool in_time = helper_converse(h, &x, a, started + sb->config.timeout_ms);
    int status = helper_reap(h, !in_time);
    int64_t took = clock_mono_ms() - started;
    out->complete = x.complete;
    out->frame = x.response;
    out->body = x.body;
    out->took_ms = took;
    out->log = arena_strdup(a, h->text);
    if (!in_time)
        log_warn("%s: helper %d ran out of time (%" PRId64 " ms) and was killed; %s", sb->config.command, (int)h->pid,
                 took, h->text);
    else if (!x.complete)
        log_warn("%s: helper %d %s without an answer after %" PRId64 " ms; %s", sb->config.command, (int)h->pid,
                 describe_exit(a, status), took, h->text);
}

kite_err image_sandbox_exchange(image_sandbox *sb, arena *a, const image_frame *request, const void *data,
                                uint32_t response_magic, uint32_t max_response, helper_reply *out)
{
    memset(out, 0, sizeof *out);
    if (!slot_take(sb)) {
        log_warn("%s: every helper is busy; upload refused", sb->config.command);
        return KITE_ERR_BUSY;
    }
    helper h = {0};
    kite_err err = helper_start(sb, &h);
    if (err == KITE_OK)
        run_helper(sb, a, request, data, response_magic, max_response, out, &h);
    slot_give_back(sb);
    return err;
}

kite_err image_sandbox_process(image_sandbox *sb, arena *a, const void *data, size_t len, image_type claimed,
                               image_result *out)
{
    memset(out, 0, sizeof *out);
    out->content_type = "image/jpeg";
    image_type type;
    out->status = image_precheck(data, len, claimed, &type);
    if (out->status != IMAGE_OK)
        return KITE_OK;
    image_frame req = {IMAGE_REQUEST_MAGIC, (uint32_t)type, IMAGE_OUTPUT_SIDE, 0, (uint32_t)len};
    helper_reply reply;
    kite_err err = image_sandbox_exchange(sb, a, &req, data, IMAGE_RESPONSE_MAGIC, IMAGE_OUTPUT_MAX_BYTES, &reply);
    if (err != KITE_OK)
        return err;
    out->status = reply.complete ? verdict(&reply, out) : IMAGE_FAILED;
    if (reply.complete && out->status == IMAGE_FAILED)
        log_warn("image: a helper gave an answer that does not hold up; refused");
    else if (out->status != IMAGE_OK && reply.complete)
        log_info("image: photo refused (%s) in %" PRId64 " ms; %s", status_name(out->status), reply.took_ms,
                 reply.log);
    return KITE_OK;
}
