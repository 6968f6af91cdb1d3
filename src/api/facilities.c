/*
 * facilities.c - the public directory: search, one facility, providers.
 */
#include "api/app.h"

#include "core/text.h"
#include "domain/directory/directory.h"
#include "domain/directory/providers.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SEARCH_DEFAULT_LIMIT = 20, SEARCH_MAX_LIMIT = 100, QUERY_MAX_BYTES = 200 };

static json_t *count_or_null(int64_t n)
{
    return n >= 0 ? json_integer(n) : json_null();
}

static json_t *facility_to_json(const facility *f)
{
    json_t *out = json_object();
    json_object_set_new(out, "id", json_integer(f->id));
    json_object_set_new(out, "name", json_string(f->name));
    json_object_set_new(out, "address", json_string_or_null(f->address));
    json_object_set_new(out, "city", json_string_or_null(f->city));
    json_object_set_new(out, "state", json_string_or_null(f->state));
    json_object_set_new(out, "zip", json_string_or_null(f->zip));
    json_object_set_new(out, "type", json_string_or_null(f->type));
    json_object_set_new(out, "status", json_string_or_null(f->status));
    json_object_set_new(out, "population", count_or_null(f->population));
    json_object_set_new(out, "capacity", count_or_null(f->capacity));
    json_object_set_new(out, "on_platform", json_boolean(f->on_platform));
    json_object_set_new(out, "messaging_provider",
                        json_pack("{s:s, s:s}", "slug", f->messaging_slug, "name", f->messaging_name));
    return out;
}

/* A filter parameter that must be one of a few words; NULL when absent. */
static bool enum_query_or_reply(http_request *req, const char *name, const char *const *allowed, size_t n,
                                const char **out)
{
    const char *value = http_query(req, name);
    *out = NULL;
    if (value == NULL || *value == '\0')
        return true;
    const char *lowered = text_lower(http_arena(req), value);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(lowered, allowed[i]) == 0) {
            *out = allowed[i];
            return true;
        }
    }
    reply_fault_of(req, KITE_ERR_INVALID_FIELD, name, FAULT_PARAM_CHOICE);
    return false;
}

static bool pattern_query_or_reply(http_request *req, const char *name, size_t min_len, size_t max_len,
                                   bool digits, const char **out)
{
    const char *value = http_query(req, name);
    *out = NULL;
    if (value == NULL || *value == '\0')
        return true;
    size_t len = strlen(value);
    bool ok = len >= min_len && len <= max_len;
    for (const char *p = value; ok && *p; p++)
        ok = digits ? (*p >= '0' && *p <= '9') : ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'));
    if (!ok) {
        reply_fault_of(req, KITE_ERR_INVALID_FIELD, name, FAULT_FORMAT); /* "state" or "zip": each has its sentence */
        return false;
    }
    *out = value;
    return true;
}

static bool search_query_or_reply(http_request *req, directory_query *q)
{
    static const char *const types[] = {"county", "state", "local", "federal", "multi"};
    static const char *const statuses[] = {"open", "closed"};
    memset(q, 0, sizeof *q);
    q->text = http_query(req, "q");
    if (q->text != NULL && (strlen(q->text) > QUERY_MAX_BYTES || !utf8_valid(q->text, strlen(q->text)))) {
        kite_fault fault;
        fault_set(&fault, KITE_ERR_INVALID_FIELD, "q", FAULT_LENGTH);
        fault.limit = QUERY_MAX_BYTES;
        reply_fault(req, &fault);
        return false;
    }
    return pattern_query_or_reply(req, "state", 2, 2, false, &q->state) &&
           pattern_query_or_reply(req, "zip", 1, 5, true, &q->zip) &&
           enum_query_or_reply(req, "type", types, 5, &q->type) &&
           enum_query_or_reply(req, "status", statuses, 2, &q->status);
}

enum { SUGGESTION_MAX_BYTES = 1024 }; /* a query is at most QUERY_MAX_BYTES; folding never lengthens a word much */

static json_t *facilities_to_json(const facility *items, size_t count)
{
    json_t *list = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(list, facility_to_json(&items[i]));
    return list;
}

static json_t *next_cursor_json(size_t offset, size_t count, size_t total)
{
    if (offset + count >= total)
        return json_null();
    char cursor[32];
    snprintf(cursor, sizeof cursor, "%zu", offset + count);
    return json_string(cursor);
}

/* Every part of the request a search answer depends on; q is length-prefixed, the rest are letters and digits. */
static const char *answer_key(arena *a, const directory_query *q, int64_t limit, int64_t offset)
{
    const char *text = q->text != NULL ? q->text : "";
    return arena_sprintf(a, "%zu:%s|%s|%s|%s|%s|%" PRId64 "|%" PRId64, strlen(text), text,
                         q->state ? q->state : "", q->zip ? q->zip : "", q->type ? q->type : "",
                         q->status ? q->status : "", limit, offset);
}

static json_t *search_answer(http_request *req, kite_app *app, const directory_query *q, int64_t limit,
                             int64_t offset, bool *keep);

/*
 * GET /api/v1/facilities.  The same query against the same directory gets
 * the same bytes, so a finished answer is kept (directory_answer_put) and
 * sent again while the store's directory version holds: a repeated search
 * costs one read of the version instead of the index, the rows and the JSON.
 */
void handle_facilities_list(http_request *req, void *data)
{
    kite_app *app = data;
    directory_query query;
    int64_t limit, offset;
    if (!search_query_or_reply(req, &query) ||
        !query_int_or_reply(req, "limit", 1, SEARCH_MAX_LIMIT, SEARCH_DEFAULT_LIMIT, &limit) ||
        !query_int_or_reply(req, "cursor", 0, INT32_MAX, 0, &offset))
        return;
    char version[DIRECTORY_VERSION_MAX];
    kite_err err = directory_version(&app->ctx, version);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    const char *key = answer_key(http_arena(req), &query, limit, offset), *body;
    size_t len;
    if (directory_answer_get(&app->ctx, http_arena(req), version, key, &body, &len)) {
        http_reply_bytes(req, 200, "application/json", body, len);
        return;
    }
    bool keep = true;
    json_t *answer = search_answer(req, app, &query, limit, offset, &keep);
    if (answer == NULL)
        return;
    char *text = json_dumps(answer, JSON_COMPACT);
    json_decref(answer);
    if (text == NULL) {
        reply_kite_error(req, KITE_ERR_INTERNAL);
        return;
    }
    if (keep)
        directory_answer_put(&app->ctx, version, key, text, strlen(text));
    http_reply_bytes(req, 200, "application/json", text, strlen(text));
    free(text);
}

/*
 * The answer to a search, or NULL after replying with an error.  *keep is
 * false when a part could not be read (the "did you mean"), so that an
 * answer missing it is sent once, never kept.
 */
static json_t *search_answer(http_request *req, kite_app *app, const directory_query *q, int64_t limit,
                             int64_t offset, bool *keep)
{
    directory_query query = *q;
    facility *items;
    size_t count, total;
    kite_err err = directory_search(&app->ctx, http_arena(req), &query, (size_t)offset, (size_t)limit, &items,
                                    &count, &total);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return NULL;
    }
    json_t *answer = json_pack("{s:o, s:o, s:I}", "items", facilities_to_json(items, count), "next_cursor",
                               next_cursor_json((size_t)offset, count, total), "total", (json_int_t)total);
    /*
     * Typos are not counted as found: a search that finds nothing may say what
     * it would have found with each word one typo away, as "did_you_mean":
     * the corrected words and their first page.
     */
    char corrected[SUGGESTION_MAX_BYTES];
    if (total == 0 && offset == 0 && directory_suggest(&app->ctx, &query, corrected, sizeof corrected)) {
        directory_query fixed = query;
        fixed.text = corrected;
        err = directory_search(&app->ctx, http_arena(req), &fixed, 0, (size_t)limit, &items, &count, &total);
        *keep = err == KITE_OK;
        if (err == KITE_OK && total > 0)
            json_object_set_new(answer, "did_you_mean",
                                json_pack("{s:s, s:o, s:I}", "q", corrected, "items", facilities_to_json(items, count),
                                          "total", (json_int_t)total));
    }
    if (json_object_get(answer, "did_you_mean") == NULL)
        json_object_set_new(answer, "did_you_mean", json_null());
    return answer;
}

static json_t *steps_to_json(const char *how_to)
{
    json_t *steps = json_array();
    while (how_to != NULL && *how_to != '\0') {
        size_t len = strcspn(how_to, "\n");
        json_array_append_new(steps, json_stringn(how_to, len));
        how_to += len;
        if (*how_to == '\n')
            how_to++;
    }
    return steps;
}

void handle_facilities_get(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t id;
    if (!param_id_or_reply(req, 0, &id))
        return;
    facility f;
    facility_service services[8];
    kite_err err = directory_get(&app->ctx, http_arena(req), id, &f, services);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    json_t *out = facility_to_json(&f);
    json_t *providers = json_object();
    for (size_t i = 0; i < facility_service_count; i++)
        json_object_set_new(providers, services[i].service,
                            json_pack("{s:s, s:s}", "slug", services[i].slug, "name",
                                      provider_name_in(services[i].slug, services[i].name, http_lang(req))));
    json_object_set_new(out, "providers", providers);
    json_object_set_new(out, "county", json_string_or_null(f.county));
    json_object_set_new(out, "telephone", json_string_or_null(f.telephone));
    json_object_set_new(out, "website", json_string_or_null(f.website));
    json_object_set_new(out, "security_level", json_string_or_null(f.security_level));
    json_object_set_new(out, "bop_code", json_string_or_null(f.bop_code));
    policy p = {0};
    if (f.on_platform && policy_get(&app->ctx, http_arena(req), id, &p) == KITE_OK)
        json_object_set_new(out, "policy", policy_to_json(&p));
    else
        json_object_set_new(out, "policy", json_null());

    provider messaging;
    err = provider_by_slug(&app->ctx, http_arena(req), f.messaging_slug, &messaging);
    if (err != KITE_OK) {
        json_decref(out);
        reply_kite_error(req, err);
        return;
    }
    provider_in_language(&messaging, http_lang(req));
    json_object_set_new(out, "how_to_message",
                        json_pack("{s:b, s:{s:s, s:s, s:o}, s:o}",
                                  "on_platform", f.on_platform,
                                  "provider", "slug", f.messaging_slug, "name",
                                  provider_name_in(f.messaging_slug, f.messaging_name, http_lang(req)),
                                  "website", json_string_or_null(messaging.website),
                                  "steps", steps_to_json(messaging.how_to)));
    http_reply_json(req, 200, out);
}

static json_t *services_to_json(const char *services)
{
    json_t *list = json_array();
    while (services != NULL && *services != '\0') {
        size_t len = strcspn(services, ",");
        if (len > 0)
            json_array_append_new(list, json_stringn(services, len));
        services += len;
        if (*services == ',')
            services++;
    }
    return list;
}

void handle_providers_list(http_request *req, void *data)
{
    kite_app *app = data;
    provider *items = NULL;
    size_t count = 0;
    kite_err err = providers_all(&app->ctx, http_arena(req), &items, &count);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < count; i++) {
        provider *p = &items[i];
        provider_in_language(p, http_lang(req));
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}",
                                              "slug", p->slug, "name", p->name, "operator", p->operator_name,
                                              "website", json_string_or_null(p->website),
                                              "services", services_to_json(p->services),
                                              "steps", steps_to_json(p->how_to)));
    }
    http_reply_json(req, 200, json_pack("{s:o, s:n}", "items", list, "next_cursor"));
}
