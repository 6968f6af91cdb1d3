/*
 * bench_messages.c - messaging over HTTP with a million stored messages.
 *
 * usage: bench_messages KITE_BIN [--messages N] [--clients N] [--submit-seconds S]
 *                      [--read-seconds S] [--queue-seconds S] [--server-threads N]
 *                      [--data DIR] [--keep]
 *
 * Answers issue 4's question: sustained message submissions per second and
 * inbox reads per second with 1,000,000 stored messages, with the p50/p99
 * latency of each.  Everything runs on this machine: the server and the
 * client threads share its cores.
 *
 *  1. `kite serve` on a fresh store in a temporary directory; an operator
 *     (`kite user add`), one facility (AVENAL STATE PRISON) with the jpay
 *     profile, review "flagged_only", a daily send limit of 10,000 and pricing
 *     "balance" (free messages: the bench measures messaging, not money); one
 *     resident (with a PIN) and one contact account made over HTTP, so their
 *     Argon2 hashes are real.
 *  2. The server stops; the store is seeded directly with SQLite in one
 *     transaction: 1,000 residents and 2,000 contact accounts (the hashes
 *     copied from the two made over HTTP), 2 contacts per resident, and N
 *     messages over the past year with their status history: 55% written to
 *     the resident, 45% from them; most read, some delivered and unread, 1%
 *     rejected, a few waiting for review; 10% of the traffic goes to 8 "busy"
 *     residents (about 13,000 messages each), the rest spread evenly.
 *  3. The server starts again on the seeded store and is measured:
 *     (a) POST /api/v1/messages from --clients threads, each with its own
 *         keep-alive connection and two contacts of its own (each signed in,
 *         writing to their resident), for --submit-seconds after a 1 s
 *         warm-up.  Clean messages under "flagged_only" are screened,
 *         stored, approved and delivered in the same request.
 *     (b) GET /api/v1/messages?box=inbox&limit=20 from --clients threads,
 *         each signed in as one of the busy residents, for --read-seconds
 *         after a 1 s warm-up; then (b2) the same for --read-seconds / 3
 *         as ordinary residents (about 500 messages in the inbox).
 *     (c) GET /api/v1/review/queue for the facility (the first 50 waiting
 *         messages and the queue metrics) from 2 clients as the operator,
 *         for --queue-seconds (default 5; 0 skips it).
 *     Every answer must be 202 (a) or 200 (b, c); anything else is counted
 *     as an error and printed.  Total time: about 80 s with the defaults.
 */
#include "bench_common.h"
#include "bench_store.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PASSWORD BENCH_PASSWORD
#define PIN BENCH_PIN

enum { RESIDENTS = BENCH_RESIDENTS, CONTACTS_PER_RESIDENT = BENCH_CONTACTS_PER_RESIDENT, PAIRS = BENCH_PAIRS, BUSY = BENCH_BUSY,
       SENDERS_PER_CLIENT = BENCH_MAX_SENDERS };

int main(int argc, char **argv)
{
    bench_program = "bench_messages";
    if (argc < 2) {
        fprintf(stderr, "usage: bench_messages KITE_BIN [--messages N] [--clients N] [--submit-seconds S]"
                        " [--read-seconds S] [--queue-seconds S] [--server-threads N] [--data DIR] [--keep]\n");
        return 2;
    }
    const char *bin = argv[1];
    long messages = 1000000;
    int clients = 8;
    double submit_seconds = 20, read_seconds = 15, queue_seconds = 5;
    const char *server_threads = NULL;
    const char *data = getenv("KITE_DATA_DIR") != NULL ? getenv("KITE_DATA_DIR") : KITE_DATA_DIR;
    bool keep = false;
    for (int i = 2; i < argc; i++) {
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--keep") == 0)
            keep = true;
        else if (next == NULL)
            bench_die("an option lacks its value");
        else if (strcmp(argv[i], "--messages") == 0 && ++i)
            messages = strtol(next, NULL, 10);
        else if (strcmp(argv[i], "--clients") == 0 && ++i)
            clients = (int)strtol(next, NULL, 10);
        else if (strcmp(argv[i], "--submit-seconds") == 0 && ++i)
            submit_seconds = strtod(next, NULL);
        else if (strcmp(argv[i], "--read-seconds") == 0 && ++i)
            read_seconds = strtod(next, NULL);
        else if (strcmp(argv[i], "--queue-seconds") == 0 && ++i)
            queue_seconds = strtod(next, NULL);
        else if (strcmp(argv[i], "--server-threads") == 0 && ++i)
            server_threads = next;
        else if (strcmp(argv[i], "--data") == 0 && ++i)
            data = next;
        else
            bench_die("unknown option");
    }
    if (messages < 0 || clients < 1 || clients > 64 || submit_seconds <= 0 || read_seconds <= 0 || queue_seconds < 0)
        bench_die("bad option value");
    if (clients * SENDERS_PER_CLIENT > PAIRS - BUSY * CONTACTS_PER_RESIDENT)
        bench_die("too many clients");

    char dir[] = "/tmp/kite-bench-messages-XXXXXX";
    if (mkdtemp(dir) == NULL)
        bench_die("mkdtemp failed");
    char db_path[4096], url[1024], body[1024];
    snprintf(db_path, sizeof db_path, "%s/kite.db", dir);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    /* 1. Setup over HTTP on a fresh store. */
    char *op = NULL;
    int64_t facility = bench_store_setup(bin, dir, db_path, data, server_threads, &op);
    bench_server srv;

    /* 2. Seed. */
    bench_seed_info *info = bench_calloc(1, sizeof *info);
    fprintf(stderr, "seeding %ld messages into %s\n", messages, db_path);
    bench_store_seed(db_path, facility, messages, info);
    struct stat db_stat;
    double db_mb = stat(db_path, &db_stat) == 0 ? (double)db_stat.st_size / 1048576.0 : 0;

    /* 3. Measure. */
    bench_server_start(bin, dir, db_path, data, server_threads, &srv);
    bench_worker *writers = bench_calloc((size_t)clients, sizeof *writers);
    bench_worker *readers = bench_calloc((size_t)clients, sizeof *readers);
    bench_worker *ordinary = bench_calloc((size_t)clients, sizeof *ordinary);
    for (int i = 0; i < clients; i++) {
        writers[i] = (bench_worker){.base = srv.url, .paths = {"/api/v1/messages"}, .npaths = 1,
                                    .body = bench_message_body, .expect = 202, .senders = SENDERS_PER_CLIENT,
                                    .warmup = 1, .seconds = submit_seconds};
        for (int s = 0; s < SENDERS_PER_CLIENT; s++) {
            /* Contacts of ordinary (not busy) residents, two per client. */
            int pair = BUSY * CONTACTS_PER_RESIDENT + 2 * (i * SENDERS_PER_CLIENT + s);
            snprintf(body, sizeof body, "{\"email\":\"bench-c%05d@example.org\",\"password\":\"" PASSWORD "\"}", pair);
            writers[i].tokens[s] = bench_sign_in(srv.url, body);
            writers[i].contact_ids[s] = info->contact_id[pair];
        }
        int r = i % BUSY;
        readers[i] = (bench_worker){.base = srv.url, .paths = {"/api/v1/messages?box=inbox&limit=20"}, .npaths = 1,
                                    .expect = 200, .senders = 1, .warmup = 1, .seconds = read_seconds};
        snprintf(body, sizeof body, "{\"facility_id\":%lld,\"resident_number\":\"B%05d\",\"pin\":\"" PIN "\"}",
                 (long long)facility, r);
        readers[i].tokens[0] = bench_sign_in(srv.url, body);
        /* Ordinary residents (about 500 messages in the inbox), away from the writers' residents. */
        ordinary[i] = readers[i];
        ordinary[i].seconds = read_seconds / 3;
        snprintf(body, sizeof body, "{\"facility_id\":%lld,\"resident_number\":\"B%05d\",\"pin\":\"" PIN "\"}",
                 (long long)facility, RESIDENTS / 2 + i);
        ordinary[i].tokens[0] = bench_sign_in(srv.url, body);
    }
    /* The page a reader gets: 20 items of their inbox. */
    json_t *page = NULL;
    snprintf(url, sizeof url, "%s/api/v1/messages?box=inbox&limit=20", srv.url);
    if (bench_http("GET", url, readers[0].tokens[0], NULL, NULL, &page) != 200 ||
        json_array_size(json_object_get(page, "items")) != 20)
        bench_die("the first inbox page is not 20 messages");
    json_int_t unread = json_integer_value(json_object_get(page, "unread"));
    json_decref(page);

    bench_result submit = bench_run_phase(writers, clients);
    bench_result read = bench_run_phase(readers, clients);
    bench_result read_ordinary = bench_run_phase(ordinary, clients);
    /* (c) The mail room's queue page (50 items and the metrics), by the operator from two clients. */
    char queue_path[128];
    snprintf(queue_path, sizeof queue_path, "/api/v1/review/queue?facility_id=%lld", (long long)facility);
    bench_worker queue_readers[2];
    bench_result queue = {0};
    for (int i = 0; i < 2; i++)
        queue_readers[i] = (bench_worker){.base = srv.url, .paths = {queue_path}, .npaths = 1, .expect = 200,
                                          .senders = 1, .warmup = 1, .seconds = queue_seconds, .tokens = {op}};
    if (queue_seconds > 0)
        queue = bench_run_phase(queue_readers, 2);

    int64_t stored = bench_store_query_int(db_path, "SELECT COUNT(*) FROM messages");
    bench_server_stop(&srv);

    int64_t busy_inbox = 0, busy_total = 0, typical = 0, ordinary_inbox = 0;
    for (int i = 0; i < clients; i++)
        ordinary_inbox += info->inbox[RESIDENTS / 2 + i];
    for (int r = 0; r < BUSY; r++) {
        busy_inbox += info->inbox[r];
        busy_total += info->total[r];
    }
    for (int r = BUSY; r < RESIDENTS; r++)
        typical += info->total[r];
    printf("store: %ld messages seeded in %.1f s (%.0f MB); %d residents, %d contacts, one facility (jpay, review "
           "flagged_only); kite serve --threads %s\n",
           messages, info->seconds, db_mb, RESIDENTS, PAIRS, server_threads != NULL ? server_threads : "(default)");
    printf("busy residents (read in b): %lld messages each on average, %lld in the inbox (%lld unread for the first);"
           " the others %lld each; the ordinary ones read in b2 have %lld in the inbox on average\n",
           (long long)(busy_total / BUSY), (long long)(busy_inbox / BUSY), (long long)unread,
           (long long)(typical / (RESIDENTS - BUSY)), (long long)(ordinary_inbox / clients));
    bench_print_result("submit  POST /api/v1/messages", &submit, clients, submit_seconds);
    bench_print_result("inbox   GET  ?box=inbox&limit=20", &read, clients, read_seconds);
    bench_print_result("inbox   (ordinary residents, b2)", &read_ordinary, clients, read_seconds / 3);
    if (queue_seconds > 0)
        bench_print_result("queue   GET  /api/v1/review/queue", &queue, 2, queue_seconds);
    printf("messages stored after the run: %lld (seeded %ld + accepted during the warm-up and the measured window)\n",
           (long long)stored, messages);

    for (int i = 0; i < clients; i++) {
        for (int s = 0; s < writers[i].senders; s++)
            free(writers[i].tokens[s]);
        free(readers[i].tokens[0]);
        free(ordinary[i].tokens[0]);
        free(writers[i].ms);
        free(readers[i].ms);
        free(ordinary[i].ms);
    }
    free(writers);
    free(readers);
    free(ordinary);
    free(info);
    free(op);
    free(queue_readers[0].ms);
    free(queue_readers[1].ms);
    curl_global_cleanup();
    if (keep)
        fprintf(stderr, "kept %s\n", dir);
    else
        bench_remove_tree(dir);
    return submit.errors == 0 && read.errors == 0 && read_ordinary.errors == 0 && queue.errors == 0 && submit.n > 0 &&
                   read.n > 0
               ? 0
               : 1;
}
