#include "core/arena.h"

#include "core/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

enum { ARENA_CHUNK = 8192, ARENA_ALIGN = 16 };

struct chunk {
    struct chunk *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
};

struct arena {
    struct chunk *head;
};

arena *arena_new(void)
{
    return xcalloc(1, sizeof(arena));
}

arena *arena_free(arena *a)
{
    if (a == NULL)
        return NULL;
    struct chunk *c = a->head;
    while (c != NULL) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a);
    return NULL;
}

void *arena_alloc(arena *a, size_t size)
{
    size_t need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need == 0)
        need = ARENA_ALIGN;
    struct chunk *c = a->head;
    if (c == NULL || c->size - c->used < need) {
        size_t chunk_size = need > ARENA_CHUNK ? need : ARENA_CHUNK;
        c = xmalloc(sizeof(struct chunk) + chunk_size);
        c->size = chunk_size;
        c->used = 0;
        /* A large one-off block goes behind the head so the head keeps its free space. */
        if (a->head != NULL && need > ARENA_CHUNK) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    void *p = c->data + c->used;
    c->used += need;
    return p;
}

void *arena_zalloc(arena *a, size_t size)
{
    void *p = arena_alloc(a, size);
    memset(p, 0, size);
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *copy = arena_alloc(a, len + 1);
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

char *arena_strdup(arena *a, const char *s)
{
    return s == NULL ? NULL : arena_strndup(a, s, SIZE_MAX);
}

char *arena_vsprintf(arena *a, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int len = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (len < 0)
        len = 0;
    char *out = arena_alloc(a, (size_t)len + 1);
    vsnprintf(out, (size_t)len + 1, fmt, ap);
    return out;
}

char *arena_sprintf(arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = arena_vsprintf(a, fmt, ap);
    va_end(ap);
    return out;
}

void *arena_grow(arena *a, void *items, size_t count, size_t *cap, size_t size)
{
    if (count < *cap)
        return items;
    size_t bigger_cap = *cap > 0 ? *cap * 2 : 16;
    void *bigger = arena_alloc(a, bigger_cap * size);
    if (count > 0)
        memcpy(bigger, items, count * size);
    *cap = bigger_cap;
    return bigger;
}
