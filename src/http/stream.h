/*
 * stream.h - answers whose body keeps coming (Server-Sent Events).
 *
 * A handler answers with http_reply_stream() and a source.  The server asks
 * the source for bytes whenever the client can take more; when the source
 * has nothing, the connection is parked (suspended in libmicrohttpd: no
 * thread waits for it, nothing polls) until someone calls
 * http_stream_wake().  An idle stream therefore costs a socket and a few
 * hundred bytes, never a worker thread.
 *
 * Ownership: the source's cls belongs to the stream from the call on; its
 * close callback runs exactly once, on the server thread of the request,
 * when the stream is over (the source ended it, the client went away, the
 * server is stopping) or at once when the stream could not be started.
 * After close returns, the http_stream pointer must not be used again.
 *
 * Server shutdown ends every stream (the source is no longer asked), so open
 * streams never hold up a stop.
 */
#ifndef KITE_HTTP_STREAM_H
#define KITE_HTTP_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "http/server.h"

typedef struct http_stream http_stream;

typedef struct http_stream_source {
    /*
     * Copies at most max bytes into buf and returns how many.  0 with *end
     * false parks the stream until http_stream_wake(); *end set (with 0)
     * finishes the body.  Runs on a server thread, never twice at once for
     * one stream.
     */
    size_t (*fill)(void *cls, char *buf, size_t max, bool *end);
    void (*close)(void *cls);
    void *cls;
} http_stream_source;

/*
 * Answers status with a body of unknown length taken from source (headers
 * added with http_reply_header before this call are sent too).  Returns the
 * stream, valid until source->close runs; NULL when it could not start, in
 * which case close has already run.
 */
http_stream *http_reply_stream(http_request *req, int status, const char *content_type,
                               const http_stream_source *source);

/* The source may have bytes now: ask it again.  Any thread; cheap; a wake after the end is ignored. */
void http_stream_wake(http_stream *stream);

/*
 * True when the client has closed its end (the stream then ends on its own
 * thread, soon).  Any thread; one non-blocking system call.
 */
bool http_stream_client_gone(http_stream *stream);

#endif
