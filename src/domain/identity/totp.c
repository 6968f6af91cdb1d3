/*
 * totp.c - two-factor secrets, codes and recovery codes (totp.h).
 *
 * SECURITY: a code or a recovery code comes from the network.  Its shape is
 * checked first (six digits; ten letters and digits of the recovery
 * alphabet), so nothing else reaches liboath or the store; a recovery code
 * is compared by its hash in the WHERE clause.  Spending is a conditional
 * UPDATE that changes one row or none, so two requests with the same code
 * cannot both succeed on either engine.
 */
#include "domain/identity/totp.h"

#include "domain/audit/audit.h"
#include "domain/identity/session.h"
#include "domain/identity/throttle.h"

#include <liboath/oath.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* No 0/o, 1/l/i: a recovery code is copied from paper. */
static const char recovery_alphabet[] = "23456789abcdefghjkmnpqrstuvwxyz";

bool totp_role_needs(role r)
{
    return role_is_facility_staff(r) || r == ROLE_OPERATOR;
}

/* Wrong codes while signed in (confirming, renewing): a fixed window per account, like the password asked again. */
static const throttle_rule code_rule = {SIGNIN_ACCOUNT_MAX_FAILURES, SIGNIN_WINDOW_MS};

static bool code_shape(const char *code)
{
    if (code == NULL || strlen(code) != TOTP_DIGITS)
        return false;
    for (const char *p = code; *p != '\0'; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

/* The time step code belongs to (within the window, after last_step), or KITE_ERR_TWO_FACTOR_INVALID. */
static kite_err code_step(const char *secret_b32, int64_t now_ms, const char *code, int64_t last_step, int64_t *step)
{
    if (!code_shape(code))
        return KITE_ERR_TWO_FACTOR_INVALID;
    char *raw = NULL;
    size_t raw_len = 0;
    if (oath_base32_decode(secret_b32, strlen(secret_b32), &raw, &raw_len) != OATH_OK)
        return KITE_ERR_INTERNAL;
    time_t now = (time_t)(now_ms / 1000);
    int pos = 0;
    int rc = oath_totp_validate2(raw, raw_len, now, TOTP_STEP_SECONDS, 0, TOTP_WINDOW, &pos, code);
    sodium_memzero(raw, raw_len);
    free(raw);
    if (rc < 0)
        return KITE_ERR_TWO_FACTOR_INVALID;
    *step = (int64_t)now / TOTP_STEP_SECONDS + pos;
    return *step > last_step ? KITE_OK : KITE_ERR_TWO_FACTOR_INVALID;
}

/* A recovery code as stored: lower case, without the dash or spaces people type; NULL when not one. */
static const char *recovery_normal(arena *a, const char *typed)
{
    if (typed == NULL || strlen(typed) > 4 * TOTP_RECOVERY_CHARS)
        return NULL;
    char *out = arena_zalloc(a, TOTP_RECOVERY_CHARS + 1);
    size_t n = 0;
    for (const char *p = typed; *p != '\0'; p++) {
        char c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
        if (c == '-' || c == ' ')
            continue;
        if (n == TOTP_RECOVERY_CHARS || strchr(recovery_alphabet, c) == NULL || c == '\0')
            return NULL;
        out[n++] = c;
    }
    return n == TOTP_RECOVERY_CHARS ? out : NULL;
}

static const char *recovery_hash(arena *a, const char *normal)
{
    char *hex = arena_alloc(a, SECRET_SHA256_HEX);
    secret_derive_hex("kite-recovery-code-v1", normal, hex);
    return hex;
}

/* Ten new codes replace the old ones; out receives them as people read them: two groups of five joined by a dash. */
static kite_err recovery_make(db_conn *conn, arena *a, int64_t account_id, int64_t now, totp_recovery *out)
{
    db_stmt *del = db_prepare(conn, "DELETE FROM staff_recovery_codes WHERE account_id = $1");
    db_bind_int(del, 1, account_id);
    kite_err err = db_exec(del);
    for (size_t i = 0; err == KITE_OK && i < TOTP_RECOVERY_CODES; i++) {
        char normal[TOTP_RECOVERY_CHARS + 1];
        for (size_t k = 0; k < TOTP_RECOVERY_CHARS; k++)
            normal[k] = recovery_alphabet[randombytes_uniform(sizeof recovery_alphabet - 1)];
        normal[TOTP_RECOVERY_CHARS] = '\0';
        out->codes[i] = arena_sprintf(a, "%.5s-%.5s", normal, normal + 5);
        db_stmt *ins = db_prepare(conn, "INSERT INTO staff_recovery_codes (account_id, code_hash, created_at)"
                                        " VALUES ($1, $2, $3)");
        db_bind_int(ins, 1, account_id);
        db_bind_text(ins, 2, recovery_hash(a, normal));
        db_bind_int(ins, 3, now);
        err = db_exec(ins);
        sodium_memzero(normal, sizeof normal);
    }
    return err;
}

/* The stored secret: *confirmed false and *secret NULL when there is none. */
static kite_err secret_load(db_conn *conn, arena *a, int64_t account_id, const char **secret, bool *confirmed,
                            int64_t *last_step)
{
    db_stmt *s = db_prepare(conn, "SELECT secret, confirmed_at IS NOT NULL, last_step FROM staff_totp"
                                  " WHERE account_id = $1");
    db_bind_int(s, 1, account_id);
    *secret = NULL;
    *confirmed = false;
    if (db_next(s)) {
        *secret = arena_strdup(a, db_text(s, 0));
        *confirmed = db_int(s, 1) != 0;
        *last_step = db_int(s, 2);
    }
    return db_done(s);
}

kite_err totp_enrolled(db_conn *conn, int64_t account_id, bool *out)
{
    db_stmt *s = db_prepare(conn, "SELECT 1 FROM staff_totp WHERE account_id = $1 AND confirmed_at IS NOT NULL");
    db_bind_int(s, 1, account_id);
    *out = db_next(s);
    return db_done(s);
}

static kite_err step_spend(db_conn *conn, int64_t account_id, int64_t step)
{
    db_stmt *s = db_prepare(conn, "UPDATE staff_totp SET last_step = $1 WHERE account_id = $2 AND last_step < $1");
    db_bind_int(s, 1, step);
    db_bind_int(s, 2, account_id);
    kite_err err = db_exec(s);
    if (err == KITE_OK && db_changes(conn) != 1)
        err = KITE_ERR_TWO_FACTOR_INVALID; /* another request spent this step first */
    return err;
}

kite_err totp_spend(db_conn *conn, arena *a, int64_t account_id, int64_t now_ms, const char *code,
                    const char *recovery)
{
    if (code != NULL) {
        const char *secret = NULL;
        bool confirmed = false;
        int64_t last_step = 0, step = 0;
        kite_err err = secret_load(conn, a, account_id, &secret, &confirmed, &last_step);
        if (err != KITE_OK)
            return err;
        if (!confirmed)
            return KITE_ERR_TWO_FACTOR_INVALID;
        err = code_step(secret, now_ms, code, last_step, &step);
        return err != KITE_OK ? err : step_spend(conn, account_id, step);
    }
    const char *normal = recovery_normal(a, recovery);
    if (normal == NULL)
        return KITE_ERR_TWO_FACTOR_INVALID;
    db_stmt *s = db_prepare(conn, "UPDATE staff_recovery_codes SET used_at = $1"
                                  " WHERE account_id = $2 AND code_hash = $3 AND used_at IS NULL");
    db_bind_int(s, 1, now_ms);
    db_bind_int(s, 2, account_id);
    db_bind_text(s, 3, recovery_hash(a, normal));
    kite_err err = db_exec(s);
    if (err == KITE_OK && db_changes(conn) < 1)
        err = KITE_ERR_TWO_FACTOR_INVALID;
    if (err == KITE_OK)
        err = audit_append(conn, now_ms, audit_actor_account(a, account_id), "two_factor.recovery_code_used",
                           audit_target(a, "account", account_id), "");
    return err;
}

/* ---- enrolment ---- */

/* What an otpauth:// label may carry as it is; the rest is percent-encoded. */
static const char *uri_escape(arena *a, const char *s)
{
    char *out = arena_zalloc(a, 3 * strlen(s) + 1);
    char *o = out;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~", *p))
            *o++ = (char)*p;
        else
            o += sprintf(o, "%%%02X", *p);
    }
    return out;
}

struct begin {
    arena *a;
    const account *acct;
    int64_t now;
    const char *secret;
};

static kite_err begin_tx(db_conn *conn, void *data)
{
    struct begin *in = data;
    const char *old = NULL;
    bool confirmed = false;
    int64_t last_step = 0;
    kite_err err = secret_load(conn, in->a, in->acct->id, &old, &confirmed, &last_step);
    if (err != KITE_OK)
        return err;
    if (confirmed)
        return KITE_ERR_CONFLICT;
    db_stmt *del = db_prepare(conn, "DELETE FROM staff_totp WHERE account_id = $1");
    db_bind_int(del, 1, in->acct->id);
    if ((err = db_exec(del)) != KITE_OK)
        return err;
    db_stmt *ins = db_prepare(conn, "INSERT INTO staff_totp (account_id, secret, created_at, confirmed_at, last_step)"
                                    " VALUES ($1, $2, $3, NULL, 0)");
    db_bind_int(ins, 1, in->acct->id);
    db_bind_text(ins, 2, in->secret);
    db_bind_int(ins, 3, in->now);
    return db_exec(ins);
}

kite_err totp_begin(const kite_ctx *ctx, arena *a, const account *acct, totp_enrolment *out, kite_fault *fault)
{
    *fault = (kite_fault){0};
    if (!totp_role_needs(acct->role))
        return fault_settle(fault, KITE_ERR_FORBIDDEN);
    unsigned char raw[TOTP_SECRET_BYTES];
    randombytes_buf(raw, sizeof raw);
    char *b32 = NULL;
    size_t b32_len = 0;
    int rc = oath_base32_encode((const char *)raw, sizeof raw, &b32, &b32_len);
    sodium_memzero(raw, sizeof raw);
    if (rc != OATH_OK)
        return fault_settle(fault, KITE_ERR_INTERNAL);
    struct begin in = {a, acct, clock_now_ms(&ctx->clock), arena_strndup(a, b32, b32_len)};
    sodium_memzero(b32, b32_len);
    free(b32);
    kite_err err = db_write(ctx->store, begin_tx, &in);
    if (err != KITE_OK)
        return fault_settle(fault, err);
    out->secret = in.secret;
    out->uri = arena_sprintf(a, "otpauth://totp/Kite:%s?secret=%s&issuer=Kite&algorithm=SHA1&digits=%d&period=%d",
                             uri_escape(a, acct->email != NULL ? acct->email : ""), in.secret, TOTP_DIGITS,
                             TOTP_STEP_SECONDS);
    return KITE_OK;
}

struct confirm {
    arena *a;
    const account *acct;
    int64_t now;
    const char *code;
    bool renew; /* false: the first code of an enrolment */
    const char *key;
    totp_recovery *out;
    kite_fault fault;
};

static kite_err confirm_tx(db_conn *conn, void *data)
{
    struct confirm *in = data;
    kite_err err = throttle_check(conn, in->now, in->key, code_rule, &in->fault);
    if (err != KITE_OK)
        return err;
    const char *secret = NULL;
    bool confirmed = false;
    int64_t last_step = 0, step = 0;
    if ((err = secret_load(conn, in->a, in->acct->id, &secret, &confirmed, &last_step)) != KITE_OK)
        return err;
    if (secret == NULL || confirmed != in->renew)
        return KITE_ERR_CONFLICT; /* nothing to confirm, already confirmed, or nothing to renew */
    err = code_step(secret, in->now, in->code, last_step, &step);
    if (err == KITE_OK)
        err = step_spend(conn, in->acct->id, step);
    if (err != KITE_OK)
        return err;
    if (!in->renew) {
        db_stmt *s = db_prepare(conn, "UPDATE staff_totp SET confirmed_at = $1 WHERE account_id = $2");
        db_bind_int(s, 1, in->now);
        db_bind_int(s, 2, in->acct->id);
        if ((err = db_exec(s)) != KITE_OK)
            return err;
    }
    if ((err = recovery_make(conn, in->a, in->acct->id, in->now, in->out)) != KITE_OK)
        return err;
    const char *who = audit_actor_account(in->a, in->acct->id);
    return audit_append(conn, in->now, who, in->renew ? "two_factor.recovery_codes_renewed" : "two_factor.enable",
                        audit_target(in->a, "account", in->acct->id), "");
}

static kite_err confirm_failed_tx(db_conn *conn, void *data)
{
    struct confirm *in = data;
    return throttle_record_failure(conn, in->now, in->key, code_rule);
}

static kite_err confirm_or_renew(const kite_ctx *ctx, arena *a, const account *acct, const char *code, bool renew,
                                 totp_recovery *out, kite_fault *fault)
{
    *fault = (kite_fault){0};
    if (!totp_role_needs(acct->role))
        return fault_settle(fault, KITE_ERR_FORBIDDEN);
    if (code == NULL)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "code", FAULT_REQUIRED);
    struct confirm in = {a, acct, clock_now_ms(&ctx->clock), code, renew,
                         arena_sprintf(a, "two_factor:account:%lld", (long long)acct->id), out, {0}};
    kite_err err = db_write(ctx->store, confirm_tx, &in);
    if (err == KITE_ERR_THROTTLED) {
        *fault = in.fault;
        fault->detail = FAULT_SIGN_IN;
        return fault_settle(fault, err);
    }
    if (err == KITE_ERR_TWO_FACTOR_INVALID) {
        err = db_write(ctx->store, confirm_failed_tx, &in);
        return err != KITE_OK ? fault_settle(fault, err)
                              : fault_set(fault, KITE_ERR_INVALID_FIELD, "code", FAULT_NOT_VALID);
    }
    return fault_settle(fault, err);
}

kite_err totp_confirm(const kite_ctx *ctx, arena *a, const account *acct, const char *code, totp_recovery *out,
                      kite_fault *fault)
{
    return confirm_or_renew(ctx, a, acct, code, false, out, fault);
}

kite_err totp_recovery_renew(const kite_ctx *ctx, arena *a, const account *acct, const char *code,
                             totp_recovery *out, kite_fault *fault)
{
    return confirm_or_renew(ctx, a, acct, code, true, out, fault);
}

struct status {
    int64_t account_id;
    totp_status *out;
};

static kite_err status_tx(db_conn *conn, void *data)
{
    struct status *in = data;
    kite_err err = totp_enrolled(conn, in->account_id, &in->out->enrolled);
    if (err != KITE_OK)
        return err;
    db_stmt *s = db_prepare(conn, "SELECT COUNT(*) FROM staff_recovery_codes WHERE account_id = $1 AND used_at IS NULL");
    db_bind_int(s, 1, in->account_id);
    if (db_next(s))
        in->out->recovery_codes_left = db_int(s, 0);
    return db_done(s);
}

kite_err totp_status_read(const kite_ctx *ctx, arena *a, int64_t account_id, totp_status *out)
{
    (void)a;
    *out = (totp_status){0};
    struct status in = {account_id, out};
    return db_read(ctx->store, status_tx, &in);
}

struct reset {
    arena *a;
    const char *actor;
    int64_t account_id;
    int64_t now;
    const char *secret; /* NULL: reset; else enrol with it */
};

static kite_err forget_tx(db_conn *conn, struct reset *in)
{
    account target;
    kite_err err = account_load(conn, in->a, in->account_id, &target);
    if (err == KITE_OK && !totp_role_needs(target.role))
        err = KITE_ERR_NOT_FOUND;
    if (err != KITE_OK)
        return err;
    db_stmt *codes = db_prepare(conn, "DELETE FROM staff_recovery_codes WHERE account_id = $1");
    db_bind_int(codes, 1, in->account_id);
    if ((err = db_exec(codes)) != KITE_OK)
        return err;
    db_stmt *secret = db_prepare(conn, "DELETE FROM staff_totp WHERE account_id = $1");
    db_bind_int(secret, 1, in->account_id);
    return db_exec(secret);
}

static kite_err reset_tx(db_conn *conn, void *data)
{
    struct reset *in = data;
    kite_err err = forget_tx(conn, in);
    if (err == KITE_OK)
        err = session_end_all(conn, in->account_id, in->now);
    if (err == KITE_OK)
        err = audit_append(conn, in->now, in->actor, "two_factor.reset", audit_target(in->a, "account", in->account_id),
                           "sessions ended");
    return err;
}

kite_err totp_reset(const kite_ctx *ctx, arena *a, const account *op, int64_t account_id, kite_fault *fault)
{
    *fault = (kite_fault){0};
    if (op->role != ROLE_OPERATOR)
        return fault_settle(fault, KITE_ERR_FORBIDDEN);
    struct reset in = {a, audit_actor_account(a, op->id), account_id, clock_now_ms(&ctx->clock), NULL};
    return fault_settle(fault, db_write(ctx->store, reset_tx, &in));
}

static kite_err enrol_tx(db_conn *conn, void *data)
{
    struct reset *in = data;
    kite_err err = forget_tx(conn, in);
    if (err != KITE_OK)
        return err;
    db_stmt *ins = db_prepare(conn, "INSERT INTO staff_totp (account_id, secret, created_at, confirmed_at, last_step)"
                                    " VALUES ($1, $2, $3, $3, 0)");
    db_bind_int(ins, 1, in->account_id);
    db_bind_text(ins, 2, in->secret);
    db_bind_int(ins, 3, in->now);
    if ((err = db_exec(ins)) != KITE_OK)
        return err;
    return audit_append(conn, in->now, in->actor, "two_factor.enable", audit_target(in->a, "account", in->account_id),
                        "secret given by the command line");
}

kite_err totp_enrol_with_secret(const kite_ctx *ctx, arena *a, int64_t account_id, const char *secret_b32,
                                const char *actor)
{
    char *raw = NULL, *b32 = NULL;
    size_t raw_len = 0, b32_len = 0;
    if (secret_b32 == NULL || oath_base32_decode(secret_b32, strlen(secret_b32), &raw, &raw_len) != OATH_OK)
        return KITE_ERR_INVALID_FIELD;
    /* Stored as liboath writes it (upper case, no spaces), whatever way it was typed. */
    int rc = raw_len < 16 ? OATH_INVALID_BASE32 : oath_base32_encode(raw, raw_len, &b32, &b32_len);
    sodium_memzero(raw, raw_len);
    free(raw);
    if (rc != OATH_OK) /* fewer than 128 bits is guessable offline */
        return KITE_ERR_INVALID_FIELD;
    struct reset in = {a, actor, account_id, clock_now_ms(&ctx->clock), arena_strndup(a, b32, b32_len)};
    sodium_memzero(b32, b32_len);
    free(b32);
    return db_write(ctx->store, enrol_tx, &in);
}
