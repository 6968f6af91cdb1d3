/*
 * json_out.c - what several answers write: times, accounts, and the
 * streaming JSON writer (app.h) for pages of records.
 */
#include "api/app.h"

#include "core/clock.h"

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
    json_object_set_new(out, "email_verified", json_boolean(acct->email != NULL && acct->email_verified_at > 0));
    json_object_set_new(out, "lang", json_string(lang_tag(acct->lang)));
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

/* Room for n more bytes at the end of out; commit() then counts what was written there. */
static char *room(buf *out, size_t n)
{
    buf_reserve(out, n);
    return out->data + out->len;
}

static void commit(buf *out, const char *end)
{
    out->len = (size_t)(end - out->data);
    out->data[out->len] = '\0';
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/*
 * The length of the leading run of s (n bytes) that JSON takes as it is: no
 * control character, quote or backslash.  Eight bytes at a time (a byte
 * below 0x20, or equal to one of the two, sets its high bit in the test),
 * since message bodies are most of what a page's answer holds.
 */
static size_t plain_run(const char *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, s + i, 8);
        uint64_t quote = v ^ (ONES * '"'), backslash = v ^ (ONES * '\\');
        uint64_t hits = ((v - ONES * 0x20) & ~v) | ((quote - ONES) & ~quote) | ((backslash - ONES) & ~backslash);
        if (hits & HIGHS)
            break;
    }
    while (i < n && (unsigned char)s[i] >= 0x20 && s[i] != '"' && s[i] != '\\')
        i++;
    return i;
}

/* The string with JSON's escapes, copying the runs that need none at once. */
static void write_quoted(buf *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = strlen(s);
    char *p = room(out, n + 2);
    *p++ = '"';
    for (;;) {
        size_t run = plain_run(s, n);
        memcpy(p, s, run);
        p += run;
        s += run;
        n -= run;
        if (n == 0)
            break;
        commit(out, p);
        p = room(out, n + 6 + 1); /* this escape, the rest as it is, the closing quote */
        unsigned char c = (unsigned char)*s++;
        n--;
        *p++ = '\\';
        switch (c) {
        case '"': case '\\': *p++ = (char)c; break;
        case '\b': *p++ = 'b'; break;
        case '\f': *p++ = 'f'; break;
        case '\n': *p++ = 'n'; break;
        case '\r': *p++ = 'r'; break;
        case '\t': *p++ = 't'; break;
        default:
            memcpy(p, "u00", 3);
            p[3] = hex[c >> 4];
            p[4] = hex[c & 15];
            p += 5;
        }
    }
    *p++ = '"';
    commit(out, p);
}

/* Keys are the program's own words: nothing in them to escape. */
void jw_key(json_writer *w, const char *key)
{
    size_t n = strlen(key);
    char *p = room(w->out, n + 4);
    if (w->comma)
        *p++ = ',';
    *p++ = '"';
    memcpy(p, key, n);
    p += n;
    *p++ = '"';
    *p++ = ':';
    commit(w->out, p);
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
    char text[24], *end = text + sizeof text, *p = end;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *--p = '-';
    value_start(w);
    buf_append(w->out, p, (size_t)(end - p));
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

/* One CSV text field: always quoted, quotes doubled, a leading formula character defused. */
void csv_text(buf *out, const char *text)
{
    buf_puts(out, "\"");
    if (strchr("=+-@\t\r", text[0]) != NULL && text[0] != '\0')
        buf_puts(out, "'");
    for (const char *p = text; *p != '\0'; p++)
        buf_append(out, p, 1 + (*p == '"'));
    buf_puts(out, "\"");
}
