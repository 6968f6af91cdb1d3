/*
 * stream.c - long-lived answers on libmicrohttpd without a thread each.
 *
 * Design: the body comes from libmicrohttpd's content reader callback.  When
 * the source has nothing to give, the callback suspends the connection
 * before returning 0 (libmicrohttpd 0.9.75 documents the content reader as
 * a safe place to suspend; returning 0 without suspending would make the
 * epoll loop call it again at once, a busy loop).  http_stream_wake()
 * resumes it from any thread; the worker then calls the reader again.
 *
 * The race between "the source found nothing" and "a wake arrives" is
 * settled by the stream's lock: a wake that comes while the stream is not
 * parked leaves wake_pending, which the reader checks under the same lock
 * before it parks.  libmicrohttpd's resume is only ever called for a
 * connection this code suspended and that its request has not finished
 * (finished is set under the lock on the request's completion), so it never
 * touches a connection that is gone.
 *
 * Lifetime: the stream is freed by the response's free callback, which
 * libmicrohttpd runs when it lets go of the response: after the request's
 * completion callback (http_stream_request_done), never before.
 *
 * Lock order: registry, then stream, then libmicrohttpd's own.  Wakers
 * holding their own lock (an event hub) take the stream lock inside it; the
 * completion path takes no two of ours at once.
 */
#include "http/stream_internal.h"

#include "core/alloc.h"
#include "core/log.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>

/*
 * A stream whose client vanished without closing (a phone that changed
 * networks) is found when its heartbeats go unacknowledged this long.
 */
enum { STREAM_BLOCK = 16 * 1024, STREAM_USER_TIMEOUT_MS = 60 * 1000 };

struct http_stream {
    pthread_mutex_t lock; /* guards the flags */
    struct MHD_Connection *conn;
    int fd; /* the connection's socket: open while !finished */
    http_streams *registry;
    http_stream_source source;
    bool parked;       /* suspended by the reader, not yet resumed */
    bool wake_pending; /* woken while not parked: ask the source again before parking */
    bool closing;      /* the server is stopping: end the body */
    bool finished;     /* the request is over: wakes are ignored */
    http_stream *prev, *next;
};

struct http_streams {
    pthread_mutex_t lock; /* guards the list and closing */
    bool closing;
    http_stream *head;
};

http_streams *http_streams_new(void)
{
    http_streams *streams = xcalloc(1, sizeof *streams);
    pthread_mutex_init(&streams->lock, NULL);
    return streams;
}

http_streams *http_streams_free(http_streams *streams)
{
    if (streams == NULL)
        return NULL;
    if (streams->head != NULL)
        log_error("http: stream registry freed with streams open");
    pthread_mutex_destroy(&streams->lock);
    free(streams);
    return NULL;
}

/* With s->lock held. */
static void stream_resume_locked(http_stream *s)
{
    if (s->parked) {
        s->parked = false;
        MHD_resume_connection(s->conn);
    } else if (!s->finished) {
        s->wake_pending = true;
    }
}

void http_streams_close_all(http_streams *streams)
{
    pthread_mutex_lock(&streams->lock);
    streams->closing = true;
    for (http_stream *s = streams->head; s != NULL; s = s->next) {
        pthread_mutex_lock(&s->lock);
        s->closing = true;
        stream_resume_locked(s);
        pthread_mutex_unlock(&s->lock);
    }
    pthread_mutex_unlock(&streams->lock);
}

void http_stream_wake(http_stream *stream)
{
    pthread_mutex_lock(&stream->lock);
    stream_resume_locked(stream);
    pthread_mutex_unlock(&stream->lock);
}

/*
 * True when the client has closed its end.  libmicrohttpd does not read
 * while it sends a body, and a parked connection is out of its poll set, so
 * a gone client would otherwise only show when a write fails (the second one
 * after its FIN).  Peeking at every wake finds it at the next wake.
 */
static bool peer_closed(int fd)
{
    if (fd < 0)
        return false;
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

bool http_stream_client_gone(http_stream *stream)
{
    pthread_mutex_lock(&stream->lock);
    bool gone = stream->finished || peer_closed(stream->fd);
    if (gone && !stream->finished)
        stream_resume_locked(stream); /* its reader finds the same and ends the request */
    pthread_mutex_unlock(&stream->lock);
    return gone;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    http_stream *s = cls;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        bool closing = s->closing;
        s->wake_pending = false;
        pthread_mutex_unlock(&s->lock);
        /* A gone client ends the body normally (an error would log a warning each time); the read that follows sees EOF. */
        if (closing || peer_closed(s->fd))
            return MHD_CONTENT_READER_END_OF_STREAM;
        bool end = false;
        size_t n = s->source.fill(s->source.cls, buf, max, &end);
        if (n > 0)
            return (ssize_t)(n <= max ? n : max);
        if (end)
            return MHD_CONTENT_READER_END_OF_STREAM;
        pthread_mutex_lock(&s->lock);
        bool park = !s->wake_pending && !s->closing;
        if (park) {
            s->parked = true;
            MHD_suspend_connection(s->conn);
        }
        pthread_mutex_unlock(&s->lock);
        if (park)
            return 0;
        /* Woken while the source looked: look again. */
    }
}

static void stream_free(void *cls)
{
    http_stream *s = cls;
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void http_stream_request_done(http_stream *stream)
{
    pthread_mutex_lock(&stream->lock);
    stream->finished = true;
    stream->parked = false;
    stream->wake_pending = false;
    pthread_mutex_unlock(&stream->lock);

    http_streams *r = stream->registry;
    pthread_mutex_lock(&r->lock);
    if (stream->prev != NULL)
        stream->prev->next = stream->next;
    else
        r->head = stream->next;
    if (stream->next != NULL)
        stream->next->prev = stream->prev;
    stream->prev = stream->next = NULL;
    pthread_mutex_unlock(&r->lock);

    stream->source.close(stream->source.cls);
}

http_stream *http_reply_stream(http_request *req, int status, const char *content_type,
                               const http_stream_source *source)
{
    if (http_replied(req)) {
        log_error("http: second answer for %s %s ignored", http_method(req), http_path_for_log(req));
        source->close(source->cls);
        return NULL;
    }
    http_stream *s = xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    s->conn = http_request_connection(req);
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(s->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    s->fd = info != NULL ? info->connect_fd : -1;
    unsigned user_timeout = STREAM_USER_TIMEOUT_MS;
    if (s->fd >= 0)
        (void)setsockopt(s->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout);
    s->registry = http_request_streams(req);
    s->source = *source;
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read, s,
                                                               stream_free);
    if (r == NULL) {
        source->close(source->cls);
        stream_free(s);
        http_reply_error(req, KITE_ERR_INTERNAL, NULL, NULL);
        return NULL;
    }
    http_streams *registry = s->registry;
    pthread_mutex_lock(&registry->lock);
    s->closing = registry->closing;
    s->next = registry->head;
    if (registry->head != NULL)
        registry->head->prev = s;
    registry->head = s;
    pthread_mutex_unlock(&registry->lock);
    http_request_answer_stream(req, status, r, content_type, s);
    return s;
}
