/*
 * mailer.c - delivering the outbox over SMTP with libcurl, on a worker.
 *
 * Design: one worker tick claims a batch of due mail (outbox.c), sends each
 * mail with its own libcurl easy handle and no transaction open, and
 * records each outcome before the next send.  A full batch asks for another
 * tick at once; otherwise the worker waits POLL_MS.  Times written on rows
 * come from the configured kite_clock; the wait and the stop grace use the
 * monotonic clock.
 *
 * The bytes sent are mail_format()'s, handed to libcurl through a read
 * callback, not built with curl_mime: mail_format() must give the same
 * bytes for the same mail (the boundary and Message-ID derive from the
 * outbox id, so a resend is recognisably the same mail) and is tested as a
 * pure function, while curl_mime draws a random boundary on every send and
 * its output exists only inside a transfer.  The headers Kite needs (an
 * RFC 2047 From name and Subject, Date, Message-ID, Auto-Submitted) would
 * still be written by hand, so curl_mime would save nothing.
 *
 * Stopping: mailer_stop() notes the time and stops the worker.  The tick
 * sees it between mails and releases the rest of its claim untried; the
 * mail on the wire may finish within STOP_GRACE_MS, after which libcurl's
 * progress callback aborts it and it stays pending.
 *
 * SECURITY: addresses, subjects and bodies were validated when queued and
 * are re-validated by mail_format() before sending.  The SMTP URL may carry
 * credentials: it is never logged or stored; errors recorded in last_error
 * are libcurl's messages (host, port, SMTP codes), not the URL.
 */
#include "mail/mailer.h"

#include "core/alloc.h"
#include "core/log.h"
#include "core/worker.h"
#include "mail/mail_format.h"
#include "mail/outbox.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum {
    POLL_MS = 1000, /* between looks for due mail */
    CONNECT_TIMEOUT_MS = 10 * 1000,
    SEND_TIMEOUT_MS = 60 * 1000,
    STOP_GRACE_MS = 3 * 1000, /* after mailer_stop, how long a send may still take */
    LAST_ERROR_MAX = 300,
};

struct mailer {
    db *store;
    const kite_clock *clock;
    char *smtp_url;      /* may hold credentials: never logged */
    char *from;          /* the From mailbox */
    char *envelope_from; /* "<addr>" for MAIL FROM */
    bool started;        /* the outbox was made due (first tick) */
    _Atomic int64_t stop_at; /* monotonic ms of mailer_stop; 0 while running */
    worker *thread;
};

static bool mailer_stopping(mailer *m)
{
    return atomic_load(&m->stop_at) != 0;
}

struct upload {
    const char *data;
    size_t len, pos;
};

static size_t upload_read(char *buf, size_t size, size_t nitems, void *userp)
{
    struct upload *u = userp;
    size_t room = size * nitems;
    size_t n = u->len - u->pos < room ? u->len - u->pos : room;
    memcpy(buf, u->data + u->pos, n);
    u->pos += n;
    return n;
}

/* Lets a send run on after mailer_stop for STOP_GRACE_MS, then aborts it. */
static int send_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    int64_t stop_at = atomic_load(&((mailer *)userp)->stop_at);
    return stop_at != 0 && clock_mono_ms() - stop_at > STOP_GRACE_MS;
}

/* The error as it is kept: one line of printable ASCII, at most LAST_ERROR_MAX bytes. */
static const char *clean_error(arena *a, const char *text)
{
    char *out = arena_strndup(a, text, LAST_ERROR_MAX);
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7F)
            *p = ' ';
    size_t len = strlen(out);
    while (len > 0 && out[len - 1] == ' ')
        out[--len] = '\0';
    return out;
}

/* Sends one mail; NULL on success, else why not (arena), *permanent when retrying cannot help. */
static const char *send_one(mailer *m, arena *a, const outbox_due *d, bool *permanent)
{
    mail_message msg = {m->from, d->to, d->subject, d->text, d->html, d->id, d->created_at, d->lang};
    struct upload up = {0};
    *permanent = false;
    if (mail_format(a, &msg, &up.data, &up.len) != KITE_OK) {
        *permanent = true; /* only a row changed behind the outbox's back can get here */
        return "the mail cannot be formatted (invalid address or subject)";
    }
    CURL *curl = curl_easy_init();
    if (curl == NULL)
        return "libcurl could not start";
    char errbuf[CURL_ERROR_SIZE] = "";
    const char *rcpt_addr = arena_sprintf(a, "<%s>", d->to);
    struct curl_slist *rcpt = curl_slist_append(NULL, rcpt_addr);
    curl_easy_setopt(curl, CURLOPT_URL, m->smtp_url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#endif
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, m->envelope_from);
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, upload_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &up);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up.len);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)SEND_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, send_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, m);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = curl_easy_perform(curl);
    long smtp_code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &smtp_code);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(curl);
    if (rc == CURLE_OK)
        return NULL;
    const char *why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
    if (rc == CURLE_ABORTED_BY_CALLBACK)
        why = "stopped while sending (the server did not answer in time)";
    return clean_error(a, smtp_code > 0 ? arena_sprintf(a, "%s (last SMTP reply %ld)", why, smtp_code) : why);
}

static void record(mailer *m, const outbox_outcome *o)
{
    kite_err err = outbox_record(m->store, o);
    if (err != KITE_OK)
        log_error("mail: cannot record the outcome for outbox %" PRId64 " (%s)%s", o->id, kite_err_code(err),
                  o->sent ? "; it may be sent again after the claim expires" : "");
}

static void log_outcome(const outbox_due *d, const outbox_outcome *o)
{
    if (o->sent)
        log_info("mail: sent outbox %" PRId64 " (%s), attempt %" PRId64, d->id, d->kind, o->attempts);
    else if (o->permanent || o->attempts >= OUTBOX_MAX_ATTEMPTS)
        log_error("mail: outbox %" PRId64 " (%s) failed for good after %" PRId64 " attempt(s): %s", d->id, d->kind,
                  o->attempts, o->error);
    else
        log_warn("mail: outbox %" PRId64 " (%s) attempt %" PRId64 " failed: %s; next try in %" PRId64 " s", d->id,
                 d->kind, o->attempts, o->error, outbox_backoff_ms(o->attempts) / 1000);
}

/* Claims and sends one batch; returns how many mails were claimed. */
static size_t deliver_batch(mailer *m)
{
    arena *a = arena_new();
    outbox_due due[OUTBOX_BATCH];
    size_t count = 0;
    kite_err err = outbox_claim_due(m->store, a, clock_now_ms(m->clock), due, &count);
    if (err != KITE_OK) {
        log_error("mail: cannot claim due mail (%s)", kite_err_code(err));
        arena_free(a);
        return 0;
    }
    for (size_t i = 0; i < count; i++) {
        const outbox_due *d = &due[i];
        outbox_outcome o = {.id = d->id, .attempts = d->attempts + 1};
        if (mailer_stopping(m)) {
            o.release = true; /* not tried: due again at the next start */
            o.now = clock_now_ms(m->clock);
            record(m, &o);
            continue;
        }
        o.error = send_one(m, a, d, &o.permanent);
        o.sent = o.error == NULL;
        o.now = clock_now_ms(m->clock);
        record(m, &o);
        log_outcome(d, &o);
    }
    arena_free(a);
    return count;
}

static worker_next mailer_tick(void *arg)
{
    mailer *m = arg;
    if (!m->started) {
        m->started = true;
        kite_err err = outbox_make_due(m->store, clock_now_ms(m->clock));
        if (err != KITE_OK)
            log_error("mail: cannot reschedule pending mail (%s)", kite_err_code(err));
    }
    return deliver_batch(m) < OUTBOX_BATCH ? WORKER_WAIT : WORKER_AGAIN;
}

/* "smtp://host:port" without any user:password@, for the log (libcurl parses it as it will use it). */
static const char *url_for_log(arena *a, const char *url)
{
    const char *shown = "(an SMTP URL that libcurl cannot parse)";
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
            shown = arena_sprintf(a, "%s://%s:%s", scheme, host, port);
        else
            shown = arena_sprintf(a, "%s://%s", scheme, host);
    }
    curl_free(port);
    curl_free(host);
    curl_free(scheme);
    curl_url_cleanup(u);
    return shown;
}

static void mailer_free(mailer *m)
{
    free(m->envelope_from);
    free(m->from);
    free(m->smtp_url);
    free(m);
    curl_global_cleanup();
}

mailer *mailer_start(const mail_config *config)
{
    if (config->smtp_url == NULL)
        return NULL;
    arena *a = arena_new();
    const char *from = config->from != NULL ? config->from : MAILER_DEFAULT_FROM;
    const char *name, *addr, *domain;
    if (mail_mailbox_parse(a, from, &name, &addr, &domain) != KITE_OK) {
        log_error("mail: the sender \"%s\" is not a valid mailbox; mail stays in the store", from);
        arena_free(a);
        return NULL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("mail: libcurl cannot start; mail stays in the store");
        arena_free(a);
        return NULL;
    }
    mailer *m = xcalloc(1, sizeof *m);
    m->store = config->store;
    m->clock = config->clock;
    m->smtp_url = xstrdup(config->smtp_url);
    m->from = xstrdup(from);
    m->envelope_from = xstrdup(arena_sprintf(a, "<%s>", addr));
    atomic_init(&m->stop_at, 0);
    if (worker_start("kite-mailer", POLL_MS, mailer_tick, m, &m->thread) != KITE_OK) {
        log_error("mail: cannot start the mailer; mail stays in the store");
        mailer_free(m);
        arena_free(a);
        return NULL;
    }
    log_info("mail: delivering through %s as %s", url_for_log(a, config->smtp_url), addr);
    arena_free(a);
    return m;
}

mailer *mailer_stop(mailer *m)
{
    if (m == NULL)
        return NULL;
    int64_t now = clock_mono_ms();
    atomic_store(&m->stop_at, now > 0 ? now : 1);
    m->thread = worker_stop(m->thread);
    mailer_free(m);
    return NULL;
}
