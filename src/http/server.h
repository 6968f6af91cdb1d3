/*
 * server.h - the HTTP server (libmicrohttpd's threads on epoll, a pool of handlers for what may write).
 *
 * Life of a request: the first call from libmicrohttpd creates an
 * http_request with its own arena; the next calls append the body (capped at
 * limits.max_body); the last call routes and runs the handler, which answers
 * with one http_reply_* call; the completion callback writes the access log
 * line and frees the arena.  Handlers never see libmicrohttpd.
 */
#ifndef KITE_HTTP_SERVER_H
#define KITE_HTTP_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/lang.h"
#include "http/proxy.h"
#include "http/router.h"

typedef struct http_server http_server;

typedef struct http_limits {
    size_t max_body;          /* bytes of request body */
    size_t max_header_bytes;  /* all request header lines together */
    unsigned max_connections;
    unsigned max_per_address; /* open connections from one address (trusted proxies aside); 0: no cap */
    unsigned threads;         /* libmicrohttpd's threads, and as many handlers for requests that may write */
    unsigned idle_timeout_s;  /* no byte either way for this long: closed (libmicrohttpd's own timeout) */
    unsigned header_timeout_s; /* a request's head complete within this of the connection or the last answer; 0: none */
    unsigned body_timeout_s;  /* its body within this of the head; 0: none */
} http_limits;

typedef struct http_config {
    const char *host;
    uint16_t port;            /* 0: any free port */
    http_limits limits;
    const http_route *routes; /* static table */
    size_t route_count;
    void *app;                /* handed to every handler */
    const char *web_dir;      /* static files for paths outside /api/, or NULL */
    /* A request's own body cap (e.g. photo uploads), or NULL; 0 from it means limits.max_body. */
    size_t (*max_body_for)(const char *method, const char *path);
    /* Peers whose X-Forwarded-For and X-Forwarded-Proto are believed (proxy.h); count 0: none. */
    http_trusted trusted;
    /* The public address is https (--public-url): every answer carries Strict-Transport-Security. */
    bool public_https;
    /* A socket already bound and listening (http_listen): served instead of binding host:port. */
    bool bound;
    int listen_fd;
} http_config;

/*
 * Binds host:port (IPv4) and listens, for a server that must bind before it
 * gives up root (sandbox/privileges.h); the socket goes in config.listen_fd.
 */
kite_err http_listen(const char *host, uint16_t port, int *fd) KITE_WUR;

kite_err http_server_start(const http_config *config, http_server **out) KITE_WUR;
uint16_t http_server_port(const http_server *server);
/*
 * Stops accepting, lets the requests Kite is answering finish (up to a grace
 * period, with those still arriving while their bytes keep coming; a stalled
 * one is not waited for, its connection closes), then stops.
 */
http_server *http_server_stop(http_server *server);

/* ---- for handlers ---- */
arena *http_arena(http_request *req);
const char *http_method(const http_request *req);
const char *http_path(const http_request *req);
/* A query argument, percent-decoded; NULL when absent. */
const char *http_query(http_request *req, const char *name);
const char *http_header(http_request *req, const char *name);
const char *http_cookie(http_request *req, const char *name);
/* The i-th {capture} of the route's pattern. */
const char *http_param(const http_request *req, size_t i);
const char *http_body(const http_request *req, size_t *len);
/*
 * The client's address: the TCP peer's, or, when the peer is a trusted
 * proxy, the one its X-Forwarded-For names (proxy.h).  Always an address
 * as inet_ntop prints it (or "unknown"), never text the client wrote.
 */
const char *http_client_address(const http_request *req);
/* The request's path with control and non-ASCII bytes escaped (\xHH), fit for a log line. */
const char *http_path_for_log(const http_request *req);
/*
 * The language of the request's sentences (core/lang.h): an Accept-Language
 * that names English or Spanish, read when the request arrives; otherwise
 * English until http_prefer_lang() gives another (the signed-in account's
 * language), which never overrides the header.
 */
fault_lang http_lang(const http_request *req);
void http_prefer_lang(http_request *req, fault_lang lang);
/* The server's own counters (answers by route and status, latencies, requests in flight) in Prometheus's text format. */
struct buf;
void http_render_metrics(http_request *req, struct buf *out);
/* Per-request slot for the application (e.g. the signed-in principal). */
void *http_app_data(const http_request *req);
void http_set_app_data(http_request *req, void *data);

/* ---- answers: exactly one per request ---- */
void http_reply_header(http_request *req, const char *name, const char *value);
/* Takes the reference to body. */
void http_reply_json(http_request *req, int status, json_t *body);
/*
 * {"error": {code, message, field?}} with Content-Language: message NULL
 * takes the code's sentence in http_lang(req); a given message must be in it.
 */
void http_reply_error(http_request *req, kite_err err, const char *message, const char *field);
void http_reply_empty(http_request *req, int status);
void http_reply_bytes(http_request *req, int status, const char *content_type, const void *data, size_t len);
/*
 * out's bytes as the answer.  A buffer in the request's own arena
 * (buf_init(&out, http_arena(req))) is sent from where it is, not copied:
 * the arena is freed only once the answer has gone (or the connection
 * ended); any other buffer is copied as http_reply_bytes does.
 */
void http_reply_buf(http_request *req, int status, const char *content_type, const struct buf *out);

/*
 * The answer to a GET for a stored file of len bytes whose entity tag is etag
 * (quoted, strong; NULL: none), honouring one byte range (RFC 9110 14):
 * "Range: bytes=FIRST-LAST", "bytes=FIRST-" or "bytes=-SUFFIX" answers 206
 * with Content-Range and that part; a range starting at or past the end
 * answers 416 with Content-Range "bytes *" then "/LEN", and the JSON
 * error; no Range, a malformed one, several ranges, another unit, or an
 * If-Range that does not match etag answer 200 with the whole file.  Every
 * answer says "Accept-Ranges: bytes" (and ETag when given).
 */
void http_reply_file(http_request *req, const char *content_type, const void *data, size_t len, const char *etag);
bool http_replied(const http_request *req);

#endif
