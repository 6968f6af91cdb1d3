/*
 * log.c - one line per event on standard error, as text or as JSON.
 *
 * SECURITY: lines often carry what a client sent (a path, a header an error
 * names).  Callers escape what they print (the access log: http/server.c),
 * and this file makes sure of the one thing a log reader relies on: a line
 * is one event.  Any control character left in the text (a newline or a
 * carriage return that would start a forged line, an escape sequence for
 * the terminal) is shown as \xHH; in JSON, bytes that are not UTF-8 are
 * too, so every line is a valid JSON object (jansson writes it).
 *
 * The format is set once, before threads start (log_use_json), and only
 * read afterwards: an atomic keeps that read well defined anyway.
 */
#include "core/log.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static atomic_bool as_json;

void log_use_json(bool json)
{
    atomic_store(&as_json, json);
}

/* Control characters (and, with high_too, every byte past ASCII) as \xHH. */
static void escape(const char *text, bool high_too, char *out, size_t len)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0' && o + 5 < len; p++) {
        if (*p < 0x20 || *p == 0x7f || (high_too && *p >= 0x80))
            o += (size_t)snprintf(out + o, len - o, "\\x%02x", *p);
        else
            out[o++] = (char)*p;
    }
    out[o] = '\0';
}

static void stamp_now(char *out, size_t len)
{
    struct timespec ts;
    struct tm tm;
    char seconds[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(seconds, sizeof seconds, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, len, "%s.%03ldZ", seconds, ts.tv_nsec / 1000000);
}

/* A string for JSON: as it is when it is UTF-8, else with its high bytes escaped. */
static json_t *json_text(const char *text)
{
    json_t *s = json_string(text);
    if (s != NULL)
        return s;
    char ascii[2048 * 4];
    escape(text, true, ascii, sizeof ascii);
    return json_string(ascii);
}

/* Takes line (an object with "msg" or request fields); writes it with time and level first. */
static void emit_json(const char *level, json_t *line)
{
    char stamp[48];
    stamp_now(stamp, sizeof stamp);
    json_t *whole = json_pack("{s:s, s:s}", "time", stamp, "level", level);
    json_object_update(whole, line);
    json_decref(line);
    char *text = json_dumps(whole, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(whole);
    if (text != NULL) {
        /* One fprintf per line keeps lines from different threads whole. */
        fprintf(stderr, "%s\n", text);
        free(text);
    }
}

static void log_line(const char *level, const char *fmt, va_list ap)
{
    char text[2048];
    char shown[sizeof text * 4];
    vsnprintf(text, sizeof text, fmt, ap);
    escape(text, false, shown, sizeof shown);
    if (atomic_load(&as_json)) {
        emit_json(level, json_pack("{s:o}", "msg", json_text(shown)));
        return;
    }
    char stamp[48];
    stamp_now(stamp, sizeof stamp);
    fprintf(stderr, "%s %s %s\n", stamp, level, shown);
}

void log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line("info", fmt, ap);
    va_end(ap);
}

void log_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line("warn", fmt, ap);
    va_end(ap);
}

void log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line("error", fmt, ap);
    va_end(ap);
}

void log_request(const char *method, const char *path, int status, int64_t took_ms, const char *client,
                 const char *note)
{
    if (!atomic_load(&as_json)) {
        if (note != NULL)
            log_info("%s %s %d %" PRId64 "ms %s (%s)", method, path, status, took_ms, client, note);
        else
            log_info("%s %s %d %" PRId64 "ms %s", method, path, status, took_ms, client);
        return;
    }
    char m[64], p[2048 * 4];
    escape(method, true, m, sizeof m);
    escape(path, true, p, sizeof p);
    json_t *line = json_pack("{s:s, s:s, s:s, s:i, s:I, s:s}", "msg", "request", "method", m, "path", p,
                             "status", status, "ms", (json_int_t)took_ms, "client", client);
    if (note != NULL)
        json_object_set_new(line, "note", json_text(note));
    emit_json("info", line);
}
