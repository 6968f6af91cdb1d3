/*
 * bench_multi.h - a measured phase driven from ONE thread with libcurl's
 * multi interface: many keep-alive connections, each a bench_worker (its
 * paths, body, tokens and expected status, as in bench_common.h), plus
 * optional Server-Sent Events streams held open for the whole phase.
 *
 * Design: on a 2-core machine a thread per client takes CPU from the server
 * it measures; one event loop over all connections costs far less.  Each
 * connection sends its next request as soon as its answer is in, until the
 * window closes; requests that started after the warm-up and got the
 * expected status are timed, any other status (or a transport error, status
 * 0) is an error whenever it happens.  Answers can be handed to a hook (a
 * send's 202 carries the message's id), and every chunk of a stream too, so
 * the caller can time an event's arrival against the answer it follows.
 */
#ifndef KITE_BENCH_MULTI_H
#define KITE_BENCH_MULTI_H

#include "bench_common.h"

typedef struct bench_multi_hooks {
    /* Each answer, with its body when keep_bodies (else NULL), at time `at` (bench_now). */
    void (*on_answer)(void *ctx, const bench_worker *w, long status, const char *body, double at);
    bool keep_bodies;
    /* Streams: GET stream_url with each of the stream_tokens, open for the whole phase. */
    const char *stream_url;
    char **stream_tokens;
    int nstreams;
    void (*on_stream)(void *ctx, int stream, const char *data, size_t len, double at);
    void *ctx;
} bench_multi_hooks;

/* Runs the workers (all with workers[0]'s warm-up and window) on one thread; hooks and window may be NULL. */
bench_result bench_run_multi(bench_worker *workers, int n, const bench_multi_hooks *hooks, bench_window_fn window,
                             void *window_ctx);

#endif
