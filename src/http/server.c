/*
 * server.c - libmicrohttpd glue: request lifecycle, limits, answers, access log.
 *
 * SECURITY: everything here is untrusted input.  Bodies are read by us (not
 * by libmicrohttpd's POST processor) into the request arena and capped at
 * limits.max_body: a larger Content-Length is refused before reading, a body
 * that grows past the cap is discarded and refused.  The header block is
 * capped by libmicrohttpd's per-connection memory and, below that, by
 * limits.max_header_bytes (the request line and query count with the
 * headers).  Static files are served only from web_dir, with paths
 * restricted to a safe alphabet and no "..".  A body framed two ways or in a
 * coding other than chunked is refused before it is read, and the connection
 * closed (framing_refused).  Slow clients and connection hoarding are
 * guard.c's; the client's address behind a trusted proxy is proxy.c's.  The
 * access log escapes the path and method (log_escape): a decoded %0a must
 * not start a line of its own.
 *
 * What libmicrohttpd 0.9.75 still answers itself, with its compiled-in HTML
 * page, because it happens before the access handler is called or while it
 * reads a body (tests/blackbox/hostile-http.test.mjs pins each):
 *   - 400: a request line that is not METHOD SP TARGET SP HTTP/d.d (extra
 *     words, a version not of that form), a header line without a colon, a
 *     Content-Length that is not a number (sent twice by 0.9.75, then the
 *     connection closes), malformed chunked encoding in a body;
 *   - 413: a Content-Length or a chunk size past 2^64;
 *   - 414 / 431: a request line, or a header block with its records, larger
 *     than the connection's memory (CONNECTION_MEMORY); a cookie header that
 *     fills it when copied for parsing;
 *   - 505: HTTP/0.x and HTTP/2 or later in the request line.
 * Everything else reaches Kite and is answered in JSON: headers, request
 * line and query together past limits.max_header_bytes (413
 * headers_too_large, up to the connection's memory), bodies past the cap
 * (413), framing (400/501), and HTTP/1.2 to 1.9, which RFC 9112 says to
 * serve as HTTP/1.1.  Catching the rest would need a patched library or a
 * parser of our own in front of it.
 *
 * Keep-alive: the response is queued only on the last call for a request;
 * queueing on the first call would make libmicrohttpd close the connection.
 *
 * Threads: libmicrohttpd's own threads (limits.threads) read, parse and
 * write, and answer GET and HEAD themselves (answers_from_reads); every
 * other request runs on a pool of handlers (as many again).  A request
 * whose body is complete is suspended and queued for the pool; the handler
 * that takes it answers and resumes it, and libmicrohttpd's next call
 * queues that answer.  libmicrohttpd hands each new connection to whichever
 * of its threads accepts first (one took 74 of 187 in a benchmark), so a
 * handler that waits (for the group commit's fsync) on that thread would
 * hold up every connection of the thread; one queue for all keeps every
 * handler busy instead.
 */
#include "http/server.h"
#include "http/guard.h"
#include "http/stream_internal.h"
#include "http/metrics.h"
#include "http/static_files.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/fault.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * CONNECTION_MEMORY: libmicrohttpd zeroes a connection's whole memory pool
 * after every request (MHD_pool_reset), so this size is paid on each
 * keep-alive request: at 384 KiB that memset was 11% of the server's time
 * on small reads.  It must still hold a 100 KB header block with its 1,700
 * header records, so that Kite answers such a request itself, in JSON,
 * instead of libmicrohttpd's HTML 431 page; of 160, 192 and 256 KiB, 256 is the
 * smallest that does (tests/blackbox/robustness.test.mjs).
 */
/* STALLED_UPLOAD_MS: a stop waits for requests still arriving only while some byte came this recently. */
enum { SHUTDOWN_GRACE_MS = 10000, STALLED_UPLOAD_MS = 2000, EARLY_REFUSAL_BYTES = 16 * 1024 * 1024, CONNECTION_MEMORY = 256 * 1024 };
/* LOG_FIELD_MAX: bytes of a path or method a log line shows; FORWARDED_MAX: X-Forwarded-* headers read (the last ones). */
enum { LOG_FIELD_MAX = 512, FORWARDED_MAX = 16 };

/* The handlers' pool: one FIFO of suspended requests, limits.threads threads (see the file comment). */
typedef struct handler_pool {
    pthread_mutex_t lock;
    pthread_cond_t work;
    http_request *first, *last;
    bool stopping; /* after http_server_stop drained it: requests are handled on libmicrohttpd's thread */
    pthread_t *threads;
    unsigned started;
} handler_pool;

struct http_server {
    struct MHD_Daemon *daemon;
    http_config config;
    atomic_int in_flight;  /* head received, not yet completed: the metrics' gauge */
    atomic_int answering;  /* body in, being handled or answered: what a stop waits for */
    _Atomic int64_t last_arrival_ms; /* when a request's head or body bytes last came (clock_mono_ms) */
    http_streams *streams; /* open streamed answers (stream.c) */
    handler_pool pool;
    http_guard *guard;     /* caps per address and request deadlines (guard.c) */
    http_metrics *metrics; /* answers by route and status, latencies (metrics.c) */
};

typedef struct pending_header {
    const char *name;
    const char *value;
    struct pending_header *next;
} pending_header;

struct http_request {
    http_server *server;
    struct MHD_Connection *conn;
    arena *arena;
    const char *method;
    const char *path;
    buf body;                 /* in the arena; body.data is NULL until the first byte */
    size_t max_body;          /* limits.max_body, or the route's own (config.max_body_for) */
    size_t declared_body;     /* Content-Length when within max_body, else 0 */
    bool too_large;
    bool headers_too_large;
    bool answered_early;
    int status;
    struct MHD_Response *response;
    pending_header *headers;
    int64_t started_ms;
    char client[INET6_ADDRSTRLEN];
    const char *log_path;     /* path, escaped for the log */
    bool hsts;                /* the client reached Kite over https: Strict-Transport-Security */
    guard_conn *guard;        /* the connection's deadlines (guard.c), or NULL */
    route_result route;
    void *app_data;
    http_stream *stream; /* when the answer is a stream */
    fault_lang lang;     /* for sentences: Accept-Language, else the account's (http_prefer_lang), else English */
    bool lang_from_header; /* Accept-Language named en or es: it wins over the account */
    bool handled;        /* a pool thread ran its handler: the next call queues the answer */
    bool answering;      /* counted in the server's answering (its body is in) */
    http_request *next_job;
};

/* ---- accessors ---- */

arena *http_arena(http_request *req) { return req->arena; }
const char *http_method(const http_request *req) { return req->method; }
const char *http_path(const http_request *req) { return req->path; }
const char *http_client_address(const http_request *req) { return req->client; }
const char *http_path_for_log(const http_request *req) { return req->log_path; }
void *http_app_data(const http_request *req) { return req->app_data; }
void http_set_app_data(http_request *req, void *data) { req->app_data = data; }
bool http_replied(const http_request *req) { return req->response != NULL; }
fault_lang http_lang(const http_request *req) { return req->lang; }

void http_prefer_lang(http_request *req, fault_lang lang)
{
    if (!req->lang_from_header && (unsigned)lang < FAULT_LANG_COUNT)
        req->lang = lang;
}

const char *http_query(http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_header(http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_cookie(http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

const char *http_param(const http_request *req, size_t i)
{
    return i < req->route.nparams ? req->route.params[i] : NULL;
}

const char *http_body(const http_request *req, size_t *len)
{
    *len = req->body.len;
    return req->body.data != NULL ? req->body.data : "";
}

/* ---- answers ---- */

void http_reply_header(http_request *req, const char *name, const char *value)
{
    pending_header *h = arena_alloc(req->arena, sizeof *h);
    h->name = arena_strdup(req->arena, name);
    h->value = arena_strdup(req->arena, value);
    h->next = req->headers;
    req->headers = h;
}

static void set_response(http_request *req, int status, struct MHD_Response *response, const char *content_type)
{
    if (req->response != NULL) {
        /* A second answer is a programming error; keep the first. */
        log_error("http: second answer for %s %s ignored", req->method, req->log_path);
        MHD_destroy_response(response);
        return;
    }
    if (content_type != NULL)
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    /* Kite's own links carry secrets (reset, confirmation and invitation tokens): no page ever names its address to another. */
    MHD_add_response_header(response, "Referrer-Policy", "no-referrer");
    if (req->hsts)
        MHD_add_response_header(response, MHD_HTTP_HEADER_STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    for (pending_header *h = req->headers; h != NULL; h = h->next)
        MHD_add_response_header(response, h->name, h->value);
    req->status = status;
    req->response = response;
}

void http_reply_bytes(http_request *req, int status, const char *content_type, const void *data, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
    set_response(req, status, r, content_type);
}

void http_reply_buf(http_request *req, int status, const char *content_type, const struct buf *out)
{
    if (out->a != req->arena) {
        http_reply_bytes(req, status, content_type, out->data, out->len);
        return;
    }
    /* on_completed destroys the answer before it frees the arena, and MHD reads no body after that. */
    struct MHD_Response *r = MHD_create_response_from_buffer(out->len, out->data, MHD_RESPMEM_PERSISTENT);
    set_response(req, status, r, content_type);
}

void http_reply_json(http_request *req, int status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (text == NULL) {
        static const char fallback[] = "{\"error\":{\"code\":\"internal_error\",\"message\":\"The answer could not be encoded.\"}}";
        http_reply_bytes(req, 500, "application/json", fallback, sizeof fallback - 1);
        return;
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    set_response(req, status, r, "application/json");
}

void http_reply_error(http_request *req, kite_err err, const char *message, const char *field)
{
    /* The caller's message is the fault table's, already in http_lang(req). */
    json_t *error = json_pack("{s:s, s:s}", "code", kite_err_code(err), "message",
                              message != NULL ? message : kite_err_message_in(err, req->lang));
    http_reply_header(req, "Content-Language", lang_tag(req->lang));
    if (field != NULL)
        json_object_set_new(error, "field", json_string(field));
    http_reply_json(req, kite_err_status(err), json_pack("{s:o}", "error", error));
}

void http_reply_empty(http_request *req, int status)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    set_response(req, status, r, NULL);
}

/* ---- for stream.c ---- */

struct MHD_Connection *http_request_connection(http_request *req) { return req->conn; }
http_streams *http_request_streams(http_request *req) { return req->server->streams; }

void http_request_answer_stream(http_request *req, int status, struct MHD_Response *response,
                                const char *content_type, http_stream *stream)
{
    set_response(req, status, response, content_type);
    req->stream = stream;
}

/* ---- lifecycle ---- */

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    size_t *total = cls;
    *total += strlen(key) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

/*
 * Text for a log line: printable ASCII as it is, a backslash doubled, every
 * other byte (control characters such as a decoded %0a, the space, bytes
 * past ASCII) as \xHH, so nothing a client sends can end the line or pose
 * as another field.  At most LOG_FIELD_MAX bytes of text, then "...".
 */
static const char *log_escape(arena *a, const char *text)
{
    static const char hex[] = "0123456789abcdef";
    size_t shown = strnlen(text, LOG_FIELD_MAX);
    char *out = arena_alloc(a, shown * 4 + 4), *o = out;
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\\') {
            *o++ = '\\';
            *o++ = '\\';
        } else if (c <= 0x20 || c >= 0x7f) {
            *o++ = '\\';
            *o++ = 'x';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        } else {
            *o++ = (char)c;
        }
    }
    if (text[shown] != '\0') {
        memcpy(o, "...", 3);
        o += 3;
    }
    *o = '\0';
    return out;
}

/* The values of one header, in order, the last FORWARDED_MAX kept. */
typedef struct header_values {
    const char *name;
    const char *values[FORWARDED_MAX];
    size_t count;
} header_values;

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    header_values *h = cls;
    if (value == NULL || strcasecmp(key, h->name) != 0)
        return MHD_YES;
    if (h->count == FORWARDED_MAX) {
        memmove(h->values, h->values + 1, (FORWARDED_MAX - 1) * sizeof h->values[0]);
        h->count--;
    }
    h->values[h->count++] = value;
    return MHD_YES;
}

/* True when the right-most X-Forwarded-Proto entry is https. */
static bool forwarded_https(struct MHD_Connection *conn, bool fallback)
{
    header_values proto = {.name = "X-Forwarded-Proto"};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &proto);
    if (proto.count == 0)
        return fallback;
    const char *last = proto.values[proto.count - 1];
    const char *entry = strrchr(last, ',');
    entry = entry != NULL ? entry + 1 : last;
    while (*entry == ' ' || *entry == '\t')
        entry++;
    size_t len = strcspn(entry, " \t");
    return len == 5 && strncasecmp(entry, "https", 5) == 0 && entry[len + strspn(entry + len, " \t")] == '\0';
}

/*
 * req->client and req->hsts: the TCP peer, unless it is a trusted proxy,
 * whose X-Forwarded-For names the client (proxy.c) and whose
 * X-Forwarded-Proto says whether the client used https.  Anyone else's
 * X-Forwarded-* headers are ignored.
 */
static void request_client(http_request *req, struct MHD_Connection *conn)
{
    const http_config *config = &req->server->config;
    snprintf(req->client, sizeof req->client, "unknown");
    req->hsts = config->public_https;
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info != NULL ? info->client_addr : NULL;
    if (sa == NULL)
        return;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, req->client, sizeof req->client);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, req->client, sizeof req->client);
    if (config->trusted.count == 0 || !http_trusted_has_sockaddr(&config->trusted, sa))
        return;
    header_values forwarded = {.name = "X-Forwarded-For"};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &forwarded);
    (void)http_trusted_client(&config->trusted, forwarded.values, forwarded.count, req->client, sizeof req->client);
    req->hsts = forwarded_https(conn, config->public_https);
}

static http_request *request_new(http_server *server, struct MHD_Connection *conn, const char *method,
                                 const char *url)
{
    arena *a = arena_new();
    http_request *req = arena_zalloc(a, sizeof *req);
    req->arena = a;
    req->server = server;
    req->conn = conn;
    req->method = arena_strdup(a, method);
    req->path = arena_strdup(a, url);
    req->log_path = log_escape(a, url);
    req->started_ms = clock_mono_ms();
    req->guard = guard_of(conn);
    request_client(req, conn);
    /* Read once, at the edge: a malformed header leaves English and is never an error. */
    req->lang_from_header =
        lang_from_accept_language(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Language"), &req->lang);
    /* The request line counts with the headers: a 200 KB address is refused here, in JSON, like 200 KB of headers. */
    size_t header_bytes = strlen(url);
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &header_bytes);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, count_header, &header_bytes);
    req->headers_too_large = header_bytes > server->config.limits.max_header_bytes;
    size_t own = server->config.max_body_for != NULL ? server->config.max_body_for(method, url) : 0;
    req->max_body = own > 0 ? own : server->config.limits.max_body;
    atomic_fetch_add(&server->in_flight, 1);
    atomic_store_explicit(&server->last_arrival_ms, req->started_ms, memory_order_relaxed);
    return req;
}

static void append_body(http_request *req, const char *data, size_t size)
{
    atomic_store_explicit(&req->server->last_arrival_ms, clock_mono_ms(), memory_order_relaxed);
    size_t max = req->max_body;
    if (req->too_large || size > max - req->body.len) {
        req->too_large = true;
        return;
    }
    if (req->body.data == NULL) {
        /* A declared Content-Length (within the cap) sizes the buffer once: large uploads are not copied over and over. */
        buf_init(&req->body, req->arena);
        buf_reserve(&req->body, req->declared_body);
    }
    buf_append(&req->body, data, size);
}

static void dispatch(http_request *req)
{
    const http_config *config = &req->server->config;
    if (req->headers_too_large) {
        http_reply_error(req, KITE_ERR_HEADERS_TOO_LARGE, NULL, NULL);
        return;
    }
    if (req->too_large) {
        http_reply_error(req, KITE_ERR_TOO_LARGE, NULL, NULL);
        return;
    }
    route_match match = router_match(config->routes, config->route_count, req->method, req->path, req->arena, &req->route);
    if (match == ROUTE_FOUND) {
        req->route.route->handler(req, config->app);
        if (req->response == NULL) {
            log_error("http: handler for %s %s gave no answer", req->method, req->route.route->pattern);
            http_reply_error(req, KITE_ERR_INTERNAL, NULL, NULL);
        }
        return;
    }
    if (match == ROUTE_METHOD_NOT_ALLOWED) {
        http_reply_header(req, "Allow", req->route.allow);
        http_reply_error(req, KITE_ERR_METHOD_NOT_ALLOWED, NULL, NULL);
        return;
    }
    if (strncmp(req->path, "/api/", 5) != 0 && http_serve_static(req, config->web_dir))
        return;
    http_reply_error(req, KITE_ERR_NOT_FOUND, NULL, NULL);
}

/* ---- the handlers' pool ---- */

static void *handler_main(void *data)
{
    handler_pool *pool = data;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (pool->first == NULL && !pool->stopping)
            pthread_cond_wait(&pool->work, &pool->lock);
        http_request *req = pool->first;
        if (req == NULL)
            break; /* stopping, and nothing left */
        pool->first = req->next_job;
        if (pool->first == NULL)
            pool->last = NULL;
        pthread_mutex_unlock(&pool->lock);
        dispatch(req);
        req->handled = true; /* published to libmicrohttpd's thread by the resume, which takes its lock */
        MHD_resume_connection(req->conn);
        pthread_mutex_lock(&pool->lock);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

/*
 * GET and HEAD are answered from a snapshot (a read transaction, never
 * waiting for the writer's fsync; a staff read's audit row aside) in well
 * under a millisecond: on libmicrohttpd's own thread, without the two
 * thread switches a handoff to the pool costs.  Everything else may write,
 * or hash a password, and goes to the pool.
 */
static bool answers_from_reads(const http_request *req)
{
    return strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
}

/* Suspends req's connection and queues it for a handler (on libmicrohttpd's thread); false when the pool has stopped. */
static bool pool_submit(handler_pool *pool, http_request *req)
{
    pthread_mutex_lock(&pool->lock);
    bool open = !pool->stopping && pool->started > 0;
    if (open) {
        /* Suspended before any handler can see it, so its resume always comes after. */
        MHD_suspend_connection(req->conn);
        req->next_job = NULL;
        if (pool->last != NULL)
            pool->last->next_job = req;
        else
            pool->first = req;
        pool->last = req;
        pthread_cond_signal(&pool->work);
    }
    pthread_mutex_unlock(&pool->lock);
    return open;
}

static void pool_start(handler_pool *pool, unsigned threads)
{
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->work, NULL);
    pool->threads = xcalloc(threads, sizeof *pool->threads);
    for (unsigned i = 0; i < threads; i++) {
        if (pthread_create(&pool->threads[pool->started], NULL, handler_main, pool) != 0) {
            log_warn("http: started %u of %u request handlers", pool->started, threads);
            break;
        }
        pool->started++;
    }
}

/*
 * Lets the handlers finish what is queued and joins them.  The lock stays
 * usable: a request libmicrohttpd still brings finds the pool stopped and
 * runs on its own thread, so pool_free waits until the daemon has stopped.
 */
static void pool_stop(handler_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    pool->stopping = true;
    pthread_cond_broadcast(&pool->work);
    pthread_mutex_unlock(&pool->lock);
    for (unsigned i = 0; i < pool->started; i++)
        pthread_join(pool->threads[i], NULL);
    free(pool->threads);
    pool->threads = NULL;
}

static void pool_free(handler_pool *pool)
{
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->work);
}

/* Counts the values of the header named in *cls (case aside). */
typedef struct header_count {
    const char *name;
    unsigned count;
} header_count;

static enum MHD_Result count_named(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    (void)value;
    header_count *c = cls;
    if (strcasecmp(key, c->name) == 0)
        c->count++;
    return MHD_YES;
}

static unsigned header_times(struct MHD_Connection *conn, const char *name)
{
    header_count c = {name, 0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_named, &c);
    return c.count;
}

/* Answers now, on the first call, and closes the connection after the answer (see framing_refused). */
static enum MHD_Result refuse_and_close(http_request *req, kite_err code, fault_detail detail)
{
    kite_fault fault;
    fault_set(&fault, code, NULL, detail);
    req->answered_early = true;
    http_reply_header(req, MHD_HTTP_HEADER_CONNECTION, "close");
    http_reply_error(req, code, fault_sentence(req->arena, &fault, req->lang), NULL);
    guard_enter(req->guard, GUARD_ANSWER);
    return MHD_queue_response(req->conn, (unsigned)req->status, req->response);
}

/*
 * The body's framing, checked before a byte of it is read.  libmicrohttpd
 * 0.9.75 lets Transfer-Encoding win over a Content-Length sent with it and
 * reads the first of repeated headers: a proxy in front that reads the other
 * one would see another request boundary (request smuggling), so a request
 * that frames its body two ways, or names either header twice, is refused
 * 400.  A transfer coding other than chunked would be read until the
 * connection closes (libmicrohttpd knows no other), so it is refused 501 at
 * once.  Both close the connection: what follows on it cannot be framed.
 * Queueing on the first call makes libmicrohttpd discard the rest of the
 * request and close after the answer (discard_request), and the answer says
 * "Connection: close" too.
 */
static bool framing_refused(http_request *req, enum MHD_Result *result)
{
    unsigned lengths = header_times(req->conn, MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned codings = header_times(req->conn, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    if (lengths + codings > 1) {
        *result = refuse_and_close(req, KITE_ERR_BAD_REQUEST, FAULT_BODY_FRAMING);
        return true;
    }
    const char *coding = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    if (coding != NULL && strcasecmp(coding, "chunked") != 0) {
        *result = refuse_and_close(req, KITE_ERR_NOT_IMPLEMENTED, FAULT_TRANSFER_CODING);
        return true;
    }
    return false;
}

/* Kite's to finish from here: a stop waits for it (before, only while its bytes still come: stopping_waits). */
static void start_answering(http_request *req)
{
    if (req->answering)
        return;
    req->answering = true;
    atomic_fetch_add(&req->server->answering, 1);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    (void)version;
    http_server *server = cls;
    http_request *req = *req_cls;
    if (req == NULL) {
        req = request_new(server, conn, method, url);
        *req_cls = req;
        /* The head is in: the body's deadline starts (guard.c). */
        guard_enter(req->guard, GUARD_BODY);
        enum MHD_Result refused;
        if (framing_refused(req, &refused))
            return refused;
        const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        const char *expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
        unsigned long long declared = length != NULL ? strtoull(length, NULL, 10) : 0;
        req->declared_body = declared <= req->max_body ? (size_t)declared : 0;
        if (declared > req->max_body) {
            req->too_large = true;
            /*
             * Answering before the body is read makes libmicrohttpd close the
             * socket with the body unread, and the client often sees a reset
             * instead of the 413.  So answer early only when the client waits
             * for "100 Continue" or the body is absurd; otherwise read and
             * discard it, then answer.
             */
            if (expect != NULL || declared > EARLY_REFUSAL_BYTES) {
                req->answered_early = true;
                start_answering(req);
                guard_enter(req->guard, GUARD_ANSWER);
                dispatch(req);
                return MHD_queue_response(conn, (unsigned)req->status, req->response);
            }
        }
        return MHD_YES;
    }
    if (req->answered_early)
        return MHD_YES;
    if (*upload_data_size > 0) {
        append_body(req, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!req->handled) {
        /* The body is in: no deadline while Kite answers (a stream lasts as long as it likes). */
        guard_enter(req->guard, GUARD_ANSWER);
        start_answering(req);
        if (!answers_from_reads(req) && pool_submit(&server->pool, req))
            return MHD_YES; /* answered when a handler resumes it */
        dispatch(req);
    }
    return MHD_queue_response(conn, (unsigned)req->status, req->response);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    http_server *server = cls;
    http_request *req = *req_cls;
    if (req == NULL)
        return;
    *req_cls = NULL;
    /* A kept-alive connection waits for the next head, within the same deadline as a new one. */
    guard_enter(req->guard, GUARD_HEAD);
    int64_t took = clock_mono_ms() - req->started_ms;
    const char *method = log_escape(req->arena, req->method);
    char early[48];
    snprintf(early, sizeof early, "connection ended early: %d", (int)toe);
    log_request(method, req->log_path, req->status, took, req->client,
                toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? NULL : early);
    size_t route = req->route.route != NULL ? (size_t)(req->route.route - server->config.routes)
                                            : server->config.route_count;
    http_metrics_record(server->metrics, route, req->status, took);
    if (req->stream != NULL)
        http_stream_request_done(req->stream);
    if (req->response != NULL)
        MHD_destroy_response(req->response);
    bool answering = req->answering;
    arena_free(req->arena);
    if (answering)
        atomic_fetch_sub(&server->answering, 1);
    atomic_fetch_sub(&server->in_flight, 1);
}

void http_render_metrics(http_request *req, struct buf *out)
{
    http_server *server = req->server;
    http_metrics_render(server->metrics, server->config.routes, out);
    buf_printf(out, "# HELP kite_http_requests_in_flight Requests received and not yet answered.\n"
                    "# TYPE kite_http_requests_in_flight gauge\nkite_http_requests_in_flight %d\n",
               atomic_load(&server->in_flight));
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char text[512];
    vsnprintf(text, sizeof text, fmt, ap);
    size_t len = strlen(text);
    while (len > 0 && text[len - 1] == '\n')
        text[--len] = '\0';
    log_warn("http: %s", text);
}

static kite_err address_of(const char *host, uint16_t port, struct sockaddr_in *addr)
{
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_port = htons(port);
    if (inet_pton(AF_INET, host, &addr->sin_addr) != 1) {
        log_error("http: %s is not an IPv4 address", host);
        return KITE_ERR_BAD_REQUEST;
    }
    return KITE_OK;
}

kite_err http_listen(const char *host, uint16_t port, int *fd)
{
    struct sockaddr_in addr;
    kite_err err = address_of(host, port, &addr);
    if (err != KITE_OK)
        return err;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int on = 1;
    if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        bind(s, (const struct sockaddr *)&addr, sizeof addr) != 0 || listen(s, SOMAXCONN) != 0) {
        log_error("http: cannot listen on %s:%u (%s)", host, port, strerror(errno));
        if (s >= 0)
            close(s);
        return KITE_ERR_IO;
    }
    *fd = s;
    return KITE_OK;
}

kite_err http_server_start(const http_config *config, http_server **out)
{
    struct sockaddr_in addr;
    kite_err err = address_of(config->host, config->port, &addr);
    if (err != KITE_OK)
        return err;
    /* Either the socket bound before root was given up, or the address to bind now. */
    struct MHD_OptionItem where[] = {
        config->bound ? (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, config->listen_fd, NULL}
                      : (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &addr},
        {MHD_OPTION_END, 0, NULL},
    };
    http_server *server = xcalloc(1, sizeof *server);
    server->config = *config;
    server->metrics = http_metrics_new(config->route_count);
    server->streams = http_streams_new();
    /* Suspend/resume parks idle streams (stream.c) without a thread each. */
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    pool_start(&server->pool, config->limits.threads);
    /* server->config, not config: the guard keeps a pointer to the trusted proxies. */
    guard_config guarding = {.max_per_address = config->limits.max_per_address,
                             .header_timeout_s = config->limits.header_timeout_s,
                             .body_timeout_s = config->limits.body_timeout_s,
                             .trusted = &server->config.trusted};
    server->guard = guard_start(&guarding);
    server->daemon = MHD_start_daemon(flags, config->port, guard_accept, server->guard, on_request, server,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, guard_notify, server->guard,
        MHD_OPTION_ARRAY, where,
        MHD_OPTION_THREAD_POOL_SIZE, config->limits.threads,
        MHD_OPTION_CONNECTION_LIMIT, config->limits.max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, config->limits.idle_timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, server,
        MHD_OPTION_END);
    if (server->daemon == NULL) {
        log_error("http: cannot listen on %s:%u (%s)", config->host, config->port, strerror(errno));
        pool_stop(&server->pool);
        pool_free(&server->pool);
        server->guard = guard_stop(server->guard);
        http_streams_free(server->streams);
        server->metrics = http_metrics_free(server->metrics);
        free(server);
        return KITE_ERR_IO;
    }
    *out = server;
    return KITE_OK;
}

uint16_t http_server_port(const http_server *server)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info != NULL ? info->port : 0;
}

/*
 * Whether a stop still waits: for every request Kite is answering, and for
 * requests still arriving while their bytes keep coming (an upload that was
 * on its way when the stop came is answered).  Once nothing has arrived for
 * STALLED_UPLOAD_MS, a request still sending its head or body is stalled: it
 * changed nothing, and waiting for it would hold the stop for the whole grace.
 */
static bool stopping_waits(http_server *server)
{
    int answering = atomic_load(&server->answering);
    if (answering > 0)
        return true;
    int64_t quiet = clock_mono_ms() - atomic_load_explicit(&server->last_arrival_ms, memory_order_relaxed);
    return atomic_load(&server->in_flight) > answering && quiet < STALLED_UPLOAD_MS;
}

http_server *http_server_stop(http_server *server)
{
    if (server == NULL)
        return NULL;
    MHD_socket listen_fd = MHD_quiesce_daemon(server->daemon);
    /* Streams never end by themselves: end them, or they would hold up the stop. */
    http_streams_close_all(server->streams);
    int64_t deadline = clock_mono_ms() + SHUTDOWN_GRACE_MS;
    while (stopping_waits(server) && clock_mono_ms() < deadline)
        usleep(10000);
    /* Before the daemon stops: a handler still running resumes its connection, which must still exist. */
    pool_stop(&server->pool);
    MHD_stop_daemon(server->daemon);
    if (listen_fd != MHD_INVALID_SOCKET)
        close(listen_fd);
    pool_free(&server->pool);
    server->guard = guard_stop(server->guard); /* after the daemon: its last "closed" notices come from MHD_stop_daemon */
    http_streams_free(server->streams);
    server->metrics = http_metrics_free(server->metrics);
    free(server);
    return NULL;
}
