/*
 * bench_wrk.h - a read phase driven by wrk (Debian's package), the lighter
 * of the two load generators issue 10 names.
 *
 * Why a second client: on this 2-core machine the client shares the cores
 * with the server.  libcurl multi (bench_multi.c) spends about 30 us of CPU
 * on each 15 KB inbox page it reads, a fifth of the machine in the inbox
 * window, all of it taken from kite; wrk reads the same pages for about a
 * third of that.  bench_run prints both rows, so what the client costs is
 * visible, not hidden in either figure.
 */
#ifndef KITE_BENCH_WRK_H
#define KITE_BENCH_WRK_H

#include <stdbool.h>
#include <stddef.h>

typedef struct bench_wrk_result {
    bool ok;                /* false: wrk is missing or failed; why says which */
    double per_second;      /* answered requests per second over wrk's window */
    double p50, p99;        /* one request's latency, ms */
    long requests, errors;  /* errors: answers other than 2xx/3xx, and socket errors */
    double client_cpu_s;    /* wrk's own CPU (user + system) over its run */
    double seconds;         /* wrk's measured window */
    char why[160];
} bench_wrk_result;

/*
 * GET base+path on `conns` connections from one wrk thread for `seconds`
 * (whole seconds, at least 1), each request carrying the next of `tokens`
 * in turn as "Authorization: Bearer"; the script is written into dir.
 */
void bench_wrk_reads(const char *base, char *const *tokens, int ntokens, const char *path, int conns, double seconds,
                     const char *dir, bench_wrk_result *out);

#endif
