/*
 * email_change.c - moving an account to another address (email_change.h
 * says what a person sees).
 *
 * Design: as password_reset.c.  The password is checked outside any
 * transaction (Argon2), between a read of the sign-in throttle and a write
 * of the outcome.  A request is one write transaction: its own throttle, the
 * row (email_changes: the new address, the token's SHA-256, 24 hours), the
 * mails, the audit record.  The row is written whether or not the new
 * address is free (for a taken one its token is never mailed), so that the
 * throttle and every later answer are alike.  Confirming is one write
 * transaction; the unique index on verified addresses is checked first in
 * it, so a link for an address taken meanwhile answers "expired".
 *
 * SECURITY: the new address is normalised as at registration and bound as a
 * parameter; the token is checked for shape and compared by its hash.  The
 * old address learns only a masked form of the new one.
 */
#include "domain/identity/email_change.h"

#include "core/clock.h"
#include "core/secret.h"
#include "core/text.h"
#include "domain/audit/audit.h"
#include "domain/identity/email_verify.h"
#include "domain/identity/throttle.h"
#include "mail/notice.h"

#include <inttypes.h>
#include <string.h>

static const throttle_rule change_rule = {EMAIL_CHANGES_PER_HOUR, 60LL * 60 * 1000};

struct change_request {
    const kite_ctx *ctx;
    arena *a;
    const session *s;
    const char *new_email;   /* normalised */
    int64_t now;
    kite_fault fault;
};

static kite_err mail_new_address(db_conn *conn, const struct change_request *in, const char *token)
{
    static const notice_text words[FAULT_LANG_COUNT] = {
        [FAULT_LANG_EN] = {"Confirm your new email address for Kite",
                           {"Hello {name},",
                            "You asked to use this address ({email}) for your Kite account from now on.",
                            "The link below works once, for the next 24 hours. Until you use it, your account keeps "
                            "its old address.",
                            "If you did not ask for this, ignore this email: nothing changes."},
                           "Confirm my new address"},
        [FAULT_LANG_ES] = {"Confirme su nuevo correo electrónico para Kite",
                           {"Hola, {name}:",
                            "Usted pidió usar esta dirección ({email}) para su cuenta de Kite de ahora en adelante.",
                            "El enlace de abajo funciona una sola vez, durante las próximas 24 horas. Hasta que lo "
                            "use, su cuenta conserva la dirección anterior.",
                            "Si usted no lo pidió, ignore este correo: nada cambia."},
                           "Confirmar mi nueva dirección"},
    };
    const account *acct = &in->s->account;
    const char *values[] = {"name", acct->full_name, "email", in->new_email, NULL};
    notice n = {.to = in->new_email, .kind = "email_change", .text = words, .values = values,
                .link_path = arena_sprintf(in->a, "/confirm-email?token=%s", token), .lang = acct->lang};
    return notice_enqueue(conn, in->ctx->public_url, in->a, in->now, &n);
}

static kite_err mail_taken_address(db_conn *conn, const struct change_request *in)
{
    static const notice_text words[FAULT_LANG_COUNT] = {
        [FAULT_LANG_EN] = {"Someone tried to use your email on another Kite account",
                           {"Hello,",
                            "Someone asked to move another Kite account to this address ({email}). This address "
                            "already belongs to your Kite account, so nothing was changed.",
                            "If it was you, sign in to the account you want to keep. If it was not, ignore this "
                            "email: your account is as it was."},
                           "Sign in"},
        [FAULT_LANG_ES] = {"Alguien intentó usar su correo en otra cuenta de Kite",
                           {"Hola:",
                            "Alguien pidió pasar otra cuenta de Kite a esta dirección ({email}). Esta dirección ya "
                            "pertenece a su cuenta de Kite, así que no se cambió nada.",
                            "Si fue usted, inicie sesión en la cuenta que quiere conservar. Si no fue usted, ignore "
                            "este correo: su cuenta sigue como estaba."},
                           "Iniciar sesión"},
    };
    /* The owner of the address is not looked up (that would take a read the answer must not wait for): both languages. */
    const char *values[] = {"email", in->new_email, NULL};
    notice n = {.to = in->new_email, .kind = "email_change_existing", .text = words, .values = values,
                .link_path = "/signin", .bilingual = true};
    return notice_enqueue(conn, in->ctx->public_url, in->a, in->now, &n);
}

static kite_err mail_old_address(db_conn *conn, const struct change_request *in)
{
    static const notice_text words[FAULT_LANG_COUNT] = {
        [FAULT_LANG_EN] = {"Your Kite email is being changed",
                           {"Hello {name},",
                            "Your Kite email is being changed to {masked}. It changes when the link we sent to that "
                            "address is used.",
                            "If this was not you, change your password now: sign in, open your account page and "
                            "choose a new password (or reset it from the sign-in page), which also stops this change."},
                           "Sign in"},
        [FAULT_LANG_ES] = {"Se está cambiando su correo de Kite",
                           {"Hola, {name}:",
                            "Su correo de Kite se está cambiando a {masked}. El cambio se hace cuando se use el "
                            "enlace que enviamos a esa dirección.",
                            "Si no fue usted, cambie su contraseña ahora: inicie sesión, abra la página de su cuenta "
                            "y elija una contraseña nueva (o cámbiela desde la página de inicio de sesión), lo que "
                            "también detiene este cambio."},
                           "Iniciar sesión"},
    };
    const account *acct = &in->s->account;
    const char *values[] = {"name", acct->full_name, "masked", email_masked(in->a, in->new_email), NULL};
    notice n = {.to = acct->email, .kind = "email_change_notice", .text = words, .values = values,
                .link_path = "/signin", .lang = acct->lang};
    return notice_enqueue(conn, in->ctx->public_url, in->a, in->now, &n);
}

static kite_err request_tx(db_conn *conn, void *data)
{
    struct change_request *in = data;
    int64_t id = in->s->account.id;
    const char *key = arena_sprintf(in->a, "email-change:%" PRId64, id);
    kite_err err = throttle_check(conn, in->now, key, change_rule, &in->fault);
    if (err == KITE_OK)
        err = throttle_record_failure(conn, in->now, key, change_rule);
    if (err != KITE_OK)
        return err;
    account owner;
    err = account_load_verified(conn, in->a, in->new_email, &owner, NULL);
    if (err != KITE_OK && err != KITE_ERR_NOT_FOUND)
        return err;
    bool taken = err == KITE_OK;
    /* One change waits at a time: the newest request's link is the one that works. */
    db_stmt *spend = db_prepare(conn, "UPDATE email_changes SET used_at = $1 WHERE account_id = $2 AND used_at IS NULL");
    db_bind_int(spend, 1, in->now);
    db_bind_int(spend, 2, id);
    if ((err = db_exec(spend)) != KITE_OK)
        return err;
    char token[SECRET_TOKEN_HEX], token_hash[SECRET_SHA256_HEX];
    secret_token(token);
    secret_sha256_hex(token, strlen(token), token_hash);
    db_stmt *insert = db_prepare(conn,
        "INSERT INTO email_changes (account_id, new_email, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)");
    db_bind_int(insert, 1, id);
    db_bind_text(insert, 2, in->new_email);
    db_bind_text(insert, 3, token_hash);
    db_bind_int(insert, 4, in->now);
    db_bind_int(insert, 5, in->now + EMAIL_CHANGE_TTL_MS);
    if ((err = db_exec(insert)) != KITE_OK)
        return err;
    err = taken ? mail_taken_address(conn, in) : mail_new_address(conn, in, token);
    if (err == KITE_OK)
        err = mail_old_address(conn, in);
    if (err != KITE_OK)
        return err;
    return audit_append(conn, in->now, audit_actor_account(in->a, id), "account.email_change_requested",
                        audit_target(in->a, "account", id),
                        arena_sprintf(in->a, "to=%s%s", in->new_email, taken ? " address_has_verified_account" : ""));
}

kite_err email_change_request(const kite_ctx *ctx, arena *a, const session *s, const char *new_email,
                              const char *current_password, kite_fault *fault)
{
    *fault = (kite_fault){0};
    if (s->account.email == NULL || *s->account.email == '\0')
        return fault_settle(fault, KITE_ERR_FORBIDDEN); /* residents have no email */
    const char *norm = NULL;
    if (new_email == NULL || email_normalize(a, new_email, &norm) != KITE_OK)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "new_email", FAULT_EMAIL);
    if (strcmp(norm, s->account.email) == 0)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "new_email", FAULT_SAME_EMAIL);
    kite_err err = session_confirm_password(ctx, a, s, current_password, NULL, fault);
    if (err != KITE_OK)
        return err;
    struct change_request in = {ctx, a, s, norm, clock_now_ms(&ctx->clock), {0}};
    in.fault = (kite_fault){0};
    err = db_write(ctx->store, request_tx, &in);
    if (err == KITE_ERR_THROTTLED) {
        *fault = in.fault;
        fault->detail = FAULT_EMAIL_CHANGES;
    }
    return fault_settle(fault, err);
}

struct change_confirm {
    arena *a;
    const char *token_hash;
    int64_t now;
};

static kite_err confirm_tx(db_conn *conn, void *data)
{
    struct change_confirm *in = data;
    db_stmt *s = db_prepare(conn,
        "SELECT c.account_id, c.new_email, c.used_at, c.expires_at, a.status, a.email FROM email_changes c"
        " JOIN accounts a ON a.id = c.account_id WHERE c.token_hash = $1");
    db_bind_text(s, 1, in->token_hash);
    bool found = db_next(s);
    int64_t id = found ? db_int(s, 0) : 0;
    const char *new_email = found ? arena_strdup(in->a, db_text(s, 1)) : NULL;
    account_status status = ACCOUNT_DISABLED;
    bool usable = found && db_is_null(s, 2) && db_int(s, 3) > in->now && account_status_parse(db_text(s, 4), &status) &&
                  status == ACCOUNT_ACTIVE;
    const char *old_email = found ? arena_strdup(in->a, db_text(s, 5)) : NULL;
    kite_err err = db_done(s);
    if (err != KITE_OK)
        return err;
    if (!found)
        return KITE_ERR_NOT_FOUND;
    if (!usable)
        return KITE_ERR_EMAIL_CHANGE_LINK_EXPIRED;
    account owner;
    err = account_load_verified(conn, in->a, new_email, &owner, NULL);
    if (err == KITE_OK) /* a verified account took the address meanwhile */
        return KITE_ERR_EMAIL_CHANGE_LINK_EXPIRED;
    if (err != KITE_ERR_NOT_FOUND)
        return err;
    db_stmt *set = db_prepare(conn,
        "UPDATE accounts SET email = $2, email_verified_at = $3, updated_at = $3 WHERE id = $1");
    db_bind_int(set, 1, id);
    db_bind_text(set, 2, new_email);
    db_bind_int(set, 3, in->now);
    if ((err = db_exec(set)) != KITE_OK)
        return err;
    /* Every change link of the account is spent, and so is every verification link (for the old address). */
    db_stmt *spend = db_prepare(conn, "UPDATE email_changes SET used_at = $1 WHERE account_id = $2 AND used_at IS NULL");
    db_bind_int(spend, 1, in->now);
    db_bind_int(spend, 2, id);
    if ((err = db_exec(spend)) != KITE_OK)
        return err;
    db_stmt *links = db_prepare(conn,
        "UPDATE email_verifications SET used_at = $1 WHERE account_id = $2 AND used_at IS NULL");
    db_bind_int(links, 1, in->now);
    db_bind_int(links, 2, id);
    if ((err = db_exec(links)) != KITE_OK || (err = email_verify_retire_others(conn, in->a, id, new_email, in->now)) != KITE_OK)
        return err;
    return audit_append(conn, in->now, audit_actor_account(in->a, id), "account.email_changed",
                        audit_target(in->a, "account", id),
                        arena_sprintf(in->a, "from=%s to=%s", old_email != NULL ? old_email : "", new_email));
}

kite_err email_change_confirm(const kite_ctx *ctx, arena *a, const char *token, kite_fault *fault)
{
    *fault = (kite_fault){0};
    if (token == NULL || strlen(token) != SECRET_TOKEN_HEX - 1 ||
        strspn(token, "0123456789abcdef") != SECRET_TOKEN_HEX - 1)
        return fault_set(fault, KITE_ERR_NOT_FOUND, "token", FAULT_EMAIL_CHANGE_LINK);
    char token_hash[SECRET_SHA256_HEX];
    secret_sha256_hex(token, strlen(token), token_hash);
    struct change_confirm in = {a, token_hash, clock_now_ms(&ctx->clock)};
    kite_err err = db_write(ctx->store, confirm_tx, &in);
    if (err == KITE_ERR_NOT_FOUND || err == KITE_ERR_EMAIL_CHANGE_LINK_EXPIRED)
        return fault_set(fault, err, err == KITE_ERR_NOT_FOUND ? "token" : NULL, FAULT_EMAIL_CHANGE_LINK);
    return fault_settle(fault, err);
}
