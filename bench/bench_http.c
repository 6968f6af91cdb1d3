/*
 * bench_http.c - end-to-end latency of a running kite server over HTTP.
 *
 * usage: bench_http BASE_URL [SEARCHES] [SIGNINS]
 * Registers a bench account, then times directory searches (a mix of exact
 * names, prefixes, typos, cities and filters) and sign-ins, one request at a
 * time over one keep-alive connection, and prints requests/s with p50/p99.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t discard(char *data, size_t size, size_t n, void *ctx)
{
    (void)data;
    (void)ctx;
    return size * n;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static long request(CURL *curl, const char *url, const char *body)
{
    curl_easy_setopt(curl, CURLOPT_URL, url);
    if (body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    } else {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    }
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

static void report(const char *what, double *ms, size_t n, double elapsed)
{
    qsort(ms, n, sizeof *ms, compare_doubles);
    printf("%-28s %6zu requests  %8.1f req/s  p50 %7.3f ms  p99 %7.3f ms\n", what, n, (double)n / elapsed,
           ms[n / 2], ms[(n * 99) / 100]);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_http BASE_URL [SEARCHES] [SIGNINS]\n");
        return 2;
    }
    const char *base = argv[1];
    size_t searches = argc > 2 ? strtoul(argv[2], NULL, 10) : 5000;
    size_t signins = argc > 3 ? strtoul(argv[3], NULL, 10) : 50;
    static const char *const queries[] = {
        "q=coleman", "q=colman%20fci", "q=fci%20coleman%20low", "q=los%20angeles", "q=county%20jail&state=TX",
        "q=harris", "q=detention%20center", "q=terre%20haute", "q=rikers", "q=state%20prison&status=open",
        "state=CA&type=state", "zip=33521", "q=juvenile", "q=sheriff", "q=dona%20ana", "q=wasington",
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

    double *ms = calloc(searches > signins ? searches : signins, sizeof *ms);
    char url[512];
    double start = now_seconds();
    for (size_t i = 0; i < searches; i++) {
        snprintf(url, sizeof url, "%s/api/v1/facilities?%s", base, queries[i % (sizeof queries / sizeof queries[0])]);
        double t = now_seconds();
        if (request(curl, url, NULL) != 200) {
            fprintf(stderr, "search failed: %s\n", url);
            return 1;
        }
        ms[i] = (now_seconds() - t) * 1000.0;
    }
    report("directory search (HTTP)", ms, searches, now_seconds() - start);

    char email[64], body[256];
    snprintf(email, sizeof email, "bench-%ld@example.org", (long)time(NULL));
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"bench password 2026\",\"full_name\":\"Bench\",\"phone\":\"5550100100\"}", email);
    snprintf(url, sizeof url, "%s/api/v1/accounts", base);
    if (request(curl, url, body) != 201) {
        fprintf(stderr, "registration failed\n");
        return 1;
    }
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"bench password 2026\"}", email);
    snprintf(url, sizeof url, "%s/api/v1/sessions", base);
    start = now_seconds();
    for (size_t i = 0; i < signins; i++) {
        double t = now_seconds();
        if (request(curl, url, body) != 201) {
            fprintf(stderr, "sign-in failed\n");
            return 1;
        }
        ms[i] = (now_seconds() - t) * 1000.0;
    }
    report("sign-in (Argon2id, HTTP)", ms, signins, now_seconds() - start);

    free(ms);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    curl_global_cleanup();
    return 0;
}
