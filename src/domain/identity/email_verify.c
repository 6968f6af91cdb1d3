/*
 * email_verify.c - verification links, the paid-action check, and the
 * accounts an address may hold (email_verify.h says what a person sees).
 *
 * Design: as password_reset.c.  A link carries a 256-bit random token; the
 * store keeps its SHA-256 (email_verifications.token_hash) with the account,
 * its expiry and when it was used.  Issuing is part of the caller's write
 * transaction (registration) or one of its own (a resend); confirming is one
 * write transaction: the row checked, the account marked, every link of it
 * spent, the address's other unverified accounts retired, all audited.
 *
 * The unique index accounts_email_verified (migration 19) is the rule that
 * an address has one verified account at most; marking checks it in its
 * UPDATE (NOT EXISTS), so two links racing cannot both win, and the loser's
 * answer is "expired", never a store error.
 *
 * SECURITY: tokens from the network are checked for shape, then compared by
 * their hash through a UNIQUE index.  Nothing a stranger sees depends on
 * whether the address has a verified account: a resend answers 204 and is
 * counted the same whether or not a mail goes out (throttle key
 * verify-mail:<id>), and registration counts its own link the same way.
 */
#include "domain/identity/email_verify.h"

#include "core/clock.h"
#include "core/secret.h"
#include "domain/audit/audit.h"
#include "domain/identity/throttle.h"
#include "mail/notice.h"

#include <inttypes.h>
#include <string.h>

#define HOUR_MS (60LL * 60 * 1000)
static const throttle_rule mail_rule = {EMAIL_VERIFICATIONS_PER_HOUR, HOUR_MS};

kite_err email_verify_require(const account *acct, kite_fault *fault)
{
    if (acct->role != ROLE_CONTACT || acct->email_verified_at > 0)
        return KITE_OK;
    return fault_set(fault, KITE_ERR_EMAIL_NOT_VERIFIED, NULL, FAULT_EMAIL_NOT_VERIFIED);
}

const char *email_masked(arena *a, const char *email)
{
    const char *at = strchr(email, '@');
    if (at == NULL || at == email)
        return "***";
    return arena_sprintf(a, "%c***%s", email[0], at);
}

static const char *mail_key(arena *a, int64_t account_id)
{
    return arena_sprintf(a, "verify-mail:%" PRId64, account_id);
}

/* A registration's one mail: what Kite is for, the next steps, and the link that confirms the address. */
static const notice_text welcome_words[FAULT_LANG_COUNT] = {
    [FAULT_LANG_EN] = {"Welcome to Kite",
                       {"Hello {name},",
                        "Welcome to Kite. Your account for {email} is ready.",
                        "Kite helps families and friends stay in touch with someone in a prison or jail: you can "
                        "exchange messages with them (facility staff review each one before it is delivered), see "
                        "which services their facility offers and how to use them, all in one place.",
                        "First, confirm that this is your email address with the link below (it works once, for 7 "
                        "days). You can use Kite for free before you confirm; paying for anything needs a confirmed "
                        "address.",
                        "Then find your loved one's facility in the directory, or, if they have sent you an "
                        "invitation, open it and accept it.",
                        "If you did not create this account, ignore this email: the account stays unconfirmed and is "
                        "removed."},
                       "Confirm my email address"},
    [FAULT_LANG_ES] = {"Bienvenido a Kite",
                       {"Hola, {name}:",
                        "Le damos la bienvenida a Kite. Su cuenta para {email} está lista.",
                        "Kite ayuda a familias y amigos a mantenerse en contacto con alguien que está en una prisión "
                        "o una cárcel: puede intercambiar mensajes con esa persona (el personal del centro revisa "
                        "cada uno antes de entregarlo) y ver qué servicios ofrece su centro y cómo usarlos, todo en "
                        "un solo lugar.",
                        "Primero, confirme que este es su correo electrónico con el enlace de abajo (funciona una "
                        "sola vez, durante 7 días). Puede usar Kite gratis antes de confirmar; para pagar cualquier "
                        "cosa necesita un correo confirmado.",
                        "Después, busque el centro de su ser querido en el directorio o, si le envió una invitación, "
                        "ábrala y acéptela.",
                        "Si usted no creó esta cuenta, ignore este correo: la cuenta queda sin confirmar y se elimina."},
                       "Confirmar mi correo electrónico"},
};

kite_err email_verify_issue(db_conn *conn, const kite_ctx *ctx, arena *a, const account *acct, int64_t now,
                            bool welcome)
{
    char token[SECRET_TOKEN_HEX], token_hash[SECRET_SHA256_HEX];
    secret_token(token);
    secret_sha256_hex(token, strlen(token), token_hash);
    db_stmt *insert = db_prepare(conn,
        "INSERT INTO email_verifications (account_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)");
    db_bind_int(insert, 1, acct->id);
    db_bind_text(insert, 2, token_hash);
    db_bind_int(insert, 3, now);
    db_bind_int(insert, 4, now + EMAIL_VERIFICATION_TTL_MS);
    kite_err err = db_exec(insert);
    if (err == KITE_OK)
        err = throttle_record_failure(conn, now, mail_key(a, acct->id), mail_rule);
    if (err != KITE_OK)
        return err;
    static const notice_text words[FAULT_LANG_COUNT] = {
        [FAULT_LANG_EN] = {"Confirm your email address for Kite",
                           {"Hello {name},",
                            "Please confirm that {email} is your email address, so that Kite can reach you about "
                            "your messages and payments.",
                            "The link below works once, for the next 7 days. You can use Kite for free before you "
                            "confirm; paying for anything needs a confirmed address.",
                            "If you did not create a Kite account, ignore this email: the account stays unconfirmed "
                            "and is removed."},
                           "Confirm my email address"},
        [FAULT_LANG_ES] = {"Confirme su correo electrónico para Kite",
                           {"Hola, {name}:",
                            "Confirme que {email} es su correo electrónico, para que Kite pueda avisarle sobre sus "
                            "mensajes y pagos.",
                            "El enlace de abajo funciona una sola vez, durante los próximos 7 días. Puede usar Kite "
                            "gratis antes de confirmar; para pagar cualquier cosa necesita un correo confirmado.",
                            "Si usted no creó una cuenta de Kite, ignore este correo: la cuenta queda sin confirmar "
                            "y se elimina."},
                           "Confirmar mi correo electrónico"},
    };
    const char *values[] = {"name", acct->full_name, "email", acct->email, NULL};
    notice n = {.to = acct->email, .kind = welcome ? "account" : "email_verification",
                .text = welcome ? welcome_words : words, .values = values,
                .link_path = arena_sprintf(a, "/verify-email?token=%s", token), .lang = acct->lang};
    return notice_enqueue(conn, ctx->public_url, a, now, &n);
}

kite_err email_verify_notice_taken(db_conn *conn, const kite_ctx *ctx, arena *a, const char *email, fault_lang lang,
                                   int64_t now)
{
    static const notice_text words[FAULT_LANG_COUNT] = {
        [FAULT_LANG_EN] = {"Someone tried to create a Kite account with your email",
                           {"Hello,",
                            "Someone asked to create a Kite account with this address ({email}). If it was you, you "
                            "already have an account: sign in, or reset your password from the sign-in page "
                            "(\"Forgot your password?\").",
                            "If it was not you, ignore this email: nothing changes on your account, and nobody can "
                            "use your address on Kite without this mailbox."},
                           "Sign in"},
        [FAULT_LANG_ES] = {"Alguien intentó crear una cuenta de Kite con su correo",
                           {"Hola:",
                            "Alguien pidió crear una cuenta de Kite con esta dirección ({email}). Si fue usted, ya "
                            "tiene una cuenta: inicie sesión, o cambie su contraseña desde la página de inicio de "
                            "sesión (\"¿Olvidó su contraseña?\").",
                            "Si no fue usted, ignore este correo: nada cambia en su cuenta, y nadie puede usar su "
                            "dirección en Kite sin acceso a este buzón."},
                           "Iniciar sesión"},
    };
    const char *values[] = {"email", email, NULL};
    notice n = {.to = email, .kind = "registration_existing", .text = words, .values = values, .link_path = "/signin",
                .lang = lang};
    return notice_enqueue(conn, ctx->public_url, a, now, &n);
}

/* Disables one unverified account: it can no longer sign in, be verified or be counted. */
static kite_err retire(db_conn *conn, arena *a, int64_t id, int64_t now, const char *why)
{
    db_stmt *s = db_prepare(conn,
        "UPDATE accounts SET status = 'disabled', updated_at = $2 WHERE id = $1 AND email_verified_at IS NULL");
    db_bind_int(s, 1, id);
    db_bind_int(s, 2, now);
    kite_err err = db_exec(s);
    if (err != KITE_OK || (err = session_end_all(conn, id, now)) != KITE_OK)
        return err;
    db_stmt *spend = db_prepare(conn, "UPDATE email_verifications SET used_at = $1 WHERE account_id = $2 AND used_at IS NULL");
    db_bind_int(spend, 1, now);
    db_bind_int(spend, 2, id);
    if ((err = db_exec(spend)) != KITE_OK)
        return err;
    return audit_append(conn, now, "system", "account.unverified_retired", audit_target(a, "account", id), why);
}

enum { RETIRE_BATCH = 64 };

/* Retires the rows of s (one id column) after the first keep. */
static kite_err retire_rows(db_conn *conn, arena *a, db_stmt *s, size_t keep, int64_t now, const char *why)
{
    int64_t ids[RETIRE_BATCH];
    size_t n = 0, seen = 0;
    while (n < RETIRE_BATCH && db_next(s))
        if (seen++ >= keep)
            ids[n++] = db_int(s, 0);
    kite_err err = db_done(s);
    for (size_t i = 0; err == KITE_OK && i < n; i++)
        err = retire(conn, a, ids[i], now, why);
    return err;
}

kite_err email_verify_make_room(db_conn *conn, arena *a, const char *email, int64_t now)
{
    db_stmt *s = db_prepare(conn,
        "SELECT id FROM accounts WHERE email = $1 AND email_verified_at IS NULL AND status = 'active' ORDER BY id DESC");
    db_bind_text(s, 1, email);
    return retire_rows(conn, a, s, ACCOUNT_UNVERIFIED_PER_EMAIL - 1, now, "replaced by a newer registration");
}

kite_err email_verify_retire_others(db_conn *conn, arena *a, int64_t keep_id, const char *email, int64_t now)
{
    db_stmt *s = db_prepare(conn,
        "SELECT id FROM accounts WHERE email = $1 AND id <> $2 AND email_verified_at IS NULL AND status = 'active'");
    db_bind_text(s, 1, email);
    db_bind_int(s, 2, keep_id);
    return retire_rows(conn, a, s, 0, now, arena_sprintf(a, "address verified by account:%" PRId64, keep_id));
}

kite_err email_verify_mark(db_conn *conn, arena *a, int64_t account_id, const char *actor, const char *how,
                           int64_t now, bool *marked)
{
    db_stmt *set = db_prepare(conn,
        "UPDATE accounts SET email_verified_at = $2, updated_at = $2 WHERE id = $1 AND email_verified_at IS NULL"
        " AND email IS NOT NULL AND status = 'active'"
        " AND NOT EXISTS (SELECT 1 FROM accounts v WHERE v.email = accounts.email AND v.email_verified_at IS NOT NULL)");
    db_bind_int(set, 1, account_id);
    db_bind_int(set, 2, now);
    kite_err err = db_exec(set);
    *marked = err == KITE_OK && db_changes(conn) == 1;
    if (err != KITE_OK || !*marked)
        return err;
    account acct;
    if ((err = account_load(conn, a, account_id, &acct)) != KITE_OK)
        return err;
    db_stmt *spend = db_prepare(conn, "UPDATE email_verifications SET used_at = $1 WHERE account_id = $2 AND used_at IS NULL");
    db_bind_int(spend, 1, now);
    db_bind_int(spend, 2, account_id);
    if ((err = db_exec(spend)) != KITE_OK ||
        (err = email_verify_retire_others(conn, a, account_id, acct.email, now)) != KITE_OK)
        return err;
    return audit_append(conn, now, actor, "account.email_verified", audit_target(a, "account", account_id),
                        arena_sprintf(a, "email=%s by=%s", acct.email, how));
}

/* ---- a new link, asked for by its owner ---- */

struct resend {
    const kite_ctx *ctx;
    arena *a;
    int64_t account_id;
    int64_t now;
    kite_fault fault;
};

static kite_err resend_tx(db_conn *conn, void *data)
{
    struct resend *in = data;
    const char *key = mail_key(in->a, in->account_id);
    kite_err err = throttle_check(conn, in->now, key, mail_rule, &in->fault);
    if (err != KITE_OK)
        return err;
    account acct, owner;
    if ((err = account_load(conn, in->a, in->account_id, &acct)) != KITE_OK)
        return err;
    if (acct.role != ROLE_CONTACT || acct.email_verified_at > 0 || acct.email == NULL)
        return KITE_OK; /* nothing to prove */
    err = account_load_verified(conn, in->a, acct.email, &owner, NULL);
    if (err == KITE_OK) /* never verifiable: counted like a mail, so the answers stay alike */
        return throttle_record_failure(conn, in->now, key, mail_rule);
    if (err != KITE_ERR_NOT_FOUND)
        return err;
    if ((err = email_verify_issue(conn, in->ctx, in->a, &acct, in->now, false)) != KITE_OK)
        return err;
    return audit_append(conn, in->now, audit_actor_account(in->a, acct.id), "account.email_verification_sent",
                        audit_target(in->a, "account", acct.id), "");
}

kite_err email_verification_resend(const kite_ctx *ctx, arena *a, const session *s, kite_fault *fault)
{
    *fault = (kite_fault){0};
    struct resend in = {ctx, a, s->account.id, clock_now_ms(&ctx->clock), {0}};
    kite_err err = db_write(ctx->store, resend_tx, &in);
    if (err == KITE_ERR_THROTTLED) {
        *fault = in.fault;
        fault->detail = FAULT_VERIFICATION_MAILS;
    }
    return fault_settle(fault, err);
}

/* ---- following the link ---- */

struct confirm {
    arena *a;
    const char *token_hash;
    int64_t now;
};

static kite_err confirm_tx(db_conn *conn, void *data)
{
    struct confirm *in = data;
    db_stmt *s = db_prepare(conn,
        "SELECT v.account_id, v.used_at, v.expires_at FROM email_verifications v WHERE v.token_hash = $1");
    db_bind_text(s, 1, in->token_hash);
    bool found = db_next(s);
    int64_t account_id = found ? db_int(s, 0) : 0;
    bool usable = found && db_is_null(s, 1) && db_int(s, 2) > in->now;
    kite_err err = db_done(s);
    if (err != KITE_OK)
        return err;
    if (!found)
        return KITE_ERR_NOT_FOUND;
    if (!usable)
        return KITE_ERR_VERIFICATION_LINK_EXPIRED;
    bool marked = false;
    const char *actor = audit_actor_account(in->a, account_id);
    if ((err = email_verify_mark(conn, in->a, account_id, actor, "link", in->now, &marked)) != KITE_OK || marked)
        return err;
    /* Not marked: verified already (another way: the link is simply spent), or never can be. */
    account acct;
    if ((err = account_load(conn, in->a, account_id, &acct)) != KITE_OK)
        return err;
    if (acct.email_verified_at == 0 || acct.status != ACCOUNT_ACTIVE)
        return KITE_ERR_VERIFICATION_LINK_EXPIRED;
    db_stmt *spend = db_prepare(conn, "UPDATE email_verifications SET used_at = $1 WHERE token_hash = $2");
    db_bind_int(spend, 1, in->now);
    db_bind_text(spend, 2, in->token_hash);
    return db_exec(spend);
}

kite_err email_verification_confirm(const kite_ctx *ctx, arena *a, const char *token, kite_fault *fault)
{
    *fault = (kite_fault){0};
    if (token == NULL || strlen(token) != SECRET_TOKEN_HEX - 1 ||
        strspn(token, "0123456789abcdef") != SECRET_TOKEN_HEX - 1)
        return fault_set(fault, KITE_ERR_NOT_FOUND, "token", FAULT_VERIFICATION_LINK);
    char token_hash[SECRET_SHA256_HEX];
    secret_sha256_hex(token, strlen(token), token_hash);
    struct confirm in = {a, token_hash, clock_now_ms(&ctx->clock)};
    kite_err err = db_write(ctx->store, confirm_tx, &in);
    if (err == KITE_ERR_NOT_FOUND || err == KITE_ERR_VERIFICATION_LINK_EXPIRED)
        return fault_set(fault, err, err == KITE_ERR_NOT_FOUND ? "token" : NULL, FAULT_VERIFICATION_LINK);
    return fault_settle(fault, err);
}

/* ---- support, and the sweeper ---- */

struct by_operator {
    arena *a;
    const char *email;
    int64_t now;
    int64_t account_id;
};

static kite_err by_operator_tx(db_conn *conn, void *data)
{
    struct by_operator *in = data;
    account acct;
    kite_err err = account_load_by_email(conn, in->a, in->email, &acct, NULL);
    if (err != KITE_OK)
        return err;
    in->account_id = acct.id;
    bool marked = false;
    return email_verify_mark(conn, in->a, acct.id, "cli", "operator", in->now, &marked);
}

kite_err email_verify_by_operator(const kite_ctx *ctx, arena *a, const char *email, int64_t *account_id)
{
    const char *norm = NULL;
    if (email == NULL || email_normalize(a, email, &norm) != KITE_OK)
        return KITE_ERR_INVALID_FIELD;
    struct by_operator in = {a, norm, clock_now_ms(&ctx->clock), 0};
    kite_err err = db_write(ctx->store, by_operator_tx, &in);
    *account_id = in.account_id;
    return err;
}

struct sweep {
    arena *a;
    int64_t now;
    int64_t retired;
};

static kite_err sweep_tx(db_conn *conn, void *data)
{
    struct sweep *in = data;
    int64_t before = in->now - EMAIL_UNVERIFIED_IDLE_MS;
    db_stmt *s = db_prepare(conn,
        "SELECT a.id FROM accounts a WHERE a.email_verified_at IS NULL AND a.role = 'contact'"
        " AND a.status = 'active' AND a.created_at < $1"
        " AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.account_id = a.id AND s.created_at >= $1)"
        " ORDER BY a.id LIMIT 64");
    db_bind_int(s, 1, before);
    int64_t ids[RETIRE_BATCH];
    size_t n = 0;
    while (n < RETIRE_BATCH && db_next(s))
        ids[n++] = db_int(s, 0);
    kite_err err = db_done(s);
    for (size_t i = 0; err == KITE_OK && i < n; i++)
        err = retire(conn, in->a, ids[i], in->now, "unverified and unused for 7 days");
    in->retired = err == KITE_OK ? (int64_t)n : 0;
    return err;
}

kite_err email_verify_sweep(const kite_ctx *ctx, arena *a, int64_t *retired)
{
    struct sweep in = {a, clock_now_ms(&ctx->clock), 0};
    kite_err err = db_write(ctx->store, sweep_tx, &in);
    *retired = in.retired;
    return err;
}
