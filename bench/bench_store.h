/*
 * bench_store.h - a `kite serve` the benchmarks start on a temporary store,
 * and the store they seed (bench_messages, bench_run).
 *
 * The store: one facility (AVENAL STATE PRISON) under the jpay profile with
 * review "flagged_only", a daily send limit of 10,000 and pricing "balance"
 * (a clean message is screened, approved and delivered in its request, free);
 * BENCH_RESIDENTS residents B00000.. (PIN BENCH_PIN), two contacts each,
 * bench-cNNNNN@example.org (password BENCH_PASSWORD), contact pair j writing
 * to resident j / 2; and N messages over the past year with their status
 * history: 55% to the resident, 45% from them; most read, some delivered and
 * unread, 1% rejected, a few waiting for review; 10% of the traffic goes to
 * the BENCH_BUSY "busy" residents B00000..B00007, the rest spread evenly.
 */
#ifndef KITE_BENCH_STORE_H
#define KITE_BENCH_STORE_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

enum {
    BENCH_RESIDENTS = 1000,
    BENCH_CONTACTS_PER_RESIDENT = 2,
    BENCH_PAIRS = BENCH_RESIDENTS * BENCH_CONTACTS_PER_RESIDENT,
    BENCH_BUSY = 8
};

typedef struct bench_server {
    pid_t pid;
    FILE *out;
    char url[200];
} bench_server;

/* kite serve --db DB_PATH --listen 127.0.0.1:0 [--threads THREADS], its log in DIR/server.log; waits until it listens. */
void bench_server_start(const char *bin, const char *dir, const char *db_path, const char *data, const char *threads,
                        bench_server *s);
void bench_server_stop(bench_server *s);

typedef struct bench_seed_info {
    int64_t resident_id[BENCH_RESIDENTS], resident_account[BENCH_RESIDENTS];
    int64_t contact_account[BENCH_PAIRS], contact_id[BENCH_PAIRS];
    int64_t inbox[BENCH_RESIDENTS]; /* delivered or read messages to each resident */
    int64_t total[BENCH_RESIDENTS];
    double seconds;
} bench_seed_info;

/* A fresh store at DB_PATH made over HTTP (a server started and stopped): the operator, the facility's policy,
 * resident B00000 and contact bench-c00000.  Returns the facility's id; *operator_token is the operator's
 * session (malloc'd), good on later servers of the same store (an operator's code signs in only once). */
int64_t bench_store_setup(const char *bin, const char *dir, const char *db_path, const char *data, const char *threads,
                          char **operator_token);

/* The bulk: the other residents and contacts, and `messages` messages (no server on the store meanwhile). */
void bench_store_seed(const char *db_path, int64_t facility, long messages, bench_seed_info *info);

/* The first column of the first row of SQL, read-only. */
int64_t bench_store_query_int(const char *db_path, const char *sql);

void bench_remove_tree(const char *dir);

#endif
