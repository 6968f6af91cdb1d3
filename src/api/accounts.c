#include "api/app.h"

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
        const char *bad_field = NULL;
        kite_err err = account_register(&app->ctx, http_arena(req), &reg, NULL, &acct, &bad_field);
        if (err == KITE_ERR_INVALID_FIELD)
            http_reply_error(req, err,
                             arena_sprintf(http_arena(req), "The field \"%s\" is not valid. Correct it and try again.", bad_field),
                             bad_field);
        else if (err == KITE_ERR_WEAK_PASSWORD)
            http_reply_error(req, err, NULL, "password");
        else if (err != KITE_OK)
            reply_kite_error(req, err);
        else
            http_reply_json(req, 201, account_to_json(&acct));
    }
    json_decref(body);
}

void handle_me(http_request *req, void *data)
{
    const session *s = require_session_or_reply(req, data);
    if (s == NULL)
        return;
    http_reply_json(req, 200, account_to_json(&s->account));
}
