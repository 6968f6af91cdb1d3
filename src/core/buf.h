/*
 * buf.h - a byte buffer that grows in an arena, for building large texts
 * (exports) in linear time.
 */
#ifndef KITE_CORE_BUF_H
#define KITE_CORE_BUF_H

#include <stddef.h>

#include "core/arena.h"

typedef struct buf {
    arena *a;
    char *data; /* NUL-terminated */
    size_t len, cap;
} buf;

void buf_init(buf *b, arena *a);
void buf_append(buf *b, const char *data, size_t len);
void buf_puts(buf *b, const char *s);
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
