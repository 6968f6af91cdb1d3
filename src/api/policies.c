/*
 * policies.c - putting a facility on the platform and changing its rules.
 */
#include "api/app.h"

#include <string.h>

json_t *policy_to_json(const policy *p)
{
    json_t *out = json_object();
    for (size_t i = 0; i < policy_field_count; i++) {
        const policy_field *f = &policy_fields[i];
        const char *base = (const char *)p + f->offset;
        json_t *value;
        if (f->kind == POLICY_CHOICE)
            value = json_string(policy_choice_name(p, f));
        else if (f->kind == POLICY_INT)
            value = json_integer(*(const int64_t *)(const void *)base);
        else
            value = json_boolean(*(const bool *)(const void *)base);
        json_object_set_new(out, f->name, value);
    }
    json_object_set_new(out, "updated_at", json_time(p->updated_at));
    return out;
}

void handle_policy_get(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    if (!param_id_or_reply(req, 0, &facility_id))
        return;
    policy p = {0};
    kite_err err = policy_get(&app->ctx, http_arena(req), facility_id, &p);
    if (err == KITE_ERR_NOT_FOUND) {
        reply_fault_of(req, err, NULL, FAULT_POLICY);
        return;
    }
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    http_reply_json(req, 200, policy_to_json(&p));
}

/* Sets one policy field from its JSON value; answers 422 naming the field when the type is wrong. */
static bool set_field_or_reply(http_request *req, policy *p, const policy_field *f, json_t *value)
{
    char *base = (char *)p + f->offset;
    bool ok = false;
    if (f->kind == POLICY_CHOICE && json_is_string(value)) {
        policy_choice_set(p, f, json_string_value(value));
        ok = true;
    } else if (f->kind == POLICY_INT && json_is_integer(value)) {
        *(int64_t *)(void *)base = (int64_t)json_integer_value(value);
        ok = true;
    } else if (f->kind == POLICY_BOOL && json_is_boolean(value)) {
        *(bool *)(void *)base = json_is_true(value);
        ok = true;
    }
    if (!ok)
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, f->name,
                       f->kind == POLICY_CHOICE ? FAULT_NOT_STRING : f->kind == POLICY_INT ? FAULT_NOT_INTEGER : FAULT_NOT_BOOLEAN);
    return ok;
}

/* The policy the body asks for: its profile's defaults with the body's overrides. */
static bool policy_from_body_or_reply(http_request *req, json_t *body, policy *out)
{
    const char *profile;
    if (!body_string_or_reply(req, body, "profile", true, &profile))
        return false;
    if (policy_defaults(profile, out) != KITE_OK) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "profile", FAULT_CHOICE);
        return false;
    }
    const char *key;
    json_t *value;
    json_object_foreach(body, key, value) {
        const policy_field *f = policy_field_find(key);
        if (f == NULL) {
            reply_fault_of(req, KITE_ERR_INVALID_FIELD, key, FAULT_NOT_POLICY_FIELD);
            return false;
        }
        if (strcmp(key, "profile") != 0 && !set_field_or_reply(req, out, f, value))
            return false;
    }
    kite_fault fault;
    if (policy_validate(out, &fault) != KITE_OK) {
        reply_fault(req, &fault);
        return false;
    }
    return true;
}

void handle_policy_put(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id;
    if (!param_id_or_reply(req, 0, &facility_id))
        return;
    const session *s = require_facility_role_or_reply(req, app, facility_id,
                                                      ROLE_BIT(ROLE_OPERATOR) | ROLE_BIT(ROLE_FACILITY_ADMIN));
    if (s == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    policy p = {0};
    if (policy_from_body_or_reply(req, body, &p)) {
        bool created = false;
        kite_err err = policy_put(&app->ctx, http_arena(req), facility_id, &p, session_actor(req, s),
                                  s->account.role == ROLE_OPERATOR, &created);
        policy stored = {0};
        if (err == KITE_ERR_FORBIDDEN)
            reply_fault_of(req, err, NULL, FAULT_POLICY);
        else if (err == KITE_OK && (err = policy_get(&app->ctx, http_arena(req), facility_id, &stored)) == KITE_OK)
            http_reply_json(req, created ? 201 : 200, policy_to_json(&stored));
        if (err != KITE_OK && !http_replied(req))
            reply_kite_error(req, err);
    }
    json_decref(body);
}
