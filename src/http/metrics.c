/*
 * metrics.c - the HTTP counters (the design is in metrics.h).
 */
#include "http/metrics.h"

#include "core/alloc.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>

/* The statuses Kite answers; anything else is counted as "other". */
static const int statuses[] = {200, 201, 202, 204, 206, 304, 400, 401, 402, 403, 404, 405, 409, 410,
                               413, 415, 422, 429, 431, 500, 501, 502, 503, 504, 507};
enum { STATUS_COLUMNS = sizeof statuses / sizeof statuses[0] + 1 };

/* Upper bounds in milliseconds; one more bucket holds what took longer (+Inf). */
static const int64_t bounds_ms[] = {1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
enum { BUCKETS = sizeof bounds_ms / sizeof bounds_ms[0] };

struct http_metrics {
    size_t rows; /* routes + 1 */
    atomic_uint_fast64_t *answers; /* rows * STATUS_COLUMNS */
    atomic_uint_fast64_t bucket[BUCKETS + 1]; /* not cumulative: each request is in one */
    atomic_uint_fast64_t sum_ms;
};

http_metrics *http_metrics_new(size_t route_count)
{
    http_metrics *m = xcalloc(1, sizeof *m);
    m->rows = route_count + 1;
    m->answers = xcalloc(m->rows * STATUS_COLUMNS, sizeof *m->answers);
    return m;
}

http_metrics *http_metrics_free(http_metrics *m)
{
    if (m != NULL) {
        free(m->answers);
        free(m);
    }
    return NULL;
}

static size_t column_of(int status)
{
    for (size_t i = 0; i < STATUS_COLUMNS - 1; i++)
        if (statuses[i] == status)
            return i;
    return STATUS_COLUMNS - 1;
}

void http_metrics_record(http_metrics *m, size_t route, int status, int64_t took_ms)
{
    if (route >= m->rows)
        route = m->rows - 1;
    atomic_fetch_add_explicit(&m->answers[route * STATUS_COLUMNS + column_of(status)], 1, memory_order_relaxed);
    if (took_ms < 0)
        took_ms = 0;
    size_t i = 0;
    while (i < BUCKETS && took_ms > bounds_ms[i])
        i++;
    atomic_fetch_add_explicit(&m->bucket[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->sum_ms, (uint_fast64_t)took_ms, memory_order_relaxed);
}

void http_metrics_render(const http_metrics *m, const http_route *routes, buf *out)
{
    buf_puts(out, "# HELP kite_http_requests_total Answers given, by route and status.\n"
                  "# TYPE kite_http_requests_total counter\n");
    for (size_t r = 0; r < m->rows; r++) {
        for (size_t c = 0; c < STATUS_COLUMNS; c++) {
            uint64_t n = atomic_load_explicit(&m->answers[r * STATUS_COLUMNS + c], memory_order_relaxed);
            if (n == 0)
                continue;
            /* Route patterns are Kite's own table: no quote or backslash to escape. */
            const char *method = r + 1 < m->rows ? routes[r].method : "";
            const char *pattern = r + 1 < m->rows ? routes[r].pattern : "(no route)";
            if (c + 1 < STATUS_COLUMNS)
                buf_printf(out, "kite_http_requests_total{method=\"%s\",route=\"%s\",status=\"%d\"} %" PRIu64 "\n",
                           method, pattern, statuses[c], n);
            else
                buf_printf(out, "kite_http_requests_total{method=\"%s\",route=\"%s\",status=\"other\"} %" PRIu64 "\n",
                           method, pattern, n);
        }
    }
    buf_puts(out, "# HELP kite_http_request_duration_seconds Time from a request's first byte to its answer.\n"
                  "# TYPE kite_http_request_duration_seconds histogram\n");
    uint64_t count = 0;
    for (size_t i = 0; i < BUCKETS; i++) {
        count += atomic_load_explicit(&m->bucket[i], memory_order_relaxed);
        buf_printf(out, "kite_http_request_duration_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
                   (double)bounds_ms[i] / 1000.0, count);
    }
    count += atomic_load_explicit(&m->bucket[BUCKETS], memory_order_relaxed);
    buf_printf(out, "kite_http_request_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", count);
    buf_printf(out, "kite_http_request_duration_seconds_sum %.3f\n",
               (double)atomic_load_explicit(&m->sum_ms, memory_order_relaxed) / 1000.0);
    buf_printf(out, "kite_http_request_duration_seconds_count %" PRIu64 "\n", count);
}
