/*
 * stream_internal.h - the seam between server.c and stream.c; not for handlers.
 *
 * The server owns one registry of open streams: it ends them all when it
 * stops (before waiting for requests in flight, so streams never hold up a
 * stop, and before libmicrohttpd is stopped, which must not find a
 * suspended connection), and tells a stream when its request is over.
 */
#ifndef KITE_HTTP_STREAM_INTERNAL_H
#define KITE_HTTP_STREAM_INTERNAL_H

#include <microhttpd.h>

#include "http/stream.h"

typedef struct http_streams http_streams;

http_streams *http_streams_new(void);
/* Accepts NULL; returns NULL.  Every stream must be over. */
http_streams *http_streams_free(http_streams *streams);
/* Ends every open stream and every stream started from now on. */
void http_streams_close_all(http_streams *streams);

/* The request is over (libmicrohttpd's completion callback): runs the source's close. */
void http_stream_request_done(http_stream *stream);

/* ---- from server.c ---- */
struct MHD_Connection *http_request_connection(http_request *req);
http_streams *http_request_streams(http_request *req);
/* Queues response as the answer, like every http_reply_*, and ties stream to the request. */
void http_request_answer_stream(http_request *req, int status, struct MHD_Response *response,
                                const char *content_type, http_stream *stream);

#endif
