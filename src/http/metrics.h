/*
 * metrics.h - the HTTP server's own counts for GET /metrics: answers by
 * route and status, and how long they took.
 *
 * Design: fixed arrays of atomic counters, one row per route of the table
 * (and one for paths no route matched: static files, 404s), one column per
 * status Kite answers (and one for any other); a latency histogram.  Recording
 * is three relaxed atomic adds on the completion callback (the answer's
 * cell, its one latency bucket, the time's sum), never a lock: each
 * request adds to its own bucket only, and rendering makes Prometheus's
 * cumulative buckets by adding them up, so a fast request does not pay a
 * dozen adds on cache lines every thread shares.  Rendering reads without
 * stopping anyone; the count (+Inf) is the sum of the very bucket values it
 * printed, so the buckets never exceed it.
 */
#ifndef KITE_HTTP_METRICS_H
#define KITE_HTTP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "http/router.h"

typedef struct http_metrics http_metrics;

http_metrics *http_metrics_new(size_t route_count);
http_metrics *http_metrics_free(http_metrics *m);
/* route: the route's index in the table, or route_count when none matched. */
void http_metrics_record(http_metrics *m, size_t route, int status, int64_t took_ms);
/* Appends the counters in Prometheus's text format (version 0.0.4). */
void http_metrics_render(const http_metrics *m, const http_route *routes, buf *out);

#endif
