/*
 * phone_keys.c - a facility phone system's API keys: made, listed, revoked,
 * checked (see phone_keys.h).
 *
 * Design: one db_write or db_read per call.  The key is drawn and hashed
 * here so that no other file ever holds a key's bytes longer than the
 * request that shows or presents it.
 *
 * SECURITY: the key is a secret; it is stored only as its hash, found by
 * its non-secret prefix and compared in constant time (sodium_memcmp).
 * Every query is bound.  The random bytes are wiped once encoded.
 */
#include "domain/ledger/phone_keys.h"

#include "core/text.h"
#include "domain/audit/audit.h"
#include "domain/directory/directory.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

enum { HASH_BYTES = 32, HASH_HEX = 2 * HASH_BYTES + 1 };

static const char KEY_START[] = "kite_";

static void key_hash_hex(const char *secret, char out[HASH_HEX])
{
    unsigned char digest[HASH_BYTES];
    crypto_generichash(digest, sizeof digest, (const unsigned char *)secret, strlen(secret), NULL, 0);
    text_hex(digest, sizeof digest, out);
}

/* "kite_" and exactly 64 lower-case hex digits: anything else is no key. */
static bool key_shape_valid(const char *secret)
{
    if (secret == NULL || strlen(secret) != PHONE_KEY_LEN || strncmp(secret, KEY_START, 5) != 0)
        return false;
    for (const char *p = secret + 5; *p != '\0'; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

#define KEY_COLUMNS "id, facility_id, prefix, created_at, COALESCE(last_used_at, 0), COALESCE(revoked_at, 0)"

static void key_read(db_stmt *s, phone_key *out)
{
    memset(out, 0, sizeof *out);
    out->id = db_int(s, 0);
    out->facility_id = db_int(s, 1);
    const char *prefix = db_text(s, 2);
    snprintf(out->prefix, sizeof out->prefix, "%s", prefix != NULL ? prefix : "");
    out->created_at = db_int(s, 3);
    out->last_used_at = db_int(s, 4);
    out->revoked_at = db_int(s, 5);
}

static kite_err key_load(db_conn *conn, int64_t facility_id, int64_t id, phone_key *out)
{
    db_stmt *s = db_prepare(conn, "SELECT " KEY_COLUMNS " FROM facility_api_keys WHERE id = $1 AND facility_id = $2");
    db_bind_int(s, 1, id);
    db_bind_int(s, 2, facility_id);
    bool found = db_next(s);
    if (found)
        key_read(s, out);
    kite_err err = db_done(s);
    return err != KITE_OK ? err : found ? KITE_OK : KITE_ERR_NOT_FOUND;
}

/* ---- creating ------------------------------------------------------------- */

typedef struct create_args {
    int64_t now, facility_id;
    const char *actor;
    const char *secret;
    phone_key *out;
} create_args;

static kite_err create_tx(db_conn *conn, void *data)
{
    create_args *a = data;
    char type[32], hash[HASH_HEX], prefix[PHONE_KEY_PREFIX_LEN + 1];
    int64_t population;
    kite_err err = directory_facility_size(conn, a->facility_id, type, sizeof type, &population);
    if (err != KITE_OK)
        return err;
    key_hash_hex(a->secret, hash);
    memcpy(prefix, a->secret, PHONE_KEY_PREFIX_LEN);
    prefix[PHONE_KEY_PREFIX_LEN] = '\0';
    db_stmt *s = db_prepare(conn, "INSERT INTO facility_api_keys (facility_id, prefix, key_hash, created_by, created_at)"
                                  " VALUES ($1, $2, $3, $4, $5) RETURNING id");
    db_bind_int(s, 1, a->facility_id);
    db_bind_text(s, 2, prefix);
    db_bind_text(s, 3, hash);
    db_bind_text(s, 4, a->actor);
    db_bind_int(s, 5, a->now);
    int64_t id = db_next(s) ? db_int(s, 0) : 0;
    if ((err = db_done(s)) != KITE_OK)
        return err;
    char target[40], detail[64];
    snprintf(target, sizeof target, "facility_api_key:%" PRId64, id);
    snprintf(detail, sizeof detail, "facility_id=%" PRId64 " prefix=%s", a->facility_id, prefix);
    if ((err = audit_append(conn, a->now, a->actor, "phone.api_key_create", target, detail)) != KITE_OK)
        return err;
    return key_load(conn, a->facility_id, id, a->out);
}

kite_err phone_key_create(const kite_ctx *ctx, int64_t facility_id, const char *actor, char secret[PHONE_KEY_LEN + 1],
                          phone_key *out)
{
    unsigned char bytes[PHONE_KEY_RANDOM_BYTES];
    memset(out, 0, sizeof *out);
    randombytes_buf(bytes, sizeof bytes);
    memcpy(secret, KEY_START, 5);
    text_hex(bytes, sizeof bytes, secret + 5);
    sodium_memzero(bytes, sizeof bytes);
    create_args a = {clock_now_ms(&ctx->clock), facility_id, actor, secret, out};
    kite_err err = db_write(ctx->store, create_tx, &a);
    if (err != KITE_OK)
        sodium_memzero(secret, PHONE_KEY_LEN + 1);
    return err;
}

/* ---- listing and revoking ------------------------------------------------- */

typedef struct list_args {
    arena *a;
    int64_t facility_id;
    phone_key **items;
    size_t *count;
} list_args;

static kite_err list_tx(db_conn *conn, void *data)
{
    list_args *l = data;
    *l->items = arena_zalloc(l->a, PHONE_KEYS_MAX * sizeof **l->items);
    *l->count = 0;
    db_stmt *s = db_prepare(conn, "SELECT " KEY_COLUMNS " FROM facility_api_keys WHERE facility_id = $1"
                                  " ORDER BY id DESC LIMIT $2");
    db_bind_int(s, 1, l->facility_id);
    db_bind_int(s, 2, PHONE_KEYS_MAX);
    while (*l->count < PHONE_KEYS_MAX && db_next(s))
        key_read(s, &(*l->items)[(*l->count)++]);
    return db_done(s);
}

kite_err phone_key_list(const kite_ctx *ctx, arena *a, int64_t facility_id, phone_key **items, size_t *count)
{
    list_args l = {a, facility_id, items, count};
    return db_read(ctx->store, list_tx, &l);
}

typedef struct revoke_args {
    int64_t now, facility_id, key_id;
    const char *actor;
    phone_key *out;
} revoke_args;

static kite_err revoke_tx(db_conn *conn, void *data)
{
    revoke_args *r = data;
    kite_err err = key_load(conn, r->facility_id, r->key_id, r->out);
    if (err != KITE_OK || r->out->revoked_at != 0)
        return err;
    db_stmt *s = db_prepare(conn, "UPDATE facility_api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL");
    db_bind_int(s, 1, r->now);
    db_bind_int(s, 2, r->key_id);
    if ((err = db_exec(s)) != KITE_OK)
        return err;
    char target[40], detail[64];
    snprintf(target, sizeof target, "facility_api_key:%" PRId64, r->key_id);
    snprintf(detail, sizeof detail, "facility_id=%" PRId64 " prefix=%s", r->facility_id, r->out->prefix);
    if ((err = audit_append(conn, r->now, r->actor, "phone.api_key_revoke", target, detail)) != KITE_OK)
        return err;
    return key_load(conn, r->facility_id, r->key_id, r->out);
}

kite_err phone_key_revoke(const kite_ctx *ctx, int64_t facility_id, int64_t key_id, const char *actor, phone_key *out)
{
    memset(out, 0, sizeof *out);
    revoke_args r = {clock_now_ms(&ctx->clock), facility_id, key_id, actor, out};
    return db_write(ctx->store, revoke_tx, &r);
}

/* ---- checking ------------------------------------------------------------- */

typedef struct auth_args {
    const char *secret;
    phone_key *out;
    bool found;
} auth_args;

static kite_err auth_tx(db_conn *conn, void *data)
{
    auth_args *a = data;
    char prefix[PHONE_KEY_PREFIX_LEN + 1], hash[HASH_HEX];
    memcpy(prefix, a->secret, PHONE_KEY_PREFIX_LEN);
    prefix[PHONE_KEY_PREFIX_LEN] = '\0';
    key_hash_hex(a->secret, hash);
    db_stmt *s = db_prepare(conn, "SELECT " KEY_COLUMNS ", key_hash FROM facility_api_keys WHERE prefix = $1"
                                  " AND revoked_at IS NULL");
    db_bind_text(s, 1, prefix);
    a->found = false;
    while (db_next(s)) {
        const char *stored = db_text(s, 6);
        /* Every candidate is compared in full, whether or not one matched already. */
        bool same = stored != NULL && strlen(stored) == HASH_HEX - 1 && sodium_memcmp(stored, hash, HASH_HEX - 1) == 0;
        if (same && !a->found) {
            key_read(s, a->out);
            a->found = true;
        }
    }
    return db_done(s);
}

kite_err phone_key_authenticate(const kite_ctx *ctx, const char *secret, phone_key *out)
{
    if (!key_shape_valid(secret))
        return KITE_ERR_UNAUTHENTICATED;
    memset(out, 0, sizeof *out);
    auth_args a = {secret, out, false};
    kite_err err = db_read(ctx->store, auth_tx, &a);
    return err != KITE_OK ? err : a.found ? KITE_OK : KITE_ERR_UNAUTHENTICATED;
}

kite_err phone_key_touch(db_conn *conn, int64_t key_id, int64_t now)
{
    db_stmt *s = db_prepare(conn, "UPDATE facility_api_keys SET last_used_at = $1 WHERE id = $2 AND revoked_at IS NULL");
    db_bind_int(s, 1, now);
    db_bind_int(s, 2, key_id);
    kite_err err = db_exec(s);
    return err != KITE_OK ? err : db_changes(conn) == 1 ? KITE_OK : KITE_ERR_UNAUTHENTICATED;
}
