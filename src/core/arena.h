/*
 * arena.h - a memory pool that is freed in one go.
 *
 * Ownership rule: everything a request handler allocates comes from the
 * request's arena and dies with it; nothing allocated here may be kept past
 * arena_free().  Allocation never fails (see alloc.h).
 */
#ifndef KITE_CORE_ARENA_H
#define KITE_CORE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct arena arena;

arena *arena_new(void);
/* Frees every allocation of the arena; accepts NULL; returns NULL. */
arena *arena_free(arena *a);

void *arena_alloc(arena *a, size_t size);
void *arena_zalloc(arena *a, size_t size);
char *arena_strdup(arena *a, const char *s);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_sprintf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Room for one more element in an arena array of `count` elements of `size`
 * bytes with capacity *cap: returns items, or a copy twice as large (and
 * updates *cap) when it is full.  The old block stays in the arena.
 */
void *arena_grow(arena *a, void *items, size_t count, size_t *cap, size_t size);
char *arena_vsprintf(arena *a, const char *fmt, va_list ap) __attribute__((nonnull(1, 2)));

#endif
