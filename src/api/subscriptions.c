/*
 * subscriptions.c - POST /api/v1/wallet/subscriptions: a contact buys months
 * of a facility's message subscription from the balance
 * (domain/ledger/subscription.h); GET /api/v1/wallet lists the active ones
 * (subscriptions_json).
 *
 * SECURITY: money.  Idempotency-Key is required, so a retried purchase is
 * never a second one; the price comes from the facility's schedule.
 */
#include "api/app.h"

#include "domain/ledger/subscription.h"

static json_t *subscription_to_json(const wallet_subscription *s)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:o, s:o}", "id", (json_int_t)s->id, "facility_id",
                     (json_int_t)s->facility_id, "months", (json_int_t)s->months, "price_cents",
                     (json_int_t)s->price_cents, "starts_at", json_time(s->starts_at), "ends_at", json_time(s->ends_at));
}

json_t *subscriptions_json(kite_app *app, int64_t account_id)
{
    json_t *items = json_array();
    wallet_subscription subs[SUBSCRIPTIONS_SHOWN];
    size_t n = 0;
    if (account_id == 0 || subscriptions_active(&app->ctx, account_id, subs, &n) != KITE_OK)
        return items; /* a resident has none; a failed read shows none rather than failing the wallet */
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, subscription_to_json(&subs[i]));
    return items;
}

void handle_wallet_subscriptions_create(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_payer_or_reply(req, app, ROLE_BIT(ROLE_CONTACT));
    if (s == NULL)
        return;
    const char *key = idempotency_key_or_reply(req);
    if (key == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    int64_t facility_id = 0, months = 0;
    if (body != NULL && body_int_or_reply(req, body, "facility_id", true, &facility_id, NULL) &&
        body_int_or_reply(req, body, "months", true, &months, NULL)) {
        wallet_subscription sub = {0};
        bool replayed = false;
        kite_fault f;
        if (subscription_buy(&app->ctx, http_arena(req), s->account.id, session_actor(req, s), key, facility_id, months,
                             &sub, &replayed, &f) != KITE_OK)
            reply_fault(req, &f);
        else {
            if (replayed)
                http_reply_header(req, "Idempotent-Replayed", "true");
            json_t *out = subscription_to_json(&sub);
            if (!replayed)
                json_object_set_new(out, "balance_cents", json_integer(sub.balance_cents));
            http_reply_json(req, replayed ? 200 : 201, out);
        }
    }
    json_decref(body);
}
