/*
 * cmd_serve.c - kite serve: open the store, load the directory, serve HTTP
 * until SIGTERM or SIGINT, then finish in-flight requests and close the
 * store.
 */
#include "cli/cli.h"
#include "cli/sweeper.h"
#include "domain/contacts/contact_request.h"

#include "api/app.h"
#include "core/log.h"
#include "domain/directory/directory.h"
#include "mail/mail_format.h"
#include "mail/mailer.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool parse_listen(const char *listen, char *host, size_t host_len, uint16_t *port)
{
    const char *colon = strrchr(listen, ':');
    if (colon == NULL || (size_t)(colon - listen) >= host_len)
        return false;
    char *end;
    long value = strtol(colon + 1, &end, 10);
    if (*end != '\0' || value < 0 || value > 65535 || colon[1] == '\0')
        return false;
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    if (strcmp(host, "localhost") == 0)
        snprintf(host, host_len, "127.0.0.1");
    *port = (uint16_t)value;
    return true;
}

static const char *default_web_dir(void)
{
    struct stat st;
    return stat(KITE_WEB_DIR, &st) == 0 && S_ISDIR(st.st_mode) ? KITE_WEB_DIR : NULL;
}

int cmd_serve(int argc, char **argv)
{
    const char *db_path = cli_option(argc, argv, "--db");
    const char *listen = cli_option(argc, argv, "--listen");
    const char *data_dir = cli_option(argc, argv, "--data");
    const char *web_dir = cli_option(argc, argv, "--web");
    const char *smtp = cli_option(argc, argv, "--smtp");
    const char *public_url = cli_option(argc, argv, "--public-url");
    const char *mail_from = cli_option(argc, argv, "--mail-from");
    const char *threads_arg = cli_option(argc, argv, "--threads");
    const char *clock_offset_arg = cli_option(argc, argv, "--test-clock-offset");
    const char *streams_arg = cli_option(argc, argv, "--max-event-streams");
    char host[64];
    uint16_t port;
    if (db_path == NULL) {
        fprintf(stderr, "kite serve: --db PATH is required\n");
        return 2;
    }
    if (!parse_listen(listen != NULL ? listen : "127.0.0.1:8080", host, sizeof host, &port)) {
        fprintf(stderr, "kite serve: --listen takes HOST:PORT, e.g. 127.0.0.1:8080\n");
        return 2;
    }
    /* Tests move time (invitation expiry, review windows) by starting Kite in the future. */
    int64_t clock_offset_ms = 0;
    if (clock_offset_arg != NULL) {
        const char *allow = getenv("KITE_ALLOW_TEST_CLOCK");
        char *end = NULL;
        long long seconds = strtoll(clock_offset_arg, &end, 10);
        if (allow == NULL || strcmp(allow, "1") != 0) {
            fprintf(stderr, "kite serve: --test-clock-offset is for tests only and is refused here "
                            "(it needs KITE_ALLOW_TEST_CLOCK=1 in the environment)\n");
            return 2;
        }
        if (*end != '\0' || seconds < 0 || seconds > 10LL * 365 * 24 * 3600) {
            fprintf(stderr, "kite serve: --test-clock-offset takes seconds, from 0 to ten years\n");
            return 2;
        }
        clock_offset_ms = seconds * 1000;
    }
    if (smtp != NULL && strncmp(smtp, "smtp://", 7) != 0 && strncmp(smtp, "smtps://", 8) != 0) {
        fprintf(stderr, "kite serve: --smtp takes smtp://host:port\n");
        return 2;
    }
    if (public_url != NULL && ((strncmp(public_url, "http://", 7) != 0 && strncmp(public_url, "https://", 8) != 0) ||
                               !mail_line_valid(public_url, 2000) || strpbrk(public_url, " \"'<>\\") != NULL)) {
        fprintf(stderr, "kite serve: --public-url takes the address people open, e.g. https://kite.example.org\n");
        return 2;
    }
    if (mail_from != NULL) {
        arena *scratch = arena_new();
        const char *from_name, *from_addr, *from_domain;
        kite_err from_err = mail_mailbox_parse(scratch, mail_from, &from_name, &from_addr, &from_domain);
        arena_free(scratch);
        if (from_err != KITE_OK) {
            fprintf(stderr, "kite serve: --mail-from takes a mailbox, e.g. \"Kite <no-reply@kite.example.org>\"\n");
            return 2;
        }
    }
    long threads = threads_arg != NULL ? strtol(threads_arg, NULL, 10) : 4;
    if (threads < 1 || threads > 256) {
        fprintf(stderr, "kite serve: --threads takes a number from 1 to 256\n");
        return 2;
    }
    /* Open event streams (GET /api/v1/events) hold a connection each, so they stay well under max_connections. */
    long max_streams = streams_arg != NULL ? strtol(streams_arg, NULL, 10) : 500;
    if (max_streams < 1 || max_streams > 800) {
        fprintf(stderr, "kite serve: --max-event-streams takes a number from 1 to 800\n");
        return 2;
    }

    /* Signals are taken by sigwait below; every thread started from here on inherits the block. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    cli_store store;
    kite_err err = cli_store_open(db_path, &store);
    if (err != KITE_OK) {
        fprintf(stderr, "kite serve: cannot open the store %s (%s)\n", db_path, kite_err_code(err));
        return 1;
    }
    directory_import_report loaded;
    err = directory_ensure_loaded(&store.ctx, data_dir != NULL ? data_dir : KITE_DATA_DIR, &loaded);
    if (err != KITE_OK) {
        fprintf(stderr, "kite serve: cannot load the facility directory (%s)\n", kite_err_code(err));
        cli_store_close(&store);
        return 1;
    }
    if (loaded.inserted > 0)
        log_info("directory: loaded %lld facilities", (long long)loaded.inserted);
    if (smtp == NULL)
        log_info("mail: no --smtp given; outgoing mail stays in the store");

    store.ctx.clock.offset_ms = clock_offset_ms;
    if (clock_offset_ms != 0)
        log_warn("TEST CLOCK: running %lld seconds in the future", (long long)(clock_offset_ms / 1000));
    store.ctx.public_url = public_url;
    /* Decisions that fell due while Kite was down are made before the first request is answered,
     * since reads never write; the sweeper makes the later ones. */
    int64_t settled = 0;
    if ((err = contact_requests_settle(&store.ctx, &settled)) != KITE_OK)
        log_warn("sweeper: settling contact requests failed: %s", kite_err_code(err));
    kite_app app = {.ctx = store.ctx, .cookie_secure = public_url != NULL && strncmp(public_url, "https://", 8) == 0};
    http_config config = {
        .host = host,
        .port = port,
        .limits = {.max_body = 1024 * 1024, .max_header_bytes = 32 * 1024, .max_connections = 1024,
                   .threads = (unsigned)threads, .idle_timeout_s = 60},
        .routes = api_routes,
        .route_count = api_route_count,
        .app = &app,
        .web_dir = web_dir != NULL ? web_dir : default_web_dir(),
        .max_body_for = api_max_body_for,
    };
    event_hub_config events = {.max_per_account = 5, .max_total = (unsigned)max_streams, .poll_ms = 250,
                               .heartbeat_ms = 15000};
    app.events = event_hub_start(&app.ctx, &events);
    image_sandbox_config images;
    image_sandbox_config_defaults(&images);
    app.images = image_sandbox_new(&images);
    http_server *server = NULL;
    err = http_server_start(&config, &server);
    if (err != KITE_OK) {
        event_hub_stop(app.events);
        app.images = image_sandbox_free(app.images);
        cli_store_close(&store);
        return 1;
    }
    printf("kite: listening on http://%s:%u\n", host, http_server_port(server));
    fflush(stdout);
    log_info("serving on http://%s:%u with %ld threads", host, http_server_port(server), threads);
    mail_config delivery = {.store = app.ctx.store, .clock = &app.ctx.clock, .from = mail_from, .smtp_url = smtp};
    mailer *mail_sender = mailer_start(&delivery);
    sweeper *chores = sweeper_start(&app.ctx);

    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    log_info("received %s; finishing requests in flight", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
    http_server_stop(server); /* ends open event streams first */
    event_hub_stop(app.events);
    app.images = image_sandbox_free(app.images);
    chores = sweeper_stop(chores);
    mail_sender = mailer_stop(mail_sender);
    cli_store_close(&store);
    log_info("stopped");
    return 0;
}
