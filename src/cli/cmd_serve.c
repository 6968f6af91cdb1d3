/*
 * cmd_serve.c - kite serve: open the store, load the directory, serve HTTP
 * until SIGTERM or SIGINT, then finish in-flight requests and close the
 * store.
 *
 * Two halves: the options are read and every value checked into a
 * serve_options first, so a mistake exits 2 before anything is opened or
 * started; then serve_run starts, waits and stops.
 */
#include "cli/cli.h"
#include "cli/serve_config.h"
#include "cli/sweeper.h"
#include "cli/live_sweeper.h"
#include "domain/contacts/contact_request.h"

#include "api/app.h"
#include "core/alloc.h"
#include "core/log.h"
#include "domain/directory/directory.h"
#include "mail/mail_format.h"
#include "mail/mailer.h"
#include "sandbox/privileges.h"
#include "sandbox/video_sandbox.h"
#include "core/alloc.h"

#ifdef KITE_FAULT_INJECTION
#include "db/db.h"
#include "http/router.h"

#include <pthread.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

/* A processor on this machine (http://127.0.0.1, localhost or [::1]) is a sandbox: the web page may show test cards. */
static bool processor_is_loopback(const char *url)
{
    static const char *const local[] = {"http://127.0.0.1:", "http://localhost:", "http://[::1]:"};
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++)
        if (strncmp(url, local[i], strlen(local[i])) == 0)
            return true;
    return false;
}

static const char *default_web_dir(void)
{
    struct stat st;
    return stat(KITE_WEB_DIR, &st) == 0 && S_ISDIR(st.st_mode) ? KITE_WEB_DIR : NULL;
}

enum { DEFAULT_THREADS = 16 };

/*
 * The HTTP edge's defaults (src/http/guard.c).  1,024 connections in all, of
 * which one address may hold 128 (a facility behind one NAT address may
 * need more: raise it); a request's head within 20 s of the connection or
 * of the previous answer, its body within 120 s of the head (a 10 MB photo
 * at 85 KB/s); 60 s without a byte either way closes any connection.
 */
enum {
    DEFAULT_MAX_CONNECTIONS = 1024,
    DEFAULT_PER_ADDRESS = 128,
    DEFAULT_HEADER_TIMEOUT_S = 20,
    DEFAULT_BODY_TIMEOUT_S = 120,
    DEFAULT_IDLE_TIMEOUT_S = 60,
};

/* What `kite serve` was asked for, read and checked before anything starts. */
typedef struct serve_options {
    const char *db_path, *listen, *data_dir, *web_dir, *smtp, *public_url, *mail_from, *processor;
    const char *threads_arg, *clock_offset_arg, *streams_arg, *processor_timeout_arg;
    const char *fault_injection_arg; /* --test-fault-injection on: test builds only (fault_injection_valid) */
    const char *max_connections_arg, *per_address_arg, *header_timeout_arg, *body_timeout_arg, *idle_timeout_arg;
    const char *user; /* --user NAME: bind, then run as NAME (sandbox/privileges.h) */
    const char *log_format; /* --log-format text|json (core/log.h) */
    const char *janus_url, *janus_api_secret, *janus_admin_secret; /* video visits (media/janus.h) */
    const char *janus_admin_url, *janus_admin_api_secret; /* Janus's admin API: whether media flows (api/visit_media.c) */
    const char *turn_url, *turn_secret, *video_bitrate_arg;
    long video_bitrate;
    char host[64];
    uint16_t port;
    int64_t clock_offset_ms;
    long threads, max_streams, processor_timeout_ms;
    long max_connections, per_address, header_timeout_s, body_timeout_s, idle_timeout_s;
    http_trusted trusted; /* --trusted-proxy, any number of times */
    http_trusted metrics_from; /* --metrics-from: who may read GET /metrics */
} serve_options;

/* A whole decimal number in [min, max], or fallback when absent ("4x" is no number). */
static bool parse_count(const char *arg, long min, long max, long fallback, long *out)
{
    char *end = NULL;
    long value = arg != NULL ? strtol(arg, &end, 10) : fallback;
    *out = value;
    return (arg == NULL || (*arg != '\0' && *end == '\0')) && value >= min && value <= max;
}

/* Tests move time (invitation expiry, review windows) by starting Kite in the future. */
static bool clock_offset_valid(serve_options *o)
{
    if (o->clock_offset_arg == NULL)
        return true;
    const char *allow = getenv("KITE_ALLOW_TEST_CLOCK");
    char *end = NULL;
    long long seconds = strtoll(o->clock_offset_arg, &end, 10);
    if (allow == NULL || strcmp(allow, "1") != 0) {
        fprintf(stderr, "kite serve: --test-clock-offset is for tests only and is refused here "
                        "(it needs KITE_ALLOW_TEST_CLOCK=1 in the environment)\n");
        return false;
    }
    if (*end != '\0' || seconds < 0 || seconds > 10LL * 365 * 24 * 3600) {
        fprintf(stderr, "kite serve: --test-clock-offset takes seconds, from 0 to ten years\n");
        return false;
    }
    o->clock_offset_ms = seconds * 1000;
    return true;
}

/*
 * Fault injection over HTTP (test builds only).  `kite serve
 * --test-fault-injection on`, in a build configured with
 * -Dfault_injection=true and with KITE_ALLOW_FAULT_INJECTION=1 in the
 * environment, serves every route through fault_route_handler: a request
 * that carries "X-Kite-Fault-Step: N" has its own Nth store step fail as
 * SQLite would fail it (db_fault_arm_thread: steps are counted on the
 * request's thread, so concurrent requests, the sweeper and the mailer
 * neither count nor fail); N = 0 only counts.  GET /api/v1/test/fault-injection
 * says what the last armed request did (its steps, and the one that failed),
 * so a test knows when N has passed the request's last step.  Anywhere else
 * the option is refused before anything starts, and a release build has no
 * wrapper, no route and no counter: the header is just another header there.
 *
 * SECURITY: this breaks the store on request, so it must never be reachable
 * by accident: two switches (the build and the environment) and a loud
 * warning in the log when it is on.
 */
#define FAULT_STEP_HEADER "X-Kite-Fault-Step"
#define FAULT_REPORT_PATH "/api/v1/test/fault-injection"

static bool fault_injection_valid(serve_options *o)
{
    if (o->fault_injection_arg == NULL)
        return true;
#ifdef KITE_FAULT_INJECTION
    const char *allow = getenv("KITE_ALLOW_FAULT_INJECTION");
    if (allow == NULL || strcmp(allow, "1") != 0) {
        fprintf(stderr, "kite serve: --test-fault-injection is for tests only and is refused here "
                        "(it needs KITE_ALLOW_FAULT_INJECTION=1 in the environment)\n");
        return false;
    }
    if (strcmp(o->fault_injection_arg, "on") != 0) {
        fprintf(stderr, "kite serve: --test-fault-injection takes on\n");
        return false;
    }
    return true;
#else
    fprintf(stderr, "kite serve: --test-fault-injection is refused: this kite was built without fault injection "
                    "(only test builds, configured with -Dfault_injection=true, have it)\n");
    return false;
#endif
}

#ifdef KITE_FAULT_INJECTION
/* The last armed request, for FAULT_REPORT_PATH; the fault test sends one at a time. */
static struct {
    pthread_mutex_t lock;
    bool any;
    char method[16];
    char path[256];
    int64_t armed_step, steps, failed_step;
} last_fault = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void fault_report_handler(http_request *req, void *app)
{
    (void)app;
    pthread_mutex_lock(&last_fault.lock);
    json_t *out = last_fault.any ? json_pack("{s:s, s:s, s:I, s:I, s:I}", "method", last_fault.method, "path",
                                             last_fault.path, "armed_step", (json_int_t)last_fault.armed_step,
                                             "steps", (json_int_t)last_fault.steps, "failed_step",
                                             (json_int_t)last_fault.failed_step)
                                 : json_object();
    pthread_mutex_unlock(&last_fault.lock);
    http_reply_json(req, 200, out);
}

/* Runs the route's own handler, with the request's store steps counted and the armed one failing. */
static void fault_route_handler(http_request *req, void *app)
{
    route_result own;
    if (router_match(api_routes, api_route_count, http_method(req), http_path(req), http_arena(req), &own) !=
        ROUTE_FOUND) {
        http_reply_error(req, KITE_ERR_INTERNAL, NULL, NULL); /* the tables have the same patterns */
        return;
    }
    const char *armed = http_header(req, FAULT_STEP_HEADER);
    if (armed == NULL) {
        own.route->handler(req, app);
        return;
    }
    char *end = NULL;
    long long step = strtoll(armed, &end, 10);
    if (*armed == '\0' || *end != '\0' || step < 0 || step > 1000000) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, FAULT_STEP_HEADER, FAULT_NOT_VALID);
        return;
    }
    /*
     * A staff session's last use is written at most once a minute
     * (SESSION_TOUCH_MS), by whichever request comes first: done here, before
     * the count starts, so that write never lands in one run of a request and
     * not the next, shifting its steps between the count and the faults.
     */
    const char *token = session_token(req, NULL);
    if (token != NULL && *token != '\0') {
        session touched;
        kite_err err = session_resolve(&((kite_app *)app)->ctx, http_arena(req), token, &touched);
        (void)err; /* the request's own resolve answers for it */
    }
    db_fault_arm_thread(step, KITE_ERR_STORE);
    own.route->handler(req, app);
    int64_t failed = 0;
    int64_t steps = db_fault_disarm_thread(&failed);
    log_warn("TEST FAULT INJECTION: %s %s made %lld store steps; armed step %lld %s", http_method(req),
             http_path(req), (long long)steps, step, failed != 0 ? "failed" : "was not reached");
    pthread_mutex_lock(&last_fault.lock);
    last_fault.any = true;
    snprintf(last_fault.method, sizeof last_fault.method, "%s", http_method(req));
    snprintf(last_fault.path, sizeof last_fault.path, "%s", http_path(req));
    last_fault.armed_step = step;
    last_fault.steps = steps;
    last_fault.failed_step = failed;
    pthread_mutex_unlock(&last_fault.lock);
}

/* With --test-fault-injection: every route through fault_route_handler, plus the report; the table to free. */
static http_route *fault_routes_install(const serve_options *o, http_config *config)
{
    if (o->fault_injection_arg == NULL)
        return NULL;
    http_route *routes = xcalloc(api_route_count + 1, sizeof *routes);
    for (size_t i = 0; i < api_route_count; i++)
        routes[i] = (http_route){api_routes[i].method, api_routes[i].pattern, fault_route_handler};
    routes[api_route_count] = (http_route){"GET", FAULT_REPORT_PATH, fault_report_handler};
    config->routes = routes;
    config->route_count = api_route_count + 1;
    log_warn("TEST FAULT INJECTION is on: a request with " FAULT_STEP_HEADER
             ": N fails its Nth store step; never run this way for real");
    return routes;
}
#else
static http_route *fault_routes_install(const serve_options *o, http_config *config)
{
    (void)o;
    (void)config;
    return NULL;
}
#endif

/*
 * The test clock over HTTP: a server started with --test-clock-offset (which
 * needs KITE_ALLOW_TEST_CLOCK=1) also serves POST /api/v1/test/clock
 * {"advance_seconds": N}, which moves the process's time forward by N
 * seconds (clock_test_advance) and answers the new time.  A live video visit
 * is timed while the server runs (the connected minutes, the end of the
 * slot), and a restart would drop it.  Anywhere else the route does not
 * exist: 404 like any unknown path.
 *
 * SECURITY: it moves time for every request, the ledger's included, so it
 * lives behind the same two switches as --test-clock-offset and is logged.
 */
#define TEST_CLOCK_PATH "/api/v1/test/clock"

static void test_clock_handler(http_request *req, void *app)
{
    kite_app *kite = app;
    json_t *body = parse_body_or_reply(req);
    int64_t seconds = 0;
    bool present = false;
    if (body == NULL || !body_int_or_reply(req, body, "advance_seconds", true, &seconds, &present))
        return;
    if (seconds < 0 || seconds > 7LL * 24 * 3600) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "advance_seconds", FAULT_RANGE);
        return;
    }
    clock_test_advance(seconds * 1000);
    int64_t now = clock_now_ms(&kite->ctx.clock);
    log_warn("TEST CLOCK: moved forward %lld seconds", (long long)seconds);
    http_reply_json(req, 200, json_pack("{s:o}", "now", json_time(now)));
}

/* With the test clock: the routes in force plus POST TEST_CLOCK_PATH; the table to free (or NULL). */
static http_route *test_clock_route_install(const serve_options *o, http_config *config)
{
    if (o->clock_offset_arg == NULL)
        return NULL;
    http_route *routes = xcalloc(config->route_count + 1, sizeof *routes);
    memcpy(routes, config->routes, config->route_count * sizeof *routes);
    routes[config->route_count] = (http_route){"POST", TEST_CLOCK_PATH, test_clock_handler};
    config->routes = routes;
    config->route_count++;
    return routes;
}

static bool mail_options_valid(const serve_options *o)
{
    if (o->smtp != NULL && strncmp(o->smtp, "smtp://", 7) != 0 && strncmp(o->smtp, "smtps://", 8) != 0) {
        fprintf(stderr, "kite serve: --smtp takes smtp://host:port\n");
        return false;
    }
    const char *url = o->public_url;
    if (url != NULL && ((strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
                        !mail_line_valid(url, 2000) || strpbrk(url, " \"'<>\\") != NULL)) {
        fprintf(stderr, "kite serve: --public-url takes the address people open, e.g. https://kite.example.org\n");
        return false;
    }
    if (o->mail_from != NULL) {
        arena *scratch = arena_new();
        const char *from_name, *from_addr, *from_domain;
        kite_err from_err = mail_mailbox_parse(scratch, o->mail_from, &from_name, &from_addr, &from_domain);
        arena_free(scratch);
        if (from_err != KITE_OK) {
            fprintf(stderr, "kite serve: --mail-from takes a mailbox, e.g. \"Kite <no-reply@kite.example.org>\"\n");
            return false;
        }
    }
    return true;
}

/* The HTTP edge: connection caps and deadlines (src/http/guard.c). */
static bool edge_options_valid(serve_options *o)
{
    if (!parse_count(o->max_connections_arg, 16, 100000, DEFAULT_MAX_CONNECTIONS, &o->max_connections)) {
        fprintf(stderr, "kite serve: --max-connections takes a number from 16 to 100000 "
                        "(the open file limit, ulimit -n, must allow as many)\n");
        return false;
    }
    if (!parse_count(o->per_address_arg, 0, o->max_connections, DEFAULT_PER_ADDRESS < o->max_connections
                                                                   ? DEFAULT_PER_ADDRESS : o->max_connections,
                     &o->per_address)) {
        fprintf(stderr, "kite serve: --max-connections-per-address takes a number from 0 (no cap) to "
                        "--max-connections (%ld)\n", o->max_connections);
        return false;
    }
    if (!parse_count(o->header_timeout_arg, 1, 3600, DEFAULT_HEADER_TIMEOUT_S, &o->header_timeout_s) ||
        !parse_count(o->body_timeout_arg, 1, 86400, DEFAULT_BODY_TIMEOUT_S, &o->body_timeout_s) ||
        !parse_count(o->idle_timeout_arg, 1, 3600, DEFAULT_IDLE_TIMEOUT_S, &o->idle_timeout_s)) {
        fprintf(stderr, "kite serve: --header-timeout and --idle-timeout take seconds from 1 to 3600, "
                        "--body-timeout seconds from 1 to 86400\n");
        return false;
    }
    return true;
}

/*
 * --trusted-proxy and --metrics-from may be given any number of times (and
 * take a comma-separated list), which the one-value options of
 * cli_parse_or_usage cannot say: their occurrences are taken out of argv
 * here, into nets, and the rest is parsed as usual.  argv keeps its order;
 * *argc shrinks.  name is the option with its dashes.
 */
static bool networks_taken(int *argc, char **argv, const char *name, http_trusted *nets)
{
    size_t name_len = strlen(name);
    int kept = 1;
    for (int i = 1; i < *argc; i++) {
        const char *value = NULL;
        if (strcmp(argv[i], "--") == 0) {
            while (i < *argc)
                argv[kept++] = argv[i++];
            break;
        }
        if (strcmp(argv[i], name) == 0) {
            if (i + 1 >= *argc) {
                fprintf(stderr, "kite serve: %s needs a value\n", name);
                return false;
            }
            value = argv[++i];
        } else if (strncmp(argv[i], name, name_len) == 0 && argv[i][name_len] == '=') {
            value = argv[i] + name_len + 1;
        } else {
            argv[kept++] = argv[i];
            continue;
        }
        char list[512];
        if (snprintf(list, sizeof list, "%s", value) >= (int)sizeof list)
            list[0] = '\0';
        char *save = NULL;
        bool any = false;
        for (char *item = strtok_r(list, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
            any = true;
            if (!http_trusted_add(nets, item)) {
                fprintf(stderr, "kite serve: %s takes an IPv4 or IPv6 address or network, e.g. "
                                "10.0.0.0/8 or ::1 (at most %d); \"%s\" is not one\n", name, HTTP_MAX_TRUSTED_PROXIES, item);
                return false;
            }
        }
        if (!any) {
            fprintf(stderr, "kite serve: %s takes an IPv4 or IPv6 address or network, e.g. 10.0.0.0/8\n", name);
            return false;
        }
    }
    argv[kept] = NULL;
    *argc = kept;
    return true;
}

/* A base URL: http(s)://, no trailing slash, nothing a URL or a log line should not hold. */
static bool base_url_valid(const char *u)
{
    return (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0) && strpbrk(u, " \"'<>\\?#") == NULL &&
           u[strlen(u) - 1] != '/';
}

/* Video visits: Janus's API (loopback or a private network), a TURN relay, the bitrate cap. */
static bool video_options_valid(serve_options *o)
{
    if (o->janus_url != NULL && !base_url_valid(o->janus_url)) {
        fprintf(stderr, "kite serve: --janus-url takes Janus's HTTP API base URL without a trailing slash, "
                        "e.g. http://127.0.0.1:8088/janus\n");
        return false;
    }
    if (o->janus_url == NULL &&
        (o->janus_api_secret != NULL || o->janus_admin_secret != NULL || o->janus_admin_url != NULL ||
         o->janus_admin_api_secret != NULL)) {
        fprintf(stderr, "kite serve: --janus-api-secret, --janus-admin-secret, --janus-admin-url and "
                        "--janus-admin-api-secret need --janus-url\n");
        return false;
    }
    /* Without the admin API Kite cannot see media flow, so no visit would ever connect (or be charged). */
    if (o->janus_url != NULL && (o->janus_admin_url == NULL || !base_url_valid(o->janus_admin_url))) {
        fprintf(stderr, "kite serve: --janus-url needs --janus-admin-url, Janus's admin API base URL without a "
                        "trailing slash (e.g. http://127.0.0.1:7088/admin): a visit is connected, and charged, only "
                        "while Janus says media flows\n");
        return false;
    }
    if ((o->turn_url == NULL) != (o->turn_secret == NULL) ||
        (o->turn_url != NULL && (strncmp(o->turn_url, "turn:", 5) != 0 && strncmp(o->turn_url, "turns:", 6) != 0))) {
        fprintf(stderr, "kite serve: --turn-url (turn:host:port or turns:host:port) and --turn-secret "
                        "(coturn's static-auth-secret) go together\n");
        return false;
    }
    if (!parse_count(o->video_bitrate_arg, 64000, 4000000, 512000, &o->video_bitrate)) {
        fprintf(stderr, "kite serve: --video-bitrate takes bits per second, from 64000 to 4000000\n");
        return false;
    }
    return true;
}

/* The values, checked with the messages people and tests know; false after saying what is wrong. */
static bool serve_options_valid(serve_options *o)
{
    if (!cli_parse_listen(o->listen != NULL ? o->listen : "127.0.0.1:8080", o->host, sizeof o->host, &o->port)) {
        fprintf(stderr, "kite serve: --listen takes HOST:PORT, e.g. 127.0.0.1:8080\n");
        return false;
    }
    if (!clock_offset_valid(o) || !fault_injection_valid(o) || !mail_options_valid(o))
        return false;
    if (o->log_format != NULL && strcmp(o->log_format, "text") != 0 && strcmp(o->log_format, "json") != 0) {
        fprintf(stderr, "kite serve: --log-format takes text (the default) or json (one JSON object a line)\n");
        return false;
    }
    /* At most half of WALLET_STALE_MS: the sweeper must not take a top-up still in flight for one never sent. */
    if (!parse_count(o->processor_timeout_arg, 500, 30000, PROCESSOR_TOTAL_TIMEOUT_MS, &o->processor_timeout_ms)) {
        fprintf(stderr, "kite serve: --processor-timeout-ms takes milliseconds, from 500 to 30000\n");
        return false;
    }
    const char *p = o->processor;
    if (p != NULL && ((strncmp(p, "http://", 7) != 0 && strncmp(p, "https://", 8) != 0) ||
                      strpbrk(p, " \"'<>\\?#") != NULL || p[strlen(p) - 1] == '/')) {
        fprintf(stderr, "kite serve: --processor takes the card processor's base URL without a trailing slash, "
                        "e.g. http://127.0.0.1:8090 (a kite processor-sandbox)\n");
        return false;
    }
    /*
     * Threads that answer requests: libmicrohttpd's, and as many handlers for
     * requests that may write (src/http/server.c).  Writers queue for one writer
     * and share its commits and fsyncs (src/db/writer.c), so a batch is as large
     * as the writers waiting: more handlers than cores let more of them wait
     * while one fsync serves all.  Measured on 2 cores at 64 connections with
     * the handlers' pool: 8 and 16 sent the same (3,494 and 3,506 sends/s).
     */
    if (!parse_count(o->threads_arg, 1, 256, DEFAULT_THREADS, &o->threads)) {
        fprintf(stderr, "kite serve: --threads takes a number from 1 to 256\n");
        return false;
    }
    /* Open event streams (GET /api/v1/events) hold a connection each, so they stay well under max_connections. */
    if (!parse_count(o->streams_arg, 1, 800, 500, &o->max_streams)) {
        fprintf(stderr, "kite serve: --max-event-streams takes a number from 1 to 800\n");
        return false;
    }
    return video_options_valid(o) && edge_options_valid(o);
}

/* --test-clock-offset and --test-fault-injection stay out of the usage: they are for tests only. */
static bool serve_options_or_usage(int argc, char **argv, serve_options *o, int *status)
{
    memset(o, 0, sizeof *o);
    const cli_opt opts[] = {
        {"db", &o->db_path, "PATH"},
        {"listen", &o->listen, NULL},
        {"data", &o->data_dir, NULL},
        {"web", &o->web_dir, NULL},
        {"smtp", &o->smtp, NULL},
        {"public-url", &o->public_url, NULL},
        {"mail-from", &o->mail_from, NULL},
        {"threads", &o->threads_arg, NULL},
        {"test-clock-offset", &o->clock_offset_arg, NULL},
        {"max-event-streams", &o->streams_arg, NULL},
        {"processor", &o->processor, NULL},
        {"processor-timeout-ms", &o->processor_timeout_arg, NULL},
        {"test-fault-injection", &o->fault_injection_arg, NULL},
        {"max-connections", &o->max_connections_arg, NULL},
        {"max-connections-per-address", &o->per_address_arg, NULL},
        {"header-timeout", &o->header_timeout_arg, NULL},
        {"body-timeout", &o->body_timeout_arg, NULL},
        {"idle-timeout", &o->idle_timeout_arg, NULL},
        {"user", &o->user, NULL},
        {"log-format", &o->log_format, NULL},
        {"janus-url", &o->janus_url, NULL},
        {"janus-api-secret", &o->janus_api_secret, NULL},
        {"janus-admin-secret", &o->janus_admin_secret, NULL},
        {"janus-admin-url", &o->janus_admin_url, NULL},
        {"janus-admin-api-secret", &o->janus_admin_api_secret, NULL},
        {"turn-url", &o->turn_url, NULL},
        {"turn-secret", &o->turn_secret, NULL},
        {"video-bitrate", &o->video_bitrate_arg, NULL},
        {NULL, NULL, NULL},
    };
    const cli_command cmd = {"kite serve",
                             "kite serve --db PATH [--listen HOST:PORT] [--smtp URL] [--web DIR] [--data DIR]\n"
                             "                  [--public-url URL] [--mail-from MAILBOX] [--threads N]\n"
                             "                  [--max-event-streams N] [--processor URL] [--processor-timeout-ms N]\n"
                             "                  [--max-connections N] [--max-connections-per-address N]\n"
                             "                  [--header-timeout S] [--body-timeout S] [--idle-timeout S]\n"
                             "                  [--trusted-proxy CIDR]... [--metrics-from CIDR]... [--user NAME]\n"
                             "                  [--log-format text|json] [--config FILE]\n"
                             "                  [--janus-url URL] [--janus-api-secret S] [--janus-admin-secret S]\n"
                             "                  [--janus-admin-url URL] [--janus-admin-api-secret S]\n"
                             "                  [--turn-url URL --turn-secret S] [--video-bitrate BPS]",
                             opts, 0, 0};
    cli_args args;
    if (!networks_taken(&argc, argv, "--trusted-proxy", &o->trusted) ||
        !networks_taken(&argc, argv, "--metrics-from", &o->metrics_from)) {
        *status = 2;
        return false;
    }
    if (!cli_parse_or_usage(&cmd, NULL, argc, argv, &args, status))
        return false;
    *status = 2;
    return serve_options_valid(o);
}

/* Opens the store with the directory loaded and the context set from the options; says why not. */
static kite_err serve_open_store(const serve_options *o, cli_store *store)
{
    kite_err err = cli_store_open("kite serve", o->db_path, store);
    if (err != KITE_OK)
        return err;
    directory_import_report loaded;
    err = directory_ensure_loaded(&store->ctx, o->data_dir != NULL ? o->data_dir : KITE_DATA_DIR, &loaded);
    if (err != KITE_OK) {
        fprintf(stderr, "kite serve: cannot load the facility directory (%s)\n", kite_err_code(err));
        cli_store_close(store);
        return err;
    }
    if (loaded.inserted > 0)
        log_info("directory: loaded %lld facilities", (long long)loaded.inserted);
    if (o->smtp == NULL)
        log_info("mail: no --smtp given; outgoing mail stays in the store");

    store->ctx.clock.offset_ms = o->clock_offset_ms;
    if (o->clock_offset_ms != 0)
        log_warn("TEST CLOCK: running %lld seconds in the future", (long long)(o->clock_offset_ms / 1000));
    store->ctx.public_url = o->public_url;
    /* Decisions that fell due while Kite was down are made before the first request is answered,
     * since reads never write; the sweeper makes the later ones. */
    int64_t settled = 0;
    if ((err = contact_requests_settle(&store->ctx, &settled)) != KITE_OK)
        log_warn("sweeper: settling contact requests failed: %s", kite_err_code(err));
    return KITE_OK;
}

/* What the HTTP server is given: the options' limits, the API's routes, and the socket bound as root, if any. */
static http_config serve_http_config(const serve_options *o, kite_app *app, int listen_fd)
{
    http_config config = {
        .host = o->host,
        .port = o->port,
        .limits = {.max_body = 1024 * 1024, .max_header_bytes = 32 * 1024,
                   .max_connections = (unsigned)o->max_connections, .max_per_address = (unsigned)o->per_address,
                   .threads = (unsigned)o->threads, .idle_timeout_s = (unsigned)o->idle_timeout_s,
                   .header_timeout_s = (unsigned)o->header_timeout_s, .body_timeout_s = (unsigned)o->body_timeout_s},
        .routes = api_routes,
        .route_count = api_route_count,
        .app = app,
        .web_dir = o->web_dir != NULL ? o->web_dir : default_web_dir(),
        .max_body_for = api_max_body_for,
        .trusted = o->trusted,
        .public_https = app->cookie_secure,
        .bound = listen_fd >= 0,
        .listen_fd = listen_fd,
    };
    return config;
}

/*
 * --user NAME: the port is bound as root, then root is given up before
 * anything else starts (sandbox/privileges.h).  Without it, a server
 * started as root says that it keeps root.  False after saying why not.
 */
static bool serve_drop_root(const serve_options *o, int *listen_fd)
{
    if (o->user == NULL) {
        if (geteuid() == 0)
            log_warn("kite serve runs as root; --user kite makes it give up root once its port is bound");
        return true;
    }
    char problem[PRIVILEGES_PROBLEM_MAX];
    if (geteuid() == 0 && http_listen(o->host, o->port, listen_fd) != KITE_OK) {
        fprintf(stderr, "kite serve: cannot listen on %s:%u\n", o->host, o->port);
        return false;
    }
    if (privileges_drop_to(o->user, problem, sizeof problem) != KITE_OK) {
        fprintf(stderr, "kite serve: --user %s: %s\n", o->user, problem);
        if (*listen_fd >= 0)
            close(*listen_fd);
        *listen_fd = -1;
        return false;
    }
    if (*listen_fd >= 0)
        log_info("running as %s (uid %u); the port was bound as root", o->user, (unsigned)getuid());
    return true;
}

/* Video visits from the options; *media (the caller's, living as long as the server) is Janus's config. */
static video_config serve_video_config(const serve_options *o, janus_config *media)
{
    *media = (janus_config){.base_url = o->janus_url, .api_secret = o->janus_api_secret,
                            .admin_key = o->janus_admin_secret, .admin_url = o->janus_admin_url,
                            /* Janus's admin_secret: its own, or the same secret as the videoroom's admin_key */
                            .admin_secret = o->janus_admin_api_secret != NULL ? o->janus_admin_api_secret
                                                                               : o->janus_admin_secret};
    if (o->janus_url != NULL) {
        log_info("video: visits through Janus at %s%s", o->janus_url, o->turn_url != NULL ? ", with a TURN relay" : "");
        /* Said now, not at the first visit: without the admin API no visit counts as connected. */
        const char *which = NULL;
        janus_error e = {0};
        if (janus_check(media, &which, &e) != KITE_OK)
            log_error("video: Janus's %s did not answer as configured (HTTP %ld, Janus %d: %s); until it does, "
                      "visits cannot connect and nothing is charged for them", which, e.http_status, e.code, e.reason);
    } else
        log_info("video: no --janus-url given; joining a video visit answers 503");
    return (video_config){.janus = o->janus_url != NULL ? media : NULL, .turn_url = o->turn_url,
                          .turn_secret = o->turn_secret, .bitrate = o->video_bitrate};
}

/* Card top-ups go to the processor when one is configured; without one they answer 503. */
static void serve_payments(const serve_options *o, kite_app *app, processor_config *payments)
{
    if (o->processor == NULL) {
        log_info("payments: no --processor given; top-ups answer 503");
        return;
    }
    app->processor = payments;
    app->processor_is_sandbox = processor_is_loopback(o->processor);
    log_info("payments: card top-ups go to %s%s", o->processor,
             app->processor_is_sandbox ? " (a local sandbox: test cards work)" : "");
}

/* The confined helpers for photos and for videos (sandbox/): one pool each. */
static void serve_sandboxes_start(kite_app *app)
{
    image_sandbox_config images;
    image_sandbox_config_defaults(&images);
    app->images = image_sandbox_new(&images);
    image_sandbox_config videos;
    video_sandbox_config_defaults(&videos);
    app->videos = image_sandbox_new(&videos);
}

static void serve_sandboxes_stop(kite_app *app)
{
    app->images = image_sandbox_free(app->images);
    app->videos = image_sandbox_free(app->videos);
}static int serve_run(const serve_options *o)
{
    /* Signals are taken by sigwait below; every thread started from here on inherits the block. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Before any thread starts: the process's one log setting (core/log.h). */
    log_use_json(o->log_format != NULL && strcmp(o->log_format, "json") == 0);

    int listen_fd = -1;
    if (!serve_drop_root(o, &listen_fd))
        return 1;
    cli_store store;
    if (serve_open_store(o, &store) != KITE_OK) {
        if (listen_fd >= 0)
            close(listen_fd);
        return 1;
    }
    kite_app app = {.ctx = store.ctx, .metrics_from = o->metrics_from,
                    .cookie_secure = o->public_url != NULL && strncmp(o->public_url, "https://", 8) == 0};
    processor_config payments = {.base_url = o->processor, .total_timeout_ms = o->processor_timeout_ms};
    serve_payments(o, &app, &payments);
    janus_config media;
    app.video = serve_video_config(o, &media);
    http_config config = serve_http_config(o, &app, listen_fd);
    event_hub_config events = {.max_per_account = 5, .max_total = (unsigned)o->max_streams, .poll_ms = 250,
                               .heartbeat_ms = 15000};
    app.events = event_hub_start(&app.ctx, &events);
    serve_sandboxes_start(&app);
    http_route *test_routes = fault_routes_install(o, &config);
    http_route *clock_routes = test_clock_route_install(o, &config);
    http_server *server = NULL;
    if (http_server_start(&config, &server) != KITE_OK) {
        event_hub_stop(app.events);
        serve_sandboxes_stop(&app);
        cli_store_close(&store);
        free(test_routes);
        free(clock_routes);
        return 1;
    }
    printf("kite: listening on http://%s:%u\n", o->host, http_server_port(server));
    fflush(stdout);
    log_info("serving on http://%s:%u with %ld threads", o->host, http_server_port(server), o->threads);
    log_info("http: at most %ld connections, %ld from one address (0: no cap); a request's head within %ld s, "
             "its body within %ld s; %zu trusted proxies", o->max_connections, o->per_address, o->header_timeout_s,
             o->body_timeout_s, o->trusted.count);
    mail_config delivery = {.store = app.ctx.store, .clock = &app.ctx.clock, .from = o->mail_from, .smtp_url = o->smtp};
    mailer *mail_sender = mailer_start(&delivery);
    sweeper *chores = sweeper_start(&app.ctx, app.processor);
    live_sweeper *rooms = live_sweeper_start(&app.ctx, app.video.janus);

    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    log_info("received %s; finishing requests in flight", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
    http_server_stop(server); /* ends open event streams first */
    event_hub_stop(app.events);
    serve_sandboxes_stop(&app);
    chores = sweeper_stop(chores);
    rooms = live_sweeper_stop(rooms);
    mail_sender = mailer_stop(mail_sender);
    db_group_stats writes = db_write_stats(app.ctx.store);
    if (writes.commits > 0)
        log_info("store: %lld writes shared %lld commits (at most %lld in one) and %lld fsyncs", (long long)writes.writes,
                 (long long)writes.commits, (long long)writes.largest, (long long)writes.syncs_apart);
    cli_store_close(&store);
    free(test_routes);
    free(clock_routes);
    log_info("stopped");
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    serve_args args;
    if (!serve_config_read(argc, argv, &args))
        return 2;
    serve_options options;
    int status;
    int result = serve_options_or_usage(args.argc, args.argv, &options, &status) ? serve_run(&options) : status;
    serve_args_free(&args);
    return result;
}
