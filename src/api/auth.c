/*
 * auth.c - who is calling.
 *
 * SECURITY: a token comes either as "Authorization: Bearer" (scripts,
 * tablets) or as the HttpOnly session cookie (browsers).  A cookie is sent by
 * the browser on its own, so state-changing requests that rely on it must
 * also carry the X-Kite-CSRF header, which a foreign page cannot read or
 * forge; bearer tokens are never sent automatically and need no such header.
 */
#include "api/app.h"

#include "core/text.h"
#include "domain/audit/audit.h"
#include "domain/identity/email_verify.h"

#include <string.h>

static bool is_safe_method(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 || strcmp(method, "OPTIONS") == 0;
}

const char *session_token(http_request *req, bool *from_cookie)
{
    const char *authorization = http_header(req, "Authorization");
    bool bearer = authorization != NULL && strncasecmp(authorization, "Bearer ", 7) == 0;
    const char *token = bearer ? authorization + 7 : http_cookie(req, "kite_session");
    if (from_cookie != NULL)
        *from_cookie = !bearer && token != NULL;
    return token;
}

/*
 * What a staff session without two-factor may reach: its own account, signing
 * out, and the enrolment itself (domain/identity/totp.h).
 */
static bool enrolment_path(const char *path)
{
    static const char prefix[] = "/api/v1/me/two-factor";
    return strcmp(path, "/api/v1/me") == 0 || strncmp(path, "/api/v1/sessions", strlen("/api/v1/sessions")) == 0 ||
           strncmp(path, prefix, strlen(prefix)) == 0;
}

const session *require_session_or_reply(http_request *req, kite_app *app)
{
    session *cached = http_app_data(req);
    if (cached != NULL)
        return cached;

    bool from_cookie = false;
    const char *token = session_token(req, &from_cookie);
    if (token == NULL || *token == '\0') {
        http_reply_error(req, KITE_ERR_UNAUTHENTICATED, NULL, NULL);
        return NULL;
    }
    session *s = arena_zalloc(http_arena(req), sizeof *s);
    kite_err err = session_resolve(&app->ctx, http_arena(req), token, s);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return NULL;
    }
    if (from_cookie && !is_safe_method(http_method(req))) {
        char expected[SECRET_SHA256_HEX];
        session_csrf_token(token, expected);
        const char *given = http_header(req, "X-Kite-CSRF");
        if (given == NULL || !text_equal_secret(given, expected)) {
            http_reply_error(req, KITE_ERR_CSRF, NULL, NULL);
            return NULL;
        }
    }
    if (s->two_factor_pending && !enrolment_path(http_path(req))) {
        http_reply_error(req, KITE_ERR_TWO_FACTOR_ENROLLMENT_REQUIRED, NULL, NULL);
        return NULL;
    }
    http_set_app_data(req, s);
    /* From here the account's language speaks, unless Accept-Language named one. */
    http_prefer_lang(req, s->account.lang);
    return s;
}

const session *require_role_or_reply(http_request *req, kite_app *app, unsigned role_mask)
{
    const session *s = require_session_or_reply(req, app);
    if (s == NULL)
        return NULL;
    if ((role_mask & ROLE_BIT(s->account.role)) == 0) {
        http_reply_error(req, KITE_ERR_FORBIDDEN, NULL, NULL);
        return NULL;
    }
    return s;
}

bool email_verified_or_reply(http_request *req, const session *s)
{
    kite_fault fault = {0};
    if (email_verify_require(&s->account, &fault) == KITE_OK)
        return true;
    reply_fault(req, &fault);
    return false;
}

const session *require_payer_or_reply(http_request *req, kite_app *app, unsigned role_mask)
{
    const session *s = require_role_or_reply(req, app, role_mask);
    return s != NULL && email_verified_or_reply(req, s) ? s : NULL;
}

const session *require_facility_role_or_reply(http_request *req, kite_app *app, int64_t facility_id,
                                              unsigned role_mask)
{
    const session *s = require_session_or_reply(req, app);
    if (s == NULL)
        return NULL;
    /* Staff of another facility learn nothing, not even that this exists: 404 before any role check. */
    if (role_is_facility_staff(s->account.role) && s->account.facility_id != facility_id) {
        http_reply_error(req, KITE_ERR_NOT_FOUND, NULL, NULL);
        return NULL;
    }
    if ((role_mask & ROLE_BIT(s->account.role)) == 0) {
        http_reply_error(req, KITE_ERR_FORBIDDEN, NULL, NULL);
        return NULL;
    }
    return s;
}

const char *session_actor(http_request *req, const session *s)
{
    return audit_actor_account(http_arena(req), s->account.id);
}
