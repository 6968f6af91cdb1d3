/*
 * answer_cache.h - finished search answers, kept per directory version.
 *
 * The directory changes a few times a year and is searched all day, mostly
 * with the same few hundred queries (a facility's name, a county, a city).
 * A search answer is a pure function of the directory version and the
 * query, so the finished bytes (the JSON the API wrote) can be kept and
 * sent again while the version holds.  Each answer is stored with the
 * version it was made from; a lookup names the store's current version, so
 * an answer from an older directory is never served, whichever process
 * changed the directory.
 *
 * Bounded: ANSWER_SLOTS slots, each holding one answer of at most
 * ANSWER_MAX_BYTES; a new answer replaces whatever its slot held.  Keys are
 * hashed with a secret per process (SipHash), so a client cannot aim
 * queries at one slot.  Thread-safe (one mutex, held for a copy).
 */
#ifndef KITE_DOMAIN_DIRECTORY_ANSWER_CACHE_H
#define KITE_DOMAIN_DIRECTORY_ANSWER_CACHE_H

#include "core/arena.h"

#include <stdbool.h>
#include <stddef.h>

enum {
    ANSWER_SLOTS = 512,
    ANSWER_MAX_BYTES = 32 * 1024, /* a page of 100 facilities with a "did you mean" fits */
    ANSWER_VERSION_MAX = 32,      /* as long as a directory version */
};

typedef struct answer_cache answer_cache;

answer_cache *answer_cache_new(void);
/* Always returns NULL. */
answer_cache *answer_cache_free(answer_cache *cache);

/*
 * The answer kept for key at version, copied into a (*body, *len); false
 * when there is none, or only one made from another version.
 */
bool answer_cache_get(answer_cache *cache, arena *a, const char *version, const char *key, const char **body,
                      size_t *len);

/* Keeps body (len bytes) as the answer for key at version; too long an answer is not kept. */
void answer_cache_put(answer_cache *cache, const char *version, const char *key, const char *body, size_t len);

#endif
