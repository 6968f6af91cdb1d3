/*
 * investigations.c - GET /api/v1/investigations/messages (the facility's
 * messages searched by words, person, dates, status and screening rule) and
 * GET /api/v1/investigations/correspondents (who writes to whom), for the
 * facility's investigators and for operators (domain/oversight).
 *
 * SECURITY: every parameter is untrusted and goes to the domain as the
 * string it came as (the domain checks length, UTF-8 and form and answers
 * with a fault naming the parameter); integers are parsed here with their
 * bounds.  The door is require_facility_role_or_reply: no session 401,
 * another facility's staff 404, any other role 403.  The answer carries the
 * snippet as plain text with code point offsets for the matched words,
 * never markup, so no page has to trust it.
 */
#include "api/app.h"

#include "core/buf.h"
#include "domain/oversight/investigation.h"

#define INVESTIGATORS (ROLE_BIT(ROLE_INVESTIGATOR) | ROLE_BIT(ROLE_OPERATOR))

/* The session and the facility it may investigate (an investigator's own when none is named); NULL after answering. */
static const session *investigator_or_reply(http_request *req, kite_app *app, int64_t *facility_id)
{
    const session *s = require_session_or_reply(req, app);
    if (s == NULL ||
        !query_int_or_reply(req, "facility_id", 1, INT64_MAX, s->account.facility_id, facility_id))
        return NULL;
    if (*facility_id <= 0) {
        if (require_role_or_reply(req, app, INVESTIGATORS) != NULL)
            reply_fault_of(req, KITE_ERR_INVALID_FIELD, "facility_id", FAULT_REQUIRED);
        return NULL;
    }
    return require_facility_role_or_reply(req, app, *facility_id, INVESTIGATORS);
}

static void write_party(json_writer *w, const char *key, const investigation_party *p)
{
    jw_key(w, key);
    jw_object(w);
    jw_key(w, "account_id");
    jw_int(w, p->account_id);
    jw_key(w, "name");
    jw_string(w, p->name);
    jw_key(w, "resident_number");
    jw_string(w, p->resident_number);
    jw_key(w, "kind");
    jw_string(w, p->resident_number != NULL ? "resident" : "contact");
    jw_object_end(w);
}

static void write_hit(json_writer *w, const investigation_hit *h)
{
    jw_object(w);
    jw_key(w, "id");
    jw_int(w, h->message_id);
    jw_key(w, "sent_at");
    jw_time(w, h->created_at);
    jw_key(w, "status");
    jw_string(w, message_status_name(h->status));
    write_party(w, "sender", &h->sender);
    write_party(w, "recipient", &h->recipient);
    jw_key(w, "subject");
    jw_string(w, h->subject);
    jw_key(w, "snippet");
    jw_string(w, h->snippet);
    jw_key(w, "marks");
    jw_array(w);
    for (size_t i = 0; i < h->mark_count; i++) {
        jw_array(w);
        jw_int(w, (int64_t)h->marks[i].start);
        jw_int(w, (int64_t)h->marks[i].end);
        jw_array_end(w);
    }
    jw_array_end(w);
    jw_key(w, "rank");
    jw_int(w, h->rank);
    jw_object_end(w);
}

void handle_investigations_messages(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id, limit, rule;
    const session *s = investigator_or_reply(req, app, &facility_id);
    if (s == NULL || !query_int_or_reply(req, "limit", 1, INVESTIGATION_PAGE_MAX, 20, &limit) ||
        !query_int_or_reply(req, "rule", 1, INT64_MAX, 0, &rule))
        return;
    investigation_query q = {
        .facility_id = facility_id, .q = http_query(req, "q"), .person = http_query(req, "person"),
        .from = http_query(req, "from"), .to = http_query(req, "to"), .status = http_query(req, "status"),
        .rule_id = rule, .cursor = http_query(req, "cursor"), .limit = (size_t)limit,
    };
    investigation_page page;
    kite_fault fault;
    kite_err err = investigation_search(&app->ctx, http_arena(req), &s->account, &q, &page, &fault);
    if (err != KITE_OK) {
        fault_settle(&fault, err);
        reply_fault(req, &fault);
        return;
    }
    buf out;
    buf_init(&out, http_arena(req));
    json_writer w;
    jw_init(&w, &out);
    jw_object(&w);
    jw_key(&w, "items");
    jw_array(&w);
    for (size_t i = 0; i < page.count; i++)
        write_hit(&w, &page.items[i]);
    jw_array_end(&w);
    jw_key(&w, "next_cursor");
    jw_string(&w, page.next_cursor);
    jw_object_end(&w);
    http_reply_buf(req, 200, "application/json", &out);
}

static void write_correspondent(json_writer *w, const correspondent *c)
{
    jw_object(w);
    jw_key(w, "account_id");
    jw_int(w, c->party.account_id);
    jw_key(w, "kind");
    jw_string(w, c->party.resident_number != NULL ? "resident" : "contact");
    jw_key(w, "name");
    jw_string(w, c->party.name);
    jw_key(w, "resident_number");
    jw_string(w, c->party.resident_number);
    jw_key(w, "email");
    jw_string(w, c->email);
    jw_key(w, "sent");
    jw_int(w, c->sent);
    jw_key(w, "received");
    jw_int(w, c->received);
    jw_key(w, "first_at");
    jw_time(w, c->first_at);
    jw_key(w, "last_at");
    jw_time(w, c->last_at);
    if (c->party.resident_number == NULL) {
        jw_key(w, "residents");
        jw_int(w, c->residents);
    }
    jw_object_end(w);
}

void handle_investigations_correspondents(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t facility_id, contact_id;
    const session *s = investigator_or_reply(req, app, &facility_id);
    if (s == NULL || !query_int_or_reply(req, "contact_id", 1, INT64_MAX, 0, &contact_id))
        return;
    correspondents_page page;
    kite_fault fault;
    kite_err err = investigation_correspondents(&app->ctx, http_arena(req), &s->account, facility_id,
                                                http_query(req, "resident_number"), contact_id, &page, &fault);
    if (err != KITE_OK) {
        fault_settle(&fault, err);
        reply_fault(req, &fault);
        return;
    }
    buf out;
    buf_init(&out, http_arena(req));
    json_writer w;
    jw_init(&w, &out);
    jw_object(&w);
    write_party(&w, "person", &page.person);
    jw_key(&w, "items");
    jw_array(&w);
    for (size_t i = 0; i < page.count; i++)
        write_correspondent(&w, &page.items[i]);
    jw_array_end(&w);
    jw_key(&w, "next_cursor");
    jw_null(&w);
    jw_object_end(&w);
    http_reply_buf(req, 200, "application/json", &out);
}
