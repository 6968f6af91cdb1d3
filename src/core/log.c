/*
 * log.c - one line per event on standard error.
 *
 * SECURITY: lines often carry what a client sent (a path, a header an error
 * names).  Callers escape what they print (the access log: http/server.c),
 * and this file makes sure of the one thing a log reader relies on: a line
 * is one event.  Any control character left in the text (a newline or a
 * carriage return that would start a forged line, an escape sequence for
 * the terminal) is shown as \xHH.
 */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static void log_line(const char *level, const char *fmt, va_list ap)
{
    struct timespec ts;
    struct tm tm;
    char stamp[32];
    char text[2048];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    vsnprintf(text, sizeof text, fmt, ap);
    char shown[sizeof text * 4];
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f)
            o += (size_t)snprintf(shown + o, sizeof shown - o, "\\x%02x", *p);
        else
            shown[o++] = (char)*p;
    }
    shown[o] = '\0';
    /* One fprintf per line keeps lines from different threads whole. */
    fprintf(stderr, "%s.%03ldZ %s %s\n", stamp, ts.tv_nsec / 1000000, level, shown);
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
