/*
 * bench_multi.c - one thread, many connections (see bench_multi.h).
 *
 * Design: one easy handle per worker, reused for every request so its
 * connection stays open; when a request completes the handle is taken out
 * of the multi handle, given its next request and put back.  Latencies go
 * into the worker's own array, as bench_run_phase does, so the percentiles
 * are exact.  Streams are easy handles that never complete; they are
 * removed when the last worker is done.
 */
#include "bench_multi.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct conn {
    bench_worker *w;
    CURL *h;
    struct curl_slist *headers;
    char url[512];
    char body[1024];
    char *answer;
    size_t len, cap;
    bool keep;
    long i;
    double t0;
} conn;

typedef struct stream {
    const bench_multi_hooks *hooks;
    int index;
    CURL *h;
    struct curl_slist *headers;
} stream;

static size_t collect(char *data, size_t size, size_t n, void *ctx)
{
    conn *c = ctx;
    size_t add = size * n;
    if (!c->keep)
        return add;
    return bench_append(&c->answer, &c->len, &c->cap, data, add);
}

static size_t stream_chunk(char *data, size_t size, size_t n, void *ctx)
{
    stream *s = ctx;
    s->hooks->on_stream(s->hooks->ctx, s->index, data, size * n, bench_now());
    return size * n;
}

static void record(bench_worker *w, double ms)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 65536;
        double *bigger = realloc(w->ms, cap * sizeof *bigger);
        if (bigger == NULL)
            bench_die("out of memory");
        w->ms = bigger;
        w->cap = cap;
    }
    w->ms[w->n++] = ms;
}

/* Request c->i of its worker, on its handle (not yet in the multi handle). */
static void prepare(conn *c)
{
    bench_worker *w = c->w;
    int who = (int)(c->i % w->senders);
    char line[512];
    curl_slist_free_all(c->headers);
    c->headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (w->tokens[who] != NULL) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", w->tokens[who]);
        c->headers = curl_slist_append(c->headers, line);
    }
    if (w->key_prefix[0] != '\0') {
        snprintf(line, sizeof line, "Idempotency-Key: %s-%ld", w->key_prefix, c->i);
        c->headers = curl_slist_append(c->headers, line);
    }
    char path[256];
    if (w->path != NULL)
        w->path(w, c->i, path, sizeof path);
    snprintf(c->url, sizeof c->url, "%s%s", w->base, w->path != NULL ? path : w->paths[c->i % w->npaths]);
    curl_easy_setopt(c->h, CURLOPT_URL, c->url);
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->headers);
    if (w->body != NULL) {
        int len = w->body(w, who, c->i, c->body, sizeof c->body);
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, c->body);
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    c->len = 0;
    if (c->answer != NULL)
        c->answer[0] = '\0';
    c->t0 = bench_now();
}

static bench_result sum_up(bench_worker *workers, int n)
{
    bench_result r = {0};
    for (int i = 0; i < n; i++) {
        r.n += workers[i].n;
        r.errors += workers[i].errors;
    }
    long reported = 0;
    for (int i = 0; i < n && reported < 4; i++) {
        if (workers[i].errors) {
            fprintf(stderr, "%s: connection %d: %ld errors, last status %ld\n", bench_program, i, workers[i].errors,
                    workers[i].last_error);
            reported++;
        }
    }
    double *all = bench_calloc(r.n ? r.n : 1, sizeof *all);
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        if (workers[i].n > 0)
            memcpy(all + k, workers[i].ms, workers[i].n * sizeof *all);
        k += workers[i].n;
    }
    bench_result_latencies(&r, all, workers[0].seconds);
    return r;
}

bench_result bench_run_multi(bench_worker *workers, int n, const bench_multi_hooks *hooks, bench_window_fn window,
                             void *window_ctx)
{
    CURLM *multi = curl_multi_init();
    conn *conns = bench_calloc((size_t)n, sizeof *conns);
    int nstreams = hooks != NULL && hooks->on_stream != NULL ? hooks->nstreams : 0;
    stream *streams = bench_calloc((size_t)(nstreams > 0 ? nstreams : 1), sizeof *streams);
    char line[512];
    for (int s = 0; s < nstreams; s++) {
        streams[s] = (stream){hooks, s, curl_easy_init(), NULL};
        snprintf(line, sizeof line, "Authorization: Bearer %s", hooks->stream_tokens[s]);
        streams[s].headers = curl_slist_append(NULL, line);
        curl_easy_setopt(streams[s].h, CURLOPT_URL, hooks->stream_url);
        curl_easy_setopt(streams[s].h, CURLOPT_HTTPHEADER, streams[s].headers);
        curl_easy_setopt(streams[s].h, CURLOPT_WRITEFUNCTION, stream_chunk);
        curl_easy_setopt(streams[s].h, CURLOPT_WRITEDATA, &streams[s]);
        curl_easy_setopt(streams[s].h, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(streams[s].h, CURLOPT_PRIVATE, NULL);
        curl_multi_add_handle(multi, streams[s].h);
    }
    /* Let the streams connect and subscribe before the first request. */
    for (double until = bench_now() + (nstreams > 0 ? 0.5 : 0); bench_now() < until;) {
        int running = 0;
        curl_multi_perform(multi, &running);
        curl_multi_poll(multi, NULL, 0, 50, NULL);
    }
    double begin = bench_now(), measure_from = begin + workers[0].warmup, end = measure_from + workers[0].seconds;
    for (int i = 0; i < n; i++) {
        if (workers[i].senders < 1 || workers[i].npaths < 1)
            bench_die("a worker without a sender or a path");
        conn *c = &conns[i];
        c->w = &workers[i];
        c->h = curl_easy_init();
        c->keep = hooks != NULL && hooks->keep_bodies;
        curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
        curl_easy_setopt(c->h, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(c->h, CURLOPT_PRIVATE, c);
        if (workers[i].body != NULL)
            curl_easy_setopt(c->h, CURLOPT_POST, 1L);
        prepare(c);
        curl_multi_add_handle(multi, c->h);
    }
    int active = n;
    bool window_open = false;
    while (active > 0) {
        int running = 0;
        curl_multi_perform(multi, &running);
        if (!window_open && window != NULL && bench_now() >= measure_from) {
            window(window_ctx, false);
            window_open = true;
        }
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(multi, &left)) != NULL) {
            if (m->msg != CURLMSG_DONE)
                continue;
            conn *c = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
            CURLcode result = m->data.result;
            if (c == NULL) {
                fprintf(stderr, "%s: an event stream ended early (%s)\n", bench_program, curl_easy_strerror(result));
                curl_multi_remove_handle(multi, m->easy_handle);
                continue;
            }
            double done = bench_now();
            long status = 0;
            if (result == CURLE_OK)
                curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
            bench_worker *w = c->w;
            if (status != w->expect) {
                w->errors++;
                w->last_error = status;
            } else if (c->t0 >= measure_from) {
                record(w, (done - c->t0) * 1000.0);
            }
            if (hooks != NULL && hooks->on_answer != NULL && c->t0 >= measure_from)
                hooks->on_answer(hooks->ctx, w, status, c->keep ? c->answer : NULL, done);
            curl_multi_remove_handle(multi, c->h);
            if (done >= end) {
                active--;
                continue;
            }
            c->i++;
            prepare(c);
            curl_multi_add_handle(multi, c->h);
        }
        if (active > 0)
            curl_multi_poll(multi, NULL, 0, 20, NULL);
    }
    if (window != NULL) {
        if (!window_open)
            window(window_ctx, false);
        window(window_ctx, true);
    }
    /* The last answers' events may still be on their way: the streams read on a moment before they close. */
    for (double until = bench_now() + (nstreams > 0 ? 0.3 : 0); bench_now() < until;) {
        int running = 0;
        curl_multi_perform(multi, &running);
        curl_multi_poll(multi, NULL, 0, 20, NULL);
    }
    for (int s = 0; s < nstreams; s++) {
        curl_multi_remove_handle(multi, streams[s].h);
        curl_easy_cleanup(streams[s].h);
        curl_slist_free_all(streams[s].headers);
    }
    for (int i = 0; i < n; i++) {
        curl_easy_cleanup(conns[i].h);
        curl_slist_free_all(conns[i].headers);
        free(conns[i].answer);
    }
    curl_multi_cleanup(multi);
    free(conns);
    free(streams);
    return sum_up(workers, n);
}
