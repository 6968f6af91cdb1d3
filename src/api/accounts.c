#include "api/app.h"

#include "core/log.h"
#include "domain/directory/directory.h"
#include "domain/identity/email_change.h"
#include "domain/identity/email_verify.h"
#include "domain/identity/password_reset.h"

void handle_accounts_create(http_request *req, void *data)
{
    kite_app *app = data;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    registration reg;
    if (body_string_or_reply(req, body, "email", true, &reg.email) &&
        body_string_or_reply(req, body, "password", true, &reg.password) &&
        body_string_or_reply(req, body, "full_name", true, &reg.full_name) &&
        body_string_or_reply(req, body, "phone", true, &reg.phone)) {
        account acct;
        kite_fault fault;
        kite_err err = account_registration_allowed(&app->ctx, http_arena(req), http_client_address(req), &fault);
        if (err == KITE_OK)
            err = account_register(&app->ctx, http_arena(req), &reg, NULL, &acct, &fault);
        /* Only accounts actually made count against the address. */
        if (err == KITE_OK && account_registration_count(&app->ctx, http_arena(req), http_client_address(req)) != KITE_OK)
            log_warn("api: could not count a registration for its address");
        if (err != KITE_OK)
            reply_fault(req, &fault);
        else
            http_reply_json(req, 201, account_to_json(&acct));
    }
    json_decref(body);
}

/* Where the resident is now, and whether Kite still serves them there. */
static kite_err resident_view(kite_app *app, http_request *req, int64_t account_id, json_t **out)
{
    resident r = {0};
    facility f;
    facility_service services[8];
    kite_err err = resident_get_by_account(&app->ctx, http_arena(req), account_id, &r);
    if (err == KITE_OK)
        err = directory_get(&app->ctx, http_arena(req), r.facility_id, &f, services);
    if (err != KITE_OK)
        return err;
    json_t *view = resident_to_json(&r);
    json_object_set_new(view, "facility",
                        json_pack("{s:I, s:s, s:b, s:{s:s, s:s}}", "id", (json_int_t)f.id, "name", f.name,
                                  "on_platform", f.on_platform, "messaging_provider", "slug", f.messaging_slug,
                                  "name", f.messaging_name));
    *out = view;
    return KITE_OK;
}

void handle_me(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_session_or_reply(req, app);
    if (s == NULL)
        return;
    json_t *out = account_to_json(&s->account);
    if (s->account.role == ROLE_RESIDENT) {
        json_t *view = NULL;
        kite_err err = resident_view(app, req, s->account.id, &view);
        if (err != KITE_OK) {
            json_decref(out);
            reply_kite_error(req, err);
            return;
        }
        json_object_set_new(out, "resident", view);
    }
    http_reply_json(req, 200, out);
}

/* POST /api/v1/password-resets: the same 202 whether or not an account has the address (password_reset.h). */
void handle_password_resets_create(http_request *req, void *data)
{
    kite_app *app = data;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    const char *email;
    if (body_string_or_reply(req, body, "email", true, &email)) {
        kite_fault fault;
        kite_err err = password_reset_request(&app->ctx, http_arena(req), email, http_client_address(req), &fault);
        if (err != KITE_OK)
            reply_fault(req, &fault);
        else
            http_reply_json(req, 202, json_pack("{s:s}", "status", "sent_if_account_exists"));
    }
    json_decref(body);
}

/* POST /api/v1/password-resets/confirm: the link's token and the new password; 410 when the link is spent. */
void handle_password_resets_confirm(http_request *req, void *data)
{
    kite_app *app = data;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    const char *token, *password;
    if (body_string_or_reply(req, body, "token", true, &token) &&
        body_string_or_reply(req, body, "password", true, &password)) {
        kite_fault fault;
        kite_err err = password_reset_confirm(&app->ctx, http_arena(req), token, password, &fault);
        if (err != KITE_OK)
            reply_fault(req, &fault);
        else
            http_reply_empty(req, 204);
    }
    json_decref(body);
}

/* POST /api/v1/me/password: {current_password, new_password}; every other session ends. */
void handle_me_password(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_session_or_reply(req, app);
    if (s == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    const char *current, *password;
    if (body_string_or_reply(req, body, "current_password", true, &current) &&
        body_string_or_reply(req, body, "new_password", true, &password)) {
        kite_fault fault;
        kite_err err = password_change(&app->ctx, http_arena(req), s, current, password, &fault);
        if (err != KITE_OK)
            reply_fault(req, &fault);
        else
            http_reply_empty(req, 204);
    }
    json_decref(body);
}

/* POST /api/v1/me/email: {new_email, current_password} → 202 whether or not the new address is free. */
void handle_me_email(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_session_or_reply(req, app);
    if (s == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    const char *new_email, *current;
    if (body_string_or_reply(req, body, "new_email", true, &new_email) &&
        body_string_or_reply(req, body, "current_password", true, &current)) {
        kite_fault fault;
        kite_err err = email_change_request(&app->ctx, http_arena(req), s, new_email, current, &fault);
        if (err != KITE_OK)
            reply_fault(req, &fault);
        else
            http_reply_json(req, 202, json_pack("{s:s}", "status", "confirmation_sent"));
    }
    json_decref(body);
}

/* POST /api/v1/me/email-verification: a new link (204 whether or not one could be sent; 429 past the hour's bound). */
void handle_me_email_verification(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_session_or_reply(req, app);
    if (s == NULL)
        return;
    kite_fault fault;
    if (email_verification_resend(&app->ctx, http_arena(req), s, &fault) != KITE_OK)
        reply_fault(req, &fault);
    else
        http_reply_empty(req, 204);
}

/* One {token} body, one confirm call: the two link endpoints below. */
static void confirm_token(http_request *req, kite_app *app,
                          kite_err (*confirm)(const kite_ctx *, arena *, const char *, kite_fault *))
{
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    const char *token;
    if (body_string_or_reply(req, body, "token", true, &token)) {
        kite_fault fault;
        if (confirm(&app->ctx, http_arena(req), token, &fault) != KITE_OK)
            reply_fault(req, &fault);
        else
            http_reply_empty(req, 204);
    }
    json_decref(body);
}

/* POST /api/v1/email-verifications/confirm: {token} → 204; 410 used or expired; 404 unknown. */
void handle_email_verifications_confirm(http_request *req, void *data)
{
    confirm_token(req, data, email_verification_confirm);
}

/* POST /api/v1/email-changes/confirm: {token} → 204, the account has its new address. */
void handle_email_changes_confirm(http_request *req, void *data)
{
    confirm_token(req, data, email_change_confirm);
}
