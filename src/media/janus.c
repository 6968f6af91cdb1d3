/*
 * janus.c - Janus's HTTP API over libcurl (see janus.h for the protocol).
 *
 * Design: one easy handle per exchange and no shared state, so any request
 * thread may call.  Each request gets a fresh random transaction; an
 * asynchronous videoroom request is matched to its event by it.  Answers
 * are read into a heap buffer of at most JANUS_ANSWER_MAX bytes, parsed
 * with jansson and freed before the call returns: what reaches the caller
 * (ids, a jsep's type and SDP, the videoroom verb) is copied into the
 * caller's arena.
 *
 * SECURITY: the api_secret travels in the JSON body of a POST and, for the
 * long poll (a GET has no body), in the query string of a loopback URL;
 * neither is logged.  Redirects are not followed; only http and https.
 * Ids from Janus are checked to be positive 53-bit integers (Janus's own
 * range); a jsep from Janus is passed on only when janus_jsep_valid().
 */
#include "media/janus.h"

#include "core/buf.h"
#include "core/log.h"
#include "core/secret.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define JANUS_ID_MAX ((json_int_t)1 << 53)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_start(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void error_set(janus_error *e, long status, int code, const char *reason)
{
    if (e == NULL)
        return;
    e->http_status = status;
    e->code = code;
    snprintf(e->reason, sizeof e->reason, "%s", reason != NULL ? reason : "");
}

typedef struct janus_reply {
    buf body;
    bool too_large;
} janus_reply;

static size_t answer_write(char *data, size_t size, size_t nitems, void *userp)
{
    janus_reply *got = userp;
    size_t n = size * nitems;
    if (n > JANUS_ANSWER_MAX - got->body.len) {
        got->too_large = true;
        return 0;
    }
    buf_append(&got->body, data, n);
    return n;
}

/* One HTTP exchange: POST body (or GET when body is NULL).  *out is the parsed answer (decref it). */
static kite_err exchange(const janus_config *c, const char *url, const char *body, long extra_ms, json_t **out,
                         janus_error *e)
{
    *out = NULL;
    pthread_once(&curl_once, curl_start);
    CURL *curl = curl_easy_init();
    if (curl == NULL) {
        error_set(e, 0, 0, "curl_easy_init failed");
        return KITE_ERR_IO;
    }
    janus_reply got = {.too_large = false};
    buf_init(&got.body, NULL);
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (body != NULL)
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, answer_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &got);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     c->connect_timeout_ms > 0 ? c->connect_timeout_ms : (long)JANUS_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                     (c->total_timeout_ms > 0 ? c->total_timeout_ms : (long)JANUS_TOTAL_TIMEOUT_MS) + extra_ms);
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    kite_err err = KITE_OK;
    if (rc != CURLE_OK || status != 200) {
        error_set(e, status, 0, rc != CURLE_OK ? curl_easy_strerror(rc) : "HTTP status other than 200");
        err = KITE_ERR_IO;
    } else {
        json_error_t jerr;
        *out = json_loadb(got.body.data, got.body.len, JSON_REJECT_DUPLICATES, &jerr);
        if (*out == NULL || !json_is_object(*out)) {
            json_decref(*out);
            *out = NULL;
            error_set(e, status, 0, "an answer that is not a JSON object");
            err = KITE_ERR_IO;
        }
    }
    buf_free(&got.body);
    return err;
}

static void transaction_new(char out[25])
{
    char token[SECRET_TOKEN_HEX];
    secret_token(token);
    memcpy(out, token, 24);
    out[24] = '\0';
}

/* Which of Janus's two APIs a request goes to: its base URL, and the secret's name and value there. */
typedef struct janus_api {
    const char *base, *secret_name, *secret;
} janus_api;

static kite_err api_post(const janus_config *c, janus_api api, const char *path, json_t *req, char transaction[25],
                         json_t **out, janus_error *e);

/* Sends req (stolen) to base_url/path with a transaction and the api_secret; *out is the answer. */
static kite_err janus_post(const janus_config *c, const char *path, json_t *req, char transaction[25], json_t **out,
                           janus_error *e)
{
    janus_api api = {c != NULL ? c->base_url : NULL, "apisecret", c != NULL ? c->api_secret : NULL};
    return api_post(c, api, path, req, transaction, out, e);
}

static kite_err api_post(const janus_config *c, janus_api api, const char *path, json_t *req, char transaction[25],
                         json_t **out, janus_error *e)
{
    *out = NULL;
    if (c == NULL || api.base == NULL) {
        json_decref(req);
        error_set(e, 0, 0, "video is not configured (no Janus URL)");
        return KITE_ERR_IO;
    }
    transaction_new(transaction);
    json_object_set_new(req, "transaction", json_string(transaction));
    if (api.secret != NULL)
        json_object_set_new(req, api.secret_name, json_string(api.secret));
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    arena *a = arena_new();
    const char *url = arena_sprintf(a, "%s%s", api.base, path);
    kite_err err = body != NULL ? exchange(c, url, body, 0, out, e) : KITE_ERR_INTERNAL;
    free(body);
    arena_free(a);
    if (err != KITE_OK)
        return err;
    const char *verb = json_string_value(json_object_get(*out, "janus"));
    if (verb != NULL && strcmp(verb, "error") == 0) {
        json_t *je = json_object_get(*out, "error");
        error_set(e, 200, (int)json_integer_value(json_object_get(je, "code")),
                  json_string_value(json_object_get(je, "reason")));
        json_decref(*out);
        *out = NULL;
        return KITE_ERR_CONFLICT;
    }
    return KITE_OK;
}

static bool id_read(json_t *v, uint64_t *id)
{
    json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;
    if (n <= 0 || n >= JANUS_ID_MAX)
        return false;
    *id = (uint64_t)n;
    return true;
}

/* A core request on a session (create, keepalive, destroy, attach, detach) answered "success". */
static kite_err core_request(const janus_config *c, const char *path, json_t *req, uint64_t *id, janus_error *e)
{
    char transaction[25];
    json_t *ans = NULL;
    kite_err err = janus_post(c, path, req, transaction, &ans, e);
    if (err != KITE_OK)
        return err;
    const char *verb = json_string_value(json_object_get(ans, "janus"));
    bool ok = verb != NULL && (strcmp(verb, "success") == 0 || strcmp(verb, "ack") == 0);
    if (ok && id != NULL)
        ok = id_read(json_object_get(json_object_get(ans, "data"), "id"), id);
    json_decref(ans);
    if (!ok) {
        error_set(e, 200, 0, "an answer Kite cannot read");
        return KITE_ERR_IO;
    }
    return KITE_OK;
}

kite_err janus_session_create(const janus_config *c, uint64_t *session, janus_error *e)
{
    return core_request(c, "", json_pack("{s:s}", "janus", "create"), session, e);
}

static const char *session_path(char *out, size_t size, uint64_t session)
{
    snprintf(out, size, "/%" PRIu64, session);
    return out;
}

static const char *handle_path(char *out, size_t size, uint64_t session, uint64_t handle)
{
    snprintf(out, size, "/%" PRIu64 "/%" PRIu64, session, handle);
    return out;
}

kite_err janus_session_destroy(const janus_config *c, uint64_t session, janus_error *e)
{
    char path[48];
    return core_request(c, session_path(path, sizeof path, session), json_pack("{s:s}", "janus", "destroy"), NULL,
                        e);
}

kite_err janus_keepalive(const janus_config *c, uint64_t session, janus_error *e)
{
    char path[48];
    return core_request(c, session_path(path, sizeof path, session), json_pack("{s:s}", "janus", "keepalive"), NULL,
                        e);
}

kite_err janus_attach(const janus_config *c, uint64_t session, uint64_t *handle, janus_error *e)
{
    char path[48];
    return core_request(c, session_path(path, sizeof path, session),
                        json_pack("{s:s, s:s}", "janus", "attach", "plugin", "janus.plugin.videoroom"), handle, e);
}

kite_err janus_detach(const janus_config *c, uint64_t session, uint64_t handle, janus_error *e)
{
    char path[48];
    return core_request(c, handle_path(path, sizeof path, session, handle), json_pack("{s:s}", "janus", "detach"),
                        NULL, e);
}

/* The videoroom's answer inside plugindata.data; a refusal (error_code) is KITE_ERR_CONFLICT. */
static kite_err plugin_data(json_t *msg, json_t **data, janus_error *e)
{
    *data = json_object_get(json_object_get(msg, "plugindata"), "data");
    if (!json_is_object(*data)) {
        error_set(e, 200, 0, "no plugin data in Janus's answer");
        return KITE_ERR_IO;
    }
    json_t *code = json_object_get(*data, "error_code");
    if (code != NULL) {
        error_set(e, 200, (int)json_integer_value(code), json_string_value(json_object_get(*data, "error")));
        return KITE_ERR_CONFLICT;
    }
    return KITE_OK;
}

/* A synchronous videoroom request (body stolen): *data points into *ans (decref *ans). */
static kite_err sync_message(const janus_config *c, uint64_t session, uint64_t handle, json_t *body, json_t **ans,
                             json_t **data, janus_error *e)
{
    char path[48], transaction[25];
    json_t *req = json_pack("{s:s, s:o}", "janus", "message", "body", body);
    kite_err err = janus_post(c, handle_path(path, sizeof path, session, handle), req, transaction, ans, e);
    if (err == KITE_OK)
        err = plugin_data(*ans, data, e);
    return err;
}

kite_err janus_room_create(const janus_config *c, uint64_t session, uint64_t handle, const janus_room *room,
                           bool *existed, janus_error *e)
{
    *existed = false;
    json_t *body = json_pack("{s:s, s:I, s:s, s:s, s:s, s:b, s:b, s:I, s:b, s:i, s:b, s:b}", "request", "create",
                             "room", (json_int_t)room->id, "description",
                             room->description != NULL ? room->description : "Kite visit", "secret", room->secret,
                             "pin", room->pin, "permanent", 0, "is_private", 1, "bitrate", (json_int_t)room->bitrate,
                             "bitrate_cap", 1, "publishers", room->publishers, "record", 0, "notify_joining", 1);
    if (c->admin_key != NULL)
        json_object_set_new(body, "admin_key", json_string(c->admin_key));
    json_t *ans = NULL, *data = NULL;
    kite_err err = sync_message(c, session, handle, body, &ans, &data, e);
    if (err == KITE_ERR_CONFLICT && e != NULL && e->code == JANUS_VIDEOROOM_ROOM_EXISTS) {
        *existed = true;
        err = KITE_OK;
    }
    json_decref(ans);
    return err;
}

kite_err janus_room_destroy(const janus_config *c, uint64_t session, uint64_t handle, uint64_t room,
                            const char *secret, janus_error *e)
{
    json_t *ans = NULL, *data = NULL;
    kite_err err = sync_message(
        c, session, handle,
        json_pack("{s:s, s:I, s:s, s:b}", "request", "destroy", "room", (json_int_t)room, "secret", secret, "permanent", 0),
        &ans, &data, e);
    if (err == KITE_ERR_CONFLICT && e != NULL && e->code == JANUS_VIDEOROOM_NO_SUCH_ROOM)
        err = KITE_OK;
    json_decref(ans);
    return err;
}

kite_err janus_room_drop(const janus_config *c, uint64_t room, const char *secret, janus_error *e)
{
    uint64_t session = 0, handle = 0;
    kite_err err = janus_session_create(c, &session, e);
    if (err == KITE_OK && (err = janus_attach(c, session, &handle, e)) == KITE_OK)
        err = janus_room_destroy(c, session, handle, room, secret, e);
    janus_error ignored = {0};
    if (session != 0 && janus_session_destroy(c, session, &ignored) != KITE_OK)
        log_warn("janus: a session of its own was not destroyed: %s", ignored.reason);
    return err;
}

kite_err janus_room_exists(const janus_config *c, uint64_t session, uint64_t handle, uint64_t room, bool *exists,
                           janus_error *e)
{
    json_t *ans = NULL, *data = NULL;
    kite_err err = sync_message(c, session, handle, json_pack("{s:s, s:I}", "request", "exists", "room", (json_int_t)room),
                                &ans, &data, e);
    *exists = err == KITE_OK && json_is_true(json_object_get(data, "exists"));
    json_decref(ans);
    return err;
}

kite_err janus_moderate(const janus_config *c, uint64_t session, uint64_t handle, uint64_t room,
                        const char *secret, uint64_t participant, const char *mid, bool muted, janus_error *e)
{
    json_t *ans = NULL, *data = NULL;
    kite_err err = sync_message(c, session, handle,
                                json_pack("{s:s, s:I, s:s, s:I, s:s, s:b}", "request", "moderate", "room",
                                          (json_int_t)room, "secret", secret, "id", (json_int_t)participant, "mid",
                                          mid != NULL ? mid : "", "mute", muted),
                                &ans, &data, e);
    json_decref(ans);
    return err;
}

kite_err janus_kick(const janus_config *c, uint64_t session, uint64_t handle, uint64_t room, const char *secret,
                    uint64_t participant, janus_error *e)
{
    json_t *ans = NULL, *data = NULL;
    kite_err err = sync_message(c, session, handle,
                                json_pack("{s:s, s:I, s:s, s:I}", "request", "kick", "room", (json_int_t)room,
                                          "secret", secret, "id", (json_int_t)participant),
                                &ans, &data, e);
    json_decref(ans);
    return err;
}

kite_err janus_participants(const janus_config *c, uint64_t session, uint64_t handle, uint64_t room,
                            janus_participant *out, int max, int *count, janus_error *e)
{
    *count = 0;
    json_t *ans = NULL, *data = NULL;
    kite_err err = sync_message(c, session, handle,
                                json_pack("{s:s, s:I}", "request", "listparticipants", "room", (json_int_t)room),
                                &ans, &data, e);
    size_t i;
    json_t *p;
    json_array_foreach(err == KITE_OK ? json_object_get(data, "participants") : NULL, i, p)
    {
        if (*count < max && id_read(json_object_get(p, "id"), &out[*count].id)) {
            out[*count].publishing = json_is_true(json_object_get(p, "publisher"));
            (*count)++;
        }
    }
    json_decref(ans);
    return err;
}

/* ---- the admin API: does media flow ---- */

/* A count from Janus: a non-negative integer below 2^53, else 0. */
static int64_t count_read(json_t *v)
{
    json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;
    return n > 0 && n < JANUS_ID_MAX ? (int64_t)n : 0;
}

static void media_read(json_t *ans, janus_media *out)
{
    *out = (janus_media){.exists = true};
    json_t *info = json_object_get(ans, "info");
    out->up = json_is_true(json_object_get(json_object_get(info, "flags"), "ready"));
    json_t *media = json_object_get(json_object_get(info, "webrtc"), "media");
    const char *mid;
    json_t *line;
    int seen = 0;
    json_object_foreach(json_is_object(media) ? media : NULL, mid, line)
    {
        if (seen++ >= JANUS_MEDIA_LINES_MAX)
            break;
        int64_t n = count_read(json_object_get(json_object_get(json_object_get(line, "stats"), "in"), "packets"));
        out->in_packets = n < JANUS_ID_MAX - out->in_packets ? out->in_packets + n : JANUS_ID_MAX - 1;
    }
}

bool janus_media_parse(const char *text, size_t len, janus_media *out)
{
    *out = (janus_media){0};
    json_t *ans = len <= JANUS_ANSWER_MAX ? json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
    const char *verb = json_string_value(json_object_get(ans, "janus"));
    bool ok = verb != NULL && strcmp(verb, "success") == 0 && json_is_object(json_object_get(ans, "info"));
    if (ok)
        media_read(ans, out);
    json_decref(ans);
    return ok;
}

/* One request answered with the verb wanted ("server_info", "success"); KITE_ERR_IO for any other. */
static kite_err expect_verb(const janus_config *c, janus_api api, const char *request, const char *wanted,
                            janus_error *e)
{
    char transaction[25];
    json_t *ans = NULL;
    kite_err err = api_post(c, api, "", json_pack("{s:s}", "janus", request), transaction, &ans, e);
    if (err != KITE_OK)
        return err;
    const char *verb = json_string_value(json_object_get(ans, "janus"));
    bool ok = verb != NULL && strcmp(verb, wanted) == 0;
    json_decref(ans);
    if (!ok) {
        error_set(e, 200, 0, "an answer Kite cannot read");
        return KITE_ERR_IO;
    }
    return KITE_OK;
}

kite_err janus_check(const janus_config *c, const char **which, janus_error *e)
{
    *which = "Janus API";
    janus_api core = {c != NULL ? c->base_url : NULL, "apisecret", c != NULL ? c->api_secret : NULL};
    kite_err err = expect_verb(c, core, "info", "server_info", e);
    if (err != KITE_OK)
        return err;
    *which = "admin API";
    janus_api admin = {c != NULL ? c->admin_url : NULL, "admin_secret", c != NULL ? c->admin_secret : NULL};
    return expect_verb(c, admin, "list_sessions", "success", e);
}

kite_err janus_handle_info(const janus_config *c, uint64_t session, uint64_t handle, janus_media *out,
                           janus_error *e)
{
    *out = (janus_media){0};
    janus_error mine = {0};
    if (e == NULL)
        e = &mine; /* its code tells a handle gone from a refusal */
    char path[48], transaction[25];
    json_t *ans = NULL;
    janus_api api = {c != NULL ? c->admin_url : NULL, "admin_secret", c != NULL ? c->admin_secret : NULL};
    kite_err err = api_post(c, api, handle_path(path, sizeof path, session, handle),
                            json_pack("{s:s}", "janus", "handle_info"), transaction, &ans, e);
    if (err == KITE_ERR_CONFLICT && (e->code == JANUS_NO_SUCH_SESSION || e->code == JANUS_NO_SUCH_HANDLE))
        return KITE_OK; /* gone: not up */
    if (err != KITE_OK)
        return err;
    const char *verb = json_string_value(json_object_get(ans, "janus"));
    if (verb == NULL || strcmp(verb, "success") != 0 || !json_is_object(json_object_get(ans, "info"))) {
        json_decref(ans);
        error_set(e, 200, 0, "a handle_info answer Kite cannot read");
        return KITE_ERR_IO;
    }
    media_read(ans, out);
    json_decref(ans);
    return KITE_OK;
}

/* ---- asynchronous requests: the ack, then the event on the long poll ---- */

bool janus_jsep_valid(const janus_jsep *jsep)
{
    if (jsep == NULL || jsep->type == NULL || jsep->sdp == NULL)
        return false;
    if (strcmp(jsep->type, "offer") != 0 && strcmp(jsep->type, "answer") != 0)
        return false;
    size_t len = strnlen(jsep->sdp, JANUS_SDP_MAX + 1);
    return len >= 4 && len <= JANUS_SDP_MAX && strncmp(jsep->sdp, "v=0", 3) == 0;
}

static void event_read(arena *a, json_t *msg, json_t *data, janus_event *out)
{
    const char *verb = json_string_value(json_object_get(data, "videoroom"));
    out->videoroom = arena_strdup(a, verb != NULL ? verb : "");
    (void)id_read(json_object_get(data, "id"), &out->id);
    (void)id_read(json_object_get(data, "private_id"), &out->private_id);
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(data, "publishers"), i, p)
    {
        if (out->feed_count < (int)(sizeof out->feeds / sizeof out->feeds[0]) &&
            id_read(json_object_get(p, "id"), &out->feeds[out->feed_count]))
            out->feed_count++;
    }
    json_array_foreach(json_object_get(data, "streams"), i, p)
    {
        const char *type = json_string_value(json_object_get(p, "type"));
        const char *mid = json_string_value(json_object_get(p, "mid"));
        if (type == NULL || mid == NULL || strlen(mid) > 32)
            continue;
        if (strcmp(type, "audio") == 0 && out->audio_mid == NULL)
            out->audio_mid = arena_strdup(a, mid);
        else if (strcmp(type, "video") == 0 && out->video_mid == NULL)
            out->video_mid = arena_strdup(a, mid);
    }
    json_t *jsep = json_object_get(msg, "jsep");
    janus_jsep j = {json_string_value(json_object_get(jsep, "type")), json_string_value(json_object_get(jsep, "sdp"))};
    if (janus_jsep_valid(&j)) {
        out->jsep.type = arena_strdup(a, j.type);
        out->jsep.sdp = arena_strdup(a, j.sdp);
    }
}

/* Long-polls session until the event of transaction arrives or the wait is over. */
static kite_err event_wait(arena *a, const janus_config *c, uint64_t session, const char *transaction,
                           janus_event *out, janus_error *e)
{
    long wait_ms = c->event_wait_ms > 0 ? c->event_wait_ms : (long)JANUS_EVENT_WAIT_MS;
    arena *local = arena_new();
    const char *url = arena_sprintf(local, "%s/%" PRIu64 "?maxev=1", c->base_url, session);
    if (c->api_secret != NULL) {
        char *escaped = curl_easy_escape(NULL, c->api_secret, 0);
        url = arena_sprintf(local, "%s&apisecret=%s", url, escaped);
        curl_free(escaped);
    }
    /* Janus answers a long poll with a "keepalive" after 30 s without an event: a few polls at most. */
    kite_err err = KITE_ERR_IO;
    error_set(e, 0, 0, "no answer from Janus in time");
    for (long waited = 0; waited < wait_ms;) {
        json_t *msg = NULL;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        err = exchange(c, url, NULL, wait_ms, &msg, e);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        waited += (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 + 1;
        if (err != KITE_OK)
            break;
        const char *verb = json_string_value(json_object_get(msg, "janus"));
        const char *tr = json_string_value(json_object_get(msg, "transaction"));
        err = KITE_ERR_IO;
        if (verb != NULL && strcmp(verb, "event") == 0 && tr != NULL && strcmp(tr, transaction) == 0) {
            json_t *data = NULL;
            err = plugin_data(msg, &data, e);
            if (err == KITE_OK)
                event_read(a, msg, data, out);
            json_decref(msg);
            break;
        }
        json_decref(msg); /* another request's event, webrtcup, media, a keepalive: not ours */
    }
    arena_free(local);
    return err;
}

/*
 * One asynchronous request at a time per Janus session in this process: a
 * long poll takes whichever event of the session comes next, so two
 * requests waiting on one session would take (and drop) each other's
 * events.  Sessions are spread over a few locks by id; a request on another
 * session that shares a lock only waits its turn.
 */
enum { SESSION_LOCKS = 64 };
static pthread_mutex_t session_locks[SESSION_LOCKS];
static pthread_once_t session_locks_once = PTHREAD_ONCE_INIT;

static void session_locks_init(void)
{
    for (int i = 0; i < SESSION_LOCKS; i++)
        pthread_mutex_init(&session_locks[i], NULL);
}

static pthread_mutex_t *session_lock(uint64_t session)
{
    pthread_once(&session_locks_once, session_locks_init);
    return &session_locks[(session ^ (session >> 17)) % SESSION_LOCKS];
}

static kite_err async_message_locked(arena *a, const janus_config *c, uint64_t session, uint64_t handle,
                                     json_t *body, const janus_jsep *jsep, janus_event *out, janus_error *e);

/* An asynchronous videoroom request (body stolen) with an optional jsep; *out is its event. */
static kite_err async_message(arena *a, const janus_config *c, uint64_t session, uint64_t handle, json_t *body,
                              const janus_jsep *jsep, janus_event *out, janus_error *e)
{
    pthread_mutex_t *lock = session_lock(session);
    pthread_mutex_lock(lock);
    kite_err err = async_message_locked(a, c, session, handle, body, jsep, out, e);
    pthread_mutex_unlock(lock);
    return err;
}

static kite_err async_message_locked(arena *a, const janus_config *c, uint64_t session, uint64_t handle,
                                     json_t *body, const janus_jsep *jsep, janus_event *out, janus_error *e)
{
    *out = (janus_event){.videoroom = ""};
    json_t *req = json_pack("{s:s, s:o}", "janus", "message", "body", body);
    if (jsep != NULL) {
        if (!janus_jsep_valid(jsep)) {
            json_decref(req);
            error_set(e, 0, 0, "a session description Kite does not pass on");
            return KITE_ERR_INVALID_FIELD;
        }
        json_object_set_new(req, "jsep", json_pack("{s:s, s:s}", "type", jsep->type, "sdp", jsep->sdp));
    }
    char path[48], transaction[25];
    json_t *ans = NULL, *data = NULL;
    kite_err err = janus_post(c, handle_path(path, sizeof path, session, handle), req, transaction, &ans, e);
    if (err != KITE_OK)
        return err;
    const char *verb = json_string_value(json_object_get(ans, "janus"));
    if (verb != NULL && strcmp(verb, "ack") == 0) {
        err = event_wait(a, c, session, transaction, out, e);
    } else if (verb != NULL && strcmp(verb, "event") == 0) { /* answered at once */
        err = plugin_data(ans, &data, e);
        if (err == KITE_OK)
            event_read(a, ans, data, out);
    } else {
        error_set(e, 200, 0, "an answer Kite cannot read");
        err = KITE_ERR_IO;
    }
    json_decref(ans);
    return err;
}

kite_err janus_join_publisher(arena *a, const janus_config *c, uint64_t session, uint64_t handle, uint64_t room,
                              const char *pin, const char *display, janus_event *out, janus_error *e)
{
    json_t *body = json_pack("{s:s, s:s, s:I, s:s, s:s}", "request", "join", "ptype", "publisher", "room",
                             (json_int_t)room, "pin", pin, "display", display != NULL ? display : "");
    kite_err err = async_message(a, c, session, handle, body, NULL, out, e);
    if (err == KITE_OK && (strcmp(out->videoroom, "joined") != 0 || out->id == 0)) {
        error_set(e, 200, 0, "Janus did not say the participant joined");
        err = KITE_ERR_IO;
    }
    return err;
}

kite_err janus_publish(arena *a, const janus_config *c, uint64_t session, uint64_t handle, const janus_jsep *offer,
                       int64_t bitrate, janus_event *out, janus_error *e)
{
    json_t *body = json_pack("{s:s, s:b, s:b, s:I}", "request", "configure", "audio", 1, "video", 1, "bitrate",
                             (json_int_t)bitrate);
    kite_err err = async_message(a, c, session, handle, body, offer, out, e);
    if (err == KITE_OK && out->jsep.sdp == NULL) {
        error_set(e, 200, 0, "Janus gave no answer to the offer");
        err = KITE_ERR_IO;
    }
    return err;
}

kite_err janus_subscribe(arena *a, const janus_config *c, uint64_t session, uint64_t handle, uint64_t room,
                         const char *pin, uint64_t feed, janus_event *out, janus_error *e)
{
    json_t *body = json_pack("{s:s, s:s, s:I, s:s, s:[{s:I}]}", "request", "join", "ptype", "subscriber", "room",
                             (json_int_t)room, "pin", pin, "streams", "feed", (json_int_t)feed);
    kite_err err = async_message(a, c, session, handle, body, NULL, out, e);
    if (err == KITE_OK && out->jsep.sdp == NULL) {
        error_set(e, 200, 0, "Janus gave no offer for the subscription");
        err = KITE_ERR_IO;
    }
    return err;
}

kite_err janus_start(arena *a, const janus_config *c, uint64_t session, uint64_t handle, const janus_jsep *answer,
                     janus_event *out, janus_error *e)
{
    json_t *body = json_pack("{s:s}", "request", "start");
    return async_message(a, c, session, handle, body, answer, out, e);
}

kite_err janus_trickle(const janus_config *c, uint64_t session, uint64_t handle, const char *candidate,
                       const char *sdp_mid, int sdp_mline_index, janus_error *e)
{
    json_t *cand;
    if (candidate == NULL) {
        cand = json_pack("{s:b}", "completed", 1);
    } else {
        if (strnlen(candidate, JANUS_CANDIDATE_MAX + 1) > JANUS_CANDIDATE_MAX) {
            error_set(e, 0, 0, "a candidate longer than Kite passes on");
            return KITE_ERR_INVALID_FIELD;
        }
        cand = json_pack("{s:s, s:i}", "candidate", candidate, "sdpMLineIndex", sdp_mline_index);
        if (sdp_mid != NULL)
            json_object_set_new(cand, "sdpMid", json_string(sdp_mid));
    }
    char path[48];
    return core_request(c, handle_path(path, sizeof path, session, handle),
                        json_pack("{s:s, s:o}", "janus", "trickle", "candidate", cand), NULL, e);
}
