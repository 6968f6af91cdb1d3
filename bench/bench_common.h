/*
 * bench_common.h - what the HTTP benchmarks share: clocks, one-off requests
 * and sign-ins, and the measured phase (client threads on keep-alive
 * connections for a warm-up then a fixed window, with latency percentiles).
 *
 * Design: a phase is a set of workers, each one thread with one curl handle,
 * so every client keeps its connection (to kite, or to the proxy in front of
 * it) for the whole window.  A worker GETs or POSTs one of its paths in turn;
 * a body function makes the POST body, and a key prefix makes each request
 * carry an Idempotency-Key of its own, as a paying client would send.  Only
 * requests that started after the warm-up and got the expected status are
 * timed; any other status is counted as an error whenever it happens.
 */
#ifndef KITE_BENCH_COMMON_H
#define KITE_BENCH_COMMON_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_PASSWORD "bench password 2026"
#define BENCH_PIN "246813"
#define BENCH_OPERATOR "bench-operator@example.org"
/* Operators sign in with a code (issue 13): the bench's operator is made with this secret. */
#define BENCH_TOTP_SECRET "KITEBENCHKITEBENCHKITEBENCHKITEB"

enum { BENCH_MAX_SENDERS = 8, BENCH_MAX_PATHS = 8 };

/* The name the benchmark prints before its messages (set once in main). */
extern const char *bench_program;

double bench_now(void);
int64_t bench_wall_ms(void);
_Noreturn void bench_die(const char *what);
void *bench_calloc(size_t n, size_t size);
/* Appends n bytes to a growing, NUL-ended text (*data may start NULL); n, or 0 when out of memory (curl's write callback contract). */
size_t bench_append(char **data, size_t *len, size_t *cap, const char *add, size_t n);

/* Runs argv with `input` on its standard input; returns the exit code. */
int bench_run_with_input(const char *const argv[], const char *input);

/*
 * One request (idempotency_key and token may be NULL); the answer's JSON (or
 * NULL) in *json when json is not NULL.  Returns the status, 0 on a transport
 * error; a status of 300 or more is printed.
 */
long bench_http(const char *method, const char *url, const char *token, const char *idempotency_key,
                const char *body, json_t **json);

/* POST /api/v1/sessions with the JSON body given; returns a malloc'd token, or dies. */
char *bench_sign_in(const char *base, const char *body);
/*
 * The bench operator's sign-in: password and the current code of
 * BENCH_TOTP_SECRET.  A code signs in once (the server refuses it again), so
 * a process signs the operator in once per store and keeps the session.
 */
char *bench_operator_sign_in(const char *base);

typedef struct bench_worker bench_worker;

/* Writes the body of request i by sender `who` into out; returns its length. */
typedef int (*bench_body_fn)(const bench_worker *w, int who, long i, char *out, size_t cap);
/* Writes the path of request i into out (bench_run_multi's workers only). */
typedef void (*bench_path_fn)(const bench_worker *w, long i, char *out, size_t cap);

struct bench_worker {
    const char *base;
    const char *paths[BENCH_MAX_PATHS]; /* taken in turn */
    int npaths;
    bench_path_fn path;    /* not NULL: the path of each request instead of paths[] */
    long path_seed;        /* for path: where this connection starts */
    bench_body_fn body;    /* NULL: GET */
    char key_prefix[64];   /* not empty: Idempotency-Key "<prefix>-<i>" on every request */
    long expect;           /* the status that counts as success */
    char *tokens[BENCH_MAX_SENDERS]; /* NULL: no Authorization header */
    int64_t contact_ids[BENCH_MAX_SENDERS];
    int senders; /* taken in turn, at least 1 */
    double warmup, seconds;
    /* filled by the phase */
    pthread_t thread;
    pthread_barrier_t *start;
    double *ms;
    size_t n, cap;
    long errors;
    long last_error;
};

/* A paid message's body: contact_ids[who], about 300 characters of mixed scripts. */
int bench_message_body(const bench_worker *w, int who, long i, char *out, size_t cap);

typedef struct bench_result {
    size_t n;
    size_t over_100ms, over_1s;
    long errors;
    double per_second, p50, p90, p99, max;
} bench_result;

/* Runs the workers at once (all with the same warm-up and window) and sums them up. */
bench_result bench_run_phase(bench_worker *workers, int clients);

/* Called when the measured window opens (end false) and when the last worker is done (end true). */
typedef void (*bench_window_fn)(void *ctx, bool end);

/* bench_run_phase, calling `window` at the window's edges (from the main thread). */
bench_result bench_run_phase_window(bench_worker *workers, int clients, bench_window_fn window, void *ctx);
void bench_print_result(const char *what, const bench_result *r, int clients, double seconds);
/* Fills r's rate, percentiles and slow counts from r->n latencies in ms (all, which it sorts and frees). */
void bench_result_latencies(bench_result *r, double *all, double seconds);

#endif
