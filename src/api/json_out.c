/*
 * json_out.c - what several answers write: times, accounts, and the
 * streaming JSON writer (app.h) for pages of records.
 */
#include "api/app.h"

#include "core/clock.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

json_t *json_time(int64_t epoch_ms)
{
    char text[RFC3339_LEN];
    clock_format_rfc3339(epoch_ms, text);
    return json_string(text);
}

json_t *json_string_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

json_t *account_to_json(const account *acct)
{
    json_t *out = json_pack("{s:I, s:s, s:o, s:s, s:o, s:s, s:o}",
                            "id", (json_int_t)acct->id,
                            "role", role_name(acct->role),
                            "email", json_string_or_null(acct->email),
                            "full_name", acct->full_name,
                            "phone", json_string_or_null(acct->phone),
                            "status", account_status_name(acct->status),
                            "created_at", json_time(acct->created_at));
    json_object_set_new(out, "facility_id", acct->facility_id > 0 ? json_integer(acct->facility_id) : json_null());
    return out;
}

void jw_init(json_writer *w, buf *out)
{
    w->out = out;
    w->comma = false;
}

static void value_start(json_writer *w)
{
    if (w->comma)
        buf_append(w->out, ",", 1);
    w->comma = true;
}

void jw_object(json_writer *w)
{
    value_start(w);
    buf_append(w->out, "{", 1);
    w->comma = false;
}

void jw_object_end(json_writer *w)
{
    buf_append(w->out, "}", 1);
    w->comma = true;
}

void jw_array(json_writer *w)
{
    value_start(w);
    buf_append(w->out, "[", 1);
    w->comma = false;
}

void jw_array_end(json_writer *w)
{
    buf_append(w->out, "]", 1);
    w->comma = true;
}

/* The string with JSON's escapes, copying the runs that need none at once. */
static void write_quoted(buf *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    buf_append(out, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        buf_append(out, run, (size_t)(s - run));
        run = s + 1;
        char esc[6] = {'\\', (char)c, 0, 0, 0, 0};
        size_t len = 2;
        switch (c) {
        case '"': case '\\': break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            len = 6;
        }
        buf_append(out, esc, len);
    }
    buf_append(out, run, (size_t)(s - run));
    buf_append(out, "\"", 1);
}

void jw_key(json_writer *w, const char *key)
{
    value_start(w);
    write_quoted(w->out, key);
    buf_append(w->out, ":", 1);
    w->comma = false;
}

void jw_string(json_writer *w, const char *s)
{
    if (s == NULL) {
        jw_null(w);
        return;
    }
    value_start(w);
    write_quoted(w->out, s);
}

void jw_int(json_writer *w, int64_t v)
{
    char text[24];
    int len = snprintf(text, sizeof text, "%" PRId64, v);
    value_start(w);
    buf_append(w->out, text, (size_t)len);
}

void jw_bool(json_writer *w, bool v)
{
    value_start(w);
    buf_puts(w->out, v ? "true" : "false");
}

void jw_null(json_writer *w)
{
    value_start(w);
    buf_append(w->out, "null", 4);
}

void jw_time(json_writer *w, int64_t epoch_ms)
{
    char text[RFC3339_LEN];
    clock_format_rfc3339(epoch_ms, text);
    jw_string(w, text);
}

void jw_time_or_null(json_writer *w, int64_t epoch_ms)
{
    if (epoch_ms > 0)
        jw_time(w, epoch_ms);
    else
        jw_null(w);
}

void jw_raw(json_writer *w, const char *json)
{
    value_start(w);
    buf_puts(w->out, json);
}
