/*
 * alloc.h - allocation that never returns NULL.
 *
 * Allocation failure aborts the process: input limits keep it out of reach of
 * clients, and a half-handled OOM is worse than a clean restart.
 */
#ifndef KITE_CORE_ALLOC_H
#define KITE_CORE_ALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
