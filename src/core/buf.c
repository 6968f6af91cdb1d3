#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void buf_init(buf *b, arena *a)
{
    b->a = a;
    b->cap = 256;
    b->len = 0;
    b->data = arena_alloc(a, b->cap);
    b->data[0] = '\0';
}

static void buf_reserve(buf *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *bigger = arena_alloc(b->a, cap);
    memcpy(bigger, b->data, b->len + 1);
    b->data = bigger;
    b->cap = cap;
}

void buf_append(buf *b, const char *data, size_t len)
{
    buf_reserve(b, len);
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void buf_puts(buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_printf(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = arena_vsprintf(b->a, fmt, ap);
    va_end(ap);
    buf_puts(b, text);
}
