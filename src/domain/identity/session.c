/*
 * session.c - sign-in, session lookup and sign-out.
 *
 * SECURITY: email, password and token come from the network.  The password
 * is checked outside any transaction (Argon2 is slow and must not hold the
 * write lock); throttle state is read before and written after, so two
 * racing attempts can at worst each be counted, never skipped.  A failed
 * sign-in for no account is audited without what was typed (the audit is
 * kept for ever and cannot be edited): a password typed into the email box,
 * or someone else's address, must not stay there.
 */
#include "domain/identity/session.h"

#include "core/text.h"
#include "domain/audit/audit.h"
#include "domain/identity/throttle.h"
#include "domain/identity/totp.h"

#include <inttypes.h>
#include <string.h>

static const delay_rule pair_rule = {SIGNIN_PAIR_FREE_FAILURES, SIGNIN_DELAY_BASE_MS, SIGNIN_PAIR_CAP_MS,
                                     SIGNIN_PAIR_FORGET_MS};
static const delay_rule account_rule = {SIGNIN_ACCOUNT_FREE_FAILURES, SIGNIN_DELAY_BASE_MS, SIGNIN_ACCOUNT_CAP_MS,
                                        SIGNIN_PAIR_FORGET_MS};
static const delay_rule address_rule = {SIGNIN_ADDRESS_FREE_FAILURES, SIGNIN_DELAY_BASE_MS, SIGNIN_ADDRESS_CAP_MS,
                                        SIGNIN_ADDRESS_FORGET_MS};

void session_csrf_token(const char *token, char out[SECRET_SHA256_HEX])
{
    secret_derive_hex("kite-csrf-v1", token, out);
}

struct signin_lookup {
    arena *a;
    int64_t now;
    const signin_credentials *who;
    const char *account_key;
    const char *address_key;
    const char *pair_key;
    account acct;
    const char *password_hash;
    bool found;
    account more[SIGNIN_MORE_MAX];         /* find_more's accounts, tried after acct */
    const char *more_hashes[SIGNIN_MORE_MAX];
    size_t more_count;
    int64_t retry_after_ms;
};

static kite_err signin_lookup_tx(db_conn *conn, void *data)
{
    struct signin_lookup *in = data;
    int64_t pair_failures = 0, pair_wait = 0, address_wait = 0, account_wait = 0;
    kite_err err = delay_read(conn, in->now, in->pair_key, pair_rule, &pair_failures, &pair_wait);
    if (err == KITE_OK)
        err = delay_read(conn, in->now, in->address_key, address_rule, NULL, &address_wait);
    /* The account's own count slows only addresses that failed it: the real user elsewhere is not held up. */
    if (err == KITE_OK && pair_failures > 0)
        err = delay_read(conn, in->now, in->account_key, account_rule, NULL, &account_wait);
    if (err != KITE_OK)
        return err;
    int64_t wait = pair_wait > address_wait ? pair_wait : address_wait;
    in->retry_after_ms = wait > account_wait ? wait : account_wait;
    if (in->retry_after_ms > 0)
        return KITE_ERR_THROTTLED;
    err = in->who->find(conn, in->a, in->who->find_arg, &in->acct, &in->password_hash);
    in->found = err == KITE_OK && in->acct.status == ACCOUNT_ACTIVE;
    if (err == KITE_ERR_NOT_FOUND)
        err = KITE_OK;
    if (err == KITE_OK && in->who->find_more != NULL)
        err = in->who->find_more(conn, in->a, in->who->find_arg, in->more, in->more_hashes, SIGNIN_MORE_MAX,
                                 &in->more_count);
    return err;
}

static kite_err signin_failed_tx(db_conn *conn, void *data)
{
    struct signin_lookup *in = data;
    kite_err err = delay_record_failure(conn, in->now, in->pair_key, pair_rule);
    if (err == KITE_OK)
        err = delay_record_failure(conn, in->now, in->account_key, account_rule);
    if (err == KITE_OK)
        err = delay_record_failure(conn, in->now, in->address_key, address_rule);
    if (err != KITE_OK)
        return err;
    const char *target = in->found ? audit_actor_account(in->a, in->acct.id) : in->who->unknown_target;
    return audit_append(conn, in->now, "anonymous", "signin.failed", target,
                        arena_sprintf(in->a, "address=%s", in->address_key + strlen("address:")));
}

struct signin_success {
    struct signin_lookup *lookup;
    signin_result *out;
    const char *token_hash;
    const char *new_password_hash; /* NULL unless the stored hash needs new parameters */
    int64_t ttl_ms;
};

static kite_err signin_success_tx(db_conn *conn, void *data)
{
    struct signin_success *in = data;
    struct signin_lookup *lookup = in->lookup;
    /* The account's count goes too: whoever failed it before must fail anew to be slowed. */
    kite_err err = throttle_clear(conn, lookup->pair_key);
    if (err == KITE_OK)
        err = throttle_clear(conn, lookup->account_key);
    if (err != KITE_OK)
        return err;
    if (in->new_password_hash != NULL) {
        db_stmt *rehash = db_prepare(conn, "UPDATE accounts SET password_hash = $1, updated_at = $2 WHERE id = $3");
        db_bind_text(rehash, 1, in->new_password_hash);
        db_bind_int(rehash, 2, lookup->now);
        db_bind_int(rehash, 3, lookup->acct.id);
        if ((err = db_exec(rehash)) != KITE_OK)
            return err;
    }
    db_stmt *insert = db_prepare(conn,
        "INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)"
        " RETURNING id");
    db_bind_text(insert, 1, in->token_hash);
    db_bind_int(insert, 2, lookup->acct.id);
    db_bind_int(insert, 3, lookup->now);
    db_bind_int(insert, 4, lookup->now + in->ttl_ms);
    if (db_next(insert))
        in->out->session.id = db_int(insert, 0);
    if ((err = db_done(insert)) != KITE_OK)
        return err;
    const char *target = audit_actor_account(lookup->a, lookup->acct.id);
    return audit_append(conn, lookup->now, target, "signin", target,
                        arena_sprintf(lookup->a, "session=%" PRId64 " address=%s", in->out->session.id,
                                      lookup->address_key + strlen("address:")));
}

struct second_factor {
    struct signin_lookup *lookup;
    bool pending;
};

/* After the password: an enrolled staff account spends its code here; one not enrolled yet may only enrol. */
static kite_err second_factor_tx(db_conn *conn, void *data)
{
    struct second_factor *in = data;
    struct signin_lookup *lookup = in->lookup;
    bool enrolled = false;
    kite_err err = totp_enrolled(conn, lookup->acct.id, &enrolled);
    if (err != KITE_OK || !enrolled) {
        in->pending = true;
        return err;
    }
    if (lookup->who->totp_code == NULL && lookup->who->recovery_code == NULL)
        return KITE_ERR_TWO_FACTOR_REQUIRED;
    return totp_spend(conn, lookup->a, lookup->acct.id, lookup->now, lookup->who->totp_code,
                      lookup->who->recovery_code);
}

static kite_err sign_in(const kite_ctx *ctx, arena *a, const signin_credentials *who, const char *password,
                        const char *client_address, signin_result *out, kite_fault *fault)
{
    memset(out, 0, sizeof *out);
    bool plausible = who->plausible && strlen(password) <= PASSWORD_MAX_BYTES;
    struct signin_lookup lookup_data = {
        .a = a,
        .now = clock_now_ms(&ctx->clock),
        .who = who,
        .account_key = who->throttle_key,
        .address_key = arena_sprintf(a, "address:%s", client_address),
        .pair_key = arena_sprintf(a, "pair:%s address:%s", who->throttle_key, client_address),
    };
    struct signin_lookup *lookup = &lookup_data;
    kite_err err = db_read(ctx->store, signin_lookup_tx, lookup);
    if (err == KITE_ERR_THROTTLED) {
        fault_set(fault, err, NULL, FAULT_SIGN_IN);
        fault->retry_after_ms = lookup->retry_after_ms;
    }
    if (err != KITE_OK)
        return err;

    bool valid = false;
    if (lookup->found && plausible)
        valid = password_check(ctx->passwords, lookup->password_hash, password) == KITE_OK;
    else
        password_check_dummy(ctx->passwords, password);
    /* Then the unverified accounts of the address, newest first; the first whose password matches signs in. */
    for (size_t i = 0; !valid && plausible && i < lookup->more_count; i++) {
        if (password_check(ctx->passwords, lookup->more_hashes[i], password) == KITE_OK) {
            valid = true;
            lookup->acct = lookup->more[i];
            lookup->password_hash = lookup->more_hashes[i];
            lookup->found = true;
        }
    }
    if (!valid) {
        err = db_write(ctx->store, signin_failed_tx, lookup);
        return err != KITE_OK ? err : KITE_ERR_BAD_CREDENTIALS;
    }
    struct second_factor second = {lookup, false};
    if (totp_role_needs(lookup->acct.role)) {
        err = db_write(ctx->store, second_factor_tx, &second);
        if (err == KITE_ERR_TWO_FACTOR_INVALID) {
            kite_err failed = db_write(ctx->store, signin_failed_tx, lookup);
            return failed != KITE_OK ? failed : err;
        }
        if (err != KITE_OK)
            return err;
    }

    char token_hash[SECRET_SHA256_HEX];
    char new_hash[PASSWORD_HASH_MAX];
    secret_token(out->token);
    session_csrf_token(out->token, out->csrf);
    secret_sha256_hex(out->token, strlen(out->token), token_hash);
    struct signin_success success = {lookup, out, token_hash, NULL, ctx->session_ttl_ms};
    if (password_needs_rehash(ctx->passwords, lookup->password_hash) &&
        password_hash(ctx->passwords, password, new_hash) == KITE_OK)
        success.new_password_hash = new_hash;
    err = db_write(ctx->store, signin_success_tx, &success);
    if (err != KITE_OK)
        return err;
    out->session.account = lookup->acct;
    out->session.expires_at = lookup->now + ctx->session_ttl_ms;
    out->session.two_factor_pending = second.pending;
    return KITE_OK;
}

kite_err session_sign_in_with(const kite_ctx *ctx, arena *a, const signin_credentials *who, const char *password,
                              const char *client_address, signin_result *out, kite_fault *fault)
{
    *fault = (kite_fault){0};
    return fault_settle(fault, sign_in(ctx, a, who, password, client_address, out, fault));
}

/* Residents have no email; an account found by email is never a resident's.  The verified account first. */
static kite_err find_by_email(db_conn *conn, arena *a, const void *email, account *out, const char **password_hash)
{
    return account_load_verified(conn, a, email, out, password_hash);
}

static kite_err find_unverified(db_conn *conn, arena *a, const void *email, account *out, const char **hashes,
                                size_t max, size_t *count)
{
    return account_load_unverified(conn, a, email, out, hashes, max, count);
}

kite_err session_sign_in(const kite_ctx *ctx, arena *a, const char *email, const char *password,
                         const char *totp_code, const char *recovery_code, const char *client_address,
                         signin_result *out, kite_fault *fault)
{
    const char *norm = NULL;
    bool plausible = email_normalize(a, email, &norm) == KITE_OK;
    if (!plausible)
        norm = text_lower(a, text_trim(a, email));
    signin_credentials who = {
        .find = find_by_email,
        .find_more = find_unverified,
        .find_arg = norm,
        .throttle_key = arena_sprintf(a, "account:%s", norm),
        .unknown_target = "email:unknown",
        .plausible = plausible,
        .totp_code = totp_code,
        .recovery_code = recovery_code,
    };
    return session_sign_in_with(ctx, a, &who, password, client_address, out, fault);
}

struct resolve {
    arena *a;
    const char *token_hash;
    int64_t now;
    session *out;
    bool touch; /* a staff session whose last use should be written again */
};

static kite_err resolve_tx(db_conn *conn, void *data)
{
    struct resolve *in = data;
    db_stmt *s = db_prepare(conn,
        "SELECT id, account_id, expires_at, COALESCE(last_used_at, created_at) FROM sessions"
        " WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2");
    db_bind_text(s, 1, in->token_hash);
    db_bind_int(s, 2, in->now);
    int64_t account_id = 0, last_used = 0;
    if (db_next(s)) {
        in->out->id = db_int(s, 0);
        account_id = db_int(s, 1);
        in->out->expires_at = db_int(s, 2);
        last_used = db_int(s, 3);
    }
    kite_err err = db_done(s);
    if (err != KITE_OK)
        return err;
    if (account_id == 0)
        return KITE_ERR_UNAUTHENTICATED;
    err = account_load(conn, in->a, account_id, &in->out->account);
    if (err == KITE_ERR_NOT_FOUND || (err == KITE_OK && in->out->account.status != ACCOUNT_ACTIVE))
        return KITE_ERR_UNAUTHENTICATED;
    if (err != KITE_OK || !totp_role_needs(in->out->account.role))
        return err;
    /* Staff: idle sign-out, and whether this session may do more than enrol. */
    if (in->now - last_used >= STAFF_SESSION_IDLE_MS)
        return KITE_ERR_SESSION_EXPIRED;
    in->touch = in->now - last_used >= SESSION_TOUCH_MS;
    bool enrolled = false;
    err = totp_enrolled(conn, account_id, &enrolled);
    in->out->two_factor_pending = !enrolled;
    return err;
}

static kite_err touch_tx(db_conn *conn, void *data)
{
    struct resolve *in = data;
    db_stmt *s = db_prepare(conn, "UPDATE sessions SET last_used_at = $1 WHERE id = $2");
    db_bind_int(s, 1, in->now);
    db_bind_int(s, 2, in->out->id);
    return db_exec(s);
}

static kite_err resolve(const kite_ctx *ctx, arena *a, const char *token, session *out, bool use)
{
    memset(out, 0, sizeof *out);
    if (strlen(token) != SECRET_TOKEN_HEX - 1)
        return KITE_ERR_UNAUTHENTICATED;
    char token_hash[SECRET_SHA256_HEX];
    secret_sha256_hex(token, strlen(token), token_hash);
    struct resolve in = {a, token_hash, clock_now_ms(&ctx->clock), out, false};
    kite_err err = db_read(ctx->store, resolve_tx, &in);
    if (err == KITE_OK && use && in.touch)
        err = db_write(ctx->store, touch_tx, &in);
    return err;
}

kite_err session_resolve(const kite_ctx *ctx, arena *a, const char *token, session *out)
{
    return resolve(ctx, a, token, out, true);
}

kite_err session_peek(const kite_ctx *ctx, arena *a, const char *token, session *out)
{
    return resolve(ctx, a, token, out, false);
}

struct sign_out {
    arena *a;
    const session *s;
    int64_t now;
};

static kite_err sign_out_tx(db_conn *conn, void *data)
{
    struct sign_out *in = data;
    db_stmt *s = db_prepare(conn, "UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL");
    db_bind_int(s, 1, in->now);
    db_bind_int(s, 2, in->s->id);
    kite_err err = db_exec(s);
    if (err != KITE_OK)
        return err;
    const char *actor = audit_actor_account(in->a, in->s->account.id);
    return audit_append(conn, in->now, actor, "signout", actor,
                        arena_sprintf(in->a, "session=%" PRId64, in->s->id));
}

kite_err session_sign_out(const kite_ctx *ctx, arena *a, const session *s)
{
    struct sign_out in = {a, s, clock_now_ms(&ctx->clock)};
    return db_write(ctx->store, sign_out_tx, &in);
}

static kite_err sign_out_everywhere_tx(db_conn *conn, void *data)
{
    struct sign_out *in = data;
    kite_err err = session_end_all(conn, in->s->account.id, in->now);
    if (err != KITE_OK)
        return err;
    const char *actor = audit_actor_account(in->a, in->s->account.id);
    return audit_append(conn, in->now, actor, "signout.everywhere", actor,
                        arena_sprintf(in->a, "from session=%" PRId64, in->s->id));
}

kite_err session_sign_out_everywhere(const kite_ctx *ctx, arena *a, const session *s)
{
    struct sign_out in = {a, s, clock_now_ms(&ctx->clock)};
    return db_write(ctx->store, sign_out_everywhere_tx, &in);
}

kite_err session_end_all(db_conn *conn, int64_t account_id, int64_t now)
{
    db_stmt *s = db_prepare(conn, "UPDATE sessions SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL");
    db_bind_int(s, 1, now);
    db_bind_int(s, 2, account_id);
    return db_exec(s);
}

/* ---- the password asked again ---- */

struct confirm_password {
    arena *a;
    int64_t account_id;
    const char *key;
    const char *hash;
    int64_t now;
    kite_fault fault;
};

static const throttle_rule confirm_rule = {SIGNIN_ACCOUNT_MAX_FAILURES, SIGNIN_WINDOW_MS};

static kite_err confirm_lookup_tx(db_conn *conn, void *data)
{
    struct confirm_password *in = data;
    kite_err err = throttle_check(conn, in->now, in->key, confirm_rule, &in->fault);
    if (err != KITE_OK)
        return err;
    account acct;
    return account_load_secret(conn, in->a, in->account_id, &acct, &in->hash);
}

static kite_err confirm_failed_tx(db_conn *conn, void *data)
{
    struct confirm_password *in = data;
    return throttle_record_failure(conn, in->now, in->key, confirm_rule);
}

kite_err session_confirm_password(const kite_ctx *ctx, arena *a, const session *s, const char *current,
                                  const char **throttle_key, kite_fault *fault)
{
    *fault = (kite_fault){0};
    if (s->account.email == NULL || *s->account.email == '\0')
        return fault_settle(fault, KITE_ERR_FORBIDDEN); /* residents have a PIN, which staff reset */
    if (current == NULL || strlen(current) > PASSWORD_MAX_BYTES)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "current_password", FAULT_NOT_VALID);
    struct confirm_password in = {a, s->account.id, arena_sprintf(a, "account:%s", s->account.email), NULL,
                                  clock_now_ms(&ctx->clock), {0}};
    if (throttle_key != NULL)
        *throttle_key = in.key;
    kite_err err = db_read(ctx->store, confirm_lookup_tx, &in);
    if (err == KITE_ERR_THROTTLED) {
        *fault = in.fault;
        fault->detail = FAULT_SIGN_IN;
        return fault_settle(fault, err);
    }
    if (err != KITE_OK)
        return fault_settle(fault, err);
    if (password_check(ctx->passwords, in.hash, current) != KITE_OK) {
        err = db_write(ctx->store, confirm_failed_tx, &in);
        return err != KITE_OK ? fault_settle(fault, err)
                              : fault_set(fault, KITE_ERR_INVALID_FIELD, "current_password", FAULT_NOT_VALID);
    }
    return KITE_OK;
}
