/*
 * bench_scale.c - the load of the scale-out benchmark (bench/scale_out.sh):
 * paid message sends and directory searches against one base URL, which is
 * a proxy in front of N `kite serve` on one PostgreSQL database.
 *
 * usage: bench_scale setup BASE_URL STATE_FILE --kite BIN --db URL [--pairs N]
 *        bench_scale measure BASE_URL STATE_FILE [--clients N] [--seconds S] [--warmup S] [--label TEXT]
 *                            [--phase sends|searches|both] [--watch NAME=PID,PID;NAME=PID]
 *
 * Design: the script starts and stops the servers and the proxy; this
 * program only talks HTTP (and runs `kite user add` once), so the same
 * setup serves every N and the figures of one run differ only in the number
 * of servers behind the proxy.
 *
 * setup (once, on a fresh database): an operator (`kite user add`), the
 * facility AVENAL STATE PRISON under the jpay profile with review
 * "flagged_only" (a clean message is screened, approved, delivered and paid
 * in its own request) and the highest daily send limit; then --pairs
 * residents, each with a PIN, a contact account of its own that asked for
 * them and that they approved, and a trust deposit of $5,000 by the
 * operator.  Residents send: their messages are paid from the trust account
 * at the facility's price (a hold, then its capture, in the ledger), which
 * needs no card processor.  One line per pair goes to STATE_FILE.
 *
 * measure (once per N): the residents sign in again (the sessions of one
 * server are good on all, which the script relies on for nothing else);
 * then (a) --clients threads, two residents each, POST /api/v1/messages
 * with an Idempotency-Key per request, as a paying client sends them,
 * for --warmup then --seconds; every answer but 202 is an error.  (b) the
 * same number of threads GET /api/v1/facilities?q=... (the directory's
 * in-memory index: no lock, no write) for the same window.  --phase runs
 * one of the two only.  At each window's edges (after the warm-up, and when
 * the last client is done) /proc is sampled: the machine's busy, idle and
 * steal shares, this program's own, and those of the --watch groups (the
 * servers, the postmaster, nginx, each with its children; see proc_cpu.h).
 * The last line on standard output is the raw figures, `key=value`
 * separated by spaces, prefixed sends_ and reads_.
 */
#include "bench_common.h"
#include "proc_cpu.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FACILITY_NAME "AVENAL STATE PRISON"
#define TRUST_DEPOSIT_CENTS 500000

enum { MAX_PAIRS = 128 };

typedef struct pair {
    long long facility, contact_id;
    char number[16];
} pair;

static const char *const searches[] = {
    "/api/v1/facilities?q=state%20prison&limit=20", "/api/v1/facilities?q=county%20jail&limit=20",
    "/api/v1/facilities?q=federal%20correctional&limit=20", "/api/v1/facilities?q=avenal&limit=20",
    "/api/v1/facilities?q=california&limit=20", "/api/v1/facilities?q=texas%20unit&limit=20",
    "/api/v1/facilities?q=detention%20center&limit=20", "/api/v1/facilities?q=women&limit=20",
};

_Static_assert(sizeof searches / sizeof searches[0] == BENCH_MAX_PATHS, "one search per path slot");

/* The value of option `name` in argv[from..], or fallback. */
static const char *option(int argc, char **argv, int from, const char *name, const char *fallback)
{
    for (int i = from; i + 1 < argc; i += 2) {
        if (strncmp(argv[i], "--", 2) != 0)
            bench_die("options go by pairs: --name value");
        if (strcmp(argv[i] + 2, name) == 0)
            return argv[i + 1];
    }
    return fallback;
}

static long long facility_id(const char *base)
{
    char url[512];
    snprintf(url, sizeof url, "%s/api/v1/facilities?q=avenal%%20state%%20prison&limit=50", base);
    json_t *page = NULL;
    if (bench_http("GET", url, NULL, NULL, NULL, &page) != 200 || page == NULL)
        bench_die("the directory search failed");
    long long id = 0;
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(page, "items"), i, f) {
        const char *name = json_string_value(json_object_get(f, "name"));
        if (id == 0 && name != NULL && strcmp(name, FACILITY_NAME) == 0)
            id = json_integer_value(json_object_get(f, "id"));
    }
    json_decref(page);
    if (id == 0)
        bench_die(FACILITY_NAME " is not in the directory");
    return id;
}

/* POST or GET base+path, expecting `want`; the answer's integer `field` (0 when not asked for). */
static long long call(const char *base, const char *method, const char *path, const char *token, const char *key,
                      const char *body, long want, const char *field)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", base, path);
    json_t *answer = NULL;
    long status = bench_http(method, url, token, key, body, &answer);
    if (status != want)
        bench_die("a setup request failed (see above)");
    long long value = 0;
    if (field != NULL) {
        json_t *v = json_object_get(answer, field);
        if (strcmp(field, "items") == 0)
            v = json_object_get(json_array_get(v, 0), "id");
        value = json_integer_value(v);
        if (value == 0)
            bench_die("a setup answer lacks the id it should have");
    }
    json_decref(answer);
    return value;
}

static char *resident_sign_in(const char *base, const pair *p)
{
    char body[256];
    snprintf(body, sizeof body, "{\"facility_id\":%lld,\"resident_number\":\"%s\",\"pin\":\"" BENCH_PIN "\"}",
             p->facility, p->number);
    return bench_sign_in(base, body);
}

/* A resident with a contact of their own (its address confirmed: it pays), approved, and trust money. */
static pair add_pair(const char *base, const char *op, const char *kite, const char *db, long long facility, int k)
{
    pair p = {.facility = facility};
    snprintf(p.number, sizeof p.number, "S%05d", k);
    char path[256], body[512], email[96], key[96];
    snprintf(path, sizeof path, "/api/v1/facilities/%lld/residents", facility);
    snprintf(body, sizeof body, "{\"resident_number\":\"%s\",\"first_name\":\"Scale\",\"last_name\":\"Resident%d\","
             "\"pin\":\"" BENCH_PIN "\"}", p.number, k);
    long long resident = call(base, "POST", path, op, NULL, body, 201, "id");
    snprintf(email, sizeof email, "bench-scale-%d-%d@example.org", (int)getpid(), k);
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"" BENCH_PASSWORD "\",\"full_name\":\"Scale Contact %d\","
             "\"phone\":\"5550100100\"}", email, k);
    call(base, "POST", "/api/v1/accounts", NULL, NULL, body, 201, NULL);
    const char *confirm[] = {kite, "user", "verify-email", "--db", db, email, NULL};
    if (bench_run_with_input(confirm, "") != 0)
        bench_die("kite user verify-email failed");
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"" BENCH_PASSWORD "\"}", email);
    char *contact = bench_sign_in(base, body);
    snprintf(body, sizeof body, "{\"facility_id\":%lld,\"resident_number\":\"%s\"}", facility, p.number);
    long long request = call(base, "POST", "/api/v1/contact-requests", contact, NULL, body, 201, "id");
    char *token = resident_sign_in(base, &p);
    snprintf(path, sizeof path, "/api/v1/contact-requests/%lld/approve", request);
    call(base, "POST", path, token, NULL, NULL, 200, NULL);
    p.contact_id = call(base, "GET", "/api/v1/contacts", token, NULL, NULL, 200, "items");
    snprintf(path, sizeof path, "/api/v1/residents/%lld/trust-deposits", resident);
    snprintf(key, sizeof key, "bench-scale-trust-%d-%d", (int)getpid(), k);
    snprintf(body, sizeof body, "{\"amount_cents\":%d,\"memo\":\"Bench\"}", TRUST_DEPOSIT_CENTS);
    call(base, "POST", path, op, key, body, 201, NULL);
    free(contact);
    free(token);
    return p;
}

static int setup(const char *base, const char *state, int argc, char **argv)
{
    const char *kite = option(argc, argv, 4, "kite", NULL), *db = option(argc, argv, 4, "db", NULL);
    int pairs = atoi(option(argc, argv, 4, "pairs", "16"));
    if (kite == NULL || db == NULL || pairs < 1 || pairs > MAX_PAIRS)
        bench_die("setup needs --kite BIN --db URL, and --pairs from 1 to 128");
    const char *add_operator[] = {kite,       "user",  "add", "--db", db, "--role", "operator", "--email", BENCH_OPERATOR,
                                  "--totp-secret", BENCH_TOTP_SECRET, NULL};
    if (bench_run_with_input(add_operator, BENCH_PASSWORD "\n") != 0)
        bench_die("kite user add failed");
    char *op = bench_operator_sign_in(base);
    long long facility = facility_id(base);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/facilities/%lld/policy", facility);
    char url[512];
    snprintf(url, sizeof url, "%s%s", base, path);
    long st = bench_http("PUT", url, op, NULL, "{\"profile\":\"jpay\",\"review\":\"flagged_only\",\"daily_send_limit\":10000}",
                         NULL);
    if (st != 200 && st != 201)
        bench_die("cannot set the policy");
    FILE *out = fopen(state, "w");
    if (out == NULL)
        bench_die("cannot write the state file");
    pair first = {0};
    for (int k = 0; k < pairs; k++) {
        pair p = add_pair(base, op, kite, db, facility, k);
        if (k == 0)
            first = p;
        fprintf(out, "%lld %s %lld\n", p.facility, p.number, p.contact_id);
    }
    if (fclose(out) != 0)
        bench_die("cannot write the state file");
    /* What one measured send costs its resident. */
    char *token = resident_sign_in(base, &first);
    bench_worker w = {.contact_ids = {first.contact_id}};
    char body[1024];
    bench_message_body(&w, 0, 0, body, sizeof body);
    snprintf(url, sizeof url, "%s/api/v1/messages/quote", base);
    json_t *quote = NULL;
    if (bench_http("POST", url, token, NULL, body, &quote) != 200 || quote == NULL)
        bench_die("the quote failed");
    printf("setup: facility %lld (%s, jpay, review flagged_only), %d residents with a contact each and $%d in trust;"
           " each send costs %lld %s\n", facility, FACILITY_NAME, pairs, TRUST_DEPOSIT_CENTS / 100,
           (long long)json_integer_value(json_object_get(quote, "amount")),
           json_string_value(json_object_get(quote, "unit")) != NULL ? json_string_value(json_object_get(quote, "unit")) : "?");
    json_decref(quote);
    free(token);
    free(op);
    return 0;
}

static int read_state(const char *state, pair *pairs)
{
    FILE *in = fopen(state, "r");
    if (in == NULL)
        bench_die("cannot read the state file (run setup first)");
    int n = 0;
    while (n < MAX_PAIRS &&
           fscanf(in, "%lld %15s %lld", &pairs[n].facility, pairs[n].number, &pairs[n].contact_id) == 3)
        n++;
    fclose(in);
    return n;
}

static void free_workers(bench_worker *w, int clients)
{
    for (int i = 0; i < clients; i++) {
        for (int s = 0; s < BENCH_MAX_SENDERS; s++)
            free(w[i].tokens[s]);
        free(w[i].ms);
    }
    free(w);
}

/* CPU samples and wall-clock times at a measured window's edges. */
typedef struct window {
    proc_cpu_group groups[PROC_CPU_GROUPS];
    int ngroups;
    proc_cpu_sample at[2];
    int64_t ms[2];
} window;

static void window_edge(void *data, bool end)
{
    window *w = data;
    proc_cpu_sample_now(w->groups, w->ngroups, &w->at[end]);
    w->ms[end] = bench_wall_ms();
}

/* Measures the workers; their figures are appended to `line` as key=value.  Returns the successes. */
static size_t phase(const char *what, const char *prefix, bench_worker *workers, int clients, double seconds,
                  window *w, FILE *line)
{
    bench_result r = bench_run_phase_window(workers, clients, window_edge, w);
    bench_print_result(what, &r, clients, seconds);
    fprintf(line, " %s=%zu %s_per_s=%.1f %s_p50_ms=%.2f %s_p90_ms=%.2f %s_p99_ms=%.2f %s_max_ms=%.1f %s_errors=%ld"
            " %s_from_ms=%lld %s_to_ms=%lld", prefix, r.n, prefix, r.per_second, prefix, r.p50, prefix, r.p90, prefix,
            r.p99, prefix, r.max, prefix, r.errors, prefix, (long long)w->ms[0], prefix, (long long)w->ms[1]);
    proc_cpu_print(line, prefix, w->groups, w->ngroups, &w->at[0], &w->at[1]);
    if (r.n == 0)
        fprintf(stderr, "bench_scale: no %s succeeded\n", prefix);
    return r.n;
}

static bench_worker *senders_for(const char *base, const pair *pairs, int clients, double warmup, double seconds,
                                 const char *label)
{
    bench_worker *senders = bench_calloc((size_t)clients, sizeof *senders);
    for (int i = 0; i < clients; i++) {
        senders[i] = (bench_worker){.base = base, .paths = {"/api/v1/messages"}, .npaths = 1, .body = bench_message_body,
                                    .expect = 202, .senders = BENCH_MAX_SENDERS, .warmup = warmup, .seconds = seconds};
        snprintf(senders[i].key_prefix, sizeof senders[i].key_prefix, "scale-%s-%d-%d", label, (int)getpid(), i);
        for (int s = 0; s < BENCH_MAX_SENDERS; s++) {
            const pair *p = &pairs[i * BENCH_MAX_SENDERS + s];
            senders[i].tokens[s] = resident_sign_in(base, p);
            senders[i].contact_ids[s] = p->contact_id;
        }
    }
    return senders;
}

static bench_worker *readers_for(const char *base, int clients, double warmup, double seconds)
{
    bench_worker *readers = bench_calloc((size_t)clients, sizeof *readers);
    for (int i = 0; i < clients; i++) {
        readers[i] = (bench_worker){.base = base, .npaths = BENCH_MAX_PATHS, .expect = 200, .senders = 1,
                                    .warmup = warmup, .seconds = seconds};
        for (int p = 0; p < BENCH_MAX_PATHS; p++)
            readers[i].paths[p] = searches[(i + p) % BENCH_MAX_PATHS];
    }
    return readers;
}

static int measure(const char *base, const char *state, int argc, char **argv)
{
    int clients = atoi(option(argc, argv, 4, "clients", "8"));
    double seconds = atof(option(argc, argv, 4, "seconds", "20")), warmup = atof(option(argc, argv, 4, "warmup", "2"));
    const char *label = option(argc, argv, 4, "label", "run"), *which = option(argc, argv, 4, "phase", "both");
    bool sends = strcmp(which, "searches") != 0, reads = strcmp(which, "sends") != 0;
    window w = {0};
    w.ngroups = proc_cpu_groups(option(argc, argv, 4, "watch", ""), w.groups);
    pair pairs[MAX_PAIRS];
    int npairs = read_state(state, pairs);
    if (clients < 1 || clients * BENCH_MAX_SENDERS > npairs || seconds <= 0 || warmup < 0 || w.ngroups < 0 ||
        (!sends && !reads) || (strcmp(which, "both") != 0 && sends && reads))
        bench_die("--clients N needs 2N pairs from setup; --seconds > 0, --warmup >= 0; --phase sends, searches or"
                  " both; --watch name=PID,PID;name=PID");
    char *line = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&line, &len);
    if (out == NULL) {
        perror("bench_scale: open_memstream");
        return 1;
    }
    fprintf(out, "label=%s clients=%d seconds=%.0f", label, clients, seconds);
    int rc = 0;
    if (sends) {
        bench_worker *senders = senders_for(base, pairs, clients, warmup, seconds, label);
        rc |= phase("send    POST /api/v1/messages (paid)", "sends", senders, clients, seconds, &w, out) == 0;
        free_workers(senders, clients);
    }
    if (reads) {
        bench_worker *readers = readers_for(base, clients, warmup, seconds);
        rc |= phase("search  GET  /api/v1/facilities?q=", "reads", readers, clients, seconds, &w, out) == 0;
        free_workers(readers, clients);
    }
    fclose(out);
    printf("%s\n", line);
    free(line);
    return rc;
}

int main(int argc, char **argv)
{
    bench_program = "bench_scale";
    if (argc < 4 || (strcmp(argv[1], "setup") != 0 && strcmp(argv[1], "measure") != 0) || (argc - 4) % 2 != 0) {
        fprintf(stderr, "usage: bench_scale setup BASE_URL STATE_FILE --kite BIN --db URL [--pairs N]\n"
                        "       bench_scale measure BASE_URL STATE_FILE [--clients N] [--seconds S] [--warmup S]"
                        " [--label TEXT]\n"
                        "                     [--phase sends|searches|both] [--watch NAME=PID,PID;NAME=PID]\n");
        return 2;
    }
    static const char *const known[] = {"--kite", "--db", "--pairs", "--clients", "--seconds", "--warmup", "--label",
                                         "--phase", "--watch"};
    for (int i = 4; i < argc; i += 2) {
        size_t k = 0;
        while (k < sizeof known / sizeof known[0] && strcmp(argv[i], known[k]) != 0)
            k++;
        if (k == sizeof known / sizeof known[0]) {
            fprintf(stderr, "bench_scale: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = strcmp(argv[1], "setup") == 0 ? setup(argv[2], argv[3], argc, argv) : measure(argv[2], argv[3], argc, argv);
    curl_global_cleanup();
    return rc;
}
