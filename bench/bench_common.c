/*
 * bench_common.c - the helpers the HTTP benchmarks share (see bench_common.h).
 *
 * Design: one-off requests (setup, sign-ins) open a connection each and are
 * not timed; measured requests go through bench_run_phase, whose workers
 * keep one connection each.  Latencies are kept whole (a double per request)
 * and sorted once at the end, so the percentiles are exact, not binned.
 */
#include "bench_common.h"

#include <curl/curl.h>
#include <liboath/oath.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *bench_program = "bench";

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t bench_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void bench_die(const char *what)
{
    fprintf(stderr, "%s: %s\n", bench_program, what);
    exit(1);
}

void *bench_calloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (p == NULL)
        bench_die("out of memory");
    return p;
}

int bench_run_with_input(const char *const argv[], const char *input)
{
    int fds[2];
    if (pipe(fds) != 0)
        bench_die("pipe failed");
    pid_t pid = fork();
    if (pid < 0)
        bench_die("fork failed");
    if (pid == 0) {
        if (dup2(fds[0], 0) < 0)
            _exit(127);
        close(fds[0]);
        close(fds[1]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[0]);
    size_t len = strlen(input);
    if (write(fds[1], input, len) != (ssize_t)len)
        bench_die("cannot write to a child's standard input");
    close(fds[1]);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

typedef struct buffer {
    char *data;
    size_t len, cap;
} buffer;

size_t bench_append(char **data, size_t *len, size_t *cap, const char *add, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t bigger_cap = *cap ? *cap * 2 : 4096;
        while (bigger_cap < *len + n + 1)
            bigger_cap *= 2;
        char *bigger = realloc(*data, bigger_cap);
        if (bigger == NULL)
            return 0;
        *data = bigger;
        *cap = bigger_cap;
    }
    memcpy(*data + *len, add, n);
    *len += n;
    (*data)[*len] = '\0';
    return n;
}

static size_t collect(char *data, size_t size, size_t n, void *ctx)
{
    buffer *b = ctx;
    return bench_append(&b->data, &b->len, &b->cap, data, size * n);
}

static size_t discard(char *data, size_t size, size_t n, void *ctx)
{
    (void)data;
    (void)ctx;
    return size * n;
}

long bench_http(const char *method, const char *url, const char *token, const char *idempotency_key,
                const char *body, json_t **json)
{
    CURL *curl = curl_easy_init();
    buffer b = {0};
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    char line[512];
    if (token != NULL) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", token);
        headers = curl_slist_append(headers, line);
    }
    if (idempotency_key != NULL) {
        snprintf(line, sizeof line, "Idempotency-Key: %s", idempotency_key);
        headers = curl_slist_append(headers, line);
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    if (body != NULL)
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (json != NULL)
        *json = b.data != NULL ? json_loads(b.data, 0, NULL) : NULL;
    if (status >= 300 || status == 0)
        fprintf(stderr, "%s: %s %s -> %ld %s\n", bench_program, method, url, status, b.data != NULL ? b.data : "");
    free(b.data);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return status;
}

char *bench_sign_in(const char *base, const char *body)
{
    char url[256];
    snprintf(url, sizeof url, "%s/api/v1/sessions", base);
    json_t *answer = NULL;
    if (bench_http("POST", url, NULL, NULL, body, &answer) != 201 || answer == NULL)
        bench_die("sign-in failed");
    const char *token = json_string_value(json_object_get(answer, "token"));
    if (token == NULL)
        bench_die("sign-in answer without a token");
    char *copy = strdup(token);
    json_decref(answer);
    return copy;
}

char *bench_operator_sign_in(const char *base)
{
    char *raw = NULL;
    size_t raw_len = 0;
    char code[16];
    if (oath_init() != OATH_OK || oath_base32_decode(BENCH_TOTP_SECRET, strlen(BENCH_TOTP_SECRET), &raw, &raw_len) != OATH_OK ||
        oath_totp_generate(raw, raw_len, time(NULL), OATH_TOTP_DEFAULT_TIME_STEP_SIZE, OATH_TOTP_DEFAULT_START_TIME, 6,
                           code) != OATH_OK)
        bench_die("cannot make the operator's sign-in code");
    free(raw);
    char body[256];
    snprintf(body, sizeof body, "{\"email\":\"" BENCH_OPERATOR "\",\"password\":\"" BENCH_PASSWORD "\",\"totp_code\":\"%s\"}",
             code);
    return bench_sign_in(base, body);
}

int bench_message_body(const bench_worker *w, int who, long i, char *out, size_t cap)
{
    return snprintf(out, cap,
        "{\"contact_id\":%lld,\"subject\":\"Bench message %ld\",\"body\":\"Dear family,\\nthe week went well; "
        "classes, work in the kitchen, letters from home. Café con leche on Sunday. Merci, gracias, спасибо, "
        "شكرا, 谢谢 ❤️ 😀. Write back soon and tell everyone hello from me. Message %ld of this bench.\"}",
        (long long)w->contact_ids[who], i, i);
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

/* The headers of request i: the sender's, plus its own Idempotency-Key when the worker sends one. */
static struct curl_slist *request_headers(const bench_worker *w, int who, long i)
{
    char line[512];
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (w->tokens[who] != NULL) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", w->tokens[who]);
        h = curl_slist_append(h, line);
    }
    if (w->key_prefix[0] != '\0') {
        snprintf(line, sizeof line, "Idempotency-Key: %s-%ld", w->key_prefix, i);
        h = curl_slist_append(h, line);
    }
    return h;
}

static void *work(void *data)
{
    bench_worker *w = data;
    CURL *curl = curl_easy_init();
    char url[BENCH_MAX_PATHS][512], body[1024];
    for (int p = 0; p < w->npaths; p++)
        snprintf(url[p], sizeof url[p], "%s%s", w->base, w->paths[p]);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
    if (w->body != NULL)
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
    pthread_barrier_wait(w->start);
    double begin = bench_now(), measure_from = begin + w->warmup, end = measure_from + w->seconds;
    for (long i = 0;; i++) {
        double t = bench_now();
        if (t >= end)
            break;
        int who = (int)(i % w->senders);
        struct curl_slist *headers = request_headers(w, who, i);
        curl_easy_setopt(curl, CURLOPT_URL, url[i % w->npaths]);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        if (w->body != NULL) {
            int len = w->body(w, who, i, body, sizeof body);
            curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)len);
        }
        long status = 0;
        if (curl_easy_perform(curl) == CURLE_OK)
            curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        double done = bench_now();
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
        curl_slist_free_all(headers);
        if (status != w->expect) {
            w->errors++;
            w->last_error = status;
        } else if (t >= measure_from) {
            record(w, (done - t) * 1000.0);
        }
    }
    curl_easy_cleanup(curl);
    return NULL;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

bench_result bench_run_phase(bench_worker *workers, int clients)
{
    return bench_run_phase_window(workers, clients, NULL, NULL);
}

bench_result bench_run_phase_window(bench_worker *workers, int clients, bench_window_fn window, void *ctx)
{
    pthread_barrier_t start;
    /* The main thread waits at the barrier too, so it knows when the workers' clocks started. */
    pthread_barrier_init(&start, NULL, (unsigned)clients + 1);
    for (int i = 0; i < clients; i++) {
        workers[i].start = &start;
        if (workers[i].senders < 1 || workers[i].npaths < 1)
            bench_die("a worker without a sender or a path");
        if (pthread_create(&workers[i].thread, NULL, work, &workers[i]) != 0)
            bench_die("cannot start a client thread");
    }
    pthread_barrier_wait(&start);
    if (window != NULL) {
        struct timespec warmup = {(time_t)workers[0].warmup,
                                  (long)((workers[0].warmup - (double)(time_t)workers[0].warmup) * 1e9)};
        nanosleep(&warmup, NULL);
        window(ctx, false);
    }
    for (int i = 0; i < clients; i++)
        pthread_join(workers[i].thread, NULL);
    if (window != NULL)
        window(ctx, true);
    pthread_barrier_destroy(&start);
    bench_result r = {0};
    for (int i = 0; i < clients; i++) {
        r.n += workers[i].n;
        r.errors += workers[i].errors;
        if (workers[i].errors)
            fprintf(stderr, "%s: client %d: %ld errors, last status %ld\n", bench_program, i, workers[i].errors,
                    workers[i].last_error);
    }
    double *all = bench_calloc(r.n ? r.n : 1, sizeof *all);
    size_t k = 0;
    for (int i = 0; i < clients; i++) {
        if (workers[i].n > 0)
            memcpy(all + k, workers[i].ms, workers[i].n * sizeof *all);
        k += workers[i].n;
    }
    bench_result_latencies(&r, all, workers[0].seconds);
    return r;
}

void bench_result_latencies(bench_result *r, double *all, double seconds)
{
    qsort(all, r->n, sizeof *all, compare_doubles);
    for (size_t i = 0; i < r->n; i++) {
        r->over_100ms += all[i] > 100.0;
        r->over_1s += all[i] > 1000.0;
    }
    if (r->n > 0) {
        r->per_second = (double)r->n / seconds;
        r->p50 = all[r->n / 2];
        r->p90 = all[(r->n * 90) / 100];
        r->p99 = all[(r->n * 99) / 100];
        r->max = all[r->n - 1];
    }
    free(all);
}

void bench_print_result(const char *what, const bench_result *r, int clients, double seconds)
{
    printf("%-36s %d clients %4.0f s %8zu ok %8.1f /s   p50 %7.2f ms  p90 %7.2f ms  p99 %7.2f ms  max %7.1f ms"
           "  (>100 ms: %zu, >1 s: %zu)  errors %ld\n",
           what, clients, seconds, r->n, r->per_second, r->p50, r->p90, r->p99, r->max, r->over_100ms, r->over_1s,
           r->errors);
}
