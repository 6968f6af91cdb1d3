/*
 * password_reset.c - a forgotten password, set again through a mailed link,
 * and a password changed by its owner (password_reset.h says what a person
 * sees).
 *
 * Design: a link carries a 256-bit random token; the store keeps only its
 * SHA-256 (password_resets.token_hash), with the account, when it was made
 * and until when it works, and when it was used.  Asking is one write
 * transaction: the address throttle is checked and counted, the account
 * found, its links of the last hour counted, the row inserted and the mail
 * queued in the outbox (sent by the mailer after COMMIT).  Using a link is
 * one write transaction too: the row is checked, the password set, every
 * open link of the account spent, its sessions ended, its sign-in throttle
 * cleared.  The new password is hashed (Argon2id, 64 MiB) before it, so the
 * writer never waits for a hash.
 *
 * SECURITY: the token is compared by its hash through a UNIQUE index, never
 * by scanning; an unknown, used and expired token get the same answer.  A
 * request's answer and work do not depend on whether the account exists,
 * except for the mail itself.  Emails are normalised as at registration and
 * bound as parameters; the link is built from the configured public URL.
 */
#include "domain/identity/password_reset.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/secret.h"
#include "core/text.h"
#include "domain/audit/audit.h"
#include "domain/identity/account.h"
#include "domain/identity/email_verify.h"
#include "domain/identity/session.h"
#include "domain/identity/throttle.h"
#include "mail/notice.h"

#include <inttypes.h>
#include <string.h>

static const throttle_rule reset_address_rule = {PASSWORD_RESETS_PER_ADDRESS, 60LL * 60 * 1000};

struct reset_request {
    const kite_ctx *ctx;
    arena *a;
    const char *email; /* normalised */
    const char *address_key;
    int64_t now;
    kite_fault fault;
};

static const notice_text reset_words[FAULT_LANG_COUNT] = {
    [FAULT_LANG_EN] = {"Reset your Kite password",
                       {"Hello {name},",
                        "Someone, probably you, asked to reset the password of your Kite account ({email}).",
                        "The link below works once, for the next hour. When you use it, every device signed in to "
                        "your account is signed out.",
                        "If you did not ask for this, ignore this email: your password stays as it is."},
                       "Choose a new password"},
    [FAULT_LANG_ES] = {"Cambie su contraseña de Kite",
                       {"Hola, {name}:",
                        "Alguien, probablemente usted, pidió cambiar la contraseña de su cuenta de Kite ({email}).",
                        "El enlace de abajo funciona una sola vez, durante la próxima hora. Cuando lo use, se "
                        "cerrará la sesión en todos los dispositivos conectados a su cuenta.",
                        "Si usted no lo pidió, ignore este correo: su contraseña seguirá igual."},
                       "Elegir una contraseña nueva"},
};

/* The link's mail, in the request's transaction (mail/notice.h: the one shape of Kite's notices). */
static kite_err enqueue_reset_mail(db_conn *conn, const struct reset_request *in, const account *acct,
                                   const char *token)
{
    const char *values[] = {"name", acct->full_name, "email", acct->email, NULL};
    notice n = {.to = acct->email, .kind = "password_reset", .text = reset_words, .values = values,
                .link_path = arena_sprintf(in->a, "/reset-password?token=%s", token), .lang = acct->lang};
    return notice_enqueue(conn, in->ctx->public_url, in->a, in->now, &n);
}

/* How many links the account was sent in the last hour. */
static kite_err recent_links(db_conn *conn, int64_t account_id, int64_t now, int64_t *count)
{
    db_stmt *s = db_prepare(conn, "SELECT COUNT(*) FROM password_resets WHERE account_id = $1 AND created_at > $2");
    db_bind_int(s, 1, account_id);
    db_bind_int(s, 2, now - PASSWORD_RESET_TTL_MS);
    *count = db_next(s) ? db_int(s, 0) : 0;
    return db_done(s);
}

static kite_err request_tx(db_conn *conn, void *data)
{
    struct reset_request *in = data;
    kite_err err = throttle_check(conn, in->now, in->address_key, reset_address_rule, &in->fault);
    if (err == KITE_OK)
        err = throttle_record_failure(conn, in->now, in->address_key, reset_address_rule);
    if (err != KITE_OK)
        return err;
    account acct;
    const char *hash = NULL;
    err = account_load_by_email(conn, in->a, in->email, &acct, &hash);
    if (err == KITE_ERR_NOT_FOUND || (err == KITE_OK && acct.status != ACCOUNT_ACTIVE))
        return KITE_OK; /* the same answer: nothing is sent */
    int64_t sent = 0;
    if (err == KITE_OK)
        err = recent_links(conn, acct.id, in->now, &sent);
    if (err != KITE_OK || sent >= PASSWORD_RESETS_PER_ACCOUNT)
        return err;
    char token[SECRET_TOKEN_HEX], token_hash[SECRET_SHA256_HEX];
    secret_token(token);
    secret_sha256_hex(token, strlen(token), token_hash);
    db_stmt *insert = db_prepare(conn,
        "INSERT INTO password_resets (account_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)");
    db_bind_int(insert, 1, acct.id);
    db_bind_text(insert, 2, token_hash);
    db_bind_int(insert, 3, in->now);
    db_bind_int(insert, 4, in->now + PASSWORD_RESET_TTL_MS);
    err = db_exec(insert);
    if (err == KITE_OK)
        err = enqueue_reset_mail(conn, in, &acct, token);
    if (err == KITE_OK)
        err = audit_append(conn, in->now, audit_actor_account(in->a, acct.id), "account.password_reset_requested",
                           audit_target(in->a, "account", acct.id), "");
    return err;
}

kite_err password_reset_request(const kite_ctx *ctx, arena *a, const char *email, const char *client_address,
                                kite_fault *fault)
{
    *fault = (kite_fault){0};
    const char *normalized = NULL;
    if (email == NULL || email_normalize(a, email, &normalized) != KITE_OK)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "email", FAULT_EMAIL);
    struct reset_request in = {ctx, a, normalized, arena_sprintf(a, "reset:%s", client_address),
                               clock_now_ms(&ctx->clock), {0}};
    kite_err err = db_write(ctx->store, request_tx, &in);
    if (err == KITE_ERR_THROTTLED) {
        *fault = in.fault;
        fault->detail = FAULT_PASSWORD_RESETS;
    }
    return fault_settle(fault, err);
}

struct reset_confirm {
    arena *a;
    const char *token_hash;
    const char *password_hash;
    int64_t now;
    const char *email, *full_name; /* the link's account (owner_tx) */
};

/* The account a live link belongs to; KITE_ERR_RESET_LINK_EXPIRED when none (as confirm_tx answers). */
static kite_err owner_tx(db_conn *conn, void *data)
{
    struct reset_confirm *in = data;
    db_stmt *s = db_prepare(conn,
        "SELECT a.email, a.full_name FROM password_resets r JOIN accounts a ON a.id = r.account_id"
        " WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > $2 AND a.status = 'active'");
    db_bind_text(s, 1, in->token_hash);
    db_bind_int(s, 2, in->now);
    bool found = db_next(s);
    if (found) {
        in->email = arena_strdup(in->a, db_text(s, 0));
        in->full_name = arena_strdup(in->a, db_text(s, 1));
    }
    kite_err err = db_done(s);
    return err != KITE_OK ? err : found ? KITE_OK : KITE_ERR_RESET_LINK_EXPIRED;
}

static kite_err confirm_tx(db_conn *conn, void *data)
{
    struct reset_confirm *in = data;
    db_stmt *s = db_prepare(conn,
        "SELECT r.account_id, a.email FROM password_resets r JOIN accounts a ON a.id = r.account_id"
        " WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > $2 AND a.status = 'active'");
    db_bind_text(s, 1, in->token_hash);
    db_bind_int(s, 2, in->now);
    bool found = db_next(s);
    int64_t account_id = found ? db_int(s, 0) : 0;
    const char *email = found ? arena_strdup(in->a, db_text(s, 1)) : NULL;
    kite_err err = db_done(s);
    if (err != KITE_OK)
        return err;
    if (!found)
        return KITE_ERR_RESET_LINK_EXPIRED;
    db_stmt *set = db_prepare(conn, "UPDATE accounts SET password_hash = $1, updated_at = $2 WHERE id = $3");
    db_bind_text(set, 1, in->password_hash);
    db_bind_int(set, 2, in->now);
    db_bind_int(set, 3, account_id);
    if ((err = db_exec(set)) != KITE_OK)
        return err;
    /* This link and any other the account was sent: one new password per mail asked for. */
    db_stmt *spend = db_prepare(conn, "UPDATE password_resets SET used_at = $1 WHERE account_id = $2 AND used_at IS NULL");
    db_bind_int(spend, 1, in->now);
    db_bind_int(spend, 2, account_id);
    /* The link came to the address, so the address is proven (email_verify.h). */
    bool verified = false;
    const char *actor = audit_actor_account(in->a, account_id);
    if ((err = db_exec(spend)) != KITE_OK || (err = session_end_all(conn, account_id, in->now)) != KITE_OK ||
        (err = throttle_clear(conn, arena_sprintf(in->a, "account:%s", email))) != KITE_OK ||
        (err = email_verify_mark(conn, in->a, account_id, actor, "password_reset", in->now, &verified)) != KITE_OK)
        return err;
    return audit_append(conn, in->now, audit_actor_account(in->a, account_id), "account.password_reset",
                        audit_target(in->a, "account", account_id), "sessions ended");
}

kite_err password_reset_confirm(const kite_ctx *ctx, arena *a, const char *token, const char *password,
                                kite_fault *fault)
{
    *fault = (kite_fault){0};
    /* A token is SECRET_TOKEN_HEX - 1 hex digits; anything else names no link. */
    if (token == NULL || strlen(token) != SECRET_TOKEN_HEX - 1 || strspn(token, "0123456789abcdef") != SECRET_TOKEN_HEX - 1)
        return fault_settle(fault, KITE_ERR_RESET_LINK_EXPIRED);
    if (password == NULL || strlen(password) > PASSWORD_MAX_BYTES || !utf8_valid(password, strlen(password)))
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "password", FAULT_NOT_VALID);
    kite_err err = password_policy_check(password);
    if (err != KITE_OK)
        return fault_set(fault, err, "password", FAULT_NONE);
    char hash[PASSWORD_HASH_MAX], token_hash[SECRET_SHA256_HEX];
    secret_sha256_hex(token, strlen(token), token_hash);
    struct reset_confirm in = {a, token_hash, NULL, clock_now_ms(&ctx->clock), NULL, NULL};
    /* Whose link it is, first: the new password may not be their email or name. */
    if ((err = db_read(ctx->store, owner_tx, &in)) != KITE_OK)
        return fault_settle(fault, err);
    if (password_personal_check(a, password, in.email, in.full_name) != KITE_OK)
        return fault_set(fault, KITE_ERR_WEAK_PASSWORD, "password", FAULT_PASSWORD_PERSONAL);
    if ((err = password_hash(ctx->passwords, password, hash)) != KITE_OK)
        return fault_settle(fault, err);
    in.password_hash = hash;
    return fault_settle(fault, db_write(ctx->store, confirm_tx, &in));
}

/* ---- a password changed by its owner ---- */

struct password_change {
    const kite_ctx *ctx;
    arena *a;
    const session *s;
    const char *throttle_key; /* the sign-in throttle of the account (session_confirm_password), cleared on success */
    const char *new_hash;
    int64_t now;
    kite_fault fault;
};

/* The owner is told, at the account's address, that the password changed: a stranger's change does not go unseen. */
static kite_err enqueue_changed_mail(db_conn *conn, const struct password_change *in)
{
    static const notice_text words[FAULT_LANG_COUNT] = {
        [FAULT_LANG_EN] = {"Your Kite password was changed",
                           {"Hello {name},",
                            "The password of your Kite account ({email}) was just changed, and every other device "
                            "signed in to it was signed out.",
                            "If you did this, there is nothing more to do. If you did not, reset your password now "
                            "from the sign-in page (\"Forgot your password?\"), which signs everyone out again."},
                           "Sign in"},
        [FAULT_LANG_ES] = {"Se cambió su contraseña de Kite",
                           {"Hola, {name}:",
                            "Se acaba de cambiar la contraseña de su cuenta de Kite ({email}), y se cerró la sesión "
                            "en todos los demás dispositivos conectados a ella.",
                            "Si fue usted, no tiene que hacer nada más. Si no fue usted, cambie su contraseña ahora "
                            "desde la página de inicio de sesión (\"¿Olvidó su contraseña?\"), lo que vuelve a cerrar "
                            "todas las sesiones."},
                           "Iniciar sesión"},
    };
    const account *acct = &in->s->account;
    const char *values[] = {"name", acct->full_name, "email", acct->email, NULL};
    notice n = {.to = acct->email, .kind = "password_changed", .text = words, .values = values,
                .link_path = "/signin", .lang = acct->lang};
    return notice_enqueue(conn, in->ctx->public_url, in->a, in->now, &n);
}

static kite_err change_tx(db_conn *conn, void *data)
{
    struct password_change *in = data;
    int64_t id = in->s->account.id;
    db_stmt *set = db_prepare(conn, "UPDATE accounts SET password_hash = $1, updated_at = $2 WHERE id = $3");
    db_bind_text(set, 1, in->new_hash);
    db_bind_int(set, 2, in->now);
    db_bind_int(set, 3, id);
    kite_err err = db_exec(set);
    if (err != KITE_OK)
        return err;
    db_stmt *others = db_prepare(conn,
        "UPDATE sessions SET revoked_at = $1 WHERE account_id = $2 AND id <> $3 AND revoked_at IS NULL");
    db_bind_int(others, 1, in->now);
    db_bind_int(others, 2, id);
    db_bind_int(others, 3, in->s->id);
    if ((err = db_exec(others)) != KITE_OK || (err = throttle_clear(conn, in->throttle_key)) != KITE_OK ||
        (err = enqueue_changed_mail(conn, in)) != KITE_OK)
        return err;
    return audit_append(conn, in->now, audit_actor_account(in->a, id), "account.password_changed",
                        audit_target(in->a, "account", id), arena_sprintf(in->a, "kept session=%" PRId64, in->s->id));
}

kite_err password_change(const kite_ctx *ctx, arena *a, const session *s, const char *current, const char *password,
                         kite_fault *fault)
{
    *fault = (kite_fault){0};
    if (s->account.email == NULL || *s->account.email == '\0')
        return fault_settle(fault, KITE_ERR_FORBIDDEN); /* residents have a PIN, which staff reset */
    if (password == NULL || strlen(password) > PASSWORD_MAX_BYTES || !utf8_valid(password, strlen(password)))
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "new_password", FAULT_NOT_VALID);
    kite_err err = password_policy_check(password);
    if (err != KITE_OK)
        return fault_set(fault, err, "new_password", FAULT_NONE);
    if (password_personal_check(a, password, s->account.email, s->account.full_name) != KITE_OK)
        return fault_set(fault, KITE_ERR_WEAK_PASSWORD, "new_password", FAULT_PASSWORD_PERSONAL);
    struct password_change in = {ctx, a, s, NULL, NULL, clock_now_ms(&ctx->clock), {0}};
    if ((err = session_confirm_password(ctx, a, s, current, &in.throttle_key, fault)) != KITE_OK)
        return err;
    char hash[PASSWORD_HASH_MAX];
    if ((err = password_hash(ctx->passwords, password, hash)) != KITE_OK)
        return fault_settle(fault, err);
    in.new_hash = hash;
    return fault_settle(fault, db_write(ctx->store, change_tx, &in));
}
