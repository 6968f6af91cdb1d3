/*
 * bench_search.c - how fast is the facility search over the real directory?
 *
 * Loads data/facilities.csv (or $KITE_DATA_DIR/facilities.csv) into a
 * directory_index and times a mixed list of queries: whole names, prefixes,
 * typos, city names, filters alone and long prefix queries that match
 * thousands.  Prints queries per second and the p50, p99 and worst latency of
 * a single query in microseconds, first on one thread, then with THREADS
 * threads searching the same index at once.  With arguments, prints the top
 * ten results for each argument instead ("bench_search 'colman fci'").
 *
 * Build and run from the repository root (not part of the meson build):
 *   gcc -std=c17 -D_GNU_SOURCE -O2 -Isrc bench/bench_search.c src/domain/directory_index.c \
 *       src/core/csv.c src/core/alloc.c src/core/arena.c -lcsv -pthread -o /tmp/bench_search
 *   KITE_DATA_DIR=data /tmp/bench_search
 */
#include "core/alloc.h"
#include "core/csv.h"
#include "domain/directory/directory_index.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { RUNS = 20000, PAGE = 20, THREADS = 2 };

struct loaded {
    directory_entry *entries;
    size_t count;
    size_t cap;
    int col[7];
};

static const char *const columns[7] = {"id", "name", "city", "state", "zip", "type", "status"};

static kite_err on_row(void *ctx, size_t line, const char *const *f, size_t nfields)
{
    struct loaded *d = ctx;
    if (line == 1) {
        for (size_t i = 0; i < 7; i++)
            if ((d->col[i] = csv_column(f, nfields, columns[i])) < 0)
                return KITE_ERR_INVALID_FIELD;
        return KITE_OK;
    }
    if (nfields < 8 || f[d->col[1]][0] == '\0')
        return KITE_OK;
    if (d->count == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 1024;
        d->entries = xrealloc(d->entries, d->cap * sizeof *d->entries);
    }
    d->entries[d->count++] = (directory_entry){
        .id = strtoll(f[d->col[0]], NULL, 10), .name = xstrdup(f[d->col[1]]), .city = xstrdup(f[d->col[2]]),
        .state = xstrdup(f[d->col[3]]), .zip = xstrdup(f[d->col[4]]), .type = xstrdup(f[d->col[5]]),
        .status = xstrdup(f[d->col[6]]), .aliases = NULL, .people = -1,
    };
    return KITE_OK;
}

static const directory_query queries[] = {
    /* whole names */
    {.text = "FCI COLEMAN LOW"}, {.text = "Harris County Jail"}, {.text = "dona ana county detention center"},
    {.text = "rikers island"}, {.text = "san quentin state prison"},
    /* prefixes */
    {.text = "cole"}, {.text = "fci col"}, {.text = "harr cou"}, {.text = "c"}, {.text = "co"},
    {.text = "s"}, {.text = "cou ja"},
    /* typos */
    {.text = "colman fci"}, {.text = "fci colemn"}, {.text = "harirs county"}, {.text = "san quenitn"},
    {.text = "leavenwroth"}, {.text = "terre hatue usp"}, {.text = "missisippi"},
    /* cities */
    {.text = "houston"}, {.text = "los angeles"}, {.text = "miami"}, {.text = "sumterville"},
    /* text and filters */
    {.text = "county jail", .state = "TX"}, {.text = "jail", .status = "open", .type = "county"},
    {.text = "detention", .zip = "78"},
    /* filters only */
    {.state = "FL"}, {.type = "federal"}, {.zip = "33"}, {.state = "tx", .status = "open"},
    /* nothing matches */
    {.text = "zzzzqqq"},
};

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One thread's share of the runs: queries first, first + step, ... */
struct run {
    const directory_index *index;
    size_t first;
    size_t step;
    double *lat; /* shared; each thread writes its own slots */
    size_t sink;
};

static void *run_queries(void *arg)
{
    struct run *r = arg;
    size_t nq = sizeof queries / sizeof queries[0];
    int64_t ids[PAGE];
    for (size_t i = r->first; i < RUNS; i += r->step) {
        size_t total = 0;
        double q0 = now_us();
        r->sink += directory_index_search(r->index, &queries[i % nq], 0, PAGE, ids, &total) + total;
        r->lat[i] = now_us() - q0;
    }
    return NULL;
}

static void measure(const directory_index *index, size_t threads)
{
    double *lat = xmalloc(RUNS * sizeof *lat);
    struct run runs[THREADS];
    pthread_t tids[THREADS];
    double start = now_us();
    for (size_t t = 0; t < threads; t++) {
        runs[t] = (struct run){index, t, threads, lat, 0};
        if (pthread_create(&tids[t], NULL, run_queries, &runs[t]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            exit(1);
        }
    }
    size_t sink = 0;
    for (size_t t = 0; t < threads; t++) {
        pthread_join(tids[t], NULL);
        sink += runs[t].sink;
    }
    double elapsed = now_us() - start;
    qsort(lat, RUNS, sizeof *lat, compare_double);
    printf("%zu thread(s): %d queries (%zu kinds) in %.1f ms: %.0f queries/s, "
           "p50 %.1f us, p99 %.1f us, max %.1f us (checksum %zu)\n",
           threads, RUNS, sizeof queries / sizeof queries[0], elapsed / 1e3, RUNS / (elapsed / 1e6),
           lat[RUNS / 2], lat[RUNS * 99 / 100], lat[RUNS - 1], sink);
    free(lat);
}

static void show(const directory_index *index, const struct loaded *d, const char *text)
{
    directory_query q = {.text = text};
    int64_t ids[10];
    size_t total = 0;
    size_t n = directory_index_search(index, &q, 0, 10, ids, &total);
    printf("\"%s\": %zu matches\n", text, total);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < d->count; k++)
            if (d->entries[k].id == ids[i])
                printf("  %2zu. %s, %s %s (%s)\n", i + 1, d->entries[k].name, d->entries[k].city,
                       d->entries[k].state, d->entries[k].status);
}

int main(int argc, char **argv)
{
    const char *dir = getenv("KITE_DATA_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/facilities.csv", dir != NULL ? dir : "data");
    struct loaded d = {0};
    if (csv_read_file(path, on_row, &d) != KITE_OK) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }
    double t0 = now_us();
    directory_index *index = directory_index_build(d.entries, d.count);
    printf("built an index of %zu facilities in %.1f ms\n", directory_index_size(index), (now_us() - t0) / 1e3);

    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            show(index, &d, argv[i]);
    } else {
        measure(index, 1);
        measure(index, THREADS);
    }
    directory_index_free(index);
    for (size_t i = 0; i < d.count; i++) {
        free((char *)d.entries[i].name);
        free((char *)d.entries[i].city);
        free((char *)d.entries[i].state);
        free((char *)d.entries[i].zip);
        free((char *)d.entries[i].type);
        free((char *)d.entries[i].status);
    }
    free(d.entries);
    return 0;
}
