/*
 * answer_cache.c - finished search answers, kept per directory version
 * (answer_cache.h says why and how).
 *
 * A slot owns its key and body (malloc'd, replaced in place); the mutex is
 * held only to compare a key and copy bytes, never across a store read.
 *
 * SECURITY: keys are built from client query text.  They pick a slot
 * through SipHash under a key drawn at start (libsodium's
 * crypto_shorthash), so nobody can choose queries that collide; a
 * collision only costs a miss, since the whole key and version are
 * compared before an answer is served.
 */
#include "domain/directory/answer_cache.h"

#include "core/alloc.h"

#include <pthread.h>
#include <stdint.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* A key may sit in any of the WAYS slots of its set; the least recently used one makes room. */
enum { WAYS = 4, SETS = ANSWER_SLOTS / WAYS };
_Static_assert(ANSWER_SLOTS % WAYS == 0, "whole sets");

struct slot {
    char version[ANSWER_VERSION_MAX];
    char *key; /* NULL: empty */
    char *body;
    size_t len;
    uint64_t used; /* the cache's tick when last read or written */
};

struct answer_cache {
    pthread_mutex_t lock;
    unsigned char hash_key[crypto_shorthash_KEYBYTES];
    uint64_t tick;
    struct slot slots[ANSWER_SLOTS];
};

answer_cache *answer_cache_new(void)
{
    answer_cache *cache = xcalloc(1, sizeof *cache);
    pthread_mutex_init(&cache->lock, NULL);
    crypto_shorthash_keygen(cache->hash_key);
    return cache;
}

answer_cache *answer_cache_free(answer_cache *cache)
{
    if (cache != NULL) {
        for (size_t i = 0; i < ANSWER_SLOTS; i++) {
            free(cache->slots[i].key);
            free(cache->slots[i].body);
        }
        pthread_mutex_destroy(&cache->lock);
        free(cache);
    }
    return NULL;
}

/* The first slot of key's set. */
static struct slot *set_of(answer_cache *cache, const char *key)
{
    unsigned char hash[crypto_shorthash_BYTES];
    crypto_shorthash(hash, (const unsigned char *)key, strlen(key), cache->hash_key);
    size_t h = 0;
    memcpy(&h, hash, sizeof h < sizeof hash ? sizeof h : sizeof hash);
    return &cache->slots[(h % SETS) * WAYS];
}

/* Under the lock: the slot holding key in set, or NULL. */
static struct slot *find_in_set(struct slot *set, const char *key)
{
    for (size_t i = 0; i < WAYS; i++)
        if (set[i].key != NULL && strcmp(set[i].key, key) == 0)
            return &set[i];
    return NULL;
}

bool answer_cache_get(answer_cache *cache, arena *a, const char *version, const char *key, const char **body,
                      size_t *len)
{
    struct slot *set = set_of(cache, key);
    bool hit = false;
    pthread_mutex_lock(&cache->lock);
    struct slot *s = find_in_set(set, key);
    if (s != NULL && strcmp(s->version, version) == 0) {
        s->used = ++cache->tick;
        char *copy = arena_alloc(a, s->len + 1);
        memcpy(copy, s->body, s->len);
        copy[s->len] = '\0';
        *body = copy;
        *len = s->len;
        hit = true;
    }
    pthread_mutex_unlock(&cache->lock);
    return hit;
}

void answer_cache_put(answer_cache *cache, const char *version, const char *key, const char *body, size_t len)
{
    if (len > ANSWER_MAX_BYTES || strlen(version) >= ANSWER_VERSION_MAX)
        return;
    /* The copies are made outside the lock; the slot's old ones are freed outside it too. */
    char *key_copy = xstrdup(key), *body_copy = xmalloc(len > 0 ? len : 1);
    memcpy(body_copy, body, len);
    struct slot *set = set_of(cache, key);
    pthread_mutex_lock(&cache->lock);
    struct slot *s = find_in_set(set, key);
    if (s == NULL) { /* the least recently used slot; an empty one (used 0) first */
        s = &set[0];
        for (size_t i = 1; i < WAYS; i++)
            if (set[i].used < s->used)
                s = &set[i];
    }
    s->used = ++cache->tick;
    char *old_key = s->key, *old_body = s->body;
    strcpy(s->version, version);
    s->key = key_copy;
    s->body = body_copy;
    s->len = len;
    pthread_mutex_unlock(&cache->lock);
    free(old_key);
    free(old_body);
}
