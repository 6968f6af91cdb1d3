/*
 * trust.c - POST /api/v1/residents/{id}/trust-deposits: the facility's trust
 * office pays a resident's wages or a lobby cash deposit into their trust
 * account (domain/ledger/trust.h).
 *
 * SECURITY: money.  Idempotency-Key is required, so a retried deposit is
 * never a second one; the domain checks the caller's role and facility from
 * the session, never from the body.  All staff pass this door so that the
 * domain answers 404 for another facility's resident before 403 for a role
 * that may not deposit (as the review endpoints do).
 */
#include "api/app.h"

#include "domain/ledger/trust.h"

void handle_trust_deposits_create(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_OPERATOR) | STAFF_ROLES);
    int64_t resident_id;
    if (s == NULL || !param_id_or_reply(req, 0, &resident_id))
        return;
    const char *key = idempotency_key_or_reply(req);
    if (key == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    int64_t amount = 0;
    const char *memo = NULL;
    if (body != NULL && body_int_or_reply(req, body, "amount_cents", true, &amount, NULL) &&
        body_string_or_reply(req, body, "memo", false, &memo)) {
        trust_deposit d = {0};
        bool replayed = false;
        kite_fault f;
        if (trust_deposit_post(&app->ctx, http_arena(req), &s->account, resident_id, amount, memo, key, &d, &replayed,
                               &f) != KITE_OK)
            reply_fault(req, &f);
        else {
            if (replayed)
                http_reply_header(req, "Idempotent-Replayed", "true");
            http_reply_json(req, replayed ? 200 : 201,
                            json_pack("{s:I, s:I, s:I, s:I, s:I}", "transaction_id", (json_int_t)d.transaction_id,
                                      "resident_id", (json_int_t)d.resident_id, "facility_id",
                                      (json_int_t)d.facility_id, "amount_cents", (json_int_t)d.amount_cents,
                                      "balance_cents", (json_int_t)d.balance_cents));
        }
    }
    json_decref(body);
}
