/*
 * buf.c - the growing byte buffer (see buf.h).  Capacity doubles, or jumps
 * straight to what one append or reserve needs, so building n bytes costs
 * O(n) and a reserved size is allocated exactly once.
 */
#include "core/buf.h"

#include "core/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(buf *b, arena *a)
{
    b->a = a;
    b->cap = 256;
    b->len = 0;
    b->data = a != NULL ? arena_alloc(a, b->cap) : xmalloc(b->cap);
    b->data[0] = '\0';
}

void buf_reserve(buf *b, size_t more)
{
    size_t need = b->len + more + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap * 2 > need ? b->cap * 2 : need;
    if (b->a == NULL) {
        b->data = xrealloc(b->data, cap);
    } else {
        char *bigger = arena_alloc(b->a, cap);
        memcpy(bigger, b->data, b->len + 1);
        b->data = bigger;
    }
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
    /* Measured first, then written in place: no copy, and no arena needed for a heap buffer. */
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void buf_reset(buf *b)
{
    b->len = 0;
    b->data[0] = '\0';
}

void buf_free(buf *b)
{
    if (b->a == NULL)
        free(b->data);
    memset(b, 0, sizeof *b);
}
