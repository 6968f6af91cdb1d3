/*
 * buf.h - Kite's one growing byte buffer, for building texts and bodies in
 * linear time: exports, request bodies, the bytes an event stream has yet to
 * send.
 *
 * Two homes.  In an arena (buf_init(b, a)) the old blocks stay in the arena
 * until it is freed, which suits anything that dies with a request.  On the
 * heap (buf_init(b, NULL)) the buffer is reallocated in place and released
 * with buf_free, which suits a buffer that lives long and is emptied and
 * refilled (buf_reset), where an arena would only grow.
 */
#ifndef KITE_CORE_BUF_H
#define KITE_CORE_BUF_H

#include <stddef.h>

#include "core/arena.h"

typedef struct buf {
    arena *a;   /* NULL: on the heap */
    char *data; /* NUL-terminated */
    size_t len, cap;
} buf;

void buf_init(buf *b, arena *a);
/* Room for `more` bytes past len, allocated at once (a known Content-Length is not copied over and over). */
void buf_reserve(buf *b, size_t more);
void buf_append(buf *b, const char *data, size_t len);
void buf_puts(buf *b, const char *s);
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Empties the buffer and keeps its room. */
void buf_reset(buf *b);
/* Releases a heap buffer (an arena one goes with its arena); accepts a zeroed buf. */
void buf_free(buf *b);

#endif
