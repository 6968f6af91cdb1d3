/*
 * body.c - reading what clients send: JSON bodies, query and path parameters.
 *
 * SECURITY: all of it is untrusted.  Bodies are already capped by the HTTP
 * layer; jansson parses them with JSON_REJECT_DUPLICATES and refuses NUL
 * bytes in strings unless asked (we do not ask), and its depth limit stops
 * deeply nested input.  Strings are checked for UTF-8 by jansson on parse.
 *
 * A JSON body must say so: Content-Type application/json (parameters such
 * as "; charset=utf-8" aside), else 415.  A cross-site HTML form can only
 * send text/plain, application/x-www-form-urlencoded or multipart/form-data
 * without a CORS preflight, and a text/plain form can spell a JSON object;
 * refusing those types means no other site can make a visitor's browser
 * sign in, register or change anything.  Uploads (photos, rosters) check
 * their own types and do not come here.
 */
#include "api/app.h"

#include "core/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void reply_kite_error(http_request *req, kite_err err)
{
    if (kite_err_status(err) >= 500)
        log_error("api: %s %s failed: %s", http_method(req), http_path_for_log(req), kite_err_code(err));
    http_reply_error(req, err, NULL, NULL);
}

void reply_fault(http_request *req, const kite_fault *fault)
{
    if (kite_err_status(fault->code) >= 500)
        log_error("api: %s %s failed: %s", http_method(req), http_path_for_log(req), kite_err_code(fault->code));
    if (fault->retry_after_ms > 0)
        http_reply_header(req, "Retry-After",
                          arena_sprintf(http_arena(req), "%" PRId64, (fault->retry_after_ms + 999) / 1000));
    http_reply_error(req, fault->code, fault_sentence(http_arena(req), fault, http_lang(req)), fault->field);
}

const char *note_sentence(http_request *req, fault_detail note)
{
    kite_fault f = {.code = KITE_OK, .detail = note};
    return fault_sentence(http_arena(req), &f, http_lang(req));
}

const char *idempotency_key_or_reply(http_request *req)
{
    const char *key = http_header(req, "Idempotency-Key");
    if (key == NULL || *key == '\0') {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, "Idempotency-Key", FAULT_REQUIRED);
        return NULL;
    }
    return key;
}

/* "application/json", any case, alone or before ";" and its parameters. */
static bool json_media_type(const char *type)
{
    static const char json[] = "application/json";
    if (type == NULL || strncasecmp(type, json, sizeof json - 1) != 0)
        return false;
    const char *rest = type + sizeof json - 1;
    rest += strspn(rest, " \t");
    return *rest == '\0' || *rest == ';';
}

json_t *parse_body_or_reply(http_request *req)
{
    size_t len;
    const char *text = http_body(req, &len);
    const char *type = http_header(req, "Content-Type");
    /* No body and no type: the JSON parser's "malformed" says more than a type would. */
    if ((len > 0 || type != NULL) && !json_media_type(type)) {
        reply_fault_of(req, KITE_ERR_UNSUPPORTED_MEDIA_TYPE, "Content-Type", FAULT_JSON_TYPE);
        return NULL;
    }
    json_error_t error;
    json_t *body = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &error);
    if (body == NULL) {
        http_reply_error(req, KITE_ERR_MALFORMED_JSON, NULL, NULL);
        return NULL;
    }
    if (!json_is_object(body)) {
        json_decref(body);
        reply_fault_of(req, KITE_ERR_BAD_REQUEST, NULL, FAULT_BODY_NOT_OBJECT);
        return NULL;
    }
    return body;
}

void reply_fault_of(http_request *req, kite_err code, const char *field, fault_detail detail)
{
    kite_fault fault;
    fault_set(&fault, code, field, detail);
    reply_fault(req, &fault);
}

static void reply_field(http_request *req, const char *name, fault_detail what)
{
    reply_fault_of(req, KITE_ERR_INVALID_FIELD, name, what);
}

bool body_string_or_reply(http_request *req, json_t *body, const char *name, bool required, const char **out)
{
    json_t *value = json_object_get(body, name);
    *out = NULL;
    if (value == NULL || json_is_null(value)) {
        if (required)
            reply_field(req, name, FAULT_REQUIRED);
        return !required;
    }
    if (!json_is_string(value)) {
        reply_field(req, name, FAULT_NOT_STRING);
        return false;
    }
    /* json_string_length counts bytes; a shorter strlen means an embedded NUL. */
    if (strlen(json_string_value(value)) != json_string_length(value)) {
        reply_field(req, name, FAULT_NUL);
        return false;
    }
    *out = json_string_value(value);
    return true;
}

bool body_int_or_reply(http_request *req, json_t *body, const char *name, bool required, int64_t *out, bool *present)
{
    json_t *value = json_object_get(body, name);
    if (present != NULL)
        *present = value != NULL && !json_is_null(value);
    if (value == NULL || json_is_null(value)) {
        if (required)
            reply_field(req, name, FAULT_REQUIRED);
        return !required;
    }
    if (!json_is_integer(value)) {
        reply_field(req, name, FAULT_NOT_INTEGER);
        return false;
    }
    *out = (int64_t)json_integer_value(value);
    return true;
}

bool query_int_or_reply(http_request *req, const char *name, int64_t min, int64_t max, int64_t fallback, int64_t *out)
{
    const char *text = http_query(req, name);
    if (text == NULL || *text == '\0') {
        *out = fallback;
        return true;
    }
    char *end;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < min || value > max) {
        kite_fault fault;
        fault_set(&fault, KITE_ERR_INVALID_FIELD, name, FAULT_PARAM_RANGE);
        fault.min = min;
        fault.max = max;
        reply_fault(req, &fault);
        return false;
    }
    *out = value;
    return true;
}

bool param_id_or_reply(http_request *req, size_t i, int64_t *out)
{
    const char *text = http_param(req, i);
    char *end;
    errno = 0;
    long long value = text != NULL ? strtoll(text, &end, 10) : 0;
    if (text == NULL || *text < '0' || *text > '9' || errno != 0 || *end != '\0' || value <= 0) {
        http_reply_error(req, KITE_ERR_NOT_FOUND, NULL, NULL);
        return false;
    }
    *out = value;
    return true;
}
