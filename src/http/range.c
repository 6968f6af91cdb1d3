/*
 * range.c - a stored file's answer with one byte range (RFC 9110 section 14):
 * what a browser's <video> asks for to start playing, to seek, and to resume
 * (Safari plays nothing without it).
 *
 * Design: one range or the whole file.  A request for several ranges gets the
 * whole file, as RFC 9110 allows, so there is no multipart/byteranges
 * answer to build; If-Range is honoured only with the file's strong entity
 * tag (a date never matches: the files are immutable and carry their
 * SHA-256 as the tag).  The parts come from the bytes already in memory.
 *
 * SECURITY: the Range header is outside input.  Numbers are digits only,
 * clamped at SIZE_MAX rather than wrapped, and the part is checked against
 * the file's length before any pointer is formed; anything malformed is
 * ignored (the whole file), never an error, and never more than len bytes.
 */
#include "http/server.h"

#include "core/arena.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef enum { RANGE_WHOLE, RANGE_PART, RANGE_BEYOND } range_answer;

/* Digits only, no sign or space (strtoull would take both), within size_t. */
static bool range_number(const char *from, const char *to, size_t *out)
{
    if (from == to)
        return false;
    size_t n = 0;
    for (const char *p = from; p < to; p++) {
        if (*p < '0' || *p > '9')
            return false;
        size_t digit = (size_t)(*p - '0');
        if (n > (SIZE_MAX - digit) / 10)
            n = SIZE_MAX; /* past any file: clamped below, or beyond it */
        else
            n = n * 10 + digit;
    }
    *out = n;
    return true;
}

/*
 * What the Range header asks of a file of len bytes: the whole (absent,
 * malformed, several ranges: RFC 9110 lets a server ignore them), one part
 * [*first, *last], or nothing there (416).
 */
static range_answer byte_range(const char *range, size_t len, size_t *first, size_t *last)
{
    if (range == NULL || strncmp(range, "bytes=", 6) != 0 || strchr(range, ',') != NULL)
        return RANGE_WHOLE;
    const char *spec = range + 6, *end = spec + strlen(spec);
    while (end > spec && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    const char *dash = memchr(spec, '-', (size_t)(end - spec));
    if (dash == NULL)
        return RANGE_WHOLE;
    size_t a, b;
    if (dash == spec) { /* bytes=-SUFFIX: the last SUFFIX bytes */
        if (!range_number(dash + 1, end, &b))
            return RANGE_WHOLE;
        if (b == 0 || len == 0)
            return RANGE_BEYOND;
        *first = b >= len ? 0 : len - b;
        *last = len - 1;
        return RANGE_PART;
    }
    if (!range_number(spec, dash, &a))
        return RANGE_WHOLE;
    if (dash + 1 == end)
        b = SIZE_MAX;
    else if (!range_number(dash + 1, end, &b) || b < a)
        return RANGE_WHOLE;
    if (a >= len)
        return RANGE_BEYOND;
    *first = a;
    *last = b >= len ? len - 1 : b;
    return RANGE_PART;
}

void http_reply_file(http_request *req, const char *content_type, const void *data, size_t len, const char *etag)
{
    size_t first = 0, last = 0;
    const char *if_range = http_header(req, "If-Range");
    /* If-Range: the part only of the same file (a strong tag); a date or another tag gets the whole. */
    range_answer asked = if_range != NULL && (etag == NULL || strcmp(if_range, etag) != 0)
                             ? RANGE_WHOLE
                             : byte_range(http_header(req, "Range"), len, &first, &last);
    http_reply_header(req, "Accept-Ranges", "bytes");
    if (etag != NULL)
        http_reply_header(req, "ETag", etag);
    if (asked == RANGE_BEYOND) {
        http_reply_header(req, "Content-Range", arena_sprintf(http_arena(req), "bytes */%zu", len));
        http_reply_error(req, KITE_ERR_RANGE_NOT_SATISFIABLE, NULL, NULL);
    } else if (asked == RANGE_PART) {
        http_reply_header(req, "Content-Range", arena_sprintf(http_arena(req), "bytes %zu-%zu/%zu", first, last, len));
        http_reply_bytes(req, 206, content_type, (const char *)data + first, last - first + 1);
    } else {
        http_reply_bytes(req, 200, content_type, data, len);
    }
}
