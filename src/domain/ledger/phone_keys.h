/*
 * phone_keys.h - the API keys a facility's phone system signs its call
 * records with.
 *
 * Design: a key is "kite_" and 64 hex digits (32 random bytes from
 * libsodium), shown once, when it is made.  Kite keeps only its hash
 * (crypto_generichash, 32 bytes, as hex) and its first PHONE_KEY_PREFIX_LEN
 * characters, the prefix, which the staff console shows so that people can
 * tell keys apart and which finds the key's row.  A key belongs to one
 * facility and authenticates one thing only: POST
 * /api/v1/facilities/{id}/calls of that facility.  Keys live with the phone
 * accounts (domain/ledger/) because nothing else takes them; the phone
 * system is a machine, not a person, so it has no Kite account and no
 * session.
 *
 * A revoked key stays listed (with revoked_at) so the record of what signed
 * old calls stays readable; it never authenticates again.  last_used_at is
 * written in the same transaction as the call it signed (phone_key_touch),
 * which also refuses a key revoked since it was checked.
 *
 * SECURITY: the key is a bearer secret.  Only its hash is stored, so a copy
 * of the store does not let anyone post calls; the hash is compared with
 * sodium_memcmp (constant time) against every row with the same prefix, so
 * how long the comparison takes says nothing about how much of a guess was
 * right.  A malformed, unknown or revoked key is KITE_ERR_UNAUTHENTICATED,
 * the same answer for each, so a caller learns nothing about which keys
 * exist.  Creating and revoking keys is audited.
 */
#ifndef KITE_DOMAIN_LEDGER_PHONE_KEYS_H
#define KITE_DOMAIN_LEDGER_PHONE_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "db/db.h"
#include "domain/context.h"

enum {
    PHONE_KEY_RANDOM_BYTES = 32,
    PHONE_KEY_LEN = 5 + 2 * PHONE_KEY_RANDOM_BYTES, /* "kite_" and the hex digits */
    PHONE_KEY_PREFIX_LEN = 13,                     /* "kite_" and 8 hex digits */
    PHONE_KEYS_MAX = 100,                          /* keys listed for one facility */
};

typedef struct phone_key {
    int64_t id;
    int64_t facility_id;
    char prefix[PHONE_KEY_PREFIX_LEN + 1];
    int64_t created_at;
    int64_t last_used_at; /* 0: never used */
    int64_t revoked_at;   /* 0: active */
} phone_key;

/*
 * Makes a key for facility_id: *secret (PHONE_KEY_LEN + 1 bytes) is the key,
 * to be shown once and never again.  KITE_ERR_NOT_FOUND when there is no
 * such facility.
 */
kite_err phone_key_create(const kite_ctx *ctx, int64_t facility_id, const char *actor, char secret[PHONE_KEY_LEN + 1],
                          phone_key *out) KITE_WUR;

/* The facility's keys, newest first, at most PHONE_KEYS_MAX; items live in a. */
kite_err phone_key_list(const kite_ctx *ctx, arena *a, int64_t facility_id, phone_key **items, size_t *count) KITE_WUR;

/*
 * Revokes key_id of facility_id (KITE_ERR_NOT_FOUND when the facility has
 * no such key); revoking a revoked key changes nothing and succeeds.
 */
kite_err phone_key_revoke(const kite_ctx *ctx, int64_t facility_id, int64_t key_id, const char *actor,
                          phone_key *out) KITE_WUR;

/* The active key that secret is; KITE_ERR_UNAUTHENTICATED for anything else (see above). */
kite_err phone_key_authenticate(const kite_ctx *ctx, const char *secret, phone_key *out) KITE_WUR;

/*
 * Inside the caller's transaction: records that key_id was used now;
 * KITE_ERR_UNAUTHENTICATED when it was revoked meanwhile.
 */
kite_err phone_key_touch(db_conn *conn, int64_t key_id, int64_t now) KITE_WUR;

#endif
