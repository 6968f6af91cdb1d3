#include "api/app.h"

#include <stdio.h>

static void reply_signed_in(http_request *req, kite_app *app, const signin_result *result)
{
    char cookie[256];
    snprintf(cookie, sizeof cookie, "kite_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s",
             result->token, (long long)(app->ctx.session_ttl_ms / 1000), app->cookie_secure ? "; Secure" : "");
    http_reply_header(req, "Set-Cookie", cookie);
    http_reply_json(req, 201, json_pack("{s:s, s:s, s:o, s:o, s:b}",
                                        "token", result->token,
                                        "csrf_token", result->csrf,
                                        "expires_at", json_time(result->session.expires_at),
                                        "account", account_to_json(&result->session.account),
                                        "two_factor_enrollment_required", result->session.two_factor_pending));
}

void handle_sessions_create(http_request *req, void *data)
{
    kite_app *app = data;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    const char *email = NULL, *password = NULL, *number = NULL, *pin = NULL, *totp_code = NULL, *recovery = NULL;
    int64_t facility_id = 0;
    bool by_resident = json_object_get(body, "facility_id") != NULL;
    bool fields_ok = by_resident ? body_int_or_reply(req, body, "facility_id", true, &facility_id, NULL) &&
                                    body_string_or_reply(req, body, "resident_number", true, &number) &&
                                    body_string_or_reply(req, body, "pin", true, &pin)
                              : body_string_or_reply(req, body, "email", true, &email) &&
                                    body_string_or_reply(req, body, "password", true, &password) &&
                                    body_string_or_reply(req, body, "totp_code", false, &totp_code) &&
                                    body_string_or_reply(req, body, "recovery_code", false, &recovery);
    if (fields_ok) {
        signin_result result;
        kite_fault fault;
        kite_err err = by_resident ? resident_sign_in(&app->ctx, http_arena(req), facility_id, number, pin,
                                                      http_client_address(req), &result, &fault)
                                   : session_sign_in(&app->ctx, http_arena(req), email, password, totp_code, recovery,
                                                     http_client_address(req), &result, &fault);
        if (err != KITE_OK)
            reply_fault(req, &fault);
        else
            reply_signed_in(req, app, &result);
    }
    json_decref(body);
}

void handle_sessions_delete_current(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_session_or_reply(req, app);
    if (s == NULL)
        return;
    kite_err err = session_sign_out(&app->ctx, http_arena(req), s);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    http_reply_header(req, "Set-Cookie", "kite_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    http_reply_empty(req, 204);
}

/*
 * GET /api/v1/sessions/current: the caller's session, with its CSRF token.
 * A new browser tab has the session cookie but not the token (the page
 * keeps it per tab), and reads it here; no other site can read an answer
 * of Kite's (no CORS), so the token stays the page's.  Every page load of
 * a tab that remembers nothing asks, so "no session" is an answer (200,
 * nulls), not an error.
 */
void handle_sessions_get_current(http_request *req, void *data)
{
    kite_app *app = data;
    const char *token = session_token(req, NULL);
    session *s = arena_zalloc(http_arena(req), sizeof *s);
    kite_err err = token != NULL && *token != '\0' ? session_resolve(&app->ctx, http_arena(req), token, s)
                                                   : KITE_ERR_UNAUTHENTICATED;
    if (err == KITE_ERR_UNAUTHENTICATED || err == KITE_ERR_SESSION_EXPIRED) {
        http_reply_json(req, 200, json_pack("{s:n, s:n, s:n}", "csrf_token", "expires_at", "account"));
        return;
    }
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    char csrf[SECRET_SHA256_HEX];
    session_csrf_token(token, csrf);
    http_reply_json(req, 200, json_pack("{s:s, s:o, s:o, s:b}", "csrf_token", csrf, "expires_at", json_time(s->expires_at),
                                        "account", account_to_json(&s->account),
                                        "two_factor_enrollment_required", s->two_factor_pending));
}

/* DELETE /api/v1/sessions: sign out everywhere, this device included. */
void handle_sessions_delete_all(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_session_or_reply(req, app);
    if (s == NULL)
        return;
    kite_err err = session_sign_out_everywhere(&app->ctx, http_arena(req), s);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    http_reply_header(req, "Set-Cookie", "kite_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    http_reply_empty(req, 204);
}
